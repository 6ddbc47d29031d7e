//! Spectral clustering: k-means on the leading eigenvectors of a normalised
//! graph Laplacian.
//!
//! 1. An affinity graph `W` (symmetric, non-negative): [`Affinity::Rbf`]
//!    `exp(−γ‖xᵢ − xⱼ‖²)`, [`Affinity::NearestNeighbors`] (scikit-learn's
//!    connectivity: `C` holds 1 for each point's `n_neighbors` nearest points
//!    counting itself, `W = (C + Cᵀ)/2`), or a precomputed matrix.
//! 2. The `k` eigenvectors of `D^{-½} W D^{-½}` with the largest eigenvalues,
//!    i.e. the smallest of the normalised Laplacian `L = I − D^{-½} W D^{-½}`.
//!    The graph is split into connected components first and each is solved on
//!    its own (its top vector `D^{½}1` is known exactly and deflated): a
//!    component always contributes eigenvalue 0 of `L`, so the spectrum of a
//!    disconnected graph is degenerate, which a Krylov solver started from one
//!    vector cannot resolve. Dense Jacobi for small components, thick-restart
//!    Lanczos (`crate::linalg`) for large ones. Eigenvectors get a fixed sign.
//! 3. Rows normalised to unit length (Ng, Jordan & Weiss) — or, with
//!    [`row_normalise(false)`](SpectralClusteringParams::row_normalise),
//!    scaled by `D^{-½}` as scikit-learn's `spectral_embedding` does — then
//!    k-means (linfa-clustering, k-means++, `n_init` runs, seeded).
//!
//! This follows scikit-learn's `SpectralClustering(assign_labels="kmeans")`;
//! the differences are the default affinity (nearest neighbours here, RBF
//! there: a dense RBF graph needs `n²` memory, so it is limited to 5000 points)
//! and the row normalisation.
//!
//! Papers: A. Y. Ng, M. I. Jordan & Y. Weiss, "On spectral clustering: analysis
//! and an algorithm", NeurIPS 2001; J. Shi & J. Malik, "Normalized cuts and
//! image segmentation", IEEE TPAMI 22(8), 2000; U. von Luxburg, "A tutorial on
//! spectral clustering", Statistics and Computing 17(4), 2007.
//!
//! Cost: the kNN graph (exact `O(n²·D)` below 4096 points, NN-descent above),
//! then Lanczos at `O(nnz + n·k)` per product times a few hundred products,
//! then k-means `O(n·k²)` per iteration. Memory `O(n·(n_neighbors + k))`
//! (`O(n²)` for RBF or precomputed affinities).
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = blobs(300, 3, 2, 0.3, 1)?;
//! let fit = SpectralClustering::params().n_clusters(3).fit_records(x.records().view())?;
//! assert_eq!(fit.labels().len(), 300);
//! assert_eq!(fit.embedding().dim(), (300, 3));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::affinity_graph::{knn_connectivity, rbf_graph, SparseGraph};
use super::common::{check_n_clusters, check_records, cluster_sizes, impl_cluster_display, kmeans};
use crate::error::{Error, Result};
use crate::estimator::required;
use crate::estimator::{impl_fit, params};
use crate::linalg::{symmetric_eigen, top_eigenpairs};
use crate::neighbors::{KnnMethod, KnnParams};
use crate::persist::impl_persist;
use crate::render::impl_render;
use crate::rng;

/// Components up to this size are solved densely (Jacobi).
const DENSE_MAX: usize = 300;
/// Largest data set for the dense RBF affinity.
const RBF_MAX: usize = 5000;
/// RNG streams.
const STREAM_LANCZOS: u64 = crate::rng::stream::SPECTRAL_CLUSTERING_LANCZOS;
const STREAM_KMEANS: u64 = crate::rng::stream::SPECTRAL_CLUSTERING_KMEANS;
const WHO: &str = "SpectralClustering";

