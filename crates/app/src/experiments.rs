//! Experiments: definitions and their lifecycle (draft → running → stopped or
//! shipped), serving a variant with its exposure logged at the moment it is
//! served, and the analysis of the stored behaviour that followed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use retail_domain::Violations;
use retail_experiment::aggregate::{self, Exposure, Metric, MetricKind, UnitValues};
use retail_experiment::assign::{self, Condition, Decision, Experiment, Layer, Status, UnitKind, Variant};
use retail_experiment::stats::{
    self, BayesianResult, Difference, FrequentistResult, SrmCheck, TestConfig, benjamini_hochberg_adjusted,
    holm_adjusted,
};
use retail_experiment::summary::Summary;
use retail_store::{BehaviourWindow, EventUnit, ExperimentRecord, ExposureWrite, UnitBehaviour};
use serde::{Deserialize, Serialize};

use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

const DAY_MS: i64 = 86_400_000;
/// Most points on the cumulative-effect chart.
const MAX_TIMELINE_DAYS: usize = 60;

/// Where an experiment's variants take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// Recommendation requests: each variant's payload names a strategy.
    Recommendations,
    /// Marketing campaigns: each variant's payload names a campaign arm.
    Campaigns,
    /// Any other feature, read through the assignment API.
    Feature,
}

/// The metrics the platform computes from behaviour events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricKey {
    /// Share of units that clicked a product at least once.
    ClickThrough,
    /// Share of units that added something to the cart.
    AddToCartRate,
    /// Share of units that bought.
    Conversion,
    /// Purchase value per unit, in yuan.
    RevenuePerUnit,
    /// Clicks over impressions (CTR per impression), a ratio metric.
    ClicksPerImpression,
}

impl MetricKey {
    pub const ALL: [MetricKey; 5] = [
        MetricKey::ClickThrough,
        MetricKey::AddToCartRate,
        MetricKey::Conversion,
        MetricKey::RevenuePerUnit,
        MetricKey::ClicksPerImpression,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricKey::ClickThrough => "click_through",
            MetricKey::AddToCartRate => "add_to_cart_rate",
            MetricKey::Conversion => "conversion",
            MetricKey::RevenuePerUnit => "revenue_per_unit",
            MetricKey::ClicksPerImpression => "clicks_per_impression",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn kind(self) -> MetricKind {
        match self {
            MetricKey::ClickThrough | MetricKey::AddToCartRate | MetricKey::Conversion => MetricKind::Proportion,
            MetricKey::RevenuePerUnit => MetricKind::Mean,
            MetricKey::ClicksPerImpression => MetricKind::Ratio,
        }
    }

    /// The metric's value (and denominator) for a unit's behaviour totals.
    fn values(self, t: &Totals) -> (f64, f64) {
        match self {
            MetricKey::ClickThrough => (t.clicks, 0.0),
            MetricKey::AddToCartRate => (t.carts, 0.0),
            MetricKey::Conversion => (t.purchases, 0.0),
            MetricKey::RevenuePerUnit => (t.revenue_minor / 100.0, 0.0),
            MetricKey::ClicksPerImpression => (t.clicks, t.impressions),
        }
    }
}

/// What a metric is for in the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MetricRole {
    /// Decides the experiment; corrected for multiple testing as one family.
    Primary,
    /// Reported, not decisive.
    Secondary,
    /// Must not get worse; kept out of the primary family.
    Guardrail,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    pub metric: MetricKey,
    pub role: MetricRole,
    /// Cap per-unit values at this upper percentile, e.g. 0.99 (means and ratios).
    #[serde(default)]
    pub winsorize: Option<f64>,
    /// Reduce variance with each unit's pre-period value (CUPED; proportions and means).
    #[serde(default)]
    pub cuped: bool,
}

/// How the decisive p-values and intervals are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Analysis {
    /// Always-valid intervals: safe to look at results every day.
    #[default]
    Sequential,
    /// Fixed-horizon t-test: valid only when read once, at the planned sample size.
    FixedHorizon,
    /// Chance to win and expected loss.
    Bayesian,
}

/// Correction of the primary family's p-values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Holm: controls the chance of any false positive.
    #[default]
    Holm,
    /// Benjamini–Hochberg: controls the share of false positives.
    BenjaminiHochberg,
    None,
}

fn default_alpha() -> f64 {
    0.05
}

fn default_pre_period_days() -> u32 {
    28
}

/// What is stored as an experiment's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    #[serde(default)]
    pub description: String,
    pub surface: Surface,
    pub assignment: Experiment,
    pub metrics: Vec<MetricSpec>,
    #[serde(default)]
    pub analysis: Analysis,
    #[serde(default)]
    pub correction: Correction,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default = "default_pre_period_days")]
    pub pre_period_days: u32,
}

fn default_coverage() -> f64 {
    1.0
}

