//! The operations on the retail data model that the HTTP API and the CLI share.
//! Handlers and commands stay thin: they parse, call one of these, and present.

use retail_domain::{BehaviourEvent, Entity, EntityKind, Movement, Order, OrderStatus, Validate, Violations};
use retail_store::{Applied, DocQuery, Page, StoreError, Stored, StoredDoc, WriteSet};
use serde::Serialize;

use crate::ids::new_id;
use crate::platform::Platform;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input: {0}")]
    Invalid(Violations),
    #[error("{kind} '{id}' not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{got} items in one request; at most {max}")]
    TooMany { got: usize, max: usize },
    /// A background task of the operation died (a bug, not bad input).
    #[error("internal error: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A single-field validation failure.
pub fn invalid(field: &str, message: impl Into<String>) -> ServiceError {
    let mut v = Violations::new();
    v.push(field, message);
    ServiceError::Invalid(v)
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Validates every item, naming failures `[i].field`.
pub fn validate_all<T: Validate>(items: &[T]) -> ServiceResult<()> {
    let mut all = Violations::new();
    for (i, item) in items.iter().enumerate() {
        if let Err(v) = item.validate() {
            all.nest(&format!("[{i}]"), v);
        }
    }
    all.into_result().map_err(ServiceError::Invalid)
}

fn check_batch(p: &Platform, n: usize) -> ServiceResult<()> {
    match n {
        0 => Err(invalid("items", "at least one item is needed")),
        n if n > p.config.max_batch_items => Err(ServiceError::TooMany { got: n, max: p.config.max_batch_items }),
        _ => Ok(()),
    }
}

/// Summary payload of an outbox announcement: the ids written (the first 1,000).
fn ids_payload<'a>(ids: impl Iterator<Item = &'a str>) -> serde_json::Value {
    let ids: Vec<&str> = ids.take(1000).collect();
    serde_json::json!({ "ids": ids })
}

/// Adds the outbox announcement of the documents `ids` under `topic` to a write set.
pub(crate) fn announce<'a>(writes: &mut WriteSet, topic: &str, ids: impl Iterator<Item = &'a str>) {
    writes.announce(new_id("evt"), topic, ids_payload(ids), chrono::Utc::now().timestamp_millis());
}

async fn apply_announced(
    p: &Platform,
    mut writes: WriteSet,
    topic: String,
    payload: serde_json::Value,
) -> ServiceResult<Applied> {
    writes.announce(new_id("evt"), &topic, payload, chrono::Utc::now().timestamp_millis());
    let applied = p.store.apply(writes).await?;
    p.outbox_written();
    Ok(applied)
}

/// Inserts or replaces entities by external id, all or nothing.
pub async fn upsert<T: Stored>(p: &Platform, items: &[T]) -> ServiceResult<Applied> {
    check_batch(p, items.len())?;
    validate_all(items)?;
    if T::KIND == EntityKind::Order {
        check_order_transitions(p, items).await?;
    }
    let mut writes = WriteSet::default();
    writes.upsert(items);
    let payload = ids_payload(items.iter().map(|i| i.external_id()));
    let applied = apply_announced(p, writes, format!("{}.upserted", T::KIND.plural()), payload).await?;
    p.assistant.knowledge.changed(T::KIND);
    Ok(applied)
}

/// An upsert may move an order along its lifecycle but never backwards.
async fn check_order_transitions<T: Entity>(p: &Platform, items: &[T]) -> ServiceResult<()> {
    let mut v = Violations::new();
    for (i, item) in items.iter().enumerate() {
        let Some(stored) = p.store.get_doc(EntityKind::Order, item.external_id()).await? else { continue };
        let new: Order = serde_json::from_value(serde_json::to_value(item).expect("entities serialise"))
            .expect("an order item is an Order");
        let old: Order = serde_json::from_value(stored.doc)
            .map_err(|e| StoreError::Corrupt { table: "orders", message: e.to_string() })?;
        if old.status != new.status && !old.status.can_become(new.status) {
            v.push(
                format!("[{i}].status"),
                format!("order is {}; it cannot become {}", old.status.as_str(), new.status.as_str()),
            );
        }
    }
    v.into_result().map_err(ServiceError::Invalid)
}

pub async fn get(p: &Platform, kind: EntityKind, id: &str) -> ServiceResult<StoredDoc> {
    p.store.get_doc(kind, id).await?.ok_or_else(|| ServiceError::NotFound { kind: kind.noun(), id: id.to_string() })
}

