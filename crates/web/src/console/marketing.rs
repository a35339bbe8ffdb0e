//! Marketing pages: segments (the customer base by RFM segment, every segment's size and value,
//! a rule builder), a segment's size over time and make-up, behaviour clusters, campaigns (list
//! and a form for a new one), and a campaign's plan, message previews, launch and effect against
//! its hold-out with the Qini curve.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use retail_app::marketing::{self, Campaign, CampaignEffect, CampaignSpec, SegmentInput, channel_name};
use retail_domain::{Channel, Text};
use retail_marketing::cluster::{Feature, Level};
use retail_marketing::effect::Estimate;
use retail_marketing::rfm::RfmSegment;
use retail_marketing::rules::{Field as RuleField, Op, Rule};

use super::view::*;
use super::{Viewer, failed};
use crate::AppState;
use crate::access::{Area, Permission};

const CHANNELS: [Channel; 4] = [Channel::Wechat, Channel::Sms, Channel::Email, Channel::Push];

fn text_of<'a>(v: &Viewer, t: &'a Text) -> &'a str {
    t.get(v.lang.short())
}

fn channel_key(c: Channel) -> &'static str {
    match c {
        Channel::Sms => "mkt.channel.sms",
        Channel::Email => "mkt.channel.email",
        Channel::Push => "mkt.channel.push",
        Channel::Wechat => "mkt.channel.wechat",
    }
}

fn percent(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn status_badge(v: &Viewer, status: &str) -> Cell {
    let tone = match status {
        "planned" => Tone::Info,
        "sending" => Tone::Warn,
        "sent" => Tone::Good,
        "cancelled" => Tone::Bad,
        _ => Tone::Plain,
    };
    Cell::badge(v.lang.lookup(&format!("mkt.status.{status}")).unwrap_or(status), tone)
}

fn text_field(v: &Viewer, name: &str, label: &str, value: &str, required: bool) -> Field {
    Field::Text { name: name.into(), label: v.t(label).into(), value: value.into(), required }
}

/// Segments: RFM make-up of all customers, the segments, and the rule builder.
pub async fn segments(State(s): State<AppState>, v: Viewer) -> Response {
    let (all, rfm) = match tokio::try_join!(marketing::list_segments(&s.platform), marketing::rfm_overview(&s.platform))
    {
        Ok(both) => both,
        Err(e) => return failed(&v, e),
    };
    let customers: u64 = rfm.iter().map(|r| r.customers).sum();
    let kpis = vec![
        Kpi { label: v.t("mkt.customers").into(), value: count(customers as i64), hint: String::new() },
        Kpi { label: v.t("mkt.segments").into(), value: all.len().to_string(), hint: String::new() },
    ];
    let chart = Chart::new(ChartKind::Hbar, v.t("mkt.rfm_segment"), v.t("mkt.customers"))
        .categories(rfm.iter().map(|r| text_of(&v, &r.label).to_string()).collect())
        .series(v.t("mkt.customers"), rfm.iter().map(|r| r.customers as f64).collect())
        .height(360);
    let value_chart = Chart::new(ChartKind::Hbar, v.t("mkt.rfm_segment"), v.t("mkt.value_yuan"))
        .categories(rfm.iter().map(|r| text_of(&v, &r.label).to_string()).collect())
        .series(v.t("mkt.value_yuan"), rfm.iter().map(|r| r.value_minor as f64 / 100.0).collect())
        .height(360);
    let mut table = Table::new(
        v.labels(&["common.name", "mkt.rule", "mkt.size", "mkt.value", "mkt.refreshed"]),
        v.t("mkt.no_segments"),
    )
    .numeric(&[2, 3]);
    for seg in &all {
        table.rows.push(vec![
            Cell::link(&seg.name, format!("/console/marketing/segments/{}", seg.segment_id)),
            Cell::text(text_of(&v, &seg.description)),
            Cell::Number(count(seg.size)),
            Cell::Number(yuan(seg.value_minor)),
            Cell::text(when(seg.refreshed_at)),
        ]);
    }
    let mut page = v
        .page(v.t("nav.segments"))
        .subtitle(v.t("mkt.segments_subtitle"))
        .card(Card::new("", Width::Full).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("mkt.by_rfm"), Width::Half).block(Block::Chart(chart)))
        .card(Card::new(v.t("mkt.value_by_rfm"), Width::Half).block(Block::Chart(value_chart)))
        .card(Card::new(v.t("mkt.segments"), Width::Full).block(Block::Table(table)));
    if v.can(Permission::Write(Area::Marketing)) {
        page = page.card(Card::new(v.t("mkt.new_segment"), Width::Full).block(Block::Form(segment_form(&v))));
    }
    page.into_response()
}

