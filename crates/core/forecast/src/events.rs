//! Holidays and other events, and the effects they have on daily demand: a calendar of occurrences
//! (China's retail festivals built in, a retailer's own promotions and local holidays added), effects
//! learned per event and day around it from a series' own history, and the history adjusted for
//! them before a model is fitted and the model's forecast restored with them afterwards. A univariate
//! model forecasting from a week before Mid-Autumn does not know the festival is coming; the
//! calendar does, and last year's occurrence tells how much it matters.
//!
//! Days are numbered from 1970-01-01 (day 0), as the store numbers them; [`day_number`] converts a
//! civil date without a date library.

use serde::{Deserialize, Serialize};

use crate::Forecast;

/// Days since 1970-01-01 of a civil (proleptic Gregorian) date; `month` 1–12, `day` 1–31.
pub fn day_number(year: i32, month: u32, day: u32) -> i64 {
    // Howard Hinnant's days_from_civil: years start in March so the leap day comes last.
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day number (the inverse of [`day_number`]).
pub fn civil_date(day: i64) -> (i32, u32, u32) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((yoe + era * 400 + i64::from(m <= 2)) as i32, m, d)
}

/// One kind of event and the days it falls on. Its effect is learned for each day of its window,
/// from `before` days before an occurrence to `after` days after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    /// Days before an occurrence that it moves demand (a stock-up, a pre-sale).
    pub before: u16,
    /// Days after it (the holiday week, the emptied city).
    pub after: u16,
    /// The occurrences, as day numbers.
    pub days: Vec<i64>,
}

impl Event {
    fn width(&self) -> usize {
        usize::from(self.before) + usize::from(self.after) + 1
    }
}

/// One occurrence of a retailer's own event (a promotion, a local holiday), for
/// [`EventCalendar::from_occurrences`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    pub event: String,
    /// Day number (days since 1970-01-01).
    pub day: i64,
}

/// The window a retailer's own events get unless told otherwise: a week of run-up, three days after.
pub const DEFAULT_BEFORE: u16 = 7;
pub const DEFAULT_AFTER: u16 = 3;

/// Events and their occurrences. Where the windows of two events overlap, a day counts for the one
/// listed first (in [`EventCalendar::china_retail`] the festivals with the largest effects come
/// first): with a year or two of history, effects that always overlap the same way cannot be told
/// apart, and the larger one is the one worth getting right.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventCalendar {
    events: Vec<Event>,
}

/// Spring Festival (lunar new year's day), 2016–2030.
pub const SPRING_FESTIVAL: [(i32, u32, u32); 15] = [
    (2016, 2, 8),
    (2017, 1, 28),
    (2018, 2, 16),
    (2019, 2, 5),
    (2020, 1, 25),
    (2021, 2, 12),
    (2022, 2, 1),
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
];

/// Dragon Boat Festival (5th day of the 5th lunar month), 2016–2030.
pub const DRAGON_BOAT: [(i32, u32, u32); 15] = [
    (2016, 6, 9),
    (2017, 5, 30),
    (2018, 6, 18),
    (2019, 6, 7),
    (2020, 6, 25),
    (2021, 6, 14),
    (2022, 6, 3),
    (2023, 6, 22),
    (2024, 6, 10),
    (2025, 5, 31),
    (2026, 6, 19),
    (2027, 6, 9),
    (2028, 5, 28),
    (2029, 6, 16),
    (2030, 6, 5),
];

/// Mid-Autumn Festival (15th day of the 8th lunar month), 2016–2030.
pub const MID_AUTUMN: [(i32, u32, u32); 15] = [
    (2016, 9, 15),
    (2017, 10, 4),
    (2018, 9, 24),
    (2019, 9, 13),
    (2020, 10, 1),
    (2021, 9, 21),
    (2022, 9, 10),
    (2023, 9, 29),
    (2024, 9, 17),
    (2025, 10, 6),
    (2026, 9, 25),
    (2027, 9, 15),
    (2028, 10, 3),
    (2029, 9, 22),
    (2030, 9, 12),
];

