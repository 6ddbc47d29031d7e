//! The denoiser matched to a mixture of low-rank Gaussians (MoLRG): the exact
//! posterior mean `E[x₀ | xₜ]` when `x₀ = Uₖa`, `a ~ N(0, I_{dₖ})` with
//! probability `πₖ`, whose only weights are the orthonormal bases `Uₖ`.
//!
//! Given component k, `xₜ ~ N(0, s²UₖUₖᵀ + γ²I)` and
//! `E[x₀ | xₜ, k] = s/(s² + γ²)·UₖUₖᵀxₜ`; the posterior of k is a softmax of
//! `log πₖ + s²‖Uₖᵀxₜ‖²/(2γ²(s² + γ²)) − (dₖ/2)·log((s² + γ²)/γ²)`. The last
//! term is the Gaussian's normaliser: it is the same for every component when
//! the ranks are equal, and then the weights are those of Wang et al.
//! (arXiv 2409.02426, 2024). Training moves the bases by the optimiser's step
//! and retracts each back onto orthonormal columns by a QR factorisation
//! (signs fixed so that R has a positive diagonal, which makes the retraction
//! continuous).
//!
//! The per-row coefficients (the logits, `s/(s² + γ²)`) are computed in f64:
//! in f32, γ² underflows for γ below ~1e-19 and overflows above ~1e19, and the
//! logits overflow well before that, which turned the weights into NaN.
//!
//! Cost of a forward pass on B rows: two `B × n × Σdₖ` products.

use ndarray::Array2;
use tch::{nn, Device, Kind, Tensor};

use super::denoiser::{Denoiser, DiffusionModel, MAX_ELEMENTS};
use super::schedule::NoiseSchedule;
use crate::data::{seeded_rng, standard_normal};
use crate::deep::tensor::{guarded, to_array2, to_tensor};
use crate::error::{check_finite, Error, Result};
use crate::linalg::orthonormal_columns;
use crate::metrics::{match_subspaces, SubspaceMatch};

/// Trainable orthonormal bases of K subspaces and fixed mixing weights.
#[derive(Debug)]
pub struct MolrgDenoiser {
    /// All bases side by side: n × Σdₖ.
    bases: Tensor,
    dims: Vec<usize>,
    /// `log πₖ`, fixed (f64, like every per-row coefficient).
    log_weights: Tensor,
    /// K × Σdₖ: row k is 1 on the columns of basis k (f64).
    blocks: Tensor,
    /// The same in f32, to spread single-precision weights over the columns.
    blocks32: Tensor,
    /// The ranks, for the normalising term (f64).
    ranks: Tensor,
    ambient: usize,
}

impl MolrgDenoiser {
    /// Bases of ranks `dims` in R^`ambient`, uniform mixing weights, a random
    /// orthonormal start drawn from `seed` (Gaussian columns, then QR: uniform
    /// on the Grassmannian). Needs K = `dims.len()` ≥ 1 and each rank in
    /// [1, `ambient`].
    pub fn new(p: &nn::Path, ambient: usize, dims: &[usize], seed: u64) -> Result<Self> {
        check_dims(ambient, dims)?;
        let total: usize = dims.iter().sum();
        // The crate's generator, not libtorch's: that one is shared by every
        // thread, so a parallel sweep would see scheduling in its starts.
        let start = standard_normal(&mut seeded_rng(seed), ambient, total);
        let bases = p.f_var_copy("bases", &to_tensor("bases", start.view(), p.device())?)?;
        let (log_weights, blocks, ranks) = mixture_constants(dims, p.device())?;
        let blocks32 = blocks.f_to_kind(Kind::Float)?;
        let denoiser = MolrgDenoiser { bases, dims: dims.to_vec(), log_weights, blocks, blocks32, ranks, ambient };
        tch::no_grad(|| denoiser.retract());
        Ok(denoiser)
    }

