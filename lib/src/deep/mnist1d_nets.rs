//! The MNIST-1D baselines with the published architectures and sizes
//! (Greydanus & Kobak, "Scaling down Deep Learning", ICML 2024;
//! reference `notebooks/models.py`), initialised as PyTorch does:
//!
//! | model | layers | parameters | published accuracy |
//! |---|---|---|---|
//! | [`Mnist1dNet::Linear`] | 40 → 10 | 410 | 32 % |
//! | [`Mnist1dNet::Mlp`] | 40 → 100, h + ReLU(W h), → 10 | 15 210 | 68 % |
//! | [`Mnist1dNet::Cnn`] | Conv1d(1→25, k5, s2, p1), 2 × Conv1d(25→25, k3, s2, p1), ReLU, 125 → 10 | 5 210 | 94 % |
//! | [`Mnist1dNet::Gru`] | bidirectional GRU, hidden 6, all 40 outputs (480) → 10 | 5 134 | 91 % |
//!
//! Trained as published: Adam, lr 1e-2, batch 100 in order, 6000 steps
//! ([`mnist1d_trainer`]). With the positions shuffled the CNN falls towards
//! ~56 % and the MLP does not move.
//!
//! ```
//! use lowdim::deep::*;
//! let m = mnist1d_model(Mnist1dNet::Cnn, tch::Device::Cpu, 0);
//! assert_eq!(m.n_parameters(), 5210);
//! ```

use serde::{Deserialize, Serialize};
use tch::{nn, nn::Module, nn::RNN, Device, Tensor};

use super::data::TensorData;
use super::history::History;
use super::init::{torch_conv1d, torch_gru, torch_linear};
use super::loss::{Forward, Loss};
use super::model::{Model, Net};
use super::trainer::Trainer;
use crate::error::{Error, Result};

/// Which of the published baselines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mnist1dNet {
    Linear,
    Mlp,
    Cnn,
    Gru,
}

impl Mnist1dNet {
    /// All four, in the paper's order.
    pub const ALL: [Mnist1dNet; 4] = [Mnist1dNet::Linear, Mnist1dNet::Mlp, Mnist1dNet::Cnn, Mnist1dNet::Gru];

    /// The name in the paper's table.
    pub fn name(&self) -> &'static str {
        match self {
            Mnist1dNet::Linear => "linear",
            Mnist1dNet::Mlp => "MLP",
            Mnist1dNet::Cnn => "CNN",
            Mnist1dNet::Gru => "GRU",
        }
    }
}

/// A baseline for signals of `len` = 40 samples and 10 classes.
pub fn mnist1d_model(kind: Mnist1dNet, device: Device, seed: u64) -> Model {
    match kind {
        Mnist1dNet::Linear => Model::new(device, seed, |p| torch_linear(&(p / "linear"), 40, 10)),
        Mnist1dNet::Mlp => Model::new(device, seed, |p| ResidualMlp::new(p, 40, 100, 10)),
        Mnist1dNet::Cnn => Model::new(device, seed, Cnn1d::new),
        Mnist1dNet::Gru => Model::new(device, seed, |p| BiGru::new(p, 40, 6, 10)),
    }
}

/// The published training: Adam, lr 1e-2, batch 100 taken in order, 6000
/// steps over 4000 training rows (150 epochs), a line every 25 epochs.
pub fn mnist1d_trainer() -> Trainer {
    Trainer::new().lr(1e-2).batch_size(100).shuffle(false).epochs(150).log_every(25)
}

/// Trains baseline `kind` as published on `train` and returns the model, its
/// history and its accuracy on `test`.
pub fn train_mnist1d_baseline(kind: Mnist1dNet, train: &TensorData, test: &TensorData, seed: u64) -> Result<(Model, History, f64)> {
    if train.input_width() != 40 || test.input_width() != 40 {
        return Err(Error::data(format!(
            "the MNIST-1D baselines take signals of 40 samples; got {} (train) and {} (test)",
            train.input_width(),
            test.input_width()
        )));
    }
    let mut model = mnist1d_model(kind, train.x().device(), seed);
    let history = model.fit(&mnist1d_trainer().seed(seed), train, &Loss::cross_entropy())?;
    let acc = model.accuracy(test)?;
    Ok((model, history, acc))
}

/// 40 → 100, then a residual ReLU block h + ReLU(W h), then → 10.
#[derive(Debug)]
pub struct ResidualMlp {
    l1: nn::Linear,
    l2: nn::Linear,
    l3: nn::Linear,
}

impl ResidualMlp {
    pub fn new(p: &nn::Path, input: i64, hidden: i64, classes: i64) -> Self {
        ResidualMlp {
            l1: torch_linear(&(p / "linear1"), input, hidden),
            l2: torch_linear(&(p / "linear2"), hidden, hidden),
            l3: torch_linear(&(p / "linear3"), hidden, classes),
        }
    }
}

impl Net for ResidualMlp {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Forward {
        let h = self.l1.forward(x).relu();
        let h = &h + self.l2.forward(&h).relu();
        Forward::new(self.l3.forward(&h))
    }
}

/// Three strided 1-D convolutions with ReLU, flattened into a linear read-out.
#[derive(Debug)]
pub struct Cnn1d {
    convs: Vec<nn::Conv1D>,
    out: nn::Linear,
}

impl Cnn1d {
    pub fn new(p: &nn::Path) -> Self {
        let convs = vec![
            torch_conv1d(&(p / "conv1"), 1, 25, 5, 2, 1),
            torch_conv1d(&(p / "conv2"), 25, 25, 3, 2, 1),
            torch_conv1d(&(p / "conv3"), 25, 25, 3, 2, 1),
        ];
        Cnn1d { convs, out: torch_linear(&(p / "linear"), 125, 10) }
    }
}

impl Net for Cnn1d {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Forward {
        let h = self.convs.iter().fold(x.view([-1, 1, 40]), |h, c| c.forward(&h).relu());
        Forward::new(self.out.forward(&h.flatten(1, -1)))
    }
}

/// A bidirectional GRU over the time steps; every step's output feeds a linear read-out.
#[derive(Debug)]
pub struct BiGru {
    gru: nn::GRU,
    out: nn::Linear,
    len: i64,
}

impl BiGru {
    pub fn new(p: &nn::Path, len: i64, hidden: i64, classes: i64) -> Self {
        BiGru { gru: torch_gru(&(p / "gru"), 1, hidden, true), out: torch_linear(&(p / "linear"), len * 2 * hidden, classes), len }
    }
}

impl Net for BiGru {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Forward {
        let (h, _) = self.gru.seq(&x.view([-1, self.len, 1]));
        Forward::new(self.out.forward(&h.flatten(1, -1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_match_the_paper() {
        let counts: Vec<usize> = Mnist1dNet::ALL.iter().map(|k| mnist1d_model(*k, Device::Cpu, 0).n_parameters()).collect();
        assert_eq!(counts, vec![410, 15_210, 5_210, 5_134]);
    }

    #[test]
    fn a_wrong_signal_length_is_an_error_not_a_crash() {
        let m = mnist1d_model(Mnist1dNet::Cnn, Device::Cpu, 0);
        let e = m.predict(ndarray::Array2::zeros((3, 7)).view()).unwrap_err();
        assert!(e.to_string().contains("forward"), "{e}");
    }
}
