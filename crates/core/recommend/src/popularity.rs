//! PopRec: everyone gets the best sellers. The floor every personalised model has to beat, and the
//! answer for a shopper we know nothing about.

use serde::{Deserialize, Serialize};

use crate::{ItemId, Recommender};

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PopularityConfig {
    /// When set, an interaction this many positions before the end of its user's sequence counts half
    /// as much as the user's latest one, so what shoppers are buying now outweighs what they once
    /// bought. `None` counts every interaction once. Sequences carry order but no shared clock, so
    /// recency is measured per user.
    pub half_life: Option<f32>,
}

/// Scores every item by its (optionally recency-weighted) number of training interactions,
/// whatever the shopper's history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Popularity {
    config: PopularityConfig,
    counts: Vec<f32>,
}

impl Popularity {
    pub fn new(config: PopularityConfig) -> Self {
        Self { config, counts: Vec::new() }
    }

    /// Each item's weighted interaction count from the last fit.
    pub fn counts(&self) -> &[f32] {
        &self.counts
    }
}

/// The scores of items a personalised model has nothing to say about: their training popularity scaled
/// into `[-1, 0)`, so they rank below any non-negative score and among themselves best seller first.
pub(crate) fn fallback_scores(train: &[&[ItemId]], n_items: usize) -> Vec<f32> {
    let mut popularity = Popularity::new(PopularityConfig::default());
    popularity.fit(train, n_items);
    let most_popular = popularity.counts.iter().copied().fold(0.0, f32::max);
    popularity.counts.iter().map(|count| count / (most_popular + 1.0) - 1.0).collect()
}

impl Recommender for Popularity {
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize) {
        self.counts = vec![0.0; n_items];
        // Weight of the interaction one position earlier than the current one.
        let step = self.config.half_life.map_or(1.0, |half_life| 0.5f32.powf(1.0 / half_life));
        for sequence in train {
            let mut weight = 1.0;
            for &item in sequence.iter().rev() {
                self.counts[item as usize] += weight;
                weight *= step;
            }
        }
    }

    fn n_items(&self) -> usize {
        self.counts.len()
    }

    fn score_into(&self, _history: &[ItemId], scores: &mut [f32]) {
        scores.copy_from_slice(&self.counts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScoredItem;

    const TRAIN: [&[ItemId]; 3] = [&[0, 1, 2], &[2, 1], &[2, 3]];

    #[test]
    fn counts_interactions_and_ranks_ties_by_item_id() {
        let mut model = Popularity::new(PopularityConfig::default());
        model.fit(&TRAIN, 5);
        assert_eq!(model.counts(), &[1.0, 2.0, 3.0, 1.0, 0.0]);
        let ranked = model.recommend(&[0], 4, &[0]);
        let expected = [(2, 3.0), (1, 2.0), (3, 1.0), (4, 0.0)].map(|(item, score)| ScoredItem { item, score });
        assert_eq!(ranked, expected);
    }

    #[test]
    fn half_life_discounts_older_interactions_of_each_user() {
        let mut model = Popularity::new(PopularityConfig { half_life: Some(1.0) });
        model.fit(&TRAIN, 4);
        // Latest interaction of each user weighs 1, the one before 1/2, the one before that 1/4.
        let expected = [0.25, 0.5 + 1.0, 1.0 + 0.5 + 0.5, 1.0];
        for (count, expected) in model.counts().iter().zip(expected) {
            assert!((count - expected).abs() < 1e-6, "{count} != {expected}");
        }
    }
}
