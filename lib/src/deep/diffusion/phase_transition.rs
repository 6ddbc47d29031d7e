//! The phase transition of subspace recovery: for each intrinsic dimension dₖ
//! and number of samples per subspace Nₖ, train the MoLRG denoiser on
//! noise-free (or noisy) MoLRG data over several seeds and count how often it
//! recovers every subspace. Wang et al. (arXiv 2409.02426, 2024) prove recovery
//! once Nₖ ≥ dₖ, independently of the ambient dimension.
//!
//! Cost: Σ over the grid of (seeds × epochs) full-batch steps of the denoiser,
//! each `O(K·Nₖ·n·dₖ)`.

use ndarray::Array2;
use rayon::prelude::*;
use serde_json::json;
use tch::Device;

use super::denoiser::DiffusionModel;
use super::molrg_denoiser::MolrgDenoiser;
use super::schedule::NoiseSchedule;
use super::stream;
use crate::data::{Molrg, MolrgParams};
use crate::deep::optim::{Optim, Schedule};
use crate::deep::trainer::Trainer;
use crate::error::{Error, Result};
use crate::plot::Figure;
use crate::rng::derive;

/// Settings of a phase-transition sweep; build with [`PhaseTransition::params`].
#[derive(Clone, Debug)]
pub struct PhaseTransitionParams {
    ambient: usize,
    n_subspaces: usize,
    dims: Vec<usize>,
    max_ratio: usize,
    seeds: usize,
    n_init: usize,
    epochs: usize,
    lr: f64,
    noise: f64,
    tolerance: f64,
    schedule: NoiseSchedule,
    device: Device,
}

/// Success rates of subspace recovery over (dₖ, Nₖ).
#[derive(Clone, Debug)]
pub struct PhaseTransition {
    /// The intrinsic dimensions dₖ swept (rows).
    pub dims: Vec<usize>,
    /// `success[i][j]`: share of seeds that recovered every subspace with
    /// dₖ = `dims[i]` and Nₖ = j + 1 samples per subspace.
    pub success: Vec<Vec<f64>>,
    /// `error[i][j]`: the median over seeds of the largest relative recovery
    /// error ‖UₖUₖᵀ − U*ₖU*ₖᵀ‖_F / √(2dₖ).
    pub error: Vec<Vec<f64>>,
    /// The relative error below which a subspace counts as recovered.
    pub tolerance: f64,
}

impl PhaseTransition {
    /// Defaults: the paper's setting of ambient dimension 48 with K = 2
    /// orthogonal subspaces, dₖ from 2 to 12, Nₖ from 1 to 3dₖ, 3 seeds, the
    /// best of 3 random starts, 300 full-batch gradient steps with the learning
    /// rate annealed from 20 to 0 (cosine) on [`low_noise_schedule`], noise-free data, tolerance 0.2 (below
    /// √(1/12) ≈ 0.29, the relative error of a 12-dimensional basis that misses
    /// one direction).
    pub fn params() -> PhaseTransitionParams {
        PhaseTransitionParams {
            ambient: 48,
            n_subspaces: 2,
            dims: (2..=12).collect(),
            max_ratio: 3,
            seeds: 3,
            n_init: 3,
            epochs: 300,
            lr: 20.0,
            noise: 0.0,
            tolerance: 0.2,
            schedule: low_noise_schedule(),
            device: Device::Cpu,
        }
    }

    /// The smallest Nₖ at which at least half the seeds recovered every
    /// subspace, for dimension `dims[row]` (`None` if none did).
    pub fn transition(&self, row: usize) -> Option<usize> {
        self.success.get(row)?.iter().position(|&r| r >= 0.5).map(|j| j + 1)
    }

    /// The mean success rate over the cells with Nₖ ≥ `from(dₖ)`: the share of
    /// all trainings there (cells × seeds, each the best of `n_init` starts)
    /// that recovered every subspace. One minus it is how often training
    /// above the threshold fails (typically in a spurious minimum of the
    /// clustering). 0 if no cell qualifies.
    pub fn success_above(&self, from: impl Fn(usize) -> usize) -> f64 {
        let rates: Vec<f64> =
            self.dims.iter().zip(&self.success).flat_map(|(&d, row)| row.iter().skip(from(d).saturating_sub(1)).copied()).collect();
        rates.iter().sum::<f64>() / rates.len().max(1) as f64
    }