/// A new experiment as an analyst describes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExperiment {
    pub key: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub surface: Surface,
    #[schema(value_type = String, example = "customer")]
    pub unit: UnitKind,
    /// The first variant is the control. For recommendations, `payload` names the strategy.
    #[schema(value_type = Vec<Object>)]
    pub variants: Vec<Variant>,
    /// Share of eligible traffic in the experiment (ramp-up), 0 to 1.
    #[serde(default = "default_coverage")]
    pub coverage: f64,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub layer: Option<Layer>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub targeting: Vec<Condition>,
    pub metrics: Vec<MetricSpec>,
    #[serde(default)]
    pub analysis: Analysis,
    #[serde(default)]
    pub correction: Correction,
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default = "default_pre_period_days")]
    pub pre_period_days: u32,
}

/// An experiment as the API and console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExperimentView {
    pub key: String,
    pub name: String,
    #[schema(value_type = String)]
    pub status: Status,
    #[schema(value_type = Object)]
    pub definition: Definition,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl utoipa::PartialSchema for Definition {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new().into()
    }
}

impl utoipa::ToSchema for Definition {}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn view(record: ExperimentRecord) -> ServiceResult<ExperimentView> {
    let definition: Definition = serde_json::from_str(&record.definition).map_err(|e| {
        ServiceError::Internal(format!("the stored definition of experiment '{}' is unreadable: {e}", record.key))
    })?;
    Ok(ExperimentView {
        key: record.key,
        name: record.name,
        status: definition.assignment.status,
        created_by: record.created_by,
        created_at: time(record.created_at_ms),
        updated_at: time(record.updated_at_ms),
        started_at: record.started_at_ms.map(time),
        stopped_at: record.stopped_at_ms.map(time),
        version: record.version,
        definition,
    })
}

fn record_of(v: &ExperimentView) -> ExperimentRecord {
    ExperimentRecord {
        key: v.key.clone(),
        name: v.name.clone(),
        status: v.status.to_string(),
        definition: serde_json::to_string(&v.definition).expect("a definition serialises"),
        created_by: v.created_by.clone(),
        created_at_ms: v.created_at.timestamp_millis(),
        updated_at_ms: v.updated_at.timestamp_millis(),
        started_at_ms: v.started_at.map(|t| t.timestamp_millis()),
        stopped_at_ms: v.stopped_at.map(|t| t.timestamp_millis()),
        version: v.version,
    }
}

/// Every problem with a definition, by field.
/// Problems with a definition, by field; `strategies` are the recommendation strategies variants may name.
fn check(def: &Definition, name: &str, strategies: &[String]) -> Result<(), Violations> {
    let mut v = Violations::new();
    let key = &def.assignment.key;
    v.check(
        !key.is_empty() && key.len() <= 64 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "key",
        "use 1 to 64 letters, digits, '-' or '_'",
    );
    v.check(!name.trim().is_empty() && name.chars().count() <= 200, "name", "give a name of 1 to 200 characters");
    if let Err(problems) = assign::validate(&def.assignment) {
        for p in problems.0 {
            v.push(&p.field, p.message);
        }
    }
    v.check(!def.metrics.is_empty(), "metrics", "choose at least one metric");
    v.check(
        def.metrics.iter().any(|m| m.role == MetricRole::Primary),
        "metrics",
        "mark at least one metric as primary: it decides the experiment",
    );
    for (i, m) in def.metrics.iter().enumerate() {
        if def.metrics[..i].iter().any(|o| o.metric == m.metric) {
            v.push(format!("metrics[{i}]"), format!("{} is listed twice", m.metric.as_str()));
        }
        let metric = Metric { kind: m.metric.kind(), winsorize: m.winsorize, cuped: m.cuped };
        if let Err(e) = metric.validate() {
            v.push(format!("metrics[{i}]"), e.to_string());
        }
    }
    v.check(def.alpha > 0.0 && def.alpha < 0.5, "alpha", "use a significance level between 0 and 0.5, e.g. 0.05");
    v.check((1..=365).contains(&def.pre_period_days), "pre_period_days", "use 1 to 365 days");
    if def.surface == Surface::Recommendations {
        for (i, variant) in def.assignment.variants.iter().enumerate() {
            let ok = variant.payload.as_ref().is_some_and(|p| strategies.contains(p));
            v.check(
                ok,
                format!("variants[{i}].payload"),
                format!("name the recommendation strategy: one of {}", strategies.join(", ")),
            );
        }
    }
    v.into_result()
}

