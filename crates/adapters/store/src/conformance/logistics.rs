//! Conformance checks for [`crate::LogisticsStore`]: delivery plans leased once and replaced by the
//! next ready plan of their day, and the purchase and stock history read on their own location
//! (`LG-S1`) in January 2027, after everything the earlier checks wrote (supplier `SUP-PL`, `P01`).

use retail_domain::{
    Currency, GoodsReceipt, Movement, MovementKind, PurchaseLine, PurchaseOrder, PurchaseOrderStatus, ReceiptLine,
};

use super::{location, ts};
use crate::{DeliveryPlanRecord, PlanFigures, PlanQuery, Store, WriteSet};

pub async fn run(store: &dyn Store) {
    plans_are_leased_once_and_the_latest_ready_one_stands(store).await;
    purchase_orders_come_with_their_receipts(store).await;
    stock_history_starts_from_the_opening_balance(store).await;
}

fn ms(s: &str) -> i64 {
    ts(s).timestamp_millis()
}

fn plan(id: &str, scope: &str, created: &str) -> DeliveryPlanRecord {
    DeliveryPlanRecord {
        plan_id: id.into(),
        scope: scope.into(),
        depot_id: Some("DC-LG".into()),
        service_date: Some("2027-01-10".into()),
        status: "queued".into(),
        fingerprint: format!("fp-{id}"),
        created_at_ms: ms(created),
        created_by: "planner".into(),
        finished_at_ms: None,
        routes: None,
        stops: None,
        unassigned: None,
        distance_m: None,
        cost_minor: None,
        problem: format!(r#"{{"plan":"{id}"}}"#),
        plan: None,
        error: None,
    }
}

const FIGURES: PlanFigures = PlanFigures { routes: 2, stops: 9, unassigned: 1, distance_m: 81_000, cost_minor: 95_000 };

async fn plans_are_leased_once_and_the_latest_ready_one_stands(store: &dyn Store) {
    store.insert_plan(&plan("DP-1", "store", "2027-01-09T10:00:00Z")).await.unwrap();
    store.insert_plan(&plan("DP-2", "store", "2027-01-09T11:00:00Z")).await.unwrap();
    store.insert_plan(&plan("DP-H", "home", "2027-01-09T12:00:00Z")).await.unwrap();
    let now = ms("2027-01-09T12:00:00Z");

    let first = store.claim_plan(now, now + 60_000).await.unwrap().expect("oldest queued plan");
    assert_eq!((first.plan_id.as_str(), first.status.as_str()), ("DP-1", "solving"));
    assert_eq!(first.problem, r#"{"plan":"DP-1"}"#, "a claimed plan carries its problem");
    let second = store.claim_plan(now, now + 60_000).await.unwrap().expect("next queued plan");
    assert_eq!(second.plan_id, "DP-2", "a leased plan is not handed out twice");
    let third = store.claim_plan(now, now + 60_000).await.unwrap().expect("the home plan");
    assert_eq!(third.plan_id, "DP-H");
    assert!(store.claim_plan(now, now + 60_000).await.unwrap().is_none(), "nothing left to lease");
    let later = now + 120_000;
    let again = store.claim_plan(later, later + 60_000).await.unwrap().expect("an expired lease is taken again");
    assert_eq!(again.plan_id, "DP-1");

    assert!(store.finish_plan("DP-1", Ok((r#"{"routes":[]}"#, FIGURES)), later).await.unwrap());
    assert!(!store.finish_plan("DP-1", Err("late"), later).await.unwrap(), "a finished plan stays finished");
    assert!(store.finish_plan("DP-H", Ok(("{}", FIGURES)), later).await.unwrap());
    assert!(store.finish_plan("DP-2", Ok(("{}", FIGURES)), later + 1).await.unwrap());
    let status = |id: &'static str| async move { store.get_plan(id).await.unwrap().expect("stored").status };
    assert_eq!(status("DP-1").await, "superseded", "the next ready plan of the same day replaces it");
    assert_eq!(status("DP-2").await, "ready");
    assert_eq!(status("DP-H").await, "ready", "home deliveries are planned apart from store deliveries");

    store.insert_plan(&plan("DP-3", "store", "2027-01-09T13:00:00Z")).await.unwrap();
    assert!(store.finish_plan("DP-3", Err("no vehicles at DC-LG"), later).await.unwrap());
    let failed = store.get_plan("DP-3").await.unwrap().expect("stored");
    assert_eq!((failed.status.as_str(), failed.error.as_deref()), ("failed", Some("no vehicles at DC-LG")));
    assert_eq!(status("DP-2").await, "ready", "a failed plan replaces nothing");

    let ready = store.get_plan("DP-2").await.unwrap().expect("stored");
    assert_eq!(
        (ready.routes, ready.stops, ready.unassigned, ready.distance_m, ready.cost_minor),
        (Some(2), Some(9), Some(1), Some(81_000), Some(95_000))
    );
    let query = PlanQuery {
        scope: Some("store".into()),
        statuses: vec!["ready".into(), "failed".into()],
        limit: 10,
        ..PlanQuery::default()
    };
    let listed = store.list_plans(&query).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.plan_id.as_str()).collect::<Vec<_>>(), ["DP-3", "DP-2"], "newest first");
    assert!(listed.iter().all(|p| p.problem.is_empty() && p.plan.is_none()), "listings leave the bodies out");
    let one = PlanQuery { service_date: Some("2027-01-10".into()), limit: 1, ..PlanQuery::default() };
    assert_eq!(store.list_plans(&one).await.unwrap().len(), 1);
}

fn purchase_order(id: &str, created: &str) -> PurchaseOrder {
    PurchaseOrder {
        external_id: id.into(),
        supplier_id: "SUP-PL".into(),
        location_id: "LG-S1".into(),
        status: PurchaseOrderStatus::Received,
        currency: Currency::cny(),
        lines: vec![PurchaseLine {
            product_id: "P01".into(),
            quantity: 24,
            unit_cost_minor: 800,
            received_quantity: 20,
        }],
        created_at: ts(created),
        expected_at: Some(ts("2027-01-06T08:00:00Z")),
    }
}

fn receipt(id: &str, po: &str, qty: i64, rejected: i64, at: &str) -> GoodsReceipt {
    GoodsReceipt {
        external_id: id.into(),
        purchase_order_id: Some(po.into()),
        location_id: "LG-S1".into(),
        lines: vec![ReceiptLine {
            product_id: "P01".into(),
            quantity: qty,
            unit_cost_minor: Some(800),
            rejected_quantity: rejected,
        }],
        received_at: ts(at),
        charges: Vec::new(),
    }
}

async fn purchase_orders_come_with_their_receipts(store: &dyn Store) {
    let mut w = WriteSet::default();
    w.upsert(&[location("LG-S1")]);
    w.upsert(&[purchase_order("PO-LG-1", "2027-01-04T09:00:00Z"), purchase_order("PO-LG-2", "2027-01-20T09:00:00Z")]);
    w.upsert(&[
        receipt("GR-LG-1b", "PO-LG-1", 8, 0, "2027-01-07T08:00:00Z"),
        receipt("GR-LG-1a", "PO-LG-1", 12, 2, "2027-01-06T07:00:00Z"),
    ]);
    store.apply(w).await.unwrap();

    let history = store.purchase_history(ms("2027-01-01T00:00:00Z"), ms("2027-01-15T00:00:00Z")).await.unwrap();
    assert_eq!(history.len(), 1, "only orders created in the range");
    let po: PurchaseOrder = serde_json::from_str(&history[0].purchase_order).unwrap();
    assert_eq!(po.external_id, "PO-LG-1");
    let receipts: Vec<GoodsReceipt> =
        history[0].receipts.iter().map(|r| serde_json::from_str(r).unwrap()).collect::<Vec<_>>();
    assert_eq!(
        receipts.iter().map(|r| (r.external_id.as_str(), r.lines[0].rejected_quantity)).collect::<Vec<_>>(),
        [("GR-LG-1a", 2), ("GR-LG-1b", 0)],
        "receipts in arrival order, rejected units kept"
    );
}

async fn stock_history_starts_from_the_opening_balance(store: &dyn Store) {
    let adjust = |id: &str, qty: i64, at: &str| Movement {
        movement_id: Some(id.into()),
        location_id: "LG-S1".into(),
        product_id: "P01".into(),
        kind: MovementKind::Adjustment,
        quantity: qty,
        to_location_id: None,
        unit_value_minor: None,
        reference: None,
        occurred_at: ts(at),
    };
    let mut w = WriteSet::default();
    w.add_movements(&[adjust("LG-A1", -3, "2027-01-08T10:00:00Z"), adjust("LG-A2", -1, "2027-01-08T18:00:00Z")]);
    store.apply(w).await.unwrap();

    let day = |s: &str| ms(s) / 86_400_000;
    let series = store.stock_history("LG-S1", day("2027-01-07T00:00:00Z"), day("2027-01-08T00:00:00Z")).await.unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].product_id, "P01");
    assert_eq!(series[0].opening, 12, "the first receipt came before the range");
    assert_eq!(
        series[0].changes,
        vec![(day("2027-01-07T00:00:00Z"), 8), (day("2027-01-08T00:00:00Z"), -4)],
        "one net change per day"
    );
    assert!(store.stock_history("LG-none", 0, day("2027-01-08T00:00:00Z")).await.unwrap().is_empty());
}
