//! The benchmark manifolds of intrinsic-dimension estimation, with their true
//! intrinsic and ambient dimensions.
//!
//! The set of Hein & Audibert (ICML 2005) and Campadelli et al., "Intrinsic
//! dimension estimation: relevant techniques and a benchmark framework"
//! (Math. Probl. Eng. 2015, doi:10.1155/2015/759567), with the formulas,
//! dimensions and names of scikit-dimension's `BenchmarkManifolds`
//! (`skdim/datasets.py`) at its default sizes, noise-free. Rows follow the
//! reference's order (the hypercube surfaces come face by face), so subsample
//! at random rather than by taking the first rows. Cost: O(n · ambient_dim).
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let x = benchmark_manifold(Benchmark::M7Roll, 1000, 0)?;
//! assert_eq!(x.dim(), (1000, Benchmark::M7Roll.ambient_dim()));
//! assert_eq!(Benchmark::M7Roll.intrinsic_dim(), 2);
//! for b in Benchmark::all() {
//!     assert_eq!(benchmark_manifold(*b, 20, 1)?.ncols(), b.ambient_dim());
//! }
//! # Ok::<(), lowdim::Error>(())
//! ```

use super::{check_at_least, seeded_rng, standard_normal, standard_uniform, SeededRng};
use crate::error::{Error, Result};
use ndarray::{s, Array1, Array2, ArrayView2, Axis};
use rand::Rng;
use rand_distr::{Beta, Exp1};
use std::f64::consts::PI;

/// One of scikit-dimension's benchmark manifolds (names as in `skdim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Benchmark {
    /// 10-sphere in R¹¹.
    M1Sphere,
    /// 3-d affine space in R⁵.
    M2Affine3to5,
    /// 4-d nonlinear manifold in R⁶, easily mistaken for a 3-d one.
    M3Nonlinear4to6,
    /// 4-d nonlinear manifold in R⁸.
    M4Nonlinear,
    /// 1-d helix in R³.
    M5aHelix1d,
    /// 2-d helicoid in R³.
    M5bHelix2d,
    /// 6-d nonlinear manifold in R³⁶.
    M6Nonlinear,
    /// Swiss roll in R³.
    M7Roll,
    /// 12-d highly curved nonlinear manifold in R⁷².
    M8Nonlinear,
    /// 20-d affine space (a cube) in R²⁰.
    M9Affine,
    /// Surface of the 11-cube: 10-d in R¹¹.
    M10aCubic,
    /// Surface of the 18-cube: 17-d in R¹⁸.
    M10bCubic,
    /// Surface of the 25-cube: 24-d in R²⁵.
    M10cCubic,
    /// Surface of the 71-cube: 70-d in R⁷¹.
    M10dCubic,
    /// Möbius-type band in R³ whose cross-section makes ten half-turns
    /// (skdim: "Möebius band 10-times twisted").
    M11Moebius,
    /// Isotropic 20-d Gaussian.
    M12Norm,
    /// S-curve in R³.
    M13aScurve,
    /// 1-d spiral in R¹³.
    M13bSpiral,
    /// 10-d manifold in R⁴⁰ sampled from a skewed Beta(10, 0.5) density.
    Mbeta,
    /// 18-d nonlinearly embedded manifold in R⁷².
    Mn1Nonlinear,
    /// 24-d nonlinearly embedded manifold in R⁹⁶.
    Mn2Nonlinear,
    /// 3-d paraboloid in R¹², Burr-distributed.
    Mp1Paraboloid,
    /// 6-d paraboloid in R²¹, Burr-distributed.
    Mp2Paraboloid,
    /// 9-d paraboloid in R³⁰, Burr-distributed.
    Mp3Paraboloid,
}

use Benchmark::*;

const ALL: [Benchmark; 24] = [
    M1Sphere,
    M2Affine3to5,
    M3Nonlinear4to6,
    M4Nonlinear,
    M5aHelix1d,
    M5bHelix2d,
    M6Nonlinear,
    M7Roll,
    M8Nonlinear,
    M9Affine,
    M10aCubic,
    M10bCubic,
    M10cCubic,
    M10dCubic,
    M11Moebius,
    M12Norm,
    M13aScurve,
    M13bSpiral,
    Mbeta,
    Mn1Nonlinear,
    Mn2Nonlinear,
    Mp1Paraboloid,
    Mp2Paraboloid,
    Mp3Paraboloid,
];

