//! Aggregate reads behind the console's dashboards.

use async_trait::async_trait;

use crate::SqlStore;

/// Aggregate queries for dashboards and reports; part of [`crate::Store`].
#[async_trait]
pub trait ReportStore: Send + Sync {}

#[async_trait]
impl ReportStore for SqlStore {}
