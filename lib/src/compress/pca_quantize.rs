//! PCA then quantisation, and the table that compares storage formats by
//! bytes per vector and retrieval recall@k (the RAG storage paper's study).
//!
//! A [`Compression`] keeps a fraction of the principal components (PCA fitted
//! on the corpus) and stores the projected coordinates in a
//! [`Quantization`] format; queries go through the same PCA and format (int8
//! uses the corpus's calibration). Retrieval after PCA scores the
//! reconstructions `mean + ẑ·V_k` (the mean is stored once for the corpus), so
//! the centring PCA does cannot change cosine rankings by itself. Binary codes
//! after PCA decode each component to ± its mean absolute value over the
//! corpus, not ±1. [`compression_table`] runs a list of them
//! and reports, per method, the dimension kept, bytes per vector, the
//! compression ratio against float32 at full dimension, and recall@k against
//! exact float retrieval.
//!
//! Paper: N. Huerga-Pérez et al., "Optimization of embeddings storage for RAG
//! systems using quantization and dimensionality reduction techniques", arXiv
//! 2505.00105, 2025.
//!
//! Cost: PCA `O(n·d² + d³)`; each method `O(n·d)` to encode plus the recall,
//! `O(n_queries · n · d)`.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = clustered_embeddings(600, 32, 8, 2.0, 7)?;
//! let (corpus, queries) = x.records().view().split_at(Axis(0), 500);
//! let methods = [Compression::new(Quantization::Fp8E4M3), Compression::new(Quantization::Fp8E4M3).pca(0.5)];
//! let table = compression_table(corpus, queries, &methods, 10, Similarity::Cosine)?;
//! assert_eq!(table.rows().len(), 3); // float32 reference first
//! assert_eq!(table.rows()[2].ratio, 8.0);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::quantize::{Int8Calibration, Quantization, Quantized};
use super::recall::{overlap, top_k, Similarity};
use crate::error::{Error, Result};
use crate::linalg::symmetric_eigen_householder;
use crate::plot::{lines, Figure, Series};

/// One compression method: an optional PCA to a fraction of the dimensions,
/// then a storage format.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Compression {
    /// The storage format.
    pub format: Quantization,
    /// The fraction of dimensions PCA keeps, in (0, 1]; `None`: no PCA.
    pub pca_fraction: Option<f64>,
}

impl Compression {
    /// `format` at full dimension.
    pub fn new(format: Quantization) -> Self {
        Compression { format, pca_fraction: None }
    }

    /// Keeps `round(fraction · d)` principal components (at least 1) first.
    pub fn pca(mut self, fraction: f64) -> Self {
        self.pca_fraction = Some(fraction);
        self
    }

    /// "PCA 50% + fp8 E4M3", "int8".
    pub fn label(&self) -> String {
        match self.pca_fraction {
            Some(f) => format!("PCA {}% + {}", (f * 100.0).round(), self.format.name()),
            None => self.format.name().to_string(),
        }
    }

    fn kept(&self, d: usize) -> Result<usize> {
        match self.pca_fraction {
            None => Ok(d),
            Some(f) if f > 0.0 && f <= 1.0 => Ok(((f * d as f64).round() as usize).clamp(1, d)),
            Some(f) => Err(Error::param("pca_fraction", format!("of Compression must be in (0, 1]; got {f}"))),
        }
    }
}

/// One row of a [`CompressionTable`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompressionRow {
    /// [`Compression::label`].
    pub method: String,
    /// Dimensions stored.
    pub dims: usize,
    /// Bytes per stored vector.
    pub bytes_per_vector: usize,
    /// float32 bytes at full dimension / `bytes_per_vector`.
    pub ratio: f64,
    /// Recall@k against exact float retrieval.
    pub recall: f64,
}

/// Storage against retrieval quality, one row per method (float32 first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompressionTable {
    k: usize,
    rows: Vec<CompressionRow>,
}

impl CompressionTable {
    /// The rows.
    pub fn rows(&self) -> &[CompressionRow] {
        &self.rows
    }

