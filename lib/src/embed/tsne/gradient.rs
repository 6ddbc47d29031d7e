//! t-SNE's optimisation, as scikit-learn's `_gradient_descent`: momentum,
//! per-coordinate gains and the Barnes–Hut gradient of `KL(P‖Q)` (attraction
//! along the edges of `P`, repulsion from the tree).

use rayon::prelude::*;

use super::affinities::Sparse;
use super::barnes_hut::Tree;
use crate::display::Progress;
use crate::error::Result;

/// Progress is checked every this many iterations (scikit-learn's `_N_ITER_CHECK`).
const CHECK_EVERY: usize = 50;
/// Smallest probability in the KL divergence (float32's tiny, as scikit-learn).
const TINY: f64 = 1.175_494_4e-38;

/// Where a descent phase is and when it stops.
pub(super) struct Descent {
    pub(super) it: usize,
    pub(super) momentum: f64,
    pub(super) exaggeration: f64,
    pub(super) stop: usize,
    pub(super) patience: usize,
}

/// Positions, momentum and gains of the gradient descent.
pub(super) struct Optimiser {
    pub(super) y: Vec<f64>,
    c: usize,
    theta: f64,
    dof: f64,
}

impl Optimiser {
    pub(super) fn new(y: Vec<f64>, c: usize, theta: f64) -> Self {
        Optimiser { y, c, theta, dof: (c as f64 - 1.0).max(1.0) }
    }

    /// scikit-learn's `_gradient_descent` from `state.it` to `state.stop`
    /// (exclusive); returns the last KL divergence and leaves `state.it` at the
    /// last iteration run. `progress` hears of every iteration and may stop the
    /// descent (an interrupt).
    pub(super) fn descend(
        &mut self,
        p: &Sparse,
        state: &mut Descent,
        learning_rate: f64,
        min_grad_norm: f64,
        progress: &mut Progress,
    ) -> Result<f64> {
        let mut update = vec![0.0; self.y.len()];
        let mut gains = vec![1.0; self.y.len()];
        let (mut best_error, mut best_iter) = (f64::MAX, state.it);
        let mut error = f64::MAX;
        let mut i = state.it;
        while i < state.stop {
            progress.set(i)?;
            let check = (i + 1) % CHECK_EVERY == 0 || i + 1 == state.stop;
            let (grad, kl) = self.gradient(p, state.exaggeration, check);
            let mut norm2 = 0.0;
            for ((u, g), gain) in update.iter_mut().zip(grad).zip(gains.iter_mut()) {
                *gain = f64::max(if *u * g < 0.0 { *gain + 0.2 } else { *gain * 0.8 }, 0.01);
                let g = g * *gain;
                norm2 += g * g;
                *u = state.momentum * *u - learning_rate * g;
            }
            for (y, u) in self.y.iter_mut().zip(&update) {
                *y += u;
            }
            state.it = i;
            if let Some(kl) = kl {
                error = kl;
            }
            if (i + 1) % CHECK_EVERY == 0 {
                if error < best_error {
                    best_error = error;
                    best_iter = i;
                } else if i - best_iter > state.patience {
                    break;
                }
                if norm2.sqrt() <= min_grad_norm {
                    break;
                }
            }
            i += 1;
        }
        Ok(error)
    }

    /// The gradient of KL(P‖Q) (with `P` times `exaggeration`) and, when asked,
    /// the divergence itself.
    fn gradient(&self, p: &Sparse, exaggeration: f64, with_error: bool) -> (Vec<f64>, Option<f64>) {
        let c = self.c;
        let n = self.y.len() / c;
        let tree = Tree::build(&self.y, c);
        let theta2 = self.theta * self.theta;
        let negative: Vec<([f64; 3], f64)> = (0..n).into_par_iter().map(|i| tree.repulsion(i, &self.y, theta2, self.dof)).collect();
        let sum_q: f64 = negative.iter().map(|(_, s)| s).sum::<f64>().max(f64::MIN_POSITIVE);
        let exponent = (self.dof + 1.0) / 2.0;
        let positive: Vec<([f64; 3], f64)> = (0..n)
            .into_par_iter()
            .map(|i| {
                let yi = &self.y[i * c..(i + 1) * c];
                let (mut force, mut kl) = ([0.0; 3], 0.0);
                for (j, pij) in p.row(i) {
                    let pij = pij * exaggeration;
                    let yj = &self.y[j * c..(j + 1) * c];
                    let d2: f64 = yi.iter().zip(yj).map(|(a, b)| (a - b) * (a - b)).sum();
                    let mut q = self.dof / (self.dof + d2);
                    if self.dof != 1.0 {
                        q = q.powf(exponent);
                    }
                    for a in 0..c {
                        force[a] += pij * q * (yi[a] - yj[a]);
                    }
                    if with_error {
                        kl += pij * (pij.max(TINY) / (q / sum_q).max(TINY)).ln();
                    }
                }
                (force, kl)
            })
            .collect();
        let scale = 2.0 * (self.dof + 1.0) / self.dof;
        let mut grad = vec![0.0; n * c];
        for i in 0..n {
            for a in 0..c {
                grad[i * c + a] = scale * (positive[i].0[a] - negative[i].0[a] / sum_q);
            }
        }
        let kl = with_error.then(|| positive.iter().map(|(_, k)| k).sum());
        (grad, kl)
    }
}
