//! Scratch directories for the readers' tests.

use std::path::{Path, PathBuf};

/// A fresh directory under the system temp dir, removed when dropped.
pub(crate) struct TestDir(PathBuf);

impl TestDir {
    /// An empty directory named after `test` and this process, so parallel tests never share one.
    pub(crate) fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("da-train-io-{}-{test}", std::process::id()));
        // A leftover from a crashed run with a recycled pid would hold stale files.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the test directory");
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> PathBuf {
        self.write_bytes(name, contents.as_bytes())
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub(crate) fn write_bytes(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write the test file");
        path
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
