//! The result of every intrinsic-dimension estimator: the estimate, per-point
//! estimates where the method has them, and a curve of the estimate against the
//! neighbourhood size or the scale, which is what a notebook cell draws.

use ndarray::{Array1, ArrayView1};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::persist::impl_persist;
use crate::plot::{lines, Figure, Series};
use crate::render::{impl_render, Shape};

/// A curve drawn by an estimator: `y` against `x`, with an optional horizontal
/// reference line (the estimate itself, or lPCA's threshold α) and an optional
/// marked point (where the estimate was read off).
///
/// ```
/// use lowdim::prelude::*;
/// let c = IdCurve::new("k", "estimate", vec![5.0, 10.0], vec![2.2, 2.0]).unwrap();
/// assert_eq!(c.series("MLE").y, vec![2.2, 2.0]);
/// assert_eq!(c.figure().unwrap().n_traces(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdCurve {
    x_label: String,
    y_label: String,
    x: Vec<f64>,
    y: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reference: Option<(String, f64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    marked: Option<(f64, f64)>,
}

impl IdCurve {
    /// A curve through `(x[i], y[i])`; fails unless the lengths agree and
    /// every value is finite.
    pub fn new(x_label: &str, y_label: &str, x: Vec<f64>, y: Vec<f64>) -> Result<Self> {
        if x.len() != y.len() {
            return Err(Error::data(format!("an IdCurve needs as many x as y values; got {} and {}", x.len(), y.len())));
        }
        if let Some(v) = x.iter().chain(&y).find(|v| !v.is_finite()) {
            return Err(Error::data(format!("an IdCurve holds finite values only; got {v}")));
        }
        Ok(IdCurve { x_label: x_label.into(), y_label: y_label.into(), x, y, reference: None, marked: None })
    }

    /// Builds from pairs, dropping those that are not finite (a `k` at which
    /// the estimate is undefined leaves a gap rather than a NaN).
    pub(crate) fn from_points(x_label: &str, y_label: &str, points: impl IntoIterator<Item = (f64, f64)>) -> Self {
        let (x, y) = points.into_iter().filter(|(a, b)| a.is_finite() && b.is_finite()).unzip();
        IdCurve { x_label: x_label.into(), y_label: y_label.into(), x, y, reference: None, marked: None }
    }

    /// Adds a horizontal line at `value`, named `name`.
    pub fn with_reference(mut self, name: &str, value: f64) -> Self {
        if value.is_finite() {
            self.reference = Some((name.into(), value));
        }
        self
    }

    /// Marks the point `(x, y)`, where the estimate was read off.
    pub fn with_marked(mut self, x: f64, y: f64) -> Self {
        if x.is_finite() && y.is_finite() {
            self.marked = Some((x, y));
        }
        self
    }

    /// The x values (k, a radius, a number of points or a component index).
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// The y values (mostly the estimate at each x).
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// What x is.
    pub fn x_label(&self) -> &str {
        &self.x_label
    }

    /// What y is.
    pub fn y_label(&self) -> &str {
        &self.y_label
    }

    /// The horizontal reference line, if any: (name, value).
    pub fn reference(&self) -> Option<(&str, f64)> {
        self.reference.as_ref().map(|(n, v)| (n.as_str(), *v))
    }

    /// The marked point, if any.
    pub fn marked(&self) -> Option<(f64, f64)> {
        self.marked
    }

    /// The curve as a [`Series`] named `name`, to overlay several curves with
    /// [`lines`](crate::plot::lines).
    pub fn series(&self, name: &str) -> Series {
        Series::new(name, self.x.clone(), self.y.clone())
    }

    /// A line chart of the curve, its reference line and its marked point.
    pub fn figure(&self) -> Result<Figure> {
        self.figure_named("estimate")
    }

