//! Supply-chain pages: delivery planning (plan a depot's day, the plans made, a plan's routes drawn
//! on the stops' coordinates with each vehicle's manifest and its CSV), supplier scorecards, and
//! the cost dashboards (transport, inventory, landed cost, price variance).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form as PostForm, Json};
use chrono::{Days, NaiveDate, Utc};
use retail_app::logistics::costs;
use retail_app::logistics::delivery::{self, PlanRequest, PlanScope, PlanView};
use retail_app::logistics::problem::DeliveryPlan;
use retail_app::logistics::suppliers;
use retail_domain::{EntityKind, Location, LocationKind};
use retail_store::PlanQuery;
use retail_supply::{Band, Scorecard};

use super::view::*;
use super::{Viewer, failed};
use crate::AppState;
use crate::access::{Area, Permission};

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |x| format!("{:.1}%", 100.0 * x))
}

fn km(x: f64) -> String {
    format!("{x:.1}")
}

fn status_badge(v: &Viewer, status: &str) -> Cell {
    let tone = match status {
        "ready" => Tone::Good,
        "queued" | "solving" => Tone::Info,
        "failed" => Tone::Bad,
        _ => Tone::Plain,
    };
    Cell::badge(v.lang.lookup(&format!("sc.status.{status}")).unwrap_or(status), tone)
}

/// A band's label key and badge tone.
fn band_style(band: Band) -> (&'static str, Tone) {
    match band {
        Band::Excellent => ("sc.band.excellent", Tone::Good),
        Band::Average => ("sc.band.average", Tone::Info),
        Band::Warning => ("sc.band.warning", Tone::Warn),
        Band::Blocked => ("sc.band.blocked", Tone::Bad),
        Band::InsufficientData => ("sc.band.insufficient_data", Tone::Plain),
    }
}

fn band_badge(v: &Viewer, band: Band) -> Cell {
    let (key, tone) = band_style(band);
    Cell::badge(v.t(key), tone)
}

fn scope_name(v: &Viewer, scope: &str) -> String {
    v.lang.lookup(&format!("sc.scope.{scope}")).unwrap_or(scope).to_string()
}

/// The depots a plan can start from: distribution centres and online fulfilment points.
async fn depots(s: &AppState) -> Result<Vec<Location>, retail_app::ServiceError> {
    let all: Vec<Location> = retail_app::service::all_docs(&s.platform, EntityKind::Location).await?;
    Ok(all.into_iter().filter(|l| l.kind != LocationKind::Store && l.active).collect())
}

/// The day after the last day with data: "tomorrow" for the loaded history.
async fn tomorrow(s: &AppState) -> NaiveDate {
    match retail_app::reports::data_range(&s.platform).await {
        Ok(Some(r)) => r.to + Days::new(1),
        _ => Utc::now().date_naive() + Days::new(1),
    }
}

