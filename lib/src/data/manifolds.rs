//! Toy manifolds: swiss roll, S-curve, sphere, ball, torus and Gaussian blobs.
//!
//! The swiss roll, S-curve and blobs follow scikit-learn's `make_swiss_roll`,
//! `make_s_curve` and `make_blobs` (`sklearn/datasets/_samples_generator.py`):
//! same formulas and parameter ranges, our own random stream. The sphere and
//! ball use the Gaussian-direction construction (Muller, CACM 1959); the torus
//! is sampled uniformly in area by rejection, as in scikit-dimension's `torus`.
//! Cost: O(n · dim) time and memory.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let roll = swiss_roll(500, 0.05, 0)?;
//! assert_eq!(roll.records().dim(), (500, 3));
//! let pts = sphere(300, 4, 0)?;
//! assert_eq!(pts.dim(), (300, 4));
//! let ds = blobs(90, 3, 2, 1.0, 0)?;
//! assert_eq!(ds.targets().len(), 90);
//! # Ok::<(), lowdim::Error>(())
//! ```

use super::{check_at_least, check_non_negative, check_positive, seeded_rng, standard_normal, standard_uniform, SeededRng};
use crate::error::{Error, Result};
use linfa::Dataset;
use ndarray::{Array1, Array2, Axis, Ix1};
use rand::seq::SliceRandom;
use rand::Rng;
use std::f64::consts::PI;

/// Swiss roll in R³ (scikit-learn's `make_swiss_roll`, no hole): the target is
/// the roll parameter t ∈ [1.5π, 4.5π].
///
/// x = t cos t, y = 21·U, z = t sin t, plus N(0, `noise`²) on every coordinate.
/// `n_samples` ≥ 1; `noise` ≥ 0 (standard deviation).
pub fn swiss_roll(n_samples: usize, noise: f64, seed: u64) -> Result<Dataset<f64, f64, Ix1>> {
    check_curve_args("swiss_roll", n_samples, noise)?;
    let mut rng = seeded_rng(seed);
    let t = uniform_vec(&mut rng, n_samples).mapv(|u| 1.5 * PI * (1.0 + 2.0 * u));
    let height = uniform_vec(&mut rng, n_samples).mapv(|u| 21.0 * u);
    let mut x = Array2::zeros((n_samples, 3));
    for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
        row[0] = t[i] * t[i].cos();
        row[1] = height[i];
        row[2] = t[i] * t[i].sin();
    }
    x += &(standard_normal(&mut rng, n_samples, 3) * noise);
    Ok(Dataset::new(x, t))
}

/// S-curve in R³ (scikit-learn's `make_s_curve`): the target is the curve
/// parameter t ∈ [−1.5π, 1.5π].
///
/// x = sin t, y = 2·U, z = sign(t)(cos t − 1), plus N(0, `noise`²) on every
/// coordinate. `n_samples` ≥ 1; `noise` ≥ 0.
pub fn s_curve(n_samples: usize, noise: f64, seed: u64) -> Result<Dataset<f64, f64, Ix1>> {
    check_curve_args("s_curve", n_samples, noise)?;
    let mut rng = seeded_rng(seed);
    let t = uniform_vec(&mut rng, n_samples).mapv(|u| 3.0 * PI * (u - 0.5));
    let height = uniform_vec(&mut rng, n_samples).mapv(|u| 2.0 * u);
    let mut x = Array2::zeros((n_samples, 3));
    for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
        row[0] = t[i].sin();
        row[1] = height[i];
        row[2] = t[i].signum() * (t[i].cos() - 1.0);
    }
    x += &(standard_normal(&mut rng, n_samples, 3) * noise);
    Ok(Dataset::new(x, t))
}

/// Points uniform on the unit sphere S^{dim−1} ⊂ R^dim (intrinsic dimension
/// dim − 1). `n_samples` ≥ 1; `dim` ≥ 1 (dim = 1 gives ±1).
pub fn sphere(n_samples: usize, dim: usize, seed: u64) -> Result<Array2<f64>> {
    check_at_least("sphere", "n_samples", n_samples, 1)?;
    check_at_least("sphere", "dim", dim, 1)?;
    Ok(unit_directions(&mut seeded_rng(seed), n_samples, dim))
}

