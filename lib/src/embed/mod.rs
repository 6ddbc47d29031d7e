//! Embeddings: UMAP, t-SNE, the classical manifold learners (Isomap, LLE,
//! spectral, classical MDS, kernel PCA), randomized PCA, random projections
//! and FastRP node embeddings.

mod fastrp;
mod isomap;
mod kernel_pca;
mod lle;
mod mds;
mod randomized_pca;
pub(crate) mod shared;
mod sparse_random_projection;
mod spectral;
mod tsne;
mod umap;

pub use isomap::{Isomap, IsomapParams, IsomapValidParams};
pub use kernel_pca::{Kernel, KernelPca, KernelPcaParams, KernelPcaValidParams};
pub use lle::{LleMethod, LleParams, LleValidParams, LocallyLinearEmbedding};
pub use mds::{ClassicalMds, ClassicalMdsParams, ClassicalMdsValidParams};
pub use spectral::{EmbeddingAffinity, SpectralEmbedding, SpectralEmbeddingParams, SpectralEmbeddingValidParams};
pub use umap::{
    find_ab_params, fuzzy_simplicial_set, smooth_knn_dist, FuzzyGraph, Umap, UmapInit, UmapParams, UmapValidParams,
};
pub use randomized_pca::{PowerNormalizer, RandomizedPca, RandomizedPcaParams, RandomizedPcaValidParams};
pub use tsne::{Tsne, TsneInit, TsneParams, TsneValidParams};
pub use sparse_random_projection::{johnson_lindenstrauss_min_dim, SparseRandomProjection, SparseRandomProjectionParams, SparseRandomProjectionValidParams};
pub use fastrp::{FastRp, FastRpParams, FastRpValidParams};
