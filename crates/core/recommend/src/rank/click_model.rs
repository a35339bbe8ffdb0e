//! Logistic regression for P(click | impression) and P(purchase | impression), trained from logged
//! impressions. Full-batch L-BFGS on the L2-regularised mean log-loss: no learning rate to tune, no
//! random order, the same model from the same examples on any number of threads.
//!
//! The intercept is not regularised, so at the optimum the weighted mean of the predicted
//! probabilities equals the observed rate: the model is calibrated in the large whatever the L2
//! strength.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// One logged impression: its features as `(index, value)` pairs (indices below the model's
/// dimensions; others are ignored), whether it was clicked (or bought), and how much it counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub features: Vec<(u32, f32)>,
    pub label: bool,
    /// Non-negative; e.g. an inverse sampling rate when negatives were down-sampled. 0 drops the example.
    pub weight: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogisticConfig {
    /// L2 penalty `l2 / 2 · |w|²` added to the weighted mean log-loss (the intercept is exempt).
    /// Keeps weights finite when a feature separates the labels and shares weight between collinear
    /// features (such as the one-hot price bands).
    pub l2: f64,
    /// Stop when no gradient component exceeds this.
    pub tolerance: f64,
    pub max_iterations: usize,
}

impl Default for LogisticConfig {
    fn default() -> Self {
        Self { l2: 1e-4, tolerance: 1e-6, max_iterations: 200 }
    }
}

/// How a fit went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FitSummary {
    pub iterations: usize,
    /// The gradient fell below [`LogisticConfig::tolerance`]; otherwise the fit stopped at
    /// [`LogisticConfig::max_iterations`] or when no step decreased the loss any further.
    pub converged: bool,
    /// The regularised objective at the returned weights.
    pub loss: f64,
    /// The largest gradient component at the returned weights.
    pub gradient: f64,
}

/// `P(label) = σ(bias + Σ weight[i] · value)` over sparse features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    bias: f64,
    weights: Vec<f64>,
}

/// Past gradient differences kept by L-BFGS: more gives a better curvature estimate per step at a
/// linear cost in memory and time; 10 is the usual choice.
const MEMORY: usize = 10;

/// Examples per parallel chunk of the loss sum: fixed, so the summation order, and with it every bit
/// of the result, does not depend on the number of threads.
const CHUNK: usize = 4096;

impl LogisticModel {
    /// A model with given weights, e.g. as stored. Features at or past `weights.len()` are ignored.
    pub fn new(bias: f64, weights: Vec<f64>) -> Self {
        Self { bias, weights }
    }

    /// Fits on `examples` over features `0..dimensions`. Without any example of positive weight the
    /// model predicts 0.5 everywhere.
    pub fn fit(examples: &[Example], dimensions: usize, config: &LogisticConfig) -> (Self, FitSummary) {
        let problem = Problem::new(examples, dimensions, config.l2);
        let mut params = vec![0.0; dimensions + 1];
        let mut margins = problem.margins(&params);
        let mut loss = problem.objective(|index| margins[index], 0.0);
        let mut gradient = problem.gradient(&margins, &params);
        // (s, y, 1 / y·s) for the latest steps s and gradient changes y, oldest first.
        let mut memory: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::with_capacity(MEMORY);
        let mut summary = FitSummary { iterations: 0, converged: false, loss, gradient: 0.0 };
        while summary.iterations < config.max_iterations {
            if max_abs(&gradient) <= config.tolerance {
                summary.converged = true;
                break;
            }
            summary.iterations += 1;
            let mut direction = two_loop(&gradient, &memory);
            let mut slope = dot(&gradient, &direction);
            if slope >= 0.0 {
                // The curvature estimate went wrong (it cannot on a strictly convex loss, but rounding):
                // restart from steepest descent.
                memory.clear();
                direction = gradient.iter().map(|g| -g).collect();
                slope = dot(&gradient, &direction);
            }
            // The first step has no curvature estimate: scale it to unit length.
            let first_step = if memory.is_empty() { 1.0 / dot(&direction, &direction).sqrt() } else { 1.0 };
            // Margins are linear in the parameters, so the loss along the line needs no sparse products.
            let direction_margins = problem.margins(&direction);
            let Some((step, next_loss)) = backtrack(loss, slope, first_step, |step| {
                let weights = params[..dimensions].iter().zip(&direction).map(|(w, d)| w + step * d);
                let squared_norm = weights.map(|w| w * w).sum();
                problem.objective(|index| margins[index] + step * direction_margins[index], squared_norm)
            }) else {
                break;
            };
            let previous_loss = loss;
            let s: Vec<f64> = direction.iter().map(|d| step * d).collect();
            for (param, delta) in params.iter_mut().zip(&s) {
                *param += delta;
            }
            margins = problem.margins(&params);
            loss = next_loss;
            let next_gradient = problem.gradient(&margins, &params);
            let y: Vec<f64> = next_gradient.iter().zip(&gradient).map(|(next, last)| next - last).collect();
            gradient = next_gradient;
            let curvature = dot(&y, &s);
            if curvature > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() {
                if memory.len() == MEMORY {
                    memory.remove(0);
                }
                memory.push((s, y, 1.0 / curvature));
            }
            if previous_loss - loss <= 1e-15 * previous_loss.abs().max(1.0) {
                summary.converged = max_abs(&gradient) <= config.tolerance;
                break;
            }
        }
        summary.loss = loss;
        summary.gradient = max_abs(&gradient);
        let bias = params[dimensions];
        params.truncate(dimensions);
        (Self { bias, weights: params }, summary)
    }

