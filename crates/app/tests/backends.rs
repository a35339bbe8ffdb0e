//! The platform wired to its real backends: the SQL outbox as the in-process
//! bus, and the scale-out mode on PostgreSQL, Redis and NATS JetStream.

use std::sync::Arc;
use std::time::Duration;

use retail_app::Config;
use retail_app::platform::StoreLog;
use retail_app::service;
use retail_app::testing::TempPlatform;
use retail_bus::{EventBus, LogBus};
use retail_domain::{Category, Text};

fn category(id: &str) -> Category {
    Category {
        external_id: id.into(),
        parent_id: None,
        name: Text::new("饮料", "Beverages"),
        consumable: true,
        perishable: false,
    }
}

/// Waits for the next delivery on `topic_prefix` that carries `id` in its payload.
async fn expect_announcement(bus: &dyn EventBus, consumer: &str, topic_prefix: &str, id: &str) {
    let mut sub = bus.subscribe(consumer, topic_prefix).await.expect("subscribe");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        if let Some(d) = sub.next(Duration::from_millis(500)).await.expect("next") {
            sub.ack(&d).await.expect("ack");
            if d.envelope.payload["ids"].as_array().is_some_and(|ids| ids.iter().any(|x| x == id)) {
                return;
            }
        }
    }
    panic!("no {topic_prefix} announcement for {id} within 15 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sql_outbox_meets_the_bus_contract() {
    let p = TempPlatform::embedded("outbox-bus").await;
    let bus = LogBus::new(Arc::new(StoreLog(p.store.clone())));
    retail_bus::conformance::run_all(&bus, "sqlconf").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_writes_are_announced_on_the_in_process_bus() {
    let p = TempPlatform::embedded("embedded-announce").await;
    assert!(p.config.is_embedded());
    assert!(p.health().await.ok());
    service::upsert(&p, &[category("drinks")]).await.unwrap();
    expect_announcement(p.bus.as_ref(), "test_embedded", "categories.", "drinks").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_out_mode_runs_on_postgres_redis_and_nats() {
    let (Some(pg), Some(redis), Some(nats)) = (
        retail_testenv::backend_url("RETAIL_TEST_POSTGRES_URL"),
        retail_testenv::backend_url("RETAIL_TEST_REDIS_URL"),
        retail_testenv::backend_url("RETAIL_TEST_NATS_URL"),
    ) else {
        return;
    };
    let schema = retail_testenv::unique_name("platform");
    let admin = retail_store::connect(&pg, 1).await.unwrap();
    sqlx_exec(&admin, &format!("CREATE SCHEMA {schema}")).await;
    let sep = if pg.contains('?') { '&' } else { '?' };
    let stream = retail_testenv::unique_name("RETAIL").to_uppercase();
    let config = Config {
        database_url: format!("{pg}{sep}options=-c%20search_path%3D{schema}"),
        redis_url: redis,
        nats_url: nats.clone(),
        nats_stream: stream.clone(),
        ..Config::default()
    };
    let dir = std::env::temp_dir().join(&schema);
    let p = TempPlatform::with_config(config, dir).await;
    let health = p.health().await;
    assert_eq!((health.database.backend, health.cache.backend, health.bus.backend), ("postgres", "redis", "nats"));
    assert!(health.ok(), "{health:?}");

    service::upsert(&p, &[category("drinks")]).await.unwrap();
    assert_eq!(p.store.count_docs(retail_domain::EntityKind::Category).await.unwrap(), 1);
    // The outbox row written with the category reaches JetStream through the relay.
    expect_announcement(p.bus.as_ref(), "test_scale_out", "categories.", "drinks").await;

    p.cache.set("probe", b"1", Some(Duration::from_secs(5))).await.unwrap();
    assert_eq!(p.cache.get("probe").await.unwrap().as_deref(), Some(&b"1"[..]));
    sqlx_exec(&admin, &format!("DROP SCHEMA {schema} CASCADE")).await;
    delete_stream(&nats, &stream).await;
}

async fn sqlx_exec(store: &retail_store::SqlStore, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.expect(sql);
}

async fn delete_stream(url: &str, stream: &str) {
    let client = async_nats::connect(url).await.expect("connect to NATS");
    async_nats::jetstream::new(client).delete_stream(stream).await.expect("delete test stream");
}
