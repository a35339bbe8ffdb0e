//! The behavioural contract every [`Cache`] adapter must meet, as runnable checks.
//!
//! Each adapter's integration tests call [`run_all`] with a live instance, so
//! the in-memory and Redis adapters are held to the same assertions and code
//! written against `dyn Cache` behaves the same on both. This is test support:
//! it panics on the first violation, with a message naming the backend and
//! the broken rule.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::task::JoinSet;

use crate::{Cache, CacheError};

/// TTL short enough to observe expiry in a test.
const SHORT_TTL: Duration = Duration::from_millis(400);
/// Sleep that comfortably outlasts [`SHORT_TTL`], even on a loaded machine.
const AFTER_EXPIRY: Duration = Duration::from_millis(1200);
/// TTL for keys that must outlive the run but should not litter a shared
/// server if an assertion aborts the run before cleanup.
const LONG_TTL: Option<Duration> = Some(Duration::from_secs(120));

const TASKS: i64 = 20;
const INCREMENTS_PER_TASK: i64 = 50;

/// Runs every contract check against `cache`.
///
/// Keys live under a prefix unique to this call, so runs can share a Redis
/// database with other tests and with each other; keys without a TTL are
/// deleted before returning. Takes an `Arc` because the concurrency check
/// spawns tasks that must own a handle. Takes about 1.5 s (one expiry wait).
pub async fn run_all(cache: Arc<dyn Cache>) {
    let keys = Keys::unique();
    let c = cache.as_ref();
    ping_and_backend(c).await;
    missing_key(c, &keys).await;
    binary_roundtrip(c, &keys).await;
    overwrite(c, &keys).await;
    delete(c, &keys).await;
    key_isolation(c, &keys).await;
    incr_semantics(c, &keys).await;
    concurrent_incr(&cache, &keys).await;
    expiry(c, &keys).await;
}

/// Key names under a per-run prefix.
struct Keys {
    prefix: String,
}

impl Keys {
    fn unique() -> Self {
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        Self { prefix: format!("conformance:{}:{nanos}:{run}:", std::process::id()) }
    }

    fn k(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

/// Unwraps a cache result, failing the check with the operation and backend.
fn ok<T>(cache: &dyn Cache, what: &str, result: Result<T, CacheError>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("[{}] {what} failed: {e}", cache.backend()),
    }
}

async fn get(cache: &dyn Cache, key: &str) -> Option<Vec<u8>> {
    ok(cache, &format!("get {key}"), cache.get(key).await)
}

async fn set(cache: &dyn Cache, key: &str, value: &[u8], ttl: Option<Duration>) {
    ok(cache, &format!("set {key}"), cache.set(key, value, ttl).await);
}

async fn del(cache: &dyn Cache, key: &str) {
    ok(cache, &format!("delete {key}"), cache.delete(key).await);
}

async fn incr(cache: &dyn Cache, key: &str, by: i64, ttl: Option<Duration>) -> i64 {
    ok(cache, &format!("incr {key} by {by}"), cache.incr(key, by, ttl).await)
}

async fn assert_value(cache: &dyn Cache, key: &str, expected: Option<&[u8]>, rule: &str) {
    let actual = get(cache, key).await;
    assert_eq!(actual.as_deref(), expected, "[{}] {rule} (key {key})", cache.backend());
}

async fn ping_and_backend(cache: &dyn Cache) {
    ok(cache, "ping", cache.ping().await);
    let name = cache.backend();
    assert!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()),
        "backend name must be a short lowercase word, got {name:?}"
    );
}

async fn missing_key(cache: &dyn Cache, keys: &Keys) {
    assert_value(cache, &keys.k("never-set"), None, "a key never written reads as None").await;
}

async fn binary_roundtrip(cache: &dyn Cache, keys: &Keys) {
    let all_bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024).collect();
    let cases: [(&str, &[u8]); 5] = [
        ("empty", b""),
        ("text", b"plain text"),
        ("non-utf8", &[0x00, 0x9f, 0x92, 0x96, 0xff, 0x00, 0xc3]),
        ("every-byte-64k", &all_bytes),
        ("odd key: spaces/ünïcode/日本", b"v"),
    ];
    for (name, value) in cases {
        let key = keys.k(name);
        set(cache, &key, value, None).await;
        assert_value(
            cache,
            &key,
            Some(value),
            "get returns exactly the bytes set (an empty value is Some(empty), not None)",
        )
        .await;
        del(cache, &key).await;
    }
}

