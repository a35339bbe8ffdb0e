//! REST handlers for demand planning: forecasts at any level and what-if for a price change, forecast
//! runs (list, run now, backtest)
//! and the replenishment queue (list, decide, order). Each calls one operation of `retail-app`, the
//! same the CLI and the console call.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::NaiveDate;
use retail_app::planning::analysis::{self, InventoryAnalysis};
use retail_app::planning::replenish::{self, Decided, Decision, ListQuery, Ordered, SuggestionPage};
use retail_app::planning::whatif::{self, WhatIf, WhatIfAnswer};
use retail_app::planning::{self, Backtest, ForecastQuery, ForecastView, RunOptions, RunSummary, Trigger};
use serde::Deserialize;

use crate::AppState;
use crate::access::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::routes::{params, reject_leftovers};

fn number(p: &mut HashMap<String, String>, name: &str) -> ApiResult<Option<u32>> {
    p.remove(name)
        .map(|v| {
            v.parse().map_err(|_| ApiError::bad_request("invalid_query", format!("{name} must be a whole number")))
        })
        .transpose()
}

pub async fn forecasts(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<ForecastView>> {
    let mut p = params(raw)?;
    let q = ForecastQuery {
        run_id: p.remove("run_id"),
        level: p.remove("level"),
        location_id: p.remove("location_id"),
        category_id: p.remove("category_id"),
        product_id: p.remove("product_id"),
        history_days: number(&mut p, "history_days")?,
        limit: number(&mut p, "limit")?,
    };
    reject_leftovers(p, "run_id, level, location_id, category_id, product_id, history_days, limit")?;
    Ok(Json(planning::forecasts(&s.platform, &q).await?))
}

pub async fn runs(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let limit = number(&mut p, "limit")?.unwrap_or(20);
    reject_leftovers(p, "limit")?;
    Ok(Json(serde_json::json!({ "items": planning::runs(&s.platform, limit).await? })))
}

/// Run the forecast now.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The last day of history to use; the newest day with sales when absent.
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

pub async fn run_now(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(req): ApiJson<RunRequest>,
) -> ApiResult<(StatusCode, Json<RunSummary>)> {
    let options = RunOptions { as_of: req.as_of, trigger: Trigger::Manual, by: principal.actor() };
    Ok((StatusCode::CREATED, Json(planning::run(&s.platform, options).await?)))
}

pub async fn what_if(State(s): State<AppState>, ApiJson(q): ApiJson<WhatIf>) -> ApiResult<Json<WhatIfAnswer>> {
    Ok(Json(whatif::what_if(&s.platform, &q).await?))
}

pub async fn backtest(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Backtest>> {
    let mut p = params(raw)?;
    let origins = number(&mut p, "origins")?.unwrap_or(4);
    reject_leftovers(p, "origins")?;
    Ok(Json(planning::backtest(&s.platform, origins).await?))
}

pub async fn suggestions(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<SuggestionPage>> {
    let mut p = params(raw)?;
    let q = ListQuery {
        status: p.remove("status"),
        location_id: p.remove("location_id"),
        run_id: p.remove("run_id"),
        after: p.remove("after"),
        limit: number(&mut p, "limit")?,
    };
    reject_leftovers(p, "status, location_id, run_id, after, limit")?;
    Ok(Json(replenish::list(&s.platform, &q).await?))
}

/// A planner's decision on suggestions.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub ids: Vec<String>,
    pub decision: Decision,
}

pub async fn decide(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> ApiResult<Json<Decided>> {
    Ok(Json(replenish::decide(&s.platform, &req.ids, req.decision, &principal.actor()).await?))
}

/// Approved suggestions to order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub ids: Vec<String>,
}

pub async fn order(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(req): ApiJson<OrderRequest>,
) -> ApiResult<(StatusCode, Json<Ordered>)> {
    Ok((StatusCode::CREATED, Json(replenish::order(&s.platform, &req.ids, &principal.actor()).await?)))
}

pub async fn analysis(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<InventoryAnalysis>> {
    let mut p = params(raw)?;
    let location = p.remove("location_id").unwrap_or_default();
    reject_leftovers(p, "location_id")?;
    Ok(Json(analysis::analyse(&s.platform, &location).await?))
}
