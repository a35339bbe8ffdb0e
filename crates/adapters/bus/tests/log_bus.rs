use std::sync::Arc;
use std::time::{Duration, Instant};

use retail_bus::{BusError, Envelope, EventBus, EventLog, LogBus, MemoryLog, conformance};
use serde_json::json;

fn envelope(id: &str, topic: &str) -> Envelope {
    Envelope { id: id.to_owned(), topic: topic.to_owned(), payload: json!({ "id": id }), occurred_at_ms: 0 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_bus_meets_the_contract() {
    let bus = LogBus::new(Arc::new(MemoryLog::new()));
    conformance::run_all(&bus, &retail_testenv::unique_name("log")).await;
}

#[tokio::test]
async fn memory_log_append_is_idempotent_on_id() {
    let log = MemoryLog::new();
    assert_eq!(log.append(&envelope("a", "t.x")).await.unwrap(), 1);
    assert_eq!(log.append(&envelope("b", "t.x")).await.unwrap(), 2);
    assert_eq!(log.append(&envelope("a", "t.y")).await.unwrap(), 1);
    assert_eq!(log.len(), 2);
    let after_first = log.read_after(1, 10).await.unwrap();
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].seq, 2);
    assert!(log.read_after(2, 10).await.unwrap().is_empty());
    assert!(log.read_after(u64::MAX, 10).await.unwrap().is_empty());
    assert_eq!(log.read_after(0, 1).await.unwrap().len(), 1);
    assert_eq!(log.offset("c").await.unwrap(), 0);
    log.commit("c", 2).await.unwrap();
    assert_eq!(log.offset("c").await.unwrap(), 2);
}

#[tokio::test]
async fn offsets_advance_only_over_a_contiguous_acked_prefix() {
    let log = Arc::new(MemoryLog::new());
    let bus = LogBus::new(log.clone());
    for id in ["1", "2", "3"] {
        bus.publish(&envelope(id, "t.x")).await.unwrap();
    }
    let mut sub = bus.subscribe("c", "").await.unwrap();
    let wait = Duration::from_secs(1);
    let d1 = sub.next(wait).await.unwrap().unwrap();
    let d2 = sub.next(wait).await.unwrap().unwrap();
    let d3 = sub.next(wait).await.unwrap().unwrap();
    sub.ack(&d2).await.unwrap();
    assert_eq!(log.offset("c").await.unwrap(), 0, "seq 1 is still in flight");
    sub.ack(&d1).await.unwrap();
    assert_eq!(log.offset("c").await.unwrap(), 2);
    sub.ack(&d3).await.unwrap();
    assert_eq!(log.offset("c").await.unwrap(), 3);
}

#[tokio::test]
async fn filtered_out_records_are_committed_when_idle() {
    let log = Arc::new(MemoryLog::new());
    let bus = LogBus::new(log.clone());
    bus.publish(&envelope("1", "other.x")).await.unwrap();
    bus.publish(&envelope("2", "other.y")).await.unwrap();
    let mut sub = bus.subscribe("c", "mine.").await.unwrap();
    assert!(sub.next(Duration::from_millis(50)).await.unwrap().is_none());
    assert_eq!(log.offset("c").await.unwrap(), 2);
}

#[tokio::test]
async fn one_live_subscription_per_consumer() {
    let bus = LogBus::new(Arc::new(MemoryLog::new()));
    let first = bus.subscribe("c", "").await.unwrap();
    match bus.subscribe("c", "").await {
        Err(BusError::ConsumerBusy { consumer, .. }) => assert_eq!(consumer, "c"),
        other => panic!("expected ConsumerBusy, got {:?}", other.err()),
    }
    drop(first);
    bus.subscribe("c", "").await.unwrap();
}

#[tokio::test]
async fn notify_appended_wakes_subscribers_for_direct_appends() {
    let log = Arc::new(MemoryLog::new());
    // A poll interval far beyond the test's patience: only the wake-up helps.
    let bus = LogBus::with_poll_interval(log.clone(), Duration::from_secs(60));
    let mut sub = bus.subscribe("c", "").await.unwrap();
    let waiter = tokio::spawn(async move {
        let started = Instant::now();
        let got = sub.next(Duration::from_secs(30)).await.unwrap();
        (got, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    log.append(&envelope("direct", "t.x")).await.unwrap();
    bus.notify_appended();
    let (got, took) = waiter.await.unwrap();
    assert_eq!(got.unwrap().envelope.id, "direct");
    assert!(took < Duration::from_secs(5), "woke after {took:?}");
}

#[tokio::test]
async fn polling_sees_direct_appends_without_a_wake_up() {
    let log = Arc::new(MemoryLog::new());
    let bus = LogBus::with_poll_interval(log.clone(), Duration::from_millis(20));
    let mut sub = bus.subscribe("c", "").await.unwrap();
    let appender = {
        let log = log.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            log.append(&envelope("polled", "t.x")).await.unwrap();
        })
    };
    let got = sub.next(Duration::from_secs(5)).await.unwrap();
    appender.await.unwrap();
    assert_eq!(got.unwrap().envelope.id, "polled");
}
