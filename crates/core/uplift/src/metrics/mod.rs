//! Uplift metrics, reproducing scikit-uplift 0.5 (`sklift.metrics`) and causalml's normalised
//! AUUC and Qini scores number for number.
//!
//! Arguments follow one order everywhere: outcomes `y` (0/1, or amounts where the metric allows
//! them), `treatment` (true = treated), and the model's `uplift` scores (higher = target first).
//!
//! scikit-uplift orders by score with a reversed stable sort and evaluates its curves only at
//! distinct scores (like scikit-learn's `_binary_clf_curve`), so tied scores form one step.

mod causalml;

pub use causalml::{auuc_score, qini_score};

use serde::{Deserialize, Serialize};

use crate::UpliftError;

/// A curve through `(x[i], y[i])`: population targeted so far against incremental outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Curve {
    /// Trapezoidal area, like scikit-learn's `auc`: x may run up or down, but not both.
    pub fn auc(&self) -> Result<f64, UpliftError> {
        let steps: Vec<f64> = self.x.windows(2).map(|pair| pair[1] - pair[0]).collect();
        let direction = if steps.iter().any(|&step| step < 0.0) {
            if steps.iter().all(|&step| step <= 0.0) {
                -1.0
            } else {
                return Err(UpliftError::Undefined("curve x is neither increasing nor decreasing"));
            }
        } else {
            1.0
        };
        let area: f64 = steps.iter().zip(self.y.windows(2)).map(|(step, pair)| step * (pair[0] + pair[1]) / 2.0).sum();
        Ok(direction * area)
    }

    fn starting_at_origin(points: impl Iterator<Item = (f64, f64)>) -> Self {
        let (x, y) = std::iter::once((0.0, 0.0)).chain(points).unzip();
        Self { x, y }
    }
}

/// How [`uplift_at_k`] picks the top k.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The top k fraction of everyone, then the response rates of each arm inside it.
    Overall,
    /// The top k fraction of each arm separately.
    ByGroup,
}

/// Checks lengths, finiteness and that both arms are present.
pub(crate) fn validate(y: &[f64], treatment: &[bool], uplift: Option<&[f64]>) -> Result<(), UpliftError> {
    if y.is_empty() {
        return Err(UpliftError::Empty);
    }
    check_length("treatment", y.len(), treatment.len())?;
    check_finite("outcome", y)?;
    if let Some(uplift) = uplift {
        check_length("uplift", y.len(), uplift.len())?;
        check_finite("uplift", uplift)?;
    }
    check_both_arms(treatment)
}

pub(crate) fn check_length(what: &'static str, expected: usize, actual: usize) -> Result<(), UpliftError> {
    if expected == actual { Ok(()) } else { Err(UpliftError::LengthMismatch { what, expected, actual }) }
}

pub(crate) fn check_finite(what: &'static str, values: &[f64]) -> Result<(), UpliftError> {
    match values.iter().position(|value| !value.is_finite()) {
        Some(index) => Err(UpliftError::NonFinite { what, index }),
        None => Ok(()),
    }
}

pub(crate) fn check_both_arms(treatment: &[bool]) -> Result<(), UpliftError> {
    match (treatment.contains(&true), treatment.contains(&false)) {
        (true, true) => Ok(()),
        (true, false) => Err(UpliftError::SingleArm { present: "treatment" }),
        _ => Err(UpliftError::SingleArm { present: "control" }),
    }
}

pub(crate) fn check_binary(y: &[f64]) -> Result<(), UpliftError> {
    match y.iter().position(|&value| value != 0.0 && value != 1.0) {
        Some(index) => Err(UpliftError::NonBinaryOutcome { index, value: y[index] }),
        None => Ok(()),
    }
}

