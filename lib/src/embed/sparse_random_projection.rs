//! Very sparse random projection (Li, Hastie & Church), as scikit-learn's
//! `SparseRandomProjection`, and the Johnson–Lindenstrauss bound that sizes it.
//!
//! Each of the `k` output coordinates is `Σⱼ rⱼ·xⱼ` with `rⱼ = ±√(1/(s·k))` with
//! probability `s/2` each and 0 otherwise; the default density `s = 1/√d` keeps
//! about `√d` features per coordinate, so projecting costs `O(n·k·√d)` instead
//! of `O(n·k·d)`, while pairwise distances are kept up to `1 ± ε` with high
//! probability when `k ≥ 4·ln n / (ε²/2 − ε³/3)`
//! ([`johnson_lindenstrauss_min_dim`]; `n_components` "auto" uses it with ε = 0.1).
//!
//! Why not linfa-reduction's `SparseRandomProjection`: its entries are
//! `±√d` without the `1/√(s·k)` normalisation (projected distances come out
//! inflated by `√k·d^(1/4)`), its density is fixed, its Johnson–Lindenstrauss
//! function is private, and an empty input panics in its Bernoulli draw.
//!
//! Papers: P. Li, T. J. Hastie & K. W. Church, "Very sparse random projections",
//! KDD 2006; D. Achlioptas, "Database-friendly random projections", JCSS 66, 2003.
//!
//! Cost: building `O(k·d·s)` time and memory; projecting `O(n·k·d·s)`. Every
//! output coordinate's row has its own random stream from the seed, so the
//! matrix is the same at any thread count.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = Array2::from_shape_fn((100, 10_000), |(i, j)| ((i * 31 + j * 17) % 101) as f64);
//! assert_eq!(johnson_lindenstrauss_min_dim(100, 0.5)?, 221);
//! let rp = SparseRandomProjection::params().n_components(500).seed(1).fit_records(x.view())?;
//! assert_eq!(rp.transform(x.view())?.dim(), (100, 500));
//! assert!((rp.density() - 0.01).abs() < 1e-12);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use rand_distr::{Binomial, Distribution};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};
use crate::estimator::{impl_fit, params};
use crate::persist::impl_persist;
use crate::plot::{lines, Figure, Series};
use crate::render::impl_render;
use crate::rng::{derive, xoshiro};

/// Random stream of the projection rows.
const STREAM_ROWS: u64 = crate::rng::stream::SPARSE_PROJECTION_ROWS;

/// The smallest `k` for which a random projection to `k` dimensions keeps all
/// pairwise distances of `n_samples` points within `1 ± eps` with good
/// probability: `⌊4·ln n / (ε²/2 − ε³/3)⌋` (Dasgupta & Gupta), as scikit-learn.
pub fn johnson_lindenstrauss_min_dim(n_samples: usize, eps: f64) -> Result<usize> {
    if !(eps > 0.0 && eps < 1.0) {
        return Err(Error::param("eps", format!("of johnson_lindenstrauss_min_dim must be in (0, 1); got {eps}")));
    }
    if n_samples == 0 {
        return Err(Error::param("n_samples", "of johnson_lindenstrauss_min_dim must be ≥ 1; got 0"));
    }
    Ok((4.0 * (n_samples as f64).ln() / (eps * eps / 2.0 - eps.powi(3) / 3.0)) as usize)
}

/// A fitted very sparse random projection; start from [`SparseRandomProjection::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseRandomProjection {
    params: SparseRandomProjectionValidParams,
    /// For each output coordinate: (feature, +1/−1) pairs.
    rows: Vec<Vec<(usize, f64)>>,
    scale: f64,
    density: f64,
    n_features: usize,
}

params! {
    /// Checked parameters of [`SparseRandomProjection`], scikit-learn's
    /// defaults; see [`SparseRandomProjection::params`].
    SparseRandomProjection("SparseRandomProjection") => SparseRandomProjectionParams, SparseRandomProjectionValidParams {
        /// The output dimension; may exceed n_features (scikit-learn warns,
        /// nothing is gained). Unset: [`johnson_lindenstrauss_min_dim`] of
        /// n_samples and `eps`.
        n_components: Option<usize> = None => 1..; from usize,
        /// The distortion that sizes the projection when `n_components` is unset.
        eps: f64 = 0.1 => open(0.0, 1.0),
        /// Share of non-zero entries; unset: `1/√n_features` (Li et al.'s
        /// "very sparse").
        density: Option<f64> = None => left_open(0.0, 1.0); from f64,
        /// The random matrix.
        seed: u64 = 0,
    }
}

