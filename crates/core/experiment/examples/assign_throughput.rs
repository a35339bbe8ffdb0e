//! Single-thread assignment throughput on a realistic experiment: three variants, one targeting
//! condition, a layer and 50 % coverage.
//!
//! `cargo run --release --example assign_throughput -p retail-experiment [-- DECISIONS]`

use std::hint::black_box;
use std::time::Instant;

use retail_experiment::assign::{
    Condition, Decision, Experiment, Layer, Reason, Status, UnitKind, Variant, assign, validate,
};

const DEFAULT_DECISIONS: usize = 10_000_000;
/// Ids are built once and cycled, so formatting strings stays out of the measurement.
const ID_POOL: usize = 1 << 20;

fn main() {
    let decisions =
        std::env::args().nth(1).map_or(DEFAULT_DECISIONS, |n| n.parse().expect("DECISIONS must be a whole number"));
    let variant = |key: &str, weight: f64| Variant { key: key.into(), weight, payload: Some(format!("recs-{key}")) };
    let experiment = Experiment {
        key: "home-recommendations".into(),
        salt: "home-recommendations-2025-06".into(),
        status: Status::Running,
        layer: Some(Layer { name: "home-page".into(), start: 0.0, end: 0.6 }),
        variants: vec![variant("control", 0.4), variant("co-purchase", 0.3), variant("embedding", 0.3)],
        coverage: 0.5,
        targeting: vec![Condition::OneOf {
            attribute: "tier".into(),
            values: vec!["gold".into(), "silver".into(), "bronze".into()],
        }],
        unit: UnitKind::Customer,
        shipped: None,
    };
    validate(&experiment).expect("the benchmark experiment is valid");

    let ids: Vec<String> = (0..ID_POOL).map(|n| format!("cust-{:010}", n * 7919)).collect();
    let attribute_sets = [
        [("city", "shanghai"), ("tier", "gold")],
        [("city", "beijing"), ("tier", "silver")],
        [("city", "chengdu"), ("tier", "bronze")],
        [("city", "shenzhen"), ("tier", "none")],
    ];

    let mut per_variant = vec![0u64; experiment.variants.len()];
    let mut outside = [0u64; 3];
    let started = Instant::now();
    for n in 0..decisions {
        let decision = assign(&experiment, &ids[n % ID_POOL], &attribute_sets[n % attribute_sets.len()]);
        match black_box(decision) {
            Decision::Assigned { index, .. } => per_variant[index] += 1,
            Decision::NotInExperiment { reason: Reason::Excluded { .. }, .. } => outside[0] += 1,
            Decision::NotInExperiment { reason: Reason::OutsideLayer, .. } => outside[1] += 1,
            Decision::NotInExperiment { .. } => outside[2] += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();

    println!("{decisions} decisions in {seconds:.3} s: {:.0} decisions/s on one core", decisions as f64 / seconds);
    println!(
        "assigned per variant {per_variant:?}; excluded by targeting {}, outside the layer {}, outside coverage {}",
        outside[0], outside[1], outside[2]
    );
}
