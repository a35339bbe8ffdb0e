//! The customer-service assistant end to end on a small known world (tests/conversations/
//! world.json): every scripted conversation in tests/conversations/*.json is played turn by turn
//! and checked for the intents, slots, answers, actions (return requests, cancellations) and
//! handoffs it expects; then the agent desk, analytics, retraining and bad input.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use retail_app::assistant::{self, AgentAction, ChatReply, ChatRequest, ConversationStatus, customer_token};
use retail_app::testing::TempPlatform;
use retail_app::{Config, ServiceError, service};
use retail_domain::{Category, Customer, EntityKind, KbArticle, Location, Movement, Order, Product};
use serde::Deserialize;

const SECRET: &str = "test-identity-secret";

fn now() -> DateTime<Utc> {
    "2026-11-20T10:00:00Z".parse().unwrap()
}

#[derive(Deserialize)]
struct World {
    categories: Vec<Category>,
    locations: Vec<Location>,
    products: Vec<Product>,
    customers: Vec<Customer>,
    movements: Vec<Movement>,
    orders: Vec<Order>,
    kb_articles: Vec<KbArticle>,
}

fn conversations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conversations")
}

/// The known world on the embedded store.
async fn platform(name: &str) -> TempPlatform {
    let dir = std::env::temp_dir().join(retail_testenv::unique_name(&format!("retail-{name}")));
    let config = Config { data_dir: dir.clone(), ..Config::default() };
    with_world(config, dir).await
}

