//! A serde deserializer over CSV cells, so that one generic import reads every
//! entity kind straight into its domain type, with the type deciding how each
//! cell is read:
//! - dotted headers nest (`name.zh`, `price.amount_minor`, `attributes.origin`);
//! - an empty cell is an absent field (its default applies);
//! - a list of plain values is one cell split on `;` (`tags`, `preferred_channels`);
//! - a list of records spans consecutive rows of the same id: each row gives one
//!   element from its prefixed columns (`lines.product_id`, `lines.quantity`).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// A cell tree built from one CSV row.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Leaf(String),
    Map(BTreeMap<String, Node>),
}

impl Node {
    /// Builds a row's tree from `(header, cell)` pairs; empty cells are left out.
    pub fn from_row<'a>(cells: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Node, CellError> {
        let mut root = BTreeMap::new();
        for (header, cell) in cells {
            if cell.is_empty() {
                continue;
            }
            let mut map = &mut root;
            let parts: Vec<&str> = header.split('.').map(str::trim).collect();
            if parts.iter().any(|p| p.is_empty()) {
                return Err(CellError::at(header, "malformed column name"));
            }
            for part in &parts[..parts.len() - 1] {
                let entry = map.entry(part.to_string()).or_insert_with(|| Node::Map(BTreeMap::new()));
                map = match entry {
                    Node::Map(m) => m,
                    Node::Leaf(_) => return Err(CellError::at(header, "column is both a value and a group")),
                };
            }
            let last = parts[parts.len() - 1].to_string();
            if map.insert(last, Node::Leaf(cell.to_string())).is_some() {
                return Err(CellError::at(header, "column appears twice"));
            }
        }
        Ok(Node::Map(root))
    }
}

/// Reads a `T` from the rows of one record (usually one row; several for
/// records with line items).
pub fn from_rows<T: DeserializeOwned>(rows: &[Node]) -> Result<T, CellError> {
    T::deserialize(Field { rows: rows.iter().collect() })
}

/// What went wrong, with the dotted path of the field.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub path: Vec<String>,
    pub message: String,
}

impl CellError {
    fn at(field: &str, message: &str) -> Self {
        Self { path: vec![field.to_string()], message: message.to_string() }
    }

    fn within(mut self, key: &str) -> Self {
        self.path.insert(0, key.to_string());
        self
    }

    pub fn field(&self) -> Option<String> {
        (!self.path.is_empty()).then(|| self.path.join("."))
    }
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field() {
            Some(p) => write!(f, "{p}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CellError {}

impl de::Error for CellError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Self { path: Vec::new(), message: msg.to_string() }
    }
}

/// One field's nodes, one per row of the record (rows without it are skipped).
struct Field<'a> {
    rows: Vec<&'a Node>,
}

