//! Runs the shared cache contract against each adapter, plus the
//! Redis-specific behaviour the contract cannot express (namespaces,
//! connection failures).

use std::sync::Arc;
use std::time::Duration;

use retail_cache::{Cache, CacheError, MemoryCache, RedisCache, conformance};

const REDIS_URL_VAR: &str = "RETAIL_TEST_REDIS_URL";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_cache_meets_the_contract() {
    conformance::run_all(Arc::new(MemoryCache::new(10_000))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cache_meets_the_contract() {
    let Some(url) = retail_testenv::backend_url(REDIS_URL_VAR) else {
        return;
    };
    let cache = RedisCache::connect(&url, "retail-test:").await.expect("connect to the test Redis");
    assert_eq!(cache.backend(), "redis");
    conformance::run_all(Arc::new(cache)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_namespaces_keep_keys_apart() {
    let Some(url) = retail_testenv::backend_url(REDIS_URL_VAR) else {
        return;
    };
    let ns_a = format!("{}:", retail_testenv::unique_name("retail-test-a"));
    let ns_b = format!("{}:", retail_testenv::unique_name("retail-test-b"));
    let a = RedisCache::connect(&url, &ns_a).await.expect("connect a");
    let b = RedisCache::connect(&url, &ns_b).await.expect("connect b");
    let raw = RedisCache::connect(&url, "").await.expect("connect raw");
    let ttl = Some(Duration::from_secs(60));

    a.set("shared-name", b"from a", ttl).await.unwrap();
    assert_eq!(b.get("shared-name").await.unwrap(), None);
    b.set("shared-name", b"from b", ttl).await.unwrap();
    assert_eq!(a.get("shared-name").await.unwrap().as_deref(), Some(&b"from a"[..]));
    assert_eq!(a.incr("hits", 2, ttl).await.unwrap(), 2);
    assert_eq!(b.incr("hits", 1, ttl).await.unwrap(), 1);

    let stored = raw.get(&format!("{ns_a}shared-name")).await.unwrap();
    assert_eq!(stored.as_deref(), Some(&b"from a"[..]), "keys are stored under the namespace prefix");

    for (cache, key) in [(&a, "shared-name"), (&a, "hits"), (&b, "shared-name"), (&b, "hits")] {
        cache.delete(key).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_connect_to_closed_port_fails_fast_with_the_url() {
    let url = "redis://user:s3cret@127.0.0.1:1";
    let result = tokio::time::timeout(Duration::from_secs(15), RedisCache::connect(url, "x:"))
        .await
        .expect("connect to a closed port must fail, not hang");
    let err = result.expect_err("nothing listens on port 1");
    assert!(matches!(err, CacheError::Unavailable { backend: "redis", .. }), "unexpected error: {err:?}");
    let message = err.to_string();
    assert!(message.contains("127.0.0.1:1"), "error must name the URL: {message}");
    assert!(!message.contains("s3cret"), "error must not leak the password: {message}");
}

#[tokio::test]
async fn redis_connect_rejects_a_malformed_url() {
    let err = RedisCache::connect("definitely not a url", "x:").await.expect_err("malformed URL");
    assert!(matches!(err, CacheError::Config(_)), "unexpected error: {err:?}");
}
