//! SIGINT and SIGTERM: stop at once, clean up, exit 130 / 143.
//!
//! A watcher thread waits for the signal; every folder a run writes before publishing it (report
//! staging folders, partial snapshots) is registered here while it exists. On a signal the watcher
//! removes the registered folders and exits the process with 130 (SIGINT) or 143 (SIGTERM): fetch
//! requests, parse threads and writers stop with the process, the kernel releases the run lock, and
//! `latest` is never touched (a publish is a rename: a folder is either still staged, and removed,
//! or already published, and kept).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Folders to remove if the run is stopped by a signal.
static STAGED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The run's metrics file and its start, while a run with one is in progress: a run stopped by a
/// signal still rewrites it (exit 130/143, no grain figures), as every run does.
static METRICS: Mutex<Option<(PathBuf, std::time::Instant)>> = Mutex::new(None);

/// Sets (or, with `None`, clears) the metrics file a stopped run writes.
pub(crate) fn watch_metrics(file: Option<(PathBuf, std::time::Instant)>) {
    *METRICS.lock().unwrap_or_else(|e| e.into_inner()) = file;
}

/// Starts the watcher (once per process; the binary calls it before running a command).
#[cfg(unix)]
pub fn install() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch SIGINT/SIGTERM; a stopped run may leave staging folders");
            return;
        }
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let (name, code) = if signal == SIGINT {
                ("SIGINT", 130)
            } else {
                ("SIGTERM", 143)
            };
            let staged = std::mem::take(&mut *STAGED.lock().unwrap_or_else(|e| e.into_inner()));
            for dir in &staged {
                let _ = std::fs::remove_dir_all(dir);
            }
            tracing::warn!(
                signal = name,
                removed = staged.len(),
                "stopped by {name}: staging folders removed, nothing published"
            );
            if let Some((file, started)) = METRICS.lock().unwrap_or_else(|e| e.into_inner()).take()
            {
                let stopped = super::metrics::RunMetrics {
                    finished: chrono::Utc::now(),
                    exit_status: code,
                    duration: started.elapsed(),
                    grain: None,
                    http_requests: 0,
                    http_retries: 0,
                };
                if let Err(e) = stopped.write(&file) {
                    tracing::warn!(file = %file.display(), error = %e, "cannot write the metrics file");
                }
            }
            eprintln!("pcrecon: stopped by {name}; nothing was published");
            std::process::exit(code);
        }
    });
}

/// Without Unix signals there is nothing to watch.
#[cfg(not(unix))]
pub fn install() {}

/// Registers a staging folder (removed on a signal) until [`unstage`] is called for it.
pub(crate) fn stage(dir: &Path) {
    STAGED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(dir.to_path_buf());
}

/// Renames staged folder `from` to its final name `to` and forgets it, under the same lock the
/// watcher takes: a signal either removes the staged folder or finds it published, never half way.
pub(crate) fn publish_rename(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut staged = STAGED.lock().unwrap_or_else(|e| e.into_inner());
    std::fs::rename(from, to)?;
    staged.retain(|d| d != from);
    Ok(())
}

/// Forgets a staging folder: it was published or removed by its owner.
pub(crate) fn unstage(dir: &Path) {
    STAGED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|d| d != dir);
}
