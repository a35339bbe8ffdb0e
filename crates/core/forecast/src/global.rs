//! One gradient-boosted model ([`crate::gbt`]) across a panel of series, the approach that won M5:
//! every series contributes training rows, each series scaled by its own recent level so a
//! department selling 50 a week and one selling 50,000 teach the same model.
//!
//! A row is a series at a forecast origin and a step ahead, and sees only values known at the origin
//! (a direct forecast; the step ahead is a feature, so one model serves every step): the last values and their rolling means and spread, the same period
//! last year and its neighbours, the year-on-year growth, the calendar (and events) of the target step
//! and of its step a year earlier, the series' exogenous inputs (price, promotion) at the target step
//! and against their recent level, its static attributes (store, category), and its age. Exogenous
//! values after the origin are the caller's plan, so a what-if (a promotion, a price change) is a
//! second forecast from the same fitted model with other planned values.
//!
//! Prediction intervals come from the model's own out-of-sample errors: a second model fitted
//! `horizon` steps earlier forecasts the last `horizon` steps before the origin, and each step's
//! scaled errors give its quantiles.

use rayon::prelude::*;

use crate::backtest::{Backtest, Tally};
use crate::gbt::{Booster, Data, GbtError, Params};
use crate::{Forecast, ForecastError, Forecaster, Interval, Request};

/// Series on a shared time index, with what is known about every step of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Steps of the index: history and the horizon after it.
    pub steps: usize,
    /// Per-step features shared by every series (calendar, holidays, events), `steps` values each.
    pub calendar: Vec<Variable>,
    /// Names of each series' exogenous inputs.
    pub exogenous: Vec<String>,
    /// Names of each series' static attributes.
    pub statics: Vec<String>,
    pub series: Vec<PanelSeries>,
}

/// A named value per step.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PanelSeries {
    pub id: String,
    /// The step of `values[0]`.
    pub start: usize,
    /// Observations from `start` on, oldest first; only those before a forecast origin are read.
    pub values: Vec<f64>,
    /// One value per [`Panel::statics`] name: category codes (store, department) or sizes.
    pub statics: Vec<f64>,
    /// Per [`Panel::exogenous`] name, `steps` values (NaN where unknown); after the origin, the plan.
    pub exogenous: Vec<Vec<f64>>,
}

/// What the model is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Steps ahead, at least 1.
    pub horizon: usize,
    /// Steps in a year: 52 for weekly data, 364 for daily (whole weeks keep weekdays aligned).
    pub year: usize,
    /// Steps in the short cycle whose last value is a feature (7 for daily data's weekdays), 1 for none.
    pub cycle: usize,
    /// Last values taken as features.
    pub lags: usize,
    /// Windows of the rolling means before the origin; the spread is taken over the second.
    pub windows: Vec<usize>,
    /// Training origins go back at most this many steps before the forecast origin.
    pub training_steps: usize,
    pub boost: Params,
}

impl Config {
    /// Weekly data with a yearly pattern.
    pub fn weekly(horizon: usize) -> Self {
        Self {
            horizon,
            year: 52,
            cycle: 1,
            lags: 8,
            windows: vec![4, 13, 26, 52],
            training_steps: 3 * 52,
            boost: boost_defaults(),
        }
    }

    /// Daily data with weekly and yearly patterns.
    pub fn daily(horizon: usize) -> Self {
        Self {
            horizon,
            year: 364,
            cycle: 7,
            lags: 14,
            windows: vec![7, 28, 91, 364],
            training_steps: 2 * 364,
            boost: boost_defaults(),
        }
    }
}

