//! Seasonal ARIMA with automatic order selection, after Hyndman & Khandakar (2008), *Automatic time
//! series forecasting: the forecast package for R* (R's `auto.arima`, statsforecast's AutoARIMA).
//!
//! The model for `y` with period `m` is `φ(B)Φ(Bᵐ)(w_t − μ) = θ(B)Θ(Bᵐ)ε_t` on the differenced series
//! `w = (1 − B)ᵈ(1 − Bᵐ)ᴰ y`, with `μ` (the mean, or the drift when `d + D = 1`) only when
//! `d + D ≤ 1`.
//!
//! - **Differencing.** `D = 1` when the seasonal strength `1 − Var(remainder)/Var(season + remainder)`
//!   of an additive classical decomposition exceeds 0.64 (R's `seasonal.test = "seas"`, which measures
//!   it on an STL decomposition), for `2 ≤ m ≤` [`MAX_TERM_SEASON`] and at least two seasons. Then `d`
//!   (at most 2) comes from the KPSS level-stationarity test at 5 % (Kwiatkowski et al. 1992; Bartlett
//!   window of `⌊3√n/13⌋` lags, as R's `ndiffs`), by default confirmed by the augmented Dickey–Fuller
//!   test ([`UnitRootTests`]).
//! - **Long seasons** (weekly data with `m = 52`) get no seasonal terms: `Φ(B⁵²)` would make every
//!   likelihood evaluation carry a hundred states. As [`crate::ets`] does, the series is also
//!   deseasonalised by a classical decomposition (multiplicative for positive series) when it holds
//!   two seasons, ARIMA is selected on the adjusted series with the same `d`, and the adjustment wins
//!   when its AICc, counting its `m − 1` indices (and the Jacobian of a multiplicative adjustment),
//!   beats the unadjusted model's.
//! - **Estimation.** Conditional sum of squares (CSS) first, then the exact Gaussian likelihood from
//!   there (CSS-ML). The exact likelihood comes from the innovations algorithm applied to Ansley's
//!   (1979) transformation of the ARMA process (Brockwell & Davis, *Introduction to Time Series and
//!   Forecasting*, §3.3 and §5.2): no state-space initialisation to solve, `O(q'²)` per observation
//!   until the predictor's coefficients settle and an ARMA filter's `O(p' + q')` after. Both are
//!   minimised by BFGS with finite-difference gradients. AR and MA polynomials are parameterised
//!   through their partial autocorrelations (`tanh` of the free values, Durbin–Levinson to
//!   coefficients; Jones 1980), so every point the optimiser visits is stationary and invertible;
//!   models with a root within 1 % of the unit circle are then refused, as R does.
//! - **Search.** Hyndman–Khandakar's stepwise search by AICc over `p, q ≤ 5`, `P, Q ≤ 2` (at most a
//!   third of the series each) and the constant, from ARIMA(2,d,2)(1,D,1), (0,d,0)(0,D,0),
//!   (1,d,0)(1,D,0) and (0,d,1)(0,D,1), each model by CSS-ML (with a looser optimiser), the winner
//!   then refined. R searches series of more than 150 values by CSS alone; the cheap exact likelihood
//!   makes that unnecessary here (on M4 Weekly searching by CSS-ML lowers the MASE from 2.409 to 2.388),
//!   so only seasonal periods over 12 and series over 10 000 values are searched by CSS, the best
//!   five models then refitted by CSS-ML and the lowest AICc kept (if none is admissible, the best CSS
//!   fit is kept, [`Method::Css`]).
//! - **Forecasts** are the exact finite-history predictors of the innovations algorithm, integrated
//!   back; intervals are normal with the variance `σ²·Σ_{j<h} ψ_j²` of the MA(∞) representation of the
//!   whole (differenced) model. Histories without negative values get forecasts and bounds of at
//!   least 0.
//!
//! Series too short or too flat for a search never fail: one value is repeated with a deviation of
//! 10 % of its size; a constant series is repeated exactly; two values, or a series no model can be
//! fitted to, give a random walk. The forecast's model then names the fallback and why.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::baselines::classical_indices;
use crate::ets::flat_forecast;
use crate::{Forecast, ForecastError, Forecaster, Request, normal_intervals};

/// The longest period given seasonal AR and MA terms; longer ones are handled by decomposition.
pub const MAX_TERM_SEASON: usize = 24;
/// KPSS statistic's 5 % critical value for level stationarity.
const KPSS_CRITICAL: f64 = 0.463;
/// Seasonal strength above which the series is seasonally differenced (R's default).
const SEASONAL_STRENGTH: f64 = 0.64;
/// Roots of the AR or MA polynomials must lie at least this far out (R's `auto.arima` check).
const ROOT_MARGIN: f64 = 1.01;
/// Differenced series longer than this are searched with the CSS approximation.
const APPROXIMATION_LENGTH: usize = 10_000;
/// Models the stepwise search may fit (R's `max.models`).
const MAX_MODELS: usize = 94;
/// Best approximate models refitted by CSS-ML.
const REFITS: usize = 5;
const MAX_ITERATIONS: usize = 100;

/// The orders of a seasonal ARIMA model, shown as R writes it, e.g. `ARIMA(1,1,1)(0,1,0)[12]` or
/// `ARIMA(2,1,0) with drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Order {
    pub p: usize,
    pub d: usize,
    pub q: usize,
    pub seasonal_p: usize,
    pub seasonal_d: usize,
    pub seasonal_q: usize,
    /// The period `m` the seasonal orders refer to; 1 for none.
    pub period: usize,
    /// Whether `μ` is estimated (only when `d + D ≤ 1`).
    pub constant: bool,
}

impl Order {
    /// A non-seasonal ARIMA(p,d,q), with `μ` when `constant` (and `d ≤ 1`).
    pub const fn new(p: usize, d: usize, q: usize, constant: bool) -> Self {
        Order { p, d, q, seasonal_p: 0, seasonal_d: 0, seasonal_q: 0, period: 1, constant }
    }

    /// This order with the seasonal part (P,D,Q)[m].
    pub const fn seasonal(self, seasonal_p: usize, seasonal_d: usize, seasonal_q: usize, period: usize) -> Self {
        Order { seasonal_p, seasonal_d, seasonal_q, period, ..self }
    }

    fn has_seasonal_part(self) -> bool {
        self.period > 1 && self.seasonal_p + self.seasonal_d + self.seasonal_q > 0
    }

    fn spec(self) -> Spec {
        let seasonal = self.period > 1;
        Spec {
            p: self.p,
            q: self.q,
            sp: if seasonal { self.seasonal_p } else { 0 },
            sq: if seasonal { self.seasonal_q } else { 0 },
            m: self.period.max(1),
            constant: self.constant && self.d + self.seasonal_d <= 1,
        }
    }

    /// `(1 − B)ᵈ(1 − Bᵐ)ᴰ` written as `1 − Σ δ_k Bᵏ`: the coefficients `δ_1, δ_2, …`.
    fn differencing(self) -> Vec<f64> {
        let mut poly = vec![1.0];
        for _ in 0..self.d {
            poly = multiply(&poly, &[1.0, -1.0]);
        }
        if self.period > 1 {
            let mut seasonal = vec![0.0; self.period + 1];
            seasonal[0] = 1.0;
            seasonal[self.period] = -1.0;
            for _ in 0..self.seasonal_d {
                poly = multiply(&poly, &seasonal);
            }
        }
        poly[1..].iter().map(|c| -c).collect()
    }
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ARIMA({},{},{})", self.p, self.d, self.q)?;
        if self.has_seasonal_part() {
            write!(f, "({},{},{})[{}]", self.seasonal_p, self.seasonal_d, self.seasonal_q, self.period)?;
        }
        let differences = self.d + if self.period > 1 { self.seasonal_d } else { 0 };
        match (self.constant, differences) {
            (true, 0) => write!(f, " with mean"),
            (true, 1) => write!(f, " with drift"),
            _ => Ok(()),
        }
    }
}

/// Why [`fit`] could not fit the requested order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    #[error(transparent)]
    Input(#[from] ForecastError),
    #[error("this order needs more than {needed} observations, got {got}")]
    TooShort { needed: usize, got: usize },
    #[error("no stationary and invertible estimate was found")]
    Inadmissible,
}

/// How the parameters were estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Conditional sum of squares only.
    Css,
    /// The exact Gaussian likelihood, started from the CSS estimate.
    CssMl,
}

