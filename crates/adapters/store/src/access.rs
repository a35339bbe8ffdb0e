//! Access-control records: API keys, console sessions, login lockout and the
//! audit log. What they mean (scopes, roles, lifetimes, the lockout policy) is
//! decided in the service layer; this layer keeps them and makes each
//! read-modify-write step atomic.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{Executor, Row};

use crate::sql::{USER_COLUMNS, user_from_row};
use crate::{Backend, SqlStore, Store, StoreError, UserRecord};

/// An API key as stored. The key text itself is never kept, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// The public part of the key, shown in listings and audit entries.
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// SHA-256 of the full key text, hex.
    pub secret_hash: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub last_used_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// A console login. Keyed by the hash of its cookie token, so that a leaked
/// table hands out no sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub username: String,
    pub csrf_token: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub last_seen_at_ms: i64,
}

/// One audit log entry as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    /// The outcome, as an HTTP status.
    pub status: u16,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAuditRecord {
    pub seq: u64,
    pub record: AuditRecord,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// Only entries older than this one (the last `seq` of the previous page).
    pub before_seq: Option<u64>,
    /// Clamped to 1..=1000.
    pub limit: u32,
}

/// A change to a user's role or disabled flag; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct UserAccessUpdate {
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// What [`AccessStore::update_user_access`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAccessChange {
    Changed,
    UnknownUser,
    /// Refused: no enabled user with the guarded role would be left.
    LastOfRole,
}

/// Storage for access control; part of [`crate::Store`].
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Stores a new key; fails when its id or hash is already taken.
    async fn create_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;

    async fn find_api_key(&self, secret_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Every key, revoked ones included, newest first.
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;

    /// Marks a key revoked, keeping the first revocation time; false for an unknown id.
    async fn revoke_api_key(&self, id: &str, at_ms: i64) -> Result<bool, StoreError>;

    /// Records a use of a key; `last_used_at` never moves backwards.
    async fn touch_api_key(&self, id: &str, at_ms: i64) -> Result<(), StoreError>;

    /// Stores a session and, in the same transaction, deletes the one whose
    /// token hash is `replacing` (session rotation at login).
    async fn create_session(&self, session: &SessionRecord, replacing: Option<&str>) -> Result<(), StoreError>;

    async fn get_session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError>;

    async fn extend_session(&self, token_hash: &str, seen_at_ms: i64, expires_at_ms: i64) -> Result<(), StoreError>;

    /// False when there was no such session.
    async fn delete_session(&self, token_hash: &str) -> Result<bool, StoreError>;

    /// Deletes every session of a user; returns how many there were.
    async fn delete_user_sessions(&self, username: &str) -> Result<u64, StoreError>;

    /// Deletes sessions that expired at or before `now_ms`; returns how many.
    async fn purge_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError>;

    /// Counts a failed login. The `lock_after`-th consecutive failure sets
    /// `locked_until` to `lock_until_ms` and starts the count afresh. Returns the
    /// updated user, or None for an unknown one.
    async fn record_login_failure(
        &self,
        username: &str,
        lock_after: u32,
        lock_until_ms: i64,
    ) -> Result<Option<UserRecord>, StoreError>;

    /// Clears the failure count and any lock, and records the login time.
    async fn record_login_success(&self, username: &str, at_ms: i64) -> Result<(), StoreError>;

    /// Clears the failure count and any lock; false for an unknown user.
    async fn unlock_user(&self, username: &str) -> Result<bool, StoreError>;

    /// Changes a user's role or disabled flag unless that would leave no enabled
    /// user with the role `keep_enabled` (checked and applied in one transaction,
    /// so two admins cannot demote each other at once). Disabling a user also
    /// deletes their sessions.
    async fn update_user_access(
        &self,
        username: &str,
        update: &UserAccessUpdate,
        keep_enabled: &str,
    ) -> Result<UserAccessChange, StoreError>;

    /// Appends an entry; returns its sequence number.
    async fn append_audit(&self, record: &AuditRecord) -> Result<u64, StoreError>;

    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<StoredAuditRecord>, StoreError>;
}

// Columns are named rather than `*` for the reason given at [`USER_COLUMNS`].
const API_KEY_COLUMNS: &str =
    "id, name, scopes, secret_hash, created_by, created_at, expires_at, last_used_at, revoked_at";
const SESSION_COLUMNS: &str = "token_hash, username, csrf_token, created_at, expires_at, last_seen_at";
const AUDIT_COLUMNS: &str = "seq, at, actor, action, target, detail, status, ip, request_id";

fn api_key_from_row(row: &AnyRow) -> Result<ApiKeyRecord, StoreError> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiKeyRecord {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scopes: scopes.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        secret_hash: row.try_get("secret_hash")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at")?,
        expires_at_ms: row.try_get("expires_at")?,
        last_used_at_ms: row.try_get("last_used_at")?,
        revoked_at_ms: row.try_get("revoked_at")?,
    })
}

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        token_hash: row.try_get("token_hash")?,
        username: row.try_get("username")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at_ms: row.try_get("created_at")?,
        expires_at_ms: row.try_get("expires_at")?,
        last_seen_at_ms: row.try_get("last_seen_at")?,
    })
}

