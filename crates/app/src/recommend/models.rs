//! The trained recommendation models of one version, and the one pipeline that
//! turns a strategy and a shopper's history into a ranked list: candidates from
//! each source, the blend, then the ranking stage with the business rules. The
//! server answers with it and `retail eval recommend` measures it, so the
//! offline figures are those of what is served.

use std::collections::HashMap;
use std::time::Instant;

use retail_recommend::rank::{
    Blend, Candidate, Catalogue as RankCatalogue, Diversity, Example, FeatureHasher, ItemFacts, LogisticConfig,
    LogisticModel, Normalisation, Ranker, Ranking, RankingFeatures, Rules, Similarity as DiversitySimilarity,
    SourceWeight as BlendWeight, auc,
};
use retail_recommend::{
    Als, AlsConfig, Bundles, BundlesConfig, ContentConfig, ContentSimilarity, DEFAULT_CUTOFFS, Evaluation,
    ItemAttributes, ItemId, ItemKnn, ItemKnnConfig, LeaveOneOut, Recommender, SasRec, SasRecConfig, Scope, ScoredItem,
    Target, Trending, TrendingConfig,
};
use serde::Serialize;

use crate::strategies::{Source, StrategyConfig};

/// Candidates each source proposes per request.
pub const DEPTH: usize = 100;
/// Most recent items of a cart bundles are looked up for.
const BUNDLE_CART: usize = 5;
/// Price bands of the ranking features.
const PRICE_BANDS: usize = 5;
/// Hashed category slots of the ranking features (2^bits), so a learnt model weighs per-category appeal.
const CATEGORY_BITS: u32 = 8;
/// The newest share of logged impressions a learnt ranking model is checked on before it may serve.
const HOLDOUT_SHARE: f64 = 0.2;
/// Fewest positive examples (clicks, or purchases) a ranking model is trained from.
const MIN_POSITIVES: usize = 30;

/// Everything the models learn from, as plain data over item ids `0..n_items`.
#[derive(Debug, Clone, Default)]
pub struct TrainingSet {
    pub n_items: usize,
    /// Each shopper's interactions in time order.
    pub sequences: Vec<Vec<ItemId>>,
    /// Category index per item (any number when categories are unknown).
    pub item_category: Vec<u32>,
    /// Brand, category and other attributes per item, for content similarity.
    pub attributes: Vec<ItemAttributes>,
    /// Weighted, dated events for the time-decayed popularity and trending lists.
    pub events: Vec<retail_recommend::Event>,
    /// Items bought together, for bundles.
    pub baskets: Vec<Vec<ItemId>>,
    /// Shelf price per item, when known: price bands and the revenue objective.
    pub prices: Vec<Option<f32>>,
    /// Logged recommendation lists, oldest first: what the click and conversion models learn from.
    pub shown: Vec<ShownList>,
}

/// One logged recommendation list: the shopper's history when it was shown and what became of each
/// item shown.
#[derive(Debug, Clone, Default)]
pub struct ShownList {
    pub history: Vec<ItemId>,
    pub items: Vec<Outcome>,
}

/// An item shown on a list, and whether the shopper clicked it or bought it from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub item: ItemId,
    pub clicked: bool,
    pub purchased: bool,
}

/// Training settings that are not hyperparameters of one model.
#[derive(Debug, Clone, Copy)]
pub struct TrainingOptions {
    /// Epochs of the sequence model; 0 leaves it out.
    pub sequence_epochs: usize,
    /// Most shoppers the sequence model trains on, evenly spaced; 0 for all.
    pub sequence_shoppers: usize,
    /// Users evaluated after training (an evenly spaced sample); 0 skips the evaluation.
    pub evaluation_users: usize,
}

/// Offline quality of one source or strategy on the held-out last interaction of each shopper.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Quality {
    /// A source name, or `strategy:<name>`.
    pub name: String,
    pub users: usize,
    pub hr_at_10: f64,
    pub ndcg_at_10: f64,
    pub hr_at_20: f64,
    pub ndcg_at_20: f64,
}

impl Quality {
    fn of(name: String, e: &Evaluation) -> Self {
        let at = |k| e.at(k).copied().unwrap_or(retail_recommend::Cutoff { k, hit_rate: 0.0, ndcg: 0.0 });
        Self {
            name,
            users: e.users,
            hr_at_10: at(10).hit_rate,
            ndcg_at_10: at(10).ndcg,
            hr_at_20: at(20).hit_rate,
            ndcg_at_20: at(20).ndcg,
        }
    }
}

