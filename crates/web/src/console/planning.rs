//! Planning pages: forecasts (a fan chart of the chosen series with its 80 % and 95 % intervals, the
//! series at any level of the hierarchy, accuracy of earlier runs against what sold, "run now") and
//! the replenishment queue (each suggestion with its reasons in the reader's language; approve,
//! reject, and turn approved ones into purchase orders), and a location's inventory analysis (ABC × XYZ,
//! turnover, stock-out, overstock and expiry risks).

use std::collections::{BTreeMap, HashMap};

use axum::Form as PostForm;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use retail_app::planning::analysis;
use retail_app::planning::replenish::{self, Decision, Exception, ListQuery, SuggestionView};
use retail_app::planning::whatif::{self, WhatIf, WhatIfAnswer};
use retail_app::planning::{self, ForecastQuery, Level, RunOptions, RunSummary, SeriesForecast, Trigger};
use retail_inventory::policy::Reason;

use super::view::*;
use super::{Viewer, failed};
use crate::AppState;
use crate::access::{Area, Permission};

const FORECAST_LEVELS: [Level; 4] = [Level::Total, Level::Location, Level::CategoryLocation, Level::ProductLocation];

fn level_label(v: &Viewer, level: Level) -> &'static str {
    v.t(&format!("plan.level.{}", level.as_str()))
}

fn accuracy_label(v: &Viewer, level: &str) -> &'static str {
    v.t(&format!("plan.accuracy.{level}"))
}

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn series_name(s: &SeriesForecast) -> String {
    let parts: Vec<&str> =
        [&s.key.location_id, &s.key.category_id, &s.key.product_id].iter().filter_map(|k| k.as_deref()).collect();
    parts.join(" · ")
}

/// The latest evaluation of each earlier run, oldest first: accuracy over time.
fn accuracy_history(runs: &[RunSummary]) -> Vec<&planning::Evaluation> {
    let mut latest: BTreeMap<(chrono::NaiveDate, &str), &planning::Evaluation> = BTreeMap::new();
    // Runs come newest first, so the first evaluation seen of a run is its latest.
    for run in runs {
        for e in &run.evaluations {
            latest.entry((e.as_of, e.run_id.as_str())).or_insert(e);
        }
    }
    latest.into_values().collect()
}

pub async fn forecasts(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let level = q.get("level").and_then(|l| Level::parse(l)).unwrap_or(Level::Total);
    let pick = |k: &str| q.get(k).filter(|x| !x.is_empty()).cloned();
    let query = ForecastQuery {
        level: Some(level.as_str().into()),
        location_id: pick("location_id"),
        category_id: pick("category_id"),
        product_id: pick("product_id"),
        history_days: Some(56),
        limit: Some(30),
        ..Default::default()
    };
    let runs = match planning::runs(&s.platform, 30).await {
        Ok(r) => r,
        Err(e) => return failed(&v, e),
    };
    let mut page = v.page(v.t("nav.forecasts")).subtitle(v.t("plan.forecasts_subtitle"));
    if v.can(Permission::Write(Area::Planning)) {
        page = page.card(Card::new(v.t("plan.run_now"), Width::Full).block(Block::Form(Form {
            action: "/console/forecasts/run".into(),
            fields: vec![],
            submit: v.t("plan.run_now").into(),
            confirm: None,
            tone: Tone::Info,
        })));
    }
    let Some(latest) = runs.first() else {
        return page
            .card(Card::new("", Width::Full).block(Block::Notice(Notice {
                tone: Tone::Info,
                text: v.t("plan.no_runs").into(),
                secret: None,
            })))
            .into_response();
    };
    let view = match planning::forecasts(&s.platform, &query).await {
        Ok(view) => view,
        Err(e) => return failed(&v, e),
    };
    page = page.card(run_card(&v, latest)).card(filters(&v, level, &q));
    if let Some(first) = view.series.first() {
        page = page.card(fan_chart(&v, first));
    }
    page.card(series_table(&v, level, &view.series, &q)).card(accuracy_card(&v, &runs)).into_response()
}

