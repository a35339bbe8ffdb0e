//! A delivery planning problem as the API takes it (depots, vehicles, stops with coordinates,
//! kilograms and time windows, optionally an imported road matrix), its translation into the
//! routing engine's integer instance, and the solved plan with ETAs, loads and costs.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use retail_domain::{Currency, Violations};
use retail_routing::{
    Depot, Instance, Job, Matrix, Point, Solution, SolverParams, TimeWindow, UnassignedReason, VehicleType,
};
use retail_supply::{GeoPoint, RouteUsage, SpeedBand, SpeedProfile, StopUsage, TravelModel, transport_costs};
use serde::{Deserialize, Serialize};

use crate::service::{ServiceError, ServiceResult};

/// Load units per kilogram in the engine's integer instance (10 g resolution).
const LOAD_PER_KG: f64 = 100.0;
/// Cost units per minor unit in the engine (per-metre and per-second rates stay integers).
const COST_SCALE: i64 = 1000;
/// Most stops one problem may hold.
pub const MAX_STOPS: usize = 10_000;
/// Most vehicles one problem may hold.
pub const MAX_VEHICLES: usize = 2_000;

/// A place vehicles start from and return to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemDepot {
    pub id: String,
    pub lat: f64,
    pub lon: f64,
}

/// A vehicle and its day's costs. `trips` > 1 splits the shift into that many equal trips, each
/// starting and ending at the depot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemVehicle {
    pub id: String,
    pub depot_id: String,
    pub capacity_kg: f64,
    #[serde(default)]
    pub fixed_cost_minor: i64,
    #[serde(default)]
    pub cost_per_km_minor: i64,
    #[serde(default)]
    pub cost_per_hour_minor: i64,
    pub shift_start: DateTime<Utc>,
    pub shift_end: DateTime<Utc>,
    #[serde(default = "one")]
    pub trips: u32,
    /// Longest route allowed, km.
    #[serde(default)]
    pub max_km: Option<f64>,
}

fn one() -> u32 {
    1
}

/// A delivery to make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemStop {
    pub id: String,
    /// What is delivered there: a store's code or an order's id (shown on manifests).
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub demand_kg: f64,
    /// Cases or parcels, for the manifest and cost per case.
    #[serde(default)]
    pub cases: i64,
    #[serde(default)]
    pub service_minutes: f64,
    #[serde(default)]
    pub window_start: Option<DateTime<Utc>>,
    #[serde(default)]
    pub window_end: Option<DateTime<Utc>>,
    /// Present: the stop may be left out at this cost. Absent: it must be served if it can be.
    #[serde(default)]
    pub skip_penalty_minor: Option<i64>,
}

/// How travel is derived from coordinates when no matrix is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TravelSettings {
    /// Road km per straight-line km.
    #[serde(default = "road_factor")]
    pub road_factor: f64,
    /// Speeds by distance band: `[[up_to_km, kmh], …]`, the last speed applying beyond.
    #[serde(default)]
    pub speed_bands: Option<Vec<(f64, f64)>>,
    #[serde(default)]
    pub beyond_kmh: Option<f64>,
}

fn road_factor() -> f64 {
    TravelModel::default().road_factor
}

impl Default for TravelSettings {
    fn default() -> Self {
        Self { road_factor: road_factor(), speed_bands: None, beyond_kmh: None }
    }
}

/// Road distances and times exported from a router (OSRM, Valhalla), row-major over the depots in
/// order and then the stops in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportedMatrix {
    pub km: Vec<f64>,
    pub minutes: Vec<f64>,
}

/// A whole planning problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryProblem {
    #[serde(default)]
    pub name: String,
    #[serde(default = "Currency::cny")]
    pub currency: Currency,
    pub depots: Vec<ProblemDepot>,
    pub vehicles: Vec<ProblemVehicle>,
    pub stops: Vec<ProblemStop>,
    #[serde(default)]
    pub travel: TravelSettings,
    #[serde(default)]
    pub matrix: Option<ImportedMatrix>,
    /// Search time, seconds (default: from 2 s for small problems up to 60 s for large ones).
    #[serde(default)]
    pub time_limit_s: Option<f64>,
    /// Notes from building the problem (e.g. a product without a weight), carried into the plan.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// IANA time zone the plan's times are shown in (the depot's); UTC when absent.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// One stop of a planned route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedStop {
    pub sequence: usize,
    pub stop_id: String,
    pub reference: Option<String>,
    pub name: Option<String>,
    pub lat: f64,
    pub lon: f64,
    /// When the vehicle arrives.
    pub eta: DateTime<Utc>,
    /// When unloading starts (after waiting for the window to open).
    pub service_start: DateTime<Utc>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub demand_kg: f64,
    pub cases: i64,
    pub km_from_previous: f64,
    /// This stop's share of the route's cost.
    pub cost_minor: i64,
}

