//! What every stored business entity has in common, so storage, the REST API and
//! bulk import are written once for all of them.

use serde::{Serialize, de::DeserializeOwned};

use crate::validate::Validate;

/// The kinds of master and transactional records addressed by external id.
/// (Behaviour events and ledger movements are append-only logs, not entities.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Location,
    Category,
    Product,
    Customer,
    Supplier,
    Order,
    PurchaseOrder,
    GoodsReceipt,
    KbArticle,
    Contract,
    TransferOrder,
    Vehicle,
}

impl EntityKind {
    pub const ALL: [EntityKind; 12] = [
        Self::Location,
        Self::Category,
        Self::Product,
        Self::Customer,
        Self::Supplier,
        Self::Order,
        Self::PurchaseOrder,
        Self::GoodsReceipt,
        Self::KbArticle,
        Self::Contract,
        Self::TransferOrder,
        Self::Vehicle,
    ];

    /// The collection name used in URL paths, table names and import kinds.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Location => "locations",
            Self::Category => "categories",
            Self::Product => "products",
            Self::Customer => "customers",
            Self::Supplier => "suppliers",
            Self::Order => "orders",
            Self::PurchaseOrder => "purchase_orders",
            Self::GoodsReceipt => "receipts",
            Self::KbArticle => "kb_articles",
            Self::Contract => "contracts",
            Self::TransferOrder => "transfer_orders",
            Self::Vehicle => "vehicles",
        }
    }

    /// A singular English noun for messages ("unknown product 'X'").
    pub fn noun(self) -> &'static str {
        match self {
            Self::Location => "location",
            Self::Category => "category",
            Self::Product => "product",
            Self::Customer => "customer",
            Self::Supplier => "supplier",
            Self::Order => "order",
            Self::PurchaseOrder => "purchase order",
            Self::GoodsReceipt => "goods receipt",
            Self::KbArticle => "knowledge-base article",
            Self::Contract => "supplier contract",
            Self::TransferOrder => "transfer order",
            Self::Vehicle => "vehicle",
        }
    }

    pub fn from_plural(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.plural() == s)
    }
}

/// A record identified by the retailer's own code. Upserts are idempotent on it.
pub trait Entity: Validate + Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const KIND: EntityKind;

    fn external_id(&self) -> &str;

    /// Other entities this one points at, as `(kind, external id, field)`; storage
    /// refuses a write whose references do not exist.
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_names_round_trip() {
        for k in EntityKind::ALL {
            assert_eq!(EntityKind::from_plural(k.plural()), Some(k));
        }
        assert_eq!(EntityKind::from_plural("widgets"), None);
    }
}