    /// A heatmap of the success rate over (Nₖ, dₖ) with the line Nₖ = dₖ.
    pub fn figure(&self) -> Result<Figure> {
        let width = self.success.iter().map(Vec::len).max().unwrap_or(0);
        let z: Vec<Vec<Option<f64>>> = self.success.iter().map(|row| (0..width).map(|j| row.get(j).copied()).collect()).collect();
        let x: Vec<usize> = (1..=width).collect();
        let mut fig = Figure::new(vec![
            json!({"type": "heatmap", "x": x, "y": self.dims, "z": z, "colorscale": "Viridis", "zmin": 0, "zmax": 1,
                   "colorbar": {"title": "recovered"}}),
            json!({"type": "scatter", "mode": "lines", "x": self.dims, "y": self.dims, "name": "Nₖ = dₖ",
                   "line": {"color": "red", "dash": "dash"}}),
        ]);
        fig = fig
            .title("Subspace recovery by the trained MoLRG denoiser")
            .axis_labels(&["samples per subspace Nₖ", "intrinsic dimension dₖ"]);
        Ok(fig)
    }

    /// Renders [`figure`](Self::figure) in a notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(f) => f.evcxr_display(),
            Err(e) => println!("{e}"),
        }
    }
}

/// The schedule of the sweep: VE with γ geometric from 1e-3 to 0.1 over 100
/// levels. At these sample sizes the gradient of the denoising loss at high
/// noise is mostly noise (its signal, the PCA / K-subspaces term, is weighted
/// by s²/(s² + γ²), its variance grows with γ²), and the directions of least
/// variance in Nₖ ≈ dₖ samples are weak; low noise levels keep the gradient
/// close to its mean, so a few hundred steps reach the minimiser.
pub fn low_noise_schedule() -> NoiseSchedule {
    // Valid constants, so the checks cannot fail.
    NoiseSchedule::ve(100, 1e-3, 0.1).unwrap_or_else(|_| unreachable!())
}

impl PhaseTransitionParams {
    /// `ambient`: the data's dimension n, default 48.
    pub fn ambient(mut self, n: usize) -> Self {
        self.ambient = n;
        self
    }

    /// `n_subspaces`: K, default 2.
    pub fn n_subspaces(mut self, k: usize) -> Self {
        self.n_subspaces = k;
        self
    }

    /// `dims`: the intrinsic dimensions swept, default 2..=12.
    pub fn dims(mut self, dims: &[usize]) -> Self {
        self.dims = dims.to_vec();
        self
    }

    /// `max_ratio`: Nₖ runs from 1 to `max_ratio`·dₖ, default 3.
    pub fn max_ratio(mut self, r: usize) -> Self {
        self.max_ratio = r;
        self
    }

    /// `seeds`: repetitions per cell, default 3.
    pub fn seeds(mut self, seeds: usize) -> Self {
        self.seeds = seeds;
        self
    }

    /// `n_init`: trainings from different random bases per cell; the one
    /// with the lowest denoising loss is kept (the landscape of K ≥ 2
    /// subspaces has the local minima of K-subspaces). Default 3.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// `epochs`: full-batch gradient steps per training, default 300.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// `lr`: the learning rate of plain SGD (no momentum, full batch, annealed
    /// to 0 by a cosine), default 20.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }

    /// `noise`: standard deviation of isotropic noise on the data, default 0.
    pub fn noise(mut self, noise: f64) -> Self {
        self.noise = noise;
        self
    }

