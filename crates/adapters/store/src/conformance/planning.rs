//! Conformance checks for [`crate::PlanningStore`], on their own location (`PL-S1`) and days in
//! December 2026, after everything the earlier checks wrote.

use retail_domain::{
    Currency, EntityKind, Movement, MovementKind, PurchaseLine, PurchaseOrder, PurchaseOrderStatus, Supplier, Text,
};

use super::{location, ts};
use crate::{
    DateRange, ForecastRunRecord, ForecastSeriesRecord, StockoutSpan, Store, SuggestionMove, SuggestionQuery,
    SuggestionRecord, WriteSet,
};

pub async fn run(store: &dyn Store) {
    daily_sales_come_as_series(store).await;
    empty_shelves_are_tracked_as_the_ledger_moves(store).await;
    runs_keep_their_forecasts_and_supersede_waiting_suggestions(store).await;
    suggestions_move_only_from_the_expected_state(store).await;
    ordering_is_all_or_nothing(store).await;
    old_forecasts_are_dropped(store).await;
}

/// Days since 1970-01-01 of a December 2026 day.
fn december(day: i64) -> i64 {
    ts("2026-12-01T00:00:00Z").timestamp_millis() / 86_400_000 + day - 1
}

async fn daily_sales_come_as_series(store: &dyn Store) {
    let mut w = WriteSet::default();
    w.upsert(&[location("PL-S1")]);
    let sale = |id: &str, product: &str, qty: i64, at: &str| Movement {
        movement_id: Some(id.into()),
        location_id: "PL-S1".into(),
        product_id: product.into(),
        kind: MovementKind::Sale,
        quantity: qty,
        to_location_id: None,
        unit_value_minor: Some(100),
        reference: None,
        occurred_at: ts(at),
    };
    w.add_movements(&[
        sale("pl-1", "P01", 3, "2026-12-02T10:00:00Z"),
        sale("pl-2", "P01", 2, "2026-12-02T18:00:00Z"),
        sale("pl-3", "P01", 4, "2026-12-04T10:00:00Z"),
        sale("pl-4", "P02", 1, "2026-12-03T10:00:00Z"),
        sale("pl-5", "P02", 7, "2026-12-09T10:00:00Z"),
    ]);
    store.apply(w).await.expect("sales");
    let range = DateRange { from: "2026-12-01".parse().unwrap(), to: "2026-12-05".parse().unwrap() };
    let series = store.daily_sales(range, None).await.unwrap();
    let ours: Vec<_> = series.iter().filter(|s| s.location_id == "PL-S1").collect();
    assert_eq!(store.daily_sales(range, Some("PL-S1")).await.unwrap().len(), 2, "a location filter keeps its series");
    assert_eq!(ours.len(), 2, "one series per location and product with sales in the range");
    assert_eq!(
        (ours[0].product_id.as_str(), ours[0].days.as_slice()),
        ("P01", [(december(2), 5), (december(4), 4)].as_slice()),
        "a day's sales are summed, days come in order, days without sales are absent"
    );
    assert_eq!(ours[1].days, [(december(3), 1)], "days after the range are left out");
}

async fn empty_shelves_are_tracked_as_the_ledger_moves(store: &dyn Store) {
    let mut w = WriteSet::default();
    w.upsert(&[location("PL-S2")]);
    store.apply(w).await.expect("location");
    let movements = [
        ("so-1", MovementKind::Receipt, 5, "2026-12-01T09:00:00Z"),
        ("so-2", MovementKind::Sale, 5, "2026-12-03T10:00:00Z"),
        ("so-3", MovementKind::Receipt, 10, "2026-12-06T08:00:00Z"),
        ("so-4", MovementKind::Sale, 4, "2026-12-08T10:00:00Z"),
        ("so-5", MovementKind::Sale, 6, "2026-12-08T12:00:00Z"),
        ("so-6", MovementKind::Receipt, 2, "2026-12-08T16:00:00Z"),
        ("so-7", MovementKind::Sale, 2, "2026-12-10T10:00:00Z"),
    ];
    // One write per movement, as tills and receiving docks send them.
    for (id, kind, quantity, at) in movements {
        let mut w = WriteSet::default();
        w.add_movements(&[Movement {
            movement_id: Some(id.into()),
            location_id: "PL-S2".into(),
            product_id: "P10".into(),
            kind,
            quantity,
            to_location_id: None,
            unit_value_minor: Some(100),
            reference: None,
            occurred_at: ts(at),
        }]);
        store.apply(w).await.expect("movement");
    }
    let range = DateRange { from: "2026-12-02".parse().unwrap(), to: "2026-12-12".parse().unwrap() };
    let span = |from: i64, to: i64| StockoutSpan {
        location_id: "PL-S2".into(),
        product_id: "P10".into(),
        from_day: december(from),
        to_day: december(to),
    };
    // Out at the close of the 3rd until the receipt of the 6th; the 8th sold out at noon but was
    // restocked by the close; out again from the 10th, still out at the range's end.
    let expected = vec![span(3, 5), span(10, 12)];
    assert_eq!(store.stockouts(range, Some("PL-S2")).await.unwrap(), expected);
    let narrow = DateRange { from: "2026-12-04".parse().unwrap(), to: "2026-12-04".parse().unwrap() };
    assert_eq!(store.stockouts(narrow, Some("PL-S2")).await.unwrap(), [span(4, 4)], "spans are clipped to the range");
    // A bulk load rebuilds the table from the ledger: the same days.
    store.suspend_log_indexes().await.unwrap();
    store.restore_indexes().await.unwrap();
    assert_eq!(store.stockouts(range, Some("PL-S2")).await.unwrap(), expected, "the rebuild agrees");
    let all = store.stockouts(range, None).await.unwrap();
    assert!(all.iter().any(|s| s.location_id == "PL-S1"), "sales below zero on hand count as empty shelves");
}