/// One vehicle trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlannedRoute {
    pub route_id: String,
    pub vehicle_id: String,
    /// 1 for the vehicle's first trip of the day.
    pub trip: u32,
    pub depot_id: String,
    pub departure: DateTime<Utc>,
    pub return_at: DateTime<Utc>,
    pub load_kg: f64,
    pub capacity_kg: f64,
    pub cases: i64,
    pub distance_km: f64,
    pub duration_h: f64,
    pub fixed_minor: i64,
    pub distance_minor: i64,
    pub time_minor: i64,
    pub cost_minor: i64,
    pub cost_per_km: Option<f64>,
    pub cost_per_case: Option<f64>,
    /// Load over capacity.
    pub utilisation: f64,
    /// Time on the road over the trip's share of the shift.
    pub time_utilisation: Option<f64>,
    pub stops: Vec<PlannedStop>,
}

/// A stop left out of the plan, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnservedStop {
    pub stop_id: String,
    pub reference: Option<String>,
    /// `capacity_exceeded`, `time_window_unreachable`, `max_duration_exceeded`,
    /// `max_distance_exceeded`, `no_vehicle` or `not_profitable`.
    pub reason: String,
    pub message: String,
}

/// Totals of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanTotals {
    pub routes: usize,
    pub vehicles: usize,
    pub stops: usize,
    pub unassigned: usize,
    pub distance_km: f64,
    pub duration_h: f64,
    pub load_kg: f64,
    pub cases: i64,
    pub cost_minor: i64,
    pub fixed_minor: i64,
    pub distance_minor: i64,
    pub time_minor: i64,
    /// Load over the capacity of the trips driven.
    pub utilisation: f64,
}

/// A solved plan, checked by the routing engine's independent checker before it is returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryPlan {
    pub name: String,
    pub currency: Currency,
    pub depots: Vec<ProblemDepot>,
    pub totals: PlanTotals,
    pub routes: Vec<PlannedRoute>,
    pub unassigned: Vec<UnservedStop>,
    /// Genetic-search iterations run and the time spent.
    pub iterations: u64,
    pub solve_ms: u64,
    pub warnings: Vec<String>,
    /// IANA time zone for showing the plan's times (ETAs are stored in UTC).
    #[serde(default = "utc")]
    pub timezone: String,
}

fn utc() -> String {
    "UTC".into()
}

impl DeliveryPlan {
    /// A time of the plan as a clock reading in its time zone, `HH:MM`.
    pub fn clock(&self, t: DateTime<Utc>) -> String {
        match self.timezone.parse::<chrono_tz::Tz>() {
            Ok(tz) => t.with_timezone(&tz).format("%H:%M").to_string(),
            Err(_) => t.format("%H:%M").to_string(),
        }
    }
}

fn check_point(v: &mut Violations, field: &str, lat: f64, lon: f64) {
    v.check((-90.0..=90.0).contains(&lat), format!("{field}.lat"), "must be a latitude between -90 and 90");
    v.check((-180.0..=180.0).contains(&lon), format!("{field}.lon"), "must be a longitude between -180 and 180");
}

