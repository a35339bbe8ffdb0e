//! Recommendation storage: named strategies (JSON owned by the service layer)
//! kept with optimistic concurrency, the record of trained model versions, a
//! shopper's latest interactions for real-time personalisation, and the events
//! attributed to each strategy for its live metrics.

use async_trait::async_trait;
use retail_domain::EventKind;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{SqlValue, bind_all, event_kind, placeholders};
use crate::{EventUnit, Interaction, SqlStore, StoreError};

/// A named recommendation strategy as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyRecord {
    pub name: String,
    /// Sources, weights and rules as JSON.
    pub config: String,
    pub updated_by: String,
    pub updated_at_ms: i64,
    /// Starts at 1; every accepted update adds one.
    pub version: i64,
}

/// A trained set of recommendation models, recorded when it was swapped in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelVersionRecord {
    pub version: String,
    pub trained_at_ms: i64,
    /// What it was trained on and its offline evaluation, as JSON.
    pub summary: String,
}

/// Events of one kind that followed one strategy's lists on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyDay {
    pub strategy: String,
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub kind: String,
    pub events: u64,
    pub value_minor: i64,
}

/// One product shown on one recommendation list, and what the shopper did with it from that list:
/// a logged impression joined with the clicks and purchases attributed to the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpressionOutcome {
    pub request_id: String,
    pub strategy: String,
    pub customer_id: Option<String>,
    pub session_id: Option<String>,
    pub product_id: String,
    pub shown_at_ms: i64,
    pub clicked: bool,
    pub purchased: bool,
}

/// Storage for recommendations; part of [`crate::Store`].
#[async_trait]
pub trait RecommendationStore: Send + Sync {
    /// Stores a strategy: version 1 creates it (false when the name is taken), a
    /// later version replaces the stored one when that is still `version - 1`
    /// (false when it is unknown or was changed meanwhile).
    async fn put_strategy(&self, record: &StrategyRecord) -> Result<bool, StoreError>;

    async fn get_strategy(&self, name: &str) -> Result<Option<StrategyRecord>, StoreError>;

    /// Every strategy, by name.
    async fn list_strategies(&self) -> Result<Vec<StrategyRecord>, StoreError>;

    async fn add_model_version(&self, record: &ModelVersionRecord) -> Result<(), StoreError>;

    /// The latest `limit` model versions, newest first.
    async fn list_model_versions(&self, limit: u32) -> Result<Vec<ModelVersionRecord>, StoreError>;

    /// One customer's or session's latest events of the given kinds that name a
    /// product, newest first.
    async fn recent_interactions(
        &self,
        unit: EventUnit,
        id: &str,
        kinds: &[EventKind],
        limit: u32,
    ) -> Result<Vec<Interaction>, StoreError>;

    /// Events carrying a strategy since `since_ms`, counted per strategy, UTC day and kind.
    async fn strategy_metrics(&self, since_ms: i64) -> Result<Vec<StrategyDay>, StoreError>;

    /// The latest `limit` impressions since `since_ms` (newest first) with whether the product was
    /// clicked or bought under the same request: what the click and conversion models learn from.
    async fn impression_outcomes(&self, since_ms: i64, limit: u32) -> Result<Vec<ImpressionOutcome>, StoreError>;
}

const DAY_MS: i64 = 86_400_000;

fn strategy_from_row(row: &AnyRow) -> Result<StrategyRecord, StoreError> {
    Ok(StrategyRecord {
        name: row.try_get("name")?,
        config: row.try_get("config")?,
        updated_by: row.try_get("updated_by")?,
        updated_at_ms: row.try_get("updated_at")?,
        version: row.try_get("version")?,
    })
}

