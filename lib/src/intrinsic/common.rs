//! What the estimators share: input checks, merging of duplicate rows, the
//! neighbour graph of the distinct rows and PCA spectra.

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::error::{check_finite, Error, Result};
use crate::linalg::symmetric_eigenvalues;
use crate::neighbors::{KnnGraph, KnnMethod, KnnParams};

/// Fails unless `x` has at least one row and one column and only finite entries.
pub(crate) fn check_records(who: &str, x: ArrayView2<f64>) -> Result<()> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(Error::data(format!("{who} needs a non-empty n_samples × n_features matrix; got {n} × {d}")));
    }
    check_finite(&format!("X of {who}"), &x)
}

/// The data with exact duplicate rows merged.
///
/// `distinct` keeps the first copy of every row, in the original order, so data
/// without duplicates come back unchanged; `representative[i]` is the row of
/// `distinct` that row `i` of the input became.
pub(crate) struct Distinct {
    pub distinct: Array2<f64>,
    pub representative: Vec<usize>,
}

impl Distinct {
    pub fn new(x: ArrayView2<f64>) -> Self {
        let n = x.nrows();
        // Rows are grouped by a hash of their bits and compared exactly only
        // within a group, so distinct data costs one pass and one sort of
        // integers. (Compare rows as points: -0.0 and 0.0 are the same coordinate.)
        let bits = |i: usize| x.row(i).into_iter().map(|v| (v + 0.0).to_bits()).collect::<Vec<u64>>();
        let mut order: Vec<(u64, usize)> = (0..n).into_par_iter().map(|i| (row_hash(x.row(i)), i)).collect();
        order.sort_unstable();
        // first[i]: the smallest index holding the same point as row i.
        let mut first: Vec<usize> = (0..n).collect();
        for group in order.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            let mut classes: Vec<(Vec<u64>, usize)> = Vec::new();
            for &(_, i) in group {
                let row = bits(i);
                match classes.iter().find(|(bits, _)| *bits == row) {
                    Some(&(_, earliest)) => first[i] = earliest,
                    None => classes.push((row, i)),
                }
            }
        }
        let mut position = vec![usize::MAX; n];
        let mut kept = Vec::new();
        for i in 0..n {
            if first[i] == i {
                position[i] = kept.len();
                kept.push(i);
            }
        }
        let representative = (0..n).map(|i| position[first[i]]).collect();
        let distinct = if kept.len() == n { x.to_owned() } else { x.select(Axis(0), &kept) };
        Distinct { distinct, representative }
    }

    /// Number of distinct rows.
    pub fn n_distinct(&self) -> usize {
        self.distinct.nrows()
    }

    /// Rows of the input merged into an earlier copy.
    pub fn n_duplicates(&self) -> usize {
        self.representative.len() - self.n_distinct()
    }

    /// "n_distinct = 180 (n_samples = 200 with 20 duplicate rows merged)" or
    /// "n_samples = 200" when nothing was merged: the upper bound in messages.
    pub fn bound(&self) -> String {
        if self.n_duplicates() == 0 {
            format!("n_samples = {}", self.n_distinct())
        } else {
            format!(
                "n_distinct = {} (n_samples = {} with {} duplicate rows merged)",
                self.n_distinct(),
                self.representative.len(),
                self.n_duplicates()
            )
        }
    }

    /// Spreads per-distinct-row values back onto the input rows.
    pub fn spread(&self, values: &[f64]) -> Vec<f64> {
        self.representative.iter().map(|&r| values[r]).collect()
    }
}

/// A hash of a row's coordinates as points (-0.0 and 0.0 alike), for
/// grouping candidate duplicates.
fn row_hash(row: ndarray::ArrayView1<f64>) -> u64 {
    row.iter().fold(0u64, |h, v| (h.rotate_left(5) ^ (v + 0.0).to_bits()).wrapping_mul(0x517c_c1b7_2722_0a95))
}

/// Checks `lo ≤ k < n` for a neighbour count of `who`, naming the bound.
pub(crate) fn check_k(who: &str, name: &'static str, k: usize, lo: usize, data: &Distinct) -> Result<()> {
    if k < lo || k >= data.n_distinct() {
        return Err(Error::param(name, format!("of {who} must be in [{lo}, {}); got {k}", data.bound())));
    }
    Ok(())
}

