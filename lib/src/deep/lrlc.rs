//! Low-rank locally connected layers (Elsayed, Ramachandran, Shlens &
//! Kornblith, "Revisiting Spatial Invariance with Low-Rank Local
//! Connectivity", ICML 2020; reference `low_rank_local_connectivity/layers.py`).
//!
//! `K` basis filter banks `W_k` are combined per output position with weights
//! `α_k(i, j) = softmax_k(a_row[k, i] + a_col[k, j])`, so the kernel at (i, j)
//! is `Σ_k α_k(i, j) W_k`; computed as one convolution with `K·C_out` filters
//! followed by the weighted sum, plus biases per row, per column and per
//! channel. The logits start at zero (α = 1/K everywhere), so the layer starts
//! as a convolution with the mean filter; `K = 1` *is* a convolution and `K` =
//! the number of output positions can learn a fully locally connected layer.
//! [`Lrlc1d`] is the 1-D form (one position axis: logits and biases per position).
//!
//! Cost: a convolution with `K` times the filters, then `O(K·C_out·H·W)` per sample.
//!
//! ```
//! use lowdim::deep::*;
//! use tch::{nn, nn::Module, Device, Kind, Tensor};
//! let vs = nn::VarStore::new(Device::Cpu);
//! let layer = Lrlc1d::new(&vs.root(), LrlcConfig { rank: 3, ..LrlcConfig::conv(1, 8, 5, 40) }).unwrap();
//! let y = layer.forward(&Tensor::zeros([2, 1, 40], (Kind::Float, Device::Cpu)));
//! assert_eq!(y.size(), vec![2, 8, 36]);
//! ```

use tch::{nn, nn::Module, Kind, Tensor};

use super::init::{torch_conv1d, torch_conv2d, torch_linear};
use super::loss::Forward;
use super::model::Net;
use crate::error::{Error, Result};

/// Shape of an LRLC layer: channels, kernel, stride, padding, the input length
/// (or side) it is built for, and the rank `K`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LrlcConfig {
    pub in_channels: i64,
    pub out_channels: i64,
    pub kernel: i64,
    pub stride: i64,
    pub padding: i64,
    /// Input length (1-D) or height = width (2-D).
    pub input_len: i64,
    /// Number of basis filter banks `K` ≥ 1.
    pub rank: i64,
}

impl LrlcConfig {
    /// A convolution's shape with stride 1, no padding and rank 1.
    pub fn conv(in_channels: i64, out_channels: i64, kernel: i64, input_len: i64) -> Self {
        LrlcConfig { in_channels, out_channels, kernel, stride: 1, padding: 0, input_len, rank: 1 }
    }

    /// Output positions along one axis.
    pub fn output_len(&self) -> i64 {
        (self.input_len + 2 * self.padding - self.kernel) / self.stride + 1
    }

    fn check(&self) -> Result<()> {
        let positive = [
            ("in_channels", self.in_channels),
            ("out_channels", self.out_channels),
            ("kernel", self.kernel),
            ("stride", self.stride),
            ("input_len", self.input_len),
            ("rank", self.rank),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| *v < 1) {
            return Err(Error::param(name, format!("of an LRLC layer must be ≥ 1; got {v}")));
        }
        if self.padding < 0 || self.output_len() < 1 {
            return Err(Error::param(
                "kernel",
                format!("{} with padding {} does not fit an input of length {}", self.kernel, self.padding, self.input_len),
            ));
        }
        Ok(())
    }
}

/// The weighted sum over the `K` banks: `y[n, c, pos] = Σ_k α[k, pos] z[n, k, c, pos]`.
fn combine(z: &Tensor, logits: &Tensor, rank: i64, out_channels: i64) -> Tensor {
    let mut shape = z.size();
    let positions: Vec<i64> = shape.split_off(2);
    let mut view = vec![shape[0], rank, out_channels];
    view.extend(&positions);
    let alpha = logits.softmax(0, Kind::Float).unsqueeze(1); // K × 1 × positions…
    (z.view(view.as_slice()) * alpha.unsqueeze(0)).sum_dim_intlist(1, false, Kind::Float)
}

/// A 1-D low-rank locally connected layer.
#[derive(Debug)]
pub struct Lrlc1d {
    conv: nn::Conv1D,
    logits: Tensor,
    bias_pos: Tensor,
    cfg: LrlcConfig,
}

impl Lrlc1d {
    pub fn new(p: &nn::Path, cfg: LrlcConfig) -> Result<Self> {
        cfg.check()?;
        let l = cfg.output_len();
        let conv = torch_conv1d(&(p / "basis"), cfg.in_channels, cfg.rank * cfg.out_channels, cfg.kernel, cfg.stride, cfg.padding);
        Ok(Lrlc1d { conv, logits: p.zeros("logits", &[cfg.rank, l]), bias_pos: p.zeros("bias_pos", &[1, l]), cfg })
    }
}

impl Module for Lrlc1d {
    fn forward(&self, x: &Tensor) -> Tensor {
        combine(&self.conv.forward(x), &self.logits, self.cfg.rank, self.cfg.out_channels) + &self.bias_pos
    }
}

