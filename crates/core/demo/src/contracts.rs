//! Supplier contracts: every product's terms with its supplier, competing
//! offers from other suppliers of the same category, and a few expired
//! contracts at the price before the last renewal.

use chrono::{Duration, NaiveDate};
use retail_domain::{Contract, Currency, DeliveryDay, Product, Supplier};

use crate::catalog::SUBS;
use crate::products::SkuTruth;
use crate::random::{Purpose, between, chance, index, stream};

/// Share of products with a competing offer from another supplier.
const COMPETING: f64 = 0.42;
/// Share of products with an expired contract before the current one.
const EXPIRED: f64 = 0.05;

const WEEK: [DeliveryDay; 7] = [
    DeliveryDay::Mon,
    DeliveryDay::Tue,
    DeliveryDay::Wed,
    DeliveryDay::Thu,
    DeliveryDay::Fri,
    DeliveryDay::Sat,
    DeliveryDay::Sun,
];

/// The days supplier number `s` (0-based) delivers: daily for the fresh
/// suppliers with a lead time of two days or less (as the simulation reviews
/// them), six days a week for the regional wholesalers, three or two fixed
/// days for the slower and importing ones.
pub(crate) fn delivery_days(s: usize, lead: f64) -> Vec<DeliveryDay> {
    let days: Vec<usize> = if lead <= 2.0 {
        (0..7).collect()
    } else if lead <= 5.0 {
        (0..7).filter(|d| *d != (s + 6) % 7).collect()
    } else if lead <= 7.0 {
        vec![s % 7, (s + 2) % 7, (s + 4) % 7]
    } else {
        vec![s % 7, (s + 3) % 7]
    };
    let mut v: Vec<DeliveryDay> = days.into_iter().map(|d| WEEK[d]).collect();
    v.sort_unstable();
    v
}

/// Terms of `product` with supplier number `s` (0-based): a unit cost, a
/// minimum order of `cases` cases, and the validity period.
fn contract(
    id: String,
    (supplier, s): (&Supplier, usize),
    product: &Product,
    cost: i64,
    cases: i64,
    (from, to): (NaiveDate, Option<NaiveDate>),
) -> Contract {
    Contract {
        external_id: id,
        supplier_id: supplier.external_id.clone(),
        product_id: product.external_id.clone(),
        currency: Currency::cny(),
        unit_cost_minor: cost.max(1),
        min_order_units: cases * i64::from(product.pack_size.max(1)),
        pack_size: product.pack_size.max(1),
        lead_time_days: supplier.lead_time_days,
        delivery_days: delivery_days(s, supplier.lead_time_days),
        valid_from: from,
        valid_to: to,
    }
}

/// Contracts by product, in product order: the current one with the
/// product's own supplier (at its cost, valid from about a year before
/// `last_day`, open-ended), then any expired one with the same supplier,
/// then any competing offer.
pub(crate) fn build(
    seed: u64,
    products: &[Product],
    skus: &[SkuTruth],
    suppliers: &[Supplier],
    last_day: NaiveDate,
) -> Vec<Contract> {
    let mut rng = stream(seed, Purpose::Contracts, 0);
    let position = |id: &str| suppliers.iter().position(|s| s.external_id == id);
    let mut out = Vec::with_capacity(products.len() * 3 / 2);
    for (p, t) in products.iter().zip(skus) {
        let own = p.supplier_id.as_deref().and_then(position).expect("every product has a known supplier");
        let cost = p.cost.amount_minor;
        let sku = &p.external_id;
        let sup = &suppliers[own];
        // Renewed about a year ago, on a quarter's working rhythm.
        let from = last_day - Duration::days(350 + index(&mut rng, 40) as i64);
        let cases = 1 + i64::from(chance(&mut rng, 0.35));
        out.push(contract(format!("CT-{}-{sku}", sup.external_id), (sup, own), p, cost, cases, (from, None)));
        // Expired: the year before the renewal, at the old price (mostly a
        // little lower: prices went up), for products of the launch assortment.
        let expired = chance(&mut rng, EXPIRED);
        let old = match (cost as f64 * between(&mut rng, 0.9, 1.04)).round() as i64 {
            x if x == cost => cost + if cost > 1 { -1 } else { 1 },
            x => x.max(1),
        };
        if expired && t.launch == 0 {
            let to = from - Duration::days(1);
            let since = to - Duration::days(364);
            let id = format!("CT-{}-{sku}-{}", sup.external_id, since.format("%Y"));
            out.push(contract(id, (sup, own), p, old, cases, (since, Some(to))));
        }
        // A competing offer from another supplier of the category, else of
        // its department, between 6% cheaper and 12% dearer.
        let competing = chance(&mut rng, COMPETING);
        let factor = between(&mut rng, 0.94, 1.12);
        let pick = index(&mut rng, 1_000_000);
        let since = last_day - Duration::days(20 + index(&mut rng, 300) as i64);
        let until = chance(&mut rng, 0.3).then(|| last_day + Duration::days(60 + index(&mut rng, 300) as i64));
        if !competing {
            continue;
        }
        let sub = &SUBS[t.sub];
        let mut rivals: Vec<usize> = sub.suppliers.iter().map(|n| n - 1).filter(|s| *s != own).collect();
        if rivals.is_empty() {
            rivals =
                SUBS.iter().filter(|x| x.root == sub.root).flat_map(|x| x.suppliers.iter().map(|n| n - 1)).collect();
            rivals.sort_unstable();
            rivals.dedup();
            rivals.retain(|s| *s != own);
        }
        rivals.retain(|s| *s < suppliers.len());
        if rivals.is_empty() {
            continue;
        }
        let r = rivals[pick % rivals.len()];
        let rival = &suppliers[r];
        let price = (cost as f64 * factor).round() as i64;
        out.push(contract(format!("CT-{}-{sku}", rival.external_id), (rival, r), p, price, cases, (since, until)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_days_follow_the_lead_time() {
        assert_eq!(delivery_days(0, 1.0).len(), 7);
        assert_eq!(delivery_days(3, 4.0).len(), 6);
        assert_eq!(delivery_days(3, 6.0).len(), 3);
        assert_eq!(delivery_days(18, 12.0), vec![DeliveryDay::Mon, DeliveryDay::Fri]);
        let d = delivery_days(5, 10.0);
        assert!(d.windows(2).all(|w| w[0] < w[1]));
    }
}