impl DeliveryProblem {
    /// Everything wrong with the problem at once, by field; an empty fleet is an error, a stop no
    /// vehicle can serve is not (the plan names it with its reason).
    pub fn validate(&self) -> ServiceResult<()> {
        let mut v = Violations::new();
        v.check(!self.depots.is_empty(), "depots", "at least one depot is needed");
        v.check(!self.vehicles.is_empty(), "vehicles", "no vehicles: at least one is needed to plan");
        v.check(self.vehicles.len() <= MAX_VEHICLES, "vehicles", format!("at most {MAX_VEHICLES} vehicles"));
        v.check(!self.stops.is_empty(), "stops", "nothing to deliver: at least one stop is needed");
        v.check(self.stops.len() <= MAX_STOPS, "stops", format!("at most {MAX_STOPS} stops in one problem"));
        v.check(self.currency.is_valid(), "currency", "must be a 3-letter ISO 4217 code");
        let mut ids = HashSet::new();
        let mut unique = |v: &mut Violations, field: String, id: &str| {
            v.check(!id.trim().is_empty() && id.len() <= 100, field.clone(), "must be 1 to 100 characters");
            v.check(
                ids.insert(id.to_string()),
                field,
                format!("duplicate id {id:?}: depot, vehicle and stop ids must be unique"),
            );
        };
        for (i, d) in self.depots.iter().enumerate() {
            unique(&mut v, format!("depots[{i}].id"), &d.id);
            check_point(&mut v, &format!("depots[{i}]"), d.lat, d.lon);
        }
        for (i, s) in self.stops.iter().enumerate() {
            let f = format!("stops[{i}]");
            unique(&mut v, format!("{f}.id"), &s.id);
            check_point(&mut v, &f, s.lat, s.lon);
            v.check(
                s.demand_kg.is_finite() && s.demand_kg >= 0.0 && s.demand_kg <= 1e6,
                format!("{f}.demand_kg"),
                "must be a number of kilograms between 0 and 1000000",
            );
            v.check(s.cases >= 0, format!("{f}.cases"), "must not be negative");
            v.check(
                s.service_minutes.is_finite() && (0.0..=1440.0).contains(&s.service_minutes),
                format!("{f}.service_minutes"),
                "must be between 0 and 1440",
            );
            v.check(
                s.window_start.is_some() == s.window_end.is_some(),
                format!("{f}.window_end"),
                "give both ends of the window or neither",
            );
            if let (Some(a), Some(b)) = (s.window_start, s.window_end) {
                v.check(b >= a, format!("{f}.window_end"), "is before window_start");
            }
            v.check(
                s.skip_penalty_minor.is_none_or(|p| p >= 0),
                format!("{f}.skip_penalty_minor"),
                "must not be negative",
            );
        }
        let depots: HashSet<&str> = self.depots.iter().map(|d| d.id.as_str()).collect();
        for (i, k) in self.vehicles.iter().enumerate() {
            let f = format!("vehicles[{i}]");
            unique(&mut v, format!("{f}.id"), &k.id);
            v.check(
                depots.contains(k.depot_id.as_str()),
                format!("{f}.depot_id"),
                format!("no depot {:?} in this problem", k.depot_id),
            );
            v.check(
                k.capacity_kg.is_finite() && k.capacity_kg > 0.0 && k.capacity_kg <= 1e6,
                format!("{f}.capacity_kg"),
                "must be more than 0 and at most 1000000",
            );
            for (field, value) in [
                ("fixed_cost_minor", k.fixed_cost_minor),
                ("cost_per_km_minor", k.cost_per_km_minor),
                ("cost_per_hour_minor", k.cost_per_hour_minor),
            ] {
                v.check(
                    (0..=1_000_000_000).contains(&value),
                    format!("{f}.{field}"),
                    "must be between 0 and 1000000000",
                );
            }
            v.check(k.shift_end > k.shift_start, format!("{f}.shift_end"), "must be after shift_start");
            v.check(
                k.shift_end - k.shift_start <= chrono::Duration::days(7),
                format!("{f}.shift_end"),
                "a shift is at most 7 days",
            );
            v.check((1..=10).contains(&k.trips), format!("{f}.trips"), "must be between 1 and 10");
            v.check(k.max_km.is_none_or(|m| m.is_finite() && m > 0.0), format!("{f}.max_km"), "must be positive");
        }
        v.check(
            self.time_limit_s.is_none_or(|t| t.is_finite() && (0.1..=600.0).contains(&t)),
            "time_limit_s",
            "must be between 0.1 and 600 seconds",
        );
        v.check(
            self.travel.road_factor.is_finite() && self.travel.road_factor >= 1.0,
            "travel.road_factor",
            "must be at least 1",
        );
        if v.is_empty() {
            if let Some(m) = &self.matrix {
                let size = self.depots.len() + self.stops.len();
                for (what, values) in [("km", &m.km), ("minutes", &m.minutes)] {
                    if let Err(e) = retail_supply::validate_matrix(size, values, what) {
                        v.push(format!("matrix.{what}"), self.describe_matrix_error(e));
                    }
                }
            } else if let Err(e) = self.travel_model() {
                v.push("travel", e.to_string());
            }
        }
        v.into_result().map_err(ServiceError::Invalid)
    }

