//! Product recommendations: what a shopper is likely to want next, learned from who bought or viewed what.
//!
//! Pure: no I/O and no clock. Callers read files and pass the text to [`Interactions::parse`], time
//! [`Recommender::fit`] themselves, and draw progress from the callback of [`LeaveOneOut::evaluate`].
//!
//! - [`Interactions`]: users' item sequences in time order, from the public dataset formats.
//! - [`Popularity`] (PopRec) and [`ItemKnn`] ("customers who bought this also bought"), behind the
//!   [`Recommender`] trait the server and the evaluation both use.
//! - [`LeaveOneOut`]: the offline protocol of the evaluation contract, full ranking with HR@k and NDCG@k.

pub mod bundles;
pub mod content;
pub mod eval;
pub mod factorization;
pub mod interactions;
pub mod item_knn;
pub mod popularity;
pub mod rank;
mod ranking;
pub mod sasrec;
pub mod trending;

#[cfg(test)]
mod test_support;

use serde::Serialize;

pub use bundles::{Bundles, BundlesConfig, Rule};
pub use content::{AttributesParseError, ContentConfig, ContentSimilarity, ItemAttributes, parse_attribute_lists};
pub use eval::{Cutoff, DEFAULT_CUTOFFS, Evaluation, LeaveOneOut, Target};
pub use factorization::{Als, AlsConfig, Bpr, BprConfig};
pub use interactions::{Format, Interactions, ItemId, LineProblem, ParseError, UnknownFormat, UserId};
pub use item_knn::{ItemKnn, ItemKnnConfig, Similarity};
pub use popularity::{Popularity, PopularityConfig};
pub use rank::{Blend, BlendedRecommender, Normalisation, SourceWeight};
pub use sasrec::{SasRec, SasRecConfig, SasRecTraining};
pub use trending::{Event, Scope, Trending, TrendingConfig};

/// An item with its score; higher is better.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoredItem {
    pub item: ItemId,
    pub score: f32,
}

/// A model that learns from users' item sequences and scores the whole catalogue for one shopper.
///
/// Rankings order by score, then by lower item id, so equal input gives equal output.
pub trait Recommender {
    /// Learns from `train`, one item sequence per user in time order, over a catalogue of `n_items`
    /// items (ids `0..n_items`, some of which may never occur in `train`). Replaces any earlier fit.
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize);

    /// The catalogue size given to the last [`Recommender::fit`].
    fn n_items(&self) -> usize;

    /// Writes every item's score for a shopper whose items so far are `history` (time order) into
    /// `scores`, which has [`Recommender::n_items`] entries. Items of `history` are scored like any
    /// other; leaving them out is the caller's choice. History ids outside the catalogue are ignored.
    fn score_into(&self, history: &[ItemId], scores: &mut [f32]);

    /// The `k` best items for a shopper with `history`, best first, never any of `exclude`.
    fn recommend(&self, history: &[ItemId], k: usize, exclude: &[ItemId]) -> Vec<ScoredItem> {
        let mut scores = vec![0.0; self.n_items()];
        self.score_into(history, &mut scores);
        ranking::mask(&mut scores, exclude);
        ranking::top_k(&scores, k)
    }
}
