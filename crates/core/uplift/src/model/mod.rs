//! Uplift models: each estimates, for one customer's features, how much the treatment changes
//! the expected outcome, `E[y | x, treated] - E[y | x, control]`.

mod class_transformation;
mod forest;
mod linear;
mod two_model;

pub use class_transformation::ClassTransformation;
pub use forest::{ForestParams, SplitCriterion, UpliftForest};
pub use linear::LinearParams;
pub use two_model::TwoModel;

use serde::{Deserialize, Serialize};

use crate::UpliftError;
use crate::metrics::{check_both_arms, check_finite, check_length};

/// Customers as a dense row-major feature matrix, with who was treated and what they did.
///
/// Built through [`Dataset::new`], which rejects empty data, ragged or mismatched lengths,
/// non-finite values and data holding only one arm, so every model can rely on all of that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    features: Vec<f32>,
    n_features: usize,
    treatment: Vec<bool>,
    outcome: Vec<f64>,
}

impl Dataset {
    pub fn new(
        features: Vec<f32>,
        n_features: usize,
        treatment: Vec<bool>,
        outcome: Vec<f64>,
    ) -> Result<Self, UpliftError> {
        if outcome.is_empty() {
            return Err(UpliftError::Empty);
        }
        if n_features == 0 {
            return Err(UpliftError::InvalidParameter { name: "n_features", reason: "must be at least 1".into() });
        }
        check_length("treatment", outcome.len(), treatment.len())?;
        check_length("features", outcome.len() * n_features, features.len())?;
        check_finite("outcome", &outcome)?;
        if let Some(index) = features.iter().position(|value| !value.is_finite()) {
            return Err(UpliftError::NonFinite { what: "features", index });
        }
        check_both_arms(&treatment)?;
        Ok(Self { features, n_features, treatment, outcome })
    }

    /// The rows at `indices` (repeats allowed), checked like [`Dataset::new`].
    pub fn subset(&self, indices: &[usize]) -> Result<Self, UpliftError> {
        let features = indices.iter().flat_map(|&index| self.row(index)).copied().collect();
        let treatment = indices.iter().map(|&index| self.treatment[index]).collect();
        let outcome = indices.iter().map(|&index| self.outcome[index]).collect();
        Self::new(features, self.n_features, treatment, outcome)
    }

    pub fn len(&self) -> usize {
        self.outcome.len()
    }

    /// Always false for a constructed dataset; present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.outcome.is_empty()
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn features(&self) -> &[f32] {
        &self.features
    }

    pub fn row(&self, index: usize) -> &[f32] {
        &self.features[index * self.n_features..(index + 1) * self.n_features]
    }

    pub fn treatment(&self) -> &[bool] {
        &self.treatment
    }

    pub fn outcome(&self) -> &[f64] {
        &self.outcome
    }

    /// Whether every outcome is 0 or 1 (a response rather than an amount).
    pub fn has_binary_outcome(&self) -> bool {
        self.outcome.iter().all(|&value| value == 0.0 || value == 1.0)
    }

    /// Share of rows that were treated.
    pub fn treated_share(&self) -> f64 {
        self.treatment.iter().filter(|&&treated| treated).count() as f64 / self.len() as f64
    }
}

/// Which uplift model to fit, by the name the platform stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    TwoModel,
    ClassTransformation,
    UpliftForest,
}

impl ModelKind {
    pub const ALL: [ModelKind; 3] = [ModelKind::TwoModel, ModelKind::ClassTransformation, ModelKind::UpliftForest];

    /// The snake_case name used in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::TwoModel => "two_model",
            ModelKind::ClassTransformation => "class_transformation",
            ModelKind::UpliftForest => "uplift_forest",
        }
    }
}

impl std::str::FromStr for ModelKind {
    type Err = UpliftError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|kind| kind.name() == name).ok_or_else(|| UpliftError::InvalidParameter {
            name: "model",
            reason: format!("unknown model {name:?}; expected two_model, class_transformation or uplift_forest"),
        })
    }
}

/// Settings for every kind, so a configuration can name the kind separately.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelParams {
    /// Used by [`TwoModel`] and [`ClassTransformation`].
    pub linear: LinearParams,
    /// Used by [`UpliftForest`].
    pub forest: ForestParams,
}

/// A fitted model of any kind, serialisable for storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UpliftModel {
    TwoModel(TwoModel),
    ClassTransformation(ClassTransformation),
    UpliftForest(UpliftForest),
}

/// Fits the model `kind` names with its part of `params`.
pub fn fit_kind(kind: ModelKind, data: &Dataset, params: &ModelParams) -> Result<UpliftModel, UpliftError> {
    Ok(match kind {
        ModelKind::TwoModel => UpliftModel::TwoModel(TwoModel::fit(data, &params.linear)?),
        ModelKind::ClassTransformation => {
            UpliftModel::ClassTransformation(ClassTransformation::fit(data, &params.linear)?)
        }
        ModelKind::UpliftForest => UpliftModel::UpliftForest(UpliftForest::fit(data, &params.forest)?),
    })
}

/// Prediction shared by every model: the estimated uplift of one row, and of a whole matrix.
pub trait UpliftPredictor {
    /// Number of features a row must have.
    fn n_features(&self) -> usize;

