//! The demo's marketing: a few segments, and a win-back campaign three weeks ago with a
//! half-and-half hold-out whose customers answered by a hidden rule (lapsing regulars and deal
//! seekers are moved by the message, frequent buyers order anyway), so the effect page has an
//! incremental effect to show, an uplift model has something to learn, and the next campaign
//! is planned by it, ready for the marketer to preview and launch.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use retail_domain::{
    Channel, Currency, EntityKind, Order, OrderChannel, OrderLine, OrderStatus, Product, ProductStatus, Text,
};
use retail_marketing::CustomerFeatures;
use retail_marketing::rfm::RfmSegment;
use retail_marketing::rules::{Field, Op, Rule};
use retail_store::DocQuery;
use retail_uplift::model::ModelKind;
use serde::Serialize;

use super::campaigns::{CampaignSpec, Goal, Offer, OfferKind, ProductChoice, ProductMode, Targeting};
use super::delivery::{Adapters, deliver_all_due};
use super::population;
use crate::platform::Platform;
use crate::service::{self, ServiceError, ServiceResult, all_docs};

pub const PAST_CAMPAIGN: &str = "winback-past";
pub const NEXT_CAMPAIGN: &str = "winback-next";

#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoMarketing {
    pub segments: usize,
    pub messages_sent: usize,
    pub orders_placed: usize,
    pub model_qini: Option<f64>,
    pub next_campaign_messages: u64,
}

/// How likely a customer is to order in the fortnight, without and with the message.
fn hidden_response(c: &CustomerFeatures) -> (f64, f64) {
    let active = f64::from(c.orders_90d.min(4)) / 4.0;
    let base = 0.03 + 0.30 * active;
    let lapsing = c.orders_365d >= 2 && c.days_since_last_order.is_some_and(|d| (30..=200).contains(&d));
    let mut lift = if lapsing { 0.16 } else { 0.02 };
    lift += 0.10 * c.discount_share + 0.05 * c.online_share;
    if c.orders_90d >= 4 {
        lift = -0.02;
    }
    (base, (base + lift).clamp(0.0, 1.0))
}

fn rules() -> Vec<(&'static str, &'static str, Rule)> {
    let compare = |field, op, value| Rule::Compare { field, op, value };
    vec![
        (
            "lapsing-regulars",
            "流失风险老客 Lapsing regulars",
            Rule::All {
                rules: vec![compare(Field::Orders365d, Op::Ge, 2.0), compare(Field::DaysSinceLastOrder, Op::Ge, 30.0)],
            },
        ),
        (
            "baby-lapsed-sms",
            "母婴断档 Baby buyers gone quiet",
            Rule::All {
                rules: vec![
                    Rule::Bought { category: "baby".into(), within_days: 90 },
                    Rule::Not { rule: Box::new(Rule::Bought { category: "baby".into(), within_days: 30 }) },
                    Rule::Consented { channel: Channel::Sms },
                ],
            },
        ),
        (
            "best-customers",
            "核心客户 Best customers",
            Rule::RfmSegment { segments: vec![RfmSegment::Champions, RfmSegment::Loyal] },
        ),
        ("buyers", "一年内下单客户 Customers who ordered this year", compare(Field::Orders365d, Op::Ge, 1.0)),
    ]
}

fn spec(name: &str, segment: &str, starts_at: DateTime<Utc>, targeting: Targeting, holdout: f64) -> CampaignSpec {
    CampaignSpec {
        name: name.into(),
        segment_id: segment.into(),
        goal: Goal::Revenue,
        offer: Offer { kind: OfferKind::Coupon, amount_minor: 1000, percent: 0, code: "BACK10".into() },
        products: ProductChoice { mode: ProductMode::Recommended, product_ids: Vec::new(), count: 3 },
        channels: vec![Channel::Wechat, Channel::Sms, Channel::Email, Channel::Push],
        starts_at,
        measure_days: 14,
        budget_minor: 2_000_000,
        holdout_share: holdout,
        targeting,
        priority: 5,
        subject: Text::new("{{first_name}}，好久不见", "We miss you, {{first_name}}"),
        body: Text::new(
            "{{name}}您好！送您{{offer}}，为您挑选了{{products}}。{{store}}期待您的光临。退订：{{unsubscribe_url}}",
            "Hello {{first_name}}! Here is {{offer}}, and we picked {{products}} for you. \
             Unsubscribe: {{unsubscribe_url}}",
        ),
    }
}

