//! Demand-planning storage: daily sales per location and product read as whole series, forecast
//! runs with the forecast of every series (JSON owned by the service layer), and replenishment
//! suggestions with their approval state. Turning approved suggestions into purchase orders is one
//! transaction: the orders are written and the suggestions marked in the same commit, or neither.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{Conditions, SqlValue, bind_all, chunk_rows, param_list};
use crate::{Applied, Backend, DateRange, Page, SqlStore, Store, StoreError, WriteSet};

/// Units sold of one product at one location, one entry per UTC day with sales (days since
/// 1970-01-01); days without a row sold nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesSeries {
    pub location_id: String,
    pub product_id: String,
    pub days: Vec<(i64, i64)>,
}

/// Days one product's shelf at one location stood empty at the close (days since 1970-01-01, both
/// ends included): its sales on those days fell short of its demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockoutSpan {
    pub location_id: String,
    pub product_id: String,
    pub from_day: i64,
    pub to_day: i64,
}

/// One forecast run: when, on which history, and what it found (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastRunRecord {
    pub run_id: String,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
    /// The last day of history the run used (days since 1970-01-01).
    pub as_of_day: i64,
    pub summary: String,
}

/// The forecast of one location × product series in a run (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastSeriesRecord {
    pub location_id: String,
    pub product_id: String,
    pub category_id: String,
    pub doc: String,
}

/// A replenishment suggestion: what to order for one product at one location, why (JSON), and
/// where it stands (`proposed`, `exception`, `approved`, `rejected`, `ordered`, `superseded`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionRecord {
    pub suggestion_id: String,
    pub run_id: String,
    pub location_id: String,
    pub product_id: String,
    pub supplier_id: Option<String>,
    pub status: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub updated_by: String,
    pub purchase_order_id: Option<String>,
    pub doc: String,
}

/// A page of suggestions, by id.
#[derive(Debug, Clone, Default)]
pub struct SuggestionQuery {
    pub statuses: Vec<String>,
    pub location_id: Option<String>,
    pub run_id: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

/// A change of suggestions' state, applied only to those still in one of `from`.
#[derive(Debug, Clone)]
pub struct SuggestionMove<'a> {
    pub ids: &'a [String],
    pub from: &'a [&'a str],
    pub to: &'a str,
    pub by: &'a str,
    pub at_ms: i64,
}

/// Storage for demand planning; part of [`crate::Store`].
#[async_trait]
pub trait PlanningStore: Send + Sync {
    /// Every location × product with sales in the range (optionally at one location), each with its days.
    async fn daily_sales(&self, range: DateRange, location_id: Option<&str>) -> Result<Vec<SalesSeries>, StoreError>;

    /// The stock-out days within the range (optionally at one location), clipped to it; a shelf
    /// still empty runs to the range's end. Ordered by location, product and first day.
    async fn stockouts(&self, range: DateRange, location_id: Option<&str>) -> Result<Vec<StockoutSpan>, StoreError>;

    /// Stores a run with its forecasts and suggestions in one transaction. Suggestions of earlier
    /// runs still waiting for a decision (`proposed`, `exception`) become `superseded`, and the
    /// forecasts of runs whose history ended before `keep_series_from_day` are dropped (their
    /// summaries stay).
    async fn save_forecast_run(
        &self,
        run: &ForecastRunRecord,
        series: &[ForecastSeriesRecord],
        suggestions: &[SuggestionRecord],
        keep_series_from_day: i64,
    ) -> Result<(), StoreError>;

    /// The latest runs, newest first.
    async fn list_forecast_runs(&self, limit: u32) -> Result<Vec<ForecastRunRecord>, StoreError>;

    /// One run by id, however old.
    async fn get_forecast_run(&self, run_id: &str) -> Result<Option<ForecastRunRecord>, StoreError>;

    /// A run's forecasts, optionally of one location, product or category.
    async fn forecast_series(
        &self,
        run_id: &str,
        location_id: Option<&str>,
        product_id: Option<&str>,
        category_id: Option<&str>,
    ) -> Result<Vec<ForecastSeriesRecord>, StoreError>;

    async fn list_suggestions(&self, query: &SuggestionQuery) -> Result<Page<SuggestionRecord>, StoreError>;

    /// The suggestions with these ids that exist.
    async fn get_suggestions(&self, ids: &[String]) -> Result<Vec<SuggestionRecord>, StoreError>;

