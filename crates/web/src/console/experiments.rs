//! Experiment pages: the list with a form for a new A/B test, and each
//! experiment's lifecycle actions and results (traffic and SRM, every metric's
//! lift with its interval, the cumulative lift chart and a plain verdict).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use retail_app::experiments::{
    self, Analysis, Change, ExperimentView, MetricKey, MetricRole, MetricSpec, NewExperiment, Results, Surface, Verdict,
};
use retail_app::simulate::{self, TrafficPlan};
use retail_app::strategies::{self, StrategyView};
use retail_experiment::assign::{Status, UnitKind, Variant};
use serde::Deserialize;

use super::view::*;
use super::{Viewer, failed};
use crate::AppState;
use crate::access::{Area, Permission};

fn status_badge(v: &Viewer, status: Status) -> Cell {
    let tone = match status {
        Status::Draft => Tone::Plain,
        Status::Running => Tone::Info,
        Status::Stopped => Tone::Warn,
        Status::Shipped => Tone::Good,
    };
    Cell::badge(v.t(&format!("exp.status.{status}")), tone)
}

fn metric_label(v: &Viewer, m: MetricKey) -> &'static str {
    v.t(&format!("exp.metric.{}", m.as_str()))
}

fn role_label(v: &Viewer, role: MetricRole) -> &'static str {
    v.t(match role {
        MetricRole::Primary => "exp.role.primary",
        MetricRole::Secondary => "exp.role.secondary",
        MetricRole::Guardrail => "exp.role.guardrail",
    })
}

fn percent(x: f64) -> String {
    format!("{:+.2}%", x * 100.0)
}

/// A choice among the recommendation strategies, each shown with its description.
fn strategy_select(name: &str, label: &str, all: &[StrategyView], selected: &str) -> Field {
    Field::Select(Select {
        name: name.into(),
        label: label.into(),
        options: all.iter().map(|s| (s.name.clone(), format!("{} — {}", s.name, s.config.description))).collect(),
        selected: selected.into(),
    })
}

fn metric_select(v: &Viewer, name: &str, label: &str, selected: MetricKey, with_none: bool) -> Field {
    let mut options: Vec<(String, String)> =
        if with_none { vec![(String::new(), v.t("common.none").to_string())] } else { Vec::new() };
    options.extend(MetricKey::ALL.iter().map(|m| (m.as_str().to_string(), metric_label(v, *m).to_string())));
    Field::Select(Select { name: name.into(), label: label.into(), options, selected: selected.as_str().into() })
}

pub async fn list(State(s): State<AppState>, v: Viewer) -> Response {
    let (all, strategies) = match tokio::try_join!(experiments::list(&s.platform), strategies::list(&s.platform)) {
        Ok(both) => both,
        Err(e) => return failed(&v, e),
    };
    let mut table = Table::new(
        v.labels(&[
            "exp.key",
            "common.name",
            "exp.surface",
            "common.status",
            "exp.variants",
            "exp.started",
            "exp.stopped",
        ]),
        v.t("exp.none"),
    );
    for e in &all {
        let variants: Vec<String> =
            e.definition.assignment.variants.iter().map(|x| format!("{} {:.0}%", x.key, x.weight * 100.0)).collect();
        table.rows.push(vec![
            Cell::link(&e.key, format!("/console/experiments/{}", e.key)),
            Cell::text(&e.name),
            Cell::text(v.t(&format!("exp.surface.{}", surface_name(e.definition.surface)))),
            status_badge(&v, e.status),
            Cell::text(variants.join(" · ")),
            Cell::text(when(e.started_at)),
            Cell::text(when(e.stopped_at)),
        ]);
    }
    let mut page = v.page(v.t("nav.experiments")).subtitle(v.t("exp.subtitle"));
    if v.can(Permission::Write(Area::Experiments)) {
        page = page.card(Card::new(v.t("exp.new"), Width::Full).block(Block::Form(new_form(&v, &strategies))));
    }
    page.card(Card::new(v.t("nav.experiments"), Width::Full).block(Block::Table(table))).into_response()
}

fn surface_name(s: Surface) -> &'static str {
    match s {
        Surface::Recommendations => "recommendations",
        Surface::Campaigns => "campaigns",
        Surface::Feature => "feature",
    }
}

