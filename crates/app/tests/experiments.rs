//! An A/B test of two recommendation strategies end to end on a small demo
//! world: bad definitions refused with every problem named, assignment and
//! exposures through the recommendation service, simulated traffic through the
//! real ingestion, results with SRM and guardrails, units seen in two variants
//! counted, and a stopped or shipped experiment serving without logging.

use chrono::Utc;
use retail_app::ServiceError;
use retail_app::demo::load_demo;
use retail_app::experiments::{self, Change, MetricKey, MetricRole, NewExperiment, Verdict};
use retail_app::recommend::{self, RecommendationRequest};
use retail_app::simulate::{self, TrafficPlan};
use retail_app::testing::TempPlatform;
use retail_demo::DemoConfig;
use retail_store::ExposureWrite;
use serde_json::json;

fn definition(key: &str, weights: (f64, f64), strategies: (&str, &str)) -> NewExperiment {
    serde_json::from_value(json!({
        "key": key,
        "name": "Bestsellers or bought together",
        "surface": "recommendations",
        "unit": "customer",
        "variants": [
            {"key": "control", "weight": weights.0, "payload": strategies.0},
            {"key": "treatment", "weight": weights.1, "payload": strategies.1}
        ],
        "metrics": [
            {"metric": "click_through", "role": "primary"},
            {"metric": "clicks_per_impression", "role": "secondary"},
            {"metric": "revenue_per_unit", "role": "guardrail", "winsorize": 0.99}
        ]
    }))
    .expect("a valid experiment document")
}

