//! The SASRec network: item and position embeddings, then blocks of causal self-attention and a
//! point-wise feed-forward network, each behind a pre-layer-norm residual connection, then a final
//! layer norm. Every layer has a forward pass that records what its backward pass needs in a trace.
//!
//! A batch is its sequences packed row after row without padding ([`Packed`]). The original pads every
//! sequence on the left to `max_len` and masks the padding out of attention, so it computes nothing
//! the real positions see; skipping it gives the same result for a fraction of the work, since most
//! shoppers have far fewer than `max_len` items. Positions stay right-aligned as with left padding: a
//! sequence's latest item always has the last position embedding.

use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;

use super::kernels::{self, Activation, Mat, MatMut, NormTrace};
use crate::ItemId;

/// Item sequences packed row after row: sequence `s` is rows `starts[s]..starts[s + 1]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Packed {
    pub(crate) items: Vec<ItemId>,
    /// Each row's index into the position embedding.
    pub(crate) positions: Vec<usize>,
    pub(crate) starts: Vec<usize>,
}

impl Packed {
    /// Appends `sequence` (at most `max_len` items) with positions aligned so that its last item
    /// has position `max_len − 1`.
    pub(crate) fn push(&mut self, sequence: &[ItemId], max_len: usize) {
        assert!(sequence.len() <= max_len, "a sequence of {} items exceeds max_len {max_len}", sequence.len());
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.items.extend_from_slice(sequence);
        self.positions.extend(max_len - sequence.len()..max_len);
        self.starts.push(self.items.len());
    }

    pub(crate) fn rows(&self) -> usize {
        self.items.len()
    }

    fn lengths(&self) -> impl Iterator<Item = usize> + '_ {
        self.starts.windows(2).map(|pair| pair[1] - pair[0])
    }
}

/// Inverted dropout: zeroes each value with probability `rate` and scales the survivors by
/// `1 / (1 − rate)`, from its own random stream.
#[derive(Debug, Clone)]
pub(crate) struct Dropout {
    pub(crate) rate: f32,
    pub(crate) rng: ChaCha8Rng,
}

/// The multipliers a dropout applied (0 or `1 / (1 − rate)`); `None` when it kept everything.
type Mask = Option<Vec<f32>>;

fn drop_out(values: &mut [f32], dropout: Option<&mut Dropout>) -> Mask {
    let dropout = dropout.filter(|dropout| dropout.rate > 0.0)?;
    let keep = 1.0 / (1.0 - dropout.rate);
    // Each 64-bit draw decides four values, 16 bits each: the rate is rounded to a multiple of 2^-16.
    let threshold = (dropout.rate * 65536.0).round() as u64;
    let mut mask = Vec::with_capacity(values.len() + 3);
    while mask.len() < values.len() {
        let bits = dropout.rng.next_u64();
        mask.extend((0..4).map(|quarter| if (bits >> (16 * quarter)) & 0xffff < threshold { 0.0 } else { keep }));
    }
    mask.truncate(values.len());
    apply_mask(values, &mask);
    Some(mask)
}

fn apply_mask(values: &mut [f32], mask: &[f32]) {
    values.iter_mut().zip(mask).for_each(|(value, keep)| *value *= keep);
}

