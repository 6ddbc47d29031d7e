//! Locally linear embedding, standard and modified.
//!
//! Standard LLE writes each point as an affine combination of its
//! `n_neighbors` nearest neighbours (weights from the regularised local Gram
//! system `(G + reg·tr(G)·I)·w = 1`, normalised to sum 1), then finds the
//! low-dimensional coordinates best reconstructed by the same weights: the
//! eigenvectors of `M = (I − W)ᵀ(I − W)` for its smallest eigenvalues after the
//! constant one. Modified LLE (MLLE) uses several weight vectors per point —
//! the local Gram matrix's near-null eigenvectors turned by a Householder
//! reflection — which makes the embedding stable when `n_neighbors` exceeds
//! the input dimension. Weights, `M` and the reconstruction error are
//! scikit-learn 1.9's `LocallyLinearEmbedding` (`reg` 1e-3, `modified_tol`
//! 1e-12); the null space comes from shift-invert Lanczos over a sparse
//! envelope Cholesky factor of `M` (ARPACK's `sigma = 0` mode in scikit-learn),
//! the dense solver up to 200 points. scikit-learn leaves the signs to the
//! solver; here each column's largest entry is positive. New points are
//! placed with their barycentric weights over their training neighbours.
//!
//! Papers: S. T. Roweis & L. K. Saul, "Nonlinear dimensionality reduction by
//! locally linear embedding", Science 290(5500), 2000; Z. Zhang & J. Wang,
//! "MLLE: Modified locally linear embedding using multiple weights", NeurIPS
//! 2006 (NIPS 19, 2007).
//!
//! Cost, `k = n_neighbors`: kNN `O(n²·d)` exact; weights `O(n·k²·(d + k))`
//! (MLLE `O(n·k³)`); `M` has about `n·k²` entries; its factor `O(n·b²)` for
//! envelope width `b` (about √n·k² on a 2-D manifold) and a few dozen solves.
//! Memory `O(n·(d + k² + b))`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(400, 0.05, 7)?;
//! let lle = LocallyLinearEmbedding::params().n_neighbors(12).fit(&ds)?;
//! assert_eq!(lle.embedding().dim(), (400, 2));
//! let mlle = LocallyLinearEmbedding::params().n_neighbors(12).method(LleMethod::Modified).fit(&ds)?;
//! assert_eq!(mlle.embedding().dim(), (400, 2));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::shared::{check_neighbors, check_records, embedding_figure, flip_signs};
use crate::error::{check_finite, Error, Result};
use crate::estimator::{impl_fit, params, TargetValues};
use crate::linalg::{smallest_eigenpairs, symmetric_eigen, SymCsr};
use crate::neighbors::{KnnIndex, KnnMethod, KnnParams};
use crate::persist::impl_persist;
use crate::plot::Figure;
use crate::render::impl_render;

/// Which LLE.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LleMethod {
    /// One barycentric weight vector per point (Roweis & Saul).
    Standard,
    /// Several weight vectors per point (Zhang & Wang's MLLE).
    Modified,
}

/// A fitted LLE: the embedding, its reconstruction error, and the neighbour
/// index that places new points.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LocallyLinearEmbedding {
    params: LleValidParams,
    embedding: Array2<f64>,
    eigenvalues: Vec<f64>,
    index: KnnIndex,
    coloring: TargetValues,
}

impl LocallyLinearEmbedding {
    /// The embedding (`embedding_`), unit-norm columns.
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// `reconstruction_error_`: the sum of the eigenvalues of `M` kept.
    pub fn reconstruction_error(&self) -> f64 {
        self.eigenvalues.iter().sum()
    }

