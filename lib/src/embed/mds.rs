//! Classical multidimensional scaling (Torgerson scaling, principal coordinates).
//!
//! Squares the pairwise distances, double-centres them into the Gram matrix
//! `B = −½·H·D²·H` (`H = I − 11ᵀ/n`), and embeds with the top eigenvectors of
//! `B` scaled by the square roots of their eigenvalues. For Euclidean distances
//! this reproduces PCA scores exactly; for other dissimilarities `B` may have
//! negative eigenvalues, and a component whose eigenvalue is not positive is
//! set to zero (scikit-learn's `ClassicalMDS` would return NaN there). This is
//! scikit-learn 1.9's `ClassicalMDS` (signs by `svd_flip`: each column's
//! largest entry positive), from data (`metric`) or from a precomputed
//! distance matrix.
//!
//! Paper: W. S. Torgerson, "Multidimensional scaling: I. Theory and method",
//! Psychometrika 17(4), 1952; J. C. Gower, "Some distance properties of latent
//! root and vector methods used in multivariate analysis", Biometrika 53, 1966.
//!
//! Cost: distances `O(n²·d)`, centring `O(n²)`, eigenpairs by Lanczos `O(n²)`
//! per step (dense Jacobi `O(n³)` up to 200 points); memory `O(n²)` (the
//! distance matrix is kept, as `dissimilarity_matrix_`).
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(300, 0.05, 7)?;
//! let mds = ClassicalMds::params().fit(&ds)?;
//! assert_eq!(mds.embedding().dim(), (300, 2));
//! // From distances: the same embedding.
//! let d = mds.dissimilarity_matrix().clone();
//! let again = ClassicalMds::params().precomputed(true).fit_records(d.view())?;
//! assert!((again.embedding() - mds.embedding()).iter().all(|v| v.abs() < 1e-8));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::shared::{check_components, check_records, embedding_figure, flip_signs, pairwise_distances, KernelCentring};
use crate::error::{Error, Result};
use crate::estimator::{impl_fit, params, TargetValues};
use crate::linalg::dense_top_eigenpairs;
use crate::neighbors::Metric;
use crate::persist::impl_persist;
use crate::plot::Figure;
use crate::render::impl_render;

/// Largest allowed asymmetry `|D − Dᵀ|` of a precomputed matrix (scikit-learn's `check_symmetric`).
const SYMMETRY_TOL: f64 = 1e-10;

/// A fitted classical MDS: the embedding, the eigenvalues, and the distances it came from.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassicalMds {
    params: ClassicalMdsValidParams,
    embedding: Array2<f64>,
    eigenvalues: Vec<f64>,
    dissimilarity: Array2<f64>,
    coloring: TargetValues,
}

impl ClassicalMds {
    /// The embedding (`n_samples × n_components`), scikit-learn's `embedding_`.
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// The top eigenvalues of the double-centred squared distances, descending
    /// (`eigenvalues_`); a non-positive one means its component is zero.
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// The `n × n` distances embedded (`dissimilarity_matrix_`).
    pub fn dissimilarity_matrix(&self) -> &Array2<f64> {
        &self.dissimilarity
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &ClassicalMdsValidParams {
        &self.params
    }

    /// A scatter of the embedding, coloured by the training targets.
    pub fn figure(&self) -> Result<Figure> {
        let title = format!("Classical MDS of {} points", self.embedding.nrows());
        embedding_figure(&self.embedding, &self.coloring, &title, "MDS")
    }
}

impl_render!(ClassicalMds, "Classical MDS", params: params, shapes: [embedding, dissimilarity]);

params! {
    /// Checked classical-MDS parameters, scikit-learn's defaults; see
    /// [`ClassicalMds::params`].
    ClassicalMds("ClassicalMds") => ClassicalMdsParams, ClassicalMdsValidParams {
        /// The output dimension; also below n_samples at fit.
        n_components: usize = 2 => 1..,
        /// The distance between rows (unused when `precomputed`).
        metric: Metric = Metric::Euclidean,
        /// When true the records are a symmetric `n × n` matrix of
        /// non-negative distances (scikit-learn's `metric="precomputed"`).
        precomputed: bool = false,
        /// The Lanczos start vector above 200 points (results agree to solver
        /// precision whatever the seed, and are bit-identical for one seed).
        seed: u64 = 0,
    }
}

impl ClassicalMdsValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>, coloring: TargetValues) -> Result<ClassicalMds> {
        const WHO: &str = "ClassicalMds";
        check_records(WHO, x, 2, &coloring)?;
        let dissimilarity = if self.precomputed {
            check_distance_matrix(WHO, x)?;
            x.to_owned()
        } else {
            pairwise_distances(x, self.metric, WHO)?
        };
        check_components(WHO, self.n_components, dissimilarity.nrows())?;
        let (eigenvalues, embedding) = torgerson(&dissimilarity, self.n_components, self.seed)?;
        Ok(ClassicalMds { params: self.clone(), embedding, eigenvalues, dissimilarity, coloring })
    }
}

