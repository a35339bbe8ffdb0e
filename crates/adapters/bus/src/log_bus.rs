use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::{
    BusError, Delivery, Envelope, EventBus, EventLog, LogRecord, Subscription, next_subscription_id, validate,
};

const BACKEND: &str = "log";
const DEFAULT_POLL: Duration = Duration::from_millis(250);
const DEFAULT_BATCH: usize = 256;
/// Consumer whose offset `ping` reads: a cheap query that touches the store.
const PING_CONSUMER: &str = "__retail_bus_ping";

/// [`EventBus`] that reads straight from an [`EventLog`]: the embedded mode,
/// where the outbox table itself is the bus and no broker is needed.
///
/// Consumer positions are the log's committed offsets. Subscribers wake on
/// [`LogBus::notify_appended`] (called by `publish`, and by the store after a
/// transaction that wrote outbox rows) and also poll, so rows committed by
/// another process are seen too.
///
/// One live subscription per consumer name and process: a second `subscribe`
/// fails with [`BusError::ConsumerBusy`] until the first is dropped. Running
/// the same consumer in several processes over one log delivers every event
/// to each of them.
#[derive(Clone)]
pub struct LogBus {
    shared: Arc<Shared>,
}

struct Shared {
    log: Arc<dyn EventLog>,
    appended: Notify,
    poll_interval: Duration,
    batch: usize,
    consumers: Mutex<HashMap<String, ConsumerState>>,
}

#[derive(Default)]
struct ConsumerState {
    live: bool,
    /// Highest seq this process handed to the consumer; anything at or below
    /// it that comes round again is a redelivery.
    delivered_upto: u64,
}

impl Shared {
    fn consumers(&self) -> MutexGuard<'_, HashMap<String, ConsumerState>> {
        // Updates under this lock are single field writes, so a poisoned lock
        // still holds consistent state.
        self.consumers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl LogBus {
    pub fn new(log: Arc<dyn EventLog>) -> Self {
        Self::with_poll_interval(log, DEFAULT_POLL)
    }

    /// Like [`LogBus::new`], with how often idle subscribers re-read the log
    /// to catch rows appended without [`LogBus::notify_appended`].
    pub fn with_poll_interval(log: Arc<dyn EventLog>, poll_interval: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                log,
                appended: Notify::new(),
                poll_interval,
                batch: DEFAULT_BATCH,
                consumers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Wakes waiting subscribers; call after committing a transaction that
    /// appended to the log directly.
    pub fn notify_appended(&self) {
        self.shared.appended.notify_waiters();
    }
}

#[async_trait]
impl EventBus for LogBus {
    async fn publish(&self, env: &Envelope) -> Result<(), BusError> {
        validate::envelope(env)?;
        self.shared.log.append(env).await?;
        self.notify_appended();
        Ok(())
    }

    async fn subscribe(&self, consumer: &str, topic_prefix: &str) -> Result<Box<dyn Subscription>, BusError> {
        validate::name("consumer", consumer)?;
        validate::topic_prefix(topic_prefix)?;
        let delivered_before = {
            let mut consumers = self.shared.consumers();
            let state = consumers.entry(consumer.to_owned()).or_default();
            if state.live {
                return Err(BusError::ConsumerBusy { backend: BACKEND, consumer: consumer.to_owned() });
            }
            state.live = true;
            state.delivered_upto
        };
        // Built before the first await so its Drop clears `live` on failure.
        let mut sub = LogSubscription {
            shared: self.shared.clone(),
            id: next_subscription_id(),
            consumer: consumer.to_owned(),
            prefix: topic_prefix.to_owned(),
            delivered_before,
            buffer: VecDeque::new(),
            read_upto: 0,
            passed_upto: 0,
            in_flight: BTreeSet::new(),
            committed: 0,
        };
        let offset = self.shared.log.offset(consumer).await?;
        sub.read_upto = offset;
        sub.passed_upto = offset;
        sub.committed = offset;
        Ok(Box::new(sub))
    }

    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.shared.log.offset(PING_CONSUMER).await.map(drop)
    }
}

struct LogSubscription {
    shared: Arc<Shared>,
    id: u64,
    consumer: String,
    prefix: String,
    /// The consumer's `delivered_upto` when this subscription started.
    delivered_before: u64,
    /// Records read from the log but not yet looked at.
    buffer: VecDeque<LogRecord>,
    /// Highest seq read from the log.
    read_upto: u64,
    /// Every record up to here was either handed out or filtered away.
    passed_upto: u64,
    /// Handed out, not yet acked.
    in_flight: BTreeSet<u64>,
    /// Last offset written to the log.
    committed: u64,
}

impl LogSubscription {
    /// Commits the longest fully-acked prefix, so a crash never skips a
    /// delivery that was still being processed.
    async fn commit_progress(&mut self) -> Result<(), BusError> {
        let safe = match self.in_flight.first() {
            Some(&oldest) => oldest - 1,
            None => self.passed_upto,
        };
        if safe > self.committed {
            self.shared.log.commit(&self.consumer, safe).await?;
            self.committed = safe;
        }
        Ok(())
    }

    /// The next buffered record this consumer wants, marking what it passes.
    fn take_buffered(&mut self) -> Option<Delivery> {
        while let Some(record) = self.buffer.pop_front() {
            self.passed_upto = record.seq;
            if !validate::matches(&self.prefix, &record.envelope.topic) {
                continue;
            }
            self.in_flight.insert(record.seq);
            let mut consumers = self.shared.consumers();
            let state = consumers.entry(self.consumer.clone()).or_default();
            state.delivered_upto = state.delivered_upto.max(record.seq);
            return Some(Delivery {
                redelivered: record.seq <= self.delivered_before,
                seq: record.seq,
                envelope: record.envelope,
                subscription: self.id,
            });
        }
        None
    }
}

#[async_trait]
impl Subscription for LogSubscription {
    async fn next(&mut self, wait: Duration) -> Result<Option<Delivery>, BusError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(delivery) = self.take_buffered() {
                return Ok(Some(delivery));
            }
            // Registered before reading so an append between the read and the
            // wait still wakes us.
            let shared = self.shared.clone();
            let appended = shared.appended.notified();
            tokio::pin!(appended);
            appended.as_mut().enable();

            let records = shared.log.read_after(self.read_upto, shared.batch).await?;
            if let Some(last) = records.last() {
                self.read_upto = last.seq;
                self.buffer.extend(records);
                continue;
            }
            // Idle: persist progress over filtered-out records so a restart
            // does not rescan them.
            self.commit_progress().await?;
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let nap = (deadline - now).min(shared.poll_interval);
            // Timing out just means "poll again".
            let _ = tokio::time::timeout(nap, appended).await;
        }
    }

    async fn ack(&mut self, d: &Delivery) -> Result<(), BusError> {
        if d.subscription != self.id {
            return Err(BusError::ForeignDelivery { backend: BACKEND, seq: d.seq });
        }
        self.in_flight.remove(&d.seq);
        self.commit_progress().await
    }
}

impl Drop for LogSubscription {
    fn drop(&mut self) {
        if let Some(state) = self.shared.consumers().get_mut(&self.consumer) {
            state.live = false;
        }
    }
}