impl Benchmark {
    /// Every benchmark, in scikit-dimension's order.
    pub fn all() -> &'static [Benchmark] {
        &ALL
    }

    /// The name scikit-dimension uses, e.g. `"M1_Sphere"`.
    pub fn name(self) -> &'static str {
        self.truth().0
    }

    /// The true intrinsic dimension.
    pub fn intrinsic_dim(self) -> usize {
        self.truth().1
    }

    /// The dimension of the space the points live in (columns of the data).
    pub fn ambient_dim(self) -> usize {
        self.truth().2
    }

    /// scikit-dimension's one-line description.
    pub fn description(self) -> &'static str {
        self.truth().3
    }

    /// The benchmark called `name` (scikit-dimension's spelling, any case).
    pub fn from_name(name: &str) -> Result<Benchmark> {
        ALL.iter().copied().find(|b| b.name().eq_ignore_ascii_case(name)).ok_or_else(|| {
            let known: Vec<&str> = ALL.iter().map(|b| b.name()).collect();
            Error::param("name", format!("of Benchmark must be one of {known:?}; got {name:?}"))
        })
    }

    /// (name, intrinsic dim, ambient dim, description), from skdim's `_dict_truth`.
    fn truth(self) -> (&'static str, usize, usize, &'static str) {
        match self {
            M1Sphere => ("M1_Sphere", 10, 11, "10D sphere linearly embedded"),
            M2Affine3to5 => ("M2_Affine_3to5", 3, 5, "Affine space"),
            M3Nonlinear4to6 => ("M3_Nonlinear_4to6", 4, 6, "Concentrated figure, mistakable with a 3D one"),
            M4Nonlinear => ("M4_Nonlinear", 4, 8, "Nonlinear manifold"),
            M5aHelix1d => ("M5a_Helix1d", 1, 3, "1D helix"),
            M5bHelix2d => ("M5b_Helix2d", 2, 3, "2D helix"),
            M6Nonlinear => ("M6_Nonlinear", 6, 36, "Nonlinear manifold"),
            M7Roll => ("M7_Roll", 2, 3, "Swiss Roll"),
            M8Nonlinear => ("M8_Nonlinear", 12, 72, "Nonlinear (highly curved) manifold"),
            M9Affine => ("M9_Affine", 20, 20, "Affine space"),
            M10aCubic => ("M10a_Cubic", 10, 11, "10D hypercube"),
            M10bCubic => ("M10b_Cubic", 17, 18, "17D hypercube"),
            M10cCubic => ("M10c_Cubic", 24, 25, "24D hypercube"),
            M10dCubic => ("M10d_Cubic", 70, 71, "70D hypercube"),
            M11Moebius => ("M11_Moebius", 2, 3, "Möebius band 10-times twisted"),
            M12Norm => ("M12_Norm", 20, 20, "Isotropic multivariate Gaussian"),
            M13aScurve => ("M13a_Scurve", 2, 3, "2D S-curve"),
            M13bSpiral => ("M13b_Spiral", 1, 13, "1D helix curve"),
            Mbeta => ("Mbeta", 10, 40, "Manifold generated with a smooth nonuniform pdf"),
            Mn1Nonlinear => ("Mn1_Nonlinear", 18, 72, "Nonlinearly embedded manifold of high ID"),
            Mn2Nonlinear => ("Mn2_Nonlinear", 24, 96, "Nonlinearly embedded manifold of high ID"),
            Mp1Paraboloid => ("Mp1_Paraboloid", 3, 12, "3D paraboloid, nonlinearly embedded, Burr-distributed"),
            Mp2Paraboloid => ("Mp2_Paraboloid", 6, 21, "6D paraboloid, nonlinearly embedded, Burr-distributed"),
            Mp3Paraboloid => ("Mp3_Paraboloid", 9, 30, "9D paraboloid, nonlinearly embedded, Burr-distributed"),
        }
    }
}

