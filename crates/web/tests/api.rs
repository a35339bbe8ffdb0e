//! The REST API over a real embedded store: happy paths, and every kind of bad
//! input from the foundation issue answered with a problem document while the
//! stored data stays exactly as it was.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use retail_app::access::{self, Scope};
use retail_app::testing::TempPlatform;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Api {
    app: Router,
    /// Sent as the bearer key on every request: these tests cover the API itself;
    /// tests/access.rs covers who may call it.
    key: String,
    _tmp: TempPlatform,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts a problem+json answer with this status and code.
    fn problem(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.headers[header::CONTENT_TYPE], "application/problem+json");
        let v = self.json();
        assert_eq!(v["code"], code, "{v}");
        assert_eq!(v["status"], status.as_u16());
        v
    }
}

impl Api {
    async fn new(name: &str) -> Self {
        let mut tmp = TempPlatform::embedded(name).await;
        let (_, key) = access::create_key(&tmp, "api tests", &[Scope::Admin], None, "test").await.unwrap();
        let app = retail_web::router(Arc::new(tmp.take()));
        Self { app, key, _tmp: tmp }
    }

    async fn send(&self, mut req: Request<Body>) -> Reply {
        let bearer = format!("Bearer {}", self.key);
        req.headers_mut().insert(header::AUTHORIZATION, bearer.parse().unwrap());
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    async fn raw(&self, method: &str, uri: &str, body: impl Into<Body>, extra: &[(&str, &str)]) -> Reply {
        let mut req = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    async fn post(&self, uri: &str, body: Value) -> Reply {
        self.raw("POST", uri, body.to_string(), &[]).await
    }

    async fn put(&self, uri: &str, body: Value) -> Reply {
        self.raw("PUT", uri, body.to_string(), &[]).await
    }

    async fn count(&self, plural: &str) -> u64 {
        self.get("/api/v1/summary").await.json()[plural].as_u64().unwrap()
    }

    /// A store, a category and two products.
    async fn seeded(name: &str) -> Self {
        let api = Self::new(name).await;
        for (uri, body) in [
            ("/api/v1/locations", location("S1")),
            ("/api/v1/locations", location("S2")),
            ("/api/v1/categories", json!({"external_id": "dairy", "name": {"zh": "乳制品", "en": "Dairy"}})),
            ("/api/v1/products", product("P1", "全脂牛奶")),
            ("/api/v1/products", product("P2", "草莓酸奶")),
        ] {
            let r = api.post(uri, body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{uri}: {}", r.text);
        }
        api
    }
}

fn location(id: &str) -> Value {
    json!({"external_id": id, "kind": "store", "name": {"zh": "门店", "en": "Store"}, "lat": 31.2, "lon": 121.4})
}

fn product(id: &str, name: &str) -> Value {
    json!({
        "external_id": id, "name": {"zh": name, "en": "Dairy product"}, "brand": "光明", "category_id": "dairy",
        "price": {"amount_minor": 1290, "currency": "CNY"}, "cost": {"amount_minor": 900, "currency": "CNY"},
        "status": "active"
    })
}

#[tokio::test]
async fn operational_endpoints_and_docs_work_offline() {
    let api = Api::new("ops").await;
    assert_eq!(api.get("/healthz").await.status, StatusCode::OK);
    let ready = api.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json()["database"]["backend"], "sqlite");
    let doc = api.get("/api/v1/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/products",
        "/api/v1/products/{id}",
        "/api/v1/events",
        "/api/v1/inventory/stock",
        "/api/v1/import/{kind}",
        "/api/v1/routing/problems",
        "/api/v1/delivery/plans/{id}/manifest",
        "/api/v1/supply/costs/landed",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lists {path}");
    }
    assert!(doc["components"]["schemas"].get("Product").is_some());
    let text = doc.to_string();
    let dangling: Vec<&str> = text
        .split("\"#/components/schemas/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|name| doc["components"]["schemas"].get(*name).is_none())
        .collect();
    assert!(dangling.is_empty(), "every $ref has its schema: {dangling:?}");
    let page = api.get("/docs").await;
    assert!(
        page.text.contains("/docs/swagger-ui-bundle.js") && !page.text.contains("https://"),
        "docs use vendored assets"
    );
    let js = api.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.text.len() > 100_000);
    api.get("/api/v1/products").await;
    let metrics = api.get("/metrics").await.text;
    assert!(
        metrics.contains("retail_http_requests_total{method=\"GET\",route=\"/api/v1/products\",status=\"200\"} 1"),
        "{metrics}"
    );
    api.get("/nowhere").await.problem(StatusCode::NOT_FOUND, "route_not_found");
}

#[tokio::test]
async fn entities_upsert_idempotently_and_list_with_cursors() {
    let api = Api::seeded("crud").await;
    let again = api.post("/api/v1/products", product("P1", "全脂牛奶")).await;
    assert_eq!(again.status, StatusCode::OK, "same external id replaces, not duplicates");
    assert_eq!(again.json()["version"], 1, "an identical upsert changes nothing");
    assert_eq!(api.count("products").await, 2);
    let got = api.get("/api/v1/products/P1").await.json();
    assert_eq!(got["name"]["zh"], "全脂牛奶");
    assert_eq!(got["price"]["amount_minor"], 1290);

    let mut ids = Vec::new();
    let mut uri = "/api/v1/products?limit=1".to_string();
    loop {
        let page = api.get(&uri).await.json();
        ids.extend(page["items"].as_array().unwrap().iter().map(|i| i["external_id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(c) => uri = format!("/api/v1/products?limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(ids, ["P1", "P2"]);
    let search = api.get("/api/v1/products?q=%E8%8D%89%E8%8E%93").await.json(); // 草莓
    assert_eq!(search["items"].as_array().unwrap().len(), 1);
    let filtered = api.get("/api/v1/products?brand=%E5%85%89%E6%98%8E&status=active").await.json();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 2);
    api.get("/api/v1/products?colour=red").await.problem(StatusCode::BAD_REQUEST, "unknown_filter");
    api.get("/api/v1/products?cursor=zz").await.problem(StatusCode::BAD_REQUEST, "invalid_cursor");
    api.get("/api/v1/products?limit=5000").await.problem(StatusCode::BAD_REQUEST, "invalid_query");
    api.get("/api/v1/products/NOPE").await.problem(StatusCode::NOT_FOUND, "not_found");

    let put = api.raw("PUT", "/api/v1/products/P9", product("P1", "x").to_string(), &[]).await;
    put.problem(StatusCode::UNPROCESSABLE_ENTITY, "id_mismatch");
    let del = api.raw("DELETE", "/api/v1/categories/dairy", "", &[]).await;
    del.problem(StatusCode::CONFLICT, "in_use");
    assert_eq!(api.raw("DELETE", "/api/v1/products/P2", "", &[]).await.status, StatusCode::NO_CONTENT);
    api.get("/api/v1/products/P2").await.problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    let api = Api::seeded("bad-input").await;
    let before = api.get("/api/v1/summary").await.text;
    let stock_before = api.get("/api/v1/inventory/stock?location_id=S1").await.text;

    api.raw("POST", "/api/v1/products", "{\"external_id\": \"P3\",", &[])
        .await
        .problem(StatusCode::BAD_REQUEST, "malformed_json");
    let mut wrong_type = product("P3", "x");
    wrong_type["price"]["amount_minor"] = json!("twelve");
    api.post("/api/v1/products", wrong_type).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let mut bad_enum = product("P3", "x");
    bad_enum["status"] = json!("sold_out");
    let v = api.post("/api/v1/products", bad_enum).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(v["detail"].as_str().unwrap().contains("sold_out"));
    let mut unknown_field = product("P3", "x");
    unknown_field["colour"] = json!("red");
    api.post("/api/v1/products", unknown_field).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let mut negative = product("P3", "x");
    negative["price"]["amount_minor"] = json!(-100);
    let v = api.post("/api/v1/products", negative).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "[0].price.amount_minor");
    let mut orphan = product("P3", "x");
    orphan["category_id"] = json!("nowhere");
    let v = api.post("/api/v1/products", orphan).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown_reference");
    assert_eq!(v["errors"][0]["field"], "[0].category_id");
    let dupes = json!([product("P3", "a"), product("P3", "b")]);
    api.post("/api/v1/products/batch", dupes).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "duplicate_id");
    let half_bad = json!([product("P4", "ok"), {"external_id": "P5"}]);
    api.post("/api/v1/products/batch", half_bad).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    api.raw("POST", "/api/v1/products", vec![b'{', 0xff, 0xfe, b'}'], &[])
        .await
        .problem(StatusCode::BAD_REQUEST, "malformed_json");
    api.raw("POST", "/api/v1/products", "x".repeat(17 * 1024 * 1024), &[])
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let req =
        Request::post("/api/v1/products").header(header::CONTENT_TYPE, "text/plain").body(Body::from("{}")).unwrap();
    api.send(req).await.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let negative_sale = json!([{"location_id": "S1", "product_id": "P1", "kind": "sale", "quantity": -3, "occurred_at": "2026-03-01T08:00:00Z"}]);
    let v = api
        .post("/api/v1/inventory/movements", negative_sale)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(v["errors"][0]["field"], "[0].quantity");
    let bad_kind = json!([{"location_id": "S1", "product_id": "P1", "kind": "theft", "quantity": 3, "occurred_at": "2026-03-01T08:00:00Z"}]);
    api.post("/api/v1/inventory/movements", bad_kind).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let no_actor = json!([{"kind": "view", "product_id": "P1", "occurred_at": "2026-03-01T08:00:00Z"}]);
    api.post("/api/v1/events", no_actor).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.post("/api/v1/events", json!([])).await.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    assert_eq!(api.get("/api/v1/summary").await.text, before, "no refused request changed any entity");
    assert_eq!(api.get("/api/v1/inventory/stock?location_id=S1").await.text, stock_before, "nor the ledger");
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response() {
    let api = Api::seeded("idempotency").await;
    let moves = json!([{"location_id": "S1", "product_id": "P1", "kind": "receipt", "quantity": 10, "occurred_at": "2026-03-01T08:00:00Z"}]);
    let key = [("Idempotency-Key", "abc-123")];
    let first = api.raw("POST", "/api/v1/inventory/movements", moves.to_string(), &key).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let second = api.raw("POST", "/api/v1/inventory/movements", moves.to_string(), &key).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(second.text, first.text);
    let stock = api.get("/api/v1/inventory/stock?location_id=S1&product_id=P1").await.json();
    assert_eq!(stock["items"][0]["on_hand"], 10, "the retry did not book the receipt twice");
    let other = json!([{"location_id": "S1", "product_id": "P1", "kind": "receipt", "quantity": 99, "occurred_at": "2026-03-01T08:00:00Z"}]);
    api.raw("POST", "/api/v1/inventory/movements", other.to_string(), &key)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
}

#[tokio::test]
async fn inventory_events_and_order_lifecycle() {
    let api = Api::seeded("flows").await;
    let moves = json!([
        {"movement_id": "m1", "location_id": "S1", "product_id": "P1", "kind": "receipt", "quantity": 20, "occurred_at": "2026-03-01T08:00:00Z"},
        {"movement_id": "m2", "location_id": "S1", "product_id": "P1", "kind": "sale", "quantity": 5, "unit_value_minor": 1290, "occurred_at": "2026-03-01T09:00:00Z"},
        {"movement_id": "m3", "location_id": "S1", "product_id": "P1", "kind": "transfer", "to_location_id": "S2", "quantity": 3, "occurred_at": "2026-03-01T10:00:00Z"},
        {"movement_id": "m4", "location_id": "S1", "product_id": "P1", "kind": "reservation", "quantity": 2, "occurred_at": "2026-03-01T11:00:00Z"}
    ]);
    let r = api.post("/api/v1/inventory/movements", moves.clone()).await.json();
    assert_eq!(r["ledger_rows"], 5);
    let r = api.post("/api/v1/inventory/movements", moves).await.json();
    assert_eq!(r["ledger_duplicates"], 5, "movement ids make retries safe");
    let stock = api.get("/api/v1/inventory/stock?product_id=P1").await.json();
    assert_eq!(
        stock["items"][0],
        json!({"location_id": "S1", "product_id": "P1", "on_hand": 12, "reserved": 2, "available": 10})
    );
    assert_eq!(stock["items"][1]["on_hand"], 3);
    let sales = api.get("/api/v1/inventory/movements?kind=sale").await.json();
    assert_eq!(sales["items"][0]["on_hand_delta"], -5);

    let events = json!([
        {"event_id": "e1", "kind": "impression", "session_id": "s1", "product_id": "P1", "position": 0, "strategy": "popular", "request_id": "r1", "occurred_at": "2026-03-01T10:00:00Z"},
        {"event_id": "e2", "kind": "click", "session_id": "s1", "product_id": "P1", "position": 0, "strategy": "popular", "request_id": "r1", "occurred_at": "2026-03-01T10:00:05Z"},
        {"event_id": "e3", "kind": "search", "session_id": "s1", "query": "牛奶", "occurred_at": "2026-03-01T10:00:09Z"}
    ]);
    assert_eq!(api.post("/api/v1/events", events.clone()).await.json()["events"], 3);
    assert_eq!(api.post("/api/v1/events", events).await.json()["event_duplicates"], 3);
    let clicks = api.get("/api/v1/events?kind=click&session_id=s1").await.json();
    assert_eq!(clicks["items"][0]["request_id"], "r1");

    let order = json!({
        "external_id": "O1", "channel": "online", "location_id": "S1", "status": "placed", "currency": "CNY",
        "lines": [{"product_id": "P1", "quantity": 2, "unit_price_minor": 1290}], "placed_at": "2026-03-02T09:00:00Z"
    });
    assert_eq!(api.post("/api/v1/orders", order).await.status, StatusCode::CREATED);
    let status = |s: &str| json!({"status": s});
    assert_eq!(api.post("/api/v1/orders/O1/status", status("paid")).await.json()["status"], "paid");
    api.post("/api/v1/orders/O1/status", status("delivered")).await.problem(StatusCode::CONFLICT, "conflict");
    api.post("/api/v1/orders/O1/status", status("lost"))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    api.post("/api/v1/orders/NOPE/status", status("paid")).await.problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(api.get("/api/v1/orders/O1").await.json()["status"], "paid");
}

#[tokio::test]
async fn import_endpoint_streams_csv_and_reports_rows() {
    let api = Api::seeded("import-http").await;
    let csv = "external_id,name.zh,name.en,category_id,price.amount_minor,price.currency,cost.amount_minor,cost.currency,status\n\
               P7,黄油,Butter,dairy,2590,CNY,1800,CNY,active\n";
    let req = Request::post("/api/v1/import/products")
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let r = api.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["applied"]["inserted"], 1);
    let bad = "external_id,name.zh,category_id\nP8,奶酪,nowhere\n";
    let r = api.raw("POST", "/api/v1/import/products?format=csv", bad, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["line"], 2);
    assert_eq!(api.count("products").await, 3);
    // Each kind has its own import route (so each declares its permission); others do not exist.
    api.raw("POST", "/api/v1/import/widgets?format=csv", "", &[])
        .await
        .problem(StatusCode::NOT_FOUND, "route_not_found");
}

#[tokio::test]
async fn forecasts_and_replenishment_over_http() {
    let api = Api::seeded("planning").await;
    api.get("/api/v1/forecasts").await.problem(StatusCode::NOT_FOUND, "not_found");
    api.post("/api/v1/forecasts/runs", json!({})).await.problem(StatusCode::CONFLICT, "conflict");
    let days = 42;
    let today = chrono::Utc::now().date_naive();
    let sales: Vec<Value> = (0..days)
        .map(|d| {
            let day = today - chrono::Duration::days(d);
            json!({"movement_id": format!("s-{d}"), "location_id": "S1", "product_id": "P1", "kind": "sale",
                   "quantity": 4 + d % 3, "unit_value_minor": 1290, "occurred_at": format!("{day}T10:00:00Z")})
        })
        .collect();
    let r = api.post("/api/v1/inventory/movements", json!(sales)).await;
    assert_eq!(r.json()["ledger_rows"], 42, "{}", r.text);

    let run = api.post("/api/v1/forecasts/runs", json!({})).await;
    assert_eq!(run.status, StatusCode::CREATED, "{}", run.text);
    let run = run.json();
    assert_eq!(run["series"], 1);
    assert_eq!(run["as_of"], today.to_string());
    let total = api.get("/api/v1/forecasts?level=total&history_days=14").await;
    assert_eq!(total.status, StatusCode::OK, "{}", total.text);
    let series = &total.json()["series"][0];
    assert_eq!(series["mean"].as_array().unwrap().len(), 28);
    assert_eq!(series["history"].as_array().unwrap().len(), 14);
    let week: f64 = series["mean"].as_array().unwrap()[..7].iter().map(|v| v.as_f64().unwrap()).sum();
    assert!((28.0..=42.0).contains(&week), "about five a day: {week}");
    assert_eq!(series["intervals"][0]["level"], 0.8);
    let runs = api.get("/api/v1/forecasts/runs").await.json();
    assert_eq!(runs["items"][0]["run_id"], run["run_id"]);
    // Sold at the regular price every day: nothing to learn a price response from, and it says so.
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let plan =
        |change: f64| json!({"category_id": "dairy", "price_change_pct": change, "from": tomorrow, "to": tomorrow});
    api.post("/api/v1/forecasts/what-if", plan(-20.0)).await.problem(StatusCode::CONFLICT, "conflict");
    api.post("/api/v1/forecasts/what-if", plan(-95.0))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    api.get("/api/v1/forecasts?level=planet").await.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.get("/api/v1/forecasts?colour=red").await.problem(StatusCode::BAD_REQUEST, "invalid_query");
    api.get("/api/v1/forecasts?limit=lots").await.problem(StatusCode::BAD_REQUEST, "invalid_query");
    api.post("/api/v1/forecasts/runs", json!({"as_of": "1999-01-01"}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.get("/api/v1/forecasts/backtest?origins=0")
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.get("/api/v1/replenishment/suggestions?status=lost")
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let queue = api.get("/api/v1/replenishment/suggestions").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.text);
    assert!(queue.json()["items"].as_array().unwrap().is_empty(), "P1 has no supplier: nothing to order");
    api.post("/api/v1/replenishment/suggestions/decisions", json!({"ids": [], "decision": "approve"}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.post("/api/v1/replenishment/suggestions/decisions", json!({"ids": ["x"], "decision": "maybe"}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let unknown =
        api.post("/api/v1/replenishment/suggestions/decisions", json!({"ids": ["x"], "decision": "approve"})).await;
    assert_eq!(unknown.json(), json!({"changed": 0, "unchanged": ["x"]}));
    api.post("/api/v1/replenishment/orders", json!({"ids": ["x"]})).await.problem(StatusCode::CONFLICT, "conflict");

    let analysis = api.get("/api/v1/inventory/analysis?location_id=S1").await;
    assert_eq!(analysis.status, StatusCode::OK, "{}", analysis.text);
    let analysis = analysis.json();
    assert_eq!(analysis["products"], 1);
    assert_eq!(analysis["matrix"][0]["abc"], "A", "the only seller holds all the value");
    assert!(analysis["stockout_risk"].as_array().unwrap().is_empty(), "no supplier, no lead time to miss");
    api.get("/api/v1/inventory/analysis?location_id=S9").await.problem(StatusCode::NOT_FOUND, "not_found");
    api.get("/api/v1/inventory/analysis").await.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn the_assistant_chats_over_http_and_hands_over_to_an_agent() {
    let api = Api::seeded("chat").await;
    let article = json!({"external_id": "kb-hours", "topic": "store_hours", "published": true,
        "tags": ["营业时间", "几点关门"],
        "title": {"zh": "门店营业时间", "en": "Store opening hours"},
        "body": {"zh": "所有门店每天 08:00–22:00 营业。", "en": "All stores open daily from 08:00 to 22:00."}});
    assert_eq!(api.post("/api/v1/kb_articles", article).await.status, StatusCode::CREATED);

    let r = api.post("/api/v1/chat", json!({"message": "你们几点关门？", "channel": "widget"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let reply = r.json();
    let id = reply["conversation_id"].as_str().unwrap().to_string();
    assert_eq!(reply["status"], "bot");
    assert!(reply["replies"][0]["text"].as_str().unwrap().contains("22:00"), "{reply}");
    assert_eq!(reply["replies"][0]["sources"][0]["article_id"], "kb-hours");
    assert_eq!(reply["understood"]["language"], "zh");

    let r = api.post("/api/v1/chat", json!({"conversation_id": id, "message": "I want a human agent please"})).await;
    assert_eq!(r.json()["status"], "waiting", "{}", r.text);
    assert_eq!(r.json()["handoff"], "asked_for_human");
    let queue = api.get("/api/v1/assistant/conversations?status=waiting").await.json();
    assert_eq!(queue["items"][0]["conversation_id"], id.as_str());
    let claim = api.post(&format!("/api/v1/assistant/conversations/{id}/actions"), json!({"action": "claim"})).await;
    assert_eq!(claim.status, StatusCode::OK, "{}", claim.text);
    let reply = json!({"action": "reply", "text": "您好，我来帮您"});
    assert_eq!(api.post(&format!("/api/v1/assistant/conversations/{id}/actions"), reply).await.status, StatusCode::OK);
    let transcript = api.get(&format!("/api/v1/chat/{id}/messages?after=4")).await.json();
    let senders: Vec<&str> =
        transcript["messages"].as_array().unwrap().iter().map(|m| m["sender"].as_str().unwrap()).collect();
    assert_eq!(senders, ["system", "agent"], "{transcript}");
    assert_eq!(transcript["conversation"]["status"], "agent");

    let rated = api.post(&format!("/api/v1/chat/{id}/rating"), json!({"rating": 5})).await;
    assert_eq!(rated.json()["status"], "closed", "{}", rated.text);
    let report = api.get("/api/v1/assistant/report").await.json();
    assert_eq!(report["conversations"], 1, "{report}");
    assert_eq!(report["satisfaction"], 5.0);

    // Bad input: empty, too long, unknown fields, unknown conversations, closed ones, bad ratings.
    api.post("/api/v1/chat", json!({"message": ""}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let long = "x".repeat(100 * 1024);
    api.post("/api/v1/chat", json!({"message": long}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.post("/api/v1/chat", json!({"message": "hi", "colour": "red"}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    api.post("/api/v1/chat", json!({"message": "hi", "conversation_id": "conv_none"}))
        .await
        .problem(StatusCode::NOT_FOUND, "not_found");
    api.post("/api/v1/chat", json!({"message": "hi", "conversation_id": id}))
        .await
        .problem(StatusCode::CONFLICT, "conflict");
    api.post(&format!("/api/v1/chat/{id}/rating"), json!({"rating": 5}))
        .await
        .problem(StatusCode::CONFLICT, "conflict");
    api.get("/api/v1/assistant/conversations?status=sleeping").await.problem(StatusCode::BAD_REQUEST, "invalid_query");

    // The widget may sit on the retailer's own site: the chat API answers CORS preflights.
    let preflight = api.raw("OPTIONS", "/api/v1/chat", "", &[("origin", "https://shop.example")]).await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers["access-control-allow-origin"], "*");
    let widget = api.get("/widget.js").await;
    assert_eq!(widget.status, StatusCode::OK);
    assert!(widget.text.contains("attachShadow") && widget.text.contains("textContent"));
    api.get("/shop").await.problem(StatusCode::NOT_FOUND, "route_not_found");
}

#[tokio::test]
async fn marketing_refuses_bad_campaigns_with_clear_problems() {
    let api = Api::seeded("marketing-api").await;
    let nobody =
        json!({"name": "Nobody yet", "rule": {"kind": "compare", "field": "orders_365d", "op": "ge", "value": 1.0}});
    let segment = api.put("/api/v1/marketing/segments/buyers", nobody).await;
    assert_eq!(segment.status, StatusCode::OK, "{}", segment.text);
    assert_eq!(segment.json()["size"], 0);
    api.put("/api/v1/marketing/segments/bad", json!({"name": "x", "rule": {"kind": "all", "rules": []}}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.put(
        "/api/v1/marketing/segments/bad",
        json!({"name": "x", "rule": {"kind": "compare", "field": "shoe_size", "op": "ge", "value": 1}}),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");

    let campaign = |channels: Value, body: &str, budget: i64| {
        json!({"name": "Spring", "segment_id": "buyers", "channels": channels, "starts_at": "2027-03-01T02:00:00Z",
               "budget_minor": budget, "subject": {"zh": "你好", "en": "Hello"}, "body": {"zh": body, "en": body}})
    };
    let fax = api.put("/api/v1/marketing/campaigns/spring", campaign(json!(["fax"]), "hi", 100)).await;
    let problem = fax.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("fax"), "{problem}");
    let unknown =
        api.put("/api/v1/marketing/campaigns/spring", campaign(json!(["sms"]), "Use {{coupon_code}}", 100)).await;
    let problem = unknown.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(problem.to_string().contains("coupon_code"), "the unknown variable is named: {problem}");
    api.put("/api/v1/marketing/campaigns/spring", campaign(json!(["sms"]), "hi", -1))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let draft = api.put("/api/v1/marketing/campaigns/spring", campaign(json!(["sms"]), "hi {{name}}", 0)).await;
    assert_eq!(draft.status, StatusCode::OK, "{}", draft.text);
    assert_eq!(draft.json()["status"], "draft");
    let plan = api.post("/api/v1/marketing/campaigns/spring/plan", json!({})).await;
    let problem = plan.problem(StatusCode::CONFLICT, "conflict");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("no customers"), "{problem}");
    api.post("/api/v1/marketing/campaigns/spring/launch", json!({})).await.problem(StatusCode::CONFLICT, "conflict");
    api.post("/api/v1/marketing/campaigns/nothing/plan", json!({})).await.problem(StatusCode::NOT_FOUND, "not_found");
    api.post("/api/v1/marketing/uplift", json!({"kind": "deep_magic"}))
        .await
        .problem(StatusCode::BAD_REQUEST, "invalid_body");
    api.post("/api/v1/marketing/uplift", json!({})).await.problem(StatusCode::CONFLICT, "conflict");
    api.post("/api/v1/marketing/opt-outs", json!({"customer_id": "C404", "channel": "pigeon"}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let page = api.get("/unsubscribe/no-such-token").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn routing_problems_are_solved_or_refused_with_clear_problems() {
    let api = Api::new("routing-api").await;
    let problem = |vehicles: Value, km: Value| {
        json!({
            "depots": [{"id": "D", "lat": 31.2, "lon": 121.4}],
            "vehicles": vehicles,
            "stops": [{"id": "A", "lat": 31.21, "lon": 121.41, "demand_kg": 10.0, "cases": 2},
                      {"id": "B", "lat": 31.22, "lon": 121.39, "demand_kg": 900.0}],
            "matrix": {"km": km, "minutes": [0, 5, 5, 5, 0, 9, 5, 9, 0]},
            "time_limit_s": 0.5
        })
    };
    let van = json!([{"id": "K", "depot_id": "D", "capacity_kg": 100.0, "cost_per_km_minor": 100,
                      "shift_start": "2026-12-01T00:00:00Z", "shift_end": "2026-12-01T10:00:00Z"}]);
    let solved = api.post("/api/v1/routing/problems", problem(van.clone(), json!([0, 1, 1, 1, 0, 2, 1, 2, 0]))).await;
    assert_eq!(solved.status, StatusCode::CREATED, "{}", solved.text);
    let body = solved.json();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["plan"]["totals"]["stops"], 1);
    assert_eq!(body["plan"]["unassigned"][0]["stop_id"], "B");
    assert_eq!(body["plan"]["unassigned"][0]["reason"], "capacity_exceeded", "too heavy is named, not fatal");
    let id = body["plan_id"].as_str().unwrap().to_string();
    let manifest = api.get(&format!("/api/v1/delivery/plans/{id}/manifest")).await;
    assert_eq!(manifest.status, StatusCode::OK);
    assert!(manifest.text.starts_with("vehicle,trip,sequence,stop"), "{}", manifest.text);
    assert_eq!(manifest.text.lines().count(), 2);

    let negative =
        api.post("/api/v1/routing/problems", problem(van.clone(), json!([0, 1, 1, 1, 0, -2, 1, 2, 0]))).await;
    let p = negative.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(p.to_string().contains("matrix.km"), "{p}");
    let holes = api.post("/api/v1/routing/problems", problem(van.clone(), json!([0, 1, 1, 1, 0, null, 1, 2, 0]))).await;
    holes.problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    let short = api.post("/api/v1/routing/problems", problem(van, json!([0, 1, 1]))).await;
    assert!(short.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").to_string().contains("matrix.km"));
    let nobody = api.post("/api/v1/routing/problems", problem(json!([]), json!([0, 1, 1, 1, 0, 2, 1, 2, 0]))).await;
    let p = nobody.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(p.to_string().contains("no vehicles"), "{p}");
    // A 50 MB problem is refused before it is read, with the limit named.
    let huge = format!("{{\"stops\": [{}]}}", "0,".repeat(25 * 1024 * 1024));
    api.raw("POST", "/api/v1/routing/problems", huge, &[])
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    api.post("/api/v1/delivery/plans", json!({"scope": "store", "depot_id": "NOWHERE", "date": "2026-12-01"}))
        .await
        .problem(StatusCode::NOT_FOUND, "not_found");
    api.post("/api/v1/delivery/plans", json!({"scope": "drone", "depot_id": "D", "date": "2026-12-01"}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    api.get("/api/v1/delivery/plans/dp-none").await.problem(StatusCode::NOT_FOUND, "not_found");
    api.get("/api/v1/supply/scorecards?weeks=0").await.problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    api.get("/api/v1/supply/costs/inventory").await.problem(StatusCode::BAD_REQUEST, "invalid_query");
}
