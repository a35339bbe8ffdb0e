//! Seasonal-trend decomposition by Loess: STL (Cleveland, Cleveland, McRae & Terpenning 1990), its
//! extension to several seasonal periods, MSTL (Bandara, Hyndman & Bergmeir 2021), and a forecaster on
//! top of MSTL as statsforecast's `MSTL` model runs it.
//!
//! - [`Stl`] follows the original Fortran: an inner loop of detrending, Loess smoothing of each
//!   cycle-subseries (extended one cycle each way), a low-pass filter (moving averages of the period,
//!   the period and 3, then Loess) taken off the smoothed subseries, deseasonalising and Loess
//!   smoothing of the trend; optionally an outer loop that reweights observations by the bisquare of
//!   their remainders. Every fit is made at every point (no jumps).
//! - [`Mstl::decompose`] takes the periods in ascending order and, for a few passes, puts each
//!   seasonal component back into the adjusted series and estimates it again by STL with seasonal
//!   window `7 + 4·i` for the i-th period (1-based), as R's `forecast::mstl` and statsmodels do.
//!   Periods longer than half the series are dropped, as there, unless [`Mstl::min_cycles`] is 1.
//! - [`Mstl`] forecasts each seasonal component by repeating its last cycle and the seasonally adjusted
//!   series (trend plus remainder) by non-seasonal AutoETS, statsforecast's default
//!   (`AutoETS(model="ZZN")`); its intervals are the ETS ones shifted by the seasonal forecast.

use crate::ets::AutoEts;
use crate::{Forecast, ForecastError, Forecaster, Request};

/// The local polynomial each Loess fit uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degree {
    Constant,
    Linear,
}

/// STL's parameters for one seasonal period. Windows count observations and are odd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stl {
    pub period: usize,
    /// Span of the Loess fit across cycles for each position in the cycle (every Monday, ...): the
    /// larger, the more slowly the seasonal pattern may change.
    pub seasonal_window: usize,
    pub seasonal_degree: Degree,
    pub trend_window: usize,
    pub low_pass_window: usize,
    /// Passes of the inner loop per outer pass.
    pub inner_passes: usize,
    /// Outer passes that reweight observations by their remainders; 0 for none.
    pub robustness_passes: usize,
}

/// A series as seasonal component, trend and remainder, which add up to the series.
#[derive(Debug, Clone, PartialEq)]
pub struct StlFit {
    pub seasonal: Vec<f64>,
    pub trend: Vec<f64>,
    pub remainder: Vec<f64>,
}

/// The smallest odd number at least `value` and at least 3.
fn odd_at_least(value: usize) -> usize {
    let value = value.max(3);
    value | 1
}

impl Stl {
    /// R's `stl` defaults around `seasonal_window` (made odd, at least 3): trend window the smallest odd
    /// number at least `1.5·period / (1 − 1.5/seasonal_window)` (Cleveland et al.'s choice), low-pass
    /// window the smallest odd number above the period, local constants across cycles and lines for the
    /// low-pass filter and the trend, two inner passes and no robustness passes. (statsmodels fits
    /// lines across cycles too; with the two or three cycles weekly retail series hold, those lines
    /// extrapolate last year's noise: MASE 2.98 instead of 2.42 on M4 Weekly.)
    pub fn new(period: usize, seasonal_window: usize) -> Self {
        let seasonal_window = odd_at_least(seasonal_window);
        let trend_window = (1.5 * period as f64 / (1.0 - 1.5 / seasonal_window as f64)).ceil() as usize;
        Stl {
            period,
            seasonal_window,
            seasonal_degree: Degree::Constant,
            trend_window: odd_at_least(trend_window),
            low_pass_window: odd_at_least(period + 1),
            inner_passes: 2,
            robustness_passes: 0,
        }
    }

    /// Cleveland et al.'s robust setting: one inner pass in each of 15 reweighting passes.
    pub fn robust(self) -> Self {
        Stl { inner_passes: 1, robustness_passes: 15, ..self }
    }

