//! REST handlers for recommendations: personalised lists, related products and
//! bundles for storefronts; strategies, model versions and live metrics for the
//! console. Each calls one service operation of `retail-app` and presents it.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::{Extension, Json};
use retail_app::recommend::{self, ModelVersion, RecommendationRequest, Recommendations, Scored};
use retail_app::strategies::{self, StrategyConfig, StrategyMetrics, StrategyView};
use serde::Deserialize;

use crate::AppState;
use crate::access::Principal;
use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::routes::{params, reject_leftovers, take_number};

fn take_list(p: &mut HashMap<String, String>, name: &str) -> Vec<String> {
    p.remove(name)
        .map(|c| c.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// A query with nothing but the list length `k` (default 10).
fn only_k(raw: Option<String>) -> ApiResult<usize> {
    let mut p = params(raw)?;
    let k = take_number(&mut p, "k", 10)?;
    reject_leftovers(p, "k")?;
    Ok(k)
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
        context: take_list(&mut p, "context"),
        k: take_number(&mut p, "k", 10)?,
        attributes: take_attributes(&mut p),
        strategy: p.remove("strategy"),
        store: p.remove("store"),
        category: p.remove("category"),
    };
    reject_leftovers(p, "customer_id, session_id, context, k, strategy, store, category, attr.NAME")?;
    Ok(Json(recommend::recommend(&s.platform, &request, chrono::Utc::now()).await?))
}

pub async fn related(
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<serde_json::Value>> {
    let items: Vec<Scored> = recommend::related(&s.platform, &id, only_k(raw)?).await?;
    Ok(Json(serde_json::json!({ "product_id": id, "items": items })))
}

/// Frequently bought together with one product.
pub async fn product_bundles(
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<serde_json::Value>> {
    let items = recommend::bundles(&s.platform, std::slice::from_ref(&id), only_k(raw)?).await?;
    Ok(Json(serde_json::json!({ "cart": [id], "items": items })))
}

/// Frequently bought together with a cart: `?cart=P1,P2`.
pub async fn cart_bundles(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let k = take_number(&mut p, "k", 10)?;
    let cart = take_list(&mut p, "cart");
    reject_leftovers(p, "cart, k")?;
    let items = recommend::bundles(&s.platform, &cart, k).await?;
    Ok(Json(serde_json::json!({ "cart": cart, "items": items })))
}

pub async fn refit(State(s): State<AppState>) -> ApiResult<Json<ModelVersion>> {
    Ok(Json(recommend::refit(&s.platform).await?.as_version()))
}

pub async fn models(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let limit = take_number(&mut p, "limit", 20)?;
    reject_leftovers(p, "limit")?;
    Ok(Json(serde_json::json!({ "items": recommend::versions(&s.platform, limit).await? })))
}

pub async fn metrics(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let mut p = params(raw)?;
    let days = take_number(&mut p, "days", 30)?;
    reject_leftovers(p, "days")?;
    let items: Vec<StrategyMetrics> = strategies::live_metrics(&s.platform, days, chrono::Utc::now()).await?;
    Ok(Json(serde_json::json!({ "days": days, "items": items })))
}

pub async fn list_strategies(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(serde_json::json!({ "items": strategies::list(&s.platform).await? })))
}

pub async fn get_strategy(State(s): State<AppState>, Path(name): Path<String>) -> ApiResult<Json<StrategyView>> {
    Ok(Json(strategies::get(&s.platform, &name).await?))
}

/// A strategy as sent to be created (`version` 0) or edited (`version` as read).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StrategyEdit {
    #[serde(flatten)]
    pub config: StrategyConfig,
    pub version: i64,
}

pub async fn put_strategy(
    State(s): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    ApiJson(edit): ApiJson<StrategyEdit>,
) -> ApiResult<Json<StrategyView>> {
    Ok(Json(strategies::put(&s.platform, &name, edit.config, edit.version, &principal.actor()).await?))
}
