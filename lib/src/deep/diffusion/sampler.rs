//! Samplers that walk a noise schedule from its noisiest level to clean data
//! with any denoiser, written for the general forward process
//! `xₜ = sₜx₀ + γₜε` so that VP and VE schedules share one code path.
//!
//! From level `t` (scale `s`, noise `γ`) to an earlier level `p` (`s'`, `γ'`),
//! with `x̂₀` the denoiser's estimate and `ε̂ = (xₜ − s·x̂₀)/γ`:
//! - **DDPM** (ancestral; Ho et al. 2020): a draw from the forward process's
//!   posterior `q(x_p | xₜ, x̂₀)`, whose variance is `γ'²b²/γ²` with
//!   `b² = γ² − (s/s')²γ'²`;
//! - **DDIM** (Song, Meng & Ermon, ICLR 2021): `x_p = s'x̂₀ + √(γ'² − σ²)·ε̂ + σz`
//!   with `σ = η·` the DDPM standard deviation (`η = 0`: deterministic);
//! - **Euler / Heun** on the probability-flow ODE in Karras et al.'s form
//!   (NeurIPS 2022): with `σ = γ/s` and `x̃ = x/s`, `dx̃/dσ = (x̃ − x̂₀)/σ`;
//!   Heun adds the trapezoidal correction except on the last step to `σ = 0`.
//!   Deterministic DDIM is exactly the Euler step of this ODE.

use rand::Rng;
use rand_distr::StandardNormal;
use tch::{Device, Tensor};

use super::schedule::NoiseSchedule;
use crate::data::{seeded_rng, SeededRng};
use crate::error::{Error, Result};

/// How to draw samples, and in how many denoiser steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sampler {
    /// Ancestral sampling over `steps` levels.
    Ddpm { steps: usize },
    /// DDIM over `steps` levels with stochasticity `eta` in [0, 1].
    Ddim { steps: usize, eta: f64 },
    /// Euler steps of the probability-flow ODE.
    Euler { steps: usize },
    /// Heun (second-order) steps of the probability-flow ODE.
    Heun { steps: usize },
}

impl Sampler {
    /// Ancestral DDPM over `steps` evenly spaced levels.
    pub fn ddpm(steps: usize) -> Self {
        Sampler::Ddpm { steps }
    }

    /// Deterministic DDIM (η = 0) over `steps` levels.
    pub fn ddim(steps: usize) -> Self {
        Sampler::Ddim { steps, eta: 0.0 }
    }

    /// DDIM with stochasticity `eta` (0: deterministic, 1: DDPM's variance).
    pub fn ddim_eta(steps: usize, eta: f64) -> Self {
        Sampler::Ddim { steps, eta }
    }

    /// Euler on the probability-flow ODE.
    pub fn euler(steps: usize) -> Self {
        Sampler::Euler { steps }
    }

    /// Heun on the probability-flow ODE.
    pub fn heun(steps: usize) -> Self {
        Sampler::Heun { steps }
    }

    fn steps(&self) -> usize {
        match *self {
            Sampler::Ddpm { steps } | Sampler::Ddim { steps, .. } | Sampler::Euler { steps } | Sampler::Heun { steps } => steps,
        }
    }

    /// The levels visited, noisiest first, ending at 0; checks the parameters.
    pub(crate) fn path(&self, schedule: &NoiseSchedule) -> Result<Vec<usize>> {
        if let Sampler::Ddim { eta, .. } = *self {
            if !(0.0..=1.0).contains(&eta) {
                return Err(Error::param("eta", format!("of Sampler::Ddim must lie in [0, 1]; got {eta}")));
            }
        }
        schedule.sampling_path(self.steps())
    }

    /// Walks `path` from `x` with `denoise(x, level)`, drawing the stochastic
    /// samplers' noise from `noise`.
    pub(crate) fn run(
        &self,
        denoise: &dyn Fn(&Tensor, usize) -> Tensor,
        schedule: &NoiseSchedule,
        path: &[usize],
        x: Tensor,
        noise: &mut Gaussian,
    ) -> Result<Tensor> {
        let mut x = x;
        for w in path.windows(2) {
            crate::interrupt::check("diffusion sampling")?;
            let (t, p) = (w[0], w[1]);
            let x0 = denoise(&x, t);
            x = self.step(&x, &x0, schedule.level(t), schedule.level(p), &|x| denoise(x, p), noise)?;
        }
        Ok(x)
    }

    /// One step from level `(s, g)` to `(sp, gp)` given `x̂₀ = x0`.
    fn step(
        &self,
        x: &Tensor,
        x0: &Tensor,
        (s, g): (f64, f64),
        (sp, gp): (f64, f64),
        denoise_p: &dyn Fn(&Tensor) -> Tensor,
        noise: &mut Gaussian,
    ) -> Result<Tensor> {
        let a = s / sp;
        let b2 = (g * g - a * a * gp * gp).max(0.0);
        let posterior_var = gp * gp * b2 / (g * g);
        match *self {
            Sampler::Ddpm { .. } => {
                let mean = x * (a * gp * gp / (g * g)) + x0 * (sp * b2 / (g * g));
                Ok(mean + noise.like(x)? * posterior_var.sqrt())
            }
            Sampler::Ddim { eta, .. } => {
                let sd = eta * posterior_var.sqrt();
                // x̂₀·s' + ε̂·c with ε̂ = (x − x̂₀·s)/γ, gathered into two
                // scaled terms: three passes over the batch instead of six.
                let c = (gp * gp - sd * sd).max(0.0).sqrt() / g;
                let next = x0 * (sp - s * c) + x * c;
                // Deterministic DDIM draws no noise.
                if sd > 0.0 {
                    Ok(next + noise.like(x)? * sd)
                } else {
                    Ok(next)
                }
            }
            Sampler::Euler { .. } | Sampler::Heun { .. } => {
                let (r, rp) = (g / s, gp / sp);
                let xs = x / s;
                let d = (&xs - x0) / r;
                let euler = &xs + &d * (rp - r);
                let next = if matches!(self, Sampler::Heun { .. }) && rp > 0.0 {
                    let d2 = (&euler - denoise_p(&(&euler * sp))) / rp;
                    xs + (d + d2) * (0.5 * (rp - r))
                } else {
                    euler
                };
                Ok(next * sp)
            }
        }
    }
}

/// Standard normal draws for sampling, from a seeded generator of the crate's.
/// libtorch has one generator per process, so draws from it would depend on
/// what other threads (a parallel sweep, other tests) do with it meanwhile.
pub(crate) struct Gaussian(SeededRng);

impl Gaussian {
    pub(crate) fn new(seed: u64) -> Self {
        Gaussian(seeded_rng(seed))
    }

    /// A `rows × cols` float tensor of N(0, 1) draws on `device`, row by row.
    pub(crate) fn draw(&mut self, rows: usize, cols: usize, device: Device) -> Result<Tensor> {
        let v: Vec<f32> = (0..rows * cols).map(|_| self.0.sample(StandardNormal)).collect();
        Ok(Tensor::f_from_slice(&v)?.f_view([rows as i64, cols as i64])?.f_to_device(device)?)
    }

    /// N(0, 1) draws shaped like the matrix `x`, as floats on its device.
    fn like(&mut self, x: &Tensor) -> Result<Tensor> {
        let (rows, cols) = x.size2()?;
        self.draw(rows as usize, cols as usize, x.device())
    }
}
