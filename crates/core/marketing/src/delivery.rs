//! Delivery rules for personalised messages: which channel, when in the customer's local day,
//! how often, and which campaign wins when several want the same customer.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use retail_domain::customer::{Channel, Consent};
use serde::{Deserialize, Serialize};

/// Whether the customer agreed to messages on `channel`.
pub fn consents_to(consent: &Consent, channel: Channel) -> bool {
    match channel {
        Channel::Sms => consent.sms,
        Channel::Email => consent.email,
        Channel::Push => consent.push,
        Channel::Wechat => consent.wechat,
    }
}

/// Why a customer cannot be sent a campaign's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Blocked {
    /// The customer consented to none of the campaign's channels.
    #[error("the customer consented to none of the campaign's channels")]
    NoConsent,
    /// The customer consented to some of the campaign's channels but unsubscribed from all of them.
    #[error("the customer unsubscribed from every channel of the campaign they consented to")]
    OptedOut,
    /// The campaign uses no channel.
    #[error("the campaign uses no channel")]
    NoChannel,
}

/// The channel to send on: the customer's preferred channels in their order, then the
/// campaign's own in its order, taking the first the campaign uses, the customer consented to
/// and has not unsubscribed from.
pub fn choose_channel(
    consent: &Consent,
    preferred_channels: &[Channel],
    campaign_channels: &[Channel],
    unsubscribed_channels: &[Channel],
) -> Result<Channel, Blocked> {
    if campaign_channels.is_empty() {
        return Err(Blocked::NoChannel);
    }
    let reachable = |channel: &&Channel| {
        campaign_channels.contains(channel)
            && consents_to(consent, **channel)
            && !unsubscribed_channels.contains(channel)
    };
    if let Some(&channel) = preferred_channels.iter().chain(campaign_channels).find(reachable) {
        return Ok(channel);
    }
    if campaign_channels.iter().any(|&channel| consents_to(consent, channel)) {
        Err(Blocked::OptedOut)
    } else {
        Err(Blocked::NoConsent)
    }
}

/// The local hours messages may arrive: from `start_hour`:00 up to, not including,
/// `end_hour`:00. A window with `start_hour > end_hour` spans midnight (22 to 6 is the night).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalWindow {
    /// 0 to 23.
    pub start_hour: u8,
    /// 1 to 24; 24 is midnight at the end of the day.
    pub end_hour: u8,
}

impl LocalWindow {
    fn validate(&self) -> Result<(), DeliveryError> {
        let valid = self.start_hour < 24 && (1..=24).contains(&self.end_hour) && self.start_hour != self.end_hour;
        if valid { Ok(()) } else { Err(DeliveryError::InvalidWindow(*self)) }
    }

    fn contains(&self, hour: u32) -> bool {
        let (start, end) = (u32::from(self.start_hour), u32::from(self.end_hour));
        if start < end { start <= hour && hour < end } else { hour >= start || hour < end }
    }
}

/// Why a send time cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("unknown time zone `{0}`: expected an IANA name such as Asia/Shanghai")]
    UnknownTimeZone(String),
    #[error("invalid window {}:00 to {}:00: hours run 0 to 24 and the window must not be empty", .0.start_hour, .0.end_hour)]
    InvalidWindow(LocalWindow),
}

/// The first instant at or after `planned` that falls inside `allowed` hours in the IANA time zone
/// `time_zone`. Daylight-saving safe: a window opening inside a skipped hour opens when the
/// clocks jump, and one opening in a repeated hour opens at its first occurrence.
pub fn send_time(
    planned: DateTime<Utc>,
    time_zone: &str,
    allowed: LocalWindow,
) -> Result<DateTime<Utc>, DeliveryError> {
    allowed.validate()?;
    let zone: Tz = time_zone.parse().map_err(|_| DeliveryError::UnknownTimeZone(time_zone.to_string()))?;
    let opening = NaiveTime::from_hms_opt(u32::from(allowed.start_hour), 0, 0).expect("validated hour");
    let mut candidate = planned;
    // Each pass moves to the next opening; a valid window is reached by the second day even
    // when a clock change swallows its first hour.
    loop {
        let local = candidate.with_timezone(&zone);
        if allowed.contains(local.hour()) {
            return Ok(candidate);
        }
        let mut next_opening = local.date_naive().and_time(opening);
        if next_opening <= local.naive_local() {
            next_opening += Duration::days(1);
        }
        candidate = first_instant_at_or_after(zone, next_opening);
    }
}

