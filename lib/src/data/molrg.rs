//! Mixture of low-rank Gaussians (MoLRG): points on a union of random
//! subspaces, with known bases and labels.
//!
//! The data model of Wang, Zhang, Zhang, Chen, Ma & Qu, "Diffusion models learn
//! low-dimensional distributions via subspace clustering" (arXiv 2409.02426,
//! 2024): with probability πₖ, x = Uₖ a with a ~ N(0, I_{dₖ}) and Uₖ ∈ R^{n×dₖ}
//! orthonormal, plus optional isotropic noise σ·N(0, Iₙ). Bases come from a
//! modified Gram–Schmidt orthonormalisation of Gaussian matrices, so they are
//! uniform (Haar) on the Grassmannian; the reference code's mutually orthogonal
//! subspaces (disjoint column blocks of one orthonormal matrix) are
//! `orthogonal(true)`. Cost: O(n·(Σdₖ)²) for the bases, O(N·n·maxₖ dₖ) for N points.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let m = MolrgParams::new(48, &[7, 7]).orthogonal(true).balanced(true).sample(700, 0)?;
//! assert_eq!(m.data.dim(), (700, 48));
//! assert_eq!(m.bases[0].dim(), (48, 7));
//! assert_eq!(m.dataset().targets().len(), 700);
//! # Ok::<(), lowdim::Error>(())
//! ```

use super::{check_at_least, check_non_negative, seeded_rng, standard_normal, SeededRng};
use crate::error::{Error, Result};
use crate::rng::derive;
use linfa::Dataset;
use ndarray::{s, Array1, Array2, ArrayViewMut1, Axis, Ix1};
use rand::distributions::{Distribution, WeightedIndex};
use rand::seq::SliceRandom;

/// Parameters of a mixture of low-rank Gaussians; build with
/// [`MolrgParams::new`], draw with [`MolrgParams::sample`].
#[derive(Debug, Clone, PartialEq)]
pub struct MolrgParams {
    ambient_dim: usize,
    ranks: Vec<usize>,
    weights: Option<Vec<f64>>,
    noise: f64,
    orthogonal: bool,
    balanced: bool,
}

/// A sample of a mixture of low-rank Gaussians with its ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Molrg {
    /// The points, one per row: N × ambient_dim.
    pub data: Array2<f64>,
    /// The component each point was drawn from, in 0..K.
    pub labels: Array1<usize>,
    /// The orthonormal basis Uₖ (ambient_dim × dₖ) of each component.
    pub bases: Vec<Array2<f64>>,
    /// The mixing weights πₖ, summing to 1.
    pub weights: Array1<f64>,
    /// The standard deviation σ of the isotropic noise added to every point.
    pub noise: f64,
}

impl MolrgParams {
    /// A mixture in R^`ambient_dim` with one component of rank `ranks[k]` per entry.
    ///
    /// Defaults: `weights` uniform, `noise` 0, `orthogonal` false, `balanced` false.
    /// Checked when sampling: `ambient_dim` ≥ 1, at least one rank, each rank in
    /// [1, ambient_dim].
    pub fn new(ambient_dim: usize, ranks: &[usize]) -> Self {
        MolrgParams { ambient_dim, ranks: ranks.to_vec(), weights: None, noise: 0.0, orthogonal: false, balanced: false }
    }

    /// `weights`: mixing weights πₖ, one per component, each ≥ 0 with a positive
    /// sum (normalised to 1); default uniform.
    pub fn weights(mut self, weights: &[f64]) -> Self {
        self.weights = Some(weights.to_vec());
        self
    }

    /// `noise`: f64, default 0, must be ≥ 0 — standard deviation of the isotropic
    /// Gaussian noise added to every point.
    pub fn noise(mut self, noise: f64) -> Self {
        self.noise = noise;
        self
    }

    /// `orthogonal`: bool, default false — make the subspaces mutually orthogonal
    /// (needs Σdₖ ≤ ambient_dim), as in the paper's experiments.
    pub fn orthogonal(mut self, orthogonal: bool) -> Self {
        self.orthogonal = orthogonal;
        self
    }

