//! k-means with k chosen by the elbow of the inertia curve, as in the
//! stacked-autoencoder mapping paper (k-means over k = 2..20, pick the elbow).
//!
//! The elbow is found as scikit-learn users usually do it by eye, made exact
//! (the "kneedle" rule of Satopää et al., ICDCS workshops 2011): scale k and
//! the inertia to [0, 1] and take the k farthest below the straight line from
//! the first to the last point of the curve. k-means is linfa-clustering's
//! (k-means++, `n_init` restarts, seeded).
//!
//! Cost: `Σ_k n_init · iterations · n · k · d`.
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = blobs(300, 4, 2, 0.3, 1).unwrap();
//! let fit = KMeansElbow::params().k_range(2, 8).seed(0).fit_records(ds.records().view()).unwrap();
//! assert_eq!(fit.k(), 4);
//! assert_eq!(fit.labels().len(), 300);
//! ```

use ndarray::{Array2, ArrayView2};

use super::common::{check_records, cluster_figure, kmeans};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params};
use crate::persist::impl_persist;
use crate::plot::{grid, lines, Figure, Series};
use crate::render::impl_render;

params! {
    /// Checked k-means-elbow parameters; see [`KMeansElbow::params`].
    KMeansElbow("KMeansElbow") => KMeansElbowParams, KMeansElbowValidParams {
        /// The smallest candidate k (≥ 1); see [`k_range`](KMeansElbowParams::k_range).
        k_min: usize = 2,
        /// The largest candidate k (≥ k_min + 2: an elbow needs three points;
        /// at most n_samples at fit).
        k_max: usize = 20,
        /// k-means restarts per k (best inertia kept).
        n_init: usize = 4 => 1..,
        seed: u64 = 0,
    }
    check(p) {
        if p.k_min < 1 || p.k_max < p.k_min + 2 {
            return Err(Error::param(
                "k_range",
                format!("of KMeansElbow needs 1 ≤ k_min and k_max ≥ k_min + 2 (an elbow needs three points); got {}..={}", p.k_min, p.k_max),
            ));
        }
    }
}

impl KMeansElbowParams {
    /// The candidate k from `k_min` to `k_max` (both set at once; errors name `k_range`).
    pub fn k_range(self, k_min: usize, k_max: usize) -> Self {
        self.k_min(k_min).k_max(k_max)
    }
}

impl KMeansElbowValidParams {
    /// Runs k-means for every k in the range on the rows of `x` and keeps the elbow's clustering.
    fn fit_impl(&self, x: ArrayView2<f64>) -> Result<KMeansElbow> {
        check_records("KMeansElbow", x)?;
        let n = x.nrows();
        if self.k_max > n {
            return Err(Error::param("k_range", format!("of KMeansElbow must end at most at n_samples = {n}; got k_max = {}", self.k_max)));
        }
        let runs =
            (self.k_min..=self.k_max).map(|k| kmeans(x, k, self.n_init, self.seed.wrapping_add(k as u64))).collect::<Result<Vec<_>>>()?;
        let ks: Vec<usize> = (self.k_min..=self.k_max).collect();
        let inertias: Vec<f64> = runs.iter().map(|r| r.2).collect();
        let at = elbow(&inertias);
        let (labels, centroids, _) = runs.into_iter().nth(at).expect("elbow index is in range");
        Ok(KMeansElbow { params: self.clone(), ks, inertias, chosen: at, labels, centroids, points: x.to_owned() })
    }
}

impl_fit!(KMeansElbowParams, KMeansElbowValidParams => KMeansElbow);

/// The index of the elbow: the point farthest below the chord of the
/// normalised curve (the first index when the curve is a straight line).
fn elbow(inertias: &[f64]) -> usize {
    let n = inertias.len();
    let (first, last) = (inertias[0], inertias[n - 1]);
    let span = if first > last { first - last } else { 1.0 };
    (0..n)
        .map(|i| {
            let x = i as f64 / (n - 1) as f64;
            let y = (inertias[i] - last) / span;
            (i, (1.0 - x) - y) // chord from (0, 1) to (1, 0)
        })
        .fold((0, f64::NEG_INFINITY), |best, (i, gap)| if gap > best.1 { (i, gap) } else { best })
        .0
}

/// k-means at the elbow k, with the whole inertia curve.
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KMeansElbow {
    params: KMeansElbowValidParams,
    ks: Vec<usize>,
    inertias: Vec<f64>,
    chosen: usize,
    labels: Vec<usize>,
    centroids: Array2<f64>,
    points: Array2<f64>,
}

impl KMeansElbow {
    /// The chosen k.
    pub fn k(&self) -> usize {
        self.ks[self.chosen]
    }

    /// Cluster of each row at the chosen k.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &KMeansElbowValidParams {
        &self.params
    }

    /// Centroids at the chosen k.
    pub fn centroids(&self) -> &Array2<f64> {
        &self.centroids
    }

    /// The candidate k's and their inertias.
    pub fn curve(&self) -> (&[usize], &[f64]) {
        (&self.ks, &self.inertias)
    }

    /// The inertia curve with the elbow marked, next to the clustering.
    pub fn figure(&self) -> Result<Figure> {
        let ks: Vec<f64> = self.ks.iter().map(|&k| k as f64).collect();
        let curve = lines(&[
            Series::new("inertia", ks, self.inertias.clone()),
            Series::new(&format!("elbow k = {}", self.k()), vec![self.k() as f64], vec![self.inertias[self.chosen]]),
        ])?
        .axis_labels(&["k", "inertia"]);
        let clusters = cluster_figure(self.points.view(), &self.labels, "clusters", ["1", "2"])?;
        Ok(grid(2, vec![curve, clusters])?.title(&format!("k-means, elbow at k = {}", self.k())))
    }
}

impl_render!(KMeansElbow, "k-means elbow", params: params, shapes: [ks, labels, centroids]);

impl_persist!(KMeansElbow, "k-means elbow");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elbow_of_a_sharp_knee() {
        assert_eq!(elbow(&[100.0, 40.0, 10.0, 9.0, 8.5, 8.0]), 2);
        assert_eq!(elbow(&[3.0, 2.0, 1.0]), 0); // a straight line has no elbow: the first point
    }

    #[test]
    fn bad_ranges_are_errors() {
        let x = Array2::from_shape_fn((10, 2), |(i, j)| (i * 2 + j) as f64);
        assert!(matches!(KMeansElbow::params().k_range(2, 3).fit_records(x.view()), Err(Error::Param { name: "k_range", .. })));
        assert!(matches!(KMeansElbow::params().k_range(2, 11).fit_records(x.view()), Err(Error::Param { name: "k_range", .. })));
        assert!(matches!(KMeansElbow::params().n_init(0).k_range(2, 5).fit_records(x.view()), Err(Error::Param { name: "n_init", .. })));
    }
}
