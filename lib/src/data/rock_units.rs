//! A synthetic multispectral scene of rock units, standing in for the
//! Landsat-8 / ASTER / Sentinel-2 rasters of the stacked-autoencoder
//! geological-mapping paper (which are not redistributable).
//!
//! Units are irregular regions — a Voronoi partition of random centres seen
//! through a smooth domain warp, so boundaries curve like mapped contacts.
//! Each unit has its own reflectance spectrum (a sloped continuum with two or
//! three Gaussian absorption features at unit-specific bands). A pixel mixes
//! the spectra of nearby units (soft weights in the warped distance, so
//! contacts are blurred over a few pixels), is scaled by a smooth
//! illumination field, and gets Gaussian noise; every band is then min–max
//! scaled to [0, 1] as the paper does. Cost `O(h·w·(units + bands))`.
//!
//! ```
//! use lowdim::prelude::*;
//! let scene = RockScene::generate(40, 30, 5, 8, 0).unwrap();
//! assert_eq!(scene.pixels().dim(), (1200, 8));
//! assert_eq!(scene.units().len(), 1200);
//! assert!(scene.pixels().iter().all(|v| (0.0..=1.0).contains(v)));
//! ```

use ndarray::{Array1, Array2, ArrayView1, Axis, Ix1};
use rand::Rng;
use rand_distr::StandardNormal;

use crate::error::{Error, Result};
use crate::plot::{heatmap, Figure};
use crate::rng;

/// Pixels (row-major, `height·width × bands`), their true unit, and the units' spectra.
#[derive(Clone, Debug)]
pub struct RockScene {
    pixels: Array2<f64>,
    units: Array1<usize>,
    spectra: Array2<f64>,
    height: usize,
    width: usize,
}

/// Std of the per-band pixel noise, before band scaling.
const NOISE: f64 = 0.02;
/// Width (in warped pixels) over which neighbouring units mix at a contact.
const CONTACT: f64 = 1.5;

impl RockScene {
    /// A `height × width` scene of `n_units` units in `n_bands` bands.
    pub fn generate(height: usize, width: usize, n_units: usize, n_bands: usize, seed: u64) -> Result<Self> {
        for (name, v, min) in [("height", height, 4), ("width", width, 4), ("n_units", n_units, 2), ("n_bands", n_bands, 2)] {
            if v < min {
                return Err(Error::param(name, format!("of RockScene must be ≥ {min}; got {v}")));
            }
        }
        if n_units > height * width {
            return Err(Error::param("n_units", format!("of RockScene must be ≤ height·width = {}; got {n_units}", height * width)));
        }
        let mut g = rng::xoshiro(seed);
        let centres: Vec<(f64, f64)> = (0..n_units).map(|_| (g.gen::<f64>() * height as f64, g.gen::<f64>() * width as f64)).collect();
        let spectra = unit_spectra(n_units, n_bands, &mut g);
        let warp: [f64; 6] = std::array::from_fn(|_| g.gen::<f64>() * std::f64::consts::TAU);
        let scale = (height.max(width) as f64) / 8.0;
        let mut pixels = Array2::zeros((height * width, n_bands));
        let mut units = Array1::zeros(height * width);
        for (p, mut row) in pixels.axis_iter_mut(Axis(0)).enumerate() {
            let (i, j) = ((p / width) as f64, (p % width) as f64);
            // Domain warp: contacts curve on a scale of about an eighth of the scene.
            let wi = i + 0.35 * scale * ((j / scale + warp[0]).sin() + 0.5 * (i / (0.6 * scale) + warp[1]).sin());
            let wj = j + 0.35 * scale * ((i / scale + warp[2]).sin() + 0.5 * (j / (0.6 * scale) + warp[3]).sin());
            let d: Vec<f64> = centres.iter().map(|c| ((wi - c.0).powi(2) + (wj - c.1).powi(2)).sqrt()).collect();
            let nearest = d.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(k, _)| k);
            units[p] = nearest;
            let weights: Vec<f64> = d.iter().map(|dk| (-(dk - d[nearest]) / CONTACT).exp()).collect();
            let total: f64 = weights.iter().sum();
            let light = 1.0 + 0.08 * ((i / (2.0 * scale) + warp[4]).sin() * (j / (2.0 * scale) + warp[5]).cos());
            for (b, v) in row.iter_mut().enumerate() {
                let mixed: f64 = weights.iter().zip(spectra.column(b)).map(|(w, s)| w * s).sum::<f64>() / total;
                *v = light * mixed + NOISE * g.sample::<f64, _>(StandardNormal);
            }
        }
        minmax_columns(&mut pixels);
        Ok(RockScene { pixels, units, spectra, height, width })
    }

    /// The pixels, `height·width × bands`, each band scaled to [0, 1].
    pub fn pixels(&self) -> &Array2<f64> {
        &self.pixels
    }

    /// The true unit of each pixel.
    pub fn units(&self) -> &Array1<usize> {
        &self.units
    }

    /// The units' reflectance spectra (`units × bands`, before scaling).
    pub fn spectra(&self) -> &Array2<f64> {
        &self.spectra
    }

    /// (height, width).
    pub fn shape(&self) -> (usize, usize) {
        (self.height, self.width)
    }

    /// Pixels with their true units as a dataset.
    pub fn dataset(&self) -> linfa::Dataset<f64, usize, Ix1> {
        linfa::Dataset::new(self.pixels.clone(), self.units.clone())
    }

    /// Per-pixel labels (true units, or a clustering) as a `height × width` map.
    pub fn map(&self, labels: ArrayView1<usize>) -> Result<Array2<f64>> {
        if labels.len() != self.height * self.width {
            return Err(Error::data(format!("a map needs {} labels; got {}", self.height * self.width, labels.len())));
        }
        Ok(Array2::from_shape_fn((self.height, self.width), |(i, j)| labels[i * self.width + j] as f64))
    }

    /// The map of the true units.
    pub fn figure(&self) -> Result<Figure> {
        Ok(heatmap(self.map(self.units.view())?.view())?.title("rock units"))
    }

    /// Renders the unit map in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(f) => f.evcxr_display(),
            Err(e) => println!("{e}"),
        }
    }
}

