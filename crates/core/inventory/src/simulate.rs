//! Replays a daily demand history under a policy, with lost sales, deciding through the same
//! [`suggest`](crate::policy::suggest) that serves live suggestions: what is measured is what is
//! served. Then compares two policies' sweeps at an equal fill rate.
//!
//! Each day `t`: receipts due on `t` arrive; the day's demand is served from stock (what cannot be
//! served is lost); end-of-day stock is measured; on a review day the policy decides from the
//! history through `t`, and an order with lead time `L` arrives at the start of day `t + 1 + L`
//! (lead time 0: before tomorrow's demand). Orders still due at the end are left on order.

use serde::{Deserialize, Serialize};

use crate::classify;
use crate::policy::{DemandView, InputError, ItemInputs, Policy, suggest_reusing};

/// Realised supplier lead times in whole days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LeadTimes {
    /// Every order takes this many days.
    Fixed(u32),
    /// The k-th order takes element `k mod len` days; planning uses the sequence's mean and
    /// standard deviation (what a planner would measure from past receipts).
    Sequence(Vec<u32>),
}

impl LeadTimes {
    /// Mean and population standard deviation in days, as fed to the policy.
    pub fn planning(&self) -> (f64, f64) {
        match self {
            LeadTimes::Fixed(days) => (f64::from(*days), 0.0),
            LeadTimes::Sequence(days) if days.is_empty() => (0.0, 0.0),
            LeadTimes::Sequence(days) => {
                let n = days.len() as f64;
                let mean = days.iter().map(|&d| f64::from(d)).sum::<f64>() / n;
                let var = days.iter().map(|&d| (f64::from(d) - mean).powi(2)).sum::<f64>() / n;
                (mean, var.sqrt())
            }
        }
    }

    fn realised(&self, order: usize) -> u32 {
        match self {
            LeadTimes::Fixed(days) => *days,
            LeadTimes::Sequence(days) => days[order % days.len()],
        }
    }
}

/// Money per unit and per order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    /// Purchase cost of a unit; values inventory and cost of goods sold.
    pub unit_cost: f64,
    /// Selling price of a unit; with `unit_cost` gives the default lost-sale cost.
    pub unit_price: f64,
    /// Holding cost per year as a fraction of unit cost.
    pub holding_rate_per_year: f64,
    /// Fixed cost per order placed (also passed to the policy, enabling its EOQ).
    pub ordering_cost: f64,
    /// Cost of a unit of unmet demand; `None` = the unit margin, price − cost (at least 0).
    pub lost_sale_cost: Option<f64>,
}

impl Costs {
    /// The cost charged per lost unit.
    pub fn lost_sale_cost_per_unit(&self) -> f64 {
        self.lost_sale_cost.unwrap_or((self.unit_price - self.unit_cost).max(0.0))
    }
}

/// One item's simulation settings (the policy and the forecaster come separately).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Units on hand before day 0.
    pub initial_on_hand: f64,
    /// Realised lead times.
    pub lead_time: LeadTimes,
    /// Days between reviews; 0 = continuous review (every day, passed to the policy as 0).
    pub review_days: u32,
    /// Cycle service level the policy targets, in (0, 1); the knob of a sweep.
    pub service_level: f64,
    /// Units per pack.
    pub pack_size: u32,
    /// Minimum order quantity in units.
    pub moq_units: u32,
    /// Costs.
    pub costs: Costs,
    /// Leading days simulated but not measured, while stock and the forecaster settle.
    pub warmup_days: usize,
}

/// What one simulation measured over its measured days (after the warm-up).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SimReport {
    /// Measured days (item-days when aggregated).
    pub days: usize,
    /// Units demanded.
    pub demand: f64,
    /// Units sold.
    pub sold: f64,
    /// Units of demand lost to stockouts.
    pub lost: f64,
    /// Sold over demanded; 1 when nothing was demanded.
    pub fill_rate: f64,
    /// Days with some lost demand (item-days when aggregated).
    pub stockout_days: usize,
    /// Mean end-of-day units on hand (summed over items when aggregated).
    pub avg_on_hand: f64,
    /// `avg_on_hand` at unit cost.
    pub avg_inventory_value: f64,
    /// Orders placed.
    pub orders: usize,
    /// Cost of goods sold per year (annualised from the measured days).
    pub cogs_per_year: f64,
    /// Turns per year, `cogs_per_year / avg_inventory_value`; `None` with no inventory value.
    pub turnover: Option<f64>,
    /// End-of-day stock value × holding rate, per day.
    pub holding_cost: f64,
    /// Orders × ordering cost.
    pub ordering_cost: f64,
    /// Lost units × lost-sale cost.
    pub lost_sales_cost: f64,
    /// Holding + ordering + lost-sales cost (purchases excluded: every policy buys what it sells).
    pub total_cost: f64,
}

