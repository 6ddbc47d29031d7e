//! Symmetric eigensolvers shared by every estimator: dense ones (Jacobi for
//! vectors, implicit QL for values alone), thick-restart Lanczos for the few
//! extreme eigenpairs of a large operator given as a matrix–vector product (a
//! sparse graph, or a dense kernel matrix multiplied row-parallel), and
//! shift-invert Lanczos over an envelope Cholesky factor for the smallest
//! eigenpairs of a sparse positive semi-definite matrix (Laplacians, LLE).
//!
//! All pure Rust: no system LAPACK/BLAS to find on a fresh machine.

mod dense;
mod lanczos;
mod sparse;

pub(crate) use dense::{symmetric_eigen, symmetric_eigenvalues};
pub(crate) use lanczos::{dense_top_eigenpairs, top_eigenpairs, top_eigenpairs_relative};
pub(crate) use sparse::{smallest_dense, smallest_eigenpairs, SymCsr};
