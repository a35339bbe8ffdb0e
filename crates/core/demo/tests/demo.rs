//! Properties of a small demo world: valid, closed under references,
//! deterministic, physically possible, and carrying the planted signals.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Timelike, Weekday};
use retail_demo::{COMPLEMENTS, DayBatch, DemoConfig, World, build_world, simulate, world_truth};
use retail_domain::{
    AllocationBasis, ChargeKind, EventKind, LocationKind, MovementKind, OrderStatus, ProductStatus, TransferStatus,
    Validate,
};

fn small() -> DemoConfig {
    DemoConfig { stores: 3, skus: 300, customers: 400, days: 120, seed: 7 }
}

struct Run {
    world: World,
    batches: Vec<DayBatch>,
}

/// The small world, simulated once and shared by all tests.
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let (world, batches) = generate(&small());
        Run { world, batches }
    })
}

/// Builds the world for `cfg` and simulates every day of it.
fn generate(cfg: &DemoConfig) -> (World, Vec<DayBatch>) {
    let world = build_world(cfg);
    let mut batches = Vec::new();
    simulate(cfg, &world, |b| {
        batches.push(b);
        true
    });
    (world, batches)
}

fn digest(world: &World, batches: &[DayBatch]) -> u64 {
    let mut h = DefaultHasher::new();
    format!("{world:?}").hash(&mut h);
    for b in batches {
        format!("{b:?}").hash(&mut h);
    }
    h.finish()
}

#[test]
fn config_bounds_and_calendar() {
    let cfg = DemoConfig::default();
    assert_eq!((cfg.stores, cfg.skus, cfg.customers, cfg.days, cfg.seed), (20, 2000, 20_000, 730, 42));
    cfg.validate().unwrap();
    assert_eq!(cfg.last_day(), NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
    assert_eq!(cfg.first_day(), NaiveDate::from_ymd_opt(2024, 11, 1).unwrap());
    for bad in [
        DemoConfig { stores: 0, ..small() },
        DemoConfig { skus: 9, ..small() },
        DemoConfig { customers: 2_000_001, ..small() },
        DemoConfig { days: 6, ..small() },
        DemoConfig { days: 3661, ..small() },
    ] {
        assert!(bad.validate().is_err(), "{bad:?}");
    }
    let r = run();
    assert_eq!(r.batches.len(), 120);
    assert_eq!(r.batches[0].date, small().first_day());
    assert!(r.batches.windows(2).all(|w| w[0].date < w[1].date));
}

#[test]
fn every_record_validates_and_ids_are_unique() {
    let r = run();
    let w = &r.world;
    fn unique<'a>(what: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen = HashSet::new();
        for id in ids {
            assert!(seen.insert(id), "duplicate {what} {id}");
        }
    }
    w.locations.iter().for_each(|x| x.validate().unwrap());
    w.categories.iter().for_each(|x| x.validate().unwrap());
    w.suppliers.iter().for_each(|x| x.validate().unwrap());
    w.products.iter().for_each(|x| x.validate().unwrap());
    w.customers.iter().for_each(|x| x.validate().unwrap());
    w.kb_articles.iter().for_each(|x| x.validate().unwrap());
    unique("location", w.locations.iter().map(|x| x.external_id.as_str()));
    unique("category", w.categories.iter().map(|x| x.external_id.as_str()));
    unique("supplier", w.suppliers.iter().map(|x| x.external_id.as_str()));
    unique("product", w.products.iter().map(|x| x.external_id.as_str()));
    unique("barcode", w.products.iter().filter_map(|x| x.barcode.as_deref()));
    unique("customer", w.customers.iter().map(|x| x.external_id.as_str()));
    unique("phone", w.customers.iter().filter_map(|x| x.phone.as_deref()));
    unique("kb article", w.kb_articles.iter().map(|x| x.external_id.as_str()));
    let all = || r.batches.iter();
    for b in all() {
        b.movements.iter().for_each(|x| x.validate().unwrap());
        b.orders.iter().for_each(|x| x.validate().unwrap());
        b.events.iter().for_each(|x| x.validate().unwrap());
        b.purchase_orders.iter().for_each(|x| x.validate().unwrap());
        b.receipts.iter().for_each(|x| x.validate().unwrap());
    }
    unique("movement", all().flat_map(|b| &b.movements).map(|m| m.movement_id.as_deref().unwrap()));
    unique("order", all().flat_map(|b| &b.orders).map(|o| o.external_id.as_str()));
    unique("event", all().flat_map(|b| &b.events).map(|e| e.event_id.as_deref().unwrap()));
    unique("purchase order", all().flat_map(|b| &b.purchase_orders).map(|p| p.external_id.as_str()));
    unique("receipt", all().flat_map(|b| &b.receipts).map(|g| g.external_id.as_str()));
    for b in all() {
        for m in &b.movements {
            assert_eq!(m.occurred_at.date_naive(), b.date, "{m:?}");
        }
        for e in &b.events {
            assert_eq!(e.occurred_at.date_naive(), b.date, "{e:?}");
        }
    }
}

