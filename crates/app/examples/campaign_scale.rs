//! A campaign at scale on the embedded store: N customers (default 1,000,000), each with one order in
//! the last year, half consenting to SMS and half to e-mail, are loaded into a fresh SQLite store;
//! then the operations the console runs are timed one by one: refreshing the segment "ordered this
//! year", planning the campaign over it (population features, eligibility, cap, targeting by value
//! under the budget, the 10 % hold-out, every message rendered, the audience stored), launching it
//! (the messages queued with their unsubscribe links) and delivering the queue to the log adapter.
//!
//! `cargo run --release -p retail-app --example campaign_scale -- [--customers N] [--dir PATH]`

use std::time::Instant;

use chrono::{Duration, Utc};
use retail_app::marketing::delivery::{Adapters, deliver_all_due};
use retail_app::marketing::{self, CampaignSpec, SegmentInput};
use retail_app::{Config, Platform, service};
use retail_domain::{Category, Customer, Location, Order, Product};
use serde_json::json;

const BATCH: usize = 10_000;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let customers: usize = arg("--customers").map_or(Ok(1_000_000), |n| n.parse())?;
    let dir = std::path::PathBuf::from(arg("--dir").unwrap_or_else(|| "target/campaign-scale".into()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let mut config = Config { data_dir: dir.clone(), ..Config::default() };
    config.marketing.send_hours = [0, 24];
    let p = Platform::open(config).await?;
    let now = Utc::now();

    let started = Instant::now();
    let categories: Vec<Category> = serde_json::from_value(json!([
        {"external_id": "snacks", "name": {"zh": "零食", "en": "Snacks"}, "consumable": true, "perishable": false}
    ]))?;
    let locations: Vec<Location> = serde_json::from_value(json!([
        {"external_id": "WEB", "kind": "online", "name": {"zh": "网店", "en": "Web shop"}, "city": "上海",
         "lat": 31.2, "lon": 121.4, "timezone": "Asia/Shanghai"}
    ]))?;
    let products: Vec<Product> = serde_json::from_value(json!([
        {"external_id": "P1", "name": {"zh": "薯片", "en": "Crisps"}, "brand": "b", "category_id": "snacks",
         "price": {"amount_minor": 990, "currency": "CNY"}, "cost": {"amount_minor": 500, "currency": "CNY"},
         "status": "active"}
    ]))?;
    service::upsert(&p, &categories).await?;
    service::upsert(&p, &locations).await?;
    service::upsert(&p, &products).await?;
    for start in (0..customers).step_by(BATCH) {
        let end = (start + BATCH).min(customers);
        let people: Vec<Customer> =
            serde_json::from_value(json!((start..end)
            .map(|i| {
                let consent = if i % 2 == 0 { json!({"sms": true}) } else { json!({"email": true}) };
                json!({"external_id": format!("C{i:07}"), "name": format!("顾客{i}"), "phone": format!("139{i:08}"),
                       "email": format!("c{i}@example.com"), "consent": consent,
                       "language": if i % 3 == 0 { "en" } else { "zh-CN" },
                       "registered_at": (now - Duration::days(400)).to_rfc3339()})
            })
            .collect::<Vec<_>>()))?;
        service::upsert(&p, &people).await?;
        let orders: Vec<Order> = serde_json::from_value(json!((start..end)
            .map(|i| json!({"external_id": format!("O{i:07}"), "customer_id": format!("C{i:07}"), "channel": "online",
                "location_id": "WEB", "status": "delivered", "currency": "CNY",
                "lines": [{"product_id": "P1", "quantity": 1 + i % 3, "unit_price_minor": 990}],
                "placed_at": (now - Duration::days(1 + (i % 300) as i64)).to_rfc3339()}))
            .collect::<Vec<_>>()))?;
        service::upsert(&p, &orders).await?;
    }
    eprintln!("loaded {customers} customers with an order each in {:.1} s", started.elapsed().as_secs_f64());

    let rule = serde_json::from_value(json!({"kind": "compare", "field": "orders_365d", "op": "ge", "value": 1.0}))?;
    let t = Instant::now();
    let segment =
        marketing::save_segment(&p, "buyers", SegmentInput { name: "Buyers".into(), rule, refresh_hours: 0 }, "bench")
            .await?;
    let segment_s = t.elapsed().as_secs_f64();
    eprintln!("segment of {} refreshed in {segment_s:.1} s", segment.size);

    let spec: CampaignSpec = serde_json::from_value(json!({
        "name": "Scale", "segment_id": "buyers", "channels": ["sms", "email"],
        "starts_at": (now - Duration::minutes(1)).to_rfc3339(), "budget_minor": 100_000_000_000i64, "holdout_share": 0.1,
        "offer": {"kind": "coupon", "amount_minor": 500},
        "products": {"mode": "fixed", "product_ids": ["P1"], "count": 1},
        "subject": {"zh": "{{first_name}}，专属优惠", "en": "A treat for you, {{first_name}}"},
        "body": {"zh": "{{name}}您好！送您{{offer}}：{{products}}。退订：{{unsubscribe_url}}",
                 "en": "Hello {{first_name}}! Here is {{offer}} for {{products}}. Unsubscribe: {{unsubscribe_url}}"}
    }))?;
    marketing::save_campaign(&p, "scale", spec).await?;
    let t = Instant::now();
    let planned = marketing::plan(&p, "scale").await?;
    let plan_s = t.elapsed().as_secs_f64();
    let decisions = planned.plan.map(|s| s.decisions).unwrap_or_default();
    eprintln!("planned and rendered in {plan_s:.1} s: {decisions:?}");

    let t = Instant::now();
    let launched = marketing::launch(&p, "scale").await?;
    let launch_s = t.elapsed().as_secs_f64();
    eprintln!("{} messages queued in {launch_s:.1} s", launched.queued);

    let adapters = Adapters::from_config(&p.config).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let delivered = deliver_all_due(&p, &adapters, 2_000).await?;
    let deliver_s = t.elapsed().as_secs_f64();
    let rate = delivered.sent as f64 / deliver_s;
    eprintln!("{} messages delivered to the log adapter in {deliver_s:.1} s: {rate:.0} messages/s", delivered.sent);
    println!(
        "{}",
        json!({
            "customers": customers, "segment_refresh_s": segment_s, "plan_s": plan_s, "launch_s": launch_s,
            "queued": launched.queued, "delivered": delivered.sent, "deliver_s": deliver_s, "messages_per_s": rate,
            "decisions": decisions,
        })
    );
    p.shutdown().await;
    Ok(())
}
