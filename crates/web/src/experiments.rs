//! REST handlers for experiments; each calls one service
//! operation of `retail-app` (the same the CLI calls) and presents the result.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use retail_app::experiments::{self, Change, ExperimentView, NewExperiment, Results, Served};
use serde::Deserialize;

use crate::AppState;
use crate::access::Principal;
use crate::error::ApiResult;
use crate::extract::ApiJson;

pub async fn list(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(serde_json::json!({ "items": experiments::list(&s.platform).await? })))
}

pub async fn create(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(input): ApiJson<NewExperiment>,
) -> ApiResult<(StatusCode, Json<ExperimentView>)> {
    Ok((StatusCode::CREATED, Json(experiments::create(&s.platform, input, &principal.actor()).await?)))
}

pub async fn get(State(s): State<AppState>, Path(key): Path<String>) -> ApiResult<Json<ExperimentView>> {
    Ok(Json(experiments::get(&s.platform, &key).await?))
}

pub async fn change(
    State(s): State<AppState>,
    Path(key): Path<String>,
    ApiJson(change): ApiJson<Change>,
) -> ApiResult<Json<ExperimentView>> {
    Ok(Json(experiments::change(&s.platform, &key, change).await?))
}

pub async fn results(State(s): State<AppState>, Path(key): Path<String>) -> ApiResult<Json<Results>> {
    Ok(Json(experiments::results(&s.platform, &key).await?))
}

/// A unit asking which variant of a feature experiment it gets.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub unit: String,
    #[serde(default)]
    pub attributes: HashMap<String, String>,
}

pub async fn assign(
    State(s): State<AppState>,
    Path(key): Path<String>,
    ApiJson(req): ApiJson<AssignRequest>,
) -> ApiResult<Json<Served>> {
    let mut attributes: Vec<(String, String)> = req.attributes.into_iter().collect();
    attributes.sort();
    let served = experiments::assign_unit(&s.platform, &key, &req.unit, &attributes, chrono::Utc::now()).await?;
    Ok(Json(served))
}
