//! Probabilistic Partitive Partitioning (PPP): k-means partitions validated by
//! a Gaussian mixture, to choose the number of clusters and return the same
//! clusters whatever the initialisation.
//!
//! M. Sultan, "Probabilistic Partitive Partitioning (PPP)", arXiv 2003.04372
//! (2020) combines k-means (to partition large data) with a Gaussian mixture
//! model (to validate the partitions), claiming repeatable, compact clusters
//! insensitive to initial conditions and no need to fix k in advance. **Only
//! the abstract could be read here; the procedure below is this crate's
//! interpretation, not the paper's algorithm**. For each k in
//! `k_min..=k_max`:
//!
//! 1. `n_restarts` k-means runs (linfa-clustering, each the best of 3
//!    k-means++ starts, each its own seed) give partitions; their **stability** is the mean adjusted Rand
//!    index over all pairs of runs, and the **representative** partition is the
//!    medoid (largest summed ARI to the others, ties to the earlier run), so it
//!    does not hinge on one initialisation;
//! 2. a full-covariance Gaussian mixture with k components (linfa-clustering,
//!    k-means start) is fitted; its **agreement** is the ARI between its
//!    labels and the representative partition, and its **BIC**
//!    `−2·log L + p·ln n` with `p = k·D + k·D(D+1)/2 + k − 1` scores the fit.
//!
//! The chosen k has the lowest BIC among those with stability ≥
//! `min_stability` and agreement ≥ `min_agreement`; if no k qualifies, the
//! largest stability × agreement wins. Its representative partition is
//! returned with clusters renumbered by first appearance, so equal partitions
//! give equal labels.
//!
//! Cost: `(k_max − k_min + 1)·(n_restarts·k-means + GMM + n_restarts²·O(n))`;
//! a GMM round is `O(n·k·D²)`. Memory `O(n·(D + n_restarts))`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = blobs(400, 4, 2, 0.5, 3)?;
//! let fit = Ppp::params().k_range(2, 6).fit_records(ds.records().view())?;
//! assert_eq!(fit.n_clusters(), 4);
//! assert_eq!(fit.candidates().len(), 5);
//! # Ok::<(), lowdim::Error>(())
//! ```

use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::{GaussianMixtureModel, GmmInitMethod};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::{check_records, cluster_sizes, first_two, impl_cluster_display, kmeans};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params};
use crate::metrics::ari;
use crate::persist::impl_persist;
use crate::plot::{lines, Figure, Series};
use crate::render::impl_render;
use crate::rng;

const STREAM: u64 = crate::rng::stream::PPP;
/// k-means++ starts inside each restart (its best kept), so that a restart is
/// a sound k-means result and instability reflects the data, not one bad start.
const RUN_INIT: usize = 3;

/// The scores of one k; see the module doc.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PppCandidate {
    /// Number of clusters.
    pub k: usize,
    /// Mean pairwise ARI of the k-means restarts.
    pub stability: f64,
    /// ARI between the Gaussian mixture and the representative partition
    /// (NaN when the mixture could not be fitted).
    pub agreement: f64,
    /// BIC of the Gaussian mixture (+∞ when it could not be fitted).
    pub bic: f64,
    /// Sum of squared distances of the representative partition.
    pub inertia: f64,
}

/// PPP: fitted model; start from [`Ppp::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Ppp {
    params: PppValidParams,
    labels: Vec<usize>,
    n_clusters: usize,
    candidates: Vec<PppCandidate>,
    display: Array2<f64>,
}

