//! Conformance checks for [`crate::ReportsStore`].

use crate::Store;

pub async fn run(_store: &dyn Store) {}
