//! Recommendation pages: live metrics per strategy (impressions, CTR,
//! conversion, GMV per impression, and CTR by day), the strategies with their
//! editor, the trained model versions with their offline quality, and a preview
//! of one shopper's list with the reason for every item.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use retail_app::recommend::{self, RecommendationRequest};
use retail_app::strategies::{self, Boost, Source, SourceWeight, StrategyConfig, StrategyView};

use super::view::*;
use super::{Viewer, failed};
use crate::AppState;
use crate::access::{Area, Permission, form_pairs};

/// Days of events the live metrics cover.
const METRIC_DAYS: u32 = 30;

fn rate(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |r| format!("{:.2}%", r * 100.0))
}

pub async fn page(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let now = chrono::Utc::now();
    let loaded = tokio::try_join!(
        strategies::live_metrics(&s.platform, METRIC_DAYS, now),
        strategies::list(&s.platform),
        recommend::versions(&s.platform, 10),
    );
    let (metrics, all, versions) = match loaded {
        Ok(l) => l,
        Err(e) => return failed(&v, e),
    };

    let mut table = Table::new(
        v.labels(&[
            "rec.strategy",
            "rec.impressions",
            "rec.clicks",
            "rec.ctr",
            "rec.purchases",
            "rec.conversion",
            "rec.gmv",
            "rec.gmv_per_impression",
        ]),
        v.t("rec.no_traffic"),
    )
    .numeric(&[1, 2, 3, 4, 5, 6, 7]);
    let mut days: Vec<chrono::NaiveDate> = metrics.iter().flat_map(|m| m.days.iter().map(|(d, _)| *d)).collect();
    days.sort();
    days.dedup();
    let mut chart = Chart::new(ChartKind::Line, v.t("common.day"), v.t("rec.ctr_percent"))
        .categories(days.iter().map(|d| d.to_string()).collect());
    for m in &metrics {
        let t = &m.total;
        table.rows.push(vec![
            Cell::text(&m.strategy),
            Cell::Number(grouped(t.impressions)),
            Cell::Number(grouped(t.clicks)),
            Cell::Number(rate(t.ctr)),
            Cell::Number(grouped(t.purchases)),
            Cell::Number(rate(t.conversion)),
            Cell::Number(yuan(t.gmv_minor)),
            Cell::Number(t.gmv_per_impression_minor.map_or_else(|| "—".into(), |g| yuan(g.round() as i64))),
        ]);
        let by_day: HashMap<_, _> = m.days.iter().map(|(d, f)| (*d, f.ctr.unwrap_or(0.0) * 100.0)).collect();
        chart = chart.series(&m.strategy, days.iter().map(|d| by_day.get(d).copied().unwrap_or(0.0)).collect());
    }
    let mut live = Card::new(format!("{} ({} {})", v.t("rec.live"), METRIC_DAYS, v.t("common.days")), Width::Full)
        .block(Block::Table(table));
    if !chart.is_empty() {
        live = live.block(Block::Chart(chart));
    }

    let writer = v.can(Permission::Write(Area::Recommendations));
    let mut strategy_table =
        Table::new(v.labels(&["rec.strategy", "common.description", "rec.sources", "rec.version"]), "—");
    for st in &all {
        let sources: Vec<String> =
            st.config.sources.iter().map(|w| format!("{} {:.2}", w.source.as_str(), w.weight)).collect();
        strategy_table.rows.push(vec![
            Cell::link(&st.name, format!("/console/recommendations/strategies/{}", st.name)),
            Cell::text(&st.config.description),
            Cell::text(sources.join(" · ")),
            Cell::text(if st.version == 0 { v.t("rec.built_in").to_string() } else { st.version.to_string() }),
        ]);
    }
    let mut strategies_card = Card::new(v.t("rec.strategies"), Width::Full).block(Block::Table(strategy_table));
    if writer {
        strategies_card = strategies_card.block(Block::Filters(Filters {
            action: "/console/recommendations/strategies/new".into(),
            search: Some(("name".into(), String::new())),
            selects: Vec::new(),
            submit: v.t("rec.new_strategy").into(),
        }));
    }

    let mut version_table = Table::new(
        v.labels(&[
            "rec.model_version",
            "rec.trained_at",
            "rec.items",
            "rec.shoppers",
            "rec.hr10",
            "rec.ndcg10",
            "common.status",
        ]),
        v.t("rec.no_models"),
    )
    .numeric(&[2, 3, 4, 5]);
    for m in &versions {
        let r = &m.report;
        let default_quality = r["quality"]
            .as_array()
            .and_then(|q| q.iter().find(|x| x["name"] == format!("strategy:{}", strategies::DEFAULT)));
        let figure =
            |key: &str| default_quality.and_then(|q| q[key].as_f64()).map_or_else(|| "—".into(), |x| format!("{x:.4}"));
        version_table.rows.push(vec![
            Cell::text(&m.version),
            Cell::text(date(m.trained_at)),
            Cell::Number(grouped(r["items"].as_u64().unwrap_or(0))),
            Cell::Number(grouped(r["shoppers"].as_u64().unwrap_or(0))),
            Cell::Number(figure("hr_at_10")),
            Cell::Number(figure("ndcg_at_10")),
            if m.serving { Cell::badge(v.t("rec.serving"), Tone::Good) } else { Cell::Empty },
        ]);
    }
    let mut models_card = Card::new(v.t("rec.models"), Width::Full)
        .block(Block::Table(version_table))
        .block(Block::Table(ranking_table(&v, &versions)));
    if writer {
        models_card = models_card.block(Block::Form(Form {
            action: "/console/recommendations/refit".into(),
            fields: Vec::new(),
            submit: v.t("rec.retrain").into(),
            confirm: None,
            tone: Tone::Info,
        }));
    }

    let preview = preview_card(&s, &v, &q, &all).await;
    v.page(v.t("nav.recommendations"))
        .subtitle(v.t("rec.subtitle"))
        .card(live)
        .card(preview)
        .card(strategies_card)
        .card(models_card)
        .into_response()
}

