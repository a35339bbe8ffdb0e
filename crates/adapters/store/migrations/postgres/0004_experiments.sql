-- Experiments: their definitions (variants, layer, targeting, metrics; JSON owned by
-- the service layer) and the exposure log, one row per unit and variant served, so a
-- unit that was served two variants shows as two rows and can be counted and set aside.

CREATE TABLE experiments (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, definition TEXT NOT NULL,
    created_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    started_at BIGINT, stopped_at BIGINT,
    -- Optimistic concurrency: every update names the version it read.
    version BIGINT NOT NULL
);

CREATE TABLE exposures (
    experiment TEXT NOT NULL, unit TEXT NOT NULL, variant BIGINT NOT NULL,
    first_at BIGINT NOT NULL, last_at BIGINT NOT NULL, exposures BIGINT NOT NULL,
    PRIMARY KEY (experiment, unit, variant)
);

-- Metrics over anonymous sessions read events by session.
CREATE INDEX events_session ON events (session_id, occurred_at);
