//! Delivery planning in the platform: tomorrow's DC → store transfers and home deliveries built into
//! a [`DeliveryProblem`] from the stored orders, fleet and coordinates; small problems solved while
//! the caller waits, large ones queued for the background solver; plans stored with a fingerprint
//! of the orders they were built from, so a plan whose orders changed is shown as stale.

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use retail_domain::{
    EntityKind, Location, Order, OrderChannel, OrderStatus, Product, TransferOrder, TransferStatus, Vehicle,
};
use retail_store::{DeliveryPlanRecord, PlanFigures, PlanQuery};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::load_products;
use super::problem::{DeliveryPlan, DeliveryProblem, ProblemDepot, ProblemStop, ProblemVehicle};
use crate::Platform;
use crate::access::ms_to_time;
use crate::ids::new_id;
use crate::service::{ServiceError, ServiceResult, all_docs_where, invalid};

/// Problems with at most this many stops are solved while the caller waits.
pub const SYNC_STOPS: usize = 150;
/// How long a background solver holds a plan before another may take it over.
const LEASE_MS: i64 = 15 * 60 * 1000;

/// What is being planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanScope {
    /// Transfer orders from a distribution centre to its stores.
    Store,
    /// Online orders delivered to customers' doors in their slots.
    Home,
    /// A problem submitted whole through the API.
    Api,
}

impl PlanScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Store => "store",
            Self::Home => "home",
            Self::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Store, Self::Home, Self::Api].into_iter().find(|k| k.as_str() == s)
    }
}

/// A request to plan one depot's deliveries for one day.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    pub scope: PlanScope,
    pub depot_id: String,
    /// The local day to deliver on.
    pub date: NaiveDate,
    #[serde(default)]
    pub time_limit_s: Option<f64>,
}

/// A stored plan as the API and console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub plan_id: String,
    pub scope: String,
    pub depot_id: Option<String>,
    pub service_date: Option<String>,
    /// `queued`, `solving`, `ready`, `failed` or `superseded`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    /// Whether the orders it was built from changed since (store and home plans only, when asked).
    pub stale: Option<bool>,
    pub plan: Option<DeliveryPlan>,
}

fn view(r: DeliveryPlanRecord) -> ServiceResult<PlanView> {
    let plan = match &r.plan {
        Some(json) => Some(
            serde_json::from_str(json)
                .map_err(|e| ServiceError::Internal(format!("stored plan {} does not parse: {e}", r.plan_id)))?,
        ),
        None => None,
    };
    Ok(PlanView {
        plan_id: r.plan_id,
        scope: r.scope,
        depot_id: r.depot_id,
        service_date: r.service_date,
        status: r.status,
        created_at: ms_to_time(r.created_at_ms),
        created_by: r.created_by,
        finished_at: r.finished_at_ms.map(ms_to_time),
        error: r.error,
        stale: None,
        plan,
    })
}

fn figures(plan: &DeliveryPlan) -> PlanFigures {
    PlanFigures {
        routes: plan.totals.routes as i64,
        stops: plan.totals.stops as i64,
        unassigned: plan.totals.unassigned as i64,
        distance_m: (plan.totals.distance_km * 1000.0).round() as i64,
        cost_minor: plan.totals.cost_minor,
    }
}