/// How the affinity graph is built.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Affinity {
    /// Gaussian kernel `exp(−gamma·‖xᵢ − xⱼ‖²)` on every pair (dense; n ≤ 5000).
    Rbf {
        /// `gamma` > 0 (scikit-learn's default 1.0).
        gamma: f64,
    },
    /// Symmetrised kNN connectivity; `n_neighbors` counts the point itself
    /// (scikit-learn's `kneighbors_graph(include_self=True)`), in [2, n_samples].
    NearestNeighbors {
        /// Neighbours per point, the point itself included (default 10).
        n_neighbors: usize,
    },
    /// `fit_records` reads its argument as the n × n affinity matrix itself.
    Precomputed,
}

/// Spectral clustering: fitted model; start from [`SpectralClustering::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectralClustering {
    params: SpectralClusteringValidParams,
    labels: Vec<usize>,
    embedding: Array2<f64>,
    eigenvalues: Vec<f64>,
    n_components: usize,
    n_clusters: usize,
}

params! {
    /// Checked spectral-clustering parameters; see [`SpectralClustering::params`].
    SpectralClustering("SpectralClustering") => SpectralClusteringParams, SpectralClusteringValidParams {
        /// Number of clusters, required (below n_samples at fit).
        n_clusters: Option<usize> = None => 1..; from usize,
        /// How the affinity graph is built; see also
        /// [`n_neighbors`](SpectralClusteringParams::n_neighbors).
        affinity: Affinity = Affinity::NearestNeighbors { n_neighbors: 10 },
        /// Unit-length rows (Ng–Jordan–Weiss); false scales rows by `D^{-½}`
        /// as scikit-learn does.
        row_normalise: bool = true,
        /// k-means runs on the embedding.
        n_init: usize = 10 => 1..,
        /// Exact kNN below 4096 points, NN-descent above, by default.
        knn_method: KnnMethod = KnnMethod::Auto,
        /// The same seed gives the same clustering at any thread count.
        seed: u64 = 42,
    }
    check(p) {
        required(WHO, "n_clusters", p.n_clusters)?;
        match p.affinity {
            Affinity::Rbf { gamma } if !(gamma.is_finite() && gamma > 0.0) => {
                return Err(Error::param("gamma", format!("of SpectralClustering's RBF affinity must be finite and > 0; got {gamma}")));
            }
            Affinity::NearestNeighbors { n_neighbors } if n_neighbors < 2 => {
                return Err(Error::param("n_neighbors", format!("of SpectralClustering must be ≥ 2 (it counts the point itself); got {n_neighbors}")));
            }
            _ => {}
        }
    }
}

impl SpectralClustering {
    /// Cluster of each point, in `0..n_clusters`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &SpectralClusteringValidParams {
        &self.params
    }

    /// The spectral embedding k-means ran on (n × n_clusters).
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// The `n_clusters` smallest eigenvalues of the normalised Laplacian,
    /// ascending (a large jump after the k-th suggests k clusters).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// Connected components of the affinity graph (more than `n_clusters` means
    /// some clusters are whole components and others hold several).
    pub fn n_components(&self) -> usize {
        self.n_components
    }

    /// Points in each cluster.
    pub fn cluster_sizes(&self) -> Vec<usize> {
        cluster_sizes(&self.labels, self.n_clusters)
    }

    /// The first two spectral coordinates.
    pub fn display_points(&self) -> ArrayView2<'_, f64> {
        self.embedding.view()
    }

    fn title(&self) -> String {
        format!("Spectral clustering: {} clusters (graph with {} components)", self.n_clusters, self.n_components)
    }
}

impl_cluster_display!(SpectralClustering, ["spectral 1", "spectral 2"]);
impl_render!(SpectralClustering, "Spectral clustering", params: params, shapes: [labels, embedding]);

impl SpectralClusteringParams {
    /// Shorthand for `affinity(Affinity::NearestNeighbors { n_neighbors })`:
    /// neighbours per point, the point itself counted (≥ 2, at most n_samples at fit).
    pub fn n_neighbors(self, n_neighbors: usize) -> Self {
        self.affinity(Affinity::NearestNeighbors { n_neighbors })
    }

