//! Purchase price variance: what was paid against the contract price.
//!
//! Per line, variance = (paid − contract) × quantity in minor units (positive = paid more than the
//! contract) and (paid − contract) / contract × 100 in percent (`None` for a zero contract price).
//! Lines without a contract price have no variance and are counted as `missing_contract`. Summaries
//! add the lines up per supplier, per product and overall; their percentage is Σ variance / Σ contract
//! value of the lines that have a contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One purchase-order line with its paid and contract unit costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoLine {
    /// The purchase order.
    pub po_id: String,
    /// The supplier.
    pub supplier_id: String,
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: i64,
    /// Unit cost paid (invoiced), minor units.
    pub paid_unit_cost_minor: i64,
    /// Contract unit cost, minor units, when there is a contract.
    pub contract_unit_cost_minor: Option<i64>,
}

/// One line's variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineVariance {
    /// The purchase order.
    pub po_id: String,
    /// The supplier.
    pub supplier_id: String,
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: i64,
    /// Paid unit cost × quantity, minor units.
    pub paid_minor: i64,
    /// Contract unit cost × quantity, minor units.
    pub contract_minor: Option<i64>,
    /// Paid − contract unit cost, minor units.
    pub unit_variance_minor: Option<i64>,
    /// (Paid − contract) × quantity, minor units.
    pub variance_minor: Option<i64>,
    /// (Paid − contract) / contract × 100.
    pub variance_pct: Option<f64>,
}

/// Variance summed over a group of lines (a supplier, a product, or all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceSummary {
    /// The supplier or product id (`*` for all lines).
    pub key: String,
    /// Lines in the group.
    pub lines: usize,
    /// Lines paid above their contract price.
    pub above_contract: usize,
    /// Lines paid below their contract price.
    pub below_contract: usize,
    /// Lines without a contract price.
    pub missing_contract: usize,
    /// Paid value of every line, minor units.
    pub paid_minor: i64,
    /// Contract value of the lines with a contract, minor units.
    pub contract_minor: i64,
    /// Σ variance of the lines with a contract, minor units.
    pub variance_minor: i64,
    /// Σ variance / Σ contract value × 100 (`None` when that value is zero).
    pub variance_pct: Option<f64>,
}

impl VarianceSummary {
    fn new(key: &str) -> Self {
        Self {
            key: key.to_string(),
            lines: 0,
            above_contract: 0,
            below_contract: 0,
            missing_contract: 0,
            paid_minor: 0,
            contract_minor: 0,
            variance_minor: 0,
            variance_pct: None,
        }
    }

    fn add(&mut self, l: &LineVariance) {
        self.lines += 1;
        self.paid_minor += l.paid_minor;
        match (l.contract_minor, l.unit_variance_minor, l.variance_minor) {
            (Some(c), Some(u), Some(v)) => {
                self.contract_minor += c;
                self.variance_minor += v;
                self.above_contract += usize::from(u > 0);
                self.below_contract += usize::from(u < 0);
            }
            _ => self.missing_contract += 1,
        }
    }

    fn finish(mut self) -> Self {
        self.variance_pct =
            (self.contract_minor != 0).then(|| 100.0 * self.variance_minor as f64 / self.contract_minor as f64);
        self
    }
}

/// Lines, and their sums per supplier, per product and overall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceVariance {
    /// One entry per input line, in order.
    pub lines: Vec<LineVariance>,
    /// Per supplier, by supplier id.
    pub by_supplier: Vec<VarianceSummary>,
    /// Per product, by product id.
    pub by_product: Vec<VarianceSummary>,
    /// All lines.
    pub total: VarianceSummary,
}

/// Computes one line's variance.
pub fn line_variance(l: &PoLine) -> LineVariance {
    let unit = l.contract_unit_cost_minor.map(|c| l.paid_unit_cost_minor - c);
    LineVariance {
        po_id: l.po_id.clone(),
        supplier_id: l.supplier_id.clone(),
        product_id: l.product_id.clone(),
        quantity: l.quantity,
        paid_minor: l.quantity.saturating_mul(l.paid_unit_cost_minor),
        contract_minor: l.contract_unit_cost_minor.map(|c| l.quantity.saturating_mul(c)),
        unit_variance_minor: unit,
        variance_minor: unit.map(|u| l.quantity.saturating_mul(u)),
        variance_pct: l
            .contract_unit_cost_minor
            .filter(|c| *c != 0)
            .map(|c| 100.0 * (l.paid_unit_cost_minor - c) as f64 / c as f64),
    }
}

