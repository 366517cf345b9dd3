//! Nightly operations on the shipped sample data: retention keeps the newest N run folders and
//! never the one `latest` points to; the metrics textfile is rewritten after every run, a failed
//! one included.

use std::path::Path;

use crate::common::*;

fn sample_ledger() -> String {
    root()
        .join("sample-data/ledger/*.csv")
        .to_string_lossy()
        .into_owned()
}

fn run_ids(reports: &Path) -> Vec<String> {
    entries(reports)
        .into_iter()
        .filter(|e| e.starts_with("20"))
        .collect()
}

/// The value of the metric line `name` (with its labels) in `text`.
fn metric(text: &str, name: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned))
}

#[test]
fn retention_keeps_the_newest_runs_and_metrics_follow_every_run() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = root().join("sample-data/partner-center");
    let metrics = tmp.path().join("textfile/pcrecon.prom");
    let cfg = write_config(
        tmp.path(),
        &snap,
        &[sample_ledger()],
        &format!(
            "keep_runs = 2\nmetrics_file = {:?}",
            metrics.to_string_lossy()
        ),
    );
    let reports = tmp.path().join("reports");
    // a folder that merely looks old is not a run: retention leaves it alone
    std::fs::create_dir_all(reports.join("archive-2020")).unwrap();
    for _ in 0..3 {
        let o = reconcile_with(&cfg, &snap, &[]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
    }
    let runs = run_ids(&reports);
    assert_eq!(runs.len(), 2, "{runs:?}");
    let latest = std::fs::read_link(reports.join("latest")).unwrap();
    assert_eq!(
        latest.to_string_lossy(),
        // newest by time, then by the -N suffix
        runs.iter()
            .max_by_key(|r| (
                r[..18].to_owned(),
                r.get(19..).map_or(1, |n| n.parse::<u32>().unwrap())
            ))
            .unwrap()
            .as_str()
    );
    assert!(reports.join("archive-2020").is_dir());

    // sample-data/README.md: USD has three amount_mismatch rows (A6 −6.00, D8 −100.00, D9 −144.00)
    // and 9 matched rows; EUR 12
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(
        metric(&text, "pcrecon_last_exit_status").as_deref(),
        Some("1")
    );
    assert_eq!(
        metric(
            &text,
            r#"pcrecon_grain_rows{currency="USD",status="amount_mismatch"}"#
        )
        .as_deref(),
        Some("3")
    );
    assert_eq!(
        dec(&metric(
            &text,
            r#"pcrecon_difference{currency="USD",status="amount_mismatch"}"#
        )
        .unwrap()),
        dec("-250.00")
    );
    assert_eq!(
        metric(
            &text,
            r#"pcrecon_grain_rows{currency="EUR",status="matched"}"#
        )
        .as_deref(),
        Some("12")
    );
    assert_eq!(
        metric(&text, "pcrecon_http_requests_total").as_deref(),
        Some("0")
    );

    // a failed run (a ledger glob matching nothing: exit 3) rewrites the last_* and duration lines only
    let bad = write_config(
        tmp.path(),
        &snap,
        &["/nonexistent/ledger-*.csv".to_owned()],
        &format!(
            "keep_runs = 2\nmetrics_file = {:?}",
            metrics.to_string_lossy()
        ),
    );
    let o = reconcile_with(&bad, &snap, &[]);
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert_eq!(
        metric(&text, "pcrecon_last_exit_status").as_deref(),
        Some("3")
    );
    assert!(metric(&text, "pcrecon_run_duration_seconds").is_some());
    assert!(!text.contains("pcrecon_grain_rows"), "{text}");
    assert_eq!(run_ids(&reports).len(), 2, "a failed run prunes nothing");
}

/// `changes` against the run `latest` pointed to: a first run has the header only and no
/// previous run; after ledger corrections the report names exactly what the corrections changed
/// (worked out from sample-data/README.md's rows B1, A6 and a new booking).
#[test]
fn changes_name_exactly_what_the_ledger_corrections_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = root().join("sample-data/partner-center");
    let ledger_dir = tmp.path().join("ledger");
    copy_tree(&root().join("sample-data/ledger"), &ledger_dir);
    let cfg = write_config(
        tmp.path(),
        &snap,
        &[ledger_dir.join("*.csv").to_string_lossy().into_owned()],
        "",
    );
    let first = reconcile_with(&cfg, &snap, &[]);
    assert_eq!(code(&first), 1, "{}", stderr(&first));
    let latest = tmp.path().join("reports/latest");
    assert!(read_csv(&latest.join("changes.csv")).is_empty());
    let summary = |dir: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
    };
    assert!(summary(&latest)["previous_run_id"].is_null());
    let first_id = std::fs::read_link(&latest).unwrap();

    // B1 (matched, 28.30) booked as 30.30; A6 (−6.00 mismatch) corrected to the billed 54.00;
    // a new booking against an invoice Microsoft never sent
    let edit = |file: &str, from: &str, to: &str| {
        let p = ledger_dir.join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{from}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    };
    edit("ledger-2024.csv", ",5,28.30,EUR,", ",5,30.30,EUR,");
    let a6 = std::fs::read_to_string(ledger_dir.join("ledger-2024.csv"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with("GL-2024-1105,"))
        .unwrap()
        .to_owned();
    edit(
        "ledger-2024.csv",
        &a6,
        &a6.replacen(",60.00,", ",54.00,", 1),
    );
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(ledger_dir.join("ledger-2025.csv"))
        .unwrap();
    use std::io::Write;
    writeln!(f, "GL-NEW-1,2025-03-10,G000000001,11111111-2222-3333-4444-555555555555,,,,,new,,,,99.00,EUR,late booking").unwrap();
    drop(f);

    let second = reconcile_with(&cfg, &snap, &[]);
    assert_eq!(code(&second), 1, "{}", stderr(&second));
    let s = summary(&latest);
    assert_eq!(
        s["previous_run_id"].as_str().unwrap(),
        first_id.to_string_lossy()
    );
    assert_eq!(s["changes"]["new"], 1);
    assert_eq!(s["changes"]["resolved"], 1);
    assert_eq!(s["changes"]["changed"], 1);
    let rows = read_csv(&latest.join("changes.csv"));
    assert_eq!(rows.len(), 3, "{rows:?}");
    let by = |change: &str| rows.iter().find(|r| r["change"] == change).unwrap();
    let b1 = by("changed");
    assert_eq!(b1["invoice_id"], "G011223344");
    assert_eq!(b1["charge_type"], "addQuantity");
    assert_eq!(
        (b1["previous_status"].as_str(), b1["status"].as_str()),
        ("matched", "amount_mismatch")
    );
    assert_eq!(
        (dec(&b1["previous_difference"]), dec(&b1["difference"])),
        (dec("0"), dec("-2.00"))
    );
    let a6 = by("resolved");
    assert_eq!(a6["invoice_id"], "D0517730KQ");
    assert_eq!(
        (a6["previous_status"].as_str(), a6["status"].as_str()),
        ("amount_mismatch", "matched")
    );
    assert_eq!(
        (dec(&a6["previous_difference"]), dec(&a6["difference"])),
        (dec("-6.00"), dec("0"))
    );
    let new = by("new");
    assert_eq!(new["invoice_id"], "G000000001");
    assert_eq!(
        (new["previous_status"].as_str(), new["status"].as_str()),
        ("", "missing_in_invoice")
    );
    assert_eq!(
        (new["previous_difference"].as_str(), dec(&new["difference"])),
        ("", dec("-99.00"))
    );
}
