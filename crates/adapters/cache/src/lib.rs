//! Cache port for the retail platform, with two adapters behind one trait.
//!
//! Services depend on `Arc<dyn Cache>` so the same code runs against the
//! in-process [`MemoryCache`] (single node, tests, local development) and the
//! shared [`RedisCache`] (several nodes that must agree on counters such as
//! rate limits and frequency caps). [`conformance::run_all`] pins down the
//! contract both adapters must meet, so a behaviour difference between them is
//! a test failure rather than a production surprise.
//!
//! Contract summary (checked by the conformance suite):
//! - values are opaque bytes; a `set` replaces the value *and* its TTL
//!   (`None` means no expiry), like Redis `SET`;
//! - TTLs have millisecond granularity on Redis (rounded up, at least 1 ms);
//! - `incr` is atomic, creates a missing key at `by` with the given TTL, and
//!   leaves the TTL of an existing key untouched; counters are stored as
//!   decimal ASCII, so `get` on a counter returns e.g. `b"42"`;
//! - `delete` of a missing key succeeds.

mod error;
mod json;
mod memory;
mod redis_cache;

pub mod conformance;

use std::time::Duration;

use async_trait::async_trait;

pub use error::CacheError;
pub use json::{get_json, set_json};
pub use memory::MemoryCache;
pub use redis_cache::RedisCache;

/// A key/value cache with expiry and atomic counters.
///
/// Object safe so callers can hold `Arc<dyn Cache>` and pick the backend at
/// start-up from configuration.
#[async_trait]
pub trait Cache: Send + Sync {
    /// The value stored under `key`, or `None` when it is missing or expired.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;

    /// Stores `value` under `key`, replacing any previous value and TTL.
    /// With `ttl: None` the entry does not expire (it may still be evicted by
    /// a capacity bound or Redis `maxmemory` policy).
    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<(), CacheError>;

    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), CacheError>;

    /// Atomically adds `by` (may be negative) to the integer counter at `key`
    /// and returns the new value.
    ///
    /// A missing key is created at `by` and gets `ttl`; an existing key keeps
    /// its current expiry, so a fixed rate-limit window is not extended by
    /// every hit. Fails when the stored value is not a decimal `i64` or the
    /// result would overflow.
    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError>;

    /// Checks that the backend answers, for readiness probes.
    async fn ping(&self) -> Result<(), CacheError>;

    /// Short backend name (`"memory"` or `"redis"`) for logs and health output.
    fn backend(&self) -> &'static str;
}
