//! Aggregate reads behind the console's dashboards, and the rollups that keep
//! them off the multi-million-row ledger.
//!
//! Sales are the ledger's `sale` rows, for every channel. Every sale takes its
//! goods off a shelf with exactly one such row: the demo books store sales as
//! one row per store, product and day (store sales have no orders at all) and
//! each online order line as one row when the order is placed (none for orders
//! cancelled before payment). Orders exist only for the channels that take
//! them, so summing order lines would miss the stores, and adding them to the
//! ledger would count online sales twice. Units and revenue therefore come
//! from the ledger alone; orders are only counted (those not cancelled).
//! Revenue is units times the row's unit selling price, before order coupons;
//! a sale booked without a price adds units but no revenue.
//!
//! Days are UTC days. Two rollups, `stock_levels` (on hand and reserved per
//! location and product) and `sales_daily` (units and revenue per day,
//! location and product), are filled from the ledger by migration 0003 and
//! then written in the same transaction as the ledger rows they sum (see
//! [`RollupDeltas`]), except while a bulk load has them suspended: they are
//! rebuilt from the ledger when it restores its indexes.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use retail_domain::{Currency, Order, OrderChannel, OrderStatus, Text};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::sql::{Conditions, SqlValue, bind_all, chunk_rows, param_list, placeholders};
use crate::{SqlStore, StoreError};

/// An inclusive range of UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    /// The `days` days ending on `last`, both ends included (at least one day).
    pub fn last_days(last: NaiveDate, days: u32) -> Self {
        let before = u64::from(days.max(1) - 1);
        Self { from: last.checked_sub_days(Days::new(before)).unwrap_or(NaiveDate::MIN), to: last }
    }

    /// How many days the range covers (0 when `from` is after `to`).
    pub fn len_days(&self) -> i64 {
        ((self.to - self.from).num_days() + 1).max(0)
    }

    /// The range's first and last day as days since 1970-01-01.
    pub fn day_numbers(&self) -> (i64, i64) {
        (day_number(self.from), day_number(self.to))
    }

    /// The range as `[start, end)` in UTC milliseconds.
    fn ms_bounds(&self) -> (i64, i64) {
        let (first, last) = self.day_numbers();
        (first * MS_PER_DAY, (last + 1) * MS_PER_DAY)
    }
}

/// Sales of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DaySales {
    pub day: NaiveDate,
    pub units: i64,
    pub revenue_minor: i64,
    /// Orders placed that day and not cancelled (online; store sales have none).
    pub orders: i64,
}

/// Sales of one top-level category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategorySales {
    pub category_id: String,
    pub name: Text,
    pub units: i64,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductSales {
    pub product_id: String,
    pub name: Text,
    pub units: i64,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LocationSales {
    pub location_id: String,
    pub name: Text,
    pub units: i64,
    pub revenue_minor: i64,
    /// Orders placed there and not cancelled (online; store sales have none).
    pub orders: i64,
}

/// Days of sales that stock lasts below which it is [`StockAlertKind::Low`].
pub const LOW_COVER_DAYS: i64 = 3;
/// Days of sales that stock lasts above which it is [`StockAlertKind::Over`].
pub const OVER_COVER_DAYS: i64 = 60;
/// The recent sales rate is the average over this many days, ending on the last
/// day with sales (not today: a snapshot such as the demo ends in the past).
pub const SALES_RATE_DAYS: u32 = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StockAlertKind {
    /// Fewer than [`LOW_COVER_DAYS`] days of cover (including none at all) for
    /// a product that sells.
    Low,
    /// More than [`OVER_COVER_DAYS`] days of cover, or stock that did not sell
    /// at all, at a location that sells.
    Over,
}

/// A product's stock at one location against its recent sales.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StockCover {
    pub location_id: String,
    pub product_id: String,
    pub product_name: Text,
    pub on_hand: i64,
    pub reserved: i64,
    /// Units sold per day over the [`SALES_RATE_DAYS`] days ending on the last day with sales.
    pub avg_daily_units: f64,
    /// How many days `on_hand` lasts at that rate; absent when it did not sell.
    pub days_of_cover: Option<f64>,
    /// Only at locations that sold anything in the period (so never at a warehouse).
    pub alert: Option<StockAlertKind>,
}

/// One order as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderSummary {
    pub order_id: String,
    pub placed_at: DateTime<Utc>,
    pub location_id: String,
    pub customer_id: Option<String>,
    pub channel: OrderChannel,
    pub status: OrderStatus,
    pub currency: Currency,
    pub lines: usize,
    pub units: i64,
    /// Lines after their discounts.
    pub total_minor: i64,
}

