//! Parsers for the benchmark formats: TSPLIB/VRPLIB CVRP files and Solomon VRPTW files.
//!
//! Both take the file's text and never panic on malformed input.

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

use crate::model::{Depot, Instance, InstanceError, Job, Matrix, Point, TimeWindow, VehicleType};

/// Why a benchmark file could not be read.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParseError {
    #[error("missing {0}")]
    Missing(&'static str),
    #[error("line {line}: cannot read {text:?} as a number")]
    InvalidNumber { line: usize, text: String },
    #[error("line {line}: expected {expected} values")]
    ShortLine { line: usize, expected: usize },
    #[error("line {line}: coordinate is not a finite number")]
    NonFiniteCoordinate { line: usize },
    #[error("node {0} has a negative demand")]
    NegativeDemand(String),
    #[error("node {0} appears twice")]
    DuplicateNode(String),
    #[error("node {0} is referenced but has no coordinates")]
    UnknownNode(String),
    #[error("DIMENSION is {expected} but {found} nodes have coordinates")]
    DimensionMismatch { expected: usize, found: usize },
    #[error("unsupported EDGE_WEIGHT_TYPE {0:?} (only EUC_2D)")]
    UnsupportedEdgeWeight(String),
    #[error(transparent)]
    Instance(#[from] InstanceError),
}

fn number<T: std::str::FromStr>(line: usize, text: &str) -> Result<T, ParseError> {
    text.parse().map_err(|_| ParseError::InvalidNumber { line, text: text.to_string() })
}

fn coordinate(line: usize, text: &str) -> Result<f64, ParseError> {
    let value: f64 = number(line, text)?;
    if value.is_finite() { Ok(value) } else { Err(ParseError::NonFiniteCoordinate { line }) }
}

/// Reads a CVRP instance in TSPLIB format (EUC_2D distances rounded to the nearest integer).
///
/// The fleet is unlimited, as in the benchmark convention: one vehicle per customer is available.
pub fn parse_cvrp(text: &str) -> Result<Instance, ParseError> {
    let mut name = String::new();
    let mut dimension: Option<usize> = None;
    let mut capacity: Option<i64> = None;
    let mut section = "";
    let mut coordinates: BTreeMap<String, (usize, Point)> = BTreeMap::new();
    let mut demands: HashMap<String, i64> = HashMap::new();
    let mut depots: Vec<String> = Vec::new();
    let mut has_coordinates = false;
    let mut has_demands = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once(':') {
            let value = value.trim();
            match key.trim() {
                "NAME" => name = value.to_string(),
                "DIMENSION" => dimension = Some(number(line, value)?),
                "CAPACITY" => capacity = Some(number(line, value)?),
                "EDGE_WEIGHT_TYPE" if value != "EUC_2D" => return Err(ParseError::UnsupportedEdgeWeight(value.into())),
                _ => {}
            }
            continue;
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        match fields[0] {
            "NODE_COORD_SECTION" | "DEMAND_SECTION" | "DEPOT_SECTION" => {
                section = fields[0];
                has_coordinates |= section == "NODE_COORD_SECTION";
                has_demands |= section == "DEMAND_SECTION";
                continue;
            }
            "EOF" => break,
            _ => {}
        }
        match section {
            "NODE_COORD_SECTION" => {
                let [id, x, y] = fields[..] else { return Err(ParseError::ShortLine { line, expected: 3 }) };
                let point = Point { x: coordinate(line, x)?, y: coordinate(line, y)? };
                let row = coordinates.len();
                if coordinates.insert(id.to_string(), (row, point)).is_some() {
                    return Err(ParseError::DuplicateNode(id.to_string()));
                }
            }
            "DEMAND_SECTION" => {
                let [id, demand] = fields[..] else { return Err(ParseError::ShortLine { line, expected: 2 }) };
                let demand: i64 = number(line, demand)?;
                if demand < 0 {
                    return Err(ParseError::NegativeDemand(id.to_string()));
                }
                if demands.insert(id.to_string(), demand).is_some() {
                    return Err(ParseError::DuplicateNode(id.to_string()));
                }
            }
            "DEPOT_SECTION" => {
                let id = fields[0];
                let value: i64 = number(line, id)?;
                if value < 0 {
                    section = "";
                } else {
                    depots.push(id.to_string());
                }
            }
            _ => return Err(ParseError::Missing("a section header before the data")),
        }
    }
    if !has_coordinates {
        return Err(ParseError::Missing("NODE_COORD_SECTION"));
    }
    if !has_demands {
        return Err(ParseError::Missing("DEMAND_SECTION"));
    }
    let capacity = capacity.ok_or(ParseError::Missing("CAPACITY"))?;
    if let Some(expected) = dimension
        && expected != coordinates.len()
    {
        return Err(ParseError::DimensionMismatch { expected, found: coordinates.len() });
    }
    let depot_id = depots.first().cloned().ok_or(ParseError::Missing("DEPOT_SECTION entry"))?;
    let mut rows: Vec<(&String, &(usize, Point))> = coordinates.iter().collect();
    rows.sort_by_key(|(_, (row, _))| *row);
    let points: Vec<Point> = rows.iter().map(|(_, (_, point))| *point).collect();
    let row_of =
        |id: &str| coordinates.get(id).map(|(row, _)| *row).ok_or_else(|| ParseError::UnknownNode(id.to_string()));
    for id in demands.keys() {
        row_of(id)?;
    }
    let depot_rows = depots.iter().map(|id| row_of(id)).collect::<Result<Vec<_>, _>>()?;
    let jobs = rows
        .iter()
        .filter(|(_, (row, _))| !depot_rows.contains(row))
        .map(|(id, (row, _))| {
            let demand = *demands.get(id.as_str()).ok_or(ParseError::Missing("a demand for every customer"))?;
            Ok(Job {
                id: id.to_string(),
                location: *row,
                demand,
                service: 0,
                window: TimeWindow::ALWAYS,
                skip_penalty: None,
            })
        })
        .collect::<Result<Vec<_>, ParseError>>()?;
    let distances = Matrix::from_points(&points, |a, b| ((a.x - b.x).hypot(a.y - b.y)).round() as i64)?;
    let vehicles = VehicleType::with_capacity("vehicle", jobs.len().max(1), capacity, 0);
    let instance = Instance {
        name,
        coordinates: Some(points),
        depots: vec![Depot { id: depot_id, location: depot_rows[0] }],
        jobs,
        vehicle_types: vec![vehicles],
        durations: distances.clone(),
        distances,
        distance_scale: 1,
    };
    instance.validate()?;
    Ok(instance)
}

/// Reads a Solomon VRPTW instance. Distances and travel times are Euclidean, truncated to one
/// decimal and stored in tenths (`distance_scale` 10); times are scaled alike. The vehicle
/// number in the file is the fleet size (an upper bound).
pub fn parse_solomon(text: &str) -> Result<Instance, ParseError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    let name = lines.first().map(|(_, line)| line.to_string()).ok_or(ParseError::Missing("instance name"))?;
    let find = |header: &str| lines.iter().position(|(_, line)| line.starts_with(header));
    let vehicle_header = find("NUMBER").ok_or(ParseError::Missing("VEHICLE section"))?;
    let &(line, vehicle_line) =
        lines.get(vehicle_header + 1).ok_or(ParseError::Missing("vehicle number and capacity"))?;
    let [count, capacity] = vehicle_line.split_whitespace().collect::<Vec<_>>()[..] else {
        return Err(ParseError::ShortLine { line, expected: 2 });
    };
    let (count, capacity): (usize, i64) = (number(line, count)?, number(line, capacity)?);
    let customer_header = find("CUST NO").ok_or(ParseError::Missing("CUSTOMER section"))?;
    let mut points = Vec::new();
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &(line, text) in &lines[customer_header + 1..] {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [id, x, y, demand, ready, due, service] = fields[..] else {
            return Err(ParseError::ShortLine { line, expected: 7 });
        };
        if !seen.insert(id.to_string()) {
            return Err(ParseError::DuplicateNode(id.to_string()));
        }
        points.push(Point { x: coordinate(line, x)?, y: coordinate(line, y)? });
        let demand: i64 = number(line, demand)?;
        if demand < 0 {
            return Err(ParseError::NegativeDemand(id.to_string()));
        }
        let tenths = |text: &str| -> Result<i64, ParseError> { Ok((coordinate(line, text)? * 10.0).round() as i64) };
        rows.push((id.to_string(), demand, TimeWindow { start: tenths(ready)?, end: tenths(due)? }, tenths(service)?));
    }
    let Some(((depot_id, _, depot_window, _), customers)) = rows.split_first() else {
        return Err(ParseError::Missing("depot row"));
    };
    let jobs = customers
        .iter()
        .enumerate()
        .map(|(index, (id, demand, window, service))| Job {
            id: id.clone(),
            location: index + 1,
            demand: *demand,
            service: *service,
            window: *window,
            skip_penalty: None,
        })
        .collect();
    let distances = Matrix::from_points(&points, |a, b| {
        (100.0 * ((a.x - b.x).powi(2) + (a.y - b.y).powi(2))).sqrt().floor() as i64
    })?;
    let vehicles = VehicleType { shift: *depot_window, ..VehicleType::with_capacity("vehicle", count, capacity, 0) };
    let instance = Instance {
        name,
        coordinates: Some(points),
        depots: vec![Depot { id: depot_id.clone(), location: 0 }],
        jobs,
        vehicle_types: vec![vehicles],
        durations: distances.clone(),
        distances,
        distance_scale: 10,
    };
    instance.validate()?;
    Ok(instance)
}
