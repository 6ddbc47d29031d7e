//! Soft equivariance under mixed symmetries (Kim, Lee, Yang & Lee, ICML 2023):
//! groups given by generators, tensor representations, projectors onto
//! equivariant maps, the regulariser with λ auto-tuning, a soft-equivariant
//! MLP, a sample-based equivariance error, and tasks with mixed symmetries.

mod equivariance_error;
mod group;
mod inertia;
mod projector;
mod regularizer;
mod rep;
mod soft_emlp;

pub use equivariance_error::{cyclic_shift_matrix, equivariance_error, group_equivariance_error};
pub use group::Group;
pub use inertia::{chiral_moment, modified_inertia, SymmetryTask};
pub use projector::{Projector, ProjectorMethod};
pub use regularizer::{lambda_bars, AutoTune, EquivarianceRegularizer, RegLayer};
pub use rep::Rep;
pub use soft_emlp::{mse_of, plain_mlp, SoftEmlp, SoftEmlpParams};
