//! Sliced Wasserstein distance between two point clouds, by Monte Carlo over
//! directions and with the Gaussian control variates of Nguyen & Ho.
//!
//! `SW_p(μ, ν)^p = E_θ W_p^p(θ#μ, θ#ν)` with θ uniform on the sphere; each
//! one-dimensional `W_p^p` between the projected empirical measures (uniform
//! weights, any sizes) is computed exactly from the sorted projections. The
//! Monte Carlo estimate averages `A_θ = W_p^p(θ#μ, θ#ν)` over `L` directions.
//!
//! Control variates (p = 2): with means `m₁, m₂`, covariances `Σ₁, Σ₂` and
//! `Δm = m₁ − m₂`,
//! - lower: `G_θ = (θᵀΔm)²` (the W₂² of the projected Dirac masses at the
//!   means, a lower bound), `E G = ‖Δm‖²/d`;
//! - upper: `G_θ = (θᵀΔm)² + θᵀΣ₁θ + θᵀΣ₂θ` (the cost of the independent
//!   coupling, an upper bound), `E G = (‖Δm‖² + tr Σ₁ + tr Σ₂)/d`.
//!
//! The estimate is `mean A − α(mean G − E G)` with `α = Cov(A, G)/Var(G)` from
//! the same `L` directions, then `^(1/2)`. `G_θ` comes from the projections
//! already computed (projected means and variances), so the control variate is
//! free. For a pure translation the lower variate equals `A_θ` and removes all
//! the variance; when the covariances differ the upper one helps more.
//!
//! Paper: K. Nguyen & N. Ho, "Sliced Wasserstein estimation with control
//! variates", ICLR 2024, arXiv 2305.00402 (reference code khainb/CV-SW).
//!
//! Cost: `O(L·((n + m)·d + n log n + m log m))` time, `O(n + m)` memory per
//! direction (directions run in parallel).
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = ball(300, 3, 1)?;
//! let y = x.mapv(|v| v + 1.0);
//! let est = SlicedWasserstein::params().n_projections(50).estimator(SwEstimator::LowerControlVariate).estimate(x.view(), y.view())?;
//! // A translate by c has SW₂² = ‖c‖²/d = 1 exactly, which the lower control variate hits.
//! assert!((est.value - 1.0).abs() < 1e-9);
//! assert!(est.std_error < 1e-9);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, ArrayView2, Axis};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};
use crate::estimator::params;
use crate::plot::{lines, Figure, Series};
use crate::rng::{derive, xoshiro};

const DIRECTIONS: u64 = 201;
const REPEATS: u64 = 202;

/// How the expectation over directions is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SwEstimator {
    /// Plain Monte Carlo.
    MonteCarlo,
    /// The lower-bound Gaussian control variate (p = 2).
    LowerControlVariate,
    /// The upper-bound Gaussian control variate (p = 2).
    UpperControlVariate,
}

impl SwEstimator {
    /// A short name for legends.
    pub fn name(self) -> &'static str {
        match self {
            SwEstimator::MonteCarlo => "Monte Carlo",
            SwEstimator::LowerControlVariate => "lower control variate",
            SwEstimator::UpperControlVariate => "upper control variate",
        }
    }
}

/// A sliced Wasserstein estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwEstimate {
    /// The estimate of `SW_p`.
    pub value: f64,
    /// The estimate of `SW_p^p` (before the root).
    pub value_pow: f64,
    /// The standard error of `value_pow` over the directions.
    pub std_error: f64,
    /// Directions used.
    pub n_projections: usize,
    /// The estimator.
    pub estimator: SwEstimator,
}

/// Sliced Wasserstein estimation; start from [`SlicedWasserstein::params`].
pub struct SlicedWasserstein;

