//! Invariants of the engine over generated inputs.

use proptest::prelude::*;

use super::special::{normal_cdf, normal_quantile, normal_sf, student_t_cdf, student_t_quantile, student_t_sf};
use super::*;
use crate::summary::Summary;

/// A proportion with at least 20 units that varies.
fn proportion() -> impl Strategy<Value = Summary> {
    (20u64..200_000)
        .prop_flat_map(|n| (Just(n), 1..n))
        .prop_map(|(n, successes)| Summary::Proportion { n, successes: successes as f64 })
}

/// The sums of `n` values with the given mean and standard deviation.
fn mean() -> impl Strategy<Value = Summary> {
    (20u64..100_000, 0.1f64..500.0, 0.1f64..300.0).prop_map(|(n, mean, sd)| {
        let units = n as f64;
        Summary::Mean { n, sum: units * mean, sum_squares: (units - 1.0) * sd * sd + units * mean * mean }
    })
}

/// A pair of summaries of the same kind.
fn arms() -> impl Strategy<Value = (Summary, Summary)> {
    prop_oneof![(proportion(), proportion()), (mean(), mean())]
}

fn any_config() -> impl Strategy<Value = TestConfig> {
    (prop_oneof![Just(Difference::Absolute), Just(Difference::Relative)], 0.01f64..0.1, 100.0f64..1e6)
        .prop_map(|(difference, alpha, sequential_tuning)| TestConfig { difference, alpha, sequential_tuning })
}

/// Anything, including nonsense: negative, zero, huge and non-finite sums.
fn raw_summary() -> impl Strategy<Value = Summary> {
    let number = prop_oneof![any::<f64>(), -10.0f64..10.0, Just(0.0)];
    let n = prop_oneof![0u64..5, any::<u64>(), 0u64..1000];
    prop_oneof![
        (n.clone(), number.clone()).prop_map(|(n, successes)| Summary::Proportion { n, successes }),
        (n.clone(), number.clone(), number.clone()).prop_map(|(n, sum, sum_squares)| Summary::Mean {
            n,
            sum,
            sum_squares
        }),
        (n.clone(), [number.clone(), number.clone(), number.clone(), number.clone(), number.clone()]).prop_map(
            |(n, [a, b, c, d, e])| Summary::Ratio {
                n,
                numerator_sum: a,
                numerator_sum_squares: b,
                denominator_sum: c,
                denominator_sum_squares: d,
                numerator_denominator_sum: e,
            }
        ),
        (n, [number.clone(), number.clone(), number.clone(), number.clone(), number]).prop_map(
            |(n, [a, b, c, d, e])| Summary::Cuped {
                n,
                sum: a,
                sum_squares: b,
                pre_sum: c,
                pre_sum_squares: d,
                sum_times_pre: e,
            }
        ),
    ]
}

