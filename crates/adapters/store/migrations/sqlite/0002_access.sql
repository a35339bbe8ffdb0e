-- Access control: API keys, console sessions, login lockout and the audit log.
-- Secrets are never stored: keys and session tokens are kept as SHA-256 hashes.

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL,
    -- Comma separated scope names.
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE, created_by TEXT NOT NULL, created_at INTEGER NOT NULL,
    expires_at INTEGER, last_used_at INTEGER, revoked_at INTEGER
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_username ON sessions (username);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL,
    status INTEGER NOT NULL, ip TEXT, request_id TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
-- Listing one actor's entries newest first.
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

-- Login lockout: consecutive failures, and until when the account refuses logins.
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until INTEGER;
ALTER TABLE users ADD COLUMN last_login_at INTEGER;
