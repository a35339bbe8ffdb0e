//! Inventory cost of one product at one location over a run of days.
//!
//! - **Holding** = round(Σ on-hand units over the days × unit cost × `holding_rate_per_year` / 365):
//!   the cost of capital, space, insurance and shrink of the stock carried, prorated per day. Negative
//!   on-hand counts as zero.
//! - **Ordering** = `orders_placed` × `ordering_cost_minor`.
//! - **Stockout**: demand on a stocked-out day is estimated as the mean daily sales of the in-stock
//!   days; the day's lost units are that mean minus what it still sold (never below zero), so a day
//!   that ran out at noon loses only the afternoon. Cost = round(lost units × unit margin) (or a fixed
//!   penalty per unit). Without an in-stock day there is no estimate and nothing is counted lost.
//! - **Total** = holding + ordering + stockout.

use serde::{Deserialize, Serialize};

use super::{CostError, non_negative, non_negative_f, round_minor};

/// One day of a product at a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDay {
    /// Units on hand (end of day, or the day's average).
    pub on_hand: i64,
    /// Units sold that day.
    pub sold: i64,
    /// Whether the product ran out during the day.
    pub stocked_out: bool,
}

/// The daily history of one product at one location, with its unit economics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockDays {
    /// The product.
    pub product_id: String,
    /// The location.
    pub location_id: String,
    /// Unit cost, minor units (the value that ties up capital).
    pub unit_cost_minor: i64,
    /// Unit margin, minor units (what a lost sale forgoes).
    pub unit_margin_minor: i64,
    /// One entry per day.
    pub days: Vec<StockDay>,
    /// Replenishment orders placed in the period.
    pub orders_placed: i64,
}

/// How a lost unit is costed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockoutCost {
    /// The unit margin of the product.
    #[default]
    LostMargin,
    /// A fixed penalty per lost unit, minor units.
    PerUnitMinor(i64),
}

/// Cost rates applied to every product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryCostRates {
    /// Holding cost per year as a fraction of stock value (e.g. 0.25).
    pub holding_rate_per_year: f64,
    /// Cost of placing one order, minor units.
    pub ordering_cost_minor: i64,
    /// How lost units are costed.
    pub stockout: StockoutCost,
}

impl Default for InventoryCostRates {
    /// 25% a year holding, no ordering cost, lost margin for stockouts.
    fn default() -> Self {
        Self { holding_rate_per_year: 0.25, ordering_cost_minor: 0, stockout: StockoutCost::LostMargin }
    }
}

/// The inventory cost of one product at one location (see the module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryCost {
    /// The product.
    pub product_id: String,
    /// The location.
    pub location_id: String,
    /// Days in the history.
    pub days: usize,
    /// Days the product ran out.
    pub stockout_days: usize,
    /// Mean units on hand per day.
    pub average_on_hand: f64,
    /// Mean daily sales of the in-stock days (`None` without one).
    pub mean_daily_sales: Option<f64>,
    /// Estimated units lost to stockouts.
    pub lost_units: f64,
    /// Holding cost, minor units.
    pub holding_minor: i64,
    /// Ordering cost, minor units.
    pub ordering_minor: i64,
    /// Stockout cost, minor units.
    pub stockout_minor: i64,
    /// Holding + ordering + stockout, minor units.
    pub total_minor: i64,
}

/// Costs one product at one location.
pub fn inventory_cost(s: &StockDays, rates: &InventoryCostRates) -> Result<InventoryCost, CostError> {
    let item = || format!("product {} at {}", s.product_id, s.location_id);
    non_negative(&item, "unit_cost_minor", s.unit_cost_minor)?;
    non_negative(&item, "orders_placed", s.orders_placed)?;
    non_negative_f(&|| "inventory rates".to_string(), "holding_rate_per_year", rates.holding_rate_per_year)?;
    non_negative(&|| "inventory rates".to_string(), "ordering_cost_minor", rates.ordering_cost_minor)?;
    if let Some(d) = s.days.iter().position(|d| d.sold < 0) {
        return Err(super::invalid(
            format!("{}, day {d}", item()),
            "sold",
            format!("must not be negative (got {})", s.days[d].sold),
        ));
    }
    let unit_days: i128 = s.days.iter().map(|d| i128::from(d.on_hand.max(0))).sum();
    let n = s.days.len();
    let in_stock: Vec<&StockDay> = s.days.iter().filter(|d| !d.stocked_out).collect();
    let mean =
        (!in_stock.is_empty()).then(|| in_stock.iter().map(|d| d.sold as f64).sum::<f64>() / in_stock.len() as f64);
    let lost_units: f64 = match mean {
        Some(m) => s.days.iter().filter(|d| d.stocked_out).map(|d| (m - d.sold as f64).max(0.0)).sum(),
        None => 0.0,
    };
    let per_unit = match rates.stockout {
        StockoutCost::LostMargin => s.unit_margin_minor,
        StockoutCost::PerUnitMinor(c) => c,
    };
    let holding = round_minor(unit_days as f64 * s.unit_cost_minor as f64 * rates.holding_rate_per_year / 365.0);
    let ordering = s.orders_placed.saturating_mul(rates.ordering_cost_minor);
    let stockout = round_minor(lost_units * per_unit as f64);
    Ok(InventoryCost {
        product_id: s.product_id.clone(),
        location_id: s.location_id.clone(),
        days: n,
        stockout_days: n - in_stock.len(),
        average_on_hand: if n > 0 { unit_days as f64 / n as f64 } else { 0.0 },
        mean_daily_sales: mean,
        lost_units,
        holding_minor: holding,
        ordering_minor: ordering,
        stockout_minor: stockout,
        total_minor: holding.saturating_add(ordering).saturating_add(stockout),
    })
}

