//! Models for intermittent demand (many periods without sales): Croston, its bias-corrected SBA, TSB
//! and ADIDA. Each forecasts a flat demand rate. A "demand" is any nonzero value, so negative values
//! (returns) are smoothed like sales. A history without demand forecasts 0.
//!
//! Croston and TSB start their smoothed sizes and intervals from the first demand (TSB's probability
//! from one over the periods up to it), so they forecast from the first demand on.
//!
//! Intervals are empirical: the forecast plus the in-sample one-step errors' quantiles at
//! `(1 ∓ level)/2` (linear interpolation, as R's default), the same for every step ahead since these
//! models forecast a stationary rate; widened where needed to hold the forecast. Forecasts and bounds
//! are clamped at 0 when the history has no negative values. A model with no in-sample forecasts yet
//! (no demand before the last observation) gives zero-width intervals.

use crate::baselines::SmoothingFit;
use crate::{Forecast, ForecastError, Forecaster, Interval, Request};

/// Croston's method: sizes of nonzero demands and the intervals between them smoothed separately with
/// `α = 0.1`; the forecast is size / interval.
#[derive(Debug, Clone, Copy, Default)]
pub struct Croston;

/// The Syntetos–Boylan approximation: Croston × (1 − α/2), which removes most of Croston's upward bias.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sba;

/// Teunter–Syntetos–Babai: the probability of a demand smoothed every period (`α = 0.1`), its size
/// only when one occurs (`β = 0.1`); the forecast is probability × size. Unlike Croston it decays
/// towards 0 while no demand comes, so it suits items going obsolete.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tsb;

/// Aggregate–disaggregate intermittent demand approach: sums over non-overlapping buckets as long as
/// the mean interval between demands (rounded; the oldest incomplete bucket dropped), simple
/// exponential smoothing with least-squares `α` on the sums, the next bucket's forecast spread evenly
/// over its periods.
#[derive(Debug, Clone, Copy, Default)]
pub struct Adida;

/// Croston's and TSB's smoothing constant.
pub const ALPHA: f64 = 0.1;
/// TSB's smoothing constant for the demand size.
pub const TSB_BETA: f64 = 0.1;

impl Forecaster for Croston {
    fn name(&self) -> &str {
        "croston"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(flat_forecast(self.name(), y, request, croston(y, 1.0)))
    }
}

impl Forecaster for Sba {
    fn name(&self) -> &str {
        "sba"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(flat_forecast(self.name(), y, request, croston(y, 1.0 - ALPHA / 2.0)))
    }
}

impl Forecaster for Tsb {
    fn name(&self) -> &str {
        "tsb"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(flat_forecast(self.name(), y, request, tsb(y)))
    }
}

impl Forecaster for Adida {
    fn name(&self) -> &str {
        "adida"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        Ok(flat_forecast(self.name(), y, request, adida(y)))
    }
}

/// A fitted rate model: its in-sample one-step forecasts (`None` before it could make one) and its
/// forecast after the last observation.
struct RateFit {
    fitted: Vec<Option<f64>>,
    next: f64,
}

/// Croston's recursions, forecasts scaled by `correction` (1 for Croston, 1 − α/2 for SBA).
fn croston(y: &[f64], correction: f64) -> RateFit {
    // (smoothed size, smoothed interval) once a demand has been seen; intervals are at least 1.
    let mut state: Option<(f64, f64)> = None;
    let mut periods_since_demand = 0.0;
    let rate = |(size, interval): (f64, f64)| correction * size / interval;
    let fitted = y
        .iter()
        .map(|&v| {
            let fitted = state.map(rate);
            periods_since_demand += 1.0;
            if v != 0.0 {
                state = Some(match state {
                    None => (v, periods_since_demand),
                    Some((size, interval)) => {
                        (size + ALPHA * (v - size), interval + ALPHA * (periods_since_demand - interval))
                    }
                });
                periods_since_demand = 0.0;
            }
            fitted
        })
        .collect();
    RateFit { fitted, next: state.map_or(0.0, rate) }
}

fn tsb(y: &[f64]) -> RateFit {
    // (probability of a demand, smoothed size) once a demand has been seen.
    let mut state: Option<(f64, f64)> = None;
    let mut periods_to_first_demand = 0.0;
    let rate = |(probability, size): (f64, f64)| probability * size;
    let fitted = y
        .iter()
        .map(|&v| {
            let fitted = state.map(rate);
            let demand = v != 0.0;
            state = match state {
                None => {
                    periods_to_first_demand += 1.0;
                    demand.then(|| (1.0 / periods_to_first_demand, v))
                }
                Some((probability, size)) => Some((
                    probability + ALPHA * (f64::from(u8::from(demand)) - probability),
                    if demand { size + TSB_BETA * (v - size) } else { size },
                )),
            };
            fitted
        })
        .collect();
    RateFit { fitted, next: state.map_or(0.0, rate) }
}

fn adida(y: &[f64]) -> RateFit {
    let demands = y.iter().filter(|&&v| v != 0.0).count();
    if demands == 0 {
        return RateFit { fitted: vec![None; y.len()], next: 0.0 };
    }
    // The mean interval between demands, the first counted from the start, is n / demands up to the
    // periods after the last demand.
    let last_demand = y.iter().rposition(|&v| v != 0.0).unwrap_or(0);
    let bucket = ((last_demand + 1) as f64 / demands as f64).round().clamp(1.0, y.len() as f64) as usize;
    let dropped = y.len() % bucket;
    let sums = y[dropped..].chunks(bucket).map(|chunk| chunk.iter().sum::<f64>()).collect::<Vec<_>>();
    let smoothing = SmoothingFit::fit(&sums, 0.0);
    let per_period = |sum: f64| sum / bucket as f64;
    let fitted = std::iter::repeat_n(None, dropped)
        .chain(smoothing.fitted(&sums).into_iter().flat_map(|sum| std::iter::repeat_n(Some(per_period(sum)), bucket)))
        .collect();
    RateFit { fitted, next: per_period(smoothing.level) }
}

