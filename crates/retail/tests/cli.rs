//! The `retail` binary end to end on an embedded store in a temporary folder.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(retail_testenv::unique_name(name));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn retail(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retail"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("RETAIL_DATABASE_URL")
        .output()
        .expect("run retail")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const SMALL_DEMO: &[&str] =
    &["demo", "--no-serve", "--stores", "2", "--skus", "40", "--customers", "60", "--days", "14"];

#[test]
fn help_lists_every_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_retail")).arg("--help").output().unwrap();
    let help = text(&out);
    for cmd in ["serve", "demo", "import", "migrate", "user", "key", "openapi"] {
        assert!(help.contains(cmd), "--help mentions {cmd}: {help}");
    }
}

#[test]
fn demo_builds_once_then_imports_and_users_work() {
    let dir = TempDir::new("cli-demo");
    let out = retail(&dir.0, SMALL_DEMO);
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("demo world loaded") && log.contains("admin login: admin / "), "{log}");
    assert!(dir.0.join("retail.db").exists(), "the embedded database lives in the data folder");

    let again = retail(&dir.0, SMALL_DEMO);
    assert!(again.status.success());
    assert!(text(&again).contains("already holds data"), "a second demo run keeps the data: {}", text(&again));

    let csv = dir.0.join("bad.csv");
    std::fs::write(
        &csv,
        "external_id,name.zh,category_id,price.amount_minor,price.currency,cost.amount_minor,cost.currency,status\n\
         NEW-1,新品,nowhere,100,CNY,50,CNY,active\n\
         NEW-2,新品,nowhere,abc,CNY,50,CNY,active\n",
    )
    .unwrap();
    let out = retail(&dir.0, &["import", "products", csv.to_str().unwrap()]);
    assert!(!out.status.success(), "a bad file fails the command");
    let log = text(&out);
    assert!(log.contains("bad.csv:3: price.amount_minor:"), "errors name file, line and field: {log}");
    assert!(log.contains("nothing was imported"), "{log}");

    let out = retail(&dir.0, &["user", "add", "alice", "--role", "planner"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("user alice (planner) password: "));
    let out = retail(&dir.0, &["user", "add", "bob", "--role", "root"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("unknown role \"root\""), "{}", text(&out));
    let out = retail(&dir.0, &["user", "list"]);
    assert!(
        table_row(&out, "alice")[..3] == ["alice", "planner", "no"] && table_row(&out, "admin")[1] == "admin",
        "{}",
        text(&out)
    );
    let out = retail(&dir.0, &["migrate"]);
    assert!(out.status.success() && text(&out).contains("up to date"), "{}", text(&out));
}

/// The cells of the table row that starts with `first` (cells are separated
/// by two or more spaces; single spaces stay inside a cell).
fn table_row(out: &Output, first: &str) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.split("  ").next() == Some(first)).unwrap_or_default();
    line.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect()
}