fn run_card(v: &Viewer, run: &RunSummary) -> Card {
    let latest_accuracy = run.evaluations.first();
    let at = |level: &str| {
        latest_accuracy
            .and_then(|e| e.levels.iter().find(|l| l.level == level))
            .map_or("-".into(), |l| percent(l.accuracy))
    };
    let kpis = vec![
        Kpi { label: v.t("plan.as_of").into(), value: run.as_of.to_string(), hint: date(run.finished_at) },
        Kpi {
            label: v.t("plan.series").into(),
            value: grouped(run.series),
            hint: format!(
                "{:.1} s · {} · {} {}",
                run.forecast_seconds,
                run.regular_model,
                grouped(run.censored_days),
                v.t("plan.censored_days")
            ),
        },
        Kpi {
            label: accuracy_label(v, "category_location_week").into(),
            value: at("category_location_week"),
            hint: latest_accuracy.map_or(String::new(), |e| format!("{} {}", v.t("plan.run_of"), e.as_of)),
        },
        Kpi { label: accuracy_label(v, "location_week").into(), value: at("location_week"), hint: String::new() },
        Kpi {
            label: v.t("plan.suggestions").into(),
            value: grouped(run.suggestions.proposed + run.suggestions.exceptions),
            hint: format!("{} {}", run.suggestions.exceptions, v.t("plan.exceptions")),
        },
    ];
    let patterns = Chart::new(ChartKind::Pie, "", v.t("plan.series"))
        .categories(run.by_pattern.keys().map(|p| v.t(&format!("plan.pattern.{p}")).to_string()).collect())
        .series(v.t("plan.series"), run.by_pattern.values().map(|n| *n as f64).collect())
        .height(220);
    Card::new(v.t("plan.latest_run"), Width::Full).block(Block::Kpis(kpis)).block(Block::Chart(patterns))
}

fn filters(v: &Viewer, level: Level, q: &HashMap<String, String>) -> Card {
    let value = |k: &str| q.get(k).cloned().unwrap_or_default();
    let levels = FORECAST_LEVELS.iter().map(|l| (l.as_str().to_string(), level_label(v, *l).to_string())).collect();
    Card::new("", Width::Full).block(Block::Filters(Filters {
        action: "/console/forecasts".into(),
        search: Some(("product_id".into(), value("product_id"))),
        selects: vec![Select {
            name: "level".into(),
            label: v.t("plan.level").into(),
            options: levels,
            selected: level.as_str().into(),
        }],
        submit: v.t("common.filter").into(),
    }))
}

/// Sales before and the forecast after, with the 80 % and 95 % intervals shaded.
fn fan_chart(v: &Viewer, s: &SeriesForecast) -> Card {
    let past = s.history.len();
    let days: Vec<String> = (0..past + s.mean.len())
        .map(|i| (s.start + chrono::Duration::days(i as i64 - past as i64)).format("%m-%d").to_string())
        .collect();
    let gap = |n: usize| std::iter::repeat_n(f64::NAN, n);
    let ahead = |values: &[f64]| gap(past).chain(values.iter().copied()).collect::<Vec<f64>>();
    let mut chart = Chart::new(ChartKind::Line, v.t("common.day"), v.t("common.units"))
        .categories(days)
        .series(v.t("plan.actual"), s.history.iter().copied().chain(gap(s.mean.len())).collect());
    for i in s.intervals.iter().rev() {
        let name = format!("{} {:.0}%", v.t("plan.interval"), i.level * 100.0);
        chart = chart.band(name, ahead(&i.lower), ahead(&i.upper));
    }
    chart = chart.series(v.t("plan.forecast"), ahead(&s.mean)).height(340);
    let title = if series_name(s).is_empty() { v.t("plan.level.total").to_string() } else { series_name(s) };
    Card::new(format!("{} — {title}", v.t("plan.fan_chart")), Width::Full).block(Block::Chart(chart))
}

