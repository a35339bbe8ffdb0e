//! Serving latency and memory of the recommendation models at scale. A synthetic platform (by default
//! 100,000 products in 1,000 categories and 1,000,000 shoppers with a taste for a few categories each)
//! is generated, the models are trained on it as the server trains them, then shoppers ask for a
//! 20-item list through the served pipeline (`Models::rank` with the default strategy: every source's
//! candidates, the blend, the stock and seen-item rules, the category cap): one request at a time, then
//! on every core at once. The store read of the shopper's history and the HTTP layer are not included.
//!
//! Memory is the heap the models hold, counted by the allocator. The models are trained twice, on a
//! quarter of the shoppers and on all of them: the difference is the cost of a shopper, the rest over
//! the products the cost of a product.
//!
//! `cargo run --release -p retail-app --example serving -- [--items N] [--users N] [--requests N]`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use retail_app::recommend::{Context, Models, TrainingOptions, TrainingSet};
use retail_app::strategies;
use retail_recommend::rank::Rules;
use retail_recommend::{Event, ItemAttributes, ItemId};

/// Counts the bytes allocated and not yet freed, so the models' footprint is measured, not estimated.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CATEGORIES: usize = 1_000;
const HISTORY: usize = 30;
const LIST: usize = 20;

struct Args {
    items: usize,
    users: usize,
    requests: usize,
}

fn args() -> Args {
    let mut parsed = Args { items: 100_000, users: 1_000_000, requests: 2_000 };
    let mut argv = std::env::args().skip(1);
    while let Some(flag) = argv.next() {
        let value: usize = argv.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{flag} needs a number"));
        match flag.as_str() {
            "--items" => parsed.items = value,
            "--users" => parsed.users = value,
            "--requests" => parsed.requests = value,
            _ => panic!("unknown flag {flag}; --items, --users, --requests"),
        }
    }
    parsed
}

/// `users` shoppers over `items` products: each shopper favours up to three categories (popular
/// categories more often) and, within one, popular products; 3 to 50 interactions each, spread over
/// 90 days; baskets of four.
fn world(items: usize, users: usize, seed: u64) -> TrainingSet {
    let mut rng = StdRng::seed_from_u64(seed);
    let per_category = items.div_ceil(CATEGORIES);
    let item_category: Vec<u32> = (0..items).map(|item| (item / per_category) as u32).collect();
    let attributes = (0..items)
        .map(|item| ItemAttributes {
            category: Some(item_category[item]),
            brand: Some((item % 200) as u32),
            tokens: vec![(item % 37) as u32, 37 + (item % 11) as u32],
        })
        .collect();
    let prices = (0..items).map(|item| Some(1.0 + (item % 97) as f32)).collect();
    let mut set = TrainingSet { n_items: items, item_category, attributes, prices, ..TrainingSet::default() };
    for _ in 0..users {
        let taste: [usize; 3] =
            std::array::from_fn(|_| ((rng.random::<f64>().powi(2) * CATEGORIES as f64) as usize).min(CATEGORIES - 1));
        let length = (3.0 - rng.random::<f64>().ln() * 5.0).min(50.0) as usize;
        let sequence: Vec<ItemId> = (0..length)
            .map(|_| {
                let pick = rng.random::<f64>();
                let category = taste[if pick < 0.7 {
                    0
                } else if pick < 0.9 {
                    1
                } else {
                    2
                }];
                let within = (rng.random::<f64>().powi(3) * per_category as f64) as usize;
                ((category * per_category + within).min(items - 1)) as ItemId
            })
            .collect();
        for &item in &sequence {
            let age_days = rng.random::<f32>() * 90.0;
            set.events.push(Event { item, age_days, weight: 1.0, store: Some(rng.random_range(0..20)) });
        }
        set.baskets.extend(sequence.chunks(4).map(<[ItemId]>::to_vec));
        set.sequences.push(sequence);
    }
    set
}

fn options() -> TrainingOptions {
    TrainingOptions { sequence_epochs: 1, sequence_shoppers: 20_000, evaluation_users: 0 }
}

