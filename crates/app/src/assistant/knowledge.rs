//! What the assistant knows without asking the database per message: the catalogue and stores
//! as a lexicon for entity matching, and the published knowledge base as a BM25 index. Rebuilt
//! when older than [`MAX_AGE`] or when this process wrote any of them (upserts, deletes,
//! imports), so replicas converge within that time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use retail_domain::{Category, EntityKind, KbArticle, Location, LocationKind, Product, ProductStatus};
use retail_language::bm25::Bm25Index;
use retail_language::entities::{Lexicon, LexiconEntry, MentionKind};

use crate::platform::Platform;
use crate::service::{ServiceResult, all_docs};

const MAX_AGE: Duration = Duration::from_secs(60);

pub(crate) struct Knowledge {
    built: Instant,
    pub lexicon: Lexicon,
    pub products: HashMap<String, Product>,
    pub categories: HashMap<String, Category>,
    /// Active stores (not warehouses or the online shop), by id.
    pub stores: Vec<Location>,
    /// Published articles, in the index's document order.
    pub articles: Vec<KbArticle>,
    index: Bm25Index,
}

/// A knowledge-base answer: the article and how well it matched.
pub(crate) struct Found<'a> {
    pub article: &'a KbArticle,
    pub score: f64,
}

/// The least BM25 score that counts as an answer from the topic the intent points to, and from
/// any other topic: below them the words in common are incidental.
const MIN_SCORE_IN_TOPIC: f64 = 2.0;
const MIN_SCORE_ANY_TOPIC: f64 = 6.0;

impl Knowledge {
    async fn load(p: &Platform) -> ServiceResult<Self> {
        let products: Vec<Product> = all_docs(p, EntityKind::Product).await?;
        let categories: Vec<Category> = all_docs(p, EntityKind::Category).await?;
        let locations: Vec<Location> = all_docs(p, EntityKind::Location).await?;
        let articles: Vec<KbArticle> =
            all_docs::<KbArticle>(p, EntityKind::KbArticle).await?.into_iter().filter(|a| a.published).collect();
        let stores: Vec<Location> =
            locations.into_iter().filter(|l| l.active && l.kind == LocationKind::Store).collect();
        let mut entries = Vec::new();
        let mut brands: HashMap<&str, ()> = HashMap::new();
        for product in products.iter().filter(|p| p.status != ProductStatus::Discontinued) {
            entries.push(LexiconEntry {
                kind: MentionKind::Product,
                id: product.external_id.clone(),
                names: names(&product.name.zh, &product.name.en),
            });
            if !product.brand.is_empty() && brands.insert(&product.brand, ()).is_none() {
                entries.push(LexiconEntry {
                    kind: MentionKind::Brand,
                    id: product.brand.clone(),
                    names: vec![product.brand.clone()],
                });
            }
        }
        for c in &categories {
            entries.push(LexiconEntry {
                kind: MentionKind::Category,
                id: c.external_id.clone(),
                names: names(&c.name.zh, &c.name.en),
            });
        }
        for s in &stores {
            let mut store_names = names(&s.name.zh, &s.name.en);
            // Customers say 徐汇店 or "the Xuhui store" rather than the full name.
            store_names.extend(store_names.clone().iter().filter_map(|n| short_store_name(n)));
            entries.push(LexiconEntry { kind: MentionKind::Store, id: s.external_id.clone(), names: store_names });
        }
        let documents: Vec<String> = articles
            .iter()
            .map(|a| format!("{} {} {} {} {}", a.title.zh, a.title.en, a.tags.join(" "), a.body.zh, a.body.en))
            .collect();
        Ok(Self {
            built: Instant::now(),
            lexicon: Lexicon::new(entries),
            products: products.into_iter().map(|p| (p.external_id.clone(), p)).collect(),
            categories: categories.into_iter().map(|c| (c.external_id.clone(), c)).collect(),
            stores,
            index: Bm25Index::build(&documents),
            articles,
        })
    }

    /// The best published articles for a question, strongest first; empty when nothing matches
    /// well enough to answer with. Articles outside `topics` count only when `any_topic`.
    pub fn search(&self, question: &str, topics: &[&str], any_topic: bool, k: usize) -> Vec<Found<'_>> {
        let mut found: Vec<Found> =
            self.index
                .search(question, k * 3)
                .into_iter()
                .map(|(i, score)| {
                    let article = &self.articles[i];
                    // The intent says which topic a question is about; prefer that topic's entries.
                    let in_topic = topics.contains(&article.topic.as_str());
                    let boost = if in_topic { 1.5 } else { 1.0 };
                    (Found { article, score: score * boost }, in_topic)
                })
                .filter(|(f, in_topic)| {
                    if *in_topic { f.score >= MIN_SCORE_IN_TOPIC } else { any_topic && f.score >= MIN_SCORE_ANY_TOPIC }
                })
                .map(|(f, _)| f)
                .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        found.truncate(k);
        found
    }

    pub fn store(&self, id: &str) -> Option<&Location> {
        self.stores.iter().find(|s| s.external_id == id)
    }
}

fn names(zh: &str, en: &str) -> Vec<String> {
    [zh, en].into_iter().filter(|n| !n.trim().is_empty()).map(str::to_string).collect()
}

/// `徐家汇店` → `徐家汇`, `Xujiahui Store` → `Xujiahui`: what customers call a store.
fn short_store_name(name: &str) -> Option<String> {
    let short = name.strip_suffix('店').or_else(|| name.strip_suffix(" Store"))?.trim();
    (short.chars().count() >= 2).then(|| short.to_string())
}

/// The current snapshot, shared by every conversation of this process.
#[derive(Default)]
pub struct KnowledgeSlot(Mutex<Option<Arc<Knowledge>>>);

impl KnowledgeSlot {
    pub(crate) async fn get(&self, p: &Platform) -> ServiceResult<Arc<Knowledge>> {
        if let Some(k) = self.0.lock().expect("knowledge lock").as_ref().filter(|k| k.built.elapsed() < MAX_AGE) {
            return Ok(k.clone());
        }
        let fresh = Arc::new(Knowledge::load(p).await?);
        *self.0.lock().expect("knowledge lock") = Some(fresh.clone());
        Ok(fresh)
    }

    /// Drops the snapshot when this process changed what it holds (articles, products,
    /// categories, stores), so the next message reads them afresh.
    pub fn changed(&self, kind: EntityKind) {
        if matches!(kind, EntityKind::KbArticle | EntityKind::Product | EntityKind::Category | EntityKind::Location) {
            *self.0.lock().expect("knowledge lock") = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_names_have_short_forms() {
        assert_eq!(short_store_name("徐家汇店").as_deref(), Some("徐家汇"));
        assert_eq!(short_store_name("Xujiahui 2 Store").as_deref(), Some("Xujiahui 2"));
        assert_eq!(short_store_name("店"), None);
        assert_eq!(short_store_name("Warehouse"), None);
    }
}
