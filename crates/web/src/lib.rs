//! The HTTP layer of the retail platform: the REST API under `/api/v1`, its
//! OpenAPI document and offline docs at `/docs`, and the operational endpoints
//! `/healthz`, `/readyz` and `/metrics`.

mod access;
mod assistant;
mod console;
mod error;
mod experiments;
mod extract;
mod idempotency;
mod marketing;
mod metrics;
mod openapi;
mod planning;
mod recommendations;
mod request_id;
mod routes;
mod shop;
mod supply;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use retail_app::Platform;
use retail_app::import::ImportKind;
use retail_domain::{
    Category, Contract, Customer, EntityKind, GoodsReceipt, KbArticle, Location, Order, Product, PurchaseOrder,
    Supplier, TransferOrder, Vehicle,
};
use retail_store::Stored;

pub use access::{Access, AccessTable, Area, Permission, Routes, role_allows, scope_allows};
pub use error::{ApiError, Problem};
pub use metrics::Metrics;
pub use openapi::document as openapi_document;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub platform: Arc<Platform>,
    pub metrics: Arc<Metrics>,
    /// The access rule of every route, checked by [`access::authorize`].
    pub access: Arc<AccessTable>,
}

/// The business area each kind of record belongs to, for its permissions.
fn area_of(kind: EntityKind) -> Area {
    match kind {
        EntityKind::Location | EntityKind::Category | EntityKind::Product => Area::Catalog,
        EntityKind::Customer => Area::Customers,
        EntityKind::Order => Area::Orders,
        EntityKind::Supplier
        | EntityKind::PurchaseOrder
        | EntityKind::GoodsReceipt
        | EntityKind::Contract
        | EntityKind::TransferOrder
        | EntityKind::Vehicle => Area::Supply,
        EntityKind::KbArticle => Area::Knowledge,
    }
}

fn entity_routes<T: Stored>(routes: access::Routes) -> access::Routes {
    use routes::*;
    let area = area_of(T::KIND);
    let read = Access::Needs(Permission::Read(area));
    let write = Access::Needs(Permission::Write(area));
    let base = format!("/api/v1/{}", T::KIND.plural());
    let one = format!("{base}/{{id}}");
    routes
        .get(&base, read, list_entities::<T>)
        .post(&base, write, create_entity::<T>)
        .post(&format!("{base}/batch"), write, batch_entities::<T>)
        .get(&one, read, get_entity::<T>)
        .put(&one, write, put_entity::<T>)
        .delete(&one, write, delete_entity::<T>)
        .post(&format!("/api/v1/import/{}", T::KIND.plural()), write, move |st, q, h, b| {
            routes::import(ImportKind::Entity(T::KIND), st, q, h, b)
        })
}

