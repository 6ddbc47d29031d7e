//! What the samplers return: the chosen rows with their weights, and curves of
//! an error against the sample size for the notebook.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::persist::impl_persist;
use crate::plot::{lines, scatter, Color, Figure, Series};
use crate::render::{impl_render, Shape};

/// Rows drawn from an `n`-row matrix.
///
/// - [`indices`](Self::indices): the rows drawn, in increasing order for
///   Bernoulli sampling, in draw order for the DPP/iid samplers (an iid
///   sampler may draw a row twice);
/// - [`weights`](Self::weights): one per drawn row, the factor its term gets in
///   the sampled objective (`1/pᵢ` for ℓp sensitivity sampling, `m/k_m(x)`
///   for Christoffel-weighted least squares);
/// - [`probabilities`](Self::probabilities): per input row, the probability
///   the sampler gave it (inclusion probability or draw density).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct RowSample {
    pub(crate) method: String,
    indices: Vec<usize>,
    weights: Array1<f64>,
    probabilities: Array1<f64>,
}

impl RowSample {
    pub(crate) fn new(method: String, indices: Vec<usize>, weights: Array1<f64>, probabilities: Array1<f64>) -> Self {
        RowSample { method, indices, weights, probabilities }
    }

    /// Which sampler drew it.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The drawn rows.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The weight of each drawn row.
    pub fn weights(&self) -> &Array1<f64> {
        &self.weights
    }

    /// The sampling probability of every input row.
    pub fn probabilities(&self) -> &Array1<f64> {
        &self.probabilities
    }

    /// Number of rows drawn.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether nothing was drawn.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The drawn rows of `a`.
    pub fn rows(&self, a: ArrayView2<f64>) -> Array2<f64> {
        a.select(Axis(0), &self.indices)
    }

    /// The drawn entries of `b`.
    pub fn entries(&self, b: ArrayView1<f64>) -> Array1<f64> {
        self.indices.iter().map(|&i| b[i]).collect()
    }

    /// Sampling probability against row index, drawn rows highlighted.
    pub fn figure(&self) -> Result<Figure> {
        let n = self.probabilities.len();
        let pts = Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { i as f64 } else { self.probabilities[i] });
        let mut drawn = vec![0usize; n];
        for &i in &self.indices {
            drawn[i] = 1;
        }
        let mut fig = scatter(pts.view(), Color::Labels(&drawn))?;
        for t in fig.data.iter_mut() {
            let name = if t["name"] == "1" { "drawn" } else { "not drawn" };
            t["name"] = serde_json::json!(name);
        }
        Ok(fig
            .title(&format!("{}: {} of {n} rows drawn", self.method, self.indices.len()))
            .axis_labels(&["row index", "sampling probability"]))
    }

    /// The sampler with its parameters, and the shapes the sample holds.
    // Not `impl_render!`: the samplers that return a `RowSample` keep their
    // parameters in `method`, not in one parameters type.
    pub fn describe(&self) -> String {
        let (drawn, weights) = (Shape::shape(&self.indices), Shape::shape(&self.weights));
        let probabilities = Shape::shape(&self.probabilities);
        format!("Row sample ({})\n  indices: {drawn}\n  weights: {weights}\n  probabilities: {probabilities}", self.method)
    }
}

impl_render!(RowSample, described);

/// Error against sample size, one curve per method (log–log figure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SamplingCurve {
    title: String,
    y_label: String,
    sizes: Vec<f64>,
    curves: Vec<(String, Vec<f64>)>,
}

impl SamplingCurve {
    pub(crate) fn new(title: &str, y_label: &str, sizes: Vec<f64>, curves: Vec<(String, Vec<f64>)>) -> Self {
        SamplingCurve { title: title.into(), y_label: y_label.into(), sizes, curves }
    }

    /// The sample sizes (x).
    pub fn sizes(&self) -> &[f64] {
        &self.sizes
    }

    /// The curve of `method`, one value per size (NaN where every repetition failed).
    pub fn curve(&self, method: &str) -> Option<&[f64]> {
        self.curves.iter().find(|(m, _)| m == method).map(|(_, v)| v.as_slice())
    }

    /// The method names.
    pub fn methods(&self) -> Vec<&str> {
        self.curves.iter().map(|(m, _)| m.as_str()).collect()
    }

    /// The curves on log–log axes.
    pub fn figure(&self) -> Result<Figure> {
        let series: Vec<Series> = self.curves.iter().map(|(m, v)| Series::new(m, self.sizes.clone(), v.clone())).collect();
        let mut fig = lines(&series)?.title(&self.title).axis_labels(&["sample size", &self.y_label]).log_y();
        fig.layout_object("xaxis").insert("type".into(), serde_json::json!("log"));
        Ok(fig)
    }

    /// Shows [`figure`](Self::figure) in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(fig) => fig.evcxr_display(),
            Err(e) => println!("EVCXR_BEGIN_CONTENT text/plain\n{} (no figure: {e})\nEVCXR_END_CONTENT", self.title),
        }
    }
}

impl_persist!(RowSample, "row sample");
