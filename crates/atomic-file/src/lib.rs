//! Writing files so that a crash never leaves a half-written one behind: every checkpoint,
//! metrics file, summary and picture of the workspace is written through [`write()`].
//!
//! The bytes go to a [`tempfile::NamedTempFile`] in the destination's folder, are flushed to
//! disk, and the temporary file is then persisted (renamed) over the destination, which on one
//! file system is atomic: readers see the old file or the new one. On failure the temporary
//! file is removed and the destination keeps its old contents.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("summary.json");
//! atomic_file::write(&path, b"{}")?;
//! assert_eq!(std::fs::read(&path)?, b"{}");
//! # Ok::<(), std::io::Error>(())
//! ```
#![warn(missing_docs)]

use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically (see the crate docs). Errors name `path`.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    if path.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file path", path.display()),
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".tmp-");
    // tempfile creates owner-only files; ask for what `fs::write` would give (0o666 less the
    // umask, which the system applies at creation), so pictures and results stay readable.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).map_err(named)?;
    file.write_all(bytes).map_err(named)?;
    file.as_file().sync_all().map_err(named)?;
    file.persist(path).map_err(|e| named(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(dir: &Path) -> Vec<std::ffi::OsString> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.bin");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(
            names(dir.path()),
            vec![std::ffi::OsString::from("state.bin")]
        );
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.bin");
        write(&path, b"good").unwrap();
        // A non-empty directory in the way of the rename makes it fail.
        let blocked = dir.path().join("blocked");
        fs::create_dir_all(blocked.join("inner")).unwrap();
        let err = write(&blocked, b"new").unwrap_err();
        assert!(err.to_string().contains("blocked"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"good");
        let mut left = names(dir.path());
        left.sort();
        assert_eq!(left, vec!["blocked", "state.bin"], "no temporary left");
        // A folder that does not exist is an error too, naming the path.
        let err = write(&dir.path().join("missing/x.bin"), b"x").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn files_get_the_permissions_fs_write_gives() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (ours, plain) = (dir.path().join("a"), dir.path().join("b"));
        write(&ours, b"x").unwrap();
        fs::write(&plain, b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&ours), mode(&plain));
    }

    #[test]
    fn a_root_is_not_a_file_path() {
        assert!(write(Path::new("/"), b"x").is_err());
    }
}
