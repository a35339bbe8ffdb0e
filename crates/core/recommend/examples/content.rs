//! How far item attributes alone go: content similarity on an amazon-seq file and its S3-Rec attribute
//! file (`{"item_id": [attribute ids...]}`), the attribute ids as tokens, under the evaluation contract's
//! protocol.
//!
//! `cargo run --release -p retail-recommend --example content -- /work/shared/data/recsys/amazon/Beauty.txt /work/shared/data/recsys/amazon/Beauty_item2attributes.json`
//! With `--tune`, the history half-life and popularity weight are first chosen by NDCG@10 on the
//! validation items (never the test items), and the chosen configuration is the one measured on the test
//! items; otherwise the defaults are measured.

use retail_recommend::{
    ContentConfig, ContentSimilarity, DEFAULT_CUTOFFS, Format, Interactions, ItemAttributes, LeaveOneOut, Recommender,
    Target, parse_attribute_lists,
};

const USAGE: &str = "usage: content SEQUENCES ATTRIBUTES [--tune]";

fn main() {
    let mut args = std::env::args().skip(1);
    let sequences = args.next().expect(USAGE);
    let attributes = args.next().expect(USAGE);
    let tune = match args.next().as_deref() {
        None => false,
        Some("--tune") => true,
        Some(_) => panic!("{USAGE}"),
    };
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let data = Interactions::parse(Format::AmazonSeq, &read(&sequences)).unwrap_or_else(|err| panic!("{err}"));
    let attribute_text = read(&attributes);
    let lists = parse_attribute_lists(&attribute_text).unwrap_or_else(|err| panic!("{attributes}: {err}"));

    let mut catalogue = vec![ItemAttributes::default(); data.n_items()];
    for (name, tokens) in lists {
        if let Some(item) = data.item_id(name) {
            catalogue[item as usize].tokens = tokens;
        }
    }
    let described = catalogue.iter().filter(|item| !item.tokens.is_empty()).count();
    println!("{} users, {} items, {described} with attributes", data.n_users(), data.n_items());

    let split = LeaveOneOut::new(&data);
    let config = if tune { tune_content(&split, &catalogue) } else { ContentConfig::default() };
    let model = fitted(config, &split, &catalogue);
    let test = split.evaluate(&model, Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {});
    println!("content test {}  users {}  {config:?}", test, test.users);
}

fn fitted(config: ContentConfig, split: &LeaveOneOut, catalogue: &[ItemAttributes]) -> ContentSimilarity {
    let mut model = ContentSimilarity::new(config, catalogue);
    model.fit(split.train(), split.n_items());
    model
}

/// Grid search on the validation items; returns the configuration with the best NDCG@10.
fn tune_content(split: &LeaveOneOut, catalogue: &[ItemAttributes]) -> ContentConfig {
    let mut best = (f64::NEG_INFINITY, ContentConfig::default());
    for history_half_life in [None, Some(1.0), Some(2.0)] {
        for popularity_weight in [0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0] {
            let config = ContentConfig { history_half_life, popularity_weight, ..ContentConfig::default() };
            let model = fitted(config, split, catalogue);
            let validation = split.evaluate(&model, Target::Validation, &DEFAULT_CUTOFFS, &mut |_, _| {});
            println!("validation {}  {config:?}", validation);
            let ndcg = validation.at(10).map_or(0.0, |cutoff| cutoff.ndcg);
            if ndcg > best.0 {
                best = (ndcg, config);
            }
        }
    }
    println!("chosen on validation: {:?}", best.1);
    best.1
}
