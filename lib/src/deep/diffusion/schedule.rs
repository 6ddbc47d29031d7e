//! Noise schedules: the scale `sₜ` and noise `γₜ` of the forward process
//! `xₜ = sₜ·x₀ + γₜ·ε` at discrete levels `t = 1..T`, with level 0 the clean
//! data (`s = 1`, `γ = 0`).
//!
//! - **VP** (variance preserving, Ho, Jain & Abbeel, NeurIPS 2020): a linear
//!   βₜ from `beta_min` to `beta_max`, `ᾱₜ = Πᵢ≤ₜ(1 − βᵢ)`, `sₜ = √ᾱₜ`,
//!   `γₜ = √(1 − ᾱₜ)`; DDPM's defaults are T = 1000, β from 1e-4 to 0.02.
//! - **VE** (variance exploding, Song et al., ICLR 2021): `sₜ = 1` and `γₜ`
//!   geometric from `sigma_min` to `sigma_max`.
//! - **Custom**: any table whose noise-to-signal ratio `γₜ/sₜ` strictly
//!   increases — the condition for the forward process to be a Markov chain
//!   (each step adds noise), which ancestral sampling needs.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A discrete noise schedule of `T` levels.
///
/// ```
/// use lowdim::prelude::*;
/// let vp = NoiseSchedule::vp_linear(1000, 1e-4, 0.02)?;
/// assert_eq!(vp.n_levels(), 1000);
/// let (s, g) = vp.level(1000);
/// assert!(s < 0.01 && g > 0.99);
/// assert!(NoiseSchedule::custom(&[1.0, 1.0], &[0.5, 0.2]).is_err()); // noise must grow
/// # Ok::<(), lowdim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ScheduleTable")]
pub struct NoiseSchedule {
    kind: String,
    /// `scale[t]`, `sigma[t]` for t = 0..=T (index 0 is the clean data).
    scale: Vec<f64>,
    sigma: Vec<f64>,
}

impl NoiseSchedule {
    /// DDPM's variance-preserving schedule with β linear in `t` over `n_levels`
    /// levels; needs `0 < beta_min ≤ beta_max < 1`.
    pub fn vp_linear(n_levels: usize, beta_min: f64, beta_max: f64) -> Result<Self> {
        check_levels(n_levels)?;
        if !(beta_min > 0.0 && beta_min <= beta_max && beta_max < 1.0) {
            return Err(Error::param(
                "beta_min, beta_max",
                format!("of NoiseSchedule::vp_linear need 0 < beta_min ≤ beta_max < 1; got {beta_min}, {beta_max}"),
            ));
        }
        let mut alpha_bar = 1.0;
        let (mut scale, mut sigma) = (vec![1.0], vec![0.0]);
        for t in 0..n_levels {
            let frac = if n_levels == 1 { 0.0 } else { t as f64 / (n_levels - 1) as f64 };
            alpha_bar *= 1.0 - (beta_min + frac * (beta_max - beta_min));
            scale.push(alpha_bar.sqrt());
            sigma.push((1.0 - alpha_bar).sqrt());
        }
        Self::build("vp", scale, sigma)
    }

    /// DDPM's defaults: 1000 levels, β from 1e-4 to 0.02.
    pub fn vp() -> Self {
        // Valid constants, so the checks cannot fail.
        Self::vp_linear(1000, 1e-4, 0.02).unwrap_or_else(|_| unreachable!())
    }

    /// The variance-exploding schedule: `s = 1`, `γ` geometric from `sigma_min`
    /// to `sigma_max` over `n_levels` levels; needs `0 < sigma_min < sigma_max`.
    pub fn ve(n_levels: usize, sigma_min: f64, sigma_max: f64) -> Result<Self> {
        check_levels(n_levels)?;
        if !(sigma_min > 0.0 && sigma_min < sigma_max && sigma_max.is_finite()) {
            return Err(Error::param(
                "sigma_min, sigma_max",
                format!("of NoiseSchedule::ve need 0 < sigma_min < sigma_max < ∞; got {sigma_min}, {sigma_max}"),
            ));
        }
        // Written as a weighted geometric mean so both ends are exact:
        // powf(0) and powf(1) are, while exp(ln(max/min)) rounds.
        let mut sigma = vec![0.0];
        sigma.extend((0..n_levels).map(|t| {
            let frac = if n_levels == 1 { 1.0 } else { t as f64 / (n_levels - 1) as f64 };
            sigma_min.powf(1.0 - frac) * sigma_max.powf(frac)
        }));
        Self::build("ve", vec![1.0; n_levels + 1], sigma)
    }

