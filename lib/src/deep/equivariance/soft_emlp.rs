//! A soft-equivariant MLP over tensor representations (Kim, Lee, Yang & Lee,
//! "Regularizing Towards Soft Equivariance Under Mixed Symmetries", ICML
//! 2023; EMLP-shaped after Finzi, Welling & Wilson, ICML 2021).
//!
//! Hidden representation H = c·(T0 + T1 + T2) (c scalars, c vectors, c rank-2
//! tensors of ℝᵈ). Each block: an unconstrained linear layer ρ_in → H + 2c
//! gate scalars, a bilinear layer `z + 0.1·B(z, z)`, and a gated nonlinearity.
//! The linear layers are free; a regulariser ([`EquivarianceRegularizer`])
//! pulls them towards the candidate groups' equivariant maps, or, with
//! [`SoftEmlpParams::hard`], every weight is projected onto one group's
//! equivariant maps in each forward pass (a strictly equivariant EMLP).
//!
//! The bilinear layer is a simplification of EMLP's: channel mixings A₁, A₂,
//! A₃ (c × c) and B (c → scalars) give outer products (A₁v)ₖ(A₂v)ₖᵀ added to
//! the rank-2 channels, matrix–vector products Tₖ(A₃v)ₖ to the vectors and
//! dot products B·⟨A₁v, A₂v⟩ to the scalars; scalar mixings S_v, S_t (all
//! 3c scalars → c) scale each vector and tensor copy by (sS_v)ₖ, (sS_t)ₖ. Mixing copies of the same rank
//! and contracting with δ commute with every orthogonal group on ℝᵈ, so the
//! layer is equivariant under all of them (O(3), its subgroups, permutations,
//! shifts) — not under scalings. The gated nonlinearity is PER's: swish on the
//! scalars, σ(gateₖ)·xₖ on each non-scalar copy, plus w·swish(x) on those
//! (w learnable, starting at 1e-3; fixed at 0 in the hard model).
//!
//! Cost per sample and block: O(width_in · width_out) for the linear layer and
//! O(c·d²) for the bilinear and gates.
//!
//! # Example
//! ```
//! use lowdim::deep::*;
//! let p = SoftEmlp::params(Rep::scalars(5) + Rep::vectors(5), Rep::tensors(1, 2), 3).channels(2).layers(2);
//! let m = p.build(tch::Device::Cpu).unwrap();
//! let y = m.predict(ndarray::Array2::zeros((4, 20)).view()).unwrap();
//! assert_eq!(y.dim(), (4, 9));
//! ```

use ndarray::{Array2, ArrayView2};
use tch::{nn, Device, Tensor};

use super::group::Group;
use super::projector::Projector;
use super::regularizer::{AutoTune, EquivarianceRegularizer, RegLayer};
use super::rep::Rep;
use crate::deep::init::torch_linear;
use crate::deep::{Forward, History, Loss, Model, Net, TensorData, Trainer};
use crate::error::{Error, Result};

/// Settings of a [`SoftEmlp`]; a builder with consuming setters.
#[derive(Clone, Debug)]
pub struct SoftEmlpParams {
    rep_in: Rep,
    rep_out: Rep,
    dim: usize,
    channels: usize,
    layers: usize,
    hard: Option<Group>,
    seed: u64,
}

/// One linear layer's weights, kept in the representations' standard layout
/// (the one the projectors and the regulariser read).
struct Linear {
    w: Tensor,
    b: Tensor,
    /// Gathers the standard-layout weight into the order of the activations
    /// on each side (component-major inside the network).
    weight_order: Tensor,
    /// The same for the bias; none where the output is the model's own.
    bias_order: Option<Tensor>,
}

impl Linear {
    /// A layer from activations ordered by `order_in` to activations ordered
    /// by `order_out` (each: the standard position of every entry; none for
    /// the model's input or output, which keep the standard order).
    fn new(p: &nn::Path, (i, order_in): (usize, Option<&[i64]>), (o, order_out): (usize, Option<&[i64]>)) -> Self {
        let l = torch_linear(p, i as i64, o as i64);
        let order = |given: Option<&[i64]>, n: usize| given.map_or_else(|| (0..n as i64).collect(), <[i64]>::to_vec);
        let (rows, cols) = (order(order_out, o), order(order_in, i));
        let flat: Vec<i64> = rows.iter().flat_map(|r| cols.iter().map(move |c| r * i as i64 + c)).collect();
        let weight_order = Tensor::from_slice(&flat).view([o as i64, i as i64]).to_device(p.device());
        let bias_order = order_out.map(|r| Tensor::from_slice(r).to_device(p.device()));
        Linear { w: l.ws, b: l.bs.expect("torch_linear has a bias"), weight_order, bias_order }
    }