#[test]
fn every_reference_resolves() {
    let r = run();
    let w = &r.world;
    let locations: HashSet<&str> = w.locations.iter().map(|x| x.external_id.as_str()).collect();
    let categories: HashSet<&str> = w.categories.iter().map(|x| x.external_id.as_str()).collect();
    let suppliers: HashSet<&str> = w.suppliers.iter().map(|x| x.external_id.as_str()).collect();
    let products: HashSet<&str> = w.products.iter().map(|x| x.external_id.as_str()).collect();
    let customers: HashSet<&str> = w.customers.iter().map(|x| x.external_id.as_str()).collect();
    for c in &w.categories {
        assert!(c.parent_id.as_deref().is_none_or(|p| categories.contains(p)));
    }
    for p in &w.products {
        assert!(categories.contains(p.category_id.as_str()));
        assert!(suppliers.contains(p.supplier_id.as_deref().unwrap()));
    }
    for c in &w.customers {
        assert!(c.home_location_id.as_deref().is_none_or(|l| locations.contains(l)));
    }
    let mut pos = HashSet::new();
    for b in &r.batches {
        for p in &b.purchase_orders {
            assert!(suppliers.contains(p.supplier_id.as_str()) && locations.contains(p.location_id.as_str()));
            assert!(p.lines.iter().all(|l| products.contains(l.product_id.as_str())));
            pos.insert(p.external_id.clone());
        }
        for g in &b.receipts {
            // A receipt only follows a purchase order handed out on an earlier day.
            assert!(pos.contains(g.purchase_order_id.as_deref().unwrap()));
            assert!(locations.contains(g.location_id.as_str()));
            assert!(g.lines.iter().all(|l| products.contains(l.product_id.as_str())));
        }
        for m in &b.movements {
            assert!(locations.contains(m.location_id.as_str()) && products.contains(m.product_id.as_str()));
        }
        for o in &b.orders {
            assert!(locations.contains(o.location_id.as_str()));
            assert!(customers.contains(o.customer_id.as_deref().unwrap()));
            assert!(o.lines.iter().all(|l| products.contains(l.product_id.as_str())));
        }
        for e in &b.events {
            assert!(customers.contains(e.customer_id.as_deref().unwrap()));
            assert!(e.product_id.as_deref().is_none_or(|p| products.contains(p)));
            assert!(e.location_id.as_deref().is_none_or(|l| locations.contains(l)));
        }
    }
}

#[test]
fn same_config_gives_identical_data() {
    let r = run();
    let cfg = small();
    let (world, batches) = generate(&cfg);
    assert_eq!(digest(&r.world, &r.batches), digest(&world, &batches));
    let other = build_world(&DemoConfig { seed: 8, ..cfg });
    assert_ne!(format!("{:?}", other.customers), format!("{:?}", world.customers));
}