    /// Checks the parameters and clusters the graph of the symmetric,
    /// non-negative n × n `affinity` matrix (whatever `affinity` was set to).
    pub fn fit_precomputed(&self, affinity: ArrayView2<f64>) -> Result<SpectralClustering> {
        linfa::ParamGuard::check_ref(self)?.fit_precomputed(affinity)
    }
}

impl SpectralClusteringValidParams {
    /// Clusters the rows of `x` (or the precomputed affinity matrix `x`).
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<SpectralClustering> {
        let graph = match self.affinity {
            Affinity::Precomputed => return self.fit_precomputed(x),
            Affinity::Rbf { gamma } => {
                check_records(WHO, x)?;
                if x.nrows() > RBF_MAX {
                    return Err(Error::param(
                        "affinity",
                        format!(
                            "Rbf of SpectralClustering builds a dense n × n matrix and is limited to {RBF_MAX} points; got {}; use NearestNeighbors",
                            x.nrows()
                        ),
                    ));
                }
                rbf_graph(x, gamma)
            }
            Affinity::NearestNeighbors { n_neighbors } => {
                check_records(WHO, x)?;
                let n = x.nrows();
                if n_neighbors > n {
                    return Err(Error::param(
                        "n_neighbors",
                        format!("of SpectralClustering must be in [2, n_samples = {n}]; got {n_neighbors}"),
                    ));
                }
                let knn = KnnParams::new(n_neighbors - 1).method(self.knn_method).seed(self.seed).graph(x)?;
                knn_connectivity(knn.indices())
            }
        };
        self.fit_graph(&graph)
    }

    /// Clusters the graph of a symmetric, non-negative n × n affinity matrix.
    pub fn fit_precomputed(&self, affinity: ArrayView2<f64>) -> Result<SpectralClustering> {
        let graph = SparseGraph::from_dense(affinity)?;
        self.fit_graph(&graph)
    }

    pub(crate) fn fit_graph(&self, graph: &SparseGraph) -> Result<SpectralClustering> {
        let k = required(WHO, "n_clusters", self.n_clusters)?;
        let n = graph.n;
        if k >= n {
            return Err(Error::param("n_clusters", format!("of SpectralClustering must be in [1, n_samples = {n}); got {k}")));
        }
        check_n_clusters(WHO, k, n)?;
        let (values, mut embedding, n_components) = spectral_embedding(graph, k, self.seed);
        if self.row_normalise {
            for mut row in embedding.outer_iter_mut() {
                let norm = row.dot(&row).sqrt();
                if norm > 0.0 {
                    row.mapv_inplace(|v| v / norm);
                }
            }
        } else {
            let degree = graph.degrees();
            for (mut row, d) in embedding.outer_iter_mut().zip(degree) {
                if d > 0.0 {
                    row.mapv_inplace(|v| v / d.sqrt());
                }
            }
        }
        let (labels, _, _) = kmeans(embedding.view(), k, self.n_init, rng::derive(self.seed, STREAM_KMEANS, 0))?;
        let eigenvalues = values.iter().map(|v| (1.0 - v).max(0.0)).collect();
        Ok(SpectralClustering { params: self.clone(), labels, embedding, eigenvalues, n_components, n_clusters: k })
    }
}

impl_fit!(SpectralClusteringParams, SpectralClusteringValidParams => SpectralClustering);