    /// A matrix error with the rows and columns named by their depot or stop ids.
    fn describe_matrix_error(&self, e: retail_supply::GeoError) -> String {
        match e {
            retail_supply::GeoError::MatrixEntry { row, col, value, .. } => format!(
                "entry from {:?} to {:?} is {value}: distances and times must be finite and not negative",
                self.point_id(row),
                self.point_id(col)
            ),
            other => other.to_string(),
        }
    }

    fn point_id(&self, index: usize) -> &str {
        if index < self.depots.len() {
            &self.depots[index].id
        } else {
            self.stops.get(index - self.depots.len()).map_or("?", |s| s.id.as_str())
        }
    }

    fn travel_model(&self) -> Result<TravelModel, retail_supply::GeoError> {
        let mut model = TravelModel { road_factor: self.travel.road_factor, ..TravelModel::default() };
        if let Some(bands) = &self.travel.speed_bands {
            model.speed = SpeedProfile {
                bands: bands.iter().map(|&(up_to_km, kmh)| SpeedBand { up_to_km, kmh }).collect(),
                beyond_kmh: self.travel.beyond_kmh.unwrap_or(model.speed.beyond_kmh),
            };
        } else if let Some(b) = self.travel.beyond_kmh {
            model.speed.beyond_kmh = b;
        }
        model.validate()?;
        Ok(model)
    }

    fn points(&self) -> Vec<GeoPoint> {
        self.depots
            .iter()
            .map(|d| GeoPoint { lat: d.lat, lon: d.lon })
            .chain(self.stops.iter().map(|s| GeoPoint { lat: s.lat, lon: s.lon }))
            .collect()
    }

    /// The search time: as asked, else growing with the problem's size.
    pub fn time_limit(&self) -> Duration {
        let default = (self.stops.len() as f64 / 25.0).clamp(2.0, 60.0);
        Duration::from_secs_f64(self.time_limit_s.unwrap_or(default))
    }

    /// The clock origin of the instance: the earliest shift start or window.
    fn origin(&self) -> DateTime<Utc> {
        let shifts = self.vehicles.iter().map(|v| v.shift_start);
        let windows = self.stops.iter().filter_map(|s| s.window_start);
        shifts.chain(windows).min().unwrap_or_default()
    }

