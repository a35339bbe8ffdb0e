//! Replenishment: from each series' forecast, the stock ledger, open purchase orders and the supplier's
//! terms, what to order now and why (`retail-inventory` decides); the planner's approval queue; and
//! approved suggestions turned into purchase orders, one per location and supplier, in the same
//! transaction that marks them ordered.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, Utc};
use retail_domain::{
    Contract, Currency, EntityKind, Product, ProductStatus, PurchaseLine, PurchaseOrder, PurchaseOrderStatus,
    StockLevel, Supplier,
};
use retail_forecast::demand::{DemandForecast, Pattern};
use retail_inventory::classify::{Abc, AbcCuts, abc};
use retail_inventory::policy::{
    DemandView, ItemInputs, Policy, Reason, ServiceTargets, Suggestion, delivery_timing, suggest,
};
use retail_store::{DocQuery, StockQuery, SuggestionMove, SuggestionQuery, SuggestionRecord, WriteSet};
use retail_supply::Band;
use serde::{Deserialize, Serialize};

use super::{History, SuggestionCounts};
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, all_docs, announce, invalid};

/// Holding cost per year as a share of unit cost: capital, space, shrink.
const HOLDING_RATE: f64 = 0.25;
/// The plan is reviewed every night.
const REVIEW_DAYS: f64 = 1.0;
/// Purchase-order states whose unreceived quantity is on its way.
const OPEN_ORDER_STATES: [PurchaseOrderStatus; 3] =
    [PurchaseOrderStatus::Submitted, PurchaseOrderStatus::Confirmed, PurchaseOrderStatus::PartiallyReceived];

/// A suggestion's state.
pub mod status {
    pub const PROPOSED: &str = "proposed";
    pub const EXCEPTION: &str = "exception";
    pub const APPROVED: &str = "approved";
    pub const REJECTED: &str = "rejected";
    pub const ORDERED: &str = "ordered";
    pub const SUPERSEDED: &str = "superseded";
    pub const ALL: [&str; 6] = [PROPOSED, EXCEPTION, APPROVED, REJECTED, ORDERED, SUPERSEDED];
}

/// Why a suggestion waits for a planner instead of going through on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exception {
    /// The order is worth more than the configured budget.
    AboveBudget,
    /// The product's supplier is marked inactive.
    SupplierInactive,
    /// The supplier's lead time varies by more than half its mean, or its scorecard warns.
    SupplierUnreliable,
    /// The supplier's scorecard says to stop ordering (score or quality below the floor).
    SupplierBlocked,
    /// The supplier's order from this location would be worth less than the minimum it accepts, and
    /// something in it is expected to run out before an order could arrive.
    BelowMinimumOrderValue,
}

/// Everything a planner sees about one suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuggestionDetail {
    pub product_name: String,
    pub category_id: String,
    pub unit_cost_minor: i64,
    pub value_minor: i64,
    #[schema(value_type = String)]
    pub currency: Currency,
    /// ABC class of the product at this location by sales value.
    pub abc: String,
    #[schema(value_type = String)]
    pub pattern: Pattern,
    pub model: String,
    pub service_level: f64,
    pub lead_time_days: f64,
    pub on_hand: i64,
    pub on_order: i64,
    pub reserved: i64,
    /// The decision: quantity, position, safety stock, reorder point, order-up-to level, expected
    /// lead-time demand, days of cover, and its steps with their numbers (`reasons`, rendered in the
    /// reader's language by the console).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub decision: Suggestion,
    pub exceptions: Vec<Exception>,
}

/// A suggestion as listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SuggestionView {
    pub suggestion_id: String,
    pub run_id: String,
    pub location_id: String,
    pub product_id: String,
    pub supplier_id: Option<String>,
    pub status: String,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<Utc>,
    pub purchase_order_id: Option<String>,
    #[serde(flatten)]
    pub detail: SuggestionDetail,
}

/// What one run proposes.
#[derive(Default)]
pub(crate) struct Plan {
    pub counts: SuggestionCounts,
    pub records: Vec<SuggestionRecord>,
}

fn skip(counts: &mut SuggestionCounts, reason: &str) {
    *counts.skipped.entry(reason.to_string()).or_default() += 1;
}

