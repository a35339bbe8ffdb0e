//! Serving recommendations. The models are trained from stored behaviour (on
//! demand, on a schedule and on request), versioned, recorded with their
//! offline quality and swapped in whole. A request names a strategy or gets the
//! one the running experiment of the recommendation surface assigns; the
//! shopper's history is read from the stored events at request time, so a view
//! or a cart addition changes the next list at once; the business rules (stock
//! at the shopper's store or for delivery, durables already bought, category
//! filters, boosts and burials) apply to every list; each item says why.

pub mod models;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use retail_domain::{Category, EntityKind, EventKind, Location, LocationKind, Product, ProductStatus, Text};
use retail_recommend::rank::Rules;
use retail_recommend::{Event as DatedEvent, ItemAttributes, ItemId};
use retail_store::{EventUnit, ImpressionOutcome, Interaction, ModelVersionRecord};
use serde::{Deserialize, Serialize};

pub use models::{
    Context, FitReport, Models, Outcome, Quality, RankingQuality, ShownList, TrainingOptions, TrainingSet,
};

use crate::experiments::{self, Served};
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, all_docs, invalid};
use crate::strategies::{self, Source, StrategyConfig};

/// Behaviour that says a shopper wanted a product.
const TRAINING_KINDS: [EventKind; 3] = [EventKind::Click, EventKind::AddToCart, EventKind::Purchase];
/// Behaviour that personalises a shopper's next list, views included.
const HISTORY_KINDS: [EventKind; 4] = [EventKind::View, EventKind::Click, EventKind::AddToCart, EventKind::Purchase];
/// Days of behaviour, ending on the last day of data, the models learn from.
const TRAINING_DAYS: u32 = 90;
/// How many of a shopper's latest interactions personalise their list.
const HISTORY_LEN: u32 = 30;
/// Latest logged impressions the click and conversion models learn from.
const RANKING_IMPRESSIONS: u32 = 200_000;
/// Largest list one request may ask for.
pub const MAX_ITEMS: usize = 100;
/// Shoppers whose held-out item measures each trained version.
const EVALUATION_USERS: usize = 2_000;
/// How long a location's stock is trusted before it is read again.
const STOCK_TTL: StdDuration = StdDuration::from_secs(30);
const DAY_MS: f32 = 86_400_000.0;

/// The product catalogue as the models index it.
struct Catalogue {
    ids: Vec<String>,
    index: HashMap<String, ItemId>,
    names: Vec<Text>,
    /// Per category index: the category and its ancestors, so a filter on a parent takes its children.
    lineage: Vec<Vec<String>>,
    category_index: HashMap<String, u32>,
    /// Every category, leaf or not.
    known_categories: HashSet<String>,
    consumable: Vec<bool>,
    /// Store index of each location the models saw events at.
    stores: HashMap<String, u32>,
    /// Where delivery orders are picked: online fulfilment points and distribution centres.
    delivery_locations: Vec<String>,
}

impl Catalogue {
    fn item(&self, product_id: &str) -> Option<ItemId> {
        self.index.get(product_id).copied()
    }

    fn items(&self, product_ids: &[String]) -> Vec<ItemId> {
        product_ids.iter().filter_map(|p| self.item(p)).collect()
    }
}

/// One trained version of the models with the catalogue they index.
pub struct Trained {
    pub version: String,
    pub trained_at: DateTime<Utc>,
    pub report: FitReport,
    pub models: Models,
    catalogue: Catalogue,
}

impl Trained {
    pub fn products(&self) -> usize {
        self.catalogue.ids.len()
    }

    /// This version as listed, serving on this server.
    pub fn as_version(&self) -> ModelVersion {
        ModelVersion {
            version: self.version.clone(),
            trained_at: self.trained_at,
            serving: true,
            report: serde_json::to_value(&self.report).expect("a report serialises"),
        }
    }

    fn product(&self, item: ItemId) -> &str {
        &self.catalogue.ids[item as usize]
    }
}

/// Availability per (model version, location), with when it was read.
type StockSnapshots = HashMap<(String, String), (Instant, Arc<Vec<bool>>)>;

