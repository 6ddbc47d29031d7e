//! Symmetric eigensolvers shared by every estimator: dense ones (Jacobi for
//! vectors, implicit QL for values alone) and thick-restart Lanczos for the few
//! extreme eigenpairs of a large sparse operator given as a matrix–vector product;
//! orthonormal bases of column spans (`gram_schmidt.rs`), and the tall-skinny QR / small SVD behind
//! leverage scores and least squares (`qr.rs`).

mod dense;
mod gram_schmidt;
mod lanczos;
mod qr;

pub(crate) use dense::{symmetric_eigen, symmetric_eigenvalues};
pub(crate) use lanczos::top_eigenpairs;
pub(crate) use gram_schmidt::orthonormal_columns;
pub(crate) use qr::{least_squares, whitening_map};
