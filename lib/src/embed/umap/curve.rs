//! The low-dimensional similarity curve `1 / (1 + a·x^{2b})`, fitted to the
//! offset exponential that `min_dist` and `spread` describe.

use crate::error::{Error, Result};

/// Sample points of the fit, on [0, 3·spread] (umap-learn's grid).
const N_POINTS: usize = 300;

/// `(a, b)` such that `1 / (1 + a·x^{2b})` best matches, in least squares on 300
/// points of [0, 3·spread], the curve that is 1 below `min_dist` and
/// `exp(−(x − min_dist)/spread)` above (umap-learn's `find_ab_params`, solved
/// here by Levenberg–Marquardt from (1, 1) like scipy's `curve_fit`).
///
/// ```
/// let (a, b) = lowdim::embed::find_ab_params(1.0, 0.1).unwrap();
/// assert!((a - 1.577).abs() < 1e-3 && (b - 0.895).abs() < 1e-3);
/// ```
pub fn find_ab_params(spread: f64, min_dist: f64) -> Result<(f64, f64)> {
    if !(spread.is_finite() && spread > 0.0) {
        return Err(Error::param("spread", format!("of UMAP must be a finite number > 0; got {spread}")));
    }
    if !(min_dist.is_finite() && min_dist >= 0.0) {
        return Err(Error::param("min_dist", format!("of UMAP must be a finite number ≥ 0; got {min_dist}")));
    }
    let xs: Vec<f64> = (0..N_POINTS).map(|i| 3.0 * spread * i as f64 / (N_POINTS - 1) as f64).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| if x < min_dist { 1.0 } else { (-(x - min_dist) / spread).exp() }).collect();
    levenberg_marquardt(&xs, &ys)
}

/// Residuals `f(x) − y` and their Jacobian rows `(∂f/∂a, ∂f/∂b)`.
fn residuals(xs: &[f64], ys: &[f64], a: f64, b: f64) -> (Vec<f64>, Vec<(f64, f64)>) {
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| {
            if x <= 0.0 {
                // x^{2b} = 0 at the origin for b > 0: f = 1, flat in a and b.
                return (1.0 - y, (0.0, 0.0));
            }
            let u = x.powf(2.0 * b);
            let f = 1.0 / (1.0 + a * u);
            let f2 = f * f;
            (f - y, (-u * f2, -a * f2 * u * 2.0 * x.ln()))
        })
        .unzip()
}

fn sum_sq(r: &[f64]) -> f64 {
    r.iter().map(|v| v * v).sum()
}

/// Two-parameter Levenberg–Marquardt with Marquardt's diagonal scaling.
fn levenberg_marquardt(xs: &[f64], ys: &[f64]) -> Result<(f64, f64)> {
    let (mut a, mut b) = (1.0f64, 1.0f64);
    let (mut r, mut jac) = residuals(xs, ys, a, b);
    let mut cost = sum_sq(&r);
    let mut lambda = 1e-3;
    for _ in 0..500 {
        let (mut jaa, mut jab, mut jbb, mut ga, mut gb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (ri, &(da, db)) in r.iter().zip(&jac) {
            jaa += da * da;
            jab += da * db;
            jbb += db * db;
            ga += da * ri;
            gb += db * ri;
        }
        let mut improved = false;
        while lambda < 1e16 {
            let (maa, mbb) = (jaa * (1.0 + lambda), jbb * (1.0 + lambda));
            let det = maa * mbb - jab * jab;
            if det.abs() < f64::MIN_POSITIVE {
                lambda *= 10.0;
                continue;
            }
            let da = -(mbb * ga - jab * gb) / det;
            let db = -(maa * gb - jab * ga) / det;
            let (na, nb) = (a + da, b + db);
            if na > 0.0 && nb > 0.0 && na.is_finite() && nb.is_finite() {
                let (nr, nj) = residuals(xs, ys, na, nb);
                let ncost = sum_sq(&nr);
                if ncost <= cost {
                    let step = (da.abs() / a.abs().max(1e-12)).max(db.abs() / b.abs().max(1e-12));
                    let gain = cost - ncost;
                    (a, b, r, jac, cost) = (na, nb, nr, nj, ncost);
                    lambda = (lambda / 10.0).max(1e-12);
                    improved = true;
                    if step < 1e-12 || gain <= 1e-15 * cost.max(1e-300) {
                        return Ok((a, b));
                    }
                    break;
                }
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    if a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0 {
        Ok((a, b))
    } else {
        Err(Error::data(format!("the a/b curve fit of UMAP did not converge (a = {a}, b = {b})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_umap_learn() {
        let (a, b) = find_ab_params(1.0, 0.1).unwrap();
        assert!((a - 1.5769).abs() < 2e-3, "{a}");
        assert!((b - 0.8951).abs() < 2e-3, "{b}");
    }

    #[test]
    fn rejects_bad_spread() {
        assert!(matches!(find_ab_params(0.0, 0.1), Err(Error::Param { name: "spread", .. })));
        assert!(matches!(find_ab_params(1.0, -0.1), Err(Error::Param { name: "min_dist", .. })));
    }
}
