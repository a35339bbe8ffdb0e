//! Experiments and their exposure log. The definition is JSON owned by the
//! service layer; this layer keeps it with optimistic concurrency, keeps one
//! exposure row per unit and variant, and reads the behaviour that followed.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{SqlValue, bind_all, chunk_rows, placeholders};
use crate::{SqlStore, StoreError};

/// An experiment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentRecord {
    pub key: String,
    pub name: String,
    pub status: String,
    /// The definition (variants, layer, targeting, metrics) as JSON.
    pub definition: String,
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub stopped_at_ms: Option<i64>,
    /// Starts at 1; every accepted update adds one.
    pub version: i64,
}

/// One serving of a variant to a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposureWrite {
    pub experiment: String,
    pub unit: String,
    pub variant: u32,
    pub at_ms: i64,
}

/// A unit's exposures to one variant of an experiment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposureRow {
    pub unit: String,
    pub variant: u32,
    pub first_at_ms: i64,
    pub last_at_ms: i64,
    pub exposures: u64,
}

/// Which column of the events identifies the experiment's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventUnit {
    Customer,
    Session,
}

/// The period of a unit's behaviour to read, relative to its first exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BehaviourWindow {
    /// From the first exposure until `until_ms` (exclusive), bucketed by UTC day.
    AfterExposure { until_ms: i64 },
    /// The `days` before the first exposure (the CUPED pre-period), one bucket.
    BeforeExposure { days: u32 },
}

/// Totals of one kind of event by one exposed unit in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitBehaviour {
    pub unit: String,
    pub kind: String,
    /// Days since the Unix epoch (UTC) for [`BehaviourWindow::AfterExposure`]; 0 for the pre-period.
    pub day: i64,
    pub events: u64,
    pub value_minor: i64,
    pub quantity: i64,
}

/// Storage for experiments; part of [`crate::Store`].
#[async_trait]
pub trait ExperimentStore: Send + Sync {
    /// Stores a new experiment (its `version` is stored as given); false when the key is taken.
    async fn create_experiment(&self, record: &ExperimentRecord) -> Result<bool, StoreError>;

    /// Replaces an experiment when its stored version is still `record.version - 1`;
    /// false when it is unknown or was changed meanwhile.
    async fn update_experiment(&self, record: &ExperimentRecord) -> Result<bool, StoreError>;

    async fn get_experiment(&self, key: &str) -> Result<Option<ExperimentRecord>, StoreError>;

    /// Every experiment, most recently created first.
    async fn list_experiments(&self) -> Result<Vec<ExperimentRecord>, StoreError>;

    /// Logs exposures in one transaction: a unit's first serving of a variant
    /// adds a row, later ones move `last_at` and the count.
    async fn record_exposures(&self, exposures: &[ExposureWrite]) -> Result<(), StoreError>;

    /// The exposure log of an experiment, in unit order.
    async fn list_exposures(&self, experiment: &str) -> Result<Vec<ExposureRow>, StoreError>;

    /// What exposed units did in `window`, per unit, event kind and bucket.
    /// A unit exposed to several variants is read from its earliest exposure.
    async fn exposed_behaviour(
        &self,
        experiment: &str,
        unit: EventUnit,
        window: BehaviourWindow,
    ) -> Result<Vec<UnitBehaviour>, StoreError>;
}

const EXPERIMENT_COLUMNS: &str =
    "key, name, status, definition, created_by, created_at, updated_at, started_at, stopped_at, version";
const DAY_MS: i64 = 86_400_000;

fn experiment_from_row(row: &AnyRow) -> Result<ExperimentRecord, StoreError> {
    Ok(ExperimentRecord {
        key: row.try_get("key")?,
        name: row.try_get("name")?,
        status: row.try_get("status")?,
        definition: row.try_get("definition")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        started_at_ms: row.try_get("started_at")?,
        stopped_at_ms: row.try_get("stopped_at")?,
        version: row.try_get("version")?,
    })
}

fn experiment_values(r: &ExperimentRecord) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(Some(r.key.clone())),
        SqlValue::Text(Some(r.name.clone())),
        SqlValue::Text(Some(r.status.clone())),
        SqlValue::Text(Some(r.definition.clone())),
        SqlValue::Text(Some(r.created_by.clone())),
        SqlValue::Int(Some(r.created_at_ms)),
        SqlValue::Int(Some(r.updated_at_ms)),
        SqlValue::Int(r.started_at_ms),
        SqlValue::Int(r.stopped_at_ms),
        SqlValue::Int(Some(r.version)),
    ]
}

/// Exposures of one (experiment, unit, variant) within a batch.
struct MergedExposure<'a> {
    exposure: &'a ExposureWrite,
    first_at_ms: i64,
    last_at_ms: i64,
    count: i64,
}

/// Merges repeated (experiment, unit, variant) keys: one upsert statement may
/// touch a row only once on PostgreSQL.
fn merge_exposures(exposures: &[ExposureWrite]) -> Vec<MergedExposure<'_>> {
    let mut merged: BTreeMap<(&str, &str, u32), MergedExposure<'_>> = BTreeMap::new();
    for e in exposures {
        let m = merged.entry((&e.experiment, &e.unit, e.variant)).or_insert(MergedExposure {
            exposure: e,
            first_at_ms: e.at_ms,
            last_at_ms: e.at_ms,
            count: 0,
        });
        m.first_at_ms = m.first_at_ms.min(e.at_ms);
        m.last_at_ms = m.last_at_ms.max(e.at_ms);
        m.count += 1;
    }
    merged.into_values().collect()
}