/// The form for the common case: two recommendation strategies against each other.
fn new_form(v: &Viewer, strategies: &[StrategyView]) -> Form {
    let text = |name: &str, label: &str, value: &str| Field::Text {
        name: name.into(),
        label: v.t(label).into(),
        value: value.into(),
        required: true,
    };
    Form {
        action: "/console/experiments".into(),
        fields: vec![
            text("key", "exp.key", ""),
            text("name", "common.name", ""),
            strategy_select("control", v.t("exp.control_strategy"), strategies, "item_knn"),
            strategy_select("treatment", v.t("exp.treatment_strategy"), strategies, strategies::DEFAULT),
            text("treatment_share", "exp.treatment_share", "50"),
            text("coverage", "exp.coverage_percent", "100"),
            metric_select(v, "primary", v.t("exp.primary_metric"), MetricKey::ClickThrough, false),
            metric_select(v, "guardrail", v.t("exp.guardrail_metric"), MetricKey::RevenuePerUnit, true),
            Field::Select(Select {
                name: "analysis".into(),
                label: v.t("exp.analysis").into(),
                options: ["sequential", "fixed_horizon", "bayesian"]
                    .iter()
                    .map(|a| (a.to_string(), v.t(&format!("exp.analysis.{a}")).to_string()))
                    .collect(),
                selected: "sequential".into(),
            }),
        ],
        submit: v.t("exp.create").into(),
        confirm: None,
        tone: Tone::Info,
    }
}

#[derive(Deserialize)]
pub struct NewForm {
    key: String,
    name: String,
    control: String,
    treatment: String,
    treatment_share: String,
    coverage: String,
    primary: String,
    #[serde(default)]
    guardrail: String,
    analysis: String,
}

/// A percentage field as a share, or a message naming the field.
fn share(v: &Viewer, label: &str, text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|p| p.is_finite())
        .map(|p| p / 100.0)
        .ok_or_else(|| format!("{}: {}", v.t(label), v.t("exp.percent_expected")))
}

fn parse_new(v: &Viewer, f: NewForm) -> Result<NewExperiment, String> {
    let treatment_share = share(v, "exp.treatment_share", &f.treatment_share)?;
    let coverage = share(v, "exp.coverage_percent", &f.coverage)?;
    let metric = |s: &str| MetricKey::parse(s).ok_or_else(|| format!("unknown metric {s:?}"));
    let mut metrics =
        vec![MetricSpec { metric: metric(&f.primary)?, role: MetricRole::Primary, winsorize: None, cuped: false }];
    if !f.guardrail.is_empty() {
        let guardrail = metric(&f.guardrail)?;
        let winsorize = (guardrail.kind() != retail_experiment::aggregate::MetricKind::Proportion).then_some(0.99);
        metrics.push(MetricSpec { metric: guardrail, role: MetricRole::Guardrail, winsorize, cuped: false });
    }
    let analysis = match f.analysis.as_str() {
        "fixed_horizon" => Analysis::FixedHorizon,
        "bayesian" => Analysis::Bayesian,
        _ => Analysis::Sequential,
    };
    Ok(NewExperiment {
        key: f.key.trim().to_string(),
        name: f.name,
        description: String::new(),
        surface: Surface::Recommendations,
        unit: UnitKind::Customer,
        variants: vec![
            Variant { key: "control".into(), weight: 1.0 - treatment_share, payload: Some(f.control) },
            Variant { key: "treatment".into(), weight: treatment_share, payload: Some(f.treatment) },
        ],
        coverage,
        layer: None,
        targeting: Vec::new(),
        metrics,
        analysis,
        correction: Default::default(),
        alpha: 0.05,
        pre_period_days: 28,
    })
}

