//! Landed cost: a shipment's charges allocated to its lines.
//!
//! Each charge is split over the lines by its basis — purchase value (quantity × unit cost), weight
//! (quantity × unit weight), volume (quantity × unit volume) or quantity — by largest remainder, so
//! every charge is allocated exactly in minor units. A weight or volume charge refuses a shipment in
//! which a line lacks that measure (rather than silently splitting over the others), and any charge
//! refuses a basis that totals zero. A line's landed total is its purchase value plus its charges;
//! its landed unit cost is that total over its quantity.

use serde::{Deserialize, Serialize};

use super::{CostError, invalid, non_negative, non_negative_f};
use crate::alloc::{largest_remainder, largest_remainder_int};
pub use retail_domain::{AllocationBasis, Charge, ChargeKind};

/// One line of a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentLine {
    /// The product.
    pub product_id: String,
    /// Units shipped (positive).
    pub quantity: i64,
    /// Purchase unit cost, minor units.
    pub unit_cost_minor: i64,
    /// Weight of one unit, kg (needed by weight-based charges).
    pub unit_weight_kg: Option<f64>,
    /// Volume of one unit, m³ (needed by volume-based charges).
    pub unit_volume_m3: Option<f64>,
}

/// Charges summed by kind, minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChargeAmounts {
    /// Freight.
    pub freight: i64,
    /// Duty.
    pub duty: i64,
    /// Insurance.
    pub insurance: i64,
    /// Handling.
    pub handling: i64,
    /// Other.
    pub other: i64,
}

impl ChargeAmounts {
    /// Sum of every kind.
    pub fn total(&self) -> i64 {
        self.freight + self.duty + self.insurance + self.handling + self.other
    }

    /// Adds an amount to a kind.
    pub fn add(&mut self, kind: ChargeKind, amount: i64) {
        let slot = match kind {
            ChargeKind::Freight => &mut self.freight,
            ChargeKind::Duty => &mut self.duty,
            ChargeKind::Insurance => &mut self.insurance,
            ChargeKind::Handling => &mut self.handling,
            ChargeKind::Other => &mut self.other,
        };
        *slot += amount;
    }
}

/// One line's landed cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandedLineCost {
    /// The product.
    pub product_id: String,
    /// Units.
    pub quantity: i64,
    /// Quantity × unit cost, minor units.
    pub purchase_minor: i64,
    /// Allocated charges by kind, minor units.
    pub charges_minor: ChargeAmounts,
    /// Purchase + charges, minor units.
    pub landed_total_minor: i64,
    /// Landed total per unit, minor units (fractional).
    pub landed_unit_cost: f64,
}

/// A shipment's landed cost, per line and in total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandedCost {
    /// One entry per input line, in order.
    pub lines: Vec<LandedLineCost>,
    /// Total purchase value, minor units.
    pub purchase_minor: i64,
    /// Total charges by kind (equal to the input charges), minor units.
    pub charges_minor: ChargeAmounts,
    /// Purchase + charges, minor units.
    pub landed_total_minor: i64,
}

fn measure(lines: &[ShipmentLine], charge: usize, basis: AllocationBasis) -> Result<Vec<f64>, CostError> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let unit = match basis {
                AllocationBasis::Weight => l.unit_weight_kg,
                _ => l.unit_volume_m3,
            };
            unit.map(|u| u * l.quantity as f64).ok_or_else(|| CostError::MissingBasis {
                charge,
                basis,
                line: i,
                product_id: l.product_id.clone(),
            })
        })
        .collect()
}

