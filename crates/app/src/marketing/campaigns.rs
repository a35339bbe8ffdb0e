//! Campaigns: the spec a marketer sets, the plan (who is eligible, who the cap and priority
//! leave, whom targeting chooses under the budget, who is held out, and each message rendered
//! with the customer's own products and offer), the launch into the outbox, and the effect
//! measured against the hold-out.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use retail_domain::{Channel, Customer, EntityKind, Location, Text};
use retail_marketing::delivery::{
    Blocked, Claim, ClaimOutcome, FrequencyCap, LocalWindow, choose_channel, resolve_claims, send_time,
};
use retail_marketing::effect::{self, Costs, EffectReport, OutcomeRow, PredictedOutcome, QiniPoint};
use retail_marketing::holdout::{Arm, Holdout};
use retail_marketing::targeting::{Candidate, ScoredCandidate, Selection, select_by_score, select_by_uplift};
use retail_marketing::template::{KNOWN_VARIABLES, Template, Values};
use retail_marketing::{CustomerFeatures, Language};
use retail_store::{AudienceRecord, CampaignRecord, DateRange, OutgoingMessage, StockAlertKind};
use serde::{Deserialize, Serialize};

use super::segments::{Scored, scored_population};
use super::uplift::{self, FittedUplift};
use super::{check_id, time_of};
use crate::access::ms_to_time;
use crate::platform::Platform;
use crate::recommend::{self, RecommendationRequest};
use crate::service::{ServiceError, ServiceResult, invalid};

/// What a campaign is judged by; it also decides what targeting maximises.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// Incremental orders: every customer's conversion is worth the same.
    #[default]
    Conversion,
    /// Incremental revenue: a conversion is worth the customer's usual basket.
    Revenue,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A message without an incentive.
    #[default]
    Content,
    /// A fixed amount off the next order.
    Coupon,
    /// A share off the next order.
    PercentOff,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    #[serde(default)]
    pub kind: OfferKind,
    /// For a coupon.
    #[serde(default)]
    pub amount_minor: i64,
    /// For a percentage off, 1 to 90.
    #[serde(default)]
    pub percent: u32,
    #[serde(default)]
    pub code: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductMode {
    /// The recommender's picks for each customer, in stock; best sellers for customers who
    /// turned personalisation off.
    #[default]
    Recommended,
    /// The products with the most days of stock cover, promoted on purpose.
    Overstock,
    /// The products listed.
    Fixed,
    /// No products.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductChoice {
    #[serde(default)]
    pub mode: ProductMode,
    #[serde(default)]
    pub product_ids: Vec<String>,
    /// Products per message, 1 to 5.
    #[serde(default = "default_product_count")]
    pub count: usize,
}

impl Default for ProductChoice {
    fn default() -> Self {
        ProductChoice { mode: ProductMode::default(), product_ids: Vec::new(), count: default_product_count() }
    }
}

fn default_product_count() -> usize {
    3
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Targeting {
    /// Everyone eligible, most valuable customers first, until the budget is spent.
    #[default]
    Everyone,
    /// The customers with the highest expected incremental value by the latest uplift model.
    Uplift,
}

/// A campaign as the marketer sets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub name: String,
    pub segment_id: String,
    #[serde(default)]
    pub goal: Goal,
    #[serde(default)]
    pub offer: Offer,
    #[serde(default)]
    pub products: ProductChoice,
    /// The channels it may use, most preferred first; each customer gets one.
    pub channels: Vec<Channel>,
    pub starts_at: DateTime<Utc>,
    /// Days after the start in which orders count as its outcome, 1 to 90.
    #[serde(default = "default_measure_days")]
    pub measure_days: u32,
    /// Contact costs plus expected offer costs may not exceed it.
    pub budget_minor: i64,
    /// Share of the chosen customers kept from the message to measure its effect, 0 to 0.5.
    #[serde(default = "default_holdout_share")]
    pub holdout_share: f64,
    #[serde(default)]
    pub targeting: Targeting,
    /// Higher wins a customer the frequency cap leaves room for only once.
    #[serde(default)]
    pub priority: i32,
    /// The subject line and body, in Chinese and English, with `{{variables}}`.
    pub subject: Text,
    pub body: Text,
}

fn default_measure_days() -> u32 {
    14
}

fn default_holdout_share() -> f64 {
    0.1
}

