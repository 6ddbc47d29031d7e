//! Maximum-likelihood intrinsic dimension (Levina–Bickel), global and per point.
//!
//! Around each point the distances `T₁ ≤ … ≤ T_k` to its `k` nearest neighbours
//! are modelled as a Poisson process of intensity ∝ r^(m−1); the likelihood gives
//! the local estimate
//!
//! ```text
//! m̂ₖ(x) = [ (1/(k−1)) Σ_{j<k} log(Tₖ(x) / Tⱼ(x)) ]⁻¹
//! ```
//!
//! and the global estimate averages the *inverses* over the points, as
//! MacKay & Ghahramani advised (averaging the estimates themselves is biased
//! upwards): `m̂ₖ = [ (1/n) Σₓ m̂ₖ(x)⁻¹ ]⁻¹`. This is scikit-dimension's
//! `MLE().fit(X, n_neighbors=k)` with its default `comb="mle"`. The curve is the
//! global estimate at every `k` from 2 to `curve_k_max` (all from one neighbour
//! graph).
//!
//! Duplicates: exact duplicate rows are merged first (a zero distance makes the
//! logarithm infinite); each copy gets its first copy's per-point estimate. A
//! point whose `k` neighbours are all at the same distance has an unbounded
//! local estimate, reported as `+∞` per point; it adds 0 to the averaged
//! inverses, so the global estimate stays finite unless that holds for every point
//! (then `fit` fails).
//!
//! Papers: E. Levina & P. J. Bickel, "Maximum likelihood estimation of intrinsic
//! dimension", NeurIPS 2004 (NIPS 17, 2005); D. J. C. MacKay & Z. Ghahramani,
//! "Comments on 'Maximum likelihood estimation of intrinsic dimension' by E.
//! Levina and P. Bickel" (2005), <http://www.inference.org.uk/mackay/dimension/>.
//!
//! Cost: the exact kNN graph, `O(n²·d)` time (or NN-descent with
//! [`knn_method`](MleParams::knn_method)), then `O(n·K)` for all `k ≤ K =
//! curve_k_max`; memory `O(n·(d + K))`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = benchmark_manifold(Benchmark::M7Roll, 1000, 0)?;
//! let est = Mle::params().n_neighbors(20).fit_records(x.view())?;
//! assert!((est.dimension() - 2.0).abs() < 0.3);
//! assert_eq!(est.pointwise().unwrap().len(), 1000);
//! assert_eq!(est.curve().x().first(), Some(&2.0));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::common::{check_k, check_records, knn_of, Distinct};
use super::estimate::{IdCurve, IdEstimate};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params};
use crate::neighbors::KnnMethod;

/// Levina–Bickel maximum likelihood; start from [`Mle::params`].
pub struct Mle;

params! {
    /// Checked MLE parameters; see [`Mle::params`].
    Mle("MLE") => MleParams, MleValidParams {
        /// Neighbours per point, the point itself not counted (scikit-dimension's
        /// `n_neighbors`); also below n_samples at fit.
        n_neighbors: usize = 20 => 2..,
        /// The curve shows the global estimate for every k in [2, curve_k_max]
        /// (clipped to n − 1); at least `n_neighbors`; unset: `min(2·n_neighbors, n − 1)`.
        curve_k_max: Option<usize> = None; from usize,
        /// `Auto` or `NnDescent` trade exactness for speed on large sets.
        knn_method: KnnMethod = KnnMethod::Exact,
    }
    check(p) {
        if let Some(m) = p.curve_k_max.filter(|&m| m < p.n_neighbors) {
            return Err(Error::param("curve_k_max", format!("of MLE must be ≥ n_neighbors = {}; got {m}", p.n_neighbors)));
        }
    }
}

impl MleValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        const WHO: &str = "MLE";
        check_records(WHO, x)?;
        let data = Distinct::new(x);
        check_k(WHO, "n_neighbors", self.n_neighbors, 2, &data)?;
        let n = data.n_distinct();
        let k_max = self.curve_k_max.unwrap_or(2 * self.n_neighbors).clamp(self.n_neighbors, n - 1);
        let graph = knn_of(&data, k_max, self.knn_method)?;
        let inverses = inverse_estimates(graph.distances());
        // Global estimate at every k: the inverse of the mean inverse.
        let mean_inverse = |k: usize| inverses.column(k - 2).sum() / n as f64;
        let global = |k: usize| 1.0 / mean_inverse(k);
        if mean_inverse(self.n_neighbors) <= 0.0 {
            return Err(Error::data(format!(
                "the {} nearest neighbours of every point are equidistant, so the MLE is unbounded; \
                 increase n_neighbors or check for data on a regular grid",
                self.n_neighbors
            )));
        }
        let dimension = global(self.n_neighbors);
        let local: Vec<f64> =
            inverses.column(self.n_neighbors - 2).iter().map(|&v| if v > 0.0 { 1.0 / v } else { f64::INFINITY }).collect();
        let curve = IdCurve::from_points("k (neighbours)", "intrinsic dimension", (2..=k_max).map(|k| (k as f64, global(k))))
            .with_reference(&format!("estimate {dimension:.3}"), dimension)
            .with_marked(self.n_neighbors as f64, dimension);
        Ok(IdEstimate::new(
            format!("MLE (k = {})", self.n_neighbors),
            dimension,
            Some(data.spread(&local)),
            curve,
            x.nrows(),
            data.n_duplicates(),
        ))
    }
}

/// `n × (K − 1)` matrix: entry `(i, k − 2)` is `m̂ₖ(xᵢ)⁻¹ = (1/(k−1)) Σ_{j<k}
/// log(Tₖ/Tⱼ)` for `k = 2..=K`, from the ascending positive distances `T`.
fn inverse_estimates(distances: ArrayView2<f64>) -> Array2<f64> {
    let (n, kk) = distances.dim();
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let logs: Vec<f64> = distances.row(i).iter().map(|t| t.ln()).collect();
            let mut prefix = 0.0;
            (1..kk)
                .map(|m| {
                    // logs[m] is log T_{m+1}; prefix sums log T_1..T_m.
                    prefix += logs[m - 1];
                    (logs[m] - prefix / m as f64).max(0.0)
                })
                .collect()
        })
        .collect();
    Array2::from_shape_fn((n, kk.saturating_sub(1)), |(i, c)| rows[i][c])
}

impl_fit!(MleParams, MleValidParams => IdEstimate);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn inverse_matches_the_definition() {
        let d = array![[1.0, 2.0, 4.0]];
        let inv = inverse_estimates(d.view());
        // k = 2: log(2/1); k = 3: (log 4 + log 2) / 2.
        assert!((inv[[0, 0]] - 2f64.ln()).abs() < 1e-15);
        assert!((inv[[0, 1]] - 1.5 * 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn bad_parameters() {
        use linfa::ParamGuard;
        assert!(matches!(Mle::params().n_neighbors(1).check(), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(Mle::params().n_neighbors(5).curve_k_max(4).check(), Err(Error::Param { name: "curve_k_max", .. })));
        assert!(Mle::params().n_neighbors(5).curve_k_max(5).check().is_ok());
    }
}
