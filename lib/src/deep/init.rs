//! Layers initialised as PyTorch initialises them (weights and biases uniform
//! in ±1/√fan_in), so that models ported from PyTorch papers train as they did
//! there. tch's own default (Kaiming uniform with the ReLU gain) starts √6
//! times wider.

use tch::nn::{self, Init};

/// PyTorch's default bound for a layer with `fan_in` inputs per output.
fn bound(fan_in: i64) -> Init {
    let b = 1.0 / (fan_in.max(1) as f64).sqrt();
    Init::Uniform { lo: -b, up: b }
}

/// `nn::Linear` as `torch.nn.Linear(i, o)` initialises it.
pub fn torch_linear(p: &nn::Path, i: i64, o: i64) -> nn::Linear {
    nn::linear(p, i, o, nn::LinearConfig { ws_init: bound(i), bs_init: Some(bound(i)), bias: true })
}

/// `nn::Conv1D` as `torch.nn.Conv1d(i, o, k, stride, padding)` initialises it.
pub fn torch_conv1d(p: &nn::Path, i: i64, o: i64, k: i64, stride: i64, padding: i64) -> nn::Conv1D {
    let cfg = nn::ConvConfig { stride, padding, ws_init: bound(i * k), bs_init: bound(i * k), ..Default::default() };
    nn::conv1d(p, i, o, k, cfg)
}

/// `nn::Conv2D` as `torch.nn.Conv2d(i, o, k, stride, padding)` initialises it.
pub fn torch_conv2d(p: &nn::Path, i: i64, o: i64, k: i64, stride: i64, padding: i64) -> nn::Conv2D {
    let cfg = nn::ConvConfig { stride, padding, ws_init: bound(i * k * k), bs_init: bound(i * k * k), ..Default::default() };
    nn::conv2d(p, i, o, k, cfg)
}

/// A bidirectional-capable GRU as `torch.nn.GRU` initialises it (±1/√hidden).
pub fn torch_gru(p: &nn::Path, input: i64, hidden: i64, bidirectional: bool) -> nn::GRU {
    let b = bound(hidden);
    let cfg = nn::RNNConfig {
        bidirectional,
        batch_first: true,
        w_ih_init: b,
        w_hh_init: b,
        b_ih_init: Some(b),
        b_hh_init: Some(b),
        ..Default::default()
    };
    nn::gru(p, input, hidden, cfg)
}

/// `nn::Linear` as Keras' `Dense` initialises it (Glorot uniform weights, zero
/// bias), for models ported from Keras papers.
pub fn keras_dense(p: &nn::Path, i: i64, o: i64) -> nn::Linear {
    let b = (6.0 / (i + o).max(1) as f64).sqrt();
    nn::linear(p, i, o, nn::LinearConfig { ws_init: Init::Uniform { lo: -b, up: b }, bs_init: Some(Init::Const(0.0)), bias: true })
}