impl std::fmt::Display for Benchmark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `n_samples` points of the benchmark manifold `which`, one per row, with
/// `which.ambient_dim()` columns; the truth is `which.intrinsic_dim()`.
/// `n_samples` ≥ 1.
pub fn benchmark_manifold(which: Benchmark, n_samples: usize, seed: u64) -> Result<Array2<f64>> {
    check_at_least(which.name(), "n_samples", n_samples, 1)?;
    let mut rng = seeded_rng(seed);
    let (n, d, dim) = (n_samples, which.intrinsic_dim(), which.ambient_dim());
    let x = match which {
        M1Sphere => sphere_data(&mut rng, n, d, dim),
        M2Affine3to5 => affine_3to5(&mut rng, n),
        M3Nonlinear4to6 => nonlinear_4to6(&mut rng, n),
        M4Nonlinear | M6Nonlinear | M8Nonlinear => nonlinear_tiled(&mut rng, n, d, dim),
        M5aHelix1d => helix_1d(&mut rng, n),
        M5bHelix2d => helicoid(&mut rng, n),
        M7Roll => roll(&mut rng, n),
        M9Affine => standard_uniform(&mut rng, n, d).mapv(|u| 5.0 * u - 2.5),
        M10aCubic | M10bCubic | M10cCubic | M10dCubic => cube_surface(&mut rng, n, d, dim),
        M11Moebius => moebius(&mut rng, n),
        M12Norm => standard_normal(&mut rng, n, d),
        M13aScurve => scurve(&mut rng, n),
        M13bSpiral => spiral(&mut rng, n, dim),
        Mbeta => campadelli_beta(&mut rng, n, d)?,
        Mn1Nonlinear | Mn2Nonlinear => campadelli_n(&mut rng, n, d),
        Mp1Paraboloid | Mp2Paraboloid | Mp3Paraboloid => paraboloid(&mut rng, n, d),
    };
    Ok(x)
}

/// Builds an n × k matrix from a per-row map of k fresh uniforms.
fn from_uniform_rows<const K: usize>(rng: &mut SeededRng, n: usize, cols: usize, f: impl Fn(&[f64; K]) -> Vec<f64>) -> Array2<f64> {
    let mut x = Array2::zeros((n, cols));
    for mut row in x.axis_iter_mut(Axis(0)) {
        let u: [f64; K] = std::array::from_fn(|_| rng.gen::<f64>());
        for (dst, v) in row.iter_mut().zip(f(&u)) {
            *dst = v;
        }
    }
    x
}

/// The unit d-sphere in R^{d+1}, padded with zero columns up to `dim`.
fn sphere_data(rng: &mut SeededRng, n: usize, d: usize, dim: usize) -> Array2<f64> {
    let mut x = Array2::zeros((n, dim));
    let g = standard_normal(rng, n, d + 1);
    for (mut row, g) in x.axis_iter_mut(Axis(0)).zip(g.rows()) {
        let norm = g.dot(&g).sqrt().max(f64::MIN_POSITIVE);
        row.slice_mut(s![..d + 1]).assign(&g.mapv(|v| v / norm));
    }
    x
}

/// p ∈ [0, 4]³ mapped by skdim's fixed 5 × 3 matrix plus offset.
fn affine_3to5(rng: &mut SeededRng, n: usize) -> Array2<f64> {
    let a = ndarray::array![[1.2, -0.5, 0.0], [0.5, 0.9, 0.0], [-0.5, -0.2, 1.0], [0.4, -0.9, -0.1], [1.1, -0.3, 0.0]];
    let b = ndarray::array![3.0, -1.0, 0.0, 0.0, 8.0];
    let p = standard_uniform(rng, n, 3) * 4.0;
    p.dot(&a.t()) + &b
}

fn nonlinear_4to6(rng: &mut SeededRng, n: usize) -> Array2<f64> {
    from_uniform_rows(rng, n, 6, |&[p0, p1, p2, p3]: &[f64; 4]| {
        vec![
            p1 * p1 * (2.0 * PI * p0).cos(),
            p2 * p2 * (2.0 * PI * p0).sin(),
            p1 + p2 + (p1 - p3).powi(2),
            p1 - 2.0 * p2 + (p0 - p3).powi(2),
            -p1 - 2.0 * p2 + (p2 - p3).powi(2),
            p0 * p0 - p1 * p1 + p2 * p2 - p3 * p3,
        ]
    })
}

