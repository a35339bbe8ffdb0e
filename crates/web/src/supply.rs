//! REST handlers for the supply chain: delivery plans (from the stored orders or submitted whole,
//! read back, re-planned, exported as a CSV manifest), supplier scorecards and their trend, and the
//! cost reports. Each calls one operation of `retail-app`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use retail_app::logistics::costs::{self, InventoryReport, LandedReport, TransportReport, VarianceReport};
use retail_app::logistics::delivery::{self, PlanRequest, PlanScope, PlanView};
use retail_app::logistics::problem::{DeliveryProblem, manifest_csv};
use retail_app::logistics::suppliers::{self, Scorecards, SupplierTrend};
use retail_store::PlanQuery;

use crate::AppState;
use crate::access::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::routes::{params, reject_leftovers, take_number};

/// `201` with a plan solved while waiting, `202` with one queued for the background solver.
fn planned(view: PlanView) -> Response {
    let status = if view.status == "queued" { StatusCode::ACCEPTED } else { StatusCode::CREATED };
    (status, Json(view)).into_response()
}

pub async fn plan_day(
    State(s): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    ApiJson(request): ApiJson<PlanRequest>,
) -> ApiResult<Response> {
    Ok(planned(delivery::plan_day(&s.platform, &request, &principal.actor()).await?))
}

pub async fn submit_problem(
    State(s): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    ApiJson(problem): ApiJson<DeliveryProblem>,
) -> ApiResult<Response> {
    let view = delivery::submit(&s.platform, PlanScope::Api, None, None, problem, &principal.actor()).await?;
    Ok(planned(view))
}

pub async fn plans(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let query = PlanQuery {
        scope: p.remove("scope"),
        depot_id: p.remove("depot_id"),
        service_date: p.remove("date"),
        statuses: p.remove("status").map(|s| s.split(',').map(str::to_string).collect()).unwrap_or_default(),
        limit: take_number(&mut p, "limit", 50)?,
    };
    reject_leftovers(p, "scope, depot_id, date, status, limit")?;
    Ok(Json(serde_json::json!({ "items": delivery::list(&s.platform, &query).await? })))
}

pub async fn plan(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<PlanView>> {
    Ok(Json(delivery::get(&s.platform, &id, true).await?))
}

pub async fn replan(
    State(s): State<AppState>,
    axum::Extension(principal): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(planned(delivery::replan(&s.platform, &id, &principal.actor()).await?))
}

pub async fn manifest(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let view = delivery::get(&s.platform, &id, false).await?;
    let plan = view.plan.ok_or_else(|| {
        let detail = format!("plan {id} is {}; its manifest exists once it is ready", view.status);
        ApiError::new(StatusCode::CONFLICT, "plan_not_ready", detail)
    })?;
    let disposition = format!("attachment; filename=\"manifest-{id}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        manifest_csv(&plan),
    )
        .into_response())
}

pub async fn scorecards(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Scorecards>> {
    let mut p = params(raw)?;
    let weeks = take_number(&mut p, "weeks", 13)?;
    reject_leftovers(p, "weeks")?;
    Ok(Json(suppliers::scorecards(&s.platform, weeks).await?))
}

pub async fn supplier_trend(
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<SupplierTrend>> {
    let mut p = params(raw)?;
    let weeks = take_number(&mut p, "weeks", 13)?;
    reject_leftovers(p, "weeks")?;
    Ok(Json(suppliers::supplier_trend(&s.platform, &id, weeks).await?))
}

fn days(raw: Option<String>, default: u32) -> ApiResult<(u32, std::collections::HashMap<String, String>)> {
    let mut p = params(raw)?;
    let days = take_number(&mut p, "days", default)?;
    Ok((days, p))
}

pub async fn transport(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<TransportReport>> {
    let (days, p) = days(raw, 30)?;
    reject_leftovers(p, "days")?;
    Ok(Json(costs::transport(&s.platform, days).await?))
}

pub async fn inventory(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<InventoryReport>> {
    let (days, mut p) = days(raw, 90)?;
    let location =
        p.remove("location_id").ok_or_else(|| ApiError::bad_request("invalid_query", "location_id is required"))?;
    reject_leftovers(p, "days, location_id")?;
    Ok(Json(costs::inventory(&s.platform, &location, days).await?))
}

pub async fn landed(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<LandedReport>> {
    let (days, p) = days(raw, 90)?;
    reject_leftovers(p, "days")?;
    Ok(Json(costs::landed(&s.platform, days).await?))
}

pub async fn price_variance(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<VarianceReport>> {
    let (days, p) = days(raw, 90)?;
    reject_leftovers(p, "days")?;
    Ok(Json(costs::price_variance_report(&s.platform, days).await?))
}
