//! # lowdim
//!
//! A notebook-first workbench for finding and learning low-dimensional structure in
//! data: data generators, linfa-compatible estimators and plotly figures that render
//! in the `rust-lowdim` Jupyter kernel.
//!
//! ```
//! use lowdim::prelude::*;
//! let ds = swiss_roll(500, 0.05, 7).unwrap();
//! assert_eq!(ds.records().dim(), (500, 3));
//! ```

pub mod cluster;
pub mod compress;
pub mod data;
pub mod display;
#[cfg(feature = "torch")]
pub mod deep;
pub mod embed;
pub mod error;
pub mod estimator;
pub mod interrupt;
pub mod intrinsic;
pub(crate) mod linalg;
pub mod metrics;
pub mod neighbors;
pub(crate) mod persist;
pub mod plot;
pub mod sample;

pub use error::{Error, Result};

// The crates whose types lowdim hands out, so that a notebook (or a crate) that
// depends on lowdim alone names them with the versions lowdim was built with.
pub use linfa;
pub use linfa_reduction;
pub use ndarray;
pub use plotly;
#[cfg(feature = "torch")]
pub use tch;

/// Everything a notebook needs, in one `use`.
pub mod prelude {
    pub use crate::cluster::*;
    pub use crate::compress::*;
    pub use crate::data::*;
    pub use crate::display::Progress;
    #[cfg(feature = "torch")]
    pub use crate::deep::*;
    pub use crate::embed::*;
    pub use crate::metrics::*;
    pub use crate::neighbors::*;
    pub use crate::error::{Error, Result};
    pub use crate::estimator::{TargetValues, Targets};
    pub use crate::intrinsic::*;
    pub use crate::plot::*;
    pub use crate::sample::*;
    pub use linfa::prelude::*;
    pub use linfa_reduction::Pca;
    pub use ndarray::{array, s, Array1, Array2, ArrayView1, ArrayView2, Axis};
}