/// What sending one message costs, in fen.
pub fn contact_cost_minor(channel: Channel) -> i64 {
    match channel {
        Channel::Sms => 5,
        Channel::Wechat => 2,
        Channel::Email => 1,
        Channel::Push => 0,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanSummary {
    pub planned_at: DateTime<Utc>,
    pub segment_size: u64,
    /// Customers by decision: `send`, `held_out`, and why others are not contacted.
    pub decisions: BTreeMap<String, u64>,
    pub expected_cost_minor: i64,
    pub expected_incremental_conversions: f64,
    pub expected_incremental_value_minor: i64,
    /// The uplift model targeting used.
    pub model_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Campaign {
    pub campaign_id: String,
    /// `draft`, `planned`, `sending`, `sent` or `cancelled`.
    pub status: String,
    pub spec: CampaignSpec,
    pub plan: Option<PlanSummary>,
    /// The campaign's messages by delivery status.
    pub messages: BTreeMap<String, i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub planned_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub version: i64,
}

/// One planned message as the marketer previews it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessagePreview {
    pub customer_id: String,
    pub channel: Channel,
    pub address: String,
    pub language: String,
    pub send_at: DateTime<Utc>,
    pub subject: String,
    pub body: String,
    pub products: Vec<String>,
    /// Predicted incremental conversion probability, under uplift targeting.
    pub uplift: Option<f64>,
}

/// What the plan keeps of each audience member (the `doc` of their audience row).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AudienceDoc {
    /// The model inputs at planning time, so a later model learns from what was known then.
    inputs: Vec<f32>,
    expected_order_value_minor: i64,
    /// Predicted incremental conversion probability, under uplift targeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    uplift: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<MessagePreview>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unsubscribe_token: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LaunchReport {
    pub queued: u64,
    /// Left out at launch because another campaign used the cap since the plan.
    pub capped: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignEffect {
    pub campaign_id: String,
    pub window_from: DateTime<Utc>,
    pub window_to: DateTime<Utc>,
    /// Whether the measurement window has closed.
    pub complete: bool,
    pub report: EffectReport,
    pub messages: BTreeMap<String, i64>,
    /// The Qini curve of the model's ranking, when targeting used one.
    pub qini: Vec<QiniPoint>,
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

fn language_of(tag: &str) -> Language {
    Language::from_tag(tag)
}

impl Offer {
    fn check(&self) -> ServiceResult<()> {
        match self.kind {
            OfferKind::Coupon if self.amount_minor <= 0 => {
                Err(invalid("offer.amount_minor", "a coupon needs an amount"))
            }
            OfferKind::PercentOff if !(1..=90).contains(&self.percent) => {
                Err(invalid("offer.percent", "must be between 1 and 90"))
            }
            _ => Ok(()),
        }
    }

    /// The offer in words.
    fn describe(&self, language: Language) -> String {
        let code = if self.code.is_empty() { String::new() } else { format!(" ({})", self.code) };
        let yuan = |minor: i64| format!("¥{}.{:02}", minor / 100, minor % 100);
        match (self.kind, language) {
            (OfferKind::Content, _) => String::new(),
            (OfferKind::Coupon, Language::Zh) => format!("{}优惠券{code}", yuan(self.amount_minor)),
            (OfferKind::Coupon, Language::En) => format!("a {} coupon{code}", yuan(self.amount_minor)),
            (OfferKind::PercentOff, Language::Zh) => format!("{}折优惠{code}", format_discount(self.percent)),
            (OfferKind::PercentOff, Language::En) => format!("{}% off{code}", self.percent),
        }
    }

    /// What the retailer gives when the offer is redeemed on an order of `order_minor`.
    fn cost_minor(&self, order_minor: i64) -> i64 {
        match self.kind {
            OfferKind::Content => 0,
            OfferKind::Coupon => self.amount_minor.min(order_minor.max(0)),
            OfferKind::PercentOff => order_minor.max(0) * i64::from(self.percent) / 100,
        }
    }
}

/// 20 % off is "8折" in Chinese; 15 % off "8.5折".
fn format_discount(percent: u32) -> String {
    let tenths = 100 - percent;
    if tenths.is_multiple_of(10) { format!("{}", tenths / 10) } else { format!("{}.{}", tenths / 10, tenths % 10) }
}

fn parse_template(field: &str, text: &str) -> ServiceResult<Template> {
    let template = Template::parse(text).map_err(|e| invalid(field, e.to_string()))?;
    template.check(&KNOWN_VARIABLES).map_err(|e| invalid(field, e.to_string()))?;
    Ok(template)
}

async fn check_spec(p: &Platform, spec: &CampaignSpec) -> ServiceResult<()> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "must be 1 to 100 characters"));
    }
    if p.store.get_segment(&spec.segment_id).await?.is_none() {
        return Err(ServiceError::NotFound { kind: "segment", id: spec.segment_id.clone() });
    }
    if spec.channels.is_empty() {
        return Err(invalid("channels", "name at least one channel"));
    }
    if spec.channels.iter().enumerate().any(|(i, c)| spec.channels[..i].contains(c)) {
        return Err(invalid("channels", "each channel once"));
    }
    if !(1..=90).contains(&spec.measure_days) {
        return Err(invalid("measure_days", "must be between 1 and 90"));
    }
    if spec.budget_minor < 0 {
        return Err(invalid("budget_minor", "must not be negative"));
    }
    if !(0.0..=0.5).contains(&spec.holdout_share) {
        return Err(invalid("holdout_share", "must be between 0 and 0.5"));
    }
    spec.offer.check()?;
    if !(1..=5).contains(&spec.products.count) {
        return Err(invalid("products.count", "must be between 1 and 5"));
    }
    if spec.products.mode == ProductMode::Fixed {
        if spec.products.product_ids.is_empty() {
            return Err(invalid("products.product_ids", "fixed products need at least one product"));
        }
        let known = p.store.existing_ids(EntityKind::Product, &spec.products.product_ids).await?;
        if let Some(missing) = spec.products.product_ids.iter().find(|id| !known.contains(id)) {
            return Err(ServiceError::NotFound { kind: "product", id: missing.clone() });
        }
    }
    for (field, text) in [
        ("subject.zh", &spec.subject.zh),
        ("subject.en", &spec.subject.en),
        ("body.zh", &spec.body.zh),
        ("body.en", &spec.body.en),
    ] {
        parse_template(field, text)?;
    }
    if spec.subject.zh.trim().is_empty() && spec.subject.en.trim().is_empty() {
        return Err(invalid("subject", "write a subject in at least one language"));
    }
    if spec.body.zh.trim().is_empty() && spec.body.en.trim().is_empty() {
        return Err(invalid("body", "write a body in at least one language"));
    }
    Ok(())
}

fn view(p: &CampaignRecord, messages: BTreeMap<String, i64>) -> ServiceResult<Campaign> {
    Ok(Campaign {
        campaign_id: p.campaign_id.clone(),
        status: p.status.clone(),
        spec: serde_json::from_str(&p.spec).map_err(internal)?,
        plan: p.plan.as_deref().map(serde_json::from_str).transpose().map_err(internal)?,
        messages,
        created_at: ms_to_time(p.created_at_ms),
        updated_at: ms_to_time(p.updated_at_ms),
        planned_at: time_of(p.planned_at_ms),
        sent_at: time_of(p.sent_at_ms),
        version: p.version,
    })
}

