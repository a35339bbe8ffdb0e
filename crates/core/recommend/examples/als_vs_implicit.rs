//! Fits implicit ALS on an amazon-seq file and prints the fit time and the test figures of the
//! leave-one-out protocol as one JSON line, for `bench/als-vs-implicit.sh` to set beside Python
//! `implicit` fitted with the same parameters (`bench/als_vs_implicit.py`).
//!
//! `cargo run --release -p retail-recommend --example als_vs_implicit -- PATH [--factors 64]
//! [--iterations 15] [--regularization R] [--alpha A] [--cg-steps 3] [--threads N]`
//! Parameters left out take their `AlsConfig::default()` values; `--threads` defaults to rayon's choice.
//!
//! With `--tune` instead, ALS (64 factors) and BPR are each tuned by NDCG@10 on the validation items
//! (never the test items) over a small grid, and the chosen configurations are measured on the test items.

use std::time::Instant;

use retail_recommend::{
    Als, AlsConfig, Bpr, BprConfig, DEFAULT_CUTOFFS, Format, Interactions, LeaveOneOut, Recommender, Target,
};

const USAGE: &str = "usage: als_vs_implicit PATH [--factors N] [--iterations N] [--regularization R] [--alpha A] \
                     [--cg-steps N] [--threads N] | PATH --tune";

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect(USAGE);
    let mut config = AlsConfig::default();
    let mut threads = None;
    let mut tune = false;
    while let Some(flag) = args.next() {
        if flag == "--tune" {
            tune = true;
            continue;
        }
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let bad = |err: &dyn std::fmt::Display| -> ! { panic!("{flag} {value}: {err}") };
        match flag.as_str() {
            "--factors" => config.factors = value.parse().unwrap_or_else(|err| bad(&err)),
            "--iterations" => config.iterations = value.parse().unwrap_or_else(|err| bad(&err)),
            "--regularization" => config.regularization = value.parse().unwrap_or_else(|err| bad(&err)),
            "--alpha" => config.alpha = value.parse().unwrap_or_else(|err| bad(&err)),
            "--cg-steps" => config.cg_steps = value.parse().unwrap_or_else(|err| bad(&err)),
            "--threads" => threads = Some(value.parse::<usize>().unwrap_or_else(|err| bad(&err))),
            _ => panic!("unknown flag {flag}; {USAGE}"),
        }
    }
    if let Some(threads) = threads {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().expect("the first and only pool");
    }

    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let data = Interactions::parse(Format::AmazonSeq, &text).unwrap_or_else(|err| panic!("{path}: {err}"));
    let split = LeaveOneOut::new(&data);
    if tune {
        tune_and_test(&split);
        return;
    }
    let mut model = Als::new(config);
    let (started, started_cpu) = (Instant::now(), cpu_seconds());
    model.fit(split.train(), split.n_items());
    let fit_s = started.elapsed().as_secs_f64();
    let fit_cpu_s = cpu_seconds() - started_cpu;
    let test = split.evaluate(&model, Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {});
    let AlsConfig { factors, regularization, alpha, iterations, cg_steps, .. } = config;
    println!(
        "{{\"implementation\": \"retail-recommend\", \"threads\": {}, \"factors\": {factors}, \
         \"iterations\": {iterations}, \"regularization\": {regularization}, \"alpha\": {alpha}, \
         \"cg_steps\": {cg_steps}, \"fit_s\": {fit_s:.4}, \"fit_cpu_s\": {fit_cpu_s:.2}, {}}}",
        rayon::current_num_threads(),
        json_metrics(&test),
    );
}

/// CPU time this process has used so far, all threads together, from `/proc/self/stat` (Linux; 0
/// elsewhere). On a shared machine it shows the work done where wall time also counts the waiting.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the parenthesised command name, user and system time are the 12th and 13th fields, in
    // ticks of 1/100 s.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |at: usize| fields.get(at).and_then(|field| field.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// `"users": …, "hr@10": …, "ndcg@10": …, "hr@20": …, "ndcg@20": …`
fn json_metrics(evaluation: &retail_recommend::Evaluation) -> String {
    let mut fields = vec![format!("\"users\": {}", evaluation.users)];
    for cutoff in &evaluation.cutoffs {
        fields.push(format!("\"hr@{k}\": {:.4}, \"ndcg@{k}\": {:.4}", cutoff.hit_rate, cutoff.ndcg, k = cutoff.k));
    }
    fields.join(", ")
}

/// Grid search for both models on the validation items, then the chosen configurations on the test items.
fn tune_and_test(split: &LeaveOneOut) {
    let mut als_grid = Vec::new();
    for regularization in [0.01, 0.1, 1.0, 10.0] {
        for alpha in [5.0, 10.0, 20.0, 40.0, 80.0, 160.0] {
            als_grid.push(AlsConfig { regularization, alpha, ..AlsConfig::default() });
        }
    }
    let als = best_on_validation(split, &als_grid, |config| Box::new(Als::new(*config)));
    let mut bpr_grid = Vec::new();
    for learning_rate in [0.05, 0.1] {
        for regularization in [0.0001, 0.001, 0.01] {
            for iterations in [100, 200, 400] {
                for history_half_life in [Some(0.5), Some(1.0)] {
                    bpr_grid.push(BprConfig {
                        learning_rate,
                        regularization,
                        iterations,
                        history_half_life,
                        ..BprConfig::default()
                    });
                }
            }
        }
    }
    let bpr = best_on_validation(split, &bpr_grid, |config| Box::new(Bpr::new(*config)));
    for (name, mut model) in
        [("als", Box::new(Als::new(als)) as Box<dyn Recommender>), ("bpr", Box::new(Bpr::new(bpr)))]
    {
        model.fit(split.train(), split.n_items());
        let test = split.evaluate(model.as_ref(), Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {});
        println!("{name} test {}", test);
    }
}

/// The configuration of `grid` whose model has the best validation NDCG@10, each printed on the way.
fn best_on_validation<C: Copy + std::fmt::Debug>(
    split: &LeaveOneOut,
    grid: &[C],
    model: impl Fn(&C) -> Box<dyn Recommender>,
) -> C {
    let mut best = (f64::NEG_INFINITY, grid[0]);
    for config in grid {
        let mut candidate = model(config);
        let started = Instant::now();
        candidate.fit(split.train(), split.n_items());
        let fit_s = started.elapsed().as_secs_f64();
        let validation = split.evaluate(candidate.as_ref(), Target::Validation, &DEFAULT_CUTOFFS, &mut |_, _| {});
        println!("validation {}  fit {fit_s:.2}s  {config:?}", validation);
        let ndcg = validation.at(10).map_or(0.0, |cutoff| cutoff.ndcg);
        if ndcg > best.0 {
            best = (ndcg, *config);
        }
    }
    println!("chosen on validation: {:?}", best.1);
    best.1
}
