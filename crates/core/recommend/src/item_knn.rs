//! Item-kNN: "customers who bought this also bought". Two items are similar when the same shoppers
//! interact with both (close together in their sequences, if a window is set); a shopper's candidates
//! are the neighbours of what they interacted with lately.

use serde::{Deserialize, Serialize};

use crate::popularity;
use crate::ranking::best_first;
use crate::{ItemId, Recommender, ScoredItem};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItemKnnConfig {
    /// How co-occurrence becomes similarity. Configurations saved before there was a choice are cosine.
    #[serde(default)]
    pub similarity: Similarity,
    /// Most similar items kept per item; the rest are dropped, which bounds memory and scoring time.
    pub neighbours: usize,
    /// Added to the similarity's denominator, so a pair seen together by only a few shoppers counts less
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
            similarity: Similarity::Cosine,
            neighbours: 200,
            shrinkage: 100.0,
            window: Some(3),
            inverse_user_frequency: false,
            history_half_life: Some(1.0),
        }
    }
}

/// The similarity of items `a` and `b` from their co-occurrence weight `c_ab` (shoppers who interacted
/// with both, within the window) and their occurrence weights `c_a`, `c_b` (shoppers who interacted with
/// each), all weighted by inverse user frequency when it is on. The shrinkage `s` is added to each
/// denominator. Jaccard and lift are the similarities of Microsoft's SAR.
///
/// On Amazon Beauty's test items, with the other settings at their defaults (`examples/beauty.rs
/// --similarity NAME`): cosine HR@10 0.0766, NDCG@10 0.0469, HR@20 0.1040; Jaccard 0.0770, 0.0476,
/// 0.1036; lift 0.0535, 0.0338, 0.0732. Each tuned on the validation items instead (`--tune`): Jaccard
/// 0.0771, 0.0470, 0.1045 (shrinkage 200); lift 0.0683, 0.0417, 0.0939 (shrinkage 200, the grid's
/// largest, window 5, inverse user frequency, half-life 2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Similarity {
    /// `c_ab / (sqrt(c_a · c_b) + s)`.
    #[default]
    Cosine,
    /// `c_ab / (c_a + c_b − c_ab + s)`: the share of shoppers of either who took both. Repeated items and
    /// windows can make `c_ab` exceed `c_a` or `c_b`; the union then counts the intersection as at most
    /// the smaller of the two, so it never falls below the larger.
    Jaccard,
    /// `c_ab / (c_a · c_b + s)`: co-occurrence against what independence would give, which favours
    /// rarer items ("serendipity" in SAR's terms) where cosine and Jaccard favour the popular.
    Lift,
}

impl Similarity {
    pub const ALL: [Similarity; 3] = [Similarity::Cosine, Similarity::Jaccard, Similarity::Lift];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Similarity::Cosine => "cosine",
            Similarity::Jaccard => "jaccard",
            Similarity::Lift => "lift",
        }
    }

    fn of(self, together: f32, count_a: f32, count_b: f32, shrinkage: f32) -> f32 {
        let denominator = match self {
            Similarity::Cosine => (count_a * count_b).sqrt(),
            Similarity::Jaccard => count_a + count_b - together.min(count_a).min(count_b),
            Similarity::Lift => count_a * count_b,
        };
        together / (denominator + shrinkage)
    }
}

/// Sparse top-N item-item similarities over co-occurrence in users' sequences.
///
/// A shopper's score for an item is the similarity to it summed over their history items, weighted
/// towards recent ones. Items no history item reaches (all of them for a shopper with no history or
/// none with neighbours) follow, ordered by popularity, with negative scores in `[-1, 0)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemKnn {
    config: ItemKnnConfig,
    /// Each item's neighbours, most similar first.
    neighbours: Grouped<ScoredItem>,
    /// The score of an item no history item reaches: its popularity scaled into `[-1, 0)`.
    fallback: Vec<f32>,
}

impl ItemKnn {
    pub fn new(config: ItemKnnConfig) -> Self {
        Self { config, neighbours: Grouped::default(), fallback: Vec::new() }
    }