    pub(crate) fn figure_named(&self, name: &str) -> Result<Figure> {
        let mut series = vec![self.series(name)];
        if let Some((label, value)) = &self.reference {
            let lo = self.x.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = self.x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if lo.is_finite() && hi.is_finite() {
                series.push(Series::new(label, vec![lo, hi], vec![*value, *value]));
            }
        }
        if let Some((x, y)) = self.marked {
            series.push(Series::new(&format!("{} = {}", self.x_label, trim(x)), vec![x], vec![y]));
        }
        Ok(lines(&series)?.axis_labels(&[&self.x_label, &self.y_label]))
    }

    /// Shows [`figure`](IdCurve::figure) as a cell's output in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(fig) => fig.evcxr_display(),
            Err(e) => println!("EVCXR_BEGIN_CONTENT text/plain\nIdCurve (no figure: {e})\nEVCXR_END_CONTENT"),
        }
    }
}

/// What an intrinsic-dimension estimator found.
///
/// - [`dimension`](Self::dimension): the global estimate;
/// - [`pointwise`](Self::pointwise): one estimate per input row, for the local
///   methods (MLE, local PCA), `None` otherwise;
/// - [`curve`](Self::curve): the estimate against `k` or against the scale
///   (for global PCA: the variance spectrum against the threshold), drawn by
///   [`figure`](Self::figure) and by the notebook when the estimate ends a cell.
///
/// Exact duplicate rows are merged before the neighbour-based methods run (an
/// exact copy carries no distance information and breaks MLE and TwoNN);
/// [`n_duplicates`](Self::n_duplicates) says how many were merged, and a
/// duplicate gets its first copy's per-point estimate.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct IdEstimate {
    method: String,
    dimension: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pointwise: Option<Array1<f64>>,
    curve: IdCurve,
    n_samples: usize,
    n_duplicates: usize,
}

impl IdEstimate {
    pub(crate) fn new(
        method: String,
        dimension: f64,
        pointwise: Option<Vec<f64>>,
        curve: IdCurve,
        n_samples: usize,
        n_duplicates: usize,
    ) -> Self {
        IdEstimate { method, dimension, pointwise: pointwise.map(Array1::from), curve, n_samples, n_duplicates }
    }

    /// The method and its parameters, e.g. "MLE (k = 20)".
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The global intrinsic-dimension estimate.
    pub fn dimension(&self) -> f64 {
        self.dimension
    }

    /// One estimate per input row (local methods only). An MLE point whose `k`
    /// neighbours are all equidistant has an unbounded estimate, `+∞`.
    pub fn pointwise(&self) -> Option<ArrayView1<'_, f64>> {
        self.pointwise.as_ref().map(|p| p.view())
    }

    /// The estimate against `k` or the scale.
    pub fn curve(&self) -> &IdCurve {
        &self.curve
    }

    /// Rows of the input.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// Exact duplicate rows merged into an earlier copy before estimating.
    pub fn n_duplicates(&self) -> usize {
        self.n_duplicates
    }

    /// The curve, titled with the method and the estimate.
    pub fn figure(&self) -> Result<Figure> {
        Ok(self.curve.figure_named(&self.method)?.title(&format!("{}: {:.3}", self.method, self.dimension)))
    }

    /// The method with its parameters, the estimate, and the shapes it holds.
    // Written here, not by `impl_render!`: the estimators that return an
    // `IdEstimate` keep their parameters in `method`, not in one parameters type.
    pub fn describe(&self) -> String {
        let pointwise = self.pointwise.as_ref().map_or(String::new(), |p| format!("\n  pointwise: {}", Shape::shape(p)));
        format!("Intrinsic-dimension estimate {self}{pointwise}")
    }
}

impl_render!(IdEstimate, described);

impl std::fmt::Display for IdEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:.4} ({} points", self.method, self.dimension, self.n_samples)?;
        if self.n_duplicates > 0 {
            write!(f, ", {} duplicates merged", self.n_duplicates)?;
        }
        write!(f, ")")
    }
}

/// A number without trailing zeros: 20 → "20", 0.5 → "0.5".
pub(crate) fn trim(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:.4}").trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl_persist!(IdEstimate, "intrinsic-dimension estimate");
