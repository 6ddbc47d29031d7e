//! The orthogonal projector onto the equivariant linear maps between two
//! tensor representations, {W : ρ_out(g) W = W ρ_in(g) for all g}, as in EMLP
//! (Finzi, Welling & Wilson, ICML 2021) and the soft-equivariance regulariser
//! of Kim, Lee, Yang & Lee (ICML 2023).
//!
//! Both representations are direct sums of copies of Tₚ, so the constraint
//! splits into one block per (output copy, input copy); copies of the same
//! ranks (p, q) share the projector of Hom(T_q, Tₚ), a d^{p+q}-dimensional
//! space. Only those few small projectors are computed and stored (in f64);
//! applying P to a weight matrix gathers the blocks of each rank pair into
//! one matrix and multiplies once. [`Projector::dense`] assembles the full
//! (d_out·d_in)² matrix on row-major vec(W) for checks.
//!
//! Two ways to compute a block:
//! - exact: the nullspace of the stacked constraints — Lie generators A give
//!   `dρₚ(A) W − W dρ_q(A) = 0`, discrete generators h give
//!   `ρₚ(h) W ρ_q(h)⁻¹ − W = 0` — from the eigenvectors of CᵀC with (near)
//!   zero eigenvalue (libtorch's `eigh` in f64, on the CPU);
//! - averaged: (1/|H|) Σ_{h∈H} ρₚ(h) ⊗ ρ_q(h)^{-T} over a finite subgroup H
//!   for which that is provably the same projector: the whole group when it
//!   is finite, and for SO(2)/O(2) about an axis the cyclic/dihedral group of
//!   order p + q + 1 (Hom(T_q, Tₚ) ≅ T_{p+q} carries angular frequencies
//!   ≤ p + q, which C_{p+q+1} removes exactly as SO(2) does).
//!
//! Cost: per rank pair, O(k·n²) to build CᵀC for k generators and O(n³)
//! for the eigendecomposition, n = d^{p+q}; applying P costs one
//! (copies × n) · (n × n) product per rank pair.
//!
//! # Example
//! ```
//! use lowdim::deep::*;
//! let p = Projector::exact(&Group::o3(), &Rep::vectors(2), &Rep::vectors(1)).unwrap();
//! assert_eq!(p.rank(), 2); // O(3)-equivariant maps 2 vectors → 1 vector: a·v₁ + b·v₂
//! assert_eq!(p.dense().unwrap().dim(), (18, 18));
//! ```

use std::collections::HashSet;

use ndarray::{Array2, ArrayView2};
use tch::{Device, Kind, Tensor};

use super::group::{expm, Group, Shape};
use super::rep::{kron, tensor_generator, tensor_power, Rep};
use crate::error::{Error, Result};

/// How a projector was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProjectorMethod {
    /// Nullspace of the Lie-algebra and discrete-generator constraints.
    Exact,
    /// Average over a finite subgroup on which it is exact.
    Averaged,
}

/// The projector of one rank pair: output rank p, input rank q.
struct Block {
    p: usize,
    q: usize,
    mat: Tensor,
    mat32: Tensor,
    rank: usize,
}

impl Block {
    fn shallow(&self) -> Self {
        Block { p: self.p, q: self.q, mat: self.mat.shallow_clone(), mat32: self.mat32.shallow_clone(), rank: self.rank }
    }

    fn new(p: usize, q: usize, mat: Tensor) -> Result<Self> {
        let rank = mat.f_trace()?.f_double_value(&[])?.round() as usize;
        Ok(Block { p, q, mat32: mat.f_to_kind(Kind::Float)?, mat, rank })
    }

    fn for_kind(&self, like: &Tensor) -> Tensor {
        let m = if like.kind() == Kind::Double { &self.mat } else { &self.mat32 };
        if like.device() == Device::Cpu {
            m.shallow_clone()
        } else {
            m.to_device(like.device())
        }
    }
}

/// The orthogonal projector onto the equivariant maps ρ_in → ρ_out of a group,
/// and onto the invariant biases of ρ_out.
pub struct Projector {
    group: String,
    d: usize,
    rep_in: Rep,
    rep_out: Rep,
    method: ProjectorMethod,
    blocks: Vec<Block>,
    bias: Vec<Block>,
}

impl std::fmt::Debug for Projector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Projector({}: {} → {}, {:?}, rank {})", self.group, self.rep_in, self.rep_out, self.method, self.rank())
    }
}