impl SimReport {
    /// Totals over items: sums, fill rate weighted by demand (total sold over total demanded) and
    /// turnover of the totals. Empty input gives an empty report with fill rate 1.
    pub fn aggregate<'a>(reports: impl IntoIterator<Item = &'a SimReport>) -> SimReport {
        let mut total = SimReport::default();
        for r in reports {
            total.days += r.days;
            total.demand += r.demand;
            total.sold += r.sold;
            total.lost += r.lost;
            total.stockout_days += r.stockout_days;
            total.avg_on_hand += r.avg_on_hand;
            total.avg_inventory_value += r.avg_inventory_value;
            total.orders += r.orders;
            total.cogs_per_year += r.cogs_per_year;
            total.holding_cost += r.holding_cost;
            total.ordering_cost += r.ordering_cost;
            total.lost_sales_cost += r.lost_sales_cost;
            total.total_cost += r.total_cost;
        }
        total.fill_rate = fill_rate(total.sold, total.demand);
        total.turnover = classify::turnover(total.cogs_per_year, total.avg_inventory_value);
        total
    }
}

/// One simulated day, for charts and checks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DayRecord {
    /// Day index into the demand series.
    pub day: usize,
    /// Units demanded.
    pub demand: f64,
    /// Units sold.
    pub sold: f64,
    /// Units lost.
    pub lost: f64,
    /// Units received at the start of the day.
    pub received: f64,
    /// Units ordered at the end of the day.
    pub ordered: u64,
    /// Units on hand at the end of the day (after sales, before the order).
    pub on_hand: f64,
    /// Units on order at the end of the day (after the order).
    pub on_order: f64,
}

/// Why a simulation could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    /// A day's demand is negative or not finite.
    #[error("demand on day {day} is {value}; it must be finite and non-negative")]
    BadDemand {
        /// Day index.
        day: usize,
        /// The offending demand.
        value: f64,
    },
    /// Initial stock is negative or not finite.
    #[error("initial on hand is {0}; it must be finite and non-negative")]
    BadInitialStock(f64),
    /// `LeadTimes::Sequence` with no element.
    #[error("the lead-time sequence is empty")]
    NoLeadTimes,
    /// A cost is negative or not finite.
    #[error("{field} is {value}; it must be finite and non-negative")]
    BadCost {
        /// The cost's name.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// The policy refused its inputs on a day (e.g. a NaN forecast from the callback).
    #[error("day {day}: {source}")]
    Decision {
        /// Day index.
        day: usize,
        /// What the policy refused.
        source: InputError,
    },
}

/// Simulates one item: `demand[t]` is day t's actual demand; `forecast(t, history)` is called on
/// each review day with the demand through day `t` and returns the forecast from day `t + 1`
/// (min/max policies need none and are never asked). Deterministic.
pub fn simulate<F>(demand: &[f64], config: &SimConfig, policy: &Policy, forecast: F) -> Result<SimReport, SimError>
where
    F: FnMut(usize, &[f64]) -> DemandView,
{
    run(demand, config, policy, forecast, None)
}

/// [`simulate`], also returning one [`DayRecord`] per day (warm-up included).
pub fn simulate_traced<F>(
    demand: &[f64],
    config: &SimConfig,
    policy: &Policy,
    forecast: F,
) -> Result<(SimReport, Vec<DayRecord>), SimError>
where
    F: FnMut(usize, &[f64]) -> DemandView,
{
    let mut days = Vec::with_capacity(demand.len());
    let report = run(demand, config, policy, forecast, Some(&mut days))?;
    Ok((report, days))
}

fn fill_rate(sold: f64, demand: f64) -> f64 {
    if demand > 0.0 { (sold / demand).clamp(0.0, 1.0) } else { 1.0 }
}

