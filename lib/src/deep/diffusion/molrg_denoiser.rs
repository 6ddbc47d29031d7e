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
//! Cost of a forward pass on B rows: two `B × n × Σdₖ` products.

use ndarray::Array2;
use tch::{nn, Device, Kind, Tensor};

use super::denoiser::{Denoiser, DiffusionModel};
use super::schedule::NoiseSchedule;
use crate::deep::tensor::to_array2;
use crate::error::{Error, Result};
use crate::metrics::{match_subspaces, SubspaceMatch};

/// Trainable orthonormal bases of K subspaces and fixed mixing weights.
#[derive(Debug)]
pub struct MolrgDenoiser {
    /// All bases side by side: n × Σdₖ.
    bases: Tensor,
    dims: Vec<usize>,
    /// `log πₖ`, fixed.
    log_weights: Tensor,
    /// K × Σdₖ: row k is 1 on the columns of basis k.
    blocks: Tensor,
    /// The ranks as a float tensor, for the normalising term.
    ranks: Tensor,
    ambient: usize,
}

impl MolrgDenoiser {
    /// Bases of ranks `dims` in R^`ambient`, uniform mixing weights, random
    /// orthonormal start. Needs K = `dims.len()` ≥ 1 and each rank in
    /// [1, `ambient`].
    pub fn new(p: &nn::Path, ambient: usize, dims: &[usize]) -> Result<Self> {
        check_dims(ambient, dims)?;
        let total: usize = dims.iter().sum();
        let bases = p.var("bases", &[ambient as i64, total as i64], nn::Init::Randn { mean: 0.0, stdev: 1.0 });
        let k = dims.len();
        let device = p.device();
        let log_weights = Tensor::full([k as i64], -(k as f64).ln(), (Kind::Float, device));
        let mut mask = vec![0f32; k * total];
        let mut offset = 0;
        for (i, &d) in dims.iter().enumerate() {
            mask[i * total + offset..i * total + offset + d].fill(1.0);
            offset += d;
        }
        let blocks = Tensor::from_slice(&mask).view([k as i64, total as i64]).to_device(device);
        let ranks = Tensor::from_slice(&dims.iter().map(|&d| d as f32).collect::<Vec<_>>()).to_device(device);
        let denoiser = MolrgDenoiser { bases, dims: dims.to_vec(), log_weights, blocks, ranks, ambient };
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
        let (s2, g2) = (s.square(), g.square());
        let total = &s2 + &g2;
        let proj = x.matmul(&self.bases); // B × Σd
        let norms = proj.square().matmul(&self.blocks.tr()); // B × K: ‖Uₖᵀx‖²
        let logits = &self.log_weights + norms * (&s2 / (&g2 * &total * 2.0)) - &self.ranks * (&total / &g2).log() * 0.5;
        let weights = logits.softmax(1, Kind::Float).matmul(&self.blocks); // B × Σd
        (proj * weights).matmul(&self.bases.tr()) * (s / total)
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
        DiffusionModel::new(device, seed, schedule, |p| MolrgDenoiser::new(p, ambient, dims))
    }

    /// The posterior-mean denoiser of a known mixture: bases `bases` (each
    /// n × dₖ with independent columns; orthonormalised here), uniform weights.
    pub fn molrg_from_bases(bases: &[Array2<f64>], schedule: NoiseSchedule, device: Device) -> Result<Self> {
        let ambient = bases.first().map_or(0, |b| b.nrows());
        if bases.iter().any(|b| b.nrows() != ambient) {
            return Err(Error::param("bases", "must all have the same number of rows (the ambient dimension)"));
        }
        let dims: Vec<usize> = bases.iter().map(|b| b.ncols()).collect();
        let model = Self::molrg(ambient, &dims, schedule, device, 0)?;
        let all = ndarray::concatenate(ndarray::Axis(1), &bases.iter().map(|b| b.view()).collect::<Vec<_>>())?;
        let t = crate::deep::tensor::to_tensor("bases", all.view(), device)?;
        tch::no_grad(|| {
            model.denoiser().bases.shallow_clone().copy_(&t);
            model.denoiser().retract();
        });
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
    Ok(())
}
