//! K-subspaces: cluster points lying near a union of K low-dimensional
//! (linear or affine) subspaces.
//!
//! Alternates, like k-means with subspaces for centroids, between
//! - **assignment**: each point goes to the subspace with the smallest squared
//!   residual `‖(I − UₖUₖᵀ)(x − μₖ)‖²`, and
//! - **refit**: each subspace becomes the top-`dₖ` principal directions of its
//!   points (through the origin by default, so `μₖ = 0`; through their mean with
//!   [`affine`](KSubspacesParams::affine)),
//!
//! until no label changes. The total residual never increases. Several restarts
//! keep the lowest total residual. Each restart is seeded in the spirit of
//! k-means++ (our choice; the classic method starts from random subspaces): a
//! seed point drawn with probability proportional to its residual to the
//! subspaces chosen so far, and a subspace fitted to its nearest points (by
//! angle for linear subspaces, by distance for affine ones). A cluster left with
//! too few points is re-seeded the same way at the worst-fitted point.
//!
//! Papers: P. S. Bradley & O. L. Mangasarian, "k-Plane clustering", J. Global
//! Optimization 16, 2000; P. Tseng, "Nearest q-flat to m points", J. Optim.
//! Theory Appl. 105, 2000; J. Ho, M.-H. Yang, J. Lim, K.-C. Lee & D. Kriegman,
//! "Clustering appearances of objects under varying illumination conditions",
//! CVPR 2003; survey: R. Vidal, "Subspace clustering", IEEE Signal Processing
//! Magazine 28(2), 2011.
//!
//! Cost per iteration: `O(n·D·Σdₖ)` for the assignment and `O(n·D² + K·D³)` for
//! the refit (`D` features); times iterations and restarts. Memory `O(n·D)`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let m = molrg(20, &[2, 2, 2], 300, 1)?;
//! let fit = KSubspaces::params().n_clusters(3).dim(2).seed(7).fit_records(m.data.view())?;
//! assert_eq!(fit.labels().len(), 300);
//! assert_eq!(fit.bases()[0].dim(), (20, 2));
//! assert!(clustering_accuracy(&m.labels.to_vec(), fit.labels())? > 0.99);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::{check_dim, check_n_clusters, check_records, cluster_sizes, first_two, impl_cluster_display};
use crate::error::{Error, Result};
use crate::estimator::required;
use crate::estimator::{impl_fit, params};
use crate::interrupt;
use crate::linalg::{symmetric_eigen, top_eigenpairs};
use crate::persist::impl_persist;
use crate::render::impl_render;
use crate::rng;

/// Rows per parallel task.
const ROWS: usize = 2048;
/// Feature counts above this use Lanczos instead of dense Jacobi for the refit.
const DENSE_EIGEN_MAX: usize = 256;
/// RNG stream of the restarts.
const STREAM: u64 = crate::rng::stream::K_SUBSPACES;
const WHO: &str = "KSubspaces";

/// K-subspaces clustering: fitted model; start from [`KSubspaces::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct KSubspaces {
    params: KSubspacesValidParams,
    labels: Vec<usize>,
    bases: Vec<Array2<f64>>,
    means: Vec<Array1<f64>>,
    residual: f64,
    n_iter: usize,
    display: Array2<f64>,
}

params! {
    /// Checked K-subspaces parameters; see [`KSubspaces::params`].
    KSubspaces("KSubspaces") => KSubspacesParams, KSubspacesValidParams {
        /// Number of subspaces, required (at most n_samples at fit).
        n_clusters: Option<usize> = None => 1..; from usize,
        /// The dimension of every subspace (below n_features at fit);
        /// required unless `dims` is given.
        dim: Option<usize> = None => 1..; from usize,
        /// One dimension per subspace (length n_clusters, each ≥ 1 and below
        /// n_features at fit); overrides `dim`.
        dims: Option<Vec<usize>> = None; from Vec<usize>,
        /// Fit affine subspaces `μₖ + span(Uₖ)` (through their points' mean)
        /// instead of subspaces through the origin.
        affine: bool = false,
        /// Restarts; the lowest total residual is kept.
        n_init: usize = 5 => 1..,
        /// Assignment–refit rounds per restart.
        max_iter: usize = 100 => 1..,
        /// The same seed gives the same clustering at any thread count.
        seed: u64 = 42,
    }
    check(p) {
        p.subspace_dims()?;
    }
}

