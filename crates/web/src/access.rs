//! Access control, enforced in one place. Every route is registered through
//! [`Routes`], which records the [`Access`] it needs next to its handler; the
//! [`authorize`] middleware looks the matched route up in that table before any
//! handler runs, so a handler cannot forget its check, and a route registered
//! any other way is refused (fail closed).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use retail_app::access::{self as app_access, ApiKeyInfo, AuditWrite, Scope, SessionInfo};
use retail_app::users::Role;

use crate::AppState;
use crate::error::ApiError;

/// The business areas whose data a permission reads or changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// Products, categories and locations.
    Catalog,
    Customers,
    Orders,
    /// Ledger movements and stock.
    Inventory,
    /// Suppliers, purchase orders and goods receipts.
    Supply,
    /// The customer-service knowledge base.
    Knowledge,
    /// Behaviour events (views, carts, purchases).
    Events,
    /// A/B tests: their definitions, lifecycle and results.
    Experiments,
    /// Recommendation strategies, trained model versions and live metrics per strategy.
    Recommendations,
    /// Demand forecasts, forecast runs and replenishment suggestions.
    Planning,
    /// Customer-service conversations: the agent desk, return requests, the assistant's analytics
    /// and training examples.
    Service,
    /// Segments, campaigns, their messages and effect, uplift models and opt-outs.
    Marketing,
}

impl Area {
    pub const ALL: [Area; 12] = [
        Self::Catalog,
        Self::Customers,
        Self::Orders,
        Self::Inventory,
        Self::Supply,
        Self::Knowledge,
        Self::Events,
        Self::Experiments,
        Self::Recommendations,
        Self::Planning,
        Self::Service,
        Self::Marketing,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    Read(Area),
    Write(Area),
    /// Storefront calls: behaviour events, recommendations, the customer chat.
    Storefront,
    /// Service health, metrics and job status.
    ViewOperations,
    /// Users and API keys.
    ManageAccess,
    ViewAudit,
}

impl Permission {
    /// Every permission, for exhaustive role and scope tests.
    pub fn all() -> Vec<Permission> {
        let mut all: Vec<_> = Area::ALL.iter().flat_map(|a| [Self::Read(*a), Self::Write(*a)]).collect();
        all.extend([Self::Storefront, Self::ViewOperations, Self::ManageAccess, Self::ViewAudit]);
        all
    }
}

/// What each console role may do; the one place that decides it.
pub fn role_allows(role: Role, permission: Permission) -> bool {
    use Area::*;
    use Permission::*;
    match role {
        Role::Admin => true,
        Role::Analyst => matches!(permission, Read(_) | Write(Experiments | Recommendations) | ViewOperations),
        Role::Merchandiser => matches!(permission, Read(_) | Write(Catalog | Recommendations)),
        Role::Planner => matches!(permission, Read(_) | Write(Inventory | Supply | Planning)),
        Role::Agent => matches!(
            permission,
            Read(Catalog | Customers | Orders | Inventory | Knowledge | Service)
                | Write(Customers | Orders | Knowledge | Service)
        ),
        Role::Marketer => {
            matches!(
                permission,
                Read(Catalog | Customers | Orders | Events | Experiments | Recommendations | Marketing)
                    | Write(Experiments | Recommendations | Marketing)
            )
        }
    }
}

/// What an API key with this scope may do.
pub fn scope_allows(scope: Scope, permission: Permission) -> bool {
    use Permission::*;
    match scope {
        Scope::Public => permission == Storefront,
        Scope::Read => matches!(permission, Storefront | Read(_) | ViewOperations),
        Scope::Write => matches!(permission, Storefront | Read(_) | Write(_) | ViewOperations),
        Scope::Admin => true,
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reachable by anyone: login, health probes, documentation, static assets.
    Anonymous,
    /// Any signed-in user or valid key (the console's overview and navigation).
    SignedIn,
    Needs(Permission),
}

/// Who is making the request.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    User(SessionInfo),
    Key(ApiKeyInfo),
}

impl Principal {
    pub fn allows(&self, permission: Permission) -> bool {
        match self {
            Self::Anonymous => false,
            Self::User(s) => role_allows(s.role, permission),
            Self::Key(k) => k.scopes.iter().any(|s| scope_allows(*s, permission)),
        }
    }

