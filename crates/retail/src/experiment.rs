//! `retail experiment …`: the same experiment operations the API and console offer.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use retail_app::Platform;
use retail_app::experiments::{self, Change, NewExperiment, Verdict};
use retail_app::simulate::{self, TrafficPlan};

use crate::{bar, print_table, when};

#[derive(Subcommand)]
pub enum ExperimentCommand {
    /// Create a draft experiment from a JSON definition (a file, or - for standard input).
    Create { file: PathBuf },
    /// List experiments with their status.
    List,
    /// Start a draft experiment: units are assigned and exposures logged from now on.
    Start { key: String },
    /// Stop a running experiment: its results freeze at this moment.
    Stop { key: String },
    /// Ship a variant to everyone.
    Ship { key: String, variant: String },
    /// Change the share of traffic in the experiment (ramp-up), 0 to 1.
    Coverage { key: String, coverage: f64 },
    /// Analyse the experiment: traffic, SRM, every metric, the verdict.
    Results {
        key: String,
        /// Print the full results as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send simulated storefront traffic through a running recommendation experiment.
    Simulate {
        key: String,
        #[command(flatten)]
        traffic: TrafficArgs,
    },
}

/// How much simulated traffic to send.
#[derive(clap::Args)]
pub struct TrafficArgs {
    /// Distinct customers who visit.
    #[arg(long, default_value_t = 3000)]
    customers: usize,
    /// Days, ending now, the visits are spread over.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// Mean visits per customer over the period.
    #[arg(long, default_value_t = 3.0)]
    visits: f64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Plays the demo world's customers against the recommendation service, with a progress bar, and
/// prints the traffic report as JSON.
pub async fn simulate(
    platform: &Platform,
    experiment: Option<String>,
    strategy: Option<String>,
    traffic: TrafficArgs,
) -> Result<()> {
    let TrafficArgs { customers, days, visits, seed } = traffic;
    let plan = TrafficPlan { experiment, strategy, customers, days, visits_per_customer: visits, seed };
    let pb = bar(0, "{spinner} [{elapsed_precise}] {bar:40} visit {pos}/{len}");
    let r = simulate::run(platform, &plan, &mut |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })
    .await?;
    pb.finish_and_clear();
    println!("{}", serde_json::to_string(&r)?);
    Ok(())
}

pub async fn run(platform: &Platform, command: ExperimentCommand) -> Result<()> {
    match command {
        ExperimentCommand::Create { file } => {
            let text = crate::read_input(&file)?;
            let input: NewExperiment =
                serde_json::from_str(&text).with_context(|| format!("{}: not a valid experiment", file.display()))?;
            let e = experiments::create(platform, input, "cli").await?;
            println!("experiment {} created as a draft; start it with `retail experiment start {}`", e.key, e.key);
        }
        ExperimentCommand::List => {
            let rows = experiments::list(platform)
                .await?
                .into_iter()
                .map(|e| {
                    let variants: Vec<String> = e
                        .definition
                        .assignment
                        .variants
                        .iter()
                        .map(|v| format!("{} {:.0}%", v.key, v.weight * 100.0))
                        .collect();
                    vec![e.key, e.status.to_string(), variants.join(", "), when(e.started_at), when(e.stopped_at)]
                })
                .collect();
            print_table(&["key", "status", "variants", "started", "stopped"], rows);
        }
        ExperimentCommand::Start { key } => report(experiments::change(platform, &key, Change::Start).await?),
        ExperimentCommand::Stop { key } => report(experiments::change(platform, &key, Change::Stop).await?),
        ExperimentCommand::Ship { key, variant } => {
            report(experiments::change(platform, &key, Change::Ship { variant }).await?)
        }
        ExperimentCommand::Coverage { key, coverage } => {
            report(experiments::change(platform, &key, Change::SetCoverage { coverage }).await?)
        }
        ExperimentCommand::Results { key, json } => {
            let r = experiments::results(platform, &key).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            print_results(&r);
        }
        ExperimentCommand::Simulate { key, traffic } => simulate(platform, Some(key), None, traffic).await?,
    }
    Ok(())
}

fn report(e: experiments::ExperimentView) {
    println!("experiment {} is now {}", e.key, e.status);
}

fn print_results(r: &experiments::Results) {
    println!("experiment {} ({}), analysed until {}", r.key, r.status, when(Some(r.until)));
    let rows = r
        .traffic
        .iter()
        .map(|t| {
            vec![t.variant.clone(), format!("{:.1}%", t.weight * 100.0), t.units.to_string(), t.exposures.to_string()]
        })
        .collect();
    print_table(&["variant", "planned", "units", "exposures"], rows);
    if let Some(srm) = &r.srm {
        println!("sample ratio check: p = {:.4}{}", srm.p_value, if srm.mismatch { "  MISMATCH" } else { "" });
    }
    if r.multiple_exposure_units > 0 {
        println!("{} units saw several variants and are left out", r.multiple_exposure_units);
    }
    let mut rows = Vec::new();
    for m in &r.metrics {
        for c in &m.comparisons {
            rows.push(vec![
                format!("{} ({:?})", m.metric.as_str(), m.role).to_lowercase(),
                c.variant.clone(),
                format!("{:+.2}%", c.lift * 100.0),
                format!("[{:+.2}%, {:+.2}%]", c.lower * 100.0, c.upper * 100.0),
                c.adjusted_p_value.or(c.p_value).map_or("-".into(), |p| format!("{p:.2e}")),
                format!("{:.1}%", c.chance_to_win * 100.0),
            ]);
        }
        if let Some(problem) = &m.problem {
            rows.push(vec![
                m.metric.as_str().into(),
                "-".into(),
                problem.clone(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    print_table(&["metric", "variant", "lift", "interval", "p", "chance to win"], rows);
    println!("verdict: {}", verdict_text(&r.verdict));
}

pub fn verdict_text(v: &Verdict) -> String {
    match v {
        Verdict::SampleRatioMismatch { p_value } => format!(
            "the units are not split as planned (SRM p = {p_value:.1e}); find the cause before trusting any result"
        ),
        Verdict::NotEnoughData => "not enough data yet to compare the variants".into(),
        Verdict::Winner { variant, metric, lift } => {
            format!("{variant} wins on {} ({:+.1}%), with no guardrail harmed", metric.as_str(), lift * 100.0)
        }
        Verdict::WinnerWithHarm { variant, metric, lift, guardrail } => format!(
            "{variant} wins on {} ({:+.1}%) but harms the guardrail {}",
            metric.as_str(),
            lift * 100.0,
            guardrail.as_str()
        ),
        Verdict::ControlBetter { metric } => format!("the control beats every variant on {}", metric.as_str()),
        Verdict::Inconclusive { units } => format!("no decisive difference yet after {units} units; keep it running"),
    }
}
