//! Layered configuration: built-in defaults (the embedded mode) → `retail.toml`
//! → `RETAIL_*` environment variables → command-line flags (applied by the CLI).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Folder for the embedded database and other local state.
    pub data_dir: PathBuf,
    /// `postgres://…` for the scale-out mode; empty means SQLite under `data_dir`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// `redis://…`; empty means the in-process cache.
    pub redis_url: String,
    pub cache_max_entries: u64,
    /// `nats://…`; empty means the in-process bus over the outbox table.
    pub nats_url: String,
    /// JetStream stream that carries the platform's events; its subjects are
    /// `<stream in lower case>.<topic>`.
    pub nats_stream: String,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Largest number of items in one batch request.
    pub max_batch_items: usize,
    /// Where `retail eval` finds public data sets.
    pub eval_data: PathBuf,
    /// How long a console login lasts without activity, in hours.
    pub session_hours: u32,
    /// Mark the session cookie `Secure` (set when served over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookies: bool,
    /// Storefront requests one API key may make per minute.
    pub rate_limit_per_key_per_minute: u32,
    /// Storefront requests one client address may make per minute.
    pub rate_limit_per_ip_per_minute: u32,
    /// Hours between background retraining of the recommendation models while serving; 0 turns it off.
    pub recommend_retrain_hours: u32,
    /// Training epochs of the sequence model (SASRec); 0 leaves it out.
    pub recommend_sequence_epochs: u32,
    /// Most shoppers the sequence model trains on (an evenly spaced sample), which bounds its training
    /// time on a large platform; 0 trains on every shopper.
    pub recommend_sequence_shoppers: u32,
    /// Hours between forecast runs while serving (the nightly job at 24); 0 turns it off. A run also
    /// starts when serving begins if the newest sales are newer than the last run's.
    pub forecast_every_hours: u32,
    /// Days of daily sales each forecast learns from.
    pub forecast_history_days: u32,
    /// Days ahead each forecast covers.
    pub forecast_horizon_days: u32,
    /// The model for products that sell most days (see `retail eval forecast --model`); intermittent,
    /// new and inactive products get the models that suit them.
    pub forecast_model: String,
    /// Turn approved-by-rule suggestions (no exception) into purchase orders without a planner.
    pub replenishment_auto_order: bool,
    /// A suggestion worth more than this (minor units) waits for a planner as an exception; 0: no limit.
    pub replenishment_budget_minor: i64,
    /// What placing one purchase order costs (minor units: handling, freight booking, receiving);
    /// when set, replenishment batches orders by the economic order quantity, (s,S); 0: unknown.
    pub replenishment_ordering_cost_minor: i64,
    /// The returns and exchanges policy the assistant decides by (`[returns]` in retail.toml).
    pub returns: retail_domain::ReturnPolicy,
    /// Shared secret the shop's backend signs customer tokens with, so the assistant knows who is
    /// logged in; empty: customers prove each order with their phone number's last digits.
    pub assistant_identity_secret: String,
    /// Serve `/shop`, a sample storefront with the chat widget that signs in demo customers. Only
    /// for the demo: it hands out customer tokens to anyone.
    pub demo_shop: bool,
    /// How marketing messages leave (`[marketing]` in retail.toml).
    pub marketing: MarketingConfig,
}

/// Where each channel's messages go and the rules every campaign obeys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketingConfig {
    /// `host:port` of an SMTP relay for e-mail; empty: e-mail goes to the log adapter.
    pub smtp: String,
    /// The From of e-mails.
    pub sender: String,
    /// `http://…` gateway for SMS, app push and WeChat; empty: they go to the log adapter.
    pub webhook_url: String,
    /// The log adapter's file; relative paths are under the data folder.
    pub log_file: PathBuf,
    /// The address customers reach this server at, for unsubscribe links.
    pub public_url: String,
    /// At most this many messages a customer per `frequency_cap_days`, across campaigns.
    pub frequency_cap: u32,
    pub frequency_cap_days: u32,
    /// Local hours messages may arrive in, `[start, end)`.
    pub send_hours: [u8; 2],
}

