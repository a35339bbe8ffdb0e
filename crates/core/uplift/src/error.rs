//! The one error type of the crate.

use thiserror::Error;

/// Why an uplift computation could not produce a number.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum UpliftError {
    #[error("no observations")]
    Empty,
    #[error("length mismatch: {what} has {actual} entries, expected {expected}")]
    LengthMismatch { what: &'static str, expected: usize, actual: usize },
    #[error("every observation is in the {present} group; uplift needs both treatment and control")]
    SingleArm { present: &'static str },
    #[error("{what} contains a non-finite value at index {index}")]
    NonFinite { what: &'static str, index: usize },
    #[error("outcome must be 0 or 1, found {value} at index {index}")]
    NonBinaryOutcome { index: usize, value: f64 },
    #[error("k must be a fraction in (0, 1), got {0}")]
    InvalidK(f64),
    #[error("the top {k} fraction holds no {group} observations")]
    EmptyGroupAtK { k: f64, group: &'static str },
    #[error("the score is undefined: {0}")]
    Undefined(&'static str),
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("{model} did not converge in {iterations} iterations")]
    NotConverged { model: &'static str, iterations: usize },
    #[error("{values} feature values do not form whole rows of {n_features}")]
    RaggedFeatures { n_features: usize, values: usize },
    #[error("line {line}: {reason}")]
    Parse { line: usize, reason: String },
    #[error("unknown treatment arm {0:?}; expected \"Womens E-Mail\" or \"Mens E-Mail\"")]
    UnknownArm(String),
    #[error("unknown outcome {0:?}; expected visit, conversion or spend")]
    UnknownOutcome(String),
}
