//! Daily demand of many products at many locations, forecast the way a planner needs it: each series
//! cleaned of outliers, classified by its demand pattern (Syntetos–Boylan), given the model that suits
//! the pattern, new products started from their category's profile, and forecasts summed bottom-up
//! into coherent higher levels (location × category, location, total).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::events::{EventCalendar, EventEffects};
use crate::intermittent::Tsb;
use crate::{Forecast, ForecastError, Forecaster, Interval, Request, models, normal_intervals, normal_quantile};

/// A series' demand pattern, from the average interval between sales (ADI) and the squared
/// coefficient of variation of the non-zero sales (CV²), with Syntetos and Boylan's cut-offs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Sells most days with steady quantities.
    Smooth,
    /// Sells most days, quantities vary widely.
    Erratic,
    /// Sells on few days, steady quantities.
    Intermittent,
    /// Sells on few days, quantities vary widely.
    Lumpy,
    /// Too little history: forecast from its category's profile.
    New,
    /// No sales for [`Options::dead_after_days`] days.
    Inactive,
}

impl Pattern {
    pub const ALL: [Pattern; 6] =
        [Self::Smooth, Self::Erratic, Self::Intermittent, Self::Lumpy, Self::New, Self::Inactive];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smooth => "smooth",
            Self::Erratic => "erratic",
            Self::Intermittent => "intermittent",
            Self::Lumpy => "lumpy",
            Self::New => "new",
            Self::Inactive => "inactive",
        }
    }
}

const ADI_CUT: f64 = 1.32;
const CV2_CUT: f64 = 0.49;

/// How [`forecast_demand`] works.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Days ahead.
    pub horizon: usize,
    /// Interval levels wanted, e.g. 0.8 and 0.95.
    pub levels: Vec<f64>,
    /// The model for series that sell most days (smooth, erratic); `None` for the default.
    pub regular_model: Option<String>,
    /// Days of history (since the first sale) below which a series counts as new.
    pub new_below_days: usize,
    /// Days without a sale after which a series counts as inactive.
    pub dead_after_days: usize,
    /// Holidays and events whose effects [`forecast_grouped`] learns from each group's history and
    /// forecasts its total with; `None`: none. Needs [`Options::last_day`].
    pub events: Option<EventCalendar>,
    /// The day number (days since 1970-01-01) of the histories' last day, which places them in
    /// the event calendar.
    pub last_day: Option<i64>,
    /// Groups that share event effects: `event_pools[g]` names group `g`'s pool (e.g. a category
    /// across stores), whose summed history the effects are learned from, less noisy than one
    /// group's; `None` (or a group beyond the list): each group learns from its own history.
    pub event_pools: Option<Vec<usize>>,
}

/// The model regular daily series get unless told otherwise.
pub const REGULAR_DEFAULT: &str = "theta";

impl Default for Options {
    fn default() -> Self {
        Options {
            horizon: 28,
            levels: vec![0.8, 0.95],
            regular_model: None,
            new_below_days: 28,
            dead_after_days: 56,
            events: None,
            last_day: None,
            event_pools: None,
        }
    }
}

/// One series to forecast: daily units, oldest first, days without sales as 0, ending on the day
/// the forecast starts after.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    pub history: &'a [f64],
    /// What a new product of this series' category sells per day, by day ahead (at least one value;
    /// the last repeats); for [`Pattern::New`] series.
    pub cold_start: Option<&'a [f64]>,
}

/// A series' forecast, with how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandForecast {
    pub pattern: Pattern,
    pub model: String,
    /// Units per day ahead, never negative.
    pub mean: Vec<f64>,
    /// Intervals, lower bounds never negative.
    pub intervals: Vec<Interval>,
    /// Standard deviation of each day's forecast error (read back from the widest interval), for
    /// safety stock and for summing series into levels.
    pub sd: Vec<f64>,
    /// Days whose sales were capped as outliers before fitting.
    pub outliers_capped: usize,
    /// Why the pattern's model was not used, when it failed and a fallback answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// The model of the group total this series was scaled to (see [`forecast_grouped`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_model: Option<String>,
}