/// `y = x · weight + bias` on every row, with `weight` stored `inputs × outputs`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Linear {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Linear {
    /// Xavier-uniform weights and zero bias.
    fn new(inputs: usize, outputs: usize, rng: &mut ChaCha8Rng) -> Self {
        let bound = (6.0 / (inputs + outputs) as f32).sqrt();
        Self { weight: uniform(inputs * outputs, bound, rng), bias: vec![0.0; outputs] }
    }

    fn inputs(&self) -> usize {
        self.weight.len() / self.bias.len()
    }

    pub(crate) fn forward(&self, x: &[f32]) -> Vec<f32> {
        let (inputs, outputs) = (self.inputs(), self.bias.len());
        let rows = x.len() / inputs;
        let mut y = vec![0.0; rows * outputs];
        kernels::matmul(
            Mat::new(x, rows, inputs),
            Mat::new(&self.weight, inputs, outputs),
            MatMut::new(&mut y, rows, outputs),
            false,
        );
        kernels::add_row_bias(&mut y, &self.bias);
        y
    }

    /// Adds the weight and bias gradients to `grad` and returns the gradient with respect to `x`.
    pub(crate) fn backward(&self, x: &[f32], dy: &[f32], grad: &mut Linear) -> Vec<f32> {
        let (inputs, outputs) = (self.inputs(), self.bias.len());
        let rows = x.len() / inputs;
        let dy_mat = Mat::new(dy, rows, outputs);
        kernels::matmul(Mat::new(x, rows, inputs).t(), dy_mat, MatMut::new(&mut grad.weight, inputs, outputs), true);
        kernels::add_column_sums(dy, &mut grad.bias);
        let mut dx = vec![0.0; rows * inputs];
        kernels::matmul(dy_mat, Mat::new(&self.weight, inputs, outputs).t(), MatMut::new(&mut dx, rows, inputs), false);
        dx
    }
}

/// Layer normalisation's learned gain and bias.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Norm {
    gain: Vec<f32>,
    bias: Vec<f32>,
}

impl Norm {
    fn new(d: usize) -> Self {
        Self { gain: vec![1.0; d], bias: vec![0.0; d] }
    }

    pub(crate) fn forward(&self, x: &[f32]) -> NormTrace {
        kernels::layer_norm(x, &self.gain, &self.bias)
    }

    /// Adds the gradients with respect to the input to `dx`, and to gain and bias to `grad`.
    pub(crate) fn backward(&self, d_output: &[f32], trace: &NormTrace, dx: &mut [f32], grad: &mut Norm) {
        kernels::layer_norm_backward(d_output, trace, &self.gain, dx, &mut grad.gain, &mut grad.bias);
    }
}

/// Causal multi-head self-attention over each packed sequence, from `qkv`, the rows' queries, keys and
/// values side by side (`rows × 3d`, head `h` in columns `h·d/heads..` of each). Returns the context
/// (`rows × d`) and the attention weights, per sequence one `len × len` matrix per head.
pub(crate) fn attention(qkv: &[f32], batch: &Packed, d: usize, heads: usize) -> (Vec<f32>, Vec<f32>) {
    let head_d = d / heads;
    let scale = 1.0 / (head_d as f32).sqrt();
    let mut context = vec![0.0; batch.rows() * d];
    let mut probs = vec![0.0; batch.lengths().map(|len| heads * len * len).sum()];
    let contexts = split_lengths(&mut context, batch.lengths().map(|len| len * d));
    let weights = split_lengths(&mut probs, batch.lengths().map(|len| heads * len * len));
    kernels::run_tasks(contexts.into_iter().zip(weights).enumerate().collect(), |(sequence, (context, weights))| {
        let rows = &qkv[batch.starts[sequence] * 3 * d..batch.starts[sequence + 1] * 3 * d];
        let len = rows.len() / (3 * d);
        for (head, weights) in weights.chunks_exact_mut(len * len).enumerate() {
            let [query, key, value] = head_views(rows, len, d, heads, head);
            kernels::matmul(query, key.t(), MatMut::new(weights, len, len), false);
            kernels::causal_softmax(weights, len, scale);
            let context = MatMut::strided(&mut context[head * head_d..], len, head_d, d);
            kernels::matmul(Mat::new(weights, len, len), value, context, false);
        }
    });
    (context, probs)
}