/// Qingming (the Pure Brightness solar term, tomb-sweeping day), 2016–2030.
pub const QINGMING: [(i32, u32, u32); 15] = [
    (2016, 4, 4),
    (2017, 4, 4),
    (2018, 4, 5),
    (2019, 4, 5),
    (2020, 4, 4),
    (2021, 4, 4),
    (2022, 4, 5),
    (2023, 4, 5),
    (2024, 4, 4),
    (2025, 4, 4),
    (2026, 4, 5),
    (2027, 4, 5),
    (2028, 4, 4),
    (2029, 4, 4),
    (2030, 4, 5),
];

/// The years [`EventCalendar::china_retail`] covers.
pub const CHINA_RETAIL_YEARS: std::ops::RangeInclusive<i32> = 2016..=2030;

fn days_of(table: &[(i32, u32, u32)]) -> Vec<i64> {
    table.iter().map(|&(y, m, d)| day_number(y, m, d)).collect()
}

fn every_year(month: u32, day: u32) -> Vec<i64> {
    CHINA_RETAIL_YEARS.map(|y| day_number(y, month, day)).collect()
}

impl EventCalendar {
    /// A calendar without events.
    pub fn new() -> Self {
        Self::default()
    }

    /// The festivals and shopping days that move a Chinese supermarket's demand, 2016–2030, largest
    /// effects first: Spring Festival (four weeks of stock-up, then the emptied city), the Lantern
    /// Festival, Mid-Autumn (six weeks of mooncakes), Dragon Boat (zongzi), Qingming, the National
    /// Day and Labour Day golden weeks, and the 618, Double 11 and Double 12 shopping festivals.
    pub fn china_retail() -> Self {
        let spring = days_of(&SPRING_FESTIVAL);
        // The Lantern Festival is the 15th day of the first lunar month.
        let lantern: Vec<i64> = spring.iter().map(|d| d + 14).collect();
        Self::new()
            .with_event("spring_festival", 28, 10, spring)
            .with_event("lantern_festival", 3, 2, lantern)
            .with_event("mid_autumn", 42, 3, days_of(&MID_AUTUMN))
            .with_event("dragon_boat", 10, 2, days_of(&DRAGON_BOAT))
            .with_event("qingming", 3, 2, days_of(&QINGMING))
            .with_event("national_day", 3, 7, every_year(10, 1))
            .with_event("labour_day", 3, 5, every_year(5, 1))
            .with_event("618", 17, 1, every_year(6, 18))
            .with_event("double_11", 18, 2, every_year(11, 11))
            .with_event("double_12", 3, 1, every_year(12, 12))
    }