    /// The ranks dₖ.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The current bases Uₖ (n × dₖ, orthonormal columns).
    pub fn bases(&self) -> Result<Vec<Array2<f64>>> {
        let all = to_array2(&self.bases)?;
        let mut offset = 0;
        Ok(self
            .dims
            .iter()
            .map(|&d| {
                let b = all.slice(ndarray::s![.., offset..offset + d]).to_owned();
                offset += d;
                b
            })
            .collect())
    }

    /// Pairs the true bases with the learned ones and reports
    /// ‖UₖUₖᵀ − U*ₖU*ₖᵀ‖_F for each pair.
    pub fn recovery<S: ndarray::Data<Elem = f64>>(&self, truth: &[ndarray::ArrayBase<S, ndarray::Ix2>]) -> Result<SubspaceMatch> {
        match_subspaces(&self.bases()?, truth)
    }

    /// Replaces each basis by the Q of its QR factorisation.
    fn retract(&self) {
        let mut offset = 0;
        for &d in &self.dims {
            let block = self.bases.narrow(1, offset, d as i64);
            let (q, r) = Tensor::linalg_qr(&block, "reduced");
            let signs = r.diagonal(0, 0, 1).sign().clamp_min(0.0) * 2.0 - 1.0;
            block.shallow_clone().copy_(&(q * signs.unsqueeze(0)));
            offset += d as i64;
        }
    }
}

impl Denoiser for MolrgDenoiser {
    fn denoise(&self, x: &Tensor, s: &Tensor, g: &Tensor) -> Tensor {
        let (s, g) = (s.to_kind(Kind::Double), g.to_kind(Kind::Double));
        let (s2, g2) = (s.square(), g.square());
        let total = &s2 + &g2;
        let proj = x.matmul(&self.bases).to_kind(Kind::Double); // B × Σd
        let norms = proj.square().matmul(&self.blocks.tr()); // B × K: ‖Uₖᵀx‖²
                                                             // log((s² + γ²)/γ²) as log1p(s²/γ²): exact when s ≪ γ.
        let logits = &self.log_weights + norms * (&s2 / (&g2 * &total * 2.0)) - &self.ranks * (&s2 / &g2).log1p() * 0.5;
        let weights = logits.softmax(1, Kind::Double).matmul(&self.blocks); // B × Σd
        let coords = (proj * weights * (s / total)).to_kind(Kind::Float);
        coords.matmul(&self.bases.tr())
    }

    /// One level for every row: the coefficients are numbers, not columns,
    /// and only the logits (B × K) need double precision, so the B × Σd work
    /// stays in single (fewer and cheaper operations per sampling step).
    fn denoise_level(&self, x: &Tensor, s: f64, g: f64) -> Tensor {
        let (s2, g2) = (s * s, g * g);
        let total = s2 + g2;
        let proj = x.matmul(&self.bases);
        let norms = proj.to_kind(Kind::Double).square().matmul(&self.blocks.tr());
        let logits = norms * (s2 / (g2 * total * 2.0)) + &self.log_weights - &self.ranks * ((s2 / g2).ln_1p() * 0.5);
        // softmax in double (a dtype argument would cast the logits first).
        let weights = logits.softmax(1, Kind::Double).to_kind(Kind::Float).matmul(&self.blocks32);
        (proj * weights * (s / total)).matmul(&self.bases.tr())
    }

    fn after_step(&self) {
        self.retract();
    }

    fn dim(&self) -> usize {
        self.ambient
    }
}

impl DiffusionModel<MolrgDenoiser> {
    /// A diffusion model with the MoLRG denoiser: K = `dims.len()` subspaces
    /// of ranks `dims` in R^`ambient`.
    pub fn molrg(ambient: usize, dims: &[usize], schedule: NoiseSchedule, device: Device, seed: u64) -> Result<Self> {
        let init = Self::init_seed(seed);
        DiffusionModel::assemble(device, seed, schedule, |p| MolrgDenoiser::new(p, ambient, dims, init))
    }

