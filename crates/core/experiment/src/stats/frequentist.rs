//! Frequentist tests: Welch's t-test at a fixed horizon, the always-valid sequential test
//! that allows peeking, and z-tests for two proportions.

use serde::{Deserialize, Serialize};

use super::special::{normal_sf, student_t_quantile, student_t_sf};
use super::{Arm, Effect, Interval, StatsError, TestConfig, effect};
use crate::summary::{Summary, SummaryParts};

/// A frequentist test's answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FrequentistResult {
    pub effect: Effect,
    /// Confidence interval of the effect at level `1 - alpha`.
    pub interval: Interval,
    /// Two-sided p-value of "no effect".
    pub p_value: f64,
}

/// Welch's two-sided t-test (unequal variances, Welch–Satterthwaite degrees of freedom),
/// as gbstats' `TwoSidedTTest`. Analyse once, at the planned horizon.
pub fn t_test(control: &Summary, treatment: &Summary, config: &TestConfig) -> Result<FrequentistResult, StatsError> {
    config.validate()?;
    let effect = effect(control, treatment, config.difference)?;
    let critical = student_t_quantile(1.0 - config.alpha / 2.0, effect.degrees_of_freedom);
    Ok(FrequentistResult {
        interval: Interval::around(effect.estimate, critical * effect.standard_error),
        p_value: t_test_p_value(&effect),
        effect,
    })
}

/// The two-sided p-value of Welch's t-test, from the upper tail (not `1 - cdf`) so a huge
/// effect still gets a positive p-value.
pub(crate) fn t_test_p_value(effect: &Effect) -> f64 {
    let statistic = (effect.estimate / effect.standard_error).abs();
    (2.0 * student_t_sf(statistic, effect.degrees_of_freedom)).min(1.0)
}

/// The sequential two-sided test of gbstats (Waudby-Smith et al. 2023, asymptotic
/// confidence sequences with a normal mixture): its interval and p-value stay valid however
/// often the experiment is analysed while data arrive, at the price of a wider interval.
/// `config.sequential_tuning` is the total number of units at which the interval is tightest.
pub fn sequential_test(
    control: &Summary,
    treatment: &Summary,
    config: &TestConfig,
) -> Result<FrequentistResult, StatsError> {
    config.validate()?;
    let effect = effect(control, treatment, config.difference)?;
    // In floating point: two counts near u64::MAX must not overflow.
    let units = control.units() as f64 + treatment.units() as f64;
    let boundary = SequentialBoundary::new(units, config);
    Ok(FrequentistResult {
        interval: Interval::around(effect.estimate, boundary.half_width(&effect)),
        p_value: boundary.p_value(&effect),
        effect,
    })
}

/// The mixture boundary of the sequential test for a given number of units.
pub(crate) struct SequentialBoundary {
    units: f64,
    alpha: f64,
    /// `ρ²`, the variance of the normal mixture, per unit.
    mixture_variance: f64,
}

impl SequentialBoundary {
    pub(crate) fn new(units: f64, config: &TestConfig) -> Self {
        // ρ minimises the boundary's width at `sequential_tuning` units (eq. 161 of the paper).
        let log_alpha_term = -2.0 * config.alpha.ln();
        let mixture_variance = (log_alpha_term + (log_alpha_term + 1.0).ln()) / config.sequential_tuning;
        SequentialBoundary { units, alpha: config.alpha, mixture_variance }
    }

    /// `N·ρ² + 1`.
    fn spread(&self) -> f64 {
        self.units * self.mixture_variance + 1.0
    }

    /// Half width of the confidence sequence (eq. 9 of the paper), with `s² = N·Var(effect)`.
    fn half_width(&self, effect: &Effect) -> f64 {
        let spread = self.spread();
        let scaled_sd = effect.standard_error * self.units.sqrt();
        scaled_sd
            * (2.0 * spread * (0.5 * spread.ln() - self.alpha.ln()) / (self.units.powi(2) * self.mixture_variance))
                .sqrt()
    }

    /// `min(1, 1/e)` for the mixture e-value `e` (eq. 155), computed through `ln e` so that a
    /// huge effect gives a tiny p-value rather than an overflow.
    pub(crate) fn p_value(&self, effect: &Effect) -> f64 {
        let spread = self.spread();
        let squared_statistic = (effect.estimate / effect.standard_error).powi(2);
        let ln_e_value = self.mixture_variance * self.units * squared_statistic / (2.0 * spread) - 0.5 * spread.ln();
        (-ln_e_value).exp().min(1.0)
    }
}

/// How a z-test for two proportions estimates the variance of their difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZVariance {
    /// From the proportion of both arms together, as "no difference" implies.
    Pooled,
    /// From each arm's own proportion.
    Unpooled,
}

/// A z-test's answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZTestResult {
    /// Treatment proportion minus control proportion.
    pub difference: f64,
    pub standard_error: f64,
    pub z: f64,
    /// Two-sided p-value from the normal upper tail.
    pub p_value: f64,
}

