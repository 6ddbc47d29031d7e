//! LOFKM: k-means that deepens the *local connectivity* of its clusters, and
//! the local-connectivity measures of any clustering.
//!
//! Deepak P., "Local connectivity in centroid clustering", IDEAS 2020
//! (doi:10.1145/3410566.3410601, arXiv 2010.05353) calls *local connectivity*
//! the support an object's neighbourhood gives to its membership in its
//! cluster, quantifies it, and builds LOFKM from density-based ideas while
//! staying a centroid method. **Only the abstract could be read here; the
//! measure and the update rule below are this crate's interpretation, not the
//! paper's formulas**:
//!
//! - **Measure** ([`local_connectivity`]): the connectivity of x to cluster c is
//!   the share of x's `n_neighbors` nearest other points that lie in c; the
//!   connectivity of x is that share for its own cluster. Reported per point,
//!   as a mean, and as the share of *poorly connected* points (connectivity
//!   below ½: most of their neighbours sit in other clusters).
//! - **LOFKM** ([`Lofkm`]): starting from k-means (linfa-clustering), a
//!   modified k-means loop assigns each point to the cluster minimising
//!   `‖x − μ_c‖² + β·s²·(1 − conn(x, c))`, where `s²` is the mean squared
//!   distance of points to their centroid in the k-means start (so `β` is
//!   unitless: at `β = 1` lacking all neighbourhood support costs as much as an
//!   average point's distortion), then recomputes the means. Connectivity uses
//!   the previous round's labels. The round with the lowest penalised
//!   objective is kept; `β = 0` is plain k-means.
//!
//! The fitted model reports SSE, mean connectivity and the poorly connected
//! share for itself and for its k-means start, the comparison the paper makes.
//!
//! Cost: the kNN graph (exact `O(n²·D)` below 4096 points, NN-descent above),
//! then per round `O(n·(k·D + n_neighbors))`. Memory `O(n·(D + n_neighbors))`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = blobs(300, 3, 2, 2.5, 4)?;
//! let fit = Lofkm::params().n_clusters(3).fit_records(ds.records().view())?;
//! assert_eq!(fit.labels().len(), 300);
//! assert!(fit.connectivity().mean() >= fit.kmeans_connectivity().mean());
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::{check_n_clusters, check_records, cluster_sizes, first_two, impl_cluster_display, kmeans};
use crate::error::{Error, Result};
use crate::estimator::required;
use crate::estimator::{impl_fit, params};
use crate::neighbors::{KnnGraph, KnnMethod, KnnParams};
use crate::persist::impl_persist;
use crate::render::impl_render;

/// Local connectivity of a clustering: see [`local_connectivity`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalConnectivity {
    per_point: Vec<f64>,
}

impl LocalConnectivity {
    /// Share of each point's neighbours in its own cluster, in [0, 1].
    pub fn per_point(&self) -> &[f64] {
        &self.per_point
    }

    /// Mean connectivity.
    pub fn mean(&self) -> f64 {
        self.per_point.iter().sum::<f64>() / self.per_point.len().max(1) as f64
    }

    /// Share of points with connectivity below ½.
    pub fn poorly_connected(&self) -> f64 {
        self.per_point.iter().filter(|&&c| c < 0.5).count() as f64 / self.per_point.len().max(1) as f64
    }
}

/// Local connectivity of the clustering `labels` of the rows of `x`: for each
/// point the share of its `n_neighbors` nearest other points (exact search)
/// with the same label. `n_neighbors` in [1, n_samples).
///
/// ```
/// use lowdim::prelude::*;
/// let x = array![[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]];
/// let c = local_connectivity(x.view(), &[0, 0, 0, 1, 1, 1], 2)?;
/// assert_eq!(c.mean(), 1.0);
/// # Ok::<(), lowdim::Error>(())
/// ```
pub fn local_connectivity(x: ArrayView2<f64>, labels: &[usize], n_neighbors: usize) -> Result<LocalConnectivity> {
    check_records("local_connectivity", x)?;
    if labels.len() != x.nrows() {
        return Err(Error::param(
            "labels",
            format!("of local_connectivity must have one label per row ({}); got {}", x.nrows(), labels.len()),
        ));
    }
    let graph = neighbours("local_connectivity", x, n_neighbors, KnnMethod::Exact, 0)?;
    Ok(connectivity_of(&graph, labels))
}

