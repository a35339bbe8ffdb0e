//! [`Store`] over sqlx's `Any` driver. The same SQL serves SQLite and PostgreSQL
//! (both take `$N` parameters, `ON CONFLICT` upserts and `RETURNING`); where they
//! differ — schema types, connection set-up, how writers are serialised — the
//! code branches on [`Backend`] in this file only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Once};

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use retail_domain::{BehaviourEvent, EntityKind, EventKind, LedgerRow, MovementKind, StockLevel};
use serde_json::Value;
use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Connection, Executor, Row, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::migrate::{checksum, migrations, statements};
use crate::reports::RollupDeltas;
use crate::schema::{ColumnType, TableSpec, referenced_from, table_spec};
use crate::types::*;
use crate::{BulkWrite, Store};

/// A bound value. Nulls carry their type because PostgreSQL types parameters.
#[derive(Debug, Clone)]
pub(crate) enum SqlValue {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<String>),
}

type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

fn bind(q: AnyQuery<'_>, v: SqlValue) -> AnyQuery<'_> {
    match v {
        SqlValue::Int(x) => q.bind(x),
        SqlValue::Real(x) => q.bind(x),
        SqlValue::Text(x) => q.bind(x),
    }
}

pub(crate) fn bind_all(sql: &str, values: Vec<SqlValue>) -> AnyQuery<'_> {
    values.into_iter().fold(sqlx::query(sql), bind)
}

/// SQL with `$N` parameters as the backend wants it. PostgreSQL takes them as
/// they are; for SQLite they become anonymous `?`, because SQLite looks named
/// and numbered parameters up in a list, which makes binding a multi-row insert
/// quadratic in its parameter count. Every query binds its parameters in the
/// order they appear, so numbering by position is the same thing.
fn for_backend(backend: Backend, sql: &str) -> String {
    if backend == Backend::Postgres {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut in_literal = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_literal = !in_literal;
        }
        if c == '$' && !in_literal && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// A text parameter.
pub(crate) fn text(s: &str) -> SqlValue {
    SqlValue::Text(Some(s.to_string()))
}

/// An integer parameter.
pub(crate) fn int(i: i64) -> SqlValue {
    SqlValue::Int(Some(i))
}

/// `($1,$2,$3),($4,$5,$6)` for `rows` rows of `cols` parameters from `$start`.
pub(crate) fn placeholders(rows: usize, cols: usize, start: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&(start + r * cols + c).to_string());
        }
        s.push(')');
    }
    s
}

/// Rows per multi-row INSERT: well inside SQLite's 32,766 and PostgreSQL's 65,535 parameters.
pub(crate) fn chunk_rows(cols: usize) -> usize {
    (16_000 / cols).clamp(1, 1000)
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn ms_to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time; taking turns here, rather than in SQLite's
    /// busy loop, avoids lock-upgrade deadlocks between deferred transactions.
    write_lock: Arc<Mutex<()>>,
}

/// Opens a store. `url` is `sqlite://PATH` (created if missing, WAL on) or
/// `postgres://…`. Does not migrate: call [`Store::migrate`].
pub async fn connect(url: &str, max_connections: u32) -> Result<SqlStore, StoreError> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let (backend, url) = if url.starts_with("sqlite:") {
        let url = if url.contains("mode=") {
            url.to_string()
        } else {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        };
        (Backend::Sqlite, url)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        (Backend::Postgres, url.to_string())
    } else {
        return Err(StoreError::Unavailable {
            backend: "sql",
            message: format!("unsupported database URL {url:?}: use sqlite://PATH or postgres://…"),
        });
    };
    let mut options = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(std::time::Duration::from_secs(10));
    if backend == Backend::Sqlite {
        options = options.after_connect(|conn, _meta| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA busy_timeout = 10000",
                    // Checkpoint every 32 MB of WAL instead of 4 MB: each checkpoint
                    // syncs the database file, and syncs bound the write rate.
                    "PRAGMA wal_autocheckpoint = 8192",
                    "PRAGMA cache_size = -65536",
                    "PRAGMA temp_store = MEMORY",
                ] {
                    conn.execute(pragma).await?;
                }
                Ok(())
            })
        });
    }
    let unavailable = |e: sqlx::Error| StoreError::Unavailable {
        backend: backend.as_str(),
        message: format!("{}: {e}", redact(&url)),
    };
    // One direct connection first: a refused or misconfigured server fails at once
    // instead of after the pool's acquire retries.
    sqlx::AnyConnection::connect(&url).await.map_err(unavailable)?.close().await.map_err(unavailable)?;
    let pool = options.connect(&url).await.map_err(|e| StoreError::Unavailable {
        backend: backend.as_str(),
        message: format!("{}: {e}", redact(&url)),
    })?;
    Ok(SqlStore { pool, backend, write_lock: Arc::new(Mutex::new(())) })
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A bulk transaction; holds the SQLite write turn until it ends.
struct SqlBulk {
    store: SqlStore,
    tx: Transaction<'static, Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

#[async_trait]
impl BulkWrite for SqlBulk {
    async fn apply(&mut self, writes: WriteSet) -> Result<Applied, StoreError> {
        self.store.apply_in(&mut self.tx, writes).await
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit().await?)
    }
}

