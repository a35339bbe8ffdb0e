//! The global gradient-boosted model on Walmart's store × department weekly sales, scored by the
//! rolling-origin protocol of BENCHMARKS.md (13 origins, 4 weeks ahead). Prints JSON.
//!
//! `cargo run -p retail-forecast --release --example walmart_global -- DIR [validation]` with `DIR`
//! holding `train.csv`, `features.csv` and `stores.csv`. `validation` scores the 6 origins before the
//! test year instead (its last 52 weeks left out), where the settings were chosen.

use retail_forecast::{global, walmart};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "../shared/data/forecast/walmart".into());
    let validation = args.next().is_some_and(|a| a == "validation");
    let read = |name: &str| std::fs::read_to_string(format!("{dir}/{name}"));
    let mut panel = walmart::parse_panel(&read("train.csv")?, &read("features.csv")?, &read("stores.csv")?)?;
    let origins = if validation {
        for s in &mut panel.series {
            s.values.truncate(s.values.len().saturating_sub(52));
        }
        6
    } else {
        13
    };
    let started = std::time::Instant::now();
    let progress = |done: usize| eprintln!("{done} origins in {:.1} s", started.elapsed().as_secs_f64());
    let partner = retail_forecast::baselines::TrendScaledSeasonalNaive;
    let config = global::Config::weekly(4);
    for b in global::rolling_origin(&panel, &config, origins, &[&partner], &progress)? {
        println!(
            "{{\"model\":{:?},\"one_minus_wape\":{:.4},\"bias\":{:.4},\"mase\":{:.3},\"series\":{},\"failures\":{},\"fit_s\":{:.1}}}",
            b.model,
            b.one_minus_wape,
            b.bias,
            b.mase,
            b.series,
            b.failures.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
