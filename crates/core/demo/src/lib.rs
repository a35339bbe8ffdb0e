//! Deterministic generator of the demo retail world: a supermarket chain in
//! Shanghai with a distribution centre, stores, an online shop, a bilingual
//! catalogue, customers with hidden tastes, a customer-service knowledge base,
//! and two years of store sales, replenishment, online orders and behaviour.
//!
//! Pure: no I/O, no threads, no clock. The calendar ends on a fixed day and
//! every random draw comes from seeded ChaCha8 streams, so the same
//! [`DemoConfig`] always yields byte-identical data.
//!
//! Statuses of orders and purchase orders describe the end of the last day
//! (the demo is a snapshot), while each record is handed out on the day it
//! was created, so a loader can replay history in date order.
//!
//! Conventions a loader can rely on:
//! - Times are UTC instants of Shanghai local times between 08:00 and 23:59,
//!   so every record falls on its batch's date in UTC as well: receipts and
//!   opening stock at 08:00, online activity from 08:30, store sales at 22:00
//!   (one aggregated row per store, SKU and day), shrink at 23:00.
//! - Movement ids: `init:{location}:{sku}`, `sale:{store}:{sku}:{date}`,
//!   `shrink:{location}:{sku}:{date}`, `osale:{order}:{line}` and
//!   `oret:{order}:{line}` (online sales and returns reference the order).
//! - Other ids: orders `O-{yyyymmdd}-{n}`, purchase orders
//!   `PO-{location}-{supplier}-{yyyymmdd}` with receipts `GR-…` of the same
//!   shape, sessions `ss-{yyyymmdd}-{n}` with events `{session}:{n}`,
//!   contracts `CT-{supplier}-{sku}` (expired ones `…-{yyyy}`), vehicles
//!   `{depot}-{model}-{nn}`, transfer orders `TO-{store}-{yyyymmdd}-{n}`.
//! - Supply chain: every product has a unit weight and volume; receipt lines
//!   may carry units refused at the dock (`rejected_quantity`, delivered on
//!   top of the accepted `quantity`, which alone goes into stock); receipts
//!   from the importers carry freight, duty and insurance charges, and a few
//!   domestic suppliers charge freight on small orders.
//! - Every online order has a home delivery: the customer's fixed address
//!   point (3–25 km from `ONLINE`) and a two-hour slot. Orders still open at
//!   the end of the last day (placed, paid or picked) have their slot
//!   tomorrow between 09:00 and 21:00 local; the others the slot their
//!   delivery falls in. With [`World::vehicles`] and
//!   [`World::transfer_orders`] that is tomorrow's delivery planning.
//! - [`world_truth`] exposes the hidden customer tastes and the planted
//!   complementary categories ([`COMPLEMENTS`]) for evaluating models.

mod calendar;
mod catalog;
mod contracts;
mod kb;
mod logistics;
mod online;
mod people;
mod physical;
mod places;
mod products;
mod random;
mod sim;
mod suppliers;

use chrono::{Duration, NaiveDate};
use retail_domain::{
    BehaviourEvent, Category, Contract, Customer, GoodsReceipt, KbArticle, Location, Movement, MovementKind, Order,
    Product, PurchaseOrder, Supplier, TransferOrder, Vehicle,
};

pub use catalog::COMPLEMENTS;
pub use people::TasteProfile;

/// Size and seed of the demo world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub stores: usize,
    pub skus: usize,
    pub customers: usize,
    /// Simulated days, ending on [`DemoConfig::last_day`].
    pub days: usize,
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig { stores: 20, skus: 2000, customers: 20_000, days: 730, seed: 42 }
    }
}

