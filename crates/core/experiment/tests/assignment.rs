//! Statistical properties of assignment over many units: uniform splits, independence between
//! experiments, mutually exclusive layers and stable ramp-up.

use proptest::prelude::*;
use retail_experiment::assign::{Decision, Experiment, Layer, Reason, Status, UnitKind, Variant, assign};

const UNITS: usize = 100_000;
const NO_ATTRIBUTES: [(&str, &str); 0] = [];

/// Chi-square critical values at p = 0.001 by degrees of freedom (1, 2), so a correct hash fails
/// one of these tests about once in a thousand salts.
const CHI_SQUARE_CRITICAL: [f64; 2] = [10.828, 13.816];

fn experiment(salt: &str, weights: &[f64]) -> Experiment {
    Experiment {
        key: salt.into(),
        salt: salt.into(),
        status: Status::Running,
        layer: None,
        variants: weights
            .iter()
            .enumerate()
            .map(|(index, &weight)| Variant { key: format!("v{index}"), weight, payload: None })
            .collect(),
        coverage: 1.0,
        targeting: Vec::new(),
        unit: UnitKind::Customer,
        shipped: None,
    }
}

fn unit_ids() -> impl Iterator<Item = String> {
    (0..UNITS).map(|unit| format!("customer-{unit}"))
}

/// The variant index of each unit, `None` for units not in the experiment.
fn assignments(experiment: &Experiment) -> Vec<Option<usize>> {
    unit_ids()
        .map(|unit| match assign(experiment, &unit, &NO_ATTRIBUTES) {
            Decision::Assigned { index, .. } => Some(index),
            Decision::NotInExperiment { .. } => None,
        })
        .collect()
}

fn chi_square(observed: &[u64], expected: &[f64]) -> f64 {
    observed.iter().zip(expected).map(|(&o, &e)| (o as f64 - e).powi(2) / e).sum()
}

fn assert_split_matches_weights(experiment: &Experiment) {
    let assigned: Vec<usize> = assignments(experiment).into_iter().flatten().collect();
    let mut counts = vec![0; experiment.variants.len()];
    for &index in &assigned {
        counts[index] += 1;
    }
    let expected: Vec<f64> = experiment.variants.iter().map(|v| v.weight * assigned.len() as f64).collect();
    let statistic = chi_square(&counts, &expected);
    let critical = CHI_SQUARE_CRITICAL[experiment.variants.len() - 2];
    assert!(statistic < critical, "{}: counts {counts:?}, chi-square {statistic}", experiment.key);
}

#[test]
fn splits_follow_the_weights() {
    assert_split_matches_weights(&experiment("fifty-fifty", &[0.5, 0.5]));
    assert_split_matches_weights(&experiment("ten-thirty-sixty", &[0.1, 0.3, 0.6]));
}

#[test]
fn splits_follow_the_weights_inside_a_layer_and_a_ramp() {
    let mut layered = experiment("layered", &[0.1, 0.3, 0.6]);
    layered.layer = Some(Layer { name: "home".into(), start: 0.2, end: 0.7 });
    layered.coverage = 0.5;
    let in_experiment = assignments(&layered).iter().filter(|a| a.is_some()).count();
    // Half the layer's half: 25 000 expected, with a standard deviation near 137.
    assert!((24_400..25_600).contains(&in_experiment), "{in_experiment}");
    assert_split_matches_weights(&layered);
}

#[test]
fn experiments_with_different_salts_are_independent() {
    let first = assignments(&experiment("first", &[0.5, 0.5]));
    let second = assignments(&experiment("second", &[0.1, 0.3, 0.6]));
    let mut table = [[0u64; 3]; 2];
    for (a, b) in first.iter().zip(&second) {
        table[a.unwrap()][b.unwrap()] += 1;
    }
    let row_totals: Vec<f64> = table.iter().map(|row| row.iter().sum::<u64>() as f64).collect();
    let column_totals: Vec<f64> = (0..3).map(|c| table.iter().map(|row| row[c]).sum::<u64>() as f64).collect();
    let observed: Vec<u64> = table.iter().flatten().copied().collect();
    let expected: Vec<f64> =
        row_totals.iter().flat_map(|r| column_totals.iter().map(move |c| r * c / UNITS as f64)).collect();
    // A 2 x 3 table has (2 - 1) x (3 - 1) = 2 degrees of freedom.
    let statistic = chi_square(&observed, &expected);
    assert!(statistic < CHI_SQUARE_CRITICAL[1], "table {table:?}, chi-square {statistic}");
}

#[test]
fn experiments_in_disjoint_parts_of_a_layer_never_share_a_unit() {
    let in_layer = |salt: &str, start: f64, end: f64| Experiment {
        layer: Some(Layer { name: "checkout".into(), start, end }),
        ..experiment(salt, &[0.5, 0.5])
    };
    let (left, right) = (in_layer("left", 0.0, 0.4), in_layer("right", 0.4, 1.0));
    let (left, right) = (assignments(&left), assignments(&right));
    assert!(left.iter().zip(&right).all(|(l, r)| l.is_none() || r.is_none()));
    let left_share = left.iter().flatten().count() as f64 / UNITS as f64;
    let right_share = right.iter().flatten().count() as f64 / UNITS as f64;
    assert!((left_share - 0.4).abs() < 0.01 && (right_share - 0.6).abs() < 0.01, "{left_share} {right_share}");
}

#[test]
fn ramping_up_keeps_every_unit_in_its_variant() {
    let mut ramp = experiment("ramp", &[0.1, 0.3, 0.6]);
    ramp.coverage = 0.1;
    let at_ten = assignments(&ramp);
    ramp.coverage = 0.5;
    let at_fifty = assignments(&ramp);
    for (before, after) in at_ten.iter().zip(&at_fifty) {
        if before.is_some() {
            assert_eq!(before, after);
        }
    }
    let (ten, fifty) = (at_ten.iter().flatten().count(), at_fifty.iter().flatten().count());
    assert!((9_600..10_400).contains(&ten) && (49_350..50_650).contains(&fifty), "{ten} {fifty}");
    // The units ramping in split by the weights too, rather than topping up some variant.
    assert_split_matches_weights(&ramp);
}

proptest! {
    #[test]
    fn raising_coverage_never_moves_a_unit(unit in "\\PC{0,24}", low in 0.0..=1.0f64, high in 0.0..=1.0f64) {
        let (low, high) = if low <= high { (low, high) } else { (high, low) };
        let narrow = Experiment { coverage: low, ..experiment("prop-ramp", &[0.25, 0.25, 0.5]) };
        let wide = Experiment { coverage: high, ..narrow.clone() };
        let (before, after) = (assign(&narrow, &unit, &NO_ATTRIBUTES), assign(&wide, &unit, &NO_ATTRIBUTES));
        match before {
            Decision::Assigned { .. } => prop_assert_eq!(before, after),
            Decision::NotInExperiment { reason, .. } => prop_assert_eq!(reason, Reason::OutsideCoverage),
        }
    }
}
