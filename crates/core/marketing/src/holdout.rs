//! The hold-out group of a campaign: customers who qualify but are deliberately not contacted,
//! so that the campaign's effect can be measured against them.
//!
//! Membership comes from retail-experiment's assignment hash, salted with the campaign id: it
//! is the same on every run and every replica, independent between campaigns, and raising the
//! share only moves customers from treatment into the hold-out, never back.

use retail_experiment::assign::{Experiment, Status, UnitKind, Variant, assign};
use serde::{Deserialize, Serialize};

/// Which side of a campaign a customer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    Treatment,
    Holdout,
}

/// Why a hold-out cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HoldoutError {
    #[error("the campaign id must not be empty")]
    EmptyCampaignId,
    #[error("the hold-out share must be between 0 and 1, got {0}")]
    InvalidShare(f64),
}

/// A campaign's hold-out, built once and asked for many customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Holdout {
    experiment: Experiment,
}

/// Salt prefix, so that a campaign's hold-out is independent of an A/B experiment that happens
/// to be keyed by the same id.
const SALT_PREFIX: &str = "marketing-holdout:";

impl Holdout {
    /// The hold-out of `campaign_id` holding `share` (0 to 1) of its customers.
    pub fn new(campaign_id: &str, share: f64) -> Result<Holdout, HoldoutError> {
        if campaign_id.is_empty() {
            return Err(HoldoutError::EmptyCampaignId);
        }
        if !(0.0..=1.0).contains(&share) {
            return Err(HoldoutError::InvalidShare(share));
        }
        // The hold-out is the experiment's control (variant 0), taking the draws below `share`.
        let variant = |key: &str, weight: f64| Variant { key: key.into(), weight, payload: None };
        let experiment = Experiment {
            key: campaign_id.to_string(),
            salt: format!("{SALT_PREFIX}{campaign_id}"),
            status: Status::Running,
            layer: None,
            variants: vec![variant("holdout", share), variant("treatment", 1.0 - share)],
            coverage: 1.0,
            targeting: Vec::new(),
            unit: UnitKind::Customer,
            shipped: None,
        };
        Ok(Holdout { experiment })
    }

    /// The customer's arm.
    pub fn arm(&self, customer_id: &str) -> Arm {
        let no_attributes: [(&str, &str); 0] = [];
        if assign(&self.experiment, customer_id, &no_attributes).index() == 0 { Arm::Holdout } else { Arm::Treatment }
    }
}

/// The arm of one customer; build a [`Holdout`] once to ask for many.
pub fn holdout_arm(campaign_id: &str, customer_id: &str, holdout_share: f64) -> Result<Arm, HoldoutError> {
    Ok(Holdout::new(campaign_id, holdout_share)?.arm(customer_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arms_are_pinned() {
        // These depend only on the hash of retail-experiment; a change here moves every
        // running campaign's hold-out.
        let holdout = Holdout::new("spring-2024", 0.5).unwrap();
        let arms: String = (0..24)
            .map(|i| match holdout.arm(&format!("customer-{i}")) {
                Arm::Holdout => 'H',
                Arm::Treatment => 'T',
            })
            .collect();
        assert_eq!(arms, "HHHHHTTTHTHHTTTTHHHHHHTT");
    }

    #[test]
    fn about_the_share_of_customers_is_held_out() {
        for share in [0.05, 0.1, 0.5] {
            let holdout = Holdout::new("summer-sale", share).unwrap();
            let held = (0..100_000).filter(|i| holdout.arm(&format!("c{i}")) == Arm::Holdout).count();
            let observed = held as f64 / 100_000.0;
            // Four standard errors of a binomial share.
            let tolerance = 4.0 * (share * (1.0 - share) / 100_000.0_f64).sqrt();
            assert!((observed - share).abs() < tolerance, "share {share}: observed {observed}");
        }
    }

    #[test]
    fn raising_the_share_only_adds_to_the_holdout_and_campaigns_are_independent() {
        let small = Holdout::new("c1", 0.1).unwrap();
        let large = Holdout::new("c1", 0.3).unwrap();
        let other = Holdout::new("c2", 0.1).unwrap();
        let mut both = 0;
        for i in 0..20_000 {
            let id = format!("c{i}");
            if small.arm(&id) == Arm::Holdout {
                assert_eq!(large.arm(&id), Arm::Holdout);
                both += usize::from(other.arm(&id) == Arm::Holdout);
            }
        }
        // Independent campaigns share about 10 % of a 10 % hold-out: some 200 of 20,000.
        assert!((120..280).contains(&both), "{both}");
    }

    #[test]
    fn edges_and_errors() {
        assert_eq!(holdout_arm("c", "x", 0.0), Ok(Arm::Treatment));
        assert_eq!(holdout_arm("c", "x", 1.0), Ok(Arm::Holdout));
        assert_eq!(holdout_arm("", "x", 0.1), Err(HoldoutError::EmptyCampaignId));
        assert!(matches!(holdout_arm("c", "x", f64::NAN), Err(HoldoutError::InvalidShare(_))));
        assert!(matches!(holdout_arm("c", "x", 1.5), Err(HoldoutError::InvalidShare(_))));
    }
}
