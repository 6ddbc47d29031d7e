//! Statistical leverage scores: `τᵢ = aᵢᵀ(AᵀA)⁺aᵢ`, the squared row norms of
//! an orthonormal basis of the column space of `A`; they sum to `rank(A)`.
//!
//! Exact scores come from a thin QR by TSQR, a one-sided Jacobi SVD of `R`
//! (for a rank decision as numpy's `matrix_rank` makes it) and one matrix
//! product `Q = A·V·S⁻¹`. The sketched scores follow Drineas, Magdon-Ismail,
//! Mahoney & Woodruff: `R` from a CountSketch `S·A`, then the row norms of
//! `A·R⁻¹·Ω` with a Gaussian `Ω` of a few columns (Johnson–Lindenstrauss).
//! Root leverage `√τᵢ` is the sampling distribution Woodruff & Yasuda show
//! needs only ~d samples for ℓp regression with 1 ≤ p < 2.
//!
//! Papers: P. Drineas, M. Magdon-Ismail, M. W. Mahoney, D. P. Woodruff, "Fast
//! approximation of matrix coherence and statistical leverage", JMLR 13, 2012;
//! D. P. Woodruff & T. Yasuda, "Sharper bounds for ℓp sensitivity sampling",
//! ICML 2023, arXiv 2306.00732.
//!
//! Cost (`A` is `n × d`): exact `O(n·d²)` time, `O(n·d)` memory; sketched
//! `O(n·d·k + s·d²)` for `s` sketch rows and `k` JL columns.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let (a, _) = heavy_row_regression(2000, 6, 5, 1)?;
//! let tau = leverage_scores(a.view())?;
//! assert_eq!(tau.len(), 2000);
//! assert!((tau.sum() - 6.0).abs() < 1e-9);
//! let approx = approximate_leverage_scores(a.view(), 600, 32, 1)?;
//! assert_eq!(approx.len(), 2000);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand_distr::{Distribution, StandardNormal};

use super::{check_matrix, stream};
use crate::error::{Error, Result};
use crate::linalg::whitening_map;
use crate::rng::derive;

/// Exact leverage scores of the rows of `a` (`n × d`, any rank).
pub fn leverage_scores(a: ArrayView2<f64>) -> Result<Array1<f64>> {
    check_matrix("leverage_scores", a)?;
    Ok(scores_through(a, &whitening_map(a)))
}

/// `√τᵢ`: root-leverage scores (Woodruff & Yasuda's distribution for 1 ≤ p < 2).
pub fn root_leverage_scores(a: ArrayView2<f64>) -> Result<Array1<f64>> {
    Ok(leverage_scores(a)?.mapv(f64::sqrt))
}

/// Leverage scores estimated from a CountSketch of `sketch_rows` rows and a
/// Gaussian projection to `projection_dim` columns; `sketch_rows` ≥ d (a few
/// times d² for a subspace embedding with high probability), `projection_dim`
/// ≥ 1 (relative error about `1/√projection_dim`).
pub fn approximate_leverage_scores(a: ArrayView2<f64>, sketch_rows: usize, projection_dim: usize, seed: u64) -> Result<Array1<f64>> {
    const WHO: &str = "approximate_leverage_scores";
    check_matrix(WHO, a)?;
    let (n, d) = a.dim();
    if sketch_rows < d {
        return Err(Error::param("sketch_rows", format!("of {WHO} must be ≥ d = {d}; got {sketch_rows}")));
    }
    if projection_dim == 0 {
        return Err(Error::param("projection_dim", format!("of {WHO} must be ≥ 1; got 0")));
    }
    let mut sketch = Array2::<f64>::zeros((sketch_rows, d));
    for i in 0..n {
        // One bucket and one sign per row, both from the row's own stream.
        let h = derive(seed, stream::SKETCH, i as u64);
        let bucket = (((h >> 1) as u128 * sketch_rows as u128) >> 63) as usize;
        let sign = if h & 1 == 0 { 1.0 } else { -1.0 };
        sketch.row_mut(bucket).scaled_add(sign, &a.row(i));
    }
    let b = whitening_map(sketch.view());
    let mut rng = crate::rng::xoshiro(derive(seed, stream::SKETCH, u64::MAX));
    let omega = Array2::from_shape_simple_fn((b.ncols(), projection_dim), || {
        let z: f64 = StandardNormal.sample(&mut rng);
        z / (projection_dim as f64).sqrt()
    });
    Ok(scores_through(a, &b.dot(&omega)))
}

/// Squared row norms of `a·m`.
fn scores_through(a: ArrayView2<f64>, m: &Array2<f64>) -> Array1<f64> {
    let q = a.dot(m);
    q.map_axis(Axis(1), |r| r.dot(&r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{heavy_row_regression, read_npy_1d, read_npy_2d};
    use ndarray::array;

    #[test]
    fn golden_leverage_of_a_matrix_with_heavy_rows() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sample");
        let a = read_npy_2d(format!("{dir}/A.npy")).unwrap();
        let want = read_npy_1d(format!("{dir}/leverage.npy")).unwrap();
        let got = leverage_scores(a.view()).unwrap();
        let err = (&got - &want).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-10, "max error {err}");
    }

    #[test]
    fn sum_is_the_rank() {
        let (a, _) = heavy_row_regression(300, 5, 4, 2).unwrap();
        // Append a copy of column 0 and a zero column: rank stays 5.
        let extra = ndarray::concatenate![Axis(1), a.view(), a.column(0).insert_axis(Axis(1)), Array2::zeros((300, 1))];
        let tau = leverage_scores(extra.view()).unwrap();
        assert!((tau.sum() - 5.0).abs() < 1e-9, "{}", tau.sum());
        assert!(tau.iter().all(|&t| (-1e-12..=1.0 + 1e-12).contains(&t)));
        // Wide matrix: every row has leverage 1.
        let wide = array![[1.0, 2.0, 3.0], [0.0, 1.0, 5.0]];
        let tau = leverage_scores(wide.view()).unwrap();
        assert!(tau.iter().all(|t| (t - 1.0).abs() < 1e-12), "{tau}");
    }

    #[test]
    fn sketched_scores_are_close() {
        let (a, _) = heavy_row_regression(3000, 5, 5, 3).unwrap();
        let exact = leverage_scores(a.view()).unwrap();
        let approx = approximate_leverage_scores(a.view(), 400, 200, 3).unwrap();
        let heavy: Vec<usize> = (0..3000).filter(|&i| exact[i] > 0.5).collect();
        assert_eq!(heavy.len(), 5);
        for &i in &heavy {
            assert!((approx[i] / exact[i] - 1.0).abs() < 0.35, "{} vs {}", approx[i], exact[i]);
        }
        assert!((approx.sum() / exact.sum() - 1.0).abs() < 0.2);
        assert_eq!(approx, approximate_leverage_scores(a.view(), 400, 200, 3).unwrap());
    }

    #[test]
    fn bad_input() {
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(leverage_scores(empty.view()), Err(Error::Param { name: "a", .. })));
        assert!(matches!(leverage_scores(array![[f64::INFINITY]].view()), Err(Error::Data(_))));
        let a = Array2::<f64>::ones((10, 3));
        assert!(matches!(approximate_leverage_scores(a.view(), 2, 4, 0), Err(Error::Param { name: "sketch_rows", .. })));
        assert!(matches!(approximate_leverage_scores(a.view(), 5, 0, 0), Err(Error::Param { name: "projection_dim", .. })));
    }
}
