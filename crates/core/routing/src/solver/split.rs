//! Split: the optimal cut of a giant tour into routes (Prins 2004; linear version of Vidal 2016).

use std::collections::VecDeque;

use super::problem::{Penalties, Problem};

/// Cuts `tour` into routes, one per vehicle slot (most slots stay empty).
pub(crate) fn split(problem: &Problem, tour: &[u32], penalties: Penalties) -> Vec<Vec<u32>> {
    let mut routes = vec![Vec::new(); problem.vehicles.len()];
    if tour.is_empty() || routes.is_empty() {
        return routes;
    }
    let reference = (0..problem.vehicles.len()).max_by_key(|&slot| problem.vehicles[slot].capacity).unwrap_or(0);
    let single_type = problem.instance.vehicle_types.len() == 1;
    let only_capacity = single_type && !problem.has_time && problem.vehicles[0].max_distance >= i64::MAX / 4;
    let predecessors = if only_capacity {
        linear_split(problem, tour, penalties)
    } else {
        bellman_split(problem, tour, penalties, reference)
    };
    let mut cuts = Vec::new();
    let mut end = tour.len();
    while end > 0 {
        let start = predecessors[end];
        cuts.push(tour[start..end].to_vec());
        end = start;
    }
    cuts.reverse();
    assign_to_vehicles(problem, cuts, penalties, &mut routes);
    routes
}

/// O(n) Split for capacity-only problems with a linear load penalty: a deque of candidate
/// predecessors kept free of dominated ones.
fn linear_split(problem: &Problem, tour: &[u32], penalties: Penalties) -> Vec<usize> {
    let vehicle = &problem.vehicles[0];
    let count = tour.len();
    let location = |position: usize| problem.clients[tour[position - 1] as usize].segment.first;
    let per_distance = vehicle.cost_per_distance as f64;
    // 1-based prefix sums along the tour.
    let mut travelled = vec![0.0; count + 2];
    let mut load = vec![0i64; count + 1];
    for position in 1..=count {
        load[position] = load[position - 1] + problem.clients[tour[position - 1] as usize].segment.load;
        if position < count {
            travelled[position + 1] = travelled[position]
                + per_distance * problem.distance(location(position), location(position + 1)) as f64;
        }
    }
    travelled[count + 1] = travelled[count];
    let from_depot = |position: usize| per_distance * problem.distance(vehicle.start.first, location(position)) as f64;
    let to_depot = |position: usize| per_distance * problem.distance(location(position), vehicle.end.first) as f64;
    let mut potential = vec![f64::INFINITY; count + 1];
    let mut predecessor = vec![0usize; count + 1];
    potential[0] = 0.0;
    let fixed = vehicle.fixed_cost as f64;
    let propagate = |potential: &[f64], i: usize, j: usize| {
        potential[i] + fixed + from_depot(i + 1) + travelled[j] - travelled[i + 1]
            + to_depot(j)
            + penalties.load * (load[j] - load[i] - vehicle.capacity).max(0) as f64
    };
    // Whether predecessor `i` (left) is at least as good as `j` (right) for every later client.
    let left_dominates = |potential: &[f64], i: usize, j: usize| {
        potential[j] + from_depot(j + 1)
            > potential[i] + from_depot(i + 1) + travelled[j + 1] - travelled[i + 1]
                + penalties.load * (load[j] - load[i]) as f64
    };
    let right_dominates = |potential: &[f64], i: usize, j: usize| {
        potential[j] + from_depot(j + 1) < potential[i] + from_depot(i + 1) + travelled[j + 1] - travelled[i + 1] + 1e-9
    };
    let mut queue = VecDeque::from([0usize]);
    for position in 1..=count {
        let front = queue[0];
        potential[position] = propagate(&potential, front, position);
        predecessor[position] = front;
        if position == count {
            break;
        }
        if !left_dominates(&potential, *queue.back().unwrap_or(&0), position) {
            while queue.back().is_some_and(|&back| right_dominates(&potential, back, position)) {
                queue.pop_back();
            }
            queue.push_back(position);
        }
        while queue.len() > 1
            && propagate(&potential, queue[0], position + 1) > propagate(&potential, queue[1], position + 1) - 1e-9
        {
            queue.pop_front();
        }
    }
    predecessor
}

/// O(n·L) Split for the general case, with routes priced on the `reference` vehicle and
/// extension stopped once a route is hopelessly overloaded or late.
fn bellman_split(problem: &Problem, tour: &[u32], penalties: Penalties, reference: usize) -> Vec<usize> {
    let vehicle = &problem.vehicles[reference];
    let count = tour.len();
    let mut potential = vec![f64::INFINITY; count + 1];
    let mut predecessor = vec![0usize; count + 1];
    potential[0] = 0.0;
    for start in 0..count {
        if !potential[start].is_finite() {
            continue;
        }
        let mut open = vehicle.start;
        for end in start..count {
            open = problem.merge(&open, &problem.clients[tour[end] as usize].segment);
            let route = problem.merge(&open, &vehicle.end);
            let cost = problem.route_cost(reference, &route) as f64;
            let excess = problem.excess(reference, &route);
            let total =
                potential[start] + cost + penalties.load * excess.load as f64 + penalties.time * excess.time as f64;
            if total < potential[end + 1] {
                potential[end + 1] = total;
                predecessor[end + 1] = start;
            }
            let overloaded = 2 * open.load > 3 * vehicle.capacity;
            let too_late = penalties.time * excess.time as f64 > cost;
            if overloaded || too_late {
                break;
            }
        }
    }
    predecessor
}

/// Gives each cut route a vehicle slot: in order for a single vehicle type, otherwise the
/// heaviest routes first to the cheapest fitting type. Surplus routes join the last one
/// (infeasible; the local search repairs it).
fn assign_to_vehicles(problem: &Problem, cuts: Vec<Vec<u32>>, penalties: Penalties, routes: &mut [Vec<u32>]) {
    let slots = routes.len();
    if problem.instance.vehicle_types.len() <= 1 {
        for (index, cut) in cuts.into_iter().enumerate() {
            routes[index.min(slots - 1)].extend(cut);
        }
        return;
    }
    let mut cuts = cuts;
    cuts.sort_by_key(|cut| {
        std::cmp::Reverse(cut.iter().map(|&c| problem.clients[c as usize].segment.load).sum::<i64>())
    });
    let mut last_used = 0;
    for cut in cuts {
        let mut seen_types = Vec::new();
        let mut best: Option<(f64, usize)> = None;
        for slot in (0..slots).filter(|&slot| routes[slot].is_empty()) {
            let vehicle_type = problem.vehicles[slot].vehicle_type;
            if seen_types.contains(&vehicle_type) {
                continue;
            }
            seen_types.push(vehicle_type);
            let cost = problem.penalised_cost(slot, &problem.route_segment(slot, &cut), penalties);
            if best.is_none_or(|(best_cost, _)| cost < best_cost) {
                best = Some((cost, slot));
            }
        }
        let slot = best.map_or(last_used, |(_, slot)| slot);
        routes[slot].extend(cut);
        last_used = slot;
    }
}
