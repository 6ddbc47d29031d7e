//! A generic denoiser to compare with the low-rank one: an MLP with a noise
//! embedding, preconditioned as in Karras, Aittala, Aila & Laine (NeurIPS 2022).
//!
//! With `σ = γ/s` and `x̃ = x/s` (so that `x̃ = x₀ + σε` for every schedule),
//! `x̂₀ = c_skip·x̃ + c_out·F(c_in·x̃, e(c_noise))` where
//! `c_skip = σ_d²/(σ² + σ_d²)`, `c_out = σσ_d/√(σ² + σ_d²)`,
//! `c_in = 1/√(σ² + σ_d²)`, `c_noise = ln(σ)/4`, σ_d the data's standard
//! deviation, and `e` sines and cosines of `c_noise` at frequencies 1..=8.
//! F has SiLU hidden layers. Cost per row: `O(Σ wᵢwᵢ₊₁)`.

use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::denoiser::{Denoiser, DiffusionModel};
use super::schedule::NoiseSchedule;
use crate::error::{Error, Result};

/// Frequencies of the noise embedding.
const N_FREQ: i64 = 8;

/// An MLP denoiser with noise conditioning.
#[derive(Debug)]
pub struct MlpDenoiser {
    layers: Vec<nn::Linear>,
    sigma_data: f64,
    freqs: Tensor,
    ambient: usize,
}

impl MlpDenoiser {
    /// Hidden widths `hidden` (at least one layer), data standard deviation
    /// `sigma_data` (> 0) for the preconditioning.
    pub fn new(p: &nn::Path, ambient: usize, hidden: &[usize], sigma_data: f64) -> Result<Self> {
        if ambient == 0 {
            return Err(Error::param("ambient", "of the MLP denoiser must be ≥ 1; got 0"));
        }
        if hidden.is_empty() || hidden.contains(&0) {
            return Err(Error::param("hidden", format!("of the MLP denoiser needs at least one layer, each width ≥ 1; got {hidden:?}")));
        }
        if !(sigma_data > 0.0 && sigma_data.is_finite()) {
            return Err(Error::param("sigma_data", format!("must be finite and > 0; got {sigma_data}")));
        }
        let mut widths = vec![(ambient as i64) + 2 * N_FREQ];
        widths.extend(hidden.iter().map(|&w| w as i64));
        widths.push(ambient as i64);
        let layers = widths.windows(2).enumerate().map(|(i, w)| nn::linear(p / format!("fc{i}"), w[0], w[1], Default::default())).collect();
        let freqs = Tensor::arange_start(1, N_FREQ + 1, (Kind::Float, p.device()));
        Ok(MlpDenoiser { layers, sigma_data, freqs, ambient })
    }

    fn network(&self, x: &Tensor) -> Tensor {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(x.shallow_clone(), |h, (i, l)| {
            let h = l.forward(&h);
            if i < last {
                h.silu()
            } else {
                h
            }
        })
    }
}

impl Denoiser for MlpDenoiser {
    fn denoise(&self, x: &Tensor, s: &Tensor, g: &Tensor) -> Tensor {
        let sd2 = self.sigma_data * self.sigma_data;
        let sigma = g / s;
        let xs = x / s;
        let total = sigma.square() + sd2;
        let c_in = total.rsqrt();
        let c_skip = total.reciprocal() * sd2;
        let c_out = &sigma * &c_in * self.sigma_data;
        let phase = (sigma.log() * 0.25) * &self.freqs; // B × N_FREQ
        let input = Tensor::cat(&[&xs * &c_in, phase.sin(), phase.cos()], 1);
        c_skip * xs + c_out * self.network(&input)
    }

    fn dim(&self) -> usize {
        self.ambient
    }
}

impl DiffusionModel<MlpDenoiser> {
    /// A diffusion model with an MLP denoiser of hidden widths `hidden` for
    /// data in R^`ambient` with standard deviation about `sigma_data`.
    pub fn mlp(ambient: usize, hidden: &[usize], sigma_data: f64, schedule: NoiseSchedule, device: Device, seed: u64) -> Result<Self> {
        DiffusionModel::new(device, seed, schedule, |p| MlpDenoiser::new(p, ambient, hidden, sigma_data))
    }
}
