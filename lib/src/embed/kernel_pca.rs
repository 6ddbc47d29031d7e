//! Kernel PCA: principal components in the feature space of a kernel.
//!
//! Builds the kernel matrix `K` of the training points, centres it in feature
//! space (`K − 1K/n − K1/n + 1K1/n²`), and embeds with its top eigenvectors
//! scaled by the square roots of their eigenvalues. New points are placed from
//! their kernel against the training points, centred with the training
//! statistics: `K_c(new) · α / √λ`. Kernels: rbf `exp(−γ‖x−y‖²)`, polynomial
//! `(γ⟨x,y⟩ + coef0)^degree`, cosine, linear, and precomputed. Defaults and
//! outputs are scikit-learn 1.9's `KernelPCA` with `n_components` given:
//! `gamma` `1/n_features`, `degree` 3, `coef0` 1; eigenvalues that are tiny
//! are set to zero, signs by `svd_flip` (each column's largest entry positive).
//!
//! Paper: B. Schölkopf, A. Smola & K.-R. Müller, "Nonlinear component analysis
//! as a kernel eigenvalue problem", Neural Computation 10(5), 1998.
//!
//! Cost: kernel `O(n²·d)`, eigenpairs by Lanczos `O(n²)` per step (dense
//! Jacobi up to 200 points); `transform` `O(m·n·d)`. Memory `O(n²)` while
//! fitting, `O(n·(d + c))` kept (the training points, to place new ones).
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(300, 0.05, 7)?;
//! let kpca = KernelPca::params().kernel(Kernel::Rbf { gamma: Some(0.01) }).fit(&ds)?;
//! assert_eq!(kpca.embedding().dim(), (300, 2));
//! let new = kpca.transform(ds.records().slice(s![..5, ..]))?;
//! assert!((&new - &kpca.embedding().slice(s![..5, ..])).iter().all(|v| v.abs() < 1e-8));
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::shared::{
    check_components, check_records, embedding_figure, kernel_eigen, par_rows_mut, project_centred, rbf_kernel, scale_by_root,
    KernelCentring,
};
use crate::error::{check_finite, Error, Result};
use crate::estimator::{impl_fit, params, TargetValues};
use crate::persist::impl_persist;
use crate::plot::Figure;
use crate::render::impl_render;

/// The kernel of a [`KernelPca`]. `gamma: None` means `1 / n_features`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Kernel {
    /// `⟨x, y⟩`.
    Linear,
    /// `exp(−γ‖x − y‖²)`.
    Rbf { gamma: Option<f64> },
    /// `(γ⟨x, y⟩ + coef0)^degree`.
    Polynomial { degree: u32, gamma: Option<f64>, coef0: f64 },
    /// `⟨x, y⟩ / (‖x‖·‖y‖)` (0 against a zero row, as scikit-learn).
    Cosine,
    /// The records are the `n × n` kernel matrix itself; `transform` takes
    /// `m × n` kernel rows against the training points.
    Precomputed,
}

impl Kernel {
    /// scikit-learn's polynomial kernel: degree 3, gamma `1/n_features`, coef0 1.
    pub fn polynomial() -> Self {
        Kernel::Polynomial { degree: 3, gamma: None, coef0: 1.0 }
    }

    /// The rbf kernel with gamma `1/n_features`.
    pub fn rbf() -> Self {
        Kernel::Rbf { gamma: None }
    }

    fn gamma(self) -> Option<f64> {
        match self {
            Kernel::Rbf { gamma } | Kernel::Polynomial { gamma, .. } => gamma,
            _ => None,
        }
    }
}

/// A fitted kernel PCA: the embedding, eigenpairs, and what it takes to place new points.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelPca {
    params: KernelPcaValidParams,
    gamma: f64,
    embedding: Array2<f64>,
    eigenvalues: Vec<f64>,
    eigenvectors: Array2<f64>,
    centring: KernelCentring,
    x_fit: Array2<f64>,
    coloring: TargetValues,
}

impl KernelPca {
    /// The embedding of the training points (`n_samples × n_components`),
    /// scikit-learn's `fit_transform` output.
    pub fn embedding(&self) -> &Array2<f64> {
        &self.embedding
    }

    /// Eigenvalues of the centred kernel, descending (`eigenvalues_`).
    pub fn eigenvalues(&self) -> &[f64] {
        &self.eigenvalues
    }

    /// Unit eigenvectors of the centred kernel as columns (`eigenvectors_`).
    pub fn eigenvectors(&self) -> &Array2<f64> {
        &self.eigenvectors
    }

    /// The gamma used (`gamma_`: the given one or `1/n_features`; 0 for kernels without one).
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The training records (`X_fit_`; the kernel matrix when precomputed).
    pub fn x_fit(&self) -> &Array2<f64> {
        &self.x_fit
    }