#[test]
fn the_smallest_world_still_works() {
    let cfg = DemoConfig { stores: 1, skus: 10, customers: 0, days: 7, seed: 0 };
    let world = build_world(&cfg);
    let stats = simulate(&cfg, &world, |b| {
        b.movements.iter().for_each(|m| m.validate().unwrap());
        b.purchase_orders.iter().for_each(|p| p.validate().unwrap());
        b.receipts.iter().for_each(|g| g.validate().unwrap());
        assert!(b.orders.is_empty() && b.events.is_empty());
        true
    });
    assert_eq!(stats.days, 7);
    assert!(stats.sale_movements > 0);
}

#[test]
fn simulation_stops_when_the_sink_says_so() {
    let cfg = DemoConfig { stores: 1, skus: 30, customers: 20, days: 30, seed: 1 };
    let world = build_world(&cfg);
    let mut seen = 0;
    let stats = simulate(&cfg, &world, |_| {
        seen += 1;
        seen < 3
    });
    assert_eq!((seen, stats.days), (3, 3));
}

/// Replays the ledger (movements plus the receipts' own movements) per
/// location and product in time order: stock never goes negative.
#[test]
fn sales_never_exceed_stock_on_hand() {
    let r = run();
    let mut rows = Vec::new();
    for b in &r.batches {
        rows.extend(b.receipts.iter().flat_map(|g| g.movements()));
        rows.extend(b.movements.iter().cloned());
    }
    rows.sort_by_key(|m| m.occurred_at);
    let mut stock: HashMap<(String, String), i64> = HashMap::new();
    let mut sales = 0;
    for m in &rows {
        let on_hand = stock.entry((m.location_id.clone(), m.product_id.clone())).or_default();
        *on_hand += m.ledger_rows()[0].on_hand_delta;
        assert!(*on_hand >= 0, "negative stock after {m:?}");
        sales += usize::from(m.kind == MovementKind::Sale);
    }
    assert!(sales > 1000, "{sales} sales");
}

fn store_units_by_date(r: &Run) -> BTreeMap<NaiveDate, i64> {
    let stores: HashSet<&str> =
        r.world.locations.iter().filter(|l| l.kind == LocationKind::Store).map(|l| l.external_id.as_str()).collect();
    r.batches
        .iter()
        .map(|b| {
            let units = b
                .movements
                .iter()
                .filter(|m| m.kind == MovementKind::Sale && stores.contains(m.location_id.as_str()))
                .map(|m| m.quantity)
                .sum();
            (b.date, units)
        })
        .collect()
}

#[test]
fn saturdays_outsell_tuesdays() {
    let units = store_units_by_date(run());
    let mean = |day: Weekday| {
        let v: Vec<i64> = units.iter().filter(|(d, _)| d.weekday() == day).map(|(_, u)| *u).collect();
        v.iter().sum::<i64>() as f64 / v.len() as f64
    };
    let (sat, tue) = (mean(Weekday::Sat), mean(Weekday::Tue));
    assert!(sat > 1.15 * tue, "Saturday {sat:.0} vs Tuesday {tue:.0}");
}

#[test]
fn mooncakes_sell_before_mid_autumn_and_not_after() {
    let r = run();
    let mooncakes: HashSet<&str> = r
        .world
        .products
        .iter()
        .filter(|p| p.category_id == "bakery.mooncake")
        .map(|p| p.external_id.as_str())
        .collect();
    assert!(!mooncakes.is_empty());
    let units = |from: (u32, u32), to: (u32, u32)| -> i64 {
        let (from, to) = (
            NaiveDate::from_ymd_opt(2026, from.0, from.1).unwrap(),
            NaiveDate::from_ymd_opt(2026, to.0, to.1).unwrap(),
        );
        r.batches
            .iter()
            .filter(|b| b.date >= from && b.date <= to)
            .flat_map(|b| &b.movements)
            .filter(|m| m.kind == MovementKind::Sale && mooncakes.contains(m.product_id.as_str()))
            .map(|m| m.quantity)
            .sum()
    };
    // Mid-Autumn 2026 is on 25 September; compare the 24 days before with 24 days in October.
    let (before, after) = (units((9, 1), (9, 24)), units((10, 5), (10, 28)));
    assert!(before > 5 * after.max(1), "before {before}, after {after}");
}