/// A 2-D low-rank locally connected layer on square inputs:
/// `α_k(i, j) = softmax_k(a_row[k, i] + a_col[k, j])`.
#[derive(Debug)]
pub struct Lrlc2d {
    conv: nn::Conv2D,
    row: Tensor,
    col: Tensor,
    bias_row: Tensor,
    bias_col: Tensor,
    cfg: LrlcConfig,
}

impl Lrlc2d {
    pub fn new(p: &nn::Path, cfg: LrlcConfig) -> Result<Self> {
        cfg.check()?;
        let l = cfg.output_len();
        let conv = torch_conv2d(&(p / "basis"), cfg.in_channels, cfg.rank * cfg.out_channels, cfg.kernel, cfg.stride, cfg.padding);
        Ok(Lrlc2d {
            conv,
            row: p.zeros("logits_row", &[cfg.rank, l, 1]),
            col: p.zeros("logits_col", &[cfg.rank, 1, l]),
            bias_row: p.zeros("bias_row", &[1, l, 1]),
            bias_col: p.zeros("bias_col", &[1, 1, l]),
            cfg,
        })
    }
}

impl Module for Lrlc2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        let logits = &self.row + &self.col; // K × H × W
        combine(&self.conv.forward(x), &logits, self.cfg.rank, self.cfg.out_channels) + &self.bias_row + &self.bias_col
    }
}

/// The MNIST-1D CNN with every convolution replaced by an LRLC layer:
/// Lrlc(1→25, k5, s2, p1), 2 × Lrlc(25→25, k3, s2, p1) on signals of 40, whose
/// outputs have 19, 10 and 5 positions. Rank 1 everywhere is the CNN (plus a
/// bias per position); rank = positions is fully locally connected.
#[derive(Debug)]
pub struct LrlcCnn1d {
    layers: Vec<Lrlc1d>,
    out: nn::Linear,
}

/// (in channels, out channels, kernel, input length) of the three layers.
const CNN_SHAPES: [(i64, i64, i64, i64); 3] = [(1, 25, 5, 40), (25, 25, 3, 19), (25, 25, 3, 10)];

impl LrlcCnn1d {
    /// Every layer with rank `K` (capped at the layer's number of positions).
    pub fn new(p: &nn::Path, rank: i64) -> Result<Self> {
        Self::with_ranks(p, [rank; 3])
    }

    /// Every layer fully locally connected (rank = its number of positions).
    pub fn fully_local(p: &nn::Path) -> Result<Self> {
        Self::with_ranks(p, [i64::MAX; 3])
    }

    /// Rank per layer (each capped at the layer's number of positions).
    pub fn with_ranks(p: &nn::Path, ranks: [i64; 3]) -> Result<Self> {
        let layers = CNN_SHAPES
            .iter()
            .zip(ranks)
            .enumerate()
            .map(|(i, (&(c_in, c_out, k, len), rank))| {
                let mut cfg = LrlcConfig { in_channels: c_in, out_channels: c_out, kernel: k, stride: 2, padding: 1, input_len: len, rank };
                cfg.rank = rank.min(cfg.output_len());
                Lrlc1d::new(&(p / format!("lrlc{}", i + 1)), cfg)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LrlcCnn1d { layers, out: torch_linear(&(p / "linear"), 125, 10) })
    }

    /// The rank of each layer.
    pub fn ranks(&self) -> Vec<i64> {
        self.layers.iter().map(|l| l.cfg.rank).collect()
    }
}

impl Net for LrlcCnn1d {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Forward {
        let h = self.layers.iter().fold(x.view([-1, 1, 40]), |h, l| l.forward(&h).relu());
        Forward::new(self.out.forward(&h.flatten(1, -1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, IndexOp};

    #[test]
    fn rank_one_is_exactly_a_convolution() {
        let vs = nn::VarStore::new(Device::Cpu);
        let cfg = LrlcConfig { stride: 2, padding: 1, ..LrlcConfig::conv(2, 3, 3, 11) };
        let layer = Lrlc1d::new(&vs.root(), cfg).unwrap();
        let x = Tensor::randn([4, 2, 11], (Kind::Float, Device::Cpu));
        let diff = (layer.forward(&x) - layer.conv.forward(&x)).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "{diff}");
    }

    #[test]
    fn at_initialisation_rank_k_is_the_mean_filter_convolution() {
        let vs = nn::VarStore::new(Device::Cpu);
        let layer = Lrlc2d::new(&vs.root(), LrlcConfig { rank: 4, ..LrlcConfig::conv(1, 2, 3, 6) }).unwrap();
        let x = Tensor::randn([2, 1, 6, 6], (Kind::Float, Device::Cpu));
        let z = layer.conv.forward(&x).view([2, 4, 2, 4, 4]).mean_dim(1, false, Kind::Float);
        let diff = (layer.forward(&x) - z).abs().max().double_value(&[]);
        assert!(diff < 1e-6, "{diff}");
        assert_eq!(layer.forward(&x).i((.., 0)).size(), vec![2, 4, 4]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let vs = nn::VarStore::new(Device::Cpu);
        assert!(matches!(
            Lrlc1d::new(&vs.root(), LrlcConfig { rank: 0, ..LrlcConfig::conv(1, 2, 3, 6) }),
            Err(Error::Param { name: "rank", .. })
        ));
        assert!(Lrlc1d::new(&vs.root(), LrlcConfig::conv(1, 2, 9, 6)).is_err());
    }
}