impl SparseRandomProjection {
    /// Output dimension.
    pub fn n_components(&self) -> usize {
        self.rows.len()
    }

    /// Share of non-zero entries the matrix was drawn with.
    pub fn density(&self) -> f64 {
        self.density
    }

    /// Input dimension.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &SparseRandomProjectionValidParams {
        &self.params
    }

    /// The projection matrix, `n_components × n_features` (scikit-learn's `components_`), dense.
    pub fn components(&self) -> Array2<f64> {
        let mut m = Array2::zeros((self.rows.len(), self.n_features));
        for (i, row) in self.rows.iter().enumerate() {
            for &(j, s) in row {
                m[[i, j]] = s * self.scale;
            }
        }
        m
    }

    /// Projects the rows of `x`: `x·componentsᵀ`.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.n_features {
            return Err(Error::data(format!(
                "SparseRandomProjection was fitted on {} features; transform got {} columns",
                self.n_features,
                x.ncols()
            )));
        }
        check_finite("X of SparseRandomProjection::transform", &x)?;
        let k = self.rows.len();
        let out: Vec<f64> = (0..x.nrows())
            .into_par_iter()
            .flat_map_iter(|r| {
                let xr = x.row(r);
                self.rows.iter().map(move |row| self.scale * row.iter().map(|&(j, s)| s * xr[j]).sum::<f64>())
            })
            .collect();
        Ok(Array2::from_shape_vec((x.nrows(), k), out).expect("k values per row fill an n × k matrix"))
    }

    /// Non-zeros of each output coordinate's row, against the expected
    /// `n_features · density`.
    pub fn figure(&self) -> Result<Figure> {
        let nnz: Vec<f64> = self.rows.iter().map(|row| row.len() as f64).collect();
        let expected = self.n_features as f64 * self.density;
        let ends = vec![1.0, self.rows.len() as f64];
        Ok(lines(&[Series::indexed("non-zeros", nnz), Series::new("expected", ends, vec![expected; 2])])?
            .title(&format!("Sparse random projection {} → {} (density {:.3e})", self.n_features, self.rows.len(), self.density))
            .axis_labels(&["output coordinate", "non-zero entries"]))
    }

    /// Draws the matrix for `n_features` inputs and `k` outputs (used by FastRP
    /// too); its parameters record `k`, the density and the seed.
    pub(crate) fn draw(n_features: usize, k: usize, density: f64, seed: u64) -> Result<Self> {
        let binomial = Binomial::new(n_features as u64, density).map_err(|e| Error::param("density", format!("{e}; got {density}")))?;
        let rows = (0..k)
            .into_par_iter()
            .map(|i| {
                let mut rng = xoshiro(derive(seed, STREAM_ROWS, i as u64));
                let nnz = (binomial.sample(&mut rng) as usize).min(n_features);
                let mut picked = rand::seq::index::sample(&mut rng, n_features, nnz).into_vec();
                picked.sort_unstable();
                picked.into_iter().map(|j| (j, if rng.gen::<bool>() { 1.0 } else { -1.0 })).collect()
            })
            .collect();
        let params = SparseRandomProjectionValidParams { n_components: Some(k), density: Some(density), seed, ..Default::default() };
        Ok(SparseRandomProjection { params, rows, scale: (1.0 / (density * k as f64)).sqrt(), density, n_features })
    }

    /// The non-zero pattern of output coordinate `i`: (feature, sign·scale).
    pub(crate) fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.rows[i].iter().map(move |&(j, s)| (j, s * self.scale))
    }
}

impl_render!(SparseRandomProjection, "Sparse random projection", params: params, shapes: [rows]);

impl SparseRandomProjectionValidParams {
    /// Draws the matrix for the shape of `records` (the values are only checked).
    fn fit_impl(&self, records: ArrayView2<f64>) -> Result<SparseRandomProjection> {
        let (n, d) = records.dim();
        if n == 0 || d == 0 {
            return Err(Error::data(format!("SparseRandomProjection needs a non-empty n_samples × n_features matrix; got {n} × {d}")));
        }
        check_finite("X of SparseRandomProjection", &records)?;
        let k = match self.n_components {
            Some(k) => k,
            None => {
                let eps = self.eps;
                let k = johnson_lindenstrauss_min_dim(n, eps)?;
                if k == 0 || k > d {
                    return Err(Error::param(
                        "eps",
                        format!("{eps} with n_samples = {n} gives a target dimension of {k}, not in [1, n_features = {d}]; raise eps or set n_components"),
                    ));
                }
                k
            }
        };
        let density = self.density.unwrap_or(1.0 / (d as f64).sqrt());
        let projection = SparseRandomProjection::draw(d, k, density, self.seed)?;
        Ok(SparseRandomProjection { params: self.clone(), ..projection })
    }
}

