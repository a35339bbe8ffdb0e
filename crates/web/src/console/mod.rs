//! The admin console: server-rendered pages in Chinese and English, with htmx
//! and ECharts served from the binary (no CDN, no build step). Pages are
//! registered through [`Routes`] like the API, so each declares its permission.

mod admin;
mod auth;
mod browse;
mod experiments;
mod i18n;
mod marketing;
mod overview;
mod planning;
mod recommendations;
mod service;
mod supply;
pub mod view;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::access::{Access, Area, Permission, Principal, Routes, urlencode};
pub use i18n::Lang;
use view::{Card, Notice, Page, Tone, Width};

/// Changes whenever the embedded assets change, so browsers refetch them.
const ASSET_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn routes() -> Routes {
    use Access::*;
    use Area::*;
    use Permission::*;
    Routes::default()
        .get("/", Anonymous, || async { Redirect::to("/console") })
        .get("/static/{asset}", Anonymous, static_asset)
        .get("/lang/{code}", Anonymous, auth::switch_language)
        .get("/login", Anonymous, auth::login_page)
        .post("/login", Anonymous, auth::login)
        .post("/logout", SignedIn, auth::logout)
        .get("/console", SignedIn, overview::page)
        .get("/console/products", Needs(Read(Catalog)), browse::products)
        .get("/console/products/{id}", Needs(Read(Catalog)), browse::product)
        .get("/console/customers", Needs(Read(Customers)), browse::customers)
        .get("/console/customers/{id}", Needs(Read(Customers)), browse::customer)
        .get("/console/orders", Needs(Read(Orders)), browse::orders)
        .get("/console/orders/{id}", Needs(Read(Orders)), browse::order)
        .post("/console/orders/{id}/status", Needs(Write(Orders)), browse::order_status)
        .get("/console/stores", Needs(Read(Catalog)), browse::stores)
        .get("/console/stores/{id}", Needs(Read(Inventory)), browse::store)
        .get("/console/inventory", Needs(Read(Inventory)), browse::inventory)
        .get("/console/suppliers", Needs(Read(Supply)), browse::suppliers)
        .get("/console/suppliers/{id}", Needs(Read(Supply)), browse::supplier)
        .get("/console/delivery", Needs(Read(Supply)), supply::delivery_page)
        .post("/console/delivery/plans", Needs(Write(Supply)), supply::create_plan)
        .get("/console/delivery/plans/{id}", Needs(Read(Supply)), supply::plan_page)
        .get("/console/delivery/plans/{id}/state", Needs(Read(Supply)), supply::plan_state)
        .post("/console/delivery/plans/{id}/replan", Needs(Write(Supply)), supply::replan)
        .get("/console/scorecards", Needs(Read(Supply)), supply::scorecards_page)
        .get("/console/costs", Needs(Read(Supply)), supply::costs_page)
        .get("/console/experiments", Needs(Read(Experiments)), experiments::list)
        .post("/console/experiments", Needs(Write(Experiments)), experiments::create)
        .get("/console/experiments/{key}", Needs(Read(Experiments)), experiments::detail)
        .post("/console/experiments/{key}/changes", Needs(Write(Experiments)), experiments::change)
        .post("/console/experiments/{key}/simulate", Needs(Write(Experiments)), experiments::simulate)
        .get("/console/recommendations", Needs(Read(Recommendations)), recommendations::page)
        .post("/console/recommendations/refit", Needs(Write(Recommendations)), recommendations::refit)
        .get("/console/recommendations/strategies/new", Needs(Write(Recommendations)), recommendations::new_strategy)
        .get("/console/recommendations/strategies/{name}", Needs(Read(Recommendations)), recommendations::editor)
        .post("/console/recommendations/strategies/{name}", Needs(Write(Recommendations)), recommendations::save)
        .get("/console/forecasts", Needs(Read(Planning)), planning::forecasts)
        .post("/console/forecasts/run", Needs(Write(Planning)), planning::run_now)
        .get("/console/forecasts/what-if", Needs(Read(Planning)), planning::what_if_page)
        .post("/console/forecasts/what-if", Needs(Read(Planning)), planning::what_if_answer)
        .get("/console/replenishment", Needs(Read(Planning)), planning::replenishment)
        .post("/console/replenishment/decisions", Needs(Write(Planning)), planning::decide)
        .get("/console/planning/analysis", Needs(Read(Planning)), planning::analysis)
        .get("/console/service", Needs(Read(Service)), service::desk)
        .get("/console/service/queue", Needs(Read(Service)), service::queue_state)
        .get("/console/service/conversations/{id}", Needs(Read(Service)), service::conversation)
        .post("/console/service/conversations/{id}/actions", Needs(Write(Service)), service::act)
        .get("/console/service/returns", Needs(Read(Service)), service::returns)
        .post("/console/service/returns/{id}/decision", Needs(Write(Service)), service::decide_return)
        .get("/console/service/analytics", Needs(Read(Service)), service::analytics)
        .post("/console/service/examples", Needs(Write(Service)), service::add_example)
        .get("/console/knowledge", Needs(Read(Knowledge)), service::knowledge)
        .post("/console/knowledge", Needs(Write(Knowledge)), service::create_article)
        .get("/console/knowledge/new", Needs(Write(Knowledge)), service::new_article)
        .post("/console/knowledge/import", Needs(Write(Knowledge)), service::import)
        .get("/console/knowledge/{id}", Needs(Read(Knowledge)), service::article)
        .post("/console/knowledge/{id}", Needs(Write(Knowledge)), service::save_article)
        .post("/console/knowledge/{id}/published", Needs(Write(Knowledge)), service::publish)
        .get("/console/marketing/segments", Needs(Read(Marketing)), marketing::segments)
        .post("/console/marketing/segments", Needs(Write(Marketing)), marketing::create_segment)
        .get("/console/marketing/segments/{id}", Needs(Read(Marketing)), marketing::segment)
        .post("/console/marketing/segments/{id}/refresh", Needs(Write(Marketing)), marketing::refresh_segment)
        .get("/console/marketing/clusters", Needs(Read(Marketing)), marketing::clusters)
        .get("/console/marketing/campaigns", Needs(Read(Marketing)), marketing::campaigns)
        .post("/console/marketing/campaigns", Needs(Write(Marketing)), marketing::create_campaign)
        .get("/console/marketing/campaigns/{id}", Needs(Read(Marketing)), marketing::campaign)
        .post("/console/marketing/campaigns/{id}/actions", Needs(Write(Marketing)), marketing::act)
        .get("/console/users", Needs(ManageAccess), admin::users)
        .post("/console/users", Needs(ManageAccess), admin::add_user)
        .post("/console/users/{name}/role", Needs(ManageAccess), admin::set_role)
        .post("/console/users/{name}/enabled", Needs(ManageAccess), admin::set_enabled)
        .post("/console/users/{name}/unlock", Needs(ManageAccess), admin::unlock)
        .get("/console/keys", Needs(ManageAccess), admin::keys)
        .post("/console/keys", Needs(ManageAccess), admin::create_key)
        .post("/console/keys/{id}/revoke", Needs(ManageAccess), admin::revoke_key)
        .get("/console/audit", Needs(ViewAudit), admin::audit)
        .get("/console/health", Needs(ViewOperations), admin::health)
}

