//! Who to contact within a budget.
//!
//! With an uplift model ([`select_by_uplift`]) each candidate's expected incremental value is
//!
//! ```text
//! value = uplift × order value − contact cost − P(convert | treated) × offer cost
//! cost  =                        contact cost + P(convert | treated) × offer cost
//! ```
//!
//! `uplift` is P(convert | treated) − P(convert | not treated): only the conversions the message
//! causes bring new revenue, but the offer (discount) is paid on every treated conversion,
//! including those that would have happened anyway, and the contact is paid whatever happens.
//! Candidates are taken by value per unit of expected cost, best first, while the value is
//! positive and their expected cost fits in what is left of the budget; a candidate that does
//! not fit is skipped and cheaper ones after it may still be taken.
//!
//! Without a model ([`select_by_score`]), for campaigns with no history, everyone in the
//! segment is a candidate and they are taken by a score (RFM, propensity) until the budget is
//! spent.
//!
//! Once the budget is exhausted nothing more is taken, even at no cost: a budget of zero
//! contacts nobody.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// A customer the uplift model scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    pub customer_id: String,
    /// Incremental conversion probability, −1 to 1; negative when the message puts them off.
    pub uplift: f64,
    /// P(convert | treated), 0 to 1: the share of them who would redeem the offer.
    pub conversion_if_treated: f64,
    pub expected_order_value_minor: i64,
    pub contact_cost_minor: i64,
    /// The offer's cost to the retailer when it is redeemed.
    pub offer_cost_minor: i64,
}

impl Candidate {
    /// Expected incremental value and expected cost, in minor units; see the module docs.
    pub fn expected_value_and_cost(&self) -> (f64, f64) {
        let offer = self.conversion_if_treated * self.offer_cost_minor as f64;
        let cost = self.contact_cost_minor as f64 + offer;
        (self.uplift * self.expected_order_value_minor as f64 - cost, cost)
    }

    fn problem(&self) -> Option<&'static str> {
        if !(-1.0..=1.0).contains(&self.uplift) {
            Some("uplift must be between -1 and 1")
        } else if !(0.0..=1.0).contains(&self.conversion_if_treated) {
            Some("conversion_if_treated must be between 0 and 1")
        } else if self.expected_order_value_minor < 0 || self.contact_cost_minor < 0 || self.offer_cost_minor < 0 {
            Some("order value and costs must not be negative")
        } else {
            None
        }
    }
}

/// A segment member ranked by a score, for campaigns without an uplift model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoredCandidate {
    pub customer_id: String,
    /// Higher is contacted first.
    pub score: f64,
    pub contact_cost_minor: i64,
}

/// How many candidates were left out, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Skipped {
    /// Expected incremental value zero or below.
    pub not_profitable: u64,
    /// Worth contacting, but the budget left could not cover them.
    pub over_budget: u64,
}

/// The expected totals of the chosen audience. Value and conversions are 0 without a model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExpectedTotals {
    pub cost_minor: i64,
    pub incremental_value_minor: i64,
    pub incremental_conversions: f64,
}

/// The chosen audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Selection {
    /// Best first.
    pub chosen: Vec<String>,
    pub skipped: Skipped,
    pub expected: ExpectedTotals,
}

/// Why candidates cannot be selected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TargetingError {
    #[error("the budget must not be negative, got {0}")]
    NegativeBudget(i64),
    #[error("candidate `{customer_id}`: {problem}")]
    InvalidCandidate { customer_id: String, problem: &'static str },
}

/// The candidates worth contacting within `budget_minor`, by expected incremental value per
/// unit of cost; see the module docs.
pub fn select_by_uplift(candidates: &[Candidate], budget_minor: i64) -> Result<Selection, TargetingError> {
    check_budget(budget_minor)?;
    if let Some((candidate, problem)) = candidates.iter().find_map(|c| Some((c, c.problem()?))) {
        return Err(TargetingError::InvalidCandidate { customer_id: candidate.customer_id.clone(), problem });
    }
    let priced: Vec<(f64, f64)> = candidates.iter().map(Candidate::expected_value_and_cost).collect();
    // (value per cost, value, index) of the profitable; a free contact with positive value has
    // an infinite ratio and comes first.
    let mut ranked: Vec<(f64, f64, usize)> = priced
        .iter()
        .enumerate()
        .filter(|(_, (value, _))| *value > 0.0)
        .map(|(index, &(value, cost))| (value / cost, value, index))
        .collect();
    let not_profitable = (candidates.len() - ranked.len()) as u64;
    ranked.sort_unstable_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then_with(|| candidates[a.2].customer_id.cmp(&candidates[b.2].customer_id))
    });
    let profitable: Vec<usize> = ranked.into_iter().map(|(_, _, index)| index).collect();
    let spent = spend(&profitable, |index| priced[index].1, budget_minor);
    let expected = ExpectedTotals {
        cost_minor: spent.cost.round() as i64,
        incremental_value_minor: spent.chosen.iter().map(|&index| priced[index].0).sum::<f64>().round() as i64,
        incremental_conversions: spent.chosen.iter().map(|&index| candidates[index].uplift).sum(),
    };
    Ok(Selection {
        chosen: spent.chosen.iter().map(|&index| candidates[index].customer_id.clone()).collect(),
        skipped: Skipped { not_profitable, over_budget: spent.over_budget },
        expected,
    })
}

