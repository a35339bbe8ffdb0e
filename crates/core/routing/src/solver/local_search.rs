//! Granular local search on the penalised cost (Vidal 2022): relocate, swap, 2-opt and 2-opt*
//! between each client and its correlated neighbours, SWAP* between routes whose polar sectors
//! overlap, and dropping or inserting optional clients. Moves are priced in O(1) (O(segment) for
//! intra-route moves under time windows) by concatenating cached route prefixes and suffixes.
//!
//! Two ways in: [`LocalSearch::run`] examines every client until no move helps (with SWAP*,
//! whose best insertions per route are cached until the route changes); [`LocalSearch::perturb`]
//! removes and reinserts a few neighbouring clients and then examines only a work list of the
//! clients next to each change. Between iterated-search steps the routes stay loaded: an accepted
//! candidate is kept as it is and a rejected one is undone route by route.

use std::collections::BTreeSet;

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};

use super::individual::Individual;
use super::problem::{Penalties, Problem, Segment};

/// Improvements smaller than this are rounding noise of the penalised cost.
const EPSILON: f64 = 1e-6;
/// Marks a skipped client in `route_of`.
const SKIPPED: u32 = u32::MAX;
/// Polar angles are stored on a circle of this many steps.
const CIRCLE: i32 = 65536;

/// An arc of the circle around the depot covering every client of a route.
#[derive(Debug, Clone, Copy, Default)]
struct Sector {
    start: i32,
    end: i32,
}

impl Sector {
    fn around(angle: i32) -> Self {
        Self { start: angle, end: angle }
    }

    fn contains(&self, angle: i32) -> bool {
        (angle - self.start).rem_euclid(CIRCLE) <= (self.end - self.start).rem_euclid(CIRCLE)
    }

    fn extend(&mut self, angle: i32) {
        if !self.contains(angle) {
            if (angle - self.end).rem_euclid(CIRCLE) <= (self.start - angle).rem_euclid(CIRCLE) {
                self.end = angle;
            } else {
                self.start = angle;
            }
        }
    }

    fn overlaps(&self, other: &Sector) -> bool {
        (other.start - self.start).rem_euclid(CIRCLE) <= (self.end - self.start).rem_euclid(CIRCLE)
            || (self.start - other.start).rem_euclid(CIRCLE) <= (other.end - other.start).rem_euclid(CIRCLE)
    }
}

/// A route with its cached segments. Position 0 is the start depot, `1..=len` the clients,
/// `len + 1` the end depot.
#[derive(Debug, Clone)]
struct Route {
    vehicle: usize,
    clients: Vec<u32>,
    /// `prefix[p]`: positions `0..=p`.
    prefix: Vec<Segment>,
    /// `suffix[p]`: positions `p..=len + 1`.
    suffix: Vec<Segment>,
    /// `reverse_distance[p]`: distance of walking positions `p, p-1, ..., 1` backwards.
    reverse_distance: Vec<i64>,
    /// Location of every position, depots included.
    nodes: Vec<u32>,
    /// Penalised cost, 0 when empty.
    cost: f64,
    modified_at: u64,
    swap_star_tested_at: u64,
    sector: Sector,
}

impl Route {
    fn len(&self) -> usize {
        self.clients.len()
    }
}

/// Positions `from..=to` of `route` (depots included when at the ends), or one loose client.
#[derive(Debug, Clone, Copy)]
enum Span {
    Positions { route: usize, from: usize, to: usize, reversed: bool },
    Client(u32),
}

fn positions(route: usize, from: usize, to: usize) -> Span {
    Span::Positions { route, from, to, reversed: false }
}

/// A route's new content: its index and the spans it will consist of (a move changes at most two routes).
type Change<'s> = (usize, &'s [Span]);

pub(crate) struct LocalSearch<'p, 'a> {
    problem: &'p Problem<'a>,
    penalties: Penalties,
    routes: Vec<Route>,
    route_of: Vec<u32>,
    position_of: Vec<u32>,
    neighbours: Vec<Vec<u32>>,
    order: Vec<u32>,
    moves: u64,
    tested_at: Vec<u64>,
    /// Empty routes per vehicle type: the candidates for opening a new route.
    empty_routes: Vec<BTreeSet<usize>>,
    /// Polar angle of each client around each route's start depot, when coordinates exist.
    angles: Option<Vec<Vec<i32>>>,
    /// SWAP* cache per route (allocated on first use): each client's three cheapest insertions
    /// into that route, valid while the route's `modified_at` equals the entry's `version`.
    insertions: Vec<Vec<CachedInsertion>>,
    /// Scratch flags of the iterated local search (all false between calls).
    marked: Vec<bool>,
    /// Routes changed since the last load, so that a rejected candidate is undone cheaply.
    dirty: Vec<usize>,
    dirty_flag: Vec<bool>,
}

/// What the local search holds when [`LocalSearch::perturb`] is asked to start from a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Unknown: load the solution in full.
    Fresh,
    /// Exactly that solution (its last output was accepted as it is).
    Same,
    /// That solution changed by the last call only (its last output was rejected).
    Undo,
}

/// The three cheapest places (insert-after positions) of one client in one route.
#[derive(Debug, Clone, Copy)]
struct CachedInsertion {
    version: u64,
    cost: [f64; 3],
    after: [u32; 3],
}

impl CachedInsertion {
    const STALE: Self = Self { version: u64::MAX, cost: [f64::INFINITY; 3], after: [u32::MAX; 3] };
}