    /// The routing engine's instance: metres, seconds, 10 g load units and cost in thousandths of
    /// a minor unit. Vehicle type `i` is trip `t` of vehicle `v` as listed by `trips`.
    pub(crate) fn instance(&self) -> ServiceResult<(Instance, Vec<(usize, u32)>)> {
        self.validate()?;
        let size = self.depots.len() + self.stops.len();
        let (km, minutes) = match &self.matrix {
            Some(m) => (m.km.clone(), m.minutes.clone()),
            None => {
                let model = self.travel_model().map_err(|e| crate::service::invalid("travel", e.to_string()))?;
                let m = model.matrices(&self.points()).map_err(|e| crate::service::invalid("stops", e.to_string()))?;
                (m.km, m.minutes)
            }
        };
        let metres: Vec<f64> = km.iter().map(|k| k * 1000.0).collect();
        let seconds: Vec<f64> = minutes.iter().map(|m| m * 60.0).collect();
        let engine = |e: retail_routing::InstanceError| crate::service::invalid("matrix", e.to_string());
        let distances = Matrix::from_f64(size, &metres, 1.0).map_err(engine)?;
        let durations = Matrix::from_f64(size, &seconds, 1.0).map_err(engine)?;
        let origin = self.origin();
        let at = |t: DateTime<Utc>| (t - origin).num_seconds();
        let depot_index = |id: &str| self.depots.iter().position(|d| d.id == id).unwrap_or(0);
        let mut vehicle_types = Vec::new();
        let mut trips = Vec::new();
        for (vi, v) in self.vehicles.iter().enumerate() {
            let (start, end) = (at(v.shift_start), at(v.shift_end));
            let length = (end - start) / i64::from(v.trips);
            for t in 0..v.trips {
                let trip_start = start + length * i64::from(t);
                let trip_end = if t + 1 == v.trips { end } else { trip_start + length };
                let depot = depot_index(&v.depot_id);
                vehicle_types.push(VehicleType {
                    id: format!("{}#{}", v.id, t + 1),
                    count: 1,
                    capacity: (v.capacity_kg * LOAD_PER_KG).floor() as i64,
                    // The engine prices trips apart: the day's fixed cost rides on the first trip, so
                    // a later trip of a vehicle already out is free, as it is. A later trip driven
                    // alone is moved onto an identical vehicle's free slot after the search
                    // (`repack`), and the plan charges every vehicle it uses once.
                    fixed_cost: if t == 0 { v.fixed_cost_minor * COST_SCALE } else { 0 },
                    cost_per_distance: v.cost_per_km_minor,
                    cost_per_time: ((v.cost_per_hour_minor * COST_SCALE) as f64 / 3600.0).round() as i64,
                    start_depot: depot,
                    end_depot: depot,
                    shift: TimeWindow { start: trip_start, end: trip_end },
                    max_duration: None,
                    max_distance: v.max_km.map(|m| (m * 1000.0).round() as i64),
                });
                trips.push((vi, t + 1));
            }
        }
        let jobs = self
            .stops
            .iter()
            .enumerate()
            .map(|(i, s)| Job {
                id: s.id.clone(),
                location: self.depots.len() + i,
                demand: (s.demand_kg * LOAD_PER_KG).ceil() as i64,
                service: (s.service_minutes * 60.0).round() as i64,
                window: match (s.window_start, s.window_end) {
                    (Some(a), Some(b)) => TimeWindow { start: at(a), end: at(b) },
                    _ => TimeWindow::ALWAYS,
                },
                skip_penalty: s.skip_penalty_minor.map(|p| p.saturating_mul(COST_SCALE)),
            })
            .collect();
        let points = self.points();
        let instance = Instance {
            name: self.name.clone(),
            // A local equirectangular projection keeps the solver's geometric pruning meaningful.
            coordinates: Some(
                points
                    .iter()
                    .map(|p| Point { x: p.lon * p.lat.to_radians().cos() * 111.32, y: p.lat * 110.57 })
                    .collect(),
            ),
            depots: self.depots.iter().enumerate().map(|(i, d)| Depot { id: d.id.clone(), location: i }).collect(),
            jobs,
            vehicle_types,
            distances,
            durations,
            distance_scale: 1,
        };
        Ok((instance, trips))
    }

    /// Solves the problem and returns the plan, refusing to return one the independent checker
    /// finds wrong.
    pub fn solve(&self, seed: u64, threads: usize) -> ServiceResult<DeliveryPlan> {
        let (instance, trips) = self.instance()?;
        let params = SolverParams { seed, time_limit: self.time_limit(), threads, ..SolverParams::default() };
        let solution =
            retail_routing::solve(&instance, &params).map_err(|e| crate::service::invalid("problem", e.to_string()))?;
        if let Err(violations) = retail_routing::verify(&instance, &solution) {
            return Err(ServiceError::Internal(format!(
                "the routing engine returned a plan its checker refuses: {violations:?}"
            )));
        }
        self.plan(&instance, &trips, &solution)
    }