/// The segment members by descending score (ties by customer id) until `budget_minor` is spent.
pub fn select_by_score(candidates: &[ScoredCandidate], budget_minor: i64) -> Result<Selection, TargetingError> {
    check_budget(budget_minor)?;
    if let Some(candidate) = candidates.iter().find(|c| !c.score.is_finite() || c.contact_cost_minor < 0) {
        return Err(TargetingError::InvalidCandidate {
            customer_id: candidate.customer_id.clone(),
            problem: "the score must be finite and the contact cost not negative",
        });
    }
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&candidates[a], &candidates[b]);
        b.score.total_cmp(&a.score).then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    let spent = spend(&order, |index| candidates[index].contact_cost_minor as f64, budget_minor);
    Ok(Selection {
        chosen: spent.chosen.iter().map(|&index| candidates[index].customer_id.clone()).collect(),
        skipped: Skipped { not_profitable: 0, over_budget: spent.over_budget },
        expected: ExpectedTotals { cost_minor: spent.cost.round() as i64, ..ExpectedTotals::default() },
    })
}

fn check_budget(budget_minor: i64) -> Result<(), TargetingError> {
    if budget_minor < 0 { Err(TargetingError::NegativeBudget(budget_minor)) } else { Ok(()) }
}

/// The candidates taken in `order` while the budget lasts.
struct Spent {
    chosen: Vec<usize>,
    over_budget: u64,
    cost: f64,
}

