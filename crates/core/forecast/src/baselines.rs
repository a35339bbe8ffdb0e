//! The benchmarks every model is measured against: naive, seasonal naive, moving average and the M4
//! competition's Naive2; the M4 seasonality test and the classical multiplicative decomposition that
//! Naive2 and Theta use to seasonally adjust a series; and simple exponential smoothing (optionally
//! with drift), shared by Theta and ADIDA.
//!
//! Prediction intervals are normal, with the standard deviation of the in-sample one-step errors
//! scaled to each horizon as each model's own error model implies. A history too short to have any
//! in-sample error gives zero-width intervals.

use crate::{Forecast, ForecastError, Forecaster, Request, normal_intervals};

/// The last value, repeated. Intervals: `σ·√h` with `σ` the root mean square of the one-step changes
/// (a random walk).
#[derive(Debug, Clone, Copy, Default)]
pub struct Naive;

/// The value one season ago, repeated by season. Intervals: `σ·√(⌊(h − 1)/m⌋ + 1)` with `σ` the root
/// mean square of the in-sample changes over one season. Falls back to [`Naive`] when the history does
/// not hold one season plus one observation (too short to measure its own errors).
#[derive(Debug, Clone, Copy, Default)]
pub struct SeasonalNaive;

/// The mean of the last `window` values (all of them when fewer), repeated.
///
/// Intervals: a moving average of `w` values has the same mean age of data as simple exponential
/// smoothing with `α = 2/(w + 1)`, so its errors are taken to grow like SES's: `σ·√(1 + (h − 1)α²)`, with
/// `σ` the root mean square of its in-sample one-step errors (full windows where the history allows,
/// otherwise growing windows from the second observation).
#[derive(Debug, Clone, Copy)]
pub struct MovingAverage {
    /// Values averaged; 0 is read as 1.
    pub window: usize,
}

/// The M4 competition's Naive2, the benchmark its OWA is relative to: when [`seasonality_test`] finds
/// seasonality, the naive forecast of the multiplicatively seasonally adjusted series, reseasonalised;
/// otherwise plain [`Naive`]. Intervals are the naive ones on the adjusted series, reseasonalised.
#[derive(Debug, Clone, Copy, Default)]
pub struct Naive2;

impl Forecaster for Naive {
    fn name(&self) -> &str {
        "naive"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(naive(y, request, self.name()))
    }
}

impl Forecaster for SeasonalNaive {
    fn name(&self) -> &str {
        "snaive"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(seasonal_naive(y, request, self.name(), 1.0))
    }
}

/// Seasonal naive scaled by the year-on-year growth: the last season's values times the ratio of the
/// last season's total to the one before (when both are positive; 1 otherwise, or with less than two
/// seasons of history). A retailer's "same week last year, plus the trend" rule.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrendScaledSeasonalNaive;

impl Forecaster for TrendScaledSeasonalNaive {
    fn name(&self) -> &str {
        "snaive_trend"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        let m = request.season.max(1);
        let growth = if y.len() >= 2 * m {
            let last: f64 = y[y.len() - m..].iter().sum();
            let before: f64 = y[y.len() - 2 * m..y.len() - m].iter().sum();
            if last > 0.0 && before > 0.0 { last / before } else { 1.0 }
        } else {
            1.0
        };
        Ok(seasonal_naive(y, request, self.name(), growth))
    }
}

/// The value one season back times `scale`, with intervals from the in-sample seasonal differences;
/// naive when the history is not longer than a season.
fn seasonal_naive(y: &[f64], request: &Request<'_>, model: &str, scale: f64) -> Forecast {
    let m = request.season.max(1);
    if y.len() <= m {
        return naive(y, request, model);
    }
    let last_season = &y[y.len() - m..];
    let mean = (0..request.horizon).map(|h| scale * last_season[h % m]).collect::<Vec<_>>();
    let sigma = root_mean_square(y.windows(m + 1).map(|w| w[m] - w[0]));
    let sd = (0..request.horizon).map(|h| sigma * ((h / m + 1) as f64).sqrt()).collect::<Vec<_>>();
    Forecast { model: model.into(), intervals: normal_intervals(&mean, &sd, request.levels), mean }
}

