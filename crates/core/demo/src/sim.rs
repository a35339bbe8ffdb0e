//! The day-by-day simulation: demand, censored sales, shrink and (s, S)
//! replenishment at every site, with the online shop in `online`.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use retail_domain::{
    AllocationBasis, Charge, ChargeKind, Currency, GoodsReceipt, Movement, MovementKind, Product, PurchaseLine,
    PurchaseOrder, PurchaseOrderStatus, ReceiptLine,
};

use crate::calendar::{at, compact, hms, holiday_factor, online_factor, season_factor, weekday};
use crate::catalog::SUBS;
use crate::online::OnlineShop;
use crate::random::{Purpose, Rng, between, chance, index, lognormal, normal, poisson, stream, unit};
use crate::{DayBatch, DemoConfig, Hidden, SimulationStats, World};

/// Days past the end for which seasonality is tabulated, so replenishment can
/// plan ahead on the last days.
const LOOKAHEAD: usize = 60;

/// Demand scale: units per day of an SKU of popularity 1 in a 1,500 m² store.
const STORE_DEMAND: f64 = 0.13;

/// Days of demand a dry-goods order adds beyond the reorder point.
const COVER_DAYS: f64 = 10.0;

/// A price cut of `factor` (0.75 = 25% off) from `start` to `end` (exclusive).
pub(crate) struct Promo {
    start: usize,
    end: usize,
    factor: f64,
    /// Demand multiplier: elasticity plus the display and flyer effect.
    uplift: f64,
}

pub(crate) struct Terms {
    lead: f64,
    std: f64,
    min_order: i64,
    /// Share of PO lines delivered in full.
    fill: f64,
}

/// Everything fixed for the whole run, by SKU index.
pub(crate) struct Ctx<'a> {
    pub world: &'a World,
    pub hidden: &'a Hidden,
    pub days: usize,
    pub dates: Vec<NaiveDate>,
    pub sub: Vec<usize>,
    pub regular: Vec<i64>,
    pub cost: Vec<i64>,
    pub pack: Vec<i64>,
    pub shelf_life: Vec<Option<u32>>,
    pub supplier: Vec<usize>,
    pub terms: Vec<Terms>,
    /// Yearly season × festivals, by leaf category and day (with look-ahead).
    pub season: Vec<Vec<f64>>,
    pub promos: Vec<Vec<Promo>>,
    /// Online busyness by day (with look-ahead).
    pub online: Vec<f64>,
    /// The state the demo is a snapshot of: the end of the last day.
    pub snapshot: chrono::DateTime<chrono::Utc>,
}

impl Ctx<'_> {
    pub(crate) fn promo(&self, k: usize, d: usize) -> Option<&Promo> {
        self.promos[k].iter().find(|p| p.start <= d && d < p.end)
    }

    /// Expected demand multiplier of SKU `k` on day `d`, without the weekday.
    fn plan(&self, k: usize, d: usize) -> f64 {
        let d = d.min(self.days + LOOKAHEAD - 1);
        self.season[self.sub[k]][d] * self.promo(k, d).map_or(1.0, |p| p.uplift)
    }

    pub(crate) fn listed(&self, k: usize, d: usize) -> bool {
        let t = &self.hidden.skus[k];
        t.launch <= d && t.delist.is_none_or(|x| d < x)
    }
}

/// What is the same for every site on one day.
pub(crate) struct Today {
    pub d: usize,
    pub date: NaiveDate,
    pub ymd: String,
    pub compact: String,
    /// Price charged today (promotional or regular), by SKU.
    pub price: Vec<i64>,
    /// Store demand multiplier today (weekday × season × promotion; 0 before launch).
    pub mult: Vec<f64>,
}

pub(crate) struct Shelf {
    pub sku: usize,
    /// Expected units per day before today's multipliers (a forecast, online).
    pub base: f64,
    pub on_hand: i64,
    pub on_order: i64,
    /// Perishable stock as (expiry day, quantity), oldest first.
    batches: Vec<(usize, i64)>,
}

impl Shelf {
    fn new(sku: usize, base: f64) -> Self {
        Shelf { sku, base, on_hand: 0, on_order: 0, batches: Vec::new() }
    }

    pub(crate) fn add(&mut self, qty: i64, expiry: Option<usize>) {
        self.on_hand += qty;
        if let Some(e) = expiry {
            self.batches.push((e, qty));
        }
    }

