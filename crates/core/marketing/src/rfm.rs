//! RFM: recency, frequency and monetary value scored 1 to 5 by quintile over a population, and
//! the standard segment map from the scores.
//!
//! A customer's score on a measure is `1 + ⌊5 · below / n⌋`, where `below` counts the customers
//! (among the `n` who ordered) with a strictly worse value. Equal values therefore always get
//! equal scores, whatever the order of the input; a value shared by many customers gets the
//! score of the lowest rank in the tie. Recency is better when more recent, frequency
//! (orders in 365 days) and monetary value (spend in 365 days) when higher. Customers who never
//! ordered score 1, 1, 1 and do not count in `n`.

use serde::{Deserialize, Serialize};

use crate::Language;
use crate::features::CustomerFeatures;

/// A customer's RFM scores, each 1 (worst fifth) to 5 (best fifth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RfmScore {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

/// The standard RFM segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RfmSegment {
    Champions,
    Loyal,
    PotentialLoyalist,
    NewCustomers,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CannotLose,
    Hibernating,
    Lost,
}

impl RfmSegment {
    pub const ALL: [RfmSegment; 11] = [
        RfmSegment::Champions,
        RfmSegment::Loyal,
        RfmSegment::PotentialLoyalist,
        RfmSegment::NewCustomers,
        RfmSegment::Promising,
        RfmSegment::NeedAttention,
        RfmSegment::AboutToSleep,
        RfmSegment::AtRisk,
        RfmSegment::CannotLose,
        RfmSegment::Hibernating,
        RfmSegment::Lost,
    ];

    /// The segment's name for marketers.
    pub fn label(self, language: Language) -> &'static str {
        use RfmSegment::*;
        match (language, self) {
            (Language::En, Champions) => "champions",
            (Language::En, Loyal) => "loyal customers",
            (Language::En, PotentialLoyalist) => "potential loyalists",
            (Language::En, NewCustomers) => "new customers",
            (Language::En, Promising) => "promising",
            (Language::En, NeedAttention) => "need attention",
            (Language::En, AboutToSleep) => "about to sleep",
            (Language::En, AtRisk) => "at risk",
            (Language::En, CannotLose) => "cannot lose them",
            (Language::En, Hibernating) => "hibernating",
            (Language::En, Lost) => "lost",
            (Language::Zh, Champions) => "重要价值客户",
            (Language::Zh, Loyal) => "忠诚客户",
            (Language::Zh, PotentialLoyalist) => "潜在忠诚客户",
            (Language::Zh, NewCustomers) => "新客户",
            (Language::Zh, Promising) => "有潜力客户",
            (Language::Zh, NeedAttention) => "需要关注客户",
            (Language::Zh, AboutToSleep) => "即将沉睡客户",
            (Language::Zh, AtRisk) => "流失风险客户",
            (Language::Zh, CannotLose) => "不能失去的客户",
            (Language::Zh, Hibernating) => "沉睡客户",
            (Language::Zh, Lost) => "已流失客户",
        }
    }
}

impl RfmScore {
    /// The score of a customer who never ordered.
    pub const NO_ORDERS: RfmScore = RfmScore { r: 1, f: 1, m: 1 };

    /// The segment of the standard map, which reads recency against the mean of frequency and
    /// monetary value (rounded half up):
    ///
    /// | R \ FM | 1 | 2 | 3 | 4 | 5 |
    /// |---|---|---|---|---|---|
    /// | 5 | new customers | potential loyalist | potential loyalist | champions | champions |
    /// | 4 | promising | potential loyalist | potential loyalist | loyal | loyal |
    /// | 3 | about to sleep | about to sleep | need attention | loyal | loyal |
    /// | 2 | hibernating | hibernating | at risk | at risk | cannot lose |
    /// | 1 | lost | hibernating | at risk | at risk | cannot lose |
    pub fn segment(&self) -> RfmSegment {
        let frequency_monetary = (self.f + self.m).div_ceil(2);
        // Row by row of the table, from R = 5 down.
        match (self.r, frequency_monetary) {
            (5, 1) => RfmSegment::NewCustomers,
            (5, 2 | 3) | (4, 2 | 3) => RfmSegment::PotentialLoyalist,
            (5, _) => RfmSegment::Champions,
            (4, 1) => RfmSegment::Promising,
            (4, _) | (3, 4 | 5) => RfmSegment::Loyal,
            (3, 3) => RfmSegment::NeedAttention,
            (3, _) => RfmSegment::AboutToSleep,
            (1, 1) => RfmSegment::Lost,
            (_, 1 | 2) => RfmSegment::Hibernating,
            (_, 3 | 4) => RfmSegment::AtRisk,
            _ => RfmSegment::CannotLose,
        }
    }
}

