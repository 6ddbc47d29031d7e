//! Large symmetric eigenproblems (spectral layouts and clusterings): dense ones go to
//! [`crate::linalg`]; here is a thick-restart Lanczos (Wu & Simon 2000) with full
//! reorthogonalisation for the few largest eigenpairs of a large sparse operator.
//!
//! Everything here runs in a fixed order (the operator may be parallel, as long
//! as it is deterministic), so the vectors do not depend on the thread count.

use ndarray::Array2;
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use crate::linalg::symmetric_eigen;
use crate::rng;

/// Rows per parallel task of the vector operations.
const ROWS: usize = 4096;

/// Removes from `w` its components along the unit vectors `basis`, twice
/// (classical Gram–Schmidt needs the second pass to stay orthogonal in
/// floating point), and returns the total coefficient along each. Parallel over
/// fixed row blocks whose partial sums are added in block order, so the bits do
/// not depend on the thread count.
fn orthogonalise(w: &mut [f64], basis: &[&[f64]]) -> Vec<f64> {
    let mut total = vec![0.0; basis.len()];
    for _ in 0..2 {
        let partial: Vec<Vec<f64>> = w
            .par_chunks(ROWS)
            .enumerate()
            .map(|(t, chunk)| {
                let r = t * ROWS..t * ROWS + chunk.len();
                basis.iter().map(|b| crate::neighbors::dot(chunk, &b[r.clone()])).collect()
            })
            .collect();
        let coeffs: Vec<f64> = (0..basis.len()).map(|i| partial.iter().map(|p| p[i]).sum()).collect();
        w.par_chunks_mut(ROWS).enumerate().for_each(|(t, chunk)| {
            let r = t * ROWS..t * ROWS + chunk.len();
            for (b, &c) in basis.iter().zip(&coeffs) {
                chunk.iter_mut().zip(&b[r.clone()]).for_each(|(x, y)| *x -= c * y);
            }
        });
        total.iter_mut().zip(&coeffs).for_each(|(t, c)| *t += c);
    }
    total
}

/// Euclidean norm, with the same fixed-block summation.
fn norm(w: &[f64]) -> f64 {
    let partial: Vec<f64> = w.par_chunks(ROWS).map(|c| crate::neighbors::dot(c, c)).collect();
    partial.iter().sum::<f64>().sqrt()
}

/// `Σ_i s[i]·basis[i]`.
fn combine(basis: &[Vec<f64>], s: &[f64], n: usize) -> Vec<f64> {
    let mut y = vec![0.0; n];
    y.par_chunks_mut(ROWS).enumerate().for_each(|(t, chunk)| {
        let r = t * ROWS..t * ROWS + chunk.len();
        for (b, &c) in basis.iter().zip(s) {
            chunk.iter_mut().zip(&b[r.clone()]).for_each(|(x, y)| *x += c * y);
        }
    });
    y
}

/// The `want` largest eigenpairs of a symmetric operator on ℝⁿ restricted to
/// the orthogonal complement of the unit vectors `deflate`, by thick-restart
/// Lanczos with full reorthogonalisation. Returns eigenvalues (descending) and
/// vectors (`n × want`). Stops when every wanted residual `‖A·y − θ·y‖` is below
/// `tol`, or after about `max_matvecs` products (the best Ritz vectors so far are
/// returned: good enough to start a layout). Needs `want + deflate.len() < n`.
pub(crate) fn top_eigenpairs(
    n: usize,
    apply: &dyn Fn(&[f64], &mut [f64]),
    deflate: &[Vec<f64>],
    want: usize,
    seed: u64,
    tol: f64,
    max_matvecs: usize,
) -> (Vec<f64>, Array2<f64>) {
    lanczos(n, apply, deflate, want, seed, Tolerance::Absolute(tol), max_matvecs)
}

