use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use crate::{BusError, Envelope, EventLog, LogRecord};

/// In-process [`EventLog`] for tests and the pure in-memory mode (nothing
/// survives a restart).
#[derive(Default)]
pub struct MemoryLog {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// `records[i].seq == i + 1`, so reads index directly.
    records: Vec<LogRecord>,
    seq_by_id: HashMap<String, u64>,
    offsets: HashMap<String, u64>,
}

impl MemoryLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored records.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere cannot leave `Inner` half-updated (every update is
        // a single push/insert), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl EventLog for MemoryLog {
    async fn append(&self, env: &Envelope) -> Result<u64, BusError> {
        let mut inner = self.lock();
        if let Some(&seq) = inner.seq_by_id.get(&env.id) {
            return Ok(seq);
        }
        let seq = inner.records.len() as u64 + 1;
        inner.seq_by_id.insert(env.id.clone(), seq);
        inner.records.push(LogRecord { seq, envelope: env.clone() });
        Ok(seq)
    }

    async fn read_after(&self, after_seq: u64, limit: usize) -> Result<Vec<LogRecord>, BusError> {
        let inner = self.lock();
        let start = usize::try_from(after_seq).unwrap_or(usize::MAX).min(inner.records.len());
        Ok(inner.records[start..].iter().take(limit).cloned().collect())
    }

    async fn offset(&self, consumer: &str) -> Result<u64, BusError> {
        Ok(self.lock().offsets.get(consumer).copied().unwrap_or(0))
    }

    async fn commit(&self, consumer: &str, seq: u64) -> Result<(), BusError> {
        self.lock().offsets.insert(consumer.to_owned(), seq);
        Ok(())
    }
}
