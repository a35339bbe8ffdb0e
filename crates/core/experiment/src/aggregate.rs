//! Per-unit metric data folded into each variant's sufficient statistics.
//!
//! # Representation
//! The caller interns unit ids to dense `u32`s `0..n` (in any order, e.g. order of first
//! appearance) and passes:
//! - the exposure log as [`Exposure`] rows, in any order, a unit as often as it was logged;
//! - `values[u]`: unit `u`'s metric data measured after its first exposure, with
//!   `UnitValues::default()` (all zero) for a unit that has none.
//!
//! Everything is then indexed by unit id: 10 million units aggregate in well under a second,
//! with 4 bytes of working memory per unit, 12 when winsorizing.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::summary::Summary;

/// How many units exposed to several variants a report names.
const MULTIPLE_EXPOSURE_EXAMPLES: usize = 5;

/// Unit state while folding exposures: a variant index below these, or one of them.
const UNEXPOSED: u32 = u32::MAX;
const MULTIPLE_VARIANTS: u32 = u32::MAX - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Whether the unit converted: a `value` above 0 counts as a conversion, so a count of
    /// orders will do.
    Proportion,
    /// The unit's `value`, e.g. revenue per customer.
    Mean,
    /// The sum of `value` over the sum of `denominator`, e.g. revenue per session.
    Ratio,
}

/// How a metric is computed from per-unit data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub kind: MetricKind,
    /// Caps every per-unit column the metric uses at this upper percentile (e.g. 0.99) of that
    /// column over all units in the analysis, zeros included, so a few huge orders do not
    /// drown the effect. Each cap is computed once, over all variants together.
    #[serde(default)]
    pub winsorize: Option<f64>,
    /// Adjusts for each unit's pre-period value (CUPED), for proportion and mean metrics.
    #[serde(default)]
    pub cuped: bool,
}

/// A metric definition the aggregation cannot honour.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum MetricError {
    #[error("winsorize must be a percentile above 0 and at most 1, e.g. 0.99; got {0}")]
    WinsorizePercentile(f64),
    #[error("a proportion cannot be winsorized: capping 0/1 outcomes would erase conversions")]
    WinsorizedProportion,
    #[error("CUPED is available for proportion and mean metrics, not ratios")]
    CupedRatio,
}

impl Metric {
    pub fn validate(&self) -> Result<(), MetricError> {
        if let Some(percentile) = self.winsorize {
            if !(percentile > 0.0 && percentile <= 1.0) {
                return Err(MetricError::WinsorizePercentile(percentile));
            }
            if self.kind == MetricKind::Proportion {
                return Err(MetricError::WinsorizedProportion);
            }
        }
        if self.cuped && self.kind == MetricKind::Ratio {
            return Err(MetricError::CupedRatio);
        }
        Ok(())
    }

    /// The column paired with `value`, if the metric uses one.
    fn second_column(&self) -> Option<Column> {
        match self.kind {
            MetricKind::Ratio => Some(Column::Denominator),
            MetricKind::Proportion | MetricKind::Mean if self.cuped => Some(Column::Pre),
            MetricKind::Proportion | MetricKind::Mean => None,
        }
    }

    /// Whether winsorisation, if asked for, caps `column`: every column used but a proportion's
    /// 0/1 outcome.
    fn winsorizes(&self, column: Column) -> bool {
        match column {
            Column::Value => self.kind != MetricKind::Proportion,
            paired => self.second_column() == Some(paired),
        }
    }
}

/// One unit's metric data; fields a metric does not use are ignored, and a unit without data
/// is all zeros.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnitValues {
    /// The metric's value, or the numerator of a ratio.
    pub value: f64,
    /// The denominator of a ratio metric.
    pub denominator: f64,
    /// The same metric over the pre-period, for CUPED.
    pub pre: f64,
}

/// One row of the exposure log: unit `unit` was shown variant `variant`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure {
    pub unit: u32,
    pub variant: u32,
}

