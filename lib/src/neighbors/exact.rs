//! Exact k-nearest neighbours by blocked brute force.
//!
//! Rows are cut into fixed blocks (the block size depends on `n` only, never on
//! the thread count) that rayon processes in parallel. A search of the data
//! against itself multiplies each pair of square tiles once and scans the
//! product both ways.
//!
//! With many features, the dot-product metrics rank candidates by single-
//! precision keys `‖b‖² − 2⟨a, b⟩` (euclidean; `−⟨a, b⟩` for the angular
//! metrics) on centred, power-of-two-scaled rows, so that f32 neither overflows
//! nor wastes digits on an offset. The products come a cache-sized tile at a
//! time from one matrix product. The keys only *select* candidates: every point
//! whose key lies within twice a proven rounding bound of the `k`-th smallest
//! (from the inner-product error `|fl⟨a, b⟩ − ⟨a, b⟩| ≤ (d + 4)·2⁻²⁴·‖a‖‖b‖`
//! and the key's own rounding). The candidates are then re-scored directly in
//! double precision and sorted by (surrogate, index), so the result is exactly
//! what a double-precision scan of all pairs gives. Up to 7 features
//! (euclidean, manhattan) the search walks a k-d tree ([`super::kd_tree`]) with
//! the same result; otherwise few features, or manhattan: a direct
//! double-precision scan.
//!
//! Cost `O(n·m·d)` time for `m` queries against `n` points (half that for the
//! data against itself), `O(k)` extra memory per query plus a single-precision
//! copy of the data.

use std::sync::{Mutex, MutexGuard, PoisonError};

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use super::distance::Metric;
use super::graph::KnnGraph;
use super::kd_tree::{self, KdTree};
use super::principal_axes::PrincipalAxes;
use super::top_k::{cmp_pair, TopK, LANES};

/// Entries of one block's surrogate matrix.
const BLOCK_ENTRIES: usize = 1 << 21;

/// Entries of the product tile that a block's queries scan while it is in
/// cache (512 KiB of f32).
const TILE_ENTRIES: usize = 1 << 17;

/// Side of the square product tiles of a search of the data against itself.
const PAIR_TILE: usize = 256;

/// A search of the data against itself keeps every row's candidates at once
/// (one [`TopK`] each) while there are at most this many wanted entries in all;
/// beyond, it searches block by block and pays for the whole product.
const SYMMETRIC_MAX_ENTRIES: usize = 1 << 23;

/// Up to this many features, euclidean and manhattan searches walk a k-d tree
/// (at 8 uniform features, 10k points, it was already slower than the scan).
const KD_TREE_MAX_DIM: usize = 7;

/// Below this many features a direct loop is as fast as the matrix product.
const PRODUCT_MIN_DIM: usize = 16;

/// The product runs over the leading principal axes only when they leave off
/// less of the data's energy than single precision resolves, they are at most
/// this share of the features, and there are at least [`AXES_MIN_ROWS`] rows
/// and queries per feature to pay for finding them.
const AXES_MAX_SHARE: f64 = 0.75;
const AXES_MIN_ROWS: usize = 16;

/// Below this many features the direct loop runs over the transposed data
/// (the row kernels' eight-lane sums start at eight features).
const COLUMN_MAX_DIM: usize = 8;

