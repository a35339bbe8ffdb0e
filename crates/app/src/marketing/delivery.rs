//! The sender: leases due messages from the store's marketing outbox, checks consent and
//! opt-outs once more at send time, hands each to its channel's adapter, and records the
//! outcome: sent, tried again later with a growing delay, or failed for good. A message is
//! leased by one sender at a time on any number of replicas; one whose sender died is leased
//! again when the lease runs out, and keeps its id so the receiver can tell.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use retail_domain::{Channel, Customer, EntityKind};
use retail_marketing::delivery::consents_to;
use retail_store::{DeliveryOutcome, OutgoingMessage};
use serde::Serialize;

use super::channels::{ChannelAdapter, LogAdapter, SendError, SmtpAdapter, WebhookAdapter};
use crate::config::Config;
use crate::platform::Platform;
use crate::service::ServiceResult;

/// After this many attempts a transient failure counts as final.
pub const MAX_ATTEMPTS: i64 = 6;
/// How long a sender holds a message before another may take it.
const LEASE_MS: i64 = 120_000;
/// The first retry's delay, doubled for each further attempt up to `MAX_RETRY_DELAY_MS`.
const FIRST_RETRY_DELAY_MS: i64 = 30_000;
const MAX_RETRY_DELAY_MS: i64 = 3_600_000;

/// The adapters this process delivers through, chosen from the configuration.
pub struct Adapters {
    email: Arc<dyn ChannelAdapter>,
    others: Arc<dyn ChannelAdapter>,
    unsubscribe_base: String,
}

impl Adapters {
    /// E-mail over SMTP and the other channels through the webhook when configured; the log
    /// adapter otherwise.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let m = &config.marketing;
        let log_path = if m.log_file.is_absolute() { m.log_file.clone() } else { config.data_dir.join(&m.log_file) };
        let log: Arc<dyn ChannelAdapter> = Arc::new(LogAdapter::new(log_path));
        let email: Arc<dyn ChannelAdapter> =
            if m.smtp.is_empty() { log.clone() } else { Arc::new(SmtpAdapter::new(&m.smtp, &m.sender)?) };
        let others: Arc<dyn ChannelAdapter> =
            if m.webhook_url.is_empty() { log } else { Arc::new(WebhookAdapter::new(&m.webhook_url)?) };
        Ok(Adapters { email, others, unsubscribe_base: m.public_url.clone() })
    }

    /// The adapter of a channel's messages.
    pub fn for_channel(&self, channel: &str) -> &Arc<dyn ChannelAdapter> {
        if channel == "email" { &self.email } else { &self.others }
    }
}

/// What one pass of the sender did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Not sent because the customer opted out or withdrew consent after the plan.
    pub suppressed: usize,
}

fn retry_delay_ms(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    FIRST_RETRY_DELAY_MS.saturating_mul(1 << doublings).min(MAX_RETRY_DELAY_MS)
}

/// The outcome of one adapter result.
fn outcome(result: Result<(), SendError>, attempts: i64, now_ms: i64) -> DeliveryOutcome {
    match result {
        Ok(()) => DeliveryOutcome::Sent { at_ms: now_ms },
        Err(e) if e.permanent || attempts >= MAX_ATTEMPTS => DeliveryOutcome::Failed { error: e.message },
        Err(e) => DeliveryOutcome::Retry { next_at_ms: now_ms + retry_delay_ms(attempts), error: e.message },
    }
}

/// Why a message planned earlier may no longer go out, if it may not.
fn still_allowed(
    customer: Option<&Customer>,
    opted_out: &HashSet<(String, String)>,
    m: &OutgoingMessage,
) -> Option<String> {
    let Some(customer) = customer else { return Some("the customer was deleted".into()) };
    if opted_out.contains(&(m.customer_id.clone(), "all".into()))
        || opted_out.contains(&(m.customer_id.clone(), m.channel.clone()))
    {
        return Some(format!("the customer unsubscribed from {}", m.channel));
    }
    let consented = serde_json::from_value::<Channel>(m.channel.as_str().into())
        .is_ok_and(|channel| consents_to(&customer.consent, channel));
    (!consented).then(|| format!("the customer withdrew consent to {}", m.channel))
}

