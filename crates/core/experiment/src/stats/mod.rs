//! The statistics engine: tests on the [`Summary`] of a control and a treatment arm,
//! reproducing GrowthBook's gbstats 0.8.0 (checked number by number in [`vectors`]).
//!
//! - [`effect`]: the absolute or relative effect with its delta-method standard error and
//!   Welch–Satterthwaite degrees of freedom, for proportions, means, ratio metrics (delta
//!   method) and CUPED (regression adjustment on a pre-period covariate);
//! - [`t_test`], [`sequential_test`], [`bayesian_test`], [`proportion_z_test`]: the tests;
//! - [`srm_check`]: sample-ratio mismatch; [`holm_adjusted`] and [`benjamini_hochberg_adjusted`]:
//!   multiple testing; [`sample_size`] and [`minimum_detectable_effect`]: power;
//! - [`simulate_aa`]: false-positive rates of the tests on simulated A/A experiments.
//!
//! Degenerate input gives a [`StatsError`], never a panic or NaN.
//!
//! [`Summary`]: crate::summary::Summary

mod aa;
mod bayesian;
mod effect;
mod frequentist;
mod multiple;
mod power;
#[cfg(test)]
mod properties;
pub mod special;
mod srm;
pub mod vectors;

use serde::{Deserialize, Serialize};

pub use aa::{AaMetric, AaReport, AaSimulation, simulate_aa};
pub use bayesian::{BayesianResult, bayesian_test};
pub use effect::{Effect, cuped_theta, effect};
pub use frequentist::{FrequentistResult, ZTestResult, ZVariance, proportion_z_test, sequential_test, t_test};
pub use multiple::{benjamini_hochberg_adjusted, holm_adjusted};
pub use power::{Baseline, PowerConfig, minimum_detectable_effect, sample_size};
pub use srm::{SRM_THRESHOLD, SrmCheck, srm_check};

/// How the treatment is compared with the control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difference {
    /// Treatment mean minus control mean.
    Absolute,
    /// The absolute difference over the control mean (lift).
    #[default]
    Relative,
}

/// Settings shared by the tests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestConfig {
    pub difference: Difference,
    /// Significance level: the intervals have coverage `1 - alpha` and a two-sided
    /// p-value below `alpha` is significant.
    pub alpha: f64,
    /// Total units (both arms) at which the sequential test's boundary is tightest.
    pub sequential_tuning: f64,
}

impl Default for TestConfig {
    /// gbstats' defaults: relative effects, alpha 0.05, sequential tuning 5000.
    fn default() -> Self {
        TestConfig { difference: Difference::Relative, alpha: 0.05, sequential_tuning: 5000.0 }
    }
}

impl TestConfig {
    fn validate(&self) -> Result<(), StatsError> {
        validate_probability(self.alpha, "alpha")?;
        if !(self.sequential_tuning.is_finite() && self.sequential_tuning > 0.0) {
            return Err(StatsError::InvalidParameter { name: "sequential_tuning", value: self.sequential_tuning });
        }
        Ok(())
    }
}

/// A probability strictly between 0 and 1, named for the error message otherwise.
fn validate_probability(value: f64, name: &'static str) -> Result<(), StatsError> {
    if value > 0.0 && value < 1.0 { Ok(()) } else { Err(StatsError::InvalidParameter { name, value }) }
}

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

impl Interval {
    /// `centre ± half_width`.
    fn around(centre: f64, half_width: f64) -> Self {
        Interval { lower: centre - half_width, upper: centre + half_width }
    }

    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }

    pub fn width(&self) -> f64 {
        self.upper - self.lower
    }
}

/// One side of an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    Control,
    Treatment,
}

/// Why a statistic could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    #[error("the {arm:?} arm has {units} units; at least 2 are needed")]
    TooFewUnits { arm: Arm, units: u64 },
    #[error("the metric does not vary in the {arm:?} arm, so its variance cannot be estimated")]
    ZeroVariance { arm: Arm },
    #[error("the sums of the {arm:?} arm are inconsistent: {reason}")]
    InconsistentSums { arm: Arm, reason: &'static str },
    #[error("the denominator of the ratio metric sums to zero in the {arm:?} arm")]
    ZeroDenominator { arm: Arm },
    #[error("the metric varies in neither arm")]
    NoVariation,
    #[error("the control mean is zero, so a relative effect is undefined")]
    ZeroBaseline,
    #[error("the effect or its variance cannot be represented: the values are too extreme")]
    NotFinite,
    #[error("control and treatment summaries are of different kinds")]
    MismatchedSummaries,
    #[error("this test needs {expected} summaries")]
    UnsupportedSummary { expected: &'static str },
    #[error("invalid {name}: {value}")]
    InvalidParameter { name: &'static str, value: f64 },
    #[error("SRM weights must be positive, one per arm, and sum to 1 within 1e-6")]
    InvalidWeights,
    #[error("at least two arms are needed")]
    TooFewArms,
}
