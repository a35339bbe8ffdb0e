//! The solver's compact view of an [`Instance`]: servable jobs ("clients"), one slot per
//! vehicle, route-segment summaries and the granular neighbourhoods.

use crate::model::{Instance, TimeWindow};
use crate::solution::{Unassigned, UnassignedReason};

/// Summary of a sequence of visits, concatenable in O(1) (Vidal et al. 2013, time warp).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub first: u32,
    pub last: u32,
    pub distance: i64,
    pub load: i64,
    /// Travel, service and unavoidable waiting time.
    pub duration: i64,
    /// Total lateness that must be "warped back" to respect the windows.
    pub time_warp: i64,
    /// Earliest start at the first visit that achieves `duration`.
    pub earliest: i64,
    /// Latest start at the first visit without extra time warp.
    pub latest: i64,
}

impl Segment {
    fn visit(location: usize, load: i64, service: i64, window: TimeWindow) -> Self {
        Self {
            first: location as u32,
            last: location as u32,
            distance: 0,
            load,
            duration: service,
            time_warp: 0,
            earliest: window.start,
            latest: window.end,
        }
    }
}

/// A job the solver must or may route.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    /// Index into the instance's jobs.
    pub job: usize,
    pub segment: Segment,
    pub skip_penalty: Option<i64>,
}

/// One physical vehicle (a copy of a vehicle type).
#[derive(Debug, Clone)]
pub(crate) struct Vehicle {
    pub vehicle_type: usize,
    pub copy: usize,
    pub start: Segment,
    pub end: Segment,
    pub capacity: i64,
    pub fixed_cost: i64,
    pub cost_per_distance: i64,
    pub cost_per_time: i64,
    pub max_duration: i64,
    pub max_distance: i64,
}

/// Weights of the constraint violations in the penalised cost.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Penalties {
    pub load: f64,
    pub time: f64,
}

/// How far a route is from feasibility.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Excess {
    pub load: i64,
    /// Time warp plus duration and distance beyond the vehicle's limits.
    pub time: i64,
}

pub(crate) struct Problem<'a> {
    pub instance: &'a Instance,
    pub clients: Vec<Client>,
    pub vehicles: Vec<Vehicle>,
    /// Jobs screened out before the search, with their reasons.
    pub excluded: Vec<Unassigned>,
    /// Whether any time window, shift, duration limit or time cost can bind.
    pub has_time: bool,
    /// Per client, the closest clients by a distance/time-window correlation.
    pub neighbours: Vec<Vec<u32>>,
    pub max_demand: i64,
    pub max_distance: i64,
}

impl<'a> Problem<'a> {
    pub fn new(instance: &'a Instance, granularity: usize) -> Self {
        let has_time = instance.jobs.iter().any(|job| job.window != TimeWindow::ALWAYS)
            || instance.vehicle_types.iter().any(|vehicle| {
                vehicle.shift != TimeWindow::ALWAYS || vehicle.max_duration.is_some() || vehicle.cost_per_time > 0
            });
        let mut clients = Vec::new();
        let mut excluded = Vec::new();
        for (index, job) in instance.jobs.iter().enumerate() {
            match screen(instance, index) {
                Ok(()) => clients.push(Client {
                    job: index,
                    segment: Segment::visit(job.location, job.demand, job.service, job.window),
                    skip_penalty: job.skip_penalty,
                }),
                Err(reason) => excluded.push(Unassigned { job: index, reason }),
            }
        }
        let mut vehicles = Vec::new();
        for (type_index, vehicle) in instance.vehicle_types.iter().enumerate() {
            let start = instance.start_location(type_index);
            let end = instance.end_location(type_index);
            for copy in 0..vehicle.count.min(clients.len()) {
                vehicles.push(Vehicle {
                    vehicle_type: type_index,
                    copy,
                    start: Segment::visit(start, 0, 0, vehicle.shift),
                    end: Segment::visit(end, 0, 0, vehicle.shift),
                    capacity: vehicle.capacity,
                    fixed_cost: vehicle.fixed_cost,
                    cost_per_distance: vehicle.cost_per_distance,
                    cost_per_time: vehicle.cost_per_time,
                    max_duration: vehicle.max_duration.unwrap_or(i64::MAX / 4),
                    max_distance: vehicle.max_distance.unwrap_or(i64::MAX / 4),
                });
            }
        }
        let max_demand = clients.iter().map(|client| client.segment.load).max().unwrap_or(0);
        let size = instance.distances.size();
        let max_distance =
            (0..size).flat_map(|a| (0..size).map(move |b| (a, b))).map(|(a, b)| instance.distances.get(a, b)).max();
        let mut problem = Self {
            instance,
            clients,
            vehicles,
            excluded,
            has_time,
            neighbours: Vec::new(),
            max_demand,
            max_distance: max_distance.unwrap_or(0),
        };
        problem.neighbours = problem.granular_neighbours(granularity);
        problem
    }

    #[inline]
    pub fn distance(&self, from: u32, to: u32) -> i64 {
        self.instance.distances.get(from as usize, to as usize)
    }

    #[inline]
    pub fn duration(&self, from: u32, to: u32) -> i64 {
        self.instance.durations.get(from as usize, to as usize)
    }

    /// The segment `a` followed by the segment `b`.
    #[inline]
    pub fn merge(&self, a: &Segment, b: &Segment) -> Segment {
        let mut merged = Segment {
            first: a.first,
            last: b.last,
            distance: a.distance + self.distance(a.last, b.first) + b.distance,
            load: a.load + b.load,
            duration: 0,
            time_warp: 0,
            earliest: 0,
            latest: 0,
        };
        if self.has_time {
            let travel = self.duration(a.last, b.first);
            let offset = a.duration - a.time_warp + travel;
            let wait = (b.earliest - offset - a.latest).max(0);
            let warp = (a.earliest + offset - b.latest).max(0);
            merged.duration = a.duration + b.duration + travel + wait;
            merged.time_warp = a.time_warp + b.time_warp + warp;
            merged.earliest = (b.earliest - offset).max(a.earliest) - wait;
            merged.latest = (b.latest - offset).min(a.latest) + warp;
        }
        merged
    }