params! {
    /// Checked sliced Wasserstein parameters; see [`SlicedWasserstein::params`].
    SlicedWasserstein("SlicedWasserstein") => SlicedWassersteinParams, SlicedWassersteinValidParams {
        /// The order of `SW_p` (the control variates need 2).
        p: f64 = 2.0 => 1.0..,
        /// Directions (≥ 2 with a control variate).
        n_projections: usize = 100 => 1..,
        /// How the expectation over directions is estimated.
        estimator: SwEstimator = SwEstimator::MonteCarlo,
        /// Seeds the directions.
        seed: u64 = 0,
    }
    check(p) {
        if p.estimator != SwEstimator::MonteCarlo && p.p != 2.0 {
            return Err(Error::param("estimator", format!("{:?} needs p = 2 (the Gaussian bounds are for W₂²); got p = {}", p.estimator, p.p)));
        }
        if p.estimator != SwEstimator::MonteCarlo && p.n_projections < 2 {
            return Err(Error::param("n_projections", format!("of SlicedWasserstein with {:?} must be ≥ 2; got {}", p.estimator, p.n_projections)));
        }
    }
}

// An estimate compares two point clouds, so it is `estimate(x, y)` rather than
// linfa's `Fit` on one dataset.
impl SlicedWassersteinParams {
    /// Checks the parameters and estimates `SW_p` between the rows of `x` and the rows of `y`.
    pub fn estimate(&self, x: ArrayView2<f64>, y: ArrayView2<f64>) -> Result<SwEstimate> {
        linfa::ParamGuard::check_ref(self)?.estimate(x, y)
    }
}

impl SlicedWassersteinValidParams {
    /// Estimates `SW_p` between the rows of `x` and the rows of `y`.
    pub fn estimate(&self, x: ArrayView2<f64>, y: ArrayView2<f64>) -> Result<SwEstimate> {
        check_clouds(x, y)?;
        let slices = Slices::new(x, y, self.p, self.n_projections, self.seed);
        Ok(slices.estimate(self.estimator, self.p))
    }
}

/// `SW_p` by Monte Carlo with `n_projections` directions (a shortcut for
/// [`SlicedWasserstein::params`]).
pub fn sliced_wasserstein(x: ArrayView2<f64>, y: ArrayView2<f64>, p: f64, n_projections: usize, seed: u64) -> Result<f64> {
    Ok(SlicedWasserstein::params().p(p).n_projections(n_projections).seed(seed).estimate(x, y)?.value)
}

/// Per-direction values: `A_θ` and both control variates, with their expectations.
struct Slices {
    a: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    lower_mean: f64,
    upper_mean: f64,
}

impl Slices {
    fn new(x: ArrayView2<f64>, y: ArrayView2<f64>, p: f64, n_projections: usize, seed: u64) -> Self {
        let d = x.ncols();
        let per: Vec<(f64, f64, f64)> = (0..n_projections)
            .into_par_iter()
            .map(|l| {
                let mut rng = xoshiro(derive(seed, DIRECTIONS, l as u64));
                let mut theta: Array1<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
                let norm = theta.dot(&theta).sqrt().max(f64::MIN_POSITIVE);
                theta /= norm;
                let (px, py) = (x.dot(&theta), y.dot(&theta));
                let (mx, vx) = mean_var(&px);
                let (my, vy) = mean_var(&py);
                let lower = (mx - my).powi(2);
                (wasserstein_1d(px.to_vec(), py.to_vec(), p), lower, lower + vx + vy)
            })
            .collect();
        let mx = x.mean_axis(Axis(0)).expect("check_clouds refuses an empty x");
        let my = y.mean_axis(Axis(0)).expect("check_clouds refuses an empty y");
        let dm = &mx - &my;
        let trace = |z: ArrayView2<f64>, m: &Array1<f64>| (&z - m).mapv(|v| v * v).sum() / z.nrows() as f64;
        let delta = dm.dot(&dm);
        Slices {
            a: per.iter().map(|t| t.0).collect(),
            lower: per.iter().map(|t| t.1).collect(),
            upper: per.iter().map(|t| t.2).collect(),
            lower_mean: delta / d as f64,
            upper_mean: (delta + trace(x, &mx) + trace(y, &my)) / d as f64,
        }
    }

