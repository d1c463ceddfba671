//! The checkpoint file: training state, model and optimiser records in one checksummed file.
//!
//! Layout (little-endian): the magic `DACKPT01`, then three or four length-prefixed sections
//! (`u64` length + bytes): a JSON header, the network record, the optimiser record and, for DANN
//! runs only, the domain discriminator's record, all records in burn's binary format at full
//! precision; then an FNV-1a 64 checksum of everything before it. A truncated or altered file
//! fails the checksum before anything is decoded. Files without the fourth section (every run
//! but DANN, and every checkpoint written before DANN existed) read as before.

use std::path::{Path, PathBuf};

use serde::{Serialize, de::DeserializeOwned};
use thiserror::Error;

use atomic_file::write as write_atomic;

const MAGIC: &[u8; 8] = b"DACKPT01";

/// Why a checkpoint could not be written or read.
#[derive(Debug, Error)]
pub enum CheckpointError {
    /// The file could not be read or written.
    #[error("checkpoint {path}: {source}")]
    Io {
        /// The checkpoint file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a checkpoint of this program or is damaged.
    #[error("checkpoint {path} is corrupted: {reason}")]
    Corrupted {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The checkpoint was written for another model or run configuration.
    #[error("checkpoint {path} does not match: {reason}")]
    Mismatch {
        /// The checkpoint file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
}

/// The sections of a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointParts<H> {
    /// Training state and configuration (stored as JSON).
    pub header: H,
    /// The network record (burn binary, full precision).
    pub model: Vec<u8>,
    /// The optimiser record (burn binary, full precision).
    pub optimizer: Vec<u8>,
    /// The domain discriminator's record (burn binary, full precision), for DANN runs.
    pub discriminator: Option<Vec<u8>>,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl<H: Serialize + DeserializeOwned> CheckpointParts<H> {
    /// Serialises the checkpoint to bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).expect("checkpoint header serialises");
        let extra = self.discriminator.as_ref().map_or(0, |d| 8 + d.len());
        let mut out =
            Vec::with_capacity(48 + header.len() + self.model.len() + self.optimizer.len() + extra);
        out.extend_from_slice(MAGIC);
        for section in [&header, &self.model, &self.optimizer]
            .into_iter()
            .chain(self.discriminator.as_ref())
        {
            out.extend_from_slice(&(section.len() as u64).to_le_bytes());
            out.extend_from_slice(section);
        }
        let checksum = fnv1a(&out);
        out.extend_from_slice(&checksum.to_le_bytes());
        out
    }

    /// Parses bytes written by [`CheckpointParts::to_bytes`]; `path` is only used in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, CheckpointError> {
        let corrupted = |reason: String| CheckpointError::Corrupted {
            path: path.to_path_buf(),
            reason,
        };
        if bytes.len() < MAGIC.len() + 8 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(corrupted(
                "not a checkpoint file (wrong magic bytes)".into(),
            ));
        }
        let (body, tail) = bytes.split_at(bytes.len() - 8);
        let stored = u64::from_le_bytes(tail.try_into().expect("8 bytes"));
        if fnv1a(body) != stored {
            return Err(corrupted(format!(
                "checksum mismatch ({} bytes; truncated or modified)",
                bytes.len()
            )));
        }
        let mut rest = &body[MAGIC.len()..];
        let mut sections = Vec::with_capacity(4);
        for name in ["header", "model", "optimizer", "discriminator"] {
            if name == "discriminator" && rest.is_empty() {
                break;
            }
            if rest.len() < 8 {
                return Err(corrupted(format!("the {name} section is missing")));
            }
            let len = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes")) as usize;
            rest = &rest[8..];
            if rest.len() < len {
                return Err(corrupted(format!("the {name} section is cut short")));
            }
            sections.push(rest[..len].to_vec());
            rest = &rest[len..];
        }
        if !rest.is_empty() {
            return Err(corrupted(format!(
                "{} unexpected bytes after the last section",
                rest.len()
            )));
        }
        let discriminator = (sections.len() == 4).then(|| sections.pop().expect("4 sections"));
        let optimizer = sections.pop().expect("3 sections");
        let model = sections.pop().expect("3 sections");
        let header = serde_json::from_slice(&sections[0])
            .map_err(|err| corrupted(format!("unreadable header: {err}")))?;
        Ok(Self {
            header,
            model,
            optimizer,
            discriminator,
        })
    }

    /// Writes the checkpoint atomically (temporary file + rename).
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        write_atomic(path, &self.to_bytes()).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a checkpoint.
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> CheckpointParts<serde_json::Value> {
        CheckpointParts {
            header: serde_json::json!({"epoch": 3, "arch": "lenet"}),
            model: vec![1, 2, 3, 4, 5],
            optimizer: vec![9; 17],
            discriminator: None,
        }
    }

    #[test]
    fn round_trip() {
        let p = parts();
        let back = CheckpointParts::from_bytes(&p.to_bytes(), Path::new("x")).unwrap();
        assert_eq!(back, p);
        let with_discriminator = CheckpointParts {
            discriminator: Some(vec![7; 11]),
            ..parts()
        };
        let bytes = with_discriminator.to_bytes();
        assert_eq!(bytes.len(), p.to_bytes().len() + 8 + 11);
        let back = CheckpointParts::from_bytes(&bytes, Path::new("x")).unwrap();
        assert_eq!(back, with_discriminator);
        // An empty record is still a section, not a missing one.
        let empty = CheckpointParts {
            discriminator: Some(Vec::new()),
            ..parts()
        };
        let back = CheckpointParts::from_bytes(&empty.to_bytes(), Path::new("x")).unwrap();
        assert_eq!(back, empty);
    }

    #[test]
    fn a_partial_fourth_section_is_corruption() {
        // Valid checksum, but a section length that runs past the end.
        let mut body = parts().to_bytes();
        body.truncate(body.len() - 8);
        body.extend_from_slice(&100u64.to_le_bytes());
        body.extend_from_slice(&[1, 2, 3]);
        let checksum = fnv1a(&body);
        body.extend_from_slice(&checksum.to_le_bytes());
        let err = CheckpointParts::<serde_json::Value>::from_bytes(&body, Path::new("x"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("discriminator section is cut short"), "{err}");
        // Stray bytes that cannot even hold a length.
        let mut body = parts().to_bytes();
        body.truncate(body.len() - 8);
        body.extend_from_slice(&[1, 2, 3]);
        let checksum = fnv1a(&body);
        body.extend_from_slice(&checksum.to_le_bytes());
        let err = CheckpointParts::<serde_json::Value>::from_bytes(&body, Path::new("x"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("discriminator section is missing"), "{err}");
    }

    #[test]
    fn damage_is_detected_and_named() {
        let bytes = parts().to_bytes();
        let path = Path::new("run/checkpoint.bin");
        let check = |bytes: &[u8], expected: &str| {
            let err = CheckpointParts::<serde_json::Value>::from_bytes(bytes, path)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("run/checkpoint.bin") && err.contains(expected),
                "{err}"
            );
        };
        check(&bytes[..bytes.len() - 3], "checksum mismatch");
        let mut flipped = bytes.clone();
        flipped[20] ^= 0xff;
        check(&flipped, "checksum mismatch");
        check(b"hello, not a checkpoint", "wrong magic");
        check(&[], "wrong magic");
    }
}
