//! Classification and stock measures: ABC by share of annual value, XYZ by variability of demand,
//! turnover and days of cover. Degenerate inputs (zero, empty, non-finite) never give NaN; each
//! function says what it returns instead.

use serde::{Deserialize, Serialize};

/// Value class: A items carry most of the value and get the highest service targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Abc {
    /// The items that make up the first `a` share of value (80 % by default).
    A,
    /// The items up to the `b` share of value (95 % by default).
    B,
    /// The rest, and every item with no value.
    C,
}

/// Cumulative value shares that end classes A and B, in (0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AbcCuts {
    /// Class A holds the items that start before this cumulative share (default 0.80).
    pub a: f64,
    /// Class B holds the items that start before this cumulative share (default 0.95).
    pub b: f64,
}

impl Default for AbcCuts {
    fn default() -> Self {
        AbcCuts { a: 0.80, b: 0.95 }
    }
}

/// Classifies items by their share of total value (e.g. annual revenue or cost of goods), one class
/// per input, in input order.
///
/// Items are ranked by value (ties by position); an item belongs to A when the items ranked above it
/// hold less than `cuts.a` of the total (so the top item is always A, and the item that crosses the
/// cut is included), to B when they hold less than `cuts.b`, otherwise to C. Items with no value
/// (zero, negative or non-finite values count as zero) are C; an all-zero input is all C.
pub fn abc(values: &[f64], cuts: AbcCuts) -> Vec<Abc> {
    let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let total: f64 = values.iter().map(|&v| clean(v)).sum();
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| clean(values[j]).total_cmp(&clean(values[i])).then(i.cmp(&j)));
    let mut classes = vec![Abc::C; values.len()];
    if total <= 0.0 || !total.is_finite() {
        return classes;
    }
    let mut before = 0.0;
    for i in order {
        let value = clean(values[i]);
        if value <= 0.0 {
            break;
        }
        let share = before / total;
        classes[i] = if share < cuts.a {
            Abc::A
        } else if share < cuts.b {
            Abc::B
        } else {
            Abc::C
        };
        before += value;
    }
    classes
}

/// Variability class: X items are steady and forecast well, Z items are erratic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Xyz {
    /// Coefficient of variation at most `x` (0.5 by default).
    X,
    /// Coefficient of variation at most `y` (1.0 by default).
    Y,
    /// More variable than that, or too little demand or history to tell.
    Z,
}

/// Coefficient-of-variation limits of classes X and Y.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct XyzCuts {
    /// Highest coefficient of variation of class X (default 0.5).
    pub x: f64,
    /// Highest coefficient of variation of class Y (default 1.0).
    pub y: f64,
}

impl Default for XyzCuts {
    fn default() -> Self {
        XyzCuts { x: 0.5, y: 1.0 }
    }
}

/// Population standard deviation over mean of per-period demand. `None` (not NaN) when there are
/// fewer than two periods, the mean is not positive, or a value is not finite.
pub fn coefficient_of_variation(periods: &[f64]) -> Option<f64> {
    if periods.len() < 2 || periods.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let n = periods.len() as f64;
    let mean = periods.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let variance = periods.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    Some(variance.sqrt() / mean)
}

/// Classifies each item's per-period demand (e.g. weekly totals from [`period_totals`]) by its
/// coefficient of variation. Items without one (see [`coefficient_of_variation`]) are Z: with no
/// demand or under two periods there is nothing steady to plan on.
pub fn xyz<S: AsRef<[f64]>>(series: &[S], cuts: XyzCuts) -> Vec<Xyz> {
    series
        .iter()
        .map(|s| match coefficient_of_variation(s.as_ref()) {
            Some(cv) if cv <= cuts.x => Xyz::X,
            Some(cv) if cv <= cuts.y => Xyz::Y,
            _ => Xyz::Z,
        })
        .collect()
}

