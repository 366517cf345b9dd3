//! Atomic publication of a run's report folder: write into a hidden staging folder beside it,
//! rename it to `<out_dir>/<run-id>/`, then replace the `latest` symlink atomically. A run that
//! fails leaves nothing under a final name.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// The run id for a start time: `YYYY-MM-DDTHHMMSSZ`, with `-2`, `-3`, … appended while that name
/// is taken in any of `dirs`.
pub(crate) fn run_id(started: DateTime<Utc>, dirs: &[&Path]) -> String {
    let base = started.format("%Y-%m-%dT%H%M%SZ").to_string();
    let taken = |id: &str| dirs.iter().any(|d| d.join(id).symlink_metadata().is_ok());
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .expect("a free run id")
}

/// A staging folder for one run's reports; removed on drop unless published.
#[derive(Debug)]
pub(crate) struct Staging {
    out_dir: PathBuf,
    path: PathBuf,
    published: bool,
}

impl Staging {
    /// Creates `<out_dir>/.pcrecon-staging-<run-id>-<pid>/` (and `out_dir` itself if needed).
    pub(crate) fn new(out_dir: &Path, run_id: &str) -> Result<Staging> {
        let io =
            |e: std::io::Error| Error::output("cannot create the report folder in", out_dir, e);
        fs::create_dir_all(out_dir).map_err(io)?;
        let path = out_dir.join(format!(".pcrecon-staging-{run_id}-{}", std::process::id()));
        fs::create_dir(&path).map_err(io)?;
        crate::lifecycle::signals::stage(&path);
        Ok(Staging {
            out_dir: out_dir.to_path_buf(),
            path,
            published: false,
        })
    }

    /// Where to write the reports.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the staging folder to `<out_dir>/<run_id>` and points `latest` at it.
    pub(crate) fn publish(mut self, run_id: &str) -> Result<PathBuf> {
        let target = self.out_dir.join(run_id);
        if target.symlink_metadata().is_ok() {
            return Err(Error::output(
                "will not overwrite the report folder",
                &target,
                "it appeared during the run",
            ));
        }
        crate::lifecycle::signals::publish_rename(&self.path, &target)
            .map_err(|e| Error::output("cannot move the reports into", &target, e))?;
        self.published = true;
        let tmp_link = self.out_dir.join(format!(".latest-{}", std::process::id()));
        let _ = fs::remove_file(&tmp_link);
        let link = || -> std::io::Result<()> {
            symlink(run_id, &tmp_link)?;
            fs::rename(&tmp_link, self.out_dir.join("latest"))
        };
        if let Err(e) = link() {
            let _ = fs::remove_file(&tmp_link);
            tracing::warn!(error = %e, "could not update {}/latest", self.out_dir.display());
        }
        Ok(target)
    }
}

/// A relative symbolic link `link` → `target`.
#[cfg(unix)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// A relative symbolic link `link` → `target` (a folder).
#[cfg(windows)]
fn symlink(target: &str, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// No symbolic links here: `latest` is not kept (a warning says so).
#[cfg(not(any(unix, windows)))]
fn symlink(_target: &str, _link: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.path);
            crate::lifecycle::signals::unstage(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_take_the_next_free_suffix() {
        let d = tempfile::tempdir().unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(run_id(t, &[d.path()]), "2026-11-24T030000Z");
        fs::create_dir(d.path().join("2026-11-24T030000Z")).unwrap();
        fs::create_dir(d.path().join("2026-11-24T030000Z-2")).unwrap();
        assert_eq!(run_id(t, &[d.path()]), "2026-11-24T030000Z-3");
    }

    #[test]
    fn staging_is_removed_unless_published_and_latest_is_relative() {
        let d = tempfile::tempdir().unwrap();
        let s = Staging::new(d.path(), "x").unwrap();
        let p = s.path().to_path_buf();
        drop(s);
        assert!(!p.exists());
        let s = Staging::new(d.path(), "r1").unwrap();
        fs::write(s.path().join("a.csv"), "a\n").unwrap();
        let target = s.publish("r1").unwrap();
        assert!(target.join("a.csv").is_file());
        assert_eq!(
            fs::read_link(d.path().join("latest")).unwrap(),
            PathBuf::from("r1")
        );
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
