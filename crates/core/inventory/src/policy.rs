//! Replenishment decisions for one product at one location: inventory position, safety stock,
//! reorder point and order-up-to level, and the order that a continuous (s,S), periodic (R,S) or
//! ERP-style min/max policy places, after pack, MOQ, shelf-life and budget rules. Every decision
//! carries structured [`Reason`]s with its numbers, so a console can render it in any language.
//!
//! Time convention: decisions are taken at the end of a day; the forecast's day 0 is tomorrow; an
//! order placed with lead time `L` days is available after `L` more days of demand, so the position
//! must cover the next `L` days (reorder point) and, after ordering, the next `L + R` days until the
//! following order can arrive (order-up-to level).

use serde::{Deserialize, Serialize};

use crate::classify::Abc;
use retail_forecast::normal;

/// Largest accepted stock, demand or standard deviation, in units: beyond it sums over many days
/// would lose integer precision in `f64`.
pub const MAX_UNITS: f64 = 1e12;
/// Largest accepted lead time, lead-time deviation or review period, in days (ten years).
pub const MAX_DAYS: f64 = 3650.0;
/// Largest accepted unit or ordering cost and holding rate.
pub const MAX_MONEY: f64 = 1e12;

/// A demand forecast as replenishment needs it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DemandView {
    /// Expected demand per day, index 0 = tomorrow. Ideally at least lead time + review period days
    /// long; days past the end are taken at the vector's mean.
    pub mean_per_day: Vec<f64>,
    /// Standard deviation of a one-day forecast error (from the forecast's residuals or interval
    /// width); errors of different days are taken as independent.
    pub error_std_per_day: f64,
}

impl DemandView {
    /// A flat forecast of `mean` per day for `days` days.
    pub fn flat(mean: f64, days: usize, error_std_per_day: f64) -> Self {
        DemandView { mean_per_day: vec![mean; days], error_std_per_day }
    }
}

/// Everything one replenishment decision needs for one product at one location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemInputs {
    /// Units on hand. May be negative where the ledger allows selling ahead of receipts.
    pub on_hand: f64,
    /// Units ordered and not yet received.
    pub on_order: f64,
    /// Units owed to customers or reserved for them, not available to new demand.
    pub backorders_or_reserved: f64,
    /// The demand forecast.
    pub demand: DemandView,
    /// Expected supplier lead time in days; 0 is valid.
    pub lead_time_days: f64,
    /// Standard deviation of the lead time in days (0 when deterministic).
    pub lead_time_std_days: f64,
    /// Days between reviews; 0 means continuous review (checked every day).
    pub review_days: f64,
    /// Target cycle service level, the probability of no stockout per replenishment cycle, in (0, 1).
    pub service_level: f64,
    /// Units per pack; orders are whole packs. At least 1.
    pub pack_size: u32,
    /// Supplier minimum order quantity in units (0 for none); raised to whole packs.
    pub moq_units: u32,
    /// Purchase cost of one unit.
    pub unit_cost: f64,
    /// Fixed cost of placing one order, when known; enables the EOQ in (s,S).
    pub ordering_cost: Option<f64>,
    /// Holding cost per year as a fraction of unit cost (e.g. 0.2).
    pub holding_rate_per_year: f64,
    /// Days a unit can be sold after it arrives, for perishables.
    pub shelf_life_days: Option<u32>,
    /// Order value above which the suggestion is flagged for approval (not refused).
    pub max_order_value: Option<f64>,
}

impl Default for ItemInputs {
    /// Empty stock, no forecast, lead time 0, continuous review, 95 % service, packs of 1, no costs.
    fn default() -> Self {
        ItemInputs {
            on_hand: 0.0,
            on_order: 0.0,
            backorders_or_reserved: 0.0,
            demand: DemandView::default(),
            lead_time_days: 0.0,
            lead_time_std_days: 0.0,
            review_days: 0.0,
            service_level: 0.95,
            pack_size: 1,
            moq_units: 0,
            unit_cost: 0.0,
            ordering_cost: None,
            holding_rate_per_year: 0.0,
            shelf_life_days: None,
            max_order_value: None,
        }
    }
}

impl ItemInputs {
    /// On hand + on order − backorders and reservations: what is available to future demand.
    pub fn position(&self) -> f64 {
        self.on_hand + self.on_order - self.backorders_or_reserved
    }
}

/// How the reorder trigger and the order-up-to level are set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Policy {
    /// (s,S): order when the position is at or below s = reorder point, up to
    /// S = max(s + EOQ (or expected demand over one review period, at least a day), order-up-to level).
    ContinuousSs,
    /// (R,S): at each review, order up to S = expected demand over lead time + review + safety stock.
    PeriodicRs,
    /// ERP-style fixed levels, the baseline: when the position is at or below `min`, order up to `max`.
    MinMax {
        /// Reorder level in units.
        min: f64,
        /// Order-up-to level in units, at least `min`.
        max: f64,
    },
}

