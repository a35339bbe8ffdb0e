//! The retail data model shared by every module of the platform.
//!
//! Pure data and rules: no I/O, no async. Storage, HTTP and import all speak
//! these types, so a rule written here (a valid order transition, how a
//! movement changes on-hand stock) holds everywhere.

pub mod catalog;
pub mod customer;
pub mod entity;
pub mod event;
pub mod inventory;
pub mod knowledge;
pub mod location;
pub mod logistics;
pub mod money;
pub mod order;
pub mod returns;
pub mod supply;
pub mod text;
pub mod validate;

pub use catalog::{Category, Product, ProductStatus};
pub use customer::{Channel, Consent, Customer};
pub use entity::{Entity, EntityKind};
pub use event::{BehaviourEvent, EventKind};
pub use inventory::{LedgerRow, Movement, MovementKind, StockLevel};
pub use knowledge::KbArticle;
pub use location::{Location, LocationKind};
pub use logistics::{HomeDelivery, TransferLine, TransferOrder, TransferStatus, Vehicle};
pub use money::{Currency, Money};
pub use order::{Order, OrderChannel, OrderLine, OrderStatus, Payment, Shipment};
pub use returns::{ItemCondition, ReturnDecision, ReturnItem, ReturnKind, ReturnOutcome, ReturnPolicy, ReturnReason};
pub use supply::{
    AllocationBasis, Charge, ChargeKind, Contract, DeliveryDay, GoodsReceipt, PurchaseLine, PurchaseOrder,
    PurchaseOrderStatus, ReceiptLine, Supplier,
};
pub use text::Text;
pub use validate::{Validate, Violation, Violations};

/// Timestamps are UTC everywhere; a location carries its own IANA time zone.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
