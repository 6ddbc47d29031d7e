//! Metrics, their row preparation and the distance kernels.
//!
//! Searches never compare raw rows. Each metric first *prepares* the data
//! (cosine: unit rows; correlation: centred unit rows) and then ranks by a
//! *surrogate* that orders pairs exactly like the distance but is cheaper:
//! squared euclidean for euclidean, `1 − ⟨a, b⟩` (the distance itself) for
//! cosine and correlation, and L1 for manhattan. [`Metric::to_distance`] turns
//! a surrogate back into the distance.

use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The distance used to find neighbours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Metric {
    /// ‖a − b‖₂.
    #[default]
    Euclidean,
    /// 1 − ⟨a, b⟩ / (‖a‖ ‖b‖); undefined for an all-zero row.
    Cosine,
    /// ‖a − b‖₁.
    Manhattan,
    /// 1 − Pearson correlation of the two rows' entries; undefined for a constant row.
    Correlation,
}

impl Metric {
    /// The metric's name as umap-learn and scikit-learn spell it.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Euclidean => "euclidean",
            Metric::Cosine => "cosine",
            Metric::Manhattan => "manhattan",
            Metric::Correlation => "correlation",
        }
    }

    /// The distance between two vectors of equal length (a convenience for
    /// checks; searches use the prepared kernels). Cosine and correlation follow
    /// umap-learn for degenerate rows: 0 when both are degenerate, 1 when one is.
    pub fn distance(self, a: ArrayView1<f64>, b: ArrayView1<f64>) -> Result<f64> {
        if a.len() != b.len() {
            return Err(Error::data(format!("{} distance needs vectors of equal length; got {} and {}", self.name(), a.len(), b.len())));
        }
        let (a, b) = (a.to_vec(), b.to_vec());
        let d = match self {
            Metric::Euclidean => sq_euclidean(&a, &b).sqrt(),
            Metric::Manhattan => manhattan(&a, &b),
            Metric::Cosine | Metric::Correlation => {
                let (pa, pb) = (self.prepare_row(&a), self.prepare_row(&b));
                match (pa, pb) {
                    (Some(pa), Some(pb)) => (1.0 - dot(&pa, &pb)).max(0.0),
                    (None, None) => 0.0,
                    _ => 1.0,
                }
            }
        };
        Ok(d)
    }

    /// Whether the surrogate is an affine function of a dot product, so that
    /// blocks of distances come from one matrix product.
    pub(crate) fn uses_dot(self) -> bool {
        !matches!(self, Metric::Manhattan)
    }

    /// The surrogate between two prepared rows.
    #[inline]
    pub(crate) fn surrogate(self, a: &[f64], b: &[f64]) -> f64 {
        match self {
            Metric::Euclidean => sq_euclidean(a, b),
            Metric::Manhattan => manhattan(a, b),
            Metric::Cosine | Metric::Correlation => (1.0 - dot(a, b)).max(0.0),
        }
    }

    /// The surrogate between two prepared rows in single precision: what
    /// NN-descent and the trees rank candidates by (the final graph is re-scored
    /// in double precision).
    #[inline]
    pub(crate) fn surrogate32(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::Euclidean => sq_euclidean32(a, b),
            Metric::Manhattan => manhattan32(a, b),
            Metric::Cosine | Metric::Correlation => (1.0 - dot32(a, b)).max(0.0),
        }
    }

    /// The distance that a surrogate stands for.
    #[inline]
    pub(crate) fn to_distance(self, s: f64) -> f64 {
        match self {
            Metric::Euclidean => s.max(0.0).sqrt(),
            _ => s.max(0.0),
        }
    }

    /// The surrogate of `(1 + epsilon)` times the distance behind `s`: search
    /// bounds are stated on distances, and the euclidean surrogate is squared.
    #[inline]
    pub(crate) fn widen(self, s: f64, epsilon: f64) -> f64 {
        match self {
            Metric::Euclidean => s * (1.0 + epsilon) * (1.0 + epsilon),
            _ => s * (1.0 + epsilon),
        }
    }

    /// One row as the metric's kernels expect it; `None` for a row on which the
    /// metric is undefined (zero norm, constant row).
    fn prepare_row(self, row: &[f64]) -> Option<Vec<f64>> {
        let mut v = row.to_vec();
        if self == Metric::Correlation {
            let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
            v.iter_mut().for_each(|x| *x -= mean);
        }
        if matches!(self, Metric::Cosine | Metric::Correlation) {
            let norm = dot(&v, &v).sqrt();
            // A norm this small relative to the row's scale is rounding noise.
            let scale = row.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            if norm == 0.0 || norm <= 1e-12 * scale * (v.len() as f64).sqrt() {
                return None;
            }
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Some(v)
    }

    /// The data as the kernels expect it (row-major, one row per point), or an
    /// error naming the first row on which the metric is undefined.
    pub(crate) fn prepare(self, x: ArrayView2<f64>, what: &str) -> Result<Array2<f64>> {
        let mut out = x.as_standard_layout().into_owned();
        if !matches!(self, Metric::Cosine | Metric::Correlation) {
            return Ok(out);
        }
        for (i, mut row) in out.axis_iter_mut(Axis(0)).enumerate() {
            let slice = row.as_slice_mut().ok_or_else(|| Error::data("rows must be contiguous"))?;
            match self.prepare_row(slice) {
                Some(p) => slice.copy_from_slice(&p),
                None => {
                    let why = if self == Metric::Cosine { "has zero norm" } else { "is constant" };
                    return Err(Error::data(format!(
                        "row {i} of {what} {why}, so its {} distance is undefined; \
                         remove the row or use Metric::Euclidean",
                        self.name()
                    )));
                }
            }
        }
        Ok(out)
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

// The kernels keep eight independent partial sums so that the compiler can
// vectorise them; the order of the final additions is fixed, so a given pair
// always gets the same bits.

#[inline]
pub(crate) fn sq_euclidean(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x - y) * (x - y);
    }
    fold8(&acc) + tail
}

