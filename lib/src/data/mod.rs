//! Seeded data generators and loaders: the toy manifolds of manifold learning,
//! scikit-dimension's benchmark manifolds, mixtures of low-rank Gaussians,
//! MNIST-1D, and `.npy`/CSV input and output.
//!
//! Every generator takes a `seed: u64`, and the same seed gives the same output
//! on every machine and thread count. Labelled data comes back as a linfa
//! [`Dataset`](linfa::Dataset) with `usize` targets, data with a natural
//! continuous parameter (the swiss roll's `t`) with `f64` targets, and plain
//! point clouds as an `Array2<f64>` (one row per point).
//!
//! ```
//! use lowdim::prelude::*;
//! let roll = swiss_roll(1000, 0.0, 7).unwrap();
//! let ball_pts = ball(200, 5, 7).unwrap();
//! assert_eq!(roll.records().dim(), (1000, 3));
//! assert_eq!(roll.targets().len(), 1000);
//! assert_eq!(ball_pts.dim(), (200, 5));
//! ```

/// Asserts that `$result` is `Err(Error::Param { name: $name, .. })`.
#[cfg(test)]
macro_rules! assert_param_err {
    ($result:expr, $name:literal) => {{
        let result = $result;
        assert!(
            matches!(result, Err($crate::error::Error::Param { name: $name, .. })),
            "expected an error naming `{}`; got {:?}",
            $name,
            result.as_ref().err()
        );
    }};
}

mod benchmark;
mod embeddings;
mod io;
mod manifolds;
mod mnist1d;
mod molrg;
mod regression;
mod rock_units;
mod signal;
mod text_corpus;

pub use benchmark::{benchmark_manifold, Benchmark};
pub use embeddings::clustered_embeddings;
pub use io::{
    read_csv, read_csv_records, read_npy_1d, read_npy_2d, read_npy_labels, write_npy, write_npy_1d, write_npy_labels, CsvOptions,
};
pub use manifolds::{ball, blobs, s_curve, sphere, swiss_roll, torus};
pub use mnist1d::{mnist1d, Mnist1d, Mnist1dParams};
pub use molrg::{molrg, Molrg, MolrgParams};
pub use regression::heavy_row_regression;
pub use rock_units::RockScene;
pub use text_corpus::{text_corpus, TextCorpus, TEXT_TOPICS};

use crate::error::{Error, Result};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The random generator behind every seeded routine in the crate.
pub(crate) type SeededRng = Xoshiro256PlusPlus;

/// The one place a seed becomes a generator, so a seed means the same stream
/// everywhere in the crate.
pub(crate) fn seeded_rng(seed: u64) -> SeededRng {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// A `rows × cols` matrix of independent N(0, 1) draws, filled row by row.
pub(crate) fn standard_normal(rng: &mut SeededRng, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.sample(StandardNormal))
}

/// A `rows × cols` matrix of independent U[0, 1) draws, filled row by row.
pub(crate) fn standard_uniform(rng: &mut SeededRng, rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.gen::<f64>())
}

/// `name` of `who` must be at least `min`.
pub(crate) fn check_at_least(who: &str, name: &'static str, value: usize, min: usize) -> Result<()> {
    if value >= min {
        return Ok(());
    }
    Err(Error::param(name, format!("of {who} must be ≥ {min}; got {value}")))
}

/// `name` of `who` must be a finite number ≥ 0 (noise levels, spreads).
pub(crate) fn check_non_negative(who: &str, name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        return Ok(());
    }
    Err(Error::param(name, format!("of {who} must be a finite number ≥ 0; got {value}")))
}

/// `name` of `who` must be a finite number > 0 (radii, scales).
pub(crate) fn check_positive(who: &str, name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        return Ok(());
    }
    Err(Error::param(name, format!("of {who} must be a finite number > 0; got {value}")))
}

/// `name` of `who` must lie in the closed interval `[lo, hi]`.
pub(crate) fn check_in_range(who: &str, name: &'static str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value >= lo && value <= hi {
        return Ok(());
    }
    Err(Error::param(name, format!("of {who} must be in [{lo}, {hi}]; got {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a = standard_normal(&mut seeded_rng(3), 4, 5);
        let b = standard_normal(&mut seeded_rng(3), 4, 5);
        let c = standard_normal(&mut seeded_rng(4), 4, 5);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn uniform_draws_lie_in_unit_interval() {
        let u = standard_uniform(&mut seeded_rng(0), 100, 3);
        assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
    }

    #[test]
    fn checks_name_the_parameter_and_value() {
        let err = check_at_least("swiss_roll", "n_samples", 0, 1).unwrap_err();
        assert!(matches!(err, Error::Param { name: "n_samples", .. }));
        assert_eq!(err.to_string(), "`n_samples` of swiss_roll must be ≥ 1; got 0");
        assert!(check_non_negative("f", "noise", f64::NAN).is_err());
        assert!(check_non_negative("f", "noise", -1.0).is_err());
        assert!(check_non_negative("f", "noise", 0.0).is_ok());
        assert!(check_positive("f", "radius", 0.0).is_err());
        assert!(check_in_range("f", "split", 1.5, 0.0, 1.0).is_err());
        assert!(check_in_range("f", "split", f64::NAN, 0.0, 1.0).is_err());
    }
}
