//! Conformance checks for [`crate::ReportStore`]: exact figures over a small
//! hand-built world (its own locations, categories and products, all dated
//! June 2026, after everything the earlier checks wrote), and proof that the
//! rollups equal the raw ledger sums after normal, refused, repeated and bulk
//! writes.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use retail_domain::{
    Category, Currency, Location, LocationKind, Movement, MovementKind, Order, OrderChannel, OrderLine, OrderStatus,
    Product, Text,
};

use super::{category, location, product, ts};
use crate::{
    DateRange, DaySales, LedgerQuery, LogPage, StockAlertKind, StockCover, StockQuery, Store, StoreError, WriteSet,
};

const LOCATIONS: [&str; 3] = ["R-S1", "R-S2", "R-WH"];

pub async fn run(store: &dyn Store) {
    seed(store).await;
    sales_figures(store).await;
    stock_figures(store).await;
    recent_orders(store).await;
    refused_and_repeated_writes_leave_the_rollups_alone(store).await;
    bulk_writes_keep_the_rollups_in_step(store).await;
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("valid test date")
}

fn range(from: &str, to: &str) -> DateRange {
    DateRange { from: date(from), to: date(to) }
}

fn movement(
    id: &str,
    kind: MovementKind,
    location: &str,
    product: &str,
    qty: i64,
    price: Option<i64>,
    at: &str,
) -> Movement {
    Movement {
        movement_id: Some(id.into()),
        location_id: location.into(),
        product_id: product.into(),
        kind,
        quantity: qty,
        to_location_id: None,
        unit_value_minor: price,
        reference: None,
        occurred_at: ts(at),
    }
}

fn receipt(id: &str, location: &str, product: &str, qty: i64) -> Movement {
    movement(id, MovementKind::Receipt, location, product, qty, Some(100), "2026-06-01T01:00:00Z")
}

fn sale(id: &str, location: &str, product: &str, qty: i64, price: Option<i64>, at: &str) -> Movement {
    movement(id, MovementKind::Sale, location, product, qty, price, at)
}

fn order(id: &str, status: OrderStatus, product: &str, qty: i64, at: &str) -> Order {
    Order {
        delivery: None,
        external_id: id.into(),
        customer_id: None,
        channel: OrderChannel::Online,
        location_id: "R-S2".into(),
        status,
        currency: Currency::cny(),
        lines: vec![
            OrderLine { product_id: product.into(), quantity: qty, unit_price_minor: 450, discount_minor: 100 },
            OrderLine { product_id: "R-P4".into(), quantity: 1, unit_price_minor: 2000, discount_minor: 0 },
        ],
        payments: vec![],
        shipments: vec![],
        delivery_address: None,
        placed_at: ts(at),
        updated_at: None,
    }
}