impl Projector {
    /// The exact projector (nullspace of the stacked constraints).
    pub fn exact(group: &Group, rep_in: &Rep, rep_out: &Rep) -> Result<Self> {
        Self::build(group, rep_in, rep_out, ProjectorMethod::Exact)
    }

    /// The projector by averaging over a finite subgroup; fails for groups
    /// where no finite subgroup is exact (O(3), SO(3), scalings).
    pub fn averaged(group: &Group, rep_in: &Rep, rep_out: &Rep) -> Result<Self> {
        Self::build(group, rep_in, rep_out, ProjectorMethod::Averaged)
    }

    fn build(group: &Group, rep_in: &Rep, rep_out: &Rep, method: ProjectorMethod) -> Result<Self> {
        if rep_in.is_empty() || rep_out.is_empty() {
            return Err(Error::param("rep", format!("of a layer for group {} must not be empty; got {rep_in} → {rep_out}", group.name())));
        }
        let block = |p: usize, q: usize| -> Result<Block> {
            let mat = match method {
                ProjectorMethod::Exact => nullspace_projector(group, p, q)?,
                ProjectorMethod::Averaged => averaged_projector(group, p, q)?,
            };
            Block::new(p, q, mat)
        };
        let mut blocks = Vec::new();
        for &p in &rep_out.ranks() {
            for &q in &rep_in.ranks() {
                blocks.push(block(p, q)?);
            }
        }
        let bias = rep_out.ranks().iter().map(|&p| block(p, 0)).collect::<Result<Vec<_>>>()?;
        Ok(Projector {
            group: group.name().to_string(),
            d: group.dim(),
            rep_in: rep_in.clone(),
            rep_out: rep_out.clone(),
            method,
            blocks,
            bias,
        })
    }

    /// A second handle on the same projector (the matrices are shared).
    pub fn shallow(&self) -> Self {
        Projector {
            group: self.group.clone(),
            d: self.d,
            rep_in: self.rep_in.clone(),
            rep_out: self.rep_out.clone(),
            method: self.method,
            blocks: self.blocks.iter().map(Block::shallow).collect(),
            bias: self.bias.iter().map(Block::shallow).collect(),
        }
    }

    /// The f64 projector of Hom(T_q, Tₚ), when both ranks occur.
    pub(crate) fn block(&self, p: usize, q: usize) -> Option<&Tensor> {
        self.blocks.iter().chain(&self.bias).find(|b| b.p == p && b.q == q).map(|b| &b.mat)
    }

    /// The group's base dimension d.
    pub(crate) fn base_dim(&self) -> usize {
        self.d
    }

    /// The group's name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The input and output representations.
    pub fn reps(&self) -> (&Rep, &Rep) {
        (&self.rep_in, &self.rep_out)
    }

    /// The weight shape (d_out, d_in) this projector applies to.
    pub fn weight_shape(&self) -> (usize, usize) {
        (self.rep_out.size(self.d), self.rep_in.size(self.d))
    }

    /// How it was computed.
    pub fn method(&self) -> ProjectorMethod {
        self.method
    }

    /// Dimension of the space of equivariant weight matrices.
    pub fn rank(&self) -> usize {
        self.blocks.iter().map(|b| b.rank * self.rep_out.multiplicity(b.p) * self.rep_in.multiplicity(b.q)).sum()
    }

    /// Fails unless `w` (and `b`, when given) have this projector's shapes,
    /// naming the group and `layer`.
    pub fn check_layer(&self, layer: &str, w: &Tensor, b: Option<&Tensor>) -> Result<()> {
        let (o, i) = self.weight_shape();
        if w.size() != [o as i64, i as i64] {
            return Err(Error::param(
                "rep",
                format!(
                    "{} → {} of group {} (d = {}) needs a {o} × {i} weight, but layer {layer} has {:?}",
                    self.rep_in,
                    self.rep_out,
                    self.group,
                    self.d,
                    w.size()
                ),
            ));
        }
        if let Some(b) = b.filter(|b| b.size() != [o as i64]) {
            return Err(Error::param(
                "rep",
                format!("{} of group {} needs a bias of {o}, but layer {layer} has {:?}", self.rep_out, self.group, b.size()),
            ));
        }
        Ok(())
    }

