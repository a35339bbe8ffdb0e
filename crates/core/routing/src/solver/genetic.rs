//! One search thread. Two strategies share the initial solutions (random giant tours, Split,
//! local search), the penalised cost and the adaptive penalties:
//! - Hybrid Genetic Search (Vidal 2022): order crossover on giant tours, Split, a full local
//!   search per offspring, repair of infeasible offspring, diverse subpopulations, restarts;
//! - iterated local search (the default, as PyVRP 0.14 does): remove up to 25 neighbouring
//!   clients, reinsert them at their cheapest places, improve only around the change, accept by
//!   late-acceptance hill climbing; a new best solution gets a full local search. Each iteration
//!   costs about the size of the change rather than of the instance, which is what makes large
//!   instances (and 5,000 stops) converge within seconds.

use std::collections::VecDeque;

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::HgsConfig;
use super::individual::Individual;
use super::local_search::{LocalSearch, Start};
use super::population::Population;
use super::problem::{Excess, Penalties, Problem};
use super::split::split;

/// Penalty weights stay within these bounds.
const MIN_PENALTY: f64 = 0.1;
const MAX_PENALTY: f64 = 100_000.0;

pub(crate) struct Search<'p, 'a> {
    problem: &'p Problem<'a>,
    config: HgsConfig,
    rng: ChaCha8Rng,
    local_search: LocalSearch<'p, 'a>,
    population: Population,
    penalties: Penalties,
    /// Feasibility (load, time) of the latest local-search outputs.
    recent_feasibility: VecDeque<(bool, bool)>,
    pub best: Option<Individual>,
    best_since_restart: i64,
    pub iterations: u64,
    iterations_without_improvement: u64,
    /// Iterated local search: the current solution and the late-acceptance history.
    iterated: Option<Iterated>,
}

/// State of the iterated local search used on large instances.
struct Iterated {
    current: Individual,
    /// Ring of (cost, excess) of past current solutions; `None` until written.
    history: Vec<Option<(i64, Excess)>>,
    next: usize,
    /// Penalised cost reference while the history slot is empty: the starting solution.
    start: (i64, Excess),
    /// What the local search holds relative to `current`.
    state: Start,
}

/// Feasible share, update interval and factors of the penalty weights in the iterated local
/// search (those of PyVRP 0.14: its candidates are near-feasible most of the time).
const ITERATED_TARGET_FEASIBLE: f64 = 0.65;
const ITERATED_PENALTY_INTERVAL: u64 = 500;
/// Iterations without a new best before the iterated local search restarts from the best.
const ITERATED_RESTART_AFTER: u64 = 150_000;

impl<'p, 'a> Search<'p, 'a> {
    pub fn new(problem: &'p Problem<'a>, config: HgsConfig, seed: u64) -> Self {
        Self {
            problem,
            config,
            rng: ChaCha8Rng::seed_from_u64(seed),
            local_search: LocalSearch::new(problem),
            population: Population::default(),
            penalties: problem.initial_penalties(),
            recent_feasibility: VecDeque::new(),
            best: None,
            best_since_restart: i64::MAX,
            iterations: 0,
            iterations_without_improvement: 0,
            iterated: None,
        }
    }

    /// Whether this search runs as an iterated local search (large instances).
    pub fn is_iterated(&self) -> bool {
        self.problem.clients.len() >= self.config.iterated_from
    }

    fn priced(&self, summary: (i64, Excess)) -> f64 {
        summary.0 as f64 + self.penalties.load * summary.1.load as f64 + self.penalties.time * summary.1.time as f64
    }

