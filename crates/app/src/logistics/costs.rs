//! Supply-chain cost analysis over stored data: transport cost from the delivery plans in force,
//! holding, ordering and stock-out cost per product at a location from its ledger and sales,
//! landed cost per product from receipts and their charges, and purchase price variance against
//! the contracts in force when each order was placed.

use std::collections::{BTreeMap, HashMap};

use chrono::{Days, NaiveDate};
use retail_domain::{Contract, EntityKind};
use retail_store::{DateRange, PlanQuery, day_number};
use retail_supply::{
    InventoryCost, InventoryCostRates, LineVariance, ShipmentLine, StockDay, StockDays, VarianceSummary, landed_cost,
    price_variance,
};
use serde::Serialize;

use super::problem::DeliveryPlan;
use super::suppliers::{as_of, purchases};
use super::{delivery, load_products};
use crate::Platform;
use crate::service::{ServiceError, ServiceResult, all_docs, invalid};

/// The longest window a cost report covers, in days.
pub const MAX_DAYS: u32 = 366;
/// Holding cost a year as a share of stock value: capital, space, insurance, shrink.
pub const HOLDING_RATE: f64 = 0.25;
/// What placing and receiving one purchase order costs the chain, minor units.
pub const ORDERING_COST_MINOR: i64 = 5_000;

fn check_days(days: u32) -> ServiceResult<()> {
    if (1..=MAX_DAYS).contains(&days) {
        Ok(())
    } else {
        Err(invalid("days", format!("must be between 1 and {MAX_DAYS}")))
    }
}

/// Transport cost of one planned day and scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransportDay {
    pub date: String,
    pub scope: String,
    pub depot_id: String,
    pub plan_id: String,
    pub routes: usize,
    pub stops: usize,
    pub distance_km: f64,
    pub cost_minor: i64,
    pub fixed_minor: i64,
    pub distance_minor: i64,
    pub time_minor: i64,
    pub utilisation: f64,
}

/// Transport cost delivered to one store or customer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransportDestination {
    pub stop_id: String,
    pub name: Option<String>,
    pub scope: String,
    pub stops: usize,
    pub kg: f64,
    pub cases: i64,
    pub cost_minor: i64,
    pub cost_per_case: Option<f64>,
    pub cost_per_kg: Option<f64>,
}

/// Transport cost of the plans in force over a window, by day and by destination.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransportReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<TransportDay>,
    pub destinations: Vec<TransportDestination>,
    pub cost_minor: i64,
    pub distance_km: f64,
    pub cost_per_km: Option<f64>,
    pub cost_per_stop: Option<f64>,
}

/// Days ahead of the last day with data whose plans the transport report includes.
pub const PLANNED_AHEAD_DAYS: u64 = 7;

