//! Synthetic sentence-embedding-like vectors: clusters on the unit sphere with
//! a decaying spectrum, for storage/retrieval studies.
//!
//! Real text embeddings are unit vectors with a shared mean direction,
//! topical clusters and most of their variance in a minority of directions
//! (which is why PCA to half the dimensions costs little). The generator draws
//! cluster centres and within-cluster noise with per-axis scales
//! `(1 + j)^(−1)`, `j = 0..dim`, adds a shared offset, turns the result by a
//! random rotation (so no coordinate axis is special), optionally adds
//! independent heavy-tailed (Student-t) noise to every coordinate — the
//! occasional outlying coordinate of real transformer embeddings, which widens
//! a per-dimension min/max quantiser's range — and L2-normalises every row.
//!
//! Cost: `O(dim³ + n·dim²)` time (the rotation), `O(n·dim)` memory.

use linfa::Dataset;
use ndarray::{Array1, Array2, Axis, Ix1};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal, StudentT};

use super::{check_at_least, seeded_rng, standard_normal, SeededRng};
use crate::error::{Error, Result};

/// `n_samples` unit vectors in `dim` dimensions around `n_clusters` topics;
/// the target is the cluster. `tail_df` > 0 is the degrees of freedom of the
/// per-coordinate Student-t noise (scale 0.02; small `tail_df` such as 2
/// gives heavy tails), `f64::INFINITY` for none. `n_samples`, `dim`,
/// `n_clusters` ≥ 1.
///
/// ```
/// use lowdim::prelude::*;
/// let e = clustered_embeddings(100, 16, 4, f64::INFINITY, 7)?;
/// assert_eq!(e.records().dim(), (100, 16));
/// let norm: f64 = e.records().row(0).iter().map(|v| v * v).sum();
/// assert!((norm - 1.0).abs() < 1e-12);
/// # Ok::<(), lowdim::Error>(())
/// ```
pub fn clustered_embeddings(n_samples: usize, dim: usize, n_clusters: usize, tail_df: f64, seed: u64) -> Result<Dataset<f64, usize, Ix1>> {
    const WHO: &str = "clustered_embeddings";
    check_at_least(WHO, "n_samples", n_samples, 1)?;
    check_at_least(WHO, "dim", dim, 1)?;
    check_at_least(WHO, "n_clusters", n_clusters, 1)?;
    if tail_df.is_nan() || tail_df <= 0.0 {
        return Err(Error::param("tail_df", format!("of {WHO} must be > 0 (f64::INFINITY for no heavy-tailed noise); got {tail_df}")));
    }
    let mut rng = seeded_rng(seed);
    let scale = Array1::from_shape_fn(dim, |j| 1.0 / (1 + j) as f64);
    let centres = standard_normal(&mut rng, n_clusters, dim) * &scale;
    let offset = standard_normal(&mut rng, 1, dim).row(0).to_owned() * &scale * 0.7;
    let labels: Vec<usize> = (0..n_samples).map(|_| rng.gen_range(0..n_clusters)).collect();
    let noise = standard_normal(&mut rng, n_samples, dim) * &scale * 0.6;
    let rotation = random_rotation(&mut rng, dim);
    let mut x = Array2::zeros((n_samples, dim));
    for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
        row.assign(&(&centres.row(labels[i]) + &noise.row(i) + &offset));
    }
    let mut x = x.dot(&rotation);
    if tail_df.is_finite() {
        let t = StudentT::new(tail_df).map_err(|e| Error::param("tail_df", e.to_string()))?;
        x.mapv_inplace(|v| v + 0.02 * t.sample(&mut rng));
    }
    for mut row in x.outer_iter_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    Ok(Dataset::new(x, Array1::from(labels)))
}

/// A uniformly random orthogonal matrix: Gram–Schmidt on a Gaussian matrix.
fn random_rotation(rng: &mut SeededRng, dim: usize) -> Array2<f64> {
    let mut q: Array2<f64> = Array2::from_shape_simple_fn((dim, dim), || rng.sample(StandardNormal));
    for j in 0..dim {
        for _pass in 0..2 {
            for k in 0..j {
                let proj = q.column(j).dot(&q.column(k));
                let qk = q.column(k).to_owned();
                q.column_mut(j).scaled_add(-proj, &qk);
            }
        }
        let norm = q.column(j).dot(&q.column(j)).sqrt();
        q.column_mut(j).mapv_inplace(|v| v / norm);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unit_and_seeded() {
        let a = clustered_embeddings(50, 12, 3, 2.0, 1).unwrap();
        let b = clustered_embeddings(50, 12, 3, 2.0, 1).unwrap();
        assert_eq!(a.records(), b.records());
        assert!(a.records().outer_iter().all(|r| (r.dot(&r) - 1.0).abs() < 1e-12));
        assert!(a.targets().iter().all(|&t| t < 3));
    }

    #[test]
    fn rotation_is_orthogonal() {
        let q = random_rotation(&mut seeded_rng(2), 20);
        let err = (q.t().dot(&q) - Array2::<f64>::eye(20)).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(err < 1e-12, "{err}");
    }

    #[test]
    fn bad_parameters() {
        let inf = f64::INFINITY;
        assert_param_err!(clustered_embeddings(0, 4, 2, inf, 0), "n_samples");
        assert_param_err!(clustered_embeddings(4, 0, 2, inf, 0), "dim");
        assert_param_err!(clustered_embeddings(4, 4, 0, inf, 0), "n_clusters");
        assert_param_err!(clustered_embeddings(4, 4, 2, 0.0, 0), "tail_df");
        assert_param_err!(clustered_embeddings(4, 4, 2, f64::NAN, 0), "tail_df");
    }
}