    /// Which vehicle drives each route, and in which of its trips. Identical vehicles (same depot,
    /// payload, costs, shift and trips) are interchangeable, so the routes of each trip slot are
    /// handed to the group's first vehicles: a vehicle that would only drive a later trip takes an
    /// earlier vehicle's free slot instead, and fewer vehicles are paid for.
    fn repack(&self, trips: &[(usize, u32)], routes: &[retail_routing::Route]) -> Vec<(usize, u32)> {
        let identical = |a: &ProblemVehicle, b: &ProblemVehicle| {
            (&a.depot_id, a.fixed_cost_minor, a.cost_per_km_minor, a.cost_per_hour_minor)
                == (&b.depot_id, b.fixed_cost_minor, b.cost_per_km_minor, b.cost_per_hour_minor)
                && (a.shift_start, a.shift_end, a.trips) == (b.shift_start, b.shift_end, b.trips)
                && a.capacity_kg == b.capacity_kg
                && a.max_km == b.max_km
        };
        let group: Vec<usize> = (0..self.vehicles.len())
            .map(|i| (0..=i).find(|&j| identical(&self.vehicles[j], &self.vehicles[i])).unwrap_or(i))
            .collect();
        let mut drivers: Vec<(usize, u32)> = routes.iter().map(|r| trips[r.vehicle_type]).collect();
        let mut slots: std::collections::BTreeMap<(usize, u32), Vec<usize>> = std::collections::BTreeMap::new();
        for (route, &(vi, trip)) in drivers.iter().enumerate() {
            slots.entry((group[vi], trip)).or_default().push(route);
        }
        for ((leader, trip), mut members) in slots {
            members.sort_by_key(|&r| drivers[r].0);
            let fleet = (0..self.vehicles.len()).filter(|&i| group[i] == leader);
            for (route, vehicle) in members.into_iter().zip(fleet) {
                drivers[route] = (vehicle, trip);
            }
        }
        drivers
    }

