//! Wiring: opens the configured store, cache and event bus, migrates, and runs
//! the outbox relay when NATS is configured. Embedded by default (SQLite, an
//! in-process cache, the outbox table as the bus); PostgreSQL, Redis and NATS
//! JetStream when their URLs are set, which keeps API replicas stateless.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use retail_bus::{BusError, Envelope, EventBus, EventLog, LogBus, LogRecord, NatsBus, RelayOptions};
use retail_cache::{Cache, MemoryCache, RedisCache};
use retail_store::{OutboxWrite, Store, StoreError};
use serde::Serialize;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("cannot create the data folder {path}: {message}")]
    DataDir { path: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Cache(#[from] retail_cache::CacheError),
    #[error(transparent)]
    Bus(#[from] BusError),
}

/// The running platform: what every handler and command works with.
pub struct Platform {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub bus: Arc<dyn EventBus>,
    /// The fitted recommenders, shared by every request.
    pub models: crate::recommend::ModelSlot,
    /// Lets one forecast run at a time.
    pub planning: crate::planning::PlanningSlot,
    /// The assistant's intent model and its snapshot of the catalogue and knowledge base.
    pub assistant: crate::assistant::AssistantSlot,
    /// Wakes in-process subscribers, or the NATS relay, after a commit that wrote outbox rows.
    outbox_written: OutboxWake,
    shutdown: watch::Sender<bool>,
    relay: Option<JoinHandle<()>>,
}

enum OutboxWake {
    Log(LogBus),
    Relay(Arc<Notify>),
}

/// The outbox table as the bus's durable log.
pub struct StoreLog(pub Arc<dyn Store>);

fn log_error(op: &'static str, e: StoreError) -> BusError {
    BusError::backend("log", op, e)
}

#[async_trait]
impl EventLog for StoreLog {
    async fn append(&self, env: &Envelope) -> Result<u64, BusError> {
        let record = OutboxWrite {
            event_id: env.id.clone(),
            topic: env.topic.clone(),
            payload: env.payload.clone(),
            occurred_at_ms: env.occurred_at_ms,
        };
        self.0.outbox_append(&record).await.map_err(|e| log_error("append", e))
    }

    async fn read_after(&self, after_seq: u64, limit: usize) -> Result<Vec<LogRecord>, BusError> {
        let rows = self.0.outbox_after(after_seq, limit).await.map_err(|e| log_error("read", e))?;
        Ok(rows
            .into_iter()
            .map(|r| LogRecord {
                seq: r.seq,
                envelope: Envelope {
                    id: r.record.event_id,
                    topic: r.record.topic,
                    payload: r.record.payload,
                    occurred_at_ms: r.record.occurred_at_ms,
                },
            })
            .collect())
    }

    async fn offset(&self, consumer: &str) -> Result<u64, BusError> {
        self.0.consumer_offset(consumer).await.map_err(|e| log_error("offset", e))
    }

    async fn commit(&self, consumer: &str, seq: u64) -> Result<(), BusError> {
        self.0.commit_offset(consumer, seq).await.map_err(|e| log_error("commit", e))
    }
}

/// A background job's state.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub name: &'static str,
    pub running: bool,
    pub detail: String,
}

/// Readiness of each backend.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub database: BackendHealth,
    pub cache: BackendHealth,
    pub bus: BackendHealth,
}

#[derive(Debug, Clone, Serialize)]
pub struct BackendHealth {
    pub backend: &'static str,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Health {
    pub fn ok(&self) -> bool {
        self.database.ok && self.cache.ok && self.bus.ok
    }
}

fn backend_health(backend: &'static str, r: Result<(), String>) -> BackendHealth {
    BackendHealth { backend, ok: r.is_ok(), error: r.err() }
}

impl Platform {
    /// Connects everything the configuration names and migrates the database.
    pub async fn open(config: Config) -> Result<Self, PlatformError> {
        if config.database_url.is_empty() {
            std::fs::create_dir_all(&config.data_dir).map_err(|e| PlatformError::DataDir {
                path: config.data_dir.display().to_string(),
                message: e.to_string(),
            })?;
        }
        let store: Arc<dyn Store> =
            Arc::new(retail_store::connect(&config.effective_database_url(), config.database_max_connections).await?);
        let applied = store.migrate().await?;
        if !applied.is_empty() {
            tracing::info!(?applied, "applied migrations");
        }
        let cache: Arc<dyn Cache> = if config.redis_url.is_empty() {
            Arc::new(MemoryCache::new(config.cache_max_entries))
        } else {
            Arc::new(RedisCache::connect(&config.redis_url, "retail:").await?)
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let log: Arc<dyn EventLog> = Arc::new(StoreLog(store.clone()));
        let (bus, outbox_written, relay): (Arc<dyn EventBus>, _, _) = if config.nats_url.is_empty() {
            let bus = LogBus::new(log);
            (Arc::new(bus.clone()), OutboxWake::Log(bus), None)
        } else {
            let bus: Arc<dyn EventBus> = Arc::new(
                NatsBus::connect(&config.nats_url, &config.nats_stream, &config.nats_stream.to_lowercase()).await?,
            );
            let wake = Arc::new(Notify::new());
            let options = RelayOptions { wake: Some(wake.clone()), ..RelayOptions::default() };
            let task = tokio::spawn(retail_bus::run_relay(log, bus.clone(), options, shutdown_rx));
            (bus, OutboxWake::Relay(wake), Some(task))
        };
        Ok(Self {
            config,
            store,
            cache,
            bus,
            models: Default::default(),
            planning: Default::default(),
            assistant: Default::default(),
            outbox_written,
            shutdown,
            relay,
        })
    }

    /// Call after committing a write that added outbox rows.
    pub fn outbox_written(&self) {
        match &self.outbox_written {
            OutboxWake::Log(bus) => bus.notify_appended(),
            OutboxWake::Relay(wake) => wake.notify_one(),
        }
    }

    pub async fn health(&self) -> Health {
        let timeout = Duration::from_secs(2);
        let (db, cache, bus) = tokio::join!(
            tokio::time::timeout(timeout, self.store.ping()),
            tokio::time::timeout(timeout, self.cache.ping()),
            tokio::time::timeout(timeout, self.bus.ping()),
        );
        let flat =
            |r: Result<Result<(), String>, tokio::time::error::Elapsed>| r.unwrap_or_else(|_| Err("timed out".into()));
        Health {
            database: backend_health(self.store.backend().as_str(), flat(db.map(|r| r.map_err(|e| e.to_string())))),
            cache: backend_health(self.cache.backend(), flat(cache.map(|r| r.map_err(|e| e.to_string())))),
            bus: backend_health(self.bus.backend(), flat(bus.map(|r| r.map_err(|e| e.to_string())))),
        }
    }

    /// The background jobs and whether each is running, for the health page and metrics.
    pub fn jobs(&self) -> Vec<JobStatus> {
        match &self.relay {
            Some(task) => vec![JobStatus {
                name: "outbox-relay",
                running: !task.is_finished(),
                detail: format!("outbox → NATS JetStream stream {}", self.config.nats_stream),
            }],
            // The in-process bus delivers from the outbox table itself; nothing runs apart.
            None => vec![JobStatus {
                name: "in-process-bus",
                running: true,
                detail: "subscribers read the outbox table directly".into(),
            }],
        }
    }

    /// Stops background work (the relay finishes its current batch).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.relay {
            let _ = task.await;
        }
    }
}
