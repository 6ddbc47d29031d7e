//! Label sharpness `K_F`: how fast the labels can change between nearby points.
//!
//! Konz & Mazurowski estimate a Lipschitz constant of the labelling function
//! from a sample of `M` points:
//!
//! ```text
//! K̂_F = max_{j ≠ k} |y_j − y_k| / ‖x_j − x_k‖
//! ```
//!
//! over all pairs of the sample (the paper's definition, for binary labels).
//! Class labels use `1[y_j ≠ y_k]` as the numerator, which equals `|y_j − y_k|`
//! for 0/1 labels and extends it to several classes (the reference code's
//! multiclass branch uses `1[y_j = y_k]`, the inverse of this); real-valued
//! targets use `|y_j − y_k|`. Together with the intrinsic dimension of the data
//! ([`Mle`](super::Mle) at `n_neighbors = 20`) it predicts how fast test error falls with
//! the training-set size.
//!
//! Self-pairs are excluded. Two *distinct rows at distance 0* (exact duplicates)
//! with different labels would make `K̂_F` infinite; such pairs are skipped and
//! counted ([`n_conflicting_duplicates`](LabelSharpness::n_conflicting_duplicates)),
//! and duplicates with equal labels (0/0) are skipped as the reference code does.
//!
//! The sample is `n_samples` points drawn without replacement with `seed` (all
//! points, in a seeded order, when there are fewer). The curve is the running
//! maximum against the number of sampled points, showing whether `M` was large
//! enough for the maximum to settle.
//!
//! Paper: N. Konz & M. A. Mazurowski, "The Effect of Intrinsic Dataset
//! Properties on Generalization: Unraveling Learning Differences Between
//! Natural and Medical Images", ICLR 2024, arXiv:2401.08865.
//!
//! Cost: `O(M²·d)` time (parallel over the sample), `O(M·d)` memory.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = array![[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]];
//! let labels = array![0usize, 0, 1, 1];
//! let ks = LabelSharpness::params().fit_labels(x.view(), labels.view())?;
//! assert_eq!(ks.k_f(), 0.5); // the closest pair across classes: rows 1 and 2, 2 apart
//! assert_eq!(ks.pair(), (1, 2));
//! # Ok::<(), lowdim::Error>(())
//! ```

use linfa::traits::Fit;
use linfa::{DatasetBase, ParamGuard};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::common::check_records;
use super::estimate::IdCurve;
use crate::data::seeded_rng;
use crate::error::{check_finite, Error, Result};
use crate::estimator::params;
use crate::plot::Figure;
use crate::render::impl_render;

/// Most points on the running-maximum curve.
const CURVE_POINTS: usize = 200;

/// The label sharpness of a labelled data set; start from [`LabelSharpness::params`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSharpness {
    params: LabelSharpnessValidParams,
    k_f: f64,
    pair: (usize, usize),
    distance: f64,
    n_used: usize,
    n_conflicting: usize,
    curve: IdCurve,
}

params! {
    /// Checked label-sharpness parameters; see [`LabelSharpness::params`] (the
    /// reference code's defaults).
    LabelSharpness("LabelSharpness") => LabelSharpnessParams, LabelSharpnessValidParams {
        /// The sample size `M`.
        n_samples: usize = 1000 => 2..,
        /// Draws the sample.
        seed: u64 = 0,
    }
}

impl LabelSharpness {
    /// `K̂_F`, in label units per unit of input distance.
    pub fn k_f(&self) -> f64 {
        self.k_f
    }

    /// The input rows `(j, k)` that attain the maximum (`(0, 0)` when every
    /// pair has the same label).
    pub fn pair(&self) -> (usize, usize) {
        self.pair
    }

    /// Their distance.
    pub fn distance(&self) -> f64 {
        self.distance
    }

    /// Points sampled (`M`, or all when fewer).
    pub fn n_used(&self) -> usize {
        self.n_used
    }