/// Food › Dairy › Yoghurt and Home; R-S1 and R-S2 sell, R-WH only stores.
async fn seed(store: &dyn Store) {
    let mut w = WriteSet::default();
    w.upsert(&[
        location("R-S1"),
        location("R-S2"),
        Location { kind: LocationKind::DistributionCentre, ..location("R-WH") },
    ]);
    w.upsert(&[
        Category { name: Text::new("食品", "Food"), ..category("r-food") },
        Category { parent_id: Some("r-food".into()), ..category("r-dairy") },
        Category { parent_id: Some("r-dairy".into()), name: Text::new("酸奶", "Yoghurt"), ..category("r-yoghurt") },
        Category { name: Text::new("日用", "Home"), ..category("r-home") },
    ]);
    w.upsert::<Product>(&[
        product("R-P1", "r-yoghurt", "草莓酸奶"),
        product("R-P2", "r-dairy", "全脂牛奶"),
        product("R-P3", "r-home", "纸巾"),
        product("R-P4", "r-home", "洗衣液"),
        product("R-P5", "r-home", "拖把"),
    ]);
    w.add_movements(&[
        receipt("r-in-1", "R-S1", "R-P1", 50),
        receipt("r-in-2", "R-S1", "R-P2", 30),
        receipt("r-in-3", "R-S1", "R-P3", 8),
        receipt("r-in-4", "R-S1", "R-P4", 1000),
        receipt("r-in-5", "R-S1", "R-P5", 20),
        receipt("r-in-6", "R-S2", "R-P1", 4),
        receipt("r-in-7", "R-WH", "R-P1", 500),
        movement("r-res-1", MovementKind::Reservation, "R-S1", "R-P2", 5, None, "2026-06-01T02:00:00Z"),
        sale("r-s-1", "R-S1", "R-P1", 10, Some(500), "2026-06-01T14:00:00Z"),
        sale("r-s-2", "R-S1", "R-P2", 28, Some(1200), "2026-06-01T14:00:00Z"),
        sale("r-s-3", "R-S1", "R-P1", 6, Some(500), "2026-06-03T14:00:00Z"),
        sale("r-s-4", "R-S2", "R-P1", 2, Some(450), "2026-06-03T02:00:00Z"),
        sale("r-s-5", "R-S1", "R-P3", 8, Some(300), "2026-06-05T14:00:00Z"),
        sale("r-s-6", "R-S1", "R-P4", 1, Some(2000), "2026-06-05T14:00:00Z"),
        // Two prices for one product on one day add up in one rollup row.
        sale("r-s-7", "R-S1", "R-P1", 1, Some(500), "2026-06-05T09:00:00Z"),
        sale("r-s-8", "R-S1", "R-P1", 2, Some(450), "2026-06-05T23:59:59Z"),
        // A sale booked without a price counts its units but no revenue.
        sale("r-s-9", "R-S2", "R-P1", 1, None, "2026-06-05T03:00:00Z"),
    ]);
    w.upsert(&[
        order("R-O1", OrderStatus::Delivered, "R-P1", 2, "2026-06-03T02:00:00Z"),
        order("R-O2", OrderStatus::Cancelled, "R-P2", 1, "2026-06-05T03:00:00Z"),
        order("R-O3", OrderStatus::Paid, "R-P3", 3, "2026-06-05T04:00:00Z"),
    ]);
    store.apply(w).await.expect("seed the report world");
}

fn day(d: &str, units: i64, revenue_minor: i64, orders: i64) -> DaySales {
    DaySales { day: date(d), units, revenue_minor, orders }
}

async fn sales_figures(store: &dyn Store) {
    let days = store.sales_days().await.unwrap().expect("there are sales");
    assert_eq!(days.to, date("2026-06-05"), "the last day with sales, not today");
    assert!(days.from <= date("2026-06-01"));

    let week = range("2026-06-01", "2026-06-07");
    assert_eq!(
        store.sales_by_day(week, None, None).await.unwrap(),
        [
            day("2026-06-01", 38, 38_600, 0),
            day("2026-06-02", 0, 0, 0),
            day("2026-06-03", 8, 3_900, 1),
            day("2026-06-04", 0, 0, 0),
            day("2026-06-05", 13, 5_800, 1),
            day("2026-06-06", 0, 0, 0),
            day("2026-06-07", 0, 0, 0),
        ],
        "every day of the range, missing days as zeros; cancelled orders do not count"
    );
    assert_eq!(
        store.sales_by_day(range("2026-06-01", "2026-06-05"), Some("R-S1"), Some("R-P1")).await.unwrap(),
        [
            day("2026-06-01", 10, 5_000, 0),
            day("2026-06-02", 0, 0, 0),
            day("2026-06-03", 6, 3_000, 0),
            day("2026-06-04", 0, 0, 0),
            day("2026-06-05", 3, 1_400, 0),
        ],
        "one product's history at one store"
    );
    let p1 = store.sales_by_day(range("2026-06-03", "2026-06-05"), None, Some("R-P1")).await.unwrap();
    assert_eq!(
        p1,
        [day("2026-06-03", 8, 3_900, 1), day("2026-06-04", 0, 0, 0), day("2026-06-05", 4, 1_400, 0)],
        "a product's history counts the orders that contain it"
    );
    let r_s2 = store.sales_by_day(range("2026-06-05", "2026-06-05"), Some("R-S2"), None).await.unwrap();
    assert_eq!(r_s2, [day("2026-06-05", 1, 0, 1)]);

    let by_location = store.sales_by_location(week).await.unwrap();
    let figures: Vec<_> =
        by_location.iter().map(|l| (l.location_id.as_str(), l.units, l.revenue_minor, l.orders)).collect();
    assert_eq!(figures, [("R-S1", 56, 47_400, 0), ("R-S2", 3, 900, 2)], "highest revenue first");
    assert_eq!(by_location[0].name, Text::new("R-S1 门店", "Store R-S1"));

    let top = store.top_products(week, None, 2).await.unwrap();
    let figures: Vec<_> = top.iter().map(|p| (p.product_id.as_str(), p.units, p.revenue_minor)).collect();
    assert_eq!(figures, [("R-P2", 28, 33_600), ("R-P1", 22, 10_300)]);
    assert_eq!(top[1].name.zh, "草莓酸奶");
    let top = store.top_products(week, Some("R-S2"), 10).await.unwrap();
    assert_eq!(top.iter().map(|p| (p.product_id.as_str(), p.units)).collect::<Vec<_>>(), [("R-P1", 3)]);

    let categories = store.sales_by_category(week, None).await.unwrap();
    let figures: Vec<_> =
        categories.iter().map(|c| (c.category_id.as_str(), c.name.en.as_str(), c.units, c.revenue_minor)).collect();
    assert_eq!(
        figures,
        [("r-food", "Food", 50, 43_900), ("r-home", "Home", 9, 4_400)],
        "sub-categories two levels down roll up into their root"
    );
    let categories = store.sales_by_category(week, Some("R-S2")).await.unwrap();
    assert_eq!(categories.iter().map(|c| (c.category_id.as_str(), c.units)).collect::<Vec<_>>(), [("r-food", 3)]);

    assert!(store.sales_by_day(range("2026-06-05", "2026-06-01"), None, None).await.unwrap().is_empty());
}

