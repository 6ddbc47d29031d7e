//! FastRP node embeddings: iterated very sparse random projections of a graph's
//! normalised adjacency (Chen et al.).
//!
//! With `A` the (symmetrised, weighted) adjacency, `M = D⁻¹·A` the transition
//! matrix (or `A` itself), `R` an `n × dim` very sparse random projection
//! (density `1/√n`, as the reference code) and `L = diag(degree^β)`:
//!
//! ```text
//! N₁ = M·L·R,   Nᵢ = M·Nᵢ₋₁ (i = 2 … q),   U = Σᵢ αᵢ·Nᵢ  (each Nᵢ optionally row-L2-normalised)
//! ```
//!
//! and `U` is standardised column by column (zero mean, unit variance), as the
//! reference code's `scale`. `q` is the number of weights `α`; the defaults are
//! the widely used tuned setting `α = [1, 1, 7.81, 45.28]`, `β = −0.628` (a
//! negative β lowers the weight of high-degree nodes). Nodes that share
//! neighbourhoods get close embeddings, so communities separate; FastRP has no
//! training loop, only `q` sparse products.
//!
//! Input: a [`KnnGraph`] (made undirected: an edge where either end lists the
//! other, weight 1), a weighted undirected edge list, or data rows (their kNN
//! graph is built first). An isolated node has no neighbours to average, so its
//! rows of `Nᵢ` are zero.
//!
//! Paper: H. Chen, S. F. Sultan, Y. Tian, M. Chen & S. Skiena, "Fast and
//! accurate network embeddings via very sparse random projection", CIKM 2019
//! (arXiv:1908.11512); reference code GTmac/FastRP.
//!
//! Cost: `O(q·|E|·dim)` time, `O(n·dim + |E|)` memory. Rows are computed
//! independently from a seeded projection, so results are bit-identical at any
//! thread count.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = blobs(200, 2, 5, 0.5, 1)?;
//! let graph = exact_knn(ds.records().view(), 10, Metric::Euclidean)?;
//! let rp = FastRp::params().dim(32).seed(2).fit_graph(&graph)?;
//! assert_eq!(rp.embedding().dim(), (200, 32));
//! # Ok::<(), lowdim::Error>(())
//! ```

use linfa::ParamGuard;
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::sparse_random_projection::SparseRandomProjection;
use crate::error::{check_finite, Error, Result};
use crate::estimator::{impl_fit, params};
use crate::neighbors::{KnnGraph, KnnParams};
use crate::persist::impl_persist;
use crate::plot::{scatter, Color, Figure};
use crate::render::impl_render;

/// A fitted FastRP embedding; start from [`FastRp::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct FastRp {
    embedding: Array2<f64>,
    degrees: Vec<f64>,
    params: FastRpValidParams,
}

params! {
    /// Checked FastRP parameters; see [`FastRp::params`].
    FastRp("FastRP") => FastRpParams, FastRpValidParams {
        /// The embedding dimension.
        dim: usize = 128 => 1..,
        /// α, one weight per power of `M` (so their number is q); non-empty
        /// and finite. The default is the widely used tuned setting.
        weights: Vec<f64> = vec![1.0, 1.0, 7.81, 45.28]; from &[f64],
        /// β: the projection of node `j` is weighted by `degree_j^β`.
        beta: f64 = -0.628 => finite(),
        /// L2-normalise the rows of each `Nᵢ` before summing.
        normalize_rows: bool = false,
        /// True: `M = D⁻¹A`; false: `A` itself.
        transition: bool = true,
        /// Non-zeros of the projection; unset: `1/√n`.
        density: Option<f64> = None => left_open(0.0, 1.0); from f64,
        /// The kNN graph of `fit_records` and `fit`; also below n_samples there.
        n_neighbors: usize = 15 => 1..,
        /// The projection (and the kNN graph's seed).
        seed: u64 = 0,
    }
    check(p) {
        if p.weights.is_empty() || p.weights.iter().any(|w| !w.is_finite()) {
            return Err(Error::param("weights", format!("of FastRP must be a non-empty list of finite numbers; got {:?}", p.weights)));
        }
    }
}

