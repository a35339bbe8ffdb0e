//! Coherent forecasts for a hierarchy of series (SKU × store → category × store → store → region →
//! total): forecasts made independently at every node rarely add up, so they are revised until every
//! aggregate equals the sum of the bottom series under it.
//!
//! Methods ([`Method`]): bottom-up; top-down by Gross and Sohl's average historical proportions; and
//! the projections of Wickramasuriya, Athanasopoulos and Hyndman (2019),
//! `ỹ = ŷ − W·U·(U′·W·U)⁻¹·U′·ŷ` with `U′ = [I, −C]` (aggregates = `C` · bottoms), for `W = I` (OLS),
//! `W` = the number of bottom series under each node (WLS, structural scaling), `W` = each node's
//! residual variance (WLS, variance scaling) and `W` = the residual covariance shrunk towards its
//! diagonal as Schäfer and Strimmer propose (MinT-shrink, as R's `hts` and `fable` estimate it). Only
//! an aggregates × aggregates system is solved and the nodes × nodes `W` is never formed: every `W`
//! here is a diagonal plus a multiple of the residuals' cross product, so `W·U` costs
//! nodes × aggregates × residuals.
//!
//! Variances: with residuals, the base forecast errors' covariance is taken to be the shrunk one
//! (`Ŵ`), and each method's reconciled forecasts `M·ŷ` get the diagonal of `M·Ŵ·M′`, the variance
//! of their errors (the usual assumption that the `h`-step covariance is `k_h·Ŵ` scales it to other
//! steps). Reconciling interval bounds would not give intervals of the reconciled forecasts.

use std::collections::HashMap;
use std::ops::{Index, IndexMut};

use rayon::prelude::*;

/// Why forecasts could not be reconciled.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReconcileError {
    #[error("a hierarchy needs at least one bottom series, and each a path of at least its own key")]
    Empty,
    #[error("bottom series {bottom} has {got} keys in its path, the first has {expected}")]
    PathLength { bottom: usize, expected: usize, got: usize },
    #[error("{what}: {got} rows, expected {expected}")]
    RowCount { what: &'static str, expected: usize, got: usize },
    #[error("{what}: row {row} holds {got} values, row 0 holds {expected}")]
    Length { what: &'static str, row: usize, expected: usize, got: usize },
    #[error("{what}: row {row} holds a value that is not a finite number")]
    NotFinite { what: &'static str, row: usize },
    #[error("{0} needs residuals")]
    NoResiduals(&'static str),
}

/// The aggregation structure: every aggregate node is the sum of a set of bottom series. Nodes are
/// numbered aggregates first — the total (node 0), then each level's nodes in order of first
/// appearance — then the bottom series in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    keys: Vec<String>,
    levels: Vec<usize>,
    /// Per aggregate, the bottom series under it (positions among the bottom series): a row of `C`.
    members: Vec<Vec<usize>>,
    /// Per bottom series, the aggregates above it: the non-zero rows of its column of `C`.
    parents: Vec<Vec<usize>>,
}

impl Hierarchy {
    /// The hierarchy whose bottom series `j` has the keys `paths[j]`, from the level below the total
    /// down to its own (e.g. `[region, store, category × store, SKU × store]`); every path has the
    /// same length. Nodes of one level with the same key are one node; keys need not nest, so grouped
    /// structures (e.g. store and, separately, category) work too. The total is added as node 0.
    pub fn from_paths<K: AsRef<str>>(paths: &[Vec<K>]) -> Result<Self, ReconcileError> {
        let depth = paths.first().map_or(0, Vec::len);
        if depth == 0 {
            return Err(ReconcileError::Empty);
        }
        if let Some((bottom, path)) = paths.iter().enumerate().find(|(_, p)| p.len() != depth) {
            return Err(ReconcileError::PathLength { bottom, expected: depth, got: path.len() });
        }
        let mut hierarchy = Hierarchy {
            keys: vec!["total".to_string()],
            levels: vec![0],
            members: vec![(0..paths.len()).collect()],
            parents: vec![vec![0]; paths.len()],
        };
        for level in 1..depth {
            let mut nodes: HashMap<&str, usize> = HashMap::new();
            for (bottom, path) in paths.iter().enumerate() {
                let key = path[level - 1].as_ref();
                let node = *nodes.entry(key).or_insert_with(|| {
                    hierarchy.keys.push(key.to_string());
                    hierarchy.levels.push(level);
                    hierarchy.members.push(Vec::new());
                    hierarchy.members.len() - 1
                });
                hierarchy.members[node].push(bottom);
                hierarchy.parents[bottom].push(node);
            }
        }
        hierarchy.keys.extend(paths.iter().map(|p| p[depth - 1].as_ref().to_string()));
        hierarchy.levels.extend(std::iter::repeat_n(depth, paths.len()));
        Ok(hierarchy)
    }

    pub fn n_nodes(&self) -> usize {
        self.keys.len()
    }

    pub fn n_aggregates(&self) -> usize {
        self.members.len()
    }

    pub fn n_bottom(&self) -> usize {
        self.parents.len()
    }

    pub fn key(&self, node: usize) -> &str {
        &self.keys[node]
    }

    /// 0 for the total, the path's length for the bottom series.
    pub fn level(&self, node: usize) -> usize {
        self.levels[node]
    }

    /// The bottom series (positions among them) under an aggregate node.
    pub fn members(&self, aggregate: usize) -> &[usize] {
        &self.members[aggregate]
    }

    /// Every node's value from the bottom series' values (`S · bottoms`). Panics unless there is one
    /// value per bottom series.
    pub fn sum_bottoms(&self, bottoms: &[f64]) -> Vec<f64> {
        assert_eq!(bottoms.len(), self.n_bottom(), "one value per bottom series");
        let mut nodes: Vec<f64> = self.members.iter().map(|m| m.iter().map(|&j| bottoms[j]).sum()).collect();
        nodes.extend_from_slice(bottoms);
        nodes
    }

    /// Gross and Sohl's average historical proportions: each bottom series' share of the total, week
    /// by week, averaged over the weeks whose total is positive (equal shares without one).
    /// `bottom_history[j]`: bottom series `j`'s history, all the same length.
    pub fn top_down_proportions(&self, bottom_history: &[Vec<f64>]) -> Result<Vec<f64>, ReconcileError> {
        let length = check_rows("bottom history", bottom_history, self.n_bottom())?;
        let mut proportions = vec![0.0; self.n_bottom()];
        let mut weeks = 0;
        for t in 0..length {
            let total: f64 = bottom_history.iter().map(|y| y[t]).sum();
            if total > 0.0 {
                for (p, y) in proportions.iter_mut().zip(bottom_history) {
                    *p += y[t] / total;
                }
                weeks += 1;
            }
        }
        if weeks == 0 {
            return Ok(vec![1.0 / self.n_bottom() as f64; self.n_bottom()]);
        }
        Ok(proportions.into_iter().map(|p| p / weeks as f64).collect())
    }

    /// `U′·y`: how far each aggregate's value is from the sum of its bottom series'.
    fn incoherence(&self, y: &[f64]) -> Vec<f64> {
        let aggregates = self.n_aggregates();
        self.members.iter().enumerate().map(|(a, m)| y[a] - m.iter().map(|&j| y[aggregates + j]).sum::<f64>()).collect()
    }

    /// `U′·x` for a nodes × k matrix `x`.
    fn u_transpose_times(&self, x: &Dense) -> Dense {
        let aggregates = self.n_aggregates();
        let mut out = Dense::zeros(aggregates, x.cols);
        for (a, members) in self.members.iter().enumerate() {
            let row = &mut out.data[a * x.cols..(a + 1) * x.cols];
            row.copy_from_slice(x.row(a));
            for &j in members {
                for (o, v) in row.iter_mut().zip(x.row(aggregates + j)) {
                    *o -= v;
                }
            }
        }
        out
    }
}

/// How base forecasts are made coherent.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// The bottom series' forecasts, summed.
    BottomUp,
    /// The total's forecast shared by fixed proportions, one per bottom series (e.g.
    /// [`Hierarchy::top_down_proportions`]).
    TopDown(Vec<f64>),
    /// `W = I`: the least change to the base forecasts.
    Ols,
    /// `W` = the number of bottom series under each node.
    WlsStructural,
    /// `W` = each node's residual mean square.
    WlsVariance,
    /// `W` = the residual covariance shrunk towards its diagonal (Schäfer–Strimmer).
    MinTShrink,
}

impl Method {
    pub fn name(&self) -> &'static str {
        match self {
            Method::BottomUp => "bottom_up",
            Method::TopDown(_) => "top_down",
            Method::Ols => "ols",
            Method::WlsStructural => "wls_structural",
            Method::WlsVariance => "wls_variance",
            Method::MinTShrink => "mint_shrink",
        }
    }
}

