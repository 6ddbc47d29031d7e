//! A coherent regression problem for row-sampling studies: a tall Gaussian
//! design with a few heavy rows that point in their own directions, and
//! heavy-tailed noise.
//!
//! The heavy rows have leverage close to 1: uniform sampling misses them and
//! the fit from a uniform sample is poor, while leverage, root-leverage and
//! Lewis-weight sampling keep them (the setting of the ℓp
//! sensitivity-sampling notes).
//!
//! Cost: `O(n·d)`.

use ndarray::{Array1, Array2};
use rand::Rng;
use rand_distr::{Cauchy, Distribution, StandardNormal};

use super::{check_at_least, seeded_rng};
use crate::error::{Error, Result};

/// `(A, b)` with `A` `n_samples × dim`: rows N(0, I), except `n_heavy` rows
/// (the first ones after a seeded shuffle) with an extra `±10·√n_samples` on
/// one coordinate each (cycling through the coordinates), so that a heavy row
/// alone on its coordinate has leverage close to 1;
/// `b = A·x* + ε` with `x*` N(0, I) and `ε` Cauchy with scale 0.5 (heavy
/// tails). `n_samples` > `dim` ≥ 1; `n_heavy` ≤ `n_samples`.
///
/// ```
/// use lowdim::prelude::*;
/// let (a, b) = heavy_row_regression(1000, 5, 10, 7)?;
/// assert_eq!((a.dim(), b.len()), ((1000, 5), 1000));
/// # Ok::<(), lowdim::Error>(())
/// ```
pub fn heavy_row_regression(n_samples: usize, dim: usize, n_heavy: usize, seed: u64) -> Result<(Array2<f64>, Array1<f64>)> {
    const WHO: &str = "heavy_row_regression";
    check_at_least(WHO, "dim", dim, 1)?;
    check_at_least(WHO, "n_samples", n_samples, dim + 1)?;
    if n_heavy > n_samples {
        return Err(Error::param("n_heavy", format!("of {WHO} must be ≤ n_samples = {n_samples}; got {n_heavy}")));
    }
    let mut rng = seeded_rng(seed);
    let mut a: Array2<f64> = Array2::from_shape_simple_fn((n_samples, dim), || rng.sample(StandardNormal));
    let mut order: Vec<usize> = (0..n_samples).collect();
    rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut rng);
    let heavy = 10.0 * (n_samples as f64).sqrt();
    for (h, &i) in order.iter().take(n_heavy).enumerate() {
        let mut row = a.row_mut(i);
        row *= 2.0;
        row[h % dim] += heavy * if rng.gen::<bool>() { 1.0 } else { -1.0 };
    }
    let x: Array1<f64> = Array1::from_shape_simple_fn(dim, || rng.sample(StandardNormal));
    let cauchy = Cauchy::new(0.0, 0.5).map_err(|e| Error::data(e.to_string()))?;
    let noise = Array1::from_shape_simple_fn(n_samples, || cauchy.sample(&mut rng));
    let b = a.dot(&x) + noise;
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_rows_are_long() {
        let (a, _) = heavy_row_regression(500, 4, 8, 1).unwrap();
        let long = a.outer_iter().filter(|r| r.dot(r).sqrt() > 100.0).count();
        assert_eq!(long, 8);
    }

    #[test]
    fn bad_parameters() {
        assert_param_err!(heavy_row_regression(10, 0, 1, 0), "dim");
        assert_param_err!(heavy_row_regression(3, 3, 1, 0), "n_samples");
        assert_param_err!(heavy_row_regression(10, 3, 11, 0), "n_heavy");
    }
}
