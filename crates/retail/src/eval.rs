//! `retail eval …`: each model family measured on public-format data, as
//! ../shared/EVAL.md specifies. Progress goes to standard error; with `--json`
//! the last line of standard output is one JSON object.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use retail_app::recommend::{Models, TrainingOptions, TrainingSet};
use retail_app::strategies;
use retail_experiment::stats::vectors::check_gbstats_vectors;
use retail_experiment::stats::{AaMetric, AaSimulation, simulate_aa};
use retail_recommend::{
    Als, AlsConfig, Bpr, BprConfig, Event, Format, Interactions, ItemAttributes, ItemKnn, ItemKnnConfig, LeaveOneOut,
    Popularity, PopularityConfig, Recommender, SasRec, SasRecConfig, Target, parse_attribute_lists,
};
use serde_json::json;

use crate::bar;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// The statistics engine against GrowthBook's reference numbers.
    Abtest {
        /// ab_test_vectors.json [default: <eval data>/marketing/ab_test_vectors.json]
        #[arg(long)]
        vectors: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// False-positive rates on simulated A/A experiments, with and without peeking.
    Aa {
        #[arg(long, default_value_t = 10_000)]
        runs: usize,
        #[arg(long, default_value_t = 10)]
        peeks: usize,
        /// Units per experiment, both arms together.
        #[arg(long, default_value_t = 10_000)]
        units: usize,
        /// conversion (Bernoulli 10 %) or revenue (10 % buy, log-normal spend)
        #[arg(long, default_value = "conversion")]
        metric: String,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        json: bool,
    },
    /// Forecasting models: accuracy on held-out values (sMAPE, MASE, OWA for M4).
    Forecast(crate::eval_forecast::ForecastArgs),
    /// The assistant's intent classifier: accuracy, macro F1, out-of-scope recall, latency.
    Intent(crate::eval_language::LanguageArgs),
    /// The assistant's sentiment model on reviews labelled 1 (positive) or 0 (negative).
    Sentiment(crate::eval_language::LanguageArgs),
    /// Uplift models on the Hillstrom e-mail campaign: Qini and uplift at 30 % over random splits.
    Uplift(crate::eval_uplift::UpliftArgs),
    /// The vehicle-routing engine on CVRP and VRPTW instances: gap to best-known costs, all checked.
    Routing(crate::eval_routing::RoutingArgs),
    /// Recommenders: leave-one-out, full ranking, seen items masked.
    Recommend {
        /// amazon-seq, sasrec-pairs, movielens or taobao
        #[arg(long)]
        format: String,
        #[arg(long)]
        data: PathBuf,
        /// Cut-offs, comma separated.
        #[arg(long, default_value = "10,20", value_delimiter = ',')]
        k: Vec<usize>,
        /// One model (popular, item_knn, als, bpr, sasrec) or a built-in strategy's whole pipeline
        /// (blend, the server's default) [default: blend]
        #[arg(long)]
        algo: Option<String>,
        /// Item attributes (`{"item": [attribute ids]}`, e.g. Beauty_item2attributes.json) for content similarity
        #[arg(long)]
        attributes: Option<PathBuf>,
        /// Training epochs of the sequence model (sasrec, and inside blend); 0 leaves it out of blend
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(eval_data: &std::path::Path, command: EvalCommand) -> Result<()> {
    match command {
        EvalCommand::Abtest { vectors, json } => {
            let path = vectors.unwrap_or_else(|| eval_data.join("marketing/ab_test_vectors.json"));
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))?;
            let report = check_gbstats_vectors(&value);
            for c in report.comparisons.iter().filter(|c| !c.passed) {
                eprintln!("FAILED {} {}: expected {}, got {:?}", c.name, c.field, c.expected, c.actual);
            }
            eprintln!(
                "{} of {} numbers reproduced; largest relative error {:.3e}; {} p-values that gbstats rounds to 0 stay positive",
                report.passed, report.cases, report.max_rel_error, report.survival_function_improvements
            );
            let out = json!({
                "cases": report.cases,
                "passed": report.passed,
                "max_rel_error": report.max_rel_error,
                "survival_function_improvements": report.survival_function_improvements,
            });
            emit(json, &out);
            if report.passed < report.cases {
                bail!("{} of {} reference numbers were not reproduced", report.cases - report.passed, report.cases);
            }
        }
        EvalCommand::Aa { runs, peeks, units, metric, seed, json } => {
            let metric = match metric.as_str() {
                "conversion" => AaMetric::Conversion { rate: 0.1 },
                "revenue" => AaMetric::Revenue { purchase_rate: 0.1, log_mean: 3.0, log_sd: 1.0 },
                other => bail!("unknown metric {other:?}; conversion or revenue"),
            };
            let simulation =
                AaSimulation { runs, peeks, units_per_run: units, seed, metric, ..AaSimulation::default() };
            let started = Instant::now();
            let report = simulate_aa(&simulation)?;
            let mut out = serde_json::to_value(report)?;
            out["seconds"] = json!(started.elapsed().as_secs_f64());
            eprintln!(
                "{runs} A/A runs, {peeks} peeks: fixed horizon {:.4}, fixed at every peek {:.4}, sequential {:.4}",
                report.false_positive_rate, report.peeking_false_positive_rate, report.sequential_false_positive_rate
            );
            emit(json, &out);
        }
        EvalCommand::Forecast(args) => crate::eval_forecast::run(args)?,
        EvalCommand::Intent(args) => crate::eval_language::intent(args)?,
        EvalCommand::Sentiment(args) => crate::eval_language::sentiment(args)?,
        EvalCommand::Uplift(args) => crate::eval_uplift::run(eval_data, args)?,
        EvalCommand::Routing(args) => crate::eval_routing::run(args)?,
        EvalCommand::Recommend { format, data, k, algo, attributes, epochs, json } => {
            let format: Format = format.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            if k.is_empty() || k.contains(&0) {
                bail!("--k needs positive cut-offs, e.g. 10,20");
            }
            let text = std::fs::read_to_string(&data).with_context(|| format!("cannot read {}", data.display()))?;
            let interactions =
                Interactions::parse(format, &text).map_err(|e| anyhow::anyhow!("{}: {e}", data.display()))?;
            let algo = algo.unwrap_or_else(|| retail_app::strategies::DEFAULT.to_string());
            let epochs = epochs.unwrap_or(SasRecConfig::default().epochs);
            let protocol = LeaveOneOut::new(&interactions);
            eprintln!(
                "{}: {} users, {} items, {} interactions",
                data.display(),
                interactions.n_users(),
                interactions.n_items(),
                interactions.n_interactions()
            );
            let started = Instant::now();
            let pb = bar(0, "{spinner} [{elapsed_precise}] {msg} {bar:40} {pos}/{len}");
            let show = |message: &str, done: usize, total: usize| {
                pb.set_message(message.to_string());
                pb.set_length(total as u64);
                pb.set_position(done as u64);
            };
            let (train, n_items) = (protocol.train(), protocol.n_items());
            let fitted = |mut model: Box<dyn Recommender>| {
                model.fit(train, n_items);
                model
            };
            let single: Option<Box<dyn Recommender>> = match algo.as_str() {
                "popular" => Some(fitted(Box::new(Popularity::new(PopularityConfig::default())))),
                "item_knn" => Some(fitted(Box::new(ItemKnn::new(ItemKnnConfig::default())))),
                "als" => Some(fitted(Box::new(Als::new(AlsConfig::default())))),
                "bpr" => Some(fitted(Box::new(Bpr::new(BprConfig::default())))),
                "sasrec" => {
                    let mut model = SasRec::new(SasRecConfig { epochs, ..SasRecConfig::default() });
                    model.fit_with_progress(train, n_items, &mut |epoch, total, _| show("epoch", epoch, total));
                    Some(Box::new(model))
                }
                _ => None,
            };
            let (train_s, evaluation) = match single {
                Some(model) => {
                    let train_s = started.elapsed().as_secs_f64();
                    let evaluation = protocol
                        .evaluate(model.as_ref(), Target::Test, &k, &mut |done, total| show("user", done, total));
                    (train_s, evaluation)
                }
                None => {
                    let Some((_, strategy)) = strategies::built_in().into_iter().find(|(name, _)| *name == algo) else {
                        bail!("unknown algo {algo:?}; popular, item_knn, als, bpr, sasrec or blend");
                    };
                    let n_items = interactions.n_items();
                    let set = TrainingSet {
                        n_items,
                        sequences: interactions.sequences().map(<[_]>::to_vec).collect(),
                        // No categories in these files: each item its own, so category caps never bind.
                        item_category: (0..n_items as u32).collect(),
                        attributes: item_attributes(&interactions, attributes.as_deref())?,
                        events: interactions
                            .sequences()
                            .flat_map(|s| s.iter().map(|&item| Event { item, age_days: 0.0, weight: 1.0, store: None }))
                            .collect(),
                        ..TrainingSet::default()
                    };
                    let options =
                        TrainingOptions { sequence_epochs: epochs, sequence_shoppers: 0, evaluation_users: 0 };
                    let (models, _) = Models::fit(&set, options, &[], &mut |step| show(step, 0, 1));
                    let train_s = started.elapsed().as_secs_f64();
                    show("evaluating", 0, 1);
                    (train_s, models.evaluate_strategy(&protocol, &strategy, Target::Test, &k))
                }
            };
            pb.finish_and_clear();
            let mut out = json!({
                "users": evaluation.users,
                "items": evaluation.items,
                "train_s": train_s,
                "eval_s": started.elapsed().as_secs_f64() - train_s,
                "algo": algo,
            });
            for c in &evaluation.cutoffs {
                out[format!("hr@{}", c.k)] = json!(c.hit_rate);
                out[format!("ndcg@{}", c.k)] = json!(c.ndcg);
            }
            emit(json, &out);
        }
    }
    Ok(())
}

/// Each item's attributes from an `{"item": [ids]}` file, as content tokens; none without a file.
fn item_attributes(interactions: &Interactions, path: Option<&std::path::Path>) -> Result<Vec<ItemAttributes>> {
    let mut out = vec![ItemAttributes::default(); interactions.n_items()];
    let Some(path) = path else { return Ok(out) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let lists = parse_attribute_lists(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    for (item, tokens) in lists {
        if let Some(id) = interactions.item_id(item) {
            out[id as usize].tokens = tokens;
        }
    }
    Ok(out)
}

/// The result: one JSON line with `--json`, else indented JSON.
pub(crate) fn emit(json: bool, value: &serde_json::Value) {
    if json {
        println!("{value}");
    } else {
        println!("{}", serde_json::to_string_pretty(value).expect("a JSON value serialises"));
    }
}
