use std::collections::{HashMap, VecDeque};
use std::fmt::Display;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, message::AckKind, message::PublishMessage, stream};
use async_trait::async_trait;
use futures_util::StreamExt;
use tokio::time::Instant;

use crate::{BusError, Delivery, Envelope, EventBus, Subscription, next_subscription_id, validate};

const BACKEND: &str = "nats";
/// Upper bound for one pull request beyond its own expiry, so a lost server
/// reply cannot stall `next` forever.
const PULL_GRACE: Duration = Duration::from_secs(5);
/// Waits shorter than this only check for messages already available; the
/// server is not asked to hold a pull request for less.
const MIN_WAIT: Duration = Duration::from_millis(10);

/// Settings for [`NatsBus`]; [`NatsConfig::new`] fills in the defaults.
#[derive(Clone, Debug)]
pub struct NatsConfig {
    /// Server URL, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// JetStream stream name (`[A-Za-z0-9_-]`).
    pub stream: String,
    /// Topics are published as `{subject_prefix}.{topic}`; the stream captures
    /// `{subject_prefix}.>`.
    pub subject_prefix: String,
    /// How long the server waits for an ack before redelivering. Default 30 s.
    pub ack_wait: Duration,
    /// How long the server remembers `Nats-Msg-Id`s for deduplication: the
    /// longest outage after which a relay re-publish is still dropped.
    /// Default 2 min.
    pub duplicate_window: Duration,
    /// Stream retention; `Duration::ZERO` keeps messages forever. Consumers
    /// that lag more than this lose messages. Default: forever.
    pub max_age: Duration,
    /// Bound for connecting and setting up the stream. Default 5 s.
    pub connect_timeout: Duration,
    /// Messages pulled per request. Pulled messages count against `ack_wait`
    /// while they wait in the client, and ones still unread when a
    /// subscription is dropped come back marked `redelivered`. Default 16.
    pub prefetch: usize,
}

impl NatsConfig {
    pub fn new(url: &str, stream: &str, subject_prefix: &str) -> Self {
        Self {
            url: url.to_owned(),
            stream: stream.to_owned(),
            subject_prefix: subject_prefix.to_owned(),
            ack_wait: Duration::from_secs(30),
            duplicate_window: Duration::from_secs(120),
            max_age: Duration::ZERO,
            connect_timeout: Duration::from_secs(5),
            prefetch: 16,
        }
    }
}

fn failed(op: &'static str, err: impl Display) -> BusError {
    BusError::backend(BACKEND, op, err)
}

/// Un-acked messages of dropped subscriptions, by consumer name, waiting to be
/// NAKed by the next `subscribe` of that consumer.
type Released = Arc<Mutex<HashMap<String, Vec<jetstream::Message>>>>;

fn lock(released: &Released) -> MutexGuard<'_, HashMap<String, Vec<jetstream::Message>>> {
    // Only whole-entry inserts and removals happen under this lock, so a
    // poisoned lock still holds consistent state.
    released.lock().unwrap_or_else(PoisonError::into_inner)
}

/// [`EventBus`] on a NATS JetStream stream, for deployments with several
/// nodes. Envelopes are stored as JSON; consumers are durable pull consumers
/// with explicit acks, so their positions live on the server.
///
/// Several live subscriptions of one consumer share its messages (each
/// message goes to one of them). Un-acked messages of a dropped subscription
/// are released (NAKed) when the same `NatsBus` next subscribes that
/// consumer; otherwise the server redelivers them after `ack_wait`.
pub struct NatsBus {
    js: jetstream::Context,
    stream: stream::Stream,
    config: NatsConfig,
    released: Released,
}

impl NatsBus {
    /// Connects with the default [`NatsConfig`].
    pub async fn connect(url: &str, stream: &str, subject_prefix: &str) -> Result<Self, BusError> {
        Self::connect_with(NatsConfig::new(url, stream, subject_prefix)).await
    }

