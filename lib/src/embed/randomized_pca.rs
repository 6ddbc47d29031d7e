//! Randomized PCA: the leading principal components of a large matrix from a
//! randomized range finder, as scikit-learn's `PCA(svd_solver="randomized")`.
//!
//! The centred data `A` (`n × d`) is multiplied by a Gaussian test matrix with
//! `l = n_components + n_oversamples` columns; `q` power iterations
//! `Y ← A·(Aᵀ·Y)`, each product re-normalised (LU with partial pivoting by
//! default, as scikit-learn) so that small singular directions do not vanish
//! in rounding, sharpen the captured range; an orthonormal basis `Q` of it gives
//! the small matrix `B = Qᵀ·A` (`l × d`), whose exact SVD yields the components.
//! `n_iter` "auto" is scikit-learn's: 7 when `n_components < 0.1·min(n, d)`,
//! else 4. When `n < d` the transpose is factored instead (fewer rows to keep).
//! Signs follow scikit-learn's `svd_flip(u_based_decision=False)`: the largest
//! entry (in absolute value) of every component is positive.
//!
//! For exact PCA on small or medium data use linfa's [`Pca`](linfa_reduction::Pca)
//! (in the prelude); this one is for `n` and `d` in the thousands and more,
//! where only a few components are wanted.
//!
//! Paper: N. Halko, P.-G. Martinsson & J. A. Tropp, "Finding structure with
//! randomness: probabilistic algorithms for constructing approximate matrix
//! decompositions", SIAM Review 53(2), 2011 (arXiv:0909.4061). The LU
//! normalisation is from scikit-learn's `randomized_range_finder`.
//!
//! Cost: `O(n·d·l·(2q + 2))` time for `q` power iterations, `O(n·d)` memory for
//! the centred copy plus `O((n + d)·l)`. The big products run in parallel over
//! fixed row blocks whose partial sums are added in block order, so the result
//! is bit-identical at any thread count.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = Array2::from_shape_fn((500, 40), |(i, j)| ((i * 7 + j * 13) % 17) as f64 + (i as f64 * 0.01).sin() * j as f64);
//! let pca = RandomizedPca::params().n_components(3).seed(1).fit_records(x.view())?;
//! assert_eq!(pca.components().dim(), (3, 40));
//! let y = pca.transform(x.view())?;
//! assert_eq!(y.dim(), (500, 3));
//! assert_eq!(pca.inverse_transform(y.view())?.dim(), (500, 40));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};
use crate::estimator::{impl_fit, params};
use crate::linalg::{par_dot, par_tdot, symmetric_eigen};
use crate::persist::impl_persist;
use crate::plot::{lines, Figure, Series};
use crate::render::impl_render;
use crate::rng::{derive, xoshiro};

/// Random stream of the Gaussian test matrix.
const STREAM_TEST_MATRIX: u64 = crate::rng::stream::RANDOMIZED_PCA_TEST_MATRIX;
/// How the power iterations re-normalise their products.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PowerNormalizer {
    /// scikit-learn's "auto": no normalisation for `n_iter ≤ 2`, LU otherwise.
    Auto,
    /// No normalisation (fastest; loses small directions when `n_iter` is large).
    None,
    /// The permuted lower factor of an LU decomposition with partial pivoting.
    Lu,
    /// An orthonormal basis (modified Gram–Schmidt, twice).
    Qr,
}

/// A fitted randomized PCA; start from [`RandomizedPca::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomizedPca {
    params: RandomizedPcaValidParams,
    mean: Array1<f64>,
    components: Array2<f64>,
    singular_values: Array1<f64>,
    explained_variance: Array1<f64>,
    explained_variance_ratio: Array1<f64>,
    n_samples: usize,
    n_iter: usize,
}

