//! Linear models on sparse features: the L2-regularised, squared-hinge-loss support vector machine
//! solved in its dual by coordinate descent with shrinking (Hsieh et al., 2008), one-vs-rest for many
//! classes; and the small one-dimensional fits that calibrate their margins into probabilities.

use rayon::prelude::*;

use crate::features::SparseVector;

/// A small deterministic generator (SplitMix64) for shuffles and fold assignment.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Solver settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SvmSettings {
    /// Inverse regularisation strength.
    pub c: f64,
    /// Passes over the data at most.
    pub max_epochs: usize,
    /// Stop when the projected gradients' spread falls below this.
    pub tolerance: f64,
}

/// The constant feature that gives each class a (regularised) bias.
const BIAS: f64 = 1.0;

/// Weights of one binary squared-hinge SVM: `dims` feature weights followed by the bias.
/// `positive[i]` says which side row `i` is on.
pub(crate) fn train_binary(
    rows: &[&SparseVector],
    positive: &[bool],
    dims: usize,
    settings: &SvmSettings,
    seed: u64,
) -> Vec<f32> {
    let n = rows.len();
    let mut w = vec![0f64; dims + 1];
    let mut alpha = vec![0f64; n];
    // The squared hinge loss shows up in the dual as this constant on the diagonal.
    let diag = 0.5 / settings.c;
    let qd: Vec<f64> = rows
        .iter()
        .map(|row| diag + BIAS * BIAS + row.iter().map(|&(_, v)| f64::from(v).powi(2)).sum::<f64>())
        .collect();
    let sign = |i: usize| if positive[i] { 1.0 } else { -1.0 };
    let mut order: Vec<usize> = (0..n).collect();
    let mut active = n;
    let mut rng = Rng::new(seed);
    let mut max_old = f64::INFINITY;
    for _ in 0..settings.max_epochs {
        let (mut max_new, mut min_new) = (f64::NEG_INFINITY, f64::INFINITY);
        rng.shuffle(&mut order[..active]);
        let mut s = 0;
        while s < active {
            let i = order[s];
            let y = sign(i);
            let row = rows[i];
            let margin = row.iter().map(|&(j, v)| w[j as usize] * f64::from(v)).sum::<f64>() + w[dims] * BIAS;
            let gradient = y * margin - 1.0 + alpha[i] * diag;
            let projected = if alpha[i] == 0.0 {
                if gradient > max_old {
                    // Shrink: this row sits at its bound and is likely to stay there.
                    active -= 1;
                    order.swap(s, active);
                    continue;
                }
                gradient.min(0.0)
            } else {
                gradient
            };
            max_new = max_new.max(projected);
            min_new = min_new.min(projected);
            if projected.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - gradient / qd[i]).max(0.0);
                let step = (alpha[i] - old) * y;
                for &(j, v) in row.iter() {
                    w[j as usize] += step * f64::from(v);
                }
                w[dims] += step * BIAS;
            }
            s += 1;
        }
        if max_new - min_new <= settings.tolerance {
            if active == n {
                break;
            }
            // Converged on the shrunk set: check once more on every row.
            active = n;
            max_old = f64::INFINITY;
            continue;
        }
        max_old = if max_new <= 0.0 { f64::INFINITY } else { max_new };
    }
    w.into_iter().map(|x| x as f32).collect()
}

/// One-vs-rest weights laid out feature-major for fast scoring: `weights[j * classes + k]` is
/// feature `j`'s weight for class `k`; the biases follow the last feature.
#[derive(Debug, Clone)]
pub(crate) struct LinearModel {
    pub classes: usize,
    pub dims: usize,
    weights: Vec<f32>,
}

impl LinearModel {
    /// Trains one binary machine per class, the classes in parallel.
    pub fn train(
        rows: &[&SparseVector],
        labels: &[usize],
        classes: usize,
        dims: usize,
        settings: &SvmSettings,
        seed: u64,
    ) -> LinearModel {
        let per_class: Vec<Vec<f32>> = (0..classes)
            .into_par_iter()
            .map(|k| {
                let positive: Vec<bool> = labels.iter().map(|&l| l == k).collect();
                train_binary(rows, &positive, dims, settings, seed.wrapping_add(k as u64))
            })
            .collect();
        let mut weights = vec![0f32; (dims + 1) * classes];
        for (k, w) in per_class.iter().enumerate() {
            for (j, &x) in w.iter().enumerate() {
                weights[j * classes + k] = x;
            }
        }
        LinearModel { classes, dims, weights }
    }

    /// Each class's margin for one row.
    pub fn margins(&self, row: &SparseVector) -> Vec<f64> {
        let k = self.classes;
        let mut out: Vec<f64> = self.weights[self.dims * k..].iter().map(|&b| f64::from(b) * BIAS).collect();
        for &(j, v) in row {
            let column = &self.weights[j as usize * k..(j as usize + 1) * k];
            for (o, &w) in out.iter_mut().zip(column) {
                *o += f64::from(w * v);
            }
        }
        out
    }
}

/// Softmax of `margins / temperature`.
pub(crate) fn softmax(margins: &[f64], temperature: f64) -> Vec<f64> {
    let top = margins.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = margins.iter().map(|m| ((m - top) / temperature).exp()).collect();
    let total: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / total).collect()
}

