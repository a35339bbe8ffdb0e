//! Content similarity: items are alike when they share attributes (category, brand, other attribute ids),
//! so a new item with no interactions yet can be recommended next to similar ones, and similar ones next
//! to it.
//!
//! Each item is a TF-IDF vector over its features: a feature shared by few items says more than one
//! most items have, weighted `field weight · ln(items / items with the feature)` and normalised to unit
//! length, so similarity is the cosine, in `[0, 1]`. An inverted index (feature → items) means one
//! item's similarities cost the number of items sharing a feature with it, never a pass over all pairs.
//!
//! On Amazon Beauty, with the data set's attribute ids as tokens and the default configuration, content
//! alone reaches test HR@10 0.0433, NDCG@10 0.0221, HR@20 0.0672 (`examples/content.rs`), against
//! item-kNN's 0.0766, 0.0469, 0.1040 from co-purchases: content is the fallback for items without
//! interactions, not a replacement.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::item_knn::{Grouped, fill_unreached, recent_first};
use crate::ranking::{mask, top_k};
use crate::{ItemId, Recommender, ScoredItem, popularity};

/// What describes an item, as ids the caller assigns (a category id and a brand id may be equal
/// numbers; the fields are kept apart).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemAttributes {
    pub category: Option<u32>,
    pub brand: Option<u32>,
    /// Any other attributes (colour, material, keywords, ...). Repeats count once.
    pub tokens: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContentConfig {
    /// How much sharing a category counts, relative to the other fields' weights.
    pub category_weight: f32,
    pub brand_weight: f32,
    pub token_weight: f32,
    /// When scoring, a history item this many positions before the latest counts half as much, as in
    /// item-kNN. `None` weighs the whole history equally.
    pub history_half_life: Option<f32>,
    /// Added to the score of an item sharing attributes with the history, times its popularity scaled
    /// into `[0, 1)`. Small values only break the many exact ties between items with the same attributes
    /// in favour of best sellers (0 leaves them to the lower id); larger ones blend in popularity.
    pub popularity_weight: f32,
}

impl Default for ContentConfig {
    /// The history half-life and popularity weight were chosen by NDCG@10 on the validation items of
    /// Amazon Beauty (`examples/content.rs --tune`: validation NDCG@10 0.0292, against 0.0278 with a
    /// popularity weight of 0.01 and 0.0245 with none).
    fn default() -> Self {
        Self {
            category_weight: 1.0,
            brand_weight: 1.0,
            token_weight: 1.0,
            history_half_life: Some(1.0),
            popularity_weight: 1.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Category,
    Brand,
    Token,
}

/// Item-item cosine similarity of TF-IDF attribute vectors, served from an inverted index.
///
/// As a [`Recommender`], a shopper's score for an item is its similarity summed over their history,
/// weighted towards recent items like [`crate::ItemKnn`]. [`Recommender::fit`] reads the sequences only
/// for popularity: the bonus of [`ContentConfig::popularity_weight`] and the order, in `[-1, 0)`, of
/// items sharing nothing with the history. Before any fit there is no bonus and every such item scores -1.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentSimilarity {
    config: ContentConfig,
    /// Dense feature ids, in order of first appearance.
    features: HashMap<(Field, u32), u32>,
    /// Each feature's weight before normalisation: field weight times inverse document frequency.
    feature_weights: Vec<f32>,
    /// Each item's unit vector, as (feature, weight) by ascending feature.
    vectors: Grouped<(u32, f32)>,
    /// The inverted index: each feature's items, ascending, with the feature's weight in their unit vectors.
    postings: Grouped<(ItemId, f32)>,
    fallback: Vec<f32>,
}

impl ContentSimilarity {
    /// Indexes a catalogue whose item `i` is described by `attributes[i]`.
    pub fn new(config: ContentConfig, attributes: &[ItemAttributes]) -> Self {
        let n_items = attributes.len();
        let mut features = HashMap::new();
        // Each item's distinct features, ascending.
        let item_features: Vec<Vec<u32>> = attributes
            .iter()
            .map(|item| {
                let mut ids: Vec<u32> = Self::fields(item)
                    .map(|key| {
                        let next = features.len() as u32;
                        *features.entry(key).or_insert(next)
                    })
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            })
            .collect();
        let mut feature_items = vec![0u32; features.len()];
        for &id in item_features.iter().flatten() {
            feature_items[id as usize] += 1;
        }
        let mut feature_weights = vec![0.0; features.len()];
        for (&(field, _), &id) in &features {
            let field_weight = match field {
                Field::Category => config.category_weight,
                Field::Brand => config.brand_weight,
                Field::Token => config.token_weight,
            };
            feature_weights[id as usize] = field_weight * (n_items as f32 / feature_items[id as usize] as f32).ln();
        }

        let mut model = Self {
            config,
            features,
            feature_weights,
            vectors: Grouped::default(),
            postings: Grouped::default(),
            fallback: popularity::fallback_scores(&[], n_items),
        };
        for ids in &item_features {
            let vector = model.unit_vector(ids.iter().copied());
            model.vectors.push_group(vector);
        }
        model.postings = Grouped::new(model.feature_weights.len(), || {
            (0..n_items as ItemId).flat_map(|item| {
                model.vector_of(item).iter().map(move |&(feature, weight)| (feature as usize, (item, weight)))
            })
        });
        model
    }

