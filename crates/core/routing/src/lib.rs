//! Vehicle routing: which vehicle serves which stops, in which order, at what cost.
//!
//! Pure: no I/O. Callers read benchmark files and pass the text to [`vrplib::parse_cvrp`] or
//! [`vrplib::parse_solomon`], or build an [`Instance`] themselves.
//!
//! - [`Instance`]: depots, jobs (demand, service time, time window, optional with a skip
//!   penalty), a heterogeneous fleet and integer distance and duration matrices.
//! - [`solve`]: granular local search (relocate, swap, 2-opt, 2-opt*, SWAP*) on a cost with
//!   time-warp and load penalties, driven by an iterated local search with late acceptance (the
//!   default) or by Hybrid Genetic Search (Vidal 2012, 2022: Split, diverse subpopulations; see
//!   [`HgsConfig::iterated_from`]); returns the best feasible [`Solution`].
//! - [`check::verify`]: an independent checker that recomputes every constraint and cost.

pub mod check;
pub mod model;
pub mod solution;
pub mod solver;
pub mod vrplib;

pub use check::{VerifiedCost, Violation, verify};
pub use model::{Depot, Instance, InstanceError, Job, Matrix, Point, TimeWindow, VehicleType};
pub use solution::{Route, Solution, Stop, Unassigned, UnassignedReason};
pub use solver::{HgsConfig, SolverParams, solve};