impl<'p, 'a> LocalSearch<'p, 'a> {
    pub fn new(problem: &'p Problem<'a>) -> Self {
        let client_count = problem.clients.len();
        let angles = problem.instance.coordinates.as_ref().map(|points| {
            let depot_angles = |depot: usize| {
                let origin = points[depot];
                problem
                    .clients
                    .iter()
                    .map(|client| {
                        let point = points[client.segment.first as usize];
                        let angle = (point.y - origin.y).atan2(point.x - origin.x);
                        ((angle / std::f64::consts::PI * (CIRCLE / 2) as f64) as i32).rem_euclid(CIRCLE)
                    })
                    .collect::<Vec<_>>()
            };
            let mut by_location = std::collections::HashMap::new();
            problem
                .vehicles
                .iter()
                .map(|vehicle| {
                    by_location
                        .entry(vehicle.start.first)
                        .or_insert_with(|| depot_angles(vehicle.start.first as usize))
                        .clone()
                })
                .collect()
        });
        Self {
            problem,
            penalties: problem.initial_penalties(),
            routes: Vec::new(),
            route_of: vec![SKIPPED; client_count],
            position_of: vec![0; client_count],
            neighbours: problem.neighbours.clone(),
            order: (0..client_count as u32).collect(),
            moves: 0,
            tested_at: vec![0; client_count],
            empty_routes: vec![BTreeSet::new(); problem.instance.vehicle_types.len()],
            angles,
            insertions: Vec::new(),
            marked: Vec::new(),
            dirty: Vec::new(),
            dirty_flag: Vec::new(),
        }
    }

    /// Improves `individual` until no move of the neighbourhood helps (or `stop` says so).
    pub fn run(
        &mut self,
        individual: &Individual,
        penalties: Penalties,
        rng: &mut impl Rng,
        stop: &dyn Fn() -> bool,
    ) -> Individual {
        self.load(individual, penalties);
        self.order.shuffle(rng);
        for list in &mut self.neighbours {
            list.shuffle(rng);
        }
        let mut pass = 0;
        let mut improved = true;
        while improved {
            improved = false;
            for index in 0..self.order.len() {
                if index % 128 == 0 && stop() {
                    return self.export();
                }
                let u = self.order[index];
                let last_tested = self.tested_at[u as usize];
                self.tested_at[u as usize] = self.moves;
                if self.route_of[u as usize] == SKIPPED {
                    improved |= self.insert_skipped(u);
                    continue;
                }
                if self.problem.clients[u as usize].skip_penalty.is_some() && self.skip(u) {
                    improved = true;
                    continue;
                }
                for neighbour in 0..self.neighbours[u as usize].len() {
                    let v = self.neighbours[u as usize][neighbour];
                    if self.route_of[v as usize] == SKIPPED || self.route_of[u as usize] == SKIPPED {
                        continue;
                    }
                    let (ru, rv) = (self.route_of[u as usize] as usize, self.route_of[v as usize] as usize);
                    let changed_since = self.routes[ru].modified_at.max(self.routes[rv].modified_at);
                    if (pass == 0 || changed_since > last_tested) && self.improve_pair(u, v) {
                        improved = true;
                    }
                }
                if pass > 0 && self.route_of[u as usize] != SKIPPED && self.open_new_route(u) {
                    improved = true;
                }
            }
            if self.angles.is_some() {
                improved |= self.swap_star_pass(pass);
            }
            pass += 1;
        }
        self.export()
    }

    /// One step of the iterated local search (the perturbation of PyVRP 0.14, in spirit):
    /// removes `count` clients around a random one (that client, then its correlated
    /// neighbours, breadth first), reinserts each at its cheapest place, and improves only
    /// around the clients the changes touched.
    pub fn perturb(
        &mut self,
        individual: &Individual,
        penalties: Penalties,
        count: usize,
        rng: &mut impl Rng,
        stop: &dyn Fn() -> bool,
        start: Start,
    ) -> Individual {
        match start {
            Start::Fresh => self.load(individual, penalties),
            Start::Same | Start::Undo => self.reload(individual, penalties, start == Start::Undo),
        }
        let client_count = self.route_of.len();
        if client_count == 0 {
            return self.export();
        }
        let count = count.clamp(1, client_count);
        let mut removed: Vec<u32> = Vec::with_capacity(count);
        self.marked.resize(client_count, false);
        let seed = rng.random_range(0..client_count as u32);
        removed.push(seed);
        self.marked[seed as usize] = true;
        let mut next = 0;
        while removed.len() < count && next < removed.len() {
            let from = removed[next] as usize;
            next += 1;
            for &neighbour in &self.neighbours[from] {
                if removed.len() >= count {
                    break;
                }
                if !self.marked[neighbour as usize] {
                    self.marked[neighbour as usize] = true;
                    removed.push(neighbour);
                }
            }
        }
        // Ruin: every touched route loses its removed clients at once.
        let mut touched: Vec<usize> = removed
            .iter()
            .map(|&client| self.route_of[client as usize])
            .filter(|&route| route != SKIPPED)
            .map(|route| route as usize)
            .collect();
        touched.sort_unstable();
        touched.dedup();
        let contents = touched
            .iter()
            .map(|&route| {
                let kept = self.routes[route].clients.iter().copied().filter(|&c| !self.marked[c as usize]).collect();
                (route, kept)
            })
            .collect();
        for &client in &removed {
            self.marked[client as usize] = false;
        }
        self.commit(contents);
        // Recreate, in random order.
        removed.shuffle(rng);
        for &client in &removed {
            if !self.insert_skipped(client) && self.problem.clients[client as usize].skip_penalty.is_none() {
                self.insert_anywhere(client);
            }
        }
        let mut focus = Vec::with_capacity(3 * removed.len());
        for &client in &removed {
            focus.push(client);
            if self.route_of[client as usize] != SKIPPED {
                let (route, position) = self.place(client);
                for around in [position - 1, position + 1] {
                    if (1..=self.routes[route].len()).contains(&around) {
                        focus.push(self.routes[route].clients[around - 1]);
                    }
                }
            }
        }
        self.improve_around(focus, stop);
        self.export()
    }