params! {
    /// Checked parameters of [`RandomizedPca`]; see [`RandomizedPca::params`].
    RandomizedPca("RandomizedPca") => RandomizedPcaParams, RandomizedPcaValidParams {
        /// Number of components; also at most min(n_samples, n_features) at fit.
        n_components: usize = 2 => 1..,
        /// Extra random directions beyond `n_components` (more gives better
        /// accuracy at more cost).
        n_oversamples: usize = 10,
        /// Power iterations, more for a slowly decaying spectrum; unset:
        /// 7 if `n_components < 0.1·min(n, d)`, else 4.
        n_iter: Option<usize> = None; from usize,
        /// How the power iterations re-normalise their products.
        normalizer: PowerNormalizer = PowerNormalizer::Auto,
        /// The Gaussian test matrix.
        seed: u64 = 0,
    }
}

impl RandomizedPca {
    /// The column means of the training data.
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// The principal axes, one unit row per component, by decreasing variance
    /// (scikit-learn's `components_`).
    pub fn components(&self) -> &Array2<f64> {
        &self.components
    }

    /// Singular values of the centred data for each component.
    pub fn singular_values(&self) -> &Array1<f64> {
        &self.singular_values
    }

    /// Variance along each component, `σ² / (n − 1)`.
    pub fn explained_variance(&self) -> &Array1<f64> {
        &self.explained_variance
    }

    /// Share of the total variance (all features, `n − 1` denominator) along each component.
    pub fn explained_variance_ratio(&self) -> &Array1<f64> {
        &self.explained_variance_ratio
    }

    /// Number of training rows.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Power iterations that were run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &RandomizedPcaValidParams {
        &self.params
    }

    /// Coordinates of the rows of `x` on the components: `(x − mean)·componentsᵀ`.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let d = self.mean.len();
        if x.ncols() != d {
            return Err(Error::data(format!("RandomizedPca was fitted on {d} features; transform got {} columns", x.ncols())));
        }
        check_finite("X of RandomizedPca::transform", &x)?;
        let centred = &x.as_standard_layout() - &self.mean;
        Ok(par_dot(centred.view(), self.components.t()))
    }

    /// Points of the original space for coordinates `y`: `y·components + mean`.
    pub fn inverse_transform(&self, y: ArrayView2<f64>) -> Result<Array2<f64>> {
        let k = self.components.nrows();
        if y.ncols() != k {
            return Err(Error::data(format!("RandomizedPca has {k} components; inverse_transform got {} columns", y.ncols())));
        }
        check_finite("Y of RandomizedPca::inverse_transform", &y)?;
        Ok(par_dot(y, self.components.view()) + &self.mean)
    }

    /// The share of the variance along each component, and its running total.
    pub fn figure(&self) -> Result<Figure> {
        let ratio = self.explained_variance_ratio.to_vec();
        let cumulative = ratio.iter().scan(0.0, |total, r| {
            *total += r;
            Some(*total)
        });
        Ok(lines(&[Series::indexed("explained variance ratio", ratio.clone()), Series::indexed("cumulative", cumulative.collect())])?
            .title(&format!("Randomized PCA of {} points: {} components", self.n_samples, self.components.nrows()))
            .axis_labels(&["component", "share of variance"]))
    }
}

impl_render!(RandomizedPca, "Randomized PCA", params: params, shapes: [components]);

