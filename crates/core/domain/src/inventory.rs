//! The inventory ledger. Stock is never edited in place: every change is a
//! movement, and on-hand, reserved and available quantities are sums over the
//! ledger rows a movement expands into.

use serde::{Deserialize, Serialize};

use crate::validate::{Validate, Violations, text_field};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Goods received (positive quantity).
    Receipt,
    /// Goods sold (positive quantity; on-hand goes down).
    Sale,
    /// Goods a customer brought back (positive quantity).
    Return,
    /// Stock count correction or write-off (signed, non-zero).
    Adjustment,
    /// Goods moved to `to_location_id` (positive quantity).
    Transfer,
    /// Quantity held for an order (positive reserves, negative releases).
    Reservation,
}

impl MovementKind {
    pub const ALL: [MovementKind; 6] =
        [Self::Receipt, Self::Sale, Self::Return, Self::Adjustment, Self::Transfer, Self::Reservation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Receipt => "receipt",
            Self::Sale => "sale",
            Self::Return => "return",
            Self::Adjustment => "adjustment",
            Self::Transfer => "transfer",
            Self::Reservation => "reservation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A stock movement as a client reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Movement {
    /// Client-side id; a repeated id is recorded once, so retries are safe.
    #[serde(default)]
    pub movement_id: Option<String>,
    pub location_id: String,
    pub product_id: String,
    pub kind: MovementKind,
    pub quantity: i64,
    /// Destination of a transfer.
    #[serde(default)]
    pub to_location_id: Option<String>,
    /// Unit cost (receipts) or unit selling price (sales), in minor units.
    #[serde(default)]
    pub unit_value_minor: Option<i64>,
    /// Free reference: an order, purchase order or count sheet number.
    #[serde(default)]
    pub reference: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// One signed row of the ledger: how a movement changes one location's stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LedgerRow {
    pub location_id: String,
    pub product_id: String,
    pub kind: MovementKind,
    /// Change of on-hand quantity.
    pub on_hand_delta: i64,
    /// Change of reserved quantity.
    pub reserved_delta: i64,
    pub unit_value_minor: Option<i64>,
    pub reference: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

impl Movement {
    /// The ledger rows this movement expands into: one, or two for a transfer
    /// (out of the source, into the destination).
    pub fn ledger_rows(&self) -> Vec<LedgerRow> {
        let row = |location: &str, on_hand: i64, reserved: i64| LedgerRow {
            location_id: location.to_string(),
            product_id: self.product_id.clone(),
            kind: self.kind,
            on_hand_delta: on_hand,
            reserved_delta: reserved,
            unit_value_minor: self.unit_value_minor,
            reference: self.reference.clone(),
            occurred_at: self.occurred_at,
        };
        let q = self.quantity;
        match self.kind {
            MovementKind::Receipt | MovementKind::Return | MovementKind::Adjustment => {
                vec![row(&self.location_id, q, 0)]
            }
            MovementKind::Sale => vec![row(&self.location_id, -q, 0)],
            MovementKind::Reservation => vec![row(&self.location_id, 0, q)],
            MovementKind::Transfer => {
                let to = self.to_location_id.as_deref().unwrap_or_default();
                vec![row(&self.location_id, -q, 0), row(to, q, 0)]
            }
        }
    }
}

impl Validate for Movement {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        if let Some(id) = &self.movement_id {
            text_field(&mut v, "movement_id", id, true, 64);
        }
        v.external_id("location_id", &self.location_id);
        v.external_id("product_id", &self.product_id);
        match self.kind {
            MovementKind::Adjustment | MovementKind::Reservation => {
                v.check(self.quantity != 0, "quantity", "must not be zero")
            }
            _ => v.check(self.quantity > 0, "quantity", format!("must be positive for a {}", self.kind.as_str())),
        }
        v.check(self.quantity.unsigned_abs() <= 1_000_000_000, "quantity", "is implausibly large");
        match (&self.kind, &self.to_location_id) {
            (MovementKind::Transfer, None) => v.push("to_location_id", "a transfer needs its destination"),
            (MovementKind::Transfer, Some(to)) => {
                v.external_id("to_location_id", to);
                v.check(to != &self.location_id, "to_location_id", "must differ from location_id");
            }
            (_, Some(_)) => v.push("to_location_id", "only a transfer has a destination"),
            (_, None) => {}
        }
        v.check(self.unit_value_minor.is_none_or(|x| x >= 0), "unit_value_minor", "must not be negative");
        if let Some(r) = &self.reference {
            text_field(&mut v, "reference", r, false, 128);
        }
        v.into_result()
    }
}

/// Current stock of one product at one location, derived from the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockLevel {
    pub location_id: String,
    pub product_id: String,
    pub on_hand: i64,
    pub reserved: i64,
    /// On hand minus reserved.
    pub available: i64,
}

