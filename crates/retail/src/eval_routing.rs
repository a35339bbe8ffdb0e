//! `retail eval routing`: the vehicle-routing engine on VRPLIB CVRP (`.vrp`) and Solomon VRPTW
//! (`.txt`) instances as ../shared/EVAL.md specifies. Every solution is checked by the
//! independent checker; an infeasible one counts as a failure, never as a cost.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use retail_routing::{
    Depot, Instance, Job, Matrix, Point, SolverParams, TimeWindow, VehicleType, solve, verify, vrplib,
};
use serde_json::json;

use crate::eval::emit;

#[derive(Args)]
pub struct RoutingArgs {
    /// Instance files, or folders of `.vrp` and `.txt` files
    #[arg(long, num_args = 1.., required_unless_present = "random")]
    instances: Vec<PathBuf>,
    /// Best-known costs: a CSV with `instance` and `bks_cost` columns (data/routing/tables/bks.csv)
    #[arg(long)]
    bks: Option<PathBuf>,
    /// Seconds per instance
    #[arg(long, default_value_t = 30.0)]
    time_limit: f64,
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also solve a generated problem of this many stops (a scale test): a city of towns and
    /// suburbs, capacitated vans, two-hour delivery windows for most stops
    #[arg(long)]
    random: Option<usize>,
    #[arg(long)]
    json: bool,
}

pub fn run(args: RoutingArgs) -> Result<()> {
    let started = Instant::now();
    if !(args.time_limit > 0.0 && args.time_limit <= 86_400.0) {
        bail!("--time-limit must be between 0 and 86400 seconds");
    }
    if !(1..=64).contains(&args.threads) {
        bail!("--threads must be between 1 and 64");
    }
    let bks = match &args.bks {
        Some(path) => read_bks(path)?,
        None => HashMap::new(),
    };
    let mut files = Vec::new();
    for path in &args.instances {
        files.extend(instance_files(path)?);
    }
    let mut instances = Vec::with_capacity(files.len() + 1);
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        let parsed = match file.extension().and_then(|e| e.to_str()) {
            Some("vrp") => vrplib::parse_cvrp(&text),
            _ => vrplib::parse_solomon(&text),
        };
        instances.push(parsed.with_context(|| format!("{}", file.display()))?);
    }
    if let Some(stops) = args.random {
        let generating = Instant::now();
        instances.push(random_instance(stops)?);
        eprintln!("generated random-{stops} in {:.1} s", generating.elapsed().as_secs_f64());
    }
    let params = SolverParams {
        time_limit: Duration::from_secs_f64(args.time_limit),
        threads: args.threads,
        seed: args.seed,
        ..SolverParams::default()
    };
    let pb = crate::bar(instances.len() as u64, "{spinner} [{elapsed_precise}] {bar:40} instance {pos}/{len} · {msg}");
    let (mut results, mut gaps, mut feasible) = (Vec::new(), Vec::new(), 0);
    for instance in &instances {
        pb.set_message(instance.name.clone());
        let solving = Instant::now();
        let solution = solve(instance, &params).with_context(|| instance.name.clone())?;
        let wall = solving.elapsed().as_secs_f64();
        let checked = verify(instance, &solution);
        let ok = matches!(&checked, Ok(v) if v.unassigned_required == 0);
        let cost = solution.cost as f64 / instance.distance_scale as f64;
        let best = bks.get(&instance.name).copied();
        let gap = best.filter(|_| ok).map(|b| 100.0 * (cost - b) / b);
        if ok {
            feasible += 1;
            gaps.extend(gap);
        }
        let line = format!(
            "{:<14} {:>12.1} {:>12} {:>8} {:>4} routes {:>6.1} s {}",
            instance.name,
            cost,
            best.map_or("-".into(), |b| format!("{b:.1}")),
            gap.map_or("-".into(), |g| format!("{g:.2}%")),
            solution.routes.len(),
            solution.elapsed.as_secs_f64(),
            match &checked {
                Ok(v) if v.unassigned_required == 0 => "feasible".to_string(),
                Ok(v) => format!("INFEASIBLE: {} jobs unassigned", v.unassigned_required),
                Err(violations) => format!("INFEASIBLE: {:?}", &violations[..violations.len().min(3)]),
            }
        );
        // A hidden bar (output not a terminal) drops println: print the line ourselves.
        if pb.is_hidden() {
            eprintln!("{line}")
        } else {
            pb.println(line)
        }
        results.push(json!({
            "name": instance.name, "cost": ok.then_some(cost), "bks": best, "gap_pct": gap,
            "routes": solution.routes.len(), "seconds": solution.elapsed.as_secs_f64(), "feasible": ok,
            "stops": instance.jobs.len(), "wall_s": wall, "iterations": solution.iterations,
        }));
        pb.inc(1);
    }
    pb.finish_and_clear();
    let mean = (!gaps.is_empty()).then(|| gaps.iter().sum::<f64>() / gaps.len() as f64);
    let max = gaps.iter().copied().reduce(f64::max);
    eprintln!(
        "{feasible} of {} feasible; mean gap {} over {} instances with a best-known cost",
        instances.len(),
        mean.map_or("-".into(), |m| format!("{m:.3} %")),
        gaps.len()
    );
    emit(
        args.json,
        &json!({
            "instances": instances.len(), "feasible": feasible, "mean_gap_pct": mean, "max_gap_pct": max,
            "time_limit_s": args.time_limit, "threads": args.threads, "seed": args.seed,
            "elapsed_s": started.elapsed().as_secs_f64(), "results": results,
        }),
    );
    Ok(())
}

