//! The supply chain end to end on a small world whose answers are known: tomorrow's store
//! deliveries from a distribution centre (one store's goods too heavy for any truck, one store's
//! window closed before the trucks leave), re-planning when a transfer changes, 160 home deliveries
//! solved by the background solver, submitted problems and their bad input, supplier scorecards
//! from purchase orders and receipts, landed cost, price variance and inventory cost. On SQLite,
//! and on PostgreSQL when it is configured.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use retail_app::logistics::delivery::{self, PlanRequest, PlanScope};
use retail_app::logistics::problem::{DeliveryProblem, ImportedMatrix, manifest_csv};
use retail_app::logistics::{costs, suppliers};
use retail_app::testing::TempPlatform;
use retail_app::{Config, ServiceError, service};
use retail_domain::{
    Contract, GoodsReceipt, Location, Order, Product, PurchaseOrder, Supplier, TransferOrder, TransferStatus, Vehicle,
};
use retail_supply::Band;
use serde_json::json;

const HOME_ORDERS: usize = 160;

/// Tomorrow: the day a planner plans for.
fn day() -> NaiveDate {
    Utc::now().date_naive() + chrono::Days::new(1)
}

/// Local Shanghai time on the delivery day, in UTC.
fn at(h: u32, m: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day().and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()))
        .unwrap()
        .with_timezone(&Utc)
}