/// What the layout needs on every page: language, user, CSRF token, navigation.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub user: String,
    pub role: String,
    pub csrf: String,
    pub can_logout: bool,
    pub nav: Vec<NavSection>,
    /// The current path and query, for the language switch to come back to.
    pub here: String,
    pub other_lang: &'static str,
    pub version: &'static str,
}

impl Chrome {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
}

pub struct NavSection {
    pub title: &'static str,
    pub items: Vec<NavItem>,
}

pub struct NavItem {
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// The navigation: every module page that works, shown only to those allowed
/// to open it. Module issues add their pages here.
const NAV: &[(&str, &str, &str, Access)] = &[
    ("nav.section.business", "nav.overview", "/console", Access::SignedIn),
    ("nav.section.business", "nav.products", "/console/products", Access::Needs(Permission::Read(Area::Catalog))),
    ("nav.section.business", "nav.customers", "/console/customers", Access::Needs(Permission::Read(Area::Customers))),
    ("nav.section.business", "nav.orders", "/console/orders", Access::Needs(Permission::Read(Area::Orders))),
    ("nav.section.business", "nav.stores", "/console/stores", Access::Needs(Permission::Read(Area::Catalog))),
    ("nav.section.business", "nav.inventory", "/console/inventory", Access::Needs(Permission::Read(Area::Inventory))),
    ("nav.section.business", "nav.suppliers", "/console/suppliers", Access::Needs(Permission::Read(Area::Supply))),
    ("nav.section.supply", "nav.delivery", "/console/delivery", Access::Needs(Permission::Read(Area::Supply))),
    ("nav.section.supply", "nav.scorecards", "/console/scorecards", Access::Needs(Permission::Read(Area::Supply))),
    ("nav.section.supply", "nav.costs", "/console/costs", Access::Needs(Permission::Read(Area::Supply))),
    ("nav.section.planning", "nav.forecasts", "/console/forecasts", Access::Needs(Permission::Read(Area::Planning))),
    (
        "nav.section.planning",
        "nav.what_if",
        "/console/forecasts/what-if",
        Access::Needs(Permission::Read(Area::Planning)),
    ),
    (
        "nav.section.planning",
        "nav.replenishment",
        "/console/replenishment",
        Access::Needs(Permission::Read(Area::Planning)),
    ),
    (
        "nav.section.planning",
        "nav.analysis",
        "/console/planning/analysis",
        Access::Needs(Permission::Read(Area::Planning)),
    ),
    (
        "nav.section.growth",
        "nav.recommendations",
        "/console/recommendations",
        Access::Needs(Permission::Read(Area::Recommendations)),
    ),
    (
        "nav.section.growth",
        "nav.experiments",
        "/console/experiments",
        Access::Needs(Permission::Read(Area::Experiments)),
    ),
    (
        "nav.section.marketing",
        "nav.segments",
        "/console/marketing/segments",
        Access::Needs(Permission::Read(Area::Marketing)),
    ),
    (
        "nav.section.marketing",
        "nav.clusters",
        "/console/marketing/clusters",
        Access::Needs(Permission::Read(Area::Marketing)),
    ),
    (
        "nav.section.marketing",
        "nav.campaigns",
        "/console/marketing/campaigns",
        Access::Needs(Permission::Read(Area::Marketing)),
    ),
    ("nav.section.service", "nav.desk", "/console/service", Access::Needs(Permission::Read(Area::Service))),
    (
        "nav.section.service",
        "nav.service_analytics",
        "/console/service/analytics",
        Access::Needs(Permission::Read(Area::Service)),
    ),
    ("nav.section.service", "nav.returns", "/console/service/returns", Access::Needs(Permission::Read(Area::Service))),
    ("nav.section.service", "nav.knowledge", "/console/knowledge", Access::Needs(Permission::Read(Area::Knowledge))),
    ("nav.section.admin", "nav.users", "/console/users", Access::Needs(Permission::ManageAccess)),
    ("nav.section.admin", "nav.keys", "/console/keys", Access::Needs(Permission::ManageAccess)),
    ("nav.section.admin", "nav.audit", "/console/audit", Access::Needs(Permission::ViewAudit)),
    ("nav.section.admin", "nav.health", "/console/health", Access::Needs(Permission::ViewOperations)),
    ("nav.section.admin", "nav.docs", "/docs", Access::SignedIn),
];

/// The viewer of a console page: language and principal, from the request.
pub struct Viewer {
    pub lang: Lang,
    pub principal: Principal,
    path: String,
    here: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let principal = parts.extensions.get::<Principal>().cloned().unwrap_or(Principal::Anonymous);
        let here = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
        Ok(Self { lang: Lang::from_headers(&parts.headers), principal, path: parts.uri.path().to_string(), here })
    }
}

