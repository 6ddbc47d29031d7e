//! A sample-based equivariance error for any model and transformation:
//! E‖f(g·x) − ρ_out(g) f(x)‖², the mean over the rows of `x` of the squared
//! norm, for diagnosing trained nets (as in Kim, Lee, Yang & Lee, ICML 2023,
//! and Finzi, Welling & Wilson, ICML 2021). With ρ_out = I it measures
//! invariance (a classifier's logits under cyclic shifts of its input).
//!
//! Cost: two forward passes over `x` per transformation.
//!
//! # Example
//! ```
//! use lowdim::deep::*;
//! use ndarray::Array2;
//! use tch::{nn, Device, Kind, Tensor};
//! // a linear map that commutes with every shift is exactly shift-equivariant
//! let model = Model::new(Device::Cpu, 0, |p| nn::seq().add(nn::linear(p / "fc", 4, 4, Default::default())));
//! let x = Tensor::randn([8, 4], (Kind::Float, Device::Cpu));
//! let g = cyclic_shift_matrix(4, 1);
//! let e = equivariance_error(&model, &x, g.view(), g.view()).unwrap();
//! assert!(e >= 0.0);
//! ```

use ndarray::{Array2, ArrayView2};
use tch::{Kind, Tensor};

use super::group::Group;
use super::rep::Rep;
use crate::deep::{guarded, Model};
use crate::error::{Error, Result};

fn to_t(a: ArrayView2<f64>, like: &Tensor) -> Tensor {
    let v: Vec<f64> = a.iter().copied().collect();
    Tensor::from_slice(&v).view([a.nrows() as i64, a.ncols() as i64]).to_kind(like.kind()).to_device(like.device())
}

/// E‖f(x g_inᵀ) − f(x) g_outᵀ‖² over the rows of `x` (n × d_in).
pub fn equivariance_error(model: &Model, x: &Tensor, g_in: ArrayView2<f64>, g_out: ArrayView2<f64>) -> Result<f64> {
    let size = x.size();
    if size.len() != 2 || size[1] != g_in.ncols() as i64 || g_in.nrows() != g_in.ncols() {
        return Err(Error::param("g_in", format!("must be square with the input width; got {:?} for inputs {:?}", g_in.dim(), size)));
    }
    crate::error::check_finite("g_in", &g_in)?;
    crate::error::check_finite("g_out", &g_out)?;
    let x = x.to_device(model.device()).to_kind(Kind::Float);
    let gx = x.matmul(&to_t(g_in, &x).tr());
    let (fx, fgx) = (model.forward(&x)?, model.forward(&gx)?);
    let out = fx.size();
    if out.len() != 2 || out[1] != g_out.ncols() as i64 || g_out.nrows() != g_out.ncols() {
        return Err(Error::param("g_out", format!("must be square with the output width; got {:?} for outputs {:?}", g_out.dim(), out)));
    }
    let e = guarded("equivariance error", || {
        let rho_fx = fx.matmul(&to_t(g_out, &fx).tr());
        (fgx - rho_fx).square().sum_dim_intlist(1, false, Kind::Double).mean(Kind::Double).double_value(&[])
    })?;
    if !e.is_finite() {
        return Err(Error::Training(format!("the model's output is not finite; the equivariance error is {e}")));
    }
    Ok(e)
}

/// The error averaged over `n_elements` random elements of `group`, acting
/// on inputs by `rep_in` and outputs by `rep_out` (seeded).
pub fn group_equivariance_error(
    model: &Model,
    x: &Tensor,
    group: &Group,
    rep_in: &Rep,
    rep_out: &Rep,
    n_elements: usize,
    seed: u64,
) -> Result<f64> {
    if n_elements == 0 {
        return Err(Error::param("n_elements", "must be ≥ 1; got 0"));
    }
    let mut total = 0.0;
    for k in 0..n_elements {
        let g = group.sample(crate::rng::derive(seed, 31, k as u64));
        total += equivariance_error(model, x, rep_in.matrix(g.view()).view(), rep_out.matrix(g.view()).view())?;
    }
    Ok(total / n_elements as f64)
}

/// The permutation matrix of a cyclic shift by `by` positions of a signal of
/// length `n`: (Sx)ᵢ = x_{i−by mod n}.
pub fn cyclic_shift_matrix(n: usize, by: i64) -> Array2<f64> {
    let mut m = Array2::zeros((n, n));
    for i in 0..n {
        let j = (i as i64 + by).rem_euclid(n as i64) as usize;
        m[[j, i]] = 1.0;
    }
    m
}
