//! The effect of the treatment over the control and its sampling variance, from the two
//! arms' sufficient statistics, with the conventions of gbstats.

use serde::{Deserialize, Serialize};

use super::{Arm, Difference, StatsError};
use crate::summary::{Column, Summary, SummaryParts};

/// Below this fraction of its scale a variance is rounding noise from `Σx² - (Σx)²/n`
/// (a metric constant up to rounding); below minus this much larger fraction the sums
/// contradict each other.
const ZERO_VARIANCE_FRACTION: f64 = 1e-12;
const NEGATIVE_VARIANCE_FRACTION: f64 = 1e-9;

/// The effect of the treatment over the control, before any test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub difference: Difference,
    /// Treatment mean minus control mean; for a relative effect, divided by the control mean
    /// (for CUPED, the difference of adjusted means over the unadjusted control mean).
    pub estimate: f64,
    /// Standard error of the estimate; the delta method for relative effects.
    pub standard_error: f64,
    /// Welch–Satterthwaite degrees of freedom of the estimate.
    pub degrees_of_freedom: f64,
    /// CUPED's regression coefficient, pooled over both arms, when the metric is
    /// regression-adjusted.
    pub cuped_theta: Option<f64>,
}

/// The effect of `treatment` over `control` with its standard error and degrees of freedom.
/// Both summaries must be of the same kind, have at least two units and vary.
pub fn effect(control: &Summary, treatment: &Summary, difference: Difference) -> Result<Effect, StatsError> {
    if std::mem::discriminant(control) != std::mem::discriminant(treatment) {
        return Err(StatsError::MismatchedSummaries);
    }
    let theta = cuped_theta(control, treatment);
    let control = ArmStatistic::new(control, Arm::Control, theta)?;
    let treatment = ArmStatistic::new(treatment, Arm::Treatment, theta)?;
    let control_share = control.variance / control.units;
    let treatment_share = treatment.variance / treatment.units;
    let (estimate, variance) = match difference {
        Difference::Absolute => (treatment.mean - control.mean, treatment_share + control_share),
        Difference::Relative => {
            if control.mean == 0.0 || control.unadjusted_mean == 0.0 {
                return Err(StatsError::ZeroBaseline);
            }
            let base = control.unadjusted_mean;
            // Delta method for (treatment - control) / control, with the unadjusted means.
            let variance =
                treatment_share / base.powi(2) + control_share * treatment.unadjusted_mean.powi(2) / base.powi(4);
            ((treatment.mean - control.mean) / base, variance)
        }
    };
    let degrees_of_freedom = (treatment_share + control_share).powi(2)
        / (treatment_share.powi(2) / (treatment.units - 1.0) + control_share.powi(2) / (control.units - 1.0));
    // Only extreme magnitudes (an overflowing lift, variances below the smallest double) get here.
    if !(variance > 0.0 && [estimate, variance, degrees_of_freedom].iter().all(|value| value.is_finite())) {
        return Err(StatsError::NotFinite);
    }
    Ok(Effect { difference, estimate, standard_error: variance.sqrt(), degrees_of_freedom, cuped_theta: theta })
}

/// CUPED's θ for two [`Summary::Cuped`] arms: the slope of the metric on its pre-period
/// covariate over both arms together (gbstats' pooled estimate), so both arms are adjusted
/// alike. `None` for other summaries, or when the metric or the covariate does not vary over
/// both arms (then there is nothing to adjust and the metric is analysed as it is).
pub fn cuped_theta(control: &Summary, treatment: &Summary) -> Option<f64> {
    let (SummaryParts::Cuped(control), SummaryParts::Cuped(treatment)) = (control.parts(), treatment.parts()) else {
        return None;
    };
    let joint = control.joined(&treatment);
    let covariate_variance = joint.covariate.variance();
    let metric_variance = joint.metric.variance();
    if !(covariate_variance > 0.0 && metric_variance > 0.0) {
        return None;
    }
    Some(joint.covariance() / covariate_variance).filter(|theta| theta.is_finite())
}

/// One arm reduced to what the effect needs.
struct ArmStatistic {
    units: f64,
    /// The mean the effect is measured on (CUPED-adjusted when θ applies).
    mean: f64,
    /// The mean before CUPED adjustment, the base of relative effects.
    unadjusted_mean: f64,
    /// Variance of one unit's (adjusted) value, positive.
    variance: f64,
}

