//! Symmetric eigensolvers shared by every estimator: dense ones (Jacobi for
//! vectors, implicit QL for values alone) and thick-restart Lanczos for the few
//! extreme eigenpairs of a large sparse operator given as a matrix–vector product;
//! and the tall-skinny QR / small SVD behind leverage scores and least squares.

mod dense;
mod lanczos;
mod qr;

pub(crate) use dense::{symmetric_eigen, symmetric_eigenvalues};
pub(crate) use lanczos::top_eigenpairs;
pub(crate) use qr::{least_squares, whitening_map};
