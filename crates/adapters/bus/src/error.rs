use std::fmt::Display;

/// Why a bus or event-log operation failed. Every variant names the backend
/// (`"log"`, `"nats"`, `"memory"`, or whatever an [`crate::EventLog`]
/// implementation passes) so a log line says where the failure happened.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The backend could not be reached at start-up.
    #[error("{backend}: cannot connect to {url}: {reason}")]
    Connect { backend: &'static str, url: String, reason: String },

    /// An operation against a reachable backend failed.
    #[error("{backend}: {op} failed: {reason}")]
    Backend { backend: &'static str, op: &'static str, reason: String },

    /// An envelope could not be encoded or a stored message could not be decoded.
    #[error("{backend}: cannot {op} envelope: {reason}")]
    Codec { backend: &'static str, op: &'static str, reason: String },

    /// A topic, topic prefix, envelope id, consumer or stream name is not
    /// usable on every backend.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid { what: &'static str, value: String, reason: &'static str },

    /// [`crate::LogBus`] allows one live subscription per consumer and process,
    /// because two would both read from the same committed offset.
    #[error("{backend}: consumer {consumer:?} already has a live subscription")]
    ConsumerBusy { backend: &'static str, consumer: String },

    /// `ack` was given a delivery that another subscription handed out.
    #[error("{backend}: delivery of seq {seq} does not belong to this subscription")]
    ForeignDelivery { backend: &'static str, seq: u64 },
}

impl BusError {
    /// A [`BusError::Backend`] from any displayable error; for `EventLog`
    /// implementations outside this crate.
    pub fn backend(backend: &'static str, op: &'static str, err: impl Display) -> Self {
        BusError::Backend { backend, op, reason: err.to_string() }
    }
}
