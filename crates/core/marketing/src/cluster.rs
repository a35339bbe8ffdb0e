//! Behaviour clusters: k-means over a few behaviour features of each customer, with profiles
//! that say what sets each cluster apart ("high spend, frequent, recent").
//!
//! Each [`Feature`] is read from [`CustomerFeatures`], heavy-tailed ones through `ln(1 + x)`
//! so that a few big spenders do not form clusters of their own, then standardised to z-scores
//! so that every feature weighs the same. Centres are seeded by k-means++, refined by Lloyd
//! iterations until the assignment settles, and the best of `n_init` restarts (least
//! within-cluster squared distance) is kept. On large populations the restarts run on a seeded
//! sample of `fit_sample` customers and the winner is then refined on everyone. Without a
//! given `k`, the `k` from 2 to 8 with the best mean silhouette on a sample is taken.
//! Everything is seeded: the same customers and configuration give the same clusters, whatever
//! the number of threads.

use std::collections::BTreeMap;

use rand::seq::index::sample;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::CustomerFeatures;

/// The features clusters are built on, in the order of [`FEATURES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    #[serde(rename = "spend_365d_minor")]
    Spend365dMinor,
    #[serde(rename = "orders_365d")]
    Orders365d,
    /// Customers who never ordered count as [`NEVER_ORDERED_DAYS`].
    DaysSinceLastOrder,
    AverageBasketMinor,
    OnlineShare,
    #[serde(rename = "visits_30d")]
    Visits30d,
    DiscountShare,
    /// Number of categories with a purchase on record.
    CategoriesBought,
}

/// Every feature, in the order of the clustering's columns.
pub const FEATURES: [Feature; 8] = [
    Feature::Spend365dMinor,
    Feature::Orders365d,
    Feature::DaysSinceLastOrder,
    Feature::AverageBasketMinor,
    Feature::OnlineShare,
    Feature::Visits30d,
    Feature::DiscountShare,
    Feature::CategoriesBought,
];

/// Days since the last order of a customer who never ordered: two years, older than any
/// customer counted in the 365-day figures.
pub const NEVER_ORDERED_DAYS: f64 = 730.0;

impl Feature {
    /// The customer's value in its own units.
    pub fn value(self, customer: &CustomerFeatures) -> f64 {
        match self {
            Feature::Spend365dMinor => customer.spend_365d_minor as f64,
            Feature::Orders365d => f64::from(customer.orders_365d),
            Feature::DaysSinceLastOrder => customer.days_since_last_order.map_or(NEVER_ORDERED_DAYS, f64::from),
            Feature::AverageBasketMinor => customer.average_basket_minor as f64,
            Feature::OnlineShare => customer.online_share,
            Feature::Visits30d => f64::from(customer.visits_30d),
            Feature::DiscountShare => customer.discount_share,
            Feature::CategoriesBought => customer.categories_last_bought.len() as f64,
        }
    }

    /// The value the clustering sees: shares as they are, counts, days and money through
    /// `ln(1 + x)` (negative money, net refunds, as 0).
    fn transform(self, value: f64) -> f64 {
        match self {
            Feature::OnlineShare | Feature::DiscountShare => value,
            _ => value.max(0.0).ln_1p(),
        }
    }
}

/// How to cluster.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// The number of clusters; `None` picks 2 to 8 by silhouette.
    pub k: Option<usize>,
    /// Restarts from different seeds; the best is kept.
    pub n_init: usize,
    pub max_iterations: usize,
    /// Stop once the centres move less than this in total (squared distance in z-scores).
    pub tolerance: f64,
    pub seed: u64,
    /// Restarts (and the choice of `k`) run on at most this many customers.
    pub fit_sample: usize,
    /// Customers the silhouette is computed on; its cost grows with the square.
    pub silhouette_sample: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            k: None,
            n_init: 4,
            max_iterations: 100,
            tolerance: 1e-4,
            seed: 0,
            fit_sample: 50_000,
            silhouette_sample: 2_000,
        }
    }
}

/// The range of `k` tried when none is given.
pub const AUTO_K: std::ops::RangeInclusive<usize> = 2..=8;

