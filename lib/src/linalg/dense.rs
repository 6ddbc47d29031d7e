//! Dense symmetric eigenproblems, shared by every estimator that needs one
//! (UMAP's spectral start on small graphs, PCA spectra of intrinsic-dimension
//! estimators). Pure Rust, no system LAPACK; both run in a fixed order, so
//! results do not depend on the thread count.

use ndarray::Array2;

/// Eigenvalues (descending) and unit eigenvectors (columns) of a symmetric
/// matrix by cyclic Jacobi rotations. `O(n³)` per sweep; for n up to a few hundred.
pub(crate) fn symmetric_eigen(m: &Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = m.nrows();
    let mut a = m.clone();
    let mut v = Array2::<f64>::eye(n);
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n).flat_map(|p| (0..n).filter(move |&q| q != p).map(move |q| (p, q))).map(|(p, q)| a[[p, q]] * a[[p, q]]).sum();
        if off.sqrt() <= 1e-15 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                rotate(&mut a, &mut v, p, q);
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[[j, j]].total_cmp(&a[[i, i]]).then(i.cmp(&j)));
    let values = order.iter().map(|&i| a[[i, i]]).collect();
    let vectors = Array2::from_shape_fn((n, n), |(r, c)| v[[r, order[c]]]);
    (values, vectors)
}

/// One Jacobi rotation annihilating `a[p, q]`.
fn rotate(a: &mut Array2<f64>, v: &mut Array2<f64>, p: usize, q: usize) {
    let apq = a[[p, q]];
    if apq == 0.0 {
        return;
    }
    let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let t = if theta == 0.0 { 1.0 } else { t };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    let n = a.nrows();
    for k in 0..n {
        let (akp, akq) = (a[[k, p]], a[[k, q]]);
        a[[k, p]] = c * akp - s * akq;
        a[[k, q]] = s * akp + c * akq;
    }
    for k in 0..n {
        let (apk, aqk) = (a[[p, k]], a[[q, k]]);
        a[[p, k]] = c * apk - s * aqk;
        a[[q, k]] = s * apk + c * aqk;
    }
    for k in 0..n {
        let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
        v[[k, p]] = c * vkp - s * vkq;
        v[[k, q]] = s * vkp + c * vkq;
    }
}

/// Eigenvalues of a symmetric matrix, descending: Householder reduction to
/// tridiagonal form, then implicit QL with Wilkinson shifts. `O(p³)`.
pub(crate) fn symmetric_eigenvalues(a: Array2<f64>) -> Vec<f64> {
    let p = a.nrows();
    if p == 0 || a.ncols() != p {
        return Vec::new();
    }
    let (mut diag, mut off, _) = tridiagonalize(a, false);
    tridiagonal_ql(&mut diag, &mut off, None);
    diag.sort_by(|x, y| y.total_cmp(x));
    diag
}

/// Eigenvalues (descending) and unit eigenvectors (columns) of a symmetric
/// matrix: Householder reduction with the reflections accumulated, then
/// implicit QL rotating the accumulated basis. `O(p³)` with small constants,
/// for matrices too large for Jacobi sweeps (a covariance of a few hundred
/// features). Signs as the algorithm leaves them.
pub(crate) fn symmetric_eigen_householder(a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let p = a.nrows();
    if p == 0 || a.ncols() != p {
        return (Vec::new(), Array2::zeros((p, 0)));
    }
    let (mut diag, mut off, mut z) = tridiagonalize(a, true);
    tridiagonal_ql(&mut diag, &mut off, Some(&mut z));
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&i, &j| diag[j].total_cmp(&diag[i]).then(i.cmp(&j)));
    let values = order.iter().map(|&i| diag[i]).collect();
    let vectors = Array2::from_shape_fn((p, p), |(r, c)| z[r * p + order[c]]);
    (values, vectors)
}

/// Householder reduction of a symmetric matrix to tridiagonal form: the
/// diagonal, the sub-diagonal (`off[i]` joins `i` and `i + 1`) and, when
/// `accumulate`, the orthogonal `Q` (row-major) with `A = Q·T·Qᵀ`.
fn tridiagonalize(a: Array2<f64>, accumulate: bool) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let p = a.nrows();
    // Row-major copy: a[i * p + j].
    let mut a: Vec<f64> = a.iter().copied().collect();
    let mut diag = vec![0.0; p];
    let mut off = vec![0.0; p];
    let mut v = vec![0.0; p];
    let mut q = vec![0.0; p];
    // The reflections' unit vectors, one per step (empty when none was needed).
    let mut reflections: Vec<Vec<f64>> = Vec::new();
    for k in 0..p.saturating_sub(2) {
        diag[k] = a[k * p + k];
        let norm: f64 = (k + 1..p).map(|i| a[i * p + k] * a[i * p + k]).sum::<f64>().sqrt();
        let x0 = a[(k + 1) * p + k];
        let alpha = if x0 >= 0.0 { -norm } else { norm };
        // v = (x − αe₁) / ‖x − αe₁‖, so that H = I − 2vvᵀ maps x to αe₁.
        let m = p - k - 1;
        for i in 0..m {
            v[i] = a[(k + 1 + i) * p + k];
        }
        v[0] -= alpha;
        let vnorm = v[..m].iter().map(|t| t * t).sum::<f64>().sqrt();
        if norm == 0.0 || vnorm == 0.0 {
            off[k] = x0;
            reflections.push(Vec::new());
            continue;
        }
        v[..m].iter_mut().for_each(|t| *t /= vnorm);
        // w = A₂₂v, q = w − (vᵀw)v, A₂₂ ← A₂₂ − 2(vqᵀ + qvᵀ).
        for i in 0..m {
            let row = &a[(k + 1 + i) * p + k + 1..(k + 2 + i) * p];
            q[i] = row.iter().zip(&v[..m]).map(|(x, y)| x * y).sum();
        }
        let vw: f64 = v[..m].iter().zip(&q[..m]).map(|(x, y)| x * y).sum();
        for i in 0..m {
            q[i] -= vw * v[i];
        }
        for i in 0..m {
            let (vi, qi) = (v[i], q[i]);
            let row = &mut a[(k + 1 + i) * p + k + 1..(k + 2 + i) * p];
            for ((x, vj), qj) in row.iter_mut().zip(&v[..m]).zip(&q[..m]) {
                *x -= 2.0 * (vi * qj + qi * vj);
            }
        }
        off[k] = alpha;
        if accumulate {
            reflections.push(v[..m].to_vec());
        }
    }
    if p >= 2 {
        diag[p - 2] = a[(p - 2) * p + p - 2];
        off[p - 2] = a[(p - 1) * p + p - 2];
    }
    diag[p - 1] = a[p * p - 1];
    off[p - 1] = 0.0;
    let mut z = Vec::new();
    if accumulate {
        // Q = H₀·H₁·…: apply the reflections to the identity, last first.
        z = vec![0.0; p * p];
        (0..p).for_each(|i| z[i * p + i] = 1.0);
        for (k, v) in reflections.iter().enumerate().rev().filter(|(_, v)| !v.is_empty()) {
            reflect_rows(&mut z, p, k + 1, v);
        }
    }
    (diag, off, z)
}