#[inline]
pub(crate) fn manhattan(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += (x[l] - y[l]).abs();
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += (x - y).abs();
    }
    fold8(&acc) + tail
}

#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    fold8(&acc) + tail
}

#[inline]
fn fold8(acc: &[f64; 8]) -> f64 {
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

// Single-precision kernels with sixteen partial sums (one AVX-512 register,
// two AVX or four SSE registers); the same fixed order of additions everywhere.

/// Applies `term` lane by lane over 16-wide chunks plus a scalar tail.
#[inline(always)]
fn reduce32(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..16 {
            acc[l] += term(x[l], y[l]);
        }
    }
    let mut tail = 0.0;
    for (&x, &y) in ra.iter().zip(rb) {
        tail += term(x, y);
    }
    let mut half = [0.0f32; 8];
    for l in 0..8 {
        half[l] = acc[l] + acc[l + 8];
    }
    (((half[0] + half[4]) + (half[1] + half[5])) + ((half[2] + half[6]) + (half[3] + half[7]))) + tail
}

#[inline]
pub(crate) fn sq_euclidean32(a: &[f32], b: &[f32]) -> f32 {
    reduce32(a, b, |x, y| (x - y) * (x - y))
}

#[inline]
pub(crate) fn manhattan32(a: &[f32], b: &[f32]) -> f32 {
    reduce32(a, b, |x, y| (x - y).abs())
}

#[inline]
pub(crate) fn dot32(a: &[f32], b: &[f32]) -> f32 {
    reduce32(a, b, |x, y| x * y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn distances_match_their_definitions() {
        let a = array![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let b = array![0.5, 2.5, 2.0, 4.0, 6.0, 6.0, 7.5, 8.0, 9.0, 12.0];
        let d = &a - &b;
        let e = Metric::Euclidean.distance(a.view(), b.view()).unwrap();
        assert!((e - d.dot(&d).sqrt()).abs() < 1e-12);
        let m = Metric::Manhattan.distance(a.view(), b.view()).unwrap();
        assert!((m - d.mapv(f64::abs).sum()).abs() < 1e-12);
        let c = Metric::Cosine.distance(a.view(), b.view()).unwrap();
        let want = 1.0 - a.dot(&b) / (a.dot(&a).sqrt() * b.dot(&b).sqrt());
        assert!((c - want).abs() < 1e-12);
        let (ma, mb) = (a.mean().unwrap(), b.mean().unwrap());
        let (ca, cb) = (a.mapv(|x| x - ma), b.mapv(|x| x - mb));
        let want = 1.0 - ca.dot(&cb) / (ca.dot(&ca).sqrt() * cb.dot(&cb).sqrt());
        let r = Metric::Correlation.distance(a.view(), b.view()).unwrap();
        assert!((r - want).abs() < 1e-12);
    }

    #[test]
    fn degenerate_rows_are_rejected_by_prepare() {
        let x = array![[1.0, 2.0], [0.0, 0.0]];
        let err = Metric::Cosine.prepare(x.view(), "X").unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
        let x = array![[1.0, 2.0], [3.0, 3.0]];
        let err = Metric::Correlation.prepare(x.view(), "X").unwrap_err();
        assert!(err.to_string().contains("constant"), "{err}");
        assert!(Metric::Euclidean.prepare(x.view(), "X").is_ok());
    }
}
