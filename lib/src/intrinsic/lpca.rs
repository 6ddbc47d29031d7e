//! PCA intrinsic dimension, global or local, by the Fukunaga–Olsen rule.
//!
//! The principal variances `λ₁ ≥ λ₂ ≥ …` of the (centred) data are computed and
//! the dimension is the number of them above `α·λ₁` (scikit-dimension's
//! `lPCA(ver="FO", alphaFO=0.05)`). Globally this counts the directions a
//! *linear* model needs, so it over-estimates curved manifolds (a swiss roll
//! gives 3). Locally ([`local`](LpcaParams::local)`(k)`) the rule runs on the
//! `k` nearest neighbours of every point (the point itself not included, as
//! scikit-dimension's `fit_pw` does), giving per-point estimates whose mean is
//! the global estimate; on a smooth manifold small neighbourhoods are nearly flat.
//!
//! Curves: globally, the spectrum `λᵢ/λ₁` against the component index with the
//! threshold `α` as the reference line; locally, the mean local estimate
//! against the neighbourhood size `k/8, k/4, k/2, k` (those ≥ 3).
//!
//! Duplicates and constant data need no special care (they are not merged):
//! zero variances are never counted, and all points equal gives dimension 0.
//!
//! Papers: K. Fukunaga & D. R. Olsen, "An algorithm for finding intrinsic
//! dimensionality of data", IEEE Trans. Computers C-20(2), 1971, pp. 176–183,
//! doi:10.1109/T-C.1971.223208; J. Bac, E. M. Mirkes, A. N. Gorban, I. Tyukin &
//! A. Zinovyev, "Scikit-dimension: a Python package for intrinsic dimension
//! estimation", Entropy 23(10), 1368 (2021), doi:10.3390/e23101368.
//!
//! Cost: global `O(n·d·p + p³)` with `p = min(n, d)`; local the kNN graph
//! (`O(n²·d)` exact) plus `O(n·(k·d·q + q³))` with `q = min(k, d)`, per curve
//! point. Memory `O(n·d + p²)`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = benchmark_manifold(Benchmark::M2Affine3to5, 500, 0)?;
//! assert_eq!(Lpca::params().fit_records(x.view())?.dimension(), 3.0);
//! let local = Lpca::params().local(20).fit_records(x.view())?;
//! assert_eq!(local.pointwise().unwrap().len(), 500);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;

use super::common::{check_records, pca_spectrum};
use super::estimate::{trim, IdCurve, IdEstimate};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params};
use crate::neighbors::{KnnMethod, KnnParams};

/// Fukunaga–Olsen PCA dimension; start from [`Lpca::params`].
pub struct Lpca;

params! {
    /// Checked lPCA parameters; see [`Lpca::params`].
    Lpca("lPCA") => LpcaParams, LpcaValidParams {
        /// A variance counts when it exceeds `alpha` times the largest.
        alpha: f64 = 0.05 => open(0.0, 1.0),
        /// Unset: global PCA. Set to `k`: estimate per point on its `k` nearest
        /// neighbours (scikit-dimension's default is 100); also below n_samples at fit.
        local: Option<usize> = None => 2..; from usize,
        /// The neighbour search of the local version.
        knn_method: KnnMethod = KnnMethod::Exact,
    }
}

impl LpcaValidParams {
    /// Variances above `alpha` times the largest.
    fn count(&self, spectrum: &[f64]) -> usize {
        let top = spectrum.first().copied().unwrap_or(0.0);
        spectrum.iter().filter(|&&v| v > self.alpha * top).count()
    }

    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        check_records("lPCA", x)?;
        match self.local {
            None => self.global(x),
            Some(k) => self.pointwise(x, k),
        }
    }

    fn global(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        let spectrum = pca_spectrum(x);
        let dimension = self.count(&spectrum) as f64;
        let top = spectrum.first().copied().unwrap_or(0.0);
        let ratios = spectrum.iter().enumerate().map(|(i, v)| ((i + 1) as f64, if top > 0.0 { v / top } else { 0.0 }));
        let curve = IdCurve::from_points("principal component", "variance / largest variance", ratios)
            .with_reference(&format!("α = {}", trim(self.alpha)), self.alpha);
        Ok(IdEstimate::new(format!("lPCA (FO, α = {})", trim(self.alpha)), dimension, None, curve, x.nrows(), 0))
    }

    fn pointwise(&self, x: ArrayView2<f64>, k: usize) -> Result<IdEstimate> {
        let n = x.nrows();
        if k < 2 || k >= n {
            return Err(Error::param("local", format!("of lPCA must be in [2, n_samples = {n}); got {k}")));
        }
        let graph = KnnParams::new(k).method(self.knn_method).graph(x)?;
        let indices = graph.indices();
        let counts_at = |size: usize| -> Vec<f64> {
            (0..n)
                .into_par_iter()
                .map(|i| {
                    let rows: Vec<usize> = indices.row(i).iter().take(size).copied().collect();
                    self.count(&pca_spectrum(x.select(Axis(0), &rows).view())) as f64
                })
                .collect()
        };
        let local = counts_at(k);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let dimension = mean(&local);
        let mut sizes: Vec<usize> = [k / 8, k / 4, k / 2].into_iter().filter(|&s| s >= 3).collect();
        sizes.dedup();
        let mut points: Vec<(f64, f64)> = sizes.into_iter().map(|s| (s as f64, mean(&counts_at(s)))).collect();
        points.push((k as f64, dimension));
        let curve = IdCurve::from_points("k (neighbourhood size)", "mean local dimension", points)
            .with_reference(&format!("estimate {dimension:.3}"), dimension)
            .with_marked(k as f64, dimension);
        Ok(IdEstimate::new(format!("local PCA (FO, α = {}, k = {k})", trim(self.alpha)), dimension, Some(local), curve, n, 0))
    }
}

impl_fit!(LpcaParams, LpcaValidParams => IdEstimate);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn bad_parameters() {
        use linfa::ParamGuard;
        for a in [0.0, 1.0, f64::NAN] {
            assert!(matches!(Lpca::params().alpha(a).check(), Err(Error::Param { name: "alpha", .. })));
        }
        assert!(matches!(Lpca::params().local(1).check(), Err(Error::Param { name: "local", .. })));
    }

    #[test]
    fn counts_a_plane_and_constant_data() {
        let x = Array2::from_shape_fn((50, 4), |(i, j)| match j {
            0 => (i % 7) as f64,
            1 => (i / 7) as f64,
            _ => 0.0,
        });
        assert_eq!(Lpca::params().fit_records(x.view()).unwrap().dimension(), 2.0);
        assert_eq!(Lpca::params().fit_records(Array2::ones((5, 3)).view()).unwrap().dimension(), 0.0);
    }
}
