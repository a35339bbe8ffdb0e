//! The routing problem: locations and their travel matrices, depots, jobs and the fleet.
//!
//! All quantities are integers so that costs are exact: the caller picks the unit (for example
//! tenths of a kilometre and seconds) and records in [`Instance::distance_scale`] how many
//! integer units make one reported distance unit.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A square matrix of non-negative integer travel values, row-major: `value(from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    size: usize,
    values: Vec<i64>,
}

impl Matrix {
    /// Builds a matrix from `size * size` row-major integer values.
    pub fn new(size: usize, values: Vec<i64>) -> Result<Self, InstanceError> {
        if values.len() != size * size {
            return Err(InstanceError::MatrixShape { size, values: values.len() });
        }
        if let Some(position) = values.iter().position(|&value| value < 0) {
            return Err(InstanceError::NegativeMatrixEntry { from: position / size, to: position % size });
        }
        Ok(Self { size, values })
    }

    /// Builds a matrix from real values, multiplying by `scale` and rounding to the nearest integer.
    /// NaN, infinite and negative entries are rejected.
    pub fn from_f64(size: usize, values: &[f64], scale: f64) -> Result<Self, InstanceError> {
        let mut integers = Vec::with_capacity(values.len());
        for (position, &value) in values.iter().enumerate() {
            if !value.is_finite() || value < 0.0 {
                return Err(InstanceError::InvalidMatrixEntry {
                    from: position / size.max(1),
                    to: position % size.max(1),
                    value,
                });
            }
            integers.push((value * scale).round() as i64);
        }
        Self::new(size, integers)
    }

    /// Builds the matrix of `distance(a, b)` over every pair of the given points.
    pub fn from_points(points: &[Point], distance: impl Fn(&Point, &Point) -> i64) -> Result<Self, InstanceError> {
        // Sized up front: a growing vector would briefly hold twice the matrix at large sizes.
        let mut values = Vec::with_capacity(points.len() * points.len());
        values.extend(points.iter().flat_map(|a| points.iter().map(|b| distance(a, b))));
        Self::new(points.len(), values)
    }

    /// Number of rows (and columns).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Travel value from location `from` to location `to`.
    #[inline]
    pub fn get(&self, from: usize, to: usize) -> i64 {
        self.values[from * self.size + to]
    }
}

/// A planar position, used for geometric pruning of route pairs (SWAP*) when available.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// An interval `[start, end]` of allowed times, in duration-matrix units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: i64,
    pub end: i64,
}

impl TimeWindow {
    /// A window that never binds.
    pub const ALWAYS: TimeWindow = TimeWindow { start: 0, end: i64::MAX / 4 };
}

/// A place where vehicles start or end their shift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Depot {
    pub id: String,
    /// Row of the travel matrices.
    pub location: usize,
}

/// A visit to perform: a delivery of `demand` units at `location`, starting within `window`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    /// Row of the travel matrices.
    pub location: usize,
    /// Capacity consumed on the vehicle.
    pub demand: i64,
    /// Time spent at the location.
    pub service: i64,
    /// When service may start (arriving early means waiting).
    pub window: TimeWindow,
    /// `None`: the job must be served. `Some(p)`: the job may be left out at cost `p`.
    pub skip_penalty: Option<i64>,
}

/// A class of identical vehicles.
///
/// Multiple trips per vehicle are modelled as extra copies (`count`): each copy is an independent
/// route inside the same shift window, so a vehicle that may reload twice a day is `count: 2`
/// with `max_duration` set to the length of one trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VehicleType {
    pub id: String,
    /// How many vehicles of this type are available (an upper bound, not all must be used).
    pub count: usize,
    pub capacity: i64,
    /// Cost paid once per used vehicle.
    pub fixed_cost: i64,
    /// Cost per distance-matrix unit travelled.
    pub cost_per_distance: i64,
    /// Cost per duration-matrix unit between leaving and returning to the depot.
    pub cost_per_time: i64,
    /// Index into [`Instance::depots`].
    pub start_depot: usize,
    /// Index into [`Instance::depots`].
    pub end_depot: usize,
    /// The vehicle leaves no earlier than `shift.start` and is back no later than `shift.end`.
    pub shift: TimeWindow,
    /// Longest allowed time between leaving and returning to the depot.
    pub max_duration: Option<i64>,
    /// Longest allowed travelled distance.
    pub max_distance: Option<i64>,
}

impl VehicleType {
    /// A vehicle type that only has a capacity: unit distance cost, no time limits.
    pub fn with_capacity(id: impl Into<String>, count: usize, capacity: i64, depot: usize) -> Self {
        Self {
            id: id.into(),
            count,
            capacity,
            fixed_cost: 0,
            cost_per_distance: 1,
            cost_per_time: 0,
            start_depot: depot,
            end_depot: depot,
            shift: TimeWindow::ALWAYS,
            max_duration: None,
            max_distance: None,
        }
    }
}

/// A complete routing problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub name: String,
    /// Positions of the matrix rows, when known (enables geometric pruning in the solver).
    pub coordinates: Option<Vec<Point>>,
    pub depots: Vec<Depot>,
    pub jobs: Vec<Job>,
    pub vehicle_types: Vec<VehicleType>,
    pub distances: Matrix,
    pub durations: Matrix,
    /// Integer distance units per reported unit (10 when distances are stored in tenths).
    pub distance_scale: i64,
}

