//! One candidate list from several sources. Each source (item-kNN, popularity, a content or bundle
//! lookup, ...) contributes only its own top-N list; their scores live on unrelated scales (cosines,
//! purchase counts, logits), so each list is first normalised into `[0, 1]` and the normalised scores
//! are then summed with the source's weight. What each source added is kept, for "why this item".

use serde::{Deserialize, Serialize};

use crate::ranking::{best_first, mask, top_k};
use crate::{ItemId, Recommender, ScoredItem};

/// How a source's top-N scores are made comparable with another source's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Normalisation {
    /// Reciprocal rank, scaled so the source's best item gets 1: `(offset + 1) / (offset + rank)` for
    /// the 1-based `rank`. Blind to score magnitudes, so no source dominates merely because its scores
    /// are large; a larger offset flattens the curve, so items deep in a list keep more weight.
    ReciprocalRank { offset: f32 },
    /// `(score - min) / (max - min)` over the source's list: keeps the gaps a source is confident
    /// about. The best item gets 1, the last 0; a list of equal scores gets 1 throughout.
    MinMax,
}

impl Default for Normalisation {
    /// Chosen on the validation items of Amazon Beauty (`examples/blend.rs`, every recommender of the
    /// crate as a source): the best min-max blend reached NDCG@10 0.0680, the best reciprocal-rank
    /// blends 0.0625 (offset 0), 0.0662 (10) and 0.0654 (60).
    fn default() -> Self {
        Normalisation::MinMax
    }
}

/// A named source and how much its normalised score counts in the blend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceWeight {
    pub name: String,
    /// Finite and non-negative, so that a blended score is never negative. 0 turns the source off: its
    /// list is ignored and a [`BlendedRecommender`] does not even ask it.
    pub weight: f32,
}

impl SourceWeight {
    pub fn new(name: impl Into<String>, weight: f32) -> Self {
        Self { name: name.into(), weight }
    }
}

/// How candidate lists from several sources become one: the sources in the order their lists are
/// passed, and the normalisation applied to each list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blend {
    pub sources: Vec<SourceWeight>,
    pub normalisation: Normalisation,
}

/// What one source said about a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SourceScore {
    /// Index into [`Blend::sources`].
    pub source: usize,
    /// 0-based position in the source's list.
    pub rank: usize,
    /// The score after [`Normalisation`], in `[0, 1]`; what a click model learns from.
    pub normalised: f32,
    /// `weight * normalised`: this source's share of [`Candidate::score`].
    pub contribution: f32,
}

/// An item proposed by at least one source, with its blended score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub item: ItemId,
    /// The sum of the contributions.
    pub score: f32,
    /// The sources that proposed the item, in source order. A source that did not propose it adds 0.
    pub sources: Vec<SourceScore>,
}

impl Candidate {
    /// The item and its blended score, in the shape the shared ranking order compares.
    pub fn scored(&self) -> ScoredItem {
        ScoredItem { item: self.item, score: self.score }
    }

    /// `(source index, contribution)` for each source that proposed the item, in source order.
    pub fn contributions(&self) -> Vec<(usize, f32)> {
        self.sources.iter().map(|source| (source.source, source.contribution)).collect()
    }
}

impl Blend {
    pub fn new(sources: Vec<SourceWeight>, normalisation: Normalisation) -> Self {
        Self { sources, normalisation }
    }

    /// Blends one list per source (same order as [`Blend::sources`]), each best first as
    /// [`Recommender::recommend`] returns it, with finite scores. Returns every proposed item once,
    /// best blended score first (ties: lower item id). Only the lists are touched, never the catalogue.
    /// A repeated item within one list counts once, at its first (best) position. The list of a source
    /// weighing 0 is ignored.
    ///
    /// Panics when the number of lists differs from the number of sources.
    pub fn combine<L: AsRef<[ScoredItem]>>(&self, lists: &[L]) -> Vec<Candidate> {
        assert_eq!(lists.len(), self.sources.len(), "one candidate list per blend source");
        // Every (item, source) proposal, grouped by item with a sort: no hashing, deterministic order.
        let mut proposals: Vec<(ItemId, SourceScore)> = Vec::new();
        for (source, (list, weight)) in lists.iter().zip(&self.sources).enumerate() {
            if weight.weight == 0.0 {
                continue;
            }
            let list = list.as_ref();
            for (rank, (scored, normalised)) in list.iter().zip(self.normalise(list)).enumerate() {
                let contribution = weight.weight * normalised;
                proposals.push((scored.item, SourceScore { source, rank, normalised, contribution }));
            }
        }
        proposals.sort_by_key(|&(item, score)| (item, score.source, score.rank));
        let mut candidates: Vec<Candidate> = Vec::new();
        for (item, score) in proposals {
            match candidates.last_mut() {
                Some(candidate) if candidate.item == item => {
                    if candidate.sources.last().is_some_and(|last| last.source == score.source) {
                        continue;
                    }
                    candidate.score += score.contribution;
                    candidate.sources.push(score);
                }
                _ => candidates.push(Candidate { item, score: score.contribution, sources: vec![score] }),
            }
        }
        candidates.sort_by(|a, b| best_first(&a.scored(), &b.scored()));
        candidates
    }

