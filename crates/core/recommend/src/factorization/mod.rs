//! Implicit-feedback matrix factorisation: shoppers and items become points in one space of a few dozen
//! dimensions ("factors"), and a shopper's score for an item is the dot product of the two points.
//!
//! - [`Als`]: alternating least squares on confidence-weighted interactions (Hu, Koren, Volinsky 2008),
//!   each row solved approximately by a few conjugate-gradient steps (Takács, Pilászy, Tikk 2011).
//! - [`Bpr`]: Bayesian personalised ranking (Rendle et al. 2009), stochastic gradient ascent on the
//!   probability that a shopper prefers an item they interacted with over one they did not.
//!
//! Both place a shopper from their history at scoring time rather than looking up a trained row, so a
//! session that started a minute ago is scored like a customer of ten years.

mod als;
mod bpr;

pub use als::{Als, AlsConfig};
pub use bpr::{Bpr, BprConfig};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::{ItemId, ScoredItem, ranking};

/// The seeded random stream of one model: the same seed gives the same stream on every platform.
fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A dense row-major matrix with one row of `k` factors per user or item.
#[derive(Debug, Clone, PartialEq)]
struct Factors {
    k: usize,
    values: Vec<f32>,
}

impl Factors {
    fn empty(k: usize) -> Self {
        Self { k, values: Vec::new() }
    }

    /// `rows` rows of values drawn uniformly from `[low, high)`.
    fn uniform(rows: usize, k: usize, low: f32, high: f32, rng: &mut ChaCha8Rng) -> Self {
        let values = (0..rows * k).map(|_| low + (high - low) * rng.random::<f32>()).collect();
        Self { k, values }
    }

    fn rows(&self) -> usize {
        self.values.len() / self.k.max(1)
    }

    fn row(&self, row: usize) -> &[f32] {
        &self.values[row * self.k..(row + 1) * self.k]
    }

    fn row_mut(&mut self, row: usize) -> &mut [f32] {
        &mut self.values[row * self.k..(row + 1) * self.k]
    }

    /// Row `row`, or nothing when out of range.
    fn get(&self, row: usize) -> &[f32] {
        self.values.get(row * self.k..(row + 1) * self.k).unwrap_or_default()
    }

    /// `out[row] = self.row(row) · vector` for every row: every item's score for one shopper.
    fn multiply(&self, vector: &[f32], out: &mut [f32]) {
        for (out, row) in out.iter_mut().zip(self.values.chunks_exact(self.k)) {
            *out = dot(row, vector);
        }
    }

    /// `YᵀY + ridge·I` (`k × k`) of these rows `Y`: the part of every row's normal equations in ALS that
    /// does not depend on the row's own interactions.
    ///
    /// Accumulated in fixed blocks of rows whose partial products are added in block order, so the
    /// result does not depend on how many threads ran.
    fn gram(&self, ridge: f32) -> Factors {
        const BLOCK_ROWS: usize = 4096;
        let k = self.k;
        let partials: Vec<Vec<f32>> = self
            .values
            .par_chunks(BLOCK_ROWS * k)
            .map(|block| {
                let mut partial = vec![0.0f32; k * k];
                multiply_matrices(1.0, block, true, block, k, &mut partial);
                partial
            })
            .collect();
        let mut gram = vec![0.0f32; k * k];
        for partial in &partials {
            axpy(1.0, partial, &mut gram);
        }
        for diagonal in gram.iter_mut().step_by(k + 1) {
            *diagonal += ridge;
        }
        Factors { k, values: gram }
    }

