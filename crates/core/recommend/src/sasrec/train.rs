//! Training SASRec: every position of a shopper's sequence learns to predict the item that follows it,
//! with a softmax cross-entropy over the true next item and a set of sampled negatives shared by the
//! batch, and Adam (with decoupled weight decay) on every weight.
//!
//! A full softmax over the whole catalogue at every position would dominate an epoch on a CPU. Negatives
//! shared by the batch turn the output layer into one matrix product of the batch's hidden states with
//! the negatives' embeddings; on Amazon Beauty (12k items), a third of the catalogue per batch gave the
//! best validation NDCG per minute of training (more per epoch than 512 or 1024, for little more time,
//! as the transformer's own cost is fixed). The negatives are uniform, so no log-Q correction is
//! needed; a negative that happens to be a row's own target is left out of that row. Asking for at
//! least as many negatives as there are items gives the full softmax.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::kernels::{self, Mat, MatMut};
use super::layers::{Dropout, Network, Packed, Shape};
use super::{SasRec, SasRecConfig};
use crate::{ItemId, Recommender, popularity};

/// Standard deviation of the initial item and position embeddings.
const EMBEDDING_STD: f32 = 0.1;
/// Adam's decay rates of the gradient's first and second moments, as in SASRec.
const ADAM_BETAS: (f32, f32) = (0.9, 0.98);
const ADAM_EPSILON: f32 = 1e-8;
/// Weights per task of the optimiser's element-wise update.
const UPDATE_CHUNK: usize = 1 << 14;

/// A SASRec fit in progress, one epoch at a time, so a caller can look at the model between epochs
/// (for example to measure it on validation items). [`SasRec::fit`] runs all the configured epochs.
#[derive(Debug, Clone)]
pub struct SasRecTraining<'a> {
    model: SasRec,
    /// Per trainable sequence, its last `max_len + 1` items: inputs all but the last, targets all but the
    /// first.
    windows: Vec<&'a [ItemId]>,
    /// The order of `windows` in the current epoch.
    order: Vec<usize>,
    /// Shuffles and negatives.
    rng: ChaCha8Rng,
    dropout: Dropout,
    grad: Network,
    optimiser: Adam,
}