/// What a fit did, for the model version record.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FitReport {
    pub items: usize,
    pub shoppers: usize,
    pub interactions: usize,
    pub baskets: usize,
    /// Seconds spent training each source.
    pub train_s: Vec<(String, f64)>,
    pub quality: Vec<Quality>,
    /// The click and conversion models learnt from logged impressions, per list of sources.
    pub ranking: Vec<RankingQuality>,
}

/// The click and conversion models of the strategies sharing one list of sources, and how they ordered
/// the newest logged impressions (held out from their training) against the blend score they replace.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RankingQuality {
    pub strategies: Vec<String>,
    pub impressions: usize,
    pub clicks: usize,
    pub purchases: usize,
    /// Held-out AUC of P(click) from the learnt model, and of the blend score, for clicks.
    pub click_auc: Option<f64>,
    pub blend_click_auc: Option<f64>,
    pub conversion_auc: Option<f64>,
    pub blend_conversion_auc: Option<f64>,
    /// Whether the strategies rank with the click (conversion) model: it was trained and beat the
    /// blend score on the held-out impressions. Otherwise the blend score ranks.
    pub click_model: bool,
    pub conversion_model: bool,
    /// The served click model's strongest weights, by feature name.
    pub click_weights: Vec<(String, f64)>,
}

/// A source and whether its weight is above zero (a source of weight 0 proposes nothing): the layout
/// a learnt ranking model reads. Its features are the sources' unweighted scores, so a strategy may
/// retune positive weights and keep its models.
type SourceLayout = Vec<(Source, bool)>;

fn layout(strategy: &StrategyConfig) -> SourceLayout {
    strategy.sources.iter().map(|s| (s.source, s.weight > 0.0)).collect()
}

/// Ranking models learnt for one [`SourceLayout`].
struct LearntRanking {
    layout: SourceLayout,
    features: RankingFeatures,
    click: Option<LogisticModel>,
    conversion: Option<LogisticModel>,
}

/// One logged impression as the ranking models see it.
struct Logged {
    features: Vec<(u32, f32)>,
    blend_score: f32,
    clicked: bool,
    purchased: bool,
}

/// A model for `label` fitted on the older impressions of `logged`, with its AUC and the blend
/// score's AUC on the newest [`HOLDOUT_SHARE`]; refitted on all of them when it beat the blend.
fn learn(
    logged: &[Logged],
    dimensions: usize,
    label: fn(&Logged) -> bool,
) -> (Option<LogisticModel>, Option<f64>, Option<f64>) {
    let split = logged.len() - (logged.len() as f64 * HOLDOUT_SHARE).round() as usize;
    let (older, newest) = logged.split_at(split);
    let examples = |rows: &[Logged]| -> Vec<Example> {
        rows.iter().map(|r| Example { features: r.features.clone(), label: label(r), weight: 1.0 }).collect()
    };
    let blend_auc = auc(&newest.iter().map(|r| (r.blend_score, label(r))).collect::<Vec<_>>());
    if older.iter().filter(|r| label(r)).count() < MIN_POSITIVES || blend_auc.is_none() {
        return (None, None, blend_auc);
    }
    let config = LogisticConfig::default();
    let (checked, _) = LogisticModel::fit(&examples(older), dimensions, &config);
    let model_auc = auc(&newest.iter().map(|r| (checked.probability(&r.features), label(r))).collect::<Vec<_>>());
    let better = model_auc.zip(blend_auc).is_some_and(|(model, blend)| model > blend);
    let served = better.then(|| LogisticModel::fit(&examples(logged), dimensions, &config).0);
    (served, model_auc, blend_auc)
}

/// The models of one training run.
pub struct Models {
    n_items: usize,
    item_category: Vec<u32>,
    trending: Trending,
    item_knn: ItemKnn,
    als: Als,
    sequential: Option<SasRec>,
    content: ContentSimilarity,
    bundles: Bundles,
    rank_catalogue: RankCatalogue,
    learnt: Vec<LearntRanking>,
}

/// Where a request's candidates come from beyond the shopper: their store, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    pub store: Option<u32>,
}