async fn record(p: &Platform, campaign_id: &str) -> ServiceResult<CampaignRecord> {
    p.store
        .get_campaign(campaign_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound { kind: "campaign", id: campaign_id.to_string() })
}

async fn message_counts(p: &Platform, campaign_id: &str) -> ServiceResult<BTreeMap<String, i64>> {
    Ok(p.store.message_counts(campaign_id).await?.into_iter().collect())
}

/// Creates a draft, or changes one that has not been launched (its plan is then discarded).
pub async fn save_campaign(p: &Platform, campaign_id: &str, spec: CampaignSpec) -> ServiceResult<Campaign> {
    check_id("campaign_id", campaign_id)?;
    check_spec(p, &spec).await?;
    let now = Utc::now().timestamp_millis();
    let spec_json = serde_json::to_string(&spec).map_err(internal)?;
    let existing = p.store.get_campaign(campaign_id).await?;
    let (next, expected) = match existing {
        None => (
            CampaignRecord {
                campaign_id: campaign_id.to_string(),
                name: spec.name.trim().to_string(),
                status: "draft".into(),
                segment_id: spec.segment_id.clone(),
                priority: i64::from(spec.priority),
                starts_at_ms: spec.starts_at.timestamp_millis(),
                created_at_ms: now,
                updated_at_ms: now,
                planned_at_ms: None,
                sent_at_ms: None,
                version: 1,
                spec: spec_json,
                plan: None,
            },
            None,
        ),
        Some(old) if matches!(old.status.as_str(), "draft" | "planned") => (
            CampaignRecord {
                name: spec.name.trim().to_string(),
                status: "draft".into(),
                segment_id: spec.segment_id.clone(),
                priority: i64::from(spec.priority),
                starts_at_ms: spec.starts_at.timestamp_millis(),
                updated_at_ms: now,
                planned_at_ms: None,
                version: old.version + 1,
                spec: spec_json,
                plan: None,
                ..old.clone()
            },
            Some(old.version),
        ),
        Some(old) => {
            return Err(ServiceError::Conflict(format!(
                "campaign '{campaign_id}' is {}: it cannot change",
                old.status
            )));
        }
    };
    let written = match expected {
        None => p.store.save_campaign(&next, None).await?,
        // A changed spec invalidates the plan: the audience is cleared with it.
        Some(version) => p.store.save_plan(&next, version, &[]).await?,
    };
    if !written {
        return Err(ServiceError::Conflict(format!(
            "campaign '{campaign_id}' was changed at the same time; try again"
        )));
    }
    view(&next, BTreeMap::new())
}

pub async fn campaign(p: &Platform, campaign_id: &str) -> ServiceResult<Campaign> {
    let r = record(p, campaign_id).await?;
    view(&r, message_counts(p, campaign_id).await?)
}

pub async fn list_campaigns(p: &Platform) -> ServiceResult<Vec<Campaign>> {
    let mut out = Vec::new();
    for r in p.store.list_campaigns(500).await? {
        let counts = message_counts(p, &r.campaign_id).await?;
        out.push(view(&r, counts)?);
    }
    Ok(out)
}

/// The channels a customer can be addressed on, with the address.
fn address(customer: &Customer, channel: Channel) -> Option<String> {
    match channel {
        Channel::Email => customer.email.clone().filter(|e| e.contains('@')),
        Channel::Sms => customer.phone.clone(),
        // The app and WeChat gateways resolve the customer id to their device or open id.
        Channel::Push | Channel::Wechat => Some(customer.external_id.clone()),
    }
}

/// The products of a campaign's messages that do not depend on the customer.
struct SharedProducts {
    /// For customers without personalisation, or all of them in fixed and overstock modes.
    names: HashMap<String, Text>,
    list: Vec<String>,
}

async fn shared_products(p: &Platform, spec: &CampaignSpec) -> ServiceResult<SharedProducts> {
    let count = spec.products.count;
    let ids: Vec<String> = match spec.products.mode {
        ProductMode::None => Vec::new(),
        ProductMode::Fixed => spec.products.product_ids.iter().take(count).cloned().collect(),
        ProductMode::Overstock => {
            let alerts = p.store.stock_alerts(None, 500).await?;
            let mut over: Vec<_> = alerts.into_iter().filter(|a| a.alert == Some(StockAlertKind::Over)).collect();
            over.sort_by_key(|a| std::cmp::Reverse(a.on_hand));
            let mut ids: Vec<String> = Vec::new();
            for a in over {
                if !ids.contains(&a.product_id) && ids.len() < count {
                    ids.push(a.product_id);
                }
            }
            ids
        }
        ProductMode::Recommended => match p.store.sales_days().await? {
            Some(range) => p
                .store
                .top_products(DateRange::last_days(range.to, 28), None, count as u32)
                .await?
                .into_iter()
                .map(|s| s.product_id)
                .collect(),
            None => Vec::new(),
        },
    };
    let docs = p.store.get_docs(EntityKind::Product, &ids).await?;
    let names: HashMap<String, Text> = docs
        .into_iter()
        .filter_map(|d| Some((d.external_id, serde_json::from_value::<Text>(d.doc.get("name")?.clone()).ok()?)))
        .collect();
    Ok(SharedProducts { list: ids.into_iter().filter(|id| names.contains_key(id)).collect(), names })
}

