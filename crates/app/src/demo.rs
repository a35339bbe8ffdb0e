//! Loads the generated demo retail world into the store: master data in one
//! transaction, then the simulated days streamed from a generator thread and
//! written in transactions of about [`ROWS_PER_COMMIT`] rows. Memory stays flat
//! whatever the size; large commits keep SQLite from rewriting the same index
//! pages into its log day after day.

use std::time::Instant;

use retail_demo::{DayBatch, DemoConfig, World, build_world, simulate};
use retail_domain::EntityKind;
use retail_store::{Applied, WriteSet};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::ids::new_id;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

#[derive(Debug, Clone, Copy)]
pub struct DemoProgress {
    pub days_done: u64,
    pub days: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub locations: usize,
    pub products: usize,
    pub customers: usize,
    pub days: usize,
    /// The day the transfer orders waiting to be planned are due (the day after the last simulated one).
    pub deliver_on: Option<chrono::NaiveDate>,
    pub transfer_orders: usize,
    pub vehicles: usize,
    pub contracts: usize,
    pub applied: Applied,
    pub seconds: f64,
}

/// True when the store already holds a catalogue (the demo is not loaded twice).
pub async fn has_data(p: &Platform) -> ServiceResult<bool> {
    Ok(p.store.count_docs(EntityKind::Product).await? > 0)
}

fn master_writes(world: &World) -> WriteSet {
    let mut w = WriteSet::default();
    w.upsert(&world.locations);
    w.upsert(&world.categories);
    w.upsert(&world.suppliers);
    w.upsert(&world.products);
    w.upsert(&world.customers);
    w.upsert(&world.kb_articles);
    w.upsert(&world.contracts);
    w.upsert(&world.vehicles);
    w.upsert(&world.transfer_orders);
    w
}

fn day_writes(day: &DayBatch) -> WriteSet {
    let mut w = WriteSet::default();
    w.upsert(&day.purchase_orders);
    w.upsert(&day.receipts);
    w.upsert(&day.orders);
    w.add_movements(&day.movements);
    w.add_events(&day.events);
    w
}

/// Rows written per transaction while loading the simulated days.
const ROWS_PER_COMMIT: usize = 400_000;

fn row_count(w: &WriteSet) -> usize {
    w.docs.len() + w.order_lines.len() + w.ledger.len() + w.events.len()
}

/// Generates the world for `cfg` and writes it; `progress` is called once per day.
pub async fn load_demo(p: &Platform, cfg: DemoConfig, progress: impl Fn(DemoProgress)) -> ServiceResult<DemoSummary> {
    cfg.validate().map_err(|m| invalid("demo", m))?;
    let started = Instant::now();
    let world = build_world(&cfg);
    let mut applied = p.store.apply(master_writes(&world)).await?;
    let summary_counts = (world.locations.len(), world.products.len(), world.customers.len());
    let supply_counts = (
        world.transfer_orders.first().map(|t| t.deliver_on),
        world.transfer_orders.len(),
        world.vehicles.len(),
        world.contracts.len(),
    );

    // The demo fills an empty store: building the log tables' indexes once at the
    // end is much cheaper than maintaining them row by row.
    p.store.suspend_log_indexes().await?;
    let (tx, mut rx) = mpsc::channel::<DayBatch>(4);
    let gen_cfg = cfg.clone();
    let generator =
        tokio::task::spawn_blocking(move || simulate(&gen_cfg, &world, |day| tx.blocking_send(day).is_ok()));
    let days = cfg.days as u64;
    let mut days_done = 0;
    let mut bulk = None;
    let mut uncommitted = 0;
    while let Some(day) = rx.recv().await {
        let writes = day_writes(&day);
        uncommitted += row_count(&writes);
        let tx = match &mut bulk {
            Some(tx) => tx,
            None => bulk.insert(p.store.begin_bulk().await?),
        };
        applied.add(&tx.apply(writes).await?);
        if uncommitted >= ROWS_PER_COMMIT {
            bulk.take().expect("a transaction is open").commit().await?;
            uncommitted = 0;
        }
        days_done += 1;
        progress(DemoProgress { days_done, days, rows: applied.inserted + applied.ledger_rows + applied.events });
    }
    if let Some(tx) = bulk {
        tx.commit().await?;
    }
    generator.await.map_err(|e| ServiceError::Internal(format!("demo generator stopped: {e}")))?;
    p.store.restore_indexes().await?;

    let mut w = WriteSet::default();
    let payload = serde_json::json!({ "stores": cfg.stores, "skus": cfg.skus, "customers": cfg.customers, "days": cfg.days, "seed": cfg.seed });
    w.announce(new_id("evt"), "demo.loaded", payload, chrono::Utc::now().timestamp_millis());
    p.store.apply(w).await?;
    p.outbox_written();
    Ok(DemoSummary {
        locations: summary_counts.0,
        products: summary_counts.1,
        customers: summary_counts.2,
        days: cfg.days,
        deliver_on: supply_counts.0,
        transfer_orders: supply_counts.1,
        vehicles: supply_counts.2,
        contracts: supply_counts.3,
        applied,
        seconds: started.elapsed().as_secs_f64(),
    })
}
