//! The affinity graphs of spectral clustering — scikit-learn's kNN
//! connectivity and the dense rbf kernel — in the sparse symmetric form that
//! spectral clustering and ENSC share, with its connected components.

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::embed::shared::rbf_kernel;
use crate::error::{check_finite, Error, Result};
use crate::linalg::SymCsr;

/// A symmetric non-negative weighted graph in compressed sparse rows.
#[derive(Clone, Debug)]
pub(crate) struct SparseGraph {
    pub n: usize,
    pub indptr: Vec<usize>,
    pub indices: Vec<usize>,
    pub weights: Vec<f64>,
}

impl SparseGraph {
    /// From `(row, col, weight)` triplets; duplicates are summed, zeros dropped.
    /// The caller makes the triplets symmetric.
    pub fn from_triplets(n: usize, triplets: Vec<(usize, usize, f64)>) -> Self {
        let (n, indptr, indices, weights) = SymCsr::from_triplets(n, triplets).into_parts();
        let mut g = SparseGraph { n, indptr, indices, weights };
        g.drop_zeros();
        g
    }

    /// From a dense affinity matrix, checking it is square, finite, symmetric
    /// and non-negative.
    pub fn from_dense(a: ArrayView2<f64>) -> Result<Self> {
        let (n, m) = a.dim();
        if n == 0 || n != m {
            return Err(Error::data(format!("a precomputed affinity must be a non-empty square matrix; got {n} × {m}")));
        }
        check_finite("the precomputed affinity", &a)?;
        let scale = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        for i in 0..n {
            for j in 0..n {
                if a[[i, j]] < 0.0 {
                    return Err(Error::data(format!("a precomputed affinity must be ≥ 0; got {} at ({i}, {j})", a[[i, j]])));
                }
                if (a[[i, j]] - a[[j, i]]).abs() > 1e-10 * scale {
                    return Err(Error::data(format!(
                        "a precomputed affinity must be symmetric; entries ({i}, {j}) and ({j}, {i}) differ: {} vs {}",
                        a[[i, j]],
                        a[[j, i]]
                    )));
                }
            }
        }
        let mut indptr = vec![0usize; n + 1];
        let mut indices = Vec::new();
        let mut weights = Vec::new();
        for i in 0..n {
            for j in 0..n {
                // Average the two halves so the graph is exactly symmetric.
                let w = 0.5 * (a[[i, j]] + a[[j, i]]);
                if w > 0.0 {
                    indices.push(j);
                    weights.push(w);
                }
            }
            indptr[i + 1] = indices.len();
        }
        Ok(SparseGraph { n, indptr, indices, weights })
    }

    fn drop_zeros(&mut self) {
        let mut indptr = vec![0usize; self.n + 1];
        let mut indices = Vec::with_capacity(self.indices.len());
        let mut weights = Vec::with_capacity(self.weights.len());
        for i in 0..self.n {
            for p in self.indptr[i]..self.indptr[i + 1] {
                if self.weights[p] != 0.0 {
                    indices.push(self.indices[p]);
                    weights.push(self.weights[p]);
                }
            }
            indptr[i + 1] = indices.len();
        }
        self.indptr = indptr;
        self.indices = indices;
        self.weights = weights;
    }

    /// Weighted degree of every node (self-loops counted once).
    pub fn degrees(&self) -> Vec<f64> {
        (0..self.n).map(|i| self.weights[self.indptr[i]..self.indptr[i + 1]].iter().sum()).collect()
    }

    /// Connected components, each a sorted node list, ordered by their smallest node.
    pub(crate) fn components(&self) -> Vec<Vec<usize>> {
        let mut seen = vec![false; self.n];
        let mut out = Vec::new();
        for start in 0..self.n {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut stack = vec![start];
            let mut nodes = Vec::new();
            while let Some(i) = stack.pop() {
                nodes.push(i);
                for &j in &self.indices[self.indptr[i]..self.indptr[i + 1]] {
                    if !seen[j] {
                        seen[j] = true;
                        stack.push(j);
                    }
                }
            }
            nodes.sort_unstable();
            out.push(nodes);
        }
        out
    }

    /// The sub-graph on `nodes` (sorted), renumbered 0..len.
    pub(crate) fn restrict(&self, nodes: &[usize]) -> SparseGraph {
        if nodes.len() == self.n {
            return self.clone();
        }
        let mut local = vec![usize::MAX; self.n];
        for (l, &g) in nodes.iter().enumerate() {
            local[g] = l;
        }
        let mut indptr = vec![0usize; nodes.len() + 1];
        let mut indices = Vec::new();
        let mut weights = Vec::new();
        for (l, &g) in nodes.iter().enumerate() {
            for p in self.indptr[g]..self.indptr[g + 1] {
                indices.push(local[self.indices[p]]);
                weights.push(self.weights[p]);
            }
            indptr[l + 1] = indices.len();
        }
        SparseGraph { n: nodes.len(), indptr, indices, weights }
    }
}

/// scikit-learn's kNN connectivity: 1 for each point and its neighbours, symmetrised by averaging.
pub(crate) fn knn_connectivity(indices: ArrayView2<usize>) -> SparseGraph {
    let n = indices.nrows();
    let mut triplets = Vec::with_capacity(n * (2 * indices.ncols() + 1));
    for (i, row) in indices.outer_iter().enumerate() {
        triplets.push((i, i, 1.0));
        for &j in row {
            if j != i {
                triplets.push((i, j, 0.5));
                triplets.push((j, i, 0.5));
            }
        }
    }
    SparseGraph::from_triplets(n, triplets)
}

/// The dense rbf kernel as a graph (diagonal included, as scikit-learn's).
pub(crate) fn rbf_graph(x: ArrayView2<f64>, gamma: f64) -> SparseGraph {
    let n = x.nrows();
    let kernel = rbf_kernel(x, None, gamma);
    // Entries that underflowed to 0 are not edges.
    let rows: Vec<(Vec<usize>, Vec<f64>)> = kernel
        .outer_iter()
        .into_par_iter()
        .map(|row| row.iter().enumerate().filter(|&(_, &v)| v > 0.0).map(|(j, &v)| (j, v)).unzip())
        .collect();
    let mut indptr = vec![0usize; n + 1];
    let mut indices = Vec::new();
    let mut weights = Vec::new();
    for (i, (idx, w)) in rows.into_iter().enumerate() {
        indices.extend(idx);
        weights.extend(w);
        indptr[i + 1] = indices.len();
    }
    SparseGraph { n, indptr, indices, weights }
}