/// The products named in one customer's message.
async fn products_for(
    p: &Platform,
    spec: &CampaignSpec,
    shared: &SharedProducts,
    customer: &Customer,
    language: Language,
) -> ServiceResult<Vec<String>> {
    let pick = |name: &Text| name.get(if language == Language::Zh { "zh" } else { "en" }).to_string();
    if spec.products.mode == ProductMode::Recommended && customer.consent.personalisation {
        let request = RecommendationRequest {
            customer_id: Some(customer.external_id.clone()),
            k: spec.products.count,
            ..Default::default()
        };
        let picks = recommend::recommend(p, &request, Utc::now()).await?;
        if !picks.items.is_empty() {
            return Ok(picks.items.iter().map(|i| pick(&i.name)).collect());
        }
    }
    Ok(shared.list.iter().filter_map(|id| shared.names.get(id)).map(pick).collect())
}

/// The customer's usual order, for targeting by revenue; the segment's mean for newcomers.
fn order_value(c: &CustomerFeatures, fallback: i64) -> i64 {
    if c.average_basket_minor > 0 { c.average_basket_minor } else { fallback }
}

/// Plans a draft or re-plans a planned campaign.
pub async fn plan(p: &Platform, campaign_id: &str) -> ServiceResult<Campaign> {
    let r = record(p, campaign_id).await?;
    if !matches!(r.status.as_str(), "draft" | "planned") {
        return Err(ServiceError::Conflict(format!("campaign '{campaign_id}' is {}: it cannot be planned", r.status)));
    }
    let spec: CampaignSpec = serde_json::from_str(&r.spec).map_err(internal)?;
    let now = Utc::now();
    let scored = scored_population(p, now).await?;
    let members: Vec<String> =
        p.store.segment_members(&spec.segment_id).await?.into_iter().map(|m| m.customer_id).collect();
    let index: HashMap<&str, usize> =
        scored.population.features.iter().enumerate().map(|(i, f)| (f.customer_id.as_str(), i)).collect();
    let audience: Vec<usize> = members.iter().filter_map(|id| index.get(id.as_str()).copied()).collect();
    if audience.is_empty() {
        return Err(ServiceError::Conflict(format!(
            "segment '{}' has no customers: refresh it or widen its rule",
            spec.segment_id
        )));
    }
    let planned = Planner::new(p, &spec, campaign_id, &scored, now).await?.run(&audience).await?;
    let mut next = CampaignRecord {
        status: "planned".into(),
        planned_at_ms: Some(now.timestamp_millis()),
        updated_at_ms: now.timestamp_millis(),
        version: r.version + 1,
        plan: Some(serde_json::to_string(&planned.summary).map_err(internal)?),
        ..r.clone()
    };
    next.sent_at_ms = None;
    if !p.store.save_plan(&next, r.version, &planned.rows).await? {
        return Err(ServiceError::Conflict(format!("campaign '{campaign_id}' was changed while planning; plan again")));
    }
    view(&next, BTreeMap::new())
}

struct Planned {
    rows: Vec<AudienceRecord>,
    summary: PlanSummary,
}

/// One campaign's plan over a scored population.
struct Planner<'a> {
    p: &'a Platform,
    spec: &'a CampaignSpec,
    campaign_id: &'a str,
    scored: &'a Scored,
    now: DateTime<Utc>,
    model: Option<FittedUplift>,
    cap: FrequencyCap,
    window: LocalWindow,
    store_names: HashMap<String, Text>,
    /// (subject, body) in Chinese and in English, parsed once.
    templates: [(Template, Template); 2],
}

/// An audience member still in the running, with what the plan knows of them so far.
struct Eligible {
    index: usize,
    channel: Channel,
    address: String,
    send_at: DateTime<Utc>,
}

impl<'a> Planner<'a> {
    async fn new(
        p: &'a Platform,
        spec: &'a CampaignSpec,
        campaign_id: &'a str,
        scored: &'a Scored,
        now: DateTime<Utc>,
    ) -> ServiceResult<Self> {
        let model = match spec.targeting {
            Targeting::Everyone => None,
            Targeting::Uplift => Some(uplift::latest(p).await?.ok_or_else(|| {
                ServiceError::Conflict(
                    "no uplift model yet: measure a campaign with a hold-out, then train one \
                     (POST /api/v1/marketing/uplift/train)"
                        .into(),
                )
            })?),
        };
        let m = &p.config.marketing;
        let window = LocalWindow { start_hour: m.send_hours[0], end_hour: m.send_hours[1] };
        let locations: Vec<Location> = crate::service::all_docs(p, EntityKind::Location).await?;
        let parsed = |lang: &str| -> ServiceResult<(Template, Template)> {
            Ok((parse_template("subject", spec.subject.get(lang))?, parse_template("body", spec.body.get(lang))?))
        };
        Ok(Planner {
            templates: [parsed("zh")?, parsed("en")?],
            p,
            spec,
            campaign_id,
            scored,
            now,
            model,
            cap: FrequencyCap { max_messages: m.frequency_cap, per_days: m.frequency_cap_days },
            window,
            store_names: locations.into_iter().map(|l| (l.external_id, l.name)).collect(),
        })
    }

    fn features(&self, i: usize) -> &CustomerFeatures {
        self.scored.features(i)
    }

    fn customer(&self, i: usize) -> Option<&Customer> {
        self.scored.population.customers.get(&self.features(i).customer_id)
    }