/// A seasonal ARIMA model fitted to a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedArima {
    pub order: Order,
    /// `φ_1..φ_p` of `φ(B) = 1 − φ_1B − … − φ_pBᵖ`.
    pub ar: Vec<f64>,
    /// `θ_1..θ_q` of `θ(B) = 1 + θ_1B + … + θ_qB^q`.
    pub ma: Vec<f64>,
    /// `Φ_1..Φ_P`, in the same convention as `ar`.
    pub seasonal_ar: Vec<f64>,
    /// `Θ_1..Θ_Q`, in the same convention as `ma`.
    pub seasonal_ma: Vec<f64>,
    /// `μ`, the mean of the differenced series (the drift per step when `d + D = 1`); 0 without one.
    pub constant: f64,
    /// The innovations' variance.
    pub sigma2: f64,
    /// Of the differenced series, exact for [`Method::CssMl`], the CSS approximation otherwise.
    pub log_likelihood: f64,
    /// Estimated values counted by the information criteria: the coefficients, `μ` and `σ²`.
    pub parameters: usize,
    pub aicc: f64,
    /// Values of the differenced series the likelihood is over.
    pub observations: usize,
    pub method: Method,
    /// What the forecasts are computed on: the history divided by `scale`, and its innovations.
    scale: f64,
    history: Vec<f64>,
    innovations: Vec<f64>,
}

/// Fits ARIMA of `order` to `y` (oldest first) by CSS-ML.
pub fn fit(y: &[f64], order: Order) -> Result<FittedArima, FitError> {
    Request { horizon: 1, season: order.period.max(1), levels: &[] }.check(y)?;
    let spec = order.spec();
    let lost = order.d + if order.period > 1 { order.seasonal_d * order.period } else { 0 };
    let needed = lost + spec.ar_len().max(spec.ma_len()) + spec.dimension() + 1;
    if y.len() <= needed {
        return Err(FitError::TooShort { needed, got: y.len() });
    }
    let scale = scale_of(y);
    let scaled: Vec<f64> = y.iter().map(|v| v / scale).collect();
    let w = difference_by(&scaled, order);
    let arma = fit_arma(&w, spec, true, true, None).ok_or(FitError::Inadmissible)?;
    Ok(FittedArima::new(order, arma, scale, scaled))
}

/// The divisor that brings a series to order 1 (its largest magnitude), so that squares of huge values
/// do not overflow.
fn scale_of(y: &[f64]) -> f64 {
    let largest = y.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if largest > 0.0 && largest.is_finite() { largest } else { 1.0 }
}

fn difference_by(y: &[f64], order: Order) -> Vec<f64> {
    let mut w = y.to_vec();
    if order.period > 1 {
        for _ in 0..order.seasonal_d {
            w = difference(&w, order.period);
        }
    }
    for _ in 0..order.d {
        w = difference(&w, 1);
    }
    w
}

fn difference(y: &[f64], lag: usize) -> Vec<f64> {
    y.iter().skip(lag).zip(y).map(|(a, b)| a - b).collect()
}

impl FittedArima {
    fn new(order: Order, arma: ArmaFit, scale: f64, history: Vec<f64>) -> Self {
        let n = arma.observations as f64;
        let log_likelihood = -0.5 * arma.minus_twice_log_likelihood - n * scale.ln();
        let parameters = arma.parameters();
        FittedArima {
            order,
            ar: arma.parts.phi.clone(),
            ma: arma.parts.theta.clone(),
            seasonal_ar: arma.parts.seasonal_phi.clone(),
            seasonal_ma: arma.parts.seasonal_theta.clone(),
            constant: arma.parts.mean * scale,
            sigma2: arma.sigma2 * scale * scale,
            log_likelihood,
            parameters,
            aicc: aicc(-2.0 * log_likelihood, parameters, arma.observations),
            observations: arma.observations,
            method: if arma.exact { Method::CssMl } else { Method::Css },
            scale,
            history,
            innovations: arma.residuals,
        }
    }

    /// Point forecasts and normal prediction intervals for `horizon` steps, one per level in (0, 1).
    pub fn forecast(&self, horizon: usize, levels: &[f64]) -> Forecast {
        let (ar, ma) = self.expanded();
        let w = difference_by(&self.history, self.order);
        let centred: Vec<f64> = w.iter().map(|v| v - self.constant / self.scale).collect();
        let predicted = match self.method {
            Method::CssMl => Innovations::compute(&ar, &ma, centred.len() + horizon)
                .map(|inn| inn.predict(&centred, &ar, &self.innovations, horizon)),
            Method::Css => None,
        }
        .unwrap_or_else(|| predict_converged(&centred, &ar, &ma, &self.innovations, horizon));
        // Integrate: y_t = w_t + Σ δ_k y_{t−k}.
        let delta = self.order.differencing();
        let mut extended = self.history.clone();
        for value in predicted {
            let t = extended.len();
            let carried: f64 = delta.iter().enumerate().map(|(k, c)| c * extended[t - 1 - k]).sum();
            extended.push(value + self.constant / self.scale + carried);
        }
        let mean: Vec<f64> = extended[self.history.len()..].iter().map(|v| v * self.scale).collect();
        // ψ-weights of θ*(B) / (φ*(B)·(1 − B)ᵈ(1 − Bᵐ)ᴰ).
        let full_ar = {
            let differencing: Vec<f64> = std::iter::once(1.0).chain(delta.iter().map(|c| -c)).collect();
            let stationary: Vec<f64> = std::iter::once(1.0).chain(ar.iter().map(|c| -c)).collect();
            multiply(&stationary, &differencing)[1..].iter().map(|c| -c).collect::<Vec<_>>()
        };
        let psi = psi_weights(&full_ar, &ma, horizon);
        let sigma = self.sigma2.max(0.0).sqrt();
        let mut cumulative = 0.0;
        let sd: Vec<f64> = psi
            .iter()
            .map(|p| {
                cumulative += p * p;
                sigma * cumulative.sqrt()
            })
            .collect();
        let intervals = normal_intervals(&mean, &sd, levels);
        Forecast { model: self.order.to_string(), mean, intervals }
    }

    /// The AR and MA polynomials with the seasonal factors multiplied in.
    fn expanded(&self) -> (Vec<f64>, Vec<f64>) {
        let m = self.order.period.max(1);
        (ar_product(&self.ar, &self.seasonal_ar, m), ma_product(&self.ma, &self.seasonal_ma, m))
    }
}

/// `ψ_0..ψ_{count−1}` of `(1 + Σ b_j Bʲ) / (1 − Σ a_i Bⁱ)`.
fn psi_weights(ar: &[f64], ma: &[f64], count: usize) -> Vec<f64> {
    let mut psi = Vec::with_capacity(count);
    for j in 0..count {
        let mut value = if j == 0 { 1.0 } else { ma.get(j - 1).copied().unwrap_or(0.0) };
        for i in 1..=j.min(ar.len()) {
            value += ar[i - 1] * psi[j - i];
        }
        psi.push(value);
    }
    psi
}

/// Forecasts of a centred ARMA series from its last values and innovations with the model's own MA
/// coefficients (the limit of the exact predictors for a long history).
fn predict_converged(x: &[f64], ar: &[f64], ma: &[f64], innovations: &[f64], horizon: usize) -> Vec<f64> {
    let n = x.len();
    let mut extended = x.to_vec();
    for h in 1..=horizon {
        let t = n + h - 1;
        let mut value = 0.0;
        for (i, a) in ar.iter().enumerate() {
            if let Some(past) = t.checked_sub(i + 1) {
                value += a * extended[past];
            }
        }
        for (j, b) in ma.iter().enumerate().skip(h - 1) {
            if let Some(past) = t.checked_sub(j + 1) {
                value += b * innovations.get(past).copied().unwrap_or(0.0);
            }
        }
        extended.push(value);
    }
    extended.split_off(n)
}

/// Polynomial product of coefficient vectors (constant term first).
fn multiply(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.len() + b.len() - 1];
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            out[i + j] += x * y;
        }
    }
    out
}

/// `a_1..` of `1 − Σ aₖBᵏ = (1 − Σ φ_iBⁱ)(1 − Σ Φ_jB^{mj})`.
fn ar_product(phi: &[f64], seasonal: &[f64], m: usize) -> Vec<f64> {
    let left: Vec<f64> = std::iter::once(1.0).chain(phi.iter().map(|c| -c)).collect();
    let mut right = vec![0.0; m * seasonal.len() + 1];
    right[0] = 1.0;
    for (j, c) in seasonal.iter().enumerate() {
        right[m * (j + 1)] = -c;
    }
    multiply(&left, &right)[1..].iter().map(|c| -c).collect()
}

/// `b_1..` of `1 + Σ bₖBᵏ = (1 + Σ θ_iBⁱ)(1 + Σ Θ_jB^{mj})`.
fn ma_product(theta: &[f64], seasonal: &[f64], m: usize) -> Vec<f64> {
    let left: Vec<f64> = std::iter::once(1.0).chain(theta.iter().copied()).collect();
    let mut right = vec![0.0; m * seasonal.len() + 1];
    right[0] = 1.0;
    for (j, c) in seasonal.iter().enumerate() {
        right[m * (j + 1)] = *c;
    }
    multiply(&left, &right)[1..].to_vec()
}

