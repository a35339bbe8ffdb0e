//! Every customer's [`CustomerFeatures`] as of a moment, read from the store: the customer
//! record (consent, channels, tier, home store), a year of orders, the categories bought
//! (counted for every ancestor category too, so a rule on `baby` sees a purchase in
//! `baby.diapers`), and the days with visits in the last month.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use retail_domain::{Category, Customer, EntityKind, EventKind, Location};
use retail_marketing::CustomerFeatures;

use crate::platform::Platform;
use crate::service::{ServiceResult, all_docs};

const DAY_MS: i64 = 86_400_000;

/// The population a campaign or segment is computed over.
pub struct Population {
    pub features: Vec<CustomerFeatures>,
    /// Each customer's language tag, name, and e-mail and phone for addressing messages.
    pub customers: HashMap<String, Customer>,
    /// Time zone of each location.
    pub time_zones: HashMap<String, String>,
}

impl Population {
    /// The customer's time zone: their home store's, else the platform's home zone.
    pub fn time_zone(&self, customer: &CustomerFeatures) -> &str {
        customer.home_location_id.as_ref().and_then(|l| self.time_zones.get(l)).map_or(HOME_TIME_ZONE, String::as_str)
    }
}

/// Where a customer without a home store is assumed to live.
pub const HOME_TIME_ZONE: &str = "Asia/Shanghai";

fn days_between(earlier_ms: i64, later_ms: i64) -> u32 {
    u32::try_from(((later_ms - earlier_ms).max(0)) / DAY_MS).unwrap_or(u32::MAX)
}

/// Each category and all its ancestors, by id.
fn lineages(categories: &[Category]) -> HashMap<String, Vec<String>> {
    let parent: HashMap<&str, Option<&str>> =
        categories.iter().map(|c| (c.external_id.as_str(), c.parent_id.as_deref())).collect();
    categories
        .iter()
        .map(|c| {
            let mut line = vec![c.external_id.clone()];
            let mut at = c.parent_id.as_deref();
            // A cycle in bad data stops at the category count instead of looping.
            while let Some(id) = at.filter(|_| line.len() <= categories.len()) {
                line.push(id.to_string());
                at = parent.get(id).copied().flatten();
            }
            (c.external_id.clone(), line)
        })
        .collect()
}

/// Reads the population as of `now`.
pub async fn load(p: &Platform, now: DateTime<Utc>) -> ServiceResult<Population> {
    let now_ms = now.timestamp_millis();
    let customers: Vec<Customer> = all_docs(p, EntityKind::Customer).await?;
    let categories: Vec<Category> = all_docs(p, EntityKind::Category).await?;
    let locations: Vec<Location> = all_docs(p, EntityKind::Location).await?;
    let activity: HashMap<String, retail_store::CustomerActivity> = p
        .store
        .customer_activity(now_ms - 365 * DAY_MS, now_ms - 90 * DAY_MS, now_ms)
        .await?
        .into_iter()
        .map(|a| (a.customer_id.clone(), a))
        .collect();
    let lineage = lineages(&categories);
    let mut bought: HashMap<String, BTreeMap<String, u32>> = HashMap::new();
    for purchase in p.store.category_purchases(now_ms - 365 * DAY_MS, now_ms).await? {
        let days = days_between(purchase.last_ms, now_ms);
        let entry = bought.entry(purchase.customer_id).or_default();
        let line = lineage.get(&purchase.category_id).cloned().unwrap_or_else(|| vec![purchase.category_id]);
        for category in line {
            entry.entry(category).and_modify(|d| *d = (*d).min(days)).or_insert(days);
        }
    }
    let mut visit_days: HashMap<String, HashSet<i64>> = HashMap::new();
    for i in p.store.customer_interactions(now_ms - 30 * DAY_MS, &[EventKind::View]).await? {
        if i.occurred_at_ms < now_ms {
            visit_days.entry(i.customer_id).or_default().insert(i.occurred_at_ms / DAY_MS);
        }
    }
    let features = customers
        .iter()
        .filter(|c| c.registered_at <= now)
        .map(|c| {
            let a = activity.get(&c.external_id).cloned().unwrap_or_default();
            let share = |part: i64| if a.orders_365d > 0 { part as f64 / a.orders_365d as f64 } else { 0.0 };
            CustomerFeatures {
                customer_id: c.external_id.clone(),
                days_since_last_order: (a.orders_365d > 0).then(|| days_between(a.last_order_ms, now_ms)),
                orders_90d: u32::try_from(a.orders_90d).unwrap_or(u32::MAX),
                orders_365d: u32::try_from(a.orders_365d).unwrap_or(u32::MAX),
                spend_90d_minor: a.spend_90d_minor,
                spend_365d_minor: a.spend_365d_minor,
                average_basket_minor: if a.orders_365d > 0 { a.spend_365d_minor / a.orders_365d } else { 0 },
                days_since_registration: days_between(c.registered_at.timestamp_millis(), now_ms),
                tier: c.tier.clone(),
                city: c.city.clone(),
                home_location_id: c.home_location_id.clone(),
                consent: c.consent.clone(),
                preferred_channels: c.preferred_channels.clone(),
                categories_last_bought: bought.remove(&c.external_id).unwrap_or_default(),
                online_share: share(a.online_orders_365d),
                visits_30d: visit_days.get(&c.external_id).map_or(0, |d| d.len() as u32),
                discount_share: share(a.discounted_orders_365d),
            }
        })
        .collect();
    Ok(Population {
        features,
        customers: customers.into_iter().map(|c| (c.external_id.clone(), c)).collect(),
        time_zones: locations.into_iter().map(|l| (l.external_id, l.timezone)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use retail_domain::Text;

    fn category(id: &str, parent: Option<&str>) -> Category {
        Category {
            external_id: id.into(),
            parent_id: parent.map(str::to_string),
            name: Text::new(id, id),
            consumable: true,
            perishable: false,
        }
    }

    #[test]
    fn a_category_counts_for_its_ancestors() {
        let all = [category("baby", None), category("baby.diapers", Some("baby")), category("loop", Some("loop"))];
        let l = lineages(&all);
        assert_eq!(l["baby.diapers"], ["baby.diapers", "baby"]);
        assert_eq!(l["baby"], ["baby"]);
        assert!(l["loop"].len() <= all.len() + 1, "a self-parent does not loop forever");
    }
}
