//! REST handlers under `/api/v1`. Each parses its input, calls one service
//! operation from `retail-app` and presents the result; nothing else.

use std::collections::HashMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use retail_app::import::{ImportFormat, ImportKind, ImportOptions, ImportReport};
use retail_app::service;
use retail_domain::{BehaviourEvent, EventKind, Movement, MovementKind, OrderStatus};
use retail_store::{Applied, DocQuery, EventQuery, LedgerQuery, LogPage, Page, StockQuery, Stored, StoredDoc};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

/// Query parameters as a map: list endpoints take their filters by column name.
pub(crate) fn params(raw: Option<String>) -> ApiResult<HashMap<String, String>> {
    let raw = raw.unwrap_or_default();
    let mut out = HashMap::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode(&s.replace('+', " "))
                .ok_or_else(|| ApiError::bad_request("invalid_query", format!("bad percent-encoding in {s:?}")))
        };
        if out.insert(decode(k)?, decode(v)?).is_some() {
            return Err(ApiError::bad_request("invalid_query", format!("query parameter {k:?} given twice")));
        }
    }
    Ok(out)
}

/// A numeric query parameter, `default` when absent.
pub(crate) fn take_number<T: std::str::FromStr>(
    p: &mut HashMap<String, String>,
    name: &str,
    default: T,
) -> ApiResult<T> {
    match p.remove(name) {
        None => Ok(default),
        Some(v) => {
            v.parse().map_err(|_| ApiError::bad_request("invalid_query", format!("{name} must be a whole number")))
        }
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Page size: `limit` in 1..=1000, default 50.
fn take_limit(p: &mut HashMap<String, String>) -> ApiResult<u32> {
    match p.remove("limit") {
        None => Ok(50),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| ApiError::bad_request("invalid_query", "limit must be a whole number from 1 to 1000")),
    }
}

fn take_time(p: &mut HashMap<String, String>, name: &str) -> ApiResult<Option<i64>> {
    p.remove(name)
        .map(|v| {
            v.parse::<chrono::DateTime<chrono::Utc>>().map(|t| t.timestamp_millis()).map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("{name} must be an RFC 3339 time, e.g. 2026-01-31T00:00:00Z"),
                )
            })
        })
        .transpose()
}

pub(crate) fn reject_leftovers(p: HashMap<String, String>, allowed: &str) -> ApiResult<()> {
    match p.keys().next() {
        Some(k) => {
            Err(ApiError::bad_request("invalid_query", format!("unknown query parameter {k:?}; allowed: {allowed}")))
        }
        None => Ok(()),
    }
}

/// A stored document as the API shows it: the entity plus bookkeeping fields.
pub fn resource(d: StoredDoc) -> Value {
    let mut v = d.doc;
    if let Value::Object(m) = &mut v {
        m.insert("version".into(), d.version.into());
        m.insert("created_at".into(), millis_rfc3339(d.created_at_ms).into());
        m.insert("updated_at".into(), millis_rfc3339(d.updated_at_ms).into());
    }
    v
}

fn millis_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn page_json(page: Page<StoredDoc>) -> Value {
    serde_json::json!({
        "items": page.items.into_iter().map(resource).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    })
}

pub async fn list_entities<T: Stored>(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let mut p = params(raw)?;
    let limit = take_limit(&mut p)?;
    let query = DocQuery { search: p.remove("q"), after: p.remove("cursor"), limit, filters: p.into_iter().collect() };
    Ok(Json(page_json(service::list(&s.platform, T::KIND, &query).await?)))
}

pub async fn get_entity<T: Stored>(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(resource(service::get(&s.platform, T::KIND, &id).await?)))
}

/// Upserts one entity: 201 with `Location` when new, 200 when replaced or unchanged.
pub async fn create_entity<T: Stored>(State(s): State<AppState>, ApiJson(item): ApiJson<T>) -> ApiResult<Response> {
    upsert_one(s, item).await
}

pub async fn put_entity<T: Stored>(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(item): ApiJson<T>,
) -> ApiResult<Response> {
    if item.external_id() != id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "id_mismatch",
            format!("body external_id '{}' differs from the path id '{id}'", item.external_id()),
        ));
    }
    upsert_one(s, item).await
}

