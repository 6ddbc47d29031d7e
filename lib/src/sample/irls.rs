//! ℓp regression `min_x Σᵢ sᵢ·|aᵢᵀx − bᵢ|^p` by iteratively reweighted least
//! squares, with optional row weights `sᵢ` (the rescaling of a sensitivity
//! sample).
//!
//! Each step solves the weighted least-squares problem with weights
//! `sᵢ·max(|rᵢ|, ε)^{p−2}` (Lawson's iteration; ε = 10⁻⁹·max|r| keeps p < 2
//! finite at zero residuals) and moves towards its solution with a
//! backtracking line search on the objective, so the objective never increases
//! — plain IRLS can oscillate for p > 2. It starts from the least-squares fit
//! and stops when the objective improves by less than 10⁻¹² relatively.
//!
//! Paper: C. L. Lawson, "Contributions to the theory of linear least maximum
//! approximation", PhD thesis, UCLA 1961; for the line search see e.g. Adil,
//! Peng & Sachdeva, "Fast, provably convergent IRLS algorithm for p-norm linear
//! regression", NeurIPS 2019.
//!
//! Cost: `O(n·d²)` per iteration, tens of iterations; `O(n·d)` memory.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let (a, b) = heavy_row_regression(500, 3, 2, 1)?;
//! let fit = lp_regression(a.view(), b.view(), 1.0, None)?;
//! assert_eq!(fit.x.len(), 3);
//! assert!(fit.objective <= lp_objective(a.view(), b.view(), &fit.x, 1.0, None) + 1e-9);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::{check_matrix, check_p};
use crate::error::{check_finite, Error, Result};
use crate::linalg::least_squares;

const MAX_ITER: usize = 200;
const REL_TOL: f64 = 1e-12;

/// The solution of an ℓp regression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LpFit {
    /// The coefficients.
    pub x: Array1<f64>,
    /// `Σ sᵢ|aᵢᵀx − bᵢ|^p` at `x`.
    pub objective: f64,
    /// IRLS steps taken.
    pub iterations: usize,
}

/// `Σ sᵢ|aᵢᵀx − bᵢ|^p` (`sᵢ` = 1 without weights).
pub fn lp_objective(a: ArrayView2<f64>, b: ArrayView1<f64>, x: &Array1<f64>, p: f64, weights: Option<ArrayView1<f64>>) -> f64 {
    let r = a.dot(x) - b;
    match weights {
        Some(s) => r.iter().zip(s.iter()).map(|(ri, si)| si * ri.abs().powf(p)).sum(),
        None => r.iter().map(|ri| ri.abs().powf(p)).sum(),
    }
}

/// Minimises `Σ sᵢ|aᵢᵀx − bᵢ|^p` over `x` (`p` ≥ 1; `weights` ≥ 0, one per row).
/// Fails when the (weighted) rows do not have full column rank.
pub fn lp_regression(a: ArrayView2<f64>, b: ArrayView1<f64>, p: f64, weights: Option<ArrayView1<f64>>) -> Result<LpFit> {
    const WHO: &str = "lp_regression";
    check_inputs(WHO, a, b, weights)?;
    check_p(WHO, p)?;
    let s = weights.map_or_else(|| Array1::ones(a.nrows()), |w| w.to_owned());
    let mut x = solve_weighted(a, b, &s)?;
    let mut objective = lp_objective(a, b, &x, p, Some(s.view()));
    if p == 2.0 {
        return Ok(LpFit { x, objective, iterations: 0 });
    }
    for it in 1..=MAX_ITER {
        let r = a.dot(&x) - b;
        let eps = 1e-9 * r.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
        let irls_w = ndarray::Zip::from(&r).and(&s).map_collect(|ri, si| si * ri.abs().max(eps).powf(p - 2.0));
        let target = match solve_weighted(a, b, &irls_w) {
            Ok(t) => t,
            Err(_) => return Ok(LpFit { x, objective, iterations: it - 1 }),
        };
        let (next, value) = line_search(a, b, p, &s, &x, &target, objective);
        let improvement = objective - value;
        if improvement <= 0.0 {
            return Ok(LpFit { x, objective, iterations: it });
        }
        x = next;
        objective = value;
        if improvement <= REL_TOL * objective.max(f64::MIN_POSITIVE) {
            return Ok(LpFit { x, objective, iterations: it });
        }
    }
    Ok(LpFit { x, objective, iterations: MAX_ITER })
}

/// Weighted least squares: minimises `Σ wᵢ(aᵢᵀx − bᵢ)²` (`wᵢ` ≥ 0).
pub fn weighted_least_squares(a: ArrayView2<f64>, b: ArrayView1<f64>, weights: ArrayView1<f64>) -> Result<Array1<f64>> {
    check_inputs("weighted_least_squares", a, b, Some(weights))?;
    solve_weighted(a, b, &weights.to_owned())
}

