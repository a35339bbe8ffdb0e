//! Supplier performance scorecards from purchase orders and their receipts.
//!
//! # Which orders count
//!
//! Everything is judged as of a point in time `as_of`; receipts after it are ignored.
//!
//! - Cancelled orders, and orders without a line of positive quantity, are ignored.
//! - An order's **deadline** is the end of its promised UTC calendar day plus `grace_days` whole days
//!   (grace 0: a receipt at 23:59 on the promised day is on time, one at 00:00 the next day is late).
//!   The caller can pass a local promised time shifted to UTC, or `created_at` + the supplier's quoted
//!   lead time where the order carries no promise.
//! - An order is **settled**, and counted, once it is complete (every product accepted in full) or its
//!   deadline has passed; an order without a promised date, once it has a receipt. Orders still in
//!   progress (not yet due and not complete — whether unreceived or partly received) are ignored, so an
//!   early partial delivery is not punished before the promise falls due. An order past due and not
//!   fully received counts as late (when nothing arrived in time) and not in full.
//!
//! # Measures (over the counted orders of a supplier)
//!
//! - **On time** (orders with a promised date): the first receipt arrived before the deadline.
//!   `on_time_rate` = on-time orders / orders with a promised date; `late_orders` counts the others.
//! - **In full**: for every ordered product, accepted units (received − rejected, over all receipts up
//!   to `as_of`) ≥ ordered units (the order's lines summed per product). `in_full_rate` = in-full
//!   orders / orders.
//! - **OTIF** (orders with a promised date): the units accepted *before the deadline* already cover the
//!   order, which implies both on time and in full. A partial delivery on time whose rest comes late
//!   is on time and (eventually) in full, but not OTIF.
//! - **Fill rate** = Σ accepted / Σ ordered units, where a product's accepted units count only up to
//!   its ordered quantity (over-deliveries and unordered products do not lift it).
//! - **Quality** = Σ accepted / Σ received units over every received line (rejections are clamped to
//!   0..=received).
//! - **Price index** = 100 × Σ(paid unit cost × accepted) / Σ(best offer × accepted), where the paid
//!   cost is the receipt line's cost, else the quantity-weighted ordered cost of that product on the
//!   order, and the best offer is the lowest contract price of any supplier for the product. 100 means
//!   always the best offer; lines of products without an offer are left out; `None` when nothing is
//!   left.
//! - **Lead time** = days (fractional) from `created_at` to the first receipt, over counted orders with
//!   a receipt: mean and sample standard deviation (n − 1; `None` under two orders).
//!   **Reliability** = max(0, 1 − CV) with CV = std / mean (1 when every lead time is equal).
//!
//! # Score and band
//!
//! Each component is scored 0..1: the OTIF, fill and quality rates as they are, reliability as it is,
//! and price as `1 − (index − 100) / price_tolerance_pct` clamped to 0..1 (at or below the best offer
//! scores 1; `price_tolerance_pct` above it scores 0). The score is 100 × the weighted mean of the
//! components that could be measured (the weights of missing ones are shared out). The band is
//! `insufficient_data` under `min_orders` counted orders (and always at zero); otherwise `blocked`
//! when the quality rate is under `quality_floor`, else by the score thresholds. `reasons` lists, in
//! plain English, each component that cost points (most points first), then any floor or data gap.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A purchase order with its lines and the receipts booked against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PurchaseRecord {
    /// The order's id (kept for the caller's reference).
    pub po_id: String,
    /// The supplier the order was placed with.
    pub supplier_id: String,
    /// When the order was placed.
    pub created_at: DateTime<Utc>,
    /// When the supplier promised delivery (its UTC day is the promised day).
    pub promised_at: Option<DateTime<Utc>>,
    /// Whether the order was cancelled (cancelled orders are ignored).
    pub cancelled: bool,
    /// What was ordered.
    pub lines: Vec<OrderedLine>,
    /// What arrived, in any order.
    pub receipts: Vec<ReceiptRecord>,
}

