//! Measures both recommenders on an amazon-seq file under the evaluation contract's protocol.
//!
//! `cargo run --release -p retail-recommend --example beauty -- /work/shared/data/recsys/amazon/Beauty.txt`
//! With `--tune`, item-kNN's hyperparameters are first chosen by NDCG@10 on the validation items (never
//! the test items), and the chosen configuration is the one measured on the test items.
//! `--similarity cosine|jaccard|lift` picks item-kNN's similarity (default cosine), tuned or not.

use std::time::Instant;

use retail_recommend::{
    DEFAULT_CUTOFFS, Format, Interactions, ItemKnn, ItemKnnConfig, LeaveOneOut, Popularity, PopularityConfig,
    Recommender, Similarity, Target,
};

const USAGE: &str = "usage: beauty PATH [--tune] [--similarity cosine|jaccard|lift]";

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect(USAGE);
    let (mut tune, mut similarity) = (false, Similarity::default());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tune" => tune = true,
            "--similarity" => {
                let name = args.next().expect(USAGE);
                similarity = Similarity::ALL.into_iter().find(|s| s.name() == name).expect(USAGE);
            }
            _ => panic!("{USAGE}"),
        }
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let data = Interactions::parse(Format::AmazonSeq, &text).unwrap_or_else(|err| panic!("{path}: {err}"));
    let split = LeaveOneOut::new(&data);
    println!("{} users, {} items, {} interactions", data.n_users(), data.n_items(), data.n_interactions());

    let item_knn =
        if tune { tune_item_knn(&split, similarity) } else { ItemKnnConfig { similarity, ..Default::default() } };
    measure("popularity", &mut Popularity::new(PopularityConfig::default()), &split);
    measure("item-knn", &mut ItemKnn::new(item_knn), &split);
}

fn measure(name: &str, model: &mut dyn Recommender, split: &LeaveOneOut) {
    let started = Instant::now();
    model.fit(split.train(), split.n_items());
    let fit_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let test = split.evaluate(model, Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {});
    let eval_s = started.elapsed().as_secs_f64();
    println!("{name:<10} test {}  fit {fit_s:.3}s  eval {eval_s:.3}s  users {}", test, test.users);
}

/// Grid search on the validation items; returns the configuration with the best NDCG@10.
fn tune_item_knn(split: &LeaveOneOut, similarity: Similarity) -> ItemKnnConfig {
    let mut best = (f64::NEG_INFINITY, ItemKnnConfig { similarity, ..Default::default() });
    for neighbours in [50, 100, 200] {
        for shrinkage in [10.0, 50.0, 100.0, 200.0] {
            for window in [Some(1), Some(3), Some(5), None] {
                for inverse_user_frequency in [false, true] {
                    for history_half_life in [None, Some(1.0), Some(2.0)] {
                        let config = ItemKnnConfig {
                            similarity,
                            neighbours,
                            shrinkage,
                            window,
                            inverse_user_frequency,
                            history_half_life,
                        };
                        let mut model = ItemKnn::new(config);
                        model.fit(split.train(), split.n_items());
                        let validation = split.evaluate(&model, Target::Validation, &DEFAULT_CUTOFFS, &mut |_, _| {});
                        println!("validation {}  {config:?}", validation);
                        let ndcg = validation.at(10).map_or(0.0, |cutoff| cutoff.ndcg);
                        if ndcg > best.0 {
                            best = (ndcg, config);
                        }
                    }
                }
            }
        }
    }
    println!("chosen on validation: {:?}", best.1);
    best.1
}
