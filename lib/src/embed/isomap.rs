//! Isomap: classical MDS of geodesic distances along the kNN graph.
//!
//! Connects each point to its `n_neighbors` nearest neighbours (an undirected
//! graph weighted by distance), measures geodesic distances as shortest paths
//! (Dijkstra from every source, sources in parallel: each row is computed by
//! one task in a fixed order, so the bits do not depend on the thread count),
//! and embeds the double-centred `−½·D²` with its top eigenvectors scaled by
//! `√λ`, exactly as scikit-learn's `Isomap` does through
//! `KernelPCA(kernel="precomputed")` (signs by `svd_flip`). New points reach
//! the training points through their nearest training neighbours:
//! `g(x, j) = min_{i ∈ kNN(x)} (‖x − xᵢ‖ + D[i, j])`, then the same kernel
//! centring with the training statistics.
//!
//! Disconnected graphs: scikit-learn ≥ 1.1 joins the components with extra
//! edges between their closest points (and warns); here the fit fails instead,
//! naming the number of components, because geodesics across an invented edge
//! mean little. Raise `n_neighbors` until the graph is connected.
//!
//! Paper: J. B. Tenenbaum, V. de Silva & J. C. Langford, "A global geometric
//! framework for nonlinear dimensionality reduction", Science 290(5500), 2000.
//!
//! Cost, `n` points in `d` dimensions, `k = n_neighbors`: kNN `O(n²·d)` (exact)
//! or about `O(n·d·log n)` (NN-descent); shortest paths `O(n·(n + n·k)·log n)`;
//! eigenpairs by Lanczos, `O(n²)` per step. Memory `O(n²)`: the geodesic
//! matrix is kept (`dist_matrix_`) to place new points, `O(m·k·n)` each batch.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(400, 0.0, 7)?;
//! let iso = Isomap::params().n_neighbors(10).fit(&ds)?;
//! assert_eq!(iso.embedding().dim(), (400, 2));
//! let new = iso.transform(ds.records().slice(s![..3, ..]))?;
//! assert_eq!(new.dim(), (3, 2));
//! # Ok::<(), lowdim::Error>(())
//! ```

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::shared::{
    check_components, check_neighbors, check_records, embedding_figure, kernel_eigen, par_rows_mut, project_centred, scale_by_root,
    KernelCentring,
};
use crate::error::{check_finite, Error, Result};
use crate::estimator::params;
use crate::estimator::{impl_fit, TargetValues};
use crate::neighbors::{KnnGraph, KnnIndex, KnnMethod, KnnParams, Metric};
use crate::persist::impl_persist;
use crate::plot::Figure;
use crate::render::impl_render;

/// A fitted Isomap: the embedding, the geodesic distances, and the neighbour
/// index that places new points.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Isomap {
    params: IsomapValidParams,
    embedding: Array2<f64>,
    eigenvalues: Vec<f64>,
    eigenvectors: Array2<f64>,
    dist_matrix: Array2<f64>,
    centring: KernelCentring,
    index: KnnIndex,
    coloring: TargetValues,
}

impl Isomap {
    /// The embedding of the training points (`embedding_`).
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// Geodesic (shortest-path) distances between training points (`dist_matrix_`).
    pub fn dist_matrix(&self) -> &Array2<f64> {
        &self.dist_matrix
    }

