//! Access control: API keys, console sessions with login lockout, and the audit log.
//!
//! Key secrets and session tokens are 256 random bits from `rand::rng()` (a
//! CSPRNG seeded by the operating system) and are stored only as SHA-256
//! hashes, so a copy of the database lets nobody in. A plain hash is enough
//! here, unlike for passwords, because the secrets are random rather than chosen.

use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use rand::RngCore;
use retail_domain::Violations;
use retail_store::{ApiKeyRecord, AuditRecord, SessionRecord, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult};
use crate::users::{Role, hash_password, stored_role, verify_password};

/// What an API key may call; the web layer says which scope each route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Storefront calls (sending behaviour events; later recommendations and chat), safe to embed in a shop.
    Public,
    Read,
    Write,
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Self::Public, Self::Read, Self::Write, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// Parses a comma separated list such as `read,write`, ignoring blanks and
    /// repeats; the error names the first unknown scope.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, String> {
        let mut scopes = s
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                Self::parse(name)
                    .ok_or_else(|| format!("unknown scope {name:?}; one of {}", Self::ALL.map(Self::as_str).join(", ")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}

/// An API key as listed: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const KEY_PREFIX: &str = "rk_";
/// The public id: 48 bits, enough to tell a chain's keys apart in listings.
const KEY_ID_BYTES: usize = 6;
/// Session tokens, CSRF tokens and key secrets.
const SECRET_BYTES: usize = 32;
const MAX_KEY_NAME_CHARS: usize = 100;
/// A key's last use is written at most this often, so that a busy key does not
/// cost a database write on every request.
const KEY_TOUCH_INTERVAL_MS: i64 = 60_000;

pub(crate) fn ms_to_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `rk_<12 hex id>_<64 hex secret>`, checked before any database lookup.
fn is_well_formed_key(presented: &str) -> bool {
    presented
        .strip_prefix(KEY_PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .is_some_and(|(id, secret)| is_lower_hex(id, KEY_ID_BYTES * 2) && is_lower_hex(secret, SECRET_BYTES * 2))
}

fn key_info(record: ApiKeyRecord) -> Result<ApiKeyInfo, StoreError> {
    let scopes = record
        .scopes
        .iter()
        .map(|s| {
            Scope::parse(s)
                .ok_or_else(|| StoreError::Corrupt { table: "api_keys", message: format!("unknown scope {s:?}") })
        })
        .collect::<Result<_, _>>()?;
    Ok(ApiKeyInfo {
        id: record.id,
        name: record.name,
        scopes,
        created_by: record.created_by,
        created_at: ms_to_time(record.created_at_ms),
        expires_at: record.expires_at_ms.map(ms_to_time),
        last_used_at: record.last_used_at_ms.map(ms_to_time),
        revoked_at: record.revoked_at_ms.map(ms_to_time),
    })
}

/// Creates an API key. Returns its description and the full key text, which
/// is not stored and so can be shown only this once.
pub async fn create_key(
    p: &Platform,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
    created_by: &str,
) -> ServiceResult<(ApiKeyInfo, String)> {
    let now = Utc::now();
    let name = name.trim();
    let created_by = created_by.trim();
    let mut v = Violations::new();
    v.check(!name.is_empty(), "name", "must not be empty");
    v.check(
        name.chars().count() <= MAX_KEY_NAME_CHARS,
        "name",
        format!("must be at most {MAX_KEY_NAME_CHARS} characters"),
    );
    v.check(!name.chars().any(char::is_control), "name", "must not contain control characters");
    v.check(!scopes.is_empty(), "scopes", "at least one scope is needed");
    v.check(expires_at.is_none_or(|t| t > now), "expires_at", "must be in the future");
    v.check(!created_by.is_empty(), "created_by", "must not be empty");
    v.into_result().map_err(ServiceError::Invalid)?;

    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let id = random_hex(KEY_ID_BYTES);
    let key = format!("{KEY_PREFIX}{id}_{}", random_hex(SECRET_BYTES));
    let record = ApiKeyRecord {
        id,
        name: name.to_string(),
        scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
        secret_hash: sha256_hex(&key),
        created_by: created_by.to_string(),
        created_at_ms: now.timestamp_millis(),
        expires_at_ms: expires_at.map(|t| t.timestamp_millis()),
        last_used_at_ms: None,
        revoked_at_ms: None,
    };
    p.store.create_api_key(&record).await?;
    Ok((key_info(record)?, key))
}

/// Every key, revoked and expired ones included, newest first.
pub async fn list_keys(p: &Platform) -> ServiceResult<Vec<ApiKeyInfo>> {
    let records = p.store.list_api_keys().await?;
    Ok(records.into_iter().map(key_info).collect::<Result<_, _>>()?)
}

/// Revokes a key for good; revoking it again changes nothing.
pub async fn revoke_key(p: &Platform, id: &str) -> ServiceResult<()> {
    if p.store.revoke_api_key(id, Utc::now().timestamp_millis()).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound { kind: "API key", id: id.to_string() })
    }
}

