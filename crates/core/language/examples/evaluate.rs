//! Measures the intent and sentiment models on labelled CSV files: accuracy, macro-F1, CLINC-style
//! in-scope accuracy and out-of-scope recall, training time and prediction latency.
//!
//! ```text
//! cargo run --release -p retail-language --example evaluate -- intent TRAIN.csv [TEST.csv]
//! cargo run --release -p retail-language --example evaluate -- sentiment TRAIN.csv [TEST.csv]
//! ```
//!
//! The files need a `text` column and an `intent` or `label` column (sentiment: 1 = positive).
//! Without a test file (or with `-` for it), a deterministic 80/20 split of the training file is
//! scored. Training options can follow as `name=value`: `intent_c`, `sentiment_c`, `folds`,
//! `keep_in_scope`, `seed`.

use std::time::Instant;

use retail_language::builtin::parse_csv;
use retail_language::classify::{Example, IntentClassifier, TrainOptions};
use retail_language::metrics::score;
use retail_language::sentiment::SentimentModel;

/// (text, label) rows.
type Labelled = Vec<(String, String)>;

fn read(path: &str) -> Labelled {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let rows = parse_csv(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let header = &rows[0];
    let column = |names: &[&str]| {
        header.iter().position(|h| names.contains(&h.as_str())).unwrap_or_else(|| panic!("{path}: no {names:?} column"))
    };
    let (text_at, label_at) = (column(&["text"]), column(&["intent", "label"]));
    rows[1..].iter().map(|r| (r[text_at].clone(), r[label_at].clone())).collect()
}

/// Every fifth example, after a fixed shuffle, is held out.
fn split(rows: Labelled) -> (Labelled, Labelled) {
    let mut keyed: Vec<(u64, (String, String))> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| ((i as u64 ^ 7).wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29), r))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    let (train, test): (Vec<_>, Vec<_>) = keyed.into_iter().enumerate().partition(|(i, _)| i % 5 != 0);
    (train.into_iter().map(|(_, (_, r))| r).collect(), test.into_iter().map(|(_, (_, r))| r).collect())
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// A model's answer: the label it gives (possibly out of scope) and its most probable trained label.
struct Answer {
    label: String,
    best: String,
}

fn format_option(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.4}"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: evaluate intent|sentiment TRAIN.csv [TEST.csv|-] [name=value...]";
    let (task, train_path) = (args.get(1).expect(usage), args.get(2).expect(usage));
    let mut options = TrainOptions::default();
    for setting in args.iter().skip(4) {
        let (name, value) = setting.split_once('=').expect("options are name=value");
        let number: f64 = value.parse().expect("option values are numbers");
        match name {
            "intent_c" => options.intent_c = number,
            "sentiment_c" => options.sentiment_c = number,
            "folds" => options.folds = number as usize,
            "keep_in_scope" => options.keep_in_scope = number,
            "seed" => options.seed = number as u64,
            _ => panic!("unknown option {name}"),
        }
    }
    let rows = read(train_path);
    let (train, test) = match args.get(3).filter(|path| *path != "-") {
        Some(path) => (rows, read(path)),
        None => split(rows),
    };
    println!("{task}: {} training, {} test examples", train.len(), test.len());
    let started = Instant::now();
    let predict: Box<dyn Fn(&str) -> Answer> = match task.as_str() {
        "intent" => {
            let examples: Vec<Example> = train.into_iter().map(|(text, label)| Example { text, label }).collect();
            let model = IntentClassifier::train(&examples, &options).expect("train");
            println!("out-of-scope threshold {:.3}", model.threshold());
            Box::new(move |text| {
                let prediction = model.predict(text);
                Answer { best: prediction.ranked[0].0.clone(), label: prediction.label }
            })
        }
        "sentiment" => {
            let examples: Vec<(String, bool)> = train.into_iter().map(|(text, label)| (text, label == "1")).collect();
            let model = SentimentModel::train(&examples, &options).expect("train");
            Box::new(move |text| {
                let label = if model.score(text).positive { "1" } else { "0" }.to_string();
                Answer { best: label.clone(), label }
            })
        }
        _ => panic!("{usage}"),
    };
    println!("training: {:.2} s", started.elapsed().as_secs_f64());
    let mut latencies = Vec::with_capacity(test.len());
    let (mut given, mut best) = (Vec::with_capacity(test.len()), Vec::with_capacity(test.len()));
    for (text, _) in &test {
        let t = Instant::now();
        let answer = predict(text);
        latencies.push(t.elapsed().as_secs_f64() * 1e6);
        given.push(answer.label);
        best.push(answer.best);
    }
    latencies.sort_by(f64::total_cmp);
    let truth: Vec<String> = test.into_iter().map(|(_, label)| label).collect();
    let scores = score(&truth, &given);
    println!(
        "accuracy {:.4}  macro-F1 {:.4}  in-scope accuracy {}  out-of-scope recall {}",
        scores.accuracy,
        scores.macro_f1,
        format_option(scores.in_scope_accuracy),
        format_option(scores.oos_recall),
    );
    if task == "intent" {
        let unthresholded = score(&truth, &best);
        println!(
            "most probable intent, no out-of-scope threshold: accuracy {:.4}  macro-F1 {:.4}  in-scope accuracy {}",
            unthresholded.accuracy,
            unthresholded.macro_f1,
            format_option(unthresholded.in_scope_accuracy),
        );
    }
    println!(
        "prediction latency: p50 {:.0} µs, p99 {:.0} µs",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
}