    /// The top eigenvalues of the centred kernel (`kernel_pca_.eigenvalues_`).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The kNN graph of the training points (`nbrs_`'s graph, self excluded).
    pub fn knn_graph(&self) -> &KnnGraph {
        self.index.graph()
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &IsomapValidParams {
        &self.params
    }

    /// scikit-learn's `reconstruction_error()`: `√(‖K_c‖²_F − Σλ²) / n` for the
    /// centred kernel `K_c` of `−½·D²`.
    pub fn reconstruction_error(&self) -> f64 {
        let mut k = self.dist_matrix.mapv(|d| -0.5 * d * d);
        KernelCentring::fit_centre(&mut k);
        let total: f64 = k.iter().map(|v| v * v).sum();
        let kept: f64 = self.eigenvalues.iter().map(|v| v * v).sum();
        (total - kept).max(0.0).sqrt() / self.dist_matrix.nrows() as f64
    }

    /// Places new rows (as wide as the training data) through their
    /// `n_neighbors` nearest training points, as scikit-learn's `transform`.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.index.dim() {
            return Err(Error::data(format!(
                "X of Isomap::transform must have {} columns like the training data; got {}",
                self.index.dim(),
                x.ncols()
            )));
        }
        if x.nrows() == 0 {
            return Ok(Array2::zeros((0, self.params.n_components)));
        }
        check_finite("X of Isomap::transform", &x)?;
        let knn = self.index.query(x, self.params.n_neighbors)?;
        let n = self.dist_matrix.nrows();
        let mut g = Array2::<f64>::zeros((x.nrows(), n));
        let (indices, distances) = (knn.indices(), knn.distances());
        par_rows_mut(&mut g, |q, row| {
            row.fill(f64::INFINITY);
            let (idx, dist) = (indices.row(q), distances.row(q));
            for (&i, &d) in idx.iter().zip(dist) {
                row.iter_mut().zip(self.dist_matrix.row(i)).for_each(|(r, &di)| *r = r.min(d + di));
            }
            row.iter_mut().for_each(|v| *v = -0.5 * *v * *v);
        });
        self.centring.centre(&mut g);
        Ok(project_centred(&g, &self.eigenvalues, &self.eigenvectors))
    }

    /// A scatter of the embedding, coloured by the training targets.
    pub fn figure(&self) -> Result<Figure> {
        let title = format!("Isomap of {} points (n_neighbors = {})", self.embedding.nrows(), self.params.n_neighbors);
        embedding_figure(&self.embedding, &self.coloring, &title, "Isomap")
    }
}

impl_render!(Isomap, "Isomap", params: params, shapes: [embedding, dist_matrix]);

params! {
    /// Checked Isomap parameters; see [`Isomap::params`].
    Isomap("Isomap") => IsomapParams, IsomapValidParams {
        /// Neighbours per point (the point itself not counted); also below
        /// n_samples at fit.
        n_neighbors: usize = 5 => 1..,
        /// The output dimension; also below n_samples at fit.
        n_components: usize = 2 => 1..,
        /// Edge lengths of the graph.
        metric: Metric = Metric::Euclidean,
        /// `Exact` as scikit-learn; `Auto` or `NnDescent` trade exactness for
        /// speed on large sets.
        knn_method: KnnMethod = KnnMethod::Exact,
        /// The Lanczos start vector (and NN-descent's seed).
        seed: u64 = 0,
    }
}

impl IsomapValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>, coloring: TargetValues) -> Result<Isomap> {
        const WHO: &str = "Isomap";
        check_records(WHO, x, 2, &coloring)?;
        let n = x.nrows();
        check_neighbors(WHO, self.n_neighbors, 1, n)?;
        check_components(WHO, self.n_components, n)?;
        let index = KnnParams::new(self.n_neighbors).metric(self.metric).method(self.knn_method).seed(self.seed).build(x)?;
        let graph = Adjacency::from_knn(index.graph());
        let n_comp = graph.n_components();
        if n_comp > 1 {
            return Err(Error::data(format!(
                "the kNN graph of Isomap (n_neighbors = {}) has {n_comp} connected components, so some geodesic \
                 distances are infinite; increase n_neighbors",
                self.n_neighbors
            )));
        }
        let dist_matrix = graph.all_shortest_paths();
        let mut k = dist_matrix.mapv(|d| -0.5 * d * d);
        let centring = KernelCentring::fit_centre(&mut k);
        let (eigenvalues, eigenvectors) = kernel_eigen(WHO, &k, self.n_components, self.seed)?;
        drop(k);
        let embedding = scale_by_root(&eigenvalues, &eigenvectors);
        Ok(Isomap { params: self.clone(), embedding, eigenvalues, eigenvectors, dist_matrix, centring, index, coloring })
    }
}

impl_fit!(IsomapParams, IsomapValidParams => Isomap, targets);
impl_persist!(Isomap, "Isomap model");

/// The kNN graph made undirected (an edge where either point lists the
/// other), weighted by distance, in compressed rows.
pub(crate) struct Adjacency {
    offsets: Vec<usize>,
    targets: Vec<usize>,
    weights: Vec<f64>,
}

