//! One-call summaries of embedding quality that render as tables in the notebook.
//!
//! [`embedding_report`] computes, at one neighbourhood size `k`:
//! [`trustworthiness`] and [`continuity`] (false and missing neighbours, by rank),
//! [`neighborhood_preservation`] (shared k-NN), the Shepard correlation of
//! pairwise distances ([`shepard_correlation`], on at most
//! [`REPORT_SHEPARD_PAIRS`] seeded pairs) and, when labels are given, the
//! [`knn_accuracy`] of a `k`-NN classifier on the embedding ([`REPORT_FOLDS`]-fold
//! stratified cross-validation). Seeds are fixed ([`REPORT_SEED`]), so a report
//! is reproducible. [`compare_embeddings`] puts several reports in one table,
//! one row per method, the best value of each column in bold.
//!
//! The metrics' definitions and references are in their own modules.
//!
//! **Cost.** Dominated by the O(n²·(d + d′)) neighbour searches (four passes,
//! five with labels); memory O(n·block) per thread plus O(REPORT_SHEPARD_PAIRS).
//!
//! # Example
//! ```
//! use lowdim::prelude::*;
//! let x = Array2::from_shape_fn((60, 3), |(i, j)| ((i * (j + 3)) as f64 * 0.37).sin());
//! let e = x.slice(s![.., 0..2]).to_owned();
//! let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
//! let report = embedding_report(x.view(), e.view(), Some(&labels), 5)?;
//! assert!(report.trustworthiness > 0.5 && report.knn_accuracy.is_some());
//! let table = compare_embeddings(&[("first two", report.clone()), ("again", report)]);
//! assert_eq!(table.rows().len(), 2);
//! assert!(table.to_html().contains("<table"));
//! # Ok::<(), lowdim::Error>(())
//! ```

use std::fmt;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use super::common::check_pair;
use super::knn_accuracy::knn_accuracy;
use super::neighborhood::neighborhood_preservation;
use super::shepard::shepard_correlation;
use super::trustworthiness::{continuity, trustworthiness};
use crate::error::Result;

/// Number of point pairs the report's Shepard correlation samples (all pairs when fewer).
pub const REPORT_SHEPARD_PAIRS: usize = 10_000;
/// Cross-validation folds of the report's kNN accuracy (fewer when n < 5).
pub const REPORT_FOLDS: usize = 5;
/// Seed of the report's pair sample and folds.
pub const REPORT_SEED: u64 = 0;

/// Quality of one embedding at one neighbourhood size; renders as a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingReport {
    /// Number of points.
    pub n_samples: usize,
    /// Neighbourhood size used by every metric.
    pub k: usize,
    /// [`trustworthiness`] at `k`, in [0, 1], higher is better.
    pub trustworthiness: f64,
    /// [`continuity`] at `k`, in [0, 1], higher is better.
    pub continuity: f64,
    /// [`neighborhood_preservation`] at `k`, in [0, 1], higher is better.
    pub neighborhood_preservation: f64,
    /// [`shepard_correlation`] of pairwise distances, in [−1, 1], higher is better.
    pub shepard_correlation: f64,
    /// Cross-validated [`knn_accuracy`] at `k` when labels were given, in [0, 1].
    pub knn_accuracy: Option<f64>,
}

/// All embedding-quality metrics of `embedding` as a view of `x` at `k` neighbours.
///
/// `x`: n × d, `embedding`: n × d′, both finite; `labels`: `None` or n labels
/// (any values); `k` in [1, n / 2). Fails as the individual metrics do, and when
/// all pairwise distances in a space are equal (Shepard correlation undefined).
pub fn embedding_report(x: ArrayView2<f64>, embedding: ArrayView2<f64>, labels: Option<&[usize]>, k: usize) -> Result<EmbeddingReport> {
    let n = check_pair("embedding_report", x, embedding)?;
    let trust = trustworthiness(x, embedding, k)?;
    let knn_acc = match labels {
        Some(labels) => Some(knn_accuracy(embedding, labels, k, REPORT_FOLDS.min(n), REPORT_SEED)?),
        None => None,
    };
    Ok(EmbeddingReport {
        n_samples: n,
        k,
        trustworthiness: trust,
        continuity: continuity(x, embedding, k)?,
        neighborhood_preservation: neighborhood_preservation(x, embedding, k)?,
        shepard_correlation: shepard_correlation(x, embedding, REPORT_SHEPARD_PAIRS, REPORT_SEED)?,
        knn_accuracy: knn_acc,
    })
}

/// Several [`EmbeddingReport`]s side by side, one row per method; renders as one table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsTable {
    rows: Vec<(String, EmbeddingReport)>,
}

/// One table comparing `reports`, one row per `(method name, report)`, in the given order.
pub fn compare_embeddings(reports: &[(&str, EmbeddingReport)]) -> MetricsTable {
    MetricsTable { rows: reports.iter().map(|(name, r)| (name.to_string(), r.clone())).collect() }
}

/// A column of the tables: header, tooltip, value of a report.
struct Column {
    header: &'static str,
    help: &'static str,
    value: fn(&EmbeddingReport) -> Option<f64>,
}

