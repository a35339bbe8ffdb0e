//! The HTTP layer of the retail platform: the REST API under `/api/v1`, its
//! OpenAPI document and offline docs at `/docs`, and the operational endpoints
//! `/healthz`, `/readyz` and `/metrics`.

mod error;
mod extract;
mod idempotency;
mod metrics;
mod openapi;
mod routes;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use retail_app::Platform;
use retail_domain::{Category, Customer, GoodsReceipt, KbArticle, Location, Order, Product, PurchaseOrder, Supplier};
use retail_store::Stored;

pub use error::{ApiError, Problem};
pub use metrics::Metrics;
pub use openapi::document as openapi_document;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub platform: Arc<Platform>,
    pub metrics: Arc<Metrics>,
}

fn entity_routes<T: Stored>() -> Router<AppState> {
    use routes::*;
    let base = format!("/api/v1/{}", T::KIND.plural());
    Router::new()
        .route(&base, get(list_entities::<T>).post(create_entity::<T>))
        .route(&format!("{base}/batch"), post(batch_entities::<T>))
        .route(&format!("{base}/{{id}}"), get(get_entity::<T>).put(put_entity::<T>).delete(delete_entity::<T>))
}

/// The whole application.
pub fn router(platform: Arc<Platform>) -> Router {
    let state = AppState { platform: platform.clone(), metrics: Arc::new(Metrics::default()) };
    let api = Router::new()
        .merge(entity_routes::<Location>())
        .merge(entity_routes::<Category>())
        .merge(entity_routes::<Product>())
        .merge(entity_routes::<Customer>())
        .merge(entity_routes::<Supplier>())
        .merge(entity_routes::<Order>())
        .merge(entity_routes::<PurchaseOrder>())
        .merge(entity_routes::<GoodsReceipt>())
        .merge(entity_routes::<KbArticle>())
        .route("/api/v1/orders/{id}/status", post(routes::change_order_status))
        .route("/api/v1/events", get(routes::list_events).post(routes::post_events))
        .route("/api/v1/inventory/movements", get(routes::list_movements).post(routes::post_movements))
        .route("/api/v1/inventory/stock", get(routes::stock))
        .route("/api/v1/summary", get(routes::summary))
        .layer(DefaultBodyLimit::max(platform.config.max_body_bytes))
        // Imports stream their body, so the size limit does not apply to them.
        .route("/api/v1/import/{kind}", post(routes::import).layer(DefaultBodyLimit::disable()));
    Router::new()
        .merge(api)
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/docs", get(docs_page))
        .route("/docs/{asset}", get(docs_asset))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such endpoint; see /docs")
}

async fn openapi_json() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOC.get_or_init(|| openapi::document().to_json().expect("the OpenAPI document serialises"));
    ([(header::CONTENT_TYPE, "application/json")], body.as_str()).into_response()
}

async fn readyz(State(s): State<AppState>) -> Response {
    let health = s.platform.health().await;
    let status = if health.ok() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(health)).into_response()
}

async fn metrics_text(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render()).into_response()
}

const SWAGGER_JS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");

async fn docs_page() -> Html<&'static str> {
    Html(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Retail platform API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });</script>
</body></html>"##,
    )
}

async fn docs_asset(axum::extract::Path(asset): axum::extract::Path<String>) -> Response {
    let (body, content_type) = match asset.as_str() {
        "swagger-ui-bundle.js" => (SWAGGER_JS, "text/javascript"),
        "swagger-ui.css" => (SWAGGER_CSS, "text/css"),
        _ => return not_found().await.into_response(),
    };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    platform: Arc<Platform>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(platform)).with_graceful_shutdown(shutdown).await
}
