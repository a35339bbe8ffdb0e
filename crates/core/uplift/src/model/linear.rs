//! L2-regularised generalised linear models on standardised features, fitted by Newton's
//! method: logistic regression for 0/1 outcomes, ridge regression for amounts.

use serde::{Deserialize, Serialize};

use super::Dataset;
use crate::UpliftError;

/// Settings of the regularised linear fits used by the two-model and class-transformation
/// approaches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinearParams {
    /// Penalty `l2 / 2 * |w|^2` on the standardised coefficients (not the intercept), against
    /// the summed loss; 1.0 matches scikit-learn's default `C = 1`.
    pub l2: f64,
    pub max_iterations: usize,
    /// Converged once no coefficient moves by more than this in a Newton step.
    pub tolerance: f64,
}

impl Default for LinearParams {
    fn default() -> Self {
        Self { l2: 1.0, max_iterations: 100, tolerance: 1e-9 }
    }
}

impl LinearParams {
    fn validate(&self) -> Result<(), UpliftError> {
        // A positive penalty keeps the Hessian positive definite, even on separable data.
        if !(self.l2 > 0.0 && self.l2.is_finite()) {
            return Err(UpliftError::InvalidParameter {
                name: "l2",
                reason: format!("must be positive, got {}", self.l2),
            });
        }
        if self.max_iterations == 0 {
            return Err(UpliftError::InvalidParameter { name: "max_iterations", reason: "must be at least 1".into() });
        }
        Ok(())
    }
}

/// How the linear predictor maps to the expected outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Link {
    /// Probability of a 0/1 outcome through the logistic function.
    Logit,
    /// The expected amount itself.
    Identity,
}

impl Link {
    /// Logistic for 0/1 outcomes, identity for amounts.
    pub(crate) fn for_outcomes(data: &Dataset) -> Self {
        if data.has_binary_outcome() { Link::Logit } else { Link::Identity }
    }

    fn mean(self, eta: f64) -> f64 {
        match self {
            Link::Logit => sigmoid(eta),
            Link::Identity => eta,
        }
    }
}

fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let exp = eta.exp();
        exp / (1.0 + exp)
    }
}

/// A fitted linear model: standardisation followed by intercept plus coefficients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LinearModel {
    link: Link,
    feature_means: Vec<f64>,
    feature_scales: Vec<f64>,
    intercept: f64,
    coefficients: Vec<f64>,
}

/// What to fit: which rows, their targets and their weights (all indexed by dataset row).
pub(crate) struct LinearProblem<'a> {
    pub(crate) data: &'a Dataset,
    pub(crate) rows: &'a [usize],
    pub(crate) targets: &'a [f64],
    pub(crate) weights: &'a [f64],
    pub(crate) link: Link,
}

impl LinearModel {
    pub(crate) fn fit(problem: &LinearProblem<'_>, params: &LinearParams) -> Result<Self, UpliftError> {
        params.validate()?;
        let LinearProblem { data, rows, targets, weights, link } = *problem;
        if rows.is_empty() {
            return Err(UpliftError::Empty);
        }
        let (feature_means, feature_scales) = standardisation(data, rows);
        let dimension = data.n_features() + 1;
        let mut model =
            Self { link, feature_means, feature_scales, intercept: 0.0, coefficients: vec![0.0; dimension - 1] };
        let mut design = vec![0.0; dimension];
        for _ in 0..params.max_iterations {
            let mut gradient = vec![0.0; dimension];
            let mut hessian = vec![0.0; dimension * dimension];
            for &row in rows {
                model.design_row(data.row(row), &mut design);
                let mean = link.mean(model.linear_predictor(&design));
                let residual = weights[row] * (mean - targets[row]);
                // Canonical links: the Hessian weight is the variance of the mean.
                let curvature = weights[row] * if link == Link::Logit { mean * (1.0 - mean) } else { 1.0 };
                for i in 0..dimension {
                    gradient[i] += residual * design[i];
                    let scaled = curvature * design[i];
                    for j in 0..=i {
                        hessian[i * dimension + j] += scaled * design[j];
                    }
                }
            }
            for i in 1..dimension {
                gradient[i] += params.l2 * model.coefficients[i - 1];
                hessian[i * dimension + i] += params.l2;
            }
            let step = solve_cholesky(&mut hessian, gradient, dimension)?;
            model.intercept -= step[0];
            model.coefficients.iter_mut().zip(&step[1..]).for_each(|(coefficient, delta)| *coefficient -= delta);
            if step.iter().all(|delta| delta.abs() <= params.tolerance) {
                return Ok(model);
            }
        }
        Err(UpliftError::NotConverged { model: "regularised linear model", iterations: params.max_iterations })
    }