    fn plan(&self, instance: &Instance, trips: &[(usize, u32)], solution: &Solution) -> ServiceResult<DeliveryPlan> {
        let origin = self.origin();
        let time = |s: i64| origin + chrono::Duration::seconds(s);
        let km = |a: usize, b: usize| instance.distances.get(a, b) as f64 / 1000.0;
        let mut usages = Vec::new();
        let mut routes = Vec::new();
        // A vehicle's fixed cost is paid once, on the first trip it actually drives.
        let mut charged = HashSet::new();
        let drivers = self.repack(trips, &solution.routes);
        let mut by_trip: Vec<(&retail_routing::Route, (usize, u32))> = solution.routes.iter().zip(drivers).collect();
        by_trip.sort_by_key(|(_, driver)| *driver);
        for (route, (vi, trip)) in by_trip {
            let vehicle = &self.vehicles[vi];
            let depot = instance.start_location(route.vehicle_type);
            let locations: Vec<usize> = std::iter::once(depot)
                .chain(route.stops.iter().map(|s| instance.jobs[s.job].location))
                .chain(std::iter::once(instance.end_location(route.vehicle_type)))
                .collect();
            let mut stops = Vec::new();
            let mut stop_usage = Vec::new();
            for (k, s) in route.stops.iter().enumerate() {
                let stop = &self.stops[s.job];
                let (prev, here, next) = (locations[k], locations[k + 1], locations[k + 2]);
                stop_usage.push(StopUsage {
                    stop_id: stop.id.clone(),
                    location_id: stop.reference.clone().unwrap_or_else(|| stop.id.clone()),
                    cases: stop.cases,
                    load: instance.jobs[s.job].demand,
                    detour_km: km(prev, here) + km(here, next) - km(prev, next),
                });
                stops.push(PlannedStop {
                    sequence: k + 1,
                    stop_id: stop.id.clone(),
                    reference: stop.reference.clone(),
                    name: stop.name.clone(),
                    lat: stop.lat,
                    lon: stop.lon,
                    eta: time(s.arrival),
                    service_start: time(s.service_start),
                    window_start: stop.window_start,
                    window_end: stop.window_end,
                    demand_kg: stop.demand_kg,
                    cases: stop.cases,
                    km_from_previous: km(prev, here),
                    cost_minor: 0,
                });
            }
            let vt = &instance.vehicle_types[route.vehicle_type];
            let shift_h = (vt.shift.end - vt.shift.start) as f64 / 3600.0;
            usages.push(RouteUsage {
                route_id: format!("{}-{}", vehicle.id, trip),
                vehicle_id: vehicle.id.clone(),
                capacity: vt.capacity,
                load: route.load,
                distance_km: route.distance as f64 / 1000.0,
                duration_h: route.duration as f64 / 3600.0,
                shift_h,
                fixed_cost_minor: if charged.insert(vi) { vehicle.fixed_cost_minor } else { 0 },
                cost_per_km_minor: vehicle.cost_per_km_minor,
                cost_per_hour_minor: vehicle.cost_per_hour_minor,
                stops: stop_usage,
            });
            routes.push(PlannedRoute {
                route_id: format!("{}-{}", vehicle.id, trip),
                vehicle_id: vehicle.id.clone(),
                trip,
                depot_id: vehicle.depot_id.clone(),
                departure: time(route.departure),
                return_at: time(route.return_time),
                load_kg: stops.iter().map(|s| s.demand_kg).sum(),
                capacity_kg: vehicle.capacity_kg,
                cases: stops.iter().map(|s| s.cases).sum(),
                distance_km: route.distance as f64 / 1000.0,
                duration_h: route.duration as f64 / 3600.0,
                fixed_minor: 0,
                distance_minor: 0,
                time_minor: 0,
                cost_minor: 0,
                cost_per_km: None,
                cost_per_case: None,
                utilisation: route.load as f64 / vt.capacity.max(1) as f64,
                time_utilisation: None,
                stops,
            });
        }
        let costs = transport_costs(&usages).map_err(|e| ServiceError::Internal(e.to_string()))?;
        for (route, cost) in routes.iter_mut().zip(&costs.routes) {
            route.fixed_minor = cost.fixed_minor;
            route.distance_minor = cost.distance_minor;
            route.time_minor = cost.time_minor;
            route.cost_minor = cost.total_minor;
            route.cost_per_km = cost.cost_per_km;
            route.cost_per_case = cost.cost_per_case;
            route.time_utilisation = cost.time_utilisation;
            for (stop, share) in route.stops.iter_mut().zip(&cost.stops) {
                stop.cost_minor = share.total_minor;
            }
        }
        let unassigned: Vec<UnservedStop> = solution
            .unassigned
            .iter()
            .map(|u| {
                let stop = &self.stops[u.job];
                let (reason, message) = describe(u.reason, stop);
                UnservedStop {
                    stop_id: stop.id.clone(),
                    reference: stop.reference.clone(),
                    reason: reason.into(),
                    message,
                }
            })
            .collect();
        let capacity: f64 = routes.iter().map(|r| r.capacity_kg).sum();
        let load_kg: f64 = routes.iter().map(|r| r.load_kg).sum();
        let totals = PlanTotals {
            routes: routes.len(),
            vehicles: routes.iter().map(|r| r.vehicle_id.as_str()).collect::<HashSet<_>>().len(),
            stops: routes.iter().map(|r| r.stops.len()).sum(),
            unassigned: unassigned.len(),
            distance_km: routes.iter().map(|r| r.distance_km).sum(),
            duration_h: routes.iter().map(|r| r.duration_h).sum(),
            load_kg,
            cases: routes.iter().map(|r| r.cases).sum(),
            cost_minor: costs.total_minor,
            fixed_minor: routes.iter().map(|r| r.fixed_minor).sum(),
            distance_minor: routes.iter().map(|r| r.distance_minor).sum(),
            time_minor: routes.iter().map(|r| r.time_minor).sum(),
            utilisation: if capacity > 0.0 { load_kg / capacity } else { 0.0 },
        };
        Ok(DeliveryPlan {
            name: self.name.clone(),
            currency: self.currency.clone(),
            depots: self.depots.clone(),
            totals,
            routes,
            unassigned,
            iterations: solution.iterations,
            solve_ms: solution.elapsed.as_millis() as u64,
            warnings: self.warnings.clone(),
            timezone: self.timezone.clone().unwrap_or_else(utc),
        })
    }
}

/// The reason's code and a sentence a planner can act on.
fn describe(reason: UnassignedReason, stop: &ProblemStop) -> (&'static str, String) {
    match reason {
        UnassignedReason::CapacityExceeded => (
            "capacity_exceeded",
            format!(
                "{:.1} kg is more than any vehicle carries; split the delivery or add a larger vehicle",
                stop.demand_kg
            ),
        ),
        UnassignedReason::TimeWindowUnreachable => (
            "time_window_unreachable",
            "no vehicle can reach it inside its window and be back by the end of its shift".into(),
        ),
        UnassignedReason::MaxDurationExceeded => {
            ("max_duration_exceeded", "serving it alone already takes longer than a trip may last".into())
        }
        UnassignedReason::MaxDistanceExceeded => {
            ("max_distance_exceeded", "serving it alone is already further than a vehicle may drive".into())
        }
        UnassignedReason::NoVehicle => ("no_vehicle", "the fleet has no room left for it on this day".into()),
        UnassignedReason::NotProfitable => ("not_profitable", "leaving it out costs less than its penalty".into()),
    }
}