impl KSubspaces {
    /// Cluster of each training point, in `0..n_clusters`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &KSubspacesValidParams {
        &self.params
    }

    /// Orthonormal basis `Uₖ` (n_features × dₖ) of each subspace.
    pub fn bases(&self) -> &[Array2<f64>] {
        &self.bases
    }

    /// Offset `μₖ` of each subspace (zeros unless fitted with `affine(true)`).
    pub fn means(&self) -> &[Array1<f64>] {
        &self.means
    }

    /// Total squared residual `Σᵢ ‖(I − UUᵀ)(xᵢ − μ)‖²` of the kept restart.
    pub fn residual(&self) -> f64 {
        self.residual
    }

    /// Assignment–refit rounds of the kept restart.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Number of subspaces.
    pub fn n_clusters(&self) -> usize {
        self.bases.len()
    }

    /// Points in each cluster.
    pub fn cluster_sizes(&self) -> Vec<usize> {
        cluster_sizes(&self.labels, self.n_clusters())
    }

    /// The subspace nearest to each row of `x` (smallest residual); an error
    /// names both widths when `x` does not have the training number of columns.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<usize>> {
        let dim = self.bases.first().map(|b| b.nrows()).ok_or_else(|| Error::internal("a fitted KSubspaces holds no subspace"))?;
        check_dim(WHO, x, dim)?;
        let model = Model { bases: self.bases.clone(), means: self.means.clone() };
        Ok(Array1::from(model.assign(x).0))
    }

    /// The first two coordinates of the training points.
    pub fn display_points(&self) -> ArrayView2<'_, f64> {
        self.display.view()
    }

    fn title(&self) -> String {
        let dims: Vec<String> = self.bases.iter().map(|b| b.ncols().to_string()).collect();
        format!("K-subspaces: {} subspaces of dimension [{}]", self.n_clusters(), dims.join(", "))
    }
}

impl_cluster_display!(KSubspaces, ["x1", "x2"]);
impl_render!(KSubspaces, "K-subspaces", params: params, shapes: [labels, bases]);

impl KSubspacesValidParams {
    /// The dimension of each subspace: `dims`, or `dim` for all `n_clusters`.
    fn subspace_dims(&self) -> Result<Vec<usize>> {
        let k = required(WHO, "n_clusters", self.n_clusters)?;
        let dims = match (&self.dims, self.dim) {
            (Some(dims), _) => dims.clone(),
            (None, Some(dim)) => vec![dim; k],
            (None, None) => {
                return Err(Error::param("dim", "of KSubspaces must be set (it has no default) unless dims is given; got None"))
            }
        };
        if dims.len() != k {
            return Err(Error::param("dims", format!("of KSubspaces must hold one dimension per cluster ({k}); got {}", dims.len())));
        }
        if let Some(i) = dims.iter().position(|&d| d == 0) {
            return Err(Error::param("dims", format!("of KSubspaces must be ≥ 1; got dims[{i}] = 0")));
        }
        Ok(dims)
    }

    /// Clusters the rows of `x`.
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<KSubspaces> {
        let dims = self.subspace_dims()?;
        check_records(WHO, x)?;
        let (n, d) = x.dim();
        check_n_clusters(WHO, dims.len(), n)?;
        if let Some((k, &dk)) = dims.iter().enumerate().find(|(_, &dk)| dk >= d) {
            let name = if self.dims.is_some() { "dims" } else { "dim" };
            return Err(Error::param(name, format!("of KSubspaces must be < n_features = {d}; got {name}[{k}] = {dk}")));
        }
        let runs: Vec<Run> = (0..self.n_init)
            .into_par_iter()
            .map(|r| self.one_run(x, &dims, rng::derive(self.seed, STREAM, r as u64)))
            .collect::<Result<_>>()?;
        // Lowest residual; ties to the earlier restart, whatever the scheduling.
        let best = runs
            .into_iter()
            .reduce(|a, b| if b.residual < a.residual { b } else { a })
            .ok_or_else(|| Error::param("n_init", "of KSubspaces must be ≥ 1; got 0"))?;
        Ok(KSubspaces {
            params: self.clone(),
            labels: best.labels,
            bases: best.model.bases,
            means: best.model.means,
            residual: best.residual,
            n_iter: best.n_iter,
            display: first_two(x),
        })
    }

