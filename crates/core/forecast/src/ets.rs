//! Exponential smoothing state-space models (Hyndman, Koehler, Ord & Snyder 2008, *Forecasting with
//! Exponential Smoothing*): the ETS(error, trend, season) family of R's `forecast::ets` and
//! statsforecast's AutoETS, fitted by maximum likelihood and selected by AICc.
//!
//! - Error additive (A) or multiplicative (M); trend none (N), additive (A) or additive damped (Ad);
//!   season none (N), additive (A) or multiplicative (M). Multiplicative trends and the infinite-variance
//!   forms with additive error and multiplicative season are left out, as R does by default;
//!   multiplicative components are tried only on strictly positive series.
//! - Initial states start from R's heuristic (a classical decomposition of the first three seasons, a
//!   regression on the first deseasonalised points) and are then estimated jointly with the smoothing
//!   parameters by Nelder–Mead on the likelihood, within R's "usual" bounds.
//! - Seasons longer than [`MAX_STATE_SEASON`] (weekly data with a yearly cycle) get no seasonal states
//!   (R and statsforecast drop the season there). Instead, when the series holds two full cycles, it is
//!   also deseasonalised by a classical decomposition (multiplicative for positive series, otherwise
//!   additive) and non-seasonal ETS is selected on the adjusted series. The decomposition wins when its
//!   AICc, counting its m − 1 seasonal indices as parameters (and the Jacobian of a multiplicative
//!   adjustment), beats the best non-seasonal model on the raw series; its forecasts and intervals are
//!   then reseasonalised.
//! - Prediction intervals use the analytic variance of the additive-error forms (Hyndman et al. 2008,
//!   class 1). For multiplicative errors the same formula is applied on the relative scale, a
//!   first-order approximation that is close while the relative error variance is small; their widths
//!   follow the forecast's level, so they narrow in seasonal troughs while the relative width grows.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Forecast, ForecastError, Forecaster, Request, normal_intervals};

/// R's "usual" bounds: alpha in (LOWER, UPPER), beta in (LOWER, alpha), gamma in (LOWER, 1 − alpha).
const PARAM_LOWER: f64 = 1e-4;
const PARAM_UPPER: f64 = 0.9999;
const PHI_LOWER: f64 = 0.8;
const PHI_UPPER: f64 = 0.98;
/// The longest season given one state per period; longer ones are handled by decomposition.
pub const MAX_STATE_SEASON: usize = 24;
/// Likelihood evaluations for the first Nelder–Mead run; the restart gets half as many.
const MAX_EVALUATIONS: usize = 2000;
const RELATIVE_TOLERANCE: f64 = 1e-8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorType {
    Additive,
    Multiplicative,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrendType {
    None,
    Additive,
    /// Additive with the damping factor phi.
    Damped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SeasonType {
    None,
    Additive,
    Multiplicative,
}

/// The components of one ETS model, shown as R writes it, e.g. `ETS(M,Ad,M)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Form {
    pub error: ErrorType,
    pub trend: TrendType,
    pub season: SeasonType,
}

impl Form {
    pub const fn new(error: ErrorType, trend: TrendType, season: SeasonType) -> Self {
        Form { error, trend, season }
    }

    fn has_trend(self) -> bool {
        self.trend != TrendType::None
    }

    fn is_seasonal(self) -> bool {
        self.season != SeasonType::None
    }

    fn needs_positive_data(self) -> bool {
        self.error == ErrorType::Multiplicative || self.season == SeasonType::Multiplicative
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = match self.error {
            ErrorType::Additive => "A",
            ErrorType::Multiplicative => "M",
        };
        let trend = match self.trend {
            TrendType::None => "N",
            TrendType::Additive => "A",
            TrendType::Damped => "Ad",
        };
        write!(f, "ETS({error},{trend},{})", season_code(self.season))
    }
}

fn season_code(season: SeasonType) -> &'static str {
    match season {
        SeasonType::None => "N",
        SeasonType::Additive => "A",
        SeasonType::Multiplicative => "M",
    }
}

/// Why [`fit`] could not fit the requested form.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error(transparent)]
    Input(#[from] ForecastError),
    #[error("a multiplicative error or season needs strictly positive observations")]
    NotPositive,
    #[error("this form needs at least {needed} observations (and a season of at least 2), got {got}")]
    TooShort { needed: usize, got: usize },
    #[error("the starting values leave the model's admissible range")]
    Inadmissible,
}

