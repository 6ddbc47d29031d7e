//! Approximate kNN graphs by NN-descent (Dong, Moses & Li, WWW 2011), seeded
//! with random-projection trees as in pynndescent.
//!
//! "A neighbour of my neighbour is likely my neighbour": each round every point
//! proposes pairs among its sampled new and old neighbours (forward and
//! reverse), and each pair that beats a current k-th distance enters the heaps.
//! Rounds stop after `n_iters` or when fewer than `delta·k·n` heap entries change.
//! Cost about `O(n·c²·d)` per round for `c` candidates per point; memory `O(n·c)`.
//!
//! **Deterministic at any thread count.** Random choices are hashes of
//! `(seed, round, point, neighbour)`, not draws from a shared generator. Each
//! phase first *proposes* updates in parallel against thresholds frozen at the
//! phase start, then *applies* them in the fixed order in which they were
//! proposed; the apply step is parallel over fixed ranges of heaps, and every heap
//! sees its updates in that same global order, so no schedule changes a bit.
//!
//! Candidates are ranked in single precision (half the memory traffic, twice
//! the SIMD width); the final `k` of each point are re-scored in double
//! precision and sorted by (distance, index).

use ndarray::Array2;
use rayon::prelude::*;

use super::distance::Metric;
use super::graph::KnnGraph;
use super::heap::{self, Heaps, NONE};
use super::rptree::RpTree;
use crate::display::Progress;
use crate::error::Result;
use crate::rng::{self, stream, SplitMix64};

/// Leaves whose pairs are proposed between two applications.
const LEAF_BLOCK: usize = 256;
/// Points whose candidate pairs are proposed between two applications.
const JOIN_BLOCK: usize = 16_384;
/// Points per parallel task when proposing.
const TASK: usize = 256;
/// Heaps per parallel task when applying.
const APPLY_ROWS: usize = 4_096;

/// Settings of one NN-descent run.
#[derive(Clone, Debug)]
pub(crate) struct NnDescentConfig {
    pub k: usize,
    pub n_iters: usize,
    pub max_candidates: usize,
    pub delta: f64,
    pub seed: u64,
}

/// A proposed heap entry: `b` for `a`'s heap (when `to_a`) and `a` for `b`'s
/// (when `to_b`), at surrogate `d`. A side whose threshold the pair missed at
/// proposal time is skipped: thresholds only fall, so it would miss again.
#[derive(Clone, Copy, Debug)]
struct Update {
    a: u32,
    b: u32,
    d: f32,
    to_a: bool,
    to_b: bool,
}

/// The prepared data in single precision, viewed as rows.
struct Rows<'a> {
    flat: &'a [f32],
    dim: usize,
    metric: Metric,
}

impl Rows<'_> {
    #[inline]
    fn row(&self, i: u32) -> &[f32] {
        let i = i as usize;
        &self.flat[i * self.dim..(i + 1) * self.dim]
    }

    #[inline]
    fn surrogate(&self, a: u32, b: u32) -> f32 {
        self.metric.surrogate32(self.row(a), self.row(b))
    }
}

