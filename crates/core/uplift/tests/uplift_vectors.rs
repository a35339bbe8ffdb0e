//! Every number of the scikit-uplift / causalml reference vectors, reproduced by the metrics.

use std::path::PathBuf;

use retail_uplift::metrics::{self, Curve, Strategy};
use serde_json::Value;

const VECTORS: &str = "marketing/uplift_metric_vectors.json";
const TOLERANCE: f64 = 1e-9;
/// Numbers per case: two curves of x and y, seven scores; the file holds three cases.
const EXPECTED_CASES: usize = 3;
const SCALARS_PER_CASE: usize = 9;

fn vectors_path() -> PathBuf {
    retail_testenv::eval_data_file(env!("CARGO_MANIFEST_DIR"), VECTORS)
}

fn numbers(value: &Value) -> Vec<f64> {
    value.as_array().expect("an array").iter().map(|number| number.as_f64().expect("a number")).collect()
}

/// Relative error, or absolute for expected values near zero.
fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= TOLERANCE * expected.abs().max(1.0)
}

struct Checker {
    compared: usize,
    failures: Vec<String>,
}

impl Checker {
    fn scalar(&mut self, case: &str, key: &str, expected: &Value, actual: Result<f64, retail_uplift::UpliftError>) {
        let expected = expected.as_f64().unwrap_or_else(|| panic!("{case}.{key} is a number"));
        self.compared += 1;
        match actual {
            Ok(actual) if close(actual, expected) => {}
            other => self.failures.push(format!("{case}.{key}: expected {expected}, got {other:?}")),
        }
    }

    fn curve(&mut self, case: &str, key: &str, expected: &Value, actual: Result<Curve, retail_uplift::UpliftError>) {
        self.compared += 1;
        let (expected_x, expected_y) = (numbers(&expected["x"]), numbers(&expected["y"]));
        let Ok(actual) = actual else {
            self.failures.push(format!("{case}.{key}: {actual:?}"));
            return;
        };
        let matches = |actual: &[f64], expected: &[f64]| {
            actual.len() == expected.len() && actual.iter().zip(expected).all(|(&a, &e)| close(a, e))
        };
        if !matches(&actual.x, &expected_x) || !matches(&actual.y, &expected_y) {
            self.failures.push(format!("{case}.{key}: expected x {expected_x:?} y {expected_y:?}, got {actual:?}"));
        }
    }
}

#[test]
fn metrics_reproduce_every_reference_vector() {
    let path = vectors_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("SKIPPED uplift vectors: {} not found", path.display());
        return;
    };
    let vectors: Value = serde_json::from_str(&text).expect("the vectors file is JSON");
    let cases = vectors.as_object().expect("an object of cases");
    let mut checker = Checker { compared: 0, failures: Vec::new() };
    for (case, vector) in cases {
        let input = &vector["input"];
        let y = numbers(&input["y"]);
        let treatment: Vec<bool> = numbers(&input["t"]).iter().map(|&flag| flag == 1.0).collect();
        let uplift = numbers(&input["u"]);
        let mut compared_keys = 1; // "input"
        for (key, expected) in vector.as_object().expect("a case object") {
            let before = checker.compared;
            match key.as_str() {
                "input" => {}
                "sklift_qini_curve" => checker.curve(case, key, expected, metrics::qini_curve(&y, &treatment, &uplift)),
                "sklift_uplift_curve" => {
                    checker.curve(case, key, expected, metrics::uplift_curve(&y, &treatment, &uplift))
                }
                "sklift_qini_auc_score" => {
                    checker.scalar(case, key, expected, metrics::qini_auc_score(&y, &treatment, &uplift, true))
                }
                // sklift's `negative_effect=False`: the perfect model cannot do harm.
                "sklift_qini_auc_score_negative_effect" => {
                    checker.scalar(case, key, expected, metrics::qini_auc_score(&y, &treatment, &uplift, false))
                }
                "sklift_uplift_auc_score" => {
                    checker.scalar(case, key, expected, metrics::uplift_auc_score(&y, &treatment, &uplift))
                }
                "sklift_uplift_at_k_overall_0_5" => checker.scalar(
                    case,
                    key,
                    expected,
                    metrics::uplift_at_k(&y, &treatment, &uplift, 0.5, Strategy::Overall),
                ),
                "sklift_uplift_at_k_by_group_0_5" => checker.scalar(
                    case,
                    key,
                    expected,
                    metrics::uplift_at_k(&y, &treatment, &uplift, 0.5, Strategy::ByGroup),
                ),
                "causalml_auuc_score_normalize" => {
                    checker.scalar(case, key, expected, metrics::auuc_score(&y, &treatment, &uplift))
                }
                "causalml_qini_score_normalize" => {
                    checker.scalar(case, key, expected, metrics::qini_score(&y, &treatment, &uplift))
                }
                unknown => checker.failures.push(format!("{case}: no metric for key {unknown}")),
            }
            compared_keys += usize::from(checker.compared > before);
        }
        assert_eq!(compared_keys, SCALARS_PER_CASE + 1, "{case}: not every key was compared");
    }
    assert!(checker.failures.is_empty(), "{} mismatches:\n{}", checker.failures.len(), checker.failures.join("\n"));
    assert!(cases.len() >= EXPECTED_CASES, "only {} cases found", cases.len());
    assert_eq!(checker.compared, cases.len() * SCALARS_PER_CASE);
    println!("{} cases, {} curves and scores reproduced to {TOLERANCE:e}", cases.len(), checker.compared);
}
