//! The assistant's words in Chinese and English. Every sentence the customer reads is written
//! here once per language, next to its twin.

use retail_domain::{OrderStatus, ReturnReason};
use retail_language::text::Lang;

/// The sentence in the conversation's language.
pub(crate) fn pick(lang: Lang, zh: String, en: String) -> String {
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

macro_rules! say {
    ($lang:expr, $zh:literal, $en:literal $(,)?) => {
        $crate::assistant::say::pick($lang, format!($zh), format!($en))
    };
}
pub(crate) use say;

pub(crate) fn yuan(minor: i64) -> String {
    format!("¥{}.{:02}", minor / 100, (minor % 100).abs())
}

pub(crate) fn agent_joined(lang: Lang, agent: &str) -> String {
    say!(lang, "人工客服 {agent} 已接入，请稍候。", "{agent} from customer service has joined the chat.")
}

pub(crate) fn back_to_bot(lang: Lang) -> String {
    say!(lang, "人工客服已离开，智能助手继续为您服务。", "The agent has left; the assistant is back to help you.")
}

pub(crate) fn closed(lang: Lang) -> String {
    say!(lang, "本次会话已结束，感谢您的耐心。", "This conversation has ended. Thank you for your patience.")
}

pub(crate) fn order_status(lang: Lang, status: OrderStatus) -> &'static str {
    use OrderStatus::*;
    match (lang, status) {
        (Lang::Zh, Placed) => "已下单，待支付",
        (Lang::Zh, Paid) => "已支付，等待拣货",
        (Lang::Zh, Picked) => "已拣货，等待配送",
        (Lang::Zh, Shipped) => "配送中",
        (Lang::Zh, Delivered) => "已送达",
        (Lang::Zh, Cancelled) => "已取消",
        (Lang::Zh, Returned) => "已退货",
        (Lang::En, Placed) => "placed and waiting for payment",
        (Lang::En, Paid) => "paid and waiting to be picked",
        (Lang::En, Picked) => "picked and waiting for the courier",
        (Lang::En, Shipped) => "out for delivery",
        (Lang::En, Delivered) => "delivered",
        (Lang::En, Cancelled) => "cancelled",
        (Lang::En, Returned) => "returned",
    }
}

/// Why the policy refused or held a return, in the customer's words.
pub(crate) fn return_reason(lang: Lang, reason: &ReturnReason) -> String {
    match reason {
        ReturnReason::NotDelivered { status } => {
            let s = order_status(lang, *status);
            say!(
                lang,
                "订单当前状态为“{s}”，签收后才能申请退换货。",
                "The order is {s}; returns and exchanges open once it is delivered."
            )
        }
        ReturnReason::AlreadyReturned => say!(lang, "该订单已经退过货了。", "This order has already been returned."),
        ReturnReason::WindowPassed { days, window_days } => say!(
            lang,
            "商品签收已 {days} 天，超过了 {window_days} 天的退换期限。",
            "It is {days} days since delivery, past the {window_days}-day window."
        ),
        ReturnReason::ExcludedCategory { .. } => say!(
            lang,
            "生鲜、冷藏等商品不支持无理由退换；如有质量问题请告诉我，我们会按质量问题处理。",
            "Fresh and chilled food cannot be returned without a reason; if something is wrong with it, tell me and we will treat it as a quality issue."
        ),
        ReturnReason::Opened => say!(
            lang,
            "已拆封且无质量问题的商品不支持无理由退换。",
            "Opened items without a defect cannot be returned without a reason."
        ),
        ReturnReason::NotOnOrder { .. } => {
            say!(lang, "这件商品不在该订单里。", "That product is not on this order.")
        }
        ReturnReason::TooMany { ordered, requested } => say!(
            lang,
            "订单里只有 {ordered} 件，无法退 {requested} 件。",
            "The order has {ordered} of it, so {requested} cannot be returned."
        ),
        ReturnReason::AboveApprovalLimit { limit_minor } => {
            let limit = yuan(*limit_minor);
            say!(lang, "退款金额超过 {limit}，需要人工审核。", "Refunds above {limit} are checked by a person.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_in_both_languages() {
        let reasons = [
            ReturnReason::NotDelivered { status: OrderStatus::Shipped },
            ReturnReason::AlreadyReturned,
            ReturnReason::WindowPassed { days: 9, window_days: 7 },
            ReturnReason::ExcludedCategory { category_id: "fresh".into() },
            ReturnReason::Opened,
            ReturnReason::NotOnOrder { product_id: "P".into() },
            ReturnReason::TooMany { ordered: 1, requested: 2 },
            ReturnReason::AboveApprovalLimit { limit_minor: 50_000 },
        ];
        for r in &reasons {
            let zh = return_reason(Lang::Zh, r);
            let en = return_reason(Lang::En, r);
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{zh}");
            assert!(en.is_ascii() || en.contains('¥'), "{en}");
        }
        assert_eq!(yuan(50_000), "¥500.00");
        assert_eq!(yuan(1290), "¥12.90");
    }
}
