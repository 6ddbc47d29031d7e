//! MiND-ML: intrinsic dimension from the ratio of the nearest to the
//! `(k+1)`-th neighbour distance (Rozza et al.), global.
//!
//! For points drawn uniformly on a `d`-dimensional manifold, the ratio
//! `ρ = r₁ / r_{k+1}` at each point has density `k·d·ρ^(d−1)·(1 − ρ^d)^(k−1)`
//! on (0, 1), whatever the local density. Its log-likelihood over the `N`
//! points is
//!
//! ```text
//! ℓ(d) = N·log(k·d) + (d − 1)·Σ log ρᵢ + (k − 1)·Σ log(1 − ρᵢ^d)
//! ```
//!
//! MiND-MLi takes the best integer `d ∈ {1, …, D}`; MiND-MLk (the default)
//! maximises ℓ over real `d ∈ (0, D]`. ℓ is strictly concave in `d`, so its
//! maximiser is found here by bisection on `ℓ′` to machine precision. This is
//! scikit-dimension's `MiND_ML(k=20, D=10, ver="MLk")` with its exact neighbour
//! convention (`ρ` uses the `(k+1)`-th neighbour, the likelihood `k`), except
//! that scikit-dimension's L-BFGS-B can stop early at its integer starting point
//! (it returns 2.0 on a swiss roll whose maximiser is 1.945); here the maximiser
//! is exact. Note the cap: the estimate never exceeds `D` (`d_max`), so raise
//! `d_max` for high-dimensional data. The curve is the estimate against `k`.
//!
//! Exact duplicate rows are merged first (`r₁ = 0` would make `log ρ`
//! infinite); points whose `k + 1` nearest neighbours are equidistant (`ρ = 1`)
//! carry no information about `d` and are left out of the likelihood.
//!
//! Paper: A. Rozza, G. Lombardi, C. Ceruti, E. Casiraghi & P. Campadelli,
//! "Novel high intrinsic dimensionality estimators", Machine Learning 89, 2012
//! (DOI 10.1007/s10994-012-5294-7).
//!
//! Cost: the kNN graph with `K + 1` neighbours (`K = curve_k_max`; exact:
//! `O(n²·d)`), then `O(n·K·D)` for the curve; memory `O(n·(d + K))`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = benchmark_manifold(Benchmark::M7Roll, 1000, 0)?;
//! let est = MindMl::params().k(20).fit_records(x.view())?;
//! assert!((est.dimension() - 2.0).abs() < 0.3);
//! assert!(est.pointwise().is_none());
//! assert_eq!(est.curve().x().first(), Some(&1.0));
//! # Ok::<(), lowdim::Error>(())
//! ```

use linfa::ParamGuard;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::common::{check_records, impl_id_fit, knn_of, Distinct};
use super::estimate::{IdCurve, IdEstimate};
use crate::error::{Error, Result};
use crate::neighbors::KnnMethod;

/// Which MiND-ML estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MindMlVersion {
    /// The real maximiser of the likelihood in (0, D] (scikit-dimension's default "MLk").
    Mlk,
    /// The best integer in {1, …, D} ("MLi").
    Mli,
}

/// MiND-ML; start from [`MindMl::params`].
pub struct MindMl;

impl MindMl {
    /// The parameters, with scikit-dimension's defaults: `k` 20, `d_max` 10,
    /// `version` [`MindMlVersion::Mlk`], `curve_k_max` `min(2k, n − 2)`,
    /// `knn_method` [`KnnMethod::Exact`].
    pub fn params() -> MindMlParams {
        MindMlParams(MindMlValidParams { k: 20, d_max: 10, version: MindMlVersion::Mlk, curve_k_max: None, knn_method: KnnMethod::Exact })
    }
}

/// Checked MiND-ML parameters; see [`MindMl::params`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MindMlValidParams {
    k: usize,
    d_max: usize,
    version: MindMlVersion,
    curve_k_max: Option<usize>,
    knn_method: KnnMethod,
}

/// Unchecked MiND-ML parameters: a builder with consuming setters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MindMlParams(MindMlValidParams);

