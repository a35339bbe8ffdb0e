//! Sufficient statistics of one metric in one variant: the only thing the
//! statistics engine needs, and what the aggregation of per-unit data produces.

use serde::{Deserialize, Serialize};

/// The sufficient statistics of one metric in one variant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Summary {
    /// A 0/1 outcome per unit (converted, clicked): `successes` of `n` units.
    Proportion { n: u64, successes: f64 },
    /// A numeric outcome per unit (revenue per user, items per order).
    Mean { n: u64, sum: f64, sum_squares: f64 },
    /// A ratio of two per-unit sums (revenue per session, clicks per impression),
    /// analysed with the delta method.
    Ratio {
        n: u64,
        numerator_sum: f64,
        numerator_sum_squares: f64,
        denominator_sum: f64,
        denominator_sum_squares: f64,
        numerator_denominator_sum: f64,
    },
    /// A numeric outcome with the same unit's pre-period value, for CUPED.
    Cuped { n: u64, sum: f64, sum_squares: f64, pre_sum: f64, pre_sum_squares: f64, sum_times_pre: f64 },
}

impl Summary {
    /// Number of units.
    pub fn units(&self) -> u64 {
        match *self {
            Summary::Proportion { n, .. }
            | Summary::Mean { n, .. }
            | Summary::Ratio { n, .. }
            | Summary::Cuped { n, .. } => n,
        }
    }

    /// Mean per unit: the share of successes, the mean value, the ratio of the two sums, or
    /// for [`Summary::Cuped`] the metric's own mean before adjustment. `None` without units,
    /// or for a ratio whose denominator sums to zero.
    pub fn mean(&self) -> Option<f64> {
        if self.units() == 0 {
            return None;
        }
        match self.parts() {
            SummaryParts::Proportion { n, successes } => Some(successes / n),
            SummaryParts::Mean(column) => Some(column.mean()),
            SummaryParts::Cuped(parts) => Some(parts.metric.mean()),
            SummaryParts::Ratio(parts) => {
                (parts.denominator.sum != 0.0).then(|| parts.numerator.sum / parts.denominator.sum)
            }
        }
    }

    /// Variance of one unit's value, estimated as gbstats does: `p(1 - p)` for a proportion,
    /// the sample variance (`n - 1` denominator) for a mean, the delta-method variance of the
    /// ratio of means for a ratio, and for [`Summary::Cuped`] the metric's own variance before
    /// adjustment. `None` below two units or for a ratio whose denominator sums to zero.
    /// Inconsistent sums (a sum of squares too small for its sum) give a negative value.
    pub fn variance(&self) -> Option<f64> {
        if self.units() < 2 {
            return None;
        }
        match self.parts() {
            SummaryParts::Proportion { n, successes } => {
                let share = successes / n;
                Some(share * (1.0 - share))
            }
            SummaryParts::Mean(column) => Some(column.sample_variance()),
            SummaryParts::Cuped(parts) => Some(parts.metric.variance()),
            SummaryParts::Ratio(parts) => parts.delta_method_variance(),
        }
    }

    /// The summary as columns of per-unit values, for the statistics engine.
    pub(crate) fn parts(&self) -> SummaryParts {
        match *self {
            Summary::Proportion { n, successes } => SummaryParts::Proportion { n: n as f64, successes },
            Summary::Mean { n, sum, sum_squares } => SummaryParts::Mean(Column::new(n, sum, sum_squares)),
            Summary::Ratio {
                n,
                numerator_sum,
                numerator_sum_squares,
                denominator_sum,
                denominator_sum_squares,
                numerator_denominator_sum,
            } => SummaryParts::Ratio(RatioParts {
                numerator: Column::new(n, numerator_sum, numerator_sum_squares),
                denominator: Column::new(n, denominator_sum, denominator_sum_squares),
                sum_of_products: numerator_denominator_sum,
            }),
            Summary::Cuped { n, sum, sum_squares, pre_sum, pre_sum_squares, sum_times_pre } => {
                SummaryParts::Cuped(CupedParts {
                    metric: Column::new(n, sum, sum_squares),
                    covariate: Column::new(n, pre_sum, pre_sum_squares),
                    sum_of_products: sum_times_pre,
                })
            }
        }
    }
}

