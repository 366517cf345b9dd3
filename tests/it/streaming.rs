//! Snapshots larger than one parse batch: lines cross batch boundaries in file order, every line
//! lands in exactly one report row (CSV and Parquet alike), and an error deep in a large file
//! stops the run cleanly (no hang, nothing published); with no lines at all the streamed reports
//! still carry their header and schema.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::common::*;

/// More than one batch, ending mid-batch.
const LINES: usize = pcrecon::normalise::BATCH_ROWS + 123;

/// The invoice whose first export blob is replaced.
const INVOICE: &str = "G055667788";

/// The export blobs of [`INVOICE`], in the order they are read.
fn export_blobs(snapshot: &Path) -> Vec<PathBuf> {
    let dir = snapshot.join("invoices").join(INVOICE).join("export");
    let mut blobs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    blobs.sort();
    blobs
}

fn first_blob(snapshot: &Path) -> PathBuf {
    export_blobs(snapshot).remove(0)
}

/// A gzip JSON-lines blob of `LINES` one-cent lines with order ids `o0000000`, `o0000001`, …;
/// line `bad` (1-based), if any, has a subtotal that is not a number.
fn big_blob(bad: Option<usize>) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for i in 0..LINES {
        let subtotal = if bad == Some(i + 1) { "1,00" } else { "0.01" };
        writeln!(
            gz,
            "{{\"CustomerId\":\"{c:08x}-0000-4000-8000-000000000000\",\"InvoiceNumber\":\"{INVOICE}\",\
             \"OrderId\":\"o{i:07}\",\"ChargeType\":\"new\",\"SubscriptionId\":\"s-{s}\",\
             \"Quantity\":1,\"UnitPrice\":0.01,\"Subtotal\":\"{subtotal}\",\"TaxTotal\":0,\
             \"TotalForCustomer\":0.01,\"Currency\":\"EUR\"}}",
            c = i % 7,
            s = i % 13,
        )
        .unwrap();
    }
    gz.finish().unwrap()
}

/// The sample snapshot copied into `dir` with its first export blob of [`INVOICE`] replaced;
/// returns the snapshot and how many lines the replaced blob had.
fn snapshot_with_big_blob(dir: &Path, bad: Option<usize>) -> (PathBuf, usize) {
    let snap = dir.join("partner-center");
    copy_tree(&root().join("sample-data/partner-center"), &snap);
    let blob = first_blob(&snap);
    let mut old = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&blob).unwrap()),
        &mut old,
    )
    .unwrap();
    let old_lines = old.lines().filter(|l| !l.trim().is_empty()).count();
    std::fs::write(&blob, big_blob(bad)).unwrap();
    (snap, old_lines)
}

fn sample_ledger() -> String {
    root()
        .join("sample-data/ledger/ledger-2025.csv")
        .to_string_lossy()
        .into_owned()
}

/// `pcrecon reconcile` of `snap` against the sample ledger, reports under `dir/reports`.
fn reconcile(dir: &Path, snap: &Path, extra: &[&str]) -> std::process::Output {
    let cfg = write_config(dir, snap, &[sample_ledger()], "");
    reconcile_with(&cfg, snap, extra)
}

#[test]
fn lines_cross_batch_boundaries_in_file_order_and_each_lands_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (snap, old_lines) = snapshot_with_big_blob(tmp.path(), None);
    let o = reconcile(tmp.path(), &snap, &[]);
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    let run = tmp.path().join("reports/latest");

    // the sample's 44 billing lines, less the replaced blob's, plus the new ones
    let expected_rows = 44 - old_lines + LINES;
    let charges = read_csv(&run.join("charges.csv"));
    assert_eq!(charges.len(), expected_rows);
    let ours: Vec<&std::collections::HashMap<String, String>> = charges
        .iter()
        .filter(|r| r["order_id"].starts_with('o'))
        .collect();
    assert_eq!(ours.len(), LINES);
    for (i, r) in ours.iter().enumerate() {
        assert_eq!(r["order_id"], format!("o{i:07}"), "file order at row {i}");
        assert_eq!(r["invoice_id"], INVOICE);
        assert_eq!(r["subtotal"], "0.01");
    }
    // one cent per line, added exactly
    let cents: rust_decimal::Decimal = ours.iter().map(|r| dec(&r["subtotal"])).sum();
    assert_eq!(cents, rust_decimal::Decimal::new(LINES as i64, 2));
    // line_ref unique within each invoice
    let mut refs: Vec<(&str, &str)> = charges
        .iter()
        .map(|r| (r["invoice_id"].as_str(), r["line_ref"].as_str()))
        .collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), expected_rows, "line_ref unique per invoice");

    // Parquet: the same rows in the same order
    let pq = ParquetReader::new(std::fs::File::open(run.join("charges.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(pq.height(), expected_rows);
    let order_ids: Vec<Option<&str>> = pq
        .column("order_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .collect();
    for (i, r) in charges.iter().enumerate() {
        let csv = Some(r["order_id"].as_str()).filter(|s| !s.is_empty());
        assert_eq!(order_ids[i], csv, "row {i}");
    }

    // every line counted once in the reconciliation
    let rec = read_csv(&run.join("reconciliation.csv"));
    let pc_lines: usize = rec
        .iter()
        .map(|r| r["pc_lines"].parse::<usize>().unwrap())
        .sum();
    assert_eq!(pc_lines, expected_rows);
}

#[test]
fn an_error_deep_in_a_large_file_stops_the_run_and_names_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = LINES - 5;
    let (snap, _) = snapshot_with_big_blob(tmp.path(), Some(bad));
    let o = reconcile(tmp.path(), &snap, &[]);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    let blob = first_blob(&snap);
    let name = blob.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&name), "names the file: {err}");
    assert!(err.contains(&format!(":{bad}:")), "names line {bad}: {err}");
    let left: Vec<String> = entries(&tmp.path().join("reports"))
        .into_iter()
        .filter(|e| !e.starts_with(".latest"))
        .collect();
    assert!(left.is_empty(), "nothing published or left: {left:?}");
}