/// How far from the population mean, in standard deviations, a cluster must sit on a feature
/// for that to be one of its traits.
pub const MIN_TRAIT_Z: f64 = 0.25;
/// Traits reported per cluster, the most distinctive first.
pub const MAX_TRAITS: usize = 3;

/// Above or below the population.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    High,
    Low,
}

/// A feature that sets a cluster apart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trait {
    pub feature: Feature,
    pub level: Level,
    /// The cluster's mean z-score on the feature (after the log transform).
    pub z: f64,
}

/// One cluster as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClusterProfile {
    /// Clusters are numbered from the largest.
    pub index: usize,
    pub size: usize,
    pub share: f64,
    /// The members' mean of each feature, in its own units.
    pub centroid: BTreeMap<Feature, f64>,
    pub traits: Vec<Trait>,
}

/// The clusters of a population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clustering {
    pub k: usize,
    /// Cluster index of each customer, in the order given.
    pub labels: Vec<usize>,
    pub profiles: Vec<ClusterProfile>,
    /// Mean silhouette on the sample, when `k` was chosen by it.
    pub silhouette: Option<f64>,
    /// Sum of squared distances (in z-scores) of customers to their cluster's centre.
    pub inertia: f64,
}

/// Why customers cannot be clustered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClusterError {
    #[error("{customers} customers cannot form {k} clusters")]
    TooFewCustomers { customers: usize, k: usize },
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    #[error("customer `{0}` has a feature that is not a finite number")]
    NotFinite(String),
}

/// Clusters `customers`; see the module docs.
pub fn cluster(customers: &[CustomerFeatures], config: &ClusterConfig) -> Result<Clustering, ClusterError> {
    if config.n_init == 0 || config.max_iterations == 0 || config.fit_sample < 2 || config.silhouette_sample < 2 {
        return Err(ClusterError::InvalidConfig(
            "n_init, max_iterations, fit_sample and silhouette_sample must be positive",
        ));
    }
    if config.tolerance.is_nan() || config.tolerance < 0.0 {
        return Err(ClusterError::InvalidConfig("tolerance must not be negative"));
    }
    let n = customers.len();
    let smallest = config.k.unwrap_or(*AUTO_K.start() + 1);
    if config.k == Some(0) || n < smallest {
        return Err(ClusterError::TooFewCustomers { customers: n, k: config.k.unwrap_or(*AUTO_K.start()) });
    }
    let data = standardised(customers)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let fit_rows = sample_rows(&mut rng, n, config.fit_sample);
    let fit_data = data.rows(&fit_rows);
    let (k, centroids, silhouette) = match config.k {
        Some(k) => (k, best_of_restarts(&fit_data, k, config, rng.random()), None),
        None => {
            let silhouette_rows = sample_rows(&mut rng, fit_data.len(), config.silhouette_sample);
            let silhouette_data = fit_data.rows(&silhouette_rows);
            let mut best: Option<(usize, Vec<f64>, f64)> = None;
            for k in AUTO_K.filter(|&k| k < fit_data.len()) {
                let centroids = best_of_restarts(&fit_data, k, config, rng.random());
                let score = silhouette(&silhouette_data, &centroids, k);
                if best.as_ref().is_none_or(|(_, _, best_score)| score > *best_score) {
                    best = Some((k, centroids, score));
                }
            }
            let (k, centroids, score) = best.expect("n > 2 leaves k = 2 to try");
            (k, centroids, Some(score))
        }
    };
    let fit = lloyd(&data, centroids, k, config);
    Ok(describe(customers, fit, k, silhouette))
}

/// Rows of values, `FEATURES.len()` per row.
struct Matrix {
    values: Vec<f64>,
}

const DIMS: usize = FEATURES.len();

impl Matrix {
    fn len(&self) -> usize {
        self.values.len() / DIMS
    }

    fn row(&self, index: usize) -> &[f64] {
        &self.values[index * DIMS..(index + 1) * DIMS]
    }

    fn rows(&self, indices: &[usize]) -> Matrix {
        Matrix { values: indices.iter().flat_map(|&index| self.row(index)).copied().collect() }
    }
}

/// Relative deviation below which a column counts as constant.
const CONSTANT_DEVIATION: f64 = 1e-9;