    /// Decomposes `y`. Panics unless the period is at least 2 and `y` holds a full cycle; with fewer than
    /// two, the positions in the cycle seen once are seasonal naive on the detrended series.
    pub fn decompose(&self, y: &[f64]) -> StlFit {
        let (n, period) = (y.len(), self.period);
        assert!(period >= 2 && n >= period, "STL needs a period of at least 2 and a cycle of data");
        let mut seasonal = vec![0.0; n];
        let mut trend = vec![0.0; n];
        let mut weights: Option<Vec<f64>> = None;
        for pass in 0..=self.robustness_passes {
            for _ in 0..self.inner_passes {
                (seasonal, trend) = self.inner_pass(y, &trend, weights.as_deref());
            }
            if pass < self.robustness_passes {
                weights = Some(robustness_weights(y, &seasonal, &trend));
            }
        }
        let remainder = (0..n).map(|t| y[t] - seasonal[t] - trend[t]).collect();
        StlFit { seasonal, trend, remainder }
    }

    /// One pass of the inner loop from the current trend: the new seasonal component and trend.
    fn inner_pass(&self, y: &[f64], trend: &[f64], weights: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
        let (n, period) = (y.len(), self.period);
        let detrended: Vec<f64> = y.iter().zip(trend).map(|(v, t)| v - t).collect();
        // Each cycle-subseries smoothed and extended by one cycle at both ends: `cycles[t + period]`
        // is the smoothed value at time t, for t from −period to n + period − 1.
        let mut cycles = vec![0.0; n + 2 * period];
        for phase in 0..period {
            let subseries: Vec<f64> = detrended.iter().skip(phase).step_by(period).copied().collect();
            let sub_weights: Option<Vec<f64>> =
                weights.map(|w| w.iter().skip(phase).step_by(period).copied().collect());
            for (slot, position) in (-1..=subseries.len() as isize).enumerate() {
                cycles[phase + slot * period] =
                    loess_at(&subseries, sub_weights.as_deref(), position, self.seasonal_window, self.seasonal_degree);
            }
        }
        // What the subseries share at low frequency is trend, not season.
        let averaged = moving_average(&moving_average(&moving_average(&cycles, period), period), 3);
        let low_pass = smooth(&averaged, None, self.low_pass_window, Degree::Linear);
        let seasonal: Vec<f64> = (0..n).map(|t| cycles[t + period] - low_pass[t]).collect();
        let adjusted: Vec<f64> = y.iter().zip(&seasonal).map(|(v, s)| v - s).collect();
        let trend = smooth(&adjusted, weights, self.trend_window, Degree::Linear);
        (seasonal, trend)
    }
}

/// Bisquare weights of the remainders scaled by six times their median absolute value: outliers get
/// little or no weight in the next pass.
fn robustness_weights(y: &[f64], seasonal: &[f64], trend: &[f64]) -> Vec<f64> {
    let residuals: Vec<f64> = (0..y.len()).map(|t| (y[t] - seasonal[t] - trend[t]).abs()).collect();
    let mut sorted = residuals.clone();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    let median =
        if sorted.len().is_multiple_of(2) { (sorted[middle - 1] + sorted[middle]) / 2.0 } else { sorted[middle] };
    let h = 6.0 * median;
    residuals
        .iter()
        .map(|&r| {
            if r <= 0.001 * h {
                1.0
            } else if r <= 0.999 * h {
                (1.0 - (r / h).powi(2)).powi(2)
            } else {
                0.0
            }
        })
        .collect()
}

/// Means of every `length` consecutive values: `length − 1` fewer values.
fn moving_average(values: &[f64], length: usize) -> Vec<f64> {
    values.windows(length).map(|w| w.iter().sum::<f64>() / length as f64).collect()
}

/// The Loess fit at every position of `y`.
fn smooth(y: &[f64], weights: Option<&[f64]>, window: usize, degree: Degree) -> Vec<f64> {
    (0..y.len() as isize).map(|position| loess_at(y, weights, position, window, degree)).collect()
}