async fn world(p: &TempPlatform) {
    let mut locations = vec![
        json!({"external_id": "DC1", "kind": "distribution_centre", "name": {"zh": "嘉定配送中心", "en": "Jiading DC"},
               "lat": 31.38, "lon": 121.25, "timezone": "Asia/Shanghai"}),
        json!({"external_id": "WEB", "kind": "online", "name": {"zh": "网店", "en": "Web shop"},
               "lat": 31.23, "lon": 121.47, "timezone": "Asia/Shanghai"}),
    ];
    for i in 0..8 {
        locations.push(json!({"external_id": format!("S{i}"), "kind": "store",
            "name": {"zh": format!("门店{i}"), "en": format!("Store {i}")},
            "lat": 31.10 + 0.04 * f64::from(i), "lon": 121.30 + 0.03 * f64::from(i % 4), "timezone": "Asia/Shanghai"}));
    }
    let locations: Vec<Location> = serde_json::from_value(json!(locations)).unwrap();
    service::upsert(p, &locations).await.unwrap();
    let categories: Vec<retail_domain::Category> = serde_json::from_value(json!([
        {"external_id": "drinks", "name": {"zh": "饮料", "en": "Drinks"}, "consumable": true, "perishable": false}
    ]))
    .unwrap();
    service::upsert(p, &categories).await.unwrap();
    let suppliers: Vec<Supplier> = serde_json::from_value(json!([
        {"external_id": "GOOD", "name": {"zh": "好供应商", "en": "Good"}, "lead_time_days": 2.0, "currency": "CNY"},
        {"external_id": "LATE", "name": {"zh": "慢供应商", "en": "Late"}, "lead_time_days": 2.0, "currency": "CNY"}
    ]))
    .unwrap();
    service::upsert(p, &suppliers).await.unwrap();
    let products: Vec<Product> = serde_json::from_value(json!([
        {"external_id": "WATER", "name": {"zh": "矿泉水", "en": "Water"}, "category_id": "drinks",
         "price": {"amount_minor": 300, "currency": "CNY"}, "cost": {"amount_minor": 100, "currency": "CNY"},
         "pack_size": 24, "status": "active", "unit_weight_kg": 0.55, "unit_volume_m3": 0.0006, "supplier_id": "GOOD"},
        {"external_id": "WINE", "name": {"zh": "葡萄酒", "en": "Wine"}, "category_id": "drinks",
         "price": {"amount_minor": 12000, "currency": "CNY"}, "cost": {"amount_minor": 6000, "currency": "CNY"},
         "pack_size": 6, "status": "active", "unit_weight_kg": 1.3, "unit_volume_m3": 0.0012, "supplier_id": "LATE"}
    ]))
    .unwrap();
    service::upsert(p, &products).await.unwrap();
    let vehicles: Vec<Vehicle> = serde_json::from_value(json!([
        {"external_id": "T1", "name": {"zh": "货车1", "en": "Truck 1"}, "depot_id": "DC1", "capacity_kg": 3000.0,
         "currency": "CNY", "fixed_cost_minor": 80000, "cost_per_km_minor": 450, "cost_per_hour_minor": 6000,
         "shift_start": "04:00:00", "shift_end": "14:00:00"},
        {"external_id": "T2", "name": {"zh": "货车2", "en": "Truck 2"}, "depot_id": "DC1", "capacity_kg": 3000.0,
         "currency": "CNY", "fixed_cost_minor": 80000, "cost_per_km_minor": 450, "cost_per_hour_minor": 6000,
         "shift_start": "04:00:00", "shift_end": "14:00:00"},
        {"external_id": "V1", "name": {"zh": "面包车1", "en": "Van 1"}, "depot_id": "WEB", "capacity_kg": 800.0,
         "currency": "CNY", "fixed_cost_minor": 35000, "cost_per_km_minor": 180, "cost_per_hour_minor": 4500,
         "shift_start": "08:00:00", "shift_end": "21:00:00", "max_trips": 2},
        {"external_id": "V2", "name": {"zh": "面包车2", "en": "Van 2"}, "depot_id": "WEB", "capacity_kg": 800.0,
         "currency": "CNY", "fixed_cost_minor": 35000, "cost_per_km_minor": 180, "cost_per_hour_minor": 4500,
         "shift_start": "08:00:00", "shift_end": "21:00:00", "max_trips": 2}
    ]))
    .unwrap();
    service::upsert(p, &vehicles).await.unwrap();
    let transfer = |store: usize, units: i64, window: (&str, &str)| {
        json!({"external_id": format!("TO-{store}"), "from_location_id": "DC1", "to_location_id": format!("S{store}"),
               "status": "open", "deliver_on": day(), "window_start": window.0, "window_end": window.1,
               "lines": [{"product_id": "WATER", "quantity": units}], "created_at": "2026-11-30T08:00:00Z"})
    };
    let mut transfers: Vec<serde_json::Value> = (0..6).map(|s| transfer(s, 480, ("05:00:00", "11:00:00"))).collect();
    // 12,000 units of water weigh 6,600 kg: more than either truck carries.
    transfers.push(transfer(6, 12_000, ("05:00:00", "11:00:00")));
    // Closes before the trucks leave at 04:00.
    transfers.push(transfer(7, 240, ("02:00:00", "03:00:00")));
    let transfers: Vec<TransferOrder> = serde_json::from_value(json!(transfers)).unwrap();
    service::upsert(p, &transfers).await.unwrap();

    let orders: Vec<Order> = (0..HOME_ORDERS)
        .map(|i| {
            let slot = 9 + 2 * (i % 6) as u32;
            let angle = i as f64 * 0.7;
            let reach = 0.02 + 0.0006 * i as f64;
            serde_json::from_value(json!({
                "external_id": format!("H{i:03}"), "channel": "online", "location_id": "WEB", "status": "paid",
                "currency": "CNY", "lines": [{"product_id": "WATER", "quantity": 6, "unit_price_minor": 300}],
                "placed_at": "2026-11-30T10:00:00Z",
                "delivery": {"lat": 31.23 + reach * angle.sin(), "lon": 121.47 + reach * angle.cos(),
                             "slot_start": at(slot, 0), "slot_end": at(slot + 2, 0)}
            }))
            .unwrap()
        })
        .collect();
    service::upsert(p, &orders).await.unwrap();
}

