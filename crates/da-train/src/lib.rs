//! Library half of the `da-train` program: file readers, datasets, training and evaluation.
#![warn(missing_docs)]
pub mod backend;
pub mod cli;
pub mod commands;
pub mod datasets;
pub mod io;
pub mod parallel;
pub mod train;
