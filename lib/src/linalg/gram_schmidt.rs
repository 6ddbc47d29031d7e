//! Orthonormal bases of column spans by Gram–Schmidt (the Q of a thin QR), for
//! subspace methods: Grassmann distances and K-subspaces.

use ndarray::{Array2, ArrayView2, Axis};

/// Orthonormal columns spanning those of `a` (n × d), by modified Gram–Schmidt
/// with a second pass ("twice is enough": one pass loses orthogonality in
/// proportion to the condition number). A column whose remainder falls below
/// `1e-10` of its original norm (or of the largest column norm) is dependent on
/// the previous ones and is dropped, so the result is n × rank.
pub(crate) fn orthonormal_columns(a: ArrayView2<f64>) -> Array2<f64> {
    let scale = a.axis_iter(Axis(1)).map(|c| c.dot(&c).sqrt()).fold(0.0, f64::max);
    let mut kept: Vec<ndarray::Array1<f64>> = Vec::with_capacity(a.ncols());
    for col in a.axis_iter(Axis(1)) {
        let original = col.dot(&col).sqrt();
        let mut v = col.to_owned();
        for _ in 0..2 {
            for q in &kept {
                let r = q.dot(&v);
                v.scaled_add(-r, q);
            }
        }
        let norm = v.dot(&v).sqrt();
        if norm.is_finite() && norm > 1e-10 * original.max(scale) && norm > 0.0 {
            v.mapv_inplace(|x| x / norm);
            kept.push(v);
        }
    }
    let n = a.nrows();
    Array2::from_shape_fn((n, kept.len()), |(i, j)| kept[j][i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn orthonormal_and_drops_dependent_columns() {
        let a = array![[1.0, 2.0, 1.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]];
        let q = orthonormal_columns(a.view());
        assert_eq!(q.dim(), (4, 2));
        let g = q.t().dot(&q) - Array2::<f64>::eye(2);
        assert!(g.iter().all(|v| v.abs() < 1e-14));
        // The span is kept: each column of `a` is reproduced by projection.
        let back = q.dot(&q.t().dot(&a));
        assert!((back - &a).iter().all(|v| v.abs() < 1e-12));
    }
}