    /// The `k` of recall@k.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The row of `method` (its label), if present.
    pub fn row(&self, method: &str) -> Option<&CompressionRow> {
        self.rows.iter().find(|r| r.method == method)
    }

    /// Recall@k against compression ratio (log x), one marker per method.
    pub fn figure(&self) -> Result<Figure> {
        let series: Vec<Series> = self.rows.iter().map(|r| Series::new(&r.method, vec![r.ratio], vec![r.recall])).collect();
        let mut fig = lines(&series)?
            .title(&format!("Storage vs retrieval: recall@{} against compression ratio", self.k))
            .axis_labels(&["compression ratio (× smaller than float32)", &format!("recall@{}", self.k)]);
        fig.layout_object("xaxis").insert("type".into(), serde_json::json!("log"));
        Ok(fig)
    }

    /// The table as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("| method | dims | bytes/vector | ratio | recall@{} |\n|---|---|---|---|---|\n", self.k);
        for r in &self.rows {
            out += &format!("| {} | {} | {} | {:.1}× | {:.4} |\n", r.method, r.dims, r.bytes_per_vector, r.ratio, r.recall);
        }
        out
    }

    /// Shows the figure and the table in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(fig) => fig.evcxr_display(),
            Err(e) => println!("EVCXR_BEGIN_CONTENT text/plain\n{}\n(no figure: {e})\nEVCXR_END_CONTENT", self.to_markdown()),
        }
    }
}

/// Runs every method on `corpus` / `queries` and measures recall@k against
/// exact float retrieval on the original vectors. The first row is float32 at
/// full dimension (ratio 1).
pub fn compression_table(
    corpus: ArrayView2<f64>,
    queries: ArrayView2<f64>,
    methods: &[Compression],
    k: usize,
    similarity: Similarity,
) -> Result<CompressionTable> {
    let exact = top_k(corpus, queries, k, similarity)?;
    let d = corpus.ncols();
    let needs_pca = methods.iter().any(|m| m.pca_fraction.is_some());
    let pca = if needs_pca { Some(PcaProjection::fit(corpus)?) } else { None };
    let mut rows = Vec::with_capacity(methods.len() + 1);
    for m in std::iter::once(&Compression::new(Quantization::F32)).chain(methods) {
        let dims = m.kept(d)?;
        let (c, q) = match (&pca, m.pca_fraction) {
            (Some(p), Some(_)) => {
                let (zc, zq) = (p.project(corpus, dims)?, p.project(queries, dims)?);
                let (mut c, mut q) = compress_pair(zc.view(), zq.view(), m.format)?;
                if m.format == Quantization::Binary {
                    let scale = sign_code_scale(zc.view());
                    c *= &scale;
                    q *= &scale;
                }
                (p.reconstruct(c.view())?, p.reconstruct(q.view())?)
            }
            _ => compress_pair(corpus, queries, m.format)?,
        };
        let approx = top_k(c.view(), q.view(), k, similarity)?;
        let bytes = m.format.bytes_per_vector(dims);
        rows.push(CompressionRow {
            method: m.label(),
            dims,
            bytes_per_vector: bytes,
            ratio: (4 * d) as f64 / bytes as f64,
            recall: overlap(&exact, &approx),
        });
    }
    Ok(CompressionTable { k, rows })
}

/// The per-component value a sign code decodes to after PCA: the mean
/// absolute coordinate over the corpus (the scale that minimises the squared
/// error of `s·sign(z)`). Plain ±1 would give every component the same weight
/// although PCA coordinates differ in scale by orders of magnitude, and the
/// reconstruction adds the corpus mean at its true scale. Like int8's
/// calibration, these `dims` numbers are stored once for the corpus.
fn sign_code_scale(z: ArrayView2<f64>) -> Array1<f64> {
    z.mapv(f64::abs).mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(z.ncols()))
}

/// Encodes and decodes corpus and queries in `format` (int8 calibrated on the corpus).
fn compress_pair(corpus: ArrayView2<f64>, queries: ArrayView2<f64>, format: Quantization) -> Result<(Array2<f64>, Array2<f64>)> {
    let cal = if format == Quantization::Int8 { Some(Int8Calibration::fit(corpus)?) } else { None };
    let c = Quantized::encode_with(corpus, format, cal.as_ref())?.decode();
    let q = Quantized::encode_with(queries, format, cal.as_ref())?.decode();
    Ok((c, q))
}