/// The click models the serving version (else the newest) learnt from logged impressions: per layout of
/// sources, how they ordered the held-out impressions against the blend score, and which one ranks.
fn ranking_table(v: &Viewer, versions: &[recommend::ModelVersion]) -> Table {
    let mut table = Table::new(
        v.labels(&[
            "rec.ranking_strategies",
            "rec.impressions",
            "rec.clicks",
            "rec.click_auc",
            "rec.blend_auc",
            "rec.ranks_by",
        ]),
        v.t("rec.no_ranking"),
    )
    .numeric(&[1, 2, 3, 4]);
    let shown = versions.iter().find(|m| m.serving).or(versions.first());
    let layouts = shown.and_then(|m| m.report["ranking"].as_array().cloned()).unwrap_or_default();
    let auc = |x: &serde_json::Value| x.as_f64().map_or_else(|| "—".into(), |x| format!("{x:.3}"));
    for r in &layouts {
        let names: Vec<&str> = r["strategies"].as_array().into_iter().flatten().filter_map(|s| s.as_str()).collect();
        let learnt = r["click_model"].as_bool() == Some(true);
        table.rows.push(vec![
            Cell::text(names.join(", ")),
            Cell::Number(grouped(r["impressions"].as_u64().unwrap_or(0))),
            Cell::Number(grouped(r["clicks"].as_u64().unwrap_or(0))),
            Cell::Number(auc(&r["click_auc"])),
            Cell::Number(auc(&r["blend_click_auc"])),
            if learnt {
                Cell::badge(v.t("rec.ranks_by_model"), Tone::Good)
            } else {
                Cell::badge(v.t("rec.ranks_by_blend"), Tone::Plain)
            },
        ]);
    }
    table
}

/// "Why this item": one shopper's list under a strategy, each item with its reason.
async fn preview_card(s: &AppState, v: &Viewer, q: &HashMap<String, String>, all: &[StrategyView]) -> Card {
    let customer = q.get("customer").cloned().unwrap_or_default();
    let strategy = q.get("strategy").cloned().unwrap_or_else(|| strategies::DEFAULT.to_string());
    let mut card = Card::new(v.t("rec.preview"), Width::Full).block(Block::Filters(Filters {
        action: "/console/recommendations".into(),
        search: Some(("customer".into(), customer.clone())),
        selects: vec![Select {
            name: "strategy".into(),
            label: v.t("rec.strategy").into(),
            options: all.iter().map(|st| (st.name.clone(), st.name.clone())).collect(),
            selected: strategy.clone(),
        }],
        submit: v.t("rec.show").into(),
    }));
    if customer.is_empty() {
        return card.block(Block::Notice(Notice {
            tone: Tone::Plain,
            text: v.t("rec.preview_hint").into(),
            secret: None,
        }));
    }
    let request =
        RecommendationRequest { customer_id: Some(customer), k: 10, strategy: Some(strategy), ..Default::default() };
    match recommend::recommend(&s.platform, &request, chrono::Utc::now()).await {
        Ok(list) => {
            let mut table =
                Table::new(v.labels(&["rec.position", "common.product", "rec.score", "rec.why"]), v.t("rec.nothing"))
                    .numeric(&[0, 2]);
            for item in &list.items {
                let why = match &item.reason.because_of_name {
                    Some(name) => format!(
                        "{} · {} {}",
                        v.t(&format!("rec.source.{}", item.reason.source.as_str())),
                        v.t("rec.because_of"),
                        v.lang.pick(name)
                    ),
                    None => v.t(&format!("rec.source.{}", item.reason.source.as_str())).to_string(),
                };
                table.rows.push(vec![
                    Cell::Number((item.position + 1).to_string()),
                    Cell::link(v.lang.pick(&item.name), format!("/console/products/{}", item.product_id)),
                    Cell::Number(format!("{:.4}", item.score)),
                    Cell::text(why),
                ]);
            }
            card = card.block(Block::Table(table));
            if let Some(notice) = list.notice {
                card = card.block(Block::Notice(Notice { tone: Tone::Warn, text: notice, secret: None }));
            }
            card
        }
        Err(e) => card.block(Block::Notice(Notice { tone: Tone::Bad, text: e.to_string(), secret: None })),
    }
}

