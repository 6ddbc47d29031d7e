//! Elastic-net subspace clustering (EnSC), with sparse subspace clustering
//! (SSC) as its ℓ1 case.
//!
//! Each point is written as a combination of the *other* points
//! (self-expressiveness): for every j,
//!
//! ```text
//! c_j = argmin_c  λ‖c‖₁ + (1 − λ)/2 ‖c‖₂² + γ/2 ‖x_j − Σ_{i≠j} c_i x_i‖²,   c_j = 0,
//! ```
//!
//! with `γ = α·λ / max_{i≠j} |⟨x_i, x_j⟩|` (`α > 1`; at `α ≤ 1` the solution is
//! 0). Points on a union of independent subspaces pick coefficients on their
//! own subspace; the ℓ1 term keeps few of them (subspace preserving), the ℓ2
//! term keeps the graph of a subspace connected. The affinity
//! `W = (|C| + |C|ᵀ)/2`, with each row of `C` scaled to unit ℓ2 norm (as the
//! authors' code does), is then split by [`SpectralClustering`](super::SpectralClustering).
//! `λ = 1` is SSC's Lasso program ([`Ensc::ssc`]).
//!
//! Each point's problem is solved by the paper's active-set scheme (ORGEN):
//! coordinate descent on a small support `T` (initially the points most
//! correlated with `x_j`), then an oracle check of the optimality condition
//! `γ·|⟨x_i, x_j − X c⟩| ≤ λ` for every point outside `T`; violators join `T`
//! and the loop repeats until none is left. Points are solved in parallel,
//! each on its own, so the result is the same at any thread count.
//!
//! Papers: C. You, C.-G. Li, D. P. Robinson & R. Vidal, "Oracle based active
//! set algorithm for scalable elastic net subspace clustering", CVPR 2016;
//! E. Elhamifar & R. Vidal, "Sparse subspace clustering: algorithm, theory, and
//! applications", IEEE TPAMI 35(11), 2013.
//!
//! Cost: per point and oracle round `O(n·D)` for the correlations plus
//! `O(|T|²·D + sweeps·|T|²)` on the support; in all about `O(n²·D)` time
//! and `O(n·|T|)` memory for `C`, then the spectral step.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let m = MolrgParams::new(15, &[3, 3, 3]).balanced(true).sample(300, 2)?;
//! let fit = Ensc::params().n_clusters(3).fit_records(m.data.view())?;
//! assert_eq!(fit.labels().len(), 300);
//! assert!(clustering_accuracy(&m.labels.to_vec(), fit.labels())? > 0.99);
//! # Ok::<(), lowdim::Error>(())
//! ```

use linfa::ParamGuard;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::affinity_graph::SparseGraph;
use super::common::{check_records, cluster_sizes, first_two, impl_cluster_display};
use super::spectral_clustering::SpectralClustering;
use crate::error::{Error, Result};
use crate::estimator::required;
use crate::estimator::{impl_fit, params};
use crate::interrupt;
use crate::persist::impl_persist;
use crate::render::impl_render;

const WHO: &str = "Ensc";

/// Elastic-net subspace clustering: fitted model; start from [`Ensc::params`] or [`Ensc::ssc`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensc {
    params: EnscValidParams,
    labels: Vec<usize>,
    coefficients: Vec<Vec<(usize, f64)>>,
    n_components: usize,
    n_clusters: usize,
    display: Array2<f64>,
}

params! {
    /// Checked EnSC parameters; see [`Ensc::params`].
    Ensc("Ensc") => EnscParams, EnscValidParams {
        /// Number of clusters, required (below n_samples at fit).
        n_clusters: Option<usize> = None => 1..; from usize,
        /// Weight of the ℓ1 term (1 is SSC).
        lambda: f64 = 0.9 => left_open(0.0, 1.0),
        /// `γ = α·λ / max|⟨x_i, x_j⟩|`; larger fits each point more exactly
        /// (less noise tolerance); at ≤ 1 every coefficient is 0. The
        /// authors' code uses 50.
        alpha: f64 = 50.0 => above(1.0),
        /// Initial active set, and the most violators added per oracle round.
        support_size: usize = 50 => 1..,
        /// Active-set rounds per point.
        max_oracle_iter: usize = 40 => 1..,
        /// Scale points to unit length first.
        normalise: bool = true,
        /// k-means runs of the spectral step.
        n_init: usize = 10 => 1..,
        seed: u64 = 42,
    }
    check(p) {
        required(WHO, "n_clusters", p.n_clusters)?;
    }
}