/// Transport cost of the ready plans for the `days` days up to the last day with data and the
/// week after it (so the plans made for tomorrow count).
pub async fn transport(p: &Platform, days: u32) -> ServiceResult<TransportReport> {
    check_days(days)?;
    let (last, _) = as_of(p).await?;
    let to = last + Days::new(PLANNED_AHEAD_DAYS);
    let from = last - Days::new(u64::from(days - 1));
    let query = PlanQuery { statuses: vec!["ready".into()], limit: 1000, ..PlanQuery::default() };
    let mut out = Vec::new();
    let mut by_stop: BTreeMap<(String, String), TransportDestination> = BTreeMap::new();
    for summary in delivery::list(p, &query).await? {
        let Some(date) = summary.service_date.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()) else { continue };
        if date < from || date > to || summary.scope == "api" {
            continue;
        }
        let Some(plan): Option<DeliveryPlan> = delivery::get(p, &summary.plan_id, false).await?.plan else { continue };
        let t = &plan.totals;
        out.push(TransportDay {
            date: date.to_string(),
            scope: summary.scope.clone(),
            depot_id: summary.depot_id.clone().unwrap_or_default(),
            plan_id: summary.plan_id.clone(),
            routes: t.routes,
            stops: t.stops,
            distance_km: t.distance_km,
            cost_minor: t.cost_minor,
            fixed_minor: t.fixed_minor,
            distance_minor: t.distance_minor,
            time_minor: t.time_minor,
            utilisation: t.utilisation,
        });
        for s in plan.routes.iter().flat_map(|r| &r.stops) {
            let d = by_stop.entry((summary.scope.clone(), s.stop_id.clone())).or_insert_with(|| TransportDestination {
                stop_id: s.stop_id.clone(),
                name: s.name.clone(),
                scope: summary.scope.clone(),
                stops: 0,
                kg: 0.0,
                cases: 0,
                cost_minor: 0,
                cost_per_case: None,
                cost_per_kg: None,
            });
            d.stops += 1;
            d.kg += s.demand_kg;
            d.cases += s.cases;
            d.cost_minor += s.cost_minor;
        }
    }
    out.sort_by(|a, b| (&a.date, &a.scope).cmp(&(&b.date, &b.scope)));
    let mut destinations: Vec<TransportDestination> = by_stop.into_values().collect();
    for d in &mut destinations {
        d.cost_per_case = (d.cases > 0).then(|| d.cost_minor as f64 / d.cases as f64);
        d.cost_per_kg = (d.kg > 0.0).then(|| d.cost_minor as f64 / d.kg);
    }
    destinations.sort_by(|a, b| b.cost_minor.cmp(&a.cost_minor).then_with(|| a.stop_id.cmp(&b.stop_id)));
    let cost_minor: i64 = out.iter().map(|d| d.cost_minor).sum();
    let distance_km: f64 = out.iter().map(|d| d.distance_km).sum();
    let stops: usize = out.iter().map(|d| d.stops).sum();
    Ok(TransportReport {
        from,
        to,
        days: out,
        destinations,
        cost_minor,
        distance_km,
        cost_per_km: (distance_km > 0.0).then(|| cost_minor as f64 / distance_km),
        cost_per_stop: (stops > 0).then(|| cost_minor as f64 / stops as f64),
    })
}

/// Holding, ordering and stock-out cost of every product at a location.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InventoryReport {
    pub location_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub holding_rate_per_year: f64,
    pub ordering_cost_minor: i64,
    pub holding_minor: i64,
    pub ordering_minor: i64,
    pub stockout_minor: i64,
    pub total_minor: i64,
    /// Costliest first.
    #[schema(value_type = Vec<Object>)]
    pub products: Vec<InventoryCost>,
}

/// Each product's cost at `location_id` over the last `days` days with data: stock on hand from the
/// ledger each day, a day ending with none on hand counted as a stock-out, lost sales valued at
/// the product's margin, and one ordering cost per purchase order line.
pub async fn inventory(p: &Platform, location_id: &str, days: u32) -> ServiceResult<InventoryReport> {
    check_days(days)?;
    if p.store.get_doc(EntityKind::Location, location_id).await?.is_none() {
        return Err(ServiceError::NotFound { kind: "location", id: location_id.to_string() });
    }
    let (last, as_of) = as_of(p).await?;
    let range = DateRange::last_days(last, days);
    let (from_day, to_day) = (day_number(range.from), day_number(range.to));
    let stock = p.store.stock_history(location_id, from_day, to_day).await?;
    let sales = p.store.daily_sales(range, Some(location_id)).await?;
    let sold: HashMap<&str, HashMap<i64, i64>> =
        sales.iter().map(|s| (s.product_id.as_str(), s.days.iter().copied().collect())).collect();
    let from_time = range.from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut orders: HashMap<String, i64> = HashMap::new();
    for (po, _) in purchases(p, from_time, as_of).await? {
        if po.location_id == location_id {
            for l in &po.lines {
                *orders.entry(l.product_id.clone()).or_default() += 1;
            }
        }
    }
    let catalogue = load_products(p, stock.iter().map(|s| s.product_id.clone()).collect()).await?;
    let items: Vec<StockDays> = stock
        .iter()
        .filter_map(|s| {
            let product = catalogue.get(&s.product_id)?;
            let changes: HashMap<i64, i64> = s.changes.iter().copied().collect();
            let sold = sold.get(s.product_id.as_str());
            let mut on_hand = s.opening;
            let days = (from_day..=to_day)
                .map(|d| {
                    on_hand += changes.get(&d).copied().unwrap_or(0);
                    StockDay {
                        on_hand,
                        sold: sold.and_then(|m| m.get(&d)).copied().unwrap_or(0),
                        stocked_out: on_hand <= 0,
                    }
                })
                .collect::<Vec<_>>();
            // A product never stocked here in the window has no inventory cost to show.
            if days.iter().all(|d| d.on_hand <= 0 && d.sold == 0) {
                return None;
            }
            Some(StockDays {
                product_id: s.product_id.clone(),
                location_id: location_id.to_string(),
                unit_cost_minor: product.cost.amount_minor,
                unit_margin_minor: (product.price.amount_minor - product.cost.amount_minor).max(0),
                days,
                orders_placed: orders.get(&s.product_id).copied().unwrap_or(0),
            })
        })
        .collect();
    let rates = InventoryCostRates {
        holding_rate_per_year: HOLDING_RATE,
        ordering_cost_minor: ORDERING_COST_MINOR,
        ..InventoryCostRates::default()
    };
    let mut products =
        retail_supply::inventory_costs(&items, &rates).map_err(|e| ServiceError::Internal(e.to_string()))?;
    products.sort_by(|a, b| b.total_minor.cmp(&a.total_minor).then_with(|| a.product_id.cmp(&b.product_id)));
    Ok(InventoryReport {
        location_id: location_id.to_string(),
        from: range.from,
        to: range.to,
        holding_rate_per_year: HOLDING_RATE,
        ordering_cost_minor: ORDERING_COST_MINOR,
        holding_minor: products.iter().map(|c| c.holding_minor).sum(),
        ordering_minor: products.iter().map(|c| c.ordering_minor).sum(),
        stockout_minor: products.iter().map(|c| c.stockout_minor).sum(),
        total_minor: products.iter().map(|c| c.total_minor).sum(),
        products,
    })
}

