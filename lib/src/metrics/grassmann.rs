//! Distances between linear subspaces: principal angles, geodesic / chordal /
//! projection distances on the Grassmannian, the projector error
//! `‖UUᵀ − U*U*ᵀ‖_F`, and a matching of estimated subspaces to true ones.
//!
//! A subspace is given by a basis: an `n × d` matrix whose columns span it (any
//! basis — it is orthonormalised first by Gram–Schmidt QR, so rotating or
//! rescaling the columns changes nothing). For bases `Q₁` (`n × p`) and `Q₂`
//! (`n × q`) with `p ≤ q`, the principal angles `0 ≤ θ₁ ≤ … ≤ θ_p ≤ π/2` have
//! cosines the singular values of `Q₁ᵀQ₂` and sines the singular values of
//! `(I − Q₂Q₂ᵀ)Q₁`. Both are computed (as square roots of eigenvalues of small
//! `p × p` symmetric matrices) and combined by `θ = atan2(sin, cos)`, so that
//! small angles keep full relative accuracy (the cosine alone loses half the
//! digits near 0) — the approach of Knyazev & Argentati (SIAM J. Sci. Comput.
//! 23(6), 2002).
//!
//! Distances, in the conventions of Ye & Lim ("Schubert varieties and distances
//! between subspaces of different dimensions", SIAM J. Matrix Anal. Appl. 37(3),
//! 2016) and Edelman, Arias & Smith (SIAM J. Matrix Anal. Appl. 20(2), 1998):
//!
//! | function | value |
//! |---|---|
//! | [`geodesic_distance`] (arc length) | `‖θ‖₂ = (Σ θᵢ²)^½` |
//! | [`chordal_distance`] | `‖sin θ‖₂ = (Σ sin² θᵢ)^½` |
//! | [`projection_distance`] | `sin θ_max` |
//! | [`subspace_recovery_error`] | `‖Q₁Q₁ᵀ − Q₂Q₂ᵀ‖_F = (|q − p| + 2 Σ sin² θᵢ)^½` |
//!
//! For equal dimensions the recovery error is `√2 ×` the chordal distance.
//! Every function is symmetric in its two arguments.
//!
//! **Cost.** `O(n·(p + q)²)` for the QR and products, `O(p³)` for the small
//! eigenproblems; `O(n·(p + q))` memory.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let a = array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]; // the xy-plane
//! let b = array![[1.0], [0.0], [1.0]];                  // a line at 45° to it
//! let theta = principal_angles(a.view(), b.view())?;
//! assert_eq!(theta.len(), 1);
//! assert!((theta[0] - std::f64::consts::FRAC_PI_4).abs() < 1e-15);
//! let c = array![[0.0], [0.0], [1.0]];
//! assert!((principal_angles(a.view(), c.view())?[0] - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{ArrayBase, ArrayView2, Data, Ix2};

use super::hungarian::hungarian;
use crate::error::{check_finite, Error, Result};
use crate::linalg::{orthonormal_columns, symmetric_eigenvalues};