impl SqlStore {
    pub(crate) fn sql(&self, text: &str) -> String {
        for_backend(self.backend, text)
    }

    /// A page of an append-only log table (`events`, `ledger`) in arrival order.
    async fn log_page<T>(
        &self,
        table: &str,
        mut cond: Conditions,
        window: &LogPage,
        from_row: fn(&AnyRow) -> Result<T, StoreError>,
        seq: fn(&T) -> i64,
    ) -> Result<Page<T>, StoreError> {
        if let Some(t) = window.since_ms {
            cond.add("occurred_at >= ?", SqlValue::Int(Some(t)));
        }
        if let Some(t) = window.until_ms {
            cond.add("occurred_at < ?", SqlValue::Int(Some(t)));
        }
        if let Some(c) = &window.after {
            cond.add("seq > ?", SqlValue::Int(Some(decode_seq_cursor(c)?)));
        }
        let limit = clamp_limit(window.limit);
        let sql = self.sql(&format!("SELECT * FROM {table} {} ORDER BY seq LIMIT ${}", cond.sql(), cond.next_param()));
        let mut values = cond.values;
        values.push(SqlValue::Int(Some(limit + 1)));
        let rows = bind_all(&sql, values).fetch_all(&self.pool).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, limit, |t| seq(t).to_string()))
    }

    /// Another handle on the same pool and write turn (cheap: both are shared).
    fn clone_handle(&self) -> SqlStore {
        SqlStore { pool: self.pool.clone(), backend: self.backend, write_lock: self.write_lock.clone() }
    }

    /// The connection pool, for adapters that share this database.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Inserts `rows` into `into` (`table (columns…)`) in multi-row statements of `cols` values a row.
    pub(crate) async fn insert_all<T>(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        into: &str,
        cols: usize,
        rows: &[T],
        values: impl Fn(&T) -> Vec<SqlValue>,
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(chunk_rows(cols)) {
            let sql = self.sql(&format!("INSERT INTO {into} VALUES {}", placeholders(chunk.len(), cols, 1)));
            bind_all(&sql, chunk.iter().flat_map(&values).collect()).execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub(crate) async fn begin_write(
        &self,
    ) -> Result<(Option<OwnedMutexGuard<()>>, Transaction<'static, Any>), StoreError> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        Ok((guard, self.pool.begin().await?))
    }

    /// Everything `apply` does, inside a caller's transaction. Checks come first,
    /// so a refused write set has written nothing.
    pub(crate) async fn apply_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        writes: WriteSet,
    ) -> Result<Applied, StoreError> {
        let mut seen: HashMap<(EntityKind, &str), usize> = HashMap::new();
        for (i, d) in writes.docs.iter().enumerate() {
            if let Some(first) = seen.insert((d.kind, d.external_id.as_str()), i) {
                return Err(StoreError::DuplicateId { kind: d.kind, id: d.external_id.clone(), first, second: i });
            }
        }
        if !writes.outbox.is_empty() || !writes.ledger.is_empty() {
            self.take_writer_turn(tx).await?;
        }
        let missing = self.missing_references(tx, &writes).await?;
        if !missing.is_empty() {
            return Err(StoreError::UnknownReferences(missing));
        }
        let mut applied = Applied::default();
        self.write_docs(tx, &writes.docs, &mut applied).await?;
        self.write_order_lines(tx, &writes).await?;
        self.write_ledger(tx, &writes.ledger, &mut applied).await?;
        self.write_events(tx, &writes.events, &mut applied).await?;
        self.write_outbox(tx, &writes.outbox).await?;
        Ok(applied)
    }

    /// On PostgreSQL, outbox and ledger writers take turns: outbox sequence order
    /// is then commit order (a reader that has seen seq N never misses a smaller
    /// one later), and ledger writers, which update shared rollup rows, cannot
    /// deadlock on them (a bulk write holds them until it commits).
    pub(crate) async fn take_writer_turn(&self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            tx.execute("SELECT pg_advisory_xact_lock(72010001)").await?;
        }
        Ok(())
    }

    async fn missing_references(
        &self,
        tx: &mut Transaction<'static, Any>,
        writes: &WriteSet,
    ) -> Result<Vec<Reference>, StoreError> {
        let written: HashSet<(EntityKind, &str)> =
            writes.docs.iter().map(|d| (d.kind, d.external_id.as_str())).collect();
        let mut wanted: BTreeMap<EntityKind, HashSet<&str>> = BTreeMap::new();
        for r in &writes.references {
            if !written.contains(&(r.kind, r.external_id.as_str())) {
                wanted.entry(r.kind).or_default().insert(r.external_id.as_str());
            }
        }
        let mut found: HashSet<(EntityKind, String)> = HashSet::new();
        for (kind, ids) in wanted {
            let ids: Vec<&str> = ids.into_iter().collect();
            for chunk in ids.chunks(chunk_rows(1)) {
                let sql = self.sql(&format!(
                    "SELECT external_id FROM {} WHERE external_id IN ({})",
                    table_spec(kind).table,
                    (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
                ));
                let q = chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(id.to_string()));
                for row in q.fetch_all(&mut **tx).await? {
                    found.insert((kind, row.try_get(0)?));
                }
            }
        }
        Ok(writes
            .references
            .iter()
            .filter(|r| {
                !written.contains(&(r.kind, r.external_id.as_str()))
                    && !found.contains(&(r.kind, r.external_id.clone()))
            })
            .cloned()
            .collect())
    }

    async fn write_docs(
        &self,
        tx: &mut Transaction<'static, Any>,
        docs: &[DocWrite],
        applied: &mut Applied,
    ) -> Result<(), StoreError> {
        let mut by_kind: BTreeMap<EntityKind, Vec<&DocWrite>> = BTreeMap::new();
        for d in docs {
            by_kind.entry(d.kind).or_default().push(d);
        }
        let now = now_ms();
        for (kind, docs) in by_kind {
            let spec = table_spec(kind);
            let names: Vec<&str> = ["external_id", "doc", "search_text"]
                .into_iter()
                .chain(spec.columns.iter().map(|c| c.name))
                .chain(["created_at", "updated_at", "version"])
                .collect();
            let updates: Vec<String> = names
                .iter()
                .filter(|n| !matches!(**n, "external_id" | "created_at" | "version"))
                .map(|n| format!("{n} = excluded.{n}"))
                .collect();
            for chunk in docs.chunks(chunk_rows(names.len())) {
                let sql = self.sql(&format!(
                    "INSERT INTO {t} ({cols}) VALUES {vals} ON CONFLICT (external_id) DO UPDATE SET {upd}, version = {t}.version + 1 \
                     WHERE {t}.doc <> excluded.doc RETURNING version",
                    t = spec.table,
                    cols = names.join(","),
                    vals = placeholders(chunk.len(), names.len(), 1),
                    upd = updates.join(", "),
                ));
                let mut values = Vec::with_capacity(chunk.len() * names.len());
                for d in chunk {
                    values.extend(doc_values(spec, d, now));
                }
                let rows = bind_all(&sql, values).fetch_all(&mut **tx).await?;
                for row in &rows {
                    let version: i64 = row.try_get(0)?;
                    if version == 1 { applied.inserted += 1 } else { applied.updated += 1 }
                }
                applied.unchanged += (chunk.len() - rows.len()) as u64;
            }
        }
        Ok(())
    }

    async fn write_order_lines(&self, tx: &mut Transaction<'static, Any>, writes: &WriteSet) -> Result<(), StoreError> {
        for chunk in writes.order_lines_for.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!(
                "DELETE FROM order_lines WHERE order_id IN ({})",
                (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
            ));
            chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(id.clone())).execute(&mut **tx).await?;
        }
        const COLS: usize = 6;
        for chunk in writes.order_lines.chunks(chunk_rows(COLS)) {
            let sql = self.sql(&format!(
                "INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price_minor, discount_minor) VALUES {}",
                placeholders(chunk.len(), COLS, 1)
            ));
            let values = chunk.iter().flat_map(|l| {
                [
                    SqlValue::Text(Some(l.order_id.clone())),
                    SqlValue::Int(Some(l.line_no)),
                    SqlValue::Text(Some(l.product_id.clone())),
                    SqlValue::Int(Some(l.quantity)),
                    SqlValue::Int(Some(l.unit_price_minor)),
                    SqlValue::Int(Some(l.discount_minor)),
                ]
            });
            bind_all(&sql, values.collect()).execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn write_ledger(
        &self,
        tx: &mut Transaction<'static, Any>,
        rows: &[LedgerWrite],
        applied: &mut Applied,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        const COLS: usize = 9;
        // While a bulk load has the rollups suspended they are rebuilt when it
        // ends, so the inserted rows need not come back.
        let maintain_rollups = !self.rollups_suspended(tx).await?;
        let returning = if maintain_rollups { RollupDeltas::RETURNING } else { "" };
        let mut rollups = RollupDeltas::default();
        for chunk in rows.chunks(chunk_rows(COLS)) {
            let sql = self.sql(&format!(
                "INSERT INTO ledger (movement_id, location_id, product_id, kind, on_hand_delta, reserved_delta, unit_value_minor, reference, occurred_at) \
                 VALUES {} ON CONFLICT DO NOTHING{returning}",
                placeholders(chunk.len(), COLS, 1)
            ));
            let values = chunk.iter().flat_map(|w| {
                let r = &w.row;
                [
                    SqlValue::Text(w.movement_id.clone()),
                    SqlValue::Text(Some(r.location_id.clone())),
                    SqlValue::Text(Some(r.product_id.clone())),
                    SqlValue::Text(Some(r.kind.as_str().into())),
                    SqlValue::Int(Some(r.on_hand_delta)),
                    SqlValue::Int(Some(r.reserved_delta)),
                    SqlValue::Int(r.unit_value_minor),
                    SqlValue::Text(r.reference.clone()),
                    SqlValue::Int(Some(r.occurred_at.timestamp_millis())),
                ]
            });
            let query = bind_all(&sql, values.collect());
            let inserted = if maintain_rollups {
                let rows = query.fetch_all(&mut **tx).await?;
                for row in &rows {
                    rollups.add(row)?;
                }
                rows.len() as u64
            } else {
                query.execute(&mut **tx).await?.rows_affected()
            };
            applied.ledger_rows += inserted;
            applied.ledger_duplicates += chunk.len() as u64 - inserted;
        }
        self.write_rollups(tx, rollups).await
    }

    async fn write_events(
        &self,
        tx: &mut Transaction<'static, Any>,
        events: &[BehaviourEvent],
        applied: &mut Applied,
    ) -> Result<(), StoreError> {
        const COLS: usize = 13;
        for chunk in events.chunks(chunk_rows(COLS)) {
            let sql = self.sql(&format!(
                "INSERT INTO events (event_id, kind, customer_id, session_id, product_id, query, position, strategy, request_id, \
                 location_id, quantity, value_minor, occurred_at) VALUES {} ON CONFLICT DO NOTHING",
                placeholders(chunk.len(), COLS, 1)
            ));
            let values = chunk.iter().flat_map(|e| {
                [
                    SqlValue::Text(e.event_id.clone()),
                    SqlValue::Text(Some(e.kind.as_str().into())),
                    SqlValue::Text(e.customer_id.clone()),
                    SqlValue::Text(e.session_id.clone()),
                    SqlValue::Text(e.product_id.clone()),
                    SqlValue::Text(e.query.clone()),
                    SqlValue::Int(e.position.map(i64::from)),
                    SqlValue::Text(e.strategy.clone()),
                    SqlValue::Text(e.request_id.clone()),
                    SqlValue::Text(e.location_id.clone()),
                    SqlValue::Int(e.quantity),
                    SqlValue::Int(e.value_minor),
                    SqlValue::Int(Some(e.occurred_at.timestamp_millis())),
                ]
            });
            let n = bind_all(&sql, values.collect()).execute(&mut **tx).await?.rows_affected();
            applied.events += n;
            applied.event_duplicates += chunk.len() as u64 - n;
        }
        Ok(())
    }

    async fn write_outbox(
        &self,
        tx: &mut Transaction<'static, Any>,
        records: &[OutboxWrite],
    ) -> Result<(), StoreError> {
        for r in records {
            sqlx::query(&self.sql("INSERT INTO outbox (event_id, topic, payload, occurred_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"))
                .bind(r.event_id.clone())
                .bind(r.topic.clone())
                .bind(r.payload.to_string())
                .bind(r.occurred_at_ms)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

/// The bound values of one document row, in the column order of `write_docs`.
fn doc_values(spec: &TableSpec, d: &DocWrite, now: i64) -> Vec<SqlValue> {
    let mut v = vec![
        SqlValue::Text(Some(d.external_id.clone())),
        SqlValue::Text(Some(d.doc.to_string())),
        SqlValue::Text(Some(spec.search_text(&d.external_id, &d.doc))),
    ];
    for c in spec.columns {
        let field = d.doc.pointer(c.pointer);
        v.push(match c.ty {
            ColumnType::Text => SqlValue::Text(field.and_then(Value::as_str).map(str::to_string)),
            ColumnType::Int => SqlValue::Int(field.and_then(Value::as_i64)),
            ColumnType::Real => SqlValue::Real(field.and_then(Value::as_f64)),
            ColumnType::Bool => SqlValue::Int(field.and_then(Value::as_bool).map(i64::from)),
            ColumnType::TimestampMs => SqlValue::Int(
                field
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<DateTime<Utc>>().ok())
                    .map(|t| t.timestamp_millis()),
            ),
        });
    }
    v.extend([SqlValue::Int(Some(now)), SqlValue::Int(Some(now)), SqlValue::Int(Some(1))]);
    v
}

fn filter_value(spec: &TableSpec, column: &str, value: &str) -> Result<SqlValue, StoreError> {
    let unknown =
        || StoreError::UnknownFilter { kind: spec.table, field: column.to_string(), allowed: spec.filterable() };
    let col = spec.column(column).ok_or_else(unknown)?;
    Ok(match col.ty {
        ColumnType::Text => SqlValue::Text(Some(value.to_string())),
        ColumnType::Bool => SqlValue::Int(Some(match value {
            "true" | "1" => 1,
            "false" | "0" => 0,
            _ => return Err(unknown()),
        })),
        ColumnType::Int | ColumnType::TimestampMs => SqlValue::Int(Some(value.parse().map_err(|_| unknown())?)),
        ColumnType::Real => SqlValue::Real(Some(value.parse().map_err(|_| unknown())?)),
    })
}

/// Accumulates `WHERE` conditions with their numbered parameters.
#[derive(Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    pub(crate) values: Vec<SqlValue>,
}

impl Conditions {
    pub(crate) fn add(&mut self, clause_with_param: &str, value: SqlValue) {
        self.values.push(value);
        self.clauses.push(clause_with_param.replace('?', &format!("${}", self.values.len())));
    }

    /// A clause whose `$N` parameters the caller numbered from [`Self::next_param`].
    pub(crate) fn add_many(&mut self, clause: &str, values: impl IntoIterator<Item = SqlValue>) {
        self.values.extend(values);
        self.clauses.push(clause.to_string());
    }

    pub(crate) fn add_opt_text(&mut self, column: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.add(&format!("{column} = ?"), SqlValue::Text(Some(v.clone())));
        }
    }

    pub(crate) fn sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!("WHERE {}", self.clauses.join(" AND ")) }
    }

    pub(crate) fn next_param(&self) -> usize {
        self.values.len() + 1
    }
}

