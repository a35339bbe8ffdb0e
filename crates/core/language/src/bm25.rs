//! Okapi BM25 retrieval over documents in Chinese, English or both. Documents and queries are read
//! as words ([`crate::text::words`]) plus Chinese character bigrams and single characters, so a
//! query phrased differently from the document ("怎么退掉" against "退货流程") still shares terms
//! with it; single characters count for less, being the weakest evidence.

use crate::features::{TermMap, term_id};
use crate::text::{Piece, is_cjk, normalise, pieces, segment, stem};

/// Term saturation: how quickly repeating a term stops adding to the score.
const K1: f64 = 1.2;
/// Length normalisation: how much longer documents are discounted.
const B: f64 = 0.75;
/// Weight of single Chinese characters relative to words and bigrams.
const CHARACTER_WEIGHT: f64 = 0.3;

/// A searchable index of documents.
#[derive(Debug, Clone)]
pub struct Bm25Index {
    /// Per term, the documents holding it with the term's count there.
    postings: TermMap<Vec<(u32, f32)>>,
    lengths: Vec<f32>,
    average_length: f64,
}

/// A term's kind decides its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Word,
    Bigram,
    Character,
}

impl Kind {
    fn weight(self) -> f64 {
        if self == Kind::Character { CHARACTER_WEIGHT } else { 1.0 }
    }
}

/// The terms of a text with their kinds, repeated as often as they occur.
fn terms(text: &str) -> Vec<(u64, Kind)> {
    let text = normalise(text);
    let mut out = Vec::new();
    for piece in pieces(&text) {
        match piece {
            Piece::Cjk(run) => {
                out.extend(segment(run).map(|w| (term_id(0, &["w", w]), Kind::Word)));
                let chars: Vec<&str> = run.char_indices().map(|(i, c)| &run[i..i + c.len_utf8()]).collect();
                out.extend(
                    chars.iter().filter(|c| c.chars().all(is_cjk)).map(|c| (term_id(0, &["c", c]), Kind::Character)),
                );
                out.extend(chars.windows(2).map(|pair| (term_id(0, &["b", pair[0], pair[1]]), Kind::Bigram)));
            }
            Piece::Word(word) => out.push((term_id(0, &["w", &stem(word)]), Kind::Word)),
            Piece::Number(n) | Piece::Symbol(n) => out.push((term_id(0, &["w", n]), Kind::Word)),
        }
    }
    out
}

impl Bm25Index {
    /// Indexes the documents; a document's index in the slice is its id in search results.
    pub fn build(documents: &[String]) -> Bm25Index {
        let mut postings: TermMap<Vec<(u32, f32)>> = TermMap::default();
        let mut lengths = Vec::with_capacity(documents.len());
        for (d, document) in documents.iter().enumerate() {
            let doc_terms = terms(document);
            lengths.push(doc_terms.len() as f32);
            let mut counts: TermMap<f32> = TermMap::default();
            for (term, _) in doc_terms {
                *counts.entry(term).or_default() += 1.0;
            }
            for (term, count) in counts {
                postings.entry(term).or_default().push((d as u32, count));
            }
        }
        let average_length = if lengths.is_empty() {
            1.0
        } else {
            lengths.iter().map(|&l| f64::from(l)).sum::<f64>() / lengths.len() as f64
        };
        Bm25Index { postings, lengths, average_length: average_length.max(1.0) }
    }

    /// The number of documents indexed.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The `k` best documents for a query as (document index, score), best first; documents sharing
    /// no term with the query are left out.
    pub fn search(&self, query: &str, k: usize) -> Vec<(usize, f64)> {
        let n = self.lengths.len() as f64;
        let mut scores = vec![0f64; self.lengths.len()];
        let mut seen: TermMap<()> = TermMap::default();
        for (term, kind) in terms(query) {
            if seen.insert(term, ()).is_some() {
                continue;
            }
            let Some(docs) = self.postings.get(&term) else { continue };
            let df = docs.len() as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln() * kind.weight();
            for &(d, tf) in docs {
                let tf = f64::from(tf);
                let norm = K1 * (1.0 - B + B * f64::from(self.lengths[d as usize]) / self.average_length);
                scores[d as usize] += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores.into_iter().enumerate().filter(|&(_, s)| s > 0.0).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_query_phrased_differently_finds_its_document() {
        let index = Bm25Index::build(&docs(&[
            "退货政策：签收后7天内可无理由退货，商品需保持完好，运费由买家承担。",
            "配送说明：下单后24小时内发货，一般2-3天送达，偏远地区可能延迟。",
            "会员积分：每消费1元累积1积分，积分可在下单时抵扣现金。",
            "发票开具：订单完成后可在订单详情页申请电子发票。",
        ]));
        let hits = index.search("买的东西不想要了能退吗", 3);
        assert_eq!(hits[0].0, 0, "{hits:?}");
        let hits = index.search("多久能送到", 3);
        assert_eq!(hits[0].0, 1, "{hits:?}");
        let hits = index.search("积分怎么用", 3);
        assert_eq!(hits[0].0, 2, "{hits:?}");
    }

    #[test]
    fn english_and_mixed_queries() {
        let index = Bm25Index::build(&docs(&[
            "Returns: items can be returned within 7 days of delivery.",
            "Shipping: orders ship within 24 hours and arrive in 2-3 days.",
            "iPhone 15 保修一年",
        ]));
        assert_eq!(index.search("how do I return an item", 2)[0].0, 0);
        assert_eq!(index.search("when will my order arrive", 2)[0].0, 1);
        assert_eq!(index.search("iphone保修多久", 2)[0].0, 2);
        let hits = index.search("return", 5);
        assert!(hits.iter().all(|&(_, s)| s > 0.0) && hits.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn nothing_shared_finds_nothing() {
        let index = Bm25Index::build(&docs(&["退货政策", "shipping policy"]));
        assert!(index.search("zzz", 5).is_empty());
        assert!(index.search("", 5).is_empty());
        assert!(Bm25Index::build(&[]).search("退货", 3).is_empty());
        assert_eq!(index.len(), 2);
    }
}
