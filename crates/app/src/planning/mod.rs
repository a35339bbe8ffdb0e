//! Demand planning: the forecast run (nightly on a schedule, on request, and at demo load) that
//! forecasts every location × product series from the stored daily sales, scores the earlier runs
//! against the sales that have arrived since, and proposes replenishment; reads of the forecasts at
//! any level of the location × category × product hierarchy, summed bottom-up so levels agree.

pub mod analysis;
pub mod replenish;
pub mod simulate;
pub mod whatif;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Days, NaiveDate, Utc};
use retail_domain::{EntityKind, Product};
use retail_forecast::demand::{self, DemandForecast, Input, Options, Pattern};
use retail_forecast::events::EventCalendar;
use retail_forecast::{ForecastError, Interval};
use retail_store::{
    DateRange, ForecastRunRecord, ForecastSeriesRecord, SalesSeries, StockoutSpan, day_date, day_number,
};
use serde::{Deserialize, Serialize};

use crate::ids::new_id;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, all_docs, invalid};

/// Interval levels every forecast carries.
pub const LEVELS: [f64; 2] = [0.8, 0.95];
/// Runs older than this many days (by their last day of history) keep their summary but not their
/// series: nothing evaluates or reads them any more.
const KEEP_SERIES_DAYS: i64 = 42;
/// Weeks back that each run scores earlier runs over (one run per week ahead).
const EVALUATED_WEEKS: u64 = 4;

/// Why a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Schedule,
    Manual,
    Demo,
}

/// Only one run at a time on this server.
#[derive(Default)]
pub struct PlanningSlot {
    running: tokio::sync::Mutex<()>,
}

/// What a run was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The last day of history to use; the newest day with sales when absent.
    pub as_of: Option<NaiveDate>,
    pub trigger: Trigger,
    pub by: String,
}

/// The levels forecasts are read and scored at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    ProductLocation,
    CategoryLocation,
    Location,
    Category,
    Product,
    Total,
}

impl Level {
    pub const ALL: [Level; 6] =
        [Self::ProductLocation, Self::CategoryLocation, Self::Location, Self::Category, Self::Product, Self::Total];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProductLocation => "product_location",
            Self::CategoryLocation => "category_location",
            Self::Location => "location",
            Self::Category => "category",
            Self::Product => "product",
            Self::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The key of a base series at this level: (location, category, product), each kept or dropped.
    fn key(self, location: &str, category: &str, product: &str) -> SeriesKey {
        let (l, c, p) = match self {
            Self::ProductLocation => (true, false, true),
            Self::CategoryLocation => (true, true, false),
            Self::Location => (true, false, false),
            Self::Category => (false, true, false),
            Self::Product => (false, false, true),
            Self::Total => (false, false, false),
        };
        let keep = |yes: bool, s: &str| yes.then(|| s.to_string());
        SeriesKey { location_id: keep(l, location), category_id: keep(c, category), product_id: keep(p, product) }
    }
}

/// Which location, category and product a series covers (`None`: all of them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SeriesKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
}

/// Forecast accuracy at one level over the days that have passed: 1 − WAPE, as retailers read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LevelAccuracy {
    pub level: String,
    /// 1 − Σ|forecast − actual| / Σ actual.
    pub accuracy: f64,
    /// Σ(forecast − actual) / Σ actual: positive when the forecast ran high.
    pub bias: f64,
    pub actual_units: f64,
    /// Series × periods scored.
    pub points: u64,
}

/// An earlier run scored against the sales that arrived after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evaluation {
    pub run_id: String,
    pub as_of: NaiveDate,
    /// Days of actual sales scored (daily levels); weekly levels use the whole weeks among them.
    pub days: u32,
    pub levels: Vec<LevelAccuracy>,
}

/// How many suggestions a run made, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuggestionCounts {
    pub proposed: u64,
    pub exceptions: u64,
    /// Turned into purchase orders by the automatic mode.
    pub ordered: u64,
    /// Series with no order needed.
    pub no_order: u64,
    /// Series that could not be planned, by reason (no supplier, unknown product…).
    pub skipped: BTreeMap<String, u64>,
}