/// Stores a new experiment as a draft.
pub async fn create(p: &Platform, input: NewExperiment, actor: &str) -> ServiceResult<ExperimentView> {
    let now = Utc::now();
    let definition = Definition {
        description: input.description,
        surface: input.surface,
        assignment: Experiment {
            // The key salts the hash: experiments re-randomise independently of each other.
            salt: input.key.clone(),
            key: input.key.clone(),
            status: Status::Draft,
            layer: input.layer,
            variants: input.variants,
            coverage: input.coverage,
            targeting: input.targeting,
            unit: input.unit,
            shipped: None,
        },
        metrics: input.metrics,
        analysis: input.analysis,
        correction: input.correction,
        alpha: input.alpha,
        pre_period_days: input.pre_period_days,
    };
    let strategies: Vec<String> = crate::strategies::list(p).await?.into_iter().map(|s| s.name).collect();
    check(&definition, &input.name, &strategies).map_err(ServiceError::Invalid)?;
    let view = ExperimentView {
        key: input.key,
        name: input.name.trim().to_string(),
        status: Status::Draft,
        definition,
        created_by: actor.to_string(),
        created_at: now,
        updated_at: now,
        started_at: None,
        stopped_at: None,
        version: 1,
    };
    if !p.store.create_experiment(&record_of(&view)).await? {
        return Err(ServiceError::Conflict(format!("an experiment with key '{}' already exists", view.key)));
    }
    Ok(view)
}

pub async fn get(p: &Platform, key: &str) -> ServiceResult<ExperimentView> {
    match p.store.get_experiment(key).await? {
        Some(r) => view(r),
        None => Err(ServiceError::NotFound { kind: "experiment", id: key.to_string() }),
    }
}

pub async fn list(p: &Platform) -> ServiceResult<Vec<ExperimentView>> {
    p.store.list_experiments().await?.into_iter().map(view).collect()
}

/// A change to an experiment's lifecycle or traffic.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Change {
    Start,
    Stop,
    /// Every unit gets `variant` from now on; the analysis stays as it was at the stop.
    Ship {
        variant: String,
    },
    /// Ramp-up: the share of eligible traffic in the experiment. Units already in stay in
    /// their variant when the share grows.
    SetCoverage {
        coverage: f64,
    },
}

/// Applies a lifecycle change, refusing those that would spoil the analysis.
pub async fn change(p: &Platform, key: &str, change: Change) -> ServiceResult<ExperimentView> {
    let mut v = get(p, key).await?;
    let now = Utc::now();
    let a = &mut v.definition.assignment;
    match (&change, a.status) {
        (Change::Start, Status::Draft) => {
            let mut running: Vec<Experiment> = list(p)
                .await?
                .into_iter()
                .filter(|o| o.status == Status::Running && o.key != key)
                .map(|o| o.definition.assignment)
                .collect();
            a.status = Status::Running;
            running.push(a.clone());
            if let Err(conflicts) = assign::check_layers(&running) {
                let text: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
                return Err(ServiceError::Conflict(text.join("; ")));
            }
            v.started_at = Some(now);
        }
        (Change::Stop, Status::Running) => {
            a.status = Status::Stopped;
            v.stopped_at = Some(now);
        }
        (Change::Ship { variant }, Status::Running | Status::Stopped) => {
            if !a.variants.iter().any(|x| &x.key == variant) {
                return Err(invalid("variant", format!("experiment '{key}' has no variant '{variant}'")));
            }
            a.status = Status::Shipped;
            a.shipped = Some(variant.clone());
            v.stopped_at.get_or_insert(now);
        }
        (Change::SetCoverage { coverage }, Status::Draft | Status::Running) => {
            if !(*coverage > 0.0 && *coverage <= 1.0) {
                return Err(invalid("coverage", "use a share above 0 and at most 1"));
            }
            a.coverage = *coverage;
        }
        (change, status) => {
            return Err(ServiceError::Conflict(format!(
                "a {status} experiment cannot {}",
                match change {
                    Change::Start => "start (a stopped experiment is not restarted: create a new one)",
                    Change::Stop => "stop",
                    Change::Ship { .. } => "ship (stop or run it first)",
                    Change::SetCoverage { .. } => "change its coverage",
                }
            )));
        }
    }
    v.status = v.definition.assignment.status;
    v.updated_at = now;
    v.version += 1;
    if !p.store.update_experiment(&record_of(&v)).await? {
        return Err(ServiceError::Conflict(format!("experiment '{key}' was changed meanwhile; reload and try again")));
    }
    Ok(v)
}

/// The variant an experiment served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Served {
    pub key: String,
    pub variant: String,
    pub payload: Option<String>,
    /// False when the unit is outside the experiment (then `reason` says why) and
    /// nothing was logged.
    pub exposure_logged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The unit id an experiment randomises, from the request.
fn unit_id<'a>(
    unit: UnitKind,
    customer_id: Option<&'a str>,
    session_id: Option<&'a str>,
    attributes: &'a [(String, String)],
) -> Option<&'a str> {
    match unit {
        UnitKind::Customer => customer_id,
        UnitKind::Session => session_id,
        UnitKind::Store => attributes.iter().find(|(k, _)| k == "store_id").map(|(_, v)| v.as_str()),
    }
}

