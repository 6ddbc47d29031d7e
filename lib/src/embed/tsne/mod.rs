//! Barnes–Hut t-SNE, as scikit-learn's `TSNE(method="barnes_hut")`.
//!
//! Input similarities: for every point the `k = min(n − 1, ⌊3·perplexity + 1⌋)`
//! nearest neighbours get Gaussian weights `exp(−β·‖xᵢ − xⱼ‖²)` with `β` found by
//! bisection so that the conditional distribution has the requested perplexity
//! (entropy `log perplexity`, tolerance 1e-5, 100 steps); `P = (P + Pᵀ) / Σ`.
//! Output similarities follow a Student-t kernel with `dof = max(n_components −
//! 1, 1)`. The gradient of `KL(P‖Q)` splits into attraction along the sparse
//! `P` edges and repulsion from all points, which a 2^c-tree over the embedding
//! approximates (a cell whose squared width over squared distance is below
//! `theta²` acts as one body at its centre of mass). Optimisation is
//! scikit-learn's: gradient descent with momentum 0.5 and `P` multiplied by
//! `early_exaggeration` for 250 iterations, then momentum 0.8 up to `max_iter`,
//! with per-coordinate gains (+0.2 / ×0.8, floor 0.01), learning rate "auto" =
//! `max(n / early_exaggeration / 4, 50)`, progress checked every 50 iterations.
//! The start is scikit-learn's: PCA (here [`RandomizedPca`]) scaled so that the
//! first coordinate has standard deviation 1e-4, or `1e-4·N(0, 1)`.
//!
//! Why not linfa-tsne: its start is not scikit-learn's (so results and
//! convergence differ), it needs the input in standard layout, and its
//! Barnes–Hut dependency is not reproducible across thread counts. Here every
//! per-point force is computed independently and all sums run in a fixed
//! order, so a seed gives the same bits at any thread count, and any input
//! layout is accepted.
//!
//! Papers: L. van der Maaten & G. Hinton, "Visualizing data using t-SNE", JMLR 9,
//! 2008; L. van der Maaten, "Accelerating t-SNE using tree-based algorithms",
//! JMLR 15, 2014.
//!
//! Cost: the kNN graph (exact: `O(n²·d)`), then `O(n·log n)` per iteration for
//! the tree and `O(n·k)` for the attraction; memory `O(n·(k + d))`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = swiss_roll(300, 0.05, 1)?.records().to_owned();
//! let tsne = Tsne::params().perplexity(20.0).max_iter(300).seed(3).fit_records(x.view())?;
//! assert_eq!(tsne.embedding().dim(), (300, 2));
//! assert!(tsne.kl_divergence().is_finite());
//! # Ok::<(), lowdim::Error>(())
//! ```

mod affinities;
mod barnes_hut;
mod gradient;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::randomized_pca::{normal, RandomizedPca};
use super::shared::embedding_figure;
use crate::display::Progress;
use crate::error::{check_finite, Error, Result};
use crate::estimator::{impl_fit, params, TargetValues};
use crate::neighbors::{KnnMethod, KnnParams};
use crate::persist::impl_persist;
use crate::plot::Figure;
use crate::render::impl_render;
use crate::rng::{derive, xoshiro};
use affinities::{conditional_row, Sparse};
use gradient::{Descent, Optimiser};

/// Random stream of the random start.
const STREAM_INIT: u64 = crate::rng::stream::TSNE_INIT;
/// Iterations with early exaggeration (scikit-learn's `_EXPLORATION_MAX_ITER`).
const EXPLORATION_ITER: usize = 250;

/// How the embedding starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TsneInit {
    /// The first principal components, scaled to standard deviation 1e-4
    /// along the first (scikit-learn's default). Needs `n_features ≥ n_components`.
    Pca,
    /// `1e-4 · N(0, 1)` coordinates from the seed.
    Random,
}

/// A fitted t-SNE embedding; start from [`Tsne::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Tsne {
    embedding: Array2<f64>,
    kl_divergence: f64,
    n_iter: usize,
    learning_rate: f64,
    params: TsneValidParams,
    coloring: TargetValues,
}