/// `np.argsort(uplift, kind="mergesort")[::-1]`: highest score first, ties latest index first.
fn sklift_order(uplift: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..uplift.len()).collect();
    // Adding 0.0 turns -0.0 into 0.0, which NumPy treats as equal.
    order.sort_by(|&a, &b| (uplift[b] + 0.0).total_cmp(&(uplift[a] + 0.0)).then(b.cmp(&a)));
    order
}

/// `numerator / denominator`, or 0 when the denominator is 0 (NumPy's `divide(..., where=...)`).
fn ratio_or_zero(numerator: f64, denominator: f64) -> f64 {
    if denominator != 0.0 { numerator / denominator } else { 0.0 }
}

/// Running totals over the targeted population, one per distinct score threshold.
struct Cumulative {
    targeted: f64,
    treated: f64,
    treated_outcome: f64,
    control_outcome: f64,
}

impl Cumulative {
    fn control(&self) -> f64 {
        self.targeted - self.treated
    }
}

fn cumulative_at_thresholds(y: &[f64], treatment: &[bool], uplift: &[f64]) -> Vec<Cumulative> {
    let order = sklift_order(uplift);
    let mut thresholds = Vec::new();
    let (mut treated, mut treated_outcome, mut control_outcome) = (0.0, 0.0, 0.0);
    for (position, &index) in order.iter().enumerate() {
        if treatment[index] {
            treated += 1.0;
            treated_outcome += y[index];
        } else {
            control_outcome += y[index];
        }
        let last_of_tie = order.get(position + 1).is_none_or(|&next| uplift[next] != uplift[index]);
        if last_of_tie {
            thresholds.push(Cumulative { targeted: (position + 1) as f64, treated, treated_outcome, control_outcome });
        }
    }
    thresholds
}

/// sklift `qini_curve`: treated responders minus control responders scaled to the treated count.
pub fn qini_curve(y: &[f64], treatment: &[bool], uplift: &[f64]) -> Result<Curve, UpliftError> {
    validate(y, treatment, Some(uplift))?;
    let points = cumulative_at_thresholds(y, treatment, uplift)
        .into_iter()
        .map(|at| (at.targeted, at.treated_outcome - at.control_outcome * ratio_or_zero(at.treated, at.control())));
    Ok(Curve::starting_at_origin(points))
}

/// sklift `uplift_curve`: difference of response rates times the number targeted.
pub fn uplift_curve(y: &[f64], treatment: &[bool], uplift: &[f64]) -> Result<Curve, UpliftError> {
    validate(y, treatment, Some(uplift))?;
    let points = cumulative_at_thresholds(y, treatment, uplift).into_iter().map(|at| {
        let rate_difference =
            ratio_or_zero(at.treated_outcome, at.treated) - ratio_or_zero(at.control_outcome, at.control());
        (at.targeted, rate_difference * at.targeted)
    });
    Ok(Curve::starting_at_origin(points))
}

fn arm_sign(treated: bool) -> f64 {
    if treated { 1.0 } else { -1.0 }
}

/// sklift `perfect_qini_curve`. With `negative_effect` the ideal model ranks treated responders
/// first and control responders last; without it the ideal curve is the triangle reaching the
/// overall incremental response immediately.
pub fn perfect_qini_curve(y: &[f64], treatment: &[bool], negative_effect: bool) -> Result<Curve, UpliftError> {
    validate(y, treatment, None)?;
    if negative_effect {
        let ideal: Vec<f64> = y.iter().zip(treatment).map(|(&outcome, &treated)| outcome * arm_sign(treated)).collect();
        return qini_curve(y, treatment, &ideal);
    }
    let (mut treated, mut treated_outcome, mut control_outcome) = (0.0, 0.0, 0.0);
    for (&outcome, &is_treated) in y.iter().zip(treatment) {
        if is_treated {
            treated += 1.0;
            treated_outcome += outcome;
        } else {
            control_outcome += outcome;
        }
    }
    let control = y.len() as f64 - treated;
    let incremental = treated_outcome - treated * control_outcome / control;
    Ok(Curve { x: vec![0.0, incremental, y.len() as f64], y: vec![0.0, incremental, incremental] })
}

