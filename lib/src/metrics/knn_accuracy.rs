//! k-nearest-neighbour classification accuracy: how well labels can be read off an embedding.
//!
//! [`knn_classify`] predicts each test point's label by a majority vote among its
//! `k` nearest training points (euclidean); a tied vote goes to the tied label
//! whose nearest member is closest to the query, so with `k = 1` it is the
//! 1-NN rule. Neighbours at equal distance are taken in training-index order.
//!
//! [`knn_accuracy`] is the fraction of points whose label is predicted correctly
//! under stratified `folds`-fold cross-validation: each class is shuffled with
//! the seeded generator and its points are dealt to the folds in turn (the deal
//! continues from one class to the next), so every fold holds each class in
//! proportion and fold sizes differ by at most one. Each fold is classified by
//! the points of the other folds; the accuracy pools all `n` predictions. It is
//! the usual downstream check of an embedding (e.g. UMAP + kNN pipelines).
//!
//! **Reference.** T. Cover and P. Hart, "Nearest neighbor pattern classification",
//! IEEE Transactions on Information Theory 13(1), 1967, doi:10.1109/TIT.1967.1053964.
//!
//! **Cost.** [`knn_classify`]: O(m·n·d) time for `m` queries against `n` training
//! points; [`knn_accuracy`]: O(n²·d). Both are rayon-parallel over blocks of at
//! most 64 queries and hold one block's distances to all `n` points per thread
//! (≤ 8 MiB), never an n × n matrix. Deterministic for a seed at any thread count
//! (the folds are drawn sequentially; the count of hits is exact).
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let train = array![[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]];
//! let pred = knn_classify(train.view(), &[0, 0, 0, 1, 1, 1], array![[0.05], [4.9]].view(), 3)?;
//! assert_eq!(pred, vec![0, 1]);
//! let acc = knn_accuracy(train.view(), &[0, 0, 0, 1, 1, 1], 1, 3, 7)?;
//! assert_eq!(acc, 1.0);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::ArrayView2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::common::{block_rows, check_k, check_labels_len, check_matrix, compact_labels, knn_in_row, sq_dist_block, Scratch};
use crate::error::{Error, Result};

/// Fraction of `pred` equal to `truth`, position by position (classification accuracy).
///
/// ```
/// use lowdim::prelude::*;
/// assert_eq!(accuracy(&[0, 1, 2, 2], &[0, 1, 1, 2]).unwrap(), 0.75);
/// ```
pub fn accuracy(truth: &[usize], pred: &[usize]) -> Result<f64> {
    if truth.len() != pred.len() {
        return Err(Error::param(
            "pred",
            format!("of accuracy must have one label per entry of `truth` ({}); got {}", truth.len(), pred.len()),
        ));
    }
    if truth.is_empty() {
        return Err(Error::param("truth", "of accuracy must not be empty; got 0 labels"));
    }
    let hits = truth.iter().zip(pred).filter(|(t, p)| t == p).count();
    Ok(hits as f64 / truth.len() as f64)
}

/// Predicted labels of the rows of `test` by majority vote of their `k` nearest
/// rows of `train` (ties: the label of the nearest among the tied labels).
///
/// `train`: n × d and `test`: m × d, finite; `train_labels`: n labels (any values);
/// `k` in [1, n].
pub fn knn_classify(train: ArrayView2<f64>, train_labels: &[usize], test: ArrayView2<f64>, k: usize) -> Result<Vec<usize>> {
    const WHO: &str = "knn_classify";
    check_matrix(WHO, "train", train)?;
    check_labels_len(WHO, "train_labels", train_labels, train.nrows(), "row of `train`")?;
    check_k(WHO, k, train.nrows(), "n_train")?;
    if test.nrows() > 0 {
        check_matrix(WHO, "test", test)?;
    }
    if test.ncols() != train.ncols() {
        return Err(Error::data(format!("`test` of {WHO} must have as many columns as `train` ({}); got {}", train.ncols(), test.ncols())));
    }
    let (train, test) = (train.as_standard_layout(), test.as_standard_layout());
    let (n, m) = (train.nrows(), test.nrows());
    let block = block_rows(n);
    let per_block: Vec<Vec<usize>> = (0..m.div_ceil(block))
        .into_par_iter()
        .map_init(Scratch::default, |s, b| {
            let rows = b * block..((b + 1) * block).min(m);
            sq_dist_block(test.view(), rows.clone(), train.view(), &mut s.a);
            (0..rows.len())
                .map(|r| {
                    let nn = knn_in_row(&s.a[r * n..(r + 1) * n], |_| true, k, &mut s.pairs);
                    vote(nn.iter().map(|&(_, j)| train_labels[j]))
                })
                .collect()
        })
        .collect();
    Ok(per_block.into_iter().flatten().collect())
}