fn boost_defaults() -> Params {
    Params {
        rounds: 100,
        learning_rate: 0.15,
        max_leaves: 31,
        min_leaf_rows: 50,
        row_fraction: 0.2,
        feature_fraction: 0.8,
        ..Params::default()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GlobalError {
    #[error("the panel is malformed: {0}")]
    Panel(String),
    #[error("the origin {origin} leaves no room for {horizon} steps in a panel of {steps}")]
    Origin { origin: usize, horizon: usize, steps: usize },
    #[error("the horizon must be at least 1")]
    NoHorizon,
    #[error("no series has history before the origin to learn from")]
    NoHistory,
    #[error(transparent)]
    Boost(#[from] GbtError),
}

/// The fitted model, and its scaled errors for intervals.
#[derive(Debug, Clone)]
pub struct GlobalModel {
    config: Config,
    origin: usize,
    booster: Booster,
    /// Per step ahead, sorted scaled out-of-sample errors (actual − forecast); empty when not asked.
    errors: Vec<Vec<f64>>,
}

/// The name forecasts carry.
pub const NAME: &str = "gbt_global";

impl GlobalModel {
    /// Fits on the values before `origin`; with `intervals`, also a model `horizon` steps earlier to
    /// measure its errors (twice the work).
    pub fn fit(panel: &Panel, origin: usize, config: &Config, intervals: bool) -> Result<Self, GlobalError> {
        check(panel, origin, config)?;
        let booster = fit_before(panel, origin, config)?;
        let mut model = Self { config: config.clone(), origin, booster, errors: Vec::new() };
        if intervals {
            model.errors = out_of_sample_errors(panel, origin, config)?;
        }
        Ok(model)
    }

    /// Forecasts every series `horizon` steps from the fitted origin, with intervals at `levels` (of
    /// zero width when fitted without them); a series without values before the origin is an error. Exogenous values after
    /// the origin are read from `panel`, so a what-if is this call on a panel with other plans.
    pub fn forecast(&self, panel: &Panel, levels: &[f64]) -> Vec<Result<Forecast, ForecastError>> {
        if let Some(&level) = levels.iter().find(|&&l| !(l > 0.0 && l < 1.0)) {
            return vec![Err(ForecastError::BadLevel(level)); panel.series.len()];
        }
        let features = Features { panel, config: &self.config };
        let points = predict(&features, &self.booster, self.origin);
        points
            .into_iter()
            .map(|point| {
                let (mean, scale) = point.ok_or(ForecastError::Empty)?;
                let intervals = levels
                    .iter()
                    .map(|&level| {
                        let bound = |q: f64| -> Vec<f64> {
                            (0..mean.len())
                                .map(|h| mean[h] + scale * quantile(self.errors.get(h).map_or(&[], Vec::as_slice), q))
                                .collect()
                        };
                        let (lower, upper) = (bound((1.0 - level) / 2.0), bound((1.0 + level) / 2.0));
                        Interval {
                            level,
                            lower: lower.iter().zip(&mean).map(|(l, m)| l.min(*m)).collect(),
                            upper: upper.iter().zip(&mean).map(|(u, m)| u.max(*m)).collect(),
                        }
                    })
                    .collect();
                let model = if scale == 0.0 { format!("{NAME}[no sales in history: zero]") } else { NAME.into() };
                Ok(Forecast { model, mean, intervals })
            })
            .collect()
    }
}

/// The empirical `q`-quantile of sorted values, 0 for none.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((q * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

fn check(panel: &Panel, origin: usize, config: &Config) -> Result<(), GlobalError> {
    if config.horizon == 0 {
        return Err(GlobalError::NoHorizon);
    }
    if origin + config.horizon > panel.steps {
        return Err(GlobalError::Origin { origin, horizon: config.horizon, steps: panel.steps });
    }
    let bad = |message: String| Err(GlobalError::Panel(message));
    if let Some(v) = panel.calendar.iter().find(|v| v.values.len() != panel.steps) {
        return bad(format!("calendar {:?} has {} steps, the panel {}", v.name, v.values.len(), panel.steps));
    }
    for s in &panel.series {
        if s.statics.len() != panel.statics.len() || s.exogenous.len() != panel.exogenous.len() {
            return bad(format!("series {:?} does not have the panel's statics and exogenous inputs", s.id));
        }
        if s.exogenous.iter().any(|x| x.len() != panel.steps) {
            return bad(format!("series {:?} has exogenous inputs not {} steps long", s.id, panel.steps));
        }
        if let Some(i) = s.values.iter().position(|v| !v.is_finite()) {
            return bad(format!("series {:?} holds a value that is not a finite number at {i}", s.id));
        }
    }
    Ok(())
}

/// A booster trained on the origins before `origin` (at most `training_steps` back) and the steps
/// ahead of each whose target is before `origin` too.
fn fit_before(panel: &Panel, origin: usize, config: &Config) -> Result<Booster, GlobalError> {
    let first = origin.saturating_sub(config.training_steps).max(1);
    let rows = Features { panel, config }.rows(first..origin, Some(origin));
    if rows.target.is_empty() {
        return Err(GlobalError::NoHistory);
    }
    let data = Data { columns: &rows.columns, target: &rows.target, weight: Some(&rows.weight), offset: None };
    Ok(Booster::fit(&data, &config.boost)?)
}

/// Per series, the forecast `horizon` steps from `origin` in its own units and its scale; `None` for
/// a series without history before the origin.
fn predict(features: &Features<'_>, booster: &Booster, origin: usize) -> Vec<Option<(Vec<f64>, f64)>> {
    let horizon = features.config.horizon;
    let mut forecasts: Vec<Option<(Vec<f64>, f64)>> = features
        .panel
        .series
        .iter()
        .map(|s| (origin > s.start).then(|| (Vec::with_capacity(horizon), features.scale(s, origin))))
        .collect();
    let rows = features.rows(origin..origin + 1, None);
    for (&index, p) in rows.series.iter().zip(booster.predict(&rows.columns, None)) {
        if let Some((mean, scale)) = &mut forecasts[index] {
            mean.push(if p.is_finite() { p * *scale } else { 0.0 });
        }
    }
    forecasts
}

/// Per step ahead, the sorted scaled errors of a model fitted `horizon` steps before `origin`
/// forecasting each origin since then as far as the values before `origin` reach.
fn out_of_sample_errors(panel: &Panel, origin: usize, config: &Config) -> Result<Vec<Vec<f64>>, GlobalError> {
    let mut errors = vec![Vec::new(); config.horizon];
    let Some(earlier) = origin.checked_sub(config.horizon).filter(|&e| e > 0) else { return Ok(errors) };
    let booster = match fit_before(panel, earlier, config) {
        Ok(booster) => booster,
        Err(GlobalError::NoHistory) => return Ok(errors),
        Err(e) => return Err(e),
    };
    let features = Features { panel, config };
    for cut in earlier..origin {
        for (s, forecast) in panel.series.iter().zip(predict(&features, &booster, cut)) {
            let Some((mean, scale)) = forecast.filter(|f| f.1 > 0.0) else { continue };
            for (h, m) in mean.iter().enumerate() {
                if let Some(&actual) = (cut + h < origin).then(|| s.values.get(cut + h - s.start)).flatten() {
                    errors[h].push((actual - m) / scale);
                }
            }
        }
    }
    errors.iter_mut().for_each(|e| e.sort_by(f64::total_cmp));
    Ok(errors)
}

/// Rows in columns, with each row's series, scaled target and weight.
#[derive(Default)]
struct Rows {
    columns: Vec<Vec<f32>>,
    series: Vec<usize>,
    target: Vec<f64>,
    weight: Vec<f64>,
}

struct Features<'a> {
    panel: &'a Panel,
    config: &'a Config,
}

impl Features<'_> {
    /// A row per series, origin in `origins` and step ahead, the steps of a series and origin
    /// consecutive. For training (`before` the step targets must precede), only rows with a known
    /// target and a positive scale; otherwise every series with history before the origin.
    fn rows(&self, origins: std::ops::Range<usize>, before: Option<usize>) -> Rows {
        let blocks: Vec<Rows> = self
            .panel
            .series
            .par_iter()
            .enumerate()
            .map(|(index, s)| {
                let mut rows = Rows::default();
                for origin in origins.clone().filter(|&o| o > s.start) {
                    let scale = self.scale(s, origin);
                    for h in 1..=self.config.horizon {
                        let target = s.values.get(origin + h - 1 - s.start).copied();
                        let training = before.is_some();
                        if training && (target.is_none() || scale == 0.0 || before.is_some_and(|b| origin + h > b)) {
                            continue;
                        }
                        let mut row = Vec::new();
                        self.row(s, origin, h, scale.max(f64::MIN_POSITIVE), &mut row);
                        if rows.columns.is_empty() {
                            rows.columns = vec![Vec::new(); row.len()];
                        }
                        rows.columns.iter_mut().zip(row).for_each(|(c, v)| c.push(v));
                        rows.series.push(index);
                        rows.target.push(target.unwrap_or(0.0) / scale.max(f64::MIN_POSITIVE));
                        rows.weight.push(scale);
                    }
                }
                rows
            })
            .collect();
        let mut all = Rows::default();
        for block in blocks {
            if all.columns.is_empty() {
                all.columns = vec![Vec::new(); block.columns.len()];
            }
            all.columns.iter_mut().zip(block.columns).for_each(|(c, b)| c.extend(b));
            all.series.extend(block.series);
            all.target.extend(block.target);
            all.weight.extend(block.weight);
        }
        // Scaled errors count by the series' size: the loss then follows the errors in units sold.
        let mean_weight = all.weight.iter().sum::<f64>() / all.weight.len().max(1) as f64;
        all.weight.iter_mut().for_each(|w| *w /= mean_weight.max(f64::MIN_POSITIVE));
        all
    }

    /// The mean absolute value over the last year before `origin` (over all of it when that is 0):
    /// 0 for a series that never sold.
    fn scale(&self, s: &PanelSeries, origin: usize) -> f64 {
        let known = &s.values[..(origin - s.start).min(s.values.len())];
        let mean_abs = |v: &[f64]| v.iter().map(|x| x.abs()).sum::<f64>() / v.len().max(1) as f64;
        let recent = mean_abs(&known[known.len().saturating_sub(self.config.year)..]);
        if recent > 0.0 { recent } else { mean_abs(known) }
    }

    /// The features of series `s` at `origin` for the step `h` ahead, values divided by `scale`.
    fn row(&self, s: &PanelSeries, origin: usize, h: usize, scale: f64, row: &mut Vec<f32>) {
        let c = self.config;
        let known = &s.values[..(origin - s.start).min(s.values.len())];
        let n = (origin - s.start) as isize;
        // The scaled value at a step of the series' own index, NaN where unknown.
        let value = |i: isize| if i >= 0 && (i as usize) < known.len() { known[i as usize] / scale } else { f64::NAN };
        let mean = |from: isize, to: isize| {
            let values: Vec<f64> = (from..to).map(value).filter(|v| v.is_finite()).collect();
            if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
        };
        let target = (origin + h - 1) as isize - s.start as isize;
        let year = c.year as isize;
        let mut push = |v: f64| row.push(v as f32);
        push(h as f64);
        push(n as f64);
        (1..=c.lags as isize).for_each(|k| push(value(n - k)));
        for &w in &c.windows {
            push(mean(n - w as isize, n));
        }
        let spread_window = c.windows.get(1).copied().unwrap_or(c.lags) as isize;
        let recent_mean = mean(n - spread_window, n);
        let spread = (n - spread_window..n).map(value).filter(|v| v.is_finite()).map(|v| (v - recent_mean).powi(2));
        push(crate::baselines::root_mean_square(spread));
        if c.cycle > 1 {
            let cycle = c.cycle as isize;
            let last_same = target - cycle * ((target - n) / cycle + 1);
            push(value(last_same));
            push(mean_of_steps(&value, last_same, cycle, 4));
        }
        (-1..=1).for_each(|d| push(value(target - year + d)));
        push(value(target - 2 * year));
        // Growth: the last window against the same window a year earlier, and last year's value grown
        // by it (the trend-scaled seasonal naive, scaled).
        let w = c.windows.first().copied().unwrap_or(4) as isize;
        let growth = mean(n - w, n) / mean(n - w - year, n - year);
        let growth = if growth.is_finite() && growth > 0.0 { growth } else { f64::NAN };
        push(growth);
        push(value(target - year) * growth);
        let step = origin + h - 1;
        for variable in &self.panel.calendar {
            push(variable.values[step]);
            push(step.checked_sub(c.year).map_or(f64::NAN, |t| variable.values[t]));
        }
        for x in &s.exogenous {
            let recent: Vec<f64> =
                x[origin.saturating_sub(w as usize)..origin].iter().copied().filter(|v| v.is_finite()).collect();
            let level = recent.iter().sum::<f64>() / recent.len() as f64;
            push(x[step]);
            push(x[step] - level);
        }
        s.statics.iter().for_each(|&v| push(v));
    }
}

/// The mean of up to `count` known values `every` steps apart going back from `from`.
fn mean_of_steps(value: &dyn Fn(isize) -> f64, from: isize, every: isize, count: usize) -> f64 {
    let values: Vec<f64> = (0..count as isize).map(|k| value(from - k * every)).filter(|v| v.is_finite()).collect();
    if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// Calendar variables of the days `days` (numbered as [`crate::events::day_number`] numbers them):
/// day of week, of month and of year, month, and days until Christmas.
pub fn calendar(days: &[i64]) -> Vec<Variable> {
    use crate::events::{civil_date, day_number};
    let each = |name: &str, f: &dyn Fn(i64) -> f64| Variable {
        name: name.into(),
        values: days.iter().map(|&d| f(d)).collect(),
    };
    let christmas = |d: i64| {
        let (year, ..) = civil_date(d);
        let this = day_number(year, 12, 25);
        (if d <= this { this - d } else { day_number(year + 1, 12, 25) - d }) as f64
    };
    vec![
        each("day_of_week", &|d| (d + 3).rem_euclid(7) as f64),
        each("day_of_month", &|d| f64::from(civil_date(d).2)),
        each("day_of_year", &|d| (d - day_number(civil_date(d).0, 1, 1)) as f64),
        each("month", &|d| f64::from(civil_date(d).1)),
        each("days_to_christmas", &christmas),
    ]
}

/// Rolling-origin backtest on shared origins: `origins` consecutive cuts `horizon` steps apart, the
/// last leaving `horizon` values before the panel's last observed step; at each, a model fitted on
/// the values before the cut forecasts every series that runs to that last step and holds more than
/// `horizon × origins` values (as [`crate::backtest::rolling_origin`] filters), scored as it scores.
/// The first score is the model's alone; then, per partner (a per-series model forecasting from the
/// same history with season `config.year`), the equal-weight mean of the two. `progress` is called
/// with the number of origins done.
pub fn rolling_origin(
    panel: &Panel,
    config: &Config,
    origins: usize,
    partners: &[&dyn Forecaster],
    progress: &dyn Fn(usize),
) -> Result<Vec<Backtest>, GlobalError> {
    let end = panel.series.iter().map(|s| s.start + s.values.len()).max().unwrap_or(0);
    let span = config.horizon * origins;
    let scored: Vec<usize> = (0..panel.series.len())
        .filter(|&i| panel.series[i].start + panel.series[i].values.len() == end && panel.series[i].values.len() > span)
        .collect();
    let mut tallies: Vec<Tally> = (0..=partners.len()).map(|_| Tally::default()).collect();
    let request = Request { horizon: config.horizon, season: config.year, levels: &[] };
    for k in 0..origins {
        let origin = end - span + k * config.horizon;
        let model = GlobalModel::fit(panel, origin, config, false)?;
        let forecasts = model.forecast(panel, &[]);
        for &i in &scored {
            let s = &panel.series[i];
            let cut = origin - s.start;
            let (history, actual) = (&s.values[..cut], &s.values[cut..cut + config.horizon]);
            let own = match &forecasts[i] {
                Ok(f) => f,
                Err(e) => {
                    tallies[0].failures.push((format!("{} at origin {cut}", s.id), e.to_string()));
                    continue;
                }
            };
            tallies[0].add(history, actual, &own.mean);
            for (tally, partner) in tallies[1..].iter_mut().zip(partners) {
                match partner.forecast(history, &request) {
                    Ok(p) => {
                        let mean: Vec<f64> = own.mean.iter().zip(&p.mean).map(|(a, b)| (a + b) / 2.0).collect();
                        tally.add(history, actual, &mean);
                    }
                    Err(e) => tally.failures.push((format!("{} at origin {cut}", s.id), e.to_string())),
                }
            }
        }
        progress(k + 1);
    }
    let names = std::iter::once(NAME.to_string()).chain(partners.iter().map(|p| format!("{NAME}+{}", p.name())));
    Ok(tallies.into_iter().zip(names).map(|(tally, name)| tally.backtest(name, scored.len())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Daily series of very different sizes with a weekly pattern; a promotion (exogenous 1) doubles
    /// sales on the days it runs, every ninth day. The last 14 of `steps` days are the horizon.
    fn daily_panel(steps: usize) -> Panel {
        let days: Vec<i64> = (0..steps as i64).map(|d| 15_000 + d).collect();
        let promotion: Vec<f64> = (0..steps).map(|t| f64::from(u8::from(t % 9 == 0))).collect();
        let series = (0..6)
            .map(|i| {
                let size = 10f64.powi(i % 3 + 1);
                let values =
                    (0..steps - 14).map(|t| size * (1.0 + 0.3 * (t % 7) as f64 / 6.0) * (1.0 + promotion[t])).collect();
                PanelSeries {
                    id: format!("s{i}"),
                    start: 0,
                    values,
                    statics: vec![i as f64 % 3.0],
                    exogenous: vec![promotion.clone()],
                }
            })
            .collect();
        Panel {
            steps,
            calendar: calendar(&days),
            exogenous: vec!["promotion".into()],
            statics: vec!["category".into()],
            series,
        }
    }

    fn small(horizon: usize) -> Config {
        Config {
            lags: 7,
            training_steps: 200,
            boost: Params { rounds: 150, learning_rate: 0.2, min_leaf_rows: 5, ..Config::daily(horizon).boost },
            ..Config::daily(horizon)
        }
    }

    #[test]
    fn learns_the_weekly_pattern_and_the_promotion_across_sizes_and_answers_what_if() {
        let mut panel = daily_panel(240);
        let origin = 226;
        let model = GlobalModel::fit(&panel, origin, &small(7), true).unwrap();
        let forecasts = model.forecast(&panel, &[0.8]);
        for (s, f) in panel.series.iter().zip(&forecasts) {
            let f = f.as_ref().unwrap();
            assert_eq!(f.model, NAME);
            let size = 10f64.powi(s.statics[0] as i32 + 1);
            for (h, m) in f.mean.iter().enumerate() {
                let t = origin + h;
                let want = size * (1.0 + 0.3 * (t % 7) as f64 / 6.0) * (1.0 + panel.series[0].exogenous[0][t]);
                assert!((m - want).abs() < 0.1 * want, "{}: step {h}: {m} against {want}", s.id);
                assert!(f.intervals[0].lower[h] <= *m && *m <= f.intervals[0].upper[h]);
            }
        }
        // What if a promotion ran on day 230 (step 5): that day's forecast doubles, no other changes.
        for s in &mut panel.series {
            s.exogenous[0][230] = 1.0;
        }
        let promoted = model.forecast(&panel, &[]);
        let (plain, promoted) = (&forecasts[0].as_ref().unwrap().mean, &promoted[0].as_ref().unwrap().mean);
        assert!((promoted[4] / plain[4] - 2.0).abs() < 0.2, "{plain:?} → {promoted:?}");
        assert!((promoted[0] - plain[0]).abs() < 1e-9, "other days are untouched");
    }

    #[test]
    fn zero_short_and_late_series_are_handled_and_bad_panels_named() {
        let mut panel = daily_panel(240);
        panel.series[1].values = vec![0.0; 200];
        panel.series[2].start = 220;
        panel.series[2].values = vec![5.0, 6.0];
        panel.series[3].start = 230;
        panel.series[3].values.clear();
        let model = GlobalModel::fit(&panel, 226, &small(3), false).unwrap();
        let forecasts = model.forecast(&panel, &[0.9]);
        assert!(forecasts[1].as_ref().unwrap().mean.iter().all(|&m| m == 0.0));
        assert!(forecasts[1].as_ref().unwrap().model.contains("no sales"));
        assert!(forecasts[2].as_ref().unwrap().mean.iter().all(|m| m.is_finite()));
        assert_eq!(forecasts[3], Err(ForecastError::Empty));
        assert!(matches!(GlobalModel::fit(&panel, 239, &small(3), false), Err(GlobalError::Origin { .. })));
        panel.series[0].exogenous[0].pop();
        assert!(matches!(GlobalModel::fit(&panel, 226, &small(3), false), Err(GlobalError::Panel(_))));
    }

    #[test]
    fn rolling_origin_scores_series_that_run_to_the_end() {
        let mut panel = daily_panel(240);
        panel.series[5].values.truncate(100);
        let naive = crate::baselines::Naive;
        let scores =
            rolling_origin(&panel, &Config { training_steps: 100, ..small(7) }, 2, &[&naive], &|_| {}).unwrap();
        let (alone, with_naive) = (&scores[0], &scores[1]);
        assert_eq!((alone.series, alone.forecasts, with_naive.forecasts), (5, 10, 10));
        assert!(alone.one_minus_wape > 0.9, "{alone:?}");
        assert_eq!(with_naive.model, "gbt_global+naive");
    }
}