/// A field of [`UnitValues`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Value,
    Denominator,
    Pre,
}

impl Column {
    fn of(self, values: &UnitValues) -> f64 {
        match self {
            Column::Value => values.value,
            Column::Denominator => values.denominator,
            Column::Pre => values.pre,
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Column::Value => "value",
            Column::Denominator => "denominator",
            Column::Pre => "pre-period value",
        })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AggregateError {
    #[error(transparent)]
    Metric(#[from] MetricError),
    #[error("unit {unit} was exposed to variant {variant}, but the experiment has {variant_count} variants")]
    UnknownVariant { unit: u32, variant: u32, variant_count: usize },
    #[error("unit {unit} was exposed, but values were given for only {unit_count} units")]
    UnknownUnit { unit: u32, unit_count: usize },
    #[error("unit {unit} has a {column} of {found}; values must be finite")]
    NotFinite { unit: u32, column: Column, found: f64 },
}

/// Each variant's sufficient statistics, and what was set aside on the way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggregation {
    /// One per variant, in variant order.
    pub summaries: Vec<Summary>,
    /// The winsorisation caps applied.
    pub caps: Caps,
    /// Units exposed to more than one variant, left out of every summary.
    pub multiple_exposures: MultipleExposures,
}

impl Aggregation {
    /// Units analysed per variant, for the sample ratio mismatch check.
    pub fn units_per_variant(&self) -> Vec<u64> {
        self.summaries.iter().map(Summary::units).collect()
    }
}

/// The cap of each column a winsorized metric uses; all `None` without winsorisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Caps {
    pub value: Option<f64>,
    pub denominator: Option<f64>,
    pub pre: Option<f64>,
}

impl Caps {
    fn of(&self, column: Column) -> Option<f64> {
        match column {
            Column::Value => self.value,
            Column::Denominator => self.denominator,
            Column::Pre => self.pre,
        }
    }
}

/// Units exposed to more than one variant: a sign of an assignment bug or shared devices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MultipleExposures {
    /// How many units were exposed to two or more variants.
    pub units: u64,
    /// The first few of them, as interned unit ids.
    pub examples: Vec<u32>,
}

/// Folds the exposure log and per-unit values (see the module documentation for the
/// representation) into one [`Summary`] per variant.
///
/// Every exposed unit counts once, in the variant it was exposed to, with zeros if it has no
/// data; a unit exposed to two different variants is left out and reported.
pub fn aggregate(
    metric: &Metric,
    variant_count: usize,
    exposures: &[Exposure],
    values: &[UnitValues],
) -> Result<Aggregation, AggregateError> {
    metric.validate()?;
    let (variant_of_unit, multiple_exposures) = fold_exposures(variant_count, exposures, values.len())?;
    let analysed = || {
        variant_of_unit
            .iter()
            .zip(values)
            .enumerate()
            .filter(|&(_, (&variant, _))| variant < MULTIPLE_VARIANTS)
            .map(|(unit, (&variant, values))| (unit as u32, variant as usize, values))
    };

    let cap = |column: Column| {
        let percentile = metric.winsorize.filter(|_| metric.winsorizes(column))?;
        upper_percentile(analysed().map(|(_, _, values)| column.of(values)).collect(), percentile)
    };
    let caps = Caps { value: cap(Column::Value), denominator: cap(Column::Denominator), pre: cap(Column::Pre) };

    let second_column = metric.second_column();
    let mut sums = vec![Sums::default(); variant_count];
    for (unit, variant, values) in analysed() {
        let read = |column: Column| {
            let found = column.of(values);
            if !found.is_finite() {
                return Err(AggregateError::NotFinite { unit, column, found });
            }
            Ok(caps.of(column).map_or(found, |cap| found.min(cap)))
        };
        let value = read(Column::Value)?;
        let x = if metric.kind == MetricKind::Proportion { f64::from(u8::from(value > 0.0)) } else { value };
        let y = match second_column {
            Some(column) => read(column)?,
            None => 0.0,
        };
        sums[variant].add(x, y);
    }

    Ok(Aggregation {
        summaries: sums.into_iter().map(|sums| sums.into_summary(metric)).collect(),
        caps,
        multiple_exposures,
    })
}

