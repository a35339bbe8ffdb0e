//! The Walmart store × department weekly sales file (`Store,Dept,Date,Weekly_Sales,IsHoliday`) as
//! series at the level a planner asks for.

use std::collections::BTreeMap;

use crate::m4::{ParseError, Series};

/// How far sales are aggregated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    StoreDepartment,
    Store,
}

/// One series per store (and department), weekly from its first row to the file's last week; a week
/// without a row (a department not selling that week) counts as 0.
pub fn parse(text: &str, level: Level) -> Result<Vec<Series>, ParseError> {
    Ok(parse_aligned(text, level)?
        .into_iter()
        .map(|mut s| {
            s.values.drain(..s.first_week);
            Series { id: s.id, values: s.values }
        })
        .collect())
}

/// A series over every week of the file, so that series can be summed week by week.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignedSeries {
    pub id: String,
    /// The position of the series' first row among the file's weeks; the weeks before it are 0.
    pub first_week: usize,
    pub values: Vec<f64>,
}

/// One series per store (and department) over all the file's weeks, in key order; a week without a
/// row counts as 0.
pub fn parse_aligned(text: &str, level: Level) -> Result<Vec<AlignedSeries>, ParseError> {
    let mut weeks: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows: Vec<(String, String, f64)> = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| ParseError { line: index + 1, message };
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [store, department, date, sales, ..] = cells[..] else {
            return Err(bad(format!("expected Store,Dept,Date,Weekly_Sales, got {line:?}")));
        };
        let sales: f64 = sales
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(format!("sales {sales:?} is not a number")))?;
        if date.len() != 10 || date.as_bytes()[4] != b'-' {
            return Err(bad(format!("date {date:?} is not YYYY-MM-DD")));
        }
        let key = match level {
            Level::StoreDepartment => format!("{store}-{department}"),
            Level::Store => store.to_string(),
        };
        weeks.insert(date.to_string(), 0);
        rows.push((key, date.to_string(), sales));
    }
    for (position, week) in weeks.values_mut().enumerate() {
        *week = position;
    }
    let mut by_key: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
    for (key, date, sales) in rows {
        let week = weeks[&date];
        let (first, values) = by_key.entry(key).or_insert_with(|| (usize::MAX, vec![0.0; weeks.len()]));
        *first = (*first).min(week);
        values[week] += sales;
    }
    Ok(by_key.into_iter().map(|(id, (first_week, values))| AlignedSeries { id, first_week, values }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "Store,Dept,Date,Weekly_Sales,IsHoliday
1,1,2010-02-05,10,FALSE
1,2,2010-02-12,5,TRUE
1,1,2010-02-19,12,FALSE
1,2,2010-02-19,-1,FALSE
1,1,2010-02-12,11,TRUE
";

    #[test]
    fn weeks_are_aligned_gaps_are_zero_and_levels_sum() {
        let departments = parse(FILE, Level::StoreDepartment).unwrap();
        let values: Vec<(&str, &[f64])> = departments.iter().map(|s| (s.id.as_str(), s.values.as_slice())).collect();
        assert_eq!(values, [("1-1", &[10.0, 11.0, 12.0][..]), ("1-2", &[5.0, -1.0][..])]);
        let stores = parse(FILE, Level::Store).unwrap();
        assert_eq!(stores[0].values, [10.0, 16.0, 11.0]);
        assert_eq!(parse("h\n1,1,2010-02-05,x,FALSE\n", Level::Store).unwrap_err().line, 2);
        assert!(parse("h\n1,1,05/02/2010,3,FALSE\n", Level::Store).unwrap_err().message.contains("YYYY-MM-DD"));
        assert!(parse("h\n1,1\n", Level::Store).is_err());
    }

    #[test]
    fn aligned_series_span_every_week() {
        let departments = parse_aligned(FILE, Level::StoreDepartment).unwrap();
        assert_eq!(departments[1], AlignedSeries { id: "1-2".into(), first_week: 1, values: vec![0.0, 5.0, -1.0] });
        assert_eq!(departments[0].values, [10.0, 11.0, 12.0]);
    }
}
