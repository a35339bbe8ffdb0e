//! What the ranking stage knows about items and the shopper beyond the candidate lists, and how a
//! candidate becomes the feature vector of the click and conversion models.
//!
//! The features describe the item and the shopper only, never the slot the item was shown in: a
//! model trained on logged impressions then scores an item the same wherever it may end up.

use serde::{Deserialize, Serialize};

use super::blend::{Blend, Candidate};
use super::click_model::LogisticModel;
use crate::ItemId;

/// Dense index of a product category, chosen by the caller.
pub type CategoryId = u32;

/// What the ranking stage needs to know about one item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemFacts {
    pub category: Option<CategoryId>,
    pub price: Option<f32>,
    /// Interactions or sales over a recent window; any non-negative count.
    pub popularity: f32,
}

/// Facts about every item, indexed by [`ItemId`], and the price bands and mean price derived from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    facts: Vec<ItemFacts>,
    /// Ascending; an item's price band is the number of edges at or below its price.
    price_edges: Vec<f32>,
    /// Mean of the known prices; `None` when no item has one.
    mean_price: Option<f32>,
}

impl Catalogue {
    /// Cuts the known prices into `price_bands` bands of about equal item counts (quantiles), fewer
    /// when many items share a price. Prices that are not finite count as unknown.
    pub fn new(facts: Vec<ItemFacts>, price_bands: usize) -> Self {
        let mut prices: Vec<f32> = facts.iter().filter_map(|facts| facts.price).filter(|p| p.is_finite()).collect();
        prices.sort_by(f32::total_cmp);
        let mut price_edges: Vec<f32> = match prices.first() {
            Some(&cheapest) => (1..price_bands)
                .map(|band| prices[band * prices.len() / price_bands])
                .filter(|&edge| edge > cheapest)
                .collect(),
            None => Vec::new(),
        };
        price_edges.dedup();
        let mean_price = (!prices.is_empty())
            .then(|| (prices.iter().map(|&p| f64::from(p)).sum::<f64>() / prices.len() as f64) as f32);
        Self { facts, price_edges, mean_price }
    }

    /// An item outside the catalogue has no category, no price and no popularity.
    pub fn facts(&self, item: ItemId) -> ItemFacts {
        self.facts.get(item as usize).copied().unwrap_or_default()
    }

    pub fn category(&self, item: ItemId) -> Option<CategoryId> {
        self.facts(item).category
    }

    /// How many price bands there are: 0 when no item has a price.
    pub fn price_bands(&self) -> usize {
        if self.mean_price.is_some() { self.price_edges.len() + 1 } else { 0 }
    }

    /// `0..price_bands()`, cheapest first; `None` for an item without a (finite) price.
    pub fn price_band(&self, item: ItemId) -> Option<usize> {
        let price = self.facts(item).price.filter(|price| price.is_finite())?;
        Some(self.price_edges.partition_point(|&edge| edge <= price))
    }

    /// The item's price over the catalogue's mean price: what one conversion of it is worth relative
    /// to an average one. 1 for an item without a price, or when no item has one.
    pub fn relative_value(&self, item: ItemId) -> f32 {
        match (self.facts(item).price.filter(|price| price.is_finite()), self.mean_price) {
            (Some(price), Some(mean)) if mean > 0.0 => price / mean,
            _ => 1.0,
        }
    }

    /// The shopper's leaning towards each category, from the items of `history`.
    pub fn affinity(&self, history: &[ItemId]) -> CategoryAffinity {
        let mut categories: Vec<CategoryId> = history.iter().filter_map(|&item| self.category(item)).collect();
        categories.sort_unstable();
        let mut counts: Vec<(CategoryId, usize)> = Vec::new();
        for category in categories {
            match counts.last_mut() {
                Some((last, count)) if *last == category => *count += 1,
                _ => counts.push((category, 1)),
            }
        }
        CategoryAffinity { counts, history_len: history.len() }
    }
}

/// How much of a shopper's history lies in each category.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryAffinity {
    /// Sorted by category.
    counts: Vec<(CategoryId, usize)>,
    history_len: usize,
}

impl CategoryAffinity {
    /// The share of the history in `category`, in `[0, 1]`; 0 for no category or an empty history.
    pub fn of(&self, category: Option<CategoryId>) -> f32 {
        let Some(category) = category else { return 0.0 };
        match self.counts.binary_search_by_key(&category, |&(category, _)| category) {
            Ok(found) => self.counts[found].1 as f32 / self.history_len as f32,
            Err(_) => 0.0,
        }
    }
}

/// Maps a categorical value to one of `2^bits` feature slots, so an open-ended vocabulary (categories,
/// brands, campaigns) fits a fixed-size model without a dictionary. Collisions share a weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureHasher {
    bits: u32,
}

impl FeatureHasher {
    /// Panics for more than 31 bits (feature indices are `u32`).
    pub fn new(bits: u32) -> Self {
        assert!(bits <= 31, "at most 2^31 hashed features, not 2^{bits}");
        Self { bits }
    }

