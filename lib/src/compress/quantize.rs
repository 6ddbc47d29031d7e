//! Quantisation of embeddings to 16-, 8- and 1-bit formats, with exact bit
//! layouts, as compared for retrieval by Huerga-Pérez et al.
//!
//! | format | bits | layout | rule |
//! |---|---|---|---|
//! | [`F16`](Quantization::F16) | 16 | IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa | round to nearest, ties to even |
//! | [`Bf16`](Quantization::Bf16) | 16 | bfloat16: 1 sign, 8 exponent (bias 127), 7 mantissa | round to nearest, ties to even |
//! | [`Fp8E4M3`](Quantization::Fp8E4M3) | 8 | OCP FP8 E4M3: 1 sign, 4 exponent (bias 7), 3 mantissa; max 448, no ∞, `S.1111.111` is NaN | round to nearest, ties to even |
//! | [`Fp8E5M2`](Quantization::Fp8E5M2) | 8 | OCP FP8 E5M2: 1 sign, 5 exponent (bias 15), 2 mantissa; max 57344, `S.11111.00` is ∞ | round to nearest, ties to even |
//! | [`Int8`](Quantization::Int8) | 8 | per-dimension affine code `round((x − min)/step)`, `step = (max − min)/255`, calibrated on the corpus | round to nearest, ties to even |
//! | [`Binary`](Quantization::Binary) | 1 | sign bit `x > 0`, packed 8 per byte, decoded as ±1 | — |
//!
//! Values beyond a float format's largest finite value saturate to it (the
//! OCP "saturating" conversion), so a decoded vector is always finite; int8
//! clips values outside the calibration range. The floating formats are plain
//! casts with no scaling, as in the paper; the paper's int8 is this per-dimension
//! min/max calibration.
//!
//! Paper: N. Huerga-Pérez, R. Álvarez, R. Ferri-Molla, R. Mancebo, M.
//! Ballester, "Optimization of embeddings storage for RAG systems using
//! quantization and dimensionality reduction techniques", arXiv 2505.00105, 2025.
//!
//! Cost: `O(n·d)` time to encode or decode; the codes take
//! [`bytes_per_vector`](Quantization::bytes_per_vector) bytes per row.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let x = array![[0.1, -0.25, 3.0], [448.0, 1e6, -0.0]];
//! let q = Quantized::encode(x.view(), Quantization::Fp8E4M3)?;
//! assert_eq!(q.codes().len(), 6);
//! assert_eq!(q.decode().dim(), (2, 3));
//! assert_eq!(q.decode()[[1, 1]], 448.0); // saturates at E4M3's max
//! assert_eq!(fp8_e4m3_encode(448.0), 0x7E);
//! # Ok::<(), lowdim::Error>(())
//! ```

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use crate::error::{check_finite, Error, Result};

/// A storage format for embedding coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Quantization {
    /// 32-bit float, the uncompressed reference.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16 (the top 16 bits of an f32, rounded).
    Bf16,
    /// FP8 E4M3 (finite-only, max 448).
    Fp8E4M3,
    /// FP8 E5M2 (IEEE-like, max 57344).
    Fp8E5M2,
    /// 8-bit per-dimension min/max calibrated code.
    Int8,
    /// One sign bit per coordinate.
    Binary,
}

impl Quantization {
    /// Every format, from the widest to the narrowest.
    pub fn all() -> [Quantization; 7] {
        use Quantization::*;
        [F32, F16, Bf16, Fp8E4M3, Fp8E5M2, Int8, Binary]
    }

    /// Bits per coordinate.
    pub fn bits(self) -> usize {
        match self {
            Quantization::F32 => 32,
            Quantization::F16 | Quantization::Bf16 => 16,
            Quantization::Fp8E4M3 | Quantization::Fp8E5M2 | Quantization::Int8 => 8,
            Quantization::Binary => 1,
        }
    }

    /// Bytes to store one `dim`-dimensional vector (binary codes are padded to
    /// whole bytes; int8's per-dimension calibration, `2·dim` floats for the
    /// whole corpus, is not counted per vector).
    pub fn bytes_per_vector(self, dim: usize) -> usize {
        (dim * self.bits()).div_ceil(8)
    }

    /// A short name for tables and legends.
    pub fn name(self) -> &'static str {
        match self {
            Quantization::F32 => "float32",
            Quantization::F16 => "float16",
            Quantization::Bf16 => "bfloat16",
            Quantization::Fp8E4M3 => "fp8 E4M3",
            Quantization::Fp8E5M2 => "fp8 E5M2",
            Quantization::Int8 => "int8",
            Quantization::Binary => "binary",
        }
    }
}

