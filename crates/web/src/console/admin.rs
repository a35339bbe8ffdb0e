//! Administration pages: users and roles, API keys, the audit log, service health.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use retail_app::access::{self as app_access, AuditQuery, Scope};
use retail_app::users::{self, Role};
use serde::Deserialize;

use super::view::*;
use super::{Viewer, failed};
use crate::AppState;
use crate::access::form_pairs;

fn role_label(v: &Viewer, role: Role) -> &'static str {
    v.t(match role {
        Role::Admin => "role.admin",
        Role::Analyst => "role.analyst",
        Role::Merchandiser => "role.merchandiser",
        Role::Planner => "role.planner",
        Role::Agent => "role.agent",
        Role::Marketer => "role.marketer",
    })
}

fn role_select(v: &Viewer, selected: Role) -> Select {
    Select {
        name: "role".into(),
        label: v.t("common.role").into(),
        options: Role::ALL.iter().map(|r| (r.as_str().to_string(), role_label(v, *r).to_string())).collect(),
        selected: selected.as_str().into(),
    }
}

pub async fn users(State(s): State<AppState>, v: Viewer) -> Response {
    users_page(&s, &v, None).await
}

async fn users_page(s: &AppState, v: &Viewer, notice: Option<Notice>) -> Response {
    let list = match users::list_users(&s.platform).await {
        Ok(l) => l,
        Err(e) => return failed(v, e),
    };
    let now = chrono::Utc::now();
    let mut table = Table::new(
        vec![
            v.t("login.username").into(),
            v.t("common.role").into(),
            v.t("common.status").into(),
            v.t("users.last_login").into(),
            v.t("common.created").into(),
            v.t("common.actions").into(),
            String::new(),
        ],
        v.t("common.none"),
    );
    for u in &list {
        let locked = u.locked_until.is_some_and(|t| t > now);
        let status = if u.disabled {
            Cell::badge(v.t("users.disabled"), Tone::Bad)
        } else if locked {
            Cell::badge(v.t("users.locked"), Tone::Warn)
        } else {
            Cell::badge(v.t("users.active"), Tone::Good)
        };
        let role_form = Form {
            action: format!("/console/users/{}/role", u.username),
            fields: vec![Field::Select(role_select(v, u.role))],
            submit: v.t("common.save").into(),
            confirm: None,
            tone: Tone::Plain,
        };
        let toggle = Form {
            action: format!("/console/users/{}/enabled", u.username),
            fields: vec![Field::Hidden { name: "enabled".into(), value: u.disabled.to_string() }],
            submit: v.t(if u.disabled { "users.enable" } else { "users.disable" }).into(),
            confirm: (!u.disabled).then(|| v.t("users.disable_confirm").to_string()),
            tone: if u.disabled { Tone::Good } else { Tone::Bad },
        };
        let unlock = Form {
            action: format!("/console/users/{}/unlock", u.username),
            fields: Vec::new(),
            submit: v.t("users.unlock").into(),
            confirm: None,
            tone: Tone::Warn,
        };
        table.rows.push(vec![
            Cell::text(&u.username),
            Cell::Action(Box::new(role_form)),
            status,
            Cell::text(when(u.last_login_at)),
            Cell::text(when(Some(u.created_at))),
            Cell::Action(Box::new(toggle)),
            if locked { Cell::Action(Box::new(unlock)) } else { Cell::Empty },
        ]);
    }
    let add = Form {
        action: "/console/users".into(),
        fields: vec![
            Field::Text {
                name: "username".into(),
                label: v.t("login.username").into(),
                value: String::new(),
                required: true,
            },
            Field::Select(role_select(v, Role::Analyst)),
            Field::Password { name: "password".into(), label: v.t("users.password_optional").into() },
        ],
        submit: v.t("users.add").into(),
        confirm: None,
        tone: Tone::Info,
    };
    let mut top = Card::new(v.t("users.add"), Width::Full);
    if let Some(n) = notice {
        top = top.block(Block::Notice(n));
    }
    v.page(v.t("nav.users"))
        .subtitle(v.t("users.subtitle"))
        .card(top.block(Block::Form(add)))
        .card(Card::new(v.t("nav.users"), Width::Full).block(Block::Table(table)))
        .into_response()
}

