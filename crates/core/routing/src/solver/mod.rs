//! The Hybrid Genetic Search solver and its parameters.

mod genetic;
mod individual;
mod local_search;
mod population;
mod problem;
mod split;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::model::{Instance, InstanceError};
use crate::solution::{Route, Solution, Stop, Unassigned, UnassignedReason};
use genetic::Search;
use individual::Individual;
use problem::Problem;

/// Tuning of the search. The genetic parameters default to those of HGS-CVRP (Vidal 2022), the
/// iterated local search ones to those of PyVRP 0.14.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HgsConfig {
    /// Size of each subpopulation after survivor selection (μ).
    pub population_size: usize,
    /// Offspring added before survivor selection runs (λ).
    pub generation_size: usize,
    /// Members protected by the diversity weight of the biased fitness.
    pub elite: usize,
    /// Closest members averaged in the diversity contribution.
    pub close: usize,
    /// Neighbours per client in the granular local search (Γ).
    pub granularity: usize,
    /// Share of feasible offspring the penalty weights aim for.
    pub target_feasible: f64,
    /// Probability of repairing an infeasible offspring with raised penalties.
    pub repair_probability: f64,
    /// Iterations between two penalty updates.
    pub penalty_update_interval: u64,
    /// Iterations without improvement before the population restarts.
    pub restart_after: u64,
    /// Iterations between two exchanges of the best solution when running several threads.
    pub exchange_interval: u64,
    /// From this many clients on, the search after the initial solutions is an iterated local
    /// search (ruin a few neighbouring clients, recreate, improve around them; late-acceptance
    /// hill climbing) rather than crossover and a full local search per generation, whose cost
    /// grows with the instance. Default 0 (always): at equal time it matched or beat the genetic
    /// search on every Solomon and X instance tried. `usize::MAX`: always genetic.
    pub iterated_from: usize,
    /// Late-acceptance history length of the iterated local search.
    pub history_length: usize,
    /// Most clients removed by one perturbation (at least one).
    pub max_perturbation: usize,
    /// Initial solutions built before the iterated local search starts.
    pub iterated_initial: usize,
}

impl Default for HgsConfig {
    fn default() -> Self {
        Self {
            population_size: 25,
            generation_size: 40,
            elite: 4,
            close: 5,
            granularity: 20,
            target_feasible: 0.2,
            repair_probability: 0.5,
            penalty_update_interval: 100,
            restart_after: 20_000,
            exchange_interval: 500,
            iterated_from: 0,
            history_length: 300,
            max_perturbation: 25,
            iterated_initial: 4,
        }
    }
}

/// Limits and settings of one [`solve`] call.
#[derive(Debug, Clone)]
pub struct SolverParams {
    pub seed: u64,
    pub time_limit: Duration,
    /// Genetic iterations per thread. With a limit the result depends only on the seed and the
    /// thread count, as long as the time limit and the stop flag do not cut the run short.
    pub iteration_limit: Option<u64>,
    /// Independent populations run in parallel (1 or more), exchanging their best solutions.
    pub threads: usize,
    /// Set to `true` by the caller to interrupt the search; the best plan so far is returned.
    pub stop: Option<Arc<AtomicBool>>,
    pub hgs: HgsConfig,
}

impl Default for SolverParams {
    fn default() -> Self {
        Self {
            seed: 0,
            time_limit: Duration::from_secs(10),
            iteration_limit: None,
            threads: 1,
            stop: None,
            hgs: HgsConfig::default(),
        }
    }
}

/// Solves `instance` and returns the best feasible plan found within the limits.
///
/// Jobs that no vehicle can serve are reported in [`Solution::unassigned`] with their reason; if
/// the fleet is too small to serve every required job, the least-penalised plan is made feasible
/// by unassigning jobs ([`UnassignedReason::NoVehicle`]). Structural errors of the instance are
/// returned as [`InstanceError`] before any search.
pub fn solve(instance: &Instance, params: &SolverParams) -> Result<Solution, InstanceError> {
    instance.validate()?;
    let started = Instant::now();
    let config = params.hgs;
    let problem = Problem::new(instance, config.granularity);
    let deadline = started + params.time_limit;
    let interrupted =
        || Instant::now() >= deadline || params.stop.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed));
    let threads = params.threads.max(1);
    let outcomes: Vec<(Option<Individual>, Option<Individual>, u64)> = if threads == 1 {
        vec![run_population(&problem, config, params, 0, &interrupted, None)]
    } else {
        let exchange = Exchange {
            slots: Mutex::new(vec![None; threads]),
            barrier: Barrier::new(threads),
            finished: AtomicBool::new(false),
        };
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    let (problem, exchange, interrupted) = (&problem, &exchange, &interrupted);
                    scope.spawn(move || run_population(problem, config, params, thread, interrupted, Some(exchange)))
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().expect("search thread panicked")).collect()
        })
    };
    let iterations = outcomes.iter().map(|(_, _, iterations)| iterations).sum();
    let best_feasible = outcomes.iter().filter_map(|(best, _, _)| best.as_ref()).min_by_key(|best| best.cost);
    let (routes, mut unassigned) = match best_feasible {
        Some(best) => (best.routes.clone(), skipped_as_unassigned(&problem, &best.skipped)),
        None => {
            let fallback = outcomes
                .iter()
                .filter_map(|(_, infeasible, _)| infeasible.as_ref())
                .min_by_key(|individual| individual.cost + individual.excess.load + individual.excess.time);
            make_feasible(&problem, fallback)
        }
    };
    unassigned.extend(problem.excluded.iter().copied());
    unassigned.sort_by_key(|entry| entry.job);
    Ok(build_solution(&problem, &routes, unassigned, iterations, started.elapsed()))
}