    fn satisfies(&self, access: Access) -> bool {
        match access {
            Access::Anonymous => true,
            Access::SignedIn => !matches!(self, Self::Anonymous),
            Access::Needs(p) => self.allows(p),
        }
    }

    /// The name written to the audit log.
    pub fn actor(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::User(s) => s.username.clone(),
            Self::Key(k) => format!("key:{}", k.id),
        }
    }
}

/// The route table: each route with the access each of its methods needs.
pub type AccessTable = HashMap<(Method, String), Access>;

/// A router builder that will not take a handler without its access rule.
#[derive(Default)]
pub struct Routes {
    routes: HashMap<String, MethodRouter<AppState>>,
    table: AccessTable,
    /// Keeps registration order so that the router is built deterministically.
    order: Vec<String>,
}

impl Routes {
    /// Adds `handler` for `method` on `path`, requiring `access`.
    pub fn add<H, T>(mut self, method: Method, path: &str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let previous = self.table.insert((method.clone(), path.to_string()), access);
        assert!(previous.is_none(), "{method} {path} registered twice");
        let filter = MethodFilter::try_from(method).expect("a standard method");
        self.insert(path.to_string(), on(filter, handler));
        self
    }

    /// Routes `router`'s methods on `path`, beside any already routed there.
    fn insert(&mut self, path: String, router: MethodRouter<AppState>) {
        let merged = match self.routes.remove(&path) {
            Some(existing) => existing.merge(router),
            None => {
                self.order.push(path.clone());
                router
            }
        };
        self.routes.insert(path, merged);
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Self {
        self.add(Method::GET, path, access, handler)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Self {
        self.add(Method::POST, path, access, handler)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Self {
        self.add(Method::PUT, path, access, handler)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &str, access: Access, handler: H) -> Self {
        self.add(Method::DELETE, path, access, handler)
    }

    /// Adds every route of `other`; a route declared in both is a programming error.
    pub fn merge(mut self, other: Routes) -> Self {
        let mut routes = other.routes;
        for path in other.order {
            let router = routes.remove(&path).expect("ordered path has a router");
            self.insert(path, router);
        }
        for (key, access) in other.table {
            assert!(self.table.insert(key.clone(), access).is_none(), "{} {} registered twice", key.0, key.1);
        }
        self
    }

    /// The declared rules, for the middleware and for tests that walk every route.
    pub fn table(&self) -> &AccessTable {
        &self.table
    }

    pub fn build(self) -> (Router<AppState>, AccessTable) {
        let mut router = Router::new();
        let mut routes = self.routes;
        for path in self.order {
            let methods = routes.remove(&path).expect("ordered path has a router");
            router = router.route(&path, methods);
        }
        (router, self.table)
    }
}

pub const SESSION_COOKIE: &str = "retail_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field that carries the CSRF token on plain HTML forms.
pub const CSRF_FIELD: &str = "_csrf";

/// Reads one cookie from the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The peer's address, as a request extension for handlers (absent when the
/// router runs without connect info, as in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl ClientIp {
    fn of(req: &Request) -> Self {
        Self(req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
    }

    /// The key rate limits count under.
    pub fn label(&self) -> String {
        self.0.map_or_else(|| "unknown".into(), |ip| ip.to_string())
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Console pages answer a missing login with a redirect to the login page; the
/// API answers with a problem document.
fn is_page(path: &str) -> bool {
    !path.starts_with("/api/") && path != "/metrics"
}

/// The access-control middleware: identifies the caller, checks the route's
/// rule, CSRF and rate limits, runs the handler, and audits what changed data.
pub async fn authorize(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let Some(route) = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()) else {
        // No route matched: the fallback answers 404 without revealing anything.
        return next.run(req).await;
    };
    let Some(access) = state.access.get(&(method.clone(), route.clone())).copied() else {
        tracing::error!(%method, %route, "route has no declared access rule; refusing");
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this route declares no access rule").into_response();
    };
    let principal = match identify(&state, req.headers()).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if !principal.satisfies(access) {
        return refuse(&principal, &route, &req);
    }
    let ip = ClientIp::of(&req);
    if access == Access::Needs(Permission::Storefront)
        && let Err(e) = rate_limit(&state, &principal, &ip).await
    {
        return e.into_response();
    }
    let path = req.uri().path().to_string();
    let mut req = req;
    // Anonymous routes (the login form) protect themselves: the session's token is not theirs.
    if let Principal::User(session) = &principal
        && !is_safe(&method)
        && access != Access::Anonymous
    {
        req = match check_csrf(req, &session.csrf_token).await {
            Ok(r) => r,
            Err(e) => return e.into_response(),
        };
    }
    req.extensions_mut().insert(principal.clone());
    req.extensions_mut().insert(ip);
    let response = next.run(req).await;
    // Storefront traffic is high-volume and changes no business records by hand.
    let audited = !is_safe(&method) && access != Access::Needs(Permission::Storefront) && access != Access::Anonymous;
    if audited {
        audit(&state, &principal, &method, &route, &path, response.status(), ip.0).await;
    }
    response
}

fn refuse(principal: &Principal, route: &str, req: &Request) -> Response {
    let uri = req.uri();
    match principal {
        Principal::Anonymous if is_page(route) => {
            let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/console");
            let login = format!("/login?next={}", urlencode(next));
            // An htmx request (a boosted link or form) would swap the login page into
            // the console's frame; HX-Redirect makes the browser load it whole.
            if req.headers().contains_key("hx-request") {
                let mut r = StatusCode::UNAUTHORIZED.into_response();
                if let Ok(v) = axum::http::HeaderValue::from_str(&login) {
                    r.headers_mut().insert("hx-redirect", v);
                }
                return r;
            }
            Redirect::to(&login).into_response()
        }
        Principal::Anonymous => {
            let mut r = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send an API key as 'Authorization: Bearer rk_…' or sign in",
            )
            .into_response();
            r.headers_mut().insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
            r
        }
        _ if is_page(route) => crate::console::forbidden_page(principal, req.headers(), uri.path()),
        _ => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "your role or key scope does not allow this")
            .into_response(),
    }
}

/// Percent-encodes a query-string value ('/' may stay: it is legal there and
/// keeps paths passed as `next` readable).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A bearer key wins over a session cookie; a bad key is an error rather than
/// a silent fall back to anonymous, so a misconfigured client learns why.
async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let presented = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        let key = match presented {
            Some(k) => app_access::authenticate_key(&state.platform, k).await?,
            None => None,
        };
        return key.map(Principal::Key).ok_or_else(|| {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid_api_key", "the API key is unknown, revoked or expired")
        });
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(token) => {
            Ok(app_access::session(&state.platform, token).await?.map_or(Principal::Anonymous, Principal::User))
        }
        None => Ok(Principal::Anonymous),
    }
}