    /// Takes `qty` off the shelf, oldest batch first.
    pub(crate) fn take(&mut self, mut qty: i64) {
        self.on_hand -= qty;
        while qty > 0 && !self.batches.is_empty() {
            let b = &mut self.batches[0];
            let n = b.1.min(qty);
            b.1 -= n;
            qty -= n;
            if b.1 == 0 {
                self.batches.remove(0);
            }
        }
    }
}

/// Goods on their way to a site.
struct Delivery {
    site: usize,
    /// The supplier (index).
    sup: usize,
    receipt_id: String,
    po_id: String,
    minute: u32,
    /// (shelf, ordered, received, unit cost)
    lines: Vec<(usize, i64, i64, i64)>,
}

/// A store or the online fulfilment point: its shelves and ordering habits.
pub(crate) struct Site {
    pub loc: String,
    pub rng: Rng,
    /// Draws for units refused at the dock and for delivery charges, apart
    /// from `rng` so that the stock and sales stay as they were.
    quality: Rng,
    pub shelves: Vec<Shelf>,
    /// Weekdays (bit 0 = Monday) on which each supplier's items are reviewed.
    review: Vec<u8>,
    /// Safety factor of the reorder point.
    z: f64,
}

impl Site {
    fn new(ctx: &Ctx, loc: String, rng: Rng, quality: Rng, shelves: Vec<Shelf>, z: f64, offset: usize) -> Self {
        let review = ctx
            .terms
            .iter()
            .enumerate()
            .map(
                |(s, t)| {
                    if t.lead <= 2.0 { 0x7f } else { (1u8 << ((offset + s) % 7)) | (1u8 << ((offset + s + 3) % 7)) }
                },
            )
            .collect();
        Site { loc, rng, quality, shelves, review, z }
    }

    /// The (s, S) levels for expected daily demand `mu` of the shelf's SKU.
    fn levels(&self, ctx: &Ctx, shelf: &Shelf, mu: f64) -> (i64, i64) {
        let k = shelf.sku;
        let t = &ctx.terms[ctx.supplier[k]];
        let review = if t.lead <= 2.0 { 1.0 } else { 3.5 };
        let p = t.lead + review;
        let sd = (mu * p + (mu * t.std).powi(2)).sqrt();
        match ctx.shelf_life[k] {
            // Fresh food runs lean, stocked for half its shelf life: a stock-out
            // costs less than a bin of waste.
            Some(life) => {
                let s = (mu * p + 0.5 * self.z * sd).ceil() as i64;
                (s, (s + 1).max((mu * (p + 0.5 * f64::from(life))).round() as i64))
            }
            None => {
                let s = (mu * p + self.z * sd).ceil() as i64;
                (s, s + ctx.pack[k].max((mu * COVER_DAYS).round() as i64))
            }
        }
    }

    /// Whether fresh food would mostly rot before `mu` a day sells a case of it.
    fn rots(ctx: &Ctx, k: usize, mu: f64) -> bool {
        rots(ctx.shelf_life[k], ctx.pack[k], mu)
    }

    /// Opening stock on the first day, as one adjustment per shelf.
    fn open(&mut self, ctx: &Ctx, today: &Today, out: &mut DayBatch, mu: impl Fn(&Shelf) -> f64) {
        for i in 0..self.shelves.len() {
            let k = self.shelves[i].sku;
            let m = mu(&self.shelves[i]);
            if !ctx.listed(k, 0) || Site::rots(ctx, k, m) {
                continue;
            }
            let (_, up_to) = self.levels(ctx, &self.shelves[i], m);
            let expiry = ctx.shelf_life[k].map(|l| (f64::from(l) * between(&mut self.rng, 0.5, 1.0)).ceil() as usize);
            self.shelves[i].add(up_to, expiry);
            out.movements.push(Movement {
                movement_id: Some(format!("init:{}:{}", self.loc, ctx.world.products[k].external_id)),
                location_id: self.loc.clone(),
                product_id: ctx.world.products[k].external_id.clone(),
                kind: MovementKind::Adjustment,
                quantity: up_to,
                to_location_id: None,
                unit_value_minor: Some(ctx.cost[k]),
                reference: Some("opening-stock".into()),
                occurred_at: at(today.date, hms(8, 0, 0)),
            });
        }
    }

