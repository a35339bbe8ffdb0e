//! The engine checked against GrowthBook's gbstats 0.8.0 on its reference vectors
//! (`data/marketing/ab_test_vectors.json`): every number of every expected result is
//! recomputed from the inputs its name describes, and each compared number is one case.
//!
//! Names say what to compute, in `_`-separated words:
//! - the test: `ttest`, `freq` or `welch` (Welch's t-test), `seq` (sequential, `tuning5000`
//!   its tuning), `bayes` (Bayesian), `pooled_z` / `unpooled_z` (z-tests for proportions);
//!   `rel` or `abs` the difference (relative when absent, as in gbstats); `gb`, `binom`,
//!   `prop` and `vs` only label;
//! - in `growthbook_repo_tests_reproduced`, `14of28_vs_16of30` gives the control's and the
//!   treatment's successes and units; without counts (`ttest_rel`) the inputs are the sample
//!   means of GrowthBook's own test suite ([`GROWTHBOOK_MEAN_FIXTURE`]); `srm` maps
//!   `((counts), (weights))` to a p-value;
//! - in `hillstrom`, per `"Treatment vs Control"` pair, a result name starts with its metric:
//!   a column of the arms' sufficient statistics (`visit`, a 0/1 count analysed as a
//!   proportion; `spend`, with `spend_sum` and `spend_ss`, as a mean), `spend_per_visit_ratio`
//!   (a ratio metric with the cross-products `spend_x_visit`), and `cuped_history` adjusts for
//!   a covariate column; `cuped_theta` is the θ of the pair's CUPED result and
//!   `srm_3arm_equal_weights` the SRM p-value of all arms' units under an equal split.
//!
//! gbstats computes the t-test's p-value as `2·(1 - cdf)`, which rounds to a multiple of
//! 2⁻⁵² and to 0 below 1e-16. Those values are compared after the same rounding is applied to
//! the engine's (exact) upper tail; where gbstats gets 0 the engine's positive p-value is
//! counted as a match and reported as a survival-function improvement.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    BayesianResult, Difference, FrequentistResult, TestConfig, ZTestResult, ZVariance, bayesian_test, cuped_theta,
    proportion_z_test, sequential_test, srm_check, t_test,
};
use crate::summary::Summary;

/// A compared number passes within this relative error of the expected one...
pub const RELATIVE_TOLERANCE: f64 = 1e-6;
/// ...or, where the expected number is exactly 0, within this absolute error.
pub const ZERO_TOLERANCE: f64 = 1e-12;

/// The sample means of GrowthBook's own t-test fixture (`ttest_rel`, `ttest_abs`): control, treatment.
pub const GROWTHBOOK_MEAN_FIXTURE: (Summary, Summary) = (
    Summary::Mean { n: 3407, sum: 1396.87, sum_squares: 52377.9767 },
    Summary::Mean { n: 3461, sum: 2422.7, sum_squares: 134698.29 },
);

/// One expected number against the engine's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Path of the result in the vectors file, `section/…/result`.
    pub name: String,
    /// The number within the result: `p_value`, `ci[0]`, `uplift.stddev`, or `value`.
    pub field: String,
    pub expected: f64,
    /// The engine's number; `None` when it could not compute it (see `note`).
    pub actual: Option<f64>,
    /// Relative error (absolute where the expected number is 0), after any rounding gbstats applied.
    pub rel_error: Option<f64>,
    pub passed: bool,
    pub note: Option<String>,
}

/// All comparisons with their totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VectorReport {
    pub cases: usize,
    pub passed: usize,
    pub max_rel_error: f64,
    /// Cases where gbstats' p-value rounded to 0 and the engine's stays positive.
    pub survival_function_improvements: usize,
    pub comparisons: Vec<Comparison>,
}

