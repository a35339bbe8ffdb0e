//! Power analysis for planning: units per variant to detect a relative effect, and the
//! smallest relative effect a given number of units detects. Normal approximation of the
//! two-sided fixed-horizon test, with Bonferroni's correction when several treatments are
//! each compared with the control.

use serde::{Deserialize, Serialize};

use super::special::normal_quantile;
use super::{StatsError, validate_probability};

/// The control's metric before the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Baseline {
    /// A conversion rate in `(0, 1)`; the treatment's variance follows from its own rate.
    Proportion { rate: f64 },
    /// A mean with the variance of one unit's value; the treatment is assumed to share it.
    Mean { mean: f64, variance: f64 },
}

/// Error rates and design of the planned experiment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerConfig {
    /// Two-sided significance level of the whole experiment.
    pub alpha: f64,
    /// Probability of detecting an effect of the planned size.
    pub power: f64,
    /// Number of variants including the control (at least 2).
    pub variants: usize,
}

impl Default for PowerConfig {
    fn default() -> Self {
        PowerConfig { alpha: 0.05, power: 0.8, variants: 2 }
    }
}

impl PowerConfig {
    /// `z_{1-α'/2} + z_{power}` with `α' = alpha / (variants - 1)`: in standard errors, how far
    /// the true effect must sit from zero to be detected with the planned power.
    fn detection_distance(&self) -> Result<f64, StatsError> {
        validate_probability(self.alpha, "alpha")?;
        validate_probability(self.power, "power")?;
        if self.variants < 2 {
            return Err(StatsError::TooFewArms);
        }
        let comparisons = (self.variants - 1) as f64;
        Ok(normal_quantile(1.0 - self.alpha / comparisons / 2.0) + normal_quantile(self.power))
    }
}

impl Baseline {
    fn validate(&self) -> Result<(), StatsError> {
        match *self {
            Baseline::Proportion { rate } => validate_probability(rate, "rate"),
            Baseline::Mean { mean, variance } => {
                if !(mean.is_finite() && mean != 0.0) {
                    return Err(StatsError::InvalidParameter { name: "mean", value: mean });
                }
                if !(variance.is_finite() && variance > 0.0) {
                    return Err(StatsError::InvalidParameter { name: "variance", value: variance });
                }
                Ok(())
            }
        }
    }
}

/// Units per variant needed to detect a relative change of `relative_mde` (0.05 = +5 %) in
/// the baseline metric.
pub fn sample_size(baseline: Baseline, relative_mde: f64, config: &PowerConfig) -> Result<u64, StatsError> {
    baseline.validate()?;
    if !(relative_mde.is_finite() && relative_mde != 0.0) {
        return Err(StatsError::InvalidParameter { name: "relative_mde", value: relative_mde });
    }
    let distance = config.detection_distance()?;
    let (absolute_effect, variance_sum) = match baseline {
        Baseline::Proportion { rate } => {
            let treated = rate * (1.0 + relative_mde);
            validate_probability(treated, "treated rate")?;
            (rate * relative_mde, rate * (1.0 - rate) + treated * (1.0 - treated))
        }
        Baseline::Mean { mean, variance } => (mean * relative_mde, 2.0 * variance),
    };
    // n·Δ² = distance²·(σ²_control + σ²_treatment)
    let units = (distance / absolute_effect).powi(2) * variance_sum;
    if units >= u64::MAX as f64 {
        return Err(StatsError::InvalidParameter { name: "relative_mde", value: relative_mde });
    }
    Ok(units.ceil() as u64)
}

/// The smallest relative increase of the baseline metric that `units_per_variant` units per
/// variant detect with the planned power.
pub fn minimum_detectable_effect(
    baseline: Baseline,
    units_per_variant: u64,
    config: &PowerConfig,
) -> Result<f64, StatsError> {
    baseline.validate()?;
    if units_per_variant == 0 {
        return Err(StatsError::InvalidParameter { name: "units_per_variant", value: 0.0 });
    }
    let distance = config.detection_distance()?;
    let n = units_per_variant as f64;
    match baseline {
        Baseline::Proportion { rate } => {
            // n·Δ² = d²·(p(1-p) + (p+Δ)(1-p-Δ)) is the quadratic
            // (n + d²)·Δ² - d²(1-2p)·Δ - 2d²p(1-p) = 0; take its positive root.
            let d2 = distance * distance;
            let linear = d2 * (1.0 - 2.0 * rate);
            let constant = 2.0 * d2 * rate * (1.0 - rate);
            let absolute = (linear + (linear * linear + 4.0 * (n + d2) * constant).sqrt()) / (2.0 * (n + d2));
            Ok(absolute / rate)
        }
        Baseline::Mean { mean, variance } => Ok(distance * (2.0 * variance / n).sqrt() / mean.abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_textbook_formula() {
        // 10 % conversion, +10 % relative: (1.95996 + 0.84162)² · (0.09 + 0.0979) / 0.01² = 14 749.
        let units = sample_size(Baseline::Proportion { rate: 0.1 }, 0.1, &PowerConfig::default()).unwrap();
        assert_eq!(units, 14_749);
        // Mean 50, sd 20, +5 %: 2 · 7.8489 · 400 / 2.5² = 1004.7.
        let mean = Baseline::Mean { mean: 50.0, variance: 400.0 };
        assert_eq!(sample_size(mean, 0.05, &PowerConfig::default()).unwrap(), 1005);
    }

    #[test]
    fn more_variants_need_more_units() {
        let baseline = Baseline::Proportion { rate: 0.2 };
        let two = sample_size(baseline, 0.05, &PowerConfig::default()).unwrap();
        let four = sample_size(baseline, 0.05, &PowerConfig { variants: 4, ..PowerConfig::default() }).unwrap();
        assert!(four > two);
    }

    #[test]
    fn sample_size_and_mde_round_trip() {
        let config = PowerConfig { alpha: 0.01, power: 0.9, variants: 3 };
        for baseline in [
            Baseline::Proportion { rate: 0.03 },
            Baseline::Proportion { rate: 0.7 },
            Baseline::Mean { mean: 12.0, variance: 900.0 },
        ] {
            for mde in [0.01, 0.05, 0.2] {
                let units = sample_size(baseline, mde, &config).unwrap();
                let detectable = minimum_detectable_effect(baseline, units, &config).unwrap();
                let just_short = minimum_detectable_effect(baseline, units - 1, &config).unwrap();
                assert!(detectable <= mde * (1.0 + 1e-12), "{baseline:?} {mde}: {detectable}");
                assert!(just_short > mde * (1.0 - 1e-12), "{baseline:?} {mde}: {just_short}");
            }
        }
    }

    #[test]
    fn refuses_impossible_plans() {
        let baseline = Baseline::Proportion { rate: 0.6 };
        assert!(sample_size(baseline, 1.0, &PowerConfig::default()).is_err());
        assert!(sample_size(baseline, 0.0, &PowerConfig::default()).is_err());
        let one_variant = PowerConfig { variants: 1, ..PowerConfig::default() };
        assert_eq!(sample_size(baseline, 0.1, &one_variant), Err(StatsError::TooFewArms));
        assert!(
            minimum_detectable_effect(Baseline::Mean { mean: 0.0, variance: 1.0 }, 10, &PowerConfig::default())
                .is_err()
        );
    }
}