/// Aggregate queries for dashboards and reports; part of [`crate::Store`].
/// Ranges select UTC days; `location` and `product` narrow to one of each.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The first and last day with sales; `None` before the first sale.
    async fn sales_days(&self) -> Result<Option<DateRange>, StoreError>;

    /// One entry per day of `range`, days without sales included as zeros.
    async fn sales_by_day(
        &self,
        range: DateRange,
        location: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<DaySales>, StoreError>;

    /// Sales per top-level category (sub-categories roll up into their root),
    /// highest revenue first.
    async fn sales_by_category(
        &self,
        range: DateRange,
        location: Option<&str>,
    ) -> Result<Vec<CategorySales>, StoreError>;

    /// The `limit` products with the highest revenue.
    async fn top_products(
        &self,
        range: DateRange,
        location: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ProductSales>, StoreError>;

    /// Sales per location that sold anything or took orders, highest revenue first.
    async fn sales_by_location(&self, range: DateRange) -> Result<Vec<LocationSales>, StoreError>;

    /// Every product stocked at `location` (anything ever booked there), by product id.
    async fn location_stock(&self, location: &str) -> Result<Vec<StockCover>, StoreError>;

    /// Stock that is about to run out or far more than sells: at most `limit`
    /// alerts of each kind, [`StockAlertKind::Low`] first, each kind most
    /// severe first (least cover for low, most for over).
    async fn stock_alerts(&self, location: Option<&str>, limit: u32) -> Result<Vec<StockCover>, StoreError>;

    /// The latest orders, newest first.
    async fn recent_orders(&self, location: Option<&str>, limit: u32) -> Result<Vec<OrderSummary>, StoreError>;

    /// Current stock of these products at every location that ever held them, by location and
    /// product, read from the rollup the ledger keeps (a lookup, not a sum over the ledger).
    async fn product_stock(&self, product_ids: &[String]) -> Result<Vec<retail_domain::StockLevel>, StoreError>;
}

/// `sales_daily.day` is `occurred_at / MS_PER_DAY`: the same truncating integer
/// division here, in the migration's backfill and in the queries.
const MS_PER_DAY: i64 = 86_400_000;

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Days since 1970-01-01 (UTC), as the rollups key days.
pub fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE)
}

/// The date of a day number.
pub fn day_date(day: i64) -> Result<NaiveDate, StoreError> {
    i32::try_from(day)
        .ok()
        .and_then(|d| d.checked_add(UNIX_EPOCH_DAYS_FROM_CE))
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| StoreError::Corrupt { table: "sales_daily", message: format!("day {day} is out of range") })
}

/// What newly inserted ledger rows add to the rollups, summed per key so that
/// each rollup row is written once per write set.
#[derive(Default)]
pub(crate) struct RollupDeltas {
    /// (location, product) → (on hand, reserved, the last day with an on-hand change).
    stock: HashMap<(String, String), (i64, i64, Option<i64>)>,
    /// (day, location, product) → (units, revenue).
    sales: HashMap<(i64, String, String), (i64, i64)>,
}

impl RollupDeltas {
    /// Returns the ledger columns [`RollupDeltas::add`] reads from a ledger insert
    /// (only rows actually inserted come back, not skipped duplicates).
    pub(crate) const RETURNING: &str =
        " RETURNING location_id, product_id, kind, on_hand_delta, reserved_delta, unit_value_minor, occurred_at";

    pub(crate) fn add(&mut self, row: &AnyRow) -> Result<(), StoreError> {
        let location: String = row.try_get("location_id")?;
        let product: String = row.try_get("product_id")?;
        let on_hand: i64 = row.try_get("on_hand_delta")?;
        let day = row.try_get::<i64, _>("occurred_at")? / MS_PER_DAY;
        let stock = self.stock.entry((location.clone(), product.clone())).or_default();
        stock.0 += on_hand;
        stock.1 += row.try_get::<i64, _>("reserved_delta")?;
        if on_hand != 0 {
            stock.2 = stock.2.max(Some(day));
        }
        if row.try_get::<String, _>("kind")? == "sale" {
            let units = -on_hand;
            let price: Option<i64> = row.try_get("unit_value_minor")?;
            let sales = self.sales.entry((day, location, product)).or_default();
            sales.0 += units;
            sales.1 += units * price.unwrap_or(0);
        }
        Ok(())
    }
}

