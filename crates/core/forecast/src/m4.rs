//! The M4 competition's files: series in rows (`id,v1,v2,...`, ragged). They are scored by
//! [`crate::backtest`] with one origin where each series' training values end.

/// One named series, oldest value first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub id: String,
    pub values: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Parses the M4 csv layout: a header row, then `"id","v1","v2",...` per series; quotes optional,
/// trailing empty cells (ragged rows) ignored.
pub fn parse(text: &str) -> Result<Vec<Series>, ParseError> {
    let mut series = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut cells = line.split(',').map(|cell| cell.trim().trim_matches('"'));
        let id = cells.next().unwrap_or_default().to_string();
        let values = cells
            .filter(|cell| !cell.is_empty())
            .map(|cell| {
                cell.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| ParseError { line: line_no, message: format!("{cell:?} is not a number") })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        if values.is_empty() {
            return Err(ParseError { line: line_no, message: format!("series {id:?} has no values") });
        }
        series.push(Series { id, values });
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ragged_quoted_rows_and_names_bad_cells() {
        let text = "\"V1\",\"V2\",\"V3\",\"V4\"\n\"W1\",\"1\",\"2\",\"3\"\n\"W2\",\"4\",\"5\",\"\"\n";
        let series = parse(text).unwrap();
        assert_eq!(
            series,
            [
                Series { id: "W1".into(), values: vec![1.0, 2.0, 3.0] },
                Series { id: "W2".into(), values: vec![4.0, 5.0] }
            ]
        );
        assert_eq!(parse("h\nW1,1,x\n").unwrap_err(), ParseError { line: 2, message: "\"x\" is not a number".into() });
        assert_eq!(parse("h\nW1,,\n").unwrap_err().line, 2);
    }
}
