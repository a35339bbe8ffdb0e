//! Products (SKUs) invented from the catalogue tables, with the hidden facts
//! that drive their demand.

use std::collections::BTreeMap;

use retail_domain::{Category, Money, Product, ProductStatus, Text};

use crate::catalog::{ROOTS, SUBS, Sub, makes};
use crate::random::{Purpose, between, chance, index, lognormal, stream};
use crate::{physical, suppliers};

/// Extra editions when a config asks for more SKUs than brand × type × size
/// combinations exist.
const EDITIONS: [(&str, &str); 8] = [
    ("经典款", "Classic"),
    ("升级款", "Upgraded"),
    ("限定款", "Limited Edition"),
    ("组合装", "Combo Pack"),
    ("量贩装", "Value Pack"),
    ("有机款", "Organic"),
    ("低糖款", "Low Sugar"),
    ("臻选款", "Select"),
];

/// What the demo knows about a product and the data model does not say.
pub(crate) struct SkuTruth {
    pub sub: usize,
    pub brand: usize,
    /// Relative units per day in an average store: the long tail lives here.
    pub popularity: f64,
    /// First day (index) it is sold; 0 for the launch assortment.
    pub launch: usize,
    /// Day (index) from which it is no longer reordered.
    pub delist: Option<usize>,
}

pub(crate) fn categories() -> Vec<Category> {
    let roots = ROOTS.iter().map(|r| Category {
        external_id: r.id.into(),
        parent_id: None,
        name: Text::new(r.zh, r.en),
        consumable: true,
        perishable: r.perishable,
    });
    let leaves = SUBS.iter().map(|s| Category {
        external_id: s.id.into(),
        parent_id: Some(ROOTS[s.root].id.into()),
        name: Text::new(s.zh, s.en),
        consumable: s.consumable,
        perishable: ROOTS[s.root].perishable,
    });
    roots.chain(leaves).collect()
}

/// SKUs per leaf category in proportion to its weight (D'Hondt), while the
/// brand × type × size combinations last.
fn allocate(skus: usize, combos: &[usize]) -> Vec<usize> {
    let mut n = vec![0usize; SUBS.len()];
    for _ in 0..skus {
        let pick = |capped: bool| {
            (0..SUBS.len()).filter(|&s| !capped || n[s] < combos[s]).max_by(|&a, &b| {
                let qa = SUBS[a].weight / (n[a] + 1) as f64;
                let qb = SUBS[b].weight / (n[b] + 1) as f64;
                qa.total_cmp(&qb).then(b.cmp(&a))
            })
        };
        let s = pick(true).or_else(|| pick(false)).expect("categories exist");
        n[s] += 1;
    }
    n
}

fn combos(sub: &Sub) -> Vec<(usize, usize, usize)> {
    let mut v = Vec::new();
    for b in 0..sub.brands.len() {
        for k in 0..sub.kinds.len() {
            if makes(sub, b, k) {
                for z in 0..sub.sizes.len() {
                    v.push((b, k, z));
                }
            }
        }
    }
    v
}

/// Shelf prices the way Chinese supermarkets write them: ¥4.50, ¥12.90, ¥1,499.00.
fn shelf_price(yuan: f64) -> i64 {
    if yuan < 10.0 {
        ((yuan * 10.0).round() as i64 * 10).max(100)
    } else if yuan < 1000.0 {
        yuan.round() as i64 * 100 - 10
    } else {
        (yuan / 10.0).round() as i64 * 1000 - 100
    }
}

/// `x` rounded to `1 / per` (grams, tens of cubic centimetres).
fn round_to(x: f64, per: f64) -> f64 {
    ((x * per).round() / per).max(1.0 / per)
}

