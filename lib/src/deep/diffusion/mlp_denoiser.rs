//! A generic denoiser to compare with the low-rank one: an MLP with a noise
//! embedding, preconditioned as in Karras, Aittala, Aila & Laine (NeurIPS 2022).
//!
//! With `σ = γ/s` and `x̃ = x/s` (so that `x̃ = x₀ + σε` for every schedule),
//! `x̂₀ = c_skip·x̃ + c_out·F(c_in·x̃, e(c_noise))` where
//! `c_skip = σ_d²/(σ² + σ_d²)`, `c_out = σσ_d/√(σ² + σ_d²)`,
//! `c_in = 1/√(σ² + σ_d²)`, `c_noise = ln(σ)/4`, σ_d the data's standard
//! deviation, and `e` sines and cosines of `c_noise` at frequencies 1..=8.
//! F has SiLU hidden layers, initialised as tch's `nn::linear` initialises
//! them. Cost per row: `O(Σ wᵢwᵢ₊₁)`.

use rand::Rng;
use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::denoiser::{Denoiser, DiffusionModel, MAX_ELEMENTS};
use super::schedule::NoiseSchedule;
use crate::data::{seeded_rng, SeededRng};
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
    /// `sigma_data` (> 0) for the preconditioning, initial weights drawn from
    /// `seed`.
    pub fn new(p: &nn::Path, ambient: usize, hidden: &[usize], sigma_data: f64, seed: u64) -> Result<Self> {
        if ambient == 0 {
            return Err(Error::param("ambient", "of the MLP denoiser must be ≥ 1; got 0"));
        }
        if hidden.is_empty() || hidden.contains(&0) {
            return Err(Error::param("hidden", format!("of the MLP denoiser needs at least one layer, each width ≥ 1; got {hidden:?}")));
        }
        if !(sigma_data > 0.0 && sigma_data.is_finite()) {
            return Err(Error::param("sigma_data", format!("must be finite and > 0; got {sigma_data}")));
        }
        let mut widths = vec![ambient.saturating_add(2 * N_FREQ as usize)];
        widths.extend(hidden);
        widths.push(ambient);
        // Weights are drawn on the host first: refuse what would not fit.
        if widths.windows(2).any(|w| w[0].checked_mul(w[1]).is_none_or(|v| v > MAX_ELEMENTS)) {
            return Err(Error::param(
                "hidden",
                format!("of the MLP denoiser: every layer needs inputs × outputs ≤ 2^28; got widths {widths:?}"),
            ));
        }
        let widths: Vec<i64> = widths.into_iter().map(|w| w as i64).collect();
        let mut rng = seeded_rng(seed);
        let layers =
            widths.windows(2).enumerate().map(|(i, w)| linear(&(p / format!("fc{i}")), w[0], w[1], &mut rng)).collect::<Result<_>>()?;
        let freqs = Tensor::f_arange_start(1, N_FREQ + 1, (Kind::Float, p.device()))?;
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

/// A linear layer `i → o` initialised as tch's `nn::linear` does by default
/// (weights uniform in ±√(6/i), Kaiming with the ReLU gain; bias in ±1/√i),
/// but drawn from the crate's seeded generator: tch's initialisers draw from
/// libtorch's one global generator, which other threads share.
fn linear(p: &nn::Path, i: i64, o: i64, rng: &mut SeededRng) -> Result<nn::Linear> {
    let fan_in = i as f64;
    let mut uniform = |len: i64, bound: f64| -> Result<Tensor> {
        let v: Vec<f32> = (0..len).map(|_| rng.gen_range(-bound..bound) as f32).collect();
        Ok(Tensor::f_from_slice(&v)?.f_to_device(p.device())?)
    };
    // tch's names for the weights, so saved weights load into nn::linear too.
    let ws = p.f_var_copy("weight", &uniform(o * i, (6.0 / fan_in).sqrt())?.f_view([o, i])?)?;
    let bs = p.f_var_copy("bias", &uniform(o, 1.0 / fan_in.sqrt())?)?;
    Ok(nn::Linear { ws, bs: Some(bs) })
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
        let init = Self::init_seed(seed);
        DiffusionModel::assemble(device, seed, schedule, |p| MlpDenoiser::new(p, ambient, hidden, sigma_data, init))
    }
}