impl Viewer {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// Labels for table columns, in the viewer's language.
    pub fn labels(&self, keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| self.t(k).to_string()).collect()
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.principal.allows(permission)
    }

    /// The page frame, with `title_key` as the page title.
    pub fn chrome(&self, title: impl Into<String>) -> Chrome {
        let lang = self.lang;
        let mut nav: Vec<NavSection> = Vec::new();
        for (section, key, href, access) in NAV {
            let visible = match access {
                Access::Needs(p) => self.principal.allows(*p),
                _ => true,
            };
            if !visible {
                continue;
            }
            // The longest matching link is the current one (the desk's pages lie under its path).
            let active = if *href == "/console" {
                self.path == "/console"
            } else {
                self.path.starts_with(href)
                    && !NAV.iter().any(|(_, _, other, _)| other.len() > href.len() && self.path.starts_with(other))
            };
            let item = NavItem { key, href, label: lang.t(key), active };
            match nav.last_mut() {
                Some(s) if s.title == lang.t(section) => s.items.push(item),
                _ => nav.push(NavSection { title: lang.t(section), items: vec![item] }),
            }
        }
        let (user, role, csrf) = match &self.principal {
            Principal::User(s) => {
                (s.display_name.clone(), lang.t(&format!("role.{}", s.role.as_str())).to_string(), s.csrf_token.clone())
            }
            Principal::Key(k) => (k.name.clone(), "key".to_string(), String::new()),
            Principal::Anonymous => (String::new(), String::new(), String::new()),
        };
        Chrome {
            lang,
            title: title.into(),
            user,
            role,
            csrf,
            can_logout: matches!(self.principal, Principal::User(_)),
            nav,
            here: urlencode(&self.here),
            other_lang: match lang {
                Lang::Zh => "en",
                Lang::En => "zh",
            },
            version: ASSET_VERSION,
        }
    }

    pub fn page(&self, title: impl Into<String>) -> Page {
        let title = title.into();
        Page::new(self.chrome(title.clone()), title)
    }

    /// A page saying what went wrong, with the right status.
    pub fn error_page(&self, status: StatusCode, message: impl Into<String>) -> Response {
        let title = match status {
            StatusCode::NOT_FOUND => self.t("error.not_found"),
            StatusCode::FORBIDDEN => self.t("error.forbidden.title"),
            _ => self.t("error.failed"),
        };
        self.page(title)
            .card(Card::new("", Width::Full).block(view::Block::Notice(Notice {
                tone: Tone::Bad,
                text: message.into(),
                secret: None,
            })))
            .render_with(status)
    }
}