/// The approximate `k`-NN graph (self excluded) of the prepared rows `data`,
/// with `single` the same rows in single precision and `forest` trees built on
/// them. Needs `k < n`.
///
/// The search runs on the points renumbered in the leaf order of the first
/// tree, so that points near each other in space are near each other in
/// memory: a point's candidates, and its neighbours' heaps, then share cache
/// lines with those of the points processed just before.
pub(crate) fn nn_descent(data: &Array2<f64>, single: &[f32], metric: Metric, forest: &[RpTree], cfg: &NnDescentConfig) -> Result<KnnGraph> {
    let (n, dim) = data.dim();
    let order: Vec<u32> = match forest.first() {
        Some(tree) => tree.leaves().flatten().copied().collect(),
        None => (0..n as u32).collect(),
    };
    let mut new_of_old = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        new_of_old[old as usize] = new as u32;
    }
    let permuted: Vec<f32> = order.iter().flat_map(|&old| single[old as usize * dim..(old as usize + 1) * dim].iter().copied()).collect();
    let rows = &Rows { flat: &permuted, dim, metric };
    let mut heaps = Heaps::new(n, cfg.k);
    for tree in forest {
        let leaves: Vec<Vec<u32>> = tree.leaves().map(|leaf| leaf.iter().map(|&old| new_of_old[old as usize]).collect()).collect();
        seed_from_leaves(rows, &leaves, &mut heaps);
    }
    fill_at_random(rows, &mut heaps, cfg.seed);
    let mut progress = Progress::new("NN-descent rounds", cfg.n_iters);
    for round in 0..cfg.n_iters {
        progress.set(round)?;
        let (new, old) = build_candidates(&mut heaps, cfg.max_candidates, rng::derive(cfg.seed, stream::CANDIDATES, round as u64));
        let changed = local_join(rows, &mut heaps, &new, &old, cfg.max_candidates);
        if changed as f64 <= cfg.delta * cfg.k as f64 * n as f64 {
            break;
        }
    }
    progress.finish();
    Ok(finish(&heaps, data, metric, &order))
}

/// Every pair of points sharing a leaf is a candidate edge.
fn seed_from_leaves(rows: &Rows, leaves: &[Vec<u32>], heaps: &mut Heaps) {
    let k = heaps.k;
    for block in leaves.chunks(LEAF_BLOCK) {
        let thresholds = heaps.thresholds();
        let updates: Vec<Vec<Update>> = block.par_iter().map(|leaf| leaf_updates(rows, leaf, &thresholds, k)).collect();
        apply(heaps, &updates);
    }
}

