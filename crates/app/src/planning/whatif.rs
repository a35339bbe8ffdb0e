//! "What if": a stored forecast restated for a planned price change of one category, at one store or
//! across the chain, by the elasticity its own discounts over the last year teach
//! ([`retail_forecast::price`]).

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use retail_domain::{EntityKind, Product};
use retail_forecast::price::{self, PriceResponse};
use retail_store::DateRange;
use serde::{Deserialize, Serialize};

use super::{ForecastQuery, forecasts};
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, all_docs_where, invalid};

/// Days of sales the price response is learned from.
const LEARN_DAYS: u32 = 364;

/// A planned price change to ask the forecast about.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    pub category_id: String,
    /// One store or the online shop; the whole chain when absent.
    #[serde(default)]
    pub location_id: Option<String>,
    /// The new price against the regular one, in percent: −20 for 20 % off, 10 for a 10 % rise.
    pub price_change_pct: f64,
    /// First and last day of the change, within the forecast's horizon.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The forecast run to restate; the latest when absent.
    #[serde(default)]
    pub run_id: Option<String>,
}

/// One forecast day, as forecast and under the plan.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WhatIfDay {
    pub date: NaiveDate,
    pub planned: bool,
    pub baseline_units: f64,
    pub scenario_units: f64,
}

/// The forecast with and without the change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WhatIfAnswer {
    pub run_id: String,
    pub category_id: String,
    pub location_id: Option<String>,
    /// The elasticity, the discounted days it was learned from and the deepest discount seen.
    #[schema(value_type = Object)]
    pub response: PriceResponse,
    /// The change lies beyond what was seen, a deeper discount or any rise (the elasticity is
    /// learnt from discounts): the answer extrapolates.
    pub extrapolated: bool,
    pub days: Vec<WhatIfDay>,
    /// Units over the planned days, as forecast and under the plan.
    pub baseline_units: f64,
    pub scenario_units: f64,
    /// Revenue over the planned days at the category's average regular price, and at the changed price.
    pub baseline_revenue_minor: i64,
    pub scenario_revenue_minor: i64,
}

/// Restates the forecast of a category for a planned price change.
pub async fn what_if(p: &Platform, q: &WhatIf) -> ServiceResult<WhatIfAnswer> {
    if !(q.price_change_pct.is_finite() && q.price_change_pct > -90.0 && q.price_change_pct <= 100.0) {
        return Err(invalid("price_change_pct", "must be a percentage above −90 and at most 100"));
    }
    if q.to < q.from {
        return Err(invalid("to", "must not be before from"));
    }
    let level = if q.location_id.is_some() { "category_location" } else { "category" };
    let view = forecasts(
        p,
        &ForecastQuery {
            run_id: q.run_id.clone(),
            level: Some(level.into()),
            location_id: q.location_id.clone(),
            category_id: Some(q.category_id.clone()),
            history_days: Some(1),
            limit: Some(1),
            product_id: None,
        },
    )
    .await?;
    let Some(series) = view.series.first() else {
        return Err(ServiceError::NotFound { kind: "category forecast", id: q.category_id.clone() });
    };
    let last = series.start + Days::new(series.mean.len().saturating_sub(1) as u64);
    for (field, day) in [("from", q.from), ("to", q.to)] {
        if day < series.start || day > last {
            return Err(invalid(field, format!("must be within the forecast, {} to {last}", series.start)));
        }
    }
    let (units, ratios, regular_price) = price_history(p, q, view.run.as_of).await?;
    let response = price::learn_response(&units, &ratios)
        .map_err(|e| ServiceError::Conflict(format!("cannot tell how {} responds to price: {e}", q.category_id)))?;
    let ratio = 1.0 + q.price_change_pct / 100.0;
    let planned: Vec<bool> = (0..series.mean.len())
        .map(|h| {
            let day = series.start + Days::new(h as u64);
            q.from <= day && day <= q.to
        })
        .collect();
    let scenario = price::restate(&series.mean, &planned, ratio, &response);
    let days: Vec<WhatIfDay> = series
        .mean
        .iter()
        .zip(&scenario)
        .zip(&planned)
        .enumerate()
        .map(|(h, ((&baseline_units, &scenario_units), &planned))| WhatIfDay {
            date: series.start + Days::new(h as u64),
            planned,
            baseline_units,
            scenario_units,
        })
        .collect();
    let on_plan = |pick: fn(&WhatIfDay) -> f64| days.iter().filter(|d| d.planned).map(pick).sum::<f64>();
    let (baseline_units, scenario_units) = (on_plan(|d| d.baseline_units), on_plan(|d| d.scenario_units));
    Ok(WhatIfAnswer {
        run_id: view.run.run_id.clone(),
        category_id: q.category_id.clone(),
        location_id: q.location_id.clone(),
        extrapolated: ratio > 1.0 || 1.0 - ratio > response.deepest_discount + 1e-9,
        response,
        baseline_revenue_minor: (baseline_units * regular_price).round() as i64,
        scenario_revenue_minor: (scenario_units * regular_price * ratio).round() as i64,
        baseline_units,
        scenario_units,
        days,
    })
}

/// The category's daily units over the last year to `as_of`, each day's price paid against the
/// regular price (NaN on days without sales), and its average regular unit price.
async fn price_history(p: &Platform, q: &WhatIf, as_of: NaiveDate) -> ServiceResult<(Vec<f64>, Vec<f64>, f64)> {
    let products: Vec<Product> =
        all_docs_where(p, EntityKind::Product, &[("category_id", q.category_id.as_str())]).await?;
    let range = DateRange::last_days(as_of, LEARN_DAYS);
    // Day → (units, revenue paid, revenue at regular prices).
    let mut by_day: BTreeMap<NaiveDate, (f64, f64, f64)> = BTreeMap::new();
    for product in &products {
        let days = p.store.sales_by_day(range, q.location_id.as_deref(), Some(&product.external_id)).await?;
        let regular = product.price.amount_minor as f64;
        for d in days {
            let day = by_day.entry(d.day).or_default();
            day.0 += d.units as f64;
            day.1 += d.revenue_minor as f64;
            day.2 += d.units as f64 * regular;
        }
    }
    let units: Vec<f64> = by_day.values().map(|d| d.0).collect();
    let ratios = by_day.values().map(|d| if d.2 > 0.0 { d.1 / d.2 } else { f64::NAN }).collect();
    let (sold, regular_value) = by_day.values().fold((0.0, 0.0), |(u, v), d| (u + d.0, v + d.2));
    let regular_price = if sold > 0.0 { regular_value / sold } else { 0.0 };
    Ok((units, ratios, regular_price))
}
