//! The category tree and the products (SKUs) sold.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::money::Money;
use crate::text::Text;
use crate::validate::{Validate, Violations, text_field};

/// A node of the category tree; roots have no parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub external_id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    pub name: Text,
    /// Consumables are bought again and again (milk), durables rarely (a kettle);
    /// recommenders treat "already bought" differently for the two.
    #[serde(default)]
    pub consumable: bool,
    /// Perishable categories (fresh, dairy, bakery) drive waste-aware replenishment.
    #[serde(default)]
    pub perishable: bool,
}

impl Validate for Category {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        v.optional_external_id("parent_id", self.parent_id.as_deref());
        v.check(
            self.parent_id.as_deref() != Some(self.external_id.as_str()),
            "parent_id",
            "a category cannot be its own parent",
        );
        self.name.validate_into(&mut v, "name", 100);
        v.into_result()
    }
}

impl Entity for Category {
    const KIND: EntityKind = EntityKind::Category;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        self.parent_id.as_deref().map(|p| (EntityKind::Category, p, "parent_id".to_string())).into_iter().collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    Draft,
    Active,
    Discontinued,
}

/// A sellable SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// The retailer's SKU code.
    pub external_id: String,
    pub name: Text,
    #[serde(default)]
    pub brand: String,
    pub category_id: String,
    /// Free-form specifications (origin, flavour, size, ingredients…).
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Regular shelf price.
    pub price: Money,
    /// Unit cost from the supplier, in the same currency as the price.
    pub cost: Money,
    /// Units in one case as ordered from the supplier.
    #[serde(default = "one")]
    pub pack_size: u32,
    /// Shelf life in days; absent for non-perishables.
    #[serde(default)]
    pub shelf_life_days: Option<u32>,
    #[serde(default)]
    pub barcode: Option<String>,
    #[serde(default)]
    pub supplier_id: Option<String>,
    pub status: ProductStatus,
    /// Shipping weight of one unit, for vehicle loads and landed cost.
    #[serde(default)]
    pub unit_weight_kg: Option<f64>,
    /// Shipping volume of one unit in cubic metres.
    #[serde(default)]
    pub unit_volume_m3: Option<f64>,
}

fn one() -> u32 {
    1
}

impl Validate for Product {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        self.name.validate_into(&mut v, "name", 200);
        text_field(&mut v, "brand", &self.brand, false, 100);
        v.external_id("category_id", &self.category_id);
        v.optional_external_id("supplier_id", self.supplier_id.as_deref());
        self.price.validate_into(&mut v, "price", false);
        self.cost.validate_into(&mut v, "cost", false);
        v.check(self.price.currency == self.cost.currency, "cost.currency", "must be the price's currency");
        v.check(self.pack_size >= 1, "pack_size", "must be at least 1");
        v.check(self.shelf_life_days != Some(0), "shelf_life_days", "must be at least 1 day when given");
        for (field, value) in [("unit_weight_kg", self.unit_weight_kg), ("unit_volume_m3", self.unit_volume_m3)] {
            v.check(
                value.is_none_or(|x| x.is_finite() && x > 0.0 && x <= 10_000.0),
                field,
                "must be more than 0 and at most 10000 when given",
            );
        }
        v.check(self.attributes.len() <= 50, "attributes", "at most 50 attributes");
        for (k, val) in &self.attributes {
            text_field(&mut v, &format!("attributes.{k}"), val, false, 500);
            v.check(
                !k.trim().is_empty() && k.chars().count() <= 50,
                "attributes",
                "attribute names must be 1 to 50 characters",
            );
        }
        if let Some(b) = &self.barcode {
            v.check(
                !b.is_empty() && b.len() <= 32 && b.bytes().all(|c| c.is_ascii_digit()),
                "barcode",
                "must be 1 to 32 digits",
            );
        }
        v.into_result()
    }
}

impl Entity for Product {
    const KIND: EntityKind = EntityKind::Product;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        let mut r = vec![(EntityKind::Category, self.category_id.as_str(), "category_id".to_string())];
        if let Some(s) = &self.supplier_id {
            r.push((EntityKind::Supplier, s.as_str(), "supplier_id".to_string()));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn product() -> Product {
        Product {
            unit_volume_m3: None,
            unit_weight_kg: None,
            external_id: "SKU-1".into(),
            name: Text::new("全脂牛奶 1L", "Whole milk 1L"),
            brand: "光明".into(),
            category_id: "dairy".into(),
            attributes: BTreeMap::from([("origin".into(), "上海".into())]),
            price: Money::cny(1290),
            cost: Money::cny(900),
            pack_size: 12,
            shelf_life_days: Some(7),
            barcode: Some("6901234567890".into()),
            supplier_id: None,
            status: ProductStatus::Active,
        }
    }

    #[test]
    fn valid_product_passes_and_references_category() {
        let p = product();
        p.validate().unwrap();
        assert_eq!(p.references()[0].1, "dairy");
    }

    #[test]
    fn bad_product_lists_every_problem() {
        let mut p = product();
        p.price = Money::cny(-1);
        p.cost = Money::new(5, Currency("USD".into()));
        p.pack_size = 0;
        p.barcode = Some("abc".into());
        let fields: Vec<_> = p.validate().unwrap_err().0.into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["price.amount_minor", "cost.currency", "pack_size", "barcode"]);
    }

    #[test]
    fn category_cannot_parent_itself() {
        let c = Category {
            external_id: "a".into(),
            parent_id: Some("a".into()),
            name: Text::new("甲", ""),
            consumable: false,
            perishable: false,
        };
        assert!(c.validate().is_err());
    }
}
