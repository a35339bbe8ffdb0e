//! `retail forecast` and `retail replenish`: run the forecast (what the nightly job does), read
//! forecasts at any level, and work the replenishment queue — the same operations as the console's
//! planning pages and the `/api/v1/forecasts` and `/api/v1/replenishment` routes.

use anyhow::{Result, bail};
use chrono::NaiveDate;
use retail_app::Platform;
use retail_app::planning::replenish::{self, Decision, ListQuery};
use retail_app::planning::whatif::WhatIf;
use retail_app::planning::{self, ForecastQuery, RunOptions, RunSummary, Trigger};
use retail_inventory::policy::explain_en;

use crate::print_table;

#[derive(clap::Subcommand)]
pub enum ForecastCommand {
    /// Forecast every location × product from the stored sales, score earlier runs against the sales
    /// since, and propose replenishment (what the nightly job does).
    Run {
        /// The last day of history to use [default: the newest day with sales].
        #[arg(long)]
        as_of: Option<NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Rolling-origin backtest on the stored sales: forecast from weekly origins exactly as a run
    /// would and score 1 − WAPE per product × location × day and per week at every level.
    Backtest {
        /// Weekly origins, the last one a horizon before the newest sales.
        #[arg(long, default_value_t = 8)]
        origins: u32,
        #[arg(long)]
        json: bool,
    },
    /// The latest runs with their accuracy.
    Runs {
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    /// Forecasts of the latest run (or --run) at a level, largest first.
    Show {
        /// product_location, category_location, location, category, product or total.
        #[arg(long, default_value = "location")]
        level: String,
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        run: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// A category's forecast restated for a planned price change, by the elasticity its past
    /// discounts teach.
    WhatIf {
        #[arg(long)]
        category: String,
        /// One location [default: the whole chain].
        #[arg(long)]
        location: Option<String>,
        /// The new price against the regular one, in percent (-20: 20 % off).
        #[arg(long, allow_negative_numbers = true)]
        price_change: f64,
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        #[arg(long)]
        run: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum ReplenishCommand {
    /// Suggestions waiting for a decision (or of --status), with why.
    List {
        /// Comma-separated: proposed, exception, approved, rejected, ordered, superseded.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        location: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Approve suggestions by id.
    Approve { ids: Vec<String> },
    /// Reject suggestions by id.
    Reject { ids: Vec<String> },
    /// Turn approved suggestions into purchase orders (one per location and supplier).
    Order { ids: Vec<String> },
    /// Replay the last days of sales of a spread of items under the platform's policy and under an
    /// ERP-style min/max rule, each over a sweep, and compare the stock each needs per fill rate.
    Simulate {
        #[arg(long, default_value_t = 182)]
        days: u32,
        #[arg(long, default_value_t = 1000)]
        items: u32,
        #[arg(long)]
        json: bool,
    },
}

/// One line per run: when, what, and the latest accuracy at store × category × week.
pub fn print_runs(runs: &[RunSummary]) {
    let rows = runs
        .iter()
        .map(|r| {
            let accuracy = r
                .evaluations
                .first()
                .and_then(|e| e.levels.iter().find(|l| l.level == "category_location_week"))
                .map_or("-".to_string(), |l| {
                    format!("{:.1} % (run of {})", 100.0 * l.accuracy, r.evaluations[0].as_of)
                });
            vec![
                r.run_id.clone(),
                r.as_of.to_string(),
                format!("{:?}", r.trigger).to_lowercase(),
                r.series.to_string(),
                format!("{:.1}", r.forecast_seconds),
                (r.suggestions.proposed + r.suggestions.exceptions).to_string(),
                accuracy,
            ]
        })
        .collect();
    print_table(&["run", "as of", "trigger", "series", "fit s", "suggestions", "store × category × week"], rows);
}

pub async fn forecast(platform: &Platform, command: ForecastCommand) -> Result<()> {
    match command {
        ForecastCommand::Run { as_of, json } => {
            let summary =
                planning::run(platform, RunOptions { as_of, trigger: Trigger::Manual, by: "cli".into() }).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print_runs(std::slice::from_ref(&summary));
                for e in &summary.evaluations {
                    let levels: Vec<String> =
                        e.levels.iter().map(|l| format!("{} {:.1} %", l.level, 100.0 * l.accuracy)).collect();
                    println!("run of {} over {} days: {}", e.as_of, e.days, levels.join(", "));
                }
            }
        }
        ForecastCommand::Backtest { origins, json } => {
            let b = planning::backtest(platform, origins).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&b)?);
                return Ok(());
            }
            let first = b.origins.first().map_or(String::new(), |d| d.to_string());
            let last = b.origins.last().map_or(String::new(), |d| d.to_string());
            println!(
                "{} series, {} origins from {first} to {last}, {} days ahead, regular model {}, forecasting {:.1} s",
                b.series,
                b.origins.len(),
                b.horizon_days,
                b.regular_model,
                b.forecast_seconds
            );
            let rows = b
                .levels
                .iter()
                .map(|l| {
                    vec![
                        l.level.clone(),
                        format!("{:.2} %", 100.0 * l.accuracy),
                        format!("{:+.2} %", 100.0 * l.bias),
                        l.points.to_string(),
                    ]
                })
                .collect();
            print_table(&["level", "1 − WAPE", "bias", "points"], rows);
        }
        ForecastCommand::Runs { limit } => print_runs(&planning::runs(platform, limit).await?),
        ForecastCommand::WhatIf { category, location, price_change, from, to, run, json } => {
            let q = WhatIf {
                category_id: category,
                location_id: location,
                price_change_pct: price_change,
                from,
                to,
                run_id: run,
            };
            let a = planning::whatif::what_if(platform, &q).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&a)?);
                return Ok(());
            }
            println!(
                "{} at {}: elasticity {:.2}, learnt from {} discounted days (deepest {:.0} % off){}",
                a.category_id,
                a.location_id.as_deref().unwrap_or("every location"),
                a.response.elasticity,
                a.response.discounted_days,
                100.0 * a.response.deepest_discount,
                if a.extrapolated {
                    "; this change goes beyond what the history shows, so the answer extrapolates"
                } else {
                    ""
                }
            );
            println!(
                "{from} to {to}: {:.0} units forecast, {:.0} with the change; revenue {:.2} -> {:.2}",
                a.baseline_units,
                a.scenario_units,
                a.baseline_revenue_minor as f64 / 100.0,
                a.scenario_revenue_minor as f64 / 100.0
            );
        }
        ForecastCommand::Show { level, location, category, product, run, limit, json } => {
            let q = ForecastQuery {
                run_id: run,
                level: Some(level),
                location_id: location,
                category_id: category,
                product_id: product,
                history_days: Some(28),
                limit: Some(limit),
            };
            let view = planning::forecasts(platform, &q).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
                return Ok(());
            }
            let rows = view
                .series
                .iter()
                .map(|s| {
                    let key = [&s.key.location_id, &s.key.category_id, &s.key.product_id]
                        .iter()
                        .filter_map(|k| k.as_deref())
                        .collect::<Vec<_>>()
                        .join(" · ");
                    let week = |v: &[f64]| v.iter().take(7).sum::<f64>();
                    let last_week = s.history.iter().rev().take(7).sum::<f64>();
                    let band = s.intervals.iter().find(|i| i.level == 0.8);
                    vec![
                        if key.is_empty() { "total".into() } else { key },
                        format!("{last_week:.0}"),
                        format!("{:.0}", week(&s.mean)),
                        band.map_or("-".into(), |b| format!("{:.0} … {:.0}", b.lower[0], b.upper[0])),
                        s.model.clone().unwrap_or_else(|| format!("{} series", s.series)),
                    ]
                })
                .collect();
            println!(
                "run {} (history to {}), from {}",
                view.run.run_id,
                view.run.as_of,
                view.series.first().map_or(view.run.as_of, |s| s.start)
            );
            print_table(&["series", "last 7 days", "next 7 days", "day 1, 80 %", "model"], rows);
        }
    }
    Ok(())
}

