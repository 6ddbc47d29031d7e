//! The soft-equivariance regulariser and its λ auto-tuning (Kim, Lee, Yang &
//! Lee, "Regularizing Towards Soft Equivariance Under Mixed Symmetries",
//! ICML 2023; reference `models/objax_per.py`, `AdjustEquiv`).
//!
//! For candidate groups G₁ … G_J and layers (W, b):
//! `Rⱼ = Σ_layers ½‖W − PⱼW‖² + ½‖b − Pⱼb‖²` and the loss adds `Σⱼ λⱼ Rⱼ`.
//! Auto-tuning watches the residuals after a warm-up, keeps the smallest
//! value of each Rⱼ seen in the window, and at the window's end sets
//! `λⱼ ← λⱼ / (Rⱼ / min_{k: λₖ ≠ 0} Rₖ)^p` once: groups the data breaks keep
//! large residuals and lose their weight; the final λ's are the discovered
//! levels of symmetry, shown as a bar chart.
//!
//! Cost per step: one (copies × n)·(n × n) product per rank pair, layer and
//! group (see [`Projector`]); the projectors are built once.
//!
//! # Example
//! ```
//! use lowdim::deep::*;
//! use tch::{Device, Kind, Tensor};
//! let w = Tensor::randn([3, 3], (Kind::Float, Device::Cpu));
//! let layer = RegLayer::new("fc", &w, None, Rep::vectors(1), Rep::vectors(1));
//! let reg = EquivarianceRegularizer::new(&[Group::o3(), Group::so2(2).unwrap()], vec![layer], 1.0).unwrap();
//! assert_eq!(reg.residuals().unwrap().len(), 2);
//! ```

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;
use tch::{Kind, Tensor};

use super::group::Group;
use super::projector::Projector;
use super::rep::Rep;
use crate::deep::{Control, EpochRecord, Loss};
use crate::error::{Error, Result};
use crate::plot::Figure;

/// One linear layer the regulariser looks at: its weight (d_out × d_in, a
/// handle on the trainable tensor), optional bias, and representations.
pub struct RegLayer {
    name: String,
    weight: Tensor,
    bias: Option<Tensor>,
    rep_in: Rep,
    rep_out: Rep,
}

impl RegLayer {
    /// A layer; the tensors are shared (shallow) handles, so training moves them.
    pub fn new(name: &str, weight: &Tensor, bias: Option<&Tensor>, rep_in: Rep, rep_out: Rep) -> Self {
        RegLayer { name: name.to_string(), weight: weight.shallow_clone(), bias: bias.map(Tensor::shallow_clone), rep_in, rep_out }
    }
}

/// The auto-tuning rule's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoTune {
    /// Epochs before the residuals are watched.
    pub warmup: usize,
    /// The epoch after which λ is updated (the window is (warmup, adjust_at]).
    pub adjust_at: usize,
    /// The exponent p of the rule (2 in the paper's inertia runs).
    pub power: f64,
}

impl AutoTune {
    /// Watch epochs warmup+1 ..= adjust_at, then update once with exponent `power`.
    pub fn new(warmup: usize, adjust_at: usize, power: f64) -> Self {
        AutoTune { warmup, adjust_at, power }
    }

    fn check(&self) -> Result<()> {
        if self.adjust_at <= self.warmup {
            return Err(Error::param("adjust_at", format!("must be > warmup = {}; got {}", self.warmup, self.adjust_at)));
        }
        if !(self.power > 0.0 && self.power.is_finite()) {
            return Err(Error::param("power", format!("must be a finite number > 0; got {}", self.power)));
        }
        Ok(())
    }
}

/// What the tuner has seen.
#[derive(Default)]
struct TuneState {
    smallest: Option<Vec<f64>>,
    adjusted: bool,
    error: Option<String>,
}

/// Σⱼ λⱼ Rⱼ over candidate groups and layers, with λ shared with the tuner.
pub struct EquivarianceRegularizer {
    groups: Vec<String>,
    layers: Vec<RegLayer>,
    projectors: Vec<Vec<Projector>>,
    lambdas: Rc<RefCell<Vec<f64>>>,
    state: Rc<RefCell<TuneState>>,
    plan: Plan,
}

impl std::fmt::Debug for EquivarianceRegularizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EquivarianceRegularizer(groups {:?}, λ {:?}, {} layers)", self.groups, self.lambdas.borrow(), self.layers.len())
    }
}

