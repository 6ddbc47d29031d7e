//! Trustworthiness and continuity: how well an embedding keeps local neighbourhoods.
//!
//! With `n` points, `k` neighbours, `N_i^k` the `k` nearest neighbours of point `i`
//! in the embedding and `r(i, j)` the rank of `j` among the neighbours of `i` in
//! the input space (1 = nearest, the point itself excluded),
//!
//! ```text
//! T(k) = 1 − 2 / (n·k·(2n − 3k − 1)) · Σ_i Σ_{j ∈ N_i^k} max(0, r(i, j) − k)
//! ```
//!
//! Trustworthiness penalises points that are close in the embedding but far in
//! the input space (false neighbours); continuity `C(k)` is the same sum with the
//! two spaces swapped and penalises neighbours the embedding tore apart. Both
//! lie in [0, 1] when `k < n / 2`, with 1 meaning perfectly kept neighbourhoods.
//! The definition and the normalisation are scikit-learn's
//! (`sklearn.manifold.trustworthiness`); distances are euclidean.
//!
//! Ties are broken by index, as a stable sort of the distance matrix would: a
//! point at the same distance as another ranks after it when its index is
//! larger. scikit-learn's `argsort` is not stable, so the two can differ only
//! when the data hold exactly tied distances (duplicated points, grids).
//!
//! **Reference.** J. Venna and S. Kaski, "Neighborhood Preservation in Nonlinear
//! Projection Methods: An Experimental Study", ICANN 2001, LNCS 2130, pp. 485–491,
//! doi:10.1007/3-540-44668-0_68.
//!
//! **Cost.** Time O(n²·(d + d′)) for `d` input and `d′` embedding dimensions,
//! rayon-parallel over blocks of points. No n × n matrix is formed: each thread
//! holds the distances of one block of at most 64 points to all n points
//! (≈ 2 × 8 MiB), so memory is O(n·block) and there is no size limit beyond
//! time, which grows as n²: n = 20 000, d = 50, d′ = 2 takes under 20 s on one
//! core. The result is an exact integer sum scaled once, identical for any
//! thread count.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let x = array![[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0], [5.0, 0.0]];
//! let e = x.slice(s![.., 0..1]).to_owned();
//! let t = trustworthiness(x.view(), e.view(), 2)?;
//! assert!((t - 1.0).abs() < 1e-12);
//! assert!((continuity(x.view(), e.view(), 2)? - 1.0).abs() < 1e-12);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::common::{block_rows, by_dist_then_index, check_pair, knn_in_row, sq_dist_block, Scratch};
use crate::error::{Error, Result};

/// Trustworthiness of `embedding` as a view of `x` at `k` neighbours (see the
/// module docs): 1 when every embedding neighbour is also an input neighbour.
///
/// `x`: n × d, `embedding`: n × d′, both finite; `k` must be in [1, n / 2).
pub fn trustworthiness(x: ArrayView2<f64>, embedding: ArrayView2<f64>, k: usize) -> Result<f64> {
    let n = check_pair("trustworthiness", x, embedding)?;
    check_k_half("trustworthiness", k, n)?;
    Ok(normalise(rank_penalty(x, embedding, k), n, k))
}

/// Continuity of `embedding` as a view of `x` at `k` neighbours (see the module
/// docs): 1 when every input neighbour is also an embedding neighbour. Equals
/// `trustworthiness(embedding, x, k)`.
///
/// `x`: n × d, `embedding`: n × d′, both finite; `k` must be in [1, n / 2).
pub fn continuity(x: ArrayView2<f64>, embedding: ArrayView2<f64>, k: usize) -> Result<f64> {
    let n = check_pair("continuity", x, embedding)?;
    check_k_half("continuity", k, n)?;
    Ok(normalise(rank_penalty(embedding, x, k), n, k))
}

