//! Fuzz-style tests of the readers: random bytes, every truncation and random byte flips of
//! valid files never panic, and every error names the file.

use std::path::PathBuf;

use super::{CsvTable, ReadError, csv_matrix, npy_matrix};

/// A seeded byte source (SplitMix64), so the inputs are the same on every run.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        crate::datasets::augment::splitmix(self.0)
    }

    /// `len` bytes, drawn from `alphabet` when one is given.
    fn take(&mut self, len: usize, alphabet: Option<&[u8]>) -> Vec<u8> {
        (0..len)
            .map(|_| {
                let r = self.next();
                alphabet.map_or(r as u8, |a| a[(r % a.len() as u64) as usize])
            })
            .collect()
    }
}

fn path() -> PathBuf {
    PathBuf::from("fuzz-input")
}

/// Both readers on `bytes`: no panic, and an error names the file.
fn read_both(bytes: &[u8]) {
    let check = |result: Result<_, ReadError>| {
        if let Err(err) = result {
            assert_eq!(err.path(), path().as_path(), "{err}");
            assert!(err.to_string().contains("fuzz-input"), "{err}");
        }
    };
    check(CsvTable::from_bytes(path(), bytes.to_vec()).and_then(csv_matrix));
    check(npy_matrix(path(), bytes));
}

/// A valid version-1 `.npy` file of a 3x2 `<f8` C-order array.
fn valid_npy() -> Vec<u8> {
    let dict = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let header_len = 128 - 10;
    bytes.extend(u16::try_from(header_len).unwrap().to_le_bytes());
    bytes.extend(dict);
    bytes.extend(std::iter::repeat_n(b' ', header_len - dict.len() - 1));
    bytes.push(b'\n');
    for v in [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0] {
        bytes.extend(v.to_le_bytes());
    }
    bytes
}

const VALID_CSV: &[u8] = b"x1, \"x 2\",label\n1,2.5,0\n-3,4e-2,1\n\"5\",6,0\n";

#[test]
fn the_valid_inputs_read() {
    assert_eq!(npy_matrix(path(), &valid_npy()).unwrap().shape(), [3, 2]);
    let table = CsvTable::from_bytes(path(), VALID_CSV.to_vec()).unwrap();
    assert_eq!(csv_matrix(table).unwrap().shape(), [3, 3]);
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Bytes(1);
    let csv_alphabet = b"0123456789.,-+e\"\n\r \tabnNiI\xef\xbb\xbf";
    for len in (0..64).chain([200, 1000]) {
        for _ in 0..20 {
            read_both(&rng.take(len, None));
            read_both(&rng.take(len, Some(csv_alphabet)));
            // Random bytes behind a valid magic string and version reach the header parser.
            let mut npy = b"\x93NUMPY".to_vec();
            npy.extend(rng.take(len, None));
            read_both(&npy);
        }
    }
}

#[test]
fn every_truncation_and_random_flips_of_valid_files_never_panic() {
    let npy = valid_npy();
    for end in 0..npy.len() {
        read_both(&npy[..end]);
    }
    for end in 0..VALID_CSV.len() {
        read_both(&VALID_CSV[..end]);
    }
    let mut rng = Bytes(2);
    for valid in [npy.as_slice(), VALID_CSV] {
        for _ in 0..500 {
            let mut bytes = valid.to_vec();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() % bytes.len() as u64) as usize;
                bytes[at] = rng.next() as u8;
            }
            read_both(&bytes);
        }
    }
}

#[test]
fn hostile_npy_headers_are_errors() {
    let header = |dict: &str, declared: Option<u16>| {
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        let text = format!("{dict}\n");
        bytes.extend(declared.unwrap_or(text.len() as u16).to_le_bytes());
        bytes.extend(text.as_bytes());
        bytes
    };
    for (dict, declared) in [
        // A shape whose element count overflows 64 bits.
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }",
            None,
        ),
        // A 2-D shape too large for memory: the data is truncated, nothing is allocated.
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            None,
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2), }",
            None,
        ),
        (
            "{'descr': 'zz', 'fortran_order': False, 'shape': (1, 1), }",
            None,
        ),
        ("not a dict", None),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }",
            Some(u16::MAX),
        ),
    ] {
        let err = npy_matrix(path(), &header(dict, declared)).unwrap_err();
        assert!(err.to_string().starts_with("fuzz-input: "), "{dict}: {err}");
    }
}
