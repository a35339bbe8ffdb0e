//! Access control over the real router and an embedded store: every declared
//! route is walked for anonymous callers, for each role and for each key scope;
//! CSRF, sessions, lockout, rate limits, the audit log and escaping are checked
//! with forged and hostile input.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use retail_app::Platform;
use retail_app::access::{self, AuditQuery, Scope};
use retail_app::testing::TempPlatform;
use retail_app::users::{self, Role};
use retail_web::{Access, role_allows, scope_allows};
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery";

struct Site {
    app: Router,
    platform: Arc<Platform>,
    _tmp: TempPlatform,
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Whether the access layer turned the request away (rather than the handler
    /// answering it, with data or with its own validation error).
    fn refused(&self) -> bool {
        match self.status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => true,
            StatusCode::SEE_OTHER | StatusCode::TEMPORARY_REDIRECT => self.location().starts_with("/login"),
            _ => false,
        }
    }
}

/// A signed-in console user: the session cookie and its CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Site {
    async fn new(name: &str) -> Self {
        Self::with(name, |_| {}).await
    }

    async fn with(name: &str, configure: impl FnOnce(&mut retail_app::Config)) -> Self {
        let dir = std::env::temp_dir().join(format!("retail-access-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = retail_app::Config { data_dir: dir.clone(), ..retail_app::Config::default() };
        configure(&mut config);
        let mut tmp = TempPlatform::with_config(config, dir).await;
        let platform = Arc::new(tmp.take());
        Self { app: retail_web::router(platform.clone()), platform, _tmp: tmp }
    }

    async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn call(&self, method: Method, uri: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(Body::from(body.to_string())).unwrap()).await
    }

    async fn user(&self, name: &str, role: Role) -> Session {
        users::put_user(&self.platform, name, role, PASSWORD).await.unwrap();
        let s = access::login(&self.platform, name, PASSWORD, None).await.unwrap();
        Session { cookie: format!("retail_session={}", s.token), csrf: s.csrf_token }
    }

    async fn key(&self, scopes: &[Scope]) -> String {
        access::create_key(&self.platform, "test key", scopes, None, "tests").await.unwrap().1
    }

    /// Sends as a session user, with the CSRF header on changes.
    async fn as_user(&self, s: &Session, method: Method, uri: &str, body: &str) -> Reply {
        let mut headers = vec![("cookie", s.cookie.as_str()), ("content-type", "application/json")];
        if method != Method::GET {
            headers.push(("x-csrf-token", s.csrf.as_str()));
        }
        self.call(method, uri, &headers, body).await
    }

    async fn as_key(&self, key: &str, method: Method, uri: &str, body: &str) -> Reply {
        let bearer = format!("Bearer {key}");
        self.call(method, uri, &[("authorization", &bearer), ("content-type", "application/json")], body).await
    }
}

/// Every declared route with its path parameters filled in.
fn declared_routes() -> Vec<(Method, String, Access)> {
    let mut routes: Vec<_> = retail_web::routes()
        .table()
        .iter()
        .map(|((m, path), access)| {
            let uri = path.replace("{id}", "NOPE").replace("{name}", "nobody").replace("{kind}", "products");
            let uri = uri.replace("{asset}", "console.css").replace("{code}", "en");
            (m.clone(), uri, *access)
        })
        .collect();
    routes.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    routes
}

#[tokio::test]
async fn anonymous_requests_reach_nothing_private() {
    let site = Site::new("anon").await;
    let routes = declared_routes();
    assert!(routes.len() > 80, "the route table looks incomplete: {} routes", routes.len());
    for (method, uri, access) in routes {
        let r = site.call(method.clone(), &uri, &[("content-type", "application/json")], "{}").await;
        if access == Access::Anonymous {
            assert!(!r.refused(), "{method} {uri} is public but was refused: {:?}", r.status);
        } else {
            assert!(r.refused(), "{method} {uri} answered an anonymous caller with {}: {}", r.status, r.text);
            if uri.starts_with("/api/") {
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
                assert_eq!(r.json()["code"], "unauthenticated");
            }
        }
    }
}