    /// One iteration of the iterated local search: perturb the current solution, improve around
    /// the change, accept by late-acceptance hill climbing (Burke and Bykov 2017).
    pub fn iterate(&mut self, stop: &dyn Fn() -> bool) {
        if self.iterated.is_none() {
            let Some(start) = self.best.clone().or_else(|| self.population.best_infeasible().cloned()) else {
                return;
            };
            let summary = (start.cost, start.excess);
            self.iterated = Some(Iterated {
                current: start,
                history: vec![None; self.config.history_length.max(1)],
                next: 0,
                start: summary,
                state: Start::Fresh,
            });
        }
        self.iterations += 1;
        self.iterations_without_improvement += 1;
        if self.iterations_without_improvement >= ITERATED_RESTART_AFTER
            && let (Some(best), Some(state)) = (&self.best, &mut self.iterated)
        {
            state.current = best.clone();
            state.state = Start::Fresh;
            state.history.iter_mut().for_each(|slot| *slot = None);
            self.iterations_without_improvement = 0;
        }
        let count = self.rng.random_range(1..=self.config.max_perturbation.max(1));
        let state = self.iterated.as_ref().expect("iterated state");
        let candidate =
            self.local_search.perturb(&state.current, self.penalties, count, &mut self.rng, stop, state.state);
        let mut held = Start::Undo;
        self.record_feasibility(&candidate);
        if self.iterations.is_multiple_of(ITERATED_PENALTY_INTERVAL) {
            self.update_penalties_towards(ITERATED_TARGET_FEASIBLE, 1.5, 0.9);
        }
        if candidate.is_feasible() && self.best.as_ref().is_none_or(|best| candidate.cost < best.cost) {
            self.iterations_without_improvement = 0;
            // A new best gets a full local search (PyVRP's exhaustive_on_best).
            let polished = self.local_search.run(&candidate, self.penalties, &mut self.rng, stop);
            held = Start::Fresh;
            let better =
                if polished.is_feasible() && polished.cost < candidate.cost { polished } else { candidate.clone() };
            self.best_since_restart = self.best_since_restart.min(better.cost);
            self.best = Some(better);
        }
        let state = self.iterated.as_ref().expect("iterated state");
        let candidate_cost = candidate.penalised_cost(self.penalties);
        let mut current_cost = state.current.penalised_cost(self.penalties);
        let late = state.history[state.next];
        let late_cost = self.priced(late.unwrap_or(state.start));
        let state = self.iterated.as_mut().expect("iterated state");
        if candidate_cost < late_cost || candidate_cost < current_cost {
            state.current = candidate;
            current_cost = candidate_cost;
            if held == Start::Undo {
                held = Start::Same;
            }
        }
        state.state = held;
        if current_cost < late_cost || late.is_none() {
            state.history[state.next] = Some((state.current.cost, state.current.excess));
        }
        state.next = (state.next + 1) % state.history.len();
    }

    /// Fills the population with improved random solutions (at least one, then until `enough`).
    pub fn initialise(&mut self, stop: &dyn Fn() -> bool, enough: &dyn Fn() -> bool) {
        let mut tour: Vec<u32> = (0..self.problem.clients.len() as u32).collect();
        let count =
            if self.is_iterated() { self.config.iterated_initial.max(1) } else { 4 * self.config.population_size };
        for _ in 0..count {
            tour.shuffle(&mut self.rng);
            let routes = split(self.problem, &tour, self.penalties);
            self.educate(Individual::new(self.problem, routes, Vec::new()), stop);
            if stop() || enough() {
                break;
            }
        }
    }

    /// One generation: two parents, crossover, Split, local search, survivor selection.
    pub fn step(&mut self, stop: &dyn Fn() -> bool) {
        self.iterations += 1;
        self.iterations_without_improvement += 1;
        let first = self.population.select_parent(&self.config, &mut self.rng).giant_tour.clone();
        let second = self.population.select_parent(&self.config, &mut self.rng).giant_tour.clone();
        let child = order_crossover(&first, &second, &mut self.rng);
        let routes = split(self.problem, &child, self.penalties);
        self.educate(Individual::new(self.problem, routes, Vec::new()), stop);
        if self.iterations.is_multiple_of(self.config.penalty_update_interval) {
            self.update_penalties();
        }
        if self.iterations_without_improvement >= self.config.restart_after {
            self.population.clear();
            self.best_since_restart = i64::MAX;
            self.iterations_without_improvement = 0;
            self.initialise(stop, &|| false);
        }
    }

