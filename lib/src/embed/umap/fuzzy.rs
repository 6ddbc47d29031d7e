//! The fuzzy topological representation: smooth kNN distances, membership
//! strengths, and the fuzzy set union that makes the graph symmetric.
//!
//! Follows umap-learn 0.5 (`smooth_knn_dist`, `compute_membership_strengths`,
//! `fuzzy_simplicial_set`, `categorical_simplicial_set_intersection`). Cost
//! `O(n·k·64)` for the bisection and `O(n·k)` for the graph.

use ndarray::{Array1, Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::neighbors::KnnGraph;

/// Bisection stops when the kernel sum is this close to its target.
const SMOOTH_K_TOLERANCE: f64 = 1e-5;
/// σ never falls below this fraction of the mean neighbour distance.
const MIN_K_DIST_SCALE: f64 = 1e-3;
/// Bisection steps for σ.
const N_ITER: usize = 64;

/// A symmetric weighted graph in compressed rows: UMAP's fuzzy simplicial set.
/// Row `i` lists `(j, w_ij)` with `j` ascending and `0 < w_ij ≤ 1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FuzzyGraph {
    n: usize,
    offsets: Vec<usize>,
    cols: Vec<usize>,
    weights: Vec<f64>,
}

impl FuzzyGraph {
    /// Number of vertices.
    pub fn n_vertices(&self) -> usize {
        self.n
    }

    /// Number of stored entries (each undirected edge counts twice).
    pub fn n_entries(&self) -> usize {
        self.cols.len()
    }

    /// Row `i`: neighbour indices (ascending) and weights; `None` past the end.
    pub fn row(&self, i: usize) -> Option<(&[usize], &[f64])> {
        let (a, b) = (*self.offsets.get(i)?, *self.offsets.get(i + 1)?);
        Some((&self.cols[a..b], &self.weights[a..b]))
    }

    /// The weight of edge (i, j), 0 when absent.
    pub fn weight(&self, i: usize, j: usize) -> f64 {
        match self.row(i) {
            Some((cols, w)) => cols.binary_search(&j).map(|p| w[p]).unwrap_or(0.0),
            None => 0.0,
        }
    }

    /// All entries as (rows, cols, weights), row-major: scipy's COO triplets.
    pub fn to_coo(&self) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
        let rows = (0..self.n).flat_map(|i| std::iter::repeat_n(i, self.offsets[i + 1] - self.offsets[i])).collect();
        (rows, self.cols.clone(), self.weights.clone())
    }

    /// The dense `n × n` weight matrix (for small graphs and plots).
    pub fn to_dense(&self) -> Array2<f64> {
        let mut m = Array2::zeros((self.n, self.n));
        for i in 0..self.n {
            for p in self.offsets[i]..self.offsets[i + 1] {
                m[[i, self.cols[p]]] = self.weights[p];
            }
        }
        m
    }

    /// Number of connected components. More than one means the embedding lays
    /// the pieces out separately and their relative placement carries no meaning;
    /// a larger `n_neighbors` joins them.
    pub fn n_components(&self) -> usize {
        self.component_labels().0
    }

    /// The largest weight (0 for an empty graph).
    pub fn max_weight(&self) -> f64 {
        self.weights.iter().copied().fold(0.0, f64::max)
    }

    /// Component count and each vertex's component, numbered by first vertex.
    pub(crate) fn component_labels(&self) -> (usize, Vec<usize>) {
        let mut label = vec![usize::MAX; self.n];
        let mut count = 0;
        let mut stack = Vec::new();
        for start in 0..self.n {
            if label[start] != usize::MAX {
                continue;
            }
            label[start] = count;
            stack.push(start);
            while let Some(v) = stack.pop() {
                for &w in &self.cols[self.offsets[v]..self.offsets[v + 1]] {
                    if label[w] == usize::MAX {
                        label[w] = count;
                        stack.push(w);
                    }
                }
            }
            count += 1;
        }
        (count, label)
    }

    pub(crate) fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    pub(crate) fn cols(&self) -> &[usize] {
        &self.cols
    }

    pub(crate) fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The subgraph on `vertices` (ascending), renumbered 0..len.
    pub(crate) fn subgraph(&self, vertices: &[usize]) -> FuzzyGraph {
        let mut local = vec![usize::MAX; self.n];
        for (l, &v) in vertices.iter().enumerate() {
            local[v] = l;
        }
        let rows = vertices
            .iter()
            .map(|&v| {
                let (cols, w) = (&self.cols[self.offsets[v]..self.offsets[v + 1]], &self.weights[self.offsets[v]..self.offsets[v + 1]]);
                cols.iter().zip(w).filter(|(&c, _)| local[c] != usize::MAX).map(|(&c, &w)| (local[c], w)).collect()
            })
            .collect();
        FuzzyGraph::from_rows(rows)
    }

    /// From rows of `(col, weight)` sorted by column, dropping zero weights.
    fn from_rows(rows: Vec<Vec<(usize, f64)>>) -> FuzzyGraph {
        let n = rows.len();
        let mut offsets = Vec::with_capacity(n + 1);
        let mut cols = Vec::new();
        let mut weights = Vec::new();
        offsets.push(0);
        for row in rows {
            for (c, w) in row {
                if w > 0.0 {
                    cols.push(c);
                    weights.push(w);
                }
            }
            offsets.push(cols.len());
        }
        FuzzyGraph { n, offsets, cols, weights }
    }
}