    /// The eigenvalues of `M` for the embedding's columns, ascending.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &LleValidParams {
        &self.params
    }

    /// Places new rows (as wide as the training data): barycentric weights
    /// (regularised by `reg`) over their `n_neighbors` nearest training
    /// points, applied to those points' coordinates — scikit-learn's `transform`.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.index.dim() {
            return Err(Error::data(format!(
                "X of LocallyLinearEmbedding::transform must have {} columns like the training data; got {}",
                self.index.dim(),
                x.ncols()
            )));
        }
        check_finite("X of LocallyLinearEmbedding::transform", &x)?;
        let k = self.params.n_neighbors;
        let knn = self.index.query(x, k)?;
        let train = self.index.prepared_data();
        let dim = self.params.n_components;
        let rows: Vec<Vec<f64>> = (0..x.nrows())
            .into_par_iter()
            .map(|q| {
                let idx = knn.indices().row(q).to_vec();
                let w = barycenter_weights(&x.row(q).to_vec(), train, &idx, self.params.reg);
                (0..dim).map(|c| idx.iter().zip(&w).map(|(&j, wj)| wj * self.embedding[[j, c]]).sum()).collect()
            })
            .collect();
        Ok(Array2::from_shape_fn((x.nrows(), dim), |(i, c)| rows[i][c]))
    }

    /// A scatter of the embedding, coloured by the training targets.
    pub fn figure(&self) -> Result<Figure> {
        let what = match self.params.method {
            LleMethod::Standard => "LLE",
            LleMethod::Modified => "Modified LLE",
        };
        let title = format!("{what} of {} points (n_neighbors = {})", self.embedding.nrows(), self.params.n_neighbors);
        embedding_figure(&self.embedding, &self.coloring, &title, "LLE")
    }
}

impl_render!(LocallyLinearEmbedding, "LLE", params: params, shapes: [embedding]);

params! {
    /// Checked LLE parameters, scikit-learn's defaults; see
    /// [`LocallyLinearEmbedding::params`].
    LocallyLinearEmbedding("LocallyLinearEmbedding") => LleParams, LleValidParams {
        /// Neighbours per point; also below n_samples at fit, and at least
        /// `n_components` for MLLE.
        n_neighbors: usize = 5 => 1..,
        /// The output dimension; also at most n_features and below
        /// n_samples − 1 at fit.
        n_components: usize = 2 => 1..,
        /// The Gram regulariser, relative to the Gram matrix's trace.
        reg: f64 = 1e-3 => above(0.0),
        /// Which LLE.
        method: LleMethod = LleMethod::Standard,
        /// MLLE's Householder vector is dropped below this norm.
        modified_tol: f64 = 1e-12 => 0.0..,
        /// `Exact` as scikit-learn; `Auto` or `NnDescent` trade exactness for speed.
        knn_method: KnnMethod = KnnMethod::Exact,
        /// The Lanczos start vector (and NN-descent's seed).
        seed: u64 = 0,
    }
    check(p) {
        if p.method == LleMethod::Modified && p.n_neighbors < p.n_components {
            return Err(Error::param(
                "n_neighbors",
                format!("of modified LLE must be ≥ n_components = {}; got {}", p.n_components, p.n_neighbors),
            ));
        }
    }
}

impl LleValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>, coloring: TargetValues) -> Result<LocallyLinearEmbedding> {
        const WHO: &str = "LocallyLinearEmbedding";
        check_records(WHO, x, 3, &coloring)?;
        let (n, d) = x.dim();
        check_neighbors(WHO, self.n_neighbors, 1, n)?;
        if self.n_components > d || self.n_components + 1 >= n {
            return Err(Error::param(
                "n_components",
                format!(
                    "of {WHO} must be in [1, min(n_features = {d}, n_samples − 2 = {})]; got {}",
                    n.saturating_sub(2),
                    self.n_components
                ),
            ));
        }
        let index = KnnParams::new(self.n_neighbors).method(self.knn_method).seed(self.seed).build(x)?;
        let data = index.prepared_data();
        let neighbours: Vec<Vec<usize>> = index.graph().indices().outer_iter().map(|r| r.to_vec()).collect();
        let m = match self.method {
            LleMethod::Standard => standard_m(data, &neighbours, self.reg),
            LleMethod::Modified => modified_m(data, &neighbours, self.n_components, self.modified_tol),
        };
        let ones = vec![1.0 / (n as f64).sqrt(); n];
        let (eigenvalues, mut embedding) = smallest_eigenpairs(&m, &[ones], self.n_components, self.seed).ok_or_else(|| {
            Error::data(format!("the matrix M of {WHO} could not be factored; check for many duplicate points or raise reg"))
        })?;
        if embedding.iter().chain(&eigenvalues).any(|v| !v.is_finite()) {
            return Err(Error::data(format!("the eigensolver of {WHO} did not converge to finite values; raise reg or n_neighbors")));
        }
        flip_signs(&mut embedding);
        Ok(LocallyLinearEmbedding { params: self.clone(), embedding, eigenvalues, index, coloring })
    }
}

