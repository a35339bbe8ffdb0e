//! `retail eval forecast`: forecasting models scored on public data as ../shared/EVAL.md specifies.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use retail_forecast::m4::{self, Score, Series};
use retail_forecast::metrics::owa;
use retail_forecast::models;
use serde_json::json;

use crate::bar;
use crate::eval::emit;

/// The arguments of `retail eval forecast`.
#[derive(clap::Args)]
pub struct ForecastArgs {
    /// m4 (the M4 competition's csv layout)
    #[arg(long)]
    format: String,
    #[arg(long)]
    train: PathBuf,
    /// The held-out values in the same layout; without it, the last --holdout values of each
    /// training series are held out.
    #[arg(long)]
    test: Option<PathBuf>,
    /// Values held out per series when no test file is given (M4 Weekly: 13).
    #[arg(long, default_value_t = 13)]
    holdout: usize,
    /// Observations per seasonal cycle.
    #[arg(long, default_value_t = 52)]
    season: usize,
    /// A model name (the default is the platform's), or `all` for every model
    #[arg(long, default_value = models::DEFAULT)]
    model: String,
    #[arg(long)]
    json: bool,
}

fn read_series(path: &Path) -> Result<Vec<Series>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    m4::parse(&text).with_context(|| format!("{}: not in the M4 layout", path.display()))
}

/// Scores `name` on the series, with a progress bar, and the seconds fitting and forecasting took.
fn score(name: &str, train: &[Series], test: &[Series], season: usize) -> Result<(Score, f64)> {
    let model = models::by_name(name)
        .with_context(|| format!("unknown model {name:?}; one of {}, or all", models::NAMES.join(", ")))?;
    let pb = bar(
        train.len() as u64,
        &format!("{{spinner}} [{{elapsed_precise}}] {name:<12} {{bar:40}} series {{pos}}/{{len}}"),
    );
    let started = Instant::now();
    // M4 scales MASE by the one-step naive error for weekly data: its scaling period is 1.
    let score = m4::evaluate(train, test, model.as_ref(), season, 1, &|done| pb.set_position(done as u64))
        .map_err(anyhow::Error::msg)?;
    let seconds = started.elapsed().as_secs_f64();
    pb.finish_and_clear();
    for (id, why) in &score.failures {
        eprintln!("{name}: series {id} not forecast: {why}");
    }
    Ok((score, seconds))
}

pub fn run(args: ForecastArgs) -> Result<()> {
    if args.format != "m4" {
        bail!("unknown format {:?}; m4", args.format);
    }
    if args.season == 0 {
        bail!("--season must be at least 1");
    }
    let all = read_series(&args.train)?;
    let (train, test) = match &args.test {
        Some(path) => (all, read_series(path)?),
        None => {
            if args.holdout == 0 {
                bail!("--holdout must be at least 1");
            }
            m4::hold_out(&all, args.holdout)
        }
    };
    eprintln!(
        "{}: {} series, horizon {}",
        args.train.display(),
        train.len(),
        test.first().map_or(0, |s| s.values.len())
    );
    let (naive2, _) = score("naive2", &train, &test, args.season)?;
    let names: Vec<&str> = if args.model == "all" { models::NAMES.to_vec() } else { vec![args.model.as_str()] };
    let mut rows = Vec::new();
    for name in names {
        let (s, fit_s) = score(name, &train, &test, args.season)?;
        let row = json!({
            "model": s.model,
            "smape": s.smape,
            "mase": s.mase,
            "owa": owa(s.smape, s.mase, naive2.smape, naive2.mase),
            "series": s.series,
            "failed": s.failures.len(),
            "fit_s": fit_s,
        });
        eprintln!(
            "{:<14} sMAPE {:>7.3}  MASE {:>6.3}  OWA {:>6.3}  {} series  {:.1} s",
            s.model,
            s.smape,
            s.mase,
            row["owa"].as_f64().unwrap_or(f64::NAN),
            s.series,
            fit_s
        );
        rows.push(row);
    }
    let out = if rows.len() == 1 { rows.remove(0) } else { json!({ "models": rows }) };
    emit(args.json, &out);
    Ok(())
}