fn series_table(v: &Viewer, level: Level, series: &[SeriesForecast], q: &HashMap<String, String>) -> Card {
    let mut table = Table::new(
        v.labels(&["plan.series_key", "plan.last_7", "plan.next_7", "plan.next_28", "plan.day1_range", "plan.model"]),
        v.t("common.none"),
    )
    .numeric(&[1, 2, 3, 4]);
    // Drilling down keeps the filters and goes one level below.
    let below = match level {
        Level::Total => Some(Level::Location),
        Level::Location => Some(Level::CategoryLocation),
        Level::CategoryLocation => Some(Level::ProductLocation),
        _ => None,
    };
    for s in series {
        let name = if series_name(s).is_empty() { v.t("plan.level.total").to_string() } else { series_name(s) };
        let mut link = format!("/console/forecasts?level={}", below.unwrap_or(level).as_str());
        for (key, value) in [
            ("location_id", &s.key.location_id),
            ("category_id", &s.key.category_id),
            ("product_id", &s.key.product_id),
        ] {
            if let Some(x) = value.as_ref().or(q.get(key).filter(|x| !x.is_empty())) {
                link.push_str(&format!("&{key}={}", crate::access::urlencode(x)));
            }
        }
        let band = s.intervals.iter().find(|i| (i.level - 0.8).abs() < 1e-9);
        let sum = |x: &[f64]| x.iter().sum::<f64>();
        let model = match (&s.model, s.pattern) {
            (Some(m), Some(p)) => format!("{m} · {}", v.t(&format!("plan.pattern.{}", p.as_str()))),
            _ => format!("{} {}", s.series, v.t("plan.series_summed")),
        };
        table.rows.push(vec![
            Cell::link(name, link),
            Cell::Number(format!("{:.0}", sum(&s.history[s.history.len().saturating_sub(7)..]))),
            Cell::Number(format!("{:.0}", sum(&s.mean[..s.mean.len().min(7)]))),
            Cell::Number(format!("{:.0}", sum(&s.mean))),
            Cell::Number(band.map_or("-".into(), |b| format!("{:.1} – {:.1}", b.lower[0], b.upper[0]))),
            Cell::text(model),
        ]);
    }
    Card::new(format!("{} — {}", v.t("plan.series_at"), level_label(v, level)), Width::Full).block(Block::Table(table))
}

fn accuracy_card(v: &Viewer, runs: &[RunSummary]) -> Card {
    let history = accuracy_history(runs);
    let shown = ["product_location_week", "category_location_week", "location_week", "total_week"];
    let mut chart = Chart::new(ChartKind::Line, v.t("plan.run_as_of"), v.t("plan.accuracy_percent"))
        .categories(history.iter().map(|e| e.as_of.to_string()).collect());
    for level in shown {
        let data = history
            .iter()
            .map(|e| e.levels.iter().find(|l| l.level == level).map_or(f64::NAN, |l| 100.0 * l.accuracy))
            .collect();
        chart = chart.series(accuracy_label(v, level), data);
    }
    let mut table = Table::new(
        v.labels(&[
            "plan.run_as_of",
            "plan.days_scored",
            "plan.accuracy.product_location_day",
            "plan.accuracy.category_location_week",
            "plan.accuracy.location_week",
            "plan.bias",
        ]),
        v.t("plan.no_accuracy"),
    )
    .numeric(&[1, 2, 3, 4, 5]);
    for e in history.iter().rev() {
        let at = |level: &str| e.levels.iter().find(|l| l.level == level);
        table.rows.push(vec![
            Cell::text(e.as_of.to_string()),
            Cell::Number(e.days.to_string()),
            Cell::Number(at("product_location_day").map_or("-".into(), |l| percent(l.accuracy))),
            Cell::Number(at("category_location_week").map_or("-".into(), |l| percent(l.accuracy))),
            Cell::Number(at("location_week").map_or("-".into(), |l| percent(l.accuracy))),
            Cell::Number(at("product_location_day").map_or("-".into(), |l| format!("{:+.1}%", 100.0 * l.bias))),
        ]);
    }
    let mut card = Card::new(v.t("plan.accuracy_over_time"), Width::Full);
    if !history.is_empty() {
        card = card.block(Block::Chart(chart));
    }
    card.block(Block::Table(table))
}

pub async fn run_now(State(s): State<AppState>, v: Viewer) -> Response {
    let options = RunOptions { as_of: None, trigger: Trigger::Manual, by: v.principal.actor() };
    match planning::run(&s.platform, options).await {
        Ok(_) => Redirect::to("/console/forecasts").into_response(),
        Err(e) => failed(&v, e),
    }
}

