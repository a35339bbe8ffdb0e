//! The demo's customer service: a few customers get orders of the last days (the generated world
//! ends on a fixed date, so without them every return would be past its window), and a fortnight
//! of conversations is played through the assistant so its analytics and the agent desk have
//! something to show.

use chrono::{DateTime, Duration, Utc};
use retail_domain::{
    Category, Currency, Customer, EntityKind, Order, OrderChannel, OrderLine, OrderStatus, Payment, Product,
    ProductStatus, Shipment,
};
use retail_store::DocQuery;

use super::{AgentAction, ChatRequest, ConversationStatus, agent_act, chat, rate};
use crate::platform::Platform;
use crate::service::{self, ServiceResult, all_docs};

/// Ids of the demo's recent orders have this after `O-<date>-`, so the sample shop can find them.
pub const RECENT_ORDER_MARK: &str = "R";

/// Gives up to `customers` customers with a phone three recent online orders each: delivered two
/// days ago (an everyday item, a fresh one and an expensive one), out for delivery, and paid.
pub async fn seed_recent_orders(p: &Platform, now: DateTime<Utc>, customers: usize) -> ServiceResult<Vec<Order>> {
    let products: Vec<Product> = all_docs(p, EntityKind::Product).await?;
    let categories: Vec<Category> = all_docs(p, EntityKind::Category).await?;
    let perishable = |c: &str| {
        categories.iter().any(|k| (k.external_id == c || c.starts_with(&format!("{}.", k.external_id))) && k.perishable)
    };
    let active: Vec<&Product> = products.iter().filter(|x| x.status == ProductStatus::Active).collect();
    let everyday = active.iter().find(|x| !perishable(&x.category_id) && x.price.amount_minor < 10_000);
    let fresh = active.iter().find(|x| perishable(&x.category_id));
    let dear = active.iter().filter(|x| !perishable(&x.category_id)).max_by_key(|x| x.price.amount_minor);
    let (Some(everyday), Some(fresh), Some(dear)) = (everyday, fresh, dear) else { return Ok(Vec::new()) };
    let online = service::list(
        p,
        EntityKind::Location,
        &DocQuery { filters: vec![("kind".into(), "online".into())], limit: 1, ..Default::default() },
    )
    .await?;
    let Some(web) = online.items.first().map(|d| d.external_id.clone()) else { return Ok(Vec::new()) };
    let people = service::list(p, EntityKind::Customer, &DocQuery { limit: 200, ..Default::default() }).await?;
    let chosen: Vec<Customer> = people
        .items
        .into_iter()
        .filter_map(|d| serde_json::from_value::<Customer>(d.doc).ok())
        .filter(|c| c.phone.is_some())
        .take(customers)
        .collect();
    // Enough of the expensive item that its refund needs a person's approval.
    let dear_units = (p.config.returns.approval_above_minor / dear.price.amount_minor.max(1) + 1).max(1);
    let line = |x: &Product, quantity: i64| OrderLine {
        product_id: x.external_id.clone(),
        quantity,
        unit_price_minor: x.price.amount_minor,
        discount_minor: 0,
    };
    let mut orders = Vec::new();
    for (i, c) in chosen.iter().enumerate() {
        let date = now.format("%Y%m%d");
        let id = |k: usize| format!("O-{date}-{RECENT_ORDER_MARK}{:04}", i * 3 + k);
        let placed = now - Duration::days(2) - Duration::hours(3);
        let delivered = now - Duration::days(2);
        let mut order = |k,
                         lines: Vec<OrderLine>,
                         status,
                         placed_at: DateTime<Utc>,
                         shipped: Option<DateTime<Utc>>,
                         delivered_at| {
            let total: i64 = lines.iter().map(OrderLine::total_minor).sum();
            orders.push(Order {
                delivery: None,
                external_id: id(k),
                customer_id: Some(c.external_id.clone()),
                channel: OrderChannel::Online,
                location_id: web.clone(),
                status,
                currency: Currency::cny(),
                lines,
                payments: vec![Payment {
                    method: "wechat_pay".into(),
                    amount_minor: total,
                    paid_at: placed_at,
                    reference: None,
                }],
                shipments: shipped
                    .map(|s| Shipment {
                        carrier: "自营配送".into(),
                        tracking_no: format!("T{}", id(k)),
                        shipped_at: s,
                        delivered_at,
                    })
                    .into_iter()
                    .collect(),
                delivery_address: None,
                placed_at,
                updated_at: Some(delivered_at.or(shipped).unwrap_or(placed_at)),
            });
        };
        order(
            0,
            vec![line(everyday, 2), line(fresh, 1), line(dear, dear_units)],
            OrderStatus::Delivered,
            placed,
            Some(delivered - Duration::hours(2)),
            Some(delivered),
        );
        order(
            1,
            vec![line(everyday, 1)],
            OrderStatus::Shipped,
            now - Duration::hours(3),
            Some(now - Duration::hours(1)),
            None,
        );
        order(2, vec![line(fresh, 2)], OrderStatus::Paid, now - Duration::hours(1), None, None);
    }
    if !orders.is_empty() {
        service::upsert(p, &orders).await?;
    }
    Ok(orders)
}