params! {
    /// Checked t-SNE parameters, scikit-learn's defaults; see [`Tsne::params`].
    Tsne("t-SNE") => TsneParams, TsneValidParams {
        /// The output dimension: 1, 2 or 3 (the Barnes–Hut tree's limit).
        n_components: usize = 2 => 1..=3,
        /// The effective number of neighbours each point attends to; also
        /// below n_samples at fit.
        perplexity: f64 = 30.0 => above(0.0),
        /// How much `P` is magnified during the first 250 iterations (wider
        /// gaps between clusters).
        early_exaggeration: f64 = 12.0 => 1.0..,
        /// The step size; unset: "auto" = `max(n / early_exaggeration / 4, 50)`.
        learning_rate: Option<f64> = None => above(0.0); from f64,
        /// Iterations in all; at least the 250 of the exaggerated phase.
        max_iter: usize = 1000 => 250..,
        /// Stop after this many iterations without a lower KL divergence
        /// (checked every 50).
        n_iter_without_progress: usize = 300 => 1..,
        /// Stop when the gradient norm falls below this.
        min_grad_norm: f64 = 1e-7 => 0.0..,
        /// Barnes–Hut accuracy (0 is exact and `O(n²)` per iteration).
        theta: f64 = 0.5 => 0.0..=1.0,
        /// How the embedding starts.
        init: TsneInit = TsneInit::Pca,
        /// The random start and the PCA start's test matrix (and NN-descent's seed).
        seed: u64 = 0,
        /// `Exact` as scikit-learn; `NnDescent` is faster on large sets.
        knn_method: KnnMethod = KnnMethod::Exact,
    }
}

impl Tsne {
    /// The embedding, `n × n_components`.
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// `KL(P‖Q)` at the last iteration (Q from the Barnes–Hut normaliser).
    pub fn kl_divergence(&self) -> f64 {
        self.kl_divergence
    }

    /// Iterations run (fewer than `max_iter` when progress stopped).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The learning rate used (resolved from "auto").
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &TsneValidParams {
        &self.params
    }

    /// A scatter of the embedding, coloured by the training targets.
    pub fn figure(&self) -> Result<Figure> {
        let title = format!("t-SNE of {} points (perplexity {})", self.embedding.nrows(), self.params.perplexity);
        embedding_figure(&self.embedding, &self.coloring, &title, "t-SNE")
    }
}

impl_render!(Tsne, "t-SNE", params: params, shapes: [embedding]);

impl TsneValidParams {
    /// Embeds the rows of `x`, keeping `coloring` for the figure.
    fn fit_impl(&self, x: ArrayView2<f64>, coloring: TargetValues) -> Result<Tsne> {
        let (n, d) = x.dim();
        if n < 2 || d == 0 {
            return Err(Error::data(format!("t-SNE needs at least 2 rows and 1 column; got {n} × {d}")));
        }
        if self.perplexity >= n as f64 {
            return Err(Error::param("perplexity", format!("of t-SNE must be < n_samples = {n}; got {}", self.perplexity)));
        }
        check_finite("X of t-SNE", &x)?;
        coloring.check_len(n)?;
        // One memory order for every input, so the products round the same way.
        let x = x.as_standard_layout();
        let x = x.view();
        let p = self.affinities(x)?;
        let y0 = self.start(x)?;
        let learning_rate = self.learning_rate.unwrap_or((n as f64 / self.early_exaggeration / 4.0).max(50.0));
        let mut opt = Optimiser::new(y0, self.n_components, self.theta);
        let mut state =
            Descent { it: 0, momentum: 0.5, exaggeration: self.early_exaggeration, stop: EXPLORATION_ITER, patience: EXPLORATION_ITER };
        let mut progress = Progress::new("t-SNE iterations", self.max_iter.max(EXPLORATION_ITER));
        let kl = opt.descend(&p, &mut state, learning_rate, self.min_grad_norm, &mut progress)?;
        let (kl, it) = if state.it < EXPLORATION_ITER || self.max_iter > EXPLORATION_ITER {
            let mut late =
                Descent { it: state.it + 1, momentum: 0.8, exaggeration: 1.0, stop: self.max_iter, patience: self.n_iter_without_progress };
            (opt.descend(&p, &mut late, learning_rate, self.min_grad_norm, &mut progress)?, late.it)
        } else {
            (kl, state.it)
        };
        progress.finish();
        let embedding = Array2::from_shape_vec((n, self.n_components), opt.y)
            .map_err(|e| Error::internal(format!("the t-SNE coordinates do not fill {n} × {}: {e}", self.n_components)))?;
        Ok(Tsne { embedding, kl_divergence: kl, n_iter: it + 1, learning_rate, params: self.clone(), coloring })
    }