/// An ETS model fitted to a series: its estimated parameters and its states after the last observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedEts {
    pub form: Form,
    pub alpha: f64,
    /// 0 without a trend.
    pub beta: f64,
    /// 0 without a season.
    pub gamma: f64,
    /// 1 unless damped.
    pub phi: f64,
    pub level: f64,
    /// 0 without a trend.
    pub trend: f64,
    /// Seasonal states after the last observation: `season[k]` applies `k + 1` steps ahead (cyclically).
    /// Empty without a season.
    pub season: Vec<f64>,
    /// Variance of the one-step errors (relative errors for a multiplicative error), per degree of freedom.
    pub sigma2: f64,
    pub log_likelihood: f64,
    /// Estimated values counted by the information criteria: smoothing parameters, initial states and
    /// the error variance.
    pub parameters: usize,
    pub aic: f64,
    /// Infinite when the series is too short for the number of parameters.
    pub aicc: f64,
    pub observations: usize,
}

/// Fits one ETS form to `y` (oldest first) with season length `season` (ignored by non-seasonal forms).
pub fn fit(y: &[f64], season: usize, form: Form) -> Result<FittedEts, FitError> {
    Request { horizon: 1, season, levels: &[] }.check(y)?;
    let needed = minimum_length(form, season);
    if y.len() < needed || (form.is_seasonal() && season < 2) {
        return Err(FitError::TooShort { needed, got: y.len() });
    }
    if form.needs_positive_data() && !all_positive(y) {
        return Err(FitError::NotPositive);
    }
    fit_form(y, season, form).ok_or(FitError::Inadmissible)
}

fn minimum_length(form: Form, season: usize) -> usize {
    if form.is_seasonal() { 2 * season + 2 } else { 3 }
}

fn all_positive(y: &[f64]) -> bool {
    y.iter().all(|&v| v > 0.0)
}

impl FittedEts {
    /// Point forecasts and normal prediction intervals for `horizon` steps, one per level in (0, 1).
    pub fn forecast(&self, horizon: usize, levels: &[f64]) -> Forecast {
        let mut mean = Vec::with_capacity(horizon);
        let mut sd = Vec::with_capacity(horizon);
        let (mut damping_power, mut damping_sum) = (1.0, 0.0);
        // 1 + Σ_{j<h} c_j², where c_j is the weight of today's error in the state j steps ahead.
        let mut error_weights = 1.0;
        for step in 1..=horizon {
            damping_power *= self.phi;
            damping_sum += damping_power;
            let base = self.level + damping_sum * self.trend;
            let seasonal = if self.season.is_empty() { 0.0 } else { self.season[(step - 1) % self.season.len()] };
            let point = match self.form.season {
                SeasonType::None => base,
                SeasonType::Additive => base + seasonal,
                SeasonType::Multiplicative => base * seasonal,
            };
            let spread = (self.sigma2 * error_weights).sqrt();
            sd.push(match self.form.error {
                ErrorType::Additive => spread,
                ErrorType::Multiplicative => point.abs() * spread,
            });
            mean.push(point);
            let season_weight =
                if self.form.is_seasonal() && step.is_multiple_of(self.season.len()) { self.gamma } else { 0.0 };
            error_weights += (self.alpha + self.beta * damping_sum + season_weight).powi(2);
        }
        let intervals = normal_intervals(&mean, &sd, levels);
        Forecast { model: self.form.to_string(), mean, intervals }
    }
}

#[derive(Debug, Clone, Copy)]
struct Smoothing {
    alpha: f64,
    beta: f64,
    gamma: f64,
    phi: f64,
}

#[derive(Debug, Clone)]
struct States {
    level: f64,
    trend: f64,
    /// A ring: `season[t % m]` applies at time `t`.
    season: Vec<f64>,
}

/// The result of running the model's recursions over the series.
struct Pass {
    /// Σ e², with e the relative error for a multiplicative error.
    squared_errors: f64,
    /// Σ ln ŷ for a multiplicative error (the likelihood's Jacobian term), 0 otherwise.
    log_fitted: f64,
    end: States,
}

