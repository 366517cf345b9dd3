//! Writes a snapshot atomically: files go into a hidden temp folder beside the final one, which is
//! renamed into place when the fetch is complete (with its `manifest.json`). A failed fetch
//! leaves nothing under the final name.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::source::snapshot;

/// A snapshot being written.
#[derive(Debug)]
pub(crate) struct SnapshotWriter {
    dest: PathBuf,
    tmp: PathBuf,
    done: bool,
}

impl SnapshotWriter {
    /// Prepares to write the snapshot `dest`, which must not exist or be an empty folder.
    pub(crate) fn new(dest: &Path) -> Result<SnapshotWriter> {
        if dest.exists() {
            let empty = std::fs::read_dir(dest)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !dest.is_dir() || !empty {
                return Err(Error::config(format!(
                    "{} exists and is not an empty folder; fetch writes a new snapshot (choose another --out)",
                    dest.display()
                )));
            }
        }
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("snapshot");
        std::fs::create_dir_all(parent).map_err(|e| Error::output("cannot create", parent, e))?;
        let tmp = parent.join(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir(&tmp).map_err(|e| Error::output("cannot create", &tmp, e))?;
        crate::lifecycle::signals::stage(&tmp);
        Ok(SnapshotWriter {
            dest: dest.to_path_buf(),
            tmp,
            done: false,
        })
    }

    /// Where a snapshot-relative path is being written (its folder created).
    pub(crate) fn path(&self, rel: &str) -> Result<PathBuf> {
        let p = self.tmp.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::output("cannot create", dir, e))?;
        }
        Ok(p)
    }

    /// Writes one file, bytes as given.
    pub(crate) fn write(&self, rel: &str, bytes: &[u8]) -> Result<()> {
        let p = self.path(rel)?;
        std::fs::write(&p, bytes).map_err(|e| Error::output("cannot write", &p, e))
    }

    /// Writes `manifest.json` (with `extra` facts about the fetch) and renames the folder into place.
    pub(crate) fn commit_with(
        &mut self,
        source: &str,
        fetched_at: &str,
        extra: serde_json::Value,
    ) -> Result<PathBuf> {
        snapshot::write_manifest(&self.tmp, source, fetched_at, extra)?;
        if self.dest.exists() {
            // an empty folder given with --out: rename(2) replaces it
            std::fs::remove_dir(&self.dest)
                .map_err(|e| Error::output("cannot replace", &self.dest, e))?;
        }
        crate::lifecycle::signals::publish_rename(&self.tmp, &self.dest)
            .map_err(|e| Error::output("cannot move the snapshot into place at", &self.dest, e))?;
        self.done = true;
        Ok(self.dest.clone())
    }
}

impl Drop for SnapshotWriter {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.tmp);
            crate::lifecycle::signals::unstage(&self.tmp);
        }
    }
}