/// Coherent forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    /// Per node (in [`Hierarchy`] order), per step ahead: every aggregate is the sum of its bottom
    /// series.
    pub means: Vec<Vec<f64>>,
    /// Per node, the variance of the reconciled forecasts' errors, taking the base errors'
    /// covariance to be the shrunk residual covariance (with residuals only).
    pub variances: Option<Vec<f64>>,
    /// The shrinkage intensity λ of the residual covariance towards its diagonal (with residuals
    /// only).
    pub shrinkage: Option<f64>,
    /// What had to be added to the unit diagonal of the (equilibrated) aggregates' system to factor
    /// it: 0 unless `W` was singular (e.g. series without error); infinite where no jitter helped
    /// and its diagonal alone was kept.
    pub jitter: f64,
}

/// Reconciles `base_means[node][step]` (every node in [`Hierarchy`] order, the same number of steps
/// each) by `method`. `residuals[node][t]`: the base model's errors over the same past periods at
/// every node (in-sample or past out-of-sample errors), for [`Method::WlsVariance`],
/// [`Method::MinTShrink`] and the variances; empty for none. The reconciled bottom series are summed
/// into every aggregate, so the result is coherent even where the system needed jitter.
///
/// Cost, with `n` nodes, `m` aggregates, `T` residuals and `H` steps: `n·m·T` for `W·U`, `m³/3` for
/// the factor, `(n + m²)·H` for the means; the variances add `n·m²/2` for MinT, `2·n·m²` for OLS and
/// WLS (20,000 bottom series under 511 aggregates: about 1.5 s and 5 s on two cores), so pass no
/// residuals to those when only means are wanted.
pub fn reconcile(
    hierarchy: &Hierarchy,
    method: &Method,
    base_means: &[Vec<f64>],
    residuals: &[Vec<f64>],
) -> Result<Reconciled, ReconcileError> {
    let nodes = hierarchy.n_nodes();
    let horizon = check_rows("base forecasts", base_means, nodes)?;
    let covariance = match residuals {
        [] => None,
        _ => (check_rows("residuals", residuals, nodes)? > 0).then(|| ResidualCovariance::estimate(residuals)),
    };
    let needs_residuals = || ReconcileError::NoResiduals(method.name());
    let projection = |weights: Weights<'_>| Map::Projection(Projection::new(hierarchy, &weights, false));
    let map = match method {
        Method::BottomUp => Map::BottomUp,
        Method::TopDown(proportions) => {
            let what = "top-down proportions";
            if proportions.len() != hierarchy.n_bottom() {
                return Err(ReconcileError::Length {
                    what,
                    row: 0,
                    expected: hierarchy.n_bottom(),
                    got: proportions.len(),
                });
            }
            if proportions.iter().any(|p| !p.is_finite()) {
                return Err(ReconcileError::NotFinite { what, row: 0 });
            }
            Map::TopDown(proportions)
        }
        Method::Ols => projection(Weights::diagonal(vec![1.0; nodes])),
        Method::WlsStructural => {
            let mut under: Vec<f64> = hierarchy.members.iter().map(|m| m.len() as f64).collect();
            under.resize(nodes, 1.0);
            projection(Weights::diagonal(under))
        }
        Method::WlsVariance => {
            projection(Weights::diagonal(covariance.as_ref().ok_or_else(needs_residuals)?.variances.clone()))
        }
        Method::MinTShrink => {
            let covariance = covariance.as_ref().ok_or_else(needs_residuals)?;
            Map::Projection(Projection::new(hierarchy, &covariance.shrunk(), true))
        }
    };
    let mut means = vec![Vec::with_capacity(horizon); nodes];
    for step in 0..horizon {
        let column: Vec<f64> = base_means.iter().map(|row| row[step]).collect();
        for (row, value) in means.iter_mut().zip(hierarchy.sum_bottoms(&map.bottoms(hierarchy, &column))) {
            row.push(value);
        }
    }
    Ok(Reconciled {
        means,
        variances: covariance.as_ref().map(|c| map.variances(hierarchy, &c.shrunk())),
        shrinkage: covariance.as_ref().map(|c| c.shrinkage),
        jitter: match &map {
            Map::Projection(p) => p.factor.jitter,
            _ => 0.0,
        },
    })
}

