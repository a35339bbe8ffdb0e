//! Inventory optimisation measured on the stored history: replays the last months of daily sales of a
//! spread of store × product items under the platform's policy (forecast-driven order-up-to, reviewed
//! nightly, through the same `suggest` the live suggestions use) and under the min/max rule ERP
//! systems ship, each over a sweep of its knob, and compares the stock each needs for the same fill
//! rate.

use std::collections::HashMap;

use retail_domain::{EntityKind, ProductStatus, Supplier};
use retail_forecast::demand::{self, Input, Options};
use retail_inventory::policy::{DemandView, Policy};
use retail_inventory::simulate::{
    Comparison, Costs, LeadTimes, SimConfig, SimReport, compare_at_equal_fill_rate, simulate,
};
use retail_store::DateRange;
use serde::Serialize;

use super::{forecast_options, load_history};
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, all_docs, invalid};

/// Our policy's knob: the cycle service level.
const SERVICE_LEVELS: [f64; 8] = [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995];
/// The baseline's knob: days of demand beyond the lead time at which min/max reorders.
const MIN_COVER_DAYS: [f64; 8] = [0.0, 1.0, 2.0, 4.0, 7.0, 10.0, 14.0, 21.0];
/// Days of demand between min and max, as ERP defaults often set it.
const MAX_COVER_DAYS: f64 = 7.0;
/// Fill rates the two are compared at.
const TARGETS: [f64; 4] = [0.95, 0.97, 0.98, 0.99];
/// Days the forecast is refreshed after (the nightly job refits daily; weekly keeps this cheap).
const REFIT_DAYS: usize = 7;
const WARMUP_DAYS: usize = 28;
const HOLDING_RATE: f64 = 0.25;

/// One setting of a sweep with what it achieved over all items.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SweepPoint {
    /// Service level (ours) or min cover days (min/max).
    pub knob: f64,
    #[schema(value_type = Object)]
    pub report: SimReport,
}

/// The two policies side by side.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PolicyComparison {
    pub items: u64,
    pub days: u32,
    pub ours: Vec<SweepPoint>,
    pub min_max: Vec<SweepPoint>,
    /// Average stock of each at equal fill rates (the targets both sweeps span).
    #[schema(value_type = Vec<Object>)]
    pub at_fill_rate: Vec<Comparison>,
}

struct Item {
    demand: Vec<f64>,
    /// Forecasts made every [`REFIT_DAYS`] from the history through that day.
    views: Vec<DemandView>,
    config: SimConfig,
    mean_daily: f64,
    lead_days: f64,
}