    /// The `k` items most similar to `item`, most similar first (ties by lower id), never `item` itself
    /// and never one sharing nothing with it. Empty for an item outside the catalogue.
    pub fn similar(&self, item: ItemId, k: usize) -> Vec<ScoredItem> {
        self.most_similar(self.vector_of(item), k, &[item])
    }

    /// The cosine similarity of two items' attribute vectors: one merge of two short sorted lists, so
    /// explaining a recommendation costs nothing like a [`ContentSimilarity::similar`] search.
    /// 0 for an item outside the catalogue.
    pub fn similarity(&self, a: ItemId, b: ItemId) -> f32 {
        if a.max(b) as usize >= self.vectors.n_groups() {
            return 0.0;
        }
        let (mut x, mut y) = (self.vector_of(a).iter().peekable(), self.vector_of(b).iter().peekable());
        let mut dot = 0.0;
        while let (Some(&&(fa, wa)), Some(&&(fb, wb))) = (x.peek(), y.peek()) {
            match fa.cmp(&fb) {
                std::cmp::Ordering::Less => _ = x.next(),
                std::cmp::Ordering::Greater => _ = y.next(),
                std::cmp::Ordering::Equal => {
                    dot += wa * wb;
                    x.next();
                    y.next();
                }
            }
        }
        dot
    }

    /// The `k` catalogue items most similar to a new item described by `attributes`, most similar first.
    /// Attributes no catalogue item has cannot match anything and are left out.
    pub fn similar_to(&self, attributes: &ItemAttributes, k: usize) -> Vec<ScoredItem> {
        let mut ids: Vec<u32> = Self::fields(attributes).filter_map(|key| self.features.get(&key).copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        self.most_similar(&self.unit_vector(ids.into_iter()), k, &[])
    }

    fn fields(attributes: &ItemAttributes) -> impl Iterator<Item = (Field, u32)> + '_ {
        let category = attributes.category.map(|id| (Field::Category, id));
        let brand = attributes.brand.map(|id| (Field::Brand, id));
        category.into_iter().chain(brand).chain(attributes.tokens.iter().map(|&id| (Field::Token, id)))
    }

    /// The TF-IDF vector of distinct features, scaled to unit length; empty when every weight is zero.
    fn unit_vector(&self, features: impl Iterator<Item = u32>) -> Vec<(u32, f32)> {
        let mut vector: Vec<(u32, f32)> = features
            .map(|feature| (feature, self.feature_weights[feature as usize]))
            .filter(|&(_, weight)| weight != 0.0)
            .collect();
        let norm = vector.iter().map(|(_, weight)| weight * weight).sum::<f32>().sqrt();
        for (_, weight) in &mut vector {
            *weight /= norm;
        }
        vector
    }

    fn vector_of(&self, item: ItemId) -> &[(u32, f32)] {
        self.vectors.of(item as usize)
    }

