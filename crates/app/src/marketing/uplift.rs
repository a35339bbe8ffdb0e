//! Uplift models learnt from past campaigns: each measured campaign with a hold-out is a
//! randomised experiment, so its treated and held-out customers (with the features they had
//! when it was planned) and whether they ordered in its window train a model of who the
//! message changes. A fresh model is checked on a held-back share of customers before it is
//! stored, and the figures travel with it.

use chrono::{DateTime, Duration, Utc};
use retail_marketing::CustomerFeatures;
use retail_marketing::cluster::{FEATURES, Feature};
use retail_marketing::holdout::{Arm, Holdout};
use retail_store::UpliftModelRecord;
use retail_uplift::metrics::{Strategy, qini_auc_score, uplift_at_k};
use retail_uplift::model::{Dataset, ModelKind, ModelParams, UpliftModel, UpliftPredictor, fit_kind};
use serde::{Deserialize, Serialize};

use super::campaigns::{CampaignSpec, Targeting};
use crate::access::ms_to_time;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult};

/// A stored model ready to score customers.
pub struct FittedUplift {
    pub model_id: String,
    model: UpliftModel,
    /// The treated customers' conversion rate in training: the base of P(convert | treated).
    pub treated_rate: f64,
}

impl FittedUplift {
    pub fn predict(&self, customer: &CustomerFeatures) -> f64 {
        self.model.predict(&inputs(customer))
    }
}

