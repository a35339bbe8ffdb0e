//! Marketing end to end on a small world of 120 customers whose purchases and consent are known:
//! segments by rule, a campaign planned with a hold-out and sent through a real SMTP exchange
//! (a local server started here that refuses the first messages for a while) and the log
//! adapter, opt-outs, consent withdrawn after planning, the effect against the hold-out, and
//! the bad input of the issue. On SQLite, and on PostgreSQL when it is configured.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use retail_app::marketing::delivery::{Adapters, deliver_due};
use retail_app::marketing::{self, CampaignSpec, SegmentInput};
use retail_app::testing::TempPlatform;
use retail_app::{Config, ServiceError, service};
use retail_domain::{Category, Customer, Location, Order, Product};
use retail_marketing::rules::Rule;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const CUSTOMERS: usize = 120;

/// A local SMTP server that answers `451` to the first `refuse` messages, then accepts and
/// keeps every message's text.
struct SmtpServer {
    address: String,
    received: Arc<Mutex<Vec<String>>>,
}

async fn smtp_server(refuse: usize) -> SmtpServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let received = Arc::new(Mutex::new(Vec::new()));
    let refusals = Arc::new(Mutex::new(refuse));
    let kept = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let (kept, refusals) = (kept.clone(), refusals.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                        "MAIL" | "RCPT" | "RSET" => b"250 OK\r\n",
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            let mut text = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                text.push_str(&l);
                                text.push('\n');
                            }
                            let refuse = {
                                let mut left = refusals.lock().unwrap();
                                let refuse = *left > 0;
                                *left = left.saturating_sub(1);
                                refuse
                            };
                            if refuse {
                                b"451 4.3.0 try again later\r\n"
                            } else {
                                kept.lock().unwrap().push(text);
                                b"250 2.0.0 queued\r\n"
                            }
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"502 5.5.2 unknown command\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    SmtpServer { address, received }
}

fn days_ago(now: DateTime<Utc>, days: i64) -> String {
    (now - Duration::days(days)).to_rfc3339()
}

/// Customer `i`: `i % 4 == 0` bought baby products 60 days ago and agreed to SMS; `1` bought
/// them 10 days ago and agreed to SMS; `2` bought snacks and agreed to e-mail only; `3` bought
/// baby products 60 days ago and agreed to nothing.
async fn world(p: &TempPlatform, now: DateTime<Utc>) {
    let categories: Vec<Category> = serde_json::from_value(json!([
        {"external_id": "baby", "name": {"zh": "母婴", "en": "Baby"}, "consumable": true, "perishable": false},
        {"external_id": "baby.diapers", "parent_id": "baby", "name": {"zh": "纸尿裤", "en": "Diapers"},
         "consumable": true, "perishable": false},
        {"external_id": "snacks", "name": {"zh": "零食", "en": "Snacks"}, "consumable": true, "perishable": false}
    ]))
    .unwrap();
    let locations: Vec<Location> = serde_json::from_value(json!([
        {"external_id": "S1", "kind": "store", "name": {"zh": "徐家汇店", "en": "Xujiahui"}, "city": "上海",
         "lat": 31.19, "lon": 121.43, "timezone": "Asia/Shanghai"},
        {"external_id": "WEB", "kind": "online", "name": {"zh": "网店", "en": "Web shop"}, "city": "上海",
         "lat": 31.2, "lon": 121.4, "timezone": "Asia/Shanghai"}
    ]))
    .unwrap();
    let product = |id: &str, category: &str, zh: &str, en: &str, price: i64| {
        json!({"external_id": id, "name": {"zh": zh, "en": en}, "brand": "b", "category_id": category,
               "price": {"amount_minor": price, "currency": "CNY"}, "cost": {"amount_minor": price / 2, "currency": "CNY"},
               "status": "active"})
    };
    let products: Vec<Product> = serde_json::from_value(json!([
        product("P-DIAPER", "baby.diapers", "纸尿裤", "Diapers", 9900),
        product("P-CHIPS", "snacks", "薯片", "Crisps", 990),
    ]))
    .unwrap();
    let mut customers = Vec::new();
    let mut orders = Vec::new();
    for i in 0..CUSTOMERS {
        let kind = i % 4;
        let consent = match kind {
            0 | 1 => json!({"sms": true}),
            2 => json!({"email": true, "personalisation": false}),
            _ => json!({}),
        };
        customers.push(json!({
            "external_id": format!("C{i:03}"), "name": format!("顾客{i}"), "phone": format!("1380000{i:04}"),
            "email": format!("c{i}@example.com"), "city": "上海", "home_location_id": "S1",
            "consent": consent, "language": if i % 2 == 0 { "zh-CN" } else { "en" },
            "registered_at": days_ago(now, 400)
        }));
        let (product, days) = match kind {
            1 => ("P-DIAPER", 10),
            2 => ("P-CHIPS", 60),
            _ => ("P-DIAPER", 60),
        };
        orders.push(json!({
            "external_id": format!("O-{i:03}"), "customer_id": format!("C{i:03}"), "channel": "online",
            "location_id": "WEB", "status": "delivered", "currency": "CNY",
            "lines": [{"product_id": product, "quantity": 1, "unit_price_minor": 9900}],
            "placed_at": days_ago(now, days)
        }));
    }
    let customers: Vec<Customer> = serde_json::from_value(json!(customers)).unwrap();
    let orders: Vec<Order> = serde_json::from_value(json!(orders)).unwrap();
    service::upsert(p, &categories).await.unwrap();
    service::upsert(p, &locations).await.unwrap();
    service::upsert(p, &products).await.unwrap();
    service::upsert(p, &customers).await.unwrap();
    service::upsert(p, &orders).await.unwrap();
}

