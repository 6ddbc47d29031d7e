//! The computations of `notebooks/flattening_swiss_roll.ipynb`, with the numbers
//! its text states asserted at the same margins, so a change that breaks one of
//! the notebook's claims fails here first.

use std::f64::consts::PI;

use lowdim::prelude::*;

type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

const METHODS: [&str; 5] = ["PCA", "Isomap", "LLE", "spectral", "UMAP"];

/// Length of the spiral r = t from 0 to `t`: ∫ √(1 + s²) ds.
fn arc_length(t: f64) -> f64 {
    0.5 * (t * (1.0 + t * t).sqrt() + t.asinh())
}

/// The larger |Spearman ρ| of `v` with the two coordinates of `e`.
fn best_rho(e: &Array2<f64>, v: &[f64]) -> Result<f64> {
    let r0 = spearman(&e.column(0).to_vec(), v)?.abs();
    Ok(r0.max(spearman(&e.column(1).to_vec(), v)?.abs()))
}

/// Largest minus smallest entry of column `j`.
fn extent(e: &Array2<f64>, j: usize) -> f64 {
    let c = e.column(j);
    c.fold(f64::NEG_INFINITY, |m, &v| m.max(v)) - c.fold(f64::INFINITY, |m, &v| m.min(v))
}

#[test]
fn flattening_swiss_roll_notebook() -> TestResult {
    let roll = swiss_roll(1500, 0.05, 0)?;
    let x = roll.records().clone();
    let t: Vec<f64> = roll.targets().to_vec();
    let length = arc_length(4.5 * PI) - arc_length(1.5 * PI);
    println!("{} points; unrolled, the sheet is {length:.1} long and 21 high", x.nrows());
    assert!((89.0..90.0).contains(&length) && length / 21.0 > 4.0, "{length}");

    let clock = std::time::Instant::now();
    let pca_xy = Pca::params(3).fit(&roll)?.predict(&x).slice(s![.., ..2]).to_owned();
    let iso = Isomap::params().n_neighbors(10).fit(&roll)?;
    let lle = LocallyLinearEmbedding::params().n_neighbors(12).fit(&roll)?;
    let se = SpectralEmbedding::params().n_neighbors(10).fit(&roll)?;
    let umap = Umap::params().seed(42).fit(&roll)?;
    println!("five embeddings in {:.1} s", clock.elapsed().as_secs_f64());

    let embeddings = [pca_xy, iso.embedding().clone(), lle.embedding().clone(), se.embedding().clone(), umap.embedding().clone()];
    let trust: Vec<f64> = embeddings.iter().map(|e| trustworthiness(x.view(), e.view(), 10)).collect::<Result<_>>()?;
    for i in 0..5 {
        println!("{:>9}: T(10) = {:.4}", METHODS[i], trust[i]);
    }
    // PCA, Isomap, LLE, spectral, UMAP
    assert!(trust[1] > 0.999 && trust.iter().all(|&v| v <= trust[1]), "Isomap best {trust:?}");
    assert!(trust[2] > 0.995 && trust[4] > 0.995, "LLE, UMAP {trust:?}");
    assert!((0.965..0.985).contains(&trust[0]), "PCA {trust:?}");
    assert!((0.88..0.92).contains(&trust[3]) && trust[3] < trust[0], "spectral below PCA {trust:?}");

    let height: Vec<f64> = x.column(1).to_vec();
    let rho_t: Vec<f64> = embeddings[..4].iter().map(|e| best_rho(e, &t)).collect::<Result<_>>()?;
    let rho_h: Vec<f64> = embeddings[..4].iter().map(|e| best_rho(e, &height)).collect::<Result<_>>()?;
    for i in 0..4 {
        println!("{:>9}: |ρ| with t {:.4}, with height {:.4}", METHODS[i], rho_t[i], rho_h[i]);
    }
    assert!(rho_t[1] > 0.999 && rho_h[1] > 0.99, "Isomap {rho_t:?} {rho_h:?}");
    assert!(rho_t[0] < 0.3 && rho_h[0] < 0.3, "PCA {rho_t:?} {rho_h:?}");
    assert!(rho_t[2] > 0.99 && (0.92..0.98).contains(&rho_h[2]), "LLE {rho_t:?} {rho_h:?}");
    assert!(rho_t[3] > 0.99 && rho_h[3] < 0.1, "spectral {rho_t:?} {rho_h:?}");

    let iso_t = spearman(&iso.embedding().column(0).to_vec(), &t)?.abs();
    let iso_h = spearman(&iso.embedding().column(1).to_vec(), &height)?.abs();
    let (w, h) = (extent(iso.embedding(), 0), extent(iso.embedding(), 1));
    println!("Isomap: |ρ(coordinate 1, t)| = {iso_t:.4}, |ρ(coordinate 2, height)| = {iso_h:.4}; map {w:.1} × {h:.1}");
    assert!(iso_t > 0.999 && iso_h > 0.99, "{iso_t} {iso_h}");
    assert!((88.0..96.0).contains(&w) && (21.0..28.0).contains(&h), "Isomap extent {w} × {h}");
    println!("everything in {:.1} s", clock.elapsed().as_secs_f64());
    Ok(())
}