/// The models the server answers with, replaced whole by a refit, and the
/// short-lived stock snapshots the in-stock rule reads.
#[derive(Default)]
pub struct ModelSlot {
    current: RwLock<Option<Arc<Trained>>>,
    /// One refit at a time: a second caller waits and then uses the fresh models.
    fitting: tokio::sync::Mutex<()>,
    stock: Mutex<StockSnapshots>,
}

impl ModelSlot {
    fn get(&self) -> Option<Arc<Trained>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, trained: Arc<Trained>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(trained);
        self.stock.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Interns strings as dense ids in order of first appearance.
#[derive(Default)]
struct Interner(HashMap<String, u32>);

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(s.to_string()).or_insert(next)
    }
}

/// The catalogue and training set from the stored products, categories, locations and interactions.
fn training_set(
    products: Vec<Product>,
    categories: &[Category],
    locations: &[Location],
    interactions: &[Interaction],
) -> (Catalogue, TrainingSet) {
    let mut products: Vec<Product> = products.into_iter().filter(|p| p.status == ProductStatus::Active).collect();
    products.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let consumable: HashSet<&str> =
        categories.iter().filter(|c| c.consumable).map(|c| c.external_id.as_str()).collect();
    let mut category_index = Interner::default();
    let (mut brands, mut tokens) = (Interner::default(), Interner::default());
    let mut set = TrainingSet { n_items: products.len(), ..Default::default() };
    for p in &products {
        let category = category_index.id(&p.category_id);
        set.item_category.push(category);
        set.prices.push((p.price.amount_minor > 0).then_some(p.price.amount_minor as f32));
        set.attributes.push(ItemAttributes {
            category: Some(category),
            brand: (!p.brand.is_empty()).then(|| brands.id(&p.brand)),
            tokens: p.attributes.iter().map(|(k, v)| tokens.id(&format!("{k}={v}"))).collect(),
        });
    }
    let mut catalogue = Catalogue {
        index: products.iter().enumerate().map(|(i, p)| (p.external_id.clone(), i as ItemId)).collect(),
        consumable: products.iter().map(|p| consumable.contains(p.category_id.as_str())).collect(),
        names: products.iter().map(|p| p.name.clone()).collect(),
        ids: products.into_iter().map(|p| p.external_id).collect(),
        lineage: Vec::new(),
        category_index: category_index.0,
        known_categories: categories.iter().map(|c| c.external_id.clone()).collect(),
        stores: HashMap::new(),
        delivery_locations: locations
            .iter()
            .filter(|l| matches!(l.kind, LocationKind::Online | LocationKind::DistributionCentre))
            .map(|l| l.external_id.clone())
            .collect(),
    };
    let parent: HashMap<&str, &str> =
        categories.iter().filter_map(|c| Some((c.external_id.as_str(), c.parent_id.as_deref()?))).collect();
    let mut lineage = vec![Vec::new(); catalogue.category_index.len()];
    for (id, &index) in &catalogue.category_index {
        let mut next = Some(id.as_str());
        // Bounded by the number of categories, so a cycle in bad data cannot loop forever.
        while let Some(c) = next.filter(|_| lineage[index as usize].len() <= categories.len()) {
            lineage[index as usize].push(c.to_string());
            next = parent.get(c).copied();
        }
    }
    catalogue.lineage = lineage;

    let latest = interactions.iter().map(|i| i.occurred_at_ms).max().unwrap_or(0);
    let mut stores = Interner::default();
    let mut basket_key: Option<(&str, i64)> = None;
    let mut customer: Option<&str> = None;
    for i in interactions {
        let Some(item) = catalogue.item(&i.product_id) else { continue };
        if customer != Some(i.customer_id.as_str()) {
            customer = Some(&i.customer_id);
            set.sequences.push(Vec::new());
        }
        set.sequences.last_mut().expect("pushed above").push(item);
        let weight = match i.kind {
            EventKind::Purchase => 3.0,
            EventKind::AddToCart => 2.0,
            _ => 1.0,
        };
        set.events.push(DatedEvent {
            item,
            age_days: (latest - i.occurred_at_ms) as f32 / DAY_MS,
            weight,
            store: i.location_id.as_deref().map(|l| stores.id(l)),
        });
        if i.kind == EventKind::Purchase {
            // One basket per shopper and day.
            let key = (i.customer_id.as_str(), i.occurred_at_ms.div_euclid(86_400_000));
            if basket_key != Some(key) {
                basket_key = Some(key);
                set.baskets.push(Vec::new());
            }
            set.baskets.last_mut().expect("pushed above").push(item);
        }
    }
    catalogue.stores = stores.0;
    (catalogue, set)
}