/// A digest of what the plan depends on: the stops with their loads and windows, and the fleet.
fn fingerprint(problem: &DeliveryProblem) -> String {
    let basis = serde_json::json!({ "stops": problem.stops, "vehicles": problem.vehicles, "depots": problem.depots });
    Sha256::digest(basis.to_string().as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn timezone(l: &Location) -> Tz {
    l.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// `time` on `date` in `tz`, as UTC (the earlier instant when a clock change repeats it).
fn local(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&date.and_time(time)) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        // A time skipped by a clock change: the same wall time an hour later exists.
        chrono::LocalResult::None => local(tz, date, time + chrono::Duration::hours(1)),
    }
}

async fn location(p: &Platform, id: &str) -> ServiceResult<Location> {
    let doc = p.store.get_doc(EntityKind::Location, id).await?;
    let doc = doc.ok_or_else(|| ServiceError::NotFound { kind: "location", id: id.to_string() })?;
    serde_json::from_value(doc.doc).map_err(|e| ServiceError::Internal(format!("stored location {id}: {e}")))
}

/// Kilograms of `quantity` units; a product without a weight counts 1 kg a unit and is named.
fn weight(products: &HashMap<String, Product>, product_id: &str, quantity: i64, unweighed: &mut Vec<String>) -> f64 {
    match products.get(product_id).and_then(|p| p.unit_weight_kg) {
        Some(kg) => kg * quantity as f64,
        None => {
            if !unweighed.iter().any(|id| id == product_id) {
                unweighed.push(product_id.to_string());
            }
            quantity as f64
        }
    }
}

fn weight_warning(unweighed: &[String]) -> Option<String> {
    (!unweighed.is_empty()).then(|| {
        let shown: Vec<&str> = unweighed.iter().take(10).map(String::as_str).collect();
        format!(
            "{} product(s) have no unit weight and were counted at 1 kg a unit: {}{}",
            unweighed.len(),
            shown.join(", "),
            if unweighed.len() > shown.len() { ", …" } else { "" }
        )
    })
}

/// A problem of `stops` served from `depot` by its active vehicles with their shifts on `date`,
/// costed in the fleet's currency.
async fn depot_problem(
    p: &Platform,
    name: String,
    depot: &Location,
    date: NaiveDate,
    stops: Vec<ProblemStop>,
    warnings: Vec<String>,
) -> ServiceResult<DeliveryProblem> {
    let vehicles: Vec<Vehicle> = all_docs_where(p, EntityKind::Vehicle, &[("depot_id", &depot.external_id)]).await?;
    let vehicles: Vec<Vehicle> = vehicles.into_iter().filter(|v| v.active).collect();
    let currency = vehicles.first().map_or_else(retail_domain::Currency::cny, |v| v.currency.clone());
    if let Some(other) = vehicles.iter().find(|v| v.currency != currency) {
        let message = format!(
            "{} costs in {} but the fleet in {}: one plan is costed in one currency",
            other.external_id, other.currency.0, currency.0
        );
        return Err(invalid("vehicles", message));
    }
    let tz = timezone(depot);
    let vehicles = vehicles
        .into_iter()
        .map(|v| ProblemVehicle {
            id: v.external_id,
            depot_id: depot.external_id.clone(),
            capacity_kg: v.capacity_kg,
            fixed_cost_minor: v.fixed_cost_minor,
            cost_per_km_minor: v.cost_per_km_minor,
            cost_per_hour_minor: v.cost_per_hour_minor,
            shift_start: local(tz, date, v.shift_start),
            shift_end: local(tz, date, v.shift_end),
            trips: v.max_trips,
            max_km: None,
        })
        .collect();
    Ok(DeliveryProblem {
        name,
        currency,
        depots: vec![ProblemDepot { id: depot.external_id.clone(), lat: depot.lat, lon: depot.lon }],
        vehicles,
        stops,
        travel: Default::default(),
        matrix: None,
        time_limit_s: None,
        warnings,
        timezone: Some(depot.timezone.clone()),
    })
}

/// Minutes to unload: a quarter of an hour at the door plus a minute per 100 kg.
fn store_service_minutes(kg: f64) -> f64 {
    15.0 + kg / 100.0
}

/// The day's open transfers from `depot` as one stop per store (a store's transfers travel
/// together, inside the narrowest window they share).
pub async fn store_problem(p: &Platform, depot_id: &str, date: NaiveDate) -> ServiceResult<DeliveryProblem> {
    let depot = location(p, depot_id).await?;
    let date_text = date.to_string();
    let transfers: Vec<TransferOrder> =
        all_docs_where(p, EntityKind::TransferOrder, &[("from_location_id", depot_id), ("deliver_on", &date_text)])
            .await?;
    let transfers: Vec<TransferOrder> =
        transfers.into_iter().filter(|t| matches!(t.status, TransferStatus::Open | TransferStatus::Planned)).collect();
    let catalogue =
        load_products(p, transfers.iter().flat_map(|t| t.lines.iter().map(|l| l.product_id.clone())).collect()).await?;
    let mut by_store: BTreeMap<String, Vec<&TransferOrder>> = BTreeMap::new();
    for t in &transfers {
        by_store.entry(t.to_location_id.clone()).or_default().push(t);
    }
    let mut unweighed = Vec::new();
    let mut warnings = Vec::new();
    let mut stops = Vec::new();
    for (store_id, orders) in by_store {
        let store = location(p, &store_id).await?;
        let tz = timezone(&store);
        let mut kg = 0.0;
        let mut cases = 0;
        for l in orders.iter().flat_map(|t| &t.lines) {
            kg += weight(&catalogue, &l.product_id, l.quantity, &mut unweighed);
            let pack = catalogue.get(&l.product_id).map_or(1, |p| i64::from(p.pack_size.max(1)));
            cases += (l.quantity + pack - 1) / pack;
        }
        let start = orders.iter().filter_map(|t| t.window_start).max();
        let end = orders.iter().filter_map(|t| t.window_end).min();
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) if e > s => (Some(s), Some(e)),
            (Some(_), Some(_)) => {
                warnings.push(format!(
                    "{store_id}: its transfers' receiving windows do not overlap; the first one's is used"
                ));
                (orders[0].window_start, orders[0].window_end)
            }
            _ => (None, None),
        };
        let ids: Vec<&str> = orders.iter().map(|t| t.external_id.as_str()).collect();
        stops.push(ProblemStop {
            id: store_id.clone(),
            reference: Some(ids.join(" ")),
            name: Some(store.name.zh.clone()),
            lat: store.lat,
            lon: store.lon,
            demand_kg: (kg * 10.0).round() / 10.0,
            cases,
            service_minutes: store_service_minutes(kg),
            window_start: start.map(|t| local(tz, date, t)),
            window_end: end.map(|t| local(tz, date, t)),
            skip_penalty_minor: None,
        });
    }
    warnings.extend(weight_warning(&unweighed));
    depot_problem(p, format!("{depot_id} → stores {date}"), &depot, date, stops, warnings).await
}

