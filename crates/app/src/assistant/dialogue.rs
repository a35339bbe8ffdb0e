//! One turn of a conversation: what the customer meant (intent, sentiment, entities), the
//! dialogue state carried across turns (the product and order in play, the form being filled,
//! the streaks that call for a person), and the answer, taken from live data or the knowledge
//! base and never invented.

use chrono::{DateTime, Utc};
use retail_domain::{
    Customer, EntityKind, ItemCondition, Order, OrderStatus, Product, ReturnItem, ReturnKind, ReturnOutcome,
};
use retail_language::classify::IntentClassifier;
use retail_language::entities::{Entities, MentionKind, extract, extract_phone_suffix};
use retail_language::sentiment::{Sentiment, lexicon_score};
use retail_language::text::{Lang, normalise, words};
use retail_store::{ReturnQuery, ReturnRequestRecord};
use serde::{Deserialize, Serialize};

use super::knowledge::Knowledge;
use super::say::{order_status, return_reason, say, yuan};
use super::{BotMessage, ProductCard, Source, Understanding};
use crate::ids::new_id;
use crate::platform::Platform;
use crate::recommend::{RecommendationRequest, recommend};
use crate::service::{self, ServiceError, ServiceResult};

/// Below this the intent is a guess: the assistant asks rather than acts.
const CONFIDENT: f64 = 0.5;
/// A message this negative counts towards handing over an unhappy customer.
const NEGATIVE: f64 = -0.4;
/// The polarity lexicon's score (-1 to 1) below which a message's words are unmistakably negative
/// (垃圾, 太差了); "退货" alone scores about -0.46.
const STRONGLY_NEGATIVE_WORDS: f64 = -0.6;
/// How many sentiments the state keeps for the conversation's mood.
const MOOD_WINDOW: usize = 5;

/// Why a conversation went to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    AskedForHuman,
    NegativeSentiment,
    NotUnderstood,
    RepeatedFailure,
    HighValueRefund,
    Complaint,
    IdentityNotConfirmed,
    OrderChange,
    /// An agent claimed it from the live list before the assistant handed over.
    AgentTookOver,
}

impl HandoffReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AskedForHuman => "asked_for_human",
            Self::NegativeSentiment => "negative_sentiment",
            Self::NotUnderstood => "not_understood",
            Self::RepeatedFailure => "repeated_failure",
            Self::HighValueRefund => "high_value_refund",
            Self::Complaint => "complaint",
            Self::IdentityNotConfirmed => "identity_not_confirmed",
            Self::OrderChange => "order_change",
            Self::AgentTookOver => "agent_took_over",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Task {
    OrderStatus,
    Cancel,
    Modify,
    Return,
    Exchange,
    RefundStatus,
}

impl Task {
    fn of_intent(intent: &str) -> Option<Self> {
        Some(match intent {
            "order_status" => Self::OrderStatus,
            "cancel_order" => Self::Cancel,
            "modify_order" => Self::Modify,
            "return_request" => Self::Return,
            "exchange_request" => Self::Exchange,
            "refund_status" => Self::RefundStatus,
            _ => return None,
        })
    }

    fn intent(self) -> &'static str {
        match self {
            Self::OrderStatus => "order_status",
            Self::Cancel => "cancel_order",
            Self::Modify => "modify_order",
            Self::Return => "return_request",
            Self::Exchange => "exchange_request",
            Self::RefundStatus => "refund_status",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Slot {
    OrderId,
    PhoneSuffix,
    Product,
    Condition,
    Confirm,
}

/// A task that needs several answers (an order lookup, a return): what is known so far and
/// what was asked last.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Form {
    task: Task,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    phone_suffix: Option<String>,
    #[serde(default)]
    product_id: Option<String>,
    #[serde(default)]
    quantity: Option<i64>,
    #[serde(default)]
    condition: Option<ItemCondition>,
    #[serde(default)]
    confirmed: Option<bool>,
    /// For exchanges: the variant wanted instead (a colour or size word).
    #[serde(default)]
    variant: Option<String>,
    /// The order's products, when asked which one.
    #[serde(default)]
    choices: Vec<String>,
    /// What the customer said during the form, for details named before they could be used
    /// ("return the cherries from order …" before the order is verified).
    #[serde(default)]
    said: Vec<String>,
    #[serde(default)]
    awaiting: Option<Slot>,
}

impl Form {
    fn new(task: Task) -> Self {
        Self {
            task,
            order_id: None,
            phone_suffix: None,
            product_id: None,
            quantity: None,
            condition: None,
            confirmed: None,
            variant: None,
            choices: Vec::new(),
            said: Vec::new(),
            awaiting: None,
        }
    }
}

/// What a conversation remembers between turns (stored as JSON with the conversation).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DialogueState {
    #[serde(default)]
    seq: i64,
    #[serde(default)]
    form: Option<Form>,
    /// The product last talked about: "那换成黑色的呢" and "is it in stock?" refer to it.
    #[serde(default)]
    last_product: Option<String>,
    #[serde(default)]
    last_order: Option<String>,
    /// Orders whose owner this conversation proved to be.
    #[serde(default)]
    verified_orders: Vec<String>,
    #[serde(default)]
    pub last_intent: Option<String>,
    #[serde(default)]
    low_confidence: u32,
    #[serde(default)]
    failures: u32,
    #[serde(default)]
    negative: u32,
    #[serde(default)]
    identity_failures: u32,
    #[serde(default)]
    sentiments: Vec<f64>,
}

