//! `retail`: the platform's single binary.

mod eval;
mod eval_forecast;
mod eval_language;
mod eval_routing;
mod eval_uplift;
mod experiment;
mod plan;
mod strategy;
mod supply;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration as Days, Utc};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use retail_app::access::{Scope, create_key, list_keys, revoke_key};
use retail_app::import::{ImportFormat, ImportKind, ImportOptions};
use retail_app::users::{Role, generate_password, list_users, put_user, set_disabled, set_role, unlock};
use retail_app::{Config, Platform};

#[derive(Parser)]
#[command(
    name = "retail",
    version,
    about = "AI platform for supermarket chains and online shops",
    propagate_version = true
)]
struct Cli {
    /// Configuration file (default: ./retail.toml when present).
    #[arg(long, global = true, env = "RETAIL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// Options of every command that opens the platform.
#[derive(Args, Clone)]
struct ServiceArgs {
    /// Folder of the embedded database [default: ./data]
    #[arg(long, env = "RETAIL_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL for the scale-out mode (default: embedded SQLite).
    #[arg(long, env = "RETAIL_DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "RETAIL_BIND")]
    bind: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API server.
    Serve {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Generate the demo retail world, load it and serve it.
    Demo {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(flatten)]
        serve: ServeArgs,
        #[arg(long, default_value_t = 20)]
        stores: usize,
        #[arg(long, default_value_t = 2000)]
        skus: usize,
        #[arg(long, default_value_t = 20_000)]
        customers: usize,
        #[arg(long, default_value_t = 730)]
        days: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Only build the data; do not start the server.
        #[arg(long)]
        no_serve: bool,
        /// Delete the embedded database first and generate afresh.
        #[arg(long)]
        reset: bool,
    },
    /// Import a csv or jsonl file (streamed; all or nothing unless --partial).
    Import {
        #[command(flatten)]
        service: ServiceArgs,
        /// locations, categories, products, customers, suppliers, orders, purchase_orders, receipts, kb_articles, events, movements
        kind: String,
        file: PathBuf,
        /// csv or jsonl [default: from the file extension]
        #[arg(long)]
        format: Option<String>,
        /// Write the good rows and report the bad ones instead of refusing the file.
        #[arg(long)]
        partial: bool,
    },
    /// Apply database migrations (also done automatically on start).
    Migrate {
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Manage console users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Run A/B tests: create, start, stop, ship, analyse, simulate traffic.
    Experiment {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(subcommand)]
        command: experiment::ExperimentCommand,
    },
    /// Recommendation strategies: list, show, create or replace.
    Strategy {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(subcommand)]
        command: strategy::StrategyCommand,
    },
    /// Demand forecasts: run now (what the nightly job does), list runs, read at any level.
    Forecast {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(subcommand)]
        command: plan::ForecastCommand,
    },
    /// Replenishment suggestions: list with reasons, approve, reject, order.
    Replenish {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(subcommand)]
        command: plan::ReplenishCommand,
    },
    /// Delivery plans: plan a depot's day from the stored orders, solve a problem file, show a plan or its manifest.
    Delivery {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(subcommand)]
        command: supply::DeliveryCommand,
    },
    /// Supplier scorecards: OTIF, fill rate, quality, price index, lead time, score and band.
    Supplier {
        #[command(flatten)]
        service: ServiceArgs,
        #[command(subcommand)]
        command: supply::SupplierCommand,
    },
    /// Play the demo world's customers against the recommendations (each clicks and buys by their own
    /// taste) and log impressions, clicks, carts and purchases, so live CTR and conversion per strategy
    /// show in the console.
    Simulate {
        #[command(flatten)]
        service: ServiceArgs,
        /// A running recommendation experiment that assigns each visit's strategy.
        #[arg(long, conflicts_with = "strategy")]
        experiment: Option<String>,
        /// The strategy every visit gets [default: the server's default].
        #[arg(long)]
        strategy: Option<String>,
        #[command(flatten)]
        traffic: experiment::TrafficArgs,
    },
    /// Measure the models on public-format data (see EVAL.md).
    Eval {
        #[command(subcommand)]
        command: eval::EvalCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user or reset their role and password; prints a generated password once.
    Add {
        #[command(flatten)]
        service: ServiceArgs,
        name: String,
        /// admin, analyst, merchandiser, planner, agent or marketer
        #[arg(long)]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users: role, disabled, locked, last login.
    List {
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Change a user's role (the last enabled admin keeps theirs).
    SetRole {
        #[command(flatten)]
        service: ServiceArgs,
        name: String,
        /// admin, analyst, merchandiser, planner, agent or marketer
        role: String,
    },
    /// Disable a user and end their sessions (the last enabled admin stays).
    Disable {
        #[command(flatten)]
        service: ServiceArgs,
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        #[command(flatten)]
        service: ServiceArgs,
        name: String,
    },
    /// Lift a lock from too many failed logins.
    Unlock {
        #[command(flatten)]
        service: ServiceArgs,
        name: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an API key; prints the key once.
    Create {
        #[command(flatten)]
        service: ServiceArgs,
        /// What the key is for, e.g. the calling system.
        #[arg(long)]
        name: String,
        /// read, write or admin; repeat the option or separate with commas.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Days until the key stops working [default: never]
        #[arg(long)]
        expires_days: Option<u32>,
        /// Who the key is recorded as created by.
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// List API keys, revoked ones included.
    List {
        #[command(flatten)]
        service: ServiceArgs,
    },
    /// Revoke an API key for good.
    Revoke {
        #[command(flatten)]
        service: ServiceArgs,
        /// The key's id, as `key list` shows it.
        id: String,
    },
}

fn load_config(cli_config: Option<&PathBuf>, service: &ServiceArgs, serve: Option<&ServeArgs>) -> Result<Config> {
    let mut config = Config::load(cli_config.map(PathBuf::as_path))?;
    if let Some(d) = &service.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(u) = &service.database_url {
        config.database_url = u.clone();
    }
    if let Some(b) = serve.and_then(|s| s.bind.clone()) {
        config.bind = b;
    }
    Ok(config)
}

async fn open(config: Config) -> Result<Platform> {
    Platform::open(config).await.context("cannot open the platform")
}

#[tokio::main]
async fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RETAIL_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // One JSON object per line for log collectors; request ids ride along in the span fields.
    if std::env::var("RETAIL_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().with_current_span(true).init();
    } else {
        logs.init();
    }
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    let cfg = cli.config.as_ref();
    match cli.command {
        Command::Serve { service, serve } => {
            let platform = open(load_config(cfg, &service, Some(&serve))?).await?;
            serve_until_signal(platform).await
        }
        Command::Demo { service, serve, stores, skus, customers, days, seed, no_serve, reset } => {
            let mut config = load_config(cfg, &service, Some(&serve))?;
            if reset {
                reset_embedded(&config)?;
            }
            // The demo's sample shop signs its customers in for the chat widget.
            config.demo_shop = true;
            if config.assistant_identity_secret.is_empty() {
                config.assistant_identity_secret = generate_password();
            }
            let platform = open(config).await?;
            let demo = retail_demo::DemoConfig { stores, skus, customers, days, seed };
            run_demo(&platform, demo).await?;
            if no_serve { Ok(()) } else { serve_until_signal(platform).await }
        }
        Command::Import { service, kind, file, format, partial } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            run_import(&platform, &kind, &file, format.as_deref(), partial).await
        }
        Command::Migrate { service } => {
            let config = load_config(cfg, &service, None)?;
            let url = config.effective_database_url();
            let platform = open(config).await?;
            println!("database {} is up to date", redact(&url));
            platform.shutdown().await;
            Ok(())
        }
        Command::User { command: UserCommand::Add { service, name, role, password_stdin } } => {
            let role = parse_role(&role)?;
            let platform = open(load_config(cfg, &service, None)?).await?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (generate_password(), true)
            };
            put_user(&platform, &name, role, &password).await?;
            if generated {
                println!("user {name} ({}) password: {password}", role.as_str());
            } else {
                println!("user {name} ({}) saved", role.as_str());
            }
            Ok(())
        }
        Command::User { command: UserCommand::List { service } } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            let rows = list_users(&platform)
                .await?
                .into_iter()
                .map(|u| {
                    vec![
                        u.username,
                        u.role.as_str().to_string(),
                        if u.disabled { "yes" } else { "no" }.to_string(),
                        when(u.locked_until),
                        when(u.last_login_at),
                    ]
                })
                .collect();
            print_table(&["user", "role", "disabled", "locked until", "last login"], rows);
            Ok(())
        }
        Command::User { command: UserCommand::SetRole { service, name, role } } => {
            let role = parse_role(&role)?;
            let platform = open(load_config(cfg, &service, None)?).await?;
            set_role(&platform, &name, role).await?;
            println!("user {name} is now {}", role.as_str());
            Ok(())
        }
        Command::User { command: UserCommand::Disable { service, name } } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            set_disabled(&platform, &name, true).await?;
            println!("user {name} disabled; their sessions have ended");
            Ok(())
        }
        Command::User { command: UserCommand::Enable { service, name } } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            set_disabled(&platform, &name, false).await?;
            println!("user {name} enabled");
            Ok(())
        }
        Command::User { command: UserCommand::Unlock { service, name } } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            unlock(&platform, &name).await?;
            println!("user {name} unlocked");
            Ok(())
        }
        Command::Key { command: KeyCommand::Create { service, name, scopes, expires_days, by } } => {
            // Parsed before opening the platform, so a typo fails fast and touches nothing.
            let scopes = Scope::parse_list(&scopes.join(",")).map_err(anyhow::Error::msg)?;
            let expires_at = expires_days.map(|d| Utc::now() + Days::days(i64::from(d)));
            let platform = open(load_config(cfg, &service, None)?).await?;
            let (info, key) = create_key(&platform, &name, &scopes, expires_at, &by).await?;
            println!("API key {:?} created", info.name);
            println!("  id:      {}", info.id);
            println!("  scopes:  {}", scope_list(&info.scopes));
            println!("  expires: {}", info.expires_at.map_or("never".to_string(), |t| when(Some(t))));
            println!("  key:     {key}");
            eprintln!("Store the key now: it cannot be shown again.");
            Ok(())
        }
        Command::Key { command: KeyCommand::List { service } } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            let rows = list_keys(&platform)
                .await?
                .into_iter()
                .map(|k| {
                    vec![
                        k.id,
                        k.name,
                        scope_list(&k.scopes),
                        when(Some(k.created_at)),
                        k.expires_at.map_or("never".to_string(), |t| when(Some(t))),
                        when(k.last_used_at),
                        when(k.revoked_at),
                    ]
                })
                .collect();
            print_table(&["id", "name", "scopes", "created", "expires", "last used", "revoked"], rows);
            Ok(())
        }
        Command::Key { command: KeyCommand::Revoke { service, id } } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            revoke_key(&platform, &id).await?;
            println!("API key {id} revoked");
            Ok(())
        }
        Command::Experiment { service, command } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            experiment::run(&platform, command).await
        }
        Command::Strategy { service, command } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            strategy::run(&platform, command).await
        }
        Command::Forecast { service, command } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            plan::forecast(&platform, command).await
        }
        Command::Replenish { service, command } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            plan::replenish(&platform, command).await
        }
        Command::Delivery { service, command } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            supply::delivery(&platform, command).await
        }
        Command::Supplier { service, command } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            supply::supplier(&platform, command).await
        }
        Command::Simulate { service, experiment: key, strategy, traffic } => {
            let platform = open(load_config(cfg, &service, None)?).await?;
            experiment::simulate(&platform, key, strategy, traffic).await
        }
        Command::Eval { command } => {
            let config = Config::load(cfg.map(PathBuf::as_path))?;
            eval::run(&config.eval_data, command)
        }
        Command::Openapi => {
            println!("{}", retail_web::openapi_document().to_pretty_json()?);
            Ok(())
        }
    }
}