const COLUMNS: [Column; 5] = [
    Column { header: "trustworthiness", help: "false neighbours penalised by input rank (1 = none)", value: |r| Some(r.trustworthiness) },
    Column { header: "continuity", help: "missing neighbours penalised by embedding rank (1 = none)", value: |r| Some(r.continuity) },
    Column { header: "kNN preserved", help: "mean fraction of shared k nearest neighbours", value: |r| Some(r.neighborhood_preservation) },
    Column { header: "Shepard ρ", help: "Spearman correlation of pairwise distances", value: |r| Some(r.shepard_correlation) },
    Column { header: "kNN accuracy", help: "cross-validated k-NN classification accuracy", value: |r| r.knn_accuracy },
];

fn fmt_value(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.4}")).unwrap_or_else(|| "—".to_string())
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const TABLE_STYLE: &str = "border-collapse:collapse;font-family:sans-serif;font-size:13px";
const CELL_STYLE: &str = "padding:3px 10px;border-bottom:1px solid #ddd;text-align:right";
const NAME_STYLE: &str = "padding:3px 10px;border-bottom:1px solid #ddd;text-align:left";

fn print_bundle(html: &str, text: &str) {
    println!("EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT");
    println!("EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT");
}

impl EmbeddingReport {
    fn title(&self) -> String {
        format!("Embedding quality (n = {}, k = {})", self.n_samples, self.k)
    }

    /// The report as a small HTML table (metric, value, meaning).
    pub fn to_html(&self) -> String {
        let mut out = format!(
            "<table class=\"lowdim-metrics\" style=\"{TABLE_STYLE}\">\n<caption style=\"text-align:left;font-weight:bold\">{}</caption>\n\
             <thead><tr><th style=\"{NAME_STYLE}\">metric</th><th style=\"{CELL_STYLE}\">value</th>\
             <th style=\"{NAME_STYLE}\">meaning</th></tr></thead>\n<tbody>\n",
            escape_html(&self.title())
        );
        for c in COLUMNS.iter().filter(|c| (c.value)(self).is_some()) {
            out.push_str(&format!(
                "<tr><td style=\"{NAME_STYLE}\">{}</td><td style=\"{CELL_STYLE}\">{}</td><td style=\"{NAME_STYLE};color:#666\">{}</td></tr>\n",
                c.header,
                fmt_value((c.value)(self)),
                c.help
            ));
        }
        out.push_str("</tbody>\n</table>");
        out
    }

    /// What the notebook shows: an HTML table, and the same as plain text.
    pub fn evcxr_display(&self) {
        print_bundle(&self.to_html(), &self.to_string());
    }
}