/// Leaf category of every product.
fn categories(r: &Run) -> HashMap<&str, &str> {
    r.world.products.iter().map(|p| (p.external_id.as_str(), p.category_id.as_str())).collect()
}

#[test]
fn purchases_follow_hidden_tastes() {
    let r = run();
    let truth = world_truth(&small());
    let cat = categories(r);
    let top: HashMap<&str, HashSet<&str>> = truth
        .tastes
        .iter()
        .map(|t| (t.customer_id.as_str(), t.category_affinity.iter().take(3).map(|(c, _)| c.as_str()).collect()))
        .collect();
    let (mut hits, mut lines) = (0, 0);
    for o in r.batches.iter().flat_map(|b| &b.orders) {
        for l in &o.lines {
            lines += 1;
            hits += usize::from(top[o.customer_id.as_deref().unwrap()].contains(cat[l.product_id.as_str()]));
        }
    }
    let leaves = r.world.categories.iter().filter(|c| c.parent_id.is_some()).count();
    let share = hits as f64 / lines as f64;
    let chance = 3.0 / leaves as f64;
    assert!(lines > 500, "{lines} order lines");
    assert!(share > 4.0 * chance, "top-3 share {share:.2} vs chance {chance:.2}");
}

#[test]
fn complements_are_bought_together() {
    let r = run();
    let cat = categories(r);
    let baskets: Vec<HashSet<&str>> = r
        .batches
        .iter()
        .flat_map(|b| &b.orders)
        .map(|o| o.lines.iter().map(|l| cat[l.product_id.as_str()]).collect())
        .collect();
    let n = baskets.len() as f64;
    let support = |c: &str| baskets.iter().filter(|b| b.contains(c)).count() as f64 / n;
    let (mut checked, mut strong) = (0, 0);
    for (a, b) in COMPLEMENTS {
        let both = baskets.iter().filter(|x| x.contains(a) && x.contains(b)).count();
        if both < 5 {
            continue;
        }
        checked += 1;
        let lift = both as f64 / n / (support(a) * support(b));
        strong += usize::from(lift > 1.5);
    }
    assert!(checked >= 4, "only {checked} complement pairs seen");
    assert_eq!(strong, checked, "every planted pair seen enough should show lift > 1.5");
}

#[test]
fn online_orders_move_through_their_lifecycle() {
    let r = run();
    let orders: Vec<_> = r.batches.iter().flat_map(|b| &b.orders).collect();
    let count = |s: OrderStatus| orders.iter().filter(|o| o.status == s).count();
    assert!(count(OrderStatus::Delivered) > orders.len() * 8 / 10);
    assert!(count(OrderStatus::Cancelled) > 0 && count(OrderStatus::Cancelled) < orders.len() / 10);
    let sold: HashSet<&str> = r
        .batches
        .iter()
        .flat_map(|b| &b.movements)
        .filter(|m| m.location_id == "ONLINE" && m.kind == MovementKind::Sale)
        .map(|m| m.reference.as_deref().unwrap())
        .collect();
    let returned: HashSet<&str> = r
        .batches
        .iter()
        .flat_map(|b| &b.movements)
        .filter(|m| m.kind == MovementKind::Return)
        .map(|m| m.reference.as_deref().unwrap())
        .collect();
    for o in &orders {
        assert_eq!(o.location_id, "ONLINE");
        assert!(o.delivery_address.is_some());
        let paid = !matches!(o.status, OrderStatus::Placed | OrderStatus::Cancelled);
        assert_eq!(paid, o.paid_minor() == o.total_minor() && o.total_minor() > 0, "{o:?}");
        assert_eq!(o.status != OrderStatus::Cancelled, sold.contains(o.external_id.as_str()), "{o:?}");
        assert_eq!(o.status == OrderStatus::Returned, returned.contains(o.external_id.as_str()), "{o:?}");
        if matches!(o.status, OrderStatus::Shipped | OrderStatus::Delivered | OrderStatus::Returned) {
            assert_eq!(o.shipments.len(), 1);
        }
    }
}

