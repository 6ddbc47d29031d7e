//! Plotly figures that render in the notebook.
//!
//! Every builder returns a [`Figure`]: a plotly JSON spec with an inherent
//! `evcxr_display`, so a figure as the last value of a cell draws itself in
//! JupyterLab (`application/vnd.plotly.v1+json`) and, through a self-contained
//! `text/html` fallback, in nbconvert exports and VS Code, with no network.
//! A cell shows one output, so several views go into one figure with [`grid`].

mod figure;
mod grid;
mod heatmap;
mod html;
mod lines;
mod scatter;

pub use figure::Figure;
pub use grid::grid;
pub use heatmap::heatmap;
pub use html::PLOTLY_JS_ENV;
pub use lines::{lines, Series};
pub use scatter::{scatter, Color};