/// Recomputes the rollups from the ledger, as migration 0003 first filled them, and the stock-out
/// days of migration 0010: every day whose closing on-hand was zero or less, through the day before
/// the product's next movement there.
const REBUILD_ROLLUPS: [&str; 6] = [
    "DELETE FROM stock_levels",
    "INSERT INTO stock_levels (location_id, product_id, on_hand, reserved) \
     SELECT location_id, product_id, SUM(on_hand_delta), SUM(reserved_delta) FROM ledger GROUP BY location_id, product_id",
    "DELETE FROM sales_daily",
    "INSERT INTO sales_daily (day, location_id, product_id, units, revenue_minor) \
     SELECT occurred_at / 86400000, location_id, product_id, SUM(-on_hand_delta), \
     SUM(-on_hand_delta * COALESCE(unit_value_minor, 0)) FROM ledger WHERE kind = 'sale' \
     GROUP BY occurred_at / 86400000, location_id, product_id",
    "DELETE FROM stockouts",
    "INSERT INTO stockouts (location_id, product_id, from_day, to_day) \
     SELECT location_id, product_id, day, next_day - 1 FROM ( \
         SELECT location_id, product_id, day, \
             SUM(delta) OVER (PARTITION BY location_id, product_id ORDER BY day) AS closing, \
             LEAD(day) OVER (PARTITION BY location_id, product_id ORDER BY day) AS next_day \
         FROM (SELECT location_id, product_id, occurred_at / 86400000 AS day, SUM(on_hand_delta) AS delta \
               FROM ledger WHERE on_hand_delta <> 0 GROUP BY location_id, product_id, occurred_at / 86400000) daily \
     ) running WHERE closing <= 0",
];

impl SqlStore {
    /// True while a bulk load has the rollups suspended. Ledger writers check
    /// it holding the writer turn, which the rebuild takes too, so every write
    /// lands either in the rebuild or after it.
    pub(crate) async fn rollups_suspended(&self, tx: &mut Transaction<'static, Any>) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 FROM rollups_suspended").fetch_optional(&mut **tx).await?.is_some())
    }