#[test]
fn events_form_sessions_with_recommendation_slots() {
    let r = run();
    let events: Vec<_> = r.batches.iter().flat_map(|b| &b.events).collect();
    let kinds: HashSet<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.len(), EventKind::ALL.len(), "{kinds:?}");
    for e in &events {
        assert!(e.customer_id.is_some() && e.session_id.is_some());
        let slot = matches!(e.kind, EventKind::Impression | EventKind::Click);
        assert_eq!(e.request_id.is_some(), slot, "{e:?}");
        assert_eq!(e.strategy.is_some(), slot);
        assert_eq!(e.position.is_some(), slot);
        if e.kind == EventKind::Search {
            assert!(e.query.as_deref().is_some_and(|q| !q.is_ascii()), "Chinese query expected: {e:?}");
        }
    }
    let purchases = events.iter().filter(|e| e.kind == EventKind::Purchase).count();
    let lines: usize = r
        .batches
        .iter()
        .flat_map(|b| &b.orders)
        .filter(|o| o.status != OrderStatus::Cancelled)
        .map(|o| o.lines.len())
        .sum();
    assert_eq!(purchases, lines);
}

#[test]
fn catalogue_and_master_data_look_real() {
    let w = &run().world;
    let kinds: Vec<LocationKind> = w.locations.iter().map(|l| l.kind).collect();
    assert_eq!(kinds.first(), Some(&LocationKind::DistributionCentre));
    assert_eq!(kinds.last(), Some(&LocationKind::Online));
    assert_eq!(w.locations[1].external_id, "S001");
    for l in &w.locations {
        assert!((30.9..31.5).contains(&l.lat) && (121.1..121.8).contains(&l.lon), "{l:?}");
        assert_eq!(l.timezone, "Asia/Shanghai");
        assert!(!l.name.zh.is_empty() && !l.name.en.is_empty());
    }
    assert_eq!(w.categories.iter().filter(|c| c.parent_id.is_none()).count(), 12);
    assert!(w.suppliers.len() >= 25);
    assert!(w.suppliers.iter().all(|s| (1.0..=14.0).contains(&s.lead_time_days)));
    for p in &w.products {
        assert!(p.cost.amount_minor < p.price.amount_minor, "{p:?}");
        assert!(!p.name.zh.is_empty() && !p.name.en.is_empty() && !p.brand.is_empty());
        assert_eq!(p.barcode.as_deref().map(str::len), Some(13));
    }
    let milk: Vec<_> =
        w.products.iter().filter(|p| p.category_id == "dairy.milk" && p.name.en.ends_with(" 1L")).collect();
    assert!(milk.iter().all(|p| (900..3500).contains(&p.price.amount_minor)), "{milk:?}");
    assert!(w.products.iter().any(|p| p.status == ProductStatus::Discontinued) || w.products.len() < 100);
    let langs: HashSet<&str> = w.customers.iter().map(|c| c.language.as_str()).collect();
    assert!(langs.contains("zh-CN") && langs.contains("en"));
    let consenting = w.customers.iter().filter(|c| c.consent.personalisation).count();
    assert!(consenting > w.customers.len() / 3 && consenting < w.customers.len() * 9 / 10);
    assert!(w.kb_articles.len() >= 20);
    assert!(w.kb_articles.iter().all(|a| a.published && !a.body.zh.is_empty() && !a.body.en.is_empty()));
}