    /// Local search restricted to a work list: a client is examined when a move changed its
    /// surroundings, starting from `focus`.
    fn improve_around(&mut self, focus: Vec<u32>, stop: &dyn Fn() -> bool) {
        let client_count = self.route_of.len();
        self.marked.resize(client_count, false);
        let mut queue = std::collections::VecDeque::with_capacity(focus.len() * 2);
        for client in focus {
            if !self.marked[client as usize] {
                self.marked[client as usize] = true;
                queue.push_back(client);
            }
        }
        let mut examined = 0usize;
        while let Some(u) = queue.pop_front() {
            self.marked[u as usize] = false;
            examined += 1;
            if examined.is_multiple_of(128) && stop() {
                for client in queue.drain(..) {
                    self.marked[client as usize] = false;
                }
                return;
            }
            let mut changed: Option<[u32; 2]> = None;
            if self.route_of[u as usize] == SKIPPED {
                if self.insert_skipped(u) {
                    changed = Some([u, u]);
                }
            } else if self.problem.clients[u as usize].skip_penalty.is_some() && self.skip(u) {
                changed = Some([u, u]);
            } else {
                for neighbour in 0..self.neighbours[u as usize].len() {
                    let v = self.neighbours[u as usize][neighbour];
                    if self.route_of[v as usize] == SKIPPED || self.route_of[u as usize] == SKIPPED {
                        continue;
                    }
                    let before = self.surroundings(u, v);
                    if self.improve_pair(u, v) {
                        for client in before {
                            self.enqueue(&mut queue, client);
                        }
                        changed = Some([u, v]);
                        break;
                    }
                }
                if changed.is_none() && self.route_of[u as usize] != SKIPPED {
                    let before = self.surroundings(u, u);
                    if self.open_new_route(u) {
                        for client in before {
                            self.enqueue(&mut queue, client);
                        }
                        changed = Some([u, u]);
                    }
                }
            }
            if let Some(pair) = changed {
                for client in pair {
                    for around in self.surroundings(client, client) {
                        self.enqueue(&mut queue, around);
                    }
                }
            }
        }
    }

    fn enqueue(&mut self, queue: &mut std::collections::VecDeque<u32>, client: u32) {
        if client != SKIPPED && !self.marked[client as usize] {
            self.marked[client as usize] = true;
            queue.push_back(client);
        }
    }

    /// u, v and the clients right before and after each (SKIPPED where there is none).
    fn surroundings(&self, u: u32, v: u32) -> [u32; 6] {
        let mut out = [SKIPPED; 6];
        for (slot, client) in [u, v].into_iter().enumerate() {
            out[3 * slot] = client;
            if self.route_of[client as usize] == SKIPPED {
                continue;
            }
            let (route, position) = self.place(client);
            let clients = &self.routes[route].clients;
            if position >= 2 {
                out[3 * slot + 1] = clients[position - 2];
            }
            if position < clients.len() {
                out[3 * slot + 2] = clients[position];
            }
        }
        out
    }

    /// Inserts client u at its cheapest place over every route (and one empty vehicle per type).
    fn insert_anywhere(&mut self, u: u32) {
        let mut best: Option<(f64, usize, usize)> = None;
        let candidates: Vec<(usize, usize)> = (0..self.routes.len())
            .filter(|&route| !self.routes[route].clients.is_empty())
            .flat_map(|route| (0..=self.routes[route].len()).map(move |after| (route, after)))
            .chain(self.empty_routes.iter().filter_map(|set| set.first().map(|&route| (route, 0))))
            .collect();
        for (route, after) in candidates {
            let len = self.routes[route].len();
            let spans = [positions(route, 0, after), Span::Client(u), positions(route, after + 1, len + 1)];
            let delta = self.delta_exact(&[(route, &spans)]);
            if best.is_none_or(|(best_delta, _, _)| delta < best_delta) {
                best = Some((delta, route, after));
            }
        }
        let Some((_, route, after)) = best else { return };
        let mut clients = self.routes[route].clients.clone();
        clients.insert(after, u);
        self.commit(vec![(route, clients)]);
    }

    /// Exact change of penalised cost (no early cut-off), for choosing among forced insertions.
    fn delta_exact(&self, changes: &[Change]) -> f64 {
        let problem = self.problem;
        let mut new = 0.0;
        for &(route, spans) in changes {
            new -= self.routes[route].cost;
            let segment = spans[1..].iter().fold(self.span_segment(route, spans[0]), |acc, &span| {
                problem.merge(&acc, &self.span_segment(route, span))
            });
            new += problem.penalised_cost(self.routes[route].vehicle, &segment, self.penalties);
        }
        new
    }

    /// Brings the state back to `individual` when it differs at most in the routes changed since
    /// the last load (`undo`), and re-prices the routes when the penalty weights changed.
    fn reload(&mut self, individual: &Individual, penalties: Penalties, undo: bool) {
        if self.routes.len() != individual.routes.len() {
            return self.load(individual, penalties);
        }
        self.moves += 1;
        let dirty = std::mem::take(&mut self.dirty);
        for &route in &dirty {
            self.dirty_flag[route] = false;
        }
        if undo {
            // Two phases, as in `commit`: a client may move back into a route restored earlier.
            for &route in &dirty {
                for &client in &self.routes[route].clients {
                    self.route_of[client as usize] = SKIPPED;
                }
            }
            for &route in &dirty {
                self.routes[route].clients.clone_from(&individual.routes[route]);
                self.rebuild(route);
            }
        }
        self.dirty = dirty;
        self.dirty.clear();
        let repriced = self.penalties.load != penalties.load || self.penalties.time != penalties.time;
        self.penalties = penalties;
        if repriced {
            for route in &mut self.routes {
                let len = route.clients.len();
                if len > 0 {
                    route.cost = self.problem.penalised_cost(route.vehicle, &route.prefix[len + 1], penalties);
                }
            }
        }
        debug_assert!(self.routes.iter().zip(&individual.routes).all(|(route, clients)| route.clients == *clients));
        debug_assert!(self.routes.iter().enumerate().all(|(index, route)| {
            route.clients.iter().all(|&client| self.route_of[client as usize] as usize == index)
        }));
    }