/// The customers' transformed features as z-scores. A feature that does not vary is 0 for all.
fn standardised(customers: &[CustomerFeatures]) -> Result<Matrix, ClusterError> {
    let mut values = Vec::with_capacity(customers.len() * DIMS);
    for customer in customers {
        for feature in FEATURES {
            let value = feature.transform(feature.value(customer));
            if !value.is_finite() {
                return Err(ClusterError::NotFinite(customer.customer_id.clone()));
            }
            values.push(value);
        }
    }
    let n = customers.len() as f64;
    for dim in 0..DIMS {
        let column = || values.iter().skip(dim).step_by(DIMS);
        let mean = column().sum::<f64>() / n;
        let deviation = (column().map(|value| (value - mean).powi(2)).sum::<f64>() / n).sqrt();
        // A constant column's deviation is rounding noise of its mean, not spread.
        let scale = if deviation > CONSTANT_DEVIATION * mean.abs().max(1.0) { deviation } else { 1.0 };
        values.iter_mut().skip(dim).step_by(DIMS).for_each(|value| *value = (*value - mean) / scale);
    }
    Ok(Matrix { values })
}

/// `count` distinct row indices out of `n` in increasing order, or all rows when there are
/// no more.
fn sample_rows(rng: &mut ChaCha8Rng, n: usize, count: usize) -> Vec<usize> {
    if n <= count {
        return (0..n).collect();
    }
    let mut rows = sample(rng, n, count).into_vec();
    rows.sort_unstable();
    rows
}

/// The centres of the best of `config.n_init` k-means++ seeded runs on `data`.
fn best_of_restarts(data: &Matrix, k: usize, config: &ClusterConfig, seed: u64) -> Vec<f64> {
    let fits: Vec<Fit> = (0..config.n_init as u64)
        .into_par_iter()
        .map(|restart| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(restart));
            lloyd(data, seed_centroids(data, k, &mut rng), k, config)
        })
        .collect();
    // The first of equal fits, so the choice does not depend on scheduling.
    let best = fits.into_iter().reduce(|best, fit| if fit.inertia < best.inertia { fit } else { best });
    best.expect("n_init is positive").centroids
}

/// k-means++: the first centre uniformly, each next one with probability proportional to the
/// squared distance to the nearest centre so far.
fn seed_centroids(data: &Matrix, k: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let n = data.len();
    let mut centroids = data.row(rng.random_range(0..n)).to_vec();
    let mut nearest: Vec<f64> = (0..n).map(|index| squared_distance(data.row(index), &centroids)).collect();
    while centroids.len() < k * DIMS {
        let total: f64 = nearest.iter().sum();
        let chosen = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            nearest
                .iter()
                .position(|&weight| {
                    target -= weight;
                    target < 0.0
                })
                // Rounding can leave the target a hair above zero after the last row.
                .unwrap_or(n - 1)
        } else {
            // Fewer distinct rows than k: any row will do.
            rng.random_range(0..n)
        };
        let centre = data.row(chosen).to_vec();
        for (index, distance) in nearest.iter_mut().enumerate() {
            *distance = distance.min(squared_distance(data.row(index), &centre));
        }
        centroids.extend(centre);
    }
    centroids
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

/// The index of the centre nearest to `row`, and the squared distance to it.
fn nearest_centroid(row: &[f64], centroids: &[f64]) -> (usize, f64) {
    centroids
        .chunks_exact(DIMS)
        .map(|centre| squared_distance(row, centre))
        .enumerate()
        .fold((0, f64::INFINITY), |best, (index, distance)| if distance < best.1 { (index, distance) } else { best })
}

/// A k-means solution.
struct Fit {
    centroids: Vec<f64>,
    labels: Vec<usize>,
    inertia: f64,
}

/// Rows per parallel task. Fixed, so the partial sums, and so the result, do not depend on the
/// number of threads.
const CHUNK_ROWS: usize = 4_096;

/// What one chunk of rows adds to the next centres.
struct Partial {
    sums: Vec<f64>,
    counts: Vec<usize>,
    inertia: f64,
    changed: usize,
    /// The row farthest from its centre, to restart an emptied cluster from.
    farthest: (f64, usize),
}

