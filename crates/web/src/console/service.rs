//! Customer-service pages: the agent desk (the queue, each conversation with its live transcript
//! and the owner's reply, hand-back and close), return requests waiting for a person, the
//! knowledge base the assistant answers from (list, editor, publishing, import) and the
//! assistant's analytics with a box to test the intent model and a form to teach it.
//!
//! Every text a customer wrote is escaped by the template; `desk.js` adds live messages with
//! `textContent` only.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use retail_app::assistant::{
    self, AgentAction, AssistantReport, ChatMessage, Conversation, ConversationStatus, Desk, ReturnRequest,
    Understanding,
};
use retail_app::import::{ImportFormat, ImportKind, ImportOptions, ImportReport};
use retail_app::{ServiceError, service};
use retail_domain::{EntityKind, KbArticle, ReturnReason, Text};
use retail_store::DocQuery;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::view::*;
use super::{Lang, Viewer, failed};
use crate::AppState;
use crate::access::{Area, Permission, urlencode};

/// The assistant's intents, in the order the example form offers them.
const INTENTS: &[&str] = &[
    "order_status",
    "cancel_order",
    "modify_order",
    "return_request",
    "exchange_request",
    "refund_status",
    "delivery_info",
    "payment_invoice",
    "membership_points",
    "account_issue",
    "price_promotion",
    "store_info",
    "stock_availability",
    "product_info",
    "product_recommendation",
    "complaint",
    "human_agent",
    "greeting",
    "goodbye_thanks",
    "out_of_scope",
];

/// The knowledge base's usual topics (the assistant looks answers up by them).
const TOPICS: &[&str] = &[
    "store_hours",
    "store_services",
    "delivery",
    "returns",
    "orders",
    "payment",
    "invoice",
    "gift_cards",
    "membership",
    "coupons",
    "pricing",
    "product_info",
    "account",
    "contact",
];

/// Ready answers an agent can send, in the conversation's language.
const CANNED: &[&str] = &[
    "svc.canned.greeting",
    "svc.canned.checking",
    "svc.canned.order_details",
    "svc.canned.apology",
    "svc.canned.refund_time",
    "svc.canned.anything_else",
];

const RETURN_STATUSES: &[&str] = &["pending_approval", "approved", "refused", "rejected"];

/// Assistant conversations active this recently are shown on the desk.
const LIVE_MINUTES: i64 = 60;
const KB_PAGE: u32 = 25;

/// The label `key` of a code (`svc.intent.order_status`), or the code itself when it has none.
fn label(lang: Lang, key: String, code: &str) -> String {
    lang.lookup(&key).map_or_else(|| code.to_string(), str::to_string)
}

fn intent_label(v: &Viewer, intent: &str) -> String {
    label(v.lang, format!("svc.intent.{intent}"), intent)
}

fn notice(tone: Tone, text: impl Into<String>) -> Block {
    Block::Notice(Notice { tone, text: text.into(), secret: None })
}