/// A [`Summary`] as columns of per-unit values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SummaryParts {
    Proportion { n: f64, successes: f64 },
    Mean(Column),
    Ratio(RatioParts),
    Cuped(CupedParts),
}

/// The sums of one per-unit column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Column {
    pub n: f64,
    pub sum: f64,
    pub sum_squares: f64,
}

impl Column {
    pub fn new(n: u64, sum: f64, sum_squares: f64) -> Self {
        Column { n: n as f64, sum, sum_squares }
    }

    pub fn mean(&self) -> f64 {
        self.sum / self.n
    }

    /// `Σx² - (Σx)²/n`: `n - 1` times the sample variance; negative only for inconsistent sums.
    pub fn spread(&self) -> f64 {
        self.sum_squares - self.sum * self.sum / self.n
    }

    pub fn sample_variance(&self) -> f64 {
        self.spread() / (self.n - 1.0)
    }

    /// A column whose values are all 0 or 1 (for non-negative integer values, exactly when
    /// the sum of squares equals the sum) is a proportion.
    pub fn is_binary(&self) -> bool {
        self.sum_squares == self.sum && (0.0..=self.n).contains(&self.sum)
    }

    /// Variance of one value. Inside a ratio or a CUPED pair a binary column gets the
    /// proportion's `p(1 - p)`, as gbstats does for binomial components; any other column
    /// gets the sample variance.
    pub fn variance(&self) -> f64 {
        if self.is_binary() {
            let share = self.mean();
            share * (1.0 - share)
        } else {
            self.sample_variance()
        }
    }

    /// The column of two groups of units taken together.
    pub fn joined(&self, other: &Column) -> Column {
        Column { n: self.n + other.n, sum: self.sum + other.sum, sum_squares: self.sum_squares + other.sum_squares }
    }
}

/// Sample covariance (`n - 1` denominator) of two columns of the same units.
fn covariance(x: &Column, y: &Column, sum_of_products: f64) -> f64 {
    (sum_of_products - x.sum * y.sum / x.n) / (x.n - 1.0)
}

/// A metric with the same units' pre-period values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CupedParts {
    pub metric: Column,
    pub covariate: Column,
    pub sum_of_products: f64,
}

impl CupedParts {
    pub fn covariance(&self) -> f64 {
        covariance(&self.metric, &self.covariate, self.sum_of_products)
    }

    /// Both groups of units taken together.
    pub fn joined(&self, other: &CupedParts) -> CupedParts {
        CupedParts {
            metric: self.metric.joined(&other.metric),
            covariate: self.covariate.joined(&other.covariate),
            sum_of_products: self.sum_of_products + other.sum_of_products,
        }
    }
}

/// A ratio metric's numerator and denominator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RatioParts {
    pub numerator: Column,
    pub denominator: Column,
    pub sum_of_products: f64,
}

impl RatioParts {
    /// The three terms of the delta-method variance of `mean(numerator) / mean(denominator)`
    /// per unit: `σ²ₙ/μ²_d`, `-2·cov·μₙ/μ³_d` and `μ²ₙ·σ²_d/μ⁴_d`. `None` when the
    /// denominator's mean is zero.
    pub fn delta_method_terms(&self) -> Option<[f64; 3]> {
        let numerator_mean = self.numerator.mean();
        let denominator_mean = self.denominator.mean();
        if denominator_mean == 0.0 {
            return None;
        }
        let covariance = covariance(&self.numerator, &self.denominator, self.sum_of_products);
        Some([
            self.numerator.variance() / denominator_mean.powi(2),
            -2.0 * covariance * numerator_mean / denominator_mean.powi(3),
            numerator_mean.powi(2) * self.denominator.variance() / denominator_mean.powi(4),
        ])
    }

