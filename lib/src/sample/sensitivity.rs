//! ℓp sensitivity sampling for ℓp regression: keep row `i` with probability
//! `pᵢ = min(1, m·qᵢ/Σq)` for importance scores `q` (uniform, leverage, root
//! leverage or ℓp Lewis weights, all upper bounds on the sensitivities up to
//! scaling), and weight a kept row's term `|aᵢᵀx − bᵢ|^p` by `1/pᵢ` (the row
//! rescaled by `pᵢ^{−1/p}`), so the sampled objective is unbiased.
//!
//! Woodruff & Yasuda bound the samples needed for a (1 ± ε) approximation:
//! `~𝔖^{2/p}` for 1 ≤ p < 2 with total sensitivity 𝔖, `~𝔖^{2−2/p}` for p > 2,
//! and `~d` for root-leverage sampling with 1 ≤ p < 2; Lewis weights give
//! `~d` for p < 2 and `~d^{p/2}` beyond (Cohen & Peng).
//! [`lp_sampling_curve`] measures the relative excess objective
//! `f(x̃)/f(x*) − 1` of the solution `x̃` of the sampled problem against the
//! sample size, the notebook's figure.
//!
//! Papers: D. P. Woodruff & T. Yasuda, "Sharper bounds for ℓp sensitivity
//! sampling", ICML 2023, arXiv 2306.00732; M. B. Cohen & R. Peng, "ℓp row
//! sampling by Lewis weights", STOC 2015.
//!
//! Cost: the scores (`O(n·d²)`, times the Lewis iterations), `O(n)` to draw;
//! the curve adds one IRLS solve on `~m` rows per size and repetition.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let (a, b) = heavy_row_regression(2000, 5, 5, 1)?;
//! let s = LpSampling::params().p(1.0).m(200).importance(Importance::Lewis).seed(3).fit_records(a.view())?;
//! assert_eq!(s.weights().len(), s.len());
//! let fit = lp_regression(s.rows(a.view()).view(), s.entries(b.view()).view(), 1.0, Some(s.weights().view()))?;
//! assert_eq!(fit.x.len(), 5);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::irls::{lp_objective, lp_regression};
use super::row_sample::{RowSample, SamplingCurve};
use super::{check_matrix, leverage_scores, lewis_weights, stream, uniform};
use crate::error::{Error, Result};
use crate::estimator::required;
use crate::estimator::{impl_fit, params};
use crate::rng::derive;

/// The importance scores rows are sampled by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Importance {
    /// Every row alike.
    Uniform,
    /// Leverage scores `τᵢ`.
    Leverage,
    /// Root leverage `√τᵢ`.
    RootLeverage,
    /// ℓp Lewis weights for the sampler's p.
    Lewis,
}

impl Importance {
    /// Every kind, for curves.
    pub fn all() -> [Importance; 4] {
        [Importance::Uniform, Importance::Leverage, Importance::RootLeverage, Importance::Lewis]
    }

    /// A short name for legends.
    pub fn name(self) -> &'static str {
        match self {
            Importance::Uniform => "uniform",
            Importance::Leverage => "leverage",
            Importance::RootLeverage => "root leverage",
            Importance::Lewis => "Lewis weights",
        }
    }

    /// The scores of the rows of `a` for ℓp.
    pub fn scores(self, a: ArrayView2<f64>, p: f64) -> Result<Array1<f64>> {
        check_matrix("Importance::scores", a)?;
        match self {
            Importance::Uniform => Ok(Array1::ones(a.nrows())),
            Importance::Leverage => leverage_scores(a),
            Importance::RootLeverage => Ok(leverage_scores(a)?.mapv(|t| t.max(0.0).sqrt())),
            Importance::Lewis => lewis_weights(a, p),
        }
    }
}

/// ℓp sensitivity sampling; start from [`LpSampling::params`].
pub struct LpSampling;

params! {
    /// Checked parameters of [`LpSampling`]; see [`LpSampling::params`].
    LpSampling("LpSampling") => LpSamplingParams, LpSamplingValidParams {
        /// The ℓp of the regression, required.
        p: Option<f64> = None => 1.0..; from f64,
        /// The expected number of rows (before capping probabilities at 1), required.
        m: Option<usize> = None => 1..; from usize,
        /// The scores rows are sampled by.
        importance: Importance = Importance::Lewis,
        seed: u64 = 0,
    }
    check(p) {
        required("LpSampling", "p", p.p)?;
        required("LpSampling", "m", p.m)?;
    }
}

