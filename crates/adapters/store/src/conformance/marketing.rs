//! Conformance checks for [`crate::MarketingStore`]: segments refreshed whole with their
//! history, campaigns with optimistic concurrency and plans that replace the previous one,
//! the message outbox's leases and outcomes, opt-outs, and the purchase facts segments and
//! effect analysis read (orders of May 2027 by customers MK1–MK3).

use retail_domain::{Currency, Customer, Order, OrderChannel, OrderLine, OrderStatus};

use super::ts;
use crate::{
    AudienceRecord, CampaignRecord, DeliveryOutcome, OptOutRecord, OutgoingMessage, SegmentMember, SegmentRecord,
    Store, UpliftModelRecord, WriteSet,
};

pub async fn run(store: &dyn Store) {
    segments_refresh_whole_and_keep_history(store).await;
    campaigns_save_over_the_version_they_read(store).await;
    messages_are_leased_once_and_finish_once(store).await;
    opt_outs_and_uplift_models_round_trip(store).await;
    purchases_and_outcomes_sum_kept_orders(store).await;
}

fn ms(s: &str) -> i64 {
    ts(s).timestamp_millis()
}

fn segment(id: &str) -> SegmentRecord {
    SegmentRecord {
        segment_id: id.into(),
        name: format!("Segment {id}"),
        definition: r#"{"kind":"rfm"}"#.into(),
        refresh_hours: 24,
        size: 0,
        value_minor: 0,
        refreshed_at_ms: None,
        created_at_ms: ms("2027-05-01T00:00:00Z"),
        updated_at_ms: ms("2027-05-01T00:00:00Z"),
        created_by: "tester".into(),
    }
}

fn member(id: &str, label: Option<&str>) -> SegmentMember {
    SegmentMember { customer_id: id.into(), label: label.map(str::to_string) }
}

async fn segments_refresh_whole_and_keep_history(store: &dyn Store) {
    store.save_segment(&segment("SEG-1")).await.unwrap();
    assert!(!store.refresh_segment("SEG-none", &[], 0, 1).await.unwrap(), "an unknown segment is not refreshed");
    let first = [member("MK1", Some("champions")), member("MK2", None)];
    assert!(store.refresh_segment("SEG-1", &first, 5000, ms("2027-05-02T00:00:00Z")).await.unwrap());
    let second = [member("MK3", Some("at_risk"))];
    assert!(store.refresh_segment("SEG-1", &second, 700, ms("2027-05-03T00:00:00Z")).await.unwrap());
    assert_eq!(store.segment_members("SEG-1").await.unwrap(), second.to_vec(), "a refresh replaces the members");
    let got = store.get_segment("SEG-1").await.unwrap().expect("stored");
    assert_eq!((got.size, got.value_minor, got.refreshed_at_ms), (1, 700, Some(ms("2027-05-03T00:00:00Z"))));
    let history = store.segment_history("SEG-1", 10).await.unwrap();
    assert_eq!(history.iter().map(|p| p.size).collect::<Vec<_>>(), vec![2, 1], "history is oldest first");
    assert_eq!(store.segment_history("SEG-1", 1).await.unwrap()[0].size, 1, "a limit keeps the latest");

    let renamed = SegmentRecord { name: "Renamed".into(), size: 99, ..segment("SEG-1") };
    store.save_segment(&renamed).await.unwrap();
    let got = store.get_segment("SEG-1").await.unwrap().unwrap();
    assert_eq!((got.name.as_str(), got.size), ("Renamed", 1), "saving a definition keeps the measured size");
    store.save_segment(&segment("SEG-2")).await.unwrap();
    assert_eq!(store.list_segments().await.unwrap().len(), 2);
    assert!(store.delete_segment("SEG-2").await.unwrap());
    assert!(!store.delete_segment("SEG-2").await.unwrap(), "a second delete finds nothing");
}

fn campaign(id: &str) -> CampaignRecord {
    CampaignRecord {
        campaign_id: id.into(),
        name: "Win-back".into(),
        status: "draft".into(),
        segment_id: "SEG-1".into(),
        priority: 5,
        starts_at_ms: ms("2027-05-10T02:00:00Z"),
        created_at_ms: ms("2027-05-01T00:00:00Z"),
        updated_at_ms: ms("2027-05-01T00:00:00Z"),
        planned_at_ms: None,
        sent_at_ms: None,
        version: 1,
        spec: "{}".into(),
        plan: None,
    }
}

