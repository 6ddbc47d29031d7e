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

pub use analysis::{JacobianSpectrum, Memorization};
pub use denoiser::{Denoiser, DiffusionModel};
pub use mlp_denoiser::MlpDenoiser;
pub use molrg_denoiser::MolrgDenoiser;
pub use phase_transition::{low_noise_schedule, PhaseTransition, PhaseTransitionParams};
pub use sampler::Sampler;
pub use schedule::NoiseSchedule;
