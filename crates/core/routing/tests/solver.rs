mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use retail_routing::{
    HgsConfig, Instance, InstanceError, Matrix, SolverParams, TimeWindow, UnassignedReason, VehicleType, solve, verify,
    vrplib,
};

fn seconds(limit: f64) -> SolverParams {
    SolverParams { time_limit: Duration::from_secs_f64(limit), ..SolverParams::default() }
}

/// A run of `iterations` generations with a small population, for tiny problems.
fn short(iterations: u64) -> SolverParams {
    SolverParams {
        iteration_limit: Some(iterations),
        hgs: HgsConfig { population_size: 6, generation_size: 10, exchange_interval: 20, ..HgsConfig::default() },
        ..seconds(60.0)
    }
}

#[test]
fn small_augerat_instances_are_solved_to_optimality() {
    for (file, optimum) in [("A-n32-k5", 784), ("A-n33-k6", 742)] {
        let Some(text) = common::read_data(&format!("cvrp/A/{file}.vrp")) else { return };
        let instance = vrplib::parse_cvrp(&text).unwrap();
        // An iteration limit rather than a time limit keeps the test independent of machine load.
        let params = SolverParams { iteration_limit: Some(300), ..seconds(60.0) };
        let solution = solve(&instance, &params).unwrap();
        let verified = verify(&instance, &solution).unwrap();
        assert_eq!(verified.cost, solution.cost);
        assert!(verified.cost <= optimum, "{file}: {} instead of {optimum}", verified.cost);
    }
}

#[test]
fn solomon_c101_is_within_one_percent() {
    let Some(text) = common::read_data("vrptw/solomon/C101.txt") else { return };
    let instance = vrplib::parse_solomon(&text).unwrap();
    let solution = solve(&instance, &SolverParams { iteration_limit: Some(100), ..seconds(60.0) }).unwrap();
    let verified = verify(&instance, &solution).unwrap();
    assert_eq!(verified.unassigned_required, 0);
    assert!(verified.distance as f64 <= 8273.0 * 1.01, "distance {} tenths", verified.distance);
}

#[test]
fn oversized_and_unreachable_jobs_come_back_unassigned_with_reasons() {
    let mut instance = common::instance(
        &[(10.0, 0.0), (0.0, 10.0), (-10.0, 0.0), (500.0, 0.0)],
        &[5, 50, 5, 5],
        vec![VehicleType { shift: TimeWindow { start: 0, end: 600 }, ..VehicleType::with_capacity("van", 2, 10, 0) }],
    );
    instance.jobs[2].window = TimeWindow { start: 0, end: 5 };
    instance.jobs[3].window = TimeWindow { start: 0, end: 1000 };
    let solution = solve(&instance, &seconds(0.5)).unwrap();
    verify(&instance, &solution).unwrap();
    let reasons: Vec<_> = solution.unassigned.iter().map(|entry| (entry.job, entry.reason)).collect();
    assert_eq!(
        reasons,
        [
            (1, UnassignedReason::CapacityExceeded),
            (2, UnassignedReason::TimeWindowUnreachable),
            (3, UnassignedReason::TimeWindowUnreachable)
        ]
    );
}

#[test]
fn zero_vehicles_leave_every_job_unassigned() {
    let instance =
        common::instance(&[(1.0, 1.0), (2.0, 2.0)], &[1, 1], vec![VehicleType::with_capacity("van", 0, 10, 0)]);
    let solution = solve(&instance, &seconds(0.2)).unwrap();
    assert!(solution.routes.is_empty());
    assert!(solution.unassigned.iter().all(|entry| entry.reason == UnassignedReason::NoVehicle));
    assert_eq!(verify(&instance, &solution).unwrap().unassigned_required, 2);
}

#[test]
fn too_small_a_fleet_unassigns_required_jobs_instead_of_failing() {
    let instance = common::instance(
        &[(5.0, 0.0), (0.0, 5.0), (-5.0, 0.0)],
        &[6, 6, 6],
        vec![VehicleType::with_capacity("van", 2, 10, 0)],
    );
    let solution = solve(&instance, &short(50)).unwrap();
    assert_eq!(verify(&instance, &solution).unwrap().unassigned_required, 1);
    assert_eq!(solution.unassigned[0].reason, UnassignedReason::NoVehicle);
}

#[test]
fn unprofitable_optional_jobs_are_skipped() {
    let mut instance =
        common::instance(&[(5.0, 0.0), (400.0, 0.0)], &[1, 1], vec![VehicleType::with_capacity("van", 1, 10, 0)]);
    instance.jobs[1].skip_penalty = Some(100);
    let solution = solve(&instance, &short(20)).unwrap();
    let verified = verify(&instance, &solution).unwrap();
    assert_eq!(solution.unassigned[0].reason, UnassignedReason::NotProfitable);
    assert_eq!(verified.cost, 10 + 100);
}

