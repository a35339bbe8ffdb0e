//! Distances and travel times between points on the Earth.
//!
//! - [`haversine_km`] is the great-circle distance on a sphere of radius [`EARTH_RADIUS_KM`].
//! - A [`TravelModel`] turns it into a road estimate: road km = great-circle km × `road_factor`
//!   (≥ 1, default 1.3), and minutes from a [`SpeedProfile`].
//! - **Speed rule.** A profile is a list of distance bands `(up_to_km, kmh)` with strictly increasing
//!   bounds plus an open last band (`beyond_kmh`). A trip is timed piecewise along its road length: its
//!   first kilometres (up to the first bound) at the first band's speed, the kilometres between the
//!   first and second bounds at the second band's speed, and so on; whatever lies beyond the last bound
//!   at `beyond_kmh`. So a long trip still pays for leaving and entering town slowly, and the time is a
//!   continuous, increasing function of the distance. With the default profile (≤ 3 km at 18 km/h,
//!   ≤ 15 km at 30 km/h, ≤ 60 km at 50 km/h, beyond at 70 km/h) a 20 km road trip takes
//!   3/18 h + 12/30 h + 5/50 h = 40 minutes.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Mean Earth radius (IUGG) in km, the sphere the haversine distance is measured on.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A point given by latitude and longitude in decimal degrees (WGS84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
}

impl GeoPoint {
    /// Builds a point from latitude and longitude in degrees.
    pub fn new(lat: f64, lon: f64) -> Self {
        Self { lat, lon }
    }

    /// Whether both coordinates are finite and within range (so distances to it are meaningful).
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// Great-circle distance in km between two points (haversine formula on a sphere).
///
/// Symmetric, zero for equal points, and at most half the Earth's circumference.
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let s_lat = (dlat / 2.0).sin();
    let s_lon = (dlon / 2.0).sin();
    let h = (s_lat * s_lat + lat1.cos() * lat2.cos() * s_lon * s_lon).clamp(0.0, 1.0);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// Why distances or times could not be computed, or why a matrix was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GeoError {
    /// A point has a NaN/infinite coordinate or one out of range.
    #[error(
        "point {index} has an invalid position (lat {lat}, lon {lon}): latitude must lie in -90..=90 and longitude in -180..=180"
    )]
    InvalidPoint {
        /// Index of the point in the input slice.
        index: usize,
        /// Its latitude.
        lat: f64,
        /// Its longitude.
        lon: f64,
    },
    /// The road factor is below 1 (roads cannot be shorter than the great circle) or not finite.
    #[error("road factor {0} must be a finite number of at least 1")]
    RoadFactor(f64),
    /// A speed band's speed is not a positive finite number (`band` = bands.len() for the open band).
    #[error("speed band {band} has speed {kmh} km/h; speeds must be positive and finite")]
    Speed {
        /// Index of the band; the open last band is numbered after the listed bands.
        band: usize,
        /// The offending speed.
        kmh: f64,
    },
    /// A band's upper bound is not positive, finite and greater than the previous one.
    #[error("speed band {band} ends at {up_to_km} km; bounds must be positive, finite and increasing")]
    BandBound {
        /// Index of the band.
        band: usize,
        /// The offending bound.
        up_to_km: f64,
    },
    /// A matrix has the wrong number of entries for its size.
    #[error("{what} matrix has {actual} entries, expected {expected} ({size}×{size})")]
    MatrixLength {
        /// What the matrix holds (e.g. "distance").
        what: String,
        /// Its declared size.
        size: usize,
        /// size × size.
        expected: usize,
        /// The number of entries given.
        actual: usize,
    },
    /// A matrix entry is NaN, infinite or negative.
    #[error("{what} matrix entry at row {row}, column {col} is {value}; entries must be finite and non-negative")]
    MatrixEntry {
        /// What the matrix holds.
        what: String,
        /// Row of the first bad entry.
        row: usize,
        /// Column of the first bad entry.
        col: usize,
        /// The bad value.
        value: f64,
    },
}

/// One distance band of a speed profile: road kilometres up to `up_to_km` are driven at `kmh`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpeedBand {
    /// Upper end of the band, in road km from the trip's start.
    pub up_to_km: f64,
    /// Average speed within the band, km/h.
    pub kmh: f64,
}

/// Average speeds by distance band, so short urban trips are slow and long trips get faster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedProfile {
    /// Bands with strictly increasing `up_to_km`.
    pub bands: Vec<SpeedBand>,
    /// Speed for the kilometres beyond the last band, km/h.
    pub beyond_kmh: f64,
}

