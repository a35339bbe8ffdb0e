//! SASRec (Kang & McAuley 2018, "Self-Attentive Sequential Recommendation"): a causal transformer over
//! a shopper's latest items whose final hidden state, dotted with each item's embedding, scores what
//! they are likely to want next. Trained here on the CPU with hand-written forward and backward passes.
//!
//! - `kernels`: the dense maths (matrix products, softmax, layer norm), the one module a GPU backend
//!   would replace.
//! - `layers`: the network, its forward pass and its backward pass.
//! - `train`: batches, the sampled-softmax loss and the optimiser ([`SasRecTraining`]).
//!
//! Deterministic: the same data, configuration and seed give bit-identical weights whatever the number
//! of threads.

mod kernels;
mod layers;
mod train;

use serde::{Deserialize, Serialize};

pub use kernels::Activation;
pub use train::SasRecTraining;

use crate::{ItemId, Recommender};
use layers::{Network, Packed};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SasRecConfig {
    /// Width of the embeddings and hidden states.
    pub d: usize,
    /// Transformer blocks (self-attention then feed-forward).
    pub blocks: usize,
    /// Attention heads; must divide `d`.
    pub heads: usize,
    /// Most recent items a shopper is represented by, in training and in scoring.
    pub max_len: usize,
    pub activation: Activation,
    /// Share of values zeroed during training, after the embeddings, the attention and both layers of
    /// the feed-forward network.
    pub dropout: f32,
    pub learning_rate: f32,
    /// Decoupled (AdamW) weight decay per step, relative to the learning rate.
    pub weight_decay: f32,
    /// Sequences per optimiser step.
    pub batch_size: usize,
    pub epochs: usize,
    /// Items sampled uniformly per batch as the negatives of every position's softmax; at least the
    /// catalogue size gives the full softmax.
    pub negatives: usize,
    pub seed: u64,
}

impl Default for SasRecConfig {
    /// Tuned on the validation items of Amazon Beauty (see `examples/sasrec.rs`) for a few minutes of
    /// training on two CPU cores.
    fn default() -> Self {
        Self {
            d: 64,
            blocks: 2,
            heads: 1,
            max_len: 50,
            activation: Activation::Relu,
            dropout: 0.3,
            learning_rate: 4e-3,
            weight_decay: 0.0,
            batch_size: 128,
            epochs: 20,
            negatives: 4096,
            seed: 0,
        }
    }
}

/// A fitted SASRec model. A shopper with no history in the catalogue gets the best sellers, with
/// scores in `[-1, 0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SasRec {
    config: SasRecConfig,
    network: Network,
    /// Per item, its training popularity scaled into `[-1, 0)`.
    fallback: Vec<f32>,
}

impl SasRec {
    /// An unfitted model (an empty catalogue) that [`Recommender::fit`] trains with `config`.
    pub fn new(config: SasRecConfig) -> Self {
        SasRecTraining::new(config, &[], 0).into_model()
    }

    pub fn config(&self) -> &SasRecConfig {
        &self.config
    }

    /// [`Recommender::fit`], calling `progress(epoch, epochs, mean loss)` after each epoch (from 1).
    pub fn fit_with_progress(
        &mut self,
        train: &[&[ItemId]],
        n_items: usize,
        progress: &mut dyn FnMut(usize, usize, f32),
    ) {
        let mut training = SasRecTraining::new(self.config, train, n_items);
        for epoch in 1..=self.config.epochs {
            let loss = training.run_epoch();
            progress(epoch, self.config.epochs, loss);
        }
        *self = training.into_model();
    }

    /// The shopper's state after `history` (time order): the final hidden state at their latest item,
    /// from their last `max_len` items in the catalogue. `None` when no item of `history` is in the
    /// catalogue. Callers may cache it and score with [`SasRec::score_embedding`].
    pub fn embed(&self, history: &[ItemId]) -> Option<Vec<f32>> {
        let n_items = self.n_items();
        let known: Vec<ItemId> = history.iter().copied().filter(|&item| (item as usize) < n_items).collect();
        let max_len = self.network.max_len();
        let recent = &known[known.len().saturating_sub(max_len)..];
        if recent.is_empty() {
            return None;
        }
        let mut batch = Packed::default();
        batch.push(recent, max_len);
        let trace = self.network.forward(&batch, None);
        let d = self.network.d();
        Some(trace.hidden()[(recent.len() - 1) * d..].to_vec())
    }

    /// Writes every item's score for a shopper in state `embedding` (from [`SasRec::embed`]) into
    /// `scores`: its embedding's dot product with the state.
    pub fn score_embedding(&self, embedding: &[f32], scores: &mut [f32]) {
        kernels::matvec(&self.network.item_embedding, embedding, scores);
    }
}