async fn overwrite(cache: &dyn Cache, keys: &Keys) {
    let key = keys.k("overwrite");
    set(cache, &key, b"first, longer value", LONG_TTL).await;
    set(cache, &key, b"second", LONG_TTL).await;
    assert_value(cache, &key, Some(b"second"), "a set replaces the whole previous value").await;
    del(cache, &key).await;
}

async fn delete(cache: &dyn Cache, keys: &Keys) {
    let key = keys.k("delete");
    set(cache, &key, b"doomed", LONG_TTL).await;
    del(cache, &key).await;
    assert_value(cache, &key, None, "a deleted key reads as None").await;
    del(cache, &key).await;
    del(cache, &keys.k("delete-never-set")).await;
    let counter = keys.k("delete-counter");
    incr(cache, &counter, 5, LONG_TTL).await;
    del(cache, &counter).await;
    assert_eq!(incr(cache, &counter, 1, LONG_TTL).await, 1, "[{}] a deleted counter starts over", cache.backend());
    del(cache, &counter).await;
}

async fn key_isolation(cache: &dyn Cache, keys: &Keys) {
    let names = ["iso", "iso2", "ISO", "iso:", "is"];
    for name in names {
        set(cache, &keys.k(name), name.as_bytes(), LONG_TTL).await;
    }
    for name in names {
        assert_value(cache, &keys.k(name), Some(name.as_bytes()), "similar keys (prefixes, case) are distinct").await;
    }
    del(cache, &keys.k("iso")).await;
    assert_value(cache, &keys.k("iso"), None, "delete removes only its key").await;
    for name in &names[1..] {
        assert_value(cache, &keys.k(name), Some(name.as_bytes()), "deleting one key leaves similar keys alone").await;
        del(cache, &keys.k(name)).await;
    }
}

async fn incr_semantics(cache: &dyn Cache, keys: &Keys) {
    let backend = cache.backend();
    let key = keys.k("counter");
    assert_eq!(incr(cache, &key, 5, None).await, 5, "[{backend}] incr creates at `by`");
    assert_value(cache, &key, Some(b"5"), "a counter reads as decimal text").await;
    assert_eq!(incr(cache, &key, 3, None).await, 8, "[{backend}] incr accumulates");
    assert_eq!(incr(cache, &key, -10, None).await, -2, "[{backend}] negative by subtracts");
    assert_value(cache, &key, Some(b"-2"), "a negative counter reads as decimal text").await;
    assert_eq!(incr(cache, &key, 0, None).await, -2, "[{backend}] by 0 reads the counter");
    del(cache, &key).await;

    let negative = keys.k("counter-negative");
    assert_eq!(incr(cache, &negative, -4, LONG_TTL).await, -4, "[{backend}] incr with negative by creates at `by`");
    let zero = keys.k("counter-zero");
    assert_eq!(incr(cache, &zero, 0, LONG_TTL).await, 0, "[{backend}] incr by 0 on a missing key creates 0");
    assert_value(cache, &zero, Some(b"0"), "incr by 0 creates the key").await;

    let from_set = keys.k("counter-from-set");
    set(cache, &from_set, b"41", LONG_TTL).await;
    assert_eq!(
        incr(cache, &from_set, 1, None).await,
        42,
        "[{backend}] incr continues from a decimal value written by set"
    );

    let text = keys.k("counter-text");
    set(cache, &text, b"not a number", LONG_TTL).await;
    assert!(cache.incr(&text, 1, None).await.is_err(), "[{backend}] incr on a non-integer value must fail");
    assert_value(cache, &text, Some(b"not a number"), "a failed incr leaves the value unchanged").await;

    let max = keys.k("counter-max");
    set(cache, &max, i64::MAX.to_string().as_bytes(), LONG_TTL).await;
    assert!(cache.incr(&max, 1, None).await.is_err(), "[{backend}] incr past i64::MAX must fail, not wrap");
    assert_value(cache, &max, Some(i64::MAX.to_string().as_bytes()), "an overflowing incr leaves the value unchanged")
        .await;

    for key in [negative, zero, from_set, text, max] {
        del(cache, &key).await;
    }
}

