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
//! let est = MindMl::params().n_neighbors(20).fit_records(x.view())?;
//! assert!((est.dimension() - 2.0).abs() < 0.3);
//! assert!(est.pointwise().is_none());
//! assert_eq!(est.curve().x().first(), Some(&1.0));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::common::{check_records, knn_of, Distinct};
use super::estimate::{IdCurve, IdEstimate};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params};
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

params! {
    /// Checked MiND-ML parameters; see [`MindMl::params`] (scikit-dimension's
    /// defaults).
    MindMl("MiND-ML") => MindMlParams, MindMlValidParams {
        /// The neighbour count `k` (scikit-dimension's `k`): the ratio uses the
        /// nearest and the `(k+1)`-th neighbour; also below n_samples − 1 at fit.
        n_neighbors: usize = 20 => 1..,
        /// The largest dimension considered (scikit-dimension's `D`): the
        /// estimate is capped there.
        d_max: usize = 10 => 1..,
        /// Which estimate.
        version: MindMlVersion = MindMlVersion::Mlk,
        /// The curve shows the estimate for every k in [1, curve_k_max]
        /// (clipped to n − 2); at least `n_neighbors`; unset: `min(2·n_neighbors, n − 2)`.
        curve_k_max: Option<usize> = None; from usize,
        /// How the neighbour graph is searched.
        knn_method: KnnMethod = KnnMethod::Exact,
    }
    check(p) {
        if let Some(m) = p.curve_k_max.filter(|&m| m < p.n_neighbors) {
            return Err(Error::param("curve_k_max", format!("of MiND-ML must be ≥ n_neighbors = {}; got {m}", p.n_neighbors)));
        }
    }
}

impl MindMlValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        const WHO: &str = "MiND-ML";
        check_records(WHO, x)?;
        let data = Distinct::new(x);
        let n = data.n_distinct();
        if self.n_neighbors + 1 >= n {
            return Err(Error::param(
                "n_neighbors",
                format!(
                    "of {WHO} must be in [1, {} − 1) (the ratio needs n_neighbors + 1 neighbours); got {}",
                    data.bound(),
                    self.n_neighbors
                ),
            ));
        }
        let k_max = self.curve_k_max.unwrap_or(2 * self.n_neighbors).clamp(self.n_neighbors, n - 2);
        let graph = knn_of(&data, k_max + 1, self.knn_method)?;
        let distances = graph.distances();
        let at = |k: usize| -> Option<f64> {
            let logs: Vec<f64> = distances.outer_iter().map(|r| (r[0] / r[k]).ln()).filter(|l| *l < 0.0).collect();
            (!logs.is_empty()).then(|| match self.version {
                MindMlVersion::Mli => best_integer(&logs, k, self.d_max),
                MindMlVersion::Mlk => maximiser(&logs, k, self.d_max),
            })
        };
        let dimension = at(self.n_neighbors).ok_or_else(|| {
            Error::data(format!(
                "the {} nearest neighbours of every point are equidistant, so MiND-ML has no information; increase n_neighbors",
                self.n_neighbors + 1
            ))
        })?;
        let curve =
            IdCurve::from_points("k (neighbours)", "intrinsic dimension", (1..=k_max).map(|k| (k as f64, at(k).unwrap_or(f64::NAN))))
                .with_reference(&format!("estimate {dimension:.3}"), dimension)
                .with_marked(self.n_neighbors as f64, dimension);
        let name = match self.version {
            MindMlVersion::Mlk => "MiND-MLk",
            MindMlVersion::Mli => "MiND-MLi",
        };
        Ok(IdEstimate::new(
            format!("{name} (k = {}, D = {})", self.n_neighbors, self.d_max),
            dimension,
            None,
            curve,
            x.nrows(),
            data.n_duplicates(),
        ))
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

impl_fit!(MindMlParams, MindMlValidParams => IdEstimate);

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
        use linfa::ParamGuard;
        assert!(matches!(MindMl::params().n_neighbors(0).check(), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(MindMl::params().d_max(0).check(), Err(Error::Param { name: "d_max", .. })));
        assert!(matches!(MindMl::params().n_neighbors(5).curve_k_max(4).check(), Err(Error::Param { name: "curve_k_max", .. })));
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * i + j) as f64);
        assert!(matches!(MindMl::params().n_neighbors(9).fit_records(x.view()), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(MindMl::params().n_neighbors(8).fit_records(x.view()).is_ok());
    }

    #[test]
    fn bad_data() {
        let mut x = Array2::from_shape_fn((30, 2), |(i, j)| (i * 3 + j) as f64);
        x[[4, 0]] = f64::NAN;
        assert!(matches!(MindMl::params().n_neighbors(5).fit_records(x.view()), Err(Error::Data(_))));
        // A regular 1-D grid: the two neighbours of a point are equidistant only
        // at k + 1 = 2 for interior points, so some information remains.
        let grid = Array2::from_shape_fn((30, 1), |(i, _)| i as f64);
        assert!(MindMl::params().n_neighbors(3).fit_records(grid.view()).is_ok());
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(matches!(MindMl::params().fit_records(empty.view()), Err(Error::Data(_))));
    }
}
