//! Library half of the `da-train` program: file readers, datasets, training and evaluation.
#![warn(missing_docs)]