impl Models {
    /// Trains every source on all but each shopper's last two interactions (the last is held out to
    /// measure the models, the one before for choosing settings), then measures each source and each
    /// of `strategies` on the held-out items. The served models are the measured ones; the live
    /// history of a shopper, read at request time, includes the held-out items.
    pub fn fit(
        set: &TrainingSet,
        options: TrainingOptions,
        strategies: &[(String, StrategyConfig)],
        progress: &mut dyn FnMut(&str),
    ) -> (Self, FitReport) {
        let sequences: Vec<&[ItemId]> = set.sequences.iter().map(Vec::as_slice).collect();
        let split = LeaveOneOut::from_sequences(sequences, set.n_items).with_max_users(options.evaluation_users);
        let train = split.train();
        let mut train_s = Vec::new();
        let mut timed = |name: &str, progress: &mut dyn FnMut(&str), fit: &mut dyn FnMut()| {
            progress(name);
            let started = Instant::now();
            fit();
            train_s.push((name.to_string(), started.elapsed().as_secs_f64()));
        };

        let mut item_knn = ItemKnn::new(ItemKnnConfig::default());
        timed("item_knn", progress, &mut || item_knn.fit(train, set.n_items));
        let mut als = Als::new(AlsConfig::default());
        timed("als", progress, &mut || als.fit(train, set.n_items));
        let mut sequential = None;
        if options.sequence_epochs > 0 {
            let config = SasRecConfig { epochs: options.sequence_epochs, ..SasRecConfig::default() };
            let stride =
                if options.sequence_shoppers == 0 { 1 } else { train.len().div_ceil(options.sequence_shoppers) };
            let sample: Vec<&[ItemId]> = train.iter().step_by(stride.max(1)).copied().collect();
            timed("sequential", progress, &mut || {
                let mut model = SasRec::new(config);
                model.fit(&sample, set.n_items);
                sequential = Some(model);
            });
        }
        let mut content = ContentSimilarity::new(ContentConfig::default(), &set.attributes);
        timed("content", progress, &mut || content.fit(train, set.n_items));
        let mut trending = None;
        timed("trending", progress, &mut || {
            trending = Some(Trending::fit(TrendingConfig::default(), &set.events, &set.item_category))
        });
        let baskets: Vec<&[ItemId]> = set.baskets.iter().map(Vec::as_slice).collect();
        let mut bundles = None;
        timed("bundles", progress, &mut || {
            bundles = Some(Bundles::fit(BundlesConfig::default(), &baskets, &set.item_category))
        });
        let trending = trending.expect("fitted above");
        let popularity = trending.popular_scores(Scope::All);
        let facts = (0..set.n_items)
            .map(|item| ItemFacts {
                category: set.item_category.get(item).copied(),
                price: set.prices.get(item).copied().flatten(),
                popularity: popularity[item],
            })
            .collect();
        let mut models = Self {
            n_items: set.n_items,
            item_category: set.item_category.clone(),
            trending,
            item_knn,
            als,
            sequential,
            content,
            bundles: bundles.expect("fitted above"),
            rank_catalogue: RankCatalogue::new(facts, PRICE_BANDS),
            learnt: Vec::new(),
        };
        let mut ranking = Vec::new();
        if !set.shown.is_empty() {
            timed("ranking", progress, &mut || ranking = models.learn_ranking(&set.shown, strategies));
        }

        let mut quality = Vec::new();
        if options.evaluation_users > 0 {
            progress("evaluation");
            quality = models.evaluate_all(&split, strategies);
        }
        let report = FitReport {
            items: set.n_items,
            shoppers: set.sequences.len(),
            interactions: set.sequences.iter().map(Vec::len).sum(),
            baskets: set.baskets.len(),
            train_s,
            quality,
            ranking,
        };
        (models, report)
    }

