//! Heatmaps of a matrix (row 0 at the top, like an image or a table).

use ndarray::ArrayView2;
use serde_json::json;

use crate::error::{check_finite, Error, Result};
use crate::plot::Figure;

/// A heatmap of `z` with a colour bar; row 0 is drawn at the top.
///
/// ```
/// use lowdim::prelude::*;
/// let fig = heatmap(array![[1.0, 2.0], [3.0, 4.0]].view()).unwrap();
/// assert_eq!(fig.n_traces(), 1);
/// ```
pub fn heatmap(z: ArrayView2<f64>) -> Result<Figure> {
    if z.is_empty() {
        return Err(Error::param("z", format!("of heatmap must not be empty; got shape {:?}", z.dim())));
    }
    check_finite("z of heatmap", &z)?;
    let rows: Vec<Vec<f64>> = z.rows().into_iter().map(|r| r.to_vec()).collect();
    let mut fig = Figure::new(vec![json!({"type": "heatmap", "z": rows, "colorscale": "Viridis"})]);
    fig.layout_object("yaxis").insert("autorange".into(), json!("reversed"));
    Ok(fig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};

    #[test]
    fn rows_are_kept_and_empty_is_an_error() {
        let fig = heatmap(array![[1.0, 2.0], [3.0, 4.0]].view()).unwrap();
        assert_eq!(fig.to_json()["data"][0]["z"], json!([[1.0, 2.0], [3.0, 4.0]]));
        assert!(heatmap(Array2::<f64>::zeros((0, 3)).view()).is_err());
    }
}