/// What a run did, as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunSummary {
    pub run_id: String,
    pub trigger: Trigger,
    pub by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// The last day of history used; forecasts start the day after.
    pub as_of: NaiveDate,
    pub history_days: u32,
    pub horizon_days: u32,
    /// The model of series that sell most days.
    pub regular_model: String,
    pub series: u64,
    pub by_pattern: BTreeMap<String, u64>,
    pub by_model: BTreeMap<String, u64>,
    /// Series whose model failed and were forecast by the fallback.
    pub fallbacks: u64,
    pub outliers_capped: u64,
    /// Days with the shelf empty at the close whose sales were read as lost demand (older runs: 0).
    #[serde(default)]
    pub censored_days: u64,
    pub forecast_seconds: f64,
    /// Earlier runs scored against the sales since (newest first).
    pub evaluations: Vec<Evaluation>,
    pub suggestions: SuggestionCounts,
}

/// One series' forecast as stored: means and error spreads per day, rounded (a chain has many).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct StoredSeries {
    pattern: Pattern,
    model: String,
    mean: Vec<f64>,
    sd: Vec<f64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    outliers_capped: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fallback: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn round2(v: &[f64]) -> Vec<f64> {
    v.iter().map(|x| (x * 100.0).round() / 100.0).collect()
}

impl From<&DemandForecast> for StoredSeries {
    fn from(f: &DemandForecast) -> Self {
        StoredSeries {
            pattern: f.pattern,
            model: f.model.clone(),
            mean: round2(&f.mean),
            sd: round2(&f.sd),
            outliers_capped: f.outliers_capped,
            fallback: f.fallback.clone(),
        }
    }
}

/// The history the run learns from: one dense daily series per location × product.
pub(crate) struct History {
    pub range: DateRange,
    pub series: Vec<SalesSeries>,
    /// Units sold per day.
    pub values: Vec<Vec<f64>>,
    /// Per series, the stretches of days its shelf stood empty at the close, as inclusive
    /// positions into `values`.
    pub censored: Vec<Vec<(usize, usize)>>,
}

impl History {
    /// Series `i`'s demand over positions `start..end`: its sales with the empty-shelf days read as
    /// lost demand ([`demand::uncensor`]), and how many days were raised. Borrowed when the shelf
    /// never stood empty in the window.
    pub fn demand(&self, i: usize, start: usize, end: usize) -> (Cow<'_, [f64]>, usize) {
        let window = &self.values[i][start..end];
        let spans: Vec<(usize, usize)> = self.censored[i]
            .iter()
            .filter(|&&(from, to)| from < end && to >= start)
            .map(|&(from, to)| (from.max(start) - start, to.min(end - 1) - start))
            .collect();
        if spans.is_empty() {
            return (Cow::Borrowed(window), 0);
        }
        let (filled, raised) = demand::uncensor(window, &spans);
        (Cow::Owned(filled), raised)
    }

    fn dense(range: DateRange, series: Vec<SalesSeries>, stockouts: Vec<StockoutSpan>) -> Self {
        let first = day_number(range.from);
        let n = range.len_days() as usize;
        let values = series
            .iter()
            .map(|s| {
                let mut y = vec![0.0; n];
                for &(day, units) in &s.days {
                    if let Some(slot) = usize::try_from(day - first).ok().and_then(|i| y.get_mut(i)) {
                        *slot = units as f64;
                    }
                }
                y
            })
            .collect();
        let index: HashMap<(&str, &str), usize> =
            series.iter().enumerate().map(|(i, s)| ((s.location_id.as_str(), s.product_id.as_str()), i)).collect();
        let mut censored = vec![Vec::new(); series.len()];
        for span in &stockouts {
            let Some(&i) = index.get(&(span.location_id.as_str(), span.product_id.as_str())) else { continue };
            let (Ok(from), Ok(to)) = (usize::try_from(span.from_day - first), usize::try_from(span.to_day - first))
            else {
                continue;
            };
            censored[i].push((from, to.min(n.saturating_sub(1))));
        }
        History { range, series, values, censored }
    }
}

/// Loads the daily sales of `range` as dense series, with each product's category (empty when the
/// product is unknown).
async fn load_history(
    p: &Platform,
    range: DateRange,
) -> ServiceResult<(History, HashMap<String, Product>, Vec<String>)> {
    let history = History::dense(range, p.store.daily_sales(range, None).await?, p.store.stockouts(range, None).await?);
    let products: HashMap<String, Product> =
        all_docs::<Product>(p, EntityKind::Product).await?.into_iter().map(|p| (p.external_id.clone(), p)).collect();
    let categories = history
        .series
        .iter()
        .map(|s| products.get(&s.product_id).map_or("", |p| p.category_id.as_str()).to_string())
        .collect();
    Ok((history, products, categories))
}