    fn load(&mut self, individual: &Individual, penalties: Penalties) {
        self.dirty_flag.resize(individual.routes.len(), false);
        for route in std::mem::take(&mut self.dirty) {
            self.dirty_flag[route] = false;
        }
        self.penalties = penalties;
        self.route_of.fill(SKIPPED);
        self.tested_at.fill(0);
        // `moves` only grows, so route versions (`modified_at`) never repeat across runs and the
        // SWAP* cache stays sound.
        self.moves += 1;
        // Route structures are kept between runs; a route whose clients did not change keeps its
        // cached data (and SWAP* insertions) and only gets re-priced.
        if self.routes.len() != individual.routes.len() {
            self.routes = (0..individual.routes.len())
                .map(|vehicle| Route {
                    vehicle,
                    clients: Vec::new(),
                    prefix: Vec::new(),
                    suffix: Vec::new(),
                    reverse_distance: Vec::new(),
                    nodes: Vec::new(),
                    cost: 0.0,
                    modified_at: 0,
                    swap_star_tested_at: 0,
                    sector: Sector::default(),
                })
                .collect();
            for set in &mut self.empty_routes {
                set.clear();
            }
            for route in 0..self.routes.len() {
                self.rebuild(route);
            }
        }
        for (index, clients) in individual.routes.iter().enumerate() {
            let route = &mut self.routes[index];
            route.swap_star_tested_at = 0;
            if route.clients != *clients {
                route.clients.clone_from(clients);
                self.rebuild(index);
                continue;
            }
            let len = route.clients.len();
            route.cost = if len == 0 {
                0.0
            } else {
                self.problem.penalised_cost(route.vehicle, &route.prefix[len + 1], penalties)
            };
            for (position, &client) in route.clients.iter().enumerate() {
                self.route_of[client as usize] = index as u32;
                self.position_of[client as usize] = position as u32 + 1;
            }
        }
    }

    fn export(&self) -> Individual {
        let routes = self.routes.iter().map(|route| route.clients.clone()).collect();
        let skipped = (0..self.route_of.len() as u32).filter(|&c| self.route_of[c as usize] == SKIPPED).collect();
        Individual::new(self.problem, routes, skipped)
    }

    /// Recomputes the cached data of `route` after its clients changed.
    fn rebuild(&mut self, index: usize) {
        let problem = self.problem;
        let route = &mut self.routes[index];
        let vehicle = &problem.vehicles[route.vehicle];
        let len = route.clients.len();
        route.prefix.clear();
        route.prefix.push(vehicle.start);
        for &client in &route.clients {
            let last = route.prefix[route.prefix.len() - 1];
            route.prefix.push(problem.merge(&last, &problem.clients[client as usize].segment));
        }
        route.prefix.push(problem.merge(&route.prefix[len], &vehicle.end));
        route.suffix.clear();
        route.suffix.resize(len + 2, vehicle.end);
        for position in (0..=len).rev() {
            let own = if position == 0 {
                vehicle.start
            } else {
                problem.clients[route.clients[position - 1] as usize].segment
            };
            route.suffix[position] = problem.merge(&own, &route.suffix[position + 1]);
        }
        route.nodes.clear();
        route.nodes.push(vehicle.start.first);
        route.nodes.extend(route.clients.iter().map(|&client| problem.clients[client as usize].segment.first));
        route.nodes.push(vehicle.end.first);
        route.reverse_distance.clear();
        route.reverse_distance.push(0);
        route.reverse_distance.push(0);
        for position in 2..=len {
            let walked = route.reverse_distance[position - 1];
            let step = problem.distance(
                problem.clients[route.clients[position - 1] as usize].segment.first,
                problem.clients[route.clients[position - 2] as usize].segment.first,
            );
            route.reverse_distance.push(walked + step);
        }
        route.cost =
            if len == 0 { 0.0 } else { problem.penalised_cost(route.vehicle, &route.prefix[len + 1], self.penalties) };
        route.modified_at = self.moves;
        for (position, &client) in route.clients.iter().enumerate() {
            self.route_of[client as usize] = index as u32;
            self.position_of[client as usize] = position as u32 + 1;
        }
        if let Some(angles) = &self.angles {
            let angles = &angles[route.vehicle];
            let mut clients = route.clients.iter();
            if let Some(&first) = clients.next() {
                let mut sector = Sector::around(angles[first as usize]);
                for &client in clients {
                    sector.extend(angles[client as usize]);
                }
                route.sector = sector;
            }
        }
        let vehicle_type = vehicle.vehicle_type;
        if len == 0 {
            self.empty_routes[vehicle_type].insert(index);
        } else {
            self.empty_routes[vehicle_type].remove(&index);
        }
    }

    #[inline]
    fn location(&self, route: usize, position: usize) -> u32 {
        self.routes[route].nodes[position]
    }