/// The int8 calibration: per-dimension minimum and step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Int8Calibration {
    min: Array1<f64>,
    step: Array1<f64>,
}

impl Int8Calibration {
    /// Calibrates on the rows of `x`: `step = (max − min)/255` per column.
    pub fn fit(x: ArrayView2<f64>) -> Result<Self> {
        check_matrix("x", x)?;
        let min = x.fold_axis(Axis(0), f64::INFINITY, |m, &v| m.min(v));
        let max = x.fold_axis(Axis(0), f64::NEG_INFINITY, |m, &v| m.max(v));
        let step = (&max - &min) / 255.0;
        Ok(Int8Calibration { min, step })
    }

    /// Per-dimension minima.
    pub fn min(&self) -> &Array1<f64> {
        &self.min
    }

    /// Per-dimension steps.
    pub fn step(&self) -> &Array1<f64> {
        &self.step
    }

    fn encode(&self, j: usize, v: f64) -> u8 {
        if self.step[j] == 0.0 {
            return 0;
        }
        ((v - self.min[j]) / self.step[j]).round_ties_even().clamp(0.0, 255.0) as u8
    }

    fn decode(&self, j: usize, code: u8) -> f64 {
        self.min[j] + code as f64 * self.step[j]
    }
}

/// Quantised rows: the packed codes and what decoding needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quantized {
    format: Quantization,
    n: usize,
    dim: usize,
    codes: Vec<u8>,
    calibration: Option<Int8Calibration>,
}

impl Quantized {
    /// Encodes the rows of `x`; int8 calibrates on `x` itself (use
    /// [`encode_with`](Self::encode_with) to quantise queries with the corpus's
    /// calibration).
    pub fn encode(x: ArrayView2<f64>, format: Quantization) -> Result<Self> {
        let calibration = if format == Quantization::Int8 { Some(Int8Calibration::fit(x)?) } else { None };
        Self::encode_with(x, format, calibration.as_ref())
    }

    /// Encodes the rows of `x` with a given int8 calibration (required for
    /// [`Quantization::Int8`], ignored otherwise).
    pub fn encode_with(x: ArrayView2<f64>, format: Quantization, calibration: Option<&Int8Calibration>) -> Result<Self> {
        check_matrix("x", x)?;
        let (n, dim) = x.dim();
        let calibration = match (format, calibration) {
            (Quantization::Int8, None) => {
                return Err(Error::param(
                    "calibration",
                    "of int8 quantisation is required; got None (use Int8Calibration::fit on the corpus)",
                ))
            }
            (Quantization::Int8, Some(c)) if c.min.len() != dim => {
                return Err(Error::param("calibration", format!("has {} dimensions but x has {dim}", c.min.len())))
            }
            (Quantization::Int8, Some(c)) => Some(c.clone()),
            _ => None,
        };
        let mut codes = Vec::with_capacity(n * format.bytes_per_vector(dim));
        for row in x.outer_iter() {
            match format {
                Quantization::Binary => codes.extend(pack_signs(row.iter().copied())),
                Quantization::Int8 => {
                    let c = calibration.as_ref().expect("checked above");
                    codes.extend(row.iter().enumerate().map(|(j, &v)| c.encode(j, v)));
                }
                _ => row.iter().for_each(|&v| push_float(&mut codes, format, v)),
            }
        }
        Ok(Quantized { format, n, dim, codes, calibration })
    }

    /// The format.
    pub fn format(&self) -> Quantization {
        self.format
    }

    /// The packed codes, row after row (little-endian for 16- and 32-bit formats).
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }

    /// Bytes per stored vector.
    pub fn bytes_per_vector(&self) -> usize {
        self.format.bytes_per_vector(self.dim)
    }

    /// The decoded rows, as `f64`.
    pub fn decode(&self) -> Array2<f64> {
        let bpv = self.bytes_per_vector();
        let mut out = Array2::<f64>::zeros((self.n, self.dim));
        for (i, mut row) in out.outer_iter_mut().enumerate() {
            let code = &self.codes[i * bpv..(i + 1) * bpv];
            for (j, v) in row.iter_mut().enumerate() {
                *v = self.decode_one(code, j);
            }
        }
        out
    }

    fn decode_one(&self, code: &[u8], j: usize) -> f64 {
        match self.format {
            Quantization::F32 => f32::from_le_bytes([code[4 * j], code[4 * j + 1], code[4 * j + 2], code[4 * j + 3]]) as f64,
            Quantization::F16 => half::f16::from_bits(u16::from_le_bytes([code[2 * j], code[2 * j + 1]])).to_f64(),
            Quantization::Bf16 => half::bf16::from_bits(u16::from_le_bytes([code[2 * j], code[2 * j + 1]])).to_f64(),
            Quantization::Fp8E4M3 => fp8_e4m3_decode(code[j]),
            Quantization::Fp8E5M2 => fp8_e5m2_decode(code[j]),
            Quantization::Int8 => self.calibration.as_ref().map_or(0.0, |c| c.decode(j, code[j])),
            Quantization::Binary => {
                if code[j / 8] >> (j % 8) & 1 == 1 {
                    1.0
                } else {
                    -1.0
                }
            }
        }
    }
}