/// Open online orders served from `depot` whose delivery slot starts on `date` (local), one stop each.
pub async fn home_problem(p: &Platform, depot_id: &str, date: NaiveDate) -> ServiceResult<DeliveryProblem> {
    let depot = location(p, depot_id).await?;
    let tz = timezone(&depot);
    let (day_start, day_end) =
        (local(tz, date, NaiveTime::MIN), local(tz, date + chrono::Days::new(1), NaiveTime::MIN));
    let mut orders: Vec<Order> = Vec::new();
    for status in [OrderStatus::Placed, OrderStatus::Paid, OrderStatus::Picked] {
        let found: Vec<Order> =
            all_docs_where(p, EntityKind::Order, &[("location_id", depot_id), ("status", status.as_str())]).await?;
        orders.extend(found.into_iter().filter(|o| {
            o.channel == OrderChannel::Online
                && o.delivery.is_some_and(|d| d.slot_start >= day_start && d.slot_start < day_end)
        }));
    }
    orders.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let catalogue =
        load_products(p, orders.iter().flat_map(|o| o.lines.iter().map(|l| l.product_id.clone())).collect()).await?;
    let mut unweighed = Vec::new();
    let stops = orders
        .iter()
        .filter_map(|o| {
            let d = o.delivery?;
            let kg: f64 = o.lines.iter().map(|l| weight(&catalogue, &l.product_id, l.quantity, &mut unweighed)).sum();
            Some(ProblemStop {
                id: o.external_id.clone(),
                reference: o.customer_id.clone(),
                name: o.delivery_address.as_ref().map(|a| a.zh.clone()),
                lat: d.lat,
                lon: d.lon,
                demand_kg: (kg * 10.0).round() / 10.0,
                cases: 1,
                service_minutes: 4.0 + kg / 20.0,
                window_start: Some(d.slot_start),
                window_end: Some(d.slot_end),
                skip_penalty_minor: None,
            })
        })
        .collect();
    let warnings = weight_warning(&unweighed).into_iter().collect();
    depot_problem(p, format!("{depot_id} → home deliveries {date}"), &depot, date, stops, warnings).await
}

async fn build(p: &Platform, request: &PlanRequest) -> ServiceResult<DeliveryProblem> {
    let mut problem = match request.scope {
        PlanScope::Store => store_problem(p, &request.depot_id, request.date).await?,
        PlanScope::Home => home_problem(p, &request.depot_id, request.date).await?,
        PlanScope::Api => return Err(invalid("scope", "submit an api problem whole to /api/v1/routing/plans")),
    };
    problem.time_limit_s = request.time_limit_s;
    Ok(problem)
}

/// Solves on a blocking thread (the search is CPU-bound), on every core the machine has.
async fn solve(problem: DeliveryProblem) -> ServiceResult<DeliveryPlan> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    tokio::task::spawn_blocking(move || problem.solve(1, threads))
        .await
        .map_err(|e| ServiceError::Internal(format!("the routing search stopped: {e}")))?
}

/// Plans one depot's deliveries for one day from the stored orders (see [`submit`]).
pub async fn plan_day(p: &Platform, request: &PlanRequest, by: &str) -> ServiceResult<PlanView> {
    let problem = build(p, request).await?;
    if problem.stops.is_empty() {
        let what = if request.scope == PlanScope::Store { "open transfer orders" } else { "open home deliveries" };
        return Err(invalid("date", format!("there are no {what} from {} on {}", request.depot_id, request.date)));
    }
    submit(p, request.scope, Some(&request.depot_id), Some(request.date), problem, by).await
}