impl_fit!(LleParams, LleValidParams => LocallyLinearEmbedding, targets);
impl_persist!(LocallyLinearEmbedding, "LLE model");

/// Barycentric weights of `x` over the rows `idx` of `data`: solve
/// `(G + R·I)·w = 1` for the local Gram `G` (`R = reg·tr(G)`, or `reg` when
/// the trace is 0), then normalise to sum 1 — scikit-learn's `barycenter_weights`.
fn barycenter_weights(x: &[f64], data: ArrayView2<f64>, idx: &[usize], reg: f64) -> Vec<f64> {
    let k = idx.len();
    let c: Vec<Vec<f64>> = idx.iter().map(|&j| data.row(j).iter().zip(x).map(|(a, b)| a - b).collect()).collect();
    let mut g = vec![0.0; k * k];
    for a in 0..k {
        for b in 0..=a {
            let v: f64 = c[a].iter().zip(&c[b]).map(|(p, q)| p * q).sum();
            g[a * k + b] = v;
            g[b * k + a] = v;
        }
    }
    let trace: f64 = (0..k).map(|a| g[a * k + a]).sum();
    let r = if trace > 0.0 { reg * trace } else { reg };
    (0..k).for_each(|a| g[a * k + a] += r);
    let w = cholesky_solve_ones(&mut g, k);
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

/// Solves `G·w = 1` for a symmetric positive definite `k × k` `G` (row-major,
/// overwritten by its Cholesky factor).
fn cholesky_solve_ones(g: &mut [f64], k: usize) -> Vec<f64> {
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|p| g[i * k + p] * g[j * k + p]).sum();
            if i == j {
                g[i * k + i] = (g[i * k + i] - s).max(f64::MIN_POSITIVE).sqrt();
            } else {
                g[i * k + j] = (g[i * k + j] - s) / g[j * k + j];
            }
        }
    }
    let mut y = vec![1.0; k];
    for i in 0..k {
        let s: f64 = (0..i).map(|p| g[i * k + p] * y[p]).sum();
        y[i] = (y[i] - s) / g[i * k + i];
    }
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|p| g[p * k + i] * y[p]).sum();
        y[i] = (y[i] - s) / g[i * k + i];
    }
    y
}

/// `M = (I − W)ᵀ(I − W)` of the standard barycentric weights.
fn standard_m(data: ArrayView2<f64>, neighbours: &[Vec<usize>], reg: f64) -> SymCsr {
    let n = data.nrows();
    let weights: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            barycenter_weights(data.row(i).as_slice().expect("the kNN index keeps its data in standard layout"), data, &neighbours[i], reg)
        })
        .collect();
    let mut entries = Vec::with_capacity(n * (1 + neighbours.first().map_or(0, |v| v.len() + 1).pow(2)));
    for (i, (idx, w)) in neighbours.iter().zip(&weights).enumerate() {
        // Row i of (I − W) is e_i − Σ_j w_j e_j; M adds its outer product.
        entries.push((i, i, 1.0));
        for (&j, &wj) in idx.iter().zip(w) {
            entries.push((i, j, -wj));
            entries.push((j, i, -wj));
            for (&l, &wl) in idx.iter().zip(w) {
                entries.push((j, l, wj * wl));
            }
        }
    }
    SymCsr::from_triplets(n, entries)
}