/// What demo customers ask, in both languages; `{order}` and `{suffix}` are filled per customer.
const SCENARIOS: [&[&str]; 12] = [
    &["你好", "配送费怎么收？", "谢谢"],
    &["我的订单到哪了", "{order}", "{suffix}"],
    &["Hi, where is my order {order}?", "{suffix}", "thanks!"],
    &["你们几点关门", "有停车场吗"],
    &["How do I get an invoice?"],
    &["积分怎么用", "会员怎么升级"],
    &["我要投诉，送来的牛奶是坏的"],
    &["转人工"],
    &["Can I return something I bought last week?", "I want to talk to a human"],
    &["推荐点零食", "谢谢"],
    &["登录不了，收不到验证码"],
    &["怎么退款啊，钱什么时候到账"],
];

/// Plays `days` days of conversations ending at `now`: scenario by scenario, with agents claiming,
/// answering and closing most handed-over chats and customers rating some.
pub async fn replay_conversations(
    p: &Platform,
    now: DateTime<Utc>,
    days: i64,
    day_done: impl Fn(),
) -> ServiceResult<usize> {
    let orders = service::list(
        p,
        EntityKind::Order,
        &DocQuery {
            filters: vec![("channel".into(), "online".into()), ("status".into(), "delivered".into())],
            limit: 200,
            ..Default::default()
        },
    )
    .await?;
    let mut known: Vec<(String, String)> = Vec::new();
    for doc in orders.items.iter().take(60) {
        let Ok(order) = serde_json::from_value::<Order>(doc.doc.clone()) else { continue };
        let Some(customer) = order.customer_id.as_deref() else { continue };
        let Ok(c) = service::get(p, EntityKind::Customer, customer).await else { continue };
        if let Some(phone) = c.doc["phone"].as_str() {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            known.push((order.external_id, digits[digits.len().saturating_sub(4)..].to_string()));
        }
    }
    let mut played = 0;
    for day in (0..days).rev() {
        // More chats at weekends and towards today, like a growing service.
        let count = 6 + (days - day) as usize / 2;
        for k in 0..count {
            let at = now - Duration::days(day) - Duration::minutes((k as i64 * 97) % 600);
            let scenario = SCENARIOS[(k + day as usize * 5) % SCENARIOS.len()];
            let (order, suffix) = known.get((k + day as usize) % known.len().max(1)).cloned().unwrap_or_default();
            let mut conversation = None;
            let mut status = ConversationStatus::Bot;
            for (t, line) in scenario.iter().enumerate() {
                let message = line.replace("{order}", &order).replace("{suffix}", &suffix);
                let req = ChatRequest {
                    conversation_id: conversation.clone(),
                    message,
                    channel: Some("widget".into()),
                    ..Default::default()
                };
                let reply = chat(p, &req, at + Duration::seconds(20 * t as i64)).await?;
                conversation = Some(reply.conversation_id);
                status = reply.status;
            }
            let Some(id) = conversation else { continue };
            let later = at + Duration::minutes(2 + (k as i64 % 5));
            if status == ConversationStatus::Waiting && k % 4 != 3 {
                let agent = if k % 2 == 0 { "agent" } else { "agent2" };
                agent_act(p, &id, agent, &AgentAction::Claim, later).await?;
                let text = "您好，我是人工客服，已经看到您的问题，马上为您处理。".to_string();
                agent_act(p, &id, agent, &AgentAction::Reply { text }, later + Duration::seconds(30)).await?;
                agent_act(p, &id, agent, &AgentAction::Close, later + Duration::minutes(4)).await?;
            }
            if k % 3 == 0 && status != ConversationStatus::Waiting {
                rate(p, &id, 3 + (k as i64 / 3 % 3), later).await?;
            }
            played += 1;
        }
        day_done();
    }
    Ok(played)
}
