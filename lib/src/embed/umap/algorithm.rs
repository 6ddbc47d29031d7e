//! Fitting UMAP, placing new points, saving and loading.

use std::time::Instant;

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::curve::find_ab_params;
use super::fuzzy::{categorical_intersection, fuzzy_simplicial_set, membership, smooth_rows, FuzzyGraph};
use super::hyperparams::{UmapInit, UmapParams, UmapValidParams};
use super::layout::{optimize, Schedule, Sgd};
use super::spectral::spectral_layout;
use crate::display::Progress;
use crate::error::{check_finite, Error, Result};
use crate::estimator::{impl_fit, TargetValues};
use crate::neighbors::{KnnGraph, KnnIndex, KnnParams, NnDescentDefaults};
use crate::persist::impl_persist;
use crate::rng::{self, mix, stream};

/// Epochs of a fit up to this many points are 500, beyond it 200 (umap-learn).
const LARGE_DATA: usize = 10_000;

/// A fitted UMAP model: the embedding of the training points, the fuzzy graph
/// it was optimised on, and the neighbour index that places new points with
/// [`transform`](Umap::transform). Serialises with serde ([`save`](Umap::save)
/// / [`load`](Umap::load)).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Umap {
    pub(crate) params: UmapValidParams,
    a: f64,
    b: f64,
    n_epochs: usize,
    pub(crate) embedding: Array2<f64>,
    graph: FuzzyGraph,
    index: KnnIndex,
    pub(crate) targets: TargetValues,
}

impl Umap {
    /// The embedding of the training points (`n_samples × n_components`).
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// The fuzzy graph the layout was optimised on (after supervision).
    pub fn graph(&self) -> &FuzzyGraph {
        &self.graph
    }

    /// The kNN graph of the training data (self excluded; `n_neighbors − 1` per row).
    pub fn knn_graph(&self) -> &KnnGraph {
        self.index.graph()
    }

    /// The neighbour index of the training data.
    pub fn index(&self) -> &KnnIndex {
        &self.index
    }

    /// The hyperparameters of the fit.
    pub fn params_used(&self) -> &UmapValidParams {
        &self.params
    }

    /// The fitted curve parameters `(a, b)` of `1 / (1 + a·d^{2b})`.
    pub fn ab(&self) -> (f64, f64) {
        (self.a, self.b)
    }

    /// Epochs the layout ran.
    pub fn n_epochs(&self) -> usize {
        self.n_epochs
    }

    /// Connected components of the graph; above 1 the pieces were laid out
    /// separately and their relative placement means nothing (raise `n_neighbors`).
    pub fn n_graph_components(&self) -> usize {
        self.graph.n_components()
    }

    /// The training labels, when the dataset had them (`None` entries: unlabelled).
    pub fn labels(&self) -> Option<&[Option<usize>]> {
        match &self.targets {
            TargetValues::Labels(l) => Some(l),
            _ => None,
        }
    }

    /// Places new points (rows of `x`, as wide as the training data) into the
    /// embedding: their neighbours among the training points, their fuzzy
    /// memberships, a start at the weighted mean of those neighbours' positions,
    /// then 100 epochs (`n_epochs / 3` when `n_epochs` was set) at a quarter of
    /// the learning rate with the training embedding frozen. Each point is
    /// placed independently, from a seed derived from `transform_seed` and its
    /// own coordinates, so its position does not depend on the other rows or
    /// the thread count.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let dim = self.params.n_components;
        if x.ncols() != self.index.dim() {
            return Err(Error::data(format!(
                "X of Umap::transform must have {} columns like the training data; got {}",
                self.index.dim(),
                x.ncols()
            )));
        }
        if x.nrows() == 0 {
            return Ok(Array2::zeros((0, dim)));
        }
        check_finite("X of Umap::transform", &x)?;
        let k = self.params.n_neighbors.min(self.index.n_points());
        let knn = self.index.query(x, k)?;
        let lc = (self.params.local_connectivity - 1.0).max(0.0);
        let (sigmas, rhos) = smooth_rows(knn.distances(), k as f64, lc, false);
        let weights = Array2::from_shape_fn(knn.indices().dim(), |(i, c)| membership(knn.distances()[[i, c]], sigmas[i], rhos[i]));
        let mut head = self.start_new_points(&knn, &weights);
        let n_epochs = self.params.n_epochs.map_or(100, |e| (e / 3).max(1));
        let cols: Vec<Vec<usize>> = knn.indices().outer_iter().map(|r| r.to_vec()).collect();
        let ws: Vec<Vec<f64>> = weights.outer_iter().map(|r| r.to_vec()).collect();
        let schedule = Schedule::new(cols.iter().zip(&ws).map(|(c, w)| (c.as_slice(), w.as_slice())), n_epochs, true);
        let sgd = Sgd {
            a: self.a,
            b: self.b,
            gamma: self.params.repulsion_strength,
            initial_alpha: self.params.learning_rate / 4.0,
            negative_sample_rate: self.params.negative_sample_rate,
            n_epochs,
        };
        let seeds: Vec<u64> = x
            .outer_iter()
            .map(|row| row.iter().fold(rng::derive(self.params.transform_seed, stream::TRANSFORM, 0), |h, v| mix(h ^ v.to_bits())))
            .collect();
        let tail = self.embedding.as_standard_layout();
        let tail = tail.as_slice().unwrap_or(&[]);
        match head.as_slice_mut() {
            Some(h) => optimize(h, Some(tail), dim, &schedule, &sgd, &seeds, |_| Ok(()))?,
            None => return Err(Error::internal("the new points' embedding is not contiguous")),
        }
        check_finite("the transformed embedding", &head)?;
        Ok(head)
    }

    /// Each new point starts on a training point it duplicates (membership 1),
    /// else at the membership-weighted mean of its neighbours' positions.
    fn start_new_points(&self, knn: &KnnGraph, weights: &Array2<f64>) -> Array2<f64> {
        let dim = self.params.n_components;
        let mut head = Array2::<f64>::zeros((knn.n_points(), dim));
        let indices = knn.indices();
        for (i, mut out) in head.outer_iter_mut().enumerate() {
            let idx = indices.row(i);
            let w = weights.row(i);
            let total: f64 = w.sum();
            if let Some(c) = w.iter().position(|&v| v == 1.0).or_else(|| (total <= 0.0).then_some(0)) {
                out.assign(&self.embedding.row(idx[c]));
                continue;
            }
            for (&j, &wj) in idx.iter().zip(w) {
                out.scaled_add(wj / total, &self.embedding.row(j));
            }
        }
        head
    }
}

