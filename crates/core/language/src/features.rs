//! Sparse text features shared by the intent and sentiment models: hashed word 1–2-grams and
//! character n-grams (1–3 inside Chinese runs, 2–5 inside English words with boundary markers, which
//! tolerates typos and unseen inflections), weighted by sublinear TF × IDF, each family L2-normalised.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::text::{Piece, normalise, pieces, segment, stem};

/// A sparse vector: (feature index, value) pairs, indices unique.
pub(crate) type SparseVector = Vec<(u32, f32)>;

/// Term ids are already well-mixed 64-bit hashes; hashing them again would only cost time.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type TermMap<V> = HashMap<u64, V, BuildHasherDefault<IdentityHasher>>;

/// The two feature families; each is L2-normalised on its own and then weighted, so that long
/// messages' many character n-grams do not drown their words.
const WORDS: u64 = 0;
const CHARS: u64 = 1;

/// FNV-1a over the family tag and the parts, finished with a mixer so the top bit is usable.
pub(crate) fn term_id(family: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ family;
    for (k, part) in parts.iter().enumerate() {
        if k > 0 {
            h = (h ^ 0x1f).wrapping_mul(0x100_0000_01b3);
        }
        for &b in part.as_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    // The top bit carries the family.
    (h >> 1) | (family << 63)
}

fn family(term: u64) -> usize {
    (term >> 63) as usize
}

/// Which n-grams a model extracts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct FeatureConfig {
    /// Longest word n-gram.
    pub word_ngrams: usize,
    /// Character n-gram lengths inside Chinese runs.
    pub cjk_chars: (usize, usize),
    /// Character n-gram lengths inside English words (with `<` `>` boundary markers).
    pub latin_chars: (usize, usize),
    /// Share of the squared norm given to the word family (the rest goes to characters).
    pub word_weight: f32,
}

/// The terms of one message with their counts.
pub(crate) fn terms(text: &str, config: &FeatureConfig) -> TermMap<f32> {
    let text = normalise(text);
    let mut counts = TermMap::default();
    let mut add = |term: u64| *counts.entry(term).or_insert(0.0) += 1.0;
    let mut words: Vec<String> = Vec::new();
    let mut buffer = Vec::new();
    for piece in pieces(&text) {
        match piece {
            Piece::Cjk(run) => {
                words.extend(segment(run).map(str::to_string));
                buffer.clear();
                buffer.extend(run.char_indices().map(|(i, _)| i));
                buffer.push(run.len());
                let chars = buffer.len() - 1;
                for n in config.cjk_chars.0..=config.cjk_chars.1 {
                    for start in 0..chars.saturating_sub(n - 1) {
                        add(term_id(CHARS, &[&run[buffer[start]..buffer[start + n]]]));
                    }
                }
            }
            Piece::Word(word) => {
                let marked = format!("<{word}>");
                buffer.clear();
                buffer.extend(marked.char_indices().map(|(i, _)| i));
                buffer.push(marked.len());
                let chars = buffer.len() - 1;
                for n in config.latin_chars.0..=config.latin_chars.1 {
                    for start in 0..chars.saturating_sub(n - 1) {
                        add(term_id(CHARS, &[&marked[buffer[start]..buffer[start + n]]]));
                    }
                }
                words.push(stem(word));
            }
            Piece::Number(n) | Piece::Symbol(n) => words.push(n.to_string()),
        }
    }
    for n in 1..=config.word_ngrams {
        for window in words.windows(n) {
            let parts: Vec<&str> = window.iter().map(String::as_str).collect();
            add(term_id(WORDS, &parts));
        }
    }
    counts
}

/// The vocabulary learnt from training messages: each kept term's column and inverse document
/// frequency. Terms never seen in training have no column: no model could weigh them.
#[derive(Debug, Clone)]
pub(crate) struct Vocabulary {
    config: FeatureConfig,
    columns: TermMap<u32>,
    idf: Vec<f32>,
}

impl Vocabulary {
    /// Keeps terms seen in at least `min_df` messages.
    pub fn fit(documents: &[TermMap<f32>], config: FeatureConfig, min_df: usize) -> Vocabulary {
        let mut df: TermMap<u32> = TermMap::default();
        for doc in documents {
            for &term in doc.keys() {
                *df.entry(term).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|&(_, n)| n as usize >= min_df).collect();
        // Sorted so columns do not depend on hash map iteration order.
        kept.sort_unstable();
        let n = documents.len() as f64;
        let idf = kept.iter().map(|&(_, d)| (((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0) as f32).collect();
        let columns = kept.iter().enumerate().map(|(col, &(term, _))| (term, col as u32)).collect();
        Vocabulary { config, columns, idf }
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Whether any of a message's word terms has a column.
    pub fn knows_a_word(&self, counts: &TermMap<f32>) -> bool {
        counts.keys().any(|&term| family(term) == WORDS as usize && self.columns.contains_key(&term))
    }

    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// Sublinear TF × IDF, each family normalised to its share of a unit norm.
    pub fn transform(&self, counts: &TermMap<f32>) -> SparseVector {
        let mut out: SparseVector = Vec::with_capacity(counts.len());
        let mut families = Vec::with_capacity(counts.len());
        let mut norms = [0f32; 2];
        for (&term, &count) in counts {
            if let Some(&col) = self.columns.get(&term) {
                let value = (1.0 + count.ln()) * self.idf[col as usize];
                norms[family(term)] += value * value;
                out.push((col, value));
                families.push(family(term));
            }
        }
        let shares = [self.config.word_weight, 1.0 - self.config.word_weight];
        let scale: Vec<f32> =
            (0..2).map(|f| if norms[f] > 0.0 { (shares[f] / norms[f]).sqrt() } else { 0.0 }).collect();
        for ((_, value), f) in out.iter_mut().zip(families) {
            *value *= scale[f];
        }
        out.sort_unstable_by_key(|&(col, _)| col);
        out
    }

    pub fn vectorise(&self, text: &str) -> SparseVector {
        self.transform(&terms(text, &self.config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: FeatureConfig =
        FeatureConfig { word_ngrams: 2, cjk_chars: (1, 3), latin_chars: (2, 5), word_weight: 0.5 };

    #[test]
    fn families_are_normalised_to_their_shares() {
        let docs: Vec<_> =
            ["where is my parcel", "我的快递到哪了", "refund please"].iter().map(|t| terms(t, &CONFIG)).collect();
        let vocab = Vocabulary::fit(&docs, CONFIG, 1);
        let v = vocab.vectorise("where is my 快递");
        let norm: f32 = v.iter().map(|(_, x)| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        assert!(vocab.vectorise("zzzz qqqq").is_empty());
    }

    #[test]
    fn character_ngrams_tolerate_typos() {
        let docs: Vec<_> = ["refund my order"].iter().map(|t| terms(t, &CONFIG)).collect();
        let vocab = Vocabulary::fit(&docs, CONFIG, 1);
        assert!(!vocab.vectorise("refnud").is_empty());
    }
}
