//! Every model by name, and the platform's default: AutoETS, the best single model on M4 Weekly's
//! held-out weeks (BENCHMARKS.md) with AutoARIMA close behind; ahead of both are their equal-weight
//! combination (`ets_arima`) and, best, the per-series choice among AutoETS, AutoARIMA and their mean
//! by a short rolling-origin validation (`select_cv`), which costs three fits of each.

use crate::arima::AutoArima;
use crate::baselines::{MovingAverage, Naive, Naive2, SeasonalNaive, TrendScaledSeasonalNaive};
use crate::ets::AutoEts;
use crate::intermittent::{Adida, Croston, Sba, Tsb};
use crate::metrics::{mean_absolute_error, naive_scale};
use crate::mstl::Mstl;
use crate::theta::{OptimizedTheta, Theta};
use crate::{Forecast, ForecastError, Forecaster, Interval, Request};

/// The model the platform forecasts with unless told otherwise.
pub const DEFAULT: &str = "auto_ets";

/// Every name [`by_name`] knows, the default first.
pub const NAMES: [&str; 20] = [
    DEFAULT,
    "ets_theta",
    "theta",
    "optimized_theta",
    "naive",
    "snaive",
    "snaive_trend",
    "naive2",
    "moving_average",
    "croston",
    "sba",
    "tsb",
    "adida",
    "ets_theta_naive2",
    "ets_snaive_trend",
    "auto_arima",
    "ets_arima",
    "select_cv",
    "mstl",
    "mstl_one_cycle",
];

/// The model called `name`, `None` for an unknown name.
pub fn by_name(name: &str) -> Option<Box<dyn Forecaster>> {
    let model: Box<dyn Forecaster> = match name {
        DEFAULT => Box::new(AutoEts::default()),
        "ets_theta" => {
            Box::new(Combination::new("ets_theta", vec![Box::new(AutoEts::default()), Box::new(OptimizedTheta)]))
        }
        "theta" => Box::new(Theta),
        "optimized_theta" => Box::new(OptimizedTheta),
        "naive" => Box::new(Naive),
        "snaive" => Box::new(SeasonalNaive),
        "snaive_trend" => Box::new(TrendScaledSeasonalNaive),
        "naive2" => Box::new(Naive2),
        "moving_average" => Box::new(MovingAverage { window: 4 }),
        "croston" => Box::new(Croston),
        "sba" => Box::new(Sba),
        "tsb" => Box::new(Tsb),
        "adida" => Box::new(Adida),
        "ets_theta_naive2" => Box::new(Combination::new(
            "ets_theta_naive2",
            vec![Box::new(AutoEts::default()), Box::new(OptimizedTheta), Box::new(Naive2)],
        )),
        "ets_snaive_trend" => Box::new(Combination::new(
            "ets_snaive_trend",
            vec![Box::new(AutoEts::default()), Box::new(TrendScaledSeasonalNaive)],
        )),
        "auto_arima" => Box::new(AutoArima::default()),
        "ets_arima" => {
            Box::new(Combination::new("ets_arima", vec![Box::new(AutoEts::default()), Box::new(AutoArima::default())]))
        }
        "select_cv" => {
            Box::new(SelectCv::new("select_cv", vec![Box::new(AutoEts::default()), Box::new(AutoArima::default())], 2))
        }
        "mstl" => Box::new(Mstl::default()),
        "mstl_one_cycle" => Box::new(Mstl { min_cycles: 1, ..Mstl::default() }),
        _ => return None,
    };
    Some(model)
}

/// The mean of several models' forecasts. Its interval bounds are the means of theirs: not a
/// probabilistic combination, but it keeps each bound between the members' and contains the mean.
pub struct Combination {
    name: &'static str,
    members: Vec<Box<dyn Forecaster>>,
}

impl Combination {
    /// Panics without members.
    pub fn new(name: &'static str, members: Vec<Box<dyn Forecaster>>) -> Self {
        assert!(!members.is_empty(), "a combination needs at least one model");
        Self { name, members }
    }
}

impl Forecaster for Combination {
    fn name(&self) -> &str {
        self.name
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        let forecasts = self.members.iter().map(|m| m.forecast(y, request)).collect::<Result<Vec<_>, _>>()?;
        Ok(average(self.name, &forecasts, request))
    }
}

/// The mean of `forecasts`' points and of their interval bounds, named after them.
fn average(name: &str, forecasts: &[Forecast], request: &Request<'_>) -> Forecast {
    let n = forecasts.len() as f64;
    let average = |pick: &dyn Fn(&Forecast) -> &[f64]| -> Vec<f64> {
        (0..request.horizon).map(|h| forecasts.iter().map(|f| pick(f)[h]).sum::<f64>() / n).collect()
    };
    let mean = average(&|f| &f.mean);
    let intervals = (0..request.levels.len())
        .map(|i| Interval {
            level: request.levels[i],
            lower: average(&|f| &f.intervals[i].lower),
            upper: average(&|f| &f.intervals[i].upper),
        })
        .collect();
    let parts: Vec<&str> = forecasts.iter().map(|f| f.model.as_str()).collect();
    Forecast { model: format!("{name}[{}]", parts.join(" + ")), mean, intervals }
}

/// Per series, whichever of its candidates — each member alone, or the members' mean — forecast the
/// series' own recent past best: the history is cut `origins` times, `horizon` steps apart from its
/// end, each member forecasts `horizon` steps from each cut, and the candidate with the least MASE
/// (one-step naive scale of that cut's history) summed over the cuts forecasts the whole history.
/// Cuts that would leave fewer than `2·horizon` (or 8) observations are skipped; with none left, or
/// on a tie, the mean is taken. Fits each member `origins` times more than it forecasts.
pub struct SelectCv {
    name: &'static str,
    members: Vec<Box<dyn Forecaster>>,
    origins: usize,
}

