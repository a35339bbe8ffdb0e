//! The class-transformation (transformed-outcome) approach: one model of a variable whose
//! expectation is the uplift itself.
//!
//! For 0/1 outcomes (Jaszewska; Jaskowski & Jaroszewicz 2012) the new class is
//! `z = 1` for treated responders and control non-responders. With a 50/50 split
//! `P(z = 1 | x) = (1 + uplift(x)) / 2`; for other splits each arm is weighted to half of the
//! total, which restores that identity. For amounts, the Athey-Imbens transformed outcome
//! `y (t - p) / (p (1 - p))` with treated share `p` is regressed directly.

use serde::{Deserialize, Serialize};

use super::linear::{LinearModel, LinearParams, LinearProblem, Link};
use super::{Dataset, UpliftPredictor};
use crate::UpliftError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassTransformation {
    n_features: usize,
    transformed: LinearModel,
}

impl ClassTransformation {
    pub fn fit(data: &Dataset, params: &LinearParams) -> Result<Self, UpliftError> {
        let treated_share = data.treated_share();
        let link = Link::for_outcomes(data);
        let arms = data.treatment().iter().zip(data.outcome());
        let (targets, weights): (Vec<f64>, Vec<f64>) = match link {
            Link::Logit => arms
                .map(|(&treated, &outcome)| {
                    if treated { (outcome, 0.5 / treated_share) } else { (1.0 - outcome, 0.5 / (1.0 - treated_share)) }
                })
                .unzip(),
            Link::Identity => arms
                .map(|(&treated, &outcome)| {
                    let centred = f64::from(u8::from(treated)) - treated_share;
                    (outcome * centred / (treated_share * (1.0 - treated_share)), 1.0)
                })
                .unzip(),
        };
        let rows: Vec<usize> = (0..data.len()).collect();
        let problem = LinearProblem { data, rows: &rows, targets: &targets, weights: &weights, link };
        Ok(Self { n_features: data.n_features(), transformed: LinearModel::fit(&problem, params)? })
    }

    fn uses_classes(&self) -> bool {
        self.transformed.link() == Link::Logit
    }
}

impl UpliftPredictor for ClassTransformation {
    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, row: &[f32]) -> f64 {
        let expected = self.transformed.predict(&row[..self.n_features]);
        if self.uses_classes() { 2.0 * expected - 1.0 } else { expected }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_finds_responsive_group, synthetic};
    use super::*;

    #[test]
    fn ranks_the_responsive_group_first() {
        let model = ClassTransformation::fit(&synthetic(4000, 2), &LinearParams::default()).unwrap();
        assert_finds_responsive_group(&model);
    }

    #[test]
    fn corrects_for_an_unbalanced_split() {
        // Keep a quarter of the control rows: a 4:1 split must estimate the same uplift.
        let data = synthetic(8000, 3);
        let kept: Vec<usize> = (0..data.len()).filter(|&row| data.treatment()[row] || row % 4 == 0).collect();
        let unbalanced = data.subset(&kept).unwrap();
        let model = ClassTransformation::fit(&unbalanced, &LinearParams::default()).unwrap();
        let responsive = model.predict(&[0.9, 0.5]);
        let unresponsive = model.predict(&[0.1, 0.5]);
        assert!(responsive > 0.2 && unresponsive < 0.0, "{responsive} {unresponsive}");
    }
}
