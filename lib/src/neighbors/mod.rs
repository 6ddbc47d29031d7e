//! Nearest-neighbour graphs shared by every estimator: exact kNN and approximate
//! kNN by NN-descent, with queries of new points against a built index.
//!
//! - [`knn_graph`] / [`exact_knn`]: the graph of a data set in one call.
//! - [`KnnParams`] → [`KnnIndex`]: all the knobs, and an index that answers
//!   [`KnnIndex::query`] for new points.
//! - [`KnnGraph`]: `n × k` indices and distances, nearest first, **the point
//!   itself excluded** (UMAP's `n_neighbors`, which counts the point, asks for
//!   `n_neighbors − 1`).
//!
//! Exact search walks a k-d tree for few features (euclidean, manhattan) and is
//! otherwise blocked brute force with matrix products, `O(n²·d)` time.
//! Approximate search is NN-descent (Dong, Moses & Li, "Efficient k-nearest
//! neighbor graph construction for generic similarity measures", WWW 2011)
//! seeded with random-projection trees, with pynndescent's defaults; about
//! `O(n·d·log n)` in practice. Both run in parallel with rayon and give the same
//! bits for the same seed at any thread count.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = Array2::from_shape_fn((300, 4), |(i, j)| ((i * 13 + j * 7) % 29) as f64 + 0.001 * i as f64);
//! let index = KnnParams::new(10).build(x.view()).unwrap();
//! assert_eq!(index.graph().indices().dim(), (300, 10));
//! let near = index.query(x.slice(s![..3, ..]), 5).unwrap();
//! assert_eq!(near.indices().dim(), (3, 5));
//! assert_eq!(near.indices()[[0, 0]], 0); // an indexed point finds itself first
//! ```

mod distance;
mod exact;
mod graph;
mod heap;
mod index;
mod kd_tree;
mod nndescent;
mod principal_axes;
mod rptree;
mod top_k;

pub(crate) use distance::dot;
pub use distance::Metric;
pub use graph::KnnGraph;
pub use index::{exact_knn, knn_graph, KnnIndex, KnnMethod, KnnParams, NnDescentDefaults, EXACT_BELOW};
