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
//! let est = Mle::params().k(20).fit_records(x.view())?;
//! assert!((est.dimension() - 2.0).abs() < 0.3);
//! assert_eq!(est.pointwise().unwrap().len(), 1000);
//! assert_eq!(est.curve().x().first(), Some(&2.0));
//! # Ok::<(), lowdim::Error>(())
//! ```

use linfa::ParamGuard;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::{check_k, check_records, impl_id_fit, knn_of, Distinct};
use super::estimate::{IdCurve, IdEstimate};
use crate::error::{Error, Result};
use crate::neighbors::KnnMethod;

/// Levina–Bickel maximum likelihood; start from [`Mle::params`].
pub struct Mle;

impl Mle {
    /// The parameters, with their defaults: `k` 20 (scikit-dimension's
    /// `n_neighbors`), `curve_k_max` `min(2k, n − 1)`, `knn_method`
    /// [`KnnMethod::Exact`].
    pub fn params() -> MleParams {
        MleParams(MleValidParams { k: 20, curve_k_max: None, knn_method: KnnMethod::Exact })
    }
}

/// Checked MLE parameters; see [`Mle::params`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MleValidParams {
    k: usize,
    curve_k_max: Option<usize>,
    knn_method: KnnMethod,
}

/// Unchecked MLE parameters: a builder with consuming setters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MleParams(MleValidParams);

impl MleParams {
    /// `k`: usize, default 20, in [2, n_samples); neighbours per point (the
    /// point itself not counted).
    pub fn k(mut self, k: usize) -> Self {
        self.0.k = k;
        self
    }

    /// `curve_k_max`: usize ≥ k, default `min(2k, n − 1)`; the curve shows the
    /// global estimate for every k in [2, curve_k_max] (clipped to n − 1).
    pub fn curve_k_max(mut self, curve_k_max: usize) -> Self {
        self.0.curve_k_max = Some(curve_k_max);
        self
    }

    /// `knn_method`: default [`KnnMethod::Exact`]; `Auto` or `NnDescent` trade
    /// exactness for speed on large sets.
    pub fn knn_method(mut self, knn_method: KnnMethod) -> Self {
        self.0.knn_method = knn_method;
        self
    }
}

impl MleValidParams {
    /// Neighbours per point.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The largest k on the curve, if set.
    pub fn curve_k_max(&self) -> Option<usize> {
        self.curve_k_max
    }

    /// How the neighbour graph is searched.
    pub fn knn_method(&self) -> KnnMethod {
        self.knn_method
    }

    fn estimate(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        const WHO: &str = "MLE";
        check_records(WHO, x)?;
        let data = Distinct::new(x);
        check_k(WHO, "k", self.k, 2, &data)?;
        let n = data.n_distinct();
        let k_max = self.curve_k_max.unwrap_or(2 * self.k).clamp(self.k, n - 1);
        let graph = knn_of(&data, k_max, self.knn_method)?;
        let inverses = inverse_estimates(graph.distances());
        // Global estimate at every k: the inverse of the mean inverse.
        let mean_inverse = |k: usize| inverses.column(k - 2).sum() / n as f64;
        let global = |k: usize| 1.0 / mean_inverse(k);
        if mean_inverse(self.k) <= 0.0 {
            return Err(Error::data(format!(
                "the {} nearest neighbours of every point are equidistant, so the MLE is unbounded; \
                 increase k or check for data on a regular grid",
                self.k
            )));
        }
        let dimension = global(self.k);
        let local: Vec<f64> = inverses.column(self.k - 2).iter().map(|&v| if v > 0.0 { 1.0 / v } else { f64::INFINITY }).collect();
        let curve = IdCurve::from_points("k (neighbours)", "intrinsic dimension", (2..=k_max).map(|k| (k as f64, global(k))))
            .with_reference(&format!("estimate {dimension:.3}"), dimension)
            .with_marked(self.k as f64, dimension);
        Ok(IdEstimate::new(format!("MLE (k = {})", self.k), dimension, Some(data.spread(&local)), curve, x.nrows(), data.n_duplicates()))
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

impl ParamGuard for MleParams {
    type Checked = MleValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&MleValidParams> {
        let p = &self.0;
        if p.k < 2 {
            return Err(Error::param("k", format!("of MLE must be ≥ 2; got {}", p.k)));
        }
        if let Some(m) = p.curve_k_max.filter(|&m| m < p.k) {
            return Err(Error::param("curve_k_max", format!("of MLE must be ≥ k = {}; got {m}", p.k)));
        }
        Ok(p)
    }

    fn check(self) -> Result<MleValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl_id_fit!(MleParams, MleValidParams);

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
        assert!(matches!(Mle::params().k(1).check(), Err(Error::Param { name: "k", .. })));
        assert!(matches!(Mle::params().k(5).curve_k_max(4).check(), Err(Error::Param { name: "curve_k_max", .. })));
        assert!(Mle::params().k(5).curve_k_max(5).check().is_ok());
    }
}