    /// Writes off expired perishables and the odd damaged unit.
    fn shrink(&mut self, ctx: &Ctx, today: &Today, out: &mut DayBatch) {
        for shelf in &mut self.shelves {
            if ctx.shelf_life[shelf.sku].is_none() || shelf.on_hand == 0 {
                continue;
            }
            let expired: i64 = shelf.batches.iter().take_while(|b| b.0 <= today.d).map(|b| b.1).sum();
            let damaged = i64::from(shelf.on_hand > expired && chance(&mut self.rng, 0.002));
            let loss = expired + damaged;
            if loss == 0 {
                continue;
            }
            shelf.take(loss);
            let sku = &ctx.world.products[shelf.sku].external_id;
            out.movements.push(Movement {
                movement_id: Some(format!("shrink:{}:{sku}:{}", self.loc, today.ymd)),
                location_id: self.loc.clone(),
                product_id: sku.clone(),
                kind: MovementKind::Adjustment,
                quantity: -loss,
                to_location_id: None,
                unit_value_minor: Some(ctx.cost[shelf.sku]),
                reference: Some(if expired > 0 { "expired" } else { "damaged" }.into()),
                occurred_at: at(today.date, hms(23, 0, 0)),
            });
        }
    }

    /// End-of-day review: orders up to S for every shelf at or below s whose
    /// supplier is due today, one purchase order per supplier.
    fn review(
        &mut self,
        ctx: &Ctx,
        today: &Today,
        site: usize,
        pipeline: &mut BTreeMap<usize, Vec<Delivery>>,
        out: &mut DayBatch,
        mu: impl Fn(&Shelf) -> f64,
    ) {
        let wd = 1u8 << weekday(today.date);
        let mut lines: Vec<Vec<(usize, i64, bool)>> = vec![Vec::new(); ctx.terms.len()];
        for (i, shelf) in self.shelves.iter().enumerate() {
            let k = shelf.sku;
            let sup = ctx.supplier[k];
            if self.review[sup] & wd == 0 || !ctx.listed(k, today.d) {
                continue;
            }
            let m = mu(shelf);
            if Site::rots(ctx, k, m) {
                continue;
            }
            let (s, up_to) = self.levels(ctx, shelf, m);
            let position = shelf.on_hand + shelf.on_order;
            if position <= s {
                let pack = ctx.pack[k];
                // Whole cases: rounded up for dry goods, to the nearest for fresh food.
                let round = if ctx.shelf_life[k].is_some() { pack / 2 } else { pack - 1 };
                let qty = ((up_to - position + round) / pack).max(1) * pack;
                let urgent = position as f64 <= m * ctx.terms[sup].lead;
                lines[sup].push((i, qty, urgent));
            }
        }
        for (sup, lines) in lines.into_iter().enumerate() {
            if lines.is_empty() {
                continue;
            }
            let t = &ctx.terms[sup];
            let value: i64 = lines.iter().map(|(i, q, _)| q * ctx.cost[self.shelves[*i].sku]).sum();
            // Below the supplier's minimum, wait for more unless something runs out.
            if value < t.min_order && !lines.iter().any(|l| l.2) {
                continue;
            }
            let lead = (t.lead + t.std * normal(&mut self.rng)).round().max(1.0) as usize;
            let arrival = today.d + lead;
            let delivered = arrival < ctx.days;
            let supplier_id = &ctx.world.suppliers[sup].external_id;
            let po_id = format!("PO-{}-{supplier_id}-{}", self.loc, today.compact);
            let mut po_lines = Vec::with_capacity(lines.len());
            let mut d_lines = Vec::with_capacity(lines.len());
            for (i, qty, _) in lines {
                let k = self.shelves[i].sku;
                let received = if chance(&mut self.rng, t.fill) {
                    qty
                } else {
                    ((qty as f64) * between(&mut self.rng, 0.3, 0.9)).ceil() as i64
                };
                self.shelves[i].on_order += qty;
                po_lines.push(PurchaseLine {
                    product_id: ctx.world.products[k].external_id.clone(),
                    quantity: qty,
                    unit_cost_minor: ctx.cost[k],
                    received_quantity: if delivered { received } else { 0 },
                });
                d_lines.push((i, qty, received, ctx.cost[k]));
            }
            let status = match (delivered, today.d + 1 == ctx.days) {
                (true, _) => PurchaseOrderStatus::Received,
                (false, true) => PurchaseOrderStatus::Submitted,
                (false, false) => PurchaseOrderStatus::Confirmed,
            };
            out.purchase_orders.push(PurchaseOrder {
                external_id: po_id.clone(),
                supplier_id: supplier_id.clone(),
                location_id: self.loc.clone(),
                status,
                currency: Currency::cny(),
                lines: po_lines,
                created_at: at(today.date, hms(22, 30, 0)),
                expected_at: Some(at(today.date + Duration::days(t.lead.round().max(1.0) as i64), hms(8, 0, 0))),
            });
            if delivered {
                pipeline.entry(arrival).or_default().push(Delivery {
                    site,
                    sup,
                    receipt_id: format!("GR-{}-{supplier_id}-{}", self.loc, today.compact),
                    po_id,
                    minute: (sup % 30) as u32,
                    lines: d_lines,
                });
            }
        }
    }

