//! REST handlers for marketing: segments (rules, preview, refresh, RFM, clusters), campaigns
//! (save, plan, preview, launch, cancel, effect), uplift models and opt-outs; and the public
//! unsubscribe page every message links to. Each calls one operation of `retail-app`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::{Form, Json};
use retail_app::marketing::delivery::{Adapters, DeliveryReport, deliver_all_due};
use retail_app::marketing::uplift::{self, UpliftTraining};
use retail_app::marketing::{
    self, Campaign, CampaignEffect, CampaignSpec, Clusters, LaunchReport, MessagePreview, RfmCount, Segment,
    SegmentDetail, SegmentInput, SegmentPreview,
};
use retail_marketing::rules::Rule;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::routes::{params, reject_leftovers};

pub async fn segments(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(serde_json::json!({ "items": marketing::list_segments(&s.platform).await? })))
}

pub async fn put_segment(
    State(s): State<AppState>,
    axum::Extension(principal): axum::Extension<crate::access::Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SegmentInput>,
) -> ApiResult<Json<Segment>> {
    Ok(Json(marketing::save_segment(&s.platform, &id, input, &principal.actor()).await?))
}

pub async fn segment(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<SegmentDetail>> {
    Ok(Json(marketing::segment(&s.platform, &id).await?))
}

pub async fn delete_segment(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    marketing::delete_segment(&s.platform, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn refresh_segment(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Segment>> {
    Ok(Json(marketing::refresh_segment(&s.platform, &id).await?))
}

/// A rule to try before saving it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub rule: Rule,
}

pub async fn preview_segment(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<PreviewRequest>,
) -> ApiResult<Json<SegmentPreview>> {
    Ok(Json(marketing::preview_segment(&s.platform, &req.rule).await?))
}

pub async fn rfm(State(s): State<AppState>) -> ApiResult<Json<Vec<RfmCount>>> {
    Ok(Json(marketing::rfm_overview(&s.platform).await?))
}

pub async fn clusters(State(s): State<AppState>, RawQuery(raw): RawQuery) -> ApiResult<Json<Clusters>> {
    let mut p = params(raw)?;
    let k = p
        .remove("k")
        .map(|v| v.parse::<usize>().map_err(|_| ApiError::bad_request("invalid_query", "k must be a whole number")))
        .transpose()?;
    reject_leftovers(p, "k")?;
    Ok(Json(marketing::clusters(&s.platform, k).await?))
}

pub async fn campaigns(State(s): State<AppState>) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(serde_json::json!({ "items": marketing::list_campaigns(&s.platform).await? })))
}

pub async fn put_campaign(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(spec): ApiJson<CampaignSpec>,
) -> ApiResult<Json<Campaign>> {
    Ok(Json(marketing::save_campaign(&s.platform, &id, spec).await?))
}

pub async fn campaign(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Campaign>> {
    Ok(Json(marketing::campaign(&s.platform, &id).await?))
}

pub async fn plan(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Campaign>> {
    Ok(Json(marketing::plan(&s.platform, &id).await?))
}

pub async fn preview(
    State(s): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<Vec<MessagePreview>>> {
    let mut p = params(raw)?;
    let limit = p
        .remove("limit")
        .map(|v| v.parse::<usize>().map_err(|_| ApiError::bad_request("invalid_query", "limit must be a whole number")))
        .transpose()?
        .unwrap_or(20)
        .min(500);
    reject_leftovers(p, "limit")?;
    Ok(Json(marketing::preview(&s.platform, &id, limit).await?))
}

pub async fn launch(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<LaunchReport>> {
    Ok(Json(marketing::launch(&s.platform, &id).await?))
}

pub async fn cancel(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<Campaign>> {
    Ok(Json(marketing::cancel(&s.platform, &id).await?))
}

pub async fn effect(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<CampaignEffect>> {
    Ok(Json(marketing::effect(&s.platform, &id).await?))
}

/// Sends what is due now instead of waiting for the sender's next pass.
pub async fn deliver(State(s): State<AppState>) -> ApiResult<Json<DeliveryReport>> {
    let adapters = Adapters::from_config(&s.platform.config)
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "channels_misconfigured", e))?;
    Ok(Json(deliver_all_due(&s.platform, &adapters, 500).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
    /// `two_model` (default), `class_transformation` or `uplift_forest`.
    #[serde(default)]
    pub kind: Option<String>,
}

pub async fn train_uplift(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<TrainRequest>,
) -> ApiResult<(StatusCode, Json<UpliftTraining>)> {
    let kind = req
        .kind
        .as_deref()
        .unwrap_or("two_model")
        .parse()
        .map_err(|e: retail_uplift::UpliftError| ApiError::bad_request("invalid_body", e.to_string()))?;
    Ok((StatusCode::CREATED, Json(uplift::train(&s.platform, kind).await?)))
}

pub async fn uplift_model(State(s): State<AppState>) -> ApiResult<Json<Option<UpliftTraining>>> {
    Ok(Json(uplift::latest_training(&s.platform).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOutRequest {
    pub customer_id: String,
    /// `sms`, `email`, `push`, `wechat` or `all`.
    pub channel: String,
}

pub async fn opt_out(State(s): State<AppState>, ApiJson(req): ApiJson<OptOutRequest>) -> ApiResult<StatusCode> {
    marketing::opt_out(&s.platform, &req.customer_id, &req.channel, "api").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The choice made on the unsubscribe page; RFC 8058 one-click posts `List-Unsubscribe=One-Click`.
#[derive(Debug, Deserialize)]
pub struct UnsubscribeForm {
    #[serde(default)]
    scope: Option<String>,
    #[serde(rename = "List-Unsubscribe", default)]
    one_click: Option<String>,
}

fn page(zh: &str, en: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{zh} · {en}</title><style>body{{font-family:sans-serif;\
         max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.6}}button{{display:block;width:100%;\
         margin:.5rem 0;padding:.6rem;font-size:1rem}}</style></head><body><h1>{zh}</h1><p lang=\"en\">{en}</p>\
         {body}</body></html>"
    ))
}

/// The page a message's unsubscribe link opens: it asks, so link scanners cannot unsubscribe.
pub async fn unsubscribe_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match s.platform.store.message_by_token(&token).await {
        Ok(Some(_)) => page(
            "退订消息",
            "Unsubscribe",
            "<form method=\"post\">\
             <button name=\"scope\" value=\"channel\">不再通过此渠道接收营销消息 · Stop messages on this channel</button>\
             <button name=\"scope\" value=\"all\">退订全部营销消息 · Stop all marketing messages</button>\
             <button name=\"scope\" value=\"personalisation\">不再根据我的购物记录推荐 · Stop personalising \
             my messages</button></form>",
        )
        .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, page("链接无效", "This link is not valid", "")).into_response(),
        Err(e) => ApiError::from(retail_app::ServiceError::from(e)).into_response(),
    }
}

pub async fn unsubscribe(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<UnsubscribeForm>,
) -> ApiResult<Html<String>> {
    let scope = form.scope.as_deref().unwrap_or(if form.one_click.is_some() { "channel" } else { "" });
    let (zh, en) = match scope {
        "channel" => {
            marketing::unsubscribe(&s.platform, &token, false).await?;
            ("已退订此渠道的营销消息", "You will get no more marketing messages on this channel.")
        }
        "all" => {
            marketing::unsubscribe(&s.platform, &token, true).await?;
            ("已退订全部营销消息", "You will get no more marketing messages.")
        }
        "personalisation" => {
            marketing::set_personalisation(&s.platform, &token, false).await?;
            ("已关闭个性化推荐", "Your messages will no longer be personalised.")
        }
        other => {
            return Err(ApiError::bad_request(
                "invalid_body",
                format!("scope must be channel, all or personalisation, not {other:?}"),
            ));
        }
    };
    Ok(page(zh, en, ""))
}