impl UmapValidParams {
    /// The whole algorithm on validated parameters.
    pub(crate) fn fit_impl(&self, x: ArrayView2<f64>, targets: TargetValues) -> Result<Umap> {
        let clock = Instant::now();
        let say = |what: &str| {
            if self.verbose {
                println!("UMAP {:>8.3} s  {what}", clock.elapsed().as_secs_f64());
            }
        };
        self.check_data(x, &targets)?;
        let n = x.nrows();
        let index = KnnParams::new(self.n_neighbors - 1)
            .metric(self.metric)
            .method(self.knn_method)
            .defaults(NnDescentDefaults::UmapLearn)
            .seed(self.seed)
            .build(x)?;
        say(&format!("{} kNN graph, k = {}", if index.is_exact() { "exact" } else { "NN-descent" }, self.n_neighbors - 1));
        check_not_all_duplicates(index.graph())?;
        let (a, b) = find_ab_params(self.spread, self.min_dist)?;
        let mut graph = fuzzy_simplicial_set(index.graph(), self.local_connectivity, self.set_op_mix_ratio)?;
        if let (true, TargetValues::Labels(labels)) = (self.supervised, &targets) {
            let far = if self.target_weight < 1.0 { 2.5 / (1.0 - self.target_weight) } else { 1e12 };
            graph = categorical_intersection(&graph, labels, far);
        }
        let n_components = graph.n_components();
        say(&format!("fuzzy graph: {} edges, {n_components} component(s)", graph.n_entries() / 2));
        let default_epochs = if n <= LARGE_DATA { 500 } else { 200 };
        let n_epochs = self.n_epochs.unwrap_or(default_epochs);
        let filter_epochs = if n_epochs > 10 { n_epochs } else { default_epochs };
        let mut embedding = self.initial_embedding(&graph, &index)?;
        say("initialised");
        let schedule = Schedule::new((0..n).filter_map(|i| graph.row(i)), filter_epochs, false);
        let sgd = Sgd {
            a,
            b,
            gamma: self.repulsion_strength,
            initial_alpha: self.learning_rate,
            negative_sample_rate: self.negative_sample_rate,
            n_epochs,
        };
        let seeds: Vec<u64> = (0..n as u64).map(|i| rng::derive(self.seed, stream::SGD, i)).collect();
        let step = (n_epochs / 10).max(1);
        let mut progress = Progress::new("UMAP epochs", n_epochs);
        let report = |epoch: usize| {
            if self.verbose && (epoch + 1) % step == 0 {
                println!("UMAP {:>8.3} s  epoch {:>4} / {n_epochs}", clock.elapsed().as_secs_f64(), epoch + 1);
            }
            progress.set(epoch + 1)
        };
        match embedding.as_slice_mut() {
            Some(y) => optimize(y, None, self.n_components, &schedule, &sgd, &seeds, report)?,
            None => return Err(Error::internal("the embedding is not contiguous")),
        }
        progress.finish();
        check_finite("the UMAP embedding", &embedding)?;
        Ok(Umap { params: self.clone(), a, b, n_epochs, embedding, graph, index, targets })
    }

