//! The customer-service assistant: conversations in Chinese and English that answer from the
//! catalogue, stock, stores, orders and the knowledge base, decide returns by policy, and hand
//! over to a person when they should. The language models come from `retail-language`; this
//! module keeps each conversation's state in the store (so any replica can take the next turn)
//! and the agent desk's operations.

pub mod demo;
mod dialogue;
mod identity;
mod knowledge;
mod say;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use retail_language::classify::{Example, IntentClassifier, TrainOptions};
use retail_language::text::{Lang, detect_language};
use retail_store::{
    AssistantFigures, ConversationQuery, ConversationRecord, IntentExampleRecord, MessageRecord, ReturnQuery,
    ReturnRequestRecord,
};
use serde::{Deserialize, Serialize};

pub use dialogue::HandoffReason;
pub use identity::{customer_token, verify_customer_token};
pub use knowledge::KnowledgeSlot;

use crate::access::ms_to_time;
use crate::ids::new_id;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

/// Longest customer or agent message accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// The fitted intent model of this process: the built-in one, or one retrained with the
/// examples users added. Another replica's additions are picked up within `EXAMPLES_CHECK`.
#[derive(Default)]
pub struct AssistantSlot {
    intents: Mutex<Option<FittedIntents>>,
    pub knowledge: KnowledgeSlot,
    /// The `public` key the demo shop's widget uses, created on first visit.
    pub shop_key: tokio::sync::OnceCell<String>,
}

struct FittedIntents {
    model: Arc<IntentClassifier>,
    /// How many added examples it learnt from, and when the store was last asked.
    examples: usize,
    checked: std::time::Instant,
}

/// How often a process asks the store whether examples were added elsewhere.
const EXAMPLES_CHECK: std::time::Duration = std::time::Duration::from_secs(60);

impl AssistantSlot {
    async fn intents(&self, p: &Platform) -> ServiceResult<Arc<IntentClassifier>> {
        let known = {
            let fitted = self.intents.lock().expect("intent model lock");
            match fitted.as_ref() {
                Some(f) if f.checked.elapsed() < EXAMPLES_CHECK => return Ok(f.model.clone()),
                Some(f) => Some((f.model.clone(), f.examples)),
                None => None,
            }
        };
        let added = p.store.list_intent_examples().await?;
        let model = match known {
            Some((model, examples)) if examples == added.len() => model,
            _ if added.is_empty() => Arc::new(retail_language::builtin::intents().clone()),
            _ => Arc::new(train_with(&added).await?),
        };
        self.keep(model.clone(), added.len());
        Ok(model)
    }

    fn keep(&self, model: Arc<IntentClassifier>, examples: usize) {
        let fitted = FittedIntents { model, examples, checked: std::time::Instant::now() };
        *self.intents.lock().expect("intent model lock") = Some(fitted);
    }
}

async fn train_with(added: &[IntentExampleRecord]) -> ServiceResult<IntentClassifier> {
    let mut examples = retail_language::builtin::intent_examples();
    examples.extend(added.iter().map(|e| Example { text: e.text.clone(), label: e.intent.clone() }));
    tokio::task::spawn_blocking(move || IntentClassifier::train(&examples, &TrainOptions::default()))
        .await
        .map_err(|e| ServiceError::Internal(format!("intent training stopped: {e}")))?
        .map_err(|e| ServiceError::Internal(format!("intent training failed: {e}")))
}

/// Who owns a conversation now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The assistant answers.
    Bot,
    /// Handed over; waiting for a person to claim it. The assistant stays silent.
    Waiting,
    /// A person owns it. The assistant stays silent.
    Agent,
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Waiting => "waiting",
            Self::Agent => "agent",
            Self::Closed => "closed",
        }
    }

    fn parse(s: &str) -> ServiceResult<Self> {
        Ok(match s {
            "bot" => Self::Bot,
            "waiting" => Self::Waiting,
            "agent" => Self::Agent,
            "closed" => Self::Closed,
            other => return Err(ServiceError::Internal(format!("stored conversation status {other:?}"))),
        })
    }
}

