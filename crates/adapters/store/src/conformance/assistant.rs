//! Conformance checks for [`crate::AssistantStore`]: conversations with optimistic
//! concurrency, messages in order, return requests, intent examples and the figures of the
//! service's analytics (conversations of 2027-02-01).

use super::ts;
use crate::{
    ConversationQuery, ConversationRecord, IntentExampleRecord, MessageRecord, ReturnQuery, ReturnRequestRecord, Store,
};

pub async fn run(store: &dyn Store) {
    turns_save_only_over_the_version_they_read(store).await;
    return_requests_move_from_the_expected_state(store).await;
    figures_count_the_days_intents_and_weak_messages(store).await;
    intent_examples_round_trip(store).await;
}

fn ms(s: &str) -> i64 {
    ts(s).timestamp_millis()
}

fn conversation(id: &str, started: &str) -> ConversationRecord {
    ConversationRecord {
        conversation_id: id.into(),
        channel: "widget".into(),
        customer_id: None,
        language: "zh".into(),
        status: "bot".into(),
        agent: None,
        handoff_reason: None,
        started_at_ms: ms(started),
        updated_at_ms: ms(started),
        handed_off_at_ms: None,
        agent_replied_at_ms: None,
        closed_at_ms: None,
        turns: 0,
        rating: None,
        version: 1,
        state: "{}".into(),
    }
}

fn message(conversation_id: &str, seq: i64, at: &str, sender: &str, body: &str) -> MessageRecord {
    MessageRecord {
        conversation_id: conversation_id.into(),
        seq,
        at_ms: ms(at),
        sender: sender.into(),
        body: body.into(),
        intent: None,
        confidence: None,
        sentiment: None,
        answered: None,
        response_ms: None,
        doc: "{}".into(),
    }
}

