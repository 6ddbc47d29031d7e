//! Intrinsic-dimension estimators and label sharpness.
//!
//! | method | entry point | kind | file |
//! |---|---|---|---|
//! | maximum likelihood (Levina–Bickel, MacKay–Ghahramani averaging) | [`Mle`] | global + per point, curve vs k | `mle.rs` |
//! | MiND-ML (Rozza et al.), MLk / MLi | [`MindMl`] | global, curve vs k | `mind_ml.rs` |
//! | TwoNN (Facco et al.) | [`TwoNn`] | global, curve vs scale (decimation) | `twonn.rs` |
//! | PCA, Fukunaga–Olsen rule | [`Lpca`] | global (spectrum) or local per point, curve vs k | `lpca.rs` |
//! | correlation dimension (Grassberger–Procaccia) | [`CorrInt`] | global, curve vs scale | `corrint.rs` |
//! | label sharpness K_F (Konz & Mazurowski) | [`LabelSharpness`] | labelled data, curve vs sample size | `label_sharpness.rs` |
//!
//! Every estimator is a parameter builder (`Mle::params().n_neighbors(20)`) with
//! `fit_records(x.view())` and linfa's `fit(&dataset)`, returning an
//! [`IdEstimate`] that draws its [`IdCurve`] in the notebook. Defaults follow
//! scikit-dimension 0.5. Shared helpers live in `common.rs`, the result type in
//! `estimate.rs`.

mod common;
mod corrint;
mod estimate;
mod label_sharpness;
mod lpca;
mod mind_ml;
mod mle;
mod twonn;

pub use corrint::{CorrInt, CorrIntParams, CorrIntValidParams};
pub use estimate::{IdCurve, IdEstimate};
pub use label_sharpness::{LabelSharpness, LabelSharpnessParams, LabelSharpnessValidParams, PairTargets, SharpnessTargets};
pub use lpca::{Lpca, LpcaParams, LpcaValidParams};
pub use mind_ml::{MindMl, MindMlParams, MindMlValidParams, MindMlVersion};
pub use mle::{Mle, MleParams, MleValidParams};
pub use twonn::{TwoNn, TwoNnParams, TwoNnValidParams};
