//! UMAP's hyperparameters: the unchecked builder [`UmapParams`] and the checked
//! [`UmapValidParams`] that [`Fit`](linfa::traits::Fit) consumes.

use linfa::ParamGuard;
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};
use crate::neighbors::{KnnMethod, Metric};

/// How the embedding starts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Eigenvectors of the graph's normalised Laplacian (components laid out
    /// separately), scaled to [−10, 10] with a little noise.
    #[default]
    Spectral,
    /// Uniform in [−10, 10].
    Random,
    /// These coordinates (`n_samples × n_components`; each column is rescaled
    /// to [0, 10] like every start).
    Given(Array2<f64>),
}

/// Checked UMAP hyperparameters; see [`Umap::params`](super::Umap::params) for
/// their meaning and defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UmapValidParams {
    pub(crate) n_components: usize,
    pub(crate) n_neighbors: usize,
    pub(crate) min_dist: f64,
    pub(crate) spread: f64,
    pub(crate) metric: Metric,
    pub(crate) n_epochs: Option<usize>,
    pub(crate) learning_rate: f64,
    pub(crate) negative_sample_rate: usize,
    pub(crate) repulsion_strength: f64,
    pub(crate) local_connectivity: f64,
    pub(crate) set_op_mix_ratio: f64,
    pub(crate) init: Init,
    pub(crate) seed: u64,
    pub(crate) transform_seed: u64,
    pub(crate) supervised: bool,
    pub(crate) target_weight: f64,
    pub(crate) knn_method: KnnMethod,
    pub(crate) verbose: bool,
}

/// Unchecked UMAP hyperparameters: a builder with consuming setters. Start
/// from [`Umap::params`](super::Umap::params).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UmapParams(pub(crate) UmapValidParams);

impl UmapParams {
    pub(crate) fn new(n_components: usize) -> Self {
        UmapParams(UmapValidParams {
            n_components,
            n_neighbors: 15,
            min_dist: 0.1,
            spread: 1.0,
            metric: Metric::Euclidean,
            n_epochs: None,
            learning_rate: 1.0,
            negative_sample_rate: 5,
            repulsion_strength: 1.0,
            local_connectivity: 1.0,
            set_op_mix_ratio: 1.0,
            init: Init::Spectral,
            seed: 42,
            transform_seed: 42,
            supervised: false,
            target_weight: 0.5,
            knn_method: KnnMethod::Auto,
            verbose: false,
        })
    }

    /// `n_components`: usize, dimension of the embedding, must be ≥ 1.
    pub fn n_components(mut self, n_components: usize) -> Self {
        self.0.n_components = n_components;
        self
    }

    /// `n_neighbors`: usize, default 15, must be ≥ 2 and < n_samples; counts
    /// the point itself, as in umap-learn. Larger values favour global structure.
    pub fn n_neighbors(mut self, n_neighbors: usize) -> Self {
        self.0.n_neighbors = n_neighbors;
        self
    }

    /// `min_dist`: f64, default 0.1, in [0, spread]; how tightly points pack.
    pub fn min_dist(mut self, min_dist: f64) -> Self {
        self.0.min_dist = min_dist;
        self
    }

    /// `spread`: f64, default 1.0, must be > 0; the scale of the embedded points.
    pub fn spread(mut self, spread: f64) -> Self {
        self.0.spread = spread;
        self
    }