/// The RFM scores of every customer of `population`, in its order.
pub fn score_population(population: &[CustomerFeatures]) -> Vec<RfmScore> {
    let ordered: Vec<&CustomerFeatures> =
        population.iter().filter(|customer| customer.days_since_last_order.is_some()).collect();
    // Recency is negated so that, like the others, a higher value is better.
    let recency = QuintileScale::new(ordered.iter().map(|c| -i64::from(c.days_since_last_order.unwrap_or_default())));
    let frequency = QuintileScale::new(ordered.iter().map(|c| i64::from(c.orders_365d)));
    let monetary = QuintileScale::new(ordered.iter().map(|c| c.spend_365d_minor));
    population
        .iter()
        .map(|customer| match customer.days_since_last_order {
            None => RfmScore::NO_ORDERS,
            Some(days) => RfmScore {
                r: recency.score(-i64::from(days)),
                f: frequency.score(i64::from(customer.orders_365d)),
                m: monetary.score(customer.spend_365d_minor),
            },
        })
        .collect()
}

/// The sorted values of one measure over the customers who ordered.
struct QuintileScale {
    sorted: Vec<i64>,
}

impl QuintileScale {
    fn new(values: impl Iterator<Item = i64>) -> Self {
        let mut sorted: Vec<i64> = values.collect();
        sorted.sort_unstable();
        QuintileScale { sorted }
    }

    /// `1 + ⌊5 · below / n⌋`, `below` being the number of strictly smaller values.
    fn score(&self, value: i64) -> u8 {
        let below = self.sorted.partition_point(|&other| other < value);
        // below < n for any value in the population, so the score is at most 5.
        1 + (5 * below / self.sorted.len().max(1)).min(4) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn customer(days_since_last_order: Option<u32>, orders_365d: u32, spend_365d_minor: i64) -> CustomerFeatures {
        CustomerFeatures { days_since_last_order, orders_365d, spend_365d_minor, ..CustomerFeatures::default() }
    }

    #[test]
    fn ten_distinct_values_fall_two_per_quintile() {
        let population: Vec<_> = (0..10).map(|i| customer(Some(100 - i * 10), i + 1, i64::from(i) * 1000)).collect();
        let scores = score_population(&population);
        let f: Vec<u8> = scores.iter().map(|s| s.f).collect();
        assert_eq!(f, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // The most recent (10 days) scores 5 on recency, the least recent 1.
        let r: Vec<u8> = scores.iter().map(|s| s.r).collect();
        assert_eq!(r, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn ties_get_equal_scores_and_no_orders_scores_one() {
        // Six customers with one order, two with three, two with nine; one never ordered.
        let mut population: Vec<_> =
            [1, 1, 1, 1, 1, 1, 3, 3, 9, 9].iter().map(|&orders| customer(Some(5), orders, 100)).collect();
        population.push(customer(None, 0, 0));
        let scores = score_population(&population);
        let f: Vec<u8> = scores.iter().map(|s| s.f).collect();
        // Below-counts 0, 6 and 8 of 10: scores 1, 4 and 5.
        assert_eq!(f, [1, 1, 1, 1, 1, 1, 4, 4, 5, 5, 1]);
        // Everyone who ordered ties on recency and spend.
        assert!(scores[..10].iter().all(|s| s.r == 1 && s.m == 1));
        assert_eq!(scores[10], RfmScore::NO_ORDERS);
        assert_eq!(scores[10].segment(), RfmSegment::Lost);
    }

    #[test]
    fn the_segment_map_covers_every_score_and_every_segment() {
        let mut seen = std::collections::BTreeSet::new();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    seen.insert(RfmScore { r, f, m }.segment());
                }
            }
        }
        assert_eq!(seen.len(), RfmSegment::ALL.len());
        assert_eq!(RfmScore { r: 5, f: 5, m: 4 }.segment(), RfmSegment::Champions);
        assert_eq!(RfmScore { r: 5, f: 1, m: 1 }.segment(), RfmSegment::NewCustomers);
        assert_eq!(RfmScore { r: 1, f: 5, m: 5 }.segment(), RfmSegment::CannotLose);
        assert_eq!(RfmScore { r: 2, f: 3, m: 4 }.segment(), RfmSegment::AtRisk);
        assert_eq!(RfmScore { r: 3, f: 3, m: 3 }.segment(), RfmSegment::NeedAttention);
        assert_eq!(serde_json::to_string(&RfmSegment::CannotLose).unwrap(), r#""cannot_lose""#);
    }

    proptest! {
        #[test]
        fn scores_are_in_range_monotone_and_order_free(
            rows in proptest::collection::vec((proptest::option::of(0u32..400), 0u32..20, 0i64..100_000), 1..60),
        ) {
            let population: Vec<_> = rows.iter().map(|&(d, f, m)| customer(d, f, m)).collect();
            let scores = score_population(&population);
            let mut reversed = population.clone();
            reversed.reverse();
            let mut reversed_scores = score_population(&reversed);
            reversed_scores.reverse();
            prop_assert_eq!(&scores, &reversed_scores);
            for (a, sa) in population.iter().zip(&scores) {
                prop_assert!([sa.r, sa.f, sa.m].iter().all(|s| (1..=5).contains(s)));
                for (b, sb) in population.iter().zip(&scores) {
                    if a.days_since_last_order.is_some() && b.days_since_last_order.is_some() {
                        if a.orders_365d <= b.orders_365d { prop_assert!(sa.f <= sb.f); }
                        if a.spend_365d_minor <= b.spend_365d_minor { prop_assert!(sa.m <= sb.m); }
                        if a.days_since_last_order >= b.days_since_last_order { prop_assert!(sa.r <= sb.r); }
                    }
                }
            }
        }
    }
}
