//! Exact k-nearest neighbours by blocked brute force.
//!
//! Rows are cut into fixed blocks (the block size depends on `n` only, never on
//! the thread count) that rayon processes in parallel. For the dot-product
//! metrics a block's surrogates come from one matrix product
//! (`‖a‖² + ‖b‖² − 2⟨a, b⟩`); that formula loses digits for near-identical
//! rows, so it only *selects* a few more than `k` candidates, whose surrogates
//! are then recomputed directly and sorted by (surrogate, index). Cost
//! `O(n·m·d)` time for `m` queries against `n` points, `O(block·n)` extra memory.

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::distance::Metric;
use super::graph::KnnGraph;

/// Extra candidates re-scored beyond `k` to absorb the rounding of the
/// matrix-product surrogate.
const MARGIN: usize = 8;

/// Entries of one block's surrogate matrix (16 MiB of f64).
const BLOCK_ENTRIES: usize = 1 << 21;

/// The `k` nearest rows of prepared `data` for each prepared row of `queries`.
/// With `exclude_self`, `queries` is `data` and row `i` never lists `i`.
/// Needs `k + exclude_self ≤ n` (the callers check it).
pub(crate) fn exact_search(
    data: &Array2<f64>,
    queries: ArrayView2<f64>,
    k: usize,
    metric: Metric,
    exclude_self: bool,
) -> KnnGraph {
    let n = data.nrows();
    let m = queries.nrows();
    let rows_per_block = (BLOCK_ENTRIES / n.max(1)).clamp(8, 256);
    let data_norms: Array1<f64> = data.map_axis(Axis(1), |r| r.dot(&r));
    let starts: Vec<usize> = (0..m).step_by(rows_per_block).collect();
    let blocks: Vec<(Vec<usize>, Vec<f64>)> = starts
        .par_iter()
        .map(|&start| {
            let end = (start + rows_per_block).min(m);
            search_block(data, &data_norms, queries, start, end, k, metric, exclude_self)
        })
        .collect();
    let mut indices = Vec::with_capacity(m * k);
    let mut distances = Vec::with_capacity(m * k);
    for (idx, dist) in blocks {
        indices.extend(idx);
        distances.extend(dist);
    }
    // The shapes are m × k by construction.
    let indices = Array2::from_shape_vec((m, k), indices).unwrap_or_else(|_| Array2::zeros((m, k)));
    let distances = Array2::from_shape_vec((m, k), distances).unwrap_or_else(|_| Array2::zeros((m, k)));
    KnnGraph::from_parts(indices, distances)
}

#[allow(clippy::too_many_arguments)]
fn search_block(
    data: &Array2<f64>,
    data_norms: &Array1<f64>,
    queries: ArrayView2<f64>,
    start: usize,
    end: usize,
    k: usize,
    metric: Metric,
    exclude_self: bool,
) -> (Vec<usize>, Vec<f64>) {
    let n = data.nrows();
    let q = queries.slice(s![start..end, ..]);
    let gram = metric.uses_dot().then(|| q.dot(&data.t()));
    let want = (k + usize::from(exclude_self) + if metric.uses_dot() { MARGIN } else { 0 }).min(n);
    let mut buf: Vec<(f64, u32)> = Vec::with_capacity(n);
    let mut out_idx = Vec::with_capacity((end - start) * k);
    let mut out_dist = Vec::with_capacity((end - start) * k);
    for (r, qi) in (start..end).enumerate() {
        let qrow = queries.row(qi);
        let qrow = qrow.as_slice().map(|s| s.to_vec()).unwrap_or_else(|| qrow.to_vec());
        buf.clear();
        match &gram {
            Some(g) => {
                let g = g.row(r);
                let qn = if metric == Metric::Euclidean { super::distance::dot(&qrow, &qrow) } else { 0.0 };
                for j in 0..n {
                    let v = match metric {
                        Metric::Euclidean => qn + data_norms[j] - 2.0 * g[j],
                        _ => 1.0 - g[j],
                    };
                    buf.push((v, j as u32));
                }
            }
            None => {
                for (j, row) in data.outer_iter().enumerate() {
                    let row = row.as_slice().unwrap_or(&[]);
                    buf.push((metric.surrogate(&qrow, row), j as u32));
                }
            }
        }
        select_smallest(&mut buf, want);
        // Re-score directly so that distances do not carry the product's rounding.
        let mut best: Vec<(f64, u32)> = buf
            .iter()
            .filter(|&&(_, j)| !(exclude_self && j as usize == qi))
            .map(|&(v, j)| {
                let row = data.row(j as usize);
                let exact = match (metric.uses_dot(), row.as_slice()) {
                    (true, Some(row)) => metric.surrogate(&qrow, row),
                    _ => v,
                };
                (exact, j)
            })
            .collect();
        best.sort_unstable_by(cmp_pair);
        for &(v, j) in best.iter().take(k) {
            out_idx.push(j as usize);
            out_dist.push(metric.to_distance(v));
        }
    }
    (out_idx, out_dist)
}

/// Orders (surrogate, index) pairs: nearer first, then smaller index.
#[inline]
pub(crate) fn cmp_pair(a: &(f64, u32), b: &(f64, u32)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Keeps the `want` smallest pairs of `buf` (in no particular order).
fn select_smallest(buf: &mut Vec<(f64, u32)>, want: usize) {
    if want < buf.len() {
        if want > 0 {
            buf.select_nth_unstable_by(want - 1, cmp_pair);
        }
        buf.truncate(want);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn grid(n: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, 3), |(i, j)| ((i * 7 + j * 13) % 17) as f64 + 0.01 * i as f64)
    }

    fn brute(x: &Array2<f64>, k: usize, metric: Metric) -> Vec<Vec<(f64, usize)>> {
        (0..x.nrows())
            .map(|i| {
                let mut row: Vec<(f64, usize)> = (0..x.nrows())
                    .filter(|&j| j != i)
                    .map(|j| (metric.distance(x.row(i), x.row(j)).unwrap(), j))
                    .collect();
                row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                row.truncate(k);
                row
            })
            .collect()
    }

    #[test]
    fn matches_brute_force_for_every_metric() {
        let x = grid(60);
        for metric in [Metric::Euclidean, Metric::Manhattan, Metric::Cosine, Metric::Correlation] {
            let prepared = metric.prepare(x.view(), "X").unwrap();
            let g = exact_search(&prepared, prepared.view(), 5, metric, true);
            let want = brute(&x, 5, metric);
            for (i, want_i) in want.iter().enumerate() {
                for (c, &(d, _)) in want_i.iter().enumerate() {
                    assert!((g.distances()[[i, c]] - d).abs() < 1e-9, "{metric} row {i}");
                }
                assert!(g.indices().row(i).iter().all(|&j| j != i));
            }
        }
    }
}