    /// The name of the source that added most to `contributions` (ties: the earlier source), for
    /// "recommended because ..."; `None` when no source proposed the item.
    pub fn top_source(&self, contributions: &[(usize, f32)]) -> Option<&str> {
        let mut best: Option<(usize, f32)> = None;
        for &(source, contribution) in contributions {
            if best.is_none_or(|(_, most)| contribution > most) {
                best = Some((source, contribution));
            }
        }
        best.map(|(source, _)| self.sources[source].name.as_str())
    }

    /// The normalised score of each entry of one best-first list.
    fn normalise(&self, list: &[ScoredItem]) -> Vec<f32> {
        match self.normalisation {
            Normalisation::ReciprocalRank { offset } => {
                (0..list.len()).map(|rank| (offset + 1.0) / (offset + 1.0 + rank as f32)).collect()
            }
            Normalisation::MinMax => {
                let (min, max) = list
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(min, max), s| (min.min(s.score), max.max(s.score)));
                let range = max - min;
                list.iter().map(|s| if range > 0.0 { (s.score - min) / range } else { 1.0 }).collect()
            }
        }
    }
}

/// The `n` best items of `model` for a shopper with `history`, never any of `exclude`, best first.
/// `scratch` must have [`Recommender::n_items`] entries; it is overwritten, so one buffer can serve
/// every source of a blend without a catalogue-sized allocation per source.
pub fn top_n(
    model: &dyn Recommender,
    history: &[ItemId],
    n: usize,
    exclude: &[ItemId],
    scratch: &mut [f32],
) -> Vec<ScoredItem> {
    model.score_into(history, scratch);
    mask(scratch, exclude);
    top_k(scratch, n)
}

/// Several fitted-together recommenders behind one [`Recommender`]: each source's top-`depth` items
/// are blended with a [`Blend`]; this is the production default the server and the offline
/// evaluation use.
///
/// Scores: a candidate (an item in some source's top `depth`) scores its blended score, at least 0;
/// every other item scores [`BlendedRecommender::UNPROPOSED`], below every candidate, and they tie
/// (so follow in item id order). [`Recommender::score_into`] ranks each source over the whole
/// catalogue, history included, as the trait asks; [`Recommender::recommend`] leaves `exclude` out
/// of every source's list before blending, so excluded items do not push the rest down a source's
/// ranking, and blends at least `k` deep. With every weight 0 no source is asked and nothing is
/// proposed.
pub struct BlendedRecommender {
    sources: Vec<Box<dyn Recommender + Send + Sync>>,
    blend: Blend,
    depth: usize,
}

impl BlendedRecommender {
    /// The score of an item no source proposes: below any blend of non-negative weights.
    pub const UNPROPOSED: f32 = -1.0;

    /// How many items each source proposes when the caller has no reason to choose.
    pub const DEFAULT_DEPTH: usize = 100;

    /// Panics when `blend` does not name one weight per source or a weight is negative or not finite.
    pub fn new(sources: Vec<Box<dyn Recommender + Send + Sync>>, blend: Blend, depth: usize) -> Self {
        check_blend(&blend, sources.len());
        Self { sources, blend, depth }
    }

    pub fn blend(&self) -> &Blend {
        &self.blend
    }

    /// Replaces the blend without refitting the sources (e.g. to tune weights). Panics like
    /// [`BlendedRecommender::new`].
    pub fn set_blend(&mut self, blend: Blend) {
        check_blend(&blend, self.sources.len());
        self.blend = blend;
    }

    pub fn sources(&self) -> &[Box<dyn Recommender + Send + Sync>] {
        &self.sources
    }

    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The blended candidates for a shopper with `history`, each source's top `depth` items apart
    /// from `exclude`, best first: the input of the ranking stage.
    pub fn candidates(&self, history: &[ItemId], exclude: &[ItemId]) -> Vec<Candidate> {
        self.candidates_at(self.depth, history, exclude, &mut vec![0.0; self.n_items()])
    }