    /// Whether two routes end at interchangeable depots, so cached suffixes can move between them.
    fn same_end(&self, a: usize, b: usize) -> bool {
        let (a, b) =
            (&self.problem.vehicles[self.routes[a].vehicle].end, &self.problem.vehicles[self.routes[b].vehicle].end);
        a.first == b.first && a.earliest == b.earliest && a.latest == b.latest
    }

    /// Clients `from..=to` (1-based positions) of `route`, possibly walked backwards.
    fn inner(&self, route: usize, from: usize, to: usize, reversed: bool) -> Segment {
        let problem = self.problem;
        let data = &self.routes[route];
        let client = |position: usize| &problem.clients[data.clients[position - 1] as usize].segment;
        if from == to {
            return *client(from);
        }
        if problem.has_time {
            return if reversed {
                (from..to).rev().fold(*client(to), |acc, position| problem.merge(&acc, client(position)))
            } else {
                (from + 1..=to).fold(*client(from), |acc, position| problem.merge(&acc, client(position)))
            };
        }
        let (first, last) = (client(from).first, client(to).first);
        let (first, last, distance) = if reversed {
            (last, first, data.reverse_distance[to] - data.reverse_distance[from])
        } else {
            (first, last, data.prefix[to].distance - data.prefix[from].distance)
        };
        Segment {
            first,
            last,
            distance,
            load: data.prefix[to].load - data.prefix[from - 1].load,
            duration: 0,
            time_warp: 0,
            earliest: 0,
            latest: 0,
        }
    }

    /// The segment a span contributes to route `target`.
    fn span_segment(&self, target: usize, span: Span) -> Segment {
        let Span::Positions { route, from, to, reversed } = span else {
            let Span::Client(client) = span else { unreachable!() };
            return self.problem.clients[client as usize].segment;
        };
        let data = &self.routes[route];
        if from == 0 {
            return data.prefix[to];
        }
        if to == data.len() + 1 {
            if route == target || self.same_end(route, target) {
                return data.suffix[from];
            }
            let end = &self.problem.vehicles[self.routes[target].vehicle].end;
            return if from > data.len() {
                *end
            } else {
                self.problem.merge(&self.inner(route, from, data.len(), false), end)
            };
        }
        self.inner(route, from, to, reversed)
    }

    /// Cheap totals of a span placed in route `target`: end locations, distance, load, clients.
    fn span_summary(&self, target: usize, span: Span) -> Summary {
        let Span::Positions { route, from, to, reversed } = span else {
            let Span::Client(client) = span else { unreachable!() };
            let segment = &self.problem.clients[client as usize].segment;
            return Summary { first: segment.first, last: segment.first, distance: 0, load: segment.load, clients: 1 };
        };
        let data = &self.routes[route];
        let len = data.len();
        if from == 0 {
            let prefix = &data.prefix[to];
            return Summary {
                first: prefix.first,
                last: prefix.last,
                distance: prefix.distance,
                load: prefix.load,
                clients: to.min(len),
            };
        }
        let clients = to.min(len) + 1 - from.min(len + 1);
        if to == len + 1 && (route == target || self.same_end(route, target)) {
            let suffix = &data.suffix[from];
            return Summary {
                first: suffix.first,
                last: suffix.last,
                distance: suffix.distance,
                load: suffix.load,
                clients,
            };
        }
        let end = (to == len + 1).then(|| self.problem.vehicles[self.routes[target].vehicle].end.first);
        if clients == 0 {
            let end = end.unwrap_or_default();
            return Summary { first: end, last: end, distance: 0, load: 0, clients: 0 };
        }
        let last_client = to.min(len);
        let (first, last) = (self.location(route, from), self.location(route, last_client));
        let load = data.prefix[last_client].load - data.prefix[from - 1].load;
        let (first, last, distance) = if reversed {
            (last, first, data.reverse_distance[last_client] - data.reverse_distance[from])
        } else {
            (first, last, data.prefix[last_client].distance - data.prefix[from].distance)
        };
        match end {
            Some(end) => {
                Summary { first, last: end, distance: distance + self.problem.distance(last, end), load, clients }
            }
            None => Summary { first, last, distance, load, clients },
        }
    }

    /// Change of penalised cost if every route in `changes` took its new spans (plus `extra`).
    /// Distances and loads are exact in one cheap pass; with time windows that pass is a lower
    /// bound and the time-warp part is only computed when the bound shows a gain.
    fn delta(&self, changes: &[Change], extra: f64) -> f64 {
        let problem = self.problem;
        let mut change = extra;
        let mut nonempty = [false; 2];
        for (slot, &(route, spans)) in changes.iter().enumerate() {
            change -= self.routes[route].cost;
            let (mut distance, mut load, mut clients) = (0, 0, 0);
            let mut previous: Option<u32> = None;
            for &span in spans {
                let summary = self.span_summary(route, span);
                distance += summary.distance + previous.map_or(0, |previous| problem.distance(previous, summary.first));
                load += summary.load;
                clients += summary.clients;
                previous = Some(summary.last);
            }
            if clients == 0 {
                continue;
            }
            nonempty[slot] = true;
            let vehicle = &problem.vehicles[self.routes[route].vehicle];
            change += (vehicle.fixed_cost + vehicle.cost_per_distance * distance) as f64
                + self.penalties.load * (load - vehicle.capacity).max(0) as f64
                + self.penalties.time * (distance - vehicle.max_distance).max(0) as f64;
        }
        if !problem.has_time {
            return change;
        }
        if change > -EPSILON {
            return f64::INFINITY;
        }
        let mut new = extra;
        for (slot, &(route, spans)) in changes.iter().enumerate() {
            new -= self.routes[route].cost;
            if nonempty[slot] {
                let segment = spans[1..].iter().fold(self.span_segment(route, spans[0]), |acc, &span| {
                    problem.merge(&acc, &self.span_segment(route, span))
                });
                new += problem.penalised_cost(self.routes[route].vehicle, &segment, self.penalties);
            }
        }
        new
    }