impl Forecaster for MovingAverage {
    fn name(&self) -> &str {
        "moving_average"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        let window = self.window.max(1);
        // prefix[t] = y[0] + … + y[t − 1], so any window's mean costs two lookups.
        let prefix = std::iter::once(0.0)
            .chain(y.iter().scan(0.0, |sum, v| {
                *sum += v;
                Some(*sum)
            }))
            .collect::<Vec<_>>();
        let mean_before = |t: usize| {
            let start = t.saturating_sub(window);
            (prefix[t] - prefix[start]) / (t - start) as f64
        };
        let n = y.len();
        let first_fitted = if n > window { window } else { 1 };
        let sigma = root_mean_square((first_fitted..n).map(|t| y[t] - mean_before(t)));
        let alpha = 2.0 / (window as f64 + 1.0);
        let mean = vec![mean_before(n); request.horizon];
        let sd = (0..request.horizon).map(|h| ses_error_sd(sigma, alpha, h + 1)).collect::<Vec<_>>();
        Ok(Forecast {
            model: format!("moving_average({window})"),
            intervals: normal_intervals(&mean, &sd, request.levels),
            mean,
        })
    }
}

impl Forecaster for Naive2 {
    fn name(&self) -> &str {
        "naive2"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(with_seasonal_adjustment(y, request.season, |adjusted| naive(adjusted, request, self.name())))
    }
}

fn naive(y: &[f64], request: &Request<'_>, model: &str) -> Forecast {
    let mean = vec![y[y.len() - 1]; request.horizon];
    let sigma = root_mean_square(y.windows(2).map(|w| w[1] - w[0]));
    let sd = (1..=request.horizon).map(|h| sigma * (h as f64).sqrt()).collect::<Vec<_>>();
    Forecast { model: model.into(), intervals: normal_intervals(&mean, &sd, request.levels), mean }
}

/// 0 for no errors.
pub(crate) fn root_mean_square(errors: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = errors.fold((0.0, 0usize), |(sum, count), e| (sum + e * e, count + 1));
    if count == 0 { 0.0 } else { (sum / count as f64).sqrt() }
}

/// The M4 benchmarks' seasonality test: the autocorrelation at lag `m` is significant at 90 % (two
/// sided), `|r_m| > 1.645·√((1 + 2·Σ_{k<m} r_k²) / n)`, and the series holds at least three seasons.
///
/// As in the M4 R code, which reads `acf()`'s default lags (up to `10·log10(n)`), a season longer than
/// that is never found seasonal: weekly data with `m = 52` is tested seasonal only from about 158 000
/// observations on. M4 itself ran Weekly with period 1, so Naive2 is plain naive there either way,
/// and this keeps Naive2 (hence OWA) equal to the competition's. A constant series is not seasonal.
pub fn seasonality_test(y: &[f64], m: usize) -> bool {
    let n = y.len();
    let lags_r_computes = ((10.0 * (n as f64).log10()).floor() as usize).min(n.saturating_sub(1));
    if m < 2 || n < 3 * m || m > lags_r_computes {
        return false;
    }
    let Some(acf) = autocorrelations(y, m) else { return false };
    let earlier = acf[..m - 1].iter().map(|r| r * r).sum::<f64>();
    acf[m - 1].abs() > 1.645 * ((1.0 + 2.0 * earlier) / n as f64).sqrt()
}

/// The sample autocorrelations at lags `1..=max_lag` (mean removed, divided by the lag-0 sum as R's
/// `acf` does); `None` for a constant series.
fn autocorrelations(y: &[f64], max_lag: usize) -> Option<Vec<f64>> {
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let centred = y.iter().map(|v| v - mean).collect::<Vec<_>>();
    let variance = centred.iter().map(|d| d * d).sum::<f64>();
    if variance <= 0.0 || !variance.is_finite() {
        return None;
    }
    let lag = |k: usize| centred.iter().zip(&centred[k..]).map(|(a, b)| a * b).sum::<f64>() / variance;
    Some((1..=max_lag).map(lag).collect())
}