pub async fn create(State(s): State<AppState>, v: Viewer, axum::Form(form): axum::Form<NewForm>) -> Response {
    let input = match parse_new(&v, form) {
        Ok(i) => i,
        Err(message) => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    match experiments::create(&s.platform, input, &v.principal.actor()).await {
        Ok(e) => Redirect::to(&format!("/console/experiments/{}", e.key)).into_response(),
        Err(e) => failed(&v, e),
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    action: String,
    #[serde(default)]
    variant: String,
    #[serde(default)]
    coverage: String,
}

pub async fn change(
    State(s): State<AppState>,
    v: Viewer,
    Path(key): Path<String>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> Response {
    let change = match f.action.as_str() {
        "start" => Change::Start,
        "stop" => Change::Stop,
        "ship" => Change::Ship { variant: f.variant },
        "coverage" => match share(&v, "exp.coverage_percent", &f.coverage) {
            Ok(coverage) => Change::SetCoverage { coverage },
            Err(message) => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, message),
        },
        other => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown action {other:?}")),
    };
    match experiments::change(&s.platform, &key, change).await {
        Ok(_) => Redirect::to(&format!("/console/experiments/{key}")).into_response(),
        Err(e) => failed(&v, e),
    }
}

#[derive(Deserialize)]
pub struct SimulateForm {
    customers: usize,
    days: u32,
}

pub async fn simulate(
    State(s): State<AppState>,
    v: Viewer,
    Path(key): Path<String>,
    axum::Form(f): axum::Form<SimulateForm>,
) -> Response {
    if f.customers > 20_000 {
        return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, v.t("exp.simulate_limit"));
    }
    let plan = TrafficPlan {
        experiment: Some(key.clone()),
        strategy: None,
        customers: f.customers,
        days: f.days,
        visits_per_customer: 3.0,
        seed: 42,
    };
    match simulate::run(&s.platform, &plan, &mut |_, _| {}).await {
        Ok(_) => Redirect::to(&format!("/console/experiments/{key}")).into_response(),
        Err(e) => failed(&v, e),
    }
}

fn action(key: &str, action: &str, label: &str, tone: Tone, confirm: Option<String>, extra: Vec<Field>) -> Form {
    let mut fields = vec![Field::Hidden { name: "action".into(), value: action.into() }];
    fields.extend(extra);
    Form { action: format!("/console/experiments/{key}/changes"), fields, submit: label.into(), confirm, tone }
}

fn actions(v: &Viewer, e: &ExperimentView) -> Vec<Block> {
    let key = &e.key;
    let mut blocks = Vec::new();
    let variants: Vec<(String, String)> =
        e.definition.assignment.variants.iter().map(|x| (x.key.clone(), x.key.clone())).collect();
    let ship = || {
        action(
            key,
            "ship",
            v.t("exp.ship"),
            Tone::Good,
            Some(v.t("exp.ship_confirm").into()),
            vec![Field::Select(Select {
                name: "variant".into(),
                label: v.t("exp.variant").into(),
                selected: variants.last().map(|x| x.0.clone()).unwrap_or_default(),
                options: variants.clone(),
            })],
        )
    };
    let coverage = || {
        action(
            key,
            "coverage",
            v.t("exp.set_coverage"),
            Tone::Plain,
            None,
            vec![Field::Text {
                name: "coverage".into(),
                label: v.t("exp.coverage_percent").into(),
                value: format!("{}", e.definition.assignment.coverage * 100.0),
                required: true,
            }],
        )
    };
    match e.status {
        Status::Draft => {
            blocks.push(Block::Form(action(key, "start", v.t("exp.start"), Tone::Info, None, vec![])));
            blocks.push(Block::Form(coverage()));
        }
        Status::Running => {
            blocks.push(Block::Form(coverage()));
            blocks.push(Block::Form(action(
                key,
                "stop",
                v.t("exp.stop"),
                Tone::Bad,
                Some(v.t("exp.stop_confirm").into()),
                vec![],
            )));
            blocks.push(Block::Form(ship()));
            if e.definition.surface == Surface::Recommendations {
                blocks.push(Block::Notice(Notice {
                    tone: Tone::Info,
                    text: v.t("exp.simulate_hint").into(),
                    secret: None,
                }));
                blocks.push(Block::Form(Form {
                    action: format!("/console/experiments/{key}/simulate"),
                    fields: vec![
                        Field::Number {
                            name: "customers".into(),
                            label: v.t("exp.sim_customers").into(),
                            value: "2000".into(),
                        },
                        Field::Number { name: "days".into(), label: v.t("exp.sim_days").into(), value: "14".into() },
                    ],
                    submit: v.t("exp.simulate").into(),
                    confirm: None,
                    tone: Tone::Plain,
                }));
            }
        }
        Status::Stopped => blocks.push(Block::Form(ship())),
        Status::Shipped => {}
    }
    blocks
}

fn verdict_notice(v: &Viewer, verdict: &Verdict) -> Notice {
    let (tone, text) = match verdict {
        Verdict::SampleRatioMismatch { p_value } => {
            (Tone::Bad, v.t("exp.verdict.srm").replace("{p}", &format!("{p_value:.1e}")))
        }
        Verdict::NotEnoughData => (Tone::Plain, v.t("exp.verdict.no_data").to_string()),
        Verdict::Winner { variant, metric, lift } => (
            Tone::Good,
            v.t("exp.verdict.winner")
                .replace("{variant}", variant)
                .replace("{metric}", metric_label(v, *metric))
                .replace("{lift}", &percent(*lift)),
        ),
        Verdict::WinnerWithHarm { variant, metric, lift, guardrail } => (
            Tone::Warn,
            v.t("exp.verdict.winner_harm")
                .replace("{variant}", variant)
                .replace("{metric}", metric_label(v, *metric))
                .replace("{lift}", &percent(*lift))
                .replace("{guardrail}", metric_label(v, *guardrail)),
        ),
        Verdict::ControlBetter { metric } => {
            (Tone::Warn, v.t("exp.verdict.control").replace("{metric}", metric_label(v, *metric)))
        }
        Verdict::Inconclusive { units } => {
            (Tone::Info, v.t("exp.verdict.inconclusive").replace("{units}", &grouped(*units)))
        }
    };
    Notice { tone, text, secret: None }
}

fn traffic_card(v: &Viewer, r: &Results) -> Card {
    let mut table =
        Table::new(v.labels(&["exp.variant", "exp.planned", "exp.units", "exp.exposures"]), v.t("common.none"))
            .numeric(&[1, 2, 3]);
    for t in &r.traffic {
        table.rows.push(vec![
            Cell::text(&t.variant),
            Cell::Number(format!("{:.1}%", t.weight * 100.0)),
            Cell::Number(grouped(t.units)),
            Cell::Number(grouped(t.exposures)),
        ]);
    }
    let mut card = Card::new(v.t("exp.traffic"), Width::Half).block(Block::Table(table));
    if let Some(srm) = &r.srm {
        let (tone, key) = if srm.mismatch { (Tone::Bad, "exp.srm_bad") } else { (Tone::Good, "exp.srm_ok") };
        card = card.block(Block::Notice(Notice {
            tone,
            text: v.t(key).replace("{p}", &format!("{:.4}", srm.p_value)),
            secret: None,
        }));
    }
    if r.multiple_exposure_units > 0 {
        card = card.block(Block::Notice(Notice {
            tone: Tone::Warn,
            text: v
                .t("exp.multiple_exposures")
                .replace("{n}", &grouped(r.multiple_exposure_units))
                .replace("{examples}", &r.multiple_exposure_examples.join(", ")),
            secret: None,
        }));
    }
    card
}

fn metrics_card(v: &Viewer, r: &Results) -> Card {
    let mut table = Table::new(
        v.labels(&[
            "exp.metric",
            "exp.role",
            "exp.variant",
            "exp.control_mean",
            "exp.variant_mean",
            "exp.lift",
            "exp.interval",
            "exp.p_value",
            "exp.chance_to_win",
            "exp.result",
        ]),
        v.t("common.none"),
    )
    .numeric(&[3, 4, 5, 7, 8]);
    for m in &r.metrics {
        let role = Cell::text(role_label(v, m.role));
        if let Some(problem) = &m.problem {
            table.rows.push(vec![
                Cell::text(metric_label(v, m.metric)),
                role,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::badge(problem, Tone::Plain),
            ]);
            continue;
        }
        for (i, c) in m.comparisons.iter().enumerate() {
            let outcome = match c.significant {
                1 => Cell::badge(v.t("exp.better"), Tone::Good),
                -1 => Cell::badge(v.t("exp.worse"), Tone::Bad),
                _ => Cell::badge(v.t("exp.no_difference"), Tone::Plain),
            };
            table.rows.push(vec![
                Cell::text(metric_label(v, m.metric)),
                Cell::text(role_label(v, m.role)),
                Cell::text(&c.variant),
                Cell::Number(format!("{:.4}", m.means[0])),
                Cell::Number(format!("{:.4}", m.means[i + 1])),
                Cell::Number(percent(c.lift)),
                Cell::text(format!("[{}, {}]", percent(c.lower), percent(c.upper))),
                Cell::Number(c.adjusted_p_value.or(c.p_value).map_or("—".into(), |p| format!("{p:.2e}"))),
                Cell::Number(format!("{:.1}%", c.chance_to_win * 100.0)),
                outcome,
            ]);
        }
    }
    Card::new(v.t("exp.metrics"), Width::Full).block(Block::Table(table))
}

fn timeline_card(v: &Viewer, e: &ExperimentView, r: &Results) -> Card {
    let days: Vec<String> = r.timeline.iter().map(|p| p.day.format("%m-%d").to_string()).collect();
    let primary = r.metrics.iter().find(|m| m.role == MetricRole::Primary).map(|m| metric_label(v, m.metric));
    let mut chart = Chart::new(ChartKind::Line, v.t("common.day"), v.t("exp.lift_percent")).categories(days);
    for (i, variant) in e.definition.assignment.variants.iter().enumerate().skip(1) {
        let series = |pick: fn(&(f64, f64, f64)) -> f64| -> Vec<f64> {
            r.timeline.iter().map(|p| p.lifts[i - 1].as_ref().map_or(0.0, |l| 100.0 * pick(l))).collect()
        };
        chart = chart
            .series(format!("{} · {}", variant.key, v.t("exp.lift")), series(|l| l.0))
            .series(format!("{} · {}", variant.key, v.t("exp.lower")), series(|l| l.1))
            .series(format!("{} · {}", variant.key, v.t("exp.upper")), series(|l| l.2));
    }
    let title = format!("{} · {}", v.t("exp.cumulative_lift"), primary.unwrap_or_default());
    Card::new(title, Width::Full).block(Block::Chart(chart))
}

pub async fn detail(State(s): State<AppState>, v: Viewer, Path(key): Path<String>) -> Response {
    let e = match experiments::get(&s.platform, &key).await {
        Ok(e) => e,
        Err(err) => return failed(&v, err),
    };
    let a = &e.definition.assignment;
    let variants: Vec<String> = a
        .variants
        .iter()
        .map(|x| format!("{} {:.0}% ({})", x.key, x.weight * 100.0, x.payload.as_deref().unwrap_or("—")))
        .collect();
    let facts = vec![
        (v.t("common.status").to_string(), status_badge(&v, e.status)),
        (
            v.t("exp.surface").to_string(),
            Cell::text(v.t(&format!("exp.surface.{}", surface_name(e.definition.surface)))),
        ),
        (v.t("exp.unit").to_string(), Cell::text(a.unit.to_string())),
        (v.t("exp.variants").to_string(), Cell::text(variants.join(" · "))),
        (v.t("exp.coverage_percent").to_string(), Cell::text(format!("{}", a.coverage * 100.0))),
        (
            v.t("exp.analysis").to_string(),
            Cell::text(v.t(&format!("exp.analysis.{}", analysis_name(e.definition.analysis)))),
        ),
        (v.t("exp.started").to_string(), Cell::text(when(e.started_at))),
        (v.t("exp.stopped").to_string(), Cell::text(when(e.stopped_at))),
        (v.t("exp.created_by").to_string(), Cell::text(&e.created_by)),
    ];
    let mut about = Card::new(v.t("exp.about"), Width::Half).block(Block::Facts(facts));
    if v.can(Permission::Write(Area::Experiments)) {
        for b in actions(&v, &e) {
            about = about.block(b);
        }
    }
    let mut page = v.page(format!("{} · {}", v.t("nav.experiments"), e.name)).subtitle(&e.key);
    if e.status == Status::Draft {
        return page.card(about).into_response();
    }
    let results = match experiments::results(&s.platform, &key).await {
        Ok(r) => r,
        Err(err) => return failed(&v, err),
    };
    page = page
        .card(Card::new(v.t("exp.verdict"), Width::Full).block(Block::Notice(verdict_notice(&v, &results.verdict))))
        .card(about)
        .card(traffic_card(&v, &results))
        .card(metrics_card(&v, &results))
        .card(timeline_card(&v, &e, &results));
    page.into_response()
}

fn analysis_name(a: Analysis) -> &'static str {
    match a {
        Analysis::Sequential => "sequential",
        Analysis::FixedHorizon => "fixed_horizon",
        Analysis::Bayesian => "bayesian",
    }
}

#[cfg(test)]
mod tests {
    use super::super::Lang;
    use super::*;

    /// Keys built at run time escape the catalog scan; every one must exist.
    #[test]
    fn every_built_label_is_in_the_catalog() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            [Status::Draft, Status::Running, Status::Stopped, Status::Shipped].map(|s| format!("exp.status.{s}")),
        );
        keys.extend(
            [Surface::Recommendations, Surface::Campaigns, Surface::Feature]
                .map(|s| format!("exp.surface.{}", surface_name(s))),
        );
        keys.extend(MetricKey::ALL.map(|m| format!("exp.metric.{}", m.as_str())));
        keys.extend(
            [Analysis::Sequential, Analysis::FixedHorizon, Analysis::Bayesian]
                .map(|a| format!("exp.analysis.{}", analysis_name(a))),
        );
        for key in keys {
            for lang in [Lang::En, Lang::Zh] {
                assert_ne!(lang.t(&key), "?", "{key} is missing in {lang:?}");
            }
        }
    }
}