/// The logged lists, oldest first, each with the history its shopper had when it was shown (their
/// interactions before it, from `interactions`, which come ordered by customer and time). Items and
/// shoppers the catalogue does not know are left out; a session-only shopper has no history here.
fn shown_lists(catalogue: &Catalogue, interactions: &[Interaction], outcomes: &[ImpressionOutcome]) -> Vec<ShownList> {
    let mut by_customer: HashMap<&str, Vec<(i64, ItemId)>> = HashMap::new();
    for i in interactions {
        if let Some(item) = catalogue.item(&i.product_id) {
            by_customer.entry(i.customer_id.as_str()).or_default().push((i.occurred_at_ms, item));
        }
    }
    let mut lists: Vec<(i64, ShownList)> = Vec::new();
    let mut request: Option<&str> = None;
    // Outcomes come newest first, grouped by request.
    for o in outcomes {
        let Some(item) = catalogue.item(&o.product_id) else { continue };
        if request != Some(o.request_id.as_str()) {
            request = Some(&o.request_id);
            let before = o
                .customer_id
                .as_deref()
                .and_then(|c| by_customer.get(c))
                .map_or(&[][..], |events| &events[..events.partition_point(|&(at, _)| at < o.shown_at_ms)]);
            let recent = &before[before.len().saturating_sub(HISTORY_LEN as usize)..];
            let history = recent.iter().map(|&(_, item)| item).collect();
            lists.push((o.shown_at_ms, ShownList { history, items: Vec::new() }));
        }
        let (_, list) = lists.last_mut().expect("pushed above");
        list.items.push(Outcome { item, clicked: o.clicked, purchased: o.purchased });
    }
    lists.sort_by_key(|(at, _)| *at);
    lists.into_iter().map(|(_, list)| list).collect()
}

/// Trains the models on the last [`TRAINING_DAYS`] days of data, records the version and swaps it in.
pub async fn refit(p: &Platform) -> ServiceResult<Arc<Trained>> {
    let _one_at_a_time = p.models.fitting.lock().await;
    let range = crate::reports::last_days_of_data(p, TRAINING_DAYS).await?;
    let since = range.from.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis();
    let interactions = p.store.customer_interactions(since, &TRAINING_KINDS).await?;
    let outcomes = p.store.impression_outcomes(since, RANKING_IMPRESSIONS).await?;
    let products: Vec<Product> = all_docs(p, EntityKind::Product).await?;
    let categories: Vec<Category> = all_docs(p, EntityKind::Category).await?;
    let locations: Vec<Location> = all_docs(p, EntityKind::Location).await?;
    let strategies: Vec<(String, StrategyConfig)> =
        strategies::list(p).await?.into_iter().map(|s| (s.name, s.config)).collect();
    let options = TrainingOptions {
        sequence_epochs: p.config.recommend_sequence_epochs as usize,
        sequence_shoppers: p.config.recommend_sequence_shoppers as usize,
        evaluation_users: EVALUATION_USERS,
    };
    let trained_at = Utc::now();
    let trained = tokio::task::spawn_blocking(move || {
        let (catalogue, mut set) = training_set(products, &categories, &locations, &interactions);
        set.shown = shown_lists(&catalogue, &interactions, &outcomes);
        let (models, report) =
            Models::fit(&set, options, &strategies, &mut |step| tracing::info!(step, "training recommenders"));
        let version = format!("m-{}", trained_at.format("%Y%m%d-%H%M%S-%3f"));
        Trained { version, trained_at, report, models, catalogue }
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("training the recommenders failed: {e}")))?;
    let summary = serde_json::to_string(&trained.report).expect("a report serialises");
    let record =
        ModelVersionRecord { version: trained.version.clone(), trained_at_ms: trained_at.timestamp_millis(), summary };
    p.store.add_model_version(&record).await?;
    let trained = Arc::new(trained);
    p.models.set(trained.clone());
    tracing::info!(version = %trained.version, products = trained.products(), "recommenders trained and swapped in");
    Ok(trained)
}