impl EquivarianceRegularizer {
    /// Builds the exact projectors of every group for every layer, with the
    /// same starting λ for every group. Fails when a layer's weight does not
    /// have the shape its representations need under a group (naming both),
    /// or a group's projector cannot be built.
    pub fn new(groups: &[Group], layers: Vec<RegLayer>, lambda: f64) -> Result<Self> {
        Self::with_lambdas(groups, layers, &vec![lambda; groups.len()])
    }

    /// As [`new`](Self::new) with one starting λ per group.
    pub fn with_lambdas(groups: &[Group], layers: Vec<RegLayer>, lambdas: &[f64]) -> Result<Self> {
        if groups.is_empty() {
            return Err(Error::param("groups", "must name at least one candidate group; got none"));
        }
        if lambdas.len() != groups.len() {
            return Err(Error::param("lambdas", format!("needs one λ per group ({}); got {}", groups.len(), lambdas.len())));
        }
        if let Some(l) = lambdas.iter().find(|l| !(**l >= 0.0 && l.is_finite())) {
            return Err(Error::param("lambdas", format!("must be finite and ≥ 0; got {l}")));
        }
        let mut projectors = Vec::with_capacity(groups.len());
        for g in groups {
            let mut per_layer = Vec::with_capacity(layers.len());
            for l in &layers {
                let p = Projector::exact(g, &l.rep_in, &l.rep_out)?;
                p.check_layer(&l.name, &l.weight, l.bias.as_ref())?;
                per_layer.push(p);
            }
            projectors.push(per_layer);
        }
        let plan = Plan::new(&layers, &projectors)?;
        Ok(EquivarianceRegularizer {
            groups: groups.iter().map(|g| g.name().to_string()).collect(),
            layers,
            projectors,
            plan,
            lambdas: Rc::new(RefCell::new(lambdas.to_vec())),
            state: Rc::default(),
        })
    }

    /// The candidate groups' names.
    pub fn groups(&self) -> &[String] {
        &self.groups
    }

    /// The current λ per group.
    pub fn lambdas(&self) -> Vec<f64> {
        self.lambdas.borrow().clone()
    }

    /// Sets λ (one per group).
    pub fn set_lambdas(&self, lambdas: &[f64]) -> Result<()> {
        if lambdas.len() != self.groups.len() || lambdas.iter().any(|l| !(*l >= 0.0 && l.is_finite())) {
            return Err(Error::param("lambdas", format!("needs {} finite values ≥ 0; got {lambdas:?}", self.groups.len())));
        }
        *self.lambdas.borrow_mut() = lambdas.to_vec();
        Ok(())
    }

    /// Rⱼ for each group j, summed over the layers, at the current weights.
    /// A non-finite residual is an error naming the group and the layer.
    pub fn residuals(&self) -> Result<Vec<f64>> {
        tch::no_grad(|| {
            self.projectors
                .iter()
                .zip(&self.groups)
                .map(|(per_layer, g)| {
                    let mut total = 0.0;
                    for (p, l) in per_layer.iter().zip(&self.layers) {
                        let r = p.residual(&l.weight, l.bias.as_ref()).to_kind(Kind::Double).double_value(&[]);
                        if !r.is_finite() {
                            return Err(Error::Training(format!("the equivariance residual of group {g} at layer {} is {r}", l.name)));
                        }
                        total += r;
                    }
                    Ok(total)
                })
                .collect()
        })
    }

    /// The loss term Σⱼ λⱼ Rⱼ (named "equivariance"), reading λ at every step.
    pub fn loss(&self) -> Loss {
        let lambdas = Rc::clone(&self.lambdas);
        let plan = self.plan.shallow();
        Loss::new("equivariance", move |_, f| {
            let out = f.output();
            let r = plan.residuals(out.kind());
            let l = Tensor::from_slice(&lambdas.borrow()).to_kind(out.kind()).to_device(out.device());
            (r * l).sum(out.kind())
        })
    }