/// A message from a customer.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Absent for the first message; the reply carries the id to send next time.
    #[serde(default)]
    pub conversation_id: Option<String>,
    pub message: String,
    /// A signed customer token from the shop's backend ([`customer_token`]): the customer is
    /// then known and need not prove each order.
    #[serde(default)]
    pub customer_token: Option<String>,
    /// `zh` or `en`; detected from the message when absent.
    #[serde(default)]
    pub language: Option<String>,
    /// `widget` or `api` (default).
    #[serde(default)]
    pub channel: Option<String>,
}

/// A product the reply shows as a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductCard {
    pub product_id: String,
    pub name: String,
    pub price_minor: i64,
    /// Units available in stores and for delivery together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
}

/// A knowledge-base entry an answer is taken from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Source {
    pub article_id: String,
    pub title: String,
}

/// One message of the assistant.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BotMessage {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<ProductCard>,
    /// Suggested answers the widget shows as buttons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
}

/// What the assistant understood of a customer message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Understanding {
    pub intent: String,
    pub confidence: f64,
    pub in_scope: bool,
    /// -1 (angry) to 1 (delighted).
    pub sentiment: f64,
    pub language: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatReply {
    pub conversation_id: String,
    pub status: ConversationStatus,
    /// Empty while a person owns the conversation: their answers arrive as messages.
    pub replies: Vec<BotMessage>,
    pub understood: Understanding,
    /// Set when this turn handed the conversation to a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff: Option<HandoffReason>,
    /// The sequence number of the last message, for `GET …/messages?after=`.
    pub last_seq: i64,
}

/// A stored message as the widget and the agent desk show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChatMessage {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// `customer`, `bot`, `agent` or `system`.
    pub sender: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<f64>,
    /// The assistant's sources, product cards and quick replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<BotMessage>,
}

impl ChatMessage {
    fn from_record(m: MessageRecord) -> Self {
        let detail = (m.sender == "bot").then(|| serde_json::from_str(&m.doc).ok()).flatten();
        Self {
            seq: m.seq,
            at: ms_to_time(m.at_ms),
            sender: m.sender,
            text: m.body,
            intent: m.intent,
            confidence: m.confidence,
            sentiment: m.sentiment,
            detail,
        }
    }
}

/// A conversation as the agent desk lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conversation {
    pub conversation_id: String,
    pub status: ConversationStatus,
    pub channel: String,
    pub language: String,
    pub customer_id: Option<String>,
    pub agent: Option<String>,
    pub handoff_reason: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it went to a person (the desk's waiting time counts from here).
    pub handed_off_at: Option<DateTime<Utc>>,
    pub turns: i64,
    pub rating: Option<i64>,
    /// The latest understood intent and the running sentiment.
    pub last_intent: Option<String>,
    pub sentiment: f64,
}

impl Conversation {
    fn from_record(r: &ConversationRecord) -> ServiceResult<Self> {
        let state = dialogue::DialogueState::parse(&r.state)?;
        Ok(Self {
            conversation_id: r.conversation_id.clone(),
            status: ConversationStatus::parse(&r.status)?,
            channel: r.channel.clone(),
            language: r.language.clone(),
            customer_id: r.customer_id.clone(),
            agent: r.agent.clone(),
            handoff_reason: r.handoff_reason.clone(),
            started_at: ms_to_time(r.started_at_ms),
            updated_at: ms_to_time(r.updated_at_ms),
            handed_off_at: r.handed_off_at_ms.map(ms_to_time),
            turns: r.turns,
            rating: r.rating,
            last_intent: state.last_intent.clone(),
            sentiment: state.mood(),
        })
    }
}

fn check_message(text: &str) -> ServiceResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("message", "is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(invalid("message", format!("has {chars} characters; at most {MAX_MESSAGE_CHARS}")));
    }
    Ok(text.to_string())
}

fn lang_of(code: &str) -> Lang {
    if code == "en" { Lang::En } else { Lang::Zh }
}

/// Whether a message shows its language: Chinese characters, or an English word of three letters
/// or more outside tokens with digits (order numbers).
fn has_language(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        || text
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_alphabetic()))
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

async fn load(p: &Platform, conversation_id: &str) -> ServiceResult<ConversationRecord> {
    p.store
        .get_conversation(conversation_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound { kind: "conversation", id: conversation_id.to_string() })
}