/// The `k` nearest other rows of every distinct row.
pub(crate) fn knn_of(data: &Distinct, k: usize, method: KnnMethod) -> Result<KnnGraph> {
    KnnParams::new(k).method(method).graph(data.distinct.view())
}

/// The median as numpy computes it (mean of the two middle values for an even count).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// Variances along the principal axes of the rows of `x` (descending, with the
/// `n − 1` denominator of scikit-learn's `explained_variance_`), for
/// `min(n, d)` components. Works on the smaller of the `d × d` covariance and
/// the `n × n` Gram matrix of the centred rows.
pub(crate) fn pca_spectrum(x: ArrayView2<f64>) -> Vec<f64> {
    let (n, d) = x.dim();
    if n < 2 {
        return vec![0.0; n.min(d)];
    }
    let mean = x.mean_axis(Axis(0)).expect("n ≥ 2 rows, so the mean exists");
    let centred = &x - &mean;
    let scatter = if n >= d { centred.t().dot(&centred) } else { centred.dot(&centred.t()) };
    let mut values = symmetric_eigenvalues(scatter);
    let denom = (n - 1) as f64;
    for v in values.iter_mut() {
        *v = (*v / denom).max(0.0);
    }
    values.truncate(n.min(d));
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array1};

    /// A = Q diag(λ) Qᵀ with Q a product of Householder reflections.
    fn with_spectrum(lambda: &[f64], seed: u64) -> Array2<f64> {
        let p = lambda.len();
        let mut q = Array2::<f64>::eye(p);
        let mut state = seed;
        for _ in 0..3 {
            let v = Array1::from_shape_fn(p, |_| {
                state = crate::rng::mix(state);
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            });
            let v = &v / v.dot(&v).sqrt();
            let h = Array2::<f64>::eye(p) - 2.0 * &v.view().insert_axis(Axis(1)).dot(&v.view().insert_axis(Axis(0)));
            q = q.dot(&h);
        }
        let diag = Array2::from_diag(&Array1::from(lambda.to_vec()));
        q.dot(&diag).dot(&q.t())
    }

    #[test]
    fn eigenvalues_of_known_spectra() {
        for (lambda, seed) in [
            (vec![5.0, 3.0, 3.0, 1.0, 0.5, 0.0, -2.0], 1),
            (vec![1e3, 1.0, 1e-3, 1e-6], 2),
            (vec![2.0], 3),
            (vec![4.0, -1.0], 4),
            ((0..40).map(|i| (i as f64).sqrt()).collect(), 5),
        ] {
            let a = with_spectrum(&lambda, seed);
            let got = symmetric_eigenvalues(a);
            let mut want = lambda.clone();
            want.sort_by(|x, y| y.total_cmp(x));
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-9 * want[0].abs().max(1.0), "{got:?} vs {want:?}");
            }
        }
        assert_eq!(symmetric_eigenvalues(Array2::zeros((3, 3))), vec![0.0; 3]);
    }

    #[test]
    fn pca_spectrum_uses_the_smaller_side() {
        // Points on a line in 3-D: one non-zero variance, whichever matrix is used.
        let x = array![[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [2.0, 4.0, 4.0]];
        let s = pca_spectrum(x.view());
        assert_eq!(s.len(), 3);
        assert!((s[0] - 9.0).abs() < 1e-12 && s[1].abs() < 1e-12, "{s:?}");
        let s = pca_spectrum(x.slice(ndarray::s![..2, ..]));
        assert_eq!(s.len(), 2);
        assert!((s[0] - 4.5).abs() < 1e-12, "{s:?}");
    }

    #[test]
    fn duplicates_merge_to_the_first_copy() {
        let x = array![[1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [-0.0, 0.0], [2.0, 1.0]];
        let d = Distinct::new(x.view());
        assert_eq!(d.n_distinct(), 3);
        assert_eq!(d.representative, vec![0, 1, 0, 1, 2]);
        assert_eq!(d.distinct, array![[1.0, 0.0], [0.0, 0.0], [2.0, 1.0]]);
        assert_eq!(d.spread(&[10.0, 20.0, 30.0]), vec![10.0, 20.0, 10.0, 20.0, 30.0]);
        assert!(d.bound().contains("2 duplicate rows merged"));
        let mut v = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(median(&mut v), 2.5);
    }
}