/// A reason in the reader's language, its numbers filled in.
fn reason_text(v: &Viewer, r: &Reason) -> String {
    let n = |x: f64| format!("{x:.1}");
    let (key, values): (&str, Vec<(&str, String)>) = match *r {
        Reason::NoDemand => ("plan.reason.no_demand", vec![]),
        Reason::ZeroLeadTime => ("plan.reason.zero_lead_time", vec![]),
        Reason::BelowReorderPoint { position, reorder_point } => {
            ("plan.reason.below_reorder_point", vec![("position", n(position)), ("level", n(reorder_point))])
        }
        Reason::AtOrAboveReorderPoint { position, reorder_point } => {
            ("plan.reason.above_reorder_point", vec![("position", n(position)), ("level", n(reorder_point))])
        }
        Reason::BelowOrderUpTo { position, order_up_to } => {
            ("plan.reason.below_order_up_to", vec![("position", n(position)), ("level", n(order_up_to))])
        }
        Reason::AtOrAboveOrderUpTo { position, order_up_to } => {
            ("plan.reason.above_order_up_to", vec![("position", n(position)), ("level", n(order_up_to))])
        }
        Reason::CoverBackorders { units } => ("plan.reason.cover_backorders", vec![("units", n(units))]),
        Reason::RaisedToOrderUpTo { order_up_to } => ("plan.reason.order_up_to", vec![("level", n(order_up_to))]),
        Reason::EoqApplied { eoq } => ("plan.reason.eoq", vec![("units", n(eoq))]),
        Reason::RoundedToPacks { pack_size, from, to } => {
            ("plan.reason.packs", vec![("from", n(from)), ("units", to.to_string()), ("pack", pack_size.to_string())])
        }
        Reason::RaisedToMoq { moq } => ("plan.reason.moq", vec![("units", moq.to_string())]),
        Reason::CappedByShelfLife { days, cap } => {
            ("plan.reason.shelf_life", vec![("units", cap.to_string()), ("days", days.to_string())])
        }
        Reason::ShelfLifeBelowMinimumOrder { cap, minimum } => {
            ("plan.reason.shelf_life_below_minimum", vec![("units", cap.to_string()), ("level", minimum.to_string())])
        }
        Reason::DeliverySchedule { arrives_in_days, next_delivery_after_days } => (
            "plan.reason.delivery_schedule",
            vec![("arrives", arrives_in_days.to_string()), ("next", next_delivery_after_days.to_string())],
        ),
        Reason::AboveBudget { value, budget } => (
            "plan.reason.above_budget",
            vec![("value", yuan(value.round() as i64)), ("budget", yuan(budget.round() as i64))],
        ),
    };
    values.into_iter().fold(v.t(key).to_string(), |text, (name, value)| text.replace(&format!("{{{name}}}"), &value))
}

fn exception_label(v: &Viewer, e: Exception) -> &'static str {
    v.t(match e {
        Exception::AboveBudget => "plan.exception.above_budget",
        Exception::SupplierInactive => "plan.exception.supplier_inactive",
        Exception::SupplierUnreliable => "plan.exception.supplier_unreliable",
        Exception::SupplierBlocked => "plan.exception.supplier_blocked",
        Exception::BelowMinimumOrderValue => "plan.exception.below_minimum_order_value",
    })
}

fn status_badge(v: &Viewer, status: &str) -> Cell {
    let tone = match status {
        replenish::status::EXCEPTION => Tone::Warn,
        replenish::status::APPROVED => Tone::Info,
        replenish::status::ORDERED => Tone::Good,
        replenish::status::REJECTED | replenish::status::SUPERSEDED => Tone::Plain,
        _ => Tone::Plain,
    };
    Cell::badge(v.t(&format!("plan.status.{status}")), tone)
}

