//! Gradient-boosted regression trees on histograms, written for the global forecasting model
//! ([`crate::global`]) but general: features are quantised once to at most 255 bins by their quantiles
//! (a missing value, NaN, keeps a bin of its own and each split sends it to the side that gains most)
//! and stored row by row, so one pass over a leaf's rows counts every feature's histogram; trees grow
//! leaf-wise up to a number of leaves and a depth, and a child's histogram is its parent's less its
//! sibling's, so only the smaller child is counted.
//!
//! Losses: squared error; Poisson with a log link, for counts; and the quantile (pinball) loss, whose
//! leaves are set to the residuals' quantile as LightGBM does. Rows may carry weights and an offset (a
//! starting prediction on the link scale, e.g. a baseline forecast the trees correct). Row and feature
//! subsampling draw from a seeded generator, and every parallel step sums in a fixed order, so a seed
//! gives the same model on any number of threads.

use rayon::prelude::*;

/// The loss the trees descend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// `(y − f)²`: the mean.
    Squared,
    /// Poisson deviance with `f = ln μ`: counts, non-negative targets only.
    Poisson,
    /// Pinball loss at `alpha` in (0, 1): the `alpha`-quantile (0.5: the median, which minimises WAPE).
    Quantile { alpha: f64 },
}

/// How the trees are grown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub loss: Loss,
    /// Trees.
    pub rounds: usize,
    /// Shrinkage of each tree's leaves.
    pub learning_rate: f64,
    pub max_leaves: usize,
    pub max_depth: usize,
    /// Fewest (sampled) rows in a leaf.
    pub min_leaf_rows: usize,
    /// Least summed hessian (weight, for squared error) in a leaf.
    pub min_leaf_hessian: f64,
    /// L2 penalty on leaf values.
    pub l2: f64,
    /// Share of rows each tree sees, in (0, 1].
    pub row_fraction: f64,
    /// Share of features each tree may split on, in (0, 1].
    pub feature_fraction: f64,
    /// Bins per feature for its values, 2..=255.
    pub max_bins: usize,
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            loss: Loss::Squared,
            rounds: 100,
            learning_rate: 0.1,
            max_leaves: 31,
            max_depth: 8,
            min_leaf_rows: 20,
            min_leaf_hessian: 1e-3,
            l2: 1.0,
            row_fraction: 1.0,
            feature_fraction: 1.0,
            max_bins: 255,
            seed: 0,
        }
    }
}

