//! DSIR: data selection by importance resampling on hashed n-gram features.
//!
//! Every document is lower-cased and split into words (runs of letters and
//! digits); each unigram and bigram is hashed into `n_buckets` buckets
//! (counts). Bag-of-ngrams models of the target and the raw set are the
//! normalised bucket totals `p_T`, `p_raw`; a raw document's log importance
//! weight is `log w(x) = Σ_b counts_b(x)·(log(p_T,b + 10⁻⁸) − log(p_raw,b + 10⁻⁸))`.
//! `k` documents are resampled without replacement by the Gumbel top-k trick
//! (the `k` largest `log w(x) + Gumbel noise`; without noise on request). The
//! KL reduction `KL(p_T‖p_raw) − KL(p_T‖p_selected)` on the same features says
//! how much closer the selection is to the target than the raw data; Xie et
//! al. report that it correlates with downstream accuracy (r ≈ 0.82–0.89).
//! With several targets the paper averages over them; this is the one-target
//! case.
//!
//! Hashing is FNV-1a (64 bit) of the word bytes, so features are the same on
//! every machine. KL divergences smooth the second argument as `(q + 10⁻⁸)`
//! renormalised, so an empty bucket of the selection stays finite.
//!
//! Paper: S. M. Xie, S. Santurkar, T. Ma, P. Liang, "Data selection for
//! language models via importance resampling", NeurIPS 2023, arXiv 2302.03169
//! (reference code p-lambda/dsir).
//!
//! Cost: `O(total words)` to featurise, `O(n_raw·log n_raw)` to select,
//! `O(n_buckets)` memory for the models plus the sparse features.
//!
//! # Example
//!
//! ```
//! use lowdim::prelude::*;
//! let target = text_corpus(50, &[0.0, 0.0, 1.0], 30, 1)?;
//! let raw = text_corpus(500, &[1.0, 1.0, 1.0, 1.0], 30, 2)?;
//! let sel = Dsir::params().k(100).seed(3).fit(&target.docs, &raw.docs)?;
//! assert_eq!(sel.indices().len(), 100);
//! assert!(sel.kl_reduction() > 0.0);
//! # Ok::<(), lowdim::Error>(())
//! ```

use linfa::ParamGuard;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

use super::{stream, uniform};
use crate::error::{Error, Result};
use crate::estimator::params;
use crate::estimator::required;
use crate::plot::{scatter, Color, Figure};
use crate::render::impl_render;

const SMOOTH: f64 = 1e-8;

const WHO: &str = "DSIR";

/// DSIR data selection; start from [`Dsir::params`].
pub struct Dsir;

params! {
    /// Checked DSIR parameters; see [`Dsir::params`].
    Dsir("DSIR") => DsirParams, DsirValidParams {
        /// Documents to select, required (at most the number of raw documents).
        k: Option<usize> = None => 1..; from usize,
        /// Hash buckets of the n-gram features (the paper's 10 000).
        n_buckets: usize = 10_000 => 1..,
        /// False takes the top k weights deterministically.
        gumbel: bool = true,
        /// Seeds the Gumbel noise.
        seed: u64 = 0,
    }
    check(p) {
        required(WHO, "k", p.k)?;
    }
}

// DSIR selects from two document lists, not from the rows of a matrix, so it
// has its own `fit` instead of linfa's `Fit`.
impl DsirParams {
    /// Checks the parameters and selects from `raw` towards `target`.
    pub fn fit(&self, target: &[String], raw: &[String]) -> Result<DsirSelection> {
        self.check_ref()?.fit(target, raw)
    }
}

/// The documents DSIR selected, their importance weights, and the KL reduction.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct DsirSelection {
    params: DsirValidParams,
    indices: Vec<usize>,
    log_weights: Array1<f64>,
    kl_raw: f64,
    kl_selected: f64,
}

impl DsirSelection {
    /// The selected raw documents, by decreasing (noisy) importance.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// `log w(x)` of every raw document.
    pub fn log_weights(&self) -> &Array1<f64> {
        &self.log_weights
    }

    /// `KL(p_T‖p_raw) − KL(p_T‖p_selected)`.
    pub fn kl_reduction(&self) -> f64 {
        self.kl_raw - self.kl_selected
    }