fn cover(rows: &[StockCover]) -> Vec<(&str, &str, i64, i64, Option<StockAlertKind>)> {
    rows.iter().map(|r| (r.location_id.as_str(), r.product_id.as_str(), r.on_hand, r.reserved, r.alert)).collect()
}

async fn stock_figures(store: &dyn Store) {
    use StockAlertKind::{Low, Over};
    let s1 = store.location_stock("R-S1").await.unwrap();
    assert_eq!(
        cover(&s1),
        [
            ("R-S1", "R-P1", 31, 0, None),
            ("R-S1", "R-P2", 2, 5, Some(Low)),
            ("R-S1", "R-P3", 0, 0, Some(Low)),
            ("R-S1", "R-P4", 999, 0, Some(Over)),
            ("R-S1", "R-P5", 20, 0, Some(Over)),
        ],
        "cover over the 28 days ending on the last day with sales: P1 sold 19 → 45.7 days, P2 28 → 2 days"
    );
    assert_eq!(s1[0].product_name.zh, "草莓酸奶");
    assert!((s1[0].avg_daily_units - 19.0 / 28.0).abs() < 1e-9);
    assert!((s1[0].days_of_cover.unwrap() - 31.0 * 28.0 / 19.0).abs() < 1e-9);
    assert_eq!(s1[4].days_of_cover, None, "stock that did not sell has no cover figure");
    let ids = ["R-P1".to_string(), "R-P2".to_string(), "R-NONE".to_string()];
    let rolled = store.product_stock(&ids).await.unwrap();
    let summed: Vec<_> = store
        .stock(&crate::StockQuery { limit: 100_000, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .filter(|l| ids.contains(&l.product_id))
        .collect();
    assert_eq!(rolled, summed, "the rollup's stock of some products equals the ledger's sums");
    assert!(rolled.iter().any(|l| l.location_id == "R-WH" && l.product_id == "R-P1" && l.on_hand == 500));
    let warehouse = store.location_stock("R-WH").await.unwrap();
    assert_eq!(cover(&warehouse), [("R-WH", "R-P1", 500, 0, None)], "no alerts where nothing is sold");

    let alerts = store.stock_alerts(Some("R-S1"), 10).await.unwrap();
    assert_eq!(
        alerts.iter().map(|a| (a.product_id.as_str(), a.alert)).collect::<Vec<_>>(),
        [("R-P3", Some(Low)), ("R-P2", Some(Low)), ("R-P5", Some(Over)), ("R-P4", Some(Over))],
        "low first, least cover first; then over, unsold first, most cover next"
    );
    let one_each = store.stock_alerts(Some("R-S1"), 1).await.unwrap();
    assert_eq!(one_each.iter().map(|a| a.product_id.as_str()).collect::<Vec<_>>(), ["R-P3", "R-P5"]);
    let everywhere = store.stock_alerts(None, 1000).await.unwrap();
    let ours: Vec<_> = everywhere.iter().filter(|a| a.location_id.starts_with("R-")).collect();
    assert_eq!(ours.len(), 4, "R-S2 (cover 9.3 days) and the warehouse raise none: {ours:?}");
}

async fn recent_orders(store: &dyn Store) {
    let recent = store.recent_orders(Some("R-S2"), 2).await.unwrap();
    let figures: Vec<_> =
        recent.iter().map(|o| (o.order_id.as_str(), o.status, o.lines, o.units, o.total_minor)).collect();
    assert_eq!(
        figures,
        [
            ("R-O3", OrderStatus::Paid, 2, 4, 3 * 450 - 100 + 2000),
            ("R-O2", OrderStatus::Cancelled, 2, 2, 450 - 100 + 2000)
        ],
        "newest first, totals after discounts"
    );
    assert!(store.recent_orders(Some("R-S1"), 10).await.unwrap().is_empty());
    let all = store.recent_orders(None, 1000).await.unwrap();
    assert!(all.windows(2).all(|w| w[0].placed_at >= w[1].placed_at), "newest first across locations");
}

/// Every report figure of this world, to compare before and after a write.
async fn snapshot(store: &dyn Store) -> String {
    let month = range("2026-05-01", "2026-06-30");
    let mut out = format!("{:?}", store.sales_by_day(month, None, None).await.unwrap());
    out += &format!("{:?}", store.sales_by_location(month).await.unwrap());
    for l in LOCATIONS {
        out += &format!("{:?}", store.location_stock(l).await.unwrap());
    }
    out
}

/// The rollups against the raw ledger: stock per location and product from
/// [`Store::stock`], sales per day and location summed here from the sale rows.
async fn rollups_match_the_ledger(store: &dyn Store) {
    let month = range("2026-05-01", "2026-06-30");
    for l in LOCATIONS {
        let query = StockQuery { location_id: Some(l.into()), limit: 100_000, ..Default::default() };
        let raw: Vec<_> =
            store.stock(&query).await.unwrap().into_iter().map(|s| (s.product_id, s.on_hand, s.reserved)).collect();
        let rolled: Vec<_> =
            store.location_stock(l).await.unwrap().into_iter().map(|s| (s.product_id, s.on_hand, s.reserved)).collect();
        assert_eq!(rolled, raw, "stock_levels equals the ledger's sums at {l}");

        let mut raw: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
        let mut query = LedgerQuery {
            location_id: Some(l.into()),
            kind: Some(MovementKind::Sale),
            page: LogPage { limit: 1000, ..Default::default() },
            ..Default::default()
        };
        loop {
            let page = store.list_ledger(&query).await.unwrap();
            for r in &page.items {
                let sums = raw.entry(r.row.occurred_at.date_naive()).or_default();
                sums.0 -= r.row.on_hand_delta;
                sums.1 -= r.row.on_hand_delta * r.row.unit_value_minor.unwrap_or(0);
            }
            match page.next_cursor {
                Some(c) => query.page.after = Some(c),
                None => break,
            }
        }
        let rolled: BTreeMap<NaiveDate, (i64, i64)> = store
            .sales_by_day(month, Some(l), None)
            .await
            .unwrap()
            .into_iter()
            .filter(|d| d.units != 0 || d.revenue_minor != 0)
            .map(|d| (d.day, (d.units, d.revenue_minor)))
            .collect();
        assert_eq!(rolled, raw, "sales_daily equals the ledger's sale rows at {l}");
    }
}

async fn refused_and_repeated_writes_leave_the_rollups_alone(store: &dyn Store) {
    rollups_match_the_ledger(store).await;
    let before = snapshot(store).await;

    let mut refused = WriteSet::default();
    refused.add_movements(&[
        sale("r-bad-1", "R-S1", "R-P1", 5, Some(500), "2026-06-05T10:00:00Z"),
        sale("r-bad-2", "R-S1", "R-NOPE", 5, Some(500), "2026-06-05T10:00:00Z"),
    ]);
    assert!(matches!(store.apply(refused).await, Err(StoreError::UnknownReferences(_))));
    assert_eq!(snapshot(store).await, before, "a refused write adds nothing to the rollups");

    let mut retry = WriteSet::default();
    retry.add_movements(&[
        sale("r-s-1", "R-S1", "R-P1", 10, Some(500), "2026-06-01T14:00:00Z"),
        receipt("r-in-4", "R-S1", "R-P4", 1000),
    ]);
    let applied = store.apply(retry).await.unwrap();
    assert_eq!(applied.ledger_duplicates, 2);
    assert_eq!(snapshot(store).await, before, "a repeated movement id adds nothing to the rollups");
}

async fn bulk_writes_keep_the_rollups_in_step(store: &dyn Store) {
    let before = snapshot(store).await;
    let mut bulk = store.begin_bulk().await.unwrap();
    let mut w = WriteSet::default();
    w.add_movements(&[sale("r-gone", "R-S2", "R-P1", 1, Some(450), "2026-06-06T02:00:00Z")]);
    bulk.apply(w).await.unwrap();
    drop(bulk);
    assert_eq!(snapshot(store).await, before, "a rolled-back bulk write leaves the rollups as they were");

    // The demo's path: log indexes suspended, many sets in one transaction.
    store.suspend_log_indexes().await.unwrap();
    let mut bulk = store.begin_bulk().await.unwrap();
    let mut w = WriteSet::default();
    w.add_movements(&[
        receipt("r-bulk-in", "R-S2", "R-P3", 10),
        sale("r-bulk-1", "R-S2", "R-P3", 3, Some(300), "2026-06-06T02:00:00Z"),
    ]);
    bulk.apply(w).await.unwrap();
    let mut refused = WriteSet::default();
    refused.add_movements(&[sale("r-bulk-bad", "R-NOWHERE", "R-P3", 1, Some(300), "2026-06-06T02:00:00Z")]);
    assert!(bulk.apply(refused).await.is_err());
    let mut w = WriteSet::default();
    w.add_movements(&[
        sale("r-bulk-1", "R-S2", "R-P3", 3, Some(300), "2026-06-06T02:00:00Z"),
        sale("r-bulk-2", "R-S2", "R-P3", 1, Some(350), "2026-06-06T03:00:00Z"),
    ]);
    assert_eq!(bulk.apply(w).await.unwrap().ledger_duplicates, 1, "a repeat within the bulk write is skipped");
    bulk.commit().await.unwrap();
    store.restore_indexes().await.unwrap();

    let r_s2 = store.sales_by_day(range("2026-06-06", "2026-06-06"), Some("R-S2"), Some("R-P3")).await.unwrap();
    assert_eq!(r_s2, [day("2026-06-06", 4, 1_250, 0)]);
    let stock = store.location_stock("R-S2").await.unwrap();
    assert_eq!(
        stock.iter().map(|s| (s.product_id.as_str(), s.on_hand)).collect::<Vec<_>>(),
        [("R-P1", 1), ("R-P3", 6)]
    );
    assert_eq!(store.sales_days().await.unwrap().map(|d| d.to), Some(date("2026-06-06")));
    rollups_match_the_ledger(store).await;

    // A load interrupted before it restored: the next start's migrate rebuilds.
    store.suspend_log_indexes().await.unwrap();
    let mut w = WriteSet::default();
    w.add_movements(&[sale("r-cut-1", "R-S2", "R-P3", 2, Some(300), "2026-06-06T04:00:00Z")]);
    store.apply(w).await.unwrap();
    store.migrate().await.unwrap();
    let r_s2 = store.sales_by_day(range("2026-06-06", "2026-06-06"), Some("R-S2"), Some("R-P3")).await.unwrap();
    assert_eq!(r_s2, [day("2026-06-06", 6, 1_850, 0)]);
    rollups_match_the_ledger(store).await;
    let mut w = WriteSet::default();
    w.add_movements(&[sale("r-after-1", "R-S2", "R-P3", 1, Some(300), "2026-06-06T05:00:00Z")]);
    store.apply(w).await.unwrap();
    rollups_match_the_ledger(store).await;
    assert_eq!(store.location_stock("R-S2").await.unwrap()[1].on_hand, 3, "maintained again after the rebuild");
}
