//! The dense kernels of SASRec's forward and backward passes: matrix products, softmaxes, layer
//! normalisation and the feed-forward activations, as small functions over row-major `f32` slices.
//!
//! Everything outside this module is bookkeeping (which rows belong to which sequence, which weights
//! feed which product), so a GPU backend could later replace this module alone.
//!
//! Work is split across rayon threads by output rows, in chunks whose size depends only on the shapes,
//! never on the number of threads, and each output element is written by exactly one task in a fixed
//! order: results are bit-identical however the threads are scheduled. Nothing here reduces across
//! rows in parallel.

use rayon::prelude::*;

/// Rows per task of the row-wise kernels (layer norm, softmax, activations).
const ROWS_PER_TASK: usize = 64;
/// Values per task of the element-wise kernels.
const VALUES_PER_TASK: usize = 1 << 13;
/// Multiply-adds a matrix-product task should at least have to be worth a thread hand-off (each task
/// packs its own copy of the right-hand matrix).
const MACS_PER_TASK: usize = 1 << 20;
/// Most tasks a matrix product is split into.
const MAX_MATMUL_TASKS: usize = 16;
/// Matrix-product tasks start on a multiple of this many rows, the height of the widest micro-kernel.
const ROW_ALIGN: usize = 16;
/// Added to the variance before the square root, as in SASRec.
const LAYER_NORM_EPSILON: f32 = 1e-8;

/// A read-only matrix view: element `(i, j)` is `data[i * row_stride + j * col_stride]`. Strides let a
/// view be a transpose, or one attention head's columns of a wider matrix, without copying.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// A contiguous row-major `rows × cols` matrix.
    pub(crate) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols)
    }

    /// `rows × cols` with rows `row_stride` apart, starting at `data[0]`.
    pub(crate) fn strided(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(
            fits(data.len(), rows, cols, row_stride, 1),
            "{rows}x{cols} (row stride {row_stride}) exceeds {}",
            data.len()
        );
        Self { data, rows, cols, row_stride, col_stride: 1 }
    }

    pub(crate) fn t(self) -> Self {
        Self { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, ..self }
    }

    /// Rows `first..first + rows`.
    fn rows(self, first: usize, rows: usize) -> Self {
        if rows == 0 {
            return Self { rows, ..self };
        }
        Self { data: &self.data[first * self.row_stride..], rows, ..self }
    }
}

/// A writable row-major matrix view: element `(i, j)` is `data[i * row_stride + j]`.
#[derive(Debug)]
pub(crate) struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

impl<'a> MatMut<'a> {
    pub(crate) fn new(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        Self::strided(data, rows, cols, cols)
    }

    pub(crate) fn strided(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(
            fits(data.len(), rows, cols, row_stride, 1),
            "{rows}x{cols} (row stride {row_stride}) exceeds {}",
            data.len()
        );
        Self { data, rows, cols, row_stride }
    }
}

fn fits(len: usize, rows: usize, cols: usize, row_stride: usize, col_stride: usize) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * row_stride + (cols - 1) * col_stride < len
}

/// `c = a · b`, or `c += a · b` when `accumulate`.
pub(crate) fn matmul(a: Mat, b: Mat, c: MatMut, accumulate: bool) {
    assert_eq!(a.cols, b.rows, "inner dimensions");
    assert_eq!((a.rows, b.cols), (c.rows, c.cols), "output shape");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return;
    }
    let tasks = (m * k * n / MACS_PER_TASK).clamp(1, m.div_ceil(ROW_ALIGN).min(MAX_MATMUL_TASKS));
    let rows_per_task = m.div_ceil(tasks).next_multiple_of(ROW_ALIGN);
    let row_stride = c.row_stride;
    // Only the elements of the view, so every chunk starts a task's first row.
    let used = (m - 1) * row_stride + n;
    let chunks = c.data[..used].chunks_mut(rows_per_task * row_stride).enumerate().collect();
    run_tasks(chunks, |(task, data)| {
        let first = task * rows_per_task;
        let rows = rows_per_task.min(m - first);
        matmul_serial(a.rows(first, rows), b, MatMut { data, rows, cols: n, row_stride }, accumulate);
    });
}

