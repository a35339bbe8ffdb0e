//! `retail strategy`: list, show and write recommendation strategies, the same operations as the
//! console's strategy editor and `PUT /api/v1/recommendation-strategies/{name}`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use retail_app::Platform;
use retail_app::service::ServiceError;
use retail_app::strategies::{self, StrategyConfig};

use crate::{print_table, read_input, when};

#[derive(clap::Subcommand)]
pub enum StrategyCommand {
    /// Every strategy with its sources and weights.
    List,
    /// One strategy as JSON (the shape `put` reads).
    Show { name: String },
    /// Create a strategy, or replace one, from JSON (a file, or - for standard input): `sources`,
    /// and optionally `description`, `objectives` and `rules`.
    Put { name: String, file: PathBuf },
}

pub async fn run(platform: &Platform, command: StrategyCommand) -> Result<()> {
    match command {
        StrategyCommand::List => {
            let rows = strategies::list(platform)
                .await?
                .into_iter()
                .map(|s| {
                    let sources: Vec<String> =
                        s.config.sources.iter().map(|w| format!("{} {}", w.source.as_str(), w.weight)).collect();
                    vec![s.name, sources.join(", "), s.version.to_string(), when(s.updated_at)]
                })
                .collect();
            print_table(&["name", "sources", "version", "updated"], rows);
        }
        StrategyCommand::Show { name } => {
            let s = strategies::get(platform, &name).await?;
            println!("{}", serde_json::to_string_pretty(&s.config)?);
        }
        StrategyCommand::Put { name, file } => {
            let text = read_input(&file)?;
            let config: StrategyConfig =
                serde_json::from_str(&text).with_context(|| format!("{}: not a valid strategy", file.display()))?;
            // The command line replaces what is stored: it edits the current version, whatever it is.
            let current = match strategies::get(platform, &name).await {
                Ok(s) => s.version,
                Err(ServiceError::NotFound { .. }) => 0,
                Err(e) => return Err(e.into()),
            };
            let saved = strategies::put(platform, &name, config, current, "cli").await?;
            println!("strategy {} saved (version {})", saved.name, saved.version);
        }
    }
    Ok(())
}