    /// Learns click and conversion models from the logged lists for each layout of sources among
    /// `strategies`. Each impression's features are computed as serving computes them now: the
    /// candidates the trained sources propose for the history the shopper had when it was shown.
    fn learn_ranking(&mut self, shown: &[ShownList], strategies: &[(String, StrategyConfig)]) -> Vec<RankingQuality> {
        let mut layouts: Vec<(SourceLayout, Vec<String>, &StrategyConfig)> = Vec::new();
        for (name, strategy) in strategies {
            let layout = layout(strategy);
            match layouts.iter_mut().find(|(l, ..)| *l == layout) {
                Some((_, names, _)) => names.push(name.clone()),
                None => layouts.push((layout, vec![name.clone()], strategy)),
            }
        }
        // Each source's candidates once per list, shared by the layouts.
        let proposals: Vec<HashMap<Source, Vec<ScoredItem>>> = shown
            .iter()
            .map(|list| {
                let mut by_source = HashMap::new();
                for (source, _) in layouts.iter().flat_map(|(l, ..)| l).filter(|(_, on)| *on) {
                    by_source
                        .entry(*source)
                        .or_insert_with(|| self.candidates(*source, &list.history, Context::default(), &list.history));
                }
                by_source
            })
            .collect();
        let mut report = Vec::new();
        for (layout, names, strategy) in layouts {
            let blend = Self::blend(strategy);
            let features = RankingFeatures::new(&blend, &self.rank_catalogue, Some(FeatureHasher::new(CATEGORY_BITS)));
            let mut logged = Vec::new();
            for (list, proposed) in shown.iter().zip(&proposals) {
                let lists: Vec<Vec<ScoredItem>> = (layout.iter())
                    .map(|(source, on)| if *on { proposed[source].clone() } else { Vec::new() })
                    .collect();
                let candidates = blend.combine(&lists);
                let by_item: HashMap<ItemId, &Candidate> = candidates.iter().map(|c| (c.item, c)).collect();
                let affinity = self.rank_catalogue.affinity(&list.history);
                for outcome in &list.items {
                    let unproposed = Candidate { item: outcome.item, score: 0.0, sources: Vec::new() };
                    let candidate = by_item.get(&outcome.item).copied().unwrap_or(&unproposed);
                    logged.push(Logged {
                        features: features.encode(candidate, &self.rank_catalogue, &affinity),
                        blend_score: candidate.score,
                        clicked: outcome.clicked,
                        purchased: outcome.purchased,
                    });
                }
            }
            let dimensions = features.dimensions();
            let (click, click_auc, blend_click_auc) = learn(&logged, dimensions, |r| r.clicked);
            let (conversion, conversion_auc, blend_conversion_auc) = learn(&logged, dimensions, |r| r.purchased);
            report.push(RankingQuality {
                strategies: names,
                impressions: logged.len(),
                clicks: logged.iter().filter(|r| r.clicked).count(),
                purchases: logged.iter().filter(|r| r.purchased).count(),
                click_auc,
                blend_click_auc,
                conversion_auc,
                blend_conversion_auc,
                click_model: click.is_some(),
                conversion_model: conversion.is_some(),
                click_weights: click.as_ref().map(|m| features.explain(m, 8)).unwrap_or_default(),
            });
            self.learnt.push(LearntRanking { layout, features, click, conversion });
        }
        report
    }

    /// Test-item quality of each source alone and of each strategy's whole pipeline.
    fn evaluate_all(&self, split: &LeaveOneOut, strategies: &[(String, StrategyConfig)]) -> Vec<Quality> {
        let models = self;
        let mut quality = Vec::new();
        let mut sources: Vec<(&str, &dyn Recommender)> =
            vec![("item_knn", &models.item_knn), ("als", &models.als), ("content", &models.content)];
        if let Some(model) = &models.sequential {
            sources.push(("sequential", model));
        }
        for (name, model) in sources {
            let e = split.evaluate(model, Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {});
            quality.push(Quality::of(name.to_string(), &e));
        }
        for (name, strategy) in strategies {
            let e = models.evaluate_strategy(split, strategy, Target::Test, &DEFAULT_CUTOFFS);
            quality.push(Quality::of(format!("strategy:{name}"), &e));
        }
        quality
    }

    pub fn n_items(&self) -> usize {
        self.n_items
    }

    pub fn has_sequential(&self) -> bool {
        self.sequential.is_some()
    }

    fn scope(&self, context: Context) -> Scope {
        context.store.map_or(Scope::All, Scope::Store)
    }