/// Allocates a shipment's charges to its lines (see the module documentation).
pub fn landed_cost(lines: &[ShipmentLine], charges: &[Charge]) -> Result<LandedCost, CostError> {
    if lines.is_empty() && !charges.is_empty() {
        return Err(CostError::NoLines);
    }
    for (i, l) in lines.iter().enumerate() {
        let item = || format!("line {i} ({})", l.product_id);
        if l.quantity <= 0 {
            return Err(invalid(item(), "quantity", format!("must be positive (got {})", l.quantity)));
        }
        non_negative(&item, "unit_cost_minor", l.unit_cost_minor)?;
        if let Some(w) = l.unit_weight_kg {
            non_negative_f(&item, "unit_weight_kg", w)?;
        }
        if let Some(v) = l.unit_volume_m3 {
            non_negative_f(&item, "unit_volume_m3", v)?;
        }
    }
    let mut allocated = vec![ChargeAmounts::default(); lines.len()];
    let mut totals = ChargeAmounts::default();
    for (ci, c) in charges.iter().enumerate() {
        let zero = || CostError::ZeroBasis { charge: ci, basis: c.basis };
        let parts = match c.basis {
            AllocationBasis::Value => {
                let w: Vec<i128> =
                    lines.iter().map(|l| i128::from(l.quantity) * i128::from(l.unit_cost_minor)).collect();
                largest_remainder_int(c.amount_minor, &w).ok_or_else(zero)?
            }
            AllocationBasis::Quantity => {
                let w: Vec<i128> = lines.iter().map(|l| i128::from(l.quantity)).collect();
                largest_remainder_int(c.amount_minor, &w).ok_or_else(zero)?
            }
            AllocationBasis::Weight | AllocationBasis::Volume => {
                let w = measure(lines, ci, c.basis)?;
                largest_remainder(c.amount_minor, &w).ok_or_else(zero)?
            }
        };
        for (a, p) in allocated.iter_mut().zip(parts) {
            a.add(c.kind, p);
        }
        totals.add(c.kind, c.amount_minor);
    }
    let out: Vec<LandedLineCost> = lines
        .iter()
        .zip(allocated)
        .map(|(l, charges)| {
            let purchase = l.quantity.saturating_mul(l.unit_cost_minor);
            let total = purchase + charges.total();
            LandedLineCost {
                product_id: l.product_id.clone(),
                quantity: l.quantity,
                purchase_minor: purchase,
                charges_minor: charges,
                landed_total_minor: total,
                landed_unit_cost: total as f64 / l.quantity as f64,
            }
        })
        .collect();
    let purchase: i64 = out.iter().map(|l| l.purchase_minor).sum();
    Ok(LandedCost {
        lines: out,
        purchase_minor: purchase,
        charges_minor: totals,
        landed_total_minor: purchase + totals.total(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(p: &str, q: i64, c: i64, w: Option<f64>, v: Option<f64>) -> ShipmentLine {
        ShipmentLine { product_id: p.into(), quantity: q, unit_cost_minor: c, unit_weight_kg: w, unit_volume_m3: v }
    }

    fn charge(kind: ChargeKind, amount: i64, basis: AllocationBasis) -> Charge {
        Charge { kind, amount_minor: amount, basis }
    }

    #[test]
    fn hand_checked() {
        let lines = [line("A", 10, 500, Some(2.0), Some(0.01)), line("B", 20, 250, Some(0.5), Some(0.03))];
        let charges = [
            // Value 5000 : 5000 → 50/50.
            charge(ChargeKind::Duty, 1_001, AllocationBasis::Value),
            // Weight 20 : 10 kg → 2/3, 1/3.
            charge(ChargeKind::Freight, 3_000, AllocationBasis::Weight),
            // Volume 0.1 : 0.6 m³ → 1/7, 6/7.
            charge(ChargeKind::Handling, 700, AllocationBasis::Volume),
            // Quantity 10 : 20.
            charge(ChargeKind::Other, 100, AllocationBasis::Quantity),
            charge(ChargeKind::Freight, 10, AllocationBasis::Quantity),
        ];
        let c = landed_cost(&lines, &charges).unwrap();
        let a = &c.lines[0];
        let b = &c.lines[1];
        assert_eq!((a.charges_minor.duty, b.charges_minor.duty), (501, 500)); // tie → first line
        assert_eq!((a.charges_minor.freight, b.charges_minor.freight), (2_000 + 3, 1_000 + 7));
        assert_eq!((a.charges_minor.handling, b.charges_minor.handling), (100, 600));
        assert_eq!((a.charges_minor.other, b.charges_minor.other), (33, 67));
        assert_eq!(a.purchase_minor, 5_000);
        assert_eq!(a.landed_total_minor, 5_000 + 501 + 2_003 + 100 + 33);
        assert_eq!(a.landed_unit_cost, a.landed_total_minor as f64 / 10.0);
        assert_eq!(c.charges_minor.freight, 3_010);
        assert_eq!(c.charges_minor.total(), 4_811);
        assert_eq!(c.landed_total_minor, 10_000 + 4_811);
        assert_eq!(c.lines.iter().map(|l| l.landed_total_minor).sum::<i64>(), c.landed_total_minor);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["lines"][1]["charges_minor"]["handling"], 600);
        assert_eq!(serde_json::to_value(AllocationBasis::Weight).unwrap(), "weight");
    }

    #[test]
    fn refuses_wrong_splits() {
        let lines = [line("A", 1, 100, Some(1.0), None), line("B", 1, 100, None, Some(1.0))];
        let err = landed_cost(&lines, &[charge(ChargeKind::Freight, 10, AllocationBasis::Weight)]).unwrap_err();
        assert_eq!(
            err,
            CostError::MissingBasis { charge: 0, basis: AllocationBasis::Weight, line: 1, product_id: "B".into() }
        );
        let err = landed_cost(&lines, &[charge(ChargeKind::Freight, 10, AllocationBasis::Volume)]).unwrap_err();
        assert!(matches!(err, CostError::MissingBasis { line: 0, .. }));
        assert!(err.to_string().contains("line 0 (A)"));
        let free = [line("A", 1, 0, Some(0.0), None)];
        for basis in [AllocationBasis::Value, AllocationBasis::Weight] {
            let err = landed_cost(&free, &[charge(ChargeKind::Duty, 5, basis)]).unwrap_err();
            assert_eq!(err, CostError::ZeroBasis { charge: 0, basis });
        }
        assert_eq!(landed_cost(&[], &[charge(ChargeKind::Duty, 5, AllocationBasis::Value)]), Err(CostError::NoLines));
        assert!(landed_cost(&[line("A", 0, 1, None, None)], &[]).is_err());
        // No charges: landed = purchase.
        let c = landed_cost(&[line("A", 3, 7, None, None)], &[]).unwrap();
        assert_eq!((c.landed_total_minor, c.lines[0].landed_unit_cost), (21, 7.0));
    }

    proptest! {
        #[test]
        fn every_charge_is_allocated_exactly(
            lines in proptest::collection::vec((1i64..100, 1i64..10_000, 0.01..50.0f64, 0.001..2.0f64), 1..10),
            charges in proptest::collection::vec((0..5usize, -10_000i64..1_000_000, 0..4usize), 0..8),
        ) {
            let kinds = [ChargeKind::Freight, ChargeKind::Duty, ChargeKind::Insurance, ChargeKind::Handling, ChargeKind::Other];
            let bases = [AllocationBasis::Value, AllocationBasis::Weight, AllocationBasis::Volume, AllocationBasis::Quantity];
            let lines: Vec<ShipmentLine> =
                lines.iter().enumerate().map(|(i, (q, c, w, v))| line(&i.to_string(), *q, *c, Some(*w), Some(*v))).collect();
            let charges: Vec<Charge> = charges.iter().map(|(k, a, b)| charge(kinds[*k], *a, bases[*b])).collect();
            let c = landed_cost(&lines, &charges).unwrap();
            let mut expected = ChargeAmounts::default();
            for ch in &charges {
                expected.add(ch.kind, ch.amount_minor);
            }
            prop_assert_eq!(c.charges_minor, expected);
            let mut sum = ChargeAmounts::default();
            for l in &c.lines {
                for k in kinds {
                    let v = match k {
                        ChargeKind::Freight => l.charges_minor.freight,
                        ChargeKind::Duty => l.charges_minor.duty,
                        ChargeKind::Insurance => l.charges_minor.insurance,
                        ChargeKind::Handling => l.charges_minor.handling,
                        ChargeKind::Other => l.charges_minor.other,
                    };
                    sum.add(k, v);
                }
            }
            prop_assert_eq!(sum, expected);
            prop_assert_eq!(c.lines.iter().map(|l| l.landed_total_minor).sum::<i64>(), c.landed_total_minor);
        }
    }
}