/// sklift `perfect_uplift_curve`: the ideal ordering puts treated responders and control
/// non-responders first, breaking the rest by whichever group dominates.
pub fn perfect_uplift_curve(y: &[f64], treatment: &[bool]) -> Result<Curve, UpliftError> {
    validate(y, treatment, None)?;
    let control_responders = y.iter().zip(treatment).filter(|&(&outcome, &treated)| outcome == 1.0 && !treated).count();
    let treated_non_responders =
        y.iter().zip(treatment).filter(|&(&outcome, &treated)| outcome == 0.0 && treated).count();
    let rank_by_outcome = control_responders > treated_non_responders;
    let ideal: Vec<f64> = y
        .iter()
        .zip(treatment)
        .map(|(&outcome, &treated)| {
            let arm = f64::from(u8::from(treated));
            let agrees = f64::from(u8::from(outcome == arm));
            2.0 * agrees + if rank_by_outcome { outcome } else { arm }
        })
        .collect();
    uplift_curve(y, treatment, &ideal)
}

/// Area between `actual` and the chord to the end point, relative to the same for `perfect`.
fn normalised_area(actual: &Curve, perfect: &Curve) -> Result<f64, UpliftError> {
    let (&end_x, &end_y) = perfect.x.last().zip(perfect.y.last()).ok_or(UpliftError::Empty)?;
    let baseline = Curve { x: vec![0.0, end_x], y: vec![0.0, end_y] }.auc()?;
    let perfect_area = perfect.auc()? - baseline;
    if perfect_area == 0.0 || !perfect_area.is_finite() {
        return Err(UpliftError::Undefined("the perfect curve encloses no area above random"));
    }
    Ok((actual.auc()? - baseline) / perfect_area)
}

/// sklift `qini_auc_score`: Qini area above random, relative to the perfect model's.
///
/// sklift accepts only 0/1 outcomes here; amounts are accepted too because every step of the
/// computation is defined for them.
pub fn qini_auc_score(
    y: &[f64],
    treatment: &[bool],
    uplift: &[f64],
    negative_effect: bool,
) -> Result<f64, UpliftError> {
    normalised_area(&qini_curve(y, treatment, uplift)?, &perfect_qini_curve(y, treatment, negative_effect)?)
}

/// sklift `uplift_auc_score`: uplift-curve area above random, relative to the perfect model's.
pub fn uplift_auc_score(y: &[f64], treatment: &[bool], uplift: &[f64]) -> Result<f64, UpliftError> {
    validate(y, treatment, Some(uplift))?;
    check_binary(y)?;
    normalised_area(&uplift_curve(y, treatment, uplift)?, &perfect_uplift_curve(y, treatment)?)
}

