//! The Bayesian effect test of gbstats (`EffectBayesianABTest`) with its default improper
//! flat prior: the posterior of the effect is normal, centred on the estimate with the
//! standard error as its spread.

use serde::{Deserialize, Serialize};

use super::special::{normal_cdf, normal_expected_excess, normal_quantile};
use super::{Effect, Interval, StatsError, TestConfig, effect};
use crate::summary::Summary;

/// A Bayesian test's answer, on the scale of `config.difference`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BayesianResult {
    /// The posterior of the effect: mean `estimate`, standard deviation `standard_error`.
    pub effect: Effect,
    /// Central credible interval of the effect with probability `1 - alpha`.
    pub credible_interval: Interval,
    /// Posterior probability that the treatment beats the control (effect above zero).
    pub chance_to_win: f64,
    /// Expected loss of shipping the control: the effect given up if the treatment is better,
    /// `E[max(effect, 0)]`.
    pub risk_control: f64,
    /// Expected loss of shipping the treatment: `E[max(-effect, 0)]`.
    pub risk_treatment: f64,
}

/// Chance to win, credible interval and risk of both arms.
pub fn bayesian_test(
    control: &Summary,
    treatment: &Summary,
    config: &TestConfig,
) -> Result<BayesianResult, StatsError> {
    config.validate()?;
    let effect = effect(control, treatment, config.difference)?;
    let (mean, sd) = (effect.estimate, effect.standard_error);
    let critical = normal_quantile(1.0 - config.alpha / 2.0);
    Ok(BayesianResult {
        credible_interval: Interval::around(mean, critical * sd),
        chance_to_win: normal_cdf(mean / sd),
        risk_control: sd * normal_expected_excess(-mean / sd),
        risk_treatment: sd * normal_expected_excess(mean / sd),
        effect,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Difference;

    #[test]
    fn risks_differ_by_the_expected_effect() {
        // E[max(X, 0)] - E[max(-X, 0)] = E[X].
        let control = Summary::Proportion { n: 1000, successes: 100.0 };
        let treatment = Summary::Proportion { n: 1000, successes: 115.0 };
        let result = bayesian_test(&control, &treatment, &TestConfig::default()).unwrap();
        assert!((result.risk_control - result.risk_treatment - result.effect.estimate).abs() < 1e-15);
        assert!(result.chance_to_win > 0.5 && result.chance_to_win < 1.0);
        assert!(result.credible_interval.contains(result.effect.estimate));
    }

    #[test]
    fn swapping_the_arms_swaps_chance_to_win_and_risks_of_absolute_effects() {
        let config = TestConfig { difference: Difference::Absolute, ..TestConfig::default() };
        let (a, b) = (
            Summary::Mean { n: 400, sum: 800.0, sum_squares: 2600.0 },
            Summary::Mean { n: 420, sum: 880.0, sum_squares: 2900.0 },
        );
        let forward = bayesian_test(&a, &b, &config).unwrap();
        let backward = bayesian_test(&b, &a, &config).unwrap();
        assert!((forward.chance_to_win + backward.chance_to_win - 1.0).abs() < 1e-15);
        assert!((forward.risk_control - backward.risk_treatment).abs() < 1e-15);
        assert!((forward.risk_treatment - backward.risk_control).abs() < 1e-15);
    }
}