pub async fn refit(State(s): State<AppState>, v: Viewer) -> Response {
    match recommend::refit(&s.platform).await {
        Ok(_) => Redirect::to("/console/recommendations").into_response(),
        Err(e) => failed(&v, e),
    }
}

/// `?name=…` from the overview's form: the editor of a new strategy.
pub async fn new_strategy(v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let name = q.get("name").map(|n| n.trim().to_string()).unwrap_or_default();
    if let Err(problems) = strategies::check(&name, &default_config()) {
        return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, problems.summary());
    }
    Redirect::to(&format!("/console/recommendations/strategies/{name}")).into_response()
}

fn default_config() -> StrategyConfig {
    strategies::built_in()
        .into_iter()
        .find(|(n, _)| n == strategies::DEFAULT)
        .map(|(_, c)| c)
        .expect("the default is built in")
}

pub async fn editor(State(s): State<AppState>, v: Viewer, Path(name): Path<String>) -> Response {
    let view = match strategies::get(&s.platform, &name).await {
        Ok(view) => view,
        Err(retail_app::ServiceError::NotFound { .. }) => StrategyView {
            name: name.clone(),
            config: StrategyConfig { description: String::new(), ..default_config() },
            version: 0,
            built_in: false,
            updated_by: None,
            updated_at: None,
        },
        Err(e) => return failed(&v, e),
    };
    let c = &view.config;
    let weight = |source: Source| c.sources.iter().find(|w| w.source == source).map_or(0.0, |w| w.weight);
    let number =
        |name: &str, label: &str, value: String| Field::Number { name: name.into(), label: v.t(label).into(), value };
    let text = |name: &str, label: &str, value: String| Field::Text {
        name: name.into(),
        label: v.t(label).into(),
        value,
        required: false,
    };
    let mut fields = vec![
        Field::Hidden { name: "version".into(), value: view.version.to_string() },
        text("description", "common.description", c.description.clone()),
    ];
    for source in Source::ALL {
        fields.push(number(
            &format!("weight.{}", source.as_str()),
            &format!("rec.source.{}", source.as_str()),
            weight(source).to_string(),
        ));
    }
    fields.extend([
        number("objectives.click", "rec.objective_click", c.objectives.click.to_string()),
        number("objectives.conversion", "rec.objective_conversion", c.objectives.conversion.to_string()),
        number("objectives.revenue", "rec.objective_revenue", c.objectives.revenue.to_string()),
        Field::Checkboxes {
            name: "rule".into(),
            label: v.t("rec.rules").into(),
            options: vec![
                ("in_stock_only".into(), v.t("rec.in_stock_only").into(), c.rules.in_stock_only),
                (
                    "exclude_purchased_durables".into(),
                    v.t("rec.exclude_purchased").into(),
                    c.rules.exclude_purchased_durables,
                ),
            ],
        },
        number(
            "max_per_category",
            "rec.max_per_category",
            c.rules.max_per_category.map(|n| n.to_string()).unwrap_or_default(),
        ),
        number("diversity", "rec.diversity", c.rules.diversity.to_string()),
        text("categories", "rec.categories", c.rules.categories.join(",")),
        text(
            "boost",
            "rec.boost",
            c.rules.boost.iter().map(|b| format!("{}:{}", b.product_id, b.factor)).collect::<Vec<_>>().join(","),
        ),
        text("bury", "rec.bury", c.rules.bury.join(",")),
    ]);
    let mut facts = vec![(v.t("rec.version").to_string(), Cell::text(view.version.to_string()))];
    if let Some(by) = &view.updated_by {
        facts.push((v.t("rec.updated").to_string(), Cell::text(format!("{by} · {}", when(view.updated_at)))));
    }
    let mut card = Card::new(v.t("rec.edit_strategy"), Width::Full).block(Block::Facts(facts));
    if v.can(Permission::Write(Area::Recommendations)) {
        card = card.block(Block::Form(Form {
            action: format!("/console/recommendations/strategies/{}", view.name),
            fields,
            submit: v.t("common.save").into(),
            confirm: None,
            tone: Tone::Info,
        }));
    }
    v.page(format!("{} · {}", v.t("rec.strategy"), view.name))
        .subtitle(v.t("rec.editor_subtitle"))
        .card(card)
        .into_response()
}

