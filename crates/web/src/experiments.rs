//! REST handlers for recommendations and experiments; each calls one service
//! operation of `retail-app` (the same the CLI calls) and presents the result.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use retail_app::experiments::{self, Change, ExperimentView, NewExperiment, Results, Served};
use retail_app::recommend::{self, RecommendationRequest, Recommendations, Scored};
use serde::Deserialize;

use crate::AppState;
use crate::access::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::routes::{params, reject_leftovers};

fn take_k(p: &mut HashMap<String, String>) -> ApiResult<usize> {
    match p.remove("k") {
        None => Ok(10),
        Some(v) => v.parse().map_err(|_| ApiError::bad_request("invalid_query", "k must be a whole number")),
    }
}

/// Parameters named `attr.NAME` are unit attributes for experiment targeting.
fn take_attributes(p: &mut HashMap<String, String>) -> Vec<(String, String)> {
    let names: Vec<String> = p.keys().filter(|k| k.starts_with("attr.")).cloned().collect();
    let mut attributes: Vec<(String, String)> =
        names.into_iter().filter_map(|k| p.remove(&k).map(|v| (k["attr.".len()..].to_string(), v))).collect();
    attributes.sort();
    attributes
}

pub async fn recommendations(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Recommendations>> {
    let mut p = params(raw)?;
    let request = RecommendationRequest {
        customer_id: p.remove("customer_id"),
        session_id: p.remove("session_id"),
        context: p
            .remove("context")
            .map(|c| c.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
        k: take_k(&mut p)?,
        attributes: take_attributes(&mut p),
    };
    reject_leftovers(p, "customer_id, session_id, context, k, attr.NAME")?;
    Ok(Json(recommend::recommend(&s.platform, &request, chrono::Utc::now()).await?))
}

pub async fn related(
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let k = take_k(&mut p)?;
    reject_leftovers(p, "k")?;
    let items: Vec<Scored> = recommend::related(&s.platform, &id, k).await?;
    Ok(Json(serde_json::json!({ "product_id": id, "items": items })))
}

pub async fn refit(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    let models = recommend::refit(&s.platform).await?;
    Ok(Json(serde_json::json!({
        "fitted_at": models.fitted_at,
        "interactions": models.interactions,
        "products": models.products(),
    })))
}

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
