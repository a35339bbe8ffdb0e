//! What a campaign achieved, measured against its hold-out.
//!
//! The comparison is by intention to treat: every customer assigned to the treatment arm
//! against every customer held out, whether or not the message reached them. Comparing only the
//! reached would compare different kinds of customers (the reachable ones are more engaged).
//! Differences per customer and their 95 % confidence intervals come from retail-experiment's
//! Welch t-test on the absolute difference of the arms' means.
//!
//! Totals scale the per-customer lift by the number of treated customers: incremental
//! conversions = lift in conversion rate × treated customers, and likewise revenue, interval
//! included. ROI = (incremental revenue − cost) / cost, its interval read off the revenue
//! interval (cost is known, not estimated).

use retail_experiment::stats::{Difference, TestConfig, t_test};
use retail_experiment::summary::Summary;
use serde::{Deserialize, Serialize};

use crate::holdout::Arm;

/// Coverage of the confidence intervals.
pub const CONFIDENCE: f64 = 0.95;

/// One customer of the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRow {
    pub arm: Arm,
    /// The message reached them (always false in the hold-out).
    pub contacted: bool,
    /// Ordered in the attribution window.
    pub converted: bool,
    /// Their revenue in the attribution window, 0 without an order.
    pub revenue_minor: i64,
}

/// The sums of one arm, when the app aggregates in the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArmTotals {
    pub customers: u64,
    pub contacted: u64,
    pub conversions: u64,
    pub revenue_minor: i64,
    /// Σ revenue², in minor units squared, for the variance.
    pub revenue_squares: f64,
}

impl ArmTotals {
    pub fn add(&mut self, row: &OutcomeRow) {
        self.customers += 1;
        self.contacted += u64::from(row.contacted);
        self.conversions += u64::from(row.converted);
        self.revenue_minor += row.revenue_minor;
        self.revenue_squares += (row.revenue_minor as f64).powi(2);
    }

    fn problem(&self) -> Option<&'static str> {
        if self.customers == 0 {
            Some("has no customers")
        } else if self.contacted > self.customers || self.conversions > self.customers {
            Some("has more contacts or conversions than customers")
        } else if !(self.revenue_squares.is_finite() && self.revenue_squares >= 0.0) {
            Some("has a negative or non-finite sum of squared revenue")
        } else {
            None
        }
    }

    fn conversion_rate(&self) -> f64 {
        self.conversions as f64 / self.customers as f64
    }

    fn revenue_per_customer(&self) -> f64 {
        self.revenue_minor as f64 / self.customers as f64
    }
}

/// The sums of both arms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Outcomes {
    pub treatment: ArmTotals,
    pub holdout: ArmTotals,
}

impl Outcomes {
    pub fn from_rows(rows: &[OutcomeRow]) -> Outcomes {
        let mut outcomes = Outcomes::default();
        for row in rows {
            match row.arm {
                Arm::Treatment => outcomes.treatment.add(row),
                Arm::Holdout => outcomes.holdout.add(row),
            }
        }
        outcomes
    }
}

/// What the campaign cost in total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Discounts paid on redeemed offers.
    pub offer_cost_minor: i64,
    /// Messages sent.
    pub contact_cost_minor: i64,
}

/// A lower and an upper bound.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bounds {
    pub lower: f64,
    pub upper: f64,
}

impl Bounds {
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    fn scaled(self, factor: f64) -> Bounds {
        Bounds { lower: self.lower * factor, upper: self.upper * factor }
    }
}

/// An estimate with its confidence interval. The interval (and p-value) is missing when it
/// cannot be computed: fewer than two customers in an arm, or an outcome that does not vary in
/// one (no conversions at all in a small hold-out).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Estimate {
    pub value: f64,
    pub interval: Option<Bounds>,
    /// Two-sided p-value of "no effect".
    pub p_value: Option<f64>,
}

impl Estimate {
    fn scaled(self, factor: f64) -> Estimate {
        Estimate { value: self.value * factor, interval: self.interval.map(|b| b.scaled(factor)), ..self }
    }
}