    fn forward(&self, x: &Tensor, hard: Option<&Projector>) -> Tensor {
        let (w, b) = match hard {
            Some(p) => (p.project_unchecked(&self.w), p.project_bias_unchecked(&self.b)),
            None => (self.w.shallow_clone(), self.b.shallow_clone()),
        };
        let b = match &self.bias_order {
            Some(o) => b.take(o),
            None => b,
        };
        x.matmul(&w.take(&self.weight_order).tr()) + b
    }
}

/// The bilinear layer's channel mixings, applied from the right to
/// component-major blocks: `mix` = [A₁ᵀ A₂ᵀ A₃ᵀ] (c × 3c), `dots` = B (c ×
/// 3c), `scales` = [S_v S_t] (3c × 2c).
struct Bilinear {
    mix: Tensor,
    dots: Tensor,
    scales: Tensor,
}

/// The network. Inside it, hidden activations are component-major
/// ([`Rep::component_major`]): [2c gates, c scalars | d × c vectors | d × d ×
/// c tensors], so channel mixings are plain matrix products and each gate
/// scales a contiguous run; the linear layers gather their standard-layout
/// weights into that order.
struct SoftEmlpNet {
    c: i64,
    d: i64,
    blocks: Vec<(Linear, Bilinear, Option<Tensor>)>,
    out: Linear,
    hard: Option<Vec<Projector>>,
}

impl SoftEmlpNet {
    /// The bilinear layer z + 0.1·B(z, z), then the gated nonlinearity: swish
    /// on the scalars, σ(gate)·x (+ w·swish(x)) on each non-scalar copy.
    fn block(&self, z: &Tensor, bl: &Bilinear, w: Option<&Tensor>) -> Tensor {
        let (c, d) = (self.c, self.d);
        let n = z.size()[0];
        let parts = z.split_with_sizes([3 * c, d * c, d * d * c], 1);
        let (s, v, t) = (&parts[0], parts[1].view([n, d, c]), parts[2].view([n, d, d, c]));
        let mixed = v.matmul(&bl.mix).split(c, 2);
        let (v1, v2, v3) = (&mixed[0], &mixed[1], &mixed[2]);
        let scales = (s.matmul(&bl.scales) * 0.1 + 1.0).split(c, 1);
        let s = s + (v1 * v2).sum_dim_intlist(1, false, z.kind()).matmul(&bl.dots) * 0.1;
        let tv = (&t * v3.unsqueeze(1)).sum_dim_intlist(2, false, z.kind());
        let v = &v * scales[0].unsqueeze(1) + tv * 0.1;
        let t = (&t * scales[1].unsqueeze(1).unsqueeze(1)).addcmul(&(v1 * 0.1).unsqueeze(2), &v2.unsqueeze(1));
        let gates = s.narrow(1, 0, 2 * c).sigmoid();
        let mut gv = &v * gates.narrow(1, 0, c).unsqueeze(1);
        let mut gt = &t * gates.narrow(1, c, c).unsqueeze(1).unsqueeze(1);
        if let Some(w) = w {
            gv = gv.addcmul(&v.silu(), w);
            gt = gt.addcmul(&t.silu(), w);
        }
        Tensor::cat(&[s.narrow(1, 2 * c, c).silu(), gv.reshape([n, d * c]), gt.reshape([n, d * d * c])], 1)
    }
}

impl Net for SoftEmlpNet {
    fn forward_t(&self, x: &Tensor, _train: bool) -> Forward {
        let hard = |i: usize| self.hard.as_ref().map(|h| &h[i]);
        let mut h = x.shallow_clone();
        for (i, (lin, bl, w)) in self.blocks.iter().enumerate() {
            h = self.block(&lin.forward(&h, hard(i)), bl, w.as_ref());
        }
        Forward::new(self.out.forward(&h, hard(self.blocks.len())))
    }
}