/// Units of each location × product on open purchase orders and not yet received.
async fn on_order(p: &Platform) -> ServiceResult<HashMap<(String, String), i64>> {
    let mut out: HashMap<(String, String), i64> = HashMap::new();
    for state in OPEN_ORDER_STATES {
        let mut after = None;
        loop {
            let query = DocQuery {
                filters: vec![("status".into(), state.as_str().into())],
                after,
                limit: 1000,
                ..Default::default()
            };
            let page = p.store.list_docs(EntityKind::PurchaseOrder, &query).await?;
            for d in &page.items {
                let po: PurchaseOrder = serde_json::from_value(d.doc.clone()).map_err(|e| {
                    ServiceError::Internal(format!("stored purchase order '{}' does not parse: {e}", d.external_id))
                })?;
                for line in &po.lines {
                    *out.entry((po.location_id.clone(), line.product_id.clone())).or_default() +=
                        line.quantity - line.received_quantity;
                }
            }
            match page.next_cursor {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(out)
}

async fn stock_levels(p: &Platform) -> ServiceResult<HashMap<(String, String), StockLevel>> {
    // The stock query pages by location then product; read it location by location.
    let locations: Vec<retail_domain::Location> = all_docs(p, EntityKind::Location).await?;
    let mut out = HashMap::new();
    for l in locations {
        let rows = p
            .store
            .stock(&StockQuery { location_id: Some(l.external_id.clone()), product_id: None, limit: u32::MAX })
            .await?;
        for s in rows {
            out.insert((s.location_id.clone(), s.product_id.clone()), s);
        }
    }
    Ok(out)
}

/// Proposes what to order for every forecast series.
pub(crate) async fn plan(
    p: &Platform,
    run_id: &str,
    history: &History,
    forecasts: &[DemandForecast],
    products: &HashMap<String, Product>,
) -> ServiceResult<Plan> {
    let suppliers: HashMap<String, Supplier> =
        all_docs::<Supplier>(p, EntityKind::Supplier).await?.into_iter().map(|s| (s.external_id.clone(), s)).collect();
    let stock = stock_levels(p).await?;
    let mut ordered = on_order(p).await?;
    // Approved suggestions not yet ordered are as good as on order: a new run must not order them twice.
    let approved = p
        .store
        .list_suggestions(&SuggestionQuery {
            statuses: vec![status::APPROVED.into()],
            limit: 1000,
            ..Default::default()
        })
        .await?;
    for s in approved.items {
        let detail: SuggestionDetail = parse_detail(&s)?;
        *ordered.entry((s.location_id, s.product_id)).or_default() += detail.decision.quantity as i64;
    }
    let classes = abc_by_location(history, products);
    let targets = ServiceTargets::default();
    let budget = p.config.replenishment_budget_minor;
    let ordering_cost = p.config.replenishment_ordering_cost_minor;
    // A known cost per order makes batching worth it: (s,S) with the EOQ; otherwise order up to
    // the level each night.
    let policy = if ordering_cost > 0 { Policy::ContinuousSs } else { Policy::PeriodicRs };
    let as_of = history.range.to;
    let contracts: HashMap<(String, String), Contract> = all_docs::<Contract>(p, EntityKind::Contract)
        .await?
        .into_iter()
        .filter(|c| c.is_valid_on(as_of))
        .map(|c| ((c.supplier_id.clone(), c.product_id.clone()), c))
        .collect();
    let bands = supplier_bands(p).await?;
    let now = Utc::now().timestamp_millis();
    let mut counts = SuggestionCounts::default();
    let mut proposals: Vec<(SuggestionRecord, SuggestionDetail, i64)> = Vec::new();
    for (i, (series, forecast)) in history.series.iter().zip(forecasts).enumerate() {
        let Some(product) = products.get(&series.product_id) else {
            skip(&mut counts, "unknown_product");
            continue;
        };
        if product.status != ProductStatus::Active {
            skip(&mut counts, "not_active");
            continue;
        }
        let Some(supplier) = product.supplier_id.as_ref().and_then(|id| suppliers.get(id)) else {
            skip(&mut counts, "no_supplier");
            continue;
        };
        let key = (series.location_id.clone(), series.product_id.clone());
        let level = stock.get(&key).cloned().unwrap_or_default();
        let on_order_units = ordered.get(&key).copied().unwrap_or(0);
        let class = classes.get(&key).copied().unwrap_or(Abc::C);
        let terms =
            Terms::of(product, supplier, contracts.get(&(supplier.external_id.clone(), product.external_id.clone())));
        let unit_cost = terms.unit_cost_minor;
        let timing = delivery_timing(as_of.weekday().num_days_from_monday(), terms.lead_time_days, &terms.delivers);
        let inputs = ItemInputs {
            on_hand: level.on_hand as f64,
            on_order: on_order_units as f64,
            backorders_or_reserved: level.reserved as f64,
            demand: DemandView {
                mean_per_day: forecast.mean.clone(),
                error_std_per_day: forecast.sd.first().copied().unwrap_or(0.0),
            },
            lead_time_days: timing.map_or(terms.lead_time_days, |(arrives, _)| f64::from(arrives)),
            lead_time_std_days: supplier.lead_time_std_days,
            review_days: timing.map_or(REVIEW_DAYS, |(_, next)| f64::from(next)),
            service_level: targets.for_class(class),
            pack_size: terms.pack_size,
            moq_units: terms.moq_units,
            unit_cost: unit_cost as f64,
            ordering_cost: (ordering_cost > 0).then_some(ordering_cost as f64),
            holding_rate_per_year: HOLDING_RATE,
            shelf_life_days: product.shelf_life_days,
            max_order_value: (budget > 0).then_some(budget as f64),
        };
        let mut decided = match suggest(&inputs, &policy) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(product = %series.product_id, location = %series.location_id, error = %e, "not planned");
                skip(&mut counts, "bad_input");
                continue;
            }
        };
        if !decided.order {
            counts.no_order += 1;
            continue;
        }
        if let Some((arrives_in_days, next_delivery_after_days)) = timing {
            decided.reasons.insert(0, Reason::DeliverySchedule { arrives_in_days, next_delivery_after_days });
        }
        let mut exceptions = Vec::new();
        if decided.reasons.iter().any(|r| matches!(r, Reason::AboveBudget { .. })) {
            exceptions.push(Exception::AboveBudget);
        }
        if !supplier.active {
            exceptions.push(Exception::SupplierInactive);
        }
        let band = bands.get(&supplier.external_id);
        if band == Some(&Band::Blocked) {
            exceptions.push(Exception::SupplierBlocked);
        } else if band == Some(&Band::Warning)
            || (supplier.lead_time_days > 0.0 && supplier.lead_time_std_days > 0.5 * supplier.lead_time_days)
        {
            exceptions.push(Exception::SupplierUnreliable);
        }
        let detail = SuggestionDetail {
            product_name: product.name.en.clone(),
            category_id: product.category_id.clone(),
            unit_cost_minor: unit_cost,
            value_minor: unit_cost.saturating_mul(decided.quantity as i64),
            currency: product.cost.currency.clone(),
            abc: format!("{class:?}"),
            pattern: forecast.pattern,
            model: forecast.model.clone(),
            service_level: inputs.service_level,
            lead_time_days: terms.lead_time_days,
            on_hand: level.on_hand,
            on_order: on_order_units,
            reserved: level.reserved,
            decision: decided,
            exceptions,
        };
        let record = SuggestionRecord {
            suggestion_id: format!("{run_id}-{i:06}"),
            run_id: run_id.to_string(),
            location_id: series.location_id.clone(),
            product_id: series.product_id.clone(),
            supplier_id: Some(supplier.external_id.clone()),
            status: String::new(),
            created_at_ms: now,
            updated_at_ms: now,
            updated_by: "system".into(),
            purchase_order_id: None,
            doc: String::new(),
        };
        proposals.push((record, detail, supplier.min_order_minor));
    }
    let (proposals, held) = hold_small_orders(proposals);
    if held > 0 {
        counts.skipped.insert("below_minimum_order_value".into(), held);
    }
    let mut records = Vec::with_capacity(proposals.len());
    for (mut record, detail, _) in proposals {
        let state = if detail.exceptions.is_empty() { status::PROPOSED } else { status::EXCEPTION };
        match state {
            status::PROPOSED => counts.proposed += 1,
            _ => counts.exceptions += 1,
        }
        record.status = state.to_string();
        record.doc = serde_json::to_string(&detail)
            .map_err(|e| ServiceError::Internal(format!("a suggestion does not serialise: {e}")))?;
        records.push(record);
    }
    Ok(Plan { counts, records })
}

/// What one product costs from its supplier and how it comes: the contract in force where there is
/// one, the supplier's and the product's defaults where not.
struct Terms {
    unit_cost_minor: i64,
    lead_time_days: f64,
    pack_size: u32,
    moq_units: u32,
    /// Weekdays (Monday first) the supplier delivers; all false for any day.
    delivers: [bool; 7],
}

impl Terms {
    fn of(product: &Product, supplier: &Supplier, contract: Option<&Contract>) -> Self {
        let Some(c) = contract else {
            return Terms {
                unit_cost_minor: product.cost.amount_minor,
                lead_time_days: supplier.lead_time_days,
                pack_size: product.pack_size.max(1),
                moq_units: 0,
                delivers: [false; 7],
            };
        };
        let mut delivers = [false; 7];
        for day in &c.delivery_days {
            delivers[*day as usize] = true;
        }
        Terms {
            unit_cost_minor: c.unit_cost_minor,
            lead_time_days: c.lead_time_days,
            pack_size: c.pack_size.max(1),
            moq_units: u32::try_from(c.min_order_units).unwrap_or(u32::MAX),
            delivers,
        }
    }
}

/// Each supplier's scorecard band over the last quarter; none before any purchase history exists.
async fn supplier_bands(p: &Platform) -> ServiceResult<HashMap<String, Band>> {
    match crate::logistics::suppliers::scorecards(p, 13).await {
        Ok(cards) => {
            Ok(cards.suppliers.into_iter().map(|s| (s.scorecard.supplier_id.clone(), s.scorecard.band)).collect())
        }
        Err(ServiceError::Conflict(_)) => Ok(HashMap::new()),
        Err(e) => Err(e),
    }
}

/// Orders one location would send one supplier below the supplier's minimum order value wait for
/// more to order, as buyers do, unless something in them is expected to run out before an order
/// could arrive (its position at or below the lead time's expected demand): then they go to a
/// planner, who can top them up or pay the small-order charge. Returns the proposals kept and the
/// number held back.
fn hold_small_orders(
    proposals: Vec<(SuggestionRecord, SuggestionDetail, i64)>,
) -> (Vec<(SuggestionRecord, SuggestionDetail, i64)>, u64) {
    type Group = (String, Option<String>);
    let group = |r: &SuggestionRecord| -> Group { (r.location_id.clone(), r.supplier_id.clone()) };
    let mut totals: HashMap<Group, (i64, bool)> = HashMap::new();
    for (record, detail, _) in &proposals {
        let total = totals.entry(group(record)).or_default();
        total.0 = total.0.saturating_add(detail.value_minor);
        total.1 |= detail.decision.position <= detail.decision.expected_demand_lead_time;
    }
    let mut held = 0;
    let mut kept = Vec::with_capacity(proposals.len());
    for (record, mut detail, minimum) in proposals {
        let (value, urgent) = totals[&group(&record)];
        if minimum > 0 && value < minimum {
            if !urgent {
                held += 1;
                continue;
            }
            detail.exceptions.push(Exception::BelowMinimumOrderValue);
        }
        kept.push((record, detail, minimum));
    }
    (kept, held)
}

/// ABC class of each product at each location by the value it sold over the history.
fn abc_by_location(history: &History, products: &HashMap<String, Product>) -> HashMap<(String, String), Abc> {
    let mut by_location: BTreeMap<&str, Vec<(usize, f64)>> = BTreeMap::new();
    for (i, (s, y)) in history.series.iter().zip(&history.values).enumerate() {
        let cost = products.get(&s.product_id).map_or(0.0, |p| p.cost.amount_minor as f64);
        by_location.entry(&s.location_id).or_default().push((i, y.iter().sum::<f64>() * cost));
    }
    let mut out = HashMap::new();
    for rows in by_location.values() {
        let values: Vec<f64> = rows.iter().map(|r| r.1).collect();
        for ((i, _), class) in rows.iter().zip(abc(&values, AbcCuts::default())) {
            let s = &history.series[*i];
            out.insert((s.location_id.clone(), s.product_id.clone()), class);
        }
    }
    out
}

fn parse_detail(s: &SuggestionRecord) -> ServiceResult<SuggestionDetail> {
    serde_json::from_str(&s.doc)
        .map_err(|e| ServiceError::Internal(format!("stored suggestion '{}' does not parse: {e}", s.suggestion_id)))
}

fn view(s: SuggestionRecord) -> ServiceResult<SuggestionView> {
    let detail = parse_detail(&s)?;
    Ok(SuggestionView {
        suggestion_id: s.suggestion_id,
        run_id: s.run_id,
        location_id: s.location_id,
        product_id: s.product_id,
        supplier_id: s.supplier_id,
        status: s.status,
        updated_by: s.updated_by,
        updated_at: chrono::DateTime::from_timestamp_millis(s.updated_at_ms).unwrap_or_default(),
        purchase_order_id: s.purchase_order_id,
        detail,
    })
}

/// Which suggestions to list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Comma-separated states; `proposed,exception,approved` (the planner's queue) when absent.
    pub status: Option<String>,
    pub location_id: Option<String>,
    pub run_id: Option<String>,
    pub after: Option<String>,
    /// At most this many (default 100, at most 1,000).
    pub limit: Option<u32>,
}

