//! Neighbourhood preservation: the mean fraction of shared k nearest neighbours.
//!
//! ```text
//! NP(k) = 1/(n·k) · Σ_i |N_i^k(x) ∩ N_i^k(embedding)|
//! ```
//!
//! where `N_i^k(·)` are the `k` nearest other points of `i` (euclidean, ties by
//! index). 1 means every point keeps all its `k` neighbours; a random embedding
//! scores about `k / (n − 1)`. Unlike trustworthiness it ignores *how far* a
//! lost neighbour moved, and it is symmetric in the two spaces.
//!
//! **Reference.** J. A. Lee and M. Verleysen, "Quality assessment of dimensionality
//! reduction: Rank-based criteria", Neurocomputing 72(7–9), 2009, pp. 1431–1443,
//! doi:10.1016/j.neucom.2008.12.017 (the `Q_NX(K)` curve at one `K`).
//!
//! **Cost.** Time O(n²·(d + d′)), rayon-parallel over blocks of at most 64
//! points; memory O(n·block) per thread (≈ 2 × 8 MiB), never an n × n matrix.
//! The count of shared neighbours is exact, so the result does not depend on
//! the thread count.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let x = array![[0.0, 0.0], [1.0, 0.1], [2.0, 0.0], [3.0, 0.1]];
//! let e = x.slice(s![.., 0..1]).to_owned();
//! assert_eq!(neighborhood_preservation(x.view(), e.view(), 1)?, 1.0);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::common::{block_rows, check_k, check_pair, knn_in_row, sq_dist_block, Scratch};
use crate::error::Result;

/// Mean fraction of each point's `k` nearest neighbours in `x` that are also
/// among its `k` nearest neighbours in `embedding`, in [0, 1].
///
/// `x`: n × d, `embedding`: n × d′, both finite; `k` in [1, n − 1].
pub fn neighborhood_preservation(x: ArrayView2<f64>, embedding: ArrayView2<f64>, k: usize) -> Result<f64> {
    const WHO: &str = "neighborhood_preservation";
    let n = check_pair(WHO, x, embedding)?;
    check_k(WHO, k, n - 1, "n_samples − 1")?;
    let (x, embedding) = (x.as_standard_layout(), embedding.as_standard_layout());
    let block = block_rows(n);
    let shared: usize = (0..n.div_ceil(block))
        .into_par_iter()
        .map_init(Scratch::default, |s, b| {
            let rows = b * block..((b + 1) * block).min(n);
            sq_dist_block(x.view(), rows.clone(), x.view(), &mut s.a);
            sq_dist_block(embedding.view(), rows.clone(), embedding.view(), &mut s.b);
            rows.enumerate()
                .map(|(r, i)| {
                    let mut a: Vec<usize> =
                        knn_in_row(&s.a[r * n..(r + 1) * n], |j| j != i, k, &mut s.pairs).into_iter().map(|p| p.1).collect();
                    let b = knn_in_row(&s.b[r * n..(r + 1) * n], |j| j != i, k, &mut s.pairs);
                    a.sort_unstable();
                    b.iter().filter(|p| a.binary_search(&p.1).is_ok()).count()
                })
                .sum::<usize>()
        })
        .sum();
    Ok(shared as f64 / (n * k) as f64)
}

#[cfg(test)]
mod tests {
    use super::super::common::fixtures;
    use super::*;
    use crate::error::Error;
    use ndarray::{array, s};

    #[test]
    fn identical_spaces_preserve_everything() {
        let x = fixtures::matrix("X");
        assert_eq!(neighborhood_preservation(x.view(), x.view(), 10).unwrap(), 1.0);
    }

    #[test]
    fn counts_shared_neighbours() {
        // Point 0's nearest is 1 in x but 2 in the embedding; others keep theirs.
        let x = array![[0.0], [1.0], [3.0], [10.0]];
        let e = array![[0.0], [-1.5], [1.0], [10.0]];
        let np = neighborhood_preservation(x.view(), e.view(), 1).unwrap();
        // x: 0→1, 1→0, 2→1, 3→2;  e: 0→2, 1→0, 2→0, 3→2
        assert_eq!(np, 2.0 / 4.0);
    }

    #[test]
    fn random_embedding_is_poor_and_pca_good() {
        let x = fixtures::matrix("X");
        let r = neighborhood_preservation(x.view(), fixtures::matrix("E_random").view(), 10).unwrap();
        let p = neighborhood_preservation(x.view(), fixtures::matrix("E_pca").view(), 10).unwrap();
        assert!(r < 0.1 && p > 0.3, "random {r}, pca {p}");
    }

    #[test]
    fn k_out_of_range_is_a_param_error() {
        let x = array![[0.0], [1.0], [3.0]];
        for k in [0, 3] {
            let e = neighborhood_preservation(x.view(), x.view(), k).unwrap_err();
            assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
        }
    }

    #[test]
    fn row_mismatch_is_a_data_error() {
        let x = array![[0.0], [1.0], [3.0]];
        let e = neighborhood_preservation(x.view(), x.slice(s![..2, ..]), 1).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn non_finite_is_a_data_error() {
        let x = array![[0.0], [1.0], [3.0]];
        let e = neighborhood_preservation(x.view(), array![[0.0], [f64::NAN], [1.0]].view(), 1).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }
}