/// A product's landed cost over the receipts of a window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LandedProduct {
    pub product_id: String,
    pub name: String,
    pub units: i64,
    pub purchase_minor: i64,
    pub freight_minor: i64,
    pub duty_minor: i64,
    pub other_minor: i64,
    pub landed_minor: i64,
    /// Landed cost per unit, minor units.
    pub landed_unit_minor: f64,
    /// Charges over purchase value, percent.
    pub uplift_pct: f64,
}

/// Landed cost of the products received with charges over a window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LandedReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub receipts: usize,
    /// Receipts whose charges could not be split (a weight or volume basis with a product lacking it).
    pub refused: Vec<String>,
    pub products: Vec<LandedProduct>,
}

/// Landed cost per product from the receipts (with charges) of orders placed in the last `days` days.
pub async fn landed(p: &Platform, days: u32) -> ServiceResult<LandedReport> {
    check_days(days)?;
    let (last, as_of) = as_of(p).await?;
    let range = DateRange::last_days(last, days);
    let from_time = range.from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let history = purchases(p, from_time, as_of).await?;
    let receipts: Vec<_> = history.iter().flat_map(|(_, r)| r).filter(|r| !r.charges.is_empty()).collect();
    let catalogue =
        load_products(p, receipts.iter().flat_map(|r| r.lines.iter().map(|l| l.product_id.clone())).collect()).await?;
    let mut by_product: BTreeMap<String, LandedProduct> = BTreeMap::new();
    let mut refused = Vec::new();
    for r in &receipts {
        let lines: Vec<ShipmentLine> = r
            .lines
            .iter()
            .map(|l| {
                let product = catalogue.get(&l.product_id);
                ShipmentLine {
                    product_id: l.product_id.clone(),
                    quantity: l.quantity,
                    unit_cost_minor: l.unit_cost_minor.or(product.map(|p| p.cost.amount_minor)).unwrap_or(0),
                    unit_weight_kg: product.and_then(|p| p.unit_weight_kg),
                    unit_volume_m3: product.and_then(|p| p.unit_volume_m3),
                }
            })
            .collect();
        let landed = match landed_cost(&lines, &r.charges) {
            Ok(l) => l,
            Err(e) => {
                refused.push(format!("{}: {e}", r.external_id));
                continue;
            }
        };
        for l in landed.lines {
            let e = by_product.entry(l.product_id.clone()).or_insert_with(|| LandedProduct {
                product_id: l.product_id.clone(),
                name: catalogue.get(&l.product_id).map(|p| p.name.zh.clone()).unwrap_or_default(),
                units: 0,
                purchase_minor: 0,
                freight_minor: 0,
                duty_minor: 0,
                other_minor: 0,
                landed_minor: 0,
                landed_unit_minor: 0.0,
                uplift_pct: 0.0,
            });
            e.units += l.quantity;
            e.purchase_minor += l.purchase_minor;
            e.freight_minor += l.charges_minor.freight;
            e.duty_minor += l.charges_minor.duty;
            e.other_minor += l.charges_minor.insurance + l.charges_minor.handling + l.charges_minor.other;
            e.landed_minor += l.landed_total_minor;
        }
    }
    let mut products: Vec<LandedProduct> = by_product.into_values().collect();
    for p in &mut products {
        p.landed_unit_minor = if p.units > 0 { p.landed_minor as f64 / p.units as f64 } else { 0.0 };
        p.uplift_pct = if p.purchase_minor > 0 {
            (p.landed_minor - p.purchase_minor) as f64 / p.purchase_minor as f64 * 100.0
        } else {
            0.0
        };
    }
    products.sort_by_key(|p| std::cmp::Reverse(p.landed_minor));
    Ok(LandedReport { from: range.from, to: range.to, receipts: receipts.len(), refused, products })
}