/// Delivery planning: plan a depot's day, and the plans made.
pub async fn delivery_page(State(s): State<AppState>, v: Viewer) -> Response {
    let query = PlanQuery { limit: 50, ..PlanQuery::default() };
    let (plans, depots) = match tokio::try_join!(delivery::list(&s.platform, &query), depots(&s)) {
        Ok(both) => both,
        Err(e) => return failed(&v, e),
    };
    let day = tomorrow(&s).await;
    let mut table = Table::new(
        v.labels(&[
            "sc.plan",
            "sc.scope",
            "sc.depot",
            "sc.service_date",
            "common.status",
            "sc.routes",
            "sc.stops",
            "sc.unassigned",
            "sc.distance_km",
            "sc.cost",
            "common.created",
        ]),
        v.t("sc.no_plans"),
    )
    .numeric(&[5, 6, 7, 8, 9]);
    for p in &plans {
        let figure = |x: Option<i64>| x.map_or_else(|| "—".into(), |x| x.to_string());
        let cost = p.plan.as_ref().map(|plan| plan.totals.cost_minor);
        table.rows.push(vec![
            Cell::link(&p.plan_id, format!("/console/delivery/plans/{}", p.plan_id)),
            Cell::text(scope_name(&v, &p.scope)),
            Cell::text(p.depot_id.clone().unwrap_or_default()),
            Cell::text(p.service_date.clone().unwrap_or_default()),
            status_badge(&v, &p.status),
            Cell::Number(figure(p.plan.as_ref().map(|x| x.totals.routes as i64))),
            Cell::Number(figure(p.plan.as_ref().map(|x| x.totals.stops as i64))),
            Cell::Number(figure(p.plan.as_ref().map(|x| x.totals.unassigned as i64))),
            Cell::Number(p.plan.as_ref().map_or_else(|| "—".into(), |x| km(x.totals.distance_km))),
            Cell::Number(cost.map_or_else(|| "—".into(), yuan)),
            Cell::text(when(Some(p.created_at))),
        ]);
    }
    let mut page = v.page(v.t("nav.delivery")).subtitle(v.t("sc.delivery_subtitle"));
    if v.can(Permission::Write(Area::Supply)) {
        let form = Form {
            action: "/console/delivery/plans".into(),
            fields: vec![
                Field::Select(Select {
                    name: "scope".into(),
                    label: v.t("sc.scope").into(),
                    options: vec![
                        ("store".into(), v.t("sc.scope.store").into()),
                        ("home".into(), v.t("sc.scope.home").into()),
                    ],
                    selected: "store".into(),
                }),
                Field::Select(Select {
                    name: "depot_id".into(),
                    label: v.t("sc.depot").into(),
                    options: depots
                        .iter()
                        .map(|d| (d.external_id.clone(), format!("{} · {}", d.external_id, v.lang.pick(&d.name))))
                        .collect(),
                    selected: depots.first().map(|d| d.external_id.clone()).unwrap_or_default(),
                }),
                Field::Text {
                    name: "date".into(),
                    label: v.t("sc.service_date").into(),
                    value: day.to_string(),
                    required: true,
                },
            ],
            submit: v.t("sc.plan_now").into(),
            confirm: None,
            tone: Tone::Info,
        };
        page = page.card(
            Card::new(v.t("sc.new_plan"), Width::Full)
                .block(Block::Notice(Notice { tone: Tone::Plain, text: v.t("sc.new_plan_hint").into(), secret: None }))
                .block(Block::Form(form)),
        );
    }
    page.card(Card::new(v.t("sc.plans"), Width::Full).block(Block::Table(table))).into_response()
}

/// The planning form's fields.
#[derive(Debug, serde::Deserialize)]
pub struct PlanForm {
    scope: String,
    depot_id: String,
    date: String,
}

pub async fn create_plan(State(s): State<AppState>, v: Viewer, PostForm(form): PostForm<PlanForm>) -> Response {
    let request = match (PlanScope::parse(&form.scope), form.date.trim().parse::<NaiveDate>()) {
        (Some(scope @ (PlanScope::Store | PlanScope::Home)), Ok(date)) => {
            PlanRequest { scope, depot_id: form.depot_id, date, time_limit_s: None }
        }
        _ => return failed(&v, retail_app::service::invalid("date", "choose a scope and give the date as YYYY-MM-DD")),
    };
    match delivery::plan_day(&s.platform, &request, &v.principal.actor()).await {
        Ok(plan) => Redirect::to(&format!("/console/delivery/plans/{}", plan.plan_id)).into_response(),
        Err(e) => failed(&v, e),
    }
}

pub async fn replan(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    match delivery::replan(&s.platform, &id, &v.principal.actor()).await {
        Ok(plan) => Redirect::to(&format!("/console/delivery/plans/{}", plan.plan_id)).into_response(),
        Err(e) => failed(&v, e),
    }
}

/// What the page of a plan being solved watches to reload when it is done.
pub async fn plan_state(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    match delivery::get(&s.platform, &id, false).await {
        Ok(p) => Json(serde_json::json!({ "signature": p.status })).into_response(),
        Err(e) => failed(&v, e),
    }
}

