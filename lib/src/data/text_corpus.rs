//! A tiny seeded text corpus: documents written from a few topic vocabularies,
//! for data-selection experiments (DSIR) without downloading any text.
//!
//! Each document picks one topic by `topic_weights`, then writes
//! `words_per_doc` words: a word of the topic's vocabulary with probability
//! 0.55 (0.5 right after one), a common English word otherwise, so topics
//! differ in their bigrams as well as their unigrams.
//!
//! Cost: `O(n_docs · words_per_doc)`.

use rand::Rng;

use super::{check_at_least, seeded_rng};
use crate::error::{Error, Result};

/// The topic vocabularies, in the order of `topic_weights`.
pub const TEXT_TOPICS: [&str; 5] = ["sports", "cooking", "finance", "astronomy", "medicine"];

const VOCAB: [&[&str]; 5] = [
    &[
        "match",
        "goal",
        "team",
        "coach",
        "season",
        "league",
        "player",
        "score",
        "referee",
        "stadium",
        "striker",
        "defence",
        "tournament",
        "final",
        "training",
        "fans",
    ],
    &[
        "recipe", "oven", "flour", "butter", "garlic", "simmer", "sauce", "bake", "onion", "pepper", "salt", "dough", "roast", "stir",
        "kitchen", "spoon",
    ],
    &[
        "market",
        "stock",
        "bond",
        "interest",
        "rate",
        "investor",
        "profit",
        "loss",
        "bank",
        "credit",
        "inflation",
        "dividend",
        "portfolio",
        "equity",
        "fund",
        "price",
    ],
    &[
        "star",
        "galaxy",
        "planet",
        "orbit",
        "telescope",
        "comet",
        "nebula",
        "moon",
        "solar",
        "gravity",
        "cosmic",
        "asteroid",
        "light",
        "universe",
        "eclipse",
        "spectrum",
    ],
    &[
        "patient",
        "doctor",
        "dose",
        "clinic",
        "symptom",
        "therapy",
        "vaccine",
        "blood",
        "nurse",
        "diagnosis",
        "surgery",
        "virus",
        "treatment",
        "hospital",
        "trial",
        "heart",
    ],
];

const COMMON: [&str; 24] = [
    "the", "a", "of", "and", "to", "in", "is", "was", "for", "on", "with", "that", "it", "as", "at", "by", "this", "from", "new", "after",
    "their", "very", "today", "more",
];

/// Generated documents and the topic each was written from.
#[derive(Clone, Debug, PartialEq)]
pub struct TextCorpus {
    /// The documents.
    pub docs: Vec<String>,
    /// The topic index (into [`TEXT_TOPICS`]) of each document.
    pub topics: Vec<usize>,
}

/// `n_docs` documents of `words_per_doc` words; `topic_weights[t]` ≥ 0 is the
/// relative frequency of topic `t` of [`TEXT_TOPICS`] (at most 5 weights, not
/// all zero). `n_docs`, `words_per_doc` ≥ 1.
///
/// ```
/// use lowdim::prelude::*;
/// let c = text_corpus(10, &[0.0, 1.0], 12, 7)?;
/// assert_eq!(c.docs.len(), 10);
/// assert!(c.topics.iter().all(|&t| t == 1));
/// assert_eq!(c.docs[0].split(' ').count(), 12);
/// # Ok::<(), lowdim::Error>(())
/// ```
pub fn text_corpus(n_docs: usize, topic_weights: &[f64], words_per_doc: usize, seed: u64) -> Result<TextCorpus> {
    const WHO: &str = "text_corpus";
    check_at_least(WHO, "n_docs", n_docs, 1)?;
    check_at_least(WHO, "words_per_doc", words_per_doc, 1)?;
    let total: f64 = topic_weights.iter().sum();
    let valid = !topic_weights.is_empty()
        && topic_weights.len() <= TEXT_TOPICS.len()
        && topic_weights.iter().all(|w| w.is_finite() && *w >= 0.0)
        && total > 0.0;
    if !valid {
        return Err(Error::param(
            "topic_weights",
            format!("of {WHO} must be 1 to {} finite weights ≥ 0, not all zero; got {topic_weights:?}", TEXT_TOPICS.len()),
        ));
    }
    let mut rng = seeded_rng(seed);
    let mut docs = Vec::with_capacity(n_docs);
    let mut topics = Vec::with_capacity(n_docs);
    for _ in 0..n_docs {
        let mut u = rng.gen::<f64>() * total;
        let topic = topic_weights.iter().position(|&w| {
            u -= w;
            u < 0.0
        });
        let topic = topic.unwrap_or_else(|| topic_weights.iter().rposition(|&w| w > 0.0).unwrap_or(0));
        let vocab = VOCAB[topic];
        let mut words = Vec::with_capacity(words_per_doc);
        let mut last_topical = false;
        for _ in 0..words_per_doc {
            let topical = rng.gen::<f64>() < if last_topical { 0.5 } else { 0.55 };
            let word = if topical { vocab[rng.gen_range(0..vocab.len())] } else { COMMON[rng.gen_range(0..COMMON.len())] };
            words.push(word);
            last_topical = topical;
        }
        docs.push(words.join(" "));
        topics.push(topic);
    }
    Ok(TextCorpus { docs, topics })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_mixed() {
        let a = text_corpus(200, &[1.0, 1.0, 1.0], 20, 3).unwrap();
        assert_eq!(a, text_corpus(200, &[1.0, 1.0, 1.0], 20, 3).unwrap());
        for t in 0..3 {
            let share = a.topics.iter().filter(|&&x| x == t).count();
            assert!(share > 40, "topic {t}: {share}");
        }
        assert!(a.docs[0].split(' ').any(|w| VOCAB[a.topics[0]].contains(&w)));
    }

    #[test]
    fn bad_parameters() {
        assert_param_err!(text_corpus(0, &[1.0], 5, 0), "n_docs");
        assert_param_err!(text_corpus(5, &[1.0], 0, 0), "words_per_doc");
        assert_param_err!(text_corpus(5, &[], 5, 0), "topic_weights");
        assert_param_err!(text_corpus(5, &[0.0, 0.0], 5, 0), "topic_weights");
        assert_param_err!(text_corpus(5, &[1.0; 6], 5, 0), "topic_weights");
        assert_param_err!(text_corpus(5, &[f64::NAN], 5, 0), "topic_weights");
    }
}
