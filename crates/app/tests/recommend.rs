//! Recommendations end to end on a small demo world: personalised, in-stock,
//! explained lists; a new view changes the next list at once; strategies edited
//! with optimistic concurrency and enforced; bad input answered clearly; a store
//! with nothing in stock says so; live metrics from simulated traffic; model
//! versions recorded with their offline quality.

use std::time::Instant;

use chrono::Utc;
use retail_app::ServiceError;
use retail_app::demo::load_demo;
use retail_app::recommend::{self, RecommendationRequest};
use retail_app::service;
use retail_app::simulate::{self, TrafficPlan};
use retail_app::strategies::{self, Source, SourceWeight, StrategyConfig};
use retail_app::testing::TempPlatform;
use retail_demo::DemoConfig;
use retail_domain::{BehaviourEvent, Category, EntityKind, EventKind, Location, LocationKind, Product, Text};
use retail_store::DocQuery;

fn request(customer: Option<&str>, session: Option<&str>, k: usize) -> RecommendationRequest {
    RecommendationRequest {
        customer_id: customer.map(str::to_string),
        session_id: session.map(str::to_string),
        k,
        ..Default::default()
    }
}

fn not_found(e: ServiceError) -> &'static str {
    match e {
        ServiceError::NotFound { kind, .. } => kind,
        other => panic!("expected not found, got {other}"),
    }
}