    /// `metric`: default [`Metric::Euclidean`]; the input-space distance.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.0.metric = metric;
        self
    }

    /// `n_epochs`: usize ≥ 1, default 500 up to 10 000 points and 200 beyond.
    pub fn n_epochs(mut self, n_epochs: usize) -> Self {
        self.0.n_epochs = Some(n_epochs);
        self
    }

    /// `learning_rate`: f64, default 1.0, must be > 0; the initial step α.
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.0.learning_rate = learning_rate;
        self
    }

    /// `negative_sample_rate`: usize, default 5; repulsive samples per attractive one.
    pub fn negative_sample_rate(mut self, negative_sample_rate: usize) -> Self {
        self.0.negative_sample_rate = negative_sample_rate;
        self
    }

    /// `repulsion_strength`: f64, default 1.0, must be ≥ 0; the weight γ of repulsion.
    pub fn repulsion_strength(mut self, repulsion_strength: f64) -> Self {
        self.0.repulsion_strength = repulsion_strength;
        self
    }

    /// `local_connectivity`: f64, default 1.0, must be ≥ 0; neighbours assumed
    /// fully connected (the ρ of the smooth kNN distance).
    pub fn local_connectivity(mut self, local_connectivity: f64) -> Self {
        self.0.local_connectivity = local_connectivity;
        self
    }

    /// `set_op_mix_ratio`: f64, default 1.0, in [0, 1]; 1 is the fuzzy union,
    /// 0 the fuzzy intersection of the local graphs.
    pub fn set_op_mix_ratio(mut self, set_op_mix_ratio: f64) -> Self {
        self.0.set_op_mix_ratio = set_op_mix_ratio;
        self
    }

    /// `init`: default [`Init::Spectral`].
    pub fn init(mut self, init: Init) -> Self {
        self.0.init = init;
        self
    }

    /// `seed`: u64, default 42; the same seed gives the same embedding, bit for
    /// bit, at any thread count.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }

    /// `transform_seed`: u64, default 42; seeds the placement of new points.
    pub fn transform_seed(mut self, transform_seed: u64) -> Self {
        self.0.transform_seed = transform_seed;
        self
    }

    /// `supervised`: bool, default false. When true, the dataset's targets
    /// (`usize` labels, or `Option<usize>` with `None` for unlabelled points)
    /// shape the graph, weighted by `target_weight`. When false, targets only
    /// colour the plot.
    pub fn supervised(mut self, supervised: bool) -> Self {
        self.0.supervised = supervised;
        self
    }

    /// `target_weight`: f64, default 0.5, in [0, 1]; how much labels outweigh
    /// the data in a supervised fit (1 separates classes completely).
    pub fn target_weight(mut self, target_weight: f64) -> Self {
        self.0.target_weight = target_weight;
        self
    }

    /// `knn_method`: default [`KnnMethod::Auto`] (exact below 4096 points,
    /// NN-descent above, as umap-learn).
    pub fn knn_method(mut self, knn_method: KnnMethod) -> Self {
        self.0.knn_method = knn_method;
        self
    }

    /// `verbose`: bool, default false; print one line per stage and every
    /// tenth of the epochs.
    pub fn verbose(mut self, verbose: bool) -> Self {
        self.0.verbose = verbose;
        self
    }
}

impl Default for UmapParams {
    fn default() -> Self {
        UmapParams::new(2)
    }
}

fn finite_at_least(name: &'static str, value: f64, min: f64, strict: bool) -> Result<()> {
    let ok = value.is_finite() && if strict { value > min } else { value >= min };
    if ok {
        return Ok(());
    }
    let rel = if strict { ">" } else { "≥" };
    Err(Error::param(name, format!("of UMAP must be a finite number {rel} {min}; got {value}")))
}

fn in_unit_interval(name: &'static str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        return Ok(());
    }
    Err(Error::param(name, format!("of UMAP must be in [0, 1]; got {value}")))
}

impl ParamGuard for UmapParams {
    type Checked = UmapValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&UmapValidParams> {
        let p = &self.0;
        if p.n_components == 0 {
            return Err(Error::param("n_components", "of UMAP must be ≥ 1; got 0"));
        }
        if p.n_neighbors < 2 {
            return Err(Error::param("n_neighbors", format!("of UMAP must be ≥ 2; got {}", p.n_neighbors)));
        }
        finite_at_least("spread", p.spread, 0.0, true)?;
        finite_at_least("min_dist", p.min_dist, 0.0, false)?;
        if p.min_dist > p.spread {
            return Err(Error::param(
                "min_dist",
                format!("of UMAP must be ≤ spread = {}; got {} (raise spread or lower min_dist)", p.spread, p.min_dist),
            ));
        }
        if p.n_epochs == Some(0) {
            return Err(Error::param("n_epochs", "of UMAP must be ≥ 1; got 0"));
        }
        finite_at_least("learning_rate", p.learning_rate, 0.0, true)?;
        finite_at_least("repulsion_strength", p.repulsion_strength, 0.0, false)?;
        finite_at_least("local_connectivity", p.local_connectivity, 0.0, false)?;
        in_unit_interval("set_op_mix_ratio", p.set_op_mix_ratio)?;
        in_unit_interval("target_weight", p.target_weight)?;
        if let Init::Given(y) = &p.init {
            if y.ncols() != p.n_components {
                return Err(Error::param(
                    "init",
                    format!("of UMAP must have n_components = {} columns; got {}", p.n_components, y.ncols()),
                ));
            }
            check_finite("the given init of UMAP", y)?;
        }
        Ok(p)
    }

