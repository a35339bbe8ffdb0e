//! Item-kNN: "customers who bought this also bought". Two items are similar when the same shoppers
//! interact with both (close together in their sequences, if a window is set); a shopper's candidates
//! are the neighbours of what they interacted with lately.

use serde::{Deserialize, Serialize};

use crate::popularity::{Popularity, PopularityConfig};
use crate::ranking::best_first;
use crate::{ItemId, Recommender, ScoredItem};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItemKnnConfig {
    /// Most similar items kept per item; the rest are dropped, which bounds memory and scoring time.
    pub neighbours: usize,
    /// Added to the cosine denominator, so a pair seen together by only a few shoppers counts less
    /// than the same ratio backed by many.
    pub shrinkage: f32,
    /// Count two interactions as co-occurring only when at most this many positions apart in the
    /// shopper's sequence; `None` pairs every two items of a sequence.
    pub window: Option<usize>,
    /// Weight each shopper's co-occurrences by `1 / ln(1 + sequence length)`, the inverse user
    /// frequency, so a few shoppers with huge baskets do not make everything similar to everything.
    pub inverse_user_frequency: bool,
    /// When scoring, a history item this many positions before the latest counts half as much.
    /// `None` weighs the whole history equally.
    pub history_half_life: Option<f32>,
}

impl Default for ItemKnnConfig {
    /// Tuned on the validation items of Amazon Beauty (see `examples/beauty.rs`).
    fn default() -> Self {
        Self {
            neighbours: 200,
            shrinkage: 100.0,
            window: Some(3),
            inverse_user_frequency: false,
            history_half_life: Some(1.0),
        }
    }
}

/// Sparse top-N item-item cosine similarities over co-occurrence in users' sequences.
///
/// A shopper's score for an item is the similarity to it summed over their history items, weighted
/// towards recent ones. Items no history item reaches (all of them for a shopper with no history or
/// none with neighbours) follow, ordered by popularity, with negative scores in `[-1, 0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemKnn {
    config: ItemKnnConfig,
    /// Item `i`'s neighbours, most similar first, are `neighbours[neighbour_starts[i]..neighbour_starts[i + 1]]`.
    neighbour_starts: Vec<usize>,
    neighbours: Vec<ScoredItem>,
    /// The score of an item no history item reaches: its popularity scaled into `[-1, 0)`.
    fallback: Vec<f32>,
}

impl ItemKnn {
    pub fn new(config: ItemKnnConfig) -> Self {
        Self { config, neighbour_starts: vec![0], neighbours: Vec::new(), fallback: Vec::new() }
    }

    /// The `k` items most similar to `item`, most similar first ("what goes with what").
    /// Empty for an item outside the catalogue or never co-occurring with another.
    pub fn related_items(&self, item: ItemId, k: usize) -> &[ScoredItem] {
        let neighbours = self.neighbours_of(item);
        &neighbours[..k.min(neighbours.len())]
    }

    fn neighbours_of(&self, item: ItemId) -> &[ScoredItem] {
        let item = item as usize;
        match (self.neighbour_starts.get(item), self.neighbour_starts.get(item + 1)) {
            (Some(&start), Some(&end)) => &self.neighbours[start..end],
            _ => &[],
        }
    }
}