#[derive(Deserialize)]
pub struct AddUser {
    username: String,
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn add_user(State(s): State<AppState>, v: Viewer, axum::Form(form): axum::Form<AddUser>) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown role {:?}", form.role));
    };
    let username = form.username.trim();
    match s.platform.store.get_user(username).await {
        Ok(Some(_)) => return v.error_page(StatusCode::CONFLICT, format!("user {username:?} already exists")),
        Ok(None) => {}
        Err(e) => return failed(&v, e.into()),
    }
    let generated = form.password.is_empty();
    let password = if generated { users::generate_password() } else { form.password.clone() };
    if let Err(e) = users::put_user(&s.platform, username, role, &password).await {
        return failed(&v, e);
    }
    let notice = Notice {
        tone: Tone::Good,
        text: format!("{} {username}", v.t("users.added")),
        secret: generated.then_some(password),
    };
    users_page(&s, &v, Some(notice)).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn set_role(
    State(s): State<AppState>,
    v: Viewer,
    Path(name): Path<String>,
    axum::Form(form): axum::Form<RoleForm>,
) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown role {:?}", form.role));
    };
    match users::set_role(&s.platform, &name, role).await {
        Ok(()) => Redirect::to("/console/users").into_response(),
        Err(e) => failed(&v, e),
    }
}

#[derive(Deserialize)]
pub struct EnabledForm {
    enabled: bool,
}

pub async fn set_enabled(
    State(s): State<AppState>,
    v: Viewer,
    Path(name): Path<String>,
    axum::Form(form): axum::Form<EnabledForm>,
) -> Response {
    match users::set_disabled(&s.platform, &name, !form.enabled).await {
        Ok(()) => Redirect::to("/console/users").into_response(),
        Err(e) => failed(&v, e),
    }
}

pub async fn unlock(State(s): State<AppState>, v: Viewer, Path(name): Path<String>) -> Response {
    match users::unlock(&s.platform, &name).await {
        Ok(()) => Redirect::to("/console/users").into_response(),
        Err(e) => failed(&v, e),
    }
}

fn scope_label(v: &Viewer, scope: Scope) -> &'static str {
    v.t(match scope {
        Scope::Public => "scope.public",
        Scope::Read => "scope.read",
        Scope::Write => "scope.write",
        Scope::Admin => "scope.admin",
    })
}

pub async fn keys(State(s): State<AppState>, v: Viewer) -> Response {
    keys_page(&s, &v, None).await
}