/// One arm's figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArmReport {
    pub customers: u64,
    /// Customers the message reached.
    pub reached: u64,
    pub conversions: u64,
    pub conversion_rate: f64,
    pub revenue_per_customer_minor: f64,
}

impl From<&ArmTotals> for ArmReport {
    fn from(totals: &ArmTotals) -> Self {
        ArmReport {
            customers: totals.customers,
            reached: totals.contacted,
            conversions: totals.conversions,
            conversion_rate: totals.conversion_rate(),
            revenue_per_customer_minor: totals.revenue_per_customer(),
        }
    }
}

/// The campaign's effect; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EffectReport {
    pub treatment: ArmReport,
    pub holdout: ArmReport,
    /// Treatment conversion rate minus hold-out conversion rate.
    pub incremental_conversion_rate: Estimate,
    pub incremental_revenue_per_customer_minor: Estimate,
    pub incremental_conversions: Estimate,
    pub incremental_revenue_minor: Estimate,
    pub cost_minor: i64,
    /// Missing when the campaign cost nothing.
    pub roi: Option<Estimate>,
    pub confidence: f64,
}

/// Why an effect cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EffectError {
    #[error("the {arm:?} arm {problem}")]
    InvalidArm { arm: Arm, problem: &'static str },
    #[error("costs must not be negative")]
    NegativeCost,
    #[error("predicted uplift must be a finite number")]
    NotFinite,
}

/// The effect of a campaign from its arms' outcomes and its total costs.
pub fn analyse(outcomes: &Outcomes, costs: &Costs) -> Result<EffectReport, EffectError> {
    for (arm, totals) in [(Arm::Treatment, &outcomes.treatment), (Arm::Holdout, &outcomes.holdout)] {
        if let Some(problem) = totals.problem() {
            return Err(EffectError::InvalidArm { arm, problem });
        }
    }
    if costs.offer_cost_minor < 0 || costs.contact_cost_minor < 0 {
        return Err(EffectError::NegativeCost);
    }
    let (treatment, holdout) = (&outcomes.treatment, &outcomes.holdout);
    let conversions =
        |totals: &ArmTotals| Summary::Proportion { n: totals.customers, successes: totals.conversions as f64 };
    let revenue = |totals: &ArmTotals| Summary::Mean {
        n: totals.customers,
        sum: totals.revenue_minor as f64,
        sum_squares: totals.revenue_squares,
    };
    let conversion_lift = difference(
        conversions(holdout),
        conversions(treatment),
        treatment.conversion_rate() - holdout.conversion_rate(),
    );
    let revenue_lift = difference(
        revenue(holdout),
        revenue(treatment),
        treatment.revenue_per_customer() - holdout.revenue_per_customer(),
    );
    let treated = treatment.customers as f64;
    let incremental_revenue = revenue_lift.scaled(treated);
    let cost_minor = costs.offer_cost_minor + costs.contact_cost_minor;
    let roi = (cost_minor > 0).then(|| {
        let cost = cost_minor as f64;
        let roi_of = |revenue: f64| (revenue - cost) / cost;
        Estimate {
            value: roi_of(incremental_revenue.value),
            interval: incremental_revenue
                .interval
                .map(|bounds| Bounds { lower: roi_of(bounds.lower), upper: roi_of(bounds.upper) }),
            p_value: None,
        }
    });
    Ok(EffectReport {
        treatment: treatment.into(),
        holdout: holdout.into(),
        incremental_conversion_rate: conversion_lift,
        incremental_revenue_per_customer_minor: revenue_lift,
        incremental_conversions: conversion_lift.scaled(treated),
        incremental_revenue_minor: incremental_revenue,
        cost_minor,
        roi,
        confidence: CONFIDENCE,
    })
}

/// Treatment minus hold-out, `estimate` being the difference of the means, with the Welch
/// interval when the arms allow one.
fn difference(holdout: Summary, treatment: Summary, estimate: f64) -> Estimate {
    let config = TestConfig { difference: Difference::Absolute, alpha: 1.0 - CONFIDENCE, ..TestConfig::default() };
    match t_test(&holdout, &treatment, &config) {
        Ok(result) => Estimate {
            value: estimate,
            interval: Some(Bounds { lower: result.interval.lower, upper: result.interval.upper }),
            p_value: Some(result.p_value),
        },
        Err(_) => Estimate { value: estimate, interval: None, p_value: None },
    }
}

