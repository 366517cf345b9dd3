//! The nightly soak: N nights (`PCRECON_SOAK_NIGHTS`, default 10) against the fake with a 20 %
//! fault rate, the world changing a little every night (a new invoice every other night, the
//! ledger booking one of its lines the night after, a late line on the unbilled export every
//! night). After each night the incremental run's reports equal a `--full` run's byte for byte,
//! its `changes` report names exactly what the world changed, only new invoices are fetched, the
//! refresh token keeps rotating, and retention keeps N of each.

use std::path::Path;

use crate::api::{SECRET, SECRET_ENV, World};
use crate::common::*;

/// Adds invoice `id` to the world: a copy of G099887766's listing and export under a new id.
fn add_invoice(world: &Path, id: &str, page: usize) {
    let mut listing = None;
    for p in entries(&world.join("invoices"))
        .iter()
        .filter(|n| n.starts_with("page-"))
    {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(world.join("invoices").join(p)).unwrap())
                .unwrap();
        if let Some(item) = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "G099887766")
        {
            listing = Some(item.clone());
        }
    }
    let mut item = listing.expect("G099887766 is listed");
    item["id"] = id.into();
    let body = serde_json::json!({"totalCount": 1, "items": [item]});
    std::fs::write(
        world.join(format!("invoices/page-{page:04}.json")),
        serde_json::to_vec_pretty(&body).unwrap(),
    )
    .unwrap();
    copy_tree(
        &world.join("invoices/G099887766/export"),
        &world.join("invoices").join(id).join("export"),
    );
}

/// Appends a late line of `night` USD to the world's current-USD unbilled export (its one blob).
fn late_unbilled_line(world: &Path, night: usize) {
    use std::io::{Read, Write};
    let dir = world.join("unbilled/current-USD");
    let name = entries(&dir)
        .into_iter()
        .find(|n| n.ends_with(".json.gz"))
        .expect("current-USD has a blob");
    let blob = dir.join(name);
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&blob).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let mut late = first.clone();
    late["orderId"] = format!("late{night:04}").into();
    late["subtotal"] = serde_json::json!(night);
    text.push_str(&late.to_string());
    text.push('\n');
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(&blob, gz.finish().unwrap()).unwrap();
}

/// The ledger books invoice `id`'s copy of G099887766's Business Basic line (sample ledger entry
/// GL-2025-0312, 180.00 USD): that grain row goes from missing_in_ledger to matched.
fn book_copied_line(ledger: &Path, id: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(ledger.join("ledger-2025.csv"))
        .unwrap();
    write!(
        f,
        "GL-SOAK-{id},2025-03-07,{id},ad5b6bec-ca47-4088-992e-7059039ad419,\
         f018bda3-bce7-4f26-bafb-53c0fa3901b4,2e9c4b7a1f06,CFQ7TTC0LH18,0001,cycleCharge,\
         2025-02-01,2025-02-28,30,180.00,USD,booked a night late\r\n"
    )
    .unwrap();
}