    /// Stops ledger writes from maintaining the rollups: a bulk load is faster
    /// rebuilding them once than updating them row by row. Recorded in the
    /// database, so an interrupted load is rebuilt by the next `migrate`.
    pub(crate) async fn suspend_rollups(&self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        if !self.rollups_suspended(tx).await? {
            sqlx::query(&self.sql("INSERT INTO rollups_suspended (suspended_at) VALUES ($1)"))
                .bind(Utc::now().timestamp_millis())
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Rebuilds suspended rollups from the ledger and resumes maintaining them.
    pub(crate) async fn resume_rollups(&self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        self.take_writer_turn(tx).await?;
        if !self.rollups_suspended(tx).await? {
            return Ok(());
        }
        tracing::info!("rebuilding the report rollups from the ledger");
        for statement in REBUILD_ROLLUPS {
            sqlx::query(statement).execute(&mut **tx).await?;
        }
        sqlx::query("DELETE FROM rollups_suspended").execute(&mut **tx).await?;
        Ok(())
    }

    /// Adds `deltas` to the rollups inside the transaction that wrote the rows.
    pub(crate) async fn write_rollups(
        &self,
        tx: &mut Transaction<'static, Any>,
        deltas: RollupDeltas,
    ) -> Result<(), StoreError> {
        let stock = deltas.stock;
        let keys: Vec<_> = stock.iter().collect();
        for chunk in keys.chunks(chunk_rows(4)) {
            let sql = self.sql(&format!(
                "INSERT INTO stock_levels (location_id, product_id, on_hand, reserved) VALUES {} \
                 ON CONFLICT (location_id, product_id) DO UPDATE SET on_hand = stock_levels.on_hand + excluded.on_hand, \
                 reserved = stock_levels.reserved + excluded.reserved RETURNING location_id, product_id, on_hand",
                placeholders(chunk.len(), 4, 1)
            ));
            let values = chunk.iter().flat_map(|((location, product), (on_hand, reserved, _))| {
                [
                    SqlValue::Text(Some(location.clone())),
                    SqlValue::Text(Some(product.clone())),
                    SqlValue::Int(Some(*on_hand)),
                    SqlValue::Int(Some(*reserved)),
                ]
            });
            for row in bind_all(&sql, values.collect()).fetch_all(&mut **tx).await? {
                let key: (String, String) = (row.try_get("location_id")?, row.try_get("product_id")?);
                let closing: i64 = row.try_get("on_hand")?;
                if let Some(&(delta, _, Some(day))) = stock.get(&key) {
                    self.track_stockout(tx, &key, day, closing - delta, closing).await?;
                }
            }
        }
        let sales: Vec<_> = deltas.sales.into_iter().collect();
        for chunk in sales.chunks(chunk_rows(5)) {
            let sql = self.sql(&format!(
                "INSERT INTO sales_daily (day, location_id, product_id, units, revenue_minor) VALUES {} \
                 ON CONFLICT (day, location_id, product_id) DO UPDATE SET units = sales_daily.units + excluded.units, \
                 revenue_minor = sales_daily.revenue_minor + excluded.revenue_minor",
                placeholders(chunk.len(), 5, 1)
            ));
            let values = chunk.iter().flat_map(|((day, location, product), (units, revenue))| {
                [
                    SqlValue::Int(Some(*day)),
                    SqlValue::Text(Some(location.clone())),
                    SqlValue::Text(Some(product.clone())),
                    SqlValue::Int(Some(*units)),
                    SqlValue::Int(Some(*revenue)),
                ]
            });
            bind_all(&sql, values.collect()).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Keeps `stockouts` as [`REBUILD_ROLLUPS`] would rebuild it after the on-hand of `key` moved
    /// from `opening` to `closing` on `day`: the open stretch ends the day before, and a new one
    /// starts when the shelf ends the day empty. Stock that was and stays positive, the usual case,
    /// costs nothing.
    async fn track_stockout(
        &self,
        tx: &mut Transaction<'static, Any>,
        (location, product): &(String, String),
        day: i64,
        opening: i64,
        closing: i64,
    ) -> Result<(), StoreError> {
        if opening > 0 && closing > 0 {
            return Ok(());
        }
        let key = || vec![SqlValue::Text(Some(location.clone())), SqlValue::Text(Some(product.clone()))];
        let delete = self.sql("DELETE FROM stockouts WHERE location_id = $1 AND product_id = $2 AND from_day >= $3");
        bind_all(&delete, [key(), vec![SqlValue::Int(Some(day))]].concat()).execute(&mut **tx).await?;
        // Parameters in order of appearance: SQLite binds them by position.
        let close = self.sql(
            "UPDATE stockouts SET to_day = $1 WHERE location_id = $2 AND product_id = $3 AND (to_day IS NULL OR to_day >= $4)",
        );
        let before = || vec![SqlValue::Int(Some(day - 1))];
        bind_all(&close, [before(), key(), before()].concat()).execute(&mut **tx).await?;
        if closing <= 0 {
            let open =
                self.sql("INSERT INTO stockouts (location_id, product_id, from_day, to_day) VALUES ($1, $2, $3, NULL)");
            bind_all(&open, [key(), vec![SqlValue::Int(Some(day))]].concat()).execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// `doc.name` of the documents in `table` with these ids (missing ones left out).
    async fn names<'a>(
        &self,
        table: &'static str,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashMap<String, Text>, StoreError> {
        let ids: Vec<&str> = ids.into_iter().collect();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!(
                "SELECT external_id, doc FROM {table} WHERE external_id IN ({})",
                (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
            ));
            let values = chunk.iter().map(|id| SqlValue::Text(Some(id.to_string()))).collect();
            for row in bind_all(&sql, values).fetch_all(self.pool()).await? {
                out.insert(row.try_get("external_id")?, name_of(table, &row)?);
            }
        }
        Ok(out)
    }

    /// Each category's top-level ancestor (itself for a root) and the names of those roots.
    async fn category_roots(&self) -> Result<(HashMap<String, String>, HashMap<String, Text>), StoreError> {
        let rows = sqlx::query("SELECT external_id, parent_id, doc FROM categories").fetch_all(self.pool()).await?;
        let mut parents = HashMap::with_capacity(rows.len());
        let mut names = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("external_id")?;
            parents.insert(id.clone(), row.try_get::<Option<String>, _>("parent_id")?);
            names.insert(id, name_of("categories", row)?);
        }
        let root_of = |id: &String| {
            let mut root = id;
            // Bounded by the number of categories, so a cycle cannot loop forever.
            for _ in 0..parents.len() {
                match parents.get(root) {
                    Some(Some(parent)) if parents.contains_key(parent) => root = parent,
                    _ => break,
                }
            }
            root.clone()
        };
        let roots = parents.keys().map(|id| (id.clone(), root_of(id))).collect();
        Ok((roots, names))
    }

    /// Stock rows with the units sold in the rate window, and whether their
    /// location sold anything in it; one location or all.
    async fn stock_with_sales(&self, location: Option<&str>) -> Result<Vec<StockCover>, StoreError> {
        let Some(days) = self.sales_days().await? else {
            return Ok(Vec::new());
        };
        let window = DateRange::last_days(days.to, SALES_RATE_DAYS);
        let (first, last) = window.day_numbers();
        let mut cond = Conditions::default();
        cond.add("day >= ?", SqlValue::Int(Some(first)));
        cond.add("day <= ?", SqlValue::Int(Some(last)));
        cond.add_opt_text("location_id", &location.map(str::to_string));
        let stock_filter = match location {
            Some(l) => {
                let filter = format!("WHERE s.location_id = ${}", cond.next_param());
                cond.values.push(SqlValue::Text(Some(l.to_string())));
                filter
            }
            None => String::new(),
        };
        let sql = self.sql(&format!(
            "WITH recent AS (SELECT location_id, product_id, SUM(units) AS units FROM sales_daily {} \
             GROUP BY location_id, product_id), selling AS (SELECT DISTINCT location_id FROM recent) \
             SELECT s.location_id, s.product_id, s.on_hand, s.reserved, CAST(COALESCE(r.units, 0) AS BIGINT) AS units, \
             CAST(CASE WHEN l.location_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS sells FROM stock_levels s \
             LEFT JOIN selling l ON l.location_id = s.location_id \
             LEFT JOIN recent r ON r.location_id = s.location_id AND r.product_id = s.product_id {stock_filter}",
            cond.sql()
        ));
        let rows = bind_all(&sql, cond.values).fetch_all(self.pool()).await?;
        let window_days = window.len_days();
        rows.iter()
            .map(|row| {
                let on_hand: i64 = row.try_get("on_hand")?;
                let units: i64 = row.try_get("units")?;
                let sells = row.try_get::<i64, _>("sells")? != 0;
                let avg_daily_units = units as f64 / window_days as f64;
                Ok(StockCover {
                    location_id: row.try_get("location_id")?,
                    product_id: row.try_get("product_id")?,
                    product_name: Text::default(),
                    on_hand,
                    reserved: row.try_get("reserved")?,
                    avg_daily_units,
                    days_of_cover: (units > 0).then(|| on_hand as f64 / avg_daily_units),
                    alert: if sells { stock_alert(on_hand, units, window_days) } else { None },
                })
            })
            .collect()
    }

    async fn with_product_names(&self, mut rows: Vec<StockCover>) -> Result<Vec<StockCover>, StoreError> {
        let mut names = self.names("products", rows.iter().map(|r| r.product_id.as_str())).await?;
        for r in &mut rows {
            r.product_name = names.remove(&r.product_id).unwrap_or_default();
        }
        Ok(rows)
    }

    /// Orders per UTC day in `range` that are not cancelled.
    async fn orders_by_day(
        &self,
        range: DateRange,
        location: Option<&str>,
        product: Option<&str>,
    ) -> Result<HashMap<i64, i64>, StoreError> {
        let (start, end) = range.ms_bounds();
        let mut cond = Conditions::default();
        cond.add("o.placed_at >= ?", SqlValue::Int(Some(start)));
        cond.add("o.placed_at < ?", SqlValue::Int(Some(end)));
        cond.add_opt_text("o.location_id", &location.map(str::to_string));
        let from = match product {
            Some(p) => {
                cond.add("l.product_id = ?", SqlValue::Text(Some(p.to_string())));
                "order_lines l JOIN orders o ON o.external_id = l.order_id"
            }
            None => "orders o",
        };
        let sql = self.sql(&format!(
            "SELECT o.placed_at / {MS_PER_DAY} AS day, CAST(COUNT(DISTINCT o.external_id) AS BIGINT) AS orders \
             FROM {from} {} AND o.status <> 'cancelled' GROUP BY o.placed_at / {MS_PER_DAY}",
            cond.sql()
        ));
        let rows = bind_all(&sql, cond.values).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get("day")?, r.try_get("orders")?))).collect()
    }