/// The key a request presents, if it is valid: well formed, known, not
/// revoked and not expired. Anything else is None, without saying why.
pub async fn authenticate_key(p: &Platform, presented: &str) -> ServiceResult<Option<ApiKeyInfo>> {
    authenticate_key_at(p, presented, Utc::now()).await
}

async fn authenticate_key_at(p: &Platform, presented: &str, now: DateTime<Utc>) -> ServiceResult<Option<ApiKeyInfo>> {
    if !is_well_formed_key(presented) {
        return Ok(None);
    }
    let Some(mut record) = p.store.find_api_key(&sha256_hex(presented)).await? else {
        return Ok(None);
    };
    let now_ms = now.timestamp_millis();
    if record.revoked_at_ms.is_some() || record.expires_at_ms.is_some_and(|t| t <= now_ms) {
        return Ok(None);
    }
    if record.last_used_at_ms.is_none_or(|t| now_ms - t >= KEY_TOUCH_INTERVAL_MS) {
        p.store.touch_api_key(&record.id, now_ms).await?;
        record.last_used_at_ms = Some(now_ms);
    }
    Ok(Some(key_info(record)?))
}

/// Consecutive failed logins that lock an account.
const LOCK_AFTER_FAILURES: u32 = 5;
const LOCK_DURATION_MS: i64 = 15 * 60_000;

/// A successful login. `token` goes into the session cookie and is not
/// stored; `csrf_token` must come back with every state-changing request.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub username: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// Leaves the tokens out, so that a logged value hands out no session.
impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password or disabled account: one answer for all,
    /// so that it does not tell which usernames exist.
    #[error("unknown user or wrong password")]
    BadCredentials,
    #[error("too many failed logins; the account is locked until {until}")]
    Locked { until: DateTime<Utc> },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for LoginError {
    fn from(e: StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// Checks a password off the async worker threads (argon2 takes tens of
/// milliseconds). Without a stored hash it checks against a throwaway one, made
/// once per process, so that refusing an unknown or disabled user takes as long
/// as a wrong password.
async fn password_matches(stored_hash: Option<String>, password: &str) -> ServiceResult<bool> {
    static THROWAWAY_HASH: OnceLock<String> = OnceLock::new();
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let hash = stored_hash
            .unwrap_or_else(|| THROWAWAY_HASH.get_or_init(|| hash_password(&random_hex(SECRET_BYTES))).clone());
        verify_password(&hash, &password)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("password check: {e}")))
}

fn session_lifetime_ms(p: &Platform) -> i64 {
    // At least an hour: a zero would end every session as it starts.
    i64::from(p.config.session_hours.max(1)) * 3_600_000
}

/// Logs a console user in and starts a session. `replacing` is the session
/// token the browser held before, which ends here (so a token planted before
/// login is worthless after it). Five consecutive failures lock the account
/// for fifteen minutes; a success clears the count.
pub async fn login(
    p: &Platform,
    username: &str,
    password: &str,
    replacing: Option<&str>,
) -> Result<NewSession, LoginError> {
    login_at(p, username, password, replacing, Utc::now()).await
}

