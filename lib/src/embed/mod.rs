//! Embeddings: UMAP and the classical manifold learners.

mod isomap;
mod kernel_pca;
mod lle;
mod mds;
pub(crate) mod shared;
mod spectral;
mod umap;
pub(crate) use umap::persist as umap_persist;

pub use isomap::{Isomap, IsomapParams, IsomapValidParams};
pub use kernel_pca::{Kernel, KernelPca, KernelPcaParams, KernelPcaValidParams};
pub use lle::{LleMethod, LleParams, LleValidParams, LocallyLinearEmbedding};
pub use mds::{ClassicalMds, ClassicalMdsParams, ClassicalMdsValidParams};
pub use shared::EmbedTargets;
pub use spectral::{Affinity, SpectralEmbedding, SpectralEmbeddingParams, SpectralEmbeddingValidParams};
pub use umap::{
    find_ab_params, fuzzy_simplicial_set, smooth_knn_dist, FuzzyGraph, Init, Umap, UmapParams, UmapTargets, UmapValidParams,
};