fn message(c: &ConversationRecord, seq: i64, at_ms: i64, sender: &str, body: &str) -> MessageRecord {
    MessageRecord {
        conversation_id: c.conversation_id.clone(),
        seq,
        at_ms,
        sender: sender.into(),
        body: body.into(),
        intent: None,
        confidence: None,
        sentiment: None,
        answered: None,
        response_ms: None,
        doc: "{}".into(),
    }
}

/// Saves a turn, or says the conversation moved on meanwhile (another replica, an agent).
async fn save(
    p: &Platform,
    record: &ConversationRecord,
    expected: Option<i64>,
    messages: &[MessageRecord],
    returns: &[ReturnRequestRecord],
) -> ServiceResult<()> {
    if p.store.save_turn(record, expected, messages, returns).await? {
        Ok(())
    } else {
        Err(ServiceError::Conflict(format!(
            "conversation {} changed while this message was handled; send it again",
            record.conversation_id
        )))
    }
}

/// Answers one customer message: understands it, moves the dialogue on, and stores the turn.
pub async fn chat(p: &Platform, req: &ChatRequest, now: DateTime<Utc>) -> ServiceResult<ChatReply> {
    let started = std::time::Instant::now();
    let text = check_message(&req.message)?;
    let customer = match &req.customer_token {
        Some(token) => Some(verify_customer_token(&p.config.assistant_identity_secret, token, now)?),
        None => None,
    };
    let asked_lang = match req.language.as_deref() {
        Some(l) if l.starts_with("zh") => Some(Lang::Zh),
        Some(l) if l.starts_with("en") => Some(Lang::En),
        Some(other) => return Err(invalid("language", format!("{other:?} is not zh or en"))),
        None => None,
    };
    let channel = match req.channel.as_deref() {
        None | Some("api") => "api",
        Some("widget") => "widget",
        Some(other) => return Err(invalid("channel", format!("{other:?} is not widget or api"))),
    };
    let now_ms = now.timestamp_millis();
    let (mut record, expected) = match &req.conversation_id {
        Some(id) => {
            let r = load(p, id).await?;
            let v = r.version;
            (r, Some(v))
        }
        None => (
            ConversationRecord {
                conversation_id: new_id("conv"),
                channel: channel.into(),
                customer_id: None,
                language: lang_code(asked_lang.unwrap_or_else(|| detect_language(&text))).into(),
                status: "bot".into(),
                agent: None,
                handoff_reason: None,
                started_at_ms: now_ms,
                updated_at_ms: now_ms,
                handed_off_at_ms: None,
                agent_replied_at_ms: None,
                closed_at_ms: None,
                turns: 0,
                rating: None,
                version: 0,
                state: "{}".into(),
            },
            None,
        ),
    };
    // An order number or "1234" says nothing about the language: the conversation's stays.
    let lang = match asked_lang {
        Some(l) => l,
        None if expected.is_some() && !has_language(&text) => lang_of(&record.language),
        None => detect_language(&text),
    };
    let status = ConversationStatus::parse(&record.status)?;
    if status == ConversationStatus::Closed {
        return Err(ServiceError::Conflict(format!(
            "conversation {} is closed; start a new one without a conversation_id",
            record.conversation_id
        )));
    }
    if let (Some(known), Some(now_customer)) = (&record.customer_id, &customer)
        && known != now_customer
    {
        return Err(invalid("customer_token", "belongs to another customer than this conversation's"));
    }
    if customer.is_some() {
        record.customer_id = customer;
    }
    let mut state = dialogue::DialogueState::parse(&record.state)?;
    let knowledge = p.assistant.knowledge.get(p).await?;
    let intents = p.assistant.intents(p).await?;
    let understanding = dialogue::understand(&intents, &knowledge, &text, lang, now);
    let customer_seq = state.next_seq();
    let mut customer_message = message(&record, customer_seq, now_ms, "customer", &text);
    customer_message.intent = Some(understanding.intent.clone());
    customer_message.confidence = Some(understanding.confidence);
    customer_message.sentiment = Some(understanding.sentiment.score);
    customer_message.doc = serde_json::to_string(&understanding.summary()).unwrap_or_default();
    record.turns += 1;
    record.language = lang_code(lang).into();
    let mut messages = vec![customer_message];
    let mut returns = Vec::new();
    let mut replies = Vec::new();
    let mut handoff = None;
    if status == ConversationStatus::Bot {
        let mut turn = dialogue::Turn { p, knowledge: &knowledge, state: &mut state, conversation: &record, lang, now };
        let outcome = turn.respond(&understanding).await?;
        if let Some(task) = outcome.answered_form {
            messages[0].intent = Some(task.to_string());
            messages[0].confidence = None;
        }
        returns = outcome.returns;
        if let Some(customer) = outcome.verified_customer {
            record.customer_id.get_or_insert(customer);
        }
        let response_ms = started.elapsed().as_millis() as i64;
        for reply in &outcome.replies {
            let mut m = message(&record, state.next_seq(), now_ms, "bot", &reply.text);
            m.answered = Some(outcome.answered);
            m.response_ms = Some(response_ms);
            m.doc = serde_json::to_string(reply).unwrap_or_default();
            messages.push(m);
        }
        if let Some(reason) = outcome.handoff {
            record.status = ConversationStatus::Waiting.as_str().into();
            record.handoff_reason = Some(reason.as_str().into());
            record.handed_off_at_ms = Some(now_ms);
            handoff = Some(reason);
        }
        replies = outcome.replies;
    } else {
        state.remember(&understanding);
    }
    record.state = state.to_json();
    record.updated_at_ms = now_ms;
    record.version += 1;
    save(p, &record, expected, &messages, &returns).await?;
    Ok(ChatReply {
        conversation_id: record.conversation_id.clone(),
        status: ConversationStatus::parse(&record.status)?,
        replies,
        understood: understanding.summary(),
        handoff,
        last_seq: messages.last().map_or(0, |m| m.seq),
    })
}