pub async fn list(p: &Platform, kind: EntityKind, query: &DocQuery) -> ServiceResult<Page<StoredDoc>> {
    Ok(p.store.list_docs(kind, query).await?)
}

pub async fn delete(p: &Platform, kind: EntityKind, id: &str) -> ServiceResult<()> {
    if p.store.delete_doc(kind, id).await? {
        let mut w = WriteSet::default();
        w.announce(
            new_id("evt"),
            &format!("{}.deleted", kind.plural()),
            ids_payload(std::iter::once(id)),
            chrono::Utc::now().timestamp_millis(),
        );
        p.store.apply(w).await?;
        p.outbox_written();
        p.assistant.knowledge.changed(kind);
        Ok(())
    } else {
        Err(ServiceError::NotFound { kind: kind.noun(), id: id.to_string() })
    }
}

/// Moves an order to `status` if its lifecycle allows it.
pub async fn set_order_status(p: &Platform, id: &str, status: OrderStatus) -> ServiceResult<Order> {
    let stored = get(p, EntityKind::Order, id).await?;
    let mut order: Order = serde_json::from_value(stored.doc)
        .map_err(|e| StoreError::Corrupt { table: "orders", message: e.to_string() })?;
    if order.status == status {
        return Ok(order);
    }
    if !order.status.can_become(status) {
        return Err(ServiceError::Conflict(format!(
            "order {id} is {}; it cannot become {}",
            order.status.as_str(),
            status.as_str()
        )));
    }
    order.status = status;
    order.updated_at = Some(chrono::Utc::now().max(order.placed_at));
    let mut writes = WriteSet::default();
    writes.upsert(std::slice::from_ref(&order));
    let payload = serde_json::json!({ "id": id, "status": status.as_str() });
    apply_announced(p, writes, "orders.status_changed".into(), payload).await?;
    Ok(order)
}

/// Records stock movements in the ledger (idempotent on movement ids).
pub async fn record_movements(p: &Platform, movements: &[Movement]) -> ServiceResult<Applied> {
    check_batch(p, movements.len())?;
    validate_all(movements)?;
    let mut writes = WriteSet::default();
    writes.add_movements(movements);
    let payload = serde_json::json!({ "count": movements.len() });
    apply_announced(p, writes, "inventory.moved".into(), payload).await
}

/// Stores behaviour events (idempotent on event ids). Events are high volume,
/// so one announcement covers the batch.
pub async fn ingest_events(p: &Platform, events: &[BehaviourEvent]) -> ServiceResult<Applied> {
    check_batch(p, events.len())?;
    validate_all(events)?;
    let mut writes = WriteSet::default();
    writes.add_events(events);
    let payload = serde_json::json!({ "count": events.len() });
    apply_announced(p, writes, "events.ingested".into(), payload).await
}

/// Counts of every entity kind, for dashboards and the demo summary.
#[derive(Debug, Clone, Serialize)]
pub struct Counts(pub Vec<(&'static str, u64)>);

pub async fn counts(p: &Platform) -> ServiceResult<Counts> {
    let mut out = Vec::new();
    for kind in EntityKind::ALL {
        out.push((kind.plural(), p.store.count_docs(kind).await?));
    }
    Ok(Counts(out))
}

/// Every stored document of a kind, parsed.
pub async fn all_docs<T: serde::de::DeserializeOwned>(p: &Platform, kind: EntityKind) -> ServiceResult<Vec<T>> {
    all_docs_where(p, kind, &[]).await
}

/// Every stored document of a kind whose projected columns equal the `(column, value)` filters, parsed.
pub(crate) async fn all_docs_where<T: serde::de::DeserializeOwned>(
    p: &Platform,
    kind: EntityKind,
    filters: &[(&str, &str)],
) -> ServiceResult<Vec<T>> {
    let filters: Vec<(String, String)> = filters.iter().map(|(c, v)| (c.to_string(), v.to_string())).collect();
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let query = DocQuery { after, limit: 1000, filters: filters.clone(), ..Default::default() };
        let page = p.store.list_docs(kind, &query).await?;
        for d in &page.items {
            let item = serde_json::from_value(d.doc.clone()).map_err(|e| {
                ServiceError::Internal(format!("stored {} '{}' does not parse: {e}", kind.plural(), d.external_id))
            })?;
            out.push(item);
        }
        match page.next_cursor {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}
