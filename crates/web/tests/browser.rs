//! The admin console in a real browser: headless Chromium driven through
//! chromedriver over the W3C WebDriver protocol, against the server on a small
//! demo world. Clicks go through htmx as a user's would; charts, tables, the
//! language switch, API keys, role refusals and the browser log are checked, and
//! screenshots land in `target/browser-screenshots`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use retail_app::demo::load_demo;
use retail_app::testing::TempPlatform;
use retail_app::users::{self, Role};
use retail_demo::DemoConfig;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ADMIN_PASSWORD: &str = "admin-browser-secret";
const AGENT_PASSWORD: &str = "agent-browser-secret";
/// How long a page may take to reach an expected state.
const WAIT: Duration = Duration::from_secs(10);
/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const SCREENSHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/browser-screenshots");
/// The headings of the console's error pages, in both languages.
const ERROR_HEADINGS: &[&str] = &["Not allowed", "Not found", "Something went wrong", "无权访问", "未找到", "出现错误"];

/// One HTTP/1.1 exchange on a fresh connection: the status and the body.
/// chromedriver keeps the connection open despite `Connection: close`, so the
/// body ends by its length (or its last chunk), and only otherwise at the close.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> (u16, Vec<u8>) {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if !body.is_empty() {
        request.push_str("Content-Type: application/json\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    let mut stream = TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream.write_all(request.as_bytes()).await.unwrap_or_else(|e| panic!("send {method} {path}: {e}"));
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or_else(|e| panic!("read {method} {path}: {e}"));
        raw.extend_from_slice(&buf[..n]);
        if let Some(response) = parse_response(&raw, n == 0) {
            return response;
        }
        assert!(n > 0, "{method} {path}: the response was cut short: {}", String::from_utf8_lossy(&raw));
    }
}

/// The status and body once `raw` holds a whole response; `closed` when the peer
/// has closed the connection, which ends a body without length.
fn parse_response(raw: &[u8], closed: bool) -> Option<(u16, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    let status = status.unwrap_or_else(|| panic!("bad status line: {head}"));
    let header = |name: &str| {
        head.lines()
            .skip(1)
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case(name)))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    let body = &raw[end + 4..];
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(body).map(|b| (status, b))
    } else if let Some(len) = header("content-length").and_then(|v| v.parse().ok()) {
        (body.len() >= len).then(|| (status, body[..len].to_vec()))
    } else {
        closed.then(|| (status, body.to_vec()))
    }
}

