//! REST handlers for the customer-service assistant: the customer chat (a `public` key is
//! enough: the widget calls these), the agent desk's operations, return requests, analytics and
//! training examples. Live updates are server-sent events that read the store, so they work the
//! same on every replica.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use retail_app::assistant::{
    self, AgentAction, AssistantReport, ChatReply, ChatRequest, Conversation, ConversationStatus, ReturnRequest,
    Transcript,
};
use serde::Deserialize;

use crate::AppState;
use crate::access::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::routes::{params, reject_leftovers};

pub async fn chat(State(s): State<AppState>, ApiJson(req): ApiJson<ChatRequest>) -> ApiResult<Json<ChatReply>> {
    Ok(Json(assistant::chat(&s.platform, &req, Utc::now()).await?))
}

fn after_param(p: &mut HashMap<String, String>) -> ApiResult<i64> {
    p.remove("after")
        .map(|v| v.parse().map_err(|_| ApiError::bad_request("invalid_query", "after must be a whole number")))
        .transpose()
        .map(|a| a.unwrap_or(0))
}

pub async fn messages(
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Transcript>> {
    let mut p = params(raw)?;
    let after = after_param(&mut p)?;
    reject_leftovers(p, "after")?;
    Ok(Json(assistant::transcript(&s.platform, &id, after).await?))
}

/// How often a live stream looks for new messages.
const POLL: Duration = Duration::from_millis(700);

/// New messages of a conversation as they arrive (`message` events carrying [`ChatMessage`],
/// `status` events when ownership changes).
pub async fn events(
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let mut p = params(raw)?;
    let after = after_param(&mut p)?;
    reject_leftovers(p, "after")?;
    let first = assistant::conversation(&s.platform, &id).await?;
    let platform = s.platform.clone();
    let start = (platform, id, after, Some(first.status), Vec::<Event>::new(), true);
    let stream =
        futures_util::stream::unfold(start, |(p, id, mut after, mut status, mut queue, mut first)| async move {
            loop {
                if let Some(event) = queue.pop() {
                    return Some((Ok(event), (p, id, after, status, queue, first)));
                }
                if !first {
                    tokio::time::sleep(POLL).await;
                }
                first = false;
                let Ok(conversation) = assistant::conversation(&p, &id).await else { return None };
                let Ok(new) = assistant::messages(&p, &id, after).await else { return None };
                let mut batch: Vec<Event> = Vec::new();
                if status != Some(conversation.status) {
                    status = Some(conversation.status);
                    batch.push(Event::default().event("status").json_data(&conversation).unwrap_or_default());
                }
                for m in &new {
                    after = after.max(m.seq);
                    batch.push(Event::default().event("message").json_data(m).unwrap_or_default());
                }
                batch.reverse();
                queue = batch;
            }
        });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (poor) to 5 (excellent).
    pub rating: i64,
}

pub async fn rate(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RatingRequest>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(assistant::rate(&s.platform, &id, req.rating, Utc::now()).await?))
}

fn statuses(p: &mut HashMap<String, String>) -> ApiResult<Vec<ConversationStatus>> {
    let Some(list) = p.remove("status") else { return Ok(Vec::new()) };
    list.split(',')
        .map(|s| {
            serde_json::from_value(serde_json::Value::String(s.trim().to_string())).map_err(|_| {
                ApiError::bad_request("invalid_query", format!("status {s:?} is not bot, waiting, agent or closed"))
            })
        })
        .collect()
}

fn limit_param(p: &mut HashMap<String, String>) -> ApiResult<u32> {
    p.remove("limit")
        .map(|v| v.parse().map_err(|_| ApiError::bad_request("invalid_query", "limit must be a whole number")))
        .transpose()
        .map(|l| l.unwrap_or(50))
}

pub async fn conversations(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let statuses = statuses(&mut p)?;
    let limit = limit_param(&mut p)?;
    reject_leftovers(p, "status, limit")?;
    Ok(Json(serde_json::json!({ "items": assistant::conversations(&s.platform, &statuses, limit).await? })))
}

pub async fn act(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(action): ApiJson<AgentAction>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(assistant::agent_act(&s.platform, &id, &principal.actor(), &action, Utc::now()).await?))
}

pub async fn return_requests(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let status = p.remove("status");
    let limit = limit_param(&mut p)?;
    reject_leftovers(p, "status, limit")?;
    let items: Vec<ReturnRequest> = assistant::return_requests(&s.platform, status.as_deref(), limit).await?;
    Ok(Json(serde_json::json!({ "items": items })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnDecisionRequest {
    pub approve: bool,
}

pub async fn decide_return(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReturnDecisionRequest>,
) -> ApiResult<StatusCode> {
    assistant::decide_return(&s.platform, &id, req.approve, &principal.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn time_param(p: &mut HashMap<String, String>, name: &str, default: DateTime<Utc>) -> ApiResult<DateTime<Utc>> {
    p.remove(name)
        .map(|v| {
            v.parse::<DateTime<Utc>>()
                .or_else(|_| v.parse::<chrono::NaiveDate>().map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc()))
                .map_err(|_| ApiError::bad_request("invalid_query", format!("{name} must be a date or RFC 3339 time")))
        })
        .transpose()
        .map(|t| t.unwrap_or(default))
}

pub async fn report(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<AssistantReport>> {
    let mut p = params(raw)?;
    let now = Utc::now();
    let from = time_param(&mut p, "from", now - chrono::Duration::days(30))?;
    let to = time_param(&mut p, "to", now)?;
    reject_leftovers(p, "from, to")?;
    Ok(Json(assistant::report(&s.platform, from, to).await?))
}

/// Labelled questions to teach the intent model.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExamplesRequest {
    pub examples: Vec<LabelledText>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelledText {
    pub text: String,
    /// One of the assistant's intents (see GET /api/v1/assistant/understand for the labels in use).
    pub intent: String,
}

pub async fn add_examples(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(req): ApiJson<ExamplesRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let pairs: Vec<(String, String)> = req.examples.into_iter().map(|e| (e.text, e.intent)).collect();
    let added = assistant::add_examples(&s.platform, &pairs, &principal.actor()).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "added": added }))))
}

pub async fn understand(
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<retail_app::assistant::Understanding>> {
    let mut p = params(raw)?;
    let text = p.remove("text").unwrap_or_default();
    reject_leftovers(p, "text")?;
    Ok(Json(assistant::understand(&s.platform, &text).await?))
}