/// Backward pass of [`attention`]: the gradient with respect to `qkv` from the one with respect to the
/// context.
pub(crate) fn attention_backward(
    qkv: &[f32],
    probs: &[f32],
    d_context: &[f32],
    batch: &Packed,
    d: usize,
    heads: usize,
) -> Vec<f32> {
    let head_d = d / heads;
    let scale = 1.0 / (head_d as f32).sqrt();
    let mut d_qkv = vec![0.0; qkv.len()];
    let d_rows = split_lengths(&mut d_qkv, batch.lengths().map(|len| len * 3 * d));
    let mut weight_starts = vec![0];
    weight_starts.extend(batch.lengths().scan(0, |start, len| {
        *start += heads * len * len;
        Some(*start)
    }));
    kernels::run_tasks(d_rows.into_iter().enumerate().collect(), |(sequence, d_rows)| {
        let (first, end) = (batch.starts[sequence], batch.starts[sequence + 1]);
        let rows = &qkv[first * 3 * d..end * 3 * d];
        let d_context = &d_context[first * d..end * d];
        let len = end - first;
        let mut d_scores = vec![0.0; len * len];
        let weights = &probs[weight_starts[sequence]..weight_starts[sequence + 1]];
        for (head, weights) in weights.chunks_exact(len * len).enumerate() {
            let [query, key, value] = head_views(rows, len, d, heads, head);
            let weights_mat = Mat::new(weights, len, len);
            let d_context = Mat::strided(&d_context[head * head_d..], len, head_d, d);
            let [query_column, key_column, value_column] = [0, d, 2 * d].map(|offset| offset + head * head_d);
            let d_value = MatMut::strided(&mut d_rows[value_column..], len, head_d, 3 * d);
            kernels::matmul(weights_mat.t(), d_context, d_value, false);
            kernels::matmul(d_context, value.t(), MatMut::new(&mut d_scores, len, len), false);
            kernels::softmax_backward(weights, &mut d_scores, len);
            d_scores.iter_mut().for_each(|grad| *grad *= scale);
            let d_scores_mat = Mat::new(&d_scores, len, len);
            let d_query = MatMut::strided(&mut d_rows[query_column..], len, head_d, 3 * d);
            kernels::matmul(d_scores_mat, key, d_query, false);
            let d_key = MatMut::strided(&mut d_rows[key_column..], len, head_d, 3 * d);
            kernels::matmul(d_scores_mat.t(), query, d_key, false);
        }
    });
    d_qkv
}

/// Query, key and value views of one head of one sequence's `qkv` rows.
fn head_views(rows: &[f32], len: usize, d: usize, heads: usize, head: usize) -> [Mat<'_>; 3] {
    let head_d = d / heads;
    [0, d, 2 * d].map(|offset| Mat::strided(&rows[offset + head * head_d..], len, head_d, 3 * d))
}

/// Splits `data` into consecutive mutable pieces of the given lengths.
fn split_lengths(mut data: &mut [f32], lengths: impl Iterator<Item = usize>) -> Vec<&mut [f32]> {
    lengths
        .map(|len| {
            let (piece, rest) = std::mem::take(&mut data).split_at_mut(len);
            data = rest;
            piece
        })
        .collect()
}

/// One transformer block's weights.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Block {
    attention_norm: Norm,
    qkv: Linear,
    attention_output: Linear,
    ffn_norm: Norm,
    ffn_in: Linear,
    ffn_out: Linear,
}

/// What a block's backward pass needs from its forward pass.
#[derive(Debug, Clone)]
struct BlockTrace {
    attention_norm: NormTrace,
    qkv: Vec<f32>,
    probs: Vec<f32>,
    context: Vec<f32>,
    attention_dropout: Mask,
    ffn_norm: NormTrace,
    pre_activation: Vec<f32>,
    /// After dropout: the input of `ffn_out`.
    activation: Vec<f32>,
    hidden_dropout: Mask,
    output_dropout: Mask,
}

impl Block {
    fn new(d: usize, rng: &mut ChaCha8Rng) -> Self {
        Self {
            attention_norm: Norm::new(d),
            qkv: Linear::new(d, 3 * d, rng),
            attention_output: Linear::new(d, d, rng),
            ffn_norm: Norm::new(d),
            ffn_in: Linear::new(d, d, rng),
            ffn_out: Linear::new(d, d, rng),
        }
    }