    /// A retailer's own events, each with the default window ([`DEFAULT_BEFORE`], [`DEFAULT_AFTER`];
    /// change it with [`EventCalendar::with_event`]), in the order they first appear.
    pub fn from_occurrences<'a>(occurrences: impl IntoIterator<Item = &'a Occurrence>) -> Self {
        let mut calendar = Self::new();
        for o in occurrences {
            calendar.add(&o.event, None, [o.day]);
        }
        calendar
    }

    /// Adds an event after those already there (an existing name gets the window and more days).
    pub fn with_event(mut self, name: &str, before: u16, after: u16, days: impl IntoIterator<Item = i64>) -> Self {
        self.add(name, Some((before, after)), days);
        self
    }

    /// This calendar's events, then `other`'s (so this calendar's win where windows overlap).
    pub fn merged(mut self, other: EventCalendar) -> Self {
        for e in other.events {
            self.add(&e.name, Some((e.before, e.after)), e.days);
        }
        self
    }

    fn add(&mut self, name: &str, window: Option<(u16, u16)>, days: impl IntoIterator<Item = i64>) {
        let i = match self.events.iter().position(|e| e.name == name) {
            Some(i) => i,
            None => {
                self.events.push(Event {
                    name: name.to_string(),
                    before: DEFAULT_BEFORE,
                    after: DEFAULT_AFTER,
                    days: Vec::new(),
                });
                self.events.len() - 1
            }
        };
        let e = &mut self.events[i];
        if let Some((before, after)) = window {
            e.before = before;
            e.after = after;
        }
        e.days.extend(days);
        e.days.sort_unstable();
        e.days.dedup();
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn is_empty(&self) -> bool {
        self.events.iter().all(|e| e.days.is_empty())
    }

    /// The days of `name`, or none.
    pub fn days(&self, name: &str) -> &[i64] {
        self.events.iter().find(|e| e.name == name).map_or(&[], |e| &e.days)
    }

    /// For each of the `len` days from `first_day`: the event whose window it falls in (the first
    /// listed where windows overlap) and the occurrence's day.
    fn locate(&self, first_day: i64, len: usize) -> Vec<Option<Spot>> {
        let mut spots = vec![None; len];
        let last_day = first_day + len as i64 - 1;
        // Later events first, so earlier ones overwrite them.
        for (event, e) in self.events.iter().enumerate().rev() {
            for &day in &e.days {
                let from = (day - i64::from(e.before)).max(first_day);
                let to = (day + i64::from(e.after)).min(last_day);
                for d in from..=to {
                    spots[(d - first_day) as usize] = Some(Spot { event, occurrence: day });
                }
            }
        }
        spots
    }
}

/// Where a day lies: in the window of `event`'s occurrence on day `occurrence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spot {
    event: usize,
    occurrence: i64,
}

impl Spot {
    /// Position in the event's window (0 = `before` days before the occurrence).
    fn slot(self, calendar: &EventCalendar, day: i64) -> usize {
        (day - self.occurrence + i64::from(calendar.events[self.event].before)) as usize
    }
}

/// Effects outside these bounds are taken as errors of the baseline, not as demand.
const MIN_EFFECT: f64 = 0.01;
const MAX_EFFECT: f64 = 10_000.0;
/// The share of a series' mean its sales are shifted by before effects apply (see
/// [`EventEffects::learn`]).
pub const SHIFT: f64 = 0.05;
/// Days of history below which nothing is learned.
const MIN_HISTORY: usize = 56;
/// Ordinary days each side of an event day that its baseline level is read from, at least.
const BASELINE_DAYS: usize = 28;

/// Multiplicative effects of a calendar's events on one daily series, per event and day of its
/// window: 1 where nothing was learned.
#[derive(Debug, Clone, PartialEq)]
pub struct EventEffects<'a> {
    calendar: &'a EventCalendar,
    /// Per event, per slot of its window.
    factors: Vec<Vec<f64>>,
    /// The share of a series' mean added to it before effects apply.
    shift: f64,
}

impl<'a> EventEffects<'a> {
    /// No effects: every factor 1.
    pub fn none(calendar: &'a EventCalendar) -> Self {
        EventEffects { calendar, factors: calendar.events.iter().map(|e| vec![1.0; e.width()]).collect(), shift: SHIFT }
    }