impl Ensc {
    /// Sparse subspace clustering: [`Ensc::params`] with `lambda` 1 (pure ℓ1).
    pub fn ssc() -> EnscParams {
        Ensc::params().lambda(1.0)
    }

    /// Cluster of each point, in `0..n_clusters`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &EnscValidParams {
        &self.params
    }

    /// Row j of the self-expressive matrix C: the non-zero `(i, c_ji)` pairs,
    /// ascending in `i` (before the row scaling of the affinity).
    pub fn coefficients(&self) -> &[Vec<(usize, f64)>] {
        &self.coefficients
    }

    /// C as a dense n × n matrix (for small n: heatmaps).
    pub fn coefficient_matrix(&self) -> Array2<f64> {
        let n = self.coefficients.len();
        let mut c = Array2::zeros((n, n));
        for (j, row) in self.coefficients.iter().enumerate() {
            for &(i, v) in row {
                c[[j, i]] = v;
            }
        }
        c
    }

    /// Share of the coefficient mass `Σ|c_ji|` that joins points of different
    /// `truth` classes (0 = subspace preserving), the usual SSC diagnostic.
    pub fn subspace_preserving_error(&self, truth: &[usize]) -> Result<f64> {
        if truth.len() != self.coefficients.len() {
            return Err(Error::param(
                "truth",
                format!("of subspace_preserving_error must have one label per point ({}); got {}", self.coefficients.len(), truth.len()),
            ));
        }
        let (mut off, mut total) = (0.0, 0.0);
        for (j, row) in self.coefficients.iter().enumerate() {
            for &(i, v) in row {
                total += v.abs();
                if truth[i] != truth[j] {
                    off += v.abs();
                }
            }
        }
        Ok(if total > 0.0 { off / total } else { 0.0 })
    }

    /// Connected components of the affinity graph.
    pub fn n_components(&self) -> usize {
        self.n_components
    }

    /// Points in each cluster.
    pub fn cluster_sizes(&self) -> Vec<usize> {
        cluster_sizes(&self.labels, self.n_clusters)
    }

    /// The first two coordinates of the points.
    pub fn display_points(&self) -> ArrayView2<'_, f64> {
        self.display.view()
    }

    fn title(&self) -> String {
        format!("Elastic-net subspace clustering: {} clusters ({} graph components)", self.n_clusters, self.n_components)
    }
}

impl_cluster_display!(Ensc, ["x1", "x2"]);
impl_render!(Ensc, "EnSC", params: params, shapes: [labels, coefficients]);

impl EnscValidParams {
    /// Clusters the rows of `x`.
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<Ensc> {
        let k = required(WHO, "n_clusters", self.n_clusters)?;
        check_records(WHO, x)?;
        let n = x.nrows();
        if k >= n {
            return Err(Error::param("n_clusters", format!("of Ensc must be in [1, n_samples = {n}); got {k}")));
        }
        let mut data = x.to_owned();
        if self.normalise {
            for mut row in data.outer_iter_mut() {
                let norm = row.dot(&row).sqrt();
                if norm > 0.0 {
                    row.mapv_inplace(|v| v / norm);
                }
            }
        }
        // Each point's self-expression is one task; an interrupt stops the rest.
        let coefficients: Vec<Vec<(usize, f64)>> = (0..n)
            .into_par_iter()
            .map(|j| interrupt::check("Ensc self-expression").map(|_| self.self_expression(data.view(), j)))
            .collect::<Result<_>>()?;
        let graph = affinity(&coefficients, n);
        let spectral = SpectralClustering::params().n_clusters(k).n_init(self.n_init).seed(self.seed).check()?.fit_graph(&graph)?;
        Ok(Ensc {
            params: self.clone(),
            labels: spectral.labels().to_vec(),
            coefficients,
            n_components: spectral.n_components(),
            n_clusters: k,
            display: first_two(x),
        })
    }