    async fn run(&self, audience: &[usize]) -> ServiceResult<Planned> {
        let mut decisions: HashMap<usize, String> = HashMap::new();
        let opt_outs = self.p.store.opt_outs(None).await?;
        let mut unsubscribed: HashMap<&str, Vec<Channel>> = HashMap::new();
        for o in &opt_outs {
            let channels = if o.channel == "all" {
                vec![Channel::Sms, Channel::Email, Channel::Push, Channel::Wechat]
            } else {
                serde_json::from_value::<Channel>(o.channel.as_str().into()).into_iter().collect()
            };
            unsubscribed.entry(o.customer_id.as_str()).or_default().extend(channels);
        }
        let mut eligible = Vec::new();
        for &i in audience {
            let c = self.features(i);
            let Some(customer) = self.customer(i) else { continue };
            let reachable: Vec<Channel> =
                self.spec.channels.iter().copied().filter(|&ch| address(customer, ch).is_some()).collect();
            let none = Vec::new();
            let outs = unsubscribed.get(c.customer_id.as_str()).unwrap_or(&none);
            let channel = if reachable.is_empty() {
                Err("no_address")
            } else {
                choose_channel(&c.consent, &c.preferred_channels, &reachable, outs).map_err(|b| match b {
                    Blocked::NoConsent => "no_consent",
                    Blocked::OptedOut => "opted_out",
                    Blocked::NoChannel => "no_channel",
                })
            };
            let channel = match channel {
                Ok(ch) => ch,
                Err(reason) => {
                    decisions.insert(i, reason.into());
                    continue;
                }
            };
            let zone = self.scored.population.time_zone(c);
            let start = self.spec.starts_at;
            let send_at = send_time(start, zone, self.window)
                .or_else(|_| send_time(start, super::population::HOME_TIME_ZONE, self.window))
                .map_err(internal)?;
            let address = address(customer, channel).expect("reachable channels have addresses");
            eligible.push(Eligible { index: i, channel, address, send_at });
        }
        let eligible = self.apply_cap(eligible, &mut decisions).await?;
        let (selection, uplifts) = self.target(&eligible)?;
        let chosen: HashMap<&str, usize> =
            selection.chosen.iter().enumerate().map(|(rank, id)| (id.as_str(), rank)).collect();
        let holdout = Holdout::new(self.campaign_id, self.spec.holdout_share)
            .map_err(|e| invalid("holdout_share", e.to_string()))?;
        let shared = shared_products(self.p, self.spec).await?;
        let fallback_value = mean_basket(eligible.iter().map(|e| self.features(e.index)));
        let mut rows = Vec::with_capacity(audience.len());
        for e in &eligible {
            let c = self.features(e.index);
            let uplift = uplifts.get(&e.index).copied();
            let value = order_value(c, fallback_value);
            let (arm, decision) = match chosen.get(c.customer_id.as_str()) {
                None => ("none", "not_selected"),
                Some(_) => match holdout.arm(&c.customer_id) {
                    Arm::Treatment => ("treatment", "send"),
                    Arm::Holdout => ("holdout", "held_out"),
                },
            };
            let message = if decision == "send" { Some(self.message(e, &shared, uplift).await?) } else { None };
            let doc = AudienceDoc {
                inputs: uplift::inputs(c),
                expected_order_value_minor: value,
                uplift,
                unsubscribe_token: message.as_ref().map(|_| new_token()),
                message,
            };
            let expected = uplift.map_or(0, |u| (u * value as f64).round() as i64);
            rows.push(self.row(c, arm, decision, Some(e.channel), Some(e.send_at), expected, &doc)?);
        }
        for (&i, reason) in &decisions {
            let c = self.features(i);
            let doc = AudienceDoc {
                inputs: uplift::inputs(c),
                expected_order_value_minor: order_value(c, fallback_value),
                uplift: None,
                message: None,
                unsubscribe_token: None,
            };
            rows.push(self.row(c, "none", reason, None, None, 0, &doc)?);
        }
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for r in &rows {
            *counts.entry(r.decision.clone()).or_default() += 1;
        }
        let skipped = selection.skipped;
        if skipped.over_budget > 0 {
            *counts.entry("over_budget".into()).or_default() += skipped.over_budget;
            *counts.entry("not_selected".into()).or_default() -= skipped.over_budget.min(counts["not_selected"]);
        }
        if skipped.not_profitable > 0 {
            *counts.entry("not_profitable".into()).or_default() += skipped.not_profitable;
            *counts.entry("not_selected".into()).or_default() -= skipped.not_profitable.min(counts["not_selected"]);
        }
        counts.retain(|_, n| *n > 0);
        let summary = PlanSummary {
            planned_at: self.now,
            segment_size: audience.len() as u64,
            decisions: counts,
            expected_cost_minor: selection.expected.cost_minor,
            expected_incremental_conversions: selection.expected.incremental_conversions,
            expected_incremental_value_minor: selection.expected.incremental_value_minor,
            model_id: self.model.as_ref().map(|m| m.model_id.clone()),
        };
        Ok(Planned { rows, summary })
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        c: &CustomerFeatures,
        arm: &str,
        decision: &str,
        channel: Option<Channel>,
        send_at: Option<DateTime<Utc>>,
        expected_value_minor: i64,
        doc: &AudienceDoc,
    ) -> ServiceResult<AudienceRecord> {
        Ok(AudienceRecord {
            campaign_id: self.campaign_id.to_string(),
            customer_id: c.customer_id.clone(),
            arm: arm.into(),
            decision: decision.into(),
            channel: channel.map(channel_name),
            send_at_ms: send_at.map(|t| t.timestamp_millis()),
            expected_value_minor,
            doc: serde_json::to_string(doc).map_err(internal)?,
        })
    }