async fn docs<T: serde::de::DeserializeOwned>(p: &TempPlatform, kind: EntityKind) -> Vec<T> {
    let page = p.store.list_docs(kind, &DocQuery { limit: 1000, ..Default::default() }).await.unwrap();
    page.items.into_iter().map(|d| serde_json::from_value(d.doc).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_are_personal_in_stock_explained_and_live() {
    let p = TempPlatform::embedded("recommend").await;
    load_demo(&p, DemoConfig { stores: 2, skus: 120, customers: 400, days: 60, seed: 7 }, |_| {})
        .await
        .expect("load the demo world");
    let products: Vec<Product> = docs(&p, EntityKind::Product).await;
    let categories: Vec<Category> = docs(&p, EntityKind::Category).await;
    let category_of = |id: &str| products.iter().find(|x| x.external_id == id).map(|x| x.category_id.clone());

    // Training is recorded as a version with its offline quality.
    let trained = recommend::refit(&p).await.unwrap();
    let versions = recommend::versions(&p, 5).await.unwrap();
    assert_eq!(versions[0].version, trained.version);
    assert!(versions[0].serving);
    let quality = versions[0].report["quality"].as_array().unwrap();
    for name in ["item_knn", "als", "content", "sequential", "strategy:blend"] {
        assert!(quality.iter().any(|q| q["name"] == name), "{name} is measured: {quality:?}");
    }

    // A known shopper: a full list, every product in stock for delivery and explained.
    let interactions = p.store.customer_interactions(0, &[EventKind::Purchase]).await.unwrap();
    let customer = interactions[0].customer_id.clone();
    let list = recommend::recommend(&p, &request(Some(&customer), None, 8), Utc::now()).await.unwrap();
    assert_eq!(list.strategy, strategies::DEFAULT);
    assert_eq!(list.items.len(), 8, "{:?}", list.notice);
    assert!(list.notice.is_none());
    assert_eq!(list.model_version, trained.version);
    let online: Vec<Location> = docs::<Location>(&p, EntityKind::Location).await;
    let mut deliverable = std::collections::HashSet::new();
    for l in online.iter().filter(|l| matches!(l.kind, LocationKind::Online | LocationKind::DistributionCentre)) {
        for s in p.store.location_stock(&l.external_id).await.unwrap() {
            if s.on_hand - s.reserved > 0 {
                deliverable.insert(s.product_id);
            }
        }
    }
    for (position, item) in list.items.iter().enumerate() {
        assert_eq!(item.position as usize, position);
        assert!(deliverable.contains(&item.product_id), "{} is in stock for delivery", item.product_id);
        assert!(!item.name.en.is_empty());
        if let Some(anchor) = &item.reason.because_of {
            assert!(item.reason.because_of_name.is_some(), "an anchor comes with its name");
            assert!(products.iter().any(|x| &x.external_id == anchor));
        }
    }
    let again = recommend::recommend(&p, &request(Some(&customer), None, 8), Utc::now()).await.unwrap();
    assert_ne!(again.request_id, list.request_id, "every response has its own request id");

    // A new session: a view changes its very next list, well within a second.
    let cold = recommend::recommend(&p, &request(None, Some("s-live"), 6), Utc::now()).await.unwrap();
    assert_eq!(cold.items.len(), 6, "a shopper we know nothing about gets the bestsellers");
    let viewed = trained_related_product(&p).await;
    let started = Instant::now();
    let view = BehaviourEvent {
        event_id: Some("live-view-1".into()),
        session_id: Some("s-live".into()),
        product_id: Some(viewed.clone()),
        ..BehaviourEvent::new(EventKind::View, Utc::now())
    };
    service::ingest_events(&p, &[view]).await.unwrap();
    let warm = recommend::recommend(&p, &request(None, Some("s-live"), 6), Utc::now()).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed.as_secs_f64() < 1.0, "event to new list took {elapsed:?}");
    assert_ne!(
        warm.items.iter().map(|i| &i.product_id).collect::<Vec<_>>(),
        cold.items.iter().map(|i| &i.product_id).collect::<Vec<_>>(),
        "the view changed the list"
    );
    assert!(warm.items.iter().all(|i| i.product_id != viewed), "the product just viewed is not offered again");
    assert!(
        warm.items.iter().any(|i| i.reason.because_of.as_deref() == Some(viewed.as_str())),
        "some item is explained by the view: {:?}",
        warm.items.iter().map(|i| &i.reason).collect::<Vec<_>>()
    );

    // Bad input: clear errors naming what is unknown.
    let named =
        |strategy: &str| RecommendationRequest { strategy: Some(strategy.into()), ..request(Some(&customer), None, 5) };
    assert_eq!(not_found(recommend::recommend(&p, &named("nope"), Utc::now()).await.unwrap_err()), "strategy");
    let in_store = RecommendationRequest { store: Some("nowhere".into()), ..request(Some(&customer), None, 5) };
    assert_eq!(not_found(recommend::recommend(&p, &in_store, Utc::now()).await.unwrap_err()), "location");
    let in_category = RecommendationRequest { category: Some("nothing".into()), ..request(Some(&customer), None, 5) };
    assert_eq!(not_found(recommend::recommend(&p, &in_category, Utc::now()).await.unwrap_err()), "category");
    assert_eq!(not_found(recommend::bundles(&p, &["nope".to_string()], 5).await.unwrap_err()), "product");

    // A store with nothing in stock: an empty list that says why, not an error.
    let empty_store =
        Location { name: Text::new("空店", "Empty store"), ..retail_store::conformance::location("S-EMPTY") };
    service::upsert(&p, &[empty_store]).await.unwrap();
    let at_empty = RecommendationRequest { store: Some("S-EMPTY".into()), ..request(Some(&customer), None, 5) };
    let nothing = recommend::recommend(&p, &at_empty, Utc::now()).await.unwrap();
    assert!(nothing.items.is_empty());
    assert!(nothing.notice.as_deref().is_some_and(|n| n.contains("S-EMPTY")), "{:?}", nothing.notice);

    // Strategies: created, enforced, and edited only from the version read.
    // A parent category: the filter takes its subcategories too.
    let category = categories.iter().find(|c| c.parent_id.is_none()).unwrap().external_id.clone();
    let within = |product: &str| {
        let mut c = category_of(product);
        while let Some(id) = c {
            if id == category {
                return true;
            }
            c = categories.iter().find(|x| x.external_id == id).and_then(|x| x.parent_id.clone());
        }
        false
    };
    let mut config = StrategyConfig {
        description: "One category".into(),
        sources: vec![SourceWeight { source: Source::Popular, weight: 1.0 }],
        objectives: Default::default(),
        rules: Default::default(),
    };
    config.rules.categories = vec![category.clone()];
    let created = strategies::put(&p, "one-category", config.clone(), 0, "marketer").await.unwrap();
    assert_eq!(created.version, 1);
    assert!(matches!(
        strategies::put(&p, "one-category", config.clone(), 0, "marketer").await,
        Err(ServiceError::Conflict(_))
    ));
    let listed = recommend::recommend(&p, &named("one-category"), Utc::now()).await.unwrap();
    assert!(!listed.items.is_empty());
    for item in &listed.items {
        assert!(within(&item.product_id), "{} is in {category}", item.product_id);
        assert_eq!(item.reason.source, Source::Popular);
    }
    config.sources.push(SourceWeight { source: Source::Popular, weight: 2.0 });
    assert!(matches!(
        strategies::put(&p, "one-category", config, 1, "marketer").await,
        Err(ServiceError::Invalid(v)) if v.0[0].field == "sources[1].source"
    ));

    // Bundles never suggest the cart's own categories.
    let cart = vec![viewed.clone()];
    for item in recommend::bundles(&p, &cart, 10).await.unwrap() {
        assert_ne!(category_of(&item.product_id), category_of(&viewed));
    }

    // Live metrics from simulated traffic, per strategy.
    for strategy in ["item_knn", "popular"] {
        let plan = TrafficPlan {
            experiment: None,
            strategy: Some(strategy.into()),
            customers: 60,
            days: 3,
            visits_per_customer: 2.0,
            seed: 3,
        };
        let report = simulate::run(&p, &plan, &mut |_, _| {}).await.unwrap();
        assert_eq!(report.by_strategy, [(strategy.to_string(), report.visits)]);
    }
    let metrics = strategies::live_metrics(&p, 7, Utc::now() + chrono::Duration::hours(1)).await.unwrap();
    for strategy in ["item_knn", "popular"] {
        let m = metrics.iter().find(|m| m.strategy == strategy).expect("metrics per strategy");
        assert!(m.total.impressions > 0 && m.total.clicks > 0, "{m:?}");
        assert_eq!(m.total.ctr, Some(m.total.clicks as f64 / m.total.impressions as f64));
        assert_eq!(m.days.iter().map(|(_, d)| d.impressions).sum::<u64>(), m.total.impressions);
    }

    // The next version learns from those impressions: every strategy's layout of sources sees each
    // logged impression with what followed it.
    let logged = p.store.impression_outcomes(0, 1_000_000).await.unwrap().len();
    let trained = recommend::refit(&p).await.unwrap();
    let ranking = &trained.report.ranking;
    let mut covered: Vec<&str> = ranking.iter().flat_map(|r| r.strategies.iter().map(String::as_str)).collect();
    covered.sort_unstable();
    assert_eq!(covered, ["blend", "item_knn", "one-category", "popular"], "{ranking:?}");
    for r in ranking {
        assert_eq!(r.impressions, logged, "{r:?}");
        assert!(r.clicks > 0 && r.clicks <= r.impressions, "{r:?}");
        assert!(r.blend_click_auc.is_some(), "held-out impressions hold clicks and misses: {r:?}");
        assert_eq!(r.click_model, r.click_auc.zip(r.blend_click_auc).is_some_and(|(m, b)| m > b), "{r:?}");
    }
}

/// A product with co-occurrence neighbours, so a view of it has something to say.
async fn trained_related_product(p: &TempPlatform) -> String {
    let interactions = p.store.customer_interactions(0, &[EventKind::Purchase, EventKind::Click]).await.unwrap();
    for i in &interactions {
        if !recommend::related(p, &i.product_id, 5).await.unwrap().is_empty() {
            return i.product_id.clone();
        }
    }
    panic!("no product has related products in the demo world");
}
