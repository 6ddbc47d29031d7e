//! Internal cluster-validity indices: Calinski–Harabasz and Davies–Bouldin.
//!
//! Both judge a clustering of points `x` (n × d) from the data alone, with
//! `c_k` the centroid of cluster `k` (of `n_k` points), `c` the overall mean and
//! `K` the number of clusters.
//!
//! - **Calinski–Harabasz** (variance ratio criterion), higher is better:
//!   `CH = [Σ_k n_k ‖c_k − c‖² / (K − 1)] / [Σ_k Σ_{i∈k} ‖x_i − c_k‖² / (n − K)]`;
//!   1 when every cluster has zero spread (scikit-learn's convention).
//! - **Davies–Bouldin**, lower is better (0 is the minimum): with
//!   `s_k` the mean distance of cluster `k`'s points to `c_k`,
//!   `DB = (1/K) Σ_k max_{l ≠ k} (s_k + s_l) / ‖c_k − c_l‖`; pairs of coinciding
//!   centroids are skipped, and it is 0 when all `s_k` or all centroid distances
//!   are ≤ 1e-8 (scikit-learn's conventions).
//!
//! Both need `2 ≤ K ≤ n − 1`. Values match `sklearn.metrics.calinski_harabasz_score`
//! and `davies_bouldin_score`.
//!
//! **References.** T. Caliński and J. Harabasz, "A dendrite method for cluster
//! analysis", Communications in Statistics 3(1), 1974, pp. 1–27,
//! doi:10.1080/03610927408827101; D. L. Davies and D. W. Bouldin, "A cluster
//! separation measure", IEEE TPAMI 1(2), 1979, pp. 224–227,
//! doi:10.1109/TPAMI.1979.4766909.
//!
//! **Cost.** O(n·d + K²·d) time, O(K·d) memory.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let x = array![[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]];
//! let labels = [0, 0, 1, 1];
//! assert!(calinski_harabasz(x.view(), &labels)? > 100.0);
//! assert!((davies_bouldin(x.view(), &labels)? - 0.1).abs() < 1e-12);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::common::{check_labels_len, check_matrix, compact_labels, sq_dist};
use crate::error::{Error, Result};

/// Calinski–Harabasz score of the clustering `labels` of the rows of `x` (higher is better).
///
/// `x`: n × d, finite; `labels`: n labels (any values) forming 2 to n − 1 clusters.
pub fn calinski_harabasz(x: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    let c = Clusters::new("calinski_harabasz", x, labels)?;
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
    let mut between = 0.0;
    for (k, &size) in c.sizes.iter().enumerate() {
        between += size as f64 * sq_dist(c.centroids.row(k), mean.view());
    }
    let mut within = 0.0;
    for (i, &k) in c.codes.iter().enumerate() {
        within += sq_dist(x.row(i), c.centroids.row(k));
    }
    let (n, kk) = (x.nrows() as f64, c.sizes.len() as f64);
    Ok(if within == 0.0 { 1.0 } else { between * (n - kk) / (within * (kk - 1.0)) })
}

