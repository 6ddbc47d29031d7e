//! Seed derivation for every random stream of the crate.
//!
//! Every random stream is a pure function of `(seed, stream, index)`: a tree, a
//! vertex in an epoch, a query row. No stream is ever shared between threads, so
//! results cannot depend on how rayon schedules the work.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Stream tags: one per purpose, so that two purposes never draw the same
/// numbers. Every estimator's tag is here, so a new one cannot reuse another's.
/// The values are part of the results: changing one changes that estimator's
/// output for a given seed.
pub(crate) mod stream {
    pub const TREES: u64 = 1;
    pub const FILL: u64 = 2;
    pub const CANDIDATES: u64 = 3;
    pub const QUERY: u64 = 4;
    pub const SPECTRAL: u64 = 10;
    pub const NOISE: u64 = 11;
    pub const RANDOM_INIT: u64 = 12;
    pub const COMPONENTS: u64 = 13;
    pub const SGD: u64 = 14;
    pub const TRANSFORM: u64 = 15;
    #[cfg_attr(not(feature = "torch"), allow(dead_code))]
    pub const BATCHES: u64 = 20;
    pub const MOLRG_FRESH: u64 = 50;
    pub const PPP: u64 = 0x999;
    pub const SPECTRAL_CLUSTERING_LANCZOS: u64 = 0x5c1;
    pub const SPECTRAL_CLUSTERING_KMEANS: u64 = 0x5c2;
    pub const K_SUBSPACES: u64 = 0x6b5;
    pub const SPARSE_PROJECTION_ROWS: u64 = 0x5B_0001;
    pub const TSNE_INIT: u64 = 0x75E_0001;
    pub const RANDOMIZED_PCA_TEST_MATRIX: u64 = 0x5CA1_0001;
}

/// The SplitMix64 finaliser: a bijective avalanche on 64 bits.
#[inline]
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of stream `stream`, item `index`, under the user's `seed`.
#[inline]
pub(crate) fn derive(seed: u64, stream: u64, index: u64) -> u64 {
    mix(mix(mix(seed) ^ stream.wrapping_mul(0xA24B_AED4_963E_E407)) ^ index)
}

/// A full-quality generator for the cold paths (trees, initialisation).
pub(crate) fn xoshiro(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// A tiny generator for the hot loops, cheap enough to seed once per vertex and
/// epoch (SplitMix64: one add and one finaliser per draw).
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    #[inline]
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2⁻³² for any n we meet).
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_tags_are_distinct() {
        use stream::*;
        let mut tags = vec![
            TREES,
            FILL,
            CANDIDATES,
            QUERY,
            SPECTRAL,
            NOISE,
            RANDOM_INIT,
            COMPONENTS,
            SGD,
            TRANSFORM,
            BATCHES,
            MOLRG_FRESH,
            PPP,
            SPECTRAL_CLUSTERING_LANCZOS,
            SPECTRAL_CLUSTERING_KMEANS,
            K_SUBSPACES,
            SPARSE_PROJECTION_ROWS,
            TSNE_INIT,
            RANDOMIZED_PCA_TEST_MATRIX,
        ];
        let n = tags.len();
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), n);
    }

    #[test]
    fn derived_streams_differ() {
        assert_ne!(derive(1, 2, 3), derive(1, 2, 4));
        assert_ne!(derive(1, 2, 3), derive(1, 3, 3));
        assert_ne!(derive(1, 2, 3), derive(2, 2, 3));
        assert_eq!(derive(1, 2, 3), derive(1, 2, 3));
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = SplitMix64::new(5);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            seen[r.below(7)] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}
