//! Supplier scorecards from the stored purchase orders, receipts and contracts: each supplier's
//! on-time, in-full and OTIF rates against the date it promised, fill rate, quality acceptance,
//! price index against the best contract offer and lead time, a weighted score and its band, and
//! the weekly trend.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use retail_domain::{Contract, EntityKind, GoodsReceipt, PurchaseOrder, PurchaseOrderStatus, Supplier};
use retail_supply::{
    Offer, OrderedLine, Period, PurchaseRecord, ReceiptRecord, ReceivedLine, Scorecard, ScorecardConfig, TrendPeriod,
};
use serde::Serialize;

use crate::Platform;
use crate::reports::data_range;
use crate::service::{ServiceError, ServiceResult, all_docs, invalid};

/// The most weeks a scorecard looks back.
pub const MAX_WEEKS: u32 = 104;

/// A supplier's scorecard with its name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplierScore {
    pub name_zh: String,
    pub name_en: String,
    #[schema(value_type = Object)]
    pub scorecard: Scorecard,
}

/// Every supplier's scorecard over a window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scorecards {
    /// The end of the window: the end of the last day with sales (now before any).
    pub as_of: DateTime<Utc>,
    pub weeks: u32,
    pub suppliers: Vec<SupplierScore>,
}

/// One supplier's scorecard by week.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SupplierTrend {
    pub supplier_id: String,
    pub as_of: DateTime<Utc>,
    /// The scorecard over the whole window; absent without orders in it.
    #[schema(value_type = Option<Object>)]
    pub current: Option<Scorecard>,
    #[schema(value_type = Vec<Object>)]
    pub weeks: Vec<TrendPeriod>,
}

/// The end of the last day with data, so a loaded history is judged as of its own last day.
pub(crate) async fn as_of(p: &Platform) -> ServiceResult<(NaiveDate, DateTime<Utc>)> {
    let day = match data_range(p).await? {
        Some(r) => r.to,
        None => Utc::now().date_naive(),
    };
    Ok((day, (day + Days::new(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()))
}

fn check_weeks(weeks: u32) -> ServiceResult<()> {
    if (1..=MAX_WEEKS).contains(&weeks) {
        Ok(())
    } else {
        Err(invalid("weeks", format!("must be between 1 and {MAX_WEEKS}")))
    }
}

fn parse<T: serde::de::DeserializeOwned>(json: &str, what: &str) -> ServiceResult<T> {
    serde_json::from_str(json).map_err(|e| ServiceError::Internal(format!("stored {what} does not parse: {e}")))
}

/// Purchase orders created in `[from, to)` with their receipts, as the scorecard reads them.
pub(crate) async fn purchases(
    p: &Platform,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> ServiceResult<Vec<(PurchaseOrder, Vec<GoodsReceipt>)>> {
    let history = p.store.purchase_history(from.timestamp_millis(), to.timestamp_millis()).await?;
    history
        .iter()
        .map(|h| {
            let po: PurchaseOrder = parse(&h.purchase_order, "purchase order")?;
            let receipts = h.receipts.iter().map(|r| parse(r, "receipt")).collect::<ServiceResult<Vec<_>>>()?;
            Ok((po, receipts))
        })
        .collect()
}

fn record(po: &PurchaseOrder, receipts: &[GoodsReceipt]) -> PurchaseRecord {
    PurchaseRecord {
        po_id: po.external_id.clone(),
        supplier_id: po.supplier_id.clone(),
        created_at: po.created_at,
        promised_at: po.expected_at,
        cancelled: po.status == PurchaseOrderStatus::Cancelled,
        lines: po
            .lines
            .iter()
            .map(|l| OrderedLine {
                product_id: l.product_id.clone(),
                quantity: l.quantity,
                unit_cost_minor: l.unit_cost_minor,
            })
            .collect(),
        receipts: receipts
            .iter()
            .map(|r| ReceiptRecord {
                received_at: r.received_at,
                lines: r
                    .lines
                    .iter()
                    .map(|l| ReceivedLine {
                        product_id: l.product_id.clone(),
                        // The receipt's quantity is what was accepted; refused units came too.
                        quantity: l.quantity + l.rejected_quantity,
                        rejected: l.rejected_quantity,
                        unit_cost_minor: l.unit_cost_minor,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Contract prices in force on `day`, the offers the price index compares with.
pub(crate) fn offers(contracts: &[Contract], day: NaiveDate) -> Vec<Offer> {
    contracts
        .iter()
        .filter(|c| c.is_valid_on(day))
        .map(|c| Offer {
            supplier_id: c.supplier_id.clone(),
            product_id: c.product_id.clone(),
            unit_cost_minor: c.unit_cost_minor,
        })
        .collect()
}

async fn inputs(
    p: &Platform,
    weeks: u32,
) -> ServiceResult<(NaiveDate, DateTime<Utc>, Vec<PurchaseRecord>, Vec<Offer>)> {
    check_weeks(weeks)?;
    let (day, as_of) = as_of(p).await?;
    let from = as_of - chrono::Duration::weeks(i64::from(weeks));
    let records = purchases(p, from, as_of).await?.iter().map(|(po, r)| record(po, r)).collect();
    let contracts: Vec<Contract> = all_docs(p, EntityKind::Contract).await?;
    Ok((day, as_of, records, offers(&contracts, day)))
}

/// Every supplier with orders in the last `weeks` weeks, best score first.
pub async fn scorecards(p: &Platform, weeks: u32) -> ServiceResult<Scorecards> {
    let (_, as_of, records, offers) = inputs(p, weeks).await?;
    let cards = retail_supply::scorecards(&records, &offers, as_of, &ScorecardConfig::default());
    let suppliers: Vec<Supplier> = all_docs(p, EntityKind::Supplier).await?;
    let names: HashMap<&str, &Supplier> = suppliers.iter().map(|s| (s.external_id.as_str(), s)).collect();
    let mut out: Vec<SupplierScore> = cards
        .into_iter()
        .map(|scorecard| {
            let s = names.get(scorecard.supplier_id.as_str());
            SupplierScore {
                name_zh: s.map(|s| s.name.zh.clone()).unwrap_or_default(),
                name_en: s.map(|s| s.name.en.clone()).unwrap_or_default(),
                scorecard,
            }
        })
        .collect();
    out.sort_by(|a, b| b.scorecard.score.total_cmp(&a.scorecard.score));
    Ok(Scorecards { as_of, weeks, suppliers: out })
}

/// One supplier's scorecard over the last `weeks` weeks and for each of them, oldest first.
pub async fn supplier_trend(p: &Platform, supplier_id: &str, weeks: u32) -> ServiceResult<SupplierTrend> {
    if p.store.get_doc(EntityKind::Supplier, supplier_id).await?.is_none() {
        return Err(ServiceError::NotFound { kind: "supplier", id: supplier_id.to_string() });
    }
    let (_, as_of, records, offers) = inputs(p, weeks).await?;
    let mine: Vec<PurchaseRecord> = records.into_iter().filter(|r| r.supplier_id == supplier_id).collect();
    let config = ScorecardConfig::default();
    let current = retail_supply::scorecards(&mine, &offers, as_of, &config).into_iter().next();
    let periods = retail_supply::trend(&mine, &offers, as_of, &config, Period::Week, weeks as usize);
    Ok(SupplierTrend { supplier_id: supplier_id.to_string(), as_of, current, weeks: periods })
}