/// Pairs (p_{i+1} cos 2πp_i, p_{i+1} sin 2πp_i), indices mod d, repeated
/// dim / 2d times.
fn nonlinear_tiled(rng: &mut SeededRng, n: usize, d: usize, dim: usize) -> Array2<f64> {
    let p = standard_uniform(rng, n, d);
    let mut block = Array2::zeros((n, 2 * d));
    for (mut row, p) in block.axis_iter_mut(Axis(0)).zip(p.rows()) {
        for i in 0..d {
            let r = p[(i + 1) % d];
            row[2 * i] = r * (2.0 * PI * p[i]).cos();
            row[2 * i + 1] = r * (2.0 * PI * p[i]).sin();
        }
    }
    hstack(&vec![block.view(); dim / (2 * d)])
}

fn helix_1d(rng: &mut SeededRng, n: usize) -> Array2<f64> {
    let offset = 2.0 * PI / n as f64;
    from_uniform_rows(rng, n, 3, |&[u]: &[f64; 1]| {
        let t = offset + 2.0 * PI * u;
        let r = 2.0 + (8.0 * t).cos();
        vec![r * t.cos(), r * t.sin(), (8.0 * t).sin()]
    })
}

fn helicoid(rng: &mut SeededRng, n: usize) -> Array2<f64> {
    from_uniform_rows(rng, n, 3, |&[u, v]: &[f64; 2]| {
        let (r, p) = (10.0 * PI * u, 10.0 * PI * v);
        vec![r * p.cos(), r * p.sin(), 0.5 * p]
    })
}

fn roll(rng: &mut SeededRng, n: usize) -> Array2<f64> {
    from_uniform_rows(rng, n, 3, |&[u, v]: &[f64; 2]| {
        let t = 1.5 * PI * (1.0 + 2.0 * u);
        vec![t * t.cos(), 21.0 * v, t * t.sin()]
    })
}

/// The surface of [0, 1]^{d+1}: ⌊n / 2(d+1)⌋ + 1 points on each face, face by
/// face (coordinate i at 0, then at 1), cut to n rows; zero-padded to `dim`.
fn cube_surface(rng: &mut SeededRng, n: usize, d: usize, dim: usize) -> Array2<f64> {
    // per_face · 2(d + 1) > n, so every row falls on one of the 2(d + 1) faces.
    let per_face = n / (2 * (d + 1)) + 1;
    let mut x = Array2::zeros((n, dim));
    for (i, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
        let face = i / per_face;
        for j in 0..=d {
            row[j] = rng.gen::<f64>();
        }
        row[face / 2] = (face % 2) as f64;
    }
    x
}

fn moebius(rng: &mut SeededRng, n: usize) -> Array2<f64> {
    from_uniform_rows(rng, n, 3, |&[u, v]: &[f64; 2]| {
        let (phi, rad) = (2.0 * PI * u, 2.0 * v - 1.0);
        let r = 1.0 + 0.5 * rad * (5.0 * phi).cos();
        vec![r * phi.cos(), r * phi.sin(), 0.5 * rad * (5.0 * phi).sin()]
    })
}

fn scurve(rng: &mut SeededRng, n: usize) -> Array2<f64> {
    from_uniform_rows(rng, n, 3, |&[u, v]: &[f64; 2]| {
        let t = 3.0 * PI * (u - 0.5);
        vec![t.sin(), 2.0 * v, t.signum() * (t.cos() - 1.0)]
    })
}

/// (100 cos t, 100 sin t, t), t ∈ [0, 10π), zero-padded to `dim`.
fn spiral(rng: &mut SeededRng, n: usize, dim: usize) -> Array2<f64> {
    from_uniform_rows(rng, n, dim, |&[u]: &[f64; 1]| {
        let t = 10.0 * PI * u;
        vec![100.0 * t.cos(), 100.0 * t.sin(), t]
    })
}

/// X ~ Beta(10, 0.5)^d; columns [x sin cos 2πx, x cos sin 2πx] repeated twice.
fn campadelli_beta(rng: &mut SeededRng, n: usize, d: usize) -> Result<Array2<f64>> {
    let beta = Beta::new(10.0, 0.5).map_err(|e| Error::data(format!("Beta(10, 0.5): {e}")))?;
    let x = Array2::from_shape_simple_fn((n, d), || rng.sample(beta));
    let t1 = x.mapv(|v| v * (2.0 * PI * v).cos().sin());
    let t2 = x.mapv(|v| v * (2.0 * PI * v).sin().cos());
    Ok(repeat_pair(&t1, &t2))
}

