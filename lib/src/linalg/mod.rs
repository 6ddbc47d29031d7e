//! Symmetric eigensolvers shared by every estimator: dense ones (Jacobi for
//! vectors, implicit QL for values alone), thick-restart Lanczos for the few
//! extreme eigenpairs of a large operator given as a matrix–vector product (a
//! sparse graph, or a dense kernel matrix multiplied row-parallel), and
//! shift-invert Lanczos over an envelope Cholesky factor for the smallest
//! eigenpairs of a sparse positive semi-definite matrix (Laplacians, LLE);
//! orthonormal bases of column spans (`gram_schmidt.rs`), the tall-skinny QR /
//! small SVD behind leverage scores and least squares (`qr.rs`), and
//! row-block parallel products of tall matrices (`products.rs`).
//!
//! All pure Rust: no system LAPACK/BLAS to find on a fresh machine.

mod dense;
mod gram_schmidt;
mod lanczos;
mod products;
mod qr;
mod sparse;

pub(crate) use dense::{symmetric_eigen, symmetric_eigen_householder, symmetric_eigenvalues};
pub(crate) use gram_schmidt::orthonormal_columns;
pub(crate) use lanczos::{dense_top_eigenpairs, top_eigenpairs, top_eigenpairs_relative};
pub(crate) use products::{par_dot, par_tdot};
pub(crate) use qr::{least_squares, whitening_map};
pub(crate) use sparse::{smallest_dense, smallest_eigenpairs, SymCsr};
