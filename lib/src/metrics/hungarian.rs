//! The Hungarian algorithm: a minimum-cost assignment of rows to distinct columns.
//!
//! Given an `n × m` cost matrix with `n ≤ m`, [`hungarian`] finds columns
//! `σ(0), …, σ(n − 1)`, all different, minimising `Σ_r cost[r, σ(r)]`. It is the
//! shortest-augmenting-path form with row and column potentials (dual
//! variables): rows are added one at a time, and each is joined to the current
//! matching by a Dijkstra-like search over reduced costs
//! `cost[r, c] − u[r] − v[c] ≥ 0`, after which the potentials are shifted so all
//! matched edges keep reduced cost zero. [`clustering_accuracy`](super::clustering_accuracy)
//! uses it to match clusters to classes.
//!
//! Among optimal assignments the one returned is fixed by the input (ties go to
//! the lower column index), so results are reproducible.
//!
//! **References.** H. W. Kuhn, "The Hungarian method for the assignment problem",
//! Naval Research Logistics Quarterly 2(1–2), 1955, pp. 83–97,
//! doi:10.1002/nav.3800020109; R. Jonker and A. Volgenant, "A shortest augmenting
//! path algorithm for dense and sparse linear assignment problems", Computing
//! 38(4), 1987, pp. 325–340, doi:10.1007/BF02278710.
//!
//! **Cost.** O(n²·m) time, O(m) memory besides the input.
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let cost = array![[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]];
//! assert_eq!(hungarian(cost.view())?, vec![1, 0, 2]); // total 1 + 2 + 2 = 5
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::ArrayView2;

use crate::error::{check_finite, Error, Result};

/// Minimum-cost assignment: entry `r` of the result is the column given to row `r`.
///
/// `cost`: n × m with n ≤ m (transpose a taller matrix), finite entries.
/// An empty matrix (n = 0) gives an empty assignment.
pub fn hungarian(cost: ArrayView2<f64>) -> Result<Vec<usize>> {
    let (n, m) = cost.dim();
    if n > m {
        return Err(Error::data(format!("`cost` of hungarian must have no more rows than columns; got {n} × {m} (transpose it)")));
    }
    check_finite("`cost` of hungarian", &cost)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    // 1-based rows and columns; column 0 is a virtual column that holds the row being added.
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut owner = vec![0usize; m + 1]; // owner[c] = row matched to column c (0: none)
    let mut came_from = vec![0usize; m + 1]; // previous column on the shortest path
    let mut dist = vec![0.0f64; m + 1];
    let mut done = vec![false; m + 1];
    for row in 1..=n {
        owner[0] = row;
        let mut col = 0;
        dist.iter_mut().for_each(|d| *d = f64::INFINITY);
        done.iter_mut().for_each(|d| *d = false);
        // Grow shortest paths from `row` until they reach a free column.
        loop {
            done[col] = true;
            let r = owner[col];
            let mut delta = f64::INFINITY;
            let mut next = None;
            for c in 1..=m {
                if done[c] {
                    continue;
                }
                let reduced = cost[[r - 1, c - 1]] - u[r] - v[c];
                if reduced < dist[c] {
                    dist[c] = reduced;
                    came_from[c] = col;
                }
                if next.is_none() || dist[c] < delta {
                    delta = dist[c];
                    next = Some(c);
                }
            }
            let Some(next) = next.filter(|_| delta.is_finite()) else {
                return Err(Error::data("`cost` of hungarian: the search lost precision (entries too large); rescale the costs"));
            };
            for c in 0..=m {
                if done[c] {
                    u[owner[c]] += delta;
                    v[c] -= delta;
                } else {
                    dist[c] -= delta;
                }
            }
            col = next;
            if owner[col] == 0 {
                break;
            }
        }
        // Flip the matching along the path back to the virtual column.
        while col != 0 {
            let prev = came_from[col];
            owner[col] = owner[prev];
            col = prev;
        }
    }
    let mut assignment = vec![0usize; n];
    for c in 1..=m {
        if owner[c] != 0 {
            assignment[owner[c] - 1] = c - 1;
        }
    }
    Ok(assignment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn total(cost: &Array2<f64>, a: &[usize]) -> f64 {
        a.iter().enumerate().map(|(r, &c)| cost[[r, c]]).sum()
    }

    /// Minimum over all injective maps rows → columns.
    fn brute_force(cost: &Array2<f64>) -> f64 {
        fn go(cost: &Array2<f64>, r: usize, used: &mut Vec<bool>, acc: f64, best: &mut f64) {
            if r == cost.nrows() {
                *best = best.min(acc);
                return;
            }
            for c in 0..cost.ncols() {
                if !used[c] {
                    used[c] = true;
                    go(cost, r + 1, used, acc + cost[[r, c]], best);
                    used[c] = false;
                }
            }
        }
        let mut best = f64::INFINITY;
        go(cost, 0, &mut vec![false; cost.ncols()], 0.0, &mut best);
        best
    }

    #[test]
    fn optimal_on_random_matrices() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
        for trial in 0..200 {
            let n = 1 + trial % 6;
            let m = n + (trial / 6) % 3;
            let integer = trial % 2 == 0; // integer costs have many ties
            let cost = Array2::from_shape_fn((n, m), |_| if integer { rng.gen_range(0..4) as f64 } else { rng.gen_range(-5.0..5.0) });
            let a = hungarian(cost.view()).unwrap();
            let mut seen = a.clone();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(seen.len(), n, "columns reused: {a:?}");
            assert!((total(&cost, &a) - brute_force(&cost)).abs() < 1e-9, "{cost:?} → {a:?}");
        }
    }

    #[test]
    fn empty_and_single() {
        assert!(hungarian(Array2::<f64>::zeros((0, 3)).view()).unwrap().is_empty());
        assert_eq!(hungarian(array![[3.0, -1.0, 2.0]].view()).unwrap(), vec![1]);
    }

    #[test]
    fn more_rows_than_columns_is_a_data_error() {
        let e = hungarian(Array2::<f64>::zeros((3, 2)).view()).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn non_finite_cost_is_a_data_error() {
        let e = hungarian(array![[1.0, f64::NAN], [0.0, 1.0]].view()).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }
}
