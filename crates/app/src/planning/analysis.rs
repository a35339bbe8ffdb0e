//! Inventory analysis of one location: ABC (share of sales value) × XYZ (variability of weekly
//! demand) classes, stock value, turnover, days of cover, and the lists a planner acts on: stock-out
//! risk (cover shorter than the supplier's lead time), overstock, and stock that will not sell within
//! its shelf life.

use std::collections::{BTreeMap, HashMap};

use retail_domain::{EntityKind, Supplier};
use retail_inventory::classify::{Abc, AbcCuts, Xyz, XyzCuts, abc, days_of_cover, period_totals, turnover, xyz};
use retail_store::{DateRange, StockQuery};
use serde::Serialize;

use super::load_history;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, all_docs, invalid};

/// Days of sales the classes and rates are computed over.
const WINDOW_DAYS: u32 = 364;
/// Recent days the daily rate of sale is read from.
const RATE_DAYS: usize = 28;
/// Cover beyond which stock counts as overstock.
pub const OVERSTOCK_DAYS: f64 = 90.0;
/// Longest risk list returned.
const LIST_LIMIT: usize = 50;

/// One product at the location.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemAnalysis {
    pub product_id: String,
    pub product_name: String,
    pub abc: String,
    pub xyz: String,
    pub on_hand: i64,
    pub stock_value_minor: i64,
    /// Units sold per day over the last four weeks.
    pub daily_rate: f64,
    pub days_of_cover: Option<f64>,
    pub lead_time_days: Option<f64>,
    pub shelf_life_days: Option<u32>,
    /// Cost of a year's sales (scaled up when the location has less history) over the stock's value.
    pub turnover: Option<f64>,
}

/// A class cell of the ABC × XYZ matrix.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClassCell {
    pub abc: String,
    pub xyz: String,
    pub products: u64,
    /// Share of the year's sales value.
    pub value_share: f64,
    pub stock_value_minor: i64,
}

/// The analysis of one location.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InventoryAnalysis {
    pub location_id: String,
    pub products: u64,
    pub stock_value_minor: i64,
    /// Cost of the year's sales over today's stock value.
    pub turnover: Option<f64>,
    pub matrix: Vec<ClassCell>,
    /// Cover shorter than the supplier's lead time: it runs out before an order placed today arrives.
    pub stockout_risk: Vec<ItemAnalysis>,
    /// More than [`OVERSTOCK_DAYS`] days of cover, largest value first.
    pub overstock: Vec<ItemAnalysis>,
    /// More stock than sells within its shelf life at the current rate.
    pub expiry_risk: Vec<ItemAnalysis>,
}

