//! What training did, epoch by epoch; renders as loss and metric curves.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::plot::{grid, lines, Figure, Series};

/// One epoch of training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// Each loss term's mean, when the loss has more than one.
    pub terms: Vec<(String, f64)>,
    /// Loss on the validation data, when there is some.
    pub val_loss: Option<f64>,
    /// Metrics on the validation data (or the training data without it).
    pub metrics: Vec<(String, f64)>,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Seconds since training started (this run).
    pub seconds: f64,
}

/// The records of every epoch, and why training stopped early if it did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    records: Vec<EpochRecord>,
    stopped: Option<String>,
}

impl History {
    pub(crate) fn push(&mut self, r: EpochRecord) {
        self.records.push(r);
    }

    pub(crate) fn stop(&mut self, why: String) {
        self.stopped = Some(why);
    }

    /// Forgets why an earlier run stopped, so a resumed one goes on.
    pub(crate) fn resume(&mut self) {
        self.stopped = None;
    }

    /// Every epoch's record.
    pub fn records(&self) -> &[EpochRecord] {
        &self.records
    }

    /// The last epoch's record.
    pub fn last(&self) -> Option<&EpochRecord> {
        self.records.last()
    }

    /// Number of epochs trained.
    pub fn epochs(&self) -> usize {
        self.records.len()
    }

    /// Why training stopped before its last epoch (early stopping, a callback).
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// Training loss per epoch.
    pub fn train_loss(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.train_loss).collect()
    }

    /// Validation loss per epoch (NaN where there was none).
    pub fn val_loss(&self) -> Vec<f64> {
        self.records.iter().map(|r| r.val_loss.unwrap_or(f64::NAN)).collect()
    }

    /// A metric per epoch (NaN where it was not measured).
    pub fn metric(&self, name: &str) -> Vec<f64> {
        self.records.iter().map(|r| r.metrics.iter().find(|(n, _)| n == name).map_or(f64::NAN, |(_, v)| *v)).collect()
    }

    /// The curves: losses (log scale) and, when measured, the metrics.
    pub fn figure(&self) -> Result<Figure> {
        let epochs: Vec<f64> = self.records.iter().map(|r| r.epoch as f64).collect();
        let mut losses = vec![Series::new("train loss", epochs.clone(), self.train_loss())];
        if self.records.iter().any(|r| r.val_loss.is_some()) {
            losses.push(Series::new("validation loss", epochs.clone(), self.val_loss()));
        }
        let loss_fig = lines(&losses)?.log_y().axis_labels(&["epoch", "loss"]);
        let names: Vec<String> = self.records.first().map_or(Vec::new(), |r| r.metrics.iter().map(|(n, _)| n.clone()).collect());
        if names.is_empty() {
            return Ok(loss_fig.title("training"));
        }
        let metric_series: Vec<Series> = names.iter().map(|n| Series::new(n, epochs.clone(), self.metric(n))).collect();
        let metric_fig = lines(&metric_series)?.axis_labels(&["epoch", "metric"]);
        Ok(grid(2, vec![loss_fig, metric_fig])?.title("training"))
    }

    /// Renders in the notebook.
    pub fn evcxr_display(&self) {
        match self.figure() {
            Ok(f) => f.evcxr_display(),
            Err(e) => println!("{e}"),
        }
    }
}
