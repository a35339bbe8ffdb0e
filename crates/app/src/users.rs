//! Console user accounts: roles and argon2id password hashes. (Sessions and the
//! permission checks that use these live in the web layer.)

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use retail_domain::validate::check_external_id;
use retail_store::UserRecord;
use serde::Serialize;

use crate::platform::Platform;
use crate::service::{ServiceResult, invalid};

/// What a user may do; the web layer maps each to its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Analyst,
    Merchandiser,
    Planner,
    Agent,
    Marketer,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Self::Admin, Self::Analyst, Self::Merchandiser, Self::Planner, Self::Agent, Self::Marketer];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Merchandiser => "merchandiser",
            Self::Planner => "planner",
            Self::Agent => "agent",
            Self::Marketer => "marketer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters")
        .to_string()
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A readable random password: 16 characters without look-alikes.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Creates or updates a user (a new password replaces the old one).
pub async fn put_user(p: &Platform, username: &str, role: Role, password: &str) -> ServiceResult<()> {
    check_external_id(username).map_err(|m| invalid("username", m))?;
    if password.chars().count() < 10 {
        return Err(invalid("password", "must be at least 10 characters"));
    }
    let created_at_ms = match p.store.get_user(username).await? {
        Some(existing) => existing.created_at_ms,
        None => chrono::Utc::now().timestamp_millis(),
    };
    let record = UserRecord {
        username: username.to_string(),
        display_name: username.to_string(),
        role: role.as_str().to_string(),
        password_hash: hash_password(password),
        disabled: false,
        created_at_ms,
    };
    Ok(p.store.put_user(&record).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "wrong"));
        assert!(!verify_password("not a hash", "x"));
        assert_eq!(generate_password().len(), 16);
    }

    #[test]
    fn roles_parse() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