    /// Estimated uplift of one row.
    ///
    /// # Panics
    /// If `row` has fewer than [`UpliftPredictor::n_features`] values.
    fn predict(&self, row: &[f32]) -> f64;

    /// Estimated uplift of every row of a row-major matrix.
    fn predict_batch(&self, features: &[f32]) -> Result<Vec<f64>, UpliftError> {
        let width = self.n_features();
        if !features.len().is_multiple_of(width) {
            return Err(UpliftError::RaggedFeatures { n_features: width, values: features.len() });
        }
        Ok(features.chunks_exact(width).map(|row| self.predict(row)).collect())
    }
}

impl UpliftPredictor for UpliftModel {
    fn n_features(&self) -> usize {
        match self {
            UpliftModel::TwoModel(model) => model.n_features(),
            UpliftModel::ClassTransformation(model) => model.n_features(),
            UpliftModel::UpliftForest(model) => model.n_features(),
        }
    }

    fn predict(&self, row: &[f32]) -> f64 {
        match self {
            UpliftModel::TwoModel(model) => model.predict(row),
            UpliftModel::ClassTransformation(model) => model.predict(row),
            UpliftModel::UpliftForest(model) => model.predict(row),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Synthetic campaigns whose true uplift is known.

    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// Two features in [0, 1): the treatment lifts response by 0.3 when the first exceeds 0.5
    /// and lowers it by 0.1 otherwise; the second only moves the baseline.
    pub(crate) fn true_uplift(row: &[f32]) -> f64 {
        if row[0] > 0.5 { 0.3 } else { -0.1 }
    }

    pub(crate) fn synthetic(rows: usize, seed: u64) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut features = Vec::with_capacity(rows * 2);
        let mut treatment = Vec::with_capacity(rows);
        let mut outcome = Vec::with_capacity(rows);
        for _ in 0..rows {
            let row = [rng.random::<f32>(), rng.random::<f32>()];
            let treated = rng.random_bool(0.5);
            let base = 0.2 + 0.3 * f64::from(row[1]);
            let probability = base + if treated { true_uplift(&row) } else { 0.0 };
            outcome.push(f64::from(u8::from(rng.random::<f64>() < probability)));
            features.extend(row);
            treatment.push(treated);
        }
        Dataset::new(features, 2, treatment, outcome).expect("a valid synthetic dataset")
    }

    /// Checks a model ranks the responsive half above the rest on fresh data.
    pub(crate) fn assert_finds_responsive_group(model: &dyn UpliftPredictor) {
        let test = synthetic(4000, 99);
        let scores = model.predict_batch(test.features()).unwrap();
        let (mut responsive, mut unresponsive) = (Vec::new(), Vec::new());
        for (index, &score) in scores.iter().enumerate() {
            if true_uplift(test.row(index)) > 0.0 { responsive.push(score) } else { unresponsive.push(score) }
        }
        let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
        assert!(mean(&responsive) > mean(&unresponsive) + 0.15, "{} vs {}", mean(&responsive), mean(&unresponsive));
        let qini = crate::metrics::qini_auc_score(test.outcome(), test.treatment(), &scores, true).unwrap();
        assert!(qini > 0.1, "qini {qini}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_datasets_are_typed_errors() {
        assert_eq!(Dataset::new(vec![], 1, vec![], vec![]), Err(UpliftError::Empty));
        assert_eq!(
            Dataset::new(vec![0.0; 3], 1, vec![true, false], vec![0.0, 1.0]),
            Err(UpliftError::LengthMismatch { what: "features", expected: 2, actual: 3 })
        );
        assert_eq!(
            Dataset::new(vec![0.0, f32::NAN], 1, vec![true, false], vec![0.0, 1.0]),
            Err(UpliftError::NonFinite { what: "features", index: 1 })
        );
        assert_eq!(
            Dataset::new(vec![0.0; 2], 1, vec![false, false], vec![0.0, 1.0]),
            Err(UpliftError::SingleArm { present: "control" })
        );
        assert_eq!(
            Dataset::new(vec![0.0; 2], 1, vec![true], vec![0.0, 1.0]),
            Err(UpliftError::LengthMismatch { what: "treatment", expected: 2, actual: 1 })
        );
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for kind in ModelKind::ALL {
            assert_eq!(kind.name().parse::<ModelKind>(), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{}\"", kind.name()));
        }
        assert!("forest".parse::<ModelKind>().is_err());
    }

    #[test]
    fn fitted_models_survive_serialisation() {
        let data = test_support::synthetic(600, 5);
        let params =
            ModelParams { forest: ForestParams { n_trees: 4, ..ForestParams::default() }, ..ModelParams::default() };
        for kind in ModelKind::ALL {
            let model = fit_kind(kind, &data, &params).unwrap();
            let stored: UpliftModel = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
            // serde_json may round the last bit of a float on the way back.
            assert!((stored.predict(data.row(0)) - model.predict(data.row(0))).abs() < 1e-12);
        }
    }

    #[test]
    fn batch_prediction_checks_the_width() {
        let data = test_support::synthetic(600, 5);
        let model = fit_kind(ModelKind::TwoModel, &data, &ModelParams::default()).unwrap();
        assert_eq!(model.predict_batch(&[0.5; 3]), Err(UpliftError::RaggedFeatures { n_features: 2, values: 3 }));
    }
}
