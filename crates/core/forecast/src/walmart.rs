//! The Walmart store × department weekly sales file (`Store,Dept,Date,Weekly_Sales,IsHoliday`) as
//! series at the level a planner asks for, and with its stores' weekly features and attributes as a
//! panel for the global model.

use std::collections::BTreeMap;

use crate::global::{Panel, PanelSeries, Variable, calendar};
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

/// The numbered lines after the header, blank ones left out; lines may end in `\r` alone (as
/// `stores.csv` does).
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let lines: Box<dyn Iterator<Item = &str>> =
        if text.contains('\n') { Box::new(text.lines()) } else { Box::new(text.split('\r')) };
    lines.enumerate().skip(1).filter(|(_, l)| !l.trim().is_empty())
}

/// The store's weekly inputs taken from `features.csv`, by column; `NA` is missing. Fuel price, CPI
/// and unemployment move too slowly to tell weeks apart and are left out.
const EXOGENOUS: [(&str, usize); 6] =
    [("temperature", 2), ("markdown1", 4), ("markdown2", 5), ("markdown3", 6), ("markdown4", 7), ("markdown5", 8)];
/// Columns of `features.csv`: `Store,Date`, nine inputs, `IsHoliday`.
const FEATURE_COLUMNS: usize = 12;

/// Store × department series on the weeks of `train` (`Store,Dept,Date,Weekly_Sales,...`) and
/// `features` (`Store,Date,Temperature,Fuel_Price,MarkDown1-5,CPI,Unemployment,IsHoliday`, which runs
/// past the sales), with the calendar of each week's last day and its holiday flag, the store's
/// features as exogenous inputs, and store, department, store type (A, B, C as 0, 1, 2) and size
/// from `stores` (`Store,Type,Size`) as statics. Each series' values are [`parse`]'s.
pub fn parse_panel(train: &str, features: &str, stores: &str) -> Result<Panel, ParseError> {
    let series = parse(train, Level::StoreDepartment)?;
    let day = |date: &str, line: usize| {
        crate::daily::day_number(date).ok_or(ParseError { line, message: format!("date {date:?} is not YYYY-MM-DD") })
    };
    let mut days = Vec::new();
    for (index, line) in data_lines(train) {
        days.push(day(line.split(',').nth(2).unwrap_or_default().trim(), index + 1)?);
    }
    let last_sales_day = days.iter().copied().max().ok_or(ParseError { line: 1, message: "no sales".into() })?;
    let mut rows: Vec<(String, i64, Vec<&str>, usize)> = Vec::new();
    for (index, line) in data_lines(features) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() < FEATURE_COLUMNS {
            return Err(ParseError { line: index + 1, message: format!("expected {FEATURE_COLUMNS} columns") });
        }
        let d = day(cells[1], index + 1)?;
        days.push(d);
        rows.push((cells[0].to_string(), d, cells, index + 1));
    }
    let first = days.iter().copied().min().unwrap_or(last_sales_day);
    let last = days.iter().copied().max().unwrap_or(last_sales_day);
    if let Some(&odd) = days.iter().find(|&&d| (d - first) % 7 != 0) {
        return Err(ParseError { line: 1, message: format!("day {odd} is not a whole number of weeks after {first}") });
    }
    let steps = ((last - first) / 7 + 1) as usize;
    let week_days: Vec<i64> = (0..steps as i64).map(|w| first + 7 * w).collect();
    let mut holiday = vec![0.0; steps];
    let mut by_store: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    for (store, d, cells, line) in rows {
        let step = ((d - first) / 7) as usize;
        holiday[step] = f64::from(u8::from(cells[FEATURE_COLUMNS - 1].eq_ignore_ascii_case("true")));
        let inputs = by_store.entry(store).or_insert_with(|| vec![vec![f64::NAN; steps]; EXOGENOUS.len()]);
        for (input, (_, column)) in inputs.iter_mut().zip(EXOGENOUS) {
            input[step] = match cells[column] {
                "NA" | "" => f64::NAN,
                number => {
                    number.parse().map_err(|_| ParseError { line, message: format!("{number:?} is not a number") })?
                }
            };
        }
    }
    let mut attributes: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (index, line) in data_lines(stores) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let bad = || ParseError { line: index + 1, message: format!("expected Store,Type,Size, got {line:?}") };
        let [store, kind, size] = cells[..] else { return Err(bad()) };
        let kind = ["A", "B", "C"].iter().position(|&k| k == kind).ok_or_else(bad)? as f64;
        attributes.insert(store.to_string(), (kind, size.parse().map_err(|_| bad())?));
    }
    let end = ((last_sales_day - first) / 7 + 1) as usize;
    let series = series
        .into_iter()
        .map(|s| {
            let (store, department) = s.id.split_once('-').unwrap_or((&s.id, ""));
            let number = |text: &str| text.parse::<f64>().unwrap_or(f64::NAN);
            let (kind, size) = attributes.get(store).copied().unwrap_or((f64::NAN, f64::NAN));
            PanelSeries {
                start: end - s.values.len(),
                statics: vec![number(store), number(department), kind, size],
                exogenous: by_store.get(store).cloned().unwrap_or_else(|| vec![vec![f64::NAN; steps]; EXOGENOUS.len()]),
                id: s.id,
                values: s.values,
            }
        })
        .collect();
    // Every week ends on the same weekday.
    let mut weekly: Vec<Variable> = calendar(&week_days).into_iter().filter(|v| v.name != "day_of_week").collect();
    weekly.push(Variable { name: "holiday".into(), values: holiday });
    Ok(Panel {
        steps,
        calendar: weekly,
        exogenous: EXOGENOUS.iter().map(|(name, _)| name.to_string()).collect(),
        statics: ["store", "department", "store_type", "store_size"].iter().map(|s| s.to_string()).collect(),
        series,
    })
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
