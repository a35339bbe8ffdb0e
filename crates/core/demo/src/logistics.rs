//! Moving goods: the delivery fleets, tomorrow's transfer orders from the
//! distribution centre to the stores, and where online customers live.

use chrono::{Duration, NaiveDate, NaiveTime};
use retail_domain::{Currency, Location, Product, Text, TransferLine, TransferOrder, TransferStatus, Vehicle};

use crate::calendar::{at, compact, hms};
use crate::catalog::{SUBS, Storage};
use crate::people::Shopper;
use crate::places::{DC_ID, ONLINE_ID, ROADS};
use crate::products::SkuTruth;
use crate::random::{Purpose, between, chance, normal, stream, unit, weighted};

/// Kilometres per degree of latitude, and of longitude at Shanghai's latitude.
const KM_LAT: f64 = 111.2;
const KM_LON: f64 = 95.3;
/// How far from the fulfilment point online customers live, in km.
const NEAREST_KM: f64 = 3.0;
const FARTHEST_KM: f64 = 25.0;
/// Heaviest case the DC sends to a store on a transfer line (a water or beer
/// pallet layer goes by other means).
const MAX_CASE_KG: f64 = 120.0;

/// A point on each of `places::ROADS`, in the same order.
const ROAD_POINTS: [(f64, f64); ROADS.len()] = [
    (31.2190, 121.4620),
    (31.2130, 121.4650),
    (31.2040, 121.4430),
    (31.1880, 121.4360),
    (31.1960, 121.4100),
    (31.2140, 121.3990),
    (31.2170, 121.4300),
    (31.2290, 121.4350),
    (31.2430, 121.4400),
    (31.2430, 121.4170),
    (31.2580, 121.4850),
    (31.2620, 121.5100),
    (31.2730, 121.5250),
    (31.2930, 121.5080),
    (31.2280, 121.5180),
    (31.2230, 121.5270),
    (31.2130, 121.5560),
    (31.2450, 121.5880),
    (31.1080, 121.3700),
    (31.1500, 121.3970),
    (31.4000, 121.4900),
    (31.0250, 121.2300),
    (31.3850, 121.2500),
    (31.2480, 121.4300),
];

/// Distance in km between two nearby points (equirectangular).
pub(crate) fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0) * KM_LAT).hypot((a.1 - b.1) * KM_LON)
}

/// Where each online customer lives: near the road of their address, a
/// kilometre or so along it, kept between 3 and 25 km of the fulfilment
/// point `online` (farther addresses are drawn in along the same bearing).
pub(crate) fn homes(seed: u64, shoppers: &[Shopper], online: (f64, f64)) -> Vec<(f64, f64)> {
    let mut rng = stream(seed, Purpose::Addresses, 0);
    shoppers
        .iter()
        .map(|s| {
            let road = ROADS
                .iter()
                .position(|(zh, _, (district, _))| s.address.zh.starts_with(&format!("上海市{district}{zh}")))
                .unwrap_or(0);
            let (lat, lon) = ROAD_POINTS[road];
            let (dn, de) = (normal(&mut rng), normal(&mut rng));
            let (fallback, jitter) = (between(&mut rng, 0.0, std::f64::consts::TAU), unit(&mut rng));
            let p = (lat + 0.011 * dn, lon + 0.013 * de);
            let d = km(p, online);
            let (north, east) = if d > 1e-6 {
                ((p.0 - online.0) * KM_LAT / d, (p.1 - online.1) * KM_LON / d)
            } else {
                (fallback.sin(), fallback.cos())
            };
            let r = if d > FARTHEST_KM {
                FARTHEST_KM - 2.0 * jitter
            } else if d < NEAREST_KM {
                NEAREST_KM + jitter
            } else {
                d
            };
            let round = |x: f64| (x * 1e6).round() / 1e6;
            (round(online.0 + north * r / KM_LAT), round(online.1 + east * r / KM_LON))
        })
        .collect()
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("a valid time")
}

/// One kind of vehicle in a fleet.
struct Model {
    prefix: &'static str,
    zh: &'static str,
    en: &'static str,
    kg: f64,
    /// Fixed per day, per km and per hour, in yuan.
    costs: (f64, f64, f64),
    shift: (u32, u32),
    trips: u32,
}

const TRUCK_8T: Model = Model {
    prefix: "T8",
    zh: "8吨厢式货车",
    en: "8 t box truck",
    kg: 8000.0,
    costs: (800.0, 4.5, 60.0),
    shift: (4, 14),
    trips: 2,
};
const TRUCK_45T: Model = Model {
    prefix: "T45",
    zh: "4.5吨厢式货车",
    en: "4.5 t box truck",
    kg: 4500.0,
    costs: (600.0, 3.5, 55.0),
    shift: (4, 14),
    trips: 2,
};
const VAN: Model = Model {
    prefix: "VAN",
    zh: "电动配送面包车",
    en: "Electric delivery van",
    kg: 800.0,
    costs: (350.0, 1.8, 45.0),
    shift: (8, 21),
    trips: 3,
};