#[test]
fn truth_matches_the_world() {
    let cfg = small();
    let truth = world_truth(&cfg);
    let w = &run().world;
    assert_eq!(truth.tastes.len(), w.customers.len());
    let leaves: HashSet<&str> =
        w.categories.iter().filter(|c| c.parent_id.is_some()).map(|c| c.external_id.as_str()).collect();
    for (t, c) in truth.tastes.iter().zip(&w.customers) {
        assert_eq!(t.customer_id, c.external_id);
        let total: f64 = t.category_affinity.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(t.category_affinity.windows(2).all(|p| p[0].1 >= p[1].1));
        assert!(t.category_affinity.iter().all(|(c, _)| leaves.contains(c.as_str())));
    }
    assert!(truth.complements.iter().all(|(a, b)| leaves.contains(a.as_str()) && leaves.contains(b.as_str())));
}

/// Kilograms of `qty` units of `sku`.
fn weight(w: &World, sku: &str, qty: i64) -> f64 {
    let p = w.products.iter().find(|p| p.external_id == sku).unwrap();
    qty as f64 * p.unit_weight_kg.unwrap()
}

fn tomorrow() -> NaiveDate {
    small().last_day().succ_opt().unwrap()
}

#[test]
fn products_have_plausible_weights_and_volumes() {
    let w = &run().world;
    for p in &w.products {
        let (kg, m3) = (p.unit_weight_kg.unwrap(), p.unit_volume_m3.unwrap());
        assert!((0.01..=25.0).contains(&kg) && (0.0001..=0.05).contains(&m3), "{p:?}");
        assert!((25.0..=1200.0).contains(&(kg / m3)), "density of {p:?}");
    }
    let find = |cat: &'static str, size: &'static str| {
        w.products.iter().filter(move |p| p.category_id == cat && p.attributes["size"].starts_with(size))
    };
    assert!(find("dairy.milk", "1L").all(|p| (1.0..1.12).contains(&p.unit_weight_kg.unwrap())));
    assert!(find("grain.rice", "5kg").all(|p| (4.8..5.3).contains(&p.unit_weight_kg.unwrap())));
    assert!(find("alcohol.wine", "750ml ").all(|p| (1.2..1.4).contains(&p.unit_weight_kg.unwrap())));
    // Tissues: light but bulky.
    assert!(find("household.paper", "").all(|p| p.unit_weight_kg.unwrap() / p.unit_volume_m3.unwrap() < 120.0));
}

#[test]
fn contracts_cover_every_product_with_its_own_supplier() {
    let w = &run().world;
    let last = small().last_day();
    let suppliers: HashSet<&str> = w.suppliers.iter().map(|s| s.external_id.as_str()).collect();
    let products: HashMap<&str, &retail_domain::Product> =
        w.products.iter().map(|p| (p.external_id.as_str(), p)).collect();
    let mut ids = HashSet::new();
    for c in &w.contracts {
        c.validate().unwrap();
        assert!(ids.insert(c.external_id.as_str()), "duplicate contract {}", c.external_id);
        assert!(suppliers.contains(c.supplier_id.as_str()) && products.contains_key(c.product_id.as_str()), "{c:?}");
        assert!(c.external_id.starts_with(&format!("CT-{}-{}", c.supplier_id, c.product_id)));
        assert!((1..=7).contains(&c.delivery_days.len()) && c.min_order_units >= i64::from(c.pack_size));
    }
    let (mut competing, mut expired) = (0, 0);
    for p in &w.products {
        let own = p.supplier_id.as_deref().unwrap();
        let mine: Vec<_> = w.contracts.iter().filter(|c| c.product_id == p.external_id).collect();
        let current: Vec<_> = mine.iter().filter(|c| c.supplier_id == own && c.is_valid_on(last)).collect();
        assert_eq!(current.len(), 1, "{}: {mine:?}", p.external_id);
        let cur = current[0];
        assert_eq!((cur.unit_cost_minor, cur.pack_size, cur.valid_to), (p.cost.amount_minor, p.pack_size, None));
        assert!((330..=400).contains(&(last - cur.valid_from).num_days()), "{cur:?}");
        for c in &mine {
            if c.supplier_id != own {
                competing += 1;
                let ratio = c.unit_cost_minor as f64 / p.cost.amount_minor as f64;
                assert!((0.93..=1.13).contains(&ratio) || p.cost.amount_minor < 20, "{c:?}");
                assert!(c.is_valid_on(last));
            } else if c.external_id != cur.external_id {
                expired += 1;
                assert!(c.valid_to.unwrap() < cur.valid_from && c.unit_cost_minor != cur.unit_cost_minor, "{c:?}");
            }
        }
    }
    let n = w.products.len();
    assert!(competing > n / 4 && competing < n * 6 / 10, "{competing} competing offers of {n}");
    assert!(expired > 0 && expired < n / 10, "{expired} expired contracts of {n}");
}