/// Davies–Bouldin score of the clustering `labels` of the rows of `x` (lower is better).
///
/// `x`: n × d, finite; `labels`: n labels (any values) forming 2 to n − 1 clusters.
pub fn davies_bouldin(x: ArrayView2<f64>, labels: &[usize]) -> Result<f64> {
    let c = Clusters::new("davies_bouldin", x, labels)?;
    let kk = c.sizes.len();
    let mut spread = vec![0.0; kk];
    for (i, &k) in c.codes.iter().enumerate() {
        spread[k] += sq_dist(x.row(i), c.centroids.row(k)).sqrt();
    }
    for (s, &size) in spread.iter_mut().zip(&c.sizes) {
        *s /= size as f64;
    }
    let between = Array2::from_shape_fn((kk, kk), |(k, l)| sq_dist(c.centroids.row(k), c.centroids.row(l)).sqrt());
    const ATOL: f64 = 1e-8; // numpy.allclose(·, 0)
    if spread.iter().all(|s| s.abs() <= ATOL) || between.iter().all(|d| d.abs() <= ATOL) {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for k in 0..kk {
        let worst = (0..kk).filter(|&l| between[[k, l]] != 0.0).map(|l| (spread[k] + spread[l]) / between[[k, l]]).fold(0.0, f64::max);
        total += worst;
    }
    Ok(total / kk as f64)
}

/// Labels compacted to `0..K`, cluster sizes and centroids, after validation.
struct Clusters {
    codes: Vec<usize>,
    sizes: Vec<usize>,
    centroids: Array2<f64>,
}

impl Clusters {
    fn new(who: &str, x: ArrayView2<f64>, labels: &[usize]) -> Result<Self> {
        check_matrix(who, "x", x)?;
        let n = x.nrows();
        check_labels_len(who, "labels", labels, n, "row of `x`")?;
        let (codes, kk) = compact_labels(labels);
        if kk < 2 || kk >= n {
            return Err(Error::data(format!(
                "`labels` of {who} must form 2 to n_samples − 1 = {} clusters; got {kk}",
                n.saturating_sub(1)
            )));
        }
        let mut sizes = vec![0usize; kk];
        let mut centroids = Array2::zeros((kk, x.ncols()));
        for (i, &k) in codes.iter().enumerate() {
            sizes[k] += 1;
            let mut row = centroids.row_mut(k);
            row += &x.row(i);
        }
        for (mut row, &size) in centroids.rows_mut().into_iter().zip(&sizes) {
            row /= size as f64;
        }
        Ok(Clusters { codes, sizes, centroids })
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::fixtures;
    use super::*;
    use ndarray::array;

    const CH: f64 = 500.1568340501093;
    const DB: f64 = 0.9370825723157048;

    #[test]
    fn match_scikit_learn_golden() {
        let x = fixtures::matrix("X_clusters");
        let labels = fixtures::labels("labels_a");
        let ch = calinski_harabasz(x.view(), &labels).unwrap();
        assert!(((ch - CH) / CH).abs() < 1e-12, "CH ours {ch}, scikit-learn {CH}");
        let db = davies_bouldin(x.view(), &labels).unwrap();
        assert!((db - DB).abs() < 1e-12, "DB ours {db}, scikit-learn {DB}");
    }

    #[test]
    fn relabelling_changes_nothing() {
        let x = fixtures::matrix("X_clusters");
        let a = fixtures::labels("labels_a");
        let renamed: Vec<usize> = a.iter().map(|&l| 100 - 3 * l).collect();
        assert_eq!(calinski_harabasz(x.view(), &a).unwrap(), calinski_harabasz(x.view(), &renamed).unwrap());
        assert!((davies_bouldin(x.view(), &a).unwrap() - davies_bouldin(x.view(), &renamed).unwrap()).abs() < 1e-12);
    }

    #[test]
    fn degenerate_clusters_follow_scikit_learn() {
        // Zero within-cluster spread: CH = 1, DB = 0.
        let x = array![[0.0], [0.0], [5.0], [5.0]];
        assert_eq!(calinski_harabasz(x.view(), &[0, 0, 1, 1]).unwrap(), 1.0);
        assert_eq!(davies_bouldin(x.view(), &[0, 0, 1, 1]).unwrap(), 0.0);
    }

    #[test]
    fn one_cluster_is_a_data_error() {
        let x = array![[0.0], [1.0], [2.0]];
        for e in [calinski_harabasz(x.view(), &[4, 4, 4]).unwrap_err(), davies_bouldin(x.view(), &[4, 4, 4]).unwrap_err()] {
            assert!(matches!(e, Error::Data(_)), "{e}");
            assert!(e.to_string().contains("got 1"), "{e}");
        }
    }

    #[test]
    fn one_cluster_per_point_is_a_data_error() {
        let x = array![[0.0], [1.0], [2.0]];
        let e = davies_bouldin(x.view(), &[0, 1, 2]).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn label_length_mismatch_is_a_data_error() {
        let x = array![[0.0], [1.0], [2.0]];
        let e = calinski_harabasz(x.view(), &[0, 1]).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn non_finite_is_a_data_error() {
        let x = array![[0.0], [f64::NAN], [2.0]];
        let e = davies_bouldin(x.view(), &[0, 1, 1]).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }
}
