//! The run lock: one pcrecon run at a time per report folder (or snapshot root, for `fetch`).
//!
//! An exclusive `flock` on `<dir>/.pcrecon.lock`, held for the whole run. The kernel drops it when
//! the process ends however it ends, so a run killed with `kill -9` never blocks the next one. The
//! file stays between runs and holds the holder's pid while held, so a refused run can name it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The lock file's name inside the locked folder.
pub(crate) const LOCK_FILE: &str = ".pcrecon.lock";

/// An exclusive lock on a folder, released when dropped (or when the process ends).
#[derive(Debug)]
pub(crate) struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock on `dir` (created if missing) at once, or fails with [`Error::Locked`]
    /// naming the lock file and the holder's pid when another run holds it. Never waits.
    pub(crate) fn acquire(dir: &Path) -> Result<RunLock> {
        std::fs::create_dir_all(dir).map_err(|e| Error::output("cannot create", dir, e))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::output("cannot open the lock file", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(Error::Locked {
                    path,
                    holder: text.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::output("cannot lock", &path, e));
            }
        }
        let pid = format!("{}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(pid.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| Error::output("cannot write", &path, e))?;
        tracing::debug!(lock = %path.display(), "run lock taken");
        Ok(RunLock { file, path })
    }

    /// Removes staging folders that a killed run left in the locked folder: the report staging
    /// folders (`.pcrecon-staging-*`) and partial snapshots (`.<run-id>.partial-*`). Holding the
    /// lock means no live run is writing them.
    pub(crate) fn remove_stale_staging(&self) {
        let Some(dir) = self.path.parent() else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let stale = name.starts_with(".pcrecon-staging-")
                || (name.starts_with('.') && name.contains(".partial-"));
            if stale && entry.file_type().is_ok_and(|t| t.is_dir()) {
                match std::fs::remove_dir_all(entry.path()) {
                    Ok(()) => {
                        tracing::info!(folder = %entry.path().display(), "removed a staging folder left by an earlier run")
                    }
                    Err(e) => {
                        tracing::warn!(folder = %entry.path().display(), error = %e, "cannot remove a stale staging folder")
                    }
                }
            }
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // the pid goes with the lock; closing the file releases the flock
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_is_refused_naming_file_and_pid() {
        let d = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(d.path()).unwrap();
        let pid = std::fs::read_to_string(&first.path).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        // flock locks belong to the open file description: a second open in the same process
        // conflicts like another process would
        let err = RunLock::acquire(d.path()).unwrap_err();
        assert_eq!(err.exit_code(), 6);
        let msg = err.to_string();
        assert!(msg.contains(".pcrecon.lock"), "{msg}");
        assert!(msg.contains(&std::process::id().to_string()), "{msg}");
        drop(first);
        assert_eq!(
            std::fs::read_to_string(d.path().join(LOCK_FILE)).unwrap(),
            ""
        );
        let again = RunLock::acquire(d.path()).unwrap();
        drop(again);
    }

    #[test]
    fn stale_staging_folders_go_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        for name in [
            ".pcrecon-staging-2026-11-24T030000Z-77",
            ".2026-11-24T030000Z.partial-77",
            "2026-11-24T030000Z",
            ".hidden",
        ] {
            std::fs::create_dir(d.path().join(name)).unwrap();
        }
        let lock = RunLock::acquire(d.path()).unwrap();
        lock.remove_stale_staging();
        let mut left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".hidden", ".pcrecon.lock", "2026-11-24T030000Z"]);
    }

    #[test]
    fn a_missing_folder_is_created() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("reports/nested");
        let lock = RunLock::acquire(&dir).unwrap();
        assert!(lock.path.is_file());
    }
}