/// `Z[start.., :] ← (I − 2vvᵀ)·Z[start.., :]` for row-major `p × p` `z`.
fn reflect_rows(z: &mut [f64], p: usize, start: usize, v: &[f64]) {
    let mut w = vec![0.0; p];
    for (i, &vi) in v.iter().enumerate() {
        let row = &z[(start + i) * p..(start + i + 1) * p];
        w.iter_mut().zip(row).for_each(|(wj, &x)| *wj += vi * x);
    }
    for (i, &vi) in v.iter().enumerate() {
        let row = &mut z[(start + i) * p..(start + i + 1) * p];
        row.iter_mut().zip(&w).for_each(|(x, &wj)| *x -= 2.0 * vi * wj);
    }
}

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `d` and
/// sub-diagonal `e` (`e[i]` joins `i` and `i + 1`; `e[p − 1]` is ignored), in
/// place in `d`, by the implicit QL algorithm. Each rotation is also applied
/// to the columns of `z` (row-major `p × p`) when given, so a `z` holding the
/// tridiagonalising `Q` ends holding the eigenvectors.
fn tridiagonal_ql(d: &mut [f64], e: &mut [f64], mut z: Option<&mut Vec<f64>>) {
    let p = d.len();
    if p < 2 {
        return;
    }
    e[p - 1] = 0.0;
    for l in 0..p {
        let mut iterations = 0;
        loop {
            let mut m = l;
            while m + 1 < p {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > 100 {
                // Not converged to machine precision: keep what we have.
                break;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + if g >= 0.0 { r } else { -r });
            let (mut s, mut c, mut shift) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            let mut i = m;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= shift;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - shift;
                r = (d[i] - g) * s + 2.0 * c * b;
                shift = s * r;
                d[i + 1] = g + shift;
                g = c * r - b;
                if let Some(z) = z.as_deref_mut() {
                    for row in z.chunks_exact_mut(p) {
                        let f = row[i + 1];
                        row[i + 1] = s * row[i] + c * f;
                        row[i] = c * row[i] - s * f;
                    }
                }
            }
            if deflated {
                continue;
            }
            d[l] -= shift;
            e[l] = g;
            e[m] = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symmetric(p: usize) -> Array2<f64> {
        let b = Array2::from_shape_fn((p, p), |(i, j)| ((i * 31 + j * 17) % 23) as f64 / 7.0 - 1.5);
        &b + &b.t()
    }

    #[test]
    fn householder_eigenpairs_reconstruct_the_matrix() {
        for p in [1, 2, 3, 17, 60] {
            let a = symmetric(p);
            let (values, v) = symmetric_eigen_householder(a.clone());
            assert!(values.windows(2).all(|w| w[0] >= w[1]), "descending");
            let gram = v.t().dot(&v) - Array2::<f64>::eye(p);
            assert!(gram.iter().all(|x| x.abs() < 1e-12), "orthonormal at p = {p}");
            let lambda = Array2::from_diag(&ndarray::Array1::from(values.clone()));
            let back = v.dot(&lambda).dot(&v.t()) - &a;
            assert!(back.iter().all(|x| x.abs() < 1e-11), "A = VΛVᵀ at p = {p}");
            let alone = symmetric_eigenvalues(a);
            assert!(alone.iter().zip(&values).all(|(x, y)| (x - y).abs() < 1e-11));
        }
    }

    #[test]
    fn householder_handles_a_diagonal_matrix() {
        let a = Array2::from_diag(&ndarray::array![3.0, -1.0, 2.0, 0.0]);
        let (values, v) = symmetric_eigen_householder(a);
        assert_eq!(values, vec![3.0, 2.0, 0.0, -1.0]);
        assert!((v[[0, 0]].abs() - 1.0).abs() < 1e-15 && (v[[2, 1]].abs() - 1.0).abs() < 1e-15);
    }
}