    /// Connects and creates the stream if it does not exist yet (an existing
    /// stream is used as is). Fails within about `connect_timeout` when the
    /// server cannot be reached or has JetStream disabled.
    pub async fn connect_with(config: NatsConfig) -> Result<Self, BusError> {
        validate::name("stream", &config.stream)?;
        validate::dotted("subject prefix", &config.subject_prefix)?;
        let connect_error = |reason: String| BusError::Connect { backend: BACKEND, url: config.url.clone(), reason };
        let limit = config.connect_timeout;
        let connecting = async_nats::ConnectOptions::new().connection_timeout(limit).connect(config.url.as_str());
        let client = tokio::time::timeout(limit, connecting)
            .await
            .map_err(|_| connect_error(format!("no connection within {limit:?}")))?
            .map_err(|e| connect_error(e.to_string()))?;
        let js = jetstream::new(client);
        let creating = js.get_or_create_stream(stream::Config {
            name: config.stream.clone(),
            subjects: vec![format!("{}.>", config.subject_prefix)],
            storage: stream::StorageType::File,
            duplicate_window: config.duplicate_window,
            max_age: config.max_age,
            ..Default::default()
        });
        let stream = tokio::time::timeout(limit, creating)
            .await
            .map_err(|_| connect_error(format!("stream {:?} not ready within {limit:?}", config.stream)))?
            .map_err(|e| connect_error(format!("cannot get or create stream {:?}: {e}", config.stream)))?;
        Ok(Self { js, stream, config, released: Arc::new(Mutex::new(HashMap::new())) })
    }

    /// NAKs, in stream order, what earlier subscriptions of `consumer` left
    /// un-acked, so it is redelivered now instead of after `ack_wait`.
    async fn release(&self, consumer: &str) {
        let mut messages = lock(&self.released).remove(consumer).unwrap_or_default();
        messages.sort_by_key(|m| m.info().map(|i| i.stream_sequence).unwrap_or(0));
        for message in messages {
            // Awaiting the server's confirmation keeps the redelivery ahead of
            // the new subscription's first pull.
            if let Err(e) = message.double_ack_with(AckKind::Nak(None)).await {
                tracing::warn!(consumer, error = %e, "NAK failed; the server will redeliver after ack_wait");
            }
        }
    }
}

#[async_trait]
impl EventBus for NatsBus {
    async fn publish(&self, env: &Envelope) -> Result<(), BusError> {
        validate::envelope(env)?;
        let body = serde_json::to_vec(env).map_err(|e| BusError::Codec {
            backend: BACKEND,
            op: "encode",
            reason: e.to_string(),
        })?;
        let subject = format!("{}.{}", self.config.subject_prefix, env.topic);
        let message = PublishMessage::build().message_id(&env.id).payload(body.into());
        self.js
            .send_publish(subject, message)
            .await
            .map_err(|e| failed("publish", e))?
            .await
            .map_err(|e| failed("publish ack", e))?;
        Ok(())
    }

    async fn subscribe(&self, consumer: &str, topic_prefix: &str) -> Result<Box<dyn Subscription>, BusError> {
        validate::name("consumer", consumer)?;
        validate::topic_prefix(topic_prefix)?;
        self.release(consumer).await;
        // Create-or-update, so a changed filter or ack_wait takes effect while
        // the consumer keeps its position.
        let pull = self
            .stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some(consumer.to_owned()),
                filter_subject: format!("{}.{topic_prefix}>", self.config.subject_prefix),
                deliver_policy: consumer::DeliverPolicy::All,
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: self.config.ack_wait,
                ..Default::default()
            })
            .await
            .map_err(|e| failed("create consumer", e))?;
        Ok(Box::new(NatsSubscription {
            consumer: pull,
            name: consumer.to_owned(),
            id: next_subscription_id(),
            prefetch: self.config.prefetch.max(1),
            buffer: VecDeque::new(),
            in_flight: HashMap::new(),
            released: self.released.clone(),
        }))
    }

    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn ping(&self) -> Result<(), BusError> {
        self.stream.get_info().await.map(drop).map_err(|e| failed("ping", e))
    }
}

