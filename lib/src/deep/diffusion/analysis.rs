//! Looking inside a trained diffusion model: the singular values of its
//! denoiser's Jacobian at several noise levels (low rank when the model has
//! learned a union of subspaces), and whether its samples generalise or
//! memorise.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use super::denoiser::{Denoiser, DiffusionModel};
use crate::data::{seeded_rng, standard_normal};
use crate::error::{check_finite, Error, Result};
use crate::linalg::{symmetric_eigen, symmetric_eigenvalues};
use crate::metrics::subspace_recovery_error;
use crate::neighbors::{KnnMethod, KnnParams};
use crate::plot::{lines, scatter, Color, Figure, Series};

/// Singular values of `∂x̂₀/∂xₜ`, averaged over points, at several levels.
#[derive(Clone, Debug)]
pub struct JacobianSpectrum {
    /// The schedule levels measured.
    pub levels: Vec<usize>,
    /// Their noise-to-signal ratios γ/s.
    pub ratios: Vec<f64>,
    /// `values[[i, j]]`: the j-th largest singular value at `levels[i]`.
    pub values: Array2<f64>,
}

impl JacobianSpectrum {
    /// Number of singular values above `rel_tol` times the largest, per level.
    pub fn ranks(&self, rel_tol: f64) -> Vec<usize> {
        self.values
            .outer_iter()
            .map(|row| {
                let top = row.iter().copied().fold(0.0, f64::max);
                row.iter().filter(|&&v| v > rel_tol * top).count()
            })
            .collect()
    }

    /// One line per level: singular values divided by the largest, log scale.
    pub fn figure(&self) -> Result<Figure> {
        let series: Vec<Series> = self
            .values
            .outer_iter()
            .zip(&self.ratios)
            .map(|(row, r)| {
                let top = row.iter().copied().fold(f64::MIN_POSITIVE, f64::max);
                Series::new(
                    &format!("γ/s = {r:.3}"),
                    (1..=row.len()).map(|i| i as f64).collect(),
                    row.iter().map(|v| (v / top).max(1e-12)).collect(),
                )
            })
            .collect();
        Ok(lines(&series)?.title("Singular values of the denoiser's Jacobian").axis_labels(&["index", "σᵢ / σ₁"]).log_y())
    }

    /// Renders [`figure`](Self::figure) in a notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(f) => f.evcxr_display(),
            Err(e) => println!("{e}"),
        }
    }
}

impl<D: Denoiser> DiffusionModel<D> {
    /// Singular values of the denoiser's Jacobian at `levels`, each averaged
    /// over the rows of `x0` noised at that level (seeded).
    pub fn jacobian_spectrum(&self, x0: ArrayView2<f64>, levels: &[usize], seed: u64) -> Result<JacobianSpectrum> {
        if levels.is_empty() {
            return Err(Error::param("levels", "of jacobian_spectrum must not be empty"));
        }
        if x0.nrows() == 0 {
            return Err(Error::param("x0", "of jacobian_spectrum must hold at least one point"));
        }
        let n = x0.ncols();
        let mut values = Array2::zeros((levels.len(), n));
        let mut rng = seeded_rng(seed);
        for (i, &level) in levels.iter().enumerate() {
            let (s, g) = self.schedule().level(level);
            let noisy = &x0 * s + standard_normal(&mut rng, x0.nrows(), n) * g;
            for row in noisy.outer_iter() {
                let j = self.jacobian(row, level)?;
                let sv = symmetric_eigenvalues(j.dot(&j.t())).into_iter().map(|v| v.max(0.0).sqrt());
                values.row_mut(i).iter_mut().zip(sv).for_each(|(a, v)| *a += v / x0.nrows() as f64);
            }
        }
        let ratios = levels.iter().map(|&l| self.schedule().ratio(l)).collect();
        Ok(JacobianSpectrum { levels: levels.to_vec(), ratios, values })
    }

    /// The span of the top `rank` left singular vectors of the Jacobian at
    /// `x_t` (n × rank): the subspace the denoiser projects onto there.
    pub fn jacobian_subspace(&self, x_t: ndarray::ArrayView1<f64>, level: usize, rank: usize) -> Result<Array2<f64>> {
        if rank == 0 || rank > x_t.len() {
            return Err(Error::param("rank", format!("must lie in [1, n = {}]; got {rank}", x_t.len())));
        }
        let j = self.jacobian(x_t, level)?;
        let (_, vectors) = symmetric_eigen(&j.dot(&j.t()));
        Ok(vectors.slice(ndarray::s![.., ..rank]).to_owned())
    }

