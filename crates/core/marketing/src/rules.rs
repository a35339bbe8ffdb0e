//! The segment rule language: a JSON tree of conditions on [`CustomerFeatures`], checked by
//! [`Rule::validate`], evaluated by [`Rule::matches`] and read back to marketers by
//! [`Rule::describe`].
//!
//! ```json
//! {"kind": "all", "rules": [
//!   {"kind": "bought", "category": "baby", "within_days": 90},
//!   {"kind": "not", "rule": {"kind": "bought", "category": "baby", "within_days": 30}},
//!   {"kind": "consented", "channel": "sms"}
//! ]}
//! ```
//!
//! Groups are objects (`{"kind": "all", "rules": [...]}`, `{"kind": "not", "rule": {...}}`)
//! rather than bare arrays because an internally tagged enum cannot carry a sequence.

use std::fmt::Write;

use retail_domain::customer::Channel;
use serde::{Deserialize, Serialize};

use crate::Language;
use crate::delivery::consents_to;
use crate::features::CustomerFeatures;
use crate::rfm::{RfmScore, RfmSegment};

/// How deep groups may nest; a leaf alone has depth 1.
pub const MAX_DEPTH: usize = 8;
/// How many leaf conditions one rule may hold.
pub const MAX_CONDITIONS: usize = 200;

/// A condition on a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schema(no_recursion)]
pub enum Rule {
    /// Every rule holds.
    All { rules: Vec<Rule> },
    /// At least one rule holds.
    Any { rules: Vec<Rule> },
    /// The rule does not hold.
    Not { rule: Box<Rule> },
    /// A numeric feature compared with a value. A feature the customer lacks (days since the
    /// last order of someone who never ordered) meets no comparison.
    Compare { field: Field, op: Op, value: f64 },
    /// Bought in the category in the last `within_days` days (today is day 0).
    Bought { category: String, within_days: u32 },
    /// Agreed to be contacted on the channel.
    Consented { channel: Channel },
    /// Agreed to personalisation.
    Personalisation,
    /// In one of the membership tiers.
    Tier { tiers: Vec<String> },
    /// Lives in one of the cities.
    City { cities: Vec<String> },
    /// Usually shops at one of the stores (location external ids).
    HomeStore { locations: Vec<String> },
    /// In one of the RFM segments; never met when RFM scores are not given.
    RfmSegment { segments: Vec<RfmSegment> },
}

/// The numeric fields of [`CustomerFeatures`] a rule can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    DaysSinceLastOrder,
    #[serde(rename = "orders_90d")]
    Orders90d,
    #[serde(rename = "orders_365d")]
    Orders365d,
    #[serde(rename = "spend_90d_minor")]
    Spend90dMinor,
    #[serde(rename = "spend_365d_minor")]
    Spend365dMinor,
    AverageBasketMinor,
    DaysSinceRegistration,
    OnlineShare,
    #[serde(rename = "visits_30d")]
    Visits30d,
    DiscountShare,
}

impl Field {
    /// The customer's value, `None` when they have none.
    pub fn value(self, customer: &CustomerFeatures) -> Option<f64> {
        Some(match self {
            Field::DaysSinceLastOrder => f64::from(customer.days_since_last_order?),
            Field::Orders90d => f64::from(customer.orders_90d),
            Field::Orders365d => f64::from(customer.orders_365d),
            Field::Spend90dMinor => customer.spend_90d_minor as f64,
            Field::Spend365dMinor => customer.spend_365d_minor as f64,
            Field::AverageBasketMinor => customer.average_basket_minor as f64,
            Field::DaysSinceRegistration => f64::from(customer.days_since_registration),
            Field::OnlineShare => customer.online_share,
            Field::Visits30d => f64::from(customer.visits_30d),
            Field::DiscountShare => customer.discount_share,
        })
    }

    /// Counts, days and shares cannot be negative, so comparing them with a negative value is a
    /// mistake. Money can (refunds exceeding purchases).
    fn is_non_negative(self) -> bool {
        !matches!(self, Field::Spend90dMinor | Field::Spend365dMinor | Field::AverageBasketMinor)
    }

