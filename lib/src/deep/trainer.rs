//! The training loop every deep module uses: seeded minibatches, an optimiser
//! with a schedule, gradient clipping, validation metrics, early stopping,
//! callbacks, one progress line per epoch, and checkpoints a run resumes from.
//!
//! A run is repeatable on the CPU at a fixed libtorch thread count: the
//! initial weights come from the model's seed, the batch order from the
//! trainer's seed and the epoch. A checkpoint holds the weights, the
//! optimiser's moments and the history, so an interrupted run continues
//! exactly where it stopped (the same weights as one uninterrupted run).
//!
//! ```
//! use lowdim::deep::*;
//! use lowdim::prelude::*;
//! use tch::{nn, Device};
//! let ds = blobs(200, 3, 4, 0.5, 1).unwrap();
//! let data = TensorData::from_dataset(&ds, Device::Cpu).unwrap();
//! let mut model = Model::new(Device::Cpu, 0, |p| nn::seq().add(nn::linear(p / "fc", 4, 3, Default::default())));
//! let trainer = Trainer::new().epochs(20).lr(0.05).batch_size(32).log_every(0);
//! let history = model.fit(&trainer, &data, &Loss::cross_entropy()).unwrap();
//! assert_eq!(history.epochs(), 20);
//! assert!(model.accuracy(&data).unwrap() > 0.9);
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tch::{nn::VarStore, Kind, Tensor};

use super::checkpoint::{self, copy_weights, restore_weights, Weights};
use super::data::{epoch_batches, Batch, TensorData};
use super::history::{EpochRecord, History};
use super::loss::{total, Loss};
use super::model::{accuracy_of, Net, PREDICT_CHUNK};
use super::optim::{OptState, Optim, Schedule};
use super::tensor::guarded;
use crate::display::{self, LiveDisplay, Progress};
use crate::error::{Error, Result};

/// A figure measured after each epoch, on the validation data when there is
/// some, else on the training data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrainMetric {
    /// Arg-max accuracy against integer labels.
    Accuracy,
    /// Mean squared error of the output against the targets.
    Mse,
}

impl TrainMetric {
    fn name(&self) -> &'static str {
        match self {
            TrainMetric::Accuracy => "accuracy",
            TrainMetric::Mse => "mse",
        }
    }
}

/// What a callback tells the trainer after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// A function called after every epoch with its record.
pub type Callback = dyn Fn(&EpochRecord) -> Control;

/// Training settings; a builder with consuming setters. Defaults: Adam, lr
/// 1e-3, no weight decay, constant rate, 10 epochs, batch 64, shuffled, seed 0,
/// no clipping, no validation, no early stopping, a line every epoch.
#[derive(Clone)]
pub struct Trainer {
    optim: Optim,
    lr: f64,
    weight_decay: f64,
    schedule: Schedule,
    epochs: usize,
    batch_size: usize,
    shuffle: bool,
    seed: u64,
    clip: Option<f64>,
    validation: Option<TensorData>,
    metrics: Vec<TrainMetric>,
    patience: Option<usize>,
    checkpoint: Option<PathBuf>,
    log_every: usize,
    callbacks: Vec<Arc<Callback>>,
}

impl Default for Trainer {
    fn default() -> Self {
        Trainer::new()
    }
}

impl Trainer {
    /// The defaults listed on [`Trainer`].
    pub fn new() -> Self {
        Trainer {
            optim: Optim::adam(),
            lr: 1e-3,
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            epochs: 10,
            batch_size: 64,
            shuffle: true,
            seed: 0,
            clip: None,
            validation: None,
            metrics: Vec::new(),
            patience: None,
            checkpoint: None,
            log_every: 1,
            callbacks: Vec::new(),
        }
    }