fn matmul_serial(a: Mat, b: Mat, c: MatMut, accumulate: bool) {
    let beta = if accumulate { 1.0 } else { 0.0 };
    // SAFETY: the constructors checked that every element of each view lies inside its slice, and `c`
    // borrows its slice mutably, so it aliases neither `a` nor `b`. With beta 0, sgemm never reads `c`.
    unsafe {
        matrixmultiply::sgemm(
            a.rows,
            a.cols,
            b.cols,
            1.0,
            a.data.as_ptr(),
            a.row_stride as isize,
            a.col_stride as isize,
            b.data.as_ptr(),
            b.row_stride as isize,
            b.col_stride as isize,
            beta,
            c.data.as_mut_ptr(),
            c.row_stride as isize,
            1,
        );
    }
}

/// Runs `task` on every one of `tasks`, on the rayon pool when there is more than one. The caller
/// splits the work, so the split never depends on the number of threads.
pub(crate) fn run_tasks<T: Send>(tasks: Vec<T>, task: impl Fn(T) + Sync + Send) {
    if tasks.len() > 1 {
        tasks.into_par_iter().for_each(task);
    } else {
        tasks.into_iter().for_each(task);
    }
}

/// Adds `bias` to every row of `rows` (row length `bias.len()`).
pub(crate) fn add_row_bias(rows: &mut [f32], bias: &[f32]) {
    run_tasks(rows.chunks_mut(bias.len() * ROWS_PER_TASK).collect(), |chunk| {
        for row in chunk.chunks_exact_mut(bias.len()) {
            row.iter_mut().zip(bias).for_each(|(value, bias)| *value += bias);
        }
    });
}

/// `y = a · x`: every row's dot product with `x`, for a matrix of `x.len()` columns.
pub(crate) fn matvec(a: &[f32], x: &[f32], y: &mut [f32]) {
    let d = x.len();
    let rows_per_task = (VALUES_PER_TASK / d).max(1);
    run_tasks(y.chunks_mut(rows_per_task).zip(a.chunks(rows_per_task * d)).collect(), |(y, a)| {
        y.iter_mut().zip(a.chunks_exact(d)).for_each(|(y, row)| *y = dot(row, x));
    });
}

/// `Σ a ⊙ b`, in eight independent lanes so it vectorises.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            lanes[lane] += a[lane] * b[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// `sums[j] += Σ_i rows[i][j]`: a bias's gradient. Serial: a sum across rows in a fixed order.
pub(crate) fn add_column_sums(rows: &[f32], sums: &mut [f32]) {
    for row in rows.chunks_exact(sums.len()) {
        sums.iter_mut().zip(row).for_each(|(sum, value)| *sum += value);
    }
}

/// Row `i` of the square matrix `scores` (`n × n`) becomes the softmax of its first `i + 1` entries
/// times `scale`, the rest zero: causal attention weights, where position `i` may only look at
/// positions up to `i`.
pub(crate) fn causal_softmax(scores: &mut [f32], n: usize, scale: f32) {
    for (i, row) in scores.chunks_exact_mut(n).enumerate() {
        let (visible, future) = row.split_at_mut(i + 1);
        softmax(visible, scale);
        future.fill(0.0);
    }
}

fn softmax(values: &mut [f32], scale: f32) {
    let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for value in values.iter_mut() {
        *value = ((*value - max) * scale).exp();
        sum += *value;
    }
    values.iter_mut().for_each(|value| *value /= sum);
}

/// Turns `grad`, the gradient with respect to the softmax outputs `probs` (rows of `n`), into the
/// gradient with respect to its inputs: `p ⊙ (g − Σ p g)` per row. Zero probabilities (masked entries)
/// get zero gradient.
pub(crate) fn softmax_backward(probs: &[f32], grad: &mut [f32], n: usize) {
    for (p, g) in probs.chunks_exact(n).zip(grad.chunks_exact_mut(n)) {
        let dot: f32 = p.iter().zip(g.iter()).map(|(p, g)| p * g).sum();
        g.iter_mut().zip(p).for_each(|(g, p)| *g = p * (*g - dot));
    }
}