    pub fn bias(&self) -> f64 {
        self.bias
    }

    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// `bias + Σ weight · value`, the log-odds.
    pub fn logit(&self, features: &[(u32, f32)]) -> f64 {
        self.bias + sparse_dot(&self.weights, features)
    }

    pub fn probability(&self, features: &[(u32, f32)]) -> f32 {
        sigmoid(self.logit(features)) as f32
    }

    /// The `top` features with the largest weight magnitude, largest first (ties: lower index), for
    /// reading what the model learnt; zero weights are left out.
    pub fn strongest(&self, top: usize) -> Vec<(usize, f64)> {
        let mut weights: Vec<(usize, f64)> =
            self.weights.iter().copied().enumerate().filter(|&(_, weight)| weight != 0.0).collect();
        weights.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        weights.truncate(top);
        weights
    }
}

/// The training data and the objective over parameters `[w_0 .. w_{d-1}, bias]`.
struct Problem<'a> {
    examples: &'a [Example],
    dimensions: usize,
    l2: f64,
    total_weight: f64,
}

impl<'a> Problem<'a> {
    fn new(examples: &'a [Example], dimensions: usize, l2: f64) -> Self {
        let total_weight = examples.iter().map(|example| f64::from(example.weight.max(0.0))).sum();
        Self { examples, dimensions, l2, total_weight }
    }

    /// Each example's log-odds under `params`.
    fn margins(&self, params: &[f64]) -> Vec<f64> {
        let (weights, bias) = params.split_at(self.dimensions);
        self.examples.par_iter().map(|example| bias[0] + sparse_dot(weights, &example.features)).collect()
    }

    /// The objective for the example log-odds `margin(i)` and the squared norm of the weights.
    fn objective(&self, margin: impl Fn(usize) -> f64 + Sync, squared_norm: f64) -> f64 {
        let data = if self.total_weight > 0.0 {
            let chunk_sums: Vec<f64> = self
                .examples
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(chunk, examples)| {
                    let indices = chunk * CHUNK..;
                    indices
                        .zip(examples)
                        .map(|(index, example)| {
                            let margin = margin(index);
                            f64::from(example.weight.max(0.0)) * (softplus(margin) - label(example) * margin)
                        })
                        .sum::<f64>()
                })
                .collect();
            chunk_sums.iter().sum::<f64>() / self.total_weight
        } else {
            0.0
        };
        data + 0.5 * self.l2 * squared_norm
    }

    fn gradient(&self, margins: &[f64], params: &[f64]) -> Vec<f64> {
        let mut gradient = vec![0.0; self.dimensions + 1];
        if self.total_weight > 0.0 {
            // Residuals in parallel, then one sequential scatter in example order: deterministic.
            let residuals: Vec<f64> = self
                .examples
                .par_iter()
                .zip(margins)
                .map(|(example, &margin)| {
                    f64::from(example.weight.max(0.0)) * (sigmoid(margin) - label(example)) / self.total_weight
                })
                .collect();
            for (example, residual) in self.examples.iter().zip(residuals) {
                for &(index, value) in &example.features {
                    if let Some(slot) = gradient[..self.dimensions].get_mut(index as usize) {
                        *slot += residual * f64::from(value);
                    }
                }
                gradient[self.dimensions] += residual;
            }
        }
        for (slot, weight) in gradient.iter_mut().zip(&params[..self.dimensions]) {
            *slot += self.l2 * weight;
        }
        gradient
    }
}

