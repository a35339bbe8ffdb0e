//! Simulated storefront traffic for a recommendation experiment: known customers
//! visit over the last days, each visit asks the real recommendation service
//! (which assigns the variant and logs the exposure), and the shopper reacts to
//! the list according to their taste, learned from their own past behaviour.
//! The resulting events go through the real ingestion path, so the experiment's
//! results are computed exactly as for live traffic.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use retail_domain::{BehaviourEvent, EntityKind, EventKind};
use retail_store::DocQuery;
use serde::Serialize;

use crate::experiments::{self, Surface};
use crate::platform::Platform;
use crate::recommend::{self, RecommendationRequest};
use crate::service::{self, ServiceError, ServiceResult, invalid};

/// Products in one recommendation slot.
const SLOT_SIZE: usize = 6;
/// Chance of a click on a product whatever the taste (curiosity, good pictures).
const BASE_CLICK: f64 = 0.01;
/// Extra chance of a click per unit of taste for the product's category.
const TASTE_CLICK: f64 = 0.5;
const CART_AFTER_CLICK: f64 = 0.35;
const PURCHASE_AFTER_CART: f64 = 0.6;
/// Events sent to ingestion at once.
const BATCH: usize = 2_000;
/// Days of behaviour, ending on the last day of data, the shoppers' tastes are learned from.
const TASTE_DAYS: u32 = 180;

