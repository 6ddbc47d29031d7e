//! Diffusion models on data near a union of subspaces: noise schedules, the
//! denoising loss, samplers, the low-rank (MoLRG) denoiser whose training is
//! subspace clustering, an MLP denoiser to compare with, and tools to look
//! inside a trained model.
//!
//! Wang, Zhang, Zhang, Chen, Ma & Qu, "Diffusion models learn low-dimensional
//! distributions via subspace clustering" (arXiv 2409.02426, 2024): when data
//! are a mixture of low-rank Gaussians and the denoiser is parameterised to
//! match, minimising the diffusion loss is PCA for one subspace and
//! K-subspaces clustering for several, and the subspaces are recovered once
//! each holds as many samples as its dimension.

mod analysis;
mod denoiser;
mod mlp_denoiser;
mod molrg_denoiser;
mod phase_transition;
mod sampler;
mod schedule;

/// Stream tags for [`derive`](crate::rng::derive): each purpose
/// draws from a stream of its own, so one user seed never gives two purposes
/// the same numbers, and nothing draws from libtorch's one global generator.
mod stream {
    /// Initial weights.
    pub const INIT: u64 = 40;
    /// Training levels and noise, per call of `fit`.
    pub const NOISING: u64 = 41;
    /// Levels and noise of `DiffusionModel::loss`.
    pub const LOSS: u64 = 42;
    /// The sampler's start and noise.
    pub const SAMPLING: u64 = 43;
    /// The random starts of the phase-transition sweep.
    pub const STARTS: u64 = 44;
}

pub use analysis::{JacobianSpectrum, LatentFit, Memorization};
pub use denoiser::{Denoiser, DiffusionModel};
pub use mlp_denoiser::MlpDenoiser;
pub use molrg_denoiser::MolrgDenoiser;
pub use phase_transition::{low_noise_schedule, PhaseTransition, PhaseTransitionParams};
pub use sampler::Sampler;
pub use schedule::NoiseSchedule;
