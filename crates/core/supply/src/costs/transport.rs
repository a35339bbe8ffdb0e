//! Transport cost of delivery routes, allocated to stops and locations.
//!
//! A route costs `fixed_cost_minor` + round(`distance_km` × `cost_per_km_minor`) +
//! round(`duration_h` × `cost_per_hour_minor`) (half away from zero). The route's total is allocated
//! to its stops component by component, each split by largest remainder so the stops' parts add up
//! exactly to the route's:
//!
//! - fixed and time cost by each stop's share of the **load** delivered (all loads zero → shares of
//!   cases; all cases zero too → equal shares), since load is what fills the vehicle and the time
//!   spent serving it;
//! - distance cost by each stop's share of **detour_km**, the extra distance its insertion causes
//!   (computed by the caller, e.g. d(prev, stop) + d(stop, next) − d(prev, next); negative detours
//!   from non-metric road data count as zero). When every detour is zero it falls back to the load
//!   shares above.
//!
//! A route without stops keeps its cost unallocated. [`by_location`] sums the stops per location.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CostError, non_negative, non_negative_f, per, round_minor};
use crate::alloc::{largest_remainder, largest_remainder_int};

/// One driven route with its vehicle's cost rates and the stops it served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteUsage {
    /// The route.
    pub route_id: String,
    /// The vehicle that drove it.
    pub vehicle_id: String,
    /// Vehicle capacity, in the same unit as `load`.
    pub capacity: i64,
    /// Load carried (e.g. kg or cases).
    pub load: i64,
    /// Distance driven, km.
    pub distance_km: f64,
    /// Time on the road and at stops, hours.
    pub duration_h: f64,
    /// The driver's shift length, hours.
    pub shift_h: f64,
    /// Cost per use of the vehicle (driver day, depreciation), minor units.
    pub fixed_cost_minor: i64,
    /// Cost per km, minor units.
    pub cost_per_km_minor: i64,
    /// Cost per hour, minor units.
    pub cost_per_hour_minor: i64,
    /// The stops, in visiting order.
    pub stops: Vec<StopUsage>,
}

/// One stop of a route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopUsage {
    /// The stop.
    pub stop_id: String,
    /// The store, customer or depot served.
    pub location_id: String,
    /// Cases delivered.
    pub cases: i64,
    /// Load delivered, in the route's load unit.
    pub load: i64,
    /// Extra km the stop's insertion into the route causes.
    pub detour_km: f64,
}

/// A route's cost and its ratios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteCost {
    /// The route.
    pub route_id: String,
    /// The vehicle.
    pub vehicle_id: String,
    /// Fixed cost, minor units.
    pub fixed_minor: i64,
    /// Distance cost, minor units.
    pub distance_minor: i64,
    /// Time cost, minor units.
    pub time_minor: i64,
    /// Fixed + distance + time, minor units.
    pub total_minor: i64,
    /// Total per km driven (minor units; `None` for zero km).
    pub cost_per_km: Option<f64>,
    /// Total per stop (`None` without stops).
    pub cost_per_stop: Option<f64>,
    /// Total per case delivered (`None` without cases).
    pub cost_per_case: Option<f64>,
    /// load / capacity (`None` for zero capacity).
    pub utilisation: Option<f64>,
    /// duration / shift (`None` for a zero shift).
    pub time_utilisation: Option<f64>,
    /// The total allocated to the stops (sums exactly to the route's components).
    pub stops: Vec<StopCost>,
}

/// One stop's share of its route's cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StopCost {
    /// The stop.
    pub stop_id: String,
    /// The location served.
    pub location_id: String,
    /// Cases delivered.
    pub cases: i64,
    /// Load delivered.
    pub load: i64,
    /// Share of the fixed cost, minor units.
    pub fixed_minor: i64,
    /// Share of the distance cost, minor units.
    pub distance_minor: i64,
    /// Share of the time cost, minor units.
    pub time_minor: i64,
    /// Fixed + distance + time share, minor units.
    pub total_minor: i64,
    /// Total per case (`None` without cases).
    pub cost_per_case: Option<f64>,
}

