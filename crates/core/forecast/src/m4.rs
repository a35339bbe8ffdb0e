//! The M4 competition's files and scoring: series in rows (`id,v1,v2,...`, ragged), each model's
//! forecasts scored by sMAPE and MASE against the held-out values, averaged over series.

use rayon::prelude::*;
use serde::Serialize;

use crate::metrics::{mase, smape};
use crate::{ForecastError, Forecaster, Request};

/// One named series, oldest value first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parses the M4 csv layout: a header row, then `"id","v1","v2",...` per series; quotes optional,
/// trailing empty cells (ragged rows) ignored.
pub fn parse(text: &str) -> Result<Vec<Series>, ParseError> {
    let mut series = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut cells = line.split(',').map(|cell| cell.trim().trim_matches('"'));
        let id = cells.next().unwrap_or_default().to_string();
        let values = cells
            .filter(|cell| !cell.is_empty())
            .map(|cell| {
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| ParseError { line: line_no, message: format!("{cell:?} is not a number") })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        if values.is_empty() {
            return Err(ParseError { line: line_no, message: format!("series {id:?} has no values") });
        }
        series.push(Series { id, values });
    }
    Ok(series)
}

/// Splits each series into its history and its last `horizon` values, for scoring on a training file
/// whose test file is not at hand. Series not longer than the horizon are dropped.
pub fn hold_out(series: &[Series], horizon: usize) -> (Vec<Series>, Vec<Series>) {
    series
        .iter()
        .filter(|s| s.values.len() > horizon)
        .map(|s| {
            let (history, future) = s.values.split_at(s.values.len() - horizon);
            (
                Series { id: s.id.clone(), values: history.to_vec() },
                Series { id: s.id.clone(), values: future.to_vec() },
            )
        })
        .unzip()
}

/// A model's accuracy over a set of series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub model: String,
    pub series: usize,
    /// Mean sMAPE over the series, in percent.
    pub smape: f64,
    /// Mean MASE over the series whose in-sample scale is defined.
    pub mase: f64,
    /// Series the model could not forecast, with why.
    pub failures: Vec<(String, String)>,
}

/// One series' sMAPE and (where its scale is defined) MASE.
type Errors = (f64, Option<f64>);

/// Forecasts every training series `test[i].values.len()` steps ahead with `model` (in parallel) and
/// scores it against the test values. `scaling` is MASE's seasonal period (1 for weekly M4).
/// `progress` is called with the number of series done so far.
pub fn evaluate(
    train: &[Series],
    test: &[Series],
    model: &dyn Forecaster,
    season: usize,
    scaling: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Score, String> {
    if train.len() != test.len() {
        return Err(format!("{} training series but {} test series", train.len(), test.len()));
    }
    if let Some((a, b)) = train.iter().zip(test).find(|(a, b)| a.id != b.id) {
        return Err(format!("training series {:?} is matched with test series {:?}", a.id, b.id));
    }
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<Errors, (String, ForecastError)>> = train
        .par_iter()
        .zip(test)
        .map(|(history, actual)| {
            let request = Request { horizon: actual.values.len(), season, levels: &[] };
            let outcome = model.forecast(&history.values, &request).map_err(|e| (history.id.clone(), e));
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            let forecast = outcome?;
            Ok((smape(&actual.values, &forecast.mean), mase(&history.values, &actual.values, &forecast.mean, scaling)))
        })
        .collect();
    let (mut smapes, mut mases, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    for result in results {
        match result {
            Ok((s, m)) => {
                smapes.push(s);
                mases.extend(m);
            }
            Err((id, e)) => failures.push((id, e.to_string())),
        }
    }
    let mean = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    Ok(Score {
        model: model.name().to_string(),
        series: smapes.len(),
        smape: mean(&smapes),
        mase: mean(&mases),
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Forecast;

    #[test]
    fn parses_ragged_quoted_rows_and_names_bad_cells() {
        let text = "\"V1\",\"V2\",\"V3\",\"V4\"\n\"W1\",\"1\",\"2\",\"3\"\n\"W2\",\"4\",\"5\",\"\"\n";
        let series = parse(text).unwrap();
        assert_eq!(
            series,
            [
                Series { id: "W1".into(), values: vec![1.0, 2.0, 3.0] },
                Series { id: "W2".into(), values: vec![4.0, 5.0] }
            ]
        );
        assert_eq!(parse("h\nW1,1,x\n").unwrap_err(), ParseError { line: 2, message: "\"x\" is not a number".into() });
        assert_eq!(parse("h\nW1,,\n").unwrap_err().line, 2);
        let (history, future) = hold_out(&series, 2);
        assert_eq!(
            (history.len(), history[0].values.as_slice(), future[0].values.as_slice()),
            (1, &[1.0][..], &[2.0, 3.0][..])
        );
    }

    /// Forecasts the last value, or fails on series shorter than two values.
    struct Last;

    impl Forecaster for Last {
        fn name(&self) -> &str {
            "last"
        }

        fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
            if y.len() < 2 {
                return Err(ForecastError::Empty);
            }
            Ok(Forecast { model: "last".into(), mean: vec![y[y.len() - 1]; request.horizon], intervals: Vec::new() })
        }
    }

    #[test]
    fn scores_are_means_over_series_and_failures_are_named() {
        let series = |id: &str, values: &[f64]| Series { id: id.into(), values: values.to_vec() };
        let train = [series("a", &[1.0, 2.0, 4.0]), series("b", &[5.0])];
        let test = [series("a", &[4.0, 6.0]), series("b", &[5.0])];
        let score = evaluate(&train, &test, &Last, 1, 1, &|_| {}).unwrap();
        // Series a: forecasts 4, 4 against 4, 6: sMAPE 200 · (0 + 2/10) / 2 = 20; MAE 1 over scale 1.5.
        assert_eq!(score.series, 1);
        assert!((score.smape - 20.0).abs() < 1e-12);
        assert!((score.mase - 1.0 / 1.5).abs() < 1e-12);
        assert_eq!(score.failures, [("b".to_string(), ForecastError::Empty.to_string())]);
        assert!(evaluate(&train[..1], &test, &Last, 1, 1, &|_| {}).is_err(), "unmatched files are refused");
    }
}
