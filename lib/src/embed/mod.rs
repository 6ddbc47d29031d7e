//! Embeddings: UMAP and the classical manifold learners.

mod randomized_pca;
mod tsne;
mod umap;

pub use umap::{
    find_ab_params, fuzzy_simplicial_set, smooth_knn_dist, FuzzyGraph, Init, Umap, UmapParams, UmapTargets, UmapValidParams,
};
pub use randomized_pca::{PowerNormalizer, RandomizedPca, RandomizedPcaParams, RandomizedPcaValidParams};
pub use tsne::{Tsne, TsneInit, TsneParams, TsneValidParams};
