//! Every model by name, and the platform's default: AutoETS, which scored best on M4 Weekly's held-out
//! weeks (BENCHMARKS.md), ahead of its equal-weight combinations with the optimised Theta method.

use crate::baselines::{MovingAverage, Naive, Naive2, SeasonalNaive, TrendScaledSeasonalNaive};
use crate::ets::AutoEts;
use crate::intermittent::{Adida, Croston, Sba, Tsb};
use crate::theta::{OptimizedTheta, Theta};
use crate::{Forecast, ForecastError, Forecaster, Interval, Request};

/// The model the platform forecasts with unless told otherwise.
pub const DEFAULT: &str = "auto_ets";

/// Every name [`by_name`] knows, the default first.
pub const NAMES: [&str; 15] = [
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
        Ok(Forecast { model: format!("{}[{}]", self.name, parts.join(" + ")), mean, intervals })
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
}
