//! The one ranking order every recommender and the evaluation share: higher score first, and on equal
//! scores the lower item id first, so results are deterministic. Masked items score negative infinity
//! and are never ranked.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::{ItemId, ScoredItem};

/// Takes `items` out of the ranking. Ids outside the catalogue are ignored.
pub(crate) fn mask(scores: &mut [f32], items: &[ItemId]) {
    for &item in items {
        if let Some(score) = scores.get_mut(item as usize) {
            *score = f32::NEG_INFINITY;
        }
    }
}

/// The `k` best unmasked items, best first, without sorting the whole catalogue.
pub(crate) fn top_k(scores: &[f32], k: usize) -> Vec<ScoredItem> {
    if k == 0 {
        return Vec::new();
    }
    // A min-heap of the best `k` so far: each item costs one comparison with the current k-th best.
    let mut best: BinaryHeap<Reverse<RankKey>> = BinaryHeap::with_capacity(k);
    for (item, &score) in scores.iter().enumerate() {
        if score == f32::NEG_INFINITY {
            continue;
        }
        let candidate = RankKey(ScoredItem { item: item as ItemId, score });
        if best.len() < k {
            best.push(Reverse(candidate));
        } else if let Some(mut worst) = best.peek_mut()
            && candidate > worst.0
        {
            *worst = Reverse(candidate);
        }
    }
    // Ascending order of `Reverse` is best first.
    best.into_sorted_vec().into_iter().map(|Reverse(key)| key.0).collect()
}

/// The 0-based position of `target` in the ranking, or `None` when it is masked.
/// Counting is a single pass with no selection at all, which is all the evaluation needs.
pub(crate) fn rank_of(scores: &[f32], target: ItemId) -> Option<usize> {
    let target = target as usize;
    let score = scores[target];
    if score == f32::NEG_INFINITY {
        return None;
    }
    let ahead_on_ties = scores[..target].iter().filter(|&&other| other >= score).count();
    let ahead = scores[target + 1..].iter().filter(|&&other| other > score).count();
    Some(ahead_on_ties + ahead)
}

/// The ranking order as a comparator: `Less` when `a` is ranked before `b`.
pub(crate) fn best_first(a: &ScoredItem, b: &ScoredItem) -> Ordering {
    b.score.total_cmp(&a.score).then_with(|| a.item.cmp(&b.item))
}

/// A scored item ordered so that "greater" means "ranked earlier".
struct RankKey(ScoredItem);

impl Ord for RankKey {
    fn cmp(&self, other: &Self) -> Ordering {
        best_first(&other.0, &self.0)
    }
}

impl PartialOrd for RankKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RankKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RankKey {}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(ranked: &[ScoredItem]) -> Vec<ItemId> {
        ranked.iter().map(|scored| scored.item).collect()
    }

    #[test]
    fn top_k_orders_by_score_then_lower_id_and_skips_masked() {
        let mut scores = vec![1.0, 3.0, 2.0, 3.0, 0.5, 2.0];
        mask(&mut scores, &[3, 99]);
        assert_eq!(items(&top_k(&scores, 4)), vec![1, 2, 5, 0]);
        assert_eq!(items(&top_k(&scores, 10)), vec![1, 2, 5, 0, 4]);
        assert!(top_k(&scores, 0).is_empty());
    }

    #[test]
    fn rank_of_agrees_with_top_k_for_every_item() {
        let mut scores = vec![0.0, 2.0, 1.0, 2.0, 0.0, 1.0, 2.0];
        mask(&mut scores, &[6]);
        let ranking = items(&top_k(&scores, scores.len()));
        for item in 0..scores.len() as ItemId {
            assert_eq!(rank_of(&scores, item), ranking.iter().position(|&ranked| ranked == item));
        }
        assert_eq!(rank_of(&scores, 6), None);
    }
}