impl DialogueState {
    pub fn parse(json: &str) -> ServiceResult<Self> {
        serde_json::from_str(json).map_err(|e| ServiceError::Internal(format!("stored dialogue state: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("dialogue state serialises")
    }

    pub fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    /// The mean sentiment of the latest messages.
    pub fn mood(&self) -> f64 {
        if self.sentiments.is_empty() {
            0.0
        } else {
            self.sentiments.iter().sum::<f64>() / self.sentiments.len() as f64
        }
    }

    /// Notes a customer message: intent, sentiment and the streaks that call for a person.
    pub fn remember(&mut self, u: &Understood) {
        self.last_intent = Some(u.intent.clone());
        self.sentiments.push(u.sentiment.score);
        if self.sentiments.len() > MOOD_WINDOW {
            self.sentiments.remove(0);
        }
        // Only strong words count towards handing over: "退货" alone is not anger.
        let angry = u.sentiment.score <= NEGATIVE && lexicon_score(&u.text) <= STRONGLY_NEGATIVE_WORDS;
        self.negative = if angry { self.negative + 1 } else { 0 };
        self.low_confidence = if u.in_scope && u.confidence >= CONFIDENT { 0 } else { self.low_confidence + 1 };
    }

    /// After a person handed the conversation back: a fresh start for the streaks and forms.
    pub fn reset_after_agent(&mut self) {
        self.form = None;
        self.low_confidence = 0;
        self.failures = 0;
        self.negative = 0;
        self.identity_failures = 0;
    }
}

/// What the language models made of one message.
pub(crate) struct Understood {
    pub text: String,
    pub intent: String,
    pub confidence: f64,
    pub in_scope: bool,
    pub sentiment: Sentiment,
    pub entities: Entities,
    pub lang: Lang,
}

impl Understood {
    pub fn summary(&self) -> Understanding {
        let ids = |kind: MentionKind| {
            self.entities.mentions.iter().filter(|m| m.kind == kind).map(|m| m.id.clone()).collect::<Vec<_>>()
        };
        Understanding {
            intent: self.intent.clone(),
            confidence: self.confidence,
            in_scope: self.in_scope,
            sentiment: self.sentiment.score,
            language: super::lang_code(self.lang).into(),
            order_ids: self.entities.order_ids.clone(),
            products: ids(MentionKind::Product),
            stores: ids(MentionKind::Store),
        }
    }

    fn first(&self, kind: MentionKind) -> Option<&str> {
        self.entities.mentions.iter().find(|m| m.kind == kind).map(|m| m.id.as_str())
    }

    fn confident(&self) -> bool {
        self.in_scope && self.confidence >= CONFIDENT
    }
}

pub(crate) fn understand(
    intents: &IntentClassifier,
    knowledge: &Knowledge,
    text: &str,
    lang: Lang,
    now: DateTime<Utc>,
) -> Understood {
    let prediction = intents.predict(text);
    // The sentiment model learnt from opinions; a message without opinion words ("订单号是…") is
    // neutral rather than whatever side the model leans to.
    let mut sentiment = retail_language::builtin::sentiment().score(text);
    if lexicon_score(text) == 0.0 {
        sentiment.score = 0.0;
    }
    Understood {
        text: text.to_string(),
        intent: if prediction.in_scope { prediction.label } else { "out_of_scope".into() },
        confidence: prediction.confidence,
        in_scope: prediction.in_scope,
        sentiment,
        entities: extract(text, &knowledge.lexicon, now.date_naive()),
        lang,
    }
}

/// The result of a turn.
#[derive(Default)]
pub(crate) struct Outcome {
    pub replies: Vec<BotMessage>,
    pub handoff: Option<HandoffReason>,
    pub returns: Vec<ReturnRequestRecord>,
    /// False when the assistant had nothing to answer with.
    pub answered: bool,
    /// A customer proved by an order check.
    pub verified_customer: Option<String>,
    /// The task whose question the message answered ("1234" in an order lookup): the message
    /// counts under that task's intent, not as a poorly understood question.
    pub answered_form: Option<&'static str>,
}

impl Outcome {
    fn answer(text: String) -> Self {
        Self { replies: vec![BotMessage { text, ..Default::default() }], answered: true, ..Default::default() }
    }

    fn with(mut self, f: impl FnOnce(&mut BotMessage)) -> Self {
        if let Some(m) = self.replies.last_mut() {
            f(m);
        }
        self
    }
}

/// Knowledge-base topics each intent's questions are usually about.
fn topics(intent: &str) -> &'static [&'static str] {
    match intent {
        "delivery_info" => &["delivery", "store_services"],
        "payment_invoice" => &["payment", "invoice", "gift_cards"],
        "membership_points" => &["membership"],
        "account_issue" => &["account", "contact"],
        "price_promotion" => &["pricing", "coupons"],
        "store_info" => &["store_hours", "store_services", "contact"],
        "return_request" | "exchange_request" | "refund_status" => &["returns"],
        "cancel_order" | "modify_order" | "order_status" => &["orders"],
        "stock_availability" => &["orders", "product_info"],
        "product_info" => &["product_info"],
        "complaint" | "human_agent" => &["contact"],
        _ => &[],
    }
}

fn is_yes(text: &str) -> Option<bool> {
    let t = normalise(text);
    let t = t.trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace() || "。！，？～".contains(c));
    const NO: [&str; 12] =
        ["不", "不要", "不用", "算了", "否", "no", "nope", "cancel", "don't", "不是", "先不", "不了"];
    const YES: [&str; 13] = ["是", "是的", "对", "确认", "好", "好的", "可以", "嗯", "yes", "y", "ok", "okay", "sure"];
    if NO.iter().any(|w| t == *w || t.starts_with(w) && !t.starts_with("不错")) {
        Some(false)
    } else if YES.iter().any(|w| t == *w || t.starts_with(w)) || t.contains("确认") || t.contains("confirm") {
        Some(true)
    } else {
        None
    }
}

fn condition_of(text: &str) -> Option<ItemCondition> {
    let t = normalise(text);
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        "坏", "烂", "变质", "破", "漏", "过期", "质量", "发霉", "少了", "错", "damaged", "broken", "spoil", "rotten",
        "expired", "defect", "wrong", "leak", "mould", "mold", "faulty",
    ]) {
        Some(ItemCondition::Defective)
    } else if has(&["未拆", "没拆", "没开", "未开", "全新", "unopened", "sealed", "not opened", "new"]) {
        Some(ItemCondition::Unopened)
    } else if has(&["拆", "开封", "用过", "吃过", "opened", "used", "tried"]) {
        Some(ItemCondition::Opened)
    } else {
        None
    }
}

/// The state of one turn in progress.
pub(crate) struct Turn<'a> {
    pub p: &'a Platform,
    pub knowledge: &'a Knowledge,
    pub state: &'a mut DialogueState,
    pub conversation: &'a retail_store::ConversationRecord,
    pub lang: Lang,
    pub now: DateTime<Utc>,
}

