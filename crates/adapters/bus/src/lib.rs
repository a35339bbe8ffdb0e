//! Event bus port for the retail platform, with a transactional outbox.
//!
//! Business writes insert their events into an outbox table in the same SQL
//! transaction as the data they describe, so an event exists exactly when its
//! change committed. That table is an append-only [`EventLog`]. In the default
//! embedded mode the log *is* the bus ([`LogBus`]); when NATS is configured the
//! [`relay`] copies the log into JetStream and services consume from
//! [`NatsBus`]. Services only see `Arc<dyn EventBus>`, and
//! [`conformance::run_all`] pins down the contract both adapters must meet.
//!
//! Contract summary (checked by the conformance suite):
//! - delivery is at-least-once to durable, named consumers; a consumer's
//!   position survives its [`Subscription`] being dropped;
//! - an un-acked delivery comes back, with `redelivered = true`, to the next
//!   subscription of the same consumer (NATS also redelivers after `ack_wait`);
//! - publishing an envelope id twice delivers it once;
//! - topics are dot separated tokens (`orders.created`); a subscription's
//!   topic prefix is `""` (everything) or whole tokens ending in `.`
//!   (`"orders."` matches `orders.created` but not `ordersx.created`);
//! - consumer names use `[A-Za-z0-9_-]`, so they are valid NATS durable names
//!   and safe as SQL keys.

mod error;
mod log_bus;
mod memory;
mod nats;
mod validate;

pub mod conformance;
pub mod relay;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use error::BusError;
pub use log_bus::LogBus;
pub use memory::MemoryLog;
pub use nats::{NatsBus, NatsConfig};
pub use relay::{RelayOptions, relay_once, run_relay};

/// One event as it travels through the outbox and the bus.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Envelope {
    /// Globally unique id; the bus deduplicates on it, so a relay that
    /// re-publishes after a crash does not deliver the event twice.
    pub id: String,
    /// Dot separated topic, e.g. `orders.created`.
    pub topic: String,
    /// Event body.
    pub payload: serde_json::Value,
    /// When the business change happened (Unix milliseconds).
    pub occurred_at_ms: i64,
}

impl Envelope {
    /// Checks the id and topic against the rules every backend accepts. The
    /// store should call this before writing an outbox row: a row that fails
    /// here can never be published to NATS.
    pub fn validate(&self) -> Result<(), BusError> {
        validate::envelope(self)
    }
}

/// An envelope at its position in an [`EventLog`].
#[derive(Clone, Debug, PartialEq)]
pub struct LogRecord {
    /// Position in the log, starting at 1 and strictly increasing.
    pub seq: u64,
    /// The stored event.
    pub envelope: Envelope,
}

/// Append-only event log with per-consumer offsets: the outbox table.
///
/// The SQL store implements this over its outbox and offset tables;
/// [`MemoryLog`] is the in-process implementation.
///
/// Implementations must never reveal a record at a `seq` lower than one
/// `read_after` already returned (assign sequence numbers in commit order),
/// because readers only move forward and would skip it.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Appends `env` and returns its sequence number. Idempotent on `env.id`:
    /// appending an id that is already stored adds nothing and returns the
    /// existing sequence number.
    async fn append(&self, env: &Envelope) -> Result<u64, BusError>;

    /// Up to `limit` records with `seq > after_seq`, in ascending `seq` order.
    async fn read_after(&self, after_seq: u64, limit: usize) -> Result<Vec<LogRecord>, BusError>;

    /// The last committed sequence number of `consumer`, 0 if it never committed.
    async fn offset(&self, consumer: &str) -> Result<u64, BusError>;

    /// Records `seq` as the position of `consumer`.
    async fn commit(&self, consumer: &str, seq: u64) -> Result<(), BusError>;
}

/// A message bus with durable, named consumers.
///
/// Object safe so services can hold `Arc<dyn EventBus>` and the backend is
/// chosen at start-up from configuration.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes `env`; returns once the backend has stored it. Publishing an
    /// id that was already published delivers it only once.
    async fn publish(&self, env: &Envelope) -> Result<(), BusError>;

    /// Opens a subscription for the durable consumer `consumer`, receiving
    /// topics that start with `topic_prefix` (`""` = all, `"orders."` =
    /// `orders.*`). A new consumer starts at the beginning of the history; an
    /// existing one resumes after its last acknowledged message.
    async fn subscribe(&self, consumer: &str, topic_prefix: &str) -> Result<Box<dyn Subscription>, BusError>;

    /// Short backend name (`"log"` or `"nats"`) for logs and health output.
    fn backend(&self) -> &'static str;

    /// Checks that the backend answers, for readiness probes.
    async fn ping(&self) -> Result<(), BusError>;
}

/// A live subscription of one durable consumer.
///
/// Dropping it releases its un-acked deliveries to the consumer's next
/// subscription.
#[async_trait]
pub trait Subscription: Send {
    /// The next delivery, or `None` when nothing arrived within `wait`.
    async fn next(&mut self, wait: Duration) -> Result<Option<Delivery>, BusError>;

    /// Acknowledges `d`, so the consumer will not see it again. Acking the
    /// same delivery twice is a no-op; a delivery from another subscription
    /// is rejected.
    async fn ack(&mut self, d: &Delivery) -> Result<(), BusError>;
}

/// One envelope handed to a subscriber.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The event.
    pub envelope: Envelope,
    /// Log sequence ([`LogBus`]) or stream sequence ([`NatsBus`]).
    pub seq: u64,
    /// True when this consumer may have seen the event before (it was
    /// delivered earlier and not acknowledged). [`LogBus`] only knows about
    /// deliveries made by this process.
    pub redelivered: bool,
    /// Which subscription handed it out, so `ack` can refuse foreign deliveries.
    subscription: u64,
}

/// A process-unique subscription id.
fn next_subscription_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