/// The rule builder: each filled field adds a condition, all of which must hold.
fn segment_form(v: &Viewer) -> Form {
    let number =
        |name: &str, label: &str| Field::Number { name: name.into(), label: v.t(label).into(), value: String::new() };
    Form {
        action: "/console/marketing/segments".into(),
        fields: vec![
            text_field(v, "segment_id", "mkt.segment_id", "", true),
            text_field(v, "name", "common.name", "", true),
            text_field(v, "bought_category", "mkt.bought_category", "", false),
            number("bought_within", "mkt.bought_within"),
            number("not_bought_within", "mkt.not_bought_within"),
            number("min_orders", "mkt.min_orders"),
            number("min_days_since_order", "mkt.min_days_since_order"),
            number("min_spend", "mkt.min_spend"),
            Field::Select(Select {
                name: "consent".into(),
                label: v.t("mkt.consented").into(),
                options: std::iter::once((String::new(), v.t("common.none").to_string()))
                    .chain(CHANNELS.iter().map(|c| (channel_name(*c), v.t(channel_key(*c)).to_string())))
                    .collect(),
                selected: String::new(),
            }),
            Field::Checkboxes {
                name: "rfm".into(),
                label: v.t("mkt.rfm_segments").into(),
                options: RfmSegment::ALL
                    .iter()
                    .map(|s| (rfm_name(*s), s.label(language(v)).to_string(), false))
                    .collect(),
            },
        ],
        submit: v.t("mkt.save_segment").into(),
        confirm: None,
        tone: Tone::Info,
    }
}

fn language(v: &Viewer) -> retail_marketing::Language {
    match v.lang {
        super::i18n::Lang::Zh => retail_marketing::Language::Zh,
        super::i18n::Lang::En => retail_marketing::Language::En,
    }
}

fn rfm_name(s: RfmSegment) -> String {
    serde_json::to_value(s).ok().and_then(|x| x.as_str().map(str::to_string)).unwrap_or_default()
}

/// The rule the builder's fields describe.
fn rule_from_form(form: &[(String, String)]) -> Result<Rule, String> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, x)| x.trim()).filter(|x| !x.is_empty());
    let number = |k: &str| -> Result<Option<f64>, String> {
        get(k).map(|x| x.parse::<f64>().map_err(|_| format!("{k}: {x:?} is not a number"))).transpose()
    };
    let days = |k: &str| -> Result<Option<u32>, String> {
        get(k).map(|x| x.parse::<u32>().map_err(|_| format!("{k}: {x:?} is not a whole number of days"))).transpose()
    };
    let mut rules = Vec::new();
    if let Some(category) = get("bought_category") {
        let within = days("bought_within")?.unwrap_or(90);
        rules.push(Rule::Bought { category: category.into(), within_days: within });
        if let Some(recent) = days("not_bought_within")? {
            let not_recent = Rule::Bought { category: category.into(), within_days: recent };
            rules.push(Rule::Not { rule: Box::new(not_recent) });
        }
    }
    let compare = |field, op, value| Rule::Compare { field, op, value };
    if let Some(n) = number("min_orders")? {
        rules.push(compare(RuleField::Orders365d, Op::Ge, n));
    }
    if let Some(n) = number("min_days_since_order")? {
        rules.push(compare(RuleField::DaysSinceLastOrder, Op::Ge, n));
    }
    if let Some(n) = number("min_spend")? {
        rules.push(compare(RuleField::Spend365dMinor, Op::Ge, n * 100.0));
    }
    if let Some(c) = get("consent") {
        let channel = serde_json::from_value(c.into()).map_err(|_| format!("unknown channel {c:?}"))?;
        rules.push(Rule::Consented { channel });
    }
    let segments: Vec<RfmSegment> = form
        .iter()
        .filter(|(k, _)| k == "rfm")
        .map(|(_, x)| serde_json::from_value(x.as_str().into()).map_err(|_| format!("unknown RFM segment {x:?}")))
        .collect::<Result<_, _>>()?;
    if !segments.is_empty() {
        rules.push(Rule::RfmSegment { segments });
    }
    match rules.len() {
        0 => Err("fill in at least one condition".into()),
        1 => Ok(rules.remove(0)),
        _ => Ok(Rule::All { rules }),
    }
}

