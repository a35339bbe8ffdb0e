//! The contract every [`EventBus`] adapter must meet, as an executable suite.
//!
//! Each adapter's tests call [`run_all`] so a behaviour difference between the
//! embedded log and NATS fails a test instead of surfacing in production. It
//! is a test harness: it panics on the first broken rule.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::{BusError, Delivery, Envelope, EventBus, Subscription};

/// How long to wait for a message that must arrive.
const ARRIVE: Duration = Duration::from_secs(10);
/// How long to wait to be sure nothing (more) arrives.
const QUIET: Duration = Duration::from_millis(400);

/// Runs every check against `bus`. `ns` (`[A-Za-z0-9_-]`, unique per run)
/// prefixes all topics and consumer names, so runs sharing a server or log
/// do not see each other's messages.
pub async fn run_all(bus: &dyn EventBus, ns: &str) {
    assert!(
        !ns.is_empty() && ns.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "namespace {ns:?} must match [A-Za-z0-9_-]+"
    );
    let ns = &Ns(ns.to_owned());
    basics(bus, ns).await;
    in_order(bus, ns).await;
    prefix_filter(bus, ns).await;
    ack_then_resubscribe(bus, ns).await;
    no_ack_then_resubscribe(bus, ns).await;
    duplicate_ids(bus, ns).await;
    independent_consumers(bus, ns).await;
    idle_next(bus, ns).await;
    bulk(bus, ns, 500).await;
}

/// Names scoped to one run.
struct Ns(String);

impl Ns {
    fn topic(&self, case: &str, rest: &str) -> String {
        format!("{}.{case}.{rest}", self.0)
    }
    fn prefix(&self, case: &str) -> String {
        format!("{}.{case}.", self.0)
    }
    fn consumer(&self, case: &str, who: &str) -> String {
        format!("{}-{case}-{who}", self.0)
    }
    fn envelope(&self, case: &str, rest: &str, n: u64) -> Envelope {
        Envelope {
            id: format!("{}-{case}-{n}", self.0),
            topic: self.topic(case, rest),
            payload: json!({ "case": case, "n": n, "text": format!("event {n} of {case}") }),
            occurred_at_ms: 1_700_000_000_000 + n as i64,
        }
    }
}

async fn publish_all(bus: &dyn EventBus, envs: &[Envelope]) {
    for env in envs {
        bus.publish(env).await.unwrap_or_else(|e| panic!("publish {}: {e}", env.id));
    }
}

async fn subscribe(bus: &dyn EventBus, consumer: &str, prefix: &str) -> Box<dyn Subscription> {
    bus.subscribe(consumer, prefix).await.unwrap_or_else(|e| panic!("subscribe {consumer} to {prefix:?}: {e}"))
}

async fn expect_next(sub: &mut dyn Subscription, what: &str) -> Delivery {
    match sub.next(ARRIVE).await {
        Ok(Some(d)) => d,
        Ok(None) => panic!("{what}: nothing arrived within {ARRIVE:?}"),
        Err(e) => panic!("{what}: next failed: {e}"),
    }
}

async fn expect_quiet(sub: &mut dyn Subscription, what: &str) {
    match sub.next(QUIET).await {
        Ok(None) => {}
        Ok(Some(d)) => panic!("{what}: expected nothing, got {} (redelivered={})", d.envelope.id, d.redelivered),
        Err(e) => panic!("{what}: next failed: {e}"),
    }
}

async fn ack(sub: &mut dyn Subscription, d: &Delivery) {
    sub.ack(d).await.unwrap_or_else(|e| panic!("ack {}: {e}", d.envelope.id));
}

/// Receives and acks `expected` in order.
async fn expect_sequence(sub: &mut dyn Subscription, expected: &[Envelope], what: &str) {
    let mut last_seq = 0;
    for env in expected {
        let d = expect_next(sub, what).await;
        assert_eq!(d.envelope, *env, "{what}: wrong envelope or order");
        assert!(d.seq > last_seq, "{what}: seq must increase");
        last_seq = d.seq;
        ack(sub, &d).await;
    }
}

fn assert_invalid<T>(result: Result<T, BusError>, what: &str) {
    match result {
        Err(BusError::Invalid { .. }) => {}
        Err(e) => panic!("{what}: expected an Invalid error, got {e}"),
        Ok(_) => panic!("{what}: expected an Invalid error, got Ok"),
    }
}