    /// Pairs of identical rows with different labels, skipped (each would make `K̂_F` infinite).
    pub fn n_conflicting_duplicates(&self) -> usize {
        self.n_conflicting
    }

    /// The running maximum against the number of sampled points.
    pub fn curve(&self) -> &IdCurve {
        &self.curve
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &LabelSharpnessValidParams {
        &self.params
    }

    /// The curve, titled with `K̂_F`.
    pub fn figure(&self) -> Result<Figure> {
        Ok(self.curve.figure_named("running max")?.title(&format!("label sharpness K_F = {:.4} ({} points)", self.k_f, self.n_used)))
    }
}

impl_render!(LabelSharpness, "Label sharpness", params: params, shapes: []);

// Sharpness needs labels or values, so the fit takes them (or a dataset's
// `SharpnessTargets`) instead of the target-free `impl_fit!` surface.
impl LabelSharpnessParams {
    /// Checks the parameters; `K̂_F` of class labels.
    pub fn fit_labels(&self, records: ArrayView2<f64>, labels: ArrayView1<usize>) -> Result<LabelSharpness> {
        self.check_ref()?.fit_labels(records, labels)
    }

    /// Checks the parameters; `K̂_F` of real-valued targets.
    pub fn fit_values(&self, records: ArrayView2<f64>, values: ArrayView1<f64>) -> Result<LabelSharpness> {
        self.check_ref()?.fit_values(records, values)
    }

    /// Checks the parameters; `K̂_F` of a dataset's targets (see [`SharpnessTargets`]).
    pub fn fit<T: SharpnessTargets>(&self, dataset: &DatasetBase<Array2<f64>, T>) -> Result<LabelSharpness> {
        self.check_ref()?.fit(dataset)
    }
}

impl LabelSharpnessValidParams {
    /// `K̂_F` of class labels.
    pub fn fit_labels(&self, records: ArrayView2<f64>, labels: ArrayView1<usize>) -> Result<LabelSharpness> {
        self.sharpness(records, PairTargets::Classes(labels))
    }

    /// `K̂_F` of real-valued targets.
    pub fn fit_values(&self, records: ArrayView2<f64>, values: ArrayView1<f64>) -> Result<LabelSharpness> {
        check_finite("targets of LabelSharpness", &values)?;
        self.sharpness(records, PairTargets::Values(values))
    }

    /// `K̂_F` of a dataset's targets (see [`SharpnessTargets`]).
    pub fn fit<T: SharpnessTargets>(&self, dataset: &DatasetBase<Array2<f64>, T>) -> Result<LabelSharpness> {
        match dataset.targets.pair_targets() {
            PairTargets::Values(v) => self.fit_values(dataset.records.view(), v),
            t => self.sharpness(dataset.records.view(), t),
        }
    }

