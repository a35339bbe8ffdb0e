//! The ranking stage: from the candidate lists of several sources to the list a shopper sees.
//!
//! 1. [`Blend`]: each source's top-N list (item-kNN, popularity, a content or bundle lookup, ...) is
//!    normalised and summed with the source's weight into [`Candidate`]s that remember what each
//!    source added. [`BlendedRecommender`] does this for [`Recommender`](crate::Recommender)s and is
//!    itself one: the production default.
//! 2. [`Ranker::rank`], per request: [`Rules`] remove what may not be shown; the click and conversion
//!    models ([`LogisticModel`] over [`RankingFeatures`]) predict P(click) and P(purchase) and
//!    [`Objectives`] weigh them into the score (without trained models, the blend score is the
//!    score); boosts multiply it; buried items go to the end; [`Diversity`] re-ranks and caps
//!    categories; the list is cut at `k`, and a [`Ranking`] shorter than `k` says so.
//!
//! Every step orders ties by the lower item id, so equal input gives equal output.

mod blend;
mod click_model;
mod diversity;
mod features;
mod rules;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

pub use blend::{Blend, BlendedRecommender, Candidate, Normalisation, SourceScore, SourceWeight, top_n};
pub use click_model::{Example, FitSummary, LogisticConfig, LogisticModel, auc};
pub use diversity::{Diversity, Similarity};
pub use features::{Catalogue, CategoryAffinity, CategoryId, FeatureHasher, ItemFacts, RankingFeatures};
pub use rules::Rules;

use crate::{ItemId, ScoredItem};
use diversity::Pick;

/// What a good recommendation is worth, as weights of the predicted outcomes:
/// `click · P(click) + conversion · P(purchase) + revenue · P(purchase) · price / mean price`.
/// The revenue term divides by the catalogue's mean price, so all three weights are unitless and a
/// weight of 1 on revenue values an average-priced sale like a weight of 1 on conversion does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Objectives {
    pub click: f32,
    pub conversion: f32,
    pub revenue: f32,
}

impl Default for Objectives {
    /// Rank by the chance of a click, the only outcome a young model has many examples of.
    fn default() -> Self {
        Self { click: 1.0, conversion: 0.0, revenue: 0.0 }
    }
}

impl Objectives {
    /// The weighted sum over the predicted outcomes, `relative_value` being price over mean price. A term
    /// whose probability is missing (no model trained for it) is left out; when no term is left, or
    /// every term left has weight 0 (a cold platform), the score is `blend_score`.
    pub fn score(&self, blend_score: f32, p_click: Option<f32>, p_conversion: Option<f32>, relative_value: f32) -> f32 {
        let terms = [
            (self.click, p_click),
            (self.conversion, p_conversion),
            (self.revenue, p_conversion.map(|p| p * relative_value)),
        ];
        let mut used = false;
        let mut score = 0.0;
        for (weight, value) in terms {
            if let Some(value) = value
                && weight != 0.0
            {
                score += weight * value;
                used = true;
            }
        }
        if used { score } else { blend_score }
    }
}

/// One item of the final list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub item: ItemId,
    /// The score the list is ordered by (before diversity): the objectives' or the blend's, boosted.
    pub score: f32,
    pub p_click: Option<f32>,
    pub p_conversion: Option<f32>,
    /// `(source index, contribution)` to the blend score for each source that proposed the item.
    pub contributions: Vec<(usize, f32)>,
}

impl Ranked {
    /// The name of the source that contributed most, for "recommended because ...".
    pub fn explain<'b>(&self, blend: &'b Blend) -> Option<&'b str> {
        blend.top_source(&self.contributions)
    }
}

/// The final list, and how far it falls short of what was asked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    pub items: Vec<Ranked>,
    /// How many fewer than the `k` asked for the rules and the category cap left; 0 for a full list.
    /// A server seeing a shortfall can say it fell back, or fill up from another source.
    pub shortfall: usize,
}

impl Ranking {
    pub fn fell_short(&self) -> bool {
        self.shortfall > 0
    }

    /// Each item with the source that contributed most to it, in list order.
    pub fn explain<'b>(&self, blend: &'b Blend) -> Vec<(ItemId, Option<&'b str>)> {
        self.items.iter().map(|ranked| (ranked.item, ranked.explain(blend))).collect()
    }
}

/// Everything about ranking that does not change between requests: the catalogue, the models (none
/// on a cold platform), the objectives and the diversity settings.
#[derive(Clone, Copy)]
pub struct Ranker<'a> {
    pub catalogue: &'a Catalogue,
    /// The layout the models were trained with.
    pub features: &'a RankingFeatures,
    pub click: Option<&'a LogisticModel>,
    pub conversion: Option<&'a LogisticModel>,
    pub objectives: Objectives,
    pub diversity: Diversity<'a>,
}