/// Recomputes and compares every expected number of the parsed vectors file. Numbers in
/// sections or results the harness does not understand count as failed cases, so nothing
/// is skipped silently; text fields (`dist`, `risk_type`, a null `error_message`) are not compared.
pub fn check_gbstats_vectors(vectors: &Value) -> VectorReport {
    let mut comparisons = Vec::new();
    for (section, content) in entries(vectors) {
        match section.as_str() {
            "growthbook_repo_tests_reproduced" => growthbook_section(section, content, &mut comparisons),
            "hillstrom" => hillstrom_section(section, content, &mut comparisons),
            _ => compare(section.clone(), content, Err("unknown section".into()), &mut comparisons),
        }
    }
    VectorReport {
        cases: comparisons.len(),
        passed: comparisons.iter().filter(|comparison| comparison.passed).count(),
        max_rel_error: comparisons.iter().filter_map(|comparison| comparison.rel_error).fold(0.0, f64::max),
        survival_function_improvements: comparisons
            .iter()
            .filter(|comparison| comparison.note.as_deref().is_some_and(|note| note.starts_with(IMPROVEMENT)))
            .count(),
        comparisons,
    }
}

const IMPROVEMENT: &str = "survival-function improvement";

/// A number the engine computed, named like the field it is compared with.
struct Computed {
    field: &'static str,
    value: f64,
    rounding: Rounding,
}

/// How gbstats computed the expected number.
#[derive(Clone, Copy, PartialEq)]
enum Rounding {
    /// Directly: compare as it is.
    None,
    /// As `2·(1 - cdf)` in double precision.
    TwoSidedComplement,
}

type Outcome = Result<Vec<Computed>, String>;

fn growthbook_section(section: &str, content: &Value, out: &mut Vec<Comparison>) {
    for (key, expected) in entries(content) {
        let name = format!("{section}/{key}");
        if key == "srm" {
            for (split, p_value) in entries(expected) {
                compare(format!("{name}/{split}"), p_value, srm_case(split), out);
            }
        } else {
            compare(name, expected, growthbook_case(key), out);
        }
    }
}

fn growthbook_case(key: &str) -> Outcome {
    let case = CaseName::parse(&key.split('_').collect::<Vec<_>>())?;
    if case.covariate.is_some() {
        return Err("no covariate data in this section".into());
    }
    let proportion = |&(successes, n): &(f64, u64)| Summary::Proportion { n, successes };
    let (control, treatment) = match case.counts.as_slice() {
        [] => GROWTHBOOK_MEAN_FIXTURE,
        [control, treatment] => (proportion(control), proportion(treatment)),
        _ => return Err("expected counts as `XofN_vs_XofN`".into()),
    };
    case.run(&control, &treatment)
}

/// `((1000, 1200), (0.5, 0.5))`: counts, then weights.
fn srm_case(split: &str) -> Outcome {
    let [counts, weights] = innermost_parentheses(split)[..] else {
        return Err("expected `((counts), (weights))`".into());
    };
    srm_p_value(&parse_list::<u64>(counts)?, &parse_list::<f64>(weights)?)
}

fn hillstrom_section(section: &str, content: &Value, out: &mut Vec<Comparison>) {
    let arms = content.get("sufficient_stats").and_then(Value::as_object);
    for (key, expected) in entries(content) {
        let name = format!("{section}/{key}");
        if key == "sufficient_stats" {
            // The inputs.
        } else if let Some(arms) = arms {
            if key.starts_with("srm_") {
                compare(name, expected, hillstrom_srm(key, arms), out);
            } else if let Some((treatment, control)) = key.split_once(" vs ") {
                match (arms.get(control), arms.get(treatment)) {
                    (Some(control), Some(treatment)) => pair_cases(&name, expected, control, treatment, out),
                    _ => compare(name, expected, Err("no sufficient statistics for this pair".into()), out),
                }
            } else {
                compare(name, expected, Err("unknown result".into()), out);
            }
        } else {
            compare(name, expected, Err("no sufficient_stats in this section".into()), out);
        }
    }
}