    /// `balanced`: bool, default false — give component k exactly ⌊N·πₖ⌉ points
    /// (largest remainders, in shuffled order) instead of drawing labels i.i.d.
    pub fn balanced(mut self, balanced: bool) -> Self {
        self.balanced = balanced;
        self
    }

    /// Fails on the first parameter out of range, naming it.
    pub fn check(&self) -> Result<()> {
        check_at_least("MolrgParams", "ambient_dim", self.ambient_dim, 1)?;
        if self.ranks.is_empty() {
            return Err(Error::param("ranks", "of MolrgParams must hold at least one rank (K ≥ 1); got []"));
        }
        for (k, &d) in self.ranks.iter().enumerate() {
            if d == 0 || d > self.ambient_dim {
                return Err(Error::param(
                    "ranks",
                    format!("of MolrgParams must lie in [1, ambient_dim = {}]; got ranks[{k}] = {d}", self.ambient_dim),
                ));
            }
        }
        let total: usize = self.ranks.iter().sum();
        if self.orthogonal && total > self.ambient_dim {
            return Err(Error::param(
                "ranks",
                format!("of MolrgParams must sum to ≤ ambient_dim = {} for orthogonal subspaces; got Σ ranks = {total}", self.ambient_dim),
            ));
        }
        check_non_negative("MolrgParams", "noise", self.noise)?;
        self.normalised_weights().map(|_| ())
    }

    /// Draws `n_samples` points (`n_samples` ≥ 1). The bases are drawn first,
    /// so one seed gives the same subspaces whatever `n_samples`.
    pub fn sample(&self, n_samples: usize, seed: u64) -> Result<Molrg> {
        self.check()?;
        check_at_least("MolrgParams::sample", "n_samples", n_samples, 1)?;
        let weights = self.normalised_weights()?;
        let mut rng = seeded_rng(seed);
        let bases = self.draw_bases(&mut rng)?;
        let mut data = Array2::zeros((n_samples, self.ambient_dim));
        let labels = if self.balanced {
            let labels = balanced_labels(&weights, n_samples, &mut rng);
            for (row, &k) in data.axis_iter_mut(Axis(0)).zip(&labels) {
                draw_point(&bases[k], self.noise, row, &mut rng);
            }
            labels
        } else {
            draw_iid(&mut data, &bases, &weights, self.noise, &mut rng)?
        };
        Ok(Molrg { data, labels: Array1::from(labels), bases, weights, noise: self.noise })
    }

    fn normalised_weights(&self) -> Result<Array1<f64>> {
        let k = self.ranks.len();
        let Some(w) = &self.weights else {
            return Ok(Array1::from_elem(k, 1.0 / k as f64));
        };
        if w.len() != k {
            return Err(Error::param("weights", format!("of MolrgParams must have one entry per rank ({k}); got {}", w.len())));
        }
        if let Some(bad) = w.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(Error::param("weights", format!("of MolrgParams must be finite and ≥ 0; got {bad}")));
        }
        let sum: f64 = w.iter().sum();
        if sum <= 0.0 {
            return Err(Error::param("weights", format!("of MolrgParams must have a positive sum; got {w:?}")));
        }
        Ok(w.iter().map(|v| v / sum).collect())
    }

    fn draw_bases(&self, rng: &mut SeededRng) -> Result<Vec<Array2<f64>>> {
        let n = self.ambient_dim;
        if !self.orthogonal {
            return self.ranks.iter().map(|&d| orthonormalise(standard_normal(rng, n, d))).collect();
        }
        let total: usize = self.ranks.iter().sum();
        let q = orthonormalise(standard_normal(rng, n, total))?;
        let mut start = 0;
        let mut bases = Vec::with_capacity(self.ranks.len());
        for &d in &self.ranks {
            bases.push(q.slice(s![.., start..start + d]).to_owned());
            start += d;
        }
        Ok(bases)
    }
}