impl<'a> Field<'a> {
    fn first(&self) -> &'a Node {
        self.rows[0]
    }

    fn leaf(&self) -> Result<&'a str, CellError> {
        match self.first() {
            Node::Leaf(s) => Ok(s),
            Node::Map(m) => Err(de::Error::custom(format!(
                "expected one column, found columns {}",
                m.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, CellError> {
        let s = self.leaf()?.trim();
        s.parse().map_err(|_| de::Error::custom(format!("{s:?} is not {what}")))
    }
}

macro_rules! parse_number {
    ($($method:ident => $visit:ident, $ty:ty, $what:expr;)*) => {
        $(fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
            v.$visit(self.parse::<$ty>($what)?)
        })*
    };
}

impl<'de, 'a> de::Deserializer<'de> for Field<'a> {
    type Error = CellError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        match self.first() {
            Node::Leaf(s) => v.visit_str(s),
            Node::Map(_) => self.deserialize_map(v),
        }
    }

    parse_number! {
        deserialize_i8 => visit_i8, i8, "a whole number";
        deserialize_i16 => visit_i16, i16, "a whole number";
        deserialize_i32 => visit_i32, i32, "a whole number";
        deserialize_i64 => visit_i64, i64, "a whole number";
        deserialize_u8 => visit_u8, u8, "a non-negative whole number";
        deserialize_u16 => visit_u16, u16, "a non-negative whole number";
        deserialize_u32 => visit_u32, u32, "a non-negative whole number";
        deserialize_u64 => visit_u64, u64, "a non-negative whole number";
        deserialize_f32 => visit_f32, f32, "a number";
        deserialize_f64 => visit_f64, f64, "a number";
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        match self.leaf()?.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "y" => v.visit_bool(true),
            "false" | "0" | "no" | "n" => v.visit_bool(false),
            other => Err(de::Error::custom(format!("{other:?} is not true/false"))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        // Empty cells never reach here: they are absent fields.
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, CellError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        match self.first() {
            Node::Leaf(s) => {
                let items: Vec<Node> =
                    s.split(';').map(str::trim).filter(|x| !x.is_empty()).map(|x| Node::Leaf(x.to_string())).collect();
                v.visit_seq(Elements { items: items.iter().collect(), index: 0 })
            }
            Node::Map(_) => v.visit_seq(Elements { items: self.rows, index: 0 }),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, CellError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        let mut keys: Vec<&'a String> = Vec::new();
        for row in &self.rows {
            match row {
                Node::Map(m) => keys.extend(m.keys().filter(|k| !keys.contains(k)).collect::<Vec<_>>()),
                Node::Leaf(s) => {
                    return Err(de::Error::custom(format!("expected a group of columns, found the value {s:?}")));
                }
            }
        }
        v.visit_map(Entries { rows: self.rows, keys, index: 0 })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, CellError> {
        self.deserialize_map(v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, CellError> {
        let s: StrDeserializer<'_, CellError> = self.leaf()?.trim().into_deserializer();
        v.visit_enum(s)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, CellError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple_struct identifier
    }
}

struct Elements<'a> {
    items: Vec<&'a Node>,
    index: usize,
}

impl<'de, 'a> SeqAccess<'de> for Elements<'a> {
    type Error = CellError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, CellError> {
        let Some(item) = self.items.get(self.index) else { return Ok(None) };
        let i = self.index;
        self.index += 1;
        seed.deserialize(Field { rows: vec![item] }).map(Some).map_err(|e| e.within(&format!("[{i}]")))
    }
}

struct Entries<'a> {
    rows: Vec<&'a Node>,
    keys: Vec<&'a String>,
    index: usize,
}

impl<'de, 'a> MapAccess<'de> for Entries<'a> {
    type Error = CellError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, CellError> {
        let Some(key) = self.keys.get(self.index) else { return Ok(None) };
        let d: StrDeserializer<'_, CellError> = key.as_str().into_deserializer();
        seed.deserialize(d).map(Some).map_err(|e| e.within(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, CellError> {
        let key = self.keys[self.index];
        self.index += 1;
        let rows: Vec<&Node> =
            self.rows.iter().filter_map(|r| if let Node::Map(m) = r { m.get(key) } else { None }).collect();
        seed.deserialize(Field { rows }).map_err(|e| e.within(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retail_domain::{Order, Product, ProductStatus};

    fn row(pairs: &[(&str, &str)]) -> Node {
        Node::from_row(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn a_product_row_reads_with_nested_columns() {
        let r = row(&[
            ("external_id", "SKU-1"),
            ("name.zh", "全脂牛奶"),
            ("name.en", "Whole milk"),
            ("category_id", "dairy"),
            ("price.amount_minor", "1290"),
            ("price.currency", "CNY"),
            ("cost.amount_minor", "900"),
            ("cost.currency", "CNY"),
            ("attributes.origin", "上海"),
            ("shelf_life_days", ""),
            ("status", "active"),
        ]);
        let p: Product = from_rows(&[r]).unwrap();
        assert_eq!(p.price.amount_minor, 1290);
        assert_eq!(p.attributes["origin"], "上海");
        assert_eq!(p.shelf_life_days, None, "an empty cell is an absent field");
        assert_eq!(p.pack_size, 1, "defaults apply to absent fields");
        assert_eq!(p.status, ProductStatus::Active);
    }

    #[test]
    fn errors_name_the_field() {
        let r = row(&[("external_id", "S"), ("name.zh", "x"), ("category_id", "c"), ("price.amount_minor", "12.5元")]);
        let e = from_rows::<Product>(&[r]).unwrap_err();
        assert_eq!(e.field().as_deref(), Some("price.amount_minor"));
        let r = row(&[("external_id", "S"), ("status", "sold_out")]);
        let e = from_rows::<Product>(&[r]).unwrap_err();
        assert_eq!(e.field().as_deref(), Some("status"), "{e}");
        let r = row(&[("external_id", "S"), ("colour", "red")]);
        assert!(from_rows::<Product>(&[r]).unwrap_err().message.contains("unknown field"));
    }

    #[test]
    fn order_lines_span_rows() {
        let base = [
            ("external_id", "O1"),
            ("channel", "online"),
            ("location_id", "S1"),
            ("status", "paid"),
            ("currency", "CNY"),
            ("placed_at", "2026-01-02T03:04:05Z"),
        ];
        let mut a = base.to_vec();
        a.extend([("lines.product_id", "P1"), ("lines.quantity", "2"), ("lines.unit_price_minor", "100")]);
        let mut b = base.to_vec();
        b.extend([("lines.product_id", "P2"), ("lines.quantity", "1"), ("lines.unit_price_minor", "50")]);
        let o: Order = from_rows(&[row(&a), row(&b)]).unwrap();
        assert_eq!(o.lines.len(), 2);
        assert_eq!(o.lines[1].product_id, "P2");
        assert_eq!(o.total_minor(), 250);
    }

    #[test]
    fn plain_lists_split_on_semicolons() {
        #[derive(serde::Deserialize)]
        struct T {
            tags: Vec<String>,
        }
        let t: T = from_rows(&[row(&[("tags", "a; b;;c")])]).unwrap();
        assert_eq!(t.tags, ["a", "b", "c"]);
    }

    #[test]
    fn malformed_headers_are_refused() {
        assert!(Node::from_row([("a..b", "1")]).is_err());
        assert!(Node::from_row([("a", "1"), ("a", "2")]).is_err());
        assert!(Node::from_row([("a", "1"), ("a.b", "2")]).is_err());
    }
}
