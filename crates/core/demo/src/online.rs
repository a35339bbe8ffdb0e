//! The online shop: customers arrive according to their habits, search, view,
//! click recommendation slots, fill carts from their tastes and from
//! complementary categories, and check out orders that then move through the
//! order lifecycle.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use retail_domain::{
    BehaviourEvent, Currency, EventKind, HomeDelivery, Movement, MovementKind, Order, OrderChannel, OrderLine,
    OrderStatus, Payment, Shipment,
};

use crate::calendar::{ONLINE_FACTOR_MAX, at, hms};
use crate::catalog::{SUBS, partners};
use crate::people::Shopper;
use crate::places::ONLINE_ID;
use crate::random::{Purpose, Rng, chance, index, poisson, stream, unit, weighted};
use crate::sim::{Ctx, Site, Today};
use crate::{DayBatch, DemoConfig};

const LAST_SECOND: u32 = hms(23, 59, 59);
/// Session starts per hour from 08:00 to 23:00: lunch break and the evening peak.
const HOURS: [f64; 16] = [2.0, 4.0, 5.0, 6.0, 6.0, 4.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9.0, 6.0, 2.0];
/// How many past purchases a shopper's "buy again" list remembers.
const MEMORY: usize = 15;
/// Share of sessions showing the home-page bestseller slot.
const HOME_SLOT: f64 = 0.15;
/// Share of purchase sessions showing the cart's "also bought" slot.
const CART_SLOT: f64 = 0.25;
/// Chance that a product page is opened before adding to the cart.
const OPEN_PAGE: f64 = 0.6;
/// Chance that an item from the complementary category joins the cart.
const COMPLEMENT: f64 = 0.6;
/// The two-hour delivery slots customers choose from (local start hours),
/// and how popular each is: evenings most.
const SLOTS: [(u32, f64); 6] = [(9, 0.12), (11, 0.14), (13, 0.12), (15, 0.14), (17, 0.22), (19, 0.26)];

/// Facts about the catalogue the shop looks up constantly.
struct Ware {
    by_sub: Vec<Vec<usize>>,
    /// Baseline attractiveness: popularity, flattened (online shoppers browse deeper).
    appeal: Vec<f64>,
    median_price: Vec<f64>,
    bestsellers: Vec<usize>,
    partner: Vec<Option<usize>>,
}

/// A return to be booked on a later day: (SKU, movement).
type Return = (usize, Movement);

pub(crate) struct OnlineShop {
    rng: Rng,
    /// The slots customers choose, apart from `rng` so every other draw stays as it was.
    slots: Rng,
    ware: Ware,
    /// Next candidate arrival (fractional day index) per customer.
    next: Vec<f64>,
    /// Customers whose next candidate arrival falls on each day.
    buckets: Vec<Vec<u32>>,
    memory: Vec<Vec<usize>>,
    /// Units customers tried to buy today, by SKU (demand before stock-outs).
    wanted: Vec<f64>,
    returns: BTreeMap<usize, Vec<Return>>,
    initial: Vec<f64>,
}

fn exp_gap(rng: &mut Rng, rate: f64) -> f64 {
    -(1.0 - unit(rng)).ln() / rate
}