/// One ordered product line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderedLine {
    /// The product ordered.
    pub product_id: String,
    /// Units ordered.
    pub quantity: i64,
    /// Agreed unit cost in minor units.
    pub unit_cost_minor: i64,
}

/// One delivery against an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptRecord {
    /// When the goods were received.
    pub received_at: DateTime<Utc>,
    /// What was received.
    pub lines: Vec<ReceivedLine>,
}

/// One received product line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceivedLine {
    /// The product received.
    pub product_id: String,
    /// Units received (including rejected ones).
    pub quantity: i64,
    /// Units rejected at receipt (damaged, wrong, out of spec).
    pub rejected: i64,
    /// Invoiced unit cost, when it differs from or is missing on the order.
    pub unit_cost_minor: Option<i64>,
}

/// A supplier's contract price for a product (used to find the best offer per product).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// The supplier offering.
    pub supplier_id: String,
    /// The product offered.
    pub product_id: String,
    /// Contract unit cost in minor units.
    pub unit_cost_minor: i64,
}

/// Relative weights of the score components (they need not sum to 1; zero or negative drops one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreWeights {
    /// On time in full.
    pub otif: f64,
    /// Fill rate.
    pub fill_rate: f64,
    /// Quality acceptance.
    pub quality: f64,
    /// Price against the best offer.
    pub price: f64,
    /// Lead-time reliability.
    pub lead_time_reliability: f64,
}

impl Default for ScoreWeights {
    /// 0.35 OTIF, 0.2 fill rate, 0.2 quality, 0.15 price, 0.1 lead-time reliability.
    fn default() -> Self {
        Self { otif: 0.35, fill_rate: 0.2, quality: 0.2, price: 0.15, lead_time_reliability: 0.1 }
    }
}

/// Score thresholds (0–100) of the bands; below `warning` is `blocked`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandThresholds {
    /// Lowest score that is `excellent`.
    pub excellent: f64,
    /// Lowest score that is `average`.
    pub average: f64,
    /// Lowest score that is `warning`.
    pub warning: f64,
}

impl Default for BandThresholds {
    /// Excellent ≥ 85, average ≥ 70, warning ≥ 50.
    fn default() -> Self {
        Self { excellent: 85.0, average: 70.0, warning: 50.0 }
    }
}

/// How scorecards are computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorecardConfig {
    /// Component weights.
    pub weights: ScoreWeights,
    /// Whole days of lateness tolerated after the promised day (default 0).
    pub grace_days: u32,
    /// Counted orders needed for a band other than `insufficient_data` (default 5).
    pub min_orders: usize,
    /// Score thresholds of the bands.
    pub bands: BandThresholds,
    /// Quality rate under which a supplier is `blocked` whatever its score (default 0.9).
    pub quality_floor: f64,
    /// Price index points above 100 at which the price component reaches 0 (default 20).
    pub price_tolerance_pct: f64,
}

impl Default for ScorecardConfig {
    /// Default weights and bands, no grace, 5 orders, quality floor 0.9, price tolerance 20%.
    fn default() -> Self {
        Self {
            weights: ScoreWeights::default(),
            grace_days: 0,
            min_orders: 5,
            bands: BandThresholds::default(),
            quality_floor: 0.9,
            price_tolerance_pct: 20.0,
        }
    }
}

/// A supplier's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    /// Score under the warning threshold, or quality under the floor: stop ordering.
    Blocked,
    /// Needs attention.
    Warning,
    /// Acceptable.
    Average,
    /// Among the best.
    Excellent,
    /// Too few settled orders to judge.
    InsufficientData,
}