/// Fills the rows of `data` with i.i.d. draws of the mixture; returns their
/// labels. Label and point are drawn together, so a shorter sample is a
/// prefix of a longer one with the same generator.
fn draw_iid(data: &mut Array2<f64>, bases: &[Array2<f64>], weights: &Array1<f64>, noise: f64, rng: &mut SeededRng) -> Result<Vec<usize>> {
    let dist = WeightedIndex::new(weights.iter()).map_err(|e| Error::param("weights", format!("of the mixture: {e}; got {weights}")))?;
    let mut labels = Vec::with_capacity(data.nrows());
    for row in data.axis_iter_mut(Axis(0)) {
        let k = dist.sample(rng);
        draw_point(&bases[k], noise, row, rng);
        labels.push(k);
    }
    Ok(labels)
}

/// Writes U a + σ g into `row`, with fresh a ~ N(0, I_d) and g ~ N(0, I_n).
fn draw_point(u: &Array2<f64>, noise: f64, mut row: ArrayViewMut1<f64>, rng: &mut SeededRng) {
    let a = standard_normal(rng, u.ncols(), 1);
    row.assign(&u.dot(&a).column(0));
    if noise > 0.0 {
        row.scaled_add(noise, &standard_normal(rng, 1, u.nrows()).row(0));
    }
}

impl Molrg {
    /// The points with their component labels as a linfa dataset.
    pub fn dataset(&self) -> Dataset<f64, usize, Ix1> {
        Dataset::new(self.data.clone(), self.labels.clone())
    }

    /// The number of components K.
    pub fn n_components(&self) -> usize {
        self.bases.len()
    }

    /// The ranks dₖ of the components.
    pub fn ranks(&self) -> Vec<usize> {
        self.bases.iter().map(|u| u.ncols()).collect()
    }

    /// `n_samples` new points of the same mixture — the same bases, weights
    /// and noise — with labels drawn i.i.d. from the weights: fresh ground
    /// truth to compare a model's samples with. The generator comes from
    /// `seed` on a stream of its own, so even the seed that drew `self` gives
    /// new points, not replays of the training sample's.
    pub fn fresh(&self, n_samples: usize, seed: u64) -> Result<Molrg> {
        check_at_least("Molrg::fresh", "n_samples", n_samples, 1)?;
        let n = self.bases.first().map_or(0, |u| u.nrows());
        if n == 0 || self.bases.len() != self.weights.len() || self.bases.iter().any(|u| u.nrows() != n) {
            return Err(Error::param(
                "bases",
                format!(
                    "of Molrg::fresh must be one non-empty basis per weight, all with the same rows; got {} bases, {} weights",
                    self.bases.len(),
                    self.weights.len()
                ),
            ));
        }
        check_non_negative("Molrg::fresh", "noise", self.noise)?;
        let mut rng = seeded_rng(derive(seed, FRESH_STREAM, 0));
        let mut data = Array2::zeros((n_samples, n));
        let labels = draw_iid(&mut data, &self.bases, &self.weights, self.noise, &mut rng)?;
        Ok(Molrg { data, labels: Array1::from(labels), bases: self.bases.clone(), weights: self.weights.clone(), noise: self.noise })
    }
}

/// Stream tag of [`Molrg::fresh`] (see `neighbors::rng::derive`).
const FRESH_STREAM: u64 = crate::rng::stream::MOLRG_FRESH;

/// A mixture of low-rank Gaussians with uniform weights, no noise and random
/// (not forced orthogonal) subspaces; see [`MolrgParams`] for the other options.
pub fn molrg(ambient_dim: usize, ranks: &[usize], n_samples: usize, seed: u64) -> Result<Molrg> {
    MolrgParams::new(ambient_dim, ranks).sample(n_samples, seed)
}

/// Orthonormal columns spanning those of `a`, by modified Gram–Schmidt with a
/// second pass: one pass loses orthogonality in proportion to the condition
/// number, and "twice is enough" restores it to rounding level.
fn orthonormalise(mut a: Array2<f64>) -> Result<Array2<f64>> {
    for j in 0..a.ncols() {
        let original = a.column(j).dot(&a.column(j)).sqrt();
        for _ in 0..2 {
            for i in 0..j {
                let qi = a.column(i).to_owned();
                let r = qi.dot(&a.column(j));
                a.column_mut(j).scaled_add(-r, &qi);
            }
        }
        let norm = a.column(j).dot(&a.column(j)).sqrt();
        if norm.is_nan() || norm <= 1e-10 * original {
            return Err(Error::data(format!("random basis column {j} is numerically dependent on the previous ones; try another seed")));
        }
        a.column_mut(j).mapv_inplace(|v| v / norm);
    }
    Ok(a)
}