impl OnlineShop {
    pub(crate) fn new(cfg: &DemoConfig, ctx: &Ctx) -> Self {
        let mut rng = stream(cfg.seed, Purpose::Online, 0);
        let n = ctx.sub.len();
        let mut by_sub = vec![Vec::new(); SUBS.len()];
        for (k, s) in ctx.sub.iter().enumerate() {
            by_sub[*s].push(k);
        }
        let appeal: Vec<f64> = ctx.hidden.skus.iter().map(|t| t.popularity.powf(0.6)).collect();
        let median_price = by_sub
            .iter()
            .map(|ks| {
                let mut p: Vec<i64> = ks.iter().map(|k| ctx.regular[*k]).collect();
                p.sort_unstable();
                p.get(p.len() / 2).map_or(1.0, |x| *x as f64)
            })
            .collect();
        let mut bestsellers: Vec<usize> = (0..n).collect();
        bestsellers
            .sort_by(|a, b| ctx.hidden.skus[*b].popularity.total_cmp(&ctx.hidden.skus[*a].popularity).then(a.cmp(b)));
        bestsellers.truncate(60);

        // Expected lines per day by leaf category, for the opening forecast.
        let mut sub_lines = vec![0.0; SUBS.len()];
        let mut next = vec![f64::INFINITY; ctx.hidden.shoppers.len()];
        let mut buckets = vec![Vec::new(); ctx.days];
        for (c, s) in ctx.hidden.shoppers.iter().enumerate() {
            for (sub, w) in &s.affinity {
                sub_lines[*sub] += s.sessions_per_day * s.purchase_share * s.basket * w;
            }
            if s.sessions_per_day > 0.0 {
                let t = s.first_day as f64 + exp_gap(&mut rng, s.sessions_per_day * ONLINE_FACTOR_MAX);
                next[c] = t;
                if (t as usize) < ctx.days {
                    buckets[t as usize].push(c as u32);
                }
            }
        }
        let initial = (0..n)
            .map(|k| {
                let total: f64 = by_sub[ctx.sub[k]].iter().map(|j| appeal[*j]).sum();
                1.4 * sub_lines[ctx.sub[k]] * appeal[k] / total
            })
            .collect();
        OnlineShop {
            rng,
            slots: stream(cfg.seed, Purpose::Slots, 0),
            ware: Ware { by_sub, appeal, median_price, bestsellers, partner: partners() },
            next,
            buckets,
            memory: vec![Vec::new(); ctx.hidden.shoppers.len()],
            wanted: vec![0.0; n],
            returns: BTreeMap::new(),
            initial,
        }
    }

    /// Opening demand forecast of the fulfilment point, units per day.
    pub(crate) fn initial_forecast(&self, k: usize) -> f64 {
        self.initial[k]
    }

    /// One day of the shop: sessions in time order, returns, then the forecast update.
    pub(crate) fn day(&mut self, ctx: &Ctx, today: &Today, site: &mut Site, out: &mut DayBatch) {
        let d = today.d;
        let accept = ctx.online[d] / ONLINE_FACTOR_MAX;
        let mut sessions: Vec<(u32, u32)> = Vec::new();
        for c in std::mem::take(&mut self.buckets[d]) {
            let rate = ctx.hidden.shoppers[c as usize].sessions_per_day * ONLINE_FACTOR_MAX;
            let mut t = self.next[c as usize];
            while t as usize == d {
                if chance(&mut self.rng, accept) {
                    let hour = 8 + weighted(&mut self.rng, &HOURS) as u32;
                    let start = (hour * 3600 + index(&mut self.rng, 3600) as u32).max(hms(8, 30, 0));
                    sessions.push((start, c));
                }
                t += exp_gap(&mut self.rng, rate);
            }
            self.next[c as usize] = t;
            if (t as usize) < ctx.days {
                self.buckets[t as usize].push(c);
            }
        }
        sessions.sort_unstable();
        // Log price relative to the category median, for price-sensitive choice.
        let log_price: Vec<f64> =
            (0..ctx.sub.len()).map(|k| (today.price[k] as f64 / self.ware.median_price[ctx.sub[k]]).ln()).collect();
        for (seq, (start, c)) in sessions.into_iter().enumerate() {
            let c = c as usize;
            let s = Session {
                ctx,
                today,
                ware: &self.ware,
                log_price: &log_price,
                shopper: &ctx.hidden.shoppers[c],
                customer: &ctx.world.customers[c].external_id,
                home: ctx.hidden.homes[c],
                rng: &mut self.rng,
                slots: &mut self.slots,
                wanted: &mut self.wanted,
                site: &mut *site,
                sid: format!("ss-{}-{:06}", today.compact, seq + 1),
                t: start,
                n: 0,
                events: &mut out.events,
            };
            let order_no = out.orders.len() + 1;
            if let Some(order) = s.run(&mut self.memory[c], order_no, &mut out.movements, &mut self.returns) {
                out.orders.push(order);
            }
        }
        // Returned goods go back on the shelf after today's orders (never earlier
        // than the ledger says, so sales can never exceed stock); returned fresh
        // food is written off the next day.
        for (k, m) in self.returns.remove(&d).unwrap_or_default() {
            site.shelves[k].add(m.quantity, ctx.shelf_life[k].map(|_| d + 1));
            out.movements.push(m);
        }
        for shelf in &mut site.shelves {
            shelf.base = 0.85 * shelf.base + 0.15 * self.wanted[shelf.sku];
            self.wanted[shelf.sku] = 0.0;
        }
    }
}

/// How an order reaches the customer.
enum Delivery {
    Express,
    NextDay,
    Courier,
}