    /// The parameters of the fit.
    pub fn params_used(&self) -> &KernelPcaValidParams {
        &self.params
    }

    /// Projects new rows (as wide as the training data; kernel rows against
    /// the training points when precomputed) onto the components.
    pub fn transform(&self, x: ArrayView2<f64>) -> Result<Array2<f64>> {
        let width = if self.params.kernel == Kernel::Precomputed { self.x_fit.nrows() } else { self.x_fit.ncols() };
        if x.ncols() != width {
            return Err(Error::data(format!(
                "X of KernelPca::transform must have {width} columns like the training data; got {}",
                x.ncols()
            )));
        }
        check_finite("X of KernelPca::transform", &x)?;
        let mut k = match self.params.kernel {
            Kernel::Precomputed => x.to_owned(),
            kernel => kernel_matrix(kernel, self.gamma, x, Some(self.x_fit.view())),
        };
        self.centring.centre(&mut k);
        Ok(project_centred(&k, &self.eigenvalues, &self.eigenvectors))
    }

    /// A scatter of the embedding, coloured by the training targets.
    pub fn figure(&self) -> Result<Figure> {
        let title = format!("Kernel PCA ({}) of {} points", kernel_name(self.params.kernel), self.embedding.nrows());
        embedding_figure(&self.embedding, &self.coloring, &title, "kPC")
    }
}

impl_render!(KernelPca, "Kernel PCA", params: params, shapes: [embedding, x_fit]);

fn kernel_name(k: Kernel) -> &'static str {
    match k {
        Kernel::Linear => "linear",
        Kernel::Rbf { .. } => "rbf",
        Kernel::Polynomial { .. } => "polynomial",
        Kernel::Cosine => "cosine",
        Kernel::Precomputed => "precomputed",
    }
}

params! {
    /// Checked kernel-PCA parameters; see [`KernelPca::params`]. Defaults are
    /// scikit-learn's, except `n_components`, which scikit-learn leaves unset
    /// (every non-zero component).
    KernelPca("KernelPca") => KernelPcaParams, KernelPcaValidParams {
        /// The number of components; also below n_samples at fit.
        n_components: usize = 2 => 1..,
        /// The kernel: a given `gamma` must be a finite number > 0, a
        /// polynomial's `degree` ≥ 1 and its `coef0` finite.
        kernel: Kernel = Kernel::Linear,
        /// The Lanczos start vector above 200 points.
        seed: u64 = 0,
    }
    check(p) {
        if let Some(g) = p.kernel.gamma().filter(|g| !(g.is_finite() && *g > 0.0)) {
            return Err(Error::param("gamma", format!("of KernelPca must be a finite number > 0; got {g}")));
        }
        if let Kernel::Polynomial { degree, coef0, .. } = p.kernel {
            if degree == 0 {
                return Err(Error::param("degree", "of KernelPca's polynomial kernel must be ≥ 1; got 0"));
            }
            if !coef0.is_finite() {
                return Err(Error::param("coef0", format!("of KernelPca's polynomial kernel must be finite; got {coef0}")));
            }
        }
    }
}

impl KernelPcaValidParams {
    fn fit_impl(&self, x: ArrayView2<f64>, coloring: TargetValues) -> Result<KernelPca> {
        const WHO: &str = "KernelPca";
        check_records(WHO, x, 2, &coloring)?;
        let n = x.nrows();
        let gamma = self.kernel.gamma().unwrap_or(1.0 / x.ncols() as f64);
        let mut k = match self.kernel {
            Kernel::Precomputed => {
                if x.ncols() != n {
                    return Err(Error::data(format!("a precomputed kernel of KernelPca must be square; got {n} × {}", x.ncols())));
                }
                x.to_owned()
            }
            kernel => kernel_matrix(kernel, gamma, x, None),
        };
        check_components(WHO, self.n_components, n)?;
        let centring = KernelCentring::fit_centre(&mut k);
        let (eigenvalues, eigenvectors) = kernel_eigen(WHO, &k, self.n_components, self.seed)?;
        let embedding = scale_by_root(&eigenvalues, &eigenvectors);
        let gamma = if matches!(self.kernel, Kernel::Rbf { .. } | Kernel::Polynomial { .. }) { gamma } else { 0.0 };
        Ok(KernelPca { params: self.clone(), gamma, embedding, eigenvalues, eigenvectors, centring, x_fit: x.to_owned(), coloring })
    }
}

impl_fit!(KernelPcaParams, KernelPcaValidParams => KernelPca, targets);
impl_persist!(KernelPca, "kernel PCA model");