    fn span_nodes(&self, span: Span, out: &mut Vec<u32>) {
        match span {
            Span::Client(client) => out.push(client),
            Span::Positions { route, from, to, reversed } => {
                let clients = &self.routes[route].clients;
                let (low, high) = (from.max(1), to.min(clients.len()));
                if low <= high {
                    let slice = &clients[low - 1..high];
                    if reversed {
                        out.extend(slice.iter().rev());
                    } else {
                        out.extend_from_slice(slice);
                    }
                }
            }
        }
    }

    /// Applies `changes` if they lower the penalised cost by more than `-extra`.
    fn try_apply(&mut self, changes: &[Change], extra: f64) -> bool {
        if self.delta(changes, extra) > -EPSILON {
            return false;
        }
        let contents = changes
            .iter()
            .map(|&(route, spans)| {
                let mut clients = Vec::new();
                for &span in spans {
                    self.span_nodes(span, &mut clients);
                }
                (route, clients)
            })
            .collect::<Vec<_>>();
        self.commit(contents);
        true
    }

    fn commit(&mut self, contents: Vec<(usize, Vec<u32>)>) {
        self.moves += 1;
        for (route, clients) in &contents {
            if !self.dirty_flag[*route] {
                self.dirty_flag[*route] = true;
                self.dirty.push(*route);
            }
            for &client in &self.routes[*route].clients {
                self.route_of[client as usize] = SKIPPED;
            }
            self.routes[*route].clients.clone_from(clients);
        }
        for (route, _) in contents {
            self.rebuild(route);
        }
    }

    fn place(&self, client: u32) -> (usize, usize) {
        (self.route_of[client as usize] as usize, self.position_of[client as usize] as usize)
    }

    /// Tries the neighbourhood of the pair (u, v) and applies the first improving move.
    fn improve_pair(&mut self, u: u32, v: u32) -> bool {
        let (ru, pu) = self.place(u);
        let (rv, pv) = self.place(v);
        let u_has_next = pu < self.routes[ru].len();
        let v_has_next = pv < self.routes[rv].len();
        if self.relocate(u, 1, false, rv, pv)
            || (u_has_next && (self.relocate(u, 2, false, rv, pv) || self.relocate(u, 2, true, rv, pv)))
            || self.swap(u, 1, v, 1)
            || (u_has_next && self.swap(u, 2, v, 1))
            || (u_has_next && v_has_next && self.swap(u, 2, v, 2))
            || (ru == rv && self.two_opt(u, v))
            || (ru != rv && self.two_opt_star(u, rv, pv))
        {
            return true;
        }
        // v opens its route: also try placing u right after the depot.
        pv == 1
            && (self.relocate(u, 1, false, rv, 0)
                || (u_has_next && (self.relocate(u, 2, false, rv, 0) || self.relocate(u, 2, true, rv, 0)))
                || (ru != rv && self.two_opt_star(u, rv, 0)))
    }

    /// Moves the `len` clients starting at u (reversed or not) after position `pv` of route `rv`.
    fn relocate(&mut self, u: u32, len: usize, reversed: bool, rv: usize, pv: usize) -> bool {
        let (ru, pu) = self.place(u);
        let (len_u, len_v) = (self.routes[ru].len(), self.routes[rv].len());
        if pu + len - 1 > len_u {
            return false;
        }
        let block = Span::Positions { route: ru, from: pu, to: pu + len - 1, reversed };
        if ru != rv {
            let from = [positions(ru, 0, pu - 1), positions(ru, pu + len, len_u + 1)];
            let to = [positions(rv, 0, pv), block, positions(rv, pv + 1, len_v + 1)];
            return self.try_apply(&[(ru, &from), (rv, &to)], 0.0);
        }
        if pv + 1 >= pu && pv < pu + len {
            return false;
        }
        let spans = if pv < pu {
            [positions(ru, 0, pv), block, positions(ru, pv + 1, pu - 1), positions(ru, pu + len, len_u + 1)]
        } else {
            [positions(ru, 0, pu - 1), positions(ru, pu + len, pv), block, positions(ru, pv + 1, len_u + 1)]
        };
        self.try_apply(&[(ru, &spans)], 0.0)
    }

    /// Exchanges the `len_u` clients starting at u with the `len_v` clients starting at v.
    fn swap(&mut self, u: u32, len_u: usize, v: u32, len_v: usize) -> bool {
        let (ru, pu) = self.place(u);
        let (rv, pv) = self.place(v);
        let (size_u, size_v) = (self.routes[ru].len(), self.routes[rv].len());
        if pu + len_u - 1 > size_u || pv + len_v - 1 > size_v {
            return false;
        }
        let block_u = positions(ru, pu, pu + len_u - 1);
        let block_v = positions(rv, pv, pv + len_v - 1);
        if ru != rv {
            let new_u = [positions(ru, 0, pu - 1), block_v, positions(ru, pu + len_u, size_u + 1)];
            let new_v = [positions(rv, 0, pv - 1), block_u, positions(rv, pv + len_v, size_v + 1)];
            return self.try_apply(&[(ru, &new_u), (rv, &new_v)], 0.0);
        }
        let ((p1, l1, b1), (p2, l2, b2)) = if pu < pv {
            ((pu, len_u, block_u), (pv, len_v, block_v))
        } else {
            ((pv, len_v, block_v), (pu, len_u, block_u))
        };
        if p1 + l1 > p2 {
            return false;
        }
        let head = positions(ru, 0, p1 - 1);
        let tail = positions(ru, p2 + l2, size_u + 1);
        if p1 + l1 == p2 {
            self.try_apply(&[(ru, &[head, b2, b1, tail])], 0.0)
        } else {
            self.try_apply(&[(ru, &[head, b2, positions(ru, p1 + l1, p2 - 1), b1, tail])], 0.0)
        }
    }