/// The Loess fit at `position` (which may lie outside the data) from `y` observed at 0, 1, …: a local
/// constant or line through the `window` nearest observations, weighted by the tricube of their
/// distance over the farthest one's (times `weights`). A window wider than the data widens that
/// distance by half the excess, as STL's Fortran does. Where every weight is 0 (all robustness weights
/// zero), the nearest observation.
fn loess_at(y: &[f64], weights: Option<&[f64]>, position: isize, window: usize, degree: Degree) -> f64 {
    let n = y.len();
    let span = window.min(n) as isize;
    let left = (position - (span - 1) / 2).clamp(0, n as isize - span);
    let right = left + span - 1;
    let mut h = (position - left).max(right - position) as f64;
    if window > n {
        h += ((window - n) / 2) as f64;
    }
    // Weighted sums of 1, d, d², y and d·y, with d the distance from `position`.
    let (mut s0, mut s1, mut s2, mut sy, mut sdy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for j in left..=right {
        let d = (j - position) as f64;
        let r = d.abs();
        let tricube = if r <= 0.001 * h {
            1.0
        } else if r <= 0.999 * h {
            (1.0 - (r / h).powi(3)).powi(3)
        } else {
            0.0
        };
        let w = tricube * weights.map_or(1.0, |w| w[j as usize]);
        let v = y[j as usize];
        s0 += w;
        s1 += w * d;
        s2 += w * d * d;
        sy += w * v;
        sdy += w * d * v;
    }
    if s0 <= 0.0 {
        return y[position.clamp(0, n as isize - 1) as usize];
    }
    let (mean_d, mean_y) = (s1 / s0, sy / s0);
    let variance = s2 / s0 - mean_d * mean_d;
    // A line only where the points spread enough in time to fix its slope (the Fortran's test).
    if degree == Degree::Linear && h > 0.0 && variance.sqrt() > 0.001 * (n as f64 - 1.0) {
        let covariance = sdy / s0 - mean_d * mean_y;
        // The line at d = 0.
        mean_y - mean_d * covariance / variance
    } else {
        mean_y
    }
}

/// A series as seasonal components (one per period kept, ascending), trend and remainder, which add up
/// to the series.
#[derive(Debug, Clone, PartialEq)]
pub struct Decomposition {
    pub periods: Vec<usize>,
    pub seasonals: Vec<Vec<f64>>,
    pub trend: Vec<f64>,
    pub remainder: Vec<f64>,
}

impl Decomposition {
    /// The seasonally adjusted series: trend plus remainder.
    pub fn adjusted(&self) -> Vec<f64> {
        self.trend.iter().zip(&self.remainder).map(|(t, r)| t + r).collect()
    }

    /// The seasonal components' sum `horizon` steps on, each repeating its last cycle.
    pub fn seasonal_forecast(&self, horizon: usize) -> Vec<f64> {
        let n = self.trend.len();
        (0..horizon).map(|h| self.periods.iter().zip(&self.seasonals).map(|(&p, s)| s[n - p + h % p]).sum()).collect()
    }
}

/// The seasonal periods MSTL looks for when a request names `season`: a weekly cycle in daily data (7)
/// comes with a yearly one (365 days); none for 0 or 1.
pub fn periods_for(season: usize) -> Vec<usize> {
    match season {
        0 | 1 => Vec::new(),
        7 => vec![7, 365],
        s => vec![s],
    }
}

/// MSTL's settings, and forecasts by MSTL: see the module documentation. The forecast's model names the
/// periods kept and the ETS form, e.g. `MSTL(7,365)+ETS(A,Ad,N)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mstl {
    /// Passes over the seasonal components.
    pub passes: usize,
    pub robust: bool,
    /// Full cycles of data a period needs to be kept: 2 as R's `mstl`, or 1, which lets weekly
    /// series with one to two years of history keep their yearly cycle (0 counts as 1).
    pub min_cycles: usize,
}