    fn label(self, language: Language) -> &'static str {
        match (language, self) {
            (Language::En, Field::DaysSinceLastOrder) => "days since last order",
            (Language::En, Field::Orders90d) => "orders in the last 90 days",
            (Language::En, Field::Orders365d) => "orders in the last 365 days",
            (Language::En, Field::Spend90dMinor) => "spend in the last 90 days (minor units)",
            (Language::En, Field::Spend365dMinor) => "spend in the last 365 days (minor units)",
            (Language::En, Field::AverageBasketMinor) => "average basket (minor units)",
            (Language::En, Field::DaysSinceRegistration) => "days since registration",
            (Language::En, Field::OnlineShare) => "online share of orders",
            (Language::En, Field::Visits30d) => "visits in the last 30 days",
            (Language::En, Field::DiscountShare) => "discounted share of orders",
            (Language::Zh, Field::DaysSinceLastOrder) => "距上次下单天数",
            (Language::Zh, Field::Orders90d) => "最近90天订单数",
            (Language::Zh, Field::Orders365d) => "最近365天订单数",
            (Language::Zh, Field::Spend90dMinor) => "最近90天消费额（分）",
            (Language::Zh, Field::Spend365dMinor) => "最近365天消费额（分）",
            (Language::Zh, Field::AverageBasketMinor) => "平均客单价（分）",
            (Language::Zh, Field::DaysSinceRegistration) => "注册天数",
            (Language::Zh, Field::OnlineShare) => "线上订单占比",
            (Language::Zh, Field::Visits30d) => "最近30天到访次数",
            (Language::Zh, Field::DiscountShare) => "使用优惠订单占比",
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Lt,
    Le,
    Eq,
    Ne,
    Ge,
    Gt,
}

impl Op {
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Op::Lt => left < right,
            Op::Le => left <= right,
            Op::Eq => left == right,
            Op::Ne => left != right,
            Op::Ge => left >= right,
            Op::Gt => left > right,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "≤",
            Op::Eq => "=",
            Op::Ne => "≠",
            Op::Ge => "≥",
            Op::Gt => ">",
        }
    }
}

/// One problem of a rule; `path` locates it, e.g. `rules[1].rule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum RuleError {
    #[error("{path}: a group needs at least one rule")]
    EmptyGroup { path: String },
    #[error("{path}: the list of values is empty, so the condition can never hold")]
    EmptyList { path: String },
    #[error("{path}: the value must be a finite number")]
    NotANumber { path: String },
    #[error("{path}: counts, days and shares are never negative")]
    Negative { path: String },
    #[error("{path}: a window of 0 days holds no purchase")]
    ZeroDays { path: String },
    #[error("groups nest {depth} deep, at most {MAX_DEPTH} are allowed")]
    TooDeep { depth: usize },
    #[error("{count} conditions, at most {MAX_CONDITIONS} are allowed")]
    TooManyConditions { count: usize },
}

impl Rule {
    /// Whether `customer` meets the rule. `rfm` is the customer's score, needed only by
    /// [`Rule::RfmSegment`].
    pub fn matches(&self, customer: &CustomerFeatures, rfm: Option<&RfmScore>) -> bool {
        match self {
            Rule::All { rules } => rules.iter().all(|rule| rule.matches(customer, rfm)),
            Rule::Any { rules } => rules.iter().any(|rule| rule.matches(customer, rfm)),
            Rule::Not { rule } => !rule.matches(customer, rfm),
            Rule::Compare { field, op, value } => field.value(customer).is_some_and(|actual| op.holds(actual, *value)),
            Rule::Bought { category, within_days } => customer.bought_within(category, *within_days),
            Rule::Consented { channel } => consents_to(&customer.consent, *channel),
            Rule::Personalisation => customer.consent.personalisation,
            Rule::Tier { tiers } => customer.tier.as_ref().is_some_and(|tier| tiers.contains(tier)),
            Rule::City { cities } => cities.contains(&customer.city),
            Rule::HomeStore { locations } => {
                customer.home_location_id.as_ref().is_some_and(|location| locations.contains(location))
            }
            Rule::RfmSegment { segments } => rfm.is_some_and(|score| segments.contains(&score.segment())),
        }
    }