/// A conversation's state and its messages after a sequence number.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Transcript {
    pub conversation: Conversation,
    pub messages: Vec<ChatMessage>,
}

pub async fn transcript(p: &Platform, conversation_id: &str, after_seq: i64) -> ServiceResult<Transcript> {
    Ok(Transcript {
        conversation: conversation(p, conversation_id).await?,
        messages: messages(p, conversation_id, after_seq).await?,
    })
}

/// What the agent desk shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Desk {
    /// Waiting for a person, longest waiting first.
    pub waiting: Vec<Conversation>,
    /// Held by agents, `agent`'s own first, then the longest held.
    pub with_agents: Vec<Conversation>,
    /// The assistant's conversations active in the last `live_minutes`, latest first.
    pub with_bot: Vec<Conversation>,
}

pub async fn desk(p: &Platform, agent: &str, live_minutes: i64, now: DateTime<Utc>) -> ServiceResult<Desk> {
    let mut waiting = conversations(p, &[ConversationStatus::Waiting], 500).await?;
    waiting.sort_by_key(|c| c.handed_off_at.unwrap_or(c.updated_at));
    let mut with_agents = conversations(p, &[ConversationStatus::Agent], 500).await?;
    with_agents.sort_by_key(|c| (c.agent.as_deref() != Some(agent), c.handed_off_at.unwrap_or(c.updated_at)));
    let since = now - chrono::Duration::minutes(live_minutes);
    let mut with_bot = conversations(p, &[ConversationStatus::Bot], 100).await?;
    with_bot.retain(|c| c.updated_at >= since);
    Ok(Desk { waiting, with_agents, with_bot })
}

/// A conversation and its messages after `after_seq`.
pub async fn messages(p: &Platform, conversation_id: &str, after_seq: i64) -> ServiceResult<Vec<ChatMessage>> {
    load(p, conversation_id).await?;
    let records = p.store.conversation_messages(conversation_id, after_seq, 500).await?;
    Ok(records.into_iter().map(ChatMessage::from_record).collect())
}

pub async fn conversation(p: &Platform, conversation_id: &str) -> ServiceResult<Conversation> {
    Conversation::from_record(&load(p, conversation_id).await?)
}

