//! Readers for numeric sample files: CSV text (on the `csv` crate) and NumPy `.npy` arrays (on
//! `npyz`), both into a [`Matrix`].
//!
//! Every error is a [`ReadError`] whose message names the file and, where there is one, the
//! line or element at fault.

mod csv_table;
mod error;
mod format;
#[cfg(test)]
mod fuzz_tests;
mod matrix;
mod npy_file;
#[cfg(test)]
mod test_files;

pub use csv_table::{CsvRow, CsvTable, csv_matrix, parse_number, read_csv_matrix};
pub use error::ReadError;
pub use format::{MatrixFormat, read_matrix};
pub use matrix::Matrix;
pub use npy_file::{npy_matrix, read_npy_matrix};
