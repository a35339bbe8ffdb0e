//! The Theta method (Assimakopoulos & Nikolopoulos 2000) as the M4 competition's benchmark runs it,
//! and the optimised Theta method (Fiorucci et al. 2016) with theta chosen from a grid.
//!
//! Both seasonally adjust first, as M4 does: when [`seasonality_test`](crate::baselines::seasonality_test)
//! finds the series seasonal, they forecast the multiplicatively deseasonalised series and reseasonalise.
//!
//! Theta line `Z_θ = θ·y + (1 − θ)·L`, with `L(t) = a + b·t` the least-squares line on `t = 1..n`, is
//! extrapolated by simple exponential smoothing and combined with `L` as `(1 − 1/θ)·L + (1/θ)·SES(Z_θ)`.
//! Hyndman & Billah (2003) showed this is SES of `y` with a drift: with the smoothing states started
//! consistently, the forecast is exactly
//!
//! `ℓ_n + (1 − 1/θ)·b·(h − 1 + (1 − (1 − α)^{n+1})/α)`,
//!
//! and each in-sample error is `1/θ` times SES's error on `Z_θ`, so fitting `α` and the initial level by
//! least squares on either gives the same model. (R's `thetaf` writes `(1 − (1 − α)^n)/α` in place of
//! `(1 − (1 − α)^{n+1})/α`: the two differ by `(1 − 1/θ)·b·(1 − α)^n`, a different start of the states.)
//! With `θ = 2` this is M4's `Theta.classic`: equal weights on theta lines 0 and 2.
//!
//! Intervals are SES's, `σ·√(1 + (h − 1)α²)` with `σ²` the mean squared in-sample one-step error,
//! treating the drift as known; on the adjusted scale, then reseasonalised. Like M4's code, forecasts
//! below 0 become 0 — but only for histories without negative values, so returns keep their sign.

use crate::baselines::{SmoothingFit, with_seasonal_adjustment};
use crate::{Forecast, ForecastError, Forecaster, Request, normal_intervals};

/// The standard Theta method: theta lines 0 and 2 with equal weights.
#[derive(Debug, Clone, Copy, Default)]
pub struct Theta;

/// The optimised Theta method: `θ` from [`OptimizedTheta::THETAS`] with the least in-sample mean squared
/// one-step error (`α` and the initial level fitted for each); `θ = 1` is plain SES, `θ = 2` [`Theta`].
/// The forecast's model names the choice, e.g. `optimized_theta(theta=2.5)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct OptimizedTheta;

impl OptimizedTheta {
    pub const THETAS: [f64; 5] = [1.0, 1.5, 2.0, 2.5, 3.0];
}

impl Forecaster for Theta {
    fn name(&self) -> &str {
        "theta"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(forecast_theta(y, request, |adjusted| (self.name().into(), fit_theta(adjusted, 2.0))))
    }
}

impl Forecaster for OptimizedTheta {
    fn name(&self) -> &str {
        "optimized_theta"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(forecast_theta(y, request, |adjusted| {
            let (theta, fit) = Self::THETAS
                .iter()
                .map(|&theta| (theta, fit_theta(adjusted, theta)))
                .min_by(|(_, a), (_, b)| a.mse.total_cmp(&b.mse))
                .expect("the grid is not empty");
            (format!("{}(theta={theta})", self.name()), fit)
        }))
    }
}

/// SES with the drift that theta line `θ` implies.
fn fit_theta(y: &[f64], theta: f64) -> SmoothingFit {
    SmoothingFit::fit(y, (1.0 - 1.0 / theta) * regression_slope(y))
}

/// Forecasts with the fit `choose` makes (and names) on the seasonally adjusted series.
fn forecast_theta(y: &[f64], request: &Request<'_>, choose: impl FnOnce(&[f64]) -> (String, SmoothingFit)) -> Forecast {
    let mut forecast = with_seasonal_adjustment(y, request.season, |adjusted| {
        let (model, fit) = choose(adjusted);
        let mean = fit.forecast(request.horizon);
        let sd = fit.error_sd(request.horizon);
        Forecast { model, intervals: normal_intervals(&mean, &sd, request.levels), mean }
    });
    if y.iter().all(|&v| v >= 0.0) {
        let clamp = |values: &mut Vec<f64>| values.iter_mut().for_each(|v| *v = v.max(0.0));
        clamp(&mut forecast.mean);
        for interval in &mut forecast.intervals {
            clamp(&mut interval.lower);
            clamp(&mut interval.upper);
        }
    }
    forecast
}