#[test]
fn keys_are_created_listed_and_revoked() {
    let dir = TempDir::new("cli-keys");
    let out = retail(&dir.0, &["key", "create", "--name", "erp sync", "--scope", "read", "--scope", "write"]);
    assert!(out.status.success(), "{}", text(&out));
    let log = text(&out);
    let key = log.split_whitespace().find(|w| w.starts_with("rk_")).expect("the key is printed").to_string();
    assert!(log.contains("cannot be shown again"), "{log}");
    assert!(log.contains("scopes:  read,write") && log.contains("expires: never"), "{log}");
    let id = key.split('_').nth(1).unwrap().to_string();

    let out = retail(&dir.0, &["key", "create", "--name", "report", "--scope", "read", "--expires-days", "30"]);
    assert!(out.status.success(), "{}", text(&out));

    let out = retail(&dir.0, &["key", "list"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = table_row(&out, &id);
    assert_eq!(listed[1..3], ["erp sync", "read,write"], "{}", text(&out));
    assert_eq!(listed[4..], ["never", "-", "-"], "not expiring, unused, not revoked: {}", text(&out));
    assert!(!text(&out).contains(&key), "listing never shows the key");
    let header = table_row(&out, "id");
    assert_eq!(header, ["id", "name", "scopes", "created", "expires", "last used", "revoked"]);

    let out = retail(&dir.0, &["key", "revoke", &id]);
    assert!(out.status.success() && text(&out).contains("revoked"), "{}", text(&out));
    let out = retail(&dir.0, &["key", "list"]);
    assert_ne!(table_row(&out, &id).last().map(String::as_str), Some("-"), "the revocation time is listed");

    let out = retail(&dir.0, &["key", "revoke", "000000000000"]);
    assert!(!out.status.success(), "revoking an unknown key fails");
    assert!(text(&out).contains("not found"), "{}", text(&out));
}

#[test]
fn bad_key_options_fail_clearly() {
    let dir = TempDir::new("cli-key-input");
    let out = retail(&dir.0, &["key", "create", "--name", "x", "--scope", "reed"]);
    assert!(!out.status.success(), "an unknown scope fails the command");
    assert!(text(&out).contains("unknown scope \"reed\""), "{}", text(&out));
    let out = retail(&dir.0, &["key", "create", "--name", "x", "--scope", "read", "--expires-days", "0"]);
    assert!(!out.status.success() && text(&out).contains("expires_at"), "{}", text(&out));
    let out = retail(&dir.0, &["key", "list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1, "nothing was created: {}", text(&out));
}

#[test]
fn users_are_managed_without_locking_out_the_last_admin() {
    let dir = TempDir::new("cli-users");
    for (name, role) in [("root", "admin"), ("alice", "planner")] {
        let out = retail(&dir.0, &["user", "add", name, "--role", role]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = retail(&dir.0, &["user", "disable", "root"]);
    assert!(!out.status.success() && text(&out).contains("last enabled admin"), "{}", text(&out));
    let out = retail(&dir.0, &["user", "set-role", "alice", "admin"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = retail(&dir.0, &["user", "disable", "root"]);
    assert!(out.status.success(), "with another admin, root can be disabled: {}", text(&out));
    let out = retail(&dir.0, &["user", "list"]);
    assert_eq!(table_row(&out, "root")[..3], ["root", "admin", "yes"], "{}", text(&out));
    assert_eq!(table_row(&out, "alice"), ["alice", "admin", "no", "-", "-"], "never locked, never logged in");
    for args in [["user", "enable", "root"], ["user", "unlock", "root"]] {
        let out = retail(&dir.0, &args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    let out = retail(&dir.0, &["user", "set-role", "ghost", "admin"]);
    assert!(!out.status.success() && text(&out).contains("not found"), "{}", text(&out));
}

fn http_get(addr: &str, path: &str, key: Option<&str>) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let auth = key.map(|k| format!("Authorization: Bearer {k}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn serve_answers_docs_and_data_over_tcp() {
    let dir = TempDir::new("cli-serve");
    let out = retail(&dir.0, SMALL_DEMO);
    assert!(out.status.success(), "{}", text(&out));
    let out = retail(&dir.0, &["key", "create", "--name", "reader", "--scope", "read"]);
    let key = text(&out).split_whitespace().find(|w| w.starts_with("rk_")).expect("a key is printed").to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_retail"))
        .args(["serve", "--bind", &addr, "--data-dir"])
        .arg(&dir.0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut health = None;
    while Instant::now() < deadline && health.is_none() {
        health = http_get(&addr, "/healthz", None).filter(|r| r.starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(100));
    }
    let docs = http_get(&addr, "/docs", None);
    let anonymous = http_get(&addr, "/api/v1/products?limit=2", None);
    let products = http_get(&addr, "/api/v1/products?limit=2", Some(&key));
    // SIGTERM (what service managers send) stops the server cleanly; a watchdog
    // kills it if it has not gone within 10 s, which fails the assertion below.
    let pid = server.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(10));
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
    });
    let exit = server.wait().ok();
    assert!(exit.is_some_and(|s| s.success()), "SIGTERM ends the server with success: {exit:?}");
    assert!(health.is_some(), "server came up");
    assert!(docs.unwrap_or_default().contains("swagger-ui-bundle.js"));
    assert!(anonymous.unwrap_or_default().starts_with("HTTP/1.1 401"), "data needs a key");
    let products = products.unwrap_or_default();
    assert!(products.starts_with("HTTP/1.1 200") && products.contains("\"next_cursor\""), "{products}");
}

/// `retail strategy --data-dir DIR ARGS...` with `stdin` piped in.
fn strategy(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_retail"))
        .arg("strategy")
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("RETAIL_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run retail");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn strategies_are_listed_written_and_refused_whole() {
    let dir = TempDir::new("cli-strategy");
    let listed = strategy(&dir.0, &["list"], "");
    assert!(listed.status.success(), "{}", text(&listed));
    assert_eq!(table_row(&listed, "blend")[2], "0", "built in, never edited: {}", text(&listed));
    assert!(table_row(&listed, "popular")[1].starts_with("popular 1"), "{}", text(&listed));

    let plain = r#"{"sources": [{"source": "item_knn", "weight": 1}], "objectives": {"click": 0, "conversion": 0, "revenue": 0}}"#;
    let saved = strategy(&dir.0, &["put", "knn-plain", "-"], plain);
    assert!(saved.status.success() && text(&saved).contains("version 1"), "{}", text(&saved));
    let shown = strategy(&dir.0, &["show", "knn-plain"], "");
    let config: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("show prints JSON");
    assert_eq!(config["sources"][0]["source"], "item_knn");
    assert_eq!(config["objectives"]["click"], 0.0);
    let replaced = strategy(&dir.0, &["put", "knn-plain", "-"], &plain.replace("\"weight\": 1", "\"weight\": 2"));
    assert!(text(&replaced).contains("version 2"), "a second put replaces: {}", text(&replaced));

    let bad = strategy(&dir.0, &["put", "knn-plain", "-"], &plain.replace("\"weight\": 1", "\"weight\": -1"));
    assert!(!bad.status.success() && text(&bad).contains("sources[0].weight"), "{}", text(&bad));
    let unknown = strategy(&dir.0, &["show", "nothing-here"], "");
    assert!(!unknown.status.success() && text(&unknown).contains("nothing-here"), "{}", text(&unknown));
    let after = strategy(&dir.0, &["list"], "");
    assert_eq!(table_row(&after, "knn-plain")[2], "2", "the refused edit changed nothing: {}", text(&after));
}

#[test]
fn forecasts_are_scored_on_m4_files_and_bad_input_is_named() {
    let dir = TempDir::new("cli-forecast");
    let train = dir.0.join("train.csv");
    let rows: Vec<String> = (1..=3)
        .map(|s| {
            let values: Vec<String> = (0..40).map(|t| (100 * s + t + (t % 4) * 3).to_string()).collect();
            format!("\"W{s}\",{}", values.join(","))
        })
        .collect();
    std::fs::write(&train, format!("V1,V2\n{}\n", rows.join("\n"))).unwrap();
    let eval = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_retail"))
            .args(["eval", "forecast", "--format", "m4", "--train"])
            .arg(&train)
            .args(["--season", "4", "--holdout", "4"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = eval(&["--model", "naive", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let score: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!((score["model"].as_str(), score["series"].as_u64()), (Some("naive"), Some(3)));
    // The series repeat a 4-step pattern: Naive2 adjusts for it, plain naive does not and scores worse.
    assert!(score["owa"].as_f64().is_some_and(|owa| owa > 1.0), "{score}");
    assert!(score["mase"].as_f64().is_some_and(|m| m > 0.0) && score["smape"].as_f64().is_some_and(|s| s > 0.0));
    let all = eval(&["--model", "all", "--json"]);
    let models: serde_json::Value = serde_json::from_slice(&all.stdout).expect("one JSON object");
    assert_eq!(models["models"].as_array().map(Vec::len), Some(retail_forecast::models::NAMES.len()), "{}", text(&all));

    let unknown = eval(&["--model", "prophet"]);
    assert!(!unknown.status.success() && text(&unknown).contains("unknown model \"prophet\""), "{}", text(&unknown));
    std::fs::write(&train, "V1,V2\nW1,1,x\n").unwrap();
    let bad = eval(&[]);
    assert!(!bad.status.success() && text(&bad).contains("line 2"), "{}", text(&bad));
}

#[test]
fn walmart_backtests_report_accuracy_and_refuse_bad_levels() {
    let dir = TempDir::new("cli-walmart");
    let data = dir.0.join("train.csv");
    let mut rows = vec!["Store,Dept,Date,Weekly_Sales,IsHoliday".to_string()];
    let start = chrono::NaiveDate::from_ymd_opt(2010, 2, 5).unwrap();
    for week in 0..30 {
        let date = start + chrono::Duration::weeks(week);
        for (store, dept) in [(1, 1), (1, 2), (2, 1)] {
            rows.push(format!("{store},{dept},{date},{},FALSE", 100 * dept + 10 * store + week % 3));
        }
    }
    std::fs::write(&data, rows.join("\n")).unwrap();
    let eval = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_retail"))
            .args(["eval", "forecast", "--format", "walmart", "--data"])
            .arg(&data)
            .args(["--season", "3", "--horizon", "2", "--origins", "3"])
            .args(args)
            .output()
            .unwrap()
    };
    let out = eval(&["--model", "snaive", "--level", "store", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let score: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    // Sales repeat every 3 weeks exactly: seasonal naive is perfect, 2 stores × 3 origins.
    assert_eq!((score["series"].as_u64(), score["forecasts"].as_u64()), (Some(2), Some(6)), "{score}");
    assert_eq!((score["one_minus_wape"].as_f64(), score["bias"].as_f64()), (Some(1.0), Some(0.0)));
    let departments = eval(&["--model", "naive", "--json"]);
    let score: serde_json::Value = serde_json::from_slice(&departments.stdout).expect("one JSON object");
    assert_eq!(score["series"], 3, "store × department by default");
    assert!(score["one_minus_wape"].as_f64().is_some_and(|a| a < 1.0 && a > 0.9), "{score}");
    let bad = eval(&["--level", "region"]);
    assert!(!bad.status.success() && text(&bad).contains("unknown level \"region\""), "{}", text(&bad));
}

#[test]
fn daily_files_are_scored_with_a_holdout_or_a_test_file() {
    let dir = TempDir::new("cli-daily");
    let (train, test) = (dir.0.join("train.csv"), dir.0.join("test.csv"));
    let start = chrono::NaiveDate::from_ymd_opt(2011, 1, 29).unwrap();
    let day = |d: i64| (start + chrono::Duration::days(d), 100 + 10 * (d % 7));
    let rows = |days: std::ops::Range<i64>| -> String {
        days.map(|d| {
            let (date, sales) = day(d);
            format!("{date},{sales},0\n")
        })
        .collect()
    };
    std::fs::write(&train, format!("date,sales,Christmas\n{}", rows(0..70))).unwrap();
    std::fs::write(&test, format!("date,sales,Christmas\n{}", rows(70..84))).unwrap();
    let eval = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_retail"))
            .args(["eval", "forecast", "--format", "daily-csv", "--train"])
            .arg(&train)
            .args(args)
            .output()
            .unwrap()
    };
    // A weekly pattern repeated exactly: seasonal naive (season 7 by default) is perfect either way.
    let held_out = eval(&["--model", "snaive", "--json"]);
    let score: serde_json::Value = serde_json::from_slice(&held_out.stdout).expect("one JSON object");
    assert_eq!((score["one_minus_wape"].as_f64(), score["forecasts"].as_u64()), (Some(1.0), Some(1)), "{score}");
    let with_test = Command::new(env!("CARGO_BIN_EXE_retail"))
        .args(["eval", "forecast", "--format", "daily-csv", "--model", "naive", "--json", "--train"])
        .arg(&train)
        .arg("--test")
        .arg(&test)
        .output()
        .unwrap();
    let score: serde_json::Value = serde_json::from_slice(&with_test.stdout).expect("one JSON object");
    assert!(score["one_minus_wape"].as_f64().is_some_and(|a| a < 1.0), "naive misses the weekly pattern: {score}");
    assert!(score["rmsse"].as_f64().is_some_and(|r| r > 0.0), "{score}");

    std::fs::write(&test, "date,sales\n2011-04-09,1\n2011-04-09,2\n").unwrap();
    let duplicate = eval(&["--test", test.to_str().unwrap()]);
    assert!(!duplicate.status.success() && text(&duplicate).contains("appears twice"), "{}", text(&duplicate));
}

#[test]
fn the_demo_plans_and_a_planner_orders_from_the_command_line() {
    let dir = TempDir::new("cli-plan");
    let demo = ["demo", "--no-serve", "--stores", "2", "--skus", "60", "--customers", "60", "--days", "90"];
    let out = retail(&dir.0, &demo);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("forecast: "), "the demo runs the forecast: {}", text(&out));

    let runs = retail(&dir.0, &["forecast", "runs"]);
    assert!(runs.status.success(), "{}", text(&runs));
    let listed = String::from_utf8_lossy(&runs.stdout).lines().filter(|l| l.starts_with("fc-")).count();
    assert_eq!(listed, 5, "four weekly runs back and today: {}", text(&runs));
    let shown = retail(&dir.0, &["forecast", "show", "--level", "location"]);
    assert!(shown.status.success() && table_row(&shown, "S001").len() == 5, "{}", text(&shown));
    let far = retail(&dir.0, &["forecast", "run", "--as-of", "1999-01-01"]);
    assert!(!far.status.success() && text(&far).contains("as_of"), "{}", text(&far));
    let level = retail(&dir.0, &["forecast", "show", "--level", "planet"]);
    assert!(!level.status.success() && text(&level).contains("unknown level 'planet'"), "{}", text(&level));
    let backtest = retail(&dir.0, &["forecast", "backtest", "--origins", "2"]);
    assert!(backtest.status.success(), "{}", text(&backtest));
    assert!(table_row(&backtest, "category_location_week")[1].ends_with('%'), "{}", text(&backtest));

    let queue = retail(&dir.0, &["replenish", "list", "--json"]);
    assert!(queue.status.success(), "{}", text(&queue));
    let items: serde_json::Value = serde_json::from_slice(&queue.stdout).expect("list --json prints JSON");
    let id = items[0]["suggestion_id"].as_str().expect("the demo's stores need something").to_string();
    let early = retail(&dir.0, &["replenish", "order", &id]);
    assert!(!early.status.success() && text(&early).contains("only approved"), "{}", text(&early));
    let approved = retail(&dir.0, &["replenish", "approve", &id]);
    assert!(approved.status.success() && text(&approved).contains("1 changed"), "{}", text(&approved));
    let ordered = retail(&dir.0, &["replenish", "order", &id]);
    assert!(ordered.status.success() && text(&ordered).contains("ordered on PO-"), "{}", text(&ordered));
    let listed = retail(&dir.0, &["replenish", "list", "--status", "ordered"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&id), "{}", text(&listed));
    let replay = retail(&dir.0, &["replenish", "simulate", "--days", "60", "--items", "30"]);
    assert!(replay.status.success() && text(&replay).contains("min/max cover 7"), "{}", text(&replay));
}

fn eval_language(task: &str, args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retail")).args(["eval", task]).args(args).output().unwrap()
}

fn last_json(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn the_assistants_language_models_are_scored_and_bad_files_are_named() {
    let held_out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/language/tests/data/retail_intents_test.csv");
    let builtin = eval_language(
        "intent",
        &["--model".as_ref(), "builtin".as_ref(), "--test".as_ref(), held_out.as_os_str(), "--json".as_ref()],
    );
    assert!(builtin.status.success(), "{}", text(&builtin));
    let score = last_json(&builtin);
    for key in ["accuracy", "macro_f1", "examples", "train_s", "p50_ms", "p99_ms", "in_scope_accuracy", "oos_recall"] {
        assert!(score.get(key).is_some(), "{key} missing: {score}");
    }
    assert_eq!(score["examples"], 720);
    assert_eq!(score["open_set"], true, "the built-in model rejects out-of-scope questions");
    assert!(score["accuracy"].as_f64().unwrap() >= 0.9, "the built-in model on the held-out retail questions: {score}");

    let dir = TempDir::new("cli-language");
    let train = dir.0.join("train.csv");
    let test = dir.0.join("test.csv");
    let rows = |texts: &[(&str, &str)]| {
        let mut s = String::from("text,intent,source\n");
        for (t, l) in texts {
            s.push_str(&format!("\"{t}\",{l},x\n"));
        }
        s
    };
    let examples = [
        ("where is my parcel", "track"),
        ("track my package please", "track"),
        ("has my parcel shipped", "track"),
        ("my package is late, where is it", "track"),
        ("cancel my order", "cancel"),
        ("please cancel the order", "cancel"),
        ("I want to cancel, thanks", "cancel"),
        ("stop my order from shipping", "cancel"),
    ];
    std::fs::write(&train, rows(&examples)).unwrap();
    std::fs::write(&test, rows(&[("where is my package", "track"), ("cancel it please", "cancel")])).unwrap();
    let trained = eval_language(
        "intent",
        &["--train".as_ref(), train.as_os_str(), "--test".as_ref(), test.as_os_str(), "--json".as_ref()],
    );
    assert!(trained.status.success(), "{}", text(&trained));
    let trained = last_json(&trained);
    assert_eq!(trained["model"], "trained");
    assert_eq!(trained["open_set"], false, "without an out-of-scope label the best intent is the answer");
    assert_eq!(trained["accuracy"], 1.0, "{trained}");

    let reviews = "text,label\n很好吃，下次还买,1\n送得很快，满意,1\n太难吃了，差评,0\n等了两个小时，失望,0\ngreat value,1\n\"awful, never again\",0\n";
    std::fs::write(&train, reviews).unwrap();
    std::fs::write(&test, "text,label\n非常满意,1\n很差,0\n").unwrap();
    let sentiment = eval_language(
        "sentiment",
        &["--train".as_ref(), train.as_os_str(), "--test".as_ref(), test.as_os_str(), "--json".as_ref()],
    );
    assert!(sentiment.status.success(), "{}", text(&sentiment));
    let score = last_json(&sentiment);
    assert!(score["accuracy"].as_f64().is_some() && score["examples"] == 2, "{score}");

    std::fs::write(&test, "text,label\nfine,2\n").unwrap();
    let bad_label =
        eval_language("sentiment", &["--model".as_ref(), "builtin".as_ref(), "--test".as_ref(), test.as_os_str()]);
    assert!(!bad_label.status.success() && text(&bad_label).contains("record 2"), "{}", text(&bad_label));
    std::fs::write(&test, "words,intent\nhello,greeting\n").unwrap();
    let no_column =
        eval_language("intent", &["--model".as_ref(), "builtin".as_ref(), "--test".as_ref(), test.as_os_str()]);
    assert!(!no_column.status.success() && text(&no_column).contains("no `text` column"), "{}", text(&no_column));
    std::fs::write(&test, "text,intent\n\"never closed,greeting\n").unwrap();
    let unclosed =
        eval_language("intent", &["--model".as_ref(), "builtin".as_ref(), "--test".as_ref(), test.as_os_str()]);
    assert!(!unclosed.status.success() && text(&unclosed).contains("line 2"), "{}", text(&unclosed));
    let neither = eval_language("intent", &["--test".as_ref(), test.as_os_str()]);
    assert!(!neither.status.success() && text(&neither).contains("--model builtin"), "{}", text(&neither));
}

#[test]
fn routing_is_evaluated_on_vrplib_files_and_bad_paths_are_named() {
    let dir = TempDir::new("cli-routing");
    let file = dir.0.join("tiny.vrp");
    std::fs::write(
        &file,
        "NAME : tiny\nTYPE : CVRP\nDIMENSION : 6\nEDGE_WEIGHT_TYPE : EUC_2D\nCAPACITY : 10\nNODE_COORD_SECTION\n\
         1 0 0\n2 10 0\n3 10 10\n4 0 10\n5 -10 0\n6 0 -10\nDEMAND_SECTION\n1 0\n2 4\n3 4\n4 4\n5 4\n6 4\n\
         DEPOT_SECTION\n1\n-1\nEOF\n",
    )
    .unwrap();
    let bks = dir.0.join("bks.csv");
    std::fs::write(&bks, "instance,bks_cost\ntiny,1000\n").unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_retail"))
            .args(["eval", "routing", "--time-limit", "0.3"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--instances", file.to_str().unwrap(), "--bks", bks.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((report["instances"].as_u64(), report["feasible"].as_u64()), (Some(1), Some(1)), "{report}");
    let result = &report["results"][0];
    assert!(result["cost"].as_f64().unwrap() < 1000.0, "a checked cost below the made-up bound: {result}");
    assert!(report["mean_gap_pct"].as_f64().unwrap() < 0.0);
    let missing = run(&["--instances", "no/such/instance.vrp"]);
    assert!(!missing.status.success() && text(&missing).contains("no/such/instance.vrp"), "{}", text(&missing));
    let broken = dir.0.join("broken.vrp");
    std::fs::write(&broken, "NAME : broken\nDIMENSION : 3\n").unwrap();
    let bad = run(&["--instances", broken.to_str().unwrap()]);
    assert!(!bad.status.success() && text(&bad).contains("broken.vrp"), "{}", text(&bad));
}

#[test]
fn routing_generates_a_checked_scale_instance_and_reports_its_time() {
    let out = Command::new(env!("CARGO_BIN_EXE_retail"))
        .args(["eval", "routing", "--random", "300", "--time-limit", "0.5", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((report["instances"].as_u64(), report["feasible"].as_u64()), (Some(1), Some(1)), "{report}");
    let result = &report["results"][0];
    assert_eq!(result["stops"].as_u64(), Some(300), "{result}");
    assert!(
        result["routes"].as_u64().unwrap() >= 11,
        "300 stops of 5.5 units on average need 11 vans of 150: {result}"
    );
    assert!(result["seconds"].as_f64().unwrap() < 5.0 && report["elapsed_s"].as_f64().is_some(), "{report}");
    assert!(text(&out).contains("random-300"), "the per-instance line is printed without a terminal too");
}

#[test]
fn uplift_is_evaluated_on_a_hillstrom_file_and_bad_options_are_named() {
    let dir = TempDir::new("cli-uplift");
    let file = dir.0.join("hillstrom.csv");
    let mut csv = String::from(
        "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend\n",
    );
    for i in 0..600 {
        let segment = if i % 2 == 0 { "Womens E-Mail" } else { "No E-Mail" };
        // Recent customers visit when e-mailed; the rest rarely do.
        let visit = u8::from((i % 2 == 0 && i % 12 < 8) || i % 10 == 3);
        csv.push_str(&format!(
            "{},2) $100 - $200,{}.5,{},{},Urban,{},Web,{segment},{visit},0,0\n",
            1 + i % 12,
            100 + i % 50,
            i % 2,
            (i / 2) % 2,
            (i / 3) % 2
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_retail"))
            .args(["eval", "uplift", "--data", file.to_str().unwrap(), "--splits", "2"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["model"], "two_model");
    assert_eq!(report["qini_values"].as_array().map(Vec::len), Some(2), "{report}");
    assert!(report["qini"].is_f64() && report["qini_std"].is_f64(), "{report}");
    assert!(report["uplift_at_30"].as_f64().unwrap() > 0.0, "the planted effect is found: {report}");
    let bad = run(&["--outcome", "happiness"]);
    assert!(!bad.status.success() && text(&bad).contains("--outcome"), "{}", text(&bad));
    let bad = run(&["--model", "crystal_ball"]);
    assert!(!bad.status.success() && text(&bad).contains("--model"), "{}", text(&bad));
}

#[test]
fn deliveries_are_planned_and_suppliers_scored_from_the_command_line() {
    let dir = TempDir::new("cli-delivery");
    let out = retail(&dir.0, SMALL_DEMO);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    let due = log
        .split("transfer orders due ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the demo says when its transfers are due: {log}"))
        .to_string();
    let plan = retail(&dir.0, &["delivery", "plan", "--depot", "DC01", "--date", &due, "--time-limit", "1"]);
    let shown = text(&plan);
    assert!(plan.status.success(), "{shown}");
    assert!(shown.contains("· store · ready") && shown.contains("routes, 2 stops"), "{shown}");
    let id = shown.split_whitespace().nth(1).unwrap().to_string();
    let csv = retail(&dir.0, &["delivery", "show", &id, "--csv"]);
    let manifest = String::from_utf8_lossy(&csv.stdout).to_string();
    assert!(manifest.starts_with("vehicle,trip,sequence,stop") && manifest.lines().count() == 3, "{manifest}");

    let cards = retail(&dir.0, &["supplier", "scorecards", "--weeks", "2"]);
    assert!(cards.status.success() && text(&cards).contains("OTIF"), "{}", text(&cards));

    let none = retail(&dir.0, &["delivery", "plan", "--depot", "NOWHERE", "--date", &due]);
    assert!(!none.status.success() && text(&none).contains("NOWHERE"), "{}", text(&none));
    let file = dir.0.join("problem.json");
    std::fs::write(&file, r#"{"depots": [], "vehicles": [], "stops": []}"#).unwrap();
    let empty = retail(&dir.0, &["delivery", "solve", file.to_str().unwrap()]);
    let said = text(&empty);
    assert!(!empty.status.success() && said.contains("no vehicles") && said.contains("at least one depot"), "{said}");
    std::fs::write(&file, "{\"depots\": [").unwrap();
    let broken = retail(&dir.0, &["delivery", "solve", file.to_str().unwrap()]);
    assert!(!broken.status.success() && text(&broken).contains("is not a planning problem"), "{}", text(&broken));
}