    /// The `k` items most similar to `item`, most similar first ("what goes with what").
    /// Empty for an item outside the catalogue or never co-occurring with another.
    pub fn related_items(&self, item: ItemId, k: usize) -> &[ScoredItem] {
        let neighbours = self.neighbours_of(item);
        &neighbours[..k.min(neighbours.len())]
    }

    fn neighbours_of(&self, item: ItemId) -> &[ScoredItem] {
        self.neighbours.of(item as usize)
    }
}

impl Recommender for ItemKnn {
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize) {
        self.fallback = popularity::fallback_scores(train, n_items);

        let occurrences = occurrences(train, n_items);
        let user_weights: Vec<f32> = train
            .iter()
            .map(
                |sequence| if self.config.inverse_user_frequency { 1.0 / (sequence.len() as f32).ln_1p() } else { 1.0 },
            )
            .collect();
        // Each item's user-weighted occurrences: the squared norm of its column of the interaction matrix.
        let mut counts = vec![0.0f32; n_items];
        for (sequence, weight) in train.iter().zip(&user_weights) {
            for &item in *sequence {
                counts[item as usize] += weight;
            }
        }

        // One item's row of co-occurrence weights at a time in a dense buffer, cleared through `touched`:
        // no hashing, and each co-occurring pair is visited once from each side.
        let mut co_occurrence = vec![0.0f32; n_items];
        let mut touched: Vec<ItemId> = Vec::new();
        let mut candidates: Vec<ScoredItem> = Vec::new();
        self.neighbours = Grouped::default();
        for item in 0..n_items as ItemId {
            for &(user, position) in occurrences.of(item as usize) {
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
                let (count_a, count_b) = (counts[item as usize], counts[other as usize]);
                let score = self.config.similarity.of(together, count_a, count_b, self.config.shrinkage);
                candidates.push(ScoredItem { item: other, score });
            }
            touched.clear();
            if candidates.len() > self.config.neighbours {
                candidates.select_nth_unstable_by(self.config.neighbours, best_first);
                candidates.truncate(self.config.neighbours);
            }
            candidates.sort_unstable_by(best_first);
            self.neighbours.push_group(candidates.iter().copied());
        }
    }

    fn n_items(&self) -> usize {
        self.fallback.len()
    }

    fn score_into(&self, history: &[ItemId], scores: &mut [f32]) {
        scores.fill(0.0);
        for (item, weight) in recent_first(history, self.config.history_half_life) {
            for neighbour in self.neighbours_of(item) {
                scores[neighbour.item as usize] += weight * neighbour.score;
            }
        }
        fill_unreached(scores, &self.fallback);
    }
}

/// `history` latest first, each item with its recency weight: 1 for the latest, halved every
/// `half_life` positions further back (`None`: 1 for all).
pub(crate) fn recent_first(history: &[ItemId], half_life: Option<f32>) -> impl Iterator<Item = (ItemId, f32)> + '_ {
    let step = half_life.map_or(1.0, |half_life| 0.5f32.powf(1.0 / half_life));
    history.iter().rev().scan(1.0f32, move |weight, &item| {
        let current = *weight;
        *weight *= step;
        Some((item, current))
    })
}

/// Gives every item that summed positive similarities left at exactly zero (no history item reached it)
/// its `fallback` score.
pub(crate) fn fill_unreached(scores: &mut [f32], fallback: &[f32]) {
    for (score, fallback) in scores.iter_mut().zip(fallback) {
        if *score == 0.0 {
            *score = *fallback;
        }
    }
}

/// Values grouped by a dense key `0..n`, each group's values in the order given (a compressed sparse
/// row layout): one allocation, no hashing. Shared by the models for neighbour lists, inverted indexes
/// and "where does each item occur".
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grouped<T> {
    /// Group `g` is `values[starts[g]..starts[g + 1]]`.
    starts: Vec<usize>,
    values: Vec<T>,
}

impl<T> Default for Grouped<T> {
    /// No groups yet, ready for [`Grouped::push_group`].
    fn default() -> Self {
        Self { starts: vec![0], values: Vec::new() }
    }
}

impl<T> Grouped<T> {
    /// Appends the next group, whose key is the number of groups so far.
    pub(crate) fn push_group(&mut self, values: impl IntoIterator<Item = T>) {
        self.values.extend(values);
        self.starts.push(self.values.len());
    }