/// Encodes and decodes in one step: what retrieval on quantised vectors sees.
pub fn quantize_roundtrip(x: ArrayView2<f64>, format: Quantization) -> Result<Array2<f64>> {
    Ok(Quantized::encode(x, format)?.decode())
}

fn check_matrix(name: &'static str, x: ArrayView2<f64>) -> Result<()> {
    let (n, d) = x.dim();
    if n == 0 || d == 0 {
        return Err(Error::param(name, format!("of quantisation must be a non-empty n × dim matrix; got {n} × {d}")));
    }
    check_finite(name, &x)
}

fn push_float(codes: &mut Vec<u8>, format: Quantization, v: f64) {
    match format {
        Quantization::F32 => codes.extend((v.clamp(f32::MIN as f64, f32::MAX as f64) as f32).to_le_bytes()),
        Quantization::F16 => codes.extend(f16_encode(v).to_le_bytes()),
        Quantization::Bf16 => codes.extend(bf16_encode(v).to_le_bytes()),
        Quantization::Fp8E4M3 => codes.push(fp8_e4m3_encode(v)),
        Quantization::Fp8E5M2 => codes.push(fp8_e5m2_encode(v)),
        Quantization::Int8 | Quantization::Binary => unreachable!("not a float format"),
    }
}

fn pack_signs(values: impl Iterator<Item = f64>) -> Vec<u8> {
    let mut out = Vec::new();
    for (j, v) in values.enumerate() {
        if j % 8 == 0 {
            out.push(0);
        }
        if v > 0.0 {
            *out.last_mut().expect("pushed above") |= 1 << (j % 8);
        }
    }
    out
}

/// IEEE binary16 bits of `x`, rounded to nearest even, saturating at ±65504.
/// Rounds from `f64` directly (an `f64 → f32 → f16` chain could round twice).
pub fn f16_encode(x: f64) -> u16 {
    half::f16::from_f64(x.clamp(-65504.0, 65504.0)).to_bits()
}

/// bfloat16 bits of `x`, rounded to nearest even, saturating at ±bf16::MAX.
pub fn bf16_encode(x: f64) -> u16 {
    let max = half::bf16::MAX.to_f64();
    half::bf16::from_f64(x.clamp(-max, max)).to_bits()
}

/// The parameters of an 8-bit float: exponent bits, mantissa bits, bias and
/// the largest finite magnitude.
struct MiniFloat {
    exp_bits: u32,
    man_bits: u32,
    bias: i32,
    max: f64,
}

const E4M3: MiniFloat = MiniFloat { exp_bits: 4, man_bits: 3, bias: 7, max: 448.0 };
const E5M2: MiniFloat = MiniFloat { exp_bits: 5, man_bits: 2, bias: 15, max: 57344.0 };

impl MiniFloat {
    /// Rounds `|x|` to the format's grid (ties to even) and packs it.
    fn encode(&self, x: f64) -> u8 {
        let sign = if x.is_sign_negative() { 0x80u8 } else { 0 };
        let a = x.abs();
        if a == 0.0 {
            return sign;
        }
        let min_exp = 1 - self.bias; // exponent of the smallest normal
        let e = binary_exponent(a).max(min_exp);
        // Scaling by a power of two is exact, so one rounding happens here.
        let quantum = 2f64.powi(e - self.man_bits as i32);
        let rounded = ((a / quantum).round_ties_even() * quantum).min(self.max);
        sign | self.pack(rounded)
    }