/// One visit of one customer.
struct Session<'a> {
    ctx: &'a Ctx<'a>,
    today: &'a Today,
    ware: &'a Ware,
    log_price: &'a [f64],
    shopper: &'a Shopper,
    customer: &'a str,
    /// Where the customer lives (lat, lon).
    home: (f64, f64),
    rng: &'a mut Rng,
    slots: &'a mut Rng,
    wanted: &'a mut [f64],
    site: &'a mut Site,
    sid: String,
    /// Local clock, seconds since midnight.
    t: u32,
    n: u32,
    events: &'a mut Vec<BehaviourEvent>,
}

impl Session<'_> {
    fn event(&mut self, kind: EventKind, product: Option<usize>) -> &mut BehaviourEvent {
        self.t = (self.t + 5 + index(self.rng, 55) as u32).min(LAST_SECOND);
        self.n += 1;
        self.events.push(BehaviourEvent {
            event_id: Some(format!("{}:{}", self.sid, self.n)),
            customer_id: Some(self.customer.to_string()),
            session_id: Some(self.sid.clone()),
            product_id: product.map(|k| self.ctx.world.products[k].external_id.clone()),
            location_id: Some(ONLINE_ID.into()),
            ..BehaviourEvent::new(kind, at(self.today.date, self.t))
        });
        self.events.last_mut().expect("just pushed")
    }

    fn affinity(&self, sub: usize) -> f64 {
        self.shopper.affinity.iter().find(|(s, _)| *s == sub).map_or(0.0, |(_, w)| *w)
    }

    /// A leaf category drawn from taste, shifted by today's season.
    fn pick_sub(&mut self) -> usize {
        let w: Vec<f64> = self.shopper.affinity.iter().map(|(s, a)| a * self.ctx.season[*s][self.today.d]).collect();
        self.shopper.affinity[weighted(self.rng, &w)].0
    }

    /// A product of `sub`: the favourite brand for the loyal, cheap and
    /// promoted items for the price-sensitive.
    fn pick_item(&mut self, sub: usize) -> Option<usize> {
        let fav = self.shopper.affinity.iter().position(|(s, _)| *s == sub).map(|i| self.shopper.favourite[i]);
        let loyal = fav.filter(|_| chance(self.rng, self.shopper.loyalty));
        let ps = self.shopper.price_sensitivity;
        let cands = &self.ware.by_sub[sub];
        let weights = |brand: Option<usize>| -> Vec<f64> {
            cands
                .iter()
                .map(|&k| {
                    if !self.ctx.listed(k, self.today.d) || brand.is_some_and(|b| self.ctx.hidden.skus[k].brand != b) {
                        return 0.0;
                    }
                    let promo = if self.today.price[k] < self.ctx.regular[k] { 1.0 + 2.0 * ps } else { 1.0 };
                    self.ware.appeal[k] * (-1.2 * ps * self.log_price[k]).exp() * promo
                })
                .collect()
        };
        let mut w = weights(loyal);
        if w.iter().all(|x| *x == 0.0) {
            w = weights(None);
        }
        (!w.iter().all(|x| *x == 0.0)).then(|| cands[weighted(self.rng, &w)])
    }

    fn quantity(&mut self, k: usize) -> i64 {
        let mut q = 1 + i64::from(poisson(self.rng, 0.3));
        if self.today.price[k] < 600 {
            q += i64::from(poisson(self.rng, 1.0));
        }
        if self.today.price[k] < self.ctx.regular[k] {
            q += i64::from(poisson(self.rng, 0.4));
        }
        q
    }

    /// Adds `k` to the cart when in stock; the wish counts toward the forecast either way.
    fn try_add(&mut self, k: usize, cart: &mut Vec<(usize, i64)>) {
        if cart.iter().any(|(j, _)| *j == k) {
            return;
        }
        let qty = self.quantity(k);
        self.wanted[k] += qty as f64;
        if self.site.shelves[k].on_hand >= qty {
            let value = qty * self.today.price[k];
            let e = self.event(EventKind::AddToCart, Some(k));
            e.quantity = Some(qty);
            e.value_minor = Some(value);
            cart.push((k, qty));
        }
    }

    /// Looks at `k` (often straight from the list, without opening the
    /// product page) and adds it to the cart.
    fn consider(&mut self, k: usize, cart: &mut Vec<(usize, i64)>) {
        if chance(self.rng, OPEN_PAGE) {
            self.event(EventKind::View, Some(k));
        }
        self.try_add(k, cart);
    }

    /// A recommendation slot from the legacy recommender: impressions, and
    /// perhaps a click on what matches the shopper's taste.
    fn slot(&mut self, strategy: &str, items: &[usize]) -> Option<usize> {
        let request = format!("{}:rq{}", self.sid, self.n + 1);
        for (pos, &k) in items.iter().enumerate() {
            let e = self.event(EventKind::Impression, Some(k));
            e.position = Some(pos as u32);
            e.strategy = Some(strategy.into());
            e.request_id = Some(request.clone());
        }
        for (pos, &k) in items.iter().enumerate() {
            if chance(self.rng, 0.03 + 0.6 * self.affinity(self.ctx.sub[k])) {
                let e = self.event(EventKind::Click, Some(k));
                e.position = Some(pos as u32);
                e.strategy = Some(strategy.into());
                e.request_id = Some(request);
                self.event(EventKind::View, Some(k));
                return Some(k);
            }
        }
        None
    }

    /// Up to `n` distinct listed items drawn from `pool`.
    fn sample(&mut self, pool: &[usize], n: usize) -> Vec<usize> {
        let mut listed: Vec<usize> = pool.iter().copied().filter(|k| self.ctx.listed(*k, self.today.d)).collect();
        let n = n.min(listed.len());
        for i in 0..n {
            let j = i + index(self.rng, listed.len() - i);
            listed.swap(i, j);
        }
        listed.truncate(n);
        listed
    }

    fn search(&mut self, sub: usize) {
        let queries = SUBS[sub].queries;
        let q = queries[index(self.rng, queries.len())];
        self.event(EventKind::Search, None).query = Some(q.into());
    }

    /// Runs the visit; returns the order if it ended in one.
    fn run(
        mut self,
        memory: &mut Vec<usize>,
        order_no: usize,
        movements: &mut Vec<Movement>,
        returns: &mut BTreeMap<usize, Vec<Return>>,
    ) -> Option<Order> {
        let buying = chance(self.rng, self.shopper.purchase_share);
        let mut cart: Vec<(usize, i64)> = Vec::new();
        if chance(self.rng, HOME_SLOT) {
            let items = self.sample(&self.ware.bestsellers, 6);
            let clicked = self.slot("legacy_bestsellers", &items);
            if let Some(k) = clicked.filter(|_| buying && chance(self.rng, 0.5)) {
                self.try_add(k, &mut cart);
            }
        }
        if !buying {
            for _ in 0..1 + index(self.rng, 2) {
                let sub = self.pick_sub();
                if chance(self.rng, 0.5) {
                    self.search(sub);
                }
                for _ in 0..1 + index(self.rng, 3) {
                    if let Some(k) = self.pick_item(sub) {
                        self.event(EventKind::View, Some(k));
                        if chance(self.rng, 0.08) {
                            self.try_add(k, &mut cart);
                        }
                    }
                }
            }
            return None;
        }
        let target = 1 + poisson(self.rng, self.shopper.basket - 1.0) as usize;
        let mut attempts = 0;
        while cart.len() < target && attempts < 3 * target {
            attempts += 1;
            if !memory.is_empty() && chance(self.rng, 0.35) {
                // "Buy again": straight from the order history to the cart.
                let k = memory[index(self.rng, memory.len())];
                if self.ctx.listed(k, self.today.d) {
                    self.try_add(k, &mut cart);
                }
                continue;
            }
            let sub = self.pick_sub();
            if chance(self.rng, 0.35) {
                self.search(sub);
            }
            if let Some(k) = self.pick_item(sub) {
                self.consider(k, &mut cart);
            }
            let partner = self.ware.partner[sub].filter(|_| chance(self.rng, COMPLEMENT));
            if let Some(k) = partner.and_then(|p| self.pick_item(p)) {
                self.consider(k, &mut cart);
            }
        }
        let slot_for = cart.first().map(|c| c.0).filter(|_| chance(self.rng, CART_SLOT));
        if let Some(first) = slot_for {
            let sub = self.ctx.sub[first];
            let pool = &self.ware.by_sub[self.ware.partner[sub].unwrap_or(sub)];
            let items = self.sample(pool, 4);
            let clicked = self.slot("legacy_also_bought", &items);
            if let Some(k) = clicked.filter(|_| chance(self.rng, 0.5)) {
                self.try_add(k, &mut cart);
            }
        }
        // Some carts lose an item on the way to checkout.
        if cart.len() > 1 && chance(self.rng, 0.1) {
            let i = index(self.rng, cart.len());
            cart.remove(i);
        }
        if cart.is_empty() {
            return None;
        }
        Some(self.checkout(cart, memory, order_no, movements, returns))
    }

    /// A two-hour slot on `date` drawn from the customer's preferences.
    fn chosen_slot(&mut self, date: NaiveDate) -> HomeDelivery {
        let h = SLOTS[weighted(self.slots, &SLOTS.map(|s| s.1))].0;
        let start = at(date, hms(h, 0, 0));
        HomeDelivery { lat: self.home.0, lon: self.home.1, slot_start: start, slot_end: start + Duration::hours(2) }
    }

    /// The two-hour slot (starting at an odd local hour) `delivered` fell in.
    fn slot_around(&self, delivered: DateTime<Utc>) -> HomeDelivery {
        let local = delivered + Duration::hours(8);
        let mut start = delivered - Duration::seconds(i64::from(local.minute() * 60 + local.second()));
        if local.hour().is_multiple_of(2) {
            start -= Duration::hours(1);
        }
        HomeDelivery { lat: self.home.0, lon: self.home.1, slot_start: start, slot_end: start + Duration::hours(2) }
    }

    fn checkout(
        &mut self,
        cart: Vec<(usize, i64)>,
        memory: &mut Vec<usize>,
        order_no: usize,
        movements: &mut Vec<Movement>,
        returns: &mut BTreeMap<usize, Vec<Return>>,
    ) -> Order {
        let ctx = self.ctx;
        let order_id = format!("O-{}-{order_no:05}", self.today.compact);
        self.t = (self.t + 20).min(LAST_SECOND);
        let placed_t = self.t;
        let placed = at(self.today.date, placed_t);
        let cancelled = chance(self.rng, 0.03);
        let mut lines: Vec<OrderLine> = cart
            .iter()
            .map(|&(k, q)| OrderLine {
                product_id: ctx.world.products[k].external_id.clone(),
                quantity: q,
                unit_price_minor: self.today.price[k],
                discount_minor: 0,
            })
            .collect();
        if chance(self.rng, 0.1) {
            // A coupon on the biggest line.
            let (i, top) =
                lines.iter().enumerate().max_by_key(|(i, l)| (l.total_minor(), usize::MAX - i)).expect("lines");
            let coupon = [500, 1000, 2000][index(self.rng, 3)];
            let d = coupon.min(top.total_minor() / 2);
            lines[i].discount_minor = d;
        }
        if !cancelled {
            for (i, &(k, q)) in cart.iter().enumerate() {
                self.site.shelves[k].take(q);
                let e = self.event(EventKind::Purchase, Some(k));
                e.quantity = Some(q);
                e.value_minor = Some(lines[i].total_minor());
                movements.push(Movement {
                    movement_id: Some(format!("osale:{order_id}:{i}")),
                    location_id: ONLINE_ID.into(),
                    product_id: lines[i].product_id.clone(),
                    kind: MovementKind::Sale,
                    quantity: q,
                    to_location_id: None,
                    unit_value_minor: Some(lines[i].unit_price_minor),
                    reference: Some(order_id.clone()),
                    occurred_at: placed,
                });
                if SUBS[ctx.sub[k]].consumable && !memory.contains(&k) {
                    if memory.len() == MEMORY {
                        memory.remove(0);
                    }
                    memory.push(k);
                }
            }
        }
        let mut order = Order {
            delivery: None,
            external_id: order_id.clone(),
            customer_id: Some(self.customer.to_string()),
            channel: OrderChannel::Online,
            location_id: ONLINE_ID.into(),
            status: OrderStatus::Placed,
            currency: Currency::cny(),
            lines,
            payments: Vec::new(),
            shipments: Vec::new(),
            delivery_address: Some(self.shopper.address.clone()),
            placed_at: placed,
            updated_at: None,
        };
        let snapshot = ctx.snapshot;
        let secs = |rng: &mut Rng, lo: i64, hi: i64| Duration::seconds(lo + index(rng, (hi - lo) as usize) as i64);
        let reach = |status: OrderStatus, when: DateTime<Utc>, order: &mut Order| {
            let reached = when <= snapshot;
            if reached {
                order.status = status;
                order.updated_at = Some(when);
            }
            reached
        };
        // Open orders (and unpaid ones) have the slot the customer chose,
        // on the next day; the others the slot their delivery fell in.
        let next_day = self.today.date + Duration::days(1);
        if cancelled {
            // Unpaid orders are cancelled automatically after 15 minutes.
            reach(OrderStatus::Cancelled, placed + secs(self.rng, 900, 1000), &mut order);
            order.delivery = Some(self.chosen_slot(next_day));
            return order;
        }
        let paid = placed + secs(self.rng, 20, 180);
        if reach(OrderStatus::Paid, paid, &mut order) {
            const METHODS: [(&str, f64); 4] =
                [("wechat_pay", 0.55), ("alipay", 0.35), ("card", 0.07), ("gift_card", 0.03)];
            let m = weighted(self.rng, &METHODS.map(|m| m.1));
            order.payments.push(Payment {
                method: METHODS[m].0.into(),
                amount_minor: order.total_minor(),
                paid_at: paid,
                reference: Some(format!("PAY{}{order_no:05}", self.today.compact)),
            });
        }
        let picked = paid + secs(self.rng, 15 * 60, 60 * 60);
        reach(OrderStatus::Picked, picked, &mut order);
        // 1-hour express until 21:30 by rider, next-day slots by the own fleet,
        // and parcels handed to a courier in the evening for far addresses.
        let mode = match unit(self.rng) {
            x if x < 0.55 && placed_t <= hms(21, 30, 0) => Delivery::Express,
            x if x < 0.85 => Delivery::NextDay,
            _ => Delivery::Courier,
        };
        let tomorrow = self.today.date + Duration::days(1);
        let (shipped, delivered) = match mode {
            Delivery::Express => {
                let s = picked + secs(self.rng, 5 * 60, 20 * 60);
                (s, s + secs(self.rng, 20 * 60, 70 * 60))
            }
            Delivery::NextDay => {
                let s = at(tomorrow, hms(8, 30, 0)) + secs(self.rng, 0, 9000);
                (s, s + secs(self.rng, 3600, 5 * 3600))
            }
            Delivery::Courier => {
                let evening = at(self.today.date, hms(19, 0, 0));
                let s = if picked < evening { evening } else { at(tomorrow, hms(19, 0, 0)) } + secs(self.rng, 0, 7200);
                (s, s + secs(self.rng, 14 * 3600, 20 * 3600))
            }
        };
        if reach(OrderStatus::Shipped, shipped, &mut order) {
            let (carrier, prefix) = match mode {
                Delivery::Express => ("dada", "DD"),
                Delivery::NextDay => ("own_fleet", "FP"),
                Delivery::Courier => ("sf_express", "SF"),
            };
            order.shipments.push(Shipment {
                carrier: carrier.into(),
                tracking_no: format!("{prefix}{}{order_no:06}", self.today.compact),
                shipped_at: shipped,
                delivered_at: (delivered <= snapshot).then_some(delivered),
            });
        }
        reach(OrderStatus::Delivered, delivered, &mut order);
        order.delivery =
            Some(if matches!(order.status, OrderStatus::Placed | OrderStatus::Paid | OrderStatus::Picked) {
                // Still to be delivered at the snapshot: tomorrow, in the chosen slot.
                self.chosen_slot(next_day.max(ctx.dates[ctx.days]))
            } else {
                self.slot_around(delivered)
            });
        if chance(self.rng, 0.02) {
            let local_date = (delivered + Duration::hours(8)).date_naive();
            let back = local_date + Duration::days(1 + index(self.rng, 7) as i64);
            let back_at = at(back, hms(10, 0, 0) + index(self.rng, 10 * 3600) as u32);
            let day = (back - ctx.dates[0]).num_days() as usize;
            if reach(OrderStatus::Returned, back_at, &mut order) {
                let list = returns.entry(day).or_default();
                for (i, &(k, q)) in cart.iter().enumerate() {
                    list.push((
                        k,
                        Movement {
                            movement_id: Some(format!("oret:{order_id}:{i}")),
                            location_id: ONLINE_ID.into(),
                            product_id: order.lines[i].product_id.clone(),
                            kind: MovementKind::Return,
                            quantity: q,
                            to_location_id: None,
                            unit_value_minor: Some(order.lines[i].unit_price_minor),
                            reference: Some(order_id.clone()),
                            occurred_at: back_at,
                        },
                    ));
                }
            }
        }
        order
    }
}