    fn one_run(&self, x: ArrayView2<f64>, dims: &[usize], seed: u64) -> Result<Run> {
        let mut gen = rng::xoshiro(seed);
        let mut model = self.seed_model(x, dims, &mut gen);
        let (mut labels, mut res) = model.assign(x);
        let mut n_iter = 0;
        for _ in 0..self.max_iter {
            interrupt::check("KSubspaces iterations")?;
            n_iter += 1;
            self.refit(x, dims, &labels, &res, &mut model);
            let (new_labels, new_res) = model.assign(x);
            let changed = new_labels != labels;
            labels = new_labels;
            res = new_res;
            if !changed {
                break;
            }
        }
        let residual = res.iter().sum();
        Ok(Run { labels, model, residual, n_iter })
    }

    /// k-means++-style seeding: each new subspace is fitted around a point drawn
    /// in proportion to its residual to the subspaces chosen so far.
    fn seed_model(&self, x: ArrayView2<f64>, dims: &[usize], gen: &mut impl Rng) -> Model {
        let n = x.nrows();
        let mut model = Model { bases: Vec::new(), means: Vec::new() };
        for &dk in dims {
            let centre = if model.bases.is_empty() {
                gen.gen_range(0..n)
            } else {
                let (_, res) = model.assign(x);
                draw_proportional(&res, gen)
            };
            let (u, mu) = self.local_subspace(x, centre, dk);
            model.bases.push(u);
            model.means.push(mu);
        }
        model
    }

    /// A `dk`-dimensional subspace fitted to point `centre` and its nearest
    /// points: by angle for linear subspaces (points on a line through the
    /// origin are at angle 0 whatever their norm), by distance for affine ones.
    fn local_subspace(&self, x: ArrayView2<f64>, centre: usize, dk: usize) -> (Array2<f64>, Array1<f64>) {
        let n = x.nrows();
        let c = x.row(centre);
        let cn = c.dot(&c).sqrt().max(f64::MIN_POSITIVE);
        let far: Vec<f64> = x
            .outer_iter()
            .map(|row| {
                if self.affine {
                    row.iter().zip(c.iter()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
                } else {
                    let rn = row.dot(&row).sqrt();
                    if rn == 0.0 {
                        2.0
                    } else {
                        1.0 - (row.dot(&c) / (rn * cn)).abs()
                    }
                }
            })
            .collect();
        let m = (3 * (dk + 1)).max(10).min(n);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| far[a].total_cmp(&far[b]).then(a.cmp(&b)));
        order.truncate(m);
        fit_subspace(x, &order, dk, self.affine)
    }

    /// Refits each subspace to its points; a cluster with fewer points than its
    /// dimension (or none) is re-seeded at the worst-fitted point.
    fn refit(&self, x: ArrayView2<f64>, dims: &[usize], labels: &[usize], res: &[f64], model: &mut Model) {
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); dims.len()];
        for (i, &l) in labels.iter().enumerate() {
            members[l].push(i);
        }
        let mut taken = vec![false; x.nrows()];
        for (k, rows) in members.iter().enumerate() {
            let dk = dims[k];
            let (u, mu) = if rows.len() > dk {
                fit_subspace(x, rows, dk, self.affine)
            } else {
                let worst = (0..res.len())
                    .filter(|&i| !taken[i])
                    .fold(None, |best: Option<usize>, i| match best {
                        Some(b) if res[b] >= res[i] => Some(b),
                        _ => Some(i),
                    })
                    .expect("fewer points are re-seeded than there are clusters, and n_clusters ≤ n_samples");
                taken[worst] = true;
                self.local_subspace(x, worst, dk)
            };
            model.bases[k] = u;
            model.means[k] = mu;
        }
    }
}

/// A restart's outcome.
struct Run {
    labels: Vec<usize>,
    model: Model,
    residual: f64,
    n_iter: usize,
}

/// The subspaces: bases and offsets.
struct Model {
    bases: Vec<Array2<f64>>,
    means: Vec<Array1<f64>>,
}

impl Model {
    /// Nearest subspace of each row and its squared residual; ties go to the
    /// lower index. Rows in fixed blocks, so the result is thread-independent.
    fn assign(&self, x: ArrayView2<f64>) -> (Vec<usize>, Vec<f64>) {
        let n = x.nrows();
        let blocks: Vec<(Vec<usize>, Vec<f64>)> = (0..n.div_ceil(ROWS))
            .into_par_iter()
            .map(|b| {
                let rows = x.slice(ndarray::s![b * ROWS..((b + 1) * ROWS).min(n), ..]);
                self.assign_block(rows)
            })
            .collect();
        let mut labels = Vec::with_capacity(n);
        let mut res = Vec::with_capacity(n);
        for (l, r) in blocks {
            labels.extend(l);
            res.extend(r);
        }
        (labels, res)
    }

