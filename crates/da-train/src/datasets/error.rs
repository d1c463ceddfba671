//! The error type of the dataset readers.

use std::path::PathBuf;

use thiserror::Error;

use crate::io::ReadError;

/// Why a dataset could not be found or read. Messages name the file and what is wrong.
#[derive(Debug, Error)]
pub enum DataError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A CSV file could not be parsed.
    #[error(transparent)]
    Csv(#[from] ReadError),
    /// The file's content is not what its format requires.
    #[error("{}: {reason}", .path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A domain name or path that is none of the accepted forms.
    #[error(
        "unknown domain '{0}': expected mnist, mfeat, optdigits, mnistm-synth, an image folder, a .csv file with the label last, or an IDX pair 'images.idx3-ubyte,labels.idx1-ubyte'"
    )]
    UnknownDomain(String),
}

pub(crate) fn malformed(path: &std::path::Path, reason: impl Into<String>) -> DataError {
    DataError::Malformed {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}
