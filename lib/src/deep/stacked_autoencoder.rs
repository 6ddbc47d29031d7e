//! Stacked autoencoders, two ways.
//!
//! **The cascade** of the geological-mapping paper (Nagar, Farahbakhsh, Awange
//! & Chandra, "Remote sensing framework for geological mapping via stacked
//! autoencoders and clustering", Advances in Space Research 2024): three
//! autoencoders, each fed what the previous one produced next to its input —
//!
//! 1. AE1 on X (d bands): d → 6 → 4 → 2 → 4 → 6 → d, 10 epochs, batch 64;
//! 2. AE2 on [AE1's reconstruction, X] (2d): 2d → 5 → 2 → 5 → 2d, 5 epochs, batch 32;
//! 3. AE3 on [AE2's 5-unit layer, AE2's input] (5 + 2d): → 10 → 5 → 2 → 5 → 10 →, 5 epochs, batch 16;
//!
//! all SELU with a sigmoid output, L1 activity 1e-4 and MSE under Adam; the
//! features are AE3's 2-D code. (For d = 5 bands the widths are the paper's
//! 10 and 15.)
//!
//! **Greedy layer-wise pretraining** (Bengio et al., NeurIPS 2006; denoising as
//! in Vincent et al., JMLR 2010): each encoder layer is first trained as a
//! shallow autoencoder of the previous layer's codes (optionally denoising and
//! sparse), then the stacked network is fine-tuned end to end.
//!
//! Cost: the sum of the parts' training, `O(epochs · n · Σ wᵢwᵢ₊₁)`.
//!
//! ```
//! use lowdim::prelude::*;
//! let x = Array2::from_shape_fn((120, 5), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 10.0);
//! let sae = StackedAutoencoder::params().epochs([1, 1, 1]).device(tch::Device::Cpu).log(false).fit_records(x.view()).unwrap();
//! assert_eq!(sae.transform(x.view()).unwrap().dim(), (120, 2));
//! ```

use std::path::Path;

use linfa::{DatasetBase, ParamGuard};
use ndarray::{concatenate, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use tch::Device;

use super::autoencoder::{Activation, Autoencoder, AutoencoderParams};
use super::model::default_device;
use crate::error::{Error, Result};

/// Checked cascade parameters; see [`StackedAutoencoder::params`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackedAutoencoderValidParams {
    epochs: [usize; 3],
    batch_sizes: [usize; 3],
    l1_activity: f64,
    lr: f64,
    seed: u64,
    log: bool,
    #[serde(skip)]
    device: Option<Device>,
}

/// Unchecked cascade parameters: a builder with consuming setters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackedAutoencoderParams(StackedAutoencoderValidParams);

impl StackedAutoencoderParams {
    /// `epochs` of AE1, AE2, AE3: default `[10, 5, 5]`.
    pub fn epochs(mut self, epochs: [usize; 3]) -> Self {
        self.0.epochs = epochs;
        self
    }
    /// `batch_sizes` of AE1, AE2, AE3: default `[64, 32, 16]`.
    pub fn batch_sizes(mut self, sizes: [usize; 3]) -> Self {
        self.0.batch_sizes = sizes;
        self
    }
    /// `l1_activity` weight: default 1e-4.
    pub fn l1_activity(mut self, w: f64) -> Self {
        self.0.l1_activity = w;
        self
    }
    /// `lr` of Adam: default 1e-3.
    pub fn lr(mut self, lr: f64) -> Self {
        self.0.lr = lr;
        self
    }
    /// `seed`: default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }
    /// `log`: a progress line per epoch, default true.
    pub fn log(mut self, log: bool) -> Self {
        self.0.log = log;
        self
    }
    /// `device`: default [`default_device`].
    pub fn device(mut self, device: Device) -> Self {
        self.0.device = Some(device);
        self
    }

    /// Checks the parameters and trains the cascade on the rows of `x`.
    pub fn fit_records(&self, x: ArrayView2<f64>) -> Result<StackedAutoencoder> {
        self.check_ref()?.fit_records(x)
    }

    /// Checks the parameters and trains on a dataset's records.
    pub fn fit<T>(&self, ds: &DatasetBase<Array2<f64>, T>) -> Result<StackedAutoencoder> {
        self.check_ref()?.fit_records(ds.records.view())
    }
}