/// The `k` nearest rows of prepared `data` for each prepared row of `queries`.
/// With `exclude_self`, `queries` is `data` and row `i` never lists `i`.
/// Needs `k + exclude_self ≤ n` (the callers check it).
pub(crate) fn exact_search<'a>(
    data: &'a Array2<f64>,
    queries: ArrayView2<'a, f64>,
    k: usize,
    metric: Metric,
    exclude_self: bool,
) -> KnnGraph {
    let (n, d) = data.dim();
    let m = queries.nrows();
    if kd_tree::suits(metric, n, d, KD_TREE_MAX_DIM) {
        let (indices, distances) = KdTree::build(data, metric).search(queries, k, exclude_self);
        return assemble(m, k, indices, distances);
    }
    let rows_per_block = (BLOCK_ENTRIES / n.max(1)).clamp(8, 256);
    let product = (metric.uses_dot() && d >= PRODUCT_MIN_DIM).then(|| Product::new(data, metric, m));
    let columns = (d < COLUMN_MAX_DIM).then(|| data.t().as_standard_layout().into_owned());
    let block = |start: usize| Block { data, queries, start, end: (start + rows_per_block).min(m), k, metric, exclude_self };
    let want = block(0).want();
    let blocks: Vec<(Vec<usize>, Vec<f64>)> = match &product {
        Some(product) if exclude_self && n * want <= SYMMETRIC_MAX_ENTRIES => {
            let mut tops = symmetric_candidates(product, want);
            tops.par_chunks_mut(rows_per_block).enumerate().map(|(b, tops)| block(b * rows_per_block).rescored(tops)).collect()
        }
        _ => {
            let starts: Vec<usize> = (0..m).step_by(rows_per_block).collect();
            starts
                .par_iter()
                .map(|&start| match &product {
                    Some(product) => block(start).by_product(product),
                    None => block(start).direct(columns.as_ref()),
                })
                .collect()
        }
    };
    let mut indices = Vec::with_capacity(m * k);
    let mut distances = Vec::with_capacity(m * k);
    for (idx, dist) in blocks {
        indices.extend(idx);
        distances.extend(dist);
    }
    assemble(m, k, indices, distances)
}

/// The graph from flat row-after-row indices and distances.
fn assemble(m: usize, k: usize, indices: Vec<usize>, distances: Vec<f64>) -> KnnGraph {
    // The shapes are m × k by construction.
    let indices = Array2::from_shape_vec((m, k), indices).unwrap_or_else(|_| Array2::zeros((m, k)));
    let distances = Array2::from_shape_vec((m, k), distances).unwrap_or_else(|_| Array2::zeros((m, k)));
    KnnGraph::from_parts(indices, distances)
}

/// The candidates of every row of the data among the others, for a search
/// of the data against itself: each pair of tiles (I, J ≥ I) is multiplied
/// once and scanned both ways (the rows of I against J, the rows of J against
/// I), which halves the product's cost. A row's candidates arrive from many
/// tasks, under its lock; the set it ends with does not depend on their order
/// (see [`TopK`]).
fn symmetric_candidates(product: &Product, want: usize) -> Vec<TopK> {
    let n = product.rows.nrows();
    let tops: Vec<Mutex<TopK>> = product
        .norms
        .iter()
        .zip(&product.tails)
        .map(|(&qn, &tail)| Mutex::new(TopK::with_slack(want, 2.0 * product.error(qn, tail))))
        .collect();
    let tiles: Vec<usize> = (0..n).step_by(PAIR_TILE).collect();
    // The diagonal tiles go first, so that every row's bound starts from the
    // candidates of its own tile rather than from infinity, and far fewer keys
    // pass on the others.
    let pairs = tiles.iter().enumerate().flat_map(|(a, &i)| tiles[a..].iter().map(move |&j| (i, j)));
    let (diagonal, pairs): (Vec<_>, Vec<_>) = pairs.partition(|(i, j)| i == j);
    let buffers = || (Array2::<f32>::zeros((PAIR_TILE, PAIR_TILE)), ColumnHits::default());
    for pairs in [diagonal, pairs] {
        pairs.par_iter().for_each_init(buffers, |(gram, hits), &(i, j)| {
            let (i_end, j_end) = ((i + PAIR_TILE).min(n), (j + PAIR_TILE).min(n));
            let mut g = gram.slice_mut(s![..i_end - i, ..j_end - j]);
            general_mat_mul(1.0, &product.rows.slice(s![i..i_end, ..]), &product.rows.slice(s![j..j_end, ..]).t(), 0.0, &mut g);
            product.scan(&tops[i..i_end], g.view(), j);
            if j != i {
                hits.scan(product, &tops[j..j_end], g.view(), i);
            }
        });
    }
    tops.into_iter().map(|t| t.into_inner().unwrap_or_else(PoisonError::into_inner)).collect()
}