    /// Puts today's deliveries on the shelves and records their goods receipts.
    fn receive(&mut self, ctx: &Ctx, today: &Today, deliveries: Vec<Delivery>, out: &mut DayBatch) {
        for del in deliveries {
            let mut lines = Vec::with_capacity(del.lines.len());
            let mut load = Load::default();
            for (i, ordered, received, cost) in del.lines {
                let shelf = &mut self.shelves[i];
                shelf.on_order -= ordered;
                let k = shelf.sku;
                shelf.add(received, ctx.shelf_life[k].map(|l| today.d + l as usize));
                let rejected = rejections(&mut self.quality, ctx, del.sup, k, received);
                load.add(ctx, k, received + rejected, cost);
                lines.push(ReceiptLine {
                    rejected_quantity: rejected,
                    product_id: ctx.world.products[k].external_id.clone(),
                    quantity: received,
                    unit_cost_minor: Some(cost),
                });
            }
            out.receipts.push(GoodsReceipt {
                charges: charges(&mut self.quality, ctx, del.sup, &load),
                external_id: del.receipt_id,
                purchase_order_id: Some(del.po_id),
                location_id: self.loc.clone(),
                lines,
                received_at: at(today.date, hms(8, del.minute, 0)),
            });
        }
    }
}

/// Expected share of delivered units refused at the dock, by supplier number
/// (1-based): a vegetable cooperative with poor grading and a seafood
/// wholesaler whose cold chain breaks, a homeware supplier whose ceramics
/// arrive chipped; everyone else only the odd damaged unit.
fn defect_rate(supplier: usize, shelf_life: Option<u32>, frozen: bool) -> f64 {
    let base = match (shelf_life, frozen) {
        (Some(l), _) if l <= 7 => 0.012,
        (Some(_), _) => 0.006,
        (None, true) => 0.005,
        (None, false) => 0.002,
    };
    base * match supplier {
        2 => 11.0,
        5 => 5.0,
        27 => 6.0,
        3 | 23 => 2.0,
        _ => 1.0,
    }
}

/// Units of SKU `k` delivered by supplier `sup` (index) on top of the
/// `accepted` ones and refused at the dock. Drawn from the site's quality
/// stream; a line either has none or a share around the supplier's rate.
fn rejections(rng: &mut Rng, ctx: &Ctx, sup: usize, k: usize, accepted: i64) -> i64 {
    let frozen = matches!(crate::catalog::SUBS[ctx.sub[k]].storage, crate::catalog::Storage::Frozen);
    let rate = defect_rate(sup + 1, ctx.shelf_life[k], frozen);
    let lines_hit = (6.0 * rate).min(0.7);
    let hit = chance(rng, lines_hit);
    let share = (rate / lines_hit * between(rng, 0.5, 1.5)).min(0.6);
    let x = accepted as f64 * share / (1.0 - share);
    let rounded_up = unit(rng) < x.fract();
    if !hit {
        return 0;
    }
    x.floor() as i64 + i64::from(rounded_up)
}

/// What arrived on one receipt (accepted and refused units): value, weight, volume, units.
#[derive(Default)]
struct Load {
    value: i64,
    kg: f64,
    m3: f64,
    units: i64,
}

impl Load {
    fn add(&mut self, ctx: &Ctx, k: usize, units: i64, cost: i64) {
        let p = &ctx.world.products[k];
        self.value += units * cost;
        self.kg += units as f64 * p.unit_weight_kg.unwrap_or(0.5);
        self.m3 += units as f64 * p.unit_volume_m3.unwrap_or(0.001);
        self.units += units;
    }
}

