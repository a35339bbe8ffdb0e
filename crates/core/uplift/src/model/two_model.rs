//! The two-model approach: one outcome model per arm, uplift is the difference of their
//! predictions.

use serde::{Deserialize, Serialize};

use super::linear::{LinearModel, LinearParams, LinearProblem, Link};
use super::{Dataset, UpliftPredictor};
use crate::UpliftError;

/// Separate regularised regressions for treated and control customers (logistic for 0/1
/// outcomes, ridge for amounts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoModel {
    n_features: usize,
    treated: LinearModel,
    control: LinearModel,
}

impl TwoModel {
    pub fn fit(data: &Dataset, params: &LinearParams) -> Result<Self, UpliftError> {
        let link = Link::for_outcomes(data);
        let weights = vec![1.0; data.len()];
        let fit_arm = |treated: bool| {
            let rows: Vec<usize> = (0..data.len()).filter(|&row| data.treatment()[row] == treated).collect();
            let problem = LinearProblem { data, rows: &rows, targets: data.outcome(), weights: &weights, link };
            LinearModel::fit(&problem, params)
        };
        Ok(Self { n_features: data.n_features(), treated: fit_arm(true)?, control: fit_arm(false)? })
    }
}

impl UpliftPredictor for TwoModel {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, row: &[f32]) -> f64 {
        self.treated.predict(&row[..self.n_features]) - self.control.predict(&row[..self.n_features])
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_finds_responsive_group, synthetic};
    use super::*;

    #[test]
    fn ranks_the_responsive_group_first() {
        let model = TwoModel::fit(&synthetic(4000, 1), &LinearParams::default()).unwrap();
        assert_finds_responsive_group(&model);
    }

    #[test]
    fn rejects_a_non_positive_penalty() {
        let params = LinearParams { l2: 0.0, ..LinearParams::default() };
        assert!(matches!(TwoModel::fit(&synthetic(100, 1), &params), Err(UpliftError::InvalidParameter { .. })));
    }
}