/// Sums daily values into whole periods of `period` days (7 for weeks), aligned to the end of the
/// history so the newest period is complete; a leading partial period is dropped. Empty when
/// `period` is 0 or the history is shorter than one period.
pub fn period_totals(daily: &[f64], period: usize) -> Vec<f64> {
    if period == 0 {
        return Vec::new();
    }
    let skip = daily.len() % period;
    daily[skip..].chunks_exact(period).map(|c| c.iter().sum()).collect()
}

/// Inventory turnover: cost of goods sold over average inventory value (use a year's COGS for turns
/// per year). `None` when the average inventory value is not positive or either input is not finite.
pub fn turnover(cogs: f64, avg_inventory_value: f64) -> Option<f64> {
    (cogs.is_finite() && avg_inventory_value.is_finite() && avg_inventory_value > 0.0)
        .then(|| cogs / avg_inventory_value)
}

/// Days the position lasts at a flat mean daily demand. `Some(0.0)` when the position is not
/// positive; `None` (unbounded cover) when the mean is not positive; `None` for non-finite inputs.
pub fn days_of_cover(position: f64, mean_daily: f64) -> Option<f64> {
    if !position.is_finite() || !mean_daily.is_finite() {
        None
    } else if position <= 0.0 {
        Some(0.0)
    } else if mean_daily <= 0.0 {
        None
    } else {
        Some(position / mean_daily)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abc_by_cumulative_share() {
        // Shares: 50, 25, 10, 8, 5, 2 (%); cumulative before: 0, 50, 75, 85, 93, 98.
        let values = [10.0, 50.0, 2.0, 25.0, 8.0, 5.0];
        let classes = abc(&values, AbcCuts::default());
        assert_eq!(classes, vec![Abc::A, Abc::A, Abc::C, Abc::A, Abc::B, Abc::B]);
        // The top item is A even when it alone holds more than the A cut.
        assert_eq!(abc(&[99.0, 1.0], AbcCuts::default()), vec![Abc::A, Abc::C]);
    }

    #[test]
    fn abc_degenerate_inputs() {
        assert!(abc(&[], AbcCuts::default()).is_empty());
        assert_eq!(abc(&[0.0, 0.0], AbcCuts::default()), vec![Abc::C, Abc::C]);
        assert_eq!(abc(&[f64::NAN, 3.0, -1.0], AbcCuts::default()), vec![Abc::C, Abc::A, Abc::C]);
    }

    #[test]
    fn xyz_by_coefficient_of_variation() {
        let steady = vec![10.0, 11.0, 9.0, 10.0];
        let medium = vec![5.0, 15.0, 2.0, 18.0]; // cv ≈ 0.67
        let erratic = vec![0.0, 0.0, 0.0, 40.0]; // cv = √3
        let none = vec![0.0, 0.0];
        let short = vec![7.0];
        let classes = xyz(&[steady, medium, erratic, none, short], XyzCuts::default());
        assert_eq!(classes, vec![Xyz::X, Xyz::Y, Xyz::Z, Xyz::Z, Xyz::Z]);
        assert!((coefficient_of_variation(&[0.0, 0.0, 0.0, 40.0]).unwrap() - 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(coefficient_of_variation(&[]), None);
    }

    #[test]
    fn periods_turnover_and_cover() {
        let daily: Vec<f64> = (1..=16).map(f64::from).collect();
        // 16 days: the first 2 are dropped, then two weeks 3..=9 and 10..=16.
        assert_eq!(period_totals(&daily, 7), vec![42.0, 91.0]);
        assert!(period_totals(&daily, 0).is_empty());
        assert_eq!(turnover(1200.0, 200.0), Some(6.0));
        assert_eq!(turnover(1200.0, 0.0), None);
        assert_eq!(days_of_cover(30.0, 5.0), Some(6.0));
        assert_eq!(days_of_cover(-3.0, 5.0), Some(0.0));
        assert_eq!(days_of_cover(30.0, 0.0), None);
    }
}
