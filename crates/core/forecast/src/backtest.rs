//! Rolling-origin backtests: each series is cut at several origins near its end, forecast from each
//! cut and scored against what followed, as a planner would have seen the forecasts week by week.

use rayon::prelude::*;
use serde::Serialize;

use crate::m4::Series;
use crate::metrics::{mase, rmsse, smape};
use crate::{Forecaster, Request};

/// Accuracy over every series, origin and step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    pub model: String,
    /// `1 − Σ|a − f| / Σ|a|`: what retailers call forecast accuracy.
    pub one_minus_wape: f64,
    /// `Σ(f − a) / Σ|a|`: positive when the model over-forecasts.
    pub bias: f64,
    /// Mean sMAPE (M4's, in percent) over the series and origins.
    pub smape: f64,
    /// Mean MASE (one-step naive scale) over the series and origins where the scale is defined.
    pub mase: f64,
    /// Mean RMSSE (M5's scaled error) over the series and origins where the scale is defined.
    pub rmsse: f64,
    pub series: usize,
    /// Forecasts made: series × origins, less failures.
    pub forecasts: usize,
    /// Series and origin the model could not forecast, with why.
    pub failures: Vec<(String, String)>,
}

/// Forecasts `horizon` steps from each of `origins` consecutive non-overlapping cuts ending at each
/// series' end (the last cut leaves exactly `horizon` values to score), in parallel over series.
/// Series too short to leave one observation before the first cut are skipped. `progress` is called
/// with the number of series done.
pub fn rolling_origin(
    series: &[Series],
    model: &dyn Forecaster,
    season: usize,
    horizon: usize,
    origins: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Backtest {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let span = horizon * origins;
    let per_series: Vec<Tally> = series
        .par_iter()
        .filter(|s| s.values.len() > span)
        .map(|s| {
            let mut tally = Tally::default();
            for origin in 0..origins {
                let cut = s.values.len() - span + origin * horizon;
                let (history, rest) = s.values.split_at(cut);
                let actual = &rest[..horizon];
                match model.forecast(history, &Request { horizon, season, levels: &[] }) {
                    Ok(forecast) => tally.add(history, actual, &forecast.mean),
                    Err(e) => tally.failures.push((format!("{} at origin {}", s.id, cut), e.to_string())),
                }
            }
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            tally
        })
        .collect();
    let series_scored = per_series.len();
    per_series.into_iter().fold(Tally::default(), Tally::merge).backtest(model.name().to_string(), series_scored)
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// Errors and volumes summed over forecasts, and the failures.
#[derive(Default)]
pub(crate) struct Tally {
    absolute_error: f64,
    signed_error: f64,
    volume: f64,
    smapes: Vec<f64>,
    scaled: Vec<f64>,
    squared_scaled: Vec<f64>,
    forecasts: usize,
    pub(crate) failures: Vec<(String, String)>,
}

impl Tally {
    pub(crate) fn add(&mut self, history: &[f64], actual: &[f64], forecast: &[f64]) {
        for (a, f) in actual.iter().zip(forecast) {
            self.absolute_error += (a - f).abs();
            self.signed_error += f - a;
            self.volume += a.abs();
        }
        self.smapes.push(smape(actual, forecast));
        self.scaled.extend(mase(history, actual, forecast, 1));
        self.squared_scaled.extend(rmsse(history, actual, forecast));
        self.forecasts += 1;
    }

    fn merge(mut self, other: Tally) -> Tally {
        self.absolute_error += other.absolute_error;
        self.signed_error += other.signed_error;
        self.volume += other.volume;
        self.smapes.extend(other.smapes);
        self.scaled.extend(other.scaled);
        self.squared_scaled.extend(other.squared_scaled);
        self.forecasts += other.forecasts;
        self.failures.extend(other.failures);
        self
    }

    /// The scores of `model` over `series` series.
    pub(crate) fn backtest(self, model: String, series: usize) -> Backtest {
        let volume = self.volume.max(f64::MIN_POSITIVE);
        Backtest {
            model,
            one_minus_wape: 1.0 - self.absolute_error / volume,
            bias: self.signed_error / volume,
            smape: mean(&self.smapes),
            mase: mean(&self.scaled),
            rmsse: mean(&self.squared_scaled),
            series,
            forecasts: self.forecasts,
            failures: self.failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::Naive;

    #[test]
    fn every_origin_is_scored_against_what_followed() {
        // 1..=8: naive from cuts at 4 and 6, two steps each: forecasts 4, 4 against 5, 6 and 6, 6
        // against 7, 8. Errors 1 + 2 + 1 + 2 = 6 over volume 26, all under-forecasts.
        let series = [
            Series { id: "a".into(), values: (1..=8).map(f64::from).collect() },
            Series { id: "short".into(), values: vec![1.0; 4] },
        ];
        let b = rolling_origin(&series, &Naive, 1, 2, 2, &|_| {});
        assert_eq!((b.series, b.forecasts), (1, 2), "the short series is skipped");
        assert!((b.one_minus_wape - (1.0 - 6.0 / 26.0)).abs() < 1e-12);
        assert!((b.bias + 6.0 / 26.0).abs() < 1e-12);
        // Naive scale 1 on both histories: MAE 1.5 each. sMAPE: 200 · (1/9 + 2/10) / 2 and
        // 200 · (1/13 + 2/14) / 2.
        assert!((b.mase - 1.5).abs() < 1e-12);
        let smape = (100.0 * (1.0 / 9.0 + 2.0 / 10.0) + 100.0 * (1.0 / 13.0 + 2.0 / 14.0)) / 2.0;
        assert!((b.smape - smape).abs() < 1e-9);
        // Squared naive error 1; squared errors (1 + 4) / 2 on both origins.
        assert!((b.rmsse - 2.5f64.sqrt()).abs() < 1e-12);
        assert!(b.failures.is_empty());
    }

    /// Forecasts the last value, or fails on histories shorter than three values.
    struct LastOfThree;

    impl Forecaster for LastOfThree {
        fn name(&self) -> &str {
            "last"
        }

        fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<crate::Forecast, crate::ForecastError> {
            if y.len() < 3 {
                return Err(crate::ForecastError::Empty);
            }
            Ok(crate::Forecast {
                model: "last".into(),
                mean: vec![y[y.len() - 1]; request.horizon],
                intervals: Vec::new(),
            })
        }
    }

    #[test]
    fn failures_are_named_by_series_and_origin_and_left_out_of_the_scores() {
        // Cuts at 2 (history too short: a failure) and 3 (forecast 3 against 4: error 1 of 4).
        let series = [Series { id: "a".into(), values: vec![1.0, 2.0, 3.0, 4.0] }];
        let b = rolling_origin(&series, &LastOfThree, 1, 1, 2, &|_| {});
        assert_eq!(b.failures, [("a at origin 2".to_string(), crate::ForecastError::Empty.to_string())]);
        assert_eq!(b.forecasts, 1);
        assert!((b.one_minus_wape - 0.75).abs() < 1e-12);
    }
}