    /// Reverses the clients strictly after u up to v (same route, u before v).
    fn two_opt(&mut self, u: u32, v: u32) -> bool {
        let (route, pu) = self.place(u);
        let (_, pv) = self.place(v);
        if pv < pu + 2 {
            return false;
        }
        let len = self.routes[route].len();
        let middle = Span::Positions { route, from: pu + 1, to: pv, reversed: true };
        self.try_apply(&[(route, &[positions(route, 0, pu), middle, positions(route, pv + 1, len + 1)])], 0.0)
    }

    /// Exchanges the tails after u and after position `pv` of route `rv`.
    fn two_opt_star(&mut self, u: u32, rv: usize, pv: usize) -> bool {
        let (ru, pu) = self.place(u);
        let (len_u, len_v) = (self.routes[ru].len(), self.routes[rv].len());
        let new_u = [positions(ru, 0, pu), positions(rv, pv + 1, len_v + 1)];
        let new_v = [positions(rv, 0, pv), positions(ru, pu + 1, len_u + 1)];
        self.try_apply(&[(ru, &new_u), (rv, &new_v)], 0.0)
    }

    /// Moves u, or its tail, into an empty vehicle of each type.
    fn open_new_route(&mut self, u: u32) -> bool {
        for vehicle_type in 0..self.empty_routes.len() {
            let Some(&empty) = self.empty_routes[vehicle_type].first() else { continue };
            if self.relocate(u, 1, false, empty, 0) || self.two_opt_star(u, empty, 0) {
                return true;
            }
        }
        false
    }

    /// Drops optional client u when its skip penalty is cheaper than serving it.
    fn skip(&mut self, u: u32) -> bool {
        let (route, position) = self.place(u);
        let penalty = self.problem.clients[u as usize].skip_penalty.unwrap_or(i64::MAX / 4) as f64;
        let len = self.routes[route].len();
        let rest = [positions(route, 0, position - 1), positions(route, position + 1, len + 1)];
        if self.delta(&[(route, &rest)], penalty) > -EPSILON {
            return false;
        }
        let mut clients = self.routes[route].clients.clone();
        clients.remove(position - 1);
        self.commit(vec![(route, clients)]);
        self.route_of[u as usize] = SKIPPED;
        true
    }

    /// Inserts skipped client u at its best place next to a neighbour (or in an empty
    /// vehicle): an optional client only when that costs less than its skip penalty.
    fn insert_skipped(&mut self, u: u32) -> bool {
        let penalty = self.problem.clients[u as usize].skip_penalty.map(|penalty| penalty as f64);
        let mut candidates: Vec<(usize, usize)> = self.neighbours[u as usize]
            .iter()
            .filter(|&&v| self.route_of[v as usize] != SKIPPED)
            .flat_map(|&v| {
                let (route, position) = self.place(v);
                [(route, position - 1), (route, position)]
            })
            .collect();
        candidates.extend(self.empty_routes.iter().filter_map(|set| set.first().map(|&route| (route, 0))));
        let mut best: Option<(f64, usize, usize)> = None;
        for (route, after) in candidates {
            let len = self.routes[route].len();
            let spans = [positions(route, 0, after), Span::Client(u), positions(route, after + 1, len + 1)];
            let delta = self.delta_exact(&[(route, &spans)]);
            if penalty.is_none_or(|penalty| delta - penalty < -EPSILON)
                && best.is_none_or(|(best_delta, _, _)| delta < best_delta)
            {
                best = Some((delta, route, after));
            }
        }
        let Some((_, route, after)) = best else { return false };
        let mut clients = self.routes[route].clients.clone();
        clients.insert(after, u);
        self.commit(vec![(route, clients)]);
        true
    }

    fn swap_star_pass(&mut self, pass: usize) -> bool {
        let mut improved = false;
        let used: Vec<usize> = (0..self.routes.len()).filter(|&route| !self.routes[route].clients.is_empty()).collect();
        for (index, &first) in used.iter().enumerate() {
            let last_tested = self.routes[first].swap_star_tested_at;
            self.routes[first].swap_star_tested_at = self.moves;
            for &second in &used[index + 1..] {
                let (a, b) = (&self.routes[first], &self.routes[second]);
                if a.clients.is_empty() || b.clients.is_empty() || !a.sector.overlaps(&b.sector) {
                    continue;
                }
                if (pass == 0 || a.modified_at.max(b.modified_at) > last_tested) && self.swap_star(first, second) {
                    improved = true;
                }
            }
        }
        improved
    }