    /// Improves an individual, records it, and tries to repair it when infeasible.
    fn educate(&mut self, individual: Individual, stop: &dyn Fn() -> bool) {
        let improved = self.local_search.run(&individual, self.penalties, &mut self.rng, stop);
        self.record_feasibility(&improved);
        let repair = !improved.is_feasible() && self.rng.random_bool(self.config.repair_probability);
        self.accept(improved.clone());
        if repair {
            let raised = Penalties { load: self.penalties.load * 10.0, time: self.penalties.time * 10.0 };
            let repaired = self.local_search.run(&improved, raised, &mut self.rng, stop);
            if repaired.is_feasible() {
                self.accept(repaired);
            }
        }
    }

    fn record_feasibility(&mut self, individual: &Individual) {
        self.recent_feasibility.push_back((individual.excess.load == 0, individual.excess.time == 0));
        let window = if self.is_iterated() { ITERATED_PENALTY_INTERVAL } else { self.config.penalty_update_interval };
        if self.recent_feasibility.len() > window as usize {
            self.recent_feasibility.pop_front();
        }
    }

    /// Takes a solution found elsewhere (another thread's best): the iterated local search
    /// continues from it when it beats the current solution.
    pub fn adopt(&mut self, individual: Individual) {
        if let Some(state) = &mut self.iterated
            && individual.penalised_cost(self.penalties) < state.current.penalised_cost(self.penalties)
        {
            state.current = individual.clone();
            state.state = Start::Fresh;
        }
        self.accept(individual);
    }

    /// Adds an individual to the population, tracking the best feasible one.
    pub fn accept(&mut self, individual: Individual) {
        if individual.is_feasible() {
            if individual.cost < self.best_since_restart {
                self.best_since_restart = individual.cost;
                self.iterations_without_improvement = 0;
            }
            if self.best.as_ref().is_none_or(|best| individual.cost < best.cost) {
                self.best = Some(individual.clone());
            }
        }
        self.population.add(individual, self.penalties, &self.config);
    }

    /// Moves each penalty weight so that about `target_feasible` of the offspring are feasible.
    fn update_penalties(&mut self) {
        self.update_penalties_towards(self.config.target_feasible, 1.2, 0.85);
    }

    fn update_penalties_towards(&mut self, target: f64, increase: f64, decrease: f64) {
        let count = self.recent_feasibility.len().max(1) as f64;
        let share_load = self.recent_feasibility.iter().filter(|(load, _)| *load).count() as f64 / count;
        let share_time = self.recent_feasibility.iter().filter(|(_, time)| *time).count() as f64 / count;
        let adjust = |weight: f64, share: f64| {
            if share < target - 0.05 {
                (weight * increase).min(MAX_PENALTY)
            } else if share > target + 0.05 {
                (weight * decrease).max(MIN_PENALTY)
            } else {
                weight
            }
        };
        self.penalties =
            Penalties { load: adjust(self.penalties.load, share_load), time: adjust(self.penalties.time, share_time) };
        self.population.reprice(self.penalties);
    }

    pub fn best_infeasible(&self) -> Option<&Individual> {
        self.population.best_infeasible()
    }
}

/// Order crossover (OX): a random slice of the first parent, the rest in the second parent's order.
fn order_crossover(first: &[u32], second: &[u32], rng: &mut impl RngExt) -> Vec<u32> {
    let count = first.len();
    if count < 2 {
        return first.to_vec();
    }
    let start = rng.random_range(0..count);
    let mut end = rng.random_range(0..count);
    while end == start {
        end = rng.random_range(0..count);
    }
    let mut child = vec![u32::MAX; count];
    let mut taken = vec![false; count];
    let mut position = start;
    loop {
        child[position] = first[position];
        taken[first[position] as usize] = true;
        if position == end {
            break;
        }
        position = (position + 1) % count;
    }
    let mut free = (end + 1) % count;
    for offset in 1..=count {
        let client = second[(end + offset) % count];
        if !taken[client as usize] {
            child[free] = client;
            free = (free + 1) % count;
        }
    }
    child
}