/// Training rows: `columns[feature][row]`, NaN for missing.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    pub columns: &'a [Vec<f32>],
    pub target: &'a [f64],
    /// Per-row weights, non-negative; all 1 when absent.
    pub weight: Option<&'a [f64]>,
    /// Per-row starting prediction on the link scale (ln μ for Poisson); 0 when absent.
    pub offset: Option<&'a [f64]>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GbtError {
    #[error("no rows to learn from")]
    NoRows,
    #[error("no features")]
    NoFeatures,
    #[error("{0} has {1} rows, the target {2}")]
    Length(&'static str, usize, usize),
    #[error("{0} at row {1} is not a finite number{2}")]
    BadValue(&'static str, usize, &'static str),
    #[error("parameter {0} is out of range")]
    BadParameter(&'static str),
}

/// A fitted ensemble.
#[derive(Debug, Clone, PartialEq)]
pub struct Booster {
    loss: Loss,
    features: usize,
    base: f64,
    trees: Vec<Tree>,
}

#[derive(Debug, Clone, PartialEq)]
struct Tree {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    /// `value ≤ threshold` (bin `≤ bin`) goes left; a missing value goes left when `missing_left`.
    Split {
        feature: usize,
        bin: u8,
        threshold: f32,
        missing_left: bool,
        left: usize,
        right: usize,
    },
    Leaf(f64),
}

/// The bin of a missing value.
const MISSING: u8 = 255;
const SLOTS: usize = 256;
/// Values sampled per feature to place its bin edges.
const QUANTILE_SAMPLE: usize = 200_000;

impl Booster {
    /// Fits `params.rounds` trees to `data`.
    pub fn fit(data: &Data<'_>, params: &Params) -> Result<Self, GbtError> {
        check(data, params)?;
        let rows = data.target.len();
        let weight: Vec<f64> = data.weight.map_or_else(|| vec![1.0; rows], <[f64]>::to_vec);
        let offset: Vec<f64> = data.offset.map_or_else(|| vec![0.0; rows], <[f64]>::to_vec);
        let edges: Vec<Vec<f32>> = data.columns.par_iter().map(|c| bin_edges(c, params.max_bins)).collect();
        let columns: Vec<Vec<u8>> =
            data.columns.par_iter().zip(&edges).map(|(c, e)| c.iter().map(|&v| bin_of(v, e)).collect()).collect();
        let bins: Vec<u8> = (0..rows).flat_map(|r| columns.iter().map(move |c| c[r])).collect();
        drop(columns);
        let base = base_score(params.loss, data.target, &weight, &offset);
        let mut raw: Vec<f64> = offset.iter().map(|o| o + base).collect();
        let mut rng = SplitMix(params.seed);
        let mut trees = Vec::with_capacity(params.rounds);
        let mut gradients = vec![(0.0, 0.0); rows];
        for _ in 0..params.rounds {
            gradients.par_iter_mut().enumerate().for_each(|(i, g)| {
                *g = gradient(params.loss, data.target[i], raw[i], weight[i]);
            });
            let sample: Vec<u32> = (0..rows as u32).filter(|_| rng.unit() < params.row_fraction).collect();
            let features = rng.choose(data.columns.len(), params.feature_fraction);
            let grower =
                Grower { bins: &bins, width: edges.len(), edges: &edges, gradients: &gradients, params, features };
            let (mut tree, leaves) = grower.grow(sample);
            if let Loss::Quantile { alpha } = params.loss {
                for (node, rows) in leaves {
                    let residuals: Vec<(f64, f64)> =
                        rows.iter().map(|&r| (data.target[r as usize] - raw[r as usize], weight[r as usize])).collect();
                    tree.nodes[node] = Node::Leaf(params.learning_rate * weighted_quantile(residuals, alpha));
                }
            }
            raw.par_iter_mut().enumerate().for_each(|(i, r)| *r += tree.binned_value(&bins[i * edges.len()..]));
            trees.push(tree);
        }
        Ok(Self { loss: params.loss, features: data.columns.len(), base, trees })
    }

    /// Predictions on the response scale (μ for Poisson) for `columns[feature][row]`, each row's
    /// `offset` (link scale) added first when given. Panics on a column count other than the fit's.
    pub fn predict(&self, columns: &[Vec<f32>], offset: Option<&[f64]>) -> Vec<f64> {
        assert_eq!(columns.len(), self.features, "the model was fitted on {} features", self.features);
        let rows = columns.first().map_or(0, Vec::len);
        (0..rows)
            .into_par_iter()
            .map(|i| {
                let raw = offset.map_or(0.0, |o| o[i])
                    + self.base
                    + self.trees.iter().map(|t| t.value(columns, i)).sum::<f64>();
                match self.loss {
                    Loss::Poisson => raw.exp(),
                    Loss::Squared | Loss::Quantile { .. } => raw,
                }
            })
            .collect()
    }

    pub fn trees(&self) -> usize {
        self.trees.len()
    }
}

fn check(data: &Data<'_>, params: &Params) -> Result<(), GbtError> {
    let rows = data.target.len();
    if rows == 0 {
        return Err(GbtError::NoRows);
    }
    if data.columns.is_empty() {
        return Err(GbtError::NoFeatures);
    }
    for (name, len) in [
        ("a feature column", data.columns.iter().map(Vec::len).find(|&l| l != rows).unwrap_or(rows)),
        ("the weight", data.weight.map_or(rows, <[f64]>::len)),
        ("the offset", data.offset.map_or(rows, <[f64]>::len)),
    ] {
        if len != rows {
            return Err(GbtError::Length(name, len, rows));
        }
    }
    let nonnegative = params.loss == Loss::Poisson;
    if let Some(i) = data.target.iter().position(|&y| !y.is_finite() || (nonnegative && y < 0.0)) {
        return Err(GbtError::BadValue("the target", i, if nonnegative { " ≥ 0" } else { "" }));
    }
    if let Some(i) = data.weight.and_then(|w| w.iter().position(|&w| !(w.is_finite() && w >= 0.0))) {
        return Err(GbtError::BadValue("the weight", i, " ≥ 0"));
    }
    if let Some(i) = data.offset.and_then(|o| o.iter().position(|o| !o.is_finite())) {
        return Err(GbtError::BadValue("the offset", i, ""));
    }
    let fraction = |f: f64| f > 0.0 && f <= 1.0;
    let bad = [
        ("learning_rate", !(params.learning_rate > 0.0 && params.learning_rate.is_finite())),
        ("max_leaves", params.max_leaves < 2),
        ("max_depth", params.max_depth < 1),
        ("l2", params.l2.is_nan() || params.l2 < 0.0),
        ("min_leaf_hessian", params.min_leaf_hessian.is_nan() || params.min_leaf_hessian < 0.0),
        ("row_fraction", !fraction(params.row_fraction)),
        ("feature_fraction", !fraction(params.feature_fraction)),
        ("max_bins", !(2..=255).contains(&params.max_bins)),
        ("alpha", matches!(params.loss, Loss::Quantile { alpha } if !(alpha > 0.0 && alpha < 1.0))),
    ];
    match bad.iter().find(|(_, bad)| *bad) {
        Some((name, _)) => Err(GbtError::BadParameter(name)),
        None => Ok(()),
    }
}

/// Upper edges of the bins, ascending: a value goes to the first bin whose edge it does not exceed,
/// above the last edge to one more bin. Edges sit between distinct values at evenly spaced quantiles
/// of (a stride sample of) the finite values.
fn bin_edges(column: &[f32], max_bins: usize) -> Vec<f32> {
    let stride = column.len().div_ceil(QUANTILE_SAMPLE).max(1);
    let mut values: Vec<f32> = column.iter().step_by(stride).copied().filter(|v| !v.is_nan()).collect();
    values.sort_by(f32::total_cmp);
    values.dedup();
    let mut edges: Vec<f32> = if values.len() <= max_bins {
        values.windows(2).map(|w| w[0] + (w[1] - w[0]) / 2.0).collect()
    } else {
        (1..max_bins).map(|b| values[b * values.len() / max_bins]).collect()
    };
    edges.dedup();
    edges
}

fn bin_of(value: f32, edges: &[f32]) -> u8 {
    if value.is_nan() { MISSING } else { edges.partition_point(|&e| e < value) as u8 }
}

fn base_score(loss: Loss, target: &[f64], weight: &[f64], offset: &[f64]) -> f64 {
    let total: f64 = weight.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    match loss {
        Loss::Squared => target.iter().zip(offset).zip(weight).map(|((y, o), w)| w * (y - o)).sum::<f64>() / total,
        Loss::Poisson => {
            let sales: f64 = target.iter().zip(weight).map(|(y, w)| w * y).sum();
            let expected: f64 = offset.iter().zip(weight).map(|(o, w)| w * o.exp()).sum();
            if sales > 0.0 && expected > 0.0 { (sales / expected).ln() } else { -30.0 }
        }
        Loss::Quantile { alpha } => {
            weighted_quantile(target.iter().zip(offset).zip(weight).map(|((y, o), &w)| (y - o, w)).collect(), alpha)
        }
    }
}

/// The loss's gradient and hessian at the raw prediction `raw`, times the row's weight.
fn gradient(loss: Loss, y: f64, raw: f64, weight: f64) -> (f64, f64) {
    match loss {
        Loss::Squared => (weight * (raw - y), weight),
        Loss::Poisson => {
            let mu = raw.min(30.0).exp();
            // LightGBM's safeguard: the hessian at a slightly larger μ keeps steps small near 0.
            (weight * (mu - y), weight * mu * 0.7f64.exp())
        }
        Loss::Quantile { alpha } => (weight * if y < raw { 1.0 - alpha } else { -alpha }, weight),
    }
}

/// The smallest value whose cumulative weight reaches `alpha` of the total; 0 for no weight.
fn weighted_quantile(mut values: Vec<(f64, f64)>, alpha: f64) -> f64 {
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = values.iter().map(|v| v.1).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut cumulative = 0.0;
    for &(value, weight) in &values {
        cumulative += weight;
        if cumulative >= alpha * total {
            return value;
        }
    }
    values.last().map_or(0.0, |v| v.0)
}

impl Tree {
    fn value(&self, columns: &[Vec<f32>], row: usize) -> f64 {
        let mut node = 0;
        loop {
            match self.nodes[node] {
                Node::Leaf(value) => return value,
                Node::Split { feature, threshold, missing_left, left, right, .. } => {
                    let v = columns[feature][row];
                    node = if (v.is_nan() && missing_left) || v <= threshold { left } else { right };
                }
            }
        }
    }

    /// The value for a row's bins.
    fn binned_value(&self, row: &[u8]) -> f64 {
        let mut node = 0;
        loop {
            match self.nodes[node] {
                Node::Leaf(value) => return value,
                Node::Split { feature, bin, missing_left, left, right, .. } => {
                    node = if goes_left(row[feature], bin, missing_left) { left } else { right };
                }
            }
        }
    }
}

fn goes_left(value: u8, bin: u8, missing_left: bool) -> bool {
    if value == MISSING { missing_left } else { value <= bin }
}

/// Summed gradient, hessian and rows of a bin.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    gradient: f64,
    hessian: f64,
    rows: f64,
}