/// Coefficients `a_1..a_p` of `1 − Σ aₖzᵏ` from partial autocorrelations `tanh(raw)` by Durbin–Levinson:
/// every input gives a polynomial with all roots outside the unit circle.
fn from_partial_autocorrelations(raw: &[f64]) -> Vec<f64> {
    let mut a: Vec<f64> = Vec::with_capacity(raw.len());
    for &x in raw {
        let kappa = x.tanh();
        let previous = a.clone();
        for (k, value) in a.iter_mut().enumerate() {
            *value -= kappa * previous[previous.len() - 1 - k];
        }
        a.push(kappa);
    }
    a
}

/// Whether every root of `1 − Σ aₖzᵏ` lies outside the circle of `radius` (the Schur–Cohn test: the
/// step-down recursion's partial autocorrelations of the rescaled polynomial all lie inside (−1, 1)).
fn roots_outside(a: &[f64], radius: f64) -> bool {
    let mut a: Vec<f64> = a.iter().enumerate().map(|(k, c)| c * radius.powi(k as i32 + 1)).collect();
    while let Some(&kappa) = a.last() {
        if !kappa.is_finite() || kappa.abs() >= 1.0 {
            return false;
        }
        let j = a.len();
        let previous = a.clone();
        a.truncate(j - 1);
        for (k, value) in a.iter_mut().enumerate() {
            *value = (previous[k] + kappa * previous[j - 2 - k]) / (1.0 - kappa * kappa);
        }
    }
    true
}

/// The ARMA orders on the differenced series and whether `μ` is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Spec {
    p: usize,
    q: usize,
    sp: usize,
    sq: usize,
    m: usize,
    constant: bool,
}

impl Spec {
    fn dimension(self) -> usize {
        self.p + self.q + self.sp + self.sq + usize::from(self.constant)
    }

    fn ar_len(self) -> usize {
        self.p + self.m * self.sp
    }

    fn ma_len(self) -> usize {
        self.q + self.m * self.sq
    }
}

/// Coefficients decoded from the optimiser's free values.
#[derive(Debug, Clone, Default)]
struct Parts {
    phi: Vec<f64>,
    theta: Vec<f64>,
    seasonal_phi: Vec<f64>,
    seasonal_theta: Vec<f64>,
    mean: f64,
}

/// Where the free values sit: the partial autocorrelations (as `atanh`) of φ, θ, Φ, Θ, then `μ` as
/// `centre + x·spread`.
struct Layout {
    spec: Spec,
    centre: f64,
    spread: f64,
}

impl Layout {
    fn new(spec: Spec, w: &[f64]) -> Self {
        let n = w.len().max(1) as f64;
        let centre = w.iter().sum::<f64>() / n;
        let variance = w.iter().map(|v| (v - centre).powi(2)).sum::<f64>() / n;
        let spread = variance.sqrt().max(1e-8);
        Layout { spec, centre: if spec.constant { centre } else { 0.0 }, spread }
    }

    fn decode(&self, x: &[f64]) -> Parts {
        let Spec { p, q, sp, sq, .. } = self.spec;
        let (phi, rest) = x.split_at(p);
        let (theta, rest) = rest.split_at(q);
        let (seasonal_phi, rest) = rest.split_at(sp);
        let (seasonal_theta, rest) = rest.split_at(sq);
        let negate = |v: Vec<f64>| v.into_iter().map(|c| -c).collect();
        Parts {
            phi: from_partial_autocorrelations(phi),
            theta: negate(from_partial_autocorrelations(theta)),
            seasonal_phi: from_partial_autocorrelations(seasonal_phi),
            seasonal_theta: negate(from_partial_autocorrelations(seasonal_theta)),
            mean: rest.first().map_or(self.centre, |v| self.centre + v * self.spread),
        }
    }

    fn expand(&self, parts: &Parts) -> (Vec<f64>, Vec<f64>) {
        (
            ar_product(&parts.phi, &parts.seasonal_phi, self.spec.m),
            ma_product(&parts.theta, &parts.seasonal_theta, self.spec.m),
        )
    }
}

/// An ARMA model fitted to a differenced series.
#[derive(Debug, Clone)]
struct ArmaFit {
    spec: Spec,
    point: Vec<f64>,
    parts: Parts,
    sigma2: f64,
    minus_twice_log_likelihood: f64,
    aicc: f64,
    observations: usize,
    exact: bool,
    /// Innovations (exact) or CSS residuals, one per observation.
    residuals: Vec<f64>,
}

impl ArmaFit {
    fn parameters(&self) -> usize {
        self.spec.dimension() + 1
    }
}

/// The variance floor that keeps a perfect fit's likelihood finite (the series is scaled to order 1).
const VARIANCE_FLOOR: f64 = 1e-20;

/// The conditional sum of squares: residuals from the `p'`-th value on, earlier ones taken as 0.
fn css_residuals(w: &[f64], ar: &[f64], ma: &[f64], mean: f64, residuals: &mut [f64]) -> (f64, usize) {
    let start = ar.len().min(w.len());
    residuals[..start].iter_mut().for_each(|e| *e = 0.0);
    let x: Vec<f64> = w.iter().map(|v| v - mean).collect();
    let (p, q) = (ar.len(), ma.len());
    let mut sum = 0.0;
    for t in start..w.len() {
        let autoregressive: f64 = x[t - p..t].iter().rev().zip(ar).map(|(x, a)| a * x).sum();
        let lags = q.min(t);
        let moving_average: f64 = residuals[t - lags..t].iter().rev().zip(ma).map(|(e, b)| b * e).sum();
        let e = x[t] - autoregressive - moving_average;
        residuals[t] = e;
        sum += e * e;
    }
    (sum, w.len() - start)
}

/// The innovations algorithm on Ansley's transformation of a causal ARMA process with unit innovation
/// variance: `θ_{n,j}` and `v_n`, the one-step predictors' coefficients and relative error variances
/// for the `(n + 1)`-th value. Once a row repeats the one before (to 1e-10), every later row is taken
/// to equal it, and the recursion stops there.
struct Innovations {
    width: usize,
    /// `max(p', q')`: from here on the transformed process is MA(q').
    order: usize,
    /// Row `n`, column `j − 1`: `θ_{n,j}`, for the rows computed.
    theta: Vec<f64>,
    v: Vec<f64>,
}

impl Innovations {
    fn compute(ar: &[f64], ma: &[f64], rows: usize) -> Option<Innovations> {
        let (p, q) = (ar.len(), ma.len());
        let order = p.max(q);
        let width = order.max(1);
        let gamma = autocovariances(ar, ma, order)?;
        let ma_at = |r: usize| if r == 0 { 1.0 } else { ma.get(r - 1).copied().unwrap_or(0.0) };
        // E(W_i W_j) at lag h once both are past `order`: the MA(q') autocovariances.
        let far: Vec<f64> = (0..=q).map(|h| (0..=q - h).map(|r| ma_at(r) * ma_at(r + h)).sum()).collect();
        // κ(i, j) = E(W_i W_j) for 1-based i, j.
        let kappa = |i: usize, j: usize| -> f64 {
            let (i, j) = if i >= j { (i, j) } else { (j, i) };
            let h = i - j;
            if i <= order {
                gamma[h]
            } else if h > q {
                0.0
            } else if j <= order {
                gamma[h] - (1..=p).map(|r| ar[r - 1] * gamma[r.abs_diff(h)]).sum::<f64>()
            } else {
                far[h]
            }
        };
        let mut theta = Vec::with_capacity(rows.min(4 * order + 64) * width);
        let mut v = Vec::with_capacity(rows.min(4 * order + 64));
        if rows == 0 {
            return Some(Innovations { width, order, theta, v });
        }
        v.push(kappa(1, 1));
        theta.extend(std::iter::repeat_n(0.0, width));
        if !(v[0] > 0.0 && v[0].is_finite()) {
            return None;
        }
        for n in 1..rows {
            theta.extend(std::iter::repeat_n(0.0, width));
            let low = if n >= order { n - q.min(n) } else { 0 };
            for k in low..n {
                let mut s = kappa(n + 1, k + 1);
                for j in low.max(k.saturating_sub(width))..k {
                    s -= theta[k * width + (k - j - 1)] * theta[n * width + (n - j - 1)] * v[j];
                }
                theta[n * width + (n - k - 1)] = s / v[k];
            }
            let mut variance = kappa(n + 1, n + 1);
            for j in low..n {
                let t = theta[n * width + (n - j - 1)];
                variance -= t * t * v[j];
            }
            if !(variance > 0.0 && variance.is_finite()) {
                return None;
            }
            v.push(variance);
            let steady = n > order
                && (variance - v[n - 1]).abs() <= 1e-8
                && (0..width).all(|j| (theta[n * width + j] - theta[(n - 1) * width + j]).abs() <= 1e-8);
            if steady {
                break;
            }
        }
        Some(Innovations { width, order, theta, v })
    }

