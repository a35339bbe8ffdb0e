//! Serving recommendations: the models are fitted from stored behaviour, the
//! strategy comes from the running experiment of the recommendation surface (or
//! the default), and the exposure is logged when an experiment's variant is served.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use retail_domain::EventKind;
use retail_recommend::{ItemId, ItemKnn, ItemKnnConfig, Popularity, PopularityConfig, Recommender};
use retail_store::Interaction;
use serde::{Deserialize, Serialize};

use crate::experiments::{self, Served};
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

/// Behaviour that says a shopper wanted a product.
const TRAINING_KINDS: [EventKind; 3] = [EventKind::Click, EventKind::AddToCart, EventKind::Purchase];
/// Days of behaviour, ending on the last day of data, the models learn from.
const TRAINING_DAYS: u32 = 90;
/// How many of a shopper's latest interactions personalise their list.
const HISTORY_LEN: usize = 30;
/// Largest list one request may ask for.
pub const MAX_ITEMS: usize = 100;

/// The strategies the platform serves, by the name experiments and events use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Bestsellers of the training window (PopRec).
    Popular,
    /// "Customers who bought this also bought": item-to-item co-occurrence over
    /// the shopper's recent history, falling back to bestsellers.
    ItemKnn,
}

impl Strategy {
    pub const ALL: [Strategy; 2] = [Strategy::Popular, Strategy::ItemKnn];
    /// What a request gets when no experiment decides.
    pub const DEFAULT: Strategy = Strategy::ItemKnn;

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Popular => "popular",
            Strategy::ItemKnn => "item_knn",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Fitted models and what they were fitted on.
pub struct Models {
    products: Vec<String>,
    index: HashMap<String, ItemId>,
    histories: HashMap<String, Vec<ItemId>>,
    popularity: Popularity,
    item_knn: ItemKnn,
    pub fitted_at: DateTime<Utc>,
    pub interactions: usize,
}

impl Models {
    /// Fits both strategies on interactions ordered by customer, then time.
    pub fn fit(interactions: &[Interaction], fitted_at: DateTime<Utc>) -> Self {
        let mut products = Vec::new();
        let mut index = HashMap::new();
        let mut sequences: Vec<(String, Vec<ItemId>)> = Vec::new();
        for i in interactions {
            let item = *index.entry(i.product_id.clone()).or_insert_with(|| {
                products.push(i.product_id.clone());
                (products.len() - 1) as ItemId
            });
            match sequences.last_mut() {
                Some((customer, items)) if *customer == i.customer_id => items.push(item),
                _ => sequences.push((i.customer_id.clone(), vec![item])),
            }
        }
        let train: Vec<&[ItemId]> = sequences.iter().map(|(_, s)| s.as_slice()).collect();
        let mut popularity = Popularity::new(PopularityConfig::default());
        popularity.fit(&train, products.len());
        let mut item_knn = ItemKnn::new(ItemKnnConfig::default());
        item_knn.fit(&train, products.len());
        let histories = sequences
            .into_iter()
            .map(|(customer, items)| {
                let recent = items[items.len().saturating_sub(HISTORY_LEN)..].to_vec();
                (customer, recent)
            })
            .collect();
        Self { products, index, histories, popularity, item_knn, fitted_at, interactions: interactions.len() }
    }

    pub fn products(&self) -> usize {
        self.products.len()
    }

    /// The shopper's recent items: their stored history, then what they are
    /// looking at now (`context`, in order), which weighs most.
    fn history(&self, customer_id: Option<&str>, context: &[String]) -> Vec<ItemId> {
        let mut history = customer_id.and_then(|c| self.histories.get(c)).cloned().unwrap_or_default();
        history.extend(context.iter().filter_map(|p| self.index.get(p).copied()));
        history
    }

    fn model(&self, strategy: Strategy) -> &dyn Recommender {
        match strategy {
            Strategy::Popular => &self.popularity,
            Strategy::ItemKnn => &self.item_knn,
        }
    }

    /// The `k` best products for the shopper, never one of `context` or their history.
    pub fn recommend(
        &self,
        strategy: Strategy,
        customer_id: Option<&str>,
        context: &[String],
        k: usize,
    ) -> Vec<Scored> {
        let history = self.history(customer_id, context);
        self.model(strategy)
            .recommend(&history, k, &history)
            .into_iter()
            .map(|s| Scored { product_id: self.products[s.item as usize].clone(), score: s.score })
            .collect()
    }