/// A delivery day in a 40 km × 40 km region (distances in metres, times in seconds, vans at
/// 30 km/h): two thirds of the stops in towns (Gaussian clusters), the rest spread out; the depot
/// off-centre. Parcels of 1 to 10 units, vans of 150 units on an 08:00–20:00 shift; 70 % of the
/// stops have a two-hour window, the rest any time; 3 to 6 minutes of service per stop.
fn random_instance(stops: usize) -> Result<Instance> {
    if !(1..=100_000).contains(&stops) {
        bail!("--random must be between 1 and 100000 stops");
    }
    const SIDE: f64 = 40_000.0;
    const METRES_PER_SECOND: f64 = 30.0 / 3.6;
    let (day_start, day_end) = (8 * 3600, 20 * 3600);
    let mut rng = StdRng::seed_from_u64(stops as u64);
    let towns: Vec<(f64, f64, f64)> = (0..(stops / 250).clamp(3, 40))
        .map(|_| {
            (
                rng.random_range(0.1 * SIDE..0.9 * SIDE),
                rng.random_range(0.1 * SIDE..0.9 * SIDE),
                rng.random_range(800.0..3000.0),
            )
        })
        .collect();
    let mut points = vec![Point { x: 0.3 * SIDE, y: 0.45 * SIDE }];
    while points.len() <= stops {
        let point = if rng.random_bool(2.0 / 3.0) {
            let (x, y, spread) = towns[rng.random_range(0..towns.len())];
            // Box–Muller: a normal offset around the town centre.
            let (u, v): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random_range(0.0..1.0));
            let radius = spread * (-2.0 * u.ln()).sqrt();
            let angle = std::f64::consts::TAU * v;
            Point { x: x + radius * angle.cos(), y: y + radius * angle.sin() }
        } else {
            Point { x: rng.random_range(0.0..SIDE), y: rng.random_range(0.0..SIDE) }
        };
        if (0.0..=SIDE).contains(&point.x) && (0.0..=SIDE).contains(&point.y) {
            points.push(point);
        }
    }
    let distances = Matrix::from_points(&points, |a, b| (a.x - b.x).hypot(a.y - b.y).round() as i64)?;
    let durations =
        Matrix::from_points(&points, |a, b| ((a.x - b.x).hypot(a.y - b.y) / METRES_PER_SECOND).round() as i64)?;
    let jobs = (1..=stops)
        .map(|location| {
            let window = if rng.random_bool(0.7) {
                let start = day_start + 1800 * rng.random_range(0..20i64);
                TimeWindow { start, end: start + 7200 }
            } else {
                TimeWindow { start: day_start, end: day_end }
            };
            Job {
                id: format!("stop{location}"),
                location,
                demand: rng.random_range(1..=10),
                service: rng.random_range(180..=360),
                window,
                skip_penalty: None,
            }
        })
        .collect();
    let shift = TimeWindow { start: day_start, end: day_end };
    Ok(Instance {
        name: format!("random-{stops}"),
        coordinates: Some(points),
        depots: vec![Depot { id: "depot".into(), location: 0 }],
        jobs,
        vehicle_types: vec![VehicleType {
            shift,
            ..VehicleType::with_capacity("van", stops.div_ceil(10).max(1), 150, 0)
        }],
        durations,
        distances,
        distance_scale: 1,
    })
}

/// The instance files of a path: the file itself, or the `.vrp` and `.txt` files of a folder.
fn instance_files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        if !path.exists() {
            bail!("{}: no such file or folder", path.display());
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))? {
        let file = entry?.path();
        if matches!(file.extension().and_then(|e| e.to_str()), Some("vrp" | "txt")) {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// Best-known costs by instance name.
fn read_bks(path: &Path) -> Result<HashMap<String, f64>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| {
        header.iter().position(|c| *c == name).with_context(|| format!("{}: no `{name}` column", path.display()))
    };
    let (name, cost) = (column("instance")?, column("bks_cost")?);
    Ok(lines
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Some((fields.get(name)?.to_string(), fields.get(cost)?.parse().ok()?))
        })
        .collect())
}