    /// The posterior-mean denoiser of a known mixture: bases `bases` (each
    /// n × dₖ with linearly independent columns; orthonormalised here, so only
    /// their spans matter), uniform weights. The sampler starts from the
    /// mixture's own power Σₖ πₖdₖ/n per coordinate.
    pub fn molrg_from_bases(bases: &[Array2<f64>], schedule: NoiseSchedule, device: Device) -> Result<Self> {
        let ortho = check_bases(bases)?;
        let ambient = ortho[0].nrows();
        let dims: Vec<usize> = ortho.iter().map(|b| b.ncols()).collect();
        let mut model = Self::molrg(ambient, &dims, schedule, device, 0)?;
        let all = ndarray::concatenate(ndarray::Axis(1), &ortho.iter().map(|b| b.view()).collect::<Vec<_>>())?;
        let t = to_tensor("bases", all.view(), device)?;
        guarded("copying the bases", || {
            tch::no_grad(|| -> Result<()> {
                model.denoiser().bases.shallow_clone().f_copy_(&t)?;
                // Orthonormal in f64 is orthonormal to ~1e-7 in f32; QR makes it exact there.
                model.denoiser().retract();
                Ok(())
            })
        })??;
        model.set_data_power(dims.iter().sum::<usize>() as f64 / (dims.len() * ambient) as f64);
        Ok(model)
    }

    /// The learned bases Uₖ.
    pub fn bases(&self) -> Result<Vec<Array2<f64>>> {
        self.denoiser().bases()
    }

    /// Recovery error of the learned subspaces against true bases.
    pub fn recovery<S: ndarray::Data<Elem = f64>>(&self, truth: &[ndarray::ArrayBase<S, ndarray::Ix2>]) -> Result<SubspaceMatch> {
        self.denoiser().recovery(truth)
    }
}

/// `log πₖ` (uniform), the K × Σdₖ block indicator and the ranks, in f64.
fn mixture_constants(dims: &[usize], device: Device) -> Result<(Tensor, Tensor, Tensor)> {
    let (k, total) = (dims.len(), dims.iter().sum::<usize>());
    let log_weights = Tensor::f_full([k as i64], -(k as f64).ln(), (Kind::Double, device))?;
    let mut mask = vec![0f64; k * total];
    let mut offset = 0;
    for (i, &d) in dims.iter().enumerate() {
        mask[i * total + offset..i * total + offset + d].fill(1.0);
        offset += d;
    }
    let blocks = Tensor::f_from_slice(&mask)?.f_view([k as i64, total as i64])?.f_to_device(device)?;
    let ranks = Tensor::f_from_slice(&dims.iter().map(|&d| d as f64).collect::<Vec<_>>())?.f_to_device(device)?;
    Ok((log_weights, blocks, ranks))
}

/// Orthonormal bases of the spans of `bases`; fails on an empty list, on
/// differing row counts, on NaN, and on a basis whose columns are dependent
/// (its span has fewer dimensions than it has columns).
fn check_bases(bases: &[Array2<f64>]) -> Result<Vec<Array2<f64>>> {
    let Some(first) = bases.first() else {
        return Err(Error::param("bases", "of molrg_from_bases must hold at least one basis (K ≥ 1); got K = 0"));
    };
    let ambient = first.nrows();
    bases
        .iter()
        .enumerate()
        .map(|(k, b)| {
            if b.nrows() != ambient || b.ncols() == 0 || ambient == 0 {
                return Err(Error::param(
                    "bases",
                    format!("of molrg_from_bases must all be non-empty with {ambient} rows (the ambient dimension, from bases[0]); bases[{k}] is {:?}", b.dim()),
                ));
            }
            check_finite("bases", b)?;
            let q = orthonormal_columns(b.view());
            if q.ncols() < b.ncols() {
                return Err(Error::param("bases", format!("of molrg_from_bases: bases[{k}] has rank {} < {} columns; pass linearly independent columns", q.ncols(), b.ncols())));
            }
            Ok(q)
        })
        .collect()
}

