//! Clustering: subspace clustering, spectral clustering, and centroid
//! clustering with local connectivity or automatic choice of k.
//!
//! | method | entry point | file |
//! |---|---|---|
//! | K-subspaces (linear or affine, per-cluster dimensions) | [`KSubspaces`] | `k_subspaces.rs` |
//! | spectral clustering (RBF, kNN or precomputed affinity) | [`SpectralClustering`] | `spectral_clustering.rs` |
//! | elastic-net / sparse subspace clustering (EnSC, SSC) | [`Ensc`] | `ensc.rs` |
//! | k-means with k at the elbow of the inertia curve | [`KMeansElbow`] | `kmeans_elbow.rs` |
//! | k-means with local connectivity (LOFKM; our reading of the paper) and the [`local_connectivity`] measure | [`Lofkm`] | `lofkm.rs` |
//! | probabilistic partitive partitioning: k chosen by k-means stability + GMM validation (our reading) | [`Ppp`] | `ppp.rs` |
//!
//! Every estimator is a parameter builder
//! (`KSubspaces::params().n_clusters(4).dim(3).seed(7)`; a parameter without a
//! default, such as `n_clusters`, must be set) with `fit_records(x.view())`,
//! `fit(&dataset)` and linfa's `Fit`; every fitted model exposes
//! `labels()` and draws itself in the notebook (`figure()`, or
//! `figure_on(embedding)` to colour any embedding of the same points). k-means
//! steps use linfa-clustering's `KMeans`. Score results with the metrics in
//! [`crate::metrics`] (`clustering_accuracy`, `nmi`, `ari`, `calinski_harabasz`,
//! `davies_bouldin`; `match_subspaces` for recovered bases).

mod affinity_graph;
pub(crate) mod common;
mod ensc;
mod k_subspaces;
mod kmeans_elbow;
mod lofkm;
mod ppp;
mod spectral_clustering;

pub use ensc::{Ensc, EnscParams, EnscValidParams};
pub use k_subspaces::{KSubspaces, KSubspacesParams, KSubspacesValidParams};
pub use kmeans_elbow::{KMeansElbow, KMeansElbowParams, KMeansElbowValidParams};
pub use lofkm::{local_connectivity, LocalConnectivity, Lofkm, LofkmParams, LofkmValidParams};
pub use ppp::{Ppp, PppCandidate, PppParams, PppValidParams};
pub use spectral_clustering::{Affinity, SpectralClustering, SpectralClusteringParams, SpectralClusteringValidParams};