/// σ and ρ of each row of a kNN graph, as umap-learn's `smooth_knn_dist` with
/// `n_neighbors = k + 1` (the point itself is the implicit first neighbour at
/// distance 0, see [`KnnGraph`]).
///
/// ρᵢ is the distance to the nearest non-identical neighbour (interpolated by
/// `local_connectivity`); σᵢ solves `Σⱼ exp(−max(0, dᵢⱼ − ρᵢ)/σᵢ) = log₂(k + 1)` by
/// bisection, floored at 10⁻³ × the mean distance of the row. Returns `(σ, ρ)`.
pub fn smooth_knn_dist(knn: &KnnGraph, local_connectivity: f64) -> Result<(Array1<f64>, Array1<f64>)> {
    check_local_connectivity(local_connectivity)?;
    let (sigmas, rhos) = smooth_rows(knn.distances(), (knn.k() + 1) as f64, local_connectivity, true);
    Ok((Array1::from(sigmas), Array1::from(rhos)))
}

fn check_local_connectivity(lc: f64) -> Result<()> {
    if lc.is_finite() && lc >= 0.0 {
        Ok(())
    } else {
        Err(Error::param("local_connectivity", format!("of UMAP must be a finite number ≥ 0; got {lc}")))
    }
}

/// The bisection behind [`smooth_knn_dist`] on raw distance rows. With
/// `implicit_self`, each row stands for `[0, d₁, …, d_m]` (the point itself
/// first), which counts in the row means but not in the kernel sum.
pub(crate) fn smooth_rows(dists: ArrayView2<f64>, n_neighbors: f64, local_connectivity: f64, implicit_self: bool) -> (Vec<f64>, Vec<f64>) {
    let width = dists.ncols() + usize::from(implicit_self);
    let total: f64 = dists.sum();
    let mean_all = if dists.nrows() * width > 0 { total / (dists.nrows() * width) as f64 } else { 0.0 };
    let target = n_neighbors.log2();
    dists
        .outer_iter()
        .map(|row| {
            let row: Vec<f64> = row.to_vec();
            let rho = rho_of(&row, local_connectivity);
            let mut sigma = bisect_sigma(&row, rho, target);
            let row_mean = row.iter().sum::<f64>() / width.max(1) as f64;
            let floor = MIN_K_DIST_SCALE * if rho > 0.0 { row_mean } else { mean_all };
            if sigma < floor {
                sigma = floor;
            }
            (sigma, rho)
        })
        .unzip()
}

/// Distance to the `local_connectivity`-th non-zero neighbour, interpolated.
fn rho_of(row: &[f64], local_connectivity: f64) -> f64 {
    let non_zero: Vec<f64> = row.iter().copied().filter(|&d| d > 0.0).collect();
    if non_zero.len() as f64 >= local_connectivity {
        let index = local_connectivity.floor() as usize;
        let interpolation = local_connectivity - index as f64;
        if index > 0 {
            let mut rho = non_zero[index - 1];
            if interpolation > SMOOTH_K_TOLERANCE {
                if let Some(&next) = non_zero.get(index) {
                    rho += interpolation * (next - non_zero[index - 1]);
                }
            }
            rho
        } else {
            non_zero.first().map_or(0.0, |&d| interpolation * d)
        }
    } else {
        non_zero.iter().copied().fold(0.0, f64::max)
    }
}