/// Decides and logs one unit's variant of one experiment.
pub async fn decide(
    p: &Platform,
    experiment: &Experiment,
    unit: &str,
    attributes: &[(String, String)],
    at: DateTime<Utc>,
) -> ServiceResult<Served> {
    let decision = assign::assign(experiment, unit, attributes);
    if let Decision::Assigned { index, .. } = decision {
        let exposure = ExposureWrite {
            experiment: experiment.key.clone(),
            unit: unit.to_string(),
            variant: index as u32,
            at_ms: at.timestamp_millis(),
        };
        p.store.record_exposures(&[exposure]).await?;
    }
    Ok(Served {
        key: experiment.key.clone(),
        variant: decision.variant().key.clone(),
        payload: decision.variant().payload.clone(),
        exposure_logged: decision.log_exposure(),
        reason: decision.reason().map(|r| r.to_string()),
    })
}

/// Which variant of experiment `key` a unit gets (logging the exposure when it is in).
pub async fn assign_unit(
    p: &Platform,
    key: &str,
    unit: &str,
    attributes: &[(String, String)],
    at: DateTime<Utc>,
) -> ServiceResult<Served> {
    if unit.trim().is_empty() || unit.len() > 128 {
        return Err(invalid("unit", "give the unit id (customer, session or store), 1 to 128 characters"));
    }
    let experiment = get(p, key).await?;
    decide(p, &experiment.definition.assignment, unit, attributes, at).await
}

/// The variant `surface` serves this shopper: a running experiment's assignment
/// (exposure logged); else what the most recently finished experiment left in
/// place (its control once stopped, its shipped variant once shipped; nothing
/// logged); else a running experiment's control for units outside it; else none.
pub async fn serve(
    p: &Platform,
    surface: Surface,
    customer_id: Option<&str>,
    session_id: Option<&str>,
    attributes: &[(String, String)],
    at: DateTime<Utc>,
) -> ServiceResult<Option<Served>> {
    let experiments: Vec<ExperimentView> =
        list(p).await?.into_iter().filter(|e| e.definition.surface == surface).collect();
    let mut outside = None;
    for e in experiments.iter().filter(|e| e.status == Status::Running) {
        let Some(unit) = unit_id(e.definition.assignment.unit, customer_id, session_id, attributes) else {
            continue;
        };
        let served = decide(p, &e.definition.assignment, unit, attributes, at).await?;
        if served.exposure_logged {
            return Ok(Some(served));
        }
        outside.get_or_insert(served);
    }
    let finished = experiments
        .iter()
        .filter(|e| matches!(e.status, Status::Stopped | Status::Shipped))
        .max_by_key(|e| e.stopped_at);
    if let Some(e) = finished {
        // Finished experiments log nothing, so the unit id only feeds the decision's wording.
        let unit = unit_id(e.definition.assignment.unit, customer_id, session_id, attributes).unwrap_or("");
        return Ok(Some(decide(p, &e.definition.assignment, unit, attributes, at).await?));
    }
    Ok(outside)
}

/// One unit's behaviour totals over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Totals {
    impressions: f64,
    clicks: f64,
    carts: f64,
    purchases: f64,
    revenue_minor: f64,
}

impl std::ops::AddAssign for Totals {
    fn add_assign(&mut self, t: Totals) {
        self.impressions += t.impressions;
        self.clicks += t.clicks;
        self.carts += t.carts;
        self.purchases += t.purchases;
        self.revenue_minor += t.revenue_minor;
    }
}

impl Totals {
    fn add(&mut self, b: &UnitBehaviour) {
        let n = b.events as f64;
        match b.kind.as_str() {
            "impression" => self.impressions += n,
            "click" => self.clicks += n,
            "add_to_cart" => self.carts += n,
            "purchase" => {
                self.purchases += n;
                self.revenue_minor += b.value_minor as f64;
            }
            _ => {}
        }
    }
}

/// Units per variant and whether the split is as planned.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VariantTraffic {
    pub variant: String,
    pub weight: f64,
    /// Units analysed (exposed to this variant only).
    pub units: u64,
    pub exposures: u64,
}

/// One treatment compared with the control on one metric.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub variant: String,
    /// Relative effect (lift) over the control.
    pub lift: f64,
    /// Interval of the lift under the experiment's analysis.
    pub lower: f64,
    pub upper: f64,
    /// P-value under the experiment's analysis (absent for Bayesian).
    pub p_value: Option<f64>,
    /// After the correction over the primary family (primary metrics only).
    pub adjusted_p_value: Option<f64>,
    pub chance_to_win: f64,
    /// Expected loss of shipping this variant, in lift.
    pub risk: f64,
    /// Better (+1), worse (-1) or not distinguishable (0) at the experiment's level.
    pub significant: i8,
    #[schema(value_type = Object)]
    pub fixed_horizon: FrequentistResult,
    #[schema(value_type = Object)]
    pub sequential: FrequentistResult,
    #[schema(value_type = Object)]
    pub bayesian: BayesianResult,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MetricResult {
    pub metric: MetricKey,
    pub role: MetricRole,
    /// The metric's mean per variant (for ratios, the ratio of sums).
    pub means: Vec<f64>,
    pub units: Vec<u64>,
    pub comparisons: Vec<Comparison>,
    /// Why no comparison could be made (e.g. no data yet), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    pub cuped_theta: Option<f64>,
}