/// The common length of `rows` after checking there are `expected` of them, all finite.
fn check_rows(what: &'static str, rows: &[Vec<f64>], expected: usize) -> Result<usize, ReconcileError> {
    if rows.len() != expected {
        return Err(ReconcileError::RowCount { what, expected, got: rows.len() });
    }
    let length = rows.first().map_or(0, Vec::len);
    for (row, values) in rows.iter().enumerate() {
        if values.len() != length {
            return Err(ReconcileError::Length { what, row, expected: length, got: values.len() });
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(ReconcileError::NotFinite { what, row });
        }
    }
    Ok(length)
}

/// A method as a linear map from base forecasts (one value per node) to the bottom series'.
enum Map<'a> {
    BottomUp,
    TopDown(&'a [f64]),
    Projection(Projection),
}

impl Map<'_> {
    fn bottoms(&self, hierarchy: &Hierarchy, y: &[f64]) -> Vec<f64> {
        match self {
            Map::BottomUp => y[hierarchy.n_aggregates()..].to_vec(),
            Map::TopDown(proportions) => proportions.iter().map(|p| p * y[0]).collect(),
            Map::Projection(projection) => projection.bottoms(hierarchy, y),
        }
    }

    /// The diagonal of `M·Ŵ·M′`, `M` this map followed by the sums into every node.
    fn variances(&self, hierarchy: &Hierarchy, covariance: &Weights<'_>) -> Vec<f64> {
        let aggregates = hierarchy.n_aggregates();
        match self {
            Map::BottomUp => (0..hierarchy.n_nodes())
                .map(|i| match hierarchy.members.get(i) {
                    Some(members) => covariance.sum_over(&members.iter().map(|j| aggregates + j).collect::<Vec<_>>()),
                    None => covariance.entry(i),
                })
                .collect(),
            Map::TopDown(proportions) => {
                hierarchy.sum_bottoms(proportions).iter().map(|share| share * share * covariance.entry(0)).collect()
            }
            Map::Projection(projection) => projection.variances(hierarchy, covariance),
        }
    }
}

/// `y ↦ y − W·U·(U′·W·U)⁻¹·U′·y`, kept as `W·U` and the factor of `U′·W·U`.
struct Projection {
    weights_u: Dense,
    factor: Cholesky,
    /// `W` is the base errors' covariance itself (MinT): the variances cost a quarter as much.
    weights_are_covariance: bool,
}

impl Projection {
    fn new(hierarchy: &Hierarchy, weights: &Weights<'_>, weights_are_covariance: bool) -> Self {
        let weights_u = weights.times_u(hierarchy);
        let factor = Cholesky::factor(&hierarchy.u_transpose_times(&weights_u));
        Projection { weights_u, factor, weights_are_covariance }
    }

    fn bottoms(&self, hierarchy: &Hierarchy, y: &[f64]) -> Vec<f64> {
        let x = self.factor.solve(&hierarchy.incoherence(y));
        let aggregates = hierarchy.n_aggregates();
        (0..hierarchy.n_bottom()).map(|j| y[aggregates + j] - dot(self.weights_u.row(aggregates + j), &x)).collect()
    }

    /// With `M = I − W·U·A⁻¹·U′` (`A = U′·W·U = F·F′`, `F` the factor with its scaling), `Q = Ŵ·U`
    /// and `B = U′·Q`: `(M·Ŵ·M′)ᵢᵢ = Ŵᵢᵢ − 2·yᵢ·pᵢ + yᵢ′·(F⁻¹·B·F⁻ᵀ)·yᵢ` with `yᵢ = F⁻¹·(W·U)ᵢ′`
    /// and `pᵢ = F⁻¹·qᵢ′`. For MinT (`Ŵ = W`) `p = y` and the middle matrix is `I`: `Ŵᵢᵢ − |yᵢ|²`.
    /// Forward substitutions only: nodes × aggregates² / 2 each.
    fn variances(&self, hierarchy: &Hierarchy, covariance: &Weights<'_>) -> Vec<f64> {
        let nodes = 0..hierarchy.n_nodes();
        if self.weights_are_covariance {
            return nodes
                .into_par_iter()
                .map(|i| {
                    let y = self.factor.forward(self.weights_u.row(i));
                    (covariance.entry(i) - dot(&y, &y)).max(0.0)
                })
                .collect();
        }
        let q = covariance.times_u(hierarchy);
        let b = hierarchy.u_transpose_times(&q);
        // F⁻¹·B by columns (B is symmetric), then F⁻¹·(F⁻¹·B)′ by columns: F⁻¹·B·F⁻ᵀ.
        let half: Vec<Vec<f64>> = (0..b.cols).map(|j| self.factor.forward(b.row(j))).collect();
        let middle: Vec<Vec<f64>> =
            (0..b.cols).map(|j| self.factor.forward(&half.iter().map(|c| c[j]).collect::<Vec<_>>())).collect();
        nodes
            .into_par_iter()
            .map(|i| {
                let y = self.factor.forward(self.weights_u.row(i));
                let p = self.factor.forward(q.row(i));
                let quadratic: f64 = middle.iter().zip(&y).map(|(column, yj)| yj * dot(column, &y)).sum();
                (covariance.entry(i) - 2.0 * dot(&y, &p) + quadratic).max(0.0)
            })
            .collect()
    }
}

/// A nodes × nodes positive semi-definite matrix kept as `diag(diagonal) + scale · R′·R`, `R` the
/// residuals (time × node; `residuals[node][t]`), never formed.
struct Weights<'a> {
    diagonal: Vec<f64>,
    scale: f64,
    residuals: &'a [Vec<f64>],
}

