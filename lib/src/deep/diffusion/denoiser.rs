//! The denoiser interface and a diffusion model around one: the denoising loss
//! over sampled noise levels, training with the shared [`Trainer`], sampling.

use std::cell::RefCell;

use ndarray::{Array2, ArrayView1, ArrayView2};
use rand::Rng;
use rand_distr::StandardNormal;
use tch::{nn, Device, Kind, Tensor};

use super::sampler::{Gaussian, Sampler};
use super::schedule::NoiseSchedule;
use super::stream;
use crate::data::{seeded_rng, SeededRng};
use crate::deep::data::TensorData;
use crate::deep::history::History;
use crate::deep::loss::{Forward, Loss};
use crate::deep::model::Net;
use crate::deep::tensor::{guarded, to_array2, to_tensor, with_torch_seed};
use crate::deep::trainer::Trainer;
use crate::error::{check_finite, Error, Result};
use crate::rng::derive;

/// The most values one call may put in a tensor it builds from user sizes
/// (2²⁸ floats, 1 GiB): past it, ask for fewer rows or draws per call.
pub(super) const MAX_ELEMENTS: usize = 1 << 28;

/// A denoiser: an estimate of the clean `x₀` from `xₜ = s·x₀ + γ·ε`.
pub trait Denoiser {
    /// `x̂₀` for the rows of `x_t` (B × n), each at scale `s` and noise `gamma`
    /// (B × 1 tensors).
    fn denoise(&self, x_t: &Tensor, s: &Tensor, gamma: &Tensor) -> Tensor;

    /// `x̂₀` for rows that all sit at one level, as a sampler asks: by default
    /// [`denoise`](Self::denoise) with constant columns.
    fn denoise_level(&self, x_t: &Tensor, s: f64, gamma: f64) -> Tensor {
        let (rows, opts) = (x_t.size()[0], (Kind::Float, x_t.device()));
        self.denoise(x_t, &Tensor::full([rows, 1], s, opts), &Tensor::full([rows, 1], gamma, opts))
    }

    /// Runs after every optimiser step, without gradients (a retraction).
    fn after_step(&self) {}

    /// The ambient dimension `n` of the data.
    fn dim(&self) -> usize;
}

/// A denoiser, its weights and its noise schedule.
///
/// ```
/// use lowdim::prelude::*;
/// let m = MolrgParams::new(8, &[2, 2]).orthogonal(true).sample(200, 0)?;
/// let mut model = DiffusionModel::molrg(8, &[2, 2], NoiseSchedule::vp(), tch::Device::Cpu, 0)?;
/// model.fit(&Trainer::new().epochs(2).log_every(0), m.data.view())?;
/// let x = model.sample(50, &Sampler::ddim(20), 1)?;
/// assert_eq!(x.dim(), (50, 8));
/// # Ok::<(), lowdim::Error>(())
/// ```
pub struct DiffusionModel<D> {
    vs: nn::VarStore,
    denoiser: D,
    schedule: NoiseSchedule,
    seed: u64,
    fits: u64,
    /// Mean squared coordinate of the training data, for the sampler's start.
    data_power: f64,
}

impl<D> std::fmt::Debug for DiffusionModel<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DiffusionModel({} schedule, {} levels, on {:?})", self.schedule.kind(), self.schedule.n_levels(), self.vs.device())
    }
}

impl<D: Denoiser> DiffusionModel<D> {
    /// Builds a denoiser of your own with `build` on fresh weights on
    /// `device`, right after seeding libtorch with `seed` under a crate-wide
    /// lock, so initial weights drawn by tch's initialisers repeat with the
    /// seed whatever other threads do. A panic in `build` (a libtorch error on
    /// a bad size) comes back as an `Err`.
    pub fn new(device: Device, seed: u64, schedule: NoiseSchedule, build: impl FnOnce(&nn::Path) -> Result<D>) -> Result<Self> {
        with_torch_seed(seed, || Self::assemble(device, seed, schedule, build))
    }

    /// [`new`](Self::new) for denoisers that draw their initial weights from
    /// the crate's own seeded generators, which need no lock.
    pub(super) fn assemble(device: Device, seed: u64, schedule: NoiseSchedule, build: impl FnOnce(&nn::Path) -> Result<D>) -> Result<Self> {
        let vs = nn::VarStore::new(device);
        let denoiser = guarded("building the denoiser", || build(&vs.root()))??;
        Ok(DiffusionModel { vs, denoiser, schedule, seed, fits: 0, data_power: 1.0 })
    }

