//! Shepard correlation: Spearman's rank correlation between input and embedding distances.
//!
//! A Shepard diagram plots, for pairs of points `(i, j)`, the distance
//! `‖x_i − x_j‖` against `‖e_i − e_j‖`. Its Spearman correlation — the Pearson
//! correlation of the two lists' ranks, tied values sharing their average rank
//! ([`spearman`], as `scipy.stats.spearmanr`) — measures how well the embedding
//! keeps the *global* order of distances (1: a monotone map; 0: no relation),
//! complementing the local, neighbour-based metrics.
//!
//! [`shepard_correlation`] uses every pair when there are at most `max_pairs`,
//! otherwise `max_pairs` pairs `(i, j)`, `i ≠ j`, drawn uniformly and
//! independently (with replacement) by a generator seeded with `seed`.
//!
//! **References.** R. N. Shepard, "The analysis of proximities: Multidimensional
//! scaling with an unknown distance function. I", Psychometrika 27(2), 1962,
//! pp. 125–140, doi:10.1007/BF02289630; C. Spearman, "The proof and measurement of
//! association between two things", American Journal of Psychology 15(1), 1904,
//! pp. 72–101, doi:10.2307/1412159.
//!
//! **Cost.** O(p·(d + d′) + p log p) time and O(p) memory for `p = min(max_pairs,
//! n(n − 1)/2)` pairs; distances are rayon-parallel and collected in order, so
//! the result depends on the seed only, not on the thread count.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let x = array![[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]];
//! let e = x.mapv(|v: f64| v.powi(3)); // stretches distances but keeps their order here
//! assert!((shepard_correlation(x.view(), e.view(), 1000, 0)? - 1.0).abs() < 1e-12);
//! assert!((spearman(&[1.0, 2.0, 2.0, 4.0], &[10.0, 20.0, 20.0, 40.0])? - 1.0).abs() < 1e-12);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::ArrayView2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::common::{check_pair, sq_dist};
use crate::error::{Error, Result};

/// Spearman correlation of pairwise distances in `x` and in `embedding` over
/// all pairs, or `max_pairs` seeded random pairs when there are more.
///
/// `x`: n × d, `embedding`: n × d′, both finite, n ≥ 3; `max_pairs` ≥ 3.
/// Fails when all sampled distances are equal in either space.
pub fn shepard_correlation(x: ArrayView2<f64>, embedding: ArrayView2<f64>, max_pairs: usize, seed: u64) -> Result<f64> {
    const WHO: &str = "shepard_correlation";
    let n = check_pair(WHO, x, embedding)?;
    if n < 3 {
        return Err(Error::data(format!("{WHO} needs at least 3 points (2 distances); got {n}")));
    }
    if max_pairs < 3 {
        return Err(Error::param("max_pairs", format!("of {WHO} must be ≥ 3; got {max_pairs}")));
    }
    let all = n * (n - 1) / 2;
    let pairs: Vec<(usize, usize)> = if all <= max_pairs {
        (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).collect()
    } else {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..max_pairs)
            .map(|_| {
                let i = rng.gen_range(0..n);
                let j = rng.gen_range(0..n - 1);
                (i, if j >= i { j + 1 } else { j })
            })
            .collect()
    };
    let (dx, de): (Vec<f64>, Vec<f64>) =
        pairs.par_iter().map(|&(i, j)| (sq_dist(x.row(i), x.row(j)).sqrt(), sq_dist(embedding.row(i), embedding.row(j)).sqrt())).unzip();
    spearman(&dx, &de).map_err(|e| match e {
        Error::Data(m) => Error::data(format!("{WHO}: {m}")),
        other => other,
    })
}

/// Spearman's rank correlation of `a` and `b`: the Pearson correlation of their
/// ranks, tied values getting the average of the ranks they span.
///
/// `a`, `b`: equal lengths ≥ 2, finite, neither constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Result<f64> {
    const WHO: &str = "spearman";
    if a.len() != b.len() {
        return Err(Error::data(format!("`b` of {WHO} must have the same length as `a` ({}); got {}", a.len(), b.len())));
    }
    if a.len() < 2 {
        return Err(Error::data(format!("{WHO} needs at least 2 values; got {}", a.len())));
    }
    for (what, v) in [("a", a), ("b", b)] {
        if let Some(i) = v.iter().position(|t| !t.is_finite()) {
            return Err(Error::data(format!("`{what}` of {WHO} holds a non-finite value {} at index {i}", v[i])));
        }
    }
    let (ra, rb) = (average_ranks(a), average_ranks(b));
    let m = (a.len() as f64 + 1.0) / 2.0; // mean rank, exact for average ranks
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (p, q) in ra.iter().zip(&rb) {
        let (u, v) = (p - m, q - m);
        sab += u * v;
        saa += u * u;
        sbb += v * v;
    }
    for (what, s) in [("a", saa), ("b", sbb)] {
        if s == 0.0 {
            return Err(Error::data(format!("`{what}` of {WHO} is constant; the rank correlation is undefined")));
        }
    }
    Ok((sab / (saa.sqrt() * sbb.sqrt())).clamp(-1.0, 1.0))
}

