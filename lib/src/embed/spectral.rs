//! Spectral embedding (Laplacian eigenmaps).
//!
//! Builds an affinity graph — the kNN graph with 0/1 weights (each point
//! counted among its own `n_neighbors`, as scikit-learn's
//! `kneighbors_graph(include_self=True)`) symmetrised as `½(A + Aᵀ)`, or a
//! dense rbf kernel `exp(−γ‖x − y‖²)` — and embeds with the eigenvectors of
//! the normalised Laplacian `L = I − D^{−1/2}·A·D^{−1/2}` (self-loops ignored,
//! as scipy's `laplacian`) for its smallest eigenvalues, dropping the trivial
//! one and rescaling each row by `D^{−1/2}`. Signs are fixed so that each
//! column's largest entry is positive. This is scikit-learn 1.9's
//! `SpectralEmbedding` (default `n_neighbors = max(n/10, 1)`, `gamma =
//! 1/n_features`).
//!
//! Eigen-solver: up to 200 points the dense Laplacian is diagonalised; beyond,
//! the kNN Laplacian goes to shift-invert Lanczos over a sparse envelope
//! Cholesky factor (scikit-learn's ARPACK `sigma` mode), the dense rbf one to
//! Lanczos on the normalised affinity.
//!
//! Disconnected graphs: scikit-learn warns and returns an embedding whose
//! components are not placed relative to each other; here the fit fails,
//! naming the number of components (raise `n_neighbors` or `gamma`… lower).
//!
//! Paper: M. Belkin & P. Niyogi, "Laplacian eigenmaps for dimensionality
//! reduction and data representation", Neural Computation 15(6), 2003.
//!
//! Cost: kNN `O(n²·d)` exact; the sparse factor `O(n·b²)` for envelope width
//! `b` (about √n·k on a 2-D manifold) and a few dozen `O(n·b)` solves. The rbf
//! affinity is dense: `O(n²·d)` to build, `O(n²)` per Lanczos step, `O(n²)` memory.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(400, 0.05, 7)?;
//! let se = SpectralEmbedding::params().n_neighbors(10).fit(&ds)?;
//! assert_eq!(se.embedding().dim(), (400, 2));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::shared::{check_records, embedding_figure, flip_signs, rbf_kernel};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params, TargetValues};
use crate::linalg::{smallest_dense, smallest_eigenpairs, top_eigenpairs_relative, SymCsr};
use crate::neighbors::{KnnMethod, KnnParams};
use crate::persist::impl_persist;
use crate::plot::Figure;
use crate::render::impl_render;

/// Graphs up to this many points are solved densely.
const DENSE_MAX: usize = 200;

/// How points are joined.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum EmbeddingAffinity {
    /// The symmetrised 0/1 kNN graph (scikit-learn's `"nearest_neighbors"`).
    NearestNeighbors,
    /// `exp(−γ‖x − y‖²)` between every pair; `gamma: None` means `1/n_features`.
    Rbf { gamma: Option<f64> },
}

/// A fitted spectral embedding.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SpectralEmbedding {
    params: SpectralEmbeddingValidParams,
    embedding: Array2<f64>,
    eigenvalues: Vec<f64>,
    n_neighbors: usize,
    gamma: f64,
    coloring: TargetValues,
}

impl SpectralEmbedding {
    /// The embedding (`embedding_`), `n_samples × n_components`.
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// The Laplacian eigenvalues of the embedding's columns, ascending (the
    /// trivial 0 dropped): small values mean smooth coordinates on the graph.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The neighbour count used (`n_neighbors_`; 0 for the rbf affinity).
    pub fn n_neighbors(&self) -> usize {
        self.n_neighbors
    }

    /// The rbf gamma used (`gamma_`; 0 for the kNN affinity).
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &SpectralEmbeddingValidParams {
        &self.params
    }

    /// A scatter of the embedding, coloured by the training targets.
    pub fn figure(&self) -> Result<Figure> {
        let title = format!("Spectral embedding of {} points", self.embedding.nrows());
        embedding_figure(&self.embedding, &self.coloring, &title, "Spectral")
    }
}

impl_render!(SpectralEmbedding, "Spectral embedding", params: params, shapes: [embedding]);

params! {
    /// Checked spectral-embedding parameters, scikit-learn's defaults; see
    /// [`SpectralEmbedding::params`].
    SpectralEmbedding("SpectralEmbedding") => SpectralEmbeddingParams, SpectralEmbeddingValidParams {
        /// The output dimension; also below n_samples − 1 at fit.
        n_components: usize = 2 => 1..,
        /// How points are joined; an rbf `gamma`, when given, must be a finite
        /// number > 0.
        affinity: EmbeddingAffinity = EmbeddingAffinity::NearestNeighbors,
        /// Neighbours per point, the point itself counted (scikit-learn's
        /// convention here); at most n_samples at fit. Unset: `max(n/10, 1)`.
        n_neighbors: Option<usize> = None => 2..; from usize,
        /// `Exact` as scikit-learn; `Auto` or `NnDescent` trade exactness for speed.
        knn_method: KnnMethod = KnnMethod::Exact,
        /// The Lanczos start vector (and NN-descent's seed).
        seed: u64 = 0,
    }
    check(p) {
        if let EmbeddingAffinity::Rbf { gamma: Some(g) } = p.affinity {
            if !(g.is_finite() && g > 0.0) {
                return Err(Error::param("gamma", format!("of SpectralEmbedding must be a finite number > 0; got {g}")));
            }
        }
    }
}

