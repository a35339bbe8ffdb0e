//! The console's two languages. Every label is a key in [`CATALOG`] with its
//! English and Chinese text; tests check that every key the templates and page
//! builders use is there, so no label is left untranslated.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{HeaderMap, header};
use retail_domain::Text;

pub const LANG_COOKIE: &str = "retail_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    /// The short code used in URLs and the cookie.
    pub fn short(self) -> &'static str {
        match self {
            Self::Zh => "zh",
            Self::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "zh" | "zh-CN" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The cookie the user chose, else the best match in `Accept-Language`,
    /// else Chinese (the platform's main audience).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        if let Some(lang) = crate::access::cookie(headers, LANG_COOKIE).and_then(Self::parse) {
            return lang;
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Self::from_accept_language(accept).unwrap_or(Self::Zh)
    }

    fn from_accept_language(accept: &str) -> Option<Self> {
        let mut best: Option<(f32, Self)> = None;
        for part in accept.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("zh") => Self::Zh,
                Some("en") => Self::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    pub fn t(self, key: &str) -> &'static str {
        static INDEX: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
        let index = INDEX.get_or_init(|| CATALOG.iter().map(|(k, en, zh)| (*k, (*en, *zh))).collect());
        match (index.get(key), self) {
            (Some((en, _)), Self::En) => en,
            (Some((_, zh)), Self::Zh) => zh,
            // Tests keep this from happening; showing the key beats failing the page.
            (None, _) => "?",
        }
    }

    /// The user's language version of a bilingual text, falling back to the other.
    pub fn pick(self, text: &Text) -> String {
        let (first, second) = match self {
            Self::Zh => (&text.zh, &text.en),
            Self::En => (&text.en, &text.zh),
        };
        if first.is_empty() { second.clone() } else { first.clone() }
    }
}