/// Runs the one-step forecasts and state updates of Hyndman et al. (2008) over `y`; `None` when the
/// model leaves its admissible range (a non-positive fitted value or seasonal factor where it divides).
fn smooth(y: &[f64], form: Form, p: Smoothing, start: &States) -> Option<Pass> {
    let mut states = start.clone();
    let (mut squared_errors, mut log_fitted) = (0.0, 0.0);
    let multiplicative_season = form.season == SeasonType::Multiplicative;
    for (t, &observed) in y.iter().enumerate() {
        let damped_trend = p.phi * states.trend;
        let base = states.level + damped_trend;
        let slot = if states.season.is_empty() { 0 } else { t % states.season.len() };
        let seasonal = states.season.get(slot).copied().unwrap_or(0.0);
        if multiplicative_season && (seasonal <= 0.0 || base <= 0.0) {
            return None;
        }
        let (fitted, deseasonalised, season_signal) = match form.season {
            SeasonType::None => (base, observed, 0.0),
            SeasonType::Additive => (base + seasonal, observed - seasonal, observed - base),
            SeasonType::Multiplicative => (base * seasonal, observed / seasonal, observed / base),
        };
        let error = match form.error {
            ErrorType::Additive => observed - fitted,
            ErrorType::Multiplicative if fitted > 0.0 => {
                log_fitted += fitted.ln();
                (observed - fitted) / fitted
            }
            ErrorType::Multiplicative => return None,
        };
        squared_errors += error * error;
        // Written in the error-free form R uses; it is the same for both error types.
        let level = base + p.alpha * (deseasonalised - base);
        if form.has_trend() {
            states.trend = damped_trend + p.beta / p.alpha * (level - states.level - damped_trend);
        }
        if form.is_seasonal() {
            states.season[slot] = seasonal + p.gamma * (season_signal - seasonal);
        }
        states.level = level;
    }
    squared_errors.is_finite().then_some(Pass { squared_errors, log_fitted, end: states })
}

/// −2 × the Gaussian log-likelihood with the error variance profiled out. `scale` sets the floor on
/// the variance that keeps a perfect fit finite.
fn minus_twice_log_likelihood(pass: &Pass, n: usize, form: Form, scale: f64) -> f64 {
    let n = n as f64;
    let floor = match form.error {
        ErrorType::Additive => (1e-10 * scale).powi(2),
        ErrorType::Multiplicative => 1e-20,
    };
    let variance = (pass.squared_errors / n).max(floor).max(f64::MIN_POSITIVE);
    n * ((2.0 * std::f64::consts::PI * variance).ln() + 1.0) + 2.0 * pass.log_fitted
}

/// Where a form's free values sit in the optimiser's vector: smoothing parameters as logits of their
/// place within their bounds (so every vector is admissible), then the initial level, trend and the
/// first m − 1 seasonal states, divided by the series' scale where they carry its unit. The last
/// seasonal state is implied: the states sum to 0 (additive) or m (multiplicative).
struct Layout {
    form: Form,
    m: usize,
    scale: f64,
}

impl Layout {
    fn season_scale(&self) -> f64 {
        if self.form.season == SeasonType::Additive { self.scale } else { 1.0 }
    }

    fn season_total(&self) -> f64 {
        if self.form.season == SeasonType::Multiplicative { self.m as f64 } else { 0.0 }
    }

    fn free_seasonal_states(&self) -> usize {
        if self.form.is_seasonal() { self.m - 1 } else { 0 }
    }

    fn decode(&self, x: &[f64]) -> (Smoothing, States) {
        let mut values = x.iter().copied();
        let mut next = || values.next().unwrap_or_default();
        let alpha = within(next(), PARAM_LOWER, PARAM_UPPER);
        let beta = if self.form.has_trend() { within(next(), PARAM_LOWER, alpha) } else { 0.0 };
        let phi = if self.form.trend == TrendType::Damped { within(next(), PHI_LOWER, PHI_UPPER) } else { 1.0 };
        let gamma = if self.form.is_seasonal() { within(next(), PARAM_LOWER, 1.0 - alpha) } else { 0.0 };
        let level = next() * self.scale;
        let trend = if self.form.has_trend() { next() * self.scale } else { 0.0 };
        let mut season: Vec<f64> = (0..self.free_seasonal_states()).map(|_| next() * self.season_scale()).collect();
        if self.form.is_seasonal() {
            season.push(self.season_total() - season.iter().sum::<f64>());
        }
        (Smoothing { alpha, beta, gamma, phi }, States { level, trend, season })
    }

    fn encode(&self, p: Smoothing, states: &States) -> Vec<f64> {
        let mut x = vec![place(p.alpha, PARAM_LOWER, PARAM_UPPER)];
        if self.form.has_trend() {
            x.push(place(p.beta, PARAM_LOWER, p.alpha));
        }
        if self.form.trend == TrendType::Damped {
            x.push(place(p.phi, PHI_LOWER, PHI_UPPER));
        }
        if self.form.is_seasonal() {
            x.push(place(p.gamma, PARAM_LOWER, 1.0 - p.alpha));
        }
        x.push(states.level / self.scale);
        if self.form.has_trend() {
            x.push(states.trend / self.scale);
        }
        let free = self.free_seasonal_states();
        x.extend(states.season[..free].iter().map(|s| s / self.season_scale()));
        x
    }