impl Default for Mstl {
    fn default() -> Self {
        Mstl { passes: 2, robust: false, min_cycles: 2 }
    }
}

impl Mstl {
    /// MSTL of `y` with the given seasonal periods: those of at least 2 that `y` holds
    /// [`Mstl::min_cycles`] times are kept, in ascending order, and each is re-estimated in each pass
    /// (one pass when only one is kept: a second would fit the same series again). Without a period
    /// kept, the trend is the series itself.
    pub fn decompose(&self, y: &[f64], periods: &[usize]) -> Decomposition {
        let cycles = self.min_cycles.max(1);
        let mut periods: Vec<usize> = periods.iter().copied().filter(|&p| p >= 2 && cycles * p <= y.len()).collect();
        periods.sort_unstable();
        periods.dedup();
        let mut seasonals = vec![vec![0.0; y.len()]; periods.len()];
        let mut adjusted = y.to_vec();
        let mut trend = adjusted.clone();
        let passes = if periods.len() > 1 { self.passes.max(1) } else { 1 };
        for _ in 0..passes {
            for (i, (&period, seasonal)) in periods.iter().zip(&mut seasonals).enumerate() {
                adjusted.iter_mut().zip(seasonal.iter()).for_each(|(a, s)| *a += s);
                let stl = Stl::new(period, 7 + 4 * (i + 1));
                let fit = if self.robust { stl.robust() } else { stl }.decompose(&adjusted);
                adjusted.iter_mut().zip(&fit.seasonal).for_each(|(a, s)| *a -= s);
                *seasonal = fit.seasonal;
                trend = fit.trend;
            }
        }
        let remainder = adjusted.iter().zip(&trend).map(|(a, t)| a - t).collect();
        Decomposition { periods, seasonals, trend, remainder }
    }
}

impl Forecaster for Mstl {
    fn name(&self) -> &str {
        if self.min_cycles <= 1 { "mstl_one_cycle" } else { "mstl" }
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        let decomposition = self.decompose(y, &periods_for(request.season));
        let mut forecast =
            AutoEts::default().forecast(&decomposition.adjusted(), &Request { season: 1, ..*request })?;
        let seasonal = decomposition.seasonal_forecast(request.horizon);
        let reseasonalise = |values: &mut Vec<f64>| values.iter_mut().zip(&seasonal).for_each(|(v, s)| *v += s);
        reseasonalise(&mut forecast.mean);
        for interval in &mut forecast.intervals {
            reseasonalise(&mut interval.lower);
            reseasonalise(&mut interval.upper);
        }
        let periods: Vec<String> = decomposition.periods.iter().map(usize::to_string).collect();
        forecast.model = format!("MSTL({})+{}", periods.join(","), forecast.model);
        Ok(forecast)
    }
}

#[cfg(test)]
mod tests {
    use std::f64::consts::TAU;

    use proptest::prelude::*;

    use super::*;
    use crate::baselines::SeasonalNaive;
    use crate::baselines::tests::{noise, request};
    use crate::metrics::mean_absolute_error;

    fn max_difference(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
    }

    #[test]
    fn loess_reproduces_lines_and_extrapolates_them() {
        let line: Vec<f64> = (0..9).map(|t| 3.0 - 0.5 * f64::from(t)).collect();
        for (position, window) in [(4, 5), (0, 5), (-1, 5), (9, 13), (2, 3)] {
            let fitted = loess_at(&line, None, position, window, Degree::Linear);
            assert!((fitted - (3.0 - 0.5 * position as f64)).abs() < 1e-9, "at {position}, window {window}");
        }
        // A local constant is a weighted mean: symmetric weights around the middle give its value.
        assert!((loess_at(&line, None, 4, 5, Degree::Constant) - 1.0).abs() < 1e-12);
        // Zero weight everywhere falls back to the nearest observation.
        assert_eq!(loess_at(&line, Some(&[0.0; 9]), 10, 5, Degree::Linear), line[8]);
    }

