//! Experimentation for the retail platform, as pure functions:
//! - [`assign`]: which variant a unit (customer, anonymous session, store) gets,
//!   deterministically, with layers for mutually exclusive experiments,
//!   targeting conditions and ramp-up;
//! - [`aggregate`]: per-unit metric values folded into the sufficient statistics of
//!   each variant, with winsorisation and units seen in two variants set aside;
//! - [`stats`]: the statistics engine over those sufficient statistics.

pub mod aggregate;
pub mod assign;
pub mod stats;
pub mod summary;
