//! Demand forecasting for retail series: each model takes a history of equally spaced observations
//! (oldest first) and returns point forecasts with prediction intervals for the next `horizon` steps.
//! Pure: data in, forecasts out; no I/O.
//!
//! - [`arima`]: seasonal ARIMA with Hyndman–Khandakar's automatic order selection by AICc.
//! - [`backtest`]: rolling-origin backtests scored as 1 − WAPE, bias and MASE.
//! - [`baselines`]: naive, seasonal naive, moving average and M4's Naive2; the M4 seasonality test and
//!   classical multiplicative seasonal adjustment.
//! - [`daily`]: daily sales files, one series or many.
//! - [`demand`]: a chain's daily demand per product and location: patterns, models per pattern, new
//!   products, coherent sums.
//! - [`ets`]: exponential smoothing state-space models (ETS) with automatic selection by AICc.
//! - [`events`]: holidays and events (China's retail festivals built in), their effects on daily
//!   demand learned per event and day around it, histories adjusted and forecasts restored with them.
//! - [`intermittent`]: Croston, SBA, TSB and ADIDA for intermittent demand.
//! - [`m4`]: the M4 competition files and scoring.
//! - [`metrics`]: sMAPE, MASE and OWA as the M4 competition defines them; WAPE as retailers read it.
//! - [`models`]: every model by name (the default: AutoETS), equal-weight combinations, and the
//!   per-series choice among models by a short rolling-origin validation.
//! - [`theta`]: the Theta method as M4's benchmark runs it, and the optimised Theta method.
//! - [`walmart`]: the Walmart weekly sales file as series per store and department or per store.

pub mod arima;
pub mod backtest;
pub mod baselines;
pub mod daily;
pub mod demand;
pub mod ets;
pub mod events;
pub mod intermittent;
pub mod m4;
pub mod metrics;
pub mod models;
pub mod theta;
pub mod walmart;

use serde::{Deserialize, Serialize};

/// What every model is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request<'a> {
    /// Steps ahead, at least 1.
    pub horizon: usize,
    /// Observations per seasonal cycle (52 for weekly data with a yearly pattern, 7 for daily with a
    /// weekly one); 1 for none.
    pub season: usize,
    /// Coverage of each prediction interval wanted, in (0, 1), e.g. 0.8 and 0.95.
    pub levels: &'a [f64],
}

/// A prediction interval: `lower[h] ..= upper[h]` holds the outcome `h + 1` steps ahead with
/// probability `level`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub level: f64,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
}

/// Point forecasts and prediction intervals, one value per step ahead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The model that produced it, with its chosen form where it selects one (e.g. `ETS(A,Ad,M)`).
    pub model: String,
    pub mean: Vec<f64>,
    pub intervals: Vec<Interval>,
}

/// Why a series could not be forecast.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForecastError {
    #[error("the series is empty")]
    Empty,
    #[error("the series holds a value that is not a finite number at position {0}")]
    NotFinite(usize),
    #[error("the horizon must be at least 1")]
    NoHorizon,
    #[error("interval level {0} is not between 0 and 1")]
    BadLevel(f64),
    #[error("unknown model '{0}'")]
    UnknownModel(String),
}

impl Request<'_> {
    /// Checks the request and the series against it.
    pub fn check(&self, y: &[f64]) -> Result<(), ForecastError> {
        if y.is_empty() {
            return Err(ForecastError::Empty);
        }
        if let Some(position) = y.iter().position(|v| !v.is_finite()) {
            return Err(ForecastError::NotFinite(position));
        }
        if self.horizon == 0 {
            return Err(ForecastError::NoHorizon);
        }
        if let Some(&level) = self.levels.iter().find(|&&l| !(l > 0.0 && l < 1.0)) {
            return Err(ForecastError::BadLevel(level));
        }
        Ok(())
    }
}

/// A forecasting model.
pub trait Forecaster: Sync {
    fn name(&self) -> &str;
    /// Forecasts `request.horizon` steps after `y` (oldest first).
    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError>;
}

/// The standard normal quantile for a two-sided interval of coverage `level`, e.g. 1.96 for 0.95.
pub fn normal_quantile(level: f64) -> f64 {
    inverse_normal_cdf(0.5 + level / 2.0)
}

/// Acklam's rational approximation of the inverse standard normal CDF (relative error below 1.2e-9),
/// refined by one Halley step.
fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] =
        [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step against the exact CDF via erfc.
    let e = 0.5 * erfc(-x / std::f64::consts::SQRT_2) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.26551223
            + t * (1.00002368
                + t * (0.37409196
                    + t * (0.09678418
                        + t * (-0.18628806
                            + t * (0.27886807
                                + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Normal prediction intervals around `mean` with the standard deviation `sd[h]` of each step's error.
pub fn normal_intervals(mean: &[f64], sd: &[f64], levels: &[f64]) -> Vec<Interval> {
    levels
        .iter()
        .map(|&level| {
            let z = normal_quantile(level);
            Interval {
                level,
                lower: mean.iter().zip(sd).map(|(m, s)| m - z * s).collect(),
                upper: mean.iter().zip(sd).map(|(m, s)| m + z * s).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_tables() {
        assert!((normal_quantile(0.95) - 1.959_963_985).abs() < 1e-6);
        assert!((normal_quantile(0.80) - 1.281_551_566).abs() < 1e-6);
        assert!((normal_quantile(0.99) - 2.575_829_304).abs() < 1e-6);
    }

    #[test]
    fn bad_requests_are_named() {
        let ok = Request { horizon: 2, season: 1, levels: &[0.8] };
        assert_eq!(ok.check(&[]), Err(ForecastError::Empty));
        assert_eq!(ok.check(&[1.0, f64::NAN]), Err(ForecastError::NotFinite(1)));
        assert_eq!(Request { horizon: 0, ..ok }.check(&[1.0]), Err(ForecastError::NoHorizon));
        assert_eq!(Request { levels: &[1.0], ..ok }.check(&[1.0]), Err(ForecastError::BadLevel(1.0)));
        assert_eq!(ok.check(&[1.0]), Ok(()));
    }
}