    /// The symmetric joint probabilities `P` over the kNN edges.
    fn affinities(&self, x: ArrayView2<f64>) -> Result<Sparse> {
        let n = x.nrows();
        let k = (n - 1).min((3.0 * self.perplexity + 1.0) as usize).max(1);
        let graph = KnnParams::new(k).method(self.knn_method).seed(self.seed).graph(x)?;
        let indices = graph.indices();
        let distances = graph.distances();
        let rows: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let sq: Vec<f64> = distances.row(i).iter().map(|d| d * d).collect();
                conditional_row(&sq, self.perplexity)
            })
            .collect();
        let mut triplets: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for i in 0..n {
            for (c, &j) in indices.row(i).iter().enumerate() {
                triplets[i].push((j, rows[i][c]));
                triplets[j].push((i, rows[i][c]));
            }
        }
        Ok(Sparse::from_rows(triplets))
    }

    fn start(&self, x: ArrayView2<f64>) -> Result<Vec<f64>> {
        let (n, c) = (x.nrows(), self.n_components);
        let random = || {
            let mut rng = xoshiro(derive(self.seed, STREAM_INIT, 0));
            (0..n * c).map(|_| 1e-4 * normal(&mut rng)).collect::<Vec<f64>>()
        };
        match self.init {
            TsneInit::Random => Ok(random()),
            TsneInit::Pca => {
                if x.ncols() < c {
                    return Err(Error::param(
                        "init",
                        format!("TsneInit::Pca needs n_features ≥ n_components = {c}; got {} features (use TsneInit::Random)", x.ncols()),
                    ));
                }
                let pca = RandomizedPca::params().n_components(c).seed(self.seed).fit_records(x)?;
                let y = pca.transform(x)?;
                let std = y.column(0).std(0.0);
                if std > 0.0 {
                    Ok(y.iter().map(|v| v / std * 1e-4).collect())
                } else {
                    // All points coincide: PCA has no direction to offer.
                    Ok(random())
                }
            }
        }
    }
}

impl_fit!(TsneParams, TsneValidParams => Tsne, targets);
impl_persist!(Tsne, "t-SNE model");

/// `x` minus its column means, used by tests.
#[cfg(test)]
fn centre(x: &Array2<f64>) -> Array2<f64> {
    x - &x.mean_axis(ndarray::Axis(0)).unwrap()
}

#[cfg(test)]
mod tests {
    use super::barnes_hut::Tree;
    use super::*;
    use crate::data::{blobs, swiss_roll};
    use crate::metrics::trustworthiness;
    use linfa::ParamGuard;