#[derive(Debug, Clone)]
pub struct TrafficPlan {
    /// A running recommendation experiment that assigns each visit's strategy, or none.
    pub experiment: Option<String>,
    /// The strategy every visit asks for when no experiment is named (default: the server's default).
    pub strategy: Option<String>,
    /// Distinct customers who visit.
    pub customers: usize,
    /// Visits are spread over this many days ending now.
    pub days: u32,
    /// Mean visits per customer over the period.
    pub visits_per_customer: f64,
    pub seed: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TrafficReport {
    /// Distinct customers who visited: as many as asked for, or every customer with a known taste.
    pub customers: u64,
    pub visits: u64,
    pub exposures_logged: u64,
    pub impressions: u64,
    pub clicks: u64,
    pub carts: u64,
    pub purchases: u64,
    /// Visits per strategy served.
    pub by_strategy: Vec<(String, u64)>,
}

/// A shopper's taste: share of their past interest per category.
type Taste = HashMap<String, f64>;

struct Catalogue {
    category: HashMap<String, String>,
    price: HashMap<String, i64>,
}

async fn catalogue(p: &Platform) -> ServiceResult<Catalogue> {
    let mut c = Catalogue { category: HashMap::new(), price: HashMap::new() };
    let mut after = None;
    loop {
        let page =
            p.store.list_docs(EntityKind::Product, &DocQuery { after, limit: 1000, ..Default::default() }).await?;
        for d in &page.items {
            if let Some(cat) = d.doc["category_id"].as_str() {
                c.category.insert(d.external_id.clone(), cat.to_string());
            }
            c.price.insert(d.external_id.clone(), d.doc["price"]["amount_minor"].as_i64().unwrap_or(0));
        }
        match page.next_cursor {
            Some(next) => after = Some(next),
            None => return Ok(c),
        }
    }
}

async fn tastes(p: &Platform, catalogue: &Catalogue) -> ServiceResult<Vec<(String, Taste)>> {
    let range = crate::reports::last_days_of_data(p, TASTE_DAYS).await?;
    let since = range.from.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis();
    let kinds = [EventKind::Click, EventKind::AddToCart, EventKind::Purchase];
    let mut out: Vec<(String, Taste)> = Vec::new();
    for i in p.store.customer_interactions(since, &kinds).await? {
        let Some(cat) = catalogue.category.get(&i.product_id) else { continue };
        if out.last().is_none_or(|(c, _)| *c != i.customer_id) {
            out.push((i.customer_id.clone(), Taste::new()));
        }
        *out.last_mut().expect("just pushed").1.entry(cat.clone()).or_default() += 1.0;
    }
    for (_, taste) in &mut out {
        let total: f64 = taste.values().sum();
        taste.values_mut().for_each(|v| *v /= total);
    }
    Ok(out)
}

fn event(kind: EventKind, customer: &str, product: &str, at: DateTime<Utc>) -> BehaviourEvent {
    BehaviourEvent {
        event_id: Some(crate::ids::new_id("sim")),
        customer_id: Some(customer.to_string()),
        product_id: Some(product.to_string()),
        ..BehaviourEvent::new(kind, at)
    }
}

/// Runs the plan; `progress(done, total)` is called as visits complete.
pub async fn run(
    p: &Platform,
    plan: &TrafficPlan,
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> ServiceResult<TrafficReport> {
    if let Some(key) = &plan.experiment {
        let experiment = experiments::get(p, key).await?;
        if experiment.definition.surface != Surface::Recommendations {
            return Err(invalid("experiment", "simulated traffic drives recommendation experiments only"));
        }
        if experiment.status != retail_experiment::assign::Status::Running {
            return Err(ServiceError::Conflict(format!(
                "experiment '{key}' is {}: start it before sending traffic",
                experiment.status
            )));
        }
    }
    if let Some(name) = &plan.strategy {
        crate::strategies::get(p, name).await?;
    }
    if plan.customers == 0 || plan.days == 0 || plan.visits_per_customer.is_nan() || plan.visits_per_customer <= 0.0 {
        return Err(invalid("customers", "customers, days and visits per customer must be positive"));
    }
    let now = Utc::now();
    let catalogue = catalogue(p).await?;
    let mut shoppers = tastes(p, &catalogue).await?;
    if shoppers.is_empty() {
        return Err(invalid("experiment", "no customer has any behaviour to learn a taste from: load the demo first"));
    }
    let mut rng = StdRng::seed_from_u64(plan.seed);
    // A seeded sample of the known customers.
    for i in 0..shoppers.len().min(plan.customers) {
        let j = rng.random_range(i..shoppers.len());
        shoppers.swap(i, j);
    }
    shoppers.truncate(plan.customers);
    let period_ms = i64::from(plan.days) * 86_400_000;
    let mut visits: Vec<(i64, usize)> = Vec::new();
    for (s, _) in shoppers.iter().enumerate() {
        let n = 1 + poisson(&mut rng, plan.visits_per_customer - 1.0);
        visits.extend((0..n).map(|_| (rng.random_range(0..period_ms), s)));
    }
    visits.sort_unstable();

    let mut report = TrafficReport { customers: shoppers.len() as u64, ..TrafficReport::default() };
    let mut by_strategy: HashMap<String, u64> = HashMap::new();
    let mut pending: Vec<BehaviourEvent> = Vec::new();
    let total = visits.len() as u64;
    let start = now - Duration::milliseconds(period_ms);
    for (done, (offset, s)) in visits.into_iter().enumerate() {
        let (customer, taste) = &shoppers[s];
        let at = start + Duration::milliseconds(offset);
        let request = RecommendationRequest {
            customer_id: Some(customer.clone()),
            k: SLOT_SIZE,
            strategy: if plan.experiment.is_none() { plan.strategy.clone() } else { None },
            ..Default::default()
        };
        let list = recommend::recommend(p, &request, at).await?;
        report.visits += 1;
        report.exposures_logged += u64::from(list.experiment.as_ref().is_some_and(|e| e.exposure_logged));
        *by_strategy.entry(list.strategy.clone()).or_default() += 1;
        // Every event that follows the list is attributed to it by request id, strategy and position.
        let attributed = |kind, item: &recommend::RecommendedItem, t| {
            let mut e = event(kind, customer, &item.product_id, t);
            e.position = Some(item.position);
            e.strategy = Some(list.strategy.clone());
            e.request_id = Some(list.request_id.clone());
            e
        };
        let mut t = at;
        for item in &list.items {
            pending.push(attributed(EventKind::Impression, item, t));
            report.impressions += 1;
        }
        for item in &list.items {
            let affinity = catalogue.category.get(&item.product_id).and_then(|c| taste.get(c)).copied().unwrap_or(0.0);
            if !rng.random_bool((BASE_CLICK + TASTE_CLICK * affinity).min(1.0)) {
                continue;
            }
            t += Duration::seconds(20);
            pending.push(attributed(EventKind::Click, item, t));
            report.clicks += 1;
            if !rng.random_bool(CART_AFTER_CLICK) {
                continue;
            }
            let price = catalogue.price.get(&item.product_id).copied().unwrap_or(0);
            let mut cart = attributed(EventKind::AddToCart, item, t + Duration::seconds(30));
            cart.quantity = Some(1);
            cart.value_minor = Some(price);
            pending.push(cart);
            report.carts += 1;
            if rng.random_bool(PURCHASE_AFTER_CART) {
                let mut buy = attributed(EventKind::Purchase, item, t + Duration::seconds(300));
                buy.quantity = Some(1);
                buy.value_minor = Some(price);
                pending.push(buy);
                report.purchases += 1;
            }
        }
        if pending.len() >= BATCH {
            service::ingest_events(p, &std::mem::take(&mut pending)).await?;
        }
        progress(done as u64 + 1, total);
    }
    if !pending.is_empty() {
        service::ingest_events(p, &pending).await?;
    }
    let mut by: Vec<(String, u64)> = by_strategy.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    by.sort();
    report.by_strategy = by;
    Ok(report)
}

/// Knuth's method; fine for the small means used here.
fn poisson(rng: &mut StdRng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    let limit = (-mean).exp();
    let mut product: f64 = rng.random();
    let mut n = 0;
    while product > limit {
        product *= rng.random::<f64>();
        n += 1;
    }
    n
}
