//! Supply chain: delivery planning on the routing engine (DC → store transfers, home deliveries,
//! problems submitted whole), supplier scorecards, and transport, inventory, landed-cost and
//! price-variance analysis.

pub mod costs;
pub mod delivery;
pub mod problem;
pub mod suppliers;

use std::collections::{BTreeSet, HashMap};

use retail_domain::{EntityKind, Product};

use crate::Platform;
use crate::service::{ServiceError, ServiceResult};

/// The products named, by id (unknown ids are left out). The ids are collected by the caller, so
/// no borrowing iterator lives across the reads.
pub(crate) async fn load_products(p: &Platform, ids: BTreeSet<String>) -> ServiceResult<HashMap<String, Product>> {
    let ids: Vec<String> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for d in p.store.get_docs(EntityKind::Product, chunk).await? {
            let product: Product = serde_json::from_value(d.doc)
                .map_err(|e| ServiceError::Internal(format!("stored product {}: {e}", d.external_id)))?;
            out.insert(product.external_id.clone(), product);
        }
    }
    Ok(out)
}