/// Conversations in the given states, most recently active first.
pub async fn conversations(
    p: &Platform,
    statuses: &[ConversationStatus],
    limit: u32,
) -> ServiceResult<Vec<Conversation>> {
    let query = ConversationQuery {
        statuses: statuses.iter().map(|s| s.as_str().to_string()).collect(),
        customer_id: None,
        limit,
    };
    p.store.list_conversations(&query).await?.iter().map(Conversation::from_record).collect()
}

/// What an agent does to a conversation.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentAction {
    /// Takes a waiting conversation (or one the assistant still holds).
    Claim,
    /// Answers the customer; the agent must own the conversation.
    Reply {
        text: String,
    },
    /// Gives the conversation back to the assistant.
    Release,
    Close,
}

/// Applies an agent's action; refuses one that does not fit the conversation's state.
pub async fn agent_act(
    p: &Platform,
    conversation_id: &str,
    agent: &str,
    action: &AgentAction,
    now: DateTime<Utc>,
) -> ServiceResult<Conversation> {
    let mut record = load(p, conversation_id).await?;
    let expected = record.version;
    let status = ConversationStatus::parse(&record.status)?;
    let now_ms = now.timestamp_millis();
    let mut state = dialogue::DialogueState::parse(&record.state)?;
    let lang = lang_of(&record.language);
    let owned_by_other = status == ConversationStatus::Agent && record.agent.as_deref() != Some(agent);
    let mut messages = Vec::new();
    let conflict = |what: &str| Err(ServiceError::Conflict(format!("conversation {conversation_id} {what}")));
    match action {
        AgentAction::Claim => {
            if status == ConversationStatus::Closed {
                return conflict("is closed");
            }
            if owned_by_other {
                return conflict(&format!("is already handled by {}", record.agent.as_deref().unwrap_or("")));
            }
            if record.handed_off_at_ms.is_none() {
                record.handed_off_at_ms = Some(now_ms);
                record.handoff_reason = Some(HandoffReason::AgentTookOver.as_str().into());
            }
            record.status = ConversationStatus::Agent.as_str().into();
            record.agent = Some(agent.into());
            let note = say::agent_joined(lang, agent);
            messages.push(message(&record, state.next_seq(), now_ms, "system", &note));
        }
        AgentAction::Reply { text } => {
            let text = check_message(text)?;
            if status != ConversationStatus::Agent || owned_by_other {
                return conflict("must be claimed by you before you reply");
            }
            record.agent_replied_at_ms.get_or_insert(now_ms);
            messages.push(message(&record, state.next_seq(), now_ms, "agent", &text));
        }
        AgentAction::Release => {
            if status != ConversationStatus::Agent || owned_by_other {
                return conflict("is not yours to hand back");
            }
            record.status = ConversationStatus::Bot.as_str().into();
            record.agent = None;
            state.reset_after_agent();
            let note = say::back_to_bot(lang);
            messages.push(message(&record, state.next_seq(), now_ms, "system", &note));
        }
        AgentAction::Close => {
            if status == ConversationStatus::Closed {
                return conflict("is already closed");
            }
            if owned_by_other {
                return conflict("is handled by another agent");
            }
            close_record(&mut record, &mut state, &mut messages, lang, now_ms);
        }
    }
    record.state = state.to_json();
    record.updated_at_ms = now_ms;
    record.version += 1;
    save(p, &record, Some(expected), &messages, &[]).await?;
    Conversation::from_record(&record)
}

fn close_record(
    record: &mut ConversationRecord,
    state: &mut dialogue::DialogueState,
    messages: &mut Vec<MessageRecord>,
    lang: Lang,
    now_ms: i64,
) {
    record.status = ConversationStatus::Closed.as_str().into();
    record.closed_at_ms = Some(now_ms);
    let note = say::closed(lang);
    messages.push(message(record, state.next_seq(), now_ms, "system", &note));
}