/// A customer with the uplift a model predicted for them, for its Qini curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PredictedOutcome {
    pub arm: Arm,
    pub converted: bool,
    pub predicted_uplift: f64,
}

/// A point of the Qini curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QiniPoint {
    /// Share of all customers targeted, those with the highest predicted uplift first.
    pub share_targeted: f64,
    /// Conversions the campaign would have caused among them.
    pub incremental_conversions: f64,
}

/// The Qini curve at `n_points` evenly spaced shares after the origin: customers sorted by
/// predicted uplift, highest first (ties in input order), and for each top share
/// `treated conversions − hold-out conversions × treated count / hold-out count` among them
/// (the hold-out term is 0 while no hold-out customer is in the share). A good model's curve
/// rises above the straight line from the origin to the last point, the random targeting.
pub fn qini_points(rows: &[PredictedOutcome], n_points: usize) -> Result<Vec<QiniPoint>, EffectError> {
    if rows.iter().any(|row| !row.predicted_uplift.is_finite()) {
        return Err(EffectError::NotFinite);
    }
    let mut order: Vec<&PredictedOutcome> = rows.iter().collect();
    order.sort_by(|a, b| b.predicted_uplift.total_cmp(&a.predicted_uplift));
    let n_points = n_points.max(1);
    let mut points = Vec::with_capacity(n_points + 1);
    points.push(QiniPoint { share_targeted: 0.0, incremental_conversions: 0.0 });
    if rows.is_empty() {
        return Ok(points);
    }
    // Running counts: treated, treated conversions, held out, hold-out conversions.
    let (mut treated, mut treated_conversions, mut held, mut held_conversions) = (0u64, 0u64, 0u64, 0u64);
    let mut taken = 0;
    for point in 1..=n_points {
        let target = (point * rows.len()).div_ceil(n_points);
        for row in &order[taken..target] {
            match row.arm {
                Arm::Treatment => {
                    treated += 1;
                    treated_conversions += u64::from(row.converted);
                }
                Arm::Holdout => {
                    held += 1;
                    held_conversions += u64::from(row.converted);
                }
            }
        }
        taken = target;
        let expected_without = if held == 0 { 0.0 } else { held_conversions as f64 * treated as f64 / held as f64 };
        points.push(QiniPoint {
            share_targeted: taken as f64 / rows.len() as f64,
            incremental_conversions: treated_conversions as f64 - expected_without,
        });
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// A campaign where the treatment converts at `treated_rate`, the hold-out at
    /// `holdout_rate`, a conversion being worth 50.00 to 150.00.
    fn simulate(rng: &mut ChaCha8Rng, customers: usize, holdout_rate: f64, treated_rate: f64) -> Vec<OutcomeRow> {
        (0..customers)
            .map(|i| {
                let arm = if i % 5 == 0 { Arm::Holdout } else { Arm::Treatment };
                let rate = if arm == Arm::Holdout { holdout_rate } else { treated_rate };
                let converted = rng.random::<f64>() < rate;
                let revenue_minor = if converted { rng.random_range(5_000..15_000) } else { 0 };
                OutcomeRow { arm, contacted: arm == Arm::Treatment && i % 7 != 0, converted, revenue_minor }
            })
            .collect()
    }

    #[test]
    fn intervals_contain_the_true_difference() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let rows = simulate(&mut rng, 50_000, 0.05, 0.07);
        let outcomes = Outcomes::from_rows(&rows);
        let report = analyse(&outcomes, &Costs { offer_cost_minor: 1_000_000, contact_cost_minor: 200_000 }).unwrap();
        assert_eq!(report.treatment.customers, 40_000);
        assert_eq!(report.holdout.customers, 10_000);
        assert_eq!(report.holdout.reached, 0);
        let rate = report.incremental_conversion_rate;
        assert!(rate.interval.unwrap().contains(0.02), "{rate:?}");
        assert!(rate.p_value.unwrap() < 0.001);
        // A conversion is worth 100.00 on average, so revenue per customer rises by 2.00.
        let revenue = report.incremental_revenue_per_customer_minor;
        assert!(revenue.interval.unwrap().contains(200.0), "{revenue:?}");
        let total = report.incremental_conversions;
        assert!((total.value - rate.value * 40_000.0).abs() < 1e-6);
        assert!(total.interval.unwrap().contains(0.02 * 40_000.0));
        let roi = report.roi.unwrap();
        let cost = 1_200_000.0;
        assert!((roi.value - (report.incremental_revenue_minor.value - cost) / cost).abs() < 1e-9);
        let roi_bounds = roi.interval.unwrap();
        assert!(roi_bounds.lower < roi.value && roi.value < roi_bounds.upper);
        assert!(roi_bounds.contains((200.0 * 40_000.0 - cost) / cost));
    }

    #[test]
    fn intervals_cover_the_truth_about_ninety_five_times_in_a_hundred() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let runs = 300;
        let covered = (0..runs)
            .filter(|_| {
                let outcomes = Outcomes::from_rows(&simulate(&mut rng, 2_000, 0.10, 0.12));
                let report = analyse(&outcomes, &Costs::default()).unwrap();
                report.incremental_conversion_rate.interval.unwrap().contains(0.02)
            })
            .count();
        let coverage = covered as f64 / f64::from(runs);
        assert!((0.91..=0.99).contains(&coverage), "coverage {coverage}");
    }

    #[test]
    fn degenerate_arms() {
        let row = |arm, converted| OutcomeRow { arm, contacted: false, converted, revenue_minor: 0 };
        let no_holdout = Outcomes::from_rows(&[row(Arm::Treatment, true)]);
        assert_eq!(
            analyse(&no_holdout, &Costs::default()),
            Err(EffectError::InvalidArm { arm: Arm::Holdout, problem: "has no customers" })
        );
        // Nobody converted in the hold-out: the estimate stands, the interval cannot be had.
        let rows =
            [row(Arm::Treatment, true), row(Arm::Treatment, false), row(Arm::Holdout, false), row(Arm::Holdout, false)];
        let report = analyse(&Outcomes::from_rows(&rows), &Costs::default()).unwrap();
        assert_eq!(report.incremental_conversion_rate.value, 0.5);
        assert_eq!(report.incremental_conversion_rate.interval, None);
        assert_eq!(report.roi, None);
        let costs = Costs { offer_cost_minor: -1, contact_cost_minor: 0 };
        assert_eq!(analyse(&Outcomes::from_rows(&rows), &costs), Err(EffectError::NegativeCost));
    }

    #[test]
    fn qini_curve_of_a_model_that_knows_who_responds() {
        // Customers 0..1000 respond to the message (60 % vs 10 %); the rest do not (10 % either way).
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let rows: Vec<PredictedOutcome> = (0..4_000)
            .map(|i| {
                let arm = if i % 2 == 0 { Arm::Treatment } else { Arm::Holdout };
                let responsive = i < 1_000;
                let rate = if responsive && arm == Arm::Treatment { 0.6 } else { 0.1 };
                PredictedOutcome {
                    arm,
                    converted: rng.random::<f64>() < rate,
                    predicted_uplift: if responsive { 0.5 } else { 0.0 },
                }
            })
            .collect();
        let points = qini_points(&rows, 4).unwrap();
        assert_eq!(points.len(), 5);
        assert_eq!(points[0], QiniPoint { share_targeted: 0.0, incremental_conversions: 0.0 });
        assert_eq!(points[4].share_targeted, 1.0);
        // About 500 treated responsive × 0.5 = 250 extra conversions, all in the first quarter.
        let first_quarter = points[1].incremental_conversions;
        assert!((200.0..300.0).contains(&first_quarter), "{points:?}");
        let random_line = points[4].incremental_conversions * 0.25;
        assert!(first_quarter > 2.0 * random_line);
        assert_eq!(qini_points(&[], 10).unwrap().len(), 1);
        let nan = PredictedOutcome { arm: Arm::Holdout, converted: false, predicted_uplift: f64::NAN };
        assert_eq!(qini_points(&[nan], 10), Err(EffectError::NotFinite));
    }
}