#[tokio::test]
async fn each_role_is_refused_exactly_what_it_may_not_do() {
    let site = Site::new("roles").await;
    let routes = declared_routes();
    for role in Role::ALL {
        let session = site.user(&format!("u-{}", role.as_str()), role).await;
        for (method, uri, access) in &routes {
            // Signing out would end the session the rest of the walk uses.
            if uri == "/logout" {
                continue;
            }
            let r = site.as_user(&session, method.clone(), uri, "{}").await;
            let allowed = match access {
                Access::Needs(p) => role_allows(role, *p),
                _ => true,
            };
            assert_eq!(
                !r.refused(),
                allowed,
                "{role:?} {method} {uri}: expected {}, got {} {}",
                if allowed { "allowed" } else { "refused" },
                r.status,
                &r.text[..r.text.len().min(200)]
            );
        }
    }
}

#[tokio::test]
async fn each_key_scope_is_refused_exactly_what_it_may_not_do() {
    let site = Site::new("scopes").await;
    let routes = declared_routes();
    for scope in Scope::ALL {
        let key = site.key(&[scope]).await;
        for (method, uri, access) in &routes {
            // Signing out answers every caller with a redirect to the login page.
            if uri == "/logout" {
                continue;
            }
            let r = site.as_key(&key, method.clone(), uri, "{}").await;
            let allowed = match access {
                Access::Needs(p) => scope_allows(scope, *p),
                _ => true,
            };
            assert_eq!(!r.refused(), allowed, "{scope:?} {method} {uri}: got {} {}", r.status, r.text);
        }
    }
}

#[tokio::test]
async fn bad_keys_are_refused_with_a_reason() {
    let site = Site::new("badkeys").await;
    let key = site.key(&[Scope::Read]).await;
    let ok = site.as_key(&key, Method::GET, "/api/v1/products", "").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let mut tampered = key.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });
    for bad in [tampered.as_str(), "rk_nonsense", "", "Basic abc"] {
        let r = site.call(Method::GET, "/api/v1/products", &[("authorization", &format!("Bearer {bad}"))], "").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(r.json()["code"], "invalid_api_key");
    }
    let id = key.split('_').nth(1).unwrap();
    access::revoke_key(&site.platform, id).await.unwrap();
    let r = site.as_key(&key, Method::GET, "/api/v1/products", "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a revoked key stops working at once");
    let write = site.key(&[Scope::Read]).await;
    let r = site
        .as_key(&write, Method::POST, "/api/v1/categories", r#"{"external_id":"c","name":{"zh":"x","en":"x"}}"#)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "forbidden");
}

