//! Storage adapter. [`Store`] is the one interface the rest of the platform uses
//! to read and write the retail data model; [`SqlStore`] implements it for the
//! embedded SQLite default and for PostgreSQL, with the dialect differences kept
//! to the migration folders and [`Backend`].
//!
//! Writes go through [`WriteSet`]: everything one business operation changes
//! (documents, order lines, ledger rows, behaviour events and the outbox rows
//! that announce them) is applied in one transaction, after every reference has
//! been checked, so a rejected write leaves the data exactly as it was.

mod access;
mod assistant;
mod experiments;
mod logistics;
mod marketing;
mod migrate;
mod planning;
mod recommendations;
mod reports;
mod schema;
mod sql;
mod types;
mod writes;

pub mod conformance;

pub use access::{
    AccessStore, ApiKeyRecord, AuditQuery, AuditRecord, SessionRecord, StoredAuditRecord, UserAccessChange,
    UserAccessUpdate,
};
pub use assistant::{
    AssistantFigures, AssistantStore, ConversationDay, ConversationQuery, ConversationRecord, IntentExampleRecord,
    MessageRecord, ReturnQuery, ReturnRequestRecord,
};
pub use experiments::{
    BehaviourWindow, EventUnit, ExperimentRecord, ExperimentStore, ExposureRow, ExposureWrite, UnitBehaviour,
};
pub use logistics::{DeliveryPlanRecord, LogisticsStore, PlanFigures, PlanQuery, PurchaseHistoryRecord, StockSeries};
pub use marketing::{
    AudienceRecord, CampaignOutcome, CampaignRecord, CategoryPurchase, CustomerActivity, DeliveryOutcome,
    MarketingStore, OptOutRecord, OutgoingMessage, SegmentMember, SegmentPoint, SegmentRecord, UpliftModelRecord,
};
pub use migrate::{Migration, migrations};
pub use planning::{
    ForecastRunRecord, ForecastSeriesRecord, PlanningStore, SalesSeries, StockoutSpan, SuggestionMove, SuggestionQuery,
    SuggestionRecord,
};
pub use recommendations::{ImpressionOutcome, ModelVersionRecord, RecommendationStore, StrategyDay, StrategyRecord};
pub use reports::{
    CategorySales, DateRange, DaySales, LOW_COVER_DAYS, LocationSales, OVER_COVER_DAYS, OrderSummary, ProductSales,
    ReportStore, SALES_RATE_DAYS, StockAlertKind, StockCover, day_date, day_number,
};
pub use schema::{TableSpec, table_spec};
pub use sql::{SqlStore, connect};
pub use types::*;
pub use writes::Stored;

use async_trait::async_trait;
use retail_domain::{EntityKind, EventKind, StockLevel};

/// A transaction spanning several write sets.
#[async_trait]
pub trait BulkWrite: Send {
    /// Applies one write set inside the transaction; a refused set (unknown
    /// reference, repeated id) changes nothing and leaves the transaction usable.
    async fn apply(&mut self, writes: WriteSet) -> Result<Applied, StoreError>;

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The platform's storage interface. Object safe: used as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    AccessStore
    + AssistantStore
    + ExperimentStore
    + LogisticsStore
    + MarketingStore
    + PlanningStore
    + RecommendationStore
    + ReportStore
    + Send
    + Sync
{
    fn backend(&self) -> Backend;

    /// Checks that the database answers (readiness probe).
    async fn ping(&self) -> Result<(), StoreError>;

    /// Applies pending migrations; returns the names of those applied now.
    async fn migrate(&self) -> Result<Vec<String>, StoreError>;

    /// Applies a write set atomically. Fails without changing anything when a
    /// reference is unknown or a document id repeats within the set.
    async fn apply(&self, writes: WriteSet) -> Result<Applied, StoreError>;

    /// Opens one transaction for many write sets (an all-or-nothing file import):
    /// nothing is visible until [`BulkWrite::commit`]; dropping it rolls back.
    async fn begin_bulk(&self) -> Result<Box<dyn BulkWrite>, StoreError>;

    /// Before a bulk load into the append-only tables (ledger, events, order
    /// lines): drops their non-unique indexes, recording how to rebuild them,
    /// and suspends the report rollups (ledger writes stop maintaining them).
    async fn suspend_log_indexes(&self) -> Result<(), StoreError>;

    /// Rebuilds indexes dropped by [`Store::suspend_log_indexes`], and suspended
    /// rollups from the ledger (also done by [`Store::migrate`], so an
    /// interrupted load recovers on the next start).
    async fn restore_indexes(&self) -> Result<(), StoreError>;

    async fn get_doc(&self, kind: EntityKind, external_id: &str) -> Result<Option<StoredDoc>, StoreError>;

    /// Lists documents in external-id order, a page at a time.
    async fn list_docs(&self, kind: EntityKind, query: &DocQuery) -> Result<Page<StoredDoc>, StoreError>;

    async fn count_docs(&self, kind: EntityKind) -> Result<u64, StoreError>;

    /// Deletes a document; false when it did not exist.
    async fn delete_doc(&self, kind: EntityKind, external_id: &str) -> Result<bool, StoreError>;

    /// Which of `ids` exist, for reference checks that span several write sets.
    async fn existing_ids(&self, kind: EntityKind, ids: &[String]) -> Result<Vec<String>, StoreError>;

    /// The stored documents of those ids that exist, in no particular order.
    async fn get_docs(&self, kind: EntityKind, ids: &[String]) -> Result<Vec<StoredDoc>, StoreError>;

    async fn list_events(&self, query: &EventQuery) -> Result<Page<StoredEvent>, StoreError>;

    /// Customers' events of the given kinds since `since_ms`, by customer and
    /// then time: the training data of the recommenders.
    async fn customer_interactions(&self, since_ms: i64, kinds: &[EventKind]) -> Result<Vec<Interaction>, StoreError>;

    async fn list_ledger(&self, query: &LedgerQuery) -> Result<Page<StoredLedgerRow>, StoreError>;

    /// Current stock derived from the ledger, per location and product.
    async fn stock(&self, query: &StockQuery) -> Result<Vec<StockLevel>, StoreError>;

    /// Appends one outbox record outside any other write; idempotent on the id.
    async fn outbox_append(&self, record: &OutboxWrite) -> Result<u64, StoreError>;

    async fn outbox_after(&self, after_seq: u64, limit: usize) -> Result<Vec<OutboxRecord>, StoreError>;

    async fn consumer_offset(&self, consumer: &str) -> Result<u64, StoreError>;

    async fn commit_offset(&self, consumer: &str, seq: u64) -> Result<(), StoreError>;

    async fn idempotency_get(&self, key: &str) -> Result<Option<IdempotentResponse>, StoreError>;

    /// Claims a key with a pending record (status 0); false when the key was
    /// already taken, by a finished request or one still running.
    async fn idempotency_put(&self, key: &str, response: &IdempotentResponse) -> Result<bool, StoreError>;

    /// Stores the final response of a claimed key.
    async fn idempotency_finish(&self, key: &str, status: u16, body: &str) -> Result<(), StoreError>;

    /// Gives a claimed key back while it is still pending (the request failed
    /// on the server's side, so a retry should run it afresh).
    async fn idempotency_release(&self, key: &str) -> Result<(), StoreError>;

    async fn put_user(&self, user: &UserRecord) -> Result<(), StoreError>;

    async fn get_user(&self, username: &str) -> Result<Option<UserRecord>, StoreError>;

    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError>;
}