impl SpectralEmbeddingValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>, coloring: TargetValues) -> Result<SpectralEmbedding> {
        const WHO: &str = "SpectralEmbedding";
        check_records(WHO, x, 3, &coloring)?;
        let n = x.nrows();
        // One more eigenvector than asked is computed (the trivial one).
        if self.n_components + 1 >= n {
            return Err(Error::param(
                "n_components",
                format!("of {WHO} must be in [1, n_samples − 1 = {}); got {}", n - 1, self.n_components),
            ));
        }
        let (graph, n_neighbors, gamma) = match self.affinity {
            EmbeddingAffinity::NearestNeighbors => {
                let k = self.n_neighbors.unwrap_or((n / 10).max(1));
                if k < 2 || k > n {
                    return Err(Error::param(
                        "n_neighbors",
                        format!("of SpectralEmbedding must be in [2, n_samples = {n}] (it counts the point itself); got {k}"),
                    ));
                }
                (knn_affinity(x, k - 1, self.knn_method, self.seed)?, k, 0.0)
            }
            EmbeddingAffinity::Rbf { gamma } => {
                let g = gamma.unwrap_or(1.0 / x.ncols() as f64);
                (rbf_affinity(x, g), 0, g)
            }
        };
        let (values, embedding) = laplacian_eigenmaps(&graph, self.n_components, self.seed)?;
        Ok(SpectralEmbedding { params: self.clone(), embedding, eigenvalues: values, n_neighbors, gamma, coloring })
    }
}

impl_fit!(SpectralEmbeddingParams, SpectralEmbeddingValidParams => SpectralEmbedding, targets);
impl_persist!(SpectralEmbedding, "spectral embedding");

/// An affinity graph without self-loops: sparse or dense.
enum Graph {
    Sparse(SymCsr),
    Dense(Array2<f64>),
}

impl Graph {
    fn n(&self) -> usize {
        match self {
            Graph::Sparse(a) => a.n(),
            Graph::Dense(a) => a.nrows(),
        }
    }

    fn degrees(&self) -> Vec<f64> {
        match self {
            Graph::Sparse(a) => (0..a.n()).map(|i| a.row(i).1.iter().sum()).collect(),
            Graph::Dense(a) => a.outer_iter().map(|r| r.sum()).collect(),
        }
    }

    fn neighbours(&self, i: usize) -> Vec<usize> {
        match self {
            Graph::Sparse(a) => a.row(i).0.to_vec(),
            Graph::Dense(a) => a.row(i).iter().enumerate().filter(|(_, &w)| w > 0.0).map(|(j, _)| j).collect(),
        }
    }

    fn n_components(&self) -> usize {
        let n = self.n();
        let mut seen = vec![false; n];
        let mut count = 0;
        for s in 0..n {
            if seen[s] {
                continue;
            }
            count += 1;
            seen[s] = true;
            let mut stack = vec![s];
            while let Some(v) = stack.pop() {
                for w in self.neighbours(v) {
                    if !seen[w] {
                        seen[w] = true;
                        stack.push(w);
                    }
                }
            }
        }
        count
    }
}

/// `½(A + Aᵀ)` of the 0/1 graph of each point's `k` nearest others, self-loops dropped.
fn knn_affinity(x: ArrayView2<f64>, k: usize, method: KnnMethod, seed: u64) -> Result<Graph> {
    let n = x.nrows();
    let knn = KnnParams::new(k).method(method).seed(seed).graph(x)?;
    let mut entries = Vec::with_capacity(2 * n * k);
    for (i, row) in knn.indices().outer_iter().enumerate() {
        for &j in row {
            entries.push((i, j, 0.5));
            entries.push((j, i, 0.5));
        }
    }
    Ok(Graph::Sparse(SymCsr::from_triplets(n, entries)))
}

/// The dense rbf affinity with a zero diagonal.
fn rbf_affinity(x: ArrayView2<f64>, gamma: f64) -> Graph {
    let mut a = rbf_kernel(x, None, gamma);
    a.diag_mut().fill(0.0);
    Graph::Dense(a)
}

