//! Real-world snapshot shapes: member names in any casing, export manifests whose blob count
//! disagrees with their blobs, incomplete snapshots, repeated pages, nested amendments.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::*;

fn sample_ledger() -> String {
    root()
        .join("sample-data/ledger/*.csv")
        .to_string_lossy()
        .into_owned()
}

/// A copy of the sample snapshot in `dir`.
fn sample_copy(dir: &Path) -> PathBuf {
    let snap = dir.join("snap");
    copy_tree(&root().join("sample-data/partner-center"), &snap);
    snap
}

/// `v` with every member name's first letter upper-cased (the C# models' PascalCase).
fn pascal(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let mut c = k.chars();
                    let k = c
                        .next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default();
                    (k, pascal(x))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(pascal).collect()),
        _ => v.clone(),
    }
}

fn edit_json(path: &Path, f: impl FnOnce(Value) -> Value) {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    std::fs::write(path, serde_json::to_vec_pretty(&f(v)).unwrap()).unwrap();
}

/// Reconciles `snap` into `dir/out`; the run's output and its charges rows (when it wrote any).
fn run(
    dir: &Path,
    snap: &Path,
) -> (
    std::process::Output,
    Vec<std::collections::HashMap<String, String>>,
) {
    let cfg = write_config(dir, snap, &[sample_ledger()], "");
    let out = dir.join("out");
    let o = reconcile_with(&cfg, snap, &["--out", out.to_str().unwrap()]);
    let charges = out.join("latest/charges.csv");
    let rows = if charges.is_file() {
        read_csv(&charges)
    } else {
        Vec::new()
    };
    (o, rows)
}

const MANIFEST: &str = "invoices/G099887766/export/manifest.json";

#[test]
fn pascal_case_invoices_and_manifest_read_every_line() {
    let plain = tempfile::tempdir().unwrap();
    let (_, want) = run(plain.path(), &sample_copy(plain.path()));
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_copy(tmp.path());
    edit_json(&snap.join(MANIFEST), |v| pascal(&v));
    for page in ["invoices/page-0001.json", "invoices/page-0002.json"] {
        edit_json(&snap.join(page), |v| pascal(&v));
    }
    let (o, got) = run(tmp.path(), &snap);
    assert_ne!(code(&o), 3, "{}", stderr(&o));
    let export = |rows: &[std::collections::HashMap<String, String>]| {
        rows.iter()
            .filter(|r| r["invoice_id"] == "G099887766")
            .count()
    };
    assert!(export(&want) > 0);
    assert_eq!(export(&got), export(&want));
    assert_eq!(got.len(), want.len());
}

#[test]
fn a_blob_count_that_disagrees_with_the_blobs_exits_3() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_copy(tmp.path());
    edit_json(&snap.join(MANIFEST), |mut v| {
        v["blobCount"] = 2.into();
        pascal(&v)
    });
    let (o, rows) = run(tmp.path(), &snap);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    for m in ["G099887766", "manifest.json", "2", "lists 1 blobs"] {
        assert!(err.contains(m), "stderr should name {m:?}: {err}");
    }
    assert!(rows.is_empty());
}

#[test]
fn a_listed_feed_without_files_is_an_incomplete_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_copy(tmp.path());
    std::fs::remove_dir_all(snap.join("invoices/D0517730KQ/lineitems/office-billinglineitems"))
        .unwrap();
    let (o, rows) = run(tmp.path(), &snap);
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    for m in [
        "invoice D0517730KQ lists feed office-billinglineitems",
        "the snapshot is incomplete",
    ] {
        assert!(err.contains(m), "stderr should name {m:?}: {err}");
    }
    assert!(rows.is_empty());
}

#[test]
fn a_page_repeating_the_previous_page_exits_3_naming_both() {
    for feed in [
        "D0517730KQ/lineitems/office-billinglineitems",
        "G011223344/lineitems/onetime-billinglineitems",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let snap = sample_copy(tmp.path());
        let dir = snap.join("invoices").join(feed);
        std::fs::copy(dir.join("page-0001.json"), dir.join("page-0002.json")).unwrap();
        let (o, rows) = run(tmp.path(), &snap);
        let err = stderr(&o);
        assert_eq!(code(&o), 3, "{err}");
        for m in ["page-0001.json", "page-0002.json", "repeats", &feed[..10]] {
            assert!(err.contains(m), "stderr should name {m:?}: {err}");
        }
        assert!(rows.is_empty());
    }
}

