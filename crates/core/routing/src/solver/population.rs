//! Feasible and infeasible subpopulations ranked by biased fitness: cost rank plus diversity
//! rank (mean broken-pairs distance to the closest members), as in Vidal et al. (2012).

use rand::{Rng, RngExt};

use super::HgsConfig;
use super::individual::Individual;
use super::problem::Penalties;

struct Member {
    individual: Individual,
    id: u64,
    penalised: f64,
    /// Distances to the other members of the subpopulation, closest first.
    proximity: Vec<(f64, u64)>,
    biased_fitness: f64,
}

impl Member {
    fn mean_closest_distance(&self, count: usize) -> f64 {
        let taken = count.min(self.proximity.len());
        if taken == 0 {
            return 0.0;
        }
        self.proximity[..taken].iter().map(|(distance, _)| distance).sum::<f64>() / taken as f64
    }
}

#[derive(Default)]
struct SubPopulation {
    /// Sorted by penalised cost.
    members: Vec<Member>,
}

impl SubPopulation {
    fn insert(&mut self, individual: Individual, id: u64, penalised: f64) {
        let mut proximity = Vec::with_capacity(self.members.len());
        for member in &mut self.members {
            let distance = individual.broken_pairs_distance(&member.individual);
            let at = member.proximity.partition_point(|&(d, _)| d < distance);
            member.proximity.insert(at, (distance, id));
            proximity.push((distance, member.id));
        }
        proximity.sort_by(|a, b| a.0.total_cmp(&b.0));
        let at = self.members.partition_point(|member| member.penalised < penalised);
        self.members.insert(at, Member { individual, id, penalised, proximity, biased_fitness: 0.0 });
    }

    fn remove(&mut self, index: usize) {
        let removed = self.members.remove(index);
        for member in &mut self.members {
            member.proximity.retain(|&(_, id)| id != removed.id);
        }
    }

    fn update_biased_fitness(&mut self, config: &HgsConfig) {
        let count = self.members.len();
        if count <= 1 {
            self.members.iter_mut().for_each(|member| member.biased_fitness = 0.0);
            return;
        }
        let mut by_diversity: Vec<(f64, usize)> =
            self.members.iter().enumerate().map(|(index, m)| (-m.mean_closest_distance(config.close), index)).collect();
        by_diversity.sort_by(|a, b| a.0.total_cmp(&b.0));
        let scale = (count - 1) as f64;
        let diversity_weight = if config.elite >= count { 0.0 } else { 1.0 - config.elite as f64 / count as f64 };
        for (diversity_rank, &(_, index)) in by_diversity.iter().enumerate() {
            let cost_rank = index as f64 / scale;
            self.members[index].biased_fitness = cost_rank + diversity_weight * diversity_rank as f64 / scale;
        }
    }

    /// Removes members until `size` remain: clones first, then the worst biased fitness.
    fn select_survivors(&mut self, size: usize, config: &HgsConfig) {
        while self.members.len() > size {
            self.update_biased_fitness(config);
            let is_clone = |member: &Member| member.proximity.first().is_some_and(|&(distance, _)| distance < 1e-9);
            let worst = (0..self.members.len())
                .max_by(|&a, &b| {
                    let key = |index: usize| (is_clone(&self.members[index]), self.members[index].biased_fitness);
                    let (clone_a, fitness_a) = key(a);
                    let (clone_b, fitness_b) = key(b);
                    clone_a.cmp(&clone_b).then(fitness_a.total_cmp(&fitness_b))
                })
                .unwrap_or(0);
            self.remove(worst);
        }
    }
}

#[derive(Default)]
pub(crate) struct Population {
    feasible: SubPopulation,
    infeasible: SubPopulation,
    next_id: u64,
}

impl Population {
    pub fn add(&mut self, individual: Individual, penalties: Penalties, config: &HgsConfig) {
        let penalised = individual.penalised_cost(penalties);
        let target = if individual.is_feasible() { &mut self.feasible } else { &mut self.infeasible };
        target.insert(individual, self.next_id, penalised);
        self.next_id += 1;
        if target.members.len() >= config.population_size + config.generation_size {
            target.select_survivors(config.population_size, config);
        }
    }

    pub fn len(&self) -> usize {
        self.feasible.members.len() + self.infeasible.members.len()
    }

    pub fn clear(&mut self) {
        self.feasible.members.clear();
        self.infeasible.members.clear();
    }

    /// Re-prices infeasible members after the penalty weights changed.
    pub fn reprice(&mut self, penalties: Penalties) {
        for member in &mut self.infeasible.members {
            member.penalised = member.individual.penalised_cost(penalties);
        }
        self.infeasible.members.sort_by(|a, b| a.penalised.total_cmp(&b.penalised));
    }

    /// Binary tournament on biased fitness over both subpopulations.
    pub fn select_parent(&mut self, config: &HgsConfig, rng: &mut impl Rng) -> &Individual {
        self.feasible.update_biased_fitness(config);
        self.infeasible.update_biased_fitness(config);
        let total = self.len();
        let mut pick = || {
            let index = rng.random_range(0..total);
            if index < self.feasible.members.len() {
                &self.feasible.members[index]
            } else {
                &self.infeasible.members[index - self.feasible.members.len()]
            }
        };
        let (first, second) = (pick(), pick());
        if first.biased_fitness <= second.biased_fitness { &first.individual } else { &second.individual }
    }

    /// Least penalised infeasible member, the fallback when nothing feasible was found.
    pub fn best_infeasible(&self) -> Option<&Individual> {
        self.infeasible.members.first().map(|member| &member.individual)
    }
}