    /// `optim`: [`Optim`], default Adam.
    pub fn optimizer(mut self, optim: Optim) -> Self {
        self.optim = optim;
        self
    }
    /// `lr`: f64 > 0, default 1e-3.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = lr;
        self
    }
    /// `weight_decay`: f64 ≥ 0, default 0 (L2 for Adam/SGD, decoupled for AdamW).
    pub fn weight_decay(mut self, wd: f64) -> Self {
        self.weight_decay = wd;
        self
    }
    /// `schedule`: [`Schedule`], default constant.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }
    /// `epochs`: usize ≥ 1, default 10.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }
    /// `batch_size`: usize ≥ 1, default 64.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }
    /// `shuffle`: bool, default true (false takes the rows in order every epoch).
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }
    /// `seed` of the batch order: u64, default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// `clip_grad_norm`: f64 > 0, default none.
    pub fn clip_grad_norm(mut self, max: f64) -> Self {
        self.clip = Some(max);
        self
    }
    /// Validation data for the loss, metrics and early stopping.
    pub fn validation(mut self, data: &TensorData) -> Self {
        self.validation = Some(data.clone());
        self
    }
    /// A metric measured after each epoch.
    pub fn metric(mut self, metric: TrainMetric) -> Self {
        self.metrics.push(metric);
        self
    }
    /// `patience`: stop after this many epochs without a lower validation
    /// (else training) loss, and restore the best epoch's weights.
    pub fn early_stopping(mut self, patience: usize) -> Self {
        self.patience = Some(patience);
        self
    }
    /// A directory for checkpoints, written after every epoch; a later `fit`
    /// with the same directory resumes from the last one.
    pub fn checkpoint(mut self, dir: impl AsRef<Path>) -> Self {
        self.checkpoint = Some(dir.as_ref().to_path_buf());
        self
    }
    /// `log_every`: print a progress line every this many epochs (0: silent), default 1.
    pub fn log_every(mut self, every: usize) -> Self {
        self.log_every = every;
        self
    }
    /// A function called after each epoch (a `fn` item or a closure); return
    /// [`Control::Stop`] to end training.
    pub fn callback(mut self, f: impl Fn(&EpochRecord) -> Control + 'static) -> Self {
        self.callbacks.push(Arc::new(f));
        self
    }

    /// The number of epochs.
    pub fn n_epochs(&self) -> usize {
        self.epochs
    }

    fn check(&self) -> Result<()> {
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(Error::param("lr", format!("must be a finite number > 0; got {}", self.lr)));
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return Err(Error::param("weight_decay", format!("must be finite and ≥ 0; got {}", self.weight_decay)));
        }
        if self.epochs == 0 {
            return Err(Error::param("epochs", "must be ≥ 1; got 0"));
        }
        if self.batch_size == 0 {
            return Err(Error::param("batch_size", "must be ≥ 1; got 0"));
        }
        if let Some(c) = self.clip.filter(|c| c.is_nan() || *c <= 0.0) {
            return Err(Error::param("clip_grad_norm", format!("must be > 0; got {c}")));
        }
        if let Schedule::Step { every: 0, .. } = self.schedule {
            return Err(Error::param("schedule", "Step needs `every` ≥ 1; got 0"));
        }
        self.optim.check()
    }

    /// Trains `net` (whose weights are in `vs`) on `train`, minimising `loss`.
    pub fn fit(&self, vs: &VarStore, net: &dyn Net, train: &TensorData, loss: &Loss) -> Result<History> {
        let mut kept = History::default();
        self.fit_keeping(vs, net, train, loss, &mut kept)
    }

    /// [`fit`](Self::fit), recording the epochs in `history` as they finish, so
    /// that it holds them also when training ends with an error (an interrupt,
    /// a diverged loss).
    pub(crate) fn fit_keeping(
        &self,
        vs: &VarStore,
        net: &dyn Net,
        train: &TensorData,
        loss: &Loss,
        history: &mut History,
    ) -> Result<History> {
        self.check()?;
        self.check_data(net, train, loss)?;
        *history = History::default();
        let mut run = Run::start(self, vs, net, train, loss, history)?;
        while run.epoch < self.epochs && run.history.stopped().is_none() {
            run.epoch(self)?;
        }
        run.progress.finish();
        Ok(run.history.clone())
    }

    /// One forward pass and loss on two rows, so that a wrong input width or a
    /// loss that does not fit the targets fails here with libtorch's message.
    fn check_data(&self, net: &dyn Net, train: &TensorData, loss: &Loss) -> Result<()> {
        if train.n_classes().is_none() && self.metrics.contains(&TrainMetric::Accuracy) {
            return Err(Error::param("metric", "Accuracy needs classification data (integer labels)"));
        }
        let probe = |data: &TensorData, what: &str| {
            let b = data.batch(&[0, (data.len() as i64 - 1).min(1)]);
            guarded(what, || tch::no_grad(|| loss.value(&b, &net.forward_t(b.x(), false)).double_value(&[])))
        };
        probe(train, "the model or loss does not fit the training data")?;
        if let Some(v) = &self.validation {
            if v.input_width() != train.input_width() {
                return Err(Error::data(format!(
                    "validation rows have width {} but training rows have {}",
                    v.input_width(),
                    train.input_width()
                )));
            }
            probe(v, "the model or loss does not fit the validation data")?;
        }
        Ok(())
    }
}

