//! Spectral initialisation: the eigenvectors of the normalised graph Laplacian
//! `L = I − D^{−1/2} W D^{−1/2}` for its smallest non-trivial eigenvalues, as
//! umap-learn's `spectral_layout`, with disconnected graphs laid out one
//! component at a time (`multi_component_layout`).
//!
//! Cost: a few hundred sparse products (`O(n·k)` each) plus `O(n·m²)`
//! reorthogonalisation per restart with `m ≤ 64` basis vectors.

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use super::fuzzy::FuzzyGraph;
use crate::linalg::symmetric_eigen;
use crate::linalg::top_eigenpairs;
use crate::rng::{self, stream};

/// Graphs up to this size are solved densely (Jacobi).
const DENSE_MAX: usize = 64;
/// Residual tolerance of the eigenvectors (umap-learn asks ARPACK for 1e-4).
const TOL: f64 = 1e-4;
/// Sparse products allowed before the best vectors so far are taken.
const MAX_MATVECS: usize = 1500;
/// Rows per parallel task of the sparse product.
const ROWS_PER_TASK: usize = 1024;

/// A `n × dim` spectral layout of `graph` (unscaled: unit-norm eigenvectors,
/// components offset from each other). `data` (prepared rows) places
/// components relative to each other when there are many.
pub(crate) fn spectral_layout(graph: &FuzzyGraph, data: ArrayView2<f64>, dim: usize, seed: u64) -> Array2<f64> {
    let (n_comp, labels) = graph.component_labels();
    if n_comp <= 1 {
        return connected_layout(graph, dim, seed)
            .unwrap_or_else(|| uniform(graph.n_vertices(), dim, 10.0, rng::derive(seed, stream::SPECTRAL, u64::MAX)));
    }
    multi_component_layout(graph, data, &labels, n_comp, dim, seed)
}

/// Points uniform in [−half, half]^dim.
fn uniform(n: usize, dim: usize, half: f64, seed: u64) -> Array2<f64> {
    let mut g = rng::xoshiro(seed);
    Array2::from_shape_simple_fn((n, dim), || g.gen_range(-half..half))
}

/// The eigenvector layout of a connected graph, or `None` when it has too
/// few vertices for `dim` non-trivial eigenvectors or the solver fails.
fn connected_layout(graph: &FuzzyGraph, dim: usize, seed: u64) -> Option<Array2<f64>> {
    let n = graph.n_vertices();
    if n <= dim + 1 {
        return None;
    }
    let (offsets, cols, weights) = (graph.offsets(), graph.cols(), graph.weights());
    let sqrt_deg: Vec<f64> = (0..n).map(|i| weights[offsets[i]..offsets[i + 1]].iter().sum::<f64>().sqrt()).collect();
    if sqrt_deg.iter().any(|&s| s <= 0.0) {
        return None;
    }
    let vectors = if n <= DENSE_MAX {
        let m = Array2::from_shape_fn((n, n), |(i, j)| graph.weight(i, j) / (sqrt_deg[i] * sqrt_deg[j]));
        let (_, vecs) = symmetric_eigen(&m);
        // Column 0 is the trivial eigenvector (eigenvalue 1 of the normalised adjacency).
        Array2::from_shape_fn((n, dim), |(r, c)| vecs[[r, c + 1]])
    } else {
        let apply = |x: &[f64], y: &mut [f64]| {
            y.par_chunks_mut(ROWS_PER_TASK).enumerate().for_each(|(t, chunk)| {
                for (r, out) in chunk.iter_mut().enumerate() {
                    let i = t * ROWS_PER_TASK + r;
                    let mut s = 0.0;
                    for p in offsets[i]..offsets[i + 1] {
                        s += weights[p] * x[cols[p]] / sqrt_deg[cols[p]];
                    }
                    *out = s / sqrt_deg[i];
                }
            });
        };
        let norm = sqrt_deg.iter().map(|s| s * s).sum::<f64>().sqrt();
        let trivial: Vec<f64> = sqrt_deg.iter().map(|s| s / norm).collect();
        let (_, vecs) = top_eigenpairs(n, &apply, &[trivial], dim, rng::derive(seed, stream::SPECTRAL, n as u64), TOL, MAX_MATVECS);
        vecs
    };
    let vectors = flip_signs(vectors);
    vectors.iter().all(|v| v.is_finite()).then_some(vectors)
}

