//! Best sellers now, and what is taking off: the cold-start floor, per shop and per category.
//!
//! Both come from weighted events (a purchase can count more than a click) whose weight fades with age:
//! an event one half-life old counts half as much as one happening now. Time is the caller's: each
//! [`Event`] says how many days before the caller's "now" it happened, so the crate reads no clock.
//!
//! - Popular: the time-decayed weighted count with [`TrendingConfig::half_life_days`].
//! - Trending: an item's recent rate (short half-life) against its long-run rate (long half-life). A
//!   decayed sum `S` with half-life `h` estimates a steady rate as `S · ln 2 / h` events per day, so the
//!   two rates are comparable, and the score is `(recent rate + α) / (long-run rate + α)` with the prior
//!   rate `α` ([`TrendingConfig::smoothing`]) added to both: one sale of a brand-new item is a rise from
//!   nothing, but a small one next to `α`, while a best seller doubling its sales rises far above it.

use serde::{Deserialize, Serialize};

use crate::ranking::top_k;
use crate::{ItemId, ScoredItem};

/// Something a shopper did with an item, as plain data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub item: ItemId,
    /// How long before the caller's "now" it happened, in days. Negative ages (clock skew) count as now.
    pub age_days: f32,
    /// How much it counts, e.g. purchase 3, add to cart 2, click 1. Events with a weight that is not
    /// positive and finite, or an age that is NaN, are ignored.
    pub weight: f32,
    /// The shop it happened in; `None` for channels without one (online).
    pub store: Option<u32>,
}

/// Which events count and which items rank. A store restricts the events to that store's; a category
/// restricts the items to that category's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Every event, every item.
    All,
    /// Every event, items of the category.
    Category(u32),
    /// The store's events, every item.
    Store(u32),
    /// The store's events, items of the category: `StoreCategory(store, category)`.
    StoreCategory(u32, u32),
}

impl Scope {
    fn store(self) -> Option<u32> {
        match self {
            Scope::Store(store) | Scope::StoreCategory(store, _) => Some(store),
            Scope::All | Scope::Category(_) => None,
        }
    }