    /// The elastic-net coefficients of point `j` on the others, by the
    /// active-set oracle loop; non-zeros ascending in index.
    fn self_expression(&self, x: ArrayView2<f64>, j: usize) -> Vec<(usize, f64)> {
        let n = x.nrows();
        let target = x.row(j);
        let mut coh: Vec<f64> = x.dot(&target).to_vec();
        coh[j] = 0.0;
        let max_coh = coh.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if max_coh == 0.0 {
            return Vec::new();
        }
        let lambda = self.lambda;
        let gamma = self.alpha * lambda / max_coh;
        let mut support = top_by_magnitude(&coh, j, self.support_size, |_| true);
        let mut c: Vec<f64> = vec![0.0; support.len()];
        for _ in 0..self.max_oracle_iter {
            c = solve_on_support(x, target, &support, &c, lambda, gamma);
            // Oracle: γ|⟨x_i, r⟩| ≤ λ must hold for every i outside the support.
            let mut r = target.to_owned();
            for (&i, &ci) in support.iter().zip(&c) {
                if ci != 0.0 {
                    r.scaled_add(-ci, &x.row(i));
                }
            }
            let delta: Vec<f64> = x.dot(&r).iter().map(|v| gamma * v).collect();
            let mut inside = vec![false; n];
            support.iter().for_each(|&i| inside[i] = true);
            let violators = top_by_magnitude(&delta, j, self.support_size, |i| !inside[i] && delta[i].abs() > lambda * (1.0 + 1e-9));
            if violators.is_empty() {
                break;
            }
            // Keep the support's non-zeros (warm start) and add the violators.
            let mut next: Vec<(usize, f64)> = support.iter().zip(&c).filter(|(_, &v)| v != 0.0).map(|(&i, &v)| (i, v)).collect();
            next.extend(violators.into_iter().map(|i| (i, 0.0)));
            next.sort_by_key(|p| p.0);
            support = next.iter().map(|p| p.0).collect();
            c = next.iter().map(|p| p.1).collect();
        }
        let mut out: Vec<(usize, f64)> = support.into_iter().zip(c).filter(|(_, v)| *v != 0.0).collect();
        out.sort_by_key(|p| p.0);
        out
    }
}

/// Up to `m` indices other than `skip` passing `keep`, by descending `|v|`
/// (ties to the lower index), returned ascending.
fn top_by_magnitude(v: &[f64], skip: usize, m: usize, keep: impl Fn(usize) -> bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..v.len()).filter(|&i| i != skip && keep(i)).collect();
    idx.sort_by(|&a, &b| v[b].abs().total_cmp(&v[a].abs()).then(a.cmp(&b)));
    idx.truncate(m);
    idx.sort_unstable();
    idx
}

/// Coordinate descent for the elastic net restricted to `support`, from `start`:
/// `c_i ← S(γ(b_i − Σ_{l≠i} G_il c_l), λ) / (γ G_ii + 1 − λ)` with `G = AAᵀ`,
/// `b = A x` for the support rows `A`, until the largest change is tiny.
fn solve_on_support(x: ArrayView2<f64>, target: ArrayView1<f64>, support: &[usize], start: &[f64], lambda: f64, gamma: f64) -> Vec<f64> {
    let a = x.select(Axis(0), support);
    let g = a.dot(&a.t());
    let b = a.dot(&target);
    let m = support.len();
    let mut c = start.to_vec();
    let mut gc: Array1<f64> = g.dot(&Array1::from(c.clone()));
    for _sweep in 0..10_000 {
        let mut biggest = 0.0f64;
        let mut scale = 0.0f64;
        for i in 0..m {
            let gii = g[[i, i]];
            if gii == 0.0 {
                continue;
            }
            let z = gamma * (b[i] - (gc[i] - gii * c[i]));
            let new = soft(z, lambda) / (gamma * gii + 1.0 - lambda);
            let change = new - c[i];
            if change != 0.0 {
                gc.scaled_add(change, &g.column(i));
                c[i] = new;
                biggest = biggest.max(change.abs());
            }
            scale = scale.max(new.abs());
        }
        if biggest <= 1e-9 * scale.max(1e-12) {
            break;
        }
    }
    c
}

fn soft(z: f64, t: f64) -> f64 {
    if z > t {
        z - t
    } else if z < -t {
        z + t
    } else {
        0.0
    }
}

/// `W = (|C̃| + |C̃|ᵀ)/2` with the rows of C scaled to unit ℓ2 norm.
fn affinity(coefficients: &[Vec<(usize, f64)>], n: usize) -> SparseGraph {
    let mut triplets = Vec::new();
    for (j, row) in coefficients.iter().enumerate() {
        let norm = row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            continue;
        }
        for &(i, v) in row {
            let w = 0.5 * v.abs() / norm;
            triplets.push((j, i, w));
            triplets.push((i, j, w));
        }
    }
    SparseGraph::from_triplets(n, triplets)
}

impl_fit!(EnscParams, EnscValidParams => Ensc);

