//! The service layer of the retail platform: configuration, wiring of the
//! storage, cache and bus adapters, and the operations that the HTTP API and the
//! CLI share (so both behave the same and handlers stay thin).

pub mod access;
pub mod assistant;
pub mod cells;
pub mod config;
pub mod demo;
pub mod experiments;
pub mod ids;
pub mod import;
pub mod logistics;
pub mod marketing;
pub mod planning;
pub mod platform;
pub mod recommend;
pub mod reports;
pub mod service;
pub mod simulate;
pub mod strategies;
pub mod testing;
pub mod users;

pub use config::Config;
pub use platform::{Health, JobStatus, Platform, PlatformError};
pub use service::{ServiceError, ServiceResult};
