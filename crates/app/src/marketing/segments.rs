//! Segments: a rule over customers' behaviour, consent and RFM segment, its members refreshed
//! on a schedule with the size history kept; the RFM overview and behaviour clusters of the
//! whole customer base.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use retail_domain::Text;
use retail_marketing::cluster::{ClusterConfig, ClusterProfile};
use retail_marketing::rfm::{RfmScore, RfmSegment, score_population};
use retail_marketing::rules::Rule;
use retail_marketing::{CustomerFeatures, Language};
use retail_store::{SegmentMember, SegmentRecord};
use serde::{Deserialize, Serialize};

use super::population::{self, Population};
use super::{check_id, time_of};
use crate::access::ms_to_time;
use crate::platform::Platform;
use crate::service::{ServiceError, ServiceResult, invalid};

/// Longest refresh interval: a month.
const MAX_REFRESH_HOURS: u32 = 24 * 31;

/// A segment as a marketer defines it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    pub name: String,
    pub rule: Rule,
    /// Hours between automatic refreshes; 0 refreshes only by hand.
    #[serde(default = "default_refresh_hours")]
    pub refresh_hours: u32,
}

fn default_refresh_hours() -> u32 {
    24
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Segment {
    pub segment_id: String,
    pub name: String,
    pub rule: Rule,
    /// The rule in words.
    pub description: Text,
    pub refresh_hours: u32,
    pub size: i64,
    /// The members' spend over the last year.
    pub value_minor: i64,
    pub refreshed_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentSize {
    pub at: DateTime<Utc>,
    pub size: i64,
    pub value_minor: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentDetail {
    #[serde(flatten)]
    pub segment: Segment,
    /// Sizes at each refresh, oldest first.
    pub history: Vec<SegmentSize>,
    /// The members by RFM segment, largest first.
    pub by_rfm: Vec<RfmCount>,
    /// The first members, by id.
    pub sample: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RfmCount {
    pub segment: RfmSegment,
    pub label: Text,
    pub customers: u64,
    pub value_minor: i64,
}

/// What a rule would select now, without saving it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentPreview {
    pub size: u64,
    pub value_minor: i64,
    pub description: Text,
    pub by_rfm: Vec<RfmCount>,
}

/// The behaviour clusters of all customers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Clusters {
    pub k: usize,
    pub customers: usize,
    pub silhouette: Option<f64>,
    pub profiles: Vec<ClusterProfile>,
}

fn describe(rule: &Rule) -> Text {
    Text::new(rule.describe(Language::Zh), rule.describe(Language::En))
}

fn rfm_label(segment: RfmSegment) -> Text {
    Text::new(segment.label(Language::Zh), segment.label(Language::En))
}

fn segment_view(r: SegmentRecord) -> ServiceResult<Segment> {
    let rule: Rule = serde_json::from_str(&r.definition)
        .map_err(|e| ServiceError::Internal(format!("stored segment {}: {e}", r.segment_id)))?;
    Ok(Segment {
        description: describe(&rule),
        segment_id: r.segment_id,
        name: r.name,
        rule,
        refresh_hours: u32::try_from(r.refresh_hours).unwrap_or(0),
        size: r.size,
        value_minor: r.value_minor,
        refreshed_at: time_of(r.refreshed_at_ms),
        created_by: r.created_by,
        updated_at: ms_to_time(r.updated_at_ms),
    })
}

fn check_rule(rule: &Rule) -> ServiceResult<()> {
    rule.validate()
        .map_err(|errors| invalid("rule", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))
}

/// The population with its RFM scores.
pub(super) struct Scored {
    pub population: Population,
    pub rfm: Vec<RfmScore>,
}

pub(super) async fn scored_population(p: &Platform, now: DateTime<Utc>) -> ServiceResult<Scored> {
    let population = population::load(p, now).await?;
    let rfm = score_population(&population.features);
    Ok(Scored { population, rfm })
}

impl Scored {
    /// Indexes of the customers the rule selects.
    pub fn select(&self, rule: &Rule) -> Vec<usize> {
        let features = &self.population.features;
        (0..features.len()).filter(|&i| rule.matches(&features[i], Some(&self.rfm[i]))).collect()
    }

    pub fn features(&self, i: usize) -> &CustomerFeatures {
        &self.population.features[i]
    }

    fn by_rfm(&self, members: &[usize]) -> Vec<RfmCount> {
        let mut counts: BTreeMap<RfmSegment, (u64, i64)> = BTreeMap::new();
        for &i in members {
            let entry = counts.entry(self.rfm[i].segment()).or_default();
            entry.0 += 1;
            entry.1 += self.features(i).spend_365d_minor;
        }
        let mut rows: Vec<RfmCount> = counts
            .into_iter()
            .map(|(segment, (customers, value_minor))| RfmCount {
                segment,
                label: rfm_label(segment),
                customers,
                value_minor,
            })
            .collect();
        rows.sort_by(|a, b| b.customers.cmp(&a.customers).then(a.segment.cmp(&b.segment)));
        rows
    }

    fn value(&self, members: &[usize]) -> i64 {
        members.iter().map(|&i| self.features(i).spend_365d_minor).sum()
    }
}

/// Creates or changes a segment and refreshes it at once.
pub async fn save_segment(p: &Platform, segment_id: &str, input: SegmentInput, by: &str) -> ServiceResult<Segment> {
    check_id("segment_id", segment_id)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "must be 1 to 100 characters"));
    }
    check_rule(&input.rule)?;
    if input.refresh_hours > MAX_REFRESH_HOURS {
        return Err(invalid("refresh_hours", format!("must be at most {MAX_REFRESH_HOURS}")));
    }
    let now = Utc::now().timestamp_millis();
    let existing = p.store.get_segment(segment_id).await?;
    let record = SegmentRecord {
        segment_id: segment_id.to_string(),
        name: name.to_string(),
        definition: serde_json::to_string(&input.rule).map_err(|e| ServiceError::Internal(e.to_string()))?,
        refresh_hours: i64::from(input.refresh_hours),
        size: 0,
        value_minor: 0,
        refreshed_at_ms: None,
        created_at_ms: existing.as_ref().map_or(now, |e| e.created_at_ms),
        updated_at_ms: now,
        created_by: existing.map_or_else(|| by.to_string(), |e| e.created_by),
    };
    p.store.save_segment(&record).await?;
    refresh_segment(p, segment_id).await
}