/// The route map: each trip a line from the depot through its stops and back.
fn route_map(v: &Viewer, plan: &DeliveryPlan) -> Chart {
    let mut chart = Chart::new(ChartKind::Map, v.t("sc.longitude"), v.t("sc.latitude")).height(520);
    for r in &plan.routes {
        let depot = plan.depots.iter().find(|d| d.id == r.depot_id);
        let start = depot.map(|d| MapPoint { lon: d.lon, lat: d.lat, label: d.id.clone() });
        let stops = r.stops.iter().map(|s| MapPoint {
            lon: s.lon,
            lat: s.lat,
            label: format!(
                "#{} {} {}<br>ETA {} · {:.0} kg",
                s.sequence,
                s.stop_id,
                s.name.clone().unwrap_or_default(),
                plan.clock(s.eta),
                s.demand_kg
            ),
        });
        let name = format!("{} #{}", r.vehicle_id, r.trip);
        chart = chart.path(name, start.into_iter().chain(stops).collect(), true);
    }
    let depots = plan.depots.iter().map(|d| MapPoint { lon: d.lon, lat: d.lat, label: d.id.clone() }).collect();
    chart.path(v.t("sc.depot"), depots, false)
}

fn routes_table(v: &Viewer, plan: &DeliveryPlan) -> Table {
    let mut table = Table::new(
        v.labels(&[
            "sc.vehicle",
            "sc.trip",
            "sc.stops",
            "sc.load_kg",
            "sc.utilisation",
            "sc.distance_km",
            "sc.departure",
            "sc.return",
            "sc.cost",
            "sc.cost_per_km",
            "sc.cost_per_case",
        ]),
        v.t("sc.no_routes"),
    )
    .numeric(&[1, 2, 3, 4, 5, 8, 9, 10]);
    for r in &plan.routes {
        table.rows.push(vec![
            Cell::text(&r.vehicle_id),
            Cell::Number(r.trip.to_string()),
            Cell::Number(r.stops.len().to_string()),
            Cell::Number(format!("{:.0} / {:.0}", r.load_kg, r.capacity_kg)),
            Cell::Number(pct(Some(r.utilisation))),
            Cell::Number(km(r.distance_km)),
            Cell::text(plan.clock(r.departure)),
            Cell::text(plan.clock(r.return_at)),
            Cell::Number(yuan(r.cost_minor)),
            Cell::Number(r.cost_per_km.map_or_else(|| "—".into(), |x| format!("{:.2}", x / 100.0))),
            Cell::Number(r.cost_per_case.map_or_else(|| "—".into(), |x| format!("{:.2}", x / 100.0))),
        ]);
    }
    table
}

fn manifest(v: &Viewer, plan: &DeliveryPlan, route: &retail_app::logistics::problem::PlannedRoute) -> Table {
    let mut table = Table::new(
        v.labels(&[
            "sc.sequence",
            "sc.stop",
            "common.name",
            "sc.eta",
            "sc.window",
            "sc.load_kg",
            "sc.cases",
            "sc.cost",
        ]),
        v.t("sc.no_routes"),
    )
    .numeric(&[0, 5, 6, 7]);
    for s in &route.stops {
        let window = match (s.window_start, s.window_end) {
            (Some(a), Some(b)) => format!("{}–{}", plan.clock(a), plan.clock(b)),
            _ => "—".into(),
        };
        table.rows.push(vec![
            Cell::Number(s.sequence.to_string()),
            Cell::text(&s.stop_id),
            Cell::text(s.name.clone().unwrap_or_default()),
            Cell::text(plan.clock(s.eta)),
            Cell::text(window),
            Cell::Number(format!("{:.1}", s.demand_kg)),
            Cell::Number(s.cases.to_string()),
            Cell::Number(yuan(s.cost_minor)),
        ]);
    }
    table
}