/// Multiplicative seasonal indices by classical decomposition (R's `decompose(type =
/// "multiplicative")`): the trend is the centred moving average of order `m` (a 2×m average for even
/// `m`), each observation is divided by it, the ratios are averaged per position in the season, and
/// the averages scaled to mean 1. Index `i` belongs to observations `i, i + m, i + 2m, …` counted from
/// the start of `y`.
///
/// Returns `max(m, 1)` indices, all 1 (no adjustment) when `m < 2`, when the history is shorter than
/// two seasons, or when any value is 0 or negative: a ratio to the trend means nothing there, and
/// Naive2 and Theta then forecast the unadjusted series.
pub fn seasonal_indices(y: &[f64], m: usize) -> Vec<f64> {
    let no_adjustment = vec![1.0; m.max(1)];
    let n = y.len();
    if m < 2 || n < 2 * m || y.iter().any(|&v| v <= 0.0) {
        return no_adjustment;
    }
    let indices = classical_indices(y, m, true);
    if indices.iter().all(|i| i.is_finite() && *i > 0.0) { indices } else { no_adjustment }
}

/// Classical decomposition's seasonal indices for `m ≥ 2` and at least two seasons of `y`: the trend
/// is the centred moving average of order `m` (2×m for even `m`); each observation's ratio to it
/// (`multiplicative`) or difference from it is averaged per position in the season, and the averages
/// are normalised to mean 1 (ratios) or sum 0 (differences). Shared by the M4 benchmarks' adjustment
/// and by ETS for long seasons.
pub(crate) fn classical_indices(y: &[f64], m: usize, multiplicative: bool) -> Vec<f64> {
    let half = m / 2;
    let centred_mean = |t: usize| {
        let sum = if m.is_multiple_of(2) {
            0.5 * (y[t - half] + y[t + half]) + y[t + 1 - half..t + half].iter().sum::<f64>()
        } else {
            y[t - half..=t + half].iter().sum::<f64>()
        };
        sum / m as f64
    };
    let mut sums = vec![0.0; m];
    let mut counts = vec![0usize; m];
    for t in half..y.len().saturating_sub(half) {
        let trend = centred_mean(t);
        sums[t % m] += if multiplicative { y[t] / trend } else { y[t] - trend };
        counts[t % m] += 1;
    }
    let averages: Vec<f64> = sums.iter().zip(&counts).map(|(s, &c)| s / c.max(1) as f64).collect();
    let centre = averages.iter().sum::<f64>() / m as f64;
    averages.iter().map(|a| if multiplicative { a / centre } else { a - centre }).collect()
}

/// `y` divided by its seasonal indices (index `t mod m` for observation `t`).
pub fn deseasonalise(y: &[f64], indices: &[f64]) -> Vec<f64> {
    y.iter().enumerate().map(|(t, v)| v / indices[t % indices.len()]).collect()
}

/// Forecasts of a seasonally adjusted series of `history_len` observations multiplied back by their
/// seasons' indices (step `h` ahead, from 0, falls at position `history_len + h`).
pub fn reseasonalise(forecast: &[f64], indices: &[f64], history_len: usize) -> Vec<f64> {
    forecast.iter().enumerate().map(|(h, v)| v * indices[(history_len + h) % indices.len()]).collect()
}

/// The M4 benchmarks' seasonal adjustment: the indices of [`seasonal_indices`] when
/// [`seasonality_test`] finds the series seasonal, `None` otherwise.
pub fn seasonal_adjustment(y: &[f64], m: usize) -> Option<Vec<f64>> {
    seasonality_test(y, m).then(|| seasonal_indices(y, m))
}

/// Runs `model` on the seasonally adjusted series when the M4 test finds `y` seasonal, and puts the
/// season back into its point forecasts and interval bounds (indices are positive, so bounds keep
/// their order and still hold the mean); otherwise runs it on `y`.
pub(crate) fn with_seasonal_adjustment(y: &[f64], m: usize, model: impl FnOnce(&[f64]) -> Forecast) -> Forecast {
    let Some(indices) = seasonal_adjustment(y, m) else { return model(y) };
    let mut forecast = model(&deseasonalise(y, &indices));
    forecast.mean = reseasonalise(&forecast.mean, &indices, y.len());
    for interval in &mut forecast.intervals {
        interval.lower = reseasonalise(&interval.lower, &indices, y.len());
        interval.upper = reseasonalise(&interval.upper, &indices, y.len());
    }
    forecast
}

/// The standard deviation of simple exponential smoothing's `h`-step error (`h` from 1) with one-step
/// standard deviation `sigma`: `σ·√(1 + (h − 1)α²)`.
pub(crate) fn ses_error_sd(sigma: f64, alpha: f64, h: usize) -> f64 {
    sigma * (1.0 + (h - 1) as f64 * alpha * alpha).sqrt()
}

