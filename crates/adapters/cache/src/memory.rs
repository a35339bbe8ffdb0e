//! In-process cache adapter on top of `moka`.

use std::future::ready;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use moka::Expiry;
use moka::ops::compute::Op;
use moka::policy::EvictionPolicy;

use crate::{Cache, CacheError};

const BACKEND: &str = "memory";

/// A bounded in-process cache for a single node, for tests and local runs.
///
/// Capacity is counted in entries; when full, the least recently used entry
/// is evicted (LRU rather than moka's default TinyLFU, which may refuse to
/// admit a brand-new key and so make a fresh `set` or counter vanish).
/// Every write (`set`, `delete`, `incr`) goes through moka's per-key compute
/// lock, so writes to one key are serialized and `incr` is atomic even when
/// mixed with concurrent `set`/`delete`. Cloning is cheap and shares the
/// same storage.
#[derive(Clone, Debug)]
pub struct MemoryCache {
    inner: moka::future::Cache<String, Entry>,
}

/// A stored value and its absolute deadline; keeping the deadline in the
/// value lets `incr` carry an existing key's expiry over unchanged.
#[derive(Clone, Debug)]
struct Entry {
    value: Arc<[u8]>,
    expires_at: Option<Instant>,
}

/// Tells moka to expire each entry at its own deadline.
struct EntryDeadline;

impl Expiry<String, Entry> for EntryDeadline {
    fn expire_after_create(&self, _key: &String, entry: &Entry, now: Instant) -> Option<Duration> {
        entry.expires_at.map(|at| at.saturating_duration_since(now))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        now: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        entry.expires_at.map(|at| at.saturating_duration_since(now))
    }
}

/// The deadline for a TTL starting now; a TTL too large to represent as an
/// `Instant` means "never expires".
fn deadline(ttl: Option<Duration>) -> Option<Instant> {
    ttl.and_then(|ttl| Instant::now().checked_add(ttl))
}

fn incr_error(message: String) -> CacheError {
    CacheError::Backend { backend: BACKEND, operation: "incr", message }
}

impl MemoryCache {
    /// A cache holding at most `max_entries` entries.
    pub fn new(max_entries: u64) -> Self {
        let inner = moka::future::Cache::builder()
            .max_capacity(max_entries)
            .eviction_policy(EvictionPolicy::lru())
            .expire_after(EntryDeadline)
            .build();
        Self { inner }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.inner.get(key).await.map(|entry| entry.value.to_vec()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<(), CacheError> {
        let entry = Entry { value: Arc::from(value), expires_at: deadline(ttl) };
        self.inner.entry_by_ref(key).and_compute_with(|_| ready(Op::Put(entry))).await;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.inner.entry_by_ref(key).and_compute_with(|_| ready(Op::Remove)).await;
        Ok(())
    }

    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        let mut counter = by;
        self.inner
            .entry_by_ref(key)
            .and_try_compute_with(|current| {
                let next = match current {
                    None => Ok(Entry { value: Arc::from(by.to_string().as_bytes()), expires_at: deadline(ttl) }),
                    Some(current) => {
                        let current = current.into_value();
                        std::str::from_utf8(&current.value)
                            .ok()
                            .and_then(|text| text.parse::<i64>().ok())
                            .ok_or_else(|| incr_error(format!("value at `{key}` is not an integer")))
                            .and_then(|value| {
                                value
                                    .checked_add(by)
                                    .ok_or_else(|| incr_error(format!("incrementing `{key}` by {by} overflows")))
                            })
                            .map(|value| {
                                counter = value;
                                Entry { value: Arc::from(value.to_string().as_bytes()), expires_at: current.expires_at }
                            })
                    }
                };
                ready(next.map(Op::Put))
            })
            .await?;
        Ok(counter)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        BACKEND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn capacity_bounds_entry_count() {
        let cache = MemoryCache::new(10);
        for i in 0..200 {
            cache.set(&format!("k{i}"), b"v", None).await.unwrap();
        }
        cache.inner.run_pending_tasks().await;
        assert!(cache.inner.entry_count() <= 10, "entry count {} exceeds capacity", cache.inner.entry_count());
        assert_eq!(
            cache.get("k199").await.unwrap().as_deref(),
            Some(&b"v"[..]),
            "the most recent write must survive LRU eviction"
        );
    }

    #[tokio::test]
    async fn huge_ttl_means_no_expiry() {
        let cache = MemoryCache::new(10);
        cache.set("k", b"v", Some(Duration::MAX)).await.unwrap();
        assert_eq!(cache.incr("n", 1, Some(Duration::MAX)).await.unwrap(), 1);
        assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
    }
}