impl_fit!(SparseRandomProjectionParams, SparseRandomProjectionValidParams => SparseRandomProjection);
impl_persist!(SparseRandomProjection, "sparse random projection");

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;

    #[test]
    fn jl_matches_scikit_learn() {
        // sklearn.random_projection.johnson_lindenstrauss_min_dim
        assert_eq!(johnson_lindenstrauss_min_dim(100, 0.1).unwrap(), 3947);
        assert_eq!(johnson_lindenstrauss_min_dim(10_000, 0.5).unwrap(), 442);
        assert_eq!(johnson_lindenstrauss_min_dim(1_000_000, 0.1).unwrap(), 11841);
        assert!(matches!(johnson_lindenstrauss_min_dim(10, 1.0), Err(Error::Param { name: "eps", .. })));
        assert!(matches!(johnson_lindenstrauss_min_dim(0, 0.1), Err(Error::Param { name: "n_samples", .. })));
    }

    #[test]
    fn entries_density_and_distances() {
        let d = 2500;
        let rp = SparseRandomProjection::params().n_components(400).seed(3).fit_records(Array2::zeros((2, d)).view()).unwrap();
        let c = rp.components();
        let nnz = c.iter().filter(|v| **v != 0.0).count() as f64;
        assert!((nnz / (400.0 * d as f64) - 0.02).abs() < 0.002, "{nnz}");
        let value = (1.0 / (0.02 * 400.0f64)).sqrt();
        assert!(c.iter().all(|v| *v == 0.0 || (v.abs() - value).abs() < 1e-12));
        // Squared norms are kept on average: E‖Rx‖² = ‖x‖².
        let x = Array2::from_shape_fn((50, d), |(i, j)| (((i + 1) * (j + 3)) % 13) as f64 - 6.0);
        let y = rp.transform(x.view()).unwrap();
        for i in 0..50 {
            let (a, b) = (x.row(i).dot(&x.row(i)), y.row(i).dot(&y.row(i)));
            assert!((b / a - 1.0).abs() < 0.3, "{}", b / a);
        }
    }

    #[test]
    fn same_matrix_at_any_thread_count() {
        let x = Array2::from_shape_fn((20, 900), |(i, j)| (i * j % 7) as f64);
        let run = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| SparseRandomProjection::params().n_components(50).seed(4).fit_records(x.view()).unwrap())
        };
        let (a, b) = (run(1), run(4));
        assert_eq!(a, b);
        assert_eq!(a.transform(x.view()).unwrap(), b.transform(x.view()).unwrap());
    }

    #[test]
    fn auto_size_and_bad_input() {
        let x = Array2::<f64>::zeros((100, 5000));
        assert_eq!(SparseRandomProjection::params().eps(0.5).fit_records(x.view()).unwrap().n_components(), 221);
        // eps 0.1 asks for 3947 dimensions, more than the 3000 there are.
        assert!(matches!(
            SparseRandomProjection::params().fit_records(Array2::zeros((100, 3000)).view()),
            Err(Error::Param { name: "eps", .. })
        ));
        assert!(matches!(SparseRandomProjection::params().eps(1.5).check(), Err(Error::Param { name: "eps", .. })));
        assert!(matches!(SparseRandomProjection::params().n_components(0).check(), Err(Error::Param { name: "n_components", .. })));
        assert!(matches!(SparseRandomProjection::params().density(0.0).check(), Err(Error::Param { name: "density", .. })));
        assert!(matches!(SparseRandomProjection::params().n_components(3).fit_records(Array2::zeros((0, 4)).view()), Err(Error::Data(_))));
        let rp = SparseRandomProjection::params().n_components(3).fit_records(Array2::zeros((2, 4)).view()).unwrap();
        assert!(matches!(rp.transform(Array2::zeros((2, 5)).view()), Err(Error::Data(_))));
        let mut bad = Array2::zeros((2, 4));
        bad[[1, 1]] = f64::NAN;
        assert!(matches!(rp.transform(bad.view()), Err(Error::Data(_))));
    }
}