/// Computes every line's variance and the per-supplier, per-product and overall summaries.
pub fn price_variance(lines: &[PoLine]) -> PriceVariance {
    let lines: Vec<LineVariance> = lines.iter().map(line_variance).collect();
    let mut by_supplier: BTreeMap<&str, VarianceSummary> = BTreeMap::new();
    let mut by_product: BTreeMap<&str, VarianceSummary> = BTreeMap::new();
    let mut total = VarianceSummary::new("*");
    for l in &lines {
        by_supplier.entry(&l.supplier_id).or_insert_with(|| VarianceSummary::new(&l.supplier_id)).add(l);
        by_product.entry(&l.product_id).or_insert_with(|| VarianceSummary::new(&l.product_id)).add(l);
        total.add(l);
    }
    let by_supplier = by_supplier.into_values().map(VarianceSummary::finish).collect();
    let by_product = by_product.into_values().map(VarianceSummary::finish).collect();
    PriceVariance { by_supplier, by_product, total: total.finish(), lines }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn po(id: &str, s: &str, p: &str, q: i64, paid: i64, contract: Option<i64>) -> PoLine {
        PoLine {
            po_id: id.into(),
            supplier_id: s.into(),
            product_id: p.into(),
            quantity: q,
            paid_unit_cost_minor: paid,
            contract_unit_cost_minor: contract,
        }
    }

    #[test]
    fn hand_checked() {
        let v = price_variance(&[
            po("1", "S1", "A", 10, 110, Some(100)),
            po("1", "S1", "B", 5, 45, Some(50)),
            po("2", "S2", "A", 4, 100, Some(100)),
            po("3", "S2", "C", 2, 70, None),
        ]);
        let l = &v.lines[0];
        assert_eq!((l.paid_minor, l.contract_minor, l.variance_minor), (1_100, Some(1_000), Some(100)));
        assert_eq!(l.variance_pct, Some(10.0));
        assert_eq!(v.lines[1].variance_minor, Some(-25));
        assert_eq!(v.lines[1].variance_pct, Some(-10.0));
        assert_eq!(v.lines[3].variance_minor, None);

        let s1 = &v.by_supplier[0];
        assert_eq!((s1.key.as_str(), s1.lines, s1.above_contract, s1.below_contract), ("S1", 2, 1, 1));
        assert_eq!((s1.paid_minor, s1.contract_minor, s1.variance_minor), (1_325, 1_250, 75));
        assert_eq!(s1.variance_pct, Some(6.0));
        let s2 = &v.by_supplier[1];
        assert_eq!((s2.missing_contract, s2.above_contract, s2.variance_minor, s2.paid_minor), (1, 0, 0, 540));
        assert_eq!(s2.variance_pct, Some(0.0));

        let a = &v.by_product[0];
        assert_eq!((a.key.as_str(), a.lines, a.variance_minor, a.contract_minor), ("A", 2, 100, 1_400));
        let c = &v.by_product[2];
        assert_eq!((c.missing_contract, c.variance_pct), (1, None));
        assert_eq!((v.total.lines, v.total.variance_minor, v.total.missing_contract), (4, 75, 1));
        assert_eq!(serde_json::to_value(&v).unwrap()["total"]["key"], "*");
        assert_eq!(line_variance(&po("x", "s", "p", 1, 5, Some(0))).variance_pct, None);
    }

    proptest! {
        #[test]
        fn summaries_add_up(lines in proptest::collection::vec((0..3usize, 0..3usize, 0i64..100, 0i64..1000, proptest::option::of(0i64..1000)), 0..30)) {
            let lines: Vec<PoLine> = lines
                .iter()
                .map(|(s, p, q, paid, c)| po("po", &format!("S{s}"), &format!("P{p}"), *q, *paid, *c))
                .collect();
            let v = price_variance(&lines);
            let sum = |xs: &[VarianceSummary]| (xs.iter().map(|x| x.variance_minor).sum::<i64>(), xs.iter().map(|x| x.lines).sum::<usize>(), xs.iter().map(|x| x.missing_contract).sum::<usize>());
            let total = (v.total.variance_minor, v.total.lines, v.total.missing_contract);
            prop_assert_eq!(sum(&v.by_supplier), total);
            prop_assert_eq!(sum(&v.by_product), total);
            prop_assert_eq!(v.total.paid_minor - v.total.contract_minor, v.total.variance_minor + lines.iter().filter(|l| l.contract_unit_cost_minor.is_none()).map(|l| l.quantity * l.paid_unit_cost_minor).sum::<i64>());
        }
    }
}
