//! Demand planning end to end on a small demo world: weekly runs scored against the sales that
//! followed; forecasts read at every level adding up; a backtest; replenishment suggestions with
//! reasons, approved, rejected and turned into purchase orders in one step; and bad input (no sales,
//! unknown levels and runs, days out of range, orders of suggestions not approved, a product without a
//! supplier, a supplier with no lead time) answered clearly.

use chrono::{Duration, TimeZone, Utc};
use retail_app::ServiceError;
use retail_app::demo::load_demo;
use retail_app::planning::replenish::{self, Decision, Exception, ListQuery, status};
use retail_app::planning::whatif::{self, WhatIf};
use retail_app::planning::{self, ForecastQuery, RunOptions, Trigger, simulate};
use retail_app::service;
use retail_app::testing::TempPlatform;
use retail_demo::DemoConfig;
use retail_domain::{
    Contract, DeliveryDay, EntityKind, Movement, MovementKind, Product, PurchaseOrder, PurchaseOrderStatus, Supplier,
};
use retail_inventory::policy::Reason;
use retail_store::DocQuery;

fn manual(as_of: Option<chrono::NaiveDate>) -> RunOptions {
    RunOptions { as_of, trigger: Trigger::Manual, by: "test".into() }
}

fn invalid_field(e: ServiceError) -> String {
    match e {
        ServiceError::Invalid(v) => v.0[0].field.clone(),
        other => panic!("expected invalid input, got {other}"),
    }
}

