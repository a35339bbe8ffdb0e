//! Benchmarks the solver on VRPLIB (`.vrp`) and Solomon (`.txt`) files against best-known costs.
//!
//! cargo run --release -p retail-routing --example bench -- \
//!     [--bks tables/bks.csv] [--time 30] [--threads 1] [--seed 1] [--random STOPS] FILE_OR_DIR...
//!
//! `--random STOPS` adds a generated problem with time windows (a stress test without a BKS).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use retail_routing::{
    Depot, Instance, Job, Matrix, Point, SolverParams, TimeWindow, VehicleType, solve, verify, vrplib,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut params = SolverParams { time_limit: Duration::from_secs(30), ..SolverParams::default() };
    let mut bks: HashMap<String, f64> = HashMap::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut generated: Vec<Instance> = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--bks" => bks = read_bks(Path::new(&value()?))?,
            "--time" => params.time_limit = Duration::from_secs_f64(value()?.parse()?),
            "--threads" => params.threads = value()?.parse()?,
            "--seed" => params.seed = value()?.parse()?,
            "--granularity" => params.hgs.granularity = value()?.parse()?,
            "--random" => generated.push(random_instance(value()?.parse()?)?),
            "--iterations" => params.iteration_limit = Some(value()?.parse()?),
            path => files.extend(instance_files(Path::new(path))?),
        }
    }
    println!(
        "{:<14} {:>12} {:>12} {:>8} {:>7} {:>8} {:>8} feasible",
        "instance", "cost", "bks", "gap%", "routes", "seconds", "iters"
    );
    let mut gaps = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        generated.push(match file.extension().and_then(|ext| ext.to_str()) {
            Some("vrp") => vrplib::parse_cvrp(&text)?,
            _ => vrplib::parse_solomon(&text)?,
        });
    }
    for instance in generated {
        let name = instance.name.clone();
        let solution = solve(&instance, &params)?;
        let feasible = match verify(&instance, &solution) {
            Ok(verified) if verified.unassigned_required == 0 => "yes".to_string(),
            Ok(verified) => format!("{} unassigned", verified.unassigned_required),
            Err(violations) => format!("NO: {:?}", &violations[..violations.len().min(3)]),
        };
        let cost = solution.cost as f64 / instance.distance_scale as f64;
        let best = bks.get(&name).copied();
        let gap = best.map(|best| 100.0 * (cost - best) / best);
        gaps.extend(gap);
        println!(
            "{:<14} {:>12.1} {:>12} {:>8} {:>7} {:>8.1} {:>8} {}",
            name,
            cost,
            best.map_or("-".into(), |best| format!("{best:.1}")),
            gap.map_or("-".into(), |gap| format!("{gap:.2}")),
            solution.routes.len(),
            solution.elapsed.as_secs_f64(),
            solution.iterations,
            feasible
        );
    }
    if !gaps.is_empty() {
        println!("mean gap {:.3} % over {} instances", gaps.iter().sum::<f64>() / gaps.len() as f64, gaps.len());
    }
    Ok(())
}

/// Uniform stops on a 1000 x 1000 square with two-hour-like windows over a 10000-unit day.
fn random_instance(stops: usize) -> Result<Instance, retail_routing::InstanceError> {
    let mut rng = ChaCha8Rng::seed_from_u64(stops as u64);
    let points: Vec<Point> =
        (0..=stops).map(|_| Point { x: rng.random_range(0.0..1000.0), y: rng.random_range(0.0..1000.0) }).collect();
    let matrix = Matrix::from_points(&points, |a, b| (a.x - b.x).hypot(a.y - b.y).round() as i64)?;
    let jobs = (1..=stops)
        .map(|location| {
            let start = rng.random_range(0..8000);
            Job {
                id: format!("stop{location}"),
                location,
                demand: rng.random_range(1..10),
                service: 10,
                window: TimeWindow { start, end: start + 2000 },
                skip_penalty: None,
            }
        })
        .collect();
    let shift = TimeWindow { start: 0, end: 10_000 };
    Ok(Instance {
        name: format!("random-{stops}"),
        coordinates: Some(points),
        depots: vec![Depot { id: "depot".into(), location: 0 }],
        jobs,
        vehicle_types: vec![VehicleType { shift, ..VehicleType::with_capacity("van", stops / 5, 100, 0) }],
        durations: matrix.clone(),
        distances: matrix,
        distance_scale: 1,
    })
}

/// The instance files of a path: the file itself, or the `.vrp`/`.txt` files of a folder.
fn instance_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(path)?.map(|entry| entry.map(|entry| entry.path())).collect::<Result<_, _>>()?;
    files.retain(|file| matches!(file.extension().and_then(|ext| ext.to_str()), Some("vrp" | "txt")));
    files.sort();
    Ok(files)
}

/// Best-known costs by instance name from a CSV with `instance` and `bks_cost` columns.
fn read_bks(path: &Path) -> Result<HashMap<String, f64>, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| header.iter().position(|column| *column == name).ok_or(format!("bks file lacks {name}"));
    let (name_column, cost_column) = (column("instance")?, column("bks_cost")?);
    Ok(lines
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Some((fields.get(name_column)?.to_string(), fields.get(cost_column)?.parse().ok()?))
        })
        .collect())
}
