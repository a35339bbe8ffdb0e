//! "Frequently bought together": association rules `A → B` mined from baskets (the items of one order),
//! kept to complements, so shampoo suggests conditioner rather than another shampoo.
//!
//! Over `N` baskets, with `c_a` the baskets holding `A` and `c_ab` those holding both:
//! support is `c_ab`, confidence `c_ab / c_a` (how often a basket with `A` also has `B`) and lift
//! `c_ab · N / (c_a · c_b)` (how much more often than if they were bought independently). Rules are
//! ranked by lift, which unlike confidence does not favour best sellers that go with everything.
//!
//! Counting pairs costs the sum of squared basket sizes. A basket with more than
//! [`BundlesConfig::max_basket`] distinct items counts as its first `max_basket` distinct items, in
//! basket order, for both its items and its pairs: that bounds the cost per basket (bulk orders say
//! little about what goes together anyway) and keeps every confidence at most 1.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::item_knn::Grouped;
use crate::ranking::best_first;
use crate::{ItemId, ScoredItem};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BundlesConfig {
    /// Fewest baskets a pair must share to make a rule.
    pub min_support: u32,
    /// Lowest confidence a rule may have.
    pub min_confidence: f32,
    /// Lowest lift a rule may have; above 1 means "more often than chance".
    pub min_lift: f32,
    /// Whether a rule may suggest an item of its antecedent's category. `false` keeps complements only.
    pub allow_same_category: bool,
    /// Distinct items of a basket that count; see the module documentation.
    pub max_basket: usize,
    /// Rules kept per item, highest lift first, which bounds memory.
    pub rules_per_item: usize,
    /// [`Bundles::for_cart`] suggests at most this many items of one category.
    pub per_category: usize,
}

impl Default for BundlesConfig {
    /// Conservative starting points, not tuned on any data set.
    fn default() -> Self {
        Self {
            min_support: 3,
            min_confidence: 0.01,
            min_lift: 1.0,
            allow_same_category: false,
            max_basket: 50,
            rules_per_item: 50,
            per_category: 2,
        }
    }
}

/// "Bought `item` too", from the point of view of one antecedent item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rule {
    pub item: ItemId,
    /// Baskets with both items.
    pub support: u32,
    /// Share of the antecedent's baskets that also hold `item`.
    pub confidence: f32,
    /// How many times more often the two are bought together than if independent.
    pub lift: f32,
}

/// Rules ranked by lift, then support, then lower item id.
fn strongest_first(a: &Rule, b: &Rule) -> std::cmp::Ordering {
    b.lift.total_cmp(&a.lift).then_with(|| b.support.cmp(&a.support)).then_with(|| a.item.cmp(&b.item))
}

/// Association rules per antecedent item.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundles {
    config: BundlesConfig,
    item_category: Vec<u32>,
    /// Each item's rules, strongest first.
    rules: Grouped<Rule>,
}

impl Bundles {
    /// Mines rules from `baskets` over a catalogue whose item `i` is in category `item_category[i]`.
    /// Items outside the catalogue are ignored, and baskets left without items do not count.
    pub fn fit(config: BundlesConfig, baskets: &[&[ItemId]], item_category: &[u32]) -> Self {
        let n_items = item_category.len();
        // The counted items of each basket: distinct, in the catalogue, at most `max_basket`.
        let mut last_basket = vec![usize::MAX; n_items];
        let mut counted: Grouped<ItemId> = Grouped::default();
        for (index, basket) in baskets.iter().enumerate() {
            let items = basket.iter().copied().filter(|&item| {
                last_basket.get_mut(item as usize).is_some_and(|last| std::mem::replace(last, index) != index)
            });
            counted.push_group(items.take(config.max_basket));
        }
        let n_baskets = (0..counted.n_groups()).filter(|&basket| !counted.of(basket).is_empty()).count();
        let baskets_of = Grouped::new(n_items, || {
            (0..counted.n_groups())
                .flat_map(|basket| counted.of(basket).iter().map(move |&item| (item as usize, basket as u32)))
        });

        // Each item's rules from a dense row of pair counts, rows in parallel: each is independent of
        // the others, so the result does not depend on scheduling.
        let rows = RowContext { config: &config, item_category, counted: &counted, baskets_of: &baskets_of, n_baskets };
        let rows: Vec<Vec<Rule>> = (0..n_items as ItemId)
            .into_par_iter()
            .map_init(
                || (vec![0u32; n_items], Vec::new()),
                |(together, touched), item| rows.rules_of(item, together, touched),
            )
            .collect();
        let mut rules = Grouped::default();
        for row in rows {
            rules.push_group(row);
        }
        Self { config, item_category: item_category.to_vec(), rules }
    }

