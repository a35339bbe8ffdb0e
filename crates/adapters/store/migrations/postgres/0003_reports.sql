-- Indexes and rollups behind the console's dashboards and reports.

-- Stock per location and product: the ledger's sums, kept in step by every
-- ledger write in the same transaction, so stock reports need not sum millions
-- of ledger rows.
CREATE TABLE stock_levels (
    location_id TEXT NOT NULL, product_id TEXT NOT NULL,
    on_hand BIGINT NOT NULL, reserved BIGINT NOT NULL,
    PRIMARY KEY (location_id, product_id)
);
INSERT INTO stock_levels (location_id, product_id, on_hand, reserved)
SELECT location_id, product_id, SUM(on_hand_delta), SUM(reserved_delta) FROM ledger GROUP BY location_id, product_id;

-- Units and revenue of the ledger's sale rows per UTC day (occurred_at / 86400000,
-- days since 1970), location and product, kept in step the same way. Keyed by day
-- first: dashboards read a range of days across all locations.
CREATE TABLE sales_daily (
    day BIGINT NOT NULL, location_id TEXT NOT NULL, product_id TEXT NOT NULL,
    units BIGINT NOT NULL, revenue_minor BIGINT NOT NULL,
    PRIMARY KEY (day, location_id, product_id)
);
INSERT INTO sales_daily (day, location_id, product_id, units, revenue_minor)
SELECT occurred_at / 86400000, location_id, product_id, SUM(-on_hand_delta), SUM(-on_hand_delta * COALESCE(unit_value_minor, 0))
FROM ledger WHERE kind = 'sale' GROUP BY occurred_at / 86400000, location_id, product_id;
-- A product's history.
CREATE INDEX sales_daily_product ON sales_daily (product_id, day);

-- A row here while a bulk load has stopped maintaining the two rollups above;
-- restoring the load's suspended indexes rebuilds them from the ledger.
CREATE TABLE rollups_suspended (suspended_at BIGINT NOT NULL);

-- A location's latest orders.
CREATE INDEX orders_location_placed ON orders (location_id, placed_at);