impl DemoConfig {
    /// Checks the bounds the generator is built for.
    pub fn validate(&self) -> Result<(), String> {
        let check = |name: &str, value: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&value) {
                Ok(())
            } else {
                Err(format!("{name} must be between {lo} and {hi}, got {value}"))
            }
        };
        check("stores", self.stores, 1, 500)?;
        check("skus", self.skus, 10, 100_000)?;
        check("customers", self.customers, 0, 2_000_000)?;
        check("days", self.days, 7, 3660)
    }

    /// The last simulated day. Fixed, so the demo never depends on today's date.
    pub fn last_day(&self) -> NaiveDate {
        calendar::LAST_DAY
    }

    pub fn first_day(&self) -> NaiveDate {
        calendar::LAST_DAY - Duration::days(self.days as i64 - 1)
    }
}

/// The master data of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    /// `DC01`, the stores `S001`…, then `ONLINE`.
    pub locations: Vec<Location>,
    /// Roots first, then leaves.
    pub categories: Vec<Category>,
    pub suppliers: Vec<Supplier>,
    /// Every product with its shipping weight and volume per unit.
    pub products: Vec<Product>,
    pub customers: Vec<Customer>,
    pub kb_articles: Vec<KbArticle>,
    /// Supplier terms, by product: the current contract with the product's
    /// own supplier (`CT-{supplier}-{sku}`, at its cost, valid from about a
    /// year before the last day), for about 5% of products the expired one
    /// before it (`CT-{supplier}-{sku}-{year}`, at the old price), and for
    /// about 40% a competing offer from another supplier of the category
    /// (6% cheaper to 12% dearer), for the price index against the best offer.
    pub contracts: Vec<Contract>,
    /// The DC's trucks for store deliveries (`DC01-T8-01`…, `DC01-T45-01`…),
    /// then the online fulfilment point's vans for home deliveries (`ONLINE-VAN-01`…).
    pub vehicles: Vec<Vehicle>,
    /// Tomorrow's (the day after [`DemoConfig::last_day`]) open transfer
    /// orders from `DC01` to every store, `TO-{store}-{yyyymmdd}-{n}`, with the
    /// stores' receiving windows; created on the last afternoon.
    pub transfer_orders: Vec<TransferOrder>,
}

/// Everything that happened on one day, in the order a loader should store it:
/// purchase orders before the receipts that reference earlier ones.
#[derive(Debug, Clone, PartialEq)]
pub struct DayBatch {
    pub date: NaiveDate,
    /// Opening stock, store and online sales, online returns and shrink. Goods
    /// receipts are not repeated here: storing a receipt records them.
    pub movements: Vec<Movement>,
    pub orders: Vec<Order>,
    pub events: Vec<BehaviourEvent>,
    pub purchase_orders: Vec<PurchaseOrder>,
    pub receipts: Vec<GoodsReceipt>,
}

/// Row counts of a simulation run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimulationStats {
    pub days: usize,
    pub movements: usize,
    pub sale_movements: usize,
    pub orders: usize,
    pub order_lines: usize,
    pub events: usize,
    pub purchase_orders: usize,
    pub receipts: usize,
    pub receipt_lines: usize,
    /// Receipt lines with units refused at the dock, and those units.
    pub rejected_lines: usize,
    pub rejected_units: usize,
    /// Receipts carrying landed-cost charges (freight, duty, insurance).
    pub receipts_with_charges: usize,
    /// Orders with a home delivery (address and slot).
    pub home_deliveries: usize,
}

impl SimulationStats {
    fn add(&mut self, b: &DayBatch) {
        self.days += 1;
        self.movements += b.movements.len();
        self.sale_movements += b.movements.iter().filter(|m| m.kind == MovementKind::Sale).count();
        self.orders += b.orders.len();
        self.order_lines += b.orders.iter().map(|o| o.lines.len()).sum::<usize>();
        self.events += b.events.len();
        self.purchase_orders += b.purchase_orders.len();
        self.receipts += b.receipts.len();
        self.receipt_lines += b.receipts.iter().map(|r| r.lines.len()).sum::<usize>();
        let rejected = b.receipts.iter().flat_map(|r| &r.lines).filter(|l| l.rejected_quantity > 0);
        self.rejected_lines += rejected.clone().count();
        self.rejected_units += rejected.map(|l| l.rejected_quantity as usize).sum::<usize>();
        self.receipts_with_charges += b.receipts.iter().filter(|r| !r.charges.is_empty()).count();
        self.home_deliveries += b.orders.iter().filter(|o| o.delivery.is_some()).count();
    }
}