fn forecast_options(p: &Platform) -> ServiceResult<Options> {
    let config = &p.config;
    if config.forecast_horizon_days == 0 || config.forecast_history_days < 7 {
        return Err(invalid("forecast", "the horizon must be at least 1 day and the history at least 7 days"));
    }
    Ok(Options {
        horizon: config.forecast_horizon_days as usize,
        levels: LEVELS.to_vec(),
        regular_model: Some(config.forecast_model.clone()),
        // China's retail festivals; each window sets the day they are placed from.
        events: Some(EventCalendar::china_retail()),
        ..Options::default()
    })
}

/// A window's forecasts and the empty-shelf days read as lost demand in its histories.
struct WindowForecast {
    forecasts: Vec<DemandForecast>,
    censored_days: u64,
}

/// Forecasts every series from its `days` days of demand ending before position `end`, reconciled
/// middle-out within each location × category, group totals with the events' effects learned per
/// category across locations. CPU-bound: call it off the async runtime.
fn forecast_window(
    history: &History,
    categories: &[String],
    end: usize,
    days: usize,
    options: &Options,
) -> Result<WindowForecast, ForecastError> {
    let start = end.saturating_sub(days);
    let demands: Vec<(Cow<'_, [f64]>, usize)> =
        (0..history.series.len()).map(|i| history.demand(i, start, end)).collect();
    let censored_days = demands.iter().map(|(_, raised)| *raised as u64).sum();
    let windows: Vec<&[f64]> = demands.iter().map(|(y, _)| y.as_ref()).collect();
    let mut group_of: HashMap<(&str, &str), usize> = HashMap::new();
    let mut pool_of: HashMap<&str, usize> = HashMap::new();
    let mut pools: Vec<usize> = Vec::new();
    let groups: Vec<usize> = history
        .series
        .iter()
        .zip(categories)
        .map(|(s, c)| {
            let next = group_of.len();
            let g = *group_of.entry((s.location_id.as_str(), c.as_str())).or_insert(next);
            if g == pools.len() {
                let next = pool_of.len();
                pools.push(*pool_of.entry(c.as_str()).or_insert(next));
            }
            g
        })
        .collect();
    let options = &Options {
        last_day: Some(day_number(history.range.from) + end as i64 - 1),
        event_pools: Some(pools),
        ..options.clone()
    };
    let profiles = cold_start_profiles(&windows, &groups, group_of.len(), options.horizon);
    let inputs: Vec<Input<'_>> =
        windows.iter().zip(&groups).map(|(y, &g)| Input { history: y, cold_start: profiles[g].as_deref() }).collect();
    Ok(WindowForecast { forecasts: demand::forecast_grouped(&inputs, &groups, options)?, censored_days })
}

/// Runs the forecast and replenishment planning once.
pub async fn run(p: &Platform, options: RunOptions) -> ServiceResult<RunSummary> {
    let _one_at_a_time = p.planning.running.lock().await;
    let started_at = Utc::now();
    let Some(sales_days) = p.store.sales_days().await? else {
        return Err(ServiceError::Conflict("no sales are recorded yet: there is nothing to forecast from".into()));
    };
    let as_of = options.as_of.unwrap_or(sales_days.to);
    if as_of < sales_days.from || as_of > sales_days.to {
        return Err(invalid(
            "as_of",
            format!("must be a day with recorded sales history, from {} to {}", sales_days.from, sales_days.to),
        ));
    }
    let opts = forecast_options(p)?;
    let config = &p.config;
    let range = DateRange::last_days(as_of, config.forecast_history_days);
    let (history, products, categories) = load_history(p, range).await?;
    let history = Arc::new(history);
    let categories = Arc::new(categories);
    let clock = Instant::now();
    let WindowForecast { forecasts, censored_days } = {
        let (history, categories, opts) = (history.clone(), categories.clone(), opts.clone());
        tokio::task::spawn_blocking(move || {
            let n = history.range.len_days() as usize;
            forecast_window(&history, &categories, n, n, &opts)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("the forecasting task failed: {e}")))?
        .map_err(|e| invalid("forecast_model", e.to_string()))?
    };
    let forecast_seconds = clock.elapsed().as_secs_f64();

    let evaluations = evaluate_earlier_runs(p, &history, &categories, as_of).await?;
    let run_id = new_id("fc");
    // Only today's stock can be planned from: a run over an earlier history (a backfill) forecasts
    // and is scored, but proposes nothing.
    let plan = if as_of == sales_days.to {
        replenish::plan(p, &run_id, &history, &forecasts, &products).await?
    } else {
        replenish::Plan::default()
    };

    let mut summary = RunSummary {
        run_id: run_id.clone(),
        trigger: options.trigger,
        by: options.by,
        started_at,
        finished_at: started_at,
        as_of,
        history_days: config.forecast_history_days,
        horizon_days: config.forecast_horizon_days,
        regular_model: config.forecast_model.clone(),
        series: forecasts.len() as u64,
        by_pattern: BTreeMap::new(),
        by_model: BTreeMap::new(),
        fallbacks: forecasts.iter().filter(|f| f.fallback.is_some()).count() as u64,
        outliers_capped: forecasts.iter().map(|f| f.outliers_capped as u64).sum(),
        censored_days,
        forecast_seconds,
        evaluations,
        suggestions: plan.counts.clone(),
    };
    for f in &forecasts {
        *summary.by_pattern.entry(f.pattern.as_str().to_string()).or_default() += 1;
        *summary.by_model.entry(model_family(&f.model)).or_default() += 1;
    }
    let series: Vec<ForecastSeriesRecord> = history
        .series
        .iter()
        .zip(categories.iter())
        .zip(&forecasts)
        .map(|((s, category), f)| {
            Ok(ForecastSeriesRecord {
                location_id: s.location_id.clone(),
                product_id: s.product_id.clone(),
                category_id: category.clone(),
                doc: serde_json::to_string(&StoredSeries::from(f))
                    .map_err(|e| ServiceError::Internal(format!("a forecast does not serialise: {e}")))?,
            })
        })
        .collect::<ServiceResult<_>>()?;
    summary.finished_at = Utc::now();
    let record = ForecastRunRecord {
        run_id,
        started_at_ms: started_at.timestamp_millis(),
        finished_at_ms: summary.finished_at.timestamp_millis(),
        as_of_day: day_number(as_of),
        summary: serde_json::to_string(&summary)
            .map_err(|e| ServiceError::Internal(format!("a run summary does not serialise: {e}")))?,
    };
    p.store.save_forecast_run(&record, &series, &plan.records, day_number(as_of) - KEEP_SERIES_DAYS).await?;
    if p.config.replenishment_auto_order {
        summary.suggestions.ordered = replenish::order_automatically(p, &plan).await?;
    }
    tracing::info!(run = %summary.run_id, series = summary.series, as_of = %as_of, "forecast run finished");
    Ok(summary)
}

/// Runs the forecast as of each of the last `weeks` weeks and then today, as if the nightly job had
/// been running: accuracy over time shows from the start (the demo does this after loading).
pub async fn backfill(p: &Platform, weeks: u32, by: &str, done: impl Fn()) -> ServiceResult<Vec<RunSummary>> {
    let Some(sales_days) = p.store.sales_days().await? else {
        return Err(ServiceError::Conflict("no sales are recorded yet: there is nothing to forecast from".into()));
    };
    let mut out = Vec::new();
    for k in (0..=weeks).rev() {
        let Some(as_of) = sales_days.to.checked_sub_days(Days::new(7 * u64::from(k))) else { continue };
        if as_of < sales_days.from {
            continue;
        }
        out.push(run(p, RunOptions { as_of: Some(as_of), trigger: Trigger::Demo, by: by.to_string() }).await?);
        done();
    }
    Ok(out)
}

/// `ETS(A,N,A)` → `ETS`: model families, for counting.
fn model_family(model: &str) -> String {
    model.split('(').next().unwrap_or(model).to_string()
}

/// What a typical established product of each group (location × category) sold per day over the
/// window's last four weeks, by weekday, laid out over the horizon: the start of a new product's
/// forecast. `None` for groups without established products.
fn cold_start_profiles(windows: &[&[f64]], groups: &[usize], n_groups: usize, horizon: usize) -> Vec<Option<Vec<f64>>> {
    let mut sums = vec![([0.0; 7], 0.0); n_groups];
    for (y, &g) in windows.iter().zip(groups) {
        let n = y.len();
        // Only products selling since before the four weeks describe a typical one.
        if n < 56 || y[..n - 28].iter().all(|&v| v == 0.0) {
            continue;
        }
        for (i, v) in y[n - 28..].iter().enumerate() {
            sums[g].0[(n - 28 + i) % 7] += v;
        }
        sums[g].1 += 1.0;
    }
    let n = windows.first().map_or(0, |y| y.len());
    sums.into_iter()
        .map(|(by_weekday, products)| {
            // Day h ahead is position n + h of the series, so its weekday slot is (n + h) % 7.
            (products > 0.0).then(|| (0..horizon).map(|h| by_weekday[(n + h) % 7] / 4.0 / products).collect())
        })
        .collect()
}

/// One series' forecast from one origin next to what sold.
struct Scored<'a> {
    origin: usize,
    location: &'a str,
    category: &'a str,
    product: &'a str,
    forecast: Vec<f64>,
    actual: Vec<f64>,
}