    /// Adds `weight` times every item's similarity to the unit `vector` into `scores`; items beyond
    /// `scores` are skipped.
    fn add_similarities(&self, vector: &[(u32, f32)], weight: f32, scores: &mut [f32]) {
        for &(feature, feature_weight) in vector {
            for &(other, other_weight) in self.postings.of(feature as usize) {
                if let Some(score) = scores.get_mut(other as usize) {
                    *score += weight * feature_weight * other_weight;
                }
            }
        }
    }

    fn most_similar(&self, vector: &[(u32, f32)], k: usize, exclude: &[ItemId]) -> Vec<ScoredItem> {
        let mut scores = vec![0.0; self.vectors.n_groups()];
        self.add_similarities(vector, 1.0, &mut scores);
        mask(&mut scores, exclude);
        let mut best = top_k(&scores, k);
        best.retain(|scored| scored.score > 0.0);
        best
    }
}

impl Recommender for ContentSimilarity {
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize) {
        self.fallback = popularity::fallback_scores(train, n_items);
    }

    fn n_items(&self) -> usize {
        self.fallback.len()
    }

    fn score_into(&self, history: &[ItemId], scores: &mut [f32]) {
        scores.fill(0.0);
        for (item, weight) in recent_first(history, self.config.history_half_life) {
            self.add_similarities(self.vector_of(item), weight, scores);
        }
        let popularity_weight = self.config.popularity_weight;
        if popularity_weight > 0.0 {
            for (score, fallback) in scores.iter_mut().zip(&self.fallback) {
                if *score > 0.0 {
                    *score += popularity_weight * (fallback + 1.0);
                }
            }
        }
        fill_unreached(scores, &self.fallback);
    }
}

/// A malformed attribute file, at a byte offset of its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item attributes, byte {offset}: expected {expected}")]
pub struct AttributesParseError {
    pub offset: usize,
    pub expected: &'static str,
}