impl fmt::Display for EmbeddingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.title())?;
        let rows: Vec<_> = COLUMNS.iter().filter(|c| (c.value)(self).is_some()).collect();
        let width = rows.iter().map(|c| c.header.chars().count()).max().unwrap_or(0);
        for (i, c) in rows.iter().enumerate() {
            let pad = width - c.header.chars().count();
            write!(f, "  {}{}  {}", c.header, " ".repeat(pad), fmt_value((c.value)(self)))?;
            if i + 1 < rows.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

impl MetricsTable {
    /// The `(method name, report)` rows, in order.
    pub fn rows(&self) -> &[(String, EmbeddingReport)] {
        &self.rows
    }

    /// Columns shown: the kNN accuracy only when some report has it.
    fn columns(&self) -> Vec<&'static Column> {
        COLUMNS.iter().filter(|c| self.rows.iter().any(|(_, r)| (c.value)(r).is_some())).collect()
    }

    /// Index of the row with the highest value of `c` (first one on ties).
    fn best(&self, c: &Column) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, (_, r)) in self.rows.iter().enumerate() {
            if let Some(v) = (c.value)(r) {
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((i, v));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The comparison as one HTML table, the best value of each column in bold.
    pub fn to_html(&self) -> String {
        let columns = self.columns();
        let mut out = format!(
            "<table class=\"lowdim-metrics\" style=\"{TABLE_STYLE}\">\n<thead><tr><th style=\"{NAME_STYLE}\">method</th>\
             <th style=\"{CELL_STYLE}\">n</th><th style=\"{CELL_STYLE}\">k</th>"
        );
        for c in &columns {
            out.push_str(&format!("<th style=\"{CELL_STYLE}\" title=\"{}\">{}</th>", c.help, c.header));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        let best: Vec<Option<usize>> = columns.iter().map(|c| self.best(c)).collect();
        for (i, (name, r)) in self.rows.iter().enumerate() {
            out.push_str(&format!(
                "<tr><td style=\"{NAME_STYLE}\">{}</td><td style=\"{CELL_STYLE}\">{}</td><td style=\"{CELL_STYLE}\">{}</td>",
                escape_html(name),
                r.n_samples,
                r.k
            ));
            for (c, b) in columns.iter().zip(&best) {
                let v = fmt_value((c.value)(r));
                let v = if *b == Some(i) { format!("<b>{v}</b>") } else { v };
                out.push_str(&format!("<td style=\"{CELL_STYLE}\">{v}</td>"));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>");
        out
    }

    /// What the notebook shows: one HTML table, and the same as plain text.
    pub fn evcxr_display(&self) {
        print_bundle(&self.to_html(), &self.to_string());
    }
}

impl fmt::Display for MetricsTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = self.columns();
        let mut header = vec!["method".to_string(), "n".to_string(), "k".to_string()];
        header.extend(columns.iter().map(|c| c.header.to_string()));
        let mut table = vec![header];
        for (name, r) in &self.rows {
            let mut line = vec![name.clone(), r.n_samples.to_string(), r.k.to_string()];
            line.extend(columns.iter().map(|c| fmt_value((c.value)(r))));
            table.push(line);
        }
        let widths: Vec<usize> = (0..table[0].len()).map(|j| table.iter().map(|l| l[j].chars().count()).max().unwrap_or(0)).collect();
        for (i, line) in table.iter().enumerate() {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(j, (cell, &w))| {
                    let pad = " ".repeat(w - cell.chars().count());
                    if j == 0 {
                        format!("{cell}{pad}")
                    } else {
                        format!("{pad}{cell}")
                    }
                })
                .collect();
            write!(f, "{}", cells.join("  ").trim_end())?;
            if i + 1 < table.len() {
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::fixtures;
    use super::*;
    use crate::error::Error;
    use ndarray::s;

    fn reports() -> (EmbeddingReport, EmbeddingReport) {
        let x = fixtures::matrix("X");
        let labels: Vec<usize> = (0..400).map(|i| usize::from(x[[i, 1]] > 10.0)).collect();
        let pca = embedding_report(x.view(), fixtures::matrix("E_pca").view(), Some(&labels), 5).unwrap();
        let random = embedding_report(x.view(), fixtures::matrix("E_random").view(), None, 5).unwrap();
        (pca, random)
    }

    #[test]
    fn report_holds_the_individual_metrics() {
        let (pca, random) = reports();
        assert!((pca.trustworthiness - 0.9500803571428571).abs() < 1e-9);
        assert!((random.trustworthiness - 0.5051301020408163).abs() < 1e-9);
        let x = fixtures::matrix("X");
        let e = fixtures::matrix("E_pca");
        assert_eq!(pca.continuity, continuity(x.view(), e.view(), 5).unwrap());
        assert_eq!(pca.shepard_correlation, shepard_correlation(x.view(), e.view(), REPORT_SHEPARD_PAIRS, REPORT_SEED).unwrap());
        assert!(pca.knn_accuracy.is_some() && random.knn_accuracy.is_none());
    }

    #[test]
    fn report_renders_html_and_text() {
        let (pca, random) = reports();
        let html = pca.to_html();
        assert!(html.contains("<table") && html.contains("trustworthiness") && html.contains("0.9501"));
        assert!(html.contains("kNN accuracy"));
        assert!(!random.to_html().contains("kNN accuracy"));
        let text = pca.to_string();
        assert!(text.starts_with("Embedding quality (n = 400, k = 5)"));
        assert!(text.contains("trustworthiness"));
    }

    #[test]
    fn comparison_has_one_row_per_method_and_bolds_the_best() {
        let (pca, random) = reports();
        let table = compare_embeddings(&[("PCA", pca), ("random <control>", random)]);
        let html = table.to_html();
        assert_eq!(html.matches("<tr>").count(), 3); // header + 2 rows
        assert!(html.contains("random &lt;control&gt;"));
        assert!(html.contains("<b>0.9501</b>"));
        assert!(html.contains("kNN accuracy")); // shown since one report has it
        let text = table.to_string();
        assert_eq!(text.lines().count(), 3);
        assert!(text.lines().nth(2).unwrap().contains("—"));
    }

    #[test]
    fn report_is_serialisable() {
        let (pca, _) = reports();
        let json = serde_json::to_string(&pca).unwrap();
        let back: EmbeddingReport = serde_json::from_str(&json).unwrap();
        assert_eq!((back.n_samples, back.k, back.knn_accuracy.is_some()), (pca.n_samples, pca.k, true));
        assert!((back.trustworthiness - pca.trustworthiness).abs() < 1e-15);
        assert!((back.shepard_correlation - pca.shepard_correlation).abs() < 1e-15);
    }

    #[test]
    fn report_k_out_of_range_is_a_param_error() {
        let x = fixtures::matrix("X");
        let e = embedding_report(x.view(), x.view(), None, 200).unwrap_err();
        assert!(matches!(e, Error::Param { name: "k", .. }), "{e}");
    }

    #[test]
    fn report_label_mismatch_is_a_data_error() {
        let x = fixtures::matrix("X");
        let e = embedding_report(x.view(), x.view(), Some(&[0; 10]), 5).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }

    #[test]
    fn report_row_mismatch_is_a_data_error() {
        let x = fixtures::matrix("X");
        let e = embedding_report(x.view(), x.slice(s![..10, ..]), None, 5).unwrap_err();
        assert!(matches!(e, Error::Data(_)), "{e}");
    }
}
