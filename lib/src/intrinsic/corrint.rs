//! Correlation dimension (Grassberger–Procaccia), with scikit-dimension's scales.
//!
//! The correlation integral `C(r)` is the share of ordered pairs `(i, j)`,
//! `i ≠ j`, closer than `r` (over all `n²` ordered pairs). On a `d`-dimensional
//! manifold `C(r) ∝ r^d` at small `r`, so
//!
//! ```text
//! d̂ = [log C(r₂) − log C(r₁)] / [log r₂ − log r₁]
//! ```
//!
//! with `r₁`, `r₂` the medians over the points of the distance to the `k1`-th and
//! `k2`-th nearest neighbour, exactly as scikit-dimension's `CorrInt(k1=10,
//! k2=20)`.
//!
//! The curve is the estimate against the scale: for every `k` from 1 to `k2`
//! (while `2k < n`) the same estimator on the radii `r_k` and `r_2k`, plotted at
//! their geometric mean `√(r_k·r_2k)`. A plateau at small scales is the
//! dimension; noise lifts the smallest scales, curvature bends the largest.
//!
//! Duplicates: exact duplicate rows are merged first, so `n` counts distinct
//! points (many copies would make `r₁` zero).
//!
//! Paper: P. Grassberger & I. Procaccia, "Measuring the strangeness of strange
//! attractors", Physica D 9(1–2), 1983, pp. 189–208,
//! doi:10.1016/0167-2789(83)90298-1.
//!
//! Cost: the kNN graph (`O(n²·d)` exact) and one pass over all pairs,
//! `O(n²·(d + log k2))` time (parallel over rows), `O(n·(d + k2))` memory.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = benchmark_manifold(Benchmark::M7Roll, 1000, 0)?;
//! let est = CorrInt::params().fit_records(x.view())?;
//! assert!((est.dimension() - 2.0).abs() < 0.3);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::common::{check_k, check_records, knn_of, median, Distinct};
use super::estimate::{IdCurve, IdEstimate};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params};
use crate::neighbors::KnnMethod;

/// Correlation dimension; start from [`CorrInt::params`].
pub struct CorrInt;

params! {
    /// Checked correlation-dimension parameters; see [`CorrInt::params`]
    /// (scikit-dimension's defaults).
    CorrInt("CorrInt") => CorrIntParams, CorrIntValidParams {
        /// The rank of the neighbour whose median distance is the small radius
        /// `r₁`; below `k2`.
        k1: usize = 10 => 1..,
        /// The rank of the neighbour whose median distance is the large radius
        /// `r₂`; above `k1`, and below n_samples at fit.
        k2: usize = 20,
        /// How the neighbour graph is searched.
        knn_method: KnnMethod = KnnMethod::Exact,
    }
    check(p) {
        if p.k2 <= p.k1 {
            return Err(Error::param("k2", format!("of CorrInt must be > k1 = {}; got {}", p.k1, p.k2)));
        }
    }
}

impl CorrIntValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<IdEstimate> {
        const WHO: &str = "CorrInt";
        check_records(WHO, x)?;
        let data = Distinct::new(x);
        check_k(WHO, "k2", self.k2, 2, &data)?;
        let n = data.n_distinct();
        let k_max = (2 * self.k2).min(n - 1);
        let graph = knn_of(&data, k_max, self.knn_method)?;
        // radius[k - 1]: the median distance to the k-th neighbour.
        let radius: Vec<f64> = graph.distances().columns().into_iter().map(|c| median(&mut c.to_vec())).collect();
        let mut radii = radius.clone();
        radii.sort_by(f64::total_cmp);
        radii.dedup();
        let below = pairs_below(data.distinct.view(), &radii);
        let integral = |r: f64| {
            let at = radii.partition_point(|&v| v < r);
            let count = below.get(at).copied().expect("every radius asked for is one of `radii`");
            count as f64 / (n as f64 * n as f64)
        };
        let slope = |k1: usize, k2: usize| -> Option<f64> {
            let (r1, r2) = (radius[k1 - 1], radius[k2 - 1]);
            let (c1, c2) = (integral(r1), integral(r2));
            (r2 > r1 && c1 > 0.0).then(|| (c2.ln() - c1.ln()) / (r2.ln() - r1.ln()))
        };
        let dimension = slope(self.k1, self.k2).ok_or_else(|| {
            Error::data(format!(
                "CorrInt needs r₁ < r₂ and some pair closer than r₁; got r₁ = {} and r₂ = {} \
                 (the k1-th and k2-th neighbour distances coincide: increase k2 or k1)",
                radius[self.k1 - 1],
                radius[self.k2 - 1]
            ))
        })?;
        let points = (1..=self.k2)
            .filter(|&k| 2 * k <= k_max)
            .filter_map(|k| slope(k, 2 * k).map(|d| ((radius[k - 1] * radius[2 * k - 1]).sqrt(), d)));
        let scale = (radius[self.k1 - 1] * radius[self.k2 - 1]).sqrt();
        let curve = IdCurve::from_points("scale r (median k-th neighbour distance)", "correlation dimension", points)
            .with_reference(&format!("estimate {dimension:.3}"), dimension)
            .with_marked(scale, dimension);
        Ok(IdEstimate::new(format!("CorrInt (k1 = {}, k2 = {})", self.k1, self.k2), dimension, None, curve, x.nrows(), data.n_duplicates()))
    }
}

/// `out[m]`: ordered pairs `(i, j)`, `i ≠ j`, at distance `< radii[m]`
/// (`radii` ascending). Integer counts, so the result is independent of the
/// thread count.
fn pairs_below(x: ArrayView2<f64>, radii: &[f64]) -> Vec<u64> {
    let n = x.nrows();
    let Some(&largest) = radii.last() else { return Vec::new() };
    let x = x.as_standard_layout().into_owned();
    let rows: Vec<&[f64]> = x.outer_iter().map(|r| r.to_slice().expect("rows of a standard-layout array are contiguous")).collect();
    let limit = largest * largest;
    // bucket[m]: unordered pairs whose distance is in [radii[m−1], radii[m]).
    let buckets = (0..n)
        .into_par_iter()
        .fold(
            || vec![0u64; radii.len()],
            |mut acc, i| {
                let a = rows[i];
                for b in &rows[i + 1..] {
                    let sq: f64 = a.iter().zip(*b).map(|(p, q)| (p - q) * (p - q)).sum();
                    if sq <= limit {
                        let dist = sq.sqrt();
                        let m = radii.partition_point(|&r| r <= dist);
                        if m < radii.len() {
                            acc[m] += 1;
                        }
                    }
                }
                acc
            },
        )
        .reduce(|| vec![0u64; radii.len()], |a, b| a.iter().zip(&b).map(|(p, q)| p + q).collect());
    // Cumulate, counting each unordered pair twice.
    let mut total = 0;
    let mut out = Vec::with_capacity(buckets.len());
    for c in buckets {
        total += 2 * c;
        out.push(total);
    }
    out
}

impl_fit!(CorrIntParams, CorrIntValidParams => IdEstimate);

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn counts_ordered_pairs_strictly_below() {
        let x = array![[0.0], [1.0], [3.0]];
        // Distances 1, 2, 3.
        assert_eq!(pairs_below(x.view(), &[1.0, 2.5, 10.0]), vec![0, 4, 6]);
    }

    #[test]
    fn bad_parameters() {
        use linfa::ParamGuard;
        assert!(matches!(CorrInt::params().k1(0).check(), Err(Error::Param { name: "k1", .. })));
        assert!(matches!(CorrInt::params().k1(5).k2(5).check(), Err(Error::Param { name: "k2", .. })));
    }
}