    /// `x += attention(norm(x))`, then `x += ffn(norm(x))`.
    fn forward(&self, x: &mut [f32], batch: &Packed, shape: Shape, mut dropout: Option<&mut Dropout>) -> BlockTrace {
        let attention_norm = self.attention_norm.forward(x);
        let qkv = self.qkv.forward(&attention_norm.output);
        let (context, probs) = attention(&qkv, batch, shape.d, shape.heads);
        let mut attended = self.attention_output.forward(&context);
        let attention_dropout = drop_out(&mut attended, dropout.as_deref_mut());
        add(x, &attended);

        let ffn_norm = self.ffn_norm.forward(x);
        let pre_activation = self.ffn_in.forward(&ffn_norm.output);
        let mut activation = shape.activation.apply(&pre_activation);
        let hidden_dropout = drop_out(&mut activation, dropout.as_deref_mut());
        let mut output = self.ffn_out.forward(&activation);
        let output_dropout = drop_out(&mut output, dropout);
        add(x, &output);
        BlockTrace {
            attention_norm,
            qkv,
            probs,
            context,
            attention_dropout,
            ffn_norm,
            pre_activation,
            activation,
            hidden_dropout,
            output_dropout,
        }
    }

    /// Turns `dx`, the gradient with respect to the block's output, into the one with respect to its
    /// input, adding the weights' gradients to `grad`.
    fn backward(&self, dx: &mut [f32], trace: &BlockTrace, batch: &Packed, shape: Shape, grad: &mut Block) {
        let mut d_output = dx.to_vec();
        mask_gradient(&mut d_output, &trace.output_dropout);
        let mut d_activation = self.ffn_out.backward(&trace.activation, &d_output, &mut grad.ffn_out);
        mask_gradient(&mut d_activation, &trace.hidden_dropout);
        shape.activation.backward(&trace.pre_activation, &mut d_activation);
        let d_ffn_norm = self.ffn_in.backward(&trace.ffn_norm.output, &d_activation, &mut grad.ffn_in);
        self.ffn_norm.backward(&d_ffn_norm, &trace.ffn_norm, dx, &mut grad.ffn_norm);

        let mut d_attended = dx.to_vec();
        mask_gradient(&mut d_attended, &trace.attention_dropout);
        let d_context = self.attention_output.backward(&trace.context, &d_attended, &mut grad.attention_output);
        let d_qkv = attention_backward(&trace.qkv, &trace.probs, &d_context, batch, shape.d, shape.heads);
        let d_attention_norm = self.qkv.backward(&trace.attention_norm.output, &d_qkv, &mut grad.qkv);
        self.attention_norm.backward(&d_attention_norm, &trace.attention_norm, dx, &mut grad.attention_norm);
    }

    fn tensors_mut(&mut self) -> [&mut Vec<f32>; 12] {
        let Block { attention_norm, qkv, attention_output, ffn_norm, ffn_in, ffn_out } = self;
        [
            &mut attention_norm.gain,
            &mut attention_norm.bias,
            &mut qkv.weight,
            &mut qkv.bias,
            &mut attention_output.weight,
            &mut attention_output.bias,
            &mut ffn_norm.gain,
            &mut ffn_norm.bias,
            &mut ffn_in.weight,
            &mut ffn_in.bias,
            &mut ffn_out.weight,
            &mut ffn_out.bias,
        ]
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    x.iter_mut().zip(y).for_each(|(x, y)| *x += y);
}

fn mask_gradient(grad: &mut [f32], mask: &Mask) {
    if let Some(mask) = mask {
        apply_mask(grad, mask);
    }
}

/// The sizes and choices every layer shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shape {
    pub(crate) d: usize,
    pub(crate) heads: usize,
    pub(crate) activation: Activation,
}