impl<'a> SasRecTraining<'a> {
    /// A freshly initialised model for a catalogue of `n_items` items and the sequences of `train`
    /// (sequences of fewer than two items have nothing to learn from and are skipped).
    ///
    /// # Panics
    /// When `config.heads` does not divide `config.d`, or `config.dropout` is not in `[0, 1)`.
    pub fn new(config: SasRecConfig, train: &[&'a [ItemId]], n_items: usize) -> Self {
        assert!((0.0..1.0).contains(&config.dropout), "dropout {} must be in [0, 1)", config.dropout);
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let shape = Shape { d: config.d, heads: config.heads, activation: config.activation };
        let network = Network::new(shape, n_items, config.max_len, config.blocks, EMBEDDING_STD, &mut rng);
        let mut dropout_rng = rng.clone();
        dropout_rng.set_stream(1);
        let windows: Vec<&[ItemId]> = train
            .iter()
            .filter(|sequence| sequence.len() >= 2)
            .map(|sequence| &sequence[sequence.len().saturating_sub(config.max_len + 1)..])
            .collect();
        Self {
            order: (0..windows.len()).collect(),
            windows,
            rng,
            dropout: Dropout { rate: config.dropout, rng: dropout_rng },
            grad: network.zeros_like(),
            optimiser: Adam::new(&network),
            model: SasRec { config, network, fallback: popularity::fallback_scores(train, n_items) },
        }
    }

    /// One pass over every training sequence in a fresh random order, one optimiser step per batch.
    /// Returns the mean loss per predicted position (0 when there is nothing to train on).
    pub fn run_epoch(&mut self) -> f32 {
        // On a pool thread, so that the kernels' parallel parts fork from a worker rather than each
        // being handed over from (and back to) the calling thread.
        rayon::scope(|_| self.run_epoch_in_pool())
    }

    fn run_epoch_in_pool(&mut self) -> f32 {
        let config = self.model.config;
        self.order.shuffle(&mut self.rng);
        let (mut loss_sum, mut positions) = (0.0f64, 0usize);
        for batch in self.order.chunks(config.batch_size.max(1)) {
            let mut inputs = Packed::default();
            let mut targets = Vec::new();
            for &window in batch {
                let window = self.windows[window];
                inputs.push(&window[..window.len() - 1], config.max_len);
                targets.extend_from_slice(&window[1..]);
            }
            let candidates = sample_candidates(self.model.n_items(), config.negatives, &mut self.rng);
            let network = &mut self.model.network;
            let trace = network.forward(&inputs, Some(&mut self.dropout));
            let (loss, d_hidden) = sampled_softmax(
                trace.hidden(),
                &targets,
                &candidates,
                &network.item_embedding,
                &mut self.grad.item_embedding,
            );
            network.backward(&inputs, &trace, &d_hidden, &mut self.grad);
            self.optimiser.step(network, &mut self.grad, config.learning_rate, config.weight_decay);
            loss_sum += loss;
            positions += targets.len();
        }
        if positions == 0 { 0.0 } else { (loss_sum / positions as f64) as f32 }
    }

    /// The model as trained so far.
    pub fn model(&self) -> &SasRec {
        &self.model
    }

    pub fn into_model(self) -> SasRec {
        self.model
    }
}

/// `negatives` distinct items drawn uniformly, in increasing order; every item when `negatives` is at
/// least the catalogue size.
fn sample_candidates(n_items: usize, negatives: usize, rng: &mut ChaCha8Rng) -> Vec<ItemId> {
    if negatives >= n_items {
        return (0..n_items as ItemId).collect();
    }
    let mut candidates: Vec<ItemId> =
        rand::seq::index::sample(rng, n_items, negatives).into_iter().map(|item| item as ItemId).collect();
    candidates.sort_unstable();
    candidates
}

/// Softmax cross-entropy of each row of `hidden` (`rows × d`) ranking its target against the shared
/// `candidates` (increasing), with scores the dot products with `item_embedding`. Returns the loss
/// summed over rows and the gradient of the mean loss with respect to `hidden`, and adds the mean loss's
/// gradient with respect to the item embeddings to `d_item_embedding`.
pub(crate) fn sampled_softmax(
    hidden: &[f32],
    targets: &[ItemId],
    candidates: &[ItemId],
    item_embedding: &[f32],
    d_item_embedding: &mut [f32],
) -> (f64, Vec<f32>) {
    let (rows, k) = (targets.len(), candidates.len());
    let d = hidden.len() / rows.max(1);
    let embedding = |item: ItemId| &item_embedding[item as usize * d..][..d];
    let mut candidate_embedding = Vec::with_capacity(k * d);
    for &item in candidates {
        candidate_embedding.extend_from_slice(embedding(item));
    }
    let (hidden_mat, candidate_mat) = (Mat::new(hidden, rows, d), Mat::new(&candidate_embedding, k, d));

    let mut negatives = vec![0.0; rows * k];
    kernels::matmul(hidden_mat, candidate_mat.t(), MatMut::new(&mut negatives, rows, k), false);
    let mut positives: Vec<f32> =
        hidden.chunks_exact(d).zip(targets).map(|(row, &target)| kernels::dot(row, embedding(target))).collect();
    for (row, &target) in negatives.chunks_exact_mut(k).zip(targets) {
        if let Ok(slot) = candidates.binary_search(&target) {
            row[slot] = f32::NEG_INFINITY;
        }
    }
    let losses = kernels::cross_entropy(&mut positives, &mut negatives, k, 1.0 / rows as f32);
    // From here on `positives` and `negatives` hold the loss's gradients with respect to them.

    let mut d_hidden = vec![0.0; rows * d];
    kernels::matmul(Mat::new(&negatives, rows, k), candidate_mat, MatMut::new(&mut d_hidden, rows, d), false);
    let mut d_candidates = vec![0.0; k * d];
    kernels::matmul(Mat::new(&negatives, rows, k).t(), hidden_mat, MatMut::new(&mut d_candidates, k, d), false);
    for (&item, grad) in candidates.iter().zip(d_candidates.chunks_exact(d)) {
        axpy(1.0, grad, &mut d_item_embedding[item as usize * d..][..d]);
    }
    for (((&target, &d_positive), row), d_row) in
        targets.iter().zip(&positives).zip(hidden.chunks_exact(d)).zip(d_hidden.chunks_exact_mut(d))
    {
        axpy(d_positive, embedding(target), d_row);
        axpy(d_positive, row, &mut d_item_embedding[target as usize * d..][..d]);
    }
    (losses.iter().map(|&loss| loss as f64).sum(), d_hidden)
}

/// `y += alpha · x`.
fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x);
}