pub async fn replenish(platform: &Platform, command: ReplenishCommand) -> Result<()> {
    let decide = |ids: Vec<String>, d: Decision| async move {
        let done = replenish::decide(platform, &ids, d, "cli").await?;
        println!("{} changed", done.changed);
        if !done.unchanged.is_empty() {
            println!("not waiting for a decision: {}", done.unchanged.join(", "));
        }
        anyhow::Ok(())
    };
    match command {
        ReplenishCommand::List { status, location, limit, json } => {
            let page = replenish::list(
                platform,
                &ListQuery { status, location_id: location, limit: Some(limit), ..Default::default() },
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&page.items)?);
                return Ok(());
            }
            let rows = page
                .items
                .iter()
                .map(|s| {
                    let why: Vec<String> = s.detail.decision.reasons.iter().map(explain_en).collect();
                    vec![
                        s.suggestion_id.clone(),
                        s.status.clone(),
                        s.location_id.clone(),
                        s.product_id.clone(),
                        s.detail.decision.quantity.to_string(),
                        format!("{:.2}", s.detail.value_minor as f64 / 100.0),
                        why.join("; "),
                    ]
                })
                .collect();
            print_table(&["id", "status", "location", "product", "quantity", "value", "why"], rows);
        }
        ReplenishCommand::Approve { ids } => decide(ids, Decision::Approve).await?,
        ReplenishCommand::Reject { ids } => decide(ids, Decision::Reject).await?,
        ReplenishCommand::Simulate { days, items, json } => {
            let c = retail_app::planning::simulate::compare_policies(platform, days, items).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&c)?);
                return Ok(());
            }
            println!("{} items replayed over the last {} days (after a 28-day warm-up)", c.items, c.days);
            let sweep = |name: &str, knob: &str, points: &[retail_app::planning::simulate::SweepPoint]| {
                let rows = points
                    .iter()
                    .map(|p| {
                        let r = &p.report;
                        vec![
                            format!("{name} {knob} {}", p.knob),
                            format!("{:.2} %", 100.0 * r.fill_rate),
                            format!("{:.1}", r.avg_on_hand),
                            r.stockout_days.to_string(),
                            r.orders.to_string(),
                            r.turnover.map_or("-".into(), |t| format!("{t:.1}")),
                        ]
                    })
                    .collect();
                print_table(
                    &["policy", "fill rate", "avg units on hand", "stock-out days", "orders", "turns/yr"],
                    rows,
                );
            };
            sweep("ours", "service", &c.ours);
            sweep("min/max", "cover", &c.min_max);
            let rows = c
                .at_fill_rate
                .iter()
                .map(|x| {
                    vec![
                        format!("{:.0} %", 100.0 * x.fill_rate),
                        format!("{:.1}", x.ours_avg_on_hand),
                        format!("{:.1}", x.baseline_avg_on_hand),
                        x.reduction().map_or("-".into(), |r| format!("{:.1} %", 100.0 * r)),
                    ]
                })
                .collect();
            print_table(&["fill rate", "ours: units on hand", "min/max: units on hand", "less stock"], rows);
        }
        ReplenishCommand::Order { ids } => {
            if ids.is_empty() {
                bail!("name the approved suggestions to order");
            }
            let ordered = replenish::order(platform, &ids, "cli").await?;
            println!("{} suggestions ordered on {}", ordered.suggestions, ordered.purchase_orders.join(", "));
        }
    }
    Ok(())
}