/// The lift of the first primary metric as data accumulated, per treatment.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelinePoint {
    pub day: chrono::NaiveDate,
    pub units: u64,
    /// Per treatment variant: lift and its always-valid interval; `None` before there is enough data.
    pub lifts: Vec<Option<(f64, f64, f64)>>,
}

/// The plain-language reading of the results.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// The split of units is not the planned one: nothing else can be trusted.
    SampleRatioMismatch { p_value: f64 },
    /// Too little data for any comparison.
    NotEnoughData,
    /// A treatment beats the control on a primary metric, and no guardrail got worse.
    Winner { variant: String, metric: MetricKey, lift: f64 },
    /// A treatment wins on a primary metric but harms a guardrail.
    WinnerWithHarm { variant: String, metric: MetricKey, lift: f64, guardrail: MetricKey },
    /// The control beats every treatment on a primary metric.
    ControlBetter { metric: MetricKey },
    /// No decisive difference yet.
    Inconclusive { units: u64 },
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub key: String,
    #[schema(value_type = String)]
    pub status: Status,
    pub analysis: Analysis,
    pub alpha: f64,
    /// End of the analysed period: the stop time, or now.
    pub until: DateTime<Utc>,
    pub traffic: Vec<VariantTraffic>,
    #[schema(value_type = Object)]
    pub srm: Option<SrmCheck>,
    /// Units served more than one variant, left out of the analysis.
    pub multiple_exposure_units: u64,
    pub multiple_exposure_examples: Vec<String>,
    pub metrics: Vec<MetricResult>,
    pub timeline: Vec<TimelinePoint>,
    pub verdict: Verdict,
}

/// The experiment's exposure log and the behaviour that followed, interned by unit.
struct Observations {
    units: Vec<String>,
    exposures: Vec<Exposure>,
    exposure_counts: Vec<u64>,
    first_day: Vec<i64>,
    /// Behaviour after exposure: (unit, day, totals of that day).
    after: Vec<(u32, i64, Totals)>,
    pre: Vec<Totals>,
}

impl Observations {
    async fn load(p: &Platform, key: &str, def: &Definition, until_ms: i64) -> ServiceResult<Self> {
        let rows = p.store.list_exposures(key).await?;
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut units = Vec::new();
        let mut first_day: Vec<i64> = Vec::new();
        let mut exposures = Vec::with_capacity(rows.len());
        let mut exposure_counts = vec![0; def.assignment.variants.len()];
        for r in rows {
            let day = r.first_at_ms.div_euclid(DAY_MS);
            let u = *index.entry(r.unit.clone()).or_insert_with(|| {
                units.push(r.unit.clone());
                first_day.push(day);
                (units.len() - 1) as u32
            });
            first_day[u as usize] = first_day[u as usize].min(day);
            if let Some(c) = exposure_counts.get_mut(r.variant as usize) {
                *c += r.exposures;
            }
            exposures.push(Exposure { unit: u, variant: r.variant });
        }
        let event_unit = match def.assignment.unit {
            UnitKind::Session => EventUnit::Session,
            UnitKind::Customer | UnitKind::Store => EventUnit::Customer,
        };
        let mut after = Vec::new();
        let mut last: Option<(u32, i64)> = None;
        for b in p.store.exposed_behaviour(key, event_unit, BehaviourWindow::AfterExposure { until_ms }).await? {
            let Some(&u) = index.get(&b.unit) else { continue };
            if last != Some((u, b.day)) {
                after.push((u, b.day, Totals::default()));
                last = Some((u, b.day));
            }
            after.last_mut().expect("just pushed").2.add(&b);
        }
        let mut pre = vec![Totals::default(); units.len()];
        if def.metrics.iter().any(|m| m.cuped) {
            let window = BehaviourWindow::BeforeExposure { days: def.pre_period_days };
            for b in p.store.exposed_behaviour(key, event_unit, window).await? {
                if let Some(&u) = index.get(&b.unit) {
                    pre[u as usize].add(&b);
                }
            }
        }
        Ok(Self { units, exposures, exposure_counts, first_day, after, pre })
    }

    /// Per-unit totals of the behaviour up to and including `last_day`.
    fn totals_until(&self, last_day: i64) -> Vec<Totals> {
        let mut totals = vec![Totals::default(); self.units.len()];
        for (u, day, t) in &self.after {
            if *day <= last_day {
                totals[*u as usize] += *t;
            }
        }
        totals
    }

