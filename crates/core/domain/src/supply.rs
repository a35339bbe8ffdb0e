//! Suppliers, purchase orders and goods receipts.

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::location::yes;
use crate::money::Currency;
use crate::text::Text;
use crate::validate::{Validate, Violations, text_field};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supplier {
    pub external_id: String,
    pub name: Text,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Mean days from order to delivery.
    pub lead_time_days: f64,
    /// Standard deviation of the lead time, for safety stock.
    #[serde(default)]
    pub lead_time_std_days: f64,
    /// Smallest order value the supplier accepts, in minor units.
    #[serde(default)]
    pub min_order_minor: i64,
    pub currency: Currency,
    #[serde(default = "yes")]
    pub active: bool,
}

impl Validate for Supplier {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        self.name.validate_into(&mut v, "name", 200);
        text_field(&mut v, "contact_name", &self.contact_name, false, 100);
        v.check(
            self.lead_time_days.is_finite() && (0.0..=365.0).contains(&self.lead_time_days),
            "lead_time_days",
            "must be between 0 and 365",
        );
        v.check(
            self.lead_time_std_days.is_finite() && (0.0..=365.0).contains(&self.lead_time_std_days),
            "lead_time_std_days",
            "must be between 0 and 365",
        );
        v.check(self.min_order_minor >= 0, "min_order_minor", "must not be negative");
        v.check(self.currency.is_valid(), "currency", "must be a 3-letter ISO 4217 code");
        v.into_result()
    }
}

impl Entity for Supplier {
    const KIND: EntityKind = EntityKind::Supplier;
    fn external_id(&self) -> &str {
        &self.external_id
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseOrderStatus {
    Draft,
    Submitted,
    Confirmed,
    PartiallyReceived,
    Received,
    Cancelled,
}

impl PurchaseOrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Confirmed => "confirmed",
            Self::PartiallyReceived => "partially_received",
            Self::Received => "received",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseLine {
    pub product_id: String,
    pub quantity: i64,
    pub unit_cost_minor: i64,
    /// Quantity received so far.
    #[serde(default)]
    pub received_quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrder {
    pub external_id: String,
    pub supplier_id: String,
    /// Where the goods are delivered.
    pub location_id: String,
    pub status: PurchaseOrderStatus,
    pub currency: Currency,
    pub lines: Vec<PurchaseLine>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub expected_at: Option<DateTime<Utc>>,
}

impl Validate for PurchaseOrder {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        v.external_id("supplier_id", &self.supplier_id);
        v.external_id("location_id", &self.location_id);
        v.check(self.currency.is_valid(), "currency", "must be a 3-letter ISO 4217 code");
        v.check(!self.lines.is_empty(), "lines", "a purchase order needs at least one line");
        for (i, l) in self.lines.iter().enumerate() {
            let f = format!("lines[{i}]");
            v.external_id(&format!("{f}.product_id"), &l.product_id);
            v.check(l.quantity > 0, format!("{f}.quantity"), "must be positive");
            v.check(l.unit_cost_minor >= 0, format!("{f}.unit_cost_minor"), "must not be negative");
            v.check(
                (0..=l.quantity).contains(&l.received_quantity),
                format!("{f}.received_quantity"),
                "must be between 0 and quantity",
            );
        }
        if let Some(e) = self.expected_at {
            v.check(e >= self.created_at, "expected_at", "is before created_at");
        }
        v.into_result()
    }
}

impl Entity for PurchaseOrder {
    const KIND: EntityKind = EntityKind::PurchaseOrder;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        let mut r = vec![
            (EntityKind::Supplier, self.supplier_id.as_str(), "supplier_id".to_string()),
            (EntityKind::Location, self.location_id.as_str(), "location_id".to_string()),
        ];
        for (i, l) in self.lines.iter().enumerate() {
            r.push((EntityKind::Product, l.product_id.as_str(), format!("lines[{i}].product_id")));
        }
        r
    }
}

/// A day of the week a supplier delivers on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryDay {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl DeliveryDay {
    pub fn of(date: NaiveDate) -> Self {
        [Self::Mon, Self::Tue, Self::Wed, Self::Thu, Self::Fri, Self::Sat, Self::Sun]
            [date.weekday().num_days_from_monday() as usize]
    }
}

/// A supplier's agreed terms for one SKU: price, minimum order, case size,
/// lead time and the days it delivers, for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    pub external_id: String,
    pub supplier_id: String,
    pub product_id: String,
    pub currency: Currency,
    pub unit_cost_minor: i64,
    /// Minimum order quantity in units.
    #[serde(default)]
    pub min_order_units: i64,
    /// Units per case; orders are whole cases.
    #[serde(default = "one_unit")]
    pub pack_size: u32,
    pub lead_time_days: f64,
    /// Days the supplier delivers; empty means any day.
    #[serde(default)]
    pub delivery_days: Vec<DeliveryDay>,
    pub valid_from: NaiveDate,
    /// Last day the terms hold; absent means until replaced.
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
}