    /// The row that holds row `n`: itself, or the last one computed once the recursion is steady.
    fn row(&self, n: usize) -> usize {
        n.min(self.v.len() - 1)
    }

    fn at(&self, n: usize, j: usize) -> f64 {
        if j == 0 || j > self.width { 0.0 } else { self.theta[self.row(n) * self.width + j - 1] }
    }

    /// The one-step prediction of `x[n]` from the values and innovations before it.
    fn one_step(&self, n: usize, x: &[f64], ar: &[f64], innovations: &[f64], from_lag: usize) -> f64 {
        let mut value = 0.0;
        let last_lag = if n >= self.order { self.width.min(n) } else { n };
        if n >= self.order {
            for (i, a) in ar.iter().enumerate() {
                value += a * x[n - i - 1];
            }
        }
        for j in from_lag..=last_lag {
            value += self.at(n, j) * innovations[n - j];
        }
        value
    }

    /// `S = Σ U_t²/v_{t−1}`, `Σ ln v_{t−1}` and the innovations `U_t = x_t − x̂_t`.
    fn pass(&self, x: &[f64], ar: &[f64], q: usize) -> (f64, f64, Vec<f64>) {
        let mut innovations = vec![0.0; x.len()];
        let (mut weighted, mut log_v) = (0.0, 0.0);
        // Rows before the steady one, each with its own coefficients.
        let general = self.v.len().min(x.len());
        for n in 0..general {
            let u = x[n] - self.one_step(n, x, ar, &innovations, 1);
            innovations[n] = u;
            let v = self.v[n];
            weighted += u * u / v;
            log_v += v.ln();
        }
        if general < x.len() {
            // The steady row: an ARMA filter with fixed MA weights (n > order here, so n ≥ p, q).
            let steady = self.v.len() - 1;
            let theta = &self.theta[steady * self.width..steady * self.width + q];
            let p = ar.len();
            let mut squares = 0.0;
            for n in general..x.len() {
                let autoregressive: f64 = x[n - p..n].iter().rev().zip(ar).map(|(x, a)| a * x).sum();
                let moving_average: f64 = innovations[n - q..n].iter().rev().zip(theta).map(|(e, b)| b * e).sum();
                let u = x[n] - autoregressive - moving_average;
                innovations[n] = u;
                squares += u * u;
            }
            let v = self.v[steady];
            weighted += squares / v;
            log_v += (x.len() - general) as f64 * v.ln();
        }
        (weighted, log_v, innovations)
    }

    /// The exact `h`-step predictors from the end of `x`, `h = 1..=horizon` (needs `x.len() + horizon`
    /// rows).
    fn predict(&self, x: &[f64], ar: &[f64], innovations: &[f64], horizon: usize) -> Vec<f64> {
        let n = x.len();
        let mut extended = x.to_vec();
        let mut padded = innovations.to_vec();
        for h in 1..=horizon {
            let value = self.one_step(n + h - 1, &extended, ar, &padded, h);
            extended.push(value);
            padded.push(0.0);
        }
        extended.split_off(n)
    }
}

/// Autocovariances `γ(0..=max_lag)` of a causal ARMA process with unit innovation variance (Brockwell &
/// Davis §3.3: the first `p + 1` from a linear system, the rest by the AR recursion).
fn autocovariances(ar: &[f64], ma: &[f64], max_lag: usize) -> Option<Vec<f64>> {
    let (p, q) = (ar.len(), ma.len());
    let psi = psi_weights(ar, ma, q + 1);
    let ma_at = |r: usize| if r == 0 { 1.0 } else { ma.get(r - 1).copied().unwrap_or(0.0) };
    let rhs = |k: usize| (k..=q).map(|j| ma_at(j) * psi[j - k]).sum::<f64>();
    let size = p + 1;
    let mut matrix = vec![0.0; size * size];
    let mut b: Vec<f64> = (0..size).map(rhs).collect();
    for k in 0..size {
        matrix[k * size + k] += 1.0;
        for i in 1..=p {
            matrix[k * size + k.abs_diff(i)] -= ar[i - 1];
        }
    }
    let mut gamma = solve(&mut matrix, &mut b, size)?;
    for k in size..=max_lag {
        let value = (1..=p).map(|i| ar[i - 1] * gamma[k - i]).sum::<f64>() + if k <= q { rhs(k) } else { 0.0 };
        gamma.push(value);
    }
    gamma.truncate(max_lag + 1);
    gamma.iter().all(|g| g.is_finite()).then_some(gamma)
}

