//! Row sampling for regression and data selection: leverage scores, ℓp Lewis
//! weights, ℓp sensitivity sampling with an IRLS solver, volume sampling /
//! projection DPPs for weighted least squares, and DSIR importance resampling
//! of text.
//!
//! | piece | items | file |
//! |---|---|---|
//! | leverage scores (exact, sketched), root leverage | [`leverage_scores`], [`approximate_leverage_scores`], [`root_leverage_scores`] | `leverage.rs` |
//! | ℓp Lewis weights | [`lewis_weights`] | `lewis.rs` |
//! | ℓp regression by IRLS | [`lp_regression`], [`LpFit`] | `irls.rs` |
//! | ℓp sensitivity sampling and its error curve | [`LpSampling`], [`sample_rows`], [`lp_sampling_curve`] | `sensitivity.rs` |
//! | volume sampling, projection DPP, Christoffel sampling | [`VolumeSampling`], [`legendre_features`] | `volume.rs` |
//! | DSIR data selection | [`Dsir`], [`DsirSelection`] | `dsir.rs` |
//! | the sampled rows | [`RowSample`], [`SamplingCurve`] | `row_sample.rs` |
//!
//! Every sampler takes a `seed: u64` (default 0); each row's random draw is a
//! pure function of `(seed, row)`, so results do not depend on the thread count.

mod dsir;
mod irls;
mod leverage;
mod lewis;
mod row_sample;
mod sensitivity;
mod volume;

pub use dsir::{Dsir, DsirParams, DsirSelection, DsirValidParams};
pub use irls::{lp_objective, lp_regression, weighted_least_squares, LpFit};
pub use leverage::{approximate_leverage_scores, leverage_scores, root_leverage_scores};
pub use lewis::lewis_weights;
pub use row_sample::{RowSample, SamplingCurve};
pub use sensitivity::{lp_sampling_curve, sample_rows, Importance, LpSampling, LpSamplingParams, LpSamplingValidParams};
pub use volume::{legendre_features, VolumeMethod, VolumeSampling, VolumeSamplingParams, VolumeSamplingValidParams};

use ndarray::ArrayView2;

use crate::error::{check_finite, Error, Result};

/// Fails unless `a` is a non-empty matrix of finite values.
pub(crate) fn check_matrix(who: &str, a: ArrayView2<f64>) -> Result<()> {
    let (n, d) = a.dim();
    if n == 0 || d == 0 {
        return Err(Error::param("a", format!("of {who} must be a non-empty n × d matrix; got {n} × {d}")));
    }
    check_finite(&format!("a of {who}"), &a)
}

/// Fails unless `p` is a finite number ≥ 1 (the ℓp norms these methods use).
pub(crate) fn check_p(who: &str, p: f64) -> Result<()> {
    if p.is_finite() && p >= 1.0 {
        return Ok(());
    }
    Err(Error::param("p", format!("of {who} must be a finite number ≥ 1; got {p}")))
}

/// A uniform draw in [0, 1) that depends only on `(seed, stream, index)`.
pub(crate) fn uniform(seed: u64, stream: u64, index: u64) -> f64 {
    (crate::rng::derive(seed, stream, index) >> 11) as f64 / (1u64 << 53) as f64
}

/// Random-stream tags of this family.
pub(crate) mod stream {
    pub const BERNOULLI: u64 = 101;
    pub const SKETCH: u64 = 102;
    pub const REPEAT: u64 = 103;
    pub const DPP: u64 = 104;
    pub const GUMBEL: u64 = 105;
}