    /// The `count` rows most similar to row `item` by cosine, most similar first, `item` itself left out.
    /// Empty when `item` is out of range or its row is zero (an item never seen in training).
    fn most_similar(&self, item: ItemId, count: usize) -> Vec<ScoredItem> {
        let item = item as usize;
        if item >= self.rows() {
            return Vec::new();
        }
        let norm = dot(self.row(item), self.row(item)).sqrt();
        if norm == 0.0 {
            return Vec::new();
        }
        let mut scores = vec![0.0; self.rows()];
        self.multiply(self.row(item), &mut scores);
        for (score, row) in scores.iter_mut().zip(self.values.chunks_exact(self.k)) {
            let other = dot(row, row).sqrt();
            *score = if other == 0.0 { f32::NEG_INFINITY } else { *score / (norm * other) };
        }
        ranking::mask(&mut scores, &[item as ItemId]);
        ranking::top_k(&scores, count)
    }
}

/// `Σ a[i]·b[i]` over equally long slices, in eight interleaved partial sums that the compiler keeps in
/// vector registers (a single running sum would force one addition after the other).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    const LANES: usize = 8;
    let (a_blocks, a_tail) = a.as_chunks::<LANES>();
    let (b_blocks, b_tail) = b.as_chunks::<LANES>();
    let mut partial = [0.0f32; LANES];
    for (a, b) in a_blocks.iter().zip(b_blocks) {
        for ((partial, a), b) in partial.iter_mut().zip(a).zip(b) {
            *partial += a * b;
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(a, b)| a * b).sum();
    partial.iter().sum::<f32>() + tail
}

