//! The default-size world: row counts, generation time and validity at full
//! scale (release builds: `cargo test -p retail-demo --release -- --ignored --nocapture`).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::Duration as Days;
use retail_demo::{DemoConfig, build_world, simulate};
use retail_domain::{Movement, OrderStatus, Validate};

#[test]
#[ignore = "slow in debug builds; run in release"]
fn default_world_size_and_speed() {
    let cfg = DemoConfig::default();
    let start = Instant::now();
    let world = build_world(&cfg);
    let built = start.elapsed();
    let mut checking = Duration::ZERO;
    let mut movements: BTreeMap<String, usize> = BTreeMap::new();
    let mut events: BTreeMap<&str, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    let mut stock: HashMap<(String, String), i64> = HashMap::new();
    let kg: HashMap<&str, f64> =
        world.products.iter().map(|p| (p.external_id.as_str(), p.unit_weight_kg.unwrap())).collect();
    let tomorrow = cfg.last_day() + Days::days(1);
    let (mut deliveries, mut delivery_kg) = (0, 0.0);
    let stats = simulate(&cfg, &world, |b| {
        let t = Instant::now();
        let mut rows: Vec<Movement> = b.receipts.iter().flat_map(|g| g.movements()).collect();
        rows.extend(b.movements.iter().cloned());
        rows.sort_by_key(|m| m.occurred_at);
        for m in &rows {
            m.validate().unwrap();
            let on_hand = stock.entry((m.location_id.clone(), m.product_id.clone())).or_default();
            *on_hand += m.ledger_rows()[0].on_hand_delta;
            assert!(*on_hand >= 0, "negative stock after {m:?}");
        }
        for m in &b.movements {
            let what = m.movement_id.as_deref().and_then(|id| id.split(':').next()).unwrap_or("?");
            let at = if m.location_id == "ONLINE" { "@online" } else { "" };
            *movements.entry(format!("{}:{what}{at}", m.kind.as_str())).or_default() += 1;
        }
        for e in &b.events {
            e.validate().unwrap();
            *events.entry(e.kind.as_str()).or_default() += 1;
        }
        for o in &b.orders {
            o.validate().unwrap();
            *statuses.entry(o.status.as_str()).or_default() += 1;
            if matches!(o.status, OrderStatus::Placed | OrderStatus::Paid | OrderStatus::Picked) {
                let slot = o.delivery.unwrap().slot_start + Days::hours(8);
                assert_eq!(slot.date_naive(), tomorrow, "{o:?}");
                deliveries += 1;
                delivery_kg += o.lines.iter().map(|l| l.quantity as f64 * kg[l.product_id.as_str()]).sum::<f64>();
            }
        }
        b.purchase_orders.iter().for_each(|p| p.validate().unwrap());
        b.receipts.iter().for_each(|g| g.validate().unwrap());
        checking += t.elapsed();
        true
    });
    let generation = start.elapsed() - checking;
    println!(
        "locations {} categories {} suppliers {} products {} customers {} kb {}",
        world.locations.len(),
        world.categories.len(),
        world.suppliers.len(),
        world.products.len(),
        world.customers.len(),
        world.kb_articles.len()
    );
    println!("{stats:#?}");
    println!("movements by kind: {movements:?}");
    println!("events by kind: {events:?}");
    println!("orders by status: {statuses:?}");
    let transfer_kg: f64 = world
        .transfer_orders
        .iter()
        .flat_map(|t| &t.lines)
        .map(|l| l.quantity as f64 * kg[l.product_id.as_str()])
        .sum();
    let trucks: f64 = world.vehicles.iter().filter(|v| v.depot_id == "DC01").map(|v| v.capacity_kg).sum();
    let vans = world.vehicles.iter().filter(|v| v.depot_id == "ONLINE").count();
    println!(
        "contracts {} vehicles {} (vans {vans}) transfer orders {} ({transfer_kg:.0} kg on {trucks:.0} kg of trucks)",
        world.contracts.len(),
        world.vehicles.len(),
        world.transfer_orders.len()
    );
    println!("tomorrow's home deliveries {deliveries} ({delivery_kg:.0} kg)");
    world.contracts.iter().for_each(|c| c.validate().unwrap());
    world.vehicles.iter().for_each(|v| v.validate().unwrap());
    world.transfer_orders.iter().for_each(|t| t.validate().unwrap());
    // Tomorrow's loads fit the DC's trucks in one trip each, with some room.
    assert!(transfer_kg > 0.5 * trucks && transfer_kg < 0.95 * trucks, "{transfer_kg:.0} kg on {trucks:.0} kg");
    assert!((100..=400).contains(&deliveries), "{deliveries} home deliveries tomorrow");
    assert!(stats.rejected_lines > 0 && stats.receipts_with_charges > 0);
    let init_at_stores = movements.get("adjustment:init").copied().unwrap_or(0) as f64;
    println!("average store assortment: {:.0}% of SKUs", 100.0 * init_at_stores / cfg.stores as f64 / cfg.skus as f64);
    println!(
        "world {:.2}s, world + simulation {:.2}s (checks took another {:.2}s)",
        built.as_secs_f64(),
        generation.as_secs_f64(),
        checking.as_secs_f64()
    );
    assert!(stats.movements <= 5_000_000, "{} movements", stats.movements);
    assert!((100_000..=200_000).contains(&stats.orders), "{} orders", stats.orders);
    assert!((1_000_000..=2_000_000).contains(&stats.events), "{} events", stats.events);
    assert!(generation.as_secs_f64() < 30.0);
}