    #[test]
    fn conditional_rows_hit_the_perplexity() {
        let sq: Vec<f64> = (0..90).map(|j| (j as f64 * 0.1).powi(2)).collect();
        let p = conditional_row(&sq, 30.0);
        let entropy: f64 = -p.iter().filter(|&&v| v > 0.0).map(|v| v * v.ln()).sum::<f64>();
        assert!((entropy.exp() - 30.0).abs() < 1e-3 * 30.0, "{}", entropy.exp());
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn barnes_hut_at_theta_zero_is_the_exact_gradient() {
        let y: Vec<f64> = (0..40).map(|i| ((i * 37 % 11) as f64 - 5.0) * 0.3 + i as f64 * 0.01).collect();
        let n = 20;
        let tree = Tree::build(&y, 2);
        for i in [0, 7, 19] {
            let (f, s) = tree.repulsion(i, &y, 0.0, 1.0);
            let (mut ef, mut es) = ([0.0; 2], 0.0);
            for j in (0..n).filter(|&j| j != i) {
                let d = [y[2 * i] - y[2 * j], y[2 * i + 1] - y[2 * j + 1]];
                let q = 1.0 / (1.0 + d[0] * d[0] + d[1] * d[1]);
                es += q;
                ef[0] += q * q * d[0];
                ef[1] += q * q * d[1];
            }
            assert!((s - es).abs() < 1e-12 && (f[0] - ef[0]).abs() < 1e-12 && (f[1] - ef[1]).abs() < 1e-12);
        }
    }

    #[test]
    fn swiss_roll_is_trustworthy() {
        let x = swiss_roll(400, 0.0, 2).unwrap().records().to_owned();
        let t = Tsne::params().seed(1).fit_records(x.view()).unwrap();
        let tw = trustworthiness(x.view(), t.embedding().view(), 10).unwrap();
        assert!(tw > 0.95, "trustworthiness {tw}");
        assert!(t.kl_divergence() > 0.0 && t.kl_divergence() < 2.0, "{}", t.kl_divergence());
    }

    #[test]
    fn blobs_stay_apart_and_random_init_works() {
        let ds = blobs(300, 3, 5, 0.5, 4).unwrap();
        let x = ds.records().to_owned();
        let t = Tsne::params().perplexity(20.0).init(TsneInit::Random).seed(2).fit(&ds).unwrap();
        let tw = trustworthiness(x.view(), t.embedding().view(), 10).unwrap();
        assert!(tw > 0.9, "trustworthiness {tw}");
        // The figure colours by the labels kept at fit: one trace per blob.
        assert_eq!(t.figure().unwrap().n_traces(), 3);
        let e = centre(t.embedding());
        assert!(e.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn same_bits_at_any_thread_count_and_any_layout() {
        let x = swiss_roll(250, 0.05, 3).unwrap().records().to_owned();
        let fortran = x.t().as_standard_layout().into_owned().reversed_axes();
        let run = |t: usize, x: ArrayView2<f64>| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| Tsne::params().max_iter(300).seed(5).fit_records(x).unwrap())
        };
        let one = run(1, x.view());
        assert_eq!(one, run(4, x.view()));
        assert_eq!(one.embedding(), run(2, fortran.view()).embedding());
        assert_eq!(one.embedding(), run(1, x.t().t()).embedding());
    }

    #[test]
    fn bad_parameters() {
        let bad = |p: TsneParams, name: &str| assert!(matches!(p.check(), Err(Error::Param { name: n, .. }) if n == name));
        bad(Tsne::params().n_components(0), "n_components");
        bad(Tsne::params().n_components(4), "n_components");
        bad(Tsne::params().perplexity(0.0), "perplexity");
        bad(Tsne::params().early_exaggeration(0.5), "early_exaggeration");
        bad(Tsne::params().learning_rate(-1.0), "learning_rate");
        bad(Tsne::params().max_iter(100), "max_iter");
        bad(Tsne::params().n_iter_without_progress(0), "n_iter_without_progress");
        bad(Tsne::params().min_grad_norm(f64::NAN), "min_grad_norm");
        bad(Tsne::params().theta(1.5), "theta");
    }

    #[test]
    fn bad_data() {
        let x = Array2::from_shape_fn((20, 3), |(i, j)| (i * 3 + j) as f64);
        assert!(matches!(Tsne::params().fit_records(x.view()), Err(Error::Param { name: "perplexity", .. })));
        assert!(matches!(Tsne::params().fit_records(x.slice(ndarray::s![..1, ..])), Err(Error::Data(_))));
        let mut y = x.clone();
        y[[2, 1]] = f64::INFINITY;
        assert!(matches!(Tsne::params().perplexity(5.0).fit_records(y.view()), Err(Error::Data(_))));
        let line = Array2::from_shape_fn((20, 1), |(i, _)| i as f64);
        assert!(matches!(Tsne::params().perplexity(5.0).fit_records(line.view()), Err(Error::Param { name: "init", .. })));
        let t = Tsne::params().perplexity(5.0).init(TsneInit::Random).max_iter(250).fit_records(line.view()).unwrap();
        assert!(t.embedding().iter().all(|v| v.is_finite()));
    }
}
