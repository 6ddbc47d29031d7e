//! Matrix groups acting on a base space ℝᵈ, given by their generators: the
//! Lie-algebra generators of the continuous part and the discrete generators
//! (EMLP's description, Finzi, Welling & Wilson, ICML 2021). The groups a
//! user of soft equivariance needs are built in: O(3), SO(3), O(2)/SO(2) about
//! a coordinate axis, a reflection, permutations of set elements, cyclic
//! shifts of signals and scalings.

use ndarray::Array2;
use rand::Rng;
use rand_distr::StandardNormal;

use crate::error::{Error, Result};
use crate::rng;

/// Which finite subgroup averages exactly onto the group's equivariant maps.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Shape {
    /// Only discrete generators: the group is finite and is its own subgroup.
    Finite,
    /// Rotations about coordinate `axis` (with a mirror when `mirror`):
    /// maps of total rank r have angular frequencies ≤ r, so the cyclic (or
    /// dihedral) group of order r + 1 averages exactly.
    Axial { axis: usize, mirror: bool },
    /// No finite subgroup is exact (O(3), SO(3), scalings, custom Lie groups).
    Continuous,
}

/// A matrix group on ℝᵈ from its generators.
///
/// ```
/// use lowdim::deep::Group;
/// let g = Group::o2(2).unwrap();
/// assert_eq!(g.name(), "O(2) about z");
/// assert_eq!((g.dim(), g.lie_generators().len(), g.discrete_generators().len()), (3, 1, 1));
/// ```
#[derive(Clone, Debug)]
pub struct Group {
    name: String,
    dim: usize,
    lie: Vec<Array2<f64>>,
    discrete: Vec<Array2<f64>>,
    pub(crate) shape: Shape,
}

const AXES: [&str; 3] = ["x", "y", "z"];

/// The rotation generator about coordinate `axis` of ℝ³ (the other two in cyclic order).
fn rotation_generator(axis: usize) -> Array2<f64> {
    let (b, c) = ((axis + 1) % 3, (axis + 2) % 3);
    let mut a = Array2::zeros((3, 3));
    a[[c, b]] = 1.0;
    a[[b, c]] = -1.0;
    a
}

fn flip(dim: usize, coord: usize) -> Array2<f64> {
    let mut m = Array2::eye(dim);
    m[[coord, coord]] = -1.0;
    m
}

fn check_axis(axis: usize) -> Result<()> {
    if axis > 2 {
        return Err(Error::param("axis", format!("must be 0 (x), 1 (y) or 2 (z); got {axis}")));
    }
    Ok(())
}

impl Group {
    /// A group from its generators; `lie` are d × d Lie-algebra generators,
    /// `discrete` d × d invertible matrices. Fails when there is none, when a
    /// shape differs from d × d, or a value is not finite.
    pub fn new(name: &str, dim: usize, lie: Vec<Array2<f64>>, discrete: Vec<Array2<f64>>) -> Result<Self> {
        if dim == 0 {
            return Err(Error::param("dim", format!("of group {name} must be ≥ 1; got 0")));
        }
        if lie.is_empty() && discrete.is_empty() {
            return Err(Error::param("generators", format!("group {name} has no generators (neither Lie-algebra nor discrete)")));
        }
        for (i, m) in lie.iter().chain(&discrete).enumerate() {
            if m.dim() != (dim, dim) {
                return Err(Error::param("generators", format!("generator {i} of group {name} is {:?}, expected {dim} × {dim}", m.dim())));
            }
            crate::error::check_finite(&format!("generator {i} of group {name}"), m)?;
        }
        let shape = if lie.is_empty() { Shape::Finite } else { Shape::Continuous };
        Ok(Group { name: name.to_string(), dim, lie, discrete, shape })
    }

    fn built(name: String, dim: usize, lie: Vec<Array2<f64>>, discrete: Vec<Array2<f64>>, shape: Shape) -> Self {
        Group { name, dim, lie, discrete, shape }
    }

    /// Rotations of ℝ³.
    pub fn so3() -> Self {
        Self::built("SO(3)".into(), 3, (0..3).map(rotation_generator).collect(), vec![], Shape::Continuous)
    }

    /// Rotations and reflections of ℝ³ (SO(3) and the inversion −I).
    pub fn o3() -> Self {
        Self::built("O(3)".into(), 3, (0..3).map(rotation_generator).collect(), vec![-Array2::<f64>::eye(3)], Shape::Continuous)
    }

    /// Rotations of ℝ³ about coordinate `axis` (0 = x, 1 = y, 2 = z).
    pub fn so2(axis: usize) -> Result<Self> {
        check_axis(axis)?;
        let shape = Shape::Axial { axis, mirror: false };
        Ok(Self::built(format!("SO(2) about {}", AXES[axis]), 3, vec![rotation_generator(axis)], vec![], shape))
    }