/// Importers' terms, by supplier number: freight basis and rate (fen per kg
/// or per m³), and the import duty on the goods' value.
const IMPORTERS: [(usize, AllocationBasis, f64, f64); 6] = [
    (3, AllocationBasis::Weight, 450.0, 0.10),
    (9, AllocationBasis::Weight, 520.0, 0.12),
    (16, AllocationBasis::Volume, 90_000.0, 0.12),
    (19, AllocationBasis::Weight, 280.0, 0.14),
    (22, AllocationBasis::Volume, 75_000.0, 0.12),
    (30, AllocationBasis::Volume, 110_000.0, 0.15),
];

/// Domestic suppliers that add a delivery fee per unit to small orders.
const SMALL_ORDER_FREIGHT: [usize; 3] = [6, 18, 27];

/// Landed-cost charges of a delivery from supplier `sup` (index): the
/// importers' freight (by weight or volume), duty and insurance (by value);
/// a few domestic suppliers' freight by units on orders under twice their
/// minimum. Amounts in fen.
fn charges(rng: &mut Rng, ctx: &Ctx, sup: usize, load: &Load) -> Vec<Charge> {
    let number = sup + 1;
    let noise = between(rng, 0.85, 1.15);
    if let Some(&(_, basis, rate, duty)) = IMPORTERS.iter().find(|i| i.0 == number) {
        let measure = if basis == AllocationBasis::Weight { load.kg } else { load.m3 };
        let value = load.value as f64;
        return vec![
            Charge {
                kind: ChargeKind::Freight,
                amount_minor: (measure * rate * noise).round().max(8000.0) as i64,
                basis,
            },
            Charge {
                kind: ChargeKind::Duty,
                amount_minor: (value * duty).round() as i64,
                basis: AllocationBasis::Value,
            },
            Charge {
                kind: ChargeKind::Insurance,
                amount_minor: (value * 0.003).round().max(500.0) as i64,
                basis: AllocationBasis::Value,
            },
        ];
    }
    if SMALL_ORDER_FREIGHT.contains(&number) && load.value < 2 * ctx.terms[sup].min_order {
        let fee = ((5000.0 + 40.0 * load.units as f64) * noise / 100.0).round() as i64 * 100;
        return vec![Charge { kind: ChargeKind::Freight, amount_minor: fee, basis: AllocationBasis::Quantity }];
    }
    Vec::new()
}

/// Chain-wide promotions per SKU: price cuts of one or two weeks every few
/// months, more of them in the weeks before 618 and Double 11.
fn promotions(seed: u64, dates: &[NaiveDate], sub: &[usize]) -> Vec<Vec<Promo>> {
    let mut rng = stream(seed, Purpose::Promotions, 0);
    const CUTS: [f64; 5] = [0.9, 0.85, 0.8, 0.75, 0.7];
    // Chain-wide festival weeks ending on 618 and on Double 11.
    let festivals: Vec<usize> = dates
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!((d.month(), d.day()), (6, 12) | (11, 5)))
        .map(|(i, _)| i)
        .collect();
    (0..sub.len())
        .map(|k| {
            let mut v: Vec<(usize, usize)> = Vec::new();
            let propensity = lognormal(&mut rng, 0.5);
            let mut t = (unit(&mut rng) * 60.0) as usize;
            while t < dates.len() {
                let len = if chance(&mut rng, 0.6) { 7 } else { 14 };
                v.push((t, t + len));
                t += len + (-(1.0 - unit(&mut rng)).ln() * 80.0 / propensity) as usize + 7;
            }
            for &f in &festivals {
                if chance(&mut rng, 0.25) {
                    v.push((f, f + 7));
                }
            }
            v.sort_unstable();
            let mut kept: Vec<Promo> = Vec::new();
            for (start, end) in v {
                if kept.last().is_some_and(|p| p.end > start) {
                    continue;
                }
                let factor = CUTS[index(&mut rng, CUTS.len())];
                let uplift = factor.powf(-SUBS[sub[k]].elasticity) * 1.25;
                kept.push(Promo { start, end, factor, uplift });
            }
            kept
        })
        .collect()
}

