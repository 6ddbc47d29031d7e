//! Sampling for weighted least squares: iid Christoffel sampling, projection
//! DPPs (volume sampling of exactly `m = rank` points) and volume-rescaled
//! sampling (a projection DPP plus iid Christoffel draws), with the optimal
//! weights `w = m / k_m`.
//!
//! The candidates are the `N` rows of a feature matrix `Φ` (`N × m`: `m` basis
//! functions at `N` points), with the uniform measure on the rows. With `Q` an
//! orthonormal basis of the columns of `Φ` (in the Euclidean product; `√N·Q` is
//! orthonormal for the uniform measure), the inverse Christoffel function is
//! `k_m(xᵢ) = N·τᵢ`, `τᵢ = ‖Qᵢ‖²` the leverage score. Christoffel sampling
//! draws row `i` with probability `τᵢ/m`; the weighted least-squares estimate
//! minimises `Σ_s w(x_s)(f(x_s) − v(x_s))²` with `w(xᵢ) = m/(N·τᵢ)`
//! (Cohen–Migliorati). The projection DPP with kernel `QQᵀ` draws `m` distinct
//! rows by the chain rule (Hough–Krishnapur–Peres–Virág): row `j` with
//! probability `‖P⊥Qⱼ‖²/(m − t)`, then a Gram–Schmidt update, as DPPy's
//! `proj_dpp_sampler_eig_GS`. Volume-rescaled sampling of `n ≥ m` points is a
//! projection DPP of size `m` joined by `n − m` iid Christoffel draws
//! (Dereziński & Warmuth), which Nouy & Michel show is quasi-optimal in
//! expectation with `n = O(m log m)`.
//!
//! Papers: A. Nouy & B. Michel, "Weighted least-squares approximation with
//! determinantal point processes and generalized volume sampling", arXiv
//! 2312.14057, 2023; A. Cohen & G. Migliorati, "Optimal weighted least-squares
//! methods", SMAI J. Comput. Math. 2017; M. Dereziński & M. K. Warmuth,
//! "Unbiased estimates for linear regression via volume sampling", NeurIPS 2017.
//!
//! Cost: `O(N·m²)` for the orthonormal basis and for one DPP draw; `O(N + n)`
//! for iid draws (a cumulative table and binary search).
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = Array1::linspace(-1.0, 1.0, 2001);
//! let phi = legendre_features(x.view(), 10)?;
//! let s = VolumeSampling::params().n(20).method(VolumeMethod::VolumeRescaled).seed(1).fit_records(phi.view())?;
//! assert_eq!(s.len(), 20);
//! let f = x.mapv(|t| 1.0 / (1.0 + 25.0 * t * t));
//! let coef = weighted_least_squares(s.rows(phi.view()).view(), s.entries(f.view()).view(), s.weights().view())?;
//! assert_eq!(coef.len(), 10);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::row_sample::RowSample;
use super::{check_matrix, stream};
use crate::error::{check_finite, Error, Result};
use crate::estimator::required;
use crate::estimator::{impl_fit, params};
use crate::linalg::whitening_map;
use crate::rng::{derive, xoshiro};

/// How [`VolumeSampling`] draws its points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VolumeMethod {
    /// `n` iid draws from the Christoffel density `τᵢ/m`.
    Iid,
    /// One projection DPP (exactly `m = rank(Φ)` distinct points; `n` must equal `m`).
    ProjectionDpp,
    /// A projection DPP plus `n − m` iid Christoffel draws (`n ≥ m`).
    VolumeRescaled,
    /// Independent projection DPPs until `n` points (`n` a multiple of `m`).
    RepeatedDpp,
}

/// Legendre polynomials `√(2j+1)·P_j(x)`, `j < m`, at the points `x` ∈
/// [−1, 1]: orthonormal for the uniform probability measure on [−1, 1].
/// `m` ≥ 1.
pub fn legendre_features(x: ArrayView1<f64>, m: usize) -> Result<Array2<f64>> {
    if m == 0 {
        return Err(Error::param("m", "of legendre_features must be ≥ 1; got 0"));
    }
    check_finite("x of legendre_features", &x)?;
    if let Some(v) = x.iter().find(|v| v.abs() > 1.0) {
        return Err(Error::param("x", format!("of legendre_features must lie in [−1, 1]; got {v}")));
    }
    let mut phi = Array2::<f64>::zeros((x.len(), m));
    for (i, &t) in x.iter().enumerate() {
        // Bonnet's recursion: (j+1)P_{j+1} = (2j+1)tP_j − jP_{j−1}.
        let (mut prev, mut cur) = (0.0, 1.0);
        for j in 0..m {
            phi[[i, j]] = cur * ((2 * j + 1) as f64).sqrt();
            let next = ((2 * j + 1) as f64 * t * cur - j as f64 * prev) / (j + 1) as f64;
            prev = cur;
            cur = next;
        }
    }
    Ok(phi)
}

