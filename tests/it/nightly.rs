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
        runs.iter()
            .max_by_key(|r| (r.len(), r.to_string()))
            .unwrap()
            .as_str()
    );
    assert!(reports.join("archive-2020").is_dir());

    // sample-data/README.md: USD has one amount_mismatch (A6, −6.00) and 9 matched rows; EUR 11
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
        Some("1")
    );
    assert_eq!(
        dec(&metric(
            &text,
            r#"pcrecon_difference{currency="USD",status="amount_mismatch"}"#
        )
        .unwrap()),
        dec("-6.00")
    );
    assert_eq!(
        metric(
            &text,
            r#"pcrecon_grain_rows{currency="EUR",status="matched"}"#
        )
        .as_deref(),
        Some("11")
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