/// A query's candidates, whoever else panicked while holding them (a
/// candidate set is valid after every offer).
fn locked(top: &Mutex<TopK>) -> MutexGuard<'_, TopK> {
    top.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The column side of a product tile: column `c` holds the products of
/// query `c` with data rows `first..`. The keys are computed across the
/// columns, sixteen at a time, against a snapshot of the queries' bounds, so
/// the tile is read row by row and never transposed; what passes is kept per
/// column and offered under each query's lock once. (A bound can only have
/// fallen since the snapshot, and the offer checks again.)
#[derive(Default)]
struct ColumnHits {
    bounds: Vec<f32>,
    hits: Vec<Vec<(f32, u32)>>,
}

impl ColumnHits {
    fn scan(&mut self, product: &Product, tops: &[Mutex<TopK>], gram: ArrayView2<f32>, first: usize) {
        self.bounds.clear();
        self.bounds.extend(tops.iter().map(|t| locked(t).bound32));
        self.hits.resize_with(tops.len(), Vec::new);
        for (r, g) in gram.outer_iter().enumerate() {
            let (offset, data_row) = (product.offsets[first + r], (first + r) as u32);
            let g = g.to_slice().unwrap_or(&[]);
            let (weight, hits) = (product.weight, &mut self.hits);
            let (g_blocks, b_blocks) = (g.chunks_exact(LANES), self.bounds[..g.len()].chunks_exact(LANES));
            let (g_rest, b_rest) = (g_blocks.remainder(), b_blocks.remainder());
            for (c, (g, b)) in g_blocks.zip(b_blocks).enumerate() {
                if g.iter().zip(b).fold(false, |hit, (&g, &b)| hit | (offset + weight * g <= b)) {
                    push_passing(&mut hits[LANES * c..], g, b, offset, weight, data_row);
                }
            }
            let base = g.len() - g_rest.len();
            push_passing(&mut hits[base..], g_rest, b_rest, offset, weight, data_row);
        }
        for (top, hits) in tops.iter().zip(&mut self.hits) {
            if !hits.is_empty() {
                let mut top = locked(top);
                hits.drain(..).for_each(|(key, j)| top.offer(f64::from(key), j));
            }
        }
    }
}

/// The data in the form the single-precision product wants: rows shifted by
/// their mean (euclidean only: the distance does not change, the norms shrink)
/// and scaled by a power of two (exact) so the largest entry is below 1; for
/// data that lies in fewer dimensions than it has features, the rows'
/// coordinates on their leading principal axes (see [`super::principal_axes`]).
struct Product {
    shift: Option<Array1<f64>>,
    scale: f64,
    axes: Option<PrincipalAxes>,
    features: usize,
    rows: Array2<f32>,
    /// What each row adds to a query's ranking key: its squared norm (rounded
    /// to f32) for euclidean, nothing for the angular metrics.
    offsets: Vec<f32>,
    /// Squared norms of the shifted, scaled rows, in double precision.
    norms: Vec<f64>,
    /// Norms of what each row has off the principal axes (zero without them).
    tails: Vec<f64>,
    /// How a key counts the inner product: `−2⟨a, b⟩` for euclidean, `−⟨a, b⟩`
    /// for the angular metrics.
    weight: f32,
    max_norm: f64,
    max_tail: f64,
    /// Bound on `|fl⟨a, b⟩ − ⟨a, b⟩| / (‖a‖‖b‖)` for f32 rows of this width,
    /// counting the rounding of the entries to f32.
    unit: f64,
}

/// Rows as the product takes them: single-precision coordinates, and the
/// squared norms and tails of the double-precision rows.
struct Prepared {
    rows: Array2<f32>,
    norms: Vec<f64>,
    tails: Vec<f64>,
}