/// The variant of each unit (or [`UNEXPOSED`], [`MULTIPLE_VARIANTS`]), checking every row.
fn fold_exposures(
    variant_count: usize,
    exposures: &[Exposure],
    unit_count: usize,
) -> Result<(Vec<u32>, MultipleExposures), AggregateError> {
    let mut variant_of_unit = vec![UNEXPOSED; unit_count];
    let mut multiple = MultipleExposures::default();
    for &Exposure { unit, variant } in exposures {
        // The sentinels are rejected here too: no experiment has four billion variants.
        if variant as usize >= variant_count || variant >= MULTIPLE_VARIANTS {
            return Err(AggregateError::UnknownVariant { unit, variant, variant_count });
        }
        let state = variant_of_unit.get_mut(unit as usize).ok_or(AggregateError::UnknownUnit { unit, unit_count })?;
        if *state == UNEXPOSED {
            *state = variant;
        } else if *state != variant && *state != MULTIPLE_VARIANTS {
            *state = MULTIPLE_VARIANTS;
            multiple.units += 1;
            if multiple.examples.len() < MULTIPLE_EXPOSURE_EXAMPLES {
                multiple.examples.push(unit);
            }
        }
    }
    Ok((variant_of_unit, multiple))
}

/// The nearest-rank `percentile` of `pooled`: the smallest value at least that share of the
/// values do not exceed. `None` when there are no values.
fn upper_percentile(mut pooled: Vec<f64>, percentile: f64) -> Option<f64> {
    if pooled.is_empty() {
        return None;
    }
    let rank = ((percentile * pooled.len() as f64).ceil() as usize).clamp(1, pooled.len());
    let (_, cap, _) = pooled.select_nth_unstable_by(rank - 1, f64::total_cmp);
    Some(*cap)
}

/// Running sums of a unit's outcome `x` and its paired column `y` (denominator or pre-period).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    n: u64,
    x: f64,
    xx: f64,
    y: f64,
    yy: f64,
    xy: f64,
}