/// Smoothing constants searched, as R's `forecast::ets` bounds them.
const ALPHA_RANGE: (f64, f64) = (1e-4, 0.9999);

/// Simple exponential smoothing with a constant drift `d` per step (Hyndman & Billah's form of the
/// Theta method; `d = 0` is plain SES), fitted by least squares on the one-step errors.
///
/// Level `ℓ_t = α·y_t + (1 − α)·ℓ_{t−1}` from a fitted `ℓ_0`; the forecast from origin `n` for `h` steps
/// ahead is `ℓ_n + d·(h − 1 + g_{n+1})` with `g_t = (1 − (1 − α)^t)/α = 1 + (1 − α) + … + (1 − α)^{t−1}`,
/// and the in-sample one-step forecast of `y_t` is its `h = 1` case from origin `t − 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SmoothingFit {
    pub alpha: f64,
    pub drift: f64,
    pub initial_level: f64,
    /// `ℓ_n`.
    pub level: f64,
    /// `g_{n+1}`.
    growth: f64,
    /// Mean squared one-step error.
    pub mse: f64,
}

impl SmoothingFit {
    /// Least-squares `α` (golden-section search after a coarse grid, so a second local minimum does not
    /// trap it) with `ℓ_0` solved exactly for each `α`.
    pub fn fit(y: &[f64], drift: f64) -> Self {
        let (low, high) = ALPHA_RANGE;
        let grid = 10;
        let at = |i: usize| low + (high - low) * i as f64 / grid as f64;
        let grid_fits = (0..=grid).map(|i| Self::at(y, at(i), drift)).collect::<Vec<_>>();
        let best = (0..=grid).min_by(|&i, &j| grid_fits[i].mse.total_cmp(&grid_fits[j].mse)).unwrap_or(0);
        let (mut a, mut b) = (at(best.saturating_sub(1)), at((best + 1).min(grid)));
        let ratio = (5f64.sqrt() - 1.0) / 2.0;
        let (mut c, mut d) = (b - ratio * (b - a), a + ratio * (b - a));
        let (mut fc, mut fd) = (Self::at(y, c, drift).mse, Self::at(y, d, drift).mse);
        for _ in 0..40 {
            if fc <= fd {
                (b, d, fd) = (d, c, fc);
                c = b - ratio * (b - a);
                fc = Self::at(y, c, drift).mse;
            } else {
                (a, c, fc) = (c, d, fd);
                d = a + ratio * (b - a);
                fd = Self::at(y, d, drift).mse;
            }
        }
        let searched = Self::at(y, (a + b) / 2.0, drift);
        if grid_fits[best].mse < searched.mse { grid_fits[best] } else { searched }
    }

    /// The fit for a given `α`. Every level is linear in `ℓ_0` (`ℓ_t = base_t + (1 − α)^t·ℓ_0`), so the
    /// one-step errors are `r_t − (1 − α)^{t−1}·ℓ_0` and least squares gives `ℓ_0` in closed form.
    pub fn at(y: &[f64], alpha: f64, drift: f64) -> Self {
        let keep = 1.0 - alpha;
        let (mut base, mut decay, mut growth) = (0.0, 1.0, 0.0);
        let (mut rr, mut rc, mut cc) = (0.0, 0.0, 0.0);
        for &v in y {
            growth = 1.0 + keep * growth;
            let residual = v - base - drift * growth;
            rr += residual * residual;
            rc += residual * decay;
            cc += decay * decay;
            base = alpha * v + keep * base;
            decay *= keep;
        }
        let initial_level = rc / cc;
        let sse = (rr - rc * initial_level).max(0.0);
        Self {
            alpha,
            drift,
            initial_level,
            level: base + decay * initial_level,
            growth: 1.0 + keep * growth,
            mse: sse / y.len() as f64,
        }
    }

    /// Point forecasts for `1..=horizon` steps ahead.
    pub fn forecast(&self, horizon: usize) -> Vec<f64> {
        (0..horizon).map(|h| self.level + self.drift * (h as f64 + self.growth)).collect()
    }