/// The changes report of run `run` as (invoice_id, subscription_id, change), sorted.
fn changes(reports: &Path, run: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = read_csv(&reports.join(run).join("changes.csv"))
        .into_iter()
        .map(|r| {
            (
                r["invoice_id"].clone(),
                r["subscription_id"].clone(),
                r["change"].clone(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The folders named as run ids in `dir`.
fn run_folders(dir: &Path) -> Vec<String> {
    entries(dir)
        .into_iter()
        .filter(|n| {
            n.len() >= 18
                && n.as_bytes()[4] == b'-'
                && n.ends_with(|c: char| c.is_ascii_digit() || c == 'Z')
        })
        .collect()
}

async fn run(w: &World, extra: &[&str]) -> String {
    let mut args = vec!["run", "-q"];
    args.extend_from_slice(extra);
    let o = w.pcrecon(&args, &[(SECRET_ENV, SECRET)]).await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    std::fs::read_link(w.reports().join("latest"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nights_with_faults_give_the_full_runs_reports_and_keep_n() {
    let nights: usize = std::env::var("PCRECON_SOAK_NIGHTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let tmp = tempfile::tempdir().unwrap();
    let world = tmp.path().join("world");
    // the sample snapshot with its unbilled exports, which the fake serves from it
    copy_tree(&root().join("sample-data/partner-center"), &world);
    let tweak = |night: usize| {
        move |o: &mut crate::api::server::FakeOptions| {
            o.fault_rate = 0.2;
            o.seed = night as u64;
            o.export_polls = 0;
        }
    };
    let mut w = World::start(&world, tweak(1)).await;
    // the ledger, which the nights correct
    let ledger = tmp.path().join("ledger");
    copy_tree(&root().join("sample-data/ledger"), &ledger);
    let config = std::fs::read_to_string(&w.config)
        .unwrap()
        .replace(
            &format!(
                "{:?}",
                root().join("sample-data/ledger/*.csv").to_string_lossy()
            ),
            &format!("{:?}", ledger.join("*.csv").to_string_lossy()),
        )
        .replace(
            "snapshot_dir = \"snapshots\"",
            &format!("snapshot_dir = \"snapshots\"\nkeep_snapshots = {nights}"),
        )
        .replace(
            "out_dir = \"reports\"",
            &format!("out_dir = \"reports\"\nkeep_runs = {nights}"),
        );
    std::fs::write(&w.config, config).unwrap();

    let mut previous_full: Option<String> = None;
    let mut tokens = vec![std::fs::read_to_string(w.dir.join("secrets/refresh-token")).unwrap()];
    let (mut requests, mut faults) = (Vec::new(), 0u64);
    // G099887766's billed grain rows (subscriptions): what a copy of it adds as `new` rows
    let mut billed_subscriptions: Vec<String> = Vec::new();
    for night in 1..=nights {
        let mut new_invoices = Vec::new();
        let mut expected_changes: Vec<(String, String, String)> = Vec::new();
        if night > 1 {
            if night % 2 == 0 {
                let id = format!("G7000000{night:02}");
                add_invoice(&world, &id, 100 + night);
                expected_changes.extend(
                    billed_subscriptions
                        .iter()
                        .map(|s| (id.clone(), s.clone(), "new".to_owned())),
                );
                new_invoices.push(id);
            } else {
                // last night's new invoice: its Business Basic line is booked now
                let id = format!("G7000000{:02}", night - 1);
                book_copied_line(&ledger, &id);
                expected_changes.push((
                    id,
                    "f018bda3-bce7-4f26-bafb-53c0fa3901b4".to_owned(),
                    "resolved".to_owned(),
                ));
            }
            late_unbilled_line(&world, night);
            w.restart(&world, tweak(night)).await;
        }
        let incremental = run(&w, &[]).await;
        let stats = w.fake.stats.snapshot();
        requests.push(stats["requests"].as_u64().unwrap());
        let f = &stats["faults"];
        faults += f["429"].as_u64().unwrap()
            + f["503"].as_u64().unwrap()
            + f["dropped"].as_u64().unwrap();
        let full = run(&w, &["--full"]).await;
        if night == 1 {
            billed_subscriptions = read_csv(&w.reports().join(&full).join("reconciliation.csv"))
                .into_iter()
                .filter(|r| r["invoice_id"] == "G099887766" && r["pc_lines"] != "0")
                .map(|r| r["subscription_id"].clone())
                .collect();
            assert_eq!(
                billed_subscriptions.len(),
                9,
                "D1–D6, D8–D10 of sample-data/README.md"
            );
        } else {
            expected_changes.sort();
            assert_eq!(
                changes(&w.reports(), &incremental),
                expected_changes,
                "night {night}: the changes report names what the world changed"
            );
        }
        assert_eq!(
            changes(&w.reports(), &full),
            vec![],
            "night {night}: the --full run after it changes nothing"
        );
        for f in [
            "reconciliation.csv",
            "charges.csv",
            "unbilled_charges.csv",
            "invoice_checks.csv",
        ] {
            assert_eq!(
                std::fs::read(w.reports().join(&incremental).join(f)).unwrap(),
                std::fs::read(w.reports().join(&full).join(f)).unwrap(),
                "night {night}: {f} of the incremental run differs from the --full run's"
            );
        }
        // only the new invoices were fetched; the rest came from last night's full snapshot
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                w.dir
                    .join("snapshots")
                    .join(&incremental)
                    .join("manifest.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let mut fetched: Vec<String> = manifest["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                let from = i["reused_from"].as_str();
                assert!(from.is_none() || from == previous_full.as_deref(), "{i}");
                from.is_none()
            })
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        fetched.sort();
        if previous_full.is_some() {
            assert_eq!(fetched, new_invoices, "night {night}");
        }
        let token = std::fs::read_to_string(w.dir.join("secrets/refresh-token")).unwrap();
        assert!(
            !tokens.contains(&token),
            "night {night}: the refresh token rotates"
        );
        tokens.push(token);
        previous_full = Some(full);
    }
    assert_eq!(run_folders(&w.reports()).len(), nights, "keep_runs");
    assert_eq!(
        run_folders(&w.dir.join("snapshots")).len(),
        nights,
        "keep_snapshots"
    );
    eprintln!(
        "soak: {nights} nights, {faults} faults injected in the incremental runs, requests per incremental night {requests:?}"
    );
}
