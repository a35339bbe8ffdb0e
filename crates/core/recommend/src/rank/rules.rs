//! Business rules: what may be shown at all, what must not be, what the business pushes or holds back.

use crate::ItemId;

/// The merchandising constraints of one request. [`Ranker::rank`](super::Ranker::rank) applies them
/// in this order: `allowed` and `exclude` remove candidates, `boost` adjusts scores, `bury` moves
/// items to the end, and only then is diversity applied to what is left.
#[derive(Clone)]
pub struct Rules<'a> {
    /// Whether an item may be shown at all: in stock at the shopper's store or for delivery, in the
    /// page's category, not age-restricted, ...
    pub allowed: &'a dyn Fn(ItemId) -> bool,
    /// Never shown: items already bought that are not consumables, the product on the current page.
    pub exclude: &'a [ItemId],
    /// Score multipliers (promotions, margin): 1.5 adds half. An item listed twice gets both. Scores
    /// are non-negative, so a non-negative factor never turns a good item into the worst.
    pub boost: Vec<(ItemId, f32)>,
    /// Shown only after every other item (discontinued, over-exposed): moved to the end, not removed.
    pub bury: Vec<ItemId>,
}

fn allow_all(_: ItemId) -> bool {
    true
}

impl Default for Rules<'_> {
    /// No constraints: everything allowed, nothing excluded, boosted or buried.
    fn default() -> Self {
        Self { allowed: &allow_all, exclude: &[], boost: Vec::new(), bury: Vec::new() }
    }
}

impl<'a> Rules<'a> {
    /// The rules with sorted lookups, for applying them to many candidates.
    pub(crate) fn prepare(&self) -> PreparedRules<'a> {
        let mut exclude = self.exclude.to_vec();
        exclude.sort_unstable();
        let mut boost = self.boost.clone();
        boost.sort_by_key(|&(item, _)| item);
        let mut factors: Vec<(ItemId, f32)> = Vec::with_capacity(boost.len());
        for (item, factor) in boost {
            match factors.last_mut() {
                Some((last, product)) if *last == item => *product *= factor,
                _ => factors.push((item, factor)),
            }
        }
        let mut bury = self.bury.clone();
        bury.sort_unstable();
        PreparedRules { allowed: self.allowed, exclude, boost: factors, bury }
    }
}

pub(crate) struct PreparedRules<'a> {
    allowed: &'a dyn Fn(ItemId) -> bool,
    exclude: Vec<ItemId>,
    boost: Vec<(ItemId, f32)>,
    bury: Vec<ItemId>,
}

impl PreparedRules<'_> {
    pub(crate) fn admits(&self, item: ItemId) -> bool {
        self.exclude.binary_search(&item).is_err() && (self.allowed)(item)
    }

    /// The product of the item's boosts; 1 when it has none.
    pub(crate) fn boost(&self, item: ItemId) -> f32 {
        self.boost.binary_search_by_key(&item, |&(item, _)| item).map_or(1.0, |found| self.boost[found].1)
    }

    pub(crate) fn buries(&self, item: ItemId) -> bool {
        self.bury.binary_search(&item).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepared_rules_answer_each_question() {
        let even = |item: ItemId| item.is_multiple_of(2);
        let rules =
            Rules { allowed: &even, exclude: &[4, 0], boost: vec![(6, 2.0), (2, 1.5), (6, 3.0)], bury: vec![8] };
        let prepared = rules.prepare();
        let admitted: Vec<ItemId> = (0..10).filter(|&item| prepared.admits(item)).collect();
        assert_eq!(admitted, [2, 6, 8]);
        assert_eq!([prepared.boost(6), prepared.boost(2), prepared.boost(8)], [6.0, 1.5, 1.0]);
        assert!(prepared.buries(8) && !prepared.buries(6));
        let none = Rules::default().prepare();
        assert!((0..10).all(|item| none.admits(item) && none.boost(item) == 1.0 && !none.buries(item)));
    }
}
