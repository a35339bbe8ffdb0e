//! Assertions shared by the recommenders' unit tests.

use crate::{ItemId, ScoredItem};

/// `actual` lists exactly the items of `expected`, in order, each with its score to within 1e-5.
pub(crate) fn assert_scored(actual: &[ScoredItem], expected: &[(ItemId, f32)]) {
    let items: Vec<ItemId> = actual.iter().map(|scored| scored.item).collect();
    assert_eq!(items, expected.iter().map(|&(item, _)| item).collect::<Vec<_>>());
    for (scored, &(_, score)) in actual.iter().zip(expected) {
        assert!((scored.score - score).abs() < 1e-5, "item {}: {} != {score}", scored.item, scored.score);
    }
}