/// Softmax cross-entropy of each row against its positive: row `i` ranks `positives[i]` (the target's
/// logit) against `negatives[i * n..][..n]`, where `−∞` marks a negative left out of that row. Returns
/// each row's loss; leaves in `positives` and `negatives` the loss's gradient with respect to them,
/// scaled by `scale` (for a mean over rows).
pub(crate) fn cross_entropy(positives: &mut [f32], negatives: &mut [f32], n: usize, scale: f32) -> Vec<f32> {
    let mut losses = vec![0.0; positives.len()];
    let tasks = losses
        .chunks_mut(ROWS_PER_TASK)
        .zip(positives.chunks_mut(ROWS_PER_TASK))
        .zip(negatives.chunks_mut(ROWS_PER_TASK * n));
    run_tasks(tasks.collect(), |((losses, positives), negatives)| {
        for ((loss, positive), row) in losses.iter_mut().zip(positives).zip(negatives.chunks_exact_mut(n)) {
            let max = row.iter().copied().fold(*positive, f32::max);
            let positive_exp = (*positive - max).exp();
            let mut sum = positive_exp;
            for logit in row.iter_mut() {
                *logit = (*logit - max).exp();
                sum += *logit;
            }
            *loss = sum.ln() + max - *positive;
            row.iter_mut().for_each(|exp| *exp *= scale / sum);
            *positive = (positive_exp / sum - 1.0) * scale;
        }
    });
    losses
}

/// What [`layer_norm`]'s backward pass needs from its forward pass.
#[derive(Debug, Clone, Default)]
pub(crate) struct NormTrace {
    /// `(x − mean) / std` per row.
    pub(crate) normalized: Vec<f32>,
    /// `1 / std` per row.
    pub(crate) inverse_std: Vec<f32>,
    /// `normalized · gain + bias`.
    pub(crate) output: Vec<f32>,
}

/// Normalises each row of `x` (rows of `gain.len()`) to zero mean and unit variance, then scales by
/// `gain` and shifts by `bias`.
pub(crate) fn layer_norm(x: &[f32], gain: &[f32], bias: &[f32]) -> NormTrace {
    let d = gain.len();
    let mut trace =
        NormTrace { normalized: vec![0.0; x.len()], inverse_std: vec![0.0; x.len() / d], output: vec![0.0; x.len()] };
    let tasks = x
        .chunks(d * ROWS_PER_TASK)
        .zip(trace.normalized.chunks_mut(d * ROWS_PER_TASK))
        .zip(trace.inverse_std.chunks_mut(ROWS_PER_TASK))
        .zip(trace.output.chunks_mut(d * ROWS_PER_TASK));
    run_tasks(tasks.collect(), |(((x, normalized), inverse_std), output)| {
        let rows = x.chunks_exact(d).zip(normalized.chunks_exact_mut(d)).zip(output.chunks_exact_mut(d));
        for (((x, normalized), output), inverse_std) in rows.zip(inverse_std) {
            let mean = x.iter().sum::<f32>() / d as f32;
            let variance = x.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / d as f32;
            *inverse_std = 1.0 / (variance + LAYER_NORM_EPSILON).sqrt();
            for (j, (&x, normalized)) in x.iter().zip(normalized.iter_mut()).enumerate() {
                *normalized = (x - mean) * *inverse_std;
                output[j] = *normalized * gain[j] + bias[j];
            }
        }
    });
    trace
}

