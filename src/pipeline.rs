//! The offline half of every run: snapshot → normalise → ledger → reconcile → report, with stage
//! timings. `run` and `reconcile` both end here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::error::Result;
use crate::ledger;
use crate::model::period::Period;
use crate::normalise;
use crate::progress::Progress;
use crate::reconcile;
use crate::report::summary::{InputFile, RunSummary};
use crate::report::{self, publish};
use crate::source::snapshot::{self, Snapshot};

/// What the caller decides for one run.
#[derive(Debug)]
pub struct RunOptions<'a> {
    /// `run` or `reconcile` (recorded in the summary).
    pub command: &'a str,
    /// When the run started (its id).
    pub started: DateTime<Utc>,
    /// Run id, when the caller has already chosen it (`run` shares it with its snapshot).
    pub run_id: Option<String>,
    /// The snapshot to read.
    pub snapshot: PathBuf,
    /// `--period` months (empty = all).
    pub periods: Vec<Period>,
    /// Report folder.
    pub out_dir: PathBuf,
    /// Progress display.
    pub progress: Progress,
}

/// Reconciles one snapshot and publishes the reports; returns the exit status (0 or 1).
pub fn reconcile_snapshot(cfg: &Config, opts: RunOptions<'_>) -> Result<i32> {
    let rules = cfg.rules()?;
    let formats = cfg.formats()?;
    let ledger_format = cfg.ledger_format()?;
    let mut timings: Vec<(&'static str, Duration)> = Vec::new();
    // fail fast on ledger paths before the expensive snapshot parse
    let ledger_files = ledger::resolve(&cfg.ledger.paths, &cfg.base_dir)?;

    opts.progress.stage("reading the snapshot");
    let t = Instant::now();
    let snap = Snapshot::open(&opts.snapshot, &opts.periods)?;
    record(&mut timings, "read", t.elapsed());
    let run_id = opts
        .run_id
        .clone()
        .unwrap_or_else(|| publish::run_id(opts.started, &[&opts.out_dir]));
    // a run that fails leaves nothing: the staging folder is removed unless published
    let staging = publish::Staging::new(&opts.out_dir, &run_id)?;
    let dir = staging.path();

    opts.progress
        .stage("normalising line items, reading the ledger");
    // the charges stream from the parse tasks into their reports and the Partner Center side
    // of the reconciliation, batch by batch; the ledger is read on its own thread meanwhile
    let schema = normalise::charges_schema();
    let mut charges_out = report::TableWriter::create(dir, "charges", &schema, formats)?;
    let mut usage_out = report::TableWriter::create(dir, "usage_line_items", &schema, formats)?;
    let mut sums = reconcile::ChargeSums::new(&rules);
    let (streamed, ledger, normalise_time, ledger_time) = std::thread::scope(|scope| {
        let ledger_job = scope.spawn(|| {
            let t = Instant::now();
            (ledger::load(&ledger_files, &ledger_format), t.elapsed())
        });
        let t = Instant::now();
        let streamed = normalise::stream(&snap, |batch| {
            if batch.billing {
                let (written, summed) = rayon::join(
                    || charges_out.write(&batch.frame),
                    || sums.add(&batch.frame),
                );
                written.and(summed)
            } else {
                usage_out.write(&batch.frame)
            }
        })
        .and_then(|()| Ok((charges_out.finish()?, usage_out.finish()?)));
        let normalise_time = t.elapsed();
        let (ledger, ledger_time) = ledger_job.join().expect("the ledger thread does not panic");
        (streamed, ledger, normalise_time, ledger_time)
    });
    let ((charge_rows, usage_rows), ledger) = (streamed?, ledger?);
    let invoices = normalise::invoices_frame(&snap.invoices)?;
    let (in_scope, outside_period) =
        ledger::without_invoices(&ledger.accepted, &snap.outside_period)?;
    record(&mut timings, "normalise", normalise_time);
    record(&mut timings, "ledger", ledger_time);
    opts.progress.stage("reconciling");
    let t = Instant::now();
    let outcome = sums.finish(&in_scope, &invoices)?;
    record(&mut timings, "reconcile", t.elapsed());

    let exit_status = if outcome.has_differences() && cfg.report.fail_on == "difference" {
        1
    } else {
        0
    };
    opts.progress.stage("writing reports");
    let t = Instant::now();
    let (rec, checks, rejected) = (
        &outcome.reconciliation,
        &outcome.invoice_checks,
        ledger.rejected,
    );
    // the remaining reports are independent: write them in parallel
    let results: Vec<Result<()>> = {
        use rayon::prelude::*;
        let jobs: [(&str, &polars::prelude::DataFrame); 3] = [
            ("reconciliation", rec),
            ("invoice_checks", checks),
            ("rejected_ledger_rows", &rejected),
        ];
        jobs.par_iter()
            .map(|(name, df)| report::write_table(dir, name, df, formats))
            .collect()
    };
    results.into_iter().collect::<Result<Vec<()>>>()?;

    let mut inputs = Vec::new();
    if let Some(m) = &snap.manifest {
        inputs.push(InputFile {
            path: display(m),
            kind: "snapshot_manifest",
            sha256: snapshot::file_sha256(m)?,
        });
    }
    for f in &ledger.files {
        inputs.push(InputFile {
            path: f.file.display.clone(),
            kind: "ledger",
            sha256: f.sha256.clone(),
        });
    }
    record(&mut timings, "write", t.elapsed());
    let ledger_rows: usize = ledger.files.iter().map(|f| f.rows).sum();
    let summary = RunSummary {
        run_id: &run_id,
        command: opts.command,
        started: opts.started,
        finished: Utc::now(),
        exit_status,
        tolerance: cfg.reconcile.tolerance.trim(),
        rules: &rules,
        snapshot: display(&opts.snapshot),
        inputs: &inputs,
        outcome: &outcome,
        rejected_by_reason: &ledger.rejected_by_reason,
        invoice_summaries: &snap.summaries,
        counts: vec![
            ("invoices", snap.invoices.len()),
            ("charges", charge_rows),
            ("usage_line_items", usage_rows),
            ("ledger_rows", ledger_rows),
            ("ledger_accepted", ledger.accepted.height()),
            ("ledger_outside_period", outside_period),
            ("ledger_rejected", rejected.height()),
            ("grain_rows", rec.height()),
            ("invoice_checks", checks.height()),
        ],
        timings,
    };
    let json = serde_json::to_string_pretty(&summary.to_json()).expect("summary json") + "\n";
    write(&dir.join("summary.json"), json.as_bytes())?;
    write(&dir.join("summary.md"), summary.to_markdown()?.as_bytes())?;
    let folder = staging.publish(&run_id)?;
    opts.progress.finish();
    tracing::info!(run_id = %run_id, reports = %folder.display(), exit_status, "run complete");
    let mut per_currency: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for ((cur, st), t) in &outcome.totals {
        per_currency
            .entry(cur)
            .or_default()
            .push(format!("{} {}", st.as_str(), t.rows));
    }
    for (cur, counts) in per_currency {
        tracing::info!(currency = %cur, "grain rows: {}", counts.join(", "));
    }
    Ok(exit_status)
}

/// Keeps a stage's duration for summary.json (and says it at debug level).
fn record(timings: &mut Vec<(&'static str, Duration)>, stage: &'static str, took: Duration) {
    tracing::debug!(stage, ms = took.as_millis() as u64, "stage done");
    timings.push((stage, took));
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)
        .map_err(|e| crate::error::Error::Input(format!("cannot write {}: {e}", path.display())))
}