async fn with_world(config: Config, dir: PathBuf) -> TempPlatform {
    let config = Config { assistant_identity_secret: SECRET.into(), ..config };
    let p = TempPlatform::with_config(config, dir).await;
    let world: World =
        serde_json::from_str(&std::fs::read_to_string(conversations_dir().join("world.json")).unwrap()).unwrap();
    service::upsert(&p, &world.categories).await.unwrap();
    service::upsert(&p, &world.locations).await.unwrap();
    service::upsert(&p, &world.products).await.unwrap();
    service::upsert(&p, &world.customers).await.unwrap();
    service::record_movements(&p, &world.movements).await.unwrap();
    service::upsert(&p, &world.orders).await.unwrap();
    service::upsert(&p, &world.kb_articles).await.unwrap();
    p
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    name: String,
    /// A logged-in customer (signed token) instead of a guest.
    #[serde(default)]
    customer: Option<String>,
    turns: Vec<Turn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Turn {
    say: String,
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    order_ids: Vec<String>,
    #[serde(default)]
    products: Vec<String>,
    #[serde(default)]
    reply_has: Vec<String>,
    #[serde(default)]
    reply_lacks: Vec<String>,
    #[serde(default)]
    status: Option<ConversationStatus>,
    /// Any of these handoff reasons.
    #[serde(default)]
    handoff: Vec<String>,
    /// The assistant answers nothing (a person owns the conversation).
    #[serde(default)]
    silent: bool,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    quick_replies: bool,
    #[serde(rename = "return", default)]
    return_request: Option<ExpectedReturn>,
    #[serde(default)]
    order: Option<ExpectedOrder>,
    /// Rate the conversation after this turn.
    #[serde(default)]
    rate: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedReturn {
    kind: String,
    status: String,
    refund_minor: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedOrder {
    id: String,
    status: String,
}

fn reply_text(reply: &ChatReply) -> String {
    reply.replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n")
}

async fn play(p: &TempPlatform, file: &Path) -> Result<(), String> {
    let script: Script = serde_json::from_str(&std::fs::read_to_string(file).unwrap())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let token = script.customer.as_deref().map(|c| customer_token(SECRET, c, now() + chrono::Duration::hours(1)));
    let mut conversation = None;
    for (i, turn) in script.turns.iter().enumerate() {
        let at = |what: String| format!("{} — turn {} ({:?}): {what}", script.name, i + 1, turn.say);
        let req = ChatRequest {
            conversation_id: conversation.clone(),
            message: turn.say.clone(),
            customer_token: token.clone(),
            ..Default::default()
        };
        let requests_before: Vec<String> =
            assistant::return_requests(p, None, 1000).await.unwrap().into_iter().map(|r| r.request_id).collect();
        let reply = assistant::chat(p, &req, now()).await.map_err(|e| at(format!("failed: {e}")))?;
        conversation = Some(reply.conversation_id.clone());
        let text = reply_text(&reply);
        let said = || format!("understood {:?}; replied {text:?}", reply.understood);
        if let Some(intent) = &turn.intent
            && &reply.understood.intent != intent
        {
            return Err(at(format!("intent {intent} expected; {}", said())));
        }
        for id in &turn.order_ids {
            if !reply.understood.order_ids.contains(id) {
                return Err(at(format!("order {id} not recognised; {}", said())));
            }
        }
        for id in &turn.products {
            if !reply.understood.products.contains(id) {
                return Err(at(format!("product {id} not recognised; {}", said())));
            }
        }
        for needle in &turn.reply_has {
            if !text.contains(needle.as_str()) {
                return Err(at(format!("reply lacks {needle:?}; {}", said())));
            }
        }
        for needle in &turn.reply_lacks {
            if text.contains(needle.as_str()) {
                return Err(at(format!("reply reveals {needle:?}; {}", said())));
            }
        }
        if let Some(status) = turn.status
            && reply.status != status
        {
            return Err(at(format!("status {status:?} expected, got {:?}; {}", reply.status, said())));
        }
        let handoff = reply.handoff.map(|h| h.as_str().to_string());
        if !turn.handoff.is_empty() && !handoff.as_ref().is_some_and(|h| turn.handoff.contains(h)) {
            return Err(at(format!("handoff {:?} expected, got {handoff:?}; {}", turn.handoff, said())));
        }
        if turn.handoff.is_empty() && handoff.is_some() {
            return Err(at(format!("unexpected handoff {handoff:?}; {}", said())));
        }
        if turn.silent != reply.replies.is_empty() {
            return Err(at(format!("silent {} expected; {}", turn.silent, said())));
        }
        if let Some(source) = &turn.source
            && !reply.replies.iter().any(|r| r.sources.iter().any(|s| &s.article_id == source))
        {
            return Err(at(format!("no citation of {source}; {}", said())));
        }
        if turn.quick_replies && reply.replies.iter().all(|r| r.quick_replies.is_empty()) {
            return Err(at(format!("no quick replies; {}", said())));
        }
        if let Some(expected) = &turn.return_request {
            let all = assistant::return_requests(p, None, 1000).await.unwrap();
            let mine =
                all.iter().find(|r| r.conversation_id == conversation && !requests_before.contains(&r.request_id));
            match mine {
                Some(r)
                    if r.kind == expected.kind
                        && r.status == expected.status
                        && r.refund_minor == expected.refund_minor => {}
                other => return Err(at(format!("return request {other:?}; {}", said()))),
            }
        }
        if let Some(expected) = &turn.order {
            let doc = service::get(p, EntityKind::Order, &expected.id).await.unwrap();
            if doc.doc["status"] != expected.status.as_str() {
                return Err(at(format!("order {} is {}", expected.id, doc.doc["status"])));
            }
        }
        if let Some(stars) = turn.rate {
            let c = assistant::rate(p, conversation.as_deref().unwrap(), stars, now()).await.unwrap();
            if c.status != ConversationStatus::Closed || c.rating != Some(stars) {
                return Err(at(format!("rating left the conversation {c:?}")));
            }
        }
    }
    Ok(())
}

fn scripts() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(conversations_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "world.json") && p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the conversation scripts are found: {files:?}");
    files
}

fn assert_all_played(failures: &[String], files: &[PathBuf]) {
    assert!(
        failures.is_empty(),
        "{} of {} conversations failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_conversations_go_as_written() {
    let files = scripts();
    let mut failures = Vec::new();
    for file in &files {
        // Each script on a fresh world: cancellations and returns of one do not leak into another.
        let p = platform("chat").await;
        if let Err(e) = play(&p, file).await {
            failures.push(e);
        }
    }
    assert_all_played(&failures, &files);
}

/// The same conversations with the platform on PostgreSQL, each in a schema of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_conversations_go_as_written_on_postgres() {
    let Some(pg) = retail_testenv::backend_url("RETAIL_TEST_POSTGRES_URL") else { return };
    let admin = retail_store::connect(&pg, 1).await.unwrap();
    let files = scripts();
    let mut failures = Vec::new();
    for file in &files {
        let schema = retail_testenv::unique_name("chat");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(admin.pool()).await.unwrap();
        let sep = if pg.contains('?') { '&' } else { '?' };
        let config =
            Config { database_url: format!("{pg}{sep}options=-c%20search_path%3D{schema}"), ..Config::default() };
        let p = with_world(config, std::env::temp_dir().join(&schema)).await;
        if let Err(e) = play(&p, file).await {
            failures.push(e);
        }
        drop(p);
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(admin.pool()).await.unwrap();
    }
    assert_all_played(&failures, &files);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_takes_over_and_the_figures_count_it() {
    let p = platform("desk").await;
    let ask = |text: &str, id: Option<String>| ChatRequest {
        conversation_id: id,
        message: text.into(),
        language: Some("zh".into()),
        channel: Some("widget".into()),
        ..Default::default()
    };
    let first = assistant::chat(&p, &ask("转人工", None), now()).await.unwrap();
    assert_eq!(first.status, ConversationStatus::Waiting);
    let id = first.conversation_id.clone();
    let queue = assistant::conversations(&p, &[ConversationStatus::Waiting], 10).await.unwrap();
    assert_eq!(queue.iter().map(|c| c.conversation_id.as_str()).collect::<Vec<_>>(), [id.as_str()]);

    let reply = AgentAction::Reply { text: "您好，我是小王".into() };
    let early = assistant::agent_act(&p, &id, "agent1", &reply, now()).await.unwrap_err();
    assert!(matches!(early, ServiceError::Conflict(_)), "replying before claiming: {early}");
    let later = now() + chrono::Duration::seconds(40);
    assistant::agent_act(&p, &id, "agent1", &AgentAction::Claim, later).await.unwrap();
    let stolen = assistant::agent_act(&p, &id, "agent2", &AgentAction::Claim, later).await.unwrap_err();
    assert!(matches!(stolen, ServiceError::Conflict(_)), "another agent cannot take it: {stolen}");
    assistant::agent_act(&p, &id, "agent1", &reply, later).await.unwrap();
    let silent = assistant::chat(&p, &ask("好的谢谢", Some(id.clone())), later).await.unwrap();
    assert!(silent.replies.is_empty(), "the assistant is silent while a person owns the conversation");
    let messages = assistant::messages(&p, &id, 0).await.unwrap();
    let senders: Vec<&str> = messages.iter().map(|m| m.sender.as_str()).collect();
    assert_eq!(senders, ["customer", "bot", "system", "agent", "customer"], "the transcript keeps every voice");
    assert!(messages.windows(2).all(|w| w[0].seq < w[1].seq));

    assistant::agent_act(&p, &id, "agent1", &AgentAction::Release, later).await.unwrap();
    let back = assistant::chat(&p, &ask("你们几点关门", Some(id.clone())), later).await.unwrap();
    assert!(!back.replies.is_empty() && back.status == ConversationStatus::Bot, "handed back, the assistant answers");
    assistant::rate(&p, &id, 4, later).await.unwrap();
    let closed = assistant::chat(&p, &ask("还在吗", Some(id.clone())), later).await.unwrap_err();
    assert!(matches!(closed, ServiceError::Conflict(_)), "a closed conversation takes no messages: {closed}");

    // A second conversation the assistant resolves alone.
    assistant::chat(&p, &ask("配送费怎么收", None), now()).await.unwrap();
    let report =
        assistant::report(&p, now() - chrono::Duration::days(1), now() + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(report.conversations, 2);
    assert!((report.automation_rate - 0.5).abs() < 1e-9 && (report.handoff_rate - 0.5).abs() < 1e-9);
    assert_eq!(report.agent_first_response_s, Some(40.0), "claimed and answered 40 s after the handoff");
    assert_eq!(report.satisfaction, Some(4.0));
    assert!(report.handoff_reasons.iter().any(|t| t.key == "asked_for_human" && t.count == 1));
    assert!(report.intents.iter().any(|t| t.key == "delivery_info"));
    assert_eq!(report.days.len(), 1);

    // Answers to the assistant's questions count under their task, not as poorly understood.
    let mut id = None;
    for text in ["我的订单到哪了", "O-20261120-01002", "1234"] {
        id = Some(assistant::chat(&p, &ask(text, id), now()).await.unwrap().conversation_id);
    }
    let report =
        assistant::report(&p, now() - chrono::Duration::days(1), now() + chrono::Duration::days(1)).await.unwrap();
    assert!(
        report.weak_questions.iter().all(|w| w.text != "1234" && w.text != "O-20261120-01002"),
        "{:?}",
        report.weak_questions
    );
    assert!(report.intents.iter().any(|t| t.key == "order_status" && t.count == 3), "{:?}", report.intents);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_clearly_and_changes_nothing() {
    let p = platform("bad").await;
    let say = |text: &str| ChatRequest { message: text.into(), ..Default::default() };
    for text in ["", "   "] {
        let e = assistant::chat(&p, &say(text), now()).await.unwrap_err();
        assert!(matches!(&e, ServiceError::Invalid(v) if v.0[0].field == "message"), "empty: {e}");
    }
    let huge = "退".repeat(100 * 1024 / 3);
    let e = assistant::chat(&p, &say(&huge), now()).await.unwrap_err();
    assert!(e.to_string().contains("at most 2000"), "100 KB: {e}");
    for odd in ["👍👍👍", "<script>alert(1)</script>", "订单O-T-1001 where is it 🙏", "ＯＴ１２３ 全角"]
    {
        let reply = assistant::chat(&p, &say(odd), now()).await.unwrap();
        assert!(!reply.replies.is_empty(), "{odd:?} gets an answer");
    }
    let unknown = ChatRequest { conversation_id: Some("conv_nope".into()), ..say("hi") };
    assert!(matches!(assistant::chat(&p, &unknown, now()).await.unwrap_err(), ServiceError::NotFound { .. }));
    let forged = ChatRequest { customer_token: Some("C1.9999999999.deadbeef".into()), ..say("hi") };
    assert!(matches!(assistant::chat(&p, &forged, now()).await.unwrap_err(), ServiceError::Invalid(_)));
    let language = ChatRequest { language: Some("fr".into()), ..say("bonjour") };
    assert!(matches!(assistant::chat(&p, &language, now()).await.unwrap_err(), ServiceError::Invalid(_)));
    let before = assistant::conversations(&p, &[], 100).await.unwrap().len();
    assert_eq!(before, 4, "only the accepted messages started conversations");
    assert!(assistant::rate(&p, "conv_nope", 5, now()).await.is_err());
    let c = assistant::conversations(&p, &[], 1).await.unwrap().remove(0);
    assert!(matches!(assistant::rate(&p, &c.conversation_id, 9, now()).await.unwrap_err(), ServiceError::Invalid(_)));
    let bad_examples = [("几点开门".to_string(), "no_such_intent".to_string())];
    assert!(matches!(assistant::add_examples(&p, &bad_examples, "t").await.unwrap_err(), ServiceError::Invalid(_)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_teach_the_intent_model_new_phrasings() {
    let p = platform("teach").await;
    let phrase = "叮咚叮咚 ZX-9 协议查询";
    let before = assistant::understand(&p, phrase).await.unwrap();
    let examples: Vec<(String, String)> = (0..12)
        .map(|i| (format!("叮咚叮咚 ZX-{i} 协议查询"), "membership_points".to_string()))
        .chain((0..12).map(|i| (format!("ZX-{i} 协议 叮咚 积分"), "membership_points".to_string())))
        .collect();
    assert_eq!(assistant::add_examples(&p, &examples, "trainer").await.unwrap(), 24);
    let after = assistant::understand(&p, phrase).await.unwrap();
    assert_eq!(after.intent, "membership_points", "retrained at once (before: {before:?})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_article_answers_at_once_and_an_unpublished_one_never() {
    let p = platform("kb").await;
    let ask = |text: &str| ChatRequest { message: text.into(), ..Default::default() };
    let before = assistant::chat(&p, &ask("自行车可以停在哪里？"), now()).await.unwrap();
    assert!(before.replies.iter().all(|r| r.sources.is_empty()), "nothing to cite yet: {:?}", before.replies);
    let mut article: KbArticle = serde_json::from_value(serde_json::json!({
        "external_id": "kb-bikes", "topic": "store_services", "tags": ["自行车", "停车", "bicycle"], "published": false,
        "title": {"zh": "自行车停在哪里？", "en": "Where can I park a bicycle?"},
        "body": {"zh": "每家门店入口右侧设有免费自行车停放区。", "en": "Every store has free bicycle racks right of the entrance."}
    }))
    .unwrap();
    service::upsert(&p, std::slice::from_ref(&article)).await.unwrap();
    let draft = assistant::chat(&p, &ask("自行车可以停在哪里？"), now()).await.unwrap();
    assert!(draft.replies.iter().all(|r| r.sources.iter().all(|s| s.article_id != "kb-bikes")), "drafts never answer");
    article.published = true;
    service::upsert(&p, &[article]).await.unwrap();
    let after = assistant::chat(&p, &ask("自行车可以停在哪里？"), now()).await.unwrap();
    assert!(
        after.replies.iter().any(|r| r.sources.iter().any(|s| s.article_id == "kb-bikes")),
        "published, it answers at once: {:?}",
        after.replies
    );
}