    fn category(self) -> Option<u32> {
        match self {
            Scope::Category(category) | Scope::StoreCategory(_, category) => Some(category),
            Scope::All | Scope::Store(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrendingConfig {
    /// Popularity: an event this many days old counts half as much as one happening now.
    pub half_life_days: f32,
    /// Trending: the half-life of the recent rate, which reacts within about this many days.
    pub recent_half_life_days: f32,
    /// Trending: the half-life of the long-run rate the recent one is compared with.
    pub baseline_half_life_days: f32,
    /// Trending: the prior rate `α`, in weighted events per day, added to both rates. Rises of an item
    /// selling well under `α` per day stay close to a score of 1, so noise does not top the list.
    pub smoothing: f32,
}

impl Default for TrendingConfig {
    fn default() -> Self {
        Self { half_life_days: 7.0, recent_half_life_days: 1.0, baseline_half_life_days: 28.0, smoothing: 1.0 }
    }
}

/// Time-decayed weighted event counts per item, overall and per store.
///
/// Memory is one entry per item plus one per (store, item) pair with at least one event, so 500 stores
/// that each sell a few thousand of 100k items cost a few million entries, not 50 million.
#[derive(Debug, Clone, PartialEq)]
pub struct Trending {
    config: TrendingConfig,
    item_category: Vec<u32>,
    /// Per item, over every event.
    totals: Vec<Decayed>,
    /// The (store, item) pairs with events, sorted by store then item.
    by_store: Vec<StoreItem>,
}

/// One item's events summed with the three half-lives.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Decayed {
    popular: f32,
    recent: f32,
    baseline: f32,
}

impl Decayed {
    fn add(&mut self, other: &Decayed) {
        self.popular += other.popular;
        self.recent += other.recent;
        self.baseline += other.baseline;
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct StoreItem {
    store: u32,
    item: ItemId,
    decayed: Decayed,
}

impl Trending {
    /// Sums `events` over a catalogue whose item `i` is in category `item_category[i]`. Events of items
    /// outside the catalogue are ignored.
    ///
    /// # Panics
    /// When a half-life or the smoothing is not positive.
    pub fn fit(config: TrendingConfig, events: &[Event], item_category: &[u32]) -> Self {
        let positive =
            [config.half_life_days, config.recent_half_life_days, config.baseline_half_life_days, config.smoothing];
        assert!(positive.iter().all(|&value| value > 0.0), "half-lives and smoothing must be positive: {config:?}");
        let n_items = item_category.len();
        let mut totals = vec![Decayed::default(); n_items];
        let mut by_store = Vec::new();
        for event in events {
            let counted = (event.item as usize) < n_items
                && event.weight > 0.0
                && event.weight.is_finite()
                && !event.age_days.is_nan();
            if !counted {
                continue;
            }
            let age = event.age_days.max(0.0);
            let decayed = |half_life: f32| event.weight * (-age / half_life).exp2();
            let decayed = Decayed {
                popular: decayed(config.half_life_days),
                recent: decayed(config.recent_half_life_days),
                baseline: decayed(config.baseline_half_life_days),
            };
            totals[event.item as usize].add(&decayed);
            if let Some(store) = event.store {
                by_store.push(StoreItem { store, item: event.item, decayed });
            }
        }
        // A stable sort keeps each pair's events in input order, so their sums are bit-identical run to run.
        by_store.sort_by_key(|entry| (entry.store, entry.item));
        by_store.dedup_by(|later, kept| {
            let same_pair = (later.store, later.item) == (kept.store, kept.item);
            if same_pair {
                kept.decayed.add(&later.decayed);
            }
            same_pair
        });
        Self { config, item_category: item_category.to_vec(), totals, by_store }
    }

    /// The `k` items with the highest time-decayed weighted count in `scope`, best first (ties by lower
    /// id). Only items with events in the scope are listed, so there may be fewer than `k`.
    pub fn popular(&self, scope: Scope, k: usize) -> Vec<ScoredItem> {
        let mut best = top_k(&self.popular_scores(scope), k);
        best.retain(|scored| scored.score > 0.0);
        best
    }

    /// The `k` items whose recent rate most exceeds their long-run rate in `scope`, best first (ties by
    /// lower id). Only rising items (score above 1) are listed, so there may be fewer than `k`.
    pub fn trending(&self, scope: Scope, k: usize) -> Vec<ScoredItem> {
        let mut best = top_k(&self.trending_scores(scope), k);
        best.retain(|scored| scored.score > 1.0);
        best
    }

    /// Every item's time-decayed weighted count in `scope`, indexed by item: 0 for an item without
    /// events there, and negative infinity (never ranked) for an item outside the scope's category.
    pub fn popular_scores(&self, scope: Scope) -> Vec<f32> {
        self.scores(scope, |decayed| decayed.popular)
    }

    /// Every item's trend score `(recent rate + α) / (long-run rate + α)` in `scope`, indexed by item:
    /// above 1 for a rising item, exactly 1 for one without events there, and negative infinity (never
    /// ranked) for an item outside the scope's category.
    pub fn trending_scores(&self, scope: Scope) -> Vec<f32> {
        let TrendingConfig { recent_half_life_days, baseline_half_life_days, smoothing, .. } = self.config;
        let rate = |sum: f32, half_life: f32| sum * std::f32::consts::LN_2 / half_life;
        self.scores(scope, |decayed| {
            (rate(decayed.recent, recent_half_life_days) + smoothing)
                / (rate(decayed.baseline, baseline_half_life_days) + smoothing)
        })
    }

    fn scores(&self, scope: Scope, score: impl Fn(&Decayed) -> f32) -> Vec<f32> {
        let without_events = score(&Decayed::default());
        let mut scores: Vec<f32> = match scope.category() {
            Some(wanted) => self
                .item_category
                .iter()
                .map(|&category| if category == wanted { without_events } else { f32::NEG_INFINITY })
                .collect(),
            None => vec![without_events; self.item_category.len()],
        };
        let mut set = |item: ItemId, decayed: &Decayed| {
            let slot = &mut scores[item as usize];
            if *slot != f32::NEG_INFINITY {
                *slot = score(decayed);
            }
        };
        match scope.store() {
            None => self.totals.iter().enumerate().for_each(|(item, decayed)| set(item as ItemId, decayed)),
            Some(store) => self.of_store(store).iter().for_each(|entry| set(entry.item, &entry.decayed)),
        }
        scores
    }

    fn of_store(&self, store: u32) -> &[StoreItem] {
        let start = self.by_store.partition_point(|entry| entry.store < store);
        let end = self.by_store.partition_point(|entry| entry.store <= store);
        &self.by_store[start..end]
    }
}

#[cfg(test)]
mod tests {
    use std::f32::consts::LN_2;

    use proptest::prelude::*;

    use super::*;
    use crate::test_support::assert_scored;

    /// Items 0, 1, 2 are in category 7, item 3 in category 8.
    const CATEGORIES: [u32; 4] = [7, 7, 7, 8];

    fn event(item: ItemId, age_days: f32, weight: f32, store: Option<u32>) -> Event {
        Event { item, age_days, weight, store }
    }

    fn config() -> TrendingConfig {
        TrendingConfig { half_life_days: 2.0, recent_half_life_days: 1.0, baseline_half_life_days: 4.0, smoothing: 1.0 }
    }

    /// Item 0: a purchase (3) four days ago in store 1 and a click (1) now online. Item 1: a click now in
    /// store 1 and another two days ago in store 2. Item 3: a purchase now in store 2.
    fn events() -> Vec<Event> {
        vec![
            event(0, 4.0, 3.0, Some(1)),
            event(0, 0.0, 1.0, None),
            event(1, 0.0, 1.0, Some(1)),
            event(1, 2.0, 1.0, Some(2)),
            event(3, 0.0, 3.0, Some(2)),
        ]
    }

    #[test]
    fn popular_counts_weighted_events_halved_every_half_life() {
        let model = Trending::fit(config(), &events(), &CATEGORIES);
        // Two days is one half-life: item 0 has 3/4 + 1, item 1 has 1 + 1/2.
        assert_scored(&model.popular(Scope::All, 10), &[(3, 3.0), (0, 1.75), (1, 1.5)]);
        assert_scored(&model.popular(Scope::All, 2), &[(3, 3.0), (0, 1.75)]);
        assert_scored(&model.popular(Scope::Category(7), 10), &[(0, 1.75), (1, 1.5)]);
        assert_scored(&model.popular(Scope::Store(1), 10), &[(1, 1.0), (0, 0.75)]);
        assert_scored(&model.popular(Scope::Store(2), 10), &[(3, 3.0), (1, 0.5)]);
        assert_scored(&model.popular(Scope::StoreCategory(2, 7), 10), &[(1, 0.5)]);
        assert!(model.popular(Scope::Store(3), 10).is_empty());
        assert!(model.popular(Scope::Category(9), 10).is_empty());
    }

    #[test]
    fn scores_cover_the_scope_and_mask_other_categories() {
        let model = Trending::fit(config(), &events(), &CATEGORIES);
        assert_eq!(model.popular_scores(Scope::Store(1)), [0.75, 1.0, 0.0, 0.0]);
        let masked = f32::NEG_INFINITY;
        assert_eq!(model.popular_scores(Scope::Category(8)), [masked, masked, masked, 3.0]);
        assert_eq!(model.trending_scores(Scope::StoreCategory(1, 8)), [masked, masked, masked, 1.0]);
    }

    #[test]
    fn trending_compares_smoothed_recent_and_long_run_rates() {
        let model = Trending::fit(config(), &events(), &CATEGORIES);
        // Rates are decayed sums times ln 2 / half-life: the recent half-life is 1 day, the long-run one 4.
        let trend = |recent: f32, baseline: f32| (recent * LN_2 + 1.0) / (baseline * LN_2 / 4.0 + 1.0);
        let item_0 = trend(3.0 / 16.0 + 1.0, 3.0 / 2.0 + 1.0);
        let item_1 = trend(1.0 + 1.0 / 4.0, 1.0 + 1.0 / 2f32.sqrt());
        let item_3 = trend(3.0, 3.0);
        // Item 1's older event is more recent than item 0's, but item 0's weighs more in the long run.
        assert!(item_3 > item_1 && item_1 > item_0 && item_0 > 1.0);
        assert_scored(&model.trending(Scope::All, 10), &[(3, item_3), (1, item_1), (0, item_0)]);
        // In store 1 item 0 only sold four days ago, so its recent rate fell below its long-run rate.
        assert!(trend(3.0 / 16.0, 3.0 / 2.0) < 1.0);
        assert_scored(&model.trending(Scope::Store(1), 10), &[(1, trend(1.0, 1.0))]);
    }

    #[test]
    fn smoothing_keeps_one_new_sale_below_a_best_seller_taking_off() {
        // Item 0 sold 4 a day for 28 days, then 16 today; item 1 is new with one sale today.
        let mut events: Vec<Event> = (1..=28).map(|day| event(0, day as f32, 4.0, None)).collect();
        events.push(event(0, 0.0, 16.0, None));
        events.push(event(1, 0.0, 1.0, None));
        let config = TrendingConfig { recent_half_life_days: 1.0, baseline_half_life_days: 14.0, ..config() };
        let ranked = Trending::fit(config, &events, &CATEGORIES).trending(Scope::All, 10);
        assert_eq!(ranked.iter().map(|scored| scored.item).collect::<Vec<_>>(), [0, 1]);
        let unsmoothed = Trending::fit(TrendingConfig { smoothing: 1e-6, ..config }, &events, &CATEGORIES);
        assert_eq!(unsmoothed.trending(Scope::All, 1)[0].item, 1);
    }

    #[test]
    fn ignores_unusable_events_and_counts_future_ones_as_now() {
        let events = [
            event(4, 0.0, 1.0, None),
            event(0, 0.0, 0.0, None),
            event(0, 0.0, -1.0, None),
            event(0, 0.0, f32::NAN, None),
            event(0, f32::NAN, 1.0, None),
            event(1, -3.0, 2.0, Some(5)),
        ];
        let model = Trending::fit(config(), &events, &CATEGORIES);
        assert_eq!(model.popular_scores(Scope::All), [0.0, 2.0, 0.0, 0.0]);
        assert_eq!(model.popular_scores(Scope::Store(5)), [0.0, 2.0, 0.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "must be positive")]
    fn rejects_a_zero_smoothing() {
        Trending::fit(TrendingConfig { smoothing: 0.0, ..config() }, &[], &CATEGORIES);
    }

    fn any_events() -> impl Strategy<Value = Vec<Event>> {
        let event = (0u32..6, -1.0f32..60.0, 0.0f32..5.0, proptest::option::of(0u32..3))
            .prop_map(|(item, age_days, weight, store)| Event { item, age_days, weight, store });
        proptest::collection::vec(event, 0..40)
    }

    fn any_scope() -> impl Strategy<Value = Scope> {
        prop_oneof![
            Just(Scope::All),
            (0u32..3).prop_map(Scope::Category),
            (0u32..4).prop_map(Scope::Store),
            (0u32..4, 0u32..3).prop_map(|(store, category)| Scope::StoreCategory(store, category)),
        ]
    }

    proptest! {
        #[test]
        fn scores_are_non_negative_and_lists_sorted_within_scope(
            events in any_events(),
            scope in any_scope(),
            k in 0usize..6,
        ) {
            let categories = [0, 1, 0, 2, 1];
            let model = Trending::fit(config(), &events, &categories);
            for scores in [model.popular_scores(scope), model.trending_scores(scope)] {
                for (item, score) in scores.iter().enumerate() {
                    let in_scope = scope.category().is_none_or(|category| categories[item] == category);
                    prop_assert_eq!(*score == f32::NEG_INFINITY, !in_scope);
                    prop_assert!(!in_scope || *score >= 0.0);
                }
            }
            for (listed, floor) in [(model.popular(scope, k), 0.0), (model.trending(scope, k), 1.0)] {
                prop_assert!(listed.len() <= k);
                prop_assert!(listed.windows(2).all(|pair| crate::ranking::best_first(&pair[0], &pair[1]).is_lt()));
                prop_assert!(listed.iter().all(|scored| scored.score > floor));
            }
        }

        #[test]
        fn store_counts_add_up_to_the_total(events in any_events()) {
            let model = Trending::fit(config(), &events, &[0; 6]);
            let online: Vec<Event> = events.iter().filter(|event| event.store.is_none()).copied().collect();
            let mut summed = Trending::fit(config(), &online, &[0; 6]).popular_scores(Scope::All);
            for store in 0..3 {
                for (sum, score) in summed.iter_mut().zip(model.popular_scores(Scope::Store(store))) {
                    *sum += score;
                }
            }
            for (sum, total) in summed.iter().zip(model.popular_scores(Scope::All)) {
                prop_assert!((sum - total).abs() <= 1e-4 * total.max(1.0), "{} != {}", sum, total);
            }
        }
    }
}
