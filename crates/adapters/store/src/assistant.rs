//! Customer-service storage: conversations (dialogue state as JSON owned by the service layer,
//! with optimistic concurrency so two replicas answering the same conversation cannot both
//! win), their messages, the return and exchange requests the assistant decided, the intent
//! examples users add, and the figures of the service's analytics.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::sql::{Conditions, SqlValue, bind_all, clamp_limit, param_list, text};
use crate::{SqlStore, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRecord {
    pub conversation_id: String,
    /// `widget` or `api`.
    pub channel: String,
    /// Set once the customer proved who they are.
    pub customer_id: Option<String>,
    pub language: String,
    /// `bot`, `waiting` (for a person), `agent` (a person owns it) or `closed`.
    pub status: String,
    pub agent: Option<String>,
    pub handoff_reason: Option<String>,
    pub started_at_ms: i64,
    pub updated_at_ms: i64,
    pub handed_off_at_ms: Option<i64>,
    pub agent_replied_at_ms: Option<i64>,
    pub closed_at_ms: Option<i64>,
    /// Customer messages so far.
    pub turns: i64,
    /// Satisfaction, 1 to 5.
    pub rating: Option<i64>,
    /// Bumped by every save; a save naming an older version is refused.
    pub version: i64,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub conversation_id: String,
    pub seq: i64,
    pub at_ms: i64,
    /// `customer`, `bot`, `agent` or `system`.
    pub sender: String,
    pub body: String,
    pub intent: Option<String>,
    pub confidence: Option<f64>,
    pub sentiment: Option<f64>,
    /// For the assistant's replies: whether it answered from data.
    pub answered: Option<bool>,
    /// For the assistant's replies: milliseconds from the customer's message to the answer.
    pub response_ms: Option<i64>,
    pub doc: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnRequestRecord {
    pub request_id: String,
    pub conversation_id: Option<String>,
    pub order_id: String,
    pub customer_id: Option<String>,
    /// `refund` or `exchange`.
    pub kind: String,
    /// `approved`, `pending_approval`, `refused` or `rejected` (by a person).
    pub status: String,
    pub refund_minor: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub updated_by: String,
    pub doc: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentExampleRecord {
    pub example_id: String,
    pub text: String,
    pub intent: String,
    pub created_at_ms: i64,
    pub created_by: String,
}

/// Conversations in some states, most recently active first.
#[derive(Debug, Clone, Default)]
pub struct ConversationQuery {
    pub statuses: Vec<String>,
    pub customer_id: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ReturnQuery {
    pub order_id: Option<String>,
    pub customer_id: Option<String>,
    pub status: Option<String>,
    pub limit: u32,
}

/// One UTC day of conversations, by the day they started.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConversationDay {
    /// Days since 1970-01-01.
    pub day: i64,
    pub conversations: i64,
    pub handed_off: i64,
    pub rated: i64,
    pub rating_sum: i64,
    /// Handed-off conversations a person answered, and the milliseconds they waited in total.
    pub agent_answered: i64,
    pub agent_wait_ms: i64,
    /// The customers' messages of the day, their summed sentiment, and the assistant's answers
    /// with their summed response time.
    pub customer_messages: i64,
    pub sentiment_sum: f64,
    pub bot_replies: i64,
    pub bot_response_ms: i64,
}

/// What the analytics page shows for a period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AssistantFigures {
    pub days: Vec<ConversationDay>,
    /// Customer messages per understood intent, most frequent first.
    pub intents: Vec<(String, i64)>,
    pub handoff_reasons: Vec<(String, i64)>,
    /// The latest customer messages the assistant could not answer or understood with low
    /// confidence: what the knowledge base should learn.
    pub weak_messages: Vec<MessageRecord>,
}

/// Storage for the customer-service assistant; part of [`crate::Store`].
#[async_trait]
pub trait AssistantStore: Send + Sync {
    /// Saves a conversation with the messages and return requests of one turn, in one
    /// transaction. A new conversation is written when `expected_version` is `None`; otherwise
    /// only if the stored version still equals it. False (and nothing written) when another
    /// writer got there first or the id is taken.
    async fn save_turn(
        &self,
        conversation: &ConversationRecord,
        expected_version: Option<i64>,
        messages: &[MessageRecord],
        returns: &[ReturnRequestRecord],
    ) -> Result<bool, StoreError>;

    async fn get_conversation(&self, conversation_id: &str) -> Result<Option<ConversationRecord>, StoreError>;

    async fn list_conversations(&self, query: &ConversationQuery) -> Result<Vec<ConversationRecord>, StoreError>;

    /// A conversation's messages after `after_seq`, in order (at most `limit`).
    async fn conversation_messages(
        &self,
        conversation_id: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<MessageRecord>, StoreError>;

    async fn list_return_requests(&self, query: &ReturnQuery) -> Result<Vec<ReturnRequestRecord>, StoreError>;

    /// Moves a request from `from` to `to`; false when it was not in `from`.
    async fn decide_return_request(
        &self,
        request_id: &str,
        from: &str,
        to: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError>;

    /// The analytics of conversations started in `[from_ms, to_ms)`.
    async fn assistant_figures(
        &self,
        from_ms: i64,
        to_ms: i64,
        weak_below: f64,
        weak_limit: u32,
    ) -> Result<AssistantFigures, StoreError>;

    async fn add_intent_examples(&self, examples: &[IntentExampleRecord]) -> Result<(), StoreError>;

    async fn list_intent_examples(&self) -> Result<Vec<IntentExampleRecord>, StoreError>;

    async fn delete_intent_example(&self, example_id: &str) -> Result<bool, StoreError>;
}

const CONVERSATION_COLUMNS: &str = "conversation_id, channel, customer_id, language, status, agent, handoff_reason, \
     started_at, updated_at, handed_off_at, agent_replied_at, closed_at, turns, rating, version, state";
const MESSAGE_COLUMNS: &str =
    "conversation_id, seq, at, sender, body, intent, confidence, sentiment, answered, response_ms, doc";
const RETURN_COLUMNS: &str = "request_id, conversation_id, order_id, customer_id, kind, status, refund_minor, \
     created_at, updated_at, updated_by, doc";

fn opt_text(s: &Option<String>) -> SqlValue {
    SqlValue::Text(s.clone())
}

fn conversation_values(c: &ConversationRecord) -> Vec<SqlValue> {
    vec![
        text(&c.conversation_id),
        text(&c.channel),
        opt_text(&c.customer_id),
        text(&c.language),
        text(&c.status),
        opt_text(&c.agent),
        opt_text(&c.handoff_reason),
        SqlValue::Int(Some(c.started_at_ms)),
        SqlValue::Int(Some(c.updated_at_ms)),
        SqlValue::Int(c.handed_off_at_ms),
        SqlValue::Int(c.agent_replied_at_ms),
        SqlValue::Int(c.closed_at_ms),
        SqlValue::Int(Some(c.turns)),
        SqlValue::Int(c.rating),
        SqlValue::Int(Some(c.version)),
        text(&c.state),
    ]
}

fn conversation_from_row(row: &AnyRow) -> Result<ConversationRecord, StoreError> {
    Ok(ConversationRecord {
        conversation_id: row.try_get("conversation_id")?,
        channel: row.try_get("channel")?,
        customer_id: row.try_get("customer_id")?,
        language: row.try_get("language")?,
        status: row.try_get("status")?,
        agent: row.try_get("agent")?,
        handoff_reason: row.try_get("handoff_reason")?,
        started_at_ms: row.try_get("started_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        handed_off_at_ms: row.try_get("handed_off_at")?,
        agent_replied_at_ms: row.try_get("agent_replied_at")?,
        closed_at_ms: row.try_get("closed_at")?,
        turns: row.try_get("turns")?,
        rating: row.try_get("rating")?,
        version: row.try_get("version")?,
        state: row.try_get("state")?,
    })
}

fn message_values(m: &MessageRecord) -> Vec<SqlValue> {
    vec![
        text(&m.conversation_id),
        SqlValue::Int(Some(m.seq)),
        SqlValue::Int(Some(m.at_ms)),
        text(&m.sender),
        text(&m.body),
        opt_text(&m.intent),
        real_as_text(m.confidence),
        real_as_text(m.sentiment),
        SqlValue::Int(m.answered.map(i64::from)),
        SqlValue::Int(m.response_ms),
        text(&m.doc),
    ]
}

/// A nullable double bound as text and cast in SQL ([`MESSAGE_VALUES`]): sqlx's `Any` driver
/// declares a NULL double as a 4-byte float on PostgreSQL, which breaks the cached statement for
/// the next non-null value.
fn real_as_text(x: Option<f64>) -> SqlValue {
    SqlValue::Text(x.map(|v| v.to_string()))
}

/// The placeholders of a message row, with the two doubles cast from text.
const MESSAGE_VALUES: &str =
    "$1, $2, $3, $4, $5, $6, CAST($7 AS DOUBLE PRECISION), CAST($8 AS DOUBLE PRECISION), $9, $10, $11";

fn message_from_row(row: &AnyRow) -> Result<MessageRecord, StoreError> {
    Ok(MessageRecord {
        conversation_id: row.try_get("conversation_id")?,
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at")?,
        sender: row.try_get("sender")?,
        body: row.try_get("body")?,
        intent: row.try_get("intent")?,
        confidence: row.try_get("confidence")?,
        sentiment: row.try_get("sentiment")?,
        answered: row.try_get::<Option<i64>, _>("answered")?.map(|a| a != 0),
        response_ms: row.try_get("response_ms")?,
        doc: row.try_get("doc")?,
    })
}

fn return_values(r: &ReturnRequestRecord) -> Vec<SqlValue> {
    vec![
        text(&r.request_id),
        opt_text(&r.conversation_id),
        text(&r.order_id),
        opt_text(&r.customer_id),
        text(&r.kind),
        text(&r.status),
        SqlValue::Int(Some(r.refund_minor)),
        SqlValue::Int(Some(r.created_at_ms)),
        SqlValue::Int(Some(r.updated_at_ms)),
        text(&r.updated_by),
        text(&r.doc),
    ]
}

fn return_from_row(row: &AnyRow) -> Result<ReturnRequestRecord, StoreError> {
    Ok(ReturnRequestRecord {
        request_id: row.try_get("request_id")?,
        conversation_id: row.try_get("conversation_id")?,
        order_id: row.try_get("order_id")?,
        customer_id: row.try_get("customer_id")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        refund_minor: row.try_get("refund_minor")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        doc: row.try_get("doc")?,
    })
}

impl SqlStore {
    /// `SELECT columns FROM table WHERE … ORDER BY … LIMIT n`, each row read by `from_row`.
    async fn select_limited<T>(
        &self,
        from: &str,
        c: Conditions,
        order_by: &str,
        limit: u32,
        from_row: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let sql = self.sql(&format!("SELECT {from} {} ORDER BY {order_by} LIMIT ${}", c.sql(), c.next_param()));
        let mut values = c.values;
        values.push(SqlValue::Int(Some(clamp_limit(limit))));
        let rows = bind_all(&sql, values).fetch_all(self.pool()).await?;
        rows.iter().map(from_row).collect()
    }

    /// `(key, count)` pairs of a grouped count, most frequent first.
    async fn counted(&self, sql: &str, from_ms: i64, to_ms: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(&self.sql(sql)).bind(from_ms).bind(to_ms).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get::<String, _>("k")?, r.try_get::<i64, _>("n")?))).collect()
    }
}

#[async_trait]
impl AssistantStore for SqlStore {
    async fn save_turn(
        &self,
        conversation: &ConversationRecord,
        expected_version: Option<i64>,
        messages: &[MessageRecord],
        returns: &[ReturnRequestRecord],
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let written = match expected_version {
            None => {
                let sql = self.sql(&format!(
                    "INSERT INTO conversations ({CONVERSATION_COLUMNS}) VALUES ({}) ON CONFLICT (conversation_id) \
                     DO NOTHING",
                    param_list(1, 16)
                ));
                bind_all(&sql, conversation_values(conversation)).execute(&mut *tx).await?.rows_affected()
            }
            Some(version) => {
                let sets = CONVERSATION_COLUMNS
                    .split(", ")
                    .skip(1)
                    .enumerate()
                    .map(|(i, c)| format!("{c} = ${}", i + 1))
                    .collect::<Vec<_>>()
                    .join(", ");
                // Parameters in the order they appear (SQLite binds by position): the columns, then the key.
                let sql =
                    self.sql(&format!("UPDATE conversations SET {sets} WHERE conversation_id = $16 AND version = $17"));
                let mut values = conversation_values(conversation);
                let id = values.remove(0);
                values.extend([id, SqlValue::Int(Some(version))]);
                bind_all(&sql, values).execute(&mut *tx).await?.rows_affected()
            }
        };
        if written != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for m in messages {
            let sql =
                self.sql(&format!("INSERT INTO conversation_messages ({MESSAGE_COLUMNS}) VALUES ({MESSAGE_VALUES})"));
            bind_all(&sql, message_values(m)).execute(&mut *tx).await?;
        }
        for r in returns {
            let sql =
                self.sql(&format!("INSERT INTO return_requests ({RETURN_COLUMNS}) VALUES ({})", param_list(1, 11)));
            bind_all(&sql, return_values(r)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn get_conversation(&self, conversation_id: &str) -> Result<Option<ConversationRecord>, StoreError> {
        let sql = self.sql(&format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE conversation_id = $1"));
        let row = sqlx::query(&sql).bind(conversation_id).fetch_optional(self.pool()).await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    async fn list_conversations(&self, query: &ConversationQuery) -> Result<Vec<ConversationRecord>, StoreError> {
        let mut c = Conditions::default();
        if !query.statuses.is_empty() {
            let list = param_list(c.next_param(), query.statuses.len());
            c.add_many(&format!("status IN ({list})"), query.statuses.iter().map(|s| text(s)));
        }
        c.add_opt_text("customer_id", &query.customer_id);
        let from = format!("{CONVERSATION_COLUMNS} FROM conversations");
        self.select_limited(&from, c, "updated_at DESC, conversation_id", query.limit, conversation_from_row).await
    }

    async fn conversation_messages(
        &self,
        conversation_id: &str,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let sql = self.sql(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages WHERE conversation_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ));
        let rows = sqlx::query(&sql)
            .bind(conversation_id)
            .bind(after_seq)
            .bind(clamp_limit(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(message_from_row).collect()
    }

    async fn list_return_requests(&self, query: &ReturnQuery) -> Result<Vec<ReturnRequestRecord>, StoreError> {
        let mut c = Conditions::default();
        c.add_opt_text("order_id", &query.order_id);
        c.add_opt_text("customer_id", &query.customer_id);
        c.add_opt_text("status", &query.status);
        let from = format!("{RETURN_COLUMNS} FROM return_requests");
        self.select_limited(&from, c, "created_at DESC, request_id", query.limit, return_from_row).await
    }

    async fn decide_return_request(
        &self,
        request_id: &str,
        from: &str,
        to: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sql = self.sql(
            "UPDATE return_requests SET status = $1, updated_by = $2, updated_at = $3 \
             WHERE request_id = $4 AND status = $5",
        );
        let moved = bind_all(&sql, vec![text(to), text(by), SqlValue::Int(Some(at_ms)), text(request_id), text(from)])
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(moved == 1)
    }

    async fn assistant_figures(
        &self,
        from_ms: i64,
        to_ms: i64,
        weak_below: f64,
        weak_limit: u32,
    ) -> Result<AssistantFigures, StoreError> {
        const DAY: &str = "86400000";
        let sql = self.sql(&format!(
            "SELECT started_at / {DAY} AS day, COUNT(*) AS conversations, \
             COUNT(handed_off_at) AS handed_off, COUNT(rating) AS rated, \
             CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS rating_sum, COUNT(agent_replied_at) AS agent_answered, \
             CAST(COALESCE(SUM(agent_replied_at - handed_off_at), 0) AS BIGINT) AS agent_wait \
             FROM conversations WHERE started_at >= $1 AND started_at < $2 GROUP BY started_at / {DAY} ORDER BY day"
        ));
        let rows = sqlx::query(&sql).bind(from_ms).bind(to_ms).fetch_all(self.pool()).await?;
        let mut days = rows
            .iter()
            .map(|r| {
                Ok(ConversationDay {
                    day: r.try_get("day")?,
                    conversations: r.try_get("conversations")?,
                    handed_off: r.try_get("handed_off")?,
                    rated: r.try_get("rated")?,
                    rating_sum: r.try_get("rating_sum")?,
                    agent_answered: r.try_get("agent_answered")?,
                    agent_wait_ms: r.try_get("agent_wait")?,
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let sql = self.sql(&format!(
            "SELECT at / {DAY} AS day, \
             COUNT(CASE WHEN sender = 'customer' THEN 1 END) AS customer_messages, \
             CAST(COALESCE(SUM(CASE WHEN sender = 'customer' THEN sentiment END), 0) AS DOUBLE PRECISION) AS sentiment, \
             COUNT(response_ms) AS bot_replies, CAST(COALESCE(SUM(response_ms), 0) AS BIGINT) AS response_ms \
             FROM conversation_messages WHERE at >= $1 AND at < $2 GROUP BY at / {DAY}"
        ));
        for r in sqlx::query(&sql).bind(from_ms).bind(to_ms).fetch_all(self.pool()).await? {
            let day: i64 = r.try_get("day")?;
            let at = match days.binary_search_by_key(&day, |d| d.day) {
                Ok(i) => i,
                Err(i) => {
                    days.insert(i, ConversationDay { day, ..Default::default() });
                    i
                }
            };
            let d = &mut days[at];
            d.customer_messages = r.try_get("customer_messages")?;
            d.sentiment_sum = r.try_get("sentiment")?;
            d.bot_replies = r.try_get("bot_replies")?;
            d.bot_response_ms = r.try_get("response_ms")?;
        }
        let intents = self
            .counted(
                "SELECT intent AS k, COUNT(*) AS n FROM conversation_messages WHERE sender = 'customer' \
                 AND intent IS NOT NULL AND at >= $1 AND at < $2 GROUP BY intent ORDER BY n DESC, k",
                from_ms,
                to_ms,
            )
            .await?;
        let handoff_reasons = self
            .counted(
                "SELECT handoff_reason AS k, COUNT(*) AS n FROM conversations WHERE handoff_reason IS NOT NULL \
                 AND started_at >= $1 AND started_at < $2 GROUP BY handoff_reason ORDER BY n DESC, k",
                from_ms,
                to_ms,
            )
            .await?;
        // A customer message is weak when the reply after it could not answer, or when the
        // language model was unsure of it.
        let sql = self.sql(&format!(
            "SELECT {} FROM conversation_messages m WHERE m.sender = 'customer' AND m.at >= $1 AND m.at < $2 \
             AND (m.confidence < $3 OR EXISTS (SELECT 1 FROM conversation_messages r \
               WHERE r.conversation_id = m.conversation_id AND r.seq = m.seq + 1 AND r.answered = 0)) \
             ORDER BY m.at DESC, m.conversation_id, m.seq LIMIT $4",
            MESSAGE_COLUMNS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ")
        ));
        let rows = sqlx::query(&sql)
            .bind(from_ms)
            .bind(to_ms)
            .bind(weak_below)
            .bind(clamp_limit(weak_limit))
            .fetch_all(self.pool())
            .await?;
        let weak_messages = rows.iter().map(message_from_row).collect::<Result<Vec<_>, _>>()?;
        Ok(AssistantFigures { days, intents, handoff_reasons, weak_messages })
    }

    async fn add_intent_examples(&self, examples: &[IntentExampleRecord]) -> Result<(), StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        for e in examples {
            let sql = self.sql(
                "INSERT INTO intent_examples (example_id, text, intent, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            );
            let values = vec![
                text(&e.example_id),
                text(&e.text),
                text(&e.intent),
                SqlValue::Int(Some(e.created_at_ms)),
                text(&e.created_by),
            ];
            bind_all(&sql, values).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_intent_examples(&self) -> Result<Vec<IntentExampleRecord>, StoreError> {
        let sql = "SELECT example_id, text, intent, created_at, created_by FROM intent_examples \
                   ORDER BY created_at, example_id";
        let rows = sqlx::query(sql).fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(IntentExampleRecord {
                    example_id: r.try_get("example_id")?,
                    text: r.try_get("text")?,
                    intent: r.try_get("intent")?,
                    created_at_ms: r.try_get("created_at")?,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }

    async fn delete_intent_example(&self, example_id: &str) -> Result<bool, StoreError> {
        let (_guard, mut tx) = self.begin_write().await?;
        let sql = self.sql("DELETE FROM intent_examples WHERE example_id = $1");
        let n = sqlx::query(&sql).bind(example_id).execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }
}