/// Stratified `folds`-fold cross-validated accuracy of the `k`-NN classifier on
/// `embedding` with `labels` (see the module docs), in [0, 1].
///
/// `embedding`: n × d, finite; `labels`: n labels (any values); `folds` in
/// [2, n]; `k` in [1, n − ⌈n / folds⌉] so that every training split has `k`
/// points; `seed` fixes the folds.
pub fn knn_accuracy(embedding: ArrayView2<f64>, labels: &[usize], k: usize, folds: usize, seed: u64) -> Result<f64> {
    const WHO: &str = "knn_accuracy";
    check_matrix(WHO, "embedding", embedding)?;
    let n = embedding.nrows();
    check_labels_len(WHO, "labels", labels, n, "row of `embedding`")?;
    if folds < 2 || folds > n {
        return Err(Error::param("folds", format!("of {WHO} must be in [2, n_samples = {n}]; got {folds}")));
    }
    let smallest_train = n - n.div_ceil(folds);
    if k == 0 || k > smallest_train {
        return Err(Error::param(
            "k",
            format!(
                "of {WHO} must be in [1, n_samples − ⌈n_samples / folds⌉ = {smallest_train}] so that every \
                 training split holds k points; got {k}"
            ),
        ));
    }
    let fold = stratified_folds(labels, folds, seed);
    let embedding = embedding.as_standard_layout();
    let block = block_rows(n);
    let hits: usize = (0..n.div_ceil(block))
        .into_par_iter()
        .map_init(Scratch::default, |s, b| {
            let rows = b * block..((b + 1) * block).min(n);
            sq_dist_block(embedding.view(), rows.clone(), embedding.view(), &mut s.a);
            rows.enumerate()
                .filter(|&(r, i)| {
                    let nn = knn_in_row(&s.a[r * n..(r + 1) * n], |j| fold[j] != fold[i], k, &mut s.pairs);
                    vote(nn.iter().map(|&(_, j)| labels[j])) == labels[i]
                })
                .count()
        })
        .sum();
    Ok(hits as f64 / n as f64)
}

/// Fold of every point: classes in increasing label order, each shuffled, dealt
/// round-robin to the folds with the deal running on across classes.
fn stratified_folds(labels: &[usize], folds: usize, seed: u64) -> Vec<usize> {
    let (codes, n_classes) = compact_labels(labels);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &c) in codes.iter().enumerate() {
        members[c].push(i);
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut fold = vec![0; labels.len()];
    let mut next = 0;
    for class in &mut members {
        class.shuffle(&mut rng);
        for &i in class.iter() {
            fold[i] = next % folds;
            next += 1;
        }
    }
    fold
}

