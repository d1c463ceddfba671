//! NumPy `.npy` files holding a 2-D float32 or float64 array.
//!
//! The format (versions 1.0, 2.0 and 3.0): the magic string `\x93NUMPY`, a major and a minor
//! version byte, the header length (2 bytes little-endian in version 1, 4 bytes in versions 2
//! and 3), the header (a Python dict literal, see [`NpyHeader`]) and the raw data. Accepted
//! dtypes are `'<f4'` and `'<f8'`; column-major (`fortran_order: True`) arrays are transposed
//! into the row-major [`Matrix`].

use std::path::{Path, PathBuf};

use super::error::ReadError;
use super::matrix::Matrix;
use super::npy_header::{Literal, NpyHeader};

const MAGIC: &[u8] = b"\x93NUMPY";

/// The element types this reader accepts.
#[derive(Debug, Clone, Copy)]
enum Dtype {
    F4,
    F8,
}

impl Dtype {
    fn from_descr(descr: &Literal) -> Option<Self> {
        match descr {
            Literal::Str(s) if s == "<f4" => Some(Dtype::F4),
            Literal::Str(s) if s == "<f8" => Some(Dtype::F8),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Dtype::F4 => "<f4",
            Dtype::F8 => "<f8",
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::F4 => 4,
            Dtype::F8 => 8,
        }
    }

    fn decode(self, bytes: &[u8]) -> f64 {
        match self {
            Dtype::F4 => f64::from(f32::from_le_bytes(bytes.try_into().expect("4 bytes"))),
            Dtype::F8 => f64::from_le_bytes(bytes.try_into().expect("8 bytes")),
        }
    }
}

/// Reads a `.npy` file holding a 2-D `<f4` or `<f8` array into a [`Matrix`] (float32 values are
/// widened exactly to `f64`).
///
/// # Errors
/// [`ReadError::Io`] when the file cannot be read; [`ReadError::BadNpy`] for a missing magic
/// string, an unknown version or a malformed header; [`ReadError::UnsupportedDtype`],
/// [`ReadError::NotTwoDimensional`] (naming the shape), [`ReadError::EmptyArray`],
/// [`ReadError::Truncated`], [`ReadError::TrailingBytes`] and [`ReadError::NonFiniteElement`].
pub fn read_npy_matrix(path: impl AsRef<Path>) -> Result<Matrix, ReadError> {
    let path = path.as_ref().to_path_buf();
    match std::fs::read(&path) {
        Ok(bytes) => parse_npy(path, &bytes),
        Err(source) => Err(ReadError::Io { path, source }),
    }
}

