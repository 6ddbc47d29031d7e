//! The notebook view of a fitted UMAP: a scatter of the embedding coloured by
//! the training targets.

use serde_json::json;

use super::algorithm::{Targets, Umap};
use crate::error::Result;
use crate::plot::{scatter, Color, Figure};
use ndarray::{s, Array2};

impl Umap {
    /// A scatter of the embedding: 2-D or 3-D as fitted, the first two
    /// coordinates past 3, a line (against zero) for 1-D. Points are coloured by
    /// the training labels (unlabelled ones as "unlabelled"), by continuous
    /// targets on a colour scale, or not at all.
    pub fn figure(&self) -> Result<Figure> {
        let y = self.embedding();
        let (n, dim) = y.dim();
        let points: Array2<f64> = match dim {
            1 => Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { y[[i, 0]] } else { 0.0 }),
            2 | 3 => y.clone(),
            _ => y.slice(s![.., ..2]).to_owned(),
        };
        let fig = match &self.targets {
            Targets::Labels(labels) => {
                let unlabelled = labels.iter().flatten().max().map_or(0, |m| m + 1);
                let dense: Vec<usize> = labels.iter().map(|l| l.unwrap_or(unlabelled)).collect();
                let mut fig = scatter(points.view(), Color::Labels(&dense))?;
                if labels.iter().any(Option::is_none) {
                    let key = json!(unlabelled.to_string());
                    for trace in fig.data.iter_mut().filter(|t| t["name"] == key) {
                        trace["name"] = json!("unlabelled");
                    }
                }
                fig
            }
            Targets::Values(v) => scatter(points.view(), Color::Values(v))?,
            Targets::None => scatter(points.view(), Color::None)?,
        };
        let p = self.params_used();
        let axes: Vec<String> = (1..=points.ncols()).map(|i| format!("UMAP {i}")).collect();
        let axes: Vec<&str> = axes.iter().map(String::as_str).collect();
        Ok(fig
            .title(&format!("UMAP of {n} points (n_neighbors = {}, min_dist = {})", p.n_neighbors(), p.min_dist()))
            .axis_labels(if dim == 1 { &axes[..1] } else { &axes }))
    }

    /// Shows [`figure`](Umap::figure) as a cell's output in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(fig) => fig.evcxr_display(),
            Err(e) => println!("EVCXR_BEGIN_CONTENT text/plain\nUMAP embedding (no figure: {e})\nEVCXR_END_CONTENT"),
        }
    }
}