impl ArmStatistic {
    fn new(summary: &Summary, arm: Arm, cuped_theta: Option<f64>) -> Result<Self, StatsError> {
        let units = summary.units();
        if units < 2 {
            return Err(StatsError::TooFewUnits { arm, units });
        }
        let inconsistent = |reason| StatsError::InconsistentSums { arm, reason };
        // Each variance comes with the scale of the terms it was computed from, to tell
        // rounding noise from a real value.
        let (mean, unadjusted_mean, variance, scale) = match summary.parts() {
            SummaryParts::Proportion { n, successes } => {
                if !(0.0..=n).contains(&successes) {
                    return Err(inconsistent("successes outside 0..=n"));
                }
                let share = successes / n;
                (share, share, share * (1.0 - share), 1.0)
            }
            SummaryParts::Mean(column) => {
                check_column(&column, inconsistent)?;
                let variance = column.sample_variance();
                (column.mean(), column.mean(), variance, column.sum_squares / (column.n - 1.0))
            }
            SummaryParts::Ratio(parts) => {
                check_column(&parts.numerator, inconsistent)?;
                check_column(&parts.denominator, inconsistent)?;
                check_finite(parts.sum_of_products, inconsistent)?;
                let terms = parts.delta_method_terms().ok_or(StatsError::ZeroDenominator { arm })?;
                let ratio = parts.numerator.mean() / parts.denominator.mean();
                (ratio, ratio, terms.iter().sum(), terms.iter().map(|term| term.abs()).sum())
            }
            SummaryParts::Cuped(parts) => {
                check_column(&parts.metric, inconsistent)?;
                check_column(&parts.covariate, inconsistent)?;
                check_finite(parts.sum_of_products, inconsistent)?;
                let metric_mean = parts.metric.mean();
                // Without θ the metric is analysed as it is.
                let theta = cuped_theta.unwrap_or(0.0);
                let terms = [
                    parts.metric.variance(),
                    theta.powi(2) * parts.covariate.variance(),
                    -2.0 * theta * parts.covariance(),
                ];
                let adjusted_mean = metric_mean - theta * parts.covariate.mean();
                (adjusted_mean, metric_mean, terms.iter().sum(), terms.iter().map(|term| term.abs()).sum())
            }
        };
        if variance < -NEGATIVE_VARIANCE_FRACTION * scale {
            return Err(inconsistent("the variance they imply is negative"));
        }
        if variance <= ZERO_VARIANCE_FRACTION * scale {
            return Err(StatsError::ZeroVariance { arm });
        }
        Ok(ArmStatistic { units: units as f64, mean, unadjusted_mean, variance })
    }
}

/// Sums must be finite, and a sum of squares too small for its sum (`(Σx)² > n·Σx²`
/// contradicts Cauchy–Schwarz) cannot come from real values.
fn check_column(column: &Column, inconsistent: impl Fn(&'static str) -> StatsError) -> Result<(), StatsError> {
    check_finite(column.sum, &inconsistent)?;
    check_finite(column.sum_squares, &inconsistent)?;
    if column.spread() < -NEGATIVE_VARIANCE_FRACTION * column.sum_squares.abs() {
        return Err(inconsistent("a sum of squares is smaller than the square of its sum allows"));
    }
    Ok(())
}

fn check_finite(value: f64, inconsistent: impl Fn(&'static str) -> StatsError) -> Result<(), StatsError> {
    if value.is_finite() { Ok(()) } else { Err(inconsistent("a sum is not a finite number")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean(n: u64, sum: f64, sum_squares: f64) -> Summary {
        Summary::Mean { n, sum, sum_squares }
    }

    #[test]
    fn degenerate_arms_give_typed_errors() {
        let good = mean(100, 50.0, 80.0);
        assert_eq!(
            effect(&mean(1, 1.0, 1.0), &good, Difference::Absolute),
            Err(StatsError::TooFewUnits { arm: Arm::Control, units: 1 })
        );
        assert_eq!(
            effect(&good, &mean(10, 20.0, 40.0), Difference::Absolute),
            Err(StatsError::ZeroVariance { arm: Arm::Treatment })
        );
        assert!(matches!(
            effect(&good, &mean(10, 20.0, 30.0), Difference::Absolute),
            Err(StatsError::InconsistentSums { arm: Arm::Treatment, .. })
        ));
        assert_eq!(effect(&mean(10, 0.0, 5.0), &good, Difference::Relative), Err(StatsError::ZeroBaseline));
        assert!(effect(&mean(10, 0.0, 5.0), &good, Difference::Absolute).is_ok());
        assert_eq!(
            effect(&good, &Summary::Proportion { n: 10, successes: 3.0 }, Difference::Absolute),
            Err(StatsError::MismatchedSummaries)
        );
        assert!(matches!(
            effect(&good, &mean(10, f64::NAN, 3.0), Difference::Absolute),
            Err(StatsError::InconsistentSums { .. })
        ));
        let no_sessions = Summary::Ratio {
            n: 10,
            numerator_sum: 0.0,
            numerator_sum_squares: 0.0,
            denominator_sum: 0.0,
            denominator_sum_squares: 0.0,
            numerator_denominator_sum: 0.0,
        };
        assert_eq!(
            effect(&no_sessions, &no_sessions, Difference::Absolute),
            Err(StatsError::ZeroDenominator { arm: Arm::Control })
        );
    }

    #[test]
    fn a_constant_metric_up_to_rounding_has_zero_variance() {
        // Ten values of 0.1: Σx² - (Σx)²/n is rounding noise, positive or negative.
        let constant = mean(10, 0.1 * 10.0, 0.1 * 0.1 * 10.0 + 1e-17);
        assert_eq!(
            effect(&constant, &mean(10, 2.0, 5.0), Difference::Absolute),
            Err(StatsError::ZeroVariance { arm: Arm::Control })
        );
    }

    #[test]
    fn cuped_without_a_varying_covariate_is_the_plain_metric() {
        let cuped = |sum: f64, sum_squares: f64| Summary::Cuped {
            n: 50,
            sum,
            sum_squares,
            pre_sum: 100.0,
            pre_sum_squares: 200.0,
            sum_times_pre: 2.0 * sum,
        };
        let adjusted = effect(&cuped(20.0, 30.0), &cuped(25.0, 40.0), Difference::Relative).unwrap();
        let plain = effect(&mean(50, 20.0, 30.0), &mean(50, 25.0, 40.0), Difference::Relative).unwrap();
        assert_eq!(adjusted.cuped_theta, None);
        assert_eq!(adjusted.estimate, plain.estimate);
        assert_eq!(adjusted.standard_error, plain.standard_error);
    }
}