    /// The rank-pair blocks of `w` (d_out × d_in) as (block, copies × n) matrices.
    fn gathered<'a>(&'a self, w: &Tensor) -> impl Iterator<Item = (&'a Block, Tensor)> + 'a {
        let w = w.shallow_clone();
        let d = self.d as i64;
        self.blocks.iter().map(move |b| {
            let (dp, dq) = (d.pow(b.p as u32), d.pow(b.q as u32));
            let (mp, mq) = (self.rep_out.multiplicity(b.p) as i64, self.rep_in.multiplicity(b.q) as i64);
            let sub =
                w.narrow(0, self.rep_out.offset(b.p, self.d) as i64, mp * dp).narrow(1, self.rep_in.offset(b.q, self.d) as i64, mq * dq);
            (b, sub.reshape([mp, dp, mq, dq]).permute([0, 2, 1, 3]).reshape([mp * mq, dp * dq]))
        })
    }

    fn bias_blocks<'a>(&'a self, bias: &Tensor) -> impl Iterator<Item = (&'a Block, Tensor)> + 'a {
        let bias = bias.shallow_clone();
        self.bias.iter().map(move |b| {
            let dp = (self.d as i64).pow(b.p as u32);
            let mp = self.rep_out.multiplicity(b.p) as i64;
            (b, bias.narrow(0, self.rep_out.offset(b.p, self.d) as i64, mp * dp).reshape([mp, dp]))
        })
    }

    /// P·W, differentiable; `w` is d_out × d_in (f32 or f64).
    pub fn project_weight(&self, w: &Tensor) -> Result<Tensor> {
        self.check_layer("(given weight)", w, None)?;
        Ok(self.project_unchecked(w))
    }

    pub(crate) fn project_unchecked(&self, w: &Tensor) -> Tensor {
        let d = self.d as i64;
        let mut rows: Vec<Vec<Tensor>> = (0..=self.rep_out.max_rank()).map(|_| Vec::new()).collect();
        for (b, x) in self.gathered(w) {
            let (dp, dq) = (d.pow(b.p as u32), d.pow(b.q as u32));
            let (mp, mq) = (self.rep_out.multiplicity(b.p) as i64, self.rep_in.multiplicity(b.q) as i64);
            let y = x.matmul(&b.for_kind(w)).reshape([mp, mq, dp, dq]).permute([0, 2, 1, 3]).reshape([mp * dp, mq * dq]);
            rows[b.p].push(y);
        }
        let rows: Vec<Tensor> = rows.into_iter().filter(|r| !r.is_empty()).map(|r| Tensor::cat(&r, 1)).collect();
        Tensor::cat(&rows, 0)
    }

    /// P·b for a bias of ρ_out, differentiable.
    pub fn project_bias(&self, bias: &Tensor) -> Result<Tensor> {
        let o = self.rep_out.size(self.d) as i64;
        if bias.size() != [o] {
            return Err(Error::param(
                "rep",
                format!("{} of group {} needs a bias of {o}; got {:?}", self.rep_out, self.group, bias.size()),
            ));
        }
        Ok(self.project_bias_unchecked(bias))
    }

    pub(crate) fn project_bias_unchecked(&self, bias: &Tensor) -> Tensor {
        let parts: Vec<Tensor> = self.bias_blocks(bias).map(|(b, x)| x.matmul(&b.for_kind(bias)).reshape([-1])).collect();
        Tensor::cat(&parts, 0)
    }

    /// ½‖W − PW‖² + ½‖b − Pb‖² (differentiable; shapes checked beforehand).
    pub(crate) fn residual(&self, w: &Tensor, bias: Option<&Tensor>) -> Tensor {
        let mut total = Tensor::zeros([], (w.kind(), w.device()));
        for (b, x) in self.gathered(w) {
            total += (&x - x.matmul(&b.for_kind(w))).square().sum(w.kind()) * 0.5;
        }
        if let Some(bias) = bias {
            for (b, x) in self.bias_blocks(bias) {
                total += (&x - x.matmul(&b.for_kind(bias))).square().sum(w.kind()) * 0.5;
            }
        }
        total
    }

    /// The full projector on row-major vec(W), (d_out·d_in) × (d_out·d_in), in f64.
    pub fn dense(&self) -> Result<Array2<f64>> {
        let (o, i) = self.weight_shape();
        let n = (o * i) as i64;
        let basis = Tensor::eye(n, (Kind::Double, Device::Cpu));
        let cols: Vec<Tensor> = (0..n).map(|k| self.project_unchecked(&basis.get(k).reshape([o as i64, i as i64])).reshape([-1])).collect();
        super::super::tensor::to_array2(&Tensor::stack(&cols, 1))
    }
}

fn to_t(a: &Array2<f64>) -> Tensor {
    let (r, c) = a.dim();
    Tensor::from_slice(a.as_standard_layout().as_slice().expect("standard layout")).view([r as i64, c as i64])
}