impl Turn<'_> {
    pub async fn respond(&mut self, u: &Understood) -> ServiceResult<Outcome> {
        self.state.remember(u);
        if let Some(id) = u.first(MentionKind::Product) {
            self.state.last_product = Some(id.to_string());
        }
        if let Some(id) = u.entities.order_ids.first() {
            self.state.last_order = Some(id.clone());
        }
        let lang = self.lang;
        // An answer to the question just asked ("yes please", "1234") goes to its form first,
        // whatever intent it resembles.
        let mut pending = self.state.form.take();
        if let Some(mut form) = pending.take() {
            if self.fill(&mut form, u) {
                self.state.low_confidence = 0;
                let task = form.task.intent();
                let outcome = self.advance(form, &u.text).await?;
                return Ok(Outcome { answered_form: Some(task), ..self.count_failures(outcome) });
            }
            pending = Some(form);
        }
        if u.intent == "human_agent" && u.in_scope {
            return Ok(self.handoff(
                HandoffReason::AskedForHuman,
                say!(
                    lang,
                    "好的，正在为您转接人工客服，请稍候。",
                    "Sure, I'm passing you to a colleague now. Please wait a moment."
                ),
            ));
        }
        if self.state.negative >= 2 {
            return Ok(self.handoff(
                HandoffReason::NegativeSentiment,
                say!(
                    lang,
                    "非常抱歉给您带来不好的体验，我请人工客服来帮您处理。",
                    "I'm sorry this has been frustrating. I'm bringing in a colleague to sort it out with you."
                ),
            ));
        }
        if let Some(form) = pending
            && !(u.confident() && u.intent != form.task.intent())
        {
            let outcome = self.advance(form, &u.text).await?;
            return Ok(self.count_failures(outcome));
        }
        if u.intent == "complaint" && u.in_scope {
            return Ok(self.handoff(
                HandoffReason::Complaint,
                say!(
                    lang,
                    "非常抱歉！您的投诉我已记录，现在为您转接人工客服跟进处理。",
                    "I'm very sorry. I've noted your complaint and I'm passing you to a colleague who will follow it up."
                ),
            ));
        }
        if self.state.low_confidence >= 2 {
            return Ok(self.handoff(
                HandoffReason::NotUnderstood,
                say!(
                    lang,
                    "抱歉，我没能理解您的问题，正在为您转接人工客服。",
                    "Sorry, I'm not understanding you well. Let me get a colleague to help."
                ),
            ));
        }
        // "那换成黑色的呢" right after a product question asks about its variant, not an exchange.
        let variant_question = !u.entities.colours.is_empty()
            && u.entities.order_ids.is_empty()
            && self.state.last_order.is_none()
            && self.state.last_product.is_some();
        let outcome = if variant_question {
            self.product_answer(u).await?
        } else if let Some(task) = Task::of_intent(&u.intent).filter(|_| u.in_scope) {
            let mut form = Form::new(task);
            self.fill(&mut form, u);
            self.advance(form, &u.text).await?
        } else {
            self.answer(u).await?
        };
        Ok(self.count_failures(outcome))
    }

    /// Two unanswered turns in a row hand the conversation over.
    fn count_failures(&mut self, outcome: Outcome) -> Outcome {
        if outcome.answered || outcome.handoff.is_some() {
            self.state.failures = 0;
            return outcome;
        }
        self.state.failures += 1;
        if self.state.failures >= 2 {
            let lang = self.lang;
            let mut handed = self.handoff(
                HandoffReason::RepeatedFailure,
                say!(
                    lang,
                    "这个问题我暂时无法解答，正在为您转接人工客服。",
                    "I can't answer this one, so I'm passing you to a colleague."
                ),
            );
            handed.replies.splice(0..0, outcome.replies);
            return handed;
        }
        outcome
    }

    fn handoff(&mut self, reason: HandoffReason, text: String) -> Outcome {
        self.state.form = None;
        Outcome { handoff: Some(reason), ..Outcome::answer(text) }
    }

    /// Questions answered from the catalogue, stock, stores and the knowledge base.
    async fn answer(&mut self, u: &Understood) -> ServiceResult<Outcome> {
        let lang = self.lang;
        Ok(match u.intent.as_str() {
            "greeting" => Outcome::answer(say!(
                lang,
                "您好！我是智能客服，可以帮您查商品、库存和门店，查询订单，办理退换货。请问有什么可以帮您？",
                "Hello! I can help with products, stock and stores, look up your orders, and handle returns and exchanges. What can I do for you?"
            ))
            .with(|m| m.quick_replies = self.starters()),
            "goodbye_thanks" => Outcome::answer(say!(
                lang,
                "不客气，祝您购物愉快！方便的话请为本次服务打分（1-5 分）。",
                "You're welcome, happy shopping! If you have a moment, please rate this chat from 1 to 5."
            ))
            .with(|m| m.quick_replies = (1..=5).rev().map(|n| "★".repeat(n)).collect()),
            "product_info" | "stock_availability" | "price_promotion" => self.product_answer(u).await?,
            "product_recommendation" => self.recommendations(u).await?,
            "store_info" => self.store_answer(u),
            _ => self.knowledge_answer(u, true),
        })
    }

    fn starters(&self) -> Vec<String> {
        match self.lang {
            Lang::Zh => vec!["查订单".into(), "申请退货".into(), "门店营业时间".into(), "配送费怎么算".into()],
            Lang::En => vec![
                "Where is my order?".into(),
                "Return an item".into(),
                "Store opening hours".into(),
                "Delivery fees".into(),
            ],
        }
    }

    /// The knowledge base's best entry, cited; or an honest "I don't know" with a way to a person.
    fn knowledge_answer(&self, u: &Understood, any_topic: bool) -> Outcome {
        let lang = self.lang;
        let found = self.knowledge.search(&u.text, topics(&u.intent), any_topic, 1);
        match found.first() {
            Some(f) => Outcome::answer(f.article.body.get(super::lang_code(lang)).to_string()).with(|m| {
                m.sources = vec![Source {
                    article_id: f.article.external_id.clone(),
                    title: f.article.title.get(super::lang_code(lang)).to_string(),
                }]
            }),
            None => Outcome {
                answered: false,
                ..Outcome::answer(say!(
                    lang,
                    "抱歉，我在知识库里没有找到这个问题的答案。需要为您转接人工客服吗？",
                    "Sorry, I couldn't find an answer to that in our help articles. Would you like to talk to a colleague?"
                ))
                .with(|m| m.quick_replies = vec![say!(lang, "转人工", "Talk to a person")])
            },
        }
    }

    /// The product the customer means: named now, a variant of the last one ("那换成黑色的呢"),
    /// or the last one talked about.
    fn product_in_play(&self, u: &Understood) -> Option<&Product> {
        if let Some(id) = u.first(MentionKind::Product) {
            return self.knowledge.products.get(id);
        }
        let last = self.knowledge.products.get(self.state.last_product.as_deref()?)?;
        if let Some(colour) = u.entities.colours.first() {
            return self.variant_of(last, colour);
        }
        Some(last)
    }

    /// The one product among `choices` (an order's) the text names, even in part: "洗衣液" for
    /// 蓝月亮洗衣液 3kg, "the cherries" for Chilean Cherries 500g.
    fn named_among(&self, text: &str, choices: &[String]) -> Option<String> {
        let said: std::collections::HashSet<String> = words(text).into_iter().collect();
        let said_text = normalise(text);
        let mut best: Vec<(usize, &String)> = choices
            .iter()
            .filter_map(|id| {
                let p = self.knowledge.products.get(id)?;
                let hits = [&p.name.zh, &p.name.en]
                    .iter()
                    .flat_map(|n| words(n))
                    .filter(|w| w.chars().count() >= 2 && !w.chars().all(|c| c.is_ascii_digit()))
                    .filter(|w| said.contains(w) || (!w.is_ascii() && said_text.contains(w.as_str())))
                    .count();
                (hits > 0).then_some((hits, id))
            })
            .collect();
        best.sort_by_key(|b| std::cmp::Reverse(b.0));
        match best.as_slice() {
            [(top, id), rest @ ..] if rest.first().is_none_or(|(next, _)| next < top) => Some((*id).clone()),
            _ => None,
        }
    }

    /// Another product of the same brand and category whose name has the variant word.
    fn variant_of(&self, product: &Product, word: &str) -> Option<&Product> {
        self.knowledge
            .products
            .values()
            .filter(|p| p.brand == product.brand && p.category_id == product.category_id)
            .find(|p| p.name.zh.contains(word) || p.name.en.to_lowercase().contains(&word.to_lowercase()))
    }

    async fn card(&self, product: &Product) -> ServiceResult<ProductCard> {
        let levels = self.stock_of(&product.external_id).await?;
        Ok(ProductCard {
            product_id: product.external_id.clone(),
            name: product.name.get(super::lang_code(self.lang)).to_string(),
            price_minor: product.price.amount_minor,
            available: Some(levels.iter().map(|(_, n)| n).sum()),
        })
    }

    /// Units available per active store, most first.
    async fn stock_of(&self, product_id: &str) -> ServiceResult<Vec<(String, i64)>> {
        Ok(self.stock_by_product(&[product_id.to_string()]).await?.remove(product_id).unwrap_or_default())
    }

    /// Units available per active store of each product, most first.
    async fn stock_by_product(
        &self,
        product_ids: &[String],
    ) -> ServiceResult<std::collections::HashMap<String, Vec<(String, i64)>>> {
        let mut by_product: std::collections::HashMap<String, Vec<(String, i64)>> = Default::default();
        for l in self.p.store.product_stock(product_ids).await? {
            if l.available > 0 && self.knowledge.store(&l.location_id).is_some() {
                by_product.entry(l.product_id).or_default().push((l.location_id, l.available));
            }
        }
        for levels in by_product.values_mut() {
            levels.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
        Ok(by_product)
    }

    async fn product_answer(&mut self, u: &Understood) -> ServiceResult<Outcome> {
        let lang = self.lang;
        let code = super::lang_code(lang);
        let Some(product) = self.product_in_play(u).cloned() else {
            if let Some(colour) = u.entities.colours.first()
                && let Some(last) = self.state.last_product.as_deref().and_then(|id| self.knowledge.products.get(id))
            {
                let name = last.name.get(code);
                return Ok(Outcome::answer(say!(
                    lang,
                    "抱歉，{name} 没有“{colour}”款。",
                    "Sorry, {name} does not come in \"{colour}\"."
                )));
            }
            if let Some(category) = u.first(MentionKind::Category) {
                return self.category_answer(category, u).await;
            }
            // A general question (a promotion, how prices work) rather than about one product.
            let from_kb = self.knowledge_answer(u, false);
            if from_kb.answered {
                return Ok(from_kb);
            }
            return Ok(Outcome {
                answered: false,
                ..Outcome::answer(say!(
                    lang,
                    "抱歉，没有找到您说的商品。可以告诉我商品的全称或品牌吗？",
                    "Sorry, I couldn't find that product. Could you tell me its full name or brand?"
                ))
            });
        };
        self.state.last_product = Some(product.external_id.clone());
        let name = product.name.get(code).to_string();
        let price = yuan(product.price.amount_minor);
        let card = self.card(&product).await?;
        let text = match u.intent.as_str() {
            "stock_availability" => self.stock_text(&product, &name, u).await?,
            "price_promotion" => say!(lang, "{name} 现价 {price}。", "{name} costs {price}."),
            _ => {
                let brand = &product.brand;
                let specs = product.attributes.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ");
                let shelf = product
                    .shelf_life_days
                    .map(|d| say!(lang, "保质期 {d} 天。", "Shelf life {d} days."))
                    .unwrap_or_default();
                say!(
                    lang,
                    "{name}（{brand}），售价 {price}。{specs} {shelf}",
                    "{name} ({brand}) costs {price}. {specs} {shelf}"
                )
            }
        };
        let mut outcome = Outcome::answer(text.trim().to_string()).with(|m| m.products = vec![card]);
        if u.intent == "price_promotion"
            && let Some(f) = self.knowledge.search(&u.text, topics("price_promotion"), false, 1).first()
        {
            outcome.replies.push(BotMessage {
                text: f.article.body.get(code).to_string(),
                sources: vec![Source {
                    article_id: f.article.external_id.clone(),
                    title: f.article.title.get(code).into(),
                }],
                ..Default::default()
            });
        }
        Ok(outcome)
    }

    /// "有没有鸡蛋" names a category: its products with the most in stock (at the store named, if
    /// one is), with prices.
    async fn category_answer(&mut self, category_id: &str, u: &Understood) -> ServiceResult<Outcome> {
        let lang = self.lang;
        let code = super::lang_code(lang);
        let store = u.first(MentionKind::Store);
        let prefix = format!("{category_id}.");
        let members: Vec<&Product> = self
            .knowledge
            .products
            .values()
            .filter(|p| p.category_id == category_id || p.category_id.starts_with(&prefix))
            .collect();
        let ids: Vec<String> = members.iter().map(|p| p.external_id.clone()).collect();
        let stock = self.stock_by_product(&ids).await?;
        let mut ranked = Vec::new();
        for product in members {
            let levels = stock.get(&product.external_id).map(Vec::as_slice).unwrap_or_default();
            let here: i64 = levels.iter().filter(|(l, _)| store.is_none_or(|s| s == l)).map(|(_, n)| n).sum();
            if here > 0 {
                ranked.push((here, product));
            }
        }
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.external_id.cmp(&b.1.external_id)));
        let category = self.knowledge.categories.get(category_id).map_or(category_id, |c| c.name.get(code));
        let place = store.and_then(|s| self.knowledge.store(s)).map(|s| s.name.get(code).to_string());
        if ranked.is_empty() {
            let place = place.unwrap_or_else(|| say!(lang, "各门店", "our stores"));
            return Ok(Outcome::answer(say!(
                lang,
                "抱歉，{place}的{category}暂时都缺货。",
                "Sorry, {category} is out of stock at {place}."
            )));
        }
        let mut cards = Vec::new();
        for (_, product) in ranked.iter().take(3) {
            cards.push(self.card(product).await?);
        }
        if let [(_, only)] = ranked.as_slice() {
            self.state.last_product = Some(only.external_id.clone());
        }
        let list = ranked
            .iter()
            .take(3)
            .map(|(n, p)| format!("{} {} ({n})", p.name.get(code), yuan(p.price.amount_minor)))
            .collect::<Vec<_>>()
            .join(say!(lang, "、", ", ").as_str());
        let text = match place {
            Some(place) => say!(lang, "{place}有{category}：{list}。", "{place} has {category}: {list}."),
            None => say!(lang, "{category}有货，库存最多的是：{list}。", "{category} in stock, the most of: {list}."),
        };
        Ok(Outcome::answer(text).with(|m| m.products = cards))
    }

    async fn stock_text(&self, product: &Product, name: &str, u: &Understood) -> ServiceResult<String> {
        let lang = self.lang;
        let code = super::lang_code(lang);
        let levels = self.stock_of(&product.external_id).await?;
        let store_name = |id: &str| self.knowledge.store(id).map_or(id.to_string(), |s| s.name.get(code).to_string());
        if let Some(store) = u.first(MentionKind::Store) {
            let here = store_name(store);
            return Ok(match levels.iter().find(|(l, _)| l == store) {
                Some((_, n)) => {
                    say!(lang, "{here} 的 {name} 目前有货，约 {n} 件。", "{here} has {name} in stock: about {n} units.")
                }
                None => {
                    let others = levels.iter().take(3).map(|(l, _)| store_name(l)).collect::<Vec<_>>().join("、");
                    if others.is_empty() {
                        say!(
                            lang,
                            "{here} 的 {name} 暂时缺货，其他门店也没有库存。",
                            "{name} is out of stock at {here} and at our other stores."
                        )
                    } else {
                        say!(
                            lang,
                            "{here} 的 {name} 暂时缺货，这些门店有货：{others}。",
                            "{name} is out of stock at {here}; these stores have it: {others}."
                        )
                    }
                }
            });
        }
        let count = levels.len();
        Ok(if count == 0 {
            say!(
                lang,
                "{name} 目前所有门店都缺货，补货后会尽快上架。",
                "{name} is out of stock at every store at the moment; it will be back once restocked."
            )
        } else {
            let top =
                levels.iter().take(3).map(|(l, n)| format!("{} ({n})", store_name(l))).collect::<Vec<_>>().join("、");
            say!(
                lang,
                "{name} 目前有 {count} 家门店有货，库存最多的是：{top}。",
                "{name} is in stock at {count} stores; the most are at {top}."
            )
        })
    }

    async fn recommendations(&mut self, u: &Understood) -> ServiceResult<Outcome> {
        let lang = self.lang;
        let request = RecommendationRequest {
            customer_id: self.conversation.customer_id.clone(),
            // A guest's chat is their session: what they look at later can follow from it.
            session_id: Some(self.conversation.conversation_id.clone()),
            context: self.state.last_product.iter().cloned().collect(),
            category: u.first(MentionKind::Category).map(str::to_string),
            k: 4,
            ..Default::default()
        };
        let items = match recommend(self.p, &request, self.now).await {
            Ok(r) => r.items,
            Err(e) => {
                tracing::warn!(error = %e, "chat recommendations unavailable");
                Vec::new()
            }
        };
        let mut cards = Vec::new();
        for item in &items {
            if let Some(product) = self.knowledge.products.get(&item.product_id) {
                cards.push(self.card(product).await?);
            }
        }
        if cards.is_empty() {
            return Ok(self.knowledge_answer(u, false));
        }
        let names = cards.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("、");
        Ok(Outcome::answer(say!(lang, "为您推荐：{names}。", "You might like: {names}.")).with(|m| m.products = cards))
    }

    fn store_answer(&self, u: &Understood) -> Outcome {
        let lang = self.lang;
        let code = super::lang_code(lang);
        let mut outcome = self.knowledge_answer(u, true);
        if let Some(store) = u.first(MentionKind::Store).and_then(|id| self.knowledge.store(id)) {
            let name = store.name.get(code);
            let address = store.address.get(code);
            let text = say!(lang, "{name} 地址：{address}。", "{name} is at {address}.");
            if outcome.answered {
                outcome.replies.insert(0, BotMessage { text, ..Default::default() });
            } else {
                outcome = Outcome::answer(text);
            }
        }
        outcome
    }

    /// Takes what the message answers for the form: order number, phone digits, product, quantity,
    /// condition, yes/no. True when it answered the question asked.
    fn fill(&self, form: &mut Form, u: &Understood) -> bool {
        let mut answered = false;
        if form.said.len() < 10 {
            form.said.push(u.text.clone());
        }
        if let Some(id) = u.entities.order_ids.first() {
            if form.order_id.as_ref() != Some(id) {
                form.phone_suffix = None;
            }
            form.order_id = Some(id.clone());
            answered |= form.awaiting == Some(Slot::OrderId);
        } else if form.order_id.is_none() && form.awaiting.is_none() {
            form.order_id.clone_from(&self.state.last_order);
        }
        if form.awaiting == Some(Slot::PhoneSuffix)
            && let Some(suffix) = extract_phone_suffix(&u.text)
        {
            form.phone_suffix = Some(suffix);
            answered = true;
        } else if let Some(suffix) = u.entities.phone_suffix.clone() {
            form.phone_suffix = Some(suffix);
        }
        let named = u
            .first(MentionKind::Product)
            .map(str::to_string)
            .filter(|id| form.choices.is_empty() || form.choices.contains(id))
            .or_else(|| self.named_among(&u.text, &form.choices));
        if let Some(id) = named {
            form.product_id = Some(id);
            answered |= form.awaiting == Some(Slot::Product);
        }
        if let Some(q) = u.entities.quantities.first() {
            form.quantity = Some(*q);
        }
        if let Some(c) = condition_of(&u.text) {
            form.condition = Some(c);
            answered |= form.awaiting == Some(Slot::Condition);
        }
        if let Some(colour) = u.entities.colours.first() {
            form.variant = Some(colour.clone());
        }
        if form.awaiting == Some(Slot::Confirm)
            && let Some(yes) = is_yes(&u.text)
        {
            form.confirmed = Some(yes);
            answered = true;
        }
        answered
    }

    fn ask(&mut self, mut form: Form, slot: Slot, text: String, quick: Vec<String>) -> Outcome {
        let repeated = form.awaiting == Some(slot);
        form.awaiting = Some(slot);
        self.state.form = Some(form);
        Outcome { answered: !repeated, ..Outcome::answer(text).with(|m| m.quick_replies = quick) }
    }

    /// The signed-in customer's three latest order numbers, newest first.
    async fn recent_orders(&self) -> ServiceResult<Vec<String>> {
        let Some(customer) = &self.conversation.customer_id else { return Ok(Vec::new()) };
        let query = retail_store::DocQuery {
            filters: vec![("customer_id".into(), customer.clone())],
            limit: 1000,
            ..Default::default()
        };
        let mut orders: Vec<Order> = service::list(self.p, EntityKind::Order, &query)
            .await?
            .items
            .into_iter()
            .filter_map(|d| serde_json::from_value(d.doc).ok())
            .collect();
        orders.sort_by_key(|o| std::cmp::Reverse(o.placed_at));
        Ok(orders.into_iter().take(3).map(|o| o.external_id).collect())
    }

    async fn order(&self, id: &str) -> ServiceResult<Option<Order>> {
        match service::get(self.p, EntityKind::Order, id).await {
            Ok(doc) => Ok(serde_json::from_value(doc.doc).ok()),
            Err(ServiceError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the customer may see this order: the logged-in owner, or someone who knows the
    /// last four digits of the owner's phone. Another customer's order is never described.
    async fn owns(&self, order: &Order, suffix: Option<&str>) -> ServiceResult<Option<String>> {
        let Some(owner) = order.customer_id.as_deref() else { return Ok(None) };
        if self.conversation.customer_id.as_deref() == Some(owner) {
            return Ok(Some(owner.to_string()));
        }
        let Some(suffix) = suffix else { return Ok(None) };
        let customer: Option<Customer> = match service::get(self.p, EntityKind::Customer, owner).await {
            Ok(doc) => serde_json::from_value(doc.doc).ok(),
            Err(ServiceError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        Ok(customer
            .and_then(|c| c.phone)
            .filter(|phone| digits(phone).ends_with(suffix) && suffix.len() == 4)
            .map(|_| owner.to_string()))
    }

    /// Moves a form on: asks for what is missing, checks identity, then does the task.
    async fn advance(&mut self, mut form: Form, text: &str) -> ServiceResult<Outcome> {
        let lang = self.lang;
        let Some(order_id) = form.order_id.clone() else {
            // A signed-in customer picks from their latest orders.
            let recent = self.recent_orders().await?;
            return Ok(self.ask(
                form,
                Slot::OrderId,
                say!(
                    lang,
                    "请提供您的订单号（例如 O-20261124-00012）。",
                    "Please tell me your order number (e.g. O-20261124-00012)."
                ),
                recent,
            ));
        };
        let mut outcome = Outcome::default();
        if !self.state.verified_orders.contains(&order_id) {
            let order = self.order(&order_id).await?;
            let owner = match &order {
                Some(o) => self.owns(o, form.phone_suffix.as_deref()).await?,
                None => None,
            };
            match owner {
                Some(customer) => {
                    self.state.verified_orders.push(order_id.clone());
                    outcome.verified_customer = Some(customer);
                }
                None if form.phone_suffix.is_none() && self.conversation.customer_id.is_none() => {
                    return Ok(self.ask(
                        form,
                        Slot::PhoneSuffix,
                        say!(lang, "为保护您的隐私，请提供下单手机号的后四位。", "To protect your privacy, please give the last four digits of the phone number on the order."),
                        Vec::new(),
                    ));
                }
                None => {
                    self.state.identity_failures += 1;
                    if self.state.identity_failures >= 3 {
                        return Ok(self.handoff(
                            HandoffReason::IdentityNotConfirmed,
                            say!(
                                lang,
                                "多次未能核实订单信息，正在为您转接人工客服。",
                                "I couldn't confirm the order after several tries, so I'm passing you to a colleague."
                            ),
                        ));
                    }
                    form.order_id = None;
                    form.phone_suffix = None;
                    self.state.last_order = None;
                    let text = if self.conversation.customer_id.is_some() {
                        say!(
                            lang,
                            "在您的账户里没有找到这个订单，请核对订单号。",
                            "I can't find that order in your account. Please check the number."
                        )
                    } else {
                        say!(
                            lang,
                            "订单号与手机号后四位不匹配，请核对后重新提供订单号。",
                            "That order number and phone don't match our records. Please check and send the order number again."
                        )
                    };
                    let mut asked = self.ask(form, Slot::OrderId, text, Vec::new());
                    asked.answered = false;
                    return Ok(asked);
                }
            }
        }
        let Some(order) = self.order(&order_id).await? else {
            return Err(ServiceError::Internal(format!("verified order {order_id} disappeared")));
        };
        self.state.last_order = Some(order_id.clone());
        let status = order_status(lang, order.status);
        let done = match form.task {
            Task::OrderStatus => {
                let tracking = order
                    .shipments
                    .last()
                    .map(|s| {
                        let (carrier, number) = (&s.carrier, &s.tracking_no);
                        say!(
                            lang,
                            "承运商 {carrier}，运单号 {number}。",
                            "Carrier {carrier}, tracking number {number}."
                        )
                    })
                    .unwrap_or_default();
                let total = yuan(order.total_minor());
                let lines = order.lines.len();
                Outcome::answer(say!(
                    lang,
                    "订单 {order_id} 当前状态：{status}。共 {lines} 件商品，金额 {total}。{tracking}",
                    "Order {order_id} is {status}: {lines} lines, {total} in total. {tracking}"
                ))
            }
            Task::RefundStatus => {
                let query = ReturnQuery { order_id: Some(order_id.clone()), limit: 10, ..Default::default() };
                let requests = self.p.store.list_return_requests(&query).await?;
                match requests.first() {
                    None => Outcome::answer(say!(
                        lang,
                        "订单 {order_id} 还没有退款申请。需要我帮您申请退货吗？",
                        "There is no refund request for order {order_id}. Shall I start a return?"
                    )),
                    Some(r) => {
                        let amount = yuan(r.refund_minor);
                        let state = match (lang, r.status.as_str()) {
                            (Lang::Zh, "approved") => {
                                "已通过，退款将原路退回（微信、支付宝 1-3 个工作日，银行卡 3-7 个工作日）"
                            }
                            (Lang::Zh, "pending_approval") => "待人工审核",
                            (Lang::Zh, "rejected") => "审核未通过",
                            (Lang::Zh, _) => "未通过",
                            (Lang::En, "approved") => {
                                "approved; the money goes back to your original payment method (WeChat Pay and Alipay 1-3 working days, cards 3-7)"
                            }
                            (Lang::En, "pending_approval") => "waiting for a colleague's approval",
                            (Lang::En, "rejected") => "declined after review",
                            (Lang::En, _) => "not accepted",
                        };
                        Outcome::answer(say!(
                            lang,
                            "订单 {order_id} 的退款（{amount}）：{state}。",
                            "The refund of {amount} for order {order_id} is {state}."
                        ))
                    }
                }
            }
            Task::Modify => {
                if matches!(order.status, OrderStatus::Placed | OrderStatus::Paid | OrderStatus::Picked) {
                    self.handoff(
                        HandoffReason::OrderChange,
                        say!(
                            lang,
                            "订单 {order_id} 还未发出（{status}），我已为您转接人工客服修改地址、数量或时间。",
                            "Order {order_id} has not left yet ({status}); I'm passing you to a colleague who can change the address, quantities or time."
                        ),
                    )
                } else {
                    Outcome::answer(say!(
                        lang,
                        "订单 {order_id} 当前状态为“{status}”，已无法修改。",
                        "Order {order_id} is {status}, so it can no longer be changed."
                    ))
                }
            }
            Task::Cancel => {
                if !order.status.can_become(OrderStatus::Cancelled) {
                    Outcome::answer(say!(
                        lang,
                        "订单 {order_id} 当前状态为“{status}”，已无法取消。签收后可以申请退货。",
                        "Order {order_id} is {status}, so it can no longer be cancelled; you can return it once delivered."
                    ))
                } else {
                    match form.confirmed {
                        None => {
                            let total = yuan(order.total_minor());
                            return Ok(self.ask(
                                form,
                                Slot::Confirm,
                                say!(
                                    lang,
                                    "确认取消订单 {order_id}（{total}）吗？",
                                    "Shall I cancel order {order_id} ({total})?"
                                ),
                                vec![say!(lang, "确认取消", "Yes, cancel it"), say!(lang, "不取消了", "No, keep it")],
                            ));
                        }
                        Some(false) => Outcome::answer(say!(
                            lang,
                            "好的，订单 {order_id} 保持不变。",
                            "OK, order {order_id} stays as it is."
                        )),
                        Some(true) => {
                            service::set_order_status(self.p, &order_id, OrderStatus::Cancelled).await?;
                            Outcome::answer(say!(
                                lang,
                                "订单 {order_id} 已取消，已付款项将原路退回。",
                                "Order {order_id} is cancelled; anything paid goes back to your original payment method."
                            ))
                        }
                    }
                }
            }
            Task::Return | Task::Exchange => return self.return_or_exchange(form, order, text).await,
        };
        outcome.replies = done.replies;
        outcome.answered = done.answered;
        outcome.handoff = done.handoff;
        Ok(outcome)
    }

    async fn return_or_exchange(&mut self, mut form: Form, order: Order, text: &str) -> ServiceResult<Outcome> {
        let lang = self.lang;
        let code = super::lang_code(lang);
        let mut line_products: Vec<&str> = order.lines.iter().map(|l| l.product_id.as_str()).collect();
        line_products.dedup();
        if form.product_id.as_deref().is_none_or(|p| !line_products.contains(&p)) {
            let choices: Vec<String> = line_products.iter().map(|p| p.to_string()).collect();
            form.product_id = std::iter::once(text)
                .chain(form.said.iter().rev().map(String::as_str))
                .find_map(|said| self.named_among(said, &choices));
        }
        if form.product_id.as_deref().is_none_or(|p| !line_products.contains(&p)) {
            if line_products.len() == 1 {
                form.product_id = Some(line_products[0].to_string());
            } else {
                let names: Vec<String> = line_products
                    .iter()
                    .take(6)
                    .map(|id| self.knowledge.products.get(*id).map_or(id.to_string(), |p| p.name.get(code).to_string()))
                    .collect();
                form.choices = line_products.iter().map(|p| p.to_string()).collect();
                return Ok(self.ask(
                    form,
                    Slot::Product,
                    say!(lang, "请问是订单里的哪件商品？", "Which product on the order is it?"),
                    names,
                ));
            }
        }
        let product_id = form.product_id.clone().expect("set above");
        let Some(condition) = form.condition else {
            return Ok(self.ask(
                form,
                Slot::Condition,
                say!(
                    lang,
                    "商品现在是什么情况：未拆封、已拆封，还是有质量问题？",
                    "What state is it in: unopened, opened, or faulty/damaged?"
                ),
                vec![
                    say!(lang, "未拆封", "Unopened"),
                    say!(lang, "已拆封", "Opened"),
                    say!(lang, "有质量问题", "Faulty or damaged"),
                ],
            ));
        };
        let product = self.knowledge.products.get(&product_id);
        let category_id = product.map_or("", |p| p.category_id.as_str());
        let perishable = self.knowledge.categories.get(category_id).is_some_and(|c| c.perishable)
            || category_id
                .split('.')
                .next()
                .and_then(|root| self.knowledge.categories.get(root))
                .is_some_and(|c| c.perishable);
        let ordered: i64 = order.lines.iter().filter(|l| l.product_id == product_id).map(|l| l.quantity).sum();
        let quantity = form.quantity.filter(|q| *q > 0).unwrap_or(ordered);
        let kind = if form.task == Task::Exchange { ReturnKind::Exchange } else { ReturnKind::Refund };
        let item = ReturnItem { product_id: &product_id, category_id, perishable, quantity, condition };
        let decision = self.p.config.returns.decide(&order, &item, kind, self.now);
        let name = product.map_or(product_id.clone(), |p| p.name.get(code).to_string());
        // What the policy allows is confirmed by the customer before it is filed.
        if decision.outcome != ReturnOutcome::Refused {
            match form.confirmed {
                None => {
                    let amount = yuan(decision.refund_minor);
                    let text = match kind {
                        ReturnKind::Exchange => {
                            say!(
                                lang,
                                "确认为 {name} × {quantity} 申请换货吗？",
                                "Shall I file an exchange of {name} × {quantity}?"
                            )
                        }
                        ReturnKind::Refund => say!(
                            lang,
                            "确认为 {name} × {quantity} 申请退货吗？退款金额 {amount}。",
                            "Shall I file the return of {name} × {quantity}? The refund is {amount}."
                        ),
                    };
                    let quick = vec![say!(lang, "确认申请", "Yes, file it"), say!(lang, "先不用了", "No, thanks")];
                    return Ok(self.ask(form, Slot::Confirm, text, quick));
                }
                Some(false) => {
                    return Ok(Outcome::answer(say!(lang, "好的，没有提交申请。", "OK, nothing was filed.")));
                }
                Some(true) => {}
            }
        }
        let status = match decision.outcome {
            ReturnOutcome::Approved => "approved",
            ReturnOutcome::NeedsApproval => "pending_approval",
            ReturnOutcome::Refused => "refused",
        };
        let now_ms = self.now.timestamp_millis();
        // Short enough to read out on the phone; 48 random bits.
        let request_id = format!("RR-{}", new_id("rr")[3..15].to_uppercase());
        let record = ReturnRequestRecord {
            request_id: request_id.clone(),
            conversation_id: Some(self.conversation.conversation_id.clone()),
            order_id: order.external_id.clone(),
            customer_id: order.customer_id.clone(),
            kind: if kind == ReturnKind::Exchange { "exchange" } else { "refund" }.into(),
            status: status.into(),
            refund_minor: decision.refund_minor,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
            updated_by: "assistant".into(),
            doc: serde_json::json!({
                "product_id": product_id, "quantity": quantity, "condition": condition,
                "variant": form.variant, "reasons": decision.reasons,
            })
            .to_string(),
        };
        let order_id = &order.external_id;
        let amount = yuan(decision.refund_minor);
        let mut outcome = match decision.outcome {
            ReturnOutcome::Approved if kind == ReturnKind::Exchange => {
                let variant =
                    form.variant.as_deref().map(|v| say!(lang, "（换成{v}）", " (for {v})")).unwrap_or_default();
                Outcome::answer(say!(
                    lang,
                    "已为您登记换货：{name} × {quantity}{variant}，申请号 {request_id}。请携带商品到任一门店服务台办理，或等待快递上门取件。",
                    "Your exchange is registered: {name} × {quantity}{variant}, request {request_id}. Bring the item to any store's service desk, or wait for the courier to collect it."
                ))
            }
            ReturnOutcome::Approved => Outcome::answer(say!(
                lang,
                "退货申请已通过：{name} × {quantity}，退款 {amount}，申请号 {request_id}。退款将在收到商品后原路退回。",
                "Your return is approved: {name} × {quantity}, refund {amount}, request {request_id}. The money goes back to your payment method once we receive the item."
            )),
            ReturnOutcome::NeedsApproval => {
                let why = decision.reasons.iter().map(|r| return_reason(lang, r)).collect::<Vec<_>>().join(" ");
                self.handoff(
                    HandoffReason::HighValueRefund,
                    say!(
                        lang,
                        "您的退货申请（{name}，{amount}，申请号 {request_id}）已提交。{why}正在为您转接人工客服。",
                        "Your return request ({name}, {amount}, request {request_id}) is in. {why} I'm passing you to a colleague."
                    ),
                )
            }
            ReturnOutcome::Refused => {
                let why = decision.reasons.iter().map(|r| return_reason(lang, r)).collect::<Vec<_>>().join(" ");
                Outcome::answer(say!(
                    lang,
                    "抱歉，订单 {order_id} 的 {name} 无法办理：{why}",
                    "Sorry, {name} on order {order_id} can't be taken back: {why}"
                ))
                .with(|m| m.quick_replies = vec![say!(lang, "转人工", "Talk to a person")])
            }
        };
        outcome.returns.push(record);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_no_and_conditions_are_read_in_both_languages() {
        assert_eq!(is_yes("确认取消"), Some(true));
        assert_eq!(is_yes("好的"), Some(true));
        assert_eq!(is_yes("Yes please"), Some(true));
        assert_eq!(is_yes("不取消了"), Some(false));
        assert_eq!(is_yes("no"), Some(false));
        assert_eq!(is_yes("几点关门"), None);
        assert_eq!(condition_of("没拆封的"), Some(ItemCondition::Unopened));
        assert_eq!(condition_of("酸奶过期了"), Some(ItemCondition::Defective));
        assert_eq!(condition_of("I opened it"), Some(ItemCondition::Opened));
        assert_eq!(condition_of("it arrived damaged"), Some(ItemCondition::Defective));
        assert_eq!(condition_of("你好"), None);
    }

    #[test]
    fn the_state_counts_streaks_and_keeps_a_short_mood() {
        let mut s = DialogueState::default();
        let u = |score: f64, confidence: f64| Understood {
            text: if score < 0.0 { "垃圾，太差了，差评".into() } else { "谢谢".into() },
            intent: "complaint".into(),
            confidence,
            in_scope: true,
            sentiment: Sentiment { positive: score > 0.0, score, probability: (score + 1.0) / 2.0 },
            entities: Entities::default(),
            lang: Lang::Zh,
        };
        s.remember(&u(-0.8, 0.9));
        s.remember(&u(-0.6, 0.2));
        assert_eq!((s.negative, s.low_confidence), (2, 1));
        let calm = Understood { text: "我要退货".into(), ..u(-0.6, 0.9) };
        s.remember(&calm);
        assert_eq!(s.negative, 0, "a return request leaning negative is not anger");
        s.remember(&u(-0.8, 0.9));
        s.remember(&u(-0.8, 0.9));
        s.remember(&u(0.5, 0.9));
        assert_eq!((s.negative, s.low_confidence), (0, 0));
        for _ in 0..10 {
            s.remember(&u(1.0, 0.9));
        }
        assert_eq!(s.sentiments.len(), MOOD_WINDOW);
        assert!((s.mood() - 1.0).abs() < 1e-9);
        let json = s.to_json();
        assert_eq!(DialogueState::parse(&json).unwrap().to_json(), json, "the state round-trips");
    }
}