    /// How well the denoiser has learned the subspaces of `points`, read off
    /// its Jacobian whatever its architecture: at each point (row i, of the
    /// subspace `truth[labels[i]]`), the span of the top-dₖ singular vectors
    /// of the Jacobian at `level` against that subspace, as
    /// ‖PPᵀ − UₖUₖᵀ‖_F / √(2dₖ), averaged over the points (0: learned; 1:
    /// orthogonal). Comparable between a low-rank and a generic denoiser.
    pub fn jacobian_recovery<S: ndarray::Data<Elem = f64>>(
        &self,
        points: ArrayView2<f64>,
        labels: ndarray::ArrayView1<usize>,
        truth: &[ndarray::ArrayBase<S, ndarray::Ix2>],
        level: usize,
    ) -> Result<f64> {
        if points.nrows() == 0 || labels.len() != points.nrows() {
            return Err(Error::param(
                "labels",
                format!(
                    "of jacobian_recovery must give one label per point (≥ 1 point); got {} labels for {} points",
                    labels.len(),
                    points.nrows()
                ),
            ));
        }
        let mut total = 0.0;
        for (x, &k) in points.outer_iter().zip(labels) {
            let u = truth
                .get(k)
                .ok_or_else(|| Error::param("labels", format!("of jacobian_recovery must lie in [0, K = {}); got {k}", truth.len())))?;
            let sub = self.jacobian_subspace(x, level, u.ncols())?;
            total += subspace_recovery_error(sub.view(), u.view())? / (2.0 * u.ncols() as f64).sqrt();
        }
        Ok(total / points.nrows() as f64)
    }
}

/// Do generated samples copy the training set, or lie on the true subspaces
/// without copying it?
#[derive(Clone, Debug)]
pub struct Memorization {
    /// Per sample: distance to the nearest training point over the distance to
    /// the second nearest. Below 1/3 counts as a copy (the criterion of
    /// Yoon et al., 2023, and Carlini et al., 2023).
    pub nearest_ratio: Array1<f64>,
    /// Per sample: distance to the nearest true subspace over the sample's norm.
    pub subspace_distance: Array1<f64>,
}

impl Memorization {
    /// Measures `samples` against the `train` rows and the true bases `truth`
    /// (orthonormal columns, n × dₖ, checked to 1e-4). Needs at least one
    /// sample and two training rows.
    pub fn measure<S: ndarray::Data<Elem = f64>>(
        samples: ArrayView2<f64>,
        train: ArrayView2<f64>,
        truth: &[ndarray::ArrayBase<S, ndarray::Ix2>],
    ) -> Result<Self> {
        if samples.nrows() == 0 {
            return Err(Error::param("samples", "of Memorization::measure must hold at least one row; got 0"));
        }
        check_finite("samples", &samples)?;
        if train.nrows() < 2 || train.ncols() != samples.ncols() {
            return Err(Error::param(
                "train",
                format!("must hold at least 2 rows with {} columns (like samples); got {:?}", samples.ncols(), train.dim()),
            ));
        }
        check_finite("train", &train)?;
        check_truth(truth, samples.ncols())?;
        let index = KnnParams::new(1).method(KnnMethod::Exact).build(train)?;
        let near = index.query(samples, 2)?;
        // Both distances 0: the sample is an exact copy of a training point
        // that appears twice, a copy like any other (ratio 0).
        let nearest_ratio = near.distances().map_axis(Axis(1), |d| if d[1] > 0.0 { d[0] / d[1] } else { 0.0 });
        let subspace_distance = samples.map_axis(Axis(1), |x| {
            let norm = x.dot(&x).sqrt().max(f64::MIN_POSITIVE);
            let residual = truth.iter().map(|u| {
                let c = u.t().dot(&x);
                (x.dot(&x) - c.dot(&c)).max(0.0).sqrt()
            });
            residual.fold(f64::INFINITY, f64::min) / norm
        });
        Ok(Memorization { nearest_ratio, subspace_distance })
    }

    /// Share of samples that copy a training point (nearest ratio < 1/3); NaN
    /// if there are no samples.
    pub fn memorized_fraction(&self) -> f64 {
        self.nearest_ratio.iter().filter(|&&r| r < 1.0 / 3.0).count() as f64 / self.nearest_ratio.len() as f64
    }

    /// Mean relative distance of the samples to the true subspaces; NaN if
    /// there are no samples.
    pub fn mean_subspace_distance(&self) -> f64 {
        self.subspace_distance.mean().unwrap_or(f64::NAN)
    }

    /// Each sample as a point: nearest ratio against distance to the subspaces.
    pub fn figure(&self) -> Result<Figure> {
        let pts = ndarray::stack(Axis(1), &[self.nearest_ratio.view(), self.subspace_distance.view()])?;
        Ok(scatter(pts.view(), Color::None)?
            .title(&format!(
                "Samples: {:.0}% copies, mean distance to the true subspaces {:.3}",
                100.0 * self.memorized_fraction(),
                self.mean_subspace_distance()
            ))
            .axis_labels(&["nearest / second-nearest training distance", "distance to true subspaces / norm"]))
    }

