//! Embeddings: UMAP and the classical manifold learners.

mod umap;

pub use umap::{
    find_ab_params, fuzzy_simplicial_set, smooth_knn_dist, FuzzyGraph, Init, Umap, UmapParams, UmapTargets, UmapValidParams,
};