impl Sums {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        self.x += x;
        self.xx += x * x;
        self.y += y;
        self.yy += y * y;
        self.xy += x * y;
    }

    fn into_summary(self, metric: &Metric) -> Summary {
        let Sums { n, x, xx, y, yy, xy } = self;
        match metric.kind {
            MetricKind::Ratio => Summary::Ratio {
                n,
                numerator_sum: x,
                numerator_sum_squares: xx,
                denominator_sum: y,
                denominator_sum_squares: yy,
                numerator_denominator_sum: xy,
            },
            MetricKind::Proportion | MetricKind::Mean if metric.cuped => {
                Summary::Cuped { n, sum: x, sum_squares: xx, pre_sum: y, pre_sum_squares: yy, sum_times_pre: xy }
            }
            MetricKind::Proportion => Summary::Proportion { n, successes: x },
            MetricKind::Mean => Summary::Mean { n, sum: x, sum_squares: xx },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEAN: Metric = Metric { kind: MetricKind::Mean, winsorize: None, cuped: false };

    fn exposure(unit: u32, variant: u32) -> Exposure {
        Exposure { unit, variant }
    }

    fn value(value: f64) -> UnitValues {
        UnitValues { value, ..UnitValues::default() }
    }

    #[test]
    fn units_without_data_count_as_zero() {
        let values = [value(4.0), UnitValues::default(), value(2.0), UnitValues::default()];
        let exposures = [exposure(0, 0), exposure(1, 0), exposure(2, 1), exposure(3, 1)];
        let result = aggregate(&MEAN, 2, &exposures, &values).unwrap();
        assert_eq!(
            result.summaries,
            [Summary::Mean { n: 2, sum: 4.0, sum_squares: 16.0 }, Summary::Mean { n: 2, sum: 2.0, sum_squares: 4.0 }]
        );
        assert_eq!(result.units_per_variant(), [2, 2]);
        assert_eq!(result.caps, Caps::default());
    }

    #[test]
    fn unexposed_units_are_ignored_and_repeat_exposures_count_once() {
        let values = [value(1.0), value(1.0), value(100.0)];
        let exposures = [exposure(0, 1), exposure(1, 1), exposure(0, 1)];
        let result = aggregate(&MEAN, 3, &exposures, &values).unwrap();
        assert_eq!(result.units_per_variant(), [0, 2, 0]);
        assert_eq!(result.summaries[1], Summary::Mean { n: 2, sum: 2.0, sum_squares: 2.0 });
        assert_eq!(result.summaries[0], Summary::Mean { n: 0, sum: 0.0, sum_squares: 0.0 });
    }

    #[test]
    fn proportions_count_units_with_a_positive_value() {
        let metric = Metric { kind: MetricKind::Proportion, ..MEAN };
        let values = [value(3.0), value(0.0), value(1.0), value(-1.0)];
        let exposures = [exposure(0, 0), exposure(1, 0), exposure(2, 1), exposure(3, 1)];
        let result = aggregate(&metric, 2, &exposures, &values).unwrap();
        assert_eq!(
            result.summaries,
            [Summary::Proportion { n: 2, successes: 1.0 }, Summary::Proportion { n: 2, successes: 1.0 }]
        );
    }

    #[test]
    fn units_exposed_to_two_variants_are_excluded_and_reported() {
        let values = vec![value(1.0); 10];
        let mut exposures: Vec<Exposure> = (0..10).map(|unit| exposure(unit, unit % 2)).collect();
        // Units 9 to 2 also see the other variant, unit 3 even twice.
        exposures.extend((2..10).rev().map(|unit| exposure(unit, 1 - unit % 2)));
        exposures.push(exposure(3, 0));
        let result = aggregate(&MEAN, 2, &exposures, &values).unwrap();
        assert_eq!(result.multiple_exposures, MultipleExposures { units: 8, examples: vec![9, 8, 7, 6, 5] });
        assert_eq!(result.units_per_variant(), [1, 1]);
    }

    #[test]
    fn winsorisation_caps_at_a_percentile_of_all_variants_pooled() {
        let metric = Metric { winsorize: Some(0.9), ..MEAN };
        // Units 0..100 hold 1..=100, alternating between the variants.
        let values: Vec<UnitValues> = (1..=100).map(|v| value(f64::from(v))).collect();
        let exposures: Vec<Exposure> = (0..100).map(|unit| exposure(unit, unit % 2)).collect();
        let result = aggregate(&metric, 2, &exposures, &values).unwrap();
        assert_eq!(result.caps, Caps { value: Some(90.0), ..Caps::default() });
        // Variant 0 holds the odd values: 1, 3, ..., 89 as they are, then 91..=99 capped at 90.
        let odd_below: Vec<f64> = (1..90).step_by(2).map(f64::from).collect();
        let expected_sum = odd_below.iter().sum::<f64>() + 5.0 * 90.0;
        let expected_squares = odd_below.iter().map(|v| v * v).sum::<f64>() + 5.0 * 90.0 * 90.0;
        assert_eq!(result.summaries[0], Summary::Mean { n: 50, sum: expected_sum, sum_squares: expected_squares });
    }

    #[test]
    fn the_winsorisation_cap_counts_units_without_data() {
        let metric = Metric { winsorize: Some(0.5), ..MEAN };
        let values = [value(10.0), value(20.0), UnitValues::default(), UnitValues::default()];
        let exposures: Vec<Exposure> = (0..4).map(|unit| exposure(unit, 0)).collect();
        let result = aggregate(&metric, 1, &exposures, &values).unwrap();
        assert_eq!(result.caps.value, Some(0.0));
        assert_eq!(result.summaries[0], Summary::Mean { n: 4, sum: 0.0, sum_squares: 0.0 });
    }

    #[test]
    fn upper_percentile_uses_the_nearest_rank() {
        let pooled = || vec![5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(upper_percentile(pooled(), 1.0), Some(5.0));
        assert_eq!(upper_percentile(pooled(), 0.8), Some(4.0));
        assert_eq!(upper_percentile(pooled(), 0.79), Some(4.0));
        assert_eq!(upper_percentile(pooled(), 0.01), Some(1.0));
        assert_eq!(upper_percentile(Vec::new(), 0.99), None);
    }

    #[test]
    fn ratios_sum_numerators_denominators_and_their_products() {
        let metric = Metric { kind: MetricKind::Ratio, ..MEAN };
        let values = [
            UnitValues { value: 30.0, denominator: 3.0, pre: 99.0 },
            UnitValues { value: 10.0, denominator: 2.0, pre: 99.0 },
            UnitValues::default(),
        ];
        let exposures = [exposure(0, 0), exposure(1, 0), exposure(2, 0)];
        let result = aggregate(&metric, 1, &exposures, &values).unwrap();
        assert_eq!(
            result.summaries[0],
            Summary::Ratio {
                n: 3,
                numerator_sum: 40.0,
                numerator_sum_squares: 1000.0,
                denominator_sum: 5.0,
                denominator_sum_squares: 13.0,
                numerator_denominator_sum: 110.0,
            }
        );
    }

    #[test]
    fn winsorized_ratios_cap_numerator_and_denominator_separately() {
        let metric = Metric { kind: MetricKind::Ratio, winsorize: Some(0.5), cuped: false };
        let values = [
            UnitValues { value: 1.0, denominator: 40.0, pre: 0.0 },
            UnitValues { value: 2.0, denominator: 30.0, pre: 0.0 },
            UnitValues { value: 3.0, denominator: 20.0, pre: 0.0 },
            UnitValues { value: 4.0, denominator: 10.0, pre: 0.0 },
        ];
        let exposures: Vec<Exposure> = (0..4).map(|unit| exposure(unit, 0)).collect();
        let result = aggregate(&metric, 1, &exposures, &values).unwrap();
        assert_eq!(result.caps, Caps { value: Some(2.0), denominator: Some(20.0), pre: None });
        assert!(matches!(
            result.summaries[0],
            Summary::Ratio { numerator_sum: 7.0, denominator_sum: 70.0, numerator_denominator_sum: 120.0, .. }
        ));
    }

    #[test]
    fn cuped_sums_pair_each_value_with_its_pre_period() {
        let metric = Metric { cuped: true, winsorize: Some(1.0), ..MEAN };
        let values = [
            UnitValues { value: 5.0, denominator: 99.0, pre: 2.0 },
            UnitValues { value: 1.0, denominator: 99.0, pre: 0.0 },
            UnitValues { value: 0.0, denominator: 99.0, pre: 4.0 },
        ];
        let exposures = [exposure(0, 1), exposure(1, 1), exposure(2, 0)];
        let result = aggregate(&metric, 2, &exposures, &values).unwrap();
        assert_eq!(result.caps, Caps { value: Some(5.0), denominator: None, pre: Some(4.0) });
        assert_eq!(
            result.summaries,
            [
                Summary::Cuped {
                    n: 1,
                    sum: 0.0,
                    sum_squares: 0.0,
                    pre_sum: 4.0,
                    pre_sum_squares: 16.0,
                    sum_times_pre: 0.0
                },
                Summary::Cuped {
                    n: 2,
                    sum: 6.0,
                    sum_squares: 26.0,
                    pre_sum: 2.0,
                    pre_sum_squares: 4.0,
                    sum_times_pre: 10.0
                },
            ]
        );
    }

    #[test]
    fn cuped_proportions_pair_conversions_with_the_pre_period() {
        let metric = Metric { kind: MetricKind::Proportion, cuped: true, winsorize: None };
        let values = [UnitValues { value: 2.0, denominator: 0.0, pre: 3.0 }, UnitValues::default()];
        let result = aggregate(&metric, 1, &[exposure(0, 0), exposure(1, 0)], &values).unwrap();
        assert_eq!(
            result.summaries[0],
            Summary::Cuped { n: 2, sum: 1.0, sum_squares: 1.0, pre_sum: 3.0, pre_sum_squares: 9.0, sum_times_pre: 3.0 }
        );
    }

    #[test]
    fn exposures_to_unknown_variants_or_units_are_rejected() {
        let values = [value(1.0), value(2.0)];
        let unknown_variant = aggregate(&MEAN, 2, &[exposure(0, 0), exposure(1, 2)], &values);
        assert_eq!(unknown_variant, Err(AggregateError::UnknownVariant { unit: 1, variant: 2, variant_count: 2 }));
        assert_eq!(
            unknown_variant.unwrap_err().to_string(),
            "unit 1 was exposed to variant 2, but the experiment has 2 variants"
        );
        let sentinel = aggregate(&MEAN, usize::MAX, &[exposure(0, u32::MAX)], &values);
        assert!(matches!(sentinel, Err(AggregateError::UnknownVariant { variant: u32::MAX, .. })));
        let unknown_unit = aggregate(&MEAN, 2, &[exposure(2, 0)], &values);
        assert_eq!(unknown_unit, Err(AggregateError::UnknownUnit { unit: 2, unit_count: 2 }));
    }

    #[test]
    fn non_finite_values_of_analysed_units_are_rejected() {
        let metric = Metric { cuped: true, ..MEAN };
        let values =
            [value(1.0), UnitValues { value: 1.0, denominator: f64::NAN, pre: f64::INFINITY }, value(f64::NAN)];
        let result = aggregate(&metric, 1, &[exposure(0, 0), exposure(1, 0)], &values);
        assert!(
            matches!(result, Err(AggregateError::NotFinite { unit: 1, column: Column::Pre, found }) if found.is_infinite())
        );
        // The unused denominator and the unexposed unit 2 do not matter.
        let mean = aggregate(&MEAN, 1, &[exposure(0, 0), exposure(1, 0)], &values);
        assert_eq!(mean.unwrap().summaries[0], Summary::Mean { n: 2, sum: 2.0, sum_squares: 2.0 });
    }

    #[test]
    fn metric_definitions_are_checked_first() {
        let cases = [
            (Metric { winsorize: Some(0.0), ..MEAN }, MetricError::WinsorizePercentile(0.0)),
            (Metric { winsorize: Some(1.5), ..MEAN }, MetricError::WinsorizePercentile(1.5)),
            (
                Metric { kind: MetricKind::Proportion, winsorize: Some(0.99), cuped: false },
                MetricError::WinsorizedProportion,
            ),
            (Metric { kind: MetricKind::Ratio, winsorize: None, cuped: true }, MetricError::CupedRatio),
        ];
        for (metric, error) in cases {
            assert_eq!(aggregate(&metric, 1, &[exposure(5, 7)], &[]), Err(AggregateError::Metric(error)));
        }
        assert!(matches!(
            Metric { winsorize: Some(f64::NAN), ..MEAN }.validate(),
            Err(MetricError::WinsorizePercentile(p)) if p.is_nan()
        ));
    }

    #[test]
    fn metrics_are_stored_as_json() {
        let metric: Metric = serde_json::from_str(r#"{"kind":"mean","winsorize":0.99,"cuped":true}"#).unwrap();
        assert_eq!(metric, Metric { kind: MetricKind::Mean, winsorize: Some(0.99), cuped: true });
        let ratio: Metric = serde_json::from_str(r#"{"kind":"ratio"}"#).unwrap();
        assert_eq!(ratio, Metric { kind: MetricKind::Ratio, winsorize: None, cuped: false });
    }
}