pub async fn replenishment(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let pick = |k: &str| q.get(k).filter(|x| !x.is_empty()).cloned();
    let query =
        ListQuery { status: pick("status"), location_id: pick("location_id"), limit: Some(200), ..Default::default() };
    let page = match replenish::list(&s.platform, &query).await {
        Ok(p) => p,
        Err(e) => return failed(&v, e),
    };
    let count = |status: &str| page.items.iter().filter(|s| s.status == status).count() as u64;
    let value: i64 = page.items.iter().map(|s| s.detail.value_minor).sum();
    let kpis = vec![
        Kpi {
            label: v.t("plan.status.proposed").into(),
            value: grouped(count(replenish::status::PROPOSED)),
            hint: String::new(),
        },
        Kpi {
            label: v.t("plan.status.exception").into(),
            value: grouped(count(replenish::status::EXCEPTION)),
            hint: v.t("plan.exception_hint").into(),
        },
        Kpi {
            label: v.t("plan.status.approved").into(),
            value: grouped(count(replenish::status::APPROVED)),
            hint: v.t("plan.approved_hint").into(),
        },
        Kpi {
            label: v.t("plan.queue_value").into(),
            value: yuan(value),
            hint: format!("{} {}", page.items.len(), v.t("plan.suggestions")),
        },
    ];
    let statuses = replenish::status::ALL.iter().map(|s| (s.to_string(), v.t(&format!("plan.status.{s}")).to_string()));
    let mut status_options = vec![(String::new(), v.t("plan.queue").to_string())];
    status_options.extend(statuses);
    let bar = Block::Filters(Filters {
        action: "/console/replenishment".into(),
        search: Some(("location_id".into(), q.get("location_id").cloned().unwrap_or_default())),
        selects: vec![Select {
            name: "status".into(),
            label: v.t("common.status").into(),
            options: status_options,
            selected: q.get("status").cloned().unwrap_or_default(),
        }],
        submit: v.t("common.filter").into(),
    });
    let mut out = v
        .page(v.t("nav.replenishment"))
        .subtitle(v.t("plan.replenishment_subtitle"))
        .card(Card::new("", Width::Full).block(bar).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("plan.suggestions"), Width::Full).block(Block::Table(suggestion_table(&v, &page.items))));
    if v.can(Permission::Write(Area::Planning)) {
        out = out.card(decision_card(&v, &page.items));
    }
    out.into_response()
}

fn suggestion_table(v: &Viewer, items: &[SuggestionView]) -> Table {
    let mut table = Table::new(
        v.labels(&[
            "common.id",
            "common.status",
            "order.store",
            "common.product",
            "plan.quantity",
            "plan.value",
            "plan.position",
            "plan.safety_stock",
            "plan.cover",
            "plan.why",
        ]),
        v.t("plan.no_suggestions"),
    )
    .numeric(&[4, 5, 6, 7, 8]);
    for s in items {
        let mut why: Vec<String> = s.detail.decision.reasons.iter().map(|r| reason_text(v, r)).collect();
        why.extend(s.detail.exceptions.iter().map(|e| format!("⚠ {}", exception_label(v, *e))));
        table.rows.push(vec![
            Cell::text(&s.suggestion_id[s.suggestion_id.len().saturating_sub(6)..]),
            status_badge(v, &s.status),
            Cell::link(&s.location_id, format!("/console/stores/{}", s.location_id)),
            Cell::link(
                format!("{} {}", s.product_id, s.detail.product_name),
                format!("/console/products/{}", s.product_id),
            ),
            Cell::Number(grouped(s.detail.decision.quantity)),
            Cell::Number(yuan(s.detail.value_minor)),
            Cell::Number(format!("{:.0}", s.detail.decision.position)),
            Cell::Number(format!("{:.1}", s.detail.decision.safety_stock)),
            Cell::Number(
                s.detail.decision.days_of_cover.map_or("-".into(), |d| format!("{d:.1} {}", v.t("unit.days"))),
            ),
            Cell::text(why.join("; ")),
        ]);
    }
    table
}

/// Tick suggestions, then approve, reject, or order the approved ones.
fn decision_card(v: &Viewer, items: &[SuggestionView]) -> Card {
    let options = items
        .iter()
        .filter(|s| s.status != replenish::status::ORDERED && s.status != replenish::status::SUPERSEDED)
        .map(|s| {
            let label = format!(
                "{} · {} · {} × {} ({})",
                &s.suggestion_id[s.suggestion_id.len().saturating_sub(6)..],
                s.location_id,
                s.product_id,
                s.detail.decision.quantity,
                v.t(&format!("plan.status.{}", s.status))
            );
            (s.suggestion_id.clone(), label, false)
        })
        .collect();
    let actions = ["approve", "reject", "order"]
        .iter()
        .map(|a| (a.to_string(), v.t(&format!("plan.action.{a}")).to_string()))
        .collect();
    Card::new(v.t("plan.decide"), Width::Full).block(Block::Form(Form {
        action: "/console/replenishment/decisions".into(),
        fields: vec![
            Field::Select(Select {
                name: "action".into(),
                label: v.t("common.actions").into(),
                options: actions,
                selected: "approve".into(),
            }),
            Field::Checkboxes { name: "id".into(), label: v.t("plan.suggestions").into(), options },
        ],
        submit: v.t("plan.apply").into(),
        confirm: None,
        tone: Tone::Info,
    }))
}