#[test]
fn tomorrows_transfers_cover_every_store_and_fit_the_fleet() {
    let w = &run().world;
    let stores: Vec<&str> =
        w.locations.iter().filter(|l| l.kind == LocationKind::Store).map(|l| l.external_id.as_str()).collect();
    let locations: HashSet<&str> = w.locations.iter().map(|l| l.external_id.as_str()).collect();
    let products: HashMap<&str, &retail_domain::Product> =
        w.products.iter().map(|p| (p.external_id.as_str(), p)).collect();
    for v in &w.vehicles {
        v.validate().unwrap();
        assert!(locations.contains(v.depot_id.as_str()));
    }
    let ids: HashSet<&str> = w.vehicles.iter().map(|v| v.external_id.as_str()).collect();
    assert_eq!(ids.len(), w.vehicles.len());
    assert!(w.vehicles.iter().any(|v| v.depot_id == "DC01") && w.vehicles.iter().any(|v| v.depot_id == "ONLINE"));
    let ids: HashSet<&str> = w.transfer_orders.iter().map(|t| t.external_id.as_str()).collect();
    assert_eq!(ids.len(), w.transfer_orders.len());
    let mut per_store: HashMap<&str, (usize, f64)> = HashMap::new();
    for t in &w.transfer_orders {
        t.validate().unwrap();
        assert_eq!((t.from_location_id.as_str(), t.status, t.deliver_on), ("DC01", TransferStatus::Open, tomorrow()));
        assert_eq!((t.created_at + Duration::hours(8)).date_naive(), small().last_day());
        let (start, end) = (t.window_start.unwrap(), t.window_end.unwrap());
        assert!(
            start >= NaiveTime::from_hms_opt(5, 0, 0).unwrap() && end <= NaiveTime::from_hms_opt(11, 0, 0).unwrap()
        );
        let e = per_store.entry(t.to_location_id.as_str()).or_default();
        for l in &t.lines {
            let p = products[l.product_id.as_str()];
            assert_eq!(l.quantity % i64::from(p.pack_size), 0, "{l:?}");
            assert!(p.shelf_life_days.is_none(), "{l:?}");
            e.1 += weight(w, &l.product_id, l.quantity);
        }
        e.0 += t.lines.len();
    }
    for s in &stores {
        let (lines, kg) = per_store[s];
        assert!((15..=60).contains(&lines) && (600.0..=3000.0).contains(&kg), "{s}: {lines} lines, {kg:.0} kg");
    }
    let total: f64 = per_store.values().map(|x| x.1).sum();
    let fleet: f64 =
        w.vehicles.iter().filter(|v| v.depot_id == "DC01").map(|v| v.capacity_kg * f64::from(v.max_trips)).sum();
    assert!(total <= 0.9 * fleet, "{total:.0} kg on a fleet of {fleet:.0} kg");
}