async fn store_deliveries_are_planned_costed_and_replanned(p: &TempPlatform) {
    let request = PlanRequest { scope: PlanScope::Store, depot_id: "DC1".into(), date: day(), time_limit_s: Some(1.0) };
    let first = delivery::plan_day(p, &request, "planner").await.unwrap();
    assert_eq!(first.status, "ready", "eight stops are solved while the planner waits");
    let plan = first.plan.clone().expect("a ready plan has its routes");
    assert_eq!(plan.totals.stops, 6, "six stores fit the trucks and their windows");
    let reasons: Vec<(&str, &str)> = plan.unassigned.iter().map(|u| (u.stop_id.as_str(), u.reason.as_str())).collect();
    assert_eq!(reasons, [("S6", "capacity_exceeded"), ("S7", "time_window_unreachable")]);
    for r in &plan.routes {
        assert!(r.load_kg <= r.capacity_kg, "{} carries {} kg of {}", r.route_id, r.load_kg, r.capacity_kg);
        assert!(r.departure >= at(4, 0) && r.return_at <= at(14, 0), "{} stays inside its shift", r.route_id);
        for s in &r.stops {
            assert!(s.service_start >= at(5, 0) && s.service_start <= at(11, 0), "{} unloads in its window", s.stop_id);
            assert_eq!(s.demand_kg, 264.0, "480 bottles of 0.55 kg");
            assert_eq!(s.cases, 20, "480 bottles are 20 cases of 24");
        }
        let shares: i64 = r.stops.iter().map(|s| s.cost_minor).sum();
        assert_eq!(shares, r.cost_minor, "the stops' shares add up to the route's cost");
        let expected = r.fixed_minor + (r.distance_km * 450.0).round() as i64 + (r.duration_h * 6000.0).round() as i64;
        assert!((r.cost_minor - expected).abs() <= 1, "fixed + ¥4.50/km + ¥60/h: {} vs {expected}", r.cost_minor);
    }
    assert_eq!(plan.totals.cost_minor, plan.routes.iter().map(|r| r.cost_minor).sum::<i64>());
    let csv = manifest_csv(&plan);
    assert_eq!(csv.lines().count(), 7, "a header and one row per stop");
    assert!(csv.starts_with("vehicle,trip,sequence,stop"));
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let eta: DateTime<Utc> = row[8].parse().unwrap();
    let local = eta.with_timezone(&chrono_tz::Asia::Shanghai).format("%H:%M").to_string();
    assert_eq!(row[9], local, "the manifest shows the depot's clock beside the UTC time");
    assert_eq!(plan.timezone, "Asia/Shanghai");

    let again = delivery::get(p, &first.plan_id, true).await.unwrap();
    assert_eq!(again.stale, Some(false), "nothing changed since");
    let mut changed: TransferOrder =
        serde_json::from_value(service::get(p, retail_domain::EntityKind::TransferOrder, "TO-3").await.unwrap().doc)
            .unwrap();
    changed.lines[0].quantity = 960;
    service::upsert(p, &[changed]).await.unwrap();
    assert_eq!(delivery::get(p, &first.plan_id, true).await.unwrap().stale, Some(true), "a transfer changed");
    let second = delivery::replan(p, &first.plan_id, "planner").await.unwrap();
    assert_eq!(second.status, "ready");
    let s3 = second.plan.unwrap().routes.into_iter().flat_map(|r| r.stops).find(|s| s.stop_id == "S3").unwrap();
    assert_eq!(s3.demand_kg, 528.0, "the new plan carries the changed transfer");
    assert_eq!(delivery::get(p, &first.plan_id, false).await.unwrap().status, "superseded");

    let mut cancelled: TransferOrder =
        serde_json::from_value(service::get(p, retail_domain::EntityKind::TransferOrder, "TO-7").await.unwrap().doc)
            .unwrap();
    cancelled.status = TransferStatus::Cancelled;
    service::upsert(p, &[cancelled]).await.unwrap();
    let third = delivery::replan(p, &second.plan_id, "planner").await.unwrap();
    assert_eq!(third.plan.unwrap().unassigned.len(), 1, "a cancelled transfer is not planned");

    let nothing = PlanRequest { date: day() + chrono::Days::new(1), ..request };
    let err = delivery::plan_day(p, &nothing, "planner").await.unwrap_err();
    assert!(err.to_string().contains("no open transfer orders"), "{err}");
}

