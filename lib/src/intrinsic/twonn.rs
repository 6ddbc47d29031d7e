//! TwoNN: intrinsic dimension from the ratio of each point's two nearest distances.
//!
//! For every point `μ = r₂ / r₁`. On a locally uniform `d`-dimensional sample `μ`
//! follows a Pareto law, `F(μ) = 1 − μ^(−d)`, so `−log(1 − F(μ)) = d·log μ`: a
//! line through the origin. With the `μ` sorted ascending and `F̂(μ₍ᵢ₎) = i/N`,
//! the largest `discard_fraction` of them dropped (they come from the tails where
//! the law fails), `d` is the least-squares slope through the origin,
//! `d = Σ xᵢyᵢ / Σ xᵢ²` with `x = log μ`, `y = −log(1 − i/N)`, exactly as
//! scikit-dimension's `TwoNN()` fits it (`int(N·(1 − discard_fraction))` points).
//!
//! The curve is the estimate against the scale by *decimation*, as Facco et al.
//! recommend: the (distinct) points are shuffled with `seed` and cut into 2ʲ
//! disjoint blocks of `N/2ʲ` points for `j = 0 … decimation − 1`; each block gets
//! its own TwoNN estimate, averaged per level. Fewer points mean larger
//! neighbour distances, i.e. a coarser scale; a plateau over the levels is the
//! dimension to trust. Levels whose blocks would hold fewer than 20 points are
//! skipped. The global estimate (the full set) does not depend on `seed`.
//!
//! Duplicates: exact duplicate rows are merged first (`r₁ = 0` makes `μ`
//! infinite; Facco et al. and scikit-dimension's users drop such points), so
//! `N` counts distinct points. With `discard_fraction = 0` the last point,
//! whose `−log(1 − F)` is infinite, is left out of the fit.
//!
//! Paper: E. Facco, M. d'Errico, A. Rodriguez & A. Laio, "Estimating the
//! intrinsic dimension of datasets by a minimal neighborhood information",
//! Scientific Reports 7, 12140 (2017), doi:10.1038/s41598-017-11873-y.
//!
//! Cost: the exact 2-NN graph, `O(N²·d)` (NN-descent with
//! [`knn_method`](TwoNnParams::knn_method)), plus `O(N log N)`; decimation adds
//! about `Σⱼ 2⁻ʲ < 2` times that. Memory `O(N·d)`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = benchmark_manifold(Benchmark::M7Roll, 1000, 0)?;
//! let est = TwoNn::params().fit_records(x.view())?;
//! assert!((est.dimension() - 2.0).abs() < 0.3);
//! assert_eq!(est.curve().x().len(), 4); // blocks of 125, 250, 500 and 1000 points
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{ArrayView2, Axis};
use rand::seq::SliceRandom;
use rayon::prelude::*;

use super::common::{check_records, knn_of, Distinct};
use super::estimate::{IdCurve, IdEstimate};
use crate::data::seeded_rng;
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params};
use crate::neighbors::KnnMethod;

/// Smallest block of the decimation curve.
const MIN_BLOCK: usize = 20;

/// TwoNN of Facco et al.; start from [`TwoNn::params`].
pub struct TwoNn;

params! {
    /// Checked TwoNN parameters; see [`TwoNn::params`].
    TwoNn("TwoNN") => TwoNnParams, TwoNnValidParams {
        /// Share of the largest ratios `μ` left out of the fit (as scikit-dimension).
        discard_fraction: f64 = 0.1 => 0.0..1.0,
        /// Levels of the scale curve (1: the full set only, no extra cost).
        decimation: usize = 4 => 1..,
        /// Shuffles the points into the decimation blocks.
        seed: u64 = 0,
        /// How the neighbour graph is searched.
        knn_method: KnnMethod = KnnMethod::Exact,
    }
}

impl TwoNnValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        const WHO: &str = "TwoNN";
        check_records(WHO, x)?;
        let data = Distinct::new(x);
        let n = data.n_distinct();
        if n < 3 {
            return Err(Error::data(format!(
                "TwoNN needs at least 3 distinct points; got {} ({} rows, {} duplicates)",
                n,
                x.nrows(),
                data.n_duplicates()
            )));
        }
        let dimension = self.twonn(&data)?;
        // Decimation: level j cuts a seeded shuffle into 2^j blocks of n / 2^j points.
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut seeded_rng(self.seed));
        let mut points = vec![(n as f64, dimension)];
        for level in 1..self.decimation {
            let blocks = 1usize << level.min(63);
            let size = n / blocks;
            if size < MIN_BLOCK {
                break;
            }
            let estimates: Vec<Option<f64>> = (0..blocks)
                .into_par_iter()
                .map(|b| {
                    let rows = &order[b * size..(b + 1) * size];
                    let block = Distinct::new(data.distinct.select(Axis(0), rows).view());
                    self.twonn(&block).ok()
                })
                .collect();
            let ok: Vec<f64> = estimates.into_iter().flatten().collect();
            if !ok.is_empty() {
                points.push((size as f64, ok.iter().sum::<f64>() / ok.len() as f64));
            }
        }
        points.reverse();
        let curve = IdCurve::from_points("points per block (decimation: fewer = coarser scale)", "intrinsic dimension", points)
            .with_reference(&format!("estimate {dimension:.3}"), dimension)
            .with_marked(n as f64, dimension);
        Ok(IdEstimate::new(format!("TwoNN (discard {})", self.discard_fraction), dimension, None, curve, x.nrows(), data.n_duplicates()))
    }

    /// The TwoNN fit on distinct points.
    fn twonn(&self, data: &Distinct) -> Result<f64> {
        let n = data.n_distinct();
        let graph = knn_of(data, 2, self.knn_method)?;
        let d = graph.distances();
        let mut mu: Vec<f64> = d.outer_iter().map(|r| r[1] / r[0]).collect();
        mu.sort_by(f64::total_cmp);
        let kept = ((n as f64 * (1.0 - self.discard_fraction)).floor() as usize).min(n - 1);
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for (i, m) in mu.iter().take(kept).enumerate() {
            let x = m.ln();
            let y = -(1.0 - (i + 1) as f64 / n as f64).ln();
            sxy += x * y;
            sxx += x * x;
        }
        if kept == 0 {
            return Err(Error::param(
                "discard_fraction",
                format!("of TwoNN leaves no point to fit among {n}; got {}", self.discard_fraction),
            ));
        }
        if sxx <= 0.0 {
            return Err(Error::data(
                "every point's two nearest neighbours are equidistant (μ = 1), so TwoNN is undefined; \
                 the data may lie on a regular grid",
            ));
        }
        Ok(sxy / sxx)
    }
}

impl_fit!(TwoNnParams, TwoNnValidParams => IdEstimate);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters() {
        use linfa::ParamGuard;
        for f in [-0.1, 1.0, f64::NAN] {
            assert!(matches!(TwoNn::params().discard_fraction(f).check(), Err(Error::Param { name: "discard_fraction", .. })));
        }
        assert!(matches!(TwoNn::params().decimation(0).check(), Err(Error::Param { name: "decimation", .. })));
    }
}