fn vehicle(depot: &str, m: &Model, n: usize, trips: u32) -> Vehicle {
    let fen = |yuan: f64| (yuan * 100.0).round() as i64;
    Vehicle {
        external_id: format!("{depot}-{}-{n:02}", m.prefix),
        name: Text::new(format!("{}{n:02}号", m.zh), format!("{} {n:02}", m.en)),
        depot_id: depot.into(),
        capacity_kg: m.kg,
        currency: Currency::cny(),
        fixed_cost_minor: fen(m.costs.0),
        cost_per_km_minor: fen(m.costs.1),
        cost_per_hour_minor: fen(m.costs.2),
        shift_start: time(m.shift.0, 0),
        shift_end: time(m.shift.1, 0),
        max_trips: trips,
        active: true,
    }
}

/// The DC's trucks for store deliveries (about one 8 t truck per five stores
/// and one 4.5 t per seven, two trips a shift from 04:00 to 14:00), then the
/// fulfilment point's vans for home deliveries (eight per 20,000 customers,
/// 08:00–21:00, the first half of the fleet doing three trips, the rest two).
pub(crate) fn vehicles(stores: usize, customers: usize) -> Vec<Vehicle> {
    let big = ((stores as f64 * 0.2).round() as usize).max(1);
    let small = ((stores as f64 * 0.15).round() as usize).max(1);
    let vans = (customers * 8).div_ceil(20_000).max(2);
    let mut v = Vec::with_capacity(big + small + vans);
    v.extend((1..=big).map(|n| vehicle(DC_ID, &TRUCK_8T, n, TRUCK_8T.trips)));
    v.extend((1..=small).map(|n| vehicle(DC_ID, &TRUCK_45T, n, TRUCK_45T.trips)));
    v.extend((1..=vans).map(|n| vehicle(ONLINE_ID, &VAN, n, if n <= vans.div_ceil(2) { VAN.trips } else { 2 })));
    v
}

/// Roots whose goods go on a store's second transfer when it gets two:
/// household, personal care and baby.
const NON_FOOD: [usize; 3] = [9, 10, 11];

/// What the transfers need to know about the world.
pub(crate) struct Stores<'a> {
    pub products: &'a [Product],
    pub skus: &'a [SkuTruth],
    /// Location of each store, in store order.
    pub locations: Vec<&'a Location>,
    /// Demand size of each store relative to a 1,500 m² one.
    pub size: Vec<f64>,
    /// What each store lists: (SKU, expected units a day).
    pub listed: Vec<Vec<(usize, f64)>>,
}