impl Prepared {
    /// Shifted, scaled rows in the product's coordinates: on the principal
    /// axes when there are some.
    fn new(axes: Option<&PrincipalAxes>, scaled: Array2<f64>) -> Self {
        let norms = scaled.outer_iter().map(|r| r.dot(&r)).collect();
        match axes {
            Some(axes) => {
                let split = axes.split(scaled.view());
                Prepared { rows: split.heads.mapv(|v| v as f32), norms, tails: split.tails }
            }
            None => Prepared { rows: scaled.mapv(|v| v as f32), norms, tails: vec![0.0; scaled.nrows()] },
        }
    }
}

impl Product {
    /// `queries`: how many rows will be searched for (finding the principal
    /// axes only pays when there are many).
    fn new(data: &Array2<f64>, metric: Metric, queries: usize) -> Self {
        let (n, d) = data.dim();
        let shift = (metric == Metric::Euclidean).then(|| data.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d)));
        let shifted = match &shift {
            Some(mean) => data - mean,
            None => data.clone(),
        };
        let max_abs = shifted.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let scale = if max_abs > 0.0 { (-(max_abs.log2().ceil())).exp2() } else { 1.0 };
        let scaled = shifted * scale;
        let unit = |width: usize| 1.05 * (width as f64 + 4.0) * f64::from(f32::EPSILON) / 2.0;
        let axes = (n.min(queries) >= AXES_MIN_ROWS * d)
            .then(|| PrincipalAxes::leading(scaled.view(), unit(d), (AXES_MAX_SHARE * d as f64) as usize))
            .flatten();
        let Prepared { rows, norms, tails } = Prepared::new(axes.as_ref(), scaled);
        let max_norm = norms.iter().fold(0.0f64, |m, &v| m.max(v)).sqrt();
        let max_tail = tails.iter().fold(0.0f64, |m, &v| m.max(v));
        let (offsets, weight) = match metric {
            Metric::Euclidean => (norms.iter().map(|&v| v as f32).collect(), -2.0),
            _ => (vec![0.0; n], -1.0),
        };
        let unit = unit(axes.as_ref().map_or(d, PrincipalAxes::len));
        Product { shift, scale, axes, features: d, rows, offsets, norms, tails, weight, max_norm, max_tail, unit }
    }

    /// A block of queries transformed like the data.
    fn queries(&self, q: ArrayView2<f64>) -> Prepared {
        let shifted = match &self.shift {
            Some(mean) => &q - mean,
            None => q.to_owned(),
        };
        Prepared::new(self.axes.as_ref(), shifted * self.scale)
    }

    /// Offers row `r` of `gram` (products with data rows `first..`) to the
    /// candidates of query `r`.
    fn scan(&self, tops: &[Mutex<TopK>], gram: ArrayView2<f32>, first: usize) {
        let offsets = &self.offsets[first..first + gram.ncols()];
        for (top, g) in tops.iter().zip(gram.outer_iter()) {
            locked(top).scan_keys(offsets, g.as_slice().unwrap_or(&[]), self.weight, first);
        }
    }

    /// How far a ranking key of a query with squared norm `qn` and tail
    /// `tail` can be from the double-precision surrogate it stands for, less
    /// `qn` (euclidean) or 1 (angular), which are the same for the whole row:
    /// twice the inner-product bound (euclidean counts `−2⟨a, b⟩`; the bound
    /// holds the f32 product's rounding, the absolute rounding of entries too
    /// small for f32's normal range and, over principal axes, the tails and
    /// the basis' defect), the f32 rounding of the key itself (its offset and
    /// its one subtraction, both below `‖b‖² + 2|⟨a, b⟩|`), and the rounding of
    /// the double-precision arithmetic on both sides (relative to
    /// `qn + ‖b‖²`, which bounds every surrogate up to a factor 2).
    fn error(&self, qn: f64, tail: f64) -> f64 {
        let (width, d) = (self.rows.ncols() as f64, self.features as f64);
        let cross = qn.sqrt() * self.max_norm;
        let off_axes = self.axes.as_ref().map_or(0.0, |a| 1.01 * (a.defect * cross + tail * self.max_tail));
        let dot = self.unit * cross + 1e-30 * width + off_axes;
        let key = 1.01 * f64::from(f32::EPSILON) * (self.max_norm * self.max_norm + 2.0 * cross) + 1e-37;
        let double = 2.0 * (d + 4.0) * f64::EPSILON * (qn + self.max_norm * self.max_norm + 1.0);
        2.0 * dot + key + double
    }
}

