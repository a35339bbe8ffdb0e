//! What a campaign knows about a customer. The app computes these from orders, visits and the
//! customer record; everything here only reads them.

use std::collections::BTreeMap;

use retail_domain::customer::{Channel, Consent};
use serde::{Deserialize, Serialize};

/// One customer's behaviour and reachability, as of the day the campaign is planned.
/// Money is in minor units (fen, cents) of the store's currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerFeatures {
    pub customer_id: String,
    /// `None` for a customer who never ordered.
    #[serde(default)]
    pub days_since_last_order: Option<u32>,
    pub orders_90d: u32,
    pub orders_365d: u32,
    pub spend_90d_minor: i64,
    pub spend_365d_minor: i64,
    /// Mean order value over the last 365 days; 0 without orders.
    pub average_basket_minor: i64,
    pub days_since_registration: u32,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub home_location_id: Option<String>,
    #[serde(default)]
    pub consent: Consent,
    /// Most preferred first.
    #[serde(default)]
    pub preferred_channels: Vec<Channel>,
    /// Category external id → days since the customer last bought in it (0 = today).
    #[serde(default)]
    pub categories_last_bought: BTreeMap<String, u32>,
    /// Share of the last 365 days' orders placed online, 0 to 1.
    #[serde(default)]
    pub online_share: f64,
    /// Store or app visits in the last 30 days.
    #[serde(default)]
    pub visits_30d: u32,
    /// Share of the last 365 days' orders that used a discount or coupon, 0 to 1: tells deal
    /// seekers from full-price buyers, for rules and clusters.
    #[serde(default)]
    pub discount_share: f64,
}

impl CustomerFeatures {
    /// Whether the customer bought in `category` in the last `days` days, today being day 0:
    /// the last 30 days are 0 to 29 days ago.
    pub fn bought_within(&self, category: &str, days: u32) -> bool {
        self.categories_last_bought.get(category).is_some_and(|&days_ago| days_ago < days)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bought_within_counts_today_as_day_zero() {
        let customer = CustomerFeatures {
            categories_last_bought: BTreeMap::from([("baby".to_string(), 30)]),
            ..CustomerFeatures::default()
        };
        assert!(customer.bought_within("baby", 31));
        assert!(!customer.bought_within("baby", 30));
        assert!(!customer.bought_within("toys", 365));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = serde_json::from_str::<CustomerFeatures>(
            r#"{"customer_id":"c1","orders_90d":0,"orders_365d":0,"spend_90d_minor":0,"spend_365d_minor":0,
                "average_basket_minor":0,"days_since_registration":3,"favourite_colour":"red"}"#,
        )
        .unwrap_err();
        assert!(error.to_string().contains("favourite_colour"), "{error}");
    }
}