impl SelectCv {
    /// Panics without members.
    pub fn new(name: &'static str, members: Vec<Box<dyn Forecaster>>, origins: usize) -> Self {
        assert!(!members.is_empty(), "a selection needs at least one model");
        Self { name, members, origins }
    }

    /// Summed MASE per candidate (members, then their mean) over the cuts, infinite for a candidate
    /// that could not forecast from one of them; `None` without a cut.
    fn validation_errors(&self, y: &[f64], request: &Request<'_>) -> Option<Vec<f64>> {
        let horizon = request.horizon;
        let validation = Request { levels: &[], ..*request };
        let mut errors = vec![0.0; self.members.len() + 1];
        let mut cuts = 0;
        for origin in 1..=self.origins {
            let Some(cut) = y.len().checked_sub(origin * horizon) else { break };
            if cut < (2 * horizon).max(8) {
                break;
            }
            let (history, actual) = (&y[..cut], &y[cut..cut + horizon]);
            let scale = naive_scale(history, 1).unwrap_or(1.0);
            let forecasts: Vec<Option<Forecast>> =
                self.members.iter().map(|m| m.forecast(history, &validation).ok()).collect();
            let score = |mean: Option<&[f64]>| mean.map_or(f64::INFINITY, |m| mean_absolute_error(actual, m) / scale);
            for (error, forecast) in errors.iter_mut().zip(&forecasts) {
                *error += score(forecast.as_ref().map(|f| f.mean.as_slice()));
            }
            let all: Option<Vec<Forecast>> = forecasts.into_iter().collect();
            let mean = all.map(|all| average(self.name, &all, &validation).mean);
            errors[self.members.len()] += score(mean.as_deref());
            cuts += 1;
        }
        (cuts > 0).then_some(errors)
    }
}

impl Forecaster for SelectCv {
    fn name(&self) -> &str {
        self.name
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        let mean = self.members.len();
        let choice = match self.validation_errors(y, request) {
            Some(errors) => (0..mean).fold(mean, |best, i| if errors[i] < errors[best] { i } else { best }),
            None => mean,
        };
        let mut forecast = if choice == mean {
            let forecasts = self.members.iter().map(|m| m.forecast(y, request)).collect::<Result<Vec<_>, _>>()?;
            average("mean", &forecasts, request)
        } else {
            self.members[choice].forecast(y, request)?
        };
        forecast.model = format!("{}[{}]", self.name, forecast.model);
        Ok(forecast)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_builds_and_forecasts_a_seasonal_series() {
        let y: Vec<f64> = (0..60).map(|t| 100.0 + t as f64 + [10.0, -5.0, 0.0, -5.0][t % 4]).collect();
        let request = Request { horizon: 6, season: 4, levels: &[0.8, 0.95] };
        for name in NAMES {
            let model = by_name(name).unwrap_or_else(|| panic!("{name} is registered"));
            assert_eq!(model.name(), name);
            let f = model.forecast(&y, &request).unwrap();
            assert_eq!(f.mean.len(), 6, "{name}");
            for interval in &f.intervals {
                assert!(interval.lower.iter().zip(&f.mean).zip(&interval.upper).all(|((l, m), u)| l <= m && m <= u));
            }
        }
        assert!(by_name("prophet").is_none());
    }

    #[test]
    fn a_combination_averages_its_members() {
        let y = [1.0, 2.0, 3.0, 4.0, 5.0];
        let request = Request { horizon: 2, season: 1, levels: &[0.9] };
        let both = Combination::new("both", vec![Box::new(Naive), Box::new(MovingAverage { window: 5 })]);
        let f = both.forecast(&y, &request).unwrap();
        // Naive 5, moving average 3.
        assert_eq!(f.mean, [4.0, 4.0]);
        assert!(f.model.starts_with("both["), "{}", f.model);
        assert_eq!(f.intervals.len(), 1);
    }

    #[test]
    fn select_cv_keeps_what_forecast_the_recent_past_best() {
        let candidates =
            || -> Vec<Box<dyn Forecaster>> { vec![Box::new(Naive), Box::new(MovingAverage { window: 8 })] };
        let request = Request { horizon: 3, season: 1, levels: &[0.9] };
        // On a straight line the last value beats an 8-value average, and their mean, at every cut.
        let line: Vec<f64> = (1..=40).map(f64::from).collect();
        let select = SelectCv::new("select_cv", candidates(), 2);
        let f = select.forecast(&line, &request).unwrap();
        assert_eq!(f.model, "select_cv[naive]");
        assert_eq!(f.mean, [40.0; 3]);
        // Alternating values: the average is right, the last value is always 1 off.
        let alternating: Vec<f64> = (0..40).map(|t| if t % 2 == 0 { 9.0 } else { 11.0 }).collect();
        let f = select.forecast(&alternating, &request).unwrap();
        assert_eq!(f.model, "select_cv[moving_average(8)]");
        // Too short for a cut: the mean of both.
        let f = select.forecast(&[1.0, 2.0, 3.0], &request).unwrap();
        assert!(f.model.starts_with("select_cv[mean[naive + moving_average"), "{}", f.model);
        assert_eq!(f.mean, [2.5; 3]);
        assert_eq!(f.intervals[0].lower.len(), 3);
    }
}
