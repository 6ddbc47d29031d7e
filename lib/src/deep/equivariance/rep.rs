//! Tensor representations: direct sums of copies of Tₚ = V^{⊗p} (scalars
//! p = 0, vectors p = 1, rank-2 tensors p = 2, …) of a group's base space V.
//! Sums add multiplicities, products distribute (Tₚ ⊗ T_q = T_{p+q}).
//!
//! Layout: a vector of the representation holds its components by rank,
//! lowest first, and within a rank copy after copy, each copy's d^p entries
//! contiguous (row-major for p = 2). `5 T0 + 5 T1` is 5 masses, then the
//! 5 positions (x, y, z) one after another.

use std::ops::{Add, Mul};

use ndarray::{Array2, ArrayView2};

/// A direct sum of tensor powers: `mult[p]` copies of Tₚ.
///
/// ```
/// use lowdim::deep::Rep;
/// let rep = Rep::scalars(5) + Rep::vectors(5);
/// assert_eq!(rep.size(3), 20);
/// assert_eq!((Rep::vectors(1) * Rep::vectors(1)).size(3), 9);
/// assert_eq!(rep.to_string(), "5T0+5T1");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rep {
    mult: Vec<usize>,
}

impl Rep {
    /// `copies` copies of Tₚ with p = `rank`.
    pub fn tensors(copies: usize, rank: usize) -> Self {
        let mut mult = vec![0; rank + 1];
        mult[rank] = copies;
        Rep { mult }.trimmed()
    }

    /// `n` scalars (invariant under every group here).
    pub fn scalars(n: usize) -> Self {
        Self::tensors(n, 0)
    }

    /// `n` vectors of the base space.
    pub fn vectors(n: usize) -> Self {
        Self::tensors(n, 1)
    }

    /// `copies` copies of each rank 0..=`max_rank` (scalars + vectors + …).
    pub fn uniform(copies: usize, max_rank: usize) -> Self {
        Rep { mult: vec![copies; max_rank + 1] }.trimmed()
    }

    fn trimmed(mut self) -> Self {
        while self.mult.last() == Some(&0) {
            self.mult.pop();
        }
        self
    }

    /// Copies of Tₚ.
    pub fn multiplicity(&self, rank: usize) -> usize {
        self.mult.get(rank).copied().unwrap_or(0)
    }

    /// The highest rank present (0 for an empty representation).
    pub fn max_rank(&self) -> usize {
        self.mult.len().saturating_sub(1)
    }

    /// The ranks with at least one copy.
    pub fn ranks(&self) -> Vec<usize> {
        (0..self.mult.len()).filter(|&p| self.mult[p] > 0).collect()
    }

    /// Width of a vector of this representation when V = ℝᵈ.
    pub fn size(&self, d: usize) -> usize {
        self.mult.iter().enumerate().map(|(p, m)| m * d.pow(p as u32)).sum()
    }

    /// Where the block of rank `rank` starts in a vector of this representation.
    pub fn offset(&self, rank: usize, d: usize) -> usize {
        (0..rank.min(self.mult.len())).map(|p| self.mult[p] * d.pow(p as u32)).sum()
    }

    /// The component-major order of this representation: entry `i` is the
    /// position, in the standard layout, of the i-th entry when each rank's
    /// block holds component after component with the copies of one component
    /// contiguous. A network that mixes copies and scales them one gate per
    /// copy works along contiguous rows in that order.
    pub(crate) fn component_major(&self, d: usize) -> Vec<i64> {
        let mut order = Vec::with_capacity(self.size(d));
        for (p, &copies) in self.mult.iter().enumerate() {
            let (start, width) = (self.offset(p, d), d.pow(p as u32));
            for component in 0..width {
                order.extend((0..copies).map(|k| (start + k * width + component) as i64));
            }
        }
        order
    }

    /// Whether there are no copies at all.
    pub fn is_empty(&self) -> bool {
        self.mult.iter().all(|&m| m == 0)
    }

    /// The matrix of the group element `g` (d × d, acting on V) on this
    /// representation: block-diagonal, `g^{⊗p}` for each copy of Tₚ.
    pub fn matrix(&self, g: ArrayView2<f64>) -> Array2<f64> {
        let d = g.nrows();
        let n = self.size(d);
        let mut out = Array2::zeros((n, n));
        let mut at = 0;
        for p in 0..self.mult.len() {
            let block = tensor_power(g, p);
            let w = block.nrows();
            for _ in 0..self.mult[p] {
                out.slice_mut(ndarray::s![at..at + w, at..at + w]).assign(&block);
                at += w;
            }
        }
        out
    }
}

