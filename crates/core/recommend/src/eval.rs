//! The offline protocol of the evaluation contract (`EVAL.md`, "Recommendations"): leave-one-out with
//! full ranking over the catalogue, HR@k and NDCG@k.
//!
//! For a user with items `i_1 .. i_n` in time order, `i_n` is the test target, `i_{n-1}` the validation
//! target and `i_1 .. i_{n-2}` the training sequence. To predict the test target the model sees the
//! history `i_1 .. i_{n-1}`; to predict the validation target, `i_1 .. i_{n-2}`. Every item of that
//! history is masked, so a target that repeats a history item counts as a miss.
//!
//! Users with fewer than [`LeaveOneOut::MIN_INTERACTIONS`] interactions have no training item once
//! both targets are held out; they are not evaluated and contribute nothing to training.

use serde::Serialize;

use crate::interactions::Interactions;
use crate::{ItemId, Recommender, ranking};

/// The cutoffs the evaluation contract reports.
pub const DEFAULT_CUTOFFS: [usize; 2] = [10, 20];

/// Which held-out item a model is asked to predict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The second-to-last item: for choosing hyperparameters without looking at the test items.
    Validation,
    /// The last item: the reported figures.
    Test,
}

/// The leave-one-out split of one data set.
#[derive(Debug, Clone)]
pub struct LeaveOneOut<'a> {
    sequences: Vec<&'a [ItemId]>,
    n_items: usize,
    train: Vec<&'a [ItemId]>,
    /// Evaluate an evenly spaced sample of at most this many users.
    max_users: Option<usize>,
}

/// Metrics at one cutoff, averaged over evaluated users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cutoff {
    pub k: usize,
    /// Share of users whose target is in their top `k`.
    pub hit_rate: f64,
    /// Mean of `1 / log2(rank + 2)` for a target at 0-based `rank < k`, else 0 (one relevant item,
    /// so the ideal DCG is 1).
    pub ndcg: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Users evaluated.
    pub users: usize,
    /// Catalogue size: every item is ranked.
    pub items: usize,
    /// One entry per requested cutoff, in the order requested.
    pub cutoffs: Vec<Cutoff>,
}

/// `HR@10 0.0766 NDCG@10 0.0469  HR@20 …`, for progress lines and examples.
impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, c) in self.cutoffs.iter().enumerate() {
            let gap = if i == 0 { "" } else { "  " };
            write!(f, "{gap}HR@{k} {:.4} NDCG@{k} {:.4}", c.hit_rate, c.ndcg, k = c.k)?;
        }
        Ok(())
    }
}

impl Evaluation {
    pub fn at(&self, k: usize) -> Option<&Cutoff> {
        self.cutoffs.iter().find(|cutoff| cutoff.k == k)
    }
}

impl<'a> LeaveOneOut<'a> {
    /// Fewest interactions a user needs to be evaluated: one to train on, one validation, one test.
    pub const MIN_INTERACTIONS: usize = 3;

    /// How many evaluated users pass between progress reports.
    const PROGRESS_EVERY: usize = 256;

    pub fn new(data: &'a Interactions) -> Self {
        Self::from_sequences(data.sequences().collect(), data.n_items())
    }

    /// The split of users' item sequences (time order) over a catalogue of `n_items` items.
    pub fn from_sequences(sequences: Vec<&'a [ItemId]>, n_items: usize) -> Self {
        let train = sequences.iter().map(|sequence| &sequence[..sequence.len().saturating_sub(2)]).collect();
        Self { sequences, n_items, train, max_users: None }
    }

    /// Evaluates an evenly spaced sample of at most `users` users instead of all of them, for a quick
    /// check after each training run.
    pub fn with_max_users(mut self, users: usize) -> Self {
        self.max_users = Some(users.max(1));
        self
    }

    /// Every user's training sequence, indexed by user id (empty for users too short to evaluate),
    /// ready for [`Recommender::fit`].
    pub fn train(&self) -> &[&'a [ItemId]] {
        &self.train
    }