/// Sampling for weighted least squares; start from [`VolumeSampling::params`].
pub struct VolumeSampling;

params! {
    /// Checked parameters of [`VolumeSampling`]; see [`VolumeSampling::params`].
    VolumeSampling("VolumeSampling") => VolumeSamplingParams, VolumeSamplingValidParams {
        /// Points to draw, required (what each method allows of it depends on
        /// rank(phi), checked at fit).
        n: Option<usize> = None => 1..; from usize,
        /// How the points are drawn.
        method: VolumeMethod = VolumeMethod::VolumeRescaled,
        seed: u64 = 0,
    }
    check(p) {
        required("VolumeSampling", "n", p.n)?;
    }
}

impl VolumeSamplingValidParams {
    /// Draws `n` points from the rows of `phi` (`N × m` features).
    fn fit_impl(&self, phi: ArrayView2<f64>) -> Result<RowSample> {
        let n = required("VolumeSampling", "n", self.n)?;
        check_matrix("VolumeSampling", phi)?;
        let big_n = phi.nrows();
        let q = phi.dot(&whitening_map(phi));
        let m = q.ncols();
        if m == 0 {
            return Err(Error::data("the features phi are all zero; no basis to sample for"));
        }
        let tau = q.map_axis(Axis(1), |r| r.dot(&r));
        let bad = |rule: String| Err(Error::param("n", format!("of VolumeSampling with {:?} {rule}; got {n}", self.method)));
        let indices = match self.method {
            VolumeMethod::Iid => iid(&tau, n, derive(self.seed, stream::DPP, 0)),
            VolumeMethod::ProjectionDpp if n != m => return bad(format!("must equal rank(phi) = {m}")),
            VolumeMethod::ProjectionDpp => projection_dpp(&q, &tau, derive(self.seed, stream::DPP, 1)),
            VolumeMethod::VolumeRescaled if n < m => return bad(format!("must be ≥ rank(phi) = {m}")),
            VolumeMethod::VolumeRescaled => {
                let mut idx = projection_dpp(&q, &tau, derive(self.seed, stream::DPP, 1));
                idx.extend(iid(&tau, n - m, derive(self.seed, stream::DPP, 0)));
                idx
            }
            VolumeMethod::RepeatedDpp if n % m != 0 => return bad(format!("must be a multiple of rank(phi) = {m}")),
            VolumeMethod::RepeatedDpp => {
                (0..n / m).flat_map(|r| projection_dpp(&q, &tau, derive(self.seed, stream::DPP, 2 + r as u64))).collect()
            }
        };
        let weights = indices.iter().map(|&i| if tau[i] > 0.0 { m as f64 / (big_n as f64 * tau[i]) } else { 0.0 }).collect();
        let density = tau.mapv(|t| t / m as f64);
        Ok(RowSample::new(format!("{:?} sampling, n = {n}, m = {m}", self.method), indices, weights, density))
    }
}

impl_fit!(VolumeSamplingParams, VolumeSamplingValidParams => RowSample);

/// `n` iid draws of row `i` with probability `τᵢ / Στ`.
fn iid(tau: &Array1<f64>, n: usize, seed: u64) -> Vec<usize> {
    let mut cum = Vec::with_capacity(tau.len());
    let mut acc = 0.0;
    for &t in tau {
        acc += t.max(0.0);
        cum.push(acc);
    }
    let mut rng = xoshiro(seed);
    (0..n)
        .map(|_| {
            let u = rng.gen::<f64>() * acc;
            cum.partition_point(|&c| c <= u).min(tau.len() - 1)
        })
        .collect()
}