fn audience(campaign: &str, customer: &str, arm: &str, decision: &str) -> AudienceRecord {
    AudienceRecord {
        campaign_id: campaign.into(),
        customer_id: customer.into(),
        arm: arm.into(),
        decision: decision.into(),
        channel: (decision == "send").then(|| "email".to_string()),
        send_at_ms: (decision == "send").then(|| ms("2027-05-10T02:00:00Z")),
        expected_value_minor: 120,
        doc: "{}".into(),
    }
}

fn message(campaign: &str, customer: &str, due: &str) -> OutgoingMessage {
    OutgoingMessage {
        message_id: format!("{campaign}:{customer}"),
        campaign_id: campaign.into(),
        customer_id: customer.into(),
        channel: "email".into(),
        address: format!("{customer}@example.com"),
        language: "zh-CN".into(),
        subject: "欢迎回来".into(),
        body: "您好".into(),
        status: "queued".into(),
        attempts: 0,
        send_after_ms: ms(due),
        next_attempt_at_ms: ms(due),
        last_error: None,
        unsubscribe_token: format!("tok-{campaign}-{customer}"),
        created_at_ms: ms("2027-05-01T00:00:00Z"),
        sent_at_ms: None,
    }
}

async fn campaigns_save_over_the_version_they_read(store: &dyn Store) {
    let c = campaign("CMP-1");
    assert!(store.save_campaign(&c, None).await.unwrap());
    assert!(!store.save_campaign(&c, None).await.unwrap(), "an id is never written twice");
    let planned = CampaignRecord { status: "planned".into(), version: 2, plan: Some("{\"n\":2}".into()), ..c.clone() };
    let first_plan = [audience("CMP-1", "MK1", "treatment", "send"), audience("CMP-1", "MK2", "holdout", "held_out")];
    assert!(store.save_plan(&planned, 1, &first_plan).await.unwrap());
    assert!(
        !store.save_plan(&planned, 1, &[]).await.unwrap(),
        "a plan over a version that moved on is refused and changes nothing"
    );
    assert_eq!(store.campaign_audience("CMP-1").await.unwrap(), first_plan.to_vec());
    let replanned = CampaignRecord { version: 3, ..planned.clone() };
    let second_plan = [audience("CMP-1", "MK3", "treatment", "send")];
    assert!(store.save_plan(&replanned, 2, &second_plan).await.unwrap());
    assert_eq!(store.campaign_audience("CMP-1").await.unwrap(), second_plan.to_vec(), "a new plan replaces the old");
    let sending = CampaignRecord { status: "sending".into(), version: 4, ..replanned.clone() };
    let queued = [message("CMP-1", "MK3", "2027-05-10T02:00:00Z")];
    assert!(!store.queue_messages(&sending, 2, &queued).await.unwrap(), "queueing over a stale version is refused");
    assert!(store.list_messages("CMP-1", "", 10).await.unwrap().is_empty(), "and queues nothing");
    assert!(store.queue_messages(&sending, 3, &queued).await.unwrap());
    assert_eq!(store.list_messages("CMP-1", "", 10).await.unwrap(), queued.to_vec());
    assert_eq!(store.get_campaign("CMP-1").await.unwrap().unwrap(), sending);
    assert!(store.save_campaign(&campaign("CMP-0"), None).await.unwrap());
    let listed = store.list_campaigns(10).await.unwrap();
    assert_eq!(listed.len(), 2);
}