fn flat_forecast(model: &str, y: &[f64], request: &Request<'_>, fit: RateFit) -> Forecast {
    let mut errors =
        y.iter().zip(&fit.fitted).filter_map(|(&actual, fitted)| fitted.map(|f| actual - f)).collect::<Vec<_>>();
    errors.sort_by(f64::total_cmp);
    let floor = if y.iter().all(|&v| v >= 0.0) { 0.0 } else { f64::NEG_INFINITY };
    // ADIDA's fitted initial level can dip below 0 on sales; a rate of sales cannot.
    let next = fit.next.max(floor);
    let intervals = request
        .levels
        .iter()
        .map(|&level| {
            let (lower, upper) = if errors.is_empty() {
                (next, next)
            } else {
                (
                    (next + quantile(&errors, (1.0 - level) / 2.0)).min(next).max(floor),
                    (next + quantile(&errors, (1.0 + level) / 2.0)).max(next),
                )
            };
            Interval { level, lower: vec![lower; request.horizon], upper: vec![upper; request.horizon] }
        })
        .collect();
    Forecast { model: model.into(), mean: vec![next; request.horizon], intervals }
}

/// The `p` quantile of `sorted` (ascending, non-empty), interpolating linearly (R's type 7).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let position = p * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (position - below as f64) * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::tests::request;

    fn mean(model: &dyn Forecaster, y: &[f64]) -> f64 {
        model.forecast(y, &request(3, 1)).unwrap().mean[0]
    }

    #[test]
    fn croston_and_sba_known_values() {
        let regular = [0.0, 0.0, 3.0, 0.0, 0.0, 3.0];
        assert!((mean(&Croston, &regular) - 1.0).abs() < 1e-12);
        assert!((mean(&Sba, &regular) - 0.95).abs() < 1e-12);
        // Sizes 2, 4 → 2 + 0.1·2 = 2.2; intervals 2, 3 → 2.1.
        assert!((mean(&Croston, &[0.0, 2.0, 0.0, 0.0, 4.0, 0.0]) - 2.2 / 2.1).abs() < 1e-12);
    }

    #[test]
    fn tsb_decays_while_no_demand_comes() {
        // Starts at 1/3 after the first demand; ×0.9, ×0.9, then 0.27 + 0.1·(1 − 0.27) = 0.343; size 3.
        assert!((mean(&Tsb, &[0.0, 0.0, 3.0, 0.0, 0.0, 3.0]) - 1.029).abs() < 1e-12);
        let fading = mean(&Tsb, &[0.0, 0.0, 3.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
        assert!((fading - 0.343 * 0.9f64.powi(4) * 3.0).abs() < 1e-12);
    }

    #[test]
    fn adida_smooths_bucket_sums() {
        // Mean interval 3: buckets sum to 3 each, spread over 3 periods.
        assert!((mean(&Adida, &[0.0, 0.0, 3.0].repeat(4)) - 1.0).abs() < 1e-9);
        // Demands in periods 4 and 8 of 9: buckets of 4, the oldest period dropped, sums 4 and 4.
        assert!((mean(&Adida, &[0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0, 4.0, 0.0]) - 1.0).abs() < 1e-9);
        // Dense demand is one-period buckets: plain SES.
        let dense = [4.0, 5.0, 4.0, 5.0, 4.0];
        assert!((mean(&Adida, &dense) - SmoothingFit::fit(&dense, 0.0).level).abs() < 1e-12);
    }

    #[test]
    fn no_demand_forecasts_zero() {
        for model in [&Croston as &dyn Forecaster, &Sba, &Tsb, &Adida] {
            let forecast = model.forecast(&[0.0; 8], &request(2, 1)).unwrap();
            assert_eq!(forecast.mean, vec![0.0, 0.0]);
            assert!(forecast.intervals.iter().all(|i| i.lower == vec![0.0; 2] && i.upper == vec![0.0; 2]));
        }
    }

    #[test]
    fn intervals_are_empirical_and_clamped_at_zero() {
        // Croston's one-step forecasts from period 3 on are all 1: errors −1, −1, 2, −1, −1, 2.
        let y = [0.0, 0.0, 3.0].repeat(3);
        let forecast = Croston.forecast(&y, &request(2, 1)).unwrap();
        let wide = &forecast.intervals[1];
        // 2.5 % and 97.5 % of those errors: −1 and 2 → 0 and 3 around the forecast of 1.
        assert_eq!((wide.lower[1], wide.upper[1]), (0.0, 3.0));
        assert_eq!(quantile(&[-1.0, -1.0, -1.0, -1.0, 2.0, 2.0], 0.9), 2.0);
        assert_eq!(quantile(&[0.0, 10.0], 0.25), 2.5);
        // With returns in the history the lower bound may go below 0.
        let returns = Croston.forecast(&[0.0, 3.0, 0.0, -2.0, 0.0, 3.0], &request(1, 1)).unwrap();
        assert!(returns.intervals[1].lower[0] < 0.0);
    }
}
