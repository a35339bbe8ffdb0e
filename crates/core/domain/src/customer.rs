//! Customers, with the consent and channel preferences marketing must obey.

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityKind};
use crate::validate::{Validate, Violations, text_field};
use chrono::{DateTime, Utc};

/// A channel a customer can be reached on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
    Push,
    Wechat,
}

/// What the customer agreed to (PIPL/GDPR). Everything defaults to "no".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    #[serde(default)]
    pub sms: bool,
    #[serde(default)]
    pub email: bool,
    #[serde(default)]
    pub push: bool,
    #[serde(default)]
    pub wechat: bool,
    /// Whether recommendations and messages may use their behaviour.
    #[serde(default)]
    pub personalisation: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub external_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub city: String,
    /// The store they usually shop at, if known.
    #[serde(default)]
    pub home_location_id: Option<String>,
    /// Membership tier, e.g. `silver`.
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub consent: Consent,
    /// Preferred channels, most preferred first.
    #[serde(default)]
    pub preferred_channels: Vec<Channel>,
    /// BCP 47 language tag for messages, `zh-CN` or `en`.
    #[serde(default = "default_language")]
    pub language: String,
    pub registered_at: DateTime<Utc>,
}

fn default_language() -> String {
    "zh-CN".into()
}

impl Validate for Customer {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        v.external_id("external_id", &self.external_id);
        text_field(&mut v, "name", &self.name, false, 100);
        text_field(&mut v, "city", &self.city, false, 100);
        v.optional_external_id("home_location_id", self.home_location_id.as_deref());
        if let Some(p) = &self.phone {
            let digits = p.strip_prefix('+').unwrap_or(p);
            v.check(
                (5..=20).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b' '),
                "phone",
                "must be 5 to 20 digits, optionally starting with +",
            );
        }
        if let Some(e) = &self.email {
            let ok = e.len() <= 254
                && e.split_once('@').is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !e.contains(' '));
            v.check(ok, "email", "is not an e-mail address");
        }
        let mut seen = std::collections::HashSet::new();
        v.check(self.preferred_channels.iter().all(|c| seen.insert(*c)), "preferred_channels", "lists a channel twice");
        v.check(matches!(self.language.as_str(), "zh-CN" | "zh" | "en"), "language", "must be zh-CN, zh or en");
        v.into_result()
    }
}

impl Entity for Customer {
    const KIND: EntityKind = EntityKind::Customer;
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn references(&self) -> Vec<(EntityKind, &str, String)> {
        self.home_location_id
            .as_deref()
            .map(|l| (EntityKind::Location, l, "home_location_id".to_string()))
            .into_iter()
            .collect()
    }
}