/// The ground truth behind the data, for tests and for judging what models
/// learn from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// One per customer, in the order of [`World::customers`].
    pub tastes: Vec<TasteProfile>,
    /// Leaf category pairs planted as bought together.
    pub complements: Vec<(String, String)>,
}

/// Hidden parameters the simulation runs on.
pub(crate) struct Hidden {
    skus: Vec<products::SkuTruth>,
    stores: Vec<places::StoreTruth>,
    store_locations: Vec<usize>,
    online_location: usize,
    shoppers: Vec<people::Shopper>,
    /// Where each customer lives (lat, lon), in customer order.
    homes: Vec<(f64, f64)>,
}

fn generate(cfg: &DemoConfig) -> (World, Hidden) {
    if let Err(e) = cfg.validate() {
        panic!("invalid demo config: {e}");
    }
    let places = places::build(cfg.seed, cfg.stores);
    let (products, skus) = products::build(cfg.seed, cfg.skus, cfg.days);
    let (customers, shoppers) = people::build(cfg.seed, cfg.customers, cfg.first_day(), cfg.days, &places);
    let online = &places.locations[places.online];
    let homes = logistics::homes(cfg.seed, &shoppers, (online.lat, online.lon));
    let suppliers = suppliers::build();
    let contracts = contracts::build(cfg.seed, &products, &skus, &suppliers, cfg.last_day());
    let hidden = Hidden {
        skus,
        stores: places.store_truth,
        store_locations: places.stores,
        online_location: places.online,
        shoppers,
        homes,
    };
    let listed = sim::assortments(cfg.seed, &products, &hidden);
    let stores = logistics::Stores {
        products: &products,
        skus: &hidden.skus,
        locations: hidden.store_locations.iter().map(|i| &places.locations[*i]).collect(),
        size: hidden.stores.iter().map(|s| s.size_factor).collect(),
        listed: listed.into_iter().map(|l| l.0).collect(),
    };
    let transfer_orders = logistics::transfers(cfg.seed, cfg.last_day(), cfg.days, &stores);
    let world = World {
        locations: places.locations,
        categories: products::categories(),
        suppliers,
        products,
        customers,
        kb_articles: kb::build(),
        contracts,
        vehicles: logistics::vehicles(cfg.stores, cfg.customers),
        transfer_orders,
    };
    (world, hidden)
}

/// Builds the master data.
///
/// # Panics
/// When `cfg` fails [`DemoConfig::validate`].
pub fn build_world(cfg: &DemoConfig) -> World {
    generate(cfg).0
}

/// The hidden truth of the world built from `cfg`.
///
/// # Panics
/// When `cfg` fails [`DemoConfig::validate`].
pub fn world_truth(cfg: &DemoConfig) -> Truth {
    let (world, hidden) = generate(cfg);
    Truth {
        tastes: hidden.shoppers.iter().zip(&world.customers).map(|(s, c)| s.profile(&c.external_id)).collect(),
        complements: COMPLEMENTS.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect(),
    }
}

/// Simulates day by day in date order, handing each day to `sink`; stops
/// early when `sink` returns false. `world` must be the one built from `cfg`
/// (its prices, packs and suppliers are used as given).
///
/// # Panics
/// When `cfg` fails [`DemoConfig::validate`] or `world` does not match it.
pub fn simulate(cfg: &DemoConfig, world: &World, sink: impl FnMut(DayBatch) -> bool) -> SimulationStats {
    let (built, hidden) = generate(cfg);
    assert!(
        built.products.len() == world.products.len()
            && built.customers.len() == world.customers.len()
            && built.locations.len() == world.locations.len()
            && built.suppliers.len() == world.suppliers.len(),
        "the world was not built from this config"
    );
    sim::run(cfg, world, &hidden, sink)
}