impl StockLevel {
    /// Folds ledger rows of one location/product into its stock level.
    pub fn from_rows<'a>(location_id: &str, product_id: &str, rows: impl IntoIterator<Item = &'a LedgerRow>) -> Self {
        let (on_hand, reserved) =
            rows.into_iter().fold((0, 0), |(o, r), row| (o + row.on_hand_delta, r + row.reserved_delta));
        Self {
            location_id: location_id.into(),
            product_id: product_id.into(),
            on_hand,
            reserved,
            available: on_hand - reserved,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn movement(kind: MovementKind, quantity: i64) -> Movement {
        Movement {
            movement_id: None,
            location_id: "S1".into(),
            product_id: "P1".into(),
            kind,
            quantity,
            to_location_id: (kind == MovementKind::Transfer).then(|| "S2".into()),
            unit_value_minor: None,
            reference: None,
            occurred_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn signs_follow_the_kind() {
        let rows: Vec<_> = [
            movement(MovementKind::Receipt, 10),
            movement(MovementKind::Sale, 3),
            movement(MovementKind::Return, 1),
            movement(MovementKind::Adjustment, -2),
            movement(MovementKind::Reservation, 4),
        ]
        .iter()
        .flat_map(Movement::ledger_rows)
        .collect();
        let s = StockLevel::from_rows("S1", "P1", &rows);
        assert_eq!((s.on_hand, s.reserved, s.available), (6, 4, 2));
    }

    #[test]
    fn transfer_moves_stock_between_locations() {
        let rows = movement(MovementKind::Transfer, 5).ledger_rows();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].location_id.as_str(), rows[0].on_hand_delta), ("S1", -5));
        assert_eq!((rows[1].location_id.as_str(), rows[1].on_hand_delta), ("S2", 5));
    }

    #[test]
    fn negative_quantities_are_refused_where_meaningless() {
        for kind in [MovementKind::Receipt, MovementKind::Sale, MovementKind::Return, MovementKind::Transfer] {
            assert!(movement(kind, -1).validate().is_err(), "{kind:?}");
            assert!(movement(kind, 0).validate().is_err(), "{kind:?}");
        }
        assert!(movement(MovementKind::Adjustment, -1).validate().is_ok());
        assert!(movement(MovementKind::Adjustment, 0).validate().is_err());
        let mut t = movement(MovementKind::Transfer, 1);
        t.to_location_id = Some("S1".into());
        assert!(t.validate().is_err());
    }

    proptest! {
        /// A transfer never creates or destroys stock across the chain.
        #[test]
        fn transfers_conserve_stock(q in 1i64..1_000_000) {
            let rows = movement(MovementKind::Transfer, q).ledger_rows();
            prop_assert_eq!(rows.iter().map(|r| r.on_hand_delta).sum::<i64>(), 0);
        }

        /// Stock is the sum of signed movements, whatever their order.
        #[test]
        fn stock_is_order_independent(qs in proptest::collection::vec((0usize..4, 1i64..1000), 0..40)) {
            let kinds = [MovementKind::Receipt, MovementKind::Sale, MovementKind::Return, MovementKind::Reservation];
            let rows: Vec<LedgerRow> = qs.iter().flat_map(|(k, q)| movement(kinds[*k], *q).ledger_rows()).collect();
            let forward = StockLevel::from_rows("S1", "P1", &rows);
            let backward = StockLevel::from_rows("S1", "P1", rows.iter().rev());
            prop_assert_eq!(&forward, &backward);
            prop_assert_eq!(forward.available, forward.on_hand - forward.reserved);
        }
    }
}
