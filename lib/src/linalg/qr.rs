//! Tall-skinny QR and a small SVD: the dense least-squares kernels behind
//! leverage scores, Lewis weights and the ℓp regression solver.
//!
//! [`tall_r`] computes the `R` factor of a thin QR of an `n × d` matrix by
//! TSQR (Demmel et al., "Communication-optimal parallel and sequential QR and
//! LU factorizations", SIAM J. Sci. Comput. 2012): Householder QR on fixed
//! blocks of rows in parallel, then on the stacked `R` factors, combined in a
//! fixed order so the result does not depend on the thread count.
//! [`jacobi_svd`] is a one-sided (Hestenes) Jacobi SVD of a small square matrix,
//! accurate for small singular values, which the rank decisions need.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

/// Rows per TSQR block: large enough that a block's Householder work dominates
/// the stacking, small enough that blocks spread over the threads.
const BLOCK_ROWS: usize = 2048;

/// The `min(n, d) × d` upper-triangular `R` of a thin QR of `a` (rows of
/// `R` may have either sign).
pub(crate) fn tall_r(a: ArrayView2<f64>) -> Array2<f64> {
    let (n, d) = a.dim();
    let block = BLOCK_ROWS.max(2 * d);
    if n <= block {
        return householder_r(a.to_owned());
    }
    let starts: Vec<usize> = (0..n).step_by(block).collect();
    let rs: Vec<Array2<f64>> = starts.par_iter().map(|&s0| householder_r(a.slice(s![s0..(s0 + block).min(n), ..]).to_owned())).collect();
    let views: Vec<ArrayView2<f64>> = rs.iter().map(|r| r.view()).collect();
    let stacked = ndarray::concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((0, d)));
    tall_r(stacked.view())
}

/// Householder QR of `m` in place; returns the leading `min(n, d)` rows of the
/// reduced matrix (upper triangular). Works on the transpose so that every
/// column is a contiguous slice.
fn householder_r(m: Array2<f64>) -> Array2<f64> {
    let (n, d) = m.dim();
    let k = n.min(d);
    // cols[j] is column j, contiguous.
    let mut cols: Vec<Vec<f64>> = (0..d).map(|j| m.column(j).to_vec()).collect();
    for j in 0..k {
        let (head, tail) = cols.split_at_mut(j + 1);
        let v = &mut head[j][j..];
        let norm = dot(v, v).sqrt();
        if norm == 0.0 {
            continue;
        }
        // v = x + sign(x₀)‖x‖e₀ avoids cancellation; H = I − 2vvᵀ/vᵀv.
        let alpha = if v[0] >= 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vtv = dot(v, v);
        for c in tail.iter_mut() {
            let c = &mut c[j..];
            let f = 2.0 * dot(v, c) / vtv;
            for (ci, vi) in c.iter_mut().zip(v.iter()) {
                *ci -= f * vi;
            }
        }
        v[0] = alpha;
        for x in v[1..].iter_mut() {
            *x = 0.0;
        }
    }
    Array2::from_shape_fn((k, d), |(i, j)| if i <= j { cols[j][i] } else { 0.0 })
}

/// `a·b` with eight independent partial sums, which the compiler turns into
/// SIMD lanes (a single running sum would fix the order and stay scalar).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// One-sided Jacobi SVD of a square `r`: singular values (descending) and the
/// right singular vectors as columns of `V`, so that `r·V` has orthogonal
/// columns of norms `s`.
pub(crate) fn jacobi_svd(r: &Array2<f64>) -> (Array1<f64>, Array2<f64>) {
    let d = r.ncols();
    let mut u: Vec<Vec<f64>> = (0..d).map(|j| r.column(j).to_vec()).collect();
    let mut v: Vec<Vec<f64>> = (0..d).map(|j| (0..d).map(|i| if i == j { 1.0 } else { 0.0 }).collect()).collect();
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..d {
            for q in p + 1..d {
                let alpha: f64 = u[p].iter().map(|x| x * x).sum();
                let beta: f64 = u[q].iter().map(|x| x * x).sum();
                let gamma: f64 = u[p].iter().zip(&u[q]).map(|(a, b)| a * b).sum();
                if gamma == 0.0 || gamma.abs() <= 1e-15 * (alpha * beta).sqrt() {
                    continue;
                }
                rotated = true;
                let zeta = (beta - alpha) / (2.0 * gamma);
                let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
                let t = if zeta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (1.0 + t * t).sqrt();
                let sn = c * t;
                rotate(&mut u, p, q, c, sn);
                rotate(&mut v, p, q, c, sn);
            }
        }
        if !rotated {
            break;
        }
    }
    let norms: Vec<f64> = u.iter().map(|c| c.iter().map(|x| x * x).sum::<f64>().sqrt()).collect();
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| norms[b].total_cmp(&norms[a]).then(a.cmp(&b)));
    let s = order.iter().map(|&j| norms[j]).collect();
    let vm = Array2::from_shape_fn((d, d), |(i, k)| v[order[k]][i]);
    (s, vm)
}

