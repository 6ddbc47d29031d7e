//! Optimisers and learning-rate schedules, written on tensors here (rather than
//! libtorch's C++ optimisers) so that their state — moments and step count —
//! is saved in a checkpoint and a resumed run continues exactly where it
//! stopped. The update rules are PyTorch's `torch.optim.{Adam, AdamW, SGD}`.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tch::{nn::VarStore, Tensor};

use crate::error::{Error, Result};

/// Which optimiser, with its own constants (learning rate and weight decay are
/// the trainer's).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Optim {
    /// Adam (Kingma & Ba 2015); weight decay as L2 added to the gradient.
    Adam { beta1: f64, beta2: f64, eps: f64 },
    /// AdamW (Loshchilov & Hutter 2019); weight decay decoupled from the gradient.
    AdamW { beta1: f64, beta2: f64, eps: f64 },
    /// SGD with (optionally Nesterov) momentum; weight decay as L2.
    Sgd { momentum: f64, nesterov: bool },
}

impl Optim {
    /// Adam with PyTorch's defaults (β = 0.9, 0.999; ε = 1e-8).
    pub fn adam() -> Self {
        Optim::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }

    /// AdamW with PyTorch's defaults.
    pub fn adamw() -> Self {
        Optim::AdamW { beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }

    /// SGD with heavy-ball momentum.
    pub fn sgd(momentum: f64) -> Self {
        Optim::Sgd { momentum, nesterov: false }
    }

    pub(crate) fn check(&self) -> Result<()> {
        let bad = |name: &'static str, v: f64| Error::param(name, format!("of the optimiser must be in [0, 1); got {v}"));
        match *self {
            Optim::Adam { beta1, beta2, eps } | Optim::AdamW { beta1, beta2, eps } => {
                for (name, v) in [("beta1", beta1), ("beta2", beta2)] {
                    if !(0.0..1.0).contains(&v) {
                        return Err(bad(name, v));
                    }
                }
                if eps.is_nan() || eps <= 0.0 {
                    return Err(Error::param("eps", format!("of the optimiser must be > 0; got {eps}")));
                }
            }
            Optim::Sgd { momentum, .. } if !(0.0..1.0).contains(&momentum) => return Err(bad("momentum", momentum)),
            Optim::Sgd { .. } => {}
        }
        Ok(())
    }
}

/// How the learning rate moves over training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// The base rate throughout.
    Constant,
    /// Multiply by `gamma` every `every` epochs (PyTorch's `StepLR`).
    Step { every: usize, gamma: f64 },
    /// Cosine annealing from the base rate to `min_lr` over all steps
    /// (PyTorch's `CosineAnnealingLR` with `T_max` = total steps).
    Cosine { min_lr: f64 },
}

impl Schedule {
    /// The rate at `step` of `total` steps, in `epoch`.
    pub fn rate(&self, base: f64, epoch: usize, step: usize, total: usize) -> f64 {
        match *self {
            Schedule::Constant => base,
            Schedule::Step { every, gamma } => base * gamma.powi((epoch / every.max(1)) as i32),
            Schedule::Cosine { min_lr } => {
                let f = step as f64 / total.max(1) as f64;
                min_lr + 0.5 * (base - min_lr) * (1.0 + (std::f64::consts::PI * f).cos())
            }
        }
    }
}

/// The optimiser's state: one or two moment tensors per trainable variable,
/// keyed by the variable's name, and the step count.
pub(crate) struct OptState {
    kind: Optim,
    vars: Vec<(String, Tensor)>,
    first: Vec<Tensor>,
    second: Vec<Tensor>,
    pub(crate) steps: i64,
}