/// `srm_3arm_equal_weights`: the units of all arms against an equal split.
fn hillstrom_srm(key: &str, arms: &Map<String, Value>) -> Outcome {
    let expected_arms = format!("{}arm", arms.len());
    if key != format!("srm_{expected_arms}_equal_weights") {
        return Err(format!("expected `srm_{expected_arms}_equal_weights` for these arms"));
    }
    let counts = arms.values().map(units).collect::<Result<Vec<_>, _>>()?;
    let weights = vec![1.0 / counts.len() as f64; counts.len()];
    srm_p_value(&counts, &weights)
}

fn srm_p_value(counts: &[u64], weights: &[f64]) -> Outcome {
    let check = srm_check(counts, weights).map_err(|error| error.to_string())?;
    Ok(vec![Computed { field: "value", value: check.p_value, rounding: Rounding::None }])
}

fn pair_cases(name: &str, results: &Value, control: &Value, treatment: &Value, out: &mut Vec<Comparison>) {
    for (key, expected) in entries(results) {
        let outcome = if key == "cuped_theta" {
            pair_cuped_theta(results, control, treatment)
        } else {
            pair_case(key, control, treatment).and_then(|(_, outcome)| outcome)
        };
        compare(format!("{name}/{key}"), expected, outcome, out);
    }
}

/// The case a Hillstrom result names, with the summaries it analyses and the engine's numbers.
fn pair_case(key: &str, control: &Value, treatment: &Value) -> Result<((Summary, Summary), Outcome), String> {
    let tokens: Vec<&str> = key.split('_').collect();
    let (metric, rest) = Metric::parse(&tokens)?;
    let case = CaseName::parse(rest)?;
    if !case.counts.is_empty() {
        return Err("counts come from the sufficient statistics here".into());
    }
    let covariate = case.covariate.as_deref();
    let summaries = (metric.summary(control, covariate)?, metric.summary(treatment, covariate)?);
    let outcome = case.run(&summaries.0, &summaries.1);
    Ok((summaries, outcome))
}

/// θ of the pair's one CUPED result.
fn pair_cuped_theta(results: &Value, control: &Value, treatment: &Value) -> Outcome {
    let cuped_keys: Vec<&String> = entries(results).map(|(key, _)| key).filter(|key| key.contains("_cuped_")).collect();
    let (first, rest) = cuped_keys.split_first().ok_or("no CUPED result in this pair")?;
    fn covariate(key: &str) -> Option<&str> {
        key.split("_cuped_").nth(1).and_then(|tail| tail.split('_').next())
    }
    if rest.iter().any(|key| covariate(key) != covariate(first)) {
        return Err("CUPED results with different covariates; θ is ambiguous".into());
    }
    let ((control, treatment), _) = pair_case(first, control, treatment)?;
    let theta = cuped_theta(&control, &treatment).ok_or("the covariate does not vary, so there is no θ")?;
    Ok(vec![Computed { field: "value", value: theta, rounding: Rounding::None }])
}

/// The metric a Hillstrom result name starts with.
enum Metric<'a> {
    Column(&'a str),
    Ratio { numerator: &'a str, denominator: &'a str },
}