/// Parses a JSON object from external item id to a list of attribute ids, `{"4": [1, 2, 3], ...}` (the
/// S3-Rec `*_item2attributes.json` files), into (item id, attribute ids) pairs in file order. Only that
/// shape is accepted: string keys without escapes, arrays of non-negative integers that fit in `u32`.
pub fn parse_attribute_lists(json: &str) -> Result<Vec<(&str, Vec<u32>)>, AttributesParseError> {
    let mut cursor = Cursor { text: json, at: 0 };
    let mut lists = Vec::new();
    cursor.expect(b'{', "'{'")?;
    let mut more = !cursor.eat(b'}');
    while more {
        let key = cursor.key()?;
        cursor.expect(b':', "':'")?;
        cursor.expect(b'[', "'['")?;
        let mut ids = Vec::new();
        let mut more_ids = !cursor.eat(b']');
        while more_ids {
            ids.push(cursor.number()?);
            more_ids = !cursor.eat(b']');
            if more_ids {
                cursor.expect(b',', "',' or ']'")?;
            }
        }
        lists.push((key, ids));
        more = !cursor.eat(b'}');
        if more {
            cursor.expect(b',', "',' or '}'")?;
        }
    }
    cursor.skip_whitespace();
    if cursor.at < json.len() {
        return Err(cursor.error("the end of the text"));
    }
    Ok(lists)
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn skip_whitespace(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start().len();
    }

    fn error(&self, expected: &'static str) -> AttributesParseError {
        AttributesParseError { offset: self.at, expected }
    }

    /// Consumes `byte` (after whitespace) when it is next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_whitespace();
        let next = self.text.as_bytes().get(self.at) == Some(&byte);
        if next {
            self.at += 1;
        }
        next
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), AttributesParseError> {
        if self.eat(byte) { Ok(()) } else { Err(self.error(expected)) }
    }

    fn key(&mut self) -> Result<&'a str, AttributesParseError> {
        self.expect(b'"', "a quoted item id")?;
        let rest = &self.text[self.at..];
        let length = rest.find(['"', '\\']).filter(|&end| rest.as_bytes()[end] == b'"');
        let length = length.ok_or_else(|| self.error("a closing '\"' (escapes are not supported)"))?;
        self.at += length + 1;
        Ok(&rest[..length])
    }

    fn number(&mut self) -> Result<u32, AttributesParseError> {
        self.skip_whitespace();
        let rest = &self.text[self.at..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let number = rest[..digits].parse().map_err(|_| self.error("an attribute id (an integer up to 2^32 - 1)"))?;
        self.at += digits;
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::test_support::assert_scored;

    fn described(category: u32, brand: u32, tokens: &[u32]) -> ItemAttributes {
        ItemAttributes { category: Some(category), brand: Some(brand), tokens: tokens.to_vec() }
    }

    /// Categories 1, 1, 2, 2; brands 10, 11, 10, 11; tokens 100, 100, none, 101. Every feature is on two
    /// of the four items (idf ln 2) except token 101, on one (idf ln 4 = 2 ln 2). Unit vectors: items 0
    /// and 1 have three features of 1/√3 each, item 2 two of 1/√2, item 3 (1, 1, 2)/√6.
    fn catalogue() -> Vec<ItemAttributes> {
        vec![described(1, 10, &[100]), described(1, 11, &[100, 100]), described(2, 10, &[]), described(2, 11, &[101])]
    }

    fn config() -> ContentConfig {
        ContentConfig { history_half_life: None, popularity_weight: 0.0, ..ContentConfig::default() }
    }

    #[test]
    fn similarity_is_cosine_of_tf_idf_vectors() {
        let model = ContentSimilarity::new(config(), &catalogue());
        // Item 0 shares category and token with item 1 (1/3 + 1/3) and the brand with item 2 (1/√3 · 1/√2).
        assert_scored(&model.similar(0, 5), &[(1, 2.0 / 3.0), (2, 1.0 / 6f32.sqrt())]);
        assert_scored(&model.similar(3, 5), &[(2, 1.0 / 12f32.sqrt()), (1, 1.0 / 18f32.sqrt())]);
        assert_scored(&model.similar(0, 1), &[(1, 2.0 / 3.0)]);
        assert!(model.similar(9, 5).is_empty());
        // The pairwise similarity agrees with the search, both ways round.
        assert!((model.similarity(0, 1) - 2.0 / 3.0).abs() < 1e-5);
        assert!((model.similarity(2, 0) - 1.0 / 6f32.sqrt()).abs() < 1e-5);
        assert!((model.similarity(3, 1) - 1.0 / 18f32.sqrt()).abs() < 1e-5);
        assert_eq!(model.similarity(0, 9), 0.0);
    }

    #[test]
    fn field_weights_decide_what_counts() {
        // Without brands, items 0 and 1 are described identically and item 2 shares nothing with item 0.
        let model = ContentSimilarity::new(ContentConfig { brand_weight: 0.0, ..config() }, &catalogue());
        assert_scored(&model.similar(0, 5), &[(1, 1.0)]);
        // A category on every item says nothing.
        let mut same_category = catalogue();
        same_category.iter_mut().for_each(|item| item.category = Some(5));
        let model = ContentSimilarity::new(config(), &same_category);
        assert_scored(&model.similar(2, 5), &[(0, 1.0 / 2f32.sqrt())]);
    }

    #[test]
    fn a_new_item_is_matched_on_the_attributes_the_catalogue_knows() {
        let model = ContentSimilarity::new(config(), &catalogue());
        // Category 2 and token 101 are known (weights ln 2 and 2 ln 2, so the unit vector is (1, 2)/√5);
        // brand 12 and token 999 are not.
        let new = described(2, 12, &[101, 999]);
        let (category, token) = (1.0 / 5f32.sqrt(), 2.0 / 5f32.sqrt());
        let expected = [(3, category / 6f32.sqrt() + token * 2.0 / 6f32.sqrt()), (2, category / 2f32.sqrt())];
        assert_scored(&model.similar_to(&new, 5), &expected);
        assert!(model.similar_to(&ItemAttributes::default(), 5).is_empty());
    }

    #[test]
    fn scores_sum_similarities_towards_recent_history_then_popularity() {
        let config = ContentConfig { history_half_life: Some(1.0), popularity_weight: 0.5, ..config() };
        let mut model = ContentSimilarity::new(config, &catalogue());
        let mut scores = [0.0; 5];
        // Before a fit, the catalogue is the attributes' and unreached items all score -1.
        assert_eq!(model.n_items(), 4);
        assert_scored(&model.recommend(&[2], 4, &[2]), &[(0, 1.0 / 6f32.sqrt()), (3, 1.0 / 12f32.sqrt()), (1, -1.0)]);

        // Popularity counts 0: 1, 1: 3, 2: 0, 3: 1, 4: 0, scaled by 1 / (3 + 1); item 4 has no attributes.
        model.fit(&[&[1, 1, 0], &[1, 3]], 5);
        model.score_into(&[3, 0], &mut scores);
        // Item 0 is the latest (weight 1), item 3 the one before (weight 1/2).
        let (sim_01, sim_02, sim_13, sim_23) = (2.0 / 3.0, 1.0 / 6f32.sqrt(), 1.0 / 18f32.sqrt(), 1.0 / 12f32.sqrt());
        let expected =
            [1.0 + 0.5 * 0.25, sim_01 + 0.5 * sim_13 + 0.5 * 0.75, sim_02 + 0.5 * sim_23, 0.5 + 0.5 * 0.25, -1.0];
        for (item, (score, expected)) in scores.iter().zip(expected).enumerate() {
            assert!((score - expected).abs() < 1e-5, "item {item}: {score} != {expected}");
        }
    }

    #[test]
    fn parses_attribute_lists_in_file_order() {
        let json = " {\"4\": [1, 2, 3],\n\"83\":[] , \"x y\": [4294967295]}\n";
        let lists = parse_attribute_lists(json).unwrap();
        assert_eq!(lists, [("4", vec![1, 2, 3]), ("83", vec![]), ("x y", vec![u32::MAX])]);
        assert_eq!(parse_attribute_lists("{}").unwrap(), []);
    }

    #[test]
    fn attribute_list_errors_name_the_offset_and_what_was_expected() {
        let error = |json: &str| parse_attribute_lists(json).unwrap_err();
        assert_eq!(error("[]"), AttributesParseError { offset: 0, expected: "'{'" });
        assert_eq!(error("{\"1\": [1 2]}").offset, 9);
        assert_eq!(error("{\"1\": [-1]}").expected, "an attribute id (an integer up to 2^32 - 1)");
        assert_eq!(error("{\"1\": [4294967296]}").offset, 7);
        assert_eq!(error("{\"a\\\"b\": []}").offset, 2);
        assert_eq!(error("{\"1\": []} x"), AttributesParseError { offset: 10, expected: "the end of the text" });
        assert_eq!(error("{\"1\": [1]").expected, "',' or '}'");
    }

    fn any_catalogue() -> impl Strategy<Value = Vec<ItemAttributes>> {
        let item =
            (proptest::option::of(0u32..3), proptest::option::of(0u32..3), proptest::collection::vec(0u32..6, 0..4))
                .prop_map(|(category, brand, tokens)| ItemAttributes { category, brand, tokens });
        proptest::collection::vec(item, 1..12)
    }

    proptest! {
        #[test]
        fn similarities_are_symmetric_cosines_without_the_item_itself(catalogue in any_catalogue()) {
            let model = ContentSimilarity::new(ContentConfig::default(), &catalogue);
            let n = catalogue.len() as ItemId;
            for item in 0..n {
                let similar = model.similar(item, n as usize);
                prop_assert!(similar.windows(2).all(|pair| crate::ranking::best_first(&pair[0], &pair[1]).is_lt()));
                for scored in &similar {
                    prop_assert!(scored.item != item && scored.score > 0.0 && scored.score <= 1.0 + 1e-5);
                    let back = model.similar(scored.item, n as usize);
                    let reverse = back.iter().find(|other| other.item == item).map(|other| other.score);
                    prop_assert!(reverse.is_some_and(|score| (score - scored.score).abs() < 1e-5));
                }
                // A new item described like this one finds the same neighbours, and this one.
                let as_new = model.similar_to(&catalogue[item as usize], n as usize);
                let without_self: Vec<ScoredItem> = as_new.iter().filter(|scored| scored.item != item).copied().collect();
                prop_assert_eq!(without_self, similar);
            }
        }
    }
}