/// Majority label among neighbour labels given nearest first; a tie goes to
/// the tied label that appears first.
fn vote(labels_nearest_first: impl Iterator<Item = usize>) -> usize {
    let mut counts: Vec<(usize, usize)> = Vec::new(); // (label, votes), in order of first appearance
    for l in labels_nearest_first {
        match counts.iter_mut().find(|(c, _)| *c == l) {
            Some(entry) => entry.1 += 1,
            None => counts.push((l, 1)),
        }
    }
    let best = counts.iter().map(|&(_, v)| v).max().unwrap_or(0);
    counts.iter().find(|&&(_, v)| v == best).map(|&(l, _)| l).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_checks_lengths() {
        assert!(matches!(accuracy(&[1, 2], &[1]), Err(Error::Param { name: "pred", .. })));
        assert!(matches!(accuracy(&[], &[]), Err(Error::Param { name: "truth", .. })));
        assert_eq!(accuracy(&[3, 3], &[3, 4]).unwrap(), 0.5);
    }
    use ndarray::{array, Array2};

    fn two_blobs() -> (Array2<f64>, Vec<usize>) {
        let mut x = Array2::zeros((40, 2));
        let mut y = vec![0; 40];
        for i in 0..40 {
            let c = i % 2;
            x[[i, 0]] = c as f64 * 10.0 + (i as f64 * 0.37).sin();
            x[[i, 1]] = (i as f64 * 0.91).cos();
            y[i] = c * 3 + 4; // labels 4 and 7
        }
        (x, y)
    }

    #[test]
    fn vote_ties_go_to_nearest_label() {
        assert_eq!(vote([2, 1, 1, 2].into_iter()), 2);
        assert_eq!(vote([2, 1, 1].into_iter()), 1);
        assert_eq!(vote([5].into_iter()), 5);
    }

    #[test]
    fn classify_tie_uses_nearest_neighbour() {
        let train = array![[0.0], [1.0], [-1.5], [2.0]];
        // k = 2 around 0.1: neighbours 0 (label 9) and 1 (label 3) tie 1–1 → label of nearest (9).
        let got = knn_classify(train.view(), &[9, 3, 3, 9], array![[0.1]].view(), 2).unwrap();
        assert_eq!(got, vec![9]);
    }

    #[test]
    fn separated_blobs_are_classified_perfectly() {
        let (x, y) = two_blobs();
        assert_eq!(knn_accuracy(x.view(), &y, 5, 5, 1).unwrap(), 1.0);
    }

    #[test]
    fn random_labels_give_chance_accuracy() {
        let (x, _) = two_blobs();
        let y: Vec<usize> = (0..40).map(|i| (i * 7 / 3) % 2).collect();
        let acc = knn_accuracy(x.view(), &y, 3, 4, 0).unwrap();
        assert!(acc < 0.8, "{acc}");
    }

    #[test]
    fn folds_are_stratified_and_seeded() {
        let y: Vec<usize> = (0..30).map(|i| usize::from(i >= 20)).collect();
        let f = stratified_folds(&y, 5, 3);
        assert_eq!(f, stratified_folds(&y, 5, 3));
        assert_ne!(f, stratified_folds(&y, 5, 4));
        for fold in 0..5 {
            let size = f.iter().filter(|&&g| g == fold).count();
            let ones = (0..30).filter(|&i| f[i] == fold && y[i] == 1).count();
            assert_eq!(size, 6);
            assert_eq!(ones, 2);
        }
    }

    #[test]
    fn same_result_for_any_thread_count() {
        let (x, _) = two_blobs();
        let y: Vec<usize> = (0..40).map(|i| (i * 7 / 3) % 3).collect();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let a = one.install(|| knn_accuracy(x.view(), &y, 4, 3, 11).unwrap());
        let b = three.install(|| knn_accuracy(x.view(), &y, 4, 3, 11).unwrap());
        assert_eq!(a.to_bits(), b.to_bits());
    }

    #[test]
    fn k_zero_is_a_param_error() {
        let (x, y) = two_blobs();
        let e = knn_accuracy(x.view(), &y, 0, 5, 0).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
        let e = knn_classify(x.view(), &y, x.view(), 0).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
    }

    #[test]
    fn k_larger_than_training_split_is_a_param_error() {
        let (x, y) = two_blobs();
        let e = knn_accuracy(x.view(), &y, 33, 5, 0).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
        assert!(e.to_string().contains("= 32]"), "{e}");
        let e = knn_classify(x.view(), &y, x.view(), 41).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
    }

    #[test]
    fn folds_out_of_range_is_a_param_error() {
        let (x, y) = two_blobs();
        let e = knn_accuracy(x.view(), &y, 1, 1, 0).unwrap_err();
        assert!(matches!(e, Error::Param { name: "folds", .. }), "{e}");
        let e = knn_accuracy(x.view(), &y, 1, 41, 0).unwrap_err();
        assert!(matches!(e, Error::Param { name: "folds", .. }), "{e}");
    }

    #[test]
    fn label_length_mismatch_is_a_data_error() {
        let (x, y) = two_blobs();
        let e = knn_accuracy(x.view(), &y[..39], 1, 5, 0).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
        let e = knn_classify(x.view(), &y[..39], x.view(), 1).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn width_mismatch_is_a_data_error() {
        let (x, y) = two_blobs();
        let e = knn_classify(x.view(), &y, array![[1.0, 2.0, 3.0]].view(), 1).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn non_finite_is_a_data_error() {
        let (mut x, y) = two_blobs();
        let e = knn_classify(x.view(), &y, array![[f64::INFINITY, 0.0]].view(), 1).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
        x[[3, 1]] = f64::NAN;
        let e = knn_accuracy(x.view(), &y, 1, 5, 0).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }
}