/// Points uniform in the unit ball of R^dim: a uniform direction times a radius
/// U^{1/dim}, so the density is flat in volume. `n_samples` ≥ 1; `dim` ≥ 1.
pub fn ball(n_samples: usize, dim: usize, seed: u64) -> Result<Array2<f64>> {
    check_at_least("ball", "n_samples", n_samples, 1)?;
    check_at_least("ball", "dim", dim, 1)?;
    let mut rng = seeded_rng(seed);
    let mut x = unit_directions(&mut rng, n_samples, dim);
    for mut row in x.axis_iter_mut(Axis(0)) {
        row *= rng.gen::<f64>().powf(1.0 / dim as f64);
    }
    Ok(x)
}

/// Points uniform (in area) on a ring torus in R³ around the z axis: centre
/// circle of radius `major`, tube of radius `minor`.
///
/// The tube angle θ is accepted with probability (major + minor·cos θ) /
/// (major + minor), the torus's area element, so the outer side is not
/// under-sampled. `n_samples` ≥ 1; 0 < `minor` < `major`.
pub fn torus(n_samples: usize, major: f64, minor: f64, seed: u64) -> Result<Array2<f64>> {
    check_at_least("torus", "n_samples", n_samples, 1)?;
    check_positive("torus", "minor", minor)?;
    check_positive("torus", "major", major)?;
    if minor >= major {
        return Err(Error::param("minor", format!("of torus must be < major = {major} for a ring torus; got {minor}")));
    }
    let mut rng = seeded_rng(seed);
    let mut x = Array2::zeros((n_samples, 3));
    for mut row in x.axis_iter_mut(Axis(0)) {
        let phi = 2.0 * PI * rng.gen::<f64>();
        let theta = area_weighted_angle(&mut rng, major, minor);
        let r = major + minor * theta.cos();
        row[0] = r * phi.cos();
        row[1] = r * phi.sin();
        row[2] = minor * theta.sin();
    }
    Ok(x)
}

/// Isotropic Gaussian blobs (scikit-learn's `make_blobs`): `n_centers` centres
/// uniform in [−10, 10]^dim, points N(centre, `cluster_std`²·I), rows shuffled;
/// the target is the centre index.
///
/// Sizes differ by at most one: the first `n_samples mod n_centers` centres get
/// one point more. `n_samples` ≥ 1; `n_centers` ≥ 1; `dim` ≥ 1; `cluster_std` ≥ 0.
pub fn blobs(n_samples: usize, n_centers: usize, dim: usize, cluster_std: f64, seed: u64) -> Result<Dataset<f64, usize, Ix1>> {
    check_at_least("blobs", "n_samples", n_samples, 1)?;
    check_at_least("blobs", "n_centers", n_centers, 1)?;
    check_at_least("blobs", "dim", dim, 1)?;
    check_non_negative("blobs", "cluster_std", cluster_std)?;
    let mut rng = seeded_rng(seed);
    let centers = standard_uniform(&mut rng, n_centers, dim).mapv(|u| 20.0 * u - 10.0);
    let mut labels: Vec<usize> = (0..n_samples).map(|i| i % n_centers).collect();
    labels.shuffle(&mut rng);
    let noise = standard_normal(&mut rng, n_samples, dim) * cluster_std;
    let mut x = Array2::zeros((n_samples, dim));
    for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
        row.assign(&(&centers.row(labels[i]) + &noise.row(i)));
    }
    Ok(Dataset::new(x, Array1::from(labels)))
}

fn check_curve_args(who: &str, n_samples: usize, noise: f64) -> Result<()> {
    check_at_least(who, "n_samples", n_samples, 1)?;
    check_non_negative(who, "noise", noise)
}

fn uniform_vec(rng: &mut SeededRng, n: usize) -> Array1<f64> {
    Array1::from_shape_simple_fn(n, || rng.gen::<f64>())
}

