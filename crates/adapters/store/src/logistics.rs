//! Supply-chain storage: delivery plans (the problem as submitted and the solved plan, JSON owned
//! by the service layer) with a lease for the background solver, and the purchase and stock
//! history that supplier scorecards and cost analysis read.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{SqlValue, bind_all, clamp_limit, int, text};
use crate::{Backend, SqlStore, Store, StoreError};

/// One planning request and, once solved, its plan. `status` is `queued`, `solving`, `ready`,
/// `failed` or `superseded` (a later ready plan of the same scope, depot and day replaced it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPlanRecord {
    pub plan_id: String,
    /// `store` (DC → store transfers), `home` (online orders) or `api` (a submitted problem).
    pub scope: String,
    pub depot_id: Option<String>,
    /// The local day served, `YYYY-MM-DD`.
    pub service_date: Option<String>,
    pub status: String,
    /// A digest of the orders the plan was built from, to tell when they changed.
    pub fingerprint: String,
    pub created_at_ms: i64,
    pub created_by: String,
    pub finished_at_ms: Option<i64>,
    pub routes: Option<i64>,
    pub stops: Option<i64>,
    pub unassigned: Option<i64>,
    pub distance_m: Option<i64>,
    pub cost_minor: Option<i64>,
    /// The problem as JSON; empty in listings.
    pub problem: String,
    /// The plan as JSON once ready; absent in listings.
    pub plan: Option<String>,
    pub error: Option<String>,
}

/// The figures of a solved plan kept beside its JSON, for lists and dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanFigures {
    pub routes: i64,
    pub stops: i64,
    pub unassigned: i64,
    pub distance_m: i64,
    pub cost_minor: i64,
}

/// Which plans to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct PlanQuery {
    pub scope: Option<String>,
    pub depot_id: Option<String>,
    pub service_date: Option<String>,
    /// Only plans in one of these states; empty means all.
    pub statuses: Vec<String>,
    pub limit: u32,
}

/// A purchase order's document with the documents of its receipts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseHistoryRecord {
    pub purchase_order: String,
    pub receipts: Vec<String>,
}

/// On-hand stock of one product at one location: the opening balance before the range and the net
/// change of each UTC day in it that had movements (days since 1970-01-01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockSeries {
    pub product_id: String,
    pub opening: i64,
    pub changes: Vec<(i64, i64)>,
}

/// Storage for delivery planning and supply analysis; part of [`crate::Store`].
#[async_trait]
pub trait LogisticsStore: Send + Sync {
    async fn insert_plan(&self, plan: &DeliveryPlanRecord) -> Result<(), StoreError>;

    async fn get_plan(&self, plan_id: &str) -> Result<Option<DeliveryPlanRecord>, StoreError>;

    /// Plans without their problem and plan bodies, newest first.
    async fn list_plans(&self, query: &PlanQuery) -> Result<Vec<DeliveryPlanRecord>, StoreError>;

    /// Leases the oldest queued plan (or one whose solver's lease ran out) for solving until
    /// `lease_until_ms`; at most one worker holds a plan at a time.
    async fn claim_plan(&self, now_ms: i64, lease_until_ms: i64) -> Result<Option<DeliveryPlanRecord>, StoreError>;