    fn assign_block(&self, rows: ArrayView2<f64>) -> (Vec<usize>, Vec<f64>) {
        let m = rows.nrows();
        let mut best = vec![(0usize, f64::INFINITY); m];
        for (k, (u, mu)) in self.bases.iter().zip(&self.means).enumerate() {
            let centred = &rows - &mu.view().insert_axis(Axis(0));
            let proj = centred.dot(u);
            for ((c, p), best) in centred.outer_iter().zip(proj.outer_iter()).zip(best.iter_mut()) {
                let r = (c.dot(&c) - p.dot(&p)).max(0.0);
                if r < best.1 {
                    *best = (k, r);
                }
            }
        }
        best.into_iter().unzip()
    }
}

/// Index drawn with probability proportional to `weights` (uniform when all are 0).
fn draw_proportional(weights: &[f64], gen: &mut impl Rng) -> usize {
    let total: f64 = weights.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return gen.gen_range(0..weights.len());
    }
    let mut target = gen.gen::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if target < w {
            return i;
        }
        target -= w;
    }
    weights.iter().rposition(|&w| w > 0.0).expect("the total is positive, so some weight is")
}

/// The top-`dk` principal directions of the given rows of `x` (about their
/// mean when `affine`, about the origin otherwise), with a fixed sign (largest
/// entry positive) so the basis does not depend on the eigensolver.
fn fit_subspace(x: ArrayView2<f64>, rows: &[usize], dk: usize, affine: bool) -> (Array2<f64>, Array1<f64>) {
    let d = x.ncols();
    let pts = x.select(Axis(0), rows);
    let mu = if affine { pts.mean_axis(Axis(0)).expect("a subspace is fitted to at least one point") } else { Array1::zeros(d) };
    let centred = &pts - &mu.view().insert_axis(Axis(0));
    let scatter = centred.t().dot(&centred);
    let mut u = top_directions(&scatter, dk);
    for mut col in u.axis_iter_mut(Axis(1)) {
        if largest_entry(col.view()) < 0.0 {
            col.mapv_inplace(|v| -v);
        }
    }
    (u, mu)
}

fn largest_entry(v: ArrayView1<f64>) -> f64 {
    v.iter().copied().fold(0.0, |m: f64, x| if x.abs() > m.abs() { x } else { m })
}

/// Top-`dk` eigenvectors of the symmetric `scatter` (D × D): dense Jacobi for
/// small D, Lanczos beyond.
fn top_directions(scatter: &Array2<f64>, dk: usize) -> Array2<f64> {
    let d = scatter.nrows();
    if d <= DENSE_EIGEN_MAX {
        let (_, vectors) = symmetric_eigen(scatter);
        return vectors.slice(ndarray::s![.., ..dk]).to_owned();
    }
    let apply = |v: &[f64], out: &mut [f64]| {
        for (o, row) in out.iter_mut().zip(scatter.outer_iter()) {
            *o = row.iter().zip(v).map(|(a, b)| a * b).sum();
        }
    };
    let scale = scatter.diag().iter().sum::<f64>().max(f64::MIN_POSITIVE);
    let (_, vectors) = top_eigenpairs(d, &apply, &[], dk, 0x5eed, 1e-10 * scale, 50 * d);
    vectors
}

impl_fit!(KSubspacesParams, KSubspacesValidParams => KSubspaces);

impl linfa::traits::PredictInplace<Array2<f64>, Array1<usize>> for KSubspaces {
    /// Nearest subspace of each row. linfa's `predict` cannot fail, so rows of
    /// the wrong width (or with non-finite entries) all get the label
    /// `usize::MAX`, which is no cluster; [`KSubspaces::predict`] returns the
    /// error instead.
    fn predict_inplace(&self, x: &Array2<f64>, y: &mut Array1<usize>) {
        match self.predict(x.view()) {
            Ok(labels) => y.iter_mut().zip(labels).for_each(|(t, l)| *t = l),
            Err(_) => y.fill(usize::MAX),
        }
    }

    fn default_target(&self, x: &Array2<f64>) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

impl_persist!(KSubspaces, "K-subspaces model");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{molrg, MolrgParams};
    use crate::metrics::{clustering_accuracy, match_subspaces};