/// The least-squares slope of `y` on time; 0 for a single observation.
fn regression_slope(y: &[f64]) -> f64 {
    let n = y.len() as f64;
    let (mean_t, mean_y) = ((n - 1.0) / 2.0, y.iter().sum::<f64>() / n);
    let (covariance, variance) = y.iter().enumerate().fold((0.0, 0.0), |(c, v), (t, &value)| {
        let dt = t as f64 - mean_t;
        (c + dt * (value - mean_y), v + dt * dt)
    });
    if variance > 0.0 { covariance / variance } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::tests::{close, noise, request};

    fn trend_with_noise() -> Vec<f64> {
        noise(40, 11).iter().enumerate().map(|(t, e)| 50.0 + 0.7 * t as f64 + 3.0 * e).collect()
    }

    #[test]
    fn ses_with_drift_equals_the_theta_line_combination() {
        let y = trend_with_noise();
        let n = y.len();
        let slope = regression_slope(&y);
        let intercept = y.iter().sum::<f64>() / n as f64 - slope * (n as f64 + 1.0) / 2.0;
        let line = |t: usize| intercept + slope * t as f64;
        for theta in [2.0, 3.0] {
            let fit = fit_theta(&y, theta);
            // SES by hand on Z_θ (t = 1..n), started at the θ-combination of the two starts.
            let mut level = theta * fit.initial_level + (1.0 - theta) * line(0);
            let mut sse = 0.0;
            for (t, &v) in (1..).zip(&y) {
                let z = theta * v + (1.0 - theta) * line(t);
                sse += (z - level).powi(2);
                level = fit.alpha * z + (1.0 - fit.alpha) * level;
            }
            let by_lines = (1..=6).map(|h| (1.0 - 1.0 / theta) * line(n + h) + level / theta).collect::<Vec<_>>();
            assert!(close(&fit.forecast(6), &by_lines, 1e-9), "theta {theta}");
            assert!((sse / (theta * theta) / n as f64 - fit.mse).abs() < 1e-9 * fit.mse);
        }
    }

    #[test]
    fn theta_continues_half_of_a_linear_trend() {
        // On a straight line SES's α goes to its bound, ℓ_n = y_n, and the theta-2 drift is half the
        // slope: Theta damps a trend by design. The grid's largest θ = 3 keeps two thirds of it.
        let y = (1..=30).map(|t| 5.0 + 2.0 * f64::from(t)).collect::<Vec<_>>();
        let theta = Theta.forecast(&y, &request(4, 1)).unwrap();
        assert!(close(&theta.mean, &[66.0, 67.0, 68.0, 69.0], 1e-2), "{:?}", theta.mean);
        let optimized = OptimizedTheta.forecast(&y, &request(3, 1)).unwrap();
        assert_eq!(optimized.model, "optimized_theta(theta=3)");
        assert!(close(&optimized.mean, &[65.0 + 4.0 / 3.0, 65.0 + 8.0 / 3.0, 69.0], 1e-2), "{:?}", optimized.mean);
    }

    #[test]
    fn theta_reseasonalises_and_widens_its_intervals() {
        let y = [5.0, 10.0, 15.0, 10.0].repeat(5);
        let forecast = Theta.forecast(&y, &request(6, 4)).unwrap();
        assert!(close(&forecast.mean, &[5.0, 10.0, 15.0, 10.0, 5.0, 10.0], 1e-6), "{:?}", forecast.mean);

        let y = trend_with_noise();
        let forecast = Theta.forecast(&y, &request(8, 1)).unwrap();
        let width = |h: usize| forecast.intervals[1].upper[h] - forecast.intervals[1].lower[h];
        assert!(width(0) > 0.0 && (1..8).all(|h| width(h) >= width(h - 1)));
        assert!(forecast.mean.windows(2).all(|w| w[1] > w[0]), "a rising trend keeps rising");
    }

    #[test]
    fn theta_forecasts_of_a_positive_series_stay_at_or_above_zero() {
        let falling = (0..10).map(|t| 100.0 - 10.0 * f64::from(t)).collect::<Vec<_>>();
        let forecast = Theta.forecast(&falling, &request(5, 1)).unwrap();
        assert!(forecast.mean.iter().all(|&v| v >= 0.0) && forecast.mean[4] == 0.0, "{:?}", forecast.mean);
        let returns = falling.iter().map(|v| v - 50.0).collect::<Vec<_>>();
        assert!(Theta.forecast(&returns, &request(5, 1)).unwrap().mean[4] < 0.0);
    }
}
