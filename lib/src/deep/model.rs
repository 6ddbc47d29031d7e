//! A trainable network and its weights in one value a notebook can keep.

use std::path::Path;

use ndarray::{Array2, ArrayView2};
use tch::{nn, Device, Kind, Tensor};

use super::data::TensorData;
use super::history::History;
use super::loss::{Forward, Loss};
use super::tensor::{guarded, to_array2, to_tensor};
use super::trainer::Trainer;
use crate::error::{Error, Result};

/// A network: a forward pass in training or evaluation mode.
pub trait Net {
    /// The forward pass of a batch `x`; `train` switches dropout/batch-norm.
    fn forward_t(&self, x: &Tensor, train: bool) -> Forward;

    /// Runs after every optimiser step, without gradients: the place for a
    /// constraint on the weights (a retraction onto orthonormal bases, a
    /// projection). Does nothing by default.
    fn after_step(&self) {}
}

impl Net for nn::Sequential {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Forward {
        Forward::new(nn::Module::forward(self, x))
    }
}

impl Net for nn::SequentialT {
    fn forward_t(&self, x: &Tensor, train: bool) -> Forward {
        Forward::new(nn::ModuleT::forward_t(self, x, train))
    }
}

impl Net for nn::Linear {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Forward {
        Forward::new(nn::Module::forward(self, x))
    }
}

/// The device lowdim uses unless told otherwise: the first CUDA GPU when one is
/// visible, else the CPU.
pub fn default_device() -> Device {
    Device::cuda_if_available()
}

/// Rows per forward pass when predicting, to bound memory on large inputs.
pub(crate) const PREDICT_CHUNK: i64 = 4096;

/// Weights (a `VarStore`) and the network that uses them.
///
/// ```
/// use lowdim::deep::*;
/// use tch::{nn, Device};
/// let model = Model::new(Device::Cpu, 0, |p| nn::seq().add(nn::linear(p / "fc", 4, 3, Default::default())));
/// assert_eq!(model.n_parameters(), 15);
/// let out = model.predict(ndarray::Array2::zeros((2, 4)).view()).unwrap();
/// assert_eq!(out.dim(), (2, 3));
/// ```
pub struct Model {
    vs: nn::VarStore,
    net: Box<dyn Net>,
    history: History,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Model({} parameters on {:?})", self.n_parameters(), self.vs.device())
    }
}

impl Model {
    /// Builds the network with `build` on a fresh `VarStore` on `device`,
    /// after seeding libtorch with `seed` so the initial weights repeat.
    pub fn new<N: Net + 'static>(device: Device, seed: u64, build: impl FnOnce(&nn::Path) -> N) -> Self {
        let vs = nn::VarStore::new(device);
        let net: Box<dyn Net> = super::tensor::with_torch_seed(seed, || Box::new(build(&vs.root())));
        Model { vs, net, history: History::default() }
    }

    /// The weights.
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    /// The network.
    pub fn net(&self) -> &dyn Net {
        self.net.as_ref()
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Number of trainable scalars.
    pub fn n_parameters(&self) -> usize {
        self.vs.trainable_variables().iter().map(|t| t.numel()).sum()
    }

    /// Trains with `trainer` on `train`, minimising `loss`.
    pub fn fit(&mut self, trainer: &Trainer, train: &TensorData, loss: &Loss) -> Result<History> {
        trainer.fit_keeping(&self.vs, self.net.as_ref(), train, loss, &mut self.history)
    }

    /// The epochs of the last [`fit`](Self::fit), also when it ended early with
    /// an error: after an interrupt, the epochs finished before it.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The forward pass in evaluation mode without gradients; libtorch
    /// failures (a wrong input width) come back as `Err`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = x.to_device(self.device());
        guarded("forward pass", || tch::no_grad(|| self.net.forward_t(&x, false).into_output()))
    }

    /// The model's output for the rows of `x`, as an array.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let t = to_tensor("inputs", x, self.device())?;
        let parts = t.split(PREDICT_CHUNK, 0).iter().map(|c| self.forward(c)).collect::<Result<Vec<_>>>()?;
        to_array2(&Tensor::cat(&parts, 0))
    }

    /// Fraction of `data`'s labels that the arg-max of the output matches.
    pub fn accuracy(&self, data: &TensorData) -> Result<f64> {
        if data.n_classes().is_none() {
            return Err(Error::data("accuracy needs classification data (integer labels)"));
        }
        accuracy_of(self.net.as_ref(), data)
    }

    /// Saves the weights (safetensors when the path ends in `.safetensors`).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.vs.save(path.as_ref()).map_err(|e| Error::io(path.as_ref(), e))
    }

    /// Loads weights saved by [`save`](Self::save) into this network.
    pub fn load(&mut self, path: impl AsRef<Path>) -> Result<()> {
        self.vs.load(path.as_ref()).map_err(|e| Error::io(path.as_ref(), e))
    }
}

/// Evaluation-mode output of `net` on all of `x`, in chunks, without gradients.
pub(crate) fn eval_output(net: &dyn Net, x: &Tensor) -> Result<Tensor> {
    guarded("forward pass", || {
        tch::no_grad(|| {
            let parts: Vec<Tensor> = x.split(PREDICT_CHUNK, 0).iter().map(|c| net.forward_t(c, false).into_output()).collect();
            Tensor::cat(&parts, 0)
        })
    })
}

/// Arg-max accuracy of `net` on classification data.
pub(crate) fn accuracy_of(net: &dyn Net, data: &TensorData) -> Result<f64> {
    let out = eval_output(net, data.x())?;
    let hits = guarded("accuracy", || out.argmax(-1, false).eq_tensor(data.y()).to_kind(Kind::Double).mean(Kind::Double))?;
    Ok(hits.double_value(&[]))
}