    /// The `k` strongest rules `item → B`, by lift. Empty for an item outside the catalogue.
    pub fn for_item(&self, item: ItemId, k: usize) -> &[Rule] {
        let rules = self.rules.of(item as usize);
        &rules[..k.min(rules.len())]
    }

    /// Up to `k` items to add to `cart`, best first (ties by lower id), scored by the sum of the lifts of
    /// the rules from cart items that suggest them: an item that goes with several cart items ranks
    /// above one that goes with one. Never a cart item, at most [`BundlesConfig::per_category`] items of
    /// one category and, unless [`BundlesConfig::allow_same_category`], none in the category of any cart
    /// item (the cart already has one of those).
    pub fn for_cart(&self, cart: &[ItemId], k: usize) -> Vec<ScoredItem> {
        let mut cart: Vec<ItemId> =
            cart.iter().copied().filter(|&item| (item as usize) < self.item_category.len()).collect();
        cart.sort_unstable();
        cart.dedup();
        let mut cart_categories: Vec<u32> = cart.iter().map(|&item| self.item_category[item as usize]).collect();
        cart_categories.sort_unstable();
        let suggestible = |item: ItemId| {
            cart.binary_search(&item).is_err()
                && (self.config.allow_same_category
                    || cart_categories.binary_search(&self.item_category[item as usize]).is_err())
        };
        // Summed in cart order, whatever order the cart came in.
        let mut lifts: BTreeMap<ItemId, f32> = BTreeMap::new();
        for rule in cart.iter().flat_map(|&item| self.rules.of(item as usize)) {
            if suggestible(rule.item) {
                *lifts.entry(rule.item).or_default() += rule.lift;
            }
        }
        let mut candidates: Vec<ScoredItem> =
            lifts.into_iter().map(|(item, score)| ScoredItem { item, score }).collect();
        candidates.sort_unstable_by(best_first);
        let mut per_category: HashMap<u32, usize> = HashMap::new();
        candidates
            .into_iter()
            .filter(|candidate| {
                let taken = per_category.entry(self.item_category[candidate.item as usize]).or_default();
                *taken += 1;
                *taken <= self.config.per_category
            })
            .take(k)
            .collect()
    }
}

/// What one item's row of rules is computed from.
struct RowContext<'a> {
    config: &'a BundlesConfig,
    item_category: &'a [u32],
    /// The counted items of each basket.
    counted: &'a Grouped<ItemId>,
    /// The counted baskets holding each item.
    baskets_of: &'a Grouped<u32>,
    n_baskets: usize,
}

