//! ℓp Lewis weights: the weights `w` with `wᵢ^{2/p} = aᵢᵀ(AᵀW^{1−2/p}A)⁻¹aᵢ`,
//! the "leverage scores of ℓp"; they sum to `rank(A)` and `p = 2` gives the
//! leverage scores.
//!
//! Cohen & Peng's fixed point `wᵢ ← (aᵢᵀ(AᵀW^{1−2/p}A)⁻¹aᵢ)^{p/2}` — one
//! leverage computation of the row-scaled matrix `W^{1/2−1/p}A` per step —
//! contracts with factor `|1 − p/2|` in log-coordinates, so it converges for
//! p < 4 and stalls beyond. For p > 2 this module takes the damped step
//! `log w ← (1 − η)·log w + η·log T(w)` with `η = 4/(p + 2)`: Cohen–Peng's
//! Jacobian bound puts the eigenvalues of `T`'s log-Jacobian in
//! `[−(p/2 − 1), 0]`, so the damped map contracts with factor
//! `(p − 2)/(p + 2) < 1` for every p (and faster than the plain step for
//! 2 < p < 4). For p ≤ 2 the plain step (η = 1) is the best such choice.
//!
//! Paper: M. B. Cohen & R. Peng, "ℓp row sampling by Lewis weights", STOC
//! 2015, arXiv 1412.0588; D. J. Lewis, "Finite dimensional subspaces of Lp",
//! Studia Math. 1978.
//!
//! Cost: `O(n·d²)` per iteration, `O(log(1/tol))` iterations; `O(n·d)` memory.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let (a, _) = heavy_row_regression(1000, 4, 5, 1)?;
//! let w = lewis_weights(a.view(), 1.0)?;
//! assert_eq!(w.len(), 1000);
//! assert!((w.sum() - 4.0).abs() < 1e-6);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, ArrayView2, Axis};

use super::{check_matrix, check_p};
use crate::error::{Error, Result};
use crate::linalg::whitening_map;

/// Largest number of fixed-point steps.
const MAX_ITER: usize = 1000;
/// Stop when no weight moves by more than this times the largest weight.
const TOL: f64 = 1e-12;

/// The ℓp Lewis weights of the rows of `a` (`p` ≥ 1, finite).
pub fn lewis_weights(a: ArrayView2<f64>, p: f64) -> Result<Array1<f64>> {
    const WHO: &str = "lewis_weights";
    check_matrix(WHO, a)?;
    check_p(WHO, p)?;
    let eta = if p <= 2.0 { 1.0 } else { 4.0 / (p + 2.0) };
    let mut w = Array1::<f64>::ones(a.nrows());
    for _ in 0..MAX_ITER {
        let next = step(a, &w, p, eta);
        let scale = next.iter().copied().fold(0.0, f64::max);
        let moved = (&next - &w).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        w = next;
        if moved <= TOL * scale.max(f64::MIN_POSITIVE) {
            return Ok(w);
        }
    }
    Err(Error::data(format!("Lewis weights for p = {p} did not converge in {MAX_ITER} iterations")))
}

/// One (damped) Cohen–Peng step.
fn step(a: ArrayView2<f64>, w: &Array1<f64>, p: f64, eta: f64) -> Array1<f64> {
    let expo = 0.5 - 1.0 / p;
    // A zero weight stays zero (its row is out of the column space in effect).
    let scale = w.mapv(|v| if v > 0.0 { v.powf(expo) } else { 0.0 });
    let scaled = &a * &scale.view().insert_axis(Axis(1));
    let q = scaled.dot(&whitening_map(scaled.view()));
    let tau = q.map_axis(Axis(1), |r| r.dot(&r));
    // aᵢᵀM⁻¹aᵢ = τᵢ / wᵢ^{1−2/p}; the update is its p/2-th power.
    ndarray::Zip::from(w).and(&tau).map_collect(|&wi, &ti| {
        if wi <= 0.0 || ti <= 0.0 {
            return 0.0;
        }
        let quad = ti / wi.powf(1.0 - 2.0 / p);
        let target = quad.powf(p / 2.0);
        (wi.ln() * (1.0 - eta) + target.ln() * eta).exp()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::heavy_row_regression;
    use crate::sample::leverage_scores;
    use ndarray::array;

    #[test]
    fn p2_gives_leverage_scores() {
        let (a, _) = heavy_row_regression(400, 5, 4, 1).unwrap();
        let w = lewis_weights(a.view(), 2.0).unwrap();
        let tau = leverage_scores(a.view()).unwrap();
        assert!((&w - &tau).iter().all(|e| e.abs() < 1e-12));
    }

    #[test]
    fn fixed_point_holds_for_small_and_large_p() {
        let (a, _) = heavy_row_regression(300, 4, 3, 2).unwrap();
        for p in [1.0, 1.5, 3.0, 6.0] {
            let w = lewis_weights(a.view(), p).unwrap();
            assert!((w.sum() - 4.0).abs() < 1e-8, "p = {p}: sum {}", w.sum());
            // wᵢ^{2/p} = aᵢᵀ(AᵀW^{1−2/p}A)⁻¹aᵢ, checked with an explicit inverse.
            let wm = w.mapv(|v| v.powf(1.0 - 2.0 / p));
            let m = a.t().dot(&(&a * &wm.view().insert_axis(Axis(1))));
            let minv = inverse(&m);
            for i in [0, 17, 123] {
                let lhs = w[i].powf(2.0 / p);
                let rhs = a.row(i).dot(&minv.dot(&a.row(i)));
                assert!((lhs / rhs - 1.0).abs() < 1e-8, "p = {p}, row {i}: {lhs} vs {rhs}");
            }
        }
    }

    /// Gauss–Jordan inverse of a small symmetric positive definite matrix.
    fn inverse(m: &ndarray::Array2<f64>) -> ndarray::Array2<f64> {
        let d = m.nrows();
        let mut aug = ndarray::concatenate![Axis(1), m.view(), ndarray::Array2::<f64>::eye(d).view()];
        for c in 0..d {
            let piv = aug[[c, c]];
            aug.row_mut(c).mapv_inplace(|v| v / piv);
            for r in 0..d {
                if r != c {
                    let f = aug[[r, c]];
                    let pivot_row = aug.row(c).to_owned();
                    aug.row_mut(r).scaled_add(-f, &pivot_row);
                }
            }
        }
        aug.slice(ndarray::s![.., d..]).to_owned()
    }

    #[test]
    fn bad_input() {
        let a = array![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        assert!(matches!(lewis_weights(a.view(), 0.5), Err(Error::Param { name: "p", .. })));
        assert!(matches!(lewis_weights(a.view(), f64::NAN), Err(Error::Param { name: "p", .. })));
        assert!(matches!(lewis_weights(array![[f64::NAN]].view(), 1.0), Err(Error::Data(_))));
    }
}