    pub(crate) fn n_groups(&self) -> usize {
        self.starts.len() - 1
    }

    /// The values of `key`, in the order given; empty for a key past the last group.
    pub(crate) fn of(&self, key: usize) -> &[T] {
        match (self.starts.get(key), self.starts.get(key + 1)) {
            (Some(&start), Some(&end)) => &self.values[start..end],
            _ => &[],
        }
    }
}

impl<T: Copy + Default> Grouped<T> {
    /// Groups the `(key, value)` pairs that `entries` yields (keys below `n_keys`); `entries` is called
    /// twice, once to count each group and once to place its values.
    pub(crate) fn new<I: Iterator<Item = (usize, T)>>(n_keys: usize, entries: impl Fn() -> I) -> Self {
        let mut starts = vec![0usize; n_keys + 1];
        for (key, _) in entries() {
            starts[key + 1] += 1;
        }
        for key in 0..n_keys {
            starts[key + 1] += starts[key];
        }
        let mut next = starts.clone();
        let mut values = vec![T::default(); starts[n_keys]];
        for (key, value) in entries() {
            values[next[key]] = value;
            next[key] += 1;
        }
        Self { starts, values }
    }
}

/// Where each item occurs: `(user, position)` pairs grouped by item, users ascending.
fn occurrences(train: &[&[ItemId]], n_items: usize) -> Grouped<(u32, usize)> {
    Grouped::new(n_items, || {
        train.iter().enumerate().flat_map(|(user, sequence)| {
            sequence.iter().enumerate().map(move |(position, &item)| (item as usize, (user as u32, position)))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_scored;

    /// Users: [0, 1, 2], [0, 1], [1, 3]; item 4 is in the catalogue but never bought.
    const TRAIN: [&[ItemId]; 3] = [&[0, 1, 2], &[0, 1], &[1, 3]];

    fn plain() -> ItemKnnConfig {
        ItemKnnConfig {
            similarity: Similarity::Cosine,
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
    fn jaccard_divides_by_the_union_of_both_items_shoppers() {
        let model = fitted(ItemKnnConfig { similarity: Similarity::Jaccard, ..plain() });
        // Counts 0: 2, 1: 3, 2: 1, 3: 1; c_01 = 2, every other pair 1; shrinkage 1.
        let sim_01 = 2.0 / (2.0 + 3.0 - 2.0 + 1.0);
        let sim_02 = 1.0 / (2.0 + 1.0 - 1.0 + 1.0);
        let sim_12 = 1.0 / (3.0 + 1.0 - 1.0 + 1.0);
        assert_scored(model.related_items(0, 5), &[(1, sim_01), (2, sim_02)]);
        assert_scored(model.related_items(1, 5), &[(0, sim_01), (2, sim_12), (3, sim_12)]);
    }

    #[test]
    fn jaccard_union_never_falls_below_the_larger_count() {
        // Items 0 and 1 alternate: each occurs twice and, without a window, co-occurs 2 · 2 = 4 times.
        let mut model = ItemKnn::new(ItemKnnConfig { similarity: Similarity::Jaccard, shrinkage: 0.0, ..plain() });
        model.fit(&[&[0, 1, 0, 1]], 2);
        assert_scored(model.related_items(0, 5), &[(1, 4.0 / (2.0 + 2.0 - 2.0))]);
    }

    #[test]
    fn lift_divides_by_the_product_of_counts_and_favours_rare_items() {
        let model = fitted(ItemKnnConfig { similarity: Similarity::Lift, ..plain() });
        let lift_01 = 2.0 / (2.0 * 3.0 + 1.0);
        let lift_02 = 1.0 / (2.0 * 1.0 + 1.0);
        let lift_12 = 1.0 / (3.0 * 1.0 + 1.0);
        // Unlike cosine, the rare item 2 comes before item 1 for item 0.
        assert_scored(model.related_items(0, 5), &[(2, lift_02), (1, lift_01)]);
        assert_scored(model.related_items(1, 5), &[(0, lift_01), (2, lift_12), (3, lift_12)]);
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
