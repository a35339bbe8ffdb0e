//! Largest-remainder allocation: splits an amount in minor units over weights so the parts sum
//! exactly to the amount.
//!
//! Each part first gets the floor of its exact quota `|amount| × weight / Σ weights`; the units left
//! over go one each to the parts with the largest fractional remainders (ties to the earlier part).
//! A negative amount is split as its absolute value and every part negated, so credits mirror
//! charges. Integer weights are split with exact integer arithmetic; real weights in `f64`.

/// Splits `amount` over non-negative integer `weights` exactly (integer arithmetic).
///
/// Returns `None` when there are no weights, a weight is negative, or all weights are zero.
pub fn largest_remainder_int(amount: i64, weights: &[i128]) -> Option<Vec<i64>> {
    if weights.is_empty() || weights.iter().any(|w| *w < 0) {
        return None;
    }
    let total: i128 = weights.iter().try_fold(0i128, |acc, w| acc.checked_add(*w))?;
    if total == 0 {
        return None;
    }
    let a = i128::from(amount).abs();
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for w in weights {
        match a.checked_mul(*w) {
            Some(p) => {
                parts.push(p / total);
                remainders.push(Remainder::Int(p % total));
            }
            // Astronomically large inputs: fall back to floating point for this split.
            None => return largest_remainder(amount, &weights.iter().map(|w| *w as f64).collect::<Vec<_>>()),
        }
    }
    Some(finish(amount, a, parts, &remainders))
}

/// Splits `amount` over non-negative finite real `weights` so the parts sum exactly to `amount`.
///
/// Returns `None` when there are no weights, a weight is negative or not finite, or all are zero.
pub fn largest_remainder(amount: i64, weights: &[f64]) -> Option<Vec<i64>> {
    if weights.is_empty() || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
        return None;
    }
    let total: f64 = weights.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return None;
    }
    let a = i128::from(amount).abs();
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for w in weights {
        let quota = a as f64 * (w / total);
        let floor = quota.floor();
        parts.push(floor as i128);
        remainders.push(Remainder::Real(quota - floor));
    }
    Some(finish(amount, a, parts, &remainders))
}

#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Remainder {
    Int(i128),
    Real(f64),
}

/// Hands out the units the floors left (or, after floating-point error, took back) by remainder.
fn finish(amount: i64, a: i128, mut parts: Vec<i128>, remainders: &[Remainder]) -> Vec<i64> {
    let n = parts.len();
    let mut order: Vec<usize> = (0..n).collect();
    // Largest remainder first; ties to the earlier index (stable sort).
    order.sort_by(|&i, &j| remainders[j].partial_cmp(&remainders[i]).unwrap_or(std::cmp::Ordering::Equal));
    let mut left = a - parts.iter().sum::<i128>();
    let mut k = 0usize;
    while left > 0 {
        parts[order[k % n]] += 1;
        left -= 1;
        k += 1;
    }
    // Floating-point floors can overshoot by a unit: take back from the smallest remainders.
    let mut k = 0usize;
    while left < 0 {
        let i = order[n - 1 - (k % n)];
        if parts[i] > 0 {
            parts[i] -= 1;
            left += 1;
        }
        k += 1;
    }
    let sign = if amount < 0 { -1 } else { 1 };
    parts.into_iter().map(|p| (p * sign) as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_checked() {
        assert_eq!(largest_remainder_int(100, &[1, 1, 1]), Some(vec![34, 33, 33]));
        assert_eq!(largest_remainder_int(-100, &[1, 1, 1]), Some(vec![-34, -33, -33]));
        assert_eq!(largest_remainder_int(10, &[1, 2, 7]), Some(vec![1, 2, 7]));
        // Quotas 1.5, 2.5, 6.0: one unit left, tie between the first two → the first.
        assert_eq!(largest_remainder_int(10, &[3, 5, 12]), Some(vec![2, 2, 6]));
        assert_eq!(largest_remainder(100, &[0.5, 0.25, 0.25]), Some(vec![50, 25, 25]));
        assert_eq!(largest_remainder(7, &[1.0, 0.0, 1.0]), Some(vec![4, 0, 3]));
        assert_eq!(largest_remainder(0, &[1.0, 2.0]), Some(vec![0, 0]));
        assert_eq!(largest_remainder(5, &[]), None);
        assert_eq!(largest_remainder(5, &[0.0, 0.0]), None);
        assert_eq!(largest_remainder(5, &[1.0, f64::NAN]), None);
        assert_eq!(largest_remainder_int(5, &[1, -1]), None);
    }

    proptest! {
        #[test]
        fn parts_sum_exactly(amount in -1_000_000_000i64..1_000_000_000, ws in proptest::collection::vec(0.0..1e6f64, 1..20)) {
            if let Some(parts) = largest_remainder(amount, &ws) {
                prop_assert_eq!(parts.iter().sum::<i64>(), amount);
                let total: f64 = ws.iter().sum();
                for (p, w) in parts.iter().zip(&ws) {
                    // Each part is within one unit of its exact quota.
                    prop_assert!((*p as f64 - amount as f64 * w / total).abs() <= 1.0 + 1e-6);
                }
            } else {
                prop_assert!(ws.iter().sum::<f64>() == 0.0);
            }
        }

        #[test]
        fn int_parts_sum_exactly(amount in any::<i64>(), ws in proptest::collection::vec(0i128..1_000_000_000_000, 1..20)) {
            if let Some(parts) = largest_remainder_int(amount, &ws) {
                prop_assert_eq!(parts.iter().map(|p| i128::from(*p)).sum::<i128>(), i128::from(amount));
            } else {
                prop_assert!(ws.iter().all(|w| *w == 0));
            }
        }
    }
}