impl Default for SpeedProfile {
    /// ≤ 3 km at 18 km/h, ≤ 15 km at 30 km/h, ≤ 60 km at 50 km/h, beyond at 70 km/h.
    fn default() -> Self {
        Self {
            bands: vec![
                SpeedBand { up_to_km: 3.0, kmh: 18.0 },
                SpeedBand { up_to_km: 15.0, kmh: 30.0 },
                SpeedBand { up_to_km: 60.0, kmh: 50.0 },
            ],
            beyond_kmh: 70.0,
        }
    }
}

impl SpeedProfile {
    /// A profile with one speed for every distance.
    pub fn constant(kmh: f64) -> Self {
        Self { bands: Vec::new(), beyond_kmh: kmh }
    }

    /// Checks that bounds increase and speeds are positive and finite.
    pub fn validate(&self) -> Result<(), GeoError> {
        let mut previous = 0.0;
        for (band, b) in self.bands.iter().enumerate() {
            if !(b.up_to_km.is_finite() && b.up_to_km > previous) {
                return Err(GeoError::BandBound { band, up_to_km: b.up_to_km });
            }
            if !(b.kmh.is_finite() && b.kmh > 0.0) {
                return Err(GeoError::Speed { band, kmh: b.kmh });
            }
            previous = b.up_to_km;
        }
        if !(self.beyond_kmh.is_finite() && self.beyond_kmh > 0.0) {
            return Err(GeoError::Speed { band: self.bands.len(), kmh: self.beyond_kmh });
        }
        Ok(())
    }

    /// Minutes to drive `road_km` under the piecewise rule of the module documentation.
    pub fn minutes(&self, road_km: f64) -> f64 {
        let km = road_km.max(0.0);
        let mut hours = 0.0;
        let mut start = 0.0;
        for b in &self.bands {
            if km <= start {
                break;
            }
            let end = km.min(b.up_to_km);
            hours += (end - start) / b.kmh;
            start = b.up_to_km;
        }
        if km > start {
            hours += (km - start) / self.beyond_kmh;
        }
        hours * 60.0
    }
}

/// Road distance and travel time estimated from straight-line geography.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TravelModel {
    /// Road km per great-circle km (≥ 1; 1.3 is typical for mixed urban/regional roads).
    pub road_factor: f64,
    /// Speeds by distance band.
    pub speed: SpeedProfile,
}

impl Default for TravelModel {
    /// Road factor 1.3 and the default [`SpeedProfile`].
    fn default() -> Self {
        Self { road_factor: 1.3, speed: SpeedProfile::default() }
    }
}

/// Square distance and time matrices, row-major: entry `i * size + j` is from point i to point j.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrices {
    /// Number of points (rows and columns).
    pub size: usize,
    /// Road kilometres.
    pub km: Vec<f64>,
    /// Driving minutes.
    pub minutes: Vec<f64>,
}

impl Matrices {
    /// Road km from point `from` to point `to`.
    pub fn km(&self, from: usize, to: usize) -> f64 {
        self.km[from * self.size + to]
    }

    /// Driving minutes from point `from` to point `to`.
    pub fn minutes(&self, from: usize, to: usize) -> f64 {
        self.minutes[from * self.size + to]
    }
}

impl TravelModel {
    /// Checks the road factor and the speed profile.
    pub fn validate(&self) -> Result<(), GeoError> {
        if !(self.road_factor.is_finite() && self.road_factor >= 1.0) {
            return Err(GeoError::RoadFactor(self.road_factor));
        }
        self.speed.validate()
    }

    /// Estimated road km between two points (no validation).
    pub fn road_km(&self, a: GeoPoint, b: GeoPoint) -> f64 {
        haversine_km(a, b) * self.road_factor
    }

    /// Estimated driving minutes between two points (no validation).
    pub fn minutes(&self, a: GeoPoint, b: GeoPoint) -> f64 {
        self.speed.minutes(self.road_km(a, b))
    }

    /// Road km and minutes between every pair of points, after checking the model and every point.
    pub fn matrices(&self, points: &[GeoPoint]) -> Result<Matrices, GeoError> {
        self.validate()?;
        if let Some((index, p)) = points.iter().enumerate().find(|(_, p)| !p.is_valid()) {
            return Err(GeoError::InvalidPoint { index, lat: p.lat, lon: p.lon });
        }
        let n = points.len();
        let mut km = vec![0.0; n * n];
        let mut minutes = vec![0.0; n * n];
        for i in 0..n {
            for j in (i + 1)..n {
                let d = self.road_km(points[i], points[j]);
                let t = self.speed.minutes(d);
                km[i * n + j] = d;
                km[j * n + i] = d;
                minutes[i * n + j] = t;
                minutes[j * n + i] = t;
            }
        }
        Ok(Matrices { size: n, km, minutes })
    }
}

