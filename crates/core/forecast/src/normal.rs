//! The standard normal distribution to (nearly) full double precision: the CDF from a power series
//! near the centre and Laplace's continued fraction in the tails, and the quantile from Acklam's
//! rational approximation refined by one Halley step against that CDF.

use std::f64::consts::PI;

/// Below this `|x|` the tail comes from the power series, above it from the continued fraction.
const SERIES_LIMIT: f64 = 3.0;
/// Stop a series or continued fraction once a step changes it by less than this (relative).
const CONVERGED: f64 = 1e-17;
/// Bound on terms; both expansions converge in well under 200 terms where they are used.
const MAX_TERMS: usize = 500;

/// Standard normal density.
fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// `P(Z > x)` for `x >= 0`, accurate relative to its value.
fn upper_tail(x: f64) -> f64 {
    if x < SERIES_LIMIT {
        // P(Z <= x) = 1/2 + φ(x)·Σ x^(2n+1) / (1·3·…·(2n+1)).
        let square = x * x;
        let (mut term, mut sum, mut odd) = (x, x, 1.0);
        for _ in 0..MAX_TERMS {
            if term.abs() <= sum.abs() * CONVERGED {
                break;
            }
            odd += 2.0;
            term *= square / odd;
            sum += term;
        }
        0.5 - pdf(x) * sum
    } else {
        // P(Z > x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))), evaluated by Lentz's method.
        let mut value = x;
        let (mut c, mut d) = (x, 0.0);
        for k in 1..MAX_TERMS {
            let a = k as f64;
            d = 1.0 / (x + a * d);
            c = x + a / c;
            let step = c * d;
            value *= step;
            if (step - 1.0).abs() < CONVERGED {
                break;
            }
        }
        pdf(x) / value
    }
}

/// Standard normal cumulative distribution function `P(Z <= x)`; NaN for NaN.
pub fn cdf(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else if x == f64::INFINITY {
        1.0
    } else if x == f64::NEG_INFINITY {
        0.0
    } else if x >= 0.0 {
        1.0 - upper_tail(x)
    } else {
        upper_tail(-x)
    }
}

/// Standard normal quantile: the `z` with `P(Z <= z) = p`, e.g. 1.6448536269514722 for 0.95.
/// `p <= 0` gives −∞, `p >= 1` gives +∞ and NaN gives NaN (callers validate `p` first).
pub fn quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    // Solve in the upper tail, where q keeps its relative precision (1 − p is exact for p >= 1/2).
    let q = if p < 0.5 { p } else { 1.0 - p };
    let x = -acklam(q);
    // One Halley step on f(x) = P(Z > x) − q, with f' = −φ and f'' = x·φ.
    let u = (upper_tail(x) - q) / pdf(x);
    let x = x + u / (1.0 - 0.5 * x * u);
    if p < 0.5 { -x } else { x }
}

/// Acklam's rational approximation of the inverse normal CDF (relative error below 1.15e-9), for
/// `0 < p <= 1/2`.
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const LOW: f64 = 0.02425;
    if p < LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_reference_values() {
        // Reference values from scipy.stats.norm.ppf.
        let cases = [
            (0.5, 0.0),
            (0.8, 0.8416212335729143),
            (0.9, 1.2815515655446004),
            (0.95, 1.6448536269514722),
            (0.975, 1.959963984540054),
            (0.98, 2.0537489106318225),
            (0.99, 2.3263478740408408),
            (0.999, 3.090232306167813),
            (1e-10, -6.361340902404056),
            (0.05, -1.6448536269514729),
        ];
        for (p, z) in cases {
            let got = quantile(p);
            assert!((got - z).abs() < 1e-12 * (1.0 + z.abs()), "z({p}) = {got}, want {z}");
        }
    }

    #[test]
    fn quantile_inverts_cdf_and_handles_edges() {
        for i in 1..1000 {
            let p = i as f64 / 1000.0;
            assert!((cdf(quantile(p)) - p).abs() < 1e-14, "p = {p}");
        }
        assert_eq!(quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(quantile(1.0), f64::INFINITY);
        assert!(quantile(f64::NAN).is_nan());
        assert!((cdf(1.959963984540054) - 0.975).abs() < 1e-15);
        assert!((cdf(-8.0) - 6.22096057427178e-16).abs() < 1e-28);
    }
}
