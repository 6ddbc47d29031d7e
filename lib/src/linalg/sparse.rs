//! Sparse symmetric matrices and their smallest eigenpairs: a compressed-row
//! matrix, the reverse Cuthill–McKee ordering (Cuthill & McKee, ACM National
//! Conference 1969; George 1971) that gathers its entries near the diagonal, an
//! envelope (profile) Cholesky factorisation of the reordered matrix, and
//! shift-invert Lanczos on top of it, as ARPACK's `eigsh(sigma=…)` mode that
//! scikit-learn's LLE and spectral embedding use.
//!
//! Cost: the factorisation is `O(Σᵢ bᵢ²)` time and `O(Σᵢ bᵢ)` memory for the
//! row envelope widths `bᵢ` after reordering: `O(n·b²)` for a kNN graph of a
//! 2-D manifold (`b` about √n·k), `O(n³)` at worst (dense-like graphs).

use ndarray::Array2;
use rayon::prelude::*; // parallel sort of the entries

use super::{symmetric_eigen, top_eigenpairs_relative};

/// Rows per parallel task of the sparse product.
#[cfg(test)]
const ROWS_PER_TASK: usize = 512;
/// Matrices up to this order go to the dense solver.
const DENSE_MAX: usize = 200;

/// A symmetric matrix in compressed rows, both triangles stored, each row's
/// columns ascending and distinct.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SymCsr {
    n: usize,
    offsets: Vec<usize>,
    cols: Vec<usize>,
    vals: Vec<f64>,
}