/// Halves the step from `x` towards `target` until the objective decreases.
fn line_search(
    a: ArrayView2<f64>,
    b: ArrayView1<f64>,
    p: f64,
    s: &Array1<f64>,
    x: &Array1<f64>,
    target: &Array1<f64>,
    current: f64,
) -> (Array1<f64>, f64) {
    let mut t = 1.0;
    for _ in 0..40 {
        let cand = x + &((target - x) * t);
        let value = lp_objective(a, b, &cand, p, Some(s.view()));
        if value < current {
            return (cand, value);
        }
        t *= 0.5;
    }
    (x.clone(), current)
}

fn solve_weighted(a: ArrayView2<f64>, b: ArrayView1<f64>, w: &Array1<f64>) -> Result<Array1<f64>> {
    let root = w.mapv(f64::sqrt);
    let aw = &a * &root.view().insert_axis(Axis(1));
    let bw = &b * &root;
    least_squares(aw.view(), bw.as_slice().unwrap_or(&bw.to_vec())).ok_or_else(|| {
        Error::data(format!(
            "the weighted rows of a ({} × {}) do not have full column rank; sample more rows or check for constant columns",
            a.nrows(),
            a.ncols()
        ))
    })
}

fn check_inputs(who: &str, a: ArrayView2<f64>, b: ArrayView1<f64>, weights: Option<ArrayView1<f64>>) -> Result<()> {
    check_matrix(who, a)?;
    if b.len() != a.nrows() {
        return Err(Error::param("b", format!("of {who} must have n = {} entries like the rows of a; got {}", a.nrows(), b.len())));
    }
    check_finite(&format!("b of {who}"), &b)?;
    if let Some(w) = weights {
        if w.len() != a.nrows() {
            return Err(Error::param("weights", format!("of {who} must have n = {} entries; got {}", a.nrows(), w.len())));
        }
        if let Some(v) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(Error::param("weights", format!("of {who} must be finite and ≥ 0; got {v}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn l1_fit_is_the_median() {
        // min Σ|x − bᵢ| over a constant: the median.
        let a = Array1::ones(5).insert_axis(Axis(1));
        let b = array![1.0, 2.0, 7.0, 100.0, 3.0];
        let fit = lp_regression(a.view(), b.view(), 1.0, None).unwrap();
        assert!((fit.x[0] - 3.0).abs() < 1e-5, "{}", fit.x[0]);
        // p = 2: the mean; large p approaches the midrange (50.5).
        let fit = lp_regression(a.view(), b.view(), 2.0, None).unwrap();
        assert!((fit.x[0] - 22.6).abs() < 1e-10);
        let fit = lp_regression(a.view(), b.view(), 20.0, None).unwrap();
        assert!((fit.x[0] - 50.5).abs() < 3.0, "{}", fit.x[0]);
    }

    #[test]
    fn weights_count_rows() {
        let a = Array1::ones(3).insert_axis(Axis(1));
        let b = array![0.0, 1.0, 10.0];
        // Weight 3 on the middle row makes it the weighted median.
        let fit = lp_regression(a.view(), b.view(), 1.0, Some(array![1.0, 3.0, 1.0].view())).unwrap();
        assert!((fit.x[0] - 1.0).abs() < 1e-5);
        let x = weighted_least_squares(a.view(), b.view(), array![1.0, 0.0, 1.0].view()).unwrap();
        assert!((x[0] - 5.0).abs() < 1e-12);
    }

    #[test]
    fn bad_input() {
        let a = array![[1.0], [2.0]];
        let b = array![1.0, 2.0];
        assert!(matches!(lp_regression(a.view(), array![1.0].view(), 1.0, None), Err(Error::Param { name: "b", .. })));
        assert!(matches!(lp_regression(a.view(), b.view(), 0.0, None), Err(Error::Param { name: "p", .. })));
        assert!(matches!(lp_regression(a.view(), b.view(), 1.0, Some(array![1.0].view())), Err(Error::Param { name: "weights", .. })));
        assert!(matches!(
            lp_regression(a.view(), b.view(), 1.0, Some(array![1.0, -1.0].view())),
            Err(Error::Param { name: "weights", .. })
        ));
        assert!(matches!(lp_regression(a.view(), array![1.0, f64::NAN].view(), 1.0, None), Err(Error::Data(_))));
        let rank1 = array![[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]];
        assert!(matches!(lp_regression(rank1.view(), array![1.0, 2.0, 3.0].view(), 1.0, None), Err(Error::Data(_))));
    }
}