fn check_dims(ambient: usize, dims: &[usize]) -> Result<()> {
    if ambient == 0 {
        return Err(Error::param("ambient", "of the MoLRG denoiser must be ≥ 1; got 0"));
    }
    if dims.is_empty() {
        return Err(Error::param("dims", "of the MoLRG denoiser must hold at least one rank (K ≥ 1); got K = 0"));
    }
    if let Some((k, &d)) = dims.iter().enumerate().find(|(_, &d)| d == 0 || d > ambient) {
        return Err(Error::param("dims", format!("ranks must lie in [1, ambient = {ambient}]; got dims[{k}] = {d}")));
    }
    // The start and the block mask are built on the host: refuse what would not fit.
    let fits = |t: usize, by: usize| t.checked_mul(by).is_some_and(|v| v <= MAX_ELEMENTS);
    let total = dims.iter().try_fold(0usize, |a, &d| a.checked_add(d));
    if !total.is_some_and(|t| fits(t, ambient) && fits(t, dims.len())) {
        return Err(Error::param(
            "dims",
            format!("of the MoLRG denoiser need ambient × Σ dims and K × Σ dims ≤ 2^28; got ambient = {ambient}, dims {dims:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, ArrayView1, Axis};

    use super::*;
    use crate::data::MolrgParams;
    use crate::linalg::symmetric_eigen;

    /// E[x₀ | xₜ] under a uniform mixture, in f64, from the dense Gaussians
    /// xₜ | k ~ N(0, s²UₖUₖᵀ + γ²I) (log-density and Σ⁻¹ by an eigensolver),
    /// not from the closed form the denoiser uses. `log_det: false` drops the
    /// Gaussian's normaliser, as the equal-rank formula does.
    fn reference(bases: &[Array2<f64>], x: ArrayView1<f64>, (s, g): (f64, f64), log_det: bool) -> Array1<f64> {
        let n = x.len();
        let (mut logp, mut means) = (Vec::new(), Vec::new());
        for u in bases {
            let cov = u.dot(&u.t()) * (s * s) + Array2::<f64>::eye(n) * (g * g);
            let (values, vectors) = symmetric_eigen(&cov);
            let c = vectors.t().dot(&x);
            let quad: f64 = c.iter().zip(&values).map(|(c, l)| c * c / l).sum();
            let det: f64 = values.iter().map(|l| l.ln()).sum();
            let inv_x = vectors.dot(&(&c / &Array1::from(values)));
            // Cov(x₀, xₜ | k) Σₖ⁻¹ xₜ with Cov(x₀, xₜ | k) = s UₖUₖᵀ.
            means.push(u.dot(&u.t().dot(&inv_x)) * s);
            logp.push(-0.5 * quad - if log_det { 0.5 * det } else { 0.0 });
        }
        let top = logp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = logp.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = w.iter().sum();
        means.iter().zip(&w).fold(Array1::zeros(n), |acc, (m, wk)| acc + m * (wk / total))
    }

    fn max_gap(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
        (&a - &b).iter().fold(0.0, |m: f64, v| m.max(v.abs()))
    }

    #[test]
    fn denoiser_is_the_posterior_mean_with_unequal_ranks() {
        tch::set_num_threads(1);
        let m = MolrgParams::new(6, &[1, 3]).sample(40, 3).unwrap();
        let model = DiffusionModel::molrg_from_bases(&m.bases, NoiseSchedule::vp(), Device::Cpu).unwrap();
        let eps = standard_normal(&mut seeded_rng(1), 40, 6);
        let mut normaliser_matters = 0.0f64;
        for level in [50, 200, 400, 700] {
            let (s, g) = model.schedule().level(level);
            let x_t = &m.data * s + &eps * g;
            let out = model.denoise(x_t.view(), level).unwrap();
            for (row, x) in out.axis_iter(Axis(0)).zip(x_t.axis_iter(Axis(0))) {
                let want = reference(&m.bases, x, (s, g), true);
                let gap = max_gap(row, want.view());
                assert!(gap < 2e-4 * (1.0 + want.iter().fold(0.0f64, |a, v| a.max(v.abs()))), "level {level}: off by {gap}");
                normaliser_matters = normaliser_matters.max(max_gap(want.view(), reference(&m.bases, x, (s, g), false).view()));
            }
        }
        // The check above would fail without the −(dₖ/2)·log((s² + γ²)/γ²) term.
        assert!(normaliser_matters > 0.05, "{normaliser_matters}");
    }

    #[test]
    fn extreme_noise_levels_give_finite_estimates() {
        tch::set_num_threads(1);
        let m = MolrgParams::new(8, &[2, 3]).sample(30, 2).unwrap();
        // γ² under- and overflows f32 at both ends.
        let ve = NoiseSchedule::ve(40, 1e-25, 1e25).unwrap();
        let model = DiffusionModel::molrg_from_bases(&m.bases, ve, Device::Cpu).unwrap();
        let eps = standard_normal(&mut seeded_rng(1), 30, 8);
        for level in [1, 2, 20, 39, 40] {
            let (s, g) = model.schedule().level(level);
            let out = model.denoise((&m.data * s + &eps * g).view(), level).unwrap();
            assert!(out.iter().all(|v| v.is_finite()), "level {level} (γ = {g:e})");
        }
        // At γ = 1e-25 the estimate is the clean point itself.
        let (s, g) = model.schedule().level(1);
        let out = model.denoise((&m.data * s + &eps * g).view(), 1).unwrap();
        assert!(max_gap(out.row(0), m.data.row(0)) < 1e-5);
        let x = model.sample(50, &crate::deep::diffusion::Sampler::euler(39), 0).unwrap();
        assert!(x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn bases_must_be_given_and_independent() {
        let cpu = Device::Cpu;
        let e = DiffusionModel::molrg_from_bases(&[], NoiseSchedule::vp(), cpu).unwrap_err().to_string();
        assert!(e.contains("bases") && e.contains("K = 0"), "{e}");
        let dependent = ndarray::array![[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]];
        let e = DiffusionModel::molrg_from_bases(&[dependent], NoiseSchedule::vp(), cpu).unwrap_err().to_string();
        assert!(e.contains("bases[0] has rank 1"), "{e}");
        let e = DiffusionModel::molrg_from_bases(&[Array2::ones((4, 1)), Array2::ones((3, 1))], NoiseSchedule::vp(), cpu)
            .unwrap_err()
            .to_string();
        assert!(e.contains("bases[1]"), "{e}");
        let nan = ndarray::array![[f64::NAN], [1.0]];
        assert!(DiffusionModel::molrg_from_bases(&[nan], NoiseSchedule::vp(), cpu).unwrap_err().to_string().contains("bases"));
        // Independent but not orthonormal: only the span counts.
        let skew = ndarray::array![[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]];
        let model = DiffusionModel::molrg_from_bases(&[skew], NoiseSchedule::vp(), cpu).unwrap();
        let u = &model.bases().unwrap()[0];
        assert!((u.t().dot(u) - Array2::<f64>::eye(2)).iter().all(|v| v.abs() < 1e-6));
        assert!(u.row(2).iter().all(|v| v.abs() < 1e-6));
    }

    #[test]
    fn oversized_models_are_errors_not_aborts() {
        let e = DiffusionModel::molrg(1 << 20, &[1 << 10], NoiseSchedule::vp(), Device::Cpu, 0).unwrap_err().to_string();
        assert!(e.contains("dims"), "{e}");
    }
}