/// σ such that the kernel sum over the row meets `target`.
fn bisect_sigma(row: &[f64], rho: f64, target: f64) -> f64 {
    let (mut lo, mut hi, mut mid) = (0.0f64, f64::MAX, 1.0f64);
    for _ in 0..N_ITER {
        let psum: f64 = row.iter().map(|&d| if d - rho > 0.0 { (-(d - rho) / mid).exp() } else { 1.0 }).sum();
        if (psum - target).abs() < SMOOTH_K_TOLERANCE {
            break;
        }
        if psum > target {
            hi = mid;
            mid = (lo + hi) / 2.0;
        } else {
            lo = mid;
            if hi == f64::MAX {
                mid *= 2.0;
            } else {
                mid = (lo + hi) / 2.0;
            }
        }
    }
    mid
}

/// Membership strength of a neighbour at distance `d`: 1 within ρ, then
/// `exp(−(d − ρ)/σ)`.
#[inline]
pub(crate) fn membership(d: f64, sigma: f64, rho: f64) -> f64 {
    if d - rho <= 0.0 || sigma == 0.0 {
        1.0
    } else {
        (-(d - rho) / sigma).exp()
    }
}

/// UMAP's graph of a kNN graph: directed memberships `A`, then the fuzzy union
/// `mix·(A + Aᵀ − A∘Aᵀ) + (1 − mix)·A∘Aᵀ` (`mix` = `set_op_mix_ratio`).
pub fn fuzzy_simplicial_set(knn: &KnnGraph, local_connectivity: f64, set_op_mix_ratio: f64) -> Result<FuzzyGraph> {
    if !(0.0..=1.0).contains(&set_op_mix_ratio) {
        return Err(Error::param("set_op_mix_ratio", format!("of UMAP must be in [0, 1]; got {set_op_mix_ratio}")));
    }
    let n = knn.n_points();
    if let Some(&j) = knn.indices().iter().find(|&&j| j >= n) {
        return Err(Error::data(format!(
            "the kNN graph of fuzzy_simplicial_set must index its own {n} points; it lists point {j} (a query result?)"
        )));
    }
    let (sigmas, rhos) = smooth_knn_dist(knn, local_connectivity)?;
    let directed: Vec<Vec<(usize, f64)>> = knn
        .indices()
        .outer_iter()
        .zip(knn.distances().outer_iter())
        .enumerate()
        .map(|(i, (idx, dist))| {
            let mut row: Vec<(usize, f64)> = idx.iter().zip(dist).map(|(&j, &d)| (j, membership(d, sigmas[i], rhos[i]))).collect();
            row.sort_unstable_by_key(|e| e.0);
            row
        })
        .collect();
    Ok(symmetrize(&directed, set_op_mix_ratio))
}

