//! Bulk import: formats, Chinese text, BOMs, quoting, line items across rows,
//! and bad input reported by line and field with nothing written.

use std::sync::Arc;

use retail_app::import::{ImportFormat, ImportKind, ImportOptions, ImportReport, import};
use retail_app::testing::TempPlatform;
use retail_domain::EntityKind;

async fn run(p: &TempPlatform, kind: &str, format: ImportFormat, text: &[u8], partial: bool) -> ImportReport {
    let options = ImportOptions { partial, batch_rows: 3, ..ImportOptions::new(format) };
    import(
        p,
        ImportKind::parse(kind).unwrap(),
        Box::new(std::io::Cursor::new(text.to_vec())),
        options,
        Arc::new(|_| {}),
    )
    .await
    .expect("import runs")
}

async fn count(p: &TempPlatform, kind: EntityKind) -> u64 {
    p.store.count_docs(kind).await.unwrap()
}

const CATEGORIES: &str = "external_id,name.zh,name.en,parent_id,consumable,perishable\n\
dairy,乳制品,Dairy,,true,true\n\
milk,牛奶,Milk,dairy,true,true\n\
snacks,零食,Snacks,,true,false\n";

const PRODUCTS_HEADER: &str = "external_id,name.zh,name.en,brand,category_id,price.amount_minor,price.currency,cost.amount_minor,cost.currency,attributes.origin,status\n";

async fn seeded(name: &str) -> TempPlatform {
    let p = TempPlatform::embedded(name).await;
    let r = run(&p, "categories", ImportFormat::Csv, CATEGORIES.as_bytes(), false).await;
    assert!(r.committed && r.error_count == 0, "{r:?}");
    p
}

#[tokio::test]
async fn csv_with_bom_quotes_and_chinese_imports_and_reimports_idempotently() {
    let p = seeded("import-ok").await;
    let csv = format!(
        "\u{feff}{PRODUCTS_HEADER}P1,\"光明 全脂牛奶, 1L\",\"Whole milk, 1L\",光明,milk,1290,CNY,900,CNY,\"上海\n崇明\",active\n\
         P2,乐事薯片,Lay's chips,乐事,snacks,850,CNY,500,CNY,,active\n\
         P3,酸奶,Yoghurt,光明,dairy,600,CNY,400,CNY,上海,draft\n\
         P4,饼干,Biscuits,奥利奥,snacks,990,CNY,600,CNY,,active\n"
    );
    let r = run(&p, "products", ImportFormat::Csv, csv.as_bytes(), false).await;
    assert_eq!((r.records, r.applied.inserted, r.error_count), (4, 4, 0), "{r:?}");
    let p1 = p.store.get_doc(EntityKind::Product, "P1").await.unwrap().unwrap();
    assert_eq!(p1.doc["name"]["zh"], "光明 全脂牛奶, 1L", "quoted commas stay in the field");
    assert_eq!(p1.doc["attributes"]["origin"], "上海\n崇明", "quoted newlines stay in the field");
    let again = run(&p, "products", ImportFormat::Csv, csv.as_bytes(), false).await;
    assert_eq!((again.applied.inserted, again.applied.unchanged), (0, 4), "re-importing changes nothing");
}

#[tokio::test]
async fn a_bad_row_rejects_the_whole_file_and_names_line_and_field() {
    let p = seeded("import-bad").await;
    let csv = format!(
        "{PRODUCTS_HEADER}P1,牛奶,Milk,光明,milk,1290,CNY,900,CNY,,active\n\
         P2,薯片,Chips,乐事,snacks,8.5,CNY,500,CNY,,active\n\
         P3,酸奶,Yoghurt,光明,nowhere,600,CNY,400,CNY,,active\n\
         P1,重复,Duplicate,光明,milk,100,CNY,50,CNY,,active\n\
         P5,短行,Short row\n\
         P6,负价,Negative,光明,milk,-5,CNY,1,CNY,,active\n\
         P7,状态,Status,光明,milk,5,CNY,1,CNY,,sold_out\n"
    );
    let r = run(&p, "products", ImportFormat::Csv, csv.as_bytes(), false).await;
    assert!(!r.committed);
    assert_eq!(count(&p, EntityKind::Product).await, 0, "nothing of a refused file is written");
    let by_line = |line: u64| {
        r.errors.iter().find(|e| e.line == line).unwrap_or_else(|| panic!("no error on line {line}: {r:?}"))
    };
    assert_eq!(by_line(3).field.as_deref(), Some("price.amount_minor"));
    assert!(by_line(5).message.contains("duplicate id 'P1' (first on line 2)"), "{:?}", by_line(5));
    assert!(by_line(6).message.contains("fields but the header has"), "{:?}", by_line(6));
    assert_eq!(by_line(7).field.as_deref(), Some("price.amount_minor"));
    assert_eq!(by_line(8).field.as_deref(), Some("status"));
    assert!(r.error_count >= 5);
}