#[async_trait]
impl RecommendationStore for SqlStore {
    async fn put_strategy(&self, record: &StrategyRecord) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let mut values = vec![
            SqlValue::Text(Some(record.config.clone())),
            SqlValue::Text(Some(record.updated_by.clone())),
            SqlValue::Int(Some(record.updated_at_ms)),
            SqlValue::Int(Some(record.version)),
            SqlValue::Text(Some(record.name.clone())),
        ];
        let sql = if record.version == 1 {
            values.rotate_right(1);
            self.sql(&format!(
                "INSERT INTO rec_strategies (name, config, updated_by, updated_at, version) VALUES {} \
                 ON CONFLICT DO NOTHING",
                placeholders(1, 5, 1)
            ))
        } else {
            // Placeholders in order of appearance: SQLite binds them by position.
            values.push(SqlValue::Int(Some(record.version - 1)));
            self.sql(
                "UPDATE rec_strategies SET config = $1, updated_by = $2, updated_at = $3, version = $4 \
                 WHERE name = $5 AND version = $6",
            )
        };
        let n = bind_all(&sql, values).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn get_strategy(&self, name: &str) -> Result<Option<StrategyRecord>, StoreError> {
        let row = sqlx::query(
            &self.sql("SELECT name, config, updated_by, updated_at, version FROM rec_strategies WHERE name = $1"),
        )
        .bind(name.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(strategy_from_row).transpose()
    }

    async fn list_strategies(&self) -> Result<Vec<StrategyRecord>, StoreError> {
        let rows = sqlx::query(
            &self.sql("SELECT name, config, updated_by, updated_at, version FROM rec_strategies ORDER BY name"),
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(strategy_from_row).collect()
    }

    async fn add_model_version(&self, record: &ModelVersionRecord) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sql = self.sql("INSERT INTO rec_models (version, trained_at, summary) VALUES ($1, $2, $3)");
        let values = vec![
            SqlValue::Text(Some(record.version.clone())),
            SqlValue::Int(Some(record.trained_at_ms)),
            SqlValue::Text(Some(record.summary.clone())),
        ];
        bind_all(&sql, values).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_model_versions(&self, limit: u32) -> Result<Vec<ModelVersionRecord>, StoreError> {
        let rows = sqlx::query(
            &self.sql("SELECT version, trained_at, summary FROM rec_models ORDER BY trained_at DESC, version LIMIT $1"),
        )
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ModelVersionRecord {
                    version: row.try_get("version")?,
                    trained_at_ms: row.try_get("trained_at")?,
                    summary: row.try_get("summary")?,
                })
            })
            .collect()
    }

    async fn recent_interactions(
        &self,
        unit: EventUnit,
        id: &str,
        kinds: &[EventKind],
        limit: u32,
    ) -> Result<Vec<Interaction>, StoreError> {
        if kinds.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let column = match unit {
            EventUnit::Customer => "customer_id",
            EventUnit::Session => "session_id",
        };
        let kind_list = (0..kinds.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
        let sql = self.sql(&format!(
            "SELECT product_id, kind, location_id, occurred_at FROM events WHERE {column} = $1 AND product_id IS NOT NULL \
             AND kind IN ({kind_list}) ORDER BY occurred_at DESC, seq DESC LIMIT ${}",
            kinds.len() + 2
        ));
        let mut q = sqlx::query(&sql).bind(id.to_string());
        for k in kinds {
            q = q.bind(k.as_str());
        }
        let rows = q.bind(i64::from(limit)).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(Interaction {
                    customer_id: id.to_string(),
                    product_id: row.try_get("product_id")?,
                    kind: event_kind(row)?,
                    location_id: row.try_get("location_id")?,
                    occurred_at_ms: row.try_get("occurred_at")?,
                })
            })
            .collect()
    }

    async fn strategy_metrics(&self, since_ms: i64) -> Result<Vec<StrategyDay>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT strategy, CAST(occurred_at / {DAY_MS} AS BIGINT) AS day, kind, CAST(COUNT(*) AS BIGINT) AS events, \
             CAST(COALESCE(SUM(value_minor), 0) AS BIGINT) AS value_minor \
             FROM events WHERE strategy IS NOT NULL AND occurred_at >= $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ));
        let rows = sqlx::query(&sql).bind(since_ms).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(StrategyDay {
                    strategy: row.try_get("strategy")?,
                    day: row.try_get("day")?,
                    kind: row.try_get("kind")?,
                    events: row.try_get::<i64, _>("events")?.max(0) as u64,
                    value_minor: row.try_get("value_minor")?,
                })
            })
            .collect()
    }

    async fn impression_outcomes(&self, since_ms: i64, limit: u32) -> Result<Vec<ImpressionOutcome>, StoreError> {
        // One group per (request, product); a group without an impression (a click on a list whose
        // impression was never logged) teaches nothing about what was shown and is left out.
        let sql = self.sql(
            "SELECT request_id, product_id, MIN(strategy) AS strategy, MIN(customer_id) AS customer_id, \
             MIN(session_id) AS session_id, \
             MIN(CASE WHEN kind = 'impression' THEN occurred_at END) AS shown_at, \
             CAST(MAX(CASE WHEN kind = 'click' THEN 1 ELSE 0 END) AS BIGINT) AS clicked, \
             CAST(MAX(CASE WHEN kind = 'purchase' THEN 1 ELSE 0 END) AS BIGINT) AS purchased \
             FROM events WHERE strategy IS NOT NULL AND request_id IS NOT NULL AND product_id IS NOT NULL \
             AND occurred_at >= $1 AND kind IN ('impression', 'click', 'purchase') \
             GROUP BY request_id, product_id HAVING MIN(CASE WHEN kind = 'impression' THEN occurred_at END) IS NOT NULL \
             ORDER BY shown_at DESC, request_id, product_id LIMIT $2",
        );
        let rows = sqlx::query(&sql).bind(since_ms).bind(i64::from(limit)).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(ImpressionOutcome {
                    request_id: row.try_get("request_id")?,
                    strategy: row.try_get("strategy")?,
                    customer_id: row.try_get("customer_id")?,
                    session_id: row.try_get("session_id")?,
                    product_id: row.try_get("product_id")?,
                    shown_at_ms: row.try_get("shown_at")?,
                    clicked: row.try_get::<i64, _>("clicked")? == 1,
                    purchased: row.try_get::<i64, _>("purchased")? == 1,
                })
            })
            .collect()
    }
}
