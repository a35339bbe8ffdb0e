//! Orders and their lifecycle, payments and shipments.

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::money::Currency;
use crate::text::Text;
use crate::validate::{Validate, Violations, text_field};
use chrono::{DateTime, Utc};

/// Where an order stands. Transitions follow [`OrderStatus::can_become`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Placed,
    Paid,
    Picked,
    Shipped,
    Delivered,
    Cancelled,
    Returned,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] =
        [Self::Placed, Self::Paid, Self::Picked, Self::Shipped, Self::Delivered, Self::Cancelled, Self::Returned];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "placed",
            Self::Paid => "paid",
            Self::Picked => "picked",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Returned => "returned",
        }
    }

    /// The lifecycle: placed → paid → picked → shipped → delivered → returned, and
    /// cancellation any time before shipping. Nothing leaves cancelled or returned.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Placed, Paid)
                | (Paid, Picked)
                | (Picked, Shipped)
                | (Shipped, Delivered)
                | (Delivered, Returned)
                | (Placed | Paid | Picked, Cancelled)
        )
    }

    pub fn is_final(self) -> bool {
        OrderStatus::ALL.iter().all(|n| !self.can_become(*n))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderChannel {
    Online,
    Store,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub product_id: String,
    pub quantity: i64,
    /// Price per unit actually charged, before the line discount.
    pub unit_price_minor: i64,
    #[serde(default)]
    pub discount_minor: i64,
}

impl OrderLine {
    pub fn total_minor(&self) -> i64 {
        self.quantity * self.unit_price_minor - self.discount_minor
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// e.g. `wechat_pay`, `alipay`, `card`, `cash`.
    pub method: String,
    pub amount_minor: i64,
    pub paid_at: DateTime<Utc>,
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_no: String,
    pub shipped_at: DateTime<Utc>,
    #[serde(default)]
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub external_id: String,
    /// Absent for anonymous in-store purchases.
    #[serde(default)]
    pub customer_id: Option<String>,
    pub channel: OrderChannel,
    /// The store or fulfilment point that serves the order.
    pub location_id: String,
    pub status: OrderStatus,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    #[serde(default)]
    pub payments: Vec<Payment>,
    #[serde(default)]
    pub shipments: Vec<Shipment>,
    #[serde(default)]
    pub delivery_address: Option<Text>,
    /// Where and when a home delivery goes; absent for collection and store sales.
    #[serde(default)]
    pub delivery: Option<crate::logistics::HomeDelivery>,
    pub placed_at: DateTime<Utc>,
    /// When the status last changed; defaults to `placed_at`.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Order {
    pub fn total_minor(&self) -> i64 {
        self.lines.iter().map(OrderLine::total_minor).sum()
    }

    pub fn paid_minor(&self) -> i64 {
        self.payments.iter().map(|p| p.amount_minor).sum()
    }
}

impl Validate for Order {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        v.optional_external_id("customer_id", self.customer_id.as_deref());
        v.external_id("location_id", &self.location_id);
        v.check(self.currency.is_valid(), "currency", "must be a 3-letter ISO 4217 code");
        v.check(!self.lines.is_empty(), "lines", "an order needs at least one line");
        v.check(self.lines.len() <= 500, "lines", "at most 500 lines");
        for (i, l) in self.lines.iter().enumerate() {
            let f = format!("lines[{i}]");
            v.external_id(&format!("{f}.product_id"), &l.product_id);
            v.check(l.quantity > 0, format!("{f}.quantity"), "must be positive");
            v.check(l.unit_price_minor >= 0, format!("{f}.unit_price_minor"), "must not be negative");
            v.check(
                l.discount_minor >= 0 && l.discount_minor <= l.quantity.saturating_mul(l.unit_price_minor),
                format!("{f}.discount_minor"),
                "must be between 0 and the line amount",
            );
        }
        for (i, p) in self.payments.iter().enumerate() {
            text_field(&mut v, &format!("payments[{i}].method"), &p.method, true, 32);
            v.check(p.amount_minor > 0, format!("payments[{i}].amount_minor"), "must be positive");
        }
        for (i, s) in self.shipments.iter().enumerate() {
            text_field(&mut v, &format!("shipments[{i}].carrier"), &s.carrier, true, 64);
            text_field(&mut v, &format!("shipments[{i}].tracking_no"), &s.tracking_no, true, 64);
            v.check(
                s.delivered_at.is_none_or(|d| d >= s.shipped_at),
                format!("shipments[{i}].delivered_at"),
                "is before shipped_at",
            );
        }
        if let Some(d) = &self.delivery {
            d.validate_into(&mut v, "delivery");
        }
        if let Some(u) = self.updated_at {
            v.check(u >= self.placed_at, "updated_at", "is before placed_at");
        }
        v.into_result()
    }
}

impl Entity for Order {
    const KIND: EntityKind = EntityKind::Order;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        let mut r = vec![(EntityKind::Location, self.location_id.as_str(), "location_id".to_string())];
        if let Some(c) = &self.customer_id {
            r.push((EntityKind::Customer, c.as_str(), "customer_id".to_string()));
        }
        for (i, l) in self.lines.iter().enumerate() {
            r.push((EntityKind::Product, l.product_id.as_str(), format!("lines[{i}].product_id")));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    #[test]
    fn lifecycle_allows_the_happy_path_and_early_cancel() {
        for w in [Placed, Paid, Picked, Shipped, Delivered, Returned].windows(2) {
            assert!(w[0].can_become(w[1]), "{:?} -> {:?}", w[0], w[1]);
        }
        assert!(Paid.can_become(Cancelled));
        assert!(!Shipped.can_become(Cancelled));
        assert!(!Delivered.can_become(Paid));
        assert!(!Placed.can_become(Placed));
        assert!(Cancelled.is_final() && Returned.is_final() && !Delivered.is_final());
    }

    #[test]
    fn totals_and_line_checks() {
        let t: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut o = Order {
            delivery: None,
            external_id: "O1".into(),
            customer_id: Some("C1".into()),
            channel: OrderChannel::Online,
            location_id: "S1".into(),
            status: Placed,
            currency: Currency::cny(),
            lines: vec![
                OrderLine { product_id: "P1".into(), quantity: 2, unit_price_minor: 500, discount_minor: 100 },
                OrderLine { product_id: "P2".into(), quantity: 1, unit_price_minor: 300, discount_minor: 0 },
            ],
            payments: vec![],
            shipments: vec![],
            delivery_address: None,
            placed_at: t,
            updated_at: None,
        };
        assert_eq!(o.total_minor(), 1200);
        o.validate().unwrap();
        assert_eq!(o.references().len(), 4);
        o.lines[1].quantity = -3;
        let err = o.validate().unwrap_err();
        assert!(err.0.iter().any(|v| v.field == "lines[1].quantity"));
    }
}
