//! Supply-chain cost analysis in integer minor units.
//!
//! - [`transport`]: a delivery route's fixed, distance and time cost, allocated exactly to its stops
//!   and summed per location.
//! - [`inventory`]: holding, ordering and stockout cost of one product at one location over a run of
//!   days.
//! - [`landed`]: a shipment's freight, duty, insurance and other charges allocated exactly to its
//!   lines, giving landed unit costs.
//! - [`variance`]: purchase price against contract price, per line, supplier and product.
//!
//! Every split of an amount over parts uses [`crate::alloc`] (largest remainder), so the parts add up
//! to the whole in minor units.

pub mod inventory;
pub mod landed;
pub mod transport;
pub mod variance;

use thiserror::Error;

pub use landed::AllocationBasis;

/// Why a cost could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CostError {
    /// A field holds a value the computation cannot use (negative, NaN, infinite, zero quantity).
    #[error("{item}: {field} {reason}")]
    Invalid {
        /// Which input, e.g. `route R1, stop S3`.
        item: String,
        /// The field, e.g. `load`.
        field: &'static str,
        /// What is wrong, e.g. `must not be negative (got -3)`.
        reason: String,
    },
    /// A charge allocated by weight or volume meets a line without one.
    #[error("charge {charge} is allocated by {basis:?} but line {line} ({product_id}) has no {basis:?}")]
    MissingBasis {
        /// Index of the charge.
        charge: usize,
        /// The basis it is allocated by.
        basis: AllocationBasis,
        /// Index of the first line lacking it.
        line: usize,
        /// That line's product.
        product_id: String,
    },
    /// The lines' basis total is zero, so a charge has nothing to be split by.
    #[error("charge {charge} is allocated by {basis:?} but the lines' total {basis:?} is zero")]
    ZeroBasis {
        /// Index of the charge.
        charge: usize,
        /// The basis it is allocated by.
        basis: AllocationBasis,
    },
    /// Charges were given for a shipment without lines.
    #[error("a shipment with charges needs at least one line")]
    NoLines,
}

pub(crate) fn invalid(item: impl Into<String>, field: &'static str, reason: impl Into<String>) -> CostError {
    CostError::Invalid { item: item.into(), field, reason: reason.into() }
}

pub(crate) fn non_negative(item: &dyn Fn() -> String, field: &'static str, value: i64) -> Result<(), CostError> {
    if value < 0 { Err(invalid(item(), field, format!("must not be negative (got {value})"))) } else { Ok(()) }
}

pub(crate) fn non_negative_f(item: &dyn Fn() -> String, field: &'static str, value: f64) -> Result<(), CostError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(invalid(item(), field, format!("must be finite and non-negative (got {value})")))
    }
}

/// Rounds a non-integral amount of minor units half away from zero, saturating at the i64 range.
pub(crate) fn round_minor(x: f64) -> i64 {
    x.round() as i64
}

/// `a / b` as f64, `None` when `b` is zero.
pub(crate) fn per(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| a / b)
}