    /// Moves the suggestions still in one of `from` to `to`; returns how many moved.
    async fn move_suggestions(&self, change: &SuggestionMove<'_>) -> Result<u64, StoreError>;

    /// Writes purchase orders and marks each listed suggestion `ordered` with its order's id, in one
    /// transaction. `None` (and nothing written) when any suggestion was no longer `approved`.
    async fn order_suggestions(
        &self,
        writes: WriteSet,
        orders: &[(String, String)],
        by: &str,
        at_ms: i64,
    ) -> Result<Option<Applied>, StoreError>;
}

const SUGGESTION_COLUMNS: &str = "suggestion_id, run_id, location_id, product_id, supplier_id, status, created_at, \
     updated_at, updated_by, purchase_order_id, doc";

fn suggestion_from_row(row: &AnyRow) -> Result<SuggestionRecord, StoreError> {
    Ok(SuggestionRecord {
        suggestion_id: row.try_get("suggestion_id")?,
        run_id: row.try_get("run_id")?,
        location_id: row.try_get("location_id")?,
        product_id: row.try_get("product_id")?,
        supplier_id: row.try_get("supplier_id")?,
        status: row.try_get("status")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        purchase_order_id: row.try_get("purchase_order_id")?,
        doc: row.try_get("doc")?,
    })
}

fn run_from_row(row: &AnyRow) -> Result<ForecastRunRecord, StoreError> {
    Ok(ForecastRunRecord {
        run_id: row.try_get("run_id")?,
        started_at_ms: row.try_get("started_at")?,
        finished_at_ms: row.try_get("finished_at")?,
        as_of_day: row.try_get("as_of_day")?,
        summary: row.try_get("summary")?,
    })
}

/// `day:units,day:units…` as the database aggregated it.
fn parse_days(text: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let corrupt = |m: String| StoreError::Corrupt { table: "sales_daily", message: m };
    let mut days = text
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (d, u) = pair.split_once(':').ok_or_else(|| corrupt(format!("bad pair {pair:?}")))?;
            Ok((
                d.parse().map_err(|_| corrupt(format!("bad day {d:?}")))?,
                u.parse().map_err(|_| corrupt(format!("bad units {u:?}")))?,
            ))
        })
        .collect::<Result<Vec<(i64, i64)>, StoreError>>()?;
    days.sort_unstable();
    Ok(days)
}

impl SqlStore {
    async fn move_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        change: &SuggestionMove<'_>,
        purchase_order_id: Option<&str>,
    ) -> Result<u64, StoreError> {
        if change.ids.is_empty() || change.from.is_empty() {
            return Ok(0);
        }
        let from = param_list(5, change.from.len());
        let ids = param_list(5 + change.from.len(), change.ids.len());
        let sql = self.sql(&format!(
            "UPDATE replenishment_suggestions SET status = $1, updated_by = $2, updated_at = $3, \
             purchase_order_id = COALESCE($4, purchase_order_id) WHERE status IN ({from}) AND suggestion_id IN ({ids})"
        ));
        let mut values = vec![
            SqlValue::Text(Some(change.to.to_string())),
            SqlValue::Text(Some(change.by.to_string())),
            SqlValue::Int(Some(change.at_ms)),
            SqlValue::Text(purchase_order_id.map(str::to_string)),
        ];
        values.extend(change.from.iter().map(|s| SqlValue::Text(Some(s.to_string()))));
        values.extend(change.ids.iter().map(|s| SqlValue::Text(Some(s.clone()))));
        Ok(bind_all(&sql, values).execute(&mut **tx).await?.rows_affected())
    }
}