/// A trained or untrained soft-equivariant MLP, with its layers' representations.
pub struct SoftEmlp {
    model: Model,
    params: SoftEmlpParams,
    layers: Vec<(String, Tensor, Tensor, Rep, Rep)>,
}

impl std::fmt::Debug for SoftEmlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hard = self.params.hard.as_ref().map_or("soft".to_string(), |g| format!("hard {}", g.name()));
        write!(
            f,
            "SoftEmlp({} → {}, {} channels, {} layers, {hard}, {} parameters)",
            self.params.rep_in,
            self.params.rep_out,
            self.params.channels,
            self.params.layers,
            self.model.n_parameters()
        )
    }
}

impl SoftEmlpParams {
    /// `channels`: copies c of each of T0, T1, T2 in the hidden representation, default 4.
    pub fn channels(mut self, c: usize) -> Self {
        self.channels = c;
        self
    }
    /// `layers`: number of hidden blocks ≥ 1, default 3.
    pub fn layers(mut self, l: usize) -> Self {
        self.layers = l;
        self
    }
    /// Project every weight onto `group`'s equivariant maps in each forward
    /// pass (a strictly equivariant model); default none (soft).
    pub fn hard(mut self, group: Group) -> Self {
        self.hard = Some(group);
        self
    }
    /// `seed` of the initial weights, default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The hidden representation H (without the gates).
    pub fn hidden(&self) -> Rep {
        Rep::uniform(self.channels, 2)
    }

    fn check(&self) -> Result<()> {
        if self.channels == 0 {
            return Err(Error::param("channels", "must be ≥ 1; got 0"));
        }
        if self.layers == 0 {
            return Err(Error::param("layers", "must be ≥ 1; got 0"));
        }
        if self.dim == 0 {
            return Err(Error::param("dim", "must be ≥ 1; got 0"));
        }
        if self.rep_in.is_empty() || self.rep_out.is_empty() {
            return Err(Error::param(
                "rep",
                format!("input and output representations must not be empty; got {} → {}", self.rep_in, self.rep_out),
            ));
        }
        if let Some(g) = self.hard.as_ref().filter(|g| g.dim() != self.dim) {
            return Err(Error::param("hard", format!("group {} acts on R^{} but the model is built on R^{}", g.name(), g.dim(), self.dim)));
        }
        Ok(())
    }

    /// The (rep_in, rep_out) of each linear layer, first to last.
    fn layer_reps(&self) -> Vec<(Rep, Rep)> {
        let h = self.hidden();
        let hg = h.clone() + Rep::scalars(2 * self.channels);
        let mut reps = vec![(self.rep_in.clone(), hg.clone())];
        reps.extend((1..self.layers).map(|_| (h.clone(), hg.clone())));
        reps.push((h, self.rep_out.clone()));
        reps
    }

    /// Builds the network on `device`.
    pub fn build(&self, device: Device) -> Result<SoftEmlp> {
        self.check()?;
        let reps = self.layer_reps();
        let hard = match &self.hard {
            Some(g) => Some(reps.iter().map(|(i, o)| Projector::exact(g, i, o)).collect::<Result<Vec<_>>>()?),
            None => None,
        };
        let (c, d) = (self.channels as i64, self.dim as i64);
        let mut layers = Vec::new();
        let soft = self.hard.is_none();
        let hidden_order = self.hidden().component_major(self.dim);
        let gated_order = (self.hidden() + Rep::scalars(2 * self.channels)).component_major(self.dim);
        let model = Model::new(device, self.seed, |p| {
            let mut blocks = Vec::new();
            for (i, (ri, ro)) in reps.iter().enumerate().take(self.layers) {
                let q = p / format!("block{i}");
                let order_in = (i > 0).then_some(hidden_order.as_slice());
                let lin = Linear::new(&(&q / "linear"), (ri.size(self.dim), order_in), (ro.size(self.dim), Some(&gated_order)));
                layers.push((format!("block{i}.linear"), lin.w.shallow_clone(), lin.b.shallow_clone(), ri.clone(), ro.clone()));
                let mix = |name: &str, i: i64, o: i64| q.var(name, &[i, o], nn::Init::Randn { mean: 0.0, stdev: 1.0 / (i as f64).sqrt() });
                let bl = Bilinear {
                    mix: mix("vector_mix", c, 3 * c),
                    dots: mix("dots_to_scalars", c, 3 * c),
                    scales: mix("scalar_scales", 3 * c, 2 * c),
                };
                let w = soft.then(|| q.var("swish_weight", &[1], nn::Init::Const(1e-3)));
                blocks.push((lin, bl, w));
            }
            let (ri, ro) = &reps[self.layers];
            let out = Linear::new(&(p / "out"), (ri.size(self.dim), Some(&hidden_order)), (ro.size(self.dim), None));
            layers.push(("out".to_string(), out.w.shallow_clone(), out.b.shallow_clone(), ri.clone(), ro.clone()));
            SoftEmlpNet { c, d, blocks, out, hard }
        });
        Ok(SoftEmlp { model, params: self.clone(), layers })
    }
}