fn neighbours(who: &str, x: ArrayView2<f64>, n_neighbors: usize, method: KnnMethod, seed: u64) -> Result<KnnGraph> {
    let n = x.nrows();
    if n_neighbors == 0 || n_neighbors >= n {
        return Err(Error::param("n_neighbors", format!("of {who} must be in [1, n_samples = {n}); got {n_neighbors}")));
    }
    KnnParams::new(n_neighbors).method(method).seed(seed).graph(x)
}

fn connectivity_of(graph: &KnnGraph, labels: &[usize]) -> LocalConnectivity {
    let k = graph.k() as f64;
    let per_point =
        graph.indices().outer_iter().zip(labels).map(|(row, &l)| row.iter().filter(|&&j| labels[j] == l).count() as f64 / k).collect();
    LocalConnectivity { per_point }
}

/// LOFKM: fitted model; start from [`Lofkm::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Lofkm {
    params: LofkmValidParams,
    labels: Vec<usize>,
    centroids: Array2<f64>,
    sse: f64,
    connectivity: LocalConnectivity,
    kmeans_labels: Vec<usize>,
    kmeans_sse: f64,
    kmeans_connectivity: LocalConnectivity,
    n_iter: usize,
    display: Array2<f64>,
}

const WHO: &str = "Lofkm";

params! {
    /// Checked LOFKM parameters; see [`Lofkm::params`].
    Lofkm("Lofkm") => LofkmParams, LofkmValidParams {
        /// Number of clusters, required (at most n_samples at fit).
        n_clusters: Option<usize> = None => 1..; from usize,
        /// The neighbourhood of local connectivity (below n_samples at fit).
        n_neighbors: usize = 10 => 1..,
        /// Weight of the connectivity penalty (0 is k-means).
        beta: f64 = 1.0 => 0.0..,
        /// Rounds of the modified loop.
        max_iter: usize = 100 => 1..,
        /// k-means runs of the start.
        n_init: usize = 10 => 1..,
        /// How the kNN graph is searched.
        knn_method: KnnMethod = KnnMethod::Auto,
        seed: u64 = 42,
    }
    check(p) {
        required(WHO, "n_clusters", p.n_clusters)?;
    }
}

impl Lofkm {
    /// Cluster of each point.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &LofkmValidParams {
        &self.params
    }

    /// Cluster means (n_clusters × n_features).
    pub fn centroids(&self) -> &Array2<f64> {
        &self.centroids
    }

    /// Sum of squared distances of points to their centroid.
    pub fn sse(&self) -> f64 {
        self.sse
    }

    /// Local connectivity of the result.
    pub fn connectivity(&self) -> &LocalConnectivity {
        &self.connectivity
    }

    /// Labels of the plain k-means start.
    pub fn kmeans_labels(&self) -> &[usize] {
        &self.kmeans_labels
    }

    /// SSE of the plain k-means start.
    pub fn kmeans_sse(&self) -> f64 {
        self.kmeans_sse
    }

    /// Local connectivity of the plain k-means start.
    pub fn kmeans_connectivity(&self) -> &LocalConnectivity {
        &self.kmeans_connectivity
    }

    /// Rounds of the modified loop run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Points in each cluster.
    pub fn cluster_sizes(&self) -> Vec<usize> {
        cluster_sizes(&self.labels, self.centroids.nrows())
    }

    /// The first two coordinates of the points.
    pub fn display_points(&self) -> ArrayView2<'_, f64> {
        self.display.view()
    }

    fn title(&self) -> String {
        format!(
            "LOFKM: {} clusters, connectivity {:.3} (k-means {:.3}), SSE {:.4e} (k-means {:.4e})",
            self.centroids.nrows(),
            self.connectivity.mean(),
            self.kmeans_connectivity.mean(),
            self.sse,
            self.kmeans_sse
        )
    }
}