/// The L-BFGS search direction `-H · gradient` from the stored curvature pairs.
fn two_loop(gradient: &[f64], memory: &[(Vec<f64>, Vec<f64>, f64)]) -> Vec<f64> {
    let mut q: Vec<f64> = gradient.iter().map(|g| -g).collect();
    let mut alphas = Vec::with_capacity(memory.len());
    for (s, y, rho) in memory.iter().rev() {
        let alpha = rho * dot(s, &q);
        axpy(-alpha, y, &mut q);
        alphas.push(alpha);
    }
    if let Some((s, y, _)) = memory.last() {
        let scale = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|value| *value *= scale);
    }
    for ((s, y, rho), alpha) in memory.iter().zip(alphas.into_iter().rev()) {
        let beta = rho * dot(y, &q);
        axpy(alpha - beta, s, &mut q);
    }
    q
}

/// Armijo backtracking from `step`: halves it until the loss decreases enough. `None` when even a
/// tiny step does not decrease it (the current point is as good as rounding allows).
fn backtrack(loss: f64, slope: f64, mut step: f64, loss_at: impl Fn(f64) -> f64) -> Option<(f64, f64)> {
    const SUFFICIENT: f64 = 1e-4;
    for _ in 0..60 {
        let next = loss_at(step);
        if next <= loss + SUFFICIENT * step * slope {
            return Some((step, next));
        }
        step *= 0.5;
    }
    None
}

fn label(example: &Example) -> f64 {
    if example.label { 1.0 } else { 0.0 }
}

fn sparse_dot(weights: &[f64], features: &[(u32, f32)]) -> f64 {
    features
        .iter()
        .filter_map(|&(index, value)| weights.get(index as usize).map(|weight| weight * f64::from(value)))
        .sum()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

fn max_abs(values: &[f64]) -> f64 {
    values.iter().fold(0.0, |max, value| max.max(value.abs()))
}

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
}

/// The area under the ROC curve of `scores` for `labels`: the chance that a random positive scores
/// above a random negative, ties counting half. What decides whether a learnt model orders logged
/// impressions better than the score it would replace. `None` without both a positive and a negative.
pub fn auc(scored: &[(f32, bool)]) -> Option<f64> {
    let positives = scored.iter().filter(|(_, label)| *label).count();
    let negatives = scored.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f32, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Mann-Whitney: sum of the positives' ranks (1-based, ties sharing their mean rank).
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < sorted.len() {
        let end = start + sorted[start..].iter().take_while(|(score, _)| *score == sorted[start].0).count();
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        rank_sum += mean_rank * sorted[start..end].iter().filter(|(_, label)| *label).count() as f64;
        start = end;
    }
    let positives = positives as f64;
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives as f64))
}