#[tokio::test]
async fn unknown_references_are_reported_per_line_and_partial_mode_keeps_good_rows() {
    let p = seeded("import-refs").await;
    let csv = format!(
        "{PRODUCTS_HEADER}P1,牛奶,Milk,光明,milk,1290,CNY,900,CNY,,active\n\
         P2,酸奶,Yoghurt,光明,nowhere,600,CNY,400,CNY,,active\n\
         P3,薯片,Chips,乐事,snacks,850,CNY,500,CNY,,active\n"
    );
    let strict = run(&p, "products", ImportFormat::Csv, csv.as_bytes(), false).await;
    assert_eq!(strict.error_count, 1);
    assert_eq!((strict.errors[0].line, strict.errors[0].field.as_deref()), (3, Some("category_id")));
    assert!(strict.errors[0].message.contains("unknown category 'nowhere'"));
    assert_eq!(count(&p, EntityKind::Product).await, 0);

    let partial = run(&p, "products", ImportFormat::Csv, csv.as_bytes(), true).await;
    assert!(partial.committed);
    assert_eq!((partial.applied.inserted, partial.error_count), (2, 1));
    assert!(p.store.get_doc(EntityKind::Product, "P2").await.unwrap().is_none());
}

#[tokio::test]
async fn invalid_utf8_is_reported_with_its_line() {
    let p = seeded("import-utf8").await;
    let mut bytes = format!("{PRODUCTS_HEADER}P1,牛奶,Milk,光明,milk,1290,CNY,900,CNY,,active\n").into_bytes();
    bytes.extend_from_slice(b"P2,\xff\xfe,Bad,x,milk,1,CNY,1,CNY,,active\n");
    let r = run(&p, "products", ImportFormat::Csv, &bytes, false).await;
    assert_eq!(r.error_count, 1, "{r:?}");
    assert_eq!(r.errors[0].line, 3);
    assert!(r.errors[0].message.contains("UTF-8"));
    assert_eq!(count(&p, EntityKind::Product).await, 0);

    let jsonl = b"{\"external_id\":\"x\"}\n\xff\n";
    let r = run(&p, "categories", ImportFormat::Jsonl, jsonl, false).await;
    assert!(r.errors.iter().any(|e| e.line == 2 && e.message.contains("UTF-8")), "{r:?}");
}

#[tokio::test]
async fn order_lines_span_consecutive_rows() {
    let p = seeded("import-orders").await;
    let products = format!(
        "{PRODUCTS_HEADER}P1,牛奶,Milk,光明,milk,1290,CNY,900,CNY,,active\nP2,薯片,Chips,乐事,snacks,850,CNY,500,CNY,,active\n"
    );
    run(&p, "products", ImportFormat::Csv, products.as_bytes(), false).await;
    let locations = "external_id,kind,name.zh,name.en,lat,lon\nONLINE,online,线上,Online,31.2,121.4\n";
    assert_eq!(run(&p, "locations", ImportFormat::Csv, locations.as_bytes(), false).await.error_count, 0);
    let orders = "external_id,channel,location_id,status,currency,placed_at,lines.product_id,lines.quantity,lines.unit_price_minor\n\
        O1,online,ONLINE,paid,CNY,2026-01-02T03:04:05Z,P1,2,1290\n\
        O1,online,ONLINE,paid,CNY,2026-01-02T03:04:05Z,P2,1,850\n\
        O2,online,ONLINE,placed,CNY,2026-01-03T03:04:05Z,P2,3,850\n";
    let r = run(&p, "orders", ImportFormat::Csv, orders.as_bytes(), false).await;
    assert_eq!((r.records, r.applied.inserted, r.error_count), (2, 2, 0), "{r:?}");
    let o1 = p.store.get_doc(EntityKind::Order, "O1").await.unwrap().unwrap();
    assert_eq!(o1.doc["lines"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn jsonl_events_stream_in_batches_and_deduplicate() {
    let p = seeded("import-events").await;
    let products = format!("{PRODUCTS_HEADER}P1,牛奶,Milk,光明,milk,1290,CNY,900,CNY,,active\n");
    run(&p, "products", ImportFormat::Csv, products.as_bytes(), false).await;
    let mut jsonl = String::from("\u{feff}");
    for i in 0..50 {
        jsonl.push_str(&format!(
            "{{\"event_id\":\"e{i}\",\"kind\":\"view\",\"session_id\":\"s{}\",\"product_id\":\"P1\",\"occurred_at\":\"2026-02-01T10:00:{:02}Z\"}}\n\n",
            i % 7,
            i % 60
        ));
    }
    let r = run(&p, "events", ImportFormat::Jsonl, jsonl.as_bytes(), false).await;
    assert_eq!((r.records, r.applied.events, r.error_count), (50, 50, 0), "{r:?}");
    let again = run(&p, "events", ImportFormat::Jsonl, jsonl.as_bytes(), false).await;
    assert_eq!((again.applied.events, again.applied.event_duplicates), (0, 50));
    let bad =
        "{\"kind\":\"like\",\"session_id\":\"s\",\"product_id\":\"P1\",\"occurred_at\":\"2026-02-01T10:00:00Z\"}\n";
    let r = run(&p, "events", ImportFormat::Jsonl, bad.as_bytes(), false).await;
    assert!(r.errors[0].message.contains("unknown variant `like`"), "{r:?}");
}
