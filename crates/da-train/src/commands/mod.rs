//! The subcommands of the `da-train` program, one module each, and the error they share.
//!
//! Each module has an `XArgs` (clap arguments) and `run(&XArgs) -> Result<(), CommandError>`;
//! the binary prints a [`CommandError`] to stderr and exits with [`CommandError::exit_code`].

pub mod compare;
pub mod eval;
pub mod mmd;
pub mod orchestrator;
pub mod train;

use std::path::PathBuf;

use mmd_core::MmdError;
use thiserror::Error;

use da_models::ModelError;

use crate::datasets::DataError;
use crate::io::ReadError;
use crate::train::{CheckpointError, ConfigError, TrainError};

/// Exit code for bad input: unreadable or malformed files, invalid option values. clap's own
/// usage errors exit with the same code.
pub const INPUT_ERROR_EXIT_CODE: u8 = 2;

/// Exit code when training diverged (a NaN or infinite loss).
pub const NON_FINITE_EXIT_CODE: u8 = 3;

/// Why a subcommand failed.
#[derive(Debug, Error)]
pub enum CommandError {
    /// An input file could not be read; the message names the file and line.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Two sample files have different numbers of columns.
    #[error(
        "the samples have different widths: {} has {source_cols} columns, {} has {target_cols}",
        .source_path.display(),
        .target_path.display()
    )]
    WidthMismatch {
        /// The source file.
        source_path: PathBuf,
        /// Columns of the source file.
        source_cols: usize,
        /// The target file.
        target_path: PathBuf,
        /// Columns of the target file.
        target_cols: usize,
    },
    /// An option that only the Gaussian kernel uses was given with another kernel.
    #[error("{option} applies to the gaussian kernel only, not to --kernel {kernel}")]
    GaussianOnlyOption {
        /// The option as written on the command line.
        option: &'static str,
        /// The kernel that was chosen.
        kernel: &'static str,
    },
    /// `mmd-core` rejected the loss configuration or the batches.
    #[error(transparent)]
    Mmd(#[from] MmdError),
    /// A dataset could not be found or read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The training configuration (file or options) is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A checkpoint is missing, damaged or belongs to another run.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The network cannot be built.
    #[error("model: {0}")]
    Model(#[from] ModelError),
    /// Training stopped.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// Any other invalid input, described in full.
    #[error("{0}")]
    Input(String),
    /// An output file could not be written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl CommandError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Read(_)
            | CommandError::WidthMismatch { .. }
            | CommandError::GaussianOnlyOption { .. }
            | CommandError::Mmd(_)
            | CommandError::Data(_)
            | CommandError::Config(_)
            | CommandError::Checkpoint(_)
            | CommandError::Model(_)
            | CommandError::Input(_) => INPUT_ERROR_EXIT_CODE,
            CommandError::Train(err) => match err {
                TrainError::Config(_)
                | TrainError::Model(_)
                | TrainError::Checkpoint(_)
                | TrainError::Data(_) => INPUT_ERROR_EXIT_CODE,
                TrainError::NonFinite { .. } => NON_FINITE_EXIT_CODE,
                TrainError::Io { .. } | TrainError::Parallel(_) => 1,
            },
            CommandError::Io { .. } => 1,
        }
    }
}