/// Health, backend name and the shared naming rules.
async fn basics(bus: &dyn EventBus, ns: &Ns) {
    bus.ping().await.expect("ping");
    assert!(!bus.backend().is_empty(), "backend name");
    let mut bad = ns.envelope("basics", "x", 0);
    bad.topic = "orders..created".to_owned();
    assert_invalid(bus.publish(&bad).await, "empty topic token");
    bad.topic = "orders.*".to_owned();
    assert_invalid(bus.publish(&bad).await, "wildcard in topic");
    let mut bad = ns.envelope("basics", "x", 0);
    bad.id = "line\nbreak".to_owned();
    assert_invalid(bus.publish(&bad).await, "control character in id");
    assert_invalid(bus.subscribe("has.dot", "").await, "dot in consumer name");
    assert_invalid(bus.subscribe(&ns.consumer("basics", "a"), "orders").await, "prefix without trailing dot");
}

/// A new durable consumer sees history published before it existed, in order.
async fn in_order(bus: &dyn EventBus, ns: &Ns) {
    let envs: Vec<_> = (0..5).map(|n| ns.envelope("order", "created", n)).collect();
    publish_all(bus, &envs).await;
    let mut sub = subscribe(bus, &ns.consumer("order", "a"), &ns.prefix("order")).await;
    let d = expect_next(sub.as_mut(), "in_order first").await;
    assert!(!d.redelivered, "first delivery must not be marked redelivered");
    assert_eq!(d.envelope, envs[0], "in_order: first envelope");
    ack(sub.as_mut(), &d).await;
    expect_sequence(sub.as_mut(), &envs[1..], "in_order").await;
    expect_quiet(sub.as_mut(), "in_order end").await;
}

/// Prefixes select whole tokens: `x.filter.` does not match `x.filterx.y`.
async fn prefix_filter(bus: &dyn EventBus, ns: &Ns) {
    let a: Vec<_> = (0..3).map(|n| ns.envelope("filter", "a.made", n)).collect();
    let b: Vec<_> = (3..6).map(|n| ns.envelope("filter", "b.made", n)).collect();
    let other = ns.envelope("filterx", "made", 6);
    for i in 0..3 {
        publish_all(bus, &[a[i].clone(), b[i].clone()]).await;
    }
    publish_all(bus, std::slice::from_ref(&other)).await;

    let only_a = format!("{}a.", ns.prefix("filter"));
    let mut sub = subscribe(bus, &ns.consumer("filter", "a"), &only_a).await;
    expect_sequence(sub.as_mut(), &a, "prefix filter a").await;
    expect_quiet(sub.as_mut(), "prefix filter a end").await;

    let both: Vec<_> = (0..3).flat_map(|i| [a[i].clone(), b[i].clone()]).collect();
    let mut sub = subscribe(bus, &ns.consumer("filter", "ab"), &ns.prefix("filter")).await;
    expect_sequence(sub.as_mut(), &both, "prefix filter a+b").await;
    expect_quiet(sub.as_mut(), "prefix filter a+b must not see filterx").await;

    // "" sees everything, including earlier cases of this run; look for ours.
    let mut sub = subscribe(bus, &ns.consumer("filter", "all"), "").await;
    let mut wanted: Vec<_> = both.iter().chain([&other]).map(|e| e.id.clone()).collect();
    wanted.reverse();
    while let Some(id) = wanted.last() {
        let d = expect_next(sub.as_mut(), "empty prefix").await;
        if d.envelope.id == *id {
            wanted.pop();
        }
        ack(sub.as_mut(), &d).await;
    }
}

/// Acked messages are not redelivered to the next subscription.
async fn ack_then_resubscribe(bus: &dyn EventBus, ns: &Ns) {
    let envs: Vec<_> = (0..3).map(|n| ns.envelope("acked", "done", n)).collect();
    publish_all(bus, &envs).await;
    let consumer = ns.consumer("acked", "a");
    let prefix = ns.prefix("acked");
    {
        let mut sub = subscribe(bus, &consumer, &prefix).await;
        let d = expect_next(sub.as_mut(), "ack first").await;
        assert_eq!(d.envelope, envs[0]);
        ack(sub.as_mut(), &d).await;
        ack(sub.as_mut(), &d).await; // a second ack is a no-op
    }
    let mut sub = subscribe(bus, &consumer, &prefix).await;
    let d = expect_next(sub.as_mut(), "after resubscribe").await;
    assert_eq!(d.envelope, envs[1], "an acked message came back after resubscribe");
    ack(sub.as_mut(), &d).await;
    expect_sequence(sub.as_mut(), &envs[2..], "rest after resubscribe").await;
    drop(sub);
    let mut sub = subscribe(bus, &consumer, &prefix).await;
    expect_quiet(sub.as_mut(), "everything acked").await;
}