impl Recommender for ItemKnn {
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize) {
        let mut popularity = Popularity::new(PopularityConfig::default());
        popularity.fit(train, n_items);
        let most_popular = popularity.counts().iter().copied().fold(0.0, f32::max);
        self.fallback = popularity.counts().iter().map(|count| count / (most_popular + 1.0) - 1.0).collect();

        let occurrences = Occurrences::new(train, n_items);
        let user_weights: Vec<f32> = train
            .iter()
            .map(
                |sequence| if self.config.inverse_user_frequency { 1.0 / (sequence.len() as f32).ln_1p() } else { 1.0 },
            )
            .collect();
        // Squared norm of each item's column in the user-weighted interaction matrix.
        let mut norms = vec![0.0f32; n_items];
        for (sequence, weight) in train.iter().zip(&user_weights) {
            for &item in *sequence {
                norms[item as usize] += weight;
            }
        }

        // One item's row of co-occurrence weights at a time in a dense buffer, cleared through `touched`:
        // no hashing, and each co-occurring pair is visited once from each side.
        let mut co_occurrence = vec![0.0f32; n_items];
        let mut touched: Vec<ItemId> = Vec::new();
        let mut candidates: Vec<ScoredItem> = Vec::new();
        self.neighbour_starts = Vec::with_capacity(n_items + 1);
        self.neighbour_starts.push(0);
        self.neighbours.clear();
        for item in 0..n_items as ItemId {
            for &(user, position) in occurrences.of(item) {
                let sequence = train[user as usize];
                let (start, end) = match self.config.window {
                    Some(window) => (position.saturating_sub(window), (position + window + 1).min(sequence.len())),
                    None => (0, sequence.len()),
                };
                for &other in &sequence[start..end] {
                    if other == item {
                        continue;
                    }
                    let weight = &mut co_occurrence[other as usize];
                    if *weight == 0.0 {
                        touched.push(other);
                    }
                    *weight += user_weights[user as usize];
                }
            }
            candidates.clear();
            for &other in &touched {
                let together = std::mem::take(&mut co_occurrence[other as usize]);
                let norm = (norms[item as usize] * norms[other as usize]).sqrt();
                candidates.push(ScoredItem { item: other, score: together / (norm + self.config.shrinkage) });
            }
            touched.clear();
            if candidates.len() > self.config.neighbours {
                candidates.select_nth_unstable_by(self.config.neighbours, best_first);
                candidates.truncate(self.config.neighbours);
            }
            candidates.sort_unstable_by(best_first);
            self.neighbours.extend_from_slice(&candidates);
            self.neighbour_starts.push(self.neighbours.len());
        }
    }

    fn n_items(&self) -> usize {
        self.fallback.len()
    }

    fn score_into(&self, history: &[ItemId], scores: &mut [f32]) {
        scores.fill(0.0);
        let step = self.config.history_half_life.map_or(1.0, |half_life| 0.5f32.powf(1.0 / half_life));
        let mut weight = 1.0;
        for &item in history.iter().rev() {
            for neighbour in self.neighbours_of(item) {
                scores[neighbour.item as usize] += weight * neighbour.score;
            }
            weight *= step;
        }
        // Similarities are positive, so an exact zero is an item no history item reached.
        for (score, fallback) in scores.iter_mut().zip(&self.fallback) {
            if *score == 0.0 {
                *score = *fallback;
            }
        }
    }
}

/// Where each item occurs: `(user, position)` pairs, grouped by item.
struct Occurrences {
    starts: Vec<usize>,
    places: Vec<(u32, usize)>,
}

impl Occurrences {
    fn new(train: &[&[ItemId]], n_items: usize) -> Self {
        let mut starts = vec![0usize; n_items + 1];
        for &item in train.iter().flat_map(|sequence| sequence.iter()) {
            starts[item as usize + 1] += 1;
        }
        for item in 0..n_items {
            starts[item + 1] += starts[item];
        }
        let mut next = starts.clone();
        let mut places = vec![(0, 0); starts[n_items]];
        for (user, sequence) in train.iter().enumerate() {
            for (position, &item) in sequence.iter().enumerate() {
                places[next[item as usize]] = (user as u32, position);
                next[item as usize] += 1;
            }
        }
        Self { starts, places }
    }

