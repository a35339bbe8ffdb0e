//! The campaign logic of the marketing module, as pure functions over data the app has already
//! read from the store.
//!
//! - [`features`]: what a campaign knows about a customer ([`CustomerFeatures`]).
//! - [`rfm`]: recency / frequency / monetary scores by quintile and the standard segment map.
//! - [`rules`]: the segment rule language, its validation and a readable description.
//! - [`cluster`]: behaviour clusters by k-means, with profiles the console can label.
//! - [`targeting`]: who to contact within a budget, by expected incremental value or by score.
//! - [`holdout`]: the stable hold-out group of a campaign.
//! - [`delivery`]: channel choice, send time in the customer's local hours, frequency cap and
//!   priority between campaigns.
//! - [`template`]: message templates with checked `{{variables}}` and a guaranteed opt-out link.
//! - [`effect`]: what a campaign achieved against its hold-out, with confidence intervals, and
//!   the Qini curve of an uplift model.

pub mod cluster;
pub mod delivery;
pub mod effect;
pub mod features;
pub mod holdout;
pub mod rfm;
pub mod rules;
pub mod targeting;
pub mod template;

use serde::{Deserialize, Serialize};

pub use features::CustomerFeatures;

/// The language of texts shown to people: rule descriptions, message boilerplate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    En,
    #[default]
    Zh,
}

impl Language {
    /// The language of a BCP 47 tag as the domain stores it (`zh-CN`, `zh`, `en`): Chinese for any
    /// `zh` tag, English otherwise.
    pub fn from_tag(tag: &str) -> Language {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("zh") { Language::Zh } else { Language::En }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_map_to_languages() {
        assert_eq!(Language::from_tag("zh-CN"), Language::Zh);
        assert_eq!(Language::from_tag("ZH"), Language::Zh);
        assert_eq!(Language::from_tag("en"), Language::En);
        assert_eq!(Language::from_tag("en-GB"), Language::En);
        assert_eq!(Language::from_tag("zhx"), Language::En);
    }
}
