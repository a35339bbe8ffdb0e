//! Shipping weight and volume of one unit of every leaf category's sizes, for
//! vehicle loads, freight and landed cost.

/// (kg, m³) of one unit of each size of a leaf category, in the order of
/// `catalog::Sub::sizes`: the packed product as it travels (bottle, carton,
/// ice for seafood), not the net contents.
const TABLE: &[(&str, &[(f64, f64)])] = &[
    ("fresh.fruit", &[(0.55, 0.0015), (1.05, 0.003), (2.7, 0.008)]),
    ("fresh.veg", &[(0.52, 0.0025), (0.27, 0.0012), (1.03, 0.005)]),
    ("fresh.eggs", &[(0.62, 0.0018), (1.25, 0.0035), (1.85, 0.005)]),
    ("fresh.tofu", &[(0.42, 0.0006), (0.84, 0.0012)]),
    ("meat.pork", &[(0.43, 0.0008), (0.84, 0.0015)]),
    ("meat.beef_lamb", &[(0.27, 0.0005), (0.53, 0.0009)]),
    ("meat.poultry", &[(0.53, 0.001), (1.05, 0.002)]),
    ("meat.seafood", &[(0.65, 0.0016), (1.2, 0.003)]),
    ("dairy.milk", &[(1.07, 0.0012), (1.6, 0.0019), (2.12, 0.0024)]),
    ("dairy.yoghurt", &[(0.87, 0.0012), (0.25, 0.0003), (1.05, 0.0013)]),
    ("dairy.cheese", &[(0.22, 0.0003), (0.53, 0.0006)]),
    ("bakery.bread", &[(0.42, 0.0035), (0.72, 0.006)]),
    ("bakery.cake", &[(0.35, 0.0025), (0.9, 0.006)]),
    ("bakery.mooncake", &[(0.45, 0.0015), (1.2, 0.006)]),
    ("snacks.chips", &[(0.08, 0.0025), (0.15, 0.0045), (0.22, 0.006)]),
    ("snacks.nuts", &[(0.22, 0.0005), (0.53, 0.0012), (1.06, 0.0025)]),
    ("snacks.biscuits", &[(0.12, 0.0004), (0.42, 0.0014), (0.75, 0.0025)]),
    ("snacks.candy", &[(0.06, 0.0002), (0.3, 0.0008), (0.65, 0.0025)]),
    ("snacks.instant", &[(0.13, 0.0009), (0.62, 0.0045), (1.6, 0.011)]),
    ("beverages.water", &[(0.57, 0.0006), (1.54, 0.0017), (13.8, 0.016)]),
    ("beverages.soda", &[(0.35, 0.0004), (0.53, 0.0006), (2.07, 0.0023), (8.6, 0.011)]),
    ("beverages.tea", &[(0.53, 0.0006), (1.05, 0.0012), (8.2, 0.01)]),
    ("beverages.juice", &[(1.08, 0.0012), (0.33, 0.0004)]),
    ("beverages.coffee", &[(0.3, 0.0008), (0.55, 0.0015), (0.12, 0.0003)]),
    ("alcohol.beer", &[(0.53, 0.0006), (6.5, 0.0085), (8.8, 0.012)]),
    ("alcohol.baijiu", &[(1.1, 0.0018), (0.22, 0.0003), (2.6, 0.0055)]),
    ("alcohol.wine", &[(1.3, 0.0014), (2.9, 0.004)]),
    ("alcohol.huangjiu", &[(0.85, 0.0009), (2.3, 0.0028), (4.2, 0.005)]),
    ("grain.rice", &[(5.05, 0.0065), (2.53, 0.0033), (10.1, 0.013)]),
    ("grain.oil", &[(4.65, 0.0058), (1.7, 0.0022), (0.87, 0.0011)]),
    ("grain.pasta", &[(0.51, 0.0012), (1.02, 0.0024)]),
    ("grain.sauce", &[(0.55, 0.0005), (0.9, 0.0009)]),
    ("grain.condiment", &[(0.6, 0.0006), (0.32, 0.0003), (1.85, 0.0021)]),
    ("grain.hotpot", &[(0.22, 0.0003), (0.66, 0.0009)]),
    ("grain.spreads", &[(0.42, 0.0004), (0.7, 0.0007)]),
    ("grain.cereal", &[(0.55, 0.0028), (1.08, 0.0052)]),
    ("frozen.dumplings", &[(0.53, 0.0012), (1.05, 0.0023), (2.08, 0.0045)]),
    ("frozen.icecream", &[(0.09, 0.0002), (0.75, 0.0018)]),
    ("frozen.meals", &[(0.45, 0.0012), (0.85, 0.0022)]),
    // Tissues and toilet rolls: light but bulky.
    ("household.paper", &[(0.6, 0.012), (0.3, 0.0065), (1.15, 0.023)]),
    ("household.laundry", &[(2.1, 0.0024), (3.6, 0.004)]),
    ("household.cleaning", &[(0.56, 0.0007), (1.1, 0.0013)]),
    ("household.kitchenware", &[(1.4, 0.01), (1.9, 0.014)]),
    ("personal.hair", &[(0.45, 0.0005), (0.82, 0.0009)]),
    ("personal.oral", &[(0.14, 0.0003), (0.42, 0.0009)]),
    ("personal.body", &[(0.45, 0.0005), (0.8, 0.0009)]),
    ("baby.diapers", &[(1.2, 0.012), (2.2, 0.022)]),
    ("baby.wipes", &[(0.95, 0.0028), (1.9, 0.0055), (3.8, 0.011)]),
    ("baby.formula", &[(1.05, 0.0028), (0.55, 0.0015)]),
    ("baby.food", &[(0.25, 0.0004), (0.72, 0.0012)]),
];

