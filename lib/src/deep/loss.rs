//! Losses as values: a loss is any function of the batch and the model's
//! forward pass that returns a scalar tensor, so a notebook cell can define a
//! new one (`fn my_loss(b: &Batch, f: &Forward) -> Tensor`) and train with it.
//! Terms compose with `+` and scale with `*`:
//!
//! ```
//! use lowdim::deep::*;
//! use tch::{Kind, Tensor};
//! fn smooth_l1(b: &Batch, f: &Forward) -> Tensor {
//!     f.output().smooth_l1_loss(b.y(), tch::Reduction::Mean, 1.0)
//! }
//! let loss = Loss::mse() + Loss::new("smooth_l1", smooth_l1) * 0.5 + Loss::l1_activity() * 1e-4;
//! assert_eq!(loss.names(), vec!["mse", "smooth_l1", "l1_activity"]);
//! let b = Batch::new(Tensor::zeros([4, 3], (Kind::Float, tch::Device::Cpu)), Tensor::ones([4, 3], (Kind::Float, tch::Device::Cpu)));
//! let f = Forward::new(Tensor::zeros([4, 3], (Kind::Float, tch::Device::Cpu)));
//! assert!((loss.value(&b, &f).double_value(&[]) - 1.25).abs() < 1e-6);
//! ```

use std::ops::{Add, Mul};
use std::sync::Arc;

use tch::{Kind, Reduction, Tensor};

use super::data::Batch;

/// What a model's forward pass produced: the output, and the intermediate
/// activations a regulariser may look at (an autoencoder's layers, in order).
#[derive(Debug)]
pub struct Forward {
    output: Tensor,
    activations: Vec<Tensor>,
}

impl Forward {
    /// A forward pass with an output only.
    pub fn new(output: Tensor) -> Self {
        Forward { output, activations: Vec::new() }
    }

    /// A forward pass with its hidden activations.
    pub fn with_activations(output: Tensor, activations: Vec<Tensor>) -> Self {
        Forward { output, activations }
    }

    /// The model's output.
    pub fn output(&self) -> &Tensor {
        &self.output
    }

    /// The hidden activations, first layer first (empty for plain models).
    pub fn activations(&self) -> &[Tensor] {
        &self.activations
    }

    /// Takes the output out.
    pub fn into_output(self) -> Tensor {
        self.output
    }
}

/// The function behind one loss term.
pub type LossFn = dyn Fn(&Batch, &Forward) -> Tensor;

#[derive(Clone)]
struct Term {
    name: String,
    weight: f64,
    f: Arc<LossFn>,
}

/// A weighted sum of named loss terms.
#[derive(Clone)]
pub struct Loss {
    terms: Vec<Term>,
}

impl std::fmt::Debug for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.terms.iter().map(|t| format!("{}·{}", t.weight, t.name)).collect();
        write!(f, "Loss({})", parts.join(" + "))
    }
}

impl Loss {
    /// A loss from any function of the batch and the forward pass returning a
    /// scalar tensor; `name` labels it in the training history.
    pub fn new(name: &str, f: impl Fn(&Batch, &Forward) -> Tensor + 'static) -> Self {
        Loss { terms: vec![Term { name: name.to_string(), weight: 1.0, f: Arc::new(f) }] }
    }

    /// Mean squared error between the output and the targets.
    pub fn mse() -> Self {
        Loss::new("mse", |b, f| f.output().mse_loss(b.y(), Reduction::Mean))
    }

    /// Mean absolute error between the output and the targets.
    pub fn l1() -> Self {
        Loss::new("l1", |b, f| f.output().l1_loss(b.y(), Reduction::Mean))
    }

    /// Cross-entropy of the output logits against integer class targets.
    pub fn cross_entropy() -> Self {
        Loss::new("cross_entropy", |b, f| f.output().cross_entropy_for_logits(b.y()))
    }

    /// L1 activity regularisation (Keras' `activity_regularizer=l1`): the sum
    /// of |activation| over the units of every hidden layer, averaged over the
    /// batch. Weight it, e.g. `Loss::l1_activity() * 1e-4`.
    pub fn l1_activity() -> Self {
        Loss::new("l1_activity", |b, f| {
            let n = b.len().max(1) as f64;
            f.activations().iter().fold(Tensor::zeros([], (Kind::Float, f.output().device())), |acc, a| acc + a.abs().sum(Kind::Float) / n)
        })
    }

