//! The k-nearest-neighbour graph every estimator shares.

use ndarray::{s, Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `k` nearest neighbours of each of `n` points: row `i` of [`indices`](Self::indices)
/// and [`distances`](Self::distances) lists them nearest first.
///
/// **A point is never its own neighbour.** Row `i` of a graph built on a data
/// set holds the `k` nearest *other* points (a duplicate of `i` may appear, at
/// distance 0). This is what Isomap, intrinsic-dimension estimators and
/// trustworthiness want as they are; UMAP's `n_neighbors` counts the point
/// itself, as umap-learn does, so UMAP asks for `n_neighbors − 1` of them.
/// For a [query](crate::neighbors::KnnIndex::query) row `i` lists the indexed
/// points nearest to query point `i`.
///
/// Ties in distance are broken by the smaller index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnnGraph {
    indices: Array2<usize>,
    distances: Array2<f64>,
}

impl KnnGraph {
    /// A graph from its parts (`n × k` each), checking that distances are
    /// finite, non-negative and ascending along each row.
    pub fn new(indices: Array2<usize>, distances: Array2<f64>) -> Result<Self> {
        if indices.dim() != distances.dim() {
            return Err(Error::data(format!(
                "kNN indices and distances must have the same shape; got {:?} and {:?}",
                indices.dim(),
                distances.dim()
            )));
        }
        for (i, row) in distances.outer_iter().enumerate() {
            if row.iter().any(|d| !d.is_finite() || *d < 0.0) {
                return Err(Error::data(format!("row {i} of the kNN distances holds a negative or non-finite value")));
            }
            if row.windows(2).into_iter().any(|w| w[1] < w[0]) {
                return Err(Error::data(format!("row {i} of the kNN distances is not sorted ascending")));
            }
        }
        Ok(KnnGraph { indices, distances })
    }

    /// Builds without the checks (the search routines guarantee them).
    pub(crate) fn from_parts(indices: Array2<usize>, distances: Array2<f64>) -> Self {
        KnnGraph { indices, distances }
    }

    /// Number of rows (points, or query points).
    pub fn n_points(&self) -> usize {
        self.indices.nrows()
    }

    /// Neighbours per row.
    pub fn k(&self) -> usize {
        self.indices.ncols()
    }

    /// `n × k` neighbour indices, nearest first.
    pub fn indices(&self) -> ArrayView2<'_, usize> {
        self.indices.view()
    }

    /// `n × k` distances, ascending along each row.
    pub fn distances(&self) -> ArrayView2<'_, f64> {
        self.distances.view()
    }

    /// The neighbours of point `i` and their distances, or `None` past the end.
    pub fn neighbors(&self, i: usize) -> Option<(ArrayView1<'_, usize>, ArrayView1<'_, f64>)> {
        (i < self.n_points()).then(|| (self.indices.row(i), self.distances.row(i)))
    }

    /// The graph of the `k` nearest neighbours only (`k` ≤ [`k()`](Self::k)).
    pub fn truncate(&self, k: usize) -> Result<KnnGraph> {
        if k == 0 || k > self.k() {
            return Err(Error::param("k", format!("of KnnGraph::truncate must be in [1, {}]; got {k}", self.k())));
        }
        Ok(KnnGraph { indices: self.indices.slice(s![.., ..k]).to_owned(), distances: self.distances.slice(s![.., ..k]).to_owned() })
    }

    /// Fraction of the neighbours of `exact` (the true graph, same rows and `k`)
    /// that this graph also lists: the usual recall of an approximate search.
    pub fn recall(&self, exact: &KnnGraph) -> Result<f64> {
        if self.indices.dim() != exact.indices.dim() {
            return Err(Error::data(format!(
                "recall compares graphs of the same shape; got {:?} and {:?}",
                self.indices.dim(),
                exact.indices.dim()
            )));
        }
        let total = self.indices.len();
        if total == 0 {
            return Ok(1.0);
        }
        let mut found = 0usize;
        for (mine, truth) in self.indices.outer_iter().zip(exact.indices.outer_iter()) {
            found += truth.iter().filter(|t| mine.iter().any(|m| m == *t)).count();
        }
        Ok(found as f64 / total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn new_checks_order_and_shape() {
        let idx = array![[1, 2], [0, 2], [1, 0]];
        let d = array![[1.0, 2.0], [1.0, 1.5], [0.5, 2.0]];
        assert!(KnnGraph::new(idx.clone(), d).is_ok());
        let bad = array![[2.0, 1.0], [1.0, 1.5], [0.5, 2.0]];
        assert!(matches!(KnnGraph::new(idx.clone(), bad), Err(Error::Data(_))));
        let short = array![[1.0], [1.0], [0.5]];
        assert!(matches!(KnnGraph::new(idx, short), Err(Error::Data(_))));
    }

    #[test]
    fn recall_and_truncate() {
        let exact = KnnGraph::new(array![[1, 2], [0, 2]], array![[1.0, 2.0], [1.0, 3.0]]).unwrap();
        let approx = KnnGraph::new(array![[2, 1], [0, 3]], array![[2.0, 2.0], [1.0, 3.0]]).unwrap();
        assert_eq!(approx.recall(&exact).unwrap(), 0.75);
        let t = exact.truncate(1).unwrap();
        assert_eq!(t.indices(), array![[1], [0]]);
        assert!(matches!(exact.truncate(3), Err(Error::Param { name: "k", .. })));
    }
}