    /// One source's candidates for a shopper with `history` (time order), never one of `exclude`.
    /// Personalised sources propose nothing for an empty history: their fallback is popularity, which
    /// has its own source.
    pub fn candidates(
        &self,
        source: Source,
        history: &[ItemId],
        context: Context,
        exclude: &[ItemId],
    ) -> Vec<ScoredItem> {
        let personal = |model: &dyn Recommender| {
            if history.is_empty() {
                return Vec::new();
            }
            let mut list = model.recommend(history, DEPTH, exclude);
            // Scores below zero are the model's popularity fallback, not a personal match.
            list.retain(|s| s.score > 0.0);
            list
        };
        let without_excluded = |mut list: Vec<ScoredItem>| {
            list.retain(|s| !exclude.contains(&s.item));
            list
        };
        match source {
            Source::Popular => without_excluded(self.trending.popular(self.scope(context), DEPTH + exclude.len())),
            Source::Trending => without_excluded(self.trending.trending(self.scope(context), DEPTH + exclude.len())),
            Source::ItemKnn => personal(&self.item_knn),
            Source::Als => personal(&self.als),
            Source::Sequential => self.sequential.as_ref().map_or_else(Vec::new, |model| personal(model)),
            Source::Content => personal(&self.content),
            Source::Bundles => {
                let cart = &history[history.len().saturating_sub(BUNDLE_CART)..];
                without_excluded(self.bundles.for_cart(cart, DEPTH + exclude.len()))
            }
        }
    }

    /// The strategy's blend of its sources.
    pub fn blend(strategy: &StrategyConfig) -> Blend {
        let weights = strategy.sources.iter().map(|s| BlendWeight::new(s.source.as_str(), s.weight)).collect();
        Blend::new(weights, Normalisation::default())
    }

    /// The ranked list for a shopper: blended candidates, then the rules, the strategy's objectives and
    /// its diversity settings.
    pub fn rank(
        &self,
        strategy: &StrategyConfig,
        history: &[ItemId],
        context: Context,
        rules: &Rules,
        k: usize,
    ) -> (Blend, Ranking) {
        let blend = Self::blend(strategy);
        let lists: Vec<Vec<ScoredItem>> =
            strategy
                .sources
                .iter()
                .map(|s| {
                    if s.weight > 0.0 { self.candidates(s.source, history, context, rules.exclude) } else { Vec::new() }
                })
                .collect();
        let candidates = blend.combine(&lists);
        let layout = layout(strategy);
        let learnt = self.learnt.iter().find(|l| l.layout == layout);
        let untrained;
        let (features, click, conversion) = match learnt {
            Some(l) => (&l.features, l.click.as_ref(), l.conversion.as_ref()),
            None => {
                untrained = RankingFeatures::new(&blend, &self.rank_catalogue, None);
                (&untrained, None, None)
            }
        };
        let ranker = Ranker {
            catalogue: &self.rank_catalogue,
            features,
            click,
            conversion,
            objectives: strategy.objectives,
            diversity: Diversity {
                // The strategy's "diversity" is the weight of variety; MMR's lambda that of relevance.
                lambda: 1.0 - strategy.rules.diversity,
                max_per_category: strategy.rules.max_per_category,
                similarity: DiversitySimilarity::SameCategory,
            },
        };
        let ranking = ranker.rank(&candidates, history, rules, k);
        (blend, ranking)
    }

    /// Leave-one-out quality of a strategy's whole pipeline, with the history masked and no stock rule.
    pub fn evaluate_strategy(
        &self,
        split: &LeaveOneOut,
        strategy: &StrategyConfig,
        target: Target,
        cutoffs: &[usize],
    ) -> Evaluation {
        let depth = cutoffs.iter().copied().max().unwrap_or(20);
        split.evaluate_with(
            &mut |history, scores| {
                scores.fill(f32::NEG_INFINITY);
                let rules = Rules { exclude: history, ..Rules::default() };
                let (_, ranking) = self.rank(strategy, history, Context::default(), &rules, depth);
                // Ranked order as descending scores, so the evaluation sees exactly the served order.
                for (position, ranked) in ranking.items.iter().enumerate() {
                    scores[ranked.item as usize] = (depth - position) as f32;
                }
            },
            target,
            cutoffs,
            &mut |_, _| {},
        )
    }