    /// Units and revenue per product in `range`, highest revenue first.
    async fn sales_per_product(
        &self,
        range: DateRange,
        location: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let (first, last) = range.day_numbers();
        let mut cond = Conditions::default();
        cond.add("day >= ?", SqlValue::Int(Some(first)));
        cond.add("day <= ?", SqlValue::Int(Some(last)));
        cond.add_opt_text("location_id", &location.map(str::to_string));
        let limit_clause = match limit {
            Some(n) => {
                let clause = format!("LIMIT ${}", cond.next_param());
                cond.values.push(SqlValue::Int(Some(i64::from(n.clamp(1, 1000)))));
                clause
            }
            None => String::new(),
        };
        let sql = self.sql(&format!(
            "SELECT product_id, CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(revenue_minor) AS BIGINT) AS revenue_minor \
             FROM sales_daily {} GROUP BY product_id ORDER BY revenue_minor DESC, product_id {limit_clause}",
            cond.sql()
        ));
        let rows = bind_all(&sql, cond.values).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get("product_id")?, r.try_get("units")?, r.try_get("revenue_minor")?))).collect()
    }
}

/// The alert rule, in whole numbers: cover = on_hand / (units / window_days) days.
fn stock_alert(on_hand: i64, units: i64, window_days: i64) -> Option<StockAlertKind> {
    if units > 0 && on_hand * window_days < LOW_COVER_DAYS * units {
        Some(StockAlertKind::Low)
    } else if on_hand * window_days > OVER_COVER_DAYS * units {
        Some(StockAlertKind::Over)
    } else {
        None
    }
}

