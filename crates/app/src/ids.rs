//! Identifiers the platform makes up itself (outbox events, request ids).

use rand::Rng;

/// 128 random bits as 32 hex characters, prefixed, e.g. `evt-3f2a…`.
pub fn new_id(prefix: &str) -> String {
    let bits: u128 = rand::rng().random();
    format!("{prefix}-{bits:032x}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_and_prefixed() {
        let a = super::new_id("evt");
        assert!(a.starts_with("evt-") && a.len() == 36);
        assert_ne!(a, super::new_id("evt"));
    }
}