    /// Keeps the customers the frequency cap leaves room for, this campaign's priority weighed
    /// against the other planned campaigns that want them in the same window.
    async fn apply_cap(
        &self,
        eligible: Vec<Eligible>,
        decisions: &mut HashMap<usize, String>,
    ) -> ServiceResult<Vec<Eligible>> {
        let start = self.spec.starts_at;
        let window = Duration::days(i64::from(self.cap.per_days));
        let mut previous: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
        for (customer, at) in self.p.store.sends_since((start - window).timestamp_millis()).await? {
            previous.entry(customer).or_default().push(ms_to_time(at));
        }
        let mut claims: Vec<Claim> = eligible
            .iter()
            .map(|e| Claim {
                campaign_id: self.campaign_id.to_string(),
                priority: self.spec.priority,
                customer_id: self.features(e.index).customer_id.clone(),
            })
            .collect();
        for other in self.p.store.list_campaigns(500).await? {
            let near = (other.starts_at_ms - start.timestamp_millis()).abs() < window.num_milliseconds();
            if other.campaign_id == self.campaign_id || other.status != "planned" || !near {
                continue;
            }
            for a in self.p.store.campaign_audience(&other.campaign_id).await? {
                if a.decision == "send" {
                    let priority = i32::try_from(other.priority).unwrap_or_default();
                    claims.push(Claim { campaign_id: other.campaign_id.clone(), priority, customer_id: a.customer_id });
                }
            }
        }
        let outcomes = resolve_claims(&claims, &self.cap, &previous, start);
        let mut kept = Vec::with_capacity(eligible.len());
        for (e, outcome) in eligible.into_iter().zip(outcomes) {
            match outcome {
                ClaimOutcome::Send => kept.push(e),
                ClaimOutcome::Outranked => {
                    decisions.insert(e.index, "outranked".into());
                }
                ClaimOutcome::CapReached => {
                    decisions.insert(e.index, "capped".into());
                }
            }
        }
        Ok(kept)
    }

    /// Whom to contact within the budget, and the predicted uplift of each eligible customer.
    fn target(&self, eligible: &[Eligible]) -> ServiceResult<(Selection, HashMap<usize, f64>)> {
        let fallback_value = mean_basket(eligible.iter().map(|e| self.features(e.index)));
        match &self.model {
            None => {
                let candidates: Vec<ScoredCandidate> = eligible
                    .iter()
                    .map(|e| {
                        let c = self.features(e.index);
                        ScoredCandidate {
                            customer_id: c.customer_id.clone(),
                            score: c.spend_365d_minor as f64,
                            contact_cost_minor: contact_cost_minor(e.channel)
                                + self.spec.offer.cost_minor(order_value(c, fallback_value)),
                        }
                    })
                    .collect();
                Ok((select_by_score(&candidates, self.spec.budget_minor).map_err(internal)?, HashMap::new()))
            }
            Some(model) => {
                let mut uplifts = HashMap::with_capacity(eligible.len());
                let mut candidates = Vec::with_capacity(eligible.len());
                for e in eligible {
                    let c = self.features(e.index);
                    let u = model.predict(c).clamp(-1.0, 1.0);
                    uplifts.insert(e.index, u);
                    let value = match self.spec.goal {
                        Goal::Revenue => order_value(c, fallback_value),
                        Goal::Conversion => fallback_value,
                    };
                    candidates.push(Candidate {
                        customer_id: c.customer_id.clone(),
                        uplift: u,
                        conversion_if_treated: (model.treated_rate + u.max(0.0)).clamp(0.0, 1.0),
                        expected_order_value_minor: value,
                        contact_cost_minor: contact_cost_minor(e.channel),
                        offer_cost_minor: self.spec.offer.cost_minor(value),
                    });
                }
                Ok((select_by_uplift(&candidates, self.spec.budget_minor).map_err(internal)?, uplifts))
            }
        }
    }

    async fn message(
        &self,
        e: &Eligible,
        shared: &SharedProducts,
        uplift: Option<f64>,
    ) -> ServiceResult<MessagePreview> {
        let c = self.features(e.index);
        let customer = self.customer(e.index).expect("eligible customers exist");
        let language = language_of(&customer.language);
        let products = products_for(self.p, self.spec, shared, customer, language).await?;
        let lang = if language == Language::Zh { "zh" } else { "en" };
        let store = c.home_location_id.as_ref().and_then(|l| self.store_names.get(l)).map(|n| n.get(lang).to_string());
        let values = Values {
            language,
            name: customer.name.clone(),
            first_name: first_name(&customer.name, language),
            products: products.clone(),
            offer: self.spec.offer.describe(language),
            store: store.unwrap_or_default(),
            // The link is completed with the message's token at launch.
            unsubscribe_url: UNSUBSCRIBE_PLACEHOLDER.into(),
            campaign: self.spec.name.clone(),
        };
        let (subject, body) = &self.templates[usize::from(language == Language::En)];
        let subject = subject.render(&values).lines().next().unwrap_or_default().to_string();
        Ok(MessagePreview {
            customer_id: c.customer_id.clone(),
            channel: e.channel,
            address: e.address.clone(),
            language: customer.language.clone(),
            send_at: e.send_at,
            subject,
            body: body.render(&values),
            products,
            uplift,
        })
    }
}

/// Stands for the unsubscribe link until launch gives each message its own.
const UNSUBSCRIBE_PLACEHOLDER: &str = "{unsubscribe}";

fn new_token() -> String {
    let bits: u128 = rand::rng().random();
    format!("{bits:032x}")
}

fn first_name(name: &str, language: Language) -> String {
    match language {
        // Chinese names put the family name first; customers are addressed by their full name.
        Language::Zh => name.to_string(),
        Language::En => name.split_whitespace().next().unwrap_or_default().to_string(),
    }
}

/// A channel's name as stored and in the API (`sms`, `email`, `push`, `wechat`).
pub fn channel_name(channel: Channel) -> String {
    serde_json::to_value(channel).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn mean_basket<'a>(customers: impl Iterator<Item = &'a CustomerFeatures>) -> i64 {
    let (sum, n) = customers
        .filter(|c| c.average_basket_minor > 0)
        .fold((0i64, 0i64), |(s, n), c| (s + c.average_basket_minor, n + 1));
    if n == 0 { 10_000 } else { sum / n }
}

