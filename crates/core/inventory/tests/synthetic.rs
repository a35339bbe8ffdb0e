//! Forecast-driven (R,S) against an ERP min/max rule on a synthetic seasonal series: at an equal
//! fill rate, ours should hold less stock.

use std::f64::consts::PI;
use std::time::Instant;

use retail_inventory::{
    Costs, DemandView, LeadTimes, Policy, SimConfig, SimReport, compare_at_equal_fill_rate, simulate,
};

/// A 64-bit linear congruential generator (Knuth's MMIX constants): deterministic noise.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly standard normal: the sum of four uniforms, centred and scaled to variance 1.
    fn noise(&mut self) -> f64 {
        let sum: f64 = (0..4).map(|_| self.uniform()).sum();
        (sum - 2.0) * 3f64.sqrt()
    }
}

const WEEK: [f64; 7] = [0.8, 0.85, 0.9, 1.0, 1.15, 1.4, 0.9];
const WARMUP: usize = 56;
const DAYS: usize = WARMUP + 730;
const LEAD: u32 = 3;
const REVIEW: u32 = 7;

/// 20 a day on average, a weekly pattern, a yearly swing of ±40 % and 25 % noise; whole units.
fn series(seed: u64) -> Vec<f64> {
    let mut rng = Lcg(seed);
    (0..DAYS)
        .map(|t| {
            let mean = 20.0 * WEEK[t % 7] * (1.0 + 0.4 * (2.0 * PI * t as f64 / 365.0).sin());
            (mean * (1.0 + 0.25 * rng.noise())).round().max(0.0)
        })
        .collect()
}

/// A seasonal moving average: the last 28 days' level times weekday factors from the last 56 days;
/// the error is the in-sample residual spread of the same fit.
fn seasonal_moving_average(day: usize, history: &[f64]) -> DemandView {
    let recent = &history[history.len().saturating_sub(28)..];
    let level = recent.iter().sum::<f64>() / recent.len() as f64;
    let start = history.len().saturating_sub(56);
    let window = &history[start..];
    let overall = window.iter().sum::<f64>() / window.len() as f64;
    let mut factor = [1.0; 7];
    if window.len() >= 14 && overall > 0.0 {
        for (w, f) in factor.iter_mut().enumerate() {
            let (sum, n) =
                (start..history.len()).filter(|i| i % 7 == w).fold((0.0, 0.0), |(s, n), i| (s + history[i], n + 1.0));
            *f = sum / n / overall;
        }
    }
    let residual =
        (start..history.len()).map(|i| (history[i] - level * factor[i % 7]).powi(2)).sum::<f64>() / window.len() as f64;
    let mean_per_day = (0..(LEAD + REVIEW + 7) as usize).map(|k| level * factor[(day + 1 + k) % 7]).collect();
    DemandView { mean_per_day, error_std_per_day: residual.sqrt() }
}

fn config(service_level: f64) -> SimConfig {
    SimConfig {
        initial_on_hand: 200.0,
        lead_time: LeadTimes::Fixed(LEAD),
        review_days: REVIEW,
        service_level,
        pack_size: 6,
        moq_units: 0,
        costs: Costs {
            unit_cost: 5.0,
            unit_price: 8.0,
            holding_rate_per_year: 0.25,
            ordering_cost: 20.0,
            lost_sale_cost: None,
        },
        warmup_days: WARMUP,
    }
}

#[test]
fn forecast_driven_r_s_holds_less_than_min_max_at_equal_fill_rate() {
    let items: Vec<Vec<f64>> = (1..=5).map(|seed| series(seed * 7919)).collect();
    let levels = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999];
    let started = Instant::now();
    let mut runs = 0;
    let ours: Vec<SimReport> = levels
        .iter()
        .map(|&level| {
            let reports: Vec<SimReport> = items
                .iter()
                .map(|demand| {
                    runs += 1;
                    simulate(demand, &config(level), &Policy::PeriodicRs, seasonal_moving_average).unwrap()
                })
                .collect();
            SimReport::aggregate(&reports)
        })
        .collect();
    let elapsed = started.elapsed();
    // ERP min/max from each item's average daily demand over the whole series (generous to it), with
    // max = min + one review period of demand, swept over the days of cover beyond lead time; checked
    // on the same weekly schedule as ours, and nightly as ERP MRP runs usually do.
    let cover: Vec<f64> = (0..=40).map(|k| f64::from(k) * 0.5).collect();
    let sweep = |review_days: u32| -> Vec<SimReport> {
        cover
            .iter()
            .map(|&days| {
                let reports: Vec<SimReport> = items
                    .iter()
                    .map(|demand| {
                        let mean = demand.iter().sum::<f64>() / demand.len() as f64;
                        let policy = Policy::min_max_from_history(mean, f64::from(LEAD), days, f64::from(REVIEW));
                        let config = SimConfig { review_days, ..config(0.95) };
                        simulate(demand, &config, &policy, |_, _| unreachable!()).unwrap()
                    })
                    .collect();
                SimReport::aggregate(&reports)
            })
            .collect()
    };
    let weekly = sweep(REVIEW);
    let nightly = sweep(0);

    println!("ours (R,S), seasonal moving average, by service level:");
    for (level, r) in levels.iter().zip(&ours) {
        println!("  {level:<6} fill {:.4}  avg on hand {:7.1}  orders {}", r.fill_rate, r.avg_on_hand, r.orders);
    }
    for (name, baseline) in [("weekly", &weekly), ("nightly", &nightly)] {
        println!("min/max checked {name}, by days of cover beyond lead time:");
        for (days, r) in cover.iter().zip(baseline).step_by(2).take(10) {
            println!("  {days:<6} fill {:.4}  avg on hand {:7.1}  orders {}", r.fill_rate, r.avg_on_hand, r.orders);
        }
    }
    println!(
        "{runs} simulations of {DAYS} days with the forecaster in {:?} ({:.0} µs each)",
        elapsed,
        elapsed.as_secs_f64() * 1e6 / runs as f64
    );
    for (name, baseline) in [("weekly", &weekly), ("nightly", &nightly)] {
        for target in [0.97, 0.98, 0.99] {
            let c = compare_at_equal_fill_rate(&ours, baseline, target).unwrap();
            println!(
                "at a {:.0} % fill rate ours holds {:.1} units, min/max ({name}) holds {:.1} units ({:.1} % less)",
                target * 100.0,
                c.ours_avg_on_hand,
                c.baseline_avg_on_hand,
                100.0 * c.reduction().unwrap()
            );
            assert!(c.ours_avg_on_hand < c.baseline_avg_on_hand, "{name}: {c:?}");
        }
    }
}
