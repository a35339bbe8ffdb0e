//! Outbox relay: copies the [`EventLog`] into an [`EventBus`] (NATS).
//!
//! The relay's position is an ordinary consumer offset in the log, committed
//! after every successful publish. A crash therefore re-publishes at most the
//! one envelope whose commit was lost, and the bus deduplicates it by id.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::{BusError, EventBus, EventLog};

/// Publishes up to `batch` records after `relay_name`'s offset, committing the
/// offset after each one. Returns how many records it moved.
///
/// A record the bus rejects as [`BusError::Invalid`] can never be published,
/// so it is logged and skipped rather than blocking every later event.
pub async fn relay_once(
    log: &dyn EventLog,
    bus: &dyn EventBus,
    relay_name: &str,
    batch: usize,
) -> Result<usize, BusError> {
    let after = log.offset(relay_name).await?;
    let records = log.read_after(after, batch).await?;
    let moved = records.len();
    for record in records {
        match bus.publish(&record.envelope).await {
            Ok(()) => {}
            Err(e @ BusError::Invalid { .. }) => {
                tracing::error!(relay = relay_name, seq = record.seq, id = %record.envelope.id, error = %e, "skipping an outbox record the bus rejects");
            }
            Err(e) => return Err(e),
        }
        log.commit(relay_name, record.seq).await?;
    }
    Ok(moved)
}

/// Settings for [`run_relay`].
#[derive(Clone, Debug)]
pub struct RelayOptions {
    /// Consumer name of the relay's offset in the log.
    pub name: String,
    /// Records per [`relay_once`] call.
    pub batch: usize,
    /// How often an idle relay looks for new records.
    pub poll_interval: Duration,
    /// Longest pause after repeated errors (the pause doubles from
    /// `poll_interval` up to this).
    pub max_backoff: Duration,
    /// Optional wake-up, e.g. notified by the store after committing outbox
    /// rows, so events leave before the next poll. Use `notify_one`: it keeps
    /// a permit when the relay is busy, so the wake-up is not lost.
    pub wake: Option<Arc<Notify>>,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            name: "outbox-relay".to_owned(),
            batch: 256,
            poll_interval: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            wake: None,
        }
    }
}

/// Runs [`relay_once`] until `shutdown` turns `true` (or its sender is
/// dropped). Errors are logged and retried with exponential backoff, because
/// the outbox keeps every event until the bus is back.
pub async fn run_relay(
    log: Arc<dyn EventLog>,
    bus: Arc<dyn EventBus>,
    opts: RelayOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let batch = opts.batch.max(1);
    let mut backoff = opts.poll_interval;
    loop {
        if *shutdown.borrow() {
            return;
        }
        // After an error only the backoff timer (or shutdown) ends the pause,
        // so a stream of wake-ups cannot hammer a bus that is down.
        let (pause, wakeable) = match relay_once(log.as_ref(), bus.as_ref(), &opts.name, batch).await {
            // A full batch means more is probably waiting.
            Ok(moved) if moved == batch => {
                backoff = opts.poll_interval;
                continue;
            }
            Ok(_) => {
                backoff = opts.poll_interval;
                (opts.poll_interval, true)
            }
            Err(e) => {
                tracing::warn!(relay = %opts.name, error = %e, "outbox relay failed");
                let pause = backoff.min(opts.max_backoff);
                backoff = (pause * 2).min(opts.max_backoff);
                (pause, false)
            }
        };
        let woken = async {
            match &opts.wake {
                Some(wake) if wakeable => wake.notified().await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = woken => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}