impl Sums {
    fn add(&mut self, (g, h): (f64, f64)) {
        self.gradient += g;
        self.hessian += h;
        self.rows += 1.0;
    }

    fn plus(self, o: Sums) -> Sums {
        Sums { gradient: self.gradient + o.gradient, hessian: self.hessian + o.hessian, rows: self.rows + o.rows }
    }

    fn minus(self, o: Sums) -> Sums {
        Sums { gradient: self.gradient - o.gradient, hessian: self.hessian - o.hessian, rows: self.rows - o.rows }
    }

    fn score(self, l2: f64) -> f64 {
        self.gradient * self.gradient / (self.hessian + l2)
    }
}

#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
}

/// A leaf waiting to be split: its rows, its histograms (`SLOTS` per feature), and its best split.
struct Leaf {
    node: usize,
    depth: usize,
    rows: Vec<u32>,
    histograms: Vec<Sums>,
    best: Option<Split>,
}

struct Grower<'a> {
    /// `width` bins per row, row after row.
    bins: &'a [u8],
    width: usize,
    edges: &'a [Vec<f32>],
    gradients: &'a [(f64, f64)],
    params: &'a Params,
    features: Vec<usize>,
}

impl Grower<'_> {
    /// A tree and, for each leaf, its node and rows.
    fn grow(&self, rows: Vec<u32>) -> (Tree, Vec<(usize, Vec<u32>)>) {
        let mut nodes = vec![Node::Leaf(0.0)];
        let histograms = self.histograms(&rows);
        let mut open = vec![self.leaf(0, 0, rows, histograms)];
        while open.len() < self.params.max_leaves {
            let Some(pick) = (0..open.len())
                .filter(|&i| open[i].best.is_some())
                .max_by(|&a, &b| open[a].best.unwrap().gain.total_cmp(&open[b].best.unwrap().gain).then(b.cmp(&a)))
            else {
                break;
            };
            let leaf = open.swap_remove(pick);
            let split = leaf.best.expect("picked leaves have a split");
            let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = leaf.rows.iter().partition(|&&r| {
                goes_left(self.bins[r as usize * self.width + split.feature], split.bin, split.missing_left)
            });
            let (left, right) = (nodes.len(), nodes.len() + 1);
            nodes[leaf.node] = Node::Split {
                feature: split.feature,
                bin: split.bin,
                threshold: self.edges[split.feature].get(split.bin as usize).copied().unwrap_or(f32::INFINITY),
                missing_left: split.missing_left,
                left,
                right,
            };
            nodes.extend([Node::Leaf(0.0), Node::Leaf(0.0)]);
            // Count the smaller child; the larger is the parent less it.
            let left_smaller = left_rows.len() <= right_rows.len();
            let counted = self.histograms(if left_smaller { &left_rows } else { &right_rows });
            let rest: Vec<Sums> = leaf.histograms.iter().zip(&counted).map(|(p, c)| p.minus(*c)).collect();
            let (left_histograms, right_histograms) = if left_smaller { (counted, rest) } else { (rest, counted) };
            open.push(self.leaf(left, leaf.depth + 1, left_rows, left_histograms));
            open.push(self.leaf(right, leaf.depth + 1, right_rows, right_histograms));
        }
        let mut leaves = Vec::new();
        for leaf in open {
            let total = leaf.histograms[..SLOTS].iter().fold(Sums::default(), |a, b| a.plus(*b));
            nodes[leaf.node] =
                Node::Leaf(-self.params.learning_rate * total.gradient / (total.hessian + self.params.l2));
            leaves.push((leaf.node, leaf.rows));
        }
        (Tree { nodes }, leaves)
    }

    fn leaf(&self, node: usize, depth: usize, rows: Vec<u32>, histograms: Vec<Sums>) -> Leaf {
        let best = if depth < self.params.max_depth { self.best_split(&histograms) } else { None };
        Leaf { node, depth, rows, histograms, best }
    }

    /// Every feature's histogram over `rows`, counted in fixed chunks summed in order, so the sums do
    /// not depend on the thread count.
    fn histograms(&self, rows: &[u32]) -> Vec<Sums> {
        const CHUNK: usize = 16_384;
        let count = |chunk: &[u32]| {
            let mut histograms = vec![Sums::default(); self.width * SLOTS];
            for &r in chunk {
                let g = self.gradients[r as usize];
                let row = &self.bins[r as usize * self.width..][..self.width];
                for (f, &bin) in row.iter().enumerate() {
                    histograms[f * SLOTS + bin as usize].add(g);
                }
            }
            histograms
        };
        let chunks: Vec<Vec<Sums>> = rows.par_chunks(CHUNK).map(count).collect();
        let mut chunks = chunks.into_iter();
        let first = chunks.next().unwrap_or_else(|| count(&[]));
        chunks.fold(first, |mut total, chunk| {
            total.iter_mut().zip(chunk).for_each(|(t, c)| *t = t.plus(c));
            total
        })
    }

    /// The split of most gain over the candidate features, the missing bin tried on either side; ties
    /// go to the earlier feature and bin, so the choice does not depend on the thread count.
    fn best_split(&self, histograms: &[Sums]) -> Option<Split> {
        let p = self.params;
        let allowed = |s: Sums| s.rows >= p.min_leaf_rows as f64 && s.hessian >= p.min_leaf_hessian;
        let mut best: Option<Split> = None;
        for &feature in &self.features {
            let histogram = &histograms[feature * SLOTS..][..SLOTS];
            let missing = histogram[MISSING as usize];
            let total = histogram.iter().fold(Sums::default(), |a, b| a.plus(*b));
            let parent = total.score(p.l2);
            let mut left = Sums::default();
            for (bin, &sums) in histogram.iter().enumerate().take(self.edges[feature].len() + 1) {
                left = left.plus(sums);
                for missing_left in [false, true] {
                    let l = if missing_left { left.plus(missing) } else { left };
                    let r = total.minus(l);
                    if !(allowed(l) && allowed(r)) {
                        continue;
                    }
                    let gain = l.score(p.l2) + r.score(p.l2) - parent;
                    if gain > 1e-12 && best.is_none_or(|b| gain > b.gain) {
                        best = Some(Split { gain, feature, bin: bin as u8, missing_left });
                    }
                }
            }
        }
        best
    }
}