impl Default for MarketingConfig {
    fn default() -> Self {
        Self {
            smtp: String::new(),
            sender: "Retail <noreply@retail.local>".into(),
            webhook_url: String::new(),
            log_file: PathBuf::from("messages.jsonl"),
            public_url: "http://127.0.0.1:8080".into(),
            frequency_cap: 3,
            frequency_cap_days: 7,
            send_hours: [9, 21],
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            database_max_connections: 8,
            redis_url: String::new(),
            cache_max_entries: 100_000,
            nats_url: String::new(),
            nats_stream: "RETAIL".into(),
            max_body_bytes: 16 * 1024 * 1024,
            max_batch_items: 10_000,
            eval_data: PathBuf::from("../shared/data"),
            session_hours: 12,
            secure_cookies: false,
            rate_limit_per_key_per_minute: 6000,
            rate_limit_per_ip_per_minute: 1200,
            recommend_retrain_hours: 24,
            recommend_sequence_epochs: 10,
            recommend_sequence_shoppers: 200_000,
            forecast_every_hours: 24,
            forecast_history_days: 728,
            forecast_horizon_days: 28,
            forecast_model: "theta".into(),
            replenishment_auto_order: false,
            replenishment_budget_minor: 0,
            replenishment_ordering_cost_minor: 0,
            returns: retail_domain::ReturnPolicy::default(),
            assistant_identity_secret: String::new(),
            demo_shop: false,
            marketing: MarketingConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
}

impl Config {
    /// Defaults, then `file` (or `./retail.toml` when present), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None if Path::new("retail.toml").exists() => Self::from_file(Path::new("retail.toml"))?,
            None => Self::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        Ok(config)
    }

    fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: path.display().to_string(), message: e.to_string() })?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::Parse { path: path.display().to_string(), message: e.to_string() })
    }

    /// Overrides fields from `RETAIL_<FIELD>` variables, e.g. `RETAIL_DATABASE_URL`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let num = |var: &str| -> Result<Option<u64>, ConfigError> {
            get(var)
                .map(|v| {
                    v.trim().parse().map_err(|_| ConfigError::Env {
                        var: var.into(),
                        message: format!("{v:?} is not a whole number"),
                    })
                })
                .transpose()
        };
        let too_big = |var: &str| ConfigError::Env { var: var.into(), message: "is too large".into() };
        if let Some(v) = get("RETAIL_BIND") {
            self.bind = v;
        }
        if let Some(v) = get("RETAIL_DATA_DIR") {
            self.data_dir = v.into();
        }
        if let Some(v) = get("RETAIL_DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(n) = num("RETAIL_DATABASE_MAX_CONNECTIONS")? {
            self.database_max_connections = n.try_into().map_err(|_| too_big("RETAIL_DATABASE_MAX_CONNECTIONS"))?;
        }
        if let Some(v) = get("RETAIL_REDIS_URL") {
            self.redis_url = v;
        }
        if let Some(n) = num("RETAIL_CACHE_MAX_ENTRIES")? {
            self.cache_max_entries = n;
        }
        if let Some(v) = get("RETAIL_NATS_URL") {
            self.nats_url = v;
        }
        if let Some(v) = get("RETAIL_NATS_STREAM") {
            self.nats_stream = v;
        }
        if let Some(n) = num("RETAIL_MAX_BODY_BYTES")? {
            self.max_body_bytes = n.try_into().map_err(|_| too_big("RETAIL_MAX_BODY_BYTES"))?;
        }
        if let Some(n) = num("RETAIL_MAX_BATCH_ITEMS")? {
            self.max_batch_items = n.try_into().map_err(|_| too_big("RETAIL_MAX_BATCH_ITEMS"))?;
        }
        if let Some(v) = get("RETAIL_EVAL_DATA") {
            self.eval_data = v.into();
        }
        if let Some(n) = num("RETAIL_SESSION_HOURS")? {
            self.session_hours = n.try_into().map_err(|_| too_big("RETAIL_SESSION_HOURS"))?;
        }
        let flag = |var: &str| -> Result<Option<bool>, ConfigError> {
            get(var)
                .map(|v| match v.trim() {
                    "true" | "1" => Ok(true),
                    "false" | "0" => Ok(false),
                    _ => Err(ConfigError::Env { var: var.into(), message: format!("{v:?} is not true or false") }),
                })
                .transpose()
        };
        if let Some(b) = flag("RETAIL_SECURE_COOKIES")? {
            self.secure_cookies = b;
        }
        if let Some(n) = num("RETAIL_RATE_LIMIT_PER_KEY_PER_MINUTE")? {
            self.rate_limit_per_key_per_minute =
                n.try_into().map_err(|_| too_big("RETAIL_RATE_LIMIT_PER_KEY_PER_MINUTE"))?;
        }
        if let Some(n) = num("RETAIL_RATE_LIMIT_PER_IP_PER_MINUTE")? {
            self.rate_limit_per_ip_per_minute =
                n.try_into().map_err(|_| too_big("RETAIL_RATE_LIMIT_PER_IP_PER_MINUTE"))?;
        }
        if let Some(n) = num("RETAIL_RECOMMEND_RETRAIN_HOURS")? {
            self.recommend_retrain_hours = n.try_into().map_err(|_| too_big("RETAIL_RECOMMEND_RETRAIN_HOURS"))?;
        }
        if let Some(n) = num("RETAIL_RECOMMEND_SEQUENCE_EPOCHS")? {
            self.recommend_sequence_epochs = n.try_into().map_err(|_| too_big("RETAIL_RECOMMEND_SEQUENCE_EPOCHS"))?;
        }
        if let Some(n) = num("RETAIL_RECOMMEND_SEQUENCE_SHOPPERS")? {
            self.recommend_sequence_shoppers =
                n.try_into().map_err(|_| too_big("RETAIL_RECOMMEND_SEQUENCE_SHOPPERS"))?;
        }
        if let Some(n) = num("RETAIL_FORECAST_EVERY_HOURS")? {
            self.forecast_every_hours = n.try_into().map_err(|_| too_big("RETAIL_FORECAST_EVERY_HOURS"))?;
        }
        if let Some(n) = num("RETAIL_FORECAST_HISTORY_DAYS")? {
            self.forecast_history_days = n.try_into().map_err(|_| too_big("RETAIL_FORECAST_HISTORY_DAYS"))?;
        }
        if let Some(n) = num("RETAIL_FORECAST_HORIZON_DAYS")? {
            self.forecast_horizon_days = n.try_into().map_err(|_| too_big("RETAIL_FORECAST_HORIZON_DAYS"))?;
        }
        if let Some(v) = get("RETAIL_FORECAST_MODEL") {
            self.forecast_model = v;
        }
        if let Some(b) = flag("RETAIL_REPLENISHMENT_AUTO_ORDER")? {
            self.replenishment_auto_order = b;
        }
        if let Some(n) = num("RETAIL_REPLENISHMENT_BUDGET_MINOR")? {
            self.replenishment_budget_minor = n.try_into().map_err(|_| too_big("RETAIL_REPLENISHMENT_BUDGET_MINOR"))?;
        }
        if let Some(n) = num("RETAIL_REPLENISHMENT_ORDERING_COST_MINOR")? {
            self.replenishment_ordering_cost_minor =
                n.try_into().map_err(|_| too_big("RETAIL_REPLENISHMENT_ORDERING_COST_MINOR"))?;
        }
        if let Some(n) = num("RETAIL_RETURNS_WINDOW_DAYS")? {
            self.returns.window_days = n.try_into().map_err(|_| too_big("RETAIL_RETURNS_WINDOW_DAYS"))?;
        }
        if let Some(n) = num("RETAIL_RETURNS_DEFECT_WINDOW_DAYS")? {
            self.returns.defect_window_days = n.try_into().map_err(|_| too_big("RETAIL_RETURNS_DEFECT_WINDOW_DAYS"))?;
        }
        if let Some(n) = num("RETAIL_RETURNS_APPROVAL_ABOVE_MINOR")? {
            self.returns.approval_above_minor =
                n.try_into().map_err(|_| too_big("RETAIL_RETURNS_APPROVAL_ABOVE_MINOR"))?;
        }
        if let Some(v) = get("RETAIL_RETURNS_EXCLUDED_CATEGORIES") {
            self.returns.excluded_categories =
                v.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
        }
        if let Some(v) = get("RETAIL_ASSISTANT_IDENTITY_SECRET") {
            self.assistant_identity_secret = v;
        }
        if let Some(b) = flag("RETAIL_DEMO_SHOP")? {
            self.demo_shop = b;
        }
        if let Some(v) = get("RETAIL_MARKETING_SMTP") {
            self.marketing.smtp = v;
        }
        if let Some(v) = get("RETAIL_MARKETING_SENDER") {
            self.marketing.sender = v;
        }
        if let Some(v) = get("RETAIL_MARKETING_WEBHOOK_URL") {
            self.marketing.webhook_url = v;
        }
        if let Some(v) = get("RETAIL_MARKETING_PUBLIC_URL") {
            self.marketing.public_url = v;
        }
        Ok(())
    }

    /// The database URL in effect: the configured one, or SQLite under the data folder.
    pub fn effective_database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("retail.db").display())
        } else {
            self.database_url.clone()
        }
    }

    /// True when every backend is the embedded one.
    pub fn is_embedded(&self) -> bool {
        self.database_url.is_empty() && self.redis_url.is_empty() && self.nats_url.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let mut c: Config = toml::from_str("bind = \"0.0.0.0:9000\"\nredis_url = \"redis://x\"").unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./data"), "unset keys keep their defaults");
        c.apply_env(|k| (k == "RETAIL_BIND").then(|| "127.0.0.1:1".to_string())).unwrap();
        assert_eq!(c.bind, "127.0.0.1:1");
        assert_eq!(c.redis_url, "redis://x");
        assert!(!c.is_embedded());
    }

    #[test]
    fn bad_values_are_named() {
        let mut c = Config::default();
        let err = c.apply_env(|k| (k == "RETAIL_MAX_BATCH_ITEMS").then(|| "lots".to_string())).unwrap_err();
        assert!(err.to_string().contains("RETAIL_MAX_BATCH_ITEMS"));
        assert!(toml::from_str::<Config>("colour = 1").is_err(), "unknown keys in retail.toml are errors");
    }

    #[test]
    fn session_hours_layer_like_the_rest() {
        assert_eq!(Config::default().session_hours, 12);
        let mut c: Config = toml::from_str("session_hours = 8").unwrap();
        assert_eq!(c.session_hours, 8, "retail.toml sets the session lifetime");
        c.apply_env(|k| (k == "RETAIL_SESSION_HOURS").then(|| "24".to_string())).unwrap();
        assert_eq!(c.session_hours, 24, "the environment overrides retail.toml");
        let err = c.apply_env(|k| (k == "RETAIL_SESSION_HOURS").then(|| "99999999999".to_string())).unwrap_err();
        assert!(err.to_string().contains("RETAIL_SESSION_HOURS"), "{err}");
    }

    #[test]
    fn the_returns_policy_reads_from_a_table_and_the_environment() {
        let mut c: Config = toml::from_str("[returns]\nwindow_days = 14\nexcluded_categories = [\"baby\"]").unwrap();
        assert_eq!((c.returns.window_days, c.returns.excluded_categories.clone()), (14, vec!["baby".to_string()]));
        assert_eq!(c.returns.approval_above_minor, 50_000, "unset keys keep their defaults");
        c.apply_env(|k| (k == "RETAIL_RETURNS_EXCLUDED_CATEGORIES").then(|| "fresh, dairy".to_string())).unwrap();
        assert_eq!(c.returns.excluded_categories, ["fresh", "dairy"]);
        assert!(toml::from_str::<Config>("[returns]\nwindow = 3").is_err(), "unknown policy keys are errors");
    }

    #[test]
    fn embedded_database_lives_in_the_data_dir() {
        let c = Config { data_dir: "/tmp/x".into(), ..Config::default() };
        assert_eq!(c.effective_database_url(), "sqlite:///tmp/x/retail.db");
    }
}
