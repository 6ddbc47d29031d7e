//! Embeddings: UMAP and the classical manifold learners.

mod fastrp;
mod randomized_pca;
mod sparse_random_projection;
mod tsne;
mod umap;

pub use umap::{
    find_ab_params, fuzzy_simplicial_set, smooth_knn_dist, FuzzyGraph, Init, Umap, UmapParams, UmapTargets, UmapValidParams,
};
pub use randomized_pca::{PowerNormalizer, RandomizedPca, RandomizedPcaParams, RandomizedPcaValidParams};
pub use tsne::{Tsne, TsneInit, TsneParams, TsneValidParams};
pub use sparse_random_projection::{johnson_lindenstrauss_min_dim, ProjectionSize, SparseRandomProjection, SparseRandomProjectionParams, SparseRandomProjectionValidParams};
pub use fastrp::{FastRp, FastRpParams, FastRpValidParams};
