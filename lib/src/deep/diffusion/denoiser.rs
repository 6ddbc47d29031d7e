//! The denoiser interface and a diffusion model around one: the denoising loss
//! over sampled noise levels, training with the shared [`Trainer`], sampling.

use std::cell::RefCell;

use ndarray::{Array2, ArrayView1, ArrayView2};
use rand::Rng;
use rand_distr::StandardNormal;
use tch::{nn, Device, Kind, Tensor};

use super::sampler::Sampler;
use super::schedule::NoiseSchedule;
use crate::deep::data::TensorData;
use crate::deep::history::History;
use crate::deep::loss::{Forward, Loss};
use crate::deep::model::Net;
use crate::deep::tensor::{guarded, to_array2, to_tensor};
use crate::deep::trainer::Trainer;
use crate::data::{seeded_rng, SeededRng};
use crate::error::{check_finite, Error, Result};

/// A denoiser: an estimate of the clean `x₀` from `xₜ = s·x₀ + γ·ε`.
pub trait Denoiser {
    /// `x̂₀` for the rows of `x_t` (B × n), each at scale `s` and noise `gamma`
    /// (B × 1 tensors).
    fn denoise(&self, x_t: &Tensor, s: &Tensor, gamma: &Tensor) -> Tensor;

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
    /// Builds the denoiser with `build` on fresh weights on `device`, after
    /// seeding libtorch with `seed`.
    pub fn new(device: Device, seed: u64, schedule: NoiseSchedule, build: impl FnOnce(&nn::Path) -> Result<D>) -> Result<Self> {
        tch::manual_seed(seed as i64);
        let vs = nn::VarStore::new(device);
        let denoiser = build(&vs.root())?;
        Ok(DiffusionModel { vs, denoiser, schedule, seed, fits: 0, data_power: 1.0 })
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
        let net = Noising::new(self, self.seed.wrapping_add(1 + self.fits))?;
        let history = trainer.fit(&self.vs, &net, &data, &denoising_loss());
        self.fits += 1;
        history
    }

    /// The denoising loss of the rows of `x`, averaged over `n_draws` draws of
    /// level and noise per row (seeded), without training.
    pub fn loss(&self, x: ArrayView2<f64>, n_draws: usize, seed: u64) -> Result<f64> {
        self.check_data("x", x)?;
        if n_draws == 0 {
            return Err(Error::param("n_draws", "must be ≥ 1; got 0"));
        }
        let x0 = to_tensor("x", x, self.device())?.repeat([n_draws as i64, 1]);
        let net = Noising::new(self, seed)?;
        guarded("denoising loss", || {
            tch::no_grad(|| {
                let f = net.forward_t(&x0, false);
                denoising_loss().value(&crate::deep::data::Batch::new(x0.shallow_clone(), x0.shallow_clone()), &f).double_value(&[])
            })
        })
    }

    /// `x̂₀` for the rows of `x_t`, all at level `level` (1..=T) of the schedule.
    pub fn denoise(&self, x_t: ArrayView2<f64>, level: usize) -> Result<Array2<f64>> {
        self.check_data("x_t", x_t)?;
        self.check_level(level)?;
        let x = to_tensor("x_t", x_t, self.device())?;
        let (s, g) = self.level_tensors(level, x_t.nrows());
        let out = guarded("denoise", || tch::no_grad(|| self.denoiser.denoise(&x, &s, &g)))?;
        to_array2(&out)
    }

    /// The Jacobian `∂x̂₀/∂xₜ` (n × n) of the denoiser at the point `x_t`, at
    /// level `level` (1..=T).
    pub fn jacobian(&self, x_t: ArrayView1<f64>, level: usize) -> Result<Array2<f64>> {
        let row = x_t.insert_axis(ndarray::Axis(0));
        self.check_data("x_t", row)?;
        self.check_level(level)?;
        let n = x_t.len() as i64;
        // n copies of the point: row i of the output's gradient is ∂x̂₀ᵢ/∂x.
        let x = to_tensor("x_t", row, self.device())?.repeat([n, 1]).set_requires_grad(true);
        let (s, g) = self.level_tensors(level, n as usize);
        let eye = Tensor::eye(n, (Kind::Float, self.device()));
        let grad = guarded("jacobian", || {
            let out = self.denoiser.denoise(&x, &s, &g);
            let diag = (out * &eye).sum(Kind::Float);
            Tensor::run_backward(&[diag], &[&x], false, false).remove(0)
        })?;
        to_array2(&grad)
    }

    /// `n` samples drawn with `sampler`, seeded. The start is Gaussian with the
    /// variance of the noisiest level's marginal under the training data's power.
    pub fn sample(&self, n: usize, sampler: &Sampler, seed: u64) -> Result<Array2<f64>> {
        if n == 0 {
            return Err(Error::param("n", "of DiffusionModel::sample must be ≥ 1; got 0"));
        }
        let path = sampler.path(&self.schedule)?;
        let (s_max, g_max) = self.schedule.level(path[0]);
        tch::manual_seed(seed as i64);
        let out = guarded("sampling", || {
            tch::no_grad(|| {
                let start = Tensor::randn([n as i64, self.denoiser.dim() as i64], (Kind::Float, self.device()))
                    * (s_max * s_max * self.data_power + g_max * g_max).sqrt();
                sampler.run(&|x, level| self.denoise_at(x, level), &self.schedule, &path, start)
            })
        })?;
        to_array2(&out)
    }

    /// `x̂₀` of a batch tensor at a schedule level (no checks; for samplers).
    fn denoise_at(&self, x: &Tensor, level: usize) -> Tensor {
        let (s, g) = self.level_tensors(level, x.size()[0] as usize);
        self.denoiser.denoise(x, &s, &g)
    }

    fn level_tensors(&self, level: usize, rows: usize) -> (Tensor, Tensor) {
        let (s, g) = self.schedule.level(level);
        let opts = (Kind::Float, self.device());
        (Tensor::full([rows as i64, 1], s, opts), Tensor::full([rows as i64, 1], g, opts))
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
        Ok(Noising { denoiser: &model.denoiser, scale: model.level_table(0)?, sigma: model.level_table(1)?, rng: RefCell::new(seeded_rng(seed)) })
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