/// Transport cost summed over every stop at one location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationCost {
    /// The location.
    pub location_id: String,
    /// Stops made there.
    pub stops: usize,
    /// Cases delivered there.
    pub cases: i64,
    /// Load delivered there.
    pub load: i64,
    /// Allocated cost, minor units.
    pub total_minor: i64,
    /// Total per case (`None` without cases).
    pub cost_per_case: Option<f64>,
}

/// Routes, their stops and the per-location sums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransportCosts {
    /// One entry per input route, in input order.
    pub routes: Vec<RouteCost>,
    /// One entry per location, by location id.
    pub by_location: Vec<LocationCost>,
    /// Sum of the routes' totals, minor units.
    pub total_minor: i64,
}

fn validate(r: &RouteUsage) -> Result<(), CostError> {
    let item = || format!("route {}", r.route_id);
    non_negative(&item, "capacity", r.capacity)?;
    non_negative(&item, "load", r.load)?;
    non_negative(&item, "fixed_cost_minor", r.fixed_cost_minor)?;
    non_negative(&item, "cost_per_km_minor", r.cost_per_km_minor)?;
    non_negative(&item, "cost_per_hour_minor", r.cost_per_hour_minor)?;
    non_negative_f(&item, "distance_km", r.distance_km)?;
    non_negative_f(&item, "duration_h", r.duration_h)?;
    non_negative_f(&item, "shift_h", r.shift_h)?;
    for s in &r.stops {
        let item = || format!("route {}, stop {}", r.route_id, s.stop_id);
        non_negative(&item, "cases", s.cases)?;
        non_negative(&item, "load", s.load)?;
        if s.detour_km.is_nan() || s.detour_km.is_infinite() {
            return Err(super::invalid(item(), "detour_km", format!("must be finite (got {})", s.detour_km)));
        }
    }
    Ok(())
}

/// Load shares, else case shares, else equal shares.
fn load_weights(stops: &[StopUsage]) -> Vec<i128> {
    if stops.iter().any(|s| s.load > 0) {
        stops.iter().map(|s| i128::from(s.load)).collect()
    } else if stops.iter().any(|s| s.cases > 0) {
        stops.iter().map(|s| i128::from(s.cases)).collect()
    } else {
        vec![1; stops.len()]
    }
}

/// Costs one route and allocates it to its stops (see the module documentation).
pub fn route_cost(r: &RouteUsage) -> Result<RouteCost, CostError> {
    validate(r)?;
    let fixed = r.fixed_cost_minor;
    let distance = round_minor(r.distance_km * r.cost_per_km_minor as f64);
    let time = round_minor(r.duration_h * r.cost_per_hour_minor as f64);
    let total = fixed.saturating_add(distance).saturating_add(time);
    let cases: i64 = r.stops.iter().map(|s| s.cases).sum();

    let stops = if r.stops.is_empty() {
        Vec::new()
    } else {
        let by_load = load_weights(&r.stops);
        let detours: Vec<f64> = r.stops.iter().map(|s| s.detour_km.max(0.0)).collect();
        // Weights are validated non-negative and not all zero, so the splits exist.
        let split = |amount: i64| largest_remainder_int(amount, &by_load).unwrap_or_default();
        let fixed_parts = split(fixed);
        let time_parts = split(time);
        let distance_parts = largest_remainder(distance, &detours).unwrap_or_else(|| split(distance));
        r.stops
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let total = fixed_parts[i] + distance_parts[i] + time_parts[i];
                StopCost {
                    stop_id: s.stop_id.clone(),
                    location_id: s.location_id.clone(),
                    cases: s.cases,
                    load: s.load,
                    fixed_minor: fixed_parts[i],
                    distance_minor: distance_parts[i],
                    time_minor: time_parts[i],
                    total_minor: total,
                    cost_per_case: per(total as f64, s.cases as f64),
                }
            })
            .collect()
    };
    Ok(RouteCost {
        route_id: r.route_id.clone(),
        vehicle_id: r.vehicle_id.clone(),
        fixed_minor: fixed,
        distance_minor: distance,
        time_minor: time,
        total_minor: total,
        cost_per_km: per(total as f64, r.distance_km),
        cost_per_stop: per(total as f64, r.stops.len() as f64),
        cost_per_case: per(total as f64, cases as f64),
        utilisation: per(r.load as f64, r.capacity as f64),
        time_utilisation: per(r.duration_h, r.shift_h),
        stops,
    })
}

