//! The figure type: a plotly spec (`{"data": [...], "layout": {...}}`) kept as JSON
//! so that figures can be combined into grids whatever traces they hold.

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::plot::html;

/// A plotly figure. Build one with [`scatter`](crate::plot::scatter),
/// [`lines`](crate::plot::lines), [`heatmap`](crate::plot::heatmap),
/// [`grid`](crate::plot::grid) or from any `plotly::Plot`.
///
/// In a notebook, end a cell with the figure (`fig`, or `scatter(...).unwrap()`)
/// to draw it. evcxr prints with `Debug` a final expression that moves a
/// variable defined in the same cell (`let a = …; grid(1, vec![a])?`): bind it
/// first (`let fig = grid(1, vec![a])?; fig`) or call [`show`](Figure::show).
#[derive(Clone, PartialEq)]
pub struct Figure {
    pub(crate) data: Vec<Value>,
    pub(crate) layout: Map<String, Value>,
}

impl Figure {
    pub(crate) fn new(data: Vec<Value>) -> Self {
        let mut layout = Map::new();
        layout.insert("margin".into(), json!({"l": 50, "r": 20, "t": 50, "b": 45}));
        Figure { data, layout }
    }

    /// Sets the figure title.
    pub fn title(mut self, title: &str) -> Self {
        self.layout.insert("title".into(), json!({ "text": title }));
        self
    }

    /// Labels the axes (the first two; a third names z of a 3-D scatter).
    pub fn axis_labels(mut self, labels: &[&str]) -> Self {
        let is_3d = self.data.iter().any(|t| t["type"] == "scatter3d");
        if is_3d {
            let scene = self.layout_object("scene");
            for (axis, label) in ["xaxis", "yaxis", "zaxis"].iter().zip(labels) {
                scene.insert((*axis).into(), json!({ "title": { "text": label } }));
            }
        } else {
            for (axis, label) in ["xaxis", "yaxis"].iter().zip(labels) {
                self.layout_object(axis).insert("title".into(), json!({ "text": label }));
            }
        }
        self
    }

    /// Uses a logarithmic y axis.
    pub fn log_y(mut self) -> Self {
        self.layout_object("yaxis").insert("type".into(), json!("log"));
        self
    }

    /// Sets the height in pixels (width follows the notebook).
    pub fn height(mut self, pixels: u32) -> Self {
        self.layout.insert("height".into(), json!(pixels));
        self
    }

    /// The title, if one was set.
    pub fn title_text(&self) -> Option<&str> {
        self.layout.get("title")?.get("text")?.as_str()
    }

    /// Number of traces.
    pub fn n_traces(&self) -> usize {
        self.data.len()
    }

    /// The plotly JSON spec: `{"data": [...], "layout": {...}}`.
    pub fn to_json(&self) -> Value {
        json!({ "data": self.data, "layout": self.layout })
    }

    /// An HTML fragment that draws the figure offline; the first fragment of a
    /// session carries plotly.js, later ones reuse it.
    pub fn to_html_fragment(&self) -> String {
        html::fragment(&self.to_json(), self.pixel_height())
    }

    /// A complete, standalone HTML page with plotly.js inlined.
    pub fn to_html_page(&self) -> Result<String> {
        html::page(&self.to_json(), self.pixel_height())
    }

    /// Writes [`to_html_page`](Self::to_html_page) to `path`.
    pub fn save_html(&self, path: &str) -> Result<()> {
        std::fs::write(path, self.to_html_page()?).map_err(|e| Error::io(path, e))
    }

    /// What the notebook shows: plotly JSON for JupyterLab, an offline HTML
    /// fallback for other front ends, and a line of text.
    pub fn evcxr_display(&self) {
        let spec = self.to_json().to_string();
        println!("EVCXR_BEGIN_CONTENT application/vnd.plotly.v1+json\n{spec}\nEVCXR_END_CONTENT");
        println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.to_html_fragment());
        println!("EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT", self.summary());
    }

    /// Draws the figure now, from anywhere in a cell.
    pub fn show(&self) {
        self.evcxr_display();
    }

    fn summary(&self) -> String {
        let title = self.title_text().map(|t| format!(" \"{t}\"")).unwrap_or_default();
        format!("Figure{title} with {} trace(s)", self.data.len())
    }

    fn pixel_height(&self) -> u64 {
        self.layout.get("height").and_then(Value::as_u64).unwrap_or(450)
    }

    /// The layout entry `key` as an object, created when missing.
    pub(crate) fn layout_object(&mut self, key: &str) -> &mut Map<String, Value> {
        let entry = self.layout.entry(key.to_string()).or_insert_with(|| json!({}));
        if !entry.is_object() {
            *entry = json!({});
        }
        entry.as_object_mut().expect("just made an object")
    }
}

impl std::fmt::Debug for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (to draw it, end the cell with a variable holding the figure, or call .show())", self.summary())
    }
}

impl From<plotly::Plot> for Figure {
    fn from(plot: plotly::Plot) -> Self {
        let spec: Value = serde_json::from_str(&plot.to_json()).unwrap_or(Value::Null);
        let data = spec["data"].as_array().cloned().unwrap_or_default();
        let layout = spec["layout"].as_object().cloned().unwrap_or_default();
        Figure { data, layout }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_plotly_keeps_traces_and_layout() {
        let mut plot = plotly::Plot::new();
        plot.add_trace(plotly::Scatter::new(vec![1.0, 2.0], vec![3.0, 4.0]));
        plot.set_layout(plotly::Layout::new().title("hello"));
        let fig = Figure::from(plot);
        assert_eq!(fig.n_traces(), 1);
        assert_eq!(fig.to_json()["data"][0]["y"], json!([3.0, 4.0]));
    }

    #[test]
    fn title_and_labels_land_in_layout() {
        let fig = Figure::new(vec![json!({"type": "scatter"})]).title("t").axis_labels(&["a", "b"]);
        assert_eq!(fig.title_text(), Some("t"));
        assert_eq!(fig.layout["xaxis"]["title"]["text"], "a");
        assert_eq!(fig.layout["yaxis"]["title"]["text"], "b");
    }
}