/// Checks a row-major `size × size` matrix supplied from elsewhere (e.g. a routing service): the
/// length, then the first NaN, infinite or negative entry, named by row and column.
pub fn validate_matrix(size: usize, values: &[f64], what: &str) -> Result<(), GeoError> {
    let expected = size.saturating_mul(size);
    if values.len() != expected {
        return Err(GeoError::MatrixLength { what: what.to_string(), size, expected, actual: values.len() });
    }
    match values.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        Some(k) => {
            Err(GeoError::MatrixEntry { what: what.to_string(), row: k / size, col: k % size, value: values[k] })
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn known_distances() {
        // Paris (Notre-Dame) to London (Trafalgar Square): about 343 km.
        let paris = GeoPoint::new(48.8530, 2.3499);
        let london = GeoPoint::new(51.5080, -0.1281);
        let d = haversine_km(paris, london);
        assert!(close(d, 343.5, 1.0), "{d}");
        // One degree of longitude on the equator.
        let d = haversine_km(GeoPoint::new(0.0, 0.0), GeoPoint::new(0.0, 1.0));
        assert!(close(d, EARTH_RADIUS_KM * std::f64::consts::PI / 180.0, 1e-9), "{d}");
        // Antipodes: half the circumference.
        let d = haversine_km(GeoPoint::new(0.0, 0.0), GeoPoint::new(0.0, 180.0));
        assert!(close(d, EARTH_RADIUS_KM * std::f64::consts::PI, 1e-6), "{d}");
        // Across the antimeridian is short.
        let d = haversine_km(GeoPoint::new(0.0, 179.5), GeoPoint::new(0.0, -179.5));
        assert!(close(d, EARTH_RADIUS_KM * std::f64::consts::PI / 180.0, 1e-6), "{d}");
    }

    #[test]
    fn piecewise_minutes() {
        let p = SpeedProfile::default();
        assert_eq!(p.minutes(0.0), 0.0);
        assert!(close(p.minutes(1.5), 5.0, 1e-9)); // 1.5 km at 18 km/h
        assert!(close(p.minutes(3.0), 10.0, 1e-9));
        assert!(close(p.minutes(20.0), 40.0, 1e-9)); // 10 + 24 + 6
        // 100 km: 10 + 24 + 54 + 40/70 h.
        assert!(close(p.minutes(100.0), 10.0 + 24.0 + 54.0 + 40.0 / 70.0 * 60.0, 1e-9));
        assert!(close(SpeedProfile::constant(60.0).minutes(42.0), 42.0, 1e-9));
    }

    #[test]
    fn matrices_are_symmetric_with_zero_diagonal() {
        let pts = [GeoPoint::new(31.23, 121.47), GeoPoint::new(31.30, 121.50), GeoPoint::new(30.27, 120.15)];
        let m = TravelModel::default().matrices(&pts).unwrap();
        assert_eq!(m.size, 3);
        assert_eq!(m.km.len(), 9);
        for i in 0..3 {
            assert_eq!(m.km(i, i), 0.0);
            assert_eq!(m.minutes(i, i), 0.0);
            for j in 0..3 {
                assert_eq!(m.km(i, j), m.km(j, i));
                assert_eq!(m.minutes(i, j), m.minutes(j, i));
            }
        }
        assert!(close(m.km(0, 2), 1.3 * haversine_km(pts[0], pts[2]), 1e-9));
        assert!(validate_matrix(3, &m.km, "distance").is_ok());
        assert!(validate_matrix(3, &m.minutes, "time").is_ok());
        assert!(TravelModel::default().matrices(&[]).unwrap().km.is_empty());
    }

    #[test]
    fn bad_points_are_named() {
        let model = TravelModel::default();
        let err = model.matrices(&[GeoPoint::new(0.0, 0.0), GeoPoint::new(f64::NAN, 0.0)]).unwrap_err();
        assert!(matches!(err, GeoError::InvalidPoint { index: 1, .. }), "{err}");
        let err = model.matrices(&[GeoPoint::new(91.0, 0.0)]).unwrap_err();
        assert!(matches!(err, GeoError::InvalidPoint { index: 0, .. }));
        let err = model.matrices(&[GeoPoint::new(0.0, 0.0), GeoPoint::new(0.0, -180.5)]).unwrap_err();
        assert!(matches!(err, GeoError::InvalidPoint { index: 1, .. }));
        assert!(err.to_string().contains("point 1"));
    }

    #[test]
    fn bad_models_are_refused() {
        let pts = [GeoPoint::new(0.0, 0.0)];
        let m = TravelModel { road_factor: 0.9, ..TravelModel::default() };
        assert_eq!(m.matrices(&pts).unwrap_err(), GeoError::RoadFactor(0.9));
        let m = TravelModel { road_factor: f64::NAN, ..TravelModel::default() };
        assert!(matches!(m.matrices(&pts), Err(GeoError::RoadFactor(_))));
        let mut m = TravelModel::default();
        m.speed.bands[1].kmh = 0.0;
        assert_eq!(m.matrices(&pts).unwrap_err(), GeoError::Speed { band: 1, kmh: 0.0 });
        let mut m = TravelModel::default();
        m.speed.beyond_kmh = -5.0;
        assert_eq!(m.matrices(&pts).unwrap_err(), GeoError::Speed { band: 3, kmh: -5.0 });
        let mut m = TravelModel::default();
        m.speed.bands[2].up_to_km = 10.0;
        assert_eq!(m.matrices(&pts).unwrap_err(), GeoError::BandBound { band: 2, up_to_km: 10.0 });
    }

    #[test]
    fn matrix_validation_names_the_entry() {
        assert!(validate_matrix(2, &[0.0, 1.0, 1.0, 0.0], "distance").is_ok());
        let err = validate_matrix(2, &[0.0, 1.0, 1.0], "distance").unwrap_err();
        assert!(matches!(err, GeoError::MatrixLength { size: 2, expected: 4, actual: 3, .. }));
        let err = validate_matrix(2, &[0.0, 1.0, f64::NAN, -1.0], "time").unwrap_err();
        assert!(matches!(err, GeoError::MatrixEntry { row: 1, col: 0, .. }), "{err}");
        assert!(err.to_string().starts_with("time matrix entry at row 1, column 0"));
        let err = validate_matrix(2, &[0.0, 1.0, 2.0, -1.0], "time").unwrap_err();
        assert!(matches!(err, GeoError::MatrixEntry { row: 1, col: 1, .. }));
        let err = validate_matrix(2, &[0.0, f64::INFINITY, 2.0, 0.0], "time").unwrap_err();
        assert!(matches!(err, GeoError::MatrixEntry { row: 0, col: 1, .. }));
        assert!(validate_matrix(0, &[], "x").is_ok());
    }

    fn point() -> impl Strategy<Value = GeoPoint> {
        (-90.0..=90.0f64, -180.0..=180.0f64).prop_map(|(lat, lon)| GeoPoint::new(lat, lon))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn haversine_is_a_metric(a in point(), b in point(), c in point()) {
            let ab = haversine_km(a, b);
            let ba = haversine_km(b, a);
            prop_assert!(ab >= 0.0);
            prop_assert!((ab - ba).abs() <= 1e-9);
            prop_assert_eq!(haversine_km(a, a), 0.0);
            prop_assert!(ab <= EARTH_RADIUS_KM * std::f64::consts::PI + 1e-6);
            let ac = haversine_km(a, c);
            let cb = haversine_km(c, b);
            prop_assert!(ab <= ac + cb + 1e-6, "{} > {} + {}", ab, ac, cb);
        }

        #[test]
        fn minutes_increase_with_distance(d1 in 0.0..500.0f64, d2 in 0.0..500.0f64) {
            let p = SpeedProfile::default();
            let (lo, hi) = if d1 <= d2 { (d1, d2) } else { (d2, d1) };
            prop_assert!(p.minutes(lo) <= p.minutes(hi) + 1e-12);
            // Never faster than the fastest band nor slower than the slowest.
            prop_assert!(p.minutes(hi) >= hi / 70.0 * 60.0 - 1e-9);
            prop_assert!(p.minutes(hi) <= hi / 18.0 * 60.0 + 1e-9);
        }

        #[test]
        fn matrices_are_metric(pts in proptest::collection::vec(point(), 0..7)) {
            let m = TravelModel::default().matrices(&pts).unwrap();
            let n = pts.len();
            prop_assert!(validate_matrix(n, &m.km, "distance").is_ok());
            for i in 0..n {
                prop_assert_eq!(m.km(i, i), 0.0);
                for j in 0..n {
                    prop_assert_eq!(m.km(i, j), m.km(j, i));
                    for k in 0..n {
                        prop_assert!(m.km(i, j) <= m.km(i, k) + m.km(k, j) + 1e-6);
                    }
                }
            }
        }
    }
}