/// One plan: its figures, the route map, the routes and each vehicle's manifest.
pub async fn plan_page(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    let view: PlanView = match delivery::get(&s.platform, &id, true).await {
        Ok(p) => p,
        Err(e) => return failed(&v, e),
    };
    let title = format!(
        "{} · {} · {}",
        scope_name(&v, &view.scope),
        view.depot_id.clone().unwrap_or_default(),
        view.service_date.clone().unwrap_or_default()
    );
    let mut facts = vec![
        (v.t("sc.plan").to_string(), Cell::text(&view.plan_id)),
        (v.t("common.status").to_string(), status_badge(&v, &view.status)),
        (v.t("common.created").to_string(), Cell::text(when(Some(view.created_at)))),
        (v.t("sc.created_by").to_string(), Cell::text(&view.created_by)),
    ];
    if let Some(e) = &view.error {
        facts.push((v.t("sc.error").to_string(), Cell::text(e)));
    }
    let mut page = v.page(title).subtitle(v.t("sc.plan_subtitle"));
    if matches!(view.status.as_str(), "queued" | "solving") {
        page = page.card(
            Card::new("", Width::Full)
                .block(Block::Notice(Notice { tone: Tone::Info, text: v.t("sc.solving").into(), secret: None }))
                .block(Block::AutoRefresh {
                    url: format!("/console/delivery/plans/{}/state", view.plan_id),
                    signature: view.status.clone(),
                }),
        );
    }
    if view.stale == Some(true) {
        let mut card = Card::new("", Width::Full).block(Block::Notice(Notice {
            tone: Tone::Warn,
            text: v.t("sc.stale").into(),
            secret: None,
        }));
        if v.can(Permission::Write(Area::Supply)) {
            card = card.block(Block::Form(Form {
                action: format!("/console/delivery/plans/{}/replan", view.plan_id),
                fields: vec![],
                submit: v.t("sc.replan").into(),
                confirm: None,
                tone: Tone::Warn,
            }));
        }
        page = page.card(card);
    }
    let Some(plan) = &view.plan else {
        return page.card(Card::new(v.t("sc.facts"), Width::Full).block(Block::Facts(facts))).into_response();
    };
    let t = &plan.totals;
    let kpis = vec![
        Kpi {
            label: v.t("sc.routes").into(),
            value: t.routes.to_string(),
            hint: format!("{} {}", t.vehicles, v.t("sc.vehicles")),
        },
        Kpi {
            label: v.t("sc.stops").into(),
            value: t.stops.to_string(),
            hint: format!("{} {}", t.unassigned, v.t("sc.unassigned")),
        },
        Kpi { label: v.t("sc.distance_km").into(), value: km(t.distance_km), hint: format!("{:.1} h", t.duration_h) },
        Kpi {
            label: v.t("sc.load_kg").into(),
            value: format!("{:.0}", t.load_kg),
            hint: format!("{} {}", pct(Some(t.utilisation)), v.t("sc.utilisation")),
        },
        Kpi {
            label: v.t("sc.cost").into(),
            value: yuan(t.cost_minor),
            hint: format!(
                "{} {} · {} {} · {} {}",
                v.t("sc.fixed"),
                yuan(t.fixed_minor),
                v.t("sc.per_km"),
                yuan(t.distance_minor),
                v.t("sc.per_hour"),
                yuan(t.time_minor)
            ),
        },
    ];
    facts.push((v.t("sc.solve_time").to_string(), Cell::text(format!("{:.1} s", plan.solve_ms as f64 / 1000.0))));
    page = page
        .card(Card::new("", Width::Full).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("sc.route_map"), Width::Full).block(Block::Chart(route_map(&v, plan))))
        .card(Card::new(v.t("sc.routes"), Width::Full).block(Block::Table(routes_table(&v, plan))).block(Block::Links(
            vec![(
                v.t("sc.download_manifest").to_string(),
                format!("/api/v1/delivery/plans/{}/manifest", view.plan_id),
            )],
        )))
        .card(Card::new(v.t("sc.facts"), Width::Third).block(Block::Facts(facts)));
    if !plan.unassigned.is_empty() {
        let mut table = Table::new(v.labels(&["sc.stop", "sc.reference", "sc.reason"]), v.t("common.none"));
        for u in &plan.unassigned {
            table.rows.push(vec![
                Cell::text(&u.stop_id),
                Cell::text(u.reference.clone().unwrap_or_default()),
                Cell::text(format!(
                    "{} — {}",
                    v.lang.lookup(&format!("sc.reason.{}", u.reason)).unwrap_or(&u.reason),
                    u.message
                )),
            ]);
        }
        page = page.card(Card::new(v.t("sc.unassigned_stops"), Width::Full).block(Block::Table(table)));
    }
    if !plan.warnings.is_empty() {
        page = page.card(Card::new(v.t("sc.warnings"), Width::Full).block(Block::Notice(Notice {
            tone: Tone::Warn,
            text: plan.warnings.join(" · "),
            secret: None,
        })));
    }
    for r in &plan.routes {
        let title = format!(
            "{} {} #{} · {:.0} kg · {}",
            v.t("sc.manifest"),
            r.vehicle_id,
            r.trip,
            r.load_kg,
            yuan(r.cost_minor)
        );
        page = page.card(Card::new(title, Width::Half).block(Block::Table(manifest(&v, plan, r))));
    }
    page.into_response()
}