    /// `KL(p_T‖p_raw)`.
    pub fn kl_target_raw(&self) -> f64 {
        self.kl_raw
    }

    /// `KL(p_T‖p_selected)`.
    pub fn kl_target_selected(&self) -> f64 {
        self.kl_selected
    }

    /// The parameters of the selection.
    pub fn params_used(&self) -> &DsirValidParams {
        &self.params
    }

    /// Log importance weight against raw document index, selected ones highlighted.
    pub fn figure(&self) -> Result<Figure> {
        let n = self.log_weights.len();
        let pts = ndarray::Array2::from_shape_fn((n, 2), |(i, j)| if j == 0 { i as f64 } else { self.log_weights[i] });
        let mut chosen = vec![0usize; n];
        for &i in &self.indices {
            chosen[i] = 1;
        }
        let mut fig = scatter(pts.view(), Color::Labels(&chosen))?;
        for t in fig.data.iter_mut() {
            let name = if t["name"] == "1" { "selected" } else { "not selected" };
            t["name"] = serde_json::json!(name);
        }
        Ok(fig
            .title(&format!("DSIR: {} of {n} selected, KL reduction {:.3}", self.indices.len(), self.kl_reduction()))
            .axis_labels(&["raw document", "log importance weight"]))
    }
}

impl_render!(DsirSelection, "DSIR selection", params: params, shapes: [indices, log_weights]);

impl DsirValidParams {
    /// Selects `k` documents of `raw` resembling `target`.
    pub fn fit(&self, target: &[String], raw: &[String]) -> Result<DsirSelection> {
        let k = required(WHO, "k", self.k)?;
        if target.is_empty() {
            return Err(Error::param("target", "of DSIR must hold at least one document; got none"));
        }
        if k > raw.len() {
            return Err(Error::param("k", format!("of DSIR must be ≤ the number of raw documents = {}; got {k}", raw.len())));
        }
        let b = self.n_buckets;
        let target_feats: Vec<Vec<(usize, f64)>> = target.iter().map(|d| hashed_ngrams(d, b)).collect();
        let raw_feats: Vec<Vec<(usize, f64)>> = raw.iter().map(|d| hashed_ngrams(d, b)).collect();
        let p_t = distribution(&target_feats, b, None).ok_or_else(|| Error::data("the target documents hold no words"))?;
        let p_raw = distribution(&raw_feats, b, None).ok_or_else(|| Error::data("the raw documents hold no words"))?;
        let log_ratio: Vec<f64> = p_t.iter().zip(&p_raw).map(|(t, r)| (t + SMOOTH).ln() - (r + SMOOTH).ln()).collect();
        let log_weights: Array1<f64> = raw_feats.iter().map(|f| f.iter().map(|&(j, c)| c * log_ratio[j]).sum()).collect();
        let keys: Vec<f64> =
            (0..raw.len()).map(|i| if self.gumbel { log_weights[i] + gumbel(self.seed, i) } else { log_weights[i] }).collect();
        let mut order: Vec<usize> = (0..raw.len()).collect();
        order.sort_by(|&a, &c| keys[c].total_cmp(&keys[a]).then(a.cmp(&c)));
        order.truncate(k);
        let p_sel = distribution(&raw_feats, b, Some(&order)).unwrap_or_else(|| vec![0.0; b]);
        Ok(DsirSelection { params: self.clone(), kl_raw: kl(&p_t, &p_raw), kl_selected: kl(&p_t, &p_sel), indices: order, log_weights })
    }
}

/// A standard Gumbel draw for raw document `i`.
fn gumbel(seed: u64, i: usize) -> f64 {
    let u = uniform(seed, stream::GUMBEL, i as u64).max(f64::MIN_POSITIVE);
    -(-u.ln()).ln()
}

/// Sparse bucket counts of the unigrams and bigrams of `doc`.
fn hashed_ngrams(doc: &str, n_buckets: usize) -> Vec<(usize, f64)> {
    let lower = doc.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let mut buckets: Vec<usize> = words.iter().map(|w| bucket(&[w], n_buckets)).collect();
    buckets.extend(words.windows(2).map(|p| bucket(p, n_buckets)));
    buckets.sort_unstable();
    let mut out: Vec<(usize, f64)> = Vec::new();
    for bk in buckets {
        match out.last_mut() {
            Some((last, c)) if *last == bk => *c += 1.0,
            _ => out.push((bk, 1.0)),
        }
    }
    out
}