/// A page of suggestions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuggestionPage {
    pub items: Vec<SuggestionView>,
    pub next_cursor: Option<String>,
}

pub async fn list(p: &Platform, q: &ListQuery) -> ServiceResult<SuggestionPage> {
    let statuses: Vec<String> = match &q.status {
        None => vec![status::PROPOSED.into(), status::EXCEPTION.into(), status::APPROVED.into()],
        Some(s) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
    };
    if let Some(bad) = statuses.iter().find(|s| !status::ALL.contains(&s.as_str())) {
        return Err(invalid("status", format!("unknown state '{bad}'; one of {}", status::ALL.join(", "))));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 1000"));
    }
    let page = p
        .store
        .list_suggestions(&SuggestionQuery {
            statuses,
            location_id: q.location_id.clone(),
            run_id: q.run_id.clone(),
            after: q.after.clone(),
            limit,
        })
        .await?;
    Ok(SuggestionPage {
        items: page.items.into_iter().map(view).collect::<ServiceResult<_>>()?,
        next_cursor: page.next_cursor,
    })
}

/// A planner's decision on suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// What a decision changed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Decided {
    /// Suggestions that changed state.
    pub changed: u64,
    /// Ids that were not waiting for a decision (unknown, already decided or superseded).
    pub unchanged: Vec<String>,
}

