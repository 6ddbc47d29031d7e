//! Embeddings: UMAP, t-SNE, the classical manifold learners (Isomap, LLE,
//! spectral, classical MDS, kernel PCA), randomized PCA, random projections
//! and FastRP node embeddings.
//!
//! | method | entry point | new points | file |
//! |---|---|---|---|
//! | UMAP | [`Umap::params`] | `transform` | `umap/` (algorithm, fuzzy graph, layout, spectral start) |
//! | t-SNE (Barnes–Hut) | [`Tsne::params`] | — | `tsne/` |
//! | Isomap | [`Isomap::params`] | `transform` | `isomap.rs` |
//! | LLE, modified LLE | [`LocallyLinearEmbedding::params`] | `transform` | `lle.rs` |
//! | spectral embedding (Laplacian eigenmaps) | [`SpectralEmbedding::params`] | — | `spectral.rs` |
//! | classical MDS | [`ClassicalMds::params`] | — | `mds.rs` |
//! | kernel PCA | [`KernelPca::params`] | `transform` | `kernel_pca.rs` |
//! | randomized PCA | [`RandomizedPca::params`] | `transform` | `randomized_pca.rs` |
//! | very sparse random projection | [`SparseRandomProjection::params`] | `transform` | `sparse_random_projection.rs` |
//! | FastRP node embedding | [`FastRp::params`] | — | `fastrp.rs` |
//!
//! What the classical learners share (input checks, kernel centring, the
//! embedding figure) is in `shared.rs`.

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

pub use fastrp::{FastRp, FastRpParams, FastRpValidParams};
pub use isomap::{Isomap, IsomapParams, IsomapValidParams};
pub use kernel_pca::{Kernel, KernelPca, KernelPcaParams, KernelPcaValidParams};
pub use lle::{LleMethod, LleParams, LleValidParams, LocallyLinearEmbedding};
pub use mds::{ClassicalMds, ClassicalMdsParams, ClassicalMdsValidParams};
pub use randomized_pca::{PowerNormalizer, RandomizedPca, RandomizedPcaParams, RandomizedPcaValidParams};
pub use sparse_random_projection::{
    johnson_lindenstrauss_min_dim, SparseRandomProjection, SparseRandomProjectionParams, SparseRandomProjectionValidParams,
};
pub use spectral::{EmbeddingAffinity, SpectralEmbedding, SpectralEmbeddingParams, SpectralEmbeddingValidParams};
pub use tsne::{Tsne, TsneInit, TsneParams, TsneValidParams};
pub use umap::{find_ab_params, fuzzy_simplicial_set, smooth_knn_dist, FuzzyGraph, Umap, UmapInit, UmapParams, UmapValidParams};