/// Exact counts ⌊N·πₖ⌋, the leftover points to the largest remainders, shuffled.
fn balanced_labels(weights: &Array1<f64>, n: usize, rng: &mut SeededRng) -> Vec<usize> {
    let exact: Vec<f64> = weights.iter().map(|w| w * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    let missing = n.saturating_sub(counts.iter().sum());
    for &k in order.iter().cycle().take(missing) {
        counts[k] += 1;
    }
    let mut labels: Vec<usize> = counts.iter().enumerate().flat_map(|(k, &c)| std::iter::repeat_n(k, c)).collect();
    labels.shuffle(rng);
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_abs(a: &Array2<f64>) -> f64 {
        a.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    #[test]
    fn shapes_and_labels() {
        let m = MolrgParams::new(20, &[2, 5, 3]).sample(300, 1).unwrap();
        assert_eq!(m.data.dim(), (300, 20));
        assert_eq!(m.labels.len(), 300);
        assert_eq!(m.ranks(), vec![2, 5, 3]);
        assert_eq!(m.n_components(), 3);
        assert!(m.labels.iter().all(|&k| k < 3));
        let ds = m.dataset();
        assert_eq!(ds.records(), &m.data);
        assert_eq!(ds.targets(), &m.labels);
    }

    #[test]
    fn deterministic_in_the_seed() {
        let p = MolrgParams::new(10, &[2, 3]).noise(0.1);
        assert_eq!(p.sample(50, 4).unwrap(), p.sample(50, 4).unwrap());
        assert_ne!(p.sample(50, 4).unwrap().data, p.sample(50, 5).unwrap().data);
        // Same seed, more points: same bases, and the shorter sample is a prefix.
        let (a, b) = (p.sample(30, 4).unwrap(), p.sample(60, 4).unwrap());
        assert_eq!(a.bases, b.bases);
        assert_eq!(a.data, b.data.slice(s![..30, ..]));
    }

    #[test]
    fn bases_are_orthonormal() {
        let m = MolrgParams::new(30, &[10, 30, 1]).sample(5, 2).unwrap();
        for u in &m.bases {
            let gram = u.t().dot(u) - Array2::<f64>::eye(u.ncols());
            assert!(max_abs(&gram) < 1e-12, "‖UᵀU − I‖ = {}", max_abs(&gram));
        }
    }

    #[test]
    fn orthogonal_subspaces_are_mutually_orthogonal() {
        let m = MolrgParams::new(12, &[4, 3, 5]).orthogonal(true).sample(5, 2).unwrap();
        for j in 0..3 {
            for k in 0..j {
                assert!(max_abs(&m.bases[j].t().dot(&m.bases[k])) < 1e-12);
            }
        }
        // Without the option, random subspaces of a small space overlap.
        let m = MolrgParams::new(12, &[4, 5]).sample(5, 2).unwrap();
        assert!(max_abs(&m.bases[0].t().dot(&m.bases[1])) > 1e-3);
    }

    #[test]
    fn noise_free_points_lie_in_their_subspace() {
        let m = MolrgParams::new(25, &[3, 6]).sample(200, 3).unwrap();
        for (x, &k) in m.data.rows().into_iter().zip(&m.labels) {
            let u = &m.bases[k];
            let residual = &x - &u.dot(&u.t().dot(&x));
            assert!(residual.dot(&residual).sqrt() < 1e-10 * (1.0 + x.dot(&x).sqrt()));
        }
    }

    #[test]
    fn noise_has_the_requested_scale() {
        let sigma = 0.3;
        let m = MolrgParams::new(40, &[2]).noise(sigma).sample(2000, 3).unwrap();
        let u = &m.bases[0];
        let residual = &m.data - &m.data.dot(u).dot(&u.t());
        // The residual holds the noise in the 38 directions orthogonal to U.
        let var = residual.mapv(|v| v * v).sum() / (2000.0 * 38.0);
        assert!((var.sqrt() - sigma).abs() < 0.01, "σ̂ = {}", var.sqrt());
    }

    #[test]
    fn weights_set_the_label_frequencies() {
        let m = MolrgParams::new(5, &[1, 1]).weights(&[3.0, 1.0]).sample(4000, 5).unwrap();
        let frac = m.labels.iter().filter(|&&k| k == 0).count() as f64 / 4000.0;
        assert!((frac - 0.75).abs() < 0.03, "{frac}");
        assert!((m.weights[0] - 0.75).abs() < 1e-15);
    }

    #[test]
    fn balanced_counts_are_exact() {
        let m = MolrgParams::new(5, &[1, 2, 1]).balanced(true).sample(100, 5).unwrap();
        let count = |c| m.labels.iter().filter(|&&k| k == c).count();
        assert_eq!((count(0), count(1), count(2)), (34, 33, 33));
        let m = MolrgParams::new(5, &[1, 1]).weights(&[0.7, 0.3]).balanced(true).sample(10, 5).unwrap();
        assert_eq!(m.labels.iter().filter(|&&k| k == 0).count(), 7);
    }

    #[test]
    fn every_error_names_its_parameter() {
        assert_param_err!(MolrgParams::new(0, &[1]).sample(5, 0), "ambient_dim");
        assert_param_err!(MolrgParams::new(5, &[]).sample(5, 0), "ranks");
        assert_param_err!(MolrgParams::new(5, &[0]).sample(5, 0), "ranks");
        assert_param_err!(MolrgParams::new(5, &[6]).sample(5, 0), "ranks");
        assert_param_err!(MolrgParams::new(5, &[3, 3]).orthogonal(true).sample(5, 0), "ranks");
        assert_param_err!(MolrgParams::new(5, &[1]).noise(-1.0).sample(5, 0), "noise");
        assert_param_err!(MolrgParams::new(5, &[1, 1]).weights(&[1.0]).sample(5, 0), "weights");
        assert_param_err!(MolrgParams::new(5, &[1, 1]).weights(&[1.0, -1.0]).sample(5, 0), "weights");
        assert_param_err!(MolrgParams::new(5, &[1, 1]).weights(&[0.0, 0.0]).sample(5, 0), "weights");
        assert_param_err!(MolrgParams::new(5, &[1, 1]).weights(&[f64::NAN, 1.0]).sample(5, 0), "weights");
        assert_param_err!(MolrgParams::new(5, &[1]).sample(0, 0), "n_samples");
        assert_param_err!(molrg(5, &[9], 5, 0), "ranks");
        let msg = MolrgParams::new(5, &[2, 6]).check().unwrap_err().to_string();
        assert_eq!(msg, "`ranks` of MolrgParams must lie in [1, ambient_dim = 5]; got ranks[1] = 6");
    }

    #[test]
    fn fresh_points_share_the_mixture_not_the_points() {
        let p = MolrgParams::new(10, &[2, 3]).orthogonal(true).balanced(true);
        let train = p.sample(200, 4).unwrap();
        // The training seed itself: a stream of its own, so no replayed point.
        let fresh = train.fresh(300, 4).unwrap();
        assert_eq!(fresh.bases, train.bases);
        assert_eq!(fresh.data.dim(), (300, 10));
        for x in fresh.data.rows() {
            assert!(train.data.rows().into_iter().all(|t| t != x), "a fresh point repeats a training point");
        }
        for (x, &k) in fresh.data.rows().into_iter().zip(&fresh.labels) {
            let u = &fresh.bases[k];
            let residual = &x - &u.dot(&u.t().dot(&x));
            assert!(residual.dot(&residual).sqrt() < 1e-10 * (1.0 + x.dot(&x).sqrt()));
        }
        assert_eq!(fresh, train.fresh(300, 4).unwrap());
        assert_ne!(fresh.data, train.fresh(300, 5).unwrap().data);
        assert_param_err!(train.fresh(0, 1), "n_samples");
        let mut broken = train.clone();
        broken.bases.pop();
        assert_param_err!(broken.fresh(5, 1), "bases");
    }

    #[test]
    fn gram_schmidt_rejects_dependent_columns() {
        let a = ndarray::array![[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]];
        assert!(matches!(orthonormalise(a), Err(Error::Data(_))));
    }
}