async fn messages_are_leased_once_and_finish_once(store: &dyn Store) {
    let c = CampaignRecord { version: 2, ..campaign("CMP-2") };
    store.save_campaign(&campaign("CMP-2"), None).await.unwrap();
    let queued = [
        message("CMP-2", "MK1", "2027-05-10T02:00:00Z"),
        message("CMP-2", "MK2", "2027-05-10T02:00:00Z"),
        message("CMP-2", "MK3", "2027-05-11T02:00:00Z"),
    ];
    assert!(store.queue_messages(&c, 1, &queued).await.unwrap());
    let now = ms("2027-05-10T03:00:00Z");
    let lease = now + 60_000;
    // Messages of CMP-1 planned earlier are due too; claim everything due and keep CMP-2's.
    let claimed = store.claim_messages(now, lease, 100).await.unwrap();
    let mine: Vec<_> = claimed.iter().filter(|m| m.campaign_id == "CMP-2").collect();
    assert_eq!(mine.len(), 2, "only messages due by now are claimed");
    assert!(mine.iter().all(|m| m.status == "sending" && m.attempts == 1 && m.next_attempt_at_ms == lease));
    assert!(store.claim_messages(now, lease, 100).await.unwrap().is_empty(), "a leased message is not claimed twice");

    let outcomes = vec![
        ("CMP-2:MK1".to_string(), DeliveryOutcome::Sent { at_ms: now }),
        ("CMP-2:MK2".to_string(), DeliveryOutcome::Retry { next_at_ms: now + 30_000, error: "421 busy".into() }),
    ];
    store.finish_messages(&outcomes).await.unwrap();
    store
        .finish_messages(&[("CMP-2:MK1".to_string(), DeliveryOutcome::Failed { error: "late".into() })])
        .await
        .unwrap();
    let messages = store.list_messages("CMP-2", "", 10).await.unwrap();
    assert_eq!(messages[0].status, "sent", "an outcome for a message no longer leased is ignored");
    assert_eq!(messages[0].sent_at_ms, Some(now));
    assert_eq!((messages[1].status.as_str(), messages[1].last_error.as_deref()), ("queued", Some("421 busy")));

    let retried = store.claim_messages(now + 30_000, now + 90_000, 100).await.unwrap();
    let retried: Vec<_> = retried.iter().filter(|m| m.campaign_id == "CMP-2").collect();
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].message_id.as_str(), retried[0].attempts), ("CMP-2:MK2", 2), "a retry counts an attempt");
    let expired = store.claim_messages(now + 90_000, now + 150_000, 100).await.unwrap();
    assert!(
        expired.iter().any(|m| m.message_id == "CMP-2:MK2" && m.attempts == 3),
        "a message whose lease ran out is claimed again"
    );
    store
        .finish_messages(&[("CMP-2:MK2".to_string(), DeliveryOutcome::Failed { error: "550 no such user".into() })])
        .await
        .unwrap();
    let counts = store.message_counts("CMP-2").await.unwrap();
    assert_eq!(counts, vec![("failed".to_string(), 1), ("queued".to_string(), 1), ("sent".to_string(), 1)]);
    let by_token = store.message_by_token("tok-CMP-2-MK1").await.unwrap().expect("found by its link's token");
    assert_eq!(by_token.customer_id, "MK1");
    assert!(store.message_by_token("tok-unknown").await.unwrap().is_none());
    let page = store.list_messages("CMP-2", "CMP-2:MK1", 1).await.unwrap();
    assert_eq!(page[0].message_id, "CMP-2:MK2", "listing pages by id");

    let sends = store.sends_since(ms("2027-05-10T00:00:00Z")).await.unwrap();
    assert!(!sends.iter().any(|(c, _)| c == "MK2"), "failed messages do not count against caps");
    let mk3 = sends.iter().filter(|(c, _)| c == "MK3").count();
    assert_eq!(mk3, 2, "queued and sent messages of both campaigns count against caps");
}

async fn opt_outs_and_uplift_models_round_trip(store: &dyn Store) {
    let first = OptOutRecord { customer_id: "MK1".into(), channel: "email".into(), at_ms: 10, source: "link".into() };
    store.opt_out(&first).await.unwrap();
    store.opt_out(&OptOutRecord { at_ms: 20, ..first.clone() }).await.unwrap();
    store
        .opt_out(&OptOutRecord { customer_id: "MK2".into(), channel: "all".into(), at_ms: 30, source: "api".into() })
        .await
        .unwrap();
    assert_eq!(
        store.opt_outs(Some(&["MK1".to_string()])).await.unwrap(),
        vec![first],
        "the first opt-out's time is kept"
    );
    assert_eq!(store.opt_outs(None).await.unwrap().len(), 2);

    assert!(store.latest_uplift_model().await.unwrap().is_none());
    for (id, at) in [("UM-1", 100), ("UM-2", 200)] {
        let model = UpliftModelRecord {
            model_id: id.into(),
            kind: "two_model".into(),
            trained_at_ms: at,
            source: "CMP-1".into(),
            rows_used: 2,
            doc: "{}".into(),
        };
        store.save_uplift_model(&model).await.unwrap();
    }
    assert_eq!(store.latest_uplift_model().await.unwrap().unwrap().model_id, "UM-2");
}