    /// Every problem of the rule at once.
    pub fn validate(&self) -> Result<(), Vec<RuleError>> {
        let mut errors = Vec::new();
        let shape = self.check("", &mut errors);
        if shape.depth > MAX_DEPTH {
            errors.push(RuleError::TooDeep { depth: shape.depth });
        }
        if shape.conditions > MAX_CONDITIONS {
            errors.push(RuleError::TooManyConditions { count: shape.conditions });
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    fn check(&self, path: &str, errors: &mut Vec<RuleError>) -> Shape {
        let at = |suffix: &str| if path.is_empty() { suffix.to_string() } else { format!("{path}.{suffix}") };
        let here = || if path.is_empty() { "rule".to_string() } else { path.to_string() };
        match self {
            Rule::All { rules } | Rule::Any { rules } => {
                if rules.is_empty() {
                    errors.push(RuleError::EmptyGroup { path: here() });
                }
                let children =
                    rules.iter().enumerate().map(|(index, rule)| rule.check(&at(&format!("rules[{index}]")), errors));
                children.fold(Shape { depth: 1, conditions: 0 }, |shape, child| Shape {
                    depth: shape.depth.max(child.depth + 1),
                    conditions: shape.conditions + child.conditions,
                })
            }
            Rule::Not { rule } => {
                let child = rule.check(&at("rule"), errors);
                Shape { depth: child.depth + 1, conditions: child.conditions }
            }
            leaf => {
                match leaf {
                    Rule::Compare { value, .. } if !value.is_finite() => {
                        errors.push(RuleError::NotANumber { path: at("value") })
                    }
                    Rule::Compare { field, value, .. } if field.is_non_negative() && *value < 0.0 => {
                        errors.push(RuleError::Negative { path: at("value") })
                    }
                    Rule::Bought { within_days: 0, .. } => errors.push(RuleError::ZeroDays { path: at("within_days") }),
                    Rule::Tier { tiers: list } | Rule::City { cities: list } | Rule::HomeStore { locations: list }
                        if list.is_empty() =>
                    {
                        errors.push(RuleError::EmptyList { path: here() })
                    }
                    Rule::RfmSegment { segments } if segments.is_empty() => {
                        errors.push(RuleError::EmptyList { path: here() })
                    }
                    _ => {}
                }
                Shape { depth: 1, conditions: 1 }
            }
        }
    }

    /// The rule as a sentence, e.g. "bought baby in the last 90 days and not bought baby in the
    /// last 30 days and consented to SMS" or "最近90天购买过baby且最近30天未购买过baby且同意接收短信".
    /// Categories, tiers, cities and stores appear as their ids.
    pub fn describe(&self, language: Language) -> String {
        let mut text = String::new();
        self.write_description(language, false, &mut text);
        text
    }

    /// Writes the rule, negated when `negated`, nested groups in parentheses.
    fn write_description(&self, language: Language, negated: bool, out: &mut String) {
        let zh = language == Language::Zh;
        match self {
            Rule::All { rules } | Rule::Any { rules } if !negated => {
                let all = matches!(self, Rule::All { .. });
                let connective = match (zh, all) {
                    (true, true) => "且",
                    (true, false) => "或",
                    (false, true) => " and ",
                    (false, false) => " or ",
                };
                for (index, rule) in rules.iter().enumerate() {
                    if index > 0 {
                        out.push_str(connective);
                    }
                    let nested = matches!(rule, Rule::All { .. } | Rule::Any { .. });
                    let (open, close) = if zh { ("（", "）") } else { ("(", ")") };
                    if nested {
                        out.push_str(open);
                    }
                    rule.write_description(language, false, out);
                    if nested {
                        out.push_str(close);
                    }
                }
            }
            Rule::Not { rule } => rule.write_description(language, !negated, out),
            Rule::Bought { category, within_days } => {
                let _ = match (zh, negated) {
                    (false, false) => write!(out, "bought {category} in the last {within_days} days"),
                    (false, true) => write!(out, "not bought {category} in the last {within_days} days"),
                    (true, false) => write!(out, "最近{within_days}天购买过{category}"),
                    (true, true) => write!(out, "最近{within_days}天未购买过{category}"),
                };
            }
            Rule::Consented { channel } => {
                out.push_str(match (zh, negated) {
                    (false, false) => "consented to ",
                    (false, true) => "not consented to ",
                    (true, false) => "同意接收",
                    (true, true) => "未同意接收",
                });
                out.push_str(channel_label(*channel, language));
            }
            Rule::Personalisation => out.push_str(match (zh, negated) {
                (false, false) => "allows personalisation",
                (false, true) => "does not allow personalisation",
                (true, false) => "允许个性化推荐",
                (true, true) => "不允许个性化推荐",
            }),
            Rule::Tier { tiers } => write_membership(out, language, negated, ("tier", "会员等级"), tiers),
            Rule::City { cities } => write_membership(out, language, negated, ("city", "城市"), cities),
            Rule::HomeStore { locations } => {
                write_membership(out, language, negated, ("home store", "常去门店"), locations)
            }
            Rule::RfmSegment { segments } => {
                let labels: Vec<&str> = segments.iter().map(|segment| segment.label(language)).collect();
                write_membership(out, language, negated, ("RFM segment", "RFM分群"), &labels)
            }
            Rule::Compare { field, op, value } => {
                if negated {
                    out.push_str(if zh { "非（" } else { "not (" });
                }
                let _ = write!(out, "{} {} {value}", field.label(language), op.symbol());
                if negated {
                    out.push_str(if zh { "）" } else { ")" });
                }
            }
            // A negated group.
            Rule::All { .. } | Rule::Any { .. } => {
                out.push_str(if zh { "不满足（" } else { "not (" });
                self.write_description(language, false, out);
                out.push_str(if zh { "）" } else { ")" });
            }
        }
    }
}

/// The depth and number of leaf conditions of a rule.
struct Shape {
    depth: usize,
    conditions: usize,
}

/// "city is Shanghai or Beijing" / "城市为Shanghai或Beijing", or the negation.
fn write_membership<S: AsRef<str>>(
    out: &mut String,
    language: Language,
    negated: bool,
    (english, chinese): (&str, &str),
    values: &[S],
) {
    let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    let _ = match (language, negated) {
        (Language::En, false) => write!(out, "{english} is {}", values.join(" or ")),
        (Language::En, true) => write!(out, "{english} is not {}", values.join(" or ")),
        (Language::Zh, false) => write!(out, "{chinese}为{}", values.join("或")),
        (Language::Zh, true) => write!(out, "{chinese}不为{}", values.join("或")),
    };
}

/// The channel's name for marketers.
pub fn channel_label(channel: Channel, language: Language) -> &'static str {
    match (language, channel) {
        (Language::En, Channel::Sms) => "SMS",
        (Language::En, Channel::Email) => "e-mail",
        (Language::En, Channel::Push) => "push notifications",
        (Language::En, Channel::Wechat) => "WeChat",
        (Language::Zh, Channel::Sms) => "短信",
        (Language::Zh, Channel::Email) => "邮件",
        (Language::Zh, Channel::Push) => "推送",
        (Language::Zh, Channel::Wechat) => "微信",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use retail_domain::customer::Consent;

    use super::*;

    /// The issue's example: bought baby products in 90 days and not in 30, consented to SMS.
    const BABY_REACTIVATION: &str = r#"{"kind": "all", "rules": [
        {"kind": "bought", "category": "baby products", "within_days": 90},
        {"kind": "not", "rule": {"kind": "bought", "category": "baby products", "within_days": 30}},
        {"kind": "consented", "channel": "sms"}
    ]}"#;