    /// The exposures of units first exposed by `last_day`.
    fn exposures_until(&self, last_day: i64) -> Vec<Exposure> {
        self.exposures.iter().copied().filter(|e| self.first_day[e.unit as usize] <= last_day).collect()
    }
}

fn unit_values(spec: &MetricSpec, totals: &[Totals], pre: &[Totals]) -> Vec<UnitValues> {
    totals
        .iter()
        .zip(pre)
        .map(|(t, p)| {
            let (value, denominator) = spec.metric.values(t);
            UnitValues { value, denominator, pre: spec.metric.values(p).0 }
        })
        .collect()
}

fn summaries(
    spec: &MetricSpec,
    variants: usize,
    exposures: &[Exposure],
    values: &[UnitValues],
) -> ServiceResult<aggregate::Aggregation> {
    let metric = Metric { kind: spec.metric.kind(), winsorize: spec.winsorize, cuped: spec.cuped };
    aggregate::aggregate(&metric, variants, exposures, values)
        .map_err(|e| ServiceError::Internal(format!("aggregating {}: {e}", spec.metric.as_str())))
}

fn relative(alpha: f64) -> TestConfig {
    TestConfig { difference: Difference::Relative, alpha, ..TestConfig::default() }
}

fn compare(def: &Definition, control: &Summary, treatment: &Summary, variant: &str) -> Result<Comparison, String> {
    let config = relative(def.alpha);
    let fixed = stats::t_test(control, treatment, &config).map_err(|e| e.to_string())?;
    let sequential = stats::sequential_test(control, treatment, &config).map_err(|e| e.to_string())?;
    let bayesian = stats::bayesian_test(control, treatment, &config).map_err(|e| e.to_string())?;
    let (interval, p_value) = match def.analysis {
        Analysis::Sequential => (sequential.interval, Some(sequential.p_value)),
        Analysis::FixedHorizon => (fixed.interval, Some(fixed.p_value)),
        Analysis::Bayesian => (bayesian.credible_interval, None),
    };
    Ok(Comparison {
        variant: variant.to_string(),
        lift: fixed.effect.estimate,
        lower: interval.lower,
        upper: interval.upper,
        p_value,
        adjusted_p_value: None,
        chance_to_win: bayesian.chance_to_win,
        risk: bayesian.risk_treatment,
        significant: 0,
        fixed_horizon: fixed,
        sequential,
        bayesian,
    })
}

/// Whether a comparison is decisive: by the (adjusted) p-value, or for the
/// Bayesian analysis by a chance to win beyond `1 - alpha` either way.
fn decide_significance(def: &Definition, c: &mut Comparison) {
    let sign = if c.lift > 0.0 { 1 } else { -1 };
    let decisive = match (def.analysis, c.adjusted_p_value.or(c.p_value)) {
        (Analysis::Bayesian, _) => c.chance_to_win > 1.0 - def.alpha || c.chance_to_win < def.alpha,
        (_, Some(p)) => p < def.alpha,
        (_, None) => false,
    };
    c.significant = if decisive { sign } else { 0 };
}

fn verdict(srm: Option<&SrmCheck>, metrics: &[MetricResult], units: u64) -> Verdict {
    if let Some(s) = srm.filter(|s| s.mismatch) {
        return Verdict::SampleRatioMismatch { p_value: s.p_value };
    }
    let primary: Vec<&MetricResult> = metrics.iter().filter(|m| m.role == MetricRole::Primary).collect();
    if primary.iter().all(|m| m.comparisons.is_empty()) {
        return Verdict::NotEnoughData;
    }
    let harmed = |variant: &str| {
        metrics
            .iter()
            .filter(|m| m.role == MetricRole::Guardrail)
            .find(|m| m.comparisons.iter().any(|c| c.variant == variant && c.significant < 0))
            .map(|m| m.metric)
    };
    let best = primary
        .iter()
        .flat_map(|m| m.comparisons.iter().map(move |c| (m.metric, c)))
        .filter(|(_, c)| c.significant > 0)
        .max_by(|a, b| a.1.lift.total_cmp(&b.1.lift));
    if let Some((metric, c)) = best {
        return match harmed(&c.variant) {
            Some(guardrail) => Verdict::WinnerWithHarm { variant: c.variant.clone(), metric, lift: c.lift, guardrail },
            None => Verdict::Winner { variant: c.variant.clone(), metric, lift: c.lift },
        };
    }
    let control_better =
        primary.iter().find(|m| !m.comparisons.is_empty() && m.comparisons.iter().all(|c| c.significant < 0));
    match control_better {
        Some(m) => Verdict::ControlBetter { metric: m.metric },
        None => Verdict::Inconclusive { units },
    }
}