async fn concurrent_incr(cache: &Arc<dyn Cache>, keys: &Keys) {
    let backend = cache.backend();
    let key = keys.k("counter-concurrent");
    let mut tasks = JoinSet::new();
    for _ in 0..TASKS {
        let cache = Arc::clone(cache);
        let key = key.clone();
        tasks.spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..INCREMENTS_PER_TASK {
                seen.push(incr(cache.as_ref(), &key, 1, LONG_TTL).await);
            }
            seen
        });
    }
    let mut seen = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(values) => seen.extend(values),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("[{backend}] incr task did not finish: {e}"),
        }
    }
    let total = TASKS * INCREMENTS_PER_TASK;
    assert_eq!(incr(cache.as_ref(), &key, 0, None).await, total, "[{backend}] concurrent increments must not be lost");
    seen.sort_unstable();
    assert!(
        seen.iter().copied().eq(1..=total),
        "[{backend}] each concurrent incr must observe a distinct value 1..={total}"
    );
    del(cache.as_ref(), &key).await;
}

async fn expiry(cache: &dyn Cache, keys: &Keys) {
    let backend = cache.backend();
    let short = Some(SHORT_TTL);
    let expires = keys.k("ttl-expires");
    let forever = keys.k("ttl-none");
    let cleared = keys.k("ttl-cleared-by-set");
    let added = keys.k("ttl-added-by-set");
    let counter_short = keys.k("ttl-counter-short");
    let counter_long = keys.k("ttl-counter-long");
    let counter_none = keys.k("ttl-counter-none");

    set(cache, &expires, b"short", short).await;
    assert_value(cache, &expires, Some(b"short"), "a TTL entry is readable before it expires").await;
    set(cache, &forever, b"forever", None).await;
    set(cache, &cleared, b"short", short).await;
    set(cache, &cleared, b"kept", None).await;
    set(cache, &added, b"forever", None).await;
    set(cache, &added, b"short", short).await;

    assert_eq!(incr(cache, &counter_short, 1, short).await, 1, "[{backend}] incr creates at `by`");
    assert_eq!(incr(cache, &counter_short, 1, LONG_TTL).await, 2, "[{backend}] incr accumulates");
    assert_eq!(incr(cache, &counter_long, 1, LONG_TTL).await, 1, "[{backend}] incr creates at `by`");
    assert_eq!(incr(cache, &counter_long, 1, short).await, 2, "[{backend}] incr accumulates");
    assert_eq!(incr(cache, &counter_none, 1, None).await, 1, "[{backend}] incr creates at `by`");
    assert_eq!(incr(cache, &counter_none, 1, short).await, 2, "[{backend}] incr accumulates");

    tokio::time::sleep(AFTER_EXPIRY).await;

    assert_value(cache, &expires, None, "an entry is gone after its TTL").await;
    assert_value(cache, &forever, Some(b"forever"), "an entry without TTL survives").await;
    assert_value(cache, &cleared, Some(b"kept"), "set without TTL clears an earlier TTL").await;
    assert_value(cache, &added, None, "set with TTL applies it to an existing key").await;
    assert_value(
        cache,
        &counter_short,
        None,
        "a counter expires at the TTL given when it was created, not a later one",
    )
    .await;
    assert_value(cache, &counter_long, Some(b"2"), "a later incr does not shorten an existing counter's TTL").await;
    assert_value(cache, &counter_none, Some(b"2"), "a later incr does not add a TTL to an existing counter").await;
    assert_eq!(incr(cache, &counter_short, 7, short).await, 7, "[{backend}] an expired counter starts over at `by`");

    for key in [forever, cleared, counter_short, counter_long, counter_none] {
        del(cache, &key).await;
    }
}