impl Policy {
    /// Min/max levels the way ERP systems set them, statically from the history's average:
    /// min = mean daily × (lead time + `min_days_cover`), max = min + mean daily × `max_days_cover`.
    /// Negative or non-finite inputs count as 0.
    pub fn min_max_from_history(
        mean_daily: f64,
        lead_time_days: f64,
        min_days_cover: f64,
        max_days_cover: f64,
    ) -> Policy {
        let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
        let mean = clean(mean_daily);
        let min = mean * (clean(lead_time_days) + clean(min_days_cover));
        let max = min + mean * clean(max_days_cover);
        if min.is_finite() && max.is_finite() {
            Policy::MinMax { min, max }
        } else {
            Policy::MinMax { min: 0.0, max: 0.0 }
        }
    }
}

/// Default cycle service levels by ABC class; configurable per tenant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServiceTargets {
    /// Service level of A items (default 0.98).
    pub a: f64,
    /// Service level of B items (default 0.95).
    pub b: f64,
    /// Service level of C items (default 0.90).
    pub c: f64,
}

impl Default for ServiceTargets {
    fn default() -> Self {
        ServiceTargets { a: 0.98, b: 0.95, c: 0.90 }
    }
}

impl ServiceTargets {
    /// The target for one class.
    pub fn for_class(&self, class: Abc) -> f64 {
        match class {
            Abc::A => self.a,
            Abc::B => self.b,
            Abc::C => self.c,
        }
    }
}

/// Why a suggestion came out as it did, with the numbers, for rendering in any language.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The forecast expects no demand, so nothing is ordered beyond covering backorders.
    NoDemand,
    /// Lead time is zero: the reorder point holds only safety stock.
    ZeroLeadTime,
    /// The position is at or below the reorder point (min for min/max): an order is due.
    BelowReorderPoint {
        /// Inventory position.
        position: f64,
        /// The trigger level.
        reorder_point: f64,
    },
    /// The position is above the reorder point: no order.
    AtOrAboveReorderPoint {
        /// Inventory position.
        position: f64,
        /// The trigger level.
        reorder_point: f64,
    },
    /// At a periodic review the position is below the order-up-to level: an order is due.
    BelowOrderUpTo {
        /// Inventory position.
        position: f64,
        /// The order-up-to level.
        order_up_to: f64,
    },
    /// At a periodic review the position already reaches the order-up-to level: no order.
    AtOrAboveOrderUpTo {
        /// Inventory position.
        position: f64,
        /// The order-up-to level.
        order_up_to: f64,
    },
    /// The position is negative; the order includes these units to cover backorders/reservations.
    CoverBackorders {
        /// Units owed beyond what is on hand and on order.
        units: f64,
    },
    /// The quantity brings the position up to this level.
    RaisedToOrderUpTo {
        /// The target level in units.
        order_up_to: f64,
    },
    /// The economic order quantity set the (s,S) order-up-to level.
    EoqApplied {
        /// EOQ in units (at most a year's demand).
        eoq: f64,
    },
    /// The quantity was rounded up to whole packs.
    RoundedToPacks {
        /// Units per pack.
        pack_size: u32,
        /// Units before rounding.
        from: f64,
        /// Units after rounding.
        to: u64,
    },
    /// The quantity was raised to the minimum order quantity (in whole packs).
    RaisedToMoq {
        /// The MOQ in units, rounded up to whole packs.
        moq: u64,
    },
    /// The quantity was cut so the new lot is expected to sell within its shelf life.
    CappedByShelfLife {
        /// Shelf life in days.
        days: u32,
        /// The cap in units (whole packs).
        cap: u64,
    },
    /// The shelf-life cap is below the smallest orderable quantity, so nothing is ordered: any
    /// order is expected to expire in part. An exception for a planner.
    ShelfLifeBelowMinimumOrder {
        /// The shelf-life cap in units.
        cap: u64,
        /// The smallest orderable quantity (one pack or the MOQ) in units.
        minimum: u64,
    },
    /// The supplier delivers on set weekdays only: an order placed now arrives on the first of them
    /// after the lead time, and must last until the delivery after that.
    DeliverySchedule {
        /// Days until this order arrives.
        arrives_in_days: u32,
        /// Days from its arrival to the next delivery an order could ride on.
        next_delivery_after_days: u32,
    },
    /// The order value exceeds the budget: flagged for approval, not refused.
    AboveBudget {
        /// Quantity × unit cost.
        value: f64,
        /// The budget it exceeds.
        budget: f64,
    },
}