/// Solves `A·x = b` by Gaussian elimination with partial pivoting (`A` row-major, `size × size`).
fn solve(a: &mut [f64], b: &mut [f64], size: usize) -> Option<Vec<f64>> {
    for col in 0..size {
        let pivot = (col..size).max_by(|&i, &j| a[i * size + col].abs().total_cmp(&a[j * size + col].abs()))?;
        if a[pivot * size + col].abs() < 1e-12 {
            return None;
        }
        if pivot != col {
            for k in 0..size {
                a.swap(pivot * size + k, col * size + k);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..size {
            let factor = a[row * size + col] / a[col * size + col];
            if factor != 0.0 {
                for k in col..size {
                    a[row * size + k] -= factor * a[col * size + k];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut x = vec![0.0; size];
    for row in (0..size).rev() {
        let s: f64 = (row + 1..size).map(|k| a[row * size + k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row * size + row];
    }
    Some(x)
}

/// AICc from −2 log L, `k` estimated values and `n` observations; infinite when `n ≤ k + 1`.
fn aicc(minus_twice_log_likelihood: f64, k: usize, n: usize) -> f64 {
    let (k, n) = (k as f64, n as f64);
    if n > k + 1.0 { minus_twice_log_likelihood + 2.0 * k + 2.0 * k * (k + 1.0) / (n - k - 1.0) } else { f64::INFINITY }
}

/// Fits the ARMA part of `spec` to the differenced series `w`: by CSS, then (when `exact`) by maximum
/// likelihood from the CSS estimate or from `start`. `None` when no admissible estimate is found.
fn fit_arma(w: &[f64], spec: Spec, exact: bool, precise: bool, start: Option<&[f64]>) -> Option<ArmaFit> {
    let n = w.len();
    let layout = Layout::new(spec, w);
    let k = spec.dimension();
    if n <= spec.ar_len() + k + 1 {
        return None;
    }
    let point = match start {
        Some(point) => point.to_vec(),
        None => {
            let mut residuals = vec![0.0; n];
            let mut css = |x: &[f64]| {
                let parts = layout.decode(x);
                let (ar, ma) = layout.expand(&parts);
                let (sum, count) = css_residuals(w, &ar, &ma, parts.mean, &mut residuals);
                0.5 * (sum / count as f64).max(VARIANCE_FLOOR).ln()
            };
            minimise(&mut css, &vec![0.0; k], false).0
        }
    };
    let parts = layout.decode(&point);
    let (ar, ma) = layout.expand(&parts);
    let fitted = if exact {
        let exact_objective = |x: &[f64]| -> f64 {
            let parts = layout.decode(x);
            let (ar, ma) = layout.expand(&parts);
            let Some(innovations) = Innovations::compute(&ar, &ma, n) else { return f64::INFINITY };
            let centred: Vec<f64> = w.iter().map(|v| v - parts.mean).collect();
            let (weighted, log_v, _) = innovations.pass(&centred, &ar, ma.len());
            0.5 * ((weighted / n as f64).max(VARIANCE_FLOOR).ln() + log_v / n as f64)
        };
        let mut objective = exact_objective;
        let (point, value) = minimise(&mut objective, &point, precise);
        if !value.is_finite() {
            return None;
        }
        let parts = layout.decode(&point);
        let (ar, ma) = layout.expand(&parts);
        let innovations = Innovations::compute(&ar, &ma, n)?;
        let centred: Vec<f64> = w.iter().map(|v| v - parts.mean).collect();
        let (weighted, log_v, residuals) = innovations.pass(&centred, &ar, ma.len());
        let sigma2 = (weighted / n as f64).max(VARIANCE_FLOOR);
        let minus2 = n as f64 * ((2.0 * std::f64::consts::PI * sigma2).ln() + 1.0) + log_v;
        ArmaFit {
            spec,
            point,
            parts,
            sigma2,
            minus_twice_log_likelihood: minus2,
            aicc: 0.0,
            observations: n,
            exact: true,
            residuals,
        }
    } else {
        let mut residuals = vec![0.0; n];
        let (sum, count) = css_residuals(w, &ar, &ma, parts.mean, &mut residuals);
        let sigma2 = (sum / count as f64).max(VARIANCE_FLOOR);
        let minus2 = n as f64 * ((2.0 * std::f64::consts::PI * sigma2).ln() + 1.0);
        ArmaFit {
            spec,
            point,
            parts,
            sigma2,
            minus_twice_log_likelihood: minus2,
            aicc: 0.0,
            observations: n,
            exact: false,
            residuals,
        }
    };
    let admissible = roots_outside(&fitted.parts.phi, ROOT_MARGIN)
        && roots_outside(&fitted.parts.seasonal_phi, ROOT_MARGIN.powi(spec.m as i32))
        && roots_outside(&negated(&fitted.parts.theta), ROOT_MARGIN)
        && roots_outside(&negated(&fitted.parts.seasonal_theta), ROOT_MARGIN.powi(spec.m as i32));
    let aicc = aicc(fitted.minus_twice_log_likelihood, k + 1, n);
    (admissible && aicc.is_finite() && fitted.sigma2.is_finite()).then_some(ArmaFit { aicc, ..fitted })
}

fn negated(v: &[f64]) -> Vec<f64> {
    v.iter().map(|c| -c).collect()
}

/// BFGS with finite-difference gradients (central when `precise`, forward otherwise) and a
/// backtracking (Armijo) line search, from `start`; stops when an iteration improves the objective
/// by less than 1e-10 (`precise`) or 1e-8 (it is per observation), or after [`MAX_ITERATIONS`].
/// Returns the best point and its value.
fn minimise(f: &mut impl FnMut(&[f64]) -> f64, start: &[f64], precise: bool) -> (Vec<f64>, f64) {
    let k = start.len();
    let mut x = start.to_vec();
    let mut fx = f(&x);
    if k == 0 || !fx.is_finite() {
        return (x, fx);
    }
    let tolerance = if precise { 1e-10 } else { 1e-8 };
    let gradient = |f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64], fx: f64| -> Option<Vec<f64>> {
        let mut probe = x.to_vec();
        let mut g = vec![0.0; x.len()];
        for i in 0..x.len() {
            let h = if precise { 1e-5 } else { 1e-7 } * x[i].abs().max(1.0);
            probe[i] = x[i] + h;
            let up = f(&probe);
            g[i] = if precise {
                probe[i] = x[i] - h;
                (up - f(&probe)) / (2.0 * h)
            } else {
                (up - fx) / h
            };
            probe[i] = x[i];
            if !g[i].is_finite() {
                return None;
            }
        }
        Some(g)
    };
    let Some(mut g) = gradient(f, &x, fx) else { return (x, fx) };
    // The inverse Hessian's approximation, row-major.
    let identity = |k: usize| (0..k * k).map(|i| if i % (k + 1) == 0 { 1.0 } else { 0.0 }).collect::<Vec<f64>>();
    let mut inverse = identity(k);
    let mut fresh = true;
    for _ in 0..MAX_ITERATIONS {
        let mut direction: Vec<f64> = (0..k).map(|i| -(0..k).map(|j| inverse[i * k + j] * g[j]).sum::<f64>()).collect();
        let mut slope: f64 = direction.iter().zip(&g).map(|(d, g)| d * g).sum();
        if slope.is_nan() || slope >= 0.0 {
            inverse = identity(k);
            fresh = true;
            direction = g.iter().map(|v| -v).collect();
            slope = -g.iter().map(|v| v * v).sum::<f64>();
            if slope.is_nan() || slope >= 0.0 {
                break;
            }
        }
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..40 {
            let candidate: Vec<f64> = x.iter().zip(&direction).map(|(x, d)| x + step * d).collect();
            let value = f(&candidate);
            if value.is_finite() && value <= fx + 1e-4 * step * slope {
                accepted = Some((candidate, value));
                break;
            }
            step *= if value.is_finite() { 0.5 } else { 0.1 };
        }
        let Some((next, value)) = accepted else {
            if fresh {
                break;
            }
            inverse = identity(k);
            fresh = true;
            continue;
        };
        let Some(next_g) = gradient(f, &next, value) else {
            return (next, value);
        };
        let improvement = fx - value;
        let s: Vec<f64> = next.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next_g.iter().zip(&g).map(|(a, b)| a - b).collect();
        x = next;
        fx = value;
        g = next_g;
        if improvement <= tolerance {
            break;
        }
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        let yy: f64 = y.iter().map(|v| v * v).sum();
        if sy > 1e-12 * yy.sqrt() * s.iter().map(|v| v * v).sum::<f64>().sqrt() {
            if fresh {
                // Scale the first approximation to the curvature seen (Nocedal & Wright 6.20).
                inverse.iter_mut().for_each(|v| *v *= sy / yy);
                fresh = false;
            }
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..k).map(|i| (0..k).map(|j| inverse[i * k + j] * y[j]).sum()).collect();
            let yhy: f64 = y.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..k {
                for j in 0..k {
                    inverse[i * k + j] += -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
    }
    (x, fx)
}

/// The KPSS statistic for level stationarity with a Bartlett window of `⌊3√n/13⌋` lags.
fn kpss_statistic(x: &[f64]) -> f64 {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let e: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let mut partial = 0.0;
    let mut eta = 0.0;
    for v in &e {
        partial += v;
        eta += partial * partial;
    }
    let lags = (3.0 * (n as f64).sqrt() / 13.0) as usize;
    let mut long_run = e.iter().map(|v| v * v).sum::<f64>() / n as f64;
    for l in 1..=lags.min(n - 1) {
        let weight = 1.0 - l as f64 / (lags as f64 + 1.0);
        let covariance = e[l..].iter().zip(&e).map(|(a, b)| a * b).sum::<f64>() / n as f64;
        long_run += 2.0 * weight * covariance;
    }
    if long_run > 0.0 { eta / (n as f64 * n as f64 * long_run) } else { 0.0 }
}

fn is_constant(x: &[f64]) -> bool {
    x.iter().all(|&v| v == x[0])
}

/// How [`AutoArima`] chooses the number of first differences `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnitRootTests {
    /// R's `auto.arima`: difference while the KPSS test rejects stationarity.
    Kpss,
    /// KPSS and the augmented Dickey–Fuller test (5 %) must agree: the series is left undifferenced
    /// only when KPSS accepts stationarity and ADF rejects a unit root; it is differenced a second
    /// time only when KPSS still rejects stationarity and ADF still cannot reject a unit root. It
    /// differences once where the tests conflict, which on M4 Weekly spares the mean-reverting models
    /// KPSS accepts on short series and most of the second differences it asks for on long ones.
    KpssAdf,
}

/// First differences needed (at most `max_d`) by `tests`.
fn differences_needed(x: &[f64], max_d: usize, tests: UnitRootTests) -> usize {
    let mut current = x.to_vec();
    let mut d = 0;
    while d < max_d && current.len() > 3 && !is_constant(&current) {
        let kpss = kpss_statistic(&current) > KPSS_CRITICAL;
        let difference_it = match tests {
            UnitRootTests::Kpss => kpss,
            UnitRootTests::KpssAdf if d == 0 => kpss || !adf_rejects_unit_root(&current),
            UnitRootTests::KpssAdf => kpss && !adf_rejects_unit_root(&current),
        };
        if !difference_it {
            break;
        }
        current = difference(&current, 1);
        d += 1;
    }
    d
}

/// Whether the augmented Dickey–Fuller test (with a constant, `⌊(n − 1)^⅓⌋` lagged differences)
/// rejects a unit root at 5 %.
fn adf_rejects_unit_root(x: &[f64]) -> bool {
    let n = x.len();
    let lags = ((n - 1) as f64).cbrt() as usize;
    let dx = difference(x, 1);
    let cols = lags + 2;
    if dx.len() < lags + cols + 3 {
        return false;
    }
    // One row per regression: the regressors (1, the level, the lagged differences), then the change.
    let design: Vec<(Vec<f64>, f64)> = (lags..dx.len())
        .map(|t| {
            let regressors = [1.0, x[t]].into_iter().chain((1..=lags).map(|i| dx[t - i])).collect();
            (regressors, dx[t])
        })
        .collect();
    let rows = design.len();
    let mut xtx = vec![0.0; cols * cols];
    let mut xty = vec![0.0; cols];
    for (r, response) in &design {
        for (i, a) in r.iter().enumerate() {
            xty[i] += a * response;
            for (j, b) in r.iter().enumerate() {
                xtx[i * cols + j] += a * b;
            }
        }
    }
    let Some(beta) = solve(&mut xtx.clone(), &mut xty, cols) else { return false };
    let mut unit = vec![0.0; cols];
    unit[1] = 1.0;
    let Some(column) = solve(&mut xtx, &mut unit, cols) else { return false };
    let ssr: f64 = design
        .iter()
        .map(|(r, response)| (response - r.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>()).powi(2))
        .sum();
    let variance = ssr / (rows - cols) as f64 * column[1];
    variance > 0.0 && beta[1] / variance.sqrt() < -2.86
}

/// The centred moving average of order `m` (2×m for even `m`) at `t`, for `m/2 ≤ t < n − m/2`.
fn centred_mean(y: &[f64], m: usize, t: usize) -> f64 {
    let half = m / 2;
    let sum = if m.is_multiple_of(2) {
        0.5 * (y[t - half] + y[t + half]) + y[t + 1 - half..t + half].iter().sum::<f64>()
    } else {
        y[t - half..=t + half].iter().sum::<f64>()
    };
    sum / m as f64
}

/// `1 − Var(remainder) / Var(season + remainder)` of an additive classical decomposition, in [0, 1];
/// 0 with fewer than two seasons.
fn seasonal_strength(y: &[f64], m: usize) -> f64 {
    let n = y.len();
    if m < 2 || n < 2 * m {
        return 0.0;
    }
    let indices = classical_indices(y, m, false);
    let half = m / 2;
    let (detrended, remainder): (Vec<f64>, Vec<f64>) = (half..n - half)
        .map(|t| {
            let detrended = y[t] - centred_mean(y, m, t);
            (detrended, detrended - indices[t % m])
        })
        .unzip();
    let variance = |v: &[f64]| {
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        v.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
    };
    let total = variance(&detrended);
    if total > 0.0 { (1.0 - variance(&remainder) / total).clamp(0.0, 1.0) } else { 0.0 }
}

/// Automatic ARIMA: differencing by tests, orders by Hyndman–Khandakar's stepwise AICc search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoArima {
    pub max_p: usize,
    pub max_q: usize,
    pub max_seasonal_p: usize,
    pub max_seasonal_q: usize,
    pub max_d: usize,
    /// Try seasonal differencing and terms (or, for periods over [`MAX_TERM_SEASON`], the
    /// decomposition).
    pub seasonal: bool,
    /// Try a mean or drift where the differencing allows one.
    pub constant: bool,
    pub unit_root_tests: UnitRootTests,
}

impl Default for AutoArima {
    fn default() -> Self {
        AutoArima {
            max_p: 5,
            max_q: 5,
            max_seasonal_p: 2,
            max_seasonal_q: 2,
            max_d: 2,
            seasonal: true,
            constant: true,
            unit_root_tests: UnitRootTests::KpssAdf,
        }
    }
}

/// A selected model: ARIMA on the series, or on its classical seasonal adjustment.
struct Selected {
    fitted: FittedArima,
    /// Indices and whether they multiply.
    adjustment: Option<(Vec<f64>, bool)>,
}

impl AutoArima {
    /// The best model for the (scaled) series `y` with period `m`, by the stepwise search; `d` fixed
    /// when given.
    fn select(&self, y: &[f64], m: usize, scale: f64, fixed_d: Option<usize>) -> Option<FittedArima> {
        let n = y.len();
        let terms = self.seasonal && (2..=MAX_TERM_SEASON).contains(&m);
        let seasonal_d = usize::from(terms && seasonal_strength(y, m) > SEASONAL_STRENGTH && n > 2 * m + 3);
        let period = if terms { m } else { 1 };
        let x = if seasonal_d == 1 { difference(y, m) } else { y.to_vec() };
        let d = fixed_d.unwrap_or_else(|| differences_needed(&x, self.max_d, self.unit_root_tests));
        let base = Order::new(0, d, 0, false).seasonal(0, seasonal_d, 0, period);
        let w = difference_by(y, base);
        let allow_constant = self.constant && d + seasonal_d <= 1;
        if w.len() < 3 {
            return None;
        }
        let limits = Limits {
            p: self.max_p.min(n / 3),
            q: self.max_q.min(n / 3),
            sp: if terms { self.max_seasonal_p.min(n / 3 / m) } else { 0 },
            sq: if terms { self.max_seasonal_q.min(n / 3 / m) } else { 0 },
        };
        let approximate = w.len() > APPROXIMATION_LENGTH || period > 12;
        let best = if is_constant(&w) {
            // Nothing left to model: a (seasonal) random walk, with the constant step as its drift.
            let spec = Spec { p: 0, q: 0, sp: 0, sq: 0, m: period, constant: allow_constant && w[0] != 0.0 };
            fit_arma(&w, spec, true, true, None)
        } else if approximate {
            let candidates = stepwise(&w, period, limits, allow_constant, false);
            candidates
                .iter()
                .take(REFITS)
                .filter_map(|candidate| fit_arma(&w, candidate.spec, true, true, Some(&candidate.point)))
                .min_by(|a, b| a.aicc.total_cmp(&b.aicc))
                .or_else(|| candidates.into_iter().next())
        } else {
            let best = stepwise(&w, period, limits, allow_constant, true).into_iter().next()?;
            fit_arma(&w, best.spec, true, true, Some(&best.point)).or(Some(best))
        }?;
        let order = Order {
            p: best.spec.p,
            d,
            q: best.spec.q,
            seasonal_p: best.spec.sp,
            seasonal_d,
            seasonal_q: best.spec.sq,
            period,
            constant: best.spec.constant,
        };
        Some(FittedArima::new(order, best, scale, y.to_vec()))
    }

    /// The better by AICc of ARIMA on `y` and ARIMA (with the same `d`) on its classical seasonal
    /// adjustment.
    fn select_decomposed(&self, y: &[f64], m: usize, scale: f64) -> Option<Selected> {
        let plain = self.select(y, 1, scale, None);
        let multiplicative = y.iter().all(|&v| v > 0.0);
        let indices = classical_indices(y, m, multiplicative);
        let usable = indices.iter().all(|i| i.is_finite() && (!multiplicative || *i > 0.0));
        let adjusted: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(t, v)| if multiplicative { v / indices[t % m] } else { v - indices[t % m] })
            .collect();
        let d = plain.as_ref().map(|p| p.order.d);
        let seasonal = if usable { self.select(&adjusted, 1, scale, d) } else { None };
        let Some(seasonal) = seasonal else { return plain.map(|fitted| Selected { fitted, adjustment: None }) };
        let lost = y.len() - seasonal.observations;
        // The likelihood of y itself: dividing by the indices scaled each observation's density.
        let jacobian: f64 = if multiplicative { (lost..y.len()).map(|t| indices[t % m].ln()).sum() } else { 0.0 };
        let minus2 = -2.0 * (seasonal.log_likelihood - jacobian);
        let seasonal_aicc = aicc(minus2, seasonal.parameters + m - 1, seasonal.observations);
        match plain {
            Some(plain) if plain.aicc <= seasonal_aicc => Some(Selected { fitted: plain, adjustment: None }),
            _ => Some(Selected { fitted: seasonal, adjustment: Some((indices, multiplicative)) }),
        }
    }

    fn forecast_selected(&self, y: &[f64], m: usize, horizon: usize, levels: &[f64]) -> Option<Forecast> {
        let scale = scale_of(y);
        let scaled: Vec<f64> = y.iter().map(|v| v / scale).collect();
        let selected = if self.seasonal && m > MAX_TERM_SEASON && y.len() >= 2 * m {
            self.select_decomposed(&scaled, m, scale)?
        } else {
            Selected { fitted: self.select(&scaled, m, scale, None)?, adjustment: None }
        };
        let mut forecast = selected.fitted.forecast(horizon, levels);
        if let Some((indices, multiplicative)) = &selected.adjustment {
            let n = y.len();
            let reseasonalise = |values: &mut [f64]| {
                for (step, value) in values.iter_mut().enumerate() {
                    let index = indices[(n + step) % m];
                    *value = if *multiplicative { *value * index } else { *value + index * scale };
                }
            };
            reseasonalise(&mut forecast.mean);
            for interval in &mut forecast.intervals {
                reseasonalise(&mut interval.lower);
                reseasonalise(&mut interval.upper);
            }
            let kind = if *multiplicative { "M" } else { "A" };
            forecast.model = format!("{}+classical({kind},{m})", forecast.model);
        }
        Some(forecast)
    }
}

/// The largest orders the search may reach.
#[derive(Debug, Clone, Copy)]
struct Limits {
    p: usize,
    q: usize,
    sp: usize,
    sq: usize,
}

/// Hyndman–Khandakar's stepwise search: the starting models, then from the best so far every model one
/// step away in p, q, P, Q (singly and in pairs) or the constant, moving whenever one improves the
/// AICc, until none does. Returns the admissible fits, best first.
fn stepwise(w: &[f64], m: usize, limits: Limits, allow_constant: bool, exact: bool) -> Vec<ArmaFit> {
    let mut fitted: Vec<ArmaFit> = Vec::new();
    let mut tried: Vec<Spec> = Vec::new();
    let mut try_spec = |spec: Spec, fitted: &mut Vec<ArmaFit>| -> Option<f64> {
        let valid = spec.p <= limits.p && spec.q <= limits.q && spec.sp <= limits.sp && spec.sq <= limits.sq;
        if !valid || (spec.constant && !allow_constant) || tried.contains(&spec) || tried.len() >= MAX_MODELS {
            return None;
        }
        tried.push(spec);
        let fit = fit_arma(w, spec, exact, false, None)?;
        let aicc = fit.aicc;
        fitted.push(fit);
        Some(aicc)
    };
    let seasonal = m > 1;
    let spec = |p: usize, q: usize, sp: usize, sq: usize, constant: bool| Spec {
        p: p.min(limits.p),
        q: q.min(limits.q),
        sp: if seasonal { sp.min(limits.sp) } else { 0 },
        sq: if seasonal { sq.min(limits.sq) } else { 0 },
        m,
        constant,
    };
    let starts = [
        spec(2, 2, 1, 1, allow_constant),
        spec(0, 0, 0, 0, allow_constant),
        spec(1, 0, 1, 0, allow_constant),
        spec(0, 1, 0, 1, allow_constant),
        spec(0, 0, 0, 0, false),
    ];
    let mut best: Option<(Spec, f64)> = None;
    for start in starts {
        if let Some(value) = try_spec(start, &mut fitted)
            && best.is_none_or(|(_, b)| value < b)
        {
            best = Some((start, value));
        }
    }
    while let Some((current, current_value)) = best {
        let Spec { p, q, sp, sq, constant, .. } = current;
        let up = |v: usize| v + 1;
        let down = |v: usize| v.checked_sub(1);
        let mut neighbours: Vec<Spec> = Vec::new();
        let mut push = |p: Option<usize>, q: Option<usize>, sp: Option<usize>, sq: Option<usize>, c: bool| {
            if let (Some(p), Some(q), Some(sp), Some(sq)) = (p, q, sp, sq) {
                neighbours.push(Spec { p, q, sp, sq, m, constant: c });
            }
        };
        if seasonal {
            push(Some(p), Some(q), down(sp), Some(sq), constant);
            push(Some(p), Some(q), Some(up(sp)), Some(sq), constant);
            push(Some(p), Some(q), Some(sp), down(sq), constant);
            push(Some(p), Some(q), Some(sp), Some(up(sq)), constant);
            push(Some(p), Some(q), down(sp), down(sq), constant);
            push(Some(p), Some(q), down(sp), Some(up(sq)), constant);
            push(Some(p), Some(q), Some(up(sp)), down(sq), constant);
            push(Some(p), Some(q), Some(up(sp)), Some(up(sq)), constant);
        }
        push(down(p), Some(q), Some(sp), Some(sq), constant);
        push(Some(up(p)), Some(q), Some(sp), Some(sq), constant);
        push(Some(p), down(q), Some(sp), Some(sq), constant);
        push(Some(p), Some(up(q)), Some(sp), Some(sq), constant);
        push(down(p), down(q), Some(sp), Some(sq), constant);
        push(down(p), Some(up(q)), Some(sp), Some(sq), constant);
        push(Some(up(p)), down(q), Some(sp), Some(sq), constant);
        push(Some(up(p)), Some(up(q)), Some(sp), Some(sq), constant);
        push(Some(p), Some(q), Some(sp), Some(sq), !constant);
        best = None;
        for neighbour in neighbours {
            if let Some(value) = try_spec(neighbour, &mut fitted)
                && value < current_value
            {
                best = Some((neighbour, value));
                break;
            }
        }
    }
    fitted.sort_by(|a, b| a.aicc.total_cmp(&b.aicc));
    fitted
}

fn is_finite(forecast: &Forecast) -> bool {
    let intervals = forecast.intervals.iter().flat_map(|i| i.lower.iter().chain(&i.upper));
    forecast.mean.iter().chain(intervals).all(|v| v.is_finite())
}

/// Forecasts and bounds of at least 0.
fn clamp_at_zero(forecast: &mut Forecast) {
    let clamp = |values: &mut Vec<f64>| values.iter_mut().for_each(|v| *v = v.max(0.0));
    clamp(&mut forecast.mean);
    for interval in &mut forecast.intervals {
        clamp(&mut interval.lower);
        clamp(&mut interval.upper);
    }
}

impl Forecaster for AutoArima {
    fn name(&self) -> &str {
        "auto_arima"
    }

    fn forecast(&self, y: &[f64], request: &Request<'_>) -> Result<Forecast, ForecastError> {
        request.check(y)?;
        let (horizon, levels) = (request.horizon, request.levels);
        let n = y.len();
        let last = y[n - 1];
        if n == 1 {
            return Ok(flat_forecast(
                "ARIMA(0,0,0) (fallback: one observation)",
                last,
                0.1 * last.abs(),
                horizon,
                levels,
            ));
        }
        if is_constant(y) {
            return Ok(flat_forecast("ARIMA(0,0,0) with mean (constant series)", last, 0.0, horizon, levels));
        }
        let random_walk = |why: &str| {
            let step = crate::baselines::root_mean_square(y.windows(2).map(|w| w[1] - w[0]));
            let forecast = flat_forecast(&format!("ARIMA(0,1,0) (fallback: {why})"), last, step, horizon, levels);
            if is_finite(&forecast) { forecast } else { flat_forecast(&forecast.model, last, 0.0, horizon, levels) }
        };
        let mut forecast = if n == 2 {
            random_walk("two observations")
        } else {
            match self.forecast_selected(y, request.season.max(1), horizon, levels) {
                Some(forecast) if is_finite(&forecast) => forecast,
                Some(_) => random_walk("the selected model's forecasts overflow"),
                None => random_walk("no admissible model"),
            }
        };
        if y.iter().all(|&v| v >= 0.0) {
            clamp_at_zero(&mut forecast);
        }
        Ok(forecast)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Deterministic standard normal draws: a linear congruential generator and Box–Muller.
    fn gaussian(count: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        let mut uniform = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..count)
            .map(|_| {
                let (u, v) = (uniform(), uniform());
                (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
            })
            .collect()
    }

    /// `x_t = Σ φ_i x_{t−i} + e_t + Σ θ_j e_{t−j}` after a burn-in of 200 values.
    fn simulate(ar: &[f64], ma: &[f64], count: usize, seed: u64) -> Vec<f64> {
        let burn = 200;
        let e = gaussian(count + burn, seed);
        let mut x: Vec<f64> = Vec::with_capacity(count + burn);
        for t in 0..count + burn {
            let mut value = e[t];
            for (i, a) in ar.iter().enumerate() {
                value += a * t.checked_sub(i + 1).map_or(0.0, |s| x[s]);
            }
            for (j, b) in ma.iter().enumerate() {
                value += b * t.checked_sub(j + 1).map_or(0.0, |s| e[s]);
            }
            x.push(value);
        }
        x.split_off(burn)
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

    /// −2 log L by brute force: the Toeplitz covariance matrix, its Cholesky factor and determinant.
    fn dense_minus_twice_log_likelihood(x: &[f64], ar: &[f64], ma: &[f64], sigma2: f64) -> f64 {
        let n = x.len();
        let gamma = autocovariances(ar, ma, n).unwrap();
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let mut s = sigma2 * gamma[i - j];
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = if i == j { s.sqrt() } else { s / l[j * n + j] };
            }
        }
        let mut z = vec![0.0; n];
        for i in 0..n {
            z[i] = (x[i] - (0..i).map(|k| l[i * n + k] * z[k]).sum::<f64>()) / l[i * n + i];
        }
        let log_det: f64 = (0..n).map(|i| 2.0 * l[i * n + i].ln()).sum();
        n as f64 * (2.0 * std::f64::consts::PI).ln() + log_det + z.iter().map(|v| v * v).sum::<f64>()
    }

    #[test]
    fn the_innovations_likelihood_is_the_exact_gaussian_likelihood() {
        let x = simulate(&[0.5, -0.3], &[0.4], 40, 5);
        for (ar, ma) in [(vec![0.5, -0.3], vec![0.4]), (vec![], vec![-0.6, 0.2]), (vec![0.9], vec![]), (vec![], vec![])]
        {
            let innovations = Innovations::compute(&ar, &ma, x.len()).unwrap();
            let (weighted, log_v, _) = innovations.pass(&x, &ar, ma.len());
            let sigma2 = 1.7;
            let ours = x.len() as f64 * (2.0 * std::f64::consts::PI * sigma2).ln() + log_v + weighted / sigma2;
            let dense = dense_minus_twice_log_likelihood(&x, &ar, &ma, sigma2);
            assert!((ours - dense).abs() < 1e-8 * dense.abs(), "{ar:?} {ma:?}: {ours} vs {dense}");
        }
    }

    #[test]
    fn partial_autocorrelations_map_to_stationary_polynomials_and_back() {
        let a = from_partial_autocorrelations(&[0.3, -1.2, 2.0]);
        assert!(roots_outside(&a, 1.0));
        assert!(!roots_outside(&[1.2], 1.0) && roots_outside(&[0.98], 1.0) && !roots_outside(&[0.995], ROOT_MARGIN));
        // 1 − 1.5z + 0.5z² = (1 − z)(1 − 0.5z) has a unit root.
        assert!(!roots_outside(&[1.5, -0.5], 1.0));
        assert_eq!(ar_product(&[0.5], &[0.3], 4), [0.5, 0.0, 0.0, 0.3, -0.15]);
        assert_eq!(ma_product(&[0.5], &[0.3], 2), [0.5, 0.3, 0.15]);
        assert_eq!(Order::new(0, 1, 0, false).seasonal(0, 1, 0, 4).differencing(), [1.0, 0.0, 0.0, 1.0, -1.0]);
    }

    #[test]
    fn an_ar1_coefficient_is_recovered() {
        let y: Vec<f64> = simulate(&[0.7], &[], 400, 42).iter().map(|v| 10.0 + v).collect();
        let fitted = fit(&y, Order::new(1, 0, 0, true)).unwrap();
        assert!((fitted.ar[0] - 0.7).abs() < 0.08, "{fitted:?}");
        assert!((fitted.constant - 10.0).abs() < 0.6, "{}", fitted.constant);
        assert!((fitted.sigma2 - 1.0).abs() < 0.2, "{}", fitted.sigma2);
        assert_eq!(fitted.method, Method::CssMl);
        let forecast = fitted.forecast(30, &[0.95]);
        assert_eq!(forecast.model, "ARIMA(1,0,0) with mean");
        // Reverts to the mean, with intervals approaching the stationary spread 1.96·σ/√(1 − φ²).
        assert!((forecast.mean[29] - fitted.constant).abs() < 0.05);
        let width = |h: usize| forecast.intervals[0].upper[h] - forecast.intervals[0].lower[h];
        assert!((1..30).all(|h| width(h) >= width(h - 1)));
        let limit = 2.0 * 1.96 * (fitted.sigma2 / (1.0 - fitted.ar[0].powi(2))).sqrt();
        assert!((width(29) - limit).abs() < 0.01 * limit, "{} vs {limit}", width(29));
        let auto = AutoArima::default().forecast(&y, &request(5, 1)).unwrap();
        assert!(auto.model.ends_with("with mean") && auto.model.starts_with("ARIMA("), "{}", auto.model);
    }

    #[test]
    fn an_ma1_coefficient_is_recovered_by_exact_likelihood() {
        let y = simulate(&[], &[0.5], 300, 7);
        let fitted = fit(&y, Order::new(0, 0, 1, false)).unwrap();
        assert!((fitted.ma[0] - 0.5).abs() < 0.1, "{fitted:?}");
        assert_eq!(fitted.parameters, 2);
        let seasonal = Order::new(0, 1, 1, false).seasonal(0, 1, 1, 12);
        assert_eq!(seasonal.to_string(), "ARIMA(0,1,1)(0,1,1)[12]");
        assert_eq!(Order::new(2, 1, 0, true).to_string(), "ARIMA(2,1,0) with drift");
        assert_eq!(fit(&y[..3], Order::new(2, 0, 2, true)), Err(FitError::TooShort { needed: 8, got: 3 }));
    }

    #[test]
    fn a_random_walk_is_differenced_once() {
        let steps = gaussian(300, 9);
        let y: Vec<f64> = steps
            .iter()
            .scan(100.0, |level, e| {
                *level += e;
                Some(*level)
            })
            .collect();
        for tests in [UnitRootTests::Kpss, UnitRootTests::KpssAdf] {
            assert_eq!(differences_needed(&y, 2, tests), 1);
        }
        let forecast = AutoArima::default().forecast(&y, &request(12, 1)).unwrap();
        assert!(forecast.model.starts_with("ARIMA(") && forecast.model.contains(",1,"), "{}", forecast.model);
        assert_ordered(&forecast);
        let width = |h: usize| forecast.intervals[1].upper[h] - forecast.intervals[1].lower[h];
        assert!((1..12).all(|h| width(h) > width(h - 1)), "intervals widen with the horizon");
        // A random walk's spread grows like √h.
        assert!(width(11) > 2.5 * width(0));
    }

    #[test]
    fn a_seasonal_series_is_seasonally_differenced() {
        let noise = gaussian(120, 3);
        let pattern = [12.0, -4.0, 6.0, -9.0, 3.0, 0.0, -6.0, 8.0, -2.0, 5.0, -10.0, -3.0];
        let y: Vec<f64> = (0..120).map(|t| 50.0 + 0.2 * t as f64 + pattern[t % 12] + noise[t]).collect();
        let forecast = AutoArima::default().forecast(&y, &request(12, 12)).unwrap();
        assert!(forecast.model.contains(",1,") && forecast.model.contains(")[12]"), "{}", forecast.model);
        for (h, value) in forecast.mean.iter().enumerate() {
            let expected = 50.0 + 0.2 * (120 + h) as f64 + pattern[(120 + h) % 12];
            assert!((value - expected).abs() < 3.0, "step {h}: {value} vs {expected}");
        }
        assert_ordered(&forecast);
    }

    #[test]
    fn degenerate_series_give_finite_forecasts() {
        let arima = AutoArima::default();
        let single = arima.forecast(&[5.0], &request(3, 1)).unwrap();
        assert_eq!(single.mean, [5.0; 3]);
        assert!(single.model.contains("fallback"));
        let pair = arima.forecast(&[5.0, 8.0], &request(3, 52)).unwrap();
        assert_eq!(pair.mean, [8.0; 3]);
        assert!(pair.model.contains("fallback: two observations"), "{}", pair.model);
        let constant = arima.forecast(&[7.0; 30], &request(3, 4)).unwrap();
        assert_eq!(constant.mean, [7.0; 3]);
        let zeros = arima.forecast(&[0.0; 10], &request(3, 1)).unwrap();
        assert_eq!(zeros.mean, [0.0; 3]);
        let huge: Vec<f64> =
            gaussian(60, 1).iter().enumerate().map(|(t, e)| 1e300 * (1.0 + 0.01 * t as f64 + 0.1 * e)).collect();
        let line: Vec<f64> = (0..20).map(|t| 3.0 + 2.0 * t as f64).collect();
        let cases: [&[f64]; 8] = [
            &[1.0, 3.0, 2.0],
            &[0.0, 0.0, 4.0, 0.0, 1.0],
            &[-3.0, 2.0, -1.0, 5.0, 0.0, 2.0],
            &huge,
            &line,
            &[1e-300, 2e-300, 1e-300, 3e-300],
            &[0.0, 0.0, 0.0, 1.0],
            &[1e12, -1e12, 1e12, -1e12, 1e12],
        ];
        for y in cases {
            for season in [1, 4, 52] {
                let forecast = arima.forecast(y, &request(8, season)).unwrap();
                assert_ordered(&forecast);
            }
        }
        let trend = arima.forecast(&line, &request(3, 1)).unwrap();
        assert!((trend.mean[2] - (3.0 + 2.0 * 22.0)).abs() < 1e-6, "{trend:?}");
        assert_eq!(arima.forecast(&[], &request(1, 1)), Err(ForecastError::Empty));
    }

    #[test]
    fn a_long_season_is_handled_by_decomposition() {
        let noise = gaussian(208, 17);
        let profile = |t: usize| 1.0 + 0.4 * (2.0 * std::f64::consts::PI * (t % 52) as f64 / 52.0).sin();
        let y: Vec<f64> = (0..208).map(|t| 300.0 * profile(t) * (1.0 + 0.02 * noise[t])).collect();
        let forecast = AutoArima::default().forecast(&y, &request(26, 52)).unwrap();
        assert!(forecast.model.ends_with("+classical(M,52)"), "{}", forecast.model);
        for (h, value) in forecast.mean.iter().enumerate() {
            let expected = 300.0 * profile(208 + h);
            assert!((value - expected).abs() < 0.08 * expected, "step {h}: {value} vs {expected}");
        }
        assert_ordered(&forecast);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_series_gives_finite_ordered_forecasts(
            y in proptest::collection::vec(-1000.0f64..1000.0, 1..80),
            season in prop_oneof![Just(1usize), Just(4), Just(12), Just(52)],
        ) {
            let forecast = AutoArima::default().forecast(&y, &request(6, season)).unwrap();
            assert_ordered(&forecast);
        }
    }
}
