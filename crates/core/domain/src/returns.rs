//! The returns and exchanges policy: whether a customer may send an order line
//! back, and how much is refunded. The assistant decides with it and records the
//! request; a person decides only what the policy sends to them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::order::{Order, OrderStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnKind {
    /// Money back.
    Refund,
    /// The same product in another variant or another product of the same price.
    Exchange,
}

/// What the customer says about the goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemCondition {
    Unopened,
    Opened,
    /// Damaged, spoiled, wrong or short: the shop's fault, so windows and exclusions are wider.
    Defective,
}

/// The configurable rules. Defaults follow the common Chinese 7-day no-reason rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ReturnPolicy {
    /// Days after delivery (or purchase in store) within which a no-reason return is accepted.
    pub window_days: u32,
    /// Days within which a defective item is accepted, also for excluded categories.
    pub defect_window_days: u32,
    /// Categories never taken back without a defect (fresh food, infant formula…), besides
    /// perishable ones.
    pub excluded_categories: Vec<String>,
    /// Refunds above this amount (minor units) need a person's approval; 0: never.
    pub approval_above_minor: i64,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        Self { window_days: 7, defect_window_days: 15, excluded_categories: Vec::new(), approval_above_minor: 50_000 }
    }
}

/// Why a request was refused or sent to a person; the assistant words each in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ReturnReason {
    /// The order was never delivered (cancel it instead) or was already returned or cancelled.
    NotDelivered {
        status: OrderStatus,
    },
    AlreadyReturned,
    /// Past the window, counted from delivery.
    WindowPassed {
        days: i64,
        window_days: u32,
    },
    /// Perishable or excluded category, and the item is not defective.
    ExcludedCategory {
        category_id: String,
    },
    /// Opened items are taken back only when defective.
    Opened,
    /// The product is not on the order.
    NotOnOrder {
        product_id: String,
    },
    /// More units than the order holds.
    TooMany {
        ordered: i64,
        requested: i64,
    },
    AboveApprovalLimit {
        limit_minor: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnOutcome {
    Approved,
    /// Within policy but above the approval limit: a person confirms.
    NeedsApproval,
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReturnDecision {
    pub outcome: ReturnOutcome,
    /// What goes back to the customer (minor units): the line's paid share for the units returned.
    pub refund_minor: i64,
    pub reasons: Vec<ReturnReason>,
}

/// One line the customer wants to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnItem<'a> {
    pub product_id: &'a str,
    pub category_id: &'a str,
    pub perishable: bool,
    pub quantity: i64,
    pub condition: ItemCondition,
}

impl ReturnPolicy {
    /// Decides one item of `order` at `now`. Exchanges follow the same rules and refund nothing.
    pub fn decide(&self, order: &Order, item: &ReturnItem, kind: ReturnKind, now: DateTime<Utc>) -> ReturnDecision {
        let refused =
            |reason| ReturnDecision { outcome: ReturnOutcome::Refused, refund_minor: 0, reasons: vec![reason] };
        match order.status {
            OrderStatus::Delivered => {}
            OrderStatus::Returned => return refused(ReturnReason::AlreadyReturned),
            status => return refused(ReturnReason::NotDelivered { status }),
        }
        let lines: Vec<_> = order.lines.iter().filter(|l| l.product_id == item.product_id).collect();
        if lines.is_empty() {
            return refused(ReturnReason::NotOnOrder { product_id: item.product_id.to_string() });
        }
        let ordered: i64 = lines.iter().map(|l| l.quantity).sum();
        if item.quantity <= 0 || item.quantity > ordered {
            return refused(ReturnReason::TooMany { ordered, requested: item.quantity });
        }
        let defective = item.condition == ItemCondition::Defective;
        let delivered = order.shipments.iter().filter_map(|s| s.delivered_at).max().or(order.updated_at);
        let days = (now - delivered.unwrap_or(order.placed_at)).num_days();
        let window_days = if defective { self.defect_window_days } else { self.window_days };
        if days > i64::from(window_days) {
            return refused(ReturnReason::WindowPassed { days, window_days });
        }
        if !defective && (item.perishable || self.excluded_categories.iter().any(|c| c == item.category_id)) {
            return refused(ReturnReason::ExcludedCategory { category_id: item.category_id.to_string() });
        }
        if item.condition == ItemCondition::Opened {
            return refused(ReturnReason::Opened);
        }
        let refund_minor = match kind {
            ReturnKind::Exchange => 0,
            ReturnKind::Refund => {
                let paid: i64 = lines.iter().map(|l| l.total_minor()).sum();
                paid * item.quantity / ordered
            }
        };
        if self.approval_above_minor > 0 && refund_minor > self.approval_above_minor {
            return ReturnDecision {
                outcome: ReturnOutcome::NeedsApproval,
                refund_minor,
                reasons: vec![ReturnReason::AboveApprovalLimit { limit_minor: self.approval_above_minor }],
            };
        }
        ReturnDecision { outcome: ReturnOutcome::Approved, refund_minor, reasons: Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::order::{OrderChannel, OrderLine, Shipment};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn delivered_order() -> Order {
        Order {
            delivery: None,
            external_id: "O1".into(),
            customer_id: Some("C1".into()),
            channel: OrderChannel::Online,
            location_id: "S1".into(),
            status: OrderStatus::Delivered,
            currency: Currency::cny(),
            lines: vec![
                OrderLine { product_id: "P1".into(), quantity: 3, unit_price_minor: 1000, discount_minor: 300 },
                OrderLine { product_id: "P2".into(), quantity: 1, unit_price_minor: 90_000, discount_minor: 0 },
            ],
            payments: vec![],
            shipments: vec![Shipment {
                carrier: "own".into(),
                tracking_no: "T1".into(),
                shipped_at: at("2026-03-01T08:00:00Z"),
                delivered_at: Some(at("2026-03-01T10:00:00Z")),
            }],
            delivery_address: None,
            placed_at: at("2026-03-01T07:00:00Z"),
            updated_at: Some(at("2026-03-01T10:00:00Z")),
        }
    }

    fn item(product_id: &str, quantity: i64, condition: ItemCondition) -> ReturnItem<'_> {
        ReturnItem { product_id, category_id: "household", perishable: false, quantity, condition }
    }

    #[test]
    fn refunds_the_paid_share_within_the_window() {
        let d = ReturnPolicy::default().decide(
            &delivered_order(),
            &item("P1", 2, ItemCondition::Unopened),
            ReturnKind::Refund,
            at("2026-03-05T00:00:00Z"),
        );
        assert_eq!(d.outcome, ReturnOutcome::Approved);
        assert_eq!(d.refund_minor, 1800, "two of three units of a 2,700 line");
        let e = ReturnPolicy::default().decide(
            &delivered_order(),
            &item("P1", 1, ItemCondition::Unopened),
            ReturnKind::Exchange,
            at("2026-03-05T00:00:00Z"),
        );
        assert_eq!((e.outcome, e.refund_minor), (ReturnOutcome::Approved, 0));
    }

    #[test]
    fn refuses_late_opened_fresh_and_unknown_items() {
        let p = ReturnPolicy { excluded_categories: vec!["baby_formula".into()], ..Default::default() };
        let o = delivered_order();
        let late =
            p.decide(&o, &item("P1", 1, ItemCondition::Unopened), ReturnKind::Refund, at("2026-03-10T00:00:00Z"));
        assert_eq!(late.reasons, vec![ReturnReason::WindowPassed { days: 8, window_days: 7 }]);
        let opened =
            p.decide(&o, &item("P1", 1, ItemCondition::Opened), ReturnKind::Refund, at("2026-03-02T00:00:00Z"));
        assert_eq!(opened.reasons, vec![ReturnReason::Opened]);
        let fresh = ReturnItem { perishable: true, ..item("P1", 1, ItemCondition::Unopened) };
        let d = p.decide(&o, &fresh, ReturnKind::Refund, at("2026-03-02T00:00:00Z"));
        assert_eq!(d.outcome, ReturnOutcome::Refused);
        let formula = ReturnItem { category_id: "baby_formula", ..item("P1", 1, ItemCondition::Unopened) };
        assert_eq!(
            p.decide(&o, &formula, ReturnKind::Refund, at("2026-03-02T00:00:00Z")).reasons,
            vec![ReturnReason::ExcludedCategory { category_id: "baby_formula".into() }]
        );
        let defective_fresh = ReturnItem { condition: ItemCondition::Defective, ..fresh };
        let d = p.decide(&o, &defective_fresh, ReturnKind::Refund, at("2026-03-12T00:00:00Z"));
        assert_eq!(d.outcome, ReturnOutcome::Approved, "a defect is the shop's fault: longer window, no exclusions");
        let missing = p.decide(&o, &item("P9", 1, ItemCondition::Unopened), ReturnKind::Refund, o.placed_at);
        assert_eq!(missing.reasons, vec![ReturnReason::NotOnOrder { product_id: "P9".into() }]);
        let too_many = p.decide(&o, &item("P1", 4, ItemCondition::Unopened), ReturnKind::Refund, o.placed_at);
        assert_eq!(too_many.reasons, vec![ReturnReason::TooMany { ordered: 3, requested: 4 }]);
    }

    #[test]
    fn large_refunds_wait_for_a_person_and_undelivered_orders_are_refused() {
        let mut o = delivered_order();
        let d = ReturnPolicy::default().decide(
            &o,
            &item("P2", 1, ItemCondition::Unopened),
            ReturnKind::Refund,
            at("2026-03-02T00:00:00Z"),
        );
        assert_eq!((d.outcome, d.refund_minor), (ReturnOutcome::NeedsApproval, 90_000));
        o.status = OrderStatus::Shipped;
        let d = ReturnPolicy::default().decide(
            &o,
            &item("P1", 1, ItemCondition::Unopened),
            ReturnKind::Refund,
            o.placed_at,
        );
        assert_eq!(d.reasons, vec![ReturnReason::NotDelivered { status: OrderStatus::Shipped }]);
    }
}