    fn sharpness(&self, x: ArrayView2<f64>, targets: PairTargets<'_>) -> Result<LabelSharpness> {
        check_records("LabelSharpness", x)?;
        let n = x.nrows();
        if targets.len() != n {
            return Err(Error::data(format!("LabelSharpness needs one target per row: {n} rows but {} targets", targets.len())));
        }
        if n < 2 {
            return Err(Error::data(format!("LabelSharpness needs at least 2 points; got {n}")));
        }
        let mut sample: Vec<usize> = (0..n).collect();
        sample.shuffle(&mut seeded_rng(self.seed));
        sample.truncate(self.n_samples.min(n));
        let m = sample.len();
        // best[a]: the largest ratio between sampled point a and an earlier one.
        let best: Vec<(f64, usize, f64, usize)> = (0..m)
            .into_par_iter()
            .map(|a| {
                let i = sample[a];
                let xi = x.row(i);
                let (mut top, mut with, mut dist, mut conflicts) = (0.0f64, usize::MAX, 0.0, 0);
                for (b, &j) in sample[..a].iter().enumerate() {
                    let num = targets.gap(i, j);
                    if num == 0.0 {
                        continue;
                    }
                    let d = xi.iter().zip(x.row(j)).map(|(p, q)| (p - q) * (p - q)).sum::<f64>().sqrt();
                    if d == 0.0 {
                        conflicts += 1;
                        continue;
                    }
                    let ratio = num / d;
                    if ratio > top {
                        (top, with, dist) = (ratio, b, d);
                    }
                }
                (top, with, dist, conflicts)
            })
            .collect();
        let (mut k_f, mut pair, mut distance, mut n_conflicting) = (0.0, (0, 0), 0.0, 0);
        let stride = m.div_ceil(CURVE_POINTS).max(1);
        let mut points = Vec::new();
        for (a, &(top, with, d, conflicts)) in best.iter().enumerate() {
            n_conflicting += conflicts;
            if top > k_f {
                let (p, q) = (sample[a], sample[with]);
                (k_f, pair, distance) = (top, (p.min(q), p.max(q)), d);
            }
            if a >= 1 && ((a + 1) % stride == 0 || a + 1 == m) {
                points.push(((a + 1) as f64, k_f));
            }
        }
        let curve = IdCurve::from_points("points sampled", "K_F (running maximum)", points).with_marked(m as f64, k_f);
        Ok(LabelSharpness { params: self.clone(), k_f, pair, distance, n_used: m, n_conflicting, curve })
    }
}

/// Target types label sharpness accepts: `usize` class labels (numerator
/// `1[y_j ≠ y_k]`) and `f64` values (numerator `|y_j − y_k|`).
pub trait SharpnessTargets: private::Sealed {
    #[doc(hidden)]
    fn pair_targets(&self) -> PairTargets<'_>;
}

/// Targets as label sharpness reads them.
#[doc(hidden)]
pub enum PairTargets<'a> {
    Classes(ArrayView1<'a, usize>),
    Values(ArrayView1<'a, f64>),
}

impl PairTargets<'_> {
    fn len(&self) -> usize {
        match self {
            PairTargets::Classes(c) => c.len(),
            PairTargets::Values(v) => v.len(),
        }
    }

    fn gap(&self, i: usize, j: usize) -> f64 {
        match self {
            PairTargets::Classes(c) => f64::from(u8::from(c[i] != c[j])),
            PairTargets::Values(v) => (v[i] - v[j]).abs(),
        }
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for ndarray::Array1<usize> {}
    impl Sealed for ndarray::Array1<f64> {}
}

impl SharpnessTargets for Array1<usize> {
    fn pair_targets(&self) -> PairTargets<'_> {
        PairTargets::Classes(self.view())
    }
}

impl SharpnessTargets for Array1<f64> {
    fn pair_targets(&self) -> PairTargets<'_> {
        PairTargets::Values(self.view())
    }
}

impl<T: SharpnessTargets> Fit<Array2<f64>, T, Error> for LabelSharpnessValidParams {
    type Object = LabelSharpness;

    fn fit(&self, dataset: &DatasetBase<Array2<f64>, T>) -> Result<LabelSharpness> {
        LabelSharpnessValidParams::fit(self, dataset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn duplicates_with_different_labels_are_skipped_and_counted() {
        let x = array![[0.0], [0.0], [2.0], [0.0]];
        let ks = LabelSharpness::params().fit_labels(x.view(), array![0usize, 1, 1, 0].view()).unwrap();
        // Rows 0/1 and 1/3 coincide with different labels; 0/2 and 2/3 are 2 apart.
        assert_eq!(ks.n_conflicting_duplicates(), 2);
        assert_eq!(ks.k_f(), 0.5);
        let same = LabelSharpness::params().fit_values(x.view(), array![1.0, 1.0, 1.0, 1.0].view()).unwrap();
        assert_eq!((same.k_f(), same.pair()), (0.0, (0, 0)));
    }

    #[test]
    fn bad_parameters() {
        assert!(matches!(LabelSharpness::params().n_samples(1).check(), Err(Error::Param { name: "n_samples", .. })));
    }
}