impl FastRp {
    /// The embedding, `n × dim`, standardised per column.
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// Weighted degree of every node of the undirected graph.
    pub fn degrees(&self) -> &[f64] {
        &self.degrees
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &FastRpValidParams {
        &self.params
    }

    /// A scatter of the first two embedding coordinates, uncoloured.
    pub fn figure(&self) -> Result<Figure> {
        self.scatter_figure(Color::None)
    }

    /// A scatter of the first two embedding coordinates, coloured by `labels`
    /// (one per node).
    pub fn figure_labelled(&self, labels: &[usize]) -> Result<Figure> {
        self.scatter_figure(Color::Labels(labels))
    }

    fn scatter_figure(&self, color: Color) -> Result<Figure> {
        let (n, dim) = self.embedding.dim();
        let points = Array2::from_shape_fn((n, 2), |(i, j)| if j < dim { self.embedding[[i, j]] } else { 0.0 });
        Ok(scatter(points.view(), color)?
            .title(&format!("FastRP of {n} nodes (dim {dim}), first two coordinates"))
            .axis_labels(&["FastRP 1", "FastRP 2"]))
    }
}

impl_render!(FastRp, "FastRP", params: params, shapes: [embedding]);

impl FastRpParams {
    /// Checks the parameters and embeds the nodes of a kNN graph.
    pub fn fit_graph(&self, graph: &KnnGraph) -> Result<FastRp> {
        self.check_ref()?.fit_graph(graph)
    }

    /// Checks the parameters and embeds `n_nodes` nodes joined by undirected
    /// weighted `edges` `(i, j, w)`.
    pub fn fit_edges(&self, n_nodes: usize, edges: &[(usize, usize, f64)]) -> Result<FastRp> {
        self.check_ref()?.fit_edges(n_nodes, edges)
    }
}

/// An undirected weighted graph in compressed rows.
struct Adjacency {
    start: Vec<usize>,
    neighbours: Vec<(usize, f64)>,
}

impl Adjacency {
    /// Both directions of every edge; repeated pairs are summed (or, with
    /// `union`, kept once at weight 1).
    fn new(n: usize, edges: impl Iterator<Item = (usize, usize, f64)>, union: bool) -> Self {
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for (i, j, w) in edges {
            rows[i].push((j, w));
            if i != j {
                rows[j].push((i, w));
            }
        }
        let mut start = vec![0];
        let mut neighbours = Vec::new();
        for mut row in rows {
            row.sort_by_key(|&(j, _)| j);
            let first = neighbours.len();
            for (j, w) in row {
                let repeated = neighbours.len() > first && neighbours.last().map(|&(last, _)| last) == Some(j);
                match neighbours.last_mut() {
                    Some((_, acc)) if repeated => {
                        if !union {
                            *acc += w;
                        }
                    }
                    _ => neighbours.push((j, w)),
                }
            }
            start.push(neighbours.len());
        }
        Adjacency { start, neighbours }
    }

    fn row(&self, i: usize) -> &[(usize, f64)] {
        &self.neighbours[self.start[i]..self.start[i + 1]]
    }

    fn n(&self) -> usize {
        self.start.len() - 1
    }
}

impl FastRpValidParams {
    /// Embeds the nodes of a kNN graph (made undirected, weight 1 per edge).
    pub fn fit_graph(&self, graph: &KnnGraph) -> Result<FastRp> {
        let idx = graph.indices();
        let edges = idx.outer_iter().enumerate().flat_map(|(i, row)| row.iter().map(move |&j| (i, j, 1.0)).collect::<Vec<_>>());
        self.embed(Adjacency::new(graph.n_points(), edges, true))
    }

