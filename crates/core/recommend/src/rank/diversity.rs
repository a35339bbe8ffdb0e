//! Diversity: a list of ten near-identical shampoos is worse than its scores say. Maximal marginal
//! relevance (MMR) picks, one at a time, the item with the best mix of its own relevance and its
//! distance from what is already picked; a hard cap bounds any one category.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::features::{Catalogue, CategoryId};
use crate::ranking::best_first;
use crate::{ItemId, ScoredItem};

/// How alike two items are, in `[0, 1]`.
#[derive(Clone, Copy)]
pub enum Similarity<'a> {
    /// 1 for two items of the same category, else 0; an item without a category is like nothing.
    SameCategory,
    /// The caller's measure, e.g. a content embedding's cosine.
    Custom(&'a dyn Fn(ItemId, ItemId) -> f32),
}

#[derive(Clone, Copy)]
pub struct Diversity<'a> {
    /// MMR's weight of relevance against novelty, in `[0, 1]`: an item's value is
    /// `lambda · relevance - (1 - lambda) · (its greatest similarity to an item already picked)`,
    /// with relevance the score min-max scaled over the candidates (so `lambda` does not depend on the
    /// score's units). 1 ranks by score alone; 0 by novelty alone.
    pub lambda: f32,
    /// At most this many items of one category; items without a category are not capped.
    pub max_per_category: Option<usize>,
    pub similarity: Similarity<'a>,
}

impl Default for Diversity<'_> {
    /// No re-ranking: by score alone, no cap.
    fn default() -> Self {
        Self { lambda: 1.0, max_per_category: None, similarity: Similarity::SameCategory }
    }
}

/// An item up for selection. Buried items are picked only once no other item is left.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pick {
    pub scored: ScoredItem,
    pub buried: bool,
}

impl Diversity<'_> {
    /// Up to `k` indices into `pool`, in list order. Ties go to the higher score, then the lower item
    /// id, so the result is deterministic. Panics when `lambda` is outside `[0, 1]`.
    pub(crate) fn select(&self, pool: &[Pick], k: usize, catalogue: &Catalogue) -> Vec<usize> {
        assert!((0.0..=1.0).contains(&self.lambda), "diversity lambda must be in [0, 1], not {}", self.lambda);
        let (low, high) = pool.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(low, high), pick| {
            (low.min(pick.scored.score), high.max(pick.scored.score))
        });
        let relevance: Vec<f32> =
            pool.iter().map(|pick| if high > low { (pick.scored.score - low) / (high - low) } else { 1.0 }).collect();
        let categories: Vec<Option<CategoryId>> =
            pool.iter().map(|pick| catalogue.category(pick.scored.item)).collect();
        // Each remaining item's greatest similarity to the picked ones, updated after every pick.
        let mut nearest = vec![0.0f32; pool.len()];
        let mut available = vec![true; pool.len()];
        let mut per_category: HashMap<CategoryId, usize> = HashMap::new();
        let mut picked = Vec::with_capacity(k.min(pool.len()));
        while picked.len() < k {
            let value = |index: usize| self.lambda * relevance[index] - (1.0 - self.lambda) * nearest[index];
            let ranks_before = |a: usize, b: usize| -> Ordering {
                (pool[a].buried.cmp(&pool[b].buried))
                    .then_with(|| value(b).total_cmp(&value(a)))
                    .then_with(|| best_first(&pool[a].scored, &pool[b].scored))
            };
            let Some(best) = (0..pool.len()).filter(|&index| available[index]).min_by(|&a, &b| ranks_before(a, b))
            else {
                break;
            };
            picked.push(best);
            available[best] = false;
            if let (Some(cap), Some(category)) = (self.max_per_category, categories[best]) {
                let count = per_category.entry(category).or_default();
                *count += 1;
                if *count >= cap {
                    for (index, other) in categories.iter().enumerate() {
                        available[index] &= *other != Some(category);
                    }
                }
            }
            if self.lambda < 1.0 {
                for index in (0..pool.len()).filter(|&index| available[index]) {
                    let similarity = match self.similarity {
                        Similarity::SameCategory => {
                            if categories[index].is_some() && categories[index] == categories[best] { 1.0 } else { 0.0 }
                        }
                        Similarity::Custom(similarity) => similarity(pool[index].scored.item, pool[best].scored.item),
                    };
                    nearest[index] = nearest[index].max(similarity);
                }
            }
        }
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::features::ItemFacts;

    /// Items 0..6 in categories 0, 0, 0, 1, 1, none, scored 1.0, 0.9, 0.8, 0.7, 0.6, 0.0.
    fn pool() -> (Vec<Pick>, Catalogue) {
        let categories = [Some(0), Some(0), Some(0), Some(1), Some(1), None];
        let scores = [1.0, 0.9, 0.8, 0.7, 0.6, 0.0];
        let pool = (0..6).map(|item| Pick { scored: ScoredItem { item, score: scores[item as usize] }, buried: false });
        let facts = categories.map(|category| ItemFacts { category, ..ItemFacts::default() }).to_vec();
        (pool.collect(), Catalogue::new(facts, 1))
    }

    fn items(pool: &[Pick], picked: &[usize]) -> Vec<ItemId> {
        picked.iter().map(|&index| pool[index].scored.item).collect()
    }

    #[test]
    fn lambda_one_and_no_cap_keeps_score_order() {
        let (pool, catalogue) = pool();
        assert_eq!(items(&pool, &Diversity::default().select(&pool, 4, &catalogue)), [0, 1, 2, 3]);
    }

    #[test]
    fn mmr_trades_relevance_for_novelty() {
        let (pool, catalogue) = pool();
        let diversity = Diversity { lambda: 0.5, ..Diversity::default() };
        // Relevance = score, value = relevance / 2 - nearest / 2. 0 first; then 1 and 2, like 0, fall to
        // -0.05 and -0.1, below 3 (0.35). Then 4, like 3, falls to -0.2, below 5 (0, like nothing).
        assert_eq!(items(&pool, &diversity.select(&pool, 6, &catalogue)), [0, 3, 5, 1, 2, 4]);
    }

    #[test]
    fn category_cap_is_hard_and_uncategorised_items_are_not_capped() {
        let (pool, catalogue) = pool();
        let diversity = Diversity { max_per_category: Some(1), ..Diversity::default() };
        assert_eq!(items(&pool, &diversity.select(&pool, 6, &catalogue)), [0, 3, 5]);
        let two = Diversity { max_per_category: Some(2), ..Diversity::default() };
        assert_eq!(items(&pool, &two.select(&pool, 6, &catalogue)), [0, 1, 3, 4, 5]);
    }

    #[test]
    fn custom_similarity_and_buried_items_last() {
        let (mut pool, catalogue) = pool();
        pool[0].buried = true;
        // Only 1 and 2 are alike.
        let alike = |a: ItemId, b: ItemId| if a.min(b) == 1 && a.max(b) == 2 { 1.0 } else { 0.0 };
        let diversity = Diversity { lambda: 0.5, max_per_category: None, similarity: Similarity::Custom(&alike) };
        // 1 first (0 is buried); 2 drops to 0.4 - 0.5 below 3 (0.35), 4 (0.3) and 5 (0).
        assert_eq!(items(&pool, &diversity.select(&pool, 6, &catalogue)), [1, 3, 4, 5, 2, 0]);
    }

    #[test]
    #[should_panic(expected = "lambda must be in [0, 1]")]
    fn lambda_outside_the_unit_interval_is_refused() {
        let (pool, catalogue) = pool();
        Diversity { lambda: 1.5, ..Diversity::default() }.select(&pool, 1, &catalogue);
    }
}