/// The `k` largest eigenvalues of `D^{-½} W D^{-½}` (descending) and their
/// vectors (n × k, fixed sign), solved per connected component; and the
/// number of components.
fn spectral_embedding(graph: &SparseGraph, k: usize, seed: u64) -> (Vec<f64>, Array2<f64>, usize) {
    let components = graph.components();
    // (value, component size, component index, vector on the component)
    let mut candidates: Vec<(f64, usize, usize, Vec<f64>)> = Vec::new();
    for (c, nodes) in components.iter().enumerate() {
        let sub = graph.restrict(nodes);
        let want = k.min(nodes.len());
        let (values, vectors) = component_eigenpairs(&sub, want, rng::derive(seed, STREAM_LANCZOS, c as u64));
        for (j, v) in values.into_iter().enumerate() {
            candidates.push((v, nodes.len(), c, vectors.column(j).to_vec()));
        }
    }
    // Largest eigenvalue first; among equal ones (each component's top is 1)
    // larger components first, then the earlier component.
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    candidates.truncate(k);
    let mut embedding = Array2::<f64>::zeros((graph.n, k));
    let mut values = Vec::with_capacity(k);
    for (col, (value, _, c, vector)) in candidates.into_iter().enumerate() {
        for (&node, &v) in components[c].iter().zip(&vector) {
            embedding[[node, col]] = v;
        }
        values.push(value);
    }
    for mut column in embedding.axis_iter_mut(Axis(1)) {
        let big = column.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        if big < 0.0 {
            column.mapv_inplace(|v| -v);
        }
    }
    (values, embedding, components.len())
}

/// The `want` largest eigenpairs of the normalised adjacency of a connected graph.
fn component_eigenpairs(g: &SparseGraph, want: usize, seed: u64) -> (Vec<f64>, Array2<f64>) {
    let n = g.n;
    let degree = g.degrees();
    let inv_sqrt: Vec<f64> = degree.iter().map(|&d| if d > 0.0 { 1.0 / d.sqrt() } else { 0.0 }).collect();
    if n == 1 || degree.iter().all(|&d| d == 0.0) {
        // An isolated point: its own component, eigenvalue 1 like every component's top.
        return (vec![1.0], Array2::ones((1, 1)));
    }
    if n <= DENSE_MAX {
        let mut s = Array2::<f64>::zeros((n, n));
        for i in 0..n {
            for p in g.indptr[i]..g.indptr[i + 1] {
                let j = g.indices[p];
                s[[i, j]] += g.weights[p] * inv_sqrt[i] * inv_sqrt[j];
            }
        }
        let (values, vectors) = symmetric_eigen(&s);
        return (values[..want].to_vec(), vectors.slice(ndarray::s![.., ..want]).to_owned());
    }
    // The top pair is known exactly: 1 and D^{½}1 (normalised); deflate it.
    let total: f64 = degree.iter().sum();
    let top: Vec<f64> = degree.iter().map(|d| (d / total).sqrt()).collect();
    let mut values = vec![1.0];
    let mut vectors = Array2::<f64>::zeros((n, want));
    vectors.column_mut(0).assign(&Array1::from(top.clone()));
    if want > 1 {
        let apply = |x: &[f64], y: &mut [f64]| {
            y.par_iter_mut().enumerate().for_each(|(i, yi)| {
                let mut s = 0.0;
                for p in g.indptr[i]..g.indptr[i + 1] {
                    let j = g.indices[p];
                    s += g.weights[p] * inv_sqrt[j] * x[j];
                }
                *yi = s * inv_sqrt[i];
            });
        };
        let (rest_values, rest) = top_eigenpairs(n, &apply, &[top], want - 1, seed, 1e-8, 40 * n.max(500));
        values.extend(rest_values);
        vectors.slice_mut(ndarray::s![.., 1..]).assign(&rest);
    }
    (values, vectors)
}

