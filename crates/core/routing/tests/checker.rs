mod common;

use retail_routing::{Instance, Solution, SolverParams, TimeWindow, VehicleType, Violation, solve, verify};

/// Four jobs on two sides of the depot, two vehicles of capacity 10: the plan has two routes.
fn base() -> (Instance, Solution) {
    let points = [(10.0, 0.0), (20.0, 0.0), (-10.0, 0.0), (-20.0, 0.0)];
    let instance = common::instance(&points, &[5, 5, 5, 5], vec![VehicleType::with_capacity("van", 2, 10, 0)]);
    let params = SolverParams { iteration_limit: Some(20), ..SolverParams::default() };
    let solution = solve(&instance, &params).unwrap();
    (instance, solution)
}

fn violations(instance: &Instance, solution: &Solution) -> Vec<Violation> {
    verify(instance, solution).expect_err("the checker should reject this plan")
}

#[test]
fn a_solved_plan_verifies_with_recomputed_costs() {
    let (instance, solution) = base();
    let verified = verify(&instance, &solution).unwrap();
    assert_eq!((verified.cost, verified.distance, verified.routes), (80, 80, 2));
    assert_eq!(verified.unassigned_required, 0);
}

#[test]
fn capacity_time_windows_shift_and_limits_are_checked() {
    let (instance, solution) = base();
    let with_vehicle = |change: &dyn Fn(&mut VehicleType)| {
        let mut changed = instance.clone();
        change(&mut changed.vehicle_types[0]);
        violations(&changed, &solution)
    };
    assert!(matches!(with_vehicle(&|v| v.capacity = 9)[0], Violation::CapacityExceeded { load: 10, capacity: 9, .. }));
    assert!(matches!(with_vehicle(&|v| v.shift.end = 30)[0], Violation::ReturnAfterShift { .. }));
    assert!(matches!(with_vehicle(&|v| v.shift.start = 5)[0], Violation::DepartureOutsideShift { .. }));
    assert!(matches!(with_vehicle(&|v| v.max_duration = Some(39))[0], Violation::MaxDurationExceeded { .. }));
    assert!(matches!(with_vehicle(&|v| v.max_distance = Some(39))[0], Violation::MaxDistanceExceeded { .. }));
    let mut late = instance.clone();
    late.jobs[1].window = TimeWindow { start: 0, end: 15 };
    assert!(matches!(violations(&late, &solution)[0], Violation::LateService { job: 1, service_start: 20, .. }));
}

#[test]
fn jobs_served_twice_or_never_are_caught() {
    let (instance, solution) = base();
    let mut missing = solution.clone();
    missing.routes[0].stops.pop();
    assert!(violations(&instance, &missing).iter().any(|v| matches!(v, Violation::JobMissing { .. })));
    let mut repeated = solution.clone();
    let stop = repeated.routes[0].stops[0];
    repeated.routes[1].stops.push(stop);
    assert!(violations(&instance, &repeated).iter().any(|v| matches!(v, Violation::JobRepeated { .. })));
    let mut unknown = solution.clone();
    unknown.routes[0].stops[0].job = 99;
    assert!(violations(&instance, &unknown).contains(&Violation::UnknownJob { job: 99 }));
}

#[test]
fn vehicles_are_checked() {
    let (instance, solution) = base();
    let mut beyond_count = solution.clone();
    beyond_count.routes[1].vehicle = 2;
    assert!(violations(&instance, &beyond_count).contains(&Violation::VehicleCountExceeded { route: 1 }));
    let mut twice = solution.clone();
    twice.routes[1].vehicle = twice.routes[0].vehicle;
    assert!(violations(&instance, &twice).contains(&Violation::VehicleUsedTwice { route: 1 }));
    let mut unknown = solution.clone();
    unknown.routes[0].vehicle_type = 3;
    assert!(violations(&instance, &unknown).contains(&Violation::UnknownVehicleType { route: 0 }));
    let mut empty = solution.clone();
    let mut extra = empty.routes[0].clone();
    extra.stops.clear();
    extra.vehicle = 1 - extra.vehicle;
    empty.routes.push(extra);
    assert!(violations(&instance, &empty).iter().any(|v| matches!(v, Violation::EmptyRoute { route: 2 })));
}

#[test]
fn reported_figures_must_match() {
    let (instance, solution) = base();
    let mut wrong_total = solution.clone();
    wrong_total.cost -= 1;
    assert!(matches!(
        violations(&instance, &wrong_total)[0],
        Violation::ReportedMismatch { route: None, field: "cost", .. }
    ));
    let mut wrong_eta = solution.clone();
    wrong_eta.routes[0].stops[0].arrival += 1;
    assert!(matches!(
        violations(&instance, &wrong_eta)[0],
        Violation::ReportedMismatch { route: Some(0), field: "arrival", .. }
    ));
}
