//! Conformance checks for [`crate::ExperimentStore`].

use retail_domain::{BehaviourEvent, EventKind};

use crate::{BehaviourWindow, EventUnit, ExperimentRecord, ExposureRow, ExposureWrite, Store, WriteSet};

pub async fn run(store: &dyn Store) {
    definitions_use_optimistic_concurrency(store).await;
    exposures_keep_one_row_per_unit_and_variant(store).await;
    behaviour_after_and_before_exposure(store).await;
}

/// 2026-05-01T00:00:00Z and the length of a day, in milliseconds.
const MAY_1: i64 = 1_777_593_600_000;
const DAY: i64 = 86_400_000;

fn record(key: &str, created_at_ms: i64) -> ExperimentRecord {
    ExperimentRecord {
        key: key.into(),
        name: format!("Experiment {key}"),
        status: "draft".into(),
        definition: r#"{"variants":["a","b"]}"#.into(),
        created_by: "analyst".into(),
        created_at_ms,
        updated_at_ms: created_at_ms,
        started_at_ms: None,
        stopped_at_ms: None,
        version: 1,
    }
}

fn exposure(experiment: &str, unit: &str, variant: u32, at_ms: i64) -> ExposureWrite {
    ExposureWrite { experiment: experiment.into(), unit: unit.into(), variant, at_ms }
}

async fn definitions_use_optimistic_concurrency(store: &dyn Store) {
    let first = record("exp-1", 1_000);
    assert!(store.create_experiment(&first).await.unwrap(), "a new key is stored");
    assert!(!store.create_experiment(&record("exp-1", 5)).await.unwrap(), "a taken key is refused");
    assert!(store.create_experiment(&record("exp-2", 2_000)).await.unwrap());
    assert_eq!(store.get_experiment("exp-1").await.unwrap(), Some(first.clone()), "a definition round trips");
    assert_eq!(store.get_experiment("nope").await.unwrap(), None);
    let keys: Vec<String> = store.list_experiments().await.unwrap().into_iter().map(|r| r.key).collect();
    assert_eq!(keys, ["exp-2", "exp-1"], "experiments list newest first");

    let started = ExperimentRecord {
        status: "running".into(),
        started_at_ms: Some(3_000),
        updated_at_ms: 3_000,
        version: 2,
        ..first.clone()
    };
    assert!(store.update_experiment(&started).await.unwrap(), "an update naming the stored version is applied");
    assert!(
        !store.update_experiment(&ExperimentRecord { status: "stopped".into(), ..started.clone() }).await.unwrap(),
        "an update based on a version that was replaced meanwhile is refused"
    );
    assert!(!store.update_experiment(&record("nope", 1)).await.unwrap(), "an unknown experiment is not updated");
    assert_eq!(store.get_experiment("exp-1").await.unwrap(), Some(started), "the refused update changed nothing");
}

async fn exposures_keep_one_row_per_unit_and_variant(store: &dyn Store) {
    store
        .record_exposures(&[
            exposure("exp-1", "C2", 1, 500),
            exposure("exp-1", "C1", 0, 300),
            exposure("exp-1", "C1", 0, 100),
            exposure("exp-2", "C1", 1, 100),
        ])
        .await
        .unwrap();
    store.record_exposures(&[exposure("exp-1", "C1", 0, 900), exposure("exp-1", "C1", 1, 950)]).await.unwrap();
    store.record_exposures(&[]).await.expect("an empty batch is harmless");
    let rows = store.list_exposures("exp-1").await.unwrap();
    let row = |unit: &str, variant, first_at_ms, last_at_ms, exposures| ExposureRow {
        unit: unit.into(),
        variant,
        first_at_ms,
        last_at_ms,
        exposures,
    };
    assert_eq!(
        rows,
        [row("C1", 0, 100, 900, 3), row("C1", 1, 950, 950, 1), row("C2", 1, 500, 500, 1)],
        "repeats within and across batches merge; a second variant for a unit is its own row"
    );
    assert_eq!(store.list_exposures("exp-2").await.unwrap().len(), 1, "experiments keep separate logs");
}