async fn turns_save_only_over_the_version_they_read(store: &dyn Store) {
    let c = conversation("CV-1", "2027-01-10T08:00:00Z");
    assert!(store.save_turn(&c, None, &[], &[]).await.unwrap(), "a new conversation is written");
    assert!(!store.save_turn(&c, None, &[], &[]).await.unwrap(), "an id is never written twice");
    let mut next = ConversationRecord { version: 2, turns: 1, state: r#"{"form":"lookup"}"#.into(), ..c.clone() };
    next.customer_id = Some("C1".into());
    let m1 = message("CV-1", 1, "2027-01-10T08:00:01Z", "customer", "我的订单到哪了");
    let m2 = MessageRecord {
        answered: Some(true),
        response_ms: Some(12),
        intent: None,
        ..message("CV-1", 2, "2027-01-10T08:00:01Z", "bot", "请提供订单号")
    };
    assert!(store.save_turn(&next, Some(1), &[m1.clone(), m2.clone()], &[]).await.unwrap());
    let stale = ConversationRecord { version: 2, state: "{}".into(), ..c.clone() };
    let m3 = message("CV-1", 3, "2027-01-10T08:00:02Z", "customer", "lost update");
    assert!(
        !store.save_turn(&stale, Some(1), &[m3], &[]).await.unwrap(),
        "a writer that read version 1 after it moved on is refused"
    );
    let got = store.get_conversation("CV-1").await.unwrap().expect("stored");
    assert_eq!(got, next, "the conversation reads back as saved");
    let messages = store.conversation_messages("CV-1", 0, 100).await.unwrap();
    assert_eq!(messages, vec![m1, m2.clone()], "the refused turn's message was not written");
    assert_eq!(store.conversation_messages("CV-1", 1, 100).await.unwrap(), vec![m2], "messages after a seq");
    assert!(store.get_conversation("CV-none").await.unwrap().is_none());

    let waiting = ConversationRecord {
        status: "waiting".into(),
        updated_at_ms: ms("2027-01-10T09:00:00Z"),
        ..conversation("CV-2", "2027-01-10T08:30:00Z")
    };
    store.save_turn(&waiting, None, &[], &[]).await.unwrap();
    let q = ConversationQuery { statuses: vec!["waiting".into(), "agent".into()], limit: 10, ..Default::default() };
    let list = store.list_conversations(&q).await.unwrap();
    assert_eq!(list.iter().map(|c| c.conversation_id.as_str()).collect::<Vec<_>>(), ["CV-2"]);
    let mine = ConversationQuery { customer_id: Some("C1".into()), limit: 10, ..Default::default() };
    assert_eq!(store.list_conversations(&mine).await.unwrap().len(), 1, "a customer's conversations");
}

async fn return_requests_move_from_the_expected_state(store: &dyn Store) {
    let c = conversation("CV-R", "2027-01-11T08:00:00Z");
    let request = ReturnRequestRecord {
        request_id: "RR-1".into(),
        conversation_id: Some("CV-R".into()),
        order_id: "O-R1".into(),
        customer_id: Some("C1".into()),
        kind: "refund".into(),
        status: "pending_approval".into(),
        refund_minor: 90_000,
        created_at_ms: ms("2027-01-11T08:00:00Z"),
        updated_at_ms: ms("2027-01-11T08:00:00Z"),
        updated_by: "assistant".into(),
        doc: "{}".into(),
    };
    store.save_turn(&c, None, &[], std::slice::from_ref(&request)).await.unwrap();
    let q = ReturnQuery { order_id: Some("O-R1".into()), limit: 10, ..Default::default() };
    assert_eq!(store.list_return_requests(&q).await.unwrap(), vec![request.clone()]);
    let at = ms("2027-01-11T09:00:00Z");
    assert!(store.decide_return_request("RR-1", "pending_approval", "approved", "agent1", at).await.unwrap());
    assert!(
        !store.decide_return_request("RR-1", "pending_approval", "rejected", "agent2", at).await.unwrap(),
        "a request is decided once"
    );
    let got = store.list_return_requests(&q).await.unwrap();
    assert_eq!((got[0].status.as_str(), got[0].updated_by.as_str()), ("approved", "agent1"));
    let pending = ReturnQuery { status: Some("pending_approval".into()), limit: 10, ..Default::default() };
    assert!(store.list_return_requests(&pending).await.unwrap().iter().all(|r| r.request_id != "RR-1"));
}

async fn figures_count_the_days_intents_and_weak_messages(store: &dyn Store) {
    let day = "2027-02-01T";
    let handed = ConversationRecord {
        handed_off_at_ms: Some(ms("2027-02-01T10:00:00Z")),
        agent_replied_at_ms: Some(ms("2027-02-01T10:00:30Z")),
        handoff_reason: Some("asked_for_human".into()),
        rating: Some(4),
        ..conversation("CV-F1", "2027-02-01T09:59:00Z")
    };
    let bot_only = ConversationRecord { rating: Some(5), ..conversation("CV-F2", "2027-02-01T11:00:00Z") };
    let customer = |c: &str, seq, t: &str, intent: &str, confidence, sentiment| MessageRecord {
        intent: Some(intent.into()),
        confidence: Some(confidence),
        sentiment: Some(sentiment),
        ..message(c, seq, &format!("{day}{t}Z"), "customer", "text")
    };
    let reply = |c: &str, seq, t: &str, answered, response_ms| MessageRecord {
        answered: Some(answered),
        response_ms: Some(response_ms),
        ..message(c, seq, &format!("{day}{t}Z"), "bot", "reply")
    };
    let m = [
        customer("CV-F1", 1, "09:59:00", "human_agent", 0.9, -0.5),
        reply("CV-F1", 2, "09:59:00", true, 10),
        customer("CV-F2", 1, "11:00:00", "delivery_info", 0.95, 0.5),
        reply("CV-F2", 2, "11:00:00", false, 20),
        customer("CV-F2", 3, "11:01:00", "out_of_scope", 0.2, 0.0),
        reply("CV-F2", 4, "11:01:00", true, 6),
    ];
    store.save_turn(&handed, None, &m[..2], &[]).await.unwrap();
    store.save_turn(&bot_only, None, &m[2..], &[]).await.unwrap();
    let f = store.assistant_figures(ms("2027-02-01T00:00:00Z"), ms("2027-02-02T00:00:00Z"), 0.5, 10).await.unwrap();
    assert_eq!(f.days.len(), 1, "{f:?}");
    let d = &f.days[0];
    assert_eq!((d.conversations, d.handed_off, d.rated, d.rating_sum), (2, 1, 2, 9));
    assert_eq!((d.agent_answered, d.agent_wait_ms), (1, 30_000));
    assert_eq!((d.customer_messages, d.bot_replies, d.bot_response_ms), (3, 3, 36));
    assert!(d.sentiment_sum.abs() < 1e-9, "sentiments -0.5 + 0.5 + 0");
    assert_eq!(f.intents.len(), 3);
    assert_eq!(f.handoff_reasons, vec![("asked_for_human".to_string(), 1)]);
    let weak: Vec<_> = f.weak_messages.iter().map(|m| (m.conversation_id.as_str(), m.seq)).collect();
    assert_eq!(weak, [("CV-F2", 3), ("CV-F2", 1)], "unsure, then unanswered; newest first");
}

async fn intent_examples_round_trip(store: &dyn Store) {
    let e = |id: &str, text: &str| IntentExampleRecord {
        example_id: id.into(),
        text: text.into(),
        intent: "store_info".into(),
        created_at_ms: ms("2027-01-01T00:00:00Z"),
        created_by: "admin".into(),
    };
    store.add_intent_examples(&[e("IE-1", "几点关门"), e("IE-2", "停车场在哪")]).await.unwrap();
    assert_eq!(store.list_intent_examples().await.unwrap().len(), 2);
    assert!(store.delete_intent_example("IE-1").await.unwrap());
    assert!(!store.delete_intent_example("IE-1").await.unwrap());
    assert_eq!(store.list_intent_examples().await.unwrap(), vec![e("IE-2", "停车场在哪")]);
}