fn parse_npy(path: PathBuf, bytes: &[u8]) -> Result<Matrix, ReadError> {
    let bad = |path: PathBuf, reason: String| Err(ReadError::BadNpy { path, reason });
    if bytes.len() < 8 || !bytes.starts_with(MAGIC) {
        return bad(
            path,
            "it does not start with the magic string \\x93NUMPY".into(),
        );
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let length_bytes = match major {
        1 => 2,
        2 | 3 => 4,
        _ => {
            return bad(
                path,
                format!("format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)"),
            );
        }
    };
    let header_start = 8 + length_bytes;
    let Some(length_field) = bytes.get(8..header_start) else {
        return bad(path, "the header length field is truncated".into());
    };
    let header_len = length_field
        .iter()
        .rev()
        .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte));
    let header_end = header_start + header_len;
    let Some(header_bytes) = bytes.get(header_start..header_end) else {
        return bad(
            path,
            format!(
                "the header is truncated: it declares {header_len} bytes, the file has {} after the length field",
                bytes.len() - header_start
            ),
        );
    };
    let header_text = if major == 3 {
        match std::str::from_utf8(header_bytes) {
            Ok(text) => text.to_owned(),
            Err(_) => return bad(path, "the version 3 header is not UTF-8".into()),
        }
    } else {
        // Versions 1 and 2 encode the header in Latin-1, whose bytes are the first 256 code points.
        header_bytes.iter().map(|&byte| char::from(byte)).collect()
    };
    let header = match NpyHeader::parse(&header_text) {
        Ok(header) => header,
        Err(reason) => return bad(path, reason),
    };
    let Some(dtype) = Dtype::from_descr(&header.descr) else {
        return Err(ReadError::UnsupportedDtype {
            path,
            dtype: header.descr.to_string(),
        });
    };
    let shape = header.shape;
    let [rows, cols] = shape[..] else {
        return Err(ReadError::NotTwoDimensional { path, shape });
    };
    if rows == 0 || cols == 0 {
        return Err(ReadError::EmptyArray { path, shape });
    }
    let Some(expected) = rows
        .checked_mul(cols)
        .and_then(|count| count.checked_mul(dtype.size()))
    else {
        return bad(path, format!("shape ({rows}, {cols}) is too large"));
    };
    let data = &bytes[header_end..];
    if data.len() < expected {
        return Err(ReadError::Truncated {
            path,
            shape,
            dtype: dtype.name().into(),
            expected,
            found: data.len(),
        });
    }
    if data.len() > expected {
        return Err(ReadError::TrailingBytes {
            path,
            shape,
            dtype: dtype.name().into(),
            expected,
            extra: data.len() - expected,
        });
    }
    let mut values = vec![0.0; rows * cols];
    for (stored, chunk) in data.chunks_exact(dtype.size()).enumerate() {
        let (row, column) = if header.fortran_order {
            (stored % rows, stored / rows)
        } else {
            (stored / cols, stored % cols)
        };
        let value = dtype.decode(chunk);
        if !value.is_finite() {
            return Err(ReadError::NonFiniteElement {
                path,
                row,
                column,
                value,
            });
        }
        values[row * cols + column] = value;
    }
    Ok(Matrix {
        rows,
        cols,
        values,
        header: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::test_files::TestDir;

    /// A `.npy` file as NumPy writes it: header padded with spaces to a multiple of 64 bytes
    /// (counting magic, version and length), ending in a newline.
    fn npy(version: u8, descr: &str, fortran_order: bool, shape: &str, data: &[u8]) -> Vec<u8> {
        let order = if fortran_order { "True" } else { "False" };
        let dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
        let prefix = if version == 1 { 10 } else { 12 };
        let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
        let header = format!("{dict}{}\n", " ".repeat(total - prefix - dict.len() - 1));
        let mut bytes = MAGIC.to_vec();
        bytes.extend([version, 0]);
        if version == 1 {
            bytes.extend(u16::try_from(header.len()).unwrap().to_le_bytes());
        } else {
            bytes.extend(u32::try_from(header.len()).unwrap().to_le_bytes());
        }
        bytes.extend(header.as_bytes());
        assert_eq!((bytes.len()) % 64, 0, "NumPy aligns the data to 64 bytes");
        bytes.extend(data);
        bytes
    }

    fn f8_bytes(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn f4_bytes(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn reads_a_float64_matrix() {
        let dir = TestDir::new("npy_f8");
        let values = [1.0, -2.5, 3.25, 1e-300, 5.0, 6.0];
        let path = dir.write_bytes("a.npy", &npy(1, "<f8", false, "(2, 3)", &f8_bytes(&values)));
        let matrix = read_npy_matrix(&path).unwrap();
        assert_eq!(
            matrix,
            Matrix {
                rows: 2,
                cols: 3,
                values: values.to_vec(),
                header: None
            }
        );
    }

    #[test]
    fn a_literal_version_1_file_reads() {
        // np.save(f, np.array([[1.5, -2.0]])) with NumPy 1.x, byte for byte.
        let mut bytes = b"\x93NUMPY\x01\x00\x76\x00".to_vec();
        let dict = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
        bytes.extend(dict);
        bytes.extend(std::iter::repeat_n(b' ', 0x76 - dict.len() - 1));
        bytes.push(b'\n');
        bytes.extend(1.5f64.to_le_bytes());
        bytes.extend((-2.0f64).to_le_bytes());
        let dir = TestDir::new("npy_literal");
        let path = dir.write_bytes("a.npy", &bytes);
        let matrix = read_npy_matrix(&path).unwrap();
        assert_eq!(
            (matrix.rows, matrix.cols, matrix.values),
            (1, 2, vec![1.5, -2.0])
        );
    }

    #[test]
    fn reads_float32_exactly_in_every_version() {
        let dir = TestDir::new("npy_f4");
        let values = [0.1f32, -7.0, 3.5, 16_777_217.0];
        for version in [1, 2, 3] {
            let path = dir.write_bytes(
                &format!("v{version}.npy"),
                &npy(version, "<f4", false, "(2, 2)", &f4_bytes(&values)),
            );
            let matrix = read_npy_matrix(&path).unwrap();
            assert_eq!(matrix.shape(), [2, 2]);
            let expected: Vec<f64> = values.iter().map(|&v| f64::from(v)).collect();
            assert_eq!(matrix.values, expected, "version {version}");
        }
    }

    #[test]
    fn fortran_order_is_transposed_into_row_major() {
        let dir = TestDir::new("npy_fortran");
        // The 2x3 matrix [[1, 2, 3], [4, 5, 6]] stored column by column.
        let stored = [1.0, 4.0, 2.0, 5.0, 3.0, 6.0];
        let path = dir.write_bytes("f.npy", &npy(1, "<f8", true, "(2, 3)", &f8_bytes(&stored)));
        let matrix = read_npy_matrix(&path).unwrap();
        assert_eq!(matrix.shape(), [2, 3]);
        assert_eq!(matrix.values, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn arrays_that_are_not_2d_name_their_shape() {
        let dir = TestDir::new("npy_ndim");
        for (name, shape, count, text) in [
            ("one.npy", "(4,)", 4, "(4,)"),
            ("three.npy", "(2, 1, 2)", 4, "(2, 1, 2)"),
            ("zero.npy", "()", 1, "()"),
        ] {
            let path = dir.write_bytes(
                name,
                &npy(1, "<f8", false, shape, &f8_bytes(&vec![0.0; count])),
            );
            let err = read_npy_matrix(&path).unwrap_err();
            assert!(
                matches!(err, ReadError::NotTwoDimensional { .. }),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("{}: array has shape {text} ", path.display())),
                "{message}"
            );
        }
    }

    #[test]
    fn truncated_and_oversized_data_are_errors() {
        let dir = TestDir::new("npy_truncated");
        let path = dir.write_bytes(
            "t.npy",
            &npy(1, "<f8", false, "(4, 3)", &f8_bytes(&[0.0; 10])),
        );
        let err = read_npy_matrix(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: data is truncated: shape (4, 3) of <f8 needs 96 bytes after the header, found 80",
                path.display()
            )
        );
        let path = dir.write_bytes(
            "x.npy",
            &npy(1, "<f4", false, "(1, 2)", &f4_bytes(&[0.0; 3])),
        );
        assert!(matches!(
            read_npy_matrix(&path).unwrap_err(),
            ReadError::TrailingBytes {
                expected: 8,
                extra: 4,
                ..
            }
        ));
        let full = npy(1, "<f8", false, "(1, 1)", &f8_bytes(&[1.0]));
        let path = dir.write_bytes("h.npy", &full[..40]);
        let err = read_npy_matrix(&path).unwrap_err();
        assert!(err.to_string().contains("the header is truncated"), "{err}");
    }

    #[test]
    fn unsupported_dtypes_are_named() {
        let dir = TestDir::new("npy_dtype");
        for descr in [">f8", "<i8", "|u1", "<f2"] {
            let path = dir.write_bytes("d.npy", &npy(1, descr, false, "(1, 1)", &[0; 8]));
            let err = read_npy_matrix(&path).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "{}: dtype '{descr}' is not supported; accepted: '<f4' (float32) and '<f8' (float64), little-endian",
                    path.display()
                )
            );
        }
    }

    #[test]
    fn empty_arrays_and_non_finite_elements_are_errors() {
        let dir = TestDir::new("npy_empty_nan");
        let path = dir.write_bytes("e.npy", &npy(1, "<f8", false, "(0, 3)", &[]));
        let err = read_npy_matrix(&path).unwrap_err();
        assert!(err.to_string().contains("shape (0, 3)"), "{err}");
        // Element [1, 0] of a Fortran-ordered 2x2 array is stored second.
        let path = dir.write_bytes(
            "n.npy",
            &npy(
                1,
                "<f8",
                true,
                "(2, 2)",
                &f8_bytes(&[0.0, f64::NAN, 0.0, 0.0]),
            ),
        );
        let err = read_npy_matrix(&path).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NonFiniteElement {
                    row: 1,
                    column: 0,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("element [1, 0] (0-based) is NaN"),
            "{err}"
        );
    }

    #[test]
    fn not_npy_files_are_rejected() {
        let dir = TestDir::new("npy_magic");
        let path = dir.write_bytes("c.npy", b"1,2,3\n4,5,6\n");
        let err = read_npy_matrix(&path).unwrap_err();
        assert!(err.to_string().contains("magic string"), "{err}");
        let mut bytes = npy(1, "<f8", false, "(1, 1)", &f8_bytes(&[1.0]));
        bytes[6] = 4;
        let path = dir.write_bytes("v.npy", &bytes);
        let err = read_npy_matrix(&path).unwrap_err();
        assert!(
            err.to_string()
                .contains("format version 4.0 is not supported"),
            "{err}"
        );
        let err = read_npy_matrix(dir.path().join("missing.npy")).unwrap_err();
        assert!(matches!(err, ReadError::Io { .. }), "{err:?}");
    }
}
