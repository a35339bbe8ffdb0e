//! Implicit alternating least squares: every interaction says "this shopper likes this item" with a
//! confidence that grows with how often it happened, every absence says "does not" with confidence 1,
//! and the factors are the weighted least-squares fit of those preferences.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Counts, Factors, axpy, dot, seeded};
use crate::{ItemId, Recommender, ScoredItem, UserId, popularity};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlsConfig {
    /// Dimensions of the space shoppers and items are placed in; at least 1.
    pub factors: usize,
    /// λ, the ridge on every user and item factor. Must be positive, so every shopper's least-squares
    /// problem has exactly one solution.
    pub regularization: f32,
    /// A user's confidence in an item they interacted with `count` times is `1 + alpha · count`;
    /// items they never interacted with have confidence 1 (in preference 0).
    pub alpha: f32,
    /// Rounds of "solve every user against the items, then every item against the users".
    pub iterations: usize,
    /// Conjugate-gradient steps per row and round, each starting from the row's previous value.
    pub cg_steps: usize,
    /// Seeds the initial factors.
    pub seed: u64,
}

impl Default for AlsConfig {
    /// `regularization` and `alpha` tuned on the validation items of Amazon Beauty with 64 factors and
    /// `implicit`'s 15 iterations of 3 CG steps (see [`Als`]).
    fn default() -> Self {
        Self { factors: 64, regularization: 0.01, alpha: 80.0, iterations: 15, cg_steps: 3, seed: 0 }
    }
}

/// Implicit ALS (Hu, Koren, Volinsky 2008) with the conjugate-gradient row update of Takács et al. 2011:
/// the algorithm of `implicit`'s `AlternatingLeastSquares` (CPU, `use_cg=True`).
///
/// Rows are updated in parallel, in fixed blocks; each row's update reads only the other side's
/// factors, so a seed gives bit-identical factors whatever the number of threads. (The `k × k` products
/// run on matrixmultiply's kernels, chosen by the CPU's vector instructions, so another kind of CPU may
/// differ in the last bits.)
///
/// A shopper is folded in from their history when scored: their factors are the exact weighted
/// least-squares solution against the item factors, with the confidences of training (`O(h·k² + k³)`
/// for `h` distinct history items), and an item's score is the dot product with its factors. A brand-new
/// session is scored like a trained customer. A shopper whose history has no item seen in training gets
/// every item's popularity scaled into `[-1, 0)`.
///
/// On Amazon Beauty (22,363 users, 12,101 items; leave-one-out, full ranking) the defaults were chosen
/// by NDCG@10 on the validation items over regularization 0.01, 0.1, 1, 10 × alpha 5 to 160: alpha
/// matters (NDCG@10 0.0336 at 5, 0.0363 at 40, 0.0370 at 80, 0.0369 at 160, with regularization 0.01),
/// regularization hardly does (0.0365 to 0.0370 at alpha 80). On the test items the defaults give
/// HR@10 0.0505, NDCG@10 0.0251, HR@20 0.0787 (item-kNN: 0.0766, 0.0469, 0.1040), from
/// `cargo run --release -p retail-recommend --example als_vs_implicit -- Beauty.txt --tune`.
/// Fitting Beauty with the defaults took 0.94 s on one thread against 3.19 s for `implicit` 0.7.3 with
/// the same parameters and confidence (best of three runs of `bench/als-vs-implicit.sh` on a shared
/// 2-core machine; CPU time 0.93 s against 2.72 s), at the same quality (implicit: HR@10 0.0495).
#[derive(Debug, Clone, PartialEq)]
pub struct Als {
    config: AlsConfig,
    user_factors: Factors,
    item_factors: Factors,
    /// `YᵀY + λI` of the item factors: the part of every shopper's normal equations their history
    /// does not change.
    gram: Factors,
    fallback: Vec<f32>,
}

