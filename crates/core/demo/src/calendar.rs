//! The fixed calendar of the demo: which days exist, how demand swings by
//! weekday, season and festival, and local (Asia/Shanghai) times in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
// One table of China's lunar festivals: the forecasting calendar's.
use retail_forecast::events::{MID_AUTUMN, SPRING_FESTIVAL};

/// The last simulated day. Fixed, so the demo never depends on the clock.
pub(crate) const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();

/// Weekly shopping rhythm of a category, Monday first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Weekly {
    /// Most groceries: a Saturday peak.
    Standard,
    /// Fresh food: the weekend big shop.
    Fresh,
    /// Drinks and snacks for Friday and Saturday evenings.
    Party,
    /// Bulky household goods, bought on weekend car trips.
    Bulk,
    /// Needs that do not wait for the weekend (baby).
    Flat,
}

impl Weekly {
    fn profile(self) -> [f64; 7] {
        match self {
            Weekly::Standard => [0.92, 0.88, 0.90, 0.94, 1.06, 1.20, 1.10],
            Weekly::Fresh => [0.90, 0.85, 0.88, 0.92, 1.05, 1.25, 1.15],
            Weekly::Party => [0.80, 0.80, 0.85, 0.95, 1.25, 1.30, 1.05],
            Weekly::Bulk => [0.85, 0.82, 0.85, 0.90, 1.00, 1.35, 1.23],
            Weekly::Flat => [0.97, 0.97, 0.98, 0.98, 1.02, 1.05, 1.03],
        }
    }

    /// The weekday factor, normalised so a week averages 1.
    pub(crate) fn factor(self, weekday: usize) -> f64 {
        let p = self.profile();
        p[weekday] * 7.0 / p.iter().sum::<f64>()
    }
}

/// How a category reacts to the festivals.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Holiday {
    /// A moderate pre-Spring-Festival stock-up, then the emptied city.
    Standard,
    /// Festival feasting and gifts: meat, seafood, fruit, alcohol, sweets.
    Festive,
    /// Festive, plus tangyuan for the Lantern Festival.
    Lantern,
    /// Sold almost only in the five weeks before Mid-Autumn.
    Mooncake,
    /// Barely affected (nappies are needed every day).
    Flat,
}

/// Signed distance in days from `date` to the nearest date in `list`.
fn offset(date: NaiveDate, list: &[(i32, u32, u32)]) -> Option<i64> {
    list.iter()
        .filter_map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
        .map(|h| (date - h).num_days())
        .min_by_key(|o| o.abs())
}

/// A rising ramp from just above 0 to 1 across `from..=to`.
fn ramp(o: i64, from: i64, to: i64) -> f64 {
    (o - from + 1) as f64 / (to - from + 1) as f64
}

fn spring_festival(style: Holiday, o: i64) -> f64 {
    match (style, o) {
        (Holiday::Festive | Holiday::Lantern, -14..=-1) => 1.0 + 1.4 * ramp(o, -14, -1).powf(1.5),
        (Holiday::Festive | Holiday::Lantern, 0..=6) => 0.55,
        (Holiday::Lantern, 9..=14) => 2.2,
        (Holiday::Flat, -7..=-1) => 1.15,
        (Holiday::Flat, 0..=6) => 0.7,
        (Holiday::Flat, 7..=14) => 0.9,
        (Holiday::Standard | Holiday::Mooncake, -12..=-1) => 1.0 + 0.45 * ramp(o, -12, -1),
        (Holiday::Standard | Holiday::Mooncake, 0..=6) => 0.6,
        (_, 7..=14) => 0.85,
        _ => 1.0,
    }
}

fn mid_autumn(style: Holiday, o: Option<i64>) -> f64 {
    match (style, o) {
        (Holiday::Mooncake, Some(o @ -35..=-1)) => 0.5 + 30.0 * ramp(o, -35, -1).powi(2),
        (Holiday::Mooncake, Some(0..=1)) => 1.0,
        (Holiday::Mooncake, _) => 0.03,
        (Holiday::Festive | Holiday::Lantern, Some(-7..=-1)) => 1.25,
        (Holiday::Standard, Some(-3..=-1)) => 1.08,
        _ => 1.0,
    }
}

/// Stores match the big online shopping days with their own offers.
fn shopping_festival_in_store(date: NaiveDate) -> f64 {
    match (date.month(), date.day()) {
        (6, 16..=18) | (11, 9..=11) => 1.08,
        _ => 1.0,
    }
}