fn rule(value: serde_json::Value) -> Rule {
    serde_json::from_value(value).unwrap()
}

fn campaign(segment: &str, channels: serde_json::Value, starts_at: DateTime<Utc>) -> CampaignSpec {
    serde_json::from_value(json!({
        "name": "Come back", "segment_id": segment, "channels": channels,
        "starts_at": starts_at.to_rfc3339(), "budget_minor": 1_000_000, "holdout_share": 0.2,
        "offer": {"kind": "coupon", "amount_minor": 500},
        "products": {"mode": "fixed", "product_ids": ["P-CHIPS"], "count": 1},
        "subject": {"zh": "{{first_name}}，好久不见", "en": "We miss you, {{first_name}}"},
        "body": {"zh": "送您{{offer}}：{{products}}", "en": "Here is {{offer}} for {{products}}"}
    }))
    .unwrap()
}

async fn scenario(p: &TempPlatform, smtp: &SmtpServer) {
    let now = Utc::now();
    world(p, now).await;

    // The example: bought baby products in 90 days and not in 30, consented to SMS.
    let baby = rule(json!({"kind": "all", "rules": [
        {"kind": "bought", "category": "baby", "within_days": 90},
        {"kind": "not", "rule": {"kind": "bought", "category": "baby", "within_days": 30}},
        {"kind": "consented", "channel": "sms"}
    ]}));
    let preview = marketing::preview_segment(p, &baby).await.unwrap();
    assert_eq!(preview.size, 30, "a subcategory purchase counts for its parent; the rule keeps one customer in four");
    assert!(preview.description.en.contains("baby"), "{}", preview.description.en);
    let input = SegmentInput { name: "Baby, gone quiet".into(), rule: baby, refresh_hours: 24 };
    let saved = marketing::save_segment(p, "baby-quiet", input, "tester").await.unwrap();
    assert_eq!(saved.size, 30);
    let buyers = SegmentInput {
        name: "Buyers".into(),
        rule: rule(json!({"kind": "compare", "field": "orders_365d", "op": "ge", "value": 1.0})),
        refresh_hours: 0,
    };
    assert_eq!(marketing::save_segment(p, "buyers", buyers, "tester").await.unwrap().size, CUSTOMERS as i64);
    let detail = marketing::segment(p, "buyers").await.unwrap();
    assert_eq!(detail.history.len(), 1, "each refresh records the size");

    // Bad input.
    let nobody = SegmentInput {
        name: "Nobody".into(),
        rule: rule(json!({"kind": "compare", "field": "orders_365d", "op": "ge", "value": 1000.0})),
        refresh_hours: 0,
    };
    assert_eq!(marketing::save_segment(p, "nobody", nobody, "tester").await.unwrap().size, 0);
    marketing::save_campaign(p, "empty", campaign("nobody", json!(["sms"]), now)).await.unwrap();
    let empty = marketing::plan(p, "empty").await.unwrap_err();
    assert!(matches!(&empty, ServiceError::Conflict(m) if m.contains("no customers")), "{empty}");
    let unknown_channel = serde_json::from_value::<CampaignSpec>(json!({
        "name": "x", "segment_id": "buyers", "channels": ["fax"], "starts_at": now.to_rfc3339(),
        "budget_minor": 0, "subject": {"en": "x"}, "body": {"en": "x"}
    }))
    .unwrap_err();
    assert!(unknown_channel.to_string().contains("fax"), "{unknown_channel}");
    let mut bad_template = campaign("buyers", json!(["sms"]), now);
    bad_template.body.en = "Use {{coupon_code}} today".into();
    let e = marketing::save_campaign(p, "bad", bad_template).await.unwrap_err();
    assert!(matches!(&e, ServiceError::Invalid(v) if format!("{v:?}").contains("coupon_code")), "{e}");
    let mut zero = campaign("buyers", json!(["sms", "email"]), now);
    zero.budget_minor = 0;
    marketing::save_campaign(p, "zero", zero).await.unwrap();
    let planned = marketing::plan(p, "zero").await.unwrap().plan.unwrap();
    assert_eq!(planned.decisions.get("send"), None, "a zero budget contacts nobody");
    assert_eq!(planned.decisions["over_budget"], 90, "{:?}", planned.decisions);
    assert_eq!(planned.decisions["no_consent"], 30, "customers without consent are counted, never contacted");

    // A campaign over every buyer: SMS or e-mail by consent, a fifth held out.
    let starts = now - Duration::hours(1);
    marketing::save_campaign(p, "back", campaign("buyers", json!(["email", "sms"]), starts)).await.unwrap();
    let planned = marketing::plan(p, "back").await.unwrap().plan.unwrap();
    let send = planned.decisions["send"];
    let held = planned.decisions["held_out"];
    assert_eq!(send + held, 90, "{:?}", planned.decisions);
    assert!((8..=30).contains(&held), "about a fifth held out: {held}");
    assert_eq!(planned.decisions["no_consent"], 30);
    let previews = marketing::preview(p, "back", 500).await.unwrap();
    assert_eq!(previews.len() as u64, send);
    assert!(previews.iter().all(|m| m.body.contains("/unsubscribe/")), "every message carries its opt-out link");
    let zh = previews.iter().find(|m| m.language == "zh-CN").expect("a Chinese message");
    assert!(zh.body.contains("薯片") && zh.body.contains("¥5.00"), "{}", zh.body);
    let en = previews.iter().find(|m| m.language == "en").expect("an English message");
    assert!(en.body.contains("Crisps") && en.subject.starts_with("We miss you"), "{en:?}");

    let launched = marketing::launch(p, "back").await.unwrap();
    assert_eq!(launched.queued, send);
    assert!(matches!(marketing::launch(p, "back").await, Err(ServiceError::Conflict(_))), "launched once");
    let emails = previews.iter().filter(|m| m.channel == retail_domain::Channel::Email).count();
    let texts = send as usize - emails;

    let adapters = Adapters::from_config(&p.config).unwrap();
    let first = deliver_due(p, &adapters, Utc::now().timestamp_millis(), 500).await.unwrap();
    assert_eq!(first.claimed as u64, send);
    assert_eq!(first.retried, 2, "the server's two refusals are tried again: {first:?}");
    assert_eq!(first.sent as u64, send - 2);
    let nothing = deliver_due(p, &adapters, Utc::now().timestamp_millis(), 500).await.unwrap();
    assert_eq!(nothing.claimed, 0, "a retry waits for its delay");
    let later = Utc::now() + Duration::minutes(5);
    let second = deliver_due(p, &adapters, later.timestamp_millis(), 500).await.unwrap();
    assert_eq!((second.claimed, second.sent), (2, 2), "{second:?}");
    let received = smtp.received.lock().unwrap().clone();
    assert_eq!(received.len(), emails, "every e-mail arrived once");
    let ids: HashSet<&str> = received.iter().filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:"))).collect();
    assert_eq!(ids.len(), emails, "no e-mail was sent twice");
    assert!(received.iter().all(|m| m.contains("List-Unsubscribe: <http://")));
    let log = std::fs::read_to_string(p.config.data_dir.join("messages.jsonl")).unwrap();
    assert_eq!(log.lines().count(), texts, "SMS went to the log adapter, once each");
    let campaign_now = marketing::campaign(p, "back").await.unwrap();
    assert_eq!(campaign_now.messages.get("sent").copied(), Some(send as i64));
    assert_eq!(marketing::close_sent(p).await.unwrap(), 1);

    // Orders after the start: every treated SMS customer, no held-out one.
    let audience = p.store.campaign_audience("back").await.unwrap();
    let mut orders = Vec::new();
    for a in audience.iter().filter(|a| a.arm == "treatment" && a.channel.as_deref() == Some("sms")) {
        orders.push(json!({
            "external_id": format!("O-after-{}", a.customer_id), "customer_id": a.customer_id, "channel": "online",
            "location_id": "WEB", "status": "paid", "currency": "CNY",
            "lines": [{"product_id": "P-CHIPS", "quantity": 2, "unit_price_minor": 990}],
            "placed_at": (now - Duration::minutes(10)).to_rfc3339()
        }));
    }
    let converted = orders.len() as u64;
    service::upsert(p, &serde_json::from_value::<Vec<Order>>(json!(orders)).unwrap()).await.unwrap();
    let effect = marketing::effect(p, "back").await.unwrap();
    assert_eq!(effect.report.treatment.conversions, converted);
    assert_eq!(effect.report.holdout.conversions, 0);
    assert_eq!(effect.report.treatment.reached, send);
    assert!(effect.report.incremental_conversions.value > 0.0);
    assert!(!effect.complete, "the fortnight is not over");

    // An opt-out by link, and consent withdrawn between plan and send.
    let token =
        p.store.list_messages("back", "", 500).await.unwrap().into_iter().find(|m| m.channel == "email").unwrap();
    let out = marketing::unsubscribe(p, &token.unsubscribe_token, false).await.unwrap();
    assert_eq!((out.customer_id.as_str(), out.channel.as_str()), (token.customer_id.as_str(), "email"));
    assert!(matches!(marketing::unsubscribe(p, "no-such-token", true).await, Err(ServiceError::NotFound { .. })));
    marketing::save_campaign(p, "again", campaign("buyers", json!(["email"]), now - Duration::minutes(1)))
        .await
        .unwrap();
    let again = marketing::plan(p, "again").await.unwrap();
    let row = p
        .store
        .campaign_audience("again")
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.customer_id == token.customer_id)
        .unwrap();
    assert_eq!(row.decision, "opted_out", "{:?}", again.plan);
    let launched = marketing::launch(p, "again").await.unwrap();
    let first_queued = p.store.list_messages("again", "", 1).await.unwrap().remove(0);
    let doc = p.store.get_doc(retail_domain::EntityKind::Customer, &first_queued.customer_id).await.unwrap().unwrap();
    let mut withdrawn: Customer = serde_json::from_value(doc.doc).unwrap();
    withdrawn.consent.email = false;
    service::upsert(p, &[withdrawn]).await.unwrap();
    let report = deliver_due(p, &adapters, Utc::now().timestamp_millis(), 500).await.unwrap();
    assert_eq!(report.claimed as u64, launched.queued, "{report:?}");
    assert_eq!(report.suppressed, 1, "consent is checked again at send time");
    assert_eq!(report.sent as u64, launched.queued - 1);
}