/// `doc.name` of a row that has a `doc` column.
fn name_of(table: &'static str, row: &AnyRow) -> Result<Text, StoreError> {
    #[derive(Deserialize)]
    struct Named {
        name: Text,
    }
    let doc: String = row.try_get("doc")?;
    serde_json::from_str::<Named>(&doc)
        .map(|n| n.name)
        .map_err(|e| StoreError::Corrupt { table, message: e.to_string() })
}

#[async_trait]
impl ReportStore for SqlStore {
    async fn sales_days(&self) -> Result<Option<DateRange>, StoreError> {
        // Two subqueries: each is one index probe, while MIN and MAX in one select scan.
        let row = sqlx::query(
            "SELECT (SELECT MIN(day) FROM sales_daily) AS first, (SELECT MAX(day) FROM sales_daily) AS last",
        )
        .fetch_one(self.pool())
        .await?;
        match (row.try_get::<Option<i64>, _>("first")?, row.try_get::<Option<i64>, _>("last")?) {
            (Some(first), Some(last)) => Ok(Some(DateRange { from: day_date(first)?, to: day_date(last)? })),
            _ => Ok(None),
        }
    }

    async fn sales_by_day(
        &self,
        range: DateRange,
        location: Option<&str>,
        product: Option<&str>,
    ) -> Result<Vec<DaySales>, StoreError> {
        let (first, last) = range.day_numbers();
        let mut cond = Conditions::default();
        cond.add("day >= ?", SqlValue::Int(Some(first)));
        cond.add("day <= ?", SqlValue::Int(Some(last)));
        cond.add_opt_text("location_id", &location.map(str::to_string));
        cond.add_opt_text("product_id", &product.map(str::to_string));
        let sql = self.sql(&format!(
            "SELECT day, CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(revenue_minor) AS BIGINT) AS revenue_minor \
             FROM sales_daily {} GROUP BY day",
            cond.sql()
        ));
        let mut sales: HashMap<i64, (i64, i64)> = HashMap::new();
        for r in bind_all(&sql, cond.values).fetch_all(self.pool()).await? {
            sales.insert(r.try_get("day")?, (r.try_get("units")?, r.try_get("revenue_minor")?));
        }
        let orders = self.orders_by_day(range, location, product).await?;
        (first..=last)
            .map(|day| {
                let (units, revenue_minor) = sales.get(&day).copied().unwrap_or_default();
                Ok(DaySales {
                    day: day_date(day)?,
                    units,
                    revenue_minor,
                    orders: orders.get(&day).copied().unwrap_or(0),
                })
            })
            .collect()
    }