    /// Embeds `n_nodes` nodes joined by undirected weighted `edges` `(i, j, w)`;
    /// weights must be finite and ≥ 0, repeated pairs add up.
    pub fn fit_edges(&self, n_nodes: usize, edges: &[(usize, usize, f64)]) -> Result<FastRp> {
        if n_nodes == 0 {
            return Err(Error::param("n_nodes", "of FastRP must be ≥ 1; got 0"));
        }
        if let Some(&(i, j, _)) = edges.iter().find(|&&(i, j, _)| i >= n_nodes || j >= n_nodes) {
            return Err(Error::param("edges", format!("of FastRP must join nodes in [0, n_nodes = {n_nodes}); got ({i}, {j})")));
        }
        if let Some(&(i, j, w)) = edges.iter().find(|&&(_, _, w)| !(w.is_finite() && w >= 0.0)) {
            return Err(Error::param("edges", format!("of FastRP must have finite weights ≥ 0; got {w} on ({i}, {j})")));
        }
        self.embed(Adjacency::new(n_nodes, edges.iter().copied(), false))
    }

    /// Embeds the rows of `records` through their `n_neighbors` kNN graph.
    fn fit_impl(&self, records: ArrayView2<f64>) -> Result<FastRp> {
        let (n, d) = records.dim();
        if n == 0 || d == 0 {
            return Err(Error::data(format!("FastRP needs a non-empty n_samples × n_features matrix; got {n} × {d}")));
        }
        if self.n_neighbors >= n {
            return Err(Error::param("n_neighbors", format!("of FastRP must be in [1, n_samples = {n}); got {}", self.n_neighbors)));
        }
        check_finite("X of FastRP", &records)?;
        let graph = KnnParams::new(self.n_neighbors).seed(self.seed).graph(records)?;
        self.fit_graph(&graph)
    }

    fn embed(&self, a: Adjacency) -> Result<FastRp> {
        let n = a.n();
        let dim = self.dim;
        let degrees: Vec<f64> = (0..n).map(|i| a.row(i).iter().map(|&(_, w)| w).sum()).collect();
        let density = self.density.unwrap_or(1.0 / (n as f64).sqrt()).min(1.0);
        let projection = SparseRandomProjection::draw(n, dim, density, self.seed)?;
        // L·R as a dense n × dim matrix: node j's projection row times degree_j^β.
        let mut current = Array2::<f64>::zeros((n, dim));
        for c in 0..dim {
            for (j, v) in projection.row(c) {
                let scale = if degrees[j] > 0.0 { degrees[j].powf(self.beta) } else { 0.0 };
                current[[j, c]] = v * scale;
            }
        }
        let mut total = Array2::<f64>::zeros((n, dim));
        for &alpha in &self.weights {
            current = self.propagate(&a, &degrees, current.view());
            let mut term = current.clone();
            if self.normalize_rows {
                for mut row in term.rows_mut() {
                    let norm = row.dot(&row).sqrt();
                    if norm > 0.0 {
                        row.mapv_inplace(|v| v / norm);
                    }
                }
            }
            total.scaled_add(alpha, &term);
        }
        standardise(&mut total);
        Ok(FastRp { embedding: total, degrees, params: self.clone() })
    }

    /// `M·x`, one output row per node, in parallel.
    fn propagate(&self, a: &Adjacency, degrees: &[f64], x: ArrayView2<f64>) -> Array2<f64> {
        let (n, dim) = x.dim();
        let rows: Vec<f64> = (0..n)
            .into_par_iter()
            .flat_map_iter(|i| {
                let mut out = vec![0.0; dim];
                let norm = if self.transition && degrees[i] > 0.0 { 1.0 / degrees[i] } else { 1.0 };
                for &(j, w) in a.row(i) {
                    for (o, v) in out.iter_mut().zip(x.row(j)) {
                        *o += w * norm * v;
                    }
                }
                out
            })
            .collect();
        Array2::from_shape_vec((n, dim), rows).expect("dim values per node fill an n × dim matrix")
    }
}

/// Zero mean and unit variance per column (a constant column is only centred),
/// as scikit-learn's `scale`.
fn standardise(u: &mut Array2<f64>) {
    let n = u.nrows() as f64;
    for mut col in u.columns_mut() {
        let mean = col.sum() / n;
        let var = col.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
        col.mapv_inplace(|v| (v - mean) / sd);
    }
}

impl_fit!(FastRpParams, FastRpValidParams => FastRp);
impl_persist!(FastRp, "FastRP embedding");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::blobs;
    use crate::metrics::knn_accuracy;
    use crate::neighbors::{exact_knn, Metric};