impl Weights<'_> {
    fn diagonal(diagonal: Vec<f64>) -> Weights<'static> {
        Weights { diagonal, scale: 0.0, residuals: &[] }
    }

    fn entry(&self, i: usize) -> f64 {
        self.diagonal[i] + self.residuals.get(i).map_or(0.0, |r| self.scale * dot(r, r))
    }

    /// The sum of the block over `nodes`: `1′·W[nodes, nodes]·1`.
    fn sum_over(&self, nodes: &[usize]) -> f64 {
        let diagonal: f64 = nodes.iter().map(|&i| self.diagonal[i]).sum();
        let periods = self.residuals.first().map_or(0, Vec::len);
        let cross: f64 = (0..periods).map(|t| nodes.iter().map(|&i| self.residuals[i][t]).sum::<f64>().powi(2)).sum();
        diagonal + self.scale * cross
    }

    /// `W·U` (nodes × aggregates): the diagonal's part is as sparse as `U`; the cross product's is
    /// `R′·(R·U)`.
    fn times_u(&self, hierarchy: &Hierarchy) -> Dense {
        let aggregates = hierarchy.n_aggregates();
        let mut out = Dense::zeros(hierarchy.n_nodes(), aggregates);
        for a in 0..aggregates {
            out[(a, a)] = self.diagonal[a];
        }
        for (j, parents) in hierarchy.parents.iter().enumerate() {
            for &a in parents {
                out[(aggregates + j, a)] = -self.diagonal[aggregates + j];
            }
        }
        if self.scale != 0.0 && !self.residuals.is_empty() {
            // R·U, one column per aggregate.
            let residuals_u: Vec<Vec<f64>> = hierarchy
                .members
                .iter()
                .enumerate()
                .map(|(a, members)| {
                    let mut column = self.residuals[a].clone();
                    for &j in members {
                        for (c, r) in column.iter_mut().zip(&self.residuals[aggregates + j]) {
                            *c -= r;
                        }
                    }
                    column
                })
                .collect();
            out.data.par_chunks_mut(aggregates).zip(self.residuals.par_iter()).for_each(|(row, r)| {
                for (o, column) in row.iter_mut().zip(&residuals_u) {
                    *o += self.scale * dot(r, column);
                }
            });
        }
        out
    }
}

/// The residuals' covariance: mean squares and cross products about zero (forecast errors are
/// meant to be unbiased), as `hts` and `fable` take them.
struct ResidualCovariance<'a> {
    residuals: &'a [Vec<f64>],
    /// Each node's mean square, floored at a millionth of the least positive one (1 when all are 0)
    /// so that a series forecast without error keeps a positive weight.
    variances: Vec<f64>,
    shrinkage: f64,
}

impl<'a> ResidualCovariance<'a> {
    /// From at least one residual per node.
    fn estimate(residuals: &'a [Vec<f64>]) -> Self {
        let periods = residuals[0].len() as f64;
        let raw: Vec<f64> = residuals.iter().map(|r| dot(r, r) / periods).collect();
        let least = raw.iter().copied().filter(|&v| v > 0.0).fold(f64::INFINITY, f64::min);
        let floor = if least.is_finite() { least * 1e-6 } else { 1.0 };
        ResidualCovariance {
            residuals,
            variances: raw.iter().map(|v| v.max(floor)).collect(),
            shrinkage: shrinkage_intensity(residuals, &raw),
        }
    }

    /// `λ·D + (1 − λ)·R′·R / T`.
    fn shrunk(&self) -> Weights<'a> {
        Weights {
            diagonal: self.variances.iter().map(|v| self.shrinkage * v).collect(),
            scale: (1.0 - self.shrinkage) / self.residuals[0].len() as f64,
            residuals: self.residuals,
        }
    }
}

/// Schäfer and Strimmer's intensity for shrinking a covariance towards its diagonal, as `hts`
/// computes it: with the residuals standardised by their root mean squares (`x`, `T` periods), the
/// estimated variances of the off-diagonal correlations, `Σᵢ≠ⱼ (Σₜ x²ₜᵢx²ₜⱼ − (Σₜ xₜᵢxₜⱼ)²/T) /
/// (T(T − 1))`, over the squared correlations `Σᵢ≠ⱼ (Σₜ xₜᵢxₜⱼ / T)²`, clamped to [0, 1]. Both sums run
/// over the T × T products between periods rather than the nodes × nodes ones, so they cost
/// nodes × T². Series without error take no part; 1 (the diagonal) when nothing is correlated or
/// with fewer than two periods.
fn shrinkage_intensity(residuals: &[Vec<f64>], mean_squares: &[f64]) -> f64 {
    let periods = residuals[0].len();
    if periods < 2 {
        return 1.0;
    }
    let standardised: Vec<Vec<f64>> = residuals
        .iter()
        .zip(mean_squares)
        .filter(|(_, ms)| **ms > 0.0)
        .map(|(r, ms)| r.iter().map(|e| e / ms.sqrt()).collect())
        .collect();
    // gram[s][u] = Σᵢ xₛᵢ·xᵤᵢ, so Σᵢⱼ (Σₜ xₜᵢxₜⱼ)² = Σₛᵤ gram², Σᵢⱼ Σₜ x²ₜᵢx²ₜⱼ = Σₜ gramₜₜ².
    let mut gram = vec![0.0; periods * periods];
    for x in &standardised {
        for (s, &xs) in x.iter().enumerate() {
            for (g, &xu) in gram[s * periods..(s + 1) * periods].iter_mut().zip(x) {
                *g += xs * xu;
            }
        }
    }
    let all_products: f64 = gram.iter().map(|g| g * g).sum();
    let all_fourth: f64 = (0..periods).map(|t| gram[t * periods + t].powi(2)).sum();
    let own_products: f64 = standardised.iter().map(|x| dot(x, x).powi(2)).sum();
    let own_fourth: f64 = standardised.iter().flatten().map(|e| e.powi(4)).sum();
    let t = periods as f64;
    let cross_products = all_products - own_products;
    let correlation_variances = (all_fourth - own_fourth - cross_products / t) / (t * (t - 1.0));
    let squared_correlations = cross_products / (t * t);
    let lambda = correlation_variances / squared_correlations;
    if squared_correlations > 0.0 && lambda.is_finite() { lambda.clamp(0.0, 1.0) } else { 1.0 }
}