/// [`top_eigenpairs`] with the residual bound relative to the largest Ritz
/// value's magnitude: every wanted `‖A·y − θ·y‖ ≤ rel_tol·|θ₁|`. For operators
/// whose scale is unknown in advance (kernel matrices, inverted Laplacians).
pub(crate) fn top_eigenpairs_relative(
    n: usize,
    apply: &dyn Fn(&[f64], &mut [f64]),
    deflate: &[Vec<f64>],
    want: usize,
    seed: u64,
    rel_tol: f64,
    max_matvecs: usize,
) -> (Vec<f64>, Array2<f64>) {
    lanczos(n, apply, deflate, want, seed, Tolerance::Relative(rel_tol), max_matvecs)
}

/// How converged Ritz pairs must be.
#[derive(Clone, Copy)]
enum Tolerance {
    Absolute(f64),
    Relative(f64),
}

fn lanczos(
    n: usize,
    apply: &dyn Fn(&[f64], &mut [f64]),
    deflate: &[Vec<f64>],
    want: usize,
    seed: u64,
    tol: Tolerance,
    max_matvecs: usize,
) -> (Vec<f64>, Array2<f64>) {
    let room = n.saturating_sub(deflate.len());
    let m = (2 * want + 20).min(room).max(want.min(room));
    let keep = (want + 6).min(m.saturating_sub(2)).max(want.min(m));
    let mut gen = rng::xoshiro(seed);
    let mut random_unit = |basis: &[Vec<f64>]| -> Vec<f64> {
        let mut w: Vec<f64> = (0..n).map(|_| gen.sample(StandardNormal)).collect();
        let refs: Vec<&[f64]> = deflate.iter().chain(basis).map(|v| v.as_slice()).collect();
        orthogonalise(&mut w, &refs);
        let s = norm(&w);
        w.iter_mut().for_each(|x| *x /= s);
        w
    };
    let mut v: Vec<Vec<f64>> = vec![random_unit(&[])];
    let mut h = Array2::<f64>::zeros((m, m));
    let mut matvecs = 0usize;
    loop {
        // Lanczos steps from the last basis vector up to m vectors; `f` ends as
        // the residual of the last one: A·V = V·H + f·e_mᵀ.
        let mut f = vec![0.0; n];
        loop {
            let j = v.len() - 1;
            apply(&v[j], &mut f);
            matvecs += 1;
            let refs: Vec<&[f64]> = deflate.iter().chain(&v).map(|x| x.as_slice()).collect();
            let coeffs = orthogonalise(&mut f, &refs);
            for (i, &c) in coeffs[deflate.len()..].iter().enumerate() {
                h[[i, j]] = c;
                h[[j, i]] = c;
            }
            if v.len() == m {
                break;
            }
            let beta = norm(&f);
            let next = if beta > 1e-10 { f.iter().map(|x| x / beta).collect() } else { random_unit(&v) };
            v.push(next);
        }
        let beta = norm(&f);
        let (theta, s) = symmetric_eigen(&h);
        let worst = (0..want).map(|c| beta * s[[m - 1, c]].abs()).fold(0.0, f64::max);
        let tol = match tol {
            Tolerance::Absolute(t) => t,
            Tolerance::Relative(t) => t * theta.first().map_or(0.0, |v| v.abs()),
        };
        if worst <= tol || matvecs >= max_matvecs || m >= room {
            let vectors: Vec<Vec<f64>> = (0..want).map(|c| combine(&v, &s.column(c).to_vec(), n)).collect();
            let out = Array2::from_shape_fn((n, want), |(r, c)| vectors[c][r]);
            return (theta.into_iter().take(want).collect(), out);
        }
        // Thick restart: keep the best Ritz pairs; the residual continues the
        // Krylov sequence, and H becomes diag(θ) bordered by β·s_m.
        let kept: Vec<Vec<f64>> = (0..keep).map(|c| combine(&v, &s.column(c).to_vec(), n)).collect();
        let mut next_h = Array2::<f64>::zeros((m, m));
        for c in 0..keep {
            next_h[[c, c]] = theta[c];
            next_h[[c, keep]] = beta * s[[m - 1, c]];
            next_h[[keep, c]] = beta * s[[m - 1, c]];
        }
        h = next_h;
        v = kept;
        let next = if beta > 1e-10 { f.iter().map(|x| x / beta).collect() } else { random_unit(&v) };
        v.push(next);
    }
}

