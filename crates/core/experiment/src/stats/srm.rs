//! Sample-ratio mismatch: are the arms as large as the traffic split says they should be?
//! A mismatch means assignment or logging is broken and the experiment's results are suspect.

use serde::{Deserialize, Serialize};

use super::StatsError;
use super::special::chi_square_sf;

/// An SRM p-value below this flags a mismatch (GrowthBook's default): strict, because the
/// check runs on every experiment and a false alarm stops a sound one.
pub const SRM_THRESHOLD: f64 = 0.001;

/// How far the weights of a traffic split may sum from 1.
const WEIGHT_SUM_TOLERANCE: f64 = 1e-6;

/// The outcome of a sample-ratio mismatch check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SrmCheck {
    /// Pearson's chi-square statistic of the counts against the expected split.
    pub chi_square: f64,
    pub degrees_of_freedom: usize,
    pub p_value: f64,
    /// `p_value < SRM_THRESHOLD`.
    pub mismatch: bool,
}

/// Chi-square goodness-of-fit of the units per arm (`counts`) against the planned traffic
/// split (`weights`, positive, one per arm, summing to 1 within 1e-6). Without any units
/// there is nothing to check: p-value 1, no mismatch.
pub fn srm_check(counts: &[u64], weights: &[f64]) -> Result<SrmCheck, StatsError> {
    if counts.len() < 2 {
        return Err(StatsError::TooFewArms);
    }
    let weight_sum: f64 = weights.iter().sum();
    let valid_weights = weights.len() == counts.len()
        && weights.iter().all(|weight| weight.is_finite() && *weight > 0.0)
        && (weight_sum - 1.0).abs() <= WEIGHT_SUM_TOLERANCE;
    if !valid_weights {
        return Err(StatsError::InvalidWeights);
    }
    let total: f64 = counts.iter().map(|count| *count as f64).sum();
    let degrees_of_freedom = counts.len() - 1;
    if total == 0.0 {
        return Ok(SrmCheck { chi_square: 0.0, degrees_of_freedom, p_value: 1.0, mismatch: false });
    }
    let chi_square = counts
        .iter()
        .zip(weights)
        .map(|(count, weight)| {
            let expected = weight / weight_sum * total;
            (*count as f64 - expected).powi(2) / expected
        })
        .sum();
    let p_value = chi_square_sf(chi_square, degrees_of_freedom as f64);
    Ok(SrmCheck { chi_square, degrees_of_freedom, p_value, mismatch: p_value < SRM_THRESHOLD })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_a_broken_split_only() {
        let balanced = srm_check(&[5010, 4990], &[0.5, 0.5]).unwrap();
        assert!(!balanced.mismatch);
        assert!((balanced.chi_square - 0.04).abs() < 1e-12);
        let broken = srm_check(&[5300, 4700], &[0.5, 0.5]).unwrap();
        assert!(broken.mismatch);
        assert!(broken.p_value > 0.0);
        assert_eq!(srm_check(&[0, 0], &[0.5, 0.5]).unwrap().p_value, 1.0);
    }

    #[test]
    fn refuses_bad_weights() {
        assert_eq!(srm_check(&[10, 10], &[0.5, 0.4]), Err(StatsError::InvalidWeights));
        assert_eq!(srm_check(&[10, 10], &[1.0, 0.0]), Err(StatsError::InvalidWeights));
        assert_eq!(srm_check(&[10, 10, 10], &[0.5, 0.5]), Err(StatsError::InvalidWeights));
        assert_eq!(srm_check(&[10], &[1.0]), Err(StatsError::TooFewArms));
        assert!(srm_check(&[10, 10], &[0.5000004, 0.4999999]).is_ok());
    }
}
