//! The production default, a [`BlendedRecommender`], against each of its sources alone, on an amazon-seq
//! file under the evaluation contract's protocol.
//!
//! `cargo run --release -p retail-recommend --example blend -- /work/shared/data/recsys/amazon/Beauty.txt`
//! blends item-kNN and popularity. `--with als,bpr,sasrec,content` adds those sources (content needs
//! `--attributes`, the S3-Rec attribute file, e.g. `Beauty_item2attributes.json`).
//!
//! The normalisation and the weights (item-kNN's fixed at 1, the others' by one pass of coordinate
//! search) are chosen by NDCG@10 on the validation items, never the test items; the chosen blend is the
//! one measured on the test items.
//!
//! On Beauty with every source, validation chose min-max normalisation with item-kNN 1, SASRec 0.5,
//! content 0.5 and the others 0: test HR@10 0.0903, NDCG@10 0.0534, HR@20 0.1244, against item-kNN
//! alone at 0.0766, 0.0469, 0.1040. Item-kNN with popularity alone gains nothing (item-kNN already
//! falls back to popularity).

use std::collections::HashMap;
use std::time::Instant;

use rayon::prelude::*;
use retail_recommend::{
    Als, AlsConfig, Blend, BlendedRecommender, Bpr, BprConfig, ContentConfig, ContentSimilarity, DEFAULT_CUTOFFS,
    Format, Interactions, ItemAttributes, ItemId, ItemKnn, ItemKnnConfig, LeaveOneOut, Normalisation, Popularity,
    PopularityConfig, Recommender, SasRec, SasRecConfig, ScoredItem, SourceWeight, Target, parse_attribute_lists,
};

const USAGE: &str = "usage: blend SEQUENCES [--with als,bpr,sasrec,content] [--attributes ATTRIBUTES]";

/// Each source proposes this many items per shopper.
const DEPTH: usize = BlendedRecommender::DEFAULT_DEPTH;

type Source = Box<dyn Recommender + Send + Sync>;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect(USAGE);
    let (mut with, mut attributes) = (Vec::new(), None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--with" => with = args.next().expect(USAGE).split(',').map(str::to_string).collect(),
            "--attributes" => attributes = Some(args.next().expect(USAGE)),
            _ => panic!("{USAGE}"),
        }
    }
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let data = Interactions::parse(Format::AmazonSeq, &read(&path)).unwrap_or_else(|err| panic!("{path}: {err}"));
    let split = LeaveOneOut::new(&data);
    println!("{} users, {} items, {} interactions", data.n_users(), data.n_items(), data.n_interactions());

    let mut names = vec!["item-knn", "popularity"];
    let mut sources: Vec<Source> =
        vec![Box::new(ItemKnn::new(ItemKnnConfig::default())), Box::new(Popularity::new(PopularityConfig::default()))];
    for name in &with {
        let source: Source = match name.as_str() {
            "als" => Box::new(Als::new(AlsConfig::default())),
            "bpr" => Box::new(Bpr::new(BprConfig::default())),
            "sasrec" => Box::new(SasRec::new(SasRecConfig::default())),
            "content" => {
                let path = attributes.as_deref().expect("content needs --attributes");
                Box::new(ContentSimilarity::new(ContentConfig::default(), &item_attributes(&data, &read(path))))
            }
            _ => panic!("{USAGE}"),
        };
        names.push(name);
        sources.push(source);
    }
    for (name, source) in names.iter().zip(&mut sources) {
        let started = Instant::now();
        source.fit(split.train(), split.n_items());
        let fit_s = started.elapsed().as_secs_f64();
        report(name, source.as_ref(), &split, &format!("fit {fit_s:.1}s"));
    }

    let started = Instant::now();
    let blend = tune(&names, &sources, &split);
    let tune_s = started.elapsed().as_secs_f64();
    println!("chosen on validation ({tune_s:.0}s): {:?} {}", blend.normalisation, weights(&blend));
    let model = BlendedRecommender::new(sources, blend, DEPTH);
    report("blend", &model, &split, "");

    let shopper = data.sequences().find(|sequence| sequence.len() >= 5).expect("a shopper with 5 items");
    let history = &shopper[..shopper.len() - 1];
    println!("a shopper with {} items: the blend's top 5, each with the source that contributed most", history.len());
    for candidate in model.candidates(history, history).iter().take(5) {
        let because = model.blend().top_source(&candidate.contributions()).unwrap_or("-");
        println!("  {:<12} {:.3}  {because}", data.item_name(candidate.item), candidate.score);
    }
}