/// English text of a reason, for logs and the CLI.
pub fn explain_en(reason: &Reason) -> String {
    match *reason {
        Reason::NoDemand => "no demand is forecast".to_string(),
        Reason::ZeroLeadTime => "lead time is zero; the reorder point holds only safety stock".to_string(),
        Reason::BelowReorderPoint { position, reorder_point } => {
            format!("position {position:.2} is at or below the reorder point {reorder_point:.2}")
        }
        Reason::AtOrAboveReorderPoint { position, reorder_point } => {
            format!("position {position:.2} is above the reorder point {reorder_point:.2}; no order")
        }
        Reason::BelowOrderUpTo { position, order_up_to } => {
            format!("review: position {position:.2} is below the order-up-to level {order_up_to:.2}")
        }
        Reason::AtOrAboveOrderUpTo { position, order_up_to } => {
            format!("review: position {position:.2} reaches the order-up-to level {order_up_to:.2}; no order")
        }
        Reason::CoverBackorders { units } => format!("covers {units:.2} units of backorders or reservations"),
        Reason::RaisedToOrderUpTo { order_up_to } => format!("orders up to {order_up_to:.2} units"),
        Reason::EoqApplied { eoq } => format!("economic order quantity {eoq:.2} sets the order-up-to level"),
        Reason::RoundedToPacks { pack_size, from, to } => {
            format!("rounded {from:.2} up to {to} units (whole packs of {pack_size})")
        }
        Reason::RaisedToMoq { moq } => format!("raised to the minimum order quantity of {moq} units"),
        Reason::CappedByShelfLife { days, cap } => {
            format!("capped at {cap} units, the expected sales within the {days}-day shelf life")
        }
        Reason::ShelfLifeBelowMinimumOrder { cap, minimum } => format!(
            "no order: only {cap} units are expected to sell within shelf life, below the minimum order of {minimum}"
        ),
        Reason::DeliverySchedule { arrives_in_days, next_delivery_after_days } => format!(
            "the supplier delivers on set days: this order arrives in {arrives_in_days} days and must last \
             {next_delivery_after_days} more days until the next delivery"
        ),
        Reason::AboveBudget { value, budget } => {
            format!("order value {value:.2} exceeds the budget {budget:.2}; needs approval")
        }
    }
}

/// When an order placed at the end of `weekday` (0 = Monday) arrives from a supplier who delivers
/// only on the `delivers` weekdays (Monday first) and needs `lead_time_days`: days until the first
/// delivery day at least the lead time away, and days from it to the next delivery day after it.
/// `None` when the supplier delivers any day (no day or every day listed) or the lead time is not a
/// finite, non-negative number of at most [`MAX_DAYS`].
pub fn delivery_timing(weekday: u32, lead_time_days: f64, delivers: &[bool; 7]) -> Option<(u32, u32)> {
    let days = delivers.iter().filter(|&&d| d).count();
    if days == 0 || days == 7 || !(0.0..=MAX_DAYS).contains(&lead_time_days) {
        return None;
    }
    let delivers_on = |d: u32| delivers[((weekday + d) % 7) as usize];
    let earliest = lead_time_days.ceil() as u32;
    let arrives = (earliest..earliest + 7).find(|&d| delivers_on(d))?;
    let next = (arrives + 1..arrives + 8).find(|&d| delivers_on(d))?;
    Some((arrives, next - arrives))
}

/// A replenishment suggestion with the levels behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Whether to order now.
    pub order: bool,
    /// Units to order (whole packs, at least the MOQ); 0 when not ordering.
    pub quantity: u64,
    /// Inventory position the decision saw.
    pub position: f64,
    /// Buffer over expected demand. For min/max: the implicit buffer `min − expected lead-time
    /// demand`, negative when the fixed min no longer covers the lead time.
    pub safety_stock: f64,
    /// Order trigger (for min/max: `min`).
    pub reorder_point: f64,
    /// Level the order raises the position to (for (s,S): S; for min/max: `max`).
    pub order_up_to: f64,
    /// Expected demand over the lead time.
    pub expected_demand_lead_time: f64,
    /// Days the current position lasts along the forecast; `None` when no demand is forecast.
    pub days_of_cover: Option<f64>,
    /// Why, in order of the decision's steps.
    pub reasons: Vec<Reason>,
}