impl Als {
    pub fn new(config: AlsConfig) -> Self {
        let empty = Factors::empty(config.factors);
        Self { config, user_factors: empty.clone(), item_factors: empty.clone(), gram: empty, fallback: Vec::new() }
    }

    /// The trained factors of `item`; empty outside the catalogue, all zero for an item never seen in
    /// training (after at least one iteration).
    pub fn item_factors(&self, item: ItemId) -> &[f32] {
        self.item_factors.get(item as usize)
    }

    /// The trained factors of the user whose sequence was `train[user]`; empty for any other id.
    pub fn user_factors(&self, user: UserId) -> &[f32] {
        self.user_factors.get(user as usize)
    }

    /// The `k` items closest to `item` by cosine of their factors, closest first, `item` itself left out.
    /// Empty for an item outside the catalogue or never seen in training.
    pub fn similar_items(&self, item: ItemId, k: usize) -> Vec<ScoredItem> {
        self.item_factors.most_similar(item, k)
    }

    /// The factors that best explain `history` given the item factors, with the confidences of
    /// training: the exact solution of the history's normal equations. `None` when no history item
    /// has factors, where every score would be 0.
    fn fold_in(&self, history: &[ItemId]) -> Option<Vec<f32>> {
        let in_catalogue: Vec<ItemId> =
            history.iter().copied().filter(|&item| (item as usize) < self.item_factors.rows()).collect();
        let counts = Counts::from_sequences(&[&in_catalogue]);
        let (mut system, mut rhs) = normal_equations(&self.gram, &self.item_factors, counts.row(0), self.config.alpha);
        if rhs.iter().all(|&value| value == 0.0) {
            return None;
        }
        solve_positive_definite(&mut system, &mut rhs);
        Some(rhs.into_iter().map(|value| value as f32).collect())
    }
}

/// The normal equations `A x = b` of a row with interactions `(columns, counts)` against `fixed`, in
/// f64: `A = gram + Σ (c_i − 1) y_i y_iᵀ` and `b = Σ c_i y_i` with `c_i = 1 + alpha · count_i`, where
/// `gram` is `YᵀY + λI`. Only the upper triangle of `A` (row-major) is filled in.
fn normal_equations(
    gram: &Factors,
    fixed: &Factors,
    (columns, counts): (&[u32], &[f32]),
    alpha: f32,
) -> (Vec<f64>, Vec<f64>) {
    let k = gram.k;
    let mut system: Vec<f64> = gram.values.iter().map(|&value| f64::from(value)).collect();
    let mut rhs = vec![0.0f64; k];
    let mut y = vec![0.0f64; k];
    for (&column, &count) in columns.iter().zip(counts) {
        for (y, &value) in y.iter_mut().zip(fixed.row(column as usize)) {
            *y = f64::from(value);
        }
        let extra = f64::from(alpha * count);
        for (a, (row, rhs)) in system.chunks_exact_mut(k).zip(&mut rhs).enumerate() {
            *rhs += (1.0 + extra) * y[a];
            let weight = extra * y[a];
            for (entry, &b) in row[a..].iter_mut().zip(&y[a..]) {
                *entry += weight * b;
            }
        }
    }
    (system, rhs)
}

impl Recommender for Als {
    fn fit(&mut self, train: &[&[ItemId]], n_items: usize) {
        let config = self.config;
        assert!(config.factors > 0, "ALS needs at least one factor");
        assert!(config.regularization > 0.0, "ALS needs a positive regularization, got {}", config.regularization);
        let user_items = Counts::from_sequences(train);
        let item_users = user_items.transpose(n_items);
        // Uniform in [0, 0.01), users first, as `implicit` initialises.
        let mut rng = seeded(config.seed);
        self.user_factors = Factors::uniform(train.len(), config.factors, 0.0, 0.01, &mut rng);
        self.item_factors = Factors::uniform(n_items, config.factors, 0.0, 0.01, &mut rng);
        for _ in 0..config.iterations {
            update_rows(&mut self.user_factors, &self.item_factors, &user_items, &config);
            update_rows(&mut self.item_factors, &self.user_factors, &item_users, &config);
        }
        self.gram = self.item_factors.gram(config.regularization);
        self.fallback = popularity::fallback_scores(train, n_items);
    }

