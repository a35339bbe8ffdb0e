//! Recommendation strategies: named configurations of candidate sources with
//! their weights, the ranking objectives and the business rules. Three are built
//! in (`popular`, `item_knn` and the default `blend`); any can be edited and new
//! ones added in the console or the API, and experiments name them in their
//! variants.

use chrono::{DateTime, Utc};
use retail_domain::{EventKind, Violations};
pub use retail_recommend::rank::Objectives;
use retail_store::StrategyRecord;
use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

/// Where candidates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Time-decayed bestsellers, at the shopper's store when one is given.
    Popular,
    /// Products selling faster lately than usual.
    Trending,
    /// "Customers who bought this also bought": co-occurrence with the shopper's recent items.
    ItemKnn,
    /// Implicit matrix factorisation (ALS): the shopper's taste as latent factors.
    Als,
    /// The self-attention sequence model: what tends to come next after the shopper's latest items.
    Sequential,
    /// Same brand, category and attributes as the shopper's recent items; reaches new products.
    Content,
    /// Frequently bought together with the shopper's recent items, from other categories.
    Bundles,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Popular,
        Source::Trending,
        Source::ItemKnn,
        Source::Als,
        Source::Sequential,
        Source::Content,
        Source::Bundles,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Popular => "popular",
            Source::Trending => "trending",
            Source::ItemKnn => "item_knn",
            Source::Als => "als",
            Source::Sequential => "sequential",
            Source::Content => "content",
            Source::Bundles => "bundles",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SourceWeight {
    pub source: Source,
    pub weight: f32,
}

/// Business rules applied after blending.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Rules {
    /// Never show a product out of stock at the shopper's store (or, without a
    /// store, at every online fulfilment point and distribution centre).
    pub in_stock_only: bool,
    /// Leave out durables the shopper already bought (consumables stay: people buy milk again).
    pub exclude_purchased_durables: bool,
    /// At most this many products of one category in a list.
    pub max_per_category: Option<usize>,
    /// MMR trade-off between relevance and variety, 0 (relevance only) to 1.
    pub diversity: f32,
    /// Only these categories, when not empty.
    pub categories: Vec<String>,
    /// Products lifted by the given factor.
    pub boost: Vec<Boost>,
    /// Products moved to the end of the list (kept, not removed).
    pub bury: Vec<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            in_stock_only: true,
            exclude_purchased_durables: true,
            max_per_category: None,
            diversity: 0.0,
            categories: Vec::new(),
            boost: Vec::new(),
            bury: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Boost {
    pub product_id: String,
    pub factor: f32,
}

/// A strategy's configuration, as edited.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StrategyConfig {
    #[serde(default)]
    pub description: String,
    pub sources: Vec<SourceWeight>,
    /// Weights of P(click), P(purchase) and P(purchase) × relative price in the final score, once click
    /// and conversion models are learned from the impression logs; before that the blend ranks.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub objectives: Objectives,
    #[serde(default)]
    pub rules: Rules,
}

/// A strategy with its name and edit history.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StrategyView {
    pub name: String,
    #[serde(flatten)]
    pub config: StrategyConfig,
    /// 0 for a built-in strategy never edited; send it back with an edit.
    pub version: i64,
    pub built_in: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What a request gets when neither it nor an experiment names a strategy.
pub const DEFAULT: &str = "blend";
const MAX_NAME: usize = 40;
const MAX_LISTED_PRODUCTS: usize = 500;

fn weights(sources: &[(Source, f32)]) -> Vec<SourceWeight> {
    sources.iter().map(|&(source, weight)| SourceWeight { source, weight }).collect()
}

/// The strategies every installation starts with.
pub fn built_in() -> Vec<(String, StrategyConfig)> {
    let plain = |description: &str, sources: &[(Source, f32)]| StrategyConfig {
        description: description.to_string(),
        sources: weights(sources),
        objectives: Objectives::default(),
        rules: Rules::default(),
    };
    vec![
        (
            DEFAULT.to_string(),
            StrategyConfig {
                rules: Rules { max_per_category: Some(4), ..Rules::default() },
                ..plain(
                    "Hybrid: co-occurrence, the sequence model and content similarity (weights chosen on \
                     Amazon Beauty's validation items), bundles, with bestsellers as the floor",
                    &[
                        (Source::ItemKnn, 1.0),
                        (Source::Sequential, 0.5),
                        (Source::Content, 0.5),
                        (Source::Bundles, 0.3),
                        (Source::Popular, 0.05),
                    ],
                )
            },
        ),
        (
            "item_knn".to_string(),
            plain(
                "Customers who bought this also bought; bestsellers when nothing is known",
                &[(Source::ItemKnn, 1.0), (Source::Popular, 0.05)],
            ),
        ),
        ("popular".to_string(), plain("Bestsellers, the same for everyone", &[(Source::Popular, 1.0)])),
    ]
}

