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
//! - [`gbt`]: gradient-boosted regression trees on quantile histograms (squared, Poisson and quantile
//!   losses), deterministic for a seed.
//! - [`global`]: one gradient-boosted model across a panel of series (lags, same period last year,
//!   calendar, events, price and promotion, store and category), what-if forecasts on planned inputs.
//! - [`intermittent`]: Croston, SBA, TSB and ADIDA for intermittent demand.
//! - [`m4`]: the M4 competition files and scoring.
//! - [`mstl`]: STL and MSTL seasonal-trend decomposition by Loess, and forecasts by MSTL with AutoETS.
//! - [`metrics`]: sMAPE, MASE and OWA as the M4 competition defines them; WAPE as retailers read it.
//! - [`normal`]: the standard normal CDF and quantile to nearly full double precision.
//! - [`models`]: every model by name (the default: AutoETS), equal-weight combinations, and the
//!   per-series choice among models by a short rolling-origin validation.
//! - [`reconcile`]: coherent forecasts for a hierarchy: bottom-up, top-down, OLS, WLS and MinT with
//!   a shrunk residual covariance.
//! - [`price`]: demand's elasticity to price learned from past discounts, and a forecast restated
//!   for a planned price change.
//! - [`theta`]: the Theta method as M4's benchmark runs it, and the optimised Theta method.
//! - [`walmart`]: the Walmart weekly sales file as series per store and department or per store.

pub mod arima;
pub mod backtest;
pub mod baselines;
pub mod daily;
pub mod demand;
pub mod ets;
pub mod events;
pub mod gbt;
pub mod global;
pub mod intermittent;
pub mod m4;
pub mod metrics;
pub mod models;
pub mod mstl;
pub mod normal;
pub mod price;
pub mod reconcile;
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
    normal::quantile(0.5 + level / 2.0)
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