    fn n_items(&self) -> usize {
        self.fallback.len()
    }

    fn score_into(&self, history: &[ItemId], scores: &mut [f32]) {
        match self.fold_in(history) {
            Some(shopper) => self.item_factors.multiply(&shopper, scores),
            None => scores.copy_from_slice(&self.fallback),
        }
    }
}

/// One half-round: every row of `solved` moves towards its least-squares solution against `fixed`,
/// given the row's interactions in `interactions`.
///
/// Rows go in blocks of a fixed size, in parallel; within a block the `k × k` products of all rows are
/// one matrix product, and the rest is per row, so every row's result is the same whoever runs it.
fn update_rows(solved: &mut Factors, fixed: &Factors, interactions: &Counts, config: &AlsConfig) {
    const BLOCK_ROWS: usize = 128;
    let gram = fixed.gram(config.regularization);
    let k = solved.k;
    solved.values.par_chunks_mut(BLOCK_ROWS * k).enumerate().for_each_init(Scratch::default, |scratch, (block, xs)| {
        let rows = (block * BLOCK_ROWS..).map(|row| interactions.row(row));
        conjugate_gradient(&gram, fixed, rows, config, xs, scratch);
    });
}

/// The per-row vectors of one thread's conjugate-gradient updates, reused from block to block.
#[derive(Default)]
struct Scratch {
    residuals: Vec<f32>,
    directions: Vec<f32>,
    products: Vec<f32>,
    /// Each row's squared residual norm; below [`SOLVED`] once the row needs no more steps.
    norms: Vec<f32>,
}

/// A squared residual norm below which a row counts as solved (`implicit`'s threshold).
const SOLVED: f32 = 1e-20;

/// Moves each row `x` of `xs` towards the solution of its normal equations `A x = b` by
/// `config.cg_steps` conjugate-gradient steps, starting from where it is (last round's value, usually
/// close). Here `A = YᵀY + λI + Σ (c_i − 1) y_i y_iᵀ` and `b = Σ c_i y_i` over the row's interactions
/// `i` (from `rows`, one per row of `xs`), with `c_i = 1 + α·count_i`. `A` is never formed: `A·v` is
/// `v · gram` (one matrix product for all rows of the block) plus a dot and an axpy per interaction.
/// A row without interactions is set to zero, its exact solution.
fn conjugate_gradient<'a>(
    gram: &Factors,
    fixed: &Factors,
    rows: impl Iterator<Item = (&'a [u32], &'a [f32])> + Clone,
    config: &AlsConfig,
    xs: &mut [f32],
    scratch: &mut Scratch,
) {
    let k = gram.k;
    let Scratch { residuals, directions, products, norms } = scratch;
    for buffer in [&mut *residuals, &mut *directions, &mut *products] {
        buffer.resize(xs.len(), 0.0);
    }
    norms.resize(xs.len() / k, 0.0);
    // residual = b − A x: −x·gram for all rows, then c_i y_i − (c_i − 1)(y_i · x) y_i per interaction.
    super::multiply_matrices(-1.0, xs, false, &gram.values, k, residuals);
    let per_row = xs.chunks_exact_mut(k).zip(residuals.chunks_exact_mut(k)).zip(norms.iter_mut());
    for (((x, residual), norm), (columns, counts)) in per_row.zip(rows.clone()) {
        if columns.is_empty() {
            x.fill(0.0);
            *norm = 0.0;
            continue;
        }
        for (&column, &count) in columns.iter().zip(counts) {
            let y = fixed.row(column as usize);
            let extra = config.alpha * count;
            axpy(1.0 + extra - extra * dot(y, x), y, residual);
        }
        *norm = dot(residual, residual);
    }
    directions.copy_from_slice(residuals);
    for _ in 0..config.cg_steps {
        // product = A · direction; rows already solved compute a product nobody reads.
        super::multiply_matrices(1.0, directions, false, &gram.values, k, products);
        let per_row = xs
            .chunks_exact_mut(k)
            .zip(residuals.chunks_exact_mut(k))
            .zip(directions.chunks_exact_mut(k))
            .zip(products.chunks_exact_mut(k))
            .zip(norms.iter_mut());
        for (((((x, residual), direction), product), norm), (columns, counts)) in per_row.zip(rows.clone()) {
            if *norm < SOLVED {
                continue;
            }
            for (&column, &count) in columns.iter().zip(counts) {
                let y = fixed.row(column as usize);
                axpy(config.alpha * count * dot(y, direction), y, product);
            }
            let step = *norm / dot(direction, product);
            axpy(step, direction, x);
            axpy(-step, product, residual);
            let next_norm = dot(residual, residual);
            if next_norm >= SOLVED {
                let keep = next_norm / *norm;
                for (direction, &residual) in direction.iter_mut().zip(residual.iter()) {
                    *direction = residual + keep * *direction;
                }
            }
            *norm = next_norm;
        }
    }
}