/// Purchase price variance against contracts over a window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VarianceReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(value_type = Object)]
    pub total: VarianceSummary,
    #[schema(value_type = Vec<Object>)]
    pub by_supplier: Vec<VarianceSummary>,
    /// The products with the largest absolute variance, at most 100.
    #[schema(value_type = Vec<Object>)]
    pub by_product: Vec<VarianceSummary>,
    /// The lines furthest from their contract, at most 100.
    #[schema(value_type = Vec<Object>)]
    pub lines: Vec<LineVariance>,
}

/// What each order line of the last `days` days paid against the contract of its supplier and
/// product in force on the day it was ordered.
pub async fn price_variance_report(p: &Platform, days: u32) -> ServiceResult<VarianceReport> {
    check_days(days)?;
    let (last, as_of) = as_of(p).await?;
    let range = DateRange::last_days(last, days);
    let from_time = range.from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let contracts: Vec<Contract> = all_docs(p, EntityKind::Contract).await?;
    let mut by_key: HashMap<(&str, &str), Vec<&Contract>> = HashMap::new();
    for c in &contracts {
        by_key.entry((c.supplier_id.as_str(), c.product_id.as_str())).or_default().push(c);
    }
    let history = purchases(p, from_time, as_of).await?;
    let lines: Vec<retail_supply::PoLine> = history
        .iter()
        .flat_map(|(po, _)| {
            let day = po.created_at.date_naive();
            let by_key = &by_key;
            po.lines.iter().map(move |l| retail_supply::PoLine {
                po_id: po.external_id.clone(),
                supplier_id: po.supplier_id.clone(),
                product_id: l.product_id.clone(),
                quantity: l.quantity,
                paid_unit_cost_minor: l.unit_cost_minor,
                contract_unit_cost_minor: by_key
                    .get(&(po.supplier_id.as_str(), l.product_id.as_str()))
                    .and_then(|cs| cs.iter().filter(|c| c.is_valid_on(day)).max_by_key(|c| c.valid_from))
                    .map(|c| c.unit_cost_minor),
            })
        })
        .collect();
    let v = price_variance(&lines);
    let mut by_product = v.by_product;
    by_product.sort_by_key(|s| std::cmp::Reverse(s.variance_minor.abs()));
    by_product.truncate(100);
    let mut worst = v.lines;
    worst.retain(|l| l.variance_minor.is_some_and(|x| x != 0));
    worst.sort_by_key(|l| std::cmp::Reverse(l.variance_minor.unwrap_or(0).abs()));
    worst.truncate(100);
    Ok(VarianceReport {
        from: range.from,
        to: range.to,
        total: v.total,
        by_supplier: v.by_supplier,
        by_product,
        lines: worst,
    })
}
