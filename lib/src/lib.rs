//! # lowdim
//!
//! A notebook-first workbench for finding and learning low-dimensional structure in
//! data: data generators, linfa-compatible estimators and plotly figures that render
//! in the `rust-lowdim` Jupyter kernel.
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(500, 0.05, 7).unwrap();
//! assert_eq!(ds.records().dim(), (500, 3));
//! ```
//!
//! Every estimator has the same shape: `X::params()` gives the defaults, setters
//! change them, `fit(&dataset)` or `fit_records(x.view())` checks them and
//! fits, the fitted model has `figure()`, `describe()`, `save` / `load`, and
//! `transform` or `predict` where new points make sense (see [`estimator`]).
//!
//! ## Where each method lives
//!
//! | method | entry point | file |
//! |---|---|---|
//! | UMAP | [`Umap`](embed::Umap) | `embed/umap/` |
//! | t-SNE (Barnes–Hut) | [`Tsne`](embed::Tsne) | `embed/tsne/` |
//! | Isomap | [`Isomap`](embed::Isomap) | `embed/isomap.rs` |
//! | LLE (standard, modified) | [`LocallyLinearEmbedding`](embed::LocallyLinearEmbedding) | `embed/lle.rs` |
//! | spectral embedding | [`SpectralEmbedding`](embed::SpectralEmbedding) | `embed/spectral.rs` |
//! | classical MDS | [`ClassicalMds`](embed::ClassicalMds) | `embed/mds.rs` |
//! | kernel PCA | [`KernelPca`](embed::KernelPca) | `embed/kernel_pca.rs` |
//! | randomized PCA | [`RandomizedPca`](embed::RandomizedPca) | `embed/randomized_pca.rs` |
//! | very sparse random projection | [`SparseRandomProjection`](embed::SparseRandomProjection) | `embed/sparse_random_projection.rs` |
//! | FastRP node embedding | [`FastRp`](embed::FastRp) | `embed/fastrp.rs` |
//! | MLE (Levina–Bickel) | [`Mle`](intrinsic::Mle) | `intrinsic/mle.rs` |
//! | TwoNN | [`TwoNn`](intrinsic::TwoNn) | `intrinsic/twonn.rs` |
//! | local PCA | [`Lpca`](intrinsic::Lpca) | `intrinsic/lpca.rs` |
//! | correlation dimension | [`CorrInt`](intrinsic::CorrInt) | `intrinsic/corrint.rs` |
//! | MiND-ML | [`MindMl`](intrinsic::MindMl) | `intrinsic/mind_ml.rs` |
//! | label sharpness | [`LabelSharpness`](intrinsic::LabelSharpness) | `intrinsic/label_sharpness.rs` |
//! | K-subspaces | [`KSubspaces`](cluster::KSubspaces) | `cluster/k_subspaces.rs` |
//! | EnSC / SSC | [`Ensc`](cluster::Ensc) | `cluster/ensc.rs` |
//! | spectral clustering | [`SpectralClustering`](cluster::SpectralClustering) | `cluster/spectral_clustering.rs` |
//! | LOFKM | [`Lofkm`](cluster::Lofkm) | `cluster/lofkm.rs` |
//! | PPP | [`Ppp`](cluster::Ppp) | `cluster/ppp.rs` |
//! | k-means at the elbow | [`KMeansElbow`](cluster::KMeansElbow) | `cluster/kmeans_elbow.rs` |
//! | ℓp sensitivity sampling | [`LpSampling`](sample::LpSampling) | `sample/sensitivity.rs` |
//! | volume sampling | [`VolumeSampling`](sample::VolumeSampling) | `sample/volume.rs` |
//! | DSIR | [`Dsir`](sample::Dsir) | `sample/dsir.rs` |
//! | leverage scores, Lewis weights | [`leverage_scores`](sample::leverage_scores), [`lewis_weights`](sample::lewis_weights) | `sample/leverage.rs`, `sample/lewis.rs` |
//! | sliced Wasserstein | [`SlicedWasserstein`](metrics::SlicedWasserstein) | `metrics/sliced_wasserstein.rs` |
//! | trustworthiness, continuity | [`trustworthiness`](metrics::trustworthiness) | `metrics/trustworthiness.rs` |
//! | kNN graphs (exact, NN-descent) | [`KnnParams`](neighbors::KnnParams) | `neighbors/` |
//! | quantisation, recall@k | [`Compression`](compress::Compression), [`recall_at_k`](compress::recall_at_k) | `compress/` |
//! | deep modules (trainer, autoencoders, equivariance, diffusion) | see [`deep`] | `deep/` |

pub mod cluster;
pub mod compress;
pub mod data;
#[cfg(feature = "torch")]
pub mod deep;
pub mod display;
pub mod embed;
pub mod error;
pub mod estimator;
pub mod interrupt;
pub mod intrinsic;
pub(crate) mod linalg;
pub mod metrics;
pub mod neighbors;
pub(crate) mod persist;
pub mod plot;
pub mod render;
pub(crate) mod rng;
pub mod sample;

pub use error::{Error, Result};

// The crates whose types lowdim hands out, so that a notebook (or a crate) that
// depends on lowdim alone names them with the versions lowdim was built with.
pub use linfa;
pub use linfa_reduction;
pub use ndarray;
pub use plotly;
#[cfg(feature = "torch")]
pub use tch;

/// Everything a notebook needs, in one `use`.
pub mod prelude {
    pub use crate::cluster::*;
    pub use crate::compress::*;
    pub use crate::data::*;
    #[cfg(feature = "torch")]
    pub use crate::deep::*;
    pub use crate::display::Progress;
    pub use crate::embed::*;
    pub use crate::error::{Error, Result};
    pub use crate::estimator::{TargetValues, Targets};
    pub use crate::intrinsic::*;
    pub use crate::metrics::*;
    pub use crate::neighbors::*;
    pub use crate::plot::*;
    pub use crate::sample::*;
    pub use linfa::prelude::*;
    pub use linfa_reduction::Pca;
    pub use ndarray::{array, s, Array1, Array2, ArrayView1, ArrayView2, Axis};
}