pub async fn create_segment(
    State(s): State<AppState>,
    v: Viewer,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let rule = match rule_from_form(&form) {
        Ok(rule) => rule,
        Err(message) => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, x)| x.trim().to_string()).unwrap_or_default();
    let id = get("segment_id");
    let input = SegmentInput { name: get("name"), rule, refresh_hours: 24 };
    match marketing::save_segment(&s.platform, &id, input, &v.principal.actor()).await {
        Ok(seg) => Redirect::to(&format!("/console/marketing/segments/{}", seg.segment_id)).into_response(),
        Err(e) => failed(&v, e),
    }
}

/// One segment: what it selects, its size over time, its RFM make-up.
pub async fn segment(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let detail = match marketing::segment(&s.platform, &id).await {
        Ok(d) => d,
        Err(e) => return failed(&v, e),
    };
    let seg = &detail.segment;
    let facts = vec![
        (v.t("mkt.rule").to_string(), Cell::text(text_of(&v, &seg.description))),
        (v.t("mkt.size").to_string(), Cell::Number(count(seg.size))),
        (v.t("mkt.value").to_string(), Cell::Number(yuan(seg.value_minor))),
        (v.t("mkt.refreshed").to_string(), Cell::text(when(seg.refreshed_at))),
        (v.t("mkt.refresh_every").to_string(), Cell::text(format!("{} h", seg.refresh_hours))),
    ];
    let trend = Chart::new(ChartKind::Line, v.t("mkt.date"), v.t("mkt.size"))
        .categories(detail.history.iter().map(|h| date(h.at)).collect())
        .series(v.t("mkt.size"), detail.history.iter().map(|h| h.size as f64).collect())
        .series_right(
            v.t("mkt.value_yuan"),
            v.t("mkt.value_yuan"),
            detail.history.iter().map(|h| h.value_minor as f64 / 100.0).collect(),
        );
    let makeup = Chart::new(ChartKind::Pie, v.t("mkt.rfm_segment"), v.t("mkt.customers"))
        .categories(detail.by_rfm.iter().map(|r| text_of(&v, &r.label).to_string()).collect())
        .series(v.t("mkt.customers"), detail.by_rfm.iter().map(|r| r.customers as f64).collect());
    let mut about = Card::new(seg.name.clone(), Width::Half).block(Block::Facts(facts));
    if v.can(Permission::Write(Area::Marketing)) {
        about = about.block(Block::Form(Form {
            action: format!("/console/marketing/segments/{id}/refresh"),
            fields: vec![],
            submit: v.t("mkt.refresh").into(),
            confirm: None,
            tone: Tone::Plain,
        }));
    }
    v.page(seg.name.clone())
        .subtitle(v.t("mkt.segment_subtitle"))
        .card(about)
        .card(Card::new(v.t("mkt.by_rfm"), Width::Half).block(Block::Chart(makeup)))
        .card(Card::new(v.t("mkt.size_over_time"), Width::Full).block(Block::Chart(trend)))
        .into_response()
}

pub async fn refresh_segment(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    match marketing::refresh_segment(&s.platform, &id).await {
        Ok(_) => Redirect::to(&format!("/console/marketing/segments/{id}")).into_response(),
        Err(e) => failed(&v, e),
    }
}