    /// The full route of `vehicle` over `clients`, depots included.
    pub fn route_segment(&self, vehicle: usize, clients: &[u32]) -> Segment {
        let vehicle = &self.vehicles[vehicle];
        let inner =
            clients.iter().fold(vehicle.start, |acc, &client| self.merge(&acc, &self.clients[client as usize].segment));
        self.merge(&inner, &vehicle.end)
    }

    /// Real cost (fixed, distance, time) of a non-empty route with full segment `route`.
    #[inline]
    pub fn route_cost(&self, vehicle: usize, route: &Segment) -> i64 {
        let vehicle = &self.vehicles[vehicle];
        vehicle.fixed_cost + vehicle.cost_per_distance * route.distance + vehicle.cost_per_time * route.duration
    }

    #[inline]
    pub fn excess(&self, vehicle: usize, route: &Segment) -> Excess {
        let vehicle = &self.vehicles[vehicle];
        Excess {
            load: (route.load - vehicle.capacity).max(0),
            time: route.time_warp
                + (route.duration - vehicle.max_duration).max(0)
                + (route.distance - vehicle.max_distance).max(0),
        }
    }

    /// Cost plus weighted constraint violations of a non-empty route.
    #[inline]
    pub fn penalised_cost(&self, vehicle: usize, route: &Segment, penalties: Penalties) -> f64 {
        let excess = self.excess(vehicle, route);
        self.route_cost(vehicle, route) as f64
            + penalties.load * excess.load as f64
            + penalties.time * excess.time as f64
    }

    /// Initial penalty weights: one unit of excess costs about one long edge.
    pub fn initial_penalties(&self) -> Penalties {
        let per_unit = self.max_distance as f64 / self.max_demand.max(1) as f64;
        Penalties { load: per_unit.clamp(0.1, 1000.0), time: 1.0 }
    }

    /// Neighbour lists ordered by the correlation measure of Vidal et al. (2013): travel plus
    /// weighted waiting and time warp when `i` is served right before `j`, taken in the better direction.
    fn granular_neighbours(&self, granularity: usize) -> Vec<Vec<u32>> {
        let count = self.clients.len();
        let granularity = granularity.min(count.saturating_sub(1));
        let proximity = |i: usize, j: usize| {
            let (a, b) = (&self.clients[i].segment, &self.clients[j].segment);
            let mut value = self.distance(a.first, b.first) as f64;
            if self.has_time {
                let travel = self.duration(a.first, b.first);
                let wait = (b.earliest - travel - a.duration - a.latest).max(0);
                let warp = (a.earliest + a.duration + travel - b.latest).max(0);
                value += 0.2 * wait as f64 + warp as f64;
            }
            value
        };
        let mut scratch: Vec<(f64, u32)> = Vec::with_capacity(count);
        (0..count)
            .map(|i| {
                scratch.clear();
                scratch
                    .extend((0..count).filter(|&j| j != i).map(|j| (proximity(i, j).min(proximity(j, i)), j as u32)));
                if granularity < scratch.len() {
                    scratch.select_nth_unstable_by(granularity, |a, b| a.0.total_cmp(&b.0));
                    scratch.truncate(granularity);
                }
                scratch.sort_by(|a, b| a.0.total_cmp(&b.0));
                scratch.iter().map(|&(_, j)| j).collect()
            })
            .collect()
    }
}

/// Whether some vehicle type can serve job `index` on a route of its own, and if not, why.
fn screen(instance: &Instance, index: usize) -> Result<(), UnassignedReason> {
    let job = &instance.jobs[index];
    let mut best_failure = UnassignedReason::NoVehicle;
    for (type_index, vehicle) in instance.vehicle_types.iter().enumerate().filter(|(_, vehicle)| vehicle.count > 0) {
        let (start, end) = (instance.start_location(type_index), instance.end_location(type_index));
        let outbound = instance.durations.get(start, job.location);
        let inbound = instance.durations.get(job.location, end);
        let service_start = (vehicle.shift.start + outbound).max(job.window.start);
        let failure = if job.demand > vehicle.capacity {
            UnassignedReason::CapacityExceeded
        } else if service_start > job.window.end || service_start + job.service + inbound > vehicle.shift.end {
            UnassignedReason::TimeWindowUnreachable
        } else if vehicle.max_duration.is_some_and(|limit| outbound + job.service + inbound > limit) {
            UnassignedReason::MaxDurationExceeded
        } else if vehicle.max_distance.is_some_and(|limit| {
            instance.distances.get(start, job.location) + instance.distances.get(job.location, end) > limit
        }) {
            UnassignedReason::MaxDistanceExceeded
        } else {
            return Ok(());
        };
        best_failure = best_failure.max_progress(failure);
    }
    Err(best_failure)
}

impl UnassignedReason {
    /// Of two reasons, the one reached by passing more checks (the more informative one).
    fn max_progress(self, other: Self) -> Self {
        let progress = |reason: Self| match reason {
            Self::NoVehicle | Self::NotProfitable => 0,
            Self::CapacityExceeded => 1,
            Self::TimeWindowUnreachable => 2,
            Self::MaxDurationExceeded => 3,
            Self::MaxDistanceExceeded => 4,
        };
        if progress(other) > progress(self) { other } else { self }
    }
}