/// Why an instance cannot be solved as given.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InstanceError {
    #[error("matrix of size {size} needs {} values, got {values}", size * size)]
    MatrixShape { size: usize, values: usize },
    #[error("matrix entry {from}->{to} is negative")]
    NegativeMatrixEntry { from: usize, to: usize },
    #[error("matrix entry {from}->{to} is {value}, expected a finite non-negative number")]
    InvalidMatrixEntry { from: usize, to: usize, value: f64 },
    #[error("distance matrix has size {distances} but duration matrix has size {durations}")]
    MatrixSizeMismatch { distances: usize, durations: usize },
    #[error("{what} refers to location {location}, but the matrices have {size} rows")]
    UnknownLocation { what: String, location: usize, size: usize },
    #[error("vehicle type {vehicle} refers to depot {depot}, but there are {depots} depots")]
    UnknownDepot { vehicle: String, depot: usize, depots: usize },
    #[error("duplicate id {0:?}")]
    DuplicateId(String),
    #[error("job {job:?} has negative {field}")]
    NegativeJobField { job: String, field: &'static str },
    #[error("{what} has a time window that ends before it starts")]
    EmptyTimeWindow { what: String },
    #[error("vehicle type {vehicle:?} has negative {field}")]
    NegativeVehicleField { vehicle: String, field: &'static str },
    #[error("coordinates list has {coordinates} points but the matrices have {size} rows")]
    CoordinateCount { coordinates: usize, size: usize },
    #[error("distance scale must be positive, got {0}")]
    DistanceScale(i64),
}

impl Instance {
    /// Checks the structure of the instance: matrix sizes, indices, signs and unique ids.
    ///
    /// Jobs that are well-formed but cannot be served (too heavy for every vehicle, a window no
    /// vehicle can reach) are not errors: the solver reports them unassigned with a reason.
    pub fn validate(&self) -> Result<(), InstanceError> {
        let size = self.distances.size();
        if self.durations.size() != size {
            return Err(InstanceError::MatrixSizeMismatch { distances: size, durations: self.durations.size() });
        }
        if self.distance_scale <= 0 {
            return Err(InstanceError::DistanceScale(self.distance_scale));
        }
        if let Some(points) = &self.coordinates
            && points.len() != size
        {
            return Err(InstanceError::CoordinateCount { coordinates: points.len(), size });
        }
        let location_in_range = |what: &str, location: usize| {
            if location < size {
                Ok(())
            } else {
                Err(InstanceError::UnknownLocation { what: what.to_string(), location, size })
            }
        };
        let mut ids = HashSet::new();
        let mut unique = |id: &str| {
            if ids.insert(id.to_string()) { Ok(()) } else { Err(InstanceError::DuplicateId(id.to_string())) }
        };
        for depot in &self.depots {
            unique(&depot.id)?;
            location_in_range(&format!("depot {:?}", depot.id), depot.location)?;
        }
        for job in &self.jobs {
            unique(&job.id)?;
            location_in_range(&format!("job {:?}", job.id), job.location)?;
            let negative = |field| Err(InstanceError::NegativeJobField { job: job.id.clone(), field });
            if job.demand < 0 {
                return negative("demand");
            }
            if job.service < 0 {
                return negative("service time");
            }
            if job.skip_penalty.is_some_and(|penalty| penalty < 0) {
                return negative("skip penalty");
            }
            if job.window.end < job.window.start {
                return Err(InstanceError::EmptyTimeWindow { what: format!("job {:?}", job.id) });
            }
        }
        for vehicle in &self.vehicle_types {
            unique(&vehicle.id)?;
            for depot in [vehicle.start_depot, vehicle.end_depot] {
                if depot >= self.depots.len() {
                    return Err(InstanceError::UnknownDepot {
                        vehicle: vehicle.id.clone(),
                        depot,
                        depots: self.depots.len(),
                    });
                }
            }
            let negative = |field| Err(InstanceError::NegativeVehicleField { vehicle: vehicle.id.clone(), field });
            let fields = [
                ("capacity", vehicle.capacity),
                ("fixed cost", vehicle.fixed_cost),
                ("cost per distance", vehicle.cost_per_distance),
                ("cost per time", vehicle.cost_per_time),
                ("max duration", vehicle.max_duration.unwrap_or(0)),
                ("max distance", vehicle.max_distance.unwrap_or(0)),
            ];
            if let Some((field, _)) = fields.iter().find(|(_, value)| *value < 0) {
                return negative(field);
            }
            if vehicle.shift.end < vehicle.shift.start {
                return Err(InstanceError::EmptyTimeWindow { what: format!("vehicle type {:?}", vehicle.id) });
            }
        }
        Ok(())
    }

    /// Depot location where vehicles of `vehicle_type` start.
    pub fn start_location(&self, vehicle_type: usize) -> usize {
        self.depots[self.vehicle_types[vehicle_type].start_depot].location
    }

    /// Depot location where vehicles of `vehicle_type` end.
    pub fn end_location(&self, vehicle_type: usize) -> usize {
        self.depots[self.vehicle_types[vehicle_type].end_depot].location
    }
}