/// Delivers up to `batch` due messages once.
pub async fn deliver_due(p: &Platform, adapters: &Adapters, now_ms: i64, batch: u32) -> ServiceResult<DeliveryReport> {
    let claimed = p.store.claim_messages(now_ms, now_ms + LEASE_MS, batch).await?;
    let mut report = DeliveryReport { claimed: claimed.len(), ..Default::default() };
    if claimed.is_empty() {
        return Ok(report);
    }
    let ids: Vec<String> = claimed.iter().map(|m| m.customer_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let customers: HashMap<String, Customer> = customers_by_id(p, &ids).await?;
    let opted_out: HashSet<(String, String)> =
        p.store.opt_outs(Some(&ids)).await?.into_iter().map(|o| (o.customer_id, o.channel)).collect();
    let mut outcomes = Vec::with_capacity(claimed.len());
    let mut by_adapter: BTreeMap<&'static str, (Arc<dyn ChannelAdapter>, Vec<OutgoingMessage>)> = BTreeMap::new();
    for m in claimed {
        if let Some(reason) = still_allowed(customers.get(&m.customer_id), &opted_out, &m) {
            report.suppressed += 1;
            outcomes.push((m.message_id, DeliveryOutcome::Suppressed { reason }));
            continue;
        }
        let adapter = adapters.for_channel(&m.channel);
        by_adapter.entry(adapter.name()).or_insert_with(|| (adapter.clone(), Vec::new())).1.push(m);
    }
    for (adapter, messages) in by_adapter.into_values() {
        let results = adapter.send(&messages, &adapters.unsubscribe_base).await;
        for (m, result) in messages.into_iter().zip(results) {
            let o = outcome(result, m.attempts, now_ms);
            match &o {
                DeliveryOutcome::Sent { .. } => report.sent += 1,
                DeliveryOutcome::Retry { .. } => report.retried += 1,
                DeliveryOutcome::Failed { .. } => report.failed += 1,
                DeliveryOutcome::Suppressed { .. } => report.suppressed += 1,
            }
            outcomes.push((m.message_id, o));
        }
    }
    p.store.finish_messages(&outcomes).await?;
    Ok(report)
}

/// Delivers until nothing is due now; the sum of the passes.
pub async fn deliver_all_due(p: &Platform, adapters: &Adapters, batch: u32) -> ServiceResult<DeliveryReport> {
    let mut total = DeliveryReport::default();
    loop {
        let pass = deliver_due(p, adapters, chrono::Utc::now().timestamp_millis(), batch).await?;
        if pass.claimed == 0 {
            return Ok(total);
        }
        total.claimed += pass.claimed;
        total.sent += pass.sent;
        total.retried += pass.retried;
        total.failed += pass.failed;
        total.suppressed += pass.suppressed;
    }
}

/// Every few seconds: delivers what is due, closes campaigns whose messages have all left, and
/// refreshes segments on their schedule.
pub fn spawn_sender(p: std::sync::Arc<Platform>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let adapters = match Adapters::from_config(&p.config) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(error = %e, "marketing messages will not be sent");
                return;
            }
        };
        let mut ticks = 0u64;
        loop {
            match deliver_all_due(&p, &adapters, 500).await {
                Ok(r) if r.claimed > 0 => tracing::info!(?r, "marketing messages delivered"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "delivering marketing messages failed"),
            }
            if let Err(e) = super::close_sent(&p).await {
                tracing::warn!(error = %e, "closing sent campaigns failed");
            }
            // Segments are checked once a minute; each says how often it refreshes.
            if ticks.is_multiple_of(12)
                && let Err(e) = super::refresh_due(&p).await
            {
                tracing::warn!(error = %e, "refreshing segments failed");
            }
            ticks += 1;
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    })
}

/// Customers by id, as stored.
pub(super) async fn customers_by_id(p: &Platform, ids: &[String]) -> ServiceResult<HashMap<String, Customer>> {
    let docs = p.store.get_docs(EntityKind::Customer, ids).await?;
    docs.into_iter()
        .map(|d| {
            let customer: Customer = serde_json::from_value(d.doc).map_err(|e| {
                crate::service::ServiceError::Internal(format!("stored customer {}: {e}", d.external_id))
            })?;
            Ok((d.external_id, customer))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_give_up() {
        assert_eq!(retry_delay_ms(1), 30_000);
        assert_eq!(retry_delay_ms(2), 60_000);
        assert_eq!(retry_delay_ms(30), MAX_RETRY_DELAY_MS);
        let busy = || Err(SendError { permanent: false, message: "421 busy".into() });
        assert!(matches!(outcome(busy(), 1, 0), DeliveryOutcome::Retry { next_at_ms: 30_000, .. }));
        assert!(matches!(outcome(busy(), MAX_ATTEMPTS, 0), DeliveryOutcome::Failed { .. }));
        let refused = Err(SendError { permanent: true, message: "550 no such user".into() });
        assert!(matches!(outcome(refused, 1, 0), DeliveryOutcome::Failed { .. }), "a permanent refusal is final");
        assert_eq!(outcome(Ok(()), 3, 7), DeliveryOutcome::Sent { at_ms: 7 });
    }
}