/// A PCA fitted with every component, sliced to the leading ones on use. The
/// axes are the eigenvectors of the `d × d` scatter matrix of the centred rows
/// (of the `n × n` Gram matrix when there are fewer rows than features), by a
/// dense Householder–QL solve: `O(n·d² + d³)`, and no iteration that can stall.
/// Each axis's sign makes its largest entry positive.
pub struct PcaProjection {
    mean: Array1<f64>,
    /// Principal axes as rows, leading first.
    components: Array2<f64>,
}

impl PcaProjection {
    /// Fits PCA on the rows of `x`.
    pub fn fit(x: ArrayView2<f64>) -> Result<Self> {
        let (n, d) = x.dim();
        if n < 2 || d == 0 {
            return Err(Error::param("x", format!("of PCA needs at least 2 rows and 1 column; got {n} × {d}")));
        }
        crate::error::check_finite("x of PCA", &x)?;
        let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(d));
        let centred = &x - &mean;
        let mut components = if n >= d {
            let (_, vectors) = symmetric_eigen_householder(centred.t().dot(&centred));
            vectors.reversed_axes()
        } else {
            // Rows of Xᵀu/‖Xᵀu‖ for the Gram matrix's eigenvectors u.
            let (values, vectors) = symmetric_eigen_householder(centred.dot(&centred.t()));
            let kept = values.iter().take_while(|&&v| v > 0.0).count();
            let mut axes = vectors.slice(s![.., ..kept]).t().dot(&centred);
            for mut row in axes.rows_mut() {
                let norm = row.dot(&row).sqrt();
                row.mapv_inplace(|v| v / norm);
            }
            axes
        };
        for mut row in components.rows_mut() {
            let largest = row.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            if largest < 0.0 {
                row.mapv_inplace(|v| -v);
            }
        }
        Ok(PcaProjection { mean, components })
    }

    /// Number of principal axes (min(n, d) at most).
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// Back to the original space from coordinates on the leading
    /// `z.ncols()` axes: `mean + z·V_k`.
    pub fn reconstruct(&self, z: ArrayView2<f64>) -> Result<Array2<f64>> {
        let k = z.ncols();
        if k > self.n_components() {
            return Err(Error::param(
                "z",
                format!("of PcaProjection::reconstruct has at most {} columns (the axes fitted); got {k}", self.n_components()),
            ));
        }
        Ok(z.dot(&self.components.slice(s![..k, ..])) + &self.mean)
    }

    /// The rows of `x` on the leading `dims` principal axes (all of them if fewer).
    pub fn project(&self, x: ArrayView2<f64>, dims: usize) -> Result<Array2<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::param(
                "x",
                format!(
                    "of PcaProjection::project must have {} columns, as the data PCA was fitted on; got {}",
                    self.mean.len(),
                    x.ncols()
                ),
            ));
        }
        let dims = dims.min(self.n_components());
        Ok((&x - &self.mean).dot(&self.components.slice(s![..dims, ..]).t()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::clustered_embeddings;
    use ndarray::Axis;

    #[test]
    fn table_reproduces_the_papers_shape() {
        let x = clustered_embeddings(2200, 64, 20, 2.0, 3).unwrap();
        let (corpus, queries) = x.records().view().split_at(Axis(0), 2000);
        let methods = [
            Compression::new(Quantization::F16),
            Compression::new(Quantization::Fp8E4M3),
            Compression::new(Quantization::Int8),
            Compression::new(Quantization::Binary),
            Compression::new(Quantization::Fp8E4M3).pca(0.5),
        ];
        let t = compression_table(corpus, queries, &methods, 10, Similarity::Cosine).unwrap();
        let r = |m: &str| t.row(m).unwrap().recall;
        assert_eq!(r("float32"), 1.0);
        assert!(r("float16") > 0.99, "{}", t.to_markdown());
        assert!(r("fp8 E4M3") > 0.85, "{}", t.to_markdown());
        assert!(r("binary") < r("fp8 E4M3"), "{}", t.to_markdown());
        assert_eq!(t.row("fp8 E4M3").unwrap().ratio, 4.0);
        assert_eq!(t.row("PCA 50% + fp8 E4M3").unwrap().ratio, 8.0);
        assert_eq!(t.figure().unwrap().n_traces(), 6);
    }

    #[test]
    fn binary_codes_after_pca_decode_to_each_components_scale() {
        let x = clustered_embeddings(2200, 384, 20, f64::INFINITY, 3).unwrap();
        let (corpus, queries) = x.records().view().split_at(Axis(0), 2000);
        let methods = [Compression::new(Quantization::Binary), Compression::new(Quantization::Binary).pca(0.5)];
        let t = compression_table(corpus, queries, &methods, 10, Similarity::Cosine).unwrap();
        // Decoded to ±1, the 192 sign bits after PCA weigh a trailing component
        // like a leading one and the added mean swamps them: recall collapses
        // (0.08 here). Scaled per component it is three times that; still well
        // below plain binary with twice the bits.
        let (full, pca) = (t.rows()[1].recall, t.rows()[2].recall);
        let p = PcaProjection::fit(corpus).unwrap();
        let z = p.project(corpus, 192).unwrap();
        let unit = Quantized::encode(z.view(), Quantization::Binary).unwrap().decode();
        let zq = p.project(queries, 192).unwrap();
        let unit_q = Quantized::encode(zq.view(), Quantization::Binary).unwrap().decode();
        let unscaled = overlap(
            &top_k(corpus, queries, 10, Similarity::Cosine).unwrap(),
            &top_k(p.reconstruct(unit.view()).unwrap().view(), p.reconstruct(unit_q.view()).unwrap().view(), 10, Similarity::Cosine)
                .unwrap(),
        );
        println!("binary {full:.4}, PCA 50% + binary {pca:.4}, the same decoded to ±1 {unscaled:.4}");
        assert!(pca > 2.0 * unscaled && pca > 0.2 && pca < full, "{}", t.to_markdown());
    }

    #[test]
    fn projection_keeps_the_leading_axes_and_checks_widths() {
        // Variance 9, 4, 1 along the three coordinates, shifted by (5, 5, 5).
        let x = Array2::from_shape_fn((300, 3), |(i, j)| 5.0 + [3.0, 2.0, 1.0][j] * (((i * (j + 3) * 7919) % 1000) as f64 / 500.0 - 1.0));
        let p = PcaProjection::fit(x.view()).unwrap();
        assert_eq!(p.n_components(), 3);
        let z = p.project(x.view(), 3).unwrap();
        let back = p.reconstruct(z.view()).unwrap();
        assert!((&back - &x).iter().all(|v| v.abs() < 1e-9), "all axes give the data back");
        let var = z.var_axis(Axis(0), 1.0);
        assert!(var[0] >= var[1] && var[1] >= var[2], "{var}");
        assert!(matches!(p.project(x.slice(s![.., ..2]), 1), Err(Error::Param { name: "x", .. })));
        assert!(matches!(p.reconstruct(Array2::zeros((2, 4)).view()), Err(Error::Param { name: "z", .. })));
        // Fewer rows than features: the axes come from the Gram matrix.
        let wide = Array2::from_shape_fn((4, 10), |(i, j)| ((i * 3 + j * j) % 7) as f64);
        let q = PcaProjection::fit(wide.view()).unwrap();
        let zq = q.project(wide.view(), 10).unwrap();
        assert!((&q.reconstruct(zq.view()).unwrap() - &wide).iter().all(|v| v.abs() < 1e-9));
    }

    #[test]
    fn bad_fraction() {
        let x = clustered_embeddings(50, 8, 2, f64::INFINITY, 3).unwrap();
        let m = [Compression::new(Quantization::F16).pca(1.5)];
        let err = compression_table(x.records().view(), x.records().view(), &m, 5, Similarity::Dot);
        assert!(matches!(err, Err(Error::Param { name: "pca_fraction", .. })));
    }
}