/// What each store lists: (SKU, expected units a day before the day's
/// multipliers) in SKU order, and the safety factor of its reorder points.
/// Stores carry the popular end of the catalogue, big stores most of it.
pub(crate) fn assortments(seed: u64, products: &[Product], hidden: &Hidden) -> Vec<(Vec<(usize, f64)>, f64)> {
    let mut rank: Vec<usize> = (0..hidden.skus.len()).collect();
    rank.sort_by(|a, b| hidden.skus[*a].popularity.total_cmp(&hidden.skus[*b].popularity).then(a.cmp(b)));
    let mut percentile = vec![0.0; rank.len()];
    for (r, k) in rank.iter().enumerate() {
        percentile[*k] = (r as f64 + 0.5) / rank.len() as f64;
    }
    hidden
        .stores
        .iter()
        .enumerate()
        .map(|(si, st)| {
            let mut pick = stream(seed, Purpose::Assortment, si as u64);
            let mut listed = Vec::new();
            for (k, pct) in percentile.iter().enumerate() {
                let base = hidden.skus[k].popularity * STORE_DEMAND * st.size_factor * lognormal(&mut pick, 0.35);
                // No store lists fresh food that mostly rots before it sells.
                let p = &products[k];
                if unit(&mut pick) < st.coverage + 0.5 * (pct - 0.5)
                    && !rots(p.shelf_life_days, i64::from(p.pack_size.max(1)), base)
                {
                    listed.push((k, base));
                }
            }
            (listed, between(&mut pick, 0.7, 1.5))
        })
        .collect()
}

/// Whether fresh food with `shelf_life` and cases of `pack` would mostly rot
/// before `mu` a day sells a case of it.
fn rots(shelf_life: Option<u32>, pack: i64, mu: f64) -> bool {
    shelf_life.is_some_and(|l| mu * f64::from(l) < 1.5 * pack as f64)
}

