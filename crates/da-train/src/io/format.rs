//! Choosing a reader from a file's extension.

use std::path::Path;

use super::csv_table::read_csv_matrix;
use super::error::ReadError;
use super::matrix::Matrix;
use super::npy_file::read_npy_matrix;

/// The file formats a sample matrix can be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixFormat {
    /// Comma-separated text, see [`read_csv_matrix`].
    Csv,
    /// A NumPy `.npy` array, see [`read_npy_matrix`].
    Npy,
}

impl MatrixFormat {
    /// The format named by `path`'s extension (`.csv` or `.npy`, any case).
    ///
    /// # Errors
    /// [`ReadError::UnsupportedExtension`], naming the extension and the accepted ones.
    pub fn from_path(path: &Path) -> Result<Self, ReadError> {
        let extension = path.extension().map(|e| e.to_string_lossy().into_owned());
        match extension.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(MatrixFormat::Csv),
            Some("npy") => Ok(MatrixFormat::Npy),
            _ => Err(ReadError::UnsupportedExtension {
                path: path.to_path_buf(),
                extension,
            }),
        }
    }
}

/// Reads a sample matrix, one sample per row, choosing the reader by extension.
///
/// # Errors
/// [`ReadError::UnsupportedExtension`] for an extension other than `.csv` and `.npy`, otherwise
/// those of [`read_csv_matrix`] or [`read_npy_matrix`].
pub fn read_matrix(path: impl AsRef<Path>) -> Result<Matrix, ReadError> {
    let path = path.as_ref();
    match MatrixFormat::from_path(path)? {
        MatrixFormat::Csv => read_csv_matrix(path),
        MatrixFormat::Npy => read_npy_matrix(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_files::TestDir;

    #[test]
    fn the_extension_picks_the_reader() {
        let dir = TestDir::new("format_dispatch");
        let csv = dir.write("a.CSV", "1,2\n");
        assert_eq!(read_matrix(&csv).unwrap().values, vec![1.0, 2.0]);
        let mut npy = b"\x93NUMPY\x01\x00\x3a\x00".to_vec();
        npy.extend(b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1)}\n");
        npy.extend(4.0f32.to_le_bytes());
        let npy = dir.write_bytes("b.npy", &npy);
        assert_eq!(read_matrix(&npy).unwrap().values, vec![4.0]);
    }

    #[test]
    fn other_extensions_are_named_with_the_accepted_ones() {
        let err = read_matrix("data/samples.txt").unwrap_err();
        assert_eq!(
            err.to_string(),
            "data/samples.txt: unsupported file extension '.txt'; accepted extensions: .csv, .npy"
        );
        let err = read_matrix("data/samples").unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::UnsupportedExtension {
                    extension: None,
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