fn feature_key(f: Feature) -> &'static str {
    match f {
        Feature::Spend365dMinor => "mkt.feature.spend",
        Feature::Orders365d => "mkt.feature.orders",
        Feature::DaysSinceLastOrder => "mkt.feature.recency",
        Feature::AverageBasketMinor => "mkt.feature.basket",
        Feature::OnlineShare => "mkt.feature.online",
        Feature::Visits30d => "mkt.feature.visits",
        Feature::DiscountShare => "mkt.feature.discount",
        Feature::CategoriesBought => "mkt.feature.categories",
    }
}

/// Behaviour clusters with readable traits.
pub async fn clusters(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let k = q.get("k").and_then(|k| k.parse::<usize>().ok());
    let found = match marketing::clusters(&s.platform, k).await {
        Ok(c) => c,
        Err(e) => return failed(&v, e),
    };
    let mut table = Table::new(
        v.labels(&[
            "mkt.cluster",
            "mkt.customers",
            "mkt.share",
            "mkt.traits",
            "mkt.feature.spend",
            "mkt.feature.orders",
            "mkt.feature.recency",
        ]),
        v.t("mkt.no_clusters"),
    )
    .numeric(&[1, 2, 4, 5, 6]);
    for c in &found.profiles {
        let traits: Vec<String> = c
            .traits
            .iter()
            .map(|t| {
                let level = if t.level == Level::High { v.t("mkt.high") } else { v.t("mkt.low") };
                format!("{level} {}", v.t(feature_key(t.feature)))
            })
            .collect();
        let centre = |f: Feature| c.centroid.get(&f).copied().unwrap_or(0.0);
        table.rows.push(vec![
            Cell::text(format!("#{}", c.index + 1)),
            Cell::Number(count(c.size as i64)),
            Cell::Number(percent(c.share)),
            Cell::text(traits.join(" · ")),
            Cell::Number(yuan(centre(Feature::Spend365dMinor).round() as i64)),
            Cell::Number(format!("{:.1}", centre(Feature::Orders365d))),
            Cell::Number(format!("{:.0}", centre(Feature::DaysSinceLastOrder))),
        ]);
    }
    let chart = Chart::new(ChartKind::Pie, v.t("mkt.cluster"), v.t("mkt.customers"))
        .categories(found.profiles.iter().map(|c| format!("#{}", c.index + 1)).collect())
        .series(v.t("mkt.customers"), found.profiles.iter().map(|c| c.size as f64).collect());
    let kpis = vec![
        Kpi { label: v.t("mkt.clusters_k").into(), value: found.k.to_string(), hint: String::new() },
        Kpi { label: v.t("mkt.customers").into(), value: count(found.customers as i64), hint: String::new() },
        Kpi {
            label: v.t("mkt.silhouette").into(),
            value: found.silhouette.map_or("—".into(), |x| format!("{x:.2}")),
            hint: String::new(),
        },
    ];
    v.page(v.t("nav.clusters"))
        .subtitle(v.t("mkt.clusters_subtitle"))
        .card(Card::new("", Width::Full).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("mkt.cluster_sizes"), Width::Third).block(Block::Chart(chart)))
        .card(Card::new(v.t("mkt.profiles"), Width::Full).block(Block::Table(table)))
        .into_response()
}

/// Campaigns and the form for a new one.
pub async fn campaigns(State(s): State<AppState>, v: Viewer) -> Response {
    let (all, segments) =
        match tokio::try_join!(marketing::list_campaigns(&s.platform), marketing::list_segments(&s.platform)) {
            Ok(both) => both,
            Err(e) => return failed(&v, e),
        };
    let mut table = Table::new(
        v.labels(&[
            "common.name",
            "common.status",
            "mkt.segment",
            "mkt.starts",
            "mkt.targeting",
            "mkt.sent",
            "mkt.budget",
        ]),
        v.t("mkt.no_campaigns"),
    )
    .numeric(&[5, 6]);
    for c in &all {
        table.rows.push(vec![
            Cell::link(&c.spec.name, format!("/console/marketing/campaigns/{}", c.campaign_id)),
            status_badge(&v, &c.status),
            Cell::text(&c.spec.segment_id),
            Cell::text(date(c.spec.starts_at)),
            Cell::text(v.t(targeting_key(&c.spec))),
            Cell::Number(count(c.messages.get("sent").copied().unwrap_or(0))),
            Cell::Number(yuan(c.spec.budget_minor)),
        ]);
    }
    let mut page = v
        .page(v.t("nav.campaigns"))
        .subtitle(v.t("mkt.campaigns_subtitle"))
        .card(Card::new(v.t("nav.campaigns"), Width::Full).block(Block::Table(table)));
    if v.can(Permission::Write(Area::Marketing)) {
        page =
            page.card(Card::new(v.t("mkt.new_campaign"), Width::Full).block(Block::Form(campaign_form(&v, &segments))));
    }
    page.into_response()
}