impl_cluster_display!(Lofkm, ["x1", "x2"]);
impl_render!(Lofkm, "LOFKM", params: params, shapes: [labels, centroids]);

impl LofkmValidParams {
    /// Clusters the rows of `x`.
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<Lofkm> {
        let k = required(WHO, "n_clusters", self.n_clusters)?;
        check_records(WHO, x)?;
        let n = x.nrows();
        check_n_clusters(WHO, k, n)?;
        let graph = neighbours(WHO, x, self.n_neighbors, self.knn_method, self.seed)?;
        let (start, centroids, kmeans_sse) = kmeans(x, k, self.n_init, self.seed)?;
        let scale = kmeans_sse / n as f64;
        let penalty = self.beta * scale;
        let objective = |labels: &[usize], centroids: &Array2<f64>| {
            let conn = connectivity_of(&graph, labels);
            sse(x, labels, centroids) + penalty * conn.per_point.iter().map(|c| 1.0 - c).sum::<f64>()
        };
        let mut best = (objective(&start, &centroids), start.clone(), centroids.clone(), 0usize);
        let (mut labels, mut centroids) = (start.clone(), centroids);
        let mut n_iter = 0;
        for round in 1..=self.max_iter {
            n_iter = round;
            let next = self.assign(x, &graph, &labels, &centroids, penalty);
            centroids = means(x, &next, &centroids);
            let changed = next != labels;
            labels = next;
            let value = objective(&labels, &centroids);
            if value < best.0 {
                best = (value, labels.clone(), centroids.clone(), round);
            }
            if !changed {
                break;
            }
        }
        let (_, labels, centroids, _) = best;
        Ok(Lofkm {
            params: self.clone(),
            sse: sse(x, &labels, &centroids),
            connectivity: connectivity_of(&graph, &labels),
            kmeans_connectivity: connectivity_of(&graph, &start),
            kmeans_labels: start,
            kmeans_sse,
            labels,
            centroids,
            n_iter,
            display: first_two(x),
        })
    }

    /// Each point to the cluster minimising distortion plus the connectivity
    /// penalty (ties to the lower cluster index).
    fn assign(&self, x: ArrayView2<f64>, graph: &KnnGraph, labels: &[usize], centroids: &Array2<f64>, penalty: f64) -> Vec<usize> {
        let k = centroids.nrows();
        let kk = graph.k() as f64;
        (0..x.nrows())
            .into_par_iter()
            .map(|i| {
                let mut votes = vec![0usize; k];
                for &j in graph.indices().row(i) {
                    votes[labels[j]] += 1;
                }
                let row = x.row(i);
                (0..k)
                    .map(|c| {
                        let d2: f64 = row.iter().zip(centroids.row(c)).map(|(a, b)| (a - b) * (a - b)).sum();
                        d2 + penalty * (1.0 - votes[c] as f64 / kk)
                    })
                    .enumerate()
                    .fold((0, f64::INFINITY), |best, (c, v)| if v < best.1 { (c, v) } else { best })
                    .0
            })
            .collect()
    }
}

impl_fit!(LofkmParams, LofkmValidParams => Lofkm);

/// Means of the clusters; an empty cluster keeps its previous centroid.
fn means(x: ArrayView2<f64>, labels: &[usize], previous: &Array2<f64>) -> Array2<f64> {
    let mut sums = Array2::<f64>::zeros(previous.dim());
    let mut counts = vec![0usize; previous.nrows()];
    for (row, &l) in x.outer_iter().zip(labels) {
        sums.row_mut(l).scaled_add(1.0, &row);
        counts[l] += 1;
    }
    for (c, mut row) in sums.axis_iter_mut(Axis(0)).enumerate() {
        if counts[c] == 0 {
            row.assign(&previous.row(c));
        } else {
            row.mapv_inplace(|v| v / counts[c] as f64);
        }
    }
    sums
}