/// Sums the stops of costed routes per location, sorted by location id.
pub fn by_location(routes: &[RouteCost]) -> Vec<LocationCost> {
    let mut sums: BTreeMap<&str, LocationCost> = BTreeMap::new();
    for s in routes.iter().flat_map(|r| &r.stops) {
        let e = sums.entry(s.location_id.as_str()).or_insert_with(|| LocationCost {
            location_id: s.location_id.clone(),
            stops: 0,
            cases: 0,
            load: 0,
            total_minor: 0,
            cost_per_case: None,
        });
        e.stops += 1;
        e.cases += s.cases;
        e.load += s.load;
        e.total_minor += s.total_minor;
    }
    sums.into_values()
        .map(|mut l| {
            l.cost_per_case = per(l.total_minor as f64, l.cases as f64);
            l
        })
        .collect()
}

/// Costs every route, allocates to stops and sums per location.
pub fn transport_costs(routes: &[RouteUsage]) -> Result<TransportCosts, CostError> {
    let routes = routes.iter().map(route_cost).collect::<Result<Vec<_>, _>>()?;
    Ok(TransportCosts {
        by_location: by_location(&routes),
        total_minor: routes.iter().map(|r| r.total_minor).sum(),
        routes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stop(id: &str, loc: &str, cases: i64, load: i64, detour: f64) -> StopUsage {
        StopUsage { stop_id: id.into(), location_id: loc.into(), cases, load, detour_km: detour }
    }

    fn route(stops: Vec<StopUsage>) -> RouteUsage {
        RouteUsage {
            route_id: "R1".into(),
            vehicle_id: "V1".into(),
            capacity: 1000,
            load: 600,
            distance_km: 42.5,
            duration_h: 5.5,
            shift_h: 8.0,
            fixed_cost_minor: 10_000,
            cost_per_km_minor: 120,
            cost_per_hour_minor: 2_500,
            stops,
        }
    }

    #[test]
    fn hand_checked_route() {
        let r =
            route(vec![stop("a", "L1", 10, 100, 5.0), stop("b", "L2", 20, 200, 15.0), stop("c", "L1", 30, 300, 0.0)]);
        let c = route_cost(&r).unwrap();
        assert_eq!(c.fixed_minor, 10_000);
        assert_eq!(c.distance_minor, 5_100); // 42.5 × 120
        assert_eq!(c.time_minor, 13_750); // 5.5 × 2500
        assert_eq!(c.total_minor, 28_850);
        assert_eq!(c.cost_per_km, Some(28_850.0 / 42.5));
        assert_eq!(c.cost_per_stop, Some(28_850.0 / 3.0));
        assert_eq!(c.cost_per_case, Some(28_850.0 / 60.0));
        assert_eq!(c.utilisation, Some(0.6));
        assert_eq!(c.time_utilisation, Some(5.5 / 8.0));
        // Fixed 10000 by load 1:2:3 → 1666.67, 3333.33, 5000 → 1667, 3333, 5000.
        let fixed: Vec<i64> = c.stops.iter().map(|s| s.fixed_minor).collect();
        assert_eq!(fixed, [1667, 3333, 5000]);
        // Time 13750 by load → 2291.67, 4583.33, 6875 → 2292, 4583, 6875.
        let time: Vec<i64> = c.stops.iter().map(|s| s.time_minor).collect();
        assert_eq!(time, [2292, 4583, 6875]);
        // Distance 5100 by detour 5:15:0 → 1275, 3825, 0.
        let distance: Vec<i64> = c.stops.iter().map(|s| s.distance_minor).collect();
        assert_eq!(distance, [1275, 3825, 0]);
        assert_eq!(c.stops.iter().map(|s| s.total_minor).sum::<i64>(), c.total_minor);
        assert_eq!(c.stops[0].total_minor, 1667 + 2292 + 1275);

        let all = transport_costs(&[r]).unwrap();
        assert_eq!(all.total_minor, 28_850);
        assert_eq!(all.by_location.len(), 2);
        let l1 = &all.by_location[0];
        assert_eq!((l1.location_id.as_str(), l1.stops, l1.cases), ("L1", 2, 40));
        assert_eq!(l1.total_minor, c.stops[0].total_minor + c.stops[2].total_minor);
        assert_eq!(l1.cost_per_case, Some(l1.total_minor as f64 / 40.0));
        let json = serde_json::to_value(&all).unwrap();
        assert_eq!(json["routes"][0]["stops"][1]["distance_minor"], 3825);
    }

    #[test]
    fn fallbacks_when_detours_or_loads_are_zero() {
        // All detours zero: distance follows load.
        let c = route_cost(&route(vec![stop("a", "L", 1, 100, 0.0), stop("b", "L", 1, 300, -2.0)])).unwrap();
        assert_eq!(c.stops.iter().map(|s| s.distance_minor).collect::<Vec<_>>(), [1275, 3825]);
        // No loads: cases.
        let c = route_cost(&route(vec![stop("a", "L", 1, 0, 0.0), stop("b", "L", 3, 0, 0.0)])).unwrap();
        assert_eq!(c.stops.iter().map(|s| s.fixed_minor).collect::<Vec<_>>(), [2500, 7500]);
        // Nothing at all: equal shares.
        let c = route_cost(&route(vec![stop("a", "L", 0, 0, 0.0), stop("b", "L", 0, 0, 0.0)])).unwrap();
        assert_eq!(c.stops.iter().map(|s| s.fixed_minor).collect::<Vec<_>>(), [5000, 5000]);
        assert_eq!(c.cost_per_case, None);
        // No stops: nothing allocated.
        let c = route_cost(&route(vec![])).unwrap();
        assert!(c.stops.is_empty());
        assert_eq!(c.cost_per_stop, None);
    }

    #[test]
    fn invalid_inputs_are_named() {
        let mut r = route(vec![stop("a", "L", 1, -1, 0.0)]);
        let err = route_cost(&r).unwrap_err();
        assert_eq!(err.to_string(), "route R1, stop a: load must not be negative (got -1)");
        r.stops.clear();
        r.distance_km = f64::NAN;
        assert!(route_cost(&r).unwrap_err().to_string().starts_with("route R1: distance_km must be finite"));
        let r = route(vec![stop("a", "L", 1, 1, f64::INFINITY)]);
        assert!(route_cost(&r).is_err());
    }

    proptest! {
        #[test]
        fn stops_sum_exactly_to_the_route(
            stops in proptest::collection::vec((0i64..50, 0i64..500, -1.0..30.0f64, 0..4usize), 1..12),
            distance in 0.0..500.0f64,
            duration in 0.0..12.0f64,
            fixed in 0i64..100_000,
            per_km in 0i64..1_000,
            per_hour in 0i64..10_000,
        ) {
            let r = RouteUsage {
                distance_km: distance,
                duration_h: duration,
                fixed_cost_minor: fixed,
                cost_per_km_minor: per_km,
                cost_per_hour_minor: per_hour,
                ..route(stops.iter().enumerate().map(|(i, (c, l, d, loc))| stop(&i.to_string(), &format!("L{loc}"), *c, *l, *d)).collect())
            };
            let all = transport_costs(std::slice::from_ref(&r)).unwrap();
            let c = &all.routes[0];
            prop_assert_eq!(c.total_minor, c.fixed_minor + c.distance_minor + c.time_minor);
            prop_assert_eq!(c.stops.iter().map(|s| s.fixed_minor).sum::<i64>(), c.fixed_minor);
            prop_assert_eq!(c.stops.iter().map(|s| s.distance_minor).sum::<i64>(), c.distance_minor);
            prop_assert_eq!(c.stops.iter().map(|s| s.time_minor).sum::<i64>(), c.time_minor);
            prop_assert_eq!(c.stops.iter().map(|s| s.total_minor).sum::<i64>(), c.total_minor);
            prop_assert!(c.stops.iter().all(|s| s.total_minor >= 0));
            prop_assert_eq!(all.by_location.iter().map(|l| l.total_minor).sum::<i64>(), c.total_minor);
            prop_assert_eq!(all.by_location.iter().map(|l| l.stops).sum::<usize>(), stops.len());
        }
    }
}