impl ParamGuard for StackedAutoencoderParams {
    type Checked = StackedAutoencoderValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&StackedAutoencoderValidParams> {
        let p = &self.0;
        if let Some(i) = p.epochs.iter().position(|&e| e == 0) {
            return Err(Error::param("epochs", format!("of StackedAutoencoder must all be ≥ 1; AE{} has 0", i + 1)));
        }
        if let Some(i) = p.batch_sizes.iter().position(|&e| e == 0) {
            return Err(Error::param("batch_sizes", format!("of StackedAutoencoder must all be ≥ 1; AE{} has 0", i + 1)));
        }
        // The rest is checked by each part's own parameters.
        for ae in p.parts() {
            ae.check_ref()?;
        }
        Ok(p)
    }

    fn check(self) -> Result<StackedAutoencoderValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl StackedAutoencoderValidParams {
    /// The three autoencoders' parameters.
    fn parts(&self) -> [AutoencoderParams; 3] {
        let hidden = [vec![6, 4, 2], vec![5, 2], vec![10, 5, 2]];
        std::array::from_fn(|i| {
            let mut p = Autoencoder::params()
                .hidden(hidden[i].clone())
                .activation(Activation::Selu)
                .output(Activation::Sigmoid)
                .l1_activity(self.l1_activity)
                .epochs(self.epochs[i])
                .batch_size(self.batch_sizes[i])
                .lr(self.lr)
                .seed(self.seed + i as u64)
                .log_every(usize::from(self.log));
            if let Some(d) = self.device {
                p = p.device(d);
            }
            p
        })
    }

    /// Trains the cascade on the rows of `x` (scaled to [0, 1] for the sigmoid output).
    pub fn fit_records(&self, x: ArrayView2<f64>) -> Result<StackedAutoencoder> {
        let [p1, p2, p3] = self.parts();
        let say = |s: &str| {
            if self.log {
                println!("{s}");
            }
        };
        say("AE1 (bands → 6 → 4 → 2 → 4 → 6 → bands)");
        let ae1 = p1.fit_records(x)?;
        let in2 = ae2_input(&ae1, x)?;
        say("AE2 ([AE1 reconstruction, X] → 5 → 2 → 5 → …)");
        let ae2 = p2.fit_records(in2.view())?;
        let in3 = ae3_input(&ae2, in2.view())?;
        say("AE3 ([AE2 5-unit layer, AE2 input] → 10 → 5 → 2 → 5 → 10 → …)");
        let ae3 = p3.fit_records(in3.view())?;
        Ok(StackedAutoencoder { ae: [ae1, ae2, ae3] })
    }
}

impl<T> linfa::traits::Fit<Array2<f64>, T, Error> for StackedAutoencoderValidParams {
    type Object = StackedAutoencoder;
    fn fit(&self, ds: &DatasetBase<Array2<f64>, T>) -> Result<StackedAutoencoder> {
        self.fit_records(ds.records.view())
    }
}

fn ae2_input(ae1: &Autoencoder, x: ArrayView2<f64>) -> Result<Array2<f64>> {
    let r = ae1.reconstruct(x)?;
    let joined = concatenate(Axis(1), &[r.view(), x.reborrow()])?;
    Ok(joined)
}

fn ae3_input(ae2: &Autoencoder, in2: ArrayView2<f64>) -> Result<Array2<f64>> {
    let h = ae2.layer(in2, 0)?;
    let joined = concatenate(Axis(1), &[h.view(), in2.reborrow()])?;
    Ok(joined)
}

/// The trained cascade.
#[derive(Debug)]
pub struct StackedAutoencoder {
    ae: [Autoencoder; 3],
}

impl StackedAutoencoder {
    /// The paper's settings: epochs `[10, 5, 5]`, batches `[64, 32, 16]`, L1
    /// activity 1e-4, Adam lr 1e-3, seed 0, logging on, default device.
    pub fn params() -> StackedAutoencoderParams {
        StackedAutoencoderParams(StackedAutoencoderValidParams {
            epochs: [10, 5, 5],
            batch_sizes: [64, 32, 16],
            l1_activity: 1e-4,
            lr: 1e-3,
            seed: 0,
            log: true,
            device: None,
        })
    }

