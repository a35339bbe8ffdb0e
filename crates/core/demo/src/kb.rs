//! A starter customer-service knowledge base, in Chinese and English, whose
//! policies match what the simulation does (opening hours, delivery slots,
//! 7-day returns, membership tiers).

use retail_domain::{KbArticle, Text};

struct Entry {
    id: &'static str,
    topic: &'static str,
    tags: &'static [&'static str],
    title: (&'static str, &'static str),
    body: (&'static str, &'static str),
}

const ENTRIES: [Entry; 23] = [
    Entry {
        id: "kb-store-hours",
        topic: "store_hours",
        tags: &["门店", "营业时间", "几点开门", "几点关门", "store", "hours", "open", "close"],
        title: ("门店营业时间是几点到几点？", "What are the store opening hours?"),
        body: (
            "所有门店每天 08:00–22:00 营业，节假日照常营业。除夕当天 08:00–18:00 营业，大年初一 10:00–20:00 营业，其余春节假期按正常时间营业。具体门店地址和电话可在App“门店”页面查看。",
            "All stores open daily from 08:00 to 22:00, including public holidays. On Chinese New Year's Eve we open 08:00–18:00 and on New Year's Day 10:00–20:00; the rest of the Spring Festival holiday keeps normal hours. Store addresses and phone numbers are on the Stores page of the app.",
        ),
    },
    Entry {
        id: "kb-delivery-areas",
        topic: "delivery",
        tags: &["配送", "配送范围", "delivery", "area"],
        title: ("哪些地区可以送货上门？", "Which areas do you deliver to?"),
        body: (
            "我们配送上海市全境（崇明区除外）。门店或线上履约中心周边 3 公里内支持“1小时达”极速配送；其他地址支持次日达的预约配送。下单时输入收货地址，系统会显示可选的配送方式。",
            "We deliver everywhere in Shanghai except Chongming District. Addresses within 3 km of a store or of the online fulfilment centre can choose 1-hour express delivery; all other addresses get next-day scheduled delivery. Enter your address at checkout to see the options available to you.",
        ),
    },
    Entry {
        id: "kb-delivery-fees",
        topic: "delivery",
        tags: &["配送费", "起送", "免运费", "delivery", "fee"],
        title: ("配送费怎么收？满多少免运费？", "How much is delivery, and when is it free?"),
        body: (
            "订单实付满 ¥99 免基础配送费，不满 ¥99 收取 ¥6 配送费；单笔订单起送金额为 ¥29。“1小时达”高峰时段（17:00–20:00）另收 ¥3 加急费。金卡及以上会员每月享 4 次免配送费。",
            "Delivery is free for orders of ¥99 or more after discounts; below ¥99 it costs ¥6. The minimum order is ¥29. 1-hour express orders in the evening peak (17:00–20:00) carry a ¥3 surcharge. Gold and Platinum members get four free deliveries a month.",
        ),
    },
    Entry {
        id: "kb-delivery-slots",
        topic: "delivery",
        tags: &["配送时间", "时段", "送达", "delivery", "slot"],
        title: ("什么时候能送到？可以预约时间吗？", "When will my order arrive? Can I book a time slot?"),
        body: (
            "“1小时达”每天 08:30–21:30 接单，付款后约 30–90 分钟送达。预约配送可选择次日 09:00–21:00 之间的 2 小时时段。订单状态会依次显示：已下单、已支付、拣货中、配送中、已送达，可在“我的订单”中查看骑手位置。",
            "1-hour express takes orders from 08:30 to 21:30 and usually arrives 30–90 minutes after payment. Scheduled delivery lets you pick a 2-hour slot between 09:00 and 21:00 the next day. Your order goes through placed, paid, picking, out for delivery and delivered; track the courier under My Orders.",
        ),
    },
    Entry {
        id: "kb-holiday-delivery",
        topic: "delivery",
        tags: &["春节", "节假日", "配送", "holiday", "spring festival"],
        title: ("春节期间还配送吗？", "Do you deliver during Spring Festival?"),
        body: (
            "春节假期（除夕至初六）线上商城正常接单，但运力减少：仅提供预约配送，送达时间可能延长 1–2 天，部分生鲜商品暂停销售。建议年货提前在节前一周下单。618、双11 等大促期间订单量大，预约时段可能提前约满。",
            "Over the Spring Festival holiday (New Year's Eve to the sixth day) the online shop keeps taking orders, but with fewer couriers: only scheduled delivery is offered, it may take 1–2 extra days, and some fresh items are paused. Order festival shopping a week ahead. During 618 and Double 11 time slots can fill up early.",
        ),
    },
    Entry {
        id: "kb-returns-policy",
        topic: "returns",
        tags: &["退货", "七天无理由", "returns", "7-day"],
        title: ("可以无理由退货吗？", "Can I return an item without giving a reason?"),
        body: (
            "非生鲜商品支持签收后 7 天内无理由退货，商品需未拆封、不影响二次销售，赠品需一并退回。以下商品不支持无理由退货：生鲜及冷藏冷冻食品、已拆封的食品和个护用品、婴幼儿奶粉、贴身衣物、礼品卡。线上订单在“我的订单—申请售后”提交，门店购买可凭小票到任一门店服务台办理。",
            "Non-fresh items can be returned without a reason within 7 days of delivery, if unopened and resaleable, together with any free gifts. Not eligible: fresh, chilled and frozen food; opened food and personal-care products; infant formula; underwear; gift cards. For online orders use My Orders → After-sales; for store purchases bring the receipt to the service desk of any store.",
        ),
    },
    Entry {
        id: "kb-fresh-returns",
        topic: "returns",
        tags: &["生鲜", "质量问题", "坏果", "fresh", "quality"],
        title: ("生鲜商品有质量问题怎么办？", "What if fresh food arrives damaged or spoiled?"),
        body: (
            "生鲜商品不支持无理由退货，但如有腐烂、变质、破损、缺斤少两，请在签收后 24 小时内（水果 48 小时内）在App提交照片申请售后，核实后全额退款，无需退回商品。门店购买的生鲜商品请当天凭小票到服务台处理。",
            "Fresh food cannot be returned without a reason, but if it is rotten, spoiled, damaged or underweight, submit photos in the app within 24 hours of delivery (48 hours for fruit). Once verified we refund in full and you keep the item. For fresh food bought in store, bring it with the receipt to the service desk the same day.",
        ),
    },
    Entry {
        id: "kb-refunds",
        topic: "returns",
        tags: &["退款", "到账", "refund"],
        title: ("退款多久到账？", "How long does a refund take?"),
        body: (
            "退款原路退回：微信支付、支付宝一般 1–3 个工作日到账，银行卡 3–7 个工作日，礼品卡余额即时退回。使用的优惠券如未过期将退回账户，已获得的积分会相应扣除。",
            "Refunds go back to the original payment method: WeChat Pay and Alipay usually within 1–3 working days, bank cards within 3–7, gift-card balances at once. Unexpired coupons used on the order are returned to your account, and points earned on it are deducted.",
        ),
    },
    Entry {
        id: "kb-exchanges",
        topic: "returns",
        tags: &["换货", "尺码", "exchange"],
        title: ("可以换货吗？", "Can I exchange an item?"),
        body: (
            "未拆封的非生鲜商品可在 7 天内到任一门店换同价或补差价换购其他商品，例如纸尿裤尺码不合适可直接换码。线上订单暂不支持上门换货，请先申请退货再重新下单。",
            "Unopened non-fresh items can be exchanged at any store within 7 days for an item of the same price, or another item paying the difference — for example a different nappy size. Online orders cannot be exchanged at the door: return the item and place a new order.",
        ),
    },
    Entry {
        id: "kb-membership-tiers",
        topic: "membership",
        tags: &["会员", "等级", "银卡", "金卡", "铂金", "membership", "tier"],
        title: ("会员等级有哪些？怎么升级？", "What are the membership tiers and how do I move up?"),
        body: (
            "会员分为普通、银卡、金卡、铂金四个等级，按近 12 个月累计消费自动评定：满 ¥2,000 为银卡，满 ¥8,000 为金卡，满 ¥20,000 为铂金。银卡积分 1.2 倍，金卡 1.5 倍并每月 4 次免配送费，铂金 2 倍并享专属客服和生日礼。等级每月 1 日更新。",
            "Membership has four tiers — Regular, Silver, Gold and Platinum — based on spend over the last 12 months: ¥2,000 for Silver, ¥8,000 for Gold, ¥20,000 for Platinum. Silver earns 1.2× points, Gold 1.5× plus four free deliveries a month, Platinum 2× plus a dedicated service line and a birthday gift. Tiers are updated on the 1st of each month.",
        ),
    },
    Entry {
        id: "kb-points",
        topic: "membership",
        tags: &["积分", "抵现", "points"],
        title: ("积分怎么获得和使用？", "How do I earn and use points?"),
        body: (
            "每消费 ¥1 获得 1 积分（按会员等级加倍），线上线下通用。100 积分可抵扣 ¥1，单笔最多抵扣订单金额的 50%。积分有效期为获得当年及次年的 12 月 31 日。退货时相应积分会被扣回。",
            "You earn 1 point per ¥1 spent (multiplied by your tier), online and in store. 100 points are worth ¥1 off, up to 50% of an order. Points expire on 31 December of the year after they were earned. Points from returned items are deducted.",
        ),
    },
    Entry {
        id: "kb-payment-methods",
        topic: "payment",
        tags: &["支付", "微信支付", "支付宝", "银联", "payment"],
        title: ("支持哪些付款方式？", "Which payment methods do you accept?"),
        body: (
            "线上支持微信支付、支付宝、银联卡和礼品卡，可组合使用礼品卡与其他方式。门店另支持现金、数字人民币和刷脸支付。下单后 15 分钟内未支付的订单将自动取消。",
            "Online we accept WeChat Pay, Alipay, UnionPay cards and gift cards; a gift card can be combined with another method. Stores also take cash, digital yuan (e-CNY) and face payment. Orders not paid within 15 minutes are cancelled automatically.",
        ),
    },
    Entry {
        id: "kb-invoices",
        topic: "invoice",
        tags: &["发票", "电子发票", "增值税", "invoice", "fapiao"],
        title: ("如何开发票？", "How do I get an invoice (fapiao)?"),
        body: (
            "订单完成后 30 天内可在“我的订单—申请开票”开具增值税电子普通发票，填写个人或单位抬头及税号，1 个工作日内发送至邮箱。单位需要增值税专用发票请联系人工客服提供开票信息。门店购物请凭小票到服务台或扫描小票二维码开票。退货后发票将作废或红冲。",
            "Within 30 days of completion, request an electronic VAT general invoice under My Orders → Request invoice, with a personal or company title and tax number; it is emailed within one working day. Companies needing a special VAT invoice should contact a human agent with their billing details. For store purchases, scan the QR code on the receipt or ask at the service desk. Returned items void or reverse the invoice.",
        ),
    },
    Entry {
        id: "kb-price-protection",
        topic: "pricing",
        tags: &["价保", "降价", "差价", "price protection"],
        title: ("买贵了可以退差价吗？", "Do you refund the difference if the price drops?"),
        body: (
            "线上非生鲜商品享 7 天价格保护：签收后 7 天内同一商品降价，可在订单页申请退差价，差额退回原支付方式。限时秒杀、会员专享价、优惠券抵扣部分以及 618、双11 预售定金不参与价保。",
            "Non-fresh items bought online have 7-day price protection: if the same item gets cheaper within 7 days of delivery, claim the difference on the order page and it is refunded to your payment method. Flash sales, member-only prices, coupon discounts and 618 or Double 11 pre-sale deposits are excluded.",
        ),
    },
    Entry {
        id: "kb-coupons",
        topic: "coupons",
        tags: &["优惠券", "满减", "coupon"],
        title: ("优惠券怎么用？可以叠加吗？", "How do coupons work? Can I combine them?"),
        body: (
            "优惠券在结算页自动显示，可选择一张使用。满减券需订单满足门槛金额，品类券仅限指定品类。每单限用一张平台券，可与商品促销价同时使用，但不能与其他平台券叠加。优惠券过期作废，不可兑现。",
            "Coupons appear automatically at checkout; choose one. Spend-threshold coupons need the order to reach the threshold; category coupons apply only to that category. One platform coupon per order: it combines with promotional prices but not with another coupon. Expired coupons cannot be used or exchanged for cash.",
        ),
    },
    Entry {
        id: "kb-order-cancellation",
        topic: "orders",
        tags: &["取消订单", "cancel", "order"],
        title: ("怎么取消订单？", "How do I cancel an order?"),
        body: (
            "订单在“拣货中”之前可在“我的订单”中直接取消，已付款项原路退回。开始配送后无法取消，可签收后申请退货（生鲜商品除外）。未付款订单 15 分钟后自动取消。",
            "You can cancel under My Orders until picking starts; any payment is refunded to the original method. Once the order is out for delivery it cannot be cancelled — accept it and request a return instead (not possible for fresh food). Unpaid orders are cancelled automatically after 15 minutes.",
        ),
    },
    Entry {
        id: "kb-out-of-stock",
        topic: "orders",
        tags: &["缺货", "替换", "out of stock", "substitution"],
        title: ("商品缺货了怎么办？", "What happens if an item is out of stock?"),
        body: (
            "下单时可选择缺货处理方式：“联系我”“同类替换”或“直接退款”。拣货时发现缺货，将按您的选择处理，缺货部分的款项原路退回。商品页可点击“到货提醒”，补货后会通过您允许的渠道通知您。",
            "At checkout choose what we do if something is out of stock: call you, substitute a similar item, or refund it. The missing part of the order is refunded to your payment method. On a product page tap Notify me to be told, on the channels you allowed, when it is back.",
        ),
    },
    Entry {
        id: "kb-contact",
        topic: "contact",
        tags: &["客服", "人工", "投诉", "contact", "agent"],
        title: ("怎么联系人工客服？", "How do I reach a human agent?"),
        body: (
            "在App或小程序点击“我的—联系客服”，智能客服 24 小时在线；输入“转人工”即可在 08:00–22:00 接入人工客服。铂金会员享专属客服通道。投诉和建议会在 24 小时内回复。",
            "In the app or mini-program go to Me → Customer service: the assistant answers around the clock, and typing \"human agent\" connects you to a person between 08:00 and 22:00. Platinum members have a dedicated line. Complaints and suggestions are answered within 24 hours.",
        ),
    },
    Entry {
        id: "kb-parking",
        topic: "store_services",
        tags: &["停车", "parking"],
        title: ("门店可以停车吗？", "Is there parking at the stores?"),
        body: (
            "大型门店（如徐家汇店、五角场店、莘庄店）设有停车场：当日购物满 ¥100 免费停车 2 小时，满 ¥300 免费 3 小时，凭小票在服务台或扫码登记车牌。社区小型门店不设停车场，可使用附近公共停车位。",
            "Large stores (such as Xujiahui, Wujiaochang and Xinzhuang) have car parks: spend ¥100 that day for 2 hours' free parking, ¥300 for 3 hours — register your plate at the service desk or by scanning the code on the receipt. Small neighbourhood stores have no car park; use nearby public parking.",
        ),
    },
    Entry {
        id: "kb-gift-cards",
        topic: "gift_cards",
        tags: &["礼品卡", "购物卡", "gift card"],
        title: ("礼品卡怎么购买和使用？", "How do gift cards work?"),
        body: (
            "礼品卡面值 ¥100–¥5,000，可在门店服务台或App购买，线上线下通用，有效期 3 年。礼品卡不记名、不挂失、不兑换现金，购买礼品卡不开具发票，使用礼品卡消费时开票。企业团购请联系人工客服。",
            "Gift cards from ¥100 to ¥5,000 are sold at store service desks and in the app, work online and in store, and are valid for 3 years. They are bearer cards: they cannot be reported lost or exchanged for cash. No invoice is issued when buying a card; the invoice comes with the purchases paid by it. Companies buying in bulk should contact a human agent.",
        ),
    },
    Entry {
        id: "kb-allergens",
        topic: "product_info",
        tags: &["过敏原", "配料", "保质期", "allergens", "ingredients"],
        title: ("在哪里查看过敏原和保质期？", "Where can I find allergens and shelf life?"),
        body: (
            "商品详情页的“规格参数”列出产地、规格、储存方式和过敏原信息（如小麦、牛奶、鸡蛋、花生、坚果、大豆、甲壳类），生鲜和冷藏商品标注保质期。请以实物包装标签为准；如有严重过敏，购买前可联系客服或咨询门店员工。",
            "The Specifications section of each product page lists origin, size, storage and allergens (such as wheat, milk, egg, peanut, tree nuts, soy, crustaceans); fresh and chilled items show their shelf life. The label on the pack is authoritative; if you have a serious allergy, ask customer service or store staff before buying.",
        ),
    },
    Entry {
        id: "kb-account-login",
        topic: "account",
        tags: &["账号", "登录", "密码", "验证码", "注销", "account", "login", "password", "code"],
        title: (
            "登录不了、收不到验证码或忘记密码怎么办？",
            "I can't log in, get no verification code, or forgot my password",
        ),
        body: (
            "请确认手机号填写正确，并检查手机是否拦截了短信；验证码 60 秒后可重新获取，每天最多 10 次。忘记密码可在登录页点“忘记密码”用手机验证码重置。更换手机号请在“我的—账号与安全”中操作，原号码无法接收短信时请联系人工客服核实身份。注销账号前请先处理完未完成的订单和退款。",
            "Check that the phone number is right and that your phone is not blocking our text messages; you can request a new code after 60 seconds, up to 10 times a day. If you forgot your password, tap Forgot password on the login page to reset it with a text code. Change your phone number under Me → Account & security; if the old number can no longer receive texts, a human agent will verify your identity. Settle open orders and refunds before closing your account.",
        ),
    },
    Entry {
        id: "kb-store-pickup",
        topic: "orders",
        tags: &["自提", "门店自提", "pickup"],
        title: ("可以线上下单门店自提吗？", "Can I order online and pick up in store?"),
        body: (
            "可以。结算时选择“门店自提”和自提门店，免配送费，付款后约 1 小时可提货，凭取货码到服务台领取。自提订单保留至当天闭店（22:00），冷藏冷冻商品请尽快取走。",
            "Yes. Choose Store pickup and a store at checkout: there is no delivery fee, the order is ready about an hour after payment, and you collect it at the service desk with your pickup code. Pickup orders are held until closing time (22:00) the same day; collect chilled and frozen items promptly.",
        ),
    },
];

pub(crate) fn build() -> Vec<KbArticle> {
    ENTRIES
        .iter()
        .map(|e| KbArticle {
            external_id: e.id.into(),
            topic: e.topic.into(),
            title: Text::new(e.title.0, e.title.1),
            body: Text::new(e.body.0, e.body.1),
            tags: e.tags.iter().map(|t| (*t).to_string()).collect(),
            published: true,
        })
        .collect()
}
