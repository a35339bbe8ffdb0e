//! The chat widget's script, and `/shop`: a sample storefront that embeds it, for the demo
//! (only when `demo_shop` is on, since it signs in demo customers for anyone). The shop shows
//! a few customers with their latest delivered orders so a visitor can try order lookups and
//! returns as that customer, or chat as a guest who proves an order by phone digits.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use retail_app::access::{Scope, create_key};
use retail_app::assistant::customer_token;
use retail_app::service;
use retail_domain::{Customer, EntityKind, Order};
use retail_store::DocQuery;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

const WIDGET_JS: &str = include_str!("../assets/widget/widget.js");

pub async fn widget_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        WIDGET_JS,
    )
        .into_response()
}

/// The chat API may be called from the retailer's own site: answer CORS preflights for it and
/// allow any origin (a `public` key is meant to sit in web pages; its traffic is rate-limited).
pub async fn chat_cors(req: Request<axum::body::Body>, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/v1/chat") {
        return next.run(req).await;
    }
    let allow = |r: &mut Response| {
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("authorization, content-type"));
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    };
    if req.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        allow(&mut r);
        return r;
    }
    let mut r = next.run(req).await;
    allow(&mut r);
    r
}

#[derive(Debug, Deserialize)]
pub struct ShopQuery {
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Up to `n` customers with the demo's recent orders (and a phone): the shop's sign-in choices.
async fn sample_customers(s: &AppState, n: usize) -> ApiResult<Vec<(Customer, Vec<Order>)>> {
    let mark = format!("-{}0", retail_app::assistant::demo::RECENT_ORDER_MARK);
    let query = DocQuery { search: Some(mark), limit: 200, ..Default::default() };
    let page = service::list(&s.platform, EntityKind::Order, &query).await?;
    let mut chosen: Vec<(Customer, Vec<Order>)> = Vec::new();
    for doc in page.items.into_iter().rev() {
        let Ok(order) = serde_json::from_value::<Order>(doc.doc) else { continue };
        let Some(id) = order.customer_id.clone() else { continue };
        if let Some((_, orders)) = chosen.iter_mut().find(|(c, _)| c.external_id == id) {
            orders.push(order);
            continue;
        }
        if chosen.len() == n {
            continue;
        }
        let Ok(doc) = service::get(&s.platform, EntityKind::Customer, &id).await else { continue };
        let Ok(customer) = serde_json::from_value::<Customer>(doc.doc) else { continue };
        if customer.phone.is_some() {
            chosen.push((customer, vec![order]));
        }
    }
    Ok(chosen)
}

pub async fn shop(State(s): State<AppState>, Query(q): Query<ShopQuery>) -> ApiResult<Response> {
    if !s.platform.config.demo_shop {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such endpoint; see /docs"));
    }
    let zh = q.lang.as_deref() != Some("en");
    let key = s
        .platform
        .assistant
        .shop_key
        .get_or_try_init(|| async {
            create_key(&s.platform, "demo shop widget", &[Scope::Public], None, "demo-shop").await.map(|(_, key)| key)
        })
        .await?
        .clone();
    let secret = &s.platform.config.assistant_identity_secret;
    let signed_in = match (&q.customer, secret.is_empty()) {
        (Some(id), false) => {
            service::get(&s.platform, EntityKind::Customer, id).await?;
            Some((id.clone(), customer_token(secret, id, chrono::Utc::now() + chrono::Duration::hours(8))))
        }
        _ => None,
    };
    let lang_param = if zh { "zh" } else { "en" };
    let mut people = String::new();
    for (c, orders) in sample_customers(&s, 3).await? {
        let phone = c.phone.as_deref().unwrap_or_default();
        let suffix: String =
            phone.chars().filter(char::is_ascii_digit).collect::<Vec<_>>().iter().rev().take(4).rev().collect();
        let ids = orders
            .iter()
            .map(|o| format!("{} ({})", escape(&o.external_id), o.status.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        people.push_str(&format!(
            "<li><a href=\"/shop?customer={id}&amp;lang={lang_param}\">{name} ({id})</a> — {label_orders}: {ids}; {label_phone}: {suffix}</li>",
            id = escape(&c.external_id),
            name = escape(&c.name),
            label_orders = if zh { "最近的订单" } else { "recent orders" },
            label_phone = if zh { "手机尾号" } else { "phone ends" },
        ));
    }
    let who = match &signed_in {
        Some((id, _)) => format!("{} {}", if zh { "当前登录：" } else { "Signed in as" }, escape(id)),
        None => (if zh {
            "当前为游客（查询订单需提供手机尾号）"
        } else {
            "Browsing as a guest (order lookups ask for the phone's last four digits)"
        })
        .to_string(),
    };
    let token_attr = signed_in.map(|(_, t)| format!(" data-customer-token=\"{}\"", escape(&t))).unwrap_or_default();
    let (title, intro, try_these) = if zh {
        (
            "示例商城 · 在线客服演示",
            "点击右下角“咨询客服”与智能客服对话：商品、库存、门店、配送、订单查询、退换货，或要求转人工。",
            "可以试试以这些顾客身份登录：",
        )
    } else {
        (
            "Sample shop · chat demo",
            "Open \"Chat with us\" at the bottom right to ask about products, stock, stores, delivery, your orders, returns, or to reach a person.",
            "Try signing in as one of these customers:",
        )
    };
    let html = format!(
        "<!doctype html><html lang=\"{lang_param}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title><style>body{{font-family:system-ui,'PingFang SC',sans-serif;max-width:760px;margin:40px auto;padding:0 16px;color:#223}}\
         li{{margin:6px 0}}</style></head><body><h1>{title}</h1><p>{intro}</p><p><strong>{who}</strong> · \
         <a href=\"/shop?lang={lang_param}\">{guest}</a> · <a href=\"/shop?lang={other}\">{other_label}</a></p>\
         <p>{try_these}</p><ul>{people}</ul>\
         <script src=\"/widget.js\" data-key=\"{key}\" data-lang=\"{lang_param}\"{token_attr} defer></script></body></html>",
        guest = if zh { "游客" } else { "Guest" },
        other = if zh { "en" } else { "zh" },
        other_label = if zh { "English" } else { "中文" },
        key = escape(&key),
    );
    Ok(Html(html).into_response())
}