/// Session-authenticated changes must carry the session's CSRF token, in the
/// `X-CSRF-Token` header (htmx, fetch) or the `_csrf` field of a form.
async fn check_csrf(req: Request, expected: &str) -> Result<Request, ApiError> {
    let forged = || ApiError::new(StatusCode::FORBIDDEN, "csrf_failed", "missing or wrong CSRF token; reload the page");
    if let Some(v) = req.headers().get(CSRF_HEADER) {
        return if constant_time_eq(v.as_bytes(), expected.as_bytes()) { Ok(req) } else { Err(forged()) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(forged());
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 1 << 20)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "form larger than 1 MiB"))?;
    let token = form_field(&bytes, CSRF_FIELD);
    if !token.is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes())) {
        return Err(forged());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// One field of an `application/x-www-form-urlencoded` body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_pairs(body).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counts one request against `key` in the current one-minute window (kept in
/// the platform cache, so replicas sharing Redis share the limit); true when
/// the window already holds more than `limit`.
pub async fn over_limit(state: &AppState, key: &str, limit: u32) -> Result<bool, ApiError> {
    let minute = chrono::Utc::now().timestamp() / 60;
    let count = state
        .platform
        .cache
        .incr(&format!("rl:{key}:{minute}"), 1, Some(Duration::from_secs(61)))
        .await
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "cache_unavailable", e.to_string()))?;
    Ok(count > i64::from(limit))
}

