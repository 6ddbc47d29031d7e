//! Checks and small kernels shared by the metric files: input validation,
//! squared distances, exact k-nearest-neighbour selection for one row, label
//! compaction and test-fixture loading.
//!
//! Neighbours are ordered by `(distance, index)`, so ties go to the lower index
//! and every result is independent of the order in which rows are processed.

use std::cmp::Ordering;
use std::ops::Range;

use ndarray::{ArrayView1, ArrayView2};

use crate::error::{check_finite, Error, Result};

/// Fails unless `a` has at least one row and column and only finite entries.
pub(crate) fn check_matrix(who: &str, what: &'static str, a: ArrayView2<f64>) -> Result<()> {
    let (n, d) = a.dim();
    if n == 0 || d == 0 {
        return Err(Error::data(format!("`{what}` of {who} must have at least one row and one column; got shape ({n}, {d})")));
    }
    check_finite(&format!("`{what}` of {who}"), &a)
}

/// Fails unless `x` and `embedding` are valid and have the same number of rows.
pub(crate) fn check_pair(who: &str, x: ArrayView2<f64>, embedding: ArrayView2<f64>) -> Result<usize> {
    check_matrix(who, "x", x)?;
    check_matrix(who, "embedding", embedding)?;
    if x.nrows() != embedding.nrows() {
        return Err(Error::data(format!(
            "`embedding` of {who} must have one row per row of `x` ({}); got {} rows",
            x.nrows(),
            embedding.nrows()
        )));
    }
    Ok(x.nrows())
}

/// Fails unless `labels` has exactly `n` entries.
pub(crate) fn check_labels_len(who: &str, what: &str, labels: &[usize], n: usize, of: &str) -> Result<()> {
    if labels.len() != n {
        return Err(Error::data(format!("`{what}` of {who} must have one label per {of} ({n}); got {} labels", labels.len())));
    }
    Ok(())
}

/// Fails unless `1 ≤ k ≤ max`, with `bound` describing `max` in the message.
pub(crate) fn check_k(who: &str, k: usize, max: usize, bound: &str) -> Result<()> {
    if k == 0 || k > max {
        return Err(Error::param("k", format!("of {who} must be in [1, {bound} = {max}]; got {k}")));
    }
    Ok(())
}

/// Squared euclidean distance between two rows of equal length.
#[inline]
pub(crate) fn sq_dist(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    match (a.as_slice(), b.as_slice()) {
        (Some(a), Some(b)) => sq_dist_slices(a, b),
        _ => a.iter().zip(b.iter()).map(|(p, q)| (p - q) * (p - q)).sum(),
    }
}

