//! The campaign-targeting evaluation of EVAL.md ("Uplift and campaigns"): repeated random
//! 50/50 train/test splits, a model fitted on each training half and scored on its test half.
//!
//! Splits are stratified by treatment x outcome (sklift's usual
//! `train_test_split(..., stratify=treatment_outcome)` practice): within each of the four
//! groups (treated/control x responded or not; amounts count as responded when positive) a
//! shuffled half goes to training, the rest (the larger half when odd) to test, so every split
//! keeps the arms' sizes and response rates.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::UpliftError;
use crate::metrics::{Strategy, qini_auc_score, uplift_at_k};
use crate::model::{Dataset, ModelKind, ModelParams, UpliftPredictor, fit_kind};

/// Share of the test customers whose uplift@k is reported.
const TOP_SHARE: f64 = 0.3;

/// How to evaluate: number of splits, the seed they derive from, and the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EvalConfig {
    pub splits: usize,
    pub seed: u64,
    pub model: ModelKind,
    pub params: ModelParams,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self { splits: 10, seed: 42, model: ModelKind::TwoModel, params: ModelParams::default() }
    }
}

/// Per-split values of a metric with their mean and sample standard deviation (n - 1
/// denominator; 0 for a single split).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mean: f64,
    pub std: f64,
    pub values: Vec<f64>,
}

impl Summary {
    fn of(values: Vec<f64>) -> Self {
        let count = values.len() as f64;
        let mean = values.iter().sum::<f64>() / count;
        let squares = values.iter().map(|value| (value - mean).powi(2)).sum::<f64>();
        let std = if values.len() > 1 { (squares / (count - 1.0)).sqrt() } else { 0.0 };
        Self { mean, std, values }
    }
}

/// The evaluation's JSON: `qini` is sklift's `qini_auc_score` (negative_effect=True),
/// `uplift_at_30` sklift's `uplift_at_k(k=0.3, strategy="overall")`, both on the test halves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub model: ModelKind,
    pub splits: usize,
    pub qini: Summary,
    pub uplift_at_30: Summary,
}

/// Training and test row indices of one stratified 50/50 split.
fn stratified_halves(data: &Dataset, rng: &mut ChaCha8Rng) -> (Vec<usize>, Vec<usize>) {
    let mut strata: [Vec<usize>; 4] = Default::default();
    for (row, (&treated, &outcome)) in data.treatment().iter().zip(data.outcome()).enumerate() {
        strata[usize::from(treated) * 2 + usize::from(outcome > 0.0)].push(row);
    }
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut stratum in strata {
        stratum.shuffle(rng);
        let (training_part, test_part) = stratum.split_at(stratum.len() / 2);
        train.extend_from_slice(training_part);
        test.extend_from_slice(test_part);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Fits and scores the configured model on `config.splits` random stratified 50/50 splits;
/// split `i` shuffles with ChaCha stream `i` of `config.seed`.
pub fn evaluate(data: &Dataset, config: &EvalConfig) -> Result<EvalReport, UpliftError> {
    if config.splits == 0 {
        return Err(UpliftError::InvalidParameter { name: "splits", reason: "must be at least 1".into() });
    }
    let mut qini = Vec::with_capacity(config.splits);
    let mut uplift_at_30 = Vec::with_capacity(config.splits);
    for split in 0..config.splits {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(split as u64);
        let (train_rows, test_rows) = stratified_halves(data, &mut rng);
        let (train, test) = (data.subset(&train_rows)?, data.subset(&test_rows)?);
        let model = fit_kind(config.model, &train, &config.params)?;
        let scores = model.predict_batch(test.features())?;
        qini.push(qini_auc_score(test.outcome(), test.treatment(), &scores, true)?);
        uplift_at_30.push(uplift_at_k(test.outcome(), test.treatment(), &scores, TOP_SHARE, Strategy::Overall)?);
    }
    Ok(EvalReport {
        model: config.model,
        splits: config.splits,
        qini: Summary::of(qini),
        uplift_at_30: Summary::of(uplift_at_30),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_support::synthetic;

    #[test]
    fn splits_are_stratified_halves() {
        let data = synthetic(1001, 11);
        let (train, test) = stratified_halves(&data, &mut ChaCha8Rng::seed_from_u64(1));
        assert_eq!(train.len() + test.len(), data.len());
        let treated = |rows: &[usize]| rows.iter().filter(|&&row| data.treatment()[row]).count() as i64;
        assert!((treated(&train) - treated(&test)).abs() <= 1);
    }

    #[test]
    fn reports_every_split_and_is_reproducible() {
        let data = synthetic(2000, 12);
        let config = EvalConfig { splits: 3, ..EvalConfig::default() };
        let report = evaluate(&data, &config).unwrap();
        assert_eq!((report.splits, report.qini.values.len(), report.uplift_at_30.values.len()), (3, 3, 3));
        assert!(report.qini.mean > 0.05 && report.uplift_at_30.mean > 0.1, "{report:?}");
        assert_eq!(report, evaluate(&data, &config).unwrap());
        let json = serde_json::to_value(&report).unwrap();
        for key in ["qini", "uplift_at_30", "splits", "model"] {
            assert!(json.get(key).is_some(), "missing {key}");
        }
        assert_eq!(json["model"], "two_model");
    }

    #[test]
    fn zero_splits_is_an_error() {
        let config = EvalConfig { splits: 0, ..EvalConfig::default() };
        assert!(matches!(evaluate(&synthetic(100, 1), &config), Err(UpliftError::InvalidParameter { .. })));
    }
}
