//! A dense autoencoder, fitted like any lowdim estimator: encoder widths
//! `d → h₁ → … → code`, a mirrored decoder, optional denoising (Gaussian input
//! corruption while training) and sparsity (L1 activity on every hidden
//! layer), MSE reconstruction, Adam.
//!
//! The defaults are the canonical autoencoder of the stacked-autoencoder
//! geological-mapping paper (Nagar, Farahbakhsh, Awange & Chandra, Advances in
//! Space Research 2024): `d → 6 → 4 → 2 → 4 → 6 → d`, SELU, sigmoid output
//! (inputs scaled to [0, 1]), L1 activity 1e-4, 10 epochs of batch 64.
//!
//! Cost per epoch: `O(n · Σ wᵢ·wᵢ₊₁)`; memory: the weights and one batch.
//!
//! ```
//! use lowdim::prelude::*;
//! let x = Array2::from_shape_fn((200, 5), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 10.0);
//! let ae = Autoencoder::params().epochs(2).device(tch::Device::Cpu).log_every(0).fit_records(x.view()).unwrap();
//! assert_eq!(ae.transform(x.view()).unwrap().dim(), (200, 2));
//! assert_eq!(ae.reconstruct(x.view()).unwrap().dim(), (200, 5));
//! ```

use std::path::Path;

use linfa::{DatasetBase, ParamGuard};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};
use tch::{nn, nn::Module, Device, Tensor};

use super::data::TensorData;
use super::history::History;
use super::init::keras_dense;
use super::loss::{Forward, Loss};
use super::model::{default_device, Net};
use super::tensor::{guarded, to_array2, to_tensor};
use super::trainer::Trainer;
use crate::error::{Error, Result};

/// A hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Activation {
    Selu,
    Relu,
    Tanh,
    Sigmoid,
    Identity,
}

impl Activation {
    pub fn apply(&self, x: &Tensor) -> Tensor {
        match self {
            Activation::Selu => x.selu(),
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Identity => x.shallow_clone(),
        }
    }
}

/// The network: dense encoder and mirrored decoder.
#[derive(Debug)]
pub struct DenseAutoencoder {
    layers: Vec<nn::Linear>,
    activation: Activation,
    output: Activation,
    noise: f64,
}

impl DenseAutoencoder {
    /// Layers for widths `[d, h₁, …, code]` and back to `d`.
    pub fn new(p: &nn::Path, widths: &[usize], activation: Activation, output: Activation, noise: f64) -> Self {
        let mut all: Vec<i64> = widths.iter().map(|&w| w as i64).collect();
        all.extend(widths.iter().rev().skip(1).map(|&w| w as i64));
        let layers = all.windows(2).enumerate().map(|(i, w)| keras_dense(&(p / format!("dense{}", i + 1)), w[0], w[1])).collect();
        DenseAutoencoder { layers, activation, output, noise }
    }

    /// Every layer's output, the last being the reconstruction.
    fn layer_outputs(&self, x: &Tensor) -> Vec<Tensor> {
        let last = self.layers.len() - 1;
        let mut outs: Vec<Tensor> = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            let input = outs.last().unwrap_or(x);
            let z = l.forward(input);
            outs.push(if i == last { self.output.apply(&z) } else { self.activation.apply(&z) });
        }
        outs
    }

    /// The code: the output of the middle layer.
    pub fn encode(&self, x: &Tensor) -> Tensor {
        let depth = self.layers.len() / 2;
        self.layers[..depth].iter().fold(x.shallow_clone(), |h, l| self.activation.apply(&l.forward(&h)))
    }
}

impl Net for DenseAutoencoder {
    fn forward_t(&self, x: &Tensor, train: bool) -> Forward {
        let input = if train && self.noise > 0.0 { x + x.randn_like() * self.noise } else { x.shallow_clone() };
        let mut outs = self.layer_outputs(&input);
        let output = outs.pop().expect("an autoencoder has layers");
        Forward::with_activations(output, outs)
    }
}

/// Checked autoencoder parameters; see [`Autoencoder::params`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderValidParams {
    pub(crate) hidden: Vec<usize>,
    pub(crate) activation: Activation,
    pub(crate) output: Activation,
    pub(crate) l1_activity: f64,
    pub(crate) noise: f64,
    pub(crate) epochs: usize,
    pub(crate) batch_size: usize,
    pub(crate) lr: f64,
    pub(crate) seed: u64,
    pub(crate) log_every: usize,
    #[serde(skip)]
    pub(crate) device: Option<Device>,
}