/// Walks `order`, taking each candidate whose cost fits what is left of the budget while
/// something is left.
fn spend(order: &[usize], cost_of: impl Fn(usize) -> f64, budget_minor: i64) -> Spent {
    let mut left = budget_minor as f64;
    let mut spent = Spent { chosen: Vec::new(), over_budget: 0, cost: 0.0 };
    for &index in order {
        let cost = cost_of(index);
        if left > 0.0 && cost.partial_cmp(&left) != Some(Ordering::Greater) {
            left -= cost;
            spent.cost += cost;
            spent.chosen.push(index);
        } else {
            spent.over_budget += 1;
        }
    }
    spent
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn candidate(
        id: &str,
        uplift: f64,
        conversion_if_treated: f64,
        order_value: i64,
        contact: i64,
        offer: i64,
    ) -> Candidate {
        Candidate {
            customer_id: id.into(),
            uplift,
            conversion_if_treated,
            expected_order_value_minor: order_value,
            contact_cost_minor: contact,
            offer_cost_minor: offer,
        }
    }

    #[test]
    fn expected_value_follows_the_documented_formula() {
        // 0.1 × 20000 − 50 − 0.3 × 1000 = 1650, at a cost of 350.
        assert_eq!(candidate("a", 0.1, 0.3, 20_000, 50, 1_000).expected_value_and_cost(), (1650.0, 350.0));
    }

    #[test]
    fn best_value_per_cost_first_until_the_budget_is_spent() {
        let candidates = [
            candidate("low-ratio", 0.05, 0.2, 10_000, 100, 500), // 500 − 200 = 300 for 200: 1.5
            candidate("high-ratio", 0.1, 0.1, 10_000, 50, 500),  // 1000 − 100 = 900 for 100: 9
            candidate("loss", -0.02, 0.3, 10_000, 50, 500),      // negative
            candidate("middle", 0.08, 0.2, 10_000, 100, 500),    // 800 − 200 = 600 for 200: 3
            candidate("cheap", 0.01, 0.0, 10_000, 10, 500),      // 100 − 10 = 90 for 10: 9 (less value)
        ];
        let selection = select_by_uplift(&candidates, 320).unwrap();
        // high-ratio (100), cheap (10), middle (200) = 310; low-ratio would need 200 more.
        assert_eq!(selection.chosen, ["high-ratio", "cheap", "middle"]);
        assert_eq!(selection.skipped, Skipped { not_profitable: 1, over_budget: 1 });
        assert_eq!(selection.expected.cost_minor, 310);
        assert_eq!(selection.expected.incremental_value_minor, 900 + 90 + 600);
        assert!((selection.expected.incremental_conversions - 0.19).abs() < 1e-12);
    }

    #[test]
    fn a_zero_budget_chooses_nobody_and_is_not_an_error() {
        let candidates = [candidate("a", 0.1, 0.1, 10_000, 50, 0), candidate("free", 0.1, 0.1, 10_000, 0, 0)];
        let selection = select_by_uplift(&candidates, 0).unwrap();
        assert!(selection.chosen.is_empty());
        assert_eq!(selection.skipped, Skipped { not_profitable: 0, over_budget: 2 });
        assert_eq!(selection.expected, ExpectedTotals::default());
    }

    #[test]
    fn all_negative_uplift_chooses_nobody() {
        let candidates: Vec<_> =
            (0..10).map(|i| candidate(&format!("c{i}"), -0.01 * f64::from(i), 0.2, 5_000, 10, 100)).collect();
        let selection = select_by_uplift(&candidates, 1_000_000).unwrap();
        assert!(selection.chosen.is_empty());
        assert_eq!(selection.skipped, Skipped { not_profitable: 10, over_budget: 0 });
    }

    #[test]
    fn invalid_input_is_an_error() {
        assert_eq!(select_by_uplift(&[], -1), Err(TargetingError::NegativeBudget(-1)));
        assert!(matches!(
            select_by_uplift(&[candidate("nan", f64::NAN, 0.1, 1, 1, 1)], 10),
            Err(TargetingError::InvalidCandidate { customer_id, .. }) if customer_id == "nan"
        ));
        assert!(select_by_uplift(&[candidate("neg", 0.1, 0.1, 1, -1, 1)], 10).is_err());
        let nan_score = ScoredCandidate { customer_id: "x".into(), score: f64::NAN, contact_cost_minor: 1 };
        assert!(select_by_score(&[nan_score], 10).is_err());
    }

    #[test]
    fn without_a_model_the_best_scores_are_taken_in_order() {
        let scored = |id: &str, score: f64| ScoredCandidate { customer_id: id.into(), score, contact_cost_minor: 40 };
        let candidates = [scored("b", 2.0), scored("a", 5.0), scored("c", 2.0), scored("d", 1.0)];
        let selection = select_by_score(&candidates, 120).unwrap();
        assert_eq!(selection.chosen, ["a", "b", "c"]);
        assert_eq!(selection.skipped, Skipped { not_profitable: 0, over_budget: 1 });
        assert_eq!(selection.expected.cost_minor, 120);
        assert!(select_by_score(&candidates, 0).unwrap().chosen.is_empty());
    }

    #[test]
    #[ignore = "performance: cargo test --release -p retail-marketing -- --ignored"]
    fn a_million_candidates_are_selected_in_under_a_second() {
        let candidates: Vec<Candidate> = (0..1_000_000u32)
            .map(|i| {
                let uplift = f64::from(i % 1000) / 10_000.0 - 0.02;
                candidate(&format!("c{i}"), uplift, 0.2, 8_000 + i64::from(i % 97) * 10, 30, 400)
            })
            .collect();
        let started = std::time::Instant::now();
        let selection = select_by_uplift(&candidates, 5_000_000).unwrap();
        let elapsed = started.elapsed();
        eprintln!("1,000,000 candidates selected in {elapsed:?}");
        let total = selection.chosen.len() as u64 + selection.skipped.not_profitable + selection.skipped.over_budget;
        assert_eq!(total, 1_000_000);
        assert!(selection.expected.cost_minor <= 5_000_000);
        assert!(elapsed.as_secs_f64() < 1.0, "{elapsed:?}");
    }

    proptest! {
        #[test]
        fn selections_respect_the_budget_and_account_for_everyone(
            rows in proptest::collection::vec((-0.2..0.5f64, 0.0..1.0f64, 0..50_000i64, 0..200i64, 0..2_000i64), 0..40),
            budget in 0..20_000i64,
        ) {
            let candidates: Vec<_> = rows.iter().enumerate()
                .map(|(i, &(u, p, v, c, o))| candidate(&format!("c{i}"), u, p, v, c, o)).collect();
            let selection = select_by_uplift(&candidates, budget).unwrap();
            prop_assert!(selection.expected.cost_minor <= budget);
            let counted = selection.chosen.len() as u64 + selection.skipped.not_profitable + selection.skipped.over_budget;
            prop_assert_eq!(counted, candidates.len() as u64);
            for id in &selection.chosen {
                let chosen = candidates.iter().find(|c| &c.customer_id == id).unwrap();
                prop_assert!(chosen.expected_value_and_cost().0 > 0.0);
            }
        }
    }
}
