//! Simulated A/A experiments (both arms identical, so every significant result is a false
//! positive): how often the fixed-horizon test errs when analysed once, how much more often
//! when it is analysed at every peek, and that the sequential test stays within alpha however
//! often it is analysed.

use serde::{Deserialize, Serialize};

use super::frequentist::{SequentialBoundary, t_test_p_value};
use super::{StatsError, TestConfig, effect, validate_probability};
use crate::summary::Summary;

/// What each simulated unit contributes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AaMetric {
    /// 1 with probability `rate`, else 0: a conversion, analysed as a proportion.
    Conversion { rate: f64 },
    /// 0 unless the unit buys (probability `purchase_rate`); a buyer spends
    /// `exp(N(log_mean, log_sd²))`. A skewed revenue metric, analysed as a mean.
    Revenue { purchase_rate: f64, log_mean: f64, log_sd: f64 },
}

/// The simulation plan.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AaSimulation {
    /// Number of simulated experiments.
    pub runs: usize,
    /// Analyses per experiment, evenly spaced in arriving units; the last is at the horizon.
    pub peeks: usize,
    /// Units per experiment, both arms together; each joins either arm with probability 1/2.
    pub units_per_run: usize,
    pub seed: u64,
    pub metric: AaMetric,
    pub config: TestConfig,
}

impl Default for AaSimulation {
    fn default() -> Self {
        AaSimulation {
            runs: 10_000,
            peeks: 10,
            units_per_run: 10_000,
            seed: 42,
            metric: AaMetric::Conversion { rate: 0.1 },
            config: TestConfig::default(),
        }
    }
}

/// Share of simulated experiments with a false positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AaReport {
    pub runs: usize,
    pub peeks: usize,
    pub units_per_run: usize,
    /// Fixed-horizon t-test, analysed once at the horizon: should be close to alpha.
    pub false_positive_rate: f64,
    /// The same test analysed at every peek, stopping at the first significant one: inflated,
    /// which is why peeking at a fixed-horizon test is unsafe.
    pub peeking_false_positive_rate: f64,
    /// The sequential test analysed at every peek: at most alpha.
    pub sequential_false_positive_rate: f64,
}

/// Runs the simulation. Each run has its own random stream, so results do not depend on the
/// order runs are simulated in. A peek too early to test (too few units, or a metric that does
/// not vary yet) counts as not significant.
pub fn simulate_aa(simulation: &AaSimulation) -> Result<AaReport, StatsError> {
    simulation.validate()?;
    let config = &simulation.config;
    let (mut fixed, mut peeking, mut sequential) = (0usize, 0usize, 0usize);
    for run in 0..simulation.runs {
        let mut random = Xoshiro256::for_stream(simulation.seed, run as u64);
        let mut arms = [Sums::default(); 2];
        let mut simulated = 0;
        let (mut peeking_hit, mut sequential_hit) = (false, false);
        for peek in 1..=simulation.peeks {
            let until = simulation.units_per_run * peek / simulation.peeks;
            for _ in simulated..until {
                let arm = (random.next_u64() >> 63) as usize;
                arms[arm].add(simulation.metric.draw(&mut random));
            }
            simulated = until;
            let (control, treatment) = (arms[0].summary(&simulation.metric), arms[1].summary(&simulation.metric));
            let Ok(effect) = effect(&control, &treatment, config.difference) else {
                continue;
            };
            let significant = t_test_p_value(&effect) < config.alpha;
            peeking_hit |= significant;
            if peek == simulation.peeks && significant {
                fixed += 1;
            }
            let boundary = SequentialBoundary::new(simulated as f64, config);
            sequential_hit |= boundary.p_value(&effect) < config.alpha;
        }
        peeking += usize::from(peeking_hit);
        sequential += usize::from(sequential_hit);
    }
    let rate = |count: usize| count as f64 / simulation.runs as f64;
    Ok(AaReport {
        runs: simulation.runs,
        peeks: simulation.peeks,
        units_per_run: simulation.units_per_run,
        false_positive_rate: rate(fixed),
        peeking_false_positive_rate: rate(peeking),
        sequential_false_positive_rate: rate(sequential),
    })
}

impl AaSimulation {
    fn validate(&self) -> Result<(), StatsError> {
        self.config.validate()?;
        for (name, count) in [("runs", self.runs), ("peeks", self.peeks), ("units_per_run", self.units_per_run)] {
            if count == 0 {
                return Err(StatsError::InvalidParameter { name, value: 0.0 });
            }
        }
        match self.metric {
            AaMetric::Conversion { rate } => validate_probability(rate, "rate"),
            AaMetric::Revenue { purchase_rate, log_mean, log_sd } => {
                validate_probability(purchase_rate, "purchase_rate")?;
                if !log_mean.is_finite() {
                    return Err(StatsError::InvalidParameter { name: "log_mean", value: log_mean });
                }
                if !(log_sd.is_finite() && log_sd >= 0.0) {
                    return Err(StatsError::InvalidParameter { name: "log_sd", value: log_sd });
                }
                Ok(())
            }
        }
    }
}