/// Where parallel populations leave their best solution for the others.
struct Exchange {
    slots: Mutex<Vec<Option<Individual>>>,
    barrier: Barrier,
    finished: AtomicBool,
}

/// Runs one population until a limit; returns its best feasible and best infeasible solutions.
fn run_population(
    problem: &Problem,
    config: HgsConfig,
    params: &SolverParams,
    thread: usize,
    interrupted: &dyn Fn() -> bool,
    exchange: Option<&Exchange>,
) -> (Option<Individual>, Option<Individual>, u64) {
    let mut search = Search::new(problem, config, params.seed.wrapping_add(thread as u64 * 0x9E37_79B9));
    let start = Instant::now();
    // Without an iteration limit, keep most of the time for the genetic phase on large instances.
    let enough_initial = || params.iteration_limit.is_none() && start.elapsed() > params.time_limit.mul_f64(0.15);
    if !problem.clients.is_empty() && !problem.vehicles.is_empty() {
        search.initialise(interrupted, &enough_initial);
        let reached_limit = |search: &Search| params.iteration_limit.is_some_and(|limit| search.iterations >= limit);
        loop {
            let epoch_end = search.iterations + config.exchange_interval;
            while search.iterations < epoch_end && !reached_limit(&search) && !interrupted() {
                if search.is_iterated() {
                    search.iterate(interrupted);
                } else {
                    search.step(interrupted);
                }
            }
            let done = reached_limit(&search) || interrupted();
            let Some(exchange) = exchange else {
                if done {
                    break;
                }
                continue;
            };
            exchange.slots.lock().expect("exchange lock")[thread] = search.best.clone();
            if done {
                exchange.finished.store(true, Ordering::SeqCst);
            }
            exchange.barrier.wait();
            if exchange.finished.load(Ordering::SeqCst) {
                break;
            }
            let others: Vec<Individual> = exchange
                .slots
                .lock()
                .expect("exchange lock")
                .iter()
                .enumerate()
                .filter(|(other, _)| *other != thread)
                .filter_map(|(_, best)| best.clone())
                .collect();
            exchange.barrier.wait();
            for individual in others {
                search.adopt(individual);
            }
        }
    } else if let Some(exchange) = exchange {
        // Nothing to search: still meet the other threads at their first rendezvous.
        exchange.finished.store(true, Ordering::SeqCst);
        exchange.barrier.wait();
    }
    let best_infeasible = search.best_infeasible().cloned();
    let iterations = search.iterations;
    (search.best, best_infeasible, iterations)
}

fn skipped_as_unassigned(problem: &Problem, skipped: &[u32]) -> Vec<Unassigned> {
    skipped
        .iter()
        .map(|&client| Unassigned {
            job: problem.clients[client as usize].job,
            reason: UnassignedReason::NotProfitable,
        })
        .collect()
}

