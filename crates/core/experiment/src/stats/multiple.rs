//! Adjusted p-values for a family of tests, so that testing many metrics or variants does
//! not multiply false discoveries. The caller decides the family (say, the primary metrics
//! of one experiment, with guardrails kept out); each adjusted p-value is compared with the
//! same alpha as a single test would be.

use super::StatsError;

/// Holm's step-down adjustment: controls the family-wise error rate (the chance of any
/// false positive), uniformly more powerful than Bonferroni.
pub fn holm_adjusted(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    let order = ascending_order(p_values)?;
    let count = p_values.len() as f64;
    let mut adjusted = vec![0.0; p_values.len()];
    let mut running_max: f64 = 0.0;
    for (rank, &index) in order.iter().enumerate() {
        running_max = running_max.max(((count - rank as f64) * p_values[index]).min(1.0));
        adjusted[index] = running_max;
    }
    Ok(adjusted)
}

/// Benjamini–Hochberg's step-up adjustment: controls the false discovery rate (the expected
/// share of false positives among the discoveries) for independent or positively dependent tests.
pub fn benjamini_hochberg_adjusted(p_values: &[f64]) -> Result<Vec<f64>, StatsError> {
    let order = ascending_order(p_values)?;
    let count = p_values.len() as f64;
    let mut adjusted = vec![0.0; p_values.len()];
    let mut running_min: f64 = 1.0;
    for (rank, &index) in order.iter().enumerate().rev() {
        running_min = running_min.min(count * p_values[index] / (rank as f64 + 1.0));
        adjusted[index] = running_min;
    }
    Ok(adjusted)
}

/// Indices of `p_values` from smallest to largest, after checking each lies in `[0, 1]`.
fn ascending_order(p_values: &[f64]) -> Result<Vec<usize>, StatsError> {
    if let Some(&bad) = p_values.iter().find(|p| !(0.0..=1.0).contains(*p)) {
        return Err(StatsError::InvalidParameter { name: "p_value", value: bad });
    }
    let mut order: Vec<usize> = (0..p_values.len()).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_all_close(actual: &[f64], expected: &[f64]) {
        for (a, e) in actual.iter().zip(expected) {
            assert!((a - e).abs() < 1e-12, "{actual:?} != {expected:?}");
        }
    }

    #[test]
    fn matches_hand_computed_adjustments() {
        // Sorted: 0.01, 0.02, 0.03, 0.04 (m = 4), given out of order.
        let p = [0.03, 0.01, 0.04, 0.02];
        // Holm: 4·0.01, max(…, 3·0.02), max(…, 2·0.03), max(…, 1·0.04).
        assert_all_close(&holm_adjusted(&p).unwrap(), &[0.06, 0.04, 0.06, 0.06]);
        // BH: m·p/rank = 0.04, 0.04, 0.04, 0.04.
        assert_all_close(&benjamini_hochberg_adjusted(&p).unwrap(), &[0.04, 0.04, 0.04, 0.04]);
        let skewed = [0.001, 0.2, 0.5];
        assert_all_close(&holm_adjusted(&skewed).unwrap(), &[0.003, 0.4, 0.5]);
        assert_all_close(&benjamini_hochberg_adjusted(&skewed).unwrap(), &[0.003, 0.3, 0.5]);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(holm_adjusted(&[]).unwrap(), Vec::<f64>::new());
        assert_eq!(holm_adjusted(&[0.3]).unwrap(), vec![0.3]);
        assert_eq!(holm_adjusted(&[0.9, 0.8]).unwrap(), vec![1.0, 1.0]);
        assert!(matches!(benjamini_hochberg_adjusted(&[0.1, f64::NAN]), Err(StatsError::InvalidParameter { .. })));
        assert!(matches!(holm_adjusted(&[1.2]), Err(StatsError::InvalidParameter { .. })));
    }
}
