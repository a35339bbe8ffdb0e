//! `retail eval forecast`: forecasting models scored on public data as ../shared/EVAL.md specifies.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use retail_forecast::backtest::{Backtest, rolling_origin};
use retail_forecast::m4::{self, ParseError, Series};
use retail_forecast::metrics::owa;
use retail_forecast::walmart::{self, Level};
use retail_forecast::{daily, global, models};
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
    /// walmart, model gbt_global: the weekly store features (temperature, markdowns) [default:
    /// features.csv beside --data]
    #[arg(long)]
    features: Option<PathBuf>,
    /// walmart, model gbt_global: the stores' types and sizes [default: stores.csv beside --data]
    #[arg(long)]
    stores: Option<PathBuf>,
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
    /// A model name (the default is the platform's), or `all` for every per-series model; for
    /// walmart at store-dept also `gbt_global`, one gradient-boosted model across all series, scored
    /// alone and averaged with snaive_trend and with mstl_one_cycle
    #[arg(long, default_value = models::DEFAULT)]
    model: String,
    #[arg(long)]
    json: bool,
}

/// The series of a file, by a format's parser.
fn read(path: &Path, parse: impl Fn(&str) -> Result<Vec<Series>, ParseError>, layout: &str) -> Result<Vec<Series>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("{}: not {layout}", path.display()))
}

