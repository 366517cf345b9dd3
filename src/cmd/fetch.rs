//! `pcrecon fetch [--config FILE] [--period YYYY-MM]... [--out DIR] [--full]`
//!
//! Only fetches: writes a snapshot of the Partner Center and Graph responses (the contract's
//! layout) into `--out DIR` (created; it must not exist or be empty) or, without `--out`, into
//! `<snapshot_dir>/<run-id>/`. A fetch that fails leaves no snapshot under its final name.
//! Unchanged invoices are hard-linked from the newest earlier snapshot in `snapshot_dir` (also
//! with `--out`); `--full` fetches everything.
//! Exit 0 (done), 2 (config, missing secret), 4 (authentication or API failure after retries),
//! 6 (another fetch holds the lock on the snapshot root).

use std::path::{Path, PathBuf};

use clap::Args;

use super::Global;
use crate::config::SourceKind;
use crate::error::{Error, Result};
use crate::lifecycle::{self, lock::RunLock};
use crate::report::publish;
use crate::source::partner_center;

/// Arguments of `fetch` (and the global options).
#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// Fetch every invoice again; reuse nothing from the previous snapshot.
    #[arg(long)]
    pub(crate) full: bool,
}

/// Runs `fetch`.
pub(crate) fn execute(g: &Global, a: &FetchArgs) -> Result<i32> {
    let started = chrono::Utc::now();
    let cfg = g.load_config()?;
    if cfg.source.kind == SourceKind::Snapshot {
        return Err(Error::config(format!(
            "source.kind = snapshot: nothing to fetch ({} reads the snapshot at {}); set source.kind = \"partner_center\" to fetch",
            cfg.path.display(),
            cfg.source.dir.display()
        )));
    }
    // one fetch at a time per snapshot root: `snapshot_dir`, or the folder `--out` is made in
    let root = match &g.out {
        Some(dir) => super::absolute(dir)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        None => cfg.source.snapshot_dir.clone(),
    };
    let lock = RunLock::acquire(&root)?;
    lock.remove_stale_staging();
    let dest = match &g.out {
        Some(dir) => super::absolute(dir),
        None => cfg
            .source
            .snapshot_dir
            .join(publish::run_id(started, &[&cfg.source.snapshot_dir])),
    };
    let outcome = partner_center::fetch(&cfg, g.fetch_options(dest, a.full))?;
    if g.out.is_none() {
        lifecycle::retention::prune(&root, cfg.source.keep_snapshots as usize, "snapshot");
    }
    tracing::info!(snapshot = %outcome.snapshot.display(), invoices = outcome.invoices_fetched, reused = outcome.invoices_reused, "snapshot written");
    super::print_stdout(&format!("{}\n", outcome.snapshot.display()));
    Ok(0)
}