params! {
    /// Checked PPP parameters; see [`Ppp::params`].
    Ppp("Ppp") => PppParams, PppValidParams {
        /// The smallest k tried (≥ 2, at most n_samples − 1 at fit); see
        /// [`k_range`](PppParams::k_range).
        k_min: usize = 2,
        /// The largest k tried (≥ k_min; clipped to n_samples − 1 at fit).
        k_max: usize = 10,
        /// k-means runs per k; stability compares them, so at least 2.
        n_restarts: usize = 10 => 2..,
        /// The mean pairwise ARI a k needs to qualify.
        min_stability: f64 = 0.8 => -1.0..=1.0,
        /// The ARI between mixture and partition a k needs to qualify.
        min_agreement: f64 = 0.8 => -1.0..=1.0,
        seed: u64 = 42,
    }
    check(p) {
        if p.k_min < 2 || p.k_max < p.k_min {
            return Err(Error::param("k_range", format!("of Ppp must satisfy 2 ≤ k_min ≤ k_max; got {}..={}", p.k_min, p.k_max)));
        }
    }
}

impl Ppp {
    /// Cluster of each point, numbered by first appearance.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &PppValidParams {
        &self.params
    }

    /// The chosen number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.n_clusters
    }

    /// The scores of every k tried, ascending in k.
    pub fn candidates(&self) -> &[PppCandidate] {
        &self.candidates
    }

    /// Points in each cluster.
    pub fn cluster_sizes(&self) -> Vec<usize> {
        cluster_sizes(&self.labels, self.n_clusters)
    }

    /// Stability and agreement against k (BIC is on another scale: see `candidates`).
    pub fn score_figure(&self) -> Result<Figure> {
        let ks: Vec<f64> = self.candidates.iter().map(|c| c.k as f64).collect();
        let s = Series::new("stability (mean pairwise ARI)", ks.clone(), self.candidates.iter().map(|c| c.stability).collect());
        let a = Series::new(
            "GMM agreement (ARI)",
            ks,
            self.candidates.iter().map(|c| if c.agreement.is_finite() { c.agreement } else { 0.0 }).collect(),
        );
        Ok(lines(&[s, a])?.title(&format!("PPP scores (chosen k = {})", self.n_clusters)).axis_labels(&["k", "ARI"]))
    }

    /// The first two coordinates of the points.
    pub fn display_points(&self) -> ArrayView2<'_, f64> {
        self.display.view()
    }

    fn title(&self) -> String {
        format!(
            "PPP: {} clusters chosen from k in {}..={}",
            self.n_clusters,
            self.candidates[0].k,
            self.candidates[self.candidates.len() - 1].k
        )
    }
}

impl_cluster_display!(Ppp, ["x1", "x2"]);
impl_render!(Ppp, "PPP", params: params, shapes: [labels, candidates]);

impl PppParams {
    /// The k tried, `k_min..=k_max` (both set at once; errors name `k_range`).
    pub fn k_range(self, k_min: usize, k_max: usize) -> Self {
        self.k_min(k_min).k_max(k_max)
    }
}

