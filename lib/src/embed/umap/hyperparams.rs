//! UMAP's hyperparameters: the unchecked builder [`UmapParams`] and the checked
//! [`UmapValidParams`] that [`Fit`](linfa::traits::Fit) consumes.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::Umap;
use crate::error::{check_finite, Error};
use crate::estimator::params;
use crate::neighbors::{KnnMethod, Metric};

/// How the embedding starts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum UmapInit {
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

params! {
    /// Checked UMAP hyperparameters; see [`Umap::params`] for their meaning and
    /// defaults (umap-learn's).
    Umap("UMAP") => UmapParams, UmapValidParams {
        /// Dimension of the embedding.
        n_components: usize = 2 => 1..,
        /// Neighbours per point, the point itself counted as in umap-learn;
        /// also below n_samples at fit. Larger values favour global structure.
        n_neighbors: usize = 15 => 2..,
        /// How tightly points pack; at most `spread`.
        min_dist: f64 = 0.1 => 0.0..,
        /// The scale of the embedded points.
        spread: f64 = 1.0 => above(0.0),
        /// The input-space distance.
        metric: Metric = Metric::Euclidean,
        /// Epochs; unset: 500 up to 10 000 points and 200 beyond.
        n_epochs: Option<usize> = None => 1..; from usize,
        /// The initial step α.
        learning_rate: f64 = 1.0 => above(0.0),
        /// Repulsive samples per attractive one.
        negative_sample_rate: usize = 5,
        /// The weight γ of repulsion.
        repulsion_strength: f64 = 1.0 => 0.0..,
        /// Neighbours assumed fully connected (the ρ of the smooth kNN distance).
        local_connectivity: f64 = 1.0 => 0.0..,
        /// 1 is the fuzzy union, 0 the fuzzy intersection of the local graphs.
        set_op_mix_ratio: f64 = 1.0 => 0.0..=1.0,
        /// How the embedding starts; given coordinates need `n_components` columns.
        init: UmapInit = UmapInit::Spectral,
        /// The same seed gives the same embedding, bit for bit, at any thread count.
        seed: u64 = 42,
        /// Seeds the placement of new points.
        transform_seed: u64 = 42,
        /// When true, the dataset's targets (`usize` labels, or `Option<usize>`
        /// with `None` for unlabelled points) shape the graph, weighted by
        /// `target_weight`; when false, targets only colour the plot.
        supervised: bool = false,
        /// How much labels outweigh the data in a supervised fit (1 separates
        /// classes completely).
        target_weight: f64 = 0.5 => 0.0..=1.0,
        /// Exact below 4096 points, NN-descent above (as umap-learn) by default.
        knn_method: KnnMethod = KnnMethod::Auto,
        /// Print one line per stage and every tenth of the epochs.
        verbose: bool = false,
    }
    check(p) {
        if p.min_dist > p.spread {
            return Err(Error::param(
                "min_dist",
                format!("of UMAP must be ≤ spread = {}; got {} (raise spread or lower min_dist)", p.spread, p.min_dist),
            ));
        }
        if let UmapInit::Given(y) = &p.init {
            if y.ncols() != p.n_components {
                return Err(Error::param("init", format!("of UMAP must have n_components = {} columns; got {}", p.n_components, y.ncols())));
            }
            check_finite("the given init of UMAP", y)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use linfa::ParamGuard;

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
        assert_eq!(err_name(p().init(UmapInit::Given(Array2::zeros((3, 3))))), "init");
    }

    #[test]
    fn message_names_value_and_fix() {
        let err = UmapParams::default().min_dist(2.0).check().unwrap_err().to_string();
        assert!(err.contains("min_dist") && err.contains("got 2") && err.contains("spread"), "{err}");
    }
}