fn validate(demand: &[f64], config: &SimConfig) -> Result<(), SimError> {
    if let Some((day, &value)) = demand.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
        return Err(SimError::BadDemand { day, value });
    }
    let stock = config.initial_on_hand;
    if !stock.is_finite() || stock < 0.0 {
        return Err(SimError::BadInitialStock(stock));
    }
    if matches!(&config.lead_time, LeadTimes::Sequence(days) if days.is_empty()) {
        return Err(SimError::NoLeadTimes);
    }
    let c = &config.costs;
    let costs = [
        ("unit_cost", c.unit_cost),
        ("unit_price", c.unit_price),
        ("holding_rate_per_year", c.holding_rate_per_year),
        ("ordering_cost", c.ordering_cost),
        ("lost_sale_cost", c.lost_sale_cost.unwrap_or(0.0)),
    ];
    for (field, value) in costs {
        if !value.is_finite() || value < 0.0 {
            return Err(SimError::BadCost { field, value });
        }
    }
    Ok(())
}

fn run<F>(
    demand: &[f64],
    config: &SimConfig,
    policy: &Policy,
    mut forecast: F,
    mut trace: Option<&mut Vec<DayRecord>>,
) -> Result<SimReport, SimError>
where
    F: FnMut(usize, &[f64]) -> DemandView,
{
    validate(demand, config)?;
    let n = demand.len();
    let costs = config.costs;
    let (lead_mean, lead_std) = config.lead_time.planning();
    let review = config.review_days as usize;
    let needs_forecast = !matches!(policy, Policy::MinMax { .. });
    // Receipts by arrival day; orders due after the last day are never received.
    let mut arrivals = vec![0.0; n];
    let mut reasons = Vec::new();
    let (mut on_hand, mut on_order) = (config.initial_on_hand, 0.0);
    let mut placed = 0usize;
    let mut r = SimReport::default();
    let mut stock_days = 0.0;

    for t in 0..n {
        let received = arrivals[t];
        on_hand += received;
        on_order -= received;
        let wanted = demand[t];
        let sold = wanted.min(on_hand);
        let lost = wanted - sold;
        on_hand -= sold;
        let measured = t >= config.warmup_days;
        if measured {
            r.days += 1;
            r.demand += wanted;
            r.sold += sold;
            r.lost += lost;
            r.stockout_days += usize::from(lost > 0.0);
            stock_days += on_hand;
        }

        let mut ordered = 0;
        if review <= 1 || t % review == 0 {
            let view = if needs_forecast { forecast(t, &demand[..=t]) } else { DemandView::default() };
            let inputs = ItemInputs {
                on_hand,
                on_order,
                backorders_or_reserved: 0.0,
                demand: view,
                lead_time_days: lead_mean,
                lead_time_std_days: lead_std,
                review_days: review as f64,
                service_level: config.service_level,
                pack_size: config.pack_size,
                moq_units: config.moq_units,
                unit_cost: costs.unit_cost,
                ordering_cost: (costs.ordering_cost > 0.0).then_some(costs.ordering_cost),
                holding_rate_per_year: costs.holding_rate_per_year,
                shelf_life_days: None,
                max_order_value: None,
            };
            let s =
                suggest_reusing(&inputs, policy, reasons).map_err(|source| SimError::Decision { day: t, source })?;
            reasons = s.reasons;
            if s.quantity > 0 {
                ordered = s.quantity;
                let units = s.quantity as f64;
                let arrive = t + 1 + config.lead_time.realised(placed) as usize;
                placed += 1;
                if arrive < n {
                    arrivals[arrive] += units;
                }
                on_order += units;
                r.orders += usize::from(measured);
            }
        }
        if let Some(days) = trace.as_deref_mut() {
            days.push(DayRecord { day: t, demand: wanted, sold, lost, received, ordered, on_hand, on_order });
        }
    }

    let days = r.days as f64;
    r.fill_rate = fill_rate(r.sold, r.demand);
    r.avg_on_hand = if r.days > 0 { stock_days / days } else { 0.0 };
    r.avg_inventory_value = r.avg_on_hand * costs.unit_cost;
    r.cogs_per_year = if r.days > 0 { r.sold * costs.unit_cost * 365.0 / days } else { 0.0 };
    r.turnover = classify::turnover(r.cogs_per_year, r.avg_inventory_value);
    r.holding_cost = stock_days * costs.unit_cost * costs.holding_rate_per_year / 365.0;
    r.ordering_cost = r.orders as f64 * costs.ordering_cost;
    r.lost_sales_cost = r.lost * costs.lost_sale_cost_per_unit();
    r.total_cost = r.holding_cost + r.ordering_cost + r.lost_sales_cost;
    Ok(r)
}