/// The model's inputs: the behaviour features clusters use, counts and money on a log scale.
pub fn inputs(customer: &CustomerFeatures) -> Vec<f32> {
    FEATURES
        .iter()
        .map(|&f| {
            let value = f.value(customer);
            let scaled = match f {
                Feature::OnlineShare | Feature::DiscountShare => value,
                _ => value.max(0.0).ln_1p(),
            };
            scaled as f32
        })
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpliftTraining {
    pub model_id: String,
    /// `two_model`, `class_transformation` or `uplift_forest`.
    pub kind: String,
    pub campaigns: Vec<String>,
    pub rows: u64,
    pub treated_rate: f64,
    /// On the customers held back from fitting (sklift's normalised Qini and uplift at 30 %).
    pub validation_qini: Option<f64>,
    pub validation_uplift_at_30: Option<f64>,
    pub trained_at: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct StoredModel {
    training: UpliftTraining,
    model: UpliftModel,
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

pub async fn latest(p: &Platform) -> ServiceResult<Option<FittedUplift>> {
    let Some(record) = p.store.latest_uplift_model().await? else { return Ok(None) };
    let stored: StoredModel = serde_json::from_str(&record.doc).map_err(internal)?;
    Ok(Some(FittedUplift {
        model_id: record.model_id,
        model: stored.model,
        treated_rate: stored.training.treated_rate,
    }))
}

/// The latest model's figures.
pub async fn latest_training(p: &Platform) -> ServiceResult<Option<UpliftTraining>> {
    let Some(record) = p.store.latest_uplift_model().await? else { return Ok(None) };
    Ok(Some(serde_json::from_str::<StoredModel>(&record.doc).map_err(internal)?.training))
}

/// Whether a customer is among those held back to check the model: a stable fifth, drawn like
/// a campaign's hold-out.
fn validates(customer_id: &str) -> bool {
    let fifth = Holdout::new("uplift-validation", 0.2).expect("a valid share");
    fifth.arm(customer_id) == Arm::Holdout
}

/// Trains a model of `kind` on every measured campaign with a hold-out and stores it.
pub async fn train(p: &Platform, kind: ModelKind) -> ServiceResult<UpliftTraining> {
    let now = Utc::now();
    let mut campaigns = Vec::new();
    let (mut features, mut treatment, mut outcome, mut check) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in p.store.list_campaigns(500).await? {
        if !matches!(r.status.as_str(), "sending" | "sent") {
            continue;
        }
        let spec: CampaignSpec = serde_json::from_str(&r.spec).map_err(internal)?;
        let to = spec.starts_at + Duration::days(i64::from(spec.measure_days));
        // A model-targeted audience is not a random sample of anyone the next campaign may
        // target; only campaigns that reached their segment without a model train.
        if spec.holdout_share <= 0.0 || to > now || spec.targeting == Targeting::Uplift {
            continue;
        }
        let audience: std::collections::HashMap<String, retail_store::AudienceRecord> =
            p.store.campaign_audience(&r.campaign_id).await?.into_iter().map(|a| (a.customer_id.clone(), a)).collect();
        let outcomes =
            p.store.campaign_outcomes(&r.campaign_id, spec.starts_at.timestamp_millis(), to.timestamp_millis()).await?;
        let before = outcome.len();
        for o in outcomes {
            let treated = match o.arm.as_str() {
                "treatment" => true,
                "holdout" => false,
                _ => continue,
            };
            let Some(a) = audience.get(&o.customer_id) else { continue };
            let doc: serde_json::Value = serde_json::from_str(&a.doc).map_err(internal)?;
            let inputs: Vec<f32> = serde_json::from_value(doc["inputs"].clone()).map_err(internal)?;
            if inputs.len() != FEATURES.len() {
                continue;
            }
            features.extend(inputs);
            treatment.push(treated);
            outcome.push(if o.orders > 0 { 1.0 } else { 0.0 });
            check.push(validates(&o.customer_id));
        }
        if outcome.len() > before {
            campaigns.push(r.campaign_id);
        }
    }
    if campaigns.is_empty() {
        return Err(ServiceError::Conflict(
            "no campaign to learn from: one sent to its segment (not by a model) with a hold-out, \
             whose measurement window has closed"
                .into(),
        ));
    }
    let n = FEATURES.len();
    let rows = outcome.len() as u64;
    let fitted =
        tokio::task::spawn_blocking(move || -> Result<(UpliftModel, Option<f64>, Option<f64>, f64), String> {
            let all = Dataset::new(features, n, treatment, outcome).map_err(|e| e.to_string())?;
            let split = |keep: bool| -> Vec<usize> { (0..all.len()).filter(|&i| check[i] == keep).collect() };
            let (fit_rows, check_rows) = (split(false), split(true));
            let params = ModelParams::default();
            let (qini, at_30) = match (all.subset(&fit_rows), all.subset(&check_rows)) {
                (Ok(train), Ok(held)) => {
                    let model = fit_kind(kind, &train, &params).map_err(|e| e.to_string())?;
                    let predicted = model.predict_batch(held.features()).map_err(|e| e.to_string())?;
                    (
                        qini_auc_score(held.outcome(), held.treatment(), &predicted, true).ok(),
                        uplift_at_k(held.outcome(), held.treatment(), &predicted, 0.3, Strategy::Overall).ok(),
                    )
                }
                _ => (None, None),
            };
            let treated: Vec<f64> = (0..all.len()).filter(|&i| all.treatment()[i]).map(|i| all.outcome()[i]).collect();
            let treated_rate = treated.iter().sum::<f64>() / treated.len().max(1) as f64;
            let model = fit_kind(kind, &all, &params).map_err(|e| e.to_string())?;
            Ok((model, qini, at_30, treated_rate))
        })
        .await
        .map_err(internal)?
        .map_err(|e| ServiceError::Conflict(format!("the uplift model cannot be trained: {e}")))?;
    let (model, validation_qini, validation_uplift_at_30, treated_rate) = fitted;
    let training = UpliftTraining {
        model_id: crate::ids::new_id("uplift"),
        kind: kind.name().to_string(),
        campaigns: campaigns.clone(),
        rows,
        treated_rate,
        validation_qini,
        validation_uplift_at_30,
        trained_at: now,
    };
    let record = UpliftModelRecord {
        model_id: training.model_id.clone(),
        kind: training.kind.clone(),
        trained_at_ms: now.timestamp_millis(),
        source: campaigns.join(","),
        rows_used: rows as i64,
        doc: serde_json::to_string(&StoredModel { training: training.clone(), model }).map_err(internal)?,
    };
    p.store.save_uplift_model(&record).await?;
    Ok(UpliftTraining { trained_at: ms_to_time(record.trained_at_ms), ..training })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_follow_the_cluster_features() {
        let c = CustomerFeatures { orders_365d: 3, online_share: 0.5, ..Default::default() };
        let x = inputs(&c);
        assert_eq!(x.len(), FEATURES.len());
        let at = |f: Feature| x[FEATURES.iter().position(|&g| g == f).unwrap()];
        assert!((at(Feature::Orders365d) - 4f32.ln()).abs() < 1e-6, "counts on a log scale");
        assert_eq!(at(Feature::OnlineShare), 0.5, "shares as they are");
    }

    #[test]
    fn about_a_fifth_validates() {
        let n = (0..10_000).filter(|i| validates(&format!("C{i:05}"))).count();
        assert!((1_700..2_300).contains(&n), "{n}");
    }
}
