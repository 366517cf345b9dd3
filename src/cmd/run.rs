//! `pcrecon run [--config FILE] [--period YYYY-MM]... [--out DIR]`
//!
//! The nightly job: fetch → normalise → reconcile → report. With `source.kind = "snapshot"` it
//! reconciles the configured snapshot folder (`source.dir`) offline; with `"partner_center"` it
//! fetches a new snapshot into `<snapshot_dir>/<run-id>/` first.

use clap::Args;

use super::Global;
use crate::error::{Error, Result};
use crate::pipeline::{self, RunOptions};

/// Arguments of `run` (only the global options).
#[derive(Debug, Args)]
pub struct RunArgs {}

/// Runs `run`.
pub fn execute(g: &Global, _a: &RunArgs) -> Result<i32> {
    let started = chrono::Utc::now();
    let cfg = g.load_config()?;
    match cfg.source.kind.as_str() {
        "snapshot" => pipeline::reconcile_snapshot(
            &cfg,
            RunOptions {
                command: "run",
                started,
                run_id: None,
                snapshot: cfg.source.dir.clone(),
                periods: g.periods.clone(),
                out_dir: g.out_dir(&cfg),
                progress: g.progress(),
            },
        ),
        _ => Err(Error::Source(
            "source.kind = \"partner_center\": the live API client is not part of this build yet; \
             fetch a snapshot elsewhere and run `pcrecon reconcile --snapshot DIR`"
                .into(),
        )),
    }
}