    fn baby_buyer(days_ago: u32, sms: bool) -> CustomerFeatures {
        CustomerFeatures {
            customer_id: "c1".into(),
            categories_last_bought: BTreeMap::from([("baby products".to_string(), days_ago)]),
            consent: Consent { sms, ..Consent::default() },
            ..CustomerFeatures::default()
        }
    }

    #[test]
    fn the_issues_example_parses_matches_and_reads_back() {
        let rule: Rule = serde_json::from_str(BABY_REACTIVATION).unwrap();
        assert_eq!(rule.validate(), Ok(()));
        assert!(rule.matches(&baby_buyer(45, true), None));
        assert!(!rule.matches(&baby_buyer(10, true), None), "bought in the last 30 days");
        assert!(!rule.matches(&baby_buyer(120, true), None), "not bought in the last 90 days");
        assert!(!rule.matches(&baby_buyer(45, false), None), "no SMS consent");
        assert!(!rule.matches(&CustomerFeatures::default(), None));
        assert_eq!(
            rule.describe(Language::En),
            "bought baby products in the last 90 days and not bought baby products in the last 30 days and \
             consented to SMS"
        );
        assert_eq!(
            rule.describe(Language::Zh),
            "最近90天购买过baby products且最近30天未购买过baby products且同意接收短信"
        );
        let round_trip: Rule = serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
        assert_eq!(round_trip, rule);
    }