/// All of SASRec's weights. A gradient is a `Network` too, of the same shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Network {
    shape: Shape,
    /// `n_items × d`; also the output layer: an item's score is its embedding's dot product with the
    /// final hidden state.
    pub(crate) item_embedding: Vec<f32>,
    /// `max_len × d`.
    position_embedding: Vec<f32>,
    blocks: Vec<Block>,
    final_norm: Norm,
}

/// What [`Network::backward`] needs from [`Network::forward`].
#[derive(Debug, Clone)]
pub(crate) struct Trace {
    embedding_dropout: Mask,
    blocks: Vec<BlockTrace>,
    final_norm: NormTrace,
}

impl Trace {
    /// The final hidden state of every row (`rows × d`).
    pub(crate) fn hidden(&self) -> &[f32] {
        &self.final_norm.output
    }
}

impl Network {
    /// Embeddings uniform with standard deviation `embedding_std`, Xavier-uniform linear weights, unit
    /// layer-norm gains and zero biases.
    pub(crate) fn new(
        shape: Shape,
        n_items: usize,
        max_len: usize,
        blocks: usize,
        embedding_std: f32,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        assert!(
            shape.heads > 0 && shape.d.is_multiple_of(shape.heads),
            "d {} must split into {} heads",
            shape.d,
            shape.heads
        );
        let bound = embedding_std * 3f32.sqrt();
        Self {
            shape,
            item_embedding: uniform(n_items * shape.d, bound, rng),
            position_embedding: uniform(max_len * shape.d, bound, rng),
            blocks: (0..blocks).map(|_| Block::new(shape.d, rng)).collect(),
            final_norm: Norm::new(shape.d),
        }
    }

    pub(crate) fn d(&self) -> usize {
        self.shape.d
    }

    pub(crate) fn max_len(&self) -> usize {
        self.position_embedding.len() / self.shape.d
    }

    /// A network of the same shape with every weight zero: a gradient accumulator.
    pub(crate) fn zeros_like(&self) -> Self {
        let mut zeros = self.clone();
        zeros.tensors_mut().into_iter().for_each(|tensor| tensor.fill(0.0));
        zeros
    }

    /// Every weight tensor, in a fixed order.
    pub(crate) fn tensors_mut(&mut self) -> Vec<&mut Vec<f32>> {
        let mut tensors = vec![&mut self.item_embedding, &mut self.position_embedding];
        tensors.extend(self.blocks.iter_mut().flat_map(Block::tensors_mut));
        tensors.extend([&mut self.final_norm.gain, &mut self.final_norm.bias]);
        tensors
    }

    /// Runs every row of `batch` through the network; dropout applies when given.
    pub(crate) fn forward(&self, batch: &Packed, mut dropout: Option<&mut Dropout>) -> Trace {
        let d = self.shape.d;
        let mut x = vec![0.0; batch.rows() * d];
        for ((row, &item), &position) in x.chunks_exact_mut(d).zip(&batch.items).zip(&batch.positions) {
            let item = &self.item_embedding[item as usize * d..][..d];
            let position = &self.position_embedding[position * d..][..d];
            row.iter_mut().zip(item.iter().zip(position)).for_each(|(x, (item, position))| *x = item + position);
        }
        let embedding_dropout = drop_out(&mut x, dropout.as_deref_mut());
        let blocks =
            self.blocks.iter().map(|block| block.forward(&mut x, batch, self.shape, dropout.as_deref_mut())).collect();
        Trace { embedding_dropout, blocks, final_norm: self.final_norm.forward(&x) }
    }

    /// Adds to `grad` the gradient of the loss whose gradient with respect to [`Trace::hidden`] is
    /// `d_hidden`.
    pub(crate) fn backward(&self, batch: &Packed, trace: &Trace, d_hidden: &[f32], grad: &mut Network) {
        let d = self.shape.d;
        let mut dx = vec![0.0; d_hidden.len()];
        self.final_norm.backward(d_hidden, &trace.final_norm, &mut dx, &mut grad.final_norm);
        for ((block, block_trace), block_grad) in self.blocks.iter().zip(&trace.blocks).zip(&mut grad.blocks).rev() {
            block.backward(&mut dx, block_trace, batch, self.shape, block_grad);
        }
        mask_gradient(&mut dx, &trace.embedding_dropout);
        for ((row, &item), &position) in dx.chunks_exact(d).zip(&batch.items).zip(&batch.positions) {
            add(&mut grad.item_embedding[item as usize * d..][..d], row);
            add(&mut grad.position_embedding[position * d..][..d], row);
        }
    }
}