    /// Renders [`figure`](Self::figure) in a notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(f) => f.evcxr_display(),
            Err(e) => println!("{e}"),
        }
    }
}

/// Largest deviation from orthonormal columns accepted in true bases:
/// ‖UᵀU − I‖ entrywise. Loose enough for bases read back from f32 weights.
const ORTHONORMAL_TOL: f64 = 1e-4;

/// `truth` must hold at least one basis, each finite, with `n` rows and
/// orthonormal columns: the distances here are computed as ‖x‖² − ‖Uᵀx‖²,
/// which is the squared distance to the span only for orthonormal U.
fn check_truth<S: ndarray::Data<Elem = f64>>(truth: &[ndarray::ArrayBase<S, ndarray::Ix2>], n: usize) -> Result<()> {
    if truth.is_empty() {
        return Err(Error::param("truth", "must hold at least one basis; got K = 0"));
    }
    for (k, u) in truth.iter().enumerate() {
        if u.nrows() != n || u.ncols() == 0 {
            return Err(Error::param(
                "truth",
                format!("bases must be non-empty with {n} rows (the samples' columns); truth[{k}] is {:?}", u.dim()),
            ));
        }
        check_finite("truth", u)?;
        let gap = (u.t().dot(u) - Array2::<f64>::eye(u.ncols())).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if gap.is_nan() || gap > ORTHONORMAL_TOL {
            return Err(Error::param(
                "truth",
                format!("bases must have orthonormal columns (‖UᵀU − I‖ ≤ {ORTHONORMAL_TOL:e}); truth[{k}] is off by {gap:.2e}"),
            ));
        }
    }
    Ok(())
}

/// How well samples reproduce a mixture of low-rank Gaussians with known
/// bases: each sample is assigned to the subspace that holds most of it
/// (largest ‖Uₖᵀx‖), then per subspace the share of samples and the second
/// moment `Cₖ` of their coordinates `Uₖᵀx`, which is `I` for the true mixture.
///
/// Unlike the distance to the subspaces, this sees a sampler that lands on
/// the right subspaces with the wrong spread (a wrong step size, a missing or
/// doubled noise term) or with the wrong mixing weights.
#[derive(Clone, Debug)]
pub struct LatentFit {
    /// Share of the samples assigned to each subspace (compare with πₖ).
    pub proportions: Vec<f64>,
    /// `‖Cₖ − I‖_F / √dₖ` per subspace (NaN for a subspace with no sample).
    pub covariance_error: Vec<f64>,
}

impl LatentFit {
    /// Measures the rows of `samples` against the bases `truth` (orthonormal
    /// columns, n × dₖ, checked to 1e-4).
    pub fn measure<S: ndarray::Data<Elem = f64>>(samples: ArrayView2<f64>, truth: &[ndarray::ArrayBase<S, ndarray::Ix2>]) -> Result<Self> {
        if samples.nrows() == 0 {
            return Err(Error::param("samples", "of LatentFit::measure must hold at least one row; got 0"));
        }
        check_finite("samples", &samples)?;
        check_truth(truth, samples.ncols())?;
        let coords: Vec<Array2<f64>> = truth.iter().map(|u| samples.dot(u)).collect();
        let energy = |k: usize, i: usize| coords[k].row(i).dot(&coords[k].row(i));
        let labels: Vec<usize> =
            (0..samples.nrows()).map(|i| (0..truth.len()).max_by(|&a, &b| energy(a, i).total_cmp(&energy(b, i))).unwrap_or(0)).collect();
        let (counts, covariance_error): (Vec<usize>, Vec<f64>) = coords
            .iter()
            .enumerate()
            .map(|(k, z)| {
                let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == k).collect();
                let z = z.select(Axis(0), &rows);
                let gap = z.t().dot(&z) / rows.len() as f64 - Array2::<f64>::eye(z.ncols());
                (rows.len(), gap.iter().map(|v| v * v).sum::<f64>().sqrt() / (z.ncols() as f64).sqrt())
            })
            .unzip();
        let proportions = counts.iter().map(|&c| c as f64 / samples.nrows() as f64).collect();
        Ok(LatentFit { proportions, covariance_error })
    }

    /// The largest covariance error over the subspaces (NaN if one has no sample).
    pub fn max_covariance_error(&self) -> f64 {
        // f64::max would skip a NaN, hiding an empty subspace.
        self.covariance_error.iter().copied().reduce(|a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }).unwrap_or(f64::NAN)
    }
}