    fn candidates_at(
        &self,
        depth: usize,
        history: &[ItemId],
        exclude: &[ItemId],
        scratch: &mut [f32],
    ) -> Vec<Candidate> {
        let lists: Vec<Vec<ScoredItem>> = (self.sources.iter().zip(&self.blend.sources))
            .map(|(source, weight)| {
                if weight.weight == 0.0 { Vec::new() } else { top_n(source.as_ref(), history, depth, exclude, scratch) }
            })
            .collect();
        self.blend.combine(&lists)
    }
}

fn check_blend(blend: &Blend, sources: usize) {
    assert_eq!(blend.sources.len(), sources, "the blend must weigh each source once");
    for source in &blend.sources {
        assert!(
            source.weight.is_finite() && source.weight >= 0.0,
            "blend weight of {} must be finite and non-negative, not {}",
            source.name,
            source.weight
        );
    }
}

impl Recommender for BlendedRecommender {
    /// Fits every source on the same data.
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize) {
        for source in &mut self.sources {
            source.fit(train, n_items);
        }
    }

    fn n_items(&self) -> usize {
        self.sources.first().map_or(0, |source| source.n_items())
    }

    fn score_into(&self, history: &[ItemId], scores: &mut [f32]) {
        let candidates = self.candidates_at(self.depth, history, &[], scores);
        scores.fill(Self::UNPROPOSED);
        for candidate in candidates {
            scores[candidate.item as usize] = candidate.score;
        }
    }

    fn recommend(&self, history: &[ItemId], k: usize, exclude: &[ItemId]) -> Vec<ScoredItem> {
        let mut scratch = vec![0.0; self.n_items()];
        let mut candidates = self.candidates_at(self.depth.max(k), history, exclude, &mut scratch);
        candidates.truncate(k);
        candidates.iter().map(Candidate::scored).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Popularity, PopularityConfig};

    fn list(entries: &[(ItemId, f32)]) -> Vec<ScoredItem> {
        entries.iter().map(|&(item, score)| ScoredItem { item, score }).collect()
    }

    fn two_sources(normalisation: Normalisation) -> Blend {
        Blend::new(vec![SourceWeight::new("knn", 1.0), SourceWeight::new("popular", 0.5)], normalisation)
    }

    fn assert_close(actual: f32, expected: f32) {
        assert!((actual - expected).abs() < 1e-6, "{actual} != {expected}");
    }

    #[test]
    fn reciprocal_rank_blend_sums_weighted_contributions() {
        let blend = two_sources(Normalisation::ReciprocalRank { offset: 1.0 });
        // Normalised by rank: 1st 2/2, 2nd 2/3, 3rd 2/4.
        let knn = list(&[(7, 0.9), (3, 0.8), (5, 0.1)]);
        let popular = list(&[(3, 500.0), (9, 400.0)]);
        let candidates = blend.combine(&[knn, popular]);
        // 3: 2/3 + 0.5 * 1 = 1.1667; 7: 1; 5: 0.5; 9: 0.5 * 2/3 = 0.3333.
        let items: Vec<ItemId> = candidates.iter().map(|candidate| candidate.item).collect();
        assert_eq!(items, [3, 7, 5, 9]);
        let scores = [2.0 / 3.0 + 0.5, 1.0, 0.5, 1.0 / 3.0];
        for (candidate, score) in candidates.iter().zip(scores) {
            assert_close(candidate.score, score);
            assert_close(candidate.sources.iter().map(|source| source.contribution).sum(), candidate.score);
        }
        let three = &candidates[0];
        assert_eq!(
            three.sources.iter().map(|source| (source.source, source.rank)).collect::<Vec<_>>(),
            [(0, 1), (1, 0)]
        );
        assert_close(three.sources[0].normalised, 2.0 / 3.0);
        assert_close(three.sources[1].normalised, 1.0);
        assert_close(three.sources[1].contribution, 0.5);
        assert_eq!(blend.top_source(&three.contributions()), Some("knn"));
        assert_eq!(blend.top_source(&candidates[3].contributions()), Some("popular"));
        assert_eq!(blend.top_source(&[]), None);
    }

    #[test]
    fn min_max_keeps_score_gaps_within_each_list() {
        let blend = two_sources(Normalisation::MinMax);
        let knn = list(&[(1, 0.9), (2, 0.8), (3, 0.5)]);
        let popular = list(&[(3, 10.0), (4, 10.0)]);
        let candidates = blend.combine(&[knn, popular]);
        // knn: 1 → 1, 2 → 0.75, 3 → 0; popular scores are all equal, so 1 each, times 0.5.
        let expected = [(1, 1.0), (2, 0.75), (3, 0.5), (4, 0.5)];
        for (candidate, (item, score)) in candidates.iter().zip(expected) {
            assert_eq!(candidate.item, item);
            assert_close(candidate.score, score);
        }
        assert_eq!(candidates.len(), 4);
    }

    #[test]
    fn an_item_repeated_in_one_list_counts_once_at_its_best_rank() {
        let blend = Blend::new(vec![SourceWeight::new("only", 1.0)], Normalisation::ReciprocalRank { offset: 0.0 });
        let candidates = blend.combine(&[list(&[(4, 3.0), (2, 2.0), (4, 1.0)])]);
        assert_eq!(candidates.len(), 2);
        assert_eq!((candidates[0].item, candidates[0].sources.len()), (4, 1));
        assert_close(candidates[0].score, 1.0);
        assert_close(candidates[1].score, 0.5);
    }

    /// Users' items: [0, 1, 2], [0, 1], [1, 3]; item 4 is never bought. Popularity counts 2, 3, 1, 1, 0.
    const TRAIN: [&[ItemId]; 3] = [&[0, 1, 2], &[0, 1], &[1, 3]];

    fn popularity_twice(weights: [f32; 2], depth: usize) -> BlendedRecommender {
        let sources: Vec<Box<dyn Recommender + Send + Sync>> = vec![
            Box::new(Popularity::new(PopularityConfig::default())),
            Box::new(Popularity::new(PopularityConfig { half_life: Some(1.0) })),
        ];
        let blend = Blend::new(
            vec![SourceWeight::new("all-time", weights[0]), SourceWeight::new("recent", weights[1])],
            Normalisation::ReciprocalRank { offset: 0.0 },
        );
        let mut model = BlendedRecommender::new(sources, blend, depth);
        model.fit(&TRAIN, 5);
        model
    }

    #[test]
    fn blended_recommender_scores_candidates_and_puts_the_rest_below() {
        // All-time ranking: 1, 0, 2, 3, 4. Recent (latest weighs 1, the one before 1/2, ...): item 0
        // 0.25 + 0.5, item 1 0.5 + 1 + 0.5, item 2 1, item 3 1: ranking 1, 2, 3, 0, 4.
        let model = popularity_twice([1.0, 0.5], 2);
        let mut scores = vec![0.0; 5];
        model.score_into(&[0], &mut scores);
        // 1: 1 + 0.5; 0: 1/2; 2: 0.5 * 1/2; 3, 4: proposed by neither top 2.
        let unproposed = BlendedRecommender::UNPROPOSED;
        assert_eq!(scores, [0.5, 1.5, 0.25, unproposed, unproposed]);
    }

    #[test]
    fn blended_recommend_excludes_before_ranking_and_blends_at_least_k_deep() {
        let model = popularity_twice([1.0, 0.5], 1);
        // Without 1, all-time ranks 0, 2, 3 and recent 2, 3, 0. 0: 1 + 0.5/3; 2: 1/2 + 0.5; 3: 1/3 + 0.25.
        let ranked = model.recommend(&[], 3, &[1]);
        let items: Vec<ItemId> = ranked.iter().map(|scored| scored.item).collect();
        assert_eq!(items, [0, 2, 3]);
        assert_close(ranked[0].score, 1.0 + 0.5 / 3.0);
        assert_close(ranked[1].score, 1.0);
        assert_close(ranked[2].score, 1.0 / 3.0 + 0.25);
        assert_eq!(model.candidates(&[], &[1]).len(), 2);
    }

    #[test]
    fn a_source_weighing_nothing_proposes_nothing() {
        let model = popularity_twice([1.0, 0.0], 2);
        let items: Vec<ItemId> = model.candidates(&[], &[]).iter().map(|candidate| candidate.item).collect();
        assert_eq!(items, [1, 0]);
        let candidates = model.blend().combine(&[list(&[(3, 1.0)]), list(&[(4, 1.0)])]);
        assert_eq!(candidates.iter().map(|candidate| candidate.item).collect::<Vec<_>>(), [3]);
    }

    #[test]
    fn blended_recommender_is_send_and_sync() {
        fn shareable<T: Send + Sync>() {}
        shareable::<BlendedRecommender>();
    }

    #[test]
    #[should_panic(expected = "weigh each source once")]
    fn a_blend_of_the_wrong_length_is_refused() {
        let mut model = popularity_twice([1.0, 1.0], 2);
        model.set_blend(Blend::new(vec![SourceWeight::new("one", 1.0)], Normalisation::MinMax));
    }
}