/// Approves or rejects suggestions still waiting for a decision.
pub async fn decide(p: &Platform, ids: &[String], decision: Decision, by: &str) -> ServiceResult<Decided> {
    check_ids(p, ids)?;
    let before = p.store.get_suggestions(ids).await?;
    let to = match decision {
        Decision::Approve => status::APPROVED,
        Decision::Reject => status::REJECTED,
    };
    let change = SuggestionMove {
        ids,
        from: &[status::PROPOSED, status::EXCEPTION],
        to,
        by,
        at_ms: Utc::now().timestamp_millis(),
    };
    let changed = p.store.move_suggestions(&change).await?;
    let waiting: std::collections::HashSet<&str> = before
        .iter()
        .filter(|s| s.status == status::PROPOSED || s.status == status::EXCEPTION)
        .map(|s| s.suggestion_id.as_str())
        .collect();
    let unchanged = ids.iter().filter(|id| !waiting.contains(id.as_str())).cloned().collect();
    Ok(Decided { changed, unchanged })
}

fn check_ids(p: &Platform, ids: &[String]) -> ServiceResult<()> {
    match ids.len() {
        0 => Err(invalid("ids", "at least one suggestion id is needed")),
        n if n > p.config.max_batch_items => Err(ServiceError::TooMany { got: n, max: p.config.max_batch_items }),
        _ => Ok(()),
    }
}

