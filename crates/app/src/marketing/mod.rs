//! Marketing: segments (rules over behaviour, RFM, clusters) refreshed on a schedule; campaigns
//! planned over a segment (eligibility by consent and opt-out, frequency caps and priority,
//! targeting by uplift under a budget, a hold-out by stable hashing, personalised products and
//! messages), launched into the message outbox the channel adapters deliver from, and measured
//! against their hold-out.

pub mod channels;
pub mod delivery;
pub mod demo;
pub mod population;
pub mod uplift;

mod campaigns;
mod segments;

pub use campaigns::*;
pub use segments::*;

use chrono::{DateTime, Utc};

use crate::access::ms_to_time;

fn time_of(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.map(ms_to_time)
}

/// An id as the platform accepts retailers' codes: 1–64 letters, digits, `-`, `_`, `.` or `:`.
fn check_id(field: &str, id: &str) -> crate::service::ServiceResult<()> {
    let ok = !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if ok { Ok(()) } else { Err(crate::service::invalid(field, "use 1 to 64 letters, digits, '-', '_', '.' or ':'")) }
}