/// The first instant whose local time in `zone` is at or after `local`.
fn first_instant_at_or_after(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => instant.with_timezone(&Utc),
        LocalResult::Ambiguous(earliest, _) => earliest.with_timezone(&Utc),
        LocalResult::None => {
            // `local` lies in a gap: the answer is the instant the clocks jump, a whole second.
            // Gaps last less than a day, and within a day of one the local time rises with
            // the instant, so bisect over the seconds of the day on either side.
            let is_after = |seconds: i64| {
                DateTime::from_timestamp(seconds, 0)
                    .is_some_and(|instant| instant.with_timezone(&zone).naive_local() >= local)
            };
            let naive_seconds = local.and_utc().timestamp();
            let (mut before, mut after) = (naive_seconds - SECONDS_PER_DAY, naive_seconds + SECONDS_PER_DAY);
            while after - before > 1 {
                let middle = before + (after - before) / 2;
                if is_after(middle) { after = middle } else { before = middle }
            }
            DateTime::from_timestamp(after, 0).expect("within a day of a valid local time")
        }
    }
}

const SECONDS_PER_DAY: i64 = 86_400;

/// At most `max_messages` messages in any `per_days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrequencyCap {
    pub max_messages: u32,
    pub per_days: u32,
}

impl FrequencyCap {
    /// How many more messages may be sent at `at`, given the earlier sends: those in the
    /// `per_days` days up to `at` count against the cap.
    pub fn remaining(&self, previous_sends: &[DateTime<Utc>], at: DateTime<Utc>) -> u32 {
        let window_start = at - Duration::days(i64::from(self.per_days));
        let recent = previous_sends.iter().filter(|&&sent| window_start < sent && sent <= at).count();
        self.max_messages.saturating_sub(u32::try_from(recent).unwrap_or(u32::MAX))
    }

    /// Whether one more message may be sent at `at`.
    pub fn allows(&self, previous_sends: &[DateTime<Utc>], at: DateTime<Utc>) -> bool {
        self.remaining(previous_sends, at) > 0
    }
}

/// A campaign wanting to message a customer. A campaign claims a customer at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub campaign_id: String,
    /// Higher wins.
    pub priority: i32,
    pub customer_id: String,
}

/// What became of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimOutcome {
    Send,
    /// Higher-priority campaigns took the messages the cap left for the customer.
    Outranked,
    /// Earlier sends already reached the cap.
    CapReached,
}