/// X ~ U[0, 1]^d; columns [tan(x_i cos x_{d−1−i}), arctan(x_{d−1−i} sin x_i)]
/// repeated twice.
fn campadelli_n(rng: &mut SeededRng, n: usize, d: usize) -> Array2<f64> {
    let x = standard_uniform(rng, n, d);
    let mut t1 = Array2::zeros((n, d));
    let mut t2 = Array2::zeros((n, d));
    for i in 0..d {
        let (a, b) = (x.column(i), x.column(d - 1 - i));
        t1.column_mut(i).assign(&ndarray::Zip::from(&a).and(&b).map_collect(|&a, &b| (a * b.cos()).tan()));
        t2.column_mut(i).assign(&ndarray::Zip::from(&a).and(&b).map_collect(|&a, &b| (b * a.sin()).atan()));
    }
    repeat_pair(&t1, &t2)
}

fn repeat_pair(t1: &Array2<f64>, t2: &Array2<f64>) -> Array2<f64> {
    hstack(&[t1.view(), t2.view(), t1.view(), t2.view()])
}

/// Side-by-side blocks with the same number of rows.
fn hstack(parts: &[ArrayView2<f64>]) -> Array2<f64> {
    let rows = parts.first().map_or(0, |p| p.nrows());
    let mut x = Array2::zeros((rows, parts.iter().map(|p| p.ncols()).sum()));
    let mut start = 0;
    for p in parts {
        x.slice_mut(s![.., start..start + p.ncols()]).assign(p);
        start += p.ncols();
    }
    x
}