    /// The initial simplex's step along each coordinate.
    fn steps(&self) -> Vec<f64> {
        let parameters = 1
            + usize::from(self.form.has_trend())
            + usize::from(self.form.trend == TrendType::Damped)
            + usize::from(self.form.is_seasonal());
        let mut steps = vec![1.0; parameters];
        steps.push(0.02);
        if self.form.has_trend() {
            steps.push(0.002);
        }
        steps.extend(std::iter::repeat_n(0.02, self.free_seasonal_states()));
        steps
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The value at logit `x` of the way from `lower` to `upper` (or `lower` when the range is empty).
fn within(x: f64, lower: f64, upper: f64) -> f64 {
    lower + (upper - lower).max(0.0) * sigmoid(x)
}

/// The inverse of [`within`], with the place kept off the ends.
fn place(value: f64, lower: f64, upper: f64) -> f64 {
    let fraction = ((value - lower) / (upper - lower)).clamp(1e-6, 1.0 - 1e-6);
    (fraction / (1.0 - fraction)).ln()
}

/// R's starting values: a small alpha (smaller for seasonal models, whose season absorbs the noise),
/// a smaller beta, a small gamma and phi near its upper bound.
fn starting_smoothing(form: Form, m: usize) -> Smoothing {
    let alpha = if form.is_seasonal() { 0.2 / m as f64 } else { 0.2 };
    Smoothing { alpha, beta: (0.1f64).min(alpha / 2.0), gamma: 0.05, phi: 0.97 }
}

/// R's heuristic initial states: seasonal indices from a classical decomposition of the first (up to
/// three) seasons, then the level and trend from a regression on the first max(10, 2m) deseasonalised
/// points (the level alone from their mean).
fn initial_states(y: &[f64], m: usize, form: Form) -> States {
    let season = if form.is_seasonal() { seasonal_indices(&y[..y.len().min(3 * m)], m, form.season) } else { vec![] };
    let head = &y[..y.len().min(10.max(2 * m))];
    let adjusted = deseasonalise(head, &season, form.season);
    let (level, trend) = if form.has_trend() {
        line_fit(&adjusted)
    } else {
        (adjusted.iter().sum::<f64>() / adjusted.len() as f64, 0.0)
    };
    States { level, trend, season }
}

/// Least squares `value ≈ intercept + slope · t` for t = 1, 2, …; the intercept is the value at t = 0.
fn line_fit(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean_t = (n + 1.0) / 2.0;
    let mean_value = values.iter().sum::<f64>() / n;
    let (mut covariance, mut variance) = (0.0, 0.0);
    for (i, value) in values.iter().enumerate() {
        let dt = (i + 1) as f64 - mean_t;
        covariance += dt * (value - mean_value);
        variance += dt * dt;
    }
    let slope = if variance > 0.0 { covariance / variance } else { 0.0 };
    (mean_value - slope * mean_t, slope)
}

/// Classical decomposition's seasonal indices (`n ≥ 2m`): index `j` applies at times `t ≡ j (mod m)`.
fn seasonal_indices(y: &[f64], m: usize, season: SeasonType) -> Vec<f64> {
    crate::baselines::classical_indices(y, m, season == SeasonType::Multiplicative)
}

fn deseasonalise(y: &[f64], indices: &[f64], season: SeasonType) -> Vec<f64> {
    y.iter()
        .enumerate()
        .map(|(t, &v)| match season {
            SeasonType::None => v,
            SeasonType::Additive => v - indices[t % indices.len()],
            SeasonType::Multiplicative => v / indices[t % indices.len()],
        })
        .collect()
}

/// Maximum-likelihood fit of one form; `None` when its starting values are not admissible.
fn fit_form(y: &[f64], m: usize, form: Form) -> Option<FittedEts> {
    let n = y.len();
    let scale = (y.iter().map(|v| v.abs()).sum::<f64>() / n as f64).max(f64::MIN_POSITIVE);
    let layout = Layout { form, m, scale };
    let start = layout.encode(starting_smoothing(form, m), &initial_states(y, m, form));
    let mut objective = |x: &[f64]| {
        let (smoothing, states) = layout.decode(x);
        smooth(y, form, smoothing, &states)
            .map_or(f64::INFINITY, |pass| minus_twice_log_likelihood(&pass, n, form, scale))
    };
    if !objective(&start).is_finite() {
        return None;
    }
    let steps = layout.steps();
    let first = nelder_mead(&mut objective, &start, &steps, MAX_EVALUATIONS, RELATIVE_TOLERANCE);
    // A restart from the best point rebuilds a simplex that may have collapsed in a narrow valley.
    let best = nelder_mead(&mut objective, &first.point, &steps, MAX_EVALUATIONS / 2, RELATIVE_TOLERANCE);
    let (smoothing, states) = layout.decode(&best.point);
    let pass = smooth(y, form, smoothing, &states)?;
    let free_values = best.point.len();
    // The error variance is one more parameter.
    let parameters = free_values + 1;
    let log_likelihood = -0.5 * minus_twice_log_likelihood(&pass, n, form, scale);
    let (aic, aicc) = information_criteria(log_likelihood, parameters, n);
    let season = (0..pass.end.season.len()).map(|k| pass.end.season[(n + k) % m]).collect();
    Some(FittedEts {
        form,
        alpha: smoothing.alpha,
        beta: smoothing.beta,
        gamma: smoothing.gamma,
        phi: smoothing.phi,
        level: pass.end.level,
        trend: pass.end.trend,
        season,
        sigma2: pass.squared_errors / n.saturating_sub(free_values).max(1) as f64,
        log_likelihood,
        parameters,
        aic,
        aicc,
        observations: n,
    })
}

/// AIC and AICc; the AICc is infinite when there are too few observations for the parameters.
fn information_criteria(log_likelihood: f64, parameters: usize, n: usize) -> (f64, f64) {
    let (k, n) = (parameters as f64, n as f64);
    let aic = -2.0 * log_likelihood + 2.0 * k;
    let aicc = if n > k + 1.0 { aic + 2.0 * k * (k + 1.0) / (n - k - 1.0) } else { f64::INFINITY };
    (aic, aicc)
}

struct Minimum {
    point: Vec<f64>,
    value: f64,
}

/// Nelder–Mead simplex minimisation (reflection 1, expansion 2, contraction ½, shrink ½) from `start`
/// with an initial simplex of one `steps[i]` along each axis. Stops when the values at the simplex's
/// vertices agree to `tolerance` (relative) or after `max_evaluations`.
fn nelder_mead(
    objective: &mut impl FnMut(&[f64]) -> f64,
    start: &[f64],
    steps: &[f64],
    max_evaluations: usize,
    tolerance: f64,
) -> Minimum {
    let dimension = start.len();
    let mut simplex: Vec<Minimum> = (0..=dimension)
        .map(|axis| {
            let mut point = start.to_vec();
            if axis > 0 {
                point[axis - 1] += steps[axis - 1];
            }
            Minimum { value: objective(&point), point }
        })
        .collect();
    let mut evaluations = simplex.len();
    let mut evaluate = |point: Vec<f64>, evaluations: &mut usize| {
        *evaluations += 1;
        Minimum { value: objective(&point), point }
    };
    // `from + factor · (from − towards)`, coordinate by coordinate.
    let along = |from: &[f64], towards: &[f64], factor: f64| -> Vec<f64> {
        from.iter().zip(towards).map(|(a, b)| a + factor * (a - b)).collect()
    };
    loop {
        simplex.sort_by(|a, b| a.value.total_cmp(&b.value));
        let (best, worst) = (simplex[0].value, simplex[dimension].value);
        let converged = worst - best <= tolerance * (best.abs() + worst.abs()) + 1e-300;
        if converged || evaluations >= max_evaluations {
            break;
        }
        let mut centroid = vec![0.0; dimension];
        for vertex in &simplex[..dimension] {
            for (c, x) in centroid.iter_mut().zip(&vertex.point) {
                *c += x / dimension as f64;
            }
        }
        let reflected = evaluate(along(&centroid, &simplex[dimension].point, 1.0), &mut evaluations);
        if reflected.value < best {
            let expanded = evaluate(along(&centroid, &simplex[dimension].point, 2.0), &mut evaluations);
            simplex[dimension] = if expanded.value < reflected.value { expanded } else { reflected };
        } else if reflected.value < simplex[dimension - 1].value {
            simplex[dimension] = reflected;
        } else {
            // Contract towards the better of the reflected and the worst point.
            let outside = reflected.value < worst;
            let target = if outside { &reflected.point } else { &simplex[dimension].point };
            let contracted = evaluate(along(&centroid, target, -0.5), &mut evaluations);
            if contracted.value < reflected.value.min(worst) {
                simplex[dimension] = contracted;
            } else {
                let best_point = simplex[0].point.clone();
                for vertex in &mut simplex[1..] {
                    *vertex = evaluate(along(&best_point, &vertex.point, -0.5), &mut evaluations);
                }
            }
        }
    }
    simplex.swap_remove(0)
}

/// Automatic ETS: every admissible form allowed by the configuration is fitted, the lowest AICc wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoEts {
    /// Try multiplicative errors (on strictly positive series only).
    pub multiplicative_error: bool,
    /// Try additive trends.
    pub trend: bool,
    /// Try damped trends (when trends are tried).
    pub damped: bool,
    /// Try seasonal forms (or, for seasons over [`MAX_STATE_SEASON`], the decomposition).
    pub season: bool,
    /// Try multiplicative seasons (on strictly positive series only).
    pub multiplicative_season: bool,
}

impl Default for AutoEts {
    fn default() -> Self {
        AutoEts { multiplicative_error: true, trend: true, damped: true, season: true, multiplicative_season: true }
    }
}

impl AutoEts {
    /// The forms to try on `y` with season `m`, leaving out R's restricted ones.
    fn candidates(&self, y: &[f64], m: usize) -> Vec<Form> {
        let positive = all_positive(y);
        let mut errors = vec![ErrorType::Additive];
        if self.multiplicative_error && positive {
            errors.push(ErrorType::Multiplicative);
        }
        let mut trends = vec![TrendType::None];
        if self.trend {
            trends.push(TrendType::Additive);
            if self.damped {
                trends.push(TrendType::Damped);
            }
        }
        let mut seasons = vec![SeasonType::None];
        if self.season && (2..=MAX_STATE_SEASON).contains(&m) && y.len() >= 2 * m + 2 {
            seasons.push(SeasonType::Additive);
            if self.multiplicative_season && positive {
                seasons.push(SeasonType::Multiplicative);
            }
        }
        let mut forms = Vec::new();
        for &error in &errors {
            for &trend in &trends {
                for &season in &seasons {
                    if !(error == ErrorType::Additive && season == SeasonType::Multiplicative) {
                        forms.push(Form::new(error, trend, season));
                    }
                }
            }
        }
        forms
    }

