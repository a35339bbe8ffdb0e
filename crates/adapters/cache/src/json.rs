//! JSON convenience on top of the byte-oriented [`Cache`] trait.
//!
//! Kept as free functions over `&dyn Cache` so the trait stays object safe.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Cache, CacheError};

/// Reads `key` and decodes it as JSON; `None` when the key is missing.
///
/// A value that does not decode as `T` (stale schema, foreign writer) is a
/// [`CacheError::Codec`] so the caller can decide to recompute and overwrite.
pub async fn get_json<T: DeserializeOwned>(cache: &dyn Cache, key: &str) -> Result<Option<T>, CacheError> {
    let Some(bytes) = cache.get(key).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| CacheError::Codec { key: key.to_owned(), message: e.to_string() })
}

/// Encodes `value` as JSON and stores it under `key` with the given TTL.
pub async fn set_json<T: Serialize + ?Sized>(
    cache: &dyn Cache,
    key: &str,
    value: &T,
    ttl: Option<Duration>,
) -> Result<(), CacheError> {
    let bytes =
        serde_json::to_vec(value).map_err(|e| CacheError::Codec { key: key.to_owned(), message: e.to_string() })?;
    cache.set(key, &bytes, ttl).await
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::MemoryCache;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Offer {
        sku: String,
        cents: u32,
    }

    #[tokio::test]
    async fn json_roundtrip_missing_and_corrupt() {
        let cache = MemoryCache::new(16);
        let offer = Offer { sku: "SKU-1".into(), cents: 1299 };

        assert_eq!(get_json::<Offer>(&cache, "offer").await, Ok(None));

        set_json(&cache, "offer", &offer, None).await.unwrap();
        assert_eq!(get_json::<Offer>(&cache, "offer").await, Ok(Some(offer)));

        cache.set("offer", b"{not json", None).await.unwrap();
        let err = get_json::<Offer>(&cache, "offer").await.unwrap_err();
        assert!(matches!(&err, CacheError::Codec { key, .. } if key == "offer"), "unexpected error: {err:?}");
    }
}