    fn estimate(&self, estimator: SwEstimator, p: f64) -> SwEstimate {
        let (pow, se) = match estimator {
            SwEstimator::MonteCarlo => {
                let (m, v) = sample_mean_var(&self.a);
                (m, (v / self.a.len() as f64).sqrt())
            }
            SwEstimator::LowerControlVariate => controlled(&self.a, &self.lower, self.lower_mean),
            SwEstimator::UpperControlVariate => controlled(&self.a, &self.upper, self.upper_mean),
        };
        let pow = pow.max(0.0);
        SwEstimate { value: pow.powf(1.0 / p), value_pow: pow, std_error: se, n_projections: self.a.len(), estimator }
    }
}

/// `mean A − α(mean G − E G)` with `α = Cov(A, G)/Var(G)`, and its standard error.
fn controlled(a: &[f64], g: &[f64], g_mean: f64) -> (f64, f64) {
    let l = a.len() as f64;
    let (ma, _) = sample_mean_var(a);
    let (mg, vg) = sample_mean_var(g);
    let cov = a.iter().zip(g).map(|(ai, gi)| (ai - ma) * (gi - mg)).sum::<f64>() / (l - 1.0).max(1.0);
    let alpha = if vg > 0.0 { cov / vg } else { 0.0 };
    let residual: Vec<f64> = a.iter().zip(g).map(|(ai, gi)| ai - alpha * gi).collect();
    let (_, vr) = sample_mean_var(&residual);
    (ma - alpha * (mg - g_mean), (vr / l).sqrt())
}

/// Mean and unbiased variance (0 for a single value).
fn sample_mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 { v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, var)
}

/// Mean and population variance of projections.
fn mean_var(v: &Array1<f64>) -> (f64, f64) {
    let m = v.mean().expect("a projection of a checked, non-empty cloud");
    (m, v.mapv(|x| (x - m).powi(2)).mean().expect("a projection of a checked, non-empty cloud"))
}

/// `W_p^p` between the uniform empirical measures on `x` and `y`, by matching
/// their quantile functions piece by piece.
fn wasserstein_1d(mut x: Vec<f64>, mut y: Vec<f64>, p: f64) -> f64 {
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n, m) = (x.len(), y.len());
    let cost = |a: f64, b: f64| if p == 2.0 { (a - b).powi(2) } else { (a - b).abs().powf(p) };
    if n == m {
        return x.iter().zip(&y).map(|(a, b)| cost(*a, *b)).sum::<f64>() / n as f64;
    }
    // Quantile breakpoints i/n and j/m, compared exactly as (i+1)·m vs (j+1)·n.
    let (mut i, mut j, mut t, mut total) = (0usize, 0usize, 0usize, 0.0);
    let nm = (n * m) as f64;
    while i < n && j < m {
        let (ti, tj) = ((i + 1) * m, (j + 1) * n);
        let next = ti.min(tj);
        total += (next - t) as f64 / nm * cost(x[i], y[j]);
        t = next;
        if ti == next {
            i += 1;
        }
        if tj == next {
            j += 1;
        }
    }
    total
}

fn check_clouds(x: ArrayView2<f64>, y: ArrayView2<f64>) -> Result<()> {
    for (name, z) in [("x", x.dim()), ("y", y.dim())] {
        if z.0 == 0 || z.1 == 0 {
            return Err(Error::param(name, format!("of SlicedWasserstein must be a non-empty n × d matrix; got {z:?}")));
        }
    }
    if x.ncols() != y.ncols() {
        return Err(Error::param("y", format!("of SlicedWasserstein must have d = {} columns like x; got {}", x.ncols(), y.ncols())));
    }
    check_finite("x of SlicedWasserstein", &x)?;
    check_finite("y of SlicedWasserstein", &y)
}