/// Scores up to one earlier run per week back against the sales since it, at every level.
async fn evaluate_earlier_runs(
    p: &Platform,
    history: &History,
    categories: &[String],
    as_of: NaiveDate,
) -> ServiceResult<Vec<Evaluation>> {
    let today = day_number(as_of);
    let runs = p.store.list_forecast_runs(200).await?;
    let mut picked: Vec<&ForecastRunRecord> = Vec::new();
    for weeks in 1..=EVALUATED_WEEKS as i64 {
        let target = today - 7 * weeks;
        let nearest = runs
            .iter()
            .filter(|r| r.as_of_day < today && r.as_of_day >= today - KEEP_SERIES_DAYS)
            .min_by_key(|r| ((r.as_of_day - target).abs(), -r.started_at_ms));
        if let Some(r) = nearest.filter(|r| !picked.iter().any(|q| q.run_id == r.run_id)) {
            picked.push(r);
        }
    }
    let first_day = day_number(history.range.from);
    let index: HashMap<(&str, &str), usize> =
        history.series.iter().enumerate().map(|(i, s)| ((s.location_id.as_str(), s.product_id.as_str()), i)).collect();
    let mut out = Vec::new();
    for run in picked {
        let stored = p.store.forecast_series(&run.run_id, None, None, None).await?;
        let Ok(start) = usize::try_from(run.as_of_day + 1 - first_day) else { continue };
        let days = (today - run.as_of_day) as usize;
        let actual_of = |i: usize| history.values[i][start..].iter().take(days).copied().collect::<Vec<f64>>();
        let mut covered = vec![false; history.series.len()];
        let mut scored = Vec::with_capacity(stored.len());
        for s in &stored {
            let forecast = parse_series(s)?.mean;
            let i = index.get(&(s.location_id.as_str(), s.product_id.as_str())).copied();
            let actual = i.map_or_else(|| vec![0.0; days], actual_of);
            if let Some(i) = i {
                covered[i] = true;
            }
            let n = forecast.len().min(days);
            scored.push(Scored {
                origin: 0,
                location: &s.location_id,
                category: &s.category_id,
                product: &s.product_id,
                forecast: forecast[..n].to_vec(),
                actual: actual[..n.min(actual.len())].to_vec(),
            });
        }
        // Sales the run did not forecast at all count against it as forecasts of zero.
        for (i, s) in history.series.iter().enumerate().filter(|(i, _)| !covered[*i]) {
            let actual = actual_of(i);
            if actual.iter().any(|&v| v > 0.0) {
                let n = actual.len().min(run_horizon(&stored));
                scored.push(Scored {
                    origin: 0,
                    location: &s.location_id,
                    category: &categories[i],
                    product: &s.product_id,
                    forecast: vec![0.0; n],
                    actual: actual[..n].to_vec(),
                });
            }
        }
        let Some(days_scored) = scored.iter().map(|s| s.actual.len()).max() else { continue };
        out.push(Evaluation {
            run_id: run.run_id.clone(),
            as_of: day_date(run.as_of_day)?,
            days: days_scored as u32,
            levels: score_levels(&scored),
        });
    }
    Ok(out)
}