pub(crate) fn clamp_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 1000))
}

/// `$start, $start+1, …`: `n` numbered parameters for an `IN (…)` list or a row of values.
pub(crate) fn param_list(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Cuts `limit + 1` fetched rows to a page; the extra row only says there is more,
/// and the cursor is the page's last key.
pub(crate) fn into_page<T>(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Page<T> {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more { items.last().map(|t| encode_cursor(&key(t))) } else { None };
    Page { items, next_cursor }
}

fn event_from_row(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    let kind: String = row.try_get("kind")?;
    let corrupt = |m: String| StoreError::Corrupt { table: "events", message: m };
    Ok(StoredEvent {
        seq: row.try_get("seq")?,
        event: BehaviourEvent {
            event_id: row.try_get("event_id")?,
            kind: EventKind::parse(&kind).ok_or_else(|| corrupt(format!("unknown kind {kind:?}")))?,
            customer_id: row.try_get("customer_id")?,
            session_id: row.try_get("session_id")?,
            product_id: row.try_get("product_id")?,
            query: row.try_get("query")?,
            position: row.try_get::<Option<i64>, _>("position")?.map(|p| p.clamp(0, u32::MAX as i64) as u32),
            strategy: row.try_get("strategy")?,
            request_id: row.try_get("request_id")?,
            location_id: row.try_get("location_id")?,
            quantity: row.try_get("quantity")?,
            value_minor: row.try_get("value_minor")?,
            occurred_at: ms_to_time(row.try_get("occurred_at")?),
        },
    })
}

fn ledger_from_row(row: &AnyRow) -> Result<StoredLedgerRow, StoreError> {
    let kind: String = row.try_get("kind")?;
    Ok(StoredLedgerRow {
        seq: row.try_get("seq")?,
        movement_id: row.try_get("movement_id")?,
        row: LedgerRow {
            location_id: row.try_get("location_id")?,
            product_id: row.try_get("product_id")?,
            kind: MovementKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt { table: "ledger", message: format!("unknown kind {kind:?}") })?,
            on_hand_delta: row.try_get("on_hand_delta")?,
            reserved_delta: row.try_get("reserved_delta")?,
            unit_value_minor: row.try_get("unit_value_minor")?,
            reference: row.try_get("reference")?,
            occurred_at: ms_to_time(row.try_get("occurred_at")?),
        },
    })
}

fn doc_from_row(table: &'static str, row: &AnyRow) -> Result<StoredDoc, StoreError> {
    let text: String = row.try_get("doc")?;
    Ok(StoredDoc {
        external_id: row.try_get("external_id")?,
        doc: serde_json::from_str(&text).map_err(|e| StoreError::Corrupt { table, message: e.to_string() })?,
        version: row.try_get("version")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

/// The columns of `users`, named rather than `*`. A pooled SQLite connection
/// that loaded the schema before a migration added columns prepares `*` with
/// the old column count; SQLite re-prepares the statement when it runs, and sqlx
/// then reads more columns than it expected. Named columns make the stale
/// prepare fail instead, which SQLite retries with the current schema.
pub(crate) const USER_COLUMNS: &str =
    "username, display_name, role, password_hash, disabled, created_at, failed_logins, locked_until, last_login_at";

pub(crate) fn user_from_row(row: &AnyRow) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: row.try_get("role")?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at_ms: row.try_get("created_at")?,
        failed_logins: row.try_get::<i64, _>("failed_logins")?.clamp(0, i64::from(u32::MAX)) as u32,
        locked_until_ms: row.try_get("locked_until")?,
        last_login_at_ms: row.try_get("last_login_at")?,
    })
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query(&self.sql("SELECT 1"))
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::Unavailable { backend: self.backend.as_str(), message: e.to_string() })?;
        Ok(())
    }

    async fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let guard = if self.backend == Backend::Sqlite { Some(self.write_lock.lock().await) } else { None };
        self.pool
            .execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
                 checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await?;
        let mut applied_now = Vec::new();
        for m in migrations(self.backend) {
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Postgres {
                // Replicas starting together: one migrates, the others wait and then see it done.
                tx.execute("SELECT pg_advisory_xact_lock(72010000)").await?;
            }
            let existing = sqlx::query(&self.sql("SELECT checksum FROM schema_migrations WHERE version = $1"))
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
            let sum = checksum(m.sql);
            match existing {
                Some(row) => {
                    let stored: String = row.try_get(0)?;
                    if stored != sum {
                        return Err(StoreError::Corrupt {
                            table: "schema_migrations",
                            message: format!("migration {} ({}) changed after it was applied", m.version, m.name),
                        });
                    }
                }
                None => {
                    for statement in statements(m.sql) {
                        tx.execute(statement.as_str()).await?;
                    }
                    sqlx::query(&self.sql(
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                    ))
                    .bind(m.version)
                    .bind(m.name)
                    .bind(sum)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                    applied_now.push(format!("{:04}_{}", m.version, m.name));
                }
            }
            tx.commit().await?;
        }
        drop(guard);
        self.restore_indexes().await?;
        Ok(applied_now)
    }

    async fn suspend_log_indexes(&self) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let list = match self.backend {
            Backend::Sqlite => {
                "SELECT name, sql AS ddl FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ('ledger', 'events', 'order_lines') AND sql NOT LIKE 'CREATE UNIQUE%'"
            }
            Backend::Postgres => {
                "SELECT indexname::text AS name, indexdef::text AS ddl FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename IN ('ledger', 'events', 'order_lines') AND indexdef NOT LIKE 'CREATE UNIQUE%'"
            }
        };
        for row in sqlx::query(list).fetch_all(&mut *tx).await? {
            let name: String = row.try_get("name")?;
            let ddl: String = row.try_get("ddl")?;
            sqlx::query(&self.sql("INSERT INTO suspended_indexes (name, ddl) VALUES ($1, $2) ON CONFLICT DO NOTHING"))
                .bind(name.clone())
                .bind(ddl)
                .execute(&mut *tx)
                .await?;
            tx.execute(format!("DROP INDEX {name}").as_str()).await?;
        }
        self.suspend_rollups(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn restore_indexes(&self) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        for row in sqlx::query("SELECT name, ddl FROM suspended_indexes ORDER BY name").fetch_all(&mut *tx).await? {
            let name: String = row.try_get("name")?;
            let ddl: String = row.try_get("ddl")?;
            tracing::info!(index = %name, "rebuilding index");
            tx.execute(ddl.as_str()).await?;
            sqlx::query(&self.sql("DELETE FROM suspended_indexes WHERE name = $1"))
                .bind(name)
                .execute(&mut *tx)
                .await?;
        }
        self.resume_rollups(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn apply(&self, writes: WriteSet) -> Result<Applied, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let applied = self.apply_in(&mut tx, writes).await?;
        tx.commit().await?;
        Ok(applied)
    }

    async fn begin_bulk(&self) -> Result<Box<dyn BulkWrite>, StoreError> {
        let (guard, tx) = self.begin_write().await?;
        Ok(Box::new(SqlBulk { store: self.clone_handle(), tx, _guard: guard }))
    }

    async fn get_doc(&self, kind: EntityKind, external_id: &str) -> Result<Option<StoredDoc>, StoreError> {
        let spec = table_spec(kind);
        let sql = self.sql(&format!(
            "SELECT external_id, doc, version, created_at, updated_at FROM {} WHERE external_id = $1",
            spec.table
        ));
        let row = sqlx::query(&self.sql(&sql)).bind(external_id.to_string()).fetch_optional(&self.pool).await?;
        row.map(|r| doc_from_row(spec.table, &r)).transpose()
    }

    async fn list_docs(&self, kind: EntityKind, query: &DocQuery) -> Result<Page<StoredDoc>, StoreError> {
        let spec = table_spec(kind);
        let mut cond = Conditions::default();
        if let Some(s) = query.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let escaped = s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            cond.add("search_text LIKE ? ESCAPE '\\'", SqlValue::Text(Some(format!("%{escaped}%"))));
        }
        for (column, value) in &query.filters {
            let v = filter_value(spec, column, value)?;
            cond.add(&format!("{column} = ?"), v);
        }
        if let Some(c) = &query.after {
            cond.add("external_id > ?", SqlValue::Text(Some(decode_cursor(c)?)));
        }
        let limit = clamp_limit(query.limit);
        let sql = self.sql(&format!(
            "SELECT external_id, doc, version, created_at, updated_at FROM {} {} ORDER BY external_id LIMIT ${}",
            spec.table,
            cond.sql(),
            cond.next_param()
        ));
        let mut values = cond.values;
        values.push(SqlValue::Int(Some(limit + 1)));
        let rows = bind_all(&sql, values).fetch_all(&self.pool).await?;
        let items = rows.iter().map(|r| doc_from_row(spec.table, r)).collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(items, limit, |d| d.external_id.clone()))
    }

    async fn count_docs(&self, kind: EntityKind) -> Result<u64, StoreError> {
        let sql = self.sql(&format!("SELECT COUNT(*) FROM {}", table_spec(kind).table));
        let n: i64 = sqlx::query(&self.sql(&sql)).fetch_one(&self.pool).await?.try_get(0)?;
        Ok(n as u64)
    }

    async fn delete_doc(&self, kind: EntityKind, external_id: &str) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        for (table, column) in referenced_from(kind) {
            let sql = self.sql(&format!("SELECT 1 FROM {table} WHERE {column} = $1 LIMIT 1"));
            if sqlx::query(&self.sql(&sql)).bind(external_id.to_string()).fetch_optional(&mut *tx).await?.is_some() {
                return Err(StoreError::InUse { kind, id: external_id.to_string(), by: table });
            }
        }
        let sql = self.sql(&format!("DELETE FROM {} WHERE external_id = $1", table_spec(kind).table));
        let n = sqlx::query(&self.sql(&sql)).bind(external_id.to_string()).execute(&mut *tx).await?.rows_affected();
        if kind == EntityKind::Order {
            sqlx::query(&self.sql("DELETE FROM order_lines WHERE order_id = $1"))
                .bind(external_id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    async fn existing_ids(&self, kind: EntityKind, ids: &[String]) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!(
                "SELECT external_id FROM {} WHERE external_id IN ({})",
                table_spec(kind).table,
                param_list(1, chunk.len())
            ));
            let rows = chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(id.clone())).fetch_all(&self.pool).await?;
            for r in rows {
                out.push(r.try_get(0)?);
            }
        }
        Ok(out)
    }

    async fn get_docs(&self, kind: EntityKind, ids: &[String]) -> Result<Vec<StoredDoc>, StoreError> {
        let spec = table_spec(kind);
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!(
                "SELECT external_id, doc, version, created_at, updated_at FROM {} WHERE external_id IN ({})",
                spec.table,
                param_list(1, chunk.len())
            ));
            let rows = chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(id.clone())).fetch_all(&self.pool).await?;
            for r in rows {
                out.push(doc_from_row(spec.table, &r)?);
            }
        }
        Ok(out)
    }

    async fn list_events(&self, query: &EventQuery) -> Result<Page<StoredEvent>, StoreError> {
        let mut cond = Conditions::default();
        cond.add_opt_text("customer_id", &query.customer_id);
        cond.add_opt_text("session_id", &query.session_id);
        cond.add_opt_text("product_id", &query.product_id);
        cond.add_opt_text("kind", &query.kind.map(|k| k.as_str().to_string()));
        self.log_page("events", cond, &query.page, event_from_row, |e| e.seq).await
    }

    async fn customer_interactions(&self, since_ms: i64, kinds: &[EventKind]) -> Result<Vec<Interaction>, StoreError> {
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let sql = self.sql(&format!(
            "SELECT customer_id, product_id, kind, location_id, occurred_at FROM events WHERE occurred_at >= $1 \
             AND customer_id IS NOT NULL AND product_id IS NOT NULL AND kind IN ({}) ORDER BY customer_id, occurred_at, seq",
            (0..kinds.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ")
        ));
        let mut q = sqlx::query(&sql).bind(since_ms);
        for k in kinds {
            q = q.bind(k.as_str());
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(Interaction {
                    customer_id: row.try_get("customer_id")?,
                    product_id: row.try_get("product_id")?,
                    kind: event_kind(row)?,
                    location_id: row.try_get("location_id")?,
                    occurred_at_ms: row.try_get("occurred_at")?,
                })
            })
            .collect()
    }

    async fn list_ledger(&self, query: &LedgerQuery) -> Result<Page<StoredLedgerRow>, StoreError> {
        let mut cond = Conditions::default();
        cond.add_opt_text("location_id", &query.location_id);
        cond.add_opt_text("product_id", &query.product_id);
        cond.add_opt_text("kind", &query.kind.map(|k| k.as_str().to_string()));
        self.log_page("ledger", cond, &query.page, ledger_from_row, |r| r.seq).await
    }

    async fn stock(&self, query: &StockQuery) -> Result<Vec<StockLevel>, StoreError> {
        let mut cond = Conditions::default();
        cond.add_opt_text("location_id", &query.location_id);
        cond.add_opt_text("product_id", &query.product_id);
        let sql = self.sql(&format!(
            "SELECT location_id, product_id, CAST(SUM(on_hand_delta) AS BIGINT) AS on_hand, \
             CAST(SUM(reserved_delta) AS BIGINT) AS reserved FROM ledger {} \
             GROUP BY location_id, product_id ORDER BY location_id, product_id LIMIT ${}",
            cond.sql(),
            cond.next_param()
        ));
        let mut values = cond.values;
        values.push(SqlValue::Int(Some(i64::from(query.limit.clamp(1, 100_000)))));
        let rows = bind_all(&sql, values).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let on_hand: i64 = r.try_get("on_hand")?;
                let reserved: i64 = r.try_get("reserved")?;
                Ok(StockLevel {
                    location_id: r.try_get("location_id")?,
                    product_id: r.try_get("product_id")?,
                    on_hand,
                    reserved,
                    available: on_hand - reserved,
                })
            })
            .collect()
    }

    async fn outbox_append(&self, record: &OutboxWrite) -> Result<u64, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        self.take_writer_turn(&mut tx).await?;
        self.write_outbox(&mut tx, std::slice::from_ref(record)).await?;
        let seq: i64 = sqlx::query(&self.sql("SELECT seq FROM outbox WHERE event_id = $1"))
            .bind(record.event_id.clone())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        tx.commit().await?;
        Ok(seq as u64)
    }

    async fn outbox_after(&self, after_seq: u64, limit: usize) -> Result<Vec<OutboxRecord>, StoreError> {
        let rows =
            sqlx::query(&self.sql(
                "SELECT seq, event_id, topic, payload, occurred_at FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
            ))
            .bind(after_seq as i64)
            .bind(limit.clamp(1, 10_000) as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(OutboxRecord {
                    seq: r.try_get::<i64, _>("seq")? as u64,
                    record: OutboxWrite {
                        event_id: r.try_get("event_id")?,
                        topic: r.try_get("topic")?,
                        payload: serde_json::from_str(&payload)
                            .map_err(|e| StoreError::Corrupt { table: "outbox", message: e.to_string() })?,
                        occurred_at_ms: r.try_get("occurred_at")?,
                    },
                })
            })
            .collect()
    }

    async fn consumer_offset(&self, consumer: &str) -> Result<u64, StoreError> {
        let row = sqlx::query(&self.sql("SELECT seq FROM bus_offsets WHERE consumer = $1"))
            .bind(consumer.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?.unwrap_or(0) as u64)
    }

    async fn commit_offset(&self, consumer: &str, seq: u64) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(&self.sql(
            "INSERT INTO bus_offsets (consumer, seq) VALUES ($1, $2) ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq \
             WHERE bus_offsets.seq < excluded.seq",
        ))
        .bind(consumer.to_string())
        .bind(seq as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn idempotency_get(&self, key: &str) -> Result<Option<IdempotentResponse>, StoreError> {
        let row = sqlx::query(
            &self.sql("SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE key = $1"),
        )
        .bind(key.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(IdempotentResponse {
                request_hash: r.try_get("request_hash")?,
                status: r.try_get::<i64, _>("status")? as u16,
                body: r.try_get("body")?,
                created_at_ms: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    async fn idempotency_put(&self, key: &str, response: &IdempotentResponse) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let n = sqlx::query(&self.sql(
            "INSERT INTO idempotency_keys (key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        ))
        .bind(key.to_string())
        .bind(response.request_hash.clone())
        .bind(i64::from(response.status))
        .bind(response.body.clone())
        .bind(response.created_at_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn idempotency_finish(&self, key: &str, status: u16, body: &str) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(&self.sql("UPDATE idempotency_keys SET status = $1, body = $2 WHERE key = $3"))
            .bind(i64::from(status))
            .bind(body.to_string())
            .bind(key.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn idempotency_release(&self, key: &str) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(&self.sql("DELETE FROM idempotency_keys WHERE key = $1 AND status = 0"))
            .bind(key.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_user(&self, user: &UserRecord) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        sqlx::query(&self.sql(
            "INSERT INTO users (username, display_name, role, password_hash, disabled, created_at, failed_logins, \
             locked_until, last_login_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, role = excluded.role, \
             password_hash = excluded.password_hash, disabled = excluded.disabled",
        ))
        .bind(user.username.clone())
        .bind(user.display_name.clone())
        .bind(user.role.clone())
        .bind(user.password_hash.clone())
        .bind(i64::from(user.disabled))
        .bind(user.created_at_ms)
        .bind(i64::from(user.failed_logins))
        .bind(user.locked_until_ms)
        .bind(user.last_login_at_ms)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_user(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1")))
            .bind(username.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let rows = sqlx::query(&self.sql(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY username")))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }
}

/// The `kind` column of an events row.
pub(crate) fn event_kind(row: &AnyRow) -> Result<EventKind, StoreError> {
    let kind: String = row.try_get("kind")?;
    EventKind::parse(&kind)
        .ok_or_else(|| StoreError::Corrupt { table: "events", message: format!("unknown event kind {kind}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_rows_consecutively() {
        assert_eq!(placeholders(2, 3, 1), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(placeholders(1, 1, 5), "($5)");
    }

    #[test]
    fn sqlite_gets_positional_parameters() {
        let sql = "SELECT a FROM t WHERE x = $1 AND y LIKE $2 ESCAPE '\\' AND z = '$3' LIMIT $10";
        assert_eq!(
            for_backend(Backend::Sqlite, sql),
            "SELECT a FROM t WHERE x = ? AND y LIKE ? ESCAPE '\\' AND z = '$3' LIMIT ?"
        );
        assert_eq!(for_backend(Backend::Postgres, sql), sql);
    }

    #[test]
    fn redact_hides_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://data/retail.db"), "sqlite://data/retail.db");
    }
}