    /// SWAP* (Vidal 2022): exchange one client of each route, each reinserted at its best place
    /// in the other route rather than in the other's old position.
    fn swap_star(&mut self, first: usize, second: usize) -> bool {
        let first_options = self.insertion_options(first, second);
        let second_options = self.insertion_options(second, first);
        let problem = self.problem;
        let load_penalty = |route: usize, load: i64| {
            let capacity = problem.vehicles[self.routes[route].vehicle].capacity;
            self.penalties.load * (load - capacity).max(0) as f64
        };
        let (load_a, load_b) = (
            self.routes[first].prefix.last().map_or(0, |s| s.load),
            self.routes[second].prefix.last().map_or(0, |s| s.load),
        );
        let mut best: Option<(f64, usize, usize, usize, usize)> = None;
        for (index_u, option_u) in first_options.iter().enumerate() {
            for (index_v, option_v) in second_options.iter().enumerate() {
                let (demand_u, demand_v) = (option_u.demand, option_v.demand);
                let penalty_change = load_penalty(first, load_a - demand_u + demand_v) - load_penalty(first, load_a)
                    + load_penalty(second, load_b + demand_u - demand_v)
                    - load_penalty(second, load_b);
                let base = option_u.removal + option_v.removal + penalty_change;
                if base >= 0.0 {
                    continue;
                }
                let (cost_u, after_u) = self.best_insertion_without(second, option_u, index_v + 1);
                let (cost_v, after_v) = self.best_insertion_without(first, option_v, index_u + 1);
                let total = base + cost_u + cost_v;
                if total < -EPSILON && best.is_none_or(|(value, ..)| total < value) {
                    best = Some((total, index_u + 1, after_v, index_v + 1, after_u));
                }
            }
        }
        let Some((_, position_u, after_v, position_v, after_u)) = best else { return false };
        let rebuilt = |route: usize, removed: usize, inserted: u32, after: usize| {
            let old = &self.routes[route].clients;
            let mut clients = Vec::with_capacity(old.len());
            for position in 0..=old.len() {
                if position >= 1 && position != removed {
                    clients.push(old[position - 1]);
                }
                if position == after {
                    clients.push(inserted);
                }
            }
            clients
        };
        let (u, v) = (self.routes[first].clients[position_u - 1], self.routes[second].clients[position_v - 1]);
        let new_first = rebuilt(first, position_u, v, after_v);
        let new_second = rebuilt(second, position_v, u, after_u);
        let cost = |route: usize, clients: &[u32]| {
            let vehicle = self.routes[route].vehicle;
            if clients.is_empty() {
                0.0
            } else {
                problem.penalised_cost(vehicle, &problem.route_segment(vehicle, clients), self.penalties)
            }
        };
        let change =
            cost(first, &new_first) + cost(second, &new_second) - self.routes[first].cost - self.routes[second].cost;
        if change > -EPSILON {
            return false;
        }
        self.commit(vec![(first, new_first), (second, new_second)]);
        true
    }

    /// For each client of `from`: its removal gain and its three cheapest insertion places in
    /// `into` (from the cache when `into` has not changed since they were computed).
    fn insertion_options(&mut self, from: usize, into: usize) -> Vec<InsertionOption> {
        let problem = self.problem;
        let per_distance = |route: usize| problem.vehicles[self.routes[route].vehicle].cost_per_distance as f64;
        let (from_rate, into_rate) = (per_distance(from), per_distance(into));
        if self.insertions.len() < self.routes.len() {
            self.insertions.resize(self.routes.len(), Vec::new());
        }
        if self.insertions[into].is_empty() {
            self.insertions[into] = vec![CachedInsertion::STALE; problem.clients.len()];
        }
        let version = self.routes[into].modified_at;
        let (source, target) = (&self.routes[from], &self.routes[into]);
        let cache = &mut self.insertions[into];
        let into_nodes = &target.nodes;
        (1..=source.len())
            .map(|position| {
                let client = source.clients[position - 1];
                let here = source.nodes[position];
                let (previous, next) = (source.nodes[position - 1], source.nodes[position + 1]);
                let removal = from_rate
                    * (problem.distance(previous, next)
                        - problem.distance(previous, here)
                        - problem.distance(here, next)) as f64;
                let entry = &mut cache[client as usize];
                if entry.version != version {
                    let mut best = [(i64::MAX, u32::MAX); 3];
                    for (after, pair) in into_nodes.windows(2).enumerate() {
                        let (a, b) = (pair[0], pair[1]);
                        let cost = problem.distance(a, here) + problem.distance(here, b) - problem.distance(a, b);
                        if cost < best[2].0 {
                            best[2] = (cost, after as u32);
                            if best[2].0 < best[1].0 {
                                best.swap(1, 2);
                                if best[1].0 < best[0].0 {
                                    best.swap(0, 1);
                                }
                            }
                        }
                    }
                    *entry = CachedInsertion {
                        version,
                        cost: best
                            .map(|(cost, _)| if cost == i64::MAX { f64::INFINITY } else { into_rate * cost as f64 }),
                        after: best.map(|(_, after)| after),
                    };
                }
                let best = std::array::from_fn(|k| {
                    let after = entry.after[k];
                    (entry.cost[k], if after == u32::MAX { usize::MAX } else { after as usize })
                });
                InsertionOption {
                    location: here,
                    demand: problem.clients[client as usize].segment.load,
                    removal,
                    best,
                    rate: into_rate,
                }
            })
            .collect()
    }

    /// Cheapest insertion of the option's client into `route` once the client at `removed` is
    /// gone: a cached place not touching it, or the removed client's own place.
    fn best_insertion_without(&self, route: usize, option: &InsertionOption, removed: usize) -> (f64, usize) {
        let (previous, next) = (self.location(route, removed - 1), self.location(route, removed + 1));
        let problem = self.problem;
        let in_place = option.rate
            * (problem.distance(previous, option.location) + problem.distance(option.location, next)
                - problem.distance(previous, next)) as f64;
        let mut best = (in_place, removed - 1);
        for &(cost, after) in &option.best {
            if after != usize::MAX && after + 1 != removed && after != removed && cost < best.0 {
                best = (cost, after);
            }
        }
        best
    }
}

/// Distance-and-load view of a span, enough to price moves without time windows.
#[derive(Debug, Clone, Copy)]
struct Summary {
    first: u32,
    last: u32,
    distance: i64,
    load: i64,
    clients: usize,
}

struct InsertionOption {
    location: u32,
    demand: i64,
    removal: f64,
    /// Three cheapest (cost, insert-after position) in the other route.
    best: [(f64, usize); 3],
    rate: f64,
}