/// One draw of the projection DPP with kernel `QQᵀ` (`Q` orthonormal
/// columns), by the chain rule with Gram–Schmidt updates.
fn projection_dpp(q: &Array2<f64>, tau: &Array1<f64>, seed: u64) -> Vec<usize> {
    let (big_n, m) = q.dim();
    let mut rng = xoshiro(seed);
    let mut norms = tau.clone();
    let mut c = Array2::<f64>::zeros((big_n, m));
    let mut picked = Vec::with_capacity(m);
    for t in 0..m {
        let total: f64 = norms.iter().map(|v| v.max(0.0)).sum();
        let mut u = rng.gen::<f64>() * total;
        let mut j = big_n - 1;
        for (i, v) in norms.iter().enumerate() {
            u -= v.max(0.0);
            if u < 0.0 {
                j = i;
                break;
            }
        }
        // cₜ = (Q·Qⱼ − Σ_{s<t} c_s c_s[j]) / √‖P⊥Qⱼ‖²: the new conditional kernel column.
        let scale = norms[j].max(f64::MIN_POSITIVE).sqrt();
        let mut col = q.dot(&q.row(j));
        for s in 0..t {
            let cj = c[[j, s]];
            col.scaled_add(-cj, &c.column(s));
        }
        col /= scale;
        norms.zip_mut_with(&col, |nv, cv| *nv -= cv * cv);
        norms[j] = 0.0;
        c.column_mut(t).assign(&col);
        picked.push(j);
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::weighted_least_squares;

    fn grid(n: usize) -> Array1<f64> {
        Array1::linspace(-1.0, 1.0, n)
    }

    #[test]
    fn legendre_is_orthonormal() {
        // Gauss–Legendre would be exact; a fine midpoint grid is close enough.
        let n = 20000;
        let x = Array1::from_shape_fn(n, |i| -1.0 + (2.0 * i as f64 + 1.0) / n as f64);
        let phi = legendre_features(x.view(), 6).unwrap();
        let g = phi.t().dot(&phi) / n as f64;
        let err = (&g - &Array2::<f64>::eye(6)).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-4, "{err}");
    }

    #[test]
    fn dpp_draws_distinct_points_with_the_right_marginals() {
        let phi = legendre_features(grid(41).view(), 4).unwrap();
        let q = phi.dot(&whitening_map(phi.view()));
        let tau = q.map_axis(Axis(1), |r| r.dot(&r));
        let reps = 4000;
        let mut counts = vec![0usize; 41];
        for r in 0..reps {
            let s = projection_dpp(&q, &tau, r as u64);
            let mut u = s.clone();
            u.sort_unstable();
            u.dedup();
            assert_eq!(u.len(), 4);
            for i in s {
                counts[i] += 1;
            }
        }
        // The DPP's marginal P(i ∈ S) is the leverage τᵢ.
        for (i, &c) in counts.iter().enumerate() {
            let freq = c as f64 / reps as f64;
            assert!((freq - tau[i]).abs() < 4.0 * (tau[i] / reps as f64).sqrt() + 0.01, "row {i}: {freq} vs {}", tau[i]);
        }
    }

    #[test]
    fn weighted_fit_of_a_polynomial_is_exact() {
        let x = grid(501);
        let phi = legendre_features(x.view(), 5).unwrap();
        let f = x.mapv(|t| 1.0 - 2.0 * t + t.powi(4));
        for method in [VolumeMethod::ProjectionDpp, VolumeMethod::VolumeRescaled, VolumeMethod::RepeatedDpp] {
            let n = if method == VolumeMethod::ProjectionDpp { 5 } else { 10 };
            let s = VolumeSampling::params().n(n).method(method).seed(3).fit_records(phi.view()).unwrap();
            assert_eq!(s.len(), n);
            let coef = weighted_least_squares(s.rows(phi.view()).view(), s.entries(f.view()).view(), s.weights().view()).unwrap();
            let err = (phi.dot(&coef) - &f).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(err < 1e-9, "{method:?}: {err}");
        }
    }

    #[test]
    fn bad_input() {
        let phi = legendre_features(grid(50).view(), 4).unwrap();
        assert!(matches!(VolumeSampling::params().fit_records(phi.view()), Err(Error::Param { name: "n", .. })));
        assert!(matches!(VolumeSampling::params().n(0).fit_records(phi.view()), Err(Error::Param { name: "n", .. })));
        let dpp = |n| VolumeSampling::params().n(n).method(VolumeMethod::ProjectionDpp).fit_records(phi.view());
        assert!(matches!(dpp(5), Err(Error::Param { name: "n", .. })));
        let vr = VolumeSampling::params().n(3).method(VolumeMethod::VolumeRescaled).fit_records(phi.view());
        assert!(matches!(vr, Err(Error::Param { name: "n", .. })));
        let rep = VolumeSampling::params().n(6).method(VolumeMethod::RepeatedDpp).fit_records(phi.view());
        assert!(matches!(rep, Err(Error::Param { name: "n", .. })));
        assert!(matches!(legendre_features(grid(5).view(), 0), Err(Error::Param { name: "m", .. })));
        assert!(matches!(legendre_features(Array1::from(vec![2.0]).view(), 2), Err(Error::Param { name: "x", .. })));
        let zeros = Array2::<f64>::zeros((5, 2));
        assert!(matches!(VolumeSampling::params().n(2).fit_records(zeros.view()), Err(Error::Data(_))));
    }
}