    /// The fitted form with the lowest AICc; simple exponential smoothing when the series is too short
    /// for any AICc.
    fn select(&self, y: &[f64], m: usize) -> Option<FittedEts> {
        let best = self
            .candidates(y, m)
            .into_iter()
            .filter_map(|form| fit_form(y, m, form))
            .filter(|fitted| fitted.aicc.is_finite())
            .min_by(|a, b| a.aicc.total_cmp(&b.aicc));
        best.or_else(|| fit_form(y, 1, Form::new(ErrorType::Additive, TrendType::None, SeasonType::None)))
    }

    /// The better by AICc of non-seasonal ETS on `y` and non-seasonal ETS on its classical
    /// decomposition's seasonally adjusted series, reseasonalised.
    fn forecast_decomposed(&self, y: &[f64], m: usize, horizon: usize, levels: &[f64]) -> Option<Forecast> {
        let plain = self.select(y, 1)?;
        let season = if self.multiplicative_season && all_positive(y) {
            SeasonType::Multiplicative
        } else {
            SeasonType::Additive
        };
        let indices = seasonal_indices(y, m, season);
        let adjusted = deseasonalise(y, &indices, season);
        let adjusted_fit = self.select(&adjusted, 1)?;
        let n = y.len();
        // The likelihood of y itself: dividing by the indices scaled each observation's density.
        let jacobian = match season {
            SeasonType::Multiplicative => (0..n).map(|t| indices[t % m].ln()).sum(),
            _ => 0.0,
        };
        let (_, seasonal_aicc) =
            information_criteria(adjusted_fit.log_likelihood - jacobian, adjusted_fit.parameters + m - 1, n);
        if seasonal_aicc >= plain.aicc {
            return Some(plain.forecast(horizon, levels));
        }
        let mut forecast = adjusted_fit.forecast(horizon, levels);
        let reseasonalise = |values: &mut [f64]| {
            for (step, value) in values.iter_mut().enumerate() {
                let index = indices[(n + step) % m];
                *value = if season == SeasonType::Multiplicative { *value * index } else { *value + index };
            }
        };
        reseasonalise(&mut forecast.mean);
        for interval in &mut forecast.intervals {
            reseasonalise(&mut interval.lower);
            reseasonalise(&mut interval.upper);
        }
        forecast.model = format!("{}+classical({},{m})", forecast.model, season_code(season));
        Some(forecast)
    }
}

/// A flat forecast of `value` whose error spreads like a random walk's with one-step deviation `step_sd`.
pub(crate) fn flat_forecast(model: &str, value: f64, step_sd: f64, horizon: usize, levels: &[f64]) -> Forecast {
    let mean = vec![value; horizon];
    let sd: Vec<f64> = (1..=horizon).map(|h| step_sd * (h as f64).sqrt()).collect();
    Forecast { model: model.to_string(), intervals: normal_intervals(&mean, &sd, levels), mean }
}

fn is_finite(forecast: &Forecast) -> bool {
    let intervals = forecast.intervals.iter().flat_map(|i| i.lower.iter().chain(&i.upper));
    forecast.mean.iter().chain(intervals).all(|v| v.is_finite())
}

impl Forecaster for AutoEts {
    fn name(&self) -> &str {
        "auto_ets"
    }