fn audience_doc(a: &AudienceRecord) -> ServiceResult<AudienceDoc> {
    serde_json::from_str(&a.doc).map_err(internal)
}

/// The planned messages, for the marketer to read before launching.
pub async fn preview(p: &Platform, campaign_id: &str, limit: usize) -> ServiceResult<Vec<MessagePreview>> {
    record(p, campaign_id).await?;
    let mut out = Vec::new();
    for a in p.store.campaign_audience(campaign_id).await? {
        if out.len() >= limit {
            break;
        }
        let doc = audience_doc(&a)?;
        if let (Some(message), Some(token)) = (doc.message, doc.unsubscribe_token) {
            out.push(with_link(p, message, &token));
        }
    }
    Ok(out)
}

fn with_link(p: &Platform, mut m: MessagePreview, token: &str) -> MessagePreview {
    let url = format!("{}/unsubscribe/{token}", p.config.marketing.public_url.trim_end_matches('/'));
    m.body = m.body.replace(UNSUBSCRIBE_PLACEHOLDER, &url);
    m.subject = m.subject.replace(UNSUBSCRIBE_PLACEHOLDER, &url);
    m
}

/// Queues a planned campaign's messages for delivery at their send times.
pub async fn launch(p: &Platform, campaign_id: &str) -> ServiceResult<LaunchReport> {
    let r = record(p, campaign_id).await?;
    if r.status != "planned" {
        return Err(ServiceError::Conflict(format!(
            "campaign '{campaign_id}' is {}: plan it before launching",
            r.status
        )));
    }
    let spec: CampaignSpec = serde_json::from_str(&r.spec).map_err(internal)?;
    let cap = FrequencyCap {
        max_messages: p.config.marketing.frequency_cap,
        per_days: p.config.marketing.frequency_cap_days,
    };
    let now = Utc::now();
    let since = spec.starts_at - Duration::days(i64::from(cap.per_days));
    let mut previous: HashMap<String, Vec<DateTime<Utc>>> = HashMap::new();
    for (customer, at) in p.store.sends_since(since.timestamp_millis()).await? {
        previous.entry(customer).or_default().push(ms_to_time(at));
    }
    let mut messages = Vec::new();
    let mut capped = 0;
    for a in p.store.campaign_audience(campaign_id).await? {
        let doc = audience_doc(&a)?;
        let (Some(m), Some(token)) = (doc.message, doc.unsubscribe_token) else { continue };
        if !cap.allows(previous.get(&a.customer_id).map_or(&[][..], Vec::as_slice), m.send_at) {
            capped += 1;
            continue;
        }
        let m = with_link(p, m, &token);
        messages.push(OutgoingMessage {
            message_id: format!("{campaign_id}:{}", a.customer_id),
            campaign_id: campaign_id.to_string(),
            customer_id: a.customer_id.clone(),
            channel: channel_name(m.channel),
            address: m.address,
            language: m.language,
            subject: m.subject,
            body: m.body,
            status: "queued".into(),
            attempts: 0,
            send_after_ms: m.send_at.timestamp_millis(),
            next_attempt_at_ms: m.send_at.timestamp_millis(),
            last_error: None,
            unsubscribe_token: token,
            created_at_ms: now.timestamp_millis(),
            sent_at_ms: None,
        });
    }
    let next = CampaignRecord {
        status: "sending".into(),
        sent_at_ms: Some(now.timestamp_millis()),
        updated_at_ms: now.timestamp_millis(),
        version: r.version + 1,
        ..r.clone()
    };
    if !p.store.queue_messages(&next, r.version, &messages).await? {
        return Err(ServiceError::Conflict(format!(
            "campaign '{campaign_id}' was changed at the same time; try again"
        )));
    }
    Ok(LaunchReport { queued: messages.len() as u64, capped })
}

/// Cancels a campaign that has not been launched.
pub async fn cancel(p: &Platform, campaign_id: &str) -> ServiceResult<Campaign> {
    let r = record(p, campaign_id).await?;
    if !matches!(r.status.as_str(), "draft" | "planned") {
        return Err(ServiceError::Conflict(format!(
            "campaign '{campaign_id}' is {}: it cannot be cancelled",
            r.status
        )));
    }
    let next = CampaignRecord {
        status: "cancelled".into(),
        updated_at_ms: Utc::now().timestamp_millis(),
        version: r.version + 1,
        ..r.clone()
    };
    if !p.store.save_campaign(&next, Some(r.version)).await? {
        return Err(ServiceError::Conflict(format!(
            "campaign '{campaign_id}' was changed at the same time; try again"
        )));
    }
    view(&next, BTreeMap::new())
}

/// Marks launched campaigns whose messages have all left as sent; how many.
pub async fn close_sent(p: &Platform) -> ServiceResult<usize> {
    let mut closed = 0;
    for r in p.store.list_campaigns(500).await? {
        if r.status != "sending" {
            continue;
        }
        let counts = message_counts(p, &r.campaign_id).await?;
        if counts.keys().all(|status| !matches!(status.as_str(), "queued" | "sending")) {
            let next = CampaignRecord { status: "sent".into(), version: r.version + 1, ..r.clone() };
            closed += usize::from(p.store.save_campaign(&next, Some(r.version)).await?);
        }
    }
    Ok(closed)
}