/// One point's contribution to MLLE's `M`: its neighbours' block `Wᵢ·Wᵢᵀ`,
/// the cross terms `−Wᵢ·1`, and `sᵢ` on its diagonal.
struct LocalBlock {
    block: Vec<f64>,
    cross: Vec<f64>,
    s: usize,
}

/// MLLE's `M`, as scikit-learn builds it.
fn modified_m(data: ArrayView2<f64>, neighbours: &[Vec<usize>], n_components: usize, modified_tol: f64) -> SymCsr {
    let n = data.nrows();
    let k = neighbours.first().map_or(0, |v| v.len());
    let nev = data.ncols().min(k);
    // Local Gram eigenpairs, eigenvalues descending (only the first nev kept).
    let local: Vec<(Vec<f64>, Array2<f64>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let xi = data.row(i);
            let c = Array2::from_shape_fn((k, data.ncols()), |(a, f)| data[[neighbours[i][a], f]] - xi[f]);
            let (vals, vecs) = symmetric_eigen(&c.dot(&c.t()));
            (vals.iter().take(nev).map(|v| v.max(0.0)).collect(), vecs)
        })
        .collect();
    // η: the median ratio of the small to the large eigenvalues.
    let mut rho: Vec<f64> = local
        .iter()
        .map(|(ev, _)| {
            let big: f64 = ev.iter().take(n_components).sum();
            let small: f64 = ev.iter().skip(n_components).sum();
            if big > 0.0 {
                small / big
            } else {
                0.0
            }
        })
        .collect();
    let eta = median(&mut rho);
    let blocks: Vec<LocalBlock> = local.par_iter().map(|(ev, v)| local_block(ev, v, k, nev, eta, modified_tol)).collect();
    let mut entries = Vec::with_capacity(n * (k * k + 2 * k + 1));
    for (i, (b, idx)) in blocks.iter().zip(neighbours).enumerate() {
        for (a, &ja) in idx.iter().enumerate() {
            for (c, &jc) in idx.iter().enumerate() {
                entries.push((ja, jc, b.block[a * k + c]));
            }
            entries.push((i, ja, -b.cross[a]));
            entries.push((ja, i, -b.cross[a]));
        }
        entries.push((i, i, b.s as f64));
    }
    SymCsr::from_triplets(n, entries)
}