async fn home_deliveries_go_to_the_background_solver(p: &TempPlatform) {
    let request = PlanRequest { scope: PlanScope::Home, depot_id: "WEB".into(), date: day(), time_limit_s: Some(2.0) };
    let queued = delivery::plan_day(p, &request, "planner").await.unwrap();
    assert_eq!(queued.status, "queued", "{HOME_ORDERS} stops are more than are solved while waiting");
    assert!(delivery::solve_next(p).await.unwrap(), "the solver takes the queued plan");
    assert!(!delivery::solve_next(p).await.unwrap(), "and nothing else is waiting");
    let ready = delivery::get(p, &queued.plan_id, false).await.unwrap();
    assert_eq!(ready.status, "ready", "{:?}", ready.error);
    let plan = ready.plan.unwrap();
    assert_eq!(plan.totals.stops + plan.totals.unassigned, HOME_ORDERS);
    for r in &plan.routes {
        for s in &r.stops {
            let (a, b) = (s.window_start.unwrap(), s.window_end.unwrap());
            assert!(s.service_start >= a && s.service_start <= b, "{} is served in its slot", s.stop_id);
        }
        assert!(r.load_kg <= 800.0);
    }
    let trips: std::collections::HashSet<(String, u32)> =
        plan.routes.iter().map(|r| (r.vehicle_id.clone(), r.trip)).collect();
    assert_eq!(trips.len(), plan.routes.len(), "each trip of a van is driven once");
    let fixed: i64 = plan.routes.iter().map(|r| r.fixed_minor).sum();
    let vans = plan.routes.iter().map(|r| &r.vehicle_id).collect::<std::collections::HashSet<_>>().len() as i64;
    assert_eq!(fixed, 35_000 * vans, "a van's day is paid once however many trips it makes");
}

fn problem() -> DeliveryProblem {
    serde_json::from_value(json!({
        "name": "test",
        "depots": [{"id": "D", "lat": 31.2, "lon": 121.4}],
        "vehicles": [{"id": "K", "depot_id": "D", "capacity_kg": 100.0, "cost_per_km_minor": 100,
                      "shift_start": "2026-12-01T00:00:00Z", "shift_end": "2026-12-01T10:00:00Z"}],
        "stops": [{"id": "A", "lat": 31.21, "lon": 121.41, "demand_kg": 10.0},
                  {"id": "B", "lat": 31.22, "lon": 121.39, "demand_kg": 20.0}],
        "time_limit_s": 0.5
    }))
    .unwrap()
}

fn fields(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(v) => v.0.into_iter().map(|x| format!("{}: {}", x.field, x.message)).collect(),
        other => panic!("expected invalid input, got {other}"),
    }
}

async fn submitted_problems_and_their_bad_input(p: &TempPlatform) {
    let solved = delivery::submit(p, PlanScope::Api, None, None, problem(), "api").await.unwrap();
    assert_eq!(solved.plan.unwrap().totals.stops, 2);

    let mut matrix = problem();
    matrix.vehicles[0].trips = 2;
    // Depot, A, B: A and B are 50 km apart by road; the depot is 1 km from each.
    matrix.matrix = Some(ImportedMatrix {
        km: vec![0.0, 1.0, 1.0, 1.0, 0.0, 50.0, 1.0, 50.0, 0.0],
        minutes: vec![0.0, 5.0, 5.0, 5.0, 0.0, 90.0, 5.0, 90.0, 0.0],
    });
    let plan = delivery::submit(p, PlanScope::Api, None, None, matrix.clone(), "api").await.unwrap().plan.unwrap();
    assert_eq!(plan.totals.distance_km, 4.0, "the imported road distances are used: two trips beat one");

    let mut bad = matrix.clone();
    bad.matrix.as_mut().unwrap().km[5] = -3.0;
    let e = fields(delivery::submit(p, PlanScope::Api, None, None, bad, "api").await.unwrap_err());
    assert!(e[0].contains("matrix.km") && e[0].contains("\"A\" to \"B\""), "{e:?}");
    let mut bad = matrix;
    bad.matrix.as_mut().unwrap().minutes[1] = f64::NAN;
    let e = fields(delivery::submit(p, PlanScope::Api, None, None, bad, "api").await.unwrap_err());
    assert!(e[0].contains("matrix.minutes"), "{e:?}");

    let mut none = problem();
    none.vehicles.clear();
    let e = fields(delivery::submit(p, PlanScope::Api, None, None, none, "api").await.unwrap_err());
    assert!(e.iter().any(|f| f.starts_with("vehicles: no vehicles")), "{e:?}");

    let mut odd = problem();
    odd.stops[1].id = "A".into();
    odd.stops[0].lat = 95.0;
    odd.stops[1].lon = f64::NAN;
    odd.stops[1].demand_kg = -1.0;
    let e = fields(delivery::submit(p, PlanScope::Api, None, None, odd, "api").await.unwrap_err());
    assert!(e.iter().any(|f| f.starts_with("stops[0].lat")), "{e:?}");
    assert!(e.iter().any(|f| f.starts_with("stops[1].id: duplicate id")), "{e:?}");
    assert!(e.iter().any(|f| f.starts_with("stops[1].lon")), "{e:?}");
    assert!(e.iter().any(|f| f.starts_with("stops[1].demand_kg")), "{e:?}");

    let mut heavy = problem();
    heavy.stops[0].demand_kg = 500.0;
    heavy.stops[1].window_start = Some("2026-12-02T01:00:00Z".parse().unwrap());
    heavy.stops[1].window_end = Some("2026-12-02T02:00:00Z".parse().unwrap());
    let plan = delivery::submit(p, PlanScope::Api, None, None, heavy, "api").await.unwrap().plan.unwrap();
    let reasons: Vec<&str> = plan.unassigned.iter().map(|u| u.reason.as_str()).collect();
    assert_eq!(reasons, ["capacity_exceeded", "time_window_unreachable"], "named, not fatal");
    assert!(plan.unassigned[0].message.contains("500.0 kg"));
}