/// Makes the largest-magnitude entry of each column positive, so the layout
/// does not depend on the solver's sign convention.
fn flip_signs(mut v: Array2<f64>) -> Array2<f64> {
    for mut col in v.columns_mut() {
        let pivot = col.iter().copied().fold(0.0f64, |best, x| if x.abs() > best.abs() { x } else { best });
        if pivot < 0.0 {
            col.mapv_inplace(|x| -x);
        }
    }
    v
}

/// Each component laid out on its own, scaled to half the distance to the
/// nearest other component's anchor, around anchors from [`meta_layout`].
fn multi_component_layout(
    graph: &FuzzyGraph,
    data: ArrayView2<f64>,
    labels: &[usize],
    n_comp: usize,
    dim: usize,
    seed: u64,
) -> Array2<f64> {
    let n = graph.n_vertices();
    let meta = meta_layout(data, labels, n_comp, dim, seed);
    let mut result = Array2::<f64>::zeros((n, dim));
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_comp];
    for (v, &c) in labels.iter().enumerate() {
        members[c].push(v);
    }
    for (c, verts) in members.iter().enumerate() {
        let anchor = meta.row(c);
        let nearest = (0..n_comp)
            .filter(|&o| o != c)
            .map(|o| anchor.iter().zip(meta.row(o)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt())
            .filter(|&d| d > 0.0)
            .fold(f64::INFINITY, f64::min);
        let half = if nearest.is_finite() { nearest / 2.0 } else { 1.0 };
        let comp_seed = rng::derive(seed, stream::COMPONENTS, c as u64);
        let layout = if verts.len() < 2 * dim || verts.len() <= dim + 1 {
            None
        } else {
            connected_layout(&graph.subgraph(verts), dim, comp_seed).map(|emb| {
                let max = emb.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                if max > 0.0 {
                    emb * (half / max)
                } else {
                    emb
                }
            })
        };
        let layout = layout.unwrap_or_else(|| uniform(verts.len(), dim, half, comp_seed));
        for (row, &v) in verts.iter().enumerate() {
            for j in 0..dim {
                result[[v, j]] = layout[[row, j]] + anchor[j];
            }
        }
    }
    result
}

/// Anchors of the components: ± unit vectors when there are at most `2·dim`
/// (umap-learn's choice); otherwise the principal coordinates of the component
/// centroids (a random projection of them past 256 components), scaled to a
/// largest coordinate of 1.
fn meta_layout(data: ArrayView2<f64>, labels: &[usize], n_comp: usize, dim: usize, seed: u64) -> Array2<f64> {
    if n_comp <= 2 * dim {
        let k = n_comp.div_ceil(2);
        return Array2::from_shape_fn((n_comp, dim), |(c, j)| match (c < k, c % k == j) {
            (true, true) => 1.0,
            (false, true) if c - k == j => -1.0,
            _ => 0.0,
        });
    }
    let d = data.ncols();
    let mut centroids = Array2::<f64>::zeros((n_comp, d));
    let mut counts = vec![0.0f64; n_comp];
    for (row, &c) in data.outer_iter().zip(labels) {
        let mut target = centroids.row_mut(c);
        target += &row;
        counts[c] += 1.0;
    }
    for (mut row, &count) in centroids.outer_iter_mut().zip(&counts) {
        row /= count.max(1.0);
    }
    let mean = centroids.mean_axis(ndarray::Axis(0)).unwrap_or_else(|| ndarray::Array1::zeros(d));
    centroids -= &mean;
    let coords = if n_comp <= 256 {
        let gram = centroids.dot(&centroids.t());
        let (vals, vecs) = symmetric_eigen(&gram);
        Array2::from_shape_fn((n_comp, dim), |(c, j)| if j < n_comp { vecs[[c, j]] * vals[j].max(0.0).sqrt() } else { 0.0 })
    } else {
        let mut g = rng::xoshiro(rng::derive(seed, stream::COMPONENTS, u64::MAX));
        let proj = Array2::from_shape_simple_fn((d, dim), || g.sample::<f64, _>(StandardNormal));
        centroids.dot(&proj)
    };
    let max = coords.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if max > 0.0 && max.is_finite() {
        coords / max
    } else {
        uniform(n_comp, dim, 1.0, rng::derive(seed, stream::COMPONENTS, u64::MAX - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_anchor_sets_are_signed_unit_vectors() {
        let x = Array2::<f64>::zeros((3, 2));
        let meta = meta_layout(x.view(), &[0, 1, 2], 3, 2, 0);
        assert_eq!(meta, ndarray::array![[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]);
    }
}