    /// The catalogue size to fit with: every item of the data, held-out ones included.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// Ranks every item for every evaluated user with `model` (already fitted on [`LeaveOneOut::train`])
    /// and reports HR and NDCG at each of `cutoffs`. Calls `progress(done, total)` every few hundred
    /// users and once at the end.
    pub fn evaluate(
        &self,
        model: &dyn Recommender,
        target: Target,
        cutoffs: &[usize],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Evaluation {
        self.evaluate_with(&mut |history, scores| model.score_into(history, scores), target, cutoffs, progress)
    }

    /// [`LeaveOneOut::evaluate`] for any scoring function with the contract of
    /// [`Recommender::score_into`]: a whole pipeline (several models blended) rather than one model.
    /// Items scored negative infinity are not ranked, so a pipeline that only scores its candidates
    /// misses a target it never proposed.
    pub fn evaluate_with(
        &self,
        score_into: &mut dyn FnMut(&[ItemId], &mut [f32]),
        target: Target,
        cutoffs: &[usize],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Evaluation {
        let mut evaluated: Vec<&[ItemId]> =
            self.sequences.iter().copied().filter(|sequence| sequence.len() >= Self::MIN_INTERACTIONS).collect();
        if let Some(max) = self.max_users
            && evaluated.len() > max
        {
            let step = evaluated.len().div_ceil(max);
            evaluated = evaluated.into_iter().step_by(step).collect();
        }
        let mut hits = vec![0usize; cutoffs.len()];
        let mut gains = vec![0.0f64; cutoffs.len()];
        let mut scores = vec![0.0f32; self.n_items()];
        let held_out = match target {
            Target::Validation => 2,
            Target::Test => 1,
        };
        for (done, sequence) in evaluated.iter().enumerate() {
            let (history, rest) = sequence.split_at(sequence.len() - held_out);
            score_into(history, &mut scores);
            ranking::mask(&mut scores, history);
            if let Some(rank) = ranking::rank_of(&scores, rest[0]) {
                for ((&k, hit), gain) in cutoffs.iter().zip(&mut hits).zip(&mut gains) {
                    if rank < k {
                        *hit += 1;
                        *gain += 1.0 / (rank as f64 + 2.0).log2();
                    }
                }
            }
            if (done + 1) % Self::PROGRESS_EVERY == 0 {
                progress(done + 1, evaluated.len());
            }
        }
        progress(evaluated.len(), evaluated.len());

        // An empty data set scores 0 rather than NaN.
        let users = evaluated.len().max(1) as f64;
        let cutoffs = cutoffs
            .iter()
            .zip(hits.iter().zip(&gains))
            .map(|(&k, (&hits, &gain))| Cutoff { k, hit_rate: hits as f64 / users, ndcg: gain / users })
            .collect();
        Evaluation { users: evaluated.len(), items: self.n_items(), cutoffs }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interactions::Format;
    use crate::{ItemKnn, ItemKnnConfig, Popularity, PopularityConfig};

    /// Items a..e get ids 0..4. Training: u1 [a, b], u2 [b], u3 nothing (too short), u4 [c, e];
    /// popularity counts a 1, b 2, c 1, d 0, e 1.
    const DATA: &str = "u1 a b c d\nu2 b c a\nu3 a b\nu4 c e b d\n";

    fn evaluate(text: &str, target: Target, cutoffs: &[usize]) -> Evaluation {
        let data = Interactions::parse(Format::AmazonSeq, text).unwrap();
        let split = LeaveOneOut::new(&data);
        let mut model = Popularity::new(PopularityConfig::default());
        model.fit(split.train(), split.n_items());
        split.evaluate(&model, target, cutoffs, &mut |_, _| {})
    }

    fn assert_cutoff(evaluation: &Evaluation, k: usize, hit_rate: f64, ndcg: f64) {
        let cutoff = evaluation.at(k).unwrap();
        assert!((cutoff.hit_rate - hit_rate).abs() < 1e-12, "HR@{k} {} != {hit_rate}", cutoff.hit_rate);
        assert!((cutoff.ndcg - ndcg).abs() < 1e-12, "NDCG@{k} {} != {ndcg}", cutoff.ndcg);
    }

    #[test]
    fn split_holds_out_the_last_two_items() {
        let data = Interactions::parse(Format::AmazonSeq, DATA).unwrap();
        let split = LeaveOneOut::new(&data);
        assert_eq!(split.train(), &[&[0, 1][..], &[1], &[], &[2, 4]]);
        assert_eq!(split.n_items(), 5);
    }

    #[test]
    fn test_metrics_match_a_hand_ranking() {
        // u1: a, b, c masked; e (1) before d (0): d at rank 1.
        // u2: b, c masked; a (1, lower id) before e (1) and d: a at rank 0.
        // u4: c, e, b masked; a (1) before d: d at rank 1.
        let evaluation = evaluate(DATA, Target::Test, &[1, 2]);
        assert_eq!((evaluation.users, evaluation.items), (3, 5));
        assert_cutoff(&evaluation, 1, 1.0 / 3.0, 1.0 / 3.0);
        let rank_1_gain = 1.0 / 3f64.log2();
        assert_cutoff(&evaluation, 2, 1.0, (1.0 + 2.0 * rank_1_gain) / 3.0);
        assert_eq!(evaluation.cutoffs.iter().map(|cutoff| cutoff.k).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn validation_predicts_the_second_to_last_item_from_the_training_history() {
        // u1: a, b masked; c (1) first. u2: b masked; a, c, e tie at 1: c at rank 1. u4: c, e masked; b (2) first.
        let evaluation = evaluate(DATA, Target::Validation, &[1, 2]);
        assert_cutoff(&evaluation, 1, 2.0 / 3.0, 2.0 / 3.0);
        assert_cutoff(&evaluation, 2, 1.0, (2.0 + 1.0 / 3f64.log2()) / 3.0);
    }

    #[test]
    fn seen_items_are_masked_even_when_they_are_the_target() {
        // u1's target a repeats its history: a miss. u2's history a, b is masked, leaving only c, so c is
        // first although it is the least popular item.
        let evaluation = evaluate("u1 a b a\nu2 a b c\n", Target::Test, &[1]);
        assert_cutoff(&evaluation, 1, 0.5, 0.5);
    }

    #[test]
    fn no_users_gives_zero_metrics_not_nan() {
        let evaluation = evaluate("u1 a b\n", Target::Test, &DEFAULT_CUTOFFS);
        assert_eq!(evaluation.users, 0);
        assert_cutoff(&evaluation, 10, 0.0, 0.0);
    }

    #[test]
    fn progress_reports_end_with_all_users_done() {
        let text: String = (0..600).map(|user| format!("u{user} a b c\n")).collect();
        let data = Interactions::parse(Format::AmazonSeq, &text).unwrap();
        let split = LeaveOneOut::new(&data);
        let mut model = Popularity::new(PopularityConfig::default());
        model.fit(split.train(), split.n_items());
        let mut reports = Vec::new();
        split.evaluate(&model, Target::Test, &DEFAULT_CUTOFFS, &mut |done, total| reports.push((done, total)));
        assert_eq!(reports, [(256, 600), (512, 600), (600, 600)]);
    }

    #[test]
    fn a_user_sample_is_evenly_spaced_over_the_evaluated_users() {
        let sequences: Vec<Vec<ItemId>> = (0..10).map(|user| vec![0, 1, user % 2 + 2]).collect();
        let sequences: Vec<&[ItemId]> = sequences.iter().map(Vec::as_slice).collect();
        // Users 0, 3, 6, 9 are sampled: targets 2, 3, 2, 3. Popularity over the training prefixes ties
        // every item at 0 or 1, so item 2 (lower id) ranks before 3 once 0 and 1 are masked.
        let split = LeaveOneOut::from_sequences(sequences, 4).with_max_users(4);
        let mut model = Popularity::new(PopularityConfig::default());
        model.fit(split.train(), split.n_items());
        let evaluation = split.evaluate(&model, Target::Test, &[1], &mut |_, _| {});
        assert_eq!(evaluation.users, 4);
        assert_cutoff(&evaluation, 1, 0.5, 0.5);
    }

    #[test]
    fn evaluation_is_deterministic() {
        let text: String =
            (0..200).map(|user| format!("u{user} {} {} {} {}\n", user % 7, user % 11, user % 13, user % 5)).collect();
        let data = Interactions::parse(Format::AmazonSeq, &text).unwrap();
        let split = LeaveOneOut::new(&data);
        let run = || {
            let mut model = ItemKnn::new(ItemKnnConfig::default());
            model.fit(split.train(), split.n_items());
            split.evaluate(&model, Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {})
        };
        let first = run();
        assert!(first.at(10).unwrap().hit_rate > 0.0);
        assert_eq!(first, run());
    }
}
