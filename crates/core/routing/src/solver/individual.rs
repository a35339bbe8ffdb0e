//! A candidate solution of the genetic search: routes per vehicle slot plus its giant tour.

use super::problem::{Excess, Penalties, Problem};

/// Marks the depot in predecessor/successor arrays.
const DEPOT: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub(crate) struct Individual {
    /// Client sequence of every vehicle slot (empty when unused).
    pub routes: Vec<Vec<u32>>,
    /// Optional clients left out.
    pub skipped: Vec<u32>,
    /// All clients: routes in order, then the skipped ones (the chromosome).
    pub giant_tour: Vec<u32>,
    successor: Vec<u32>,
    predecessor: Vec<u32>,
    /// Route costs plus skip penalties.
    pub cost: i64,
    pub excess: Excess,
}

impl Individual {
    pub fn new(problem: &Problem, routes: Vec<Vec<u32>>, skipped: Vec<u32>) -> Self {
        let count = problem.clients.len();
        let mut successor = vec![DEPOT; count];
        let mut predecessor = vec![DEPOT; count];
        let mut cost = skipped.iter().map(|&client| problem.clients[client as usize].skip_penalty.unwrap_or(0)).sum();
        let mut excess = Excess::default();
        for (vehicle, route) in routes.iter().enumerate().filter(|(_, route)| !route.is_empty()) {
            for pair in route.windows(2) {
                successor[pair[0] as usize] = pair[1];
                predecessor[pair[1] as usize] = pair[0];
            }
            let segment = problem.route_segment(vehicle, route);
            cost += problem.route_cost(vehicle, &segment);
            let route_excess = problem.excess(vehicle, &segment);
            excess.load += route_excess.load;
            excess.time += route_excess.time;
        }
        let giant_tour = routes.iter().flatten().chain(&skipped).copied().collect();
        Self { routes, skipped, giant_tour, successor, predecessor, cost, excess }
    }

    pub fn is_feasible(&self) -> bool {
        self.excess == Excess::default()
    }

    pub fn penalised_cost(&self, penalties: Penalties) -> f64 {
        self.cost as f64 + penalties.load * self.excess.load as f64 + penalties.time * self.excess.time as f64
    }

    /// Share of clients whose neighbourhood (predecessor and successor, direction ignored)
    /// differs between the two solutions: the broken-pairs distance in [0, 1].
    pub fn broken_pairs_distance(&self, other: &Individual) -> f64 {
        let count = self.successor.len();
        if count == 0 {
            return 0.0;
        }
        let broken = (0..count)
            .filter(|&client| {
                let (next, previous) = (self.successor[client], self.predecessor[client]);
                let kept =
                    |neighbour: u32| neighbour == other.successor[client] || neighbour == other.predecessor[client];
                !kept(next) || !kept(previous)
            })
            .count();
        broken as f64 / count as f64
    }
}
