//! Marketing storage: segments and their members, campaigns with the latest plan's audience,
//! the outbox of personalised messages (leased to one sender at a time, so a message is handed
//! to its channel once unless a sender died holding it), opt-outs, the purchase facts that
//! segments and effect analysis read, and the uplift models trained on past campaigns.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{SqlValue, bind_all, chunk_rows, clamp_limit, int, param_list, text};
use crate::{Backend, SqlStore, Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRecord {
    pub segment_id: String,
    pub name: String,
    /// What decides membership, as JSON owned by the service layer.
    pub definition: String,
    /// How often the scheduler refreshes it; 0 for by hand only.
    pub refresh_hours: i64,
    pub size: i64,
    /// The members' spend over the last year.
    pub value_minor: i64,
    pub refreshed_at_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentMember {
    pub customer_id: String,
    /// What put them there when the definition has parts, e.g. an RFM segment or a cluster.
    pub label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentPoint {
    pub at_ms: i64,
    pub size: i64,
    pub value_minor: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CampaignRecord {
    pub campaign_id: String,
    pub name: String,
    /// `draft`, `planned`, `sending`, `sent` or `cancelled`.
    pub status: String,
    pub segment_id: String,
    pub priority: i64,
    pub starts_at_ms: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub planned_at_ms: Option<i64>,
    pub sent_at_ms: Option<i64>,
    /// Bumped by every save; a save naming an older version is refused.
    pub version: i64,
    /// The campaign as the marketer set it, JSON owned by the service layer.
    pub spec: String,
    /// The latest plan's summary, JSON owned by the service layer.
    pub plan: Option<String>,
}

/// One customer of a campaign's segment and what the plan decided for them.
#[derive(Debug, Clone, PartialEq)]
pub struct AudienceRecord {
    pub campaign_id: String,
    pub customer_id: String,
    /// `treatment` or `holdout`, for the customers the campaign chose; `none` for the rest.
    pub arm: String,
    /// `send`, `held_out`, or why not: `not_selected`, `no_consent`, `opted_out`, `capped`, …
    pub decision: String,
    pub channel: Option<String>,
    pub send_at_ms: Option<i64>,
    pub expected_value_minor: i64,
    /// Predicted uplift, products and offer, JSON owned by the service layer.
    pub doc: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    /// `{campaign}:{customer}`: the key that makes a retried send recognisable downstream.
    pub message_id: String,
    pub campaign_id: String,
    pub customer_id: String,
    pub channel: String,
    pub address: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    /// `queued`, `sending`, `sent`, `failed` or `suppressed`.
    pub status: String,
    pub attempts: i64,
    pub send_after_ms: i64,
    /// For `queued`: when it is due; for `sending`: when the lease runs out.
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    /// The random token of the message's unsubscribe link.
    pub unsubscribe_token: String,
    pub created_at_ms: i64,
    pub sent_at_ms: Option<i64>,
}

/// What became of a leased message.
#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    Sent {
        at_ms: i64,
    },
    /// Failed for now; tried again from `next_at_ms`.
    Retry {
        next_at_ms: i64,
        error: String,
    },
    /// Failed for good (a permanent refusal, or out of attempts).
    Failed {
        error: String,
    },
    /// Not sent: the customer opted out or withdrew consent after it was planned.
    Suppressed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOutRecord {
    pub customer_id: String,
    /// A channel, or `all`.
    pub channel: String,
    pub at_ms: i64,
    /// `link` (the unsubscribe link), `api`, `console`, …
    pub source: String,
}

/// A customer's orders over a year, the facts segments and targeting start from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerActivity {
    pub customer_id: String,
    pub last_order_ms: i64,
    pub orders_90d: i64,
    pub orders_365d: i64,
    pub spend_90d_minor: i64,
    pub spend_365d_minor: i64,
    pub online_orders_365d: i64,
    /// Orders with a discount on some line.
    pub discounted_orders_365d: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryPurchase {
    pub customer_id: String,
    pub category_id: String,
    pub last_ms: i64,
}

/// An audience member's orders in a campaign's measurement window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignOutcome {
    pub customer_id: String,
    pub arm: String,
    pub decision: String,
    pub orders: i64,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpliftModelRecord {
    pub model_id: String,
    pub kind: String,
    pub trained_at_ms: i64,
    /// The campaigns it learnt from.
    pub source: String,
    pub rows_used: i64,
    /// The fitted model and its validation figures, JSON owned by the service layer.
    pub doc: String,
}

/// Storage for marketing; part of [`crate::Store`].
#[async_trait]
pub trait MarketingStore: Send + Sync {
    /// Inserts or replaces a segment's definition; size and refresh time are kept when it exists.
    async fn save_segment(&self, segment: &SegmentRecord) -> Result<(), StoreError>;

    async fn get_segment(&self, segment_id: &str) -> Result<Option<SegmentRecord>, StoreError>;

    async fn list_segments(&self) -> Result<Vec<SegmentRecord>, StoreError>;

    /// Deletes a segment with its members and history; false when there was none.
    async fn delete_segment(&self, segment_id: &str) -> Result<bool, StoreError>;

    /// Replaces a segment's members, records its size and value in the history, in one
    /// transaction. False when the segment does not exist.
    async fn refresh_segment(
        &self,
        segment_id: &str,
        members: &[SegmentMember],
        value_minor: i64,
        at_ms: i64,
    ) -> Result<bool, StoreError>;

    async fn segment_members(&self, segment_id: &str) -> Result<Vec<SegmentMember>, StoreError>;

    /// The segment's sizes, oldest first (at most `limit`, the latest ones).
    async fn segment_history(&self, segment_id: &str, limit: u32) -> Result<Vec<SegmentPoint>, StoreError>;

    /// Writes a campaign: new when `expected_version` is `None`, else only over that version.
    /// False (nothing written) when another writer got there first or the id is taken.
    async fn save_campaign(&self, campaign: &CampaignRecord, expected_version: Option<i64>)
    -> Result<bool, StoreError>;

    async fn get_campaign(&self, campaign_id: &str) -> Result<Option<CampaignRecord>, StoreError>;

    /// Campaigns, latest start first.
    async fn list_campaigns(&self, limit: u32) -> Result<Vec<CampaignRecord>, StoreError>;

    /// Saves a campaign over `expected_version` with its plan's audience, which replaces the
    /// previous plan's, in one transaction. False when the version moved.
    async fn save_plan(
        &self,
        campaign: &CampaignRecord,
        expected_version: i64,
        audience: &[AudienceRecord],
    ) -> Result<bool, StoreError>;

    /// Saves a campaign over `expected_version` and queues its messages, in one transaction.
    /// False (nothing queued) when the version moved.
    async fn queue_messages(
        &self,
        campaign: &CampaignRecord,
        expected_version: i64,
        messages: &[OutgoingMessage],
    ) -> Result<bool, StoreError>;

    async fn campaign_audience(&self, campaign_id: &str) -> Result<Vec<AudienceRecord>, StoreError>;

    /// Leases up to `limit` due messages until `lease_until_ms`, counting an attempt each.
    /// A message whose lease ran out (its sender died) is due again.
    async fn claim_messages(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutgoingMessage>, StoreError>;

    /// Records what became of leased messages; a message no longer `sending` is left alone.
    async fn finish_messages(&self, outcomes: &[(String, DeliveryOutcome)]) -> Result<(), StoreError>;

    /// A campaign's messages by status.
    async fn message_counts(&self, campaign_id: &str) -> Result<Vec<(String, i64)>, StoreError>;

    /// A campaign's messages, in id order after `after_id` (at most `limit`).
    async fn list_messages(
        &self,
        campaign_id: &str,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<OutgoingMessage>, StoreError>;

    async fn message_by_token(&self, token: &str) -> Result<Option<OutgoingMessage>, StoreError>;

    /// `(customer, planned send time)` of every message not failed or suppressed that is planned from
    /// `since_ms`: what frequency caps count.
    async fn sends_since(&self, since_ms: i64) -> Result<Vec<(String, i64)>, StoreError>;

    /// Records an opt-out (idempotent: the first one's time is kept).
    async fn opt_out(&self, opt_out: &OptOutRecord) -> Result<(), StoreError>;

    /// Every opt-out, or those of some customers.
    async fn opt_outs(&self, customer_ids: Option<&[String]>) -> Result<Vec<OptOutRecord>, StoreError>;

    /// Each customer's orders placed in `[from_ms, to_ms)` (cancelled and returned orders left
    /// out), with the ones from `recent_from_ms` counted apart.
    async fn customer_activity(
        &self,
        from_ms: i64,
        recent_from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CustomerActivity>, StoreError>;

    /// When each customer last bought from each category in `[from_ms, to_ms)`.
    async fn category_purchases(&self, from_ms: i64, to_ms: i64) -> Result<Vec<CategoryPurchase>, StoreError>;

    /// Each audience member's orders placed in `[from_ms, to_ms)`.
    async fn campaign_outcomes(
        &self,
        campaign_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CampaignOutcome>, StoreError>;

    async fn save_uplift_model(&self, model: &UpliftModelRecord) -> Result<(), StoreError>;

    async fn latest_uplift_model(&self) -> Result<Option<UpliftModelRecord>, StoreError>;
}

const SEGMENT_COLUMNS: &str = "segment_id, name, definition, refresh_hours, size, value_minor, refreshed_at, \
     created_at, updated_at, created_by";
const CAMPAIGN_COLUMNS: &str = "campaign_id, name, status, segment_id, priority, starts_at, created_at, updated_at, \
     planned_at, sent_at, version, spec, plan";
const AUDIENCE_COLUMNS: &str = "campaign_id, customer_id, arm, decision, channel, send_at, expected_value_minor, doc";
const MESSAGE_COLUMNS: &str = "message_id, campaign_id, customer_id, channel, address, language, subject, body, \
     status, attempts, send_after, next_attempt_at, last_error, unsubscribe_token, created_at, sent_at";
/// Orders that count as purchases.
const KEPT_ORDERS: &str = "o.status NOT IN ('cancelled', 'returned')";
/// An order line's amount.
const LINE_AMOUNT: &str = "l.quantity * l.unit_price_minor - l.discount_minor";

fn segment_from_row(row: &AnyRow) -> Result<SegmentRecord, StoreError> {
    Ok(SegmentRecord {
        segment_id: row.try_get("segment_id")?,
        name: row.try_get("name")?,
        definition: row.try_get("definition")?,
        refresh_hours: row.try_get("refresh_hours")?,
        size: row.try_get("size")?,
        value_minor: row.try_get("value_minor")?,
        refreshed_at_ms: row.try_get("refreshed_at")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        created_by: row.try_get("created_by")?,
    })
}

fn campaign_values(c: &CampaignRecord) -> Vec<SqlValue> {
    vec![
        text(&c.campaign_id),
        text(&c.name),
        text(&c.status),
        text(&c.segment_id),
        int(c.priority),
        int(c.starts_at_ms),
        int(c.created_at_ms),
        int(c.updated_at_ms),
        SqlValue::Int(c.planned_at_ms),
        SqlValue::Int(c.sent_at_ms),
        int(c.version),
        text(&c.spec),
        SqlValue::Text(c.plan.clone()),
    ]
}

fn campaign_from_row(row: &AnyRow) -> Result<CampaignRecord, StoreError> {
    Ok(CampaignRecord {
        campaign_id: row.try_get("campaign_id")?,
        name: row.try_get("name")?,
        status: row.try_get("status")?,
        segment_id: row.try_get("segment_id")?,
        priority: row.try_get("priority")?,
        starts_at_ms: row.try_get("starts_at")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        planned_at_ms: row.try_get("planned_at")?,
        sent_at_ms: row.try_get("sent_at")?,
        version: row.try_get("version")?,
        spec: row.try_get("spec")?,
        plan: row.try_get("plan")?,
    })
}

fn audience_values(a: &AudienceRecord) -> Vec<SqlValue> {
    vec![
        text(&a.campaign_id),
        text(&a.customer_id),
        text(&a.arm),
        text(&a.decision),
        SqlValue::Text(a.channel.clone()),
        SqlValue::Int(a.send_at_ms),
        int(a.expected_value_minor),
        text(&a.doc),
    ]
}

fn audience_from_row(row: &AnyRow) -> Result<AudienceRecord, StoreError> {
    Ok(AudienceRecord {
        campaign_id: row.try_get("campaign_id")?,
        customer_id: row.try_get("customer_id")?,
        arm: row.try_get("arm")?,
        decision: row.try_get("decision")?,
        channel: row.try_get("channel")?,
        send_at_ms: row.try_get("send_at")?,
        expected_value_minor: row.try_get("expected_value_minor")?,
        doc: row.try_get("doc")?,
    })
}

fn message_values(m: &OutgoingMessage) -> Vec<SqlValue> {
    vec![
        text(&m.message_id),
        text(&m.campaign_id),
        text(&m.customer_id),
        text(&m.channel),
        text(&m.address),
        text(&m.language),
        text(&m.subject),
        text(&m.body),
        text(&m.status),
        int(m.attempts),
        int(m.send_after_ms),
        int(m.next_attempt_at_ms),
        SqlValue::Text(m.last_error.clone()),
        text(&m.unsubscribe_token),
        int(m.created_at_ms),
        SqlValue::Int(m.sent_at_ms),
    ]
}

fn message_from_row(row: &AnyRow) -> Result<OutgoingMessage, StoreError> {
    Ok(OutgoingMessage {
        message_id: row.try_get("message_id")?,
        campaign_id: row.try_get("campaign_id")?,
        customer_id: row.try_get("customer_id")?,
        channel: row.try_get("channel")?,
        address: row.try_get("address")?,
        language: row.try_get("language")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        send_after_ms: row.try_get("send_after")?,
        next_attempt_at_ms: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        unsubscribe_token: row.try_get("unsubscribe_token")?,
        created_at_ms: row.try_get("created_at")?,
        sent_at_ms: row.try_get("sent_at")?,
    })
}

fn opt_out_from_row(row: &AnyRow) -> Result<OptOutRecord, StoreError> {
    Ok(OptOutRecord {
        customer_id: row.try_get("customer_id")?,
        channel: row.try_get("channel")?,
        at_ms: row.try_get("at")?,
        source: row.try_get("source")?,
    })
}

fn uplift_model_from_row(row: &AnyRow) -> Result<UpliftModelRecord, StoreError> {
    Ok(UpliftModelRecord {
        model_id: row.try_get("model_id")?,
        kind: row.try_get("kind")?,
        trained_at_ms: row.try_get("trained_at")?,
        source: row.try_get("source")?,
        rows_used: row.try_get("rows_used")?,
        doc: row.try_get("doc")?,
    })
}

impl SqlStore {
    /// `UPDATE campaigns SET … WHERE campaign_id = … AND version = …` inside `tx`; rows written.
    async fn update_campaign(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        campaign: &CampaignRecord,
        expected_version: i64,
    ) -> Result<u64, StoreError> {
        let columns: Vec<&str> = CAMPAIGN_COLUMNS.split(", ").skip(1).collect();
        let sets = columns.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect::<Vec<_>>().join(", ");
        let key = columns.len() + 1;
        let sql =
            self.sql(&format!("UPDATE campaigns SET {sets} WHERE campaign_id = ${key} AND version = ${}", key + 1));
        let mut values = campaign_values(campaign);
        let id = values.remove(0);
        values.extend([id, int(expected_version)]);
        Ok(bind_all(&sql, values).execute(&mut **tx).await?.rows_affected())
    }
}

#[async_trait]
impl MarketingStore for SqlStore {
    async fn save_segment(&self, s: &SegmentRecord) -> Result<(), StoreError> {
        let sql = self.sql(&format!(
            "INSERT INTO segments ({SEGMENT_COLUMNS}) VALUES ({}) ON CONFLICT (segment_id) DO UPDATE SET \
             name = excluded.name, definition = excluded.definition, refresh_hours = excluded.refresh_hours, \
             updated_at = excluded.updated_at",
            param_list(1, 10)
        ));
        let values = vec![
            text(&s.segment_id),
            text(&s.name),
            text(&s.definition),
            int(s.refresh_hours),
            int(s.size),
            int(s.value_minor),
            SqlValue::Int(s.refreshed_at_ms),
            int(s.created_at_ms),
            int(s.updated_at_ms),
            text(&s.created_by),
        ];
        bind_all(&sql, values).execute(self.pool()).await?;
        Ok(())
    }

    async fn get_segment(&self, segment_id: &str) -> Result<Option<SegmentRecord>, StoreError> {
        let sql = self.sql(&format!("SELECT {SEGMENT_COLUMNS} FROM segments WHERE segment_id = $1"));
        let row = sqlx::query(&sql).bind(segment_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(segment_from_row).transpose()
    }

    async fn list_segments(&self) -> Result<Vec<SegmentRecord>, StoreError> {
        let sql = format!("SELECT {SEGMENT_COLUMNS} FROM segments ORDER BY name, segment_id");
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        rows.iter().map(segment_from_row).collect()
    }

    async fn delete_segment(&self, segment_id: &str) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        for table in ["segment_members", "segment_history"] {
            let sql = self.sql(&format!("DELETE FROM {table} WHERE segment_id = $1"));
            sqlx::query(&sql).bind(segment_id).execute(&mut *tx).await?;
        }
        let sql = self.sql("DELETE FROM segments WHERE segment_id = $1");
        let deleted = sqlx::query(&sql).bind(segment_id).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    async fn refresh_segment(
        &self,
        segment_id: &str,
        members: &[SegmentMember],
        value_minor: i64,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sql = self.sql("UPDATE segments SET size = $1, value_minor = $2, refreshed_at = $3 WHERE segment_id = $4");
        let size = members.len() as i64;
        let updated = bind_all(&sql, vec![int(size), int(value_minor), int(at_ms), text(segment_id)])
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let sql = self.sql("DELETE FROM segment_members WHERE segment_id = $1");
        sqlx::query(&sql).bind(segment_id).execute(&mut *tx).await?;
        self.insert_all(&mut tx, "segment_members (segment_id, customer_id, label)", 3, members, |m| {
            vec![text(segment_id), text(&m.customer_id), SqlValue::Text(m.label.clone())]
        })
        .await?;
        let sql = self.sql(
            "INSERT INTO segment_history (segment_id, at, size, value_minor) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (segment_id, at) DO UPDATE SET size = excluded.size, value_minor = excluded.value_minor",
        );
        bind_all(&sql, vec![text(segment_id), int(at_ms), int(size), int(value_minor)]).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn segment_members(&self, segment_id: &str) -> Result<Vec<SegmentMember>, StoreError> {
        let sql = self.sql("SELECT customer_id, label FROM segment_members WHERE segment_id = $1 ORDER BY customer_id");
        let rows = sqlx::query(&sql).bind(segment_id).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| Ok(SegmentMember { customer_id: r.try_get("customer_id")?, label: r.try_get("label")? }))
            .collect()
    }

    async fn segment_history(&self, segment_id: &str, limit: u32) -> Result<Vec<SegmentPoint>, StoreError> {
        let sql = self
            .sql("SELECT at, size, value_minor FROM segment_history WHERE segment_id = $1 ORDER BY at DESC LIMIT $2");
        let rows = sqlx::query(&sql).bind(segment_id).bind(clamp_limit(limit)).fetch_all(self.pool()).await?;
        let mut points = rows
            .iter()
            .map(|r| {
                Ok(SegmentPoint {
                    at_ms: r.try_get("at")?,
                    size: r.try_get("size")?,
                    value_minor: r.try_get("value_minor")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        points.reverse();
        Ok(points)
    }

    async fn save_campaign(
        &self,
        campaign: &CampaignRecord,
        expected_version: Option<i64>,
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let written = match expected_version {
            None => {
                let sql = self.sql(&format!(
                    "INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES ({}) ON CONFLICT (campaign_id) DO NOTHING",
                    param_list(1, 13)
                ));
                bind_all(&sql, campaign_values(campaign)).execute(&mut *tx).await?.rows_affected()
            }
            Some(version) => self.update_campaign(&mut tx, campaign, version).await?,
        };
        tx.commit().await?;
        Ok(written == 1)
    }

    async fn get_campaign(&self, campaign_id: &str) -> Result<Option<CampaignRecord>, StoreError> {
        let sql = self.sql(&format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE campaign_id = $1"));
        let row = sqlx::query(&sql).bind(campaign_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(campaign_from_row).transpose()
    }

    async fn list_campaigns(&self, limit: u32) -> Result<Vec<CampaignRecord>, StoreError> {
        let sql = self
            .sql(&format!("SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY starts_at DESC, campaign_id LIMIT $1"));
        let rows = sqlx::query(&sql).bind(clamp_limit(limit)).fetch_all(self.pool()).await?;
        rows.iter().map(campaign_from_row).collect()
    }

    async fn save_plan(
        &self,
        campaign: &CampaignRecord,
        expected_version: i64,
        audience: &[AudienceRecord],
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        if self.update_campaign(&mut tx, campaign, expected_version).await? != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let sql = self.sql("DELETE FROM campaign_audience WHERE campaign_id = $1");
        sqlx::query(&sql).bind(&campaign.campaign_id).execute(&mut *tx).await?;
        self.insert_all(&mut tx, &format!("campaign_audience ({AUDIENCE_COLUMNS})"), 8, audience, audience_values)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn queue_messages(
        &self,
        campaign: &CampaignRecord,
        expected_version: i64,
        messages: &[OutgoingMessage],
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        if self.update_campaign(&mut tx, campaign, expected_version).await? != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.insert_all(&mut tx, &format!("marketing_messages ({MESSAGE_COLUMNS})"), 16, messages, message_values)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn campaign_audience(&self, campaign_id: &str) -> Result<Vec<AudienceRecord>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT {AUDIENCE_COLUMNS} FROM campaign_audience WHERE campaign_id = $1 ORDER BY customer_id"
        ));
        let rows = sqlx::query(&sql).bind(campaign_id).fetch_all(self.pool()).await?;
        rows.iter().map(audience_from_row).collect()
    }

    async fn claim_messages(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutgoingMessage>, StoreError> {
        // PostgreSQL senders on several replicas skip each other's rows; SQLite has one writer.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = self.sql(&format!(
            "UPDATE marketing_messages SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1 \
             WHERE message_id IN (SELECT message_id FROM marketing_messages WHERE status IN ('queued', 'sending') \
             AND next_attempt_at <= $2 ORDER BY next_attempt_at, message_id LIMIT $3{lock}) RETURNING {MESSAGE_COLUMNS}"
        ));
        let (_guard, mut tx) = self.begin_write().await?;
        let rows =
            bind_all(&sql, vec![int(lease_until_ms), int(now_ms), int(clamp_limit(limit))]).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        let mut messages = rows.iter().map(message_from_row).collect::<Result<Vec<_>, StoreError>>()?;
        messages.sort_by(|a, b| a.message_id.cmp(&b.message_id));
        Ok(messages)
    }

    async fn finish_messages(&self, outcomes: &[(String, DeliveryOutcome)]) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        for (id, outcome) in outcomes {
            let (sql, values) = match outcome {
                DeliveryOutcome::Sent { at_ms } => (
                    "UPDATE marketing_messages SET status = 'sent', sent_at = $1, last_error = NULL \
                     WHERE message_id = $2 AND status = 'sending'",
                    vec![int(*at_ms), text(id)],
                ),
                DeliveryOutcome::Retry { next_at_ms, error } => (
                    "UPDATE marketing_messages SET status = 'queued', next_attempt_at = $1, last_error = $2 \
                     WHERE message_id = $3 AND status = 'sending'",
                    vec![int(*next_at_ms), text(error), text(id)],
                ),
                DeliveryOutcome::Failed { error } => (
                    "UPDATE marketing_messages SET status = 'failed', last_error = $1 \
                     WHERE message_id = $2 AND status = 'sending'",
                    vec![text(error), text(id)],
                ),
                DeliveryOutcome::Suppressed { reason } => (
                    "UPDATE marketing_messages SET status = 'suppressed', last_error = $1 \
                     WHERE message_id = $2 AND status = 'sending'",
                    vec![text(reason), text(id)],
                ),
            };
            bind_all(&self.sql(sql), values).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn message_counts(&self, campaign_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = self.sql(
            "SELECT status, COUNT(*) AS n FROM marketing_messages WHERE campaign_id = $1 GROUP BY status ORDER BY status",
        );
        let rows = sqlx::query(&sql).bind(campaign_id).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }

    async fn list_messages(
        &self,
        campaign_id: &str,
        after_id: &str,
        limit: u32,
    ) -> Result<Vec<OutgoingMessage>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM marketing_messages WHERE campaign_id = $1 AND message_id > $2 \
             ORDER BY message_id LIMIT $3"
        ));
        let rows =
            sqlx::query(&sql).bind(campaign_id).bind(after_id).bind(clamp_limit(limit)).fetch_all(self.pool()).await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn message_by_token(&self, token: &str) -> Result<Option<OutgoingMessage>, StoreError> {
        let sql = self.sql(&format!("SELECT {MESSAGE_COLUMNS} FROM marketing_messages WHERE unsubscribe_token = $1"));
        let row = sqlx::query(&sql).bind(token).fetch_optional(self.pool()).await?;
        row.as_ref().map(message_from_row).transpose()
    }

    async fn sends_since(&self, since_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = self.sql(
            "SELECT customer_id, send_after FROM marketing_messages WHERE send_after >= $1 AND status NOT IN ('failed', 'suppressed')",
        );
        let rows = sqlx::query(&sql).bind(since_ms).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get("customer_id")?, r.try_get("send_after")?))).collect()
    }

    async fn opt_out(&self, o: &OptOutRecord) -> Result<(), StoreError> {
        let sql = self.sql(
            "INSERT INTO opt_outs (customer_id, channel, at, source) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (customer_id, channel) DO NOTHING",
        );
        bind_all(&sql, vec![text(&o.customer_id), text(&o.channel), int(o.at_ms), text(&o.source)])
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn opt_outs(&self, customer_ids: Option<&[String]>) -> Result<Vec<OptOutRecord>, StoreError> {
        const SELECT: &str = "SELECT customer_id, channel, at, source FROM opt_outs";
        let Some(ids) = customer_ids else {
            let rows = sqlx::query(&format!("{SELECT} ORDER BY customer_id, channel")).fetch_all(self.pool()).await?;
            return rows.iter().map(opt_out_from_row).collect();
        };
        let mut out = Vec::new();
        for chunk in ids.chunks(chunk_rows(1)) {
            let sql = self.sql(&format!("{SELECT} WHERE customer_id IN ({})", param_list(1, chunk.len())));
            let rows = bind_all(&sql, chunk.iter().map(|id| text(id)).collect()).fetch_all(self.pool()).await?;
            for row in &rows {
                out.push(opt_out_from_row(row)?);
            }
        }
        out.sort_by(|a, b| (&a.customer_id, &a.channel).cmp(&(&b.customer_id, &b.channel)));
        Ok(out)
    }

    async fn customer_activity(
        &self,
        from_ms: i64,
        recent_from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CustomerActivity>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT o.customer_id AS customer_id, MAX(o.placed_at) AS last_order, \
             COUNT(DISTINCT CASE WHEN o.placed_at >= $1 THEN o.external_id END) AS orders_recent, \
             COUNT(DISTINCT o.external_id) AS orders_all, \
             CAST(SUM(CASE WHEN o.placed_at >= $2 THEN {LINE_AMOUNT} ELSE 0 END) AS BIGINT) AS spend_recent, \
             CAST(SUM({LINE_AMOUNT}) AS BIGINT) AS spend_all, \
             COUNT(DISTINCT CASE WHEN o.channel = 'online' THEN o.external_id END) AS online_orders, \
             COUNT(DISTINCT CASE WHEN l.discount_minor > 0 THEN o.external_id END) AS discounted_orders \
             FROM orders o JOIN order_lines l ON l.order_id = o.external_id \
             WHERE o.customer_id IS NOT NULL AND o.placed_at >= $3 AND o.placed_at < $4 AND {KEPT_ORDERS} \
             GROUP BY o.customer_id ORDER BY o.customer_id"
        ));
        // SQLite binds by position, so the repeated bound is bound twice.
        let values = vec![int(recent_from_ms), int(recent_from_ms), int(from_ms), int(to_ms)];
        let rows = bind_all(&sql, values).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(CustomerActivity {
                    customer_id: r.try_get("customer_id")?,
                    last_order_ms: r.try_get("last_order")?,
                    orders_90d: r.try_get("orders_recent")?,
                    orders_365d: r.try_get("orders_all")?,
                    spend_90d_minor: r.try_get("spend_recent")?,
                    spend_365d_minor: r.try_get("spend_all")?,
                    online_orders_365d: r.try_get("online_orders")?,
                    discounted_orders_365d: r.try_get("discounted_orders")?,
                })
            })
            .collect()
    }

    async fn category_purchases(&self, from_ms: i64, to_ms: i64) -> Result<Vec<CategoryPurchase>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT o.customer_id AS customer_id, p.category_id AS category_id, MAX(o.placed_at) AS last_at \
             FROM orders o JOIN order_lines l ON l.order_id = o.external_id \
             JOIN products p ON p.external_id = l.product_id \
             WHERE o.customer_id IS NOT NULL AND o.placed_at >= $1 AND o.placed_at < $2 AND {KEPT_ORDERS} \
             GROUP BY o.customer_id, p.category_id ORDER BY o.customer_id, p.category_id"
        ));
        let rows = sqlx::query(&sql).bind(from_ms).bind(to_ms).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(CategoryPurchase {
                    customer_id: r.try_get("customer_id")?,
                    category_id: r.try_get("category_id")?,
                    last_ms: r.try_get("last_at")?,
                })
            })
            .collect()
    }

    async fn campaign_outcomes(
        &self,
        campaign_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<CampaignOutcome>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT a.customer_id AS customer_id, a.arm AS arm, a.decision AS decision, \
             COUNT(DISTINCT o.external_id) AS orders, CAST(COALESCE(SUM({LINE_AMOUNT}), 0) AS BIGINT) AS revenue \
             FROM campaign_audience a \
             LEFT JOIN orders o ON o.customer_id = a.customer_id AND o.placed_at >= $1 AND o.placed_at < $2 \
             AND {KEPT_ORDERS} LEFT JOIN order_lines l ON l.order_id = o.external_id \
             WHERE a.campaign_id = $3 GROUP BY a.customer_id, a.arm, a.decision ORDER BY a.customer_id"
        ));
        let rows = bind_all(&sql, vec![int(from_ms), int(to_ms), text(campaign_id)]).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(CampaignOutcome {
                    customer_id: r.try_get("customer_id")?,
                    arm: r.try_get("arm")?,
                    decision: r.try_get("decision")?,
                    orders: r.try_get("orders")?,
                    revenue_minor: r.try_get("revenue")?,
                })
            })
            .collect()
    }

    async fn save_uplift_model(&self, m: &UpliftModelRecord) -> Result<(), StoreError> {
        let sql = self.sql(
            "INSERT INTO uplift_models (model_id, kind, trained_at, source, rows_used, doc) VALUES ($1, $2, $3, $4, $5, $6)",
        );
        bind_all(
            &sql,
            vec![
                text(&m.model_id),
                text(&m.kind),
                int(m.trained_at_ms),
                text(&m.source),
                int(m.rows_used),
                text(&m.doc),
            ],
        )
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn latest_uplift_model(&self) -> Result<Option<UpliftModelRecord>, StoreError> {
        let sql = "SELECT model_id, kind, trained_at, source, rows_used, doc FROM uplift_models \
                   ORDER BY trained_at DESC, model_id DESC LIMIT 1";
        let row = sqlx::query(sql).fetch_optional(self.pool()).await?;
        row.as_ref().map(uplift_model_from_row).transpose()
    }
}
