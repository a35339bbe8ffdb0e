mod common;

use std::time::Duration;

use proptest::prelude::*;
use retail_routing::{HgsConfig, Instance, SolverParams, TimeWindow, VehicleType, solve, verify};

/// Random small problems: time windows, service times, optional jobs and two vehicle types
/// (one with a fixed cost and a duration limit).
fn instances() -> impl Strategy<Value = Instance> {
    let job = (0.0..100.0f64, 0.0..100.0f64, 1..8i64, 0..300i64, 20..200i64, 0..10i64, prop::option::of(10..300i64));
    (prop::collection::vec(job, 1..14), 1..4usize, 10..25i64).prop_map(|(jobs, vans, capacity)| {
        let points: Vec<(f64, f64)> = jobs.iter().map(|job| (job.0, job.1)).collect();
        let demands: Vec<i64> = jobs.iter().map(|job| job.2).collect();
        let shift = TimeWindow { start: 0, end: 600 };
        let vehicles = vec![
            VehicleType { shift, ..VehicleType::with_capacity("van", vans, capacity, 0) },
            VehicleType {
                fixed_cost: 50,
                cost_per_time: 1,
                max_duration: Some(300),
                shift,
                ..VehicleType::with_capacity("truck", 1, 2 * capacity, 0)
            },
        ];
        let mut instance = common::instance(&points, &demands, vehicles);
        for (job, &(_, _, _, start, width, service, penalty)) in instance.jobs.iter_mut().zip(&jobs) {
            job.window = TimeWindow { start, end: start + width };
            job.service = service;
            job.skip_penalty = penalty;
        }
        instance
    })
}

/// A short run with a small population: enough to exercise every operator on tiny problems.
fn limited(seed: u64) -> SolverParams {
    SolverParams {
        seed,
        iteration_limit: Some(30),
        time_limit: Duration::from_secs(60),
        hgs: HgsConfig { population_size: 6, generation_size: 10, ..HgsConfig::default() },
        ..SolverParams::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn solutions_always_verify(instance in instances(), seed in 0..1000u64) {
        let solution = solve(&instance, &limited(seed)).unwrap();
        let verified = verify(&instance, &solution);
        prop_assert!(verified.is_ok(), "{:?}", verified);
        prop_assert_eq!(verified.unwrap().cost, solution.cost);
    }

    #[test]
    fn the_same_seed_gives_the_same_solution(instance in instances(), seed in 0..1000u64) {
        let first = solve(&instance, &limited(seed)).unwrap();
        let second = solve(&instance, &limited(seed)).unwrap();
        prop_assert_eq!(first.routes, second.routes);
        prop_assert_eq!(first.unassigned, second.unassigned);
    }
}