/// `K[i, j] = k(a_i, b_j)` (`b` = `None`: `a` against itself), row-parallel.
fn kernel_matrix(kernel: Kernel, gamma: f64, a: ArrayView2<f64>, b: Option<ArrayView2<f64>>) -> Array2<f64> {
    if let Kernel::Rbf { .. } = kernel {
        return rbf_kernel(a, b, gamma);
    }
    let norms = |x: ArrayView2<f64>| -> Vec<f64> { x.outer_iter().map(|r| r.dot(&r)).collect() };
    let na = norms(a);
    let (nb, mut k) = match b {
        Some(b) => (norms(b), a.dot(&b.t())),
        None => (na.clone(), a.dot(&a.t())),
    };
    par_rows_mut(&mut k, |i, row| {
        for (j, v) in row.iter_mut().enumerate() {
            *v = match kernel {
                Kernel::Linear | Kernel::Precomputed | Kernel::Rbf { .. } => *v,
                Kernel::Polynomial { degree, coef0, .. } => (gamma * *v + coef0).powi(degree as i32),
                Kernel::Cosine => {
                    let d = (na[i] * nb[j]).sqrt();
                    if d > 0.0 {
                        *v / d
                    } else {
                        0.0
                    }
                }
            };
        }
    });
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;
    use ndarray::array;

    fn data() -> Array2<f64> {
        Array2::from_shape_fn((40, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f64 * 0.3 + (i as f64 * 0.1).sin() * (j + 1) as f64)
    }

    #[test]
    fn linear_kernel_is_pca() {
        // Linear kernel PCA scores equal PCA scores up to sign: |first column|
        // equals the projection on the top principal axis.
        let x = data();
        let kpca = KernelPca::params().fit_records(x.view()).unwrap();
        let mds = super::super::ClassicalMds::params().fit_records(x.view()).unwrap();
        for (a, b) in kpca.embedding().iter().zip(mds.embedding().iter()) {
            assert!((a - b).abs() < 1e-8, "{a} vs {b}");
        }
    }

    #[test]
    fn transform_of_training_points_is_the_embedding() {
        let x = data();
        for kernel in [Kernel::rbf(), Kernel::polynomial(), Kernel::Cosine, Kernel::Linear] {
            let kpca = KernelPca::params().n_components(3).kernel(kernel).fit_records(x.view()).unwrap();
            let again = kpca.transform(x.view()).unwrap();
            assert!((&again - kpca.embedding()).iter().all(|v| v.abs() < 1e-7), "{kernel:?}");
        }
        // Precomputed: the rbf kernel handed in gives the rbf embedding.
        let rbf = KernelPca::params().kernel(Kernel::Rbf { gamma: Some(0.5) }).fit_records(x.view()).unwrap();
        let k = kernel_matrix(Kernel::rbf(), 0.5, x.view(), None);
        let pre = KernelPca::params().kernel(Kernel::Precomputed).fit_records(k.view()).unwrap();
        assert!((pre.embedding() - rbf.embedding()).iter().all(|v| v.abs() < 1e-8));
        assert!((pre.transform(k.view()).unwrap() - rbf.embedding()).iter().all(|v| v.abs() < 1e-7));
    }

    #[test]
    fn bad_parameters_and_data() {
        assert!(matches!(KernelPca::params().n_components(0).check(), Err(Error::Param { name: "n_components", .. })));
        assert!(matches!(KernelPca::params().kernel(Kernel::Rbf { gamma: Some(-1.0) }).check(), Err(Error::Param { name: "gamma", .. })));
        let poly0 = Kernel::Polynomial { degree: 0, gamma: None, coef0: 1.0 };
        assert!(matches!(KernelPca::params().kernel(poly0).check(), Err(Error::Param { name: "degree", .. })));
        let poly_nan = Kernel::Polynomial { degree: 2, gamma: None, coef0: f64::NAN };
        assert!(matches!(KernelPca::params().kernel(poly_nan).check(), Err(Error::Param { name: "coef0", .. })));
        let x = data();
        assert!(matches!(KernelPca::params().n_components(40).fit_records(x.view()), Err(Error::Param { name: "n_components", .. })));
        let kpca = KernelPca::params().kernel(Kernel::rbf()).fit_records(x.view()).unwrap();
        assert!(matches!(kpca.transform(array![[1.0, 2.0]].view()), Err(Error::Data(_))));
        assert!(matches!(kpca.transform(array![[1.0, 2.0, f64::INFINITY]].view()), Err(Error::Data(_))));
        assert!(matches!(KernelPca::params().n_components(1).kernel(Kernel::Precomputed).fit_records(x.view()), Err(Error::Data(_))));
    }
}