    pub fn delta_method_variance(&self) -> Option<f64> {
        self.delta_method_terms().map(|terms| terms.iter().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value");
        assert!((actual - expected).abs() <= 1e-12 * expected.abs(), "{actual} != {expected}");
    }

    #[test]
    fn proportions_and_means() {
        let converted = Summary::Proportion { n: 8, successes: 2.0 };
        assert_close(converted.mean(), 0.25);
        assert_close(converted.variance(), 0.1875);
        // Values 1, 2, 3, 4: mean 2.5, sample variance 5/3.
        let values = Summary::Mean { n: 4, sum: 10.0, sum_squares: 30.0 };
        assert_close(values.mean(), 2.5);
        assert_close(values.variance(), 5.0 / 3.0);
        assert_eq!(Summary::Mean { n: 0, sum: 0.0, sum_squares: 0.0 }.mean(), None);
        assert_eq!(Summary::Mean { n: 1, sum: 3.0, sum_squares: 9.0 }.variance(), None);
    }

    #[test]
    fn ratio_variance_by_the_delta_method() {
        // Units (numerator, denominator): (2, 1), (3, 2), (5, 2), (0, 1). Means 2.5 and 1.5,
        // variances 13/3 and 1/3, covariance 1:
        // 13/3 / 1.5² - 2·1·2.5 / 1.5³ + 2.5²·(1/3) / 1.5⁴ = 208/243.
        let ratio = Summary::Ratio {
            n: 4,
            numerator_sum: 10.0,
            numerator_sum_squares: 38.0,
            denominator_sum: 6.0,
            denominator_sum_squares: 10.0,
            numerator_denominator_sum: 18.0,
        };
        assert_close(ratio.mean(), 10.0 / 6.0);
        assert_close(ratio.variance(), 208.0 / 243.0);
        let no_denominator = Summary::Ratio {
            n: 4,
            numerator_sum: 10.0,
            numerator_sum_squares: 38.0,
            denominator_sum: 0.0,
            denominator_sum_squares: 0.0,
            numerator_denominator_sum: 0.0,
        };
        assert_eq!((no_denominator.mean(), no_denominator.variance()), (None, None));
    }

    #[test]
    fn binary_components_are_proportions() {
        // Spend per visit with 0/1 visits: (4, 1), (0, 0), (6, 1), (0, 1). Means 2.5 and 0.75,
        // numerator variance 9, covariance 5/6, and the visits' variance is p(1 - p) = 3/16
        // (not the sample variance 1/4): 9/0.75² - 2·(5/6)·2.5/0.75³ + 2.5²·(3/16)/0.75⁴ = 796/81.
        let spend_per_visit = Summary::Ratio {
            n: 4,
            numerator_sum: 10.0,
            numerator_sum_squares: 52.0,
            denominator_sum: 3.0,
            denominator_sum_squares: 3.0,
            numerator_denominator_sum: 10.0,
        };
        assert_close(spend_per_visit.variance(), 796.0 / 81.0);
        let visits = Column::new(4, 3.0, 3.0);
        assert!(visits.is_binary() && !Column::new(4, 10.0, 52.0).is_binary());
        assert_close(Some(visits.sample_variance()), 0.25);
    }

    #[test]
    fn cuped_mean_and_variance_are_the_metric_s_own() {
        let cuped = Summary::Cuped {
            n: 4,
            sum: 10.0,
            sum_squares: 30.0,
            pre_sum: 8.0,
            pre_sum_squares: 20.0,
            sum_times_pre: 22.0,
        };
        assert_close(cuped.mean(), 2.5);
        assert_close(cuped.variance(), 5.0 / 3.0);
    }
}