/// Seeds the demo's marketing as of `now`.
pub async fn seed(p: &Platform, now: DateTime<Utc>, progress: impl Fn()) -> ServiceResult<DemoMarketing> {
    let segments = rules();
    let mut target = None;
    for (id, name, rule) in &segments {
        let input = super::SegmentInput { name: name.to_string(), rule: rule.clone(), refresh_hours: 24 };
        let saved = super::save_segment(p, id, input, "demo").await?;
        // Lapsing regulars when the world has them (a short one may not), else every buyer.
        if saved.size > 0 && (target.is_none() || *id == "lapsing-regulars") {
            target = Some(id.to_string());
        }
        progress();
    }
    let Some(segment) = target else {
        return Ok(DemoMarketing { segments: segments.len(), ..Default::default() });
    };
    let started = now - Duration::days(21);
    let past = spec("老客召回（上期）Win-back, last round", &segment, started, Targeting::Everyone, 0.5);
    super::save_campaign(p, PAST_CAMPAIGN, past).await?;
    super::plan(p, PAST_CAMPAIGN).await?;
    super::launch(p, PAST_CAMPAIGN).await?;
    let adapters = Adapters::from_config(&p.config).map_err(ServiceError::Internal)?;
    let sent = deliver_all_due(p, &adapters, 500).await?;
    progress();
    let orders = answer_campaign(p, started).await?;
    super::close_sent(p).await?;
    progress();
    // With too few customers a model may not fit; the next round then targets by value.
    let training = match super::uplift::train(p, ModelKind::TwoModel).await {
        Ok(t) => Some(t),
        Err(ServiceError::Conflict(_)) => None,
        Err(e) => return Err(e),
    };
    progress();
    let targeting = if training.is_some() { Targeting::Uplift } else { Targeting::Everyone };
    let next = spec("老客召回（本期）Win-back, this round", &segment, now + Duration::days(1), targeting, 0.1);
    super::save_campaign(p, NEXT_CAMPAIGN, next).await?;
    let next = super::plan(p, NEXT_CAMPAIGN).await?;
    progress();
    Ok(DemoMarketing {
        segments: segments.len(),
        messages_sent: sent.sent,
        orders_placed: orders,
        model_qini: training.and_then(|t| t.validation_qini),
        next_campaign_messages: next.plan.map_or(0, |s| s.decisions.get("send").copied().unwrap_or(0)),
    })
}

/// Places the orders the past campaign's audience made in its window, by the hidden response.
async fn answer_campaign(p: &Platform, started: DateTime<Utc>) -> ServiceResult<usize> {
    let population = population::load(p, started).await?;
    let features: std::collections::HashMap<&str, &CustomerFeatures> =
        population.features.iter().map(|f| (f.customer_id.as_str(), f)).collect();
    let products: Vec<Product> = all_docs(p, EntityKind::Product).await?;
    let active: Vec<&Product> = products.iter().filter(|x| x.status == ProductStatus::Active).collect();
    let online = service::list(
        p,
        EntityKind::Location,
        &DocQuery { filters: vec![("kind".into(), "online".into())], limit: 1, ..Default::default() },
    )
    .await?;
    let (Some(web), false) = (online.items.first().map(|d| d.external_id.clone()), active.is_empty()) else {
        return Ok(0);
    };
    let mut rng = StdRng::seed_from_u64(20_261_125);
    let mut orders = Vec::new();
    for a in p.store.campaign_audience(PAST_CAMPAIGN).await? {
        let Some(c) = features.get(a.customer_id.as_str()) else { continue };
        let (without, with) = hidden_response(c);
        let chance = match a.arm.as_str() {
            "treatment" => with,
            "holdout" => without,
            _ => continue,
        };
        if !rng.random_bool(chance) {
            continue;
        }
        let placed = started + Duration::hours(rng.random_range(2..24 * 13));
        let lines: Vec<OrderLine> = (0..rng.random_range(1..=3))
            .map(|_| {
                let x = active[rng.random_range(0..active.len())];
                OrderLine {
                    product_id: x.external_id.clone(),
                    quantity: rng.random_range(1..=2),
                    unit_price_minor: x.price.amount_minor,
                    discount_minor: 0,
                }
            })
            .collect();
        orders.push(Order {
            delivery: None,
            external_id: format!("O-{}-MK{:05}", placed.format("%Y%m%d"), orders.len()),
            customer_id: Some(a.customer_id.clone()),
            channel: OrderChannel::Online,
            location_id: web.clone(),
            status: OrderStatus::Delivered,
            currency: Currency::cny(),
            lines,
            payments: vec![],
            shipments: vec![],
            delivery_address: None,
            placed_at: placed,
            updated_at: None,
        });
    }
    for chunk in orders.chunks(1000) {
        service::upsert(p, chunk).await?;
    }
    Ok(orders.len())
}