/// Dense matrices up to this order are diagonalised whole (Jacobi).
const DENSE_MAX: usize = 200;
/// Products allowed before the best Ritz vectors so far are taken (kernel
/// spectra converge in a few dozen; this only bounds pathological cases).
const MAX_DENSE_MATVECS: usize = 3000;

/// The `want` largest (algebraic) eigenpairs of a dense symmetric matrix,
/// eigenvalues descending, unit vectors as columns: Jacobi on the whole matrix
/// up to [`DENSE_MAX`] rows (scikit-learn's `eigen_solver="auto"` switches at
/// 200 too), Lanczos beyond with a row-parallel product (`O(n²)` per step; each
/// row summed in order, so the bits do not depend on the thread count) and
/// residuals below `1e-11·|θ₁|`. Needs `want < n`.
pub(crate) fn dense_top_eigenpairs(a: &Array2<f64>, want: usize, seed: u64) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    if n <= DENSE_MAX {
        let (vals, vecs) = symmetric_eigen(a);
        let want = want.min(n);
        return (vals[..want].to_vec(), vecs.slice(ndarray::s![.., ..want]).to_owned());
    }
    let std = a.as_standard_layout();
    let flat = std.as_slice().unwrap_or(&[]);
    let apply = |x: &[f64], y: &mut [f64]| {
        y.par_chunks_mut(64).enumerate().for_each(|(t, chunk)| {
            for (r, out) in chunk.iter_mut().enumerate() {
                let i = t * 64 + r;
                *out = crate::neighbors::dot(&flat[i * n..(i + 1) * n], x);
            }
        });
    };
    top_eigenpairs_relative(n, &apply, &[], want, seed, 1e-11, MAX_DENSE_MATVECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises() {
        let m = ndarray::array![[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]];
        let (vals, vecs) = symmetric_eigen(&m);
        for (c, &val) in vals.iter().enumerate() {
            let x = vecs.column(c);
            let r = m.dot(&x) - &x * val;
            assert!(r.dot(&r).sqrt() < 1e-12);
        }
        assert!(vals[0] >= vals[1] && vals[1] >= vals[2]);
    }

    #[test]
    fn lanczos_finds_the_top_of_a_path_laplacian() {
        // Normalised adjacency of a path: eigenvalues cos(πj/(n−1)), j = 0..n−1.
        let n = 300;
        let deg: Vec<f64> = (0..n).map(|i| if i == 0 || i == n - 1 { 1.0 } else { 2.0 }).collect();
        let apply = |x: &[f64], y: &mut [f64]| {
            for i in 0..n {
                let mut s = 0.0;
                if i > 0 {
                    s += x[i - 1] / (deg[i] * deg[i - 1]).sqrt();
                }
                if i + 1 < n {
                    s += x[i + 1] / (deg[i] * deg[i + 1]).sqrt();
                }
                y[i] = s;
            }
        };
        let total: f64 = deg.iter().sum();
        let u0: Vec<f64> = deg.iter().map(|d| (d / total).sqrt()).collect();
        let (vals, _) = top_eigenpairs(n, &apply, &[u0], 2, 1, 1e-8, 20_000);
        let want1 = (std::f64::consts::PI / (n - 1) as f64).cos();
        let want2 = (2.0 * std::f64::consts::PI / (n - 1) as f64).cos();
        assert!((vals[0] - want1).abs() < 1e-7, "{} vs {want1}", vals[0]);
        assert!((vals[1] - want2).abs() < 1e-7, "{} vs {want2}", vals[1]);
    }
}