fn inverse(h: ArrayView2<f64>) -> Result<Array2<f64>> {
    let inv = Tensor::f_linalg_inv(&to_t(&h.to_owned()))?;
    let v = Vec::<f64>::try_from(&inv.f_reshape([-1])?)?;
    Ok(Array2::from_shape_vec(h.dim(), v).expect("square"))
}

/// The projector onto Hom(T_q, Tₚ) ∩ {equivariant} from the nullspace of Σ CᵀC.
fn nullspace_projector(group: &Group, p: usize, q: usize) -> Result<Tensor> {
    let d = group.dim();
    let (np, nq) = (d.pow(p as u32), d.pow(q as u32));
    let n = (np * nq) as i64;
    let mut m = Tensor::zeros([n, n], (Kind::Double, Device::Cpu));
    let (ip, iq) = (Array2::<f64>::eye(np), Array2::<f64>::eye(nq));
    for a in group.lie_generators() {
        let c = kron(tensor_generator(a.view(), p).view(), iq.view()) - kron(ip.view(), tensor_generator(a.view(), q).t());
        let c = to_t(&c);
        m += c.tr().matmul(&c);
    }
    for h in group.discrete_generators() {
        let hq_inv = tensor_power(inverse(h.view())?.view(), q);
        let c = to_t(&(kron(tensor_power(h.view(), p).view(), hq_inv.t()) - Array2::<f64>::eye(np * nq)));
        m += c.tr().matmul(&c);
    }
    let (values, vectors) = m.f_linalg_eigh("L")?;
    let top = values.f_max()?.f_double_value(&[])?.max(1.0);
    let keep = values.f_lt(1e-8 * top)?.f_nonzero()?.f_reshape([-1])?;
    let q_basis = vectors.f_index_select(1, &keep)?;
    Ok(q_basis.f_matmul(&q_basis.tr())?)
}

/// Elements of a finite subgroup whose average is the exact projector for
/// maps of total rank `total` (ranks p + q).
fn averaging_subgroup(group: &Group, total: usize) -> Result<Vec<Array2<f64>>> {
    match group.shape {
        Shape::Finite => closure(group),
        Shape::Axial { mirror, .. } => {
            let k = total + 1;
            let a = &group.lie_generators()[0];
            let mut out: Vec<Array2<f64>> = (0..k).map(|j| expm(&(a * (2.0 * std::f64::consts::PI * j as f64 / k as f64)))).collect();
            if mirror {
                let m = &group.discrete_generators()[0];
                let mirrored: Vec<Array2<f64>> = out.iter().map(|r| r.dot(m)).collect();
                out.extend(mirrored);
            }
            Ok(out)
        }
        Shape::Continuous => Err(Error::param(
            "method",
            format!(
                "averaging is not exact for group {}: it has no finite subgroup with the same equivariant maps; use Projector::exact",
                group.name()
            ),
        )),
    }
}

/// Every element of a finite group generated by its discrete generators.
fn closure(group: &Group) -> Result<Vec<Array2<f64>>> {
    const MAX: usize = 50_000;
    let key = |m: &Array2<f64>| m.iter().map(|v| (v * 1e6).round() as i64).collect::<Vec<_>>();
    let mut seen: HashSet<Vec<i64>> = HashSet::new();
    let id = Array2::<f64>::eye(group.dim());
    seen.insert(key(&id));
    let (mut all, mut frontier) = (vec![id.clone()], vec![id]);
    while let Some(g) = frontier.pop() {
        for h in group.discrete_generators() {
            let gh = g.dot(h);
            if seen.insert(key(&gh)) {
                if all.len() >= MAX {
                    return Err(Error::param(
                        "method",
                        format!("group {} has more than {MAX} elements; use Projector::exact", group.name()),
                    ));
                }
                all.push(gh.clone());
                frontier.push(gh);
            }
        }
    }
    Ok(all)
}

fn averaged_projector(group: &Group, p: usize, q: usize) -> Result<Tensor> {
    let elements = averaging_subgroup(group, p + q)?;
    let n = group.dim().pow((p + q) as u32);
    let mut sum = Array2::<f64>::zeros((n, n));
    for h in &elements {
        let hq_inv = tensor_power(inverse(h.view())?.view(), q);
        sum += &kron(tensor_power(h.view(), p).view(), hq_inv.t());
    }
    Ok(to_t(&(sum / elements.len() as f64)))
}