/// Rows of unit norm in R^dim, uniform on the sphere: a standard Gaussian is
/// rotation invariant, so its direction is uniform.
fn unit_directions(rng: &mut SeededRng, n: usize, dim: usize) -> Array2<f64> {
    let mut x = Array2::zeros((n, dim));
    for mut row in x.axis_iter_mut(Axis(0)) {
        // A zero draw has no direction; it has probability 0 but costs one retry.
        loop {
            let g = standard_normal(rng, 1, dim);
            let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.assign(&(g.row(0).mapv(|v| v / norm)));
                break;
            }
        }
    }
    x
}

fn area_weighted_angle(rng: &mut SeededRng, major: f64, minor: f64) -> f64 {
    loop {
        let theta = 2.0 * PI * rng.gen::<f64>();
        if rng.gen::<f64>() * (major + minor) < major + minor * theta.cos() {
            return theta;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_norms(x: &Array2<f64>) -> Vec<f64> {
        x.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect()
    }

    #[test]
    fn shapes() {
        assert_eq!(swiss_roll(50, 0.1, 0).unwrap().records().dim(), (50, 3));
        assert_eq!(s_curve(50, 0.1, 0).unwrap().targets().len(), 50);
        assert_eq!(sphere(40, 6, 0).unwrap().dim(), (40, 6));
        assert_eq!(ball(40, 6, 0).unwrap().dim(), (40, 6));
        assert_eq!(torus(40, 2.0, 0.5, 0).unwrap().dim(), (40, 3));
        let b = blobs(41, 4, 7, 1.0, 0).unwrap();
        assert_eq!(b.records().dim(), (41, 7));
        assert_eq!(b.targets().len(), 41);
    }

    #[test]
    fn deterministic_in_the_seed() {
        assert_eq!(swiss_roll(30, 0.1, 5).unwrap().records(), swiss_roll(30, 0.1, 5).unwrap().records());
        assert_ne!(swiss_roll(30, 0.1, 5).unwrap().records(), swiss_roll(30, 0.1, 6).unwrap().records());
        assert_eq!(s_curve(30, 0.1, 5).unwrap().targets(), s_curve(30, 0.1, 5).unwrap().targets());
        assert_ne!(s_curve(30, 0.1, 5).unwrap().targets(), s_curve(30, 0.1, 6).unwrap().targets());
        assert_eq!(sphere(30, 3, 1).unwrap(), sphere(30, 3, 1).unwrap());
        assert_ne!(sphere(30, 3, 1).unwrap(), sphere(30, 3, 2).unwrap());
        assert_eq!(ball(30, 3, 1).unwrap(), ball(30, 3, 1).unwrap());
        assert_ne!(ball(30, 3, 1).unwrap(), ball(30, 3, 2).unwrap());
        assert_eq!(torus(30, 1.0, 0.3, 1).unwrap(), torus(30, 1.0, 0.3, 1).unwrap());
        assert_ne!(torus(30, 1.0, 0.3, 1).unwrap(), torus(30, 1.0, 0.3, 2).unwrap());
        let (a, b) = (blobs(30, 3, 2, 1.0, 1).unwrap(), blobs(30, 3, 2, 1.0, 1).unwrap());
        assert_eq!((a.records(), a.targets()), (b.records(), b.targets()));
        assert_ne!(a.records(), blobs(30, 3, 2, 1.0, 2).unwrap().records());
    }

    #[test]
    fn swiss_roll_lies_on_the_roll_without_noise() {
        let ds = swiss_roll(200, 0.0, 3).unwrap();
        for (row, &t) in ds.records().rows().into_iter().zip(ds.targets()) {
            assert!((1.5 * PI..=4.5 * PI).contains(&t));
            assert!((row[0] - t * t.cos()).abs() < 1e-12);
            assert!((row[2] - t * t.sin()).abs() < 1e-12);
            assert!((0.0..21.0).contains(&row[1]));
        }
    }

    #[test]
    fn s_curve_lies_on_the_curve_without_noise() {
        let ds = s_curve(200, 0.0, 3).unwrap();
        for (row, &t) in ds.records().rows().into_iter().zip(ds.targets()) {
            assert!(t.abs() <= 1.5 * PI);
            assert!((row[0] - t.sin()).abs() < 1e-12);
            assert!((row[2] - t.signum() * (t.cos() - 1.0)).abs() < 1e-12);
        }
    }

    #[test]
    fn noise_moves_points_off_the_roll() {
        let clean = swiss_roll(100, 0.0, 1).unwrap();
        let noisy = swiss_roll(100, 0.5, 1).unwrap();
        let diff = (noisy.records() - clean.records()).mapv(|v| v * v).mean().unwrap().sqrt();
        assert!((diff - 0.5).abs() < 0.1, "noise std {diff}");
    }

    #[test]
    fn sphere_points_have_unit_norm() {
        for n in row_norms(&sphere(500, 5, 9).unwrap()) {
            assert!((n - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn ball_radius_follows_volume() {
        let dim = 3;
        let norms = row_norms(&ball(4000, dim, 9).unwrap());
        assert!(norms.iter().all(|&r| r <= 1.0));
        // P(r ≤ 0.5) = 0.5³ for a uniform ball.
        let inner = norms.iter().filter(|&&r| r <= 0.5).count() as f64 / 4000.0;
        assert!((inner - 0.125).abs() < 0.03, "fraction inside r = 0.5: {inner}");
    }

    #[test]
    fn torus_points_lie_on_the_torus() {
        let (big, small) = (2.0, 0.5);
        let x = torus(1000, big, small, 4).unwrap();
        let mut outer = 0;
        for row in x.rows() {
            let rho = row[0].hypot(row[1]);
            let tube = (rho - big).hypot(row[2]);
            assert!((tube - small).abs() < 1e-12);
            outer += usize::from(rho > big);
        }
        // Area weighting puts more points on the outer half: (π·R + 2r)/(2πR) ≈ 0.58.
        let frac = outer as f64 / 1000.0;
        assert!(frac > 0.52 && frac < 0.64, "outer fraction {frac}");
    }

    #[test]
    fn blobs_are_balanced_and_centred_in_the_box() {
        let ds = blobs(103, 4, 2, 0.0, 2).unwrap();
        let mut counts = [0usize; 4];
        ds.targets().iter().for_each(|&k| counts[k] += 1);
        assert_eq!(counts, [26, 26, 26, 25]);
        assert!(ds.records().iter().all(|v| v.abs() <= 10.0));
    }

    #[test]
    fn every_error_names_its_parameter() {
        assert_param_err!(swiss_roll(0, 0.0, 0), "n_samples");
        assert_param_err!(swiss_roll(5, -1.0, 0), "noise");
        assert_param_err!(s_curve(0, 0.0, 0), "n_samples");
        assert_param_err!(s_curve(5, f64::NAN, 0), "noise");
        assert_param_err!(sphere(0, 3, 0), "n_samples");
        assert_param_err!(sphere(5, 0, 0), "dim");
        assert_param_err!(ball(0, 3, 0), "n_samples");
        assert_param_err!(ball(5, 0, 0), "dim");
        assert_param_err!(torus(0, 2.0, 1.0, 0), "n_samples");
        assert_param_err!(torus(5, 2.0, 0.0, 0), "minor");
        assert_param_err!(torus(5, f64::INFINITY, 1.0, 0), "major");
        assert_param_err!(torus(5, 1.0, 1.0, 0), "minor");
        assert_param_err!(blobs(0, 2, 2, 1.0, 0), "n_samples");
        assert_param_err!(blobs(5, 0, 2, 1.0, 0), "n_centers");
        assert_param_err!(blobs(5, 2, 0, 1.0, 0), "dim");
        assert_param_err!(blobs(5, 2, 2, -0.1, 0), "cluster_std");
        let msg = swiss_roll(0, 0.0, 0).unwrap_err().to_string();
        assert_eq!(msg, "`n_samples` of swiss_roll must be ≥ 1; got 0");
    }
}