impl Adjacency {
    pub(crate) fn from_knn(knn: &KnnGraph) -> Self {
        let n = knn.n_points();
        let mut lists: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for (i, (idx, dist)) in knn.indices().outer_iter().zip(knn.distances().outer_iter()).enumerate() {
            for (&j, &d) in idx.iter().zip(dist) {
                lists[i].push((j, d));
                lists[j].push((i, d));
            }
        }
        let mut offsets = vec![0];
        let (mut targets, mut weights) = (Vec::new(), Vec::new());
        for mut list in lists {
            // Sorted by target; a pair listed both ways keeps the shorter length.
            list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            list.dedup_by_key(|e| e.0);
            for (j, d) in list {
                targets.push(j);
                weights.push(d);
            }
            offsets.push(targets.len());
        }
        Adjacency { offsets, targets, weights }
    }

    fn n(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of connected components.
    pub(crate) fn n_components(&self) -> usize {
        let n = self.n();
        let mut seen = vec![false; n];
        let mut count = 0;
        let mut stack = Vec::new();
        for s in 0..n {
            if seen[s] {
                continue;
            }
            count += 1;
            seen[s] = true;
            stack.push(s);
            while let Some(v) = stack.pop() {
                for &w in &self.targets[self.offsets[v]..self.offsets[v + 1]] {
                    if !seen[w] {
                        seen[w] = true;
                        stack.push(w);
                    }
                }
            }
        }
        count
    }

    /// All-pairs shortest paths by Dijkstra from every source (in parallel),
    /// symmetrised so that both directions carry the same bits.
    fn all_shortest_paths(&self) -> Array2<f64> {
        let n = self.n();
        let mut d = Array2::<f64>::zeros((n, n));
        par_rows_mut(&mut d, |s, row| self.dijkstra(s, row));
        // Tile by tile, so the transposed reads stay in cache.
        const TILE: usize = 64;
        for bi in (0..n).step_by(TILE) {
            for bj in (0..=bi).step_by(TILE) {
                for i in bi..(bi + TILE).min(n) {
                    for j in bj..(bj + TILE).min(i) {
                        let m = 0.5 * (d[[i, j]] + d[[j, i]]);
                        d[[i, j]] = m;
                        d[[j, i]] = m;
                    }
                }
            }
        }
        d
    }

    /// Shortest distances from `source` into `dist` (∞ where unreachable).
    /// Heap keys are the distances' bit patterns, which order non-negative
    /// floats as the values do, so the heap compares plain integers.
    fn dijkstra(&self, source: usize, dist: &mut [f64]) {
        dist.fill(f64::INFINITY);
        dist[source] = 0.0;
        let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::with_capacity(self.n());
        heap.push(Reverse((0, source as u32)));
        while let Some(Reverse((bits, v))) = heap.pop() {
            let (d, v) = (f64::from_bits(bits), v as usize);
            if d > dist[v] {
                continue;
            }
            for p in self.offsets[v]..self.offsets[v + 1] {
                let (w, nd) = (self.targets[p], d + self.weights[p]);
                if nd < dist[w] {
                    dist[w] = nd;
                    heap.push(Reverse((nd.to_bits(), w as u32)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;
    use ndarray::array;

    #[test]
    fn shortest_paths_on_a_line() {
        let x = array![[0.0], [1.0], [3.0], [6.0]];
        let knn = crate::neighbors::exact_knn(x.view(), 1, Metric::Euclidean).unwrap();
        let g = Adjacency::from_knn(&knn);
        assert_eq!(g.n_components(), 1);
        let d = g.all_shortest_paths();
        assert_eq!(d[[0, 3]], 6.0);
        assert_eq!(d[[3, 1]], 5.0);
    }

    #[test]
    fn bad_parameters() {
        assert!(matches!(Isomap::params().n_neighbors(0).check(), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(Isomap::params().n_components(0).check(), Err(Error::Param { name: "n_components", .. })));
    }

    #[test]
    fn disconnected_graph_is_an_error_naming_the_components() {
        let x = array![[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [10.0, 10.0], [10.1, 10.0], [10.0, 10.1]];
        let err = Isomap::params().n_neighbors(2).n_components(1).fit_records(x.view()).unwrap_err();
        assert!(err.to_string().contains("2 connected components"), "{err}");
    }
}