/// Storefront limits: per key and per client address.
async fn rate_limit(state: &AppState, principal: &Principal, ip: &ClientIp) -> Result<(), ApiError> {
    let config = &state.platform.config;
    let mut checks = vec![(format!("ip:{}", ip.label()), config.rate_limit_per_ip_per_minute)];
    if let Principal::Key(k) = principal {
        checks.push((format!("key:{}", k.id), config.rate_limit_per_key_per_minute));
    }
    for (key, limit) in checks {
        if over_limit(state, &key, limit).await? {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("more than {limit} requests in a minute; retry after the minute ends"),
            );
            e.retry_after = Some(60 - (chrono::Utc::now().timestamp() % 60) as u64);
            return Err(e);
        }
    }
    Ok(())
}

async fn audit(
    state: &AppState,
    principal: &Principal,
    method: &Method,
    route: &str,
    path: &str,
    status: StatusCode,
    ip: Option<IpAddr>,
) {
    let entry = AuditWrite {
        actor: principal.actor(),
        action: format!("{method} {route}"),
        target: path.to_string(),
        detail: String::new(),
        status: status.as_u16(),
        ip: ip.map(|i| i.to_string()),
        request_id: crate::request_id::current(),
    };
    record(state, entry).await;
}

/// Writes an audit entry; a failure is logged, never shown to the caller whose
/// action already happened.
pub async fn record(state: &AppState, entry: AuditWrite) {
    if let Err(e) = app_access::record_audit(&state.platform, entry).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_may_do_everything_and_every_other_role_is_limited() {
        for p in Permission::all() {
            assert!(role_allows(Role::Admin, p), "admin lacks {p:?}");
        }
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
            assert!(!role_allows(role, Permission::ManageAccess), "{role:?} must not manage access");
            assert!(!role_allows(role, Permission::ViewAudit), "{role:?} must not read the audit log");
            assert!(role_allows(role, Permission::Read(Area::Catalog)), "{role:?} needs the catalog");
        }
        assert!(!role_allows(Role::Analyst, Permission::Write(Area::Catalog)), "analysts only read");
        assert!(!role_allows(Role::Agent, Permission::Read(Area::Supply)), "agents do not see supplier terms");
        assert!(!role_allows(Role::Marketer, Permission::Write(Area::Orders)), "marketers do not change orders");
    }

    #[test]
    fn a_public_key_reaches_only_the_storefront() {
        for p in Permission::all() {
            assert_eq!(scope_allows(Scope::Public, p), p == Permission::Storefront, "{p:?}");
            assert!(scope_allows(Scope::Admin, p), "admin scope lacks {p:?}");
        }
        assert!(!scope_allows(Scope::Read, Permission::Write(Area::Catalog)));
        assert!(!scope_allows(Scope::Write, Permission::ManageAccess));
    }

    #[test]
    fn cookies_and_form_fields_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; retail_session_x=2; retail_session=abc".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "b"), None);
        assert_eq!(form_field(b"x=1&_csrf=t%2Bk&y=", CSRF_FIELD).as_deref(), Some("t+k"));
        assert!(
            constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"a", b"ab")
        );
    }
}