/// One point's MLLE weights: regularised weights, the size `sᵢ` of the
/// almost-null space, and the Householder-turned weight vectors.
fn local_block(ev: &[f64], v: &Array2<f64>, k: usize, nev: usize, eta: f64, modified_tol: f64) -> LocalBlock {
    let reg = 1e-3 * ev.iter().sum::<f64>();
    // w_reg = V·diag(1/(λ + reg))·Vᵀ·1 (λ = 0 past nev), normalised.
    let col_sums: Vec<f64> = (0..k).map(|c| v.column(c).sum()).collect();
    let tmp: Vec<f64> = (0..k).map(|c| col_sums[c] / (ev.get(c).copied().unwrap_or(0.0) + reg).max(f64::MIN_POSITIVE)).collect();
    let mut w_reg: Vec<f64> = (0..k).map(|r| (0..k).map(|c| v[[r, c]] * tmp[c]).sum()).collect();
    let total: f64 = w_reg.iter().sum();
    w_reg.iter_mut().for_each(|w| *w /= total);
    // s: the largest count of trailing eigenvalues whose sum, over the rest, stays below η.
    let mut cumsum = Vec::with_capacity(nev);
    let mut acc = 0.0;
    for &e in ev {
        acc += e;
        cumsum.push(acc);
    }
    let last = cumsum.last().copied().unwrap_or(0.0);
    let eta_range: Vec<f64> =
        cumsum[..nev.saturating_sub(1)].iter().rev().map(|&c| if c > 0.0 { last / c - 1.0 } else { f64::INFINITY }).collect();
    let s = (eta_range.iter().filter(|&&r| r < eta).count() + k - nev).max(1);
    // V_i: the last s eigenvectors; α and the Householder vector h.
    let vi = v.slice(ndarray::s![.., k - s..]).to_owned();
    let vsum: Vec<f64> = (0..s).map(|c| vi.column(c).sum()).collect();
    let alpha = vsum.iter().map(|x| x * x).sum::<f64>().sqrt() / (s as f64).sqrt();
    let mut h: Vec<f64> = vsum.iter().map(|x| alpha - x).collect();
    let norm_h = h.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm_h < modified_tol {
        h.iter_mut().for_each(|x| *x = 0.0);
    } else {
        h.iter_mut().for_each(|x| *x /= norm_h);
    }
    // W_i = V_i − 2(V_i h)hᵀ + (1 − α)·w_reg·1ᵀ.
    let vh: Vec<f64> = (0..k).map(|r| (0..s).map(|c| vi[[r, c]] * h[c]).sum()).collect();
    let wi = Array2::from_shape_fn((k, s), |(r, c)| vi[[r, c]] - 2.0 * vh[r] * h[c] + (1.0 - alpha) * w_reg[r]);
    let block = wi.dot(&wi.t()).iter().copied().collect();
    let cross = (0..k).map(|r| wi.row(r).sum()).collect();
    LocalBlock { block, cross, s }
}

/// numpy's median (mean of the middle two for an even count).
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;
    use ndarray::array;

    #[test]
    fn weights_reconstruct_a_point_inside_its_neighbours() {
        // x at the centre of a square: equal weights, summing to 1.
        let data = array![[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]];
        let w = barycenter_weights(&[0.0, 0.0], data.view(), &[0, 1, 2, 3], 1e-3);
        for v in &w {
            assert!((v - 0.25).abs() < 1e-12, "{w:?}");
        }
    }

    #[test]
    fn rows_of_m_sum_to_zero() {
        let x = Array2::from_shape_fn((30, 3), |(i, j)| ((i * 7 + j * 5) % 13) as f64 + 0.01 * (i * j) as f64);
        let knn = crate::neighbors::exact_knn(x.view(), 6, crate::neighbors::Metric::Euclidean).unwrap();
        let nb: Vec<Vec<usize>> = knn.indices().outer_iter().map(|r| r.to_vec()).collect();
        for m in [standard_m(x.view(), &nb, 1e-3), modified_m(x.view(), &nb, 2, 1e-12)] {
            for i in 0..30 {
                let s: f64 = m.row(i).1.iter().sum();
                assert!(s.abs() < 1e-9, "row {i}: {s}");
            }
        }
    }

    #[test]
    fn bad_parameters() {
        let p = LocallyLinearEmbedding::params;
        assert!(matches!(p().n_neighbors(0).check(), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(p().n_components(0).check(), Err(Error::Param { name: "n_components", .. })));
        assert!(matches!(p().reg(0.0).check(), Err(Error::Param { name: "reg", .. })));
        assert!(matches!(p().modified_tol(-1.0).check(), Err(Error::Param { name: "modified_tol", .. })));
        assert!(matches!(
            p().n_neighbors(2).n_components(3).method(LleMethod::Modified).check(),
            Err(Error::Param { name: "n_neighbors", .. })
        ));
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * (j + 1)) as f64 + 0.1 * j as f64);
        assert!(matches!(p().n_components(3).fit_records(x.view()), Err(Error::Param { name: "n_components", .. })));
        assert!(matches!(p().n_neighbors(10).fit_records(x.view()), Err(Error::Param { name: "n_neighbors", .. })));
    }
}
