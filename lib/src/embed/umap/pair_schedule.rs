//! The order in which the fit visits edges, so that both ends of an edge can
//! move at once (as umap-learn's SGD moves them) with no two tasks ever writing
//! the same row.
//!
//! Vertices are cut into `P` fixed blocks of consecutive indices. The edges
//! `i → j` fall into the block pairs `{block(i), block(j)}`, and the pairs into
//! rounds whose pairs share no block: first the `P` diagonal pairs `{p, p}`,
//! then the `P − 1` rounds of a round-robin tournament (the circle method). A
//! round's pairs run in parallel, each owning the rows of its one or two
//! blocks and walking its edges in edge order; the rounds run one after
//! another. `P` depends on the number of vertices only, so the visiting order,
//! and with it every bit of the result, is the same at any thread count.

use std::ops::Range;

use super::layout::Schedule;

/// Below this many vertices everything is one block: one task, edge order.
const SINGLE_BLOCK_BELOW: usize = 512;

/// Blocks for `n` vertices: 1, or an even count that gives a round enough
/// tasks to share out.
fn block_count(n: usize) -> usize {
    match n {
        _ if n < SINGLE_BLOCK_BELOW => 1,
        _ if n < 2048 => 4,
        _ if n < 8192 => 8,
        _ => 16,
    }
}

#[derive(Clone, Debug)]
pub(crate) struct PairSchedule {
    /// Vertices per block (the last block may hold fewer).
    pub block_len: usize,
    /// Block pairs `(p, q)` with `p ≤ q`, round after round.
    pub pairs: Vec<(usize, usize)>,
    /// Each round's range of `pairs`.
    pub rounds: Vec<Range<usize>>,
    /// Each pair's edges as (edge, head vertex), in edge order.
    pub edges: Vec<Vec<(u32, u32)>>,
}

impl PairSchedule {
    pub fn new(n: usize, schedule: &Schedule) -> Self {
        let blocks = block_count(n);
        let block_len = n.div_ceil(blocks).max(1);
        let mut pairs = Vec::new();
        let mut rounds = Vec::new();
        let mut round = |pairs: &mut Vec<(usize, usize)>, members: Vec<(usize, usize)>| {
            let start = pairs.len();
            pairs.extend(members.into_iter().map(|(p, q)| (p.min(q), p.max(q))));
            rounds.push(start..pairs.len());
        };
        round(&mut pairs, (0..blocks).map(|p| (p, p)).collect());
        for r in 0..blocks.saturating_sub(1) {
            round(&mut pairs, circle_round(blocks, r));
        }
        let mut pair_of = vec![usize::MAX; blocks * blocks];
        for (id, &(p, q)) in pairs.iter().enumerate() {
            pair_of[p * blocks + q] = id;
            pair_of[q * blocks + p] = id;
        }
        let mut edges = vec![Vec::new(); pairs.len()];
        for i in 0..n {
            for e in schedule.offsets[i]..schedule.offsets[i + 1] {
                let j = schedule.tails[e] as usize;
                edges[pair_of[(i / block_len) * blocks + j / block_len]].push((e as u32, i as u32));
            }
        }
        PairSchedule { block_len, pairs, rounds, edges }
    }
}

/// Round `r` of the circle method for an even number of players `p`: player
/// `p − 1` stays put and meets `r`; the others pair off around the circle.
fn circle_round(p: usize, r: usize) -> Vec<(usize, usize)> {
    let m = p - 1;
    std::iter::once((r, m)).chain((1..p / 2).map(|k| ((r + k) % m, (r + m - k) % m))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_pair_once_and_no_block_twice_in_a_round() {
        for blocks in [2, 4, 8, 16] {
            let mut seen = std::collections::HashSet::new();
            for r in 0..blocks - 1 {
                let round = circle_round(blocks, r);
                let mut used: Vec<usize> = round.iter().flat_map(|&(a, b)| [a, b]).collect();
                used.sort_unstable();
                used.dedup();
                assert_eq!(used.len(), blocks, "round {r} of {blocks} reuses a block");
                for (a, b) in round {
                    assert!(seen.insert((a.min(b), a.max(b))), "pair ({a}, {b}) twice");
                }
            }
            assert_eq!(seen.len(), blocks * (blocks - 1) / 2);
        }
    }

    #[test]
    fn every_edge_lands_in_the_pair_of_its_ends() {
        let n = 3000;
        let tails: Vec<u32> = (0..n).flat_map(|i| [(i * 7 + 1) % n, (i * 13 + 5) % n]).map(|j| j as u32).collect();
        let schedule = Schedule { offsets: (0..=n).map(|i| 2 * i).collect(), tails, epochs_per_sample: vec![1.0; 2 * n] };
        let ps = PairSchedule::new(n, &schedule);
        let total: usize = ps.edges.iter().map(Vec::len).sum();
        assert_eq!(total, 2 * n);
        for (id, edges) in ps.edges.iter().enumerate() {
            let (p, q) = ps.pairs[id];
            for &(e, i) in edges {
                let j = schedule.tails[e as usize] as usize;
                let mut b = [i as usize / ps.block_len, j / ps.block_len];
                b.sort_unstable();
                assert_eq!((b[0], b[1]), (p, q));
            }
            assert!(edges.windows(2).all(|w| w[0].0 < w[1].0), "edge order");
        }
    }
}