/// Problems with a strategy, by field.
pub fn check(name: &str, config: &StrategyConfig) -> Result<(), Violations> {
    let mut v = Violations::new();
    if name.is_empty()
        || name.len() > MAX_NAME
        || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        v.push("name", format!("1 to {MAX_NAME} characters of a-z, 0-9, '_' and '-'"));
    }
    if config.sources.is_empty() {
        v.push("sources", "at least one source is needed");
    }
    for (i, s) in config.sources.iter().enumerate() {
        if !s.weight.is_finite() || s.weight < 0.0 {
            v.push(format!("sources[{i}].weight"), "must be a number of at least 0");
        }
        if config.sources[..i].iter().any(|earlier| earlier.source == s.source) {
            v.push(format!("sources[{i}].source"), format!("{} is listed twice", s.source.as_str()));
        }
    }
    if !config.sources.is_empty() && config.sources.iter().all(|s| s.weight <= 0.0) {
        v.push("sources", "at least one source needs a weight above 0");
    }
    let o = config.objectives;
    for (field, w) in
        [("objectives.click", o.click), ("objectives.conversion", o.conversion), ("objectives.revenue", o.revenue)]
    {
        if !w.is_finite() || w < 0.0 {
            v.push(field, "must be a number of at least 0");
        }
    }
    let r = &config.rules;
    if r.max_per_category == Some(0) {
        v.push("rules.max_per_category", "must be at least 1, or absent for no cap");
    }
    if !(0.0..=1.0).contains(&r.diversity) {
        v.push("rules.diversity", "must be between 0 and 1");
    }
    for (i, b) in r.boost.iter().enumerate() {
        if !b.factor.is_finite() || b.factor <= 0.0 {
            v.push(format!("rules.boost[{i}].factor"), "must be a number above 0");
        }
    }
    if r.boost.len() + r.bury.len() + r.categories.len() > MAX_LISTED_PRODUCTS {
        v.push("rules", format!("at most {MAX_LISTED_PRODUCTS} boosted, buried and category entries in all"));
    }
    if config.description.chars().count() > 500 {
        v.push("description", "at most 500 characters");
    }
    v.into_result()
}

fn view_of(record: StrategyRecord) -> ServiceResult<StrategyView> {
    let config: StrategyConfig = serde_json::from_str(&record.config).map_err(|e| {
        ServiceError::Internal(format!("stored strategy '{}' is not a valid configuration: {e}", record.name))
    })?;
    Ok(StrategyView {
        built_in: built_in().iter().any(|(name, _)| *name == record.name),
        name: record.name,
        config,
        version: record.version,
        updated_by: Some(record.updated_by),
        updated_at: DateTime::from_timestamp_millis(record.updated_at_ms),
    })
}

fn unedited(name: String, config: StrategyConfig) -> StrategyView {
    StrategyView { name, config, version: 0, built_in: true, updated_by: None, updated_at: None }
}

/// The strategy called `name`: as stored, or the built-in one never edited.
pub async fn get(p: &Platform, name: &str) -> ServiceResult<StrategyView> {
    if let Some(record) = p.store.get_strategy(name).await? {
        return view_of(record);
    }
    built_in()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(n, config)| unedited(n, config))
        .ok_or_else(|| ServiceError::NotFound { kind: "strategy", id: name.to_string() })
}