fn parse_role(role: &str) -> Result<Role> {
    Role::parse(role)
        .with_context(|| format!("unknown role {role:?}; one of {}", Role::ALL.map(Role::as_str).join(", ")))
}

fn scope_list(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

/// The text of `file`, or of standard input for `-`.
fn read_input(file: &std::path::Path) -> Result<String> {
    if file.as_os_str() == "-" {
        Ok(std::io::read_to_string(std::io::stdin())?)
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
    }
}

/// A time in tables: UTC to the minute, `-` when there is none.
fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%MZ").to_string())
}

/// Prints rows under a header, columns padded to their widest cell.
fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, &w)| format!("{c:<w$}")).collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}

fn reset_embedded(config: &Config) -> Result<()> {
    if !config.database_url.is_empty() {
        bail!("--reset only deletes the embedded database; drop the PostgreSQL database yourself");
    }
    for suffix in ["", "-wal", "-shm"] {
        let path = config.data_dir.join(format!("retail.db{suffix}"));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot delete {}", path.display())),
        }
    }
    Ok(())
}

fn bar(len: u64, template: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(ProgressStyle::with_template(template).expect("valid progress template").progress_chars("=> "));
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

/// Weeks of nightly forecast runs the demo replays after loading, so accuracy over time shows at once.
const DEMO_FORECAST_WEEKS: u32 = 4;

async fn run_demo(platform: &Platform, demo: retail_demo::DemoConfig) -> Result<()> {
    if retail_app::demo::has_data(platform).await? {
        eprintln!("the store already holds data; serving it as it is (use --reset to generate afresh)");
        eprintln!(
            "sign in as admin with the password printed when it was built (new one: `retail user add admin --role admin`)"
        );
        return Ok(());
    }
    eprintln!(
        "generating the demo world: {} stores, {} SKUs, {} customers, {} days (seed {})",
        demo.stores, demo.skus, demo.customers, demo.days, demo.seed
    );
    let pb = bar(demo.days as u64, "{spinner} [{elapsed_precise}] {bar:40} day {pos}/{len} · {msg}");
    let summary = retail_app::demo::load_demo(platform, demo, |p| {
        pb.set_position(p.days_done);
        pb.set_message(format!("{} rows", p.rows));
    })
    .await?;
    pb.finish_and_clear();
    let a = &summary.applied;
    eprintln!(
        "demo world loaded in {:.1} s: {} locations, {} products, {} customers, {} documents, {} ledger rows, {} events",
        summary.seconds, summary.locations, summary.products, summary.customers, a.inserted, a.ledger_rows, a.events
    );
    if let Some(day) = summary.deliver_on {
        eprintln!(
            "supply chain: {} transfer orders due {day} and that day's home deliveries wait to be planned \
             (/console/delivery); {} vehicles, {} supplier contracts",
            summary.transfer_orders, summary.vehicles, summary.contracts
        );
    }
    let pb = bar(DEMO_FORECAST_WEEKS as u64 + 1, "{spinner} [{elapsed_precise}] {bar:40} forecast run {pos}/{len}");
    let runs = retail_app::planning::backfill(platform, DEMO_FORECAST_WEEKS, "demo", || pb.inc(1)).await?;
    pb.finish_and_clear();
    if let Some(last) = runs.last() {
        eprintln!(
            "forecast: {} series from {} weekly runs, {} replenishment suggestions waiting",
            last.series,
            runs.len(),
            last.suggestions.proposed + last.suggestions.exceptions
        );
    }
    let now = Utc::now();
    let recent = retail_app::assistant::demo::seed_recent_orders(platform, now, 6).await?;
    let pb = bar(14, "{spinner} [{elapsed_precise}] {bar:40} customer-service day {pos}/{len}");
    let chats = retail_app::assistant::demo::replay_conversations(platform, now, 14, || pb.inc(1)).await?;
    pb.finish_and_clear();
    eprintln!(
        "customer service: {} recent orders to ask about, {chats} conversations over the last 14 days",
        recent.len()
    );
    let pb = bar(8, "{spinner} [{elapsed_precise}] {bar:40} marketing {pos}/{len}");
    let marketing = retail_app::marketing::demo::seed(platform, now, || pb.inc(1)).await?;
    pb.finish_and_clear();
    eprintln!(
        "marketing: {} segments; last round's win-back sent {} messages and {} orders followed; uplift model Qini {}; \
         this round's win-back is planned by it with {} messages to preview and launch",
        marketing.segments,
        marketing.messages_sent,
        marketing.orders_placed,
        marketing.model_qini.map_or("n/a".to_string(), |q| format!("{q:.3}")),
        marketing.next_campaign_messages
    );
    let password = generate_password();
    put_user(platform, "admin", Role::Admin, &password).await?;
    eprintln!("admin login: admin / {password}");
    let password = generate_password();
    put_user(platform, "agent", Role::Agent, &password).await?;
    eprintln!("customer-service agent login: agent / {password}  (chat as a customer at /shop)");
    let password = generate_password();
    put_user(platform, "marketer", Role::Marketer, &password).await?;
    eprintln!("marketer login: marketer / {password}");
    let password = generate_password();
    put_user(platform, "planner", Role::Planner, &password).await?;
    eprintln!("planner login: planner / {password}  (delivery planning, supplier scorecards, costs)");
    Ok(())
}

async fn run_import(
    platform: &Platform,
    kind: &str,
    file: &PathBuf,
    format: Option<&str>,
    partial: bool,
) -> Result<()> {
    let kind = ImportKind::parse(kind)
        .with_context(|| format!("unknown kind {kind:?}; one of {}", ImportKind::names().join(", ")))?;
    let format = match format {
        Some(f) => ImportFormat::parse(f).with_context(|| format!("unknown format {f:?}; csv or jsonl"))?,
        None => ImportFormat::from_path(file).with_context(|| {
            format!("{}: cannot tell the format from the extension; pass --format csv|jsonl", file.display())
        })?,
    };
    let reader = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let size = reader.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = bar(size, "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} · {msg}");
    let progress_bar = pb.clone();
    let progress: retail_app::import::ProgressFn = Arc::new(move |p| {
        progress_bar.set_position(p.bytes);
        progress_bar.set_message(format!("{} records", p.records));
    });
    let options = ImportOptions { partial, ..ImportOptions::new(format) };
    let report = retail_app::import::import(platform, kind, Box::new(reader), options, progress).await?;
    pb.finish_and_clear();
    for e in &report.errors {
        let field = e.field.as_deref().map(|f| format!(" {f}:")).unwrap_or_default();
        eprintln!("{}:{}:{field} {}", file.display(), e.line, e.message);
    }
    if report.error_count > report.errors.len() as u64 {
        eprintln!("… and {} more errors", report.error_count - report.errors.len() as u64);
    }
    println!("{}", serde_json::to_string(&report)?);
    if report.error_count > 0 && !partial {
        bail!("{}: {} bad rows; nothing was imported", file.display(), report.error_count);
    }
    Ok(())
}

async fn serve_until_signal(platform: Platform) -> Result<()> {
    let platform = Arc::new(platform);
    let bind = platform.config.bind.clone();
    let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    eprintln!("serving on http://{addr}  (console: http://{addr}/console, API docs: http://{addr}/docs)");
    if platform.config.demo_shop {
        eprintln!("sample shop with the chat widget: http://{addr}/shop");
    }
    let shutdown = async {
        // Ctrl-C in a terminal, SIGTERM from a service manager or container runtime.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { if let Some(t) = term.as_mut() { t.recv().await; } else { std::future::pending::<()>().await } } => {}
        }
        eprintln!("shutting down: finishing requests in flight");
    };
    // The first chat should not wait for the language models to train.
    drop(retail_app::assistant::spawn_warm_up());
    let training = retail_app::recommend::spawn_training(platform.clone(), platform.config.recommend_retrain_hours);
    let forecasting = retail_app::planning::spawn_schedule(platform.clone(), platform.config.forecast_every_hours);
    let sending = retail_app::marketing::delivery::spawn_sender(platform.clone());
    let routing = retail_app::logistics::delivery::spawn_solver(platform.clone());
    let served = retail_web::serve(platform.clone(), listener, shutdown).await;
    for job in [training, forecasting, sending, routing] {
        job.abort();
        let _ = job.await;
    }
    served?;
    if let Ok(platform) = Arc::try_unwrap(platform) {
        platform.shutdown().await;
    }
    Ok(())
}