    /// The in-sample one-step forecasts of `y` (the series it was fitted on).
    pub fn fitted(&self, y: &[f64]) -> Vec<f64> {
        let keep = 1.0 - self.alpha;
        let (mut level, mut growth) = (self.initial_level, 0.0);
        y.iter()
            .map(|&v| {
                growth = 1.0 + keep * growth;
                let fitted = level + self.drift * growth;
                level = self.alpha * v + keep * level;
                fitted
            })
            .collect()
    }

    /// Normal-interval standard deviations for `1..=horizon` steps ahead (SES's; the drift is taken as
    /// known).
    pub fn error_sd(&self, horizon: usize) -> Vec<f64> {
        (1..=horizon).map(|h| ses_error_sd(self.mse.sqrt(), self.alpha, h)).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::intermittent::{Adida, Croston, Sba, Tsb};
    use crate::theta::{OptimizedTheta, Theta};

    pub(crate) fn request(horizon: usize, season: usize) -> Request<'static> {
        Request { horizon, season, levels: &[0.8, 0.95] }
    }

    pub(crate) fn close(a: &[f64], b: &[f64], tolerance: f64) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
    }

    #[test]
    fn trend_scaled_seasonal_naive_grows_last_season_by_the_yearly_ratio() {
        // Seasons [1, 2] then [2, 4]: growth 6 / 3 = 2, so [4, 8, 4].
        let y = [1.0, 2.0, 2.0, 4.0];
        let f = TrendScaledSeasonalNaive.forecast(&y, &request(3, 2)).unwrap();
        assert_eq!(f.mean, [4.0, 8.0, 4.0]);
        // One season only, or a non-positive total: plain seasonal naive.
        assert_eq!(TrendScaledSeasonalNaive.forecast(&[1.0, 2.0, 3.0], &request(2, 2)).unwrap().mean, [2.0, 3.0]);
        assert_eq!(TrendScaledSeasonalNaive.forecast(&[-1.0, 0.0, 2.0, 4.0], &request(2, 2)).unwrap().mean, [2.0, 4.0]);
    }

    /// Deterministic uniform noise in [-1, 1) (a linear congruential generator).
    pub(crate) fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
            })
            .collect()
    }

    /// 5, 10, 15, 10 repeated five times: strongly seasonal with period 4 around a level of 10.
    fn seasonal_pattern() -> Vec<f64> {
        [5.0, 10.0, 15.0, 10.0].repeat(5)
    }

    #[test]
    fn naive_and_seasonal_naive_repeat_the_past() {
        let y = [1.0, 2.0, 4.0, 3.0, 5.0];
        let naive = Naive.forecast(&y, &request(3, 1)).unwrap();
        assert_eq!(naive.mean, vec![5.0; 3]);
        // Changes 1, 2, −1, 2: σ = √(10/4); 95 % half-width at h = 4 would be 1.96·σ·2.
        let sigma = 2.5f64.sqrt();
        let upper = &naive.intervals[1].upper;
        assert!(close(
            upper,
            &[5.0 + 1.959_964 * sigma, 5.0 + 1.959_964 * sigma * 2f64.sqrt(), 5.0 + 1.959_964 * sigma * 3f64.sqrt()],
            1e-5
        ));

        let seasonal = SeasonalNaive.forecast(&y, &request(5, 2)).unwrap();
        assert_eq!(seasonal.mean, vec![3.0, 5.0, 3.0, 5.0, 3.0]);
        // Changes over a season 3, 1, 1: σ = √(11/3), one season's worth for h = 1, 2, two for h = 3.
        let half_width = |h: usize| seasonal.intervals[0].upper[h] - seasonal.mean[h];
        assert!((half_width(0) - 1.281_552 * (11.0f64 / 3.0).sqrt()).abs() < 1e-5);
        assert!((half_width(1) - half_width(0)).abs() < 1e-12);
        assert!((half_width(2) - half_width(0) * 2f64.sqrt()).abs() < 1e-9);

        let short = SeasonalNaive.forecast(&[1.0, 2.0], &request(2, 4)).unwrap();
        assert_eq!(short.mean, vec![2.0, 2.0], "shorter than a season: naive");
    }

    #[test]
    fn moving_average_averages_the_last_window() {
        let y = [1.0, 2.0, 4.0, 3.0, 5.0];
        let forecast = MovingAverage { window: 3 }.forecast(&y, &request(2, 1)).unwrap();
        assert_eq!(forecast.mean, vec![4.0, 4.0]);
        assert_eq!(forecast.model, "moving_average(3)");
        // One-step errors 3 − 7/3 and 5 − 3; α = 0.5, so h = 2 is √1.25 wider.
        let sigma = (((2.0f64 / 3.0).powi(2) + 4.0) / 2.0).sqrt();
        let half_width = |h: usize| forecast.intervals[0].upper[h] - 4.0;
        assert!((half_width(0) - 1.281_552 * sigma).abs() < 1e-5);
        assert!((half_width(1) / half_width(0) - 1.25f64.sqrt()).abs() < 1e-9);
        let longer_than_history = MovingAverage { window: 10 }.forecast(&y, &request(1, 1)).unwrap();
        assert_eq!(longer_than_history.mean, vec![3.0]);
        // Growing windows: errors 2 − 1, 4 − 1.5, 3 − 7/3, 5 − 2.5.
        let sigma = ((1.0 + 6.25 + 4.0 / 9.0 + 6.25) / 4.0f64).sqrt();
        assert!((longer_than_history.intervals[0].upper[0] - 3.0 - 1.281_552 * sigma).abs() < 1e-5);
    }

    #[test]
    fn seasonality_test_finds_a_strong_pattern_and_not_noise() {
        // Hand computation: r_2 = −0.9, r_4 = 0.8 and r_1 = r_3 = 0, so the bound is
        // 1.645·√((1 + 2·0.81)/20) ≈ 0.596 < 0.8.
        assert!(seasonality_test(&seasonal_pattern(), 4));
        assert!(!seasonality_test(&noise(200, 7), 4));
        assert!(!seasonality_test(&seasonal_pattern()[..11], 4), "fewer than three seasons");
        assert!(!seasonality_test(&[3.0; 40], 4), "constant");
        assert!(!seasonality_test(&seasonal_pattern(), 1));
        let weekly = (0..520).map(|t| if t % 52 < 4 { 30.0 } else { 10.0 }).collect::<Vec<_>>();
        assert!(!seasonality_test(&weekly, 52), "lag 52 is beyond R's default 10·log10(520) = 27 lags");
    }

    #[test]
    fn seasonal_indices_follow_classical_decomposition() {
        // Any five consecutive values of the pattern, ends halved, sum to 40: the trend is 10.
        assert!(close(&seasonal_indices(&seasonal_pattern(), 4), &[0.5, 1.0, 1.5, 1.0], 1e-12));
        // Odd period: a plain moving average of 3.
        assert!(close(&seasonal_indices(&[2.0, 4.0, 6.0].repeat(3), 3), &[0.5, 1.0, 1.5], 1e-12));
        // Ratios to a linear trend are 1 wherever the trend is defined.
        let line = (1..=12).map(f64::from).collect::<Vec<_>>();
        assert!(close(&seasonal_indices(&line, 4), &[1.0; 4], 1e-12));
        assert_eq!(seasonal_indices(&[1.0, -2.0, 3.0, 4.0, 5.0, 6.0], 2), vec![1.0, 1.0], "not all positive");
        let adjusted = deseasonalise(&seasonal_pattern(), &[0.5, 1.0, 1.5, 1.0]);
        assert!(close(&adjusted, &[10.0; 20], 1e-12));
        assert_eq!(reseasonalise(&[10.0, 10.0, 10.0], &[0.5, 1.0, 1.5, 1.0], 7), vec![10.0, 5.0, 10.0]);
    }

    #[test]
    fn naive2_is_naive_on_the_adjusted_series_reseasonalised() {
        // Adjusted, every value is 10; the next value falls at position 20 mod 4 = 0 (index 0.5).
        let forecast = Naive2.forecast(&seasonal_pattern(), &request(5, 4)).unwrap();
        assert!(close(&forecast.mean, &[5.0, 10.0, 15.0, 10.0, 5.0], 1e-12));
        assert_eq!(forecast.model, "naive2");
        // A last value of 12 at position 3: 12 / I₃ · I₀ one step ahead, with the indices it implies.
        let mut y = seasonal_pattern();
        y[19] = 12.0;
        let indices = seasonal_indices(&y, 4);
        let forecast = Naive2.forecast(&y, &request(2, 4)).unwrap();
        assert!(close(&forecast.mean, &[12.0 / indices[3] * indices[0], 12.0 / indices[3] * indices[1]], 1e-12));
        assert!(indices[0] < 0.55 && indices[3] > 0.95);
        // Not seasonal: plain naive.
        let y = noise(60, 3).iter().map(|e| 100.0 + e).collect::<Vec<_>>();
        let naive2 = Naive2.forecast(&y, &request(4, 4)).unwrap();
        assert_eq!(naive2.mean, Naive.forecast(&y, &request(4, 4)).unwrap().mean);
    }

    #[test]
    fn smoothing_recovers_a_level_and_a_drift() {
        // A constant series is fitted exactly whatever α: the level is the constant.
        let fit = SmoothingFit::fit(&[7.0; 12], 0.0);
        assert!((fit.level - 7.0).abs() < 1e-9 && fit.mse < 1e-18);
        assert!(close(&fit.forecast(2), &[7.0, 7.0], 1e-9));
        // y_t = 3 + 2t with drift 2 and α = 1 is fitted exactly from ℓ_0 = 3.
        let line = (1..=20).map(|t| 3.0 + 2.0 * f64::from(t)).collect::<Vec<_>>();
        let fit = SmoothingFit::at(&line, 1.0, 2.0);
        assert!(fit.mse < 1e-18 && (fit.initial_level - 3.0).abs() < 1e-9);
        assert!(close(&fit.forecast(3), &[45.0, 47.0, 49.0], 1e-9));
        assert!(close(&fit.fitted(&line), &line, 1e-9));
        // The drift's weight in closed form, and the fitted values agree with the reported error.
        let fit = SmoothingFit::at(&line, 0.4, 2.0);
        let growth = (1.0 - 0.6f64.powi(21)) / 0.4;
        assert!(close(&fit.forecast(2), &[fit.level + 2.0 * growth, fit.level + 2.0 * (1.0 + growth)], 1e-9));
        let sse = fit.fitted(&line).iter().zip(&line).map(|(f, y)| (y - f).powi(2)).sum::<f64>();
        assert!((sse / 20.0 - fit.mse).abs() < 1e-9 * fit.mse.max(1.0));
    }

    fn every_model() -> Vec<Box<dyn Forecaster>> {
        vec![
            Box::new(Naive),
            Box::new(SeasonalNaive),
            Box::new(MovingAverage { window: 4 }),
            Box::new(Naive2),
            Box::new(Theta),
            Box::new(OptimizedTheta),
            Box::new(Croston),
            Box::new(Sba),
            Box::new(Tsb),
            Box::new(Adida),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn every_model_gives_finite_forecasts_inside_their_intervals(
            y in prop::collection::vec(prop_oneof![Just(0.0), -1e3..1e3f64, 0.0..1e6f64], 1..40),
            season in 1usize..8,
            horizon in 1usize..10,
        ) {
            for model in every_model() {
                let forecast = model.forecast(&y, &request(horizon, season)).unwrap();
                prop_assert_eq!(forecast.mean.len(), horizon, "{}", model.name());
                prop_assert!(forecast.mean.iter().all(|v| v.is_finite()), "{}: {:?}", model.name(), forecast.mean);
                prop_assert_eq!(forecast.intervals.len(), 2);
                for interval in &forecast.intervals {
                    for h in 0..horizon {
                        let (lower, mean, upper) = (interval.lower[h], forecast.mean[h], interval.upper[h]);
                        prop_assert!(lower.is_finite() && upper.is_finite(), "{}", model.name());
                        prop_assert!(lower <= mean && mean <= upper, "{}: {lower} {mean} {upper}", model.name());
                    }
                }
            }
        }
    }

    #[test]
    fn edge_cases_give_finite_forecasts() {
        let series: [&[f64]; 5] = [&[4.0], &[4.0, -3.0], &[0.0; 9], &[-0.02, 0.01, -0.03, 0.04, 0.0], &[1e150, -1e150]];
        for y in series {
            for model in every_model() {
                let forecast = model.forecast(y, &request(3, 12)).unwrap();
                assert!(forecast.mean.iter().all(|v| v.is_finite()), "{} on {y:?}: {:?}", model.name(), forecast.mean);
            }
        }
        assert_eq!(Naive.forecast(&[], &request(1, 1)), Err(ForecastError::Empty));
    }
}