fn run_horizon(stored: &[ForecastSeriesRecord]) -> usize {
    stored.first().and_then(|s| parse_series(s).ok()).map_or(0, |s| s.mean.len())
}

fn parse_series(s: &ForecastSeriesRecord) -> ServiceResult<StoredSeries> {
    serde_json::from_str(&s.doc).map_err(|e| {
        ServiceError::Internal(format!(
            "the stored forecast of {} at {} does not parse: {e}",
            s.product_id, s.location_id
        ))
    })
}

/// Σ|error|, Σerror, Σactual and the number of points, per level.
#[derive(Default, Clone, Copy)]
struct Errors {
    abs: f64,
    signed: f64,
    actual: f64,
    points: u64,
}

impl Errors {
    fn add(&mut self, forecast: f64, actual: f64) {
        self.abs += (forecast - actual).abs();
        self.signed += forecast - actual;
        self.actual += actual;
        self.points += 1;
    }

    fn accuracy(&self, level: &str) -> LevelAccuracy {
        let ratio = |x: f64| if self.actual > 0.0 { x / self.actual } else { 0.0 };
        LevelAccuracy {
            level: level.to_string(),
            accuracy: if self.actual > 0.0 { 1.0 - ratio(self.abs) } else { 0.0 },
            bias: ratio(self.signed),
            actual_units: self.actual,
            points: self.points,
        }
    }
}