impl MindMlParams {
    /// `k`: usize, default 20, in [1, n_samples − 1); the ratio uses the
    /// nearest and the `(k+1)`-th neighbour.
    pub fn k(mut self, k: usize) -> Self {
        self.0.k = k;
        self
    }

    /// `d_max` (scikit-dimension's `D`): usize, default 10, ≥ 1; the largest
    /// dimension considered — the estimate is capped there.
    pub fn d_max(mut self, d_max: usize) -> Self {
        self.0.d_max = d_max;
        self
    }

    /// `version`: default [`MindMlVersion::Mlk`].
    pub fn version(mut self, version: MindMlVersion) -> Self {
        self.0.version = version;
        self
    }

    /// `curve_k_max`: usize ≥ k, default `min(2k, n − 2)`; the curve shows the
    /// estimate for every k in [1, curve_k_max] (clipped to n − 2).
    pub fn curve_k_max(mut self, curve_k_max: usize) -> Self {
        self.0.curve_k_max = Some(curve_k_max);
        self
    }

    /// `knn_method`: default [`KnnMethod::Exact`].
    pub fn knn_method(mut self, knn_method: KnnMethod) -> Self {
        self.0.knn_method = knn_method;
        self
    }
}

impl ParamGuard for MindMlParams {
    type Checked = MindMlValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&MindMlValidParams> {
        let p = &self.0;
        if p.k < 1 {
            return Err(Error::param("k", "of MiND-ML must be ≥ 1; got 0"));
        }
        if p.d_max < 1 {
            return Err(Error::param("d_max", "of MiND-ML must be ≥ 1; got 0"));
        }
        if let Some(m) = p.curve_k_max.filter(|&m| m < p.k) {
            return Err(Error::param("curve_k_max", format!("of MiND-ML must be ≥ k = {}; got {m}", p.k)));
        }
        Ok(p)
    }