/// The current models, training them on first use.
pub async fn models(p: &Platform) -> ServiceResult<Arc<Trained>> {
    if let Some(m) = p.models.get() {
        return Ok(m);
    }
    let _wait_for_a_running_fit = p.models.fitting.lock().await;
    drop(_wait_for_a_running_fit);
    match p.models.get() {
        Some(m) => Ok(m),
        None => refit(p).await,
    }
}

/// Trains the models in the background as the server starts (so the first
/// shopper does not wait), then retrains every `hours` hours (0: never);
/// requests keep being answered by the previous version until the new one is
/// swapped in. Abort the task to stop it.
pub fn spawn_training(p: Arc<Platform>, hours: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = models(&p).await {
            tracing::warn!(error = %e, "training the recommenders failed; the first request will try again");
        }
        if hours == 0 {
            return;
        }
        let period = StdDuration::from_secs(u64::from(hours) * 3600);
        loop {
            tokio::time::sleep(period).await;
            if let Err(e) = refit(&p).await {
                tracing::warn!(error = %e, "scheduled retraining failed; the previous models keep serving");
            }
        }
    })
}

/// A trained version as listed: when, on what, and how well it did offline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelVersion {
    pub version: String,
    pub trained_at: DateTime<Utc>,
    /// True for the version answering requests on this server.
    pub serving: bool,
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// The latest trained versions, newest first.
pub async fn versions(p: &Platform, limit: u32) -> ServiceResult<Vec<ModelVersion>> {
    let serving = p.models.get().map(|m| m.version.clone());
    let records = p.store.list_model_versions(limit.clamp(1, 100)).await?;
    Ok(records
        .into_iter()
        .map(|r| ModelVersion {
            serving: serving.as_deref() == Some(r.version.as_str()),
            trained_at: DateTime::from_timestamp_millis(r.trained_at_ms).unwrap_or_default(),
            report: serde_json::from_str(&r.summary).unwrap_or(serde_json::Value::Null),
            version: r.version,
        })
        .collect())
}

/// Which products can be shown at `location` (or, without one, for delivery): on hand beyond what is reserved.
async fn availability(p: &Platform, trained: &Trained, location: Option<&str>) -> ServiceResult<Arc<Vec<bool>>> {
    let key = (trained.version.clone(), location.unwrap_or("").to_string());
    if let Some((read_at, available)) = p.models.stock.lock().unwrap_or_else(|e| e.into_inner()).get(&key)
        && read_at.elapsed() < STOCK_TTL
    {
        return Ok(available.clone());
    }
    let locations: Vec<String> = match location {
        Some(l) => vec![l.to_string()],
        None => trained.catalogue.delivery_locations.clone(),
    };
    let mut available = vec![false; trained.products()];
    for l in &locations {
        for s in p.store.location_stock(l).await? {
            if s.on_hand - s.reserved > 0
                && let Some(item) = trained.catalogue.item(&s.product_id)
            {
                available[item as usize] = true;
            }
        }
    }
    let available = Arc::new(available);
    p.models.stock.lock().unwrap_or_else(|e| e.into_inner()).insert(key, (Instant::now(), available.clone()));
    Ok(available)
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
    /// A named strategy; without one, the running experiment or the default decides.
    pub strategy: Option<String>,
    /// The shopper's store: stock and bestsellers there. Without one, stock for delivery.
    pub store: Option<String>,
    /// Only products of this category.
    pub category: Option<String>,
}

