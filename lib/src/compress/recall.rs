//! Recall@k of retrieval on compressed vectors: the share of the exact top-k
//! (by float similarity on the original vectors) that retrieval on the
//! compressed vectors also returns in its top k.
//!
//! This is the retrieval-quality measure the compression table reports; the
//! RAG storage paper measures nDCG@10 on MTEB, which needs relevance labels
//! that synthetic embeddings do not have, so agreement with exact retrieval
//! stands in for it.
//!
//! Cost: `O(n_queries · n_corpus · d)` time (one dense similarity row per
//! query, in parallel over queries), `O(n_queries · k)` memory for the results.
//! Ties are broken by the lower corpus index, so results do not depend on the
//! thread count.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let corpus = array![[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]];
//! let queries = array![[1.0, 0.1]];
//! let top = top_k(corpus.view(), queries.view(), 2, Similarity::Cosine)?;
//! assert_eq!(top.dim(), (1, 2));
//! assert_eq!(top.row(0).to_vec(), vec![0, 2]);
//! let r = recall_at_k(corpus.view(), queries.view(), corpus.view(), queries.view(), 2, Similarity::Dot)?;
//! assert_eq!(r, 1.0);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};

/// How retrieval scores a corpus vector against a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Similarity {
    /// Cosine similarity (rows are L2-normalised first; a zero row scores 0).
    Cosine,
    /// Inner product.
    Dot,
}

/// Indices of the `k` most similar corpus rows for every query (`n_queries × k`,
/// best first).
pub fn top_k(corpus: ArrayView2<f64>, queries: ArrayView2<f64>, k: usize, similarity: Similarity) -> Result<Array2<usize>> {
    check_pair(corpus, queries, "corpus", "queries")?;
    if k == 0 || k > corpus.nrows() {
        return Err(Error::param("k", format!("of top_k must be in [1, n_corpus = {}]; got {k}", corpus.nrows())));
    }
    let (c, q) = match similarity {
        Similarity::Cosine => (normalised(corpus), normalised(queries)),
        Similarity::Dot => (corpus.to_owned(), queries.to_owned()),
    };
    let rows: Vec<Vec<usize>> = (0..q.nrows())
        .into_par_iter()
        .map(|i| {
            let scores = c.dot(&q.row(i));
            let mut order: Vec<usize> = (0..scores.len()).collect();
            let cmp = |a: &usize, b: &usize| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b));
            order.select_nth_unstable_by(k - 1, cmp);
            order.truncate(k);
            order.sort_by(cmp);
            order
        })
        .collect();
    Ok(Array2::from_shape_fn((q.nrows(), k), |(i, j)| rows[i][j]))
}

/// Mean over queries of |exact top-k ∩ approximate top-k| / k, where the exact
/// top-k ranks `corpus` against `queries` and the approximate one ranks
/// `corpus_approx` against `queries_approx` (the same rows after compression;
/// the dimension may differ, e.g. after PCA).
pub fn recall_at_k(
    corpus: ArrayView2<f64>,
    queries: ArrayView2<f64>,
    corpus_approx: ArrayView2<f64>,
    queries_approx: ArrayView2<f64>,
    k: usize,
    similarity: Similarity,
) -> Result<f64> {
    check_pair(corpus_approx, queries_approx, "corpus_approx", "queries_approx")?;
    if corpus_approx.nrows() != corpus.nrows() || queries_approx.nrows() != queries.nrows() {
        return Err(Error::param(
            "corpus_approx",
            format!(
                "and queries_approx must have the rows of corpus and queries ({} and {}); got {} and {}",
                corpus.nrows(),
                queries.nrows(),
                corpus_approx.nrows(),
                queries_approx.nrows()
            ),
        ));
    }
    let exact = top_k(corpus, queries, k, similarity)?;
    let approx = top_k(corpus_approx, queries_approx, k, similarity)?;
    Ok(overlap(&exact, &approx))
}

/// Mean share of each row of `exact` found in the same row of `approx`.
pub(crate) fn overlap(exact: &Array2<usize>, approx: &Array2<usize>) -> f64 {
    let k = exact.ncols() as f64;
    let hits: usize =
        exact.outer_iter().zip(approx.outer_iter()).map(|(e, a)| e.iter().filter(|i| a.iter().any(|j| j == *i)).count()).sum();
    hits as f64 / (k * exact.nrows() as f64)
}

fn normalised(x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = x.to_owned();
    for mut row in out.outer_iter_mut() {
        let norm = row.dot(&row).sqrt();
        if norm > 0.0 {
            row /= norm;
        }
    }
    out
}

fn check_pair(corpus: ArrayView2<f64>, queries: ArrayView2<f64>, cname: &'static str, qname: &'static str) -> Result<()> {
    if corpus.nrows() == 0 || corpus.ncols() == 0 {
        return Err(Error::param(cname, format!("must be a non-empty n × dim matrix; got {:?}", corpus.dim())));
    }
    if queries.nrows() == 0 {
        return Err(Error::param(qname, "must hold at least one row; got 0"));
    }
    if queries.ncols() != corpus.ncols() {
        return Err(Error::param(qname, format!("must have dim = {} columns like {cname}; got {}", corpus.ncols(), queries.ncols())));
    }
    check_finite(cname, &corpus)?;
    check_finite(qname, &queries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn recall_counts_the_overlap() {
        let corpus = array![[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]];
        let q = array![[1.0, 0.0], [0.0, 1.0]];
        // Swapping the first axis sign of the approximation breaks the first query only.
        let approx = array![[-1.0, 0.0], [-0.9, 0.1], [0.0, 1.0], [1.0, 0.0]];
        let r = recall_at_k(corpus.view(), q.view(), approx.view(), q.view(), 2, Similarity::Dot).unwrap();
        let e = top_k(corpus.view(), q.view(), 2, Similarity::Dot).unwrap();
        let a = top_k(approx.view(), q.view(), 2, Similarity::Dot).unwrap();
        assert_eq!(e.row(0).to_vec(), vec![0, 1]);
        assert_eq!(a.row(0).to_vec(), vec![3, 2]);
        assert_eq!(r, overlap(&e, &a));
        assert!(r < 1.0);
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        let corpus = array![[1.0], [1.0], [1.0]];
        let top = top_k(corpus.view(), array![[1.0]].view(), 2, Similarity::Dot).unwrap();
        assert_eq!(top.row(0).to_vec(), vec![0, 1]);
    }

    #[test]
    fn bad_input() {
        let c = array![[1.0, 0.0]];
        assert!(matches!(top_k(c.view(), c.view(), 2, Similarity::Dot), Err(Error::Param { name: "k", .. })));
        assert!(matches!(top_k(c.view(), array![[1.0]].view(), 1, Similarity::Dot), Err(Error::Param { name: "queries", .. })));
        let empty = Array2::<f64>::zeros((0, 2));
        assert!(matches!(top_k(empty.view(), c.view(), 1, Similarity::Dot), Err(Error::Param { name: "corpus", .. })));
        assert!(matches!(top_k(array![[f64::NAN, 0.0]].view(), c.view(), 1, Similarity::Dot), Err(Error::Data(_))));
        let two = array![[1.0, 0.0], [0.0, 1.0]];
        assert!(matches!(
            recall_at_k(two.view(), c.view(), c.view(), c.view(), 1, Similarity::Dot),
            Err(Error::Param { name: "corpus_approx", .. })
        ));
    }
}