/// Variance of the three SW₂² estimators across repetitions, against the
/// number of projections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwVarianceCurve {
    /// Numbers of projections (x).
    pub projections: Vec<usize>,
    /// Variance of the Monte Carlo estimate of SW₂², per number of projections.
    pub monte_carlo: Vec<f64>,
    /// The same for the lower control variate.
    pub lower: Vec<f64>,
    /// The same for the upper control variate.
    pub upper: Vec<f64>,
    /// Mean of the Monte Carlo estimates at the largest number of projections.
    pub reference: f64,
}

impl SwVarianceCurve {
    /// Variance against number of projections, log–log.
    pub fn figure(&self) -> Result<Figure> {
        let x: Vec<f64> = self.projections.iter().map(|&l| l as f64).collect();
        let series = [
            Series::new(SwEstimator::MonteCarlo.name(), x.clone(), self.monte_carlo.clone()),
            Series::new(SwEstimator::LowerControlVariate.name(), x.clone(), self.lower.clone()),
            Series::new(SwEstimator::UpperControlVariate.name(), x, self.upper.clone()),
        ];
        let mut fig = lines(&series)?
            .title("Variance of the SW₂² estimate across repetitions")
            .axis_labels(&["number of projections L", "variance"])
            .log_y();
        fig.layout_object("xaxis").insert("type".into(), serde_json::json!("log"));
        Ok(fig)
    }

    /// Shows [`figure`](Self::figure) in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(fig) => fig.evcxr_display(),
            Err(e) => println!("EVCXR_BEGIN_CONTENT text/plain\nSW variance curve (no figure: {e})\nEVCXR_END_CONTENT"),
        }
    }
}

