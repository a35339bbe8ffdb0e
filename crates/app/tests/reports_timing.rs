//! Times the dashboard queries on the full default demo world. Ignored by
//! default (it builds a two-gigabyte database once, in about two minutes):
//! `cargo test --release -p retail-app --test reports_timing -- --ignored --nocapture`,
//! with `RETAIL_DEMO_DIR` naming the data folder (default `/tmp/demo-data`).
//! The store is called directly, so the report cache does not hide the cost.

use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use retail_app::reports::{self, DEFAULT_DAYS};
use retail_app::{Config, Platform, demo};
use retail_demo::DemoConfig;
use retail_store::DateRange;

/// Runs `f` three times and prints the first and the best time.
async fn time<T, F: Future<Output = T>>(label: &str, f: impl Fn() -> F) -> T {
    let mut best = f64::MAX;
    let mut first = 0.0;
    let mut out = None;
    for i in 0..3 {
        let started = Instant::now();
        out = Some(f().await);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if i == 0 {
            first = ms;
        }
        best = best.min(ms);
    }
    println!("{label:<48} first {first:>7.1} ms   best {best:>7.1} ms");
    out.expect("ran at least once")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the full demo database; run explicitly with --release"]
async fn dashboard_queries_are_fast_on_the_demo_world() {
    let dir = PathBuf::from(std::env::var("RETAIL_DEMO_DIR").unwrap_or_else(|_| "/tmp/demo-data".into()));
    let started = Instant::now();
    let p = Platform::open(Config { data_dir: dir, ..Config::default() }).await.expect("open the demo store");
    println!("opened (and migrated) in {:.1} s", started.elapsed().as_secs_f64());
    if !demo::has_data(&p).await.unwrap() {
        let started = Instant::now();
        demo::load_demo(&p, DemoConfig::default(), |_| {}).await.expect("load the demo");
        println!("demo loaded in {:.1} s", started.elapsed().as_secs_f64());
    }
    let s = p.store.as_ref();
    let days = time("sales_days", || s.sales_days()).await.unwrap().expect("the demo has sales");
    let month = DateRange::last_days(days.to, DEFAULT_DAYS);
    let year = DateRange::last_days(days.to, 365);
    println!("data from {} to {}; last {DEFAULT_DAYS} days from {}", days.from, days.to, month.from);

    let by_day = time("sales_by_day 30 d", || s.sales_by_day(month, None, None)).await.unwrap();
    assert_eq!(by_day.len(), 30);
    time("sales_by_day 30 d, S001", || s.sales_by_day(month, Some("S001"), None)).await.unwrap();
    time("sales_by_day 30 d, ONLINE", || s.sales_by_day(month, Some("ONLINE"), None)).await.unwrap();
    time("sales_by_category 30 d", || s.sales_by_category(month, None)).await.unwrap();
    time("sales_by_category 30 d, S001", || s.sales_by_category(month, Some("S001"))).await.unwrap();
    let top = time("top_products 30 d, 10", || s.top_products(month, None, 10)).await.unwrap();
    time("top_products 30 d, 10, S001", || s.top_products(month, Some("S001"), 10)).await.unwrap();
    let stores = time("sales_by_location 30 d", || s.sales_by_location(month)).await.unwrap();
    assert!(stores.len() >= 21, "every store and the online shop sold");
    let best = top[0].product_id.as_str();
    time("sales_by_day 365 d, best product", || s.sales_by_day(year, None, Some(best))).await.unwrap();
    time("sales_by_day 365 d, best product, S001", || s.sales_by_day(year, Some("S001"), Some(best))).await.unwrap();
    time("sales_by_day 365 d, best product, ONLINE", || s.sales_by_day(year, Some("ONLINE"), Some(best)))
        .await
        .unwrap();
    time("sales_by_day 730 d", || s.sales_by_day(days, None, None)).await.unwrap();
    let alerts = time("stock_alerts 20", || s.stock_alerts(None, 20)).await.unwrap();
    assert!(!alerts.is_empty());
    time("stock_alerts 20, S001", || s.stock_alerts(Some("S001"), 20)).await.unwrap();
    time("location_stock S001", || s.location_stock("S001")).await.unwrap();
    time("location_stock DC01", || s.location_stock("DC01")).await.unwrap();
    time("recent_orders 20", || s.recent_orders(None, 20)).await.unwrap();
    time("recent_orders 20, ONLINE", || s.recent_orders(Some("ONLINE"), 20)).await.unwrap();
    time("recent_orders 20, S001 (none)", || s.recent_orders(Some("S001"), 20)).await.unwrap();
    time("app sales_by_day 30 d (cached after the first)", || reports::sales_by_day(&p, month, None, None))
        .await
        .unwrap();
}