/// The training series, each continued by its test values when `--test` names a file; and the horizon
/// the backtest's one origin leaves to score: the test length, or `holdout`.
fn train_and_test(
    args: &ForecastArgs,
    holdout: usize,
    parse: fn(&str) -> Result<Vec<Series>, ParseError>,
    layout: &str,
) -> Result<(Vec<Series>, usize)> {
    let train_path = args.train.as_deref().with_context(|| format!("--train is required for {}", args.format))?;
    let mut series = read(train_path, parse, layout)?;
    let Some(test_path) = &args.test else { return Ok((series, holdout)) };
    let test = read(test_path, parse, layout)?;
    let lengths: std::collections::BTreeSet<usize> = test.iter().map(|t| t.values.len()).collect();
    let [horizon] = lengths.into_iter().collect::<Vec<_>>()[..] else {
        bail!("{}: every series needs the same number of test values", test_path.display());
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
    Ok((series, horizon))
}

/// The model called `name`, or an error listing the names.
fn model(name: &str) -> Result<Box<dyn retail_forecast::Forecaster>> {
    models::by_name(name)
        .with_context(|| format!("unknown model {name:?}; one of {}, or all", models::NAMES.join(", ")))
}

/// The models `--model` names.
fn names(model: &str) -> Vec<&str> {
    if model == "all" { models::NAMES.to_vec() } else { vec![model] }
}

/// Backtests the model `name` with a progress bar; the seconds it took to fit and forecast.
fn backtest(name: &str, series: &[Series], season: usize, horizon: usize, origins: usize) -> Result<(Backtest, f64)> {
    let model = model(name)?;
    let pb = bar(
        series.len() as u64,
        &format!("{{spinner}} [{{elapsed_precise}}] {name:<16} {{bar:40}} series {{pos}}/{{len}}"),
    );
    let started = Instant::now();
    let b = rolling_origin(series, model.as_ref(), season, horizon, origins, &|done| pb.set_position(done as u64));
    let seconds = started.elapsed().as_secs_f64();
    pb.finish_and_clear();
    for (at, why) in b.failures.iter().take(10) {
        eprintln!("{name}: {at} not forecast: {why}");
    }
    Ok((b, seconds))
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

/// M4 scoring: each series forecast once, from where its training values end, by sMAPE, MASE (the
/// one-step naive scale, M4's for weekly data) and OWA against Naive2 on the same series.
fn run_m4(args: &ForecastArgs, season: usize, holdout: usize) -> Result<()> {
    let (series, horizon) = train_and_test(args, holdout, m4::parse, "in the M4 layout")?;
    eprintln!("{} series, horizon {horizon}", series.len());
    let (naive2, _) = backtest("naive2", &series, season, horizon, 1)?;
    let mut rows = Vec::new();
    for name in names(&args.model) {
        let (b, fit_s) = backtest(name, &series, season, horizon, 1)?;
        let owa = owa(b.smape, b.mase, naive2.smape, naive2.mase);
        eprintln!(
            "{:<16} sMAPE {:>7.3}  MASE {:>6.3}  OWA {:>6.3}  {} series  {:.1} s",
            b.model, b.smape, b.mase, owa, b.series, fit_s
        );
        rows.push(json!({
            "model": b.model,
            "smape": b.smape,
            "mase": b.mase,
            "owa": owa,
            "series": b.series,
            "failed": b.failures.len(),
            "fit_s": fit_s,
        }));
    }
    emit_rows(args.json, rows);
    Ok(())
}

/// One model's object, or `{"models": [...]}` for several.
fn emit_rows(json: bool, mut rows: Vec<serde_json::Value>) {
    let out = if rows.len() == 1 { rows.remove(0) } else { json!({ "models": rows }) };
    emit(json, &out);
}

/// The global gradient-boosted model on Walmart's store × department panel, fitted once per origin.
fn run_walmart_global(args: &ForecastArgs, path: &Path) -> Result<()> {
    let beside = |name: &str| path.with_file_name(name);
    let features_path = args.features.clone().unwrap_or_else(|| beside("features.csv"));
    let stores_path = args.stores.clone().unwrap_or_else(|| beside("stores.csv"));
    let text = |p: &Path| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()));
    let panel = walmart::parse_panel(&text(path)?, &text(&features_path)?, &text(&stores_path)?)
        .with_context(|| format!("{}: not the Walmart layout", path.display()))?;
    eprintln!("{}: {} series, {} origins of {} weeks", path.display(), panel.series.len(), args.origins, args.horizon);
    let partners: Vec<Box<dyn retail_forecast::Forecaster>> = vec![model("snaive_trend")?, model("mstl_one_cycle")?];
    let partners: Vec<&dyn retail_forecast::Forecaster> = partners.iter().map(AsRef::as_ref).collect();
    let pb = bar(args.origins as u64, "{spinner} [{elapsed_precise}] gbt_global {bar:40} origins {pos}/{len}");
    let started = Instant::now();
    let config = global::Config::weekly(args.horizon);
    let results =
        global::rolling_origin(&panel, &config, args.origins, &partners, &|done| pb.set_position(done as u64))?;
    let fit_s = started.elapsed().as_secs_f64();
    pb.finish_and_clear();
    report_backtests(args.json, results.into_iter().map(|b| (b, fit_s)).collect());
    Ok(())
}

/// Backtests each model `--model` names on `series` and prints its accuracy as retailers read it.
fn run_backtests(args: &ForecastArgs, series: &[Series], season: usize, horizon: usize, origins: usize) -> Result<()> {
    let results = names(&args.model)
        .into_iter()
        .map(|name| backtest(name, series, season, horizon, origins))
        .collect::<Result<Vec<_>>>()?;
    report_backtests(args.json, results);
    Ok(())
}

/// Prints each backtest with the seconds it took, and emits them.
fn report_backtests(json: bool, results: Vec<(Backtest, f64)>) {
    let mut rows = Vec::new();
    for (b, fit_s) in results {
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
    emit_rows(json, rows);
}

fn run_daily(args: &ForecastArgs, season: usize, holdout: usize) -> Result<()> {
    let (series, horizon) = train_and_test(args, holdout, daily::parse, "a daily sales file")?;
    eprintln!("{} series, {horizon} days ahead, season {season}", series.len());
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
    if args.model == global::NAME {
        if level != Level::StoreDepartment {
            bail!("{} forecasts store × department series: use --level store-dept", global::NAME);
        }
        return run_walmart_global(args, path);
    }
    let series = read(path, |text| walmart::parse(text, level), "the Walmart sales layout")?;
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