/// The classical two-sided z-test for the difference of two proportions.
pub fn proportion_z_test(
    control: &Summary,
    treatment: &Summary,
    variance: ZVariance,
) -> Result<ZTestResult, StatsError> {
    let (control_n, control_successes) = proportion_counts(control, Arm::Control)?;
    let (treatment_n, treatment_successes) = proportion_counts(treatment, Arm::Treatment)?;
    let control_share = control_successes / control_n;
    let treatment_share = treatment_successes / treatment_n;
    let standard_error = match variance {
        ZVariance::Pooled => {
            let pooled = (control_successes + treatment_successes) / (control_n + treatment_n);
            (pooled * (1.0 - pooled) * (1.0 / control_n + 1.0 / treatment_n)).sqrt()
        }
        ZVariance::Unpooled => (control_share * (1.0 - control_share) / control_n
            + treatment_share * (1.0 - treatment_share) / treatment_n)
            .sqrt(),
    };
    if standard_error <= 0.0 {
        return Err(StatsError::NoVariation);
    }
    let difference = treatment_share - control_share;
    let z = difference / standard_error;
    Ok(ZTestResult { difference, standard_error, z, p_value: (2.0 * normal_sf(z.abs())).min(1.0) })
}

fn proportion_counts(summary: &Summary, arm: Arm) -> Result<(f64, f64), StatsError> {
    let SummaryParts::Proportion { n, successes } = summary.parts() else {
        return Err(StatsError::UnsupportedSummary { expected: "proportion" });
    };
    if n == 0.0 {
        return Err(StatsError::TooFewUnits { arm, units: 0 });
    }
    if !(0.0..=n).contains(&successes) {
        return Err(StatsError::InconsistentSums { arm, reason: "successes outside 0..=n" });
    }
    Ok((n, successes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Difference;

    fn proportion(n: u64, successes: f64) -> Summary {
        Summary::Proportion { n, successes }
    }

    #[test]
    fn t_test_reproduces_a_textbook_welch_test() {
        // Two samples with means 20 and 22, variances 4 and 9, 30 and 40 units:
        // t = 2 / sqrt(4/30 + 9/40) = 3.3400, ν = 67.39 (Welch–Satterthwaite).
        let control = Summary::Mean { n: 30, sum: 600.0, sum_squares: 30.0 * 400.0 + 29.0 * 4.0 };
        let treatment = Summary::Mean { n: 40, sum: 880.0, sum_squares: 40.0 * 484.0 + 39.0 * 9.0 };
        let config = TestConfig { difference: Difference::Absolute, ..TestConfig::default() };
        let result = t_test(&control, &treatment, &config).unwrap();
        assert!((result.effect.estimate - 2.0).abs() < 1e-12);
        let statistic = result.effect.estimate / result.effect.standard_error;
        assert!((statistic - 2.0 / (4.0f64 / 30.0 + 9.0 / 40.0).sqrt()).abs() < 1e-12);
        let shares: (f64, f64) = (4.0 / 30.0, 9.0 / 40.0);
        let dof = (shares.0 + shares.1).powi(2) / (shares.0.powi(2) / 29.0 + shares.1.powi(2) / 39.0);
        assert!((result.effect.degrees_of_freedom - dof).abs() < 1e-9);
        assert!((result.p_value - 2.0 * student_t_sf(statistic, dof)).abs() < 1e-15);
        assert!(result.p_value > 0.001 && result.p_value < 0.002);
    }

    #[test]
    fn sequential_interval_is_wider_than_the_fixed_one() {
        let (control, treatment) = (proportion(5000, 500.0), proportion(5000, 560.0));
        let config = TestConfig::default();
        let fixed = t_test(&control, &treatment, &config).unwrap();
        let sequential = sequential_test(&control, &treatment, &config).unwrap();
        assert_eq!(fixed.effect, sequential.effect);
        assert!(sequential.interval.width() > fixed.interval.width());
        assert!(sequential.p_value > fixed.p_value);
    }

    #[test]
    fn z_tests_need_proportions_that_vary() {
        assert_eq!(
            proportion_z_test(&proportion(10, 0.0), &proportion(10, 0.0), ZVariance::Pooled),
            Err(StatsError::NoVariation)
        );
        assert_eq!(
            proportion_z_test(&proportion(0, 0.0), &proportion(10, 1.0), ZVariance::Unpooled),
            Err(StatsError::TooFewUnits { arm: Arm::Control, units: 0 })
        );
        let mean = Summary::Mean { n: 10, sum: 3.0, sum_squares: 5.0 };
        assert!(matches!(
            proportion_z_test(&mean, &mean, ZVariance::Pooled),
            Err(StatsError::UnsupportedSummary { .. })
        ));
    }

    #[test]
    fn an_invalid_alpha_is_refused() {
        let config = TestConfig { alpha: 1.5, ..TestConfig::default() };
        assert!(matches!(
            t_test(&proportion(10, 3.0), &proportion(10, 4.0), &config),
            Err(StatsError::InvalidParameter { name: "alpha", .. })
        ));
    }
}
