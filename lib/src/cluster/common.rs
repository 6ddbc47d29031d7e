//! What the clustering estimators share: input checks, a seeded k-means on
//! linfa-clustering, and the notebook figure of a labelling.

use linfa::traits::{Fit, Predict};
use linfa::DatasetBase;
use linfa_clustering::{KMeans, KMeansInit};
use ndarray::{s, Array1, Array2, ArrayView2};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

use crate::error::{check_finite, Error, Result};
use crate::plot::{scatter, Color, Figure};

/// Fails unless `x` has at least one row and one column and only finite entries.
pub(crate) fn check_records(who: &str, x: ArrayView2<f64>) -> Result<()> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(Error::data(format!("{who} needs a non-empty n_samples × n_features matrix; got {n} × {d}")));
    }
    check_finite(&format!("X of {who}"), &x)
}

/// Fails unless `1 ≤ n_clusters ≤ n_samples`.
pub(crate) fn check_n_clusters(who: &str, k: usize, n: usize) -> Result<()> {
    if k == 0 || k > n {
        return Err(Error::param("n_clusters", format!("of {who} must be in [1, n_samples = {n}]; got {k}")));
    }
    Ok(())
}

/// Fails unless new points have the training dimension.
pub(crate) fn check_dim(who: &str, x: ArrayView2<f64>, dim: usize) -> Result<()> {
    if x.ncols() != dim {
        return Err(Error::data(format!("{who} was fitted on {dim} features; got points with {}", x.ncols())));
    }
    check_finite(&format!("points given to {who}"), &x)
}

/// k-means (linfa-clustering, k-means++ starts, `n_init` runs kept by lowest
/// inertia) seeded by `seed`: labels, centroids and the inertia (sum of squared
/// distances to the nearest centroid). linfa's assignment step runs in parallel
/// row by row and its sums in a fixed order, so the result does not depend on the
/// thread count.
pub(crate) fn kmeans(x: ArrayView2<f64>, k: usize, n_init: usize, seed: u64) -> Result<(Vec<usize>, Array2<f64>, f64)> {
    let data = DatasetBase::from(x.to_owned());
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(n_init)
        .init_method(KMeansInit::KMeansPlusPlus)
        .max_n_iterations(300)
        .tolerance(1e-8)
        .fit(&data)
        .map_err(|e| Error::data(format!("k-means failed: {e}")))?;
    // linfa keeps the best run's centroids; the labels come from them.
    let labels: Array1<usize> = model.predict(&data.records);
    let centroids = model.centroids().clone();
    let inertia = x
        .outer_iter()
        .zip(labels.iter())
        .map(|(row, &l)| row.iter().zip(centroids.row(l)).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
        .sum();
    Ok((labels.to_vec(), centroids, inertia))
}

/// The first two columns of `x` (a second column of zeros for 1-D data): what a
/// fitted clustering keeps to draw itself.
pub(crate) fn first_two(x: ArrayView2<f64>) -> Array2<f64> {
    if x.ncols() >= 2 {
        x.slice(s![.., ..2]).to_owned()
    } else {
        Array2::from_shape_fn((x.nrows(), 2), |(i, j)| if j == 0 { x[[i, 0]] } else { 0.0 })
    }
}

/// A scatter of `points` (first two columns) coloured by cluster.
pub(crate) fn cluster_figure(points: ArrayView2<f64>, labels: &[usize], title: &str, axes: [&str; 2]) -> Result<Figure> {
    if points.nrows() != labels.len() {
        return Err(Error::param(
            "points",
            format!("of the cluster figure must have one row per clustered point ({}); got {}", labels.len(), points.nrows()),
        ));
    }
    if points.ncols() == 0 {
        return Err(Error::param("points", "of the cluster figure must have at least one column; got 0"));
    }
    let xy = first_two(points);
    Ok(scatter(xy.view(), Color::Labels(labels))?.title(title).axis_labels(&axes))
}

/// Number of points in each of `k` clusters.
pub(crate) fn cluster_sizes(labels: &[usize], k: usize) -> Vec<usize> {
    let mut sizes = vec![0; k];
    for &l in labels {
        if l < k {
            sizes[l] += 1;
        }
    }
    sizes
}

/// The figures of a fitted clustering with `labels()`, a `display_points()`
/// (n × 2) and a `title()`: `figure()` and `figure_on(points)` (any embedding
/// of the same points, e.g. a UMAP). The cell output and the description come
/// from `impl_render!`.
macro_rules! impl_cluster_display {
    ($ty:ident, $axes:expr) => {
        impl $ty {
            /// A scatter of the points coloured by cluster (see `display_points`).
            pub fn figure(&self) -> $crate::error::Result<$crate::plot::Figure> {
                $crate::cluster::common::cluster_figure(self.display_points(), self.labels(), &self.title(), $axes)
            }

            /// A scatter of `points` (one row per clustered point; the first two
            /// columns are drawn) coloured by cluster: colour an embedding.
            pub fn figure_on(&self, points: ndarray::ArrayView2<f64>) -> $crate::error::Result<$crate::plot::Figure> {
                $crate::cluster::common::cluster_figure(points, self.labels(), &self.title(), ["1", "2"])
            }
        }
    };
}
pub(crate) use impl_cluster_display;

#[cfg(test)]
mod tests {
    use linfa::ParamGuard;

    use crate::cluster::*;
    use crate::error::Error;
    use crate::metrics::SlicedWassersteinValidParams;
    use crate::sample::{DsirValidParams, LpSamplingValidParams, VolumeSamplingValidParams};

    fn each_names_its_field<P: ParamGuard<Error = Error>>(cases: Vec<(&'static str, P)>) {
        assert!(!cases.is_empty());
        for (field, p) in cases {
            match p.check().err() {
                Some(Error::Param { name, .. }) => assert_eq!(name, field),
                other => panic!("breaking `{field}` gave {other:?}"),
            }
        }
    }

    /// A rule broken alone is reported under its field, also while a
    /// parameter without a default is still unset (those are checked last).
    #[test]
    fn rule_violations_name_their_field() {
        each_names_its_field(KSubspacesValidParams::rule_violations());
        each_names_its_field(SpectralClusteringValidParams::rule_violations());
        each_names_its_field(EnscValidParams::rule_violations());
        each_names_its_field(KMeansElbowValidParams::rule_violations());
        each_names_its_field(LofkmValidParams::rule_violations());
        each_names_its_field(PppValidParams::rule_violations());
        each_names_its_field(DsirValidParams::rule_violations());
        each_names_its_field(VolumeSamplingValidParams::rule_violations());
        each_names_its_field(LpSamplingValidParams::rule_violations());
        each_names_its_field(SlicedWassersteinValidParams::rule_violations());
    }
}
