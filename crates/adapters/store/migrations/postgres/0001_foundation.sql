-- Foundation schema (PostgreSQL). Timestamps are UTC milliseconds since the epoch;
-- money is integer minor units. Master and transactional records keep their full
-- JSON document plus the columns that are filtered, joined or aggregated on.

CREATE TABLE locations (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    kind TEXT, city TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION, active BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE TABLE categories (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    parent_id TEXT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);
CREATE TABLE products (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    category_id TEXT, brand TEXT, status TEXT, price_minor BIGINT, supplier_id TEXT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_brand ON products (brand);
CREATE TABLE customers (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    home_location_id TEXT, city TEXT, tier TEXT, phone TEXT, email TEXT, registered_at BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE INDEX customers_phone ON customers (phone);
CREATE INDEX customers_home ON customers (home_location_id);
CREATE TABLE suppliers (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    active BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE TABLE orders (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    customer_id TEXT, location_id TEXT, status TEXT, channel TEXT, placed_at BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, placed_at);
CREATE INDEX orders_placed ON orders (placed_at);
CREATE TABLE order_lines (
    order_id TEXT NOT NULL, line_no BIGINT NOT NULL, product_id TEXT NOT NULL,
    quantity BIGINT NOT NULL, unit_price_minor BIGINT NOT NULL, discount_minor BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_lines_product ON order_lines (product_id);
CREATE TABLE purchase_orders (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    supplier_id TEXT, location_id TEXT, status TEXT, created_on BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier_id);
CREATE TABLE receipts (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    purchase_order_id TEXT, location_id TEXT, received_at BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);
CREATE TABLE kb_articles (
    external_id TEXT PRIMARY KEY, doc TEXT NOT NULL, search_text TEXT NOT NULL,
    topic TEXT, published BIGINT,
    created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, version BIGINT NOT NULL
);

-- Append-only inventory ledger: on-hand is SUM(on_hand_delta), never stored.
CREATE TABLE ledger (
    seq BIGSERIAL PRIMARY KEY,
    movement_id TEXT, location_id TEXT NOT NULL, product_id TEXT NOT NULL, kind TEXT NOT NULL,
    on_hand_delta BIGINT NOT NULL, reserved_delta BIGINT NOT NULL,
    unit_value_minor BIGINT, reference TEXT, occurred_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ledger_movement ON ledger (movement_id, location_id);
CREATE INDEX ledger_product ON ledger (product_id, location_id, occurred_at);
CREATE INDEX ledger_location ON ledger (location_id, product_id);

CREATE TABLE events (
    seq BIGSERIAL PRIMARY KEY,
    event_id TEXT, kind TEXT NOT NULL, customer_id TEXT, session_id TEXT, product_id TEXT,
    query TEXT, position BIGINT, strategy TEXT, request_id TEXT, location_id TEXT,
    quantity BIGINT, value_minor BIGINT, occurred_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX events_event_id ON events (event_id);
CREATE INDEX events_customer ON events (customer_id, occurred_at);
CREATE INDEX events_product ON events (product_id, occurred_at);

-- Transactional outbox: written in the same transaction as the change it announces.
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE, topic TEXT NOT NULL, payload TEXT NOT NULL, occurred_at BIGINT NOT NULL
);
CREATE TABLE bus_offsets (consumer TEXT PRIMARY KEY, seq BIGINT NOT NULL);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY, request_hash TEXT NOT NULL, status BIGINT NOT NULL,
    body TEXT NOT NULL, created_at BIGINT NOT NULL
);

CREATE TABLE users (
    username TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL,
    password_hash TEXT NOT NULL, disabled BIGINT NOT NULL, created_at BIGINT NOT NULL
);

-- Secondary indexes dropped for a bulk load, with the DDL to rebuild them; any
-- left here by an interrupted load are rebuilt on the next start.
CREATE TABLE suspended_indexes (name TEXT PRIMARY KEY, ddl TEXT NOT NULL);
