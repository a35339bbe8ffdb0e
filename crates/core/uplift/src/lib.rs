//! Uplift modelling for campaign targeting: who should receive a treatment (an e-mail, a coupon)
//! because it changes their behaviour, not merely because they would respond anyway.
//!
//! - [`metrics`]: Qini and uplift curves, their normalised areas and uplift@k exactly as
//!   scikit-uplift computes them, plus causalml's normalised AUUC and Qini scores.
//! - [`model`]: two-model logistic regression, the class-transformation model and an uplift
//!   random forest, all fitted on a dense [`model::Dataset`].
//! - [`hillstrom`]: the MineThatData e-mail campaign data set and the train/test evaluation.

pub mod error;
pub mod hillstrom;
pub mod metrics;
pub mod model;

pub use error::UpliftError;
