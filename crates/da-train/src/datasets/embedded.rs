//! The committed digit files (`data/`, 2.2 MB) built into the program, so that an installed
//! `da-train` finds `mnist`, `mfeat`, `optdigits` and `mnistm-synth` from any folder;
//! `--data-dir` reads them from a folder instead.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::error::DataError;

/// The files, by their path under `data/`.
const FILES: [(&str, &[u8]); 6] = [
    (
        "mnist/train-images.idx3-ubyte.gz",
        include_bytes!("../../../../data/mnist/train-images.idx3-ubyte.gz"),
    ),
    (
        "mnist/train-labels.idx1-ubyte.gz",
        include_bytes!("../../../../data/mnist/train-labels.idx1-ubyte.gz"),
    ),
    (
        "mnist/test-images.idx3-ubyte.gz",
        include_bytes!("../../../../data/mnist/test-images.idx3-ubyte.gz"),
    ),
    (
        "mnist/test-labels.idx1-ubyte.gz",
        include_bytes!("../../../../data/mnist/test-labels.idx1-ubyte.gz"),
    ),
    (
        "mfeat/mfeat-pix.csv",
        include_bytes!("../../../../data/mfeat/mfeat-pix.csv"),
    ),
    (
        "optdigits/optdigits.csv",
        include_bytes!("../../../../data/optdigits/optdigits.csv"),
    ),
];

/// Where the built-in domains' files are read from.
#[derive(Debug, Clone, Copy)]
pub enum BuiltinFiles<'a> {
    /// The copy inside the program.
    Embedded,
    /// A folder laid out like the repository's `data/`.
    Dir(&'a Path),
}

impl BuiltinFiles<'_> {
    /// The file at `relative` (a path under `data/`, `/`-separated) and the name errors give
    /// it: its path in the folder, or `<built-in data>/relative`.
    pub fn read(self, relative: &str) -> Result<(PathBuf, Cow<'static, [u8]>), DataError> {
        match self {
            BuiltinFiles::Embedded => {
                let (_, bytes) = FILES
                    .iter()
                    .find(|(name, _)| *name == relative)
                    .unwrap_or_else(|| panic!("{relative} is not a built-in data file"));
                Ok((
                    Path::new("<built-in data>").join(relative),
                    Cow::Borrowed(bytes),
                ))
            }
            BuiltinFiles::Dir(dir) => {
                let path = relative
                    .split('/')
                    .fold(dir.to_path_buf(), |p, c| p.join(c));
                let bytes = std::fs::read(&path).map_err(|source| DataError::Io {
                    path: path.clone(),
                    source,
                })?;
                Ok((path, Cow::Owned(bytes)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in copy is byte for byte the repository's `data/`.
    #[test]
    fn the_embedded_files_are_the_committed_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        for (name, _) in FILES {
            let (_, embedded) = BuiltinFiles::Embedded.read(name).unwrap();
            let (_, on_disk) = BuiltinFiles::Dir(&dir).read(name).unwrap();
            assert_eq!(embedded, on_disk, "{name}");
        }
    }
}
