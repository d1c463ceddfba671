//! Readers for numeric sample files: CSV text and NumPy `.npy` arrays, both into a [`Matrix`].
//!
//! Every error is a [`ReadError`] whose message names the file and, where there is one, the
//! line or element at fault.

mod csv;
mod error;
mod format;
mod matrix;
mod npy;
mod npy_header;
#[cfg(test)]
mod test_files;

pub use csv::{CsvRow, CsvTable, csv_matrix, parse_number, read_csv_matrix, split_csv_line};
pub use error::ReadError;
pub use format::{MatrixFormat, read_matrix};
pub use matrix::Matrix;
pub use npy::read_npy_matrix;