/// `ln(1 + e^x)` without overflow.
fn softplus(x: f64) -> f64 {
    if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn example(features: &[(u32, f32)], label: bool) -> Example {
        Example { features: features.to_vec(), label, weight: 1.0 }
    }

    #[test]
    fn auc_counts_ordered_pairs_and_ties_half() {
        assert_eq!(auc(&[(0.9, true), (0.1, false)]), Some(1.0));
        assert_eq!(auc(&[(0.1, true), (0.9, false)]), Some(0.0));
        assert_eq!(auc(&[(0.5, true), (0.5, false)]), Some(0.5));
        // Positives 0.8 and 0.4 against negatives 0.6, 0.4, 0.2: pairs won 3 + 1.5 of 6.
        let mixed = [(0.8, true), (0.4, true), (0.6, false), (0.4, false), (0.2, false)];
        assert_eq!(auc(&mixed), Some(4.5 / 6.0));
        assert_eq!(auc(&[(0.3, true)]), None);
        assert_eq!(auc(&[]), None);
    }

    fn exact() -> LogisticConfig {
        LogisticConfig { l2: 0.0, tolerance: 1e-8, max_iterations: 500 }
    }

    /// Labels drawn from `σ(-0.3 + 1.5 x0 - 2 x1 + 0.5 x2)` with `x` uniform in `[-1, 1]³`; every
    /// fifth example weighs 2.
    fn synthetic(n: usize) -> Vec<Example> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        (0..n)
            .map(|index| {
                let x: [f32; 3] = std::array::from_fn(|_| rng.random_range(-1.0..1.0));
                let logit = -0.3 + 1.5 * x[0] - 2.0 * x[1] + 0.5 * x[2];
                let label = rng.random::<f64>() < sigmoid(f64::from(logit));
                let features = x.iter().enumerate().map(|(j, &value)| (j as u32, value)).collect();
                Example { features, label, weight: if index % 5 == 0 { 2.0 } else { 1.0 } }
            })
            .collect()
    }

    #[test]
    fn fits_the_closed_form_of_a_binary_feature() {
        // With the feature: 3 of 4 clicked; without: 1 of 4. The maximum-likelihood fit has
        // bias = logit(1/4) = -ln 3 and weight = logit(3/4) - logit(1/4) = 2 ln 3.
        let on = [(0, 1.0)];
        let labels = [true, true, true, false];
        let mut examples: Vec<Example> = labels.iter().map(|&label| example(&on, label)).collect();
        examples.extend(labels.iter().map(|&label| example(&[], !label)));
        let (model, summary) = LogisticModel::fit(&examples, 1, &exact());
        assert!(summary.converged, "{summary:?}");
        assert!((model.bias() + 3f64.ln()).abs() < 1e-6, "{}", model.bias());
        assert!((model.weights()[0] - 2.0 * 3f64.ln()).abs() < 1e-6, "{}", model.weights()[0]);
        assert!((model.probability(&on) - 0.75).abs() < 1e-6);
        // An index past the model's dimensions is ignored.
        assert!((model.probability(&[(5, 1.0)]) - 0.25).abs() < 1e-6);
    }

    #[test]
    fn recovers_known_weights_from_sampled_labels() {
        let (model, summary) = LogisticModel::fit(&synthetic(20_000), 3, &exact());
        assert!(summary.converged, "{summary:?}");
        for (learnt, truth) in model.weights().iter().zip([1.5, -2.0, 0.5]) {
            assert!((learnt - truth).abs() < 0.1, "{learnt} vs {truth}");
        }
        assert!((model.bias() + 0.3).abs() < 0.1, "{}", model.bias());
        assert_eq!(model.strongest(2).iter().map(|&(index, _)| index).collect::<Vec<_>>(), [1, 0]);
    }

    #[test]
    fn predictions_are_calibrated_in_the_large_despite_regularisation() {
        let examples = synthetic(5_000);
        let config = LogisticConfig { l2: 0.5, tolerance: 1e-9, max_iterations: 500 };
        let (model, summary) = LogisticModel::fit(&examples, 3, &config);
        assert!(summary.converged, "{summary:?}");
        let total: f64 = examples.iter().map(|example| f64::from(example.weight)).sum();
        let observed: f64 = examples.iter().map(|example| f64::from(example.weight) * label(example)).sum::<f64>();
        let predicted: f64 = examples
            .iter()
            .map(|example| f64::from(example.weight) * sigmoid(model.logit(&example.features)))
            .sum::<f64>();
        assert!((predicted / total - observed / total).abs() < 1e-6, "{} vs {}", predicted / total, observed / total);
        // The penalty shrinks the weights well below the truth.
        assert!(model.weights()[1] > -1.5 && model.weights()[1] < 0.0, "{}", model.weights()[1]);
    }

    #[test]
    fn fits_are_identical_on_any_number_of_threads() {
        let examples = synthetic(10_000);
        let config = LogisticConfig::default();
        let parallel = LogisticModel::fit(&examples, 3, &config);
        let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let sequential = one_thread.install(|| LogisticModel::fit(&examples, 3, &config));
        assert_eq!(parallel, sequential);
        assert_eq!(parallel, LogisticModel::fit(&examples, 3, &config));
    }

    #[test]
    fn degenerate_data_gives_finite_predictions() {
        let (empty, summary) = LogisticModel::fit(&[], 2, &LogisticConfig::default());
        assert_eq!((empty.probability(&[(0, 1.0)]), summary.iterations), (0.5, 0));
        let clicked: Vec<Example> = (0..10).map(|_| example(&[(0, 1.0)], true)).collect();
        let (all_clicked, _) = LogisticModel::fit(&clicked, 1, &LogisticConfig::default());
        let p = all_clicked.probability(&[(0, 1.0)]);
        assert!(p > 0.99 && p <= 1.0, "{p}");
        let unweighted = [Example { weight: 0.0, ..example(&[(0, 1.0)], true) }];
        assert_eq!(LogisticModel::fit(&unweighted, 1, &LogisticConfig::default()).0.probability(&[]), 0.5);
    }
}