/// One block of queries `start..end`.
struct Block<'a> {
    data: &'a Array2<f64>,
    queries: ArrayView2<'a, f64>,
    start: usize,
    end: usize,
    k: usize,
    metric: Metric,
    exclude_self: bool,
}

impl Block<'_> {
    /// Candidates kept per query: one more when the query itself is among the
    /// data (it is dropped at the end, wherever it ranks).
    fn want(&self) -> usize {
        (self.k + usize::from(self.exclude_self)).min(self.data.nrows())
    }

    fn direct(&self, columns: Option<&Array2<f64>>) -> (Vec<usize>, Vec<f64>) {
        let mut top = TopK::new(self.want());
        let mut out = (Vec::new(), Vec::new());
        let mut row = vec![0.0; self.data.nrows()];
        for qi in self.start..self.end {
            let q = self.queries.row(qi).to_vec();
            match columns {
                Some(columns) => self.surrogates_by_column(&q, columns, &mut row),
                None => {
                    for (v, x) in row.iter_mut().zip(self.data.outer_iter()) {
                        *v = self.metric.surrogate(&q, x.as_slice().unwrap_or(&[]));
                    }
                }
            }
            top.clear(0.0);
            top.scan(&row);
            self.emit(qi, top.finish().to_vec(), &mut out);
        }
        out
    }

    /// The surrogates of `q` to every data row from the transposed data, one
    /// feature at a time, so the loop runs across points and vectorises. With
    /// fewer than eight features the row kernels add their terms in exactly
    /// this order, so the values are the same to the bit.
    fn surrogates_by_column(&self, q: &[f64], columns: &Array2<f64>, out: &mut [f64]) {
        out.iter_mut().for_each(|v| *v = 0.0);
        for (&qc, column) in q.iter().zip(columns.outer_iter()) {
            let column = column.as_slice().unwrap_or(&[]);
            match self.metric {
                Metric::Euclidean => out.iter_mut().zip(column).for_each(|(v, &x)| *v += (qc - x) * (qc - x)),
                Metric::Manhattan => out.iter_mut().zip(column).for_each(|(v, &x)| *v += (qc - x).abs()),
                Metric::Cosine | Metric::Correlation => out.iter_mut().zip(column).for_each(|(v, &x)| *v += qc * x),
            }
        }
        if matches!(self.metric, Metric::Cosine | Metric::Correlation) {
            out.iter_mut().for_each(|v| *v = (1.0 - *v).max(0.0));
        }
    }

    /// The block's products are taken a tile of data rows at a time, into one
    /// buffer small enough to stay in cache while every query scans its row
    /// of it: scanning a block-wide product straight from memory cost more than
    /// the scan's arithmetic.
    fn by_product(&self, product: &Product) -> (Vec<usize>, Vec<f64>) {
        let queries = product.queries(self.queries.slice(s![self.start..self.end, ..]));
        let rows = self.end - self.start;
        // The keys are within `error` of the double-precision surrogates (less
        // a constant), so the true nearest are within twice it of the k-th key.
        let mut tops: Vec<TopK> = queries
            .norms
            .iter()
            .zip(&queries.tails)
            .map(|(&qn, &tail)| TopK::with_slack(self.want(), 2.0 * product.error(qn, tail)))
            .collect();
        let n = self.data.nrows();
        let tile = (TILE_ENTRIES / rows).next_multiple_of(16).min(n);
        let mut gram = Array2::<f32>::zeros((rows, tile));
        for first in (0..n).step_by(tile) {
            let last = (first + tile).min(n);
            let mut g = gram.slice_mut(s![.., ..last - first]);
            general_mat_mul(1.0, &queries.rows, &product.rows.slice(s![first..last, ..]).t(), 0.0, &mut g);
            for (top, g) in tops.iter_mut().zip(g.outer_iter()) {
                top.scan_keys(&product.offsets[first..last], g.as_slice().unwrap_or(&[]), product.weight, first);
            }
        }
        self.rescored(&mut tops)
    }

    /// The queries' `k` nearest from their candidates (one [`TopK`] per
    /// query of the block), re-scored in double precision.
    fn rescored(&self, tops: &mut [TopK]) -> (Vec<usize>, Vec<f64>) {
        let mut out = (Vec::new(), Vec::new());
        for (top, qi) in tops.iter_mut().zip(self.start..self.end) {
            let q = self.queries.row(qi).to_vec();
            let rescored: Vec<(f64, u32)> = top
                .finish()
                .iter()
                .map(|&(_, j)| (self.metric.surrogate(&q, self.data.row(j as usize).as_slice().unwrap_or(&[])), j))
                .collect();
            self.emit(qi, rescored, &mut out);
        }
        out
    }

    /// Appends the `k` best of `candidates` by (surrogate, index), leaving out
    /// the query itself when it is among the data.
    fn emit(&self, qi: usize, mut candidates: Vec<(f64, u32)>, out: &mut (Vec<usize>, Vec<f64>)) {
        if self.exclude_self {
            candidates.retain(|&(_, j)| j as usize != qi);
        }
        candidates.sort_unstable_by(cmp_pair);
        for &(v, j) in candidates.iter().take(self.k) {
            out.0.push(j as usize);
            out.1.push(self.metric.to_distance(v));
        }
    }
}