async fn keys_page(s: &AppState, v: &Viewer, notice: Option<Notice>) -> Response {
    let list = match app_access::list_keys(&s.platform).await {
        Ok(l) => l,
        Err(e) => return failed(v, e),
    };
    let now = chrono::Utc::now();
    let mut table = Table::new(
        v.labels(&[
            "keys.id",
            "common.name",
            "keys.scopes",
            "keys.created_by",
            "common.created",
            "keys.expires",
            "keys.last_used",
            "common.status",
            "common.actions",
        ]),
        v.t("keys.none"),
    );
    for k in &list {
        let expired = k.expires_at.is_some_and(|t| t <= now);
        let status = if k.revoked_at.is_some() {
            Cell::badge(v.t("keys.revoked"), Tone::Bad)
        } else if expired {
            Cell::badge(v.t("keys.expired"), Tone::Warn)
        } else {
            Cell::badge(v.t("users.active"), Tone::Good)
        };
        let revoke = Form {
            action: format!("/console/keys/{}/revoke", k.id),
            fields: Vec::new(),
            submit: v.t("keys.revoke").into(),
            confirm: Some(v.t("keys.revoke_confirm").into()),
            tone: Tone::Bad,
        };
        let scopes: Vec<&str> = k.scopes.iter().map(|sc| scope_label(v, *sc)).collect();
        table.rows.push(vec![
            Cell::text(&k.id),
            Cell::text(&k.name),
            Cell::text(scopes.join(", ")),
            Cell::text(&k.created_by),
            Cell::text(when(Some(k.created_at))),
            Cell::text(when(k.expires_at)),
            Cell::text(when(k.last_used_at)),
            status,
            if k.revoked_at.is_none() { Cell::Action(Box::new(revoke)) } else { Cell::Empty },
        ]);
    }
    let create = Form {
        action: "/console/keys".into(),
        fields: vec![
            Field::Text { name: "name".into(), label: v.t("common.name").into(), value: String::new(), required: true },
            Field::Checkboxes {
                name: "scope".into(),
                label: v.t("keys.scopes").into(),
                options: Scope::ALL
                    .iter()
                    .map(|sc| (sc.as_str().to_string(), scope_label(v, *sc).to_string(), *sc == Scope::Read))
                    .collect(),
            },
            Field::Number { name: "expires_days".into(), label: v.t("keys.expires_days").into(), value: String::new() },
        ],
        submit: v.t("keys.create").into(),
        confirm: None,
        tone: Tone::Info,
    };
    let mut top = Card::new(v.t("keys.create"), Width::Full);
    if let Some(n) = notice {
        top = top.block(Block::Notice(n));
    }
    v.page(v.t("nav.keys"))
        .subtitle(v.t("keys.subtitle"))
        .card(top.block(Block::Form(create)))
        .card(Card::new(v.t("nav.keys"), Width::Full).block(Block::Table(table)))
        .into_response()
}

pub async fn create_key(State(s): State<AppState>, v: Viewer, body: Bytes) -> Response {
    let pairs = form_pairs(&body);
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string());
    let mut scopes = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "scope") {
        match Scope::parse(value) {
            Some(sc) => scopes.push(sc),
            None => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown scope {value:?}")),
        }
    }
    let expires_at = match field("expires_days").filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => match d.parse::<u32>() {
            Ok(days) if days > 0 => Some(chrono::Utc::now() + chrono::Duration::days(i64::from(days))),
            _ => return v.error_page(StatusCode::UNPROCESSABLE_ENTITY, v.t("keys.bad_expiry")),
        },
    };
    let name = field("name").unwrap_or_default();
    let created_by = v.principal.actor();
    match app_access::create_key(&s.platform, &name, &scopes, expires_at, &created_by).await {
        Ok((info, secret)) => {
            let notice =
                Notice { tone: Tone::Good, text: format!("{} {}", v.t("keys.created"), info.id), secret: Some(secret) };
            keys_page(&s, &v, Some(notice)).await
        }
        Err(e) => failed(&v, e),
    }
}

pub async fn revoke_key(State(s): State<AppState>, v: Viewer, Path(id): Path<String>) -> Response {
    match app_access::revoke_key(&s.platform, &id).await {
        Ok(()) => Redirect::to("/console/keys").into_response(),
        Err(e) => failed(&v, e),
    }
}

#[derive(Deserialize)]
pub struct AuditParams {
    before: Option<u64>,
    actor: Option<String>,
}