/// The payload of a chunked body (`size CRLF data CRLF`, ending at size 0), or
/// `None` while the last chunk has not arrived.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let line = String::from_utf8_lossy(&data[..eol]);
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|_| panic!("bad chunk size line {line:?}"));
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// The chromedriver process; asks it to close its browsers and stops it when
/// dropped, also when the test panics, so no Chromium outlives the test.
struct DriverProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        use std::io::{Read, Write};
        // Blocking on purpose: Drop cannot await, and a killed driver would
        // orphan its browser.
        if let Ok(mut s) = std::net::TcpStream::connect_timeout(&self.addr, Duration::from_secs(2)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = s.write_all(
                format!("GET /shutdown HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).as_bytes(),
            );
            let _ = s.read_to_end(&mut Vec::new());
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session on a console served at `base`.
struct Browser {
    driver: DriverProcess,
    session: String,
    base: String,
}

impl Browser {
    async fn start(chromedriver: &Path, base: String) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromedriver.display()));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let driver = DriverProcess { child, addr };
        let started = Instant::now();
        loop {
            if TcpStream::connect(addr).await.is_ok() {
                let (_, body) = http(addr, "GET", "/status", &[], None).await;
                let status: Value = serde_json::from_slice(&body).unwrap_or_default();
                if status["value"]["ready"] == json!(true) {
                    break;
                }
            }
            assert!(started.elapsed() < WAIT, "chromedriver did not become ready on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1440,1000", "--lang=en-US"],
                "prefs": {"intl.accept_languages": "en-US,en"},
            },
            "goog:loggingPrefs": {"browser": "ALL"},
            // Leave an unexpected dialog open (and the command failing) rather than
            // dismissing it silently.
            "unhandledPromptBehavior": "ignore",
        }}});
        let (status, body) = http(addr, "POST", "/session", &[], Some(&capabilities)).await;
        let reply: Value = serde_json::from_slice(&body).unwrap_or_default();
        let session = reply["value"]["sessionId"].as_str().map(str::to_string);
        let session = session.unwrap_or_else(|| panic!("no WebDriver session ({status}): {reply}"));
        Self { driver, session, base }
    }

    /// A session command: `Ok(value)` or `Err(the WebDriver error object)`.
    async fn try_cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let path = format!("/session/{}{path}", self.session);
        // WebDriver wants a JSON body on every POST, `{}` when there is nothing to say.
        let body = body.or_else(|| (method == "POST").then(|| json!({})));
        let (status, raw) = http(self.driver.addr, method, &path, &[], body.as_ref()).await;
        let mut reply: Value = serde_json::from_slice(&raw)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {}", String::from_utf8_lossy(&raw)));
        let value = reply["value"].take();
        if status == 200 { Ok(value) } else { Err(value) }
    }

    async fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.try_cmd(method, path, body).await {
            Ok(v) => v,
            Err(e) => self.fail(&format!("WebDriver {method} {path} failed: {e}")).await,
        }
    }

    /// Panics with `what`, the page's address and the main part of its HTML.
    async fn fail(&self, what: &str) -> ! {
        let url = self.try_cmd("GET", "/url", None).await.unwrap_or_default();
        let source = self.try_cmd("GET", "/source", None).await.unwrap_or_default();
        let source = source.as_str().unwrap_or("");
        let from = source.find("<main").or_else(|| source.find("<body")).unwrap_or(0);
        // Chart specs are long and say little: leave them out of the excerpt.
        let mut html = String::new();
        for (i, part) in source[from..].split("data-chart=\"").enumerate() {
            html.push_str(if i == 0 { part } else { part.split_once('"').map_or("", |(_, rest)| rest) });
        }
        let html: String = html.chars().take(4000).collect();
        panic!("{what}\n  page: {url}\n  html: {html}")
    }

    async fn ensure(&self, ok: bool, what: impl AsRef<str>) {
        if !ok {
            self.fail(what.as_ref()).await;
        }
    }

    async fn goto(&self, path: &str) {
        self.cmd("POST", "/url", Some(json!({"url": format!("{}{path}", self.base)}))).await;
    }

    async fn js(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "/execute/sync", Some(json!({"script": script, "args": args}))).await
    }

    /// Polls `script` until it returns something truthy, which is returned.
    async fn wait_for(&self, what: &str, script: &str, args: Value) -> Value {
        let started = Instant::now();
        loop {
            // Errors are expected while a page is being replaced: try again.
            let body = json!({"script": script, "args": args});
            if let Ok(v) = self.try_cmd("POST", "/execute/sync", Some(body)).await
                && !matches!(v, Value::Null | Value::Bool(false))
                && v != json!(0)
                && v != json!("")
            {
                return v;
            }
            if started.elapsed() > WAIT {
                self.fail(&format!("timed out after {WAIT:?} waiting for {what}")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn find(&self, css: &str) -> String {
        let found = self.cmd("POST", "/element", Some(json!({"using": "css selector", "value": css}))).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element reference for {css}: {found}")).to_string()
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/click"), None).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd("POST", &format!("/element/{id}/clear"), None).await;
        self.cmd("POST", &format!("/element/{id}/value"), Some(json!({"text": text}))).await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.cmd("GET", &format!("/element/{id}/text"), None).await.as_str().unwrap_or_default().to_string()
    }

    async fn path(&self) -> String {
        self.js("return location.pathname + location.search", json!([])).await.as_str().unwrap_or_default().to_string()
    }

    /// Clicks a link or button that htmx answers by swapping the page in, and
    /// waits until `path` (with its query) is shown.
    async fn click_to(&self, css: &str, path: &str) {
        self.js("document.getElementById('content')?.setAttribute('data-stale', '1')", json!([])).await;
        self.click(css).await;
        self.wait_for(
            &format!("{path} after clicking {css}"),
            "const main = document.getElementById('content');
             return location.pathname + location.search === arguments[0] && main && !main.hasAttribute('data-stale')
                 && !document.querySelector('.htmx-request, .htmx-settling');",
            json!([path]),
        )
        .await;
    }

    /// Waits for the confirm() dialog a click opened and accepts it; the question it asked. htmx asks
    /// with confirm(), and scripts cannot run while it is open, so the dialog itself is polled.
    async fn accept_confirmation(&self, what: &str) -> Value {
        let started = Instant::now();
        let question = loop {
            match self.try_cmd("GET", "/alert/text", None).await {
                Ok(text) => break text,
                Err(e) if started.elapsed() > WAIT => self.fail(&format!("no {what} confirmation appeared: {e}")).await,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        self.cmd("POST", "/alert/accept", None).await;
        question
    }

    async fn screenshot(&self, name: &str) {
        let data = self.cmd("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("screenshot {name} is not base64: {e}"));
        std::fs::create_dir_all(SCREENSHOTS).expect("create the screenshot folder");
        let file = PathBuf::from(SCREENSHOTS).join(format!("{name}.png"));
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("write {}: {e}", file.display()));
    }

    /// Asserts that the browser logged no SEVERE entry since the last call other
    /// than those containing one of `expected` (e.g. a refusal the test asked for).
    async fn assert_clean_log(&self, expected: &[&str]) {
        let entries = self.cmd("POST", "/se/log", Some(json!({"type": "browser"}))).await;
        let severe: Vec<&str> = entries
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .filter_map(|e| e["message"].as_str())
            .filter(|m| !m.contains("/favicon.ico") && !expected.iter().any(|x| m.contains(x)))
            .collect();
        self.ensure(severe.is_empty(), format!("the browser logged errors: {severe:#?}")).await;
    }

    async fn cookie(&self, name: &str) -> String {
        let c = self.cmd("GET", &format!("/cookie/{name}"), None).await;
        c["value"].as_str().unwrap_or_else(|| panic!("cookie {name}: {c}")).to_string()
    }
}

/// What a console page shows once its charts have been drawn.
struct PageState {
    heading: String,
    charts: usize,
    rows: usize,
}

/// Waits for every chart on the page to be drawn (marked rendered, and pixels on
/// its canvas), then checks that the page is not an error, has at least
/// `min_charts` charts, each with data, and has table rows when `rows` is set.
async fn check_page(b: &Browser, name: &str, min_charts: usize, rows: bool) -> PageState {
    b.wait_for(
        &format!("the charts of {name} to be drawn"),
        "return [...document.querySelectorAll('div.chart[data-chart]')].every(c => {
           const canvas = c.querySelector('canvas');
           if (c.dataset.rendered !== '1' || !canvas?.width || !canvas.height) return false;
           const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
           for (let i = 3; i < px.length; i += 4) if (px[i]) return true;
           return false;
         })",
        json!([]),
    )
    .await;
    let state = b
        .js(
            "const charts = [...document.querySelectorAll('div.chart[data-chart]')];
             return {
               heading: document.querySelector('main h1')?.textContent.trim() ?? '',
               charts: charts.length,
               empty: charts.filter(c => !(Number(c.dataset.points) > 0))
                 .map(c => c.closest('section')?.querySelector('h2')?.textContent ?? '(untitled)'),
               rows: document.querySelectorAll('table tbody tr').length,
             };",
            json!([]),
        )
        .await;
    let heading = state["heading"].as_str().unwrap_or_default().to_string();
    let charts = state["charts"].as_u64().unwrap_or_default() as usize;
    let rows_seen = state["rows"].as_u64().unwrap_or_default() as usize;
    b.ensure(!heading.is_empty(), format!("{name}: the page has no heading")).await;
    b.ensure(!ERROR_HEADINGS.contains(&heading.as_str()), format!("{name}: error page {heading:?}")).await;
    b.ensure(charts >= min_charts, format!("{name}: {charts} charts, expected at least {min_charts}")).await;
    b.ensure(state["empty"] == json!([]), format!("{name}: charts without data points: {}", state["empty"])).await;
    b.ensure(!rows || rows_seen > 0, format!("{name}: the table has no rows")).await;
    PageState { heading, charts, rows: rows_seen }
}

/// The `href` of the first element matching `css`, for following it by click.
async fn href_of(b: &Browser, css: &str) -> String {
    let href = b.js("return document.querySelector(arguments[0])?.getAttribute('href')", json!([css])).await;
    match href.as_str() {
        Some(h) => h.to_string(),
        None => b.fail(&format!("no link matches {css}")).await,
    }
}

async fn sign_in(b: &Browser, user: &str, password: &str) {
    b.type_into("#username", user).await;
    b.type_into("#password", password).await;
    b.click("#sign-in").await;
}

async fn log_in_as_admin(b: &Browser) {
    b.goto("/console").await;
    b.wait_for(
        "the login page",
        "return location.pathname === '/login' && document.getElementById('sign-in')",
        json!([]),
    )
    .await;
    let path = b.path().await;
    b.ensure(path == "/login?next=%2Fconsole" || path == "/login?next=/console", format!("redirected to {path}")).await;
    let lang = b.js("return document.documentElement.lang", json!([])).await;
    b.ensure(lang == "en", format!("an en-US browser got the login page in {lang}")).await;
    b.screenshot("login").await;

    sign_in(b, "admin", "not the password").await;
    b.wait_for("the login error", "return document.getElementById('login-error')?.textContent", json!([])).await;
    let still = b.path().await;
    b.ensure(still.starts_with("/login"), format!("a wrong password left the login page for {still}")).await;

    sign_in(b, "admin", ADMIN_PASSWORD).await;
    b.wait_for(
        "the overview after signing in",
        "return location.pathname === '/console' && document.getElementById('current-user')",
        json!([]),
    )
    .await;
    let who = b.text("#current-user").await;
    b.ensure(who.contains("admin"), format!("#current-user shows {who:?}")).await;
    // The failed sign-in is answered 401, which the browser logs.
    b.assert_clean_log(&["/login - Failed to load resource: the server responded with a status of 401"]).await;
}

/// Every console page through the sidebar, and one detail page per list.
async fn browse_every_page(b: &Browser) {
    let overview = check_page(b, "overview", 3, true).await;
    b.screenshot("overview-en").await;
    let nav = b.js("return [...document.querySelectorAll('a.nav-item')].map(a => a.dataset.nav)", json!([])).await;
    for key in [
        "nav.overview",
        "nav.products",
        "nav.customers",
        "nav.orders",
        "nav.stores",
        "nav.inventory",
        "nav.suppliers",
        "nav.forecasts",
        "nav.replenishment",
        "nav.analysis",
        "nav.recommendations",
        "nav.experiments",
        "nav.segments",
        "nav.clusters",
        "nav.campaigns",
        "nav.delivery",
        "nav.scorecards",
        "nav.costs",
        "nav.users",
        "nav.keys",
        "nav.audit",
        "nav.health",
        "nav.docs",
    ] {
        b.ensure(
            nav.as_array().is_some_and(|n| n.contains(&json!(key))),
            format!("the admin's sidebar lacks {key}: {nav}"),
        )
        .await;
    }
    eprintln!("overview: {:?}, {} charts, {} rows", overview.heading, overview.charts, overview.rows);

    // Records linked from another page's table have sales, stock or orders, so
    // all their charts and tables are filled (the first record of a list need
    // not be): (page, its sidebar key, link target, charts, rows, screenshot).
    let linked = [
        ("/console", "nav.overview", "/console/products/", 2, false, Some("product")),
        ("/console", "nav.overview", "/console/stores/", 1, true, Some("store")),
        ("/console/orders", "nav.orders", "/console/customers/", 1, true, None),
    ];
    for (from, key, target, min_charts, rows, screenshot) in linked {
        b.click_to(&format!("a.nav-item[data-nav=\"{key}\"]"), from).await;
        let link = format!("main table tbody tr td a[href^=\"{target}\"]");
        let href = href_of(b, &link).await;
        b.click_to(&link, &href).await;
        let page = check_page(b, &href, min_charts, rows).await;
        eprintln!("{href}: {:?}, {} charts, {} rows", page.heading, page.charts, page.rows);
        if let Some(name) = screenshot {
            b.screenshot(name).await;
        }
    }

    // (sidebar key, list path, charts on the list, list has rows, charts on a detail page)
    let pages: &[(&str, &str, usize, bool, Option<usize>)] = &[
        ("nav.products", "/console/products", 0, true, Some(1)),
        ("nav.customers", "/console/customers", 0, true, Some(0)),
        ("nav.orders", "/console/orders", 0, true, Some(0)),
        ("nav.stores", "/console/stores", 1, true, Some(1)),
        ("nav.inventory", "/console/inventory", 0, true, None),
        ("nav.suppliers", "/console/suppliers", 0, true, Some(0)),
        ("nav.users", "/console/users", 0, true, None),
        ("nav.keys", "/console/keys", 0, false, None),
        ("nav.audit", "/console/audit", 0, true, None),
        ("nav.health", "/console/health", 0, true, None),
    ];
    for &(key, path, list_charts, rows, detail) in pages {
        b.click_to(&format!("a.nav-item[data-nav=\"{key}\"]"), path).await;
        let list = check_page(b, path, list_charts, rows).await;
        eprintln!("{path}: {:?}, {} charts, {} rows", list.heading, list.charts, list.rows);
        match path {
            "/console/products" => {
                b.screenshot("products").await;
                let first = b.text("table tbody tr").await;
                let next = href_of(b, "#next-page").await;
                b.click_to("#next-page", &next).await;
                check_page(b, "products, page 2", 0, true).await;
                let second = b.text("table tbody tr").await;
                b.ensure(first != second, format!("page 2 starts with the same row as page 1: {first}")).await;
                b.click_to(&format!("a.nav-item[data-nav=\"{key}\"]"), path).await;
            }
            "/console/inventory" => b.screenshot("inventory").await,
            _ => {}
        }
        if let Some(min_charts) = detail {
            let link = format!("table tbody tr td a[href^=\"{path}/\"]");
            let href = href_of(b, &link).await;
            b.click_to(&link, &href).await;
            let page = check_page(b, &href, min_charts, false).await;
            eprintln!("{href}: {:?}, {} charts, {} rows", page.heading, page.charts, page.rows);
        }
    }
    b.assert_clean_log(&[]).await;
}

/// Chinese and back through the language switch, a full page load each way.
async fn switch_language(b: &Browser) {
    b.click_to("a.nav-item[data-nav=\"nav.overview\"]", "/console").await;
    let english = b.text("a.nav-item[data-nav=\"nav.products\"]").await;
    b.ensure(english == "Products", format!("the English products link reads {english:?}")).await;
    b.click("#lang-switch").await;
    b.wait_for(
        "the Chinese overview",
        "return document.documentElement.lang === 'zh-CN' && location.pathname === '/console'",
        json!([]),
    )
    .await;
    let chinese = b.text("a.nav-item[data-nav=\"nav.products\"]").await;
    b.ensure(chinese == "商品", format!("the Chinese products link reads {chinese:?}")).await;
    let switch = b.text("#lang-switch").await;
    b.ensure(switch == "English", format!("the switch back reads {switch:?}")).await;
    check_page(b, "overview (zh)", 3, true).await;
    b.screenshot("overview-zh").await;
    b.click("#lang-switch").await;
    b.wait_for(
        "the English overview",
        "return document.documentElement.lang === 'en' && location.pathname === '/console'",
        json!([]),
    )
    .await;
    let english = b.text("a.nav-item[data-nav=\"nav.products\"]").await;
    b.ensure(english == "Products", format!("back in English the products link reads {english:?}")).await;
    b.assert_clean_log(&[]).await;
}

/// Creates a read key in the console, uses it on the API, revokes it in the
/// console (accepting the confirmation) and sees the API refuse it.
async fn api_key_round_trip(b: &Browser, site: SocketAddr) {
    const NAME: &str = "browser-read-key";
    b.click_to("a.nav-item[data-nav=\"nav.keys\"]", "/console/keys").await;
    b.type_into("form[action=\"/console/keys\"] input[name=name]", NAME).await;
    for scope in ["read", "write", "public", "admin"] {
        let id = b.find(&format!("input[name=scope][value={scope}]")).await;
        let checked = b.cmd("GET", &format!("/element/{id}/selected"), None).await == json!(true);
        if checked != (scope == "read") {
            b.cmd("POST", &format!("/element/{id}/click"), None).await;
        }
    }
    b.type_into("input[name=expires_days]", "7").await;
    b.click("form[action=\"/console/keys\"] button[type=submit]").await;
    let secret =
        b.wait_for("the new key", "return document.querySelector('code#shown-secret')?.textContent", json!([])).await;
    let secret = secret.as_str().unwrap_or_default().trim().to_string();
    b.ensure(secret.starts_with("rk_"), format!("the shown key is {secret:?}")).await;
    b.screenshot("keys").await;

    let bearer = format!("Bearer {secret}");
    let (status, body) = http(site, "GET", "/api/v1/products", &[("Authorization", &bearer)], None).await;
    let text = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "GET /api/v1/products with the new read key: {text}");
    let listed = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["items"].as_array().map(Vec::len));
    assert!(listed.is_some_and(|n| n > 0), "GET /api/v1/products listed no products: {text}");

    let row = format!("//tr[td[normalize-space()='{NAME}']]");
    let button = b.cmd("POST", "/element", Some(json!({"using": "xpath", "value": format!("{row}//button")}))).await;
    let button = button[ELEMENT].as_str().unwrap_or_default().to_string();
    b.cmd("POST", &format!("/element/{button}/click"), None).await;
    let question = b.accept_confirmation("revoke").await;
    b.ensure(question.as_str().is_some_and(|q| q.starts_with("Revoke")), format!("the confirmation asks {question}"))
        .await;
    b.wait_for(
        "the key to show as revoked",
        "const row = document.evaluate(arguments[0], document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
         return row && !row.querySelector('button') && row.textContent.includes('Revoked');",
        json!([row]),
    )
    .await;
    let (status, body) = http(site, "GET", "/api/v1/products", &[("Authorization", &bearer)], None).await;
    assert_eq!(status, 401, "GET /api/v1/products with the revoked key: {}", String::from_utf8_lossy(&body));
    b.assert_clean_log(&[]).await;
}

/// An analyst's A/B test of two recommendation strategies: create it from the
/// form, start it, send simulated traffic, and read the verdict and the chart.
async fn ab_test_round_trip(b: &Browser) {
    const KEY: &str = "browser-ab";
    b.click_to("a.nav-item[data-nav=\"nav.experiments\"]", "/console/experiments").await;
    b.type_into("form[action=\"/console/experiments\"] input[name=key]", KEY).await;
    b.type_into("form[action=\"/console/experiments\"] input[name=name]", "Bestsellers vs bought together").await;
    let page = format!("/console/experiments/{KEY}");
    b.click_to("form[action=\"/console/experiments\"] button[type=submit]", &page).await;
    b.click_to("form:has(input[name=action][value=start]) button[type=submit]", &page).await;
    b.type_into(&format!("form[action=\"{page}/simulate\"] input[name=customers]"), "200").await;
    b.type_into(&format!("form[action=\"{page}/simulate\"] input[name=days]"), "7").await;
    b.click_to(&format!("form[action=\"{page}/simulate\"] button[type=submit]"), &page).await;
    let state = check_page(b, &page, 1, true).await;
    let verdict = b.text("main section .notice").await;
    b.ensure(!verdict.is_empty(), "the experiment page shows a verdict").await;
    let units =
        b.js("return document.querySelectorAll('main table')[0]?.querySelectorAll('tbody tr').length", json!([])).await;
    b.ensure(units == json!(2), format!("the traffic table lists both variants: {units}")).await;
    eprintln!("{page}: {:?}, verdict {verdict:?}", state.heading);
    b.screenshot("experiment").await;
    b.assert_clean_log(&[]).await;
}

/// After the A/B test's traffic: live metrics per strategy with the CTR chart,
/// one customer's list with the reason for every item, and a strategy's editor.
async fn recommendations_explained(b: &Browser) {
    b.click_to("a.nav-item[data-nav=\"nav.customers\"]", "/console/customers").await;
    let href = href_of(b, "main table tbody tr td a[href^=\"/console/customers/\"]").await;
    let customer = href.trim_start_matches("/console/customers/").to_string();
    b.click_to("a.nav-item[data-nav=\"nav.recommendations\"]", "/console/recommendations").await;
    check_page(b, "/console/recommendations", 1, true).await;
    b.type_into("form[action=\"/console/recommendations\"] input[name=customer]", &customer).await;
    let preview = format!("/console/recommendations?customer={customer}&strategy=blend");
    b.click_to("form[action=\"/console/recommendations\"] button[type=submit]", &preview).await;
    let reasons = b
        .js(
            "const form = document.querySelector('form[action=\"/console/recommendations\"]');
             const table = form.closest('section').querySelector('table');
             return table ? [...table.querySelectorAll('tbody tr')].map(r => r.lastElementChild.textContent.trim()) : [];",
            json!([]),
        )
        .await;
    let reasons = reasons.as_array().cloned().unwrap_or_default();
    b.ensure(!reasons.is_empty(), format!("the preview lists {customer}'s recommendations")).await;
    b.ensure(
        reasons.iter().all(|r| r.as_str().is_some_and(|r| !r.is_empty())),
        format!("every item says why: {reasons:?}"),
    )
    .await;
    b.screenshot("recommendations").await;
    // The demo's legacy recommender logged impressions and clicks: the trained version says, per layout
    // of sources, whether its learnt click model or the blend score ranks.
    b.goto(&preview).await;
    let ranks_by = b
        .js(
            "const form = document.querySelector('form[action=\"/console/recommendations/refit\"]');
             const table = form ? form.closest('section').querySelectorAll('table')[1] : null;
             return table ? [...table.querySelectorAll('tbody tr')].map(r => r.querySelector('td:last-child .badge')?.textContent.trim()) : [];",
            json!([]),
        )
        .await;
    let ranks_by = ranks_by.as_array().cloned().unwrap_or_default();
    b.ensure(
        !ranks_by.is_empty() && ranks_by.iter().all(|r| r.as_str().is_some_and(|r| !r.is_empty())),
        format!("each layout of sources says what ranks it: {ranks_by:?}"),
    )
    .await;
    b.click_to("a[href=\"/console/recommendations/strategies/blend\"]", "/console/recommendations/strategies/blend")
        .await;
    let weight = b.js("return document.querySelector('input[name=\"weight.item_knn\"]')?.value", json!([])).await;
    b.ensure(weight == json!("1"), format!("the editor shows the blend's item-kNN weight: {weight}")).await;
    b.assert_clean_log(&[]).await;
}

/// A planner's morning: the forecast's fan chart with its shaded intervals and accuracy over time, a
/// drill-down from the chain to a store, then the replenishment queue: approve two suggestions, turn
/// them into purchase orders, and find them ordered.
async fn plan_and_order(b: &Browser) {
    b.click_to("a.nav-item[data-nav=\"nav.forecasts\"]", "/console/forecasts").await;
    let page = check_page(b, "/console/forecasts", 3, true).await;
    let bands = b
        .js(
            "return [...document.querySelectorAll('div.chart[data-chart]')]
               .map(c => JSON.parse(c.dataset.chart).series.filter(s => s.role === 'band').length)",
            json!([]),
        )
        .await;
    b.ensure(
        bands.as_array().is_some_and(|c| c.contains(&json!(2))),
        format!("the fan chart shades two intervals: {bands}"),
    )
    .await;
    b.screenshot("forecasts").await;
    eprintln!("/console/forecasts: {:?}, {} charts, {} rows", page.heading, page.charts, page.rows);
    let store = href_of(b, "main table tbody tr td a[href^=\"/console/forecasts?level=location\"]").await;
    b.click_to("main table tbody tr td a[href^=\"/console/forecasts?level=location\"]", &store).await;
    let stores = check_page(b, &store, 2, true).await;
    b.ensure(stores.rows >= 2, format!("the chain drills down to its stores: {} rows", stores.rows)).await;

    b.click_to("a.nav-item[data-nav=\"nav.analysis\"]", "/console/planning/analysis").await;
    let analysis = check_page(b, "/console/planning/analysis", 1, true).await;
    eprintln!("/console/planning/analysis: {:?}, {} charts, {} rows", analysis.heading, analysis.charts, analysis.rows);
    b.screenshot("inventory-analysis").await;

    b.click_to("a.nav-item[data-nav=\"nav.replenishment\"]", "/console/replenishment").await;
    check_page(b, "/console/replenishment", 0, true).await;
    let form = "form[action=\"/console/replenishment/decisions\"]";
    let ticked = b
        .js(
            "const boxes = [...document.querySelectorAll(arguments[0] + ' input[name=id]')].slice(0, 2);
             boxes.forEach(x => x.click());
             return boxes.map(x => x.value);",
            json!([form]),
        )
        .await;
    let ticked: Vec<String> =
        ticked.as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect();
    b.ensure(ticked.len() == 2, format!("two suggestions to tick: {ticked:?}")).await;
    b.click_to(&format!("{form} button[type=submit]"), "/console/replenishment").await;
    check_page(b, "the queue after approving", 0, true).await;
    let approved = b
        .js(
            "return [...document.querySelectorAll(arguments[0] + ' input[name=id]')]
               .filter(x => arguments[1].includes(x.value)).map(x => x.parentElement.textContent)",
            json!([form, ticked]),
        )
        .await;
    b.ensure(
        approved
            .as_array()
            .is_some_and(|a| a.len() == 2 && a.iter().all(|t| t.as_str().is_some_and(|t| t.contains("Approved")))),
        format!("both read approved: {approved}"),
    )
    .await;
    b.js(
        "document.querySelector(arguments[0] + ' select[name=action]').value = 'order';
         [...document.querySelectorAll(arguments[0] + ' input[name=id]')]
           .filter(x => arguments[1].includes(x.value)).forEach(x => x.click());",
        json!([form, ticked]),
    )
    .await;
    b.click_to(&format!("{form} button[type=submit]"), "/console/replenishment").await;
    b.goto("/console/replenishment?status=ordered").await;
    let ordered = check_page(b, "ordered suggestions", 0, true).await;
    b.ensure(ordered.rows == 2, format!("the two suggestions were ordered: {} rows", ordered.rows)).await;
    b.screenshot("replenishment").await;
    b.assert_clean_log(&[]).await;
}

/// A planner's round: tomorrow's store deliveries planned from the form's defaults (the
/// distribution centre, tomorrow), the plan's routes drawn on the map with each vehicle's manifest
/// and its CSV, then the supplier scorecards, one supplier's weekly trend and the cost dashboards.
async fn delivery_round_trip(b: &Browser) {
    b.click_to("a.nav-item[data-nav=\"nav.delivery\"]", "/console/delivery").await;
    check_page(b, "/console/delivery", 0, false).await;
    b.js("document.getElementById('content')?.setAttribute('data-stale', '1')", json!([])).await;
    b.click("form[action=\"/console/delivery/plans\"] button[type=submit]").await;
    b.wait_for(
        "the new delivery plan",
        "const main = document.getElementById('content');
         return location.pathname.startsWith('/console/delivery/plans/') && main && !main.hasAttribute('data-stale')
             && !document.querySelector('.htmx-request, .htmx-settling');",
        json!([]),
    )
    .await;
    let plan = check_page(b, "the delivery plan", 1, true).await;
    let paths = b
        .js(
            "const map = [...document.querySelectorAll('div.chart[data-chart]')]
               .map(c => JSON.parse(c.dataset.chart)).find(s => s.kind === 'map');
             return map ? map.paths.map(p => [p.line, p.points.length]) : null;",
            json!([]),
        )
        .await;
    let routes =
        paths.as_array().map_or(0, |p| p.iter().filter(|x| x[0] == json!(true) && x[1].as_u64() > Some(1)).count());
    b.ensure(routes >= 1, format!("the map draws the routes through their stops: {paths}")).await;
    let manifest = href_of(b, "main a[href$=\"/manifest\"]").await;
    b.ensure(manifest.starts_with("/api/v1/delivery/plans/"), format!("the manifest links to {manifest}")).await;
    eprintln!("delivery plan: {:?}, {} charts, {} rows, {routes} routes", plan.heading, plan.charts, plan.rows);
    b.screenshot("delivery-plan").await;

    b.click_to("a.nav-item[data-nav=\"nav.scorecards\"]", "/console/scorecards").await;
    let cards = check_page(b, "/console/scorecards", 1, true).await;
    b.ensure(cards.rows >= 2, format!("suppliers are scored: {} rows", cards.rows)).await;
    b.screenshot("scorecards").await;
    let supplier = href_of(b, "main table tbody tr td a[href^=\"/console/suppliers/\"]").await;
    b.click_to("main table tbody tr td a[href^=\"/console/suppliers/\"]", &supplier).await;
    check_page(b, &supplier, 1, true).await;

    b.click_to("a.nav-item[data-nav=\"nav.costs\"]", "/console/costs").await;
    let costs = check_page(b, "/console/costs", 1, true).await;
    eprintln!("/console/costs: {:?}, {} charts, {} rows", costs.heading, costs.charts, costs.rows);
    b.screenshot("costs").await;
    b.assert_clean_log(&[]).await;
}

const SEGMENT: &str = "browser-buyers";
const CAMPAIGN: &str = "browser-campaign";

/// A marketer's round, in three steps kept apart so each one's state stays small: the customer base
/// by RFM segment, a segment built with the rule builder and the behaviour clusters; a campaign over
/// the segment planned with a hold-out, its personalised messages previewed and launched; the demo's
/// earlier campaign's effect against its hold-out.
async fn campaign_round_trip(b: &Browser) {
    Box::pin(segment_built(b)).await;
    Box::pin(campaign_launched(b)).await;
    Box::pin(campaign_effect(b)).await;
}

async fn segment_built(b: &Browser) {
    b.click_to("a.nav-item[data-nav=\"nav.segments\"]", "/console/marketing/segments").await;
    let segments = check_page(b, "/console/marketing/segments", 2, true).await;
    eprintln!(
        "/console/marketing/segments: {:?}, {} charts, {} rows",
        segments.heading, segments.charts, segments.rows
    );
    b.screenshot("segments").await;
    let form = "form[action=\"/console/marketing/segments\"]";
    b.type_into(&format!("{form} input[name=segment_id]"), SEGMENT).await;
    b.type_into(&format!("{form} input[name=name]"), "Ordered twice this year").await;
    b.type_into(&format!("{form} input[name=min_orders]"), "2").await;
    let page = format!("/console/marketing/segments/{SEGMENT}");
    b.click_to(&format!("{form} button[type=submit]"), &page).await;
    check_page(b, &page, 2, false).await;
    let rule = b.text("main dl").await;
    b.ensure(rule.contains("orders"), format!("the segment reads its rule back: {rule}")).await;

    b.click_to("a.nav-item[data-nav=\"nav.clusters\"]", "/console/marketing/clusters").await;
    let clusters = check_page(b, "/console/marketing/clusters", 1, true).await;
    b.ensure(clusters.rows >= 2, format!("at least two clusters: {} rows", clusters.rows)).await;
    b.screenshot("clusters").await;
}

async fn campaign_launched(b: &Browser) {
    b.click_to("a.nav-item[data-nav=\"nav.campaigns\"]", "/console/marketing/campaigns").await;
    check_page(b, "/console/marketing/campaigns", 0, true).await;
    let form = "form[action=\"/console/marketing/campaigns\"]";
    b.type_into(&format!("{form} input[name=campaign_id]"), CAMPAIGN).await;
    b.type_into(&format!("{form} input[name=name]"), "Browser campaign").await;
    b.js(
        "document.querySelector(arguments[0] + ' select[name=segment_id]').value = arguments[1]",
        json!([form, SEGMENT]),
    )
    .await;
    let page = format!("/console/marketing/campaigns/{CAMPAIGN}");
    b.click_to(&format!("{form} button[type=submit]"), &page).await;
    b.click_to("form:has(input[name=action][value=plan]) button[type=submit]", &page).await;
    let planned = check_page(b, &page, 1, true).await;
    let preview = b.js("return document.querySelector('main table tbody')?.textContent ?? ''", json!([])).await;
    b.ensure(
        preview.as_str().is_some_and(|t| t.contains("/unsubscribe/")),
        format!("the previews carry unsubscribe links: {preview}"),
    )
    .await;
    eprintln!("{page}: {:?}, {} charts, {} preview rows", planned.heading, planned.charts, planned.rows);
    b.screenshot("campaign-planned").await;
    b.click("form:has(input[name=action][value=launch]) button[type=submit]").await;
    let question = b.accept_confirmation("launch").await;
    b.ensure(question.as_str().is_some_and(|q| q.contains("Queue")), format!("the confirmation asks {question}")).await;
    b.wait_for(
        "the campaign to be sending",
        "return !document.querySelector('form:has(input[name=action][value=launch])')
             && document.querySelector('main .badge')?.textContent.includes('Sending')",
        json!([]),
    )
    .await;
}

async fn campaign_effect(b: &Browser) {
    let past = format!("/console/marketing/campaigns/{}", retail_app::marketing::demo::PAST_CAMPAIGN);
    b.goto(&past).await;
    let effect = check_page(b, &past, 2, true).await;
    let kpis = b.js("return document.querySelector('main').textContent", json!([])).await;
    b.ensure(
        kpis.as_str().is_some_and(|t| t.contains("Extra orders (95% interval)")),
        "the effect against the hold-out is shown",
    )
    .await;
    eprintln!("{past}: {:?}, {} charts", effect.heading, effect.charts);
    b.screenshot("campaign-effect").await;
    b.assert_clean_log(&[]).await;
}

/// Back after an htmx navigation redraws the previous page's charts, and the
/// sidebar's API docs link loads the docs page whole, with its own styles.
async fn back_and_docs(b: &Browser) {
    b.goto("/console").await;
    check_page(b, "overview", 3, true).await;
    b.click_to("a.nav-item[data-nav='nav.stores']", "/console/stores").await;
    b.cmd("POST", "/back", None).await;
    b.wait_for("the overview after Back", "return location.pathname === '/console'", json!([])).await;
    check_page(b, "the overview after Back", 3, true).await;
    b.click("a.nav-item[data-nav='nav.docs']").await;
    b.wait_for(
        "the API docs, styled",
        "return location.pathname === '/docs' && document.querySelector('.swagger-ui .info')
             && [...document.styleSheets].some(s => (s.href || '').includes('swagger-ui.css'))",
        json!([]),
    )
    .await;
    b.goto("/console").await;
}

/// Logs out, signs in as an agent and checks what the role may not see.
async fn agent_is_refused(b: &Browser, site: SocketAddr) {
    b.click("#logout").await;
    b.wait_for(
        "the login page after logging out",
        "return location.pathname === '/login' && document.getElementById('sign-in')",
        json!([]),
    )
    .await;
    sign_in(b, "agent", AGENT_PASSWORD).await;
    b.wait_for(
        "the agent's overview",
        "return location.pathname === '/console' && document.getElementById('current-user')?.textContent.includes('agent')",
        json!([]),
    )
    .await;
    check_page(b, "the agent's overview", 3, true).await;
    let nav = b.js("return [...document.querySelectorAll('a.nav-item')].map(a => a.dataset.nav)", json!([])).await;
    for hidden in ["nav.users", "nav.keys", "nav.suppliers", "nav.audit", "nav.replenishment"] {
        b.ensure(
            !nav.as_array().is_some_and(|n| n.contains(&json!(hidden))),
            format!("the agent's sidebar links {hidden}: {nav}"),
        )
        .await;
    }
    b.ensure(
        nav.as_array().is_some_and(|n| n.contains(&json!("nav.orders"))),
        format!("the agent's sidebar lacks orders: {nav}"),
    )
    .await;

    let cookie = format!("retail_session={}", b.cookie("retail_session").await);
    for path in ["/console/users", "/console/suppliers"] {
        b.goto(path).await;
        let heading = b.text("main h1").await;
        b.ensure(heading == "Not allowed", format!("the agent opening {path} saw {heading:?}")).await;
        let (status, _) = http(site, "GET", path, &[("Cookie", &cookie), ("Accept-Language", "en")], None).await;
        assert_eq!(status, 403, "the agent's GET {path}");
    }
    b.screenshot("refused").await;
    b.assert_clean_log(&[
        "/console/users - Failed to load resource: the server responded with a status of 403",
        "/console/suppliers - Failed to load resource: the server responded with a status of 403",
    ])
    .await;
}

/// A customer's message through the public chat API, as the shop's widget sends it.
async fn customer_says(site: SocketAddr, key: &str, conversation: Option<&str>, text: &str) -> Value {
    let mut body = json!({"message": text});
    if let Some(id) = conversation {
        body["conversation_id"] = json!(id);
    }
    let bearer = format!("Bearer {key}");
    let (status, reply) = http(site, "POST", "/api/v1/chat", &[("Authorization", &bearer)], Some(&body)).await;
    let reply: Value = serde_json::from_slice(&reply).unwrap_or_default();
    assert_eq!(status, 200, "POST /api/v1/chat {text:?}: {reply}");
    reply
}

/// The service desk with a customer on the other side: a request for a person shows in the
/// queue (which refreshes itself), an agent claims it and answers through the console, the
/// customer reads the answer through the API, and what the customer writes next appears on
/// the open conversation without a reload, markup shown as text.
async fn desk_round_trip(b: &Browser, site: SocketAddr, key: &str) {
    let first = customer_says(site, key, None, "转人工").await;
    assert_eq!(first["status"], "waiting", "asking for a person hands the conversation over: {first}");
    let id = first["conversation_id"].as_str().expect("a conversation id").to_string();
    let page = format!("/console/service/conversations/{id}");

    b.goto("/console/service").await;
    b.wait_for("the login page", "return document.getElementById('sign-in')", json!([])).await;
    sign_in(b, "agent", AGENT_PASSWORD).await;
    b.wait_for(
        "the desk after signing in",
        "return location.pathname === '/console/service' && document.querySelector('a[href=\"' + arguments[0] + '\"]')",
        json!([page]),
    )
    .await;
    let nav = b.js("return [...document.querySelectorAll('a.nav-item')].map(a => a.dataset.nav)", json!([])).await;
    for item in ["nav.desk", "nav.service_analytics", "nav.returns", "nav.knowledge"] {
        b.ensure(nav.as_array().is_some_and(|n| n.contains(&json!(item))), format!("the sidebar lacks {item}: {nav}"))
            .await;
    }
    // Another customer asks for a person while the desk is open: the queue shows them unasked.
    let second = customer_says(site, key, None, "我要人工客服").await;
    let second = format!("/console/service/conversations/{}", second["conversation_id"].as_str().unwrap_or_default());
    b.wait_for(
        "the second customer to join the open queue",
        "return document.querySelector('a[href=\"' + arguments[0] + '\"]')",
        json!([second]),
    )
    .await;
    b.screenshot("service-desk").await;

    b.click_to(&format!("form[action=\"{page}/actions\"] button[type=submit]"), &format!("{page}?done=claimed")).await;
    let canned = b
        .js(
            "const s = document.querySelector('select[name=canned]');
             s.selectedIndex = 1;
             s.dispatchEvent(new Event('change'));
             return [s.value, document.querySelector('textarea[name=text]').value];",
            json!([]),
        )
        .await;
    b.ensure(canned[0] == canned[1] && canned[0] != json!(""), format!("a canned reply fills the box: {canned}")).await;
    const ANSWER: &str = "您好，我是客服小王，马上为您处理。";
    b.type_into("textarea[name=text]", ANSWER).await;
    b.click_to(&format!("form[action=\"{page}/actions\"] button[type=submit]"), &format!("{page}?done=replied")).await;

    let bearer = format!("Bearer {key}");
    let (status, body) =
        http(site, "GET", &format!("/api/v1/chat/{id}/messages"), &[("Authorization", &bearer)], None).await;
    let transcript: Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(status, 200, "the customer's transcript: {transcript}");
    let messages = transcript["messages"].as_array().cloned().unwrap_or_default();
    assert!(
        messages.iter().any(|m| m["sender"] == "agent" && m["text"] == ANSWER),
        "the customer reads the agent's answer: {transcript}"
    );

    // What the customer writes now appears on the open page, which is not reloaded.
    b.js("window.stillTheSamePage = true", json!([])).await;
    const FOLLOW_UP: &str = "谢谢，我的订单什么时候到？";
    customer_says(site, key, Some(&id), FOLLOW_UP).await;
    b.wait_for(
        "the customer's message to appear live",
        "const last = [...document.querySelectorAll('#transcript .msg-customer .msg-text')].pop();
         return window.stillTheSamePage && last && last.textContent === arguments[0];",
        json!([FOLLOW_UP]),
    )
    .await;
    const HOSTILE: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    customer_says(site, key, Some(&id), HOSTILE).await;
    let check = "const last = [...document.querySelectorAll('#transcript .msg-customer .msg-text')].pop();
         return last && last.textContent === arguments[0] && last.children.length === 0
             && !document.querySelector('#transcript script, #transcript img');";
    b.wait_for("the hostile message, live, as text", check, json!([HOSTILE])).await;
    b.ensure(b.try_cmd("GET", "/alert/text", None).await.is_err(), "no script of the customer ran").await;
    b.screenshot("service-conversation").await;
    b.goto(&page).await;
    b.wait_for("the hostile message, drawn by the server, as text", check, json!([HOSTILE])).await;
    b.ensure(b.try_cmd("GET", "/alert/text", None).await.is_err(), "no script of the customer ran").await;

    b.click_to("a.nav-item[data-nav=\"nav.returns\"]", "/console/service/returns").await;
    check_page(b, "/console/service/returns", 0, false).await;
}

/// A knowledge-base article from the editor: refused without a title, with what was typed kept,
/// then saved, published and found by search.
async fn knowledge_article(b: &Browser) {
    b.click_to("a.nav-item[data-nav=\"nav.knowledge\"]", "/console/knowledge").await;
    b.click_to("a[href=\"/console/knowledge/new\"]", "/console/knowledge/new").await;
    b.type_into("input[name=external_id]", "kb-browser").await;
    b.type_into("textarea[name=body_zh]", "停车场在商场地下二层，凭小票免费停车两小时。").await;
    b.click("form[action=\"/console/knowledge\"] button[type=submit]").await;
    b.wait_for(
        "the refusal, with the form as typed",
        "return location.pathname === '/console/knowledge/new'
             && document.querySelector('main .notice.bad')?.textContent.includes('title')
             && document.querySelector('input[name=external_id]')?.value === 'kb-browser'
             && document.querySelector('textarea[name=body_zh]')?.value.startsWith('停车场');",
        json!([]),
    )
    .await;
    b.screenshot("knowledge-editor").await;
    b.type_into("input[name=title_zh]", "停车怎么收费？").await;
    b.click("input[name=published]").await;
    b.click_to("form[action=\"/console/knowledge\"] button[type=submit]", "/console/knowledge/kb-browser?done=saved")
        .await;
    b.goto("/console/knowledge?q=%E5%81%9C%E8%BD%A6&published=true").await;
    check_page(b, "the knowledge base, searched", 0, true).await;
    let listed =
        b.js("return [...document.querySelectorAll('main table tbody tr')].map(r => r.textContent)", json!([])).await;
    b.ensure(
        listed.as_array().is_some_and(|rows| {
            rows.len() == 1 && rows[0].as_str().is_some_and(|r| r.contains("kb-browser") && r.contains("Published"))
        }),
        format!("the search lists the new, published article: {listed}"),
    )
    .await;
    // An import of JSON lines, in the API's format, pasted into the import box.
    b.click_to("a.nav-item[data-nav=\"nav.knowledge\"]", "/console/knowledge").await;
    let line = json!({"external_id": "kb-imported", "topic": "contact", "published": true,
        "title": {"zh": "客服电话", "en": "Service hotline"}, "body": {"zh": "400-000-0000", "en": "400-000-0000"}});
    b.type_into("textarea[name=data]", &line.to_string()).await;
    b.click_to("form[action=\"/console/knowledge/import\"] button[type=submit]", "/console/knowledge").await;
    let summary = b.text("main .notice.good").await;
    b.ensure(summary.contains("1"), format!("the import says what it wrote: {summary:?}")).await;
    b.ensure(
        b.js("return !!document.querySelector('a[href=\"/console/knowledge/kb-imported\"]')", json!([])).await
            == json!(true),
        "the imported article is listed",
    )
    .await;
    b.screenshot("knowledge").await;
}

/// The service analytics in Chinese, every chart drawn.
async fn service_analytics_in_chinese(b: &Browser) {
    b.goto("/lang/zh?next=/console/service/analytics").await;
    b.wait_for(
        "the analytics in Chinese",
        "return document.documentElement.lang === 'zh-CN' && location.pathname === '/console/service/analytics'",
        json!([]),
    )
    .await;
    let analytics = check_page(b, "/console/service/analytics", 4, false).await;
    b.ensure(analytics.heading == "客服分析", format!("the analytics heading reads {:?}", analytics.heading)).await;
    b.screenshot("service-analytics-zh").await;
    // The test box shows how a question is understood.
    b.type_into("form.filters input[name=text]", "我要找人工客服").await;
    b.click("form.filters:has(input[name=text]) button[type=submit]").await;
    b.wait_for(
        "the model's reading of the question",
        "return [...document.querySelectorAll('main dl.facts dd')].some(d => d.textContent.includes('human_agent'))",
        json!([]),
    )
    .await;
}

/// Customer service in the console: the agent desk with a customer on the other side, a
/// knowledge-base article from the editor, and the analytics in Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_desk_works_in_a_real_browser() {
    let Some(chromedriver) = retail_testenv::chromedriver() else { return };
    let started = Instant::now();
    let mut tmp = TempPlatform::embedded("browser-desk").await;
    users::put_user(&tmp, "agent", Role::Agent, AGENT_PASSWORD).await.expect("create the agent");
    let scopes = [retail_app::access::Scope::Public];
    let (_, key) = retail_app::access::create_key(&tmp, "widget", &scopes, None, "test").await.expect("a public key");
    let platform = Arc::new(tmp.take());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the console");
    let site = listener.local_addr().expect("the console's address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(retail_web::serve(platform, listener, async {
        let _ = stopped.await;
    }));

    let b = Browser::start(&chromedriver, format!("http://{site}")).await;
    // Boxed: together the steps' futures are too deep for the test thread's stack in a debug build.
    Box::pin(desk_round_trip(&b, site, &key)).await;
    Box::pin(knowledge_article(&b)).await;
    Box::pin(service_analytics_in_chinese(&b)).await;
    b.assert_clean_log(&["/console/knowledge - Failed to load resource: the server responded with a status of 422"])
        .await;
    b.cmd("DELETE", "", None).await;
    drop(b);

    let _ = stop.send(());
    server.await.expect("the server task").expect("the server");
    eprintln!("desk browser suite took {:.1?}", started.elapsed());
}