impl RandomizedPcaValidParams {
    /// Fits the components to the rows of `records`.
    fn fit_impl(&self, records: ArrayView2<f64>) -> Result<RandomizedPca> {
        let (n, d) = records.dim();
        if n < 2 || d == 0 {
            return Err(Error::data(format!("RandomizedPca needs at least 2 rows and 1 column; got {n} × {d}")));
        }
        let k = self.n_components;
        if k > n.min(d) {
            return Err(Error::param(
                "n_components",
                format!("of RandomizedPca must be in [1, min(n_samples, n_features) = {}]; got {k}", n.min(d)),
            ));
        }
        check_finite("X of RandomizedPca", &records)?;
        // One memory order for every input, so the products round the same way.
        let records = records.as_standard_layout();
        let mean = records.mean_axis(Axis(0)).expect("at least 2 rows were checked");
        let centred = &records - &mean;
        let n_iter = self.n_iter.unwrap_or(if (k as f64) < 0.1 * n.min(d) as f64 { 7 } else { 4 });
        let normalizer = match self.normalizer {
            PowerNormalizer::Auto if n_iter <= 2 => PowerNormalizer::None,
            PowerNormalizer::Auto => PowerNormalizer::Lu,
            other => other,
        };
        let transpose = n < d;
        let m = if transpose { centred.t().as_standard_layout().into_owned() } else { centred };
        let l = (k + self.n_oversamples).min(n.min(d));
        let q = range_finder(m.view(), l, n_iter, normalizer, self.seed);
        let (singular, axes) = small_svd(m.view(), q.view(), transpose);
        let mut components = axes.slice(s![..k, ..]).to_owned();
        flip_signs(&mut components);
        let singular_values = Array1::from_iter(singular.iter().take(k).copied());
        let explained_variance = singular_values.mapv(|s| s * s / (n - 1) as f64);
        let total: f64 = m.iter().map(|v| v * v).sum::<f64>() / (n - 1) as f64;
        let explained_variance_ratio = if total > 0.0 { explained_variance.mapv(|v| v / total) } else { Array1::zeros(k) };
        Ok(RandomizedPca {
            params: self.clone(),
            mean,
            components,
            singular_values,
            explained_variance,
            explained_variance_ratio,
            n_samples: n,
            n_iter,
        })
    }
}

impl_fit!(RandomizedPcaParams, RandomizedPcaValidParams => RandomizedPca);
impl_persist!(RandomizedPca, "randomized PCA model");

/// An orthonormal basis (`m × l`) of the range of `a` (`m × p`), sharpened by
/// `n_iter` power iterations.
fn range_finder(a: ArrayView2<f64>, l: usize, n_iter: usize, normalizer: PowerNormalizer, seed: u64) -> Array2<f64> {
    let p = a.ncols();
    let mut rng = xoshiro(derive(seed, STREAM_TEST_MATRIX, 0));
    let mut q = Array2::from_shape_simple_fn((p, l), || normal(&mut rng));
    for _ in 0..n_iter {
        q = normalise(par_dot(a, q.view()), normalizer);
        q = normalise(par_tdot(a, q.view()), normalizer);
    }
    orthonormalise(par_dot(a, q.view()))
}

fn normalise(y: Array2<f64>, normalizer: PowerNormalizer) -> Array2<f64> {
    match normalizer {
        PowerNormalizer::Lu => lu_lower(y),
        PowerNormalizer::Qr => orthonormalise(y),
        PowerNormalizer::None | PowerNormalizer::Auto => y,
    }
}

/// Singular values (descending) and the matching right singular vectors of the
/// original (untransposed) data as rows, from the basis `q` of the range of `m`.
fn small_svd(m: ArrayView2<f64>, q: ArrayView2<f64>, transpose: bool) -> (Vec<f64>, Array2<f64>) {
    let b = par_tdot(q, m); // l × p
    let (values, u_hat) = symmetric_eigen(&b.dot(&b.t()));
    let singular: Vec<f64> = values.iter().map(|v| v.max(0.0).sqrt()).collect();
    let axes = if transpose {
        // m = Aᵀ: the left singular vectors of m are A's right ones.
        par_dot(q, u_hat.view()).reversed_axes()
    } else {
        // Vᵀ = Σ⁻¹·Ûᵀ·B; orthonormalising the rows also covers σ = 0.
        u_hat.t().dot(&b)
    };
    let axes = orthonormalise(axes.t().as_standard_layout().into_owned()).reversed_axes();
    (singular, axes.as_standard_layout().into_owned())
}

/// scikit-learn's `svd_flip(u_based_decision=False)`: the largest |entry| of each row is positive.
fn flip_signs(rows: &mut Array2<f64>) {
    for mut row in rows.outer_iter_mut() {
        let mut best = 0;
        for (j, v) in row.iter().enumerate() {
            if v.abs() > row[best].abs() {
                best = j;
            }
        }
        if row[best] < 0.0 {
            row.mapv_inplace(|v| -v);
        }
    }
}

