mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use retail_bus::{
    BusError, Envelope, EventBus, EventLog, LogBus, MemoryLog, RelayOptions, Subscription, relay_once, run_relay,
};
use serde_json::json;
use tokio::sync::{Notify, watch};

fn envelope(n: u64) -> Envelope {
    Envelope {
        id: format!("evt-{n}"),
        topic: "orders.created".to_owned(),
        payload: json!({ "order": n }),
        occurred_at_ms: n as i64,
    }
}

/// Appends five events (one of them twice, as a retried transaction would).
async fn outbox() -> MemoryLog {
    let log = MemoryLog::new();
    for n in 0..5 {
        log.append(&envelope(n)).await.unwrap();
    }
    log.append(&envelope(2)).await.unwrap();
    assert_eq!(log.len(), 5);
    log
}

/// Relays twice, then rewinds the relay's offset (a crash before the commits
/// landed) and relays again: the target must still deliver each event once.
async fn relay_exactly_once(bus: &dyn EventBus, relay: &str, consumer: &str) {
    let log = outbox().await;
    assert_eq!(relay_once(&log, bus, relay, 3).await.unwrap(), 3);
    assert_eq!(relay_once(&log, bus, relay, 3).await.unwrap(), 2);
    assert_eq!(relay_once(&log, bus, relay, 3).await.unwrap(), 0);
    assert_eq!(log.offset(relay).await.unwrap(), 5);

    log.commit(relay, 1).await.unwrap();
    assert_eq!(relay_once(&log, bus, relay, 10).await.unwrap(), 4);

    let mut sub = bus.subscribe(consumer, "orders.").await.unwrap();
    for n in 0..5 {
        let d = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
        assert_eq!(d.envelope, envelope(n));
        sub.ack(&d).await.unwrap();
    }
    assert!(sub.next(Duration::from_millis(300)).await.unwrap().is_none());
}

#[tokio::test]
async fn relay_into_log_bus_delivers_exactly_once() {
    let bus = LogBus::new(Arc::new(MemoryLog::new()));
    relay_exactly_once(&bus, "relay", "reader").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_into_nats_delivers_exactly_once() {
    let Some((bus, config)) = common::nats_bus(Duration::from_secs(5)).await else {
        return;
    };
    common::with_cleanup(&config, async move {
        relay_exactly_once(&bus, "relay", "reader").await;
    })
    .await;
}

#[tokio::test]
async fn relay_skips_records_no_bus_accepts() {
    let log = MemoryLog::new();
    let mut bad = envelope(0);
    bad.topic = "not a topic".to_owned();
    log.append(&bad).await.unwrap();
    log.append(&envelope(1)).await.unwrap();
    let bus = LogBus::new(Arc::new(MemoryLog::new()));
    assert_eq!(relay_once(&log, &bus, "relay", 10).await.unwrap(), 2);
    assert_eq!(log.offset("relay").await.unwrap(), 2);
    let mut sub = bus.subscribe("reader", "").await.unwrap();
    let d = sub.next(Duration::from_secs(1)).await.unwrap().unwrap();
    assert_eq!(d.envelope, envelope(1));
}

/// Fails its first `failures` publishes, then forwards to `inner`.
struct Flaky {
    inner: LogBus,
    failures: AtomicUsize,
}

#[async_trait]
impl EventBus for Flaky {
    async fn publish(&self, env: &Envelope) -> Result<(), BusError> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(BusError::backend("flaky", "publish", "injected failure"));
        }
        self.inner.publish(env).await
    }

    async fn subscribe(&self, consumer: &str, topic_prefix: &str) -> Result<Box<dyn Subscription>, BusError> {
        self.inner.subscribe(consumer, topic_prefix).await
    }

    fn backend(&self) -> &'static str {
        "flaky"
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.inner.ping().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_relay_retries_wakes_and_stops() {
    let log: Arc<MemoryLog> = Arc::new(outbox().await);
    let target = LogBus::new(Arc::new(MemoryLog::new()));
    let flaky = Arc::new(Flaky { inner: target.clone(), failures: AtomicUsize::new(2) });
    let wake = Arc::new(Notify::new());
    let opts = RelayOptions {
        name: "relay".to_owned(),
        batch: 2,
        poll_interval: Duration::from_secs(60),
        max_backoff: Duration::from_millis(50),
        wake: Some(wake.clone()),
    };
    let (stop, shutdown) = watch::channel(false);
    let relay = tokio::spawn(run_relay(log.clone(), flaky, opts, shutdown));

    // The first attempts fail; backoff (capped at 50 ms) retries them.
    let mut sub = target.subscribe("reader", "").await.unwrap();
    for n in 0..5 {
        let d = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
        assert_eq!(d.envelope, envelope(n));
        sub.ack(&d).await.unwrap();
    }

    // Idle now, with a 60 s poll: only the wake-up moves a new event quickly.
    tokio::time::sleep(Duration::from_millis(100)).await;
    log.append(&envelope(5)).await.unwrap();
    wake.notify_one();
    let d = sub.next(Duration::from_secs(5)).await.unwrap().unwrap();
    assert_eq!(d.envelope, envelope(5));

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), relay).await.expect("relay stops on shutdown").unwrap();
}