/// Bad input to [`suggest`], named so a caller can point at the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    /// A number is NaN or infinite.
    #[error("{field} is {value}; it must be a finite number")]
    NotFinite {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A number that cannot be negative is.
    #[error("{field} is {value}; it must not be negative")]
    Negative {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A number is beyond the supported range ([`MAX_UNITS`], [`MAX_DAYS`], [`MAX_MONEY`]).
    #[error("{field} is {value}; it must be at most {max} in size")]
    TooLarge {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: f64,
        /// The largest accepted size.
        max: f64,
    },
    /// A forecast mean is NaN, infinite or negative.
    #[error("forecast mean for day {day} is {value}; it must be finite and non-negative")]
    BadDemandMean {
        /// Index into `mean_per_day`.
        day: usize,
        /// The offending mean.
        value: f64,
    },
    /// A forecast-driven policy got no forecast.
    #[error("the demand forecast is empty")]
    EmptyForecast,
    /// The service level is not strictly between 0 and 1.
    #[error("service level {0} is outside (0, 1)")]
    ServiceLevel(f64),
    /// Pack size 0.
    #[error("pack size must be at least 1")]
    ZeroPackSize,
    /// Shelf life of 0 days: nothing could be sold.
    #[error("shelf life must be at least 1 day")]
    ZeroShelfLife,
    /// Min/max levels that are negative, non-finite, too large or with max below min.
    #[error("min/max levels {min} / {max} are invalid; need 0 <= min <= max")]
    BadMinMax {
        /// The min level given.
        min: f64,
        /// The max level given.
        max: f64,
    },
}

/// The economic order quantity `sqrt(2·D·K / (c·h))` for annual demand `D`, ordering cost `K`, unit
/// cost `c` and holding rate `h`; `None` unless all are positive and the result is finite.
pub fn eoq(annual_demand: f64, ordering_cost: f64, unit_cost: f64, holding_rate_per_year: f64) -> Option<f64> {
    let holding = unit_cost * holding_rate_per_year;
    let ok = annual_demand > 0.0 && ordering_cost > 0.0 && holding > 0.0;
    let q = (2.0 * annual_demand * ordering_cost / holding).sqrt();
    (ok && q.is_finite()).then_some(q)
}

/// Suggests whether and how much to order for one item under `policy`. Never panics and never
/// returns NaN: bad input is an [`InputError`].
pub fn suggest(inputs: &ItemInputs, policy: &Policy) -> Result<Suggestion, InputError> {
    suggest_reusing(inputs, policy, Vec::new())
}

/// [`suggest`] writing its reasons into `reasons` (cleared first), so a simulator can reuse one
/// allocation across days.
pub(crate) fn suggest_reusing(
    inputs: &ItemInputs,
    policy: &Policy,
    mut reasons: Vec<Reason>,
) -> Result<Suggestion, InputError> {
    reasons.clear();
    validate(inputs, policy)?;
    let curve = Curve::new(&inputs.demand.mean_per_day);
    let lead = inputs.lead_time_days;
    let review = inputs.review_days;
    let position = inputs.position();

    // Protection period: until an order placed at the next review can arrive. With continuous
    // review in a daily system the next chance is tomorrow, so at least one day.
    let protection = if review == 0.0 { lead.max(1.0) } else { lead + review };
    let demand_lead = curve.total(lead);
    let demand_protection = curve.total(protection);
    let mean_daily = demand_protection / protection;
    let sigma_d = inputs.demand.error_std_per_day;
    let sigma_l = inputs.lead_time_std_days;
    let spread = (protection * sigma_d * sigma_d + mean_daily * mean_daily * sigma_l * sigma_l).sqrt();
    // Below 50 % service the normal model asks for a negative buffer; hold none instead.
    let safety_stock = (normal::quantile(inputs.service_level) * spread).max(0.0);
    if lead == 0.0 {
        reasons.push(Reason::ZeroLeadTime);
    }

    let mut eoq_used = None;
    let (safety_stock, reorder_point, order_up_to) = match *policy {
        Policy::ContinuousSs => {
            let reorder_point = demand_lead + safety_stock;
            let level = demand_protection + safety_stock;
            let annual = curve.tail * 365.0;
            // More than a year's demand per order is never economic in practice; cap there.
            let economic = inputs
                .ordering_cost
                .and_then(|k| eoq(annual, k, inputs.unit_cost, inputs.holding_rate_per_year))
                .map(|q| q.min(annual));
            let cycle = economic.unwrap_or_else(|| curve.total(review.max(1.0)));
            if let Some(q) = economic
                && reorder_point + q > level
            {
                eoq_used = Some(q);
            }
            (safety_stock, reorder_point, (reorder_point + cycle).max(level))
        }
        Policy::PeriodicRs => (safety_stock, demand_lead + safety_stock, demand_protection + safety_stock),
        Policy::MinMax { min, max } => (min - demand_lead, min, max),
    };

    let periodic = matches!(policy, Policy::PeriodicRs);
    let trigger = if periodic { order_up_to } else { reorder_point };
    let mut raw = 0.0;
    if !curve.any && !matches!(policy, Policy::MinMax { .. }) {
        reasons.push(Reason::NoDemand);
        if position < 0.0 {
            reasons.push(Reason::CoverBackorders { units: -position });
            raw = -position;
        }
    } else if position <= trigger && order_up_to > position {
        reasons.push(if periodic {
            Reason::BelowOrderUpTo { position, order_up_to }
        } else {
            Reason::BelowReorderPoint { position, reorder_point }
        });
        if position < 0.0 {
            reasons.push(Reason::CoverBackorders { units: -position });
        }
        if let Some(eoq) = eoq_used {
            reasons.push(Reason::EoqApplied { eoq });
        }
        reasons.push(Reason::RaisedToOrderUpTo { order_up_to });
        raw = order_up_to - position;
    } else {
        reasons.push(if periodic {
            Reason::AtOrAboveOrderUpTo { position, order_up_to }
        } else {
            Reason::AtOrAboveReorderPoint { position, reorder_point }
        });
    }

    let quantity = if raw > 0.0 { round_quantity(inputs, &curve, position, raw, &mut reasons) } else { 0 };
    if quantity > 0
        && let Some(budget) = inputs.max_order_value
    {
        let value = quantity as f64 * inputs.unit_cost;
        if value > budget {
            reasons.push(Reason::AboveBudget { value, budget });
        }
    }

    Ok(Suggestion {
        order: quantity > 0,
        quantity,
        position,
        safety_stock,
        reorder_point,
        order_up_to,
        expected_demand_lead_time: demand_lead,
        days_of_cover: curve.cover(position),
        reasons,
    })
}

/// Whole packs, then the MOQ, then the shelf-life cap. Returns units.
fn round_quantity(inputs: &ItemInputs, curve: &Curve<'_>, position: f64, raw: f64, reasons: &mut Vec<Reason>) -> u64 {
    // Guards against float noise: a shortfall of a billionth of a pack is not a pack.
    const SLACK: f64 = 1e-9;
    let pack_size = inputs.pack_size;
    let pack = u64::from(pack_size);
    let packs = (raw / pack as f64 - SLACK).ceil().max(0.0) as u64;
    let mut quantity = packs.saturating_mul(pack);
    if quantity == 0 {
        return 0;
    }
    if (quantity as f64 - raw).abs() > SLACK * raw.max(1.0) {
        reasons.push(Reason::RoundedToPacks { pack_size, from: raw, to: quantity });
    }
    let moq = u64::from(inputs.moq_units).div_ceil(pack) * pack;
    if quantity < moq {
        quantity = moq;
        reasons.push(Reason::RaisedToMoq { moq });
    }
    if let Some(days) = inputs.shelf_life_days {
        // Stock already held or on order sells first (FIFO), so the new lot sells only what is left
        // of the demand until it expires: lead time + shelf life days from now, minus the position.
        let room = curve.total(inputs.lead_time_days + f64::from(days)) - position;
        let cap = if room > 0.0 { ((room / pack as f64 + SLACK).floor() as u64).saturating_mul(pack) } else { 0 };
        if quantity > cap {
            reasons.push(Reason::CappedByShelfLife { days, cap });
            let minimum = moq.max(pack);
            if cap < minimum {
                reasons.push(Reason::ShelfLifeBelowMinimumOrder { cap, minimum });
                return 0;
            }
            quantity = cap;
        }
    }
    quantity
}

/// The forecast as a step function of time, extended past its end at its mean.
struct Curve<'a> {
    means: &'a [f64],
    /// Mean of `means` (0 when empty), used past the end.
    tail: f64,
    /// Whether any day expects demand.
    any: bool,
}

