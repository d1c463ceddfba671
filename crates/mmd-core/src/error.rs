//! The error type of this crate.

use thiserror::Error;

/// Why an MMD configuration or a pair of batches was rejected.
///
/// Every variant carries the offending values so that the message alone says what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MmdError {
    /// Source and target rows have different widths.
    #[error(
        "source and target must have the same feature width: source is {source_rows}x{source_cols}, target is {target_rows}x{target_cols}"
    )]
    FeatureMismatch {
        /// Rows of the source batch.
        source_rows: usize,
        /// Columns of the source batch.
        source_cols: usize,
        /// Rows of the target batch.
        target_rows: usize,
        /// Columns of the target batch.
        target_cols: usize,
    },
    /// A batch has no rows or no columns.
    #[error(
        "the {which} batch is empty (shape {rows}x{cols}); MMD needs at least one row and one column"
    )]
    EmptyBatch {
        /// `"source"` or `"target"`.
        which: &'static str,
        /// Rows of that batch.
        rows: usize,
        /// Columns of that batch.
        cols: usize,
    },
    /// The estimator needs more rows than the batch has.
    #[error(
        "the {estimator} estimator needs at least {needed} rows in each batch, got source {source_rows} and target {target_rows}"
    )]
    TooFewRows {
        /// Name of the estimator.
        estimator: &'static str,
        /// Rows it needs in each batch.
        needed: usize,
        /// Rows of the source batch.
        source_rows: usize,
        /// Rows of the target batch.
        target_rows: usize,
    },
    /// `kernel_mul` must be finite and positive.
    #[error("kernel_mul must be a finite number > 0, got {0}")]
    InvalidKernelMul(f64),
    /// `kernel_num` must be at least 1.
    #[error("kernel_num must be at least 1, got {0}")]
    InvalidKernelNum(usize),
    /// A fixed bandwidth must be finite and positive.
    #[error("a fixed bandwidth (fix_sigma) must be a finite number > 0, got {0}")]
    InvalidBandwidth(f64),
}
