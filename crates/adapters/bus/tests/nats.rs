mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use retail_bus::{BusError, Envelope, EventBus, NatsBus, NatsConfig, conformance};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_bus_meets_the_contract() {
    // A long ack_wait: redelivery after resubscribe must not depend on it.
    let Some((bus, config)) = common::nats_bus(Duration::from_secs(60)).await else {
        return;
    };
    let bus = Arc::new(bus);
    common::with_cleanup(&config, async move {
        conformance::run_all(bus.as_ref(), &retail_testenv::unique_name("nats")).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_message_is_redelivered_after_ack_wait() {
    let ack_wait = Duration::from_secs(1);
    let Some((bus, config)) = common::nats_bus(ack_wait).await else {
        return;
    };
    let prefix = config.subject_prefix.clone();
    common::with_cleanup(&config, async move {
        let env = Envelope {
            id: format!("{prefix}-1"),
            topic: "orders.created".to_owned(),
            payload: json!({ "n": 1 }),
            occurred_at_ms: 1,
        };
        bus.publish(&env).await.unwrap();
        let mut sub = bus.subscribe("worker", "orders.").await.unwrap();
        let first = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
        assert!(!first.redelivered);
        // Same subscription, no ack: the server gives it back after ack_wait.
        let again = sub.next(ack_wait * 5).await.unwrap().unwrap();
        assert_eq!(again.envelope, env);
        assert_eq!(again.seq, first.seq);
        assert!(again.redelivered);
        sub.ack(&again).await.unwrap();
        assert!(sub.next(ack_wait * 2).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn connect_failure_names_the_url_and_does_not_hang() {
    let url = "nats://127.0.0.1:1";
    let mut config = NatsConfig::new(url, "unreachable", "unreachable");
    config.connect_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let result = NatsBus::connect_with(config).await;
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
    match result {
        Err(e @ BusError::Connect { .. }) => {
            assert!(e.to_string().contains(url), "error does not name the URL: {e}");
        }
        Err(e) => panic!("expected a Connect error, got {e}"),
        Ok(_) => panic!("connecting to {url} succeeded"),
    }
}

#[tokio::test]
async fn connect_rejects_invalid_names_before_connecting() {
    let started = Instant::now();
    for (stream, prefix) in [("has.dot", "ok"), ("ok", "bad..prefix"), ("ok", "wild.*")] {
        match NatsBus::connect("nats://127.0.0.1:1", stream, prefix).await {
            Err(BusError::Invalid { .. }) => {}
            Err(e) => panic!("{stream}/{prefix}: expected Invalid, got {e}"),
            Ok(_) => panic!("{stream}/{prefix}: accepted"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}
