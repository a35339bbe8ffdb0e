-- Supply chain: supplier contracts, the delivery fleet, transfer orders, and delivery plans
-- (the planning problem and the solved plan as JSON, with the figures lists and dashboards need).

CREATE TABLE contracts (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    supplier_id TEXT, product_id TEXT, valid_from TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE INDEX contracts_supplier ON contracts (supplier_id);
CREATE INDEX contracts_product ON contracts (product_id);
CREATE TABLE vehicles (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    depot_id TEXT, active INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE TABLE transfer_orders (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    from_location_id TEXT, to_location_id TEXT, status TEXT, deliver_on TEXT,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, version INTEGER NOT NULL
);
CREATE INDEX transfer_orders_due ON transfer_orders (from_location_id, deliver_on);
CREATE INDEX receipts_order ON receipts (purchase_order_id);
CREATE INDEX purchase_orders_created ON purchase_orders (created_on);

-- One row per planning request. A large problem waits as 'queued' until a worker leases it
-- (lease_until); 'ready' plans of the same scope and day replace each other ('superseded').
CREATE TABLE delivery_plans (
    plan_id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    depot_id TEXT,
    service_date TEXT,
    status TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    finished_at INTEGER,
    lease_until INTEGER,
    routes INTEGER, stops INTEGER, unassigned INTEGER, distance_m INTEGER, cost_minor INTEGER,
    problem TEXT NOT NULL,
    plan TEXT,
    error TEXT
);
CREATE INDEX delivery_plans_scope ON delivery_plans (scope, depot_id, service_date, created_at);
CREATE INDEX delivery_plans_status ON delivery_plans (status, created_at);