#[test]
fn receipts_carry_rejections_and_landed_costs() {
    let r = run();
    let importers = ["SUP03", "SUP09", "SUP16", "SUP19", "SUP22", "SUP30"];
    let mut by_supplier: HashMap<&str, (i64, i64)> = HashMap::new();
    let (mut charged, mut import_receipts) = (0, 0);
    for g in r.batches.iter().flat_map(|b| &b.receipts) {
        let sup = g.external_id.split('-').nth(2).unwrap();
        let e = by_supplier.entry(sup).or_default();
        e.0 += g.lines.iter().map(|l| l.quantity).sum::<i64>();
        e.1 += g.lines.iter().map(|l| l.rejected_quantity).sum::<i64>();
        if importers.contains(&sup) {
            import_receipts += 1;
            let kinds: Vec<ChargeKind> = g.charges.iter().map(|c| c.kind).collect();
            assert_eq!(kinds, [ChargeKind::Freight, ChargeKind::Duty, ChargeKind::Insurance], "{g:?}");
            let value: i64 =
                g.lines.iter().map(|l| (l.quantity + l.rejected_quantity) * l.unit_cost_minor.unwrap()).sum();
            let duty = g.charges[1].amount_minor as f64 / value as f64;
            assert!((0.095..=0.155).contains(&duty), "duty {duty:.3} of {g:?}");
            assert!(matches!(g.charges[0].basis, AllocationBasis::Weight | AllocationBasis::Volume));
            assert!(g.charges[0].amount_minor >= 8000);
        } else if !g.charges.is_empty() {
            assert!(["SUP06", "SUP18", "SUP27"].contains(&sup), "{g:?}");
            assert_eq!(g.charges[0].basis, AllocationBasis::Quantity);
        }
        charged += usize::from(!g.charges.is_empty());
    }
    assert!(import_receipts > 0 && charged >= import_receipts);
    let share = |(ok, bad): (i64, i64)| bad as f64 / (ok + bad) as f64;
    let all = by_supplier.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(all.1 > 0 && share(all) < 0.05, "overall rejections {:.3}", share(all));
    // The vegetable cooperative is below the 90% quality floor.
    assert!(share(by_supplier["SUP02"]) > 0.08, "SUP02 rejections {:.3}", share(by_supplier["SUP02"]));
}

#[test]
fn online_orders_have_home_deliveries_and_slots() {
    let r = run();
    let online = r.world.locations.iter().find(|l| l.external_id == "ONLINE").unwrap();
    let mut homes: HashMap<&str, (f64, f64)> = HashMap::new();
    let (mut open, mut tomorrow_slots) = (0, 0);
    for o in r.batches.iter().flat_map(|b| &b.orders) {
        let d = o.delivery.unwrap();
        let km = ((d.lat - online.lat) * 111.2).hypot((d.lon - online.lon) * 95.3);
        assert!((2.9..=25.1).contains(&km), "{km:.1} km: {o:?}");
        let home = homes.entry(o.customer_id.as_deref().unwrap()).or_insert((d.lat, d.lon));
        assert_eq!(*home, (d.lat, d.lon), "a customer lives in one place");
        assert_eq!(d.slot_end - d.slot_start, Duration::hours(2));
        let (start, end) = (d.slot_start + Duration::hours(8), d.slot_end + Duration::hours(8));
        if matches!(o.status, OrderStatus::Placed | OrderStatus::Paid | OrderStatus::Picked) {
            open += 1;
            assert_eq!(start.date_naive(), tomorrow(), "{o:?}");
            assert!(start.hour() >= 9 && end.hour() <= 21 && end.date_naive() == tomorrow(), "{o:?}");
        }
        if let Some(at) = o.shipments.first().and_then(|s| s.delivered_at) {
            assert!(d.slot_start <= at && at < d.slot_end, "{o:?}");
        }
        tomorrow_slots += usize::from(start.date_naive() == tomorrow() && o.status != OrderStatus::Cancelled);
    }
    assert!(open > 0 && tomorrow_slots >= open);
}

#[test]
fn supply_chain_data_is_deterministic() {
    let cfg = small();
    let (a, b) = (build_world(&cfg), build_world(&cfg));
    assert_eq!(format!("{:?}", a.contracts), format!("{:?}", b.contracts));
    assert_eq!(format!("{:?}", a.transfer_orders), format!("{:?}", b.transfer_orders));
    assert_eq!(a.vehicles, b.vehicles);
    assert_eq!(a, run().world);
    let other = build_world(&DemoConfig { seed: 8, ..cfg });
    assert_ne!(other.transfer_orders, a.transfer_orders);
    assert_ne!(other.contracts, a.contracts);
}