/// Runs `n_repeats` independent SW₂² estimates (each with its own directions,
/// shared by the three estimators) for every number of projections (each ≥ 2)
/// and records the variance of each estimator across repetitions.
pub fn sw_variance_curve(
    x: ArrayView2<f64>,
    y: ArrayView2<f64>,
    projections: &[usize],
    n_repeats: usize,
    seed: u64,
) -> Result<SwVarianceCurve> {
    check_clouds(x, y)?;
    if projections.is_empty() || projections.iter().any(|&l| l < 2) {
        return Err(Error::param("projections", format!("of sw_variance_curve must be non-empty counts ≥ 2; got {projections:?}")));
    }
    if n_repeats < 2 {
        return Err(Error::param("n_repeats", format!("of sw_variance_curve must be ≥ 2 to measure a variance; got {n_repeats}")));
    }
    let mut out = SwVarianceCurve { projections: projections.to_vec(), monte_carlo: vec![], lower: vec![], upper: vec![], reference: 0.0 };
    for (k, &l) in projections.iter().enumerate() {
        let runs: Vec<[f64; 3]> = (0..n_repeats)
            .map(|r| {
                let s = Slices::new(x, y, 2.0, l, derive(seed, REPEATS, (k * n_repeats + r) as u64));
                [SwEstimator::MonteCarlo, SwEstimator::LowerControlVariate, SwEstimator::UpperControlVariate]
                    .map(|e| s.estimate(e, 2.0).value_pow)
            })
            .collect();
        let column = |c: usize| sample_mean_var(&runs.iter().map(|r| r[c]).collect::<Vec<_>>());
        out.monte_carlo.push(column(0).1);
        out.lower.push(column(1).1);
        out.upper.push(column(2).1);
        out.reference = column(0).0;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ball;
    use ndarray::{array, Array2};

    #[test]
    fn one_dimensional_distance_by_quantiles() {
        assert_eq!(wasserstein_1d(vec![0.0, 1.0], vec![1.0, 2.0], 2.0), 1.0);
        // {0} vs {0, 1}: half the mass moves by 1; W₁ = 0.5, W₂² = 0.5.
        assert!((wasserstein_1d(vec![0.0], vec![0.0, 1.0], 1.0) - 0.5).abs() < 1e-15);
        assert!((wasserstein_1d(vec![0.0, 3.0], vec![0.0, 1.0, 2.0], 1.0) - (5.0 / 6.0)).abs() < 1e-15);
    }

    #[test]
    fn translate_has_the_exact_value() {
        let x = ball(200, 4, 3).unwrap();
        let c = array![1.0, -2.0, 0.5, 2.0];
        let y = &x + &c;
        let exact = c.dot(&c) / 4.0;
        let lower =
            SlicedWasserstein::params().n_projections(20).estimator(SwEstimator::LowerControlVariate).estimate(x.view(), y.view()).unwrap();
        assert!((lower.value_pow - exact).abs() < 1e-10, "{} vs {exact}", lower.value_pow);
        let mc = SlicedWasserstein::params().n_projections(2000).seed(1).estimate(x.view(), y.view()).unwrap();
        assert!((mc.value_pow - exact).abs() < 4.0 * mc.std_error, "{} ± {} vs {exact}", mc.value_pow, mc.std_error);
        assert!(mc.std_error > 0.0);
    }

    #[test]
    fn upper_variate_reduces_variance_when_covariances_differ() {
        let x = ball(300, 5, 1).unwrap();
        let mut y = ball(300, 5, 2).unwrap();
        y.column_mut(0).mapv_inplace(|v| 4.0 * v + 0.3);
        let c = sw_variance_curve(x.view(), y.view(), &[10, 40], 30, 0).unwrap();
        for i in 0..2 {
            assert!(c.upper[i] < 0.5 * c.monte_carlo[i], "{c:?}");
        }
        assert!(c.monte_carlo[1] < c.monte_carlo[0]);
        assert_eq!(c.figure().unwrap().n_traces(), 3);
    }

    #[test]
    fn same_seed_same_estimate_at_any_thread_count() {
        let x = ball(150, 3, 1).unwrap();
        let y = ball(120, 3, 2).unwrap();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                let e =
                    SlicedWasserstein::params().estimator(SwEstimator::UpperControlVariate).seed(4).estimate(x.view(), y.view()).unwrap();
                (e, sw_variance_curve(x.view(), y.view(), &[5], 3, 4).unwrap())
            })
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_input() {
        let x = array![[0.0, 1.0], [1.0, 0.0]];
        let p = SlicedWasserstein::params;
        assert!(matches!(p().p(0.5).estimate(x.view(), x.view()), Err(Error::Param { name: "p", .. })));
        assert!(matches!(
            p().p(1.0).estimator(SwEstimator::UpperControlVariate).estimate(x.view(), x.view()),
            Err(Error::Param { name: "estimator", .. })
        ));
        assert!(matches!(p().n_projections(0).estimate(x.view(), x.view()), Err(Error::Param { name: "n_projections", .. })));
        assert!(matches!(
            p().n_projections(1).estimator(SwEstimator::LowerControlVariate).estimate(x.view(), x.view()),
            Err(Error::Param { name: "n_projections", .. })
        ));
        assert!(matches!(p().estimate(Array2::zeros((0, 2)).view(), x.view()), Err(Error::Param { name: "x", .. })));
        assert!(matches!(p().estimate(x.view(), array![[1.0]].view()), Err(Error::Param { name: "y", .. })));
        assert!(matches!(p().estimate(x.view(), array![[f64::NAN, 1.0]].view()), Err(Error::Data(_))));
        assert!(matches!(sw_variance_curve(x.view(), x.view(), &[1], 3, 0), Err(Error::Param { name: "projections", .. })));
        assert!(matches!(sw_variance_curve(x.view(), x.view(), &[3], 1, 0), Err(Error::Param { name: "n_repeats", .. })));
    }
}
