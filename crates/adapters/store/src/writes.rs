//! Turning domain values into a [`WriteSet`]: the document, the references it
//! must not break, and the rows derived from it (order lines, ledger rows). The
//! API, bulk import and the demo loader all build their writes here.

use retail_domain::{
    BehaviourEvent, Category, Contract, Customer, Entity, EntityKind, GoodsReceipt, KbArticle, Location, Movement,
    Order, Product, PurchaseOrder, Supplier, TransferOrder, Vehicle,
};

use crate::types::{DocWrite, LedgerWrite, OrderLineRow, OutboxWrite, Reference, WriteSet};

/// An entity the store knows how to write, with the rows derived from it.
pub trait Stored: Entity {
    /// Adds rows that follow from this entity (none for most kinds).
    fn add_derived(&self, _writes: &mut WriteSet, _item: usize) {}
}

impl Stored for Location {}
impl Stored for Category {}
impl Stored for Product {}
impl Stored for Customer {}
impl Stored for Supplier {}
impl Stored for PurchaseOrder {}
impl Stored for KbArticle {}
impl Stored for Contract {}
impl Stored for TransferOrder {}
impl Stored for Vehicle {}

impl Stored for Order {
    fn add_derived(&self, writes: &mut WriteSet, _item: usize) {
        writes.order_lines_for.push(self.external_id.clone());
        writes.order_lines.extend(self.lines.iter().enumerate().map(|(i, l)| OrderLineRow {
            order_id: self.external_id.clone(),
            line_no: i as i64,
            product_id: l.product_id.clone(),
            quantity: l.quantity,
            unit_price_minor: l.unit_price_minor,
            discount_minor: l.discount_minor,
        }));
    }
}

impl Stored for GoodsReceipt {
    /// A receipt books its goods into the ledger; the movement ids derive from the
    /// receipt id, so storing the same receipt again books nothing twice.
    fn add_derived(&self, writes: &mut WriteSet, _item: usize) {
        for m in self.movements() {
            writes
                .ledger
                .extend(m.ledger_rows().into_iter().map(|row| LedgerWrite { movement_id: m.movement_id.clone(), row }));
        }
    }
}

impl WriteSet {
    /// Adds documents for `items` (upserted on their external ids) with their
    /// references and derived rows; reference fields are prefixed `[i].`.
    pub fn upsert<T: Stored>(&mut self, items: &[T]) {
        for (i, item) in items.iter().enumerate() {
            self.references.extend(item.references().into_iter().map(|(kind, id, field)| Reference {
                kind,
                external_id: id.to_string(),
                field: format!("[{i}].{field}"),
            }));
            self.docs.push(DocWrite {
                kind: T::KIND,
                external_id: item.external_id().to_string(),
                doc: serde_json::to_value(item).expect("domain entities always serialise to JSON"),
            });
            item.add_derived(self, i);
        }
    }

    /// Adds the ledger rows of stock movements (and checks their locations and products).
    pub fn add_movements(&mut self, movements: &[Movement]) {
        for (i, m) in movements.iter().enumerate() {
            let refs = [
                (EntityKind::Location, Some(&m.location_id), "location_id"),
                (EntityKind::Product, Some(&m.product_id), "product_id"),
                (EntityKind::Location, m.to_location_id.as_ref(), "to_location_id"),
            ];
            self.add_references(i, refs);
            self.ledger
                .extend(m.ledger_rows().into_iter().map(|row| LedgerWrite { movement_id: m.movement_id.clone(), row }));
        }
    }

    /// Adds behaviour events (and checks the products and locations they name;
    /// customer ids are not checked because a storefront may report a visitor
    /// before the customer record has been synchronised).
    pub fn add_events(&mut self, events: &[BehaviourEvent]) {
        for (i, e) in events.iter().enumerate() {
            let refs = [
                (EntityKind::Product, e.product_id.as_ref(), "product_id"),
                (EntityKind::Location, e.location_id.as_ref(), "location_id"),
            ];
            self.add_references(i, refs);
        }
        self.events.extend_from_slice(events);
    }

    /// Adds an outbox record announcing this write.
    pub fn announce(&mut self, event_id: String, topic: &str, payload: serde_json::Value, occurred_at_ms: i64) {
        self.outbox.push(OutboxWrite { event_id, topic: topic.to_string(), payload, occurred_at_ms });
    }

    fn add_references<'a>(
        &mut self,
        item: usize,
        refs: impl IntoIterator<Item = (EntityKind, Option<&'a String>, &'a str)>,
    ) {
        for (kind, id, field) in refs {
            if let Some(id) = id {
                self.references.push(Reference { kind, external_id: id.clone(), field: format!("[{item}].{field}") });
            }
        }
    }
}