    /// Stores the outcome of a plan still queued or solving: `Ok` makes it `ready` and supersedes
    /// the earlier ready plans of its scope, depot and day in the same transaction; `Err` makes it
    /// `failed`. Returns whether the plan was still open.
    async fn finish_plan(
        &self,
        plan_id: &str,
        outcome: Result<(&str, PlanFigures), &str>,
        at_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Purchase orders created in `[from_ms, to_ms)` with their receipts.
    async fn purchase_history(&self, from_ms: i64, to_ms: i64) -> Result<Vec<PurchaseHistoryRecord>, StoreError>;

    /// Daily on-hand changes of every product at a location over `[from_day, to_day]`.
    async fn stock_history(
        &self,
        location_id: &str,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<StockSeries>, StoreError>;
}

const SUMMARY_COLUMNS: &str = "plan_id, scope, depot_id, service_date, status, fingerprint, created_at, created_by, \
     finished_at, routes, stops, unassigned, distance_m, cost_minor, error";

fn plan_from_row(row: &AnyRow, bodies: bool) -> Result<DeliveryPlanRecord, StoreError> {
    Ok(DeliveryPlanRecord {
        plan_id: row.try_get("plan_id")?,
        scope: row.try_get("scope")?,
        depot_id: row.try_get("depot_id")?,
        service_date: row.try_get("service_date")?,
        status: row.try_get("status")?,
        fingerprint: row.try_get("fingerprint")?,
        created_at_ms: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        finished_at_ms: row.try_get("finished_at")?,
        routes: row.try_get("routes")?,
        stops: row.try_get("stops")?,
        unassigned: row.try_get("unassigned")?,
        distance_m: row.try_get("distance_m")?,
        cost_minor: row.try_get("cost_minor")?,
        problem: if bodies { row.try_get("problem")? } else { String::new() },
        plan: if bodies { row.try_get("plan")? } else { None },
        error: row.try_get("error")?,
    })
}

fn opt_text(value: &Option<String>) -> SqlValue {
    SqlValue::Text(value.clone())
}

fn opt_int(value: Option<i64>) -> SqlValue {
    SqlValue::Int(value)
}

#[async_trait]
impl LogisticsStore for SqlStore {
    async fn insert_plan(&self, p: &DeliveryPlanRecord) -> Result<(), StoreError> {
        let sql = self.sql(
            "INSERT INTO delivery_plans (plan_id, scope, depot_id, service_date, status, fingerprint, created_at, \
             created_by, finished_at, lease_until, routes, stops, unassigned, distance_m, cost_minor, problem, plan, \
             error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        );
        let values = vec![
            text(&p.plan_id),
            text(&p.scope),
            opt_text(&p.depot_id),
            opt_text(&p.service_date),
            text(&p.status),
            text(&p.fingerprint),
            int(p.created_at_ms),
            text(&p.created_by),
            opt_int(p.finished_at_ms),
            SqlValue::Int(None),
            opt_int(p.routes),
            opt_int(p.stops),
            opt_int(p.unassigned),
            opt_int(p.distance_m),
            opt_int(p.cost_minor),
            text(&p.problem),
            opt_text(&p.plan),
            opt_text(&p.error),
        ];
        let (_guard, mut tx) = self.begin_write().await?;
        bind_all(&sql, values).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_plan(&self, plan_id: &str) -> Result<Option<DeliveryPlanRecord>, StoreError> {
        let sql = self.sql(&format!("SELECT {SUMMARY_COLUMNS}, problem, plan FROM delivery_plans WHERE plan_id = $1"));
        let row = bind_all(&sql, vec![text(plan_id)]).fetch_optional(self.pool()).await?;
        row.map(|r| plan_from_row(&r, true)).transpose()
    }

    async fn list_plans(&self, q: &PlanQuery) -> Result<Vec<DeliveryPlanRecord>, StoreError> {
        let mut c = crate::sql::Conditions::default();
        c.add_opt_text("scope", &q.scope);
        c.add_opt_text("depot_id", &q.depot_id);
        c.add_opt_text("service_date", &q.service_date);
        if !q.statuses.is_empty() {
            let list = crate::sql::param_list(c.next_param(), q.statuses.len());
            c.add_many(&format!("status IN ({list})"), q.statuses.iter().map(|s| text(s)));
        }
        let sql = self.sql(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM delivery_plans {} ORDER BY created_at DESC, plan_id DESC LIMIT ${}",
            c.sql(),
            c.next_param()
        ));
        let mut values = c.values;
        values.push(int(clamp_limit(q.limit)));
        let rows = bind_all(&sql, values).fetch_all(self.pool()).await?;
        rows.iter().map(|r| plan_from_row(r, false)).collect()
    }

    async fn claim_plan(&self, now_ms: i64, lease_until_ms: i64) -> Result<Option<DeliveryPlanRecord>, StoreError> {
        // Solvers on several PostgreSQL replicas skip each other's rows; SQLite has one writer.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = self.sql(&format!(
            "UPDATE delivery_plans SET status = 'solving', lease_until = $1 WHERE plan_id IN (SELECT plan_id FROM \
             delivery_plans WHERE status = 'queued' OR (status = 'solving' AND lease_until < $2) \
             ORDER BY created_at, plan_id LIMIT 1{lock}) RETURNING {SUMMARY_COLUMNS}, problem, plan"
        ));
        let (_guard, mut tx) = self.begin_write().await?;
        let row = bind_all(&sql, vec![int(lease_until_ms), int(now_ms)]).fetch_optional(&mut *tx).await?;
        tx.commit().await?;
        row.map(|r| plan_from_row(&r, true)).transpose()
    }

    async fn finish_plan(
        &self,
        plan_id: &str,
        outcome: Result<(&str, PlanFigures), &str>,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let done = match outcome {
            Ok((plan, f)) => {
                let sql = self.sql(
                    "UPDATE delivery_plans SET status = 'ready', plan = $1, finished_at = $2, lease_until = NULL, \
                     routes = $3, stops = $4, unassigned = $5, distance_m = $6, cost_minor = $7 \
                     WHERE plan_id = $8 AND status IN ('queued', 'solving')",
                );
                let values = vec![
                    text(plan),
                    int(at_ms),
                    int(f.routes),
                    int(f.stops),
                    int(f.unassigned),
                    int(f.distance_m),
                    int(f.cost_minor),
                    text(plan_id),
                ];
                let done = bind_all(&sql, values).execute(&mut *tx).await?.rows_affected() == 1;
                if done {
                    // The scope, depot and day of this plan; an `api` plan has none and replaces nothing.
                    let sql = self.sql(
                        "UPDATE delivery_plans SET status = 'superseded' WHERE status = 'ready' AND plan_id <> $1 \
                         AND scope <> 'api' AND (scope, depot_id, service_date) IN \
                         (SELECT scope, depot_id, service_date FROM delivery_plans WHERE plan_id = $2)",
                    );
                    bind_all(&sql, vec![text(plan_id), text(plan_id)]).execute(&mut *tx).await?;
                }
                done
            }
            Err(error) => {
                let sql = self.sql(
                    "UPDATE delivery_plans SET status = 'failed', error = $1, finished_at = $2, lease_until = NULL \
                     WHERE plan_id = $3 AND status IN ('queued', 'solving')",
                );
                bind_all(&sql, vec![text(error), int(at_ms), text(plan_id)]).execute(&mut *tx).await?.rows_affected()
                    == 1
            }
        };
        tx.commit().await?;
        Ok(done)
    }

    async fn purchase_history(&self, from_ms: i64, to_ms: i64) -> Result<Vec<PurchaseHistoryRecord>, StoreError> {
        let sql = self.sql(
            "SELECT external_id, doc FROM purchase_orders WHERE created_on >= $1 AND created_on < $2 \
             ORDER BY external_id",
        );
        let orders = bind_all(&sql, vec![int(from_ms), int(to_ms)]).fetch_all(self.pool()).await?;
        let sql = self.sql(
            "SELECT r.purchase_order_id, r.doc FROM receipts r JOIN purchase_orders p \
             ON r.purchase_order_id = p.external_id WHERE p.created_on >= $1 AND p.created_on < $2 \
             ORDER BY r.purchase_order_id, r.received_at, r.external_id",
        );
        let receipts = bind_all(&sql, vec![int(from_ms), int(to_ms)]).fetch_all(self.pool()).await?;
        let mut by_order: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for row in &receipts {
            by_order.entry(row.try_get("purchase_order_id")?).or_default().push(row.try_get("doc")?);
        }
        orders
            .iter()
            .map(|row| {
                let id: String = row.try_get("external_id")?;
                Ok(PurchaseHistoryRecord {
                    receipts: by_order.remove(&id).unwrap_or_default(),
                    purchase_order: row.try_get("doc")?,
                })
            })
            .collect()
    }

    async fn stock_history(
        &self,
        location_id: &str,
        from_day: i64,
        to_day: i64,
    ) -> Result<Vec<StockSeries>, StoreError> {
        const DAY_MS: i64 = 86_400_000;
        let (from_ms, to_ms) = (from_day * DAY_MS, (to_day + 1) * DAY_MS);
        let sql = self.sql(
            "SELECT product_id, CAST(SUM(on_hand_delta) AS BIGINT) AS units FROM ledger WHERE location_id = $1 AND occurred_at < $2 \
             GROUP BY product_id ORDER BY product_id",
        );
        let opening = bind_all(&sql, vec![text(location_id), int(from_ms)]).fetch_all(self.pool()).await?;
        let sql = self.sql(
            "SELECT product_id, CAST(occurred_at / 86400000 AS BIGINT) AS day, CAST(SUM(on_hand_delta) AS BIGINT) AS units \
             FROM ledger \
             WHERE location_id = $1 AND occurred_at >= $2 AND occurred_at < $3 \
             GROUP BY product_id, occurred_at / 86400000 ORDER BY product_id, 2",
        );
        let changes = bind_all(&sql, vec![text(location_id), int(from_ms), int(to_ms)]).fetch_all(self.pool()).await?;
        let mut series: std::collections::BTreeMap<String, StockSeries> = std::collections::BTreeMap::new();
        for row in &opening {
            let product_id: String = row.try_get("product_id")?;
            let units: i64 = row.try_get("units")?;
            series.insert(product_id.clone(), StockSeries { product_id, opening: units, changes: Vec::new() });
        }
        for row in &changes {
            let product_id: String = row.try_get("product_id")?;
            let entry = series.entry(product_id.clone()).or_insert_with(|| StockSeries {
                product_id,
                opening: 0,
                changes: Vec::new(),
            });
            entry.changes.push((row.try_get("day")?, row.try_get("units")?));
        }
        Ok(series.into_values().collect())
    }
}
