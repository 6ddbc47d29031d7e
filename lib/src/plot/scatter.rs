//! Scatter plots of 2-D or 3-D points, coloured by label or by value.

use ndarray::ArrayView2;
use serde_json::{json, Value};

use crate::error::{check_finite, Error, Result};
use crate::plot::Figure;

/// How to colour the points of a [`scatter`].
#[derive(Clone, Copy, Debug)]
pub enum Color<'a> {
    /// One colour for all points.
    None,
    /// One trace (and legend entry) per class label.
    Labels(&'a [usize]),
    /// A continuous colour scale with a colour bar.
    Values(&'a [f64]),
}

/// A scatter plot of the rows of `points` (2 columns → 2-D, 3 columns → 3-D).
///
/// ```
/// use lowdim::prelude::*;
/// let pts = array![[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]];
/// let fig = scatter(pts.view(), Color::Labels(&[0, 1, 1])).unwrap();
/// assert_eq!(fig.n_traces(), 2);
/// ```
pub fn scatter(points: ArrayView2<f64>, color: Color) -> Result<Figure> {
    let (n, d) = points.dim();
    if !(d == 2 || d == 3) {
        return Err(Error::param("points", format!("of scatter must have 2 or 3 columns; got {d}")));
    }
    check_finite("points of scatter", &points)?;
    let columns: Vec<Vec<f64>> = (0..d).map(|j| points.column(j).to_vec()).collect();
    let traces = match color {
        Color::None => vec![trace(&columns, &(0..n).collect::<Vec<_>>(), None, json!({}))],
        Color::Labels(labels) => {
            check_len("labels", labels.len(), n)?;
            by_label(&columns, labels)
        }
        Color::Values(values) => {
            check_len("values", values.len(), n)?;
            if let Some(v) = values.iter().find(|v| !v.is_finite()) {
                return Err(Error::param("values", format!("of scatter must be finite; got {v}")));
            }
            let marker = json!({"color": values, "colorscale": "Viridis", "showscale": true});
            vec![trace(&columns, &(0..n).collect::<Vec<_>>(), None, marker)]
        }
    };
    Ok(Figure::new(traces))
}

fn check_len(name: &'static str, got: usize, n: usize) -> Result<()> {
    if got == n {
        Ok(())
    } else {
        Err(Error::param(name, format!("of scatter must have one entry per point ({n}); got {got}")))
    }
}

fn by_label(columns: &[Vec<f64>], labels: &[usize]) -> Vec<Value> {
    let mut classes: Vec<usize> = labels.to_vec();
    classes.sort_unstable();
    classes.dedup();
    classes
        .iter()
        .map(|&c| {
            let rows: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
            trace(columns, &rows, Some(c.to_string()), json!({}))
        })
        .collect()
}

/// SVG scatter draws everywhere (even without WebGL) but slows past a few
/// thousand points; WebGL takes over there.
fn trace_type(is_3d: bool, n: usize) -> &'static str {
    match (is_3d, n > 5000) {
        (true, _) => "scatter3d",
        (false, true) => "scattergl",
        (false, false) => "scatter",
    }
}

/// One marker trace over the selected `rows`.
fn trace(columns: &[Vec<f64>], rows: &[usize], name: Option<String>, mut marker: Value) -> Value {
    let pick = |j: usize| rows.iter().map(|&i| columns[j][i]).collect::<Vec<f64>>();
    let is_3d = columns.len() == 3;
    marker["size"] = json!(if is_3d { 3 } else { 5 });
    let mut t = json!({
        "type": trace_type(is_3d, rows.len()),
        "mode": "markers",
        "x": pick(0),
        "y": pick(1),
        "marker": marker,
        "showlegend": name.is_some(),
    });
    if is_3d {
        t["z"] = json!(pick(2));
    }
    if let Some(name) = name {
        t["name"] = json!(name);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn three_columns_give_scatter3d() {
        let p = array![[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]];
        let fig = scatter(p.view(), Color::None).unwrap();
        assert_eq!(fig.to_json()["data"][0]["type"], "scatter3d");
        assert_eq!(fig.to_json()["data"][0]["z"], json!([2.0, 1.0]));
    }

    #[test]
    fn labels_split_into_traces() {
        let p = array![[0.0, 1.0], [1.0, 1.0], [2.0, 0.0]];
        let fig = scatter(p.view(), Color::Labels(&[3, 1, 3])).unwrap();
        let spec = fig.to_json();
        assert_eq!(spec["data"][0]["name"], "1");
        assert_eq!(spec["data"][1]["x"], json!([0.0, 2.0]));
    }

    #[test]
    fn bad_input_is_an_error() {
        let p = array![[0.0], [1.0]];
        assert!(matches!(scatter(p.view(), Color::None), Err(Error::Param { name: "points", .. })));
        let p = array![[0.0, 1.0], [1.0, f64::NAN]];
        assert!(matches!(scatter(p.view(), Color::None), Err(Error::Data(_))));
        let p = array![[0.0, 1.0], [1.0, 1.0]];
        let err = scatter(p.view(), Color::Labels(&[1])).unwrap_err();
        assert!(err.to_string().contains("labels"), "{err}");
        let err = scatter(p.view(), Color::Values(&[1.0, f64::INFINITY])).unwrap_err();
        assert!(matches!(err, Error::Param { name: "values", .. }));
    }
}
