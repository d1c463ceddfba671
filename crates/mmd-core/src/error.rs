//! The error type of this crate.

use thiserror::Error;

use crate::estimator::Estimator;

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
    /// [`Compute::Cube`](crate::Compute::Cube) was forced on a backend it cannot run on.
    #[error(
        "compute = cube needs a CubeCL backend (burn-wgpu or burn-cuda, f32, without fusion) of a runtime mmd-core was built for (its cargo features `wgpu`, `cuda`); the backend is {backend}. Leave compute unset to choose by backend"
    )]
    ComputeUnavailable {
        /// The backend's name ([`Backend::name`](burn::tensor::backend::Backend::name)).
        backend: String,
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
    /// The permutation test needs at least one permutation.
    #[error("permutations must be at least 1, got {0}")]
    InvalidPermutations(usize),
    /// A forced block size of the permutation test must be at least one row.
    #[error("block_rows must be at least 1, got {0}")]
    InvalidBlockRows(usize),
    /// The permutation test needs the kernel matrix, hence a quadratic estimator.
    #[error(
        "the permutation test needs a quadratic estimator (biased or unbiased), got the {0} estimator"
    )]
    UnsupportedTestEstimator(&'static str),
    /// The ridge of the kernel-weight problem must be finite and positive.
    #[error("regularisation must be a finite number > 0, got {0}")]
    InvalidRegularisation(f64),
    /// Kernel weights or bandwidths that do not define a kernel; the message says which value.
    #[error("invalid kernel weights: {0}")]
    InvalidKernelWeights(String),
    /// LMMD needs at least one class.
    #[error("num_classes must be at least 1, got {0}")]
    InvalidNumClasses(usize),
    /// LMMD needs one source label per source row.
    #[error("source_labels has {labels} entries but the source batch has {rows} rows")]
    LabelCountMismatch {
        /// Entries of the label tensor.
        labels: usize,
        /// Rows of the source batch.
        rows: usize,
    },
    /// A source label is negative or not below `num_classes`.
    #[error("source label {label} at row {row} is out of range for num_classes = {num_classes}")]
    LabelOutOfRange {
        /// Row of the offending label.
        row: usize,
        /// The label.
        label: i64,
        /// The configured number of classes.
        num_classes: usize,
    },
    /// LMMD's target probabilities must be `[target rows, num_classes]`.
    #[error(
        "target_probs must be {target_rows}x{num_classes} (target rows x num_classes), got {rows}x{cols}"
    )]
    ProbsShapeMismatch {
        /// Rows of `target_probs`.
        rows: usize,
        /// Columns of `target_probs`.
        cols: usize,
        /// Rows of the target batch.
        target_rows: usize,
        /// The configured number of classes.
        num_classes: usize,
    },
    /// JMMD needs as many source as target layers, and at least one.
    #[error(
        "JMMD needs the same number (at least 1) of source and target layers, got {source_layers} source and {target_layers} target layers"
    )]
    LayerCountMismatch {
        /// Number of source layers.
        source_layers: usize,
        /// Number of target layers.
        target_layers: usize,
    },
    /// More per-layer JMMD bandwidths are configured than the batch has layers.
    #[error(
        "{configured} per-layer fixed bandwidths are configured but there are only {layers} layers"
    )]
    TooManyLayerBandwidths {
        /// Length of `fixed_layer_bandwidths`.
        configured: usize,
        /// Layers given to the loss.
        layers: usize,
    },
    /// A JMMD layer whose rows differ from layer 0's, or whose source and target widths differ.
    #[error(
        "layer {layer}: source is {source_rows}x{source_cols} and target is {target_rows}x{target_cols}; every source layer needs {expected_source_rows} rows, every target layer {expected_target_rows} rows, and source and target the same width"
    )]
    LayerShapeMismatch {
        /// Index of the layer.
        layer: usize,
        /// Rows of the layer's source batch.
        source_rows: usize,
        /// Columns of the layer's source batch.
        source_cols: usize,
        /// Rows of the layer's target batch.
        target_rows: usize,
        /// Columns of the layer's target batch.
        target_cols: usize,
        /// Rows of source layer 0.
        expected_source_rows: usize,
        /// Rows of target layer 0.
        expected_target_rows: usize,
    },
}

/// Checks a source `[n, ds]` and a target `[m, dt]` batch: neither empty, one feature width, and
/// the rows `estimator` needs; returns `[n, m]`. Every loss of this crate checks its batches here.
pub(crate) fn check_batches(
    [n, ds]: [usize; 2],
    [m, dt]: [usize; 2],
    estimator: Estimator,
) -> Result<[usize; 2], MmdError> {
    for (which, rows, cols) in [("source", n, ds), ("target", m, dt)] {
        if rows == 0 || cols == 0 {
            return Err(MmdError::EmptyBatch { which, rows, cols });
        }
    }
    if ds != dt {
        return Err(MmdError::FeatureMismatch {
            source_rows: n,
            source_cols: ds,
            target_rows: m,
            target_cols: dt,
        });
    }
    let needed = estimator.min_rows();
    if n < needed || m < needed {
        return Err(MmdError::TooFewRows {
            estimator: estimator.name(),
            needed,
            source_rows: n,
            target_rows: m,
        });
    }
    Ok([n, m])
}