/// The purchase orders approved suggestions became.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ordered {
    pub purchase_orders: Vec<String>,
    pub suggestions: u64,
}

/// Turns approved suggestions into submitted purchase orders, one per location and supplier, and marks
/// them ordered, all in one transaction. Every id must be approved.
pub async fn order(p: &Platform, ids: &[String], by: &str) -> ServiceResult<Ordered> {
    check_ids(p, ids)?;
    let found = p.store.get_suggestions(ids).await?;
    let not_approved: Vec<String> = ids
        .iter()
        .filter(|id| !found.iter().any(|s| &s.suggestion_id == *id && s.status == status::APPROVED))
        .cloned()
        .collect();
    if !not_approved.is_empty() {
        return Err(ServiceError::Conflict(format!(
            "only approved suggestions can be ordered; not approved: {}",
            not_approved.join(", ")
        )));
    }
    place_orders(p, found, by).await?.ok_or_else(|| {
        ServiceError::Conflict("a suggestion changed while the orders were written; nothing was ordered".into())
    })
}

async fn place_orders(p: &Platform, approved: Vec<SuggestionRecord>, by: &str) -> ServiceResult<Option<Ordered>> {
    let suppliers: HashMap<String, Supplier> =
        all_docs::<Supplier>(p, EntityKind::Supplier).await?.into_iter().map(|s| (s.external_id.clone(), s)).collect();
    let now = Utc::now();
    let stamp = now.format("%Y%m%d%H%M%S");
    let mut groups: BTreeMap<(String, String), Vec<(SuggestionRecord, SuggestionDetail)>> = BTreeMap::new();
    for s in approved {
        let Some(supplier) = s.supplier_id.clone() else {
            return Err(ServiceError::Conflict(format!("suggestion '{}' has no supplier", s.suggestion_id)));
        };
        let detail = parse_detail(&s)?;
        groups.entry((s.location_id.clone(), supplier)).or_default().push((s, detail));
    }
    let mut orders = Vec::new();
    let mut links = Vec::new();
    for ((location, supplier_id), lines) in groups {
        let supplier = suppliers.get(&supplier_id);
        let lead = supplier.map_or(0.0, |s| s.lead_time_days);
        let id = format!("PO-{location}-{supplier_id}-{stamp}");
        for (s, _) in &lines {
            links.push((s.suggestion_id.clone(), id.clone()));
        }
        orders.push(PurchaseOrder {
            external_id: id,
            supplier_id,
            location_id: location,
            status: PurchaseOrderStatus::Submitted,
            currency: lines[0].1.currency.clone(),
            lines: lines
                .iter()
                .map(|(s, d)| PurchaseLine {
                    product_id: s.product_id.clone(),
                    quantity: d.decision.quantity as i64,
                    unit_cost_minor: d.unit_cost_minor,
                    received_quantity: 0,
                })
                .collect(),
            created_at: now,
            expected_at: Some(now + Duration::minutes((lead * 1440.0).round() as i64)),
        });
    }
    crate::service::validate_all(&orders)?;
    let mut writes = WriteSet::default();
    writes.upsert(&orders);
    let ids: Vec<String> = orders.iter().map(|o| o.external_id.clone()).collect();
    announce(&mut writes, "purchase_orders.upserted", ids.iter().map(String::as_str));
    let applied = p.store.order_suggestions(writes, &links, by, now.timestamp_millis()).await?;
    if applied.is_none() {
        return Ok(None);
    }
    p.outbox_written();
    Ok(Some(Ordered { purchase_orders: ids, suggestions: links.len() as u64 }))
}

/// The automatic mode: suggestions without exceptions are approved by rule and ordered at once.
pub(crate) async fn order_automatically(p: &Platform, plan: &Plan) -> ServiceResult<u64> {
    let ids: Vec<String> =
        plan.records.iter().filter(|r| r.status == status::PROPOSED).map(|r| r.suggestion_id.clone()).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let change = SuggestionMove {
        ids: &ids,
        from: &[status::PROPOSED],
        to: status::APPROVED,
        by: "automatic",
        at_ms: Utc::now().timestamp_millis(),
    };
    p.store.move_suggestions(&change).await?;
    let approved = p.store.get_suggestions(&ids).await?;
    let approved: Vec<SuggestionRecord> = approved.into_iter().filter(|s| s.status == status::APPROVED).collect();
    Ok(place_orders(p, approved, "automatic").await?.map_or(0, |o| o.suggestions))
}
