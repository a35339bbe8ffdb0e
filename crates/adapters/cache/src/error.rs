//! The one error type every cache adapter returns.

/// What went wrong in a cache call, split by how a caller should react.
///
/// [`CacheError::Unavailable`] is usually transient (a caller may fail open,
/// e.g. skip a rate limit while Redis restarts); the other variants point at a
/// bug or bad data and retrying will not help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The backend could not be reached: refused or timed-out connection,
    /// dropped connection, response timeout.
    #[error("{backend} cache unavailable at {target}: {message}")]
    Unavailable {
        /// Backend name, as [`crate::Cache::backend`] returns it.
        backend: &'static str,
        /// Where the backend was expected (URL with any password removed).
        target: String,
        /// The underlying error text.
        message: String,
    },

    /// The backend answered but the operation failed, e.g. `incr` on a value
    /// that is not an integer, or counter overflow.
    #[error("{backend} cache {operation} failed: {message}")]
    Backend {
        /// Backend name, as [`crate::Cache::backend`] returns it.
        backend: &'static str,
        /// The cache operation that failed (`"get"`, `"incr"`, ...).
        operation: &'static str,
        /// The underlying error text.
        message: String,
    },

    /// The adapter was configured with something it cannot use, such as a
    /// malformed Redis URL; detected before any network traffic.
    #[error("invalid cache configuration: {0}")]
    Config(String),

    /// A value could not be encoded to or decoded from JSON by
    /// [`crate::get_json`] / [`crate::set_json`].
    #[error("cache value for key `{key}` is not valid JSON for the requested type: {message}")]
    Codec {
        /// The cache key whose value failed to (de)serialize.
        key: String,
        /// The serde error text.
        message: String,
    },
}