/// What the service layer refused, as a notice: the fields and what is wrong with them.
fn problem(e: &ServiceError) -> String {
    match e {
        ServiceError::Invalid(violations) => {
            violations.0.iter().map(|x| format!("{}: {}", x.field, x.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

fn problem_status(e: &ServiceError) -> StatusCode {
    match e {
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
        ServiceError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The notice after a POST-redirect-GET (`?done=…`); unknown values show nothing.
fn done_notice(v: &Viewer, q: &HashMap<String, String>) -> Option<Block> {
    let key = match q.get("done")?.as_str() {
        "claimed" => "svc.done.claimed",
        "replied" => "svc.done.replied",
        "released" => "svc.done.released",
        "closed" => "svc.done.closed",
        "approved" => "svc.done.approved",
        "rejected" => "svc.done.rejected",
        "example" => "svc.done.example",
        "saved" => "kb.done.saved",
        "published" => "kb.done.published",
        "unpublished" => "kb.done.unpublished",
        _ => return None,
    };
    Some(notice(Tone::Good, v.t(key)))
}

/// A page drawn in answer to a form (the form again with a notice) belongs at `url`: htmx shows
/// that address, so reloading it or going back finds the page rather than the form's target.
fn shown_at(mut response: Response, url: &str) -> Response {
    if let Ok(value) = axum::http::HeaderValue::from_str(url) {
        response.headers_mut().insert("hx-push-url", value);
    }
    response
}

fn short_id(id: &str) -> String {
    let tail = id.len().saturating_sub(8);
    if tail == 0 { id.to_string() } else { format!("…{}", &id[tail..]) }
}

/// A time span as a person reads it: "45 s", "12 min", "2 h 5 min".
fn span(v: &Viewer, seconds: i64) -> String {
    let s = seconds.max(0);
    if s < 60 {
        format!("{s} {}", v.t("svc.unit.seconds"))
    } else if s < 3600 {
        format!("{} {}", s / 60, v.t("svc.unit.minutes"))
    } else {
        format!("{} {} {} {}", s / 3600, v.t("svc.unit.hours"), (s % 3600) / 60, v.t("svc.unit.minutes"))
    }
}

fn sentiment_cell(x: f64) -> Cell {
    let tone = if x <= -0.3 {
        Tone::Bad
    } else if x < 0.0 {
        Tone::Warn
    } else if x >= 0.3 {
        Tone::Good
    } else {
        Tone::Plain
    };
    Cell::badge(format!("{x:+.2}"), tone)
}

fn status_badge(v: &Viewer, status: ConversationStatus) -> Cell {
    let tone = match status {
        ConversationStatus::Bot => Tone::Info,
        ConversationStatus::Waiting => Tone::Warn,
        ConversationStatus::Agent => Tone::Good,
        ConversationStatus::Closed => Tone::Plain,
    };
    Cell::badge(v.t(&format!("svc.status.{}", status.as_str())), tone)
}

fn language_label(v: &Viewer, code: &str) -> String {
    label(v.lang, format!("svc.lang.{code}"), code)
}

fn customer_cell(v: &Viewer, customer: &Option<String>) -> Cell {
    match customer {
        Some(id) if v.can(Permission::Read(Area::Customers)) => {
            Cell::link(id, format!("/console/customers/{}", urlencode(id)))
        }
        Some(id) => Cell::text(id),
        None => Cell::text(v.t("svc.anonymous")),
    }
}

fn conversation_href(id: &str) -> String {
    format!("/console/service/conversations/{}", urlencode(id))
}

/// A one-button form acting on a conversation.
fn act_form(id: &str, action: &str, label: &str, tone: Tone, confirm: Option<String>) -> Form {
    Form {
        action: format!("{}/actions", conversation_href(id)),
        fields: vec![Field::Hidden { name: "action".into(), value: action.into() }],
        submit: label.into(),
        confirm,
        tone,
    }
}

// ---------------------------------------------------------------------------------------------
// The desk

async fn queue(s: &AppState, me: &str) -> Result<Desk, ServiceError> {
    assistant::desk(&s.platform, me, LIVE_MINUTES, Utc::now()).await
}

/// Changes whenever a conversation joins, leaves or moves in the queue, or has a new turn.
fn signature(q: &Desk) -> String {
    let mut parts: Vec<String> = [&q.waiting, &q.with_agents, &q.with_bot]
        .into_iter()
        .flatten()
        .map(|c| {
            format!("{}:{}:{}:{}", c.conversation_id, c.status.as_str(), c.turns, c.agent.as_deref().unwrap_or(""))
        })
        .collect();
    parts.sort();
    let digest = Sha256::digest(parts.join(",").as_bytes());
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The queue's signature for `desk.js`, which reloads the desk when it changes.
pub async fn queue_state(State(s): State<AppState>, v: Viewer) -> Response {
    match queue(&s, &v.principal.actor()).await {
        Ok(q) => Json(serde_json::json!({ "signature": signature(&q), "waiting": q.waiting.len() })).into_response(),
        Err(e) => (problem_status(&e), Json(serde_json::json!({ "error": e.to_string() }))).into_response(),
    }
}

/// A column of the desk's tables.
#[derive(Clone, Copy)]
enum DeskColumn {
    Id,
    /// Since the handoff (or the last activity, for the assistant's own conversations).
    Waited,
    Agent,
    Intent,
    Sentiment,
    Reason,
    Language,
    Turns,
    Customer,
    /// The claim button, with its label.
    Claim(&'static str),
}

impl DeskColumn {
    fn label(self) -> &'static str {
        match self {
            Self::Id => "svc.conversation",
            Self::Waited => "svc.waited",
            Self::Agent => "svc.agent",
            Self::Intent => "svc.intent",
            Self::Sentiment => "svc.sentiment",
            Self::Reason => "svc.handoff_reason",
            Self::Language => "svc.language",
            Self::Turns => "svc.turns",
            Self::Customer => "svc.customer",
            Self::Claim(_) => "common.actions",
        }
    }
}

pub async fn desk(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let me = v.principal.actor();
    let queue = match queue(&s, &me).await {
        Ok(q) => q,
        Err(e) => return failed(&v, e),
    };
    let now = Utc::now();
    let can_act = v.can(Permission::Write(Area::Service));
    let waited = |c: &Conversation| (now - c.handed_off_at.unwrap_or(c.updated_at)).num_seconds();
    let mine = queue.with_agents.iter().filter(|c| c.agent.as_deref() == Some(me.as_str())).count();
    let kpis = vec![
        Kpi {
            label: v.t("svc.waiting").into(),
            value: grouped(queue.waiting.len() as u64),
            hint: queue
                .waiting
                .first()
                .map_or(String::new(), |c| format!("{} {}", v.t("svc.longest"), span(&v, waited(c)))),
        },
        Kpi {
            label: v.t("svc.with_agents").into(),
            value: grouped(queue.with_agents.len() as u64),
            hint: format!("{} {}", v.t("svc.yours"), mine),
        },
        Kpi {
            label: v.t("svc.with_bot").into(),
            value: grouped(queue.with_bot.len() as u64),
            hint: v.t("svc.live_hint").into(),
        },
    ];
    let cell = |c: &Conversation, column: DeskColumn| match column {
        DeskColumn::Id => Cell::link(short_id(&c.conversation_id), conversation_href(&c.conversation_id)),
        DeskColumn::Waited => Cell::Number(span(&v, waited(c))),
        DeskColumn::Agent => match c.agent.as_deref() {
            Some(agent) if agent == me => Cell::badge(format!("{agent} · {}", v.t("svc.you")), Tone::Good),
            agent => Cell::text(agent.unwrap_or_default()),
        },
        DeskColumn::Intent => Cell::text(c.last_intent.as_deref().map_or("—".into(), |i| intent_label(&v, i))),
        DeskColumn::Sentiment => sentiment_cell(c.sentiment),
        DeskColumn::Reason => {
            Cell::text(c.handoff_reason.as_deref().map_or("—".into(), |r| label(v.lang, format!("svc.handoff.{r}"), r)))
        }
        DeskColumn::Language => Cell::text(language_label(&v, &c.language)),
        DeskColumn::Turns => Cell::Number(c.turns.to_string()),
        DeskColumn::Customer => customer_cell(&v, &c.customer_id),
        DeskColumn::Claim(key) if can_act => {
            Cell::Action(Box::new(act_form(&c.conversation_id, "claim", v.t(key), Tone::Info, None)))
        }
        DeskColumn::Claim(_) => Cell::Empty,
    };
    let table = |rows: &[Conversation], columns: &[DeskColumn], empty: &str| {
        let mut t = Table::new(columns.iter().map(|c| v.t(c.label()).to_string()).collect(), v.t(empty)).numeric(
            &columns
                .iter()
                .enumerate()
                .filter(|(_, c)| matches!(c, DeskColumn::Waited | DeskColumn::Turns))
                .map(|(i, _)| i)
                .collect::<Vec<_>>(),
        );
        t.rows = rows.iter().map(|c| columns.iter().map(|col| cell(c, *col)).collect()).collect();
        t
    };
    use DeskColumn as D;
    let waiting = table(
        &queue.waiting,
        &[
            D::Id,
            D::Waited,
            D::Intent,
            D::Sentiment,
            D::Reason,
            D::Language,
            D::Turns,
            D::Customer,
            D::Claim("svc.claim"),
        ],
        "svc.no_waiting",
    );
    let agents = table(
        &queue.with_agents,
        &[D::Id, D::Agent, D::Waited, D::Intent, D::Sentiment, D::Reason, D::Language, D::Turns, D::Customer],
        "svc.no_agent_conversations",
    );
    let bot = table(
        &queue.with_bot,
        &[D::Id, D::Waited, D::Intent, D::Sentiment, D::Language, D::Turns, D::Customer, D::Claim("svc.take_over")],
        "svc.no_bot_conversations",
    );
    let mut top = Card::new("", Width::Full);
    if let Some(n) = done_notice(&v, &q) {
        top = top.block(n);
    }
    top = top
        .block(Block::Kpis(kpis))
        .block(Block::AutoRefresh { url: "/console/service/queue".into(), signature: signature(&queue) });
    v.page(v.t("nav.desk"))
        .subtitle(v.t("svc.desk_subtitle"))
        .card(top)
        .card(Card::new(v.t("svc.queue_waiting"), Width::Full).block(Block::Table(waiting)))
        .card(Card::new(v.t("svc.queue_agents"), Width::Full).block(Block::Table(agents)))
        .card(Card::new(v.t("svc.queue_bot"), Width::Full).block(Block::Table(bot)))
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// One conversation

/// What `desk.js` needs to label messages that arrive while the page is open.
fn transcript_labels(v: &Viewer) -> String {
    let intents: serde_json::Map<String, serde_json::Value> =
        INTENTS.iter().map(|i| (i.to_string(), intent_label(v, i).into())).collect();
    serde_json::json!({
        "senders": {
            "customer": v.t("svc.sender.customer"),
            "bot": v.t("svc.sender.bot"),
            "agent": v.t("svc.sender.agent"),
            "system": v.t("svc.sender.system"),
        },
        "intent": v.t("svc.intent"),
        "confidence": v.t("svc.confidence"),
        "sentiment": v.t("svc.sentiment"),
        "sources": v.t("svc.sources"),
        "intents": intents,
        "status_changed": v.t("svc.status_changed"),
    })
    .to_string()
}

fn utterance(v: &Viewer, m: &ChatMessage) -> Utterance {
    let sender = match m.sender.as_str() {
        s @ ("customer" | "bot" | "agent" | "system") => s,
        _ => "system",
    };
    let mut notes = Vec::new();
    if let Some(intent) = &m.intent {
        notes.push(format!("{}: {}", v.t("svc.intent"), intent_label(v, intent)));
    }
    if let Some(c) = m.confidence {
        notes.push(format!("{} {c:.2}", v.t("svc.confidence")));
    }
    if let Some(s) = m.sentiment {
        notes.push(format!("{} {s:+.2}", v.t("svc.sentiment")));
    }
    let sources = m
        .detail
        .iter()
        .flat_map(|d| &d.sources)
        .map(|s| (s.title.clone(), format!("/console/knowledge/{}", urlencode(&s.article_id))))
        .collect();
    Utterance {
        seq: m.seq,
        sender: sender.into(),
        who: v.t(&format!("svc.sender.{sender}")).into(),
        at: date(m.at),
        text: m.text.clone(),
        notes,
        sources,
        sources_label: v.t("svc.sources").into(),
    }
}

fn transcript(v: &Viewer, c: &Conversation, messages: &[ChatMessage]) -> Transcript {
    let stream = if c.status == ConversationStatus::Closed {
        String::new()
    } else {
        format!("/api/v1/assistant/conversations/{}/events", urlencode(&c.conversation_id))
    };
    Transcript {
        stream,
        after: messages.last().map_or(0, |m| m.seq),
        status: c.status.as_str().into(),
        messages: messages.iter().map(|m| utterance(v, m)).collect(),
        labels: transcript_labels(v),
        empty: v.t("svc.no_messages").into(),
    }
}

fn facts(v: &Viewer, c: &Conversation) -> Vec<(String, Cell)> {
    let text = |s: String| Cell::Text(s);
    vec![
        (v.t("common.status").into(), status_badge(v, c.status)),
        (v.t("svc.customer").into(), customer_cell(v, &c.customer_id)),
        (v.t("svc.agent").into(), text(c.agent.clone().unwrap_or_else(|| "—".into()))),
        (
            v.t("svc.handoff_reason").into(),
            text(c.handoff_reason.as_deref().map_or("—".into(), |r| label(v.lang, format!("svc.handoff.{r}"), r))),
        ),
        (v.t("svc.rating").into(), text(c.rating.map_or("—".into(), |r| format!("{r} / 5")))),
        (v.t("svc.intent").into(), text(c.last_intent.as_deref().map_or("—".into(), |i| intent_label(v, i)))),
        (v.t("svc.sentiment").into(), sentiment_cell(c.sentiment)),
        (v.t("svc.language").into(), text(language_label(v, &c.language))),
        (v.t("svc.channel").into(), text(label(v.lang, format!("svc.channel.{}", &c.channel), &c.channel))),
        (v.t("svc.turns").into(), Cell::Number(c.turns.to_string())),
        (v.t("svc.started").into(), text(date(c.started_at))),
        (v.t("svc.last_activity").into(), text(date(c.updated_at))),
    ]
}

/// The reply box with the canned answers, in the customer's language.
fn reply_form(v: &Viewer, c: &Conversation, draft: &str) -> Form {
    let customer_lang = Lang::parse(&c.language).unwrap_or(Lang::Zh);
    let mut options = vec![(String::new(), v.t("svc.canned.pick").to_string())];
    options.extend(CANNED.iter().map(|k| (customer_lang.t(k).to_string(), customer_lang.t(k).to_string())));
    Form {
        action: format!("{}/actions", conversation_href(&c.conversation_id)),
        fields: vec![
            Field::Hidden { name: "action".into(), value: "reply".into() },
            Field::TextArea {
                name: "text".into(),
                label: v.t("svc.reply").into(),
                value: draft.into(),
                rows: 3,
                required: false,
            },
            Field::Canned {
                select: Select {
                    name: "canned".into(),
                    label: v.t("svc.canned").into(),
                    options,
                    selected: String::new(),
                },
                target: "text".into(),
            },
        ],
        submit: v.t("svc.send").into(),
        confirm: None,
        tone: Tone::Info,
    }
}

async fn conversation_page(
    s: &AppState,
    v: &Viewer,
    id: &str,
    top: Option<Block>,
    draft: &str,
    status: StatusCode,
) -> Response {
    let (c, messages) = match assistant::transcript(&s.platform, id, 0).await {
        Ok(t) => (t.conversation, t.messages),
        Err(e) => return failed(v, e),
    };
    let me = v.principal.actor();
    let mine = c.status == ConversationStatus::Agent && c.agent.as_deref() == Some(me.as_str());
    let can_act = v.can(Permission::Write(Area::Service));
    let mut talk = Card::new(v.t("svc.transcript"), Width::Half);
    if let Some(block) = top {
        talk = talk.block(block);
    }
    talk = talk.block(Block::Transcript(transcript(v, &c, &messages)));
    let mut side = Card::new(v.t("svc.conversation"), Width::Half).block(Block::Facts(facts(v, &c)));
    if can_act {
        match c.status {
            ConversationStatus::Waiting | ConversationStatus::Bot => {
                let key = if c.status == ConversationStatus::Waiting { "svc.claim" } else { "svc.take_over" };
                side = side.block(Block::Form(act_form(id, "claim", v.t(key), Tone::Info, None)));
            }
            ConversationStatus::Agent if mine => {
                talk = talk.block(Block::Form(reply_form(v, &c, draft)));
                side = side.block(Block::Form(act_form(id, "release", v.t("svc.release"), Tone::Plain, None)));
            }
            ConversationStatus::Agent => {
                let who = c.agent.clone().unwrap_or_default();
                side = side.block(notice(Tone::Info, format!("{} {who}", v.t("svc.handled_by"))));
            }
            ConversationStatus::Closed => {}
        }
        let others = c.status == ConversationStatus::Agent && !mine;
        if c.status != ConversationStatus::Closed && !others {
            let confirm = Some(v.t("svc.close_confirm").to_string());
            side = side.block(Block::Form(act_form(id, "close", v.t("svc.close"), Tone::Bad, confirm)));
        }
    }
    v.page(format!("{} {}", v.t("svc.conversation"), short_id(id)))
        .subtitle(v.t("svc.conversation_subtitle"))
        .card(talk)
        .card(side)
        .render_with(status)
}

pub async fn conversation(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let top = done_notice(&v, &q);
    conversation_page(&s, &v, &id, top, "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    canned: String,
}

pub async fn act(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    let text = if f.text.trim().is_empty() { f.canned.clone() } else { f.text.replace("\r\n", "\n") };
    let (action, done) = match f.action.as_str() {
        "claim" => (AgentAction::Claim, "claimed"),
        "reply" => (AgentAction::Reply { text: text.clone() }, "replied"),
        "release" => (AgentAction::Release, "released"),
        "close" => (AgentAction::Close, "closed"),
        other => {
            return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown action {other:?}"));
        }
    };
    match assistant::agent_act(&s.platform, &id, &v.principal.actor(), &action, Utc::now()).await {
        // Handing back or closing ends the agent's part: back to the queue.
        Ok(_) if matches!(action, AgentAction::Release | AgentAction::Close) => {
            Redirect::to(&format!("/console/service?done={done}")).into_response()
        }
        Ok(_) => Redirect::to(&format!("{}?done={done}", conversation_href(&id))).into_response(),
        Err(e @ ServiceError::NotFound { .. }) => failed(&v, e),
        // Refused (claimed by someone else meanwhile, closed, an empty reply): say why on the
        // conversation, keeping what was typed.
        Err(e) => {
            let draft = if matches!(action, AgentAction::Reply { .. }) { f.text.as_str() } else { "" };
            let page =
                conversation_page(&s, &v, &id, Some(notice(Tone::Bad, problem(&e))), draft, problem_status(&e)).await;
            shown_at(page, &conversation_href(&id))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Return requests

fn return_status_badge(v: &Viewer, status: &str) -> Cell {
    let tone = match status {
        "approved" => Tone::Good,
        "pending_approval" => Tone::Warn,
        "refused" | "rejected" => Tone::Bad,
        _ => Tone::Plain,
    };
    Cell::badge(label(v.lang, format!("svc.return_status.{status}"), status), tone)
}

fn reason_text(v: &Viewer, r: &ReturnReason) -> String {
    let t = |k: &str| v.t(k).to_string();
    match r {
        ReturnReason::NotDelivered { status } => {
            format!(
                "{} ({})",
                t("svc.return_reason.not_delivered"),
                serde_json::to_value(status).unwrap_or_default().as_str().unwrap_or("")
            )
        }
        ReturnReason::AlreadyReturned => t("svc.return_reason.already_returned"),
        ReturnReason::WindowPassed { days, window_days } => {
            format!("{} ({days} > {window_days} {})", t("svc.return_reason.window_passed"), t("unit.days"))
        }
        ReturnReason::ExcludedCategory { category_id } => {
            format!("{} ({category_id})", t("svc.return_reason.excluded_category"))
        }
        ReturnReason::Opened => t("svc.return_reason.opened"),
        ReturnReason::NotOnOrder { product_id } => format!("{} ({product_id})", t("svc.return_reason.not_on_order")),
        ReturnReason::TooMany { ordered, requested } => {
            format!("{} ({requested} > {ordered})", t("svc.return_reason.too_many"))
        }
        ReturnReason::AboveApprovalLimit { limit_minor } => {
            format!("{} ({})", t("svc.return_reason.above_approval_limit"), yuan(*limit_minor))
        }
    }
}

fn decision_form(v: &Viewer, r: &ReturnRequest, approve: bool) -> Cell {
    let (key, tone) = if approve { ("svc.approve", Tone::Good) } else { ("svc.reject", Tone::Bad) };
    Cell::Action(Box::new(Form {
        action: format!("/console/service/returns/{}/decision", urlencode(&r.request_id)),
        fields: vec![Field::Hidden { name: "approve".into(), value: approve.to_string() }],
        submit: v.t(key).into(),
        confirm: (!approve).then(|| v.t("svc.reject_confirm").to_string()),
        tone,
    }))
}

async fn returns_page(
    s: &AppState,
    v: &Viewer,
    q: &HashMap<String, String>,
    top: Option<Block>,
    status_code: StatusCode,
) -> Response {
    let status = q.get("status").filter(|x| RETURN_STATUSES.contains(&x.as_str())).cloned();
    let list = match assistant::return_requests(&s.platform, status.as_deref(), 200).await {
        Ok(l) => l,
        Err(e) => return failed(v, e),
    };
    let can_act = v.can(Permission::Write(Area::Service));
    let mut columns = v.labels(&[
        "svc.request",
        "svc.order",
        "svc.customer",
        "svc.kind",
        "common.status",
        "svc.refund",
        "common.product",
        "svc.reasons",
        "common.created",
        "svc.conversation",
        "common.actions",
    ]);
    columns.push(String::new());
    let mut table = Table::new(columns, v.t("svc.no_returns")).numeric(&[5]);
    for r in &list {
        let reasons: Vec<ReturnReason> = serde_json::from_value(r.detail["reasons"].clone()).unwrap_or_default();
        let reasons: Vec<String> = reasons.iter().map(|x| reason_text(v, x)).collect();
        let product = match (r.detail["product_id"].as_str(), r.detail["quantity"].as_i64()) {
            (Some(p), Some(n)) => format!("{p} × {n}"),
            (Some(p), None) => p.to_string(),
            _ => "—".into(),
        };
        let condition = r.detail["condition"].as_str().map(|c| label(v.lang, format!("svc.condition.{c}"), c));
        let product = match condition {
            Some(c) => format!("{product} · {c}"),
            None => product,
        };
        let pending = r.status == "pending_approval" && can_act;
        table.rows.push(vec![
            Cell::text(short_id(&r.request_id)),
            Cell::link(&r.order_id, format!("/console/orders/{}", urlencode(&r.order_id))),
            customer_cell(v, &r.customer_id),
            Cell::text(label(v.lang, format!("svc.return_kind.{}", &r.kind), &r.kind)),
            return_status_badge(v, &r.status),
            Cell::Number(yuan(r.refund_minor)),
            Cell::text(product),
            Cell::text(if reasons.is_empty() { "—".into() } else { reasons.join("; ") }),
            Cell::text(date(r.created_at)),
            r.conversation_id.as_ref().map_or(Cell::Empty, |c| Cell::link(short_id(c), conversation_href(c))),
            if pending { decision_form(v, r, true) } else { Cell::Empty },
            if pending { decision_form(v, r, false) } else { Cell::Empty },
        ]);
    }
    let mut options = vec![(String::new(), v.t("common.all").to_string())];
    options.extend(RETURN_STATUSES.iter().map(|s| (s.to_string(), label(v.lang, format!("svc.return_status.{s}"), s))));
    let filters = Block::Filters(Filters {
        action: "/console/service/returns".into(),
        search: None,
        selects: vec![Select {
            name: "status".into(),
            label: v.t("common.status").into(),
            options,
            selected: status.unwrap_or_default(),
        }],
        submit: v.t("common.filter").into(),
    });
    let mut card = Card::new(v.t("nav.returns"), Width::Full);
    if let Some(block) = top {
        card = card.block(block);
    }
    v.page(v.t("nav.returns"))
        .subtitle(v.t("svc.returns_subtitle"))
        .card(card.block(filters).block(Block::Table(table)))
        .render_with(status_code)
}

pub async fn returns(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let top = done_notice(&v, &q);
    returns_page(&s, &v, &q, top, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    approve: bool,
}

pub async fn decide_return(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<DecisionForm>,
) -> Response {
    match assistant::decide_return(&s.platform, &id, f.approve, &v.principal.actor()).await {
        Ok(()) => {
            let done = if f.approve { "approved" } else { "rejected" };
            Redirect::to(&format!("/console/service/returns?done={done}")).into_response()
        }
        Err(e) => {
            let top = Some(notice(Tone::Bad, problem(&e)));
            let page = returns_page(&s, &v, &HashMap::new(), top, problem_status(&e)).await;
            shown_at(page, "/console/service/returns")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Analytics

const PERIODS: [i64; 3] = [7, 30, 90];

fn percent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn intent_select(v: &Viewer, name: &str, selected: &str) -> Select {
    Select {
        name: name.into(),
        label: v.t("svc.intent").into(),
        options: INTENTS.iter().map(|i| (i.to_string(), format!("{} ({i})", intent_label(v, i)))).collect(),
        selected: selected.into(),
    }
}

fn report_cards(v: &Viewer, r: &AssistantReport, can_teach: bool) -> Vec<Card> {
    let kpis = vec![
        Kpi {
            label: v.t("svc.conversations").into(),
            value: grouped(r.conversations.max(0) as u64),
            hint: String::new(),
        },
        Kpi {
            label: v.t("svc.automation_rate").into(),
            value: percent(r.automation_rate),
            hint: v.t("svc.automation_hint").into(),
        },
        Kpi { label: v.t("svc.handoff_rate").into(), value: percent(r.handoff_rate), hint: String::new() },
        Kpi {
            label: v.t("svc.bot_response").into(),
            value: format!("{:.0} ms", r.bot_response_ms),
            hint: v.t("svc.bot_response_hint").into(),
        },
        Kpi {
            label: v.t("svc.agent_first_response").into(),
            value: r.agent_first_response_s.map_or("—".into(), |s| span(v, s.round() as i64)),
            hint: v.t("svc.agent_first_response_hint").into(),
        },
        Kpi {
            label: v.t("svc.satisfaction").into(),
            value: r.satisfaction.map_or("—".into(), |x| format!("{x:.2} / 5")),
            hint: format!("{} {}", r.rated, v.t("svc.rated")),
        },
    ];
    let days: Vec<String> = r.days.iter().map(|d| d.date.format("%m-%d").to_string()).collect();
    // A line of one or two days shows nothing: bars until there is a trend to draw.
    let trend = if r.days.len() < 3 { ChartKind::Bar } else { ChartKind::Line };
    let volume = Chart::new(ChartKind::Bar, v.t("common.day"), v.t("svc.conversations"))
        .categories(days.clone())
        .series(v.t("svc.conversations"), r.days.iter().map(|d| d.conversations as f64).collect())
        .series(v.t("svc.handed_off"), r.days.iter().map(|d| d.handed_off as f64).collect());
    let mood = Chart::new(trend, v.t("common.day"), v.t("svc.sentiment_axis"))
        .categories(days)
        .series(v.t("svc.sentiment"), r.days.iter().map(|d| d.sentiment.unwrap_or(f64::NAN)).collect());
    let intents = Chart::new(ChartKind::Hbar, v.t("svc.intent"), v.t("svc.messages"))
        .categories(r.intents.iter().map(|t| intent_label(v, &t.key)).collect())
        .series(v.t("svc.messages"), r.intents.iter().map(|t| t.count as f64).collect())
        .height((r.intents.len() as u32 * 26).clamp(220, 560));
    let reasons = Chart::new(ChartKind::Pie, "", v.t("svc.conversations"))
        .categories(r.handoff_reasons.iter().map(|t| label(v.lang, format!("svc.handoff.{}", t.key), &t.key)).collect())
        .series(v.t("svc.conversations"), r.handoff_reasons.iter().map(|t| t.count as f64).collect());

    let mut columns = v.labels(&["svc.asked", "svc.question", "svc.intent", "svc.confidence", "svc.conversation"]);
    if can_teach {
        columns.push(v.t("svc.teach").into());
    }
    let mut weak = Table::new(columns, v.t("svc.no_weak_questions")).numeric(&[3]);
    for w in &r.weak_questions {
        let mut row = vec![
            Cell::text(date(w.at)),
            Cell::text(&w.text),
            Cell::text(w.intent.as_deref().map_or("—".into(), |i| intent_label(v, i))),
            Cell::Number(w.confidence.map_or("—".into(), |c| format!("{c:.2}"))),
            Cell::link(short_id(&w.conversation_id), conversation_href(&w.conversation_id)),
        ];
        if can_teach {
            row.push(Cell::Action(Box::new(Form {
                action: "/console/service/examples".into(),
                fields: vec![
                    Field::Hidden { name: "text".into(), value: w.text.clone() },
                    Field::Select(intent_select(v, "intent", w.intent.as_deref().unwrap_or("out_of_scope"))),
                ],
                submit: v.t("svc.add_example").into(),
                confirm: None,
                tone: Tone::Plain,
            })));
        }
        weak.rows.push(row);
    }
    vec![
        Card::new("", Width::Full).block(Block::Kpis(kpis)),
        Card::new(v.t("svc.volume_chart"), Width::Half).block(Block::Chart(volume)),
        Card::new(v.t("svc.sentiment_chart"), Width::Half).block(Block::Chart(mood)),
        Card::new(v.t("svc.intents_chart"), Width::Half).block(Block::Chart(intents)),
        Card::new(v.t("svc.handoff_chart"), Width::Half).block(Block::Chart(reasons)),
        Card::new(v.t("svc.weak_questions"), Width::Full)
            .block(notice(Tone::Plain, v.t("svc.weak_questions_hint")))
            .block(Block::Table(weak)),
    ]
}

fn understanding_facts(v: &Viewer, u: &Understanding) -> Vec<(String, Cell)> {
    let list = |x: &[String]| if x.is_empty() { "—".to_string() } else { x.join(", ") };
    vec![
        (v.t("svc.intent").into(), Cell::text(format!("{} ({})", intent_label(v, &u.intent), u.intent))),
        (v.t("svc.confidence").into(), Cell::Number(format!("{:.2}", u.confidence))),
        (
            v.t("svc.in_scope").into(),
            Cell::badge(
                v.t(if u.in_scope { "common.yes" } else { "common.no" }),
                if u.in_scope { Tone::Good } else { Tone::Warn },
            ),
        ),
        (v.t("svc.sentiment").into(), sentiment_cell(u.sentiment)),
        (v.t("svc.language").into(), Cell::text(language_label(v, &u.language))),
        (v.t("svc.order_ids").into(), Cell::text(list(&u.order_ids))),
        (v.t("common.product").into(), Cell::text(list(&u.products))),
        (v.t("svc.stores").into(), Cell::text(list(&u.stores))),
    ]
}

/// What was typed into the example form, kept when it is refused.
struct ExampleDraft {
    text: String,
    intent: String,
}

async fn analytics_page(
    s: &AppState,
    v: &Viewer,
    q: &HashMap<String, String>,
    top: Option<Block>,
    draft: Option<ExampleDraft>,
    status: StatusCode,
) -> Response {
    let days = q.get("days").and_then(|d| d.parse::<i64>().ok()).filter(|d| PERIODS.contains(d)).unwrap_or(30);
    let now = Utc::now();
    let report = match assistant::report(&s.platform, now - Duration::days(days), now).await {
        Ok(r) => r,
        Err(e) => return failed(v, e),
    };
    let can_teach = v.can(Permission::Write(Area::Service));
    let period = |name: &str| Select {
        name: name.into(),
        label: v.t("svc.period").into(),
        options: PERIODS.iter().map(|d| (d.to_string(), format!("{d} {}", v.t("unit.days")))).collect(),
        selected: days.to_string(),
    };
    let mut head = Card::new("", Width::Full);
    if let Some(block) = top {
        head = head.block(block);
    }
    head = head.block(Block::Filters(Filters {
        action: "/console/service/analytics".into(),
        search: None,
        selects: vec![period("days")],
        submit: v.t("common.filter").into(),
    }));
    let mut page = v.page(v.t("nav.service_analytics")).subtitle(v.t("svc.analytics_subtitle")).card(head);
    for card in report_cards(v, &report, can_teach) {
        page = page.card(card);
    }

    let text = q.get("text").map(|t| t.trim().to_string()).unwrap_or_default();
    let mut test = Card::new(v.t("svc.test_model"), Width::Half).block(Block::Filters(Filters {
        action: "/console/service/analytics".into(),
        search: Some(("text".into(), text.clone())),
        selects: vec![period("days")],
        submit: v.t("svc.understand").into(),
    }));
    if text.is_empty() {
        test = test.block(notice(Tone::Plain, v.t("svc.test_hint")));
    } else {
        test = match assistant::understand(&s.platform, &text).await {
            Ok(u) => test.block(Block::Facts(understanding_facts(v, &u))),
            Err(e) => test.block(notice(Tone::Bad, problem(&e))),
        };
    }
    page = page.card(test);
    if can_teach {
        let draft = draft.unwrap_or(ExampleDraft { text: String::new(), intent: "order_status".into() });
        page = page.card(
            Card::new(v.t("svc.add_example_title"), Width::Half)
                .block(notice(Tone::Plain, v.t("svc.add_example_hint")))
                .block(Block::Form(Form {
                    action: "/console/service/examples".into(),
                    fields: vec![
                        Field::Text {
                            name: "text".into(),
                            label: v.t("svc.question").into(),
                            value: draft.text,
                            required: true,
                        },
                        Field::Select(intent_select(v, "intent", &draft.intent)),
                    ],
                    submit: v.t("svc.add_example").into(),
                    confirm: None,
                    tone: Tone::Info,
                })),
        );
    }
    page.render_with(status)
}

pub async fn analytics(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let top = done_notice(&v, &q);
    analytics_page(&s, &v, &q, top, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ExampleForm {
    text: String,
    intent: String,
}

pub async fn add_example(State(s): State<AppState>, v: Viewer, axum::Form(f): axum::Form<ExampleForm>) -> Response {
    let pair = [(f.text.trim().to_string(), f.intent.clone())];
    match assistant::add_examples(&s.platform, &pair, &v.principal.actor()).await {
        Ok(_) => Redirect::to("/console/service/analytics?done=example").into_response(),
        Err(e) => {
            let top = Some(notice(Tone::Bad, problem(&e)));
            let draft = ExampleDraft { text: f.text, intent: f.intent };
            let page = analytics_page(&s, &v, &HashMap::new(), top, Some(draft), problem_status(&e)).await;
            shown_at(page, "/console/service/analytics")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Knowledge base

fn topic_label(v: &Viewer, topic: &str) -> String {
    label(v.lang, format!("kb.topic.{topic}"), topic)
}

fn article_href(id: &str) -> String {
    format!("/console/knowledge/{}", urlencode(id))
}

fn published_badge(v: &Viewer, published: bool) -> Cell {
    if published { Cell::badge(v.t("kb.published"), Tone::Good) } else { Cell::badge(v.t("kb.draft"), Tone::Plain) }
}

fn publish_form(v: &Viewer, id: &str, published: bool) -> Form {
    Form {
        action: format!("{}/published", article_href(id)),
        fields: vec![Field::Hidden { name: "published".into(), value: (!published).to_string() }],
        submit: v.t(if published { "kb.unpublish" } else { "kb.publish" }).into(),
        confirm: None,
        tone: if published { Tone::Plain } else { Tone::Good },
    }
}

/// The import box: pasted (or picked) JSON lines or CSV, in the API import's format.
fn import_form(v: &Viewer, format: &str, data: &str) -> Form {
    Form {
        action: "/console/knowledge/import".into(),
        fields: vec![
            Field::Select(Select {
                name: "format".into(),
                label: v.t("kb.format").into(),
                options: vec![("jsonl".into(), "JSON lines".into()), ("csv".into(), "CSV".into())],
                selected: format.into(),
            }),
            Field::FileText {
                target: "data".into(),
                label: v.t("kb.file").into(),
                accept: ".jsonl,.ndjson,.json,.csv,text/csv".into(),
            },
            Field::TextArea {
                name: "data".into(),
                label: v.t("kb.import_data").into(),
                value: data.into(),
                rows: 6,
                required: true,
            },
        ],
        submit: v.t("kb.import").into(),
        confirm: None,
        tone: Tone::Info,
    }
}

async fn knowledge_page(
    s: &AppState,
    v: &Viewer,
    mut params: HashMap<String, String>,
    top: Option<Block>,
    import: (&str, &str),
    status: StatusCode,
) -> Response {
    params.retain(|k, value| !value.trim().is_empty() && ["q", "topic", "published", "after"].contains(&k.as_str()));
    let after = params.remove("after");
    let mut filters: Vec<(String, String)> = Vec::new();
    if let Some(t) = params.get("topic") {
        filters.push(("topic".into(), t.clone()));
    }
    if let Some(p) = params.get("published").filter(|p| *p == "true" || *p == "false") {
        filters.push(("published".into(), p.clone()));
    }
    let query = DocQuery { search: params.get("q").cloned(), filters, after: after.clone(), limit: KB_PAGE };
    let page = match service::list(&s.platform, EntityKind::KbArticle, &query).await {
        Ok(p) => p,
        Err(e) => return failed(v, e),
    };
    let can_write = v.can(Permission::Write(Area::Knowledge));
    let mut columns = v.labels(&["common.id", "kb.title", "kb.topic", "kb.tags", "common.status", "kb.updated"]);
    if can_write {
        columns.push(v.t("common.actions").into());
    }
    let mut table = Table::new(columns, v.t("kb.none"));
    let mut topics: Vec<String> = TOPICS.iter().map(|t| t.to_string()).collect();
    for d in &page.items {
        let Ok(a) = serde_json::from_value::<KbArticle>(d.doc.clone()) else { continue };
        if !topics.contains(&a.topic) {
            topics.push(a.topic.clone());
        }
        let mut row = vec![
            Cell::link(&a.external_id, article_href(&a.external_id)),
            Cell::text(v.lang.pick(&a.title)),
            Cell::text(topic_label(v, &a.topic)),
            Cell::text(a.tags.join(", ")),
            published_badge(v, a.published),
            Cell::text(when(chrono::DateTime::from_timestamp_millis(d.updated_at_ms))),
        ];
        if can_write {
            row.push(Cell::Action(Box::new(publish_form(v, &a.external_id, a.published))));
        }
        table.rows.push(row);
    }
    if let Some(t) = params.get("topic").filter(|t| !topics.contains(t)) {
        topics.push(t.clone());
    }
    let base: String = params.iter().map(|(k, val)| format!("&{k}={}", urlencode(val))).collect();
    let pager = Pager {
        first: after.is_some().then(|| format!("/console/knowledge?{}", base.trim_start_matches('&'))),
        next: page.next_cursor.map(|c| format!("/console/knowledge?after={}{base}", urlencode(&c))),
        first_label: v.t("common.first").into(),
        next_label: v.t("common.next").into(),
    };
    let mut topic_options = vec![(String::new(), v.t("common.all").to_string())];
    topic_options.extend(topics.iter().map(|t| (t.clone(), topic_label(v, t))));
    let bar = Block::Filters(Filters {
        action: "/console/knowledge".into(),
        search: Some(("q".into(), params.get("q").cloned().unwrap_or_default())),
        selects: vec![
            Select {
                name: "topic".into(),
                label: v.t("kb.topic").into(),
                options: topic_options,
                selected: params.get("topic").cloned().unwrap_or_default(),
            },
            Select {
                name: "published".into(),
                label: v.t("common.status").into(),
                options: vec![
                    (String::new(), v.t("common.all").into()),
                    ("true".into(), v.t("kb.published").into()),
                    ("false".into(), v.t("kb.draft").into()),
                ],
                selected: params.get("published").cloned().unwrap_or_default(),
            },
        ],
        submit: v.t("common.search").into(),
    });
    let mut list = Card::new(v.t("nav.knowledge"), Width::Full);
    if let Some(block) = top {
        list = list.block(block);
    }
    if can_write {
        list = list.block(Block::Links(vec![(v.t("kb.new").into(), "/console/knowledge/new".into())]));
    }
    list = list.block(bar).block(Block::Table(table)).block(Block::Pager(pager));
    let mut out = v.page(v.t("nav.knowledge")).subtitle(v.t("kb.subtitle")).card(list);
    if can_write {
        out = out.card(
            Card::new(v.t("kb.import_title"), Width::Full)
                .block(notice(Tone::Plain, v.t("kb.import_hint")))
                .block(Block::Form(import_form(v, import.0, import.1))),
        );
    }
    out.render_with(status)
}

pub async fn knowledge(State(s): State<AppState>, v: Viewer, Query(q): Query<HashMap<String, String>>) -> Response {
    let top = done_notice(&v, &q);
    knowledge_page(&s, &v, q, top, ("jsonl", ""), StatusCode::OK).await
}

/// The editor's fields, as typed.
#[derive(Deserialize, Default)]
pub struct ArticleForm {
    #[serde(default)]
    external_id: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    title_zh: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    body_zh: String,
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    published: Option<String>,
}

impl ArticleForm {
    fn of(a: &KbArticle) -> Self {
        Self {
            external_id: a.external_id.clone(),
            topic: a.topic.clone(),
            title_zh: a.title.zh.clone(),
            title_en: a.title.en.clone(),
            body_zh: a.body.zh.clone(),
            body_en: a.body.en.clone(),
            tags: a.tags.join(", "),
            published: a.published.then(|| "true".into()),
        }
    }

    fn article(&self) -> KbArticle {
        let clean = |s: &str| s.replace("\r\n", "\n").trim().to_string();
        KbArticle {
            external_id: self.external_id.trim().to_string(),
            topic: self.topic.trim().to_string(),
            title: Text::new(clean(&self.title_zh), clean(&self.title_en)),
            body: Text::new(clean(&self.body_zh), clean(&self.body_en)),
            tags: self
                .tags
                .split([',', ';', '，', '；'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            published: self.published.as_deref() == Some("true"),
        }
    }
}

fn article_form(v: &Viewer, f: &ArticleForm, new: bool) -> Form {
    let text = |name: &str, label: &str, value: &str, required: bool| Field::Text {
        name: name.into(),
        label: v.t(label).into(),
        value: value.into(),
        required,
    };
    let area = |name: &str, label: &str, value: &str| Field::TextArea {
        name: name.into(),
        label: v.t(label).into(),
        value: value.into(),
        rows: 8,
        required: false,
    };
    let mut topics: Vec<(String, String)> = TOPICS.iter().map(|t| (t.to_string(), topic_label(v, t))).collect();
    if !f.topic.is_empty() && !TOPICS.contains(&f.topic.as_str()) {
        topics.push((f.topic.clone(), f.topic.clone()));
    }
    let mut fields = if new {
        vec![text("external_id", "common.id", &f.external_id, true)]
    } else {
        vec![Field::Hidden { name: "external_id".into(), value: f.external_id.clone() }]
    };
    fields.extend([
        Field::Select(Select {
            name: "topic".into(),
            label: v.t("kb.topic").into(),
            options: topics,
            selected: if f.topic.is_empty() { TOPICS[0].into() } else { f.topic.clone() },
        }),
        text("title_zh", "kb.title_zh", &f.title_zh, false),
        text("title_en", "kb.title_en", &f.title_en, false),
        area("body_zh", "kb.body_zh", &f.body_zh),
        area("body_en", "kb.body_en", &f.body_en),
        text("tags", "kb.tags_hint", &f.tags, false),
        Field::Checkboxes {
            name: "published".into(),
            label: v.t("common.status").into(),
            options: vec![("true".into(), v.t("kb.published").into(), f.published.as_deref() == Some("true"))],
        },
    ]);
    Form {
        action: if new { "/console/knowledge".into() } else { article_href(&f.external_id) },
        fields,
        submit: v.t("common.save").into(),
        confirm: None,
        tone: Tone::Info,
    }
}

/// The editor of a new article (`new`) or a stored one, filled with `f`.
fn editor_page(v: &Viewer, f: &ArticleForm, new: bool, top: Option<Block>, version: Option<(i64, i64)>) -> Page {
    let can_write = v.can(Permission::Write(Area::Knowledge));
    let title = if new { v.t("kb.new").to_string() } else { format!("{} · {}", v.t("kb.article"), f.external_id) };
    let mut card = Card::new(if new { v.t("kb.new") } else { v.t("kb.edit") }, Width::Full);
    if let Some(block) = top {
        card = card.block(block);
    }
    if let Some((version, updated_ms)) = version {
        let published = f.published.as_deref() == Some("true");
        card = card.block(Block::Facts(vec![
            (v.t("common.status").into(), published_badge(v, published)),
            (v.t("kb.version").into(), Cell::Number(version.to_string())),
            (v.t("kb.updated").into(), Cell::text(when(chrono::DateTime::from_timestamp_millis(updated_ms)))),
        ]));
        if can_write {
            card = card.block(Block::Form(publish_form(v, &f.external_id, published)));
        }
    }
    if can_write {
        card = card.block(Block::Form(article_form(v, f, new)));
    } else {
        let a = f.article();
        card = card.block(Block::Facts(vec![
            (v.t("kb.topic").into(), Cell::text(topic_label(v, &a.topic))),
            (v.t("kb.title").into(), Cell::text(v.lang.pick(&a.title))),
            (v.t("kb.body").into(), Cell::text(v.lang.pick(&a.body))),
            (v.t("kb.tags").into(), Cell::text(a.tags.join(", "))),
        ]));
    }
    v.page(title).subtitle(v.t("kb.editor_subtitle")).card(card).card(
        Card::new("", Width::Full).block(Block::Links(vec![(v.t("common.back").into(), "/console/knowledge".into())])),
    )
}

pub async fn new_article(v: Viewer) -> Response {
    let f = ArticleForm { topic: TOPICS[0].into(), ..Default::default() };
    editor_page(&v, &f, true, None, None).into_response()
}

pub async fn article(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let doc = match service::get(&s.platform, EntityKind::KbArticle, &id).await {
        Ok(d) => d,
        Err(e) => return failed(&v, e),
    };
    let a: KbArticle = match serde_json::from_value(doc.doc) {
        Ok(a) => a,
        Err(e) => return v.error_page(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let top = done_notice(&v, &q);
    editor_page(&v, &ArticleForm::of(&a), false, top, Some((doc.version, doc.updated_at_ms))).into_response()
}

/// What the editor's one article was refused for, without the batch position (`[0].title`).
fn article_problem(e: &ServiceError) -> String {
    problem(e).replace("[0].", "")
}

/// Stores an article; the assistant reads the knowledge base afresh for its next message.
async fn store_article(s: &AppState, a: &KbArticle) -> Result<(), ServiceError> {
    service::upsert(&s.platform, std::slice::from_ref(a)).await.map(|_| ())
}

pub async fn create_article(State(s): State<AppState>, v: Viewer, axum::Form(f): axum::Form<ArticleForm>) -> Response {
    let a = f.article();
    // A new article must not silently replace a stored one with the same ID.
    match service::get(&s.platform, EntityKind::KbArticle, &a.external_id).await {
        Ok(_) => {
            let top = Some(notice(Tone::Bad, format!("{}: {}", v.t("kb.exists"), a.external_id)));
            return shown_at(
                editor_page(&v, &f, true, top, None).render_with(StatusCode::CONFLICT),
                "/console/knowledge/new",
            );
        }
        Err(ServiceError::NotFound { .. }) => {}
        // An ID the store cannot even look up (empty, too long) is named by validation below.
        Err(_) => {}
    }
    match store_article(&s, &a).await {
        Ok(()) => Redirect::to(&format!("{}?done=saved", article_href(&a.external_id))).into_response(),
        Err(e) => {
            let top = Some(notice(Tone::Bad, article_problem(&e)));
            shown_at(editor_page(&v, &f, true, top, None).render_with(problem_status(&e)), "/console/knowledge/new")
        }
    }
}

pub async fn save_article(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::Form(mut f): axum::Form<ArticleForm>,
) -> Response {
    f.external_id = id.clone();
    let a = f.article();
    match store_article(&s, &a).await {
        Ok(()) => Redirect::to(&format!("{}?done=saved", article_href(&id))).into_response(),
        Err(e) => {
            let top = Some(notice(Tone::Bad, article_problem(&e)));
            shown_at(editor_page(&v, &f, false, top, None).render_with(problem_status(&e)), &article_href(&id))
        }
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    published: bool,
}

pub async fn publish(
    State(s): State<AppState>,
    v: Viewer,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<PublishForm>,
) -> Response {
    let doc = match service::get(&s.platform, EntityKind::KbArticle, &id).await {
        Ok(d) => d,
        Err(e) => return failed(&v, e),
    };
    let mut a: KbArticle = match serde_json::from_value(doc.doc) {
        Ok(a) => a,
        Err(e) => return v.error_page(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    a.published = f.published;
    match store_article(&s, &a).await {
        Ok(()) => {
            let done = if f.published { "published" } else { "unpublished" };
            Redirect::to(&format!("{}?done={done}", article_href(&id))).into_response()
        }
        Err(e) => failed(&v, e),
    }
}

#[derive(Deserialize)]
pub struct ImportForm {
    format: String,
    #[serde(default)]
    data: String,
}

fn import_summary(v: &Viewer, r: &ImportReport) -> Block {
    if r.error_count == 0 {
        let text = format!(
            "{} {} · {} {} · {} {} · {} {}",
            v.t("kb.imported"),
            r.records,
            v.t("kb.inserted"),
            r.applied.inserted,
            v.t("kb.updated_count"),
            r.applied.updated,
            v.t("kb.unchanged"),
            r.applied.unchanged
        );
        return notice(Tone::Good, text);
    }
    let errors: Vec<String> = r
        .errors
        .iter()
        .take(10)
        .map(|e| match &e.field {
            Some(field) => format!("{} {}, {field}: {}", v.t("kb.line"), e.line, e.message),
            None => format!("{} {}: {}", v.t("kb.line"), e.line, e.message),
        })
        .collect();
    notice(Tone::Bad, format!("{} ({}): {}", v.t("kb.import_failed"), r.error_count, errors.join("; ")))
}

pub async fn import(State(s): State<AppState>, v: Viewer, axum::Form(f): axum::Form<ImportForm>) -> Response {
    let data = f.data.replace("\r\n", "\n");
    let Some(format) = ImportFormat::parse(&f.format) else {
        let top = Some(notice(Tone::Bad, format!("{}: {:?}", v.t("kb.format"), f.format)));
        let page =
            knowledge_page(&s, &v, HashMap::new(), top, ("jsonl", data.as_str()), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        return shown_at(page, "/console/knowledge");
    };
    let reader = Box::new(std::io::Cursor::new(data.clone().into_bytes()));
    let report = retail_app::import::import(
        &s.platform,
        ImportKind::Entity(EntityKind::KbArticle),
        reader,
        ImportOptions::new(format),
        std::sync::Arc::new(|_| {}),
    )
    .await;
    let (top, status, kept) = match report {
        Ok(r) => {
            let ok = r.error_count == 0;
            let status = if ok { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            // What was imported need not be shown again; what failed stays to be corrected.
            (import_summary(&v, &r), status, if ok { String::new() } else { data })
        }
        Err(e) => (notice(Tone::Bad, problem(&e)), problem_status(&e), data),
    };
    let page = knowledge_page(&s, &v, HashMap::new(), Some(top), (f.format.as_str(), kept.as_str()), status).await;
    shown_at(page, "/console/knowledge")
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::*;
    use crate::access::Principal;

    fn viewer(lang: Lang) -> Viewer {
        Viewer { lang, principal: Principal::Anonymous, path: "/console/service".into(), here: String::new() }
    }

    fn message(seq: i64, sender: &str, text: &str) -> ChatMessage {
        ChatMessage {
            seq,
            at: Utc::now(),
            sender: sender.into(),
            text: text.into(),
            intent: (sender == "customer").then(|| "human_agent".into()),
            confidence: (sender == "customer").then_some(0.91),
            sentiment: (sender == "customer").then_some(-0.5),
            detail: None,
        }
    }

    fn conversation() -> Conversation {
        Conversation {
            conversation_id: "conv-0123456789abcdef".into(),
            status: ConversationStatus::Waiting,
            channel: "api".into(),
            language: "zh".into(),
            customer_id: None,
            agent: None,
            handoff_reason: Some("asked_for_human".into()),
            started_at: Utc::now(),
            updated_at: Utc::now(),
            handed_off_at: Some(Utc::now()),
            turns: 2,
            rating: None,
            last_intent: Some("human_agent".into()),
            sentiment: -0.5,
        }
    }

    #[test]
    fn a_customers_markup_is_shown_as_text() {
        let v = viewer(Lang::En);
        let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        let c = conversation();
        let messages = [message(1, "customer", hostile), message(2, "bot", "\"><b>x</b>")];
        let html = v
            .page("t")
            .card(Card::new("", Width::Full).block(Block::Transcript(transcript(&v, &c, &messages))))
            .render()
            .unwrap();
        let body = &html[html.find("<main").unwrap()..];
        assert!(!body.contains("<script>alert"), "raw script in the transcript");
        assert!(!body.contains("<img src=x"), "raw tag in the transcript");
        assert!(!body.contains("<b>x</b>"), "raw markup from the bot");
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || body.contains("&#60;script&#62;"), "{body}");
        assert!(body.contains("/static/desk.js"), "the live transcript loads its script");
        assert!(body.contains("data-stream=\"/api/v1/assistant/conversations/conv-0123456789abcdef/events\""));
        assert!(body.contains("data-after=\"2\""));
    }

    #[test]
    fn messages_are_labelled_in_the_readers_language() {
        let c = conversation();
        let messages = [message(1, "customer", "转人工")];
        let zh = transcript(&viewer(Lang::Zh), &c, &messages);
        assert_eq!(zh.messages[0].who, Lang::Zh.t("svc.sender.customer"));
        assert!(zh.messages[0].notes[0].contains(Lang::Zh.t("svc.intent.human_agent")));
        assert_eq!(zh.messages[0].notes[2], format!("{} -0.50", Lang::Zh.t("svc.sentiment")));
        let labels: serde_json::Value = serde_json::from_str(&zh.labels).unwrap();
        assert_eq!(labels["intents"]["complaint"], Lang::Zh.t("svc.intent.complaint"));
        let closed = Conversation { status: ConversationStatus::Closed, ..c };
        assert!(transcript(&viewer(Lang::En), &closed, &messages).stream.is_empty(), "nothing more can come");
    }

    #[test]
    fn every_code_shown_has_a_label_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            for i in INTENTS {
                assert!(lang.lookup(&format!("svc.intent.{i}")).is_some(), "intent {i}");
            }
            for t in TOPICS {
                assert!(lang.lookup(&format!("kb.topic.{t}")).is_some(), "topic {t}");
            }
            for s in RETURN_STATUSES {
                assert!(lang.lookup(&format!("svc.return_status.{s}")).is_some(), "return status {s}");
            }
            for r in [
                "asked_for_human",
                "negative_sentiment",
                "not_understood",
                "repeated_failure",
                "high_value_refund",
                "complaint",
                "identity_not_confirmed",
                "order_change",
                "agent_took_over",
            ] {
                assert!(lang.lookup(&format!("svc.handoff.{r}")).is_some(), "handoff reason {r}");
            }
            for s in ["bot", "waiting", "agent", "closed"] {
                assert!(lang.lookup(&format!("svc.status.{s}")).is_some(), "status {s}");
            }
        }
        assert_eq!(
            label(Lang::En, format!("svc.intent.{}", "brand_new"), "brand_new"),
            "brand_new",
            "unknown codes show"
        );
    }

    #[test]
    fn the_editor_form_becomes_an_article() {
        let f = ArticleForm {
            external_id: " kb-1 ".into(),
            topic: "returns".into(),
            title_zh: "退货".into(),
            body_en: "line one\r\nline two ".into(),
            tags: "refund, 7 days；x;y，z".into(),
            published: Some("true".into()),
            ..Default::default()
        };
        let a = f.article();
        assert_eq!(a.external_id, "kb-1");
        assert_eq!(a.body.en, "line one\nline two");
        assert!(a.published);
        assert_eq!(a.tags, ["refund", "7 days", "x", "y", "z"]);
        let back = ArticleForm::of(&a);
        assert_eq!(back.article(), a, "the form shows an article as it is stored");
    }

    #[test]
    fn the_queue_signature_follows_changes() {
        let c = conversation();
        let q = |c: Conversation| Desk { waiting: vec![c], with_agents: vec![], with_bot: vec![] };
        let a = signature(&q(c.clone()));
        assert_eq!(a, signature(&q(c.clone())));
        assert_ne!(a, signature(&q(Conversation { turns: 3, ..c.clone() })));
        assert_ne!(a, signature(&q(Conversation { status: ConversationStatus::Agent, ..c })));
    }

    #[test]
    fn spans_read_naturally() {
        let v = viewer(Lang::En);
        assert_eq!(span(&v, 5), "5 s");
        assert_eq!(span(&v, 125), "2 min");
        assert_eq!(span(&v, 3725), "1 h 2 min");
    }
}