/// Why an item is on the list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reason {
    /// The source that contributed most.
    pub source: Source,
    /// The product of the shopper's history it goes with, when the source relates items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub because_of_name: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecommendedItem {
    pub product_id: String,
    pub name: Text,
    /// Zero-based; send back as `position` on impression and click events.
    pub position: u32,
    pub score: f32,
    pub reason: Reason,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recommendations {
    /// Send back as `request_id` on the impression, click and purchase events of this list.
    pub request_id: String,
    /// Send back as `strategy` on those events.
    pub strategy: String,
    /// The experiment that chose the strategy, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<Served>,
    pub model_version: String,
    pub items: Vec<RecommendedItem>,
    /// Set when the list is shorter than asked, saying why (e.g. little in stock).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

/// The shopper's latest interactions, oldest first, and those that were purchases.
async fn history(p: &Platform, customer_id: Option<&str>, session_id: Option<&str>) -> ServiceResult<Vec<Interaction>> {
    let mut all = Vec::new();
    for (unit, id) in [(EventUnit::Customer, customer_id), (EventUnit::Session, session_id)] {
        if let Some(id) = id {
            all.extend(p.store.recent_interactions(unit, id, &HISTORY_KINDS, HISTORY_LEN).await?);
        }
    }
    // A logged-in session's events are read twice (by customer and by session): keep one of each.
    all.sort_by(|a, b| a.occurred_at_ms.cmp(&b.occurred_at_ms).then_with(|| a.product_id.cmp(&b.product_id)));
    all.dedup_by(|a, b| a.occurred_at_ms == b.occurred_at_ms && a.product_id == b.product_id && a.kind == b.kind);
    let keep = all.len().saturating_sub(HISTORY_LEN as usize);
    Ok(all.split_off(keep))
}

/// Resolves the strategy: the request's, the experiment's, or the default.
async fn resolve_strategy(
    p: &Platform,
    req: &RecommendationRequest,
    at: DateTime<Utc>,
) -> ServiceResult<(String, StrategyConfig, Option<Served>)> {
    if let Some(name) = &req.strategy {
        let s = strategies::get(p, name).await?;
        return Ok((s.name, s.config, None));
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
    let name = served.as_ref().and_then(|s| s.payload.clone()).unwrap_or_else(|| strategies::DEFAULT.to_string());
    let s = strategies::get(p, &name).await?;
    Ok((s.name, s.config, served))
}

/// Answers a recommendation request.
pub async fn recommend(p: &Platform, req: &RecommendationRequest, at: DateTime<Utc>) -> ServiceResult<Recommendations> {
    if req.customer_id.is_none() && req.session_id.is_none() {
        return Err(invalid("customer_id", "a recommendation request needs a customer_id or a session_id"));
    }
    if req.k == 0 || req.k > MAX_ITEMS {
        return Err(invalid("k", format!("must be between 1 and {MAX_ITEMS}")));
    }
    if let Some(store) = &req.store
        && p.store.get_doc(EntityKind::Location, store).await?.is_none()
    {
        return Err(ServiceError::NotFound { kind: "location", id: store.clone() });
    }
    let (strategy, config, served) = resolve_strategy(p, req, at).await?;
    let trained = models(p).await?;
    let catalogue = &trained.catalogue;
    if let Some(c) = &req.category
        && !catalogue.known_categories.contains(c)
    {
        return Err(ServiceError::NotFound { kind: "category", id: c.clone() });
    }
    let interactions = history(p, req.customer_id.as_deref(), req.session_id.as_deref()).await?;
    let mut history: Vec<ItemId> = interactions.iter().filter_map(|i| catalogue.item(&i.product_id)).collect();
    history.extend(catalogue.items(&req.context));
    // Seen products are not shown again, except bought consumables (people buy milk again) and, when
    // the strategy allows, bought durables.
    let bought: HashSet<ItemId> = interactions
        .iter()
        .filter(|i| i.kind == EventKind::Purchase)
        .filter_map(|i| catalogue.item(&i.product_id))
        .collect();
    let shown_again = |item: ItemId| {
        bought.contains(&item) && (catalogue.consumable[item as usize] || !config.rules.exclude_purchased_durables)
    };
    let mut exclude: Vec<ItemId> = catalogue.items(&req.context);
    exclude.extend(history.iter().copied().filter(|&item| !shown_again(item)));
    let stock =
        if config.rules.in_stock_only { Some(availability(p, &trained, req.store.as_deref()).await?) } else { None };
    let in_category = |item: ItemId, wanted: &str| {
        trained.models.category(item).is_some_and(|c| catalogue.lineage[c as usize].iter().any(|l| l == wanted))
    };
    let allowed = |item: ItemId| {
        stock.as_ref().is_none_or(|s| s[item as usize])
            && req.category.as_deref().is_none_or(|c| in_category(item, c))
            && (config.rules.categories.is_empty() || config.rules.categories.iter().any(|c| in_category(item, c)))
    };
    let rules = Rules {
        allowed: &allowed,
        exclude: &exclude,
        boost: config.rules.boost.iter().filter_map(|b| Some((catalogue.item(&b.product_id)?, b.factor))).collect(),
        bury: catalogue.items(&config.rules.bury),
    };
    let context = Context { store: req.store.as_deref().and_then(|s| catalogue.stores.get(s).copied()) };
    let (blend, ranking) = trained.models.rank(&config, &history, context, &rules, req.k);

    let items = ranking
        .items
        .iter()
        .enumerate()
        .map(|(position, ranked)| {
            let source = ranked.explain(&blend).and_then(Source::parse).unwrap_or(Source::Popular);
            let anchor = trained.models.anchor(source, &history, ranked.item);
            RecommendedItem {
                product_id: trained.product(ranked.item).to_string(),
                name: catalogue.names[ranked.item as usize].clone(),
                position: position as u32,
                score: ranked.score,
                reason: Reason {
                    source,
                    because_of: anchor.map(|a| trained.product(a).to_string()),
                    because_of_name: anchor.map(|a| catalogue.names[a as usize].clone()),
                },
            }
        })
        .collect();
    let notice = ranking.fell_short().then(|| {
        let where_ = match &req.store {
            Some(s) => format!("in stock at {s}"),
            None if config.rules.in_stock_only => "in stock for delivery".to_string(),
            None => "available".to_string(),
        };
        format!(
            "only {} of the {} products asked for are {where_} and allowed by strategy '{strategy}'",
            ranking.items.len(),
            req.k
        )
    });
    Ok(Recommendations {
        request_id: crate::ids::new_id("rec"),
        strategy,
        experiment: served,
        model_version: trained.version.clone(),
        items,
        notice,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scored {
    pub product_id: String,
    pub name: Text,
    pub score: f32,
}

fn scored(trained: &Trained, list: &[retail_recommend::ScoredItem]) -> Vec<Scored> {
    list.iter()
        .map(|s| Scored {
            product_id: trained.product(s.item).to_string(),
            name: trained.catalogue.names[s.item as usize].clone(),
            score: s.score,
        })
        .collect()
}

fn check_k(k: usize) -> ServiceResult<()> {
    if k == 0 || k > MAX_ITEMS {
        return Err(invalid("k", format!("must be between 1 and {MAX_ITEMS}")));
    }
    Ok(())
}

/// The catalogue items of `product_ids`; an unknown product is an error, a known
/// one the models have not seen (new, inactive) is left out.
async fn known_items(p: &Platform, trained: &Trained, product_ids: &[String]) -> ServiceResult<Vec<ItemId>> {
    let mut items = Vec::new();
    for id in product_ids {
        match trained.catalogue.item(id) {
            Some(item) => items.push(item),
            None if p.store.get_doc(EntityKind::Product, id).await?.is_some() => {}
            None => return Err(ServiceError::NotFound { kind: "product", id: id.clone() }),
        }
    }
    Ok(items)
}

/// "What goes with what": products bought or viewed together with `product_id`.
pub async fn related(p: &Platform, product_id: &str, k: usize) -> ServiceResult<Vec<Scored>> {
    check_k(k)?;
    let trained = models(p).await?;
    let items = known_items(p, &trained, &[product_id.to_string()]).await?;
    Ok(items.first().map(|&item| scored(&trained, trained.models.related(item, k))).unwrap_or_default())
}

/// Frequently bought together: complements from other categories for a cart (or one product).
pub async fn bundles(p: &Platform, cart: &[String], k: usize) -> ServiceResult<Vec<Scored>> {
    check_k(k)?;
    if cart.is_empty() {
        return Err(invalid("cart", "name at least one product"));
    }
    let trained = models(p).await?;
    let items = known_items(p, &trained, cart).await?;
    Ok(scored(&trained, &trained.models.bundles_for(&items, k)))
}