/// The editor's form as a configuration and the version it was read at; a field that does not parse is named.
fn parse_form(pairs: &[(String, String)]) -> Result<(StrategyConfig, i64), String> {
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("");
    let number = |name: &str| -> Result<f32, String> {
        let raw = field(name);
        if raw.is_empty() { Ok(0.0) } else { raw.parse().map_err(|_| format!("{name}: {raw:?} is not a number")) }
    };
    let list = |name: &str| {
        field(name).split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect::<Vec<_>>()
    };
    let mut sources = Vec::new();
    for source in Source::ALL {
        let weight = number(&format!("weight.{}", source.as_str()))?;
        if weight != 0.0 {
            sources.push(SourceWeight { source, weight });
        }
    }
    let rules_on: Vec<&str> = pairs.iter().filter(|(k, _)| k == "rule").map(|(_, v)| v.as_str()).collect();
    let mut boost = Vec::new();
    for entry in list("boost") {
        let (product_id, factor) =
            entry.split_once(':').ok_or_else(|| format!("boost: {entry:?} is not PRODUCT:FACTOR"))?;
        let factor = factor.trim().parse().map_err(|_| format!("boost: {factor:?} is not a number"))?;
        boost.push(Boost { product_id: product_id.trim().to_string(), factor });
    }
    let max_per_category = match field("max_per_category") {
        "" => None,
        raw => Some(raw.parse().map_err(|_| format!("max_per_category: {raw:?} is not a whole number"))?),
    };
    let version = field("version").parse().map_err(|_| "version is missing".to_string())?;
    let config = StrategyConfig {
        description: field("description").to_string(),
        sources,
        objectives: strategies::Objectives {
            click: number("objectives.click")?,
            conversion: number("objectives.conversion")?,
            revenue: number("objectives.revenue")?,
        },
        rules: strategies::Rules {
            in_stock_only: rules_on.contains(&"in_stock_only"),
            exclude_purchased_durables: rules_on.contains(&"exclude_purchased_durables"),
            max_per_category,
            diversity: number("diversity")?,
            categories: list("categories"),
            boost,
            bury: list("bury"),
        },
    };
    Ok((config, version))
}

pub async fn save(State(s): State<AppState>, v: Viewer, Path(name): Path<String>, body: Bytes) -> Response {
    let (config, version) = match parse_form(&form_pairs(&body)) {
        Ok(parsed) => parsed,
        Err(problem) => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, problem),
    };
    match strategies::put(&s.platform, &name, config, version, &v.principal.actor()).await {
        Ok(_) => Redirect::to(&format!("/console/recommendations/strategies/{name}")).into_response(),
        Err(e) => failed(&v, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_editor_form_becomes_a_configuration() {
        let (config, version) = parse_form(&pairs(&[
            ("version", "3"),
            ("description", " Mine "),
            ("weight.item_knn", "1"),
            ("weight.als", "0.5"),
            ("weight.popular", "0"),
            ("objectives.click", "1"),
            ("rule", "in_stock_only"),
            ("max_per_category", "2"),
            ("diversity", "0.3"),
            ("categories", "dairy, bakery"),
            ("boost", "P1:1.5,P2:2"),
            ("bury", "P9"),
        ]))
        .unwrap();
        assert_eq!(version, 3);
        assert_eq!(config.description, "Mine");
        assert_eq!(
            config.sources,
            [SourceWeight { source: Source::ItemKnn, weight: 1.0 }, SourceWeight { source: Source::Als, weight: 0.5 }]
        );
        assert!(config.rules.in_stock_only && !config.rules.exclude_purchased_durables);
        assert_eq!(config.rules.max_per_category, Some(2));
        assert_eq!(config.rules.categories, ["dairy", "bakery"]);
        assert_eq!(
            config.rules.boost,
            [Boost { product_id: "P1".into(), factor: 1.5 }, Boost { product_id: "P2".into(), factor: 2.0 }]
        );
        assert_eq!(config.rules.bury, ["P9"]);
    }

    #[test]
    fn a_field_that_does_not_parse_is_named() {
        for (field, value, named) in [
            ("weight.als", "lots", "weight.als"),
            ("boost", "P1", "boost"),
            ("max_per_category", "1.5", "max_per_category"),
        ] {
            let problem = parse_form(&pairs(&[("version", "0"), (field, value)])).unwrap_err();
            assert!(problem.starts_with(named), "{problem}");
        }
    }
}
