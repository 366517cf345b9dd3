//! The offline half of every run: snapshot → normalise → ledger → reconcile → report, with stage
//! timings. `run` and `reconcile` both end here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use polars::prelude::DataFrame;

use crate::config::{Config, FailOn, Formats};
use crate::error::{Error, Result};
use crate::ledger::{self, Ledger, LedgerFile};
use crate::lifecycle::metrics::GrainMetric;
use crate::model::period::Period;
use crate::money::format_scaled;
use crate::normalise;
use crate::progress::Progress;
use crate::reconcile::{self, Outcome, Rules, changes};
use crate::report::summary::{InputFile, RunSummary};
use crate::report::{self, publish};
use crate::source::snapshot::{self, Snapshot};

/// What the caller decides for one run.
#[derive(Debug)]
pub(crate) struct RunOptions<'a> {
    /// `run` or `reconcile` (recorded in the summary).
    pub(crate) command: &'a str,
    /// When the run started (its id).
    pub(crate) started: DateTime<Utc>,
    /// Run id, when the caller has already chosen it (`run` shares it with its snapshot).
    pub(crate) run_id: Option<String>,
    /// The snapshot to read.
    pub(crate) snapshot: PathBuf,
    /// `--period` months (empty = all).
    pub(crate) periods: Vec<Period>,
    /// Report folder.
    pub(crate) out_dir: PathBuf,
    /// Progress display.
    pub(crate) progress: Progress,
}

