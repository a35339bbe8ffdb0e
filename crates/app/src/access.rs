//! Access control: API keys, console sessions with login lockout, and the audit log.