/// `Σ aᵢ·bᵢ` over the shorter length, in eight running sums: a single sum must add in order, one
/// product at a time, and the solves spend their time here.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (a[..n].chunks_exact(8), b[..n].chunks_exact(8));
    let tail: f64 = a.remainder().iter().zip(b.remainder()).map(|(x, y)| x * y).sum();
    let mut sums = [0.0; 8];
    for (x, y) in a.zip(b) {
        for k in 0..8 {
            sums[k] += x[k] * y[k];
        }
    }
    sums.iter().sum::<f64>() + tail
}

/// A row-major dense matrix.
struct Dense {
    cols: usize,
    data: Vec<f64>,
}

impl Dense {
    fn zeros(rows: usize, cols: usize) -> Self {
        Dense { cols, data: vec![0.0; rows * cols] }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

impl Index<(usize, usize)> for Dense {
    type Output = f64;

    fn index(&self, (i, j): (usize, usize)) -> &f64 {
        &self.data[i * self.cols + j]
    }
}

impl IndexMut<(usize, usize)> for Dense {
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut f64 {
        &mut self.data[i * self.cols + j]
    }
}

/// The Cholesky factor of a symmetric positive semi-definite matrix scaled to a unit diagonal, so
/// that nodes selling millions and nodes selling units weigh alike in its pivots. When the matrix is
/// singular to working precision the least jitter from 10⁻¹² up (× 100 each time) that lets it
/// factor is added to that diagonal; past any possible need (the scaled matrix's eigenvalues are at
/// most its size), the diagonal alone is kept.
struct Cholesky {
    lower: Dense,
    scale: Vec<f64>,
    jitter: f64,
}

impl Cholesky {
    /// Pivots below this (on the unit diagonal) count as singular.
    const LEAST_PIVOT: f64 = 1e-10;

    fn factor(a: &Dense) -> Self {
        let n = a.cols;
        let scale: Vec<f64> = (0..n).map(|i| if a[(i, i)] > 0.0 { 1.0 / a[(i, i)].sqrt() } else { 1.0 }).collect();
        let mut jitter = 0.0;
        while jitter <= 1e3 * (n as f64 + 1.0) {
            if let Some(lower) = Self::try_factor(a, &scale, jitter) {
                return Cholesky { lower, scale, jitter };
            }
            jitter = if jitter == 0.0 { 1e-12 } else { jitter * 100.0 };
        }
        let mut identity = Dense::zeros(n, n);
        (0..n).for_each(|i| identity[(i, i)] = 1.0);
        Cholesky { lower: identity, scale, jitter: f64::INFINITY }
    }

    fn try_factor(a: &Dense, scale: &[f64], jitter: f64) -> Option<Dense> {
        let n = a.cols;
        let mut lower = Dense::zeros(n, n);
        for i in 0..n {
            for j in 0..=i {
                let mut s = a[(i, j)] * scale[i] * scale[j] - dot(&lower.row(i)[..j], &lower.row(j)[..j]);
                if i == j {
                    s += jitter;
                    if s.is_nan() || s <= Self::LEAST_PIVOT {
                        return None;
                    }
                    lower[(i, i)] = s.sqrt();
                } else {
                    lower[(i, j)] = s / lower[(j, j)];
                }
            }
        }
        Some(lower)
    }

    /// `L⁻¹·S·b` (`S` the scaling): half of a solve, and `b′·A⁻¹·b` is its squared length.
    fn forward(&self, b: &[f64]) -> Vec<f64> {
        let mut x: Vec<f64> = b.iter().zip(&self.scale).map(|(b, s)| b * s).collect();
        for i in 0..x.len() {
            x[i] = (x[i] - dot(&self.lower.row(i)[..i], &x[..i])) / self.lower[(i, i)];
        }
        x
    }

    /// `A⁻¹·b`. The back substitution sweeps `L`'s rows, not its columns, to read memory in order.
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut x = self.forward(b);
        for i in (0..x.len()).rev() {
            x[i] /= self.lower[(i, i)];
            let (earlier, rest) = x.split_at_mut(i);
            for (e, l) in earlier.iter_mut().zip(self.lower.row(i)) {
                *e -= l * rest[0];
            }
        }
        x.iter_mut().zip(&self.scale).for_each(|(x, s)| *x *= s);
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Two regions, three stores, five products: region a holds stores 1 and 2, region b store 3.
    fn stores() -> Hierarchy {
        let paths = [["a", "1", "1x"], ["a", "1", "1y"], ["a", "2", "2x"], ["b", "3", "3x"], ["b", "3", "3y"]];
        Hierarchy::from_paths(&paths.map(|p| p.to_vec())).unwrap()
    }

    /// A small deterministic generator: uniform in [−1, 1).
    fn noise(seed: &mut u64) -> f64 {
        *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// Correlated residuals: each bottom series' own noise plus its store's, summed into every node.
    fn residuals(hierarchy: &Hierarchy, periods: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut seed = seed;
        let bottom: Vec<Vec<f64>> = (0..hierarchy.n_bottom())
            .map(|j| {
                (0..periods).map(|t| (j + 1) as f64 * noise(&mut seed) + 3.0 * ((t * 7 + j / 2) % 5) as f64).collect()
            })
            .collect();
        (0..periods).map(|t| hierarchy.sum_bottoms(&bottom.iter().map(|b| b[t]).collect::<Vec<_>>())).fold(
            vec![Vec::new(); hierarchy.n_nodes()],
            |mut rows, column| {
                rows.iter_mut().zip(column).for_each(|(r, v)| r.push(v + noise(&mut seed)));
                rows
            },
        )
    }

    fn assert_coherent(hierarchy: &Hierarchy, means: &[Vec<f64>]) {
        for step in 0..means[0].len() {
            let column: Vec<f64> = means.iter().map(|m| m[step]).collect();
            let summed = hierarchy.sum_bottoms(&column[hierarchy.n_aggregates()..]);
            for (node, (a, b)) in column.iter().zip(&summed).enumerate() {
                assert!((a - b).abs() <= 1e-9 * (1.0 + b.abs()), "node {node} step {step}: {a} against {b}");
            }
        }
    }

    fn close(a: &[f64], b: &[f64], tolerance: f64) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance * (1.0 + y.abs()))
    }

    #[test]
    fn paths_give_aggregates_first_then_bottoms() {
        let h = stores();
        let keys: Vec<&str> = (0..h.n_nodes()).map(|i| h.key(i)).collect();
        assert_eq!(keys, ["total", "a", "b", "1", "2", "3", "1x", "1y", "2x", "3x", "3y"]);
        let levels: Vec<usize> = (0..h.n_nodes()).map(|i| h.level(i)).collect();
        assert_eq!(levels, [0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]);
        assert_eq!((h.n_aggregates(), h.n_bottom()), (6, 5));
        assert_eq!(h.members(1), [0, 1, 2]);
        assert_eq!(h.members(5), [3, 4]);
        assert_eq!(h.sum_bottoms(&[1.0, 2.0, 3.0, 4.0, 5.0]), [15.0, 6.0, 9.0, 3.0, 3.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(Hierarchy::from_paths::<&str>(&[]), Err(ReconcileError::Empty));
        assert_eq!(Hierarchy::from_paths::<&str>(&[vec![]]), Err(ReconcileError::Empty));
        assert_eq!(
            Hierarchy::from_paths(&[vec!["a", "x"], vec!["y"]]),
            Err(ReconcileError::PathLength { bottom: 1, expected: 2, got: 1 })
        );
    }

    #[test]
    fn a_total_of_two_by_hand() {
        // Total 10 forecast over parts 3 and 5: 2 too much.
        let h = Hierarchy::from_paths(&[vec!["a"], vec!["b"]]).unwrap();
        let base = [vec![10.0], vec![3.0], vec![5.0]];
        let run = |method: Method| reconcile(&h, &method, &base, &[]).unwrap().means.concat();
        assert_eq!(run(Method::BottomUp), [8.0, 3.0, 5.0]);
        assert_eq!(run(Method::TopDown(vec![0.25, 0.75])), [10.0, 2.5, 7.5]);
        // OLS: U′ŷ = 2, U′U = 3, so each node moves by 2/3 towards coherence.
        assert!(close(&run(Method::Ols), &[10.0 - 2.0 / 3.0, 3.0 + 2.0 / 3.0, 5.0 + 2.0 / 3.0], 1e-12));
        // Structural weights 2, 1, 1: U′WU = 4, the total moves by 2·½, each part by ½.
        assert!(close(&run(Method::WlsStructural), &[9.0, 3.5, 5.5], 1e-12));
        // Residual mean squares 4, 1, 1 (uncorrelated): U′WU = 6, the total moves by 4/3, the parts by 1/3.
        let residuals = [vec![4.0, 0.0, 0.0, 0.0], vec![0.0, 0.0, 2.0, 0.0], vec![0.0, 0.0, 0.0, 2.0]];
        let r = reconcile(&h, &Method::WlsVariance, &base, &residuals).unwrap();
        assert!(close(&r.means.concat(), &[10.0 - 4.0 / 3.0, 3.0 + 1.0 / 3.0, 5.0 + 1.0 / 3.0], 1e-12));
        // Variances: W − W·U·U′·W / 6 on the diagonal: 4 − 16/6, 1 − 1/6, 1 − 1/6.
        assert!(close(r.variances.as_ref().unwrap(), &[4.0 / 3.0, 5.0 / 6.0, 5.0 / 6.0], 1e-12));
    }

    #[test]
    fn every_method_is_coherent_and_bottom_up_keeps_the_bottoms() {
        let h = stores();
        let mut seed = 7;
        let base: Vec<Vec<f64>> =
            (0..h.n_nodes()).map(|_| (0..4).map(|_| 50.0 + 40.0 * noise(&mut seed)).collect()).collect();
        let residuals = residuals(&h, 12, 3);
        let history: Vec<Vec<f64>> = (0..h.n_bottom()).map(|j| vec![1.0 + j as f64; 6]).collect();
        let proportions = h.top_down_proportions(&history).unwrap();
        for method in [
            Method::BottomUp,
            Method::TopDown(proportions),
            Method::Ols,
            Method::WlsStructural,
            Method::WlsVariance,
            Method::MinTShrink,
        ] {
            let r = reconcile(&h, &method, &base, &residuals).unwrap();
            assert_coherent(&h, &r.means);
            let variances = r.variances.unwrap();
            assert!(variances.iter().all(|v| v.is_finite() && *v >= 0.0), "{}: {variances:?}", method.name());
            assert_eq!(r.jitter, 0.0);
            if method == Method::BottomUp {
                assert_eq!(&r.means[h.n_aggregates()..], &base[h.n_aggregates()..]);
            }
        }
    }

    #[test]
    fn top_down_proportions_average_each_weeks_shares() {
        let h = Hierarchy::from_paths(&[vec!["a"], vec!["b"]]).unwrap();
        // Shares ¼, ¾ then ½, ½; the week selling nothing is left out.
        let p = h.top_down_proportions(&[vec![1.0, 2.0, 0.0], vec![3.0, 2.0, 0.0]]).unwrap();
        assert_eq!(p, [0.375, 0.625]);
        assert_eq!(h.top_down_proportions(&[vec![0.0], vec![0.0]]).unwrap(), [0.5, 0.5]);
    }

    /// Residuals whose covariance about zero is `diag(scales²)` exactly: node i errs by
    /// `scaleᵢ·√T` in period i only.
    fn uncorrelated(scales: &[f64]) -> Vec<Vec<f64>> {
        let t = scales.len();
        (0..t).map(|i| (0..t).map(|s| if s == i { scales[i] * (t as f64).sqrt() } else { 0.0 }).collect()).collect()
    }

    #[test]
    fn mint_with_an_identity_covariance_is_ols_and_with_a_diagonal_one_is_wls() {
        let h = stores();
        let mut seed = 11;
        let base: Vec<Vec<f64>> = (0..h.n_nodes()).map(|_| (0..3).map(|_| 20.0 * noise(&mut seed)).collect()).collect();
        let mint = |residuals: &[Vec<f64>]| reconcile(&h, &Method::MinTShrink, &base, residuals).unwrap();
        let ols = reconcile(&h, &Method::Ols, &base, &[]).unwrap();
        let identity = mint(&uncorrelated(&vec![1.0; h.n_nodes()]));
        assert!(close(&identity.means.concat(), &ols.means.concat(), 1e-12));
        let scales: Vec<f64> = (0..h.n_nodes()).map(|i| 1.0 + i as f64).collect();
        let diagonal = uncorrelated(&scales);
        let wls = reconcile(&h, &Method::WlsVariance, &base, &diagonal).unwrap();
        assert!(close(&mint(&diagonal).means.concat(), &wls.means.concat(), 1e-12));
        // Diagonal by structure: one weight per node, so it is WLS with structural weights too.
        let under: Vec<f64> =
            (0..h.n_nodes()).map(|i| h.members.get(i).map_or(1.0, |m| m.len() as f64).sqrt()).collect();
        let structural = reconcile(&h, &Method::WlsStructural, &base, &[]).unwrap();
        assert!(close(&mint(&uncorrelated(&under)).means.concat(), &structural.means.concat(), 1e-12));
    }

    /// Solves `a·x = b` by Gaussian elimination with partial pivoting (dense, for the references).
    fn solve_dense(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
        let n = b.len();
        for k in 0..n {
            let pivot = (k..n).max_by(|&i, &j| a[i][k].abs().total_cmp(&a[j][k].abs())).unwrap();
            a.swap(k, pivot);
            b.swap(k, pivot);
            let (above, below) = a.split_at_mut(k + 1);
            for (i, row) in below.iter_mut().enumerate() {
                let f = row[k] / above[k][k];
                row.iter_mut().zip(&above[k]).skip(k).for_each(|(r, p)| *r -= f * p);
                b[k + 1 + i] -= f * b[k];
            }
        }
        let mut x = vec![0.0; n];
        for i in (0..n).rev() {
            x[i] = (b[i] - (i + 1..n).map(|j| a[i][j] * x[j]).sum::<f64>()) / a[i][i];
        }
        x
    }

    /// `hts`'s shrunk covariance, entry by entry.
    fn shrunk_dense(residuals: &[Vec<f64>]) -> (Vec<Vec<f64>>, f64) {
        let (n, t) = (residuals.len(), residuals[0].len() as f64);
        let cov: Vec<Vec<f64>> =
            (0..n).map(|i| (0..n).map(|j| dot(&residuals[i], &residuals[j]) / t).collect()).collect();
        let x: Vec<Vec<f64>> = (0..n).map(|i| residuals[i].iter().map(|e| e / cov[i][i].sqrt()).collect()).collect();
        let (mut variances, mut squares) = (0.0, 0.0);
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                let fourth: f64 = x[i].iter().zip(&x[j]).map(|(a, b)| a * a * b * b).sum();
                let cross = dot(&x[i], &x[j]);
                variances += (fourth - cross * cross / t) / (t * (t - 1.0));
                squares += (cross / t).powi(2);
            }
        }
        let lambda = (variances / squares).clamp(0.0, 1.0);
        let w = (0..n)
            .map(|i| (0..n).map(|j| if i == j { cov[i][i] } else { (1.0 - lambda) * cov[i][j] }).collect())
            .collect();
        (w, lambda)
    }

    #[test]
    fn mint_matches_the_textbook_formula_with_a_dense_covariance() {
        // ỹ = S·(S′W⁻¹S)⁻¹·S′W⁻¹·ŷ and its error variances diag(S·(S′W⁻¹S)⁻¹·S′), with hts's W.
        let h = stores();
        let residuals = residuals(&h, 9, 5);
        let (w, lambda) = shrunk_dense(&residuals);
        let (n, aggregates) = (h.n_nodes(), h.n_aggregates());
        let s: Vec<Vec<f64>> = (0..h.n_bottom())
            .map(|j| h.sum_bottoms(&(0..h.n_bottom()).map(|k| f64::from(k == j)).collect::<Vec<_>>()))
            .collect();
        let w_inv_s: Vec<Vec<f64>> = s.iter().map(|column| solve_dense(w.clone(), column.clone())).collect();
        let information: Vec<Vec<f64>> = s.iter().map(|a| w_inv_s.iter().map(|b| dot(a, b)).collect()).collect();
        let mut seed = 1;
        let base: Vec<f64> = (0..n).map(|_| 100.0 * noise(&mut seed)).collect();
        let bottoms = solve_dense(information.clone(), w_inv_s.iter().map(|c| dot(c, &base)).collect());
        let expected = h.sum_bottoms(&bottoms);
        let r =
            reconcile(&h, &Method::MinTShrink, &base.iter().map(|&b| vec![b]).collect::<Vec<_>>(), &residuals).unwrap();
        assert!((r.shrinkage.unwrap() - lambda).abs() < 1e-12 && lambda > 0.0 && lambda < 1.0, "λ {lambda}");
        assert!(close(&r.means.concat(), &expected, 1e-9), "{:?} against {expected:?}", r.means);
        let variances: Vec<f64> = (0..n)
            .map(|i| {
                let row: Vec<f64> = s.iter().map(|column| column[i]).collect();
                dot(&row, &solve_dense(information.clone(), row.clone()))
            })
            .collect();
        assert!(close(r.variances.as_ref().unwrap(), &variances, 1e-9), "{:?} against {variances:?}", r.variances);
        // Bottom-up's variances are the sums of the bottom series' covariance blocks.
        let bottom_up = reconcile(&h, &Method::BottomUp, &vec![vec![0.0]; 11], &residuals).unwrap().variances.unwrap();
        for (a, members) in h.members.iter().enumerate() {
            let block: f64 = members
                .iter()
                .flat_map(|&j| members.iter().map(move |&k| (j, k)))
                .map(|(j, k)| w[aggregates + j][aggregates + k])
                .sum();
            assert!((bottom_up[a] - block).abs() < 1e-9 * block, "{a}");
        }
        // OLS's are diag(P·W·P′) with the projection P = S·(S′S)⁻¹·S′.
        let gram: Vec<Vec<f64>> = s.iter().map(|a| s.iter().map(|b| dot(a, b)).collect()).collect();
        let projection: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let weights = solve_dense(gram.clone(), s.iter().map(|column| column[i]).collect());
                (0..n).map(|k| s.iter().zip(&weights).map(|(column, g)| g * column[k]).sum()).collect()
            })
            .collect();
        let ols = reconcile(&h, &Method::Ols, &vec![vec![0.0]; 11], &residuals).unwrap().variances.unwrap();
        for (i, p) in projection.iter().enumerate() {
            let expected: f64 = (0..n).map(|k| p[k] * dot(&w[k], p)).sum();
            assert!((ols[i] - expected).abs() < 1e-9 * expected, "{i}: {} against {expected}", ols[i]);
        }
    }

    #[test]
    fn series_without_error_or_sales_need_no_more_than_jitter() {
        let h = stores();
        let zero_base = vec![vec![0.0; 2]; h.n_nodes()];
        // No error anywhere: every weight floored alike, so MinT is OLS.
        let r = reconcile(&h, &Method::MinTShrink, &zero_base, &vec![vec![0.0; 5]; h.n_nodes()]).unwrap();
        assert!(r.means.iter().flatten().all(|&v| v == 0.0));
        assert_eq!(r.shrinkage, Some(1.0));
        // One error, at one product, once: W is of rank one plus a tiny floor elsewhere.
        let mut residuals = vec![vec![0.0; 5]; h.n_nodes()];
        residuals[6][2] = 4.0;
        let mut seed = 2;
        let base: Vec<Vec<f64>> = (0..h.n_nodes()).map(|_| vec![10.0 * noise(&mut seed), 1e6]).collect();
        for method in [Method::MinTShrink, Method::WlsVariance] {
            let r = reconcile(&h, &method, &base, &residuals).unwrap();
            assert!(r.means.iter().flatten().chain(r.variances.as_ref().unwrap()).all(|v| v.is_finite()));
            assert_coherent(&h, &r.means);
        }
        // A single period of residuals: λ = 1, the diagonal.
        let single: Vec<Vec<f64>> = (0..h.n_nodes()).map(|i| vec![i as f64 - 3.0]).collect();
        assert_eq!(reconcile(&h, &Method::MinTShrink, &base, &single).unwrap().shrinkage, Some(1.0));
    }

    #[test]
    fn singular_systems_are_factored_with_jitter() {
        // [[1, 1], [1, 1]] is singular: jitter lets it factor, and the solve stays finite.
        let mut a = Dense::zeros(2, 2);
        a.data.copy_from_slice(&[1.0, 1.0, 1.0, 1.0]);
        let factor = Cholesky::factor(&a);
        assert!(factor.jitter > 0.0 && factor.jitter < 1.0, "{}", factor.jitter);
        assert!(factor.solve(&[1.0, 1.0]).iter().all(|x| x.is_finite()));
        let mut b = Dense::zeros(2, 2);
        b.data.copy_from_slice(&[4.0, 2.0, 2.0, 3.0]);
        let x = Cholesky::factor(&b).solve(&[2.0, 1.0]);
        assert!(close(&x, &[0.5, 0.0], 1e-12), "{x:?}");
    }

    #[test]
    fn bad_input_is_named() {
        let h = Hierarchy::from_paths(&[vec!["a"], vec!["b"]]).unwrap();
        let base = [vec![1.0, 2.0], vec![1.0, 2.0], vec![1.0, 2.0]];
        let run = |method: &Method, base: &[Vec<f64>], residuals: &[Vec<f64>]| reconcile(&h, method, base, residuals);
        assert_eq!(
            run(&Method::Ols, &base[..2], &[]),
            Err(ReconcileError::RowCount { what: "base forecasts", expected: 3, got: 2 })
        );
        let ragged = [vec![1.0, 2.0], vec![1.0], vec![1.0, 2.0]];
        assert_eq!(
            run(&Method::Ols, &ragged, &[]),
            Err(ReconcileError::Length { what: "base forecasts", row: 1, expected: 2, got: 1 })
        );
        assert_eq!(
            run(&Method::Ols, &base, &[vec![1.0], vec![f64::NAN], vec![1.0]]),
            Err(ReconcileError::NotFinite { what: "residuals", row: 1 })
        );
        assert_eq!(run(&Method::MinTShrink, &base, &[]), Err(ReconcileError::NoResiduals("mint_shrink")));
        assert_eq!(
            run(&Method::WlsVariance, &base, &[vec![], vec![], vec![]]),
            Err(ReconcileError::NoResiduals("wls_variance"))
        );
        assert_eq!(
            run(&Method::TopDown(vec![1.0]), &base, &[]),
            Err(ReconcileError::Length { what: "top-down proportions", row: 0, expected: 2, got: 1 })
        );
        assert!(h.top_down_proportions(&[vec![1.0]]).is_err());
    }

    /// Up to 40 products in up to 6 stores in up to 3 regions, with forecasts and residuals that may
    /// be zero or huge.
    fn hierarchies() -> impl Strategy<Value = (Hierarchy, Vec<Vec<f64>>, Vec<Vec<f64>>)> {
        (1usize..40, 1usize..7, 1usize..4, 0usize..6, any::<u64>()).prop_map(
            |(products, stores, regions, periods, seed)| {
                let paths: Vec<Vec<String>> = (0..products)
                    .map(|p| {
                        let store = p % stores;
                        vec![format!("r{}", store % regions), format!("s{store}"), format!("p{p}")]
                    })
                    .collect();
                let h = Hierarchy::from_paths(&paths).unwrap();
                let mut seed = seed;
                let mut value = |scale: f64| if noise(&mut seed) > 0.6 { 0.0 } else { scale * noise(&mut seed) };
                let base = (0..h.n_nodes()).map(|_| (0..3).map(|_| value(1e6)).collect()).collect();
                let residuals = (0..h.n_nodes()).map(|_| (0..periods).map(|_| value(1e4)).collect()).collect();
                (h, base, residuals)
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn reconciled_forecasts_are_finite_and_coherent((h, base, residuals) in hierarchies()) {
            let proportions = vec![1.0 / h.n_bottom() as f64; h.n_bottom()];
            let methods = [Method::BottomUp, Method::TopDown(proportions), Method::Ols, Method::WlsStructural, Method::WlsVariance, Method::MinTShrink];
            for method in &methods {
                match reconcile(&h, method, &base, &residuals) {
                    Ok(r) => {
                        prop_assert!(r.means.iter().flatten().chain(r.variances.iter().flatten()).all(|v| v.is_finite()));
                        assert_coherent(&h, &r.means);
                    }
                    Err(e) => prop_assert_eq!(e, ReconcileError::NoResiduals(method.name())),
                }
            }
        }
    }
}
