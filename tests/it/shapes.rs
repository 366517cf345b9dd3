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