    /// The code of a magnitude already on the grid.
    fn pack(&self, v: f64) -> u8 {
        let min_exp = 1 - self.bias;
        let min_normal = 2f64.powi(min_exp);
        if v < min_normal {
            return (v / 2f64.powi(min_exp - self.man_bits as i32)) as u8;
        }
        let e = binary_exponent(v);
        let man = (v / 2f64.powi(e - self.man_bits as i32)) as u32 - (1 << self.man_bits);
        (((e + self.bias) as u32) << self.man_bits | man) as u8
    }

    fn decode(&self, code: u8, has_inf: bool) -> f64 {
        let sign = if code & 0x80 != 0 { -1.0 } else { 1.0 };
        let exp_field = ((code & 0x7F) >> self.man_bits) as i32;
        let man = (code & ((1 << self.man_bits) - 1)) as f64;
        let top = (1 << self.exp_bits) - 1;
        if has_inf && exp_field == top {
            return if man == 0.0 { sign * f64::INFINITY } else { f64::NAN };
        }
        if !has_inf && exp_field == top && man as u32 == (1 << self.man_bits) - 1 {
            return f64::NAN;
        }
        let scale = 2f64.powi(self.man_bits as i32);
        if exp_field == 0 {
            return sign * man / scale * 2f64.powi(1 - self.bias);
        }
        sign * (1.0 + man / scale) * 2f64.powi(exp_field - self.bias)
    }
}

/// `floor(log2 a)` for a positive normal `a`, read from the bits (a
/// floating-point `log2` can round up just below a power of two).
fn binary_exponent(a: f64) -> i32 {
    ((a.to_bits() >> 52) & 0x7FF) as i32 - 1023
}

/// FP8 E4M3 bits of `x` (round to nearest even, saturating at ±448; NaN
/// becomes the NaN code `0x7F`).
pub fn fp8_e4m3_encode(x: f64) -> u8 {
    if x.is_nan() {
        return 0x7F;
    }
    E4M3.encode(x)
}

/// The value of FP8 E4M3 bits (`0x7F`/`0xFF` are NaN; there is no ∞).
pub fn fp8_e4m3_decode(code: u8) -> f64 {
    E4M3.decode(code, false)
}

/// FP8 E5M2 bits of `x` (round to nearest even, saturating at ±57344; NaN
/// becomes `0x7F`).
pub fn fp8_e5m2_encode(x: f64) -> u8 {
    if x.is_nan() {
        return 0x7F;
    }
    E5M2.encode(x)
}