    pub fn buckets(&self) -> usize {
        1 << self.bits
    }

    /// The slot of `value` within `namespace`, in `0..buckets()`. FNV-1a with a mixing finaliser: the
    /// same on every run, platform and release, so a stored model keeps reading new features right.
    pub fn bucket(&self, namespace: &str, value: &str) -> u32 {
        const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const FNV_PRIME: u64 = 0x0100_0000_01b3;
        // 0xff never occurs in UTF-8, so ("ab", "c") and ("a", "bc") differ.
        let bytes = namespace.bytes().chain([0xff]).chain(value.bytes());
        let mut hash = bytes.fold(FNV_OFFSET, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME));
        // FNV's low bits mix poorly; the splitmix64 finaliser spreads every input bit over them.
        hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        hash ^= hash >> 31;
        (hash & (self.buckets() as u64 - 1)) as u32
    }
}

/// The layout of the ranking models' feature vector, with a name for every feature so a model's
/// weights can be read. In index order:
///
/// - `source:NAME`, one per blend source: the candidate's normalised score from it, 0 when that source
///   did not propose it (unweighted, so retuning the blend does not change what a model was trained on);
/// - `log_popularity`: `ln(1 + popularity)`;
/// - `category_affinity`: the share of the shopper's history in the item's category;
/// - `price_band:B`, one per price band: 1 for the item's band (none for an item without a price);
/// - `category_hash:H`, only with category hashing: 1 for the slot of the item's category, so a model
///   learns per-category appeal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingFeatures {
    sources: Vec<String>,
    price_bands: usize,
    category_hashing: Option<FeatureHasher>,
}

impl RankingFeatures {
    pub fn new(blend: &Blend, catalogue: &Catalogue, category_hashing: Option<FeatureHasher>) -> Self {
        Self {
            sources: blend.sources.iter().map(|source| source.name.clone()).collect(),
            price_bands: catalogue.price_bands(),
            category_hashing,
        }
    }

    /// The length of the feature vector: what a model is fitted with.
    pub fn dimensions(&self) -> usize {
        self.first_hashed() + self.category_hashing.map_or(0, |hasher| hasher.buckets())
    }

    /// The name of feature `index` (see the layout above); `None` past [`RankingFeatures::dimensions`].
    pub fn name(&self, index: usize) -> Option<String> {
        let sources = self.sources.len();
        let name = match index {
            _ if index < sources => format!("source:{}", self.sources[index]),
            _ if index == self.log_popularity() => "log_popularity".to_string(),
            _ if index == self.category_affinity() => "category_affinity".to_string(),
            _ if index < self.first_hashed() => format!("price_band:{}", index - self.first_price_band()),
            _ if index < self.dimensions() => format!("category_hash:{}", index - self.first_hashed()),
            _ => return None,
        };
        Some(name)
    }

    /// The `top` strongest weights of a model fitted on this layout, with their feature names, largest
    /// magnitude first: what the model learnt, in words.
    pub fn explain(&self, model: &LogisticModel, top: usize) -> Vec<(String, f64)> {
        let strongest = model.strongest(top).into_iter();
        strongest.filter_map(|(index, weight)| Some((self.name(index)?, weight))).collect()
    }

    /// The candidate's features, as sorted `(index, value)` pairs, into `features` (cleared first, so
    /// one buffer serves a whole request). `affinity` is the shopper's, from [`Catalogue::affinity`].
    pub fn encode_into(
        &self,
        candidate: &Candidate,
        catalogue: &Catalogue,
        affinity: &CategoryAffinity,
        features: &mut Vec<(u32, f32)>,
    ) {
        features.clear();
        features.extend(candidate.sources.iter().map(|source| (source.source as u32, source.normalised)));
        let facts = catalogue.facts(candidate.item);
        features.push((self.log_popularity() as u32, facts.popularity.max(0.0).ln_1p()));
        features.push((self.category_affinity() as u32, affinity.of(facts.category)));
        if let Some(band) = catalogue.price_band(candidate.item).filter(|&band| band < self.price_bands) {
            features.push(((self.first_price_band() + band) as u32, 1.0));
        }
        if let (Some(hasher), Some(category)) = (self.category_hashing, facts.category) {
            let slot = hasher.bucket("category", &category.to_string());
            features.push((self.first_hashed() as u32 + slot, 1.0));
        }
    }

    /// [`RankingFeatures::encode_into`] a new vector.
    pub fn encode(&self, candidate: &Candidate, catalogue: &Catalogue, affinity: &CategoryAffinity) -> Vec<(u32, f32)> {
        let mut features = Vec::new();
        self.encode_into(candidate, catalogue, affinity, &mut features);
        features
    }

    fn log_popularity(&self) -> usize {
        self.sources.len()
    }

    fn category_affinity(&self) -> usize {
        self.sources.len() + 1
    }

