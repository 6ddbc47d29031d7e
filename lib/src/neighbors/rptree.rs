//! Random-projection trees (Dasgupta & Freund 2008, as pynndescent builds them).
//!
//! A node picks two of its points at random and splits by the hyperplane that
//! bisects them; points on the plane, and nodes whose split would leave a side
//! empty, are assigned by coin flips. Leaves hold at most `leaf_size` points.
//! Their points are likely neighbours, which seeds NN-descent and the search of
//! new points. One tree costs `O(n·d·depth)` time and `O(n + (n/leaf)·d)` memory.
//! Trees work in single precision: they only propose candidates.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::distance::dot32;
use crate::rng;

/// Beyond this depth a node becomes a leaf whatever its size.
const MAX_DEPTH: usize = 200;

/// Margins closer to the plane than this count as on it.
const ON_PLANE: f32 = 1e-8;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
enum Node {
    /// `plane` indexes the hyperplane (in units of `dim`); a point with
    /// `⟨h, x⟩ + offset ≥ 0` goes left.
    Split { plane: u32, offset: f32, left: u32, right: u32 },
    /// Points `indices[start..end]`.
    Leaf { start: u32, end: u32 },
}

/// One random-projection tree over prepared rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RpTree {
    dim: usize,
    nodes: Vec<Node>,
    planes: Vec<f32>,
    indices: Vec<u32>,
}

impl RpTree {
    /// Builds a tree over the `dim`-wide rows of `flat` from its own `seed`.
    pub fn build(flat: &[f32], dim: usize, leaf_size: usize, seed: u64) -> RpTree {
        let n = flat.len() / dim.max(1);
        let mut rng = rng::xoshiro(seed);
        let mut tree = RpTree { dim, nodes: vec![Node::Leaf { start: 0, end: 0 }], planes: Vec::new(), indices: (0..n as u32).collect() };
        // Explicit stack: deep degenerate trees must not overflow the call stack.
        let mut stack = vec![(0usize, 0usize, n, 0usize)];
        while let Some((id, start, end, depth)) = stack.pop() {
            let split = if end - start > leaf_size.max(1) && depth < MAX_DEPTH {
                split(flat, dim, &mut tree.indices[start..end], &mut rng)
            } else {
                None
            };
            match split {
                Some((plane, offset, mid)) => {
                    let plane_id = (tree.planes.len() / dim.max(1)) as u32;
                    tree.planes.extend(plane);
                    let (left, right) = (tree.nodes.len(), tree.nodes.len() + 1);
                    tree.nodes.push(Node::Leaf { start: 0, end: 0 });
                    tree.nodes.push(Node::Leaf { start: 0, end: 0 });
                    tree.nodes[id] = Node::Split { plane: plane_id, offset, left: left as u32, right: right as u32 };
                    stack.push((right, start + mid, end, depth + 1));
                    stack.push((left, start, start + mid, depth + 1));
                }
                None => tree.nodes[id] = Node::Leaf { start: start as u32, end: end as u32 },
            }
        }
        tree
    }

    /// The points of every leaf.
    pub fn leaves(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.nodes.iter().filter_map(|node| match *node {
            Node::Leaf { start, end } => Some(&self.indices[start as usize..end as usize]),
            Node::Split { .. } => None,
        })
    }

    /// The points of the leaf that `point` (a prepared row) falls into.
    pub fn leaf_of(&self, point: &[f32]) -> &[u32] {
        let mut id = 0usize;
        loop {
            match self.nodes.get(id) {
                Some(&Node::Split { plane, offset, left, right }) => {
                    let p = plane as usize * self.dim;
                    let h = &self.planes[p..p + self.dim];
                    id = if dot32(h, point) + offset >= 0.0 { left as usize } else { right as usize };
                }
                Some(&Node::Leaf { start, end }) => return &self.indices[start as usize..end as usize],
                None => return &[],
            }
        }
    }
}

/// Splits `points` in place into left then right; returns the hyperplane,
/// its offset and the size of the left part, or `None` when the node cannot
/// be split (fewer than two points).
fn split(flat: &[f32], dim: usize, points: &mut [u32], rng: &mut rand_xoshiro::Xoshiro256PlusPlus) -> Option<(Vec<f32>, f32, usize)> {
    let m = points.len();
    if m < 2 {
        return None;
    }
    let a = rng.gen_range(0..m);
    let mut b = rng.gen_range(0..m - 1);
    if b >= a {
        b += 1;
    }
    let row = |p: u32| &flat[p as usize * dim..(p as usize + 1) * dim];
    let (pa, pb) = (row(points[a]), row(points[b]));
    let plane: Vec<f32> = pa.iter().zip(pb).map(|(x, y)| x - y).collect();
    let mid: Vec<f32> = pa.iter().zip(pb).map(|(x, y)| 0.5 * (x + y)).collect();
    let offset = -dot32(&plane, &mid);
    let mut goes_left: Vec<bool> = points
        .iter()
        .map(|&p| {
            let margin = dot32(&plane, row(p)) + offset;
            if margin.abs() < ON_PLANE {
                rng.gen::<bool>()
            } else {
                margin > 0.0
            }
        })
        .collect();
    let n_left = goes_left.iter().filter(|&&l| l).count();
    if n_left == 0 || n_left == m {
        // Every point on one side (duplicates, or a plane through a cluster):
        // fall back to a random halving so the tree still gets shallower.
        goes_left.iter_mut().for_each(|l| *l = rng.gen::<bool>());
        let n_left = goes_left.iter().filter(|&&l| l).count();
        if n_left == 0 || n_left == m {
            goes_left.iter_mut().enumerate().for_each(|(i, l)| *l = i < m / 2);
        }
    }
    let left: Vec<u32> = points.iter().zip(&goes_left).filter(|(_, &l)| l).map(|(&p, _)| p).collect();
    let right: Vec<u32> = points.iter().zip(&goes_left).filter(|(_, &l)| !l).map(|(&p, _)| p).collect();
    let n_left = left.len();
    points[..n_left].copy_from_slice(&left);
    points[n_left..].copy_from_slice(&right);
    Some((plane, offset, n_left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_partition_the_points() {
        let x: Vec<f32> = (0..500 * 4).map(|t| ((t / 4 * 31 + t % 4 * 17) % 97) as f32).collect();
        let tree = RpTree::build(&x, 4, 20, 3);
        let mut seen: Vec<u32> = tree.leaves().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..500).collect::<Vec<u32>>());
        assert!(tree.leaves().all(|l| l.len() <= 20));
        // A point of the data lands in a leaf that contains it (no ties here).
        assert!(!tree.leaf_of(&x[28..32]).is_empty());
    }

    #[test]
    fn duplicates_still_split() {
        let x = vec![1.0f32; 300 * 3];
        let tree = RpTree::build(&x, 3, 10, 1);
        assert!(tree.leaves().all(|l| l.len() <= 10));
        assert_eq!(tree.leaves().map(|l| l.len()).sum::<usize>(), 300);
    }
}