impl<'a> Curve<'a> {
    fn new(means: &'a [f64]) -> Self {
        let tail = if means.is_empty() { 0.0 } else { means.iter().sum::<f64>() / means.len() as f64 };
        Curve { means, tail, any: means.iter().any(|&m| m > 0.0) }
    }

    fn at(&self, day: usize) -> f64 {
        self.means.get(day).copied().unwrap_or(self.tail)
    }

    /// Expected demand over the next `days` days (fractional: a share of the last day).
    fn total(&self, days: f64) -> f64 {
        if days <= 0.0 {
            return 0.0;
        }
        let whole = days.floor();
        let full = whole as usize;
        let known = full.min(self.means.len());
        let mut sum: f64 = self.means[..known].iter().sum();
        sum += (full - known) as f64 * self.tail;
        let fraction = days - whole;
        if fraction > 0.0 {
            sum += fraction * self.at(full);
        }
        sum
    }

    /// Days until cumulative expected demand reaches `position`.
    fn cover(&self, position: f64) -> Option<f64> {
        if !self.any {
            return None;
        }
        if position <= 0.0 {
            return Some(0.0);
        }
        let mut left = position;
        for (day, &m) in self.means.iter().enumerate() {
            if m > 0.0 && m >= left {
                return Some(day as f64 + left / m);
            }
            left -= m;
        }
        Some(self.means.len() as f64 + left / self.tail)
    }
}

fn check(field: &'static str, value: f64, allow_negative: bool, max: f64) -> Result<(), InputError> {
    if !value.is_finite() {
        Err(InputError::NotFinite { field, value })
    } else if value < 0.0 && !allow_negative {
        Err(InputError::Negative { field, value })
    } else if value.abs() > max {
        Err(InputError::TooLarge { field, value, max })
    } else {
        Ok(())
    }
}