/// The mean of each named loss term.
type Terms = Vec<(String, f64)>;

/// The state of one training run.
struct Run<'a> {
    vs: &'a VarStore,
    net: &'a dyn Net,
    train: &'a TensorData,
    loss: &'a Loss,
    opt: OptState,
    /// The caller's: it keeps the finished epochs whatever ends the run.
    history: &'a mut History,
    epoch: usize,
    best: Option<(f64, usize, Weights)>,
    started: Instant,
    first_epoch: usize,
    total_steps: usize,
    progress: Progress,
    curves: LiveDisplay,
    curves_drawn: Option<Instant>,
}

impl<'a> Run<'a> {
    fn start(
        cfg: &Trainer,
        vs: &'a VarStore,
        net: &'a dyn Net,
        train: &'a TensorData,
        loss: &'a Loss,
        history: &'a mut History,
    ) -> Result<Self> {
        let per_epoch = train.len().div_ceil(cfg.batch_size);
        let mut run = Run {
            vs,
            net,
            train,
            loss,
            opt: OptState::new(cfg.optim, vs),
            history,
            epoch: 0,
            best: None,
            started: Instant::now(),
            first_epoch: 0,
            total_steps: per_epoch * cfg.epochs,
            progress: Progress::new("training", per_epoch * cfg.epochs),
            curves: LiveDisplay::new(),
            curves_drawn: None,
        };
        if let Some(dir) = &cfg.checkpoint {
            if dir.join("state.json").exists() {
                run.resume(dir)?;
                run.first_epoch = run.epoch;
                if cfg.log_every > 0 {
                    println!("resuming from {} after epoch {}", dir.display(), run.epoch);
                }
            }
        }
        Ok(run)
    }

    fn epoch(&mut self, cfg: &Trainer) -> Result<()> {
        let e = self.epoch;
        let weights = copy_weights(self.vs);
        let moments = self.opt.snapshot();
        let outcome = self.train_epoch(cfg);
        // An interrupted or diverged epoch is undone: the model keeps the last finished one.
        let undone = match &outcome {
            Err(Error::Interrupted(during)) => Some(Error::Interrupted(format!(
                "{during}; the model keeps the weights of epoch {e}, the last finished, and `model.history()` \
                 its {} epoch(s); `fit` again continues from there with a checkpoint directory",
                self.history.epochs()
            ))),
            Ok((loss, _, _)) if !loss.is_finite() => Some(Error::Training(format!(
                "the loss became {loss} in epoch {}; the weights are restored to the end of epoch {e}. \
                 Lower the learning rate or clip gradients (clip_grad_norm).",
                e + 1
            ))),
            _ => None,
        };
        if let Some(error) = undone {
            restore_weights(self.vs, &weights);
            self.opt.restore(&moments);
            return Err(error);
        }
        let (train_loss, terms, lr) = outcome?;
        let (val_loss, metrics) = self.evaluate(cfg)?;
        self.epoch += 1;
        let record =
            EpochRecord { epoch: self.epoch, train_loss, terms, val_loss, metrics, lr, seconds: self.started.elapsed().as_secs_f64() };
        self.log(cfg, &record);
        self.history.push(record.clone());
        self.draw_curves(cfg);
        self.early_stop(cfg, val_loss.unwrap_or(train_loss));
        if cfg.callbacks.iter().any(|c| c(&record) == Control::Stop) && self.history.stopped().is_none() {
            self.history.stop(format!("a callback stopped training after epoch {}", self.epoch));
        }
        if let Some(dir) = &cfg.checkpoint {
            self.save(dir)?;
        }
        Ok(())
    }