    /// A schedule from its table: `scale[t−1]`, `sigma[t−1]` for t = 1..T.
    /// Scales must be positive, noises positive, and `sigma/scale` strictly
    /// increasing.
    pub fn custom(scale: &[f64], sigma: &[f64]) -> Result<Self> {
        if scale.len() != sigma.len() {
            return Err(Error::param(
                "sigma",
                format!("of NoiseSchedule::custom must have one entry per scale ({}); got {}", scale.len(), sigma.len()),
            ));
        }
        check_levels(scale.len())?;
        let mut s = vec![1.0];
        s.extend_from_slice(scale);
        let mut g = vec![0.0];
        g.extend_from_slice(sigma);
        Self::build("custom", s, g)
    }

    fn build(kind: &str, scale: Vec<f64>, sigma: Vec<f64>) -> Result<Self> {
        for t in 1..scale.len() {
            let (s, g) = (scale[t], sigma[t]);
            if !(s > 0.0 && s.is_finite() && g > 0.0 && g.is_finite()) {
                return Err(Error::param(
                    "schedule",
                    format!("needs finite scale > 0 and sigma > 0 at every level; level {t} has scale {s}, sigma {g}"),
                ));
            }
            if g / s <= sigma[t - 1] / scale[t - 1] {
                return Err(Error::param(
                    "schedule",
                    format!(
                        "must add noise at every level (sigma/scale strictly increasing); level {t} has {} after {}",
                        g / s,
                        sigma[t - 1] / scale[t - 1]
                    ),
                ));
            }
        }
        Ok(NoiseSchedule { kind: kind.to_string(), scale, sigma })
    }

    /// Number of noisy levels `T`.
    pub fn n_levels(&self) -> usize {
        self.scale.len() - 1
    }

    /// `(sₜ, γₜ)` at level `t` in `0..=T` (clamped to `T`).
    pub fn level(&self, t: usize) -> (f64, f64) {
        let t = t.min(self.n_levels());
        (self.scale[t], self.sigma[t])
    }

    /// The noise-to-signal ratio `γₜ/sₜ` at level `t`.
    pub fn ratio(&self, t: usize) -> f64 {
        let (s, g) = self.level(t);
        g / s
    }

    /// `"vp"`, `"ve"` or `"custom"`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// `steps` levels spread evenly over `1..=T`, descending, ending with 0
    /// (the clean data): the path a sampler walks.
    pub fn sampling_path(&self, steps: usize) -> Result<Vec<usize>> {
        let t = self.n_levels();
        if steps == 0 || steps > t {
            return Err(Error::param("steps", format!("must lie in [1, T = {t}] (the schedule's levels); got {steps}")));
        }
        let mut path: Vec<usize> = (1..=steps).rev().map(|j| (j * t).div_ceil(steps)).collect();
        path.dedup();
        path.push(0);
        Ok(path)
    }
}

/// The serialised form of a schedule, checked by [`NoiseSchedule::build`] on
/// the way in: a file is user input, and an empty or non-monotone table would
/// break `n_levels` and the samplers.
#[derive(Deserialize)]
struct ScheduleTable {
    kind: String,
    scale: Vec<f64>,
    sigma: Vec<f64>,
}

impl TryFrom<ScheduleTable> for NoiseSchedule {
    type Error = Error;

