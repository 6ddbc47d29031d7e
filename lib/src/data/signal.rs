//! One-dimensional signal helpers with numpy's and scipy's conventions, for the
//! signal generators (MNIST-1D): linear resampling and Gaussian smoothing.

/// Linear interpolation of `x`, sampled on linspace(0, 1, len), at n points
/// of linspace(0, 1, n).
pub(super) fn interpolate(x: &[f64], n: usize) -> Vec<f64> {
    let last = x.len().saturating_sub(1);
    if last == 0 || n < 2 {
        return vec![x.first().copied().unwrap_or(0.0); n];
    }
    (0..n)
        .map(|j| {
            let pos = j as f64 * last as f64 / (n - 1) as f64;
            let i = (pos.floor() as usize).min(last - 1);
            let frac = pos - i as f64;
            x[i] * (1.0 - frac) + x[i + 1] * frac
        })
        .collect()
}

/// Gaussian smoothing with scipy's `gaussian_filter1d` conventions: kernel
/// radius ⌊truncate·σ + 0.5⌋, weights normalised to sum 1, and 'reflect'
/// boundaries (d c b a | a b c d | d c b a).
pub(super) fn gaussian_smooth(x: &[f64], sigma: f64, truncate: f64) -> Vec<f64> {
    let radius = (truncate * sigma + 0.5) as isize;
    let weights: Vec<f64> = (-radius..=radius).map(|k| (-0.5 * (k * k) as f64 / (sigma * sigma)).exp()).collect();
    let total: f64 = weights.iter().sum();
    let n = x.len() as isize;
    (0..n).map(|i| (-radius..=radius).zip(&weights).map(|(k, w)| w * x[reflect(i + k, n)]).sum::<f64>() / total).collect()
}

/// Index into a signal of length n mirrored about its edges, half a sample out.
fn reflect(i: isize, n: isize) -> usize {
    let m = i.rem_euclid(2 * n);
    (if m < n { m } else { 2 * n - 1 - m }) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_is_exact_on_lines_and_endpoints() {
        let line: Vec<f64> = (0..12).map(|i| 2.0 * i as f64 - 3.0).collect();
        let out = interpolate(&line, 72);
        assert_eq!(out.len(), 72);
        for (j, v) in out.iter().enumerate() {
            assert!((v - (-3.0 + 22.0 * j as f64 / 71.0)).abs() < 1e-12);
        }
        assert_eq!(interpolate(&[1.0, 5.0], 3), vec![1.0, 3.0, 5.0]);
    }

    #[test]
    fn smoothing_matches_scipy_reflect() {
        // A unit impulse at index 3 of 8: under 'reflect' (d c b a | a b c d),
        // output i collects the kernel taps that land on 3, −4 and 12, i.e.
        // offsets 3 − i, −4 − i and 12 − i, each kept if within the radius 8.
        let x = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
        let w = |k: i32| {
            if k.abs() <= 8 {
                (-(k * k) as f64 / 8.0).exp()
            } else {
                0.0
            }
        };
        let total: f64 = (-8..=8).map(w).sum();
        let y = gaussian_smooth(&x, 2.0, 4.0);
        for (i, yi) in y.iter().enumerate() {
            let i = i as i32;
            let expected = (w(3 - i) + w(-4 - i) + w(12 - i)) / total;
            assert!((yi - expected).abs() < 1e-15, "y[{i}] = {yi}, expected {expected}");
        }
        // Reflection keeps the mass and a constant signal.
        assert!((y.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let c = gaussian_smooth(&[2.0; 5], 2.0, 4.0);
        assert!(c.iter().all(|v| (v - 2.0).abs() < 1e-12));
        assert_eq!((reflect(-1, 5), reflect(-3, 5), reflect(5, 5), reflect(12, 5)), (0, 2, 4, 2));
    }
}