/// Lloyd iterations from `centroids` until no customer changes cluster, the centres move less
/// than the tolerance, or the iterations run out.
fn lloyd(data: &Matrix, mut centroids: Vec<f64>, k: usize, config: &ClusterConfig) -> Fit {
    let mut labels = vec![usize::MAX; data.len()];
    let mut state = assign(data, &centroids, k, &mut labels);
    for _ in 0..config.max_iterations {
        let mut next = state.sums.clone();
        for (cluster, centre) in next.chunks_exact_mut(DIMS).enumerate() {
            match state.counts[cluster] {
                0 => centre.copy_from_slice(&centroids[cluster * DIMS..(cluster + 1) * DIMS]),
                count => centre.iter_mut().for_each(|sum| *sum /= count as f64),
            }
        }
        // An emptied cluster restarts from the worst-served row (one per iteration).
        if let Some(empty) = state.counts.iter().position(|&count| count == 0) {
            next[empty * DIMS..(empty + 1) * DIMS].copy_from_slice(data.row(state.farthest.1));
        }
        let shift = squared_distance(&next, &centroids);
        centroids = next;
        state = assign(data, &centroids, k, &mut labels);
        if state.changed == 0 || shift <= config.tolerance {
            break;
        }
    }
    Fit { centroids, labels, inertia: state.inertia }
}

/// Assigns every row to its nearest centre, in parallel, and sums the clusters up in a fixed
/// order.
fn assign(data: &Matrix, centroids: &[f64], k: usize, labels: &mut [usize]) -> Partial {
    let partials: Vec<Partial> = data
        .values
        .par_chunks(CHUNK_ROWS * DIMS)
        .zip(labels.par_chunks_mut(CHUNK_ROWS))
        .enumerate()
        .map(|(chunk, (rows, labels))| {
            let mut partial = Partial::empty(k);
            for (offset, (row, label)) in rows.chunks_exact(DIMS).zip(labels.iter_mut()).enumerate() {
                let (cluster, distance) = nearest_centroid(row, centroids);
                partial.changed += usize::from(*label != cluster);
                *label = cluster;
                partial.counts[cluster] += 1;
                partial.inertia += distance;
                partial.sums[cluster * DIMS..(cluster + 1) * DIMS].iter_mut().zip(row).for_each(|(sum, x)| *sum += x);
                if distance > partial.farthest.0 {
                    partial.farthest = (distance, chunk * CHUNK_ROWS + offset);
                }
            }
            partial
        })
        .collect();
    partials.into_iter().fold(Partial::empty(k), |mut total, partial| {
        total.sums.iter_mut().zip(&partial.sums).for_each(|(sum, x)| *sum += x);
        total.counts.iter_mut().zip(&partial.counts).for_each(|(count, x)| *count += x);
        total.inertia += partial.inertia;
        total.changed += partial.changed;
        if partial.farthest.0 > total.farthest.0 {
            total.farthest = partial.farthest;
        }
        total
    })
}

impl Partial {
    fn empty(k: usize) -> Partial {
        Partial { sums: vec![0.0; k * DIMS], counts: vec![0; k], inertia: 0.0, changed: 0, farthest: (-1.0, 0) }
    }
}

/// The mean silhouette of `data` under the nearest-centre assignment: for each row, how much
/// nearer it is to its own cluster than to the next nearest (1 best, 0 on a border, −1 worst).
/// A row alone in its cluster scores 0.
fn silhouette(data: &Matrix, centroids: &[f64], k: usize) -> f64 {
    let labels: Vec<usize> = (0..data.len()).map(|index| nearest_centroid(data.row(index), centroids).0).collect();
    let mut sizes = vec![0usize; k];
    labels.iter().for_each(|&label| sizes[label] += 1);
    let scores: Vec<f64> = (0..data.len())
        .into_par_iter()
        .map(|index| {
            let mut distance_sums = vec![0.0; k];
            for other in 0..data.len() {
                distance_sums[labels[other]] += squared_distance(data.row(index), data.row(other)).sqrt();
            }
            let own = labels[index];
            if sizes[own] < 2 {
                return 0.0;
            }
            let within = distance_sums[own] / (sizes[own] - 1) as f64;
            let between = (0..k)
                .filter(|&cluster| cluster != own && sizes[cluster] > 0)
                .map(|cluster| distance_sums[cluster] / sizes[cluster] as f64)
                .fold(f64::INFINITY, f64::min);
            if between.is_infinite() { 0.0 } else { (between - within) / within.max(between).max(f64::MIN_POSITIVE) }
        })
        .collect();
    scores.iter().sum::<f64>() / scores.len() as f64
}

