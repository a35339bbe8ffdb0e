//! Sign-in, sign-out and the language switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use retail_app::access::{self as app_access, AuditWrite, LoginError};
use serde::Deserialize;

use super::i18n::{LANG_COOKIE, Lang};
use super::{ASSET_VERSION, Viewer};
use crate::AppState;
use crate::access::{self, ClientIp, Principal, SESSION_COOKIE};

const LOGIN_CSRF_COOKIE: &str = "retail_login_csrf";
/// Sign-in attempts one address may make per minute, on top of per-account lockout.
const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 20;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    csrf: String,
    next: String,
    username: String,
    error: String,
    other_lang: &'static str,
    version: &'static str,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths, so the login form cannot be used to send users elsewhere.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/console".into(),
    }
}

fn random_token() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn render_login(
    lang: Lang,
    csrf: String,
    next: String,
    username: String,
    error: String,
    status: StatusCode,
) -> Response {
    let page = LoginPage {
        lang,
        csrf: csrf.clone(),
        next,
        username,
        error,
        other_lang: if lang == Lang::Zh { "en" } else { "zh" },
        version: ASSET_VERSION,
    };
    let html = match page.render() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "login template failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let cookie = format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600");
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("hex cookie"));
    response
}

pub async fn login_page(viewer: Viewer, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    if matches!(viewer.principal, Principal::User(_)) {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    // Keep an existing form token so two open login tabs both work.
    let csrf = access::cookie(&headers, LOGIN_CSRF_COOKIE).map_or_else(random_token, str::to_string);
    render_login(viewer.lang, csrf, safe_next(q.next.as_deref()), String::new(), String::new(), StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Extension(ip): Extension<ClientIp>,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = viewer.lang;
    let next = safe_next(form.next.as_deref());
    let expected = access::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let again = |error: &str, status| {
        render_login(lang, random_token(), next.clone(), form.username.clone(), error.to_string(), status)
    };
    if expected.is_empty() || !access::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return again(lang.t("login.expired_form"), StatusCode::FORBIDDEN);
    }
    match access::over_limit(&state, &format!("login:{}", ip.label()), LOGIN_ATTEMPTS_PER_MINUTE).await {
        Ok(false) => {}
        Ok(true) => return again(lang.t("login.rate_limited"), StatusCode::TOO_MANY_REQUESTS),
        Err(e) => return e.into_response(),
    }
    let replacing = access::cookie(&headers, SESSION_COOKIE);
    let outcome = app_access::login(&state.platform, &form.username, &form.password, replacing).await;
    let (status, result) = match &outcome {
        Ok(_) => (200, "signed in"),
        Err(LoginError::BadCredentials) => (401, "wrong username or password"),
        Err(LoginError::Locked { .. }) => (423, "account locked"),
        Err(LoginError::Service(_)) => (500, "failed"),
    };
    access::record(
        &state,
        AuditWrite {
            actor: form.username.clone(),
            action: "login".into(),
            target: "/login".into(),
            detail: result.into(),
            status,
            ip: ip.0.map(|i| i.to_string()),
            request_id: crate::request_id::current(),
        },
    )
    .await;
    match outcome {
        Ok(session) => {
            let max_age = (session.expires_at - chrono::Utc::now()).num_seconds().max(0);
            let secure = if state.platform.config.secure_cookies { "; Secure" } else { "" };
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
                session.token
            );
            let mut response = Redirect::to(&next).into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("hex cookie"));
            headers.append(
                header::SET_COOKIE,
                HeaderValue::from_static("retail_login_csrf=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
            );
            response
        }
        Err(LoginError::BadCredentials) => again(lang.t("login.bad_credentials"), StatusCode::UNAUTHORIZED),
        Err(LoginError::Locked { until }) => {
            let message = format!("{} {} UTC", lang.t("login.locked"), until.format("%Y-%m-%d %H:%M"));
            again(&message, StatusCode::LOCKED)
        }
        Err(LoginError::Service(e)) => crate::error::ApiError::from(e).into_response(),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = access::cookie(&headers, SESSION_COOKIE)
        && let Err(e) = app_access::logout(&state.platform, token).await
    {
        return crate::error::ApiError::from(e).into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("retail_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    response
}

pub async fn switch_language(Path(code): Path<String>, Query(q): Query<NextQuery>) -> Response {
    let Some(lang) = Lang::parse(&code) else { return StatusCode::NOT_FOUND.into_response() };
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.short());
    let mut response = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    response.headers_mut().append(header::SET_COOKIE, HeaderValue::from_str(&cookie).expect("ascii cookie"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_goes_to_local_paths() {
        assert_eq!(safe_next(Some("/console/orders?status=paid")), "/console/orders?status=paid");
        assert_eq!(safe_next(Some("//evil.example/")), "/console");
        assert_eq!(safe_next(Some("https://evil.example/")), "/console");
        assert_eq!(safe_next(Some("/\\evil.example")), "/console");
        assert_eq!(safe_next(None), "/console");
    }
}