    fn first_price_band(&self) -> usize {
        self.sources.len() + 2
    }

    fn first_hashed(&self) -> usize {
        self.first_price_band() + self.price_bands
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::blend::{Normalisation, SourceScore, SourceWeight};

    fn item(category: Option<CategoryId>, price: Option<f32>, popularity: f32) -> ItemFacts {
        ItemFacts { category, price, popularity }
    }

    /// Prices 1, 2, 3, 4, 5, 6 (item 6 has none); categories 0, 0, 1, 1, 1, none, 2.
    fn catalogue() -> Catalogue {
        let facts = vec![
            item(Some(0), Some(3.0), 9.0),
            item(Some(0), Some(1.0), 0.0),
            item(Some(1), Some(6.0), 1.0),
            item(Some(1), Some(2.0), 0.0),
            item(Some(1), Some(5.0), 0.0),
            item(None, Some(4.0), 0.0),
            item(Some(2), None, 0.0),
        ];
        Catalogue::new(facts, 3)
    }

    #[test]
    fn price_bands_are_quantiles_of_known_prices() {
        let catalogue = catalogue();
        // Six prices in three bands: edges at the 3rd and 5th cheapest, 3 and 5.
        assert_eq!(catalogue.price_bands(), 3);
        let bands: Vec<Option<usize>> = (0..8).map(|item| catalogue.price_band(item)).collect();
        assert_eq!(bands, [Some(1), Some(0), Some(2), Some(0), Some(2), Some(1), None, None]);
        // Mean price 3.5.
        assert!((catalogue.relative_value(2) - 6.0 / 3.5).abs() < 1e-6);
        assert_eq!(catalogue.relative_value(6), 1.0);
    }

    #[test]
    fn shared_prices_give_fewer_bands_and_no_prices_none() {
        let same = Catalogue::new(vec![item(None, Some(2.0), 0.0); 4], 4);
        assert_eq!((same.price_bands(), same.price_band(0)), (1, Some(0)));
        let unpriced = Catalogue::new(vec![item(None, None, 0.0); 4], 4);
        assert_eq!((unpriced.price_bands(), unpriced.price_band(0)), (0, None));
        assert_eq!(unpriced.relative_value(0), 1.0);
    }

    #[test]
    fn affinity_is_the_share_of_history_in_the_category() {
        let affinity = catalogue().affinity(&[2, 3, 0, 5]);
        assert_eq!(affinity.of(Some(1)), 0.5);
        assert_eq!(affinity.of(Some(0)), 0.25);
        assert_eq!(affinity.of(Some(2)), 0.0);
        assert_eq!(affinity.of(None), 0.0);
        assert_eq!(catalogue().affinity(&[]).of(Some(1)), 0.0);
    }

    #[test]
    fn hashing_is_stable_and_separates_namespaces() {
        let hasher = FeatureHasher::new(20);
        // Pinned (computed independently): a change would silently scramble stored models' hashed weights.
        assert_eq!(hasher.bucket("category", "17"), 0x9_60c6);
        assert_ne!(hasher.bucket("ab", "c"), hasher.bucket("a", "bc"));
        assert_eq!(FeatureHasher::new(0).bucket("category", "17"), 0);
        let narrow = FeatureHasher::new(3);
        assert!((0..100).all(|value| narrow.bucket("brand", &value.to_string()) < 8));
    }

    #[test]
    fn features_follow_the_named_layout() {
        let catalogue = catalogue();
        let blend = Blend::new(
            vec![SourceWeight::new("knn", 1.0), SourceWeight::new("popular", 0.0)],
            Normalisation::default(),
        );
        let features = RankingFeatures::new(&blend, &catalogue, Some(FeatureHasher::new(2)));
        assert_eq!(features.dimensions(), 2 + 2 + 3 + 4);
        let names: Vec<String> = (0..features.dimensions()).filter_map(|index| features.name(index)).collect();
        assert_eq!(
            names,
            [
                "source:knn",
                "source:popular",
                "log_popularity",
                "category_affinity",
                "price_band:0",
                "price_band:1",
                "price_band:2",
                "category_hash:0",
                "category_hash:1",
                "category_hash:2",
                "category_hash:3",
            ]
        );
        assert_eq!(features.name(11), None);

        // Item 0: proposed by "popular" only, popularity 9, category 0 (a quarter of the history), band 1.
        let candidate = Candidate {
            item: 0,
            score: 0.0,
            sources: vec![SourceScore { source: 1, rank: 3, normalised: 0.5, contribution: 0.0 }],
        };
        let affinity = catalogue.affinity(&[2, 3, 0, 5]);
        let encoded = features.encode(&candidate, &catalogue, &affinity);
        let slot = 7 + FeatureHasher::new(2).bucket("category", "0");
        assert_eq!(encoded, [(1, 0.5), (2, 10f32.ln()), (3, 0.25), (5, 1.0), (slot, 1.0)]);
    }
}