/// Replays the last `days` days of `items` store × product series (evenly spread over those with a
/// supplier) under both policies.
pub async fn compare_policies(p: &Platform, days: u32, items: u32) -> ServiceResult<PolicyComparison> {
    if !(56..=365).contains(&days) {
        return Err(invalid("days", "must be between 56 and 365"));
    }
    if !(1..=20_000).contains(&items) {
        return Err(invalid("items", "must be between 1 and 20000"));
    }
    let Some(sales_days) = p.store.sales_days().await? else {
        return Err(ServiceError::Conflict("no sales are recorded yet: there is nothing to replay".into()));
    };
    let options = forecast_options(p)?;
    let history_days = p.config.forecast_history_days;
    let range = DateRange::last_days(sales_days.to, history_days + days);
    let (history, products, _) = load_history(p, range).await?;
    let suppliers: HashMap<String, Supplier> =
        all_docs::<Supplier>(p, EntityKind::Supplier).await?.into_iter().map(|s| (s.external_id.clone(), s)).collect();
    let n = history.range.len_days() as usize;
    let start = n.saturating_sub(days as usize);
    let eligible: Vec<usize> = (0..history.series.len())
        .filter(|&i| {
            let s = &history.series[i];
            let product = products.get(&s.product_id);
            let supplied = product.and_then(|p| p.supplier_id.as_ref()).is_some_and(|id| suppliers.contains_key(id));
            supplied
                && product.is_some_and(|p| p.status == ProductStatus::Active)
                && history.values[i][start..].iter().any(|&v| v > 0.0)
        })
        .collect();
    if eligible.is_empty() {
        return Err(ServiceError::Conflict("no item with a supplier sold in the replayed days".into()));
    }
    let step = (eligible.len() as f64 / f64::from(items)).max(1.0);
    let picked: Vec<usize> =
        (0..eligible.len().min(items as usize)).map(|k| eligible[(k as f64 * step) as usize]).collect();
    let mut prepared = Vec::with_capacity(picked.len());
    for &i in &picked {
        let s = &history.series[i];
        let product = &products[&s.product_id];
        let supplier = &suppliers[product.supplier_id.as_deref().unwrap_or_default()];
        // Replayed demand is what customers asked for: days the shelf stood empty read as lost demand.
        let series = history.demand(i, 0, n).0.into_owned();
        let demand = series[start..].to_vec();
        let mean_daily = series[..start].iter().rev().take(28).sum::<f64>() / 28.0;
        let lead_days = supplier.lead_time_days.round().max(0.0);
        let config = SimConfig {
            initial_on_hand: (mean_daily * (lead_days + 7.0)).ceil(),
            lead_time: LeadTimes::Fixed(lead_days as u32),
            review_days: 1,
            service_level: 0.95,
            pack_size: product.pack_size.max(1),
            moq_units: 0,
            costs: Costs {
                unit_cost: product.cost.amount_minor as f64,
                unit_price: product.price.amount_minor as f64,
                holding_rate_per_year: HOLDING_RATE,
                ordering_cost: 0.0,
                lost_sale_cost: None,
            },
            warmup_days: WARMUP_DAYS,
        };
        prepared.push((series, demand, config, mean_daily, lead_days));
    }
    let horizon = options.horizon;
    let result = tokio::task::spawn_blocking(move || {
        use rayon::prelude::*;
        let items: Vec<Item> = prepared
            .into_par_iter()
            .map(|(series, demand, config, mean_daily, lead_days)| {
                let views = (0..demand.len())
                    .step_by(REFIT_DAYS)
                    .map(|t| view(&series[..start + t + 1], &Options { horizon, ..options.clone() }))
                    .collect();
                Item { demand, views, config, mean_daily, lead_days }
            })
            .collect();
        let sweep = |knobs: &[f64], policy_of: &(dyn Fn(&Item, f64) -> (Policy, f64) + Sync)| {
            knobs
                .par_iter()
                .map(|&knob| {
                    let reports: Vec<SimReport> = items
                        .iter()
                        .filter_map(|item| {
                            let (policy, service_level) = policy_of(item, knob);
                            let config = SimConfig { service_level, ..item.config.clone() };
                            simulate(&item.demand, &config, &policy, |t, _| item.views[t / REFIT_DAYS].clone()).ok()
                        })
                        .collect();
                    SweepPoint { knob, report: SimReport::aggregate(&reports) }
                })
                .collect::<Vec<_>>()
        };
        let ours = sweep(&SERVICE_LEVELS, &|_, level| (Policy::PeriodicRs, level));
        let min_max = sweep(&MIN_COVER_DAYS, &|item, cover| {
            (Policy::min_max_from_history(item.mean_daily, item.lead_days, cover, MAX_COVER_DAYS), 0.95)
        });
        (items.len(), ours, min_max)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("the simulation task failed: {e}")))?;
    let (count, ours, min_max) = result;
    let reports = |s: &[SweepPoint]| s.iter().map(|p| p.report).collect::<Vec<_>>();
    let at_fill_rate = TARGETS
        .iter()
        .filter_map(|&t| compare_at_equal_fill_rate(&reports(&ours), &reports(&min_max), t).ok())
        .collect();
    Ok(PolicyComparison { items: count as u64, days, ours, min_max, at_fill_rate })
}

/// The demand view of one item's forecast from `history`.
fn view(history: &[f64], options: &Options) -> DemandView {
    match demand::forecast_demand(&Input { history, cold_start: None }, options) {
        Ok(f) => DemandView { error_std_per_day: f.sd.first().copied().unwrap_or(0.0), mean_per_day: f.mean },
        Err(_) => DemandView::default(),
    }
}