fn is_probability(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

proptest! {
    #[test]
    fn p_values_are_probabilities_and_intervals_hold_the_estimate((control, treatment) in arms(), config in any_config()) {
        let fixed = t_test(&control, &treatment, &config).unwrap();
        let sequential = sequential_test(&control, &treatment, &config).unwrap();
        for result in [fixed, sequential] {
            prop_assert!(is_probability(result.p_value));
            prop_assert!(result.interval.contains(result.effect.estimate));
        }
        // The interval excludes zero exactly when the fixed-horizon test is significant
        // (up to rounding at the boundary).
        if (fixed.p_value - config.alpha).abs() > 1e-9 {
            prop_assert_eq!(!fixed.interval.contains(0.0), fixed.p_value < config.alpha);
        }
        prop_assert!(sequential.interval.width() > fixed.interval.width());
        // Both intervals are centred on the estimate, so whatever the sequential test finds the
        // fixed-horizon test finds too (their p-values are on different scales otherwise: far in
        // the tail the t distribution's heavier tail gives the larger p-value).
        if sequential.p_value < config.alpha * (1.0 - 1e-9) {
            prop_assert!(fixed.p_value < config.alpha);
        }
    }

    #[test]
    fn bayesian_outputs_are_consistent((control, treatment) in arms(), config in any_config()) {
        let result = bayesian_test(&control, &treatment, &config).unwrap();
        prop_assert!(is_probability(result.chance_to_win));
        prop_assert!(result.risk_control >= 0.0 && result.risk_treatment >= 0.0);
        let scale = result.effect.estimate.abs().max(result.effect.standard_error);
        prop_assert!((result.risk_control - result.risk_treatment - result.effect.estimate).abs() <= 1e-12 * scale);
        prop_assert!(result.credible_interval.contains(result.effect.estimate));
    }

    #[test]
    fn swapping_arms_flips_the_absolute_effect((control, treatment) in arms()) {
        let config = TestConfig { difference: Difference::Absolute, ..TestConfig::default() };
        let forward = t_test(&control, &treatment, &config).unwrap();
        let backward = t_test(&treatment, &control, &config).unwrap();
        let scale = forward.effect.estimate.abs().max(forward.effect.standard_error);
        prop_assert!((forward.effect.estimate + backward.effect.estimate).abs() <= 1e-12 * scale);
        prop_assert!((forward.effect.standard_error - backward.effect.standard_error).abs()
            <= 1e-12 * forward.effect.standard_error);
        prop_assert!((forward.p_value - backward.p_value).abs() <= 1e-12);
    }

    #[test]
    fn z_tests_give_probabilities(control in proportion(), treatment in proportion()) {
        for variance in [ZVariance::Pooled, ZVariance::Unpooled] {
            let result = proportion_z_test(&control, &treatment, variance).unwrap();
            prop_assert!(is_probability(result.p_value));
            prop_assert!(result.standard_error > 0.0);
        }
    }

    #[test]
    fn degenerate_input_gives_an_error_or_finite_numbers(control in raw_summary(), treatment in raw_summary()) {
        let config = TestConfig::default();
        if let Ok(result) = t_test(&control, &treatment, &config) {
            prop_assert!(is_probability(result.p_value));
            prop_assert!(result.interval.lower.is_finite() && result.interval.upper.is_finite());
        }
        if let Ok(result) = sequential_test(&control, &treatment, &config) {
            prop_assert!(is_probability(result.p_value));
            prop_assert!(result.interval.width().is_finite());
        }
        if let Ok(result) = bayesian_test(&control, &treatment, &config) {
            prop_assert!(is_probability(result.chance_to_win));
            prop_assert!(result.risk_control.is_finite() && result.risk_treatment.is_finite());
        }
        if let Ok(result) = proportion_z_test(&control, &treatment, ZVariance::Unpooled) {
            prop_assert!(is_probability(result.p_value));
        }
    }

    #[test]
    fn holm_is_never_below_benjamini_hochberg(p_values in prop::collection::vec(0.0f64..=1.0, 0..30)) {
        let holm = holm_adjusted(&p_values).unwrap();
        let hochberg = benjamini_hochberg_adjusted(&p_values).unwrap();
        // Up to rounding: m·p/m need not give back p exactly.
        let rounding = 1.0 + 1e-12;
        for ((raw, holm), hochberg) in p_values.iter().zip(&holm).zip(&hochberg) {
            prop_assert!(*raw <= hochberg * rounding && *hochberg <= holm * rounding && *holm <= 1.0);
        }
        // Adjustment keeps the order of the p-values.
        for (i, j) in (0..p_values.len()).flat_map(|i| (0..p_values.len()).map(move |j| (i, j))) {
            if p_values[i] <= p_values[j] {
                prop_assert!(holm[i] <= holm[j] && hochberg[i] <= hochberg[j]);
            }
        }
    }

    #[test]
    fn srm_p_values_are_probabilities(counts in prop::collection::vec(0u64..1_000_000, 2..6)) {
        let weights = vec![1.0 / counts.len() as f64; counts.len()];
        let check = srm_check(&counts, &weights).unwrap();
        prop_assert!(is_probability(check.p_value));
        prop_assert_eq!(check.mismatch, check.p_value < SRM_THRESHOLD);
    }

    #[test]
    fn a_split_exactly_as_planned_has_no_mismatch(units in 1u64..100_000) {
        let check = srm_check(&[3 * units, units], &[0.75, 0.25]).unwrap();
        prop_assert!(check.chi_square < 1e-9 && check.p_value > 0.999);
    }

    #[test]
    fn sample_size_achieves_the_mde(rate in 0.01f64..0.6, mde in 0.02f64..0.5, variants in 2usize..5) {
        let config = PowerConfig { variants, ..PowerConfig::default() };
        let baseline = Baseline::Proportion { rate };
        let units = sample_size(baseline, mde, &config).unwrap();
        prop_assert!(minimum_detectable_effect(baseline, units, &config).unwrap() <= mde * (1.0 + 1e-12));
        if units > 1 {
            prop_assert!(minimum_detectable_effect(baseline, units - 1, &config).unwrap() > mde * (1.0 - 1e-12));
        }
    }

    #[test]
    fn distributions_are_consistent(x in -40.0f64..40.0, dof in 0.5f64..1e5, p in 1e-10f64..1.0) {
        prop_assert!((normal_cdf(x) + normal_sf(x) - 1.0).abs() < 1e-15);
        prop_assert!((student_t_cdf(x, dof) + student_t_sf(x, dof) - 1.0).abs() < 1e-14);
        prop_assert!(student_t_sf(x, dof) >= student_t_sf(x + 0.5, dof));
        prop_assert!((normal_cdf(normal_quantile(p)) - p).abs() <= 1e-13 * p);
        let tail = p.min(1.0 - p);
        prop_assert!((student_t_cdf(student_t_quantile(p, dof), dof) - p).abs() <= 1e-11 * tail);
    }
}