/// Unchecked autoencoder parameters: a builder with consuming setters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderParams(pub(crate) AutoencoderValidParams);

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $( $(#[$doc])* pub fn $name(mut self, $name: $ty) -> Self { self.0.$name = $name; self } )*
    };
}

impl AutoencoderParams {
    setters!(
        /// `hidden`: encoder widths after the input, ending with the code; default `[6, 4, 2]`.
        hidden: Vec<usize>,
        /// `activation` of hidden layers: default SELU.
        activation: Activation,
        /// `output` activation: default sigmoid (inputs in [0, 1]).
        output: Activation,
        /// `l1_activity`: f64 ≥ 0, weight of the L1 activity penalty; default 1e-4.
        l1_activity: f64,
        /// `noise`: f64 ≥ 0, std of Gaussian input corruption while training (denoising); default 0.
        noise: f64,
        /// `epochs`: usize ≥ 1, default 10.
        epochs: usize,
        /// `batch_size`: usize ≥ 1, default 64.
        batch_size: usize,
        /// `lr` of Adam: f64 > 0, default 1e-3 (Keras' default).
        lr: f64,
        /// `seed` of the initial weights and the batch order: default 0.
        seed: u64,
        /// `log_every`: a progress line every this many epochs (0: silent); default 1.
        log_every: usize,
    );

    /// `device`: default [`default_device`].
    pub fn device(mut self, device: Device) -> Self {
        self.0.device = Some(device);
        self
    }

    /// Checks the parameters and trains on the rows of `x`.
    pub fn fit_records(&self, x: ArrayView2<f64>) -> Result<Autoencoder> {
        self.check_ref()?.fit_records(x)
    }

    /// Checks the parameters and trains on a dataset's records.
    pub fn fit<T>(&self, ds: &DatasetBase<Array2<f64>, T>) -> Result<Autoencoder> {
        self.check_ref()?.fit_records(ds.records.view())
    }
}

impl ParamGuard for AutoencoderParams {
    type Checked = AutoencoderValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&AutoencoderValidParams> {
        let p = &self.0;
        if p.hidden.is_empty() || p.hidden.contains(&0) {
            return Err(Error::param("hidden", format!("widths of Autoencoder must be non-empty and ≥ 1; got {:?}", p.hidden)));
        }
        for (name, v) in [("l1_activity", p.l1_activity), ("noise", p.noise)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(Error::param(name, format!("of Autoencoder must be finite and ≥ 0; got {v}")));
            }
        }
        if !(p.lr > 0.0 && p.lr.is_finite()) {
            return Err(Error::param("lr", format!("of Autoencoder must be > 0; got {}", p.lr)));
        }
        if p.epochs == 0 || p.batch_size == 0 {
            let (name, v) = if p.epochs == 0 { ("epochs", p.epochs) } else { ("batch_size", p.batch_size) };
            return Err(Error::param(name, format!("of Autoencoder must be ≥ 1; got {v}")));
        }
        Ok(p)
    }

    fn check(self) -> Result<AutoencoderValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl AutoencoderValidParams {
    /// Trains on the rows of `x`.
    pub fn fit_records(&self, x: ArrayView2<f64>) -> Result<Autoencoder> {
        let mut ae = Autoencoder::build(self.clone(), x.ncols(), self.device.unwrap_or_else(default_device));
        self.train(&mut ae, x)?;
        Ok(ae)
    }

    /// Trains `ae` further on the rows of `x` with these settings.
    pub(crate) fn train(&self, ae: &mut Autoencoder, x: ArrayView2<f64>) -> Result<()> {
        let data = TensorData::unsupervised(x, ae.vs.device())?;
        let mut loss = Loss::mse();
        if self.l1_activity > 0.0 {
            loss = loss + Loss::l1_activity() * self.l1_activity;
        }
        let trainer = Trainer::new().lr(self.lr).epochs(self.epochs).batch_size(self.batch_size).seed(self.seed).log_every(self.log_every);
        ae.history = trainer.fit(&ae.vs, &ae.net, &data, &loss)?;
        Ok(())
    }
}

impl<T> linfa::traits::Fit<Array2<f64>, T, Error> for AutoencoderValidParams {
    type Object = Autoencoder;
    fn fit(&self, ds: &DatasetBase<Array2<f64>, T>) -> Result<Autoencoder> {
        self.fit_records(ds.records.view())
    }
}