fn one_unit() -> u32 {
    1
}

impl Contract {
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|end| day <= end)
    }
}

impl Validate for Contract {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        v.external_id("supplier_id", &self.supplier_id);
        v.external_id("product_id", &self.product_id);
        v.check(self.currency.is_valid(), "currency", "must be a 3-letter ISO 4217 code");
        v.check(self.unit_cost_minor >= 0, "unit_cost_minor", "must not be negative");
        v.check(self.min_order_units >= 0, "min_order_units", "must not be negative");
        v.check(self.pack_size >= 1, "pack_size", "must be at least 1");
        v.check(
            self.lead_time_days.is_finite() && (0.0..=365.0).contains(&self.lead_time_days),
            "lead_time_days",
            "must be between 0 and 365",
        );
        if let Some(end) = self.valid_to {
            v.check(end >= self.valid_from, "valid_to", "is before valid_from");
        }
        v.into_result()
    }
}

impl Entity for Contract {
    const KIND: EntityKind = EntityKind::Contract;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        vec![
            (EntityKind::Supplier, self.supplier_id.as_str(), "supplier_id".to_string()),
            (EntityKind::Product, self.product_id.as_str(), "product_id".to_string()),
        ]
    }
}

/// Goods arriving at a location, usually against a purchase order. Storing a
/// receipt records receipt movements in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodsReceipt {
    pub external_id: String,
    #[serde(default)]
    pub purchase_order_id: Option<String>,
    pub location_id: String,
    pub lines: Vec<ReceiptLine>,
    pub received_at: DateTime<Utc>,
    /// Freight, duties and other costs of this delivery, for landed cost.
    #[serde(default)]
    pub charges: Vec<Charge>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLine {
    pub product_id: String,
    /// Units accepted into stock.
    pub quantity: i64,
    #[serde(default)]
    pub unit_cost_minor: Option<i64>,
    /// Units refused at the dock for quality (damaged, short-dated, wrong
    /// item); not part of `quantity` and never in stock.
    #[serde(default)]
    pub rejected_quantity: i64,
}

/// What a landed-cost charge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    Freight,
    Duty,
    Insurance,
    Handling,
    Other,
}

/// How a charge is spread over a receipt's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AllocationBasis {
    Value,
    Weight,
    Volume,
    Quantity,
}

/// A cost of bringing a receipt's goods in, on top of their purchase price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Charge {
    pub kind: ChargeKind,
    pub amount_minor: i64,
    pub basis: AllocationBasis,
}

impl Validate for GoodsReceipt {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        v.optional_external_id("purchase_order_id", self.purchase_order_id.as_deref());
        v.external_id("location_id", &self.location_id);
        v.check(!self.lines.is_empty(), "lines", "a receipt needs at least one line");
        for (i, l) in self.lines.iter().enumerate() {
            v.external_id(&format!("lines[{i}].product_id"), &l.product_id);
            v.check(l.quantity > 0, format!("lines[{i}].quantity"), "must be positive");
            v.check(
                l.unit_cost_minor.is_none_or(|c| c >= 0),
                format!("lines[{i}].unit_cost_minor"),
                "must not be negative",
            );
            v.check(l.rejected_quantity >= 0, format!("lines[{i}].rejected_quantity"), "must not be negative");
        }
        for (i, c) in self.charges.iter().enumerate() {
            v.check(c.amount_minor >= 0, format!("charges[{i}].amount_minor"), "must not be negative");
        }
        v.into_result()
    }
}

impl Entity for GoodsReceipt {
    const KIND: EntityKind = EntityKind::GoodsReceipt;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        let mut r = vec![(EntityKind::Location, self.location_id.as_str(), "location_id".to_string())];
        if let Some(po) = &self.purchase_order_id {
            r.push((EntityKind::PurchaseOrder, po.as_str(), "purchase_order_id".to_string()));
        }
        for (i, l) in self.lines.iter().enumerate() {
            r.push((EntityKind::Product, l.product_id.as_str(), format!("lines[{i}].product_id")));
        }
        r
    }
}

impl GoodsReceipt {
    /// The receipt movements this receipt records in the ledger.
    pub fn movements(&self) -> Vec<crate::inventory::Movement> {
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| crate::inventory::Movement {
                movement_id: Some(format!("rcpt:{}:{i}", self.external_id)),
                location_id: self.location_id.clone(),
                product_id: l.product_id.clone(),
                kind: crate::inventory::MovementKind::Receipt,
                quantity: l.quantity,
                to_location_id: None,
                unit_value_minor: l.unit_cost_minor,
                reference: Some(self.purchase_order_id.clone().unwrap_or_else(|| self.external_id.clone())),
                occurred_at: self.received_at,
            })
            .collect()
    }
}
