//! Fixed-size neighbour heaps, one per point, stored as three flat arrays.
//!
//! Each row is a max-heap on the surrogate distance, so the root is the current
//! k-th neighbour: the admission threshold. A flag marks entries that arrived
//! since the point last proposed candidates ("new" in NN-descent's terms).

use std::cmp::Ordering;

/// An empty slot.
pub(crate) const NONE: u32 = u32::MAX;

/// `n` heaps of `k` entries each.
#[derive(Clone, Debug)]
pub(crate) struct Heaps {
    pub k: usize,
    pub dist: Vec<f32>,
    pub idx: Vec<u32>,
    pub flag: Vec<bool>,
}

impl Heaps {
    pub fn new(n: usize, k: usize) -> Self {
        Heaps { k, dist: vec![f32::INFINITY; n * k], idx: vec![NONE; n * k], flag: vec![false; n * k] }
    }

    /// The admission threshold of every row (its current largest surrogate).
    pub fn thresholds(&self) -> Vec<f32> {
        self.dist.iter().step_by(self.k).copied().collect()
    }

    /// The indices held by row `i` (empty slots dropped), in heap order.
    pub fn members(&self, i: usize) -> impl Iterator<Item = u32> + '_ {
        self.idx[i * self.k..(i + 1) * self.k].iter().copied().filter(|&j| j != NONE)
    }
}

/// Pushes `(d, j)` into one heap row unless it is no better than the root or
/// `j` is already there. Returns whether the row changed.
#[inline]
pub(crate) fn push<D: Copy + Total>(dist: &mut [D], idx: &mut [u32], flag: &mut [bool], d: D, j: u32, new: bool) -> bool {
    let k = dist.len();
    if k == 0 || d.total(&dist[0]) != Ordering::Less || idx.contains(&j) {
        return false;
    }
    let mut i = 0;
    loop {
        let l = 2 * i + 1;
        if l >= k {
            break;
        }
        let r = l + 1;
        let c = if r < k && larger(dist[r], idx[r], dist[l], idx[l]) { r } else { l };
        if larger(dist[c], idx[c], d, j) {
            dist[i] = dist[c];
            idx[i] = idx[c];
            flag[i] = flag[c];
            i = c;
        } else {
            break;
        }
    }
    dist[i] = d;
    idx[i] = j;
    flag[i] = new;
    true
}

/// Floats with a total order (f32 in the builder's heaps, f64 in queries).
pub(crate) trait Total {
    fn total(&self, other: &Self) -> Ordering;
}

impl Total for f32 {
    #[inline]
    fn total(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }
}

impl Total for f64 {
    #[inline]
    fn total(&self, other: &Self) -> Ordering {
        self.total_cmp(other)
    }
}

/// Whether (d1, j1) sorts after (d2, j2): the heap order, with ties broken by
/// index so that a row's content never depends on anything but push order.
#[inline]
fn larger<D: Total>(d1: D, j1: u32, d2: D, j2: u32) -> bool {
    match d1.total(&d2) {
        Ordering::Greater => true,
        Ordering::Less => false,
        Ordering::Equal => j1 > j2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_k_smallest_without_duplicates() {
        let mut h = Heaps::new(1, 3);
        for (dv, j) in [(5.0, 1), (3.0, 2), (4.0, 3), (1.0, 4), (3.0, 2), (6.0, 5)] {
            push(&mut h.dist, &mut h.idx, &mut h.flag, dv, j, true);
        }
        let mut got: Vec<u32> = h.members(0).collect();
        got.sort_unstable();
        assert_eq!(got, vec![2, 3, 4]);
        assert_eq!(h.thresholds(), vec![4.0]);
    }
}