fn behaviour(id: &str, kind: EventKind, customer: &str, at_ms: i64, value: Option<i64>) -> BehaviourEvent {
    BehaviourEvent {
        event_id: Some(id.into()),
        customer_id: Some(customer.into()),
        session_id: Some(format!("s-{customer}")),
        product_id: Some("P01".into()),
        quantity: value.map(|_| 2),
        value_minor: value,
        ..BehaviourEvent::new(kind, chrono::DateTime::from_timestamp_millis(at_ms).expect("valid time"))
    }
}

async fn behaviour_after_and_before_exposure(store: &dyn Store) {
    store
        .record_exposures(&[
            exposure("exp-b", "CB1", 0, MAY_1 + DAY / 2),
            exposure("exp-b", "CB2", 1, MAY_1 + DAY),
            exposure("exp-b", "s-CB3", 1, MAY_1),
        ])
        .await
        .unwrap();
    let mut w = WriteSet::default();
    w.add_events(&[
        behaviour("xb-1", EventKind::Click, "CB1", MAY_1 - 3 * DAY, None),
        behaviour("xb-2", EventKind::Purchase, "CB1", MAY_1 - DAY, Some(700)),
        behaviour("xb-3", EventKind::Click, "CB1", MAY_1 + DAY / 2, None),
        behaviour("xb-4", EventKind::Click, "CB1", MAY_1 + DAY / 2 + 5, None),
        behaviour("xb-5", EventKind::Purchase, "CB1", MAY_1 + DAY + 1, Some(1_500)),
        behaviour("xb-6", EventKind::Purchase, "CB1", MAY_1 + 9 * DAY, Some(99)),
        behaviour("xb-7", EventKind::Click, "CB2", MAY_1 + DAY / 2, None),
        behaviour("xb-8", EventKind::Click, "CB3", MAY_1 + 1, None),
    ]);
    store.apply(w).await.unwrap();
    let after = store
        .exposed_behaviour("exp-b", EventUnit::Customer, BehaviourWindow::AfterExposure { until_ms: MAY_1 + 5 * DAY })
        .await
        .unwrap();
    let totals: Vec<(&str, &str, i64, u64, i64, i64)> = after
        .iter()
        .map(|b| (b.unit.as_str(), b.kind.as_str(), b.day - MAY_1 / DAY, b.events, b.value_minor, b.quantity))
        .collect();
    assert_eq!(
        totals,
        [("CB1", "click", 0, 2, 0, 2), ("CB1", "purchase", 1, 1, 1_500, 2)],
        "only behaviour from the first exposure until the end of the window counts, by day; \
         a click before CB2's exposure does not"
    );
    let before = store
        .exposed_behaviour("exp-b", EventUnit::Customer, BehaviourWindow::BeforeExposure { days: 2 })
        .await
        .unwrap();
    let totals: Vec<(&str, &str, u64, i64)> =
        before.iter().map(|b| (b.unit.as_str(), b.kind.as_str(), b.events, b.value_minor)).collect();
    assert_eq!(
        totals,
        [("CB1", "purchase", 1, 700), ("CB2", "click", 1, 0)],
        "the pre-period is the given days before each unit's first exposure"
    );
    let by_session = store
        .exposed_behaviour("exp-b", EventUnit::Session, BehaviourWindow::AfterExposure { until_ms: MAY_1 + DAY })
        .await
        .unwrap();
    assert_eq!(by_session.len(), 1, "session units match events by session id");
    assert_eq!((by_session[0].unit.as_str(), by_session[0].events), ("s-CB3", 1));

    let interactions = store.customer_interactions(MAY_1, &[EventKind::Purchase, EventKind::Click]).await.unwrap();
    let seen: Vec<(&str, EventKind, i64)> = interactions
        .iter()
        .filter(|i| i.customer_id.starts_with("CB"))
        .map(|i| (i.customer_id.as_str(), i.kind, i.occurred_at_ms - MAY_1))
        .collect();
    assert_eq!(
        seen,
        [
            ("CB1", EventKind::Click, DAY / 2),
            ("CB1", EventKind::Click, DAY / 2 + 5),
            ("CB1", EventKind::Purchase, DAY + 1),
            ("CB1", EventKind::Purchase, 9 * DAY),
            ("CB2", EventKind::Click, DAY / 2),
            ("CB3", EventKind::Click, 1),
        ],
        "training interactions come by customer, then time, from the given time on and of the given kinds"
    );
    assert!(store.customer_interactions(0, &[]).await.unwrap().is_empty(), "no kinds, no interactions");
}