#[tokio::test]
async fn changes_from_a_session_need_its_csrf_token() {
    let site = Site::new("csrf").await;
    let admin = site.user("boss", Role::Admin).await;
    let body = r#"{"external_id":"c1","name":{"zh":"乳品","en":"Dairy"}}"#;
    let cookie = ("cookie", admin.cookie.as_str());
    let json = ("content-type", "application/json");
    let missing = site.call(Method::POST, "/api/v1/categories", &[cookie, json], body).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(missing.json()["code"], "csrf_failed");
    let forged = site.call(Method::POST, "/api/v1/categories", &[cookie, json, ("x-csrf-token", "forged")], body).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A form post with the wrong hidden field is refused too; with the right one it runs.
    let form = ("content-type", "application/x-www-form-urlencoded");
    let r = site.call(Method::POST, "/console/keys", &[cookie, form], "name=k&scope=read&_csrf=wrong").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(access::list_keys(&site.platform).await.unwrap().is_empty(), "a refused form creates nothing");
    let ok = format!("name=k&scope=read&_csrf={}", admin.csrf);
    let r = site.call(Method::POST, "/console/keys", &[cookie, form], &ok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("id=\"shown-secret\">rk_"), "the new key is shown once");
    let created =
        site.call(Method::POST, "/api/v1/categories", &[cookie, json, ("x-csrf-token", &admin.csrf)], body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
}

#[tokio::test]
async fn tampered_expired_and_ended_sessions_are_anonymous() {
    let site = Site::new("sessions").await;
    let s = site.user("alice", Role::Analyst).await;
    let page = site.call(Method::GET, "/console/products", &[("cookie", &s.cookie)], "").await;
    assert_eq!(page.status, StatusCode::OK);
    let tampered = format!("{}0", s.cookie);
    for cookie in [tampered.as_str(), "retail_session=", "retail_session=../../etc/passwd"] {
        let r = site.call(Method::GET, "/console/products", &[("cookie", cookie)], "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{cookie}");
        assert_eq!(r.location(), "/login?next=/console/products");
    }
    // A boosted (htmx) request is told to load the login page whole rather than swap it in.
    let r =
        site.call(Method::GET, "/console/orders", &[("cookie", tampered.as_str()), ("hx-request", "true")], "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["hx-redirect"], "/login?next=/console/orders");
    // Disabling the user ends the session.
    users::set_disabled(&site.platform, "alice", true).await.unwrap();
    let r = site.call(Method::GET, "/console/products", &[("cookie", &s.cookie)], "").await;
    assert!(r.refused(), "a disabled user's session no longer works");
    // Signing out ends it too.
    let bob = site.user("bob", Role::Analyst).await;
    let out = site.as_user(&bob, Method::POST, "/logout", "").await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let r = site.call(Method::GET, "/console", &[("cookie", &bob.cookie)], "").await;
    assert!(r.refused(), "the old cookie is dead after sign-out");
}

fn form_csrf(html: &str) -> String {
    let at = html.find("name=\"_csrf\" value=\"").expect("login form has a CSRF field") + 20;
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn the_login_form_rotates_sessions_and_locks_out_guessers() {
    let site = Site::new("login").await;
    users::put_user(&site.platform, "carol", Role::Planner, PASSWORD).await.unwrap();
    let page = site.call(Method::GET, "/login", &[("accept-language", "en")], "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Sign in"));
    let zh = site.call(Method::GET, "/login", &[("accept-language", "zh-CN,zh;q=0.9")], "").await;
    assert!(zh.text.contains("登录"));
    let csrf = form_csrf(&page.text);
    let cookie = format!("retail_login_csrf={csrf}");
    let form = ("content-type", "application/x-www-form-urlencoded");
    let post =
        |password: &str, token: &str| format!("username=carol&password={password}&_csrf={token}&next=/console/orders");

    let forged = site.call(Method::POST, "/login", &[("cookie", &cookie), form], &post(PASSWORD, "forged")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "login without the form's token is refused");
    let no_cookie = site.call(Method::POST, "/login", &[form], &post(PASSWORD, &csrf)).await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);

    let ok = site.call(Method::POST, "/login", &[("cookie", &cookie), form], &post(PASSWORD, &csrf)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.text);
    assert_eq!(ok.location(), "/console/orders");
    let set =
        ok.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("retail_session=")).expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    let first = session.split(';').next().unwrap().to_string();

    // Signing in again with the old cookie replaces that session.
    let again_cookie = format!("{cookie}; {first}");
    let again = site.call(Method::POST, "/login", &[("cookie", &again_cookie), form], &post(PASSWORD, &csrf)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let old = site.call(Method::GET, "/console", &[("cookie", &first)], "").await;
    assert!(old.refused(), "the pre-login session is rotated away");

    for attempt in 1..=5 {
        let r = site.call(Method::POST, "/login", &[("cookie", &cookie), form], &post("wrong", &csrf)).await;
        let expected = if attempt < 5 { StatusCode::UNAUTHORIZED } else { StatusCode::LOCKED };
        assert_eq!(r.status, expected, "attempt {attempt}: the fifth failure locks the account");
    }
    let locked = site.call(Method::POST, "/login", &[("cookie", &cookie), form], &post(PASSWORD, &csrf)).await;
    assert_eq!(locked.status, StatusCode::LOCKED, "the right password is refused while locked");
    users::unlock(&site.platform, "carol").await.unwrap();
    let ok = site.call(Method::POST, "/login", &[("cookie", &cookie), form], &post(PASSWORD, &csrf)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "an administrator can unlock the account");

    let evil = format!("username=carol&password={PASSWORD}&_csrf={csrf}&next=//evil.example/");
    let r = site.call(Method::POST, "/login", &[("cookie", &cookie), form], &evil).await;
    assert_eq!(r.location(), "/console", "never redirects off-site");

    let audit =
        access::list_audit(&site.platform, AuditQuery { actor: Some("carol".into()), limit: 50, ..Default::default() })
            .await
            .unwrap();
    assert!(audit.iter().any(|e| e.action == "login" && e.status == 423), "lockouts are audited");
}

#[tokio::test]
async fn text_shown_in_the_console_is_escaped() {
    let site = Site::new("xss").await;
    let admin = site.user("root", Role::Admin).await;
    let script = "<script>alert('x')</script>";
    let cat = json!({"external_id": "c1", "name": {"zh": script, "en": script}});
    assert_eq!(
        site.as_user(&admin, Method::POST, "/api/v1/categories", &cat.to_string()).await.status,
        StatusCode::CREATED
    );
    let product = json!({
        "external_id": "P1", "name": {"zh": script, "en": format!("\"><img src=x onerror=alert(1)>{script}")},
        "brand": script, "category_id": "c1",
        "price": {"amount_minor": 100, "currency": "CNY"}, "cost": {"amount_minor": 50, "currency": "CNY"}, "status": "active"
    });
    let r = site.as_user(&admin, Method::POST, "/api/v1/products", &product.to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for uri in ["/console/products", "/console/products/P1", "/console/products?q=%3Cscript%3E"] {
        for lang in ["zh", "en"] {
            let cookie = format!("{}; retail_lang={lang}", admin.cookie);
            let page = site.call(Method::GET, uri, &[("cookie", &cookie)], "").await;
            assert_eq!(page.status, StatusCode::OK, "{uri}");
            assert!(!page.text.contains("<script>alert"), "{uri} ({lang}) shows raw script");
            assert!(!page.text.contains("<img src=x"), "{uri} ({lang}) shows a raw tag");
            assert!(page.text.contains("&lt;script&gt;") || page.text.contains("&#60;script&#62;"), "{uri} ({lang})");
        }
    }
    let csp = site.call(Method::GET, "/login", &[], "").await.headers[header::CONTENT_SECURITY_POLICY].clone();
    assert!(csp.to_str().unwrap().contains("script-src 'self'"), "inline script is not allowed to run");
}

#[tokio::test]
async fn storefront_calls_are_rate_limited_per_key_and_address() {
    let site = Site::with("ratelimit", |c| {
        c.rate_limit_per_key_per_minute = 3;
        c.rate_limit_per_ip_per_minute = 1000;
    })
    .await;
    let key = site.key(&[Scope::Public]).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(site.as_key(&key, Method::POST, "/api/v1/events", "[]").await);
    }
    let limited = statuses.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    // Two windows can meet inside the loop; the limit still bites at least once.
    assert!((1..=2).contains(&limited), "{:?}", statuses.iter().map(|r| r.status).collect::<Vec<_>>());
    let r = statuses.iter().find(|r| r.status == StatusCode::TOO_MANY_REQUESTS).unwrap();
    assert_eq!(r.json()["code"], "rate_limited");
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    let other = site.key(&[Scope::Public]).await;
    assert_ne!(site.as_key(&other, Method::POST, "/api/v1/events", "[]").await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn changes_are_audited_with_actor_and_request_id() {
    let site = Site::new("audit").await;
    let key = site.key(&[Scope::Write]).await;
    let id = key.split('_').nth(1).unwrap().to_string();
    let body = r#"{"external_id":"c9","name":{"zh":"饮料","en":"Drinks"}}"#;
    let r = site
        .call(
            Method::POST,
            "/api/v1/categories",
            &[
                ("authorization", &format!("Bearer {key}")),
                ("content-type", "application/json"),
                ("x-request-id", "req-42"),
            ],
            body,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.headers["x-request-id"], "req-42");
    site.as_key(&key, Method::GET, "/api/v1/categories", "").await;
    let log = access::list_audit(&site.platform, AuditQuery { limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(log.len(), 1, "reads are not audited: {log:?}");
    assert_eq!(log[0].actor, format!("key:{id}"));
    assert_eq!(log[0].action, "POST /api/v1/categories");
    assert_eq!(log[0].status, 201);
    assert_eq!(log[0].request_id.as_deref(), Some("req-42"));
    let err = site.as_key(&key, Method::GET, "/api/v1/categories/none", "").await;
    let rid = err.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(err.json()["request_id"], rid, "error bodies quote the request id");
    let admin = site.user("root", Role::Admin).await;
    let page = site.as_user(&admin, Method::GET, "/console/audit", "").await;
    assert!(page.text.contains("POST /api/v1/categories") && page.text.contains("req-42"), "the audit page lists it");
}