/// The S3-Rec attribute lists as content tokens, per item of `data`.
fn item_attributes(data: &Interactions, json: &str) -> Vec<ItemAttributes> {
    let lists = parse_attribute_lists(json).unwrap_or_else(|err| panic!("attributes: {err}"));
    let mut attributes = vec![ItemAttributes::default(); data.n_items()];
    for (name, tokens) in lists {
        if let Some(item) = data.item_id(name) {
            attributes[item as usize].tokens = tokens;
        }
    }
    attributes
}

/// Coordinate search on the validation items, per normalisation: item-kNN's weight stays 1, each other
/// source's weight in turn takes the best of a grid. Returns the blend with the best NDCG@10.
fn tune(names: &[&str], sources: &[Source], split: &LeaveOneOut) -> Blend {
    // Every source's lists for every validation history, computed once: weights are then tried on the
    // recorded lists, which blend exactly as the sources themselves would.
    let histories: Vec<&[ItemId]> = split.train().iter().filter(|train| !train.is_empty()).copied().collect();
    let replays: Vec<Source> =
        sources.iter().map(|source| Box::new(Replay::record(source.as_ref(), &histories)) as Source).collect();
    let start = Blend::new(
        names
            .iter()
            .enumerate()
            .map(|(index, name)| SourceWeight::new(*name, if index == 0 { 1.0 } else { 0.0 }))
            .collect(),
        Normalisation::default(),
    );
    let mut model = BlendedRecommender::new(replays, start.clone(), DEPTH);
    let mut validate = |blend: &Blend| {
        model.set_blend(blend.clone());
        let validation = split.evaluate(&model, Target::Validation, &DEFAULT_CUTOFFS, &mut |_, _| {});
        println!("validation {}  {:?} {}", validation, blend.normalisation, weights(blend));
        validation.at(10).map_or(0.0, |cutoff| cutoff.ndcg)
    };
    let mut best = (f64::NEG_INFINITY, start.clone());
    for normalisation in [
        Normalisation::ReciprocalRank { offset: 0.0 },
        Normalisation::ReciprocalRank { offset: 10.0 },
        Normalisation::ReciprocalRank { offset: 60.0 },
        Normalisation::MinMax,
    ] {
        let mut blend = Blend { normalisation, ..start.clone() };
        let mut ndcg = validate(&blend);
        for source in 1..names.len() {
            for weight in [0.05, 0.1, 0.2, 0.5, 1.0, 2.0] {
                let mut tried = blend.clone();
                tried.sources[source].weight = weight;
                let tried_ndcg = validate(&tried);
                if tried_ndcg > ndcg {
                    (ndcg, blend) = (tried_ndcg, tried);
                }
            }
        }
        if ndcg > best.0 {
            best = (ndcg, blend);
        }
    }
    best.1
}

/// A source's top-[`DEPTH`] lists for known histories, recorded once so that trying many blends does
/// not score the whole catalogue with every source again. Any other history is an error.
struct Replay {
    n_items: usize,
    lists: HashMap<Vec<ItemId>, Vec<ScoredItem>>,
}

impl Replay {
    fn record(source: &(dyn Recommender + Sync), histories: &[&[ItemId]]) -> Self {
        let lists =
            histories.par_iter().map(|history| (history.to_vec(), source.recommend(history, DEPTH, &[]))).collect();
        Self { n_items: source.n_items(), lists }
    }
}

impl Recommender for Replay {
    fn fit(&mut self, _train: &[&[ItemId]], _n_items: usize) {
        panic!("a replay is recorded from a fitted source, not fitted");
    }

    fn n_items(&self) -> usize {
        self.n_items
    }

    /// The recorded items with their scores; every other item is left out of the ranking.
    fn score_into(&self, history: &[ItemId], scores: &mut [f32]) {
        scores.fill(f32::NEG_INFINITY);
        for scored in &self.lists[history] {
            scores[scored.item as usize] = scored.score;
        }
    }
}

fn report(name: &str, model: &dyn Recommender, split: &LeaveOneOut, note: &str) {
    let started = Instant::now();
    let test = split.evaluate(model, Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {});
    let eval_s = started.elapsed().as_secs_f64();
    println!("{name:<10} test {}  {note} eval {eval_s:.1}s  users {}", test, test.users);
}

fn weights(blend: &Blend) -> String {
    let weights: Vec<String> =
        blend.sources.iter().map(|source| format!("{} {}", source.name, source.weight)).collect();
    weights.join(", ")
}