    /// A trainer callback applying the auto-tuning rule; a non-finite
    /// residual stops training and [`tuning_error`](Self::tuning_error) says
    /// where.
    pub fn auto_tune(&self, rule: AutoTune) -> Result<impl Fn(&EpochRecord) -> Control + 'static> {
        rule.check()?;
        let me = self.shallow();
        Ok(move |r: &EpochRecord| me.tune_step(rule, r.epoch))
    }

    fn tune_step(&self, rule: AutoTune, epoch: usize) -> Control {
        if epoch <= rule.warmup || epoch > rule.adjust_at {
            return Control::Continue;
        }
        let residuals = match self.residuals() {
            Ok(r) => r,
            Err(e) => {
                self.state.borrow_mut().error = Some(e.to_string());
                return Control::Stop;
            }
        };
        let mut st = self.state.borrow_mut();
        let smallest = st.smallest.get_or_insert_with(|| residuals.clone());
        for (s, r) in smallest.iter_mut().zip(&residuals) {
            *s = s.min(*r);
        }
        if epoch == rule.adjust_at && !st.adjusted {
            let new = adjusted_lambdas(&self.lambdas.borrow(), st.smallest.as_ref().expect("set above"), rule.power);
            *self.lambdas.borrow_mut() = new;
            st.adjusted = true;
        }
        Control::Continue
    }

    /// Why auto-tuning stopped training, if it did.
    pub fn tuning_error(&self) -> Option<String> {
        self.state.borrow().error.clone()
    }

    /// The smallest residual per group seen in the tuning window.
    pub fn smallest_residuals(&self) -> Option<Vec<f64>> {
        self.state.borrow().smallest.clone()
    }

    /// Whether the λ update has been applied.
    pub fn adjusted(&self) -> bool {
        self.state.borrow().adjusted
    }

    /// A second handle sharing the λ's, the tuner state and the weights.
    fn shallow(&self) -> Self {
        EquivarianceRegularizer {
            groups: self.groups.clone(),
            layers: self
                .layers
                .iter()
                .map(|l| RegLayer::new(&l.name, &l.weight, l.bias.as_ref(), l.rep_in.clone(), l.rep_out.clone()))
                .collect(),
            projectors: self.projectors.iter().map(|v| v.iter().map(Projector::shallow).collect()).collect(),
            lambdas: Rc::clone(&self.lambdas),
            state: Rc::clone(&self.state),
            plan: self.plan.shallow(),
        }
    }

    /// The λ per group as a bar chart.
    pub fn figure(&self) -> Figure {
        lambda_bars(&self.groups, &[("λ".to_string(), self.lambdas())]).expect("one λ per group")
    }

    /// Renders the λ bar chart in the notebook.
    pub fn evcxr_display(&self) {
        self.figure().evcxr_display()
    }
}

/// Every layer's weights and biases gathered, once per step, into one
/// (copies × n) matrix per rank pair (p, q) — the same rank pair has the same
/// projector in every layer, and a bias of rank p is a map from T0 — and
/// multiplied once by [I − P₁ | … | I − P_J], so one step costs a handful of
/// operations whatever the number of layers and groups.
struct Plan {
    params: Vec<Tensor>,
    pairs: Vec<PairPlan>,
    n_groups: i64,
}

struct PairPlan {
    index: Tensor,
    n: i64,
    q64: Tensor,
    q32: Tensor,
}