    /// Up-front checks of the data, in the order a user would fix them.
    fn check_data(&self, x: ArrayView2<f64>, targets: &TargetValues) -> Result<()> {
        let n = x.nrows();
        if n < 2 {
            return Err(Error::data(format!("UMAP needs at least 2 points; got {n}")));
        }
        if x.ncols() == 0 {
            return Err(Error::data("X of UMAP has no columns"));
        }
        check_finite("X of UMAP", &x)?;
        if self.n_neighbors >= n {
            return Err(Error::param(
                "n_neighbors",
                format!("of UMAP must be in [2, n_samples = {n}); got {}; lower n_neighbors", self.n_neighbors),
            ));
        }
        let n_targets = match targets {
            TargetValues::Labels(l) => Some(l.len()),
            TargetValues::Values(v) => Some(v.len()),
            TargetValues::None => None,
        };
        if let Some(m) = n_targets.filter(|&m| m != n) {
            return Err(Error::data(format!("the dataset has {n} records but {m} targets; give one label per point")));
        }
        if self.supervised && !matches!(targets, TargetValues::Labels(_)) {
            return Err(Error::param(
                "supervised",
                "UMAP needs class labels (usize or Option<usize> targets) for a supervised fit; this dataset has none",
            ));
        }
        if let UmapInit::Given(y) = &self.init {
            if y.nrows() != n {
                return Err(Error::param("init", format!("of UMAP must have one row per point ({n}); got {}", y.nrows())));
            }
        }
        let first = x.row(0);
        if x.outer_iter().all(|row| row == first) {
            return Err(Error::data(format!("every column of X has zero variance: all {n} points coincide, so UMAP has nothing to embed")));
        }
        Ok(())
    }

    /// The starting layout, each column rescaled to [0, 10] (umap-learn does this
    /// whatever the init).
    fn initial_embedding(&self, graph: &FuzzyGraph, index: &KnnIndex) -> Result<Array2<f64>> {
        let (n, dim) = (graph.n_vertices(), self.n_components);
        let start = match &self.init {
            UmapInit::Spectral => {
                let layout = spectral_layout(graph, index.prepared_data(), dim, self.seed);
                noisy_scale(layout, rng::derive(self.seed, stream::NOISE, 0))
            }
            UmapInit::Random => uniform(n, dim, rng::derive(self.seed, stream::RANDOM_INIT, 0)),
            // The layout is optimised as one row-major slice, whatever order it came in.
            UmapInit::Given(y) => y.as_standard_layout().into_owned(),
        };
        Ok(rescale_columns(start, rng::derive(self.seed, stream::RANDOM_INIT, 1)))
    }
}

/// Uniform in [−10, 10].
fn uniform(n: usize, dim: usize, seed: u64) -> Array2<f64> {
    let mut g = rng::xoshiro(seed);
    Array2::from_shape_simple_fn((n, dim), || g.gen_range(-10.0..10.0))
}

/// Scales to a largest coordinate of 10 and adds N(0, 10⁻⁴) noise, which keeps
/// points that the eigenvectors place together from starting on top of each other.
fn noisy_scale(layout: Array2<f64>, seed: u64) -> Array2<f64> {
    let max = layout.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let mut g = rng::xoshiro(seed);
    let scale = if max > 0.0 { 10.0 / max } else { 1.0 };
    layout.mapv(|x| x * scale + 1e-4 * g.sample::<f64, _>(StandardNormal))
}

/// Each column to [0, 10]; a constant column (nothing to rescale) is spread
/// uniformly instead, so that no two points start on top of each other.
fn rescale_columns(mut y: Array2<f64>, seed: u64) -> Array2<f64> {
    let mut g = rng::xoshiro(seed);
    for mut col in y.columns_mut() {
        let (lo, hi) = col.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
        if hi > lo {
            col.mapv_inplace(|x| 10.0 * (x - lo) / (hi - lo));
        } else {
            col.mapv_inplace(|_| g.gen_range(0.0..10.0));
        }
    }
    y
}

/// Every point's neighbours at distance 0: the data are copies of a few points.
fn check_not_all_duplicates(knn: &KnnGraph) -> Result<()> {
    if knn.distances().iter().all(|&d| d == 0.0) {
        return Err(Error::data(format!(
            "all {} nearest neighbours of every point are exact duplicates of it; \
             UMAP needs distinct points: remove duplicates, or raise n_neighbors above the largest number of copies",
            knn.k()
        )));
    }
    Ok(())
}

impl_fit!(UmapParams, UmapValidParams => Umap, targets);
impl_persist!(Umap, "UMAP model");