pub async fn decide(
    State(s): State<AppState>,
    v: Viewer,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let ids: Vec<String> = form.iter().filter(|(k, _)| k == "id").map(|(_, id)| id.clone()).collect();
    let action = form.iter().find(|(k, _)| k == "action").map_or("", |(_, a)| a.as_str());
    let by = v.principal.actor();
    let done = match action {
        "approve" => replenish::decide(&s.platform, &ids, Decision::Approve, &by).await.map(|_| ()),
        "reject" => replenish::decide(&s.platform, &ids, Decision::Reject, &by).await.map(|_| ()),
        "order" => replenish::order(&s.platform, &ids, &by).await.map(|_| ()),
        other => Err(retail_app::service::invalid("action", format!("unknown action '{other}'"))),
    };
    match done {
        Ok(()) => Redirect::to("/console/replenishment").into_response(),
        Err(e) => failed(&v, e),
    }
}

/// A location's inventory: ABC × XYZ classes with their value, and what to act on.
pub async fn analysis(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let locations = match retail_app::service::list(
        &s.platform,
        retail_domain::EntityKind::Location,
        &retail_store::DocQuery { limit: 1000, ..Default::default() },
    )
    .await
    {
        Ok(page) => page.items,
        Err(e) => return failed(&v, e),
    };
    let mut options: Vec<(String, String)> = locations
        .iter()
        .filter_map(|d| serde_json::from_value::<retail_domain::Location>(d.doc.clone()).ok())
        .map(|l| (l.external_id.clone(), format!("{} {}", l.external_id, v.lang.pick(&l.name))))
        .collect();
    options.sort();
    let chosen = q.get("location_id").filter(|l| !l.is_empty()).cloned().or_else(|| {
        // The first store, not the distribution centre or the online shop, is the usual question.
        options
            .iter()
            .map(|o| o.0.clone())
            .find(|id| id.starts_with('S'))
            .or_else(|| options.first().map(|o| o.0.clone()))
    });
    let bar = Block::Filters(Filters {
        action: "/console/planning/analysis".into(),
        search: None,
        selects: vec![Select {
            name: "location_id".into(),
            label: v.t("order.store").into(),
            options,
            selected: chosen.clone().unwrap_or_default(),
        }],
        submit: v.t("common.filter").into(),
    });
    let page = v.page(v.t("nav.analysis")).subtitle(v.t("plan.analysis_subtitle"));
    let Some(location) = chosen else {
        return page.card(Card::new("", Width::Full).block(bar)).into_response();
    };
    let a = match analysis::analyse(&s.platform, &location).await {
        Ok(a) => a,
        Err(e) => return failed(&v, e),
    };
    let kpis = vec![
        Kpi { label: v.t("plan.products").into(), value: grouped(a.products), hint: String::new() },
        Kpi { label: v.t("plan.stock_value").into(), value: yuan(a.stock_value_minor), hint: String::new() },
        Kpi {
            label: v.t("plan.turnover").into(),
            value: a.turnover.map_or("-".into(), |t| format!("{t:.1}")),
            hint: v.t("plan.turnover_hint").into(),
        },
        Kpi {
            label: v.t("plan.stockout_risk").into(),
            value: grouped(a.stockout_risk.len() as u64),
            hint: String::new(),
        },
        Kpi { label: v.t("plan.overstock").into(), value: grouped(a.overstock.len() as u64), hint: String::new() },
    ];
    let mut matrix = Table::new(
        v.labels(&["plan.abc", "plan.xyz", "plan.products", "plan.value_share", "plan.stock_value"]),
        v.t("common.none"),
    )
    .numeric(&[2, 3, 4]);
    for c in &a.matrix {
        matrix.rows.push(vec![
            Cell::text(&c.abc),
            Cell::text(&c.xyz),
            Cell::Number(grouped(c.products)),
            Cell::Number(percent(c.value_share)),
            Cell::Number(yuan(c.stock_value_minor)),
        ]);
    }
    let classes: Vec<String> = a.matrix.iter().map(|c| format!("{}{}", c.abc, c.xyz)).collect();
    let chart = Chart::new(ChartKind::Bar, v.t("plan.class"), v.t("plan.percent"))
        .categories(classes)
        .series(v.t("plan.value_share"), a.matrix.iter().map(|c| 100.0 * c.value_share).collect())
        .series(
            v.t("plan.stock_share"),
            a.matrix.iter().map(|c| 100.0 * c.stock_value_minor as f64 / a.stock_value_minor.max(1) as f64).collect(),
        );
    page.card(Card::new("", Width::Full).block(bar).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("plan.matrix"), Width::Half).block(Block::Table(matrix)))
        .card(Card::new(v.t("plan.value_vs_stock"), Width::Half).block(Block::Chart(chart)))
        .card(risk_card(&v, "plan.stockout_risk", &a.stockout_risk))
        .card(risk_card(&v, "plan.overstock", &a.overstock))
        .card(risk_card(&v, "plan.expiry_risk", &a.expiry_risk))
        .into_response()
}