#[test]
fn a_period_without_invoices_writes_empty_reports_with_the_charges_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = root().join("sample-data/partner-center");
    let o = reconcile(tmp.path(), &snap, &["--period", "2020-01"]);
    // the ledger's rows are then booked against invoices the run does not have
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let run = tmp.path().join("reports/latest");
    for table in ["charges", "usage_line_items"] {
        let csv = std::fs::read_to_string(run.join(format!("{table}.csv"))).unwrap();
        assert_eq!(csv.lines().count(), 1, "{table}: the header only");
        assert!(csv.starts_with("invoice_id,invoice_date,"), "{table}");
        let pq =
            ParquetReader::new(std::fs::File::open(run.join(format!("{table}.parquet"))).unwrap())
                .finish()
                .unwrap();
        assert_eq!(pq.height(), 0, "{table}");
        assert_eq!(
            pq.width(),
            pcrecon::normalise::columns::CHARGE_COLUMNS.len(),
            "{table}"
        );
        assert!(
            matches!(
                pq.column("subtotal").unwrap().dtype(),
                DataType::Decimal(_, _)
            ),
            "{table}"
        );
    }
}

#[test]
fn identical_lines_get_numbered_line_refs_within_and_across_files() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("partner-center");
    copy_tree(&root().join("sample-data/partner-center"), &snap);
    let blobs = export_blobs(&snap);
    assert_eq!(blobs.len(), 2, "the invoice has two export blobs");
    // the second blob's first line, twice, as the whole first blob: three identical lines in all
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&blobs[1]).unwrap()),
        &mut text,
    )
    .unwrap();
    let line = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    writeln!(gz, "{line}\n{line}").unwrap();
    std::fs::write(&blobs[0], gz.finish().unwrap()).unwrap();

    let o = reconcile(tmp.path(), &snap, &[]);
    assert!(matches!(code(&o), 0 | 1), "{}", stderr(&o));
    let charges = read_csv(&tmp.path().join("reports/latest/charges.csv"));
    let order_id: String = serde_json::from_str::<serde_json::Value>(&line).unwrap()["OrderId"]
        .as_str()
        .unwrap()
        .to_owned();
    let refs: Vec<&str> = charges
        .iter()
        .filter(|r| r["invoice_id"] == INVOICE && r["order_id"] == order_id)
        .map(|r| r["line_ref"].as_str())
        .collect();
    assert_eq!(refs.len(), 3, "{refs:?}");
    assert_eq!(
        refs[1],
        format!("{}-2", refs[0]),
        "a repeat in the same file"
    );
    assert_eq!(
        refs[2],
        format!("{}-3", refs[0]),
        "a repeat in the next file"
    );
    assert!(
        !refs[0].contains('-'),
        "the first keeps the plain key: {refs:?}"
    );
}

/// SIGTERM while the charges are being parsed and written: pcrecon cleans up and exits 143
/// within seconds, no staging folder is left, nothing is published, and the lock is free again.
#[test]
fn sigterm_during_parse_removes_the_staging_folder_and_exits_143() {
    let tmp = tempfile::tempdir().unwrap();
    let (snap, _) = snapshot_with_big_blob(tmp.path(), None);
    let prom = tmp.path().join("pcrecon.prom");
    let cfg = write_config(
        tmp.path(),
        &snap,
        &[sample_ledger()],
        &format!("metrics_file = {:?}", prom.to_string_lossy()),
    );
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pcrecon"))
        .args(["reconcile", "-q", "--config", cfg.to_str().unwrap()])
        .args(["--snapshot", snap.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let reports = tmp.path().join("reports");
    // the staging folder is made once the snapshot is open, just before the parse starts
    wait_for("the staging folder", || {
        entries(&reports)
            .iter()
            .any(|e| e.starts_with(".pcrecon-staging-"))
    });
    let sent = std::time::Instant::now();
    send_signal(child.id(), "TERM");
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        took < std::time::Duration::from_secs(5),
        "stopped in {took:?}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("SIGTERM"));
    // monitoring sees the stopped run: its exit status, no reconciliation figures
    let metrics = std::fs::read_to_string(&prom).expect("a stopped run writes its metrics");
    assert!(
        metrics.contains("pcrecon_last_exit_status 143"),
        "{metrics}"
    );
    assert!(!metrics.contains("pcrecon_grain_rows"), "{metrics}");
    assert_eq!(
        entries(&reports),
        Vec::<String>::new(),
        "nothing left, nothing published"
    );
    // the lock went with the process: the next run goes through
    let again = reconcile(tmp.path(), &snap, &[]);
    assert_eq!(code(&again), 1, "{}", stderr(&again));
}
