//! Conformance checks for [`crate::AccessStore`].

use crate::Store;

pub async fn run(_store: &dyn Store) {}
