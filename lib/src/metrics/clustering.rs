//! Agreement between a clustering and reference labels: accuracy, NMI, ARI.
//!
//! All three compare two labelings of the same `n` points through their
//! contingency table `n_ij` (points with true class `i` and predicted cluster
//! `j`), with row sums `a_i` and column sums `b_j`. Label values are arbitrary
//! (only equality matters), and none of the three changes when the clusters are
//! renamed.
//!
//! - **Clustering accuracy**: `ACC = max_σ Σ_i n_{i,σ(i)} / n` over one-to-one
//!   matchings `σ` of classes to clusters, found by the [`hungarian`](super::hungarian)
//!   algorithm (classes or clusters left over match nothing).
//! - **Normalised mutual information** (arithmetic mean, scikit-learn's default):
//!   `NMI = I(U; V) / ((H(U) + H(V)) / 2)` with `I = Σ_ij (n_ij/n) ln(n·n_ij / (a_i b_j))`
//!   and `H(U) = −Σ_i (a_i/n) ln(a_i/n)`; 1 when both labelings are a single
//!   cluster, 0 when `I = 0`.
//! - **Adjusted Rand index**: the Rand index corrected for chance, from the pair
//!   counts (`tp`, `fp`, `fn`, `tn` over ordered pairs) as
//!   `ARI = 2(tp·tn − fn·fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))`; 1 for
//!   identical partitions, about 0 for independent ones, possibly negative. Pair
//!   counts are exact integers.
//!
//! Values match `sklearn.metrics` (`normalized_mutual_info_score`,
//! `adjusted_rand_score`) including their special cases.
//!
//! **References.** A. Strehl and J. Ghosh, "Cluster ensembles — a knowledge reuse
//! framework for combining multiple partitions", JMLR 3, 2002, pp. 583–617;
//! L. Hubert and P. Arabie, "Comparing partitions", Journal of Classification 2,
//! 1985, pp. 193–218, doi:10.1007/BF01908075; N. X. Vinh, J. Epps and J. Bailey,
//! "Information theoretic measures for clusterings comparison", JMLR 11, 2010,
//! pp. 2837–2854.
//!
//! **Cost.** O(n log n + c·k) for `c` classes and `k` clusters; accuracy adds the
//! O(max(c, k)³) assignment.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let truth = [0, 0, 1, 1, 2, 2];
//! let pred = [5, 5, 3, 3, 3, 9]; // clusters renamed; one point of class 2 misplaced
//! assert!((clustering_accuracy(&truth, &pred)? - 5.0 / 6.0).abs() < 1e-12);
//! assert_eq!(nmi(&truth, &[1, 1, 0, 0, 7, 7])?, 1.0);
//! assert!(ari(&truth, &pred)? < 1.0);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::Array2;

use super::common::{check_labels_len, compact_labels};
use super::hungarian::hungarian;
use crate::error::{Error, Result};

/// Best one-to-one matching of clusters in `pred` to classes in `truth`, as
/// the fraction of points it labels correctly, in (0, 1].
///
/// `truth`, `pred`: the same non-zero length; label values are arbitrary.
pub fn clustering_accuracy(truth: &[usize], pred: &[usize]) -> Result<f64> {
    let t = Contingency::new("clustering_accuracy", truth, pred)?;
    let s = t.rows.max(t.cols);
    let most = t.counts.iter().copied().max().unwrap_or(0);
    // Maximise matched counts = minimise (most − count), padded to a square.
    let cost = Array2::from_shape_fn((s, s), |(i, j)| (most - t.count(i, j)) as f64);
    let assignment = hungarian(cost.view())?;
    let matched: u64 = assignment.iter().enumerate().map(|(i, &j)| t.count(i, j)).sum();
    Ok(matched as f64 / t.n as f64)
}