impl_fit!(ClassicalMdsParams, ClassicalMdsValidParams => ClassicalMds, targets);
impl_persist!(ClassicalMds, "classical MDS model");

/// Fails unless `d` is square, symmetric (to [`SYMMETRY_TOL`]) and non-negative.
pub(crate) fn check_distance_matrix(who: &str, d: ArrayView2<f64>) -> Result<()> {
    let (n, m) = d.dim();
    if n != m {
        return Err(Error::data(format!("a precomputed distance matrix of {who} must be square; got {n} × {m}")));
    }
    for i in 0..n {
        for j in 0..i {
            if (d[[i, j]] - d[[j, i]]).abs() > SYMMETRY_TOL {
                return Err(Error::data(format!(
                    "the precomputed distance matrix of {who} is not symmetric: entry ({i}, {j}) is {} but ({j}, {i}) is {}",
                    d[[i, j]],
                    d[[j, i]]
                )));
            }
        }
    }
    if let Some(((i, j), v)) = d.indexed_iter().find(|(_, v)| **v < 0.0) {
        return Err(Error::data(format!("the precomputed distance matrix of {who} holds a negative distance {v} at ({i}, {j})")));
    }
    Ok(())
}

/// Torgerson scaling of distances `d`: eigenvalues (descending) and the
/// embedding `U·√λ` (columns with `λ ≤ 0` zero).
fn torgerson(d: &Array2<f64>, n_components: usize, seed: u64) -> Result<(Vec<f64>, Array2<f64>)> {
    let mut b = d.mapv(|v| -0.5 * v * v);
    KernelCentring::fit_centre(&mut b);
    let (values, mut vectors) = dense_top_eigenpairs(&b, n_components, seed);
    if values.iter().chain(vectors.iter()).any(|v| !v.is_finite()) {
        return Err(Error::data("the eigensolver of ClassicalMds did not converge to finite values"));
    }
    flip_signs(&mut vectors);
    for (mut col, &v) in vectors.columns_mut().into_iter().zip(&values) {
        col *= v.max(0.0).sqrt();
    }
    Ok((values, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;
    use ndarray::array;

    #[test]
    fn recovers_points_up_to_rigid_motion() {
        // Distances are preserved exactly when the points are 2-D.
        let x = array![[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [1.0, 1.0], [2.0, 5.0]];
        let mds = ClassicalMds::params().fit_records(x.view()).unwrap();
        let e = mds.embedding();
        for i in 0..5 {
            for j in 0..5 {
                let dx = ((x[[i, 0]] - x[[j, 0]]).powi(2) + (x[[i, 1]] - x[[j, 1]]).powi(2)).sqrt();
                let de = ((e[[i, 0]] - e[[j, 0]]).powi(2) + (e[[i, 1]] - e[[j, 1]]).powi(2)).sqrt();
                assert!((dx - de).abs() < 1e-9, "{dx} vs {de}");
            }
        }
        assert!(mds.eigenvalues()[0] >= mds.eigenvalues()[1]);
    }

    #[test]
    fn bad_parameters_and_data() {
        assert!(matches!(ClassicalMds::params().n_components(0).check(), Err(Error::Param { name: "n_components", .. })));
        let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]];
        assert!(matches!(ClassicalMds::params().n_components(3).fit_records(x.view()), Err(Error::Param { name: "n_components", .. })));
        let nan = array![[0.0, f64::NAN], [1.0, 0.0], [2.0, 2.0]];
        assert!(matches!(ClassicalMds::params().n_components(1).fit_records(nan.view()), Err(Error::Data(_))));
        let asym = array![[0.0, 1.0, 2.0], [1.5, 0.0, 1.0], [2.0, 1.0, 0.0]];
        assert!(matches!(ClassicalMds::params().n_components(1).precomputed(true).fit_records(asym.view()), Err(Error::Data(_))));
        let neg = array![[0.0, -1.0], [-1.0, 0.0]];
        assert!(matches!(ClassicalMds::params().n_components(1).precomputed(true).fit_records(neg.view()), Err(Error::Data(_))));
        assert!(matches!(ClassicalMds::params().n_components(1).precomputed(true).fit_records(x.view()), Err(Error::Data(_))));
    }
}
