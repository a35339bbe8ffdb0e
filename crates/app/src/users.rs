//! Console user accounts: roles, argon2id password hashes and account
//! management (role, disabled, lockout). Logins and sessions are in
//! [`crate::access`]; the permission checks that use roles live in the web layer.

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::{DateTime, Utc};
use retail_domain::validate::check_external_id;
use retail_store::{StoreError, UserAccessChange, UserAccessUpdate, UserRecord};
use serde::Serialize;

use crate::access::ms_to_time;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

/// What a user may do; the web layer maps each to its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

/// Creates or updates a user (a new password replaces the old one, and a
/// disabled user is enabled again). Refuses to demote the last enabled admin.
pub async fn put_user(p: &Platform, username: &str, role: Role, password: &str) -> ServiceResult<()> {
    check_external_id(username).map_err(|m| invalid("username", m))?;
    if password.chars().count() < 10 {
        return Err(invalid("password", "must be at least 10 characters"));
    }
    let created_at_ms = match p.store.get_user(username).await? {
        Some(existing) => {
            // The role change goes through the guarded update first, so that a
            // password reset cannot demote the last admin by the way.
            let update = UserAccessUpdate { role: Some(role.as_str().to_string()), disabled: Some(false) };
            update_access(p, username, &update).await?;
            existing.created_at_ms
        }
        None => Utc::now().timestamp_millis(),
    };
    let record = UserRecord {
        username: username.to_string(),
        display_name: username.to_string(),
        role: role.as_str().to_string(),
        password_hash: hash_password(password),
        disabled: false,
        created_at_ms,
        failed_logins: 0,
        locked_until_ms: None,
        last_login_at_ms: None,
    };
    Ok(p.store.put_user(&record).await?)
}

/// A user as the console and the CLI show it: no password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// Set while too many failed logins keep the account locked.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The stored role, which only this module writes.
pub(crate) fn stored_role(user: &UserRecord) -> Result<Role, StoreError> {
    Role::parse(&user.role)
        .ok_or_else(|| StoreError::Corrupt { table: "users", message: format!("unknown role {:?}", user.role) })
}

pub async fn list_users(p: &Platform) -> ServiceResult<Vec<UserInfo>> {
    let now_ms = Utc::now().timestamp_millis();
    let users = p.store.list_users().await?;
    users
        .into_iter()
        .map(|u| {
            Ok(UserInfo {
                role: stored_role(&u)?,
                disabled: u.disabled,
                created_at: ms_to_time(u.created_at_ms),
                last_login_at: u.last_login_at_ms.map(ms_to_time),
                // A lock that has run out no longer matters.
                locked_until: u.locked_until_ms.filter(|&t| t > now_ms).map(ms_to_time),
                username: u.username,
                display_name: u.display_name,
            })
        })
        .collect()
}

/// The role whose last enabled holder may not be demoted or disabled, so that
/// someone can always manage users.
const GUARDED_ROLE: Role = Role::Admin;

async fn update_access(p: &Platform, username: &str, update: &UserAccessUpdate) -> ServiceResult<()> {
    match p.store.update_user_access(username, update, GUARDED_ROLE.as_str()).await? {
        UserAccessChange::Changed => Ok(()),
        UserAccessChange::UnknownUser => Err(ServiceError::NotFound { kind: "user", id: username.to_string() }),
        UserAccessChange::LastOfRole => Err(ServiceError::Conflict(format!(
            "{username} is the last enabled {0}; make another user {0} first",
            GUARDED_ROLE.as_str()
        ))),
    }
}

pub async fn set_role(p: &Platform, username: &str, role: Role) -> ServiceResult<()> {
    update_access(p, username, &UserAccessUpdate { role: Some(role.as_str().to_string()), disabled: None }).await
}

/// Disabling also ends the user's sessions at once.
pub async fn set_disabled(p: &Platform, username: &str, disabled: bool) -> ServiceResult<()> {
    update_access(p, username, &UserAccessUpdate { role: None, disabled: Some(disabled) }).await
}

/// Lifts a lock from failed logins and clears the failure count.
pub async fn unlock(p: &Platform, username: &str) -> ServiceResult<()> {
    if p.store.unlock_user(username).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound { kind: "user", id: username.to_string() })
    }
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
