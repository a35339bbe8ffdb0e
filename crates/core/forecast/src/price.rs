//! How demand answers price: a constant elasticity learned from the days an item or a category sold
//! below its regular price, and a forecast restated for a planned price change ("what if we take
//! 20 % off next week"). Each discounted day is compared with what the same weekday sold at the
//! regular price over the four weeks before it, so the weekly rhythm and the level of the season are
//! not mistaken for the discount's effect.

use serde::Serialize;

/// A price below this share of the regular price counts as a discount.
const DISCOUNTED_BELOW: f64 = 0.98;
/// Discounted days needed before an elasticity is trusted.
pub const MIN_DISCOUNTED_DAYS: usize = 5;
/// Elasticities are kept within this range: demand that falls as price falls, or that responds more
/// than sixfold, is noise in a few days of data.
const ELASTICITY_RANGE: (f64, f64) = (-6.0, 0.0);

/// Demand's response to price as learned.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PriceResponse {
    /// d ln(units) / d ln(price): −2 means 10 % off sells about 23 % more (0.9^−2 = 1.23).
    pub elasticity: f64,
    /// Discounted days with a comparable regular-price baseline that it was learned from.
    pub discounted_days: usize,
    /// The deepest discount seen, as a share off the regular price (0.3 = 30 % off): beyond it the
    /// response is extrapolated.
    pub deepest_discount: f64,
}

/// Why no response could be learned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceError {
    #[error("units and price ratios differ in length ({units} against {ratios})")]
    Length { units: usize, ratios: usize },
    #[error(
        "only {0} discounted days with regular-price days to compare against; at least {MIN_DISCOUNTED_DAYS} are needed"
    )]
    TooFewDiscountedDays(usize),
}

/// Learns the elasticity from daily `units` and each day's `price_ratio` (price paid over regular
/// price; NaN for a day without sales, whose price is unknown), oldest first: for every discounted
/// day with sales, ln(units / baseline) against ln(ratio), where the baseline is the mean of the same
/// weekday's regular-price days over the previous four weeks; the least-squares slope through the
/// origin.
pub fn learn_response(units: &[f64], price_ratio: &[f64]) -> Result<PriceResponse, PriceError> {
    if units.len() != price_ratio.len() {
        return Err(PriceError::Length { units: units.len(), ratios: price_ratio.len() });
    }
    let regular = |t: usize| price_ratio[t].is_finite() && price_ratio[t] >= DISCOUNTED_BELOW;
    let (mut xy, mut xx, mut days, mut deepest) = (0.0, 0.0, 0, 0.0f64);
    for t in 0..units.len() {
        let ratio = price_ratio[t];
        if !(ratio.is_finite() && ratio > 0.0 && ratio < DISCOUNTED_BELOW && units[t] > 0.0) {
            continue;
        }
        let same_weekday: Vec<f64> =
            (1..=4).filter_map(|w| t.checked_sub(7 * w)).filter(|&s| regular(s)).map(|s| units[s].max(0.0)).collect();
        let baseline = same_weekday.iter().sum::<f64>() / same_weekday.len().max(1) as f64;
        if same_weekday.is_empty() || baseline <= 0.0 {
            continue;
        }
        let (x, y) = (ratio.ln(), (units[t] / baseline).ln());
        xy += x * y;
        xx += x * x;
        days += 1;
        deepest = deepest.max(1.0 - ratio);
    }
    if days < MIN_DISCOUNTED_DAYS || xx <= 0.0 {
        return Err(PriceError::TooFewDiscountedDays(days));
    }
    let elasticity = (xy / xx).clamp(ELASTICITY_RANGE.0, ELASTICITY_RANGE.1);
    Ok(PriceResponse { elasticity, discounted_days: days, deepest_discount: deepest })
}

/// `baseline` (forecast units per day) restated for a price `ratio` (new price over regular) on the
/// days `planned[h]` is true.
pub fn restate(baseline: &[f64], planned: &[bool], ratio: f64, response: &PriceResponse) -> Vec<f64> {
    let factor = ratio.max(f64::MIN_POSITIVE).powf(response.elasticity);
    baseline
        .iter()
        .zip(planned.iter().chain(std::iter::repeat(&false)))
        .map(|(&b, &on)| if on && factor.is_finite() { b * factor } else { b })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A weekly rhythm over 30 weeks with planted discounts: 20 % off every fifth week, selling
    /// 0.8^elasticity times as much.
    fn planted(elasticity: f64) -> (Vec<f64>, Vec<f64>) {
        let rhythm = [10.0, 11.0, 12.0, 12.0, 14.0, 20.0, 22.0];
        let mut units = Vec::new();
        let mut ratios = Vec::new();
        for t in 0..210 {
            let on = (t / 7) % 5 == 4;
            let ratio: f64 = if on { 0.8 } else { 1.0 };
            units.push(rhythm[t % 7] * ratio.powf(elasticity));
            ratios.push(ratio);
        }
        (units, ratios)
    }

    #[test]
    fn a_planted_elasticity_is_learned_and_applied() {
        let (units, ratios) = planted(-2.5);
        let r = learn_response(&units, &ratios).unwrap();
        assert!((r.elasticity + 2.5).abs() < 1e-9, "{r:?}");
        assert_eq!(r.discounted_days, 42, "six discount weeks, each with regular weeks before it");
        assert!((r.deepest_discount - 0.2).abs() < 1e-12);
        let plan = [false, true, true, false];
        let restated = restate(&[10.0; 4], &plan, 0.8, &r);
        let lift = 0.8f64.powf(-2.5);
        assert_eq!(restated[0], 10.0);
        assert!((restated[1] - 10.0 * lift).abs() < 1e-9 && (restated[2] - 10.0 * lift).abs() < 1e-9);
        assert_eq!(restated[3], 10.0, "days outside the plan keep the baseline");
        // A price rise sells less.
        assert!(restate(&[10.0], &[true], 1.1, &r)[0] < 10.0);
    }

    #[test]
    fn without_discounts_or_with_bad_input_the_reason_is_named() {
        let flat = vec![5.0; 100];
        assert_eq!(learn_response(&flat, &[1.0; 100]), Err(PriceError::TooFewDiscountedDays(0)));
        assert_eq!(learn_response(&flat, &[1.0; 3]), Err(PriceError::Length { units: 100, ratios: 3 }));
        // Unknown prices (days without sales) and zero sales teach nothing; nothing panics.
        let (mut units, mut ratios) = planted(-2.0);
        for t in (0..units.len()).step_by(3) {
            ratios[t] = f64::NAN;
            units[t] = 0.0;
        }
        let r = learn_response(&units, &ratios).unwrap();
        assert!((r.elasticity + 2.0).abs() < 1e-9, "{r:?}");
        // Demand that rose with price is clamped to no response rather than trusted.
        let (units, ratios) = planted(1.5);
        assert_eq!(learn_response(&units, &ratios).unwrap().elasticity, 0.0);
        assert!(restate(&[1.0], &[true], 0.0, &PriceResponse { elasticity: -2.0, ..r }).iter().all(|v| v.is_finite()));
    }
}