/// Normalised mutual information of two labelings with the arithmetic mean of
/// the entropies as normaliser (scikit-learn's default), in [0, 1].
///
/// `truth`, `pred`: the same non-zero length; label values are arbitrary.
pub fn nmi(truth: &[usize], pred: &[usize]) -> Result<f64> {
    let t = Contingency::new("nmi", truth, pred)?;
    if t.rows == 1 && t.cols == 1 {
        return Ok(1.0);
    }
    let mi = t.mutual_information();
    if mi == 0.0 {
        return Ok(0.0);
    }
    let normaliser = (entropy(&t.row_sums) + entropy(&t.col_sums)) / 2.0;
    Ok(mi / normaliser)
}

/// Adjusted Rand index of two labelings, in [−0.5, 1].
///
/// `truth`, `pred`: the same non-zero length; label values are arbitrary.
pub fn ari(truth: &[usize], pred: &[usize]) -> Result<f64> {
    let t = Contingency::new("ari", truth, pred)?;
    let n = i128::from(t.n);
    let sum_squares: i128 = t.counts.iter().map(|&c| i128::from(c) * i128::from(c)).sum();
    let mut against_cols = 0i128; // Σ_ij n_ij · b_j
    let mut against_rows = 0i128; // Σ_ij n_ij · a_i
    for i in 0..t.rows {
        for j in 0..t.cols {
            let c = i128::from(t.count(i, j));
            against_cols += c * i128::from(t.col_sums[j]);
            against_rows += c * i128::from(t.row_sums[i]);
        }
    }
    // Ordered pairs of distinct points: same/different class × same/different cluster.
    let tp = sum_squares - n;
    let fp = against_cols - sum_squares;
    let fn_ = against_rows - sum_squares;
    let tn = n * n - fp - fn_ - sum_squares;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let num = tp * tn - fn_ * fp;
    let den = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
    Ok(2.0 * num as f64 / den as f64)
}

/// −Σ (a_i/n) ln(a_i/n) over the non-zero counts.
fn entropy(counts: &[u64]) -> f64 {
    let n: u64 = counts.iter().sum();
    let ln_n = (n as f64).ln();
    -counts.iter().filter(|&&c| c > 0).map(|&c| (c as f64 / n as f64) * ((c as f64).ln() - ln_n)).sum::<f64>()
}

/// The contingency table of two labelings (classes × clusters, both compacted).
struct Contingency {
    n: u64,
    rows: usize,
    cols: usize,
    counts: Vec<u64>,
    row_sums: Vec<u64>,
    col_sums: Vec<u64>,
}

impl Contingency {
    fn new(who: &str, truth: &[usize], pred: &[usize]) -> Result<Self> {
        if truth.is_empty() {
            return Err(Error::data(format!("`truth` of {who} must hold at least one label; got none")));
        }
        check_labels_len(who, "pred", pred, truth.len(), "entry of `truth`")?;
        let (tc, rows) = compact_labels(truth);
        let (pc, cols) = compact_labels(pred);
        let mut counts = vec![0u64; rows * cols];
        let mut row_sums = vec![0u64; rows];
        let mut col_sums = vec![0u64; cols];
        for (&i, &j) in tc.iter().zip(&pc) {
            counts[i * cols + j] += 1;
            row_sums[i] += 1;
            col_sums[j] += 1;
        }
        Ok(Contingency { n: truth.len() as u64, rows, cols, counts, row_sums, col_sums })
    }

    /// n_ij, zero outside the table (for padding).
    fn count(&self, i: usize, j: usize) -> u64 {
        if i < self.rows && j < self.cols {
            self.counts[i * self.cols + j]
        } else {
            0
        }
    }

