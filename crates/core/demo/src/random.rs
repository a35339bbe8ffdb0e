//! Seeded random streams and the few distributions the simulation needs.
//!
//! Every independent part of the world (the catalogue, each store, the online
//! shop…) draws from its own ChaCha8 stream keyed by (seed, purpose, index), so
//! adding a store or a customer does not shift the draws of any other stream.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub(crate) type Rng = ChaCha8Rng;

/// What a stream is for; part of its key.
#[derive(Clone, Copy)]
pub(crate) enum Purpose {
    Locations = 1,
    Catalogue = 2,
    Customers = 3,
    Promotions = 4,
    Store = 5,
    Online = 6,
    Assortment = 7,
    /// Unit weights and volumes of the products.
    Dimensions = 8,
    /// Supplier contracts: terms, competing offers, expired ones.
    Contracts = 9,
    /// Units refused at the dock and delivery charges, per site.
    Quality = 10,
    /// Tomorrow's DC-to-store transfer orders.
    Transfers = 11,
    /// Where online customers live.
    Addresses = 12,
    /// The delivery slots online customers choose.
    Slots = 13,
}

/// The stream for `purpose`, number `index`, of the world seeded with `seed`.
pub(crate) fn stream(seed: u64, purpose: Purpose, index: u64) -> Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(purpose as u64).to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..].copy_from_slice(b"retail-d");
    ChaCha8Rng::from_seed(key)
}

/// Uniform in [0, 1).
pub(crate) fn unit(rng: &mut Rng) -> f64 {
    rng.random::<f64>()
}

/// Uniform in [lo, hi).
pub(crate) fn between(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(rng)
}

pub(crate) fn chance(rng: &mut Rng, p: f64) -> bool {
    unit(rng) < p
}

/// Uniform index below `n` (n > 0).
pub(crate) fn index(rng: &mut Rng, n: usize) -> usize {
    rng.random_range(0..n)
}

/// Standard normal by Box–Muller (one of the pair; simplicity beats speed here).
pub(crate) fn normal(rng: &mut Rng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Log-normal with median 1 and log-scale `sigma`.
pub(crate) fn lognormal(rng: &mut Rng, sigma: f64) -> f64 {
    (sigma * normal(rng)).exp()
}

/// Poisson by inversion below λ = 30 (exact, one uniform), normal approximation
/// above (demand that large is never the interesting tail).
pub(crate) fn poisson(rng: &mut Rng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let u = unit(rng);
        let mut p = (-lambda).exp();
        let mut cdf = p;
        let mut k = 0u32;
        while u > cdf && k < 200 {
            k += 1;
            p *= lambda / f64::from(k);
            cdf += p;
        }
        k
    } else {
        (lambda + lambda.sqrt() * normal(rng) + 0.5).max(0.0) as u32
    }
}

/// An index drawn with probability proportional to `weights` (not all zero).
pub(crate) fn weighted(rng: &mut Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_matches_lambda() {
        let mut rng = stream(1, Purpose::Store, 0);
        for lambda in [0.05, 0.7, 4.0, 55.0] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| u64::from(poisson(&mut rng, lambda))).sum();
            let mean = sum as f64 / f64::from(n);
            assert!((mean - lambda).abs() < 0.05 * lambda + 0.02, "λ={lambda} mean={mean}");
        }
    }

    #[test]
    fn streams_are_independent_and_repeatable() {
        let mut s1 = stream(7, Purpose::Store, 1);
        let mut s2 = stream(7, Purpose::Store, 2);
        let x: Vec<usize> = (0..8).map(|_| index(&mut s1, 1_000_000)).collect();
        let y: Vec<usize> = (0..8).map(|_| index(&mut s2, 1_000_000)).collect();
        assert_ne!(x, y);
        let mut s1b = stream(7, Purpose::Store, 1);
        assert_eq!(x, (0..8).map(|_| index(&mut s1b, 1_000_000)).collect::<Vec<_>>());
    }
}
