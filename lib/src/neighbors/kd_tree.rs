//! Exact k-nearest neighbours of few-feature data with a k-d tree (Friedman,
//! Bentley & Finkel, "An algorithm for finding best matches in logarithmic
//! expected time", ACM TOMS 1977), as scikit-learn's `KDTree` serves
//! `NearestNeighbors` in low dimension.
//!
//! Each node splits its points at the median of its widest coordinate and keeps
//! their tight bounding box. A query walks the tree nearer child first and skips
//! a node whose box is farther than its current `k`-th best; a box exactly as far
//! is still visited, since it may hold a tie with a smaller index. Points are
//! scored with the same double-precision surrogate as the brute-force scan and
//! kept by (surrogate, index), so the result is exactly the brute-force one.
//!
//! Cost: `O(n·log n)` to build; about `O(log n + k)` per query on data of low
//! intrinsic dimension, degrading towards `O(n)` as the dimension grows.

use std::collections::BinaryHeap;

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use super::distance::Metric;
use super::top_k::Candidate;

/// Most points in a leaf.
const LEAF_SIZE: usize = 16;

/// Queries per parallel task (fixed, so the blocks never depend on the thread count).
const QUERIES_PER_TASK: usize = 256;

/// Whether the tree serves this search: euclidean or manhattan (a box gives a
/// lower bound on both), at most `max_dim` features and enough points to pay
/// for building it.
pub(crate) fn suits(metric: Metric, n: usize, d: usize, max_dim: usize) -> bool {
    matches!(metric, Metric::Euclidean | Metric::Manhattan) && d <= max_dim && n >= 4 * LEAF_SIZE
}

/// A node: the range of `order` it holds, its children (none for a leaf), and
/// its box at `boxes[2·d·node ..]` (lows, then highs).
struct Node {
    start: usize,
    end: usize,
    children: Option<(usize, usize)>,
}

/// The tree over the rows of `data`.
pub(crate) struct KdTree<'a> {
    data: &'a Array2<f64>,
    metric: Metric,
    order: Vec<usize>,
    nodes: Vec<Node>,
    boxes: Vec<f64>,
}

impl<'a> KdTree<'a> {
    pub(crate) fn build(data: &'a Array2<f64>, metric: Metric) -> Self {
        let mut tree = KdTree { data, metric, order: (0..data.nrows()).collect(), nodes: Vec::new(), boxes: Vec::new() };
        tree.grow(0, data.nrows());
        tree
    }