    #[test]
    fn unknown_fields_and_kinds_are_serde_errors_naming_them() {
        let error =
            serde_json::from_str::<Rule>(r#"{"kind": "bought", "category": "x", "within_days": 3, "colour": 1}"#)
                .unwrap_err();
        assert!(error.to_string().contains("colour"), "{error}");
        let error = serde_json::from_str::<Rule>(r#"{"kind": "compare", "field": "height", "op": "lt", "value": 1}"#)
            .unwrap_err();
        assert!(error.to_string().contains("height"), "{error}");
        let error = serde_json::from_str::<Rule>(r#"{"kind": "bought", "category": "x", "within_days": -3}"#);
        assert!(error.is_err(), "negative days do not fit a day count");
    }

    #[test]
    fn validation_reports_every_problem_with_its_path() {
        let rule = Rule::Any {
            rules: vec![
                Rule::All { rules: vec![] },
                Rule::Compare { field: Field::OnlineShare, op: Op::Gt, value: f64::NAN },
                Rule::Not { rule: Box::new(Rule::Compare { field: Field::Orders90d, op: Op::Lt, value: -1.0 }) },
                Rule::Compare { field: Field::Spend90dMinor, op: Op::Lt, value: -1.0 },
                Rule::Bought { category: "x".into(), within_days: 0 },
                Rule::City { cities: vec![] },
            ],
        };
        assert_eq!(
            rule.validate(),
            Err(vec![
                RuleError::EmptyGroup { path: "rules[0]".into() },
                RuleError::NotANumber { path: "rules[1].value".into() },
                RuleError::Negative { path: "rules[2].rule.value".into() },
                RuleError::ZeroDays { path: "rules[4].within_days".into() },
                RuleError::EmptyList { path: "rules[5]".into() },
            ])
        );
    }

    #[test]
    fn depth_and_size_are_limited() {
        let leaf = Rule::Personalisation;
        let nested = |depth: usize| (1..depth).fold(leaf.clone(), |rule, _| Rule::Not { rule: Box::new(rule) });
        assert_eq!(nested(MAX_DEPTH).validate(), Ok(()));
        assert_eq!(nested(MAX_DEPTH + 1).validate(), Err(vec![RuleError::TooDeep { depth: MAX_DEPTH + 1 }]));
        let wide = |n: usize| Rule::Any { rules: vec![leaf.clone(); n] };
        assert_eq!(wide(MAX_CONDITIONS).validate(), Ok(()));
        assert_eq!(
            wide(MAX_CONDITIONS + 1).validate(),
            Err(vec![RuleError::TooManyConditions { count: MAX_CONDITIONS + 1 }])
        );
    }

    #[test]
    fn leaves_match_their_fields() {
        let customer = CustomerFeatures {
            tier: Some("gold".into()),
            city: "Shanghai".into(),
            home_location_id: Some("S1".into()),
            orders_90d: 3,
            consent: Consent { personalisation: true, wechat: true, ..Consent::default() },
            ..CustomerFeatures::default()
        };
        let champion = RfmScore { r: 5, f: 5, m: 5 };
        let segment = Rule::RfmSegment { segments: vec![RfmSegment::Champions] };
        assert!(segment.matches(&customer, Some(&champion)));
        assert!(!segment.matches(&customer, None));
        assert!(Rule::Tier { tiers: vec!["silver".into(), "gold".into()] }.matches(&customer, None));
        assert!(!Rule::City { cities: vec!["Beijing".into()] }.matches(&customer, None));
        assert!(Rule::HomeStore { locations: vec!["S1".into()] }.matches(&customer, None));
        assert!(Rule::Personalisation.matches(&customer, None));
        assert!(Rule::Consented { channel: Channel::Wechat }.matches(&customer, None));
        assert!(Rule::Compare { field: Field::Orders90d, op: Op::Ge, value: 3.0 }.matches(&customer, None));
        assert!(!Rule::Compare { field: Field::Orders90d, op: Op::Gt, value: 3.0 }.matches(&customer, None));
        // Never ordered: no comparison on the days since the last order holds, either way.
        let days = |op| Rule::Compare { field: Field::DaysSinceLastOrder, op, value: 30.0 };
        assert!(!days(Op::Lt).matches(&customer, None) && !days(Op::Ge).matches(&customer, None));
    }

    #[test]
    fn nested_groups_and_negated_groups_read_with_parentheses() {
        let rule = Rule::All {
            rules: vec![
                Rule::Any {
                    rules: vec![
                        Rule::City { cities: vec!["Shanghai".into(), "Hangzhou".into()] },
                        Rule::Compare { field: Field::Orders90d, op: Op::Ge, value: 3.0 },
                    ],
                },
                Rule::Not { rule: Box::new(Rule::Any { rules: vec![Rule::Personalisation] }) },
                Rule::RfmSegment { segments: vec![RfmSegment::AtRisk] },
            ],
        };
        assert_eq!(
            rule.describe(Language::En),
            "(city is Shanghai or Hangzhou or orders in the last 90 days ≥ 3) and not (allows personalisation) \
             and RFM segment is at risk"
        );
        assert_eq!(
            rule.describe(Language::Zh),
            "（城市为Shanghai或Hangzhou或最近90天订单数 ≥ 3）且不满足（允许个性化推荐）且RFM分群为流失风险客户"
        );
    }

    #[test]
    fn the_schema_of_a_recursive_rule_builds() {
        use utoipa::{PartialSchema, ToSchema};
        let mut schemas = Vec::new();
        Rule::schemas(&mut schemas);
        let schema = serde_json::to_string(&Rule::schema()).unwrap();
        assert!(schema.contains("within_days"));
    }

    fn arbitrary_rule() -> impl Strategy<Value = Rule> {
        let leaf = prop_oneof![
            (0u32..400).prop_map(|within_days| Rule::Bought { category: "baby".into(), within_days }),
            Just(Rule::Consented { channel: Channel::Sms }),
            Just(Rule::Personalisation),
            // Whole numbers: serde_json's default float parsing is not exact to the last bit.
            (0u32..20).prop_map(|value| Rule::Compare { field: Field::Orders90d, op: Op::Ge, value: f64::from(value) }),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..4).prop_map(|rules| Rule::All { rules }),
                proptest::collection::vec(inner.clone(), 1..4).prop_map(|rules| Rule::Any { rules }),
                inner.prop_map(|rule| Rule::Not { rule: Box::new(rule) }),
            ]
        })
    }

    proptest! {
        #[test]
        fn not_negates_and_json_round_trips(rule in arbitrary_rule(), days_ago in 0u32..400, sms: bool, orders in 0u32..20) {
            let customer = CustomerFeatures { orders_90d: orders, ..baby_buyer(days_ago, sms) };
            let negated = Rule::Not { rule: Box::new(rule.clone()) };
            prop_assert_ne!(rule.matches(&customer, None), negated.matches(&customer, None));
            let parsed: Rule = serde_json::from_str(&serde_json::to_string(&rule).unwrap()).unwrap();
            prop_assert_eq!(parsed, rule);
        }
    }
}
