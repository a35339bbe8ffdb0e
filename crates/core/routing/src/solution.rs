//! A routing plan: which vehicle visits which jobs in which order, and when.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One stop of a route, with its times in duration-matrix units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    /// Index into [`crate::Instance::jobs`].
    pub job: usize,
    /// When the vehicle reaches the location (the ETA).
    pub arrival: i64,
    /// When service starts, after waiting for the window to open.
    pub service_start: i64,
}

/// The trip of one vehicle: depot, stops, depot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// Index into [`crate::Instance::vehicle_types`].
    pub vehicle_type: usize,
    /// Which copy of the vehicle type (below its `count`).
    pub vehicle: usize,
    pub stops: Vec<Stop>,
    /// Departure from the start depot.
    pub departure: i64,
    /// Arrival back at the end depot.
    pub return_time: i64,
    /// Sum of the served demands.
    pub load: i64,
    pub distance: i64,
    /// `return_time - departure`.
    pub duration: i64,
    /// Fixed cost plus distance and time costs of the vehicle.
    pub cost: i64,
}

impl Route {
    /// The job indices in visiting order.
    pub fn jobs(&self) -> impl Iterator<Item = usize> + '_ {
        self.stops.iter().map(|stop| stop.job)
    }
}

/// Why a job is not in any route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnassignedReason {
    /// Its demand exceeds the capacity of every vehicle.
    CapacityExceeded,
    /// No vehicle can reach it within its window and be back within its shift.
    TimeWindowUnreachable,
    /// Serving it alone already breaks every vehicle's maximum duration.
    MaxDurationExceeded,
    /// Serving it alone already breaks every vehicle's maximum distance.
    MaxDistanceExceeded,
    /// The fleet has no vehicle (left) to serve it.
    NoVehicle,
    /// Optional job whose skip penalty is cheaper than serving it.
    NotProfitable,
}

/// A job left out of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unassigned {
    /// Index into [`crate::Instance::jobs`].
    pub job: usize,
    pub reason: UnassignedReason,
}

/// A feasible routing plan with its costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// Non-empty routes only.
    pub routes: Vec<Route>,
    pub unassigned: Vec<Unassigned>,
    /// Sum of the route costs plus the skip penalties of unassigned optional jobs.
    pub cost: i64,
    /// Sum of the route distances, in distance-matrix units.
    pub distance: i64,
    /// Genetic-search iterations performed (over all threads).
    pub iterations: u64,
    /// Wall time spent in the solver.
    pub elapsed: Duration,
}