/// FNV-1a of the words joined by a space, into `n_buckets`.
fn bucket(words: &[&str], n_buckets: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, w) in words.iter().enumerate() {
        let sep = if i > 0 { &b" "[..] } else { &[][..] };
        for &byte in sep.iter().chain(w.as_bytes()) {
            h ^= byte as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (h % n_buckets as u64) as usize
}

/// Normalised bucket totals over `docs` (or the subset `only`); `None` when empty.
fn distribution(docs: &[Vec<(usize, f64)>], n_buckets: usize, only: Option<&[usize]>) -> Option<Vec<f64>> {
    let mut p = vec![0.0; n_buckets];
    let mut add = |f: &Vec<(usize, f64)>| f.iter().for_each(|&(j, c)| p[j] += c);
    match only {
        Some(idx) => idx.iter().for_each(|&i| add(&docs[i])),
        None => docs.iter().for_each(&mut add),
    }
    let total: f64 = p.iter().sum();
    if total <= 0.0 {
        return None;
    }
    p.iter_mut().for_each(|v| *v /= total);
    Some(p)
}

/// `KL(p‖q)` with `q` smoothed by `SMOOTH` and renormalised.
fn kl(p: &[f64], q: &[f64]) -> f64 {
    let z = 1.0 + SMOOTH * q.len() as f64;
    p.iter().zip(q).filter(|(pi, _)| **pi > 0.0).map(|(pi, qi)| pi * (pi / ((qi + SMOOTH) / z)).ln()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::text_corpus;

    #[test]
    fn features_count_unigrams_and_bigrams() {
        let f = hashed_ngrams("The cat, the CAT!", 1 << 20);
        // unigrams the, cat, the, cat; bigrams "the cat" ×2, "cat the".
        let total: f64 = f.iter().map(|(_, c)| c).sum();
        assert_eq!(total, 7.0);
        assert_eq!(f.iter().find(|(b, _)| *b == bucket(&["the"], 1 << 20)).unwrap().1, 2.0);
        assert_eq!(f.iter().find(|(b, _)| *b == bucket(&["the", "cat"], 1 << 20)).unwrap().1, 2.0);
        assert!(hashed_ngrams(" ,; ", 10).is_empty());
    }

    #[test]
    fn selects_the_target_topic() {
        let target = text_corpus(60, &[0.0, 0.0, 0.0, 1.0], 40, 1).unwrap();
        let raw = text_corpus(800, &[1.0, 1.0, 1.0, 1.0, 1.0], 40, 2).unwrap();
        let sel = Dsir::params().k(120).seed(5).fit(&target.docs, &raw.docs).unwrap();
        let on_topic = sel.indices().iter().filter(|&&i| raw.topics[i] == 3).count();
        assert!(on_topic as f64 > 0.9 * 120.0, "{on_topic} of 120 on topic");
        assert!(sel.kl_reduction() > 0.5, "{}", sel.kl_reduction());
        let top = Dsir::params().k(120).gumbel(false).fit(&target.docs, &raw.docs).unwrap();
        assert!(top.kl_reduction() > 0.5);
        assert_eq!(sel, Dsir::params().k(120).seed(5).fit(&target.docs, &raw.docs).unwrap());
        assert_eq!(sel.figure().unwrap().n_traces(), 2);
    }

    #[test]
    fn bad_input() {
        let docs = vec!["a b".to_string(), "c".to_string()];
        assert!(matches!(Dsir::params().fit(&docs, &docs), Err(Error::Param { name: "k", .. })));
        assert!(matches!(Dsir::params().k(0).fit(&docs, &docs), Err(Error::Param { name: "k", .. })));
        assert!(matches!(Dsir::params().k(3).fit(&docs, &docs), Err(Error::Param { name: "k", .. })));
        assert!(matches!(Dsir::params().k(1).n_buckets(0).fit(&docs, &docs), Err(Error::Param { name: "n_buckets", .. })));
        assert!(matches!(Dsir::params().k(1).fit(&[], &docs), Err(Error::Param { name: "target", .. })));
        assert!(matches!(Dsir::params().k(1).fit(&["!!".to_string()], &docs), Err(Error::Data(_))));
    }
}
