//! Quality metrics for embeddings and clusterings.
//!
//! | family | functions | file |
//! |---|---|---|
//! | rank-based neighbourhood quality (scikit-learn's definition) | [`trustworthiness`], [`continuity`] | `trustworthiness.rs` |
//! | shared nearest neighbours | [`neighborhood_preservation`] | `neighborhood.rs` |
//! | global distance order | [`shepard_correlation`], [`spearman`] | `shepard.rs` |
//! | labels readable from an embedding | [`knn_accuracy`], [`knn_classify`], [`accuracy`] | `knn_accuracy.rs` |
//! | clustering vs reference labels | [`clustering_accuracy`], [`nmi`], [`ari`] | `clustering.rs` |
//! | internal cluster validity | [`calinski_harabasz`], [`davies_bouldin`] | `cluster_validity.rs` |
//! | assignment | [`hungarian`] | `hungarian.rs` |
//! | subspaces: principal angles, Grassmann distances, recovery error | [`principal_angles`], [`geodesic_distance`], [`chordal_distance`], [`projection_distance`], [`subspace_recovery_error`], [`match_subspaces`] | `grassmann.rs` |
//! | distances between point clouds | [`sliced_wasserstein`], [`SlicedWasserstein`], [`sw_variance_curve`] | `sliced_wasserstein.rs` |
//! | notebook tables | [`embedding_report`], [`compare_embeddings`] | `report.rs` |

mod cluster_validity;
mod clustering;
mod common;
mod grassmann;
mod hungarian;
mod knn_accuracy;
mod neighborhood;
mod report;
mod shepard;
mod sliced_wasserstein;
mod trustworthiness;

pub use cluster_validity::{calinski_harabasz, davies_bouldin};
pub use clustering::{ari, clustering_accuracy, nmi};
pub use grassmann::{
    chordal_distance, geodesic_distance, match_subspaces, principal_angles, projection_distance, subspace_recovery_error, SubspaceMatch,
};
pub use hungarian::hungarian;
pub use knn_accuracy::{accuracy, knn_accuracy, knn_classify};
pub use neighborhood::neighborhood_preservation;
pub use report::{compare_embeddings, embedding_report, EmbeddingReport, MetricsTable, REPORT_FOLDS, REPORT_SEED, REPORT_SHEPARD_PAIRS};
pub use shepard::{shepard_correlation, spearman};
pub use sliced_wasserstein::{
    sliced_wasserstein, sw_variance_curve, SlicedWasserstein, SlicedWassersteinParams, SlicedWassersteinValidParams, SwEstimate,
    SwEstimator, SwVarianceCurve,
};
pub use trustworthiness::{continuity, trustworthiness};