    /// The seed of the initial weights, for denoisers built by this crate.
    pub(super) fn init_seed(seed: u64) -> u64 {
        derive(seed, stream::INIT, 0)
    }

    /// Sets the mean squared coordinate of the data the sampler starts from.
    pub(super) fn set_data_power(&mut self, power: f64) {
        self.data_power = power;
    }

    /// The denoiser.
    pub fn denoiser(&self) -> &D {
        &self.denoiser
    }

    /// The noise schedule.
    pub fn schedule(&self) -> &NoiseSchedule {
        &self.schedule
    }

    /// Replaces the schedule. The denoiser works at any noise level; the
    /// schedule decides where training draws levels and where samplers walk,
    /// so a model trained on low noise can sample along a full-range schedule.
    pub fn set_schedule(&mut self, schedule: NoiseSchedule) {
        self.schedule = schedule;
    }

    /// The weights.
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Trains on the rows of `x` by minimising the denoising loss
    /// `E‖x̂₀(sₜx₀ + γₜε) − x₀‖²` with `t` uniform over the schedule's levels
    /// and fresh noise in every step; `trainer` sets the optimiser, epochs and
    /// batches. The noise repeats with the model's seed.
    pub fn fit(&mut self, trainer: &Trainer, x: ArrayView2<f64>) -> Result<History> {
        self.check_data("x", x)?;
        let data = TensorData::unsupervised(x, self.device())?;
        self.data_power = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        let net = Noising::new(self, derive(self.seed, stream::NOISING, self.fits))?;
        let history = trainer.fit(&self.vs, &net, &data, &denoising_loss());
        self.fits += 1;
        history
    }

    /// The denoising loss of the rows of `x`, averaged over `n_draws` draws of
    /// level and noise per row (seeded), without training.
    pub fn loss(&self, x: ArrayView2<f64>, n_draws: usize, seed: u64) -> Result<f64> {
        self.check_data("x", x)?;
        let values = n_draws.checked_mul(x.len()).filter(|&v| v <= MAX_ELEMENTS);
        if n_draws == 0 || values.is_none() {
            return Err(Error::param(
                "n_draws",
                format!("of DiffusionModel::loss must be ≥ 1 with n_draws × rows × columns ≤ 2^28; got {n_draws} draws of {:?}", x.dim()),
            ));
        }
        let x = to_tensor("x", x, self.device())?;
        let net = Noising::new(self, derive(seed, stream::LOSS, 0))?;
        guarded("denoising loss", || {
            tch::no_grad(|| -> Result<f64> {
                let x0 = x.f_repeat([n_draws as i64, 1])?;
                let f = net.forward_t(&x0, false);
                let batch = crate::deep::data::Batch::new(x0.shallow_clone(), x0.shallow_clone());
                Ok(denoising_loss().value(&batch, &f).f_double_value(&[])?)
            })
        })?
    }

    /// `x̂₀` for the rows of `x_t`, all at level `level` (1..=T) of the schedule.
    pub fn denoise(&self, x_t: ArrayView2<f64>, level: usize) -> Result<Array2<f64>> {
        self.check_data("x_t", x_t)?;
        self.check_level(level)?;
        let x = to_tensor("x_t", x_t, self.device())?;
        let out = guarded("denoise", || tch::no_grad(|| self.denoise_at(&x, level)))?;
        to_array2(&out)
    }

    /// The Jacobian `∂x̂₀/∂xₜ` (n × n) of the denoiser at the point `x_t`, at
    /// level `level` (1..=T).
    pub fn jacobian(&self, x_t: ArrayView1<f64>, level: usize) -> Result<Array2<f64>> {
        let row = x_t.insert_axis(ndarray::Axis(0));
        self.check_data("x_t", row)?;
        self.check_level(level)?;
        let n = x_t.len() as i64;
        let point = to_tensor("x_t", row, self.device())?;
        let grad = guarded("jacobian", || -> Result<Tensor> {
            // n copies of the point: row i of the output's gradient is ∂x̂₀ᵢ/∂x.
            let x = point.f_repeat([n, 1])?.set_requires_grad(true);
            let eye = Tensor::f_eye(n, (Kind::Float, self.device()))?;
            let diag = (self.denoise_at(&x, level) * &eye).sum(Kind::Float);
            Ok(Tensor::run_backward(&[diag], &[&x], false, false).remove(0))
        })??;
        to_array2(&grad)
    }