#[async_trait]
impl ExperimentStore for SqlStore {
    async fn create_experiment(&self, record: &ExperimentRecord) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sql = self.sql(&format!(
            "INSERT INTO experiments ({EXPERIMENT_COLUMNS}) VALUES {} ON CONFLICT DO NOTHING",
            placeholders(1, 10, 1)
        ));
        let n = bind_all(&sql, experiment_values(record)).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn update_experiment(&self, record: &ExperimentRecord) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        // Placeholders in order of appearance: SQLite binds them by position.
        let sql = self.sql(
            "UPDATE experiments SET name = $1, status = $2, definition = $3, created_by = $4, created_at = $5, \
             updated_at = $6, started_at = $7, stopped_at = $8, version = $9 WHERE key = $10 AND version = $11",
        );
        let mut values = experiment_values(record);
        let key = values.remove(0);
        values.extend([key, SqlValue::Int(Some(record.version - 1))]);
        let n = bind_all(&sql, values).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn get_experiment(&self, key: &str) -> Result<Option<ExperimentRecord>, StoreError> {
        let row = sqlx::query(&self.sql(&format!("SELECT {EXPERIMENT_COLUMNS} FROM experiments WHERE key = $1")))
            .bind(key.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(experiment_from_row).transpose()
    }

    async fn list_experiments(&self) -> Result<Vec<ExperimentRecord>, StoreError> {
        let rows = sqlx::query(
            &self.sql(&format!("SELECT {EXPERIMENT_COLUMNS} FROM experiments ORDER BY created_at DESC, key")),
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(experiment_from_row).collect()
    }

    async fn record_exposures(&self, exposures: &[ExposureWrite]) -> Result<(), StoreError> {
        const COLS: usize = 6;
        let merged = merge_exposures(exposures);
        let (_guard, mut tx) = self.begin_write().await?;
        for chunk in merged.chunks(chunk_rows(COLS)) {
            let sql = self.sql(&format!(
                "INSERT INTO exposures (experiment, unit, variant, first_at, last_at, exposures) VALUES {} \
                 ON CONFLICT (experiment, unit, variant) DO UPDATE SET \
                 first_at = CASE WHEN excluded.first_at < exposures.first_at THEN excluded.first_at ELSE exposures.first_at END, \
                 last_at = CASE WHEN excluded.last_at > exposures.last_at THEN excluded.last_at ELSE exposures.last_at END, \
                 exposures = exposures.exposures + excluded.exposures",
                placeholders(chunk.len(), COLS, 1)
            ));
            let values = chunk.iter().flat_map(|m| {
                [
                    SqlValue::Text(Some(m.exposure.experiment.clone())),
                    SqlValue::Text(Some(m.exposure.unit.clone())),
                    SqlValue::Int(Some(i64::from(m.exposure.variant))),
                    SqlValue::Int(Some(m.first_at_ms)),
                    SqlValue::Int(Some(m.last_at_ms)),
                    SqlValue::Int(Some(m.count)),
                ]
            });
            bind_all(&sql, values.collect()).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_exposures(&self, experiment: &str) -> Result<Vec<ExposureRow>, StoreError> {
        let rows = sqlx::query(&self.sql(
            "SELECT unit, variant, first_at, last_at, exposures FROM exposures WHERE experiment = $1 ORDER BY unit, variant",
        ))
        .bind(experiment.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ExposureRow {
                    unit: row.try_get("unit")?,
                    variant: u32::try_from(row.try_get::<i64, _>("variant")?).unwrap_or(u32::MAX),
                    first_at_ms: row.try_get("first_at")?,
                    last_at_ms: row.try_get("last_at")?,
                    exposures: row.try_get::<i64, _>("exposures")?.max(0) as u64,
                })
            })
            .collect()
    }

    async fn exposed_behaviour(
        &self,
        experiment: &str,
        unit: EventUnit,
        window: BehaviourWindow,
    ) -> Result<Vec<UnitBehaviour>, StoreError> {
        let column = match unit {
            EventUnit::Customer => "customer_id",
            EventUnit::Session => "session_id",
        };
        let (range, bucket, bound) = match window {
            BehaviourWindow::AfterExposure { until_ms } => {
                ("e.occurred_at >= x.first_at AND e.occurred_at < $2", format!("e.occurred_at / {DAY_MS}"), until_ms)
            }
            BehaviourWindow::BeforeExposure { days } => (
                "e.occurred_at < x.first_at AND e.occurred_at >= x.first_at - $2",
                "0".to_string(),
                i64::from(days) * DAY_MS,
            ),
        };
        let sql = self.sql(&format!(
            "SELECT x.unit AS unit, e.kind AS kind, CAST({bucket} AS BIGINT) AS day, CAST(COUNT(*) AS BIGINT) AS events, \
             CAST(COALESCE(SUM(e.value_minor), 0) AS BIGINT) AS value_minor, \
             CAST(COALESCE(SUM(COALESCE(e.quantity, 1)), 0) AS BIGINT) AS quantity \
             FROM (SELECT unit, MIN(first_at) AS first_at FROM exposures WHERE experiment = $1 GROUP BY unit) x \
             JOIN events e ON e.{column} = x.unit AND {range} \
             GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ));
        let rows = sqlx::query(&sql).bind(experiment.to_string()).bind(bound).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|row| {
                Ok(UnitBehaviour {
                    unit: row.try_get("unit")?,
                    kind: row.try_get("kind")?,
                    day: row.try_get("day")?,
                    events: row.try_get::<i64, _>("events")?.max(0) as u64,
                    value_minor: row.try_get("value_minor")?,
                    quantity: row.try_get("quantity")?,
                })
            })
            .collect()
    }
}