    /// The three autoencoders, AE1 first.
    pub fn parts(&self) -> &[Autoencoder; 3] {
        &self.ae
    }

    /// The features: AE3's 2-D code of the cascade's input built from `x`.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let in2 = ae2_input(&self.ae[0], x)?;
        let in3 = ae3_input(&self.ae[1], in2.view())?;
        self.ae[2].transform(in3.view())
    }

    /// AE1's reconstruction of `x`.
    pub fn reconstruct(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.ae[0].reconstruct(x)
    }

    /// Writes each part into `dir/ae1`, `dir/ae2`, `dir/ae3`.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        self.ae.iter().enumerate().try_for_each(|(i, ae)| ae.save(dir.as_ref().join(format!("ae{}", i + 1))))
    }

    /// Reads what [`save`](Self::save) wrote.
    pub fn load(dir: impl AsRef<Path>, device: Device) -> Result<Self> {
        let load = |i: usize| Autoencoder::load(dir.as_ref().join(format!("ae{i}")), device);
        Ok(StackedAutoencoder { ae: [load(1)?, load(2)?, load(3)?] })
    }
}

/// Greedy layer-wise pretraining, then end-to-end fine-tuning, of a deep
/// autoencoder with encoder widths `params.hidden`. Each layer is pretrained
/// for `pretrain_epochs` as a shallow autoencoder of the previous layer's
/// codes, with `params`' noise (denoising) and L1 activity (sparsity); the
/// fine-tuning uses `params` as given.
///
/// ```
/// use lowdim::prelude::*;
/// let x = Array2::from_shape_fn((100, 6), |(i, j)| ((i * 5 + j) % 7) as f64 / 6.0);
/// let p = Autoencoder::params().hidden(vec![4, 2]).epochs(1).noise(0.1).log_every(0).device(tch::Device::Cpu);
/// let ae = greedy_pretrained_autoencoder(&p, 1, x.view()).unwrap();
/// assert_eq!(ae.transform(x.view()).unwrap().dim(), (100, 2));
/// ```
pub fn greedy_pretrained_autoencoder(params: &AutoencoderParams, pretrain_epochs: usize, x: ArrayView2<f64>) -> Result<Autoencoder> {
    let p = params.check_ref()?.clone();
    if pretrain_epochs == 0 {
        return Err(Error::param("pretrain_epochs", "must be ≥ 1; got 0"));
    }
    let device = p.device.unwrap_or_else(default_device);
    let mut deep = Autoencoder::build(p.clone(), x.ncols(), device);
    let depth = p.hidden.len();
    let mut codes = x.to_owned();
    for (i, &width) in p.hidden.iter().enumerate() {
        // The first layer reconstructs the data (with the chosen output
        // activation); deeper ones reconstruct hidden codes, which live in the
        // hidden activation's range.
        let output = if i == 0 { p.output } else { p.activation };
        let shallow = params.clone().hidden(vec![width]).output(output).epochs(pretrain_epochs).seed(p.seed + 1 + i as u64);
        let layer = shallow.fit_records(codes.view())?;
        copy_layer(layer.var_store(), "dense1", deep.var_store(), &format!("dense{}", i + 1))?;
        copy_layer(layer.var_store(), "dense2", deep.var_store(), &format!("dense{}", 2 * depth - i))?;
        codes = layer.transform(codes.view())?;
    }
    p.train(&mut deep, x)?;
    Ok(deep)
}

fn copy_layer(from: &tch::nn::VarStore, src: &str, to: &tch::nn::VarStore, dst: &str) -> Result<()> {
    let (a, b) = (from.variables(), to.variables());
    for part in ["weight", "bias"] {
        let (s, d) = (a.get(&format!("{src}.{part}")), b.get(&format!("{dst}.{part}")));
        match (s, d) {
            (Some(s), Some(d)) => tch::no_grad(|| d.shallow_clone().f_copy_(s).map_err(Error::from))?,
            _ => return Err(Error::Training(format!("layer {src}.{part} → {dst}.{part} not found while stacking"))),
        }
    }
    Ok(())
}