    /// Contrastive loss on the output embedding (Hadsell, Chopra & LeCun, CVPR
    /// 2006) over all pairs in the batch: same-label pairs are pulled together
    /// (d²), different-label pairs pushed beyond `margin` (max(0, m − d)²).
    pub fn contrastive(margin: f64) -> Self {
        Loss::new("contrastive", move |b, f| {
            let z = f.output();
            let d = (z.unsqueeze(1) - z.unsqueeze(0)).square().sum_dim_intlist(-1, false, Kind::Float).clamp_min(1e-12).sqrt();
            let same = b.y().unsqueeze(1).eq_tensor(&b.y().unsqueeze(0)).to_kind(Kind::Float);
            let pull = &same * d.square();
            let push = (1.0 - &same) * (-&d + margin).clamp_min(0.0).square();
            let total: Tensor = pull + push;
            total.mean(Kind::Float)
        })
    }

    /// The weighted sum of every term.
    pub fn value(&self, batch: &Batch, forward: &Forward) -> Tensor {
        total(self.parts(batch, forward))
    }

    /// Each term's weighted value, by name.
    pub fn parts(&self, batch: &Batch, forward: &Forward) -> Vec<(String, Tensor)> {
        // An unweighted term skips the product (and its backward pass): a small
        // model's step is a few dozen tensor operations, each one shows.
        self.terms
            .iter()
            .map(|t| {
                let v = (t.f)(batch, forward);
                (t.name.clone(), if t.weight == 1.0 { v } else { v * t.weight })
            })
            .collect()
    }

    /// The term names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.terms.iter().map(|t| t.name.as_str()).collect()
    }
}

/// The sum of a loss's weighted parts (a `Loss` always has at least one term).
pub(crate) fn total(parts: Vec<(String, Tensor)>) -> Tensor {
    parts.into_iter().map(|(_, v)| v).reduce(|a, b| a + b).expect("a loss has at least one term")
}

impl<F: Fn(&Batch, &Forward) -> Tensor + 'static> From<F> for Loss {
    fn from(f: F) -> Self {
        Loss::new("custom", f)
    }
}

impl Add for Loss {
    type Output = Loss;
    fn add(mut self, other: Loss) -> Loss {
        self.terms.extend(other.terms);
        self
    }
}

impl Mul<f64> for Loss {
    type Output = Loss;
    fn mul(mut self, w: f64) -> Loss {
        self.terms.iter_mut().for_each(|t| t.weight *= w);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    fn t(v: &[f32], shape: [i64; 2]) -> Tensor {
        Tensor::from_slice(v).view(shape)
    }

    #[test]
    fn cross_entropy_of_confident_right_logits_is_small() {
        let b = Batch::new(t(&[0.0; 4], [2, 2]), Tensor::from_slice(&[0i64, 1]));
        let f = Forward::new(t(&[10.0, -10.0, -10.0, 10.0], [2, 2]));
        assert!(Loss::cross_entropy().value(&b, &f).double_value(&[]) < 1e-6);
    }

    #[test]
    fn contrastive_is_zero_for_separated_classes_and_positive_otherwise() {
        let b = Batch::new(t(&[0.0; 4], [2, 2]), Tensor::from_slice(&[0i64, 1]));
        let far = Forward::new(t(&[0.0, 0.0, 5.0, 0.0], [2, 2]));
        let near = Forward::new(t(&[0.0, 0.0, 0.5, 0.0], [2, 2]));
        assert!(Loss::contrastive(1.0).value(&b, &far).double_value(&[]) < 1e-9);
        assert!(Loss::contrastive(1.0).value(&b, &near).double_value(&[]) > 0.1);
    }

    #[test]
    fn l1_activity_sums_units_and_averages_the_batch() {
        let b = Batch::new(Tensor::zeros([2, 1], (Kind::Float, Device::Cpu)), Tensor::zeros([2, 1], (Kind::Float, Device::Cpu)));
        let f = Forward::with_activations(Tensor::zeros([2, 1], (Kind::Float, Device::Cpu)), vec![t(&[1.0, -2.0, 3.0, 0.0], [2, 2])]);
        assert!((Loss::l1_activity().value(&b, &f).double_value(&[]) - 3.0).abs() < 1e-6);
    }
}
