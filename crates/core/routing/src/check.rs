//! Independent verification of a [`Solution`]: everything is recomputed from the [`Instance`]
//! by simulating each route, without any of the solver's data structures.

use serde::{Deserialize, Serialize};

use crate::model::Instance;
use crate::solution::Solution;

/// Costs recomputed by [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedCost {
    /// Route costs plus skip penalties of unassigned optional jobs.
    pub cost: i64,
    pub distance: i64,
    pub routes: usize,
    /// Required jobs reported unassigned (each with a reason in the solution).
    pub unassigned_required: usize,
}

/// A broken rule; `route` is the index into [`Solution::routes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Violation {
    UnknownVehicleType {
        route: usize,
    },
    /// The route uses a copy index at or beyond the type's `count`.
    VehicleCountExceeded {
        route: usize,
    },
    VehicleUsedTwice {
        route: usize,
    },
    EmptyRoute {
        route: usize,
    },
    UnknownJob {
        job: usize,
    },
    /// A job is served (or listed unassigned) more than once.
    JobRepeated {
        job: usize,
    },
    /// A job is neither served nor listed unassigned.
    JobMissing {
        job: usize,
    },
    CapacityExceeded {
        route: usize,
        load: i64,
        capacity: i64,
    },
    DepartureOutsideShift {
        route: usize,
        departure: i64,
    },
    /// Service would start after the job's window closes.
    LateService {
        route: usize,
        job: usize,
        service_start: i64,
        window_end: i64,
    },
    ReturnAfterShift {
        route: usize,
        return_time: i64,
        shift_end: i64,
    },
    MaxDurationExceeded {
        route: usize,
        duration: i64,
        limit: i64,
    },
    MaxDistanceExceeded {
        route: usize,
        distance: i64,
        limit: i64,
    },
    /// A figure the solution reports differs from the recomputed one.
    ReportedMismatch {
        route: Option<usize>,
        field: &'static str,
        reported: i64,
        actual: i64,
    },
}

/// Checks every constraint and recomputes the costs of `solution`.
pub fn verify(instance: &Instance, solution: &Solution) -> Result<VerifiedCost, Vec<Violation>> {
    let mut violations = Vec::new();
    let mut served = vec![0usize; instance.jobs.len()];
    let mut used_vehicles = std::collections::HashSet::new();
    let (mut total_cost, mut total_distance) = (0i64, 0i64);
    for (index, route) in solution.routes.iter().enumerate() {
        let Some(vehicle) = instance.vehicle_types.get(route.vehicle_type) else {
            violations.push(Violation::UnknownVehicleType { route: index });
            continue;
        };
        if route.vehicle >= vehicle.count {
            violations.push(Violation::VehicleCountExceeded { route: index });
        }
        if !used_vehicles.insert((route.vehicle_type, route.vehicle)) {
            violations.push(Violation::VehicleUsedTwice { route: index });
        }
        if route.stops.is_empty() {
            violations.push(Violation::EmptyRoute { route: index });
        }
        if let Some(job) = route.stops.iter().map(|stop| stop.job).find(|&job| job >= instance.jobs.len()) {
            violations.push(Violation::UnknownJob { job });
            continue;
        }
        let mut location = instance.start_location(route.vehicle_type);
        let mut time = route.departure;
        if time < vehicle.shift.start || time > vehicle.shift.end {
            violations.push(Violation::DepartureOutsideShift { route: index, departure: time });
        }
        let (mut load, mut distance) = (0i64, 0i64);
        for stop in &route.stops {
            let job = &instance.jobs[stop.job];
            served[stop.job] += 1;
            load += job.demand;
            distance += instance.distances.get(location, job.location);
            let arrival = time + instance.durations.get(location, job.location);
            let service_start = arrival.max(job.window.start);
            if service_start > job.window.end {
                violations.push(Violation::LateService {
                    route: index,
                    job: stop.job,
                    service_start,
                    window_end: job.window.end,
                });
            }
            let mut compare = |field, reported, actual| {
                if reported != actual {
                    violations.push(Violation::ReportedMismatch { route: Some(index), field, reported, actual });
                }
            };
            compare("arrival", stop.arrival, arrival);
            compare("service start", stop.service_start, service_start);
            time = service_start + job.service;
            location = job.location;
        }
        let end = instance.end_location(route.vehicle_type);
        distance += instance.distances.get(location, end);
        let return_time = time + instance.durations.get(location, end);
        let duration = return_time - route.departure;
        if load > vehicle.capacity {
            violations.push(Violation::CapacityExceeded { route: index, load, capacity: vehicle.capacity });
        }
        if return_time > vehicle.shift.end {
            violations.push(Violation::ReturnAfterShift { route: index, return_time, shift_end: vehicle.shift.end });
        }
        if let Some(limit) = vehicle.max_duration.filter(|&limit| duration > limit) {
            violations.push(Violation::MaxDurationExceeded { route: index, duration, limit });
        }
        if let Some(limit) = vehicle.max_distance.filter(|&limit| distance > limit) {
            violations.push(Violation::MaxDistanceExceeded { route: index, distance, limit });
        }
        let cost = vehicle.fixed_cost + vehicle.cost_per_distance * distance + vehicle.cost_per_time * duration;
        for (field, reported, actual) in [
            ("load", route.load, load),
            ("distance", route.distance, distance),
            ("return time", route.return_time, return_time),
            ("duration", route.duration, duration),
            ("cost", route.cost, cost),
        ] {
            if reported != actual {
                violations.push(Violation::ReportedMismatch { route: Some(index), field, reported, actual });
            }
        }
        total_cost += cost;
        total_distance += distance;
    }
    let mut unassigned_required = 0;
    for entry in &solution.unassigned {
        let Some(job) = instance.jobs.get(entry.job) else {
            violations.push(Violation::UnknownJob { job: entry.job });
            continue;
        };
        served[entry.job] += 1;
        match job.skip_penalty {
            Some(penalty) => total_cost += penalty,
            None => unassigned_required += 1,
        }
    }
    for (job, &count) in served.iter().enumerate() {
        match count {
            0 => violations.push(Violation::JobMissing { job }),
            1 => {}
            _ => violations.push(Violation::JobRepeated { job }),
        }
    }
    for (field, reported, actual) in
        [("cost", solution.cost, total_cost), ("distance", solution.distance, total_distance)]
    {
        if reported != actual {
            violations.push(Violation::ReportedMismatch { route: None, field, reported, actual });
        }
    }
    if violations.is_empty() {
        Ok(VerifiedCost {
            cost: total_cost,
            distance: total_distance,
            routes: solution.routes.len(),
            unassigned_required,
        })
    } else {
        Err(violations)
    }
}
