-- Marketing: segments with their current members (replaced whole at each refresh) and the
-- size history the console draws; campaigns (the spec as JSON owned by the service layer,
-- versioned) with each customer's arm and decision from the latest plan; the outbox of
-- personalised messages the channel adapters deliver from, with leases and attempts; the
-- opt-outs checked at send time; and the uplift models trained on past campaigns.

CREATE TABLE segments (
    segment_id TEXT PRIMARY KEY, name TEXT NOT NULL, definition TEXT NOT NULL,
    refresh_hours INTEGER NOT NULL, size INTEGER NOT NULL, value_minor INTEGER NOT NULL,
    refreshed_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, created_by TEXT NOT NULL
);

CREATE TABLE segment_members (
    segment_id TEXT NOT NULL, customer_id TEXT NOT NULL, label TEXT,
    PRIMARY KEY (segment_id, customer_id)
);

CREATE TABLE segment_history (
    segment_id TEXT NOT NULL, at INTEGER NOT NULL, size INTEGER NOT NULL, value_minor INTEGER NOT NULL,
    PRIMARY KEY (segment_id, at)
);

CREATE TABLE campaigns (
    campaign_id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, segment_id TEXT NOT NULL,
    priority INTEGER NOT NULL, starts_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    planned_at INTEGER, sent_at INTEGER, version INTEGER NOT NULL, spec TEXT NOT NULL, plan TEXT
);
CREATE INDEX campaigns_starts ON campaigns (starts_at);

CREATE TABLE campaign_audience (
    campaign_id TEXT NOT NULL, customer_id TEXT NOT NULL, arm TEXT NOT NULL, decision TEXT NOT NULL,
    channel TEXT, send_at INTEGER, expected_value_minor INTEGER NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (campaign_id, customer_id)
);

CREATE TABLE marketing_messages (
    message_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, customer_id TEXT NOT NULL, channel TEXT NOT NULL,
    address TEXT NOT NULL, language TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
    -- queued, sending (leased until next_attempt_at), sent, failed (for good)
    status TEXT NOT NULL, attempts INTEGER NOT NULL, send_after INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
    last_error TEXT, unsubscribe_token TEXT NOT NULL, created_at INTEGER NOT NULL, sent_at INTEGER
);
CREATE INDEX marketing_messages_due ON marketing_messages (status, next_attempt_at);
CREATE INDEX marketing_messages_campaign ON marketing_messages (campaign_id, status);
CREATE UNIQUE INDEX marketing_messages_token ON marketing_messages (unsubscribe_token);
CREATE INDEX marketing_messages_customer ON marketing_messages (customer_id, send_after);

CREATE TABLE opt_outs (
    customer_id TEXT NOT NULL, channel TEXT NOT NULL, at INTEGER NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (customer_id, channel)
);

CREATE TABLE uplift_models (
    model_id TEXT PRIMARY KEY, kind TEXT NOT NULL, trained_at INTEGER NOT NULL, source TEXT NOT NULL,
    rows_used INTEGER NOT NULL, doc TEXT NOT NULL
);
