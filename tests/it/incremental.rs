//! Incremental fetch against the shipped fake: unchanged invoices are hard-linked from the newest
//! earlier snapshot (the manifest says from which run), a second night with nothing new only
//! lists, corrupt or missing files are fetched again, and the reports equal a `--full` run's.

use std::path::{Path, PathBuf};

use crate::api::{SECRET, SECRET_ENV, World, assert_same_reports, offline_reports};
use crate::common::*;

/// The requests the fake received from index `from` on.
fn requests_since(w: &World, from: usize) -> Vec<String> {
    w.fake.stats.log.lock().unwrap()[from..].to_vec()
}

fn request_count(w: &World) -> usize {
    w.fake.stats.log.lock().unwrap().len()
}

/// `(id, reused_from)` of a snapshot manifest's `invoices`, sorted by id.
fn manifest_invoices(snapshot: &Path) -> Vec<(String, Option<String>)> {
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(snapshot.join("manifest.json")).unwrap()).unwrap();
    let mut v: Vec<(String, Option<String>)> = m["invoices"]
        .as_array()
        .expect("manifest lists invoices")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_owned(),
                i["reused_from"].as_str().map(str::to_owned),
            )
        })
        .collect();
    v.sort();
    v
}

/// `pcrecon run` (with extra arguments); returns the run id `latest` points to afterwards.
async fn night(w: &World, extra: &[&str]) -> String {
    let mut args = vec!["run", "-q"];
    args.extend_from_slice(extra);
    let o = w.pcrecon(&args, &[(SECRET_ENV, SECRET)]).await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    latest(w)
}

fn latest(w: &World) -> String {
    std::fs::read_link(w.reports().join("latest"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn snapshot(w: &World, run_id: &str) -> PathBuf {
    w.dir.join("snapshots").join(run_id)
}

/// Whether a request of the log is one a night with nothing new may make.
fn listing_only(req: &str) -> bool {
    let path = req.split_once(' ').map_or(req, |(_, p)| p);
    path.ends_with("/oauth2/token")
        || path.ends_with("/oauth2/v2.0/token")
        || path == "/v1/invoices"
        || path == "/v1/invoices/summaries"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_night_reuses_every_invoice_and_equals_a_full_run() {
    let w = World::start(&root().join("sample-data/partner-center"), |_| {}).await;
    let first = night(&w, &[]).await;
    let night1 = request_count(&w);
    let held = manifest_invoices(&snapshot(&w, &first));
    assert!(held.len() >= 5, "{held:?}");
    assert!(held.iter().all(|(_, from)| from.is_none()), "{held:?}");

    let second = night(&w, &[]).await;
    let requests = requests_since(&w, night1);
    assert!(
        requests.iter().all(|r| listing_only(r)),
        "night 2 made other requests: {requests:?}"
    );
    assert!(
        requests.len() * 4 < night1,
        "{} vs {night1}",
        requests.len()
    );
    let reused = manifest_invoices(&snapshot(&w, &second));
    assert_eq!(reused.len(), held.len());
    assert!(
        reused
            .iter()
            .all(|(_, from)| from.as_deref() == Some(first.as_str())),
        "{reused:?}"
    );
    use std::os::unix::fs::MetadataExt;
    let blob =
        "invoices/G099887766/export/part-00000-84d0b7c3-2e48-494f-a57d-2f68587f3abc.c000.json.gz";
    assert_eq!(
        std::fs::metadata(snapshot(&w, &first).join(blob))
            .unwrap()
            .ino(),
        std::fs::metadata(snapshot(&w, &second).join(blob))
            .unwrap()
            .ino(),
        "hard-linked"
    );

    let before_full = request_count(&w);
    let full = night(&w, &["--full"]).await;
    assert!(
        requests_since(&w, before_full)
            .iter()
            .any(|r| !listing_only(r)),
        "--full fetches the line items"
    );
    assert!(
        manifest_invoices(&snapshot(&w, &full))
            .iter()
            .all(|(_, from)| from.is_none())
    );
    assert_same_reports(&w.reports().join(&second), &w.reports().join(&full));
    let tmp = tempfile::tempdir().unwrap();
    assert_same_reports(&w.reports().join(&second), &offline_reports(tmp.path()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_or_missing_files_are_fetched_again_and_fetch_out_reuses_too() {
    let w = World::start(&root().join("sample-data/partner-center"), |_| {}).await;
    let first = night(&w, &[]).await;
    let old = snapshot(&w, &first);
    let blob = old.join(
        "invoices/G055667788/export/part-00001-e3b2f920-f9b1-4f25-ba2c-8e944a34c370.c000.json.gz",
    );
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes.push(0);
    std::fs::write(&blob, bytes).unwrap();
    std::fs::remove_file(
        old.join("invoices/D0517730KQ/lineitems/office-billinglineitems/page-0001.json"),
    )
    .unwrap();

    let from = request_count(&w);
    let dest = w.dir.join("by-hand");
    let o = w.fetch(&dest, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("missing or corrupt"),
        "the refetch is logged: {}",
        stderr(&o)
    );
    let requests = requests_since(&w, from);
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("POST ") && r.contains("/billed/export"))
    );
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/v1/invoices/D0517730KQ/lineitems"))
    );
    assert!(
        !requests
            .iter()
            .any(|r| r.contains("/v1/invoices/G011223344/")),
        "{requests:?}"
    );
    for (id, from) in manifest_invoices(&dest) {
        let refetched = id == "G055667788" || id == "D0517730KQ";
        assert_eq!(from.is_none(), refetched, "{id}: {from:?}");
        if let Some(f) = from {
            assert_eq!(f, first);
        }
    }
    let out = w.dir.join("by-hand-reports");
    let o = pcrecon(&[
        "reconcile",
        "--snapshot",
        dest.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let tmp = tempfile::tempdir().unwrap();
    assert_same_reports(&out.join("latest"), &offline_reports(tmp.path()));
}