pub(crate) fn run(
    cfg: &DemoConfig,
    world: &World,
    hidden: &Hidden,
    mut sink: impl FnMut(DayBatch) -> bool,
) -> SimulationStats {
    let days = cfg.days;
    let first = cfg.first_day();
    let dates: Vec<NaiveDate> = (0..days + LOOKAHEAD).map(|i| first + Duration::days(i as i64)).collect();
    let supplier_index: HashMap<&str, usize> =
        world.suppliers.iter().enumerate().map(|(i, s)| (s.external_id.as_str(), i)).collect();
    let sub: Vec<usize> = hidden.skus.iter().map(|t| t.sub).collect();
    let ctx = Ctx {
        world,
        hidden,
        days,
        sub: sub.clone(),
        regular: world.products.iter().map(|p| p.price.amount_minor).collect(),
        cost: world.products.iter().map(|p| p.cost.amount_minor).collect(),
        pack: world.products.iter().map(|p| i64::from(p.pack_size.max(1))).collect(),
        shelf_life: world.products.iter().map(|p| p.shelf_life_days).collect(),
        supplier: world
            .products
            .iter()
            .map(|p| {
                p.supplier_id
                    .as_deref()
                    .and_then(|s| supplier_index.get(s).copied())
                    .expect("every product has a known supplier")
            })
            .collect(),
        terms: world
            .suppliers
            .iter()
            .enumerate()
            .map(|(i, s)| Terms {
                lead: s.lead_time_days.max(1.0),
                std: s.lead_time_std_days,
                min_order: s.min_order_minor,
                fill: 0.93 + 0.07 * ((i * 37 % 11) as f64 / 10.0),
            })
            .collect(),
        season: SUBS
            .iter()
            .map(|s| {
                dates
                    .iter()
                    .map(|d| season_factor(s.season.0, s.season.1, *d) * holiday_factor(s.holiday, *d))
                    .collect()
            })
            .collect(),
        promos: promotions(cfg.seed, &dates[..days], &sub),
        online: dates.iter().map(|d| online_factor(*d)).collect(),
        snapshot: at(dates[days - 1], hms(23, 59, 59)),
        dates,
    };

    let mut sites: Vec<Site> = assortments(cfg.seed, &world.products, hidden)
        .into_iter()
        .enumerate()
        .map(|(si, (listed, z))| {
            Site::new(
                &ctx,
                world.locations[hidden.store_locations[si]].external_id.clone(),
                stream(cfg.seed, Purpose::Store, si as u64),
                stream(cfg.seed, Purpose::Quality, si as u64),
                listed.into_iter().map(|(k, base)| Shelf::new(k, base)).collect(),
                z,
                si,
            )
        })
        .collect();
    let online_site = sites.len();
    let mut shop = OnlineShop::new(cfg, &ctx);
    sites.push(Site::new(
        &ctx,
        world.locations[hidden.online_location].external_id.clone(),
        stream(cfg.seed, Purpose::Online, 1),
        stream(cfg.seed, Purpose::Quality, online_site as u64),
        (0..ctx.sub.len()).map(|k| Shelf::new(k, shop.initial_forecast(k))).collect(),
        2.0,
        3,
    ));

    let mut pipeline: BTreeMap<usize, Vec<Delivery>> = BTreeMap::new();
    let mut stats = SimulationStats::default();
    for d in 0..days {
        let date = ctx.dates[d];
        let wd = weekday(date);
        let mut price = ctx.regular.clone();
        let mut mult = vec![0.0; ctx.sub.len()];
        for k in 0..ctx.sub.len() {
            let promo = ctx.promo(k, d);
            if let Some(p) = promo {
                price[k] = ((ctx.regular[k] as f64 * p.factor / 10.0).round() as i64 * 10).max(10);
            }
            if hidden.skus[k].launch <= d {
                let s = &SUBS[ctx.sub[k]];
                mult[k] = s.weekly.factor(wd) * ctx.season[ctx.sub[k]][d] * promo.map_or(1.0, |p| p.uplift);
            }
        }
        let today = Today { d, date, ymd: date.format("%Y-%m-%d").to_string(), compact: compact(date), price, mult };
        let mut out = DayBatch {
            date,
            movements: Vec::new(),
            orders: Vec::new(),
            events: Vec::new(),
            purchase_orders: Vec::new(),
            receipts: Vec::new(),
        };
        let arriving = pipeline.remove(&d).unwrap_or_default();
        let mut by_site: Vec<Vec<Delivery>> = (0..sites.len()).map(|_| Vec::new()).collect();
        for del in arriving {
            by_site[del.site].push(del);
        }
        for (si, site) in sites.iter_mut().enumerate() {
            if si == online_site {
                if d == 0 {
                    site.open(&ctx, &today, &mut out, |s| s.base);
                }
                site.receive(&ctx, &today, std::mem::take(&mut by_site[si]), &mut out);
                shop.day(&ctx, &today, site, &mut out);
                site.shrink(&ctx, &today, &mut out);
                let festival = |s: &Shelf| s.base * (ctx.online[d + 3] / ctx.online[d]).max(1.0);
                site.review(&ctx, &today, si, &mut pipeline, &mut out, festival);
            } else {
                // Seasons and promotions are planned: demand now or when the order arrives.
                let plan = |s: &Shelf| {
                    let lead = ctx.terms[ctx.supplier[s.sku]].lead.round() as usize;
                    s.base * ctx.plan(s.sku, d + 1).max(ctx.plan(s.sku, d + 1 + lead))
                };
                if d == 0 {
                    site.open(&ctx, &today, &mut out, plan);
                }
                site.receive(&ctx, &today, std::mem::take(&mut by_site[si]), &mut out);
                store_sales(&ctx, &today, site, &mut out);
                site.shrink(&ctx, &today, &mut out);
                site.review(&ctx, &today, si, &mut pipeline, &mut out, plan);
            }
        }
        stats.add(&out);
        if !sink(out) {
            break;
        }
    }
    stats
}

/// One store's sales today: Poisson demand, censored by what is on the shelf.
fn store_sales(ctx: &Ctx, today: &Today, site: &mut Site, out: &mut DayBatch) {
    let traffic = lognormal(&mut site.rng, 0.08);
    let when = at(today.date, hms(22, 0, 0));
    for shelf in &mut site.shelves {
        let k = shelf.sku;
        if shelf.on_hand == 0 || today.mult[k] == 0.0 {
            continue;
        }
        let demand = i64::from(poisson(&mut site.rng, shelf.base * today.mult[k] * traffic));
        let sold = demand.min(shelf.on_hand);
        if sold == 0 {
            continue;
        }
        shelf.take(sold);
        let sku = &ctx.world.products[k].external_id;
        out.movements.push(Movement {
            movement_id: Some(format!("sale:{}:{sku}:{}", site.loc, today.ymd)),
            location_id: site.loc.clone(),
            product_id: sku.clone(),
            kind: MovementKind::Sale,
            quantity: sold,
            to_location_id: None,
            unit_value_minor: Some(today.price[k]),
            reference: None,
            occurred_at: when,
        });
    }
}