/// The proposals of one leaf: each point's `k` nearest within the leaf (by
/// (surrogate, index)) that beat its threshold. A leaf point outside that
/// local top `k` could never end among the point's `k` nearest, so it is not
/// proposed. The leaf's rows are first copied side by side, so the `L²/2`
/// distances read from cache.
fn leaf_updates(rows: &Rows, leaf: &[u32], thresholds: &[f32], k: usize) -> Vec<Update> {
    let (m, dim) = (leaf.len(), rows.dim);
    let mut local = Vec::with_capacity(m * dim);
    for &p in leaf {
        local.extend_from_slice(rows.row(p));
    }
    let at = |a: usize| &local[a * dim..(a + 1) * dim];
    let mut dist = vec![0.0f32; m * m];
    for a in 0..m {
        for b in a + 1..m {
            let d = rows.metric.surrogate32(at(a), at(b));
            dist[a * m + b] = d;
            dist[b * m + a] = d;
        }
    }
    let mut out = Vec::new();
    let mut cand: Vec<(f32, u32)> = Vec::with_capacity(m);
    for (a, &p) in leaf.iter().enumerate() {
        let limit = thresholds[p as usize];
        cand.clear();
        cand.extend((0..m).filter(|&b| b != a && dist[a * m + b] < limit).map(|b| (dist[a * m + b], leaf[b])));
        if cand.len() > k {
            cand.select_nth_unstable_by(k - 1, |x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            cand.truncate(k);
        }
        out.extend(cand.iter().map(|&(d, q)| Update { a: p, b: q, d, to_a: true, to_b: false }));
    }
    out
}

#[inline]
fn propose(rows: &Rows, thresholds: &[f32], p: u32, q: u32, out: &mut Vec<Update>) {
    let d = rows.surrogate(p, q);
    let (to_a, to_b) = (d < thresholds[p as usize], d < thresholds[q as usize]);
    if to_a || to_b {
        out.push(Update { a: p, b: q, d, to_a, to_b });
    }
}

/// Fills the slots the trees left empty with random points (each row from its
/// own stream), then, should the draws keep colliding, with the first free indices.
fn fill_at_random(rows: &Rows, heaps: &mut Heaps, seed: u64) {
    let k = heaps.k;
    let n = heaps.dist.len() / k.max(1);
    heaps.dist.par_chunks_mut(k).zip(heaps.idx.par_chunks_mut(k)).zip(heaps.flag.par_chunks_mut(k)).enumerate().for_each(
        |(i, ((dist, idx), flag))| {
            let missing = idx.iter().filter(|&&j| j == NONE).count();
            if missing == 0 {
                return;
            }
            let mut r = SplitMix64::new(rng::derive(seed, stream::FILL, i as u64));
            for _ in 0..2 * missing + 8 {
                let j = r.below(n) as u32;
                if j as usize != i {
                    heap::push(dist, idx, flag, rows.surrogate(i as u32, j), j, true);
                }
            }
            for j in (0..n as u32).filter(|&j| j as usize != i) {
                if !idx.contains(&NONE) {
                    break;
                }
                heap::push(dist, idx, flag, rows.surrogate(i as u32, j), j, true);
            }
        },
    );
}

/// Samples each point's new and old candidates (its neighbours and the points
/// that list it), at most `max_c` of each, by hashed priority; marks the sampled
/// new neighbours old. Returns two `n × max_c` tables padded with `NONE`.
fn build_candidates(heaps: &mut Heaps, max_c: usize, round_seed: u64) -> (Vec<u32>, Vec<u32>) {
    let k = heaps.k;
    let n = heaps.idx.len() / k.max(1);
    let priority = |i: u32, j: u32| rng::mix(round_seed ^ ((i as u64) << 32 | j as u64));
    // Reverse lists by counting sort: deterministic and O(n·k).
    let mut counts = vec![0usize; n + 1];
    for &j in heaps.idx.iter().filter(|&&j| j != NONE) {
        counts[j as usize + 1] += 1;
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let mut reverse = vec![(0u64, 0u32, false); counts[n]];
    let mut fill = counts.clone();
    for i in 0..n {
        for s in i * k..(i + 1) * k {
            let j = heaps.idx[s];
            if j != NONE {
                reverse[fill[j as usize]] = (priority(i as u32, j), i as u32, heaps.flag[s]);
                fill[j as usize] += 1;
            }
        }
    }
    let mut new = vec![NONE; n * max_c];
    let mut old = vec![NONE; n * max_c];
    {
        let (idx, flag) = (&heaps.idx, &heaps.flag);
        new.par_chunks_mut(max_c.max(1)).zip(old.par_chunks_mut(max_c.max(1))).enumerate().for_each(|(i, (new_i, old_i))| {
            let mut cand_new = Vec::new();
            let mut cand_old = Vec::new();
            for s in i * k..(i + 1) * k {
                let j = idx[s];
                if j != NONE {
                    let entry = (priority(i as u32, j), j);
                    if flag[s] {
                        cand_new.push(entry)
                    } else {
                        cand_old.push(entry)
                    }
                }
            }
            for &(p, j, is_new) in &reverse[counts[i]..counts[i + 1]] {
                if is_new {
                    cand_new.push((p, j))
                } else {
                    cand_old.push((p, j))
                }
            }
            take_by_priority(&mut cand_new, new_i);
            take_by_priority(&mut cand_old, old_i);
        });
    }
    heaps.idx.par_chunks(k).zip(heaps.flag.par_chunks_mut(k)).zip(new.par_chunks(max_c.max(1))).for_each(|((idx, flag), new_i)| {
        for (j, f) in idx.iter().zip(flag.iter_mut()) {
            if *f && new_i.contains(j) {
                *f = false;
            }
        }
    });
    (new, old)
}

/// Writes the distinct indices of `cand` with the smallest priorities into `out`.
fn take_by_priority(cand: &mut Vec<(u64, u32)>, out: &mut [u32]) {
    // A point can arrive both forward and reverse: keep its best priority.
    cand.sort_unstable_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    cand.dedup_by_key(|e| e.1);
    cand.sort_unstable();
    for (slot, &(_, j)) in out.iter_mut().zip(cand.iter()) {
        *slot = j;
    }
}

/// One round of pair proposals among each point's candidates. Returns how many
/// heap entries changed.
fn local_join(rows: &Rows, heaps: &mut Heaps, new: &[u32], old: &[u32], max_c: usize) -> usize {
    let n = heaps.idx.len() / heaps.k.max(1);
    let max_c = max_c.max(1);
    let mut changed = 0;
    for start in (0..n).step_by(JOIN_BLOCK) {
        let end = (start + JOIN_BLOCK).min(n);
        let thresholds = heaps.thresholds();
        let tasks: Vec<usize> = (start..end).step_by(TASK).collect();
        let updates: Vec<Vec<Update>> = tasks
            .par_iter()
            .map(|&t| {
                let mut out = Vec::new();
                for i in t..(t + TASK).min(end) {
                    let new_i: Vec<u32> = new[i * max_c..(i + 1) * max_c].iter().copied().filter(|&j| j != NONE).collect();
                    let old_i = old[i * max_c..(i + 1) * max_c].iter().copied().filter(|&j| j != NONE);
                    let old_i: Vec<u32> = old_i.collect();
                    for (x, &p) in new_i.iter().enumerate() {
                        for &q in &new_i[x + 1..] {
                            propose(rows, &thresholds, p, q, &mut out);
                        }
                        for &q in old_i.iter().filter(|&&q| q != p) {
                            propose(rows, &thresholds, p, q, &mut out);
                        }
                    }
                }
                out
            })
            .collect();
        changed += apply(heaps, &updates);
    }
    changed
}

/// Applies proposals in their global order. Each update is routed to the
/// fixed range owning each of its two heaps; ranges run in parallel, and a heap
/// receives its updates in proposal order whatever the schedule.
fn apply(heaps: &mut Heaps, updates: &[Vec<Update>]) -> usize {
    let k = heaps.k;
    let n = heaps.idx.len() / k.max(1);
    let n_ranges = n.div_ceil(APPLY_ROWS).max(1);
    let mut routed: Vec<Vec<(u32, u32, f32)>> = vec![Vec::new(); n_ranges];
    for u in updates.iter().flatten() {
        if u.to_a {
            routed[u.a as usize / APPLY_ROWS].push((u.a, u.b, u.d));
        }
        if u.to_b {
            routed[u.b as usize / APPLY_ROWS].push((u.b, u.a, u.d));
        }
    }
    heaps
        .dist
        .par_chunks_mut(APPLY_ROWS * k)
        .zip(heaps.idx.par_chunks_mut(APPLY_ROWS * k))
        .zip(heaps.flag.par_chunks_mut(APPLY_ROWS * k))
        .zip(routed.par_iter())
        .enumerate()
        .map(|(r, (((dist, idx), flag), list))| {
            let base = r * APPLY_ROWS;
            let mut changed = 0;
            for &(p, q, d) in list {
                let s = (p as usize - base) * k;
                if heap::push(&mut dist[s..s + k], &mut idx[s..s + k], &mut flag[s..s + k], d, q, true) {
                    changed += 1;
                }
            }
            changed
        })
        .sum()
}

/// The heaps as a graph in the original numbering (`order[new] = old`): each
/// row re-scored in double precision and sorted by (distance, index).
fn finish(heaps: &Heaps, data: &Array2<f64>, metric: Metric, order: &[u32]) -> KnnGraph {
    let (n, k) = (data.nrows(), heaps.k);
    let flat = data.as_slice().unwrap_or(&[]);
    let dim = data.ncols();
    let row = |i: usize| &flat[i * dim..(i + 1) * dim];
    let rows: Vec<(usize, Vec<(f64, u32)>)> = (0..n)
        .into_par_iter()
        .map(|new| {
            let i = order[new] as usize;
            let mut r: Vec<(f64, u32)> =
                heaps.members(new).map(|j| order[j as usize]).map(|j| (metric.surrogate(row(i), row(j as usize)), j)).collect();
            r.sort_unstable_by(super::top_k::cmp_pair);
            (i, r)
        })
        .collect();
    let mut indices = Array2::<usize>::zeros((n, k));
    let mut distances = Array2::<f64>::zeros((n, k));
    for (i, r) in rows {
        for (c, &(d, j)) in r.iter().enumerate().take(k) {
            indices[[i, c]] = j as usize;
            distances[[i, c]] = metric.to_distance(d);
        }
    }
    KnnGraph::from_parts(indices, distances)
}