/// Resolves the claims of one send time `at` under `cap`: for each customer, the campaigns of
/// highest priority get the messages their earlier sends leave under the cap. Ties go to the
/// smaller campaign id, so the outcome does not depend on the order of the claims. The outcomes
/// are in the order of `claims`.
pub fn resolve_claims(
    claims: &[Claim],
    cap: &FrequencyCap,
    previous_sends: &HashMap<String, Vec<DateTime<Utc>>>,
    at: DateTime<Utc>,
) -> Vec<ClaimOutcome> {
    let mut by_customer: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, claim) in claims.iter().enumerate() {
        by_customer.entry(&claim.customer_id).or_default().push(index);
    }
    let mut outcomes = vec![ClaimOutcome::Send; claims.len()];
    for (customer_id, mut indices) in by_customer {
        let sends = previous_sends.get(customer_id).map_or(&[][..], Vec::as_slice);
        let remaining = cap.remaining(sends, at) as usize;
        indices.sort_by_key(|&index| (Reverse(claims[index].priority), &claims[index].campaign_id));
        for &index in &indices[remaining.min(indices.len())..] {
            outcomes[index] = if remaining == 0 { ClaimOutcome::CapReached } else { ClaimOutcome::Outranked };
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    const DAYTIME: LocalWindow = LocalWindow { start_hour: 9, end_hour: 21 };

    #[test]
    fn shanghai_quiet_hours_run_across_midnight() {
        // 23:30 in Shanghai (UTC+8): quiet until 09:00 the next morning.
        assert_eq!(send_time(utc("2024-03-01T15:30:00Z"), "Asia/Shanghai", DAYTIME), Ok(utc("2024-03-02T01:00:00Z")));
        // 02:00 in Shanghai: the same morning.
        assert_eq!(send_time(utc("2024-03-01T18:00:00Z"), "Asia/Shanghai", DAYTIME), Ok(utc("2024-03-02T01:00:00Z")));
        // 10:15 in Shanghai: now.
        assert_eq!(send_time(utc("2024-03-02T02:15:00Z"), "Asia/Shanghai", DAYTIME), Ok(utc("2024-03-02T02:15:00Z")));
        // 21:00 sharp is already quiet.
        assert_eq!(send_time(utc("2024-03-02T13:00:00Z"), "Asia/Shanghai", DAYTIME), Ok(utc("2024-03-03T01:00:00Z")));
    }

    #[test]
    fn a_window_spanning_midnight_is_allowed_at_night() {
        let night = LocalWindow { start_hour: 22, end_hour: 6 };
        // 23:00 and 05:00 in Shanghai are inside; 12:00 waits for 22:00.
        assert_eq!(send_time(utc("2024-03-01T15:00:00Z"), "Asia/Shanghai", night), Ok(utc("2024-03-01T15:00:00Z")));
        assert_eq!(send_time(utc("2024-03-01T21:00:00Z"), "Asia/Shanghai", night), Ok(utc("2024-03-01T21:00:00Z")));
        assert_eq!(send_time(utc("2024-03-01T04:00:00Z"), "Asia/Shanghai", night), Ok(utc("2024-03-01T14:00:00Z")));
    }

    #[test]
    fn new_york_daylight_saving_transitions() {
        // Spring forward on 10 March 2024: 02:00 EST becomes 03:00 EDT. A window opening at
        // 02:00 opens at the jump, 07:00 UTC.
        let small_hours = LocalWindow { start_hour: 2, end_hour: 5 };
        assert_eq!(
            send_time(utc("2024-03-10T05:30:00Z"), "America/New_York", small_hours),
            Ok(utc("2024-03-10T07:00:00Z"))
        );
        // 09:00 the day after the jump is 13:00 UTC, the day before 14:00 UTC.
        assert_eq!(
            send_time(utc("2024-03-09T03:00:00Z"), "America/New_York", DAYTIME),
            Ok(utc("2024-03-09T14:00:00Z"))
        );
        assert_eq!(
            send_time(utc("2024-03-10T03:00:00Z"), "America/New_York", DAYTIME),
            Ok(utc("2024-03-10T13:00:00Z"))
        );
        // A window wholly inside the skipped hour is met the next day.
        let skipped = LocalWindow { start_hour: 2, end_hour: 3 };
        assert_eq!(
            send_time(utc("2024-03-10T05:30:00Z"), "America/New_York", skipped),
            Ok(utc("2024-03-11T06:00:00Z"))
        );
        // Fall back on 3 November 2024: 01:00 happens twice; the window opens at the first.
        let one_am = LocalWindow { start_hour: 1, end_hour: 2 };
        assert_eq!(send_time(utc("2024-11-03T04:00:00Z"), "America/New_York", one_am), Ok(utc("2024-11-03T05:00:00Z")));
        // The second 01:00 (06:00 UTC) is also inside the window.
        assert_eq!(send_time(utc("2024-11-03T06:10:00Z"), "America/New_York", one_am), Ok(utc("2024-11-03T06:10:00Z")));
    }

    #[test]
    fn bad_zones_and_windows_are_errors() {
        let now = utc("2024-03-01T00:00:00Z");
        assert_eq!(send_time(now, "Mars/Olympus", DAYTIME), Err(DeliveryError::UnknownTimeZone("Mars/Olympus".into())));
        let empty = LocalWindow { start_hour: 9, end_hour: 9 };
        assert_eq!(send_time(now, "UTC", empty), Err(DeliveryError::InvalidWindow(empty)));
        let late = LocalWindow { start_hour: 24, end_hour: 3 };
        assert_eq!(send_time(now, "UTC", late), Err(DeliveryError::InvalidWindow(late)));
    }

    proptest! {
        #[test]
        fn send_time_is_the_first_allowed_instant(
            seconds in 1_600_000_000i64..1_800_000_000,
            start_hour in 0u8..24,
            end_hour in 1u8..=24,
            zone in prop::sample::select(vec!["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"]),
        ) {
            prop_assume!(start_hour != end_hour);
            let window = LocalWindow { start_hour, end_hour };
            let planned = Utc.timestamp_opt(seconds, 0).unwrap();
            let sent = send_time(planned, zone, window).unwrap();
            let tz: Tz = zone.parse().unwrap();
            prop_assert!(sent >= planned);
            prop_assert!(window.contains(sent.with_timezone(&tz).hour()));
            prop_assert!(sent - planned <= Duration::days(2));
            // Nothing allowed in between, checked every 15 minutes.
            let mut probe = planned;
            while probe + Duration::minutes(15) <= sent {
                prop_assert!(!window.contains(probe.with_timezone(&tz).hour()));
                probe += Duration::minutes(15);
            }
        }
    }

    #[test]
    fn channels_follow_preference_then_fall_back() {
        use Channel::*;
        let consent = Consent { sms: true, push: true, wechat: true, ..Consent::default() };
        assert_eq!(choose_channel(&consent, &[Wechat, Sms], &[Sms, Wechat], &[]), Ok(Wechat));
        // WeChat unsubscribed: the next preferred one.
        assert_eq!(choose_channel(&consent, &[Wechat, Sms], &[Sms, Wechat], &[Wechat]), Ok(Sms));
        // The campaign does not use the preferred e-mail (not consented either): its own push.
        assert_eq!(choose_channel(&consent, &[Email], &[Email, Push], &[]), Ok(Push));
        assert_eq!(choose_channel(&consent, &[], &[Email], &[]), Err(Blocked::NoConsent));
        assert_eq!(choose_channel(&consent, &[Sms], &[Sms, Email], &[Sms]), Err(Blocked::OptedOut));
        assert_eq!(choose_channel(&consent, &[Sms], &[], &[]), Err(Blocked::NoChannel));
    }

    #[test]
    fn the_frequency_cap_counts_a_rolling_window() {
        let cap = FrequencyCap { max_messages: 2, per_days: 7 };
        let at = utc("2024-03-10T12:00:00Z");
        let sends = [utc("2024-03-03T12:00:00Z"), utc("2024-03-05T12:00:00Z")];
        // The first is exactly 7 days old, out of the window.
        assert!(cap.allows(&sends, at));
        assert!(!cap.allows(&[sends[1], utc("2024-03-09T00:00:00Z")], at));
        assert!(cap.allows(&[], at));
        assert!(!FrequencyCap { max_messages: 0, per_days: 1 }.allows(&[], at));
    }

    #[test]
    fn the_highest_priority_campaigns_win_under_the_cap() {
        let claim = |campaign: &str, priority, customer: &str| Claim {
            campaign_id: campaign.into(),
            priority,
            customer_id: customer.into(),
        };
        let claims = [
            claim("spring-sale", 1, "alice"),
            claim("vip-preview", 5, "alice"),
            claim("newsletter", 0, "alice"),
            claim("spring-sale", 1, "bob"),
            claim("vip-preview", 5, "carol"),
        ];
        let at = utc("2024-03-10T12:00:00Z");
        let cap = FrequencyCap { max_messages: 2, per_days: 7 };
        // Bob already had two messages this week; Carol one.
        let history = HashMap::from([
            ("bob".to_string(), vec![utc("2024-03-08T12:00:00Z"), utc("2024-03-09T12:00:00Z")]),
            ("carol".to_string(), vec![utc("2024-03-09T12:00:00Z")]),
        ]);
        use ClaimOutcome::*;
        assert_eq!(resolve_claims(&claims, &cap, &history, at), [Send, Send, Outranked, CapReached, Send]);
        let one_a_day = FrequencyCap { max_messages: 1, per_days: 1 };
        assert_eq!(resolve_claims(&claims, &one_a_day, &HashMap::new(), at), [Outranked, Send, Outranked, Send, Send]);
    }
}
