//! The contract every [`Store`] implementation must meet, run by the tests of
//! this crate against SQLite and PostgreSQL alike. Each check states the
//! behaviour it protects in its assertion message.

mod access;
mod assistant;
mod experiments;
mod logistics;
mod marketing;
mod planning;
mod recommendations;
mod reports;

use std::collections::BTreeMap;

use retail_domain::Location;
use retail_domain::{
    BehaviourEvent, Category, Currency, EntityKind, EventKind, LocationKind, Money, Movement, MovementKind, Order,
    OrderChannel, OrderLine, OrderStatus, Product, ProductStatus, Text,
};

use crate::{
    DocQuery, EventQuery, IdempotentResponse, LedgerQuery, LogPage, OutboxWrite, StockQuery, Store, StoreError,
    UserRecord, WriteSet,
};

fn ts(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("valid test timestamp")
}

pub fn location(id: &str) -> Location {
    Location {
        external_id: id.into(),
        kind: LocationKind::Store,
        name: Text::new(format!("{id} 门店"), format!("Store {id}")),
        address: Text::default(),
        city: "上海".into(),
        lat: 31.2,
        lon: 121.4,
        timezone: "Asia/Shanghai".into(),
        area_m2: None,
        active: true,
    }
}

pub fn category(id: &str) -> Category {
    Category {
        external_id: id.into(),
        parent_id: None,
        name: Text::new("乳品", "Dairy"),
        consumable: true,
        perishable: true,
    }
}

pub fn product(id: &str, category: &str, name_zh: &str) -> Product {
    Product {
        unit_volume_m3: None,
        unit_weight_kg: None,
        external_id: id.into(),
        name: Text::new(name_zh, format!("Product {id}")),
        brand: "光明".into(),
        category_id: category.into(),
        attributes: BTreeMap::new(),
        price: Money::cny(1290),
        cost: Money::cny(800),
        pack_size: 6,
        shelf_life_days: Some(7),
        barcode: None,
        supplier_id: None,
        status: ProductStatus::Active,
    }
}

fn event(id: &str, kind: EventKind, customer: &str, product: &str, at: &str) -> BehaviourEvent {
    BehaviourEvent {
        event_id: Some(id.into()),
        customer_id: Some(customer.into()),
        product_id: Some(product.into()),
        position: Some(1),
        strategy: Some("popular".into()),
        request_id: Some("req-1".into()),
        ..BehaviourEvent::new(kind, ts(at))
    }
}

fn movement(id: &str, kind: MovementKind, location: &str, qty: i64, to: Option<&str>) -> Movement {
    Movement {
        movement_id: Some(id.into()),
        location_id: location.into(),
        product_id: "P01".into(),
        kind,
        quantity: qty,
        to_location_id: to.map(str::to_string),
        unit_value_minor: None,
        reference: None,
        occurred_at: ts("2026-03-01T08:00:00Z"),
    }
}

/// Runs every check on a freshly created, empty store.
pub async fn run_all(store: &dyn Store) {
    migrations_are_idempotent(store).await;
    seed_master_data(store).await;
    upserts_are_idempotent_on_external_ids(store).await;
    listing_pages_searches_and_filters(store).await;
    rejected_writes_change_nothing(store).await;
    bulk_writes_are_all_or_nothing(store).await;
    orders_round_trip(store).await;
    events_deduplicate_and_page(store).await;
    stock_is_derived_from_the_ledger(store).await;
    outbox_is_an_ordered_idempotent_log(store).await;
    idempotency_keys_and_users(store).await;
    deletes(store).await;
    log_indexes_suspend_and_restore(store).await;
    access::run(store).await;
    experiments::run(store).await;
    recommendations::run(store).await;
    reports::run(store).await;
    planning::run(store).await;
    assistant::run(store).await;
    marketing::run(store).await;
    logistics::run(store).await;
}