struct NatsSubscription {
    consumer: consumer::PullConsumer,
    name: String,
    id: u64,
    prefetch: usize,
    /// Pulled from the server, not yet handed out.
    buffer: VecDeque<jetstream::Message>,
    /// Handed out, not yet acked, by stream sequence.
    in_flight: HashMap<u64, jetstream::Message>,
    released: Released,
}

impl NatsSubscription {
    /// Pulls into the buffer: with `wait: None` only what is available now
    /// (up to `prefetch`), otherwise one message, waiting up to `wait`. Asking
    /// for one when waiting means no message is ever in transit to a
    /// subscription that has stopped reading.
    async fn fill(&mut self, wait: Option<Duration>) -> Result<(), BusError> {
        let (batch, limit) = match wait {
            None => (self.consumer.fetch().max_messages(self.prefetch).messages().await, PULL_GRACE),
            Some(wait) => (self.consumer.batch().max_messages(1).expires(wait).messages().await, wait + PULL_GRACE),
        };
        let mut batch = batch.map_err(|e| failed("pull", e))?;
        let buffer = &mut self.buffer;
        let drain = async {
            while let Some(message) = batch.next().await {
                buffer.push_back(message.map_err(|e| failed("pull", e))?);
            }
            Ok(())
        };
        tokio::time::timeout(limit, drain).await.map_err(|_| failed("pull", format!("no reply within {limit:?}")))?
    }

    /// Turns a pulled message into a delivery. A message that is not an
    /// envelope cannot be processed by anyone, so it is terminated (never
    /// redelivered) instead of blocking the consumer.
    async fn hand_out(&mut self, message: jetstream::Message) -> Result<Option<Delivery>, BusError> {
        let info = message.info().map_err(|e| failed("read delivery info", e))?;
        let (seq, delivered) = (info.stream_sequence, info.delivered);
        match serde_json::from_slice::<Envelope>(&message.payload) {
            Ok(envelope) => {
                self.in_flight.insert(seq, message);
                Ok(Some(Delivery { envelope, seq, redelivered: delivered > 1, subscription: self.id }))
            }
            Err(e) => {
                tracing::warn!(seq, consumer = %self.name, error = %e, "terminating a message that is not an envelope");
                message.ack_with(AckKind::Term).await.map_err(|e| failed("terminate", e))?;
                Ok(None)
            }
        }
    }
}

#[async_trait]
impl Subscription for NatsSubscription {
    async fn next(&mut self, wait: Duration) -> Result<Option<Delivery>, BusError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(message) = self.buffer.pop_front() {
                match self.hand_out(message).await? {
                    Some(delivery) => return Ok(Some(delivery)),
                    None => continue,
                }
            }
            self.fill(None).await?;
            if !self.buffer.is_empty() {
                continue;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining < MIN_WAIT {
                return Ok(None);
            }
            self.fill(Some(remaining)).await?;
        }
    }

    async fn ack(&mut self, d: &Delivery) -> Result<(), BusError> {
        if d.subscription != self.id {
            return Err(BusError::ForeignDelivery { backend: BACKEND, seq: d.seq });
        }
        let Some(message) = self.in_flight.remove(&d.seq) else {
            return Ok(());
        };
        // Waiting for the server's confirmation makes "acked" mean "will not
        // be redelivered", even to a subscription opened right after.
        if let Err(e) = message.double_ack().await {
            self.in_flight.insert(d.seq, message);
            return Err(failed("ack", e));
        }
        Ok(())
    }
}

impl Drop for NatsSubscription {
    fn drop(&mut self) {
        let unacked: Vec<_> = self.buffer.drain(..).chain(self.in_flight.drain().map(|(_, m)| m)).collect();
        if !unacked.is_empty() {
            lock(&self.released).entry(self.name.clone()).or_default().extend(unacked);
        }
    }
}