fn audit_from_row(row: &AnyRow) -> Result<StoredAuditRecord, StoreError> {
    Ok(StoredAuditRecord {
        seq: row.try_get::<i64, _>("seq")? as u64,
        record: AuditRecord {
            at_ms: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            detail: row.try_get("detail")?,
            status: row.try_get::<i64, _>("status")?.clamp(0, i64::from(u16::MAX)) as u16,
            ip: row.try_get("ip")?,
            request_id: row.try_get("request_id")?,
        },
    })
}

type AnyStatement<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl SqlStore {
    /// Runs one write statement in its own transaction, taking the write turn;
    /// returns the number of rows it touched.
    async fn execute_write(
        &self,
        sql: &str,
        bind: impl FnOnce(AnyStatement<'_>) -> AnyStatement<'_>,
    ) -> Result<u64, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sql = self.sql(sql);
        let n = bind(sqlx::query(&sql)).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}

#[async_trait]
impl AccessStore for SqlStore {
    async fn create_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.execute_write(
            &format!("INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
            |q| {
                q.bind(key.id.clone())
                    .bind(key.name.clone())
                    .bind(key.scopes.join(","))
                    .bind(key.secret_hash.clone())
                    .bind(key.created_by.clone())
                    .bind(key.created_at_ms)
                    .bind(key.expires_at_ms)
                    .bind(key.last_used_at_ms)
                    .bind(key.revoked_at_ms)
            },
        )
        .await?;
        Ok(())
    }

    async fn find_api_key(&self, secret_hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1")))
            .bind(secret_hash.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows =
            sqlx::query(&self.sql(&format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id")))
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .execute_write("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2", |q| {
                q.bind(at_ms).bind(id.to_string())
            })
            .await?;
        Ok(n > 0)
    }

    async fn touch_api_key(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        self.execute_write(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
            |q| q.bind(at_ms).bind(id.to_string()).bind(at_ms),
        )
        .await?;
        Ok(())
    }

    async fn create_session(&self, session: &SessionRecord, replacing: Option<&str>) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        if let Some(old) = replacing {
            sqlx::query(&self.sql("DELETE FROM sessions WHERE token_hash = $1"))
                .bind(old.to_string())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(&self.sql(&format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)")))
            .bind(session.token_hash.clone())
            .bind(session.username.clone())
            .bind(session.csrf_token.clone())
            .bind(session.created_at_ms)
            .bind(session.expires_at_ms)
            .bind(session.last_seen_at_ms)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_session(&self, token_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = $1")))
            .bind(token_hash.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn extend_session(&self, token_hash: &str, seen_at_ms: i64, expires_at_ms: i64) -> Result<(), StoreError> {
        self.execute_write("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3", |q| {
            q.bind(seen_at_ms).bind(expires_at_ms).bind(token_hash.to_string())
        })
        .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool, StoreError> {
        let n = self
            .execute_write("DELETE FROM sessions WHERE token_hash = $1", |q| q.bind(token_hash.to_string()))
            .await?;
        Ok(n > 0)
    }

    async fn delete_user_sessions(&self, username: &str) -> Result<u64, StoreError> {
        self.execute_write("DELETE FROM sessions WHERE username = $1", |q| q.bind(username.to_string())).await
    }

    async fn purge_expired_sessions(&self, now_ms: i64) -> Result<u64, StoreError> {
        self.execute_write("DELETE FROM sessions WHERE expires_at <= $1", |q| q.bind(now_ms)).await
    }

    async fn record_login_failure(
        &self,
        username: &str,
        lock_after: u32,
        lock_until_ms: i64,
    ) -> Result<Option<UserRecord>, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        // One statement, so concurrent failures all count. Both CASEs read the
        // row as it was before this update.
        let row = sqlx::query(&self.sql(&format!(
            "UPDATE users SET \
             locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END, \
             failed_logins = CASE WHEN failed_logins + 1 >= $3 THEN 0 ELSE failed_logins + 1 END \
             WHERE username = $4 RETURNING {USER_COLUMNS}"
        )))
        .bind(i64::from(lock_after))
        .bind(lock_until_ms)
        .bind(i64::from(lock_after))
        .bind(username.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn record_login_success(&self, username: &str, at_ms: i64) -> Result<(), StoreError> {
        self.execute_write(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE username = $2",
            |q| q.bind(at_ms).bind(username.to_string()),
        )
        .await?;
        Ok(())
    }

    async fn unlock_user(&self, username: &str) -> Result<bool, StoreError> {
        let n = self
            .execute_write("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = $1", |q| {
                q.bind(username.to_string())
            })
            .await?;
        Ok(n > 0)
    }

    async fn update_user_access(
        &self,
        username: &str,
        update: &UserAccessUpdate,
        keep_enabled: &str,
    ) -> Result<UserAccessChange, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        // SQLite writers already take turns; on PostgreSQL these changes take
        // turns here, so that the last-of-role check below cannot race another.
        if self.backend() == Backend::Postgres {
            tx.execute("SELECT pg_advisory_xact_lock(72010002)").await?;
        }
        let Some(row) = sqlx::query(&self.sql("SELECT role, disabled FROM users WHERE username = $1"))
            .bind(username.to_string())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(UserAccessChange::UnknownUser);
        };
        let current_role: String = row.try_get("role")?;
        let currently_disabled = row.try_get::<i64, _>("disabled")? != 0;
        let role = update.role.clone().unwrap_or(current_role.clone());
        let disabled = update.disabled.unwrap_or(currently_disabled);
        let was_guarded = current_role == keep_enabled && !currently_disabled;
        let stays_guarded = role == keep_enabled && !disabled;
        if was_guarded && !stays_guarded {
            let others: i64 = sqlx::query(
                &self.sql("SELECT COUNT(*) FROM users WHERE role = $1 AND disabled = 0 AND username <> $2"),
            )
            .bind(keep_enabled.to_string())
            .bind(username.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if others == 0 {
                return Ok(UserAccessChange::LastOfRole);
            }
        }
        sqlx::query(&self.sql("UPDATE users SET role = $1, disabled = $2 WHERE username = $3"))
            .bind(role)
            .bind(i64::from(disabled))
            .bind(username.to_string())
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query(&self.sql("DELETE FROM sessions WHERE username = $1"))
                .bind(username.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(UserAccessChange::Changed)
    }

    async fn append_audit(&self, record: &AuditRecord) -> Result<u64, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let seq: i64 = sqlx::query(&self.sql(
            "INSERT INTO audit_log (at, actor, action, target, detail, status, ip, request_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
        ))
        .bind(record.at_ms)
        .bind(record.actor.clone())
        .bind(record.action.clone())
        .bind(record.target.clone())
        .bind(record.detail.clone())
        .bind(i64::from(record.status))
        .bind(record.ip.clone())
        .bind(record.request_id.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(seq as u64)
    }

    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<StoredAuditRecord>, StoreError> {
        let mut clauses = Vec::new();
        let mut next = 1;
        if query.actor.is_some() {
            clauses.push(format!("actor = ${next}"));
            next += 1;
        }
        if query.before_seq.is_some() {
            clauses.push(format!("seq < ${next}"));
            next += 1;
        }
        let filter = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let sql = self.sql(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log {filter} ORDER BY seq DESC LIMIT ${next}"));
        let mut q = sqlx::query(&sql);
        if let Some(actor) = &query.actor {
            q = q.bind(actor.clone());
        }
        if let Some(before) = query.before_seq {
            q = q.bind(i64::try_from(before).unwrap_or(i64::MAX));
        }
        let rows = q.bind(i64::from(query.limit.clamp(1, 1000))).fetch_all(self.pool()).await?;
        rows.iter().map(audit_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pooled SQLite connection that loaded the schema before a migration
    /// added a column still reads users (see [`USER_COLUMNS`]).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn users_read_on_a_connection_with_a_stale_schema() {
        let dir = std::env::temp_dir().join(retail_testenv::unique_name("retail_stale_schema"));
        std::fs::create_dir_all(&dir).unwrap();
        let store = crate::connect(&format!("sqlite://{}", dir.join("retail.db").display()), 2).await.unwrap();
        store.migrate().await.unwrap();
        let user = UserRecord {
            username: "alice".into(),
            display_name: "Alice".into(),
            role: "planner".into(),
            password_hash: "$argon2id$x".into(),
            disabled: false,
            created_at_ms: 1,
            failed_logins: 0,
            locked_until_ms: None,
            last_login_at_ms: None,
        };
        store.put_user(&user).await.unwrap();

        let mut stale = store.pool().acquire().await.unwrap();
        sqlx::query("SELECT 1 FROM users").execute(&mut *stale).await.unwrap();
        let mut migrating = store.pool().acquire().await.unwrap();
        sqlx::query("ALTER TABLE users ADD COLUMN later_column INTEGER").execute(&mut *migrating).await.unwrap();
        // With the migrating connection held, the pool's only idle connection is the stale one.
        drop(stale);
        assert_eq!(store.get_user("alice").await.unwrap(), Some(user.clone()), "get_user on a stale connection");
        assert_eq!(store.list_users().await.unwrap(), [user], "list_users on a stale connection");
        let failed = store.record_login_failure("alice", 5, 9).await.unwrap().expect("known user");
        assert_eq!(failed.failed_logins, 1, "record_login_failure on a stale connection");
        drop(migrating);
        std::fs::remove_dir_all(&dir).ok();
    }
}
