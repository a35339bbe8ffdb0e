//! `Idempotency-Key` on POST: the first response to a key is remembered with a
//! hash of the request; a retry with the same key and request gets that response
//! again (marked `Idempotent-Replayed: true`) without running twice, the same
//! key with a different request is refused, and a retry that arrives while the
//! first is still running gets 409 instead of running in parallel.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use retail_store::IdempotentResponse;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

pub const HEADER: &str = "idempotency-key";

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match handle(state, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn handle(state: AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let Some(key) = req.headers().get(HEADER) else { return Ok(next.run(req).await) };
    // Streamed imports are not buffered; they are all-or-nothing instead.
    if req.method() != Method::POST || req.uri().path().starts_with("/api/v1/import/") {
        return Ok(next.run(req).await);
    }
    let key = key
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        })?
        .to_string();
    let (parts, body) = req.into_parts();
    let limit = state.platform.config.max_body_bytes;
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("request body exceeds {limit} bytes"))
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update(b" ");
    hasher.update(parts.uri.to_string());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let hash: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();

    let store = &state.platform.store;
    let pending = IdempotentResponse {
        request_hash: hash.clone(),
        status: 0,
        body: String::new(),
        created_at_ms: chrono::Utc::now().timestamp_millis(),
    };
    // Claim the key before running, so that two concurrent retries cannot both run.
    if !store.idempotency_put(&key, &pending).await? {
        let stored = store.idempotency_get(&key).await?;
        return match stored {
            Some(s) if s.request_hash != hash => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used for a different request",
            )),
            Some(s) if s.status != 0 => Ok(replay(&s)),
            _ => Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still running; retry shortly",
            )),
        };
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if response.status().is_server_error() {
        store.idempotency_release(&key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    store.idempotency_finish(&key, parts.status.as_u16(), &String::from_utf8_lossy(&body)).await?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn replay(stored: &IdempotentResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let content_type = if status.is_success() { "application/json" } else { "application/problem+json" };
    let mut r = (status, stored.body.clone()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}