fn risk_card(v: &Viewer, title: &str, items: &[analysis::ItemAnalysis]) -> Card {
    let mut table = Table::new(
        v.labels(&[
            "common.product",
            "plan.class",
            "stock.on_hand",
            "plan.daily_rate",
            "plan.cover",
            "plan.lead_time",
            "plan.shelf_life",
            "plan.stock_value",
        ]),
        v.t("common.none"),
    )
    .numeric(&[2, 3, 4, 5, 6, 7]);
    let days = |d: Option<f64>| d.map_or("∞".into(), |d| format!("{d:.1}"));
    for i in items {
        table.rows.push(vec![
            Cell::link(format!("{} {}", i.product_id, i.product_name), format!("/console/products/{}", i.product_id)),
            Cell::text(format!("{}{}", i.abc, i.xyz)),
            Cell::Number(grouped(i.on_hand.max(0) as u64)),
            Cell::Number(format!("{:.1}", i.daily_rate)),
            Cell::Number(days(i.days_of_cover)),
            Cell::Number(i.lead_time_days.map_or("-".into(), |d| format!("{d:.1}"))),
            Cell::Number(i.shelf_life_days.map_or("-".into(), |d| d.to_string())),
            Cell::Number(yuan(i.stock_value_minor)),
        ]);
    }
    Card::new(v.t(title), Width::Full).block(Block::Table(table))
}

/// The what-if form's fields, as sent and as shown again with the answer.
#[derive(Debug, Default, serde::Deserialize)]
pub struct WhatIfForm {
    category_id: String,
    #[serde(default)]
    location_id: String,
    price_change_pct: String,
    from: String,
    to: String,
}

pub async fn what_if_page(State(s): State<AppState>, v: Viewer) -> Response {
    what_if_response(&s, &v, WhatIfForm::default()).await
}

pub async fn what_if_answer(State(s): State<AppState>, v: Viewer, PostForm(form): PostForm<WhatIfForm>) -> Response {
    what_if_response(&s, &v, form).await
}