/// sklift `uplift_at_k` with a fractional `k`: treated minus control response rate among the
/// top-scored `floor(k * n)` (overall) or the top `floor(k * n_arm)` of each arm (by group).
pub fn uplift_at_k(
    y: &[f64],
    treatment: &[bool],
    uplift: &[f64],
    k: f64,
    strategy: Strategy,
) -> Result<f64, UpliftError> {
    validate(y, treatment, Some(uplift))?;
    if !(k > 0.0 && k < 1.0) {
        return Err(UpliftError::InvalidK(k));
    }
    let order = sklift_order(uplift);
    let in_arm = |treated: bool| order.iter().copied().filter(move |&index| treatment[index] == treated);
    let mean_of_top = |treated: bool| -> Result<f64, UpliftError> {
        let top: Vec<usize> = match strategy {
            Strategy::Overall => {
                let size = (y.len() as f64 * k) as usize;
                order[..size].iter().copied().filter(|&index| treatment[index] == treated).collect()
            }
            Strategy::ByGroup => {
                let size = (in_arm(treated).count() as f64 * k) as usize;
                in_arm(treated).take(size).collect()
            }
        };
        if top.is_empty() {
            return Err(UpliftError::EmptyGroupAtK { k, group: if treated { "treatment" } else { "control" } });
        }
        Ok(top.iter().map(|&index| y[index]).sum::<f64>() / top.len() as f64)
    };
    Ok(mean_of_top(true)? - mean_of_top(false)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const Y: [f64; 6] = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0];
    const T: [bool; 6] = [true, true, false, false, true, false];
    const U: [f64; 6] = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];

    #[test]
    fn degenerate_input_is_a_typed_error() {
        assert_eq!(qini_curve(&[], &[], &[]), Err(UpliftError::Empty));
        assert_eq!(
            qini_auc_score(&Y, &T[..5], &U, true),
            Err(UpliftError::LengthMismatch { what: "treatment", expected: 6, actual: 5 })
        );
        assert_eq!(uplift_auc_score(&Y, &[true; 6], &U), Err(UpliftError::SingleArm { present: "treatment" }));
        let mut nan_scores = U;
        nan_scores[2] = f64::NAN;
        assert_eq!(uplift_curve(&Y, &T, &nan_scores), Err(UpliftError::NonFinite { what: "uplift", index: 2 }));
        assert!(matches!(qini_auc_score(&[0.0; 6], &T, &U, true), Err(UpliftError::Undefined(_))));
        assert_eq!(uplift_at_k(&Y, &T, &U, 1.0, Strategy::Overall), Err(UpliftError::InvalidK(1.0)));
        assert!(matches!(uplift_at_k(&Y, &T, &U, 0.2, Strategy::Overall), Err(UpliftError::EmptyGroupAtK { .. })));
        let amounts = [2.5, 0.0, 1.0, 0.0, 3.0, 0.0];
        assert!(matches!(uplift_auc_score(&amounts, &T, &U), Err(UpliftError::NonBinaryOutcome { index: 0, .. })));
    }

    #[test]
    fn perfect_scores_reach_one() {
        let perfect: Vec<f64> = Y.iter().zip(T).map(|(&y, t)| y * arm_sign(t)).collect();
        assert!((qini_auc_score(&Y, &T, &perfect, true).unwrap() - 1.0).abs() < 1e-12);
    }

    proptest::proptest! {
        #[test]
        fn metrics_never_panic(rows in proptest::collection::vec((0u8..3, proptest::bool::ANY, -2.0f64..2.0), 0..40)) {
            let y: Vec<f64> = rows.iter().map(|row| f64::from(row.0.min(1))).collect();
            let treatment: Vec<bool> = rows.iter().map(|row| row.1).collect();
            // Rounding creates ties; a value of 2 stands for a missing score.
            let uplift: Vec<f64> = rows.iter().map(|row| if row.0 == 2 { f64::NAN } else { (row.2 * 4.0).round() }).collect();
            if let Ok(curve) = qini_curve(&y, &treatment, &uplift) {
                proptest::prop_assert_eq!(curve.x.last().copied(), Some(rows.len() as f64));
            }
            let _ = qini_auc_score(&y, &treatment, &uplift, true);
            let _ = qini_auc_score(&y, &treatment, &uplift, false);
            let _ = uplift_auc_score(&y, &treatment, &uplift);
            let _ = uplift_at_k(&y, &treatment, &uplift, 0.3, Strategy::Overall);
            let _ = uplift_at_k(&y, &treatment, &uplift, 0.3, Strategy::ByGroup);
            let _ = auuc_score(&y, &treatment, &uplift);
            let _ = qini_score(&y, &treatment, &uplift);
        }
    }

    #[test]
    fn curves_start_at_origin_and_end_at_population() {
        let curve = qini_curve(&Y, &T, &U).unwrap();
        assert_eq!((curve.x[0], curve.y[0]), (0.0, 0.0));
        assert_eq!(curve.x.last(), Some(&6.0));
    }
}