impl LpSamplingValidParams {
    /// Samples rows of `a` by the importance scores.
    fn fit_impl(&self, a: ArrayView2<f64>) -> Result<RowSample> {
        let p = required("LpSampling", "p", self.p)?;
        let m = required("LpSampling", "m", self.m)?;
        let scores = self.importance.scores(a, p)?;
        let mut s = sample_rows(scores.view(), m, self.seed)?;
        s.method = format!("ℓ{p} sampling by {}", self.importance.name());
        Ok(s)
    }
}

impl_fit!(LpSamplingParams, LpSamplingValidParams => RowSample);

/// Bernoulli sampling by scores: row `i` kept with probability
/// `pᵢ = min(1, m·qᵢ/Σq)` and weight `1/pᵢ`. `scores` finite, ≥ 0, not all
/// zero; `m` ≥ 1.
pub fn sample_rows(scores: ArrayView1<f64>, m: usize, seed: u64) -> Result<RowSample> {
    if m == 0 {
        return Err(Error::param("m", "of sample_rows must be ≥ 1; got 0"));
    }
    if let Some(v) = scores.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::param("scores", format!("of sample_rows must be finite and ≥ 0; got {v}")));
    }
    let total: f64 = scores.sum();
    if total <= 0.0 {
        return Err(Error::param("scores", format!("of sample_rows must not all be zero; got {} zeros", scores.len())));
    }
    let prob = scores.mapv(|q| (m as f64 * q / total).min(1.0));
    let indices: Vec<usize> = (0..prob.len()).filter(|&i| uniform(seed, stream::BERNOULLI, i as u64) < prob[i]).collect();
    let weights = indices.iter().map(|&i| 1.0 / prob[i]).collect();
    Ok(RowSample::new(format!("sampling by scores (m = {m})"), indices, weights, prob))
}

/// The relative excess ℓp objective `f(x̃)/f(x*) − 1` of sensitivity sampling,
/// averaged over `n_repeats` draws, for each sample size and importance.
/// A draw whose rows do not have full column rank counts as a failure and is
/// left out; a size where every draw failed shows as a gap (NaN).
pub fn lp_sampling_curve(
    a: ArrayView2<f64>,
    b: ArrayView1<f64>,
    p: f64,
    sample_sizes: &[usize],
    importances: &[Importance],
    n_repeats: usize,
    seed: u64,
) -> Result<SamplingCurve> {
    const WHO: &str = "lp_sampling_curve";
    if sample_sizes.is_empty() || sample_sizes.contains(&0) {
        return Err(Error::param("sample_sizes", format!("of {WHO} must be non-empty sizes ≥ 1; got {sample_sizes:?}")));
    }
    if importances.is_empty() {
        return Err(Error::param("importances", format!("of {WHO} must name at least one importance; got none")));
    }
    if n_repeats == 0 {
        return Err(Error::param("n_repeats", format!("of {WHO} must be ≥ 1; got 0")));
    }
    let best = lp_regression(a, b, p, None)?;
    let mut curves = Vec::new();
    for (k, imp) in importances.iter().enumerate() {
        let scores = imp.scores(a, p)?;
        let errors = sample_sizes
            .iter()
            .enumerate()
            .map(|(j, &m)| {
                let runs: Vec<Option<f64>> = (0..n_repeats)
                    .into_par_iter()
                    .map(|r| {
                        let s = derive(seed, stream::REPEAT, ((k * sample_sizes.len() + j) * n_repeats + r) as u64);
                        excess(a, b, p, scores.view(), m, s, best.objective)
                    })
                    .collect();
                let ok: Vec<f64> = runs.into_iter().flatten().collect();
                if ok.is_empty() {
                    f64::NAN
                } else {
                    ok.iter().sum::<f64>() / ok.len() as f64
                }
            })
            .collect();
        curves.push((imp.name().to_string(), errors));
    }
    let sizes = sample_sizes.iter().map(|&m| m as f64).collect();
    Ok(SamplingCurve::new(&format!("ℓ{p} regression from sampled rows"), "relative excess objective f(x̃)/f(x*) − 1", sizes, curves))
}