/// One standard normal draw.
pub(crate) fn normal(rng: &mut impl rand::Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// The permuted unit-lower factor `P·L` of `y = P·L·U` (partial pivoting), as
/// `scipy.linalg.lu(y, permute_l=True)[0]`: same span as `y`, entries bounded by 1.
fn lu_lower(y: Array2<f64>) -> Array2<f64> {
    let (m, l) = y.dim();
    // Row-major working copies, so rows can be eliminated in parallel.
    let mut a: Vec<f64> = y.iter().copied().collect();
    let mut lower = vec![0.0; m * l];
    let mut is_pivot = vec![false; m];
    for j in 0..l.min(m) {
        let mut pivot = None;
        let mut best = 0.0;
        for (r, taken) in is_pivot.iter().enumerate() {
            if !taken && a[r * l + j].abs() > best {
                best = a[r * l + j].abs();
                pivot = Some(r);
            }
        }
        let Some(p) = pivot else { continue };
        is_pivot[p] = true;
        lower[p * l + j] = 1.0;
        let pivot_row: Vec<f64> = a[p * l + j..(p + 1) * l].to_vec();
        let pivots = &is_pivot;
        a.par_chunks_mut(l).zip(lower.par_chunks_mut(l)).enumerate().for_each(|(r, (ar, lr))| {
            if !pivots[r] {
                let factor = ar[j] / pivot_row[0];
                lr[j] = factor;
                for (v, pv) in ar[j..].iter_mut().zip(&pivot_row) {
                    *v -= factor * pv;
                }
            }
        });
    }
    Array2::from_shape_vec((m, l), lower).expect("m·l entries fill an m × l matrix")
}

/// An orthonormal basis of the columns of `y` (modified Gram–Schmidt, run twice
/// for stability). A column that vanishes is replaced by the first unit vector
/// orthogonal to the earlier ones, so the result always has orthonormal columns.
pub(crate) fn orthonormalise(mut y: Array2<f64>) -> Array2<f64> {
    let (m, l) = y.dim();
    let scale = y.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(f64::MIN_POSITIVE);
    let mut next_unit = 0;
    for j in 0..l {
        let original = y.column(j).iter().map(|v| v * v).sum::<f64>().sqrt();
        for _ in 0..2 {
            project_out(&mut y, j);
        }
        let mut norm = y.column(j).iter().map(|v| v * v).sum::<f64>().sqrt();
        while norm <= 1e-10 * original.max(scale * 1e-6) && next_unit < m {
            y.column_mut(j).fill(0.0);
            y[[next_unit, j]] = 1.0;
            next_unit += 1;
            for _ in 0..2 {
                project_out(&mut y, j);
            }
            norm = y.column(j).iter().map(|v| v * v).sum::<f64>().sqrt();
        }
        if norm > 0.0 {
            y.column_mut(j).mapv_inplace(|v| v / norm);
        }
    }
    y
}

fn project_out(y: &mut Array2<f64>, j: usize) {
    for i in 0..j {
        let dot = y.column(i).dot(&y.column(j));
        let qi = y.column(i).to_owned();
        y.column_mut(j).scaled_add(-dot, &qi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::traits::Fit;
    use linfa::{DatasetBase, ParamGuard};
    use linfa_reduction::Pca;

    /// Low-rank signal plus small noise, with a decaying spectrum.
    fn data(n: usize, d: usize, seed: u64) -> Array2<f64> {
        let mut rng = xoshiro(seed);
        let latent = Array2::from_shape_simple_fn((n, 6), || normal(&mut rng));
        let scales = Array1::from(vec![10.0, 6.0, 4.0, 2.5, 1.5, 1.0]);
        let mixing = Array2::from_shape_simple_fn((6, d), || normal(&mut rng));
        let noise = Array2::from_shape_simple_fn((n, d), || 0.01 * normal(&mut rng));
        (&latent * &scales).dot(&mixing) + noise + 3.0
    }

    fn compare_with_exact(x: &Array2<f64>, k: usize) {
        let ours = RandomizedPca::params().n_components(k).seed(3).fit_records(x.view()).unwrap();
        let exact = Pca::params(k).fit(&DatasetBase::from(x.clone())).unwrap();
        for (a, b) in ours.singular_values().iter().zip(exact.singular_values()) {
            assert!((a - b).abs() < 1e-8 * b, "{a} vs {b}");
        }
        for (ra, rb) in ours.components().outer_iter().zip(exact.components().outer_iter()) {
            // Up to sign: |⟨a, b⟩| = 1.
            assert!((ra.dot(&rb).abs() - 1.0).abs() < 1e-8, "{}", ra.dot(&rb));
        }
        let var_total: f64 = x.var_axis(Axis(0), 1.0).sum();
        for (r, v) in ours.explained_variance_ratio().iter().zip(ours.explained_variance()) {
            assert!((r - v / var_total).abs() < 1e-12);
        }
    }

    #[test]
    fn matches_linfa_exact_pca() {
        compare_with_exact(&data(700, 30, 1), 4);
        // n < d: the transposed path.
        compare_with_exact(&data(40, 120, 2), 3);
    }

    #[test]
    fn normalisers_agree() {
        let x = data(600, 25, 4);
        let reference = RandomizedPca::params().n_components(3).fit_records(x.view()).unwrap();
        for norm in [PowerNormalizer::None, PowerNormalizer::Lu, PowerNormalizer::Qr] {
            let p = RandomizedPca::params().n_components(3).normalizer(norm).fit_records(x.view()).unwrap();
            for (a, b) in p.singular_values().iter().zip(reference.singular_values()) {
                assert!((a - b).abs() < 1e-7 * b);
            }
        }
    }

    #[test]
    fn round_trip_and_signs() {
        let x = data(300, 12, 5);
        let pca = RandomizedPca::params().n_components(6).fit_records(x.view()).unwrap();
        let back = pca.inverse_transform(pca.transform(x.view()).unwrap().view()).unwrap();
        let err = (&back - &x).iter().fold(0.0f64, |a, v| a.max(v.abs()));
        assert!(err < 0.1, "{err}");
        for row in pca.components().outer_iter() {
            let big = row.iter().copied().fold(0.0f64, |a, v| if v.abs() > a.abs() { v } else { a });
            assert!(big > 0.0);
        }
    }

    #[test]
    fn rank_deficient_data_gives_orthonormal_components() {
        let x = Array2::from_shape_fn((50, 5), |(i, j)| if j == 0 { i as f64 } else { 0.0 });
        let pca = RandomizedPca::params().n_components(3).fit_records(x.view()).unwrap();
        let g = pca.components().dot(&pca.components().t());
        assert!((&g - &Array2::<f64>::eye(3)).iter().all(|v| v.abs() < 1e-10), "{g}");
        assert!(pca.singular_values()[1].abs() < 1e-9);
    }

    #[test]
    fn same_bits_at_any_thread_count() {
        let x = data(2000, 40, 6);
        let run = |t| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap()
                .install(|| RandomizedPca::params().n_components(5).seed(9).fit_records(x.view()).unwrap())
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn bad_n_components() {
        assert!(matches!(RandomizedPca::params().n_components(0).check(), Err(Error::Param { name: "n_components", .. })));
        let x = data(10, 4, 7);
        assert!(matches!(RandomizedPca::params().n_components(5).fit_records(x.view()), Err(Error::Param { name: "n_components", .. })));
    }

    #[test]
    fn bad_data() {
        let mut x = data(10, 4, 8);
        assert!(matches!(RandomizedPca::params().fit_records(x.slice(s![..1, ..])), Err(Error::Data(_))));
        x[[3, 1]] = f64::NAN;
        assert!(matches!(RandomizedPca::params().fit_records(x.view()), Err(Error::Data(_))));
        let pca = RandomizedPca::params().fit_records(data(10, 4, 8).view()).unwrap();
        assert!(matches!(pca.transform(Array2::zeros((2, 3)).view()), Err(Error::Data(_))));
        assert!(matches!(pca.inverse_transform(Array2::zeros((2, 3)).view()), Err(Error::Data(_))));
    }
}