fn query(level: &str) -> ForecastQuery {
    ForecastQuery { level: Some(level.into()), limit: Some(500), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forecasts_suggestions_and_orders() {
    let p = TempPlatform::embedded("planning").await;
    let nothing = planning::run(&p, manual(None)).await.unwrap_err();
    assert!(matches!(nothing, ServiceError::Conflict(_)), "no sales, nothing to forecast: {nothing}");

    let demo = DemoConfig { stores: 2, skus: 120, customers: 100, days: 150, seed: 3 };
    load_demo(&p, demo.clone(), |_| {}).await.expect("load the demo world");
    let missing = planning::forecasts(&p, &query("total")).await.unwrap_err();
    assert!(matches!(missing, ServiceError::NotFound { .. }), "no run yet: {missing}");

    // A product no supplier delivers, selling every day, and a supplier that delivers the same day.
    let products: Vec<Product> =
        service::list(&p, EntityKind::Product, &DocQuery { limit: 1000, ..Default::default() })
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|d| serde_json::from_value(d.doc).unwrap())
            .collect();
    let orphan = Product { external_id: "ORPHAN".into(), supplier_id: None, ..products[0].clone() };
    service::upsert(&p, &[orphan]).await.unwrap();
    let last = demo.last_day();
    let store = "S001";
    let sales: Vec<Movement> = (0..40)
        .map(|d| Movement {
            movement_id: Some(format!("orphan-{d}")),
            location_id: store.into(),
            product_id: "ORPHAN".into(),
            kind: MovementKind::Sale,
            quantity: 3,
            to_location_id: None,
            unit_value_minor: Some(500),
            reference: None,
            occurred_at: Utc.from_utc_datetime(&(last - Duration::days(d)).and_hms_opt(12, 0, 0).unwrap()),
        })
        .collect();
    service::record_movements(&p, &sales).await.unwrap();
    let supplier_id = products[0].supplier_id.clone().expect("demo products have suppliers");
    let stored = service::get(&p, EntityKind::Supplier, &supplier_id).await.unwrap();
    let same_day =
        Supplier { lead_time_days: 0.0, lead_time_std_days: 0.0, ..serde_json::from_value(stored.doc).unwrap() };
    service::upsert(&p, &[same_day]).await.unwrap();

    let runs = planning::backfill(&p, 2, "test", || {}).await.unwrap();
    assert_eq!(runs.len(), 3, "two weeks back and today");
    assert_eq!(
        runs.iter().map(|r| r.as_of).collect::<Vec<_>>(),
        [last - Duration::days(14), last - Duration::days(7), last]
    );
    assert_eq!(runs[0].suggestions.proposed + runs[0].suggestions.no_order, 0, "a backfilled run proposes nothing");
    let latest = &runs[2];
    assert_eq!(latest.evaluations.len(), 2, "both earlier runs are scored against the sales since");
    let two_weeks = latest.evaluations.iter().find(|e| e.as_of == runs[0].as_of).unwrap();
    assert_eq!(two_weeks.days, 14);
    for level in
        ["product_location_day", "product_location_week", "category_location_week", "location_week", "total_week"]
    {
        let l = two_weeks.levels.iter().find(|l| l.level == level).unwrap_or_else(|| panic!("{level} scored"));
        assert!(l.accuracy > 0.0 && l.accuracy <= 1.0 && l.actual_units > 0.0, "{l:?}");
    }
    let at = |level: &str| two_weeks.levels.iter().find(|l| l.level == level).unwrap().accuracy;
    assert!(at("total_week") > at("product_location_day"), "sums are easier to forecast than single days");
    assert_eq!(latest.suggestions.skipped.get("no_supplier"), Some(&1), "the product without a supplier is named");

    // Every level adds up to the same total, intervals hold the mean and widen with coverage.
    let total = planning::forecasts(&p, &query("total")).await.unwrap();
    assert_eq!(total.run.run_id, latest.run_id, "the latest run by default");
    assert_eq!(total.series.len(), 1);
    let total_week: f64 = total.series[0].mean[..7].iter().sum();
    for level in ["location", "category_location", "product_location"] {
        let view = planning::forecasts(&p, &query(level)).await.unwrap();
        let sum: f64 = view.series.iter().map(|s| s.mean[..7].iter().sum::<f64>()).sum();
        assert!((sum - total_week).abs() < 0.01 * view.series.len() as f64 + 1e-6, "{level}: {sum} vs {total_week}");
        for s in &view.series {
            let (i80, i95) = (&s.intervals[0], &s.intervals[1]);
            for h in 0..s.mean.len() {
                assert!(i95.lower[h] <= i80.lower[h] + 0.011 && i80.lower[h] <= s.mean[h] + 0.011, "{s:?}");
                assert!(s.mean[h] <= i80.upper[h] + 0.011 && i80.upper[h] <= i95.upper[h] + 0.011, "{s:?}");
            }
        }
    }
    let one = ForecastQuery { product_id: Some("ORPHAN".into()), ..query("product_location") };
    let orphan_view = planning::forecasts(&p, &one).await.unwrap();
    assert_eq!(orphan_view.series.len(), 1);
    assert_eq!(orphan_view.series[0].history.iter().rev().take(7).sum::<f64>(), 21.0, "the sales before the forecast");
    assert!((orphan_view.series[0].mean[0] - 3.0).abs() < 1.5, "three a day goes on: {:?}", orphan_view.series[0].mean);

    assert_eq!(invalid_field(planning::forecasts(&p, &query("region")).await.unwrap_err()), "level");
    let zero = ForecastQuery { limit: Some(0), ..query("total") };
    assert_eq!(invalid_field(planning::forecasts(&p, &zero).await.unwrap_err()), "limit");
    let unknown = ForecastQuery { run_id: Some("fc-nope".into()), ..query("total") };
    assert!(matches!(planning::forecasts(&p, &unknown).await.unwrap_err(), ServiceError::NotFound { .. }));
    let future = planning::run(&p, manual(Some(last + Duration::days(1)))).await.unwrap_err();
    assert_eq!(invalid_field(future), "as_of");

    let backtest = planning::backtest(&p, 2).await.unwrap();
    assert_eq!(backtest.origins.len(), 2);
    assert!(backtest.levels.iter().any(|l| l.level == "category_location_week" && l.accuracy > 0.0));
    assert_eq!(invalid_field(planning::backtest(&p, 0).await.unwrap_err()), "origins");

    // The platform's policy against min/max on the replayed history.
    let replay = simulate::compare_policies(&p, 60, 40).await.unwrap();
    assert!(replay.items > 0 && replay.ours.len() == 8 && replay.min_max.len() == 8);
    for point in replay.ours.iter().chain(&replay.min_max) {
        let r = &point.report;
        assert!((0.0..=1.0).contains(&r.fill_rate) && (r.sold + r.lost - r.demand).abs() < 1e-6, "{r:?}");
    }
    let fill = |i: usize| replay.ours[i].report.fill_rate;
    assert!(fill(7) >= fill(0), "a higher service level fills at least as much: {} vs {}", fill(7), fill(0));
    assert_eq!(invalid_field(simulate::compare_policies(&p, 10, 40).await.unwrap_err()), "days");

    // The queue: reasons, whole cases; approve, reject, order.
    let queue = replenish::list(&p, &ListQuery::default()).await.unwrap().items;
    assert!(queue.len() >= 3, "the demo's stores need something: {}", queue.len());
    for s in &queue {
        let pack = products.iter().find(|x| x.external_id == s.product_id).map_or(1, |x| x.pack_size.max(1));
        assert!(
            s.detail.decision.quantity > 0 && s.detail.decision.quantity % u64::from(pack) == 0,
            "whole cases: {s:?}"
        );
        assert!(
            !s.detail.decision.reasons.is_empty()
                && s.detail.decision.safety_stock.is_finite()
                && s.detail.decision.position.is_finite()
        );
        // Exceptions name why; orders below a supplier's minimum value wait unless something runs
        // out before then.
        assert_eq!(s.status == status::EXCEPTION, !s.detail.exceptions.is_empty(), "{s:?}");
    }
    assert_small_orders_go_only_when_urgent(&queue);
    let ids: Vec<String> = queue.iter().map(|s| s.suggestion_id.clone()).collect();
    let approved = replenish::decide(&p, &ids[..2], Decision::Approve, "planner").await.unwrap();
    assert_eq!(approved.changed, 2);
    let rejected = replenish::decide(&p, &ids[1..3], Decision::Reject, "planner").await.unwrap();
    assert_eq!(
        (rejected.changed, rejected.unchanged.clone()),
        (1, vec![ids[1].clone()]),
        "a decided one stays decided"
    );
    let refused = replenish::order(&p, &ids[..3], "planner").await.unwrap_err();
    assert!(matches!(refused, ServiceError::Conflict(_)), "a rejected suggestion is not ordered: {refused}");
    let none = replenish::list(&p, &ListQuery { status: Some("ordered".into()), ..Default::default() }).await.unwrap();
    assert!(none.items.is_empty(), "and nothing was ordered");
    assert_eq!(invalid_field(replenish::decide(&p, &[], Decision::Approve, "planner").await.unwrap_err()), "ids");
    let bad_status = ListQuery { status: Some("lost".into()), ..Default::default() };
    assert_eq!(invalid_field(replenish::list(&p, &bad_status).await.unwrap_err()), "status");

    let ordered = replenish::order(&p, &ids[..2], "planner").await.unwrap();
    assert_eq!(ordered.suggestions, 2);
    let mut lines = 0;
    for id in &ordered.purchase_orders {
        let po: PurchaseOrder =
            serde_json::from_value(service::get(&p, EntityKind::PurchaseOrder, id).await.unwrap().doc).unwrap();
        assert_eq!(po.status, PurchaseOrderStatus::Submitted);
        for line in &po.lines {
            let s = queue.iter().find(|s| s.product_id == line.product_id && s.location_id == po.location_id).unwrap();
            assert_eq!(line.quantity as u64, s.detail.decision.quantity, "the order carries the suggested quantity");
            lines += 1;
        }
    }
    assert_eq!(lines, 2);
    let again = replenish::order(&p, &ids[..1], "planner").await.unwrap_err();
    assert!(matches!(again, ServiceError::Conflict(_)), "an ordered suggestion is not ordered twice");

    // The next run counts the new orders as on their way and supersedes what was left waiting.
    let next = planning::run(&p, manual(None)).await.unwrap();
    let old = replenish::list(
        &p,
        &ListQuery { run_id: Some(latest.run_id.clone()), status: Some("superseded".into()), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(old.items.len(), queue.len() - 3, "undecided suggestions of the last run are superseded");
    let fresh =
        replenish::list(&p, &ListQuery { run_id: Some(next.run_id.clone()), ..Default::default() }).await.unwrap();
    for s in &fresh.items {
        assert!(
            !(s.location_id == queue[0].location_id && s.product_id == queue[0].product_id && s.detail.on_order == 0),
            "{s:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplier_terms_and_empty_shelves_shape_the_plan() {
    let p = TempPlatform::embedded("planning-terms").await;
    let demo = DemoConfig { stores: 2, skus: 80, customers: 100, days: 120, seed: 5 };
    load_demo(&p, demo.clone(), |_| {}).await.expect("load the demo world");
    let p = &p;
    let docs = |kind| async move {
        service::list(p, kind, &DocQuery { limit: 1000, ..Default::default() }).await.unwrap().items
    };
    let products: Vec<Product> =
        docs(EntityKind::Product).await.into_iter().map(|d| serde_json::from_value(d.doc).unwrap()).collect();
    // The first run shows which products the store needs; the next gives one of them new terms.
    let first = planning::run(p, manual(None)).await.unwrap();
    assert!(first.censored_days > 0, "the demo's shelves run empty now and then: {first:?}");

    // What if a category went 20 % off for the first forecast week? Categories whose year holds too
    // few discounted days say so; the demo's promotions teach most of them.
    let categories = planning::forecasts(p, &ForecastQuery { limit: Some(50), ..query("category") }).await.unwrap();
    let start = categories.series[0].start;
    let ask = |category: &str, change: f64, from: chrono::NaiveDate, to: chrono::NaiveDate| WhatIf {
        category_id: category.into(),
        location_id: None,
        price_change_pct: change,
        from,
        to,
        run_id: None,
    };
    let week = start + Duration::days(6);
    let mut answered = None;
    for s in &categories.series {
        let category = s.key.category_id.clone().unwrap();
        match whatif::what_if(p, &ask(&category, -20.0, start, week)).await {
            Ok(a) => {
                answered = Some((category, a));
                break;
            }
            Err(ServiceError::Conflict(why)) => assert!(why.contains("discounted days"), "{why}"),
            Err(e) => panic!("{e}"),
        }
    }
    let (category, a) = answered.expect("some category has had discounts");
    assert!(a.response.elasticity < 0.0 && a.response.discounted_days >= 5, "{:?}", a.response);
    assert_eq!(a.days.iter().filter(|d| d.planned).count(), 7);
    for d in &a.days {
        if d.planned {
            assert!(d.scenario_units > d.baseline_units || d.baseline_units == 0.0, "{d:?}");
        } else {
            assert_eq!(d.scenario_units, d.baseline_units, "{d:?}");
        }
    }
    assert!(a.scenario_units >= a.baseline_units && a.baseline_revenue_minor > 0);
    assert_eq!(a.extrapolated, a.response.deepest_discount < 0.2 - 1e-9, "{:?}", a.response);
    let rise = whatif::what_if(p, &ask(&category, 10.0, start, week)).await.unwrap();
    assert!(rise.scenario_units <= rise.baseline_units && rise.extrapolated, "a rise sells less, and was never seen");
    assert_eq!(
        invalid_field(whatif::what_if(p, &ask(&category, -95.0, start, week)).await.unwrap_err()),
        "price_change_pct"
    );
    assert_eq!(invalid_field(whatif::what_if(p, &ask(&category, -20.0, week, start)).await.unwrap_err()), "to");
    let beyond = start + Duration::days(400);
    assert_eq!(invalid_field(whatif::what_if(p, &ask(&category, -20.0, start, beyond)).await.unwrap_err()), "to");
    let unknown = whatif::what_if(p, &ask("no.such.category", -20.0, start, week)).await.unwrap_err();
    assert!(matches!(unknown, ServiceError::NotFound { .. }), "{unknown}");
    let queue =
        replenish::list(p, &ListQuery { location_id: Some("S001".into()), ..Default::default() }).await.unwrap().items;
    // One that keeps: a minimum order cannot be capped by shelf life.
    let product = queue
        .iter()
        .filter_map(|s| products.iter().find(|x| x.external_id == s.product_id))
        .find(|x| x.shelf_life_days.is_none())
        .expect("the store needs something that keeps");
    let supplier_id = product.supplier_id.clone().unwrap();
    let contract = Contract {
        external_id: "CT-TERMS".into(),
        supplier_id: supplier_id.clone(),
        product_id: product.external_id.clone(),
        currency: product.cost.currency.clone(),
        unit_cost_minor: product.cost.amount_minor,
        min_order_units: 240,
        pack_size: 12,
        lead_time_days: 2.0,
        delivery_days: vec![DeliveryDay::Mon, DeliveryDay::Thu],
        valid_from: demo.last_day() - Duration::days(30),
        valid_to: None,
    };
    // Every other contract of this supplier and product would compete; this one replaces them.
    let others: Vec<Contract> = docs(EntityKind::Contract)
        .await
        .into_iter()
        .map(|d| serde_json::from_value::<Contract>(d.doc).unwrap())
        .filter(|c| c.supplier_id == supplier_id && c.product_id == product.external_id)
        .map(|c| Contract { valid_to: Some(demo.last_day() - Duration::days(31)), ..c })
        .collect();
    service::upsert(p, &others).await.unwrap();
    service::upsert(p, &[contract]).await.unwrap();
    let run = planning::run(p, manual(None)).await.unwrap();
    let all = ListQuery { run_id: Some(run.run_id.clone()), limit: Some(1000), ..Default::default() };
    let queue = replenish::list(p, &all).await.unwrap().items;
    let s = queue
        .iter()
        .find(|s| s.product_id == product.external_id)
        .unwrap_or_else(|| panic!("still needed under the new terms: {:?}", run.suggestions));
    assert_eq!(s.detail.lead_time_days, 2.0, "the contract's lead time: {s:?}");
    let q = s.detail.decision.quantity;
    assert!(q >= 240 && q % 12 == 0, "whole cases of 12, at least the minimum of 240: {q}");
    assert!(
        matches!(s.detail.decision.reasons[0], Reason::DeliverySchedule { next_delivery_after_days: 3 | 4, .. }),
        "Monday and Thursday deliveries: {:?}",
        s.detail.decision.reasons
    );

    // A supplier whose minimum order no store reaches: its orders wait, unless something runs out.
    let stored = service::get(p, EntityKind::Supplier, &supplier_id).await.unwrap();
    let picky = Supplier { min_order_minor: 1_000_000_000, ..serde_json::from_value(stored.doc).unwrap() };
    service::upsert(p, &[picky]).await.unwrap();
    let run = planning::run(p, manual(None)).await.unwrap();
    let all = ListQuery { run_id: Some(run.run_id.clone()), limit: Some(1000), ..Default::default() };
    let queue = replenish::list(p, &all).await.unwrap().items;
    let theirs: Vec<_> = queue.iter().filter(|s| s.supplier_id.as_deref() == Some(supplier_id.as_str())).collect();
    let held = run.suggestions.skipped.get("below_minimum_order_value").copied().unwrap_or(0);
    assert!(held > 0 || !theirs.is_empty(), "the supplier's orders are held or flagged: {:?}", run.suggestions);
    for s in &theirs {
        assert!(s.detail.exceptions.contains(&Exception::BelowMinimumOrderValue), "{s:?}");
        assert_eq!(s.status, status::EXCEPTION);
    }
    assert_small_orders_go_only_when_urgent(&queue);
}

/// Every order held under a supplier's minimum value that went ahead has a line that would run out
/// before an order could arrive.
fn assert_small_orders_go_only_when_urgent(queue: &[replenish::SuggestionView]) {
    let mut groups: std::collections::HashMap<(&str, Option<&str>), bool> = std::collections::HashMap::new();
    for s in queue.iter().filter(|s| s.detail.exceptions.contains(&Exception::BelowMinimumOrderValue)) {
        let urgent = s.detail.decision.position <= s.detail.decision.expected_demand_lead_time;
        *groups.entry((s.location_id.as_str(), s.supplier_id.as_deref())).or_default() |= urgent;
    }
    assert!(groups.values().all(|&urgent| urgent), "{groups:?}");
}
