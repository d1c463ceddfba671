//! The error types of this crate.

use thiserror::Error;

/// Why a chart could not be rendered or saved.
#[derive(Debug, Error)]
pub enum PlotError {
    /// plotters failed to draw the chart (the message is plotters').
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    /// The drawn pixels could not be encoded as PNG.
    #[error("cannot encode the chart as PNG: {0}")]
    Encode(#[from] image::ImageError),
    /// The chart could not be written; the message names the file.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl PlotError {
    /// A plotters drawing error, kept as its message (plotters' error types borrow the backend).
    pub(crate) fn draw(error: impl std::fmt::Display) -> Self {
        Self::Draw(error.to_string())
    }
}

/// Why a projection (PCA or t-SNE) could not be fitted or applied.
///
/// Every variant carries the offending values so that the message alone says what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ProjectionError {
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
    /// A projection needs at least one row and one column to fit.
    #[error("a projection needs at least one row and one column, got {n_rows} x {n_cols}")]
    Empty {
        /// Declared number of rows.
        n_rows: usize,
        /// Declared number of columns.
        n_cols: usize,
    },
    /// More rows than t-SNE embeds (see [`TSNE_MAX_ROWS`](crate::TSNE_MAX_ROWS)).
    #[error("t-SNE embeds at most {max} rows, got {n_rows}; embed an evenly spaced sample")]
    TooManyRows {
        /// Number of rows given.
        n_rows: usize,
        /// The limit.
        max: usize,
    },
    /// The thread of the t-SNE fit could not be started (the message is rayon's).
    #[error("cannot start the t-SNE thread: {0}")]
    Threads(String),
    /// A value is NaN or infinite.
    #[error("the value at row {row}, column {col} is {value}; projections need finite values")]
    NonFinite {
        /// Row of the value (from 0).
        row: usize,
        /// Column of the value (from 0).
        col: usize,
        /// The value.
        value: f64,
    },
}