fn targeting_key(spec: &CampaignSpec) -> &'static str {
    match spec.targeting {
        marketing::Targeting::Everyone => "mkt.targeting.everyone",
        marketing::Targeting::Uplift => "mkt.targeting.uplift",
    }
}

fn campaign_form(v: &Viewer, segments: &[marketing::Segment]) -> Form {
    let select = |name: &str, label: &str, options: Vec<(String, String)>, selected: &str| {
        Field::Select(Select { name: name.into(), label: v.t(label).into(), options, selected: selected.into() })
    };
    let starts = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT02:00:00Z").to_string();
    let area = |name: &str, label: &str, value: &str| Field::TextArea {
        name: name.into(),
        label: v.t(label).into(),
        value: value.into(),
        rows: 3,
        required: false,
    };
    let choices =
        |keys: &[(&str, &str)]| keys.iter().map(|(value, key)| (value.to_string(), v.t(key).to_string())).collect();
    Form {
        action: "/console/marketing/campaigns".into(),
        fields: vec![
            text_field(v, "campaign_id", "mkt.campaign_id", "", true),
            text_field(v, "name", "common.name", "", true),
            select(
                "segment_id",
                "mkt.segment",
                segments.iter().map(|s| (s.segment_id.clone(), format!("{} ({})", s.name, count(s.size)))).collect(),
                "",
            ),
            Field::Checkboxes {
                name: "channel".into(),
                label: v.t("mkt.channels").into(),
                options: CHANNELS.iter().map(|c| (channel_name(*c), v.t(channel_key(*c)).to_string(), true)).collect(),
            },
            select(
                "targeting",
                "mkt.targeting",
                choices(&[("everyone", "mkt.targeting.everyone"), ("uplift", "mkt.targeting.uplift")]),
                "everyone",
            ),
            select(
                "goal",
                "mkt.goal",
                choices(&[("revenue", "mkt.goal.revenue"), ("conversion", "mkt.goal.conversion")]),
                "revenue",
            ),
            select(
                "offer",
                "mkt.offer",
                choices(&[
                    ("coupon", "mkt.offer.coupon"),
                    ("percent_off", "mkt.offer.percent_off"),
                    ("content", "mkt.offer.content"),
                ]),
                "coupon",
            ),
            Field::Number { name: "offer_value".into(), label: v.t("mkt.offer_value").into(), value: "10".into() },
            select(
                "products",
                "mkt.products",
                choices(&[
                    ("recommended", "mkt.products.recommended"),
                    ("overstock", "mkt.products.overstock"),
                    ("none", "mkt.products.none"),
                ]),
                "recommended",
            ),
            Field::Number { name: "budget".into(), label: v.t("mkt.budget_yuan").into(), value: "5000".into() },
            Field::Number { name: "holdout".into(), label: v.t("mkt.holdout_percent").into(), value: "10".into() },
            text_field(v, "starts_at", "mkt.starts", &starts, true),
            text_field(v, "subject_zh", "mkt.subject_zh", "{{first_name}}，专属优惠", false),
            text_field(v, "subject_en", "mkt.subject_en", "A treat for you, {{first_name}}", false),
            area(
                "body_zh",
                "mkt.body_zh",
                "{{name}}您好！送您{{offer}}，为您推荐{{products}}。退订：{{unsubscribe_url}}",
            ),
            area(
                "body_en",
                "mkt.body_en",
                "Hello {{first_name}}! Here is {{offer}}; picked for you: {{products}}. Unsubscribe: {{unsubscribe_url}}",
            ),
        ],
        submit: v.t("mkt.save_campaign").into(),
        confirm: None,
        tone: Tone::Info,
    }
}

