//! Runs the store conformance suite against SQLite and, when configured, PostgreSQL.

use retail_store::{Store, conformance, connect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_meets_the_contract() {
    let dir = std::env::temp_dir().join(retail_testenv::unique_name("retail_store"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("nested/retail.db").display());
    // A missing parent folder is the caller's to create; the file itself is created here.
    std::fs::create_dir_all(dir.join("nested")).unwrap();
    let store = connect(&url, 4).await.expect("open sqlite");
    let applied = store.migrate().await.unwrap();
    assert_eq!(
        applied,
        [
            "0001_foundation",
            "0002_access",
            "0003_reports",
            "0004_experiments",
            "0005_recommendations",
            "0006_planning",
            "0007_assistant",
            "0008_marketing",
            "0009_logistics",
            "0010_stockouts"
        ]
    );
    conformance::run_all(&store).await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_meets_the_contract() {
    let Some(base) = retail_testenv::backend_url("RETAIL_TEST_POSTGRES_URL") else { return };
    let schema = retail_testenv::unique_name("conf");
    let admin = connect(&base, 1).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(admin.pool()).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let store = connect(&format!("{base}{sep}options=-c%20search_path%3D{schema}"), 4).await.unwrap();
    store.migrate().await.unwrap();
    conformance::run_all(&store).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(admin.pool()).await.unwrap();
}

#[tokio::test]
async fn unreachable_and_unsupported_databases_fail_clearly() {
    let err = connect("mysql://localhost/x", 1).await.err().expect("unsupported scheme");
    assert!(err.to_string().contains("unsupported database URL"), "{err}");
    let err = connect("postgres://nobody:pw@127.0.0.1:1/none", 1).await.err().expect("closed port");
    let msg = err.to_string();
    assert!(msg.contains("cannot reach") && !msg.contains(":pw@"), "{msg}");
}