#[test]
fn invalid_matrices_and_instances_are_errors() {
    assert!(matches!(
        Matrix::from_f64(2, &[0.0, f64::NAN, 1.0, 0.0], 1.0),
        Err(InstanceError::InvalidMatrixEntry { from: 0, to: 1, .. })
    ));
    assert!(matches!(Matrix::new(2, vec![0, -1, 1, 0]), Err(InstanceError::NegativeMatrixEntry { from: 0, to: 1 })));
    assert!(matches!(Matrix::new(2, vec![0, 1, 1]), Err(InstanceError::MatrixShape { .. })));
    let mut instance =
        common::instance(&[(1.0, 1.0), (2.0, 2.0)], &[1, 1], vec![VehicleType::with_capacity("van", 1, 10, 0)]);
    instance.jobs[1].id = instance.jobs[0].id.clone();
    assert_eq!(solve(&instance, &seconds(0.1)).unwrap_err(), InstanceError::DuplicateId("job0".into()));
    instance.jobs[1].id = "other".into();
    instance.jobs[1].location = 7;
    assert!(matches!(solve(&instance, &seconds(0.1)), Err(InstanceError::UnknownLocation { location: 7, .. })));
}

#[test]
fn the_stop_flag_interrupts_with_a_feasible_plan() {
    let points: Vec<(f64, f64)> = (0..60).map(|i| ((i * 37 % 101) as f64, (i * 53 % 97) as f64)).collect();
    let instance = common::instance(&points, &[3; 60], vec![VehicleType::with_capacity("van", 60, 20, 0)]);
    let stop = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let solution = solve(&instance, &SolverParams { stop: Some(stop), ..seconds(30.0) }).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(verify(&instance, &solution).unwrap().unassigned_required, 0);
}

#[test]
fn two_threads_are_deterministic_under_an_iteration_limit() {
    let points: Vec<(f64, f64)> = (0..25).map(|i| ((i * 37 % 101) as f64, (i * 53 % 97) as f64)).collect();
    let instance = common::instance(&points, &[4; 25], vec![VehicleType::with_capacity("van", 25, 20, 0)]);
    let params = SolverParams { threads: 2, ..short(60) };
    let first = solve(&instance, &params).unwrap();
    let second = solve(&instance, &params).unwrap();
    verify(&instance, &first).unwrap();
    assert_eq!(first.routes, second.routes);
    assert_eq!(first.iterations, 120);
}

/// `count` stops on a pseudo-random grid with windows of 200 over a 1,000-unit day and demands 1–9.
fn windowed(count: usize, vans: usize) -> Instance {
    let points: Vec<(f64, f64)> =
        (0..count).map(|i| ((i * 7919 % 1009) as f64 / 5.0, (i * 104_729 % 997) as f64 / 5.0)).collect();
    let demands: Vec<i64> = (0..count).map(|i| (i * 31 % 9) as i64 + 1).collect();
    let shift = TimeWindow { start: 0, end: 1000 };
    let mut instance = common::instance(
        &points,
        &demands,
        vec![VehicleType { shift, ..VehicleType::with_capacity("van", vans, 60, 0) }],
    );
    for (index, job) in instance.jobs.iter_mut().enumerate() {
        let start = (index * 379 % 6) as i64 * 100;
        job.window = TimeWindow { start, end: start + 300 };
        job.service = 5;
    }
    instance
}

#[test]
fn the_genetic_strategy_is_still_available_and_deterministic() {
    let instance = windowed(40, 20);
    let params = SolverParams { hgs: HgsConfig { iterated_from: usize::MAX, ..short(40).hgs }, ..short(40) };
    let first = solve(&instance, &params).unwrap();
    let second = solve(&instance, &params).unwrap();
    assert_eq!(verify(&instance, &first).unwrap().unassigned_required, 0);
    assert_eq!(first.routes, second.routes);
    assert_eq!(first.iterations, 40);
}

#[test]
fn the_iterated_search_is_deterministic_and_improves_on_its_start() {
    let instance = windowed(150, 60);
    let params = |iterations| SolverParams { iteration_limit: Some(iterations), ..seconds(120.0) };
    let first = solve(&instance, &params(400)).unwrap();
    let second = solve(&instance, &params(400)).unwrap();
    let start = solve(&instance, &params(0)).unwrap();
    assert_eq!(verify(&instance, &first).unwrap().unassigned_required, 0);
    assert_eq!(first.routes, second.routes);
    assert_eq!(first.iterations, 400);
    assert!(first.cost <= start.cost, "{} after 400 iterations, {} at the start", first.cost, start.cost);
}

#[test]
fn a_large_search_cut_short_still_returns_a_feasible_plan_quickly() {
    // Stopped before any improvement: the repair of the raw Split of a random tour must be
    // near-linear (it used to take minutes at 5,000 stops).
    let instance = windowed(1500, 400);
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(true));
    let solution = solve(&instance, &SolverParams { stop: Some(stop), ..seconds(60.0) }).unwrap();
    assert_eq!(verify(&instance, &solution).unwrap().unassigned_required, 0);
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}