impl PppValidParams {
    /// Clusters the rows of `x`.
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<Ppp> {
        check_records("Ppp", x)?;
        let n = x.nrows();
        if n < 3 || self.k_min > n - 1 {
            return Err(Error::param(
                "k_range",
                format!("of Ppp must have k_min ≤ n_samples − 1 = {}; got k_min = {}", n.saturating_sub(1), self.k_min),
            ));
        }
        let k_max = self.k_max.min(n - 1);
        let mut candidates = Vec::new();
        let mut partitions = Vec::new();
        for k in self.k_min..=k_max {
            let (candidate, labels) = self.score_k(x, k)?;
            candidates.push(candidate);
            partitions.push(labels);
        }
        let qualified = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.stability >= self.min_stability && c.agreement >= self.min_agreement && c.bic.is_finite())
            .fold(None, |best: Option<(usize, f64)>, (i, c)| match best {
                Some((_, b)) if b <= c.bic => best,
                _ => Some((i, c.bic)),
            });
        let chosen = match qualified {
            Some((i, _)) => i,
            None => {
                candidates
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i, c.stability * if c.agreement.is_finite() { c.agreement.max(0.0) } else { 0.0 }))
                    .fold((0, f64::NEG_INFINITY), |best, (i, v)| if v > best.1 { (i, v) } else { best })
                    .0
            }
        };
        Ok(Ppp {
            params: self.clone(),
            labels: canonical(&partitions[chosen]),
            n_clusters: candidates[chosen].k,
            candidates,
            display: first_two(x),
        })
    }

    fn score_k(&self, x: ArrayView2<f64>, k: usize) -> Result<(PppCandidate, Vec<usize>)> {
        let runs: Vec<(Vec<usize>, f64)> = (0..self.n_restarts)
            .into_par_iter()
            .map(|r| kmeans(x, k, RUN_INIT, rng::derive(self.seed, STREAM + k as u64, r as u64)).map(|(l, _, inertia)| (l, inertia)))
            .collect::<Result<_>>()?;
        let m = runs.len();
        let mut agree = Array2::<f64>::ones((m, m));
        for a in 0..m {
            for b in a + 1..m {
                let v = ari(&runs[a].0, &runs[b].0)?;
                agree[[a, b]] = v;
                agree[[b, a]] = v;
            }
        }
        let stability = (agree.sum() - m as f64) / (m * (m - 1)) as f64;
        let medoid =
            (0..m).map(|a| (a, agree.row(a).sum())).fold((0, f64::NEG_INFINITY), |best, (a, s)| if s > best.1 { (a, s) } else { best }).0;
        let (labels, inertia) = runs[medoid].clone();
        let (agreement, bic) = gmm_scores(x, k, &labels, rng::derive(self.seed, STREAM, k as u64)).unwrap_or((f64::NAN, f64::INFINITY));
        Ok((PppCandidate { k, stability, agreement, bic, inertia }, labels))
    }
}

impl_fit!(PppParams, PppValidParams => Ppp);

/// ARI of a full-covariance Gaussian mixture against `labels`, and its BIC;
/// `None` when the mixture cannot be fitted (singular covariances).
fn gmm_scores(x: ArrayView2<f64>, k: usize, labels: &[usize], seed: u64) -> Option<(f64, f64)> {
    let data = DatasetBase::from(x.to_owned());
    let gmm = GaussianMixtureModel::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .init_method(GmmInitMethod::KMeans)
        .n_runs(1)
        .tolerance(1e-4)
        .max_n_iterations(200)
        .fit(&data)
        .ok()?;
    let predicted: Array1<usize> = gmm.predict(&data.records);
    let agreement = ari(labels, predicted.as_slice().expect("linfa's predict returns a fresh, contiguous array")).ok()?;
    let ll = log_likelihood(x, gmm.weights(), gmm.means(), gmm.covariances())?;
    let (n, d) = x.dim();
    let p = (k * d + k * d * (d + 1) / 2 + k - 1) as f64;
    Some((agreement, -2.0 * ll + p * (n as f64).ln()))
}

/// `Σᵢ log Σₖ πₖ N(xᵢ; μₖ, Σₖ)` by Cholesky factors and log-sum-exp.
fn log_likelihood(x: ArrayView2<f64>, weights: &Array1<f64>, means: &Array2<f64>, covariances: &ndarray::Array3<f64>) -> Option<f64> {
    let d = x.ncols();
    let factors: Vec<Array2<f64>> = covariances.outer_iter().map(cholesky).collect::<Option<_>>()?;
    let log_norm: Vec<f64> = factors
        .iter()
        .zip(weights)
        .map(|(l, w)| w.ln() - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln() - l.diag().iter().map(|v| v.ln()).sum::<f64>())
        .collect();
    let per_point: Vec<f64> = x
        .outer_iter()
        .map(|row| {
            let terms: Vec<f64> =
                factors.iter().zip(means.outer_iter()).zip(&log_norm).map(|((l, mu), c)| c - 0.5 * mahalanobis2(l, row, mu)).collect();
            let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
        })
        .collect();
    let ll: f64 = per_point.iter().sum();
    ll.is_finite().then_some(ll)
}