pub async fn analyse(p: &Platform, location_id: &str) -> ServiceResult<InventoryAnalysis> {
    if location_id.trim().is_empty() {
        return Err(invalid("location_id", "name a location"));
    }
    if p.store.get_doc(EntityKind::Location, location_id).await?.is_none() {
        return Err(ServiceError::NotFound { kind: "location", id: location_id.to_string() });
    }
    let last = p.store.sales_days().await?.map_or_else(|| chrono::Utc::now().date_naive(), |d| d.to);
    let range = DateRange::last_days(last, WINDOW_DAYS);
    let (history, products, _) = load_history(p, range).await?;
    let suppliers: HashMap<String, Supplier> =
        all_docs::<Supplier>(p, EntityKind::Supplier).await?.into_iter().map(|s| (s.external_id.clone(), s)).collect();
    let stock = p
        .store
        .stock(&StockQuery { location_id: Some(location_id.to_string()), product_id: None, limit: u32::MAX })
        .await?;
    let sales: HashMap<&str, &[f64]> = history
        .series
        .iter()
        .zip(&history.values)
        .filter(|(s, _)| s.location_id == location_id)
        .map(|(s, y)| (s.product_id.as_str(), y.as_slice()))
        .collect();
    let mut ids: Vec<&str> = sales.keys().copied().collect();
    ids.extend(
        stock
            .iter()
            .filter(|s| s.on_hand > 0 && !sales.contains_key(s.product_id.as_str()))
            .map(|s| s.product_id.as_str()),
    );
    ids.sort_unstable();
    let on_hand: HashMap<&str, i64> = stock.iter().map(|s| (s.product_id.as_str(), s.on_hand)).collect();
    let cost = |id: &str| products.get(id).map_or(0.0, |p| p.cost.amount_minor as f64);
    let empty: &[f64] = &[];
    let sold = |id: &str| sales.get(id).copied().unwrap_or(empty);
    // A location open for less than the window has its sales scaled to a year.
    let opened = sales.values().filter_map(|y| y.iter().position(|&v| v > 0.0)).min().unwrap_or(0);
    let year = 365.0 / (history.values.first().map_or(0, Vec::len).saturating_sub(opened)).max(1) as f64;
    let values: Vec<f64> = ids.iter().map(|id| sold(id).iter().sum::<f64>() * cost(id) * year).collect();
    let classes = abc(&values, AbcCuts::default());
    // Steadiness from a product's first sale on: weeks before it was listed say nothing.
    let weekly: Vec<Vec<f64>> = ids
        .iter()
        .map(|id| {
            let y = sold(id);
            period_totals(&y[y.iter().position(|&v| v > 0.0).unwrap_or(y.len())..], 7)
        })
        .collect();
    let variability = xyz(&weekly, XyzCuts::default());
    let total_value: f64 = values.iter().sum();
    let mut items = Vec::with_capacity(ids.len());
    let mut cells: BTreeMap<(Abc, Xyz), ClassCell> = BTreeMap::new();
    for (i, id) in ids.iter().enumerate() {
        let product = products.get(*id);
        let units = on_hand.get(id).copied().unwrap_or(0);
        let y = sold(id);
        let daily_rate = y[y.len().saturating_sub(RATE_DAYS)..].iter().sum::<f64>() / RATE_DAYS as f64;
        let stock_value = (units.max(0) as f64 * cost(id)).round() as i64;
        let item = ItemAnalysis {
            product_id: id.to_string(),
            product_name: product.map_or_else(String::new, |p| p.name.en.clone()),
            abc: format!("{:?}", classes[i]),
            xyz: format!("{:?}", variability[i]),
            on_hand: units,
            stock_value_minor: stock_value,
            daily_rate,
            days_of_cover: days_of_cover(units as f64, daily_rate),
            lead_time_days: product
                .and_then(|p| p.supplier_id.as_ref())
                .and_then(|s| suppliers.get(s))
                .map(|s| s.lead_time_days),
            shelf_life_days: product.and_then(|p| p.shelf_life_days),
            turnover: turnover(values[i], stock_value as f64),
        };
        let cell = cells.entry((classes[i], variability[i])).or_insert_with(|| ClassCell {
            abc: format!("{:?}", classes[i]),
            xyz: format!("{:?}", variability[i]),
            products: 0,
            value_share: 0.0,
            stock_value_minor: 0,
        });
        cell.products += 1;
        cell.value_share += if total_value > 0.0 { values[i] / total_value } else { 0.0 };
        cell.stock_value_minor += stock_value;
        items.push(item);
    }
    let stock_value_minor = items.iter().map(|i| i.stock_value_minor).sum();
    let pick = |keep: &dyn Fn(&ItemAnalysis) -> bool, key: &dyn Fn(&ItemAnalysis) -> f64| {
        let mut list: Vec<ItemAnalysis> = items.iter().filter(|i| keep(i)).cloned().collect();
        list.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.product_id.cmp(&b.product_id)));
        list.truncate(LIST_LIMIT);
        list
    };
    let stockout_risk = pick(
        &|i| i.daily_rate > 0.0 && matches!((i.days_of_cover, i.lead_time_days), (Some(c), Some(l)) if c < l),
        // Most sales at risk first.
        &|i| i.daily_rate * (i.lead_time_days.unwrap_or(0.0) - i.days_of_cover.unwrap_or(0.0)),
    );
    let overstock =
        pick(&|i| i.on_hand > 0 && i.days_of_cover.is_none_or(|c| c > OVERSTOCK_DAYS), &|i| i.stock_value_minor as f64);
    let expiry_risk = pick(
        &|i| match (i.shelf_life_days, i.on_hand > 0) {
            (Some(life), true) => i.days_of_cover.is_none_or(|c| c > f64::from(life)),
            _ => false,
        },
        &|i| i.stock_value_minor as f64,
    );
    Ok(InventoryAnalysis {
        location_id: location_id.to_string(),
        products: items.len() as u64,
        stock_value_minor,
        turnover: turnover(total_value, stock_value_minor as f64),
        matrix: cells.into_values().collect(),
        stockout_risk,
        overstock,
        expiry_risk,
    })
}