/// Backward pass of [`layer_norm`]: adds the gradient with respect to its input to `dx` and the
/// gradients with respect to `gain` and `bias` to `d_gain` and `d_bias`.
pub(crate) fn layer_norm_backward(
    d_output: &[f32],
    trace: &NormTrace,
    gain: &[f32],
    dx: &mut [f32],
    d_gain: &mut [f32],
    d_bias: &mut [f32],
) {
    let d = gain.len();
    for (d_output, normalized) in d_output.chunks_exact(d).zip(trace.normalized.chunks_exact(d)) {
        for j in 0..d {
            d_gain[j] += d_output[j] * normalized[j];
        }
    }
    add_column_sums(d_output, d_bias);
    let tasks = d_output
        .chunks(d * ROWS_PER_TASK)
        .zip(trace.normalized.chunks(d * ROWS_PER_TASK))
        .zip(trace.inverse_std.chunks(ROWS_PER_TASK))
        .zip(dx.chunks_mut(d * ROWS_PER_TASK));
    run_tasks(tasks.collect(), |(((d_output, normalized), inverse_std), dx)| {
        let rows = d_output.chunks_exact(d).zip(normalized.chunks_exact(d)).zip(dx.chunks_exact_mut(d));
        for (((d_output, normalized), dx), inverse_std) in rows.zip(inverse_std) {
            // With g = d_output ⊙ gain: dx = (g − mean(g) − normalized · mean(g ⊙ normalized)) / std.
            let (mut mean_g, mut mean_g_normalized) = (0.0, 0.0);
            for j in 0..d {
                let g = d_output[j] * gain[j];
                mean_g += g;
                mean_g_normalized += g * normalized[j];
            }
            mean_g /= d as f32;
            mean_g_normalized /= d as f32;
            for j in 0..d {
                let g = d_output[j] * gain[j];
                dx[j] += (g - mean_g - normalized[j] * mean_g_normalized) * inverse_std;
            }
        }
    });
}

/// The feed-forward network's non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Activation {
    Relu,
    /// The tanh approximation of GELU.
    Gelu,
}

/// √(2/π), of the tanh approximation of GELU.
const GELU_SCALE: f32 = 0.797_884_6;
const GELU_CUBIC: f32 = 0.044_715;

impl Activation {
    pub(crate) fn apply(self, x: &[f32]) -> Vec<f32> {
        let mut y = vec![0.0; x.len()];
        run_tasks(y.chunks_mut(VALUES_PER_TASK).zip(x.chunks(VALUES_PER_TASK)).collect(), |(y, x)| {
            for (y, &x) in y.iter_mut().zip(x) {
                *y = match self {
                    Activation::Relu => x.max(0.0),
                    Activation::Gelu => 0.5 * x * (1.0 + tanh(GELU_SCALE * (x + GELU_CUBIC * x * x * x))),
                };
            }
        });
        y
    }

    /// Multiplies `grad` (with respect to the outputs) by the derivative at the inputs `x`.
    pub(crate) fn backward(self, x: &[f32], grad: &mut [f32]) {
        run_tasks(grad.chunks_mut(VALUES_PER_TASK).zip(x.chunks(VALUES_PER_TASK)).collect(), |(grad, x)| {
            for (grad, &x) in grad.iter_mut().zip(x) {
                *grad *= match self {
                    Activation::Relu => f32::from(x > 0.0),
                    Activation::Gelu => {
                        let t = tanh(GELU_SCALE * (x + GELU_CUBIC * x * x * x));
                        let d_inner = GELU_SCALE * (1.0 + 3.0 * GELU_CUBIC * x * x);
                        0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * d_inner
                    }
                };
            }
        });
    }
}