/// The plan's stops as a CSV manifest, one row per stop in driving order.
pub fn manifest_csv(plan: &DeliveryPlan) -> String {
    // Both arrays are typed with the column count, so a row can never disagree with the header.
    const HEADER: [&str; 16] = [
        "vehicle",
        "trip",
        "sequence",
        "stop",
        "reference",
        "name",
        "lat",
        "lon",
        "eta",
        "eta_local",
        "window_start",
        "window_end",
        "kg",
        "cases",
        "km_from_previous",
        "cost",
    ];
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut write = |record: &[String]| out.write_record(record).expect("rows have the header's columns");
    write(&HEADER.map(str::to_string));
    for r in &plan.routes {
        for s in &r.stops {
            let row: [String; 16] = [
                r.vehicle_id.clone(),
                r.trip.to_string(),
                s.sequence.to_string(),
                s.stop_id.clone(),
                s.reference.clone().unwrap_or_default(),
                s.name.clone().unwrap_or_default(),
                format!("{:.6}", s.lat),
                format!("{:.6}", s.lon),
                s.eta.to_rfc3339(),
                plan.clock(s.eta),
                s.window_start.map(|t| t.to_rfc3339()).unwrap_or_default(),
                s.window_end.map(|t| t.to_rfc3339()).unwrap_or_default(),
                format!("{:.1}", s.demand_kg),
                s.cases.to_string(),
                format!("{:.2}", s.km_from_previous),
                format!("{:.2}", s.cost_minor as f64 / 100.0),
            ];
            write(&row);
        }
    }
    String::from_utf8(out.into_inner().expect("writing to memory")).expect("the fields are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn van(id: &str, capacity_kg: f64) -> ProblemVehicle {
        ProblemVehicle {
            id: id.into(),
            depot_id: "D".into(),
            capacity_kg,
            fixed_cost_minor: 35_000,
            cost_per_km_minor: 180,
            cost_per_hour_minor: 4_500,
            shift_start: "2026-12-01T00:00:00Z".parse().unwrap(),
            shift_end: "2026-12-01T12:00:00Z".parse().unwrap(),
            trips: 2,
            max_km: None,
        }
    }

    fn route(vehicle_type: usize) -> retail_routing::Route {
        retail_routing::Route {
            vehicle_type,
            vehicle: 0,
            stops: Vec::new(),
            departure: 0,
            return_time: 0,
            load: 0,
            distance: 0,
            duration: 0,
            cost: 0,
        }
    }

    #[test]
    fn later_trips_driven_alone_move_to_an_identical_vehicle() {
        let problem = DeliveryProblem {
            name: String::new(),
            currency: Currency::cny(),
            depots: vec![ProblemDepot { id: "D".into(), lat: 31.2, lon: 121.4 }],
            vehicles: vec![van("A", 800.0), van("B", 800.0), van("BIG", 1500.0), van("C", 800.0)],
            stops: Vec::new(),
            travel: TravelSettings::default(),
            matrix: None,
            time_limit_s: None,
            warnings: Vec::new(),
            timezone: None,
        };
        // Vehicle types are (vehicle, trip) in order: A#1 A#2 B#1 B#2 BIG#1 BIG#2 C#1 C#2.
        let trips: Vec<(usize, u32)> = (0..4).flat_map(|v| [(v, 1), (v, 2)]).collect();
        // A drives trip 1, B only trip 2, BIG only trip 2, C both.
        let routes = [route(0), route(3), route(5), route(6), route(7)];
        let drivers = problem.repack(&trips, &routes);
        assert_eq!(drivers, [(0, 1), (0, 2), (2, 2), (1, 1), (1, 2)], "B's trip goes to A; BIG has no twin");
        let used: HashSet<usize> = drivers.iter().map(|d| d.0).collect();
        assert_eq!(used.len(), 3, "three vehicles paid for instead of four");
    }
}