/// Principal angles between the column spans of `a` (`n × p`) and `b`
/// (`n × q`), ascending, `min(p, q)` of them, in `[0, π/2]`.
///
/// Both need the same number of rows `n ≥ 1`, at least one column, finite
/// entries and full column rank.
pub fn principal_angles(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<Vec<f64>> {
    Ok(angles_with_dims(a, b)?.0)
}

/// Arc length on the Grassmannian, `(Σ θᵢ²)^½`.
pub fn geodesic_distance(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<f64> {
    Ok(principal_angles(a, b)?.iter().map(|t| t * t).sum::<f64>().sqrt())
}

/// Chordal distance, `(Σ sin² θᵢ)^½`.
pub fn chordal_distance(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<f64> {
    Ok(principal_angles(a, b)?.iter().map(|t| t.sin().powi(2)).sum::<f64>().sqrt())
}

/// Projection (spectral-norm) distance, the sine of the largest principal angle.
pub fn projection_distance(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<f64> {
    Ok(principal_angles(a, b)?.last().map_or(0.0, |t| t.sin()))
}

/// Frobenius distance between the orthogonal projectors, `‖UUᵀ − U*U*ᵀ‖_F`:
/// 0 for the same subspace, `√(p + q)` for orthogonal ones.
pub fn subspace_recovery_error(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<f64> {
    let (angles, p, q) = angles_with_dims(a, b)?;
    let sines: f64 = angles.iter().map(|t| t.sin().powi(2)).sum();
    Ok((p.abs_diff(q) as f64 + 2.0 * sines).sqrt())
}

/// The best pairing of true subspaces with estimated ones, from [`match_subspaces`].
#[derive(Clone, Debug, PartialEq)]
pub struct SubspaceMatch {
    /// `assignment[k]`: the estimated subspace paired with true subspace `k`.
    pub assignment: Vec<usize>,
    /// `errors[k]`: the [`subspace_recovery_error`] of that pair.
    pub errors: Vec<f64>,
    /// Mean of `errors`.
    pub mean_error: f64,
    /// Largest of `errors`.
    pub max_error: f64,
}

/// Pairs each of the `truth` subspaces with a distinct `estimated` one so that
/// the summed [`subspace_recovery_error`] is smallest (Hungarian algorithm), and
/// reports the errors of the pairs. Needs `1 ≤ truth.len() ≤ estimated.len()`
/// and bases with the same number of rows. Accepts owned arrays or views
/// (`&fitted.bases()`, `&molrg.bases`).
///
/// ```
/// use lowdim::prelude::*;
/// let m = molrg(10, &[2, 3], 50, 1)?;
/// let shuffled = vec![m.bases[1].clone(), m.bases[0].clone()];
/// let pairs = match_subspaces(&shuffled, &m.bases)?;
/// assert_eq!(pairs.assignment, vec![1, 0]);
/// assert!(pairs.max_error < 1e-12);
/// # Ok::<(), lowdim::Error>(())
/// ```
pub fn match_subspaces<S, T>(estimated: &[ArrayBase<S, Ix2>], truth: &[ArrayBase<T, Ix2>]) -> Result<SubspaceMatch>
where
    S: Data<Elem = f64>,
    T: Data<Elem = f64>,
{
    if truth.is_empty() || truth.len() > estimated.len() {
        return Err(Error::param(
            "truth",
            format!("of match_subspaces must hold between 1 and estimated.len() = {} subspaces; got {}", estimated.len(), truth.len()),
        ));
    }
    let mut cost = ndarray::Array2::<f64>::zeros((truth.len(), estimated.len()));
    for (k, t) in truth.iter().enumerate() {
        for (j, e) in estimated.iter().enumerate() {
            cost[[k, j]] = subspace_recovery_error(e.view(), t.view())?;
        }
    }
    let assignment = hungarian(cost.view())?;
    let errors: Vec<f64> = assignment.iter().enumerate().map(|(k, &j)| cost[[k, j]]).collect();
    let mean_error = errors.iter().sum::<f64>() / errors.len() as f64;
    let max_error = errors.iter().copied().fold(0.0, f64::max);
    Ok(SubspaceMatch { assignment, errors, mean_error, max_error })
}

/// Angles plus the two dimensions `(p, q)`.
fn angles_with_dims(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Result<(Vec<f64>, usize, usize)> {
    let qa = orthonormal_basis("a", a)?;
    let qb = orthonormal_basis("b", b)?;
    if qa.nrows() != qb.nrows() {
        return Err(Error::data(format!(
            "the bases of principal_angles must have the same number of rows (ambient dimension); got {} and {}",
            qa.nrows(),
            qb.nrows()
        )));
    }
    let (p, q) = (qa.ncols(), qb.ncols());
    // Angles are symmetric: work with the smaller basis first.
    let (small, large) = if p <= q { (&qa, &qb) } else { (&qb, &qa) };
    let m = small.t().dot(large); // p × q: singular values are the cosines
    let cos2 = symmetric_eigenvalues(m.dot(&m.t())); // descending
    let r = small - &large.dot(&m.t()); // (I − P_large)·Q_small: singular values are the sines
    let mut sin2 = symmetric_eigenvalues(r.t().dot(&r));
    sin2.reverse(); // ascending, paired with descending cosines
    let angles = cos2.iter().zip(&sin2).map(|(c, s)| s.max(0.0).sqrt().atan2(c.max(0.0).sqrt())).collect();
    Ok((angles, p, q))
}

fn orthonormal_basis(name: &str, a: ArrayView2<f64>) -> Result<ndarray::Array2<f64>> {
    let (n, d) = a.dim();
    if n == 0 || d == 0 {
        return Err(Error::data(format!("basis `{name}` of principal_angles must be a non-empty n × d matrix; got {n} × {d}")));
    }
    check_finite(&format!("basis `{name}` of principal_angles"), &a)?;
    let q = orthonormal_columns(a);
    if q.ncols() < d {
        return Err(Error::data(format!(
            "basis `{name}` of principal_angles has rank {} < {d} columns; pass linearly independent columns",
            q.ncols()
        )));
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::molrg;
    use ndarray::{array, Array2};
    use std::f64::consts::FRAC_PI_2;

    /// A rotation in the plane of columns (0, 1), and a rescaling: same span.
    fn mixed(u: &Array2<f64>, angle: f64) -> Array2<f64> {
        let d = u.ncols();
        let mut r = Array2::<f64>::eye(d);
        r[[0, 0]] = angle.cos();
        r[[0, 1]] = -angle.sin();
        r[[1, 0]] = angle.sin();
        r[[1, 1]] = angle.cos();
        let mut b = u.dot(&r);
        b.column_mut(0).mapv_inplace(|v| 3.0 * v);
        b
    }

    #[test]
    fn same_subspace_under_a_change_of_basis_is_at_distance_zero() {
        let m = molrg(12, &[3], 1, 4).unwrap();
        let u = &m.bases[0];
        let v = mixed(u, 0.7);
        for d in [
            geodesic_distance(u.view(), v.view()).unwrap(),
            chordal_distance(u.view(), v.view()).unwrap(),
            projection_distance(u.view(), v.view()).unwrap(),
            subspace_recovery_error(u.view(), v.view()).unwrap(),
        ] {
            assert!(d.abs() < 1e-13, "{d}");
        }
    }

    #[test]
    fn orthogonal_subspaces_have_right_angles() {
        let m = crate::data::MolrgParams::new(10, &[2, 3]).orthogonal(true).sample(1, 2).unwrap();
        let (a, b) = (&m.bases[0], &m.bases[1]);
        let theta = principal_angles(a.view(), b.view()).unwrap();
        assert_eq!(theta.len(), 2);
        assert!(theta.iter().all(|t| (t - FRAC_PI_2).abs() < 1e-12), "{theta:?}");
        assert!((subspace_recovery_error(a.view(), b.view()).unwrap() - 5f64.sqrt()).abs() < 1e-12);
        assert!((projection_distance(a.view(), b.view()).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn symmetric_and_consistent() {
        let m = molrg(9, &[2, 4], 1, 7).unwrap();
        let (a, b) = (m.bases[0].view(), m.bases[1].view());
        type Distance = fn(ArrayView2<f64>, ArrayView2<f64>) -> Result<f64>;
        let fns: [Distance; 4] = [geodesic_distance, chordal_distance, projection_distance, subspace_recovery_error];
        for f in fns {
            assert!((f(a, b).unwrap() - f(b, a).unwrap()).abs() < 1e-13);
        }
        // Projector error from the matrices themselves.
        let pa = a.dot(&a.t());
        let pb = b.dot(&b.t());
        let direct = (&pa - &pb).iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((subspace_recovery_error(a, b).unwrap() - direct).abs() < 1e-12);
        // Cosines are the singular values of AᵀB: their squares sum to ‖AᵀB‖²_F.
        let theta = principal_angles(a, b).unwrap();
        let cos2: f64 = theta.iter().map(|t| t.cos().powi(2)).sum();
        let frob = a.t().dot(&b).iter().map(|v| v * v).sum::<f64>();
        assert!((cos2 - frob).abs() < 1e-12);
    }

    #[test]
    fn small_angles_keep_their_accuracy() {
        let eps: f64 = 1e-9;
        let a = array![[1.0], [0.0]];
        let b = array![[eps.cos()], [eps.sin()]];
        let t = principal_angles(a.view(), b.view()).unwrap()[0];
        assert!((t - eps).abs() < 1e-20, "{t}");
    }

    #[test]
    fn bad_bases_are_data_errors() {
        let a = array![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
        let short = array![[1.0], [0.0]];
        assert!(matches!(principal_angles(a.view(), short.view()), Err(Error::Data(_))));
        let nan = array![[f64::NAN], [0.0], [1.0]];
        assert!(matches!(principal_angles(a.view(), nan.view()), Err(Error::Data(_))));
        let dependent = array![[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]];
        assert!(matches!(principal_angles(a.view(), dependent.view()), Err(Error::Data(_))));
        let empty = Array2::<f64>::zeros((3, 0));
        assert!(matches!(principal_angles(a.view(), empty.view()), Err(Error::Data(_))));
    }

    #[test]
    fn matching_needs_enough_estimates() {
        let m = molrg(6, &[1, 1], 1, 3).unwrap();
        let e = match_subspaces(&m.bases[..1], &m.bases).unwrap_err();
        assert!(matches!(e, Error::Param { name: "truth", .. }), "{e}");
        let none: Vec<Array2<f64>> = Vec::new();
        assert!(matches!(match_subspaces(&m.bases, &none), Err(Error::Param { name: "truth", .. })));
    }
}