/// `g^{⊗p}` (1 × 1 identity for p = 0).
pub(crate) fn tensor_power(g: ArrayView2<f64>, p: usize) -> Array2<f64> {
    (0..p).fold(Array2::eye(1), |acc, _| kron(acc.view(), g))
}

/// The Lie-algebra action on Tₚ: Σₖ I ⊗ … ⊗ A (k-th) ⊗ … ⊗ I.
pub(crate) fn tensor_generator(a: ArrayView2<f64>, p: usize) -> Array2<f64> {
    let d = a.nrows();
    let n = d.pow(p as u32);
    let mut out = Array2::zeros((n, n));
    for k in 0..p {
        let left = Array2::<f64>::eye(d.pow(k as u32));
        let right = Array2::<f64>::eye(d.pow((p - k - 1) as u32));
        out += &kron(kron(left.view(), a).view(), right.view());
    }
    out
}

/// The Kronecker product (row-major convention: vec(A X Bᵀ) = (A ⊗ B) vec(X)).
pub(crate) fn kron(a: ArrayView2<f64>, b: ArrayView2<f64>) -> Array2<f64> {
    let (ra, ca) = a.dim();
    let (rb, cb) = b.dim();
    let mut out = Array2::zeros((ra * rb, ca * cb));
    for i in 0..ra {
        for j in 0..ca {
            let v = a[[i, j]];
            if v != 0.0 {
                out.slice_mut(ndarray::s![i * rb..(i + 1) * rb, j * cb..(j + 1) * cb]).scaled_add(v, &b);
            }
        }
    }
    out
}

impl Add for Rep {
    type Output = Rep;
    fn add(self, other: Rep) -> Rep {
        let n = self.mult.len().max(other.mult.len());
        Rep { mult: (0..n).map(|p| self.multiplicity(p) + other.multiplicity(p)).collect() }.trimmed()
    }
}

impl Mul for Rep {
    type Output = Rep;
    fn mul(self, other: Rep) -> Rep {
        let mut mult = vec![0; self.mult.len() + other.mult.len()];
        for (p, a) in self.mult.iter().enumerate() {
            for (q, b) in other.mult.iter().enumerate() {
                mult[p + q] += a * b;
            }
        }
        Rep { mult }.trimmed()
    }
}

impl std::fmt::Display for Rep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.ranks().iter().map(|&p| format!("{}T{p}", self.mult[p])).collect();
        if parts.is_empty() {
            return write!(f, "0");
        }
        write!(f, "{}", parts.join("+"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn the_matrix_of_a_rank_two_tensor_acts_as_g_x_gt() {
        let g = array![[0.0, -1.0], [1.0, 0.0]];
        let x = array![[1.0, 2.0], [3.0, 4.0]];
        let m = Rep::tensors(1, 2).matrix(g.view());
        let vx = m.dot(&Array2::from_shape_vec((4, 1), x.iter().copied().collect()).unwrap());
        let gxg = g.dot(&x).dot(&g.t());
        assert_eq!(vx.iter().copied().collect::<Vec<_>>(), gxg.iter().copied().collect::<Vec<_>>());
    }

    #[test]
    fn products_distribute_over_sums() {
        let r = (Rep::scalars(1) + Rep::vectors(2)) * Rep::vectors(1);
        assert_eq!(r, Rep::vectors(1) + Rep::tensors(2, 2));
        assert_eq!(r.offset(2, 3), 3);
    }

    #[test]
    fn component_major_order_groups_the_copies_of_each_component() {
        // 1 scalar, 2 vectors (a, b) of R^2: standard s a0 a1 b0 b1, component-major s a0 b0 a1 b1.
        assert_eq!((Rep::scalars(1) + Rep::vectors(2)).component_major(2), vec![0, 1, 3, 2, 4]);
        let order = Rep::uniform(3, 2).component_major(3);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..39).collect::<Vec<i64>>());
        // The second copy's (0, 1) entry of the rank-2 block sits after the (0, 1) entry of the first.
        assert_eq!(order[3 + 9 + 3 + 1], 3 + 9 + 9 + 1);
    }
}