fn uniform(len: usize, bound: f32, rng: &mut ChaCha8Rng) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-bound..bound)).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use rand::SeedableRng;

    use super::*;

    /// Central finite differences of `loss` at `values`, in f64 around f32 weights. The step is small
    /// enough for curvature to stay below the tolerance and large enough for f32 rounding to.
    pub(crate) fn numeric_gradient(values: &[f32], loss: impl Fn(&[f32]) -> f64) -> Vec<f64> {
        let epsilon = 1e-3;
        let mut perturbed = values.to_vec();
        (0..values.len())
            .map(|i| {
                perturbed[i] = values[i] + epsilon;
                let up = loss(&perturbed);
                perturbed[i] = values[i] - epsilon;
                let down = loss(&perturbed);
                perturbed[i] = values[i];
                (up - down) / (2.0 * epsilon as f64)
            })
            .collect()
    }

    pub(crate) fn assert_close(what: &str, analytic: &[f32], numeric: &[f64]) {
        assert_eq!(analytic.len(), numeric.len(), "{what}");
        let scale = numeric.iter().fold(1e-3f64, |max, value| max.max(value.abs()));
        for (i, (&analytic, &numeric)) in analytic.iter().zip(numeric).enumerate() {
            let error = (analytic as f64 - numeric).abs() / scale;
            assert!(error < 1e-2, "{what}[{i}]: analytic {analytic} vs numeric {numeric}");
        }
    }

    pub(crate) fn random(len: usize, seed: u64) -> Vec<f32> {
        uniform(len, 1.0, &mut ChaCha8Rng::seed_from_u64(seed))
    }

    /// `Σ weights ⊙ values` in f64: a loss whose gradient with respect to `values` is `weights`.
    pub(crate) fn projection(values: &[f32], weights: &[f32]) -> f64 {
        values.iter().zip(weights).map(|(&value, &weight)| value as f64 * weight as f64).sum()
    }

    /// Two sequences of lengths 3 and 2 (max_len 4).
    fn two_sequences() -> Packed {
        let mut batch = Packed::default();
        batch.push(&[0, 1, 2], 4);
        batch.push(&[3, 1], 4);
        batch
    }

    #[test]
    fn packing_right_aligns_positions() {
        let batch = two_sequences();
        assert_eq!(batch, Packed { items: vec![0, 1, 2, 3, 1], positions: vec![1, 2, 3, 2, 3], starts: vec![0, 3, 5] });
    }

    #[test]
    fn layer_norm_backward_matches_finite_differences() {
        let (d, rows) = (5, 3);
        let (x, gain, bias, weights) = (random(rows * d, 1), random(d, 2), random(d, 3), random(rows * d, 4));
        let norm = Norm { gain: gain.clone(), bias: bias.clone() };
        let mut grad = Norm::new(d);
        grad.gain.fill(0.0);
        let mut dx = vec![0.0; rows * d];
        norm.backward(&weights, &norm.forward(&x), &mut dx, &mut grad);
        let loss =
            |x: &[f32], gain: &[f32], bias: &[f32]| projection(&kernels::layer_norm(x, gain, bias).output, &weights);
        assert_close("dx", &dx, &numeric_gradient(&x, |x| loss(x, &gain, &bias)));
        assert_close("d gain", &grad.gain, &numeric_gradient(&gain, |gain| loss(&x, gain, &bias)));
        assert_close("d bias", &grad.bias, &numeric_gradient(&bias, |bias| loss(&x, &gain, bias)));
    }

    #[test]
    fn causal_attention_backward_matches_finite_differences() {
        let (d, heads, batch) = (4, 2, two_sequences());
        let qkv = random(batch.rows() * 3 * d, 5);
        let weights = random(batch.rows() * d, 6);
        let (_, probs) = attention(&qkv, &batch, d, heads);
        let d_qkv = attention_backward(&qkv, &probs, &weights, &batch, d, heads);
        let numeric = numeric_gradient(&qkv, |qkv| projection(&attention(qkv, &batch, d, heads).0, &weights));
        assert_close("d qkv", &d_qkv, &numeric);
        // The first position of each sequence attends only to itself: its context is its own value, and
        // its query and key get no gradient.
        let (context, _) = attention(&qkv, &batch, d, heads);
        for first in [0, 3] {
            assert_eq!(context[first * d..][..d], qkv[first * 3 * d + 2 * d..][..d]);
            assert!(d_qkv[first * 3 * d..][..d].iter().all(|&grad| grad == 0.0));
        }
    }

    #[test]
    fn feed_forward_backward_matches_finite_differences() {
        let (d, rows) = (3, 4);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (ffn_in, ffn_out) = (Linear::new(d, d, &mut rng), Linear::new(d, d, &mut rng));
        let (x, weights) = (random(rows * d, 8), random(rows * d, 9));
        for activation in [Activation::Relu, Activation::Gelu] {
            let feed_forward = |x: &[f32], ffn_in: &Linear| ffn_out.forward(&activation.apply(&ffn_in.forward(x)));
            let pre_activation = ffn_in.forward(&x);
            let hidden = activation.apply(&pre_activation);
            let (mut grad_in, mut grad_out) = (ffn_in.clone(), ffn_out.clone());
            for grad in [&mut grad_in, &mut grad_out] {
                grad.weight.fill(0.0);
                grad.bias.fill(0.0);
            }
            let mut d_hidden = ffn_out.backward(&hidden, &weights, &mut grad_out);
            activation.backward(&pre_activation, &mut d_hidden);
            let dx = ffn_in.backward(&x, &d_hidden, &mut grad_in);
            assert_close("dx", &dx, &numeric_gradient(&x, |x| projection(&feed_forward(x, &ffn_in), &weights)));
            let d_weight = numeric_gradient(&ffn_in.weight, |weight| {
                projection(&feed_forward(&x, &Linear { weight: weight.to_vec(), bias: ffn_in.bias.clone() }), &weights)
            });
            assert_close("d weight in", &grad_in.weight, &d_weight);
            let d_bias = numeric_gradient(&ffn_in.bias, |bias| {
                projection(&feed_forward(&x, &Linear { weight: ffn_in.weight.clone(), bias: bias.to_vec() }), &weights)
            });
            assert_close("d bias in", &grad_in.bias, &d_bias);
            let d_weight_out = numeric_gradient(&ffn_out.weight, |weight| {
                let ffn_out = Linear { weight: weight.to_vec(), bias: ffn_out.bias.clone() };
                projection(&ffn_out.forward(&hidden), &weights)
            });
            assert_close("d weight out", &grad_out.weight, &d_weight_out);
        }
    }

    #[test]
    fn an_output_does_not_depend_on_later_items() {
        let shape = Shape { d: 8, heads: 2, activation: Activation::Gelu };
        let network = Network::new(shape, 10, 6, 2, 0.5, &mut ChaCha8Rng::seed_from_u64(10));
        let hidden = |sequence: &[ItemId]| {
            let mut batch = Packed::default();
            batch.push(sequence, 6);
            network.forward(&batch, None).hidden().to_vec()
        };
        // Same items at the same positions up to the third; different ones after it.
        let (first, second) = (hidden(&[1, 2, 3, 4, 5]), hidden(&[1, 2, 3, 9, 0]));
        assert_eq!(first[..3 * 8], second[..3 * 8]);
        assert_ne!(first[3 * 8..], second[3 * 8..]);
    }
}
