//! How each entity kind is laid out in its table: which columns are projected
//! out of the JSON document (to filter, join and aggregate on) and which fields
//! feed the search text. One table of specs serves every kind, so adding a kind
//! is a migration plus one entry here.

use retail_domain::EntityKind;
use serde_json::Value;

/// How a projected column is read from the document.
#[derive(Debug, Clone, Copy)]
pub enum ColumnType {
    Text,
    Int,
    Real,
    /// A JSON boolean stored as 0/1.
    Bool,
    /// An RFC 3339 timestamp stored as UTC milliseconds.
    TimestampMs,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    /// JSON pointer into the document.
    pub pointer: &'static str,
    pub ty: ColumnType,
}

#[derive(Debug)]
pub struct TableSpec {
    pub kind: EntityKind,
    pub table: &'static str,
    pub columns: &'static [Column],
    /// JSON pointers whose text is searchable.
    pub search: &'static [&'static str],
}

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn filterable(&self) -> String {
        self.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
    }

    /// The lower-cased text that `search` matches against.
    pub fn search_text(&self, external_id: &str, doc: &Value) -> String {
        let mut text = external_id.to_lowercase();
        for p in self.search {
            if let Some(s) = doc.pointer(p).and_then(Value::as_str) {
                text.push(' ');
                text.push_str(&s.to_lowercase());
            }
        }
        text
    }
}

const fn col(name: &'static str, pointer: &'static str, ty: ColumnType) -> Column {
    Column { name, pointer, ty }
}

use ColumnType::*;

static SPECS: [TableSpec; 12] = [
    TableSpec {
        kind: EntityKind::Location,
        table: "locations",
        columns: &[
            col("kind", "/kind", Text),
            col("city", "/city", Text),
            col("lat", "/lat", Real),
            col("lon", "/lon", Real),
            col("active", "/active", Bool),
        ],
        search: &["/name/zh", "/name/en", "/city"],
    },
    TableSpec {
        kind: EntityKind::Category,
        table: "categories",
        columns: &[col("parent_id", "/parent_id", Text)],
        search: &["/name/zh", "/name/en"],
    },
    TableSpec {
        kind: EntityKind::Product,
        table: "products",
        columns: &[
            col("category_id", "/category_id", Text),
            col("brand", "/brand", Text),
            col("status", "/status", Text),
            col("price_minor", "/price/amount_minor", Int),
            col("supplier_id", "/supplier_id", Text),
        ],
        search: &["/name/zh", "/name/en", "/brand", "/barcode"],
    },
    TableSpec {
        kind: EntityKind::Customer,
        table: "customers",
        columns: &[
            col("home_location_id", "/home_location_id", Text),
            col("city", "/city", Text),
            col("tier", "/tier", Text),
            col("phone", "/phone", Text),
            col("email", "/email", Text),
            col("registered_at", "/registered_at", TimestampMs),
        ],
        search: &["/name", "/phone", "/email"],
    },
    TableSpec {
        kind: EntityKind::Supplier,
        table: "suppliers",
        columns: &[col("active", "/active", Bool)],
        search: &["/name/zh", "/name/en", "/contact_name"],
    },
    TableSpec {
        kind: EntityKind::Order,
        table: "orders",
        columns: &[
            col("customer_id", "/customer_id", Text),
            col("location_id", "/location_id", Text),
            col("status", "/status", Text),
            col("channel", "/channel", Text),
            col("placed_at", "/placed_at", TimestampMs),
        ],
        search: &["/customer_id"],
    },
    TableSpec {
        kind: EntityKind::PurchaseOrder,
        table: "purchase_orders",
        columns: &[
            col("supplier_id", "/supplier_id", Text),
            col("location_id", "/location_id", Text),
            col("status", "/status", Text),
            col("created_on", "/created_at", TimestampMs),
        ],
        search: &["/supplier_id"],
    },
    TableSpec {
        kind: EntityKind::GoodsReceipt,
        table: "receipts",
        columns: &[
            col("purchase_order_id", "/purchase_order_id", Text),
            col("location_id", "/location_id", Text),
            col("received_at", "/received_at", TimestampMs),
        ],
        search: &["/purchase_order_id"],
    },
    TableSpec {
        kind: EntityKind::KbArticle,
        table: "kb_articles",
        columns: &[col("topic", "/topic", Text), col("published", "/published", Bool)],
        search: &["/title/zh", "/title/en", "/body/zh", "/body/en"],
    },
    TableSpec {
        kind: EntityKind::Contract,
        table: "contracts",
        columns: &[
            col("supplier_id", "/supplier_id", Text),
            col("product_id", "/product_id", Text),
            col("valid_from", "/valid_from", Text),
        ],
        search: &["/supplier_id", "/product_id"],
    },
    TableSpec {
        kind: EntityKind::TransferOrder,
        table: "transfer_orders",
        columns: &[
            col("from_location_id", "/from_location_id", Text),
            col("to_location_id", "/to_location_id", Text),
            col("status", "/status", Text),
            col("deliver_on", "/deliver_on", Text),
        ],
        search: &["/to_location_id"],
    },
    TableSpec {
        kind: EntityKind::Vehicle,
        table: "vehicles",
        columns: &[col("depot_id", "/depot_id", Text), col("active", "/active", Bool)],
        search: &["/name/zh", "/name/en"],
    },
];

/// The `(table, column)` pairs that hold references to `kind`: a record that is
/// still referenced cannot be deleted.
pub fn referenced_from(kind: EntityKind) -> &'static [(&'static str, &'static str)] {
    match kind {
        EntityKind::Category => &[("products", "category_id"), ("categories", "parent_id")],
        EntityKind::Product => &[
            ("order_lines", "product_id"),
            ("ledger", "product_id"),
            ("events", "product_id"),
            ("contracts", "product_id"),
        ],
        EntityKind::Location => &[
            ("ledger", "location_id"),
            ("orders", "location_id"),
            ("customers", "home_location_id"),
            ("purchase_orders", "location_id"),
            ("receipts", "location_id"),
            ("vehicles", "depot_id"),
            ("transfer_orders", "from_location_id"),
            ("transfer_orders", "to_location_id"),
        ],
        EntityKind::Customer => &[("orders", "customer_id")],
        EntityKind::Supplier => {
            &[("products", "supplier_id"), ("purchase_orders", "supplier_id"), ("contracts", "supplier_id")]
        }
        EntityKind::PurchaseOrder => &[("receipts", "purchase_order_id")],
        // A receipt's goods are in the ledger for good; stock is corrected with an adjustment.
        EntityKind::GoodsReceipt => &[("ledger", "reference")],
        EntityKind::Order
        | EntityKind::KbArticle
        | EntityKind::Contract
        | EntityKind::TransferOrder
        | EntityKind::Vehicle => &[],
    }
}

pub fn table_spec(kind: EntityKind) -> &'static TableSpec {
    SPECS.iter().find(|s| s.kind == kind).expect("every entity kind has a table spec")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_table() {
        for k in EntityKind::ALL {
            assert_eq!(table_spec(k).table, k.plural());
        }
    }

    #[test]
    fn search_text_is_lowercased_and_bilingual() {
        let doc = serde_json::json!({"name": {"zh": "全脂牛奶", "en": "Whole MILK"}, "brand": "Bright"});
        let t = table_spec(EntityKind::Product).search_text("SKU-1", &doc);
        assert_eq!(t, "sku-1 全脂牛奶 whole milk bright");
    }
}