impl Recommender for SasRec {
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize) {
        self.fit_with_progress(train, n_items, &mut |_, _, _| {});
    }

    fn n_items(&self) -> usize {
        self.fallback.len()
    }

    fn score_into(&self, history: &[ItemId], scores: &mut [f32]) {
        match self.embed(history) {
            Some(embedding) => self.score_embedding(&embedding, scores),
            None => scores.copy_from_slice(&self.fallback),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every user walks the catalogue one item at a time from their own start: the next item is always
    /// the current one plus one, modulo the catalogue size.
    fn walks(n_items: usize, users: usize, len: usize) -> Vec<Vec<ItemId>> {
        (0..users).map(|user| (0..len).map(|step| ((user + step) % n_items) as ItemId).collect()).collect()
    }

    fn fitted(config: SasRecConfig, train: &[Vec<ItemId>], n_items: usize) -> SasRec {
        let train: Vec<&[ItemId]> = train.iter().map(Vec::as_slice).collect();
        let mut model = SasRec::new(config);
        model.fit(&train, n_items);
        model
    }

    fn small() -> SasRecConfig {
        SasRecConfig {
            d: 16,
            blocks: 1,
            heads: 2,
            max_len: 8,
            dropout: 0.0,
            learning_rate: 0.01,
            batch_size: 16,
            epochs: 20,
            negatives: 100,
            ..SasRecConfig::default()
        }
    }

    #[test]
    fn learns_that_the_next_item_follows_the_current_one() {
        let n_items = 10;
        let model = fitted(small(), &walks(n_items, 40, 8), n_items);
        let hits = (0..n_items)
            .filter(|&start| {
                let history: Vec<ItemId> = (start..start + 4).map(|item| (item % n_items) as ItemId).collect();
                let best = model.recommend(&history, 1, &[])[0].item;
                best == ((start + 4) % n_items) as ItemId
            })
            .count();
        assert_eq!(hits, n_items);
    }

    #[test]
    fn sampled_negatives_learn_it_too() {
        let n_items = 30;
        let model = fitted(SasRecConfig { negatives: 5, epochs: 30, ..small() }, &walks(n_items, 60, 8), n_items);
        let hits = (0..n_items)
            .filter(|&start| {
                let history = [start as ItemId, ((start + 1) % n_items) as ItemId];
                model.recommend(&history, 1, &[])[0].item == ((start + 2) % n_items) as ItemId
            })
            .count();
        assert!(hits >= n_items - 1, "{hits} of {n_items}");
    }

    #[test]
    fn the_same_seed_gives_the_same_model_whatever_the_threads() {
        let train = walks(50, 200, 10);
        let config = SasRecConfig { d: 32, batch_size: 64, epochs: 1, dropout: 0.3, negatives: 20, ..small() };
        let in_pool = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| fitted(config, &train, 50))
        };
        let one_thread = in_pool(1);
        assert_eq!(one_thread, in_pool(3));
        assert_ne!(one_thread, fitted(SasRecConfig { seed: 1, ..config }, &train, 50));
    }

    #[test]
    fn scores_use_the_last_max_len_known_items_and_fall_back_to_popularity() {
        // Item 2 is the most popular, then 1, then 0; item 3 never occurs.
        let train = vec![vec![0, 1, 2], vec![2, 1], vec![1, 2, 2]];
        let model = fitted(SasRecConfig { max_len: 2, epochs: 2, ..small() }, &train, 4);
        let scores = |history: &[ItemId]| {
            let mut scores = vec![0.0; 4];
            model.score_into(history, &mut scores);
            scores
        };
        assert_eq!(scores(&[0, 1, 2]), scores(&[1, 2]));
        assert_eq!(scores(&[1, 99, 2]), scores(&[1, 2]));
        assert_ne!(scores(&[0, 2]), scores(&[1, 2]));
        let embedding = model.embed(&[1, 2]).unwrap();
        assert_eq!(embedding.len(), 16);
        let mut cached = vec![0.0; 4];
        model.score_embedding(&embedding, &mut cached);
        assert_eq!(cached, scores(&[1, 2]));
        // Counts 0: 1, 1: 3, 2: 4, 3: 0, scaled by 1 / (4 + 1), minus 1.
        assert_eq!(model.embed(&[99]), None);
        for history in [&[][..], &[99]] {
            assert_eq!(scores(history), [1.0 / 5.0 - 1.0, 3.0 / 5.0 - 1.0, 4.0 / 5.0 - 1.0, -1.0]);
        }
    }
}