/// Recomputes a segment's members now.
pub async fn refresh_segment(p: &Platform, segment_id: &str) -> ServiceResult<Segment> {
    let record = get_record(p, segment_id).await?;
    let rule = segment_view(record)?.rule;
    let now = Utc::now();
    let scored = scored_population(p, now).await?;
    let members = scored.select(&rule);
    let rows: Vec<SegmentMember> = members
        .iter()
        .map(|&i| SegmentMember {
            customer_id: scored.features(i).customer_id.clone(),
            label: serde_json::to_value(scored.rfm[i].segment()).ok().and_then(|v| v.as_str().map(str::to_string)),
        })
        .collect();
    if !p.store.refresh_segment(segment_id, &rows, scored.value(&members), now.timestamp_millis()).await? {
        return Err(ServiceError::NotFound { kind: "segment", id: segment_id.to_string() });
    }
    segment_view(get_record(p, segment_id).await?)
}

/// Refreshes every segment whose interval has passed; how many.
pub async fn refresh_due(p: &Platform) -> ServiceResult<usize> {
    let now = Utc::now().timestamp_millis();
    let mut refreshed = 0;
    for s in p.store.list_segments().await? {
        let due = s.refresh_hours > 0 && s.refreshed_at_ms.is_none_or(|at| at + s.refresh_hours * 3_600_000 <= now);
        if due {
            refresh_segment(p, &s.segment_id).await?;
            refreshed += 1;
        }
    }
    Ok(refreshed)
}