    fn check(self) -> Result<MindMlValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl MindMlValidParams {
    /// The neighbour count.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The largest dimension considered.
    pub fn d_max(&self) -> usize {
        self.d_max
    }

    /// Which estimate.
    pub fn version(&self) -> MindMlVersion {
        self.version
    }

    fn estimate(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        const WHO: &str = "MiND-ML";
        check_records(WHO, x)?;
        let data = Distinct::new(x);
        let n = data.n_distinct();
        if self.k + 1 >= n {
            return Err(Error::param("k", format!("of {WHO} must be in [1, {} − 1) (the ratio needs k + 1 neighbours); got {}", data.bound(), self.k)));
        }
        let k_max = self.curve_k_max.unwrap_or(2 * self.k).clamp(self.k, n - 2);
        let graph = knn_of(&data, k_max + 1, self.knn_method)?;
        let distances = graph.distances();
        let at = |k: usize| -> Option<f64> {
            let logs: Vec<f64> = distances.outer_iter().map(|r| (r[0] / r[k]).ln()).filter(|l| *l < 0.0).collect();
            (!logs.is_empty()).then(|| match self.version {
                MindMlVersion::Mli => best_integer(&logs, k, self.d_max),
                MindMlVersion::Mlk => maximiser(&logs, k, self.d_max),
            })
        };
        let dimension = at(self.k).ok_or_else(|| {
            Error::data(format!("the {} nearest neighbours of every point are equidistant, so MiND-ML has no information; increase k", self.k + 1))
        })?;
        let curve = IdCurve::from_points("k (neighbours)", "intrinsic dimension", (1..=k_max).map(|k| (k as f64, at(k).unwrap_or(f64::NAN))))
            .with_reference(&format!("estimate {dimension:.3}"), dimension)
            .with_marked(self.k as f64, dimension);
        let name = match self.version {
            MindMlVersion::Mlk => "MiND-MLk",
            MindMlVersion::Mli => "MiND-MLi",
        };
        Ok(IdEstimate::new(format!("{name} (k = {}, D = {})", self.k, self.d_max), dimension, None, curve, x.nrows(), data.n_duplicates()))
    }
}

/// ℓ(d) for the logs `log ρᵢ < 0`.
fn log_likelihood(logs: &[f64], k: usize, d: f64) -> f64 {
    let n = logs.len() as f64;
    let km1 = (k - 1) as f64;
    n * (k as f64 * d).ln() + logs.iter().map(|&l| (d - 1.0) * l + km1 * (-(d * l).exp_m1()).ln()).sum::<f64>()
}

/// ℓ′(d) = N/d + Σ log ρ − (k − 1)·Σ ρ^d·log ρ / (1 − ρ^d).
fn slope(logs: &[f64], k: usize, d: f64) -> f64 {
    let km1 = (k - 1) as f64;
    logs.len() as f64 / d + logs.iter().map(|&l| l + km1 * l * (1.0 + 1.0 / (d * l).exp_m1())).sum::<f64>()
}

/// The integer in {1, …, D} of largest likelihood (the smallest on ties).
fn best_integer(logs: &[f64], k: usize, d_max: usize) -> f64 {
    let mut best = (1, f64::NEG_INFINITY);
    for d in 1..=d_max {
        let l = log_likelihood(logs, k, d as f64);
        if l > best.1 {
            best = (d, l);
        }
    }
    best.0 as f64
}

/// The maximiser of the concave ℓ on (0, D]: `D` when ℓ still rises there, else
/// the root of ℓ′ by bisection (ℓ′ → +∞ as d → 0).
fn maximiser(logs: &[f64], k: usize, d_max: usize) -> f64 {
    let hi_end = d_max as f64;
    if slope(logs, k, hi_end) >= 0.0 {
        return hi_end;
    }
    let (mut lo, mut hi) = (0.0, hi_end);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if slope(logs, k, mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

impl_id_fit!(MindMlParams, MindMlValidParams);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn slope_is_the_derivative() {
        let logs = [-0.3, -1.2, -0.05, -2.0];
        for d in [0.5, 2.0, 7.5] {
            let h = 1e-6;
            let numeric = (log_likelihood(&logs, 5, d + h) - log_likelihood(&logs, 5, d - h)) / (2.0 * h);
            assert!((numeric - slope(&logs, 5, d)).abs() < 1e-5 * numeric.abs().max(1.0));
        }
    }

    #[test]
    fn maximiser_and_integer_agree_with_the_likelihood() {
        // ρ = u^(1/d) for evenly spread u: a sample of the d = 3, k = 1 law.
        let logs: Vec<f64> = (1..400).map(|i| (i as f64 / 400.0).ln() / 3.0).collect();
        let d = maximiser(&logs, 1, 10);
        assert!((d - 3.0).abs() < 0.1, "{d}");
        assert!(slope(&logs, 1, d).abs() < 1e-6);
        assert_eq!(best_integer(&logs, 1, 10), 3.0);
        assert_eq!(maximiser(&logs, 1, 2), 2.0);
    }

    #[test]
    fn bad_parameters() {
        assert!(matches!(MindMl::params().k(0).check(), Err(Error::Param { name: "k", .. })));
        assert!(matches!(MindMl::params().d_max(0).check(), Err(Error::Param { name: "d_max", .. })));
        assert!(matches!(MindMl::params().k(5).curve_k_max(4).check(), Err(Error::Param { name: "curve_k_max", .. })));
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * i + j) as f64);
        assert!(matches!(MindMl::params().k(9).fit_records(x.view()), Err(Error::Param { name: "k", .. })));
        assert!(MindMl::params().k(8).fit_records(x.view()).is_ok());
    }

    #[test]
    fn bad_data() {
        let mut x = Array2::from_shape_fn((30, 2), |(i, j)| (i * 3 + j) as f64);
        x[[4, 0]] = f64::NAN;
        assert!(matches!(MindMl::params().k(5).fit_records(x.view()), Err(Error::Data(_))));
        // A regular 1-D grid: the two neighbours of a point are equidistant only
        // at k + 1 = 2 for interior points, so some information remains.
        let grid = Array2::from_shape_fn((30, 1), |(i, _)| i as f64);
        assert!(MindMl::params().k(3).fit_records(grid.view()).is_ok());
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(matches!(MindMl::params().fit_records(empty.view()), Err(Error::Data(_))));
    }
}