fn scorecard_row(v: &Viewer, name: String, c: &Scorecard) -> Vec<Cell> {
    let lead = match (c.lead_time_mean_days, c.lead_time_std_days) {
        (Some(m), Some(s)) => format!("{m:.1} ± {s:.1}"),
        (Some(m), None) => format!("{m:.1}"),
        _ => "—".into(),
    };
    vec![
        Cell::link(name, format!("/console/suppliers/{}", c.supplier_id)),
        band_badge(v, c.band),
        Cell::Number(format!("{:.0}", c.score)),
        Cell::Number(pct(c.otif_rate)),
        Cell::Number(pct(c.on_time_rate)),
        Cell::Number(pct(c.fill_rate)),
        Cell::Number(pct(c.quality_rate)),
        Cell::Number(c.price_index.map_or_else(|| "—".into(), |x| format!("{x:.1}"))),
        Cell::Number(lead),
        Cell::Number(c.orders.to_string()),
    ]
}

fn scorecard_columns(v: &Viewer) -> Vec<String> {
    v.labels(&[
        "common.name",
        "sc.band",
        "sc.score",
        "sc.otif",
        "sc.on_time",
        "sc.fill_rate",
        "sc.quality",
        "sc.price_index",
        "sc.lead_time",
        "sc.orders",
    ])
}

/// Every supplier's scorecard over the last 13 weeks, with the score of each drawn.
pub async fn scorecards_page(State(s): State<AppState>, v: Viewer) -> Response {
    let cards = match suppliers::scorecards(&s.platform, 13).await {
        Ok(c) => c,
        Err(e) => return failed(&v, e),
    };
    let mut table = Table::new(scorecard_columns(&v), v.t("sc.no_scorecards")).numeric(&[2, 3, 4, 5, 6, 7, 8, 9]);
    let mut count_by_band: HashMap<&'static str, usize> = HashMap::new();
    for sup in &cards.suppliers {
        let name = if v.lang.short() == "en" { &sup.name_en } else { &sup.name_zh };
        table.rows.push(scorecard_row(&v, format!("{} {}", sup.scorecard.supplier_id, name), &sup.scorecard));
        let (key, _) = band_style(sup.scorecard.band);
        *count_by_band.entry(key).or_default() += 1;
    }
    let kpis = ["sc.band.excellent", "sc.band.average", "sc.band.warning", "sc.band.blocked"]
        .iter()
        .map(|k| Kpi {
            label: v.t(k).into(),
            value: count_by_band.get(k).copied().unwrap_or(0).to_string(),
            hint: String::new(),
        })
        .collect();
    let chart = Chart::new(ChartKind::Hbar, v.t("sc.supplier"), v.t("sc.score"))
        .categories(cards.suppliers.iter().map(|c| c.scorecard.supplier_id.clone()).collect())
        .series(v.t("sc.score"), cards.suppliers.iter().map(|c| (c.scorecard.score * 10.0).round() / 10.0).collect())
        .series(
            v.t("sc.otif"),
            cards
                .suppliers
                .iter()
                .map(|c| c.scorecard.otif_rate.map_or(f64::NAN, |x| (x * 1000.0).round() / 10.0))
                .collect(),
        )
        .height(620);
    v.page(v.t("nav.scorecards"))
        .subtitle(format!("{} {}", v.t("sc.scorecards_subtitle"), cards.as_of.date_naive()))
        .card(Card::new("", Width::Full).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("sc.scorecards"), Width::Full).block(Block::Table(table)))
        .card(Card::new(v.t("sc.score_by_supplier"), Width::Full).block(Block::Chart(chart)))
        .into_response()
}

