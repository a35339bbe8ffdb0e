//! One Hybrid Genetic Search (Vidal 2022): order crossover on giant tours, Split, local search
//! on the penalised cost, repair of infeasible offspring, adaptive penalties and restarts.

use std::collections::VecDeque;

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::HgsConfig;
use super::individual::Individual;
use super::local_search::LocalSearch;
use super::population::Population;
use super::problem::{Penalties, Problem};
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
}

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
        }
    }

    /// Fills the population with improved random solutions (at least one, then until `enough`).
    pub fn initialise(&mut self, stop: &dyn Fn() -> bool, enough: &dyn Fn() -> bool) {
        let mut tour: Vec<u32> = (0..self.problem.clients.len() as u32).collect();
        for _ in 0..4 * self.config.population_size {
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
        self.recent_feasibility.push_back((improved.excess.load == 0, improved.excess.time == 0));
        if self.recent_feasibility.len() > self.config.penalty_update_interval as usize {
            self.recent_feasibility.pop_front();
        }
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
        let count = self.recent_feasibility.len().max(1) as f64;
        let share_load = self.recent_feasibility.iter().filter(|(load, _)| *load).count() as f64 / count;
        let share_time = self.recent_feasibility.iter().filter(|(_, time)| *time).count() as f64 / count;
        let adjust = |weight: f64, share: f64| {
            if share < self.config.target_feasible - 0.05 {
                (weight * 1.2).min(MAX_PENALTY)
            } else if share > self.config.target_feasible + 0.05 {
                (weight * 0.85).max(MIN_PENALTY)
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