impl_persist!(Ensc, "EnSC clustering");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::MolrgParams;
    use crate::metrics::clustering_accuracy;

    fn union(n: usize, seed: u64) -> crate::data::Molrg {
        MolrgParams::new(20, &[4, 4, 4]).balanced(true).sample(n, seed).unwrap()
    }

    #[test]
    fn clusters_independent_subspaces_ensc_and_ssc() {
        let m = union(360, 1);
        let truth = m.labels.to_vec();
        for params in [Ensc::params().n_clusters(3), Ensc::ssc().n_clusters(3)] {
            let fit = params.fit_records(m.data.view()).unwrap();
            let acc = clustering_accuracy(&truth, fit.labels()).unwrap();
            assert!(acc > 0.99, "accuracy {acc}");
            let spe = fit.subspace_preserving_error(&truth).unwrap();
            assert!(spe < 0.05, "subspace-preserving error {spe}");
        }
    }

    #[test]
    fn coefficients_satisfy_the_optimality_conditions() {
        // KKT of the elastic net at every point: for c_i ≠ 0,
        // γ⟨x_i, r⟩ = λ sign(c_i) + (1 − λ)c_i; otherwise |γ⟨x_i, r⟩| ≤ λ.
        let m = MolrgParams::new(10, &[3, 3]).noise(0.05).sample(120, 4).unwrap();
        let p = Ensc::params().n_clusters(2).lambda(0.7).alpha(20.0).check().unwrap();
        let mut x = m.data.clone();
        for mut row in x.outer_iter_mut() {
            let norm = row.dot(&row).sqrt();
            row.mapv_inplace(|v| v / norm);
        }
        for j in [0, 17, 63] {
            let c = p.self_expression(x.view(), j);
            let coh = x.dot(&x.row(j));
            let max_coh = coh.iter().enumerate().filter(|(i, _)| *i != j).fold(0.0f64, |m, (_, v)| m.max(v.abs()));
            let gamma = 20.0 * 0.7 / max_coh;
            let mut r = x.row(j).to_owned();
            for &(i, v) in &c {
                r.scaled_add(-v, &x.row(i));
            }
            let corr = x.dot(&r) * gamma;
            for i in (0..x.nrows()).filter(|&i| i != j) {
                match c.iter().find(|p| p.0 == i) {
                    Some(&(_, v)) => assert!((corr[i] - 0.7 * v.signum() - 0.3 * v).abs() < 1e-5, "point {j}, coef {i}"),
                    None => assert!(corr[i].abs() <= 0.7 + 1e-6, "point {j}, zero {i}: {}", corr[i]),
                }
            }
            assert!(c.iter().all(|p| p.0 != j));
        }
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let m = union(150, 3);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| Ensc::params().n_clusters(3).fit_records(m.data.view()).unwrap())
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let x = union(30, 0).data;
        let err = |p: EnscParams| match p.fit_records(x.view()) {
            Err(Error::Param { name, .. }) => name,
            other => panic!("{other:?}"),
        };
        assert_eq!(err(Ensc::params()), "n_clusters");
        assert_eq!(err(Ensc::params().n_clusters(0)), "n_clusters");
        assert_eq!(err(Ensc::params().n_clusters(30)), "n_clusters");
        assert_eq!(err(Ensc::params().n_clusters(3).lambda(0.0)), "lambda");
        assert_eq!(err(Ensc::params().n_clusters(3).lambda(1.5)), "lambda");
        assert_eq!(err(Ensc::params().n_clusters(3).alpha(1.0)), "alpha");
        assert_eq!(err(Ensc::params().n_clusters(3).support_size(0)), "support_size");
        assert_eq!(err(Ensc::params().n_clusters(3).max_oracle_iter(0)), "max_oracle_iter");
        assert_eq!(err(Ensc::params().n_clusters(3).n_init(0)), "n_init");
    }

    #[test]
    fn bad_data_is_a_data_error() {
        let mut x = union(30, 0).data;
        x[[2, 2]] = f64::NAN;
        assert!(matches!(Ensc::params().n_clusters(3).fit_records(x.view()), Err(Error::Data(_))));
        assert!(matches!(Ensc::params().n_clusters(3).fit_records(Array2::zeros((0, 3)).view()), Err(Error::Data(_))));
        let fit = Ensc::params().n_clusters(3).fit_records(union(30, 0).data.view()).unwrap();
        assert!(matches!(fit.subspace_preserving_error(&[0, 1]), Err(Error::Param { name: "truth", .. })));
    }
}