    /// Adds the node holding `order[start..end]` and, below it, its subtree;
    /// returns its position.
    fn grow(&mut self, start: usize, end: usize) -> usize {
        let d = self.data.ncols();
        let at = self.nodes.len();
        self.nodes.push(Node { start, end, children: None });
        let (lo, hi) = self.bounds(start, end);
        self.boxes.extend_from_slice(&lo);
        self.boxes.extend_from_slice(&hi);
        let widest = (0..d).max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])).then(b.cmp(&a))).unwrap_or(0);
        if end - start <= LEAF_SIZE || hi[widest] <= lo[widest] {
            return at;
        }
        let mid = start + (end - start) / 2;
        let data = self.data;
        self.order[start..end]
            .select_nth_unstable_by(mid - start, |&i, &j| data[[i, widest]].total_cmp(&data[[j, widest]]).then(i.cmp(&j)));
        let left = self.grow(start, mid);
        let right = self.grow(mid, end);
        self.nodes[at].children = Some((left, right));
        at
    }

    /// The bounding box of the points `order[start..end]`.
    fn bounds(&self, start: usize, end: usize) -> (Vec<f64>, Vec<f64>) {
        let d = self.data.ncols();
        let (mut lo, mut hi) = (vec![f64::INFINITY; d], vec![f64::NEG_INFINITY; d]);
        for &i in &self.order[start..end] {
            for (a, &v) in self.data.row(i).iter().enumerate() {
                lo[a] = lo[a].min(v);
                hi[a] = hi[a].max(v);
            }
        }
        (lo, hi)
    }

    /// A lower bound on the surrogate from `q` to any point in `node`'s box.
    /// The per-coordinate gaps are never larger than a point's own, but the
    /// terms may be summed in another order than the surrogate sums them, so
    /// the bound gives up a few units of rounding.
    fn box_bound(&self, node: usize, q: &[f64]) -> f64 {
        let d = q.len();
        let (lo, hi) = self.boxes[2 * d * node..2 * d * (node + 1)].split_at(d);
        let mut sum = 0.0;
        for ((&v, &l), &h) in q.iter().zip(lo).zip(hi) {
            let gap = if v < l {
                l - v
            } else if v > h {
                v - h
            } else {
                0.0
            };
            sum += match self.metric {
                Metric::Manhattan => gap,
                _ => gap * gap,
            };
        }
        sum * (1.0 - 4.0 * (d as f64 + 2.0) * f64::EPSILON)
    }

    /// The `want` rows nearest to `q` by (surrogate, index), nearest first.
    fn nearest(&self, q: &[f64], want: usize) -> Vec<(f64, usize)> {
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(want + 1);
        let worst =
            |best: &BinaryHeap<Candidate>| if best.len() < want { f64::INFINITY } else { best.peek().map_or(f64::INFINITY, |c| c.0) };
        let mut stack = vec![(0usize, 0.0f64)];
        while let Some((node, bound)) = stack.pop() {
            if bound > worst(&best) {
                continue;
            }
            let Node { start, end, children } = self.nodes[node];
            match children {
                Some((left, right)) => {
                    let (bl, br) = (self.box_bound(left, q), self.box_bound(right, q));
                    // The nearer child goes on top of the stack.
                    if bl <= br {
                        stack.extend([(right, br), (left, bl)]);
                    } else {
                        stack.extend([(left, bl), (right, br)]);
                    }
                }
                None => {
                    for &j in &self.order[start..end] {
                        let v = self.metric.surrogate(q, self.data.row(j).as_slice().unwrap_or(&[]));
                        let c = Candidate(v, j as u32);
                        if best.len() < want {
                            best.push(c);
                        } else if best.peek().is_some_and(|top| c < *top) {
                            best.pop();
                            best.push(c);
                        }
                    }
                }
            }
        }
        let mut out: Vec<(f64, usize)> = best.into_iter().map(|c| (c.0, c.1 as usize)).collect();
        out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        out
    }

    /// The `k` nearest rows of `data` for each row of `queries` (leaving out
    /// row `i` for query `i` with `exclude_self`) as flat indices and
    /// distances, row after row.
    pub(crate) fn search(&self, queries: ArrayView2<f64>, k: usize, exclude_self: bool) -> (Vec<usize>, Vec<f64>) {
        let want = (k + usize::from(exclude_self)).min(self.data.nrows());
        let starts: Vec<usize> = (0..queries.nrows()).step_by(QUERIES_PER_TASK).collect();
        let blocks: Vec<(Vec<usize>, Vec<f64>)> = starts
            .par_iter()
            .map(|&start| {
                let mut out = (Vec::new(), Vec::new());
                for qi in start..(start + QUERIES_PER_TASK).min(queries.nrows()) {
                    let q = queries.row(qi).to_vec();
                    let found = self.nearest(&q, want);
                    for (v, j) in found.into_iter().filter(|&(_, j)| !(exclude_self && j == qi)).take(k) {
                        out.0.push(j);
                        out.1.push(self.metric.to_distance(v));
                    }
                }
                out
            })
            .collect();
        blocks.into_iter().fold((Vec::new(), Vec::new()), |(mut i, mut d), (bi, bd)| {
            i.extend(bi);
            d.extend(bd);
            (i, d)
        })
    }
}