/// A level's series in one week ahead of one origin: (series, origin, week).
type WeekCell = (SeriesKey, usize, usize);

/// Levels scored per week, besides product × location per day.
const WEEKLY_LEVELS: [Level; 4] = [Level::ProductLocation, Level::CategoryLocation, Level::Location, Level::Total];

/// 1 − WAPE per product × location per day, and per week (whole weeks from each origin's first
/// forecast day) at each of [`WEEKLY_LEVELS`], the forecasts and sales of a level's members summed
/// first.
fn score_levels(scored: &[Scored<'_>]) -> Vec<LevelAccuracy> {
    let mut daily = Errors::default();
    let mut weekly: BTreeMap<Level, HashMap<WeekCell, (f64, f64)>> = BTreeMap::new();
    for s in scored {
        for (f, a) in s.forecast.iter().zip(&s.actual) {
            daily.add(*f, *a);
        }
        let weeks = s.forecast.len().min(s.actual.len()) / 7;
        for level in WEEKLY_LEVELS {
            let key = level.key(s.location, s.category, s.product);
            let cells = weekly.entry(level).or_default();
            for w in 0..weeks {
                let cell = cells.entry((key.clone(), s.origin, w)).or_default();
                cell.0 += s.forecast[w * 7..w * 7 + 7].iter().sum::<f64>();
                cell.1 += s.actual[w * 7..w * 7 + 7].iter().sum::<f64>();
            }
        }
    }
    let mut out = vec![daily.accuracy("product_location_day")];
    for (level, cells) in weekly {
        let mut e = Errors::default();
        for (f, a) in cells.values() {
            e.add(*f, *a);
        }
        out.push(e.accuracy(&format!("{}_week", level.as_str())));
    }
    out
}

/// A rolling-origin backtest on the stored sales: what the forecast would have scored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Backtest {
    pub origins: Vec<NaiveDate>,
    pub horizon_days: u32,
    pub regular_model: String,
    /// Every origin's forecasts scored together over their horizons.
    pub levels: Vec<LevelAccuracy>,
    pub forecast_seconds: f64,
    pub series: u64,
}

