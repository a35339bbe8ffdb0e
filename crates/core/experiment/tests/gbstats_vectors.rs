//! Every number of GrowthBook gbstats 0.8.0's reference vectors, reproduced by the engine.

use std::path::PathBuf;

use retail_experiment::stats::vectors::{RELATIVE_TOLERANCE, check_gbstats_vectors};

const VECTORS: &str = "marketing/ab_test_vectors.json";

fn vectors_path() -> PathBuf {
    retail_testenv::eval_data_file(env!("CARGO_MANIFEST_DIR"), VECTORS)
}

#[test]
fn engine_reproduces_every_gbstats_vector() {
    let path = vectors_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("SKIPPED gbstats vectors: {} not found", path.display());
        return;
    };
    let vectors: serde_json::Value = serde_json::from_str(&text).expect("the vectors file is JSON");
    let report = check_gbstats_vectors(&vectors);
    let failures: Vec<_> = report.comparisons.iter().filter(|comparison| !comparison.passed).collect();
    assert!(failures.is_empty(), "{} of {} cases failed: {failures:#?}", failures.len(), report.cases);
    assert!(report.cases > 100, "only {} cases found", report.cases);
    assert!(report.max_rel_error <= RELATIVE_TOLERANCE);
    println!(
        "{} of {} cases passed, max relative error {:e}, {} survival-function improvements",
        report.passed, report.cases, report.max_rel_error, report.survival_function_improvements
    );
}