fn invalid_fields(e: ServiceError) -> Vec<String> {
    match e {
        ServiceError::Invalid(v) => v.0.into_iter().map(|x| format!("{}: {}", x.field, x.message)).collect(),
        other => panic!("expected a validation error, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ab_test_of_two_strategies_runs_from_draft_to_ship() {
    let p = TempPlatform::embedded("experiments").await;
    load_demo(&p, DemoConfig { stores: 2, skus: 80, customers: 400, days: 60, seed: 11 }, |_| {})
        .await
        .expect("load the demo world");

    // Bad definitions: every problem named, nothing stored.
    let problems = invalid_fields(
        experiments::create(&p, definition("bad", (0.0, 1.0), ("popular", "nonsense")), "analyst").await.unwrap_err(),
    );
    assert!(problems.iter().any(|m| m.starts_with("variants[0].weight")), "{problems:?}");
    assert!(problems.iter().any(|m| m.starts_with("variants[1].payload")), "{problems:?}");
    let problems = invalid_fields(
        experiments::create(&p, definition("bad", (0.5, 0.6), ("popular", "item_knn")), "analyst").await.unwrap_err(),
    );
    assert!(problems.iter().any(|m| m.contains("1.1")), "the weights' actual sum is stated: {problems:?}");
    assert!(experiments::list(&p).await.unwrap().is_empty(), "refused definitions are not stored");

    let key = "rec-strategies";
    experiments::create(&p, definition(key, (0.5, 0.5), ("popular", "item_knn")), "analyst").await.unwrap();
    let again = experiments::create(&p, definition(key, (0.5, 0.5), ("popular", "item_knn")), "analyst").await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))), "a key is used once");
    let draft = experiments::results(&p, key).await.unwrap();
    assert_eq!(draft.verdict, Verdict::NotEnoughData, "a draft with no exposures has no result, and no crash");
    assert!(
        draft.metrics.iter().all(|m| m.comparisons.is_empty() && m.problem.is_some()),
        "metrics without data say why"
    );

    let plan = TrafficPlan {
        experiment: Some(key.into()),
        strategy: None,
        customers: 300,
        days: 7,
        visits_per_customer: 3.0,
        seed: 5,
    };
    let refused = simulate::run(&p, &plan, &mut |_, _| {}).await;
    assert!(matches!(refused, Err(ServiceError::Conflict(_))), "traffic needs a running experiment");

    experiments::change(&p, key, Change::Start).await.unwrap();
    assert!(
        matches!(experiments::change(&p, key, Change::Start).await, Err(ServiceError::Conflict(_))),
        "a running experiment does not start twice"
    );
    let mut progress_calls = 0;
    let traffic = simulate::run(&p, &plan, &mut |_, _| progress_calls += 1).await.unwrap();
    assert!(traffic.customers > 50 && traffic.customers <= 300, "customers with a known taste visit");
    assert!(traffic.visits >= traffic.customers && progress_calls as u64 == traffic.visits);
    assert_eq!(traffic.exposures_logged, traffic.visits, "every visit of a running experiment logs its exposure");
    assert!(traffic.clicks > 0 && traffic.impressions == 6 * traffic.visits);
    let strategies: Vec<&str> = traffic.by_strategy.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(strategies, ["item_knn", "popular"], "both strategies were served");

    let results = experiments::results(&p, key).await.unwrap();
    let units: u64 = results.traffic.iter().map(|t| t.units).sum();
    assert_eq!(units, traffic.customers, "each simulated customer is one unit");
    let srm = results.srm.expect("an SRM check");
    assert!(!srm.mismatch, "a 50/50 hash split passes the SRM check: p = {}", srm.p_value);
    let primary = &results.metrics[0];
    assert_eq!((primary.metric, primary.role), (MetricKey::ClickThrough, MetricRole::Primary));
    let c = &primary.comparisons[0];
    assert!(c.lower <= c.lift && c.lift <= c.upper, "the interval holds the estimate");
    assert!(c.adjusted_p_value.is_some(), "the primary family is corrected");
    assert!(results.metrics[2].comparisons[0].adjusted_p_value.is_none(), "guardrails stay out of the family");
    assert!(!results.timeline.is_empty() && results.timeline.len() <= 8, "one point per day of traffic");
    assert_ne!(results.verdict, Verdict::NotEnoughData);

    // A unit seen in both variants is counted and left out.
    let customer = results.multiple_exposure_examples.first().cloned();
    assert!(customer.is_none(), "no unit is in two variants before the fault");
    let some_unit = p.store.list_exposures(key).await.unwrap()[0].clone();
    let other = ExposureWrite {
        experiment: key.into(),
        unit: some_unit.unit.clone(),
        variant: 1 - some_unit.variant,
        at_ms: Utc::now().timestamp_millis(),
    };
    p.store.record_exposures(&[other]).await.unwrap();
    let results = experiments::results(&p, key).await.unwrap();
    assert_eq!(results.multiple_exposure_units, 1);
    assert_eq!(results.multiple_exposure_examples, std::slice::from_ref(&some_unit.unit));
    assert_eq!(results.traffic.iter().map(|t| t.units).sum::<u64>(), traffic.customers - 1);

    // Stopped: everyone gets the control, nothing more is logged, results freeze.
    experiments::change(&p, key, Change::Stop).await.unwrap();
    let before = p.store.list_exposures(key).await.unwrap().len();
    let request = RecommendationRequest { customer_id: Some("NEW-CUSTOMER".into()), k: 5, ..Default::default() };
    let served = recommend::recommend(&p, &request, Utc::now()).await.unwrap();
    assert_eq!(served.strategy, "popular", "a stopped experiment serves its control");
    let e = served.experiment.expect("the experiment is named");
    assert!(!e.exposure_logged && e.reason.is_some_and(|r| r.contains("stopped")), "and says why nothing was logged");
    assert_eq!(p.store.list_exposures(key).await.unwrap().len(), before, "no exposure is logged when stopped");
    assert!(
        matches!(experiments::change(&p, key, Change::Start).await, Err(ServiceError::Conflict(_))),
        "a stopped experiment is not restarted"
    );

    experiments::change(&p, key, Change::Ship { variant: "treatment".into() }).await.unwrap();
    let served = recommend::recommend(&p, &request, Utc::now()).await.unwrap();
    assert_eq!(served.strategy, "item_knn", "once shipped, everyone gets the shipped strategy");
    assert_eq!(served.items.len(), 5);

    let bad = RecommendationRequest { k: 5, ..Default::default() };
    assert!(
        invalid_fields(recommend::recommend(&p, &bad, Utc::now()).await.unwrap_err())[0].starts_with("customer_id")
    );
    let bad = RecommendationRequest { customer_id: Some("C1".into()), k: 0, ..Default::default() };
    assert!(invalid_fields(recommend::recommend(&p, &bad, Utc::now()).await.unwrap_err())[0].starts_with("k"));
}