/// `tanh` through one `exp`, several times faster than the library's and as accurate as GELU needs.
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / (1.0 + (2.0 * x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
            }
        }
        c
    }

    #[test]
    fn matmul_multiplies_transposes_and_accumulates() {
        // a = [[1, 2], [3, 4]], b = [[5, 6], [7, 8]].
        let (a, b) = ([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]);
        let mut c = [0.0; 4];
        matmul(Mat::new(&a, 2, 2), Mat::new(&b, 2, 2), MatMut::new(&mut c, 2, 2), false);
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
        // aᵀ b = [[26, 30], [38, 44]], added to the previous c.
        matmul(Mat::new(&a, 2, 2).t(), Mat::new(&b, 2, 2), MatMut::new(&mut c, 2, 2), true);
        assert_eq!(c, [45.0, 52.0, 81.0, 94.0]);
    }

    #[test]
    fn strided_views_select_a_heads_columns() {
        // Row-major 2 × 4; the second "head" is columns 2..4.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let identity = [1.0, 0.0, 0.0, 1.0];
        let mut out = [0.0; 8];
        matmul(
            Mat::strided(&x[2..], 2, 2, 4),
            Mat::new(&identity, 2, 2),
            MatMut::strided(&mut out[2..], 2, 2, 4),
            false,
        );
        assert_eq!(out, [0.0, 0.0, 3.0, 4.0, 0.0, 0.0, 7.0, 8.0]);
    }

    proptest! {
        #[test]
        fn matmul_matches_the_definition_serial_or_split_into_tasks(
            m in 1usize..300, k in 1usize..40, n in 1usize..40, seed in 0u32..1000,
        ) {
            let value = |i: usize| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 17) as f32 - 8.0;
            let a: Vec<f32> = (0..m * k).map(value).collect();
            let b: Vec<f32> = (0..k * n).map(|i| value(i + 7)).collect();
            let mut c = vec![f32::NAN; m * n];
            matmul(Mat::new(&a, m, k), Mat::new(&b, k, n), MatMut::new(&mut c, m, n), false);
            // Small integers: every product and sum is exact in f32.
            prop_assert_eq!(c, naive_matmul(&a, &b, m, k, n));
        }

        #[test]
        fn causal_softmax_rows_are_distributions_over_the_past(
            n in 1usize..8, scores in proptest::collection::vec(-20.0f32..20.0, 64),
        ) {
            let mut probs = scores[..n * n].to_vec();
            causal_softmax(&mut probs, n, 0.5);
            for (i, row) in probs.chunks_exact(n).enumerate() {
                prop_assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                prop_assert!(row[..=i].iter().all(|&p| p > 0.0));
                prop_assert!(row[i + 1..].iter().all(|&p| p == 0.0));
            }
        }

        #[test]
        fn layer_norm_rows_have_zero_mean_and_unit_variance(
            x in proptest::collection::vec(-10.0f32..10.0, 12), shift in -100.0f32..100.0,
        ) {
            prop_assume!(x.iter().any(|&v| (v - x[0]).abs() > 0.1));
            let x: Vec<f32> = x.iter().map(|v| v + shift).collect();
            let trace = layer_norm(&x, &[1.0; 6], &[0.0; 6]);
            for row in trace.output.chunks_exact(6) {
                let mean = row.iter().sum::<f32>() / 6.0;
                let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 6.0;
                prop_assert!(mean.abs() < 1e-4, "mean {}", mean);
                // Rows of six values well apart from each other: epsilon is negligible.
                prop_assert!((variance - 1.0).abs() < 1e-3 || row.iter().all(|v| v.abs() < 1e-3), "variance {}", variance);
            }
        }
    }

    #[test]
    fn cross_entropy_matches_the_softmax_by_hand() {
        // Row 0: positive 0, negatives [ln 3, left out]. Row 1: positive ln 2, negatives [left out, 0].
        let mut positives = [0.0, 2f32.ln()];
        let mut negatives = [3f32.ln(), f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0];
        let losses = cross_entropy(&mut positives, &mut negatives, 2, 0.5);
        // Row 0: softmax [1/4, 3/4], loss ln 4. Row 1: softmax [2/3, 1/3], loss ln 3/2.
        assert!((losses[0] - 4f32.ln()).abs() < 1e-6 && (losses[1] - 1.5f32.ln()).abs() < 1e-6);
        let expected_positives = [(0.25 - 1.0) * 0.5, (2.0 / 3.0 - 1.0) * 0.5];
        let expected_negatives = [0.75 * 0.5, 0.0, 0.0, 1.0 / 3.0 * 0.5];
        for (actual, expected) in
            positives.iter().chain(&negatives).zip(expected_positives.iter().chain(&expected_negatives))
        {
            assert!((actual - expected).abs() < 1e-6, "{actual} != {expected}");
        }
    }
}