impl<'a> Metric<'a> {
    /// The metric and the remaining words of the name.
    fn parse<'t>(tokens: &'t [&'a str]) -> Result<(Self, &'t [&'a str]), String> {
        match tokens {
            [numerator, "per", denominator, "ratio", rest @ ..] => Ok((Metric::Ratio { numerator, denominator }, rest)),
            [column, rest @ ..] => Ok((Metric::Column(column), rest)),
            [] => Err("empty result name".into()),
        }
    }

    fn summary(&self, arm: &Value, covariate: Option<&str>) -> Result<Summary, String> {
        let n = units(arm)?;
        match (self, covariate) {
            (Metric::Column(name), None) => {
                let column = column(arm, name)?;
                Ok(if column.binary {
                    Summary::Proportion { n, successes: column.sum }
                } else {
                    Summary::Mean { n, sum: column.sum, sum_squares: column.sum_squares }
                })
            }
            (Metric::Column(name), Some(covariate)) => {
                let (metric, pre) = (column(arm, name)?, column(arm, covariate)?);
                Ok(Summary::Cuped {
                    n,
                    sum: metric.sum,
                    sum_squares: metric.sum_squares,
                    pre_sum: pre.sum,
                    pre_sum_squares: pre.sum_squares,
                    sum_times_pre: number(arm, &format!("{name}_x_{covariate}"))?,
                })
            }
            (Metric::Ratio { numerator, denominator }, None) => {
                let (top, bottom) = (column(arm, numerator)?, column(arm, denominator)?);
                Ok(Summary::Ratio {
                    n,
                    numerator_sum: top.sum,
                    numerator_sum_squares: top.sum_squares,
                    denominator_sum: bottom.sum,
                    denominator_sum_squares: bottom.sum_squares,
                    numerator_denominator_sum: number(arm, &format!("{numerator}_x_{denominator}"))?,
                })
            }
            (Metric::Ratio { .. }, Some(_)) => Err("CUPED on a ratio metric is not supported".into()),
        }
    }
}

/// The sums of one column of an arm's sufficient statistics.
struct ColumnSums {
    sum: f64,
    sum_squares: f64,
    /// A 0/1 column given as its count: its sum of squares is its sum.
    binary: bool,
}

fn column(arm: &Value, name: &str) -> Result<ColumnSums, String> {
    if let Some(count) = arm.get(name).and_then(Value::as_f64) {
        return Ok(ColumnSums { sum: count, sum_squares: count, binary: true });
    }
    Ok(ColumnSums {
        sum: number(arm, &format!("{name}_sum"))?,
        sum_squares: number(arm, &format!("{name}_ss"))?,
        binary: false,
    })
}

fn units(arm: &Value) -> Result<u64, String> {
    arm.get("n").and_then(Value::as_u64).ok_or_else(|| "an arm without `n`".into())
}

fn number(arm: &Value, field: &str) -> Result<f64, String> {
    arm.get(field).and_then(Value::as_f64).ok_or_else(|| format!("an arm without `{field}`"))
}

/// Which test a result name asks for, on which inputs.
struct CaseName {
    test: Test,
    difference: Difference,
    tuning: Option<f64>,
    covariate: Option<String>,
    /// `(successes, units)` of the control, then the treatment.
    counts: Vec<(f64, u64)>,
}

#[derive(Clone, Copy)]
enum Test {
    Welch,
    Sequential,
    Bayesian,
    Z(ZVariance),
}

impl CaseName {
    fn parse(tokens: &[&str]) -> Result<Self, String> {
        let mut case = CaseName {
            test: Test::Welch,
            difference: Difference::Relative,
            tuning: None,
            covariate: None,
            counts: vec![],
        };
        let mut tokens = tokens.iter();
        while let Some(&token) = tokens.next() {
            match token {
                "gb" | "binom" | "prop" | "vs" => {}
                "ttest" | "freq" | "welch" => case.test = Test::Welch,
                "seq" => case.test = Test::Sequential,
                "bayes" => case.test = Test::Bayesian,
                "pooled" | "unpooled" => {
                    if tokens.next() != Some(&"z") {
                        return Err(format!("expected `{token}_z`"));
                    }
                    case.test = Test::Z(if token == "pooled" { ZVariance::Pooled } else { ZVariance::Unpooled });
                }
                "rel" => case.difference = Difference::Relative,
                "abs" => case.difference = Difference::Absolute,
                "cuped" => case.covariate = Some(tokens.next().ok_or("`cuped` without a covariate")?.to_string()),
                _ => {
                    if let Some(tuning) = token.strip_prefix("tuning") {
                        case.tuning = Some(tuning.parse().map_err(|_| format!("bad tuning `{token}`"))?);
                    } else if let Some((successes, n)) = token.split_once("of") {
                        let successes = successes.parse().map_err(|_| format!("bad count `{token}`"))?;
                        case.counts.push((successes, n.parse().map_err(|_| format!("bad count `{token}`"))?));
                    } else {
                        return Err(format!("unknown word `{token}` in the name"));
                    }
                }
            }
        }
        Ok(case)
    }