fn excess(a: ArrayView2<f64>, b: ArrayView1<f64>, p: f64, scores: ArrayView1<f64>, m: usize, seed: u64, best: f64) -> Option<f64> {
    let s = sample_rows(scores, m, seed).ok()?;
    if s.len() < a.ncols() {
        return None;
    }
    let fit = lp_regression(s.rows(a).view(), s.entries(b).view(), p, Some(s.weights().view())).ok()?;
    let value = lp_objective(a, b, &fit.x, p, None);
    Some((value / best - 1.0).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::heavy_row_regression;

    #[test]
    fn inclusion_probabilities_and_weights() {
        let scores = Array1::from(vec![1.0, 1.0, 2.0, 100.0]);
        let s = sample_rows(scores.view(), 2, 0).unwrap();
        assert_eq!(s.probabilities()[3], 1.0);
        assert!((s.probabilities()[2] - 2.0 * 2.0 / 104.0).abs() < 1e-15);
        assert!(s.indices().contains(&3));
        for (w, &i) in s.weights().iter().zip(s.indices()) {
            assert_eq!(*w, 1.0 / s.probabilities()[i]);
        }
    }

    #[test]
    fn same_seed_same_rows_at_any_thread_count() {
        let (a, b) = heavy_row_regression(3000, 4, 6, 5).unwrap();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
                let s = LpSampling::params().p(1.0).m(150).seed(9).fit_records(a.view()).unwrap();
                let c = lp_sampling_curve(a.view(), b.view(), 1.0, &[60, 120], &[Importance::Uniform, Importance::Lewis], 3, 9).unwrap();
                (s, c)
            })
        };
        assert_eq!(run(1), run(4));
    }

    #[test]
    fn lewis_beats_uniform_on_coherent_data() {
        let (a, b) = heavy_row_regression(4000, 8, 12, 7).unwrap();
        let c = lp_sampling_curve(a.view(), b.view(), 1.0, &[200], &[Importance::Uniform, Importance::Lewis], 6, 1).unwrap();
        let uni = c.curve("uniform").unwrap()[0];
        let lewis = c.curve("Lewis weights").unwrap()[0];
        assert!(lewis < uni, "Lewis {lewis} vs uniform {uni}");
        assert_eq!(c.figure().unwrap().n_traces(), 2);
    }

    #[test]
    fn bad_parameters() {
        let a = ndarray::Array2::<f64>::ones((5, 1));
        assert!(matches!(LpSampling::params().m(3).fit_records(a.view()), Err(Error::Param { name: "p", .. })));
        assert!(matches!(LpSampling::params().p(1.0).fit_records(a.view()), Err(Error::Param { name: "m", .. })));
        assert!(matches!(LpSampling::params().p(0.5).m(3).fit_records(a.view()), Err(Error::Param { name: "p", .. })));
        assert!(matches!(LpSampling::params().p(1.0).m(0).fit_records(a.view()), Err(Error::Param { name: "m", .. })));
        let zeros = Array1::<f64>::zeros(3);
        assert!(matches!(sample_rows(zeros.view(), 1, 0), Err(Error::Param { name: "scores", .. })));
        assert!(matches!(sample_rows(Array1::from(vec![f64::NAN]).view(), 1, 0), Err(Error::Param { name: "scores", .. })));
        let b = Array1::<f64>::ones(5);
        assert!(matches!(
            lp_sampling_curve(a.view(), b.view(), 1.0, &[], &[Importance::Uniform], 1, 0),
            Err(Error::Param { name: "sample_sizes", .. })
        ));
        assert!(matches!(lp_sampling_curve(a.view(), b.view(), 1.0, &[2], &[], 1, 0), Err(Error::Param { name: "importances", .. })));
        assert!(matches!(
            lp_sampling_curve(a.view(), b.view(), 1.0, &[2], &[Importance::Uniform], 0, 0),
            Err(Error::Param { name: "n_repeats", .. })
        ));
    }
}
