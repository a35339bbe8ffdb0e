//! The trained recommendation models of one version, and the one pipeline that
//! turns a strategy and a shopper's history into a ranked list: candidates from
//! each source, the blend, then the ranking stage with the business rules. The
//! server answers with it and `retail eval recommend` measures it, so the
//! offline figures are those of what is served.

use std::time::Instant;

use retail_recommend::rank::{
    Blend, Catalogue as RankCatalogue, Diversity, ItemFacts, Normalisation, Ranker, Ranking, RankingFeatures, Rules,
    Similarity as DiversitySimilarity, SourceWeight as BlendWeight,
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
}

/// Training settings that are not hyperparameters of one model.
#[derive(Debug, Clone, Copy)]
pub struct TrainingOptions {
    /// Epochs of the sequence model; 0 leaves it out.
    pub sequence_epochs: usize,
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
            timed("sequential", progress, &mut || {
                let mut model = SasRec::new(config);
                model.fit(train, set.n_items);
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
                price: None,
                popularity: popularity[item],
            })
            .collect();
        let models = Self {
            n_items: set.n_items,
            item_category: set.item_category.clone(),
            trending,
            item_knn,
            als,
            sequential,
            content,
            bundles: bundles.expect("fitted above"),
            rank_catalogue: RankCatalogue::new(facts, 1),
        };

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
        };
        (models, report)
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
        let features = RankingFeatures::new(&blend, &self.rank_catalogue, None);
        let ranker = Ranker {
            catalogue: &self.rank_catalogue,
            features: &features,
            click: None,
            conversion: None,
            objectives: strategy.objectives,
            diversity: Diversity {
                lambda: strategy.rules.diversity,
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