/// Each unit: a continuum `0.3 + 0.4·slope·t` with two or three absorption
/// dips of depth 0.1–0.35 at random band positions (t ∈ [0, 1] across bands).
fn unit_spectra(n_units: usize, n_bands: usize, g: &mut impl Rng) -> Array2<f64> {
    let mut s = Array2::zeros((n_units, n_bands));
    for mut row in s.axis_iter_mut(Axis(0)) {
        let slope = g.gen::<f64>() * 2.0 - 1.0;
        let dips: Vec<(f64, f64, f64)> =
            (0..g.gen_range(2..=3)).map(|_| (g.gen::<f64>(), 0.1 + 0.25 * g.gen::<f64>(), 0.08 + 0.1 * g.gen::<f64>())).collect();
        for (b, v) in row.iter_mut().enumerate() {
            let t = b as f64 / (n_bands - 1) as f64;
            let dip: f64 = dips.iter().map(|(c, depth, w)| depth * (-(t - c).powi(2) / (2.0 * w * w)).exp()).sum();
            *v = 0.5 + 0.2 * slope * (t - 0.5) - dip;
        }
    }
    s
}

fn minmax_columns(x: &mut Array2<f64>) {
    for mut col in x.axis_iter_mut(Axis(1)) {
        let (lo, hi) = col.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        let span = if hi > lo { hi - lo } else { 1.0 };
        col.mapv_inplace(|v| (v - lo) / span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_is_present_and_the_scene_repeats() {
        let a = RockScene::generate(48, 48, 6, 8, 3).unwrap();
        let mut seen = [false; 6];
        a.units().iter().for_each(|&u| seen[u] = true);
        assert!(seen.iter().all(|&s| s));
        assert_eq!(a.pixels(), RockScene::generate(48, 48, 6, 8, 3).unwrap().pixels());
        assert_eq!(a.map(a.units().view()).unwrap().dim(), (48, 48));
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(matches!(RockScene::generate(2, 10, 3, 5, 0), Err(Error::Param { name: "height", .. })));
        assert!(matches!(RockScene::generate(10, 10, 1, 5, 0), Err(Error::Param { name: "n_units", .. })));
        assert!(matches!(RockScene::generate(10, 10, 3, 1, 0), Err(Error::Param { name: "n_bands", .. })));
    }
}
