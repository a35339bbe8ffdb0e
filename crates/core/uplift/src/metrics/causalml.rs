//! causalml's `auuc_score` and `qini_score` with `normalize=True` (its defaults), computed from
//! outcomes and treatment flags rather than a known treatment effect.
//!
//! causalml sorts with pandas' `sort_values(ascending=False)`, which keeps tied scores in input
//! order, and evaluates every row (ties are not collapsed). Points where one arm is still empty
//! are undefined; pandas fills them by linear interpolation from the origin, on the lift
//! (difference of rates) for AUUC and on the Qini curve itself for Qini. Each curve is then
//! normalised by the absolute value of its last point.

use super::validate;
use crate::UpliftError;

/// Mean height of the normalised diagonal from the origin to the curve's end: the random model.
const RANDOM_MEAN_HEIGHT: f64 = 0.5;

/// Highest score first, ties in input order.
fn descending_order(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| (scores[b] + 0.0).total_cmp(&(scores[a] + 0.0)).then(a.cmp(&b)));
    order
}

/// Which cumulative curve a score is built from.
#[derive(Clone, Copy)]
enum CurveKind {
    /// `get_cumgain`: difference of response rates (interpolated) times the number targeted.
    Gain,
    /// `get_qini`: treated responders minus control responders scaled to the treated count.
    Qini,
}

/// The curve at 0, 1, ..., n targeted.
fn cumulative_curve(y: &[f64], treatment: &[bool], order: &[usize], kind: CurveKind) -> Vec<f64> {
    let mut curve = Vec::with_capacity(order.len() + 1);
    curve.push(0.0);
    let (mut treated, mut treated_outcome, mut control_outcome) = (0.0, 0.0, 0.0);
    for (position, &index) in order.iter().enumerate() {
        let targeted = (position + 1) as f64;
        if treatment[index] {
            treated += 1.0;
            treated_outcome += y[index];
        } else {
            control_outcome += y[index];
        }
        let control = targeted - treated;
        // 0/0 yields NaN while an arm is still empty, exactly the points pandas interpolates.
        curve.push(match kind {
            CurveKind::Gain => treated_outcome / treated - control_outcome / control,
            CurveKind::Qini => treated_outcome - control_outcome * treated / control,
        });
    }
    interpolate_gaps(&mut curve);
    if let CurveKind::Gain = kind {
        curve.iter_mut().enumerate().for_each(|(targeted, lift)| *lift *= targeted as f64);
    }
    curve
}

/// Linear interpolation over interior runs of NaN (`DataFrame.interpolate()`).
fn interpolate_gaps(values: &mut [f64]) {
    let mut last_valid = 0;
    for index in 1..values.len() {
        if values[index].is_nan() {
            continue;
        }
        let gap = index - last_valid;
        for step in 1..gap {
            let fraction = step as f64 / gap as f64;
            values[last_valid + step] = values[last_valid] + (values[index] - values[last_valid]) * fraction;
        }
        last_valid = index;
    }
}

/// Sum of the curve divided by its absolute end value.
fn normalised_sum(curve: &[f64]) -> Result<f64, UpliftError> {
    let end = curve.last().copied().unwrap_or(0.0).abs();
    if end == 0.0 || !end.is_finite() {
        return Err(UpliftError::Undefined("the curve ends at zero, so it cannot be normalised"));
    }
    Ok(curve.iter().map(|value| value / end).sum())
}

/// causalml `auuc_score(normalize=True)` of one model: the mean height of the normalised
/// cumulative-gain curve over 0..=n targeted.
pub fn auuc_score(y: &[f64], treatment: &[bool], uplift: &[f64]) -> Result<f64, UpliftError> {
    validate(y, treatment, Some(uplift))?;
    let gain = cumulative_curve(y, treatment, &descending_order(uplift), CurveKind::Gain);
    Ok(normalised_sum(&gain)? / gain.len() as f64)
}

/// causalml `qini_score(normalize=True)` of one model: the mean height of its normalised Qini
/// curve minus that of the random model, the diagonal to the same end point (mean height 1/2).
pub fn qini_score(y: &[f64], treatment: &[bool], uplift: &[f64]) -> Result<f64, UpliftError> {
    validate(y, treatment, Some(uplift))?;
    let qini = cumulative_curve(y, treatment, &descending_order(uplift), CurveKind::Qini);
    Ok(normalised_sum(&qini)? / qini.len() as f64 - RANDOM_MEAN_HEIGHT)
}