impl Ranker<'_> {
    /// The `k` best of `candidates` (as [`Blend::combine`] returns them) for a shopper with `history`
    /// under `rules`: filter, score, boost, bury, diversify, cut. An item repeated in `candidates`
    /// counts once, at its first occurrence.
    pub fn rank(&self, candidates: &[Candidate], history: &[ItemId], rules: &Rules, k: usize) -> Ranking {
        let rules = rules.prepare();
        let affinity = self.catalogue.affinity(history);
        let mut features = Vec::new();
        let mut seen = HashSet::new();
        let mut pool: Vec<Pick> = Vec::with_capacity(candidates.len());
        // The candidate and its predictions behind each entry of `pool`.
        let mut kept: Vec<(&Candidate, Option<f32>, Option<f32>)> = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            if !rules.admits(candidate.item) || !seen.insert(candidate.item) {
                continue;
            }
            if self.click.is_some() || self.conversion.is_some() {
                self.features.encode_into(candidate, self.catalogue, &affinity, &mut features);
            }
            let p_click = self.click.map(|model| model.probability(&features));
            let p_conversion = self.conversion.map(|model| model.probability(&features));
            let value = self.catalogue.relative_value(candidate.item);
            let score = self.objectives.score(candidate.score, p_click, p_conversion, value);
            let scored = ScoredItem { item: candidate.item, score: score * rules.boost(candidate.item) };
            pool.push(Pick { scored, buried: rules.buries(candidate.item) });
            kept.push((candidate, p_click, p_conversion));
        }
        let items: Vec<Ranked> = (self.diversity.select(&pool, k, self.catalogue).into_iter())
            .map(|index| {
                let (candidate, p_click, p_conversion) = kept[index];
                Ranked {
                    item: candidate.item,
                    score: pool[index].scored.score,
                    p_click,
                    p_conversion,
                    contributions: candidate.contributions(),
                }
            })
            .collect();
        Ranking { shortfall: k.saturating_sub(items.len()), items }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ranking::best_first;

    /// Items 0..8: (category, price, popularity). Prices 10, 10, 10, 20, 20, 30, 40 make two price
    /// bands split at 20, and a mean price of 20.
    fn catalogue() -> Catalogue {
        let facts = [
            (Some(0), Some(10.0), 100.0),
            (Some(0), Some(20.0), 10.0),
            (Some(1), Some(10.0), 50.0),
            (Some(1), Some(40.0), 0.0),
            (Some(2), Some(20.0), 5.0),
            (None, None, 0.0),
            (Some(2), Some(30.0), 1.0),
            (Some(0), Some(10.0), 0.0),
        ];
        let facts = facts.map(|(category, price, popularity)| ItemFacts { category, price, popularity });
        Catalogue::new(facts.to_vec(), 2)
    }

    fn blend() -> Blend {
        Blend::new(
            vec![SourceWeight::new("knn", 1.0), SourceWeight::new("popular", 0.5)],
            Normalisation::ReciprocalRank { offset: 0.0 },
        )
    }

    fn scored(items: &[ItemId]) -> Vec<ScoredItem> {
        items.iter().enumerate().map(|(rank, &item)| ScoredItem { item, score: 10.0 - rank as f32 }).collect()
    }

    /// knn proposes 3, 1, 2, 5 (1, 1/2, 1/3, 1/4) and popular 0, 2, 4 (halved: 1/2, 1/4, 1/6). Blended:
    /// 3 1, 2 7/12, 0 1/2, 1 1/2, 5 1/4, 4 1/6.
    fn candidates() -> Vec<Candidate> {
        blend().combine(&[scored(&[3, 1, 2, 5]), scored(&[0, 2, 4])])
    }

    fn ranker<'a>(catalogue: &'a Catalogue, features: &'a RankingFeatures) -> Ranker<'a> {
        Ranker {
            catalogue,
            features,
            click: None,
            conversion: None,
            objectives: Objectives::default(),
            diversity: Diversity::default(),
        }
    }

    fn items(ranking: &Ranking) -> Vec<ItemId> {
        ranking.items.iter().map(|ranked| ranked.item).collect()
    }

    #[test]
    fn a_cold_platform_ranks_by_the_blend_and_explains_each_item() {
        let (catalogue, blend) = (catalogue(), blend());
        let features = RankingFeatures::new(&blend, &catalogue, None);
        let ranking = ranker(&catalogue, &features).rank(&candidates(), &[], &Rules::default(), 4);
        assert_eq!(items(&ranking), [3, 2, 0, 1]);
        let scores: Vec<f32> = ranking.items.iter().map(|ranked| ranked.score).collect();
        assert_eq!(scores, [1.0, 1.0 / 3.0 + 0.25, 0.5, 0.5]);
        assert!(ranking.items.iter().all(|ranked| ranked.p_click.is_none() && ranked.p_conversion.is_none()));
        assert_eq!(ranking.items[1].contributions, [(0, 1.0 / 3.0), (1, 0.25)]);
        assert_eq!(
            ranking.explain(&blend),
            [(3, Some("knn")), (2, Some("knn")), (0, Some("popular")), (1, Some("knn"))]
        );
        assert!(!ranking.fell_short());
    }

    #[test]
    fn rules_filter_then_boost_then_bury_and_a_shortfall_is_reported() {
        let catalogue = catalogue();
        let features = RankingFeatures::new(&blend(), &catalogue, None);
        let not_two = |item: ItemId| item != 2;
        let rules = Rules { allowed: &not_two, exclude: &[3], boost: vec![(4, 4.0)], bury: vec![0] };
        let ranking = ranker(&catalogue, &features).rank(&candidates(), &[], &rules, 5);
        // Left: 1 (1/2), 0 (1/2, buried), 5 (1/4), 4 (1/6 boosted to 2/3).
        assert_eq!(items(&ranking), [4, 1, 5, 0]);
        assert!((ranking.items[0].score - 4.0 / 6.0).abs() < 1e-6);
        assert_eq!(ranking.shortfall, 1);
        assert!(ranking.fell_short());
    }

    #[test]
    fn models_and_objectives_set_the_order() {
        let (catalogue, blend) = (catalogue(), blend());
        let features = RankingFeatures::new(&blend, &catalogue, None);
        // Layout: source:knn, source:popular, log_popularity, category_affinity, price_band:0, price_band:1.
        assert_eq!(features.dimensions(), 6);
        let click = LogisticModel::new(-1.0, vec![0.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
        let conversion = LogisticModel::new(-2.0, vec![0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        let ranker = Ranker {
            click: Some(&click),
            conversion: Some(&conversion),
            objectives: Objectives { click: 1.0, conversion: 0.0, revenue: 1.0 },
            ..ranker(&catalogue, &features)
        };
        // The history is all category 0: P(click) is σ(1) there and σ(-1) elsewhere. P(purchase) is
        // σ(-1) in the upper price band, else σ(-2). Score = P(click) + P(purchase) · price / 20.
        let ranking = ranker.rank(&candidates(), &[7, 1], &Rules::default(), 6);
        let s = |x: f32| 1.0 / (1.0 + (-x).exp());
        let expected = [
            (1, s(1.0) + s(-1.0)),
            (3, s(-1.0) + s(-1.0) * 2.0),
            (0, s(1.0) + s(-2.0) * 0.5),
            (4, s(-1.0) + s(-1.0)),
            (5, s(-1.0) + s(-2.0)),
            (2, s(-1.0) + s(-2.0) * 0.5),
        ];
        assert_eq!(items(&ranking), expected.map(|(item, _)| item));
        for (ranked, (_, score)) in ranking.items.iter().zip(expected) {
            assert!((ranked.score - score).abs() < 1e-6, "item {}: {} != {score}", ranked.item, ranked.score);
        }
        assert!((ranking.items[0].p_click.unwrap() - s(1.0)).abs() < 1e-6);
        assert!((ranking.items[0].p_conversion.unwrap() - s(-1.0)).abs() < 1e-6);
        assert_eq!(features.explain(&click, 3), [("category_affinity".to_string(), 2.0)]);
        assert_eq!(features.explain(&conversion, 3), [("price_band:1".to_string(), 1.0)]);
    }

    #[test]
    fn objectives_fall_back_to_the_blend_score_without_a_usable_model() {
        let objectives = Objectives { click: 0.0, conversion: 2.0, revenue: 1.0 };
        assert_eq!(objectives.score(0.7, Some(0.5), Some(0.25), 3.0), 2.0 * 0.25 + 0.25 * 3.0);
        assert_eq!(objectives.score(0.7, Some(0.5), None, 3.0), 0.7);
        assert_eq!(objectives.score(0.7, None, None, 3.0), 0.7);
        assert_eq!(Objectives::default().score(0.7, Some(0.5), None, 1.0), 0.5);
    }

    #[test]
    fn the_category_cap_applies_after_the_rules() {
        let catalogue = catalogue();
        let features = RankingFeatures::new(&blend(), &catalogue, None);
        let capped = Ranker {
            diversity: Diversity { max_per_category: Some(1), ..Diversity::default() },
            ..ranker(&catalogue, &features)
        };
        // 3 takes category 1 (so 2 is out), 0 category 0 (so 1 is out), then 5 (none) and 4 (category 2).
        let ranking = capped.rank(&candidates(), &[], &Rules::default(), 5);
        assert_eq!((items(&ranking), ranking.shortfall), (vec![3, 0, 5, 4], 1));
    }

    fn any_list() -> impl Strategy<Value = Vec<ScoredItem>> {
        prop::collection::vec((0u32..30, 0.0f32..10.0), 0..20).prop_map(|entries| {
            let mut list: Vec<ScoredItem> =
                entries.into_iter().map(|(item, score)| ScoredItem { item, score }).collect();
            list.sort_by(best_first);
            list
        })
    }

    /// Items 0..30: category `item % 4`, none for multiples of 7.
    fn wide_catalogue() -> Catalogue {
        let facts =
            (0..30).map(|item| ItemFacts { category: (item % 7 != 0).then_some(item % 4), ..ItemFacts::default() });
        Catalogue::new(facts.collect(), 1)
    }

    proptest! {
        #[test]
        fn blended_scores_are_the_sums_of_contributions(knn in any_list(), popular in any_list(), rr in any::<bool>()) {
            let normalisation = if rr { Normalisation::ReciprocalRank { offset: 3.0 } } else { Normalisation::MinMax };
            let blend = Blend { normalisation, ..blend() };
            let candidates = blend.combine(&[&knn, &popular]);
            let mut proposed: Vec<ItemId> = knn.iter().chain(&popular).map(|scored| scored.item).collect();
            proposed.sort_unstable();
            proposed.dedup();
            let mut items: Vec<ItemId> = candidates.iter().map(|candidate| candidate.item).collect();
            items.sort_unstable();
            prop_assert_eq!(items, proposed);
            for candidate in &candidates {
                let sum: f32 = candidate.sources.iter().map(|source| source.contribution).sum();
                prop_assert!((sum - candidate.score).abs() < 1e-5);
                for source in &candidate.sources {
                    prop_assert!((0.0..=1.0).contains(&source.normalised));
                }
            }
            prop_assert!(candidates.windows(2).all(|pair| best_first(&pair[0].scored(), &pair[1].scored()).is_le()));
        }

        #[test]
        fn rankings_respect_the_rules_and_the_length(
            knn in any_list(),
            popular in any_list(),
            allowed_bits in any::<u32>(),
            exclude in prop::collection::vec(0u32..30, 0..6),
            boost in prop::collection::vec((0u32..30, 0.0f32..3.0), 0..6),
            bury in prop::collection::vec(0u32..30, 0..6),
            k in 0usize..25,
            lambda in 0.0f32..=1.0,
            cap in prop::option::of(1usize..4),
        ) {
            let catalogue = wide_catalogue();
            let blend = blend();
            let features = RankingFeatures::new(&blend, &catalogue, None);
            let diversity = Diversity { lambda, max_per_category: cap, similarity: Similarity::SameCategory };
            let ranker = Ranker { diversity, ..ranker(&catalogue, &features) };
            let allowed = |item: ItemId| allowed_bits & (1 << item) != 0;
            let rules = Rules { allowed: &allowed, exclude: &exclude, boost, bury: bury.clone() };
            let candidates = blend.combine(&[&knn, &popular]);
            let ranking = ranker.rank(&candidates, &[], &rules, k);

            let eligible = candidates.iter().filter(|c| allowed(c.item) && !exclude.contains(&c.item)).count();
            let shown = items(&ranking);
            prop_assert!(shown.iter().all(|item| allowed(*item) && !exclude.contains(item)));
            let mut distinct = shown.clone();
            distinct.sort_unstable();
            distinct.dedup();
            prop_assert_eq!(distinct.len(), shown.len());
            match cap {
                None => prop_assert_eq!(shown.len(), k.min(eligible)),
                Some(cap) => {
                    prop_assert!(shown.len() <= k.min(eligible));
                    for category in 0..4 {
                        prop_assert!(shown.iter().filter(|&&item| catalogue.category(item) == Some(category)).count() <= cap);
                    }
                }
            }
            prop_assert_eq!(ranking.shortfall, k - shown.len());
            let first_buried = shown.iter().position(|item| bury.contains(item)).unwrap_or(shown.len());
            prop_assert!(shown[first_buried..].iter().all(|item| bury.contains(item)));
            prop_assert_eq!(&ranking, &ranker.rank(&candidates, &[], &rules, k));
        }
    }
}
