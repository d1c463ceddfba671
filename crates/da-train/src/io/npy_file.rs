//! NumPy `.npy` files holding a 2-D float32 or float64 array, read with the `npyz` crate.
//!
//! `npyz` parses the header (format versions 1.0, 2.0 and 3.0) and decodes the elements in
//! either byte order; this module checks what a sample matrix needs (2-D, not empty, the data
//! exactly as long as the shape says, finite values) and names the file and the problem when
//! something is off. Column-major (`fortran_order: True`) arrays are transposed into the
//! row-major [`Matrix`].

use std::io::Cursor;
use std::path::{Path, PathBuf};

use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar};

use super::error::ReadError;
use super::matrix::Matrix;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Reads a `.npy` file holding a 2-D float32 or float64 array (either byte order) into a
/// [`Matrix`] (float32 values are widened exactly to `f64`).
///
/// # Errors
/// [`ReadError::Io`] when the file cannot be read; [`ReadError::BadNpy`] for a missing magic
/// string, an unknown version or a malformed header; [`ReadError::UnsupportedDtype`],
/// [`ReadError::NotTwoDimensional`] (naming the shape), [`ReadError::EmptyArray`],
/// [`ReadError::Truncated`], [`ReadError::TrailingBytes`] and [`ReadError::NonFiniteElement`].
pub fn read_npy_matrix(path: impl AsRef<Path>) -> Result<Matrix, ReadError> {
    let path = path.as_ref().to_path_buf();
    match std::fs::read(&path) {
        Ok(bytes) => npy_matrix(path, &bytes),
        Err(source) => Err(ReadError::Io { path, source }),
    }
}

/// [`read_npy_matrix`] of a file already in memory; `path` names it in errors.
///
/// # Errors
/// Those of [`read_npy_matrix`] but [`ReadError::Io`].
pub fn npy_matrix(path: PathBuf, bytes: &[u8]) -> Result<Matrix, ReadError> {
    let bad = |path: PathBuf, reason: String| Err(ReadError::BadNpy { path, reason });
    if !bytes.starts_with(MAGIC) {
        return bad(
            path,
            "it does not start with the magic string \\x93NUMPY".into(),
        );
    }
    if let Some(reason) = header_length_problem(bytes) {
        return bad(path, reason);
    }
    let mut cursor = Cursor::new(bytes);
    // npyz multiplies the shape's dimensions without checking for overflow, which panics in
    // builds with overflow checks: a malformed file must be an error, not a crash.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        NpyHeader::from_reader(&mut cursor)
    }));
    let header = match parsed {
        Ok(Ok(header)) => header,
        Ok(Err(err)) => return bad(path, format!("malformed header: {err}")),
        Err(_) => return bad(path, "malformed header: its shape overflows".into()),
    };
    let data = &bytes[cursor.position() as usize..];
    let (dtype, size) = match header.dtype() {
        DType::Plain(ts)
            if ts.type_char() == TypeChar::Float && matches!(ts.size_field(), 4 | 8) =>
        {
            (ts.to_string(), ts.size_field() as usize)
        }
        other => {
            return Err(ReadError::UnsupportedDtype {
                path,
                dtype: format!("'{}'", other.descr().trim_matches('\'')),
            });
        }
    };
    let shape: Vec<usize> = header.shape().iter().map(|&d| d as usize).collect();
    let [rows, cols] = shape[..] else {
        return Err(ReadError::NotTwoDimensional { path, shape });
    };
    if rows == 0 || cols == 0 {
        return Err(ReadError::EmptyArray { path, shape });
    }
    let Some(expected) = rows
        .checked_mul(cols)
        .and_then(|count| count.checked_mul(size))
    else {
        return bad(path, format!("shape ({rows}, {cols}) is too large"));
    };
    if data.len() != expected {
        return Err(if data.len() < expected {
            ReadError::Truncated {
                path,
                shape,
                dtype,
                expected,
                found: data.len(),
            }
        } else {
            ReadError::TrailingBytes {
                path,
                shape,
                dtype,
                expected,
                extra: data.len() - expected,
            }
        });
    }
    let order = header.order();
    let file = NpyFile::with_header(header, data);
    let stored: Vec<f64> = match if size == 4 {
        file.into_vec::<f32>()
            .map(|v| v.into_iter().map(f64::from).collect())
    } else {
        file.into_vec::<f64>()
    } {
        Ok(stored) => stored,
        Err(err) => return bad(path, format!("cannot decode the data: {err}")),
    };
    let mut values = vec![0.0; rows * cols];
    for (index, value) in stored.into_iter().enumerate() {
        let (row, column) = match order {
            Order::Fortran => (index % rows, index / rows),
            Order::C => (index / cols, index % cols),
        };
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

/// Why the header-length field of a file that starts with the magic string cannot be right, if
/// it cannot: an unknown version, or a header longer than the file. Checked before `npyz`
/// allocates the declared length.
fn header_length_problem(bytes: &[u8]) -> Option<String> {
    let (Some(&major), Some(&minor)) = (bytes.get(6), bytes.get(7)) else {
        return Some("the format version is missing".into());
    };
    let field = match major {
        1 => 2,
        2 | 3 => 4,
        _ => {
            return Some(format!(
                "format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)"
            ));
        }
    };
    let start = 8 + field;
    let Some(length) = bytes.get(8..start) else {
        return Some("the header length field is truncated".into());
    };
    let length = length
        .iter()
        .rev()
        .fold(0usize, |acc, &byte| (acc << 8) | usize::from(byte));
    let available = bytes.len() - start;
    (length > available).then(|| {
        format!(
            "the header is truncated: it declares {length} bytes, the file has {available} after the length field"
        )
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
    fn big_endian_arrays_read() {
        let dir = TestDir::new("npy_big_endian");
        let values = [1.5f64, -2.0];
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
        let path = dir.write_bytes("b.npy", &npy(1, ">f8", false, "(1, 2)", &data));
        assert_eq!(read_npy_matrix(&path).unwrap().values, values.to_vec());
        let data: Vec<u8> = [0.25f32, 8.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let path = dir.write_bytes("s.npy", &npy(2, ">f4", true, "(2, 1)", &data));
        assert_eq!(read_npy_matrix(&path).unwrap().values, vec![0.25, 8.0]);
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
        for descr in ["<i8", "|u1", "<f2"] {
            let path = dir.write_bytes("d.npy", &npy(1, descr, false, "(1, 1)", &[0; 8]));
            let err = read_npy_matrix(&path).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "{}: dtype '{descr}' is not supported; accepted: 'f4' (float32) and 'f8' (float64), either byte order ('<f8', '>f8')",
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