/// One supplier's performance as of a point in time (see the module documentation for definitions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// The supplier.
    pub supplier_id: String,
    /// Counted (settled) orders.
    pub orders: usize,
    /// Counted orders with a promised date (the base of the on-time and OTIF rates).
    pub promised_orders: usize,
    /// Counted orders with a promised date whose first receipt missed the deadline (or never came).
    pub late_orders: usize,
    /// Counted orders past their deadline and not fully received.
    pub overdue_open_orders: usize,
    /// Ordered lines of the counted orders.
    pub lines: usize,
    /// Units ordered on the counted orders.
    pub ordered_units: i64,
    /// Units received (including rejected) on the counted orders.
    pub received_units: i64,
    /// Units rejected on the counted orders.
    pub rejected_units: i64,
    /// On-time orders / promised orders.
    pub on_time_rate: Option<f64>,
    /// In-full orders / orders.
    pub in_full_rate: Option<f64>,
    /// Orders complete by their deadline / promised orders.
    pub otif_rate: Option<f64>,
    /// Accepted (up to ordered) / ordered units.
    pub fill_rate: Option<f64>,
    /// Accepted / received units.
    pub quality_rate: Option<f64>,
    /// 100 × paid / best-offer cost of the accepted units (products with an offer only).
    pub price_index: Option<f64>,
    /// Mean days from order to first receipt.
    pub lead_time_mean_days: Option<f64>,
    /// Sample standard deviation of those days.
    pub lead_time_std_days: Option<f64>,
    /// max(0, 1 − std/mean) of the lead time.
    pub lead_time_reliability: Option<f64>,
    /// Weighted score, 0–100.
    pub score: f64,
    /// Standing.
    pub band: Band,
    /// Plain-English reasons the score is not 100 and for the band.
    pub reasons: Vec<String>,
}

/// Period length for [`trend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// ISO weeks starting on Monday.
    Week,
    /// Calendar months.
    Month,
}

/// The scorecards of the orders due (promised, else created) in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendPeriod {
    /// First day of the period.
    pub start: NaiveDate,
    /// One scorecard per supplier with an order in the period, by supplier id.
    pub scorecards: Vec<Scorecard>,
}

/// What one order contributes, once settled.
struct OrderOutcome {
    promised: bool,
    on_time: bool,
    in_full: bool,
    otif: bool,
    overdue_open: bool,
    lines: usize,
    ordered: i64,
    filled: i64,
    received: i64,
    accepted: i64,
    paid_value: f64,
    best_value: f64,
    lead_days: Option<f64>,
}