    #[test]
    fn stl_splits_a_fixed_season_from_a_linear_trend() {
        let profile = [4.0, -1.0, 2.0, -3.0, -2.0];
        let y: Vec<f64> = (0..60).map(|t| 10.0 + 0.3 * t as f64 + profile[t % 5]).collect();
        // Lines across cycles follow the trend each cycle-subseries carries exactly.
        let fit = Stl { seasonal_degree: Degree::Linear, ..Stl::new(5, 11) }.decompose(&y);
        let expected_trend: Vec<f64> = (0..60).map(|t| 10.0 + 0.3 * t as f64).collect();
        assert!(max_difference(&fit.trend, &expected_trend) < 1e-6, "{:?}", fit.trend);
        assert!(fit.seasonal.iter().enumerate().all(|(t, s)| (s - profile[t % 5]).abs() < 1e-6));
        assert!(fit.remainder.iter().all(|r| r.abs() < 1e-6));
    }

    #[test]
    fn robust_stl_leaves_an_outlier_in_the_remainder() {
        let profile = [5.0, -5.0, 1.0, -1.0];
        let mut y: Vec<f64> = noise(80, 3).iter().enumerate().map(|(t, e)| 50.0 + profile[t % 4] + 2.0 * e).collect();
        y[41] += 40.0;
        let stl = Stl::new(4, 7);
        let (plain, robust) = (stl.decompose(&y), stl.robust().decompose(&y));
        let error = |fit: &StlFit| (fit.seasonal[41] - profile[1]).abs();
        assert!(error(&plain) > 5.0, "the outlier leaks into the plain fit's season: {}", error(&plain));
        assert!(error(&robust) < 1.5, "{}", error(&robust));
        assert!(robust.remainder[41] > 35.0, "{}", robust.remainder[41]);
        for fit in [&plain, &robust] {
            assert!((0..80).all(|t| (fit.seasonal[t] + fit.trend[t] + fit.remainder[t] - y[t]).abs() < 1e-9));
        }
    }