/// Forecasts every series, in parallel.
pub fn forecast_all(inputs: &[Input<'_>], options: &Options) -> Result<Vec<DemandForecast>, ForecastError> {
    let request = Request { horizon: options.horizon, season: 7, levels: &options.levels };
    request.check(&[0.0])?;
    let regular = options.regular_model.as_deref().unwrap_or(REGULAR_DEFAULT);
    let regular = models::by_name(regular).ok_or(ForecastError::UnknownModel(regular.to_string()))?;
    Ok(inputs.par_iter().map(|input| forecast_one(input, options, &request, regular.as_ref())).collect())
}

/// Forecasts every series, then reconciles them middle-out: the summed history of each group (e.g. a
/// store's category, `groups[i]` naming series `i`'s group) is forecast with the regular model, where
/// the weekly rhythm and the level are clear, and its members' forecasts are scaled day by day to add
/// up to it. The members keep their shares (what an intermittent model can tell) while the group sets
/// the total and its shape, and every level above adds up. Where the members forecast nothing (all of
/// them out of season) the group's forecast is shared by what they sold. Series of equal length,
/// ending on the same day.
///
/// With an event calendar ([`Options::events`] and [`Options::last_day`]) each group total is
/// forecast with the events' effects, learned from its pool's history ([`Options::event_pools`]):
/// taken out of the history before the model is fitted and put back into its forecast (see
/// [`crate::events`]), so the forecast from a week before Mid-Autumn knows the festival is coming
/// and when it ends.
pub fn forecast_grouped(
    inputs: &[Input<'_>],
    groups: &[usize],
    options: &Options,
) -> Result<Vec<DemandForecast>, ForecastError> {
    assert_eq!(inputs.len(), groups.len(), "one group per series");
    let mut members = forecast_all(inputs, options)?;
    let n_groups = groups.iter().copied().max().map_or(0, |g| g + 1);
    let mut totals: Vec<Vec<f64>> = vec![Vec::new(); n_groups];
    for (input, &g) in inputs.iter().zip(groups) {
        let total = &mut totals[g];
        if total.len() < input.history.len() {
            total.resize(input.history.len(), 0.0);
        }
        let offset = total.len() - input.history.len();
        for (t, v) in total[offset..].iter_mut().zip(input.history) {
            if v.is_finite() {
                *t += v.max(0.0);
            }
        }
    }
    let request = Request { horizon: options.horizon, season: 7, levels: &options.levels };
    let regular = options.regular_model.as_deref().unwrap_or(REGULAR_DEFAULT);
    let regular = models::by_name(regular).ok_or(ForecastError::UnknownModel(regular.to_string()))?;
    let (pool_effects, pool_of) = learn_event_effects(&totals, options);
    let group_forecasts: Vec<Option<Forecast>> = totals
        .par_iter()
        .enumerate()
        .map(|(g, y)| {
            let first = y.iter().position(|&v| v > 0.0)?;
            // A group needs a few weeks of sales before its own rhythm means more than its members'.
            if y.len() - first < options.new_below_days {
                return None;
            }
            let lived = &y[first..];
            let effects = pool_of.get(g).and_then(|&p| pool_effects.get(p)).filter(|e| !e.is_empty());
            let made = match (effects, options.last_day) {
                (Some(effects), Some(last_day)) => {
                    let adjusted = effects.adjust(lived, last_day);
                    regular.forecast(&adjusted.history, &request).ok().map(|mut f| {
                        adjusted.restore(&mut f);
                        f.model.push_str("+events");
                        f
                    })
                }
                _ => regular.forecast(lived, &request).ok(),
            };
            made.filter(|f| f.mean.iter().all(|v| v.is_finite()))
        })
        .collect();
    let mut member_sums: Vec<Vec<f64>> = vec![vec![0.0; options.horizon]; n_groups];
    for (f, &g) in members.iter().zip(groups) {
        for (s, m) in member_sums[g].iter_mut().zip(&f.mean) {
            *s += m;
        }
    }
    // What each member sold of its group's history, for days its members forecast nothing of.
    let sold: Vec<f64> =
        inputs.iter().map(|i| i.history.iter().filter(|v| v.is_finite()).map(|v| v.max(0.0)).sum()).collect();
    let mut group_sold = vec![0.0; n_groups];
    for (s, &g) in sold.iter().zip(groups) {
        group_sold[g] += s;
    }
    let group_sd: Vec<Option<Vec<f64>>> = group_forecasts.iter().map(|f| f.as_ref().map(step_sd)).collect();
    for ((f, &g), sold) in members.iter_mut().zip(groups).zip(&sold) {
        let (Some(group), Some(group_sd)) = (&group_forecasts[g], &group_sd[g]) else { continue };
        let share = if group_sold[g] > 0.0 { sold / group_sold[g] } else { 0.0 };
        let mut shared = false;
        for h in 0..options.horizon {
            let sum = member_sums[g][h];
            let total = group.mean[h].max(0.0);
            if sum > 0.0 && f.pattern != Pattern::Inactive {
                let scale = total / sum;
                f.mean[h] *= scale;
                f.sd[h] *= scale;
                for i in &mut f.intervals {
                    i.lower[h] *= scale;
                    i.upper[h] *= scale;
                }
                shared = true;
            } else if sum <= 0.0 && total > 0.0 && share > 0.0 {
                f.mean[h] = total * share;
                f.sd[h] = group_sd[h] * share;
                for (i, gi) in f.intervals.iter_mut().zip(&group.intervals) {
                    i.lower[h] = gi.lower[h].max(0.0) * share;
                    i.upper[h] = gi.upper[h].max(0.0) * share;
                }
                shared = true;
            }
        }
        if shared || f.pattern != Pattern::Inactive {
            f.group_model = Some(group.model.clone());
        }
    }
    Ok(members)
}

/// The event effects of each pool of groups, learned from the pool's summed history, and each group's
/// pool; both empty without a calendar.
fn learn_event_effects<'a>(totals: &[Vec<f64>], options: &'a Options) -> (Vec<EventEffects<'a>>, Vec<usize>) {
    let (Some(calendar), Some(last_day)) = (&options.events, options.last_day) else { return (Vec::new(), Vec::new()) };
    if calendar.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let pools = options.event_pools.as_deref().unwrap_or(&[]);
    // Groups beyond the list are pools of their own, numbered after the listed ones.
    let listed = pools.iter().copied().max().map_or(0, |p| p + 1);
    let pool_of: Vec<usize> = (0..totals.len()).map(|g| pools.get(g).copied().unwrap_or(listed + g)).collect();
    let n_pools = pool_of.iter().copied().max().map_or(0, |p| p + 1);
    let mut sums: Vec<Vec<f64>> = vec![Vec::new(); n_pools];
    for (y, &p) in totals.iter().zip(&pool_of) {
        let sum = &mut sums[p];
        if sum.len() < y.len() {
            sum.splice(0..0, std::iter::repeat_n(0.0, y.len() - sum.len()));
        }
        let offset = sum.len() - y.len();
        for (s, v) in sum[offset..].iter_mut().zip(y) {
            *s += v;
        }
    }
    let effects = sums
        .par_iter()
        .map(|y| {
            let first = y.iter().position(|&v| v > 0.0).unwrap_or(y.len());
            EventEffects::learn(calendar, &y[first..], last_day)
        })
        .collect();
    (effects, pool_of)
}

/// Forecasts one series (see [`forecast_all`]).
pub fn forecast_demand(input: &Input<'_>, options: &Options) -> Result<DemandForecast, ForecastError> {
    Ok(forecast_all(std::slice::from_ref(input), options)?.remove(0))
}

fn forecast_one(
    input: &Input<'_>,
    options: &Options,
    request: &Request<'_>,
    regular: &dyn Forecaster,
) -> DemandForecast {
    // Negative days (more returns than sales) and non-finite values carry no demand signal.
    let raw: Vec<f64> = input.history.iter().map(|&v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
    let first_sale = raw.iter().position(|&v| v > 0.0);
    let pattern = classify(&raw, first_sale, options);
    let lived = first_sale.map_or(&raw[raw.len()..], |i| &raw[i..]);
    let (clean, outliers_capped) = cap_outliers(lived);
    let made = match pattern {
        Pattern::Inactive => Ok(flat("none", 0.0, 0.0, request)),
        Pattern::New => Ok(cold_start(lived, input.cold_start, request)),
        Pattern::Intermittent | Pattern::Lumpy => Tsb.forecast(&clean, request),
        Pattern::Smooth | Pattern::Erratic => regular.forecast(&clean, request),
    };
    let (forecast, fallback) = match made {
        Ok(f) if f.mean.iter().all(|v| v.is_finite()) => (f, None),
        Ok(_) => (moving_average(&clean, request), Some("the model returned non-finite values".to_string())),
        Err(e) => (moving_average(&clean, request), Some(e.to_string())),
    };
    let sd = step_sd(&forecast);
    let clip = |v: Vec<f64>| v.into_iter().map(|x| if x.is_finite() { x.max(0.0) } else { 0.0 }).collect::<Vec<_>>();
    DemandForecast {
        pattern,
        model: forecast.model,
        mean: clip(forecast.mean),
        intervals: forecast
            .intervals
            .into_iter()
            .map(|i| Interval { level: i.level, lower: clip(i.lower), upper: clip(i.upper) })
            .collect(),
        sd,
        outliers_capped,
        fallback,
        group_model: None,
    }
}

/// The pattern of a series (values already non-negative).
pub fn classify(y: &[f64], first_sale: Option<usize>, options: &Options) -> Pattern {
    let Some(first) = first_sale else { return Pattern::Inactive };
    if y.len() - first < options.new_below_days {
        return Pattern::New;
    }
    let last_sale = y.iter().rposition(|&v| v > 0.0).unwrap_or(first);
    if y.len() - 1 - last_sale >= options.dead_after_days {
        return Pattern::Inactive;
    }
    let sold: Vec<f64> = y[first..].iter().copied().filter(|&v| v > 0.0).collect();
    let adi = (y.len() - first) as f64 / sold.len() as f64;
    let mean = sold.iter().sum::<f64>() / sold.len() as f64;
    let cv2 = sold.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / sold.len() as f64 / (mean * mean);
    match (adi > ADI_CUT, cv2 > CV2_CUT) {
        (false, false) => Pattern::Smooth,
        (false, true) => Pattern::Erratic,
        (true, false) => Pattern::Intermittent,
        (true, true) => Pattern::Lumpy,
    }
}

/// Longest empty-shelf stretch whose days are read as lost demand: a shelf empty for longer is more
/// likely a product leaving the range, and its zeros should let the series go inactive.
pub const MAX_CENSORED_DAYS: usize = 28;

/// Sales with the days the shelf stood empty read as demand: on such a day (`censored` lists
/// stretches as inclusive index ranges into `y`) sales are only a floor, so each day of a stretch
/// gets at least what its weekday sold on average over the 28 uncensored days before the stretch
/// (after it, for a stretch at the very start). Only the first [`MAX_CENSORED_DAYS`] days of a
/// stretch are filled. Returns the series and the number of days raised.
pub fn uncensor(y: &[f64], censored: &[(usize, usize)]) -> (Vec<f64>, usize) {
    let mut out = y.to_vec();
    if y.is_empty() || censored.is_empty() {
        return (out, 0);
    }
    let spans = || censored.iter().copied().filter(|&(from, to)| from < y.len() && from <= to);
    let mut empty = vec![false; y.len()];
    for (from, to) in spans() {
        empty[from..=to.min(y.len() - 1)].fill(true);
    }
    let mut raised = 0;
    for (from, to) in spans() {
        let to = to.min(y.len() - 1).min(from + MAX_CENSORED_DAYS - 1);
        let usable = |t: &usize| !empty[*t] && y[*t].is_finite();
        let mut reference: Vec<usize> = (0..from).rev().filter(usable).take(28).collect();
        if reference.is_empty() {
            reference = (to + 1..y.len()).filter(usable).take(28).collect();
        }
        if reference.is_empty() {
            continue;
        }
        let mut by_weekday = [(0.0, 0usize); 7];
        for &t in &reference {
            by_weekday[t % 7].0 += y[t].max(0.0);
            by_weekday[t % 7].1 += 1;
        }
        let overall = reference.iter().map(|&t| y[t].max(0.0)).sum::<f64>() / reference.len() as f64;
        for (t, value) in out.iter_mut().enumerate().take(to + 1).skip(from) {
            let (sum, n) = by_weekday[t % 7];
            let rate = if n > 0 { sum / n as f64 } else { overall };
            if value.is_nan() || *value < rate {
                *value = rate;
                raised += 1;
            }
        }
    }
    (out, raised)
}

/// Caps days far above the series' typical sale (median + 10 × MAD of the non-zero days): a bulk
/// order or a data-entry error must not become next month's forecast.
fn cap_outliers(y: &[f64]) -> (Vec<f64>, usize) {
    let mut sold: Vec<f64> = y.iter().copied().filter(|&v| v > 0.0).collect();
    if sold.len() < 8 {
        return (y.to_vec(), 0);
    }
    let median = median_of(&mut sold);
    let mut deviations: Vec<f64> = sold.iter().map(|v| (v - median).abs()).collect();
    let mad = median_of(&mut deviations).max(1.0);
    let cap = median + 10.0 * mad;
    let capped = y.iter().filter(|&&v| v > cap).count();
    (y.iter().map(|&v| v.min(cap)).collect(), capped)
}

fn median_of(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// A constant forecast with normal intervals of a constant error.
fn flat(model: &str, level: f64, sd: f64, request: &Request<'_>) -> Forecast {
    let mean = vec![level; request.horizon];
    let sd = vec![sd; request.horizon];
    Forecast { model: model.to_string(), intervals: normal_intervals(&mean, &sd, request.levels), mean }
}

/// The category's profile for a new product, scaled towards what it has sold so far once it has sold
/// for a week; errors as for Poisson demand at that rate.
fn cold_start(lived: &[f64], profile: Option<&[f64]>, request: &Request<'_>) -> Forecast {
    let own = (lived.len() >= 7).then(|| lived.iter().sum::<f64>() / lived.len() as f64);
    let Some(profile) = profile.filter(|p| !p.is_empty()) else {
        let rate = own.unwrap_or_else(|| lived.iter().sum::<f64>() / lived.len().max(1) as f64);
        return flat("new:own_mean", rate, rate.sqrt(), request);
    };
    let at = |h: usize| profile[h.min(profile.len() - 1)].max(0.0);
    let profile_mean = (0..request.horizon).map(at).sum::<f64>() / request.horizon as f64;
    // Weight the product's own rate by how much of the new-product window it has lived.
    let scale = match own {
        Some(rate) if profile_mean > 0.0 => {
            let w = (lived.len() as f64 / 28.0).min(1.0);
            (1.0 - w) + w * rate / profile_mean
        }
        _ => 1.0,
    };
    let mean: Vec<f64> = (0..request.horizon).map(|h| at(h) * scale).collect();
    let sd: Vec<f64> = mean.iter().map(|m| m.sqrt()).collect();
    Forecast { model: "new:category_profile".into(), intervals: normal_intervals(&mean, &sd, request.levels), mean }
}

/// The last four weeks' mean with the spread of their days: the fallback when a model fails.
fn moving_average(y: &[f64], request: &Request<'_>) -> Forecast {
    let tail = &y[y.len().saturating_sub(28)..];
    if tail.is_empty() {
        return flat("moving_average", 0.0, 0.0, request);
    }
    let mean = tail.iter().sum::<f64>() / tail.len() as f64;
    let sd = (tail.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / tail.len() as f64).sqrt();
    flat("moving_average", mean, sd, request)
}

/// Each step's error standard deviation read back from the widest interval.
fn step_sd(f: &Forecast) -> Vec<f64> {
    let Some(widest) = f.intervals.iter().max_by(|a, b| a.level.total_cmp(&b.level)) else {
        return vec![0.0; f.mean.len()];
    };
    let z = 2.0 * normal_quantile(widest.level);
    widest
        .upper
        .iter()
        .zip(&widest.lower)
        .map(|(u, l)| {
            let sd = (u - l) / z;
            if sd.is_finite() { sd.max(0.0) } else { 0.0 }
        })
        .collect()
}

/// The sum of several series' forecasts, each as (mean, sd) per step: means add up, and so do error
/// variances (errors taken as independent), so every level comes from the forecasts below it.
pub fn sum<'a>(parts: impl IntoIterator<Item = (&'a [f64], &'a [f64])>, horizon: usize) -> (Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0; horizon];
    let mut variance = vec![0.0; horizon];
    for (m, sd) in parts {
        for h in 0..horizon.min(m.len()).min(sd.len()) {
            mean[h] += m[h];
            variance[h] += sd[h] * sd[h];
        }
    }
    (mean, variance.into_iter().map(f64::sqrt).collect())
}

/// Normal intervals around a demand forecast, lower bounds cut at zero.
pub fn demand_intervals(mean: &[f64], sd: &[f64], levels: &[f64]) -> Vec<Interval> {
    normal_intervals(mean, sd, levels)
        .into_iter()
        .map(|i| Interval { lower: i.lower.into_iter().map(|v| v.max(0.0)).collect(), ..i })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::day_number;

    fn options() -> Options {
        Options { horizon: 14, ..Options::default() }
    }

    fn weekly(days: usize, level: f64) -> Vec<f64> {
        (0..days).map(|d| level * [0.8, 0.9, 1.0, 1.0, 1.1, 1.5, 1.7][d % 7]).collect()
    }

    fn one(history: &[f64], cold_start: Option<&[f64]>) -> DemandForecast {
        forecast_demand(&Input { history, cold_start }, &options()).unwrap()
    }

    #[test]
    fn patterns_follow_adi_and_cv2() {
        let o = options();
        let smooth = weekly(120, 10.0);
        assert_eq!(classify(&smooth, Some(0), &o), Pattern::Smooth);
        let erratic: Vec<f64> = (0..120).map(|d| if d % 3 == 0 { 40.0 } else { 2.0 }).collect();
        assert_eq!(classify(&erratic, Some(0), &o), Pattern::Erratic);
        let intermittent: Vec<f64> = (0..120).map(|d| if d % 4 == 0 { 3.0 } else { 0.0 }).collect();
        assert_eq!(classify(&intermittent, Some(0), &o), Pattern::Intermittent);
        let lumpy: Vec<f64> = (0..120).map(|d| [0.0, 0.0, 1.0, 0.0, 0.0, 30.0][d % 6]).collect();
        assert_eq!(classify(&lumpy, Some(2), &o), Pattern::Lumpy);
        assert_eq!(classify(&smooth[..20], Some(0), &o), Pattern::New);
        let mut stopped = smooth.clone();
        stopped.extend(std::iter::repeat_n(0.0, 56));
        assert_eq!(classify(&stopped, Some(0), &o), Pattern::Inactive);
        assert_eq!(classify(&[0.0; 90], None, &o), Pattern::Inactive);
    }

    #[test]
    fn a_regular_series_keeps_its_weekly_shape_and_level() {
        let f = one(&weekly(364, 10.0), None);
        assert_eq!(f.pattern, Pattern::Smooth);
        assert_eq!(f.mean.len(), 14);
        let week: f64 = f.mean[..7].iter().sum();
        assert!((week - 80.0).abs() < 2.0, "a week's forecast is the weekly total, got {week}");
        let peak = f.mean[..7].iter().cloned().fold(0.0, f64::max);
        assert!(peak > 15.0, "the weekend peak survives, got {peak}");
        assert!(f.fallback.is_none());
    }

    #[test]
    fn bad_and_degenerate_series_get_forecasts_without_nan() {
        let cases: Vec<Vec<f64>> = vec![
            vec![],
            vec![0.0; 200],
            vec![5.0],
            vec![3.0, 4.0],
            vec![f64::NAN, -4.0, 2.0, f64::INFINITY, 3.0],
            (0..200).map(|d| if d == 150 { -30.0 } else { 4.0 }).collect(),
        ];
        for history in cases {
            let f = one(&history, None);
            assert!(f.mean.iter().all(|v| v.is_finite() && *v >= 0.0), "{history:?} gave {f:?}");
            assert!(f.sd.iter().all(|v| v.is_finite() && *v >= 0.0));
            for i in &f.intervals {
                assert!(i.lower.iter().chain(&i.upper).all(|v| v.is_finite() && *v >= 0.0));
            }
        }
        assert_eq!(one(&[0.0; 200], None).mean, vec![0.0; 14], "an inactive series forecasts nothing");
    }

    #[test]
    fn outliers_are_capped_before_fitting() {
        let mut history = weekly(364, 10.0);
        history[360] = 5_000.0;
        let f = one(&history, None);
        assert_eq!(f.outliers_capped, 1);
        assert!(f.mean.iter().all(|&v| v < 40.0), "the spike does not drive the forecast: {:?}", f.mean);
    }

    #[test]
    fn new_products_start_from_their_category_and_learn_their_own_rate() {
        let profile = [2.0, 2.0, 3.0];
        let unborn = one(&[0.0, 0.0, 1.0], Some(&profile));
        assert_eq!(unborn.pattern, Pattern::New);
        assert_eq!(unborn.model, "new:category_profile");
        assert!((unborn.mean[0] - 2.0).abs() < 1e-9 && (unborn.mean[13] - 3.0).abs() < 1e-9);
        let selling_fast: Vec<f64> = vec![12.0; 21];
        let f = one(&selling_fast, Some(&profile));
        let ratio = f.mean[5] / 3.0;
        assert!(ratio > 2.0, "three weeks at 12 a day pull the category's 3 a day up, got {:?}", f.mean);
        let without = one(&selling_fast, None);
        assert!((without.mean[0] - 12.0).abs() < 1e-9, "without a profile, its own mean");
    }

    #[test]
    fn levels_sum_means_and_variances() {
        let a = one(&weekly(364, 10.0), None);
        let b = one(&weekly(364, 30.0), None);
        let (mean, sd) = sum([(&a.mean[..], &a.sd[..]), (&b.mean[..], &b.sd[..])], 14);
        let intervals = demand_intervals(&mean, &sd, &[0.95]);
        for (h, m) in mean.iter().enumerate() {
            assert!((m - a.mean[h] - b.mean[h]).abs() < 1e-9);
        }
        let width = |i: &Interval, h: usize| i.upper[h] - i.lower[h];
        let wa = width(&a.intervals[1], 0);
        let wb = width(&b.intervals[1], 0);
        let total = width(&intervals[0], 0);
        assert!(total <= wa + wb + 1e-9 && total >= wa.max(wb) - 1e-9, "{total} vs {wa} and {wb}");
    }

    #[test]
    fn grouped_members_add_up_to_their_group_and_keep_their_shares() {
        // Two members of one group, one of another: a steady seller and an intermittent one.
        let steady = weekly(364, 10.0);
        let sparse: Vec<f64> = (0..364).map(|d| if d % 4 == 0 { 12.0 } else { 0.0 }).collect();
        let alone = weekly(364, 5.0);
        let inputs = [
            Input { history: &steady, cold_start: None },
            Input { history: &sparse, cold_start: None },
            Input { history: &alone, cold_start: None },
        ];
        let o = options();
        let grouped = forecast_grouped(&inputs, &[0, 0, 1], &o).unwrap();
        let total: Vec<f64> = steady.iter().zip(&sparse).map(|(a, b)| a + b).collect();
        let group = models::by_name(REGULAR_DEFAULT)
            .unwrap()
            .forecast(&total, &Request { horizon: 14, season: 7, levels: &o.levels })
            .unwrap();
        for h in 0..14 {
            let sum = grouped[0].mean[h] + grouped[1].mean[h];
            assert!((sum - group.mean[h]).abs() < 1e-6, "day {h}: members {sum} vs group {}", group.mean[h]);
        }
        let plain = forecast_all(&inputs, &o).unwrap();
        let share = |f: &[DemandForecast], h: usize| f[1].mean[h] / (f[0].mean[h] + f[1].mean[h]);
        assert!((share(&grouped, 3) - share(&plain, 3)).abs() < 1e-9, "members keep their shares");
        assert_eq!(grouped[0].group_model.as_deref(), Some(group.model.as_str()));
        let week: f64 = grouped[2].mean[..7].iter().sum();
        assert!((week - 40.0).abs() < 2.0, "a group of one is its own forecast, got {week}");
    }

    #[test]
    fn the_group_rhythm_reaches_intermittent_members() {
        let a: Vec<f64> = (0..364).map(|d| [0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 10.0][d % 7]).collect();
        // A steady seller keeps the group total positive: theta's multiplicative seasonal
        // adjustment leaves a series with zero days unadjusted, and flat.
        let b: Vec<f64> = (0..364).map(|d| [2.0, 2.0, 3.0, 2.0, 2.0, 2.0, 8.0][d % 7]).collect();
        let inputs = [Input { history: &a, cold_start: None }, Input { history: &b, cold_start: None }];
        let plain = forecast_all(&inputs, &options()).unwrap();
        assert_eq!(plain[0].pattern, Pattern::Intermittent);
        assert!(plain[0].mean.iter().all(|&v| (v - plain[0].mean[0]).abs() < 1e-9), "alone, a flat rate");
        let grouped = forecast_grouped(&inputs, &[0, 0], &options()).unwrap();
        let week = &grouped[0].mean[..7];
        let (low, high) = week.iter().fold((f64::MAX, 0.0_f64), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(high > 3.0 * low.max(0.1), "the weekend peak of the group shows: {week:?}");
    }

    /// Two years of a weekly rhythm ending on `last_day`, with Mid-Autumn's stock-up planted: sales
    /// climb to `peak` times the ordinary level over the 20 days before the festival, then halve
    /// for three days.
    fn with_mid_autumn(last_day: i64, level: f64, peak: f64) -> Vec<f64> {
        let festivals = EventCalendar::china_retail().days("mid_autumn").to_vec();
        (0..728)
            .map(|i| {
                let day = last_day - 727 + i as i64;
                let effect = festivals
                    .iter()
                    .map(|&f| match day - f {
                        o @ -20..=-1 => 1.0 + (peak - 1.0) * (o + 21) as f64 / 20.0,
                        0..=2 => 0.5,
                        _ => 1.0,
                    })
                    .product::<f64>();
                level * [0.8, 0.9, 1.0, 1.0, 1.1, 1.5, 1.7][i % 7] * effect
            })
            .collect()
    }

    fn with_events(last_day: i64) -> Options {
        Options {
            horizon: 28,
            events: Some(EventCalendar::china_retail()),
            last_day: Some(last_day),
            ..Options::default()
        }
    }

    #[test]
    fn a_group_forecast_knows_the_festival_is_coming() {
        // From 2026-09-10, Mid-Autumn (09-25) is 15 days ahead; last year's (2025-10-06) is in the
        // history.
        let last_day = day_number(2026, 9, 10);
        let a = with_mid_autumn(last_day, 20.0, 3.0);
        let b = with_mid_autumn(last_day, 10.0, 3.0);
        let inputs = [Input { history: &a, cold_start: None }, Input { history: &b, cold_start: None }];
        let plain = forecast_grouped(&inputs, &[0, 0], &Options { horizon: 28, ..Options::default() }).unwrap();
        let with = forecast_grouped(&inputs, &[0, 0], &with_events(last_day)).unwrap();
        let total = |f: &[DemandForecast], days: std::ops::Range<usize>| -> f64 {
            f.iter().map(|m| m.mean[days.clone()].iter().sum::<f64>()).sum()
        };
        // Days 9..=14 ahead are 6..=1 days before the festival: planted at about 2.5–3× ordinary.
        let ordinary_week = 30.0 * 8.0;
        let run_up = total(&with, 8..14) / (ordinary_week * 6.0 / 7.0);
        assert!((2.2..3.2).contains(&run_up), "the run-up is forecast: {run_up:.2}× ordinary");
        assert!(total(&plain, 8..14) < 0.8 * total(&with, 8..14), "a plain model does not see it coming");
        // Days 15..=17 are the festival's three quiet days, then ordinary weeks again.
        let quiet = total(&with, 14..17) / total(&with, 21..24);
        assert!((0.3..0.8).contains(&quiet), "the festival days are quiet: {quiet:.2}");
        let after = total(&with, 17..24) / ordinary_week;
        assert!((0.85..1.2).contains(&after), "then back to ordinary: {after:.2}");
        assert!(with[0].group_model.as_deref().is_some_and(|m| m.ends_with("+events")));
        for f in &with {
            assert!(f.mean.iter().chain(&f.sd).all(|v| v.is_finite() && *v >= 0.0));
        }
    }

    #[test]
    fn no_occurrence_in_the_history_changes_nothing() {
        // 120 days ending in early August: no complete occurrence of any festival with an effect
        // in a series that has none.
        let a = weekly(120, 10.0);
        let inputs = [Input { history: &a, cold_start: None }];
        let plain = forecast_grouped(&inputs, &[0], &options()).unwrap();
        let o = Options { horizon: 14, ..with_events(day_number(2026, 8, 5)) };
        let with = forecast_grouped(&inputs, &[0], &o).unwrap();
        assert_eq!(plain, with);
        // Nor does a calendar without the last day.
        let o = Options { horizon: 14, last_day: None, ..with_events(0) };
        assert_eq!(plain, forecast_grouped(&inputs, &[0], &o).unwrap());
    }

    #[test]
    fn out_of_season_members_get_their_groups_forecast_by_what_they_sold() {
        // Sold only in the five weeks before Mid-Autumn: inactive for months when the next season
        // starts, yet the group knows it is coming.
        let festivals = EventCalendar::china_retail().days("mid_autumn").to_vec();
        let last_day = day_number(2026, 9, 5);
        let seasonal = |scale: f64| -> Vec<f64> {
            (0..728)
                .map(|i| {
                    let day = last_day - 727 + i as i64;
                    let o = festivals.iter().map(|f| day - f).find(|o| (-35..0).contains(o));
                    o.map_or(0.0, |o| scale * (36 + o) as f64)
                })
                .collect()
        };
        let (a, b) = (seasonal(2.0), seasonal(1.0));
        let inputs = [Input { history: &a, cold_start: None }, Input { history: &b, cold_start: None }];
        let f = forecast_grouped(&inputs, &[0, 0], &with_events(last_day)).unwrap();
        // 09-06 .. 09-24 are offsets -19..-1 of this year's festival.
        let sold: f64 = f.iter().map(|m| m.mean[..19].iter().sum::<f64>()).sum();
        let planted: f64 = (-19..0).map(|o: i64| 3.0 * (36 + o) as f64).sum();
        assert!((sold / planted - 1.0).abs() < 0.25, "the season is forecast: {sold:.0} vs {planted:.0}");
        let share = f[0].mean[10] / (f[0].mean[10] + f[1].mean[10]);
        assert!((share - 2.0 / 3.0).abs() < 0.01, "shared by what each sold: {share}");
        assert!(f[0].mean[25] < 0.1 * f[0].mean[15], "and over after the festival: {:?}", f[0].mean);
    }

    #[test]
    fn pooled_groups_share_their_effects() {
        // A big store and a small one: the small one's festival is learned from the pool.
        let last_day = day_number(2026, 9, 10);
        let big = with_mid_autumn(last_day, 40.0, 3.0);
        // The small store's own history shows no festival (its last season was lost, say).
        let small = weekly(728, 2.0);
        let inputs = [Input { history: &big, cold_start: None }, Input { history: &small, cold_start: None }];
        let alone = forecast_grouped(&inputs, &[0, 1], &with_events(last_day)).unwrap();
        let pooled =
            forecast_grouped(&inputs, &[0, 1], &Options { event_pools: Some(vec![0, 0]), ..with_events(last_day) })
                .unwrap();
        let run_up = |f: &DemandForecast| f.mean[8..14].iter().sum::<f64>() / f.mean[21..27].iter().sum::<f64>();
        assert!(run_up(&alone[1]) < 1.3, "alone, the small store sees no festival: {:.2}", run_up(&alone[1]));
        assert!(run_up(&pooled[1]) > 1.8, "pooled, it gets the chain's: {:.2}", run_up(&pooled[1]));
    }

    #[test]
    fn empty_shelf_days_are_read_as_the_weekdays_usual_demand() {
        let mut y = weekly(70, 10.0);
        // Sold out at noon on day 49 (3 of the usual 8 sold), nothing on days 50 to 55.
        y[49] = 3.0;
        y[50..56].fill(0.0);
        let (filled, raised) = uncensor(&y, &[(49, 55)]);
        assert_eq!(raised, 7);
        let usual = weekly(70, 10.0);
        for t in 49..56 {
            assert!((filled[t] - usual[t]).abs() < 1e-9, "day {t}: {} against {}", filled[t], usual[t]);
        }
        assert_eq!(filled[..49], y[..49], "days before are untouched");
        // A forecast from the filled history is not dragged down by the empty week.
        let censored = one(&y, None).mean.iter().sum::<f64>();
        let uncensored = one(&filled, None).mean.iter().sum::<f64>();
        let truth: f64 = weekly(84, 10.0)[70..].iter().sum();
        assert!((uncensored - truth).abs() < (censored - truth).abs(), "{uncensored} {censored} {truth}");
        // Days above the usual are left as they are; a stretch at the start learns from after it;
        // long stretches are filled only for their first weeks; spans beyond the end are ignored.
        let (kept, raised) = uncensor(&[50.0, 1.0, 1.0], &[(0, 0)]);
        assert_eq!((kept, raised), (vec![50.0, 1.0, 1.0], 0));
        let (start, _) = uncensor(&[0.0, 0.0, 4.0, 4.0], &[(0, 1)]);
        assert_eq!(start, [4.0, 4.0, 4.0, 4.0]);
        let mut gone = vec![5.0; 14];
        gone.extend(vec![0.0; 100]);
        let (filled, raised) = uncensor(&gone, &[(14, 113)]);
        assert_eq!(raised, MAX_CENSORED_DAYS);
        assert_eq!(filled[14 + MAX_CENSORED_DAYS], 0.0);
        assert_eq!(uncensor(&[1.0], &[(5, 9)]), (vec![1.0], 0));
        assert_eq!(uncensor(&[1.0, 2.0], &[(1, 0)]), (vec![1.0, 2.0], 0), "a reversed span is no span");
        assert_eq!(uncensor(&[], &[(0, 0)]), (vec![], 0));
        assert_eq!(uncensor(&[0.0, 0.0], &[(0, 1)]).1, 0, "nothing uncensored to learn from");
    }

    #[test]
    fn an_unknown_model_is_named() {
        let o = Options { regular_model: Some("nope".into()), ..options() };
        let got = forecast_all(&[Input { history: &[1.0], cold_start: None }], &o);
        assert_eq!(got.unwrap_err(), ForecastError::UnknownModel("nope".into()));
    }
}