/// Average inventory of two policies at one fill rate, each read off its own sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The common fill rate.
    pub fill_rate: f64,
    /// Our policy's average units on hand at that fill rate.
    pub ours_avg_on_hand: f64,
    /// The baseline's average units on hand at that fill rate.
    pub baseline_avg_on_hand: f64,
    /// Our policy's average inventory value.
    pub ours_avg_inventory_value: f64,
    /// The baseline's average inventory value.
    pub baseline_avg_inventory_value: f64,
}

impl Comparison {
    /// Share of the baseline's units that ours saves (negative when ours holds more); `None` when
    /// the baseline holds nothing.
    pub fn reduction(&self) -> Option<f64> {
        (self.baseline_avg_on_hand > 0.0).then(|| 1.0 - self.ours_avg_on_hand / self.baseline_avg_on_hand)
    }
}

/// Why two sweeps could not be compared.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum CompareError {
    /// The target is not a fill rate.
    #[error("target fill rate {0} is outside [0, 1]")]
    BadTarget(f64),
    /// A sweep has no report with finite numbers.
    #[error("the {which} sweep has no usable reports")]
    Empty {
        /// `"ours"` or `"baseline"`.
        which: &'static str,
    },
    /// A sweep's fill rates do not span the target (no extrapolation).
    #[error("the {which} sweep spans fill rates {lowest} to {highest}, not {target}")]
    OutOfRange {
        /// `"ours"` or `"baseline"`.
        which: &'static str,
        /// The fill rate asked for.
        target: f64,
        /// The sweep's lowest fill rate.
        lowest: f64,
        /// The sweep's highest fill rate.
        highest: f64,
    },
}

/// Average units on hand and inventory value that one policy family needs for `target` fill rate,
/// read off its sweep (one report per knob setting): the efficient frontier (settings that no other
/// setting beats on both fill rate and inventory), linearly interpolated between its neighbours of
/// the target. `None` when the sweep does not span the target.
pub fn inventory_at_fill_rate(reports: &[SimReport], target: f64) -> Option<(f64, f64)> {
    frontier_at(reports, target).ok()
}

/// `Err(None)`: no usable report; `Err(Some((lowest, highest)))`: target outside the fill rates.
fn frontier_at(reports: &[SimReport], target: f64) -> Result<(f64, f64), Option<(f64, f64)>> {
    let mut points: Vec<(f64, f64, f64)> = reports
        .iter()
        .map(|r| (r.fill_rate, r.avg_on_hand, r.avg_inventory_value))
        .filter(|p| p.0.is_finite() && p.1.is_finite() && p.2.is_finite())
        .collect();
    if points.is_empty() {
        return Err(None);
    }
    // Fill rate ascending; at equal fill rate the least inventory first when walked backwards.
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let (lowest, highest) = (points[0].0, points[points.len() - 1].0);
    if !(lowest..=highest).contains(&target) {
        return Err(Some((lowest, highest)));
    }
    let mut frontier = Vec::with_capacity(points.len());
    let mut least = f64::INFINITY;
    for &p in points.iter().rev() {
        if p.1 < least {
            frontier.push(p);
            least = p.1;
        }
    }
    frontier.reverse();
    // The highest fill rate is always on the frontier, so some point reaches the target.
    let i = frontier.iter().position(|p| p.0 >= target).unwrap_or(frontier.len() - 1);
    let hi = frontier[i];
    if i == 0 || hi.0 == target {
        return Ok((hi.1, hi.2));
    }
    let lo = frontier[i - 1];
    let w = (target - lo.0) / (hi.0 - lo.0);
    Ok((lo.1 + w * (hi.1 - lo.1), lo.2 + w * (hi.2 - lo.2)))
}

