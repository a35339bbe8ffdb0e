//! Trains SASRec on a data set and measures it under the evaluation contract's protocol.
//!
//! `cargo run --release -p retail-recommend --example sasrec -- /work/shared/data/recsys/amazon/Beauty.txt`
//!
//! Arguments: the data path, optionally its format (`amazon-seq`, the default, or any other format
//! name), then configuration overrides such as `--epochs 20 --negatives 1024 --activation relu`, and:
//! - `--eval-every N`: measure on the validation items every `N` epochs (default 10; 0 never);
//! - `--validation-only`: skip the test items, for choosing hyperparameters.
//!
//! Prints each epoch's mean loss with the elapsed training time, then the test HR@10, NDCG@10 and HR@20.

use std::time::{Duration, Instant};

use retail_recommend::sasrec::Activation;
use retail_recommend::{
    DEFAULT_CUTOFFS, Evaluation, Format, Interactions, LeaveOneOut, Recommender, SasRecConfig, SasRecTraining, Target,
};

const USAGE: &str = "usage: sasrec PATH [FORMAT] [--d N] [--blocks N] [--heads N] [--max-len N] \
    [--activation relu|gelu] [--dropout X] [--learning-rate X] [--weight-decay X] [--batch-size N] [--epochs N] \
    [--negatives N] [--seed N] [--eval-every N] [--validation-only]";

struct Options {
    path: String,
    format: Format,
    config: SasRecConfig,
    eval_every: usize,
    validation_only: bool,
}

fn main() {
    let options = parse_options(std::env::args().skip(1).collect());
    let text = std::fs::read_to_string(&options.path).unwrap_or_else(|err| panic!("{}: {err}", options.path));
    let data = Interactions::parse(options.format, &text).unwrap_or_else(|err| panic!("{}: {err}", options.path));
    let split = LeaveOneOut::new(&data);
    println!("{} users, {} items, {} interactions", data.n_users(), data.n_items(), data.n_interactions());
    println!("{:?}", options.config);

    let mut training = SasRecTraining::new(options.config, split.train(), split.n_items());
    let mut trained = Duration::ZERO;
    for epoch in 1..=options.config.epochs {
        let started = Instant::now();
        let loss = training.run_epoch();
        trained += started.elapsed();
        println!("epoch {epoch:>3}/{}  loss {loss:.4}  trained {:.1}s", options.config.epochs, trained.as_secs_f64());
        if options.eval_every > 0 && (epoch % options.eval_every == 0 || epoch == options.config.epochs) {
            let started = Instant::now();
            let validation = split.evaluate(training.model(), Target::Validation, &[10], &mut |_, _| {});
            println!("  validation {}  eval {:.1}s", summary(&validation), started.elapsed().as_secs_f64());
        }
    }
    let model = training.into_model();
    if !options.validation_only {
        let started = Instant::now();
        let test = split.evaluate(&model, Target::Test, &DEFAULT_CUTOFFS, &mut |_, _| {});
        println!(
            "test {}  users {}  items {}  eval {:.1}s",
            summary(&test),
            test.users,
            model.n_items(),
            started.elapsed().as_secs_f64()
        );
    }
    println!("train {:.1}s", trained.as_secs_f64());
}

fn parse_options(args: Vec<String>) -> Options {
    let mut args = args.into_iter().peekable();
    let path = args.next().expect(USAGE);
    let format = match args.next_if(|arg| !arg.starts_with("--")) {
        Some(format) => format.parse().unwrap_or_else(|err| panic!("{err}")),
        None => Format::AmazonSeq,
    };
    let mut options = Options { path, format, config: SasRecConfig::default(), eval_every: 10, validation_only: false };
    while let Some(flag) = args.next() {
        if flag == "--validation-only" {
            options.validation_only = true;
            continue;
        }
        let value = args.next().unwrap_or_else(|| panic!("{flag} needs a value\n{USAGE}"));
        let config = &mut options.config;
        match flag.as_str() {
            "--d" => config.d = number(&flag, &value),
            "--blocks" => config.blocks = number(&flag, &value),
            "--heads" => config.heads = number(&flag, &value),
            "--max-len" => config.max_len = number(&flag, &value),
            "--activation" => {
                config.activation = match value.as_str() {
                    "relu" => Activation::Relu,
                    "gelu" => Activation::Gelu,
                    _ => panic!("--activation is relu or gelu, not {value:?}"),
                }
            }
            "--dropout" => config.dropout = number(&flag, &value),
            "--learning-rate" => config.learning_rate = number(&flag, &value),
            "--weight-decay" => config.weight_decay = number(&flag, &value),
            "--batch-size" => config.batch_size = number(&flag, &value),
            "--epochs" => config.epochs = number(&flag, &value),
            "--negatives" => config.negatives = number(&flag, &value),
            "--seed" => config.seed = number(&flag, &value),
            "--eval-every" => options.eval_every = number(&flag, &value),
            _ => panic!("unknown option {flag}\n{USAGE}"),
        }
    }
    options
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value.parse().unwrap_or_else(|_| panic!("{flag}: {value:?} is not a number"))
}

fn summary(evaluation: &Evaluation) -> String {
    let metrics: Vec<String> = evaluation
        .cutoffs
        .iter()
        .map(|c| format!("HR@{k} {:.4} NDCG@{k} {:.4}", c.hit_rate, c.ndcg, k = c.k))
        .collect();
    metrics.join("  ")
}