    /// Mean loss, mean of each term (when several) and the last learning rate.
    fn train_epoch(&mut self, cfg: &Trainer) -> Result<(f64, Terms, f64)> {
        let batches = epoch_batches(self.train.len(), cfg.batch_size, cfg.shuffle, cfg.seed, self.epoch);
        let per_epoch = batches.len();
        let names: Vec<String> = self.loss.names().iter().map(|s| s.to_string()).collect();
        let mut lr = cfg.lr;
        let mut stop = None;
        self.progress.set_label(format!("epoch {}/{}", self.epoch + 1, cfg.epochs));
        let (sum, term_sums) = guarded(&format!("epoch {}", self.epoch + 1), || {
            let mut sum = Tensor::zeros([], (Kind::Double, self.vs.device()));
            let n_terms = if names.len() > 1 { names.len() } else { 0 };
            let mut term_sums: Vec<Tensor> = (0..n_terms).map(|_| Tensor::zeros([], (Kind::Double, self.vs.device()))).collect();
            for (i, idx) in batches.iter().enumerate() {
                let step = self.epoch * per_epoch + i;
                if let Err(e) = self.progress.set(step) {
                    stop = Some(e);
                    break;
                }
                lr = cfg.schedule.rate(cfg.lr, self.epoch, step, self.total_steps);
                let b = self.train.batch(idx);
                let value = self.step(&b, cfg, lr, &mut term_sums);
                let _ = sum.g_add_(&(value.detach() * b.len() as f64));
            }
            (sum, term_sums)
        })?;
        if let Some(e) = stop {
            return Err(e);
        }
        let n = self.train.len() as f64;
        let terms = names.into_iter().zip(term_sums.iter()).map(|(name, s)| (name, s.double_value(&[]) / n)).collect();
        Ok((sum.double_value(&[]) / n, terms, lr))
    }

    fn step(&mut self, b: &Batch, cfg: &Trainer, lr: f64, term_sums: &mut [Tensor]) -> Tensor {
        self.opt.zero_grad();
        let forward = self.net.forward_t(b.x(), true);
        let parts = self.loss.parts(b, &forward);
        for (s, (_, v)) in term_sums.iter_mut().zip(&parts) {
            *s += v.detach().to_kind(Kind::Double) * b.len() as f64;
        }
        let value = total(parts);
        value.backward();
        if let Some(max) = cfg.clip {
            self.opt.clip_grad_norm(max);
        }
        self.opt.step(lr, cfg.weight_decay);
        tch::no_grad(|| self.net.after_step());
        value
    }

    fn evaluate(&self, cfg: &Trainer) -> Result<(Option<f64>, Terms)> {
        let val_loss = match &cfg.validation {
            Some(v) => Some(eval_loss(self.net, self.loss, v)?),
            None => None,
        };
        let on = cfg.validation.as_ref().unwrap_or(self.train);
        let metrics =
            cfg.metrics.iter().map(|m| Ok((m.name().to_string(), metric_value(*m, self.net, on)?))).collect::<Result<Vec<_>>>()?;
        Ok((val_loss, metrics))
    }