    /// `tolerance`: relative recovery error counted as success, default 0.2.
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// `schedule`: the noise schedule of training, default [`low_noise_schedule`].
    pub fn schedule(mut self, schedule: NoiseSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// `device`: where to train, default the CPU (the models are tiny).
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    fn check(&self) -> Result<()> {
        if self.n_subspaces == 0 {
            return Err(Error::param("n_subspaces", "must be ≥ 1 (K = 0 has nothing to recover); got 0"));
        }
        if self.dims.is_empty() {
            return Err(Error::param("dims", "must hold at least one dimension"));
        }
        if let Some(&d) = self.dims.iter().find(|&&d| d == 0 || d * self.n_subspaces > self.ambient) {
            return Err(Error::param(
                "dims",
                format!(
                    "each d must satisfy 1 ≤ K·d ≤ ambient = {} (orthogonal subspaces); got d = {d} with K = {}",
                    self.ambient, self.n_subspaces
                ),
            ));
        }
        for (name, v) in [("max_ratio", self.max_ratio), ("seeds", self.seeds), ("n_init", self.n_init), ("epochs", self.epochs)] {
            if v == 0 {
                return Err(Error::param(name, "must be ≥ 1; got 0"));
            }
        }
        if !(self.tolerance > 0.0 && self.tolerance.is_finite()) {
            return Err(Error::param("tolerance", format!("must be finite and > 0; got {}", self.tolerance)));
        }
        Ok(())
    }

    /// The largest relative recovery error after training on `per_class`
    /// samples per subspace of dimension `d`, for one seed.
    pub fn recovery_error(&self, d: usize, per_class: usize, seed: u64) -> Result<f64> {
        let (data, model) = self.train_cell(d, per_class, seed)?;
        Ok(model.recovery(&data.bases)?.max_error / (2.0 * d as f64).sqrt())
    }

    /// One cell of the sweep: `per_class` samples per subspace of dimension
    /// `d` drawn with `seed` (the bases depend on `d` and `seed` only), and the
    /// model of lowest denoising loss among `n_init` trainings from random
    /// starts on them.
    pub fn train_cell(&self, d: usize, per_class: usize, seed: u64) -> Result<(Molrg, DiffusionModel<MolrgDenoiser>)> {
        self.check()?;
        let ranks = vec![d; self.n_subspaces];
        let n_samples =
            per_class.checked_mul(self.n_subspaces).ok_or_else(|| Error::param("per_class", format!("is too large; got {per_class}")))?;
        let data = MolrgParams::new(self.ambient, &ranks).orthogonal(true).balanced(true).noise(self.noise).sample(n_samples, seed)?;
        let trainer = Trainer::new()
            .optimizer(Optim::sgd(0.0))
            .lr(self.lr)
            .schedule(Schedule::Cosine { min_lr: 0.0 })
            .epochs(self.epochs)
            .batch_size(n_samples)
            .shuffle(false)
            .log_every(0);
        let mut best: Option<(f64, DiffusionModel<MolrgDenoiser>)> = None;
        for init in 0..self.n_init as u64 {
            // Hashed, not seed·1000 + init: no overflow, and distinct (seed, init) pairs get unrelated starts.
            let start = derive(seed, stream::STARTS, init);
            let mut model = DiffusionModel::molrg(self.ambient, &ranks, self.schedule.clone(), self.device, start)?;
            model.fit(&trainer, data.data.view())?;
            let loss = model.loss(data.data.view(), 20, seed)?;
            if best.as_ref().is_none_or(|(l, _)| loss < *l) {
                best = Some((loss, model));
            }
        }
        let (_, model) = best.ok_or_else(|| Error::param("n_init", "must be ≥ 1; got 0"))?;
        Ok((data, model))
    }

    /// Runs the sweep, cells in parallel; each cell's result depends only on
    /// its (dₖ, Nₖ, seed), so the grid is the same at any thread count.
    pub fn run(&self) -> Result<PhaseTransition> {
        self.check()?;
        let cells: Vec<(usize, usize, u64)> = self
            .dims
            .iter()
            .flat_map(|&d| (1..=self.max_ratio * d).flat_map(move |n| (0..self.seeds as u64).map(move |s| (d, n, s))))
            .collect();
        let errors = cells.par_iter().map(|&(d, n, s)| self.recovery_error(d, n, s)).collect::<Result<Vec<f64>>>()?;
        let mut chunks = errors.chunks(self.seeds);
        let mut success = Vec::with_capacity(self.dims.len());
        let mut error = Vec::with_capacity(self.dims.len());
        for &d in &self.dims {
            let (rates, medians): (Vec<f64>, Vec<f64>) = chunks
                .by_ref()
                .take(self.max_ratio * d)
                .map(|errs| {
                    let mut errs = errs.to_vec();
                    errs.sort_by(f64::total_cmp);
                    (errs.iter().filter(|&&e| e < self.tolerance).count() as f64 / errs.len() as f64, errs[errs.len() / 2])
                })
                .unzip();
            success.push(rates);
            error.push(medians);
        }
        Ok(PhaseTransition { dims: self.dims.clone(), success, error, tolerance: self.tolerance })
    }
}

impl PhaseTransition {
    /// The success grid as a dense matrix (rows dₖ, columns Nₖ; NaN past
    /// `max_ratio`·dₖ).
    pub fn success_matrix(&self) -> Array2<f64> {
        let width = self.success.iter().map(Vec::len).max().unwrap_or(0);
        Array2::from_shape_fn((self.dims.len(), width), |(i, j)| self.success[i].get(j).copied().unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_above_is_the_mean_rate_past_the_threshold() {
        let pt = PhaseTransition {
            dims: vec![2, 3],
            success: vec![vec![0.0, 0.5, 1.0], vec![0.0, 0.0, 0.5, 1.0]],
            error: vec![],
            tolerance: 0.2,
        };
        // Cells from Nₖ = dₖ: 0.5, 1.0 (d = 2) and 0.5, 1.0 (d = 3).
        assert_eq!(pt.success_above(|d| d), 0.75);
        assert_eq!(pt.success_above(|d| d + 1), 1.0);
        assert_eq!(pt.success_above(|d| d + 5), 0.0);
        assert_eq!(pt.transition(0), Some(2));
        assert_eq!(pt.transition(1), Some(3));
    }
}