/// Trains on `set`, drops it, and returns the models with the heap bytes live afterwards and the time taken.
fn train(set: TrainingSet) -> (Models, usize, Duration) {
    let started = Instant::now();
    let (models, _) = Models::fit(&set, options(), &strategies::built_in(), &mut |step| eprintln!("  training {step}"));
    let took = started.elapsed();
    drop(set);
    (models, LIVE_BYTES.load(Ordering::Relaxed), took)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn summary(mut latencies: Vec<Duration>) -> String {
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.9)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies[latencies.len() - 1])
    )
}

fn main() {
    let args = args();
    let quarter = args.users / 4;
    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    eprintln!("training on {} products and {quarter} shoppers", args.items);
    let (small, small_bytes, _) = train(world(args.items, quarter, 7));
    let small_models = small_bytes - baseline;
    drop(small);

    eprintln!("training on {} products and {} shoppers", args.items, args.users);
    let set = world(args.items, args.users, 7);
    let interactions: usize = set.sequences.iter().map(Vec::len).sum();
    // The histories requests are made with: the latest items of evenly spaced shoppers.
    let stride = (args.users / args.requests).max(1);
    let before_histories = LIVE_BYTES.load(Ordering::Relaxed);
    let histories: Vec<Vec<ItemId>> = (set.sequences.iter().step_by(stride).take(args.requests))
        .map(|s| s[s.len().saturating_sub(HISTORY)..].to_vec())
        .collect();
    let histories_bytes = LIVE_BYTES.load(Ordering::Relaxed) - before_histories;
    let (models, after, fit_time) = train(set);
    let full_models = after.saturating_sub(baseline + histories_bytes);
    let per_user = (full_models as f64 - small_models as f64) / (args.users - quarter) as f64;
    let per_item = (full_models as f64 - per_user * args.users as f64) / args.items as f64;

    let (_, strategy) =
        strategies::built_in().into_iter().find(|(name, _)| name == strategies::DEFAULT).expect("built in");
    // One product in ten out of stock at the shopper's store.
    let in_stock = |item: ItemId| !(item as usize * 2_654_435_761).is_multiple_of(10);
    let request = |history: &[ItemId]| {
        let rules = Rules { allowed: &in_stock, exclude: history, ..Rules::default() };
        let started = Instant::now();
        let (_, ranking) = models.rank(&strategy, history, Context { store: Some(3) }, &rules, LIST);
        assert!(!ranking.items.is_empty());
        started.elapsed()
    };
    // Warm the caches once, as a server that has been up for a while has them.
    for history in histories.iter().take(50) {
        request(history);
    }
    let one_at_a_time: Vec<Duration> = histories.iter().map(|h| request(h)).collect();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let started = Instant::now();
    let concurrent: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let request = &request;
                let histories = &histories;
                scope.spawn(move || histories.iter().skip(t).step_by(threads).map(|h| request(h)).collect::<Vec<_>>())
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    let wall = started.elapsed();

    println!("products {}, shoppers {}, interactions {interactions}", args.items, args.users);
    println!(
        "training (item-kNN, ALS, SASRec 1 epoch on 20,000 shoppers, content, trending, bundles): {:.1} s",
        fit_time.as_secs_f64()
    );
    println!(
        "models in memory: {:.1} MiB ({:.1} MiB with {quarter} shoppers): {per_item:.0} bytes per product, {per_user:.0} bytes per shopper",
        full_models as f64 / 1048576.0,
        small_models as f64 / 1048576.0
    );
    println!(
        "{LIST}-item list, strategy '{}', one request at a time ({} requests): {}",
        strategies::DEFAULT,
        one_at_a_time.len(),
        summary(one_at_a_time)
    );
    println!(
        "{LIST}-item list, {threads} threads at once ({} requests, {:.0} requests/s): {}",
        concurrent.len(),
        concurrent.len() as f64 / wall.as_secs_f64(),
        summary(concurrent)
    );
}
