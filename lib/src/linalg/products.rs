//! Dense products of a tall matrix, split into fixed blocks of rows that rayon
//! multiplies in parallel. The blocks depend on the shapes only and partial
//! sums are added in block order, so the bits never depend on the thread count.

use ndarray::{concatenate, s, Array2, ArrayView2, Axis};
use rayon::prelude::*;

/// Rows per block of the parallel products.
const BLOCK: usize = 512;

/// `a·b`, computed in parallel over fixed row blocks of `a`.
pub(crate) fn par_dot(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    if a.nrows() <= BLOCK {
        return a.dot(&b);
    }
    let blocks: Vec<Array2<f64>> =
        a.axis_chunks_iter(Axis(0), BLOCK).collect::<Vec<_>>().into_par_iter().map(|chunk| chunk.dot(&b)).collect();
    let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
    concatenate(Axis(0), &views).unwrap_or_else(|_| a.dot(&b))
}

/// `aᵀ·b`: partial products of fixed row blocks in parallel, summed in block order.
pub(crate) fn par_tdot(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    if a.nrows() <= BLOCK {
        return a.t().dot(&b);
    }
    let starts: Vec<usize> = (0..a.nrows()).step_by(BLOCK).collect();
    let partials: Vec<Array2<f64>> = starts
        .into_par_iter()
        .map(|s0| {
            let end = (s0 + BLOCK).min(a.nrows());
            a.slice(s![s0..end, ..]).t().dot(&b.slice(s![s0..end, ..]))
        })
        .collect();
    let mut total = Array2::zeros((a.ncols(), b.ncols()));
    for p in &partials {
        total += p;
    }
    total
}
