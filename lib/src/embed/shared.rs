//! What the classical manifold learners (classical MDS, Isomap, spectral
//! embedding, LLE, kernel PCA) share: input checks, the targets a fit keeps
//! for colouring, the embedding scatter, kernel centring, the top eigenpairs of
//! a centred kernel as scikit-learn's `KernelPCA` takes them.

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewMut2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};
use crate::estimator::TargetValues;
use crate::linalg::dense_top_eigenpairs;
use crate::plot::{scatter, Color, Figure};

/// Fails unless `x` has at least `min_rows` rows, one column, only finite
/// entries, and (when given) one target per row.
pub(crate) fn check_records(who: &str, x: ArrayView2<f64>, min_rows: usize, coloring: &TargetValues) -> Result<()> {
    let (n, d) = x.dim();
    if n < min_rows || d == 0 {
        return Err(Error::data(format!(
            "{who} needs an n_samples × n_features matrix with n_samples ≥ {min_rows} and n_features ≥ 1; got {n} × {d}"
        )));
    }
    check_finite(&format!("X of {who}"), &x)?;
    coloring.check_len(n)
}

/// Checks `1 ≤ n_components < n_samples` (the eigenproblem needs room).
pub(crate) fn check_components(who: &str, n_components: usize, n: usize) -> Result<()> {
    if n_components == 0 || n_components >= n {
        return Err(Error::param("n_components", format!("of {who} must be in [1, n_samples = {n}); got {n_components}")));
    }
    Ok(())
}

/// Checks `lo ≤ k < n_samples` for a neighbour count.
pub(crate) fn check_neighbors(who: &str, k: usize, lo: usize, n: usize) -> Result<()> {
    if k < lo || k >= n {
        return Err(Error::param(
            "n_neighbors",
            format!("of {who} must be in [{lo}, n_samples = {n}); got {k}; lower n_neighbors or add points"),
        ));
    }
    Ok(())
}

/// Runs `f(i, row)` on every row of `a` in parallel (rows of a standard-layout copy if `a` is not one).
pub(crate) fn par_rows_mut(a: &mut Array2<f64>, f: impl Fn(usize, &mut [f64]) + Sync + Send) {
    use rayon::prelude::*;
    let ncols = a.ncols().max(1);
    if a.as_slice_mut().is_none() {
        *a = a.as_standard_layout().into_owned();
    }
    if let Some(flat) = a.as_slice_mut() {
        flat.par_chunks_mut(ncols).enumerate().for_each(|(i, row)| f(i, row));
    }
}

/// The rbf kernel `exp(−γ‖aᵢ − bⱼ‖²)` of the rows of `a` against the rows of
/// `b` (`None`: `a` against itself, with exactly 1 on the diagonal), from
/// matrix products as scikit-learn's `rbf_kernel` computes it: `‖a‖² + ‖b‖² −
/// 2⟨a, b⟩`, clipped at 0 against rounding. Each block of rows takes its
/// product and its exponentials in one parallel task, while the block is in
/// cache; one product of the whole matrix ran on one thread and wrote it to
/// memory twice.
pub(crate) fn rbf_kernel(a: ArrayView2<f64>, b: Option<ArrayView2<f64>>, gamma: f64) -> Array2<f64> {
    use rayon::prelude::*;
    const ROWS: usize = 32;
    let same = b.is_none();
    let b = b.as_ref().map_or_else(|| a.view(), |b| b.view());
    let norms = |x: ArrayView2<f64>| -> Vec<f64> { x.outer_iter().map(|r| r.dot(&r)).collect() };
    let (na, nb) = (norms(a), norms(b.view()));
    let (m, n) = (a.nrows(), b.nrows());
    let mut k = Array2::<f64>::zeros((m, n));
    if let Some(flat) = k.as_slice_mut().filter(|_| n > 0) {
        flat.par_chunks_mut(ROWS * n).enumerate().for_each(|(block, chunk)| {
            let first = block * ROWS;
            let rows = chunk.len() / n;
            let Ok(mut out) = ArrayViewMut2::from_shape((rows, n), chunk) else { return };
            general_mat_mul(1.0, &a.slice(s![first..first + rows, ..]), &b.t(), 0.0, &mut out);
            for (r, mut row) in out.outer_iter_mut().enumerate() {
                let i = first + r;
                for (j, v) in row.iter_mut().enumerate() {
                    let d2 = if same && i == j { 0.0 } else { (na[i] + nb[j] - 2.0 * *v).max(0.0) };
                    *v = (-gamma * d2).exp();
                }
            }
        });
    }
    k
}