/// Every route with its access rule: the REST API, the console, docs and probes.
pub fn routes() -> access::Routes {
    use Access::*;
    let mut r = access::Routes::default();
    r = entity_routes::<Location>(r);
    r = entity_routes::<Category>(r);
    r = entity_routes::<Product>(r);
    r = entity_routes::<Customer>(r);
    r = entity_routes::<Supplier>(r);
    r = entity_routes::<Order>(r);
    r = entity_routes::<PurchaseOrder>(r);
    r = entity_routes::<GoodsReceipt>(r);
    r = entity_routes::<KbArticle>(r);
    r = entity_routes::<Contract>(r);
    r = entity_routes::<TransferOrder>(r);
    r = entity_routes::<Vehicle>(r);
    r.post("/api/v1/orders/{id}/status", Needs(Permission::Write(Area::Orders)), routes::change_order_status)
        .get("/api/v1/events", Needs(Permission::Read(Area::Events)), routes::list_events)
        .post("/api/v1/events", Needs(Permission::Storefront), routes::post_events)
        .post("/api/v1/import/events", Needs(Permission::Write(Area::Events)), |st, q, h, b| {
            routes::import(ImportKind::Events, st, q, h, b)
        })
        .get("/api/v1/inventory/movements", Needs(Permission::Read(Area::Inventory)), routes::list_movements)
        .post("/api/v1/inventory/movements", Needs(Permission::Write(Area::Inventory)), routes::post_movements)
        .post("/api/v1/import/movements", Needs(Permission::Write(Area::Inventory)), |st, q, h, b| {
            routes::import(ImportKind::Movements, st, q, h, b)
        })
        .get("/api/v1/inventory/stock", Needs(Permission::Read(Area::Inventory)), routes::stock)
        .get("/api/v1/recommendations", Needs(Permission::Storefront), recommendations::recommendations)
        .post("/api/v1/recommendations/refit", Needs(Permission::Write(Area::Recommendations)), recommendations::refit)
        .get("/api/v1/recommendations/models", Needs(Permission::Read(Area::Recommendations)), recommendations::models)
        .get(
            "/api/v1/recommendations/metrics",
            Needs(Permission::Read(Area::Recommendations)),
            recommendations::metrics,
        )
        .get(
            "/api/v1/recommendation-strategies",
            Needs(Permission::Read(Area::Recommendations)),
            recommendations::list_strategies,
        )
        .get(
            "/api/v1/recommendation-strategies/{name}",
            Needs(Permission::Read(Area::Recommendations)),
            recommendations::get_strategy,
        )
        .put(
            "/api/v1/recommendation-strategies/{name}",
            Needs(Permission::Write(Area::Recommendations)),
            recommendations::put_strategy,
        )
        .get("/api/v1/products/{id}/related", Needs(Permission::Storefront), recommendations::related)
        .get("/api/v1/products/{id}/bundles", Needs(Permission::Storefront), recommendations::product_bundles)
        .get("/api/v1/bundles", Needs(Permission::Storefront), recommendations::cart_bundles)
        .get("/api/v1/forecasts", Needs(Permission::Read(Area::Planning)), planning::forecasts)
        .get("/api/v1/forecasts/runs", Needs(Permission::Read(Area::Planning)), planning::runs)
        .post("/api/v1/forecasts/runs", Needs(Permission::Write(Area::Planning)), planning::run_now)
        .get("/api/v1/forecasts/backtest", Needs(Permission::Read(Area::Planning)), planning::backtest)
        .post("/api/v1/forecasts/what-if", Needs(Permission::Read(Area::Planning)), planning::what_if)
        .get("/api/v1/replenishment/suggestions", Needs(Permission::Read(Area::Planning)), planning::suggestions)
        .post("/api/v1/replenishment/suggestions/decisions", Needs(Permission::Write(Area::Planning)), planning::decide)
        .post("/api/v1/replenishment/orders", Needs(Permission::Write(Area::Planning)), planning::order)
        .get("/api/v1/inventory/analysis", Needs(Permission::Read(Area::Planning)), planning::analysis)
        .post("/api/v1/chat", Needs(Permission::Storefront), assistant::chat)
        .get("/api/v1/chat/{id}/messages", Needs(Permission::Storefront), assistant::messages)
        .get("/api/v1/chat/{id}/events", Needs(Permission::Storefront), assistant::events)
        .post("/api/v1/chat/{id}/rating", Needs(Permission::Storefront), assistant::rate)
        .get("/api/v1/assistant/conversations", Needs(Permission::Read(Area::Service)), assistant::conversations)
        .get("/api/v1/assistant/conversations/{id}", Needs(Permission::Read(Area::Service)), assistant::messages)
        .get("/api/v1/assistant/conversations/{id}/events", Needs(Permission::Read(Area::Service)), assistant::events)
        .post("/api/v1/assistant/conversations/{id}/actions", Needs(Permission::Write(Area::Service)), assistant::act)
        .get("/api/v1/assistant/returns", Needs(Permission::Read(Area::Service)), assistant::return_requests)
        .post(
            "/api/v1/assistant/returns/{id}/decision",
            Needs(Permission::Write(Area::Service)),
            assistant::decide_return,
        )
        .get("/api/v1/assistant/report", Needs(Permission::Read(Area::Service)), assistant::report)
        .get("/api/v1/assistant/understand", Needs(Permission::Read(Area::Service)), assistant::understand)
        .post("/api/v1/assistant/examples", Needs(Permission::Write(Area::Service)), assistant::add_examples)
        .get("/api/v1/marketing/segments", Needs(Permission::Read(Area::Marketing)), marketing::segments)
        .post(
            "/api/v1/marketing/segments/preview",
            Needs(Permission::Read(Area::Marketing)),
            marketing::preview_segment,
        )
        .get("/api/v1/marketing/segments/{id}", Needs(Permission::Read(Area::Marketing)), marketing::segment)
        .put("/api/v1/marketing/segments/{id}", Needs(Permission::Write(Area::Marketing)), marketing::put_segment)
        .delete("/api/v1/marketing/segments/{id}", Needs(Permission::Write(Area::Marketing)), marketing::delete_segment)
        .post(
            "/api/v1/marketing/segments/{id}/refresh",
            Needs(Permission::Write(Area::Marketing)),
            marketing::refresh_segment,
        )
        .get("/api/v1/marketing/rfm", Needs(Permission::Read(Area::Marketing)), marketing::rfm)
        .get("/api/v1/marketing/clusters", Needs(Permission::Read(Area::Marketing)), marketing::clusters)
        .get("/api/v1/marketing/campaigns", Needs(Permission::Read(Area::Marketing)), marketing::campaigns)
        .get("/api/v1/marketing/campaigns/{id}", Needs(Permission::Read(Area::Marketing)), marketing::campaign)
        .put("/api/v1/marketing/campaigns/{id}", Needs(Permission::Write(Area::Marketing)), marketing::put_campaign)
        .post("/api/v1/marketing/campaigns/{id}/plan", Needs(Permission::Write(Area::Marketing)), marketing::plan)
        .get("/api/v1/marketing/campaigns/{id}/preview", Needs(Permission::Read(Area::Marketing)), marketing::preview)
        .post("/api/v1/marketing/campaigns/{id}/launch", Needs(Permission::Write(Area::Marketing)), marketing::launch)
        .post("/api/v1/marketing/campaigns/{id}/cancel", Needs(Permission::Write(Area::Marketing)), marketing::cancel)
        .get("/api/v1/marketing/campaigns/{id}/effect", Needs(Permission::Read(Area::Marketing)), marketing::effect)
        .post("/api/v1/marketing/deliveries", Needs(Permission::Write(Area::Marketing)), marketing::deliver)
        .get("/api/v1/marketing/uplift", Needs(Permission::Read(Area::Marketing)), marketing::uplift_model)
        .post("/api/v1/marketing/uplift", Needs(Permission::Write(Area::Marketing)), marketing::train_uplift)
        .post("/api/v1/marketing/opt-outs", Needs(Permission::Write(Area::Marketing)), marketing::opt_out)
        .get("/api/v1/delivery/plans", Needs(Permission::Read(Area::Supply)), supply::plans)
        .post("/api/v1/delivery/plans", Needs(Permission::Write(Area::Supply)), supply::plan_day)
        .get("/api/v1/delivery/plans/{id}", Needs(Permission::Read(Area::Supply)), supply::plan)
        .post("/api/v1/delivery/plans/{id}/replan", Needs(Permission::Write(Area::Supply)), supply::replan)
        .get("/api/v1/delivery/plans/{id}/manifest", Needs(Permission::Read(Area::Supply)), supply::manifest)
        .post("/api/v1/routing/problems", Needs(Permission::Write(Area::Supply)), supply::submit_problem)
        .get("/api/v1/supply/scorecards", Needs(Permission::Read(Area::Supply)), supply::scorecards)
        .get("/api/v1/supply/scorecards/{id}", Needs(Permission::Read(Area::Supply)), supply::supplier_trend)
        .get("/api/v1/supply/costs/transport", Needs(Permission::Read(Area::Supply)), supply::transport)
        .get("/api/v1/supply/costs/inventory", Needs(Permission::Read(Area::Supply)), supply::inventory)
        .get("/api/v1/supply/costs/landed", Needs(Permission::Read(Area::Supply)), supply::landed)
        .get("/api/v1/supply/costs/price-variance", Needs(Permission::Read(Area::Supply)), supply::price_variance)
        .get("/unsubscribe/{token}", Anonymous, marketing::unsubscribe_page)
        .post("/unsubscribe/{token}", Anonymous, marketing::unsubscribe)
        .get("/api/v1/experiments", Needs(Permission::Read(Area::Experiments)), experiments::list)
        .post("/api/v1/experiments", Needs(Permission::Write(Area::Experiments)), experiments::create)
        .get("/api/v1/experiments/{key}", Needs(Permission::Read(Area::Experiments)), experiments::get)
        .post("/api/v1/experiments/{key}/changes", Needs(Permission::Write(Area::Experiments)), experiments::change)
        .get("/api/v1/experiments/{key}/results", Needs(Permission::Read(Area::Experiments)), experiments::results)
        .post("/api/v1/experiments/{key}/assign", Needs(Permission::Storefront), experiments::assign)
        .get("/api/v1/summary", SignedIn, routes::summary)
        .get("/api/v1/openapi.json", Anonymous, openapi_json)
        .get("/docs", Anonymous, docs_page)
        .get("/docs/{asset}", Anonymous, docs_asset)
        .get("/widget.js", Anonymous, shop::widget_js)
        .get("/shop", Anonymous, shop::shop)
        .get("/healthz", Anonymous, || async { "ok" })
        .get("/readyz", Anonymous, readyz)
        .get("/metrics", Needs(Permission::ViewOperations), metrics_text)
        .merge(console::routes())
}