/// A service error shown on the page it came from, with every invalid field named.
pub fn failed(v: &Viewer, e: retail_app::ServiceError) -> Response {
    use retail_app::ServiceError;
    let status = match &e {
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
        ServiceError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let text = match e {
        ServiceError::Invalid(violations) => {
            violations.0.iter().map(|x| format!("{}: {}", x.field, x.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    };
    v.error_page(status, text)
}

/// The refusal page for a signed-in user whose role lacks a permission.
pub fn forbidden_page(principal: &Principal, headers: &HeaderMap, path: &str) -> Response {
    let viewer = Viewer {
        lang: Lang::from_headers(headers),
        principal: principal.clone(),
        path: path.into(),
        here: path.into(),
    };
    viewer.error_page(StatusCode::FORBIDDEN, viewer.t("error.forbidden.body"))
}

const HTMX: &[u8] = include_bytes!("../../assets/console/htmx.min.js");
const ECHARTS: &[u8] = include_bytes!("../../assets/console/echarts.min.js");
const CONSOLE_JS: &[u8] = include_bytes!("../../assets/console/console.js");
const CONSOLE_CSS: &[u8] = include_bytes!("../../assets/console/console.css");
const DESK_JS: &[u8] = include_bytes!("../../assets/console/desk.js");

async fn static_asset(Path(asset): Path<String>) -> Response {
    let (body, content_type) = match asset.as_str() {
        "htmx.min.js" => (HTMX, "text/javascript"),
        "echarts.min.js" => (ECHARTS, "text/javascript"),
        "console.js" => (CONSOLE_JS, "text/javascript"),
        "console.css" => (CONSOLE_CSS, "text/css"),
        "desk.js" => (DESK_JS, "text/javascript"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=604800, immutable")], body)
        .into_response()
}