/// E_0..E_d ~ Exp(1); x_j = 1 / (1 + E_{j+1}/E_0) (multivariate Burr), then
/// x_d = Σ x_j²; columns [x, sin x, x²], 3(d + 1) in all.
fn paraboloid(rng: &mut SeededRng, n: usize, d: usize) -> Array2<f64> {
    let mut x = Array2::zeros((n, d + 1));
    for mut row in x.axis_iter_mut(Axis(0)) {
        let e: Array1<f64> = (0..=d).map(|_| rng.sample::<f64, _>(Exp1)).collect();
        for j in 0..d {
            row[j] = 1.0 / (1.0 + e[j + 1] / e[0]);
        }
        row[d] = row.slice(s![..d]).mapv(|v| v * v).sum();
    }
    hstack(&[x.view(), x.mapv(f64::sin).view(), x.mapv(|v| v * v).view()])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numerical rank of the centred data by column-pivoted Gram–Schmidt:
    /// directions whose remaining norm exceeds `tol` × the largest column norm.
    fn numerical_rank(x: &Array2<f64>, tol: f64) -> usize {
        let mut a = x - &x.mean_axis(Axis(0)).unwrap();
        let norm = |a: &Array2<f64>, j: usize| a.column(j).dot(&a.column(j)).sqrt();
        let scale = (0..a.ncols()).map(|j| norm(&a, j)).fold(0.0, f64::max);
        let mut rank = 0;
        for _ in 0..a.ncols() {
            let (best, size) = (0..a.ncols()).map(|j| (j, norm(&a, j))).fold((0, 0.0), |m, c| if c.1 > m.1 { c } else { m });
            if size <= tol * scale {
                break;
            }
            let q = a.column(best).mapv(|v| v / size);
            for j in 0..a.ncols() {
                let proj = q.dot(&a.column(j));
                a.column_mut(j).scaled_add(-proj, &q);
            }
            rank += 1;
        }
        rank
    }

    #[test]
    fn every_benchmark_has_its_ambient_dimension_and_is_finite() {
        for &b in Benchmark::all() {
            let x = benchmark_manifold(b, 57, 3).unwrap();
            assert_eq!(x.dim(), (57, b.ambient_dim()), "{b}");
            assert!(x.iter().all(|v| v.is_finite()), "{b}");
            assert!(b.intrinsic_dim() <= b.ambient_dim(), "{b}");
        }
    }

    #[test]
    fn table_of_truth_matches_skdim() {
        let dims: Vec<(usize, usize)> = Benchmark::all().iter().map(|b| (b.intrinsic_dim(), b.ambient_dim())).collect();
        assert_eq!(
            dims,
            [
                (10, 11),
                (3, 5),
                (4, 6),
                (4, 8),
                (1, 3),
                (2, 3),
                (6, 36),
                (2, 3),
                (12, 72),
                (20, 20),
                (10, 11),
                (17, 18),
                (24, 25),
                (70, 71),
                (2, 3),
                (20, 20),
                (2, 3),
                (1, 13),
                (10, 40),
                (18, 72),
                (24, 96),
                (3, 12),
                (6, 21),
                (9, 30)
            ]
        );
    }

    #[test]
    fn deterministic_in_the_seed() {
        for &b in Benchmark::all() {
            let a = benchmark_manifold(b, 30, 8).unwrap();
            assert_eq!(a, benchmark_manifold(b, 30, 8).unwrap(), "{b}");
            assert_ne!(a, benchmark_manifold(b, 30, 9).unwrap(), "{b}");
        }
    }

    #[test]
    fn names_round_trip() {
        for &b in Benchmark::all() {
            assert_eq!(Benchmark::from_name(b.name()).unwrap(), b);
            assert_eq!(b.to_string(), b.name());
        }
        assert_eq!(Benchmark::from_name("m7_roll").unwrap(), M7Roll);
        assert_param_err!(Benchmark::from_name("M99"), "name");
    }

    #[test]
    fn zero_samples_is_an_error() {
        assert_param_err!(benchmark_manifold(M1Sphere, 0, 0), "n_samples");
        let msg = benchmark_manifold(M1Sphere, 0, 0).unwrap_err().to_string();
        assert!(msg.contains("M1_Sphere") && msg.contains("got 0"), "{msg}");
    }

    #[test]
    fn linear_benchmarks_span_exactly_their_dimension() {
        for b in [M1Sphere, M2Affine3to5, M9Affine, M12Norm, M10aCubic] {
            let x = benchmark_manifold(b, 400, 1).unwrap();
            // A sphere and a cube surface span one dimension more than they have.
            let span = match b {
                M1Sphere | M10aCubic => b.intrinsic_dim() + 1,
                _ => b.intrinsic_dim(),
            };
            assert_eq!(numerical_rank(&x, 1e-10), span, "{b}");
        }
    }

    #[test]
    fn geometric_invariants() {
        let x = benchmark_manifold(M1Sphere, 100, 2).unwrap();
        assert!(x.rows().into_iter().all(|r| (r.dot(&r) - 1.0).abs() < 1e-12));
        let x = benchmark_manifold(M10aCubic, 300, 2).unwrap();
        for r in x.rows() {
            let on_face = r.iter().take(11).filter(|&&v| v == 0.0 || v == 1.0).count();
            assert!(on_face >= 1 && r.iter().all(|v| (0.0..=1.0).contains(v)));
        }
        let x = benchmark_manifold(M11Moebius, 300, 2).unwrap();
        for r in x.rows() {
            let rho = r[0].hypot(r[1]);
            assert!((rho - 1.0).hypot(r[2]) <= 0.5 + 1e-12);
        }
        let x = benchmark_manifold(M13bSpiral, 50, 2).unwrap();
        assert!(x.slice(s![.., 3..]).iter().all(|&v| v == 0.0));
        assert!(x.rows().into_iter().all(|r| (r[0].hypot(r[1]) - 100.0).abs() < 1e-9));
    }

    #[test]
    fn tiled_and_repeated_blocks_are_copies() {
        let x = benchmark_manifold(M6Nonlinear, 40, 2).unwrap();
        assert_eq!(x.slice(s![.., ..12]), x.slice(s![.., 12..24]));
        assert_eq!(x.slice(s![.., ..12]), x.slice(s![.., 24..]));
        let x = benchmark_manifold(Mn1Nonlinear, 40, 2).unwrap();
        assert_eq!(x.slice(s![.., ..36]), x.slice(s![.., 36..]));
        let x = benchmark_manifold(Mbeta, 40, 2).unwrap();
        assert_eq!(x.slice(s![.., ..20]), x.slice(s![.., 20..]));
    }

    #[test]
    fn paraboloid_last_coordinate_is_the_squared_norm() {
        let x = benchmark_manifold(Mp1Paraboloid, 100, 2).unwrap();
        for r in x.rows() {
            let sq = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
            assert!((r[3] - sq).abs() < 1e-12);
            assert!((r[4] - r[0].sin()).abs() < 1e-12 && (r[8] - r[0] * r[0]).abs() < 1e-12);
        }
    }
}