    #[test]
    fn recovers_planted_subspaces() {
        let m = MolrgParams::new(30, &[3, 3, 3, 3]).noise(0.01).sample(2000, 3).unwrap();
        let fit = KSubspaces::params().n_clusters(4).dim(3).fit_records(m.data.view()).unwrap();
        let acc = clustering_accuracy(&m.labels.to_vec(), fit.labels()).unwrap();
        assert!(acc > 0.99, "accuracy {acc}");
        let pairs = match_subspaces(fit.bases(), &m.bases).unwrap();
        assert!(pairs.max_error < 0.05, "{pairs:?}");
        // New points go to their own subspace.
        let fresh = MolrgParams::new(30, &[3, 3, 3, 3]).noise(0.01).sample(200, 3).unwrap();
        let pred = fit.predict(fresh.data.view()).unwrap();
        let map: Vec<usize> = (0..4).map(|k| pairs.assignment[k]).collect();
        let hits = pred.iter().zip(fresh.labels.iter()).filter(|(p, t)| **p == map[**t]).count();
        assert!(hits >= 196, "{hits}/200");
    }

    #[test]
    fn affine_subspaces_with_mixed_dimensions() {
        // Two lines and a plane, shifted away from the origin.
        let m = molrg(8, &[1, 1, 2], 600, 11).unwrap();
        let shifts = [3.0, -3.0, 6.0];
        let mut x = m.data.clone();
        for (mut row, &l) in x.outer_iter_mut().zip(m.labels.iter()) {
            row[l] += shifts[l];
        }
        let fit = KSubspaces::params().n_clusters(3).dims(vec![1, 1, 2]).affine(true).n_init(8).fit_records(x.view()).unwrap();
        let acc = clustering_accuracy(&m.labels.to_vec(), fit.labels()).unwrap();
        assert!(acc > 0.97, "accuracy {acc}");
        assert!(fit.means().iter().any(|mu| mu.iter().any(|v| v.abs() > 1.0)));
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let m = molrg(12, &[2, 2, 2], 5000, 5).unwrap();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| KSubspaces::params().n_clusters(3).dim(2).seed(9).fit_records(m.data.view()).unwrap())
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let x = molrg(5, &[1, 1], 20, 0).unwrap().data;
        let err = |p: KSubspacesParams| match p.fit_records(x.view()) {
            Err(Error::Param { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(KSubspaces::params().n_clusters(0).dim(1)), "n_clusters");
        assert_eq!(err(KSubspaces::params().n_clusters(21).dim(1)), "n_clusters");
        assert_eq!(err(KSubspaces::params().n_clusters(2).dim(0)), "dim");
        assert_eq!(err(KSubspaces::params().n_clusters(2).dim(5)), "dim");
        assert_eq!(err(KSubspaces::params().n_clusters(2).dims(vec![1, 5])), "dims");
        assert_eq!(err(KSubspaces::params().n_clusters(2).dims(vec![1, 0])), "dims");
        assert_eq!(err(KSubspaces::params().dim(1)), "n_clusters");
        assert_eq!(err(KSubspaces::params().n_clusters(2)), "dim");
        assert_eq!(err(KSubspaces::params().n_clusters(2).dim(1).dims(vec![1])), "dims");
        assert_eq!(err(KSubspaces::params().n_clusters(2).dim(1).n_init(0)), "n_init");
        assert_eq!(err(KSubspaces::params().n_clusters(2).dim(1).max_iter(0)), "max_iter");
    }

    #[test]
    fn bad_data_is_a_data_error() {
        let mut x = molrg(5, &[1, 1], 20, 0).unwrap().data;
        let p = KSubspaces::params().n_clusters(2).dim(1);
        assert!(matches!(p.fit_records(Array2::zeros((0, 5)).view()), Err(Error::Data(_))));
        x[[3, 2]] = f64::NAN;
        assert!(matches!(p.fit_records(x.view()), Err(Error::Data(_))));
        let ok = molrg(5, &[1, 1], 20, 0).unwrap().data;
        let fit = p.fit_records(ok.view()).unwrap();
        let wrong = Array2::<f64>::zeros((2, 4));
        let err = fit.predict(wrong.view()).unwrap_err().to_string();
        assert!(err.contains("5 features") && err.contains("with 4"), "{err}");
        // linfa's predict cannot fail: no row gets a cluster.
        let labels: Array1<usize> = linfa::traits::Predict::predict(&fit, &wrong);
        assert!(labels.iter().all(|&l| l == usize::MAX));
    }

    #[test]
    fn figure_has_one_trace_per_cluster() {
        let m = molrg(6, &[1, 1], 100, 2).unwrap();
        let fit = KSubspaces::params().n_clusters(2).dim(1).fit_records(m.data.view()).unwrap();
        assert_eq!(fit.figure().unwrap().n_traces(), 2);
        assert!(fit.figure_on(Array2::zeros((99, 2)).view()).is_err());
    }
}