    /// Three years and four weeks of daily data: a rising trend, a weekly and a yearly cycle, noise.
    fn two_seasons() -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = 3 * 365 + 28;
        let trend: Vec<f64> = (0..n).map(|t| 200.0 + 0.05 * t as f64).collect();
        let weekly: Vec<f64> = (0..n).map(|t| 20.0 * (TAU * t as f64 / 7.0).sin()).collect();
        let yearly: Vec<f64> = (0..n).map(|t| 50.0 * (TAU * t as f64 / 365.0).sin()).collect();
        let y = noise(n, 7).iter().enumerate().map(|(t, e)| trend[t] + weekly[t] + yearly[t] + 3.0 * e).collect();
        (y, trend, weekly, yearly)
    }

    #[test]
    fn mstl_recovers_a_planted_weekly_and_yearly_season() {
        let (y, trend, weekly, yearly) = two_seasons();
        let d = Mstl::default().decompose(&y, &[365, 7, 10_000]);
        assert_eq!(d.periods, [7, 365], "ascending, and a period longer than half the series dropped");
        let rms =
            |a: &[f64], b: &[f64]| (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt();
        assert!(rms(&d.seasonals[0], &weekly) < 0.8, "weekly {}", rms(&d.seasonals[0], &weekly));
        assert!(rms(&d.seasonals[1], &yearly) < 2.0, "yearly {}", rms(&d.seasonals[1], &yearly));
        assert!(rms(&d.trend, &trend) < 0.5, "trend {}", rms(&d.trend, &trend));
        for (t, value) in y.iter().enumerate() {
            let total = d.seasonals[0][t] + d.seasonals[1][t] + d.trend[t] + d.remainder[t];
            assert!((total - value).abs() < 1e-9);
        }
    }

    #[test]
    fn mstl_forecasts_beat_seasonal_naive_on_two_seasons() {
        let (y, ..) = two_seasons();
        let (history, actual) = y.split_at(y.len() - 28);
        let mstl = Mstl::default().forecast(history, &request(28, 7)).unwrap();
        assert!(mstl.model.starts_with("MSTL(7,365)+ETS("), "{}", mstl.model);
        let snaive = SeasonalNaive.forecast(history, &request(28, 7)).unwrap();
        let (mstl_error, snaive_error) =
            (mean_absolute_error(actual, &mstl.mean), mean_absolute_error(actual, &snaive.mean));
        assert!(mstl_error < 0.5 * snaive_error, "MSTL {mstl_error}, seasonal naive {snaive_error}");
    }

    #[test]
    fn short_daily_series_keep_only_the_weekly_cycle_and_season_1_none() {
        let y: Vec<f64> = (0..100).map(|t| 10.0 + [3.0, 0.0, -1.0, -1.0, 0.0, 1.0, -2.0][t % 7]).collect();
        let weekly = Mstl::default().forecast(&y, &request(7, 7)).unwrap();
        assert!(weekly.model.starts_with("MSTL(7)+"), "{}", weekly.model);
        assert!(max_difference(&weekly.mean, &y[93..]) < 1e-6, "{:?}", weekly.mean);
        let plain = Mstl::default().forecast(&y, &request(7, 1)).unwrap();
        assert!(plain.model.starts_with("MSTL()+ETS("), "{}", plain.model);
    }

    #[test]
    fn a_period_seen_once_is_kept_only_when_one_cycle_is_enough() {
        let pattern = noise(52, 5);
        let weekly = |t: usize| 100.0 + 20.0 * pattern[t % 52];
        let (history, actual): (Vec<f64>, Vec<f64>) = ((0..80).map(weekly).collect(), (80..93).map(weekly).collect());
        let two = Mstl::default().forecast(&history, &request(13, 52)).unwrap();
        assert!(two.model.starts_with("MSTL()+"), "{}", two.model);
        let one = Mstl { min_cycles: 1, ..Mstl::default() }.forecast(&history, &request(13, 52)).unwrap();
        assert!(one.model.starts_with("MSTL(52)+"), "{}", one.model);
        let (one_error, two_error) = (mean_absolute_error(&actual, &one.mean), mean_absolute_error(&actual, &two.mean));
        assert!(one_error < 0.25 * two_error, "one cycle {one_error}, two {two_error}");
    }

    #[test]
    fn bad_input_gives_an_error_or_finite_forecasts() {
        assert_eq!(Mstl::default().forecast(&[], &request(3, 7)), Err(ForecastError::Empty));
        let series: [&[f64]; 6] =
            [&[4.0], &[4.0, -3.0], &[0.0; 30], &[5.0; 30], &[-0.02, 0.01, -0.03, 0.04, 0.0, -0.01], &[1e150, -1e150]];
        for y in series {
            for season in [1, 2, 7, 52] {
                let forecast = Mstl::default().forecast(y, &request(3, season)).unwrap();
                assert!(forecast.mean.iter().all(|v| v.is_finite()), "{y:?}: {:?}", forecast.mean);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn forecasts_are_finite_and_inside_their_intervals(
            y in prop::collection::vec(prop_oneof![Just(0.0), -1e3..1e3f64, 0.0..1e6f64], 1..60),
            season in 1usize..10,
            horizon in 1usize..10,
            robust in any::<bool>(),
            min_cycles in 1usize..=2,
        ) {
            let forecast = Mstl { passes: 2, robust, min_cycles }.forecast(&y, &request(horizon, season)).unwrap();
            prop_assert_eq!(forecast.mean.len(), horizon);
            for interval in &forecast.intervals {
                for h in 0..horizon {
                    let (lower, mean, upper) = (interval.lower[h], forecast.mean[h], interval.upper[h]);
                    prop_assert!(lower.is_finite() && mean.is_finite() && upper.is_finite());
                    prop_assert!(lower <= mean && mean <= upper, "{lower} {mean} {upper}");
                }
            }
        }
    }
}
