//! Reconciles Walmart's weekly sales forecasts over store × department → store → total and scores
//! every method per level, as `BENCHMARKS.md` scores single levels: 13 consecutive 4-week origins
//! ending at the file's last week, 1–4 weeks ahead, season 52, 1 − WAPE over every node of the level,
//! origin and step. Series are aligned on the file's weeks (a week without a row is 0); each node is
//! forecast from its first row on.
//!
//! The residuals behind `W` are the base model's own errors at the 6 four-week origins before each
//! scored one: 24 errors per node, 1 to 4 weeks ahead. MinT wants the covariance of the errors of the
//! very forecasts it reconciles, at their horizons; the models here expose no fitted values, and the
//! one-step in-sample errors of a same-week-last-year model would understate its 4-week errors
//! anyway. These are genuine out-of-sample errors a planner has at the origin (each window closes by
//! it), at the horizons scored; 24 periods for 3,377 nodes is the case the shrinkage is for. They cost
//! 6 more forecasts per node (19 origins instead of 13).
//!
//! `cargo run -p retail-forecast --release --example walmart_reconcile -- [train.csv] [model ...]`
//! (default: the shared file, `snaive_trend` and `auto_ets`).

use std::time::Instant;

use rayon::prelude::*;
use retail_forecast::reconcile::{self, Hierarchy, Method};
use retail_forecast::walmart::{self, Level};
use retail_forecast::{Forecaster, Request, models, normal_quantile};

const SEASON: usize = 52;
const HORIZON: usize = 4;
const ORIGINS: usize = 13;
/// Origins before each scored one whose errors are its residuals.
const RESIDUAL_ORIGINS: usize = 6;
const LEVELS: [&str; 3] = ["total", "store", "store × dept"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/work/shared/data/forecast/walmart/train.csv".to_string());
    let mut model_names: Vec<String> = args.collect();
    if model_names.is_empty() {
        model_names = vec!["snaive_trend".into(), "auto_ets".into()];
    }
    let departments = walmart::parse_aligned(&std::fs::read_to_string(&path)?, Level::StoreDepartment)?;
    let paths: Vec<Vec<String>> = departments
        .iter()
        .map(|d| vec![d.id.split('-').next().unwrap_or_default().to_string(), d.id.clone()])
        .collect();
    let hierarchy = Hierarchy::from_paths(&paths)?;
    let weeks = departments[0].values.len();
    let nodes = node_series(&hierarchy, &departments);
    println!(
        "{path}: {} weeks, {} nodes ({} stores, {} store × dept), {ORIGINS} origins of {HORIZON} weeks",
        weeks,
        hierarchy.n_nodes(),
        hierarchy.n_aggregates() - 1,
        hierarchy.n_bottom()
    );
    let cuts: Vec<usize> =
        (0..RESIDUAL_ORIGINS + ORIGINS).map(|k| weeks - HORIZON * (RESIDUAL_ORIGINS + ORIGINS - k)).collect();
    for name in &model_names {
        let model = models::by_name(name).ok_or(format!("unknown model {name}"))?;
        evaluate(&hierarchy, &nodes, &cuts, model.as_ref())?;
    }
    Ok(())
}

/// A node's weekly sales over the file and the week of its first row.
struct NodeSeries {
    values: Vec<f64>,
    first_week: usize,
}

fn node_series(hierarchy: &Hierarchy, departments: &[walmart::AlignedSeries]) -> Vec<NodeSeries> {
    let weeks = departments[0].values.len();
    let by_week: Vec<Vec<f64>> = (0..weeks)
        .map(|t| hierarchy.sum_bottoms(&departments.iter().map(|d| d.values[t]).collect::<Vec<_>>()))
        .collect();
    (0..hierarchy.n_nodes())
        .map(|i| {
            let first_week = match i.checked_sub(hierarchy.n_aggregates()) {
                Some(j) => departments[j].first_week,
                None => hierarchy.members(i).iter().map(|&j| departments[j].first_week).min().unwrap_or(0),
            };
            NodeSeries { values: by_week.iter().map(|w| w[i]).collect(), first_week }
        })
        .collect()
}

/// Absolute errors, volume and 80 % interval hits per level.
#[derive(Default, Clone)]
struct Score {
    absolute_error: [f64; 3],
    volume: [f64; 3],
    covered: [usize; 3],
    count: [usize; 3],
    seconds: f64,
}

