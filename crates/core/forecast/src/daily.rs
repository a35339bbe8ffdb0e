//! Daily sales files: `date,sales[,feature columns...]` (one series) or
//! `series_id,date,sales[,...]` (many), dates `YYYY-MM-DD`. Feature columns (events, prices) are read
//! past; the univariate models here do not use them.

use std::collections::BTreeMap;

use crate::m4::{ParseError, Series};

/// One series per id (`total` for a single-series file), one value per day from its first date to its
/// last; a missing day counts as no sales. A day given twice, or a date that is not a calendar day,
/// is an error naming the line.
pub fn parse(text: &str) -> Result<Vec<Series>, ParseError> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or(ParseError { line: 1, message: "the file is empty".into() })?;
    let single = header.split(',').next().is_some_and(|first| first.trim().eq_ignore_ascii_case("date"));
    let mut days: BTreeMap<String, BTreeMap<i64, f64>> = BTreeMap::new();
    for (index, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| ParseError { line: index + 1, message };
        let mut cells = line.split(',').map(str::trim);
        let id = if single { "total".to_string() } else { cells.next().unwrap_or_default().to_string() };
        let (Some(date), Some(sales)) = (cells.next(), cells.next()) else {
            return Err(bad("expected a date and a sales value".into()));
        };
        let day = day_number(date).ok_or_else(|| bad(format!("date {date:?} is not a YYYY-MM-DD calendar day")))?;
        let sales: f64 = sales
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(format!("sales {sales:?} is not a number")))?;
        if days.entry(id.clone()).or_default().insert(day, sales).is_some() {
            return Err(bad(format!("{date} appears twice for series {id:?}")));
        }
    }
    Ok(days
        .into_iter()
        .map(|(id, by_day)| {
            let first = *by_day.keys().next().expect("a series has a day");
            let last = *by_day.keys().next_back().expect("a series has a day");
            let values = (first..=last).map(|day| by_day.get(&day).copied().unwrap_or(0.0)).collect();
            Series { id, values }
        })
        .collect())
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (Howard Hinnant's days-from-civil), `None` for
/// anything else, February 30th included.
pub(crate) fn day_number(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| date.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_are_calendar_days() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("2016-02-29").zip(day_number("2016-03-01")).map(|(a, b)| b - a), Some(1));
        assert_eq!(day_number("2015-02-29"), None);
        assert_eq!(day_number("2015-13-01"), None);
        assert_eq!(day_number("01/02/2015"), None);
    }

    #[test]
    fn single_and_multi_series_files_fill_missing_days_and_refuse_duplicates() {
        let single = parse("date,sales,Christmas\n2011-01-29,5,0\n2011-01-31,7,1\n").unwrap();
        assert_eq!(single, [Series { id: "total".into(), values: vec![5.0, 0.0, 7.0] }]);
        let many = parse("series_id,date,sales\nb,2011-01-02,1\na,2011-01-01,2\nb,2011-01-01,3\n").unwrap();
        let ids: Vec<(&str, &[f64])> = many.iter().map(|s| (s.id.as_str(), s.values.as_slice())).collect();
        assert_eq!(ids, [("a", &[2.0][..]), ("b", &[3.0, 1.0][..])]);
        assert!(parse("date,sales\n2011-01-01,1\n2011-01-01,2\n").unwrap_err().message.contains("twice"));
        assert_eq!(parse("date,sales\n2011-02-30,1\n").unwrap_err().line, 2);
        assert!(parse("date,sales\n2011-01-01,many\n").unwrap_err().message.contains("not a number"));
        assert!(parse("").is_err());
    }
}