/// A trained autoencoder.
#[derive(Debug)]
pub struct Autoencoder {
    vs: nn::VarStore,
    net: DenseAutoencoder,
    params: AutoencoderValidParams,
    n_features: usize,
    history: History,
}

/// What `save` writes next to the weights.
#[derive(Serialize, Deserialize)]
struct Saved {
    params: AutoencoderValidParams,
    n_features: usize,
    history: History,
}

impl Autoencoder {
    /// The parameters with their defaults (the canonical AE of the paper):
    /// hidden `[6, 4, 2]`, SELU, sigmoid output, L1 activity 1e-4, no noise,
    /// 10 epochs, batch 64, lr 1e-3, seed 0, a line per epoch, default device.
    pub fn params() -> AutoencoderParams {
        AutoencoderParams(AutoencoderValidParams {
            hidden: vec![6, 4, 2],
            activation: Activation::Selu,
            output: Activation::Sigmoid,
            l1_activity: 1e-4,
            noise: 0.0,
            epochs: 10,
            batch_size: 64,
            lr: 1e-3,
            seed: 0,
            log_every: 1,
            device: None,
        })
    }

    pub(crate) fn build(params: AutoencoderValidParams, n_features: usize, device: Device) -> Self {
        let vs = nn::VarStore::new(device);
        let mut widths = vec![n_features];
        widths.extend(&params.hidden);
        let net = super::tensor::with_torch_seed(params.seed, || {
            DenseAutoencoder::new(&vs.root(), &widths, params.activation, params.output, params.noise)
        });
        Autoencoder { vs, net, params, n_features, history: History::default() }
    }

    /// The training history (renders as loss curves).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The network.
    pub fn net(&self) -> &DenseAutoencoder {
        &self.net
    }

    /// Width of the code.
    pub fn code_dim(&self) -> usize {
        *self.params.hidden.last().expect("checked non-empty")
    }

    fn input(&self, x: ArrayView2<f64>) -> Result<Tensor> {
        if x.ncols() != self.n_features {
            return Err(Error::data(format!("the autoencoder was trained on {} features; got {}", self.n_features, x.ncols())));
        }
        to_tensor("inputs", x, self.vs.device())
    }

    /// The codes of the rows of `x` (n × code width).
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let t = self.input(x)?;
        to_array2(&guarded("encode", || tch::no_grad(|| self.net.encode(&t)))?)
    }

    /// The reconstructions of the rows of `x`.
    pub fn reconstruct(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let t = self.input(x)?;
        to_array2(&guarded("reconstruct", || tch::no_grad(|| self.net.forward_t(&t, false).into_output()))?)
    }

    /// The output of hidden layer `i` (0 = the first encoder layer) for the rows of `x`.
    pub fn layer(&self, x: ArrayView2<f64>, i: usize) -> Result<Array2<f64>> {
        let t = self.input(x)?;
        let outs = guarded("layer", || tch::no_grad(|| self.net.layer_outputs(&t)))?;
        let out = outs.get(i).ok_or_else(|| Error::param("i", format!("must be < {} layers; got {i}", outs.len())))?;
        to_array2(out)
    }

    /// Mean squared reconstruction error on the rows of `x`.
    pub fn reconstruction_error(&self, x: ArrayView2<f64>) -> Result<f64> {
        let r = self.reconstruct(x)?;
        Ok((&r - &x).mapv(|v| v * v).mean().unwrap_or(f64::NAN))
    }

    /// Writes `dir/autoencoder.json` and `dir/autoencoder.safetensors`.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let saved = Saved { params: self.params.clone(), n_features: self.n_features, history: self.history.clone() };
        let json = serde_json::to_string_pretty(&saved).map_err(|e| Error::io(dir, e))?;
        std::fs::write(dir.join("autoencoder.json"), json).map_err(|e| Error::io(dir, e))?;
        self.vs.save(dir.join("autoencoder.safetensors")).map_err(|e| Error::io(dir, e))
    }

    /// Reads what [`save`](Self::save) wrote, onto `device`.
    pub fn load(dir: impl AsRef<Path>, device: Device) -> Result<Self> {
        let dir = dir.as_ref();
        let path = dir.join("autoencoder.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let saved: Saved = serde_json::from_str(&text).map_err(|e| Error::io(&path, e))?;
        let mut ae = Autoencoder::build(saved.params, saved.n_features, device);
        ae.vs.load(dir.join("autoencoder.safetensors")).map_err(|e| Error::io(dir, e))?;
        ae.history = saved.history;
        Ok(ae)
    }

    pub(crate) fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
}
