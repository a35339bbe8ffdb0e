//! Values that cross the [`crate::Store`] interface.

use retail_domain::{BehaviourEvent, EntityKind, EventKind, LedgerRow, MovementKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// What went wrong in storage, in terms the layers above can map to a response.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Writes pointing at records that do not exist.
    #[error("unknown references: {}", .0.iter().map(|r| format!("{} {} '{}'", r.field, r.kind.noun(), r.external_id)).collect::<Vec<_>>().join(", "))]
    UnknownReferences(Vec<Reference>),
    /// The same document id twice in one write.
    #[error("duplicate {} id '{id}' in one write (items {first} and {second})", .kind.noun())]
    DuplicateId { kind: EntityKind, id: String, first: usize, second: usize },
    /// A delete of a record that others still point at.
    #[error("{} '{id}' is still referenced from {by}", .kind.noun())]
    InUse { kind: EntityKind, id: String, by: &'static str },
    /// A cursor that this store did not hand out.
    #[error("invalid cursor")]
    InvalidCursor,
    /// A filter on a field that cannot be filtered on.
    #[error("cannot filter {kind} by '{field}'; filterable: {allowed}")]
    UnknownFilter { kind: &'static str, field: String, allowed: String },
    /// The database could not be reached or refused the connection.
    #[error("cannot reach the {backend} database: {message}")]
    Unavailable { backend: &'static str, message: String },
    /// A stored document that no longer parses (a bug or a manual edit).
    #[error("corrupt stored data in {table}: {message}")]
    Corrupt { table: &'static str, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A reference from a write to another record, checked before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub kind: EntityKind,
    pub external_id: String,
    /// Where the reference sits in the request, e.g. `[3].lines[0].product_id`.
    pub field: String,
}

/// A document to insert or replace, keyed by kind and external id.
#[derive(Debug, Clone)]
pub struct DocWrite {
    pub kind: EntityKind,
    pub external_id: String,
    pub doc: serde_json::Value,
}

/// One order line, kept in its own table for sales and basket queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLineRow {
    pub order_id: String,
    pub line_no: i64,
    pub product_id: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub discount_minor: i64,
}

/// A ledger row and the client movement id it came from (duplicates are skipped).
#[derive(Debug, Clone)]
pub struct LedgerWrite {
    pub movement_id: Option<String>,
    pub row: LedgerRow,
}

/// An outbox record announcing a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxWrite {
    pub event_id: String,
    pub topic: String,
    pub payload: serde_json::Value,
    pub occurred_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    pub seq: u64,
    pub record: OutboxWrite,
}

/// Everything one business operation writes, applied in one transaction.
#[derive(Debug, Clone, Default)]
pub struct WriteSet {
    pub docs: Vec<DocWrite>,
    /// Replaces all lines of each order that appears here.
    pub order_lines: Vec<OrderLineRow>,
    /// Orders whose lines are replaced (including orders left with none).
    pub order_lines_for: Vec<String>,
    pub ledger: Vec<LedgerWrite>,
    pub events: Vec<BehaviourEvent>,
    pub outbox: Vec<OutboxWrite>,
    /// References that must exist (in the store or in `docs`) for the write to go ahead.
    pub references: Vec<Reference>,
}

/// What a write set changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Applied {
    pub inserted: u64,
    pub updated: u64,
    /// Documents that were already stored exactly as given.
    pub unchanged: u64,
    pub ledger_rows: u64,
    /// Ledger rows skipped because their movement id was already recorded.
    pub ledger_duplicates: u64,
    pub events: u64,
    /// Events skipped because their event id was already recorded.
    pub event_duplicates: u64,
}

impl Applied {
    pub fn add(&mut self, other: &Applied) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.ledger_rows += other.ledger_rows;
        self.ledger_duplicates += other.ledger_duplicates;
        self.events += other.events;
        self.event_duplicates += other.event_duplicates;
    }
}

/// A stored document with its bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredDoc {
    pub external_id: String,
    pub doc: serde_json::Value,
    /// Starts at 1 and grows with every change.
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A page of results and the cursor for the next one (None on the last page).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Listing documents: optional text search and column filters.
#[derive(Debug, Clone, Default)]
pub struct DocQuery {
    /// Case-insensitive substring of the id, names, brand, phone…
    pub search: Option<String>,
    /// `(column, value)` equality filters on the kind's filterable columns.
    pub filters: Vec<(String, String)>,
    pub after: Option<String>,
    pub limit: u32,
}

/// The time range and page of a read from an append-only log (events, ledger).
#[derive(Debug, Clone, Default)]
pub struct LogPage {
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// Cursor from the previous page.
    pub after: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub customer_id: Option<String>,
    pub session_id: Option<String>,
    pub product_id: Option<String>,
    pub kind: Option<EventKind>,
    pub page: LogPage,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub event: BehaviourEvent,
}

/// One customer's interaction with a product, for training recommenders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub customer_id: String,
    pub product_id: String,
    pub kind: EventKind,
    /// The store it happened in, when not online.
    pub location_id: Option<String>,
    pub occurred_at_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub struct LedgerQuery {
    pub location_id: Option<String>,
    pub product_id: Option<String>,
    pub kind: Option<MovementKind>,
    pub page: LogPage,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredLedgerRow {
    pub seq: i64,
    pub movement_id: Option<String>,
    #[serde(flatten)]
    pub row: LedgerRow,
}

#[derive(Debug, Clone, Default)]
pub struct StockQuery {
    pub location_id: Option<String>,
    pub product_id: Option<String>,
    /// At most this many rows, ordered by location then product.
    pub limit: u32,
}

/// A response remembered under an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    /// Hash of method, path and body: a key reused for another request is refused.
    pub request_hash: String,
    /// HTTP status of the response; 0 while the request is still running.
    pub status: u16,
    pub body: String,
    pub created_at_ms: i64,
}

/// A console user. Roles, password hashing and the lockout policy are decided
/// above this layer. [`crate::Store::put_user`] writes the lockout fields only
/// when it creates the user; afterwards the [`crate::AccessStore`] login methods own them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at_ms: i64,
    /// Consecutive failed logins since the last success or lock.
    pub failed_logins: u32,
    /// Logins are refused until then.
    pub locked_until_ms: Option<i64>,
    pub last_login_at_ms: Option<i64>,
}

/// Opaque cursors: the last key of the previous page, hex encoded so that clients
/// treat them as tokens rather than ids.
pub(crate) fn encode_cursor(key: &str) -> String {
    key.bytes().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn decode_cursor(cursor: &str) -> Result<String, StoreError> {
    if !cursor.len().is_multiple_of(2) || cursor.len() > 256 {
        return Err(StoreError::InvalidCursor);
    }
    let bytes: Result<Vec<u8>, _> =
        (0..cursor.len()).step_by(2).map(|i| u8::from_str_radix(&cursor[i..i + 2], 16)).collect();
    bytes.ok().and_then(|b| String::from_utf8(b).ok()).ok_or(StoreError::InvalidCursor)
}

pub(crate) fn decode_seq_cursor(cursor: &str) -> Result<i64, StoreError> {
    decode_cursor(cursor)?.parse().map_err(|_| StoreError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor("SKU-01")).unwrap(), "SKU-01");
        assert!(decode_cursor("zz").is_err());
        assert!(decode_cursor("abc").is_err());
        assert_eq!(decode_seq_cursor(&encode_cursor("42")).unwrap(), 42);
        assert!(decode_seq_cursor(&encode_cursor("x")).is_err());
    }
}