/// Forecasts from `origins` weekly origins, the last a horizon before the newest sales, exactly as a
/// run would, and scores each against the sales that followed.
pub async fn backtest(p: &Platform, origins: u32) -> ServiceResult<Backtest> {
    if !(1..=52).contains(&origins) {
        return Err(invalid("origins", "must be between 1 and 52"));
    }
    let Some(sales_days) = p.store.sales_days().await? else {
        return Err(ServiceError::Conflict("no sales are recorded yet: there is nothing to backtest".into()));
    };
    let opts = forecast_options(p)?;
    let days = p.config.forecast_history_days as usize;
    let span = (days + opts.horizon + 7 * (origins as usize - 1)) as u32;
    let range = DateRange::last_days(sales_days.to, span);
    let (history, _, categories) = load_history(p, range).await?;
    let n = history.range.len_days() as usize;
    let ends: Vec<usize> = (0..origins as usize).rev().map(|k| n - opts.horizon - 7 * k).filter(|&e| e > 7).collect();
    if ends.is_empty() {
        return Err(invalid("origins", "the stored sales are too short for one origin and its horizon"));
    }
    let clock = Instant::now();
    let horizon = opts.horizon;
    let history = Arc::new(history);
    let results = {
        let (history, categories, ends) = (history.clone(), categories.clone(), ends.clone());
        tokio::task::spawn_blocking(move || {
            ends.iter()
                .map(|&end| forecast_window(&history, &categories, end, days, &opts))
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("the backtest task failed: {e}")))?
        .map_err(|e| invalid("forecast_model", e.to_string()))?
    };
    let mut scored = Vec::new();
    for (origin, (&end, window)) in ends.iter().zip(&results).enumerate() {
        for (i, (s, f)) in history.series.iter().zip(&window.forecasts).enumerate() {
            scored.push(Scored {
                origin,
                location: &s.location_id,
                category: &categories[i],
                product: &s.product_id,
                forecast: f.mean.clone(),
                actual: history.values[i][end..end + horizon].to_vec(),
            });
        }
    }
    let first = history.range.from;
    Ok(Backtest {
        origins: ends.iter().map(|&e| first + chrono::Duration::days(e as i64 - 1)).collect(),
        horizon_days: horizon as u32,
        regular_model: p.config.forecast_model.clone(),
        levels: score_levels(&scored),
        forecast_seconds: clock.elapsed().as_secs_f64(),
        series: history.series.len() as u64,
    })
}

/// The latest runs, newest first.
pub async fn runs(p: &Platform, limit: u32) -> ServiceResult<Vec<RunSummary>> {
    p.store
        .list_forecast_runs(limit.clamp(1, 100))
        .await?
        .iter()
        .map(|r| {
            serde_json::from_str(&r.summary).map_err(|e| {
                ServiceError::Internal(format!("the stored summary of run {} does not parse: {e}", r.run_id))
            })
        })
        .collect()
}

/// Which forecasts to read.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ForecastQuery {
    /// A run's id; the latest run when absent.
    pub run_id: Option<String>,
    /// `product_location` (default), `category_location`, `location`, `category`, `product` or `total`.
    pub level: Option<String>,
    pub location_id: Option<String>,
    pub category_id: Option<String>,
    pub product_id: Option<String>,
    /// Days of actual sales to return before the forecast (default 56, at most 365).
    pub history_days: Option<u32>,
    /// Most series to return, largest first (default 20, at most 500).
    pub limit: Option<u32>,
}

/// One series at the asked level: actual sales before, forecast with intervals after.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeriesForecast {
    #[serde(flatten)]
    pub key: SeriesKey,
    /// The first forecast day (the day after the run's history).
    pub start: NaiveDate,
    pub mean: Vec<f64>,
    /// 80 % and 95 % intervals: `{level, lower: [...], upper: [...]}`.
    #[schema(value_type = Vec<Object>)]
    pub intervals: Vec<Interval>,
    /// Units sold per day over the `history_days` before `start`.
    pub history: Vec<f64>,
    /// Base series only: the model and demand pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `smooth`, `erratic`, `intermittent`, `lumpy`, `new` or `inactive`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub pattern: Option<Pattern>,
    /// How many base series were summed.
    pub series: u64,
}

/// A run's forecasts at one level.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ForecastView {
    pub run: RunSummary,
    pub level: Level,
    pub series: Vec<SeriesForecast>,
}

