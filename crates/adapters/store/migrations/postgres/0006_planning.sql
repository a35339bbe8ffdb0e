-- Demand planning: forecast runs (one per nightly or manual run, with its summary
-- and measured accuracy as JSON owned by the service layer), the forecast of every
-- location x product series a run produced, and the replenishment suggestions it
-- led to with their approval state.

CREATE TABLE forecast_runs (
    run_id TEXT PRIMARY KEY, started_at BIGINT NOT NULL, finished_at BIGINT NOT NULL,
    -- Last day of history the run used (days since 1970-01-01, UTC).
    as_of_day BIGINT NOT NULL, summary TEXT NOT NULL
);
CREATE INDEX forecast_runs_started ON forecast_runs (started_at);

CREATE TABLE forecast_series (
    run_id TEXT NOT NULL, location_id TEXT NOT NULL, product_id TEXT NOT NULL,
    category_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (run_id, location_id, product_id)
);
CREATE INDEX forecast_series_product ON forecast_series (run_id, product_id);

CREATE TABLE replenishment_suggestions (
    suggestion_id TEXT PRIMARY KEY, run_id TEXT NOT NULL,
    location_id TEXT NOT NULL, product_id TEXT NOT NULL, supplier_id TEXT,
    status TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL,
    purchase_order_id TEXT, doc TEXT NOT NULL
);
CREATE INDEX replenishment_suggestions_status ON replenishment_suggestions (status, location_id);
CREATE INDEX replenishment_suggestions_run ON replenishment_suggestions (run_id);