/// Pushes data row `row` onto the hits of each column whose key
/// `offset + weight·g` meets the column's bound.
fn push_passing(hits: &mut [Vec<(f32, u32)>], g: &[f32], bounds: &[f32], offset: f32, weight: f32, row: u32) {
    for ((hits, &g), &b) in hits.iter_mut().zip(g).zip(bounds) {
        let key = offset + weight * g;
        if key <= b {
            hits.push((key, row));
        }
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
                let mut row: Vec<(f64, usize)> =
                    (0..x.nrows()).filter(|&j| j != i).map(|j| (metric.distance(x.row(i), x.row(j)).unwrap(), j)).collect();
                row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                row.truncate(k);
                row
            })
            .collect()
    }

    /// Rows with many features (the single-precision product path), far from
    /// the origin, in tight clusters of near-duplicates, with exact ties.
    fn wide(n: usize, d: usize, offset: f64) -> Array2<f64> {
        Array2::from_shape_fn((n, d), |(i, j)| {
            let cluster = ((i / 4) * 31 + j * 7) % 13;
            offset + cluster as f64 + 1e-7 * ((i % 4) * (j + 1)) as f64 + if i % 9 == 0 { 0.0 } else { 1e-3 * ((i * j) % 5) as f64 }
        })
    }

    fn assert_matches_brute(x: &Array2<f64>, k: usize, metric: Metric) {
        let prepared = metric.prepare(x.view(), "X").unwrap();
        let g = exact_search(&prepared, prepared.view(), k, metric, true);
        let want = brute(x, k, metric);
        for (i, want_i) in want.iter().enumerate() {
            for (c, &(d, _)) in want_i.iter().enumerate() {
                assert!((g.distances()[[i, c]] - d).abs() <= 1e-9 * (1.0 + d), "{metric} row {i} rank {c}");
            }
            assert!(g.indices().row(i).iter().all(|&j| j != i));
        }
    }

    #[test]
    fn the_single_precision_product_selects_exactly() {
        for (offset, metric) in [(0.0, Metric::Euclidean), (1e6, Metric::Euclidean), (5.0, Metric::Cosine), (3.0, Metric::Correlation)] {
            assert_matches_brute(&wide(90, 24, offset), 6, metric);
        }
    }

    #[test]
    fn product_tiles_and_blocks_add_up_to_the_whole() {
        // 1200 rows: several query blocks, each scanning three product tiles
        // (the last one not a multiple of the scan's sixteen lanes).
        assert_matches_brute(&wide(1200, 20, 2.0), 9, Metric::Euclidean);
    }

    #[test]
    fn queries_other_than_the_data_match_brute_force() {
        let x = wide(700, 20, 2.0);
        let prepared = Metric::Euclidean.prepare(x.view(), "X").unwrap();
        let queries = prepared.slice(s![..100, ..]).mapv(|v| v + 1e-4);
        let g = exact_search(&prepared, queries.view(), 5, Metric::Euclidean, false);
        for (i, q) in queries.outer_iter().enumerate() {
            let mut want: Vec<(f64, usize)> =
                prepared.outer_iter().enumerate().map(|(j, x)| (Metric::Euclidean.distance(q, x).unwrap(), j)).collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for (c, &(d, j)) in want.iter().take(5).enumerate() {
                assert!((g.distances()[[i, c]] - d).abs() <= 1e-9 * (1.0 + d), "row {i} rank {c}");
                assert_eq!(g.indices()[[i, c]], j, "row {i} rank {c}");
            }
        }
    }

    /// Brute force by the search's own surrogate: what every path must equal
    /// to the bit.
    fn by_surrogate(data: &Array2<f64>, queries: &Array2<f64>, k: usize, metric: Metric, exclude_self: bool) -> (Vec<usize>, Vec<f64>) {
        let mut out = (Vec::new(), Vec::new());
        for (qi, q) in queries.outer_iter().enumerate() {
            let q = q.to_vec();
            let mut all: Vec<(f64, usize)> = (0..data.nrows())
                .filter(|&j| !(exclude_self && j == qi))
                .map(|j| (metric.surrogate(&q, data.row(j).as_slice().unwrap()), j))
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(v, j) in all.iter().take(k) {
                out.0.push(j);
                out.1.push(metric.to_distance(v));
            }
        }
        out
    }

    #[test]
    fn the_kd_tree_equals_brute_force_to_the_bit() {
        for d in [1, 3, 7] {
            // Far from the origin, with exact duplicates (every fifth row on a
            // lattice) and near-ties.
            let x = Array2::from_shape_fn((700, d), |(i, j)| {
                1e4 + ((i * 7 + j * 13) % 17) as f64 + if i % 5 == 0 { 0.0 } else { 1e-3 * ((i * (j + 3)) % 11) as f64 }
            });
            let queries = x.slice(s![..150, ..]).mapv(|v| v + 0.37);
            for metric in [Metric::Euclidean, Metric::Manhattan] {
                let prepared = metric.prepare(x.view(), "X").unwrap();
                assert!(kd_tree::suits(metric, 700, d, KD_TREE_MAX_DIM));
                let g = exact_search(&prepared, prepared.view(), 9, metric, true);
                let (idx, dist) = by_surrogate(&prepared, &prepared, 9, metric, true);
                assert_eq!(g.indices().iter().copied().collect::<Vec<_>>(), idx, "{metric} d = {d}");
                assert_eq!(g.distances().iter().copied().collect::<Vec<_>>(), dist, "{metric} d = {d}");
                let g = exact_search(&prepared, queries.view(), 4, metric, false);
                let (idx, dist) = by_surrogate(&prepared, &queries, 4, metric, false);
                assert_eq!(g.indices().iter().copied().collect::<Vec<_>>(), idx, "{metric} d = {d} queries");
                assert_eq!(g.distances().iter().copied().collect::<Vec<_>>(), dist, "{metric} d = {d} queries");
            }
        }
    }

    /// Rows on a 3-D subspace of 24 features, far from the origin, with exact
    /// duplicates, near-ties and noise well below single precision.
    fn flat(n: usize) -> Array2<f64> {
        Array2::from_shape_fn((n, 24), |(i, j)| {
            let t = [((i % 60) / 3) as f64, ((i * 7) % 11) as f64 * 0.5, if i % 6 == 0 { 0.0 } else { 1e-3 * (i % 5) as f64 }];
            let noise = 1e-12 * (((i * 31 + j * 17) % 13) as f64 - 6.0);
            1e3 + t[0] * (1.0 + j as f64 * 0.1) + t[1] * ((j % 5) as f64 - 2.0) + t[2] * (j as f64).sqrt() + noise
        })
    }

    #[test]
    fn a_search_over_principal_axes_equals_brute_force_to_the_bit() {
        // Centred for euclidean, the rows span three axes, uncentred four; the
        // third direction (1e-3 across) carries less of their energy than
        // single precision resolves and is left in the tails.
        for (metric, axes) in [(Metric::Euclidean, 2), (Metric::Cosine, 3)] {
            let x = flat(600);
            let prepared = metric.prepare(x.view(), "X").unwrap();
            let product = Product::new(&prepared, metric, 600);
            assert_eq!(product.axes.as_ref().map(PrincipalAxes::len), Some(axes), "{metric}");
            assert!(product.max_tail > 1e-9 * product.max_norm, "{metric}");
            let g = exact_search(&prepared, prepared.view(), 8, metric, true);
            let (idx, dist) = by_surrogate(&prepared, &prepared, 8, metric, true);
            assert_eq!(g.indices().iter().copied().collect::<Vec<_>>(), idx, "{metric}");
            assert_eq!(g.distances().iter().copied().collect::<Vec<_>>(), dist, "{metric}");
            // Queries off the subspace: large tails, wider candidate sets, same answer.
            let queries = Array2::from_shape_fn((400, 24), |(i, j)| x[[i, j]] + if j == i % 24 { 30.0 } else { 0.0 });
            let queries = metric.prepare(queries.view(), "queries").unwrap();
            let g = exact_search(&prepared, queries.view(), 5, metric, false);
            let (idx, dist) = by_surrogate(&prepared, &queries, 5, metric, false);
            assert_eq!(g.indices().iter().copied().collect::<Vec<_>>(), idx, "{metric} queries");
            assert_eq!(g.distances().iter().copied().collect::<Vec<_>>(), dist, "{metric} queries");
        }
    }

    #[test]
    fn tails_off_the_principal_axes_widen_the_candidates() {
        // A jittered 30 × 20 grid on two axes, every row ±0.01 off them along
        // a third (too little energy to earn an axis); queries 10 along that
        // direction, where the tails reorder each shell of grid neighbours by
        // more than single precision's rounding.
        let x = Array2::from_shape_fn((600, 20), |(i, j)| match j {
            0 => (i % 30) as f64 + 0.01 * (i % 7) as f64,
            1 => (i / 30) as f64,
            2 => {
                if i % 2 == 0 {
                    0.01
                } else {
                    -0.01
                }
            }
            _ => 0.0,
        });
        let product = Product::new(&x, Metric::Euclidean, 400);
        assert_eq!(product.axes.as_ref().map(PrincipalAxes::len), Some(2));
        let queries = Array2::from_shape_fn((400, 20), |(i, j)| x[[i, j]] + if j == 2 { 10.0 } else { 0.0 });
        let g = exact_search(&x, queries.view(), 7, Metric::Euclidean, false);
        let (idx, dist) = by_surrogate(&x, &queries, 7, Metric::Euclidean, false);
        assert_eq!(g.indices().iter().copied().collect::<Vec<_>>(), idx);
        assert_eq!(g.distances().iter().copied().collect::<Vec<_>>(), dist);
    }

    #[test]
    fn ties_are_broken_by_index() {
        // Eight copies of each of five points: every row's neighbours are its
        // copies first, in index order.
        let x = Array2::from_shape_fn((40, 20), |(i, j)| ((i % 5) * (j + 1)) as f64);
        for metric in [Metric::Euclidean, Metric::Manhattan] {
            let g = exact_search(&x, x.view(), 7, metric, true);
            for i in 0..40 {
                let copies: Vec<usize> = (0..40).filter(|&j| j != i && j % 5 == i % 5).collect();
                assert_eq!(g.indices().row(i).to_vec(), copies, "{metric} row {i}");
            }
        }
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
