//! HTTP errors as RFC 9457 `application/problem+json`, each with a stable
//! machine `code`. This is the only place where the layers' typed errors become
//! status codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use retail_app::ServiceError;
use retail_domain::Violation;
use retail_store::StoreError;
use serde::Serialize;

/// The problem document. `errors` lists field-level problems when there are any.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Violation>,
    /// The request's id (also in the `X-Request-Id` header), to quote in support requests and find in logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<Violation>,
    /// Seconds to wait before retrying (rate limits).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), errors: Vec::new(), retry_after: None }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn with_errors(mut self, errors: Vec<Violation>) -> Self {
        self.errors = errors;
        self
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("/problems/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code,
            errors: self.errors.clone(),
            request_id: crate::request_id::current(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, detail = %self.detail, "request failed");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let detail = e.to_string();
        match e {
            StoreError::UnknownReferences(refs) => {
                let errors = refs
                    .iter()
                    .map(|r| Violation {
                        field: r.field.clone(),
                        message: format!("unknown {} '{}'", r.kind.noun(), r.external_id),
                    })
                    .collect();
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_reference", detail).with_errors(errors)
            }
            StoreError::DuplicateId { .. } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "duplicate_id", detail),
            StoreError::InUse { .. } => Self::new(StatusCode::CONFLICT, "in_use", detail),
            StoreError::InvalidCursor => Self::bad_request("invalid_cursor", detail),
            StoreError::UnknownFilter { .. } => Self::bad_request("unknown_filter", detail),
            StoreError::Unavailable { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", detail)
            }
            StoreError::Corrupt { .. } | StoreError::Database(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let detail = e.to_string();
        match e {
            ServiceError::Invalid(v) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail).with_errors(v.0)
            }
            ServiceError::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, "not_found", detail),
            ServiceError::Conflict(_) => Self::new(StatusCode::CONFLICT, "conflict", detail),
            ServiceError::TooMany { .. } => Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_many_items", detail),
            ServiceError::Internal(_) => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail),
            ServiceError::Store(s) => s.into(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