impl OptState {
    pub(crate) fn new(kind: Optim, vs: &VarStore) -> Self {
        let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().filter(|(_, t)| t.requires_grad()).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0)); // a fixed order: HashMap order is random
        let zeros = |vars: &[(String, Tensor)]| vars.iter().map(|(_, t)| t.zeros_like()).collect();
        let first = zeros(&vars);
        let second = if matches!(kind, Optim::Sgd { .. }) { Vec::new() } else { zeros(&vars) };
        OptState { kind, vars, first, second, steps: 0 }
    }

    pub(crate) fn zero_grad(&self) {
        // Gradients from a backward pass without `create_graph` have no history
        // to detach from (PyTorch only detaches when there is one).
        for (_, p) in &self.vars {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.zero_();
            }
        }
    }

    /// Rescales the gradients so their joint L2 norm is at most `max`; returns
    /// the norm before clipping.
    pub(crate) fn clip_grad_norm(&self, max: f64) -> f64 {
        let grads: Vec<Tensor> = self.vars.iter().map(|(_, p)| p.grad()).filter(Tensor::defined).collect();
        let total = grads.iter().map(|g| g.square().sum(tch::Kind::Double).double_value(&[])).sum::<f64>().sqrt();
        if total > max {
            let scale = max / (total + 1e-6);
            tch::no_grad(|| grads.iter().for_each(|g| drop(g.shallow_clone().g_mul_scalar_(scale))));
        }
        total
    }

    /// One update of every variable with a gradient.
    pub(crate) fn step(&mut self, lr: f64, weight_decay: f64) {
        self.steps += 1;
        let t = self.steps as i32;
        tch::no_grad(|| {
            for (i, (_, p)) in self.vars.iter().enumerate() {
                let g = p.grad();
                if !g.defined() {
                    continue;
                }
                let mut p = p.shallow_clone();
                match self.kind {
                    Optim::Adam { beta1, beta2, eps } => {
                        let g = if weight_decay > 0.0 { &g + &p * weight_decay } else { g };
                        adam_update(&mut p, &g, &mut self.first[i], &mut self.second[i], (beta1, beta2, eps), lr, t);
                    }
                    Optim::AdamW { beta1, beta2, eps } => {
                        if weight_decay > 0.0 {
                            let _ = p.g_mul_scalar_(1.0 - lr * weight_decay);
                        }
                        adam_update(&mut p, &g, &mut self.first[i], &mut self.second[i], (beta1, beta2, eps), lr, t);
                    }
                    Optim::Sgd { momentum, nesterov } => {
                        let g = if weight_decay > 0.0 { &g + &p * weight_decay } else { g };
                        let buf = &mut self.first[i];
                        let d = if momentum > 0.0 {
                            if t == 1 {
                                buf.copy_(&g);
                            } else {
                                let _ = buf.g_mul_scalar_(momentum).g_add_(&g);
                            }
                            if nesterov {
                                &g + &*buf * momentum
                            } else {
                                buf.shallow_clone()
                            }
                        } else {
                            g
                        };
                        let _ = p.g_sub_(&(d * lr));
                    }
                }
            }
        });
    }

    /// The state as named tensors (for a safetensors checkpoint).
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let mut named: Vec<(String, Tensor)> = Vec::new();
        for (i, (name, _)) in self.vars.iter().enumerate() {
            named.push((format!("first/{name}"), self.first[i].shallow_clone()));
            if let Some(s) = self.second.get(i) {
                named.push((format!("second/{name}"), s.shallow_clone()));
            }
        }
        named.push(("steps".into(), Tensor::from_slice(&[self.steps])));
        Tensor::write_safetensors(&named, path).map_err(|e| Error::io(path, e))
    }

    pub(crate) fn load(&mut self, path: &Path) -> Result<()> {
        let stored: HashMap<String, Tensor> = Tensor::read_safetensors(path).map_err(|e| Error::io(path, e))?.into_iter().collect();
        let get = |key: &str| stored.get(key).ok_or_else(|| Error::file_content(path, format!("no `{key}` in the optimiser checkpoint")));
        for (i, (name, _)) in self.vars.iter().enumerate() {
            tch::no_grad(|| self.first[i].f_copy_(get(&format!("first/{name}"))?).map_err(Error::from))?;
            if i < self.second.len() {
                tch::no_grad(|| self.second[i].f_copy_(get(&format!("second/{name}"))?).map_err(Error::from))?;
            }
        }
        self.steps = get("steps")?.int64_value(&[0]);
        Ok(())
    }

    /// A copy of the moments (for restoring after a diverged epoch).
    pub(crate) fn snapshot(&self) -> (Vec<Tensor>, Vec<Tensor>, i64) {
        let copy = |v: &[Tensor]| v.iter().map(Tensor::copy).collect();
        (copy(&self.first), copy(&self.second), self.steps)
    }

    pub(crate) fn restore(&mut self, snap: &(Vec<Tensor>, Vec<Tensor>, i64)) {
        tch::no_grad(|| {
            self.first.iter_mut().zip(&snap.0).for_each(|(a, b)| a.copy_(b));
            self.second.iter_mut().zip(&snap.1).for_each(|(a, b)| a.copy_(b));
        });
        self.steps = snap.2;
    }
}