fn evaluate(
    hierarchy: &Hierarchy,
    nodes: &[NodeSeries],
    cuts: &[usize],
    model: &dyn Forecaster,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let request = Request { horizon: HORIZON, season: SEASON, levels: &[] };
    let failures = std::sync::atomic::AtomicUsize::new(0);
    // forecasts[node][origin][step]; a node with no history yet, or whose model fails, forecasts 0.
    let forecasts: Vec<Vec<Vec<f64>>> = nodes
        .par_iter()
        .map(|node| {
            cuts.iter()
                .map(|&cut| {
                    let history = &node.values[node.first_week.min(cut)..cut];
                    match model.forecast(history, &request) {
                        Ok(f) if f.mean.iter().all(|v| v.is_finite()) => f.mean,
                        _ => {
                            if !history.is_empty() {
                                failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            vec![0.0; HORIZON]
                        }
                    }
                })
                .collect()
        })
        .collect();
    println!(
        "\n{}: {} forecasts in {:.1} s, {} failed (forecast 0)",
        model.name(),
        nodes.len() * cuts.len(),
        started.elapsed().as_secs_f64(),
        failures.into_inner()
    );
    let methods = ["base", "bottom_up", "top_down", "ols", "wls_structural", "wls_variance", "mint_shrink"];
    let mut scores = vec![Score::default(); methods.len()];
    let mut shrinkage = Vec::new();
    let z = normal_quantile(0.8);
    for origin in RESIDUAL_ORIGINS..cuts.len() {
        let cut = cuts[origin];
        let actual = |i: usize| &nodes[i].values[cut..cut + HORIZON];
        let base: Vec<Vec<f64>> = forecasts.iter().map(|f| f[origin].clone()).collect();
        let residuals: Vec<Vec<f64>> = nodes
            .iter()
            .zip(&forecasts)
            .map(|(node, forecast)| {
                (origin - RESIDUAL_ORIGINS..origin)
                    .flat_map(|k| (0..HORIZON).map(move |h| node.values[cuts[k] + h] - forecast[k][h]))
                    .collect()
            })
            .collect();
        let bottom_history: Vec<Vec<f64>> =
            nodes[hierarchy.n_aggregates()..].iter().map(|n| n.values[..cut].to_vec()).collect();
        for (name, score) in methods.iter().zip(&mut scores) {
            let started = Instant::now();
            let (means, variances) = if *name == "base" {
                (base.clone(), None)
            } else {
                let method = match *name {
                    "bottom_up" => Method::BottomUp,
                    "top_down" => Method::TopDown(hierarchy.top_down_proportions(&bottom_history)?),
                    "ols" => Method::Ols,
                    "wls_structural" => Method::WlsStructural,
                    "wls_variance" => Method::WlsVariance,
                    "mint_shrink" => Method::MinTShrink,
                    other => unreachable!("no method {other}"),
                };
                let reconciled = reconcile::reconcile(hierarchy, &method, &base, &residuals)?;
                if method == Method::MinTShrink {
                    shrinkage.extend(reconciled.shrinkage);
                }
                (reconciled.means, reconciled.variances)
            };
            score.seconds += started.elapsed().as_secs_f64();
            for (i, mean) in means.iter().enumerate() {
                let level = hierarchy.level(i);
                for (a, f) in actual(i).iter().zip(mean) {
                    score.absolute_error[level] += (a - f).abs();
                    score.volume[level] += a.abs();
                    if let Some(variances) = &variances {
                        score.covered[level] += usize::from((a - f).abs() <= z * variances[i].sqrt());
                        score.count[level] += 1;
                    }
                }
            }
        }
    }
    println!("| method | {} | {} | {} | 80 % interval coverage (same order) | time |", LEVELS[2], LEVELS[1], LEVELS[0]);
    println!("|---|---|---|---|---|---|");
    for (name, score) in methods.iter().zip(&scores) {
        let accuracy = |level: usize| 100.0 * (1.0 - score.absolute_error[level] / score.volume[level]);
        let coverage = if score.count[0] > 0 {
            let share = |level: usize| 100.0 * score.covered[level] as f64 / score.count[level] as f64;
            format!("{:.0} / {:.0} / {:.0} %", share(2), share(1), share(0))
        } else {
            "–".to_string()
        };
        println!(
            "| {name} | {:.2} % | {:.2} % | {:.2} % | {coverage} | {:.2} s |",
            accuracy(2),
            accuracy(1),
            accuracy(0),
            score.seconds
        );
    }
    let mean_shrinkage = shrinkage.iter().sum::<f64>() / shrinkage.len().max(1) as f64;
    println!("MinT shrinkage intensity λ: mean {mean_shrinkage:.3} over {} origins", shrinkage.len());
    Ok(())
}
