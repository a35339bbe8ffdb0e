//! Stores and distribution centres.

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::text::Text;
use crate::validate::{Validate, Violations, text_field};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LocationKind {
    Store,
    DistributionCentre,
    /// The fulfilment point of the online shop (a dark store or a warehouse).
    Online,
}

/// A store, distribution centre or online fulfilment point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// The retailer's own code, e.g. `S001`.
    pub external_id: String,
    pub kind: LocationKind,
    pub name: Text,
    #[serde(default)]
    pub address: Text,
    #[serde(default)]
    pub city: String,
    /// WGS84 latitude in degrees.
    pub lat: f64,
    /// WGS84 longitude in degrees.
    pub lon: f64,
    /// IANA time zone the location keeps its business day in, e.g. `Asia/Shanghai`.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Sales floor area in square metres (stores).
    #[serde(default)]
    pub area_m2: Option<u32>,
    #[serde(default = "yes")]
    pub active: bool,
}

pub(crate) fn default_timezone() -> String {
    "Asia/Shanghai".into()
}

pub(crate) fn yes() -> bool {
    true
}

/// Accepts `Area/City`-shaped IANA names and `UTC`; the table itself is not
/// embedded in the pure core.
pub(crate) fn check_timezone(v: &mut Violations, field: &str, tz: &str) {
    let shaped = tz == "UTC"
        || (tz.contains('/')
            && tz.split('/').all(|p| {
                !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            }));
    v.check(shaped, field, format!("{tz:?} is not an IANA time zone name such as Asia/Shanghai"));
}

impl Validate for Location {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        self.name.validate_into(&mut v, "name", 200);
        text_field(&mut v, "address.zh", &self.address.zh, false, 500);
        text_field(&mut v, "address.en", &self.address.en, false, 500);
        text_field(&mut v, "city", &self.city, false, 100);
        v.check((-90.0..=90.0).contains(&self.lat), "lat", "must be a latitude between -90 and 90");
        v.check((-180.0..=180.0).contains(&self.lon), "lon", "must be a longitude between -180 and 180");
        check_timezone(&mut v, "timezone", &self.timezone);
        v.into_result()
    }
}

impl Entity for Location {
    const KIND: EntityKind = EntityKind::Location;
    fn external_id(&self) -> &str {
        &self.external_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Location {
        Location {
            external_id: "S001".into(),
            kind: LocationKind::Store,
            name: Text::new("人民广场店", "People's Square"),
            address: Text::default(),
            city: "Shanghai".into(),
            lat: 31.23,
            lon: 121.47,
            timezone: "Asia/Shanghai".into(),
            area_m2: Some(1200),
            active: true,
        }
    }

    #[test]
    fn valid_location_passes() {
        sample().validate().unwrap();
    }

    #[test]
    fn bad_coordinates_and_zone_are_reported() {
        let mut l = sample();
        l.lat = 91.0;
        l.timezone = "Shanghai time".into();
        let err = l.validate().unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["lat", "timezone"]);
    }

    #[test]
    fn unknown_fields_and_kinds_are_rejected() {
        let bad = r#"{"external_id":"S1","kind":"warehouse","name":{"zh":"店"},"lat":0,"lon":0}"#;
        assert!(serde_json::from_str::<Location>(bad).is_err());
        let extra = r#"{"external_id":"S1","kind":"store","name":{"zh":"店"},"lat":0,"lon":0,"colour":"red"}"#;
        assert!(serde_json::from_str::<Location>(extra).is_err());
    }
}
