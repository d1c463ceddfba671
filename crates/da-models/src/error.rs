//! The error type of this crate.

use thiserror::Error;

use crate::arch::Arch;

/// Why a model configuration was rejected.
///
/// Every variant carries the offending values so that the message alone says what to fix.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    /// The images must have at least one channel.
    #[error("in_channels must be at least 1, got {0}")]
    InvalidInChannels(usize),
    /// The classifier needs at least one class.
    #[error("num_classes must be at least 1, got {0}")]
    InvalidNumClasses(usize),
    /// The bottleneck needs at least one unit.
    #[error("the bottleneck width must be at least 1, got {0}")]
    InvalidBottleneck(usize),
    /// The dropout probability must lie in `[0, 1)`.
    #[error("dropout must be a probability in [0, 1), got {0}")]
    InvalidDropout(f64),
    /// The input is so small that a convolution or a pooling would output an empty map.
    #[error(
        "a {height}x{width} input is too small for the {arch} extractor: conv block {block} would \
         output a {out_height}x{out_width} map; {arch} needs inputs of at least \
         {min_height}x{min_width}"
    )]
    InputTooSmall {
        /// The architecture whose blocks do not fit.
        arch: Arch,
        /// Configured input height.
        height: usize,
        /// Configured input width.
        width: usize,
        /// The first conv block (counted from 1) whose output has a zero side.
        block: usize,
        /// Height of that block's output.
        out_height: usize,
        /// Width of that block's output.
        out_width: usize,
        /// Smallest input height that the architecture accepts.
        min_height: usize,
        /// Smallest input width that the architecture accepts.
        min_width: usize,
    },
    /// A name (architecture, MMD input) that is not one of the known ones.
    #[error("unknown {what} `{got}`; expected one of: {expected}")]
    UnknownName {
        /// What was being parsed, e.g. `"architecture"`.
        what: &'static str,
        /// The rejected name.
        got: String,
        /// The accepted names, comma-separated.
        expected: &'static str,
    },
}