/// Squared euclidean distance of two slices, four partial sums so it vectorises.
#[inline]
fn sq_dist_slices(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(p, q)| (p - q) * (p - q)).sum();
    for (p, q) in ca.zip(cb) {
        for l in 0..4 {
            let d = p[l] - q[l];
            acc[l] += d * d;
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Orders `(distance, index)` pairs: by distance, ties by index.
#[inline]
pub(crate) fn by_dist_then_index(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Distances per block of query rows: about this many entries (8 MiB of f64).
const BLOCK_ENTRIES: usize = 1 << 20;
/// Data rows per cache tile inside a block.
const TILE_ROWS: usize = 64;

/// Query rows per block for `n` data rows: a block of distances holds about
/// [`BLOCK_ENTRIES`] values, so memory is O(n · block) per thread.
pub(crate) fn block_rows(n: usize) -> usize {
    (BLOCK_ENTRIES / n.max(1)).clamp(4, 64)
}

/// Squared distances from the rows `rows` of `queries` to every row of `data`,
/// written row-major into `out` (`rows.len() × data.nrows()`). Data rows are
/// visited in tiles so each is read from memory once per block, not once per query.
pub(crate) fn sq_dist_block(queries: ArrayView2<f64>, rows: Range<usize>, data: ArrayView2<f64>, out: &mut Vec<f64>) {
    let n = data.nrows();
    out.clear();
    out.resize(rows.len() * n, 0.0);
    for tile in (0..n).step_by(TILE_ROWS) {
        let end = (tile + TILE_ROWS).min(n);
        for (r, i) in rows.clone().enumerate() {
            let q = queries.row(i);
            let dst = &mut out[r * n + tile..r * n + end];
            for (slot, j) in dst.iter_mut().zip(tile..end) {
                *slot = sq_dist(q, data.row(j));
            }
        }
    }
}

/// The `k` nearest entries of one row of distances among the indices `keep`
/// accepts, sorted by `(distance, index)`. `buf` is scratch space reused
/// between calls. Returns fewer than `k` when fewer are kept.
pub(crate) fn knn_in_row(dists: &[f64], keep: impl Fn(usize) -> bool, k: usize, buf: &mut Vec<(f64, usize)>) -> Vec<(f64, usize)> {
    buf.clear();
    buf.extend(dists.iter().enumerate().filter(|&(j, _)| keep(j)).map(|(j, &d)| (d, j)));
    let k = k.min(buf.len());
    if k == 0 {
        return Vec::new();
    }
    if k < buf.len() {
        buf.select_nth_unstable_by(k - 1, by_dist_then_index);
    }
    let mut out = buf[..k].to_vec();
    out.sort_unstable_by(by_dist_then_index);
    out
}

/// Per-thread scratch for blocked neighbour searches.
#[derive(Default)]
pub(crate) struct Scratch {
    pub a: Vec<f64>,
    pub b: Vec<f64>,
    pub pairs: Vec<(f64, usize)>,
}

/// Maps arbitrary label values to `0..n_classes` in increasing order of value;
/// returns the codes and the number of distinct labels.
pub(crate) fn compact_labels(labels: &[usize]) -> (Vec<usize>, usize) {
    let mut uniq: Vec<usize> = labels.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let codes = labels.iter().map(|l| uniq.binary_search(l).unwrap_or(0)).collect();
    (codes, uniq.len())
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Loading the golden fixtures in `lib/tests/fixtures/metrics/`.
    use ndarray::{Array1, Array2};
    use ndarray_npy::read_npy;

    fn path(name: &str) -> String {
        format!("{}/tests/fixtures/metrics/{name}.npy", env!("CARGO_MANIFEST_DIR"))
    }

    pub fn matrix(name: &str) -> Array2<f64> {
        read_npy(path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    }

    pub fn labels(name: &str) -> Vec<usize> {
        let a: Array1<i64> = read_npy(path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
        a.iter().map(|&v| usize::try_from(v).expect("non-negative label")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn knn_breaks_ties_by_index() {
        let x = array![[0.0], [1.0], [-1.0], [2.0]];
        let mut d = Vec::new();
        sq_dist_block(x.view(), 0..1, x.view(), &mut d);
        let nn: Vec<usize> = knn_in_row(&d, |j| j != 0, 2, &mut Vec::new()).iter().map(|p| p.1).collect();
        assert_eq!(nn, vec![1, 2]);
    }

    #[test]
    fn blocks_hold_exact_squared_distances() {
        let x = ndarray::Array2::from_shape_fn((150, 7), |(i, j)| ((i * 13 + j * 5) as f64 * 0.1).sin());
        let xf = x.t().as_standard_layout().t().to_owned(); // column-major copy: strided rows
        let mut d = Vec::new();
        sq_dist_block(x.view(), 100..150, xf.view(), &mut d);
        assert_eq!(d.len(), 50 * 150);
        for (r, i) in (100..150).enumerate() {
            for j in 0..150 {
                let want: f64 = x.row(i).iter().zip(x.row(j)).map(|(p, q)| (p - q) * (p - q)).sum();
                assert!((d[r * 150 + j] - want).abs() < 1e-14);
            }
        }
        assert!(block_rows(10) == 64 && block_rows(1 << 20) == 4 && block_rows(20_000) == 52);
    }

    #[test]
    fn compact_labels_keeps_order() {
        let (codes, c) = compact_labels(&[7, 3, 7, 10]);
        assert_eq!(codes, vec![1, 0, 1, 2]);
        assert_eq!(c, 3);
    }
}