/// Stores a problem and solves it: at most [`SYNC_STOPS`] stops while the caller waits (the plan
/// comes back `ready`), more in the background (it comes back `queued`; read it again later).
pub async fn submit(
    p: &Platform,
    scope: PlanScope,
    depot_id: Option<&str>,
    date: Option<NaiveDate>,
    problem: DeliveryProblem,
    by: &str,
) -> ServiceResult<PlanView> {
    problem.validate()?;
    let record = DeliveryPlanRecord {
        plan_id: new_id("dp"),
        scope: scope.as_str().into(),
        depot_id: depot_id.map(str::to_string),
        service_date: date.map(|d| d.to_string()),
        status: "queued".into(),
        fingerprint: fingerprint(&problem),
        created_at_ms: Utc::now().timestamp_millis(),
        created_by: by.into(),
        finished_at_ms: None,
        routes: None,
        stops: None,
        unassigned: None,
        distance_m: None,
        cost_minor: None,
        problem: serde_json::to_string(&problem).map_err(|e| ServiceError::Internal(e.to_string()))?,
        plan: None,
        error: None,
    };
    p.store.insert_plan(&record).await?;
    if problem.stops.len() <= SYNC_STOPS {
        finish(p, &record.plan_id, solve(problem).await).await?;
    }
    get(p, &record.plan_id, false).await
}

/// Records a solve's outcome; an error that is the caller's (bad input) or ours fails the plan.
async fn finish(p: &Platform, plan_id: &str, outcome: ServiceResult<DeliveryPlan>) -> ServiceResult<()> {
    let now = Utc::now().timestamp_millis();
    match outcome {
        Ok(plan) => {
            let json = serde_json::to_string(&plan).map_err(|e| ServiceError::Internal(e.to_string()))?;
            p.store.finish_plan(plan_id, Ok((&json, figures(&plan))), now).await?;
        }
        Err(e) => {
            p.store.finish_plan(plan_id, Err(&e.to_string()), now).await?;
        }
    }
    Ok(())
}

/// One plan; with `check_stale`, whether its orders changed since it was made.
pub async fn get(p: &Platform, plan_id: &str, check_stale: bool) -> ServiceResult<PlanView> {
    let record = p.store.get_plan(plan_id).await?;
    let record = record.ok_or_else(|| ServiceError::NotFound { kind: "delivery plan", id: plan_id.to_string() })?;
    let fingerprint = record.fingerprint.clone();
    let request = match (PlanScope::parse(&record.scope), &record.depot_id, &record.service_date) {
        (Some(scope @ (PlanScope::Store | PlanScope::Home)), Some(depot), Some(date)) => {
            date.parse().ok().map(|date| PlanRequest { scope, depot_id: depot.clone(), date, time_limit_s: None })
        }
        _ => None,
    };
    let mut v = view(record)?;
    if check_stale && let Some(request) = request {
        v.stale = Some(self::fingerprint(&build(p, &request).await?) != fingerprint);
    }
    Ok(v)
}

/// Plans newest first, without their bodies.
pub async fn list(p: &Platform, query: &PlanQuery) -> ServiceResult<Vec<PlanView>> {
    p.store.list_plans(query).await?.into_iter().map(view).collect()
}

/// Plans the same depot and day again from the orders as they are now.
pub async fn replan(p: &Platform, plan_id: &str, by: &str) -> ServiceResult<PlanView> {
    let old = get(p, plan_id, false).await?;
    let (Some(scope), Some(depot), Some(date)) =
        (PlanScope::parse(&old.scope), old.depot_id.clone(), old.service_date.as_deref().and_then(|d| d.parse().ok()))
    else {
        return Err(invalid(
            "plan_id",
            "only store and home plans are rebuilt from orders; submit an api problem again",
        ));
    };
    plan_day(p, &PlanRequest { scope, depot_id: depot, date, time_limit_s: None }, by).await
}

/// Solves queued plans one at a time, every few seconds, under a lease so that replicas share the work.
pub fn spawn_solver(p: Arc<Platform>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match solve_next(&p).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "solving a queued delivery plan failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        }
    })
}

/// Leases and solves the oldest queued plan; `false` when there was none.
pub async fn solve_next(p: &Platform) -> ServiceResult<bool> {
    let now = Utc::now().timestamp_millis();
    let Some(record) = p.store.claim_plan(now, now + LEASE_MS).await? else { return Ok(false) };
    let outcome = match serde_json::from_str::<DeliveryProblem>(&record.problem) {
        Ok(problem) => solve(problem).await,
        Err(e) => Err(ServiceError::Internal(format!("stored problem does not parse: {e}"))),
    };
    tracing::info!(plan = %record.plan_id, ok = outcome.is_ok(), "delivery plan solved");
    finish(p, &record.plan_id, outcome).await?;
    Ok(true)
}