    fn of(&self, item: ItemId) -> &[(u32, usize)] {
        &self.places[self.starts[item as usize]..self.starts[item as usize + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Users: [0, 1, 2], [0, 1], [1, 3]; item 4 is in the catalogue but never bought.
    const TRAIN: [&[ItemId]; 3] = [&[0, 1, 2], &[0, 1], &[1, 3]];

    fn plain() -> ItemKnnConfig {
        ItemKnnConfig {
            neighbours: 10,
            shrinkage: 1.0,
            window: None,
            inverse_user_frequency: false,
            history_half_life: None,
        }
    }

    fn fitted(config: ItemKnnConfig) -> ItemKnn {
        let mut model = ItemKnn::new(config);
        model.fit(&TRAIN, 5);
        model
    }

    fn assert_scored(actual: &[ScoredItem], expected: &[(ItemId, f32)]) {
        let items: Vec<ItemId> = actual.iter().map(|scored| scored.item).collect();
        assert_eq!(items, expected.iter().map(|&(item, _)| item).collect::<Vec<_>>());
        for (scored, &(_, score)) in actual.iter().zip(expected) {
            assert!((scored.score - score).abs() < 1e-5, "item {}: {} != {score}", scored.item, scored.score);
        }
    }

    #[test]
    fn similarity_is_shrunk_cosine_of_co_occurrence() {
        let model = fitted(plain());
        // Item counts 0: 2, 1: 3, 2: 1, 3: 1. Items 0 and 1 co-occur for two users, every other pair for one.
        let sim_01 = 2.0 / (6f32.sqrt() + 1.0);
        let sim_02 = 1.0 / (2f32.sqrt() + 1.0);
        let sim_12 = 1.0 / (3f32.sqrt() + 1.0);
        assert_scored(model.related_items(0, 5), &[(1, sim_01), (2, sim_02)]);
        // Items 2 and 3 tie with item 1; the lower id comes first.
        assert_scored(model.related_items(1, 5), &[(0, sim_01), (2, sim_12), (3, sim_12)]);
        assert_scored(model.related_items(1, 1), &[(0, sim_01)]);
        assert!(model.related_items(4, 5).is_empty());
        assert!(model.related_items(99, 5).is_empty());
    }

    #[test]
    fn neighbourhood_size_keeps_only_the_most_similar() {
        let model = fitted(ItemKnnConfig { neighbours: 1, ..plain() });
        assert_scored(model.related_items(1, 5), &[(0, 2.0 / (6f32.sqrt() + 1.0))]);
    }

    #[test]
    fn window_pairs_only_nearby_interactions() {
        // With a window of 1, items 0 and 2 (two apart in the first sequence) never co-occur.
        let model = fitted(ItemKnnConfig { window: Some(1), ..plain() });
        assert_scored(model.related_items(0, 5), &[(1, 2.0 / (6f32.sqrt() + 1.0))]);
        assert_scored(model.related_items(2, 5), &[(1, 1.0 / (3f32.sqrt() + 1.0))]);
    }

    #[test]
    fn inverse_user_frequency_weighs_long_sequences_less() {
        let model = fitted(ItemKnnConfig { inverse_user_frequency: true, ..plain() });
        let (long, short) = (1.0 / 3f32.ln_1p(), 1.0 / 2f32.ln_1p());
        // Items 0 and 2 meet only in the long sequence; item 0 also occurs in a short one.
        let sim_02 = long / (((long + short) * long).sqrt() + 1.0);
        assert_scored(&model.related_items(0, 5)[1..], &[(2, sim_02)]);
    }

    #[test]
    fn scores_sum_similarities_weighted_towards_recent_history_then_fall_back_to_popularity() {
        let model = fitted(ItemKnnConfig { history_half_life: Some(1.0), ..plain() });
        let sim_01 = 2.0 / (6f32.sqrt() + 1.0);
        let sim_02 = 1.0 / (2f32.sqrt() + 1.0);
        let sim_13 = 1.0 / (3f32.sqrt() + 1.0);
        let mut scores = [0.0; 5];
        // Item 3 is the latest (weight 1), item 0 the one before (weight 1/2).
        model.score_into(&[0, 3], &mut scores);
        // Unreached items score count / (max count + 1) - 1 with counts [2, 3, 1, 1, 0].
        let expected = [2.0 / 4.0 - 1.0, sim_13 + 0.5 * sim_01, 0.5 * sim_02, 1.0 / 4.0 - 1.0, -1.0];
        for (item, (score, expected)) in scores.iter().zip(expected).enumerate() {
            assert!((score - expected).abs() < 1e-5, "item {item}: {score} != {expected}");
        }
        assert_scored(&model.recommend(&[0, 3], 3, &[0, 3]), &[(1, expected[1]), (2, expected[2]), (4, -1.0)]);
    }

    #[test]
    fn cold_start_ranks_by_popularity() {
        let model = fitted(plain());
        let popular_first = [1, 0, 2, 3, 4];
        for history in [&[][..], &[4], &[99]] {
            let ranked: Vec<ItemId> = model.recommend(history, 5, &[]).iter().map(|scored| scored.item).collect();
            assert_eq!(ranked, popular_first, "history {history:?}");
        }
    }

    #[test]
    fn a_refit_replaces_the_previous_fit_entirely() {
        let first = fitted(ItemKnnConfig::default());
        let mut second = fitted(plain());
        second.config = ItemKnnConfig::default();
        second.fit(&TRAIN, 5);
        assert_eq!(first, second);
    }
}