    #[test]
    fn planted_communities_are_recovered() {
        let ds = blobs(600, 4, 10, 1.0, 3).unwrap();
        let labels: Vec<usize> = ds.targets().to_vec();
        let graph = exact_knn(ds.records().view(), 10, Metric::Euclidean).unwrap();
        let rp = FastRp::params().dim(64).seed(1).fit_graph(&graph).unwrap();
        let acc = knn_accuracy(rp.embedding().view(), &labels, 5, 5, 0).unwrap();
        assert!(acc > 0.97, "kNN accuracy {acc}");
        // The same degrees with random partners carry no community signal.
        let edges: Vec<(usize, usize, f64)> =
            (0..600).flat_map(|i| (1..=10).map(move |c| (i, (i * 7919 + c * 104_729) % 600, 1.0))).filter(|&(i, j, _)| i != j).collect();
        let noise = FastRp::params().dim(64).seed(1).fit_edges(600, &edges).unwrap();
        assert!(knn_accuracy(noise.embedding().view(), &labels, 5, 5, 0).unwrap() < 0.5);
    }

    #[test]
    fn propagation_averages_neighbours() {
        // Path 0 – 1 – 2: with M = D⁻¹A, row 1 of N₂ is the mean of rows 0 and 2 of N₁.
        let p = FastRp::params().dim(4).check().unwrap();
        let a = Adjacency::new(3, [(0, 1, 1.0), (1, 2, 1.0)].into_iter(), false);
        let deg = vec![1.0, 2.0, 1.0];
        let x = Array2::from_shape_fn((3, 4), |(i, j)| (i * 4 + j) as f64);
        let y = p.propagate(&a, &deg, x.view());
        assert_eq!(y.row(1).to_vec(), ((&x.row(0) + &x.row(2)) / 2.0).to_vec());
        assert_eq!(y.row(0), x.row(1));
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let ds = blobs(300, 3, 4, 1.0, 5).unwrap();
        let run = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| FastRp::params().dim(16).n_neighbors(8).normalize_rows(true).seed(7).fit(&ds).unwrap())
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_parameters() {
        let bad = |p: FastRpParams, name: &str| assert!(matches!(p.check(), Err(Error::Param { name: n, .. }) if n == name));
        bad(FastRp::params().dim(0), "dim");
        bad(FastRp::params().dim(8).weights(&[]), "weights");
        bad(FastRp::params().dim(8).weights(&[1.0, f64::NAN]), "weights");
        bad(FastRp::params().dim(8).beta(f64::INFINITY), "beta");
        bad(FastRp::params().dim(8).density(1.5), "density");
        bad(FastRp::params().dim(8).n_neighbors(0), "n_neighbors");
    }

    #[test]
    fn bad_input() {
        let p = FastRp::params().dim(8);
        assert!(matches!(p.fit_edges(0, &[]), Err(Error::Param { name: "n_nodes", .. })));
        assert!(matches!(p.fit_edges(3, &[(0, 3, 1.0)]), Err(Error::Param { name: "edges", .. })));
        assert!(matches!(p.fit_edges(3, &[(0, 1, -1.0)]), Err(Error::Param { name: "edges", .. })));
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i + j) as f64);
        assert!(matches!(p.clone().n_neighbors(10).fit_records(x.view()), Err(Error::Param { name: "n_neighbors", .. })));
        let mut y = x.clone();
        y[[0, 0]] = f64::NAN;
        assert!(matches!(p.clone().n_neighbors(3).fit_records(y.view()), Err(Error::Data(_))));
        // An isolated node gets a finite (centred) row.
        let e = p.fit_edges(4, &[(0, 1, 1.0), (1, 2, 2.0)]).unwrap();
        assert!(e.embedding().iter().all(|v| v.is_finite()));
        assert_eq!(e.degrees(), &[1.0, 3.0, 2.0, 0.0]);
    }
}