impl SymCsr {
    /// From `(row, col, value)` entries, duplicates summed. The caller gives
    /// both `(i, j)` and `(j, i)` of each off-diagonal pair.
    pub(crate) fn from_triplets(n: usize, mut entries: Vec<(usize, usize, f64)>) -> Self {
        entries.par_sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut offsets = vec![0usize; n + 1];
        let mut cols = Vec::with_capacity(entries.len());
        let mut vals: Vec<f64> = Vec::with_capacity(entries.len());
        let mut last: Option<(usize, usize)> = None;
        for (i, j, v) in entries {
            if last == Some((i, j)) {
                if let Some(x) = vals.last_mut() {
                    *x += v;
                }
                continue;
            }
            last = Some((i, j));
            cols.push(j);
            vals.push(v);
            offsets[i + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        SymCsr { n, offsets, cols, vals }
    }

    /// Order, row offsets, columns and values, for a caller with its own
    /// compressed-row type.
    pub(crate) fn into_parts(self) -> (usize, Vec<usize>, Vec<usize>, Vec<f64>) {
        (self.n, self.offsets, self.cols, self.vals)
    }

    /// Order of the matrix.
    pub(crate) fn n(&self) -> usize {
        self.n
    }

    /// Columns and values of row `i`.
    pub(crate) fn row(&self, i: usize) -> (&[usize], &[f64]) {
        let r = self.offsets[i]..self.offsets[i + 1];
        (&self.cols[r.clone()], &self.vals[r])
    }

    /// `y = A·x` (tests check solves with it), parallel over fixed row blocks (each row summed in order).
    #[cfg(test)]
    pub(crate) fn matvec(&self, x: &[f64], y: &mut [f64]) {
        y.par_chunks_mut(ROWS_PER_TASK).enumerate().for_each(|(t, chunk)| {
            for (r, out) in chunk.iter_mut().enumerate() {
                let (cols, vals) = self.row(t * ROWS_PER_TASK + r);
                *out = cols.iter().zip(vals).map(|(&j, &v)| v * x[j]).sum();
            }
        });
    }

    /// The dense matrix (for small orders).
    pub(crate) fn to_dense(&self) -> Array2<f64> {
        let mut a = Array2::<f64>::zeros((self.n, self.n));
        for i in 0..self.n {
            let (cols, vals) = self.row(i);
            for (&j, &v) in cols.iter().zip(vals) {
                a[[i, j]] = v;
            }
        }
        a
    }
}

/// Reverse Cuthill–McKee order (`order[new] = old`): breadth-first from a
/// pseudo-peripheral vertex of each component, neighbours by ascending degree,
/// then reversed. Deterministic (ties by index).
pub(crate) fn reverse_cuthill_mckee(a: &SymCsr) -> Vec<usize> {
    let n = a.n();
    let degree: Vec<usize> = (0..n).map(|i| a.row(i).0.len()).collect();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut by_degree: Vec<usize> = (0..n).collect();
    by_degree.sort_by_key(|&i| (degree[i], i));
    for &start in &by_degree {
        if placed[start] {
            continue;
        }
        let root = pseudo_peripheral(a, start, &degree);
        let begin = order.len();
        placed[root] = true;
        order.push(root);
        let mut head = begin;
        while head < order.len() {
            let v = order[head];
            head += 1;
            let mut next: Vec<usize> = a.row(v).0.iter().copied().filter(|&w| !placed[w]).collect();
            next.sort_by_key(|&w| (degree[w], w));
            for w in next {
                placed[w] = true;
                order.push(w);
            }
        }
    }
    order.reverse();
    order
}

/// A vertex far from `start` in its component: repeated breadth-first search
/// to the farthest level's lowest-degree vertex, while the depth grows.
fn pseudo_peripheral(a: &SymCsr, start: usize, degree: &[usize]) -> usize {
    let mut root = start;
    let mut depth = 0;
    for _ in 0..8 {
        let (levels, last) = bfs_levels(a, root);
        let far = last.into_iter().min_by_key(|&w| (degree[w], w)).unwrap_or(root);
        if levels <= depth {
            break;
        }
        depth = levels;
        root = far;
    }
    root
}

/// Number of levels of the breadth-first search from `root`, and its last level.
fn bfs_levels(a: &SymCsr, root: usize) -> (usize, Vec<usize>) {
    let mut seen = std::collections::HashSet::new();
    seen.insert(root);
    let mut level = vec![root];
    let mut count = 0;
    loop {
        count += 1;
        let mut next = Vec::new();
        for &v in &level {
            for &w in a.row(v).0 {
                if seen.insert(w) {
                    next.push(w);
                }
            }
        }
        if next.is_empty() {
            return (count, level);
        }
        level = next;
    }
}

/// `P·(A + shift·I)·Pᵀ = L·Lᵀ` with `L` stored by rows over each row's
/// envelope (from its first non-zero column to the diagonal).
pub(crate) struct EnvelopeCholesky {
    /// `order[new] = old`.
    order: Vec<usize>,
    /// First stored column of each (reordered) row.
    first: Vec<usize>,
    /// Offset of each row's first stored entry in `data`.
    start: Vec<usize>,
    data: Vec<f64>,
}

impl EnvelopeCholesky {
    /// Factors `A + shift·I` in the order `order`; `None` if a pivot is not
    /// positive (the shifted matrix is not positive definite in floating point).
    pub(crate) fn factor(a: &SymCsr, shift: f64, order: Vec<usize>) -> Option<Self> {
        let n = a.n();
        let mut position = vec![0usize; n];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let first: Vec<usize> =
            (0..n).map(|i| a.row(order[i]).0.iter().map(|&j| position[j]).filter(|&j| j <= i).min().unwrap_or(i)).collect();
        let mut start = Vec::with_capacity(n + 1);
        start.push(0);
        for i in 0..n {
            start.push(start[i] + i - first[i] + 1);
        }
        let mut data = vec![0.0; start[n]];
        for i in 0..n {
            let (cols, vals) = a.row(order[i]);
            for (&j, &v) in cols.iter().zip(vals) {
                let j = position[j];
                if j <= i {
                    data[start[i] + j - first[i]] += v;
                }
            }
            data[start[i] + i - first[i]] += shift;
        }
        for i in 0..n {
            let (before, rest) = data.split_at_mut(start[i]);
            let row_i = &mut rest[..i - first[i] + 1];
            for j in first[i]..i {
                let lo = first[i].max(first[j]);
                let row_j = &before[start[j]..start[j] + j - first[j] + 1];
                let s: f64 = row_i[lo - first[i]..j - first[i]].iter().zip(&row_j[lo - first[j]..j - first[j]]).map(|(x, y)| x * y).sum();
                row_i[j - first[i]] = (row_i[j - first[i]] - s) / row_j[j - first[j]];
            }
            let d = i - first[i];
            let s: f64 = row_i[..d].iter().map(|x| x * x).sum();
            let pivot = row_i[d] - s;
            if !(pivot > 0.0 && pivot.is_finite()) {
                return None;
            }
            row_i[d] = pivot.sqrt();
        }
        Some(EnvelopeCholesky { order, first, start, data })
    }

    /// Entries stored (the envelope size).
    #[cfg(test)]
    pub(crate) fn n_stored(&self) -> usize {
        self.data.len()
    }

    /// `x = (A + shift·I)⁻¹·b`.
    pub(crate) fn solve(&self, b: &[f64], x: &mut [f64]) {
        let n = self.order.len();
        let mut y: Vec<f64> = self.order.iter().map(|&o| b[o]).collect();
        for i in 0..n {
            let row = &self.data[self.start[i]..self.start[i + 1]];
            let d = i - self.first[i];
            let s: f64 = row[..d].iter().zip(&y[self.first[i]..i]).map(|(l, v)| l * v).sum();
            y[i] = (y[i] - s) / row[d];
        }
        for i in (0..n).rev() {
            let row = &self.data[self.start[i]..self.start[i + 1]];
            let d = i - self.first[i];
            y[i] /= row[d];
            let yi = y[i];
            for (l, v) in row[..d].iter().zip(&mut y[self.first[i]..i]) {
                *v -= l * yi;
            }
        }
        for (new, &old) in self.order.iter().enumerate() {
            x[old] = y[new];
        }
    }
}

/// The `want` smallest eigenpairs of a positive semi-definite sparse `a` on
/// the orthogonal complement of the unit vectors `deflate` (known null
/// vectors), eigenvalues ascending, vectors `n × want`. Dense Jacobi up to
/// [`DENSE_MAX`] rows; beyond, Lanczos on `(A + εI)⁻¹` (shift-invert about a
/// tiny `ε > 0`, which makes the smallest eigenvalues the best separated) with
/// an envelope Cholesky factor. Needs `want + deflate.len() < n`.
pub(crate) fn smallest_eigenpairs(a: &SymCsr, deflate: &[Vec<f64>], want: usize, seed: u64) -> Option<(Vec<f64>, Array2<f64>)> {
    let n = a.n();
    if n <= DENSE_MAX {
        return Some(smallest_dense(a.to_dense(), deflate, want));
    }
    let scale = (0..n).map(|i| a.row(i).1.iter().map(|v| v.abs()).sum::<f64>()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let order = reverse_cuthill_mckee(a);
    let mut shift = 1e-10 * scale;
    let chol = loop {
        if let Some(c) = EnvelopeCholesky::factor(a, shift, order.clone()) {
            break c;
        }
        shift *= 100.0;
        if shift > 1e-2 * scale {
            return None;
        }
    };
    let apply = |x: &[f64], y: &mut [f64]| chol.solve(x, y);
    let (mu, vectors) = top_eigenpairs_relative(n, &apply, deflate, want, seed, 1e-12, (20 * n).clamp(2000, 20_000));
    let values = mu.iter().map(|&m| if m > 0.0 { 1.0 / m - shift } else { f64::INFINITY }).collect();
    Some((values, vectors))
}

/// Dense smallest eigenpairs off the span of `deflate`: those directions are
/// lifted past the top of the spectrum, then the bottom is read off.
pub(crate) fn smallest_dense(mut a: Array2<f64>, deflate: &[Vec<f64>], want: usize) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let lift = 2.0 * a.iter().map(|v| v.abs()).sum::<f64>().max(1.0);
    for d in deflate {
        for i in 0..n {
            for j in 0..n {
                a[[i, j]] += lift * d[i] * d[j];
            }
        }
    }
    let (vals, vecs) = symmetric_eigen(&a);
    let values = (0..want).map(|c| vals[n - 1 - c]).collect();
    let vectors = Array2::from_shape_fn((n, want), |(r, c)| vecs[[r, n - 1 - c]]);
    (values, vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Laplacian of a path of `n` vertices.
    fn path_laplacian(n: usize) -> SymCsr {
        let mut t = Vec::new();
        for i in 0..n {
            let deg = if i == 0 || i == n - 1 { 1.0 } else { 2.0 };
            t.push((i, i, deg));
            if i + 1 < n {
                t.push((i, i + 1, -1.0));
                t.push((i + 1, i, -1.0));
            }
        }
        SymCsr::from_triplets(n, t)
    }

    #[test]
    fn envelope_cholesky_solves() {
        let a = path_laplacian(50);
        // A scrambled order still factors and solves.
        let order: Vec<usize> = (0..50).map(|i| (i * 17) % 50).collect();
        let chol = EnvelopeCholesky::factor(&a, 0.5, order).unwrap();
        let b: Vec<f64> = (0..50).map(|i| (i as f64).sin()).collect();
        let mut x = vec![0.0; 50];
        chol.solve(&b, &mut x);
        let mut ax = vec![0.0; 50];
        a.matvec(&x, &mut ax);
        for i in 0..50 {
            assert!((ax[i] + 0.5 * x[i] - b[i]).abs() < 1e-10);
        }
        // A singular matrix without shift is refused or factors to huge values, never a panic.
        let _ = EnvelopeCholesky::factor(&a, 0.0, (0..50).collect());
    }

    #[test]
    fn rcm_narrows_a_scrambled_path() {
        let n = 300;
        let perm: Vec<usize> = (0..n).map(|i| (i * 151) % n).collect();
        let mut t = Vec::new();
        for i in 0..n - 1 {
            t.push((perm[i], perm[i + 1], 1.0));
            t.push((perm[i + 1], perm[i], 1.0));
        }
        for i in 0..n {
            t.push((i, i, 4.0));
        }
        let a = SymCsr::from_triplets(n, t);
        let natural = EnvelopeCholesky::factor(&a, 0.0, (0..n).collect()).unwrap();
        let rcm = EnvelopeCholesky::factor(&a, 0.0, reverse_cuthill_mckee(&a)).unwrap();
        assert_eq!(rcm.n_stored(), 2 * n - 1);
        assert!(natural.n_stored() > 10 * n);
    }

    #[test]
    fn smallest_of_a_path_laplacian() {
        // Eigenvalues 2 − 2cos(πj/n), the constant vector for j = 0.
        for n in [120, 800] {
            let a = path_laplacian(n);
            let ones = vec![1.0 / (n as f64).sqrt(); n];
            let (vals, vecs) = smallest_eigenpairs(&a, &[ones], 2, 3).unwrap();
            for (j, v) in vals.iter().enumerate() {
                let want = 2.0 - 2.0 * (std::f64::consts::PI * (j + 1) as f64 / n as f64).cos();
                assert!((v - want).abs() < 1e-9 * want.max(1e-3), "n {n}: {v} vs {want}");
            }
            let mut y = vec![0.0; n];
            let x = vecs.column(0).to_vec();
            a.matvec(&x, &mut y);
            let r: f64 = y.iter().zip(&x).map(|(a, b)| (a - vals[0] * b).powi(2)).sum::<f64>().sqrt();
            assert!(r < 1e-8, "residual {r}");
        }
    }
}