/// Analyses an experiment over the behaviour stored so far (or up to its stop).
pub async fn results(p: &Platform, key: &str) -> ServiceResult<Results> {
    let v = get(p, key).await?;
    let def = &v.definition;
    let until = v.stopped_at.unwrap_or_else(Utc::now);
    let obs = Observations::load(p, key, def, until.timestamp_millis()).await?;
    let n_variants = def.assignment.variants.len();
    let last_day = until.timestamp_millis().div_euclid(DAY_MS);
    let totals = obs.totals_until(last_day);

    let aggregations = def
        .metrics
        .iter()
        .map(|spec| summaries(spec, n_variants, &obs.exposures, &unit_values(spec, &totals, &obs.pre)))
        .collect::<ServiceResult<Vec<_>>>()?;
    // Units per variant and multiple exposures come from the exposure log alone: every metric agrees.
    let traffic_units = aggregations.first().map_or_else(|| vec![0; n_variants], |a| a.units_per_variant());
    let multiple = aggregations.first().map(|a| a.multiple_exposures.clone()).unwrap_or_default();
    let mut metrics = Vec::new();
    for (spec, agg) in def.metrics.iter().zip(&aggregations) {
        let control = &agg.summaries[0];
        let mut comparisons = Vec::new();
        let mut problem = None;
        for (i, treatment) in agg.summaries.iter().enumerate().skip(1) {
            match compare(def, control, treatment, &def.assignment.variants[i].key) {
                Ok(c) => comparisons.push(c),
                Err(e) => problem = Some(e),
            }
        }
        metrics.push(MetricResult {
            metric: spec.metric,
            role: spec.role,
            means: agg.summaries.iter().map(|s| s.mean().unwrap_or(0.0)).collect(),
            units: agg.units_per_variant(),
            cuped_theta: comparisons.first().and_then(|c| c.fixed_horizon.effect.cuped_theta),
            comparisons,
            problem,
        });
    }
    // One family: every primary metric's every comparison; guardrails stay out.
    let family: Vec<(usize, usize)> = metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| m.role == MetricRole::Primary)
        .flat_map(|(i, m)| (0..m.comparisons.len()).map(move |j| (i, j)))
        .collect();
    let raw: Vec<f64> = family.iter().filter_map(|&(i, j)| metrics[i].comparisons[j].p_value).collect();
    if raw.len() == family.len() && !raw.is_empty() {
        let adjusted = match def.correction {
            Correction::Holm => holm_adjusted(&raw),
            Correction::BenjaminiHochberg => benjamini_hochberg_adjusted(&raw),
            Correction::None => Ok(raw.clone()),
        }
        .map_err(|e| ServiceError::Internal(format!("multiple-testing correction: {e}")))?;
        for (&(i, j), p) in family.iter().zip(adjusted) {
            metrics[i].comparisons[j].adjusted_p_value = Some(p);
        }
    }
    for m in &mut metrics {
        for c in &mut m.comparisons {
            decide_significance(def, c);
        }
    }

    let weights: Vec<f64> = def.assignment.variants.iter().map(|x| x.weight).collect();
    let srm = stats::srm_check(&traffic_units, &weights).ok();
    let traffic = def
        .assignment
        .variants
        .iter()
        .enumerate()
        .map(|(i, x)| VariantTraffic {
            variant: x.key.clone(),
            weight: x.weight,
            units: traffic_units[i],
            exposures: obs.exposure_counts[i],
        })
        .collect();
    let units = traffic_units.iter().sum();
    Ok(Results {
        key: v.key.clone(),
        status: v.status,
        analysis: def.analysis,
        alpha: def.alpha,
        until,
        srm,
        multiple_exposure_units: multiple.units,
        multiple_exposure_examples: multiple.examples.iter().map(|u| obs.units[*u as usize].clone()).collect(),
        timeline: timeline(def, &obs, last_day)?,
        verdict: verdict(srm.as_ref(), &metrics, units),
        traffic,
        metrics,
    })
}