/// Product types far from their category's typical weight and bulk:
/// (category, type in English, weight factor, volume factor).
const KINDS: &[(&str, &str, f64, f64)] = &[
    ("beverages.coffee", "Ready-to-drink Latte", 1.1, 0.45),
    ("beverages.coffee", "Coffee Beans", 1.6, 1.1),
    ("household.kitchenware", "Non-stick Wok", 1.15, 1.5),
    ("household.kitchenware", "Vacuum Flask", 0.35, 0.25),
    ("household.kitchenware", "Ceramic Tableware Set", 2.2, 1.2),
    ("household.kitchenware", "Stainless Steel Stockpot", 1.6, 1.8),
    ("household.kitchenware", "Bamboo Chopping Board", 0.7, 0.35),
    ("personal.oral", "Soft Toothbrush", 0.2, 0.7),
    ("personal.oral", "Mouthwash", 4.0, 2.0),
    ("household.paper", "Toilet Rolls", 1.6, 1.5),
    ("household.laundry", "Laundry Pods", 0.5, 0.8),
    ("snacks.instant", "Self-heating Hot Pot", 3.0, 1.6),
    ("frozen.icecream", "Chocolate-coated Ice Cream Bar", 0.8, 0.8),
];

/// Weight (kg) and volume (m³) of one unit of size `size` and type `kind`
/// (English name) in leaf category `sub`; `None` for an unknown category or size.
pub(crate) fn unit(sub: &str, kind: &str, size: usize) -> Option<(f64, f64)> {
    let (_, sizes) = TABLE.iter().find(|(id, _)| *id == sub)?;
    let (kg, m3) = *sizes.get(size)?;
    let (fw, fv) = KINDS.iter().find(|(s, k, _, _)| *s == sub && *k == kind).map_or((1.0, 1.0), |x| (x.2, x.3));
    Some((kg * fw, m3 * fv))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::SUBS;

    #[test]
    fn every_size_of_every_category_has_a_plausible_weight_and_volume() {
        for s in SUBS {
            let (_, sizes) = TABLE.iter().find(|(id, _)| *id == s.id).unwrap_or_else(|| panic!("{}", s.id));
            assert_eq!(sizes.len(), s.sizes.len(), "{}", s.id);
            for k in s.kinds {
                for z in 0..s.sizes.len() {
                    let (kg, m3) = unit(s.id, k.en, z).unwrap();
                    // Densities between tissue paper and a bag of rice.
                    let density = kg / m3;
                    assert!((0.01..=25.0).contains(&kg) && (30.0..=1100.0).contains(&density), "{} {} {z}", s.id, k.en);
                }
            }
        }
        for (sub, kind, _, _) in KINDS {
            let s = SUBS.iter().find(|s| s.id == *sub).unwrap();
            assert!(s.kinds.iter().any(|k| k.en == *kind), "{sub} {kind}");
        }
        // Milk 1 L weighs about 1 kg, rice 5 kg about 5 kg.
        assert!((unit("dairy.milk", "Whole Milk", 0).unwrap().0 - 1.05).abs() < 0.05);
        assert!((unit("grain.rice", "Northeast Rice", 0).unwrap().0 - 5.0).abs() < 0.1);
        assert!(unit("nope", "x", 0).is_none());
    }
}
