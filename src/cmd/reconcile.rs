//! `pcrecon reconcile --snapshot DIR [--config FILE] [--out DIR] [--period YYYY-MM]...`
//!
//! Normalises the snapshot at DIR, reconciles it against the configured ledger and writes the
//! reports into `<out>/<run-id>/`. No network. Exit 0 (nothing outside tolerance), 1 (differences
//! found), 2 (config), 3 (input data).

use std::path::PathBuf;

use clap::Args;

use super::Global;
use crate::error::Result;
use crate::lifecycle;
use crate::pipeline::{self, RunOptions};

/// Arguments of `reconcile`.
#[derive(Debug, Args)]
pub(crate) struct ReconcileArgs {
    /// The snapshot folder to read.
    #[arg(long, value_name = "DIR")]
    pub(crate) snapshot: PathBuf,
}

/// Runs `reconcile`.
pub(crate) fn execute(g: &Global, a: &ReconcileArgs) -> Result<i32> {
    let started = chrono::Utc::now();
    let cfg = g.load_config()?;
    let out_dir = g.out_dir(&cfg);
    lifecycle::run_locked(&cfg, &out_dir, |_| {
        pipeline::reconcile_snapshot(
            &cfg,
            RunOptions {
                command: "reconcile",
                started,
                run_id: None,
                snapshot: super::absolute(&a.snapshot),
                periods: g.periods.clone(),
                out_dir: out_dir.clone(),
                progress: g.progress(),
            },
        )
    })
}