impl Plan {
    fn new(layers: &[RegLayer], projectors: &[Vec<Projector>]) -> Result<Self> {
        let mut params = Vec::new();
        let mut index: std::collections::BTreeMap<(usize, usize), Vec<i64>> = Default::default();
        let mut offset = 0i64;
        for (l, layer) in layers.iter().enumerate() {
            let d = projectors[0][l].base_dim();
            let (o, i) = (layer.rep_out.size(d) as i64, layer.rep_in.size(d) as i64);
            for &p in &layer.rep_out.ranks() {
                for &q in &layer.rep_in.ranks() {
                    let ix = index.entry((p, q)).or_default();
                    gather_block(ix, offset, i, &layer.rep_out, &layer.rep_in, p, q, d);
                }
            }
            params.push(layer.weight.shallow_clone());
            offset += o * i;
            if let Some(b) = &layer.bias {
                for &p in &layer.rep_out.ranks() {
                    gather_block(index.entry((p, 0)).or_default(), offset, 1, &layer.rep_out, &Rep::scalars(1), p, 0, d);
                }
                params.push(b.shallow_clone());
                offset += o;
            }
        }
        let pairs = index
            .into_iter()
            .map(|((p, q), ix)| {
                let stack: Vec<Tensor> = projectors
                    .iter()
                    .map(|per_layer| {
                        let block = per_layer.iter().find_map(|pr| pr.block(p, q)).expect("every rank pair has a block");
                        Tensor::eye(block.size()[0], (Kind::Double, block.device())) - block
                    })
                    .collect();
                let q64 = Tensor::f_cat(&stack, 1)?;
                let n = q64.size()[0];
                Ok(PairPlan { index: Tensor::from_slice(&ix), n, q32: q64.f_to_kind(Kind::Float)?, q64 })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Plan { params, pairs, n_groups: projectors.len() as i64 })
    }

    fn shallow(&self) -> Self {
        Plan {
            params: self.params.iter().map(Tensor::shallow_clone).collect(),
            pairs: self
                .pairs
                .iter()
                .map(|p| PairPlan { index: p.index.shallow_clone(), n: p.n, q64: p.q64.shallow_clone(), q32: p.q32.shallow_clone() })
                .collect(),
            n_groups: self.n_groups,
        }
    }

    /// Rⱼ for every group j (a J-vector), differentiable.
    fn residuals(&self, kind: Kind) -> Tensor {
        let flat: Vec<Tensor> = self.params.iter().map(|t| t.reshape([-1]).to_kind(kind)).collect();
        let flat = Tensor::cat(&flat, 0);
        let mut total = Tensor::zeros([self.n_groups], (kind, flat.device()));
        for pair in &self.pairs {
            let q = if kind == Kind::Double { &pair.q64 } else { &pair.q32 };
            let x = flat.index_select(0, &pair.index.to_device(flat.device())).reshape([-1, pair.n]);
            let r = x.matmul(&q.to_device(flat.device())).square().reshape([-1, self.n_groups, pair.n]).sum_dim_intlist(
                [0, 2].as_slice(),
                false,
                kind,
            );
            total += r * 0.5;
        }
        total
    }
}

/// Appends the flat positions of the (p, q) blocks of a row-major o × `width`
/// matrix stored at `offset`, copy pair by copy pair, each block row-major.
#[allow(clippy::too_many_arguments)]
fn gather_block(ix: &mut Vec<i64>, offset: i64, width: i64, rep_out: &Rep, rep_in: &Rep, p: usize, q: usize, d: usize) {
    let (dp, dq) = (d.pow(p as u32) as i64, d.pow(q as u32) as i64);
    let (rp, cq) = (rep_out.offset(p, d) as i64, rep_in.offset(q, d) as i64);
    for a in 0..rep_out.multiplicity(p) as i64 {
        for b in 0..rep_in.multiplicity(q) as i64 {
            for u in 0..dp {
                for v in 0..dq {
                    ix.push(offset + (rp + a * dp + u) * width + cq + b * dq + v);
                }
            }
        }
    }
}

/// Grouped bars of λ per candidate group, one series per run (e.g. per data
/// set); every run needs one λ per group.
pub fn lambda_bars(groups: &[String], runs: &[(String, Vec<f64>)]) -> Result<Figure> {
    if runs.is_empty() {
        return Err(Error::param("runs", "must hold at least one run; got none"));
    }
    if let Some((name, l)) = runs.iter().find(|(_, l)| l.len() != groups.len()) {
        return Err(Error::param("runs", format!("run `{name}` has {} λ's for {} groups", l.len(), groups.len())));
    }
    let traces = runs.iter().map(|(name, l)| json!({"type": "bar", "x": groups, "y": l, "name": name})).collect();
    Ok(Figure::new(traces).title("λ per candidate group").axis_labels(&["group", "λ"]))
}

/// λⱼ / (Rⱼ / min_{k: λₖ ≠ 0} Rₖ)^p; groups with λ = 0 stay at 0.
pub(crate) fn adjusted_lambdas(lambdas: &[f64], residuals: &[f64], power: f64) -> Vec<f64> {
    const TINY: f64 = 1e-30;
    let min = lambdas.iter().zip(residuals).filter(|(l, _)| **l != 0.0).map(|(_, r)| *r).fold(f64::INFINITY, f64::min);
    lambdas.iter().zip(residuals).map(|(l, r)| if *l == 0.0 { 0.0 } else { l / ((r + TINY) / (min + TINY)).powf(power) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_keeps_the_smallest_residual_and_divides_the_others() {
        let l = adjusted_lambdas(&[10.0, 10.0, 0.0, 10.0], &[2.0, 1.0, 0.5, 4.0], 2.0);
        assert_eq!(l, vec![2.5, 10.0, 0.0, 10.0 / 16.0]);
    }

    #[test]
    fn bad_tuning_settings_are_errors() {
        assert!(matches!(AutoTune::new(5, 5, 2.0).check(), Err(Error::Param { name: "adjust_at", .. })));
        assert!(matches!(AutoTune::new(0, 5, 0.0).check(), Err(Error::Param { name: "power", .. })));
    }
}