/// (key, English, Chinese)
pub static CATALOG: &[(&str, &str, &str)] = &[
    ("app.name", "Retail AI Console", "零售智能控制台"),
    (
        "app.tagline",
        "Recommendations, forecasting, service and supply chain in one place",
        "推荐、预测、客服与供应链,一站管理",
    ),
    ("nav.section.business", "Business", "业务"),
    ("nav.section.admin", "Administration", "系统管理"),
    ("nav.overview", "Overview", "经营概览"),
    ("nav.products", "Products", "商品"),
    ("nav.customers", "Customers", "客户"),
    ("nav.orders", "Orders", "订单"),
    ("nav.stores", "Stores", "门店"),
    ("nav.inventory", "Inventory", "库存"),
    ("nav.suppliers", "Suppliers", "供应商"),
    ("nav.section.planning", "Planning", "计划"),
    ("nav.forecasts", "Demand forecasts", "需求预测"),
    ("nav.replenishment", "Replenishment", "智能补货"),
    ("nav.analysis", "Inventory analysis", "库存分析"),
    (
        "plan.analysis_subtitle",
        "ABC by sales value, XYZ by how steady weekly demand is; what runs out before a new order arrives, what sits, what will expire",
        "ABC 按销售额、XYZ 按周需求稳定性分类；哪些会在补货到达前断货、哪些积压、哪些将过期",
    ),
    ("plan.products", "Products", "商品数"),
    ("plan.stock_value", "Stock value", "库存金额"),
    ("plan.turnover", "Turns per year", "年周转次数"),
    ("plan.turnover_hint", "Cost of the year's sales / stock value", "全年销售成本 / 库存金额"),
    ("plan.stockout_risk", "Stock-out risk: cover shorter than the lead time", "断货风险：可售天数短于交期"),
    ("plan.overstock", "Overstock: more than 90 days of cover", "库存积压：可售超过 90 天"),
    ("plan.expiry_risk", "Expiry risk: more stock than sells within shelf life", "过期风险：保质期内卖不完"),
    ("plan.abc", "ABC (value)", "ABC（销售额）"),
    ("plan.xyz", "XYZ (steadiness)", "XYZ（稳定性）"),
    ("plan.value_share", "Share of sales value", "销售额占比"),
    ("plan.stock_share", "Share of stock value", "库存金额占比"),
    ("plan.matrix", "ABC × XYZ", "ABC × XYZ 矩阵"),
    ("plan.value_vs_stock", "Sales value against stock value by class", "各类别销售额与库存金额占比"),
    ("plan.class", "Class", "类别"),
    ("plan.percent", "%", "%"),
    ("plan.daily_rate", "Sold per day", "日均销量"),
    ("plan.lead_time", "Lead time (days)", "交期(天)"),
    ("plan.shelf_life", "Shelf life (days)", "保质期(天)"),
    (
        "plan.forecasts_subtitle",
        "Every store × product forecast each night from the sales, summed up the hierarchy, with intervals and accuracy against what sold",
        "每晚根据销售为每个门店 × 商品预测需求，逐级汇总，附预测区间及与实际销量的对比准确率",
    ),
    ("plan.run_now", "Run the forecast now", "立即运行预测"),
    (
        "plan.no_runs",
        "No forecast has run yet. Run it now, or wait for the nightly job.",
        "尚未运行预测。可立即运行，或等待每晚的定时任务。",
    ),
    ("plan.latest_run", "Latest run", "最近一次运行"),
    ("plan.as_of", "History up to", "历史数据截至"),
    ("plan.series", "Series forecast", "预测序列数"),
    ("plan.run_of", "run of", "评估对象：运行于"),
    ("plan.suggestions", "Suggestions", "补货建议"),
    ("plan.exceptions", "exceptions", "条例外"),
    ("plan.level", "Level", "层级"),
    ("plan.level.total", "Whole chain", "全渠道合计"),
    ("plan.level.location", "Store", "门店"),
    ("plan.level.category_location", "Store × category", "门店 × 品类"),
    ("plan.level.product_location", "Store × product", "门店 × 商品"),
    ("plan.level.category", "Category", "品类"),
    ("plan.level.product", "Product", "商品"),
    ("plan.accuracy.product_location_day", "Accuracy, store × product × day", "准确率：门店×商品×日"),
    ("plan.accuracy.product_location_week", "Accuracy, store × product × week", "准确率：门店×商品×周"),
    ("plan.accuracy.category_location_week", "Accuracy, store × category × week", "准确率：门店×品类×周"),
    ("plan.accuracy.location_week", "Accuracy, store × week", "准确率：门店×周"),
    ("plan.accuracy.total_week", "Accuracy, chain × week", "准确率：全渠道×周"),
    ("plan.pattern.smooth", "Smooth", "平稳"),
    ("plan.pattern.erratic", "Erratic", "波动"),
    ("plan.pattern.intermittent", "Intermittent", "间歇"),
    ("plan.pattern.lumpy", "Lumpy", "块状"),
    ("plan.pattern.new", "New", "新品"),
    ("plan.pattern.inactive", "Inactive", "无动销"),
    ("plan.fan_chart", "Sales and forecast", "销量与预测"),
    ("plan.actual", "Sold", "实际销量"),
    ("plan.forecast", "Forecast", "预测"),
    ("plan.interval", "Interval", "预测区间"),
    ("plan.series_at", "Forecasts", "预测明细"),
    ("plan.series_key", "Series (click to drill down)", "序列（点击下钻）"),
    ("plan.last_7", "Last 7 days", "近 7 天销量"),
    ("plan.next_7", "Next 7 days", "未来 7 天预测"),
    ("plan.next_28", "Next 28 days", "未来 28 天预测"),
    ("plan.day1_range", "Tomorrow, 80 % interval", "明日 80% 区间"),
    ("plan.model", "Model", "模型"),
    ("plan.series_summed", "series summed", "条序列汇总"),
    (
        "plan.accuracy_over_time",
        "Forecast accuracy over time (1 − WAPE against what sold)",
        "预测准确率走势（1 − WAPE，对比实际销量）",
    ),
    ("plan.run_as_of", "Run (history up to)", "预测运行（数据截至）"),
    ("plan.accuracy_percent", "Accuracy (%)", "准确率(%)"),
    ("plan.days_scored", "Days scored", "已评估天数"),
    ("plan.bias", "Bias", "偏差"),
    (
        "plan.no_accuracy",
        "Accuracy shows once sales have arrived after a run.",
        "运行之后有新的销售数据时才显示准确率。",
    ),
    (
        "plan.replenishment_subtitle",
        "What to order, how much and why: from the forecast, stock, orders on the way and each supplier's terms",
        "订什么、订多少、为什么：依据需求预测、库存、在途订单及供应商条款",
    ),
    ("plan.queue", "Waiting for a decision", "待处理"),
    ("plan.queue_value", "Value of the list", "列表金额"),
    ("plan.exception_hint", "Need a planner: budget, supplier", "需计划员处理：超预算、供应商问题"),
    ("plan.approved_hint", "Ready to become purchase orders", "可生成采购单"),
    ("plan.status.proposed", "Proposed", "待审批"),
    ("plan.status.exception", "Exception", "例外"),
    ("plan.status.approved", "Approved", "已批准"),
    ("plan.status.rejected", "Rejected", "已拒绝"),
    ("plan.status.ordered", "Ordered", "已下单"),
    ("plan.status.superseded", "Superseded", "已被新建议取代"),
    ("plan.quantity", "Quantity", "建议数量"),
    ("plan.value", "Value", "金额"),
    ("plan.position", "Position", "库存头寸"),
    ("plan.safety_stock", "Safety stock", "安全库存"),
    ("plan.cover", "Cover", "可售天数"),
    ("plan.why", "Why", "原因"),
    ("plan.no_suggestions", "No suggestions here.", "暂无补货建议。"),
    ("plan.decide", "Decide", "审批"),
    ("plan.apply", "Apply to the ticked suggestions", "对勾选的建议执行"),
    ("plan.action.approve", "Approve", "批准"),
    ("plan.action.reject", "Reject", "拒绝"),
    ("plan.action.order", "Create purchase orders (approved only)", "生成采购单（仅已批准）"),
    ("plan.exception.above_budget", "above the order budget", "超出订货预算"),
    ("plan.exception.supplier_inactive", "the supplier is inactive", "供应商已停用"),
    ("plan.exception.supplier_unreliable", "the supplier's lead time varies widely", "供应商交期波动大"),
    ("plan.reason.no_demand", "No demand is forecast", "预测无需求"),
    ("plan.reason.zero_lead_time", "Lead time is zero: only safety stock is kept", "交期为零：仅保留安全库存"),
    (
        "plan.reason.below_reorder_point",
        "Position {position} is at or below the reorder point {level}",
        "库存头寸 {position} 不高于再订货点 {level}",
    ),
    (
        "plan.reason.above_reorder_point",
        "Position {position} is above the reorder point {level}",
        "库存头寸 {position} 高于再订货点 {level}",
    ),
    (
        "plan.reason.below_order_up_to",
        "Position {position} is below the order-up-to level {level}",
        "库存头寸 {position} 低于目标库存 {level}",
    ),
    (
        "plan.reason.above_order_up_to",
        "Position {position} reaches the order-up-to level {level}",
        "库存头寸 {position} 已达目标库存 {level}",
    ),
    ("plan.reason.cover_backorders", "Covers {units} units owed to customers", "补足欠客户的 {units} 件"),
    ("plan.reason.order_up_to", "Orders up to {level} units", "补货至 {level} 件"),
    ("plan.reason.eoq", "Economic order quantity {units} sets the level", "经济订货批量 {units} 决定补货量"),
    (
        "plan.reason.packs",
        "{from} rounded up to {units} (whole cases of {pack})",
        "{from} 向上取整为 {units}（整箱，每箱 {pack}）",
    ),
    ("plan.reason.moq", "Raised to the minimum order of {units}", "提高至最小起订量 {units}"),
    (
        "plan.reason.shelf_life",
        "Capped at {units}, what sells within the {days}-day shelf life",
        "上限 {units}：{days} 天保质期内可售出的量",
    ),
    (
        "plan.reason.shelf_life_below_minimum",
        "Only {units} would sell within shelf life, below the minimum order {level}",
        "保质期内仅能售出 {units}，低于最小订货量 {level}",
    ),
    (
        "plan.reason.above_budget",
        "Order value {value} exceeds the budget {budget}",
        "订货金额 {value} 超出预算 {budget}",
    ),
    ("nav.section.growth", "Growth", "增长"),
    ("nav.experiments", "A/B tests", "A/B 实验"),
    ("nav.recommendations", "Recommendations", "智能推荐"),
    (
        "rec.subtitle",
        "Live results per strategy, the strategies and their rules, trained models and why each shopper sees what they see",
        "各策略的实时效果、策略与规则、训练好的模型，以及每位顾客看到每件商品的原因",
    ),
    ("rec.strategy", "Strategy", "策略"),
    ("rec.impressions", "Impressions", "曝光"),
    ("rec.clicks", "Clicks", "点击"),
    ("rec.ctr", "CTR", "点击率"),
    ("rec.ctr_percent", "CTR (%)", "点击率(%)"),
    ("rec.purchases", "Purchases", "购买"),
    ("rec.conversion", "Conversion", "转化率"),
    ("rec.gmv", "GMV", "成交额"),
    ("rec.gmv_per_impression", "GMV per impression", "千次曝光成交额"),
    (
        "rec.no_traffic",
        "No impressions logged yet: storefronts send them back as events with the list's request id.",
        "尚无曝光记录：前台以事件回传列表的请求编号即可统计。",
    ),
    ("rec.live", "Live metrics", "实时效果"),
    ("rec.strategies", "Strategies", "推荐策略"),
    ("rec.sources", "Sources and weights", "召回来源与权重"),
    ("rec.version", "Version", "版本"),
    ("rec.built_in", "built in", "内置"),
    ("rec.new_strategy", "New strategy", "新建策略"),
    ("rec.model_version", "Model version", "模型版本"),
    ("rec.trained_at", "Trained (UTC)", "训练时间(UTC)"),
    ("rec.items", "Products", "商品数"),
    ("rec.shoppers", "Shoppers", "顾客数"),
    ("rec.hr10", "HR@10 (default)", "HR@10(默认策略)"),
    ("rec.ndcg10", "NDCG@10 (default)", "NDCG@10(默认策略)"),
    (
        "rec.no_models",
        "No model trained yet; the first request or “Retrain now” trains one.",
        "尚未训练模型；首次请求或点击“立即重新训练”即可训练。",
    ),
    ("rec.serving", "serving", "服务中"),
    ("rec.models", "Model versions", "模型版本"),
    ("rec.retrain", "Retrain now", "立即重新训练"),
    ("rec.ranking_strategies", "Learnt ranking: strategies", "学习排序：适用策略"),
    ("rec.click_auc", "Click AUC, learnt model", "点击 AUC（学习模型）"),
    ("rec.blend_auc", "Click AUC, blend score", "点击 AUC（融合得分）"),
    ("rec.ranks_by", "Ranks by", "排序依据"),
    ("rec.ranks_by_model", "click model", "点击模型"),
    ("rec.ranks_by_blend", "blend score", "融合得分"),
    (
        "rec.no_ranking",
        "No impressions logged yet: lists rank by the blend score until clicks on them are logged.",
        "尚无曝光记录：在记录到列表点击之前，按融合得分排序。",
    ),
    ("rec.preview", "Why this item? A shopper's list", "为什么推荐？查看某位顾客的推荐列表"),
    ("rec.show", "Show", "查看"),
    (
        "rec.preview_hint",
        "Enter a customer id to see their list and the reason for every item.",
        "输入客户编号，查看其推荐列表及每件商品的推荐理由。",
    ),
    ("rec.position", "#", "序号"),
    ("rec.score", "Score", "得分"),
    ("rec.why", "Why", "推荐理由"),
    ("rec.nothing", "Nothing to recommend under this strategy's rules.", "在该策略的规则下没有可推荐的商品。"),
    ("rec.because_of", "goes with", "关联商品"),
    ("rec.source.popular", "Bestseller", "热销"),
    ("rec.source.trending", "Trending now", "近期飙升"),
    ("rec.source.item_knn", "Bought together by other shoppers", "买了又买"),
    ("rec.source.als", "Matches your taste", "符合您的偏好"),
    ("rec.source.sequential", "Likely next after your recent items", "根据近期浏览预测"),
    ("rec.source.content", "Similar brand and category", "相似品牌与品类"),
    ("rec.source.bundles", "Frequently bought together", "常一起购买"),
    ("rec.objective_click", "Weight of click probability", "点击概率权重"),
    ("rec.objective_conversion", "Weight of purchase probability", "购买概率权重"),
    ("rec.objective_revenue", "Weight of expected revenue", "预期成交额权重"),
    ("rec.rules", "Rules", "业务规则"),
    (
        "rec.in_stock_only",
        "Only products in stock at the shopper's store or for delivery",
        "只推荐顾客门店或配送有货的商品",
    ),
    ("rec.exclude_purchased", "Leave out durables already bought", "不推荐已购买的耐用品"),
    ("rec.max_per_category", "At most this many per category (empty: no cap)", "每个品类最多几件(留空不限)"),
    ("rec.diversity", "Diversity, 0 to 1", "多样性(0 到 1)"),
    ("rec.categories", "Only these categories (ids, comma separated)", "仅限这些品类(编号，逗号分隔)"),
    ("rec.boost", "Boost (PRODUCT:FACTOR, comma separated)", "加权(商品:倍数，逗号分隔)"),
    ("rec.bury", "Bury at the end (product ids)", "置底(商品编号)"),
    ("rec.edit_strategy", "Edit strategy", "编辑策略"),
    (
        "rec.editor_subtitle",
        "Sources and weights, ranking objectives and business rules; saved strategies serve at once and can be A/B tested",
        "召回来源与权重、排序目标和业务规则；保存后立即生效，并可进行 A/B 实验",
    ),
    ("rec.updated", "Last edited", "最近编辑"),
    ("common.days", "days", "天"),
    ("common.description", "Description", "说明"),
    ("common.product", "Product", "商品"),
    (
        "exp.subtitle",
        "Experiments on recommendation strategies, campaigns and features, with a trustworthy statistics engine",
        "针对推荐策略、营销活动和功能的实验，统计引擎经参考实现校验",
    ),
    ("exp.none", "No experiments yet.", "还没有实验。"),
    ("exp.new", "New A/B test of two recommendation strategies", "新建推荐策略 A/B 实验"),
    ("exp.create", "Create as draft", "创建草稿"),
    ("exp.key", "Key", "实验标识"),
    ("exp.surface", "Applies to", "作用对象"),
    ("exp.surface.recommendations", "Recommendations", "推荐"),
    ("exp.surface.campaigns", "Campaigns", "营销活动"),
    ("exp.surface.feature", "Feature", "功能"),
    ("exp.status.draft", "Draft", "草稿"),
    ("exp.status.running", "Running", "运行中"),
    ("exp.status.stopped", "Stopped", "已停止"),
    ("exp.status.shipped", "Shipped", "已全量"),
    ("exp.variants", "Variants", "实验组"),
    ("exp.variant", "Variant", "实验组"),
    ("exp.started", "Started", "开始时间"),
    ("exp.stopped", "Stopped", "停止时间"),
    ("exp.created_by", "Created by", "创建人"),
    ("exp.unit", "Randomisation unit", "分流单位"),
    ("exp.about", "Experiment", "实验信息"),
    ("exp.control_strategy", "Control strategy", "对照组策略"),
    ("exp.treatment_strategy", "Treatment strategy", "实验组策略"),
    ("exp.treatment_share", "Treatment share (%)", "实验组流量占比(%)"),
    ("exp.coverage_percent", "Traffic in the experiment (%)", "参与实验的流量(%)"),
    ("exp.percent_expected", "enter a percentage, e.g. 50", "请输入百分比，例如 50"),
    ("exp.primary_metric", "Primary metric", "主要指标"),
    ("exp.guardrail_metric", "Guardrail metric", "护栏指标"),
    ("exp.metric.click_through", "Click-through (share of customers who clicked)", "点击率(点击过的客户占比)"),
    ("exp.metric.add_to_cart_rate", "Add-to-cart rate", "加购率"),
    ("exp.metric.conversion", "Conversion", "转化率"),
    ("exp.metric.revenue_per_unit", "Revenue per customer (¥)", "人均销售额(元)"),
    ("exp.metric.clicks_per_impression", "Clicks per impression", "曝光点击率"),
    ("exp.analysis", "Analysis", "分析方法"),
    ("exp.analysis.sequential", "Sequential (safe to check daily)", "序贯检验(可每日查看)"),
    ("exp.analysis.fixed_horizon", "Fixed horizon (read once at the end)", "固定样本(仅在结束时读取)"),
    ("exp.analysis.bayesian", "Bayesian (chance to win)", "贝叶斯(胜出概率)"),
    ("exp.start", "Start", "开始实验"),
    ("exp.stop", "Stop", "停止实验"),
    (
        "exp.stop_confirm",
        "Stop the experiment? Its results freeze now and it cannot be restarted.",
        "确定停止实验？结果将就此冻结，且不能重新开始。",
    ),
    ("exp.ship", "Ship to everyone", "全量发布"),
    ("exp.ship_confirm", "Give every customer this variant from now on?", "从现在起所有客户都使用该组？"),
    ("exp.set_coverage", "Change traffic", "调整流量"),
    ("exp.simulate", "Send simulated traffic", "发送模拟流量"),
    (
        "exp.simulate_hint",
        "Demo: known customers visit over the past days, get lists from the assigned strategy and click by their own taste; the events go through the real ingestion.",
        "演示：老客户在过去几天访问，获得所分配策略的推荐列表，并按自身偏好点击；事件走真实的采集流程。",
    ),
    ("exp.simulate_limit", "At most 20,000 simulated customers at once.", "一次最多模拟 20,000 位客户。"),
    ("exp.sim_customers", "Customers", "客户数"),
    ("exp.sim_days", "Days", "天数"),
    ("exp.verdict", "Verdict", "结论"),
    (
        "exp.verdict.srm",
        "The customers are not split as planned (SRM p = {p}). Find the cause before trusting any result.",
        "分流比例与计划不符(SRM p = {p})。查明原因前，任何结果都不可信。",
    ),
    ("exp.verdict.no_data", "Not enough data yet to compare the variants.", "数据尚不足以比较各组。"),
    (
        "exp.verdict.winner",
        "{variant} wins on {metric}: {lift}, and no guardrail got worse.",
        "{variant} 在「{metric}」上胜出：{lift}，且护栏指标未变差。",
    ),
    (
        "exp.verdict.winner_harm",
        "{variant} wins on {metric} ({lift}) but makes the guardrail {guardrail} worse.",
        "{variant} 在「{metric}」上胜出({lift})，但护栏指标「{guardrail}」变差了。",
    ),
    ("exp.verdict.control", "The control beats every variant on {metric}.", "对照组在「{metric}」上优于所有实验组。"),
    (
        "exp.verdict.inconclusive",
        "No decisive difference yet after {units} customers; keep it running.",
        "已有 {units} 位客户，尚无决定性差异；请继续运行。",
    ),
    ("exp.traffic", "Traffic", "流量"),
    ("exp.planned", "Planned", "计划占比"),
    ("exp.units", "Customers", "客户数"),
    ("exp.exposures", "Exposures", "曝光次数"),
    ("exp.srm_ok", "The split matches the plan (SRM p = {p}).", "分流比例符合计划(SRM p = {p})。"),
    (
        "exp.srm_bad",
        "Sample ratio mismatch (p = {p}): the split differs from the plan.",
        "样本比例失衡(p = {p})：分流与计划不符。",
    ),
    (
        "exp.multiple_exposures",
        "{n} customers saw more than one variant and are left out (e.g. {examples}).",
        "{n} 位客户看到了多个组，已排除(例如 {examples})。",
    ),
    ("exp.metrics", "Metrics", "指标"),
    ("exp.metric", "Metric", "指标"),
    ("exp.role", "Role", "类型"),
    ("exp.role.primary", "Primary", "主要"),
    ("exp.role.secondary", "Secondary", "次要"),
    ("exp.role.guardrail", "Guardrail", "护栏"),
    ("exp.control_mean", "Control", "对照组"),
    ("exp.variant_mean", "Variant", "实验组"),
    ("exp.lift", "Lift", "提升"),
    ("exp.lower", "lower bound", "下限"),
    ("exp.upper", "upper bound", "上限"),
    ("exp.lift_percent", "Lift (%)", "提升(%)"),
    ("exp.interval", "95% interval", "95% 区间"),
    ("exp.p_value", "p (adjusted)", "p 值(校正后)"),
    ("exp.chance_to_win", "Chance to win", "胜出概率"),
    ("exp.result", "Result", "结果"),
    ("exp.better", "Better", "更好"),
    ("exp.worse", "Worse", "更差"),
    ("exp.no_difference", "No clear difference", "无明显差异"),
    ("exp.cumulative_lift", "Cumulative lift with its always-valid interval", "累计提升及其始终有效区间"),
    ("nav.users", "Users", "用户"),
    ("nav.keys", "API keys", "API 密钥"),
    ("nav.audit", "Audit log", "审计日志"),
    ("nav.health", "Service health", "服务健康"),
    ("nav.docs", "API docs", "API 文档"),
    ("nav.logout", "Sign out", "退出登录"),
    ("nav.language", "中文", "English"),
    ("login.title", "Sign in", "登录"),
    ("login.username", "Username", "用户名"),
    ("login.password", "Password", "密码"),
    ("login.submit", "Sign in", "登录"),
    ("login.bad_credentials", "Wrong username or password.", "用户名或密码错误。"),
    ("login.locked", "Too many failed attempts; this account is locked until", "失败次数过多,账户已锁定至"),
    ("login.expired_form", "The form expired; please try again.", "表单已过期,请重试。"),
    (
        "login.rate_limited",
        "Too many sign-in attempts from your address; wait a minute.",
        "该地址登录尝试过多,请稍候一分钟。",
    ),
    ("error.forbidden.title", "Not allowed", "无权访问"),
    (
        "error.forbidden.body",
        "Your role does not allow this page or action. Ask an administrator if you need it.",
        "您的角色无权访问此页面或操作。如需权限,请联系管理员。",
    ),
    ("error.not_found", "Not found", "未找到"),
    ("error.failed", "Something went wrong", "出现错误"),
    ("common.search", "Search", "搜索"),
    ("common.filter", "Filter", "筛选"),
    ("common.all", "All", "全部"),
    ("common.next", "Next page", "下一页"),
    ("common.first", "First page", "第一页"),
    ("common.none", "Nothing to show.", "暂无数据。"),
    ("common.id", "ID", "编号"),
    ("common.name", "Name", "名称"),
    ("common.status", "Status", "状态"),
    ("common.city", "City", "城市"),
    ("common.created", "Created", "创建时间"),
    ("common.actions", "Actions", "操作"),
    ("common.save", "Save", "保存"),
    ("common.yes", "Yes", "是"),
    ("common.no", "No", "否"),
    ("common.day", "Date", "日期"),
    ("common.revenue_yuan", "Revenue (¥)", "销售额(元)"),
    ("common.units", "Units sold", "销量(件)"),
    ("common.orders", "Orders", "订单数"),
    ("common.last_days", "Last 30 days of data", "最近 30 天数据"),
    ("common.signed_in_as", "Signed in as", "当前用户"),
    ("common.role", "Role", "角色"),
    ("common.back", "Back", "返回"),
    ("audit.action", "Action", "操作"),
    ("audit.actor", "Who", "操作人"),
    ("audit.ip", "Address", "来源地址"),
    ("audit.request", "Request id", "请求编号"),
    (
        "audit.subtitle",
        "Administrative and data-changing actions: who, what and when, newest first.",
        "管理与数据变更操作:谁、做了什么、何时,最新在前。",
    ),
    ("audit.target", "Target", "对象"),
    ("audit.when", "When (UTC)", "时间(UTC)"),
    ("customer.detail_subtitle", "Profile, consent and purchase history.", "客户资料、授权与购买记录。"),
    ("customer.email", "Email", "邮箱"),
    ("customer.home_store", "Home store", "常去门店"),
    ("customer.lifetime_spend", "Lifetime spend", "累计消费"),
    ("customer.marketing_consent", "Personalisation consent", "个性化授权"),
    ("customer.month", "Month", "月份"),
    ("customer.phone", "Phone", "电话"),
    ("customer.profile", "Profile", "客户资料"),
    ("customer.registered", "Registered", "注册日期"),
    ("customer.spend", "Spend", "消费额"),
    ("customer.spend_by_month", "Spend by month", "月度消费"),
    (
        "customer.subtitle",
        "Search members by name, phone or id; filter by tier and home store.",
        "按姓名、电话或编号搜索会员,可按等级和常去门店筛选。",
    ),
    ("customer.tier", "Tier", "会员等级"),
    ("health.backend", "Backend", "后端"),
    ("health.backends", "Backends", "后端服务"),
    ("health.busiest", "Busiest routes", "访问最多的接口"),
    ("health.client_errors", "4xx", "4xx 错误"),
    ("health.component", "Component", "组件"),
    ("health.detail", "Detail", "详情"),
    ("health.down", "Down", "故障"),
    ("health.job", "Job", "任务"),
    ("health.jobs", "Background jobs", "后台任务"),
    ("health.mean_ms", "Mean latency (ms)", "平均延迟(毫秒)"),
    ("health.ok", "Healthy", "正常"),
    ("health.requests", "Requests", "请求数"),
    ("health.route", "Route", "接口"),
    ("health.running", "Running", "运行中"),
    ("health.server_errors", "5xx", "5xx 错误"),
    ("health.stopped", "Stopped", "已停止"),
    (
        "health.subtitle",
        "Database, cache, bus and background jobs, and traffic since this server started.",
        "数据库、缓存、消息总线与后台任务,以及本服务启动以来的流量。",
    ),
    ("health.traffic", "Traffic by route", "各接口流量"),
    ("health.database", "Database", "数据库"),
    ("health.cache", "Cache", "缓存"),
    ("health.bus", "Event bus", "消息总线"),
    ("keys.bad_expiry", "Expiry must be a whole number of days, 1 or more.", "有效期须为不小于 1 的整数天。"),
    ("keys.create", "Create an API key", "创建 API 密钥"),
    ("keys.created", "Created key", "已创建密钥"),
    ("keys.created_by", "Created by", "创建人"),
    ("keys.expired", "Expired", "已过期"),
    ("keys.expires", "Expires", "过期时间"),
    ("keys.expires_days", "Expires in (days, optional)", "有效天数(可选)"),
    ("keys.id", "Key id", "密钥编号"),
    ("keys.last_used", "Last used", "最近使用"),
    ("keys.none", "No API keys yet.", "暂无 API 密钥。"),
    ("keys.revoke", "Revoke", "吊销"),
    (
        "keys.revoke_confirm",
        "Revoke this key? Clients using it stop working at once.",
        "确定吊销此密钥?使用它的客户端将立即失效。",
    ),
    ("keys.revoked", "Revoked", "已吊销"),
    ("keys.scopes", "Scopes", "权限范围"),
    (
        "keys.subtitle",
        "Keys for scripts and storefronts. Only a hash is stored: copy a new key when it is shown, it cannot be shown again.",
        "用于脚本与店面的密钥。系统只保存哈希值:新密钥仅显示一次,请立即复制。",
    ),
    ("order.address", "Delivery address", "收货地址"),
    ("order.change_confirm", "Change this order's status?", "确定修改该订单状态?"),
    ("order.change_status", "Change status", "修改状态"),
    ("order.channel", "Channel", "渠道"),
    ("order.customer", "Customer", "客户"),
    ("order.discount", "Discount", "折扣"),
    ("order.line_total", "Line total", "小计"),
    ("order.lines", "Items", "商品明细"),
    ("order.new_status", "New status", "新状态"),
    ("order.placed_at", "Placed at", "下单时间"),
    ("order.product", "Product", "商品"),
    ("order.quantity", "Quantity", "数量"),
    ("order.store", "Store", "门店"),
    (
        "order.subtitle",
        "Online and in-store orders; filter by status, channel and store.",
        "线上与门店订单,可按状态、渠道和门店筛选。",
    ),
    ("order.summary", "Summary", "概要"),
    ("order.title", "Order", "订单"),
    ("order.total", "Total", "金额"),
    ("order.unit_price", "Unit price", "单价"),
    ("order.walk_in", "Walk-in", "散客"),
    ("order.placed", "Placed", "已下单"),
    ("order.paid", "Paid", "已支付"),
    ("order.picked", "Picked", "已拣货"),
    ("order.shipped", "Shipped", "已发货"),
    ("order.delivered", "Delivered", "已送达"),
    ("order.cancelled", "Cancelled", "已取消"),
    ("order.returned", "Returned", "已退货"),
    ("order.channel.online", "Online", "线上"),
    ("order.channel.store", "In store", "门店"),
    ("overview.alerts", "Stock alerts", "库存预警"),
    ("overview.basket", "Average order", "客单价"),
    ("overview.basket_hint", "Revenue per order, at locations that take orders", "接单门店(含线上)的每单平均销售额"),
    ("overview.by_category", "Revenue by category", "各品类销售额"),
    (
        "overview.limited",
        "Your role has no access to sales figures; use the menu for the pages you can open.",
        "您的角色无权查看销售数据,请通过左侧菜单访问可用页面。",
    ),
    ("overview.recent_orders", "Recent orders", "最新订单"),
    ("overview.revenue", "Revenue", "销售额"),
    ("overview.sales_by_day", "Sales by day", "每日销售"),
    ("overview.store_comparison", "Store comparison", "门店对比"),
    ("overview.top_products", "Top products by revenue", "畅销商品(按销售额)"),
    ("overview.top_products_table", "Top products", "畅销商品"),
    ("overview.vs_previous", "vs previous 30 days", "较前 30 天"),
    ("product.brand", "Brand", "品牌"),
    ("product.category", "Category", "品类"),
    ("product.cost", "Cost", "成本"),
    ("product.detail_subtitle", "Master data, sales history and stock by store.", "商品主数据、销售历史与各门店库存。"),
    ("product.facts", "Product", "商品信息"),
    ("product.pack", "Pack size", "包装规格"),
    ("product.price", "Price", "售价"),
    ("product.sales_history", "Sales history", "销售历史"),
    ("product.shelf_life", "Shelf life", "保质期"),
    ("product.stock_by_store", "Stock by store", "各门店库存"),
    (
        "product.subtitle",
        "Search by name, brand or id; filter by category and status.",
        "按名称、品牌或编号搜索,可按品类和状态筛选。",
    ),
    ("product.supplier", "Supplier", "供应商"),
    ("product.status.active", "Active", "在售"),
    ("product.status.draft", "Draft", "草稿"),
    ("product.status.discontinued", "Discontinued", "已停售"),
    ("stock.alert", "Alert", "预警"),
    ("stock.available", "Available", "可用"),
    ("stock.daily_sales", "Daily sales (28-day avg)", "日均销量(28 天)"),
    ("stock.days_cover", "Days of cover", "可售天数"),
    ("stock.low", "Low stock", "库存不足"),
    ("stock.low_count", "Low-stock items", "缺货风险商品"),
    ("stock.low_hint", "Less than 3 days of cover", "可售不足 3 天"),
    ("stock.no_alerts", "No stock alerts.", "暂无库存预警。"),
    ("stock.on_hand", "On hand", "在库"),
    ("stock.on_hand_units", "On hand (units)", "在库(件)"),
    ("stock.out_of_stock", "Out of stock", "缺货 SKU"),
    ("stock.out_of_stock_hint", "Selling items with nothing on hand", "有销量但无库存的商品"),
    ("stock.over", "Overstock", "库存积压"),
    ("stock.ok", "OK", "正常"),
    ("stock.over_count", "Overstocked items", "积压商品"),
    ("stock.over_hint", "More than 60 days of cover", "可售超过 60 天"),
    ("stock.skus_held", "SKUs in stock", "在库 SKU"),
    (
        "stock.subtitle",
        "Items at risk of running out or overstocked, from the ledger and recent sales.",
        "根据库存流水与近期销量识别缺货风险和积压商品。",
    ),
    ("stock.units_on_hand", "Units on hand", "在库件数"),
    ("store.address", "Address", "地址"),
    ("store.area", "Floor area", "面积"),
    ("store.closed", "Inactive", "停用"),
    ("store.detail_subtitle", "Sales, stock position and alerts for this location.", "该门店的销售、库存状况与预警。"),
    ("store.facts", "Location", "门店信息"),
    ("store.kind", "Type", "类型"),
    ("store.kind.store", "Store", "门店"),
    ("store.kind.online", "Online shop", "线上商城"),
    ("store.kind.dc", "Distribution centre", "配送中心"),
    ("store.sales", "Daily revenue", "每日销售额"),
    ("store.stock_position", "Stock position", "库存状况"),
    ("store.subtitle", "Stores, the online shop and distribution centres.", "门店、线上商城与配送中心。"),
    ("store.timezone", "Time zone", "时区"),
    ("supplier.contact", "Contact", "联系人"),
    ("supplier.facts", "Supplier", "供应商信息"),
    ("supplier.lead_time", "Lead time", "交货周期"),
    ("supplier.lines", "Lines", "行数"),
    ("supplier.min_order", "Minimum order", "起订金额"),
    ("supplier.products", "Products supplied", "供应商品"),
    ("supplier.purchase_orders", "Purchase orders", "采购订单"),
    ("supplier.subtitle", "Suppliers with lead times and order minimums.", "供应商及其交货周期与起订金额。"),
    ("unit.days", "days", "天"),
    ("users.active", "Active", "正常"),
    ("users.add", "Add a user", "添加用户"),
    ("users.added", "Added user", "已添加用户"),
    (
        "users.disable_confirm",
        "Disable this user? Their sessions end at once.",
        "确定停用该用户?其登录会话将立即失效。",
    ),
    ("users.disabled", "Disabled", "已停用"),
    ("users.enable", "Enable", "启用"),
    ("users.disable", "Disable", "停用"),
    ("users.last_login", "Last sign-in", "最近登录"),
    ("users.locked", "Locked", "已锁定"),
    ("users.password_optional", "Password (leave empty to generate one)", "密码(留空则自动生成)"),
    (
        "users.subtitle",
        "Accounts and roles. A generated password is shown once.",
        "账户与角色管理。自动生成的密码仅显示一次。",
    ),
    ("users.unlock", "Unlock", "解锁"),
    ("role.admin", "Administrator", "管理员"),
    ("role.analyst", "Analyst", "分析师"),
    ("role.merchandiser", "Merchandiser", "商品运营"),
    ("role.planner", "Inventory planner", "库存计划员"),
    ("role.agent", "Service agent", "客服专员"),
    ("role.marketer", "Marketer", "营销专员"),
    ("scope.public", "public (storefront)", "public(店面)"),
    ("scope.read", "read", "read(只读)"),
    ("scope.write", "write", "write(读写)"),
    ("scope.admin", "admin", "admin(管理)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_once() {
        let mut seen = std::collections::HashSet::new();
        for (key, en, zh) in CATALOG {
            assert!(seen.insert(key), "{key} appears twice");
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{key} lacks a translation");
        }
    }

    /// Scans the templates and the page builders for label keys: every string
    /// literal that starts with a catalog section (`nav.`, `order.` …) must be a key.
    #[test]
    fn every_label_used_is_in_the_catalog() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let keys: std::collections::HashSet<_> = CATALOG.iter().map(|(k, _, _)| *k).collect();
        let sections: std::collections::HashSet<_> = keys.iter().filter_map(|k| k.split('.').next()).collect();
        let mut used = 0;
        for dir in ["templates", "src/console"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let file = entry.unwrap().path();
                let text = std::fs::read_to_string(&file).unwrap();
                for literal in text.split('"').skip(1).step_by(2) {
                    let is_file = [".html", ".js", ".css"].iter().any(|ext| literal.ends_with(ext));
                    let is_key = literal.contains('.')
                        && !is_file
                        && literal
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_');
                    if is_key && literal.split('.').next().is_some_and(|s| sections.contains(s)) {
                        used += 1;
                        assert!(keys.contains(literal), "{} uses {literal:?}, not in the catalog", file.display());
                    }
                }
            }
        }
        assert!(used > 150, "the scan found only {used} labels; is it still reading the right files?");
    }

    #[test]
    fn accept_language_picks_the_preferred_known_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr;q=1, zh-TW;q=0.5, en;q=0.4"), Some(Lang::Zh));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language("en;q=0, zh;q=0.1"), Some(Lang::Zh));
        assert_eq!(Lang::En.t("nav.orders"), "Orders");
        assert_eq!(Lang::Zh.t("nav.orders"), "订单");
    }
}