async fn upsert_one<T: Stored>(s: AppState, item: T) -> ApiResult<Response> {
    let applied = service::upsert(&s.platform, std::slice::from_ref(&item)).await?;
    let stored = service::get(&s.platform, T::KIND, item.external_id()).await?;
    let status = if applied.inserted == 1 { StatusCode::CREATED } else { StatusCode::OK };
    let mut r = (status, Json(resource(stored))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/{}/{}", T::KIND.plural(), item.external_id())) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

pub async fn batch_entities<T: Stored>(
    State(s): State<AppState>,
    ApiJson(items): ApiJson<Vec<T>>,
) -> ApiResult<Json<Applied>> {
    Ok(Json(service::upsert(&s.platform, &items).await?))
}

pub async fn delete_entity<T: Stored>(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    service::delete(&s.platform, T::KIND, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: OrderStatus,
}

pub async fn change_order_status(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<StatusChange>,
) -> ApiResult<Json<Value>> {
    service::set_order_status(&s.platform, &id, change.status).await?;
    Ok(Json(resource(service::get(&s.platform, retail_domain::EntityKind::Order, &id).await?)))
}

pub async fn post_events(
    State(s): State<AppState>,
    ApiJson(events): ApiJson<Vec<BehaviourEvent>>,
) -> ApiResult<Json<Applied>> {
    Ok(Json(service::ingest_events(&s.platform, &events).await?))
}

/// The parameters every append-only log listing takes: its kind, and the time
/// range and page.
fn take_log_params<K>(
    p: &mut HashMap<String, String>,
    parse_kind: fn(&str) -> Option<K>,
    noun: &str,
) -> ApiResult<(Option<K>, LogPage)> {
    let kind = p
        .remove("kind")
        .map(|k| {
            parse_kind(&k).ok_or_else(|| ApiError::bad_request("invalid_query", format!("unknown {noun} kind {k:?}")))
        })
        .transpose()?;
    let page = LogPage {
        since_ms: take_time(p, "since")?,
        until_ms: take_time(p, "until")?,
        after: p.remove("cursor"),
        limit: take_limit(p)?,
    };
    Ok((kind, page))
}

pub async fn list_events(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let mut p = params(raw)?;
    let (kind, page) = take_log_params(&mut p, EventKind::parse, "event")?;
    let query = EventQuery {
        customer_id: p.remove("customer_id"),
        session_id: p.remove("session_id"),
        product_id: p.remove("product_id"),
        kind,
        page,
    };
    reject_leftovers(p, "customer_id, session_id, product_id, kind, since, until, cursor, limit")?;
    let page = s.platform.store.list_events(&query).await?;
    Ok(Json(serde_json::to_value(page).expect("pages serialise")))
}

pub async fn post_movements(
    State(s): State<AppState>,
    ApiJson(moves): ApiJson<Vec<Movement>>,
) -> ApiResult<Json<Applied>> {
    Ok(Json(service::record_movements(&s.platform, &moves).await?))
}

pub async fn list_movements(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let mut p = params(raw)?;
    let (kind, page) = take_log_params(&mut p, MovementKind::parse, "movement")?;
    let query = LedgerQuery { location_id: p.remove("location_id"), product_id: p.remove("product_id"), kind, page };
    reject_leftovers(p, "location_id, product_id, kind, since, until, cursor, limit")?;
    let page = s.platform.store.list_ledger(&query).await?;
    Ok(Json(serde_json::to_value(page).expect("pages serialise")))
}

pub async fn stock(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Value>> {
    let mut p = params(raw)?;
    let query = StockQuery {
        limit: take_limit(&mut p)?,
        location_id: p.remove("location_id"),
        product_id: p.remove("product_id"),
    };
    reject_leftovers(p, "location_id, product_id, limit")?;
    if query.location_id.is_none() && query.product_id.is_none() {
        return Err(ApiError::bad_request("invalid_query", "give location_id, product_id or both"));
    }
    let levels = s.platform.store.stock(&query).await?;
    Ok(Json(serde_json::json!({ "items": levels })))
}

/// Streams the request body into the importer; never buffers the whole file.
pub async fn import(
    kind: ImportKind,
    State(s): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let mut p = params(raw)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = match p.remove("format") {
        Some(f) => ImportFormat::parse(&f)
            .ok_or_else(|| ApiError::bad_request("invalid_query", "format must be csv or jsonl"))?,
        None if content_type.starts_with("text/csv") => ImportFormat::Csv,
        None if content_type.contains("ndjson") || content_type.contains("jsonl") => ImportFormat::Jsonl,
        None => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "say format=csv or format=jsonl (or send Content-Type text/csv / application/x-ndjson)",
            ));
        }
    };
    let partial = match p.remove("partial").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                format!("partial must be true or false, not {other:?}"),
            ));
        }
    };
    reject_leftovers(p, "format, partial")?;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    let options = ImportOptions { partial, ..ImportOptions::new(format) };
    let report: ImportReport =
        retail_app::import::import(&s.platform, kind, Box::new(reader), options, std::sync::Arc::new(|_| {})).await?;
    // 200 when rows were written (a partial import lists the rows it skipped), 422 when nothing was.
    let status =
        if report.error_count == 0 || report.committed { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(report)).into_response())
}

pub async fn summary(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let counts = service::counts(&s.platform).await?;
    Ok(Json(Value::Object(counts.0.into_iter().map(|(k, n)| (k.to_string(), n.into())).collect())))
}