    fn try_from(t: ScheduleTable) -> Result<Self> {
        if !matches!(t.kind.as_str(), "vp" | "ve" | "custom") {
            return Err(Error::param("kind", format!("of a NoiseSchedule must be \"vp\", \"ve\" or \"custom\"; got {:?}", t.kind)));
        }
        if t.scale.len() != t.sigma.len() {
            return Err(Error::param(
                "sigma",
                format!("of a NoiseSchedule must have one entry per scale ({}); got {}", t.scale.len(), t.sigma.len()),
            ));
        }
        // Level 0 is the clean data; then at least one noisy level.
        check_levels(t.scale.len().saturating_sub(1))?;
        if (t.scale[0], t.sigma[0]) != (1.0, 0.0) {
            return Err(Error::param(
                "schedule",
                format!("level 0 must be the clean data (scale 1, sigma 0); got scale {}, sigma {}", t.scale[0], t.sigma[0]),
            ));
        }
        Self::build(&t.kind, t.scale, t.sigma)
    }
}

fn check_levels(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::param("n_levels", "of a noise schedule must be ≥ 1; got 0"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp_matches_ddpm_alpha_bar() {
        let vp = NoiseSchedule::vp();
        // ᾱ after 1000 DDPM steps is about 4.0e-5.
        let (s, g) = vp.level(1000);
        assert!((s * s - 4.035e-5).abs() < 1e-6, "{}", s * s);
        assert!((s * s + g * g - 1.0).abs() < 1e-12);
        assert_eq!(vp.level(0), (1.0, 0.0));
    }

    #[test]
    fn ve_is_geometric() {
        let ve = NoiseSchedule::ve(3, 0.01, 1.0).unwrap();
        assert!((ve.level(2).1 - 0.1).abs() < 1e-12);
        assert_eq!(ve.level(3), (1.0, 1.0));
    }

    #[test]
    fn bad_schedules_are_errors() {
        assert!(NoiseSchedule::vp_linear(0, 1e-4, 0.02).unwrap_err().to_string().contains("n_levels"));
        assert!(NoiseSchedule::vp_linear(10, 0.5, 0.1).unwrap_err().to_string().contains("beta_min"));
        assert!(NoiseSchedule::ve(10, 1.0, 0.5).unwrap_err().to_string().contains("sigma_min"));
        let e = NoiseSchedule::custom(&[1.0, 1.0, 1.0], &[0.1, 0.3, 0.2]).unwrap_err().to_string();
        assert!(e.contains("level 3"), "{e}");
        assert!(NoiseSchedule::custom(&[1.0], &[f64::NAN]).is_err());
        assert!(NoiseSchedule::custom(&[1.0], &[0.1, 0.2]).unwrap_err().to_string().contains("sigma"));
    }

    #[test]
    fn serde_round_trips_and_checks_what_it_reads() {
        let ve = NoiseSchedule::ve(5, 0.01, 1.0).unwrap();
        let back: NoiseSchedule = serde_json::from_str(&serde_json::to_string(&ve).unwrap()).unwrap();
        assert_eq!(back, ve);
        let read = |json: &str| serde_json::from_str::<NoiseSchedule>(json).unwrap_err().to_string();
        assert!(read(r#"{"kind":"ve","scale":[],"sigma":[]}"#).contains("n_levels"));
        assert!(read(r#"{"kind":"ve","scale":[1.0],"sigma":[0.0]}"#).contains("n_levels"));
        assert!(read(r#"{"kind":"ve","scale":[1.0,1.0],"sigma":[0.0]}"#).contains("sigma"));
        assert!(read(r#"{"kind":"ve","scale":[1.0,1.0,1.0],"sigma":[0.0,0.5,0.2]}"#).contains("level 2"));
        assert!(read(r#"{"kind":"ve","scale":[1.0,1.0],"sigma":[0.3,0.5]}"#).contains("level 0"));
        assert!(read(r#"{"kind":"cosine","scale":[1.0,1.0],"sigma":[0.0,0.5]}"#).contains("kind"));
    }

    #[test]
    fn sampling_path_descends_to_clean() {
        let vp = NoiseSchedule::vp();
        let path = vp.sampling_path(4).unwrap();
        assert_eq!(path, vec![1000, 750, 500, 250, 0]);
        assert_eq!(vp.sampling_path(1000).unwrap().len(), 1001);
        assert!(vp.sampling_path(0).is_err());
        assert!(vp.sampling_path(1001).is_err());
    }
}