/// The customer's satisfaction rating (1–5), which also ends the conversation.
pub async fn rate(p: &Platform, conversation_id: &str, rating: i64, now: DateTime<Utc>) -> ServiceResult<Conversation> {
    if !(1..=5).contains(&rating) {
        return Err(invalid("rating", "must be 1 to 5"));
    }
    let mut record = load(p, conversation_id).await?;
    if record.rating.is_some() {
        return Err(ServiceError::Conflict(format!("conversation {conversation_id} is already rated")));
    }
    let expected = record.version;
    let mut state = dialogue::DialogueState::parse(&record.state)?;
    let lang = lang_of(&record.language);
    let now_ms = now.timestamp_millis();
    let mut messages = Vec::new();
    record.rating = Some(rating);
    if record.status != ConversationStatus::Closed.as_str() {
        close_record(&mut record, &mut state, &mut messages, lang, now_ms);
    }
    record.state = state.to_json();
    record.updated_at_ms = now_ms;
    record.version += 1;
    save(p, &record, Some(expected), &messages, &[]).await?;
    Conversation::from_record(&record)
}

/// A return or exchange request the assistant recorded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnRequest {
    pub request_id: String,
    pub conversation_id: Option<String>,
    pub order_id: String,
    pub customer_id: Option<String>,
    pub kind: String,
    /// `approved`, `pending_approval`, `refused` or `rejected`.
    pub status: String,
    pub refund_minor: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// The product, quantity, condition and the policy's reasons.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<ReturnRequestRecord> for ReturnRequest {
    fn from(r: ReturnRequestRecord) -> Self {
        Self {
            detail: serde_json::from_str(&r.doc).unwrap_or_default(),
            request_id: r.request_id,
            conversation_id: r.conversation_id,
            order_id: r.order_id,
            customer_id: r.customer_id,
            kind: r.kind,
            status: r.status,
            refund_minor: r.refund_minor,
            created_at: ms_to_time(r.created_at_ms),
            updated_at: ms_to_time(r.updated_at_ms),
            updated_by: r.updated_by,
        }
    }
}

pub async fn return_requests(p: &Platform, status: Option<&str>, limit: u32) -> ServiceResult<Vec<ReturnRequest>> {
    let query = ReturnQuery { status: status.map(str::to_string), limit, ..Default::default() };
    Ok(p.store.list_return_requests(&query).await?.into_iter().map(ReturnRequest::from).collect())
}

/// A person approves or rejects a request the policy sent to them.
pub async fn decide_return(p: &Platform, request_id: &str, approve: bool, by: &str) -> ServiceResult<()> {
    let to = if approve { "approved" } else { "rejected" };
    let at = Utc::now().timestamp_millis();
    if p.store.decide_return_request(request_id, "pending_approval", to, by, at).await? {
        Ok(())
    } else {
        Err(ServiceError::Conflict(format!("return request {request_id} is not waiting for approval")))
    }
}

/// The service's figures over a period, for the analytics page and API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssistantReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub conversations: i64,
    /// Share of conversations resolved without a person.
    pub automation_rate: f64,
    pub handoff_rate: f64,
    /// Mean milliseconds from a customer's message to the assistant's answer.
    pub bot_response_ms: f64,
    /// Mean seconds a handed-off customer waited for a person's first answer.
    pub agent_first_response_s: Option<f64>,
    /// Mean satisfaction (1–5) of rated conversations, and how many were rated.
    pub satisfaction: Option<f64>,
    pub rated: i64,
    pub days: Vec<ReportDay>,
    pub intents: Vec<Tally>,
    pub handoff_reasons: Vec<Tally>,
    /// Questions to improve the knowledge base with: unanswered or understood with low confidence.
    pub weak_questions: Vec<WeakQuestion>,
}

/// How often something happened.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Tally {
    pub key: String,
    pub count: i64,
}

