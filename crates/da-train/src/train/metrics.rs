//! Per-epoch metrics, `metrics.csv` and `summary.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::config::Transfer;
use atomic_file::write as write_atomic;

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean classification (cross-entropy) loss on the source batches.
    pub clf_loss: f64,
    /// Mean transfer loss (0 for source-only training).
    pub transfer_loss: f64,
    /// Mean total loss `clf + lambda * transfer`.
    pub total_loss: f64,
    /// Transfer weight at the end of the epoch.
    pub lambda: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Accuracy on the source training set (model in inference mode).
    pub source_accuracy: f64,
    /// Accuracy on the target test set (reported; never used for training or selection).
    pub target_accuracy: f64,
    /// Mean entropy of the predictions on the unlabelled target training images (lower:
    /// more confident).
    #[serde(default)]
    pub target_entropy: f64,
    /// Soft neighbourhood density of those predictions (higher is better).
    #[serde(default)]
    pub target_snd: f64,
    /// Wall-clock seconds spent in the epoch (training and evaluation).
    pub seconds: f64,
    /// Training throughput: source and target images of the epoch's steps per second of those
    /// steps (evaluation excluded); with several devices, of all devices together.
    #[serde(default)]
    pub images_per_second: f64,
}

const HEADER: &str = "epoch,transfer,clf_loss,transfer_loss,total_loss,lambda,lr,source_accuracy,target_accuracy,target_entropy,target_snd,seconds,images_per_second";

/// Renders the metrics of a run with the `transfer` loss as CSV with a header line.
pub fn to_csv(rows: &[EpochMetrics], transfer: Transfer) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{:.3},{:.1}\n",
            r.epoch,
            transfer.name(),
            r.clf_loss,
            r.transfer_loss,
            r.total_loss,
            r.lambda,
            r.lr,
            r.source_accuracy,
            r.target_accuracy,
            r.target_entropy,
            r.target_snd,
            r.seconds,
            r.images_per_second
        ));
    }
    out
}

/// Writes `metrics.csv` atomically.
pub fn write_csv(path: &Path, rows: &[EpochMetrics], transfer: Transfer) -> std::io::Result<()> {
    write_atomic(path, to_csv(rows, transfer).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_header_and_one_line_per_epoch() {
        let row = EpochMetrics {
            epoch: 1,
            clf_loss: 0.5,
            transfer_loss: 0.25,
            total_loss: 0.75,
            lambda: 1.0,
            lr: 0.01,
            source_accuracy: 0.9,
            target_accuracy: 0.6,
            target_entropy: 0.125,
            target_snd: 2.5,
            seconds: 1.23456,
            images_per_second: 812.25,
        };
        let csv = to_csv(
            &[row.clone(), EpochMetrics { epoch: 2, ..row }],
            Transfer::Coral,
        );
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], HEADER);
        assert_eq!(
            lines[1],
            "1,coral,0.5,0.25,0.75,1,0.01,0.9,0.6,0.125,2.5,1.235,812.2"
        );
        assert!(lines[2].starts_with("2,coral,"));
    }
}