/// The `dim` smallest non-trivial eigenpairs of the normalised Laplacian,
/// rows rescaled by `D^{−1/2}` and signs fixed.
fn laplacian_eigenmaps(graph: &Graph, dim: usize, seed: u64) -> Result<(Vec<f64>, Array2<f64>)> {
    let n = graph.n();
    let n_comp = graph.n_components();
    if n_comp > 1 {
        return Err(Error::data(format!(
            "the affinity graph of SpectralEmbedding has {n_comp} connected components, so the embedding would not \
             place them relative to each other; increase n_neighbors (or lower the rbf gamma)"
        )));
    }
    let sqrt_deg: Vec<f64> = graph.degrees().iter().map(|d| d.sqrt()).collect();
    let norm = sqrt_deg.iter().map(|s| s * s).sum::<f64>().sqrt();
    let trivial: Vec<f64> = sqrt_deg.iter().map(|s| s / norm).collect();
    let (values, mut vectors) = match graph {
        Graph::Sparse(a) => {
            let mut entries = Vec::with_capacity(a.n() + 2 * n);
            for i in 0..n {
                entries.push((i, i, 1.0));
                let (cols, vals) = a.row(i);
                for (&j, &w) in cols.iter().zip(vals) {
                    entries.push((i, j, -w / (sqrt_deg[i] * sqrt_deg[j])));
                }
            }
            let lap = SymCsr::from_triplets(n, entries);
            smallest_eigenpairs(&lap, &[trivial], dim, seed).ok_or_else(|| {
                Error::data("the Laplacian of SpectralEmbedding could not be factored (not positive semi-definite in floating point)")
            })?
        }
        Graph::Dense(a) => {
            let normalised = Array2::from_shape_fn((n, n), |(i, j)| a[[i, j]] / (sqrt_deg[i] * sqrt_deg[j]));
            if n <= DENSE_MAX {
                let lap = Array2::<f64>::eye(n) - &normalised;
                smallest_dense(lap, &[trivial], dim)
            } else {
                let flat = normalised.as_slice().expect("from_shape_fn builds a standard-layout matrix");
                let apply = |x: &[f64], y: &mut [f64]| {
                    y.par_chunks_mut(64).enumerate().for_each(|(t, chunk)| {
                        for (r, out) in chunk.iter_mut().enumerate() {
                            let i = t * 64 + r;
                            *out = crate::neighbors::dot(&flat[i * n..(i + 1) * n], x);
                        }
                    });
                };
                let (mu, v) = top_eigenpairs_relative(n, &apply, &[trivial], dim, seed, 1e-10, 5000);
                (mu.iter().map(|m| 1.0 - m).collect(), v)
            }
        }
    };
    for (mut row, s) in vectors.outer_iter_mut().zip(&sqrt_deg) {
        row /= *s;
    }
    flip_signs(&mut vectors);
    if vectors.iter().any(|v| !v.is_finite()) {
        return Err(Error::data("the eigensolver of SpectralEmbedding did not converge to finite values"));
    }
    Ok((values, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;
    use ndarray::array;

    #[test]
    fn a_path_unrolls_in_order() {
        // Points on a curve: the first coordinate is monotone along it.
        let x = Array2::from_shape_fn(
            (60, 2),
            |(i, j)| if j == 0 { (i as f64 * 0.1).cos() * i as f64 } else { (i as f64 * 0.1).sin() * i as f64 },
        );
        let se = SpectralEmbedding::params().n_components(1).n_neighbors(4).fit_records(x.view()).unwrap();
        let e = se.embedding().column(0).to_vec();
        let inc = e.windows(2).all(|w| w[1] > w[0]);
        let dec = e.windows(2).all(|w| w[1] < w[0]);
        assert!(inc || dec, "{e:?}");
    }

    #[test]
    fn bad_parameters() {
        assert!(matches!(SpectralEmbedding::params().n_components(0).check(), Err(Error::Param { name: "n_components", .. })));
        assert!(matches!(SpectralEmbedding::params().n_neighbors(1).check(), Err(Error::Param { name: "n_neighbors", .. })));
        let rbf = EmbeddingAffinity::Rbf { gamma: Some(0.0) };
        assert!(matches!(SpectralEmbedding::params().affinity(rbf).check(), Err(Error::Param { name: "gamma", .. })));
        let x = array![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
        assert!(matches!(SpectralEmbedding::params().n_neighbors(5).fit_records(x.view()), Err(Error::Param { name: "n_neighbors", .. })));
        assert!(matches!(
            SpectralEmbedding::params().n_components(3).fit_records(x.view()),
            Err(Error::Param { name: "n_components", .. })
        ));
    }

    #[test]
    fn disconnected_graph_is_an_error() {
        let x = array![[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [10.0, 10.0], [10.1, 10.0], [10.0, 10.1]];
        let err = SpectralEmbedding::params().n_components(1).n_neighbors(3).fit_records(x.view()).unwrap_err();
        assert!(err.to_string().contains("2 connected components"), "{err}");
    }
}