/// 1-based ranks of `v`, ties sharing the mean of the ranks they span.
fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_unstable_by(|&i, &j| v[i].total_cmp(&v[j]).then(i.cmp(&j)));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        // positions start..end hold ranks start+1..=end; their mean:
        let r = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = r;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::super::common::fixtures;
    use super::*;
    use ndarray::array;

    #[test]
    fn average_ranks_share_ties() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]), vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(average_ranks(&[-0.0, 0.0]), vec![1.5, 1.5]);
    }

    #[test]
    fn spearman_matches_scipy_with_ties() {
        // ranks a = [1, 2.5, 2.5, 4, 6, 5], b = [2, 1, 3.5, 3.5, 6, 5]; Pearson of ranks = 14.75 / 17
        let r = spearman(&[1.0, 2.0, 2.0, 3.0, 5.0, 4.0], &[2.0, 1.0, 4.0, 4.0, 6.0, 5.0]).unwrap();
        let (ra, rb) = ([1.0, 2.5, 2.5, 4.0, 6.0, 5.0], [2.0, 1.0, 3.5, 3.5, 6.0, 5.0]);
        let m = 3.5;
        let num: f64 = ra.iter().zip(&rb).map(|(p, q)| (p - m) * (q - m)).sum();
        let da: f64 = ra.iter().map(|p| (p - m) * (p - m)).sum();
        let db: f64 = rb.iter().map(|q| (q - m) * (q - m)).sum();
        assert!((r - num / (da * db).sqrt()).abs() < 1e-15);
        assert!((r - 14.75 / 17.0).abs() < 1e-15, "{r}");
        let anti = spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]).unwrap();
        assert!((anti + 1.0).abs() < 1e-15);
    }

    #[test]
    fn shepard_orders_embeddings_sensibly() {
        let x = fixtures::matrix("X");
        let s_pca = shepard_correlation(x.view(), fixtures::matrix("E_pca").view(), 5000, 1).unwrap();
        let s_rand = shepard_correlation(x.view(), fixtures::matrix("E_random").view(), 5000, 1).unwrap();
        assert!(s_pca > 0.8 && s_rand.abs() < 0.1, "pca {s_pca}, random {s_rand}");
    }

    #[test]
    fn shepard_is_seeded_and_uses_all_pairs_when_few() {
        let x = fixtures::matrix("X");
        let e = fixtures::matrix("E_isomap");
        let a = shepard_correlation(x.view(), e.view(), 2000, 9).unwrap();
        assert_eq!(a, shepard_correlation(x.view(), e.view(), 2000, 9).unwrap());
        assert_ne!(a, shepard_correlation(x.view(), e.view(), 2000, 10).unwrap());
        let all = 400 * 399 / 2;
        let b = shepard_correlation(x.view(), e.view(), all, 1).unwrap();
        assert_eq!(b, shepard_correlation(x.view(), e.view(), all + 5, 2).unwrap());
    }

    #[test]
    fn shepard_same_for_any_thread_count() {
        let x = fixtures::matrix("X");
        let e = fixtures::matrix("E_isomap");
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let a = one.install(|| shepard_correlation(x.view(), e.view(), 3000, 5).unwrap());
        let b = three.install(|| shepard_correlation(x.view(), e.view(), 3000, 5).unwrap());
        assert_eq!(a.to_bits(), b.to_bits());
    }

    #[test]
    fn max_pairs_too_small_is_a_param_error() {
        let x = fixtures::matrix("X");
        let e = shepard_correlation(x.view(), x.view(), 2, 0).unwrap_err();
        assert!(matches!(e, Error::Param { name: "max_pairs", .. }), "{e}");
    }

    #[test]
    fn too_few_points_is_a_data_error() {
        let x = array![[0.0], [1.0]];
        let e = shepard_correlation(x.view(), x.view(), 10, 0).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn collapsed_embedding_is_a_data_error() {
        let x = array![[0.0], [1.0], [3.0]];
        let e = shepard_correlation(x.view(), ndarray::Array2::zeros((3, 2)).view(), 10, 0).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
        assert!(e.to_string().contains("constant"), "{e}");
    }

    #[test]
    fn spearman_length_mismatch_is_a_data_error() {
        let e = spearman(&[1.0, 2.0, 3.0], &[1.0, 2.0]).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn spearman_too_short_is_a_data_error() {
        let e = spearman(&[1.0], &[1.0]).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn spearman_non_finite_is_a_data_error() {
        let e = spearman(&[1.0, f64::NAN, 3.0], &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn shepard_non_finite_is_a_data_error() {
        let x = array![[0.0], [1.0], [f64::NEG_INFINITY]];
        let e = shepard_correlation(x.view(), x.view(), 10, 0).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }
}