fn customer(id: &str) -> Customer {
    serde_json::from_value(serde_json::json!({
        "external_id": id, "name": id, "registered_at": "2026-01-01T00:00:00Z"
    }))
    .expect("a minimal customer")
}

fn order(id: &str, customer: &str, placed: &str, status: OrderStatus, lines: &[(&str, i64, i64)]) -> Order {
    Order {
        delivery: None,
        external_id: id.into(),
        customer_id: Some(customer.into()),
        channel: OrderChannel::Online,
        location_id: "S1".into(),
        status,
        currency: Currency::cny(),
        lines: lines
            .iter()
            .map(|(product, quantity, price)| OrderLine {
                product_id: product.to_string(),
                quantity: *quantity,
                unit_price_minor: *price,
                discount_minor: 0,
            })
            .collect(),
        payments: vec![],
        shipments: vec![],
        delivery_address: None,
        placed_at: ts(placed),
        updated_at: None,
    }
}

async fn purchases_and_outcomes_sum_kept_orders(store: &dyn Store) {
    let mut w = WriteSet::default();
    w.upsert(&[customer("MK1"), customer("MK2"), customer("MK3")]);
    w.upsert(&[
        order("MKO-1", "MK1", "2027-02-01T10:00:00Z", OrderStatus::Delivered, &[("P01", 2, 1000)]),
        order("MKO-2", "MK1", "2027-05-11T10:00:00Z", OrderStatus::Paid, &[("P01", 1, 1000), ("P02", 1, 500)]),
        order("MKO-3", "MK1", "2027-05-12T10:00:00Z", OrderStatus::Cancelled, &[("P01", 9, 1000)]),
        order("MKO-4", "MK3", "2027-05-12T10:00:00Z", OrderStatus::Delivered, &[("P03", 3, 200)]),
    ]);
    store.apply(w).await.unwrap();
    let ids = ["MK1", "MK3", "nobody"].map(str::to_string);
    let mut docs = store.get_docs(retail_domain::EntityKind::Customer, &ids).await.unwrap();
    docs.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    assert_eq!(docs.iter().map(|d| d.external_id.as_str()).collect::<Vec<_>>(), ["MK1", "MK3"], "ids that exist");
    assert_eq!(docs[0].doc["name"], "MK1");

    let activity = store
        .customer_activity(ms("2026-05-20T00:00:00Z"), ms("2027-04-20T00:00:00Z"), ms("2027-05-20T00:00:00Z"))
        .await
        .unwrap();
    let mk1 = activity.iter().find(|a| a.customer_id == "MK1").expect("MK1 bought");
    assert_eq!(
        (
            mk1.orders_365d,
            mk1.orders_90d,
            mk1.spend_365d_minor,
            mk1.spend_90d_minor,
            mk1.online_orders_365d,
            mk1.discounted_orders_365d
        ),
        (2, 1, 3500, 1500, 2, 0),
        "kept orders only, the recent ones counted apart"
    );
    assert_eq!(mk1.last_order_ms, ms("2027-05-11T10:00:00Z"), "a cancelled order is not a purchase");
    assert!(activity.iter().all(|a| a.customer_id != "MK2"), "customers without orders have no row");

    let purchases = store.category_purchases(ms("2027-05-01T00:00:00Z"), ms("2027-05-20T00:00:00Z")).await.unwrap();
    let mk: Vec<_> = purchases.iter().filter(|p| p.customer_id.starts_with("MK")).collect();
    assert_eq!(mk.len(), 2, "one row per customer and category");
    assert!(mk.iter().all(|p| p.category_id == "dairy"));

    let outcomes =
        store.campaign_outcomes("CMP-1", ms("2027-05-10T00:00:00Z"), ms("2027-05-17T00:00:00Z")).await.unwrap();
    assert_eq!(outcomes.len(), 1, "the current plan's audience only");
    assert_eq!((outcomes[0].customer_id.as_str(), outcomes[0].orders, outcomes[0].revenue_minor), ("MK3", 1, 600));
    let silent =
        store.campaign_outcomes("CMP-1", ms("2027-06-01T00:00:00Z"), ms("2027-06-08T00:00:00Z")).await.unwrap();
    assert_eq!((silent[0].orders, silent[0].revenue_minor), (0, 0), "a member without orders counts as zero");
}