/// Reads a run's forecasts, summed to the asked level.
pub async fn forecasts(p: &Platform, q: &ForecastQuery) -> ServiceResult<ForecastView> {
    let level = match q.level.as_deref() {
        None => Level::ProductLocation,
        Some(s) => Level::parse(s).ok_or_else(|| {
            let names: Vec<&str> = Level::ALL.iter().map(|l| l.as_str()).collect();
            invalid("level", format!("unknown level '{s}'; one of {}", names.join(", ")))
        })?,
    };
    let history_days = q.history_days.unwrap_or(56);
    if history_days > 365 {
        return Err(invalid("history_days", "at most 365"));
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=500).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 500"));
    }
    let record = match &q.run_id {
        Some(id) => p.store.get_forecast_run(id).await?,
        None => p.store.list_forecast_runs(1).await?.into_iter().next(),
    };
    let Some(record) = record else {
        return Err(match &q.run_id {
            Some(id) => ServiceError::NotFound { kind: "forecast run", id: id.clone() },
            None => ServiceError::NotFound { kind: "forecast run", id: "latest".into() },
        });
    };
    let run: RunSummary = serde_json::from_str(&record.summary).map_err(|e| {
        ServiceError::Internal(format!("the stored summary of run {} does not parse: {e}", record.run_id))
    })?;
    let base = p
        .store
        .forecast_series(&record.run_id, q.location_id.as_deref(), q.product_id.as_deref(), q.category_id.as_deref())
        .await?;
    let horizon = run.horizon_days as usize;
    let mut groups: BTreeMap<SeriesKey, Vec<StoredSeries>> = BTreeMap::new();
    let mut category_of: HashMap<String, String> = HashMap::new();
    for s in &base {
        category_of.insert(s.product_id.clone(), s.category_id.clone());
        groups.entry(level.key(&s.location_id, &s.category_id, &s.product_id)).or_default().push(parse_series(s)?);
    }
    let range = DateRange::last_days(run.as_of, history_days.max(1));
    let sold =
        if history_days == 0 { Vec::new() } else { p.store.daily_sales(range, q.location_id.as_deref()).await? };
    let mut history: HashMap<SeriesKey, Vec<f64>> = HashMap::new();
    let first = day_number(range.from);
    for s in &sold {
        let Some(category) = category_of.get(&s.product_id) else { continue };
        if q.product_id.as_ref().is_some_and(|p| p != &s.product_id) {
            continue;
        }
        let h = history
            .entry(level.key(&s.location_id, category, &s.product_id))
            .or_insert_with(|| vec![0.0; history_days as usize]);
        for &(day, units) in &s.days {
            if let Some(slot) = usize::try_from(day - first).ok().and_then(|i| h.get_mut(i)) {
                *slot += units as f64;
            }
        }
    }
    let start = run.as_of.checked_add_days(Days::new(1)).unwrap_or(run.as_of);
    let mut series: Vec<SeriesForecast> = groups
        .into_iter()
        .map(|(key, parts)| {
            let (mean, sd) = demand::sum(parts.iter().map(|s| (&s.mean[..], &s.sd[..])), horizon);
            let single = (parts.len() == 1).then(|| &parts[0]);
            SeriesForecast {
                history: history.remove(&key).unwrap_or_else(|| vec![0.0; history_days as usize]),
                key,
                start,
                intervals: demand::demand_intervals(&mean, &sd, &LEVELS).into_iter().map(round_interval).collect(),
                mean: round2(&mean),
                model: single.map(|s| s.model.clone()),
                pattern: single.map(|s| s.pattern),
                series: parts.len() as u64,
            }
        })
        .collect();
    series.sort_by(|a, b| b.mean.iter().sum::<f64>().total_cmp(&a.mean.iter().sum::<f64>()).then(a.key.cmp(&b.key)));
    series.truncate(limit as usize);
    Ok(ForecastView { run, level, series })
}

fn round_interval(i: Interval) -> Interval {
    Interval { level: i.level, lower: round2(&i.lower), upper: round2(&i.upper) }
}

/// Runs the forecast once as serving starts when the newest sales are newer than the last run (so a
/// fresh demo or a restarted server has today's plan), then every `hours` hours (0: never).
pub fn spawn_schedule(p: Arc<Platform>, hours: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if hours == 0 {
            return;
        }
        let stale = async {
            let newest = p.store.sales_days().await.ok().flatten().map(|d| day_number(d.to));
            let last = p.store.list_forecast_runs(1).await.ok().and_then(|r| r.first().map(|r| r.as_of_day));
            newest.is_some() && newest > last
        };
        if stale.await {
            scheduled(&p).await;
        }
        let period = StdDuration::from_secs(u64::from(hours) * 3600);
        loop {
            tokio::time::sleep(period).await;
            scheduled(&p).await;
        }
    })
}

async fn scheduled(p: &Platform) {
    let options = RunOptions { as_of: None, trigger: Trigger::Schedule, by: "schedule".into() };
    if let Err(e) = run(p, options).await {
        tracing::warn!(error = %e, "the scheduled forecast run failed; the previous forecasts stay");
    }
}
