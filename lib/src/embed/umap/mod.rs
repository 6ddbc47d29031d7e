//! UMAP: Uniform Manifold Approximation and Projection.
//!
//! Builds a fuzzy graph of the data's k nearest neighbours (each point's
//! distances smoothed so that its neighbourhood has the same fuzzy size), then
//! finds a low-dimensional layout whose similarity curve `1 / (1 + a·d^{2b})`
//! matches the graph in cross-entropy, by SGD with negative sampling from a
//! spectral start. The algorithm and defaults are umap-learn 0.5's; the
//! parallel SGD is deterministic (same seed, same bits at any thread count) and
//! new points are placed in well under a millisecond each.
//!
//! Paper: L. McInnes, J. Healy & J. Melville, "UMAP: Uniform Manifold
//! Approximation and Projection for Dimension Reduction", arXiv:1802.03426, 2018.
//!
//! Cost, for `n` points in `d` dimensions, `k = n_neighbors`, output dimension `c`:
//! kNN `O(n²·d)` exact (below 4096 points) or about `O(n·d·log n)` by NN-descent;
//! graph `O(n·k)`; spectral start a few hundred sparse products `O(n·k)`;
//! layout `O(n_epochs·n·k·(1 + negative_sample_rate)·c)`. Memory `O(n·(d + k + c))`
//! (the fitted model keeps the training data to place new points).
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(300, 0.05, 7).unwrap();
//! let umap = Umap::params().n_neighbors(10).n_epochs(100).seed(7).fit(&ds).unwrap();
//! assert_eq!(umap.embedding().dim(), (300, 2));
//! let new = umap.transform(ds.records().slice(s![..5, ..])).unwrap();
//! assert_eq!(new.dim(), (5, 2));
//! ```

mod algorithm;
mod curve;
mod display;
mod fastpow;
mod fuzzy;
mod hyperparams;
mod layout;
mod pair_schedule;
mod spectral;

pub use algorithm::Umap;
pub use curve::find_ab_params;
pub use fuzzy::{fuzzy_simplicial_set, smooth_knn_dist, FuzzyGraph};
pub use hyperparams::{UmapInit, UmapParams, UmapValidParams};