/// Turns an infeasible plan into a feasible one, in about linear time so that even a search
/// cut short on a very large instance returns quickly: each violating route keeps, in order, the
/// clients it can still serve; every dropped client then goes to its cheapest feasible place next
/// to one of its correlated neighbours, else into an unused vehicle, else anywhere it fits; the
/// rest stay unassigned.
fn make_feasible(problem: &Problem, individual: Option<&Individual>) -> (Vec<Vec<u32>>, Vec<Unassigned>) {
    let mut routes = individual.map_or_else(|| vec![Vec::new(); problem.vehicles.len()], |found| found.routes.clone());
    let mut dropped: Vec<u32> =
        individual.map_or_else(|| (0..problem.clients.len() as u32).collect(), |found| found.skipped.clone());
    let no_excess =
        |vehicle: usize, segment: &problem::Segment| problem.excess(vehicle, segment) == problem::Excess::default();
    let feasible = |vehicle: usize, clients: &[u32]| {
        clients.is_empty() || no_excess(vehicle, &problem.route_segment(vehicle, clients))
    };
    for (vehicle, route) in routes.iter_mut().enumerate() {
        if feasible(vehicle, route) {
            continue;
        }
        let end = problem.vehicles[vehicle].end;
        let mut open = problem.vehicles[vehicle].start;
        let mut kept = Vec::with_capacity(route.len());
        for &client in route.iter() {
            let extended = problem.merge(&open, &problem.clients[client as usize].segment);
            if no_excess(vehicle, &problem.merge(&extended, &end)) {
                open = extended;
                kept.push(client);
            } else {
                dropped.push(client);
            }
        }
        *route = kept;
    }
    let mut route_of = vec![usize::MAX; problem.clients.len()];
    for (vehicle, route) in routes.iter().enumerate() {
        for &client in route {
            route_of[client as usize] = vehicle;
        }
    }
    // Cost added by inserting `client` at `position` of `vehicle`'s route, if that stays feasible.
    let insertion = |routes: &[Vec<u32>], vehicle: usize, position: usize, client: u32| -> Option<i64> {
        let route = &routes[vehicle];
        let mut candidate = Vec::with_capacity(route.len() + 1);
        candidate.extend_from_slice(&route[..position]);
        candidate.push(client);
        candidate.extend_from_slice(&route[position..]);
        let segment = problem.route_segment(vehicle, &candidate);
        if !no_excess(vehicle, &segment) {
            return None;
        }
        let before =
            if route.is_empty() { 0 } else { problem.route_cost(vehicle, &problem.route_segment(vehicle, route)) };
        Some(problem.route_cost(vehicle, &segment) - before)
    };
    let mut unassigned = Vec::new();
    for client in dropped {
        let optional = problem.clients[client as usize].skip_penalty;
        let mut best: Option<(i64, usize, usize)> = None;
        let consider = |best: &mut Option<(i64, usize, usize)>, added: Option<i64>, vehicle: usize, position: usize| {
            if let Some(added) = added
                && best.is_none_or(|(cost, _, _)| added < cost)
            {
                *best = Some((added, vehicle, position));
            }
        };
        for &neighbour in &problem.neighbours[client as usize] {
            let vehicle = route_of[neighbour as usize];
            if vehicle == usize::MAX {
                continue;
            }
            let at = routes[vehicle].iter().position(|&c| c == neighbour).unwrap_or(0);
            for position in [at, at + 1] {
                consider(&mut best, insertion(&routes, vehicle, position, client), vehicle, position);
            }
        }
        if best.is_none() {
            let mut seen_types = Vec::new();
            for vehicle in (0..routes.len()).filter(|&vehicle| routes[vehicle].is_empty()) {
                let vehicle_type = problem.vehicles[vehicle].vehicle_type;
                if !seen_types.contains(&vehicle_type) {
                    seen_types.push(vehicle_type);
                    consider(&mut best, insertion(&routes, vehicle, 0, client), vehicle, 0);
                }
            }
        }
        if best.is_none() {
            for vehicle in (0..routes.len()).filter(|&vehicle| !routes[vehicle].is_empty()) {
                for position in 0..=routes[vehicle].len() {
                    consider(&mut best, insertion(&routes, vehicle, position, client), vehicle, position);
                }
            }
        }
        match best {
            Some((added, vehicle, position)) if optional.is_none_or(|penalty| added < penalty) => {
                routes[vehicle].insert(position, client);
                route_of[client as usize] = vehicle;
            }
            _ => {
                let reason =
                    if optional.is_some() { UnassignedReason::NotProfitable } else { UnassignedReason::NoVehicle };
                unassigned.push(Unassigned { job: problem.clients[client as usize].job, reason });
            }
        }
    }
    (routes, unassigned)
}

/// Schedules each route (leaving as early as possible without lengthening it) and prices the plan.
fn build_solution(
    problem: &Problem,
    routes: &[Vec<u32>],
    unassigned: Vec<Unassigned>,
    iterations: u64,
    elapsed: Duration,
) -> Solution {
    let instance = problem.instance;
    let mut planned = Vec::new();
    for (slot, clients) in routes.iter().enumerate().filter(|(_, clients)| !clients.is_empty()) {
        let vehicle = &problem.vehicles[slot];
        let segment = problem.route_segment(slot, clients);
        let departure = if problem.has_time { segment.earliest } else { vehicle.start.earliest };
        let mut time = departure;
        let mut location = vehicle.start.first as usize;
        let mut stops = Vec::with_capacity(clients.len());
        for &client in clients {
            let job_index = problem.clients[client as usize].job;
            let job = &instance.jobs[job_index];
            let arrival = time + instance.durations.get(location, job.location);
            let service_start = arrival.max(job.window.start);
            stops.push(Stop { job: job_index, arrival, service_start });
            time = service_start + job.service;
            location = job.location;
        }
        let return_time = time + instance.durations.get(location, vehicle.end.first as usize);
        let duration = return_time - departure;
        planned.push(Route {
            vehicle_type: vehicle.vehicle_type,
            vehicle: vehicle.copy,
            stops,
            departure,
            return_time,
            load: segment.load,
            distance: segment.distance,
            duration,
            cost: vehicle.fixed_cost + vehicle.cost_per_distance * segment.distance + vehicle.cost_per_time * duration,
        });
    }
    let penalties: i64 = unassigned.iter().filter_map(|entry| instance.jobs[entry.job].skip_penalty).sum();
    Solution {
        cost: planned.iter().map(|route| route.cost).sum::<i64>() + penalties,
        distance: planned.iter().map(|route| route.distance).sum(),
        routes: planned,
        unassigned,
        iterations,
        elapsed,
    }
}
