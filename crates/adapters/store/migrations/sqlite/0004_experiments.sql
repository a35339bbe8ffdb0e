-- Experiments: their definitions (variants, layer, targeting, metrics; JSON owned by
-- the service layer) and the exposure log, one row per unit and variant served, so a
-- unit that was served two variants shows as two rows and can be counted and set aside.

CREATE TABLE experiments (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, definition TEXT NOT NULL,
    created_by TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    started_at INTEGER, stopped_at INTEGER,
    -- Optimistic concurrency: every update names the version it read.
    version INTEGER NOT NULL
);

CREATE TABLE exposures (
    experiment TEXT NOT NULL, unit TEXT NOT NULL, variant INTEGER NOT NULL,
    first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, exposures INTEGER NOT NULL,
    PRIMARY KEY (experiment, unit, variant)
);

-- Metrics over anonymous sessions read events by session.
CREATE INDEX events_session ON events (session_id, occurred_at);
