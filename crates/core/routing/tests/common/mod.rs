//! Small hand-built instances shared by the integration tests.
// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use retail_routing::{Depot, Instance, Job, Matrix, Point, TimeWindow, VehicleType};

/// Data files live outside the repository; tests that need them skip when absent.
pub const DATA: &str = "/work/shared/data/routing";

/// A depot at the origin and one job per point, with Euclidean distances rounded to integers.
pub fn instance(points: &[(f64, f64)], demands: &[i64], vehicles: Vec<VehicleType>) -> Instance {
    let locations: Vec<Point> =
        std::iter::once(Point { x: 0.0, y: 0.0 }).chain(points.iter().map(|&(x, y)| Point { x, y })).collect();
    let matrix = Matrix::from_points(&locations, |a, b| (a.x - b.x).hypot(a.y - b.y).round() as i64).unwrap();
    Instance {
        name: "test".into(),
        coordinates: Some(locations),
        depots: vec![Depot { id: "depot".into(), location: 0 }],
        jobs: demands
            .iter()
            .enumerate()
            .map(|(index, &demand)| Job {
                id: format!("job{index}"),
                location: index + 1,
                demand,
                service: 0,
                window: TimeWindow::ALWAYS,
                skip_penalty: None,
            })
            .collect(),
        vehicle_types: vehicles,
        durations: matrix.clone(),
        distances: matrix,
        distance_scale: 1,
    }
}

/// Reads a benchmark file, or `None` (after printing SKIPPED) when the data is not present.
pub fn read_data(relative: &str) -> Option<String> {
    let path = format!("{DATA}/{relative}");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            println!("SKIPPED: {path} not found");
            None
        }
    }
}