/// Lower Cholesky factor of a symmetric positive-definite matrix.
fn cholesky(a: ArrayView2<f64>) -> Option<Array2<f64>> {
    let d = a.nrows();
    let mut l = Array2::<f64>::zeros((d, d));
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|t| l[[i, t]] * l[[j, t]]).sum();
            if i == j {
                let v = a[[i, i]] - s;
                if v.is_nan() || v <= 0.0 {
                    return None;
                }
                l[[i, i]] = v.sqrt();
            } else {
                l[[i, j]] = (a[[i, j]] - s) / l[[j, j]];
            }
        }
    }
    Some(l)
}

/// `(x − μ)ᵀ Σ⁻¹ (x − μ)` with `Σ = LLᵀ`, by forward substitution.
fn mahalanobis2(l: &Array2<f64>, x: ArrayView1<f64>, mu: ArrayView1<f64>) -> f64 {
    let d = x.len();
    let mut z = vec![0.0; d];
    for i in 0..d {
        let s: f64 = (0..i).map(|t| l[[i, t]] * z[t]).sum();
        z[i] = (x[i] - mu[i] - s) / l[[i, i]];
    }
    z.iter().map(|v| v * v).sum()
}

/// Labels renumbered by first appearance.
fn canonical(labels: &[usize]) -> Vec<usize> {
    let mut map = std::collections::HashMap::new();
    labels
        .iter()
        .map(|l| {
            let next = map.len();
            *map.entry(*l).or_insert(next)
        })
        .collect()
}

impl_persist!(Ppp, "PPP clustering");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::blobs;
    use crate::metrics::clustering_accuracy;

    #[test]
    fn finds_k_and_repeats_across_seeds() {
        let ds = blobs(500, 5, 3, 0.6, 11).unwrap();
        let truth = ds.targets().to_vec();
        let a = Ppp::params().k_range(2, 8).seed(1).fit_records(ds.records().view()).unwrap();
        let b = Ppp::params().k_range(2, 8).seed(99).fit_records(ds.records().view()).unwrap();
        assert_eq!(a.n_clusters(), 5, "{:?}", a.candidates());
        assert_eq!(a.labels(), b.labels());
        assert!(clustering_accuracy(&truth, a.labels()).unwrap() > 0.99);
        assert!(a.score_figure().unwrap().n_traces() == 2);
    }

    #[test]
    fn log_likelihood_of_one_gaussian() {
        // Standard normal in 1-D at x = 0 and x = 1.
        let x = ndarray::array![[0.0], [1.0]];
        let ll = log_likelihood(x.view(), &ndarray::array![1.0], &ndarray::array![[0.0]], &ndarray::Array3::ones((1, 1, 1))).unwrap();
        let want = -(2.0 * std::f64::consts::PI).ln() - 0.5;
        assert!((ll - want).abs() < 1e-12);
        assert_eq!(canonical(&[4, 4, 2, 7, 2]), vec![0, 0, 1, 2, 1]);
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let ds = blobs(3000, 3, 2, 1.0, 2).unwrap();
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| Ppp::params().k_range(2, 4).fit_records(ds.records().view()).unwrap())
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_input() {
        let x = blobs(30, 2, 2, 1.0, 0).unwrap().records().to_owned();
        let err = |p: PppParams| match p.fit_records(x.view()) {
            Err(Error::Param { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(Ppp::params().k_range(1, 4)), "k_range");
        assert_eq!(err(Ppp::params().k_range(5, 4)), "k_range");
        assert_eq!(err(Ppp::params().k_range(30, 40)), "k_range");
        assert_eq!(err(Ppp::params().n_restarts(1)), "n_restarts");
        assert_eq!(err(Ppp::params().min_stability(2.0)), "min_stability");
        assert_eq!(err(Ppp::params().min_agreement(f64::NAN)), "min_agreement");
        let mut bad = x.clone();
        bad[[0, 0]] = f64::NAN;
        assert!(matches!(Ppp::params().fit_records(bad.view()), Err(Error::Data(_))));
    }
}