async fn suppliers_are_scored_and_costs_analysed(p: &TempPlatform) {
    let now = Utc::now();
    let contracts: Vec<Contract> = serde_json::from_value(json!([
        {"external_id": "CT-GOOD-WATER", "supplier_id": "GOOD", "product_id": "WATER", "currency": "CNY",
         "unit_cost_minor": 100, "pack_size": 24, "lead_time_days": 2.0, "valid_from": "2020-01-01"},
        {"external_id": "CT-LATE-WATER", "supplier_id": "LATE", "product_id": "WATER", "currency": "CNY",
         "unit_cost_minor": 105, "pack_size": 24, "lead_time_days": 2.0, "valid_from": "2020-01-01"},
        {"external_id": "CT-LATE-WINE", "supplier_id": "LATE", "product_id": "WINE", "currency": "CNY",
         "unit_cost_minor": 6000, "pack_size": 6, "lead_time_days": 2.0, "valid_from": "2020-01-01"}
    ]))
    .unwrap();
    service::upsert(p, &contracts).await.unwrap();
    let mut orders = Vec::new();
    let mut receipts = Vec::new();
    for k in 0..6 {
        let created = now - Duration::days(40 - 5 * k);
        let promised = created + Duration::days(2);
        for (supplier, product, paid) in [("GOOD", "WATER", 100), ("LATE", "WATER", 110)] {
            let id = format!("PO-{supplier}-{k}");
            orders.push(json!({"external_id": id, "supplier_id": supplier, "location_id": "S0", "status": "received",
                "currency": "CNY", "lines": [{"product_id": product, "quantity": 240, "unit_cost_minor": paid,
                "received_quantity": 240}], "created_at": created, "expected_at": promised}));
            let (arrived, rejected) =
                if supplier == "GOOD" { (promised, 0) } else { (promised + Duration::days(3), 30) };
            let mut charges = json!([]);
            if k == 0 && supplier == "LATE" {
                charges = json!([{"kind": "freight", "amount_minor": 2400, "basis": "weight"},
                                 {"kind": "duty", "amount_minor": 1000, "basis": "value"}]);
            }
            receipts.push(json!({"external_id": format!("GR-{supplier}-{k}"), "purchase_order_id": id,
                "location_id": "S0", "received_at": arrived, "charges": charges,
                "lines": [{"product_id": product, "quantity": 240 - rejected, "rejected_quantity": rejected,
                           "unit_cost_minor": paid}]}));
        }
    }
    let orders: Vec<PurchaseOrder> = serde_json::from_value(json!(orders)).unwrap();
    let receipts: Vec<GoodsReceipt> = serde_json::from_value(json!(receipts)).unwrap();
    service::upsert(p, &orders).await.unwrap();
    service::upsert(p, &receipts).await.unwrap();

    let cards = suppliers::scorecards(p, 13).await.unwrap();
    let card = |id: &str| cards.suppliers.iter().find(|c| c.scorecard.supplier_id == id).unwrap().scorecard.clone();
    let (good, late) = (card("GOOD"), card("LATE"));
    assert_eq!((good.otif_rate, good.fill_rate, good.quality_rate), (Some(1.0), Some(1.0), Some(1.0)));
    assert_eq!(good.price_index, Some(100.0), "always the best offer");
    assert_eq!(good.band, Band::Excellent);
    assert_eq!(late.on_time_rate, Some(0.0), "three days late every time");
    assert_eq!(late.quality_rate, Some(210.0 / 240.0), "30 of 240 refused at the dock");
    assert_eq!(late.fill_rate, Some(210.0 / 240.0));
    assert_eq!(late.price_index, Some(110.0), "paid ¥1.10 where ¥1.00 was on offer");
    assert_eq!(late.band, Band::Blocked, "quality under the floor");
    assert!(!late.reasons.is_empty());
    assert_eq!(cards.suppliers[0].scorecard.supplier_id, "GOOD", "best first");
    let trend = suppliers::supplier_trend(p, "LATE", 8).await.unwrap();
    assert_eq!(trend.weeks.len(), 8);
    assert_eq!(trend.current.as_ref().map(|c| c.band), Some(Band::Blocked), "the window's card comes with the trend");
    assert_eq!(trend.current.unwrap().quality_rate, late.quality_rate);
    assert!(matches!(suppliers::supplier_trend(p, "NOBODY", 8).await, Err(ServiceError::NotFound { .. })));
    assert!(matches!(suppliers::scorecards(p, 0).await, Err(ServiceError::Invalid(_))));

    let landed = costs::landed(p, 90).await.unwrap();
    assert_eq!(landed.receipts, 1);
    let water = &landed.products[0];
    assert_eq!((water.units, water.purchase_minor), (210, 210 * 110));
    assert_eq!((water.freight_minor, water.duty_minor), (2400, 1000), "a one-line receipt carries every charge");
    assert_eq!(water.landed_minor, 210 * 110 + 3400);

    let variance = costs::price_variance_report(p, 90).await.unwrap();
    let late_v = variance.by_supplier.iter().find(|s| s.key == "LATE").unwrap();
    assert_eq!((late_v.lines, late_v.above_contract, late_v.variance_minor), (6, 6, 6 * 240 * 5));
    let good_v = variance.by_supplier.iter().find(|s| s.key == "GOOD").unwrap();
    assert_eq!(good_v.variance_minor, 0);

    let inventory = costs::inventory(p, "S0", 90).await.unwrap();
    let water = inventory.products.iter().find(|c| c.product_id == "WATER").unwrap();
    assert_eq!(water.ordering_minor, 12 * costs::ORDERING_COST_MINOR, "twelve order lines");
    assert!(water.holding_minor > 0 && water.average_on_hand > 0.0);
    assert!(matches!(costs::inventory(p, "NOWHERE", 90).await, Err(ServiceError::NotFound { .. })));

    let transport = costs::transport(p, 30).await.unwrap();
    assert!(transport.cost_minor > 0, "the ready plans are costed");
    let s0 = transport.destinations.iter().find(|d| d.stop_id == "S0").unwrap();
    assert_eq!(s0.cases, 20);
}

async fn scenario(p: &TempPlatform) {
    world(p).await;
    store_deliveries_are_planned_costed_and_replanned(p).await;
    home_deliveries_go_to_the_background_solver(p).await;
    submitted_problems_and_their_bad_input(p).await;
    suppliers_are_scored_and_costs_analysed(p).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supply_chain_on_sqlite() {
    let p = TempPlatform::embedded("logistics").await;
    scenario(&p).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supply_chain_on_postgres() {
    let Some(pg) = retail_testenv::backend_url("RETAIL_TEST_POSTGRES_URL") else { return };
    let admin = retail_store::connect(&pg, 1).await.unwrap();
    let schema = retail_testenv::unique_name("lg");
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(admin.pool()).await.unwrap();
    let sep = if pg.contains('?') { '&' } else { '?' };
    let dir = std::env::temp_dir().join(&schema);
    let config = Config {
        database_url: format!("{pg}{sep}options=-c%20search_path%3D{schema}"),
        data_dir: dir.clone(),
        ..Config::default()
    };
    let p = TempPlatform::with_config(config, dir).await;
    scenario(&p).await;
    drop(p);
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(admin.pool()).await.unwrap();
}
