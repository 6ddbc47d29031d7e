//! `x^y` for the SGD's `d^{2b}`, several times cheaper than libm's `pow`.
//!
//! `x^y = 2^{y·log₂x}` with log₂ from the exponent bits plus an atanh series on
//! the mantissa, and 2^f from a Taylor polynomial, both evaluated by Estrin's
//! scheme (short dependency chains) and without branches, so that the
//! negative samples of an edge can be evaluated side by side. Relative error
//! below 10⁻⁸ for `x` in [10⁻³⁰⁰, 10³⁰⁰] and |y| ≤ 3 (umap-learn computes these
//! gradients in float32). Only +, −, ×, ÷ and bit operations: every platform
//! gets the same bits.

const LN_2: f64 = std::f64::consts::LN_2;
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// `x^y` for `x > 0` (values below the smallest normal are treated as it).
#[inline(always)]
pub(crate) fn pow(x: f64, y: f64) -> f64 {
    let z = (y * log2(x.max(f64::MIN_POSITIVE))).clamp(-1000.0, 1000.0);
    exp2(z)
}

/// 1.5·2⁵²: adding it rounds a float of magnitude below 2⁵¹ to an integer held
/// in the low mantissa bits, with no float-to-integer conversion (which is
/// slow and not vectorised on baseline x86-64).
const MAGIC: f64 = 6_755_399_441_055_744.0;

/// log₂ of a positive normal number.
#[inline(always)]
fn log2(x: f64) -> f64 {
    let bits = x.to_bits();
    // The biased exponent as a float: put its 11 bits under MAGIC's exponent.
    let e = f64::from_bits(0x4338_0000_0000_0000 | (bits >> 52)) - (MAGIC + 1023.0);
    // Mantissa in [1, 2), folded to [√½, √2) so that the series converges fast.
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let high = m > std::f64::consts::SQRT_2;
    let m = if high { 0.5 * m } else { m };
    let e = e + if high { 1.0 } else { 0.0 };
    // ln m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.1716.
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let t4 = t2 * t2;
    let t8 = t4 * t4;
    let series = (1.0 + t2 * (1.0 / 3.0)) + t4 * (1.0 / 5.0 + t2 * (1.0 / 7.0)) + t8 * (1.0 / 9.0 + t2 * (1.0 / 11.0));
    e + (2.0 * LOG2_E) * t * series
}

/// 2^z for |z| ≤ 1000.
#[inline(always)]
fn exp2(z: f64) -> f64 {
    // Nearest integer n of z, as a float and in the low bits of `shifted`.
    let shifted = z + MAGIC;
    let n_float = shifted - MAGIC;
    let n = shifted.to_bits() as u32 as i32;
    let u = (z - n_float) * LN_2; // |u| ≤ ln2 / 2
    let u2 = u * u;
    let u4 = u2 * u2;
    let u8 = u4 * u4;
    let p = ((1.0 + u) + u2 * (1.0 / 2.0 + u * (1.0 / 6.0)))
        + u4 * ((1.0 / 24.0 + u * (1.0 / 120.0)) + u2 * (1.0 / 720.0 + u * (1.0 / 5040.0)))
        + u8 * (1.0 / 40320.0 + u * (1.0 / 362880.0));
    // 2^n in two halves, so that n near ±1000 stays inside the exponent field.
    let half = n / 2;
    let scale = |k: i32| f64::from_bits(((k + 1023) as u64) << 52);
    p * scale(half) * scale(n - half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_powf() {
        let mut worst = 0.0f64;
        for i in 0..20_000 {
            let x = 10f64.powf(-12.0 + 24.0 * (i as f64 / 20_000.0));
            for y in [0.79, 0.8951, 1.0, -0.1049, 1.5, 2.0] {
                let rel = (pow(x, y) - x.powf(y)).abs() / x.powf(y);
                worst = worst.max(rel);
            }
        }
        assert!(worst < 1e-8, "worst relative error {worst}");
        for x in [1e-300, 1e300, 3.7] {
            let rel = (pow(x, 0.9) - x.powf(0.9)).abs() / x.powf(0.9);
            assert!(rel < 1e-8, "{x}: {rel}");
        }
    }
}