/// Costs every product × location, in input order.
pub fn inventory_costs(items: &[StockDays], rates: &InventoryCostRates) -> Result<Vec<InventoryCost>, CostError> {
    items.iter().map(|s| inventory_cost(s, rates)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(on_hand: i64, sold: i64, stocked_out: bool) -> StockDay {
        StockDay { on_hand, sold, stocked_out }
    }

    fn item(days: Vec<StockDay>) -> StockDays {
        StockDays {
            product_id: "P".into(),
            location_id: "L".into(),
            unit_cost_minor: 1_000,
            unit_margin_minor: 400,
            days,
            orders_placed: 2,
        }
    }

    #[test]
    fn hand_checked() {
        let s = item(vec![day(10, 2, false), day(8, 2, false), day(0, 3, true), day(0, 0, true), day(6, 4, false)]);
        let rates =
            InventoryCostRates { holding_rate_per_year: 0.25, ordering_cost_minor: 1_500, ..Default::default() };
        let c = inventory_cost(&s, &rates).unwrap();
        // 24 unit-days × 1000 × 0.25 / 365 = 16.44.
        assert_eq!(c.holding_minor, 16);
        assert_eq!(c.ordering_minor, 3_000);
        // In-stock mean (2 + 2 + 4) / 3 = 8/3; day 3 sold 3 ≥ 8/3 (nothing lost), day 4 lost 8/3.
        assert_eq!(c.mean_daily_sales, Some(8.0 / 3.0));
        assert!((c.lost_units - 8.0 / 3.0).abs() < 1e-12);
        assert_eq!(c.stockout_minor, 1_067); // 8/3 × 400 = 1066.67
        assert_eq!(c.total_minor, 16 + 3_000 + 1_067);
        assert_eq!(c.days, 5);
        assert_eq!(c.stockout_days, 2);
        assert_eq!(c.average_on_hand, 4.8);

        let penalty = InventoryCostRates { stockout: StockoutCost::PerUnitMinor(900), ..rates.clone() };
        assert_eq!(inventory_cost(&s, &penalty).unwrap().stockout_minor, 2_400);

        // A year of 100 units at 10.00 with 20%/year holds 200.00.
        let year = item((0..365).map(|_| day(100, 5, false)).collect());
        let c =
            inventory_cost(&year, &InventoryCostRates { holding_rate_per_year: 0.2, ..Default::default() }).unwrap();
        assert_eq!(c.holding_minor, 20_000);
        assert_eq!(c.stockout_minor, 0);
        assert_eq!(serde_json::to_value(&c).unwrap()["holding_minor"], 20_000);
    }

    #[test]
    fn edge_cases() {
        // Always out: no demand estimate, nothing counted lost.
        let c = inventory_cost(&item(vec![day(0, 0, true), day(-3, 1, true)]), &InventoryCostRates::default()).unwrap();
        assert_eq!(c.mean_daily_sales, None);
        assert_eq!(c.lost_units, 0.0);
        assert_eq!(c.average_on_hand, 0.0);
        let c = inventory_cost(&item(vec![]), &InventoryCostRates::default()).unwrap();
        assert_eq!((c.days, c.total_minor), (0, 0));
        let err = inventory_cost(&item(vec![day(1, -1, false)]), &InventoryCostRates::default()).unwrap_err();
        assert_eq!(err.to_string(), "product P at L, day 0: sold must not be negative (got -1)");
        let bad = InventoryCostRates { holding_rate_per_year: f64::NAN, ..Default::default() };
        assert!(inventory_cost(&item(vec![]), &bad).is_err());
    }

    proptest! {
        #[test]
        fn costs_are_non_negative_and_add_up(days in proptest::collection::vec((-5i64..200, 0i64..30, any::<bool>()), 0..60)) {
            let s = item(days.iter().map(|(o, q, out)| day(*o, *q, *out)).collect());
            let c = inventory_cost(&s, &InventoryCostRates { ordering_cost_minor: 700, ..Default::default() }).unwrap();
            prop_assert!(c.holding_minor >= 0 && c.stockout_minor >= 0 && c.lost_units >= 0.0);
            prop_assert_eq!(c.total_minor, c.holding_minor + c.ordering_minor + c.stockout_minor);
            prop_assert!(c.stockout_days <= c.days);
        }
    }
}
