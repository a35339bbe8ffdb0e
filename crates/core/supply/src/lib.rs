//! Supplier management and supply-chain cost analysis: plain input structs in, serialisable results
//! out. Pure: no I/O. Money is integer minor units (`i64`), quantities `i64`, times UTC.
//!
//! - [`geo`]: great-circle distances and road distance/time matrices from a travel model.
//! - [`scorecard`]: supplier performance (OTIF, fill rate, quality, price index, lead-time
//!   reliability), a weighted score, a band with reasons, and its trend by week or month.
//! - [`costs`]: transport cost allocated to stops and locations, inventory holding/ordering/stockout
//!   cost, landed cost allocation and purchase price variance.
//! - [`alloc`]: the largest-remainder split that keeps every allocation exact in minor units.

#![warn(missing_docs)]

pub mod alloc;
pub mod costs;
pub mod geo;
pub mod scorecard;

pub use costs::CostError;
pub use costs::inventory::{
    InventoryCost, InventoryCostRates, StockDay, StockDays, StockoutCost, inventory_cost, inventory_costs,
};
pub use costs::landed::{
    AllocationBasis, Charge, ChargeAmounts, ChargeKind, LandedCost, LandedLineCost, ShipmentLine, landed_cost,
};
pub use costs::transport::{
    LocationCost, RouteCost, RouteUsage, StopCost, StopUsage, TransportCosts, by_location, route_cost, transport_costs,
};
pub use costs::variance::{LineVariance, PoLine, PriceVariance, VarianceSummary, line_variance, price_variance};
pub use geo::{GeoError, GeoPoint, Matrices, SpeedBand, SpeedProfile, TravelModel, haversine_km, validate_matrix};
pub use scorecard::{
    Band, BandThresholds, Offer, OrderedLine, Period, PurchaseRecord, ReceiptRecord, ReceivedLine, ScoreWeights,
    Scorecard, ScorecardConfig, TrendPeriod, period_start, scorecards, trend,
};