fn check_k_half(who: &str, k: usize, n: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::param("k", format!("of {who} must be ≥ 1; got 0")));
    }
    if 2 * k >= n {
        return Err(Error::param("k", format!("of {who} must be < n_samples / 2 = {}; got {k}", n as f64 / 2.0)));
    }
    Ok(())
}

fn normalise(penalty: u64, n: usize, k: usize) -> f64 {
    let (nf, kf) = (n as f64, k as f64);
    1.0 - penalty as f64 * (2.0 / ((n * k) as f64 * (2.0 * nf - 3.0 * kf - 1.0)))
}

/// Σ_i Σ_{j ∈ kNN_i(neighbour_space)} max(0, r_i(j) − k), with `r_i(j)` the rank of
/// `j` by distance to `i` in `rank_space` (1-based, `i` excluded, ties by index).
fn rank_penalty(rank_space: ArrayView2<f64>, neighbour_space: ArrayView2<f64>, k: usize) -> u64 {
    let rank_space = rank_space.as_standard_layout();
    let neighbour_space = neighbour_space.as_standard_layout();
    let n = rank_space.nrows();
    let block = block_rows(n);
    (0..n.div_ceil(block))
        .into_par_iter()
        .map_init(Scratch::default, |s, b| {
            let rows = b * block..((b + 1) * block).min(n);
            sq_dist_block(rank_space.view(), rows.clone(), rank_space.view(), &mut s.a);
            sq_dist_block(neighbour_space.view(), rows.clone(), neighbour_space.view(), &mut s.b);
            let mut below = Vec::with_capacity(k + 1);
            rows.enumerate()
                .map(|(r, i)| {
                    let here = &s.a[r * n..(r + 1) * n];
                    let there = &s.b[r * n..(r + 1) * n];
                    // Targets: i's neighbours in the other space, keyed by their distance here.
                    let mut targets: Vec<(f64, usize)> =
                        knn_in_row(there, |j| j != i, k, &mut s.pairs).into_iter().map(|(_, j)| (here[j], j)).collect();
                    targets.sort_unstable_by(by_dist_then_index);
                    // below[p] = #points with exactly p targets at or before them in (distance, index) order.
                    below.clear();
                    below.resize(targets.len() + 1, 0u64);
                    let farthest = targets.last().map_or(f64::NEG_INFINITY, |t| t.0);
                    for (l, &d) in here.iter().enumerate() {
                        // Points beyond every target (most of them) count for none.
                        if l != i && d <= farthest {
                            let key = (d, l);
                            below[targets.partition_point(|t| by_dist_then_index(t, &key).is_le())] += 1;
                        }
                    }
                    // rank of target m = 1 + #points with a smaller key = 1 + Σ_{p ≤ m} below[p].
                    let mut closer = 0u64;
                    let mut penalty = 0u64;
                    for &count in below.iter().take(targets.len()) {
                        closer += count;
                        penalty += (closer + 1).saturating_sub(k as u64);
                    }
                    penalty
                })
                .sum::<u64>()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::common::fixtures;
    use super::super::common::sq_dist;
    use super::*;
    use ndarray::{array, s, Array2};

    /// scikit-learn 1.9.1 `trustworthiness(X, E, n_neighbors=k)` (golden manifest).
    const GOLDEN: [(&str, usize, f64); 6] = [
        ("E_pca", 5, 0.9500803571428571),
        ("E_pca", 10, 0.9420318595578674),
        ("E_random", 5, 0.5051301020408163),
        ("E_random", 10, 0.5081684005201561),
        ("E_isomap", 5, 0.9096313775510204),
        ("E_isomap", 10, 0.8974096228868661),
    ];

    #[test]
    fn matches_scikit_learn_golden() {
        let x = fixtures::matrix("X");
        for (name, k, want) in GOLDEN {
            let e = fixtures::matrix(name);
            let got = trustworthiness(x.view(), e.view(), k).unwrap();
            assert!((got - want).abs() < 1e-9, "{name} k={k}: ours {got}, scikit-learn {want}");
        }
    }

    /// Direct transcription of the definition with a full rank table.
    fn naive(x: ArrayView2<f64>, e: ArrayView2<f64>, k: usize) -> f64 {
        let n = x.nrows();
        let mut sum = 0.0;
        for i in 0..n {
            let mut order: Vec<(f64, usize)> = (0..n).filter(|&j| j != i).map(|j| (sq_dist(x.row(i), x.row(j)), j)).collect();
            order.sort_by(by_dist_then_index);
            let mut rank = vec![0usize; n];
            for (r, &(_, j)) in order.iter().enumerate() {
                rank[j] = r + 1;
            }
            let mut emb: Vec<(f64, usize)> = (0..n).filter(|&j| j != i).map(|j| (sq_dist(e.row(i), e.row(j)), j)).collect();
            emb.sort_by(by_dist_then_index);
            for &(_, j) in &emb[..k] {
                sum += (rank[j] as f64 - k as f64).max(0.0);
            }
        }
        let nf = n as f64;
        let kf = k as f64;
        1.0 - sum * 2.0 / (nf * kf * (2.0 * nf - 3.0 * kf - 1.0))
    }

    #[test]
    fn agrees_with_naive_definition_including_ties() {
        // A grid has many exactly tied distances.
        let mut x = Array2::zeros((30, 3));
        for i in 0..30 {
            x[[i, 0]] = (i % 5) as f64;
            x[[i, 1]] = (i / 5) as f64;
            x[[i, 2]] = ((i * 7) % 3) as f64;
        }
        let e = x.slice(s![.., 0..2]).to_owned();
        for k in [1, 3, 7, 14] {
            let t = trustworthiness(x.view(), e.view(), k).unwrap();
            assert!((t - naive(x.view(), e.view(), k)).abs() < 1e-12);
            let c = continuity(x.view(), e.view(), k).unwrap();
            assert!((c - naive(e.view(), x.view(), k)).abs() < 1e-12);
        }
    }

    #[test]
    fn continuity_is_trustworthiness_with_spaces_swapped() {
        let x = fixtures::matrix("X");
        let e = fixtures::matrix("E_isomap");
        let c = continuity(x.view(), e.view(), 7).unwrap();
        let t = trustworthiness(e.view(), x.view(), 7).unwrap();
        assert_eq!(c, t);
    }

    #[test]
    fn same_result_for_any_thread_count() {
        let x = fixtures::matrix("X");
        let e = fixtures::matrix("E_random");
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let a = one.install(|| trustworthiness(x.view(), e.view(), 10).unwrap());
        let b = three.install(|| trustworthiness(x.view(), e.view(), 10).unwrap());
        assert_eq!(a.to_bits(), b.to_bits());
    }

    #[test]
    fn k_zero_is_a_param_error() {
        let x = fixtures::matrix("X");
        let e = trustworthiness(x.view(), x.view(), 0).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
    }

    #[test]
    fn k_of_half_n_is_a_param_error() {
        let x = fixtures::matrix("X");
        let e = trustworthiness(x.view(), x.view(), 200).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
        assert!(e.to_string().contains("n_samples / 2 = 200; got 200"), "{e}");
        let e = continuity(x.view(), x.view(), 250).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
    }

    #[test]
    fn row_mismatch_is_a_data_error() {
        let x = fixtures::matrix("X");
        let e = fixtures::matrix("E_pca");
        let err = trustworthiness(x.view(), e.slice(s![..399, ..]), 5).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
        assert!(err.to_string().contains("got 399 rows"), "{err}");
    }

    #[test]
    fn non_finite_is_a_data_error() {
        let x = array![[0.0], [1.0], [f64::NAN], [3.0], [4.0]];
        let err = trustworthiness(x.view(), x.view(), 1).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
        let err = continuity(x.view(), x.view(), 1).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
    }

    #[test]
    fn empty_input_is_a_data_error() {
        let x = Array2::<f64>::zeros((0, 2));
        let err = trustworthiness(x.view(), x.view(), 1).unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
    }
}