/// All pairwise distances of the rows of `x` under `metric` (`n × n`, exactly
/// symmetric, zero diagonal), row-parallel.
pub(crate) fn pairwise_distances(x: ArrayView2<f64>, metric: crate::neighbors::Metric, who: &str) -> Result<Array2<f64>> {
    use rayon::prelude::*;
    let data = metric.prepare(x, &format!("X of {who}"))?;
    let n = data.nrows();
    let rows: Vec<Vec<f64>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let a = data.row(i);
            let a = a.as_slice().unwrap_or(&[]);
            (0..i).map(|j| metric.to_distance(metric.surrogate(a, data.row(j).as_slice().unwrap_or(&[])))).collect()
        })
        .collect();
    let mut d = Array2::<f64>::zeros((n, n));
    for (i, row) in rows.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            d[[i, j]] = v;
            d[[j, i]] = v;
        }
    }
    Ok(d)
}

/// Makes the largest-magnitude entry of each column positive (the first on
/// ties): scikit-learn's `svd_flip(u, None)`, so results do not depend on the
/// solver's sign convention.
pub(crate) fn flip_signs(v: &mut Array2<f64>) {
    for mut col in v.columns_mut() {
        let pivot = col.iter().copied().fold(0.0f64, |best, x| if x.abs() > best.abs() { x } else { best });
        if pivot < 0.0 {
            col.mapv_inplace(|x| -x);
        }
    }
}

/// The statistics scikit-learn's `KernelCenterer` keeps: the column means of
/// the training kernel and their mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct KernelCentring {
    col_means: Array1<f64>,
    all_mean: f64,
}

impl KernelCentring {
    /// Fits on the square training kernel and centres it in place:
    /// `K − 1ₙK/n − K1ₙ/n + 1ₙK1ₙ/n²`.
    pub(crate) fn fit_centre(k: &mut Array2<f64>) -> Self {
        let col_means = k.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(k.ncols()));
        let all_mean = col_means.mean().unwrap_or(0.0);
        let centring = KernelCentring { col_means, all_mean };
        centring.centre(k);
        centring
    }

    /// Centres kernel rows against the training points (`m × n_train`) with
    /// the training statistics, in place; each row is read for its mean and
    /// updated while in cache, rows in parallel.
    pub(crate) fn centre(&self, k: &mut Array2<f64>) {
        let n = k.ncols().max(1) as f64;
        par_rows_mut(k, |_, row| {
            let rm = row.iter().sum::<f64>() / n;
            row.iter_mut().zip(self.col_means.iter()).for_each(|(x, cm)| *x += self.all_mean - cm - rm);
        });
    }
}

/// The top `n_components` eigenpairs of a centred kernel as scikit-learn's
/// `KernelPCA` keeps them: eigenvalues descending, tiny negatives and
/// positives below `1e-12·λ₁` set to zero, significant negatives an error;
/// eigenvectors sign-flipped (largest entry positive).
pub(crate) fn kernel_eigen(who: &str, k: &Array2<f64>, n_components: usize, seed: u64) -> Result<(Vec<f64>, Array2<f64>)> {
    let (mut values, mut vectors) = dense_top_eigenpairs(k, n_components, seed);
    if values.iter().chain(vectors.iter()).any(|v| !v.is_finite()) {
        return Err(Error::data(format!("the eigensolver of {who} did not converge to finite values")));
    }
    let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top < 0.0 {
        return Err(Error::data(format!(
            "every eigenvalue of the centred kernel of {who} is negative (largest {top:e}): the kernel is not positive semi-definite"
        )));
    }
    for v in values.iter_mut() {
        if *v < 0.0 && -*v > 5e-3 * top {
            return Err(Error::data(format!(
                "the centred kernel of {who} has a significant negative eigenvalue {v:e} among its top {n_components} \
                 (largest {top:e}): it is far from positive semi-definite; ask for fewer components"
            )));
        }
        if *v < 1e-12 * top {
            *v = 0.0;
        }
    }
    flip_signs(&mut vectors);
    Ok((values, vectors))
}

/// `vectors · diag(√values)`: the training embedding of a kernel eigenproblem.
pub(crate) fn scale_by_root(values: &[f64], vectors: &Array2<f64>) -> Array2<f64> {
    let mut e = vectors.clone();
    for (mut col, v) in e.columns_mut().into_iter().zip(values) {
        col *= v.max(0.0).sqrt();
    }
    e
}