    /// I(U; V) in nats; terms below machine epsilon count as 0, the sum is clipped at 0.
    fn mutual_information(&self) -> f64 {
        if self.rows == 1 || self.cols == 1 {
            return 0.0;
        }
        let ln_n = (self.n as f64).ln();
        let mut mi = 0.0;
        for i in 0..self.rows {
            for j in 0..self.cols {
                let c = self.count(i, j);
                if c == 0 {
                    continue;
                }
                let p = c as f64 / self.n as f64;
                let outer = (self.row_sums[i] as f64) * (self.col_sums[j] as f64);
                let term = p * ((c as f64).ln() - ln_n) + p * (-outer.ln() + ln_n + ln_n);
                if term.abs() >= f64::EPSILON {
                    mi += term;
                }
            }
        }
        mi.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::fixtures;
    use super::*;

    const NMI: f64 = 0.447259895677284;
    const ARI: f64 = 0.4904113252635038;

    #[test]
    fn nmi_and_ari_match_scikit_learn_golden() {
        let (a, b) = (fixtures::labels("labels_a"), fixtures::labels("labels_b"));
        let got = nmi(&a, &b).unwrap();
        assert!((got - NMI).abs() < 1e-12, "nmi ours {got}, scikit-learn {NMI}");
        let got = ari(&a, &b).unwrap();
        assert!((got - ARI).abs() < 1e-12, "ari ours {got}, scikit-learn {ARI}");
        // Both are symmetric.
        assert!((nmi(&b, &a).unwrap() - NMI).abs() < 1e-12);
        assert!((ari(&b, &a).unwrap() - ARI).abs() < 1e-12);
    }

    #[test]
    fn accuracy_matches_brute_force_on_golden_labels() {
        let (a, b) = (fixtures::labels("labels_a"), fixtures::labels("labels_b"));
        let acc = clustering_accuracy(&a, &b).unwrap();
        // Brute force over all matchings of b's clusters to a's classes.
        let t = Contingency::new("test", &a, &b).unwrap();
        assert!(t.rows <= 7 && t.cols <= 7, "{} × {}", t.rows, t.cols);
        fn best(t: &Contingency, i: usize, used: &mut Vec<bool>) -> u64 {
            if i == t.rows {
                return 0;
            }
            let mut b = best(t, i + 1, used); // class i unmatched
            for j in 0..t.cols {
                if !used[j] {
                    used[j] = true;
                    b = b.max(t.count(i, j) + best(t, i + 1, used));
                    used[j] = false;
                }
            }
            b
        }
        let want = best(&t, 0, &mut vec![false; t.cols]) as f64 / a.len() as f64;
        assert_eq!(acc, want);
    }

    #[test]
    fn accuracy_with_unequal_cluster_counts() {
        assert_eq!(clustering_accuracy(&[0, 0, 1, 1], &[0, 0, 0, 0]).unwrap(), 0.5);
        assert_eq!(clustering_accuracy(&[0, 0, 0, 0], &[0, 1, 2, 2]).unwrap(), 0.5);
        assert_eq!(clustering_accuracy(&[3, 1, 2], &[8, 6, 7]).unwrap(), 1.0);
    }

    #[test]
    fn special_cases_follow_scikit_learn() {
        assert_eq!(nmi(&[1, 1, 1], &[4, 4, 4]).unwrap(), 1.0);
        assert_eq!(nmi(&[0, 0, 1, 1], &[0, 0, 0, 0]).unwrap(), 0.0);
        assert_eq!(nmi(&[0, 1, 0, 1], &[0, 0, 1, 1]).unwrap(), 0.0);
        assert_eq!(ari(&[1, 1, 1], &[4, 4, 4]).unwrap(), 1.0);
        assert_eq!(ari(&[0, 1, 2], &[5, 6, 7]).unwrap(), 1.0);
        // sklearn: adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5
        assert!((ari(&[0, 0, 1, 1], &[0, 1, 0, 1]).unwrap() + 0.5).abs() < 1e-15);
        assert!((nmi(&[0, 0, 1, 1], &[9, 9, 2, 2]).unwrap() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn length_mismatch_is_a_data_error() {
        for e in [clustering_accuracy(&[0, 1], &[0]).unwrap_err(), nmi(&[0, 1], &[0]).unwrap_err(), ari(&[0, 1], &[0, 1, 1]).unwrap_err()] {
            assert!(matches!(e, Error::Data(_)), "{e}");
        }
    }

    #[test]
    fn empty_labels_is_a_data_error() {
        for e in [clustering_accuracy(&[], &[]).unwrap_err(), nmi(&[], &[]).unwrap_err(), ari(&[], &[]).unwrap_err()] {
            assert!(matches!(e, Error::Data(_)), "{e}");
        }
    }
}