/// Solves `matrix · x = rhs` for a symmetric positive-definite row-major `matrix`, of which only the
/// upper triangle is read, by the Cholesky decomposition `matrix = UᵀU`. Leaves `x` in `rhs` and `U` in
/// the upper triangle of `matrix`. Every inner loop runs along a row, so it vectorises.
fn solve_positive_definite(matrix: &mut [f64], rhs: &mut [f64]) {
    let k = rhs.len();
    for j in 0..k {
        let (upper, lower) = matrix.split_at_mut((j + 1) * k);
        let pivot_row = &mut upper[j * k..];
        let pivot = pivot_row[j].sqrt();
        pivot_row[j] = pivot;
        pivot_row[j + 1..].iter_mut().for_each(|value| *value /= pivot);
        // Take row j's part out of the rows below: A[i][i..] −= U[j][i] · U[j][i..].
        for (i, row) in (j + 1..k).zip(lower.chunks_exact_mut(k)) {
            let factor = pivot_row[i];
            for (value, &u) in row[i..].iter_mut().zip(&pivot_row[i..]) {
                *value -= factor * u;
            }
        }
    }
    // Uᵀ z = rhs, then U x = z.
    for (i, row) in matrix.chunks_exact(k).enumerate() {
        rhs[i] /= row[i];
        let solved = rhs[i];
        for (value, &u) in rhs[i + 1..].iter_mut().zip(&row[i + 1..]) {
            *value -= solved * u;
        }
    }
    for (i, row) in matrix.chunks_exact(k).enumerate().rev() {
        let known: f64 = row[i + 1..].iter().zip(&rhs[i + 1..]).map(|(u, x)| u * x).sum();
        rhs[i] = (rhs[i] - known) / row[i];
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn config(factors: usize, iterations: usize, cg_steps: usize) -> AlsConfig {
        AlsConfig { factors, regularization: 0.1, alpha: 10.0, iterations, cg_steps, seed: 7 }
    }

    fn fitted(config: AlsConfig, train: &[&[ItemId]], n_items: usize) -> Als {
        let mut model = Als::new(config);
        model.fit(train, n_items);
        model
    }

    fn items(ranked: &[ScoredItem]) -> Vec<ItemId> {
        ranked.iter().map(|scored| scored.item).collect()
    }

    /// Two groups of shoppers who never share an item: users 0..6 buy from items 0..4, users 6..11
    /// from items 4..8, each user three items of their block. The groups differ in size, so the best
    /// two factors are one per group.
    fn blocks() -> Vec<Vec<ItemId>> {
        (0..11u32).map(|user| (0..3).map(|at| if user < 6 { 0 } else { 4 } + (user + at) % 4).collect()).collect()
    }

    #[test]
    fn conjugate_gradient_steps_match_a_hand_solved_system() {
        // Items (1, 0), (0, 1), (1, 1) give YᵀY + λI = [[3, 1], [1, 3]] with λ = 1; a row with item 0
        // once at α = 1 has confidence 2, so A = [[4, 1], [1, 3]] and b = (2, 0).
        let fixed = Factors { k: 2, values: vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0] };
        let gram = fixed.gram(1.0);
        assert_eq!(gram.values, [3.0, 1.0, 1.0, 3.0]);
        let solve = |cg_steps| {
            let config = AlsConfig { factors: 2, regularization: 1.0, alpha: 1.0, iterations: 1, cg_steps, seed: 0 };
            let mut x = vec![0.0; 2];
            let rows = std::iter::once((&[0][..], &[1.0][..]));
            conjugate_gradient(&gram, &fixed, rows, &config, &mut x, &mut Scratch::default());
            x
        };
        // One step from 0 goes along b = (2, 0) by |b|² / bᵀAb = 4 / 16.
        assert_eq!(solve(1), [0.5, 0.0]);
        // Two steps solve a 2 × 2 system exactly: A⁻¹ b = (6, −2) / 11.
        let exact = [6.0 / 11.0, -2.0 / 11.0];
        for (x, exact) in solve(2).iter().zip(exact) {
            assert!((x - exact).abs() < 1e-6, "{x} != {exact}");
        }
        let (mut system, mut rhs) = normal_equations(&gram, &fixed, (&[0], &[1.0]), 1.0);
        assert_eq!((&system, &rhs), (&vec![4.0, 1.0, 1.0, 3.0], &vec![2.0, 0.0]));
        solve_positive_definite(&mut system, &mut rhs);
        assert!((rhs[0] - 6.0 / 11.0).abs() < 1e-15 && (rhs[1] + 2.0 / 11.0).abs() < 1e-15, "{rhs:?}");
    }

    #[test]
    fn a_row_without_interactions_is_zero() {
        let fixed = Factors { k: 2, values: vec![1.0, 0.0] };
        let mut x = vec![0.3, 0.4];
        let rows = std::iter::once((&[][..], &[][..]));
        conjugate_gradient(&fixed.gram(1.0), &fixed, rows, &config(2, 1, 3), &mut x, &mut Scratch::default());
        assert_eq!(x, [0.0, 0.0]);
    }

    #[test]
    fn recommends_and_relates_within_the_block() {
        let train = blocks();
        let train: Vec<&[ItemId]> = train.iter().map(Vec::as_slice).collect();
        let model = fitted(config(2, 10, 3), &train, 9);
        for (history, block) in [(&[0, 1][..], 0..4), (&[5][..], 4..8)] {
            let ranked = items(&model.recommend(history, 8 - history.len(), history));
            let in_block = 4 - history.len();
            assert!(ranked[..in_block].iter().all(|item| block.contains(item)), "{history:?}: {ranked:?}");
        }
        let similar = items(&model.similar_items(6, 3));
        assert!(similar.iter().all(|item| (4..8).contains(item)), "{similar:?}");
        // Item 8 never occurs: zero factors, nothing similar.
        assert_eq!(model.item_factors(8), [0.0; 2]);
        assert!(model.similar_items(8, 3).is_empty());
        assert!(model.item_factors(9).is_empty());
    }

    #[test]
    fn folding_in_a_training_history_gives_the_trained_factors_once_converged() {
        let train = blocks();
        let train: Vec<&[ItemId]> = train.iter().map(Vec::as_slice).collect();
        // As many CG steps as factors solve each row exactly; enough rounds reach the fixed point.
        let model = fitted(config(2, 200, 2), &train, 8);
        for (user, history) in train.iter().enumerate() {
            let folded = model.fold_in(history).unwrap();
            let trained = model.user_factors(user as UserId);
            for (folded, trained) in folded.iter().zip(trained) {
                assert!((folded - trained).abs() < 1e-3, "user {user}: {folded:?} != {trained:?}");
            }
        }
    }

    #[test]
    fn without_known_history_items_scores_are_popularity_below_zero() {
        let model = fitted(config(4, 2, 3), &[&[0, 1, 1], &[1, 2]], 4);
        // Counts 1, 3, 1, 0 scale to count / 4 − 1.
        let expected = [-0.75, -0.25, -0.75, -1.0];
        for history in [&[][..], &[3], &[42]] {
            let mut scores = [0.0; 4];
            model.score_into(history, &mut scores);
            assert_eq!(scores, expected, "history {history:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_fit_on_any_number_of_threads() {
        // 300 users make three blocks of rows for the threads to share.
        let train: Vec<Vec<ItemId>> =
            (0..300u32).map(|user| vec![user % 7, user % 11 + 7, user % 13 + 18, (user * 17) % 31]).collect();
        let train: Vec<&[ItemId]> = train.iter().map(Vec::as_slice).collect();
        let fit_on = |threads, seed| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| fitted(AlsConfig { seed, ..config(8, 3, 3) }, &train, 31))
        };
        let single = fit_on(1, 7);
        let double = fit_on(2, 7);
        assert_eq!(single, double);
        assert_eq!(single, fit_on(3, 7));
        assert_ne!(single.item_factors(0), fit_on(1, 8).item_factors(0));
        let scores = |model: &Als| {
            let mut scores = vec![0.0; 31];
            model.score_into(&[3, 9, 20], &mut scores);
            scores
        };
        assert_eq!(scores(&single), scores(&double));
    }

    proptest! {
        #[test]
        fn as_many_conjugate_gradient_steps_as_factors_reach_the_exact_solution(
            values in prop::collection::vec(-1.0f32..1.0, 18),
            counts in prop::collection::vec(0u8..4, 6),
            alpha in 0.0f32..5.0,
            start in prop::collection::vec(-1.0f32..1.0, 3),
        ) {
            // Six items with three factors; the row took item i `counts[i]` times.
            let fixed = Factors { k: 3, values };
            let gram = fixed.gram(1.0);
            let columns: Vec<u32> = (0..6).filter(|&item| counts[item as usize] > 0).collect();
            let counts: Vec<f32> = columns.iter().map(|&item| f32::from(counts[item as usize])).collect();
            let (mut system, mut exact) = normal_equations(&gram, &fixed, (&columns, &counts), alpha);
            solve_positive_definite(&mut system, &mut exact);
            let config = AlsConfig { factors: 3, regularization: 1.0, alpha, iterations: 1, cg_steps: 3, seed: 0 };
            let mut x = start;
            let rows = std::iter::once((&columns[..], &counts[..]));
            conjugate_gradient(&gram, &fixed, rows, &config, &mut x, &mut Scratch::default());
            for (x, exact) in x.iter().zip(&exact) {
                prop_assert!((f64::from(*x) - exact).abs() < 1e-3, "{x} != {exact}");
            }
        }

        #[test]
        fn cholesky_solves_any_positive_definite_system(
            values in prop::collection::vec(-2.0f64..2.0, 16),
            rhs in prop::collection::vec(-5.0f64..5.0, 4),
        ) {
            // MᵀM + I is symmetric positive definite for any M.
            let k = 4;
            let matrix: Vec<f64> = (0..k * k)
                .map(|at| {
                    let (i, j) = (at / k, at % k);
                    (0..k).map(|m| values[m * k + i] * values[m * k + j]).sum::<f64>() + f64::from(i == j)
                })
                .collect();
            let mut x = rhs.clone();
            solve_positive_definite(&mut matrix.clone(), &mut x);
            for (row, rhs) in matrix.chunks_exact(k).zip(&rhs) {
                let product: f64 = row.iter().zip(&x).map(|(a, b)| a * b).sum();
                prop_assert!((product - rhs).abs() < 1e-9, "{product} != {rhs}");
            }
        }
    }
}