pub async fn audit(State(s): State<AppState>, v: Viewer, Query(q): Query<AuditParams>) -> Response {
    const PAGE: u32 = 50;
    let actor = q.actor.filter(|a| !a.trim().is_empty());
    let query = AuditQuery { actor: actor.clone(), before_seq: q.before, limit: PAGE };
    let entries = match app_access::list_audit(&s.platform, query).await {
        Ok(e) => e,
        Err(e) => return failed(&v, e),
    };
    let mut table = Table::new(
        v.labels(&[
            "audit.when",
            "audit.actor",
            "audit.action",
            "audit.target",
            "common.status",
            "audit.ip",
            "audit.request",
        ]),
        v.t("common.none"),
    );
    for e in &entries {
        let tone = match e.status {
            200..=399 => Tone::Good,
            400..=499 => Tone::Warn,
            _ => Tone::Bad,
        };
        let action = if e.detail.is_empty() { e.action.clone() } else { format!("{} ({})", e.action, e.detail) };
        table.rows.push(vec![
            Cell::text(e.at.format("%Y-%m-%d %H:%M:%S").to_string()),
            Cell::text(&e.actor),
            Cell::text(action),
            Cell::text(&e.target),
            Cell::badge(e.status.to_string(), tone),
            Cell::text(e.ip.clone().unwrap_or_default()),
            Cell::text(e.request_id.clone().unwrap_or_default()),
        ]);
    }
    let actor_q = actor.as_deref().map(|a| format!("&actor={}", crate::access::urlencode(a))).unwrap_or_default();
    let next = (entries.len() == PAGE as usize)
        .then(|| entries.last().map(|e| format!("/console/audit?before={}{actor_q}", e.seq)))
        .flatten();
    let filters = Filters {
        action: "/console/audit".into(),
        search: Some(("actor".into(), actor.unwrap_or_default())),
        selects: Vec::new(),
        submit: v.t("common.filter").into(),
    };
    let pager = Pager {
        first: q.before.is_some().then(|| "/console/audit".to_string()),
        next,
        first_label: v.t("common.first").into(),
        next_label: v.t("common.next").into(),
    };
    v.page(v.t("nav.audit"))
        .subtitle(v.t("audit.subtitle"))
        .card(
            Card::new("", Width::Full)
                .block(Block::Filters(filters))
                .block(Block::Table(table))
                .block(Block::Pager(pager)),
        )
        .into_response()
}

pub async fn health(State(s): State<AppState>, v: Viewer) -> Response {
    let health = s.platform.health().await;
    let mut backends = Table::new(
        v.labels(&["health.component", "health.backend", "common.status", "health.detail"]),
        v.t("common.none"),
    );
    for (key, b) in
        [("health.database", &health.database), ("health.cache", &health.cache), ("health.bus", &health.bus)]
    {
        backends.rows.push(vec![
            Cell::text(v.t(key)),
            Cell::text(b.backend),
            if b.ok { Cell::badge(v.t("health.ok"), Tone::Good) } else { Cell::badge(v.t("health.down"), Tone::Bad) },
            Cell::text(b.error.clone().unwrap_or_default()),
        ]);
    }
    let mut jobs = Table::new(
        vec![v.t("health.job").into(), v.t("common.status").into(), v.t("health.detail").into()],
        v.t("common.none"),
    );
    for job in s.platform.jobs() {
        jobs.rows.push(vec![
            Cell::text(job.name),
            if job.running {
                Cell::badge(v.t("health.running"), Tone::Good)
            } else {
                Cell::badge(v.t("health.stopped"), Tone::Bad)
            },
            Cell::text(job.detail),
        ]);
    }
    let routes = s.metrics.route_summary();
    let mut traffic = Table::new(
        v.labels(&[
            "health.route",
            "health.requests",
            "health.client_errors",
            "health.server_errors",
            "health.mean_ms",
        ]),
        v.t("common.none"),
    )
    .numeric(&[1, 2, 3, 4]);
    let chart = Chart::new(ChartKind::Hbar, v.t("health.route"), v.t("health.requests"))
        .categories(routes.iter().take(12).map(|r| r.route.clone()).collect())
        .series(v.t("health.requests"), routes.iter().take(12).map(|r| r.requests as f64).collect())
        .height(360);
    for r in &routes {
        traffic.rows.push(vec![
            Cell::text(&r.route),
            Cell::Number(count(r.requests as i64)),
            Cell::Number(count(r.client_errors as i64)),
            Cell::Number(count(r.server_errors as i64)),
            Cell::Number(format!("{:.2}", r.mean_ms)),
        ]);
    }
    v.page(v.t("nav.health"))
        .subtitle(v.t("health.subtitle"))
        .card(Card::new(v.t("health.backends"), Width::Half).block(Block::Table(backends)))
        .card(Card::new(v.t("health.jobs"), Width::Half).block(Block::Table(jobs)))
        .card(Card::new(v.t("health.busiest"), Width::Full).block(Block::Chart(chart)))
        .card(Card::new(v.t("health.traffic"), Width::Full).block(Block::Table(traffic)))
        .into_response()
}