/// `out = scale · a · b`, all row-major: `b` is `depth × n` and `out` is `m × n`; `a` is `m × depth`, or,
/// when `transpose_a`, `depth × m` read as its transpose. By matrixmultiply's blocked kernels, which pick
/// the widest vector instructions of the CPU they run on; each element is summed over `depth` in one
/// fixed order, so equal inputs give equal outputs on a given CPU.
fn multiply_matrices(scale: f32, a: &[f32], transpose_a: bool, b: &[f32], n: usize, out: &mut [f32]) {
    let depth = b.len() / n.max(1);
    let m = out.len() / n.max(1);
    assert_eq!(b.len(), depth * n, "b is not depth × n");
    assert_eq!(out.len(), m * n, "out is not m × n");
    assert_eq!(a.len(), m * depth, "a does not match b and out");
    if m == 0 || n == 0 {
        return;
    }
    if depth == 0 {
        out.fill(0.0);
        return;
    }
    let (row_stride, column_stride) = if transpose_a { (1, m) } else { (depth, 1) };
    // SAFETY: the assertions above keep every element sgemm reads inside `a` and `b` and every element it
    // writes inside `out`, which is borrowed mutably and so aliases neither. With beta 0 it never reads `out`.
    unsafe {
        matrixmultiply::sgemm(
            m,
            depth,
            n,
            scale,
            a.as_ptr(),
            row_stride as isize,
            column_stride as isize,
            b.as_ptr(),
            n as isize,
            1,
            0.0,
            out.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `y += a·x` over equally long slices.
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    debug_assert_eq!(x.len(), y.len());
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// How often each user interacted with each item, as a sparse matrix with one row per user (or, after
/// [`Counts::transpose`], per item). Columns within a row are ascending.
#[derive(Debug, Clone, PartialEq)]
struct Counts {
    /// Row `r`'s entries are `columns[starts[r]..starts[r + 1]]` with the same range of `counts`.
    starts: Vec<usize>,
    columns: Vec<u32>,
    counts: Vec<f32>,
}

impl Counts {
    /// One row per sequence; an item repeated in a sequence adds to its count.
    fn from_sequences(sequences: &[&[ItemId]]) -> Self {
        let mut starts = Vec::with_capacity(sequences.len() + 1);
        starts.push(0);
        let mut columns = Vec::new();
        let mut counts: Vec<f32> = Vec::new();
        let mut sorted = Vec::new();
        for sequence in sequences {
            sorted.clear();
            sorted.extend_from_slice(sequence);
            sorted.sort_unstable();
            let row_start = columns.len();
            for &item in &sorted {
                if columns.len() > row_start && columns.last() == Some(&item) {
                    *counts.last_mut().expect("a column has a count") += 1.0;
                } else {
                    columns.push(item);
                    counts.push(1.0);
                }
            }
            starts.push(columns.len());
        }
        Self { starts, columns, counts }
    }

    /// The same counts with rows and columns swapped, for a matrix with `n_columns` columns.
    fn transpose(&self, n_columns: usize) -> Self {
        let mut starts = vec![0usize; n_columns + 1];
        for &column in &self.columns {
            starts[column as usize + 1] += 1;
        }
        for column in 0..n_columns {
            starts[column + 1] += starts[column];
        }
        let mut next = starts[..n_columns].to_vec();
        let mut columns = vec![0u32; self.columns.len()];
        let mut counts = vec![0.0f32; self.counts.len()];
        // Rows are visited in ascending order, so each transposed row comes out ascending too.
        for row in 0..self.rows() {
            let (row_columns, row_counts) = self.row(row);
            for (&column, &count) in row_columns.iter().zip(row_counts) {
                let at = &mut next[column as usize];
                columns[*at] = row as u32;
                counts[*at] = count;
                *at += 1;
            }
        }
        Self { starts, columns, counts }
    }

    fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    fn row(&self, row: usize) -> (&[u32], &[f32]) {
        let range = self.starts[row]..self.starts[row + 1];
        (&self.columns[range.clone()], &self.counts[range])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_repeats_and_transpose_swaps_rows_and_columns() {
        let counts = Counts::from_sequences(&[&[2, 0, 2], &[], &[1, 2]]);
        assert_eq!(counts.row(0), (&[0, 2][..], &[1.0, 2.0][..]));
        assert_eq!(counts.row(1), (&[][..], &[][..]));
        assert_eq!(counts.row(2), (&[1, 2][..], &[1.0, 1.0][..]));
        let transposed = counts.transpose(4);
        assert_eq!(transposed.rows(), 4);
        assert_eq!(transposed.row(0), (&[0][..], &[1.0][..]));
        assert_eq!(transposed.row(1), (&[2][..], &[1.0][..]));
        assert_eq!(transposed.row(2), (&[0, 2][..], &[2.0, 1.0][..]));
        assert_eq!(transposed.row(3), (&[][..], &[][..]));
        assert_eq!(transposed.transpose(3), counts);
    }

    #[test]
    fn dot_and_axpy_handle_lengths_that_are_not_a_multiple_of_the_lanes() {
        let a: Vec<f32> = (1..=11).map(|v| v as f32).collect();
        let b = vec![2.0f32; 11];
        assert_eq!(dot(&a, &b), 132.0);
        let mut y = vec![1.0f32; 11];
        axpy(0.5, &a, &mut y);
        assert_eq!(y[0], 1.5);
        assert_eq!(y[10], 6.5);
    }

    #[test]
    fn gram_is_the_ridged_product_of_the_rows_with_themselves() {
        let factors = Factors { k: 2, values: vec![1.0, 2.0, 3.0, 4.0, 0.0, 1.0] };
        // Columns (1, 3, 0) and (2, 4, 1): 10, 14 and 21 off the ridge.
        assert_eq!(factors.gram(0.5).values, vec![10.5, 14.0, 14.0, 21.5]);
    }

    #[test]
    fn most_similar_is_cosine_without_the_item_itself_or_zero_rows() {
        let factors = Factors { k: 2, values: vec![1.0, 0.0, 0.0, 0.0, 1.0, 1.0, -1.0, 0.0, 0.0, 2.0] };
        let similar = factors.most_similar(0, 10);
        let expected = [(2, std::f32::consts::FRAC_1_SQRT_2), (4, 0.0), (3, -1.0)];
        assert_eq!(similar.len(), expected.len());
        for (scored, (item, score)) in similar.iter().zip(expected) {
            assert_eq!(scored.item, item);
            assert!((scored.score - score).abs() < 1e-6, "{scored:?}");
        }
        assert!(factors.most_similar(1, 10).is_empty());
        assert!(factors.most_similar(9, 10).is_empty());
        assert_eq!(factors.most_similar(0, 1).len(), 1);
    }
}