/// Tomorrow's (`last_day` + 1, day index `day`) transfers from the DC to
/// every store, still open: a few days of the store's demand for the
/// ambient, non-perishable goods it lists that are on sale tomorrow, in
/// whole cases, 15–60 lines and 0.6–3 t a store, the larger stores more.
/// About one store in five gets its non-food on a second order. Receiving
/// windows are 05:00–09:00 at most stores, 06:00–11:00 at some, and
/// 07:00–08:00 at every tenth store from the sixth (city-centre loading bays).
pub(crate) fn transfers(seed: u64, last_day: NaiveDate, day: usize, w: &Stores) -> Vec<TransferOrder> {
    let mut rng = stream(seed, Purpose::Transfers, 0);
    let tomorrow = last_day + Duration::days(1);
    let on_sale = |k: usize| w.skus[k].launch <= day && w.skus[k].delist.is_none_or(|d| day < d);
    let case_kg = |k: usize| f64::from(w.products[k].pack_size.max(1)) * w.products[k].unit_weight_kg.unwrap_or(0.5);
    let dc_stocked = |k: usize| {
        let sub = &SUBS[w.skus[k].sub];
        sub.shelf_life.is_none() && matches!(sub.storage, Storage::Ambient) && case_kg(k) <= MAX_CASE_KG
    };
    let mut out = Vec::new();
    for (si, store) in w.locations.iter().enumerate() {
        let wide = chance(&mut rng, 0.25);
        let split = chance(&mut rng, 0.2);
        let n = (15.0 + 18.0 * w.size[si] * between(&mut rng, 0.8, 1.2)).round().clamp(15.0, 60.0) as usize;
        let target = (600.0 + 900.0 * w.size[si] * between(&mut rng, 0.8, 1.2)).clamp(650.0, 2900.0);
        let mut pool: Vec<(usize, f64)> =
            w.listed[si].iter().copied().filter(|(k, _)| on_sale(*k) && dc_stocked(*k)).collect();
        if pool.is_empty() {
            pool = w.listed[si].iter().copied().filter(|(k, _)| on_sale(*k)).collect();
        }
        let mut weights: Vec<f64> = pool.iter().map(|(_, base)| base.max(1e-6)).collect();
        let mut chosen: Vec<(usize, f64)> = Vec::with_capacity(n);
        for _ in 0..n.min(pool.len()) {
            let i = weighted(&mut rng, &weights);
            weights[i] = 0.0;
            chosen.push(pool[i]);
        }
        if chosen.is_empty() {
            continue;
        }
        chosen.sort_unstable_by_key(|(k, _)| *k);
        // Units in proportion to demand, scaled to the day's target weight.
        let kg_per_day: f64 = chosen.iter().map(|(k, base)| base * w.products[*k].unit_weight_kg.unwrap_or(0.5)).sum();
        let cover = target / kg_per_day.max(1e-9);
        let pack = |k: usize| i64::from(w.products[k].pack_size.max(1));
        let mut cases: Vec<i64> =
            chosen.iter().map(|(k, base)| ((base * cover / pack(*k) as f64).round() as i64).max(1)).collect();
        let total =
            |cases: &[i64]| -> f64 { chosen.iter().zip(cases).map(|((k, _), c)| *c as f64 * case_kg(*k)).sum() };
        for _ in 0..10_000 {
            let t = total(&cases);
            if t > 3000.0 {
                // One case less of the heaviest line that has more than one.
                let Some(i) = (0..cases.len()).filter(|i| cases[*i] > 1).max_by(|a, b| {
                    (cases[*a] as f64 * case_kg(chosen[*a].0)).total_cmp(&(cases[*b] as f64 * case_kg(chosen[*b].0)))
                }) else {
                    break;
                };
                cases[i] -= 1;
            } else if t < 600.0 {
                // One case more of the best seller.
                let i = (0..cases.len()).max_by(|a, b| chosen[*a].1.total_cmp(&chosen[*b].1)).expect("lines");
                cases[i] += 1;
            } else {
                break;
            }
        }
        let lines: Vec<(bool, TransferLine)> = chosen
            .iter()
            .zip(&cases)
            .map(|((k, _), c)| {
                let non_food = NON_FOOD.contains(&SUBS[w.skus[*k].sub].root);
                (non_food, TransferLine { product_id: w.products[*k].external_id.clone(), quantity: c * pack(*k) })
            })
            .collect();
        let (start, end) = if si % 10 == 5 {
            (time(7, 0), time(8, 0))
        } else if wide {
            (time(6, 0), time(11, 0))
        } else {
            (time(5, 0), time(9, 0))
        };
        let groups: Vec<Vec<TransferLine>> = if split && lines.iter().any(|l| l.0) && lines.iter().any(|l| !l.0) {
            vec![
                lines.iter().filter(|l| !l.0).map(|l| l.1.clone()).collect(),
                lines.iter().filter(|l| l.0).map(|l| l.1.clone()).collect(),
            ]
        } else {
            vec![lines.into_iter().map(|l| l.1).collect()]
        };
        for (g, lines) in groups.into_iter().enumerate() {
            out.push(TransferOrder {
                external_id: format!("TO-{}-{}-{}", store.external_id, compact(tomorrow), g + 1),
                from_location_id: DC_ID.into(),
                to_location_id: store.external_id.clone(),
                status: TransferStatus::Open,
                deliver_on: tomorrow,
                window_start: Some(start),
                window_end: Some(end),
                lines,
                created_at: at(last_day, hms(15, 0, 0) + (30 * out.len() as u32) % hms(8, 0, 0)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleets_scale_with_the_chain() {
        let v = vehicles(20, 20_000);
        let count = |depot: &str, kg: f64| v.iter().filter(|x| x.depot_id == depot && x.capacity_kg == kg).count();
        assert_eq!((count(DC_ID, 8000.0), count(DC_ID, 4500.0), count(ONLINE_ID, 800.0)), (4, 3, 8));
        assert_eq!(v[0].external_id, "DC01-T8-01");
        assert_eq!(v[0].fixed_cost_minor, 80_000);
        assert_eq!(v[0].cost_per_km_minor, 450);
        let small = vehicles(1, 0);
        assert_eq!(small.len(), 4);
    }

    #[test]
    fn distances_are_about_right() {
        // People's Square to the Minhang fulfilment point: about 12 km.
        let d = km((31.2337, 121.4737), (31.14, 121.40));
        assert!((11.0..13.5).contains(&d), "{d}");
    }
}