/// Average inventory of our policy and of a baseline at the same fill rate, each interpolated on its
/// own sweep (e.g. ours over service levels, min/max over days of cover), so the platform can say
/// "at a 97 % fill rate ours holds X units, min/max holds Y".
pub fn compare_at_equal_fill_rate(
    ours: &[SimReport],
    baseline: &[SimReport],
    target_fill_rate: f64,
) -> Result<Comparison, CompareError> {
    if !(0.0..=1.0).contains(&target_fill_rate) {
        return Err(CompareError::BadTarget(target_fill_rate));
    }
    let read = |which: &'static str, reports: &[SimReport]| {
        frontier_at(reports, target_fill_rate).map_err(|range| match range {
            None => CompareError::Empty { which },
            Some((lowest, highest)) => CompareError::OutOfRange { which, target: target_fill_rate, lowest, highest },
        })
    };
    let (ours_units, ours_value) = read("ours", ours)?;
    let (base_units, base_value) = read("baseline", baseline)?;
    Ok(Comparison {
        fill_rate: target_fill_rate,
        ours_avg_on_hand: ours_units,
        baseline_avg_on_hand: base_units,
        ours_avg_inventory_value: ours_value,
        baseline_avg_inventory_value: base_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SimConfig {
        SimConfig {
            initial_on_hand: 15.0,
            lead_time: LeadTimes::Fixed(2),
            review_days: 1,
            service_level: 0.9,
            pack_size: 1,
            moq_units: 0,
            costs: Costs {
                unit_cost: 4.0,
                unit_price: 10.0,
                holding_rate_per_year: 0.365,
                ordering_cost: 1.0,
                lost_sale_cost: None,
            },
            warmup_days: 0,
        }
    }

    #[test]
    fn timing_by_hand() {
        // 5 a day, exact forecast, lead 2, daily review: S = 5·(2 + 1) = 15. Each day sells 5 and
        // reorders 5, which arrive two days later at the start of day t + 3.
        let demand = vec![5.0; 10];
        let (report, days) =
            simulate_traced(&demand, &config(), &Policy::PeriodicRs, |_, _| DemandView::flat(5.0, 5, 0.0)).unwrap();
        assert_eq!(report.lost, 0.0);
        assert_eq!(report.fill_rate, 1.0);
        assert_eq!(report.orders, 10);
        let on_hand: Vec<f64> = days.iter().map(|d| d.on_hand).collect();
        assert_eq!(on_hand, vec![10.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(days[3].received, 5.0);
        assert_eq!(days[0].on_order, 5.0);
        assert!((report.avg_on_hand - 1.5).abs() < 1e-12);
        // Holding: 15 unit-days × 4 × 0.365 / 365; ordering: 10 × 1; no lost sales.
        assert!((report.holding_cost - 0.06).abs() < 1e-12);
        assert!((report.total_cost - 10.06).abs() < 1e-12);
        assert_eq!(report.cogs_per_year, 50.0 * 4.0 * 36.5);
    }

    #[test]
    fn lost_sales_are_lost_and_costed() {
        // Min/max that never orders (levels 0): 15 units serve three days of a 10-day demand of 5.
        let demand = vec![5.0; 10];
        let policy = Policy::MinMax { min: 0.0, max: 0.0 };
        let report = simulate(&demand, &config(), &policy, |_, _| unreachable!("min/max needs no forecast")).unwrap();
        assert_eq!((report.sold, report.lost, report.stockout_days, report.orders), (15.0, 35.0, 7, 0));
        assert_eq!(report.fill_rate, 0.3);
        assert_eq!(report.lost_sales_cost, 35.0 * 6.0);
    }

    #[test]
    fn warm_up_is_not_measured_and_errors_are_named() {
        let demand = vec![5.0; 10];
        let cfg = SimConfig { warmup_days: 4, ..config() };
        let r = simulate(&demand, &cfg, &Policy::PeriodicRs, |_, _| DemandView::flat(5.0, 5, 0.0)).unwrap();
        assert_eq!((r.days, r.demand, r.orders), (6, 30.0, 6));
        let bad = simulate(&[1.0, -1.0], &cfg, &Policy::PeriodicRs, |_, _| DemandView::flat(1.0, 3, 0.0));
        assert_eq!(bad.unwrap_err(), SimError::BadDemand { day: 1, value: -1.0 });
        let nan = simulate(&demand, &cfg, &Policy::PeriodicRs, |_, _| DemandView::flat(f64::NAN, 3, 0.0));
        assert!(matches!(nan.unwrap_err(), SimError::Decision { day: 0, source: InputError::BadDemandMean { .. } }));
        let no_leads = SimConfig { lead_time: LeadTimes::Sequence(vec![]), ..config() };
        assert_eq!(
            simulate(&demand, &no_leads, &Policy::PeriodicRs, |_, _| unreachable!()),
            Err(SimError::NoLeadTimes)
        );
    }

    #[test]
    fn lead_time_sequences_are_used_in_turn() {
        let leads = LeadTimes::Sequence(vec![1, 3]);
        let (mean, std) = leads.planning();
        assert_eq!((mean, std), (2.0, 1.0));
        let cfg = SimConfig { lead_time: leads, initial_on_hand: 0.0, review_days: 5, ..config() };
        let mut demand = vec![0.0; 12];
        demand[3] = 4.0;
        let (_, days) =
            simulate_traced(&demand, &cfg, &Policy::MinMax { min: 0.0, max: 4.0 }, |_, _| unreachable!()).unwrap();
        // Orders at day 0 (lead 1 → day 2); day 3 sells them; day 5 (lead 3 → day 9); day 10 none (stock 4).
        assert_eq!(days[2].received, 4.0);
        assert_eq!(days[9].received, 4.0);
        assert_eq!(days.iter().filter(|d| d.ordered > 0).count(), 2);
    }

    fn point(fill_rate: f64, avg_on_hand: f64) -> SimReport {
        SimReport { fill_rate, avg_on_hand, avg_inventory_value: 2.0 * avg_on_hand, ..SimReport::default() }
    }

    #[test]
    fn equal_fill_rate_interpolates_on_the_frontier() {
        let ours = [point(0.90, 10.0), point(0.95, 14.0), point(0.99, 22.0)];
        // The (0.96, 40) setting is dominated by (0.98, 30) and ignored.
        let baseline = [point(0.92, 20.0), point(0.96, 40.0), point(0.98, 30.0), point(1.0, 50.0)];
        let c = compare_at_equal_fill_rate(&ours, &baseline, 0.97).unwrap();
        assert!((c.ours_avg_on_hand - 18.0).abs() < 1e-9);
        // Between (0.92, 20) and (0.98, 30): 20 + 10·(0.05/0.06).
        assert!((c.baseline_avg_on_hand - 85.0 / 3.0).abs() < 1e-9);
        assert!((c.baseline_avg_inventory_value - 170.0 / 3.0).abs() < 1e-9);
        assert!((c.reduction().unwrap() - (1.0 - 18.0 * 3.0 / 85.0)).abs() < 1e-12);
        assert_eq!(inventory_at_fill_rate(&ours, 0.95), Some((14.0, 28.0)));
        assert!(matches!(
            compare_at_equal_fill_rate(&ours, &baseline, 0.995),
            Err(CompareError::OutOfRange { which: "ours", .. })
        ));
        assert_eq!(compare_at_equal_fill_rate(&[], &baseline, 0.95), Err(CompareError::Empty { which: "ours" }));
        assert_eq!(compare_at_equal_fill_rate(&ours, &baseline, 1.5), Err(CompareError::BadTarget(1.5)));
    }

    #[test]
    fn aggregate_weights_fill_rate_by_demand() {
        let a = SimReport {
            demand: 100.0,
            sold: 90.0,
            avg_on_hand: 5.0,
            avg_inventory_value: 10.0,
            cogs_per_year: 100.0,
            ..SimReport::default()
        };
        let b = SimReport {
            demand: 300.0,
            sold: 300.0,
            avg_on_hand: 7.0,
            avg_inventory_value: 30.0,
            cogs_per_year: 300.0,
            ..SimReport::default()
        };
        let t = SimReport::aggregate([&a, &b]);
        assert!((t.fill_rate - 390.0 / 400.0).abs() < 1e-12);
        assert_eq!((t.avg_on_hand, t.turnover), (12.0, Some(10.0)));
        assert_eq!(SimReport::aggregate(&[]).fill_rate, 1.0);
    }
}
