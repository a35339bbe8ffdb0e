//! `retail eval intent` and `retail eval sentiment`: the assistant's language models measured on
//! labelled CSV files (../shared/EVAL.md). With `--train` the algorithm is trained on that file;
//! with `--model builtin` the shipped model (trained from the project's own retail examples) is
//! scored as it is.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use retail_language::builtin::parse_csv;
use retail_language::classify::{Example, IntentClassifier, OUT_OF_SCOPE_LABELS, TrainOptions};
use retail_language::metrics::{Scores, score};
use retail_language::sentiment::SentimentModel;
use serde_json::json;

use crate::eval::emit;

#[derive(Args)]
pub struct LanguageArgs {
    /// Training file (csv with a header; `text` and the label column; other columns ignored)
    #[arg(long, conflicts_with = "model")]
    train: Option<PathBuf>,
    /// `builtin`: score the shipped model instead of training one
    #[arg(long)]
    model: Option<String>,
    /// Test file, same columns
    #[arg(long)]
    test: PathBuf,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

/// `(text, label)` rows of a labelled file; errors name the file, the record and the problem.
fn read_labelled(path: &Path, label: &str) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let records = parse_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let Some((header, rows)) = records.split_first() else { bail!("{}: empty file", path.display()) };
    let column = |name: &str| {
        header.iter().position(|h| h.trim() == name).with_context(|| {
            format!("{}: line 1: no `{name}` column (the header has {})", path.display(), header.join(", "))
        })
    };
    let (t, l) = (column("text")?, column(label)?);
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let (Some(text), Some(value)) = (row.get(t), row.get(l)) else {
            bail!("{}: record {}: has {} fields; the header has {}", path.display(), i + 2, row.len(), header.len());
        };
        if value.trim().is_empty() {
            bail!("{}: record {}: empty `{label}`", path.display(), i + 2);
        }
        out.push((text.clone(), value.trim().to_string()));
    }
    if out.is_empty() {
        bail!("{}: no rows after the header", path.display());
    }
    Ok(out)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Predicts every test text, timing each; returns predictions and the p50/p99 latency in ms.
fn timed<T>(texts: &[(String, String)], predict: impl Fn(&str) -> T) -> (Vec<T>, f64, f64) {
    let mut ms = Vec::with_capacity(texts.len());
    let mut out = Vec::with_capacity(texts.len());
    for (text, _) in texts {
        let started = Instant::now();
        out.push(predict(text));
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
    (out, p50, p99)
}

fn report(scores: &Scores, train_s: f64, model: &str, p50: f64, p99: f64) -> serde_json::Value {
    let mut out = json!({
        "accuracy": scores.accuracy,
        "macro_f1": scores.macro_f1,
        "examples": scores.examples,
        "train_s": train_s,
        "p50_ms": p50,
        "p99_ms": p99,
        "model": model,
    });
    if let (Some(a), Some(r)) = (scores.in_scope_accuracy, scores.oos_recall) {
        out["in_scope_accuracy"] = json!(a);
        out["oos_recall"] = json!(r);
    }
    out
}

fn check_model(model: &Option<String>, train: &Option<PathBuf>) -> Result<()> {
    match (model.as_deref(), train) {
        (Some("builtin"), None) | (None, Some(_)) => Ok(()),
        (Some(other), _) => bail!("unknown model {other:?}; the only one is builtin"),
        (None, None) => bail!("pass --train FILE to train on it, or --model builtin"),
    }
}

pub fn intent(args: LanguageArgs) -> Result<()> {
    check_model(&args.model, &args.train)?;
    let test = read_labelled(&args.test, "intent")?;
    let started = Instant::now();
    let (trained, name);
    let model: &IntentClassifier = match &args.train {
        Some(path) => {
            let rows = read_labelled(path, "intent")?;
            eprintln!("training on {} examples of {}", rows.len(), path.display());
            let examples: Vec<Example> = rows.into_iter().map(|(text, label)| Example { text, label }).collect();
            let options = TrainOptions { seed: args.seed, ..TrainOptions::default() };
            trained = IntentClassifier::train(&examples, &options).map_err(|e| anyhow::anyhow!("{e}"))?;
            name = "trained";
            &trained
        }
        None => {
            name = "builtin";
            retail_language::builtin::intents()
        }
    };
    let train_s = started.elapsed().as_secs_f64();
    // Without an out-of-scope label to learn from, the task is closed-set (as Banking77's published
    // figures are): the best intent is the answer, not a rejection the labels have no name for.
    let open_set = model.labels().iter().any(|l| OUT_OF_SCOPE_LABELS.contains(&l.as_str()));
    let (predicted, p50, p99) = timed(&test, |t| {
        let p = model.predict(t);
        if open_set { p.label } else { p.ranked.first().map_or(p.label, |(best, _)| best.clone()) }
    });
    let truth: Vec<String> = test.iter().map(|(_, l)| l.clone()).collect();
    let scores = score(&truth, &predicted);
    eprintln!(
        "intent accuracy {:.2} % on {} examples (macro F1 {:.3}); p99 {:.2} ms",
        scores.accuracy * 100.0,
        scores.examples,
        scores.macro_f1,
        p99
    );
    let mut out = report(&scores, train_s, name, p50, p99);
    out["open_set"] = json!(open_set);
    emit(args.json, &out);
    Ok(())
}

fn polarity(path: &Path, rows: Vec<(String, String)>) -> Result<Vec<(String, bool)>> {
    rows.into_iter()
        .enumerate()
        .map(|(i, (text, label))| match label.as_str() {
            "1" => Ok((text, true)),
            "0" => Ok((text, false)),
            other => bail!("{}: record {}: label {other:?} is not 1 (positive) or 0 (negative)", path.display(), i + 2),
        })
        .collect()
}

pub fn sentiment(args: LanguageArgs) -> Result<()> {
    check_model(&args.model, &args.train)?;
    let test = polarity(&args.test, read_labelled(&args.test, "label")?)?;
    let started = Instant::now();
    let (trained, name);
    let model: &SentimentModel = match &args.train {
        Some(path) => {
            let rows = polarity(path, read_labelled(path, "label")?)?;
            eprintln!("training on {} reviews of {}", rows.len(), path.display());
            let options = TrainOptions { seed: args.seed, ..TrainOptions::default() };
            trained = SentimentModel::train(&rows, &options).map_err(|e| anyhow::anyhow!("{e}"))?;
            name = "trained";
            &trained
        }
        None => {
            name = "builtin";
            retail_language::builtin::sentiment()
        }
    };
    let train_s = started.elapsed().as_secs_f64();
    let as_label = |b: bool| if b { "1".to_string() } else { "0".to_string() };
    let pairs: Vec<(String, String)> = test.iter().map(|(t, b)| (t.clone(), as_label(*b))).collect();
    let (predicted, p50, p99) = timed(&pairs, |t| as_label(model.score(t).positive));
    let truth: Vec<String> = pairs.into_iter().map(|(_, l)| l).collect();
    let scores = score(&truth, &predicted);
    eprintln!(
        "sentiment accuracy {:.2} % on {} reviews (macro F1 {:.3})",
        scores.accuracy * 100.0,
        scores.examples,
        scores.macro_f1
    );
    emit(args.json, &report(&scores, train_s, name, p50, p99));
    Ok(())
}
