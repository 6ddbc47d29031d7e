//! Regression tasks with mixed symmetries, generated here.
//!
//! - [`modified_inertia`] (Kim, Lee, Yang & Lee, ICML 2023, after EMLP's
//!   Inertia task): 5 masses mᵢ = softplus(N(0, 1)) and positions rᵢ ~ N(0, I₃)
//!   give I = Σᵢ mᵢ(‖rᵢ‖² I₃ − rᵢrᵢᵀ) and the target Y = I + ε(I eₐ)eₐᵀ (9
//!   outputs, row-major). Y is exactly equivariant (gYgᵀ) under every g that
//!   maps eₐ to ±eₐ — O(2) about axis a — and only approximately under O(3) and
//!   the O(2)'s about the other axes (the more so the smaller ε).
//! - [`chiral_moment`]: the same inputs, target y = Σᵢ mᵢrᵢ + δ Σᵢ mᵢ (rᵢ × rᵢ₊₁)
//!   (3 outputs, indices mod 5): exactly SO(3)-equivariant (a cross product
//!   rotates as a vector) but only approximately under reflections, which
//!   flip Σ mᵢrᵢ and leave the cross products alone: rotations exact,
//!   reflections broken by δ.
//!
//! Inputs are `5 T0 + 5 T1` (masses, then positions x, y, z one after another).
//! Cost: O(n).
//!
//! # Example
//! ```
//! use lowdim::deep::*;
//! let task = modified_inertia(100, 2, 0.3, 0).unwrap();
//! assert_eq!((task.x.dim(), task.y.dim()), ((100, 20), (100, 9)));
//! ```

use ndarray::{s, Array2};
use rand::Rng;
use rand_distr::StandardNormal;
use tch::Device;

use super::rep::Rep;
use crate::deep::TensorData;
use crate::error::{Error, Result};
use crate::rng;

/// Inputs, targets and their representations.
#[derive(Clone, Debug)]
pub struct SymmetryTask {
    pub name: String,
    pub x: Array2<f64>,
    pub y: Array2<f64>,
    pub rep_in: Rep,
    pub rep_out: Rep,
}

impl SymmetryTask {
    /// Consecutive train / validation / test parts of `n_train`, `n_val` and
    /// the remaining rows, as tensors on `device`.
    pub fn split(&self, n_train: usize, n_val: usize, device: Device) -> Result<(TensorData, TensorData, TensorData)> {
        let n = self.x.nrows();
        if n_train == 0 || n_val == 0 || n_train + n_val >= n {
            return Err(Error::param("n_train", format!("{n_train} + n_val {n_val} must be ≥ 1 each and leave test rows out of {n}")));
        }
        let part = |a: usize, b: usize| TensorData::regression(self.x.slice(s![a..b, ..]), self.y.slice(s![a..b, ..]), device);
        Ok((part(0, n_train)?, part(n_train, n_train + n_val)?, part(n_train + n_val, n)?))
    }
}

const BODIES: usize = 5;

fn softplus(v: f64) -> f64 {
    if v > 30.0 {
        v
    } else {
        v.exp().ln_1p()
    }
}

/// `n` samples of 5 masses and 5 positions, seeded.
fn bodies(n: usize, seed: u64) -> Array2<f64> {
    let mut r = rng::xoshiro(rng::derive(seed, 21, 0));
    let mut x = Array2::zeros((n, 4 * BODIES));
    for mut row in x.rows_mut() {
        for i in 0..BODIES {
            row[i] = softplus(r.sample(StandardNormal));
        }
        for j in BODIES..4 * BODIES {
            row[j] = r.sample(StandardNormal);
        }
    }
    x
}

fn check_n(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::param("n_samples", "must be ≥ 1; got 0"));
    }
    Ok(())
}

/// The inertia tensor Σᵢ mᵢ(‖rᵢ‖² I − rᵢrᵢᵀ) of one input row.
fn inertia(row: ndarray::ArrayView1<f64>) -> [[f64; 3]; 3] {
    let mut t = [[0.0; 3]; 3];
    for i in 0..BODIES {
        let m = row[i];
        let r = [row[BODIES + 3 * i], row[BODIES + 3 * i + 1], row[BODIES + 3 * i + 2]];
        let rr: f64 = r.iter().map(|v| v * v).sum();
        for a in 0..3 {
            for b in 0..3 {
                t[a][b] += m * (if a == b { rr } else { 0.0 } - r[a] * r[b]);
            }
        }
    }
    t
}

/// The ModifiedInertia task: Y = I + ε(I eₐ)eₐᵀ for `axis` a (0, 1, 2).
pub fn modified_inertia(n_samples: usize, axis: usize, eps: f64, seed: u64) -> Result<SymmetryTask> {
    check_n(n_samples)?;
    if axis > 2 {
        return Err(Error::param("axis", format!("must be 0 (x), 1 (y) or 2 (z); got {axis}")));
    }
    if !eps.is_finite() {
        return Err(Error::param("eps", format!("must be finite; got {eps}")));
    }
    let x = bodies(n_samples, seed);
    let mut y = Array2::zeros((n_samples, 9));
    for (row, mut out) in x.rows().into_iter().zip(y.rows_mut()) {
        let t = inertia(row);
        for a in 0..3 {
            for b in 0..3 {
                // (I eₐ)eₐᵀ has column `axis` equal to I's column `axis`.
                out[3 * a + b] = t[a][b] + if b == axis { eps * t[a][axis] } else { 0.0 };
            }
        }
    }
    let name = format!("ModifiedInertia (axis {}, ε = {eps})", ["x", "y", "z"][axis]);
    Ok(SymmetryTask { name, x, y, rep_in: Rep::scalars(BODIES) + Rep::vectors(BODIES), rep_out: Rep::tensors(1, 2) })
}

/// The chiral-moment task: y = Σᵢ mᵢrᵢ + δ Σᵢ mᵢ (rᵢ × rᵢ₊₁).
pub fn chiral_moment(n_samples: usize, delta: f64, seed: u64) -> Result<SymmetryTask> {
    check_n(n_samples)?;
    if !delta.is_finite() {
        return Err(Error::param("delta", format!("must be finite; got {delta}")));
    }
    let x = bodies(n_samples, seed);
    let mut y = Array2::zeros((n_samples, 3));
    for (row, mut out) in x.rows().into_iter().zip(y.rows_mut()) {
        let pos = |i: usize| [row[BODIES + 3 * i], row[BODIES + 3 * i + 1], row[BODIES + 3 * i + 2]];
        for i in 0..BODIES {
            let (m, r, q) = (row[i], pos(i), pos((i + 1) % BODIES));
            let cross = [r[1] * q[2] - r[2] * q[1], r[2] * q[0] - r[0] * q[2], r[0] * q[1] - r[1] * q[0]];
            for a in 0..3 {
                out[a] += m * (r[a] + delta * cross[a]);
            }
        }
    }
    Ok(SymmetryTask {
        name: format!("chiral moment (δ = {delta})"),
        x,
        y,
        rep_in: Rep::scalars(BODIES) + Rep::vectors(BODIES),
        rep_out: Rep::vectors(1),
    })
}
