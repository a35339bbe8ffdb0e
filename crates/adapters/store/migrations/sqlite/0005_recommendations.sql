-- Recommendations: named strategies (sources, weights, rules; JSON owned by the
-- service layer) with optimistic concurrency, and the record of every trained
-- model version with its offline evaluation.

CREATE TABLE rec_strategies (
    name TEXT PRIMARY KEY, config TEXT NOT NULL, updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);

CREATE TABLE rec_models (
    version TEXT PRIMARY KEY, trained_at INTEGER NOT NULL, summary TEXT NOT NULL
);

-- Live metrics per strategy read only the events a recommendation list produced.
CREATE INDEX events_strategy ON events (strategy, occurred_at) WHERE strategy IS NOT NULL;