fn sse(x: ArrayView2<f64>, labels: &[usize], centroids: &Array2<f64>) -> f64 {
    x.outer_iter().zip(labels).map(|(row, &l)| row.iter().zip(centroids.row(l)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()).sum()
}

impl_persist!(Lofkm, "LOFKM clustering");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::blobs;
    use ndarray::array;

    #[test]
    fn connectivity_counts_same_label_neighbours() {
        let x = array![[0.0], [1.0], [2.0], [10.0], [11.0]];
        let c = local_connectivity(x.view(), &[0, 0, 1, 1, 1], 1).unwrap();
        // Point 2's nearest neighbour is point 1 (label 0): unsupported.
        assert_eq!(c.per_point(), &[1.0, 1.0, 0.0, 1.0, 1.0]);
        assert!((c.mean() - 0.8).abs() < 1e-15);
        assert!((c.poorly_connected() - 0.2).abs() < 1e-15);
    }

    #[test]
    fn improves_connectivity_on_overlapping_blobs() {
        let ds = blobs(600, 4, 2, 3.0, 7).unwrap();
        let fit = Lofkm::params().n_clusters(4).beta(2.0).fit_records(ds.records().view()).unwrap();
        assert!(
            fit.connectivity().mean() > fit.kmeans_connectivity().mean(),
            "{} vs {}",
            fit.connectivity().mean(),
            fit.kmeans_connectivity().mean()
        );
        assert!(fit.connectivity().poorly_connected() <= fit.kmeans_connectivity().poorly_connected());
        // At a modest cost in SSE.
        assert!(fit.sse() >= fit.kmeans_sse() * (1.0 - 1e-9) && fit.sse() < 1.2 * fit.kmeans_sse());
    }

    #[test]
    fn beta_zero_is_kmeans() {
        let ds = blobs(200, 3, 2, 1.0, 3).unwrap();
        let fit = Lofkm::params().n_clusters(3).beta(0.0).fit_records(ds.records().view()).unwrap();
        assert!((fit.sse() - fit.kmeans_sse()).abs() <= 1e-9 * fit.kmeans_sse());
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let ds = blobs(5000, 5, 3, 2.0, 1).unwrap();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| Lofkm::params().n_clusters(5).fit_records(ds.records().view()).unwrap())
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_input() {
        let x = blobs(30, 2, 2, 1.0, 0).unwrap().records().to_owned();
        let err = |p: LofkmParams| match p.fit_records(x.view()) {
            Err(Error::Param { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(Lofkm::params()), "n_clusters");
        assert_eq!(err(Lofkm::params().n_clusters(0)), "n_clusters");
        assert_eq!(err(Lofkm::params().n_clusters(31)), "n_clusters");
        assert_eq!(err(Lofkm::params().n_clusters(2).n_neighbors(0)), "n_neighbors");
        assert_eq!(err(Lofkm::params().n_clusters(2).n_neighbors(30)), "n_neighbors");
        assert_eq!(err(Lofkm::params().n_clusters(2).beta(-1.0)), "beta");
        assert_eq!(err(Lofkm::params().n_clusters(2).max_iter(0)), "max_iter");
        assert_eq!(err(Lofkm::params().n_clusters(2).n_init(0)), "n_init");
        let mut bad = x.clone();
        bad[[1, 1]] = f64::NAN;
        assert!(matches!(Lofkm::params().n_clusters(2).fit_records(bad.view()), Err(Error::Data(_))));
        assert!(matches!(local_connectivity(x.view(), &[0; 29], 3), Err(Error::Param { name: "labels", .. })));
    }
}