#[test]
fn equal_pages_of_different_feeds_or_empty_pages_are_not_repeats() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_copy(tmp.path());
    let dir = snap.join("invoices/D0517730KQ/lineitems/azure-billinglineitems");
    std::fs::write(dir.join("page-0002.json"), r#"{"totalCount":0,"items":[]}"#).unwrap();
    std::fs::write(dir.join("page-0003.json"), r#"{"totalCount":0,"items":[]}"#).unwrap();
    let (o, rows) = run(tmp.path(), &snap);
    assert_ne!(code(&o), 3, "{}", stderr(&o));
    assert!(!rows.is_empty());
}

/// Adds a credit note nested in G055667788's `amendments` (with one page of lines copied from
/// G011223344) and lists it again at the top level of the second invoice page.
fn with_nested_credit_note(snap: &Path) {
    let note = serde_json::json!({
        "Id": "G055667789", "InvoiceDate": "2025-04-02T00:00:00Z", "TotalCharges": 0,
        "CurrencyCode": "EUR", "DocumentType": "Adjustment Note", "PaidAmount": "1.5",
        "BillingPeriodStartDate": "2025-02-01T00:00:00Z", "BillingPeriodEndDate": "0001-01-01T00:00:00Z",
        "InvoiceDetails": [{"InvoiceLineItemType": "billing_line_items", "BillingProvider": "one_time"}]
    });
    edit_json(&snap.join("invoices/page-0001.json"), |mut v| {
        v["items"][0]["amendments"] = Value::Array(vec![note.clone()]);
        v
    });
    edit_json(&snap.join("invoices/page-0002.json"), |mut v| {
        let mut top = note.clone();
        top["DocumentType"] = "invoice".into();
        v["items"].as_array_mut().unwrap().push(top);
        v
    });
    let feed = "lineitems/onetime-billinglineitems/page-0001.json";
    let to = snap.join("invoices/G055667789").join(feed);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(snap.join("invoices/G011223344").join(feed), to).unwrap();
}

#[test]
fn a_nested_amendment_is_a_document_of_its_own_counted_once() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_copy(tmp.path());
    with_nested_credit_note(&snap);
    let (o, rows) = run(tmp.path(), &snap);
    assert_ne!(code(&o), 3, "{}", stderr(&o));
    let note: Vec<_> = rows
        .iter()
        .filter(|r| r["invoice_id"] == "G055667789")
        .collect();
    assert!(!note.is_empty());
    for r in &note {
        assert_eq!(
            (r["document_type"].as_str(), r["amends_invoice_id"].as_str()),
            ("credit_note", "G055667788")
        );
    }
    let page: Value = serde_json::from_slice(
        &std::fs::read(
            snap.join("invoices/G055667789/lineitems/onetime-billinglineitems/page-0001.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let originals = page["items"].as_array().unwrap().len();
    assert_eq!(note.len(), originals, "the note's lines count once");
    assert!(
        rows.iter()
            .any(|r| r["document_type"] == "invoice" && r["amends_invoice_id"].is_empty())
    );
    let checks = read_csv(&tmp.path().join("out/latest/invoice_checks.csv"));
    let check: Vec<_> = checks
        .iter()
        .filter(|r| r["invoice_id"] == "G055667789")
        .collect();
    assert_eq!(check.len(), 1);
    let c = check[0];
    assert_eq!(
        [
            &c["document_type"],
            &c["amends_invoice_id"],
            &c["paid_amount"],
            &c["billing_period_start"],
            &c["billing_period_end"]
        ],
        ["credit_note", "G055667788", "1.50", "2025-02-01", ""]
    );
}

#[test]
fn period_applies_to_each_documents_own_date() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_copy(tmp.path());
    with_nested_credit_note(&snap);
    let cfg = write_config(tmp.path(), &snap, &[sample_ledger()], "");
    let out = tmp.path().join("out");
    for (period, present) in [("2025-03", false), ("2025-04", true)] {
        let o = reconcile_with(
            &cfg,
            &snap,
            &["--out", out.to_str().unwrap(), "--period", period],
        );
        assert_ne!(code(&o), 3, "{}", stderr(&o));
        let checks = read_csv(&out.join("latest/invoice_checks.csv"));
        let ids: Vec<&str> = checks.iter().map(|r| r["invoice_id"].as_str()).collect();
        assert_eq!(ids.contains(&"G055667789"), present, "{period}: {ids:?}");
        assert_eq!(ids.contains(&"G055667788"), !present, "{period}: {ids:?}");
    }
}