    fn check(self) -> Result<UmapValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl UmapValidParams {
    /// Embedding dimension.
    pub fn n_components(&self) -> usize {
        self.n_components
    }
    /// Neighbours per point, the point included.
    pub fn n_neighbors(&self) -> usize {
        self.n_neighbors
    }
    /// Minimum distance between embedded points.
    pub fn min_dist(&self) -> f64 {
        self.min_dist
    }
    /// Scale of the embedded points.
    pub fn spread(&self) -> f64 {
        self.spread
    }
    /// Input metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }
    /// Epochs asked for (`None`: by the size rule).
    pub fn n_epochs(&self) -> Option<usize> {
        self.n_epochs
    }
    /// Initial learning rate.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }
    /// Negative samples per positive one.
    pub fn negative_sample_rate(&self) -> usize {
        self.negative_sample_rate
    }
    /// Weight of repulsion.
    pub fn repulsion_strength(&self) -> f64 {
        self.repulsion_strength
    }
    /// Local connectivity.
    pub fn local_connectivity(&self) -> f64 {
        self.local_connectivity
    }
    /// Union/intersection mix.
    pub fn set_op_mix_ratio(&self) -> f64 {
        self.set_op_mix_ratio
    }
    /// Initialisation.
    pub fn init(&self) -> &Init {
        &self.init
    }
    /// Seed of the fit.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Seed of `transform`.
    pub fn transform_seed(&self) -> u64 {
        self.transform_seed
    }
    /// Whether labels shape the graph.
    pub fn supervised(&self) -> bool {
        self.supervised
    }
    /// Weight of the labels in a supervised fit.
    pub fn target_weight(&self) -> f64 {
        self.target_weight
    }
    /// Neighbour search method.
    pub fn knn_method(&self) -> KnnMethod {
        self.knn_method
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_name(p: UmapParams) -> &'static str {
        match p.check() {
            Err(Error::Param { name, .. }) => name,
            other => panic!("expected a parameter error; got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid() {
        assert!(UmapParams::default().check().is_ok());
    }

    #[test]
    fn each_bad_value_names_its_parameter() {
        let p = UmapParams::default;
        assert_eq!(err_name(p().n_components(0)), "n_components");
        assert_eq!(err_name(p().n_neighbors(1)), "n_neighbors");
        assert_eq!(err_name(p().spread(0.0)), "spread");
        assert_eq!(err_name(p().min_dist(-0.1)), "min_dist");
        assert_eq!(err_name(p().min_dist(2.0)), "min_dist");
        assert_eq!(err_name(p().n_epochs(0)), "n_epochs");
        assert_eq!(err_name(p().learning_rate(f64::NAN)), "learning_rate");
        assert_eq!(err_name(p().repulsion_strength(-1.0)), "repulsion_strength");
        assert_eq!(err_name(p().local_connectivity(-1.0)), "local_connectivity");
        assert_eq!(err_name(p().set_op_mix_ratio(1.5)), "set_op_mix_ratio");
        assert_eq!(err_name(p().target_weight(-0.5)), "target_weight");
        assert_eq!(err_name(p().init(Init::Given(Array2::zeros((3, 3))))), "init");
    }

    #[test]
    fn message_names_value_and_fix() {
        let err = UmapParams::default().min_dist(2.0).check().unwrap_err().to_string();
        assert!(err.contains("min_dist") && err.contains("got 2") && err.contains("spread"), "{err}");
    }
}
