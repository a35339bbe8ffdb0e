//! Signed customer tokens: the shop's backend, which knows who is logged in, signs
//! `customer_id.expiry` with the shared secret (`assistant_identity_secret`); the assistant then
//! treats the chat as that customer's and shows their orders without asking for a phone number.
//! Without a configured secret no token is accepted.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::service::{ServiceResult, invalid};

fn signature(secret: &str, payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// A token for `customer_id` valid until `expires`: `<customer_id>.<unix seconds>.<hex HMAC-SHA256>`.
pub fn customer_token(secret: &str, customer_id: &str, expires: DateTime<Utc>) -> String {
    let payload = format!("{customer_id}.{}", expires.timestamp());
    let sig = signature(secret, &payload);
    format!("{payload}.{sig}")
}

/// The customer a token names, if its signature is right and it has not expired.
pub fn verify_customer_token(secret: &str, token: &str, now: DateTime<Utc>) -> ServiceResult<String> {
    let bad = |why: &str| invalid("customer_token", why);
    if secret.is_empty() {
        return Err(bad("customer tokens are not enabled on this server (assistant_identity_secret is empty)"));
    }
    let mut parts = token.rsplitn(3, '.');
    let (Some(sig), Some(expiry), Some(customer)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("is not <customer_id>.<expiry>.<signature>"));
    };
    let expected = signature(secret, &format!("{customer}.{expiry}"));
    // Compare every byte so the time taken says nothing about how much matched.
    let same = expected.len() == sig.len() && expected.bytes().zip(sig.bytes()).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
    if !same {
        return Err(bad("has a wrong signature"));
    }
    let expiry: i64 = expiry.parse().map_err(|_| bad("has an unreadable expiry"))?;
    if expiry < now.timestamp() {
        return Err(bad("has expired"));
    }
    Ok(customer.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_the_secret_and_before_expiry() {
        let now: DateTime<Utc> = "2026-05-01T00:00:00Z".parse().unwrap();
        let token = customer_token("s3cret", "C.0001", now + chrono::Duration::hours(1));
        assert_eq!(verify_customer_token("s3cret", &token, now).unwrap(), "C.0001", "ids may hold dots");
        assert!(verify_customer_token("other", &token, now).is_err(), "another secret");
        assert!(verify_customer_token("", &token, now).is_err(), "tokens off without a secret");
        assert!(verify_customer_token("s3cret", &token, now + chrono::Duration::hours(2)).is_err(), "expired");
        let forged = token.replace("C.0001", "C.0002");
        assert!(verify_customer_token("s3cret", &forged, now).is_err(), "another customer");
        assert!(verify_customer_token("s3cret", "garbage", now).is_err());
    }
}