fn tallies(pairs: Vec<(String, i64)>) -> Vec<Tally> {
    pairs.into_iter().map(|(key, count)| Tally { key, count }).collect()
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportDay {
    pub date: chrono::NaiveDate,
    pub conversations: i64,
    pub handed_off: i64,
    /// Mean sentiment of the customers' messages (-1 to 1).
    pub sentiment: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WeakQuestion {
    pub conversation_id: String,
    pub at: DateTime<Utc>,
    pub text: String,
    pub intent: Option<String>,
    pub confidence: Option<f64>,
}

/// Below this confidence a question counts as weakly understood.
const WEAK_CONFIDENCE: f64 = 0.5;

pub async fn report(p: &Platform, from: DateTime<Utc>, to: DateTime<Utc>) -> ServiceResult<AssistantReport> {
    if to <= from {
        return Err(invalid("to", "must be after from"));
    }
    let f: AssistantFigures =
        p.store.assistant_figures(from.timestamp_millis(), to.timestamp_millis(), WEAK_CONFIDENCE, 50).await?;
    let sum = |g: fn(&retail_store::ConversationDay) -> i64| f.days.iter().map(g).sum::<i64>();
    let conversations = sum(|d| d.conversations);
    let handed_off = sum(|d| d.handed_off);
    let rated = sum(|d| d.rated);
    let replies = sum(|d| d.bot_replies);
    let agent_answered = sum(|d| d.agent_answered);
    let ratio = |a: i64, b: i64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    let days = f
        .days
        .iter()
        .map(|d| {
            Ok(ReportDay {
                date: retail_store::day_date(d.day)?,
                conversations: d.conversations,
                handed_off: d.handed_off,
                sentiment: (d.customer_messages > 0).then(|| d.sentiment_sum / d.customer_messages as f64),
            })
        })
        .collect::<ServiceResult<Vec<_>>>()?;
    Ok(AssistantReport {
        from,
        to,
        conversations,
        automation_rate: if conversations > 0 { 1.0 - ratio(handed_off, conversations) } else { 0.0 },
        handoff_rate: ratio(handed_off, conversations),
        bot_response_ms: ratio(sum(|d| d.bot_response_ms), replies),
        agent_first_response_s: (agent_answered > 0).then(|| ratio(sum(|d| d.agent_wait_ms), agent_answered) / 1000.0),
        satisfaction: (rated > 0).then(|| ratio(sum(|d| d.rating_sum), rated)),
        rated,
        days,
        intents: tallies(f.intents),
        handoff_reasons: tallies(f.handoff_reasons),
        weak_questions: f
            .weak_messages
            .into_iter()
            .map(|m| WeakQuestion {
                conversation_id: m.conversation_id,
                at: ms_to_time(m.at_ms),
                text: m.body,
                intent: m.intent,
                confidence: m.confidence,
            })
            .collect(),
    })
}

/// Adds labelled examples and retrains the intent model of this process with them; other
/// replicas retrain within a minute (`EXAMPLES_CHECK`).
pub async fn add_examples(p: &Platform, examples: &[(String, String)], by: &str) -> ServiceResult<usize> {
    let labels = retail_language::builtin::intents().labels().to_vec();
    let mut records = Vec::with_capacity(examples.len());
    let now = Utc::now().timestamp_millis();
    for (i, (text, intent)) in examples.iter().enumerate() {
        let text = check_message(text).map_err(|_| invalid(&format!("[{i}].text"), "must be 1 to 2,000 characters"))?;
        if !labels.contains(intent) {
            return Err(invalid(&format!("[{i}].intent"), format!("{intent:?} is not one of {}", labels.join(", "))));
        }
        records.push(IntentExampleRecord {
            example_id: new_id("ex"),
            text,
            intent: intent.clone(),
            created_at_ms: now,
            created_by: by.into(),
        });
    }
    if records.is_empty() {
        return Err(invalid("examples", "at least one example is needed"));
    }
    p.store.add_intent_examples(&records).await?;
    let all = p.store.list_intent_examples().await?;
    p.assistant.keep(Arc::new(train_with(&all).await?), all.len());
    Ok(records.len())
}

/// Trains the built-in language models in the background when serving starts, so the first
/// customer does not wait for them.
pub fn spawn_warm_up() -> tokio::task::JoinHandle<()> {
    tokio::task::spawn_blocking(|| {
        retail_language::builtin::intents();
        retail_language::builtin::sentiment();
    })
}

/// Understands a message without a conversation: the intent model's view, for the console's
/// test box and the evaluation commands.
pub async fn understand(p: &Platform, text: &str) -> ServiceResult<Understanding> {
    let text = check_message(text)?;
    let knowledge = p.assistant.knowledge.get(p).await?;
    let intents = p.assistant.intents(p).await?;
    Ok(dialogue::understand(&intents, &knowledge, &text, detect_language(&text), Utc::now()).summary())
}