impl_persist!(SpectralClustering, "spectral clustering");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{blobs, molrg};
    use crate::metrics::clustering_accuracy;

    #[test]
    fn separates_blobs_with_each_affinity() {
        let ds = blobs(240, 4, 3, 0.3, 2).unwrap();
        let x = ds.records().view();
        let truth = ds.targets().to_vec();
        for affinity in [Affinity::NearestNeighbors { n_neighbors: 10 }, Affinity::Rbf { gamma: 0.5 }] {
            let fit = SpectralClustering::params().n_clusters(4).affinity(affinity).fit_records(x).unwrap();
            let acc = clustering_accuracy(&truth, fit.labels()).unwrap();
            assert!(acc > 0.98, "{affinity:?}: {acc}");
        }
        // scikit-learn's D^{-1/2} scaling instead of unit rows.
        let fit = SpectralClustering::params().n_clusters(4).row_normalise(false).fit_records(x).unwrap();
        assert!(clustering_accuracy(&truth, fit.labels()).unwrap() > 0.98);
        assert_eq!(fit.figure().unwrap().n_traces(), 4);
    }

    #[test]
    fn disconnected_components_are_the_clusters() {
        // Three cliques with no edges between them: a degenerate spectrum.
        let n = 30;
        let a = Array2::from_shape_fn((n, n), |(i, j)| if i / 10 == j / 10 { 1.0 } else { 0.0 });
        let fit = SpectralClustering::params().n_clusters(3).fit_precomputed(a.view()).unwrap();
        assert_eq!(fit.n_components(), 3);
        let truth: Vec<usize> = (0..n).map(|i| i / 10).collect();
        assert_eq!(clustering_accuracy(&truth, fit.labels()).unwrap(), 1.0);
        assert!(fit.eigenvalues().iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn large_graph_uses_lanczos_and_matches_dense() {
        // Two noisy rings side by side, 800 points: Lanczos path.
        let ds = crate::data::blobs(800, 2, 2, 0.5, 9).unwrap();
        let fit = SpectralClustering::params().n_clusters(2).fit_records(ds.records().view()).unwrap();
        let acc = clustering_accuracy(&ds.targets().to_vec(), fit.labels()).unwrap();
        assert!(acc > 0.98, "{acc}");
        // Eigenvalues of the Laplacian: first 0, second small and non-negative.
        assert!(fit.eigenvalues()[0].abs() < 1e-10);
        assert!(fit.eigenvalues()[1] >= 0.0 && fit.eigenvalues()[1] < 0.1, "{:?}", fit.eigenvalues());
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let m = molrg(10, &[2, 2], 5000, 3).unwrap();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| SpectralClustering::params().n_clusters(2).seed(5).fit_records(m.data.view()).unwrap())
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let x = blobs(50, 2, 2, 0.3, 0).unwrap().records().to_owned();
        let err = |p: SpectralClusteringParams| match p.fit_records(x.view()) {
            Err(Error::Param { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(SpectralClustering::params()), "n_clusters");
        assert_eq!(err(SpectralClustering::params().n_clusters(0)), "n_clusters");
        assert_eq!(err(SpectralClustering::params().n_clusters(50)), "n_clusters");
        assert_eq!(err(SpectralClustering::params().n_clusters(2).n_init(0)), "n_init");
        assert_eq!(err(SpectralClustering::params().n_clusters(2).n_neighbors(1)), "n_neighbors");
        assert_eq!(err(SpectralClustering::params().n_clusters(2).n_neighbors(51)), "n_neighbors");
        assert_eq!(err(SpectralClustering::params().n_clusters(2).affinity(Affinity::Rbf { gamma: -1.0 })), "gamma");
        let big = Array2::<f64>::zeros((RBF_MAX + 1, 1));
        assert!(matches!(
            SpectralClustering::params().n_clusters(2).affinity(Affinity::Rbf { gamma: 1.0 }).fit_records(big.view()),
            Err(Error::Param { name: "affinity", .. })
        ));
    }

    #[test]
    fn bad_data_is_a_data_error() {
        let p = SpectralClustering::params().n_clusters(2);
        let mut x = blobs(50, 2, 2, 0.3, 0).unwrap().records().to_owned();
        x[[0, 0]] = f64::INFINITY;
        assert!(matches!(p.fit_records(x.view()), Err(Error::Data(_))));
        assert!(matches!(p.fit_records(Array2::zeros((0, 2)).view()), Err(Error::Data(_))));
        let asym = ndarray::array![[1.0, 0.5, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]];
        assert!(matches!(p.fit_precomputed(asym.view()), Err(Error::Data(_))));
        let neg = ndarray::array![[1.0, -0.5, 0.0], [-0.5, 1.0, 1.0], [0.0, 1.0, 1.0]];
        assert!(matches!(p.fit_precomputed(neg.view()), Err(Error::Data(_))));
        assert!(matches!(p.fit_precomputed(Array2::zeros((3, 2)).view()), Err(Error::Data(_))));
    }
}
