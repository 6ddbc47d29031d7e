//! Several figures as one: a notebook cell shows a single output, so side-by-side
//! views are subplots of one figure.

use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::plot::Figure;

const GAP_X: f64 = 0.06;
const GAP_Y: f64 = 0.12;

/// Lays `figures` out row by row, `cols` per row; each keeps its own axes and
/// its title above it. Legend entries shared by name appear once, and traces
/// of one name share one colour (plotly would colour them by position).
///
/// ```
/// use lowdim::prelude::*;
/// let a = lines(&[Series::indexed("a", vec![1.0, 2.0])]).unwrap().title("left");
/// let b = heatmap(array![[1.0]].view()).unwrap().title("right");
/// let fig = grid(2, vec![a, b]).unwrap();
/// assert_eq!(fig.n_traces(), 2);
/// ```
pub fn grid(cols: usize, figures: Vec<Figure>) -> Result<Figure> {
    if cols == 0 {
        return Err(Error::param("cols", "of grid must be ≥ 1; got 0"));
    }
    if figures.is_empty() {
        return Err(Error::param("figures", "of grid must hold at least one figure; got none"));
    }
    let rows = figures.len().div_ceil(cols);
    let mut out = Figure::new(Vec::new());
    let mut annotations = Vec::new();
    let mut legend_names = Vec::new();
    for (i, fig) in figures.into_iter().enumerate() {
        let cell = Cell::new(i, cols, rows);
        for mut trace in fig.data {
            cell.anchor(&mut trace);
            share_legend(&mut trace, &mut legend_names);
            out.data.push(trace);
        }
        cell.place_axes(&fig.layout, &mut out.layout);
        if let Some(title) = fig.layout.get("title").and_then(|t| t.get("text")).cloned() {
            annotations.push(cell.title(title));
        }
    }
    out.layout.insert("annotations".into(), Value::Array(annotations));
    out.layout.insert("height".into(), json!(340 * rows as u64));
    Ok(out)
}

/// Where one sub-figure sits in the grid, in paper coordinates.
struct Cell {
    suffix: String,
    x: [f64; 2],
    y: [f64; 2],
}

impl Cell {
    fn new(i: usize, cols: usize, rows: usize) -> Self {
        let (row, col) = (i / cols, i % cols);
        let (w, h) = (1.0 / cols as f64, 1.0 / rows as f64);
        let x = [col as f64 * w + GAP_X / 2.0, (col + 1) as f64 * w - GAP_X / 2.0];
        let top = 1.0 - row as f64 * h;
        let y = [top - h + GAP_Y / 2.0, top - GAP_Y / 2.0];
        let suffix = if i == 0 { String::new() } else { (i + 1).to_string() };
        Cell { suffix, x, y }
    }

    /// Points a trace at this cell's axes (or 3-D scene) and moves its colour bar beside it.
    fn anchor(&self, trace: &mut Value) {
        if trace["type"] == "scatter3d" {
            trace["scene"] = json!(format!("scene{}", self.suffix));
        } else {
            trace["xaxis"] = json!(format!("x{}", self.suffix));
            trace["yaxis"] = json!(format!("y{}", self.suffix));
        }
        let bar = json!({"x": self.x[1] + 0.01, "y": (self.y[0] + self.y[1]) / 2.0,
                         "len": self.y[1] - self.y[0], "thickness": 12});
        if trace["type"] == "heatmap" {
            trace["colorbar"] = bar;
        } else if trace["marker"]["showscale"] == true {
            trace["marker"]["colorbar"] = bar;
        }
    }

    /// Copies the sub-figure's axis settings into this cell's axes.
    fn place_axes(&self, from: &Map<String, Value>, to: &mut Map<String, Value>) {
        let s = &self.suffix;
        let mut scene = from.get("scene").cloned().unwrap_or_else(|| json!({}));
        scene["domain"] = json!({"x": self.x, "y": self.y});
        to.insert(format!("scene{s}"), scene);
        let mut xaxis = from.get("xaxis").cloned().unwrap_or_else(|| json!({}));
        xaxis["domain"] = json!(self.x);
        xaxis["anchor"] = json!(format!("y{s}"));
        to.insert(format!("xaxis{s}"), xaxis);
        let mut yaxis = from.get("yaxis").cloned().unwrap_or_else(|| json!({}));
        yaxis["domain"] = json!(self.y);
        yaxis["anchor"] = json!(format!("x{s}"));
        to.insert(format!("yaxis{s}"), yaxis);
    }

    fn title(&self, text: Value) -> Value {
        json!({"text": text, "x": (self.x[0] + self.x[1]) / 2.0, "y": self.y[1],
               "xref": "paper", "yref": "paper", "xanchor": "center", "yanchor": "bottom",
               "showarrow": false, "font": {"size": 14}})
    }
}

/// plotly.js's default colour cycle (d3's category10).
const PALETTE: [&str; 10] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/// One legend entry and one colour per trace name across the grid: the first
/// trace of a name shows in the legend and takes the next colour of the cycle,
/// later ones join its group in the same colour. Colours a trace sets itself
/// are kept.
fn share_legend(trace: &mut Value, names: &mut Vec<String>) {
    let Some(name) = trace.get("name").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    trace["legendgroup"] = json!(name);
    let index = match names.iter().position(|n| *n == name) {
        Some(i) => {
            trace["showlegend"] = json!(false);
            i
        }
        None => {
            names.push(name);
            names.len() - 1
        }
    };
    if trace["type"] == "heatmap" {
        return;
    }
    let color = json!(PALETTE[index % PALETTE.len()]);
    for part in ["marker", "line"] {
        if trace[part]["color"].is_null() {
            trace[part]["color"] = color.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::{lines, scatter, Color, Series};
    use ndarray::array;

    #[test]
    fn each_figure_gets_its_own_axes() {
        let a = lines(&[Series::indexed("loss", vec![1.0, 2.0])]).unwrap().title("A");
        let b = lines(&[Series::indexed("loss", vec![3.0, 4.0])]).unwrap();
        let c = scatter(array![[0.0, 1.0, 2.0]].view(), Color::None).unwrap();
        let spec = grid(2, vec![a, b, c]).unwrap().to_json();
        assert_eq!(spec["data"][0]["xaxis"], "x");
        assert_eq!(spec["data"][1]["yaxis"], "y2");
        assert_eq!(spec["data"][2]["scene"], "scene3");
        assert_eq!(spec["data"][1]["showlegend"], false);
        assert_eq!(spec["data"][0]["line"]["color"], spec["data"][1]["line"]["color"], "one name, one colour");
        assert_eq!(spec["layout"]["annotations"][0]["text"], "A");
        let d2 = spec["layout"]["xaxis2"]["domain"].as_array().unwrap();
        assert!(d2[0].as_f64().unwrap() > 0.5);
    }

    #[test]
    fn empty_and_zero_columns_are_errors() {
        assert!(matches!(grid(0, vec![]), Err(Error::Param { name: "cols", .. })));
        assert!(matches!(grid(2, vec![]), Err(Error::Param { name: "figures", .. })));
    }
}
