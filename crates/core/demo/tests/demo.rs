//! Properties of a small demo world: valid, closed under references,
//! deterministic, physically possible, and carrying the planted signals.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate, Weekday};
use retail_demo::{COMPLEMENTS, DayBatch, DemoConfig, World, build_world, simulate, world_truth};
use retail_domain::{EventKind, LocationKind, MovementKind, OrderStatus, ProductStatus, Validate};

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