/// Minimises a unimodal function of one variable on `[lo, hi]` by golden-section search.
pub(crate) fn golden_section(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut a = hi - ratio * (hi - lo);
    let mut b = lo + ratio * (hi - lo);
    let (mut fa, mut fb) = (f(a), f(b));
    for _ in 0..80 {
        if fa < fb {
            hi = b;
            b = a;
            fb = fa;
            a = hi - ratio * (hi - lo);
            fa = f(a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + ratio * (hi - lo);
            fb = f(b);
        }
    }
    (lo + hi) / 2.0
}

/// The temperature that minimises the negative log-likelihood of the true classes given held-out
/// margins.
pub(crate) fn fit_temperature(margins: &[Vec<f64>], truth: &[usize]) -> f64 {
    let nll = |log_t: f64| {
        let t = log_t.exp();
        margins.iter().zip(truth).map(|(m, &y)| -softmax(m, t)[y].max(1e-300).ln()).sum::<f64>()
    };
    golden_section((1e-3f64).ln(), (1e2f64).ln(), nll).exp()
}

/// Platt scaling generalised to several inputs: fits `P(y) = σ(θ · [x, 1])` by Newton's method on
/// the log-loss, with the slightly softened targets Platt recommends. Every input is a score where
/// higher means more likely, so slopes are kept non-negative: an input that would get a negative
/// slope (it only repeats what another says, and the fit is exploiting noise) is dropped.
pub(crate) fn fit_logistic(inputs: &[Vec<f64>], truth: &[bool]) -> Vec<f64> {
    let width = inputs.first().map_or(0, Vec::len);
    let mut used: Vec<usize> = (0..width).collect();
    loop {
        let theta = fit_logistic_on(inputs, truth, &used);
        let worst =
            used.iter().enumerate().filter(|&(k, _)| theta[k] < 0.0).min_by(|a, b| theta[a.0].total_cmp(&theta[b.0]));
        match worst {
            Some((k, _)) => {
                used.remove(k);
            }
            None => {
                let mut full = vec![0.0; width + 1];
                for (k, &input) in used.iter().enumerate() {
                    full[input] = theta[k];
                }
                full[width] = theta[used.len()];
                return full;
            }
        }
    }
}

/// The unconstrained fit on some of the inputs: their slopes, then the intercept.
fn fit_logistic_on(inputs: &[Vec<f64>], truth: &[bool], used: &[usize]) -> Vec<f64> {
    let width = used.len() + 1;
    let positives = truth.iter().filter(|&&t| t).count() as f64;
    let negatives = truth.len() as f64 - positives;
    let high = (positives + 1.0) / (positives + 2.0);
    let low = 1.0 / (negatives + 2.0);
    let mut theta = vec![0f64; width];
    for _ in 0..50 {
        // A little ridge keeps the system solvable when an input never varies.
        let mut gradient: Vec<f64> = theta.iter().map(|t| 1e-6 * t).collect();
        let mut hessian: Vec<Vec<f64>> =
            (0..width).map(|r| (0..width).map(|c| if r == c { 1e-6 } else { 0.0 }).collect()).collect();
        for (x, &t) in inputs.iter().zip(truth) {
            let features: Vec<f64> = used.iter().map(|&k| x[k]).chain(std::iter::once(1.0)).collect();
            let z: f64 = features.iter().zip(&theta).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let target = if t { high } else { low };
            let weight = (p * (1.0 - p)).max(1e-12);
            for r in 0..width {
                gradient[r] += (p - target) * features[r];
                for c in 0..width {
                    hessian[r][c] += weight * features[r] * features[c];
                }
            }
        }
        let Some(step) = solve(hessian, gradient) else { break };
        for (t, s) in theta.iter_mut().zip(&step) {
            *t -= s;
        }
        if step.iter().map(|s| s.abs()).sum::<f64>() < 1e-9 {
            break;
        }
    }
    theta
}

/// Solves a small dense linear system by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-15 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, target) in lower.iter_mut().enumerate() {
            let factor = target[col] / pivot_row[col];
            for (t, p) in target[col..].iter_mut().zip(&pivot_row[col..]) {
                *t -= factor * p;
            }
            b[col + 1 + offset] -= factor * b[col];
        }
    }
    let mut x = vec![0f64; n];
    for row in (0..n).rev() {
        let rest: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_a_toy_problem() {
        let rows: Vec<SparseVector> =
            vec![vec![(0, 1.0)], vec![(0, 0.9), (2, 0.1)], vec![(1, 1.0)], vec![(1, 0.8), (2, 0.2)]];
        let refs: Vec<&SparseVector> = rows.iter().collect();
        let settings = SvmSettings { c: 1.0, max_epochs: 100, tolerance: 0.01 };
        let model = LinearModel::train(&refs, &[0, 0, 1, 1], 2, 3, &settings, 1);
        let m = model.margins(&vec![(0, 1.0)]);
        assert!(m[0] > 0.0 && m[1] < 0.0, "{m:?}");
    }

    #[test]
    fn platt_fit_recovers_a_slope() {
        let inputs: Vec<Vec<f64>> = (0..200).map(|i| vec![f64::from(i) / 100.0 - 1.0, 0.0]).collect();
        let truth: Vec<bool> =
            inputs.iter().enumerate().map(|(i, x)| x[0] + if i % 5 == 0 { -0.5 } else { 0.0 } > 0.0).collect();
        let theta = fit_logistic(&inputs, &truth);
        assert!(theta[0] > 1.0 && theta[1].abs() < 1e-6, "{theta:?}");
    }

    #[test]
    fn temperature_follows_how_often_margins_are_right() {
        let margins = vec![vec![1.0, -1.0], vec![-1.0, 1.0], vec![0.5, -0.5], vec![-0.5, 0.5]];
        assert!(fit_temperature(&margins, &[0, 1, 0, 1]) < 0.5);
        assert!(fit_temperature(&margins, &[0, 1, 1, 0]) > 1.0);
    }
}