impl AaMetric {
    fn draw(&self, random: &mut Xoshiro256) -> f64 {
        match *self {
            AaMetric::Conversion { rate } => f64::from(u8::from(random.next_f64() < rate)),
            AaMetric::Revenue { purchase_rate, log_mean, log_sd } => {
                if random.next_f64() < purchase_rate {
                    (log_mean + log_sd * random.standard_normal()).exp()
                } else {
                    0.0
                }
            }
        }
    }
}

/// Running sufficient statistics of one arm.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    units: u64,
    sum: f64,
    sum_squares: f64,
}

impl Sums {
    fn add(&mut self, value: f64) {
        self.units += 1;
        self.sum += value;
        self.sum_squares += value * value;
    }

    fn summary(&self, metric: &AaMetric) -> Summary {
        match metric {
            AaMetric::Conversion { .. } => Summary::Proportion { n: self.units, successes: self.sum },
            AaMetric::Revenue { .. } => Summary::Mean { n: self.units, sum: self.sum, sum_squares: self.sum_squares },
        }
    }
}

/// The xoshiro256** generator (Blackman and Vigna), seeded through splitmix64.
struct Xoshiro256 {
    state: [u64; 4],
}

impl Xoshiro256 {
    /// An independent-looking stream for each `(seed, stream)` pair.
    fn for_stream(seed: u64, stream: u64) -> Self {
        let mut splitmix = seed ^ splitmix_mix(stream);
        let mut next = || {
            splitmix = splitmix.wrapping_add(SPLITMIX_GAMMA);
            splitmix_mix(splitmix)
        };
        Xoshiro256 { state: [next(), next(), next(), next()] }
    }

    fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = self.state;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let shifted = s1 << 17;
        let (s2, s3) = (s2 ^ s0, s3 ^ s1);
        let s1 = s1 ^ s2;
        let s0 = s0 ^ s3;
        self.state = [s0, s1, s2 ^ shifted, s3.rotate_left(45)];
        result
    }

    /// Uniform on `[0, 1)` with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal draw by the Box–Muller transform.
    fn standard_normal(&mut self) -> f64 {
        // 1 - u lies in (0, 1], so its logarithm is finite.
        let radius = (-2.0 * (1.0 - self.next_f64()).ln()).sqrt();
        radius * (std::f64::consts::TAU * self.next_f64()).cos()
    }
}

/// splitmix64's increment, 2⁶⁴ divided by the golden ratio.
const SPLITMIX_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64's output function, a bijective mix of 64 bits.
fn splitmix_mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_uniform_and_normal_enough() {
        let mut random = Xoshiro256::for_stream(7, 0);
        let draws = 100_000;
        let uniform_mean = (0..draws).map(|_| random.next_f64()).sum::<f64>() / draws as f64;
        assert!((uniform_mean - 0.5).abs() < 0.005, "{uniform_mean}");
        let normals: Vec<f64> = (0..draws).map(|_| random.standard_normal()).collect();
        let mean = normals.iter().sum::<f64>() / draws as f64;
        let variance = normals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws as f64;
        assert!(mean.abs() < 0.01 && (variance - 1.0).abs() < 0.02, "{mean} {variance}");
        let beyond_two = normals.iter().filter(|x| x.abs() > 1.959964).count() as f64 / draws as f64;
        assert!((beyond_two - 0.05).abs() < 0.004, "{beyond_two}");
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        assert_eq!(Xoshiro256::for_stream(1, 0).next_u64(), Xoshiro256::for_stream(1, 0).next_u64());
        assert_ne!(Xoshiro256::for_stream(1, 0).next_u64(), Xoshiro256::for_stream(1, 1).next_u64());
    }

    #[test]
    fn peeking_inflates_false_positives_and_sequential_testing_does_not() {
        let simulation = AaSimulation { runs: 2000, peeks: 10, units_per_run: 4000, ..AaSimulation::default() };
        let report = simulate_aa(&simulation).unwrap();
        // Fixed horizon: 5 % ± 3 binomial standard errors (0.5 %).
        assert!((report.false_positive_rate - 0.05).abs() < 0.015, "{report:?}");
        // Ten peeks at a 5 % test err about 19 % of the time.
        assert!(report.peeking_false_positive_rate > 0.12, "{report:?}");
        assert!(report.sequential_false_positive_rate <= 0.05, "{report:?}");
        assert_eq!(simulate_aa(&simulation).unwrap(), report);
    }

    #[test]
    fn a_skewed_revenue_metric_runs_too() {
        let simulation = AaSimulation {
            runs: 300,
            peeks: 5,
            units_per_run: 3000,
            metric: AaMetric::Revenue { purchase_rate: 0.05, log_mean: 3.0, log_sd: 1.0 },
            ..AaSimulation::default()
        };
        let report = simulate_aa(&simulation).unwrap();
        assert!(report.false_positive_rate < 0.12, "{report:?}");
        assert!(report.peeking_false_positive_rate >= report.false_positive_rate);
        assert!(report.sequential_false_positive_rate <= report.peeking_false_positive_rate);
    }

    #[test]
    fn refuses_an_empty_plan() {
        let simulation = AaSimulation { runs: 0, ..AaSimulation::default() };
        assert!(matches!(simulate_aa(&simulation), Err(StatsError::InvalidParameter { name: "runs", .. })));
    }
}
