//! `retail delivery` and `retail supplier`: plan a depot's day, solve a problem file, read a plan or
//! its manifest, and read supplier scorecards — the same operations as the console's supply-chain
//! pages and the `/api/v1/delivery`, `/api/v1/routing` and `/api/v1/supply` routes.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use retail_app::Platform;
use retail_app::logistics::delivery::{self, PlanRequest, PlanScope, PlanView};
use retail_app::logistics::problem::{DeliveryProblem, manifest_csv};
use retail_app::logistics::suppliers;

use crate::print_table;

#[derive(clap::Subcommand)]
pub enum DeliveryCommand {
    /// Plan a depot's deliveries for a day from the stored orders and wait for the plan.
    Plan {
        /// `store` (transfer orders to stores) or `home` (online orders in their slots).
        #[arg(long, default_value = "store")]
        scope: String,
        #[arg(long)]
        depot: String,
        #[arg(long)]
        date: NaiveDate,
        /// Search time in seconds [default: by size, 2–60].
        #[arg(long)]
        time_limit: Option<f64>,
        #[arg(long)]
        json: bool,
    },
    /// Solve a planning problem from a JSON file (as `POST /api/v1/routing/problems` takes it).
    Solve {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// A stored plan's routes, or its manifest as CSV.
    Show {
        id: String,
        #[arg(long)]
        csv: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Subcommand)]
pub enum SupplierCommand {
    /// Every supplier's scorecard, best first.
    Scorecards {
        #[arg(long, default_value_t = 13)]
        weeks: u32,
        #[arg(long)]
        json: bool,
    },
}

/// Waits for a queued plan: the background solver of a running server, or this process.
async fn settled(platform: &Platform, view: PlanView) -> Result<PlanView> {
    if view.status != "queued" {
        return Ok(view);
    }
    while delivery::solve_next(platform).await? {}
    Ok(delivery::get(platform, &view.plan_id, false).await?)
}

fn print_plan(view: &PlanView, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(view)?);
        return Ok(());
    }
    println!("plan {} · {} · {}", view.plan_id, view.scope, view.status);
    if let Some(e) = &view.error {
        println!("error: {e}");
    }
    let Some(plan) = &view.plan else { return Ok(()) };
    let t = &plan.totals;
    println!(
        "{} routes, {} stops, {} left out, {:.1} km, {:.0} kg ({:.0}% of capacity), cost {:.2} (fixed {:.2}, distance {:.2}, time {:.2}), searched {:.1} s",
        t.routes,
        t.stops,
        t.unassigned,
        t.distance_km,
        t.load_kg,
        100.0 * t.utilisation,
        t.cost_minor as f64 / 100.0,
        t.fixed_minor as f64 / 100.0,
        t.distance_minor as f64 / 100.0,
        t.time_minor as f64 / 100.0,
        plan.solve_ms as f64 / 1000.0
    );
    let rows = plan
        .routes
        .iter()
        .map(|r| {
            vec![
                format!("{} #{}", r.vehicle_id, r.trip),
                r.stops.len().to_string(),
                format!("{:.0}/{:.0}", r.load_kg, r.capacity_kg),
                format!("{:.1}", r.distance_km),
                format!("{}–{}", plan.clock(r.departure), plan.clock(r.return_at)),
                format!("{:.2}", r.cost_minor as f64 / 100.0),
                r.stops.iter().map(|s| s.stop_id.as_str()).collect::<Vec<_>>().join(" "),
            ]
        })
        .collect();
    print_table(&["vehicle", "stops", "kg", "km", &plan.timezone, "cost", "sequence"], rows);
    for u in &plan.unassigned {
        println!("left out {}: {} ({})", u.stop_id, u.message, u.reason);
    }
    for w in &plan.warnings {
        println!("warning: {w}");
    }
    Ok(())
}

pub async fn delivery(platform: &Platform, command: DeliveryCommand) -> Result<()> {
    match command {
        DeliveryCommand::Plan { scope, depot, date, time_limit, json } => {
            let scope = PlanScope::parse(&scope).context("--scope is store or home")?;
            let request = PlanRequest { scope, depot_id: depot, date, time_limit_s: time_limit };
            let view = settled(platform, delivery::plan_day(platform, &request, "cli").await?).await?;
            print_plan(&view, json)
        }
        DeliveryCommand::Solve { file, json } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let problem: DeliveryProblem =
                serde_json::from_str(&text).with_context(|| format!("{} is not a planning problem", file.display()))?;
            let view = delivery::submit(platform, PlanScope::Api, None, None, problem, "cli").await?;
            print_plan(&settled(platform, view).await?, json)
        }
        DeliveryCommand::Show { id, csv, json } => {
            let view = delivery::get(platform, &id, true).await?;
            match (&view.plan, csv) {
                (Some(plan), true) => {
                    print!("{}", manifest_csv(plan));
                    Ok(())
                }
                _ => print_plan(&view, json),
            }
        }
    }
}

pub async fn supplier(platform: &Platform, command: SupplierCommand) -> Result<()> {
    match command {
        SupplierCommand::Scorecards { weeks, json } => {
            let cards = suppliers::scorecards(platform, weeks).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&cards)?);
                return Ok(());
            }
            let pct = |x: Option<f64>| x.map_or("—".into(), |x| format!("{:.1}%", 100.0 * x));
            let rows = cards
                .suppliers
                .iter()
                .map(|s| {
                    let c = &s.scorecard;
                    vec![
                        c.supplier_id.clone(),
                        s.name_en.clone(),
                        format!("{:?}", c.band).to_lowercase(),
                        format!("{:.0}", c.score),
                        pct(c.otif_rate),
                        pct(c.fill_rate),
                        pct(c.quality_rate),
                        c.price_index.map_or("—".into(), |x| format!("{x:.1}")),
                        c.lead_time_mean_days.map_or("—".into(), |x| format!("{x:.1}")),
                        c.orders.to_string(),
                    ]
                })
                .collect();
            println!("as of {}, last {} weeks", cards.as_of, cards.weeks);
            print_table(
                &["supplier", "name", "band", "score", "OTIF", "fill", "quality", "price idx", "lead days", "orders"],
                rows,
            );
            Ok(())
        }
    }
}
