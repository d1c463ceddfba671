//! The IDX format of MNIST (big-endian header, `u8` data), plain or gzip-compressed.

use std::io::Read;
use std::path::Path;

use super::error::{DataError, malformed};

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    /// Dimensions, outermost first.
    pub dims: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<u8>,
}

/// Reads an IDX file of `u8` values with `rank` dimensions (`.gz` files are decompressed).
pub fn read_idx(path: &Path, rank: usize) -> Result<IdxArray, DataError> {
    let raw = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode_idx(&raw, rank, path)
}

/// [`read_idx`] of a file already in memory (gzip when `path` ends in `.gz`); `path` names it
/// in errors.
pub fn decode_idx(raw: &[u8], rank: usize, path: &Path) -> Result<IdxArray, DataError> {
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw)
            .read_to_end(&mut out)
            .map_err(|e| malformed(path, format!("not a valid gzip file: {e}")))?;
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(raw)
    };
    parse_idx(&bytes, rank, path)
}

/// Parses IDX bytes; `path` names the file in errors.
pub fn parse_idx(bytes: &[u8], rank: usize, path: &Path) -> Result<IdxArray, DataError> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(malformed(
            path,
            "not an IDX file (the magic number must start with two zero bytes)",
        ));
    }
    if bytes[2] != 0x08 {
        return Err(malformed(
            path,
            format!(
                "IDX element type 0x{:02x} is not supported; expected 0x08 (unsigned byte)",
                bytes[2]
            ),
        ));
    }
    if bytes[3] as usize != rank {
        return Err(malformed(
            path,
            format!("IDX array has {} dimensions, expected {rank}", bytes[3]),
        ));
    }
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(malformed(path, "the IDX header is cut short"));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|i| {
            u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let expected: usize = dims.iter().product();
    let found = bytes.len() - header;
    if found != expected {
        return Err(malformed(
            path,
            format!("dimensions {dims:?} need {expected} bytes of data, the file has {found}"),
        ));
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

#[cfg(test)]
pub(crate) fn encode_idx(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&(*d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_malformed_files() {
        let path = Path::new("x.idx3-ubyte");
        let bytes = encode_idx(&[2, 2, 3], &[7; 12]);
        assert_eq!(
            parse_idx(&bytes, 3, path).unwrap(),
            IdxArray {
                dims: vec![2, 2, 3],
                data: vec![7; 12]
            }
        );
        let err = |bytes: &[u8], rank| parse_idx(bytes, rank, path).unwrap_err().to_string();
        assert!(err(b"PK\x03\x04", 3).contains("not an IDX file"));
        assert!(err(&bytes, 1).contains("3 dimensions, expected 1"));
        assert!(
            err(&bytes[..bytes.len() - 1], 3).contains("need 12 bytes of data, the file has 11")
        );
        assert!(err(&bytes[..9], 3).contains("header is cut short"));
        let mut float = bytes.clone();
        float[2] = 0x0D;
        assert!(err(&float, 3).contains("0x0d"));
        assert!(err(b"PK\x03\x04", 3).starts_with("x.idx3-ubyte"));
    }
}
