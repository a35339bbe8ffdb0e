//! Moving goods: the delivery fleet, transfer orders from a distribution centre
//! to its stores, and where and when an online order is to be delivered.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::location::yes;
use crate::money::Currency;
use crate::text::Text;
use crate::validate::{Validate, Violations};

/// A delivery vehicle based at a depot (a distribution centre or the online
/// fulfilment point). Costs are what using it for a day actually costs: the
/// fixed part (driver day, lease) once, then per kilometre and per hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    pub external_id: String,
    pub name: Text,
    /// The location it starts from and returns to.
    pub depot_id: String,
    /// Payload in kilograms.
    pub capacity_kg: f64,
    pub currency: Currency,
    #[serde(default)]
    pub fixed_cost_minor: i64,
    #[serde(default)]
    pub cost_per_km_minor: i64,
    #[serde(default)]
    pub cost_per_hour_minor: i64,
    /// Local start and end of the driver's shift at the depot.
    pub shift_start: NaiveTime,
    pub shift_end: NaiveTime,
    /// Trips it may make in one shift, reloading at the depot between them.
    #[serde(default = "one_trip")]
    pub max_trips: u32,
    #[serde(default = "yes")]
    pub active: bool,
}

fn one_trip() -> u32 {
    1
}

impl Validate for Vehicle {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        self.name.validate_into(&mut v, "name", 100);
        v.external_id("depot_id", &self.depot_id);
        v.check(
            self.capacity_kg.is_finite() && self.capacity_kg > 0.0 && self.capacity_kg <= 100_000.0,
            "capacity_kg",
            "must be more than 0 and at most 100000",
        );
        v.check(self.currency.is_valid(), "currency", "must be a 3-letter ISO 4217 code");
        for (field, value) in [
            ("fixed_cost_minor", self.fixed_cost_minor),
            ("cost_per_km_minor", self.cost_per_km_minor),
            ("cost_per_hour_minor", self.cost_per_hour_minor),
        ] {
            v.check(value >= 0, field, "must not be negative");
        }
        v.check(self.shift_end > self.shift_start, "shift_end", "must be after shift_start (same day)");
        v.check((1..=10).contains(&self.max_trips), "max_trips", "must be between 1 and 10");
        v.into_result()
    }
}

impl Entity for Vehicle {
    const KIND: EntityKind = EntityKind::Vehicle;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        vec![(EntityKind::Location, self.depot_id.as_str(), "depot_id".to_string())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Waiting to be put on a delivery plan.
    Open,
    /// On a stored delivery plan.
    Planned,
    Dispatched,
    Delivered,
    Cancelled,
}

impl TransferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Planned => "planned",
            Self::Dispatched => "dispatched",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferLine {
    pub product_id: String,
    pub quantity: i64,
}

/// Goods to move from a distribution centre to a store on a given day, inside
/// the store's receiving window (local times).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferOrder {
    pub external_id: String,
    pub from_location_id: String,
    pub to_location_id: String,
    pub status: TransferStatus,
    /// The store's local business day the goods are due.
    pub deliver_on: NaiveDate,
    /// Receiving window at the store, local time; absent means any time in the
    /// vehicle's shift.
    #[serde(default)]
    pub window_start: Option<NaiveTime>,
    #[serde(default)]
    pub window_end: Option<NaiveTime>,
    pub lines: Vec<TransferLine>,
    pub created_at: DateTime<Utc>,
}

impl Validate for TransferOrder {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        v.external_id("from_location_id", &self.from_location_id);
        v.external_id("to_location_id", &self.to_location_id);
        v.check(self.from_location_id != self.to_location_id, "to_location_id", "must differ from from_location_id");
        v.check(self.window_start.is_some() == self.window_end.is_some(), "window_end", "give both ends or neither");
        if let (Some(s), Some(e)) = (self.window_start, self.window_end) {
            v.check(e > s, "window_end", "must be after window_start");
        }
        v.check(!self.lines.is_empty(), "lines", "a transfer needs at least one line");
        v.check(self.lines.len() <= 2000, "lines", "at most 2000 lines");
        for (i, l) in self.lines.iter().enumerate() {
            v.external_id(&format!("lines[{i}].product_id"), &l.product_id);
            v.check(l.quantity > 0, format!("lines[{i}].quantity"), "must be positive");
        }
        v.into_result()
    }
}

impl Entity for TransferOrder {
    const KIND: EntityKind = EntityKind::TransferOrder;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        let mut r = vec![
            (EntityKind::Location, self.from_location_id.as_str(), "from_location_id".to_string()),
            (EntityKind::Location, self.to_location_id.as_str(), "to_location_id".to_string()),
        ];
        for (i, l) in self.lines.iter().enumerate() {
            r.push((EntityKind::Product, l.product_id.as_str(), format!("lines[{i}].product_id")));
        }
        r
    }
}

/// Where and when an online order is delivered to the customer's door.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HomeDelivery {
    /// WGS84 latitude of the delivery address.
    pub lat: f64,
    /// WGS84 longitude of the delivery address.
    pub lon: f64,
    /// The delivery slot the customer chose.
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
}

impl HomeDelivery {
    pub(crate) fn validate_into(&self, v: &mut Violations, field: &str) {
        v.check((-90.0..=90.0).contains(&self.lat), format!("{field}.lat"), "must be a latitude between -90 and 90");
        v.check(
            (-180.0..=180.0).contains(&self.lon),
            format!("{field}.lon"),
            "must be a longitude between -180 and 180",
        );
        v.check(self.slot_end > self.slot_start, format!("{field}.slot_end"), "must be after slot_start");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer() -> TransferOrder {
        TransferOrder {
            external_id: "TO-1".into(),
            from_location_id: "DC01".into(),
            to_location_id: "S001".into(),
            status: TransferStatus::Open,
            deliver_on: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            window_start: NaiveTime::from_hms_opt(5, 0, 0),
            window_end: NaiveTime::from_hms_opt(10, 0, 0),
            lines: vec![TransferLine { product_id: "P1".into(), quantity: 12 }],
            created_at: "2026-11-25T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn transfers_need_a_real_window_and_another_place() {
        assert!(transfer().validate().is_ok());
        let mut t = transfer();
        t.window_end = NaiveTime::from_hms_opt(4, 0, 0);
        t.to_location_id = "DC01".into();
        t.lines[0].quantity = 0;
        let fields: Vec<String> = t.validate().unwrap_err().0.into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["to_location_id", "window_end", "lines[0].quantity"]);
        let mut half = transfer();
        half.window_end = None;
        assert!(half.validate().is_err());
    }

    #[test]
    fn vehicles_refuse_impossible_shifts_and_payloads() {
        let van = Vehicle {
            external_id: "V1".into(),
            name: Text::new("冷链车1", "Van 1"),
            depot_id: "ONLINE".into(),
            capacity_kg: f64::NAN,
            currency: Currency::cny(),
            fixed_cost_minor: -1,
            cost_per_km_minor: 150,
            cost_per_hour_minor: 4000,
            shift_start: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            shift_end: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            max_trips: 0,
            active: true,
        };
        let fields: Vec<String> = van.validate().unwrap_err().0.into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["capacity_kg", "fixed_cost_minor", "shift_end", "max_trips"]);
    }
}