    /// `n` samples drawn with `sampler`, seeded. The start is Gaussian with the
    /// variance of the noisiest level's marginal under the training data's
    /// power; it and the stochastic samplers' noise come from the crate's
    /// seeded generator, so a seed gives the same samples on any thread.
    pub fn sample(&self, n: usize, sampler: &Sampler, seed: u64) -> Result<Array2<f64>> {
        let dim = self.denoiser.dim();
        if n == 0 || n.checked_mul(dim).is_none_or(|v| v > MAX_ELEMENTS) {
            return Err(Error::param(
                "n",
                format!("of DiffusionModel::sample must lie in [1, 2^28 / {dim} columns]; got {n}; draw in batches"),
            ));
        }
        let path = sampler.path(&self.schedule)?;
        let top = path.first().copied().unwrap_or(0);
        let (s_max, g_max) = self.schedule.level(top);
        let spread = (s_max * s_max * self.data_power + g_max * g_max).sqrt();
        let mut noise = Gaussian::new(derive(seed, stream::SAMPLING, 0));
        let start = noise.draw(n, dim, self.device())?;
        let out = guarded("sampling", || {
            tch::no_grad(|| sampler.run(&|x, level| self.denoise_at(x, level), &self.schedule, &path, start * spread, &mut noise))
        })??;
        to_array2(&out)
    }

    /// `x̂₀` of a batch tensor at a schedule level (no checks; for samplers).
    fn denoise_at(&self, x: &Tensor, level: usize) -> Tensor {
        let (s, g) = self.schedule.level(level);
        self.denoiser.denoise_level(x, s, g)
    }

    /// Column `which` (0: scale, 1: sigma) of the schedule for levels 0..=T.
    fn level_table(&self, which: usize) -> Result<Tensor> {
        let v: Vec<f32> = (0..=self.schedule.n_levels())
            .map(|t| {
                let (s, g) = self.schedule.level(t);
                (if which == 0 { s } else { g }) as f32
            })
            .collect();
        Ok(Tensor::f_from_slice(&v)?.f_to_device(self.device())?)
    }

    fn check_data(&self, name: &'static str, x: ArrayView2<f64>) -> Result<()> {
        if x.nrows() == 0 || x.ncols() != self.denoiser.dim() {
            return Err(Error::param(
                name,
                format!("must be a non-empty matrix with {} columns (the model's dimension); got {:?}", self.denoiser.dim(), x.dim()),
            ));
        }
        check_finite(name, &x)
    }

    fn check_level(&self, level: usize) -> Result<()> {
        let t = self.schedule.n_levels();
        if level == 0 || level > t {
            return Err(Error::param("level", format!("must lie in [1, T = {t}]; got {level}")));
        }
        Ok(())
    }
}

/// `E‖x̂₀ − x₀‖²`: the squared error summed over coordinates, averaged over rows.
fn denoising_loss() -> Loss {
    Loss::new("denoising", |b, f| (f.output() - b.y()).square().sum_dim_intlist(1, false, Kind::Float).mean(Kind::Float))
}

/// The training view of a denoiser: noises each clean batch at random levels
/// and denoises it. Levels and noise come from a generator of its own, so a
/// training run repeats whatever else uses libtorch's generator, on any thread.
struct Noising<'a, D> {
    denoiser: &'a D,
    scale: Tensor,
    sigma: Tensor,
    rng: RefCell<SeededRng>,
}

impl<'a, D: Denoiser> Noising<'a, D> {
    fn new(model: &'a DiffusionModel<D>, seed: u64) -> Result<Self> {
        Ok(Noising {
            denoiser: &model.denoiser,
            scale: model.level_table(0)?,
            sigma: model.level_table(1)?,
            rng: RefCell::new(seeded_rng(seed)),
        })
    }
}

impl<D: Denoiser> Net for Noising<'_, D> {
    fn forward_t(&self, x0: &Tensor, _train: bool) -> Forward {
        let (b, n) = (x0.size()[0], x0.size()[1]);
        let top = self.scale.size()[0] - 1;
        let mut rng = self.rng.borrow_mut();
        let t: Vec<i64> = (0..b).map(|_| rng.gen_range(1..=top)).collect();
        let eps: Vec<f32> = (0..b * n).map(|_| rng.sample::<f32, _>(StandardNormal)).collect();
        let t = Tensor::from_slice(&t).to_device(x0.device());
        let eps = Tensor::from_slice(&eps).view([b, n]).to_device(x0.device());
        let s = self.scale.index_select(0, &t).unsqueeze(1);
        let g = self.sigma.index_select(0, &t).unsqueeze(1);
        let x_t = &s * x0 + &g * eps;
        Forward::new(self.denoiser.denoise(&x_t, &s, &g))
    }

    fn after_step(&self) {
        self.denoiser.after_step();
    }
}