    fn early_stop(&mut self, cfg: &Trainer, monitored: f64) {
        let Some(patience) = cfg.patience else { return };
        let improved = self.best.as_ref().is_none_or(|(b, _, _)| monitored < *b);
        if improved {
            self.best = Some((monitored, self.epoch, copy_weights(self.vs)));
        } else if let Some((b, at, w)) = &self.best {
            if self.epoch - at >= patience {
                restore_weights(self.vs, w);
                self.history.stop(format!(
                    "early stopping after epoch {}: no lower loss than {b:.6} (epoch {at}) for {patience} epochs; \
                     the weights of epoch {at} are restored",
                    self.epoch
                ));
            }
        }
    }

    /// In the kernel, the loss curves grow in place while training runs (at
    /// most four redraws a second, and always after the last epoch).
    fn draw_curves(&mut self, cfg: &Trainer) {
        if !display::in_kernel() || cfg.log_every == 0 || cfg.epochs < 2 {
            return;
        }
        let last = self.epoch == cfg.epochs;
        let due = self.curves_drawn.is_none_or(|t| t.elapsed() >= Duration::from_millis(250));
        if !(last || due) {
            return;
        }
        if let Ok(figure) = self.history.figure() {
            let mut data = serde_json::Map::new();
            data.insert("application/vnd.plotly.v1+json".into(), figure.to_json());
            data.insert("text/plain".into(), format!("training curves after epoch {}", self.epoch).into());
            self.curves.show(data);
            self.curves_drawn = Some(Instant::now());
        }
    }

    fn log(&self, cfg: &Trainer, r: &EpochRecord) {
        if cfg.log_every == 0 || (r.epoch % cfg.log_every != 0 && r.epoch != cfg.epochs) {
            return;
        }
        let width = cfg.epochs.to_string().len();
        let mut line = format!("epoch {:>w$}/{}  loss {:.6}", r.epoch, cfg.epochs, r.train_loss, w = width);
        if let Some(v) = r.val_loss {
            line += &format!("  val_loss {v:.6}");
        }
        for (n, v) in &r.metrics {
            line += &format!("  {n} {v:.4}");
        }
        let per_epoch = r.seconds / (r.epoch - self.first_epoch).max(1) as f64;
        let eta = per_epoch * (cfg.epochs - r.epoch) as f64;
        line += &format!("  lr {:.2e}  {:.1}s  ETA {:.0}s", r.lr, r.seconds, eta);
        println!("{line}");
    }

    fn save(&self, dir: &Path) -> Result<()> {
        checkpoint::save(dir, self.vs, &self.opt, self.best.as_ref(), self.epoch, self.history)
    }

    fn resume(&mut self, dir: &Path) -> Result<()> {
        let (saved, best) = checkpoint::load(dir, self.vs, &mut self.opt)?;
        self.best = saved.best.zip(best).map(|((v, at), w)| (v, at, w));
        self.epoch = saved.epoch;
        *self.history = saved.history;
        self.history.resume();
        Ok(())
    }
}

/// The loss over all of `data` in evaluation mode, batch-size weighted.
fn eval_loss(net: &dyn Net, loss: &Loss, data: &TensorData) -> Result<f64> {
    guarded("validation", || {
        tch::no_grad(|| {
            let n = data.len() as i64;
            let mut total = 0.0;
            let mut start = 0;
            while start < n {
                let idx: Vec<i64> = (start..(start + PREDICT_CHUNK).min(n)).collect();
                let b = data.batch(&idx);
                total += loss.value(&b, &net.forward_t(b.x(), false)).double_value(&[]) * idx.len() as f64;
                start += PREDICT_CHUNK;
            }
            total / n as f64
        })
    })
}

fn metric_value(m: TrainMetric, net: &dyn Net, data: &TensorData) -> Result<f64> {
    match m {
        TrainMetric::Accuracy => accuracy_of(net, data),
        TrainMetric::Mse => {
            let out = super::model::eval_output(net, data.x())?;
            guarded("mse", || out.mse_loss(&data.y().to_kind(out.kind()), tch::Reduction::Mean).double_value(&[]))
        }
    }
}