async fn get_record(p: &Platform, segment_id: &str) -> ServiceResult<SegmentRecord> {
    p.store
        .get_segment(segment_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound { kind: "segment", id: segment_id.to_string() })
}

pub async fn list_segments(p: &Platform) -> ServiceResult<Vec<Segment>> {
    p.store.list_segments().await?.into_iter().map(segment_view).collect()
}

/// A segment with its history and its members' make-up.
pub async fn segment(p: &Platform, segment_id: &str) -> ServiceResult<SegmentDetail> {
    let segment = segment_view(get_record(p, segment_id).await?)?;
    let history = p
        .store
        .segment_history(segment_id, 365)
        .await?
        .into_iter()
        .map(|h| SegmentSize { at: ms_to_time(h.at_ms), size: h.size, value_minor: h.value_minor })
        .collect();
    let members = p.store.segment_members(segment_id).await?;
    let mut by_label: BTreeMap<RfmSegment, u64> = BTreeMap::new();
    for m in &members {
        if let Some(segment) = m.label.as_ref().and_then(|l| serde_json::from_value(l.as_str().into()).ok()) {
            *by_label.entry(segment).or_default() += 1;
        }
    }
    let mut by_rfm: Vec<RfmCount> = by_label
        .into_iter()
        .map(|(s, customers)| RfmCount { segment: s, label: rfm_label(s), customers, value_minor: 0 })
        .collect();
    by_rfm.sort_by_key(|r| std::cmp::Reverse(r.customers));
    let sample = members.into_iter().take(20).map(|m| m.customer_id).collect();
    Ok(SegmentDetail { segment, history, by_rfm, sample })
}

/// Deletes a segment no open campaign uses.
pub async fn delete_segment(p: &Platform, segment_id: &str) -> ServiceResult<()> {
    for c in p.store.list_campaigns(1000).await? {
        if c.segment_id == segment_id && matches!(c.status.as_str(), "draft" | "planned" | "sending") {
            return Err(ServiceError::Conflict(format!(
                "campaign '{}' ({}) uses segment '{segment_id}'",
                c.campaign_id, c.status
            )));
        }
    }
    if p.store.delete_segment(segment_id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound { kind: "segment", id: segment_id.to_string() })
    }
}

/// What a rule selects now.
pub async fn preview_segment(p: &Platform, rule: &Rule) -> ServiceResult<SegmentPreview> {
    check_rule(rule)?;
    let scored = scored_population(p, Utc::now()).await?;
    let members = scored.select(rule);
    Ok(SegmentPreview {
        size: members.len() as u64,
        value_minor: scored.value(&members),
        description: describe(rule),
        by_rfm: scored.by_rfm(&members),
    })
}

/// Every customer by RFM segment.
pub async fn rfm_overview(p: &Platform) -> ServiceResult<Vec<RfmCount>> {
    let scored = scored_population(p, Utc::now()).await?;
    let all: Vec<usize> = (0..scored.population.features.len()).collect();
    Ok(scored.by_rfm(&all))
}

/// Behaviour clusters of the customers who ordered in the last year.
pub async fn clusters(p: &Platform, k: Option<usize>) -> ServiceResult<Clusters> {
    if let Some(k) = k
        && !(2..=12).contains(&k)
    {
        return Err(invalid("k", "must be between 2 and 12"));
    }
    let population = population::load(p, Utc::now()).await?;
    let buyers: Vec<CustomerFeatures> =
        population.features.into_iter().filter(|c| c.days_since_last_order.is_some()).collect();
    let config = ClusterConfig { k, ..ClusterConfig::default() };
    let customers = buyers.len();
    let clustering = tokio::task::spawn_blocking(move || retail_marketing::cluster::cluster(&buyers, &config))
        .await
        .map_err(|e| ServiceError::Internal(format!("clustering: {e}")))?
        .map_err(|e| ServiceError::Conflict(format!("cannot cluster the customers: {e}")))?;
    Ok(Clusters { k: clustering.k, customers, silhouette: clustering.silhouette, profiles: clustering.profiles })
}