impl RowContext<'_> {
    /// `item`'s rules, strongest first, using `together` (zeroed, one entry per item) and `touched`
    /// (empty) as scratch space, and leaving them so.
    fn rules_of(&self, item: ItemId, together: &mut [u32], touched: &mut Vec<ItemId>) -> Vec<Rule> {
        let baskets = self.baskets_of.of(item as usize);
        let item_count = baskets.len() as f64;
        if (baskets.len() as u32) < self.config.min_support {
            return Vec::new();
        }
        for &basket in baskets {
            for &other in self.counted.of(basket as usize) {
                if other != item {
                    if together[other as usize] == 0 {
                        touched.push(other);
                    }
                    together[other as usize] += 1;
                }
            }
        }
        let category = self.item_category[item as usize];
        let mut rules = Vec::new();
        for other in touched.drain(..) {
            let support = std::mem::take(&mut together[other as usize]);
            if support < self.config.min_support
                || (!self.config.allow_same_category && self.item_category[other as usize] == category)
            {
                continue;
            }
            let other_count = self.baskets_of.of(other as usize).len() as f64;
            let confidence = (support as f64 / item_count) as f32;
            let lift = (support as f64 * self.n_baskets as f64 / (item_count * other_count)) as f32;
            if confidence >= self.config.min_confidence && lift >= self.config.min_lift {
                rules.push(Rule { item: other, support, confidence, lift });
            }
        }
        rules.sort_unstable_by(strongest_first);
        rules.truncate(self.config.rules_per_item);
        rules
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Shampoo 0 and 2 (category 1), conditioner 1 and 5 (category 2), brush 3 (3), towel 4 (4).
    const CATEGORIES: [u32; 6] = [1, 2, 1, 3, 4, 2];

    /// 8 counted baskets (the last holds no catalogue item). Baskets per item: 0: 5, 1: 5, 2: 2, 3: 2,
    /// 4: 1, 5: 1. Pairs: {0, 1} 3, {1, 3} 2, and {0, 2}, {0, 3}, {0, 5}, {1, 2} 1 each.
    const BASKETS: [&[ItemId]; 9] = [&[0, 1], &[0, 1, 3], &[0, 2], &[1, 3], &[0, 1, 0], &[4], &[2, 1], &[0, 5], &[99]];

    fn all_rules() -> BundlesConfig {
        BundlesConfig { min_support: 1, min_confidence: 0.0, min_lift: 0.0, ..BundlesConfig::default() }
    }

    fn rule(item: ItemId, support: u32, confidence: f32, lift: f32) -> Rule {
        Rule { item, support, confidence, lift }
    }

    fn assert_rules(actual: &[Rule], expected: &[Rule]) {
        assert_eq!(actual.iter().map(|rule| (rule.item, rule.support)).collect::<Vec<_>>(), {
            expected.iter().map(|rule| (rule.item, rule.support)).collect::<Vec<_>>()
        });
        for (actual, expected) in actual.iter().zip(expected) {
            assert!((actual.confidence - expected.confidence).abs() < 1e-6, "{actual:?} != {expected:?}");
            assert!((actual.lift - expected.lift).abs() < 1e-6, "{actual:?} != {expected:?}");
        }
    }

    fn items(suggested: &[ScoredItem]) -> Vec<ItemId> {
        suggested.iter().map(|scored| scored.item).collect()
    }

    #[test]
    fn rules_have_support_confidence_and_lift_ranked_by_lift() {
        let bundles = Bundles::fit(all_rules(), &BASKETS, &CATEGORIES);
        // Lift c_ab · 8 / (c_a · c_b); the other shampoo 2 is left out of shampoo 0's rules.
        let from_0 = [rule(5, 1, 0.2, 8.0 / 5.0), rule(1, 3, 0.6, 24.0 / 25.0), rule(3, 1, 0.2, 8.0 / 10.0)];
        assert_rules(bundles.for_item(0, 5), &from_0);
        assert_rules(bundles.for_item(0, 1), &from_0[..1]);
        let from_1 = [rule(3, 2, 0.4, 16.0 / 10.0), rule(0, 3, 0.6, 24.0 / 25.0), rule(2, 1, 0.2, 8.0 / 10.0)];
        assert_rules(bundles.for_item(1, 5), &from_1);
        assert!(bundles.for_item(4, 5).is_empty());
        assert!(bundles.for_item(99, 5).is_empty());
    }

    #[test]
    fn same_category_rules_when_allowed_with_ties_by_lower_id() {
        let bundles = Bundles::fit(BundlesConfig { allow_same_category: true, ..all_rules() }, &BASKETS, &CATEGORIES);
        // Shampoo 2 ties brush 3 on lift and support; the lower id comes first.
        let ranked: Vec<ItemId> = bundles.for_item(0, 5).iter().map(|rule| rule.item).collect();
        assert_eq!(ranked, [5, 1, 2, 3]);
    }

    #[test]
    fn thresholds_drop_weak_rules() {
        let fit = |config| Bundles::fit(config, &BASKETS, &CATEGORIES);
        let supported = fit(BundlesConfig { min_support: 2, ..all_rules() });
        assert_rules(supported.for_item(0, 5), &[rule(1, 3, 0.6, 0.96)]);
        assert_rules(supported.for_item(1, 5), &[rule(3, 2, 0.4, 1.6), rule(0, 3, 0.6, 0.96)]);
        assert!(supported.for_item(5, 5).is_empty());
        let lifted = fit(BundlesConfig { min_lift: 1.0, ..all_rules() });
        assert_rules(lifted.for_item(0, 5), &[rule(5, 1, 0.2, 1.6)]);
        let confident = fit(BundlesConfig { min_confidence: 0.5, ..all_rules() });
        assert_rules(confident.for_item(0, 5), &[rule(1, 3, 0.6, 0.96)]);
        let capped = fit(BundlesConfig { rules_per_item: 2, ..all_rules() });
        assert_eq!(capped.for_item(0, 5).len(), 2);
    }

    #[test]
    fn a_basket_over_the_cap_counts_as_its_first_distinct_items() {
        // With two items per basket, [0, 1, 3] counts as [0, 1] and [0, 1, 0] still as [0, 1]: brush 3
        // is left in one basket, with conditioner 1 only.
        let bundles = Bundles::fit(BundlesConfig { max_basket: 2, ..all_rules() }, &BASKETS, &CATEGORIES);
        assert_rules(bundles.for_item(0, 5), &[rule(5, 1, 0.2, 1.6), rule(1, 3, 0.6, 0.96)]);
        assert_rules(bundles.for_item(3, 5), &[rule(1, 1, 1.0, 8.0 / 5.0)]);
    }

    #[test]
    fn cart_suggestions_sum_lifts_skip_the_cart_and_its_categories() {
        let bundles = Bundles::fit(all_rules(), &BASKETS, &CATEGORIES);
        // Conditioners 5 and 1 share a category: with two per category both come, with one only 5.
        assert_eq!(items(&bundles.for_cart(&[0], 5)), [5, 1, 3]);
        let one_each = Bundles::fit(BundlesConfig { per_category: 1, ..all_rules() }, &BASKETS, &CATEGORIES);
        assert_eq!(items(&one_each.for_cart(&[0], 5)), [5, 3]);
        assert_eq!(items(&one_each.for_cart(&[0], 1)), [5]);
        // Brush 3 goes with both cart items; shampoo 2 and conditioner 5 are in the cart's categories.
        let suggested = bundles.for_cart(&[1, 0, 1, 99], 5);
        assert_eq!(suggested, [ScoredItem { item: 3, score: 0.8 + 1.6 }]);
        assert_eq!(bundles.for_cart(&[0, 1], 5), suggested);
        assert!(bundles.for_cart(&[], 5).is_empty());
    }

    fn any_baskets() -> impl Strategy<Value = Vec<Vec<ItemId>>> {
        proptest::collection::vec(proptest::collection::vec(0u32..10, 0..6), 0..30)
    }

    proptest! {
        #[test]
        fn rules_respect_thresholds_and_carts_get_only_complements(
            baskets in any_baskets(),
            cart in proptest::collection::vec(0u32..10, 0..4),
            min_support in 1u32..3,
            per_category in 1usize..3,
            k in 0usize..8,
        ) {
            let categories = [0, 1, 2, 0, 1, 2, 0, 1, 3, 3];
            let baskets: Vec<&[ItemId]> = baskets.iter().map(Vec::as_slice).collect();
            let config = BundlesConfig { min_support, per_category, min_lift: 0.0, ..BundlesConfig::default() };
            let bundles = Bundles::fit(config, &baskets, &categories);
            for item in 0..10 {
                let rules = bundles.for_item(item, 10);
                prop_assert!(rules.windows(2).all(|pair| strongest_first(&pair[0], &pair[1]).is_lt()));
                for rule in rules {
                    prop_assert!(rule.support >= min_support && rule.confidence <= 1.0 && rule.lift > 0.0);
                    prop_assert_ne!(categories[rule.item as usize], categories[item as usize]);
                }
            }
            let suggested = bundles.for_cart(&cart, k);
            prop_assert!(suggested.len() <= k);
            prop_assert!(suggested.windows(2).all(|pair| best_first(&pair[0], &pair[1]).is_lt()));
            for scored in &suggested {
                prop_assert!(!cart.contains(&scored.item));
                let category = categories[scored.item as usize];
                prop_assert!(cart.iter().all(|&item| categories[item as usize] != category));
                let same = suggested.iter().filter(|other| categories[other.item as usize] == category).count();
                prop_assert!(same <= per_category);
            }
        }
    }
}
