//! `pcrecon run [--config FILE] [--period YYYY-MM]... [--out DIR] [--full]`
//!
//! The nightly job: fetch → normalise → reconcile → report. With `source.kind = "snapshot"` it
//! reconciles the configured snapshot folder (`source.dir`) offline; with `"partner_center"` it
//! first fetches a new snapshot into `<snapshot_dir>/<run-id>/` (the report folder shares the id).

use clap::Args;

use super::Global;
use crate::config::SourceKind;
use crate::error::Result;
use crate::lifecycle;
use crate::pipeline::{self, RunOptions};
use crate::report::publish;
use crate::source::partner_center;

/// Arguments of `run` (and the global options).
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Fetch every invoice again; reuse nothing from the previous snapshot.
    #[arg(long)]
    pub(crate) full: bool,
}

/// Runs `run`.
pub(crate) fn execute(g: &Global, a: &RunArgs) -> Result<i32> {
    let started = chrono::Utc::now();
    let cfg = g.load_config()?;
    let out_dir = g.out_dir(&cfg);
    lifecycle::run_locked(&cfg, &out_dir, |http| {
        let (snapshot, run_id) = match cfg.source.kind {
            SourceKind::Snapshot => (cfg.source.dir.clone(), None),
            SourceKind::PartnerCenter => {
                let run_id = publish::run_id(started, &[&out_dir, &cfg.source.snapshot_dir]);
                let dest = cfg.source.snapshot_dir.join(&run_id);
                let fetched = partner_center::fetch(&cfg, g.fetch_options(dest, a.full))?;
                *http = fetched.request_counts();
                (fetched.snapshot, Some(run_id))
            }
        };
        pipeline::reconcile_snapshot(
            &cfg,
            RunOptions {
                command: "run",
                started,
                run_id,
                snapshot,
                periods: g.periods.clone(),
                out_dir: out_dir.clone(),
                progress: g.progress(),
            },
        )
    })
}