    /// Too little data for a model gives flat forecasts: one observation is repeated with a one-step
    /// deviation of 10 % of its size; a constant series (all zeros included) is repeated exactly; two
    /// observations give a random walk from the last with the one observed change as its deviation.
    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        let (horizon, levels) = (request.horizon, request.levels);
        let last = y[y.len() - 1];
        if y.len() == 1 {
            return Ok(flat_forecast("naive", last, 0.1 * last.abs(), horizon, levels));
        }
        if y.iter().all(|&v| v == last) {
            return Ok(flat_forecast("ETS(A,N,N)", last, 0.0, horizon, levels));
        }
        let naive = flat_forecast("naive", last, (last - y[y.len() - 2]).abs(), horizon, levels);
        if y.len() == 2 {
            return Ok(naive);
        }
        let m = request.season.max(1);
        let forecast = if self.season && m > MAX_STATE_SEASON && y.len() >= 2 * m {
            self.forecast_decomposed(y, m, horizon, levels)
        } else {
            None
        };
        let forecast = forecast.or_else(|| Some(self.select(y, m)?.forecast(horizon, levels)));
        Ok(forecast.filter(is_finite).unwrap_or(naive))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Deterministic noise in [-1, 1) from a linear congruential generator.
    fn noise(count: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    fn request(horizon: usize, season: usize) -> Request<'static> {
        Request { horizon, season, levels: &[0.8, 0.95] }
    }