/// A valid EAN-13 in the Chinese GS1 range (69…), unique per index.
fn barcode(i: usize) -> String {
    let body = format!("69{:010}", (i as u64 * 7_919_777 + 1_234_567) % 10_000_000_000);
    let sum: u32 = body.bytes().enumerate().map(|(p, c)| u32::from(c - b'0') * if p % 2 == 0 { 1 } else { 3 }).sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

pub(crate) fn build(seed: u64, skus: usize, days: usize) -> (Vec<Product>, Vec<SkuTruth>) {
    let mut rng = stream(seed, Purpose::Catalogue, 0);
    // Weights and volumes vary a little by brand and packaging; their own
    // stream, so the catalogue's draws stay as they were.
    let mut dims = stream(seed, Purpose::Dimensions, 0);
    let all: Vec<Vec<(usize, usize, usize)>> = SUBS.iter().map(combos).collect();
    let counts = allocate(skus, &all.iter().map(Vec::len).collect::<Vec<_>>());
    let mut drafts = Vec::with_capacity(skus);
    for si in 0..SUBS.len() {
        let mut pool = all[si].clone();
        // A per-category shuffle decides which combinations a small catalogue keeps.
        for i in (1..pool.len()).rev() {
            pool.swap(i, index(&mut rng, i + 1));
        }
        for j in 0..counts[si] {
            drafts.push((si, pool[j % pool.len()], j / pool.len()));
        }
    }
    // Interleave categories so SKU numbers do not reveal the category.
    for i in (1..drafts.len()).rev() {
        drafts.swap(i, index(&mut rng, i + 1));
    }
    let mut products = Vec::with_capacity(skus);
    let mut truth = Vec::with_capacity(skus);
    for (i, (si, (bi, ki, zi), edition)) in drafts.into_iter().enumerate() {
        let sub = &SUBS[si];
        let (brand, kind, size) = (&sub.brands[bi], &sub.kinds[ki], &sub.sizes[zi]);
        let (ed_zh, ed_en) = match edition {
            0 => (String::new(), String::new()),
            e if e <= EDITIONS.len() => (format!(" {}", EDITIONS[e - 1].0), format!(" {}", EDITIONS[e - 1].1)),
            e => (format!(" 第{e}款"), format!(" Edition {e}")),
        };
        let price = shelf_price(kind.price * size.factor * brand.premium * between(&mut rng, 0.94, 1.06));
        let cost = ((price as f64 * sub.margin * between(&mut rng, 0.95, 1.04)).round() as i64).clamp(1, price - 1);
        let mut attributes = BTreeMap::from([
            ("origin".to_string(), brand.origin.to_string()),
            (
                "size".to_string(),
                if size.zh == size.en { size.zh.to_string() } else { format!("{} {}", size.zh, size.en) },
            ),
            ("type".to_string(), format!("{} {}", kind.zh, kind.en)),
            ("storage".to_string(), sub.storage.label().to_string()),
        ]);
        if !sub.allergens.is_empty() {
            attributes.insert("allergens".into(), sub.allergens.into());
        }
        if edition > 0 {
            attributes.insert("edition".into(), format!("{}{}", ed_zh.trim(), ed_en));
        }
        // Long tail: a few fast movers, many products selling a few units a week.
        let brand_share = 1.0 / ((bi + 1) as f64).sqrt();
        let size_share = if size.factor > 1.5 { 0.45 } else { 1.0 };
        let popularity = sub.velocity * brand_share * size_share * lognormal(&mut rng, 1.1);
        let launch =
            if days > 60 && chance(&mut rng, 0.06) { (days as f64 * between(&mut rng, 0.1, 0.9)) as usize } else { 0 };
        let delist = (days > 60 && chance(&mut rng, 0.03))
            .then(|| (days as f64 * between(&mut rng, 0.6, 0.97)) as usize)
            .filter(|d| *d > launch + 30);
        let supplier = sub.suppliers[bi % sub.suppliers.len()];
        let (kg, m3) = physical::unit(sub.id, kind.en, zi).expect("every size has a weight and volume");
        let (wf, vf) = (between(&mut dims, 0.96, 1.04), between(&mut dims, 0.95, 1.05));
        products.push(Product {
            unit_weight_kg: Some(round_to(kg * wf, 1000.0)),
            unit_volume_m3: Some(round_to(m3 * vf, 100_000.0)),
            external_id: format!("SKU{:05}", i + 1),
            name: Text::new(
                format!("{} {} {}{ed_zh}", brand.zh, kind.zh, size.zh),
                format!("{} {} {}{ed_en}", brand.en, kind.en, size.en),
            ),
            brand: brand.zh.into(),
            category_id: sub.id.into(),
            attributes,
            price: Money::cny(price),
            cost: Money::cny(cost),
            pack_size: sub.pack,
            shelf_life_days: sub.shelf_life,
            barcode: Some(barcode(i)),
            supplier_id: Some(suppliers::id(supplier)),
            status: if delist.is_some() { ProductStatus::Discontinued } else { ProductStatus::Active },
        });
        truth.push(SkuTruth { sub: si, brand: bi, popularity, launch, delist });
    }
    (products, truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barcodes_are_valid_ean13() {
        for i in [0, 1, 77, 99_999] {
            let b = barcode(i);
            assert_eq!(b.len(), 13);
            let sum: u32 =
                b.bytes().enumerate().map(|(p, c)| u32::from(c - b'0') * if p % 2 == 0 { 1 } else { 3 }).sum();
            assert_eq!(sum % 10, 0, "{b}");
        }
        assert_ne!(barcode(1), barcode(2));
    }

    #[test]
    fn prices_look_like_shelf_prices() {
        assert_eq!(shelf_price(4.46), 450);
        assert_eq!(shelf_price(12.2), 1190);
        assert_eq!(shelf_price(1497.0), 149_900);
        assert_eq!(shelf_price(0.2), 100);
    }

    #[test]
    fn allocation_follows_weights_and_respects_combinations() {
        let combos: Vec<usize> = SUBS.iter().map(|s| combos(s).len()).collect();
        let n = allocate(2000, &combos);
        assert_eq!(n.iter().sum::<usize>(), 2000);
        assert!(n.iter().zip(&combos).all(|(a, c)| a <= c));
        let big = allocate(10 * combos.iter().sum::<usize>(), &combos);
        assert!(big.iter().zip(&combos).any(|(a, c)| a > c));
    }
}
