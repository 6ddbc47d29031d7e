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

use linfa::DatasetBase;
use ndarray::{Array2, ArrayView2};

use super::common::{check_records, cluster_figure, kmeans};
use crate::error::{Error, Result};
use crate::plot::{grid, lines, Figure, Series};

/// Settings; start from [`KMeansElbow::params`].
#[derive(Clone, Debug, PartialEq)]
pub struct KMeansElbowParams {
    k_min: usize,
    k_max: usize,
    n_init: usize,
    seed: u64,
}

impl KMeansElbowParams {
    /// `k_range`: the candidate k from `k_min` ≥ 1 to `k_max` ≥ k_min + 2; default 2..=20.
    pub fn k_range(mut self, k_min: usize, k_max: usize) -> Self {
        self.k_min = k_min;
        self.k_max = k_max;
        self
    }
    /// `n_init`: k-means restarts per k (best inertia kept), ≥ 1; default 4.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }
    /// `seed`: default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn check(&self, n: usize) -> Result<()> {
        if self.k_min < 1 || self.k_max < self.k_min + 2 {
            return Err(Error::param(
                "k_range",
                format!("of KMeansElbow needs 1 ≤ k_min and k_max ≥ k_min + 2 (an elbow needs three points); got {}..={}", self.k_min, self.k_max),
            ));
        }
        if self.k_max > n {
            return Err(Error::param("k_range", format!("of KMeansElbow must end at most at n_samples = {n}; got k_max = {}", self.k_max)));
        }
        if self.n_init == 0 {
            return Err(Error::param("n_init", "of KMeansElbow must be ≥ 1; got 0"));
        }
        Ok(())
    }

    /// Runs k-means for every k in the range on the rows of `x` and keeps the elbow's clustering.
    pub fn fit_records(&self, x: ArrayView2<f64>) -> Result<KMeansElbow> {
        check_records("KMeansElbow", x)?;
        self.check(x.nrows())?;
        let runs = (self.k_min..=self.k_max)
            .map(|k| kmeans(x, k, self.n_init, self.seed.wrapping_add(k as u64)))
            .collect::<Result<Vec<_>>>()?;
        let ks: Vec<usize> = (self.k_min..=self.k_max).collect();
        let inertias: Vec<f64> = runs.iter().map(|r| r.2).collect();
        let at = elbow(&inertias);
        let (labels, centroids, _) = runs.into_iter().nth(at).expect("elbow index is in range");
        Ok(KMeansElbow { ks, inertias, chosen: at, labels, centroids, points: x.to_owned() })
    }

    /// The same on a dataset's records.
    pub fn fit<T>(&self, ds: &DatasetBase<Array2<f64>, T>) -> Result<KMeansElbow> {
        self.fit_records(ds.records.view())
    }
}

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
#[derive(Clone, Debug)]
pub struct KMeansElbow {
    ks: Vec<usize>,
    inertias: Vec<f64>,
    chosen: usize,
    labels: Vec<usize>,
    centroids: Array2<f64>,
    points: Array2<f64>,
}

impl KMeansElbow {
    /// Defaults: k from 2 to 20, 4 restarts per k, seed 0.
    pub fn params() -> KMeansElbowParams {
        KMeansElbowParams { k_min: 2, k_max: 20, n_init: 4, seed: 0 }
    }

    /// The chosen k.
    pub fn k(&self) -> usize {
        self.ks[self.chosen]
    }

    /// Cluster of each row at the chosen k.
    pub fn labels(&self) -> &[usize] {
        &self.labels
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

    /// Renders in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(f) => f.evcxr_display(),
            Err(e) => println!("{e}"),
        }
    }
}

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