/// Festival multiplier of store demand for a category style on `date`.
pub(crate) fn holiday_factor(style: Holiday, date: NaiveDate) -> f64 {
    let sf = offset(date, &SPRING_FESTIVAL).map_or(1.0, |o| spring_festival(style, o));
    sf * mid_autumn(style, offset(date, &MID_AUTUMN)) * shopping_festival_in_store(date)
}

/// Yearly seasonality: `1 + amplitude · cos` peaking mid-month `peak_month`.
pub(crate) fn season_factor(amplitude: f64, peak_month: u32, date: NaiveDate) -> f64 {
    let peak = f64::from(peak_month) * 30.44 - 15.0;
    let doy = f64::from(date.ordinal());
    1.0 + amplitude * (std::f64::consts::TAU * (doy - peak) / 365.25).cos()
}

/// How busy the online shop is on `date` relative to an ordinary day: a
/// Sunday-evening habit, steady growth, couriers off over Spring Festival, and
/// the 618 and Double 11 shopping festivals above all.
pub(crate) fn online_factor(date: NaiveDate) -> f64 {
    const WEEK: [f64; 7] = [1.05, 0.98, 0.97, 0.96, 0.92, 1.00, 1.12];
    let trend = 1.15f64.powf((date - LAST_DAY).num_days() as f64 / 365.0);
    let sf = match offset(date, &SPRING_FESTIVAL) {
        Some(-10..=-1) => 1.2,
        Some(0..=6) => 0.45,
        Some(7..=10) => 0.8,
        _ => 1.0,
    };
    let ma = match offset(date, &MID_AUTUMN) {
        Some(-5..=-1) => 1.15,
        _ => 1.0,
    };
    let festival = match (date.month(), date.day()) {
        (6, 1..=17) => 1.25,
        (6, 18) => 2.6,
        (10, 24..=31) | (11, 1..=10) => 1.2,
        (11, 11) => 3.2,
        (11, 12..=13) => 1.1,
        _ => 1.0,
    };
    WEEK[weekday(date)] * trend * sf * ma * festival
}

/// The largest value [`online_factor`] can take, for thinning session arrivals.
pub(crate) const ONLINE_FACTOR_MAX: f64 = 1.12 * 3.2;

/// Monday = 0.
pub(crate) fn weekday(date: NaiveDate) -> usize {
    date.weekday().num_days_from_monday() as usize
}

/// Seconds since local midnight in Shanghai (UTC+8, no daylight saving) as a UTC instant.
pub(crate) fn at(date: NaiveDate, local_seconds: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)) + Duration::seconds(i64::from(local_seconds) - 8 * 3600)
}

/// Local clock time as seconds since midnight.
pub(crate) const fn hms(h: u32, m: u32, s: u32) -> u32 {
    h * 3600 + m * 60 + s
}

/// `20260105`, for ids.
pub(crate) fn compact(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn local_times_stay_on_their_utc_date_after_eight() {
        let t = at(d(2026, 1, 5), hms(8, 0, 0));
        assert_eq!(t.to_rfc3339(), "2026-01-05T00:00:00+00:00");
        assert_eq!(at(d(2026, 1, 5), hms(23, 59, 59)).date_naive(), d(2026, 1, 5));
    }

    #[test]
    fn festivals_shape_demand() {
        // Pre-Spring-Festival surge, then the dip.
        assert!(holiday_factor(Holiday::Festive, d(2026, 2, 15)) > 2.0);
        assert!(holiday_factor(Holiday::Standard, d(2026, 2, 19)) < 0.7);
        // Mooncakes peak just before Mid-Autumn and vanish after.
        assert!(holiday_factor(Holiday::Mooncake, d(2026, 9, 24)) > 20.0);
        assert!(holiday_factor(Holiday::Mooncake, d(2026, 11, 1)) < 0.05);
        assert!(online_factor(d(2025, 11, 11)) > 2.5 * online_factor(d(2025, 11, 4)));
        assert!(online_factor(d(2025, 11, 11)) <= ONLINE_FACTOR_MAX);
    }

    #[test]
    fn weekly_profiles_average_one() {
        for w in [Weekly::Standard, Weekly::Fresh, Weekly::Party, Weekly::Bulk, Weekly::Flat] {
            let mean: f64 = (0..7).map(|i| w.factor(i)).sum::<f64>() / 7.0;
            assert!((mean - 1.0).abs() < 1e-9);
            assert!(w.factor(5) > w.factor(1));
        }
    }
}
