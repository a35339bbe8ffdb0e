//! Behaviour events: what was shown, looked at, clicked, carted, bought and
//! searched, with the strategy and request that produced what was shown, so that
//! recommendations and experiments can be measured from the same log.

use serde::{Deserialize, Serialize};

use crate::validate::{Validate, Violations, text_field};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Impression,
    View,
    Click,
    AddToCart,
    Purchase,
    Search,
}

impl EventKind {
    pub const ALL: [EventKind; 6] =
        [Self::Impression, Self::View, Self::Click, Self::AddToCart, Self::Purchase, Self::Search];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Impression => "impression",
            Self::View => "view",
            Self::Click => "click",
            Self::AddToCart => "add_to_cart",
            Self::Purchase => "purchase",
            Self::Search => "search",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviourEvent {
    /// Client-side id; a repeated id is stored once, so retries are safe.
    #[serde(default)]
    pub event_id: Option<String>,
    pub kind: EventKind,
    /// The known customer, when logged in.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The anonymous session, when not (or as well).
    #[serde(default)]
    pub session_id: Option<String>,
    /// The product concerned; required for every kind except `search`.
    #[serde(default)]
    pub product_id: Option<String>,
    /// The search text, for `search`.
    #[serde(default)]
    pub query: Option<String>,
    /// Zero-based slot in the list that was shown.
    #[serde(default)]
    pub position: Option<u32>,
    /// The recommendation strategy or page module that produced what was shown.
    #[serde(default)]
    pub strategy: Option<String>,
    /// The request id of the recommendation response this event follows from.
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub quantity: Option<i64>,
    /// Value of a purchase or cart addition, in minor units.
    #[serde(default)]
    pub value_minor: Option<i64>,
    pub occurred_at: DateTime<Utc>,
}

impl BehaviourEvent {
    /// An event of `kind` at `occurred_at` with nothing else known yet; callers name the rest with
    /// struct update syntax (`BehaviourEvent { customer_id: …, ..BehaviourEvent::new(kind, at) }`).
    pub fn new(kind: EventKind, occurred_at: DateTime<Utc>) -> Self {
        Self {
            event_id: None,
            kind,
            customer_id: None,
            session_id: None,
            product_id: None,
            query: None,
            position: None,
            strategy: None,
            request_id: None,
            location_id: None,
            quantity: None,
            value_minor: None,
            occurred_at,
        }
    }
}

impl Validate for BehaviourEvent {
    fn validate(&self) -> Result<(), Violations> {
        let mut v = Violations::new();
        if let Some(id) = &self.event_id {
            text_field(&mut v, "event_id", id, true, 64);
        }
        v.check(
            self.customer_id.is_some() || self.session_id.is_some(),
            "customer_id",
            "an event needs a customer_id or a session_id",
        );
        v.optional_external_id("customer_id", self.customer_id.as_deref());
        if let Some(s) = &self.session_id {
            text_field(&mut v, "session_id", s, true, 128);
        }
        if self.kind == EventKind::Search {
            v.check(
                self.query.as_deref().is_some_and(|q| !q.trim().is_empty()),
                "query",
                "a search event needs its query",
            );
        } else {
            v.check(
                self.product_id.is_some(),
                "product_id",
                format!("a {} event needs a product_id", self.kind.as_str()),
            );
        }
        v.optional_external_id("product_id", self.product_id.as_deref());
        v.optional_external_id("location_id", self.location_id.as_deref());
        if let Some(q) = &self.query {
            text_field(&mut v, "query", q, false, 500);
        }
        for (field, value) in [("strategy", &self.strategy), ("request_id", &self.request_id)] {
            if let Some(s) = value {
                text_field(&mut v, field, s, true, 128);
            }
        }
        v.check(self.quantity.is_none_or(|q| q > 0), "quantity", "must be positive");
        v.check(self.value_minor.is_none_or(|q| q >= 0), "value_minor", "must not be negative");
        v.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn click() -> BehaviourEvent {
        BehaviourEvent {
            session_id: Some("s-1".into()),
            product_id: Some("P1".into()),
            position: Some(3),
            strategy: Some("hybrid".into()),
            request_id: Some("r-1".into()),
            ..BehaviourEvent::new(EventKind::Click, "2026-03-01T10:00:00Z".parse().unwrap())
        }
    }

    #[test]
    fn event_needs_an_actor_and_an_item() {
        click().validate().unwrap();
        let mut e = click();
        e.session_id = None;
        e.product_id = None;
        let fields: Vec<_> = e.validate().unwrap_err().0.into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["customer_id", "product_id"]);
    }

    #[test]
    fn search_needs_a_query() {
        let mut e = click();
        e.kind = EventKind::Search;
        e.product_id = None;
        assert!(e.validate().is_err());
        e.query = Some("牛奶".into());
        e.validate().unwrap();
    }

    #[test]
    fn kinds_parse_from_their_names() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert!(serde_json::from_str::<EventKind>("\"like\"").is_err());
    }
}
