mod common;

use retail_routing::vrplib::{ParseError, parse_cvrp, parse_solomon};
use retail_routing::{InstanceError, TimeWindow};

const CVRP: &str = "NAME : tiny
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 3 4
3 0 1.4
4 -6 -8
DEMAND_SECTION
1 0
2 5
3 5
4 7
DEPOT_SECTION
1
-1
EOF
";

const SOLOMON: &str = "TINY

VEHICLE
NUMBER     CAPACITY
  2         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0         0          0          0       100          0
    1      1         1         10          5        20          3
    2      3         4         20          0        50          2
";

#[test]
fn cvrp_is_parsed_with_rounded_distances_and_an_unlimited_fleet() {
    let instance = parse_cvrp(CVRP).unwrap();
    assert_eq!(instance.name, "tiny");
    assert_eq!(instance.jobs.iter().map(|job| job.demand).collect::<Vec<_>>(), [5, 5, 7]);
    assert_eq!(instance.depots[0].location, 0);
    assert_eq!(instance.distances.get(0, 1), 5);
    assert_eq!(instance.distances.get(0, 2), 1, "1.4 rounds down");
    assert_eq!(instance.distances.get(1, 3), 15);
    assert_eq!(instance.vehicle_types[0].capacity, 10);
    assert_eq!(instance.vehicle_types[0].count, 3);
}

#[test]
fn solomon_is_parsed_in_tenths_with_truncated_distances() {
    let instance = parse_solomon(SOLOMON).unwrap();
    assert_eq!(instance.distance_scale, 10);
    assert_eq!(instance.distances.get(0, 1), 14, "sqrt(2) = 1.414 truncates to 1.4");
    assert_eq!(instance.distances.get(0, 2), 50);
    assert_eq!(instance.jobs[0].window, TimeWindow { start: 50, end: 200 });
    assert_eq!(instance.jobs[0].service, 30);
    let vehicle = &instance.vehicle_types[0];
    assert_eq!((vehicle.count, vehicle.capacity, vehicle.shift), (2, 50, TimeWindow { start: 0, end: 1000 }));
}

#[test]
fn malformed_cvrp_is_rejected_with_a_reason() {
    let cases = [
        (CVRP.replace("DEMAND_SECTION", "DEMANDS"), "unknown section"),
        (CVRP.replace("2 3 4", "2 NaN 4"), "NaN coordinate"),
        (CVRP.replace("3 5\n", "3 -5\n"), "negative demand"),
        (CVRP.replace("3 0 1.4", "2 0 1.4"), "duplicate id"),
        (CVRP.replace("EUC_2D", "GEO"), "unsupported distances"),
        (CVRP.replace("CAPACITY : 10\n", ""), "missing capacity"),
        (CVRP.replace("DIMENSION : 4", "DIMENSION : 5"), "wrong dimension"),
        (CVRP.replace("2 3 4", "2 3"), "short line"),
        (String::new(), "empty text"),
    ];
    for (text, case) in cases {
        assert!(parse_cvrp(&text).is_err(), "{case} should be an error");
    }
    assert_eq!(parse_cvrp(&CVRP.replace("3 5\n", "3 -5\n")), Err(ParseError::NegativeDemand("3".into())));
    assert_eq!(parse_cvrp(&CVRP.replace("3 0 1.4", "2 0 1.4")), Err(ParseError::DuplicateNode("2".into())));
}

#[test]
fn malformed_solomon_is_rejected_with_a_reason() {
    let cases = [
        (SOLOMON.replace("NUMBER     CAPACITY", ""), "missing vehicle section"),
        (SOLOMON.replace("    2      3", "    1      3"), "duplicate id"),
        (SOLOMON.replace("10          5", "-10          5"), "negative demand"),
        (SOLOMON.replace("1         1         10", "1         inf         10"), "infinite coordinate"),
        (SOLOMON.replace("5        20          3", "5        20"), "short line"),
        (SOLOMON.replace("5        20", "30        20"), "empty window"),
        (SOLOMON.lines().take(8).collect::<Vec<_>>().join("\n"), "no customers"),
    ];
    for (text, case) in cases {
        assert!(parse_solomon(&text).is_err(), "{case} should be an error");
    }
    assert!(matches!(
        parse_solomon(&SOLOMON.replace("5        20", "30        20")),
        Err(ParseError::Instance(InstanceError::EmptyTimeWindow { .. }))
    ));
}

#[test]
fn benchmark_files_parse() {
    for file in ["cvrp/X/X-n101-k25.vrp", "cvrp/A/A-n32-k5.vrp", "vrptw/solomon/RC101.txt"] {
        let Some(text) = common::read_data(file) else { continue };
        let instance = if file.ends_with(".vrp") { parse_cvrp(&text) } else { parse_solomon(&text) };
        assert!(instance.unwrap().jobs.len() >= 31, "{file}");
    }
}