/// Numbers the clusters from the largest and profiles them.
fn describe(customers: &[CustomerFeatures], fit: Fit, k: usize, silhouette: Option<f64>) -> Clustering {
    let mut sizes = vec![0usize; k];
    let mut sums = vec![0.0; k * DIMS];
    for (customer, &label) in customers.iter().zip(&fit.labels) {
        sizes[label] += 1;
        for (sum, feature) in sums[label * DIMS..(label + 1) * DIMS].iter_mut().zip(FEATURES) {
            *sum += feature.value(customer);
        }
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by_key(|&cluster| std::cmp::Reverse(sizes[cluster]));
    let mut renumbered = vec![0; k];
    for (index, &cluster) in order.iter().enumerate() {
        renumbered[cluster] = index;
    }
    let profiles = order
        .iter()
        .enumerate()
        .map(|(index, &cluster)| {
            let size = sizes[cluster];
            let means = &sums[cluster * DIMS..(cluster + 1) * DIMS];
            let centroid =
                FEATURES.iter().zip(means).map(|(&feature, sum)| (feature, sum / size.max(1) as f64)).collect();
            ClusterProfile {
                index,
                size,
                share: size as f64 / customers.len() as f64,
                centroid,
                traits: traits(&fit.centroids[cluster * DIMS..(cluster + 1) * DIMS]),
            }
        })
        .collect();
    Clustering {
        k,
        labels: fit.labels.iter().map(|&label| renumbered[label]).collect(),
        profiles,
        silhouette,
        inertia: fit.inertia,
    }
}

/// The features on which a centre (in z-scores) sits farthest from the population mean.
fn traits(centre: &[f64]) -> Vec<Trait> {
    let mut traits: Vec<Trait> = FEATURES
        .iter()
        .zip(centre)
        .filter(|(_, z)| z.abs() >= MIN_TRAIT_Z)
        .map(|(&feature, &z)| Trait { feature, level: if z > 0.0 { Level::High } else { Level::Low }, z })
        .collect();
    traits.sort_by(|a, b| b.z.abs().total_cmp(&a.z.abs()));
    traits.truncate(MAX_TRAITS);
    traits
}

#[cfg(test)]
mod tests {
    use rand::RngExt;

    use super::*;

    /// Three planted groups: loyal high spenders, bargain-hunting online shoppers, lapsed
    /// one-off buyers; features jittered by up to ±10 %.
    fn planted(per_group: usize, seed: u64) -> (Vec<CustomerFeatures>, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut customers = Vec::new();
        let mut truth = Vec::new();
        for index in 0..per_group * 3 {
            let group = index % 3;
            let mut jitter = |value: f64| value * rng.random_range(0.9..1.1);
            let (spend, orders, days, basket, online, visits, discount) = match group {
                0 => (
                    jitter(2_000_000.0),
                    jitter(40.0),
                    jitter(5.0),
                    jitter(50_000.0),
                    jitter(0.3),
                    jitter(12.0),
                    jitter(0.1),
                ),
                1 => (
                    jitter(300_000.0),
                    jitter(15.0),
                    jitter(30.0),
                    jitter(20_000.0),
                    jitter(0.9),
                    jitter(4.0),
                    jitter(0.8),
                ),
                _ => (jitter(20_000.0), 1.0, jitter(300.0), jitter(20_000.0), jitter(0.1), 0.0, jitter(0.3)),
            };
            customers.push(CustomerFeatures {
                customer_id: format!("c{index}"),
                days_since_last_order: Some(days as u32),
                orders_365d: orders as u32,
                spend_365d_minor: spend as i64,
                average_basket_minor: basket as i64,
                online_share: online,
                visits_30d: visits as u32,
                discount_share: discount,
                ..CustomerFeatures::default()
            });
            truth.push(group);
        }
        (customers, truth)
    }

    #[test]
    fn recovers_three_planted_clusters_and_chooses_k_three() {
        let (customers, truth) = planted(200, 1);
        let clustering =
            cluster(&customers, &ClusterConfig { silhouette_sample: 300, ..ClusterConfig::default() }).unwrap();
        assert_eq!(clustering.k, 3);
        assert!(clustering.silhouette.unwrap() > 0.7, "{:?}", clustering.silhouette);
        // Each planted group is exactly one cluster.
        for group in 0..3 {
            let labels: std::collections::BTreeSet<usize> =
                truth.iter().zip(&clustering.labels).filter(|(g, _)| **g == group).map(|(_, &l)| l).collect();
            assert_eq!(labels.len(), 1, "group {group} split over {labels:?}");
        }
        assert!(clustering.profiles.iter().all(|p| p.size == 200 && (p.share - 1.0 / 3.0).abs() < 1e-12));
        // The loyal group's profile: spend near 20,000.00 and recent.
        let loyal = &clustering.profiles[clustering.labels[0]];
        let spend = loyal.centroid[&Feature::Spend365dMinor];
        assert!((1_900_000.0..2_100_000.0).contains(&spend), "{spend}");
        assert!(loyal.traits.len() >= 2 && loyal.traits.len() <= MAX_TRAITS);
        assert!(loyal.traits.iter().all(|t| t.z.abs() >= MIN_TRAIT_Z));
        let lapsed = &clustering.profiles[clustering.labels[2]];
        assert!(
            lapsed.traits.iter().any(|t| t.feature == Feature::DaysSinceLastOrder && t.level == Level::High)
                || lapsed.traits.iter().any(|t| t.feature == Feature::Orders365d && t.level == Level::Low),
            "{:?}",
            lapsed.traits
        );
    }

    #[test]
    fn a_given_k_is_used_and_results_are_deterministic() {
        let (customers, _) = planted(100, 2);
        let config = ClusterConfig { k: Some(4), seed: 9, ..ClusterConfig::default() };
        let first = cluster(&customers, &config).unwrap();
        let second = cluster(&customers, &config).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.k, 4);
        assert_eq!(first.silhouette, None);
        assert_eq!(first.profiles.iter().map(|p| p.size).sum::<usize>(), 300);
        assert!(first.profiles.windows(2).all(|pair| pair[0].size >= pair[1].size));
        // A sample smaller than the population gives the same planted structure.
        let sampled = cluster(&customers, &ClusterConfig { k: Some(3), fit_sample: 60, ..config }).unwrap();
        assert!(sampled.profiles.iter().all(|p| p.size == 100));
    }

    #[test]
    fn degenerate_input() {
        let (customers, _) = planted(1, 3);
        assert_eq!(
            cluster(&customers[..2], &ClusterConfig::default()),
            Err(ClusterError::TooFewCustomers { customers: 2, k: 2 })
        );
        assert!(matches!(
            cluster(&customers, &ClusterConfig { n_init: 0, ..ClusterConfig::default() }),
            Err(ClusterError::InvalidConfig(_))
        ));
        let mut broken = customers.clone();
        broken[1].online_share = f64::NAN;
        assert_eq!(cluster(&broken, &ClusterConfig::default()), Err(ClusterError::NotFinite("c1".into())));
        // Identical customers: k clusters still come back, one holding everyone.
        let same = vec![customers[0].clone(); 10];
        let clustering = cluster(&same, &ClusterConfig { k: Some(3), ..ClusterConfig::default() }).unwrap();
        assert_eq!(clustering.profiles[0].size, 10);
        assert!(clustering.profiles[0].traits.is_empty());
    }

    #[test]
    #[ignore = "performance: cargo test --release -p retail-marketing -- --ignored"]
    fn a_million_customers_cluster_in_seconds() {
        let (customers, _) = planted(333_334, 4);
        let started = std::time::Instant::now();
        let clustering = cluster(&customers, &ClusterConfig::default()).unwrap();
        let elapsed = started.elapsed();
        eprintln!("1,000,002 customers, k = {} in {elapsed:?}", clustering.k);
        assert_eq!(clustering.k, 3);
        assert!(elapsed.as_secs_f64() < 10.0, "{elapsed:?}");
    }
}
