//! Conformance checks for [`crate::RecommendationStore`].

use retail_domain::EventKind;

use super::{event, ts};
use crate::{EventUnit, ModelVersionRecord, Store, StrategyDay, StrategyRecord, WriteSet};

pub async fn run(store: &dyn Store) {
    strategies_use_optimistic_concurrency(store).await;
    model_versions_list_newest_first(store).await;
    recent_interactions_and_strategy_metrics(store).await;
}

fn strategy(name: &str, version: i64, config: &str) -> StrategyRecord {
    StrategyRecord {
        name: name.into(),
        config: config.into(),
        updated_by: "marketer".into(),
        updated_at_ms: 1_000 * version,
        version,
    }
}

async fn strategies_use_optimistic_concurrency(store: &dyn Store) {
    assert!(store.put_strategy(&strategy("blend", 1, r#"{"a":1}"#)).await.unwrap(), "a new name is stored");
    assert!(!store.put_strategy(&strategy("blend", 1, r#"{"b":1}"#)).await.unwrap(), "a taken name is refused");
    assert!(store.put_strategy(&strategy("another", 1, "{}")).await.unwrap());
    let edited = strategy("blend", 2, r#"{"a":2}"#);
    assert!(store.put_strategy(&edited).await.unwrap(), "an edit naming the stored version is applied");
    assert!(
        !store.put_strategy(&strategy("blend", 2, r#"{"a":3}"#)).await.unwrap(),
        "an edit based on a version that was replaced meanwhile is refused"
    );
    assert!(!store.put_strategy(&strategy("nope", 2, "{}")).await.unwrap(), "an unknown strategy is not edited");
    assert_eq!(store.get_strategy("blend").await.unwrap(), Some(edited), "the refused edit changed nothing");
    assert_eq!(store.get_strategy("nope").await.unwrap(), None);
    let names: Vec<String> = store.list_strategies().await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["another", "blend"], "strategies list by name");
}

async fn model_versions_list_newest_first(store: &dyn Store) {
    for (version, at) in [("m-1", 100), ("m-3", 300), ("m-2", 200)] {
        let record =
            ModelVersionRecord { version: version.into(), trained_at_ms: at, summary: format!("{{\"at\":{at}}}") };
        store.add_model_version(&record).await.unwrap();
    }
    let versions = store.list_model_versions(2).await.unwrap();
    let listed: Vec<(&str, i64, &str)> =
        versions.iter().map(|v| (v.version.as_str(), v.trained_at_ms, v.summary.as_str())).collect();
    assert_eq!(listed, [("m-3", 300, r#"{"at":300}"#), ("m-2", 200, r#"{"at":200}"#)], "newest first, limited");
}

async fn recent_interactions_and_strategy_metrics(store: &dyn Store) {
    let shown = |id: &str, kind, customer: &str, product: &str, at: &str, strategy: &str, value: Option<i64>| {
        let mut e = event(id, kind, customer, product, at);
        e.session_id = Some(format!("s-{customer}"));
        e.request_id = Some(format!("q-{customer}"));
        e.strategy = Some(strategy.into());
        e.value_minor = value;
        e
    };
    let mut w = WriteSet::default();
    w.add_events(&[
        shown("rc-1", EventKind::Impression, "RC1", "P02", "2027-01-01T10:00:00Z", "rec-a", None),
        shown("rc-2", EventKind::Click, "RC1", "P02", "2027-01-01T10:00:05Z", "rec-a", None),
        shown("rc-3", EventKind::View, "RC1", "P03", "2027-01-01T10:01:00Z", "rec-a", None),
        shown("rc-4", EventKind::Purchase, "RC1", "P02", "2027-01-02T09:00:00Z", "rec-a", Some(1_290)),
        shown("rc-5", EventKind::Impression, "RC2", "P04", "2027-01-02T09:00:00Z", "rec-b", None),
        shown("rc-6", EventKind::Impression, "RC2", "P05", "2027-01-02T09:00:00Z", "rec-b", None),
    ]);
    store.apply(w).await.unwrap();

    let kinds = [EventKind::View, EventKind::Click, EventKind::Purchase];
    let recent = store.recent_interactions(EventUnit::Customer, "RC1", &kinds, 2).await.unwrap();
    let seen: Vec<(&str, EventKind)> = recent.iter().map(|i| (i.product_id.as_str(), i.kind)).collect();
    assert_eq!(seen, [("P02", EventKind::Purchase), ("P03", EventKind::View)], "newest first, limited, kinds kept");
    let by_session = store.recent_interactions(EventUnit::Session, "s-RC1", &kinds, 10).await.unwrap();
    assert_eq!(by_session.len(), 3, "a session reads its own events; impressions are not interactions");
    assert!(store.recent_interactions(EventUnit::Customer, "RC1", &[], 10).await.unwrap().is_empty());
    assert!(store.recent_interactions(EventUnit::Customer, "nobody", &kinds, 10).await.unwrap().is_empty());

    let since = ts("2027-01-01T00:00:00Z").timestamp_millis();
    let day = since / 86_400_000;
    let metrics: Vec<StrategyDay> = store.strategy_metrics(since).await.unwrap();
    let rows: Vec<(&str, i64, &str, u64, i64)> =
        metrics.iter().map(|m| (m.strategy.as_str(), m.day - day, m.kind.as_str(), m.events, m.value_minor)).collect();
    assert_eq!(
        rows,
        [
            ("rec-a", 0, "click", 1, 0),
            ("rec-a", 0, "impression", 1, 0),
            ("rec-a", 0, "view", 1, 0),
            ("rec-a", 1, "purchase", 1, 1_290),
            ("rec-b", 1, "impression", 2, 0),
        ],
        "events since the start, per strategy, UTC day and kind, with purchase value"
    );

    // Each impression with what followed under its request: P02 was clicked and then bought (a day
    // later, still attributed), P04 and P05 were only shown; the view of P03 was no impression.
    let outcomes = store.impression_outcomes(since, 100).await.unwrap();
    let ours: Vec<(&str, &str, &str, bool, bool)> = outcomes
        .iter()
        .filter(|o| o.request_id.starts_with("q-"))
        .map(|o| (o.request_id.as_str(), o.product_id.as_str(), o.strategy.as_str(), o.clicked, o.purchased))
        .collect();
    assert_eq!(
        ours,
        [
            ("q-RC2", "P04", "rec-b", false, false),
            ("q-RC2", "P05", "rec-b", false, false),
            ("q-RC1", "P02", "rec-a", true, true),
        ],
        "newest impression first, joined with its request's clicks and purchases"
    );
    let first = outcomes.iter().find(|o| o.request_id == "q-RC1").unwrap();
    assert_eq!(first.shown_at_ms, ts("2027-01-01T10:00:00Z").timestamp_millis());
    assert_eq!((first.customer_id.as_deref(), first.session_id.as_deref()), (Some("RC1"), Some("s-RC1")));
    let latest = store.impression_outcomes(since, 1).await.unwrap();
    assert_eq!(latest.len(), 1, "limited to the latest");
    let later = ts("2027-01-02T00:00:00Z").timestamp_millis();
    assert!(store.impression_outcomes(later, 100).await.unwrap().iter().all(|o| o.request_id != "q-RC1"));
}