/// The first primary metric's lift with its always-valid interval, day by day.
fn timeline(def: &Definition, obs: &Observations, last_day: i64) -> ServiceResult<Vec<TimelinePoint>> {
    let Some(spec) = def.metrics.iter().find(|m| m.role == MetricRole::Primary) else { return Ok(Vec::new()) };
    let Some(&first) = obs.first_day.iter().min() else { return Ok(Vec::new()) };
    let first = first.max(last_day - MAX_TIMELINE_DAYS as i64 + 1);
    let config = relative(def.alpha);
    let mut points = Vec::new();
    for day in first..=last_day {
        let exposures = obs.exposures_until(day);
        let values = unit_values(spec, &obs.totals_until(day), &obs.pre);
        let agg = summaries(spec, def.assignment.variants.len(), &exposures, &values)?;
        let lifts = agg.summaries[1..]
            .iter()
            .map(|t| {
                stats::sequential_test(&agg.summaries[0], t, &config)
                    .ok()
                    .map(|r| (r.effect.estimate, r.interval.lower, r.interval.upper))
            })
            .collect();
        points.push(TimelinePoint {
            day: DateTime::from_timestamp(day * 86_400, 0).unwrap_or_default().date_naive(),
            units: agg.units_per_variant().iter().sum(),
            lifts,
        });
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(variants: Vec<Variant>, metrics: Vec<MetricSpec>) -> Definition {
        Definition {
            description: String::new(),
            surface: Surface::Recommendations,
            assignment: Experiment {
                key: "rec-test".into(),
                salt: "rec-test".into(),
                status: Status::Draft,
                layer: None,
                variants,
                coverage: 1.0,
                targeting: Vec::new(),
                unit: UnitKind::Customer,
                shipped: None,
            },
            metrics,
            analysis: Analysis::Sequential,
            correction: Correction::Holm,
            alpha: 0.05,
            pre_period_days: 28,
        }
    }

    fn variant(key: &str, weight: f64, payload: &str) -> Variant {
        Variant { key: key.into(), weight, payload: Some(payload.into()) }
    }

    fn primary(metric: MetricKey) -> MetricSpec {
        MetricSpec { metric, role: MetricRole::Primary, winsorize: None, cuped: false }
    }

    #[test]
    fn definitions_list_every_problem_by_field() {
        let def = definition(
            vec![variant("a", 0.5, "popular"), variant("b", 0.0, "nonsense")],
            vec![MetricSpec { role: MetricRole::Guardrail, winsorize: Some(0.99), ..primary(MetricKey::Conversion) }],
        );
        let strategies = ["popular".to_string(), "item_knn".to_string()];
        let v = check(&def, " ", &strategies).unwrap_err();
        let fields: Vec<&str> = v.0.iter().map(|x| x.field.as_str()).collect();
        for field in ["name", "metrics", "metrics[0]", "variants[1].payload"] {
            assert!(fields.contains(&field), "{field} is reported: {v:?}");
        }
        assert!(v.0.iter().any(|x| x.message.contains("weight")), "a zero-weight variant is explained: {v:?}");
        let good = definition(
            vec![variant("a", 0.5, "popular"), variant("b", 0.5, "item_knn")],
            vec![primary(MetricKey::Conversion)],
        );
        assert!(check(&good, "Strategies", &strategies).is_ok());
    }

    fn comparison(variant: &str, lift: f64, significant: i8) -> Comparison {
        let s = Summary::Proportion { n: 1000, successes: 100.0 };
        let t = Summary::Proportion { n: 1000, successes: 130.0 };
        let def = definition(vec![], vec![]);
        Comparison { variant: variant.into(), lift, significant, ..compare(&def, &s, &t, variant).unwrap() }
    }

    fn result(metric: MetricKey, role: MetricRole, comparisons: Vec<Comparison>) -> MetricResult {
        MetricResult { metric, role, means: vec![], units: vec![], comparisons, problem: None, cuped_theta: None }
    }

    #[test]
    fn the_verdict_puts_srm_first_and_guardrails_after_a_win() {
        let srm = SrmCheck { chi_square: 20.0, degrees_of_freedom: 1, p_value: 1e-5, mismatch: true };
        let win = vec![result(MetricKey::Conversion, MetricRole::Primary, vec![comparison("b", 0.3, 1)])];
        assert_eq!(verdict(Some(&srm), &win, 2000), Verdict::SampleRatioMismatch { p_value: 1e-5 });
        assert_eq!(
            verdict(None, &win, 2000),
            Verdict::Winner { variant: "b".into(), metric: MetricKey::Conversion, lift: 0.3 }
        );
        let mut harmed = win.clone();
        harmed.push(result(MetricKey::RevenuePerUnit, MetricRole::Guardrail, vec![comparison("b", -0.1, -1)]));
        assert_eq!(
            verdict(None, &harmed, 2000),
            Verdict::WinnerWithHarm {
                variant: "b".into(),
                metric: MetricKey::Conversion,
                lift: 0.3,
                guardrail: MetricKey::RevenuePerUnit
            }
        );
        let flat = vec![result(MetricKey::Conversion, MetricRole::Primary, vec![comparison("b", 0.01, 0)])];
        assert_eq!(verdict(None, &flat, 2000), Verdict::Inconclusive { units: 2000 });
        let none = vec![result(MetricKey::Conversion, MetricRole::Primary, vec![])];
        assert_eq!(verdict(None, &none, 0), Verdict::NotEnoughData);
        let worse = vec![result(MetricKey::Conversion, MetricRole::Primary, vec![comparison("b", -0.2, -1)])];
        assert_eq!(verdict(None, &worse, 2000), Verdict::ControlBetter { metric: MetricKey::Conversion });
    }
}
