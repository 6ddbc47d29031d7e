//! The leading principal axes of a search's rows, for data that lies (up to
//! noise below single-precision resolution) in a subspace of fewer dimensions
//! than it has features — an exact linear embedding, constant or linearly
//! dependent columns. The single-precision products then run over the
//! leading axes only, and what each row has off them (its *tail*) widens the
//! rounding bound, so the search stays exact.
//!
//! For rows `a = Bh_a + r_a` with `h_a = Bᵀa` and `B`'s columns orthonormal up
//! to `E = BᵀB − I`, `⟨a, b⟩ = ⟨h_a, h_b⟩ − h_aᵀEh_b + ⟨r_a, r_b⟩`, so
//! `|⟨a, b⟩ − ⟨h_a, h_b⟩| ≤ ‖E‖·‖h_a‖‖h_b‖ + ‖r_a‖‖r_b‖`: exact for any basis,
//! and tight when the tails are small. (With `h_a` rounded, `r_a = a − Bh_a`
//! of the rounded heads keeps the identity up to the heads' rounding, which
//! the defect counts.)

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::linalg::{par_tdot, symmetric_eigen_householder};

/// Rows per parallel block of [`PrincipalAxes::split`].
const SPLIT_ROWS: usize = 256;

/// A basis of leading principal axes.
pub(super) struct PrincipalAxes {
    /// `d × m`, orthonormal columns up to rounding.
    basis: Array2<f64>,
    /// Bound on `|⟨a, b⟩ − ⟨h_a, h_b⟩ − ⟨r_a, r_b⟩| / (‖a‖‖b‖)` as computed:
    /// `‖BᵀB − I‖_F` plus the double-precision rounding of the heads and tails.
    pub(super) defect: f64,
}

/// Rows split over the axes: their coordinates on them and the norms of what is left.
pub(super) struct Split {
    pub(super) heads: Array2<f64>,
    pub(super) tails: Vec<f64>,
}

impl PrincipalAxes {
    /// The fewest leading axes of the rows' second-moment matrix that leave at
    /// most `share` of its trace off them, if there are at most `max_axes`.
    pub(super) fn leading(rows: ArrayView2<f64>, share: f64, max_axes: usize) -> Option<Self> {
        let d = rows.ncols();
        let (values, vectors) = symmetric_eigen_householder(par_tdot(rows, rows));
        // Energy left off the first i axes, summed from the small end so the
        // tiny remainders are not lost to cancellation.
        let mut left = vec![0.0; d + 1];
        for i in (0..d).rev() {
            left[i] = left[i + 1] + values[i].max(0.0);
        }
        let m = (0..=d).find(|&i| left[i] <= share * left[0])?;
        if m == 0 || m > max_axes {
            return None;
        }
        let basis = vectors.slice(ndarray::s![.., ..m]).to_owned();
        let gap = basis.t().dot(&basis) - Array2::<f64>::eye(m);
        let orthogonality = gap.iter().map(|v| v * v).sum::<f64>().sqrt();
        // The heads are rounded by at most γ_d·√m·‖a‖ in norm, the tails by
        // γ_(m+1)·(1 + √m)·‖a‖ (columns of unit norm, `‖|B|‖ ≤ √m`).
        let defect = orthogonality + 4.0 * (1.0 + (m as f64).sqrt()) * (d + m + 4) as f64 * f64::EPSILON;
        Some(PrincipalAxes { basis, defect })
    }

    /// The number of axes.
    pub(super) fn len(&self) -> usize {
        self.basis.ncols()
    }

    /// Each row's coordinates on the axes and the norm of its remainder.
    /// Blocks of rows go in parallel, so that what is left of each block
    /// stays in cache and is never written out whole.
    pub(super) fn split(&self, rows: ArrayView2<f64>) -> Split {
        let blocks: Vec<(Array2<f64>, Vec<f64>)> = rows
            .axis_chunks_iter(Axis(0), SPLIT_ROWS)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|block| {
                let heads = block.dot(&self.basis);
                let left = &block - &heads.dot(&self.basis.t());
                (heads, left.outer_iter().map(|r| r.dot(&r).sqrt()).collect())
            })
            .collect();
        let views: Vec<_> = blocks.iter().map(|(h, _)| h.view()).collect();
        let heads = ndarray::concatenate(Axis(0), &views).unwrap_or_else(|_| Array2::zeros((0, self.len())));
        Split { heads, tails: blocks.into_iter().flat_map(|(_, t)| t).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_in_a_subspace_have_no_tails() {
        // 300 rows of a 3-D subspace of 20 features, plus a constant column.
        let x = Array2::from_shape_fn((300, 20), |(i, j)| {
            let t = [(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos(), ((i * i) % 17) as f64 / 17.0];
            if j == 19 {
                0.5
            } else {
                t[0] * (j as f64 + 1.0).sqrt() - t[1] * (j % 3) as f64 + t[2] * (20 - j) as f64 / 20.0
            }
        });
        let axes = PrincipalAxes::leading(x.view(), 1e-12, 15).unwrap();
        assert_eq!(axes.len(), 4);
        let split = axes.split(x.view());
        let largest = x.outer_iter().map(|r| r.dot(&r).sqrt()).fold(0.0, f64::max);
        assert!(split.tails.iter().all(|&t| t <= 1e-12 * largest));
        // Inner products survive on the heads.
        let (a, b) = (x.row(5), x.row(200));
        let (ha, hb) = (split.heads.row(5), split.heads.row(200));
        assert!((a.dot(&b) - ha.dot(&hb)).abs() <= 1e-10 * largest * largest);
    }

    #[test]
    fn full_rank_rows_keep_every_axis() {
        let x = Array2::from_shape_fn((200, 10), |(i, j)| (((i + 1) * (j + 3) * 7919) % 1009) as f64 / 1009.0 - 0.5);
        assert!(PrincipalAxes::leading(x.view(), 1e-6, 7).is_none());
        assert_eq!(PrincipalAxes::leading(x.view(), 1e-6, 10).unwrap().len(), 10);
    }
}