/// Stage durations for summary.json, in the order the stages ran.
type Timings = Vec<(&'static str, Duration)>;

/// What a published run hands back to its command (for metrics).
#[derive(Debug)]
pub(crate) struct Published {
    /// 0 or 1.
    pub(crate) exit_status: i32,
    /// Grain rows and Σ difference per currency and status.
    pub(crate) grain: Vec<GrainMetric>,
}

/// Reconciles one snapshot and publishes the reports; returns the exit status (0 or 1) and the
/// figures monitoring reads.
pub(crate) fn reconcile_snapshot(cfg: &Config, opts: RunOptions<'_>) -> Result<Published> {
    let mut timings = Timings::new();
    // fail fast on ledger paths before the expensive snapshot parse
    let ledger_files = ledger::resolve(&cfg.ledger.paths, &cfg.base_dir)?;
    opts.progress.stage("reading the snapshot");
    let t = Instant::now();
    let snap = Snapshot::open(&opts.snapshot, &opts.periods, cfg.source.limits())?;
    record(&mut timings, "read", t.elapsed());

    let run_id = opts
        .run_id
        .clone()
        .unwrap_or_else(|| publish::run_id(opts.started, &[&opts.out_dir]));
    // a run that fails leaves nothing: the staging folder is removed unless published
    let staging = publish::Staging::new(&opts.out_dir, &run_id)?;
    let dir = staging.path();
    let rules = cfg.reconcile.rules();

    opts.progress
        .stage("normalising line items, reading the ledger");
    let streamed = stream(cfg, &snap, &ledger_files, &rules, dir, &mut timings)?;
    opts.progress.stage("reconciling");
    let reconciled = reconcile(&snap, streamed, &rules, &mut timings)?;
    let exit_status = match cfg.report.fail_on {
        FailOn::Difference if reconciled.outcome.has_differences() => 1,
        _ => 0,
    };

    opts.progress.stage("writing reports");
    let t = Instant::now();
    write_tables(dir, &reconciled, cfg.report.formats)?;
    // against the run `latest` still points to: read before this run is published
    let previous = changes::previous_run(&opts.out_dir, &rules);
    let (changes_df, change_counts) = changes::changes(
        &reconciled.outcome.reconciliation,
        previous.as_ref(),
        &rules,
    )?;
    report::write_table(dir, "changes", &changes_df, cfg.report.formats)?;
    let inputs = inputs(&snap, &reconciled.ledger)?;
    record(&mut timings, "write", t.elapsed());
    let summary = RunSummary {
        run_id: &run_id,
        command: opts.command,
        started: opts.started,
        finished: Utc::now(),
        exit_status,
        tolerance: cfg.reconcile.tolerance.as_str(),
        rules: &rules,
        snapshot: display(&opts.snapshot),
        inputs: &inputs,
        outcome: &reconciled.outcome,
        rejected_by_reason: &reconciled.ledger.rejected_by_reason,
        invoice_summaries: &snap.summaries,
        counts: counts(&snap, &reconciled),
        timings,
        previous_run_id: previous.as_ref().map(|p| p.run_id.as_str()),
        changes: &change_counts,
    };
    write_summary(dir, &summary)?;
    let t = Instant::now();
    report::AnalystInputs {
        summary: &summary,
        rejected: &reconciled.ledger.rejected,
        changes: &changes_df,
        formats: cfg.report.formats,
    }
    .write(dir)?;
    tracing::debug!(
        ms = t.elapsed().as_millis() as u64,
        "analyst reports written"
    );

    let folder = staging.publish(&run_id)?;
    opts.progress.finish();
    tracing::info!(run_id = %run_id, reports = %folder.display(), exit_status, "run complete");
    log_totals(&reconciled.outcome);
    Ok(Published {
        exit_status,
        grain: grain_metrics(&reconciled.outcome),
    })
}

/// The totals per currency and status, as monitoring reads them.
fn grain_metrics(outcome: &Outcome) -> Vec<GrainMetric> {
    outcome
        .totals
        .iter()
        .map(|((currency, status), t)| GrainMetric {
            currency: currency.clone(),
            status: status.as_str(),
            rows: t.rows,
            difference: format_scaled(t.pc_amount - t.ledger_amount, outcome.scale),
        })
        .collect()
}

/// What streaming the snapshot and reading the ledger produced.
struct Streamed {
    /// Rows written to `charges` and `usage_line_items`.
    charge_rows: usize,
    usage_rows: usize,
    /// The Partner Center side of the reconciliation, summed per grain row.
    sums: reconcile::ChargeSums,
    /// The ledger's rejected rows and files.
    ledger: Ledger,
    /// The ledger side, summed per grain row.
    entries: reconcile::EntrySums,
}

/// Streams the charges from the parse tasks into their reports and the Partner Center side of
/// the reconciliation, batch by batch, while the ledger is read on its own thread.
fn stream(
    cfg: &Config,
    snap: &Snapshot,
    ledger_files: &[LedgerFile],
    rules: &Rules,
    dir: &Path,
    timings: &mut Timings,
) -> Result<Streamed> {
    let formats = cfg.report.formats;
    let schema = normalise::charges_schema();
    let mut charges_out = report::TableWriter::create(dir, "charges", &schema, formats)?;
    let mut usage_out = report::TableWriter::create(dir, "usage_line_items", &schema, formats)?;
    let mut dataset = match cfg.report.partitioned {
        true => Some(report::dataset::PartitionedTable::create(
            dir, "charges", &schema,
        )?),
        false => None,
    };
    let mut sums = reconcile::ChargeSums::new(rules);
    let (streamed, ledger, normalise_time, ledger_time) = std::thread::scope(|scope| {
        // the ledger is summed per grain row as it is read, beside the charges
        let ledger_job = scope.spawn(|| {
            let t = Instant::now();
            let fields: Vec<ledger::Field> = rules
                .grain
                .iter()
                .map(|k| ledger::field(k.ledger).expect("grain keys are ledger fields"))
                .collect();
            let mut entries = reconcile::EntrySums::new(rules, snap.outside_period.clone());
            let loaded = ledger::load(ledger_files, &cfg.ledger, &mut |e| {
                entries.add(fields.iter().map(|f| Some(e.at(*f))), e.amount, e.quantity)
            });
            (loaded.map(|l| (l, entries)), t.elapsed())
        });
        let t = Instant::now();
        let streamed = normalise::stream(snap, |batch| {
            if batch.billing {
                let (written, summed) = rayon::join(
                    || {
                        charges_out.write(&batch.frame)?;
                        match &mut dataset {
                            Some(d) => d.write(&batch.frame),
                            None => Ok(()),
                        }
                    },
                    || sums.add(&batch.frame),
                );
                written.and(summed)
            } else {
                usage_out.write(&batch.frame)
            }
        })
        .and_then(|()| {
            if let Some(d) = dataset {
                d.finish()?;
            }
            Ok((charges_out.finish()?, usage_out.finish()?))
        });
        let normalise_time = t.elapsed();
        let (ledger, ledger_time) = ledger_job.join().expect("the ledger thread does not panic");
        (streamed, ledger, normalise_time, ledger_time)
    });
    let ((charge_rows, usage_rows), (ledger, entries)) = (streamed?, ledger?);
    record(timings, "normalise", normalise_time);
    record(timings, "ledger", ledger_time);
    Ok(Streamed {
        charge_rows,
        usage_rows,
        sums,
        ledger,
        entries,
    })
}

/// The reconciliation and what the reports need beside it.
struct Reconciled {
    outcome: Outcome,
    /// The `unbilled_charges` report (the snapshot's unbilled export lines).
    unbilled: DataFrame,
    ledger: Ledger,
    /// Rows written to `charges` and `usage_line_items`.
    charge_rows: usize,
    usage_rows: usize,
    /// Accepted ledger rows left out because their invoice is outside `--period`.
    outside_period: usize,
}

/// Joins both sides per grain row (ledger entries of invoices outside `--period` left out) and
/// ties every invoice to its lines.
fn reconcile(
    snap: &Snapshot,
    s: Streamed,
    rules: &Rules,
    timings: &mut Timings,
) -> Result<Reconciled> {
    let invoices = normalise::invoices_frame(&snap.invoices)?;
    let outside_period = s.entries.outside_rows;
    let t = Instant::now();
    let unbilled = normalise::unbilled_frame(snap)?;
    let unbilled_sums = reconcile::explain::UnbilledSums::from_frame(&unbilled, rules)?;
    let outcome = s.sums.finish(s.entries, &invoices, Some(&unbilled_sums))?;
    record(timings, "reconcile", t.elapsed());
    Ok(Reconciled {
        outcome,
        unbilled,
        ledger: s.ledger,
        charge_rows: s.charge_rows,
        usage_rows: s.usage_rows,
        outside_period,
    })
}

/// Writes the remaining report tables; they are independent, so in parallel.
fn write_tables(dir: &Path, r: &Reconciled, formats: Formats) -> Result<()> {
    use rayon::prelude::*;
    let jobs: [(&str, &DataFrame); 5] = [
        ("reconciliation", &r.outcome.reconciliation),
        ("invoice_checks", &r.outcome.invoice_checks),
        ("line_checks", &r.outcome.line_checks),
        ("rejected_ledger_rows", &r.ledger.rejected),
        ("unbilled_charges", &r.unbilled),
    ];
    jobs.par_iter()
        .map(|(name, df)| report::write_table(dir, name, df, formats))
        .collect::<Result<Vec<()>>>()?;
    Ok(())
}

/// The input files and their fingerprints: the snapshot's manifest, then every ledger file.
fn inputs(snap: &Snapshot, ledger: &Ledger) -> Result<Vec<InputFile>> {
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
    Ok(inputs)
}

/// The summary's row counts.
fn counts(snap: &Snapshot, r: &Reconciled) -> Vec<(&'static str, usize)> {
    vec![
        ("invoices", snap.invoices.len()),
        ("charges", r.charge_rows),
        ("usage_line_items", r.usage_rows),
        ("ledger_rows", r.ledger.files.iter().map(|f| f.rows).sum()),
        ("ledger_accepted", r.ledger.accepted),
        ("ledger_outside_period", r.outside_period),
        ("ledger_rejected", r.ledger.rejected.height()),
        ("grain_rows", r.outcome.reconciliation.height()),
        ("invoice_checks", r.outcome.invoice_checks.height()),
        ("unbilled_charges", r.unbilled.height()),
    ]
}

/// Writes `summary.json` and `summary.md`.
fn write_summary(dir: &Path, summary: &RunSummary<'_>) -> Result<()> {
    let json = serde_json::to_string_pretty(&summary.to_json()).expect("summary json") + "\n";
    write(&dir.join("summary.json"), json.as_bytes())?;
    write(&dir.join("summary.md"), summary.to_markdown()?.as_bytes())
}

/// Logs the grain rows per currency and status.
fn log_totals(outcome: &Outcome) {
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
}

/// Keeps a stage's duration for summary.json (and says it at debug level).
fn record(timings: &mut Timings, stage: &'static str, took: Duration) {
    tracing::debug!(stage, ms = took.as_millis() as u64, "stage done");
    timings.push((stage, took));
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::output("cannot write", path, e))
}