/// The form (filled with the last question, or the first forecast week at 20 % off) and, when a
/// question was asked, the forecast with and without the change.
async fn what_if_response(s: &AppState, v: &Viewer, form: WhatIfForm) -> Response {
    let categories =
        match planning::forecasts(&s.platform, &ForecastQuery { limit: Some(500), ..forecast_level("category") }).await
        {
            Ok(view) => view,
            Err(e) => return failed(v, e),
        };
    let locations =
        match planning::forecasts(&s.platform, &ForecastQuery { limit: Some(500), ..forecast_level("location") }).await
        {
            Ok(view) => view,
            Err(e) => return failed(v, e),
        };
    let start = categories.series.first().map_or(categories.run.as_of, |s| s.start);
    let asked = !form.category_id.is_empty();
    let or = |value: &str, default: String| if value.is_empty() { default } else { value.to_string() };
    let fields = vec![
        Field::Select(Select {
            name: "category_id".into(),
            label: v.t("plan.category").into(),
            options: categories
                .series
                .iter()
                .filter_map(|s| s.key.category_id.clone())
                .map(|c| (c.clone(), c))
                .collect(),
            selected: form.category_id.clone(),
        }),
        Field::Select(Select {
            name: "location_id".into(),
            label: v.t("plan.location").into(),
            options: std::iter::once((String::new(), v.t("plan.level.total").to_string()))
                .chain(locations.series.iter().filter_map(|s| s.key.location_id.clone()).map(|l| (l.clone(), l)))
                .collect(),
            selected: form.location_id.clone(),
        }),
        Field::Number {
            name: "price_change_pct".into(),
            label: v.t("plan.price_change").into(),
            value: or(&form.price_change_pct, "-20".into()),
        },
        Field::Text {
            name: "from".into(),
            label: v.t("plan.from").into(),
            value: or(&form.from, start.to_string()),
            required: true,
        },
        Field::Text {
            name: "to".into(),
            label: v.t("plan.to").into(),
            value: or(&form.to, (start + chrono::Duration::days(6)).to_string()),
            required: true,
        },
    ];
    let mut page = v.page(v.t("nav.what_if")).subtitle(v.t("plan.what_if_subtitle")).card(
        Card::new(v.t("plan.what_if_ask"), Width::Full).block(Block::Form(Form {
            action: "/console/forecasts/what-if".into(),
            fields,
            submit: v.t("plan.what_if_submit").into(),
            confirm: None,
            tone: Tone::Info,
        })),
    );
    if !asked {
        return page.into_response();
    }
    let day = |text: &str, field: &str| {
        text.trim()
            .parse::<chrono::NaiveDate>()
            .map_err(|_| retail_app::service::invalid(field, "give the day as YYYY-MM-DD"))
    };
    let question = match (day(&form.from, "from"), day(&form.to, "to"), form.price_change_pct.trim().parse::<f64>()) {
        (Ok(from), Ok(to), Ok(price_change_pct)) => WhatIf {
            category_id: form.category_id.clone(),
            location_id: Some(form.location_id.clone()).filter(|l| !l.is_empty()),
            price_change_pct,
            from,
            to,
            run_id: None,
        },
        (Err(e), _, _) | (_, Err(e), _) => return failed(v, e),
        (_, _, Err(_)) => return failed(v, retail_app::service::invalid("price_change_pct", "must be a number")),
    };
    let answer = match whatif::what_if(&s.platform, &question).await {
        Ok(a) => a,
        Err(e) => return failed(v, e),
    };
    page = page.card(what_if_card(v, &answer));
    page.into_response()
}

fn forecast_level(level: &str) -> ForecastQuery {
    ForecastQuery { level: Some(level.into()), history_days: Some(1), ..Default::default() }
}

/// The answer: what the change does to units and revenue over its days, and both forecasts drawn.
fn what_if_card(v: &Viewer, a: &WhatIfAnswer) -> Card {
    let r = &a.response;
    let kpis = vec![
        Kpi {
            label: v.t("plan.elasticity").into(),
            value: format!("{:.2}", r.elasticity),
            hint: v
                .t("plan.elasticity_hint")
                .replace("{days}", &r.discounted_days.to_string())
                .replace("{deepest}", &format!("{:.0}", 100.0 * r.deepest_discount)),
        },
        Kpi {
            label: v.t("plan.units_on_plan").into(),
            value: format!("{:.0} → {:.0}", a.baseline_units, a.scenario_units),
            hint: percent(a.scenario_units / a.baseline_units.max(f64::MIN_POSITIVE) - 1.0),
        },
        Kpi {
            label: v.t("plan.revenue_on_plan").into(),
            value: format!("{} → {}", yuan(a.baseline_revenue_minor), yuan(a.scenario_revenue_minor)),
            hint: String::new(),
        },
    ];
    let chart = Chart::new(ChartKind::Line, v.t("common.day"), v.t("common.units"))
        .categories(a.days.iter().map(|d| d.date.format("%m-%d").to_string()).collect())
        .series(v.t("plan.forecast"), a.days.iter().map(|d| d.baseline_units).collect())
        .series(v.t("plan.with_change"), a.days.iter().map(|d| d.scenario_units).collect())
        .height(320);
    let mut card = Card::new(format!("{} — {}", v.t("plan.what_if_answer"), a.category_id), Width::Full)
        .block(Block::Kpis(kpis))
        .block(Block::Chart(chart));
    if a.extrapolated {
        card =
            card.block(Block::Notice(Notice { tone: Tone::Warn, text: v.t("plan.extrapolated").into(), secret: None }));
    }
    card
}