async fn log_indexes_suspend_and_restore(store: &dyn Store) {
    store.suspend_log_indexes().await.unwrap();
    let mut w = WriteSet::default();
    w.add_movements(&[movement("bulk-m1", MovementKind::Receipt, "S2", 4, None)]);
    store.apply(w).await.expect("writes work while indexes are suspended");
    store.migrate().await.expect("migrate rebuilds suspended indexes");
    store.restore_indexes().await.expect("restoring twice is harmless");
    let stock =
        store.stock(&StockQuery { location_id: Some("S2".into()), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(stock[0].on_hand, 5, "the rebuilt indexes serve the same answers");
}

async fn migrations_are_idempotent(store: &dyn Store) {
    store.ping().await.expect("ping");
    let again = store.migrate().await.expect("second migrate");
    assert!(again.is_empty(), "migrating an up-to-date store applies nothing, applied {again:?}");
}

async fn seed_master_data(store: &dyn Store) {
    let mut w = WriteSet::default();
    w.upsert(&[location("S1"), location("S2")]);
    w.upsert(&[category("dairy")]);
    let products: Vec<Product> = (1..=25)
        .map(|i| product(&format!("P{i:02}"), "dairy", if i == 7 { "酸奶 草莓味" } else { "全脂牛奶" }))
        .collect();
    w.upsert(&products);
    let applied = store.apply(w).await.expect("seed");
    assert_eq!(applied.inserted, 28, "every new document counts as inserted");
    assert_eq!(store.count_docs(EntityKind::Product).await.unwrap(), 25);
}

async fn upserts_are_idempotent_on_external_ids(store: &dyn Store) {
    let p = product("P01", "dairy", "全脂牛奶");
    let mut w = WriteSet::default();
    w.upsert(std::slice::from_ref(&p));
    let applied = store.apply(w.clone()).await.unwrap();
    assert_eq!(
        (applied.inserted, applied.updated, applied.unchanged),
        (0, 0, 1),
        "same document again changes nothing"
    );
    let stored = store.get_doc(EntityKind::Product, "P01").await.unwrap().expect("P01 stored");
    assert_eq!(stored.version, 1, "an unchanged upsert keeps the version");
    let back: Product = serde_json::from_value(stored.doc).unwrap();
    assert_eq!(back, p, "documents round-trip exactly");

    let mut changed = p.clone();
    changed.price = Money::cny(1390);
    let mut w = WriteSet::default();
    w.upsert(&[changed]);
    let applied = store.apply(w).await.unwrap();
    assert_eq!(applied.updated, 1);
    let stored = store.get_doc(EntityKind::Product, "P01").await.unwrap().unwrap();
    assert_eq!(stored.version, 2, "a change bumps the version");
    assert_eq!(stored.doc["price"]["amount_minor"], 1390);
    assert!(stored.updated_at_ms >= stored.created_at_ms);
    assert_eq!(store.count_docs(EntityKind::Product).await.unwrap(), 25, "upserting never duplicates");
}

async fn listing_pages_searches_and_filters(store: &dyn Store) {
    let mut seen = Vec::new();
    let mut query = DocQuery { limit: 10, ..Default::default() };
    let mut pages = 0;
    loop {
        let page = store.list_docs(EntityKind::Product, &query).await.unwrap();
        pages += 1;
        seen.extend(page.items.into_iter().map(|d| d.external_id));
        match page.next_cursor {
            Some(c) => query.after = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3, "25 items in pages of 10");
    let expected: Vec<String> = (1..=25).map(|i| format!("P{i:02}")).collect();
    assert_eq!(seen, expected, "cursor pages cover every item once, in id order");

    let hits = store
        .list_docs(EntityKind::Product, &DocQuery { search: Some("草莓".into()), limit: 50, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(hits.items.len(), 1, "Chinese substring search finds the one strawberry yoghurt");
    let hits = store
        .list_docs(
            EntityKind::Product,
            &DocQuery { search: Some("PRODUCT P1".into()), limit: 50, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(hits.items.len(), 10, "search is case-insensitive over English names (P10..P19)");
    let hits = store
        .list_docs(EntityKind::Product, &DocQuery { search: Some("100%_".into()), limit: 50, ..Default::default() })
        .await
        .unwrap();
    assert!(hits.items.is_empty(), "LIKE wildcards in the search text are literal");

    let filtered = store
        .list_docs(
            EntityKind::Product,
            &DocQuery { filters: vec![("category_id".into(), "dairy".into())], limit: 100, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(filtered.items.len(), 25);
    let err = store
        .list_docs(
            EntityKind::Product,
            &DocQuery { filters: vec![("doc".into(), "x".into())], limit: 10, ..Default::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownFilter { .. }), "only projected columns can be filtered: {err}");
    let err = store
        .list_docs(
            EntityKind::Product,
            &DocQuery { after: Some("not-a-cursor".into()), limit: 10, ..Default::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidCursor));
}

async fn rejected_writes_change_nothing(store: &dyn Store) {
    let before = store.count_docs(EntityKind::Product).await.unwrap();
    let mut w = WriteSet::default();
    w.upsert(&[product("NEW1", "dairy", "新品"), product("NEW2", "no-such-category", "新品")]);
    match store.apply(w).await {
        Err(StoreError::UnknownReferences(refs)) => {
            assert_eq!(refs.len(), 1);
            assert_eq!(refs[0].field, "[1].category_id", "the error names the item and field");
            assert_eq!(refs[0].external_id, "no-such-category");
        }
        other => panic!("an unknown category must be refused, got {other:?}"),
    }
    assert_eq!(store.count_docs(EntityKind::Product).await.unwrap(), before, "nothing of a refused batch is written");

    let mut w = WriteSet::default();
    w.upsert(&[product("NEW3", "dairy", "甲"), product("NEW3", "dairy", "乙")]);
    assert!(matches!(store.apply(w).await, Err(StoreError::DuplicateId { first: 0, second: 1, .. })));
    assert!(store.get_doc(EntityKind::Product, "NEW3").await.unwrap().is_none());

    let mut w = WriteSet::default();
    w.upsert(&[category("snacks")]);
    w.add_movements(&[movement("bad-mv", MovementKind::Receipt, "S404", 5, None)]);
    assert!(matches!(store.apply(w).await, Err(StoreError::UnknownReferences(_))));
    assert!(
        store.get_doc(EntityKind::Category, "snacks").await.unwrap().is_none(),
        "documents roll back with the ledger"
    );

    let mut w = WriteSet::default();
    w.upsert(&[category("parent"), Category { parent_id: Some("parent".into()), ..category("child") }]);
    store.apply(w).await.expect("a reference to a document in the same write is satisfied");
}

async fn bulk_writes_are_all_or_nothing(store: &dyn Store) {
    let mut bulk = store.begin_bulk().await.unwrap();
    let mut w = WriteSet::default();
    w.upsert(&[category("bulk-a")]);
    bulk.apply(w).await.unwrap();
    let mut bad = WriteSet::default();
    bad.upsert(&[product("BULK1", "no-such", "x")]);
    assert!(bulk.apply(bad).await.is_err(), "a refused set inside a bulk write is reported");
    let mut w = WriteSet::default();
    w.upsert(&[product("BULK2", "bulk-a", "批量")]);
    bulk.apply(w).await.expect("the transaction stays usable after a refused set");
    drop(bulk);
    assert!(
        store.get_doc(EntityKind::Category, "bulk-a").await.unwrap().is_none(),
        "dropping a bulk write rolls it back"
    );

    let mut bulk = store.begin_bulk().await.unwrap();
    let mut w = WriteSet::default();
    w.upsert(&[category("bulk-a")]);
    bulk.apply(w).await.unwrap();
    let mut w = WriteSet::default();
    w.upsert(&[product("BULK2", "bulk-a", "批量")]);
    bulk.apply(w).await.expect("a later set sees what an earlier set of the same bulk wrote");
    bulk.commit().await.unwrap();
    assert!(store.get_doc(EntityKind::Product, "BULK2").await.unwrap().is_some());
}

async fn orders_round_trip(store: &dyn Store) {
    let order = Order {
        delivery: None,
        external_id: "O-1".into(),
        customer_id: None,
        channel: OrderChannel::Online,
        location_id: "S1".into(),
        status: OrderStatus::Paid,
        currency: Currency::cny(),
        lines: vec![
            OrderLine { product_id: "P01".into(), quantity: 2, unit_price_minor: 1290, discount_minor: 0 },
            OrderLine { product_id: "P02".into(), quantity: 1, unit_price_minor: 990, discount_minor: 90 },
        ],
        payments: vec![],
        shipments: vec![],
        delivery_address: Some(Text::new("上海市黄浦区", "")),
        placed_at: ts("2026-03-02T09:30:00Z"),
        updated_at: None,
    };
    let mut w = WriteSet::default();
    w.upsert(std::slice::from_ref(&order));
    assert_eq!(w.order_lines.len(), 2);
    store.apply(w).await.unwrap();
    let back: Order =
        serde_json::from_value(store.get_doc(EntityKind::Order, "O-1").await.unwrap().unwrap().doc).unwrap();
    assert_eq!(back, order);
    let by_status = store
        .list_docs(
            EntityKind::Order,
            &DocQuery { filters: vec![("status".into(), "paid".into())], limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(by_status.items.len(), 1, "orders filter by projected status");

    let mut fewer = order.clone();
    fewer.lines.truncate(1);
    let mut w = WriteSet::default();
    w.upsert(&[fewer]);
    store.apply(w).await.expect("re-upserting an order replaces its lines");
}

async fn events_deduplicate_and_page(store: &dyn Store) {
    let events = vec![
        event("e1", EventKind::View, "C1", "P01", "2026-03-01T10:00:00Z"),
        event("e2", EventKind::Click, "C1", "P02", "2026-03-01T10:01:00Z"),
        event("e3", EventKind::Purchase, "C2", "P01", "2026-03-01T10:02:00Z"),
    ];
    let mut w = WriteSet::default();
    w.add_events(&events);
    let applied = store.apply(w).await.unwrap();
    assert_eq!(applied.events, 3);
    let mut w = WriteSet::default();
    w.add_events(&events[..2]);
    let applied = store.apply(w).await.unwrap();
    assert_eq!((applied.events, applied.event_duplicates), (0, 2), "a repeated event id is stored once");

    let mut bad = WriteSet::default();
    bad.add_events(&[event("e9", EventKind::View, "C1", "P404", "2026-03-01T10:00:00Z")]);
    assert!(matches!(store.apply(bad).await, Err(StoreError::UnknownReferences(_))), "events must name known products");

    let page = store
        .list_events(&EventQuery {
            customer_id: Some("C1".into()),
            page: LogPage { limit: 1, ..Default::default() },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].event, events[0], "events round-trip with all fields");
    let next = store
        .list_events(&EventQuery {
            customer_id: Some("C1".into()),
            page: LogPage { limit: 1, after: page.next_cursor, ..Default::default() },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(next.items[0].event.event_id.as_deref(), Some("e2"));
    assert!(next.next_cursor.is_none(), "no cursor after the last page");
    let clicks = store
        .list_events(&EventQuery {
            kind: Some(EventKind::Click),
            page: LogPage { limit: 10, ..Default::default() },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(clicks.items.len(), 1);
}

async fn stock_is_derived_from_the_ledger(store: &dyn Store) {
    let moves = [
        movement("m1", MovementKind::Receipt, "S1", 10, None),
        movement("m2", MovementKind::Sale, "S1", 3, None),
        movement("m3", MovementKind::Transfer, "S1", 2, Some("S2")),
        movement("m4", MovementKind::Reservation, "S1", 1, None),
        movement("m5", MovementKind::Adjustment, "S2", -1, None),
    ];
    let mut w = WriteSet::default();
    w.add_movements(&moves);
    let applied = store.apply(w.clone()).await.unwrap();
    assert_eq!(applied.ledger_rows, 6, "a transfer writes two rows");
    let again = store.apply(w).await.unwrap();
    assert_eq!((again.ledger_rows, again.ledger_duplicates), (0, 6), "movement ids make retries safe");

    let stock =
        store.stock(&StockQuery { product_id: Some("P01".into()), limit: 100, ..Default::default() }).await.unwrap();
    let s1 = stock.iter().find(|s| s.location_id == "S1").expect("S1 stock");
    assert_eq!((s1.on_hand, s1.reserved, s1.available), (5, 1, 4));
    let s2 = stock.iter().find(|s| s.location_id == "S2").expect("S2 stock");
    assert_eq!(s2.on_hand, 1);

    let sales = store
        .list_ledger(&LedgerQuery {
            kind: Some(MovementKind::Sale),
            page: LogPage { limit: 10, ..Default::default() },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(sales.items.len(), 1);
    assert_eq!(sales.items[0].row.on_hand_delta, -3, "sales are stored with their sign");
}

async fn outbox_is_an_ordered_idempotent_log(store: &dyn Store) {
    let rec = |id: &str| OutboxWrite {
        event_id: id.into(),
        topic: "products.upserted".into(),
        payload: serde_json::json!({"ids": [id]}),
        occurred_at_ms: 1,
    };
    let a = store.outbox_append(&rec("x1")).await.unwrap();
    let b = store.outbox_append(&rec("x2")).await.unwrap();
    assert!(b > a, "sequence grows");
    assert_eq!(store.outbox_append(&rec("x1")).await.unwrap(), a, "appending a known id returns its seq");
    let after = store.outbox_after(a - 1, 10).await.unwrap();
    assert_eq!(after.iter().map(|r| r.record.event_id.as_str()).collect::<Vec<_>>(), ["x1", "x2"]);
    assert_eq!(after[0].record, rec("x1"));

    let mut w = WriteSet::default();
    w.announce("x3".into(), "orders.created", serde_json::json!({"n": 1}), 2);
    w.upsert(&[product("NEW1", "no-such", "x")]);
    assert!(store.apply(w).await.is_err());
    assert!(store.outbox_after(b, 10).await.unwrap().is_empty(), "an outbox row rolls back with its write");

    assert_eq!(store.consumer_offset("c").await.unwrap(), 0);
    store.commit_offset("c", b).await.unwrap();
    store.commit_offset("c", a).await.unwrap();
    assert_eq!(store.consumer_offset("c").await.unwrap(), b, "offsets only move forward");
}

async fn idempotency_keys_and_users(store: &dyn Store) {
    let resp = IdempotentResponse { request_hash: "h".into(), status: 201, body: "{}".into(), created_at_ms: 5 };
    assert!(store.idempotency_get("k1").await.unwrap().is_none());
    assert!(store.idempotency_put("k1", &resp).await.unwrap());
    assert!(!store.idempotency_put("k1", &resp).await.unwrap(), "a key is taken once");
    assert_eq!(store.idempotency_get("k1").await.unwrap(), Some(resp.clone()));
    let pending = IdempotentResponse { status: 0, body: String::new(), ..resp.clone() };
    assert!(store.idempotency_put("k2", &pending).await.unwrap());
    store.idempotency_release("k2").await.unwrap();
    assert!(store.idempotency_get("k2").await.unwrap().is_none(), "a released pending key is free again");
    assert!(store.idempotency_put("k2", &pending).await.unwrap());
    store.idempotency_finish("k2", 200, "{\"ok\":true}").await.unwrap();
    store.idempotency_release("k2").await.unwrap();
    let done = store.idempotency_get("k2").await.unwrap().expect("finished keys stay");
    assert_eq!((done.status, done.body.as_str()), (200, "{\"ok\":true}"), "release leaves finished keys alone");

    let user = UserRecord {
        username: "admin".into(),
        display_name: "管理员".into(),
        role: "admin".into(),
        password_hash: "$argon2id$x".into(),
        disabled: false,
        created_at_ms: 1,
        failed_logins: 0,
        locked_until_ms: None,
        last_login_at_ms: None,
    };
    store.put_user(&user).await.unwrap();
    store.put_user(&UserRecord { role: "analyst".into(), ..user.clone() }).await.unwrap();
    let back = store.get_user("admin").await.unwrap().unwrap();
    assert_eq!(back.role, "analyst", "put_user updates in place");
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

async fn deletes(store: &dyn Store) {
    let err = store.delete_doc(EntityKind::Category, "dairy").await.unwrap_err();
    assert!(matches!(err, StoreError::InUse { by: "products", .. }), "a category with products stays: {err}");
    let err = store.delete_doc(EntityKind::Product, "P01").await.unwrap_err();
    assert!(matches!(err, StoreError::InUse { .. }), "a product with history stays: {err}");
    assert!(store.get_doc(EntityKind::Product, "P01").await.unwrap().is_some());
    assert!(store.delete_doc(EntityKind::Product, "P25").await.unwrap(), "an unreferenced product can go");
    assert!(store.delete_doc(EntityKind::Order, "O-1").await.unwrap());
    assert!(!store.delete_doc(EntityKind::Order, "O-1").await.unwrap(), "deleting twice reports absence");
    assert!(store.get_doc(EntityKind::Order, "O-1").await.unwrap().is_none());
}
