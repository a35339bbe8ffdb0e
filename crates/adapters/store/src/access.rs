//! Access-control records: API keys, console sessions, login lockout and the
//! audit log.

use async_trait::async_trait;

use crate::SqlStore;

/// Storage for access control; part of [`crate::Store`].
#[async_trait]
pub trait AccessStore: Send + Sync {}

#[async_trait]
impl AccessStore for SqlStore {}