    fn assert_ordered(forecast: &Forecast) {
        assert!(is_finite(forecast), "{forecast:?}");
        for interval in &forecast.intervals {
            for ((lower, mean), upper) in interval.lower.iter().zip(&forecast.mean).zip(&interval.upper) {
                assert!(lower <= mean && mean <= upper, "{forecast:?}");
            }
        }
    }

    #[test]
    fn nelder_mead_finds_the_rosenbrock_minimum() {
        let mut rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let minimum = nelder_mead(&mut rosenbrock, &[-1.2, 1.0], &[0.1, 0.1], 5000, 1e-14);
        assert!((minimum.point[0] - 1.0).abs() < 1e-4 && (minimum.point[1] - 1.0).abs() < 1e-4, "{:?}", minimum.point);
        assert!(minimum.value < 1e-8);
    }

    #[test]
    fn trend_with_multiplicative_season_is_recognised() {
        let factors = [0.8, 1.1, 1.3, 0.8];
        let truth = |t: usize| (100.0 + 2.0 * t as f64) * factors[t % 4];
        let wiggle = noise(48, 7);
        let y: Vec<f64> = (0..48).map(|t| truth(t) * (1.0 + 0.01 * wiggle[t])).collect();
        let forecast = AutoEts::default().forecast(&y, &request(8, 4)).unwrap();
        assert!(forecast.model.starts_with("ETS(M,A") && forecast.model.ends_with(",M)"), "{}", forecast.model);
        for (step, value) in forecast.mean.iter().enumerate() {
            let expected = truth(48 + step);
            assert!((value - expected).abs() < 0.03 * expected, "step {step}: {value} vs {expected}");
        }
        assert_ordered(&forecast);
    }