/// SplitMix64: a small, fast, seedable generator.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `⌈fraction · n⌉` (at least 1) of `0..n`, ascending.
    fn choose(&mut self, n: usize, fraction: f64) -> Vec<usize> {
        let k = ((fraction * n as f64).ceil() as usize).clamp(1, n);
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = i + (self.next() % (n - i) as u64) as usize;
            all.swap(i, j);
        }
        let mut chosen = all[..k].to_vec();
        chosen.sort_unstable();
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fit(columns: &[Vec<f32>], target: &[f64], params: &Params) -> Booster {
        Booster::fit(&Data { columns, target, weight: None, offset: None }, params).unwrap()
    }

    #[test]
    fn fits_a_step_function_and_sends_missing_values_their_own_way() {
        // y = 10 below 0.5, 20 above; a missing x means 40.
        let x: Vec<f32> = (0..400).map(|i| if i % 10 == 0 { f32::NAN } else { i as f32 / 400.0 }).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&v| {
                if v.is_nan() {
                    40.0
                } else if v < 0.5 {
                    10.0
                } else {
                    20.0
                }
            })
            .collect();
        let params = Params { rounds: 200, learning_rate: 0.3, min_leaf_rows: 5, l2: 0.0, ..Params::default() };
        let model = fit(&[x], &y, &params);
        let predicted = model.predict(&[vec![0.1, 0.45, 0.55, 0.9, f32::NAN]], None);
        for (p, want) in predicted.iter().zip([10.0, 10.0, 20.0, 20.0, 40.0]) {
            assert!((p - want).abs() < 0.01, "{predicted:?}");
        }
    }

    #[test]
    fn poisson_and_quantile_losses_find_their_targets() {
        // Counts 0..=4 repeated, so the mean is 2 and the 0.9-quantile 4, at every x.
        let x: Vec<f32> = (0..500).map(|i| (i % 7) as f32).collect();
        let y: Vec<f64> = (0..500).map(|i| (i % 5) as f64).collect();
        let poisson =
            fit(std::slice::from_ref(&x), &y, &Params { loss: Loss::Poisson, rounds: 30, ..Params::default() });
        assert!((poisson.predict(&[vec![3.0]], None)[0] - 2.0).abs() < 0.15);
        let quantile = fit(&[x], &y, &Params { loss: Loss::Quantile { alpha: 0.9 }, rounds: 30, ..Params::default() });
        assert!((quantile.predict(&[vec![3.0]], None)[0] - 4.0).abs() < 0.3);
    }

    #[test]
    fn an_offset_is_corrected_not_replaced() {
        // y = 2x + 1 with the offset 2x: the trees only need to learn the constant 1.
        let x: Vec<f32> = (0..200).map(|i| i as f32).collect();
        let y: Vec<f64> = (0..200).map(|i| 2.0 * i as f64 + 1.0).collect();
        let offset: Vec<f64> = (0..200).map(|i| 2.0 * i as f64).collect();
        let data = Data { columns: &[x], target: &y, weight: None, offset: Some(&offset) };
        let model = Booster::fit(&data, &Params { rounds: 5, ..Params::default() }).unwrap();
        let p = model.predict(&[vec![1000.0]], Some(&[2000.0]));
        assert!((p[0] - 2001.0).abs() < 1e-9, "{p:?}");
    }

    #[test]
    fn bad_inputs_are_named() {
        let columns = [vec![1.0f32, 2.0]];
        let params = Params::default();
        let data = |target: &'static [f64]| Data { columns: &columns, target, weight: None, offset: None };
        assert_eq!(Booster::fit(&Data { target: &[], ..data(&[]) }, &params), Err(GbtError::NoRows));
        assert_eq!(Booster::fit(&data(&[1.0]), &params), Err(GbtError::Length("a feature column", 2, 1)));
        assert!(matches!(Booster::fit(&data(&[1.0, f64::NAN]), &params), Err(GbtError::BadValue("the target", 1, _))));
        let poisson = Params { loss: Loss::Poisson, ..params };
        assert!(matches!(Booster::fit(&data(&[1.0, -1.0]), &poisson), Err(GbtError::BadValue(..))));
        let no_rows = Params { row_fraction: 0.0, ..params };
        assert_eq!(Booster::fit(&data(&[1.0, 2.0]), &no_rows), Err(GbtError::BadParameter("row_fraction")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn a_seed_gives_the_same_model_and_predictions_are_finite(
            values in prop::collection::vec(-1e3f64..1e3, 1..120),
            missing in prop::collection::vec(any::<bool>(), 120),
            seed in any::<u64>(),
        ) {
            let n = values.len();
            let x: Vec<f32> = (0..n).map(|i| if missing[i] { f32::NAN } else { values[(i * 7) % n] as f32 }).collect();
            let z: Vec<f32> = (0..n).map(|i| (i % 3) as f32).collect();
            let columns = [x, z];
            let params = Params {
                rounds: 8, min_leaf_rows: 1, row_fraction: 0.7, feature_fraction: 0.5, seed, ..Params::default()
            };
            let a = fit(&columns, &values, &params);
            let b = fit(&columns, &values, &params);
            prop_assert_eq!(&a, &b);
            prop_assert!(a.predict(&columns, None).iter().all(|p| p.is_finite()));
            let constant = vec![3.5; n];
            let flat = fit(&columns, &constant, &params);
            prop_assert!(flat.predict(&columns, None).iter().all(|p| (p - 3.5).abs() < 1e-9));
        }
    }
}