    /// Rotations about coordinate `axis` and the mirror through a plane that
    /// contains it (flipping the next coordinate): O(2) acting on the plane
    /// orthogonal to the axis, fixing the axis.
    pub fn o2(axis: usize) -> Result<Self> {
        check_axis(axis)?;
        let shape = Shape::Axial { axis, mirror: true };
        let mirror = flip(3, (axis + 1) % 3);
        Ok(Self::built(format!("O(2) about {}", AXES[axis]), 3, vec![rotation_generator(axis)], vec![mirror], shape))
    }

    /// The reflection of ℝᵈ flipping coordinate `coord` (a group of order 2).
    pub fn reflection(dim: usize, coord: usize) -> Result<Self> {
        if coord >= dim {
            return Err(Error::param("coord", format!("must be < dim = {dim}; got {coord}")));
        }
        Ok(Self::built(format!("reflection of coordinate {coord} in R^{dim}"), dim, vec![], vec![flip(dim, coord)], Shape::Finite))
    }

    /// Permutations of `n` set elements (generated by a swap and an n-cycle).
    pub fn permutations(n: usize) -> Result<Self> {
        if n < 2 {
            return Err(Error::param("n", format!("of the permutation group must be ≥ 2; got {n}")));
        }
        let mut swap = Array2::eye(n);
        swap.swap([0, 0], [0, 1]);
        swap.swap([1, 1], [1, 0]);
        Ok(Self::built(format!("S({n})"), n, vec![], vec![swap, shift(n)], Shape::Finite))
    }

    /// Cyclic shifts of signals of length `n`.
    pub fn cyclic(n: usize) -> Result<Self> {
        if n < 2 {
            return Err(Error::param("n", format!("of the cyclic group must be ≥ 2; got {n}")));
        }
        Ok(Self::built(format!("C({n})"), n, vec![], vec![shift(n)], Shape::Finite))
    }

    /// Positive scalings x ↦ s·x of ℝᵈ (Lie generator I): a rank-p tensor
    /// scales by sᵖ, so only maps between equal ranks are equivariant.
    pub fn scaling(dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::param("dim", "of the scaling group must be ≥ 1; got 0"));
        }
        Ok(Self::built(format!("scaling of R^{dim}"), dim, vec![Array2::eye(dim)], vec![], Shape::Continuous))
    }

    /// The group's name (used in error messages and charts).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Dimension d of the base space ℝᵈ.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The Lie-algebra generators (d × d).
    pub fn lie_generators(&self) -> &[Array2<f64>] {
        &self.lie
    }

    /// The discrete generators (d × d).
    pub fn discrete_generators(&self) -> &[Array2<f64>] {
        &self.discrete
    }

    /// A random element: exp(Σ tᵢAᵢ) with tᵢ ~ N(0, 1), times a random word of
    /// up to four discrete generators.
    pub fn sample(&self, seed: u64) -> Array2<f64> {
        let mut r = rng::xoshiro(seed);
        let mut a = Array2::<f64>::zeros((self.dim, self.dim));
        for gen in &self.lie {
            let t: f64 = r.sample(StandardNormal);
            a.scaled_add(t, gen);
        }
        let mut g = expm(&a);
        if !self.discrete.is_empty() {
            for _ in 0..r.gen_range(0..=4) {
                g = g.dot(&self.discrete[r.gen_range(0..self.discrete.len())]);
            }
        }
        g
    }
}

/// The cyclic shift by one position: (Sx)ᵢ = x_{i−1}.
fn shift(n: usize) -> Array2<f64> {
    let mut m = Array2::zeros((n, n));
    for i in 0..n {
        m[[(i + 1) % n, i]] = 1.0;
    }
    m
}

/// The matrix exponential by scaling and squaring a Taylor series (the base
/// matrices are small and well scaled).
pub(crate) fn expm(a: &Array2<f64>) -> Array2<f64> {
    let norm = a.iter().map(|v| v.abs()).sum::<f64>().max(1e-300);
    let squarings = (norm.log2().ceil().max(0.0) as i32) + 4;
    let scaled = a / 2f64.powi(squarings);
    let n = a.nrows();
    let (mut sum, mut term) = (Array2::<f64>::eye(n), Array2::<f64>::eye(n));
    for k in 1..20 {
        term = term.dot(&scaled) / k as f64;
        sum += &term;
    }
    for _ in 0..squarings {
        sum = sum.dot(&sum);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_of_o3_are_orthogonal_and_of_so2_fix_their_axis() {
        let g = Group::o3().sample(3);
        let err = (g.t().dot(&g) - Array2::<f64>::eye(3)).iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(err < 1e-10, "{err}");
        let r = Group::so2(0).unwrap().sample(5);
        assert!((r[[0, 0]] - 1.0).abs() < 1e-12 && r[[1, 0]].abs() < 1e-12);
    }

    #[test]
    fn a_group_without_generators_is_an_error_naming_it() {
        let e = Group::new("empty", 3, vec![], vec![]).unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
        assert!(matches!(Group::o2(3), Err(Error::Param { name: "axis", .. })));
    }
}