/// The campaign the form describes.
fn campaign_from_form(form: &[(String, String)]) -> Result<(String, CampaignSpec), String> {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, x)| x.trim().to_string()).unwrap_or_default();
    let number =
        |k: &str| get(k).parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| format!("{k} must be a number"));
    let starts_at: DateTime<Utc> =
        get("starts_at").parse().map_err(|_| "starts_at must be a time such as 2026-12-01T02:00:00Z".to_string())?;
    let offer_value = number("offer_value")?;
    let offer = match get("offer").as_str() {
        "coupon" => marketing::Offer {
            kind: marketing::OfferKind::Coupon,
            amount_minor: (offer_value * 100.0).round() as i64,
            ..Default::default()
        },
        "percent_off" => marketing::Offer {
            kind: marketing::OfferKind::PercentOff,
            percent: offer_value.round().clamp(0.0, 100.0) as u32,
            ..Default::default()
        },
        _ => marketing::Offer::default(),
    };
    let spec = serde_json::json!({
        "name": get("name"),
        "segment_id": get("segment_id"),
        "goal": get("goal"),
        "offer": offer,
        "products": {"mode": get("products"), "count": 3},
        "channels": form.iter().filter(|(k, _)| k == "channel").map(|(_, c)| c.clone()).collect::<Vec<_>>(),
        "starts_at": starts_at,
        "budget_minor": (number("budget")? * 100.0).round() as i64,
        "holdout_share": number("holdout")? / 100.0,
        "targeting": get("targeting"),
        "subject": {"zh": get("subject_zh"), "en": get("subject_en")},
        "body": {"zh": get("body_zh"), "en": get("body_en")},
    });
    let spec: CampaignSpec = serde_json::from_value(spec).map_err(|e| e.to_string())?;
    Ok((get("campaign_id"), spec))
}