    fn run(&self, control: &Summary, treatment: &Summary) -> Outcome {
        let default = TestConfig::default();
        let config = TestConfig {
            difference: self.difference,
            sequential_tuning: self.tuning.unwrap_or(default.sequential_tuning),
            ..default
        };
        let computed = match self.test {
            Test::Welch => t_test(control, treatment, &config)
                .map(|result| frequentist_fields(&result, Rounding::TwoSidedComplement)),
            Test::Sequential => {
                sequential_test(control, treatment, &config).map(|result| frequentist_fields(&result, Rounding::None))
            }
            Test::Bayesian => bayesian_test(control, treatment, &config).map(|result| bayesian_fields(&result)),
            Test::Z(variance) => proportion_z_test(control, treatment, variance).map(|result| z_fields(&result)),
        };
        computed.map_err(|error| error.to_string())
    }
}

/// The fields of gbstats' `FrequentistTestResult`.
fn frequentist_fields(result: &FrequentistResult, p_rounding: Rounding) -> Vec<Computed> {
    let exact = |field, value| Computed { field, value, rounding: Rounding::None };
    vec![
        exact("expected", result.effect.estimate),
        exact("ci[0]", result.interval.lower),
        exact("ci[1]", result.interval.upper),
        exact("uplift.mean", result.effect.estimate),
        exact("uplift.stddev", result.effect.standard_error),
        Computed { field: "p_value", value: result.p_value, rounding: p_rounding },
    ]
}

/// The fields of gbstats' `BayesianTestResult`.
fn bayesian_fields(result: &BayesianResult) -> Vec<Computed> {
    [
        ("expected", result.effect.estimate),
        ("ci[0]", result.credible_interval.lower),
        ("ci[1]", result.credible_interval.upper),
        ("uplift.mean", result.effect.estimate),
        ("uplift.stddev", result.effect.standard_error),
        ("chance_to_win", result.chance_to_win),
        ("risk[0]", result.risk_control),
        ("risk[1]", result.risk_treatment),
    ]
    .into_iter()
    .map(|(field, value)| Computed { field, value, rounding: Rounding::None })
    .collect()
}

fn z_fields(result: &ZTestResult) -> Vec<Computed> {
    [("diff", result.difference), ("z", result.z), ("p", result.p_value)]
        .into_iter()
        .map(|(field, value)| Computed { field, value, rounding: Rounding::None })
        .collect()
}

/// Compares every number inside `expected` with the engine's field of the same name.
fn compare(name: String, expected: &Value, outcome: Outcome, out: &mut Vec<Comparison>) {
    for (field, expected) in expected_numbers(expected) {
        let failed = |note: String| Comparison {
            name: name.clone(),
            field: field.clone(),
            expected,
            actual: None,
            rel_error: None,
            passed: false,
            note: Some(note),
        };
        let comparison = match &outcome {
            Err(reason) => failed(reason.clone()),
            Ok(computed) => match computed.iter().find(|computed| computed.field == field) {
                Some(computed) => judge(name.clone(), field, expected, computed),
                None => failed("the engine does not compute this field".into()),
            },
        };
        out.push(comparison);
    }
}

fn judge(name: String, field: String, expected: f64, computed: &Computed) -> Comparison {
    let comparable = match computed.rounding {
        Rounding::None => computed.value,
        Rounding::TwoSidedComplement => 2.0 * (1.0 - (1.0 - computed.value / 2.0)),
    };
    let (rel_error, passed) = if expected == 0.0 {
        (comparable.abs(), comparable.abs() <= ZERO_TOLERANCE)
    } else {
        let error = ((comparable - expected) / expected).abs();
        (error, error <= RELATIVE_TOLERANCE)
    };
    let note = (expected == 0.0 && comparable == 0.0 && computed.value > 0.0).then(|| {
        format!("{IMPROVEMENT}: gbstats' 1 - cdf rounds to 0, the engine's upper tail gives {:e}", computed.value)
    });
    Comparison { name, field, expected, actual: Some(computed.value), rel_error: Some(rel_error), passed, note }
}

/// The numbers inside a JSON value with their paths (`ci[0]`, `uplift.mean`); a bare number is `value`.
fn expected_numbers(value: &Value) -> Vec<(String, f64)> {
    fn walk(value: &Value, path: String, out: &mut Vec<(String, f64)>) {
        match value {
            Value::Number(number) => {
                let path = if path.is_empty() { "value".to_string() } else { path };
                out.push((path, number.as_f64().unwrap_or(f64::NAN)));
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    walk(item, format!("{path}[{index}]"), out);
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    walk(item, if path.is_empty() { key.clone() } else { format!("{path}.{key}") }, out);
                }
            }
            Value::Null | Value::Bool(_) | Value::String(_) => {}
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// The entries of a JSON object; none for anything else.
fn entries(value: &Value) -> impl Iterator<Item = (&String, &Value)> {
    value.as_object().into_iter().flatten()
}

/// The contents of the innermost parentheses: `((1, 2), (3))` gives `["1, 2", "3"]`.
fn innermost_parentheses(text: &str) -> Vec<&str> {
    let mut groups = Vec::new();
    let mut start = None;
    for (index, character) in text.char_indices() {
        match character {
            '(' => start = Some(index + 1),
            ')' => {
                if let Some(from) = start.take() {
                    groups.push(&text[from..index]);
                }
            }
            _ => {}
        }
    }
    groups
}

fn parse_list<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, String> {
    text.split(',').map(|item| item.trim().parse().map_err(|_| format!("bad number `{}`", item.trim()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_and_split_keys() {
        assert_eq!(
            innermost_parentheses("((500, 500, 600), (0.34, 0.33, 0.33))"),
            vec!["500, 500, 600", "0.34, 0.33, 0.33"]
        );
        let case = CaseName::parse(&["seq", "prop", "1396of3000", "vs", "2422of3461"]).unwrap();
        assert!(matches!(case.test, Test::Sequential));
        assert_eq!(case.counts, vec![(1396.0, 3000), (2422.0, 3461)]);
        assert!(CaseName::parse(&["ttest", "median"]).is_err());
    }

    #[test]
    fn unknown_results_fail_instead_of_being_skipped() {
        let vectors = serde_json::json!({
            "oracle": "gbstats",
            "growthbook_repo_tests_reproduced": { "ttest_quantile_rel": { "expected": 0.5, "ci": [0.1, 0.9] } },
            "elsewhere": { "x": 1.0 },
        });
        let report = check_gbstats_vectors(&vectors);
        // Three numbers of the unknown test, one of the unknown section; the label is text.
        assert_eq!((report.cases, report.passed), (4, 0));
    }

    #[test]
    fn rounds_like_gbstats_before_comparing_t_test_p_values() {
        let computed = |value| Computed { field: "p_value", value, rounding: Rounding::TwoSidedComplement };
        let improvement = judge("x".into(), "p_value".into(), 0.0, &computed(1e-31));
        assert!(improvement.passed && improvement.note.unwrap().starts_with(IMPROVEMENT));
        // 675 units of 2⁻⁵³, twice: what 2·(1 - cdf) gives for a p-value near 1.499e-13.
        let rounded = judge("x".into(), "p_value".into(), 1.4988010832439613e-13, &computed(1.49881e-13));
        assert!(rounded.passed && rounded.rel_error == Some(0.0));
        assert!(!judge("x".into(), "p_value".into(), 0.0, &computed(1e-9)).passed);
    }
}