/// The campaign's effect against its hold-out over its measurement window (so far).
pub async fn effect(p: &Platform, campaign_id: &str) -> ServiceResult<CampaignEffect> {
    let r = record(p, campaign_id).await?;
    if !matches!(r.status.as_str(), "sending" | "sent") {
        return Err(ServiceError::Conflict(format!(
            "campaign '{campaign_id}' is {}: it has no effect to measure yet",
            r.status
        )));
    }
    let spec: CampaignSpec = serde_json::from_str(&r.spec).map_err(internal)?;
    let from = spec.starts_at;
    let to = from + Duration::days(i64::from(spec.measure_days));
    let outcomes = p.store.campaign_outcomes(campaign_id, from.timestamp_millis(), to.timestamp_millis()).await?;
    let messages = message_counts(p, campaign_id).await?;
    let sent: HashMap<String, bool> = sent_customers(p, campaign_id).await?;
    let audience: HashMap<String, AudienceRecord> =
        p.store.campaign_audience(campaign_id).await?.into_iter().map(|a| (a.customer_id.clone(), a)).collect();
    let mut rows = Vec::new();
    let mut predicted = Vec::new();
    let mut offer_cost = 0;
    let mut contact_cost = 0;
    for o in &outcomes {
        let arm = match o.arm.as_str() {
            "treatment" => Arm::Treatment,
            "holdout" => Arm::Holdout,
            _ => continue,
        };
        let contacted = arm == Arm::Treatment && sent.get(&o.customer_id).copied().unwrap_or(false);
        let converted = o.orders > 0;
        let doc = audience.get(&o.customer_id).map(audience_doc).transpose()?;
        if contacted {
            let channel = audience.get(&o.customer_id).and_then(|a| a.channel.as_deref());
            let channel = channel.and_then(|c| serde_json::from_value::<Channel>(c.into()).ok());
            contact_cost += channel.map_or(0, contact_cost_minor);
            if converted {
                offer_cost += spec.offer.cost_minor(o.revenue_minor);
            }
        }
        rows.push(OutcomeRow { arm, contacted, converted, revenue_minor: o.revenue_minor });
        if let Some(u) = doc.and_then(|d| d.uplift) {
            predicted.push(PredictedOutcome { arm, converted, predicted_uplift: u });
        }
    }
    let costs = Costs { offer_cost_minor: offer_cost, contact_cost_minor: contact_cost };
    let report = effect::analyse(&effect::Outcomes::from_rows(&rows), &costs)
        .map_err(|e| ServiceError::Conflict(format!("the effect cannot be measured yet: {e}")))?;
    let qini = if spec.targeting == Targeting::Uplift && predicted.len() == rows.len() {
        effect::qini_points(&predicted, 20).map_err(internal)?
    } else {
        Vec::new()
    };
    Ok(CampaignEffect {
        campaign_id: campaign_id.to_string(),
        window_from: from,
        window_to: to,
        complete: Utc::now() >= to,
        report,
        messages,
        qini,
    })
}

/// Customers whose message was sent.
async fn sent_customers(p: &Platform, campaign_id: &str) -> ServiceResult<HashMap<String, bool>> {
    let mut out = HashMap::new();
    let mut after = String::new();
    loop {
        let page = p.store.list_messages(campaign_id, &after, 1000).await?;
        let Some(last) = page.last() else { return Ok(out) };
        after = last.message_id.clone();
        for m in page {
            out.insert(m.customer_id, m.status == "sent");
        }
    }
}

/// Who an unsubscribe link belongs to, and what they opted out of.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unsubscribed {
    pub customer_id: String,
    /// `all`, or the channel of the message.
    pub channel: String,
    pub language: String,
}

/// Opts the customer of a message's unsubscribe link out of its channel, or of everything.
pub async fn unsubscribe(p: &Platform, token: &str, everything: bool) -> ServiceResult<Unsubscribed> {
    let message = p
        .store
        .message_by_token(token)
        .await?
        .ok_or_else(|| ServiceError::NotFound { kind: "unsubscribe link", id: token.chars().take(8).collect() })?;
    let channel = if everything { "all".to_string() } else { message.channel.clone() };
    opt_out(p, &message.customer_id, &channel, "link").await?;
    Ok(Unsubscribed { customer_id: message.customer_id, channel, language: message.language })
}

/// Records that a customer wants no more messages on `channel` (`all` for every channel).
pub async fn opt_out(p: &Platform, customer_id: &str, channel: &str, source: &str) -> ServiceResult<()> {
    if channel != "all" && serde_json::from_value::<Channel>(channel.into()).is_err() {
        return Err(invalid("channel", format!("unknown channel '{channel}': sms, email, push, wechat or all")));
    }
    if p.store.get_doc(EntityKind::Customer, customer_id).await?.is_none() {
        return Err(ServiceError::NotFound { kind: "customer", id: customer_id.to_string() });
    }
    let record = retail_store::OptOutRecord {
        customer_id: customer_id.to_string(),
        channel: channel.to_string(),
        at_ms: Utc::now().timestamp_millis(),
        source: source.to_string(),
    };
    p.store.opt_out(&record).await?;
    Ok(())
}

/// Turns personalisation off (or on) for the customer of an unsubscribe link: their messages
/// then name best sellers instead of products picked from their behaviour.
pub async fn set_personalisation(p: &Platform, token: &str, on: bool) -> ServiceResult<Unsubscribed> {
    let message = p
        .store
        .message_by_token(token)
        .await?
        .ok_or_else(|| ServiceError::NotFound { kind: "unsubscribe link", id: token.chars().take(8).collect() })?;
    let doc = p
        .store
        .get_doc(EntityKind::Customer, &message.customer_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound { kind: "customer", id: message.customer_id.clone() })?;
    let mut customer: Customer = serde_json::from_value(doc.doc).map_err(internal)?;
    customer.consent.personalisation = on;
    crate::service::upsert(p, &[customer]).await?;
    Ok(Unsubscribed { customer_id: message.customer_id, channel: "personalisation".into(), language: message.language })
}