/// The whole application.
pub fn router(platform: Arc<Platform>) -> Router {
    let (routes, table) = routes().build();
    let state = AppState { platform: platform.clone(), metrics: Arc::new(Metrics::default()), access: Arc::new(table) };
    routes
        .layer(DefaultBodyLimit::max(platform.config.max_body_bytes))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(axum::middleware::from_fn_with_state(state.clone(), access::authorize))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::middleware::from_fn(shop::chat_cors))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(request_id::layer))
        .with_state(state)
}

/// Headers that keep the browser from running injected script, framing the
/// console, or sniffing content types.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
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
    let mut text = s.metrics.render();
    text.push_str("# HELP retail_job_up Whether a background job is running (1) or has stopped (0).\n# TYPE retail_job_up gauge\n");
    for job in s.platform.jobs() {
        text.push_str(&format!("retail_job_up{{job=\"{}\"}} {}\n", job.name, u8::from(job.running)));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
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
<script src="/docs/swagger-init.js"></script>
</body></html>"##,
    )
}

async fn docs_asset(axum::extract::Path(asset): axum::extract::Path<String>) -> Response {
    let (body, content_type) = match asset.as_str() {
        "swagger-ui-bundle.js" => (SWAGGER_JS, "text/javascript"),
        "swagger-ui.css" => (SWAGGER_CSS, "text/css"),
        // Kept out of the page so the content security policy can forbid inline script.
        "swagger-init.js" => (
            br##"window.ui = SwaggerUIBundle({ url: "/api/v1/openapi.json", dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null });"##.as_slice(),
            "text/javascript",
        ),
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
    axum::serve(listener, router(platform).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
