//! The error type of the file readers.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why a numeric file could not be read.
///
/// Every message starts with the file's path and, where there is one, names the line (1-based)
/// or the element at fault, so that the message alone says what to fix.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A text file is not valid UTF-8.
    #[error("{}: line {line} is not valid UTF-8 text", .path.display())]
    NotText {
        /// The file.
        path: PathBuf,
        /// The first line with an invalid byte (1-based).
        line: usize,
    },
    /// The file holds nothing but blank lines.
    #[error("{}: the file is empty; expected one sample per line", .path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file has a header line but no data rows after it.
    #[error("{}: no data rows after the header on line {header_line}", .path.display())]
    NoDataRows {
        /// The file.
        path: PathBuf,
        /// The line of the header (1-based).
        header_line: usize,
    },
    /// A blank line comes before the last row; only trailing blank lines are allowed.
    #[error("{}: line {line} is blank; only blank lines at the end of the file are allowed", .path.display())]
    BlankLine {
        /// The file.
        path: PathBuf,
        /// The blank line (1-based).
        line: usize,
    },
    /// A row has a different number of fields than the first line.
    #[error(
        "{}: line {line} has {found} fields, expected {expected} (as on line {first_line})",
        .path.display()
    )]
    Ragged {
        /// The file.
        path: PathBuf,
        /// The offending line (1-based).
        line: usize,
        /// Fields on that line.
        found: usize,
        /// Fields on the first line.
        expected: usize,
        /// The first line (header or first data row), 1-based.
        first_line: usize,
    },
    /// A field is not a number.
    #[error(
        "{}: line {line}, column {column}: {} is not a number",
        .path.display(),
        quote_field(.field)
    )]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The column (1-based).
        column: usize,
        /// The field as written, without surrounding whitespace.
        field: String,
    },
    /// A field is a number but not a finite one (`nan`, `inf`).
    #[error(
        "{}: line {line}, column {column}: '{field}' is not a finite number",
        .path.display()
    )]
    NotFinite {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The column (1-based).
        column: usize,
        /// The field as written.
        field: String,
    },
    /// The CSV parser rejected a file (for example an unterminated quoted field).
    #[error("{}: line {line}: not valid CSV: {reason}", .path.display())]
    BadCsv {
        /// The file.
        path: PathBuf,
        /// The line where the parser stopped (1-based).
        line: usize,
        /// The parser's message.
        reason: String,
    },
    /// The header of a `.npy` file is malformed.
    #[error("{}: not a valid .npy file: {reason}", .path.display())]
    BadNpy {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A `.npy` file holds an element type other than float32 or float64.
    #[error(
        "{}: dtype {dtype} is not supported; accepted: 'f4' (float32) and 'f8' (float64), either byte order ('<f8', '>f8')",
        .path.display()
    )]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The `descr` entry of the header, as written there.
        dtype: String,
    },
    /// A `.npy` array is not 2-D.
    #[error(
        "{}: array has shape {} ({} dimensions); a sample matrix must be 2-D (rows, columns)",
        .path.display(),
        python_shape(.shape),
        .shape.len()
    )]
    NotTwoDimensional {
        /// The file.
        path: PathBuf,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// A `.npy` array has no rows or no columns.
    #[error(
        "{}: array has shape {}; a sample matrix needs at least one row and one column",
        .path.display(),
        python_shape(.shape)
    )]
    EmptyArray {
        /// The file.
        path: PathBuf,
        /// The array's shape.
        shape: Vec<usize>,
    },
    /// The data section of a `.npy` file is shorter than its shape needs.
    #[error(
        "{}: data is truncated: shape {} of {dtype} needs {expected} bytes after the header, found {found}",
        .path.display(),
        python_shape(.shape)
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The array's shape.
        shape: Vec<usize>,
        /// The dtype.
        dtype: String,
        /// Bytes the shape needs.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The data section of a `.npy` file is longer than its shape needs.
    #[error(
        "{}: {extra} unexpected bytes after the data: shape {} of {dtype} needs {expected} bytes after the header",
        .path.display(),
        python_shape(.shape)
    )]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// The array's shape.
        shape: Vec<usize>,
        /// The dtype.
        dtype: String,
        /// Bytes the shape needs.
        expected: usize,
        /// Bytes beyond those.
        extra: usize,
    },
    /// A `.npy` element is NaN or infinite.
    #[error(
        "{}: element [{row}, {column}] (0-based) is {value}; values must be finite",
        .path.display()
    )]
    NonFiniteElement {
        /// The file.
        path: PathBuf,
        /// Row of the element (0-based, as in NumPy).
        row: usize,
        /// Column of the element (0-based, as in NumPy).
        column: usize,
        /// The value.
        value: f64,
    },
    /// The file's extension names no supported format.
    #[error(
        "{}: {}; accepted extensions: .csv, .npy",
        .path.display(),
        describe_extension(.extension.as_deref())
    )]
    UnsupportedExtension {
        /// The file.
        path: PathBuf,
        /// The extension, without the dot; `None` when the name has none.
        extension: Option<String>,
    },
}

impl ReadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ReadError::Io { path, .. }
            | ReadError::NotText { path, .. }
            | ReadError::Empty { path }
            | ReadError::NoDataRows { path, .. }
            | ReadError::BlankLine { path, .. }
            | ReadError::Ragged { path, .. }
            | ReadError::NotANumber { path, .. }
            | ReadError::NotFinite { path, .. }
            | ReadError::BadCsv { path, .. }
            | ReadError::BadNpy { path, .. }
            | ReadError::UnsupportedDtype { path, .. }
            | ReadError::NotTwoDimensional { path, .. }
            | ReadError::EmptyArray { path, .. }
            | ReadError::Truncated { path, .. }
            | ReadError::TrailingBytes { path, .. }
            | ReadError::NonFiniteElement { path, .. }
            | ReadError::UnsupportedExtension { path, .. } => path,
        }
    }
}

/// A shape as Python prints a tuple: `()`, `(5,)`, `(2, 3)`.
pub(crate) fn python_shape(shape: &[usize]) -> String {
    match shape {
        [single] => format!("({single},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

fn quote_field(field: &str) -> String {
    if field.is_empty() {
        "the empty field ''".to_owned()
    } else {
        format!("'{field}'")
    }
}

fn describe_extension(extension: Option<&str>) -> String {
    match extension {
        Some(extension) => format!("unsupported file extension '.{extension}'"),
        None => "the file name has no extension".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_print_like_python_tuples() {
        assert_eq!(python_shape(&[]), "()");
        assert_eq!(python_shape(&[5]), "(5,)");
        assert_eq!(python_shape(&[2, 3, 4]), "(2, 3, 4)");
    }

    #[test]
    fn messages_name_the_path_line_and_problem() {
        let err = ReadError::NotANumber {
            path: "data/a.csv".into(),
            line: 3,
            column: 2,
            field: "abc".into(),
        };
        assert_eq!(
            err.to_string(),
            "data/a.csv: line 3, column 2: 'abc' is not a number"
        );
        assert_eq!(err.path(), Path::new("data/a.csv"));
        let err = ReadError::NotANumber {
            path: "a.csv".into(),
            line: 1,
            column: 4,
            field: String::new(),
        };
        assert_eq!(
            err.to_string(),
            "a.csv: line 1, column 4: the empty field '' is not a number"
        );
        let err = ReadError::UnsupportedExtension {
            path: "x/samples".into(),
            extension: None,
        };
        assert_eq!(
            err.to_string(),
            "x/samples: the file name has no extension; accepted extensions: .csv, .npy"
        );
    }
}
