//! Time to aggregate synthetic per-unit data of a two-variant experiment, for a conversion
//! (proportion) metric and a winsorized CUPED revenue (mean) metric.
//!
//! `cargo run --release --example aggregate_throughput -p retail-experiment [-- UNITS]`

use std::time::Instant;

use retail_experiment::aggregate::{Exposure, Metric, MetricKind, UnitValues, aggregate};

const DEFAULT_UNITS: u32 = 10_000_000;

/// xorshift64*: enough randomness for synthetic data, and no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponentially distributed with the given mean: order values have a long right tail.
    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }
}

fn main() {
    let units: u32 =
        std::env::args().nth(1).map_or(DEFAULT_UNITS, |n| n.parse().expect("UNITS must be a whole number"));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // Every unit exposed once; 5 % logged again in the same variant, 0.5 % also in the other.
    let mut exposures: Vec<Exposure> = Vec::with_capacity(units as usize * 106 / 100);
    for unit in 0..units {
        let variant = (rng.next() & 1) as u32;
        exposures.push(Exposure { unit, variant });
        let repeat = rng.uniform();
        if repeat < 0.05 {
            exposures.push(Exposure { unit, variant });
        } else if repeat < 0.055 {
            exposures.push(Exposure { unit, variant: 1 - variant });
        }
    }
    // A log is in time order, not unit order.
    for i in (1..exposures.len()).rev() {
        exposures.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }

    // 10 % of units order in the period, loyal ones more and for more; most have no data at all.
    let values: Vec<UnitValues> = (0..units)
        .map(|_| {
            let loyalty = rng.uniform();
            let spend = |rng: &mut Rng| {
                if rng.uniform() < 0.05 + 0.1 * loyalty { rng.exponential(150.0 * (1.0 + 2.0 * loyalty)) } else { 0.0 }
            };
            let pre = spend(&mut rng);
            UnitValues { value: spend(&mut rng), denominator: 0.0, pre }
        })
        .collect();

    let metrics = [
        ("conversion (proportion)", Metric { kind: MetricKind::Proportion, winsorize: None, cuped: false }),
        (
            "revenue (CUPED mean, winsorized at 0.99)",
            Metric { kind: MetricKind::Mean, winsorize: Some(0.99), cuped: true },
        ),
    ];
    println!("{units} units, {} exposures", exposures.len());
    for (name, metric) in metrics {
        let started = Instant::now();
        let result = aggregate(&metric, 2, &exposures, &values).expect("synthetic data is valid");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name}: {seconds:.3} s; units per variant {:?}, {} exposed to both, caps {:?}",
            result.units_per_variant(),
            result.multiple_exposures.units,
            result.caps
        );
    }
}
