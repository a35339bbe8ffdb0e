//! Replenishment and inventory-optimisation math for one product at one location: data in,
//! decisions and measurements out. Pure: no I/O, no async runtime.
//!
//! - [`policy`]: inventory position, safety stock, reorder point and order-up-to level, and the
//!   order suggestion under a continuous (s,S), periodic (R,S) or ERP-style min/max policy, with
//!   pack, MOQ, shelf-life and budget rules and structured reasons.
//! - [`classify`]: ABC by share of value, XYZ by demand variability, turnover and days of cover.
//! - [`simulate`]: replays a daily demand history under a policy (lost sales) through the same
//!   [`policy::suggest`] that serves live suggestions, and compares policies at an equal fill rate.

#![warn(missing_docs)]

pub mod classify;
pub mod policy;
pub mod simulate;

pub use classify::{
    Abc, AbcCuts, Xyz, XyzCuts, abc, coefficient_of_variation, days_of_cover, period_totals, turnover, xyz,
};
pub use policy::{
    DemandView, InputError, ItemInputs, Policy, Reason, ServiceTargets, Suggestion, eoq, explain_en, suggest,
};
pub use simulate::{
    CompareError, Comparison, Costs, DayRecord, LeadTimes, SimConfig, SimError, SimReport, compare_at_equal_fill_rate,
    inventory_at_fill_rate, simulate, simulate_traced,
};
