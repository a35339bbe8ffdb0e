//! Name rules shared by every backend, so a name that works on the embedded
//! log also works on NATS (where topics become subject tokens and consumer
//! names become durable names).

use crate::{BusError, Envelope};

const MAX_NAME: usize = 128;
const MAX_ID: usize = 256;

fn invalid(what: &'static str, value: &str, reason: &'static str) -> BusError {
    BusError::Invalid { what, value: value.to_owned(), reason }
}

/// Topics: dotted tokens (see [`dotted`]).
pub(crate) fn topic(value: &str) -> Result<(), BusError> {
    dotted("topic", value)
}

/// Dot separated, non-empty tokens of printable ASCII without NATS wildcards.
pub(crate) fn dotted(what: &'static str, value: &str) -> Result<(), BusError> {
    tokens(what, value, value)
}

/// `""` or whole topic tokens followed by a trailing `.`.
pub(crate) fn topic_prefix(value: &str) -> Result<(), BusError> {
    if value.is_empty() {
        return Ok(());
    }
    match value.strip_suffix('.') {
        Some(head) => tokens("topic prefix", value, head),
        None => Err(invalid("topic prefix", value, "must be empty or end with '.'")),
    }
}

fn tokens(what: &'static str, value: &str, body: &str) -> Result<(), BusError> {
    if body.split('.').any(str::is_empty) {
        return Err(invalid(what, value, "tokens between dots must be non-empty"));
    }
    if !body.bytes().all(|b| b.is_ascii_graphic() && b != b'*' && b != b'>') {
        return Err(invalid(what, value, "only printable ASCII without '*' or '>' is allowed"));
    }
    Ok(())
}

/// Consumer and stream names: `[A-Za-z0-9_-]{1,128}`.
pub(crate) fn name(what: &'static str, value: &str) -> Result<(), BusError> {
    if value.is_empty() || value.len() > MAX_NAME {
        return Err(invalid(what, value, "must be 1 to 128 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(invalid(what, value, "only [A-Za-z0-9_-] is allowed"));
    }
    Ok(())
}

/// Envelope id (sent as the `Nats-Msg-Id` header) and topic.
pub(crate) fn envelope(env: &Envelope) -> Result<(), BusError> {
    if env.id.is_empty() || env.id.len() > MAX_ID {
        return Err(invalid("envelope id", &env.id, "must be 1 to 256 bytes"));
    }
    if env.id.chars().any(char::is_control) {
        return Err(invalid("envelope id", &env.id, "control characters are not allowed"));
    }
    topic(&env.topic)
}

/// Whether `topic` is selected by a validated `prefix`.
pub(crate) fn matches(prefix: &str, topic: &str) -> bool {
    topic.starts_with(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics() {
        assert!(topic("orders.created").is_ok());
        assert!(topic("orders").is_ok());
        for bad in ["", ".a", "a.", "a..b", "a b", "a.*", "a.>", "é"] {
            assert!(topic(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn prefixes() {
        assert!(topic_prefix("").is_ok());
        assert!(topic_prefix("orders.").is_ok());
        assert!(topic_prefix("orders.created.").is_ok());
        for bad in ["orders", ".", "a..", "*."] {
            assert!(topic_prefix(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(matches("orders.", "orders.created"));
        assert!(!matches("orders.", "ordersx.created"));
        assert!(matches("", "anything"));
    }

    #[test]
    fn names() {
        assert!(name("consumer", "search-indexer_2").is_ok());
        for bad in ["", "a.b", "a b", "a*", "a/b"] {
            assert!(name("consumer", bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(name("consumer", &"x".repeat(129)).is_err());
    }
}
