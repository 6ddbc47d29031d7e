//! Line curves: several named series in one figure.

use serde_json::json;

use crate::error::{Error, Result};
use crate::plot::Figure;

/// One named curve: y against x.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Series {
    /// A curve named `name` through the points (x[i], y[i]).
    pub fn new(name: &str, x: Vec<f64>, y: Vec<f64>) -> Self {
        Series { name: name.to_string(), x, y }
    }

    /// A curve over x = 1, 2, …, len(y) (epochs, components).
    pub fn indexed(name: &str, y: Vec<f64>) -> Self {
        let x = (1..=y.len()).map(|i| i as f64).collect();
        Series::new(name, x, y)
    }
}

/// A line chart with one trace per series (lines with markers).
///
/// ```
/// use lowdim::prelude::*;
/// let fig = lines(&[Series::indexed("loss", vec![1.0, 0.5, 0.25])]).unwrap();
/// assert_eq!(fig.n_traces(), 1);
/// ```
pub fn lines(series: &[Series]) -> Result<Figure> {
    if series.is_empty() {
        return Err(Error::param("series", "of lines must hold at least one series; got none"));
    }
    let traces = series
        .iter()
        .map(|s| {
            check(s)?;
            // NaN becomes a gap in the curve (JSON null), as plotly expects.
            let y: Vec<Option<f64>> = s.y.iter().map(|v| v.is_finite().then_some(*v)).collect();
            Ok(json!({"type": "scatter", "mode": "lines+markers", "name": s.name, "x": s.x, "y": y}))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Figure::new(traces))
}

fn check(s: &Series) -> Result<()> {
    if s.x.len() != s.y.len() {
        return Err(Error::param("series", format!("`{}` has {} x values but {} y values", s.name, s.x.len(), s.y.len())));
    }
    if let Some(v) = s.x.iter().find(|v| !v.is_finite()) {
        return Err(Error::param("series", format!("`{}` has a non-finite x value {v}", s.name)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_is_a_gap_and_lengths_are_checked() {
        let fig = lines(&[Series::new("a", vec![1.0, 2.0], vec![f64::NAN, 1.0])]).unwrap();
        assert_eq!(fig.to_json()["data"][0]["y"], json!([null, 1.0]));
        let err = lines(&[Series::new("a", vec![1.0], vec![1.0, 2.0])]).unwrap_err();
        assert!(err.to_string().contains("`a` has 1 x values but 2 y values"), "{err}");
        assert!(lines(&[]).is_err());
    }
}
