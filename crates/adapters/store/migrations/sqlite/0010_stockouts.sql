-- Days a shelf stood empty: one row per day whose closing on-hand (the ledger's running sum at the
-- end of the UTC day) was zero or less, covering that day through the day before the next movement
-- (to_day NULL while still out). Sales on those days are a floor on demand, not demand itself, so
-- forecasting reads them as censored. Kept in step with the ledger like the rollups of 0003; the
-- marker below has the next start rebuild every rollup, this one included, from the ledger.
CREATE TABLE stockouts (
    location_id TEXT NOT NULL, product_id TEXT NOT NULL,
    from_day BIGINT NOT NULL, to_day BIGINT,
    PRIMARY KEY (location_id, product_id, from_day)
);
CREATE INDEX stockouts_days ON stockouts (from_day, to_day);
INSERT INTO rollups_suspended (suspended_at) VALUES (0);