/// Every strategy, by name.
pub async fn list(p: &Platform) -> ServiceResult<Vec<StrategyView>> {
    let mut all: Vec<StrategyView> =
        p.store.list_strategies().await?.into_iter().map(view_of).collect::<ServiceResult<_>>()?;
    for (name, config) in built_in() {
        if !all.iter().any(|s| s.name == name) {
            all.push(unedited(name, config));
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// Creates (`version` 0) or edits (`version` as read) a strategy.
pub async fn put(
    p: &Platform,
    name: &str,
    config: StrategyConfig,
    version: i64,
    actor: &str,
) -> ServiceResult<StrategyView> {
    check(name, &config).map_err(ServiceError::Invalid)?;
    let record = StrategyRecord {
        name: name.to_string(),
        config: serde_json::to_string(&config).expect("a strategy serialises"),
        updated_by: actor.to_string(),
        updated_at_ms: Utc::now().timestamp_millis(),
        version: version + 1,
    };
    if !p.store.put_strategy(&record).await? {
        let message = if version == 0 {
            format!("a strategy called '{name}' already exists; edit it with its current version")
        } else {
            format!("strategy '{name}' was changed meanwhile (or does not exist); reload it and edit again")
        };
        return Err(ServiceError::Conflict(message));
    }
    view_of(record)
}

/// Events that followed recommendation lists: impressions written back by the
/// storefront, and the clicks, carts and purchases attributed to a list by its
/// request id and strategy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Funnel {
    pub impressions: u64,
    pub clicks: u64,
    pub carts: u64,
    pub purchases: u64,
    /// Value of the attributed purchases, in minor units.
    pub gmv_minor: i64,
    /// Clicks per impression.
    pub ctr: Option<f64>,
    /// Purchases per impression.
    pub conversion: Option<f64>,
    pub gmv_per_impression_minor: Option<f64>,
}

impl Funnel {
    fn add(&mut self, kind: &str, events: u64, value_minor: i64) {
        match EventKind::parse(kind) {
            Some(EventKind::Impression) => self.impressions += events,
            Some(EventKind::Click) => self.clicks += events,
            Some(EventKind::AddToCart) => self.carts += events,
            Some(EventKind::Purchase) => {
                self.purchases += events;
                self.gmv_minor += value_minor;
            }
            _ => {}
        }
    }

    fn with_rates(mut self) -> Self {
        let per_impression = |total: f64| (self.impressions > 0).then(|| total / self.impressions as f64);
        self.ctr = per_impression(self.clicks as f64);
        self.conversion = per_impression(self.purchases as f64);
        self.gmv_per_impression_minor = per_impression(self.gmv_minor as f64);
        self
    }
}

/// One strategy's funnel over a period and per UTC day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StrategyMetrics {
    pub strategy: String,
    pub total: Funnel,
    /// Oldest first; days without events are left out.
    pub days: Vec<(chrono::NaiveDate, Funnel)>,
}

/// Live metrics per strategy over the `days` days ending `now`.
pub async fn live_metrics(p: &Platform, days: u32, now: DateTime<Utc>) -> ServiceResult<Vec<StrategyMetrics>> {
    if !(1..=366).contains(&days) {
        return Err(invalid("days", "must be between 1 and 366"));
    }
    let since = now - chrono::Duration::days(i64::from(days));
    let mut out: Vec<StrategyMetrics> = Vec::new();
    for row in p.store.strategy_metrics(since.timestamp_millis()).await? {
        if out.last().is_none_or(|m| m.strategy != row.strategy) {
            out.push(StrategyMetrics { strategy: row.strategy.clone(), ..Default::default() });
        }
        let m = out.last_mut().expect("pushed above");
        let day = DateTime::from_timestamp(row.day * 86_400, 0).unwrap_or_default().date_naive();
        if m.days.last().is_none_or(|(d, _)| *d != day) {
            m.days.push((day, Funnel::default()));
        }
        m.total.add(&row.kind, row.events, row.value_minor);
        m.days.last_mut().expect("pushed above").1.add(&row.kind, row.events, row.value_minor);
    }
    for m in &mut out {
        m.total = m.total.with_rates();
        for (_, funnel) in &mut m.days {
            *funnel = funnel.with_rates();
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(sources: &[(Source, f32)]) -> StrategyConfig {
        StrategyConfig {
            description: String::new(),
            sources: weights(sources),
            objectives: Objectives::default(),
            rules: Rules::default(),
        }
    }

    #[test]
    fn built_in_strategies_are_valid_and_the_default_is_among_them() {
        for (name, config) in built_in() {
            assert_eq!(check(&name, &config), Ok(()), "{name}");
        }
        assert!(built_in().iter().any(|(name, _)| name == DEFAULT));
    }

    #[test]
    fn every_problem_is_named_by_field() {
        let mut bad = config(&[(Source::Als, -1.0), (Source::Als, 0.0)]);
        bad.objectives.revenue = f32::NAN;
        bad.rules.max_per_category = Some(0);
        bad.rules.diversity = 1.5;
        bad.rules.boost.push(Boost { product_id: "P1".into(), factor: 0.0 });
        let problems = check("Bad Name", &bad).unwrap_err();
        let fields: Vec<&str> = problems.0.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "sources[0].weight",
                "sources[1].source",
                "sources",
                "objectives.revenue",
                "rules.max_per_category",
                "rules.diversity",
                "rules.boost[0].factor"
            ]
        );
        assert_eq!(check("empty", &config(&[])).unwrap_err().0.len(), 1);
    }

    #[test]
    fn a_configuration_round_trips_through_json_with_defaults_filled_in() {
        let parsed: StrategyConfig = serde_json::from_str(r#"{"sources":[{"source":"als","weight":1}]}"#).unwrap();
        assert_eq!(parsed, config(&[(Source::Als, 1.0)]));
        let text = serde_json::to_string(&parsed).unwrap();
        assert_eq!(serde_json::from_str::<StrategyConfig>(&text).unwrap(), parsed);
        assert!(serde_json::from_str::<StrategyConfig>(r#"{"sources":[{"source":"magic","weight":1}]}"#).is_err());
    }
}