fn suggestion(id: &str, run: &str, status: &str) -> SuggestionRecord {
    SuggestionRecord {
        suggestion_id: id.into(),
        run_id: run.into(),
        location_id: "PL-S1".into(),
        product_id: "P01".into(),
        supplier_id: Some("SUP-PL".into()),
        status: status.into(),
        created_at_ms: 1,
        updated_at_ms: 1,
        updated_by: "system".into(),
        purchase_order_id: None,
        doc: format!("{{\"id\":\"{id}\"}}"),
    }
}

fn run_record(id: &str, at: i64) -> ForecastRunRecord {
    ForecastRunRecord {
        run_id: id.into(),
        started_at_ms: at,
        finished_at_ms: at + 10,
        as_of_day: december(5),
        summary: format!("{{\"run\":\"{id}\"}}"),
    }
}

async fn statuses(store: &dyn Store, ids: &[&str]) -> Vec<String> {
    store.get_suggestions(&self::ids(ids)).await.unwrap().into_iter().map(|s| s.status).collect()
}

async fn runs_keep_their_forecasts_and_supersede_waiting_suggestions(store: &dyn Store) {
    let series = |location: &str, product: &str, category: &str| ForecastSeriesRecord {
        location_id: location.into(),
        product_id: product.into(),
        category_id: category.into(),
        doc: format!("{{\"p\":\"{product}\"}}"),
    };
    let first = [series("PL-S1", "P01", "dairy"), series("PL-S1", "P02", "dairy"), series("PL-S2", "P01", "dairy")];
    let waiting = [suggestion("sg-1", "run-1", "proposed"), suggestion("sg-2", "run-1", "exception")];
    store.save_forecast_run(&run_record("run-1", 1_000), &first, &waiting, 0).await.unwrap();
    let all = store.forecast_series("run-1", None, None, None).await.unwrap();
    assert_eq!(all, first, "a run's forecasts come back as stored, by location and product");
    let one = store.forecast_series("run-1", Some("PL-S1"), Some("P02"), None).await.unwrap();
    assert_eq!(one, [first[1].clone()], "filters narrow to one series");
    assert!(store.forecast_series("run-1", None, None, Some("bakery")).await.unwrap().is_empty());

    store.move_suggestions(&change(&ids(&["sg-1"]), &["proposed"], "approved")).await.unwrap();
    store
        .save_forecast_run(&run_record("run-2", 2_000), &first[..1], &[suggestion("sg-3", "run-2", "proposed")], 0)
        .await
        .unwrap();
    assert_eq!(
        statuses(store, &["sg-1", "sg-2", "sg-3"]).await,
        ["approved", "superseded", "proposed"],
        "a new run supersedes suggestions still waiting, not decided ones"
    );
    let runs = store.list_forecast_runs(10).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), ["run-2", "run-1"], "newest first");
    assert_eq!(runs[1], run_record("run-1", 1_000));
    assert_eq!(store.get_forecast_run("run-1").await.unwrap(), Some(run_record("run-1", 1_000)));
    assert_eq!(store.get_forecast_run("run-none").await.unwrap(), None);
    let page = store
        .list_suggestions(&SuggestionQuery {
            statuses: vec!["approved".into(), "proposed".into()],
            location_id: Some("PL-S1".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].suggestion_id, "sg-1");
    let next = store
        .list_suggestions(&SuggestionQuery {
            statuses: vec!["approved".into(), "proposed".into()],
            after: page.next_cursor.clone(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let ids: Vec<_> = next.items.iter().map(|s| s.suggestion_id.as_str()).collect();
    assert_eq!(ids, ["sg-3"], "the cursor continues after the first page, statuses filter");
    assert!(next.next_cursor.is_none());
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn change<'a>(ids: &'a [String], from: &'a [&'a str], to: &'a str) -> SuggestionMove<'a> {
    SuggestionMove { ids, from, to, by: "planner", at_ms: 5_000 }
}

async fn suggestions_move_only_from_the_expected_state(store: &dyn Store) {
    let moved =
        store.move_suggestions(&change(&ids(&["sg-1", "sg-2", "sg-3", "nope"]), &["proposed"], "rejected")).await;
    assert_eq!(moved.unwrap(), 1, "only the suggestion still proposed moves");
    let rows = store.get_suggestions(&["sg-3".to_string()]).await.unwrap();
    assert_eq!(
        (rows[0].status.as_str(), rows[0].updated_by.as_str(), rows[0].updated_at_ms),
        ("rejected", "planner", 5_000)
    );
}

fn purchase_order(id: &str) -> PurchaseOrder {
    PurchaseOrder {
        external_id: id.into(),
        supplier_id: "SUP-PL".into(),
        location_id: "PL-S1".into(),
        status: PurchaseOrderStatus::Submitted,
        currency: Currency::cny(),
        lines: vec![PurchaseLine {
            product_id: "P01".into(),
            quantity: 12,
            unit_cost_minor: 800,
            received_quantity: 0,
        }],
        created_at: ts("2026-12-05T09:00:00Z"),
        expected_at: None,
    }
}

async fn ordering_is_all_or_nothing(store: &dyn Store) {
    let supplier = Supplier {
        external_id: "SUP-PL".into(),
        name: Text::new("光明乳业", "Bright Dairy"),
        contact_name: String::new(),
        phone: None,
        email: None,
        lead_time_days: 2.0,
        lead_time_std_days: 0.5,
        min_order_minor: 0,
        currency: Currency::cny(),
        active: true,
    };
    let mut w = WriteSet::default();
    w.upsert(&[supplier]);
    store.apply(w).await.unwrap();

    let orders = |po: &str| {
        let mut w = WriteSet::default();
        w.upsert(&[purchase_order(po)]);
        w
    };
    let links = [("sg-1".to_string(), "PO-PL-1".to_string()), ("sg-2".to_string(), "PO-PL-1".to_string())];
    let refused = store.order_suggestions(orders("PO-PL-1"), &links, "planner", 6_000).await.unwrap();
    assert!(refused.is_none(), "a suggestion that is not approved refuses the whole order");
    assert!(store.get_doc(EntityKind::PurchaseOrder, "PO-PL-1").await.unwrap().is_none(), "and nothing was written");
    assert_eq!(statuses(store, &["sg-1"]).await, ["approved"]);

    let applied = store.order_suggestions(orders("PO-PL-1"), &links[..1], "planner", 6_000).await.unwrap();
    assert_eq!(applied.expect("approved suggestions are ordered").inserted, 1);
    let rows = store.get_suggestions(&["sg-1".to_string()]).await.unwrap();
    assert_eq!((rows[0].status.as_str(), rows[0].purchase_order_id.as_deref()), ("ordered", Some("PO-PL-1")));
    assert!(store.get_doc(EntityKind::PurchaseOrder, "PO-PL-1").await.unwrap().is_some());
    let again = store.order_suggestions(orders("PO-PL-2"), &links[..1], "planner", 7_000).await.unwrap();
    assert!(again.is_none(), "an ordered suggestion is not ordered twice");
}

async fn old_forecasts_are_dropped(store: &dyn Store) {
    let kept = store.forecast_series("run-2", None, None, None).await.unwrap();
    let later = ForecastRunRecord { as_of_day: december(40), ..run_record("run-3", 3_000) };
    store.save_forecast_run(&later, &kept, &[], december(6)).await.unwrap();
    assert!(
        store.forecast_series("run-1", None, None, None).await.unwrap().is_empty(),
        "forecasts of runs older than the kept window are dropped"
    );
    assert_eq!(store.forecast_series("run-3", None, None, None).await.unwrap(), kept, "the new run's stay");
    assert_eq!(store.list_forecast_runs(10).await.unwrap().len(), 3, "summaries stay");
}