    /// Learns the effects from `history` (daily, oldest first, ending on day `last_day`).
    ///
    /// Each occurrence whose whole window lies in the history (one still under way says nothing
    /// about how it ends) is compared, day by day, with a baseline that ignores event windows: the
    /// mean of the ordinary days around it (at least four weeks of them) times the weekday's
    /// share of a week. Both are first shifted up by a small share ([`SHIFT`]) of the series' mean,
    /// so an effect is a ratio where the series sells well and an addition where its ordinary
    /// level is next to nothing (mooncakes out of season, whose ratio to a few stray sales would
    /// be noise). An event's effect on a day of its window is that ratio summed over its
    /// occurrences, shrunk towards 1 in log space by how noisy it is: the day-to-day spread of
    /// ordinary days (scaled like a count's relative error) plus the spread of whole ordinary weeks
    /// beyond it (promotions, weather: shocks that last days), divided by the occurrences seen,
    /// against how far the event's effects spread from 1 overall (empirical Bayes, per event). An
    /// event whose effects are no larger than the noise gets none; a series without a complete
    /// occurrence in its history gets none.
    pub fn learn(calendar: &'a EventCalendar, history: &[f64], last_day: i64) -> Self {
        let mut effects = Self::none(calendar);
        let y: Vec<f64> = history.iter().map(|&v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
        let n = y.len();
        if n < MIN_HISTORY || calendar.is_empty() {
            return effects;
        }
        let first_day = last_day - n as i64 + 1;
        let spots = calendar.locate(first_day, n);
        let complete = |s: &Spot| s.occurrence + i64::from(calendar.events[s.event].after) <= last_day;
        if !spots.iter().flatten().any(complete) {
            return effects;
        }
        let ordinary: Vec<bool> = spots.iter().map(Option::is_none).collect();

        // The weekday profile of ordinary days.
        let mut sums = [0.0; 7];
        let mut counts = [0usize; 7];
        for (i, &v) in y.iter().enumerate() {
            if ordinary[i] {
                let w = weekday(first_day + i as i64);
                sums[w] += v;
                counts[w] += 1;
            }
        }
        let total: f64 = sums.iter().sum();
        let days: usize = counts.iter().sum();
        // Effects act on sales shifted up by a small share of their mean: multiplicative where the
        // series sells well, additive where its ordinary level is next to nothing (mooncakes out of
        // season), where a ratio to that level would be mostly noise.
        let shift = effects.shift * y.iter().sum::<f64>() / n as f64;
        if days < 14 || shift <= 0.0 {
            return effects;
        }
        let mut profile = [1.0; 7];
        if total > 0.0 {
            let mean = total / days as f64;
            for w in 0..7 {
                if counts[w] > 0 {
                    profile[w] = (sums[w] / counts[w] as f64 / mean).clamp(0.1, 10.0);
                }
            }
        }
        let norm = profile.iter().sum::<f64>() / 7.0;
        profile.iter_mut().for_each(|p| *p /= norm);
        let shape = |i: usize| profile[weekday(first_day + i as i64)];

        // The level of ordinary days around each day, weekday-adjusted.
        let mut sum_before = vec![0.0; n + 1];
        let mut count_before = vec![0usize; n + 1];
        for i in 0..n {
            let (v, c) = if ordinary[i] { (y[i] / shape(i), 1) } else { (0.0, 0) };
            sum_before[i + 1] = sum_before[i] + v;
            count_before[i + 1] = count_before[i] + c;
        }
        let level = |i: usize| {
            let mut reach = BASELINE_DAYS / 2;
            loop {
                let (lo, hi) = (i.saturating_sub(reach), (i + reach + 1).min(n));
                let count = count_before[hi] - count_before[lo];
                if count >= BASELINE_DAYS || (lo == 0 && hi == n) {
                    return if count == 0 { 0.0 } else { (sum_before[hi] - sum_before[lo]) / count as f64 };
                }
                reach += 7;
            }
        };

        // The day-to-day noise of ordinary days around their level, in log space.
        let mut noise = 0.0;
        let mut noise_days = 0usize;
        for i in (0..n).filter(|&i| ordinary[i]) {
            let r = ((y[i] + shift) / (level(i) * shape(i) + shift)).ln();
            noise += r * r;
            noise_days += 1;
        }
        let noise = (noise / noise_days.max(1) as f64).max(1e-6);
        // Shocks that last days (a promotion, a heatwave) do not average out over a window's days:
        // their share of the spread shows in whole ordinary weeks.
        let mut weeks = 0.0;
        let mut week_count = 0usize;
        let mut i = 0;
        while i + 7 <= n {
            if ordinary[i..i + 7].iter().all(|&o| o) {
                let r = (i..i + 7).map(|j| ((y[j] + shift) / (level(j) * shape(j) + shift)).ln()).sum::<f64>() / 7.0;
                weeks += r * r;
                week_count += 1;
                i += 7;
            } else {
                i += 1;
            }
        }
        let persistent = if week_count >= 4 { (weeks / week_count as f64 - noise / 7.0).max(0.0) } else { 0.0 };

        // Sales and baseline summed per event and slot, over complete occurrences.
        let mut sold: Vec<Vec<f64>> = calendar.events.iter().map(|e| vec![0.0; e.width()]).collect();
        let mut base: Vec<Vec<f64>> = sold.clone();
        let mut seen: Vec<Vec<usize>> = calendar.events.iter().map(|e| vec![0; e.width()]).collect();
        for (i, spot) in spots.iter().enumerate() {
            let Some(spot) = spot.filter(complete) else { continue };
            let slot = spot.slot(calendar, first_day + i as i64);
            sold[spot.event][slot] += y[i] + shift;
            base[spot.event][slot] += level(i) * shape(i) + shift;
            seen[spot.event][slot] += 1;
        }
        for (event, factors) in effects.factors.iter_mut().enumerate() {
            // log effect and its error variance per slot seen
            let raw: Vec<Option<(f64, f64)>> = (0..factors.len())
                .map(|s| {
                    let k = seen[event][s];
                    if k == 0 {
                        return None;
                    }
                    let (y, b) = (sold[event][s], base[event][s]);
                    // A count's relative variance goes as 1/mean: a slot selling above its
                    // baseline is estimated more tightly than an ordinary day (and one selling
                    // nothing, far less so).
                    Some(((y / b).ln(), (noise * (b / y).min(100.0) + persistent) / k as f64))
                })
                .collect();
            let learned: Vec<(f64, f64)> = raw.iter().flatten().copied().collect();
            if learned.is_empty() {
                continue;
            }
            let m = learned.len() as f64;
            let spread = learned.iter().map(|(l, _)| l * l).sum::<f64>() / m;
            let mut errors: Vec<f64> = learned.iter().map(|(_, v)| *v).collect();
            errors.sort_unstable_by(f64::total_cmp);
            let error = errors[errors.len() / 2];
            let prior = (spread - error).max(0.0);
            if prior <= 0.0 {
                continue;
            }
            for (f, r) in factors.iter_mut().zip(&raw) {
                if let Some((l, v)) = r {
                    let shrunk = (prior / (prior + v) * l).exp();
                    if shrunk.is_finite() {
                        *f = shrunk.clamp(MIN_EFFECT, MAX_EFFECT);
                    }
                }
            }
        }
        effects
    }

    /// Whether every factor is 1.
    pub fn is_empty(&self) -> bool {
        self.factors.iter().flatten().all(|&f| f == 1.0)
    }

    /// The learned effect of `event` on the day `offset` days after its occurrence (negative:
    /// before), 1 where nothing was learned; `None` for an unknown event or a day outside its window.
    pub fn effect(&self, event: &str, offset: i64) -> Option<f64> {
        let i = self.calendar.events.iter().position(|e| e.name == event)?;
        let slot = usize::try_from(offset + i64::from(self.calendar.events[i].before)).ok()?;
        self.factors[i].get(slot).copied()
    }

    /// The factor of each of the `len` days from `first_day`.
    pub fn factors(&self, first_day: i64, len: usize) -> Vec<f64> {
        self.calendar
            .locate(first_day, len)
            .into_iter()
            .enumerate()
            .map(|(i, spot)| spot.map_or(1.0, |s| self.factors[s.event][s.slot(self.calendar, first_day + i as i64)]))
            .collect()
    }

    /// `history` (ending on day `last_day`) with the events' effects taken out: what it would have
    /// sold without them, for a model to fit; [`Adjusted::restore`] puts them into its forecast.
    /// Sales are shifted up by the share of their mean the effects were learned with, so the
    /// adjusted history stays positive and an effect on a next-to-nothing level adds rather than
    /// multiplies.
    pub fn adjust(&self, history: &[f64], last_day: i64) -> Adjusted<'_> {
        let n = history.len();
        let clean = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
        let mean = history.iter().map(|&v| clean(v)).sum::<f64>() / n.max(1) as f64;
        let shift = if self.is_empty() { 0.0 } else { self.shift * mean };
        let first_day = last_day - n as i64 + 1;
        let history = history.iter().zip(self.factors(first_day, n)).map(|(&v, f)| (clean(v) + shift) / f).collect();
        Adjusted { effects: self, history, last_day, shift }
    }
}