async fn login_at(
    p: &Platform,
    username: &str,
    password: &str,
    replacing: Option<&str>,
    now: DateTime<Utc>,
) -> Result<NewSession, LoginError> {
    let now_ms = now.timestamp_millis();
    let Some(user) = p.store.get_user(username).await?.filter(|u| !u.disabled) else {
        password_matches(None, password).await?;
        return Err(LoginError::BadCredentials);
    };
    if let Some(until) = user.locked_until_ms.filter(|&t| t > now_ms) {
        return Err(LoginError::Locked { until: ms_to_time(until) });
    }
    if !password_matches(Some(user.password_hash.clone()), password).await? {
        let updated = p.store.record_login_failure(username, LOCK_AFTER_FAILURES, now_ms + LOCK_DURATION_MS).await?;
        return Err(match updated.and_then(|u| u.locked_until_ms).filter(|&t| t > now_ms) {
            Some(until) => LoginError::Locked { until: ms_to_time(until) },
            None => LoginError::BadCredentials,
        });
    }
    let role = stored_role(&user)?;
    p.store.record_login_success(username, now_ms).await?;
    // Logins are rare next to requests, which makes them the place to sweep.
    p.store.purge_expired_sessions(now_ms).await?;
    let token = random_hex(SECRET_BYTES);
    let csrf_token = random_hex(SECRET_BYTES);
    let expires_at_ms = now_ms + session_lifetime_ms(p);
    let record = SessionRecord {
        token_hash: sha256_hex(&token),
        username: user.username.clone(),
        csrf_token: csrf_token.clone(),
        created_at_ms: now_ms,
        expires_at_ms,
        last_seen_at_ms: now_ms,
    };
    let replacing_hash = replacing.map(sha256_hex);
    p.store.create_session(&record, replacing_hash.as_deref()).await?;
    Ok(NewSession { token, csrf_token, username: user.username, role, expires_at: ms_to_time(expires_at_ms) })
}

/// The user behind a live session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// The session a cookie token names: None when unknown, expired (then it is
/// deleted) or its user is disabled. Activity slides the expiry forward.
pub async fn session(p: &Platform, token: &str) -> ServiceResult<Option<SessionInfo>> {
    session_at(p, token, Utc::now()).await
}

async fn session_at(p: &Platform, token: &str, now: DateTime<Utc>) -> ServiceResult<Option<SessionInfo>> {
    if !is_lower_hex(token, SECRET_BYTES * 2) {
        return Ok(None);
    }
    let token_hash = sha256_hex(token);
    let Some(stored) = p.store.get_session(&token_hash).await? else {
        return Ok(None);
    };
    let now_ms = now.timestamp_millis();
    if stored.expires_at_ms <= now_ms {
        p.store.delete_session(&token_hash).await?;
        return Ok(None);
    }
    let Some(user) = p.store.get_user(&stored.username).await?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    let lifetime_ms = session_lifetime_ms(p);
    let mut expires_at_ms = stored.expires_at_ms;
    // Sliding by a tenth of the lifetime at a time: one write per stretch of
    // activity instead of one per request.
    if now_ms - stored.last_seen_at_ms > lifetime_ms / 10 {
        expires_at_ms = now_ms + lifetime_ms;
        p.store.extend_session(&token_hash, now_ms, expires_at_ms).await?;
    }
    Ok(Some(SessionInfo {
        role: stored_role(&user)?,
        username: user.username,
        display_name: user.display_name,
        csrf_token: stored.csrf_token,
        expires_at: ms_to_time(expires_at_ms),
    }))
}

/// Ends a session; an unknown token is not an error (logging out twice is fine).
pub async fn logout(p: &Platform, token: &str) -> ServiceResult<()> {
    p.store.delete_session(&sha256_hex(token)).await?;
    Ok(())
}

/// What happened, to be written to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditWrite {
    /// Username or `key:<id>`.
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// The HTTP status of the outcome.
    pub status: u16,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// Longest stored text per audit field, so that request data cannot bloat the log.
const MAX_AUDIT_FIELD_CHARS: usize = 200;
const MAX_AUDIT_DETAIL_CHARS: usize = 4000;