/// New points from their centred kernel rows: `K_c · α / √λ` (zero columns
/// for zero eigenvalues), scikit-learn's `KernelPCA.transform`.
pub(crate) fn project_centred(k: &Array2<f64>, values: &[f64], vectors: &Array2<f64>) -> Array2<f64> {
    let mut alphas = vectors.clone();
    for (mut col, &v) in alphas.columns_mut().into_iter().zip(values) {
        if v > 0.0 {
            col /= v.sqrt();
        } else {
            col.fill(0.0);
        }
    }
    k.dot(&alphas)
}

/// A scatter of an embedding: 2-D or 3-D as fitted, the first two coordinates
/// past 3, a line against zero for 1-D; coloured by the fit's targets (class
/// labels, unlabelled points as "unlabelled", or values on a colour scale).
pub(crate) fn embedding_figure(embedding: &Array2<f64>, targets: &TargetValues, title: &str, axis: &str) -> Result<Figure> {
    let (n, dim) = embedding.dim();
    let points: Array2<f64> = match dim {
        1 => Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { embedding[[i, 0]] } else { 0.0 }),
        2 | 3 => embedding.clone(),
        _ => embedding.slice(ndarray::s![.., ..2]).to_owned(),
    };
    let fig = match targets {
        TargetValues::Labels(labels) => {
            let unlabelled = labels.iter().flatten().max().map_or(0, |m| m + 1);
            let dense: Vec<usize> = labels.iter().map(|l| l.unwrap_or(unlabelled)).collect();
            let mut fig = scatter(points.view(), Color::Labels(&dense))?;
            if labels.iter().any(Option::is_none) {
                let key = serde_json::json!(unlabelled.to_string());
                for trace in fig.data.iter_mut().filter(|t| t["name"] == key) {
                    trace["name"] = serde_json::json!("unlabelled");
                }
            }
            fig
        }
        TargetValues::Values(v) => scatter(points.view(), Color::Values(v))?,
        TargetValues::None => scatter(points.view(), Color::None)?,
    };
    let axes: Vec<String> = (1..=points.ncols().min(dim.max(1))).map(|i| format!("{axis} {i}")).collect();
    let axes: Vec<&str> = axes.iter().map(String::as_str).collect();
    Ok(fig.title(title).axis_labels(&axes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn centring_matches_the_formula() {
        let mut k = array![[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]];
        let orig = k.clone();
        let c = KernelCentring::fit_centre(&mut k);
        let h = Array2::<f64>::eye(3) - Array2::<f64>::from_elem((3, 3), 1.0 / 3.0);
        let want = h.dot(&orig).dot(&h);
        assert!((&k - &want).iter().all(|v| v.abs() < 1e-12));
        // Training rows centred as new rows give the centred training kernel.
        let mut again = orig.clone();
        c.centre(&mut again);
        assert!((&again - &want).iter().all(|v| v.abs() < 1e-12));
    }

    #[test]
    fn rbf_kernel_matches_the_formula() {
        let a = array![[0.0, 1.0], [2.0, -1.0], [1e3, 1e3 + 0.5]];
        let b = array![[1.0, 1.0], [1e3, 1e3]];
        let direct = |x: ArrayView2<f64>, y: ArrayView2<f64>| {
            Array2::from_shape_fn((x.nrows(), y.nrows()), |(i, j)| (-0.3 * (&x.row(i) - &y.row(j)).mapv(|v| v * v).sum()).exp())
        };
        let k = rbf_kernel(a.view(), Some(b.view()), 0.3);
        assert!((&k - &direct(a.view(), b.view())).iter().all(|v| v.abs() < 1e-9), "{k}");
        let own = rbf_kernel(a.view(), None, 0.3);
        assert!(own.diag().iter().all(|&v| v == 1.0));
        assert!((&own - &direct(a.view(), a.view())).iter().all(|v| v.abs() < 1e-9), "{own}");
    }

    #[test]
    fn signs_flip_to_the_largest_entry() {
        let mut v = array![[0.1, -0.2], [-0.9, 0.1], [0.3, 0.05]];
        flip_signs(&mut v);
        assert_eq!(v, array![[-0.1, 0.2], [0.9, -0.1], [-0.3, -0.05]]);
    }
}