/// A history with events' effects taken out (see [`EventEffects::adjust`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Adjusted<'a> {
    effects: &'a EventEffects<'a>,
    /// Shifted and adjusted: positive where the history's mean is.
    pub history: Vec<f64>,
    last_day: i64,
    shift: f64,
}

impl Adjusted<'_> {
    /// Puts the events' effects into a forecast made from the adjusted history: its mean and
    /// interval bounds on each day ahead, never below zero.
    pub fn restore(&self, forecast: &mut Forecast) {
        let factors = self.effects.factors(self.last_day + 1, forecast.mean.len());
        let shift = self.shift;
        let apply = |v: &mut Vec<f64>| {
            for (x, &f) in v.iter_mut().zip(&factors) {
                if x.is_finite() {
                    *x = (*x * f - shift).max(0.0);
                }
            }
        };
        apply(&mut forecast.mean);
        for i in &mut forecast.intervals {
            apply(&mut i.lower);
            apply(&mut i.upper);
        }
    }
}

/// Day of the week of a day number, 0–6 (0 = Thursday, as 1970-01-01 was).
fn weekday(day: i64) -> usize {
    day.rem_euclid(7) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_match_the_calendar() {
        assert_eq!(day_number(1970, 1, 1), 0);
        assert_eq!(day_number(2024, 11, 1), 20028);
        assert_eq!(day_number(2026, 10, 31), 20757);
        assert_eq!(day_number(2000, 3, 1) - day_number(2000, 2, 28), 2, "2000 is a leap year");
        assert_eq!(day_number(2100, 3, 1) - day_number(2100, 2, 28), 1, "2100 is not");
        assert_eq!(day_number(1969, 12, 31), -1);
        for day in [-800_000, -1, 0, 59, 20_000, 20_757, 100_000] {
            let (y, m, d) = civil_date(day);
            assert_eq!(day_number(y, m, d), day);
        }
        assert_eq!(civil_date(20_757), (2026, 10, 31));
    }

    #[test]
    fn the_built_in_festivals_fall_on_their_dates() {
        let c = EventCalendar::china_retail();
        let has = |name: &str, y, m, d| c.days(name).contains(&day_number(y, m, d));
        assert!(has("spring_festival", 2026, 2, 17));
        assert!(has("spring_festival", 2025, 1, 29));
        assert!(has("lantern_festival", 2026, 3, 3));
        assert!(has("mid_autumn", 2026, 9, 25));
        assert!(has("mid_autumn", 2025, 10, 6));
        assert!(has("dragon_boat", 2026, 6, 19));
        assert!(has("national_day", 2030, 10, 1));
        assert!(has("double_11", 2020, 11, 11));
        for e in c.events() {
            assert_eq!(e.days.len(), 15, "{} covers 2016–2030", e.name);
        }
    }

    #[test]
    fn overlapping_windows_go_to_the_first_listed_event() {
        // Mid-Autumn 2025 fell in the National Day week.
        let c = EventCalendar::china_retail();
        let first = day_number(2025, 9, 1);
        let spots = c.locate(first, 60);
        let at = |y, m, d| spots[(day_number(y, m, d) - first) as usize].map(|s| c.events[s.event].name.as_str());
        assert_eq!(at(2025, 9, 28), Some("mid_autumn"));
        assert_eq!(at(2025, 10, 1), Some("mid_autumn"));
        assert_eq!(at(2025, 10, 9), Some("mid_autumn"));
        assert_eq!(at(2025, 10, 10), None);
        // In 2026 it came a week earlier and the golden week is National Day's.
        let first = day_number(2026, 9, 1);
        let spots = c.locate(first, 60);
        let at = |y, m, d| spots[(day_number(y, m, d) - first) as usize].map(|s| c.events[s.event].name.as_str());
        assert_eq!(at(2026, 9, 28), Some("mid_autumn"));
        assert_eq!(at(2026, 9, 29), Some("national_day"));
        assert_eq!(at(2026, 10, 8), Some("national_day"));
        assert_eq!(at(2026, 10, 9), None);
    }

    #[test]
    fn retailers_add_their_own_events() {
        let own = [
            Occurrence { event: "anniversary_sale".into(), day: 100 },
            Occurrence { event: "anniversary_sale".into(), day: 465 },
            Occurrence { event: "city_fair".into(), day: 300 },
        ];
        let c = EventCalendar::from_occurrences(&own).with_event("city_fair", 1, 1, [665]);
        assert_eq!(c.days("anniversary_sale"), &[100, 465]);
        assert_eq!(c.events()[1].before, 1);
        assert_eq!(c.days("city_fair"), &[300, 665]);
        let all = EventCalendar::china_retail().merged(c);
        assert_eq!(all.events().len(), 12);
        assert_eq!(all.events()[0].name, "spring_festival");
    }

    /// Weekly rhythm, a little noise, and a festival that multiplies sales by `planted(offset)`.
    fn planted_series(first_day: i64, len: usize, festivals: &[i64], planted: impl Fn(i64) -> f64) -> Vec<f64> {
        (0..len)
            .map(|i| {
                let day = first_day + i as i64;
                let week = [1.0, 0.9, 0.9, 1.0, 1.1, 1.3, 1.2][weekday(day)];
                let noise = 1.0 + 0.05 * ((i as f64 * 12.9898).sin() * 43_758.545).fract();
                let effect = festivals.iter().map(|&f| planted(day - f)).product::<f64>();
                100.0 * week * noise * effect
            })
            .collect()
    }

    fn ramp(offset: i64) -> f64 {
        match offset {
            -20..=-1 => 1.0 + 2.0 * (offset + 21) as f64 / 20.0,
            0..=2 => 0.5,
            _ => 1.0,
        }
    }

    #[test]
    fn a_planted_festival_ramp_is_learned() {
        let festivals = [day_number(2024, 6, 1), day_number(2025, 6, 1)];
        let c =
            EventCalendar::new().with_event("fair", 21, 3, festivals.iter().copied().chain([day_number(2026, 6, 1)]));
        let last_day = day_number(2026, 4, 30);
        let y = planted_series(last_day - 727, 728, &festivals, ramp);
        let e = EventEffects::learn(&c, &y, last_day);
        for offset in [-20, -10, -1, 0, 2, 3] {
            let got = e.effect("fair", offset).unwrap();
            let want = ramp(offset);
            assert!((got / want - 1.0).abs() < 0.08, "offset {offset}: learned {got}, planted {want}");
        }
        assert!((e.effect("fair", -21).unwrap() - 1.0).abs() < 0.08);
        assert_eq!(e.effect("fair", 4), None);
        assert_eq!(e.effect("nope", 0), None);
    }

    #[test]
    fn nothing_is_learned_without_a_complete_occurrence() {
        let c = EventCalendar::new().with_event("fair", 21, 3, [day_number(2026, 6, 1)]);
        // The occurrence is still under way on the last day.
        let last_day = day_number(2026, 5, 25);
        let y = planted_series(last_day - 363, 364, &[day_number(2026, 6, 1)], ramp);
        let e = EventEffects::learn(&c, &y, last_day);
        assert!(e.is_empty());
        assert_eq!(e.adjust(&y, last_day).history, y);
        // And a series outside every window.
        let e = EventEffects::learn(&c, &y, day_number(2024, 1, 1));
        assert!(e.is_empty());
    }

    #[test]
    fn an_event_without_an_effect_learns_none() {
        let festivals = [day_number(2024, 6, 1), day_number(2025, 6, 1)];
        let c = EventCalendar::new().with_event("quiet", 10, 3, festivals);
        let last_day = day_number(2026, 4, 30);
        let y = planted_series(last_day - 727, 728, &festivals, |_| 1.0);
        let e = EventEffects::learn(&c, &y, last_day);
        for offset in -10..=3 {
            let f = e.effect("quiet", offset).unwrap();
            assert!((f - 1.0).abs() < 0.03, "offset {offset}: {f}");
        }
    }

    #[test]
    fn adjusting_and_restoring_round_trip() {
        let festivals = [day_number(2024, 6, 1), day_number(2025, 6, 1), day_number(2026, 6, 1)];
        let c = EventCalendar::new().with_event("fair", 21, 3, festivals);
        let last_day = day_number(2026, 5, 20);
        let y = planted_series(last_day - 727, 728, &festivals, ramp);
        let e = EventEffects::learn(&c, &y, last_day);
        let adjusted = e.adjust(&y, last_day);
        // The festival is gone from the adjusted history: its last ten days sell like the weeks
        // before.
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (tail, before) = (mean(&adjusted.history[714..]), mean(&adjusted.history[686..714]));
        assert!((tail / before - 1.0).abs() < 0.05, "adjusted tail {tail} vs {before}");
        // A flat forecast of the adjusted history gets the festival back.
        let mut f = Forecast {
            model: "flat".into(),
            mean: vec![before; 28],
            intervals: vec![crate::Interval {
                level: 0.9,
                lower: vec![0.8 * before; 28],
                upper: vec![1.2 * before; 28],
            }],
        };
        adjusted.restore(&mut f);
        // Day 1 ahead is 11 days before the festival, day 12 the festival itself, day 21 ordinary.
        let ordinary = f.mean[20];
        for (h, planted) in [(0, ramp(-11)), (10, ramp(-1)), (11, ramp(0)), (20, 1.0)] {
            let got = f.mean[h] / ordinary;
            assert!((got / planted - 1.0).abs() < 0.1, "day {h} ahead: {got:.2}× ordinary, planted {planted}");
        }
        let i = &f.intervals[0];
        assert!(i.lower[10] < f.mean[10] && f.mean[10] < i.upper[10] && i.lower[10] > 2.0 * i.lower[20]);
    }

    #[test]
    fn degenerate_series_never_give_nan() {
        let c = EventCalendar::china_retail();
        let last_day = day_number(2026, 9, 19);
        let cases: Vec<Vec<f64>> = vec![
            vec![],
            vec![5.0],
            vec![0.0; 728],
            vec![3.0; 40],
            (0..728).map(|i| if i % 97 == 0 { 4.0 } else { 0.0 }).collect(),
            (0..728)
                .map(|i| {
                    if i == 400 {
                        f64::NAN
                    } else if i == 500 {
                        -5.0
                    } else {
                        1e9
                    }
                })
                .collect(),
        ];
        for y in cases {
            let e = EventEffects::learn(&c, &y, last_day);
            for f in e.factors.iter().flatten() {
                assert!(f.is_finite() && *f > 0.0, "{f}");
            }
            let adjusted = e.adjust(&y, last_day);
            assert_eq!(adjusted.history.len(), y.len());
            assert!(adjusted.history.iter().all(|v| v.is_finite() && *v >= 0.0));
            let mut forecast = Forecast { model: "m".into(), mean: vec![1.0; 28], intervals: vec![] };
            adjusted.restore(&mut forecast);
            assert!(forecast.mean.iter().all(|v| v.is_finite() && *v >= 0.0));
        }
    }
}