    /// The history item that most explains `item` for a source, for "because you looked at …".
    pub fn anchor(&self, source: Source, history: &[ItemId], item: ItemId) -> Option<ItemId> {
        let strength = |h: ItemId| -> f32 {
            match source {
                Source::ItemKnn => {
                    self.item_knn.related_items(h, DEPTH).iter().find(|s| s.item == item).map_or(0.0, |s| s.score)
                }
                Source::Bundles => {
                    self.bundles.for_item(h, DEPTH).iter().find(|r| r.item == item).map_or(0.0, |r| r.lift)
                }
                Source::Content => self.content.similarity(h, item),
                _ => 0.0,
            }
        };
        let mut best: Option<(ItemId, f32)> = None;
        for &h in history.iter().rev() {
            let s = strength(h);
            if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                best = Some((h, s));
            }
        }
        best.map(|(h, _)| h)
    }

    /// Items bought or viewed together with `item`, strongest first.
    pub fn related(&self, item: ItemId, k: usize) -> &[ScoredItem] {
        self.item_knn.related_items(item, k)
    }

    /// Complements of a cart (or one item), by association lift.
    pub fn bundles_for(&self, cart: &[ItemId], k: usize) -> Vec<ScoredItem> {
        self.bundles.for_cart(cart, k)
    }

    pub fn category(&self, item: ItemId) -> Option<u32> {
        self.item_category.get(item as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies;

    /// 40 items in 4 categories (item % 4). Shoppers mostly buy category-1 items, so those are the
    /// bestsellers; but on the logged lists shoppers clicked category-0 items only.
    fn world(lists: usize) -> TrainingSet {
        let n_items = 40;
        let sequences: Vec<Vec<ItemId>> = (0..120u32)
            .map(|user| (0..6).map(|step| (4 * ((user + step * 7) % 10) + u32::from(step % 3 != 0)) % 40).collect())
            .collect();
        let events = sequences
            .iter()
            .flatten()
            .map(|&item| retail_recommend::Event { item, age_days: 1.0, weight: 1.0, store: None })
            .collect();
        let shown = (0..lists)
            .map(|list| ShownList {
                history: Vec::new(),
                items: (0..8)
                    .map(|slot| {
                        let item = ((list * 3 + slot * 5) % n_items) as ItemId;
                        Outcome { item, clicked: item.is_multiple_of(4), purchased: false }
                    })
                    .collect(),
            })
            .collect();
        TrainingSet {
            n_items,
            sequences,
            item_category: (0..n_items as u32).map(|item| item % 4).collect(),
            attributes: vec![ItemAttributes::default(); n_items],
            events,
            baskets: Vec::new(),
            prices: vec![Some(10.0); n_items],
            shown,
        }
    }

    fn popular() -> Vec<(String, StrategyConfig)> {
        strategies::built_in().into_iter().filter(|(name, _)| name == "popular").collect()
    }

    fn options() -> TrainingOptions {
        TrainingOptions { sequence_epochs: 0, sequence_shoppers: 0, evaluation_users: 0 }
    }

    #[test]
    fn a_click_model_learnt_from_logged_lists_reorders_the_blend() {
        let strategies = popular();
        let (cold, cold_report) = Models::fit(&world(0), options(), &strategies, &mut |_| {});
        assert!(cold_report.ranking.is_empty(), "nothing logged, nothing learnt");
        let (warm, report) = Models::fit(&world(300), options(), &strategies, &mut |_| {});
        let [ranking] = &report.ranking[..] else { panic!("one layout: {:?}", report.ranking) };
        assert_eq!((ranking.strategies.as_slice(), ranking.impressions), (&["popular".to_string()][..], 2400));
        assert_eq!(ranking.clicks, 600);
        assert!(ranking.click_model && !ranking.conversion_model, "{ranking:?}");
        assert!(ranking.click_auc.unwrap() > 0.99 && ranking.blend_click_auc.unwrap() < 0.7, "{ranking:?}");
        assert!(ranking.click_weights[0].0.starts_with("category_hash:"), "{:?}", ranking.click_weights);

        let config = &strategies[0].1;
        let top = |models: &Models| {
            let (_, ranking) = models.rank(config, &[], Context::default(), &Rules::default(), 10);
            ranking.items.iter().map(|r| r.item).collect::<Vec<_>>()
        };
        assert!(top(&cold).iter().all(|item| item % 4 == 1), "bestsellers first before learning: {:?}", top(&cold));
        assert!(top(&warm).iter().all(|item| item % 4 == 0), "clicked category first after: {:?}", top(&warm));
    }

    #[test]
    fn a_model_that_does_not_beat_the_blend_is_not_served() {
        // Clicks on bestsellers only: the blend score already orders them perfectly.
        let mut set = world(300);
        for list in &mut set.shown {
            for outcome in &mut list.items {
                outcome.clicked = outcome.item % 4 == 1;
            }
        }
        let (_, report) = Models::fit(&set, options(), &popular(), &mut |_| {});
        let ranking = &report.ranking[0];
        assert_eq!(ranking.blend_click_auc, Some(1.0), "{ranking:?}");
        assert!(!ranking.click_model, "{ranking:?}");
    }
}