/// The supplier page's scorecard card: the current card, why, and the weekly trend.
pub async fn supplier_cards(s: &AppState, v: &Viewer, id: &str) -> Result<Vec<Card>, retail_app::ServiceError> {
    let trend = suppliers::supplier_trend(&s.platform, id, 13).await?;
    let mut out = Vec::new();
    if let Some(c) = &trend.current {
        let mut table = Table::new(scorecard_columns(v), v.t("common.none")).numeric(&[2, 3, 4, 5, 6, 7, 8, 9]);
        table.rows.push(scorecard_row(v, c.supplier_id.clone(), c));
        let mut card = Card::new(v.t("sc.scorecard"), Width::Full).block(Block::Table(table));
        if !c.reasons.is_empty() {
            card = card.block(Block::Notice(Notice { tone: Tone::Plain, text: c.reasons.join(" · "), secret: None }));
        }
        out.push(card);
    }
    let weeks: Vec<String> = trend.weeks.iter().map(|w| w.start.format("%m-%d").to_string()).collect();
    let mine = |f: &dyn Fn(&Scorecard) -> Option<f64>| -> Vec<f64> {
        trend.weeks.iter().map(|w| w.scorecards.first().and_then(f).unwrap_or(f64::NAN)).collect()
    };
    let chart = Chart::new(ChartKind::Line, v.t("sc.week"), v.t("sc.percent"))
        .categories(weeks)
        .series(v.t("sc.score"), mine(&|c| Some(c.score)))
        .series(v.t("sc.otif"), mine(&|c| c.otif_rate.map(|x| 100.0 * x)))
        .series(v.t("sc.fill_rate"), mine(&|c| c.fill_rate.map(|x| 100.0 * x)))
        .series(v.t("sc.quality"), mine(&|c| c.quality_rate.map(|x| 100.0 * x)));
    out.push(Card::new(v.t("sc.trend"), Width::Full).block(Block::Chart(chart)));
    Ok(out)
}

/// The cost dashboards' filter: which location's inventory cost to show.
#[derive(Debug, serde::Deserialize)]
pub struct CostQuery {
    location_id: Option<String>,
}