fn rotate(cols: &mut [Vec<f64>], p: usize, q: usize, c: f64, s: f64) {
    let (a, b) = cols.split_at_mut(q);
    for (x, y) in a[p].iter_mut().zip(b[0].iter_mut()) {
        let (xp, yq) = (*x, *y);
        *x = c * xp - s * yq;
        *y = s * xp + c * yq;
    }
}

/// The numerical rank of singular values `s` of an `n × d` matrix, with
/// numpy's `matrix_rank` tolerance `s_max · max(n, d) · ε`.
pub(crate) fn numerical_rank(s: &Array1<f64>, n: usize, d: usize) -> usize {
    let smax = s.iter().copied().fold(0.0, f64::max);
    let tol = smax * n.max(d) as f64 * f64::EPSILON;
    s.iter().filter(|&&v| v > tol).count()
}

/// `B = V_r S_r⁻¹` (`d × r`): the map that sends the rows of `a` to the rows of
/// an orthonormal basis `a·B` of its column space, with `r` its numerical rank.
pub(crate) fn whitening_map(a: ArrayView2<f64>) -> Array2<f64> {
    let (n, d) = a.dim();
    let r = tall_r(a);
    // Pad R to d × d when n < d, so that the SVD sees the whole row space.
    let mut sq = Array2::<f64>::zeros((d, d));
    sq.slice_mut(s![..r.nrows(), ..]).assign(&r);
    let (sv, v) = jacobi_svd(&sq);
    let rank = numerical_rank(&sv, n, d);
    Array2::from_shape_fn((d, rank), |(i, j)| v[[i, j]] / sv[j])
}

/// Least-squares solution of `min ‖a·x − b‖₂` for a full-column-rank `a`, by
/// the `R` of `[a b]`; `None` when `a` is rank deficient.
pub(crate) fn least_squares(a: ArrayView2<f64>, b: &[f64]) -> Option<Array1<f64>> {
    let (n, d) = a.dim();
    let mut ab = Array2::<f64>::zeros((n, d + 1));
    ab.slice_mut(s![.., ..d]).assign(&a);
    ab.column_mut(d).assign(&ndarray::ArrayView1::from(b));
    let r = tall_r(ab.view());
    if r.nrows() < d {
        return None;
    }
    let scale = (0..d).map(|i| r[[i, i]].abs()).fold(0.0, f64::max);
    let mut x = Array1::<f64>::zeros(d);
    for i in (0..d).rev() {
        let diag = r[[i, i]];
        if diag.abs() <= scale * 1e-13 * (n.max(d) as f64) || scale == 0.0 {
            return None;
        }
        let acc: f64 = (i + 1..d).map(|j| r[[i, j]] * x[j]).sum();
        x[i] = (r[[i, d]] - acc) / diag;
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn pseudo_random(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut state = seed;
        Array2::from_shape_simple_fn((n, d), || {
            state = crate::rng::mix(state);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
    }

    #[test]
    fn r_reproduces_the_gram_matrix() {
        for (n, d) in [(5000, 7), (30, 30), (4, 6), (1, 3)] {
            let a = pseudo_random(n, d, 3);
            let r = tall_r(a.view());
            let g = a.t().dot(&a);
            let h = r.t().dot(&r);
            let err = (&g - &h).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert!(err < 1e-10 * (n as f64), "{n}×{d}: {err}");
        }
    }

    #[test]
    fn svd_of_a_known_matrix() {
        let r = array![[3.0, 0.0], [4.0, 5.0]];
        let (s, v) = jacobi_svd(&r);
        // Singular values of [[3,0],[4,5]]: √45 and √5.
        assert!((s[0] - 45f64.sqrt()).abs() < 1e-12 && (s[1] - 5f64.sqrt()).abs() < 1e-12, "{s}");
        let rv = r.dot(&v);
        assert!((rv.column(0).dot(&rv.column(1))).abs() < 1e-12);
    }

    #[test]
    fn least_squares_recovers_an_exact_fit() {
        let a = pseudo_random(3000, 4, 9);
        let x = array![1.0, -2.0, 0.5, 3.0];
        let b = a.dot(&x);
        let got = least_squares(a.view(), b.as_slice().unwrap()).unwrap();
        assert!((&got - &x).iter().all(|e| e.abs() < 1e-10), "{got}");
        let dup = ndarray::concatenate![Axis(1), a.view(), a.column(0).insert_axis(Axis(1))];
        assert!(least_squares(dup.view(), b.as_slice().unwrap()).is_none());
    }
}