/// An un-acked delivery comes back to the next subscription, marked.
async fn no_ack_then_resubscribe(bus: &dyn EventBus, ns: &Ns) {
    let envs: Vec<_> = (0..2).map(|n| ns.envelope("redeliver", "x", n)).collect();
    publish_all(bus, &envs).await;
    let consumer = ns.consumer("redeliver", "a");
    let prefix = ns.prefix("redeliver");
    {
        let mut sub = subscribe(bus, &consumer, &prefix).await;
        let d = expect_next(sub.as_mut(), "before drop").await;
        assert_eq!(d.envelope, envs[0]);
        assert!(!d.redelivered);
    }
    let mut sub = subscribe(bus, &consumer, &prefix).await;
    let d = expect_next(sub.as_mut(), "redelivery").await;
    assert_eq!(d.envelope, envs[0], "the un-acked message must come back first");
    assert!(d.redelivered, "redelivery must be marked redelivered");
    ack(sub.as_mut(), &d).await;
    let d = expect_next(sub.as_mut(), "after redelivery").await;
    assert_eq!(d.envelope, envs[1]);
    ack(sub.as_mut(), &d).await;
    expect_quiet(sub.as_mut(), "redelivery end").await;
}

/// Publishing one id twice delivers it once.
async fn duplicate_ids(bus: &dyn EventBus, ns: &Ns) {
    let first = ns.envelope("dup", "x", 0);
    let second = ns.envelope("dup", "x", 1);
    publish_all(bus, &[first.clone(), first.clone(), second.clone()]).await;
    let mut sub = subscribe(bus, &ns.consumer("dup", "a"), &ns.prefix("dup")).await;
    expect_sequence(sub.as_mut(), &[first.clone(), second], "dedup").await;
    publish_all(bus, &[first]).await;
    expect_quiet(sub.as_mut(), "duplicate must not be delivered").await;
}

/// Each consumer gets every message; deliveries are tied to their subscription.
async fn independent_consumers(bus: &dyn EventBus, ns: &Ns) {
    let envs: Vec<_> = (0..3).map(|n| ns.envelope("fanout", "x", n)).collect();
    publish_all(bus, &envs).await;
    let prefix = ns.prefix("fanout");
    let mut a = subscribe(bus, &ns.consumer("fanout", "a"), &prefix).await;
    let mut b = subscribe(bus, &ns.consumer("fanout", "b"), &prefix).await;
    let from_a = expect_next(a.as_mut(), "fanout a").await;
    let from_b = expect_next(b.as_mut(), "fanout b").await;
    assert_eq!(from_a.envelope, envs[0]);
    assert_eq!(from_b.envelope, envs[0]);
    match b.ack(&from_a).await {
        Err(BusError::ForeignDelivery { .. }) => {}
        other => panic!("acking another subscription's delivery: {other:?}"),
    }
    ack(a.as_mut(), &from_a).await;
    ack(b.as_mut(), &from_b).await;
    expect_sequence(a.as_mut(), &envs[1..], "fanout a").await;
    expect_sequence(b.as_mut(), &envs[1..], "fanout b").await;
    expect_quiet(a.as_mut(), "fanout a end").await;
    expect_quiet(b.as_mut(), "fanout b end").await;
}

/// `next` with nothing pending returns `None` after about `wait`.
async fn idle_next(bus: &dyn EventBus, ns: &Ns) {
    let mut sub = subscribe(bus, &ns.consumer("idle", "a"), &ns.prefix("idle")).await;
    let wait = Duration::from_millis(500);
    let started = Instant::now();
    let got = sub.next(wait).await.expect("idle next");
    let took = started.elapsed();
    assert!(got.is_none(), "idle next returned a message");
    assert!(
        took >= wait / 2 && took <= wait + Duration::from_millis(1500),
        "idle next took {took:?} for a wait of {wait:?}"
    );
}

/// Many messages round trip with their payloads, in order.
async fn bulk(bus: &dyn EventBus, ns: &Ns, count: u64) {
    let envs: Vec<_> = (0..count).map(|n| ns.envelope("bulk", "item", n)).collect();
    publish_all(bus, &envs).await;
    let mut sub = subscribe(bus, &ns.consumer("bulk", "a"), &ns.prefix("bulk")).await;
    let mut seen = HashSet::new();
    let mut next = envs.iter();
    while seen.len() < envs.len() {
        let d = expect_next(sub.as_mut(), "bulk").await;
        // At-least-once: a redelivery may repeat an id; first sightings must
        // follow publish order with intact payloads.
        if seen.insert(d.envelope.id.clone()) {
            assert_eq!(Some(&d.envelope), next.next(), "bulk: order or payload");
        }
        ack(sub.as_mut(), &d).await;
    }
    expect_quiet(sub.as_mut(), "bulk end").await;
}