fn deadline(promised: DateTime<Utc>, grace_days: u32) -> DateTime<Utc> {
    let day = promised.date_naive();
    let end = day.checked_add_days(Days::new(u64::from(grace_days) + 1)).unwrap_or(NaiveDate::MAX);
    end.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn accepted_of(line: &ReceivedLine) -> (i64, i64) {
    let q = line.quantity.max(0);
    let rejected = line.rejected.clamp(0, q);
    (q, q - rejected)
}

/// Judges one order; `None` when it is ignored (cancelled, empty, or still in progress).
fn outcome(
    r: &PurchaseRecord,
    best: &BTreeMap<&str, i64>,
    as_of: DateTime<Utc>,
    grace_days: u32,
) -> Option<OrderOutcome> {
    if r.cancelled {
        return None;
    }
    let mut ordered: BTreeMap<&str, (i64, i128)> = BTreeMap::new();
    let mut lines = 0;
    for l in r.lines.iter().filter(|l| l.quantity > 0) {
        let e = ordered.entry(l.product_id.as_str()).or_default();
        e.0 += l.quantity;
        e.1 += i128::from(l.quantity) * i128::from(l.unit_cost_minor);
        lines += 1;
    }
    if ordered.is_empty() {
        return None;
    }
    let due = r.promised_at.map(|p| deadline(p, grace_days));
    let mut receipts: Vec<&ReceiptRecord> =
        r.receipts.iter().filter(|rc| rc.received_at <= as_of && rc.lines.iter().any(|l| l.quantity > 0)).collect();
    receipts.sort_by_key(|rc| rc.received_at);
    let first = receipts.first().map(|rc| rc.received_at);

    let mut accepted_by: BTreeMap<&str, i64> = BTreeMap::new();
    let mut accepted_by_deadline: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut received, mut accepted) = (0i64, 0i64);
    let (mut paid_value, mut best_value) = (0.0, 0.0);
    for rc in &receipts {
        let in_time = due.is_some_and(|d| rc.received_at < d);
        for l in &rc.lines {
            let (q, acc) = accepted_of(l);
            if q == 0 {
                continue;
            }
            received += q;
            accepted += acc;
            *accepted_by.entry(l.product_id.as_str()).or_default() += acc;
            if in_time {
                *accepted_by_deadline.entry(l.product_id.as_str()).or_default() += acc;
            }
            let paid = match (l.unit_cost_minor, ordered.get(l.product_id.as_str())) {
                (Some(c), _) => Some(c as f64),
                (None, Some(&(qty, value))) => Some(value as f64 / qty as f64),
                (None, None) => None,
            };
            if let (Some(paid), Some(&b)) = (paid, best.get(l.product_id.as_str()))
                && acc > 0
            {
                paid_value += paid * acc as f64;
                best_value += b as f64 * acc as f64;
            }
        }
    }
    let covers = |got: &BTreeMap<&str, i64>| ordered.iter().all(|(p, (q, _))| got.get(p).copied().unwrap_or(0) >= *q);
    let in_full = covers(&accepted_by);
    let past_due = due.is_some_and(|d| as_of >= d);
    let settled = in_full || past_due || (due.is_none() && first.is_some());
    if !settled {
        return None;
    }
    let on_time = matches!((due, first), (Some(d), Some(f)) if f < d);
    Some(OrderOutcome {
        promised: due.is_some(),
        on_time,
        in_full,
        otif: due.is_some() && covers(&accepted_by_deadline),
        overdue_open: past_due && !in_full,
        lines,
        ordered: ordered.values().map(|(q, _)| q).sum(),
        filled: ordered.iter().map(|(p, (q, _))| accepted_by.get(p).copied().unwrap_or(0).min(*q)).sum(),
        received,
        accepted,
        paid_value,
        best_value,
        lead_days: first.map(|f| ((f - r.created_at).num_seconds() as f64 / 86_400.0).max(0.0)),
    })
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

fn ratio_i(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| (num as f64 / den as f64).clamp(0.0, 1.0))
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn best_offers(offers: &[Offer]) -> BTreeMap<&str, i64> {
    let mut best: BTreeMap<&str, i64> = BTreeMap::new();
    for o in offers {
        best.entry(o.product_id.as_str()).and_modify(|b| *b = (*b).min(o.unit_cost_minor)).or_insert(o.unit_cost_minor);
    }
    best
}

fn card(supplier_id: &str, outcomes: &[OrderOutcome], config: &ScorecardConfig) -> Scorecard {
    let orders = outcomes.len();
    let promised: Vec<&OrderOutcome> = outcomes.iter().filter(|o| o.promised).collect();
    let on_time = promised.iter().filter(|o| o.on_time).count();
    let otif = promised.iter().filter(|o| o.otif).count();
    let in_full = outcomes.iter().filter(|o| o.in_full).count();
    let overdue_open_orders = outcomes.iter().filter(|o| o.overdue_open).count();
    let ordered: i64 = outcomes.iter().map(|o| o.ordered).sum();
    let filled: i64 = outcomes.iter().map(|o| o.filled).sum();
    let received: i64 = outcomes.iter().map(|o| o.received).sum();
    let accepted: i64 = outcomes.iter().map(|o| o.accepted).sum();
    let paid: f64 = outcomes.iter().map(|o| o.paid_value).sum();
    let best: f64 = outcomes.iter().map(|o| o.best_value).sum();
    let price_index = (best > 0.0).then(|| 100.0 * paid / best);

    let leads: Vec<f64> = outcomes.iter().filter_map(|o| o.lead_days).collect();
    let mean = (!leads.is_empty()).then(|| leads.iter().sum::<f64>() / leads.len() as f64);
    let std = mean
        .filter(|_| leads.len() >= 2)
        .map(|m| (leads.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (leads.len() - 1) as f64).sqrt());
    let reliability = match (mean, std) {
        (Some(m), Some(s)) if m > 0.0 => Some((1.0 - s / m).clamp(0.0, 1.0)),
        (Some(_), Some(s)) => Some(if s > 0.0 { 0.0 } else { 1.0 }),
        _ => None,
    };

    let on_time_rate = ratio(on_time, promised.len());
    let otif_rate = ratio(otif, promised.len());
    let fill_rate = ratio_i(filled, ordered);
    let quality_rate = ratio_i(accepted, received);
    let tolerance = config.price_tolerance_pct.max(f64::MIN_POSITIVE);
    let price_score = price_index.map(|i| (1.0 - (i - 100.0) / tolerance).clamp(0.0, 1.0));

    let w = &config.weights;
    let components = [
        (w.otif, otif_rate),
        (w.fill_rate, fill_rate),
        (w.quality, quality_rate),
        (w.price, price_score),
        (w.lead_time_reliability, reliability),
    ];
    let weight_sum: f64 = components.iter().filter(|(w, c)| *w > 0.0 && c.is_some()).map(|(w, _)| w).sum();
    let score = if weight_sum > 0.0 {
        let s: f64 = components.iter().filter(|(w, _)| *w > 0.0).filter_map(|(w, c)| c.map(|c| w * c)).sum();
        (100.0 * s / weight_sum).clamp(0.0, 100.0)
    } else {
        0.0
    };
    let lost = |i: usize| {
        let (w, c) = components[i];
        match c {
            Some(c) if w > 0.0 && weight_sum > 0.0 && c < 1.0 - 1e-12 => Some(100.0 * w * (1.0 - c) / weight_sum),
            _ => None,
        }
    };

    let mut costly: Vec<(f64, String)> = Vec::new();
    if let (Some(points), Some(rate)) = (lost(0), otif_rate) {
        let mut s = format!("on time in full: {otif} of {} orders ({})", promised.len(), pct(rate));
        if promised.len() > on_time {
            s += &format!(", {} late", promised.len() - on_time);
        }
        if overdue_open_orders > 0 {
            s += &format!(", {overdue_open_orders} past due and not fully received");
        }
        costly.push((points, s + &format!(", costing {points:.1} points")));
    }
    if let (Some(points), Some(rate)) = (lost(1), fill_rate) {
        costly.push((
            points,
            format!(
                "fill rate: {filled} of {ordered} ordered units accepted ({}), costing {points:.1} points",
                pct(rate)
            ),
        ));
    }
    if let (Some(points), Some(rate)) = (lost(2), quality_rate) {
        costly.push((
            points,
            format!(
                "quality: {} of {received} received units rejected ({} accepted), costing {points:.1} points",
                received - accepted,
                pct(rate)
            ),
        ));
    }
    if let (Some(points), Some(index)) = (lost(3), price_index) {
        costly.push((
            points,
            format!(
                "price: paid {:.1}% above the best offer (index {index:.1}), costing {points:.1} points",
                index - 100.0
            ),
        ));
    }
    if let (Some(points), Some(m), Some(s), Some(r)) = (lost(4), mean, std, reliability) {
        costly.push((
            points,
            format!("lead time varies: {m:.1} ± {s:.1} days (reliability {}), costing {points:.1} points", pct(r)),
        ));
    }
    costly.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut reasons: Vec<String> = costly.into_iter().map(|(_, s)| s).collect();

    let enough = orders >= config.min_orders.max(1);
    let below_floor = quality_rate.is_some_and(|q| q < config.quality_floor);
    let t = &config.bands;
    let band = if !enough {
        Band::InsufficientData
    } else if below_floor {
        Band::Blocked
    } else if score >= t.excellent {
        Band::Excellent
    } else if score >= t.average {
        Band::Average
    } else if score >= t.warning {
        Band::Warning
    } else {
        Band::Blocked
    };
    if let Some(q) = quality_rate.filter(|_| below_floor) {
        reasons.push(format!("quality {} is below the {} floor", pct(q), pct(config.quality_floor)));
    }
    if band == Band::Blocked && !below_floor {
        reasons.push(format!("score {score:.1} is below the warning threshold {:.0}", t.warning));
    }
    if orders > 0 && promised.is_empty() {
        reasons.push("no order had a promised date, so on time and OTIF were not judged".to_string());
    }
    if price_index.is_none() && received > 0 {
        reasons.push("no accepted product had a contract offer, so price was not judged".to_string());
    }
    if !enough {
        reasons.push(format!("only {orders} settled orders; {} needed to assign a band", config.min_orders.max(1)));
    }

    Scorecard {
        supplier_id: supplier_id.to_string(),
        orders,
        promised_orders: promised.len(),
        late_orders: promised.len() - on_time,
        overdue_open_orders,
        lines: outcomes.iter().map(|o| o.lines).sum(),
        ordered_units: ordered,
        received_units: received,
        rejected_units: received - accepted,
        on_time_rate,
        in_full_rate: ratio(in_full, orders),
        otif_rate,
        fill_rate,
        quality_rate,
        price_index,
        lead_time_mean_days: mean,
        lead_time_std_days: std,
        lead_time_reliability: reliability,
        score,
        band,
        reasons,
    }
}

fn scorecards_with(
    records: &[&PurchaseRecord],
    best: &BTreeMap<&str, i64>,
    as_of: DateTime<Utc>,
    config: &ScorecardConfig,
) -> Vec<Scorecard> {
    let mut by_supplier: BTreeMap<&str, Vec<OrderOutcome>> = BTreeMap::new();
    for r in records {
        let entry = by_supplier.entry(r.supplier_id.as_str()).or_default();
        if let Some(o) = outcome(r, best, as_of, config.grace_days) {
            entry.push(o);
        }
    }
    by_supplier.into_iter().map(|(s, outcomes)| card(s, &outcomes, config)).collect()
}

/// One scorecard per supplier appearing in `records` (even if none of its orders counts), sorted by
/// supplier id, judged as of `as_of` against the best of `offers` per product.
pub fn scorecards(
    records: &[PurchaseRecord],
    offers: &[Offer],
    as_of: DateTime<Utc>,
    config: &ScorecardConfig,
) -> Vec<Scorecard> {
    let refs: Vec<&PurchaseRecord> = records.iter().collect();
    scorecards_with(&refs, &best_offers(offers), as_of, config)
}

/// First day of the period (Monday of the ISO week, or the 1st of the month) containing `date`.
pub fn period_start(date: NaiveDate, period: Period) -> NaiveDate {
    match period {
        Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
        Period::Month => date.with_day(1).unwrap_or(date),
    }
}

/// Scorecards per period for the `periods` periods ending with the one containing `as_of`, oldest
/// first (empty periods included). Orders are bucketed by their promised date, else their creation
/// date (UTC); each bucket is judged as of `as_of`, so a recent period shows only orders settled by
/// then.
pub fn trend(
    records: &[PurchaseRecord],
    offers: &[Offer],
    as_of: DateTime<Utc>,
    config: &ScorecardConfig,
    period: Period,
    periods: usize,
) -> Vec<TrendPeriod> {
    let best = best_offers(offers);
    let mut starts = Vec::with_capacity(periods);
    let mut start = period_start(as_of.date_naive(), period);
    for _ in 0..periods {
        starts.push(start);
        let previous = match period {
            Period::Week => start.checked_sub_days(Days::new(7)),
            Period::Month => start.checked_sub_months(Months::new(1)),
        };
        match previous {
            Some(p) => start = p,
            None => break,
        }
    }
    starts.reverse();
    let mut buckets: BTreeMap<NaiveDate, Vec<&PurchaseRecord>> = starts.iter().map(|s| (*s, Vec::new())).collect();
    for r in records {
        let date = r.promised_at.unwrap_or(r.created_at).date_naive();
        if let Some(b) = buckets.get_mut(&period_start(date, period)) {
            b.push(r);
        }
    }
    buckets
        .into_iter()
        .map(|(start, rs)| TrendPeriod { start, scorecards: scorecards_with(&rs, &best, as_of, config) })
        .collect()
}

#[cfg(test)]
mod tests;