fn clip(mut text: String, max_chars: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(max_chars) {
        text.truncate(cut);
    }
    text
}

pub async fn record_audit(p: &Platform, entry: AuditWrite) -> ServiceResult<()> {
    let record = AuditRecord {
        at_ms: Utc::now().timestamp_millis(),
        actor: clip(entry.actor, MAX_AUDIT_FIELD_CHARS),
        action: clip(entry.action, MAX_AUDIT_FIELD_CHARS),
        target: clip(entry.target, MAX_AUDIT_FIELD_CHARS),
        detail: clip(entry.detail, MAX_AUDIT_DETAIL_CHARS),
        status: entry.status,
        ip: entry.ip.map(|s| clip(s, MAX_AUDIT_FIELD_CHARS)),
        request_id: entry.request_id.map(|s| clip(s, MAX_AUDIT_FIELD_CHARS)),
    };
    p.store.append_audit(&record).await?;
    Ok(())
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// The last `seq` of the previous page.
    pub before_seq: Option<u64>,
    /// 1 to 1000.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub status: u16,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

pub async fn list_audit(p: &Platform, query: AuditQuery) -> ServiceResult<Vec<AuditEntry>> {
    let query = retail_store::AuditQuery { actor: query.actor, before_seq: query.before_seq, limit: query.limit };
    let stored = p.store.list_audit(&query).await?;
    Ok(stored
        .into_iter()
        .map(|s| AuditEntry {
            seq: s.seq,
            at: ms_to_time(s.record.at_ms),
            actor: s.record.actor,
            action: s.record.action,
            target: s.record.target,
            detail: s.record.detail,
            status: s.record.status,
            ip: s.record.ip,
            request_id: s.record.request_id,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::testing::TempPlatform;
    use crate::users::{put_user, set_disabled, set_role};

    const PASSWORD: &str = "correct horse battery";

    #[test]
    fn scopes_parse_alone_and_in_lists() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse_list(" write, read,,write ").unwrap(), [Scope::Read, Scope::Write]);
        assert_eq!(Scope::parse_list("").unwrap(), []);
        let err = Scope::parse_list("read,reed").unwrap_err();
        assert!(err.contains("\"reed\"") && err.contains("read, write"), "the error names the bad scope: {err}");
        assert_eq!(serde_json::to_string(&Scope::Admin).unwrap(), "\"admin\"");
    }

    #[tokio::test]
    async fn keys_authenticate_until_revoked_or_expired() {
        let p = TempPlatform::embedded("access-keys").await;
        let expires = Utc::now() + Duration::hours(1);
        let (info, key) =
            create_key(&p, " ci ", &[Scope::Write, Scope::Read, Scope::Write], Some(expires), "admin").await.unwrap();
        assert!(key.starts_with(&format!("rk_{}_", info.id)) && key.len() == 80, "key format: {key}");
        assert_eq!((info.name.as_str(), info.scopes.as_slice()), ("ci", [Scope::Read, Scope::Write].as_slice()));

        let found = authenticate_key(&p, &key).await.unwrap().expect("a fresh key is accepted");
        assert_eq!(found.id, info.id);
        assert!(found.last_used_at.is_some(), "a use is recorded");
        assert_eq!(list_keys(&p).await.unwrap()[0].last_used_at, found.last_used_at);

        let mut tampered = key.clone();
        let last = if tampered.ends_with('0') { "1" } else { "0" };
        tampered.replace_range(key.len() - 1.., last);
        for bad in
            ["", "rk_", "rk_abc_def", &key.to_uppercase(), &format!("{key} "), &format!("Bearer {key}"), &tampered]
        {
            assert_eq!(authenticate_key(&p, bad).await.unwrap(), None, "refused: {bad:?}");
        }
        let later = expires + Duration::seconds(1);
        assert_eq!(authenticate_key_at(&p, &key, later).await.unwrap(), None, "an expired key is refused");

        revoke_key(&p, &info.id).await.unwrap();
        revoke_key(&p, &info.id).await.expect("revoking twice is fine");
        assert_eq!(authenticate_key(&p, &key).await.unwrap(), None, "a revoked key is refused");
        assert!(list_keys(&p).await.unwrap()[0].revoked_at.is_some(), "revoked keys stay listed");
        let err = revoke_key(&p, "000000000000").await.unwrap_err();
        assert!(matches!(err, ServiceError::NotFound { .. }), "{err}");
    }

    #[tokio::test]
    async fn key_use_is_written_at_most_once_a_minute() {
        let p = TempPlatform::embedded("access-key-touch").await;
        let (_, key) = create_key(&p, "hot", &[Scope::Read], None, "admin").await.unwrap();
        let t0 = Utc::now();
        let used_at = |info: Option<ApiKeyInfo>| info.expect("valid key").last_used_at.expect("recorded");
        let first = used_at(authenticate_key_at(&p, &key, t0).await.unwrap());
        let soon = used_at(authenticate_key_at(&p, &key, t0 + Duration::seconds(30)).await.unwrap());
        assert_eq!(soon, first, "a use within the minute is not written");
        let later = used_at(authenticate_key_at(&p, &key, t0 + Duration::seconds(61)).await.unwrap());
        assert!(later > first, "a use after a minute is written");
        assert_eq!(list_keys(&p).await.unwrap()[0].last_used_at, Some(later));
    }

    #[tokio::test]
    async fn bad_key_requests_are_refused() {
        let p = TempPlatform::embedded("access-key-input").await;
        let refused_field = |r: ServiceResult<(ApiKeyInfo, String)>| match r {
            Err(ServiceError::Invalid(v)) => v.0[0].field.clone(),
            other => panic!("expected a refusal, got {other:?}"),
        };
        let read = &[Scope::Read];
        let past = Some(Utc::now() - Duration::minutes(1));
        assert_eq!(refused_field(create_key(&p, "ci", &[], None, "admin").await), "scopes", "a key needs a scope");
        let (storefront, _) = create_key(&p, "shop", &[Scope::Public], None, "admin").await.unwrap();
        assert_eq!(storefront.scopes, [Scope::Public], "storefronts get public-only keys");
        assert_eq!(refused_field(create_key(&p, "  ", read, None, "admin").await), "name", "a key needs a name");
        let long = create_key(&p, &"x".repeat(101), read, None, "admin").await;
        assert_eq!(refused_field(long), "name", "names are at most 100 characters");
        assert_eq!(refused_field(create_key(&p, "ci", read, past, "admin").await), "expires_at", "expiry ahead");
        assert_eq!(refused_field(create_key(&p, "ci", read, None, " ").await), "created_by", "a creator is named");
        let stored: Vec<String> = list_keys(&p).await.unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(stored, ["shop"], "refused keys are not stored");
    }

    fn is_locked(r: &Result<NewSession, LoginError>) -> bool {
        matches!(r, Err(LoginError::Locked { .. }))
    }

    fn is_bad_credentials(r: &Result<NewSession, LoginError>) -> bool {
        matches!(r, Err(LoginError::BadCredentials))
    }

    #[tokio::test]
    async fn five_failures_lock_the_account_for_fifteen_minutes() {
        let p = TempPlatform::embedded("access-lockout").await;
        put_user(&p, "alice", Role::Planner, PASSWORD).await.unwrap();
        let t0 = Utc::now();
        for _ in 0..4 {
            assert!(is_bad_credentials(&login_at(&p, "alice", "wrong password", None, t0).await));
        }
        let fifth = login_at(&p, "alice", "wrong password", None, t0).await;
        let Err(LoginError::Locked { until }) = fifth else { panic!("the fifth failure locks: {fifth:?}") };
        assert!((until - t0 - Duration::minutes(15)).num_seconds().abs() <= 1, "locked for 15 minutes: {until}");
        assert!(is_locked(&login_at(&p, "alice", PASSWORD, None, t0).await), "the right password waits too");
        let locked = crate::users::list_users(&p).await.unwrap();
        assert!(locked[0].locked_until.is_some(), "the user list shows the lock");

        let after = t0 + Duration::minutes(16);
        let session = login_at(&p, "alice", PASSWORD, None, after).await.expect("the lock runs out");
        assert_eq!((session.username.as_str(), session.role), ("alice", Role::Planner));
        let users = crate::users::list_users(&p).await.unwrap();
        assert_eq!(users[0].last_login_at.map(|t| t.timestamp_millis()), Some(after.timestamp_millis()));
        assert_eq!(users[0].locked_until, None);

        for _ in 0..4 {
            login_at(&p, "alice", "wrong password", None, after).await.unwrap_err();
        }
        login_at(&p, "alice", PASSWORD, None, after).await.expect("four failures do not lock");
        for _ in 0..4 {
            let r = login_at(&p, "alice", "wrong password", None, after).await;
            assert!(is_bad_credentials(&r), "a success restarts the count");
        }
        assert!(is_locked(&login_at(&p, "alice", "wrong password", None, after).await), "five in a row lock again");

        crate::users::unlock(&p, "alice").await.unwrap();
        login_at(&p, "alice", PASSWORD, None, after).await.expect("an unlocked user logs in");
    }

    #[tokio::test]
    async fn unknown_users_and_wrong_passwords_look_alike() {
        let p = TempPlatform::embedded("access-enumeration").await;
        put_user(&p, "alice", Role::Planner, PASSWORD).await.unwrap();
        for _ in 0..6 {
            assert!(is_bad_credentials(&login(&p, "mallory", PASSWORD, None).await), "unknown users never lock");
        }
        let wrong = login(&p, "alice", "wrong password", None).await.unwrap_err();
        let unknown = login(&p, "mallory", PASSWORD, None).await.unwrap_err();
        assert_eq!(wrong.to_string(), unknown.to_string(), "the same answer for both");
    }

    #[tokio::test]
    async fn login_rotates_the_session_and_logout_ends_it() {
        let p = TempPlatform::embedded("access-rotation").await;
        put_user(&p, "alice", Role::Analyst, PASSWORD).await.unwrap();
        let first = login(&p, "alice", PASSWORD, None).await.unwrap();
        assert!(is_lower_hex(&first.token, 64) && is_lower_hex(&first.csrf_token, 64));
        assert!(!format!("{first:?}").contains(&first.token), "Debug leaves the token out");
        let info = session(&p, &first.token).await.unwrap().expect("a new session is live");
        assert_eq!((info.username.as_str(), info.role), ("alice", Role::Analyst));
        assert_eq!(info.csrf_token, first.csrf_token);

        let second = login(&p, "alice", PASSWORD, Some(&first.token)).await.unwrap();
        assert_ne!(second.token, first.token);
        assert_ne!(second.csrf_token, first.csrf_token);
        assert_eq!(session(&p, &first.token).await.unwrap(), None, "the replaced token is dead");
        assert!(session(&p, &second.token).await.unwrap().is_some());

        logout(&p, &second.token).await.unwrap();
        logout(&p, &second.token).await.expect("logging out twice is fine");
        assert_eq!(session(&p, &second.token).await.unwrap(), None, "logout ends the session");
        assert_eq!(session(&p, "not a token").await.unwrap(), None);
    }

    #[tokio::test]
    async fn sessions_slide_and_expire() {
        let p = TempPlatform::embedded("access-expiry").await;
        put_user(&p, "alice", Role::Analyst, PASSWORD).await.unwrap();
        let t0 = Utc::now();
        let s = login_at(&p, "alice", PASSWORD, None, t0).await.unwrap();
        let lifetime = Duration::hours(12);
        assert_eq!(s.expires_at.timestamp_millis(), (t0 + lifetime).timestamp_millis(), "lifetime from config");

        let quiet = session_at(&p, &s.token, t0 + Duration::minutes(30)).await.unwrap().unwrap();
        assert_eq!(quiet.expires_at, s.expires_at, "activity within a tenth of the lifetime writes nothing");
        let t1 = t0 + Duration::hours(2);
        let slid = session_at(&p, &s.token, t1).await.unwrap().unwrap();
        assert_eq!(slid.expires_at.timestamp_millis(), (t1 + lifetime).timestamp_millis(), "activity slides it");

        let gone = slid.expires_at + Duration::seconds(1);
        assert_eq!(session_at(&p, &s.token, gone).await.unwrap(), None, "an expired session is refused");
        assert_eq!(p.store.get_session(&sha256_hex(&s.token)).await.unwrap(), None, "and deleted");
    }

    #[tokio::test]
    async fn disabled_users_lose_their_sessions_and_cannot_log_in() {
        let p = TempPlatform::embedded("access-disabled").await;
        put_user(&p, "root", Role::Admin, PASSWORD).await.unwrap();
        put_user(&p, "alice", Role::Agent, PASSWORD).await.unwrap();
        let s = login(&p, "alice", PASSWORD, None).await.unwrap();
        set_disabled(&p, "alice", true).await.unwrap();
        assert_eq!(session(&p, &s.token).await.unwrap(), None, "disabling ends the sessions");
        assert!(is_bad_credentials(&login(&p, "alice", PASSWORD, None).await), "a disabled user cannot log in");
        set_disabled(&p, "alice", false).await.unwrap();
        login(&p, "alice", PASSWORD, None).await.expect("enabled again");
    }

    #[tokio::test]
    async fn the_last_enabled_admin_stays() {
        let p = TempPlatform::embedded("access-last-admin").await;
        put_user(&p, "root", Role::Admin, PASSWORD).await.unwrap();
        let conflict = |r: ServiceResult<()>| matches!(r, Err(ServiceError::Conflict(_)));
        assert!(conflict(set_role(&p, "root", Role::Planner).await), "the last admin cannot be demoted");
        assert!(conflict(set_disabled(&p, "root", true).await), "the last admin cannot be disabled");
        assert!(conflict(put_user(&p, "root", Role::Planner, PASSWORD).await), "nor demoted by a password reset");

        put_user(&p, "deputy", Role::Planner, PASSWORD).await.unwrap();
        set_role(&p, "deputy", Role::Admin).await.unwrap();
        set_disabled(&p, "root", true).await.expect("another admin is enabled");
        assert!(conflict(set_role(&p, "deputy", Role::Analyst).await), "the disabled admin does not count");
        let users = crate::users::list_users(&p).await.unwrap();
        let flags: Vec<_> = users.iter().map(|u| (u.username.as_str(), u.role, u.disabled)).collect();
        assert_eq!(flags, [("deputy", Role::Admin, false), ("root", Role::Admin, true)]);

        let missing = set_role(&p, "ghost", Role::Admin).await.unwrap_err();
        assert!(matches!(missing, ServiceError::NotFound { kind: "user", .. }), "{missing}");
        assert!(matches!(crate::users::unlock(&p, "ghost").await, Err(ServiceError::NotFound { .. })));
    }

    #[tokio::test]
    async fn audit_entries_list_newest_first() {
        let p = TempPlatform::embedded("access-audit").await;
        let entry = |actor: &str, action: &str| AuditWrite {
            actor: actor.into(),
            action: action.into(),
            target: "api_keys/abc".into(),
            detail: String::new(),
            status: 201,
            ip: Some("127.0.0.1".into()),
            request_id: None,
        };
        record_audit(&p, entry("alice", "key.create")).await.unwrap();
        record_audit(&p, entry("bob", "user.disable")).await.unwrap();
        record_audit(&p, AuditWrite { detail: "é".repeat(5000), ..entry("alice", "key.revoke") }).await.unwrap();

        let all = list_audit(&p, AuditQuery { limit: 10, ..AuditQuery::default() }).await.unwrap();
        let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["key.revoke", "user.disable", "key.create"], "newest first");
        assert_eq!(all[0].detail.chars().count(), MAX_AUDIT_DETAIL_CHARS, "long details are clipped");
        assert_eq!((all[2].status, all[2].ip.as_deref()), (201, Some("127.0.0.1")));

        let query = AuditQuery { actor: Some("alice".into()), before_seq: Some(all[0].seq), limit: 10 };
        let older: Vec<String> = list_audit(&p, query).await.unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(older, ["key.create"], "filtered by actor, before the given entry");
    }
}