    /// Products bought or viewed together with `product_id`, strongest first.
    pub fn related(&self, product_id: &str, k: usize) -> Option<Vec<Scored>> {
        let item = *self.index.get(product_id)?;
        Some(
            self.item_knn
                .related_items(item, k)
                .iter()
                .map(|s| Scored { product_id: self.products[s.item as usize].clone(), score: s.score })
                .collect(),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scored {
    pub product_id: String,
    pub score: f32,
}

/// The models the server answers with; replaced whole by a refit.
#[derive(Default)]
pub struct ModelSlot(RwLock<Option<Arc<Models>>>);

impl ModelSlot {
    fn get(&self) -> Option<Arc<Models>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, models: Arc<Models>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(models);
    }
}

/// Fits the models on the last [`TRAINING_DAYS`] days of data and swaps them in.
pub async fn refit(p: &Platform) -> ServiceResult<Arc<Models>> {
    let range = crate::reports::last_days_of_data(p, TRAINING_DAYS).await?;
    let since = range.from.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis();
    let interactions = p.store.customer_interactions(since, &TRAINING_KINDS).await?;
    let models = tokio::task::spawn_blocking(move || Models::fit(&interactions, Utc::now()))
        .await
        .map_err(|e| ServiceError::Internal(format!("fitting the recommenders failed: {e}")))?;
    let models = Arc::new(models);
    p.models.set(models.clone());
    tracing::info!(interactions = models.interactions, products = models.products(), "recommenders fitted");
    Ok(models)
}

/// The current models, fitting them on first use.
pub async fn models(p: &Platform) -> ServiceResult<Arc<Models>> {
    match p.models.get() {
        Some(m) => Ok(m),
        None => refit(p).await,
    }
}

/// A recommendation request from a storefront.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecommendationRequest {
    pub customer_id: Option<String>,
    pub session_id: Option<String>,
    /// Products the shopper is looking at or has in the cart now.
    pub context: Vec<String>,
    pub k: usize,
    /// Unit attributes for experiment targeting (e.g. `city`, `tier`).
    pub attributes: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recommendations {
    /// Send back as `request_id` on the impression and click events of this list.
    pub request_id: String,
    /// Send back as `strategy` on those events.
    pub strategy: Strategy,
    /// The experiment that chose the strategy, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<Served>,
    pub items: Vec<Scored>,
}

/// Answers a recommendation request: strategy from the running experiment of the
/// recommendation surface, exposure logged at the moment of serving.
pub async fn recommend(p: &Platform, req: &RecommendationRequest, at: DateTime<Utc>) -> ServiceResult<Recommendations> {
    if req.customer_id.is_none() && req.session_id.is_none() {
        return Err(invalid("customer_id", "a recommendation request needs a customer_id or a session_id"));
    }
    if req.k == 0 || req.k > MAX_ITEMS {
        return Err(invalid("k", format!("must be between 1 and {MAX_ITEMS}")));
    }
    let served = experiments::serve(
        p,
        experiments::Surface::Recommendations,
        req.customer_id.as_deref(),
        req.session_id.as_deref(),
        &req.attributes,
        at,
    )
    .await?;
    let strategy =
        served.as_ref().and_then(|s| s.payload.as_deref()).and_then(Strategy::parse).unwrap_or(Strategy::DEFAULT);
    let models = models(p).await?;
    let items = models.recommend(strategy, req.customer_id.as_deref(), &req.context, req.k);
    Ok(Recommendations { request_id: crate::ids::new_id("rec"), strategy, experiment: served, items })
}

/// "What goes with what": products bought or viewed together with `product_id`.
pub async fn related(p: &Platform, product_id: &str, k: usize) -> ServiceResult<Vec<Scored>> {
    if k == 0 || k > MAX_ITEMS {
        return Err(invalid("k", format!("must be between 1 and {MAX_ITEMS}")));
    }
    let models = models(p).await?;
    match models.related(product_id, k) {
        Some(items) => Ok(items),
        None if p.store.get_doc(retail_domain::EntityKind::Product, product_id).await?.is_some() => Ok(Vec::new()),
        None => Err(ServiceError::NotFound { kind: "product", id: product_id.to_string() }),
    }
}