pub async fn create_campaign(
    State(s): State<AppState>,
    v: Viewer,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let (id, spec) = match campaign_from_form(&form) {
        Ok(parsed) => parsed,
        Err(message) => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    match marketing::save_campaign(&s.platform, &id, spec).await {
        Ok(c) => Redirect::to(&format!("/console/marketing/campaigns/{}", c.campaign_id)).into_response(),
        Err(e) => failed(&v, e),
    }
}

#[derive(serde::Deserialize)]
pub struct ActionForm {
    action: String,
}

pub async fn act(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    let p = &s.platform;
    let done = match f.action.as_str() {
        "plan" => marketing::plan(p, &id).await.map(|_| ()),
        "launch" => marketing::launch(p, &id).await.map(|_| ()),
        "cancel" => marketing::cancel(p, &id).await.map(|_| ()),
        other => Err(retail_app::service::invalid("action", format!("unknown action '{other}'"))),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/console/marketing/campaigns/{id}")).into_response(),
        Err(e) => failed(&v, e),
    }
}

fn action(id: &str, action: &str, label: &str, tone: Tone, confirm: Option<String>) -> Block {
    Block::Form(Form {
        action: format!("/console/marketing/campaigns/{id}/actions"),
        fields: vec![Field::Hidden { name: "action".into(), value: action.into() }],
        submit: label.into(),
        confirm,
        tone,
    })
}

fn estimate(e: &Estimate, show: impl Fn(f64) -> String) -> String {
    match e.interval {
        Some(b) => format!("{} ({} … {})", show(e.value), show(b.lower), show(b.upper)),
        None => show(e.value),
    }
}

/// A campaign: what it is, its plan, its messages, and its effect once launched.
pub async fn campaign(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let c = match marketing::campaign(&s.platform, &id).await {
        Ok(c) => c,
        Err(e) => return failed(&v, e),
    };
    let mut page = v.page(c.spec.name.clone()).subtitle(v.t("mkt.campaign_subtitle")).card(about(&v, &c));
    if let Some(plan) = &c.plan {
        let mut decisions: Vec<(&String, &u64)> = plan.decisions.iter().collect();
        decisions.sort_by(|a, b| b.1.cmp(a.1));
        let chart = Chart::new(ChartKind::Hbar, v.t("mkt.decision"), v.t("mkt.customers"))
            .categories(
                decisions
                    .iter()
                    .map(|(d, _)| v.lang.lookup(&format!("mkt.decision.{d}")).unwrap_or(d).to_string())
                    .collect(),
            )
            .series(v.t("mkt.customers"), decisions.iter().map(|(_, n)| **n as f64).collect());
        let kpis = vec![
            Kpi { label: v.t("mkt.segment_size").into(), value: count(plan.segment_size as i64), hint: String::new() },
            Kpi {
                label: v.t("mkt.to_send").into(),
                value: count(plan.decisions.get("send").copied().unwrap_or(0) as i64),
                hint: String::new(),
            },
            Kpi {
                label: v.t("mkt.held_out").into(),
                value: count(plan.decisions.get("held_out").copied().unwrap_or(0) as i64),
                hint: String::new(),
            },
            Kpi { label: v.t("mkt.expected_cost").into(), value: yuan(plan.expected_cost_minor), hint: String::new() },
            Kpi {
                label: v.t("mkt.expected_incremental").into(),
                value: format!("{:.1}", plan.expected_incremental_conversions),
                hint: yuan(plan.expected_incremental_value_minor),
            },
        ];
        page = page
            .card(Card::new(v.t("mkt.plan"), Width::Full).block(Block::Kpis(kpis)))
            .card(Card::new(v.t("mkt.decisions"), Width::Half).block(Block::Chart(chart)));
        match marketing::preview(&s.platform, &id, 10).await {
            Ok(messages) => {
                let mut table = Table::new(
                    v.labels(&["mkt.customer", "mkt.channel", "mkt.send_at", "mkt.subject", "mkt.body"]),
                    v.t("mkt.no_messages"),
                );
                for m in messages {
                    table.rows.push(vec![
                        Cell::link(&m.customer_id, format!("/console/customers/{}", m.customer_id)),
                        Cell::text(v.t(channel_key(m.channel))),
                        Cell::text(date(m.send_at)),
                        Cell::text(m.subject),
                        Cell::text(m.body),
                    ]);
                }
                page = page.card(Card::new(v.t("mkt.previews"), Width::Half).block(Block::Table(table)));
            }
            Err(e) => return failed(&v, e),
        }
    }
    if matches!(c.status.as_str(), "sending" | "sent") {
        match marketing::effect(&s.platform, &id).await {
            Ok(effect) => page = effect_cards(&v, page, &effect),
            Err(retail_app::ServiceError::Conflict(message)) => {
                page = page.card(Card::new(v.t("mkt.effect"), Width::Full).block(Block::Notice(Notice {
                    tone: Tone::Info,
                    text: message,
                    secret: None,
                })));
            }
            Err(e) => return failed(&v, e),
        }
    }
    page.into_response()
}

fn about(v: &Viewer, c: &Campaign) -> Card {
    let spec = &c.spec;
    let channels: Vec<&str> = spec.channels.iter().map(|ch| v.t(channel_key(*ch))).collect();
    let facts = vec![
        (v.t("common.status").to_string(), status_badge(v, &c.status)),
        (
            v.t("mkt.segment").to_string(),
            Cell::link(&spec.segment_id, format!("/console/marketing/segments/{}", spec.segment_id)),
        ),
        (v.t("mkt.targeting").to_string(), Cell::text(v.t(targeting_key(spec)))),
        (v.t("mkt.channels").to_string(), Cell::text(channels.join(" · "))),
        (v.t("mkt.starts").to_string(), Cell::text(date(spec.starts_at))),
        (v.t("mkt.measure_days").to_string(), Cell::Number(spec.measure_days.to_string())),
        (v.t("mkt.budget").to_string(), Cell::Number(yuan(spec.budget_minor))),
        (v.t("mkt.holdout_percent").to_string(), Cell::Number(format!("{:.0}%", spec.holdout_share * 100.0))),
        (
            v.t("mkt.messages").to_string(),
            Cell::text(
                c.messages
                    .iter()
                    .map(|(k, n)| format!("{} {}", v.lang.lookup(&format!("mkt.msg.{k}")).unwrap_or(k), count(*n)))
                    .collect::<Vec<_>>()
                    .join(" · "),
            ),
        ),
    ];
    let mut card = Card::new(v.t("mkt.about"), Width::Half).block(Block::Facts(facts));
    if v.can(Permission::Write(Area::Marketing)) {
        match c.status.as_str() {
            "draft" => {
                card = card.block(action(&c.campaign_id, "plan", v.t("mkt.plan_now"), Tone::Info, None));
                card = card.block(action(
                    &c.campaign_id,
                    "cancel",
                    v.t("mkt.cancel"),
                    Tone::Bad,
                    Some(v.t("mkt.cancel_confirm").into()),
                ));
            }
            "planned" => {
                card = card.block(action(
                    &c.campaign_id,
                    "launch",
                    v.t("mkt.launch"),
                    Tone::Good,
                    Some(v.t("mkt.launch_confirm").into()),
                ));
                card = card.block(action(&c.campaign_id, "plan", v.t("mkt.replan"), Tone::Plain, None));
                card = card.block(action(
                    &c.campaign_id,
                    "cancel",
                    v.t("mkt.cancel"),
                    Tone::Bad,
                    Some(v.t("mkt.cancel_confirm").into()),
                ));
            }
            _ => {}
        }
    }
    card
}

fn effect_cards(v: &Viewer, page: Page, e: &CampaignEffect) -> Page {
    let r = &e.report;
    let kpis = vec![
        Kpi { label: v.t("mkt.reached").into(), value: count(r.treatment.reached as i64), hint: String::new() },
        Kpi {
            label: v.t("mkt.conversion_treated").into(),
            value: percent(r.treatment.conversion_rate),
            hint: format!("{} {}", v.t("mkt.holdout"), percent(r.holdout.conversion_rate)),
        },
        Kpi {
            label: v.t("mkt.incremental_conversions").into(),
            value: estimate(&r.incremental_conversions, |x| format!("{x:.1}")),
            hint: r.incremental_conversions.p_value.map_or(String::new(), |p| format!("p = {p:.3}")),
        },
        Kpi {
            label: v.t("mkt.incremental_revenue").into(),
            value: estimate(&r.incremental_revenue_minor, |x| yuan(x.round() as i64)),
            hint: String::new(),
        },
        Kpi {
            label: v.t("mkt.roi").into(),
            value: r.roi.as_ref().map_or("—".into(), |roi| estimate(roi, |x| format!("{x:.2}"))),
            hint: format!("{} {}", v.t("mkt.cost"), yuan(r.cost_minor)),
        },
    ];
    let window = format!(
        "{} → {}{}",
        date(e.window_from),
        date(e.window_to),
        if e.complete { String::new() } else { format!(" · {}", v.t("mkt.window_open")) }
    );
    let arms = Chart::new(ChartKind::Bar, v.t("mkt.arm"), v.t("mkt.conversion_percent"))
        .categories(vec![v.t("mkt.treatment").into(), v.t("mkt.holdout").into()])
        .series(
            v.t("mkt.conversion_percent"),
            vec![100.0 * r.treatment.conversion_rate, 100.0 * r.holdout.conversion_rate],
        )
        .series_right(
            v.t("mkt.revenue_per_customer"),
            v.t("mkt.revenue_per_customer"),
            vec![r.treatment.revenue_per_customer_minor / 100.0, r.holdout.revenue_per_customer_minor / 100.0],
        );
    let mut page = page
        .card(Card::new(format!("{} · {window}", v.t("mkt.effect")), Width::Full).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("mkt.by_arm"), Width::Half).block(Block::Chart(arms)));
    if !e.qini.is_empty() {
        let last = e.qini.last().map_or(0.0, |p| p.incremental_conversions);
        let qini = Chart::new(ChartKind::Line, v.t("mkt.share_targeted"), v.t("mkt.incremental_conversions"))
            .categories(e.qini.iter().map(|p| format!("{:.0}%", 100.0 * p.share_targeted)).collect())
            .series(v.t("mkt.model"), e.qini.iter().map(|p| p.incremental_conversions).collect())
            .series(v.t("mkt.random"), e.qini.iter().map(|p| p.share_targeted * last).collect());
        page = page.card(Card::new(v.t("mkt.qini"), Width::Half).block(Block::Chart(qini)));
    }
    page
}