    async fn sales_by_category(
        &self,
        range: DateRange,
        location: Option<&str>,
    ) -> Result<Vec<CategorySales>, StoreError> {
        let per_product = self.sales_per_product(range, location, None).await?;
        let mut category_of: HashMap<String, String> = HashMap::new();
        let ids: Vec<&str> = per_product.iter().map(|p| p.0.as_str()).collect();
        for chunk in ids.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!(
                "SELECT external_id, category_id FROM products WHERE external_id IN ({})",
                (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
            ));
            let values = chunk.iter().map(|id| SqlValue::Text(Some(id.to_string()))).collect();
            for row in bind_all(&sql, values).fetch_all(self.pool()).await? {
                let category: Option<String> = row.try_get("category_id")?;
                category_of.insert(row.try_get("external_id")?, category.unwrap_or_default());
            }
        }
        let (roots, names) = self.category_roots().await?;
        let mut totals: HashMap<String, (i64, i64)> = HashMap::new();
        for (product, units, revenue) in per_product {
            let category = category_of.remove(&product).unwrap_or_default();
            let root = roots.get(&category).cloned().unwrap_or(category);
            let total = totals.entry(root).or_default();
            total.0 += units;
            total.1 += revenue;
        }
        let mut out: Vec<CategorySales> = totals
            .into_iter()
            .map(|(category_id, (units, revenue_minor))| CategorySales {
                name: names.get(&category_id).cloned().unwrap_or_default(),
                category_id,
                units,
                revenue_minor,
            })
            .collect();
        out.sort_by(|a, b| b.revenue_minor.cmp(&a.revenue_minor).then_with(|| a.category_id.cmp(&b.category_id)));
        Ok(out)
    }

    async fn top_products(
        &self,
        range: DateRange,
        location: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ProductSales>, StoreError> {
        let top = self.sales_per_product(range, location, Some(limit)).await?;
        let mut names = self.names("products", top.iter().map(|p| p.0.as_str())).await?;
        Ok(top
            .into_iter()
            .map(|(product_id, units, revenue_minor)| ProductSales {
                name: names.remove(&product_id).unwrap_or_default(),
                product_id,
                units,
                revenue_minor,
            })
            .collect())
    }

    async fn sales_by_location(&self, range: DateRange) -> Result<Vec<LocationSales>, StoreError> {
        let (first, last) = range.day_numbers();
        let sql = self.sql(
            "SELECT location_id, CAST(SUM(units) AS BIGINT) AS units, CAST(SUM(revenue_minor) AS BIGINT) AS revenue_minor \
             FROM sales_daily WHERE day >= $1 AND day <= $2 GROUP BY location_id",
        );
        let mut totals: HashMap<String, LocationSales> = HashMap::new();
        for r in sqlx::query(&sql).bind(first).bind(last).fetch_all(self.pool()).await? {
            let location_id: String = r.try_get("location_id")?;
            totals.insert(
                location_id.clone(),
                LocationSales {
                    location_id,
                    name: Text::default(),
                    units: r.try_get("units")?,
                    revenue_minor: r.try_get("revenue_minor")?,
                    orders: 0,
                },
            );
        }
        let (start, end) = range.ms_bounds();
        let sql = self.sql(
            "SELECT location_id, CAST(COUNT(*) AS BIGINT) AS orders FROM orders \
             WHERE placed_at >= $1 AND placed_at < $2 AND status <> 'cancelled' GROUP BY location_id",
        );
        for r in sqlx::query(&sql).bind(start).bind(end).fetch_all(self.pool()).await? {
            let location_id: String = r.try_get("location_id")?;
            let entry = totals.entry(location_id.clone()).or_insert_with(|| LocationSales {
                location_id,
                name: Text::default(),
                units: 0,
                revenue_minor: 0,
                orders: 0,
            });
            entry.orders = r.try_get("orders")?;
        }
        let mut names = self.names("locations", totals.keys().map(String::as_str)).await?;
        let mut out: Vec<LocationSales> = totals
            .into_values()
            .map(|mut l| {
                l.name = names.remove(&l.location_id).unwrap_or_default();
                l
            })
            .collect();
        out.sort_by(|a, b| b.revenue_minor.cmp(&a.revenue_minor).then_with(|| a.location_id.cmp(&b.location_id)));
        Ok(out)
    }

    async fn product_stock(&self, product_ids: &[String]) -> Result<Vec<retail_domain::StockLevel>, StoreError> {
        let mut levels = Vec::new();
        for chunk in product_ids.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!(
                "SELECT location_id, product_id, on_hand, reserved FROM stock_levels WHERE product_id IN ({})",
                param_list(1, chunk.len())
            ));
            let values = chunk.iter().map(|id| SqlValue::Text(Some(id.clone()))).collect();
            for r in bind_all(&sql, values).fetch_all(self.pool()).await? {
                let (on_hand, reserved): (i64, i64) = (r.try_get("on_hand")?, r.try_get("reserved")?);
                levels.push(retail_domain::StockLevel {
                    location_id: r.try_get("location_id")?,
                    product_id: r.try_get("product_id")?,
                    on_hand,
                    reserved,
                    available: on_hand - reserved,
                });
            }
        }
        levels.sort_by(|a, b| (&a.location_id, &a.product_id).cmp(&(&b.location_id, &b.product_id)));
        Ok(levels)
    }

    async fn location_stock(&self, location: &str) -> Result<Vec<StockCover>, StoreError> {
        let mut rows = self.stock_with_sales(Some(location)).await?;
        if rows.is_empty() {
            // Before the first sale there is no rate window: plain stock, no alerts.
            let sql = self.sql("SELECT product_id, on_hand, reserved FROM stock_levels WHERE location_id = $1");
            for r in sqlx::query(&sql).bind(location.to_string()).fetch_all(self.pool()).await? {
                rows.push(StockCover {
                    location_id: location.to_string(),
                    product_id: r.try_get("product_id")?,
                    product_name: Text::default(),
                    on_hand: r.try_get("on_hand")?,
                    reserved: r.try_get("reserved")?,
                    avg_daily_units: 0.0,
                    days_of_cover: None,
                    alert: None,
                });
            }
        }
        rows.sort_by(|a, b| a.product_id.cmp(&b.product_id));
        self.with_product_names(rows).await
    }

    async fn stock_alerts(&self, location: Option<&str>, limit: u32) -> Result<Vec<StockCover>, StoreError> {
        let rows = self.stock_with_sales(location).await?;
        let (mut low, mut over): (Vec<StockCover>, Vec<StockCover>) =
            rows.into_iter().filter(|r| r.alert.is_some()).partition(|r| r.alert == Some(StockAlertKind::Low));
        // Least cover first, the faster seller first among equals (it loses more sales).
        low.sort_by(|a, b| {
            let cover = |r: &StockCover| r.days_of_cover.unwrap_or(0.0);
            cover(a).total_cmp(&cover(b)).then_with(|| b.avg_daily_units.total_cmp(&a.avg_daily_units))
        });
        // Stock that did not sell at all first, then most cover, then most units.
        over.sort_by(|a, b| {
            let cover = |r: &StockCover| r.days_of_cover.unwrap_or(f64::INFINITY);
            cover(b).total_cmp(&cover(a)).then_with(|| b.on_hand.cmp(&a.on_hand))
        });
        let limit = limit.clamp(1, 1000) as usize;
        low.truncate(limit);
        over.truncate(limit);
        low.extend(over);
        self.with_product_names(low).await
    }

    async fn recent_orders(&self, location: Option<&str>, limit: u32) -> Result<Vec<OrderSummary>, StoreError> {
        let mut cond = Conditions::default();
        cond.add_opt_text("location_id", &location.map(str::to_string));
        let sql = self.sql(&format!(
            "SELECT doc FROM orders {} ORDER BY placed_at DESC LIMIT ${}",
            cond.sql(),
            cond.next_param()
        ));
        let mut values = cond.values;
        values.push(SqlValue::Int(Some(i64::from(limit.clamp(1, 1000)))));
        let rows = bind_all(&sql, values).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let doc: String = r.try_get("doc")?;
                let order: Order = serde_json::from_str(&doc)
                    .map_err(|e| StoreError::Corrupt { table: "orders", message: e.to_string() })?;
                Ok(OrderSummary {
                    total_minor: order.total_minor(),
                    lines: order.lines.len(),
                    units: order.lines.iter().map(|l| l.quantity).sum(),
                    order_id: order.external_id,
                    placed_at: order.placed_at,
                    location_id: order.location_id,
                    customer_id: order.customer_id,
                    channel: order.channel,
                    status: order.status,
                    currency: order.currency,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_count_from_1970() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        assert_eq!(day_number(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()), 0);
        assert_eq!(day_date(day_number(d)).unwrap(), d);
        assert_eq!(day_number(d), d.and_hms_opt(12, 0, 0).unwrap().and_utc().timestamp_millis() / MS_PER_DAY);
    }

    #[test]
    fn last_days_end_on_the_given_day() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        let r = DateRange::last_days(d, 30);
        assert_eq!((r.from, r.to, r.len_days()), (NaiveDate::from_ymd_opt(2026, 10, 2).unwrap(), d, 30));
        assert_eq!(DateRange::last_days(d, 0).len_days(), 1, "at least one day");
    }

    #[test]
    fn alerts_follow_days_of_cover() {
        // 28 units in 28 days: one a day.
        assert_eq!(stock_alert(2, 28, 28), Some(StockAlertKind::Low));
        assert_eq!(stock_alert(3, 28, 28), None, "exactly three days is not low");
        assert_eq!(stock_alert(0, 28, 28), Some(StockAlertKind::Low));
        assert_eq!(stock_alert(60, 28, 28), None);
        assert_eq!(stock_alert(61, 28, 28), Some(StockAlertKind::Over));
        assert_eq!(stock_alert(5, 0, 28), Some(StockAlertKind::Over), "stock that never sells");
        assert_eq!(stock_alert(0, 0, 28), None);
    }
}