/// The fuzzy union/intersection mix of `A` (rows sorted by column) and `Aᵀ`.
fn symmetrize(directed: &[Vec<(usize, f64)>], mix: f64) -> FuzzyGraph {
    let n = directed.len();
    // Transpose by counting sort, so each reverse list comes out sorted by source.
    let mut counts = vec![0usize; n + 1];
    for row in directed {
        for &(j, _) in row {
            counts[j + 1] += 1;
        }
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let mut reverse = vec![(0usize, 0.0f64); counts[n]];
    let mut fill = counts.clone();
    for (i, row) in directed.iter().enumerate() {
        for &(j, w) in row {
            reverse[fill[j]] = (i, w);
            fill[j] += 1;
        }
    }
    let rows: Vec<Vec<(usize, f64)>> =
        (0..n).into_par_iter().map(|i| merge_row(&directed[i], &reverse[counts[i]..counts[i + 1]], mix)).collect();
    FuzzyGraph::from_rows(rows)
}

/// Merges a row of `A` with the same row of `Aᵀ` (both sorted by column).
fn merge_row(fwd: &[(usize, f64)], rev: &[(usize, f64)], mix: f64) -> Vec<(usize, f64)> {
    let combine = |a: f64, t: f64| mix * (a + t - a * t) + (1.0 - mix) * a * t;
    let (mut p, mut q) = (0, 0);
    let mut out = Vec::with_capacity(fwd.len() + rev.len());
    while p < fwd.len() || q < rev.len() {
        let (cf, cr) = (fwd.get(p).map_or(usize::MAX, |e| e.0), rev.get(q).map_or(usize::MAX, |e| e.0));
        if cf == cr {
            out.push((cf, combine(fwd[p].1, rev[q].1)));
            p += 1;
            q += 1;
        } else if cf < cr {
            out.push((cf, combine(fwd[p].1, 0.0)));
            p += 1;
        } else {
            out.push((cr, combine(0.0, rev[q].1)));
            q += 1;
        }
    }
    out
}

/// Supervised UMAP's intersection with the label graph (umap-learn's
/// `discrete_metric_simplicial_set_intersection` with the categorical metric):
/// an edge touching an unlabelled point is scaled by e⁻¹, one between different
/// labels by `e^{−far_dist}`; rows are then rescaled to a maximum of 1 and the
/// union taken again.
pub(crate) fn categorical_intersection(graph: &FuzzyGraph, labels: &[Option<usize>], far_dist: f64) -> FuzzyGraph {
    const UNKNOWN_DIST: f64 = 1.0;
    let rows: Vec<Vec<(usize, f64)>> = (0..graph.n)
        .map(|i| {
            let (cols, w) = (&graph.cols[graph.offsets[i]..graph.offsets[i + 1]], &graph.weights[graph.offsets[i]..graph.offsets[i + 1]]);
            let scaled: Vec<(usize, f64)> = cols
                .iter()
                .zip(w)
                .map(|(&j, &w)| {
                    let factor = match (labels[i], labels[j]) {
                        (Some(a), Some(b)) if a != b => (-far_dist).exp(),
                        (Some(_), Some(_)) => 1.0,
                        _ => (-UNKNOWN_DIST).exp(),
                    };
                    (j, w * factor)
                })
                .filter(|e| e.1 > 0.0)
                .collect();
            let max = scaled.iter().fold(0.0f64, |m, e| m.max(e.1));
            scaled.into_iter().map(|(j, w)| (j, w / max)).collect()
        })
        .collect();
    symmetrize(&rows, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn sigma_meets_its_target() {
        let d = array![[1.0, 2.0, 3.0, 4.0]];
        let (s, r) = smooth_rows(d.view(), 5.0, 1.0, true);
        assert_eq!(r[0], 1.0);
        let psum: f64 = d.row(0).iter().map(|&x| membership(x, s[0], r[0])).sum();
        assert!((psum - 5f64.log2()).abs() < 1e-4, "{psum}");
    }

    #[test]
    fn duplicates_give_rho_zero_and_the_global_floor() {
        let d = array![[0.0, 0.0], [1.0, 2.0], [1.0, 3.0]];
        let (s, r) = smooth_rows(d.view(), 3.0, 1.0, true);
        assert_eq!(r[0], 0.0);
        let mean_all = 7.0 / 9.0;
        assert!((s[0] - 1e-3 * mean_all).abs() < 1e-12);
    }

    #[test]
    fn union_is_symmetric_and_mix_zero_intersects() {
        let directed = vec![vec![(1, 0.5)], vec![(0, 0.5), (2, 1.0)], vec![]];
        let g = symmetrize(&directed, 1.0);
        assert_eq!(g.weight(0, 1), 0.75);
        assert_eq!(g.weight(2, 1), 1.0);
        assert_eq!(g.weight(1, 2), 1.0);
        let h = symmetrize(&directed, 0.0);
        assert_eq!(h.weight(0, 1), 0.25);
        assert_eq!(h.weight(1, 2), 0.0);
        assert_eq!(h.n_entries(), 2);
        assert_eq!(g.n_components(), 1);
        assert_eq!(h.n_components(), 2);
    }

    #[test]
    fn a_graph_pointing_elsewhere_is_an_error() {
        let g = KnnGraph::new(array![[1], [5]], array![[1.0], [1.0]]).unwrap();
        assert!(matches!(fuzzy_simplicial_set(&g, 1.0, 1.0), Err(Error::Data(_))));
    }

    #[test]
    fn labels_cut_edges_between_classes() {
        let directed = vec![vec![(1, 1.0), (2, 1.0)], vec![(0, 1.0), (2, 1.0)], vec![(0, 1.0), (1, 1.0)]];
        let g = symmetrize(&directed, 1.0);
        let s = categorical_intersection(&g, &[Some(0), Some(0), Some(1)], 1e12);
        assert_eq!(s.weight(0, 1), 1.0);
        assert_eq!(s.weight(0, 2), 0.0);
        // Edges of an unlabelled point survive (scaled by e⁻¹ before the rows are rescaled).
        let u = categorical_intersection(&g, &[Some(0), Some(0), None], 1e12);
        assert!(u.weight(0, 2) > 0.0 && u.weight(1, 2) > 0.0);
        assert_eq!(u.weight(0, 1), 1.0);
    }
}
