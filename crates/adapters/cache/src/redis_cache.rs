//! Shared cache adapter on top of Redis.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, FromRedisValue, RedisError};

use crate::{Cache, CacheError};

const BACKEND: &str = "redis";

/// Each TCP connect attempt gives up after this long.
const CONNECT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// Reconnect attempts after the first failure, with jittered exponential backoff.
const CONNECT_RETRIES: usize = 2;
/// Upper bound for the whole `connect` call, retries and first PING included.
const CONNECT_DEADLINE: Duration = Duration::from_secs(10);
/// A command without a reply after this long fails as unavailable instead of
/// stalling the request that needed the cache.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Redis rejects expiry times that overflow its millisecond clock; longer TTLs
/// are clamped to this (about 290,000 years).
const MAX_TTL_MILLIS: u64 = (i64::MAX / 1000) as u64;

/// Increments, and sets the expiry only when this call created the key, in
/// one atomic step (a script runs without interleaving other commands).
/// ARGV[2] is the TTL in milliseconds, `0` for none.
const INCR_SCRIPT: &str = r"
local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created and ARGV[2] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
";

/// A cache shared by every node, backed by Redis.
///
/// Uses a `redis` `ConnectionManager`: one multiplexed connection that
/// reconnects in the background after a failure, so clones of this value are
/// cheap and share it. Every key is prefixed with the namespace given to
/// [`RedisCache::connect`], letting several services or environments share a
/// Redis database without colliding.
#[derive(Clone, Debug)]
pub struct RedisCache {
    conn: ConnectionManager,
    namespace: String,
    /// The URL without its password, for error messages and logs.
    target: String,
}

impl RedisCache {
    /// Connects to the Redis server at `url` (e.g. `redis://127.0.0.1:6379/0`)
    /// and checks it answers `PING`, so a bad URL fails at start-up rather
    /// than on the first request.
    ///
    /// `namespace` is prepended verbatim to every key; end it with a
    /// separator, as in `"retail:"`. Fails within a few seconds with
    /// [`CacheError::Unavailable`] naming the URL (password removed) when the
    /// server cannot be reached, or [`CacheError::Config`] for a malformed URL.
    pub async fn connect(url: &str, namespace: &str) -> Result<Self, CacheError> {
        let target = redact_url(url);
        let client =
            redis::Client::open(url).map_err(|e| CacheError::Config(format!("invalid Redis URL `{target}`: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_ATTEMPT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(CONNECT_RETRIES);
        let connecting = async {
            let conn = ConnectionManager::new_with_config(client, config).await?;
            let cache = Self { conn, namespace: namespace.to_owned(), target: target.clone() };
            cache.query::<String>(&redis::cmd("PING")).await?;
            Ok::<_, RedisError>(cache)
        };
        let cache = match tokio::time::timeout(CONNECT_DEADLINE, connecting).await {
            Ok(Ok(cache)) => cache,
            Ok(Err(e)) => return Err(map_error(&target, "connect", e)),
            Err(_) => {
                return Err(CacheError::Unavailable {
                    backend: BACKEND,
                    target,
                    message: format!("no connection within {CONNECT_DEADLINE:?}"),
                });
            }
        };
        tracing::info!(target = %cache.target, namespace = %cache.namespace, "connected to Redis cache");
        Ok(cache)
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }

    async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, RedisError> {
        let mut conn = self.conn.clone();
        cmd.query_async(&mut conn).await
    }

    async fn run<T: FromRedisValue>(&self, operation: &'static str, cmd: &Cmd) -> Result<T, CacheError> {
        self.query(cmd).await.map_err(|e| map_error(&self.target, operation, e))
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.run("get", redis::cmd("GET").arg(self.key(key))).await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<(), CacheError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(ttl_millis(ttl));
        }
        self.run("set", &cmd).await
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.run::<i64>("delete", redis::cmd("DEL").arg(self.key(key))).await.map(drop)
    }

    async fn incr(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        let ttl = ttl.map_or(0, ttl_millis);
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(INCR_SCRIPT).arg(1).arg(self.key(key)).arg(by).arg(ttl);
        self.run("incr", &cmd).await
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.run::<String>("ping", &redis::cmd("PING")).await.map(drop)
    }

    fn backend(&self) -> &'static str {
        BACKEND
    }
}

/// A TTL as Redis milliseconds: rounded up so a sub-millisecond TTL still
/// expires (Redis rejects 0), and clamped to what Redis accepts.
fn ttl_millis(ttl: Duration) -> u64 {
    let millis = ttl.as_nanos().div_ceil(1_000_000).max(1);
    u64::try_from(millis).unwrap_or(u64::MAX).min(MAX_TTL_MILLIS)
}

/// Connection-level failures become [`CacheError::Unavailable`] (transient,
/// callers may fail open); server replies such as a wrong type become
/// [`CacheError::Backend`].
fn map_error(target: &str, operation: &'static str, e: RedisError) -> CacheError {
    if e.is_io_error() || e.is_unrecoverable_error() {
        CacheError::Unavailable { backend: BACKEND, target: target.to_owned(), message: format!("{operation}: {e}") }
    } else {
        CacheError::Backend { backend: BACKEND, operation, message: e.to_string() }
    }
}

/// `url` with any userinfo (user and password) replaced by `***`, so it can
/// appear in errors and logs.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_credentials_only() {
        assert_eq!(redact_url("redis://user:s3cret@cache.local:6379/2"), "redis://***@cache.local:6379/2");
        assert_eq!(redact_url("redis://:pw@host"), "redis://***@host");
        assert_eq!(redact_url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn ttl_millis_rounds_up_and_clamps() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1)), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1500)), 2);
        assert_eq!(ttl_millis(Duration::from_millis(300)), 300);
        assert_eq!(ttl_millis(Duration::MAX), MAX_TTL_MILLIS);
    }
}