fn validate(inputs: &ItemInputs, policy: &Policy) -> Result<(), InputError> {
    check("on_hand", inputs.on_hand, true, MAX_UNITS)?;
    check("on_order", inputs.on_order, false, MAX_UNITS)?;
    check("backorders_or_reserved", inputs.backorders_or_reserved, false, MAX_UNITS)?;
    for (day, &value) in inputs.demand.mean_per_day.iter().enumerate() {
        if !value.is_finite() || value < 0.0 {
            return Err(InputError::BadDemandMean { day, value });
        }
        check("demand.mean_per_day", value, false, MAX_UNITS)?;
    }
    check("demand.error_std_per_day", inputs.demand.error_std_per_day, false, MAX_UNITS)?;
    check("lead_time_days", inputs.lead_time_days, false, MAX_DAYS)?;
    check("lead_time_std_days", inputs.lead_time_std_days, false, MAX_DAYS)?;
    check("review_days", inputs.review_days, false, MAX_DAYS)?;
    let level = inputs.service_level;
    if !(level > 0.0 && level < 1.0) {
        return Err(InputError::ServiceLevel(level));
    }
    if inputs.pack_size == 0 {
        return Err(InputError::ZeroPackSize);
    }
    check("unit_cost", inputs.unit_cost, false, MAX_MONEY)?;
    if let Some(k) = inputs.ordering_cost {
        check("ordering_cost", k, false, MAX_MONEY)?;
    }
    check("holding_rate_per_year", inputs.holding_rate_per_year, false, MAX_MONEY)?;
    if inputs.shelf_life_days == Some(0) {
        return Err(InputError::ZeroShelfLife);
    }
    if let Some(budget) = inputs.max_order_value {
        check("max_order_value", budget, false, f64::MAX)?;
    }
    match *policy {
        Policy::MinMax { min, max } => {
            let fine = |v: f64| v.is_finite() && (0.0..=MAX_UNITS).contains(&v);
            if !(fine(min) && fine(max) && min <= max) {
                return Err(InputError::BadMinMax { min, max });
            }
        }
        Policy::ContinuousSs | Policy::PeriodicRs => {
            if inputs.demand.mean_per_day.is_empty() {
                return Err(InputError::EmptyForecast);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_days_set_arrival_and_cover() {
        // Monday and Thursday deliveries, two days' lead time.
        let mon_thu = [true, false, false, true, false, false, false];
        // Ordered Monday night: Wednesday is too early, so Thursday (3 days), then Monday (4 later).
        assert_eq!(delivery_timing(0, 2.0, &mon_thu), Some((3, 4)));
        // Ordered Thursday night: Saturday is the earliest, so Monday (4 days), then Thursday (3 later).
        assert_eq!(delivery_timing(3, 2.0, &mon_thu), Some((4, 3)));
        // A fractional lead time rounds up to whole days; zero lead time can arrive the same day.
        assert_eq!(delivery_timing(0, 2.5, &mon_thu), Some((3, 4)));
        assert_eq!(delivery_timing(0, 0.0, &mon_thu), Some((0, 3)));
        // One delivery day a week: a week between deliveries.
        let friday = [false, false, false, false, true, false, false];
        assert_eq!(delivery_timing(0, 1.0, &friday), Some((4, 7)));
        // Any day, and bad lead times: no schedule to apply.
        assert_eq!(delivery_timing(0, 2.0, &[false; 7]), None);
        assert_eq!(delivery_timing(0, 2.0, &[true; 7]), None);
        assert_eq!(delivery_timing(0, f64::NAN, &friday), None);
        assert_eq!(delivery_timing(0, -1.0, &friday), None);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + b.abs())
    }

    fn base() -> ItemInputs {
        ItemInputs {
            on_hand: 0.0,
            demand: DemandView::flat(10.0, 30, 3.0),
            lead_time_days: 4.0,
            lead_time_std_days: 1.0,
            review_days: 7.0,
            service_level: 0.95,
            unit_cost: 10.0,
            holding_rate_per_year: 0.2,
            ..ItemInputs::default()
        }
    }

    #[test]
    fn safety_stock_and_levels_by_hand() {
        let inputs = ItemInputs { on_hand: 50.0, on_order: 20.0, backorders_or_reserved: 5.0, ..base() };
        let s = suggest(&inputs, &Policy::PeriodicRs).unwrap();
        // P = 4 + 7 = 11 days; σ² over P = 11·9 = 99; d̄²σ_L² = 100·1 = 100.
        let ss = 1.6448536269514722 * 199f64.sqrt();
        assert!(close(s.safety_stock, ss), "{}", s.safety_stock);
        assert!(close(s.expected_demand_lead_time, 40.0));
        assert!(close(s.reorder_point, 40.0 + ss));
        assert!(close(s.order_up_to, 110.0 + ss));
        assert!(close(s.position, 65.0));
        // Order up to S: 110 + 23.20 − 65 = 68.20 → 69 units.
        assert!(s.order);
        assert_eq!(s.quantity, (110.0 + ss - 65.0).ceil() as u64);
        assert!(s.reasons.contains(&Reason::BelowOrderUpTo { position: 65.0, order_up_to: s.order_up_to }));
        assert!(close(s.days_of_cover.unwrap(), 6.5));
    }

    #[test]
    fn fractional_lead_time_takes_a_share_of_the_day() {
        let demand = DemandView { mean_per_day: vec![1.0, 2.0, 4.0], error_std_per_day: 0.0 };
        let inputs = ItemInputs { demand, lead_time_days: 2.5, on_hand: 100.0, ..ItemInputs::default() };
        let s = suggest(&inputs, &Policy::ContinuousSs).unwrap();
        assert!(close(s.expected_demand_lead_time, 1.0 + 2.0 + 0.5 * 4.0));
        // Past the end the forecast continues at its mean, 7/3 a day.
        let long = ItemInputs { lead_time_days: 5.0, ..inputs };
        let s = suggest(&long, &Policy::ContinuousSs).unwrap();
        assert!(close(s.expected_demand_lead_time, 7.0 + 2.0 * 7.0 / 3.0));
    }

    #[test]
    fn zero_lead_time_is_valid() {
        let inputs = ItemInputs { lead_time_days: 0.0, lead_time_std_days: 0.0, review_days: 0.0, ..base() };
        let s = suggest(&inputs, &Policy::ContinuousSs).unwrap();
        // Continuous review: protection of one day; reorder point is only safety stock.
        assert!(close(s.safety_stock, 1.6448536269514722 * 3.0));
        assert!(close(s.reorder_point, s.safety_stock));
        assert_eq!(s.expected_demand_lead_time, 0.0);
        assert!(s.order && s.reasons.contains(&Reason::ZeroLeadTime));
        // Deterministic demand and nothing on hand still orders: the trigger is "at or below".
        let exact = ItemInputs { demand: DemandView::flat(5.0, 10, 0.0), ..inputs };
        let s = suggest(&exact, &Policy::ContinuousSs).unwrap();
        assert_eq!((s.reorder_point, s.quantity), (0.0, 5));
        // Periodic review with zero lead time protects just the review period.
        let periodic = ItemInputs { review_days: 7.0, ..exact };
        let s = suggest(&periodic, &Policy::PeriodicRs).unwrap();
        assert_eq!((s.order_up_to, s.quantity), (35.0, 35));
    }

    #[test]
    fn zero_demand_orders_nothing_unless_backordered() {
        let inputs = ItemInputs { demand: DemandView::flat(0.0, 14, 2.0), on_hand: 3.0, ..base() };
        for policy in [Policy::ContinuousSs, Policy::PeriodicRs] {
            let s = suggest(&inputs, &policy).unwrap();
            assert!(!s.order && s.quantity == 0);
            assert_eq!(s.reasons, vec![Reason::NoDemand]);
            assert_eq!(s.days_of_cover, None);
        }
        let owed = ItemInputs { on_hand: 0.0, backorders_or_reserved: 7.0, pack_size: 5, ..inputs };
        let s = suggest(&owed, &Policy::PeriodicRs).unwrap();
        assert_eq!(s.quantity, 10);
        assert!(s.reasons.contains(&Reason::CoverBackorders { units: 7.0 }));
    }

    #[test]
    fn negative_position_is_covered_and_restocked() {
        let inputs = ItemInputs { on_hand: 0.0, backorders_or_reserved: 30.0, ..base() };
        let s = suggest(&inputs, &Policy::PeriodicRs).unwrap();
        assert_eq!(s.position, -30.0);
        assert_eq!(s.quantity, (s.order_up_to + 30.0).ceil() as u64);
        assert!(s.reasons.contains(&Reason::CoverBackorders { units: 30.0 }));
        assert_eq!(s.days_of_cover, Some(0.0));
    }

    #[test]
    fn packs_and_moq() {
        let demand = DemandView::flat(10.0, 30, 0.0);
        let inputs =
            ItemInputs { demand, lead_time_days: 2.0, review_days: 1.0, pack_size: 12, ..ItemInputs::default() };
        // S = 30, position 0 → 30 → 3 packs = 36.
        let s = suggest(&inputs, &Policy::PeriodicRs).unwrap();
        assert_eq!(s.quantity, 36);
        assert!(s.reasons.contains(&Reason::RoundedToPacks { pack_size: 12, from: 30.0, to: 36 }));
        // MOQ 50 is 5 packs = 60.
        let s = suggest(&ItemInputs { moq_units: 50, ..inputs.clone() }, &Policy::PeriodicRs).unwrap();
        assert_eq!(s.quantity, 60);
        assert!(s.reasons.contains(&Reason::RaisedToMoq { moq: 60 }));
        // An exact multiple is not "rounded".
        let s = suggest(&ItemInputs { pack_size: 6, ..inputs }, &Policy::PeriodicRs).unwrap();
        assert_eq!(s.quantity, 30);
        assert!(!s.reasons.iter().any(|r| matches!(r, Reason::RoundedToPacks { .. })));
    }

    #[test]
    fn shelf_life_caps_the_order() {
        // 10 a day, lead 2, review 7, safety stock 0 → S = 90. Shelf life 3 days: demand until the
        // new lot expires is 10·(2 + 3) = 50; with 8 on hand the cap is 42 → 4 packs of 10 = 40.
        let inputs = ItemInputs {
            on_hand: 8.0,
            demand: DemandView::flat(10.0, 30, 0.0),
            lead_time_days: 2.0,
            review_days: 7.0,
            pack_size: 10,
            shelf_life_days: Some(3),
            ..ItemInputs::default()
        };
        let s = suggest(&inputs, &Policy::PeriodicRs).unwrap();
        assert_eq!(s.quantity, 40);
        assert!(s.reasons.contains(&Reason::CappedByShelfLife { days: 3, cap: 40 }));
        // With an MOQ of 60 the cap leaves nothing orderable: no order, flagged.
        let s = suggest(&ItemInputs { moq_units: 60, ..inputs }, &Policy::PeriodicRs).unwrap();
        assert!(!s.order);
        assert!(s.reasons.contains(&Reason::ShelfLifeBelowMinimumOrder { cap: 40, minimum: 60 }));
    }

    #[test]
    fn eoq_example_and_use_in_s_s() {
        let q = eoq(1200.0, 50.0, 10.0, 0.2).unwrap();
        assert!(close(q, (2.0f64 * 1200.0 * 50.0 / 2.0).sqrt()));
        assert!((q - 244.948_974_278).abs() < 1e-6);
        assert_eq!(eoq(1200.0, 0.0, 10.0, 0.2), None);
        assert_eq!(eoq(0.0, 50.0, 10.0, 0.2), None);
        // 1200 a year ≈ 3.2877 a day.
        let daily = 1200.0 / 365.0;
        let inputs = ItemInputs {
            demand: DemandView::flat(daily, 60, 0.0),
            lead_time_days: 5.0,
            ordering_cost: Some(50.0),
            unit_cost: 10.0,
            holding_rate_per_year: 0.2,
            ..ItemInputs::default()
        };
        let s = suggest(&inputs, &Policy::ContinuousSs).unwrap();
        assert!(close(s.reorder_point, 5.0 * daily));
        assert!(close(s.order_up_to, 5.0 * daily + q));
        assert!(s.reasons.iter().any(|r| matches!(r, Reason::EoqApplied { eoq } if close(*eoq, q))));
        assert_eq!(s.quantity, (5.0 * daily + q).ceil() as u64);
    }

    #[test]
    fn min_max_and_budget() {
        let policy = Policy::min_max_from_history(10.0, 4.0, 3.0, 14.0);
        assert_eq!(policy, Policy::MinMax { min: 70.0, max: 210.0 });
        let inputs = ItemInputs { on_hand: 60.0, max_order_value: Some(1000.0), ..base() };
        let s = suggest(&inputs, &policy).unwrap();
        assert_eq!((s.quantity, s.reorder_point, s.order_up_to), (150, 70.0, 210.0));
        assert!(close(s.safety_stock, 30.0));
        assert!(s.reasons.contains(&Reason::AboveBudget { value: 1500.0, budget: 1000.0 }));
        let s = suggest(&ItemInputs { on_hand: 71.0, ..inputs }, &policy).unwrap();
        assert!(!s.order);
        // Min/max needs no forecast.
        let bare = ItemInputs { on_hand: 0.0, ..ItemInputs::default() };
        assert_eq!(suggest(&bare, &policy).unwrap().quantity, 210);
    }

    #[test]
    fn continuous_without_ordering_cost_orders_a_review_period_more() {
        let inputs = ItemInputs { review_days: 0.0, on_hand: 10.0, ..base() };
        let s = suggest(&inputs, &Policy::ContinuousSs).unwrap();
        // P = L = 4 days; S = s + one day's demand.
        let ss = 1.6448536269514722 * (4.0f64 * 9.0 + 100.0).sqrt();
        assert!(close(s.reorder_point, 40.0 + ss));
        assert!(close(s.order_up_to, 50.0 + ss));
        let above = suggest(&ItemInputs { on_hand: 70.0, ..inputs }, &Policy::ContinuousSs).unwrap();
        assert!(!above.order);
        assert!(matches!(above.reasons[..], [Reason::AtOrAboveReorderPoint { .. }]));
    }

    #[test]
    fn bad_inputs_are_named() {
        let ok = base();
        let err = |i: ItemInputs| suggest(&i, &Policy::PeriodicRs).unwrap_err();
        let mut bad = ok.clone();
        bad.demand.mean_per_day[3] = f64::NAN;
        assert!(matches!(err(bad), InputError::BadDemandMean { day: 3, .. }));
        let mut bad = ok.clone();
        bad.demand.mean_per_day[0] = -1.0;
        assert!(matches!(err(bad), InputError::BadDemandMean { day: 0, value } if value == -1.0));
        assert_eq!(err(ItemInputs { service_level: 1.0, ..ok.clone() }), InputError::ServiceLevel(1.0));
        assert_eq!(err(ItemInputs { service_level: 0.0, ..ok.clone() }), InputError::ServiceLevel(0.0));
        assert_eq!(err(ItemInputs { pack_size: 0, ..ok.clone() }), InputError::ZeroPackSize);
        assert_eq!(err(ItemInputs { shelf_life_days: Some(0), ..ok.clone() }), InputError::ZeroShelfLife);
        assert!(matches!(
            err(ItemInputs { on_order: -1.0, ..ok.clone() }),
            InputError::Negative { field: "on_order", .. }
        ));
        assert!(matches!(
            err(ItemInputs { on_hand: f64::INFINITY, ..ok.clone() }),
            InputError::NotFinite { field: "on_hand", .. }
        ));
        assert!(matches!(
            err(ItemInputs { lead_time_days: 1e5, ..ok.clone() }),
            InputError::TooLarge { field: "lead_time_days", .. }
        ));
        let empty = ItemInputs { demand: DemandView::default(), ..ok.clone() };
        assert_eq!(err(empty), InputError::EmptyForecast);
        let bad_levels = suggest(&ok, &Policy::MinMax { min: 5.0, max: 1.0 });
        assert_eq!(bad_levels.unwrap_err(), InputError::BadMinMax { min: 5.0, max: 1.0 });
        // Negative on-hand is accepted (ledgers may sell ahead of receipts).
        assert!(suggest(&ItemInputs { on_hand: -4.0, ..ok }, &Policy::PeriodicRs).is_ok());
    }

    #[test]
    fn service_targets_and_explanations() {
        assert_eq!(ServiceTargets::default().for_class(Abc::A), 0.98);
        assert_eq!(ServiceTargets::default().for_class(Abc::B), 0.95);
        assert_eq!(ServiceTargets::default().for_class(Abc::C), 0.90);
        let custom = ServiceTargets { a: 0.995, ..ServiceTargets::default() };
        assert_eq!(custom.for_class(Abc::A), 0.995);
        let text = explain_en(&Reason::RoundedToPacks { pack_size: 12, from: 30.0, to: 36 });
        assert_eq!(text, "rounded 30.00 up to 36 units (whole packs of 12)");
    }
}