    /// `[1, standardised features...]`.
    fn design_row(&self, row: &[f32], design: &mut [f64]) {
        design[0] = 1.0;
        for (((slot, &value), mean), scale) in
            design[1..].iter_mut().zip(row).zip(&self.feature_means).zip(&self.feature_scales)
        {
            *slot = (f64::from(value) - mean) / scale;
        }
    }

    fn linear_predictor(&self, design: &[f64]) -> f64 {
        self.intercept + self.coefficients.iter().zip(&design[1..]).map(|(w, x)| w * x).sum::<f64>()
    }

    pub(crate) fn link(&self) -> Link {
        self.link
    }

    /// Expected outcome for one row of features.
    pub(crate) fn predict(&self, row: &[f32]) -> f64 {
        let eta = self.intercept
            + row
                .iter()
                .zip(&self.feature_means)
                .zip(&self.feature_scales)
                .zip(&self.coefficients)
                .map(|(((&value, mean), scale), weight)| weight * (f64::from(value) - mean) / scale)
                .sum::<f64>();
        self.link.mean(eta)
    }
}

/// Per-feature mean and standard deviation over `rows`; constant features keep scale 1.
fn standardisation(data: &Dataset, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let count = rows.len() as f64;
    let mut means = vec![0.0; data.n_features()];
    for &row in rows {
        means.iter_mut().zip(data.row(row)).for_each(|(mean, &value)| *mean += f64::from(value) / count);
    }
    let mut variances = vec![0.0; data.n_features()];
    for &row in rows {
        for ((variance, mean), &value) in variances.iter_mut().zip(&means).zip(data.row(row)) {
            *variance += (f64::from(value) - mean).powi(2) / count;
        }
    }
    let scales = variances.into_iter().map(|variance| if variance > 0.0 { variance.sqrt() } else { 1.0 }).collect();
    (means, scales)
}

/// Solves `A x = b` for symmetric positive definite `A`, given its lower triangle (row-major,
/// overwritten by the Cholesky factor).
fn solve_cholesky(matrix: &mut [f64], mut rhs: Vec<f64>, dimension: usize) -> Result<Vec<f64>, UpliftError> {
    for i in 0..dimension {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| matrix[i * dimension + k] * matrix[j * dimension + k]).sum();
            let value = matrix[i * dimension + j] - dot;
            if i == j {
                if !(value > 0.0 && value.is_finite()) {
                    return Err(UpliftError::Undefined("the Newton system is not positive definite"));
                }
                matrix[i * dimension + i] = value.sqrt();
            } else {
                matrix[i * dimension + j] = value / matrix[j * dimension + j];
            }
        }
    }
    for i in 0..dimension {
        let dot: f64 = (0..i).map(|k| matrix[i * dimension + k] * rhs[k]).sum();
        rhs[i] = (rhs[i] - dot) / matrix[i * dimension + i];
    }
    for i in (0..dimension).rev() {
        let dot: f64 = (i + 1..dimension).map(|k| matrix[k * dimension + i] * rhs[k]).sum();
        rhs[i] = (rhs[i] - dot) / matrix[i * dimension + i];
    }
    Ok(rhs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ridge_recovers_a_linear_function() {
        let features: Vec<f32> = (0..200).map(|i| (i % 20) as f32).collect();
        let outcome: Vec<f64> = features.iter().map(|&x| 3.0 + 2.0 * f64::from(x)).collect();
        let treatment = (0..200).map(|i| i % 2 == 0).collect();
        let data = Dataset::new(features, 1, treatment, outcome.clone()).unwrap();
        let rows: Vec<usize> = (0..200).collect();
        let weights = vec![1.0; 200];
        let problem =
            LinearProblem { data: &data, rows: &rows, targets: &outcome, weights: &weights, link: Link::Identity };
        let params = LinearParams { l2: 1e-6, ..LinearParams::default() };
        let model = LinearModel::fit(&problem, &params).unwrap();
        assert!((model.predict(&[10.0]) - 23.0).abs() < 1e-4);
    }
}