impl SoftEmlp {
    /// Settings for a model from `rep_in` to `rep_out` over ℝ^`dim`.
    pub fn params(rep_in: Rep, rep_out: Rep, dim: usize) -> SoftEmlpParams {
        SoftEmlpParams { rep_in, rep_out, dim, channels: 4, layers: 3, hard: None, seed: 0 }
    }

    /// The weights and network.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &SoftEmlpParams {
        &self.params
    }

    /// The regulariser over this model's linear layers for candidate
    /// `groups`, every λ starting at `lambda`.
    pub fn regularizer(&self, groups: &[Group], lambda: f64) -> Result<EquivarianceRegularizer> {
        EquivarianceRegularizer::new(groups, self.reg_layers(), lambda)
    }

    /// As [`regularizer`](Self::regularizer) with one starting λ per group.
    pub fn regularizer_with(&self, groups: &[Group], lambdas: &[f64]) -> Result<EquivarianceRegularizer> {
        EquivarianceRegularizer::with_lambdas(groups, self.reg_layers(), lambdas)
    }

    fn reg_layers(&self) -> Vec<RegLayer> {
        self.layers.iter().map(|(n, w, b, ri, ro)| RegLayer::new(n, w, Some(b), ri.clone(), ro.clone())).collect()
    }

    /// Trains on `train` with MSE plus the regulariser (when given), tuning
    /// its λ's with `tune` (when given).
    pub fn fit(
        &mut self,
        trainer: &Trainer,
        train: &TensorData,
        reg: Option<&EquivarianceRegularizer>,
        tune: Option<AutoTune>,
    ) -> Result<History> {
        let width = self.params.rep_in.size(self.params.dim);
        if train.input_width() != width {
            return Err(Error::param(
                "rep_in",
                format!(
                    "{} over R^{} has width {width}, but the data rows have {}",
                    self.params.rep_in,
                    self.params.dim,
                    train.input_width()
                ),
            ));
        }
        let mut trainer = trainer.clone();
        let mut loss = Loss::mse();
        if let Some(reg) = reg {
            loss = loss + reg.loss();
            if let Some(rule) = tune {
                trainer = trainer.callback(reg.auto_tune(rule)?);
            }
        }
        let history = self.model.fit(&trainer, train, &loss)?;
        if let Some(e) = reg.and_then(EquivarianceRegularizer::tuning_error) {
            return Err(Error::Training(e));
        }
        Ok(history)
    }

    /// The output for the rows of `x`.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        self.model.predict(x)
    }

    /// Mean squared error on `data` (mean over entries).
    pub fn mse(&self, data: &TensorData) -> Result<f64> {
        mse_of(&self.model, data)
    }
}

/// Mean squared error of a model's output on `data` (mean over entries).
pub fn mse_of(model: &Model, data: &TensorData) -> Result<f64> {
    let out = model.forward(data.x())?;
    crate::deep::guarded("mse", || out.mse_loss(&data.y().to_kind(out.kind()), tch::Reduction::Mean).double_value(&[]))
}

/// A plain MLP baseline: `layers` hidden layers of `width` with swish, then
/// a linear output (PyTorch's initialisation).
pub fn plain_mlp(d_in: usize, width: usize, layers: usize, d_out: usize, device: Device, seed: u64) -> Model {
    Model::new(device, seed, |p| {
        let mut seq = nn::seq();
        let mut i = d_in as i64;
        for l in 0..layers {
            seq = seq.add(torch_linear(&(p / format!("fc{l}")), i, width as i64)).add_fn(|x| x.silu());
            i = width as i64;
        }
        seq.add(torch_linear(&(p / "out"), i, d_out as i64))
    })
}
