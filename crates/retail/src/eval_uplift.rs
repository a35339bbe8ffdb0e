//! `retail eval uplift`: an uplift model on the Hillstrom e-mail campaign as ../shared/EVAL.md
//! specifies: random 50/50 splits of one e-mail arm plus the `No E-Mail` control, the model fitted
//! on one half and scored on the other by scikit-uplift's Qini and uplift at 30 %.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use retail_uplift::hillstrom::{self, Arm, EvalConfig, Outcome};
use retail_uplift::model::ModelKind;
use serde_json::json;

use crate::eval::emit;

#[derive(Args)]
pub struct UpliftArgs {
    /// hillstrom.csv [default: <eval data>/marketing/hillstrom.csv]
    #[arg(long)]
    data: Option<PathBuf>,
    /// The e-mail arm: "Womens E-Mail" or "Mens E-Mail"
    #[arg(long, default_value = "Womens E-Mail")]
    treatment: String,
    /// visit, conversion or spend
    #[arg(long, default_value = "visit")]
    outcome: String,
    #[arg(long, default_value_t = 10)]
    splits: usize,
    /// two_model, class_transformation, uplift_forest, or all
    #[arg(long, default_value = "two_model")]
    model: String,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

pub fn run(eval_data: &std::path::Path, args: UpliftArgs) -> Result<()> {
    let path = args.data.clone().unwrap_or_else(|| eval_data.join("marketing/hillstrom.csv"));
    let arm: Arm = args.treatment.parse().map_err(|e| anyhow::anyhow!("--treatment: {e}"))?;
    let outcome: Outcome = args.outcome.parse().map_err(|e| anyhow::anyhow!("--outcome: {e}"))?;
    if !(1..=100).contains(&args.splits) {
        bail!("--splits must be between 1 and 100");
    }
    let models: Vec<ModelKind> = if args.model == "all" {
        ModelKind::ALL.to_vec()
    } else {
        vec![args.model.parse().map_err(|e| anyhow::anyhow!("--model: {e}"))?]
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let data = hillstrom::parse(&text, arm, outcome).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    eprintln!("{}: {} customers ({} vs {})", path.display(), data.len(), args.treatment, hillstrom::CONTROL_SEGMENT);
    let mut rows = Vec::new();
    for model in models {
        let started = Instant::now();
        let config = EvalConfig { splits: args.splits, seed: args.seed, model, ..EvalConfig::default() };
        let report = hillstrom::evaluate(&data, &config).map_err(|e| anyhow::anyhow!("{}: {e}", model.name()))?;
        let seconds = started.elapsed().as_secs_f64();
        eprintln!(
            "{:<22} qini {:.4} ± {:.4}   uplift@30 % {:.4} ± {:.4}   {:.1} s",
            model.name(),
            report.qini.mean,
            report.qini.std,
            report.uplift_at_30.mean,
            report.uplift_at_30.std,
            seconds
        );
        // EVAL.md's keys carry the means; the spread and every split's value sit beside them.
        rows.push(json!({
            "model": model.name(), "splits": report.splits,
            "qini": report.qini.mean, "qini_std": report.qini.std, "qini_values": report.qini.values,
            "uplift_at_30": report.uplift_at_30.mean, "uplift_at_30_std": report.uplift_at_30.std,
            "uplift_at_30_values": report.uplift_at_30.values,
            "treatment": args.treatment, "outcome": args.outcome, "seconds": seconds,
        }));
    }
    let out = if rows.len() == 1 { rows.remove(0) } else { json!({ "models": rows }) };
    emit(args.json, &out);
    Ok(())
}
