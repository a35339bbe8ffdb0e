//! `retail eval forecast`: forecasting models scored on public data as ../shared/EVAL.md specifies.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use retail_forecast::backtest::rolling_origin;
use retail_forecast::m4::{self, Score, Series};
use retail_forecast::metrics::owa;
use retail_forecast::models;
use retail_forecast::walmart::{self, Level};
use retail_forecast::{backtest::Backtest, daily};
use serde_json::json;

use crate::bar;
use crate::eval::emit;

/// The arguments of `retail eval forecast`.
#[derive(clap::Args)]
pub struct ForecastArgs {
    /// m4 (the M4 competition's csv layout, with --train), daily-csv (`date,sales[,...]` or
    /// `series_id,date,sales[,...]`, with --train) or walmart (the weekly store × department sales
    /// file, with --data, backtested from rolling origins)
    #[arg(long)]
    format: String,
    /// m4, daily-csv: the training series.
    #[arg(long, required_if_eq_any([("format", "m4"), ("format", "daily-csv")]))]
    train: Option<PathBuf>,
    /// m4, daily-csv: the held-out values in the same layout; without it, the last --holdout values
    /// of each training series are held out.
    #[arg(long)]
    test: Option<PathBuf>,
    /// m4, daily-csv: values held out per series when no test file is given [default: 13 for m4
    /// (M4 Weekly's horizon), 28 for daily-csv (M5's)]
    #[arg(long)]
    holdout: Option<usize>,
    /// walmart: the sales file (train.csv).
    #[arg(long, required_if_eq("format", "walmart"))]
    data: Option<PathBuf>,
    /// walmart: store-dept or store.
    #[arg(long, default_value = "store-dept")]
    level: String,
    /// walmart: weeks forecast from each origin.
    #[arg(long, default_value_t = 4)]
    horizon: usize,
    /// walmart: consecutive origins, each `horizon` weeks after the one before, the last leaving
    /// `horizon` weeks to score.
    #[arg(long, default_value_t = 13)]
    origins: usize,
    /// Observations per seasonal cycle [default: 52 for the weekly formats, 7 for daily-csv]
    #[arg(long)]
    season: Option<usize>,
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
fn model(name: &str) -> Result<Box<dyn retail_forecast::Forecaster>> {
    models::by_name(name)
        .with_context(|| format!("unknown model {name:?}; one of {}, or all", models::NAMES.join(", ")))
}

/// The models `--model` names.
fn names(model: &str) -> Vec<&str> {
    if model == "all" { models::NAMES.to_vec() } else { vec![model] }
}

fn series_bar(len: usize, name: &str) -> indicatif::ProgressBar {
    bar(len as u64, &format!("{{spinner}} [{{elapsed_precise}}] {name:<16} {{bar:40}} series {{pos}}/{{len}}"))
}

fn score(name: &str, train: &[Series], test: &[Series], season: usize) -> Result<(Score, f64)> {
    let model = model(name)?;
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
    let daily = args.format == "daily-csv";
    let season = args.season.unwrap_or(if daily { 7 } else { 52 });
    let holdout = args.holdout.unwrap_or(if daily { 28 } else { 13 });
    if season == 0 || holdout == 0 {
        bail!("--season and --holdout must be at least 1");
    }
    match args.format.as_str() {
        "m4" => run_m4(&args, season, holdout),
        "daily-csv" => run_daily(&args, season, holdout),
        "walmart" => run_walmart(&args, season),
        other => bail!("unknown format {other:?}; m4, daily-csv or walmart"),
    }
}

fn run_m4(args: &ForecastArgs, season: usize, holdout: usize) -> Result<()> {
    let train_path = args.train.as_deref().context("--train is required for m4")?;
    let all = read_series(train_path)?;
    let (train, test) = match &args.test {
        Some(path) => (all, read_series(path)?),
        None => m4::hold_out(&all, holdout),
    };
    eprintln!(
        "{}: {} series, horizon {}",
        train_path.display(),
        train.len(),
        test.first().map_or(0, |s| s.values.len())
    );
    let (naive2, _) = score("naive2", &train, &test, season)?;
    let mut rows = Vec::new();
    for name in names(&args.model) {
        let (s, fit_s) = score(name, &train, &test, season)?;
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
    emit_rows(args.json, rows);
    Ok(())
}

/// One model's object, or `{"models": [...]}` for several.
fn emit_rows(json: bool, mut rows: Vec<serde_json::Value>) {
    let out = if rows.len() == 1 { rows.remove(0) } else { json!({ "models": rows }) };
    emit(json, &out);
}

/// Backtests each model `--model` names on `series` and prints its accuracy.
fn run_backtests(args: &ForecastArgs, series: &[Series], season: usize, horizon: usize, origins: usize) -> Result<()> {
    let mut rows = Vec::new();
    for name in names(&args.model) {
        let model = model(name)?;
        let pb = series_bar(series.len(), name);
        let started = Instant::now();
        let b: Backtest =
            rolling_origin(series, model.as_ref(), season, horizon, origins, &|done| pb.set_position(done as u64));
        let fit_s = started.elapsed().as_secs_f64();
        pb.finish_and_clear();
        for (at, why) in b.failures.iter().take(10) {
            eprintln!("{name}: {at} not forecast: {why}");
        }
        eprintln!(
            "{:<16} 1-WAPE {:>6.2} %  bias {:>+6.2} %  MASE {:>6.3}  RMSSE {:>6.3}  {} series  {:.1} s",
            b.model,
            100.0 * b.one_minus_wape,
            100.0 * b.bias,
            b.mase,
            b.rmsse,
            b.series,
            fit_s
        );
        rows.push(json!({
            "model": b.model,
            "one_minus_wape": b.one_minus_wape,
            "mase": b.mase,
            "rmsse": b.rmsse,
            "bias": b.bias,
            "series": b.series,
            "forecasts": b.forecasts,
            "failed": b.failures.len(),
            "fit_s": fit_s,
        }));
    }
    emit_rows(args.json, rows);
    Ok(())
}

fn run_daily(args: &ForecastArgs, season: usize, holdout: usize) -> Result<()> {
    let read = |path: &Path| -> Result<Vec<Series>> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        daily::parse(&text).with_context(|| format!("{}: not a daily sales file", path.display()))
    };
    let train_path = args.train.as_deref().context("--train is required for daily-csv")?;
    let mut series = read(train_path)?;
    // With a test file, each series continues into its test days and the backtest's one origin sits
    // where the training file ends.
    let horizon = match &args.test {
        Some(path) => {
            let test = read(path)?;
            let lengths: std::collections::BTreeSet<usize> = test.iter().map(|t| t.values.len()).collect();
            let [horizon] = lengths.into_iter().collect::<Vec<_>>()[..] else {
                bail!("{}: every series needs the same number of test days", path.display());
            };
            if test.len() != series.len() {
                bail!("{} series to train on but {} to test", series.len(), test.len());
            }
            for (s, t) in series.iter_mut().zip(test) {
                if s.id != t.id {
                    bail!("training series {:?} has no test series (found {:?})", s.id, t.id);
                }
                s.values.extend(t.values);
            }
            horizon
        }
        None => holdout,
    };
    eprintln!("{}: {} series, {horizon} days ahead, season {season}", train_path.display(), series.len());
    run_backtests(args, &series, season, horizon, 1)
}

fn run_walmart(args: &ForecastArgs, season: usize) -> Result<()> {
    let path = args.data.as_deref().context("--data is required for walmart")?;
    let level = match args.level.as_str() {
        "store-dept" => Level::StoreDepartment,
        "store" => Level::Store,
        other => bail!("unknown level {other:?}; store-dept or store"),
    };
    if args.horizon == 0 || args.origins == 0 {
        bail!("--horizon and --origins must be at least 1");
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let series =
        walmart::parse(&text, level).with_context(|| format!("{}: not the Walmart sales layout", path.display()))?;
    eprintln!(
        "{}: {} series at level {}, {} origins of {} weeks",
        path.display(),
        series.len(),
        args.level,
        args.origins,
        args.horizon
    );
    run_backtests(args, &series, season, args.horizon, args.origins)
}