/// PyTorch's Adam step: bias-corrected moments, `ε` added after the square root.
fn adam_update(p: &mut Tensor, g: &Tensor, m: &mut Tensor, v: &mut Tensor, (b1, b2, eps): (f64, f64, f64), lr: f64, t: i32) {
    // PyTorch's single-tensor Adam in place (a small model's step is a few
    // dozen such ops, so every temporary saved shows):
    // m ← lerp(m, g, 1 − β₁); v ← β₂·v + (1 − β₂)·g²;
    // p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).
    let _ = m.lerp_(g, 1.0 - b1);
    let _ = v.g_mul_scalar_(b2).addcmul_(&(g * (1.0 - b2)), g);
    let bc1 = 1.0 - b1.powi(t);
    let bc2 = 1.0 - b2.powi(t);
    let mut denom = v.sqrt();
    let _ = denom.g_div_scalar_(bc2.sqrt()).g_add_scalar_(eps).g_mul_scalar_(-bc1 / lr);
    let _ = p.addcdiv_(m, &denom);
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn, Device, Kind};

    /// Minimises (w − 3)² and checks both optimisers get there.
    fn minimise(kind: Optim, lr: f64) -> f64 {
        let vs = VarStore::new(Device::Cpu);
        let w = vs.root().zeros("w", &[1]);
        let mut st = OptState::new(kind, &vs);
        for _ in 0..500 {
            st.zero_grad();
            (&w - 3.0).square().sum(Kind::Float).backward();
            st.step(lr, 0.0);
        }
        w.double_value(&[0])
    }

    #[test]
    fn optimisers_minimise_a_quadratic() {
        assert!((minimise(Optim::adam(), 0.05) - 3.0).abs() < 1e-2);
        assert!((minimise(Optim::adamw(), 0.05) - 3.0).abs() < 1e-2);
        assert!((minimise(Optim::sgd(0.9), 0.01) - 3.0).abs() < 1e-3);
    }

    #[test]
    fn first_adam_step_moves_each_weight_by_lr() {
        // With bias correction the first step is lr·sign(g) (up to ε).
        let vs = VarStore::new(Device::Cpu);
        let w = vs.root().var("w", &[2], nn::Init::Const(1.0));
        let mut st = OptState::new(Optim::adam(), &vs);
        (&w * Tensor::from_slice(&[2.0f32, -5.0])).sum(Kind::Float).backward();
        st.step(0.1, 0.0);
        let got = Vec::<f32>::try_from(&w).unwrap();
        assert!((got[0] - 0.9).abs() < 1e-6 && (got[1] - 1.1).abs() < 1e-6, "{got:?}");
    }

    #[test]
    fn cosine_and_step_schedules() {
        let c = Schedule::Cosine { min_lr: 0.0 };
        assert!((c.rate(1.0, 0, 0, 100) - 1.0).abs() < 1e-12);
        assert!((c.rate(1.0, 0, 50, 100) - 0.5).abs() < 1e-12);
        assert!(c.rate(1.0, 0, 100, 100).abs() < 1e-12);
        assert!((Schedule::Step { every: 2, gamma: 0.1 }.rate(1.0, 5, 0, 0) - 0.01).abs() < 1e-12);
        assert!(matches!(Optim::Adam { beta1: 1.0, beta2: 0.9, eps: 1e-8 }.check(), Err(Error::Param { name: "beta1", .. })));
    }
}
