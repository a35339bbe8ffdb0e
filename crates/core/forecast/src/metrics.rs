//! Forecast accuracy as the M4 competition defines it (sMAPE, MASE, OWA) and as retailers read it
//! (1 − WAPE).

/// Symmetric MAPE in percent (0..200): `200/h · Σ |a − f| / (|a| + |f|)`. A step where both the
/// actual and the forecast are 0 counts as a perfect forecast (M4 had no such steps; retail data does).
pub fn smape(actual: &[f64], forecast: &[f64]) -> f64 {
    let terms = actual.iter().zip(forecast).map(|(&a, &f)| {
        let denominator = a.abs() + f.abs();
        if denominator == 0.0 { 0.0 } else { (a - f).abs() / denominator }
    });
    200.0 * terms.sum::<f64>() / actual.len().max(1) as f64
}

/// The mean absolute error of the in-sample seasonal naive forecast with period `m`, `None` when the
/// history is too short (at most `m` observations) or has no such error (constant by period).
pub fn naive_scale(history: &[f64], m: usize) -> Option<f64> {
    let m = m.max(1);
    if history.len() <= m {
        return None;
    }
    let scale = history.windows(m + 1).map(|w| (w[m] - w[0]).abs()).sum::<f64>() / (history.len() - m) as f64;
    (scale > 0.0).then_some(scale)
}

/// Mean absolute scaled error: the forecast's mean absolute error over the in-sample seasonal-naive
/// error with period `m` (M4: 1 for weekly data). `None` where the scale is undefined.
pub fn mase(history: &[f64], actual: &[f64], forecast: &[f64], m: usize) -> Option<f64> {
    let scale = naive_scale(history, m)?;
    Some(mean_absolute_error(actual, forecast) / scale)
}

/// Root mean squared scaled error (M5): the forecast's root mean squared error over the in-sample
/// one-step naive error's, counted from the first non-zero observation (a product's first sale).
/// `None` where that scale is undefined.
pub fn rmsse(history: &[f64], actual: &[f64], forecast: &[f64]) -> Option<f64> {
    let start = history.iter().position(|&v| v != 0.0)?;
    let selling = &history[start..];
    if selling.len() < 2 {
        return None;
    }
    let scale = selling.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>() / (selling.len() - 1) as f64;
    let error = actual.iter().zip(forecast).map(|(a, f)| (a - f).powi(2)).sum::<f64>() / actual.len().max(1) as f64;
    (scale > 0.0).then(|| (error / scale).sqrt())
}

pub fn mean_absolute_error(actual: &[f64], forecast: &[f64]) -> f64 {
    actual.iter().zip(forecast).map(|(a, f)| (a - f).abs()).sum::<f64>() / actual.len().max(1) as f64
}

/// Weighted absolute percentage error over many series and steps: `Σ |a − f| / Σ |a|`. Retailers call
/// `1 − WAPE` the forecast accuracy. `None` when every actual is 0.
pub fn wape<'a>(pairs: impl IntoIterator<Item = (&'a [f64], &'a [f64])>) -> Option<f64> {
    let (mut error, mut volume) = (0.0, 0.0);
    for (actual, forecast) in pairs {
        error += actual.iter().zip(forecast).map(|(a, f)| (a - f).abs()).sum::<f64>();
        volume += actual.iter().map(|a| a.abs()).sum::<f64>();
    }
    (volume > 0.0).then(|| error / volume)
}

/// The M4 overall weighted average: the mean of a method's sMAPE and MASE, each relative to Naive2's
/// over the same series.
pub fn owa(smape: f64, mase: f64, naive2_smape: f64, naive2_mase: f64) -> f64 {
    0.5 * (smape / naive2_smape + mase / naive2_mase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smape_and_mase_follow_the_m4_definitions() {
        // |10 − 8| / 18 and |20 − 25| / 45, averaged, times 200.
        let s = smape(&[10.0, 20.0], &[8.0, 25.0]);
        assert!((s - 200.0 * (2.0 / 18.0 + 5.0 / 45.0) / 2.0).abs() < 1e-12);
        assert_eq!(smape(&[0.0], &[0.0]), 0.0);
        // History 1, 3, 2, 6: naive errors 2, 1, 4 → scale 7/3; forecast errors 2 and 5 → MAE 3.5.
        let m = mase(&[1.0, 3.0, 2.0, 6.0], &[10.0, 20.0], &[8.0, 25.0], 1).unwrap();
        assert!((m - 3.5 / (7.0 / 3.0)).abs() < 1e-12);
        // With period 2: errors |2 − 1|, |6 − 3| → scale 2.
        assert_eq!(naive_scale(&[1.0, 3.0, 2.0, 6.0], 2), Some(2.0));
        assert_eq!(naive_scale(&[5.0, 5.0, 5.0], 1), None, "a constant history has no scale");
        assert_eq!(naive_scale(&[5.0], 1), None);
    }

    #[test]
    fn rmsse_scales_by_the_naive_error_from_the_first_sale() {
        // Leading zeros ignored; steps 2 → 4 → 2 give squared naive errors 4, 4; forecast errors 1, 3.
        let r = rmsse(&[0.0, 0.0, 2.0, 4.0, 2.0], &[3.0, 5.0], &[2.0, 2.0]).unwrap();
        assert!((r - (5.0f64 / 4.0).sqrt()).abs() < 1e-12);
        assert_eq!(rmsse(&[0.0, 0.0], &[1.0], &[1.0]), None);
        assert_eq!(rmsse(&[3.0, 3.0], &[1.0], &[1.0]), None);
    }

    #[test]
    fn wape_weighs_by_volume_and_owa_is_relative_to_naive2() {
        let a: [&[f64]; 2] = [&[100.0, 100.0], &[1.0]];
        let f: [&[f64]; 2] = [&[90.0, 110.0], &[2.0]];
        assert!((wape(a.into_iter().zip(f)).unwrap() - 21.0 / 201.0).abs() < 1e-12);
        assert_eq!(wape([(&[0.0][..], &[1.0][..])]), None);
        assert_eq!(owa(9.0, 2.0, 9.0, 2.0), 1.0);
    }
}