/// Transport, inventory, landed cost and price variance in one place.
pub async fn costs_page(State(s): State<AppState>, v: Viewer, Query(q): Query<CostQuery>) -> Response {
    let stores: Vec<Location> = match retail_app::service::all_docs(&s.platform, EntityKind::Location).await {
        Ok(all) => all,
        Err(e) => return failed(&v, e),
    };
    let location = q
        .location_id
        .filter(|l| !l.is_empty())
        .or_else(|| stores.iter().find(|l| l.kind == LocationKind::Store).map(|l| l.external_id.clone()));
    let transport = costs::transport(&s.platform, 30);
    let landed = costs::landed(&s.platform, 90);
    let variance = costs::price_variance_report(&s.platform, 365);
    let (transport, landed, variance) = match tokio::try_join!(transport, landed, variance) {
        Ok(all) => all,
        Err(e) => return failed(&v, e),
    };
    let inventory = match &location {
        Some(l) => match costs::inventory(&s.platform, l, 90).await {
            Ok(r) => Some(r),
            Err(e) => return failed(&v, e),
        },
        None => None,
    };

    let kpis = vec![
        Kpi {
            label: v.t("sc.transport_cost").into(),
            value: yuan(transport.cost_minor),
            hint: format!("{} – {}", transport.from, transport.to),
        },
        Kpi { label: v.t("sc.distance_km").into(), value: km(transport.distance_km), hint: String::new() },
        Kpi {
            label: v.t("sc.cost_per_km").into(),
            value: transport.cost_per_km.map_or_else(|| "—".into(), |x| format!("¥{:.2}", x / 100.0)),
            hint: String::new(),
        },
        Kpi {
            label: v.t("sc.cost_per_stop").into(),
            value: transport.cost_per_stop.map_or_else(|| "—".into(), |x| format!("¥{:.2}", x / 100.0)),
            hint: String::new(),
        },
    ];
    let days: Vec<String> = transport.days.iter().map(|d| format!("{} {}", d.date, scope_name(&v, &d.scope))).collect();
    let part = |f: &dyn Fn(&costs::TransportDay) -> i64| -> Vec<f64> {
        transport.days.iter().map(|d| f(d) as f64 / 100.0).collect()
    };
    let transport_chart = Chart::new(ChartKind::Bar, v.t("sc.service_date"), v.t("sc.yuan"))
        .categories(days)
        .series(v.t("sc.fixed"), part(&|d| d.fixed_minor))
        .series(v.t("sc.per_km"), part(&|d| d.distance_minor))
        .series(v.t("sc.per_hour"), part(&|d| d.time_minor));
    let mut dest = Table::new(
        v.labels(&[
            "sc.stop",
            "common.name",
            "sc.scope",
            "sc.deliveries",
            "sc.load_kg",
            "sc.cases",
            "sc.cost",
            "sc.cost_per_case",
        ]),
        v.t("sc.no_plans"),
    )
    .numeric(&[3, 4, 5, 6, 7]);
    for d in transport
        .destinations
        .iter()
        .filter(|d| d.scope == "store")
        .chain(transport.destinations.iter().filter(|d| d.scope != "store"))
        .take(40)
    {
        dest.rows.push(vec![
            Cell::text(&d.stop_id),
            Cell::text(d.name.clone().unwrap_or_default()),
            Cell::text(scope_name(&v, &d.scope)),
            Cell::Number(d.stops.to_string()),
            Cell::Number(format!("{:.0}", d.kg)),
            Cell::Number(d.cases.to_string()),
            Cell::Number(yuan(d.cost_minor)),
            Cell::Number(d.cost_per_case.map_or_else(|| "—".into(), |x| format!("{:.2}", x / 100.0))),
        ]);
    }

    let mut page = v
        .page(v.t("nav.costs"))
        .subtitle(v.t("sc.costs_subtitle"))
        .card(Card::new(v.t("sc.transport"), Width::Full).block(Block::Kpis(kpis)))
        .card(Card::new(v.t("sc.transport_by_day"), Width::Half).block(Block::Chart(transport_chart)))
        .card(Card::new(v.t("sc.transport_by_destination"), Width::Half).block(Block::Table(dest)));

    let filters = Filters {
        action: "/console/costs".into(),
        search: None,
        selects: vec![Select {
            name: "location_id".into(),
            label: v.t("sc.location").into(),
            options: stores
                .iter()
                .map(|l| (l.external_id.clone(), format!("{} · {}", l.external_id, v.lang.pick(&l.name))))
                .collect(),
            selected: location.clone().unwrap_or_default(),
        }],
        submit: v.t("common.filter").into(),
    };
    let mut inv_card = Card::new(v.t("sc.inventory_cost"), Width::Full).block(Block::Filters(filters));
    if let Some(inv) = &inventory {
        inv_card = inv_card.block(Block::Kpis(vec![
            Kpi {
                label: v.t("sc.holding").into(),
                value: yuan(inv.holding_minor),
                hint: format!("{:.0}% / {}", inv.holding_rate_per_year * 100.0, v.t("sc.year")),
            },
            Kpi {
                label: v.t("sc.ordering").into(),
                value: yuan(inv.ordering_minor),
                hint: format!("{} / {}", yuan(inv.ordering_cost_minor), v.t("sc.order_line")),
            },
            Kpi {
                label: v.t("sc.stockout").into(),
                value: yuan(inv.stockout_minor),
                hint: v.t("sc.lost_margin").into(),
            },
            Kpi {
                label: v.t("sc.total").into(),
                value: yuan(inv.total_minor),
                hint: format!("{} – {}", inv.from, inv.to),
            },
        ]));
        let mut table = Table::new(
            v.labels(&[
                "sc.product",
                "sc.avg_on_hand",
                "sc.stockout_days",
                "sc.lost_units",
                "sc.holding",
                "sc.ordering",
                "sc.stockout",
                "sc.total",
            ]),
            v.t("common.none"),
        )
        .numeric(&[1, 2, 3, 4, 5, 6, 7]);
        for c in inv.products.iter().take(25) {
            table.rows.push(vec![
                Cell::link(&c.product_id, format!("/console/products/{}", c.product_id)),
                Cell::Number(format!("{:.1}", c.average_on_hand)),
                Cell::Number(c.stockout_days.to_string()),
                Cell::Number(format!("{:.1}", c.lost_units)),
                Cell::Number(yuan(c.holding_minor)),
                Cell::Number(yuan(c.ordering_minor)),
                Cell::Number(yuan(c.stockout_minor)),
                Cell::Number(yuan(c.total_minor)),
            ]);
        }
        inv_card = inv_card.block(Block::Table(table));
    }
    page = page.card(inv_card);

    let mut landed_table = Table::new(
        v.labels(&[
            "sc.product",
            "common.name",
            "sc.units",
            "sc.purchase",
            "sc.freight",
            "sc.duty",
            "sc.other_charges",
            "sc.landed_unit",
            "sc.uplift",
        ]),
        v.t("sc.no_landed"),
    )
    .numeric(&[2, 3, 4, 5, 6, 7, 8]);
    for p in landed.products.iter().take(25) {
        landed_table.rows.push(vec![
            Cell::link(&p.product_id, format!("/console/products/{}", p.product_id)),
            Cell::text(&p.name),
            Cell::Number(p.units.to_string()),
            Cell::Number(yuan(p.purchase_minor)),
            Cell::Number(yuan(p.freight_minor)),
            Cell::Number(yuan(p.duty_minor)),
            Cell::Number(yuan(p.other_minor)),
            Cell::Number(format!("¥{:.2}", p.landed_unit_minor / 100.0)),
            Cell::Number(format!("{:.1}%", p.uplift_pct)),
        ]);
    }
    let mut landed_card = Card::new(v.t("sc.landed_cost"), Width::Full).block(Block::Table(landed_table));
    if !landed.refused.is_empty() {
        landed_card = landed_card.block(Block::Notice(Notice {
            tone: Tone::Warn,
            text: landed.refused.join(" · "),
            secret: None,
        }));
    }
    let mut var_table = Table::new(
        v.labels(&[
            "sc.supplier",
            "sc.lines",
            "sc.above_contract",
            "sc.below_contract",
            "sc.missing_contract",
            "sc.paid",
            "sc.variance",
            "sc.variance_pct",
        ]),
        v.t("common.none"),
    )
    .numeric(&[1, 2, 3, 4, 5, 6, 7]);
    for r in std::iter::once(&variance.total).chain(&variance.by_supplier) {
        var_table.rows.push(vec![
            if r.key == "*" {
                Cell::text(v.t("sc.all_suppliers"))
            } else {
                Cell::link(&r.key, format!("/console/suppliers/{}", r.key))
            },
            Cell::Number(r.lines.to_string()),
            Cell::Number(r.above_contract.to_string()),
            Cell::Number(r.below_contract.to_string()),
            Cell::Number(r.missing_contract.to_string()),
            Cell::Number(yuan(r.paid_minor)),
            Cell::Number(yuan(r.variance_minor)),
            Cell::Number(r.variance_pct.map_or_else(|| "—".into(), |x| format!("{x:.2}%"))),
        ]);
    }
    page.card(landed_card)
        .card(Card::new(v.t("sc.price_variance"), Width::Full).block(Block::Table(var_table)))
        .into_response()
}
