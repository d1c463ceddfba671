//! The error type of this crate.

use thiserror::Error;

/// Why a PCA could not be fitted or applied.
///
/// Every variant carries the offending values so that the message alone says what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PcaError {
    /// The data slice does not hold `n_rows * n_cols` values.
    #[error("expected n_rows * n_cols = {n_rows} * {n_cols} values, got {len}")]
    ShapeMismatch {
        /// Length of the data slice.
        len: usize,
        /// Declared number of rows.
        n_rows: usize,
        /// Declared number of columns.
        n_cols: usize,
    },
    /// Rows to project are not a whole number of rows of the fitted width.
    #[error(
        "the PCA was fitted on rows of {n_cols} values, but {len} values are not a whole number of such rows"
    )]
    RaggedRows {
        /// Length of the data slice.
        len: usize,
        /// Number of columns the PCA was fitted on.
        n_cols: usize,
    },
    /// A PCA needs at least one row and one column to fit.
    #[error("a PCA needs at least one row and one column, got {n_rows} x {n_cols}")]
    Empty {
        /// Declared number of rows.
        n_rows: usize,
        /// Declared number of columns.
        n_cols: usize,
    },
    /// A value is NaN or infinite.
    #[error("the value at row {row}, column {col} is {value}; PCA needs finite values")]
    NonFinite {
        /// Row of the value (from 0).
        row: usize,
        /// Column of the value (from 0).
        col: usize,
        /// The value.
        value: f64,
    },
}