/// JavaScript that reaches into the widget's shadow root.
const WIDGET: &str = "document.querySelector('[data-retail-chat]').shadowRoot";

/// The customer's side: the demo shop's widget, signed in as a customer with recent orders, looks up
/// an order picked from the quick replies, gets a return approved by policy, and reaches a person.
async fn widget_chat(b: &Browser) {
    let say = |text: &'static str| async move {
        let script = format!(
            "const r = {WIDGET}; r.querySelector('input').value = arguments[0]; \
             r.querySelector('form').requestSubmit();"
        );
        b.js(&script, json!([text])).await;
    };
    let log_has = |what: &'static str, needle: &'static str| async move {
        let script = format!("return {WIDGET}.querySelector('.log').textContent.includes(arguments[0])");
        b.wait_for(what, &script, json!([needle])).await;
    };
    let click_quick = |what: &'static str, label: &'static str| async move {
        let script = format!(
            "const q = [...{WIDGET}.querySelectorAll('.quick button')].find(x => x.textContent.includes(arguments[0])); \
             if (q) {{ q.click(); return true; }} return false;"
        );
        b.wait_for(what, &script, json!([label])).await;
    };
    b.goto("/shop").await;
    let customer = href_of(b, "ul li a").await;
    b.goto(&customer).await;
    b.js(&format!("{WIDGET}.querySelector('.fab').click()"), json!([])).await;
    log_has("the widget's greeting", "您好").await;
    say("我的订单到哪了").await;
    // Signed in: the three latest orders are offered; the delivered one is the oldest of them.
    let third = format!(
        "const q = {WIDGET}.querySelectorAll('.quick button'); if (q.length < 3) return false; q[2].click(); return true;"
    );
    b.wait_for("the customer's orders as quick replies", &third, json!([])).await;
    log_has("the order's status", "当前状态").await;
    say("这个订单我要退货").await;
    log_has("which item", "哪件商品").await;
    let first_item = b.js(&format!("return {WIDGET}.querySelector('.quick button').textContent"), json!([])).await;
    b.ensure(first_item.as_str().is_some_and(|t| !t.is_empty()), "the order's items are offered").await;
    b.js(&format!("{WIDGET}.querySelector('.quick button').click()"), json!([])).await;
    click_quick("the item's condition", "未拆封").await;
    click_quick("the confirmation", "确认申请").await;
    log_has("the policy's decision", "退货申请已通过").await;
    b.screenshot("shop-widget").await;
    say("<b>转人工</b>").await;
    log_has("the handoff", "转接人工客服").await;
    let bold = b.js(&format!("return {WIDGET}.querySelectorAll('.log b').length"), json!([])).await;
    b.ensure(bold == json!(0), "customer text is shown as text, never as HTML").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_in_a_real_browser() {
    let Some(chromedriver) = retail_testenv::chromedriver() else { return };
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("retail-browser-{}", std::process::id()));
    let config = retail_app::Config {
        data_dir: dir.clone(),
        recommend_sequence_epochs: 2,
        demo_shop: true,
        assistant_identity_secret: "browser-shop-secret".into(),
        ..retail_app::Config::default()
    };
    let mut tmp = TempPlatform::with_config(config, dir).await;
    let demo = DemoConfig { stores: 3, skus: 80, customers: 300, days: 60, seed: 7 };
    load_demo(&tmp, demo, |_| {}).await.expect("load the demo world");
    retail_app::assistant::demo::seed_recent_orders(&tmp, chrono::Utc::now(), 3).await.expect("recent orders");
    retail_app::planning::backfill(&tmp, 2, "test", || {}).await.expect("the nightly forecast runs");
    Box::pin(retail_app::marketing::demo::seed(&tmp, chrono::Utc::now(), || {})).await.expect("the demo's campaigns");
    users::put_user(&tmp, "admin", Role::Admin, ADMIN_PASSWORD).await.expect("create the admin");
    users::put_user(&tmp, "agent", Role::Agent, AGENT_PASSWORD).await.expect("create the agent");
    let platform = Arc::new(tmp.take());

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the console");
    let site = listener.local_addr().expect("the console's address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(retail_web::serve(platform, listener, async {
        let _ = stopped.await;
    }));

    let b = Browser::start(&chromedriver, format!("http://{site}")).await;
    log_in_as_admin(&b).await;
    browse_every_page(&b).await;
    switch_language(&b).await;
    back_and_docs(&b).await;
    ab_test_round_trip(&b).await;
    recommendations_explained(&b).await;
    plan_and_order(&b).await;
    Box::pin(delivery_round_trip(&b)).await;
    Box::pin(campaign_round_trip(&b)).await;
    api_key_round_trip(&b, site).await;
    agent_is_refused(&b, site).await;
    Box::pin(widget_chat(&b)).await;
    b.cmd("DELETE", "", None).await;
    drop(b);

    let _ = stop.send(());
    server.await.expect("the server task").expect("the server");
    eprintln!("browser suite took {:.1?}", started.elapsed());
}