#[async_trait]
impl PlanningStore for SqlStore {
    async fn daily_sales(&self, range: DateRange, location_id: Option<&str>) -> Result<Vec<SalesSeries>, StoreError> {
        // One row per series rather than per day: a year of a chain's sales is millions of days.
        let pairs = match self.backend() {
            Backend::Sqlite => "group_concat(day || ':' || units, ',')",
            Backend::Postgres => "string_agg(day || ':' || units, ',')",
        };
        let (from, to) = range.day_numbers();
        let mut c = Conditions::default();
        c.add("day >= ?", SqlValue::Int(Some(from)));
        c.add("day <= ?", SqlValue::Int(Some(to)));
        c.add_opt_text("location_id", &location_id.map(str::to_string));
        let sql = self.sql(&format!(
            "SELECT location_id, product_id, {pairs} AS days FROM sales_daily {} \
             GROUP BY location_id, product_id ORDER BY location_id, product_id",
            c.sql()
        ));
        let rows = bind_all(&sql, c.values).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(SalesSeries {
                    location_id: row.try_get("location_id")?,
                    product_id: row.try_get("product_id")?,
                    days: parse_days(&row.try_get::<String, _>("days")?)?,
                })
            })
            .collect()
    }

    async fn stockouts(&self, range: DateRange, location_id: Option<&str>) -> Result<Vec<StockoutSpan>, StoreError> {
        let (from, to) = range.day_numbers();
        let mut c = Conditions::default();
        c.add("from_day <= ?", SqlValue::Int(Some(to)));
        c.add("(to_day IS NULL OR to_day >= ?)", SqlValue::Int(Some(from)));
        c.add_opt_text("location_id", &location_id.map(str::to_string));
        let sql = self.sql(&format!(
            "SELECT location_id, product_id, from_day, to_day FROM stockouts {} ORDER BY location_id, product_id, from_day",
            c.sql()
        ));
        let rows = bind_all(&sql, c.values).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                let to_day: Option<i64> = row.try_get("to_day")?;
                Ok(StockoutSpan {
                    location_id: row.try_get("location_id")?,
                    product_id: row.try_get("product_id")?,
                    from_day: row.try_get::<i64, _>("from_day")?.max(from),
                    to_day: to_day.map_or(to, |d| d.min(to)),
                })
            })
            .collect()
    }

    async fn save_forecast_run(
        &self,
        run: &ForecastRunRecord,
        series: &[ForecastSeriesRecord],
        suggestions: &[SuggestionRecord],
        keep_series_from_day: i64,
    ) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sql = self
            .sql("DELETE FROM forecast_series WHERE run_id IN (SELECT run_id FROM forecast_runs WHERE as_of_day < $1)");
        sqlx::query(&sql).bind(keep_series_from_day).execute(&mut *tx).await?;
        let sql = self.sql(
            "INSERT INTO forecast_runs (run_id, started_at, finished_at, as_of_day, summary) VALUES ($1, $2, $3, $4, $5)",
        );
        let values = vec![
            SqlValue::Text(Some(run.run_id.clone())),
            SqlValue::Int(Some(run.started_at_ms)),
            SqlValue::Int(Some(run.finished_at_ms)),
            SqlValue::Int(Some(run.as_of_day)),
            SqlValue::Text(Some(run.summary.clone())),
        ];
        bind_all(&sql, values).execute(&mut *tx).await?;
        let into = "forecast_series (run_id, location_id, product_id, category_id, doc)";
        self.insert_all(&mut tx, into, 5, series, |s| {
            vec![
                SqlValue::Text(Some(run.run_id.clone())),
                SqlValue::Text(Some(s.location_id.clone())),
                SqlValue::Text(Some(s.product_id.clone())),
                SqlValue::Text(Some(s.category_id.clone())),
                SqlValue::Text(Some(s.doc.clone())),
            ]
        })
        .await?;
        let sql = self.sql(
            "UPDATE replenishment_suggestions SET status = 'superseded', updated_at = $1, updated_by = 'system' \
             WHERE status IN ('proposed', 'exception')",
        );
        sqlx::query(&sql).bind(run.finished_at_ms).execute(&mut *tx).await?;
        let into = format!("replenishment_suggestions ({SUGGESTION_COLUMNS})");
        self.insert_all(&mut tx, &into, 11, suggestions, |s| {
            vec![
                SqlValue::Text(Some(s.suggestion_id.clone())),
                SqlValue::Text(Some(s.run_id.clone())),
                SqlValue::Text(Some(s.location_id.clone())),
                SqlValue::Text(Some(s.product_id.clone())),
                SqlValue::Text(s.supplier_id.clone()),
                SqlValue::Text(Some(s.status.clone())),
                SqlValue::Int(Some(s.created_at_ms)),
                SqlValue::Int(Some(s.updated_at_ms)),
                SqlValue::Text(Some(s.updated_by.clone())),
                SqlValue::Text(s.purchase_order_id.clone()),
                SqlValue::Text(Some(s.doc.clone())),
            ]
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_forecast_runs(&self, limit: u32) -> Result<Vec<ForecastRunRecord>, StoreError> {
        let sql = self.sql(
            "SELECT run_id, started_at, finished_at, as_of_day, summary FROM forecast_runs \
             ORDER BY started_at DESC, run_id DESC LIMIT $1",
        );
        let rows = sqlx::query(&sql).bind(i64::from(limit.clamp(1, 1000))).fetch_all(self.pool()).await?;
        rows.iter().map(run_from_row).collect()
    }

    async fn get_forecast_run(&self, run_id: &str) -> Result<Option<ForecastRunRecord>, StoreError> {
        let sql =
            self.sql("SELECT run_id, started_at, finished_at, as_of_day, summary FROM forecast_runs WHERE run_id = $1");
        let row = sqlx::query(&sql).bind(run_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(run_from_row).transpose()
    }

    async fn forecast_series(
        &self,
        run_id: &str,
        location_id: Option<&str>,
        product_id: Option<&str>,
        category_id: Option<&str>,
    ) -> Result<Vec<ForecastSeriesRecord>, StoreError> {
        let mut c = Conditions::default();
        c.add("run_id = ?", SqlValue::Text(Some(run_id.to_string())));
        c.add_opt_text("location_id", &location_id.map(str::to_string));
        c.add_opt_text("product_id", &product_id.map(str::to_string));
        c.add_opt_text("category_id", &category_id.map(str::to_string));
        let sql = self.sql(&format!(
            "SELECT location_id, product_id, category_id, doc FROM forecast_series {} ORDER BY location_id, product_id",
            c.sql()
        ));
        let rows = bind_all(&sql, c.values).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(ForecastSeriesRecord {
                    location_id: row.try_get("location_id")?,
                    product_id: row.try_get("product_id")?,
                    category_id: row.try_get("category_id")?,
                    doc: row.try_get("doc")?,
                })
            })
            .collect()
    }

    async fn list_suggestions(&self, query: &SuggestionQuery) -> Result<Page<SuggestionRecord>, StoreError> {
        let mut c = Conditions::default();
        if !query.statuses.is_empty() {
            let list = param_list(c.next_param(), query.statuses.len());
            c.add_many(&format!("status IN ({list})"), query.statuses.iter().map(|s| SqlValue::Text(Some(s.clone()))));
        }
        c.add_opt_text("location_id", &query.location_id);
        c.add_opt_text("run_id", &query.run_id);
        if let Some(after) = &query.after {
            c.add("suggestion_id > ?", SqlValue::Text(Some(crate::types::decode_cursor(after)?)));
        }
        let limit = i64::from(query.limit.clamp(1, 1000));
        let sql = self.sql(&format!(
            "SELECT {SUGGESTION_COLUMNS} FROM replenishment_suggestions {} ORDER BY suggestion_id LIMIT ${}",
            c.sql(),
            c.next_param()
        ));
        let mut values = c.values;
        values.push(SqlValue::Int(Some(limit + 1)));
        let rows = bind_all(&sql, values).fetch_all(self.pool()).await?;
        let items = rows.iter().map(suggestion_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(crate::sql::into_page(items, limit, |s| s.suggestion_id.clone()))
    }

    async fn get_suggestions(&self, ids: &[String]) -> Result<Vec<SuggestionRecord>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!(
                "SELECT {SUGGESTION_COLUMNS} FROM replenishment_suggestions WHERE suggestion_id IN ({}) \
                 ORDER BY suggestion_id",
                param_list(1, chunk.len())
            ));
            let values = chunk.iter().map(|s| SqlValue::Text(Some(s.clone()))).collect();
            for row in bind_all(&sql, values).fetch_all(self.pool()).await? {
                found.push(suggestion_from_row(&row)?);
            }
        }
        Ok(found)
    }

    async fn move_suggestions(&self, change: &SuggestionMove<'_>) -> Result<u64, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let mut moved = 0;
        for ids in change.ids.chunks(chunk_rows(1)) {
            moved += self.move_in(&mut tx, &SuggestionMove { ids, ..change.clone() }, None).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }

    async fn order_suggestions(
        &self,
        writes: WriteSet,
        orders: &[(String, String)],
        by: &str,
        at_ms: i64,
    ) -> Result<Option<Applied>, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let applied = self.apply_in(&mut tx, writes).await?;
        for (suggestion_id, order_id) in orders {
            let change = SuggestionMove {
                ids: std::slice::from_ref(suggestion_id),
                from: &["approved"],
                to: "ordered",
                by,
                at_ms,
            };
            if self.move_in(&mut tx, &change, Some(order_id)).await? != 1 {
                tx.rollback().await?;
                return Ok(None);
            }
        }
        tx.commit().await?;
        Ok(Some(applied))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_days_parse_in_order() {
        assert_eq!(parse_days("20:3,18:1,19:0").unwrap(), vec![(18, 1), (19, 0), (20, 3)]);
        assert_eq!(parse_days("").unwrap(), vec![]);
        assert!(matches!(parse_days("20-3"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(parse_days("x:3"), Err(StoreError::Corrupt { .. })));
    }
}