/// The value of FP8 E5M2 bits (`0x7C` is +∞, `0x7D..=0x7F` NaN).
pub fn fp8_e5m2_decode(code: u8) -> f64 {
    E5M2.decode(code, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn e4m3_known_bit_patterns() {
        for (v, bits) in [
            (0.0, 0x00),
            (-0.0, 0x80),
            (1.0, 0x38),
            (-2.0, 0xC0),
            (448.0, 0x7E),
            (1.125, 0x39),
            (0.015625, 0x08),    // 2⁻⁶, smallest normal
            (0.001953125, 0x01), // 2⁻⁹, smallest subnormal
            (0.013671875, 0x07), // largest subnormal 7·2⁻⁹
            (240.0, 0x77),
        ] {
            assert_eq!(fp8_e4m3_encode(v), bits, "{v}");
            assert_eq!(fp8_e4m3_decode(bits), v, "{bits:#x}");
        }
        assert!(fp8_e4m3_decode(0x7F).is_nan() && fp8_e4m3_decode(0xFF).is_nan());
    }

    #[test]
    fn e4m3_rounds_ties_to_even_and_saturates() {
        // 1.0625 lies halfway between 1.0 (0x38, even) and 1.125 (0x39).
        assert_eq!(fp8_e4m3_encode(1.0625), 0x38);
        // 1.1875 halfway between 1.125 (0x39) and 1.25 (0x3A, even).
        assert_eq!(fp8_e4m3_encode(1.1875), 0x3A);
        assert_eq!(fp8_e4m3_encode(1.07), 0x39);
        // Half the smallest subnormal rounds to zero (even), a bit more rounds up.
        assert_eq!(fp8_e4m3_encode(2f64.powi(-10)), 0x00);
        assert_eq!(fp8_e4m3_encode(2f64.powi(-10) * 1.01), 0x01);
        assert_eq!(fp8_e4m3_encode(464.0), 0x7E);
        assert_eq!(fp8_e4m3_encode(-1e9), 0xFE);
        // Rounding up across a binade: 15.9 → 16 (0x58).
        assert_eq!(fp8_e4m3_encode(15.9), 0x58);
    }

    #[test]
    fn e5m2_known_bit_patterns() {
        for (v, bits) in [
            (1.0, 0x3C),
            (-1.0, 0xBC),
            (57344.0, 0x7B),
            (0.00006103515625, 0x04),   // 2⁻¹⁴, smallest normal
            (0.0000152587890625, 0x01), // 2⁻¹⁶, smallest subnormal
            (1.5, 0x3E),
        ] {
            assert_eq!(fp8_e5m2_encode(v), bits, "{v}");
            assert_eq!(fp8_e5m2_decode(bits), v, "{bits:#x}");
        }
        assert_eq!(fp8_e5m2_encode(1.125), 0x3C); // tie → even mantissa 00
        assert_eq!(fp8_e5m2_encode(1.375), 0x3E); // tie between 1.25 (01) and 1.5 (10) → 10
        assert_eq!(fp8_e5m2_encode(1e6), 0x7B);
        assert_eq!(fp8_e5m2_decode(0x7C), f64::INFINITY);
        assert!(fp8_e5m2_decode(0x7D).is_nan());
    }

    #[test]
    fn every_fp8_code_roundtrips() {
        for code in 0u8..=255 {
            let v = fp8_e4m3_decode(code);
            if v.is_finite() {
                let back = fp8_e4m3_encode(v);
                assert!(back == code || (v == 0.0 && back & 0x7F == 0), "E4M3 {code:#x} → {v} → {back:#x}");
            }
            let v = fp8_e5m2_decode(code);
            if v.is_finite() {
                assert_eq!(fp8_e5m2_encode(v), code, "E5M2 {code:#x} → {v}");
            }
        }
    }

    #[test]
    fn sixteen_bit_patterns() {
        assert_eq!(f16_encode(1.0), 0x3C00);
        assert_eq!(f16_encode(-2.0), 0xC000);
        assert_eq!(f16_encode(65504.0), 0x7BFF);
        assert_eq!(f16_encode(1e6), 0x7BFF);
        assert_eq!(f16_encode(1.0 + 2f64.powi(-11)), 0x3C00); // tie → even
        assert_eq!(bf16_encode(1.0), 0x3F80);
        assert_eq!(bf16_encode(-0.5), 0xBF00);
        assert_eq!(bf16_encode(1.0 + 2f64.powi(-8)), 0x3F80); // tie → even
        assert_eq!(bf16_encode(1.0 + 3.0 * 2f64.powi(-8)), 0x3F82);
    }

    #[test]
    fn int8_and_binary_roundtrip() {
        let x = array![[0.0, 1.0, -1.0], [2.55, 0.5, -1.0], [1.0, 0.0, -1.0]];
        let q = Quantized::encode(x.view(), Quantization::Int8).unwrap();
        assert_eq!(q.bytes_per_vector(), 3);
        assert_eq!(&q.codes()[..3], &[0, 255, 0]);
        let back = q.decode();
        assert!((back[[1, 0]] - 2.55).abs() < 1e-12 && (back[[2, 0]] - 1.0).abs() < 1e-12);
        assert!(back.column(2).iter().all(|&v| v == -1.0)); // constant column stays exact
        let b = Quantized::encode(array![[1.0, -1.0, 0.0, 2.0, 3.0, -3.0, 0.1, 0.2, 5.0]].view(), Quantization::Binary).unwrap();
        assert_eq!(b.codes(), &[0b1101_1001, 0b1]);
        assert_eq!(b.decode().row(0).to_vec(), vec![1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn storage_sizes() {
        assert_eq!(Quantization::F32.bytes_per_vector(384), 1536);
        assert_eq!(Quantization::Fp8E4M3.bytes_per_vector(384), 384);
        assert_eq!(Quantization::Binary.bytes_per_vector(385), 49);
    }

    #[test]
    fn bad_input() {
        let nan = array![[f64::NAN]];
        assert!(matches!(Quantized::encode(nan.view(), Quantization::F16), Err(Error::Data(_))));
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(matches!(Quantized::encode(empty.view(), Quantization::F16), Err(Error::Param { name: "x", .. })));
        let x = array![[1.0, 2.0]];
        assert!(matches!(Quantized::encode_with(x.view(), Quantization::Int8, None), Err(Error::Param { name: "calibration", .. })));
        let cal = Int8Calibration::fit(array![[1.0]].view()).unwrap();
        assert!(matches!(Quantized::encode_with(x.view(), Quantization::Int8, Some(&cal)), Err(Error::Param { name: "calibration", .. })));
    }
}