    #[test]
    fn additive_trend_is_extrapolated_with_widening_intervals() {
        let wiggle = noise(40, 3);
        let y: Vec<f64> = (0..40).map(|t| 50.0 - 1.5 * t as f64 + 2.0 * wiggle[t]).collect();
        let config = AutoEts { multiplicative_error: false, ..AutoEts::default() };
        let forecast = config.forecast(&y, &request(6, 1)).unwrap();
        assert!(forecast.model.starts_with("ETS(A,A"), "{}", forecast.model);
        for (step, value) in forecast.mean.iter().enumerate() {
            let expected = 50.0 - 1.5 * (40 + step) as f64;
            assert!((value - expected).abs() < 3.0, "step {step}: {value} vs {expected}");
        }
        assert_ordered(&forecast);
        let widths: Vec<f64> =
            forecast.intervals[1].upper.iter().zip(&forecast.intervals[1].lower).map(|(u, l)| u - l).collect();
        assert!(widths.windows(2).all(|w| w[1] > w[0]), "{widths:?}");
        assert!(
            forecast.intervals[1].upper[0] - forecast.intervals[1].lower[0]
                > forecast.intervals[0].upper[0] - forecast.intervals[0].lower[0]
        );
    }

    #[test]
    fn constant_and_degenerate_series_give_finite_flat_forecasts() {
        let ets = AutoEts::default();
        let constant = ets.forecast(&[7.0; 30], &request(3, 4)).unwrap();
        assert_eq!(constant.mean, vec![7.0; 3]);
        let zeros = ets.forecast(&[0.0; 10], &request(3, 1)).unwrap();
        assert_eq!(zeros.mean, vec![0.0; 3]);
        assert_ordered(&zeros);
        let single = ets.forecast(&[5.0], &request(3, 1)).unwrap();
        assert_eq!(single.mean, vec![5.0; 3]);
        assert!(single.intervals[0].upper[2] > single.intervals[0].upper[0]);
        let pair = ets.forecast(&[5.0, 8.0], &request(3, 7)).unwrap();
        assert_eq!(pair.mean, vec![8.0; 3]);
        for y in [&[1.0, 3.0, 2.0][..], &[0.0, 0.0, 4.0, 0.0, 1.0], &[-3.0, 2.0, -1.0, 5.0, 0.0, 2.0]] {
            assert_ordered(&ets.forecast(y, &request(5, 12)).unwrap());
        }
        assert_eq!(ets.forecast(&[], &request(1, 1)), Err(ForecastError::Empty));
    }

    #[test]
    fn a_long_season_is_handled_by_decomposition() {
        let wiggle = noise(156, 11);
        let profile = |t: usize| 1.0 + 0.5 * (2.0 * std::f64::consts::PI * (t % 52) as f64 / 52.0).sin();
        let y: Vec<f64> = (0..156).map(|t| 200.0 * profile(t) * (1.0 + 0.02 * wiggle[t])).collect();
        let forecast = AutoEts::default().forecast(&y, &request(52, 52)).unwrap();
        assert!(forecast.model.ends_with("+classical(M,52)"), "{}", forecast.model);
        for (step, value) in forecast.mean.iter().enumerate() {
            let expected = 200.0 * profile(156 + step);
            assert!((value - expected).abs() < 0.06 * expected, "step {step}: {value} vs {expected}");
        }
        assert_ordered(&forecast);
    }

    #[test]
    fn a_fixed_form_fits_and_reports_what_it_cannot_fit() {
        let y: Vec<f64> = (0..24).map(|t| 10.0 + [3.0, -1.0, -2.0, 0.0][t % 4] + 0.1 * (t % 5) as f64).collect();
        let form = Form::new(ErrorType::Additive, TrendType::None, SeasonType::Additive);
        let fitted = fit(&y, 4, form).unwrap();
        assert_eq!(fitted.season.len(), 4);
        assert!(fitted.alpha > 0.0 && fitted.gamma < 1.0 - fitted.alpha);
        let forecast = fitted.forecast(4, &[0.9]);
        assert_eq!(forecast.model, "ETS(A,N,A)");
        assert!((forecast.mean[0] - 13.0).abs() < 1.0, "{:?}", forecast.mean);
        let damped = Form::new(ErrorType::Multiplicative, TrendType::Damped, SeasonType::Multiplicative);
        assert_eq!(damped.to_string(), "ETS(M,Ad,M)");
        let with_zero: Vec<f64> = y.iter().map(|v| v - 8.0).collect();
        assert_eq!(fit(&with_zero, 4, damped), Err(FitError::NotPositive));
        assert_eq!(fit(&y[..8], 4, form), Err(FitError::TooShort { needed: 10, got: 8 }));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn positive_series_give_finite_ordered_forecasts(
            y in proptest::collection::vec(0.1f64..1000.0, 1..60),
            season in prop_oneof![Just(1usize), Just(4), Just(12)],
        ) {
            let forecast = AutoEts::default().forecast(&y, &Request { horizon: 6, season, levels: &[0.8, 0.95] }).unwrap();
            assert_ordered(&forecast);
        }
    }
}
