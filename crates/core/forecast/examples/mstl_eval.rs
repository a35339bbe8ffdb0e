//! Scores registered models (and `mstl_robust`) on M5's total (last 28 days, season 7), Walmart store ×
//! department (13 origins of 4 weeks, season 52; `ORIGINS=n` for the last n only) and M4 Weekly (last
//! 13 weeks, season 52, OWA against Naive2), from the files under `../shared/data/forecast`: run it
//! from the repository root.
//! `cargo run -p retail-forecast --release --example mstl_eval -- m5|walmart|m4 MODEL...`

use std::time::Instant;

use retail_forecast::backtest::{Backtest, rolling_origin};
use retail_forecast::m4::Series;
use retail_forecast::metrics::owa;
use retail_forecast::models::by_name;
use retail_forecast::mstl::Mstl;
use retail_forecast::{Forecaster, daily, m4, walmart};

/// As BENCHMARKS.md runs it, from the repository root.
const DATA: &str = "../shared/data/forecast";

fn model(name: &str) -> Box<dyn Forecaster> {
    match name {
        "mstl_robust" => Box::new(Mstl { robust: true, ..Mstl::default() }),
        _ => by_name(name).unwrap_or_else(|| panic!("unknown model {name}")),
    }
}

fn run(series: &[Series], name: &str, season: usize, horizon: usize, origins: usize) -> (Backtest, f64) {
    let started = Instant::now();
    let b = rolling_origin(series, model(name).as_ref(), season, horizon, origins, &|_| {});
    for (at, why) in b.failures.iter().take(3) {
        eprintln!("{name}: {at}: {why}");
    }
    (b, started.elapsed().as_secs_f64())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (set, names) = args.split_first().expect("m5|walmart|m4 MODEL...");
    let read = |path: &str| std::fs::read_to_string(format!("{DATA}/{path}")).expect("readable data");
    match set.as_str() {
        "m5" | "walmart" => {
            let (series, season, horizon, origins) = if set == "m5" {
                (daily::parse(&read("m5/level1_total_d1_d1913_with_events.csv")).unwrap(), 7, 28, 1)
            } else {
                let text = read("walmart/train.csv");
                let origins = std::env::var("ORIGINS").map_or(13, |o| o.parse().unwrap());
                (walmart::parse(&text, walmart::Level::StoreDepartment).unwrap(), 52, 4, origins)
            };
            for name in names {
                let (b, seconds) = run(&series, name, season, horizon, origins);
                println!(
                    "{name:<18} 1-WAPE {:>6.2} %  bias {:>+6.2} %  MASE {:.3}  RMSSE {:.3}  {} series  {} failed  {seconds:.1} s",
                    100.0 * b.one_minus_wape,
                    100.0 * b.bias,
                    b.mase,
                    b.rmsse,
                    b.series,
                    b.failures.len()
                );
            }
        }
        "m4" => {
            let series = m4::parse(&read("m4_weekly/Weekly-train.csv")).unwrap();
            let (naive2, _) = run(&series, "naive2", 52, 13, 1);
            for name in names {
                let (b, seconds) = run(&series, name, 52, 13, 1);
                let owa = owa(b.smape, b.mase, naive2.smape, naive2.mase);
                println!(
                    "{name:<18} sMAPE {:.3}  MASE {:.3}  OWA {owa:.3}  {} series  {} failed  {seconds:.1} s",
                    b.smape,
                    b.mase,
                    b.series,
                    b.failures.len()
                );
            }
        }
        other => panic!("unknown data set {other}"),
    }
}