async fn embedded(name: &str, smtp: &SmtpServer) -> TempPlatform {
    let dir: PathBuf = std::env::temp_dir().join(retail_testenv::unique_name(name));
    let mut config = Config { data_dir: dir.clone(), ..Config::default() };
    config.marketing.smtp = smtp.address.clone();
    // Any hour of the day, so the test does not depend on when it runs.
    config.marketing.send_hours = [0, 24];
    TempPlatform::with_config(config, dir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_goes_from_segment_to_effect() {
    let smtp = smtp_server(2).await;
    let p = embedded("marketing", &smtp).await;
    scenario(&p, &smtp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_goes_from_segment_to_effect_on_postgres() {
    let Some(pg) = retail_testenv::backend_url("RETAIL_TEST_POSTGRES_URL") else { return };
    let admin = retail_store::connect(&pg, 1).await.unwrap();
    let schema = retail_testenv::unique_name("mkt");
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(admin.pool()).await.unwrap();
    let sep = if pg.contains('?') { '&' } else { '?' };
    let smtp = smtp_server(2).await;
    let dir = std::env::temp_dir().join(&schema);
    let mut config = Config {
        database_url: format!("{pg}{sep}options=-c%20search_path%3D{schema}"),
        data_dir: dir.clone(),
        ..Config::default()
    };
    config.marketing.smtp = smtp.address.clone();
    config.marketing.send_hours = [0, 24];
    let p = TempPlatform::with_config(config, dir).await;
    scenario(&p, &smtp).await;
    drop(p);
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(admin.pool()).await.unwrap();
}