/// Adam with decoupled weight decay (AdamW), over every weight of the network.
#[derive(Debug, Clone)]
struct Adam {
    first_moment: Network,
    second_moment: Network,
    steps: i32,
}

impl Adam {
    fn new(network: &Network) -> Self {
        Self { first_moment: network.zeros_like(), second_moment: network.zeros_like(), steps: 0 }
    }

    /// Updates `network` from `grad` and zeroes `grad` for the next batch.
    fn step(&mut self, network: &mut Network, grad: &mut Network, learning_rate: f32, weight_decay: f32) {
        self.steps += 1;
        let (beta1, beta2) = ADAM_BETAS;
        let first_correction = 1.0 - beta1.powi(self.steps);
        let second_correction = 1.0 - beta2.powi(self.steps);
        let tensors = network
            .tensors_mut()
            .into_iter()
            .zip(grad.tensors_mut())
            .zip(self.first_moment.tensors_mut())
            .zip(self.second_moment.tensors_mut());
        let chunks = tensors.flat_map(|(((weights, grads), firsts), seconds)| {
            weights
                .chunks_mut(UPDATE_CHUNK)
                .zip(grads.chunks_mut(UPDATE_CHUNK))
                .zip(firsts.chunks_mut(UPDATE_CHUNK))
                .zip(seconds.chunks_mut(UPDATE_CHUNK))
        });
        kernels::run_tasks(chunks.collect(), |(((weights, grads), firsts), seconds)| {
            for (((weight, grad), first), second) in
                weights.iter_mut().zip(grads.iter_mut()).zip(firsts.iter_mut()).zip(seconds.iter_mut())
            {
                *first = beta1 * *first + (1.0 - beta1) * *grad;
                *second = beta2 * *second + (1.0 - beta2) * *grad * *grad;
                let update = (*first / first_correction) / ((*second / second_correction).sqrt() + ADAM_EPSILON);
                *weight -= learning_rate * (update + weight_decay * *weight);
                *grad = 0.0;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::kernels::Activation;
    use super::super::layers::tests::{assert_close, numeric_gradient, random};
    use super::*;

    #[test]
    fn candidates_are_distinct_sorted_and_all_items_when_asked_for_as_many() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let candidates = sample_candidates(100, 10, &mut rng);
        assert_eq!(candidates.len(), 10);
        assert!(candidates.windows(2).all(|pair| pair[0] < pair[1]) && candidates[9] < 100);
        assert_eq!(sample_candidates(4, 4, &mut rng), [0, 1, 2, 3]);
        assert_eq!(sample_candidates(4, 9, &mut rng), [0, 1, 2, 3]);
    }

    #[test]
    fn sampled_softmax_matches_the_loss_by_hand_and_leaves_out_a_negative_that_is_the_target() {
        // d = 1: item i's embedding is i, hidden states 1 and 2. Row 0 targets item 1 among candidates
        // {1, 2}: its own target is left out, so logits [1 (positive), 2]. Row 1 targets item 0: logits
        // [0, 2, 4].
        let embedding = [0.0, 1.0, 2.0];
        let mut d_embedding = [0.0; 3];
        let (loss, d_hidden) = sampled_softmax(&[1.0, 2.0], &[1, 0], &[1, 2], &embedding, &mut d_embedding);
        let row_0 = (1f64.exp() + 2f64.exp()).ln() - 1.0;
        let row_1 = (1.0 + 2f64.exp() + 4f64.exp()).ln();
        assert!((loss - (row_0 + row_1)).abs() < 1e-5, "{loss}");
        // d row 0 / d hidden = Σ softmax · embedding − target embedding, halved for the mean.
        let softmax_0 = 2f64.exp() / (1f64.exp() + 2f64.exp());
        let expected = ((1.0 - softmax_0) * 1.0 + softmax_0 * 2.0 - 1.0) / 2.0;
        assert!((d_hidden[0] as f64 - expected).abs() < 1e-5, "{} != {expected}", d_hidden[0]);
    }

    #[test]
    fn sampled_softmax_backward_matches_finite_differences() {
        let (d, n_items, rows) = (3, 6, 4);
        let (hidden, embedding) = (random(rows * d, 11), random(n_items * d, 12));
        let (targets, candidates) = ([0, 2, 5, 2], [1, 2, 4]);
        let mut d_embedding = vec![0.0; n_items * d];
        let (_, d_hidden) = sampled_softmax(&hidden, &targets, &candidates, &embedding, &mut d_embedding);
        let loss = |hidden: &[f32], embedding: &[f32]| {
            sampled_softmax(hidden, &targets, &candidates, embedding, &mut vec![0.0; n_items * d]).0 / rows as f64
        };
        assert_close("d hidden", &d_hidden, &numeric_gradient(&hidden, |hidden| loss(hidden, &embedding)));
        assert_close("d embedding", &d_embedding, &numeric_gradient(&embedding, |embedding| loss(&hidden, embedding)));
    }

    /// The whole network, embeddings to loss through two blocks with dropout, against finite differences
    /// of every weight.
    #[test]
    fn network_backward_matches_finite_differences() {
        let shape = Shape { d: 4, heads: 2, activation: Activation::Gelu };
        let (n_items, max_len) = (7, 4);
        let network = Network::new(shape, n_items, max_len, 2, 0.5, &mut ChaCha8Rng::seed_from_u64(13));
        let mut batch = Packed::default();
        batch.push(&[0, 1, 2, 3], max_len);
        batch.push(&[4, 5], max_len);
        let (targets, candidates) = ([1, 2, 3, 6, 5, 6], [0, 2, 3, 5]);
        // The same dropout masks on every pass.
        let dropout = Dropout { rate: 0.2, rng: ChaCha8Rng::seed_from_u64(14) };
        let loss = |network: &Network, grad: &mut Network| {
            let trace = network.forward(&batch, Some(&mut dropout.clone()));
            let (loss, d_hidden) = sampled_softmax(
                trace.hidden(),
                &targets,
                &candidates,
                &network.item_embedding,
                &mut grad.item_embedding,
            );
            network.backward(&batch, &trace, &d_hidden, grad);
            loss / targets.len() as f64
        };
        let mut grad = network.zeros_like();
        loss(&network, &mut grad);
        let mut weights = network.clone();
        for (tensor, (analytic, values)) in grad.tensors_mut().into_iter().zip(weights.tensors_mut()).enumerate() {
            let numeric = numeric_gradient(values, |values| {
                let mut perturbed = network.clone();
                perturbed.tensors_mut()[tensor].copy_from_slice(values);
                loss(&perturbed, &mut network.zeros_like())
            });
            assert_close(&format!("tensor {tensor}"), analytic, &numeric);
        }
    }
}
