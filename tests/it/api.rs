//! The API path against the shipped fake Partner Center (a real HTTP server on loopback, the same
//! code as `cargo run --example fake-partner-center`): fetched runs must give exactly the offline
//! run's reports, with faults and short-lived tokens too; wrong credentials exit 4 cleanly;
//! hostile ids stay inside the snapshot; no secret reaches any log or file.

#[path = "../../examples/fake-partner-center/server.rs"]
pub(crate) mod server;

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

pub(crate) const SECRET: &str = "fake-secret";
pub(crate) const SECRET_ENV: &str = "PCRECON_TEST_CLIENT_SECRET";

pub(crate) struct World {
    _tmp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) fake: server::FakeServer,
    pub(crate) config: PathBuf,
}

impl World {
    /// Starts the fake on `snapshot` and writes a config pointing at it.
    pub(crate) async fn start(
        snapshot: &Path,
        tweak: impl FnOnce(&mut server::FakeOptions),
    ) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut opts = server::FakeOptions {
            dir: snapshot.to_path_buf(),
            ..Default::default()
        };
        tweak(&mut opts);
        let refresh = opts.refresh_token.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = server::start(opts, listener).await.unwrap();
        std::fs::create_dir_all(dir.join("secrets")).unwrap();
        std::fs::write(dir.join("secrets/refresh-token"), format!("{refresh}\n")).unwrap();
        let base = format!("http://{}", fake.addr);
        let config = dir.join("pcrecon.toml");
        std::fs::write(
            &config,
            format!(
                r#"[source]
kind = "partner_center"
snapshot_dir = "snapshots"
[partner_center]
api_base = "{base}"
graph_base = "{base}/v1.0"
authority = "{base}"
tenant_id = "fake-tenant"
client_id = "fake-client"
client_secret_env = "{SECRET_ENV}"
refresh_token_file = "secrets/refresh-token"
max_concurrency = 4
max_attempts = 10
[ledger]
paths = [{ledger:?}]
[report]
out_dir = "reports"
metrics_file = "pcrecon.prom"
"#,
                ledger = root().join("sample-data/ledger/*.csv").to_string_lossy()
            ),
        )
        .unwrap();
        World {
            _tmp: tmp,
            dir,
            fake,
            config,
        }
    }

    /// Restarts the fake on the same port serving `snapshot` (the world changed), accepting the
    /// newest refresh token the old one issued.
    pub(crate) async fn restart(
        &mut self,
        snapshot: &Path,
        tweak: impl FnOnce(&mut server::FakeOptions),
    ) {
        let mut opts = server::FakeOptions {
            dir: snapshot.to_path_buf(),
            refresh_token: self.fake.current_refresh_token(),
            ..Default::default()
        };
        tweak(&mut opts);
        self.fake.shutdown();
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(self.fake.addr).await {
                Ok(l) => break l,
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on {} again: {e}", self.fake.addr),
            }
        };
        self.fake = server::start(opts, listener).await.unwrap();
    }

    /// Runs pcrecon (blocking, off the runtime's workers so the fake keeps serving).
    pub(crate) async fn pcrecon(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend([
            "--config".into(),
            self.config.to_string_lossy().into_owned(),
        ]);
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = all.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            pcrecon_env(&args, &env)
        })
        .await
        .unwrap()
    }

    /// `pcrecon fetch --out <dest>` plus `extra` arguments, with the client secret.
    pub(crate) async fn fetch(&self, dest: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["fetch", "--out", dest.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.pcrecon(&args, &[(SECRET_ENV, SECRET)]).await
    }

    pub(crate) fn reports(&self) -> PathBuf {
        self.dir.join("reports")
    }
}

/// The offline reports of the shipped sample snapshot, for comparison.
pub(crate) fn offline_reports(out: &Path) -> PathBuf {
    let o = pcrecon(&[
        "reconcile",
        "--snapshot",
        "sample-data/partner-center",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    out.join("latest")
}

pub(crate) fn assert_same_reports(a: &Path, b: &Path) {
    for f in [
        "charges.csv",
        "reconciliation.csv",
        "invoice_checks.csv",
        "usage_line_items.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between the API and offline runs"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_run_gives_the_offline_reports_and_rotates_the_refresh_token() {
    let w = World::start(&root().join("sample-data/partner-center"), |_| {}).await;
    let o = w.pcrecon(&["run", "-q"], &[(SECRET_ENV, SECRET)]).await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let tmp = tempfile::tempdir().unwrap();
    assert_same_reports(&w.reports().join("latest"), &offline_reports(tmp.path()));

    // the run kept its snapshot under the same run id as its reports, with a manifest
    let run_id = std::fs::read_link(w.reports().join("latest")).unwrap();
    let snapshot = w.dir.join("snapshots").join(&run_id);
    assert!(
        snapshot.join("manifest.json").is_file(),
        "snapshot kept at {}",
        snapshot.display()
    );
    assert!(
        snapshot.join("summaries.json").is_file(),
        "App+User summaries fetched"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.reports().join("latest/summary.json")).unwrap())
            .unwrap();
    assert!(
        summary["inputs"]
            .to_string()
            .contains(&snapshot.to_string_lossy().into_owned())
    );

    // the newest refresh token is on disk, private
    let token = std::fs::read_to_string(w.dir.join("secrets/refresh-token")).unwrap();
    assert_ne!(
        token.trim(),
        server::FakeOptions::default().refresh_token,
        "rotated"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(w.dir.join("secrets/refresh-token"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    // and it works: a second run redeems it
    let again = w.pcrecon(&["run", "-q"], &[(SECRET_ENV, SECRET)]).await;
    assert_eq!(code(&again), 1, "{}", stderr(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_short_tokens_change_nothing() {
    let w = World::start(&root().join("sample-data/partner-center"), |o| {
        o.fault_rate = 0.2;
        o.token_ttl_secs = 3;
        o.seed = 5;
    })
    .await;
    let o = w.pcrecon(&["run", "-q"], &[(SECRET_ENV, SECRET)]).await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let tmp = tempfile::tempdir().unwrap();
    assert_same_reports(&w.reports().join("latest"), &offline_reports(tmp.path()));
    let stats = w.fake.stats.snapshot();
    let faults: u64 = ["429", "503", "dropped"]
        .iter()
        .map(|k| stats["faults"][k].as_u64().unwrap_or(0))
        .sum();
    assert!(faults > 0, "the fake injected faults: {stats}");
    // pcrecon's own account of its retries, kept in the snapshot's manifest
    let run_id = std::fs::read_link(w.reports().join("latest")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(w.dir.join("snapshots").join(run_id).join("manifest.json")).unwrap(),
    )
    .unwrap();
    let http = &manifest["http"];
    let retries: u64 = [
        "retries_throttled",
        "retries_server_error",
        "retries_network",
    ]
    .iter()
    .map(|k| http[k].as_u64().unwrap())
    .sum();
    assert!(
        retries > 0 && retries <= faults,
        "every retry answers an injected fault: {http} vs {stats}"
    );
    eprintln!("fault run: fake {stats}; pcrecon {http}");

    // the metrics textfile reports the same requests and retries
    let text = std::fs::read_to_string(w.dir.join("pcrecon.prom")).unwrap();
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(
        value("pcrecon_http_requests_total"),
        http["requests"].as_u64().unwrap()
    );
    let all_retries = retries + http["retries_unauthorized"].as_u64().unwrap_or(0);
    assert_eq!(value("pcrecon_http_retries_total"), all_retries);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_exits_4_and_leaves_nothing() {
    let w = World::start(&root().join("sample-data/partner-center"), |_| {}).await;
    let o = w.pcrecon(&["run"], &[(SECRET_ENV, "wrong-secret")]).await;
    let err = stderr(&o);
    assert_eq!(code(&o), 4, "{err}");
    assert!(
        err.contains("invalid_client") && err.contains("AADSTS7000215"),
        "{err}"
    );
    assert!(!err.contains("wrong-secret"));
    let visible = |d: &Path| {
        entries(d)
            .into_iter()
            .filter(|e| !e.starts_with('.'))
            .count()
    };
    assert_eq!(visible(&w.reports()), 0, "no report folder");
    assert_eq!(
        entries(&w.dir.join("snapshots")).len(),
        0,
        "no snapshot, not even a partial one"
    );

    let o = w.pcrecon(&["fetch"], &[]).await;
    assert_eq!(
        code(&o),
        2,
        "missing secret: exit 2 before any network call"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_out_writes_the_contract_layout_and_refuses_a_full_folder() {
    let w = World::start(&root().join("sample-data/partner-center"), |_| {}).await;
    let dest = w.dir.join("snap");
    let o = w.fetch(&dest, &["--period", "2025-03"]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // March 2025 documents only (two invoices and the credit note), all from the v2 export; blobs
    // byte for byte as stored
    assert!(dest.join("invoices/page-0001.json").is_file());
    for inv in ["G055667788", "G099887766", "G100234567"] {
        let src = root()
            .join("sample-data/partner-center/invoices")
            .join(inv)
            .join("export");
        for blob in entries(&src)
            .into_iter()
            .filter(|n| n.ends_with(".json.gz"))
        {
            assert_eq!(
                std::fs::read(src.join(&blob)).unwrap(),
                std::fs::read(dest.join("invoices").join(inv).join("export").join(&blob)).unwrap()
            );
        }
        let manifest =
            std::fs::read_to_string(dest.join("invoices").join(inv).join("export/manifest.json"))
                .unwrap();
        assert!(!manifest.contains("sig="), "no SAS signature stored");
    }
    assert!(
        !dest.join("invoices/D0517730KQ").exists(),
        "outside --period"
    );
    let again = w.fetch(&dest, &[]).await;
    assert_eq!(
        code(&again),
        2,
        "a non-empty --out is refused: {}",
        stderr(&again)
    );
    assert!(dest.join("manifest.json").is_file(), "and left untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_invoice_ids_stay_inside_the_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = tmp.path().join("hostile");
    copy_tree(&root().join("sample-data/partner-center"), &snap);
    let page = snap.join("invoices/page-0002.json");
    let text = std::fs::read_to_string(&page).unwrap();
    let evil = r#"{"id": "../../escaped", "invoiceDate": "2024-11-21T00:00:00Z", "totalCharges": 0, "currencyCode": "USD",
        "invoiceType": "Recurring", "invoiceDetails": [{"invoiceLineItemType": "billing_line_items", "billingProvider": "office"}]},"#;
    std::fs::write(
        &page,
        text.replacen("\"items\": [", &format!("\"items\": [{evil}"), 1)
            .replacen("\"items\":[", &format!("\"items\":[{evil}"), 1),
    )
    .unwrap();
    let w = World::start(&snap, |_| {}).await;
    let dest = w.dir.join("a/b/snap");
    let o = w.fetch(&dest, &[]).await;
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        !w.dir.join("a/escaped").exists() && !w.dir.join("escaped").exists(),
        "nothing written outside the snapshot"
    );
    let inside: Vec<String> = entries(&dest.join("invoices"))
        .into_iter()
        .filter(|n| n.contains("escaped"))
        .collect();
    assert_eq!(
        inside.len(),
        1,
        "the hostile invoice has one sanitised folder inside: {inside:?}"
    );
    assert!(!inside[0].contains('/') && !inside[0].starts_with('.'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_debug_logs_or_files() {
    let w = World::start(&root().join("sample-data/partner-center"), |o| {
        o.fault_rate = 0.1
    })
    .await;
    let o = w
        .pcrecon(
            &["run", "-vv"],
            &[(SECRET_ENV, SECRET), ("RUST_LOG", "trace")],
        )
        .await;
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let refresh = std::fs::read_to_string(w.dir.join("secrets/refresh-token"))
        .unwrap()
        .trim()
        .to_owned();
    let initial = server::FakeOptions::default().refresh_token;
    let mut haystacks = vec![
        ("stdout".to_owned(), o.stdout.clone()),
        ("stderr".to_owned(), o.stderr.clone()),
    ];
    fn walk(d: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if !p.ends_with("secrets/refresh-token")
                && p.extension().is_none_or(|x| x != "toml")
            {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    walk(&w.dir, &mut haystacks);
    assert!(haystacks.len() > 20, "checked the written files too");
    for (name, bytes) in haystacks {
        let text = String::from_utf8_lossy(&bytes);
        for needle in [
            SECRET,
            refresh.as_str(),
            initial.as_str(),
            "sig=",
            "Bearer ey",
            "access_token",
        ] {
            assert!(!text.contains(needle), "{name} contains {needle:?}");
        }
    }
}

/// The sample snapshot copied into `dir` without invoice B's (`G011223344`) usage feed, which
/// its `invoiceDetails` still list: the fake answers that feed with no items.
fn sample_without_b_usage(dir: &Path) -> PathBuf {
    let snap = dir.join("no-usage");
    copy_tree(&root().join("sample-data/partner-center"), &snap);
    std::fs::remove_dir_all(snap.join("invoices/G011223344/lineitems/onetime-usagelineitems"))
        .unwrap();
    snap
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_feed_is_saved_as_an_empty_page() {
    let tmp = tempfile::tempdir().unwrap();
    let snap = sample_without_b_usage(tmp.path());
    for no_content in [false, true] {
        let w = World::start(&snap, |o| o.empty_feed_no_content = no_content).await;
        let dest = w.dir.join("snap");
        let o = w.fetch(&dest, &["--period", "2024-01"]).await;
        assert_eq!(code(&o), 0, "204: {no_content}: {}", stderr(&o));
        let feed = dest.join("invoices/G011223344/lineitems/onetime-usagelineitems");
        assert_eq!(entries(&feed), ["page-0001.json"], "204: {no_content}");
        let page = std::fs::read(feed.join("page-0001.json")).unwrap();
        if no_content {
            // no body at all: the empty collection the contract names
            assert_eq!(page, br#"{"totalCount":0,"items":[]}"#);
        } else {
            // the empty collection page as the API sent it
            let v: serde_json::Value = serde_json::from_slice(&page).unwrap();
            assert_eq!(v["totalCount"], 0);
            assert_eq!(v["items"], serde_json::json!([]));
            assert_eq!(v["attributes"]["objectType"], "Collection");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_repeated_once_is_asked_again_and_nothing_is_doubled() {
    let tmp = tempfile::tempdir().unwrap();
    let offline = offline_reports(tmp.path());
    // an offset-paged feed (invoice A's Office lines) and a seek-paged one (invoice B's OneTime lines)
    for feed in ["office-billinglineitems", "onetime-billinglineitems"] {
        let w = World::start(&root().join("sample-data/partner-center"), |o| {
            o.page_size_cap = 2;
            o.repeat_pages = 1;
            o.repeat_feed = feed.into();
        })
        .await;
        let o = w.pcrecon(&["run", "-q"], &[(SECRET_ENV, SECRET)]).await;
        assert_eq!(code(&o), 1, "{feed}: {}", stderr(&o));
        assert_eq!(
            w.fake.stats.snapshot()["repeated_pages"],
            1,
            "{feed}: the fake repeated a page"
        );
        assert_same_reports(&w.reports().join("latest"), &offline);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_keeps_repeating_exits_4_and_leaves_no_snapshot() {
    let w = World::start(&root().join("sample-data/partner-center"), |o| {
        o.page_size_cap = 2;
        o.repeat_pages = u32::MAX;
        o.repeat_feed = "onetime-billinglineitems".into();
    })
    .await;
    let dest = w.dir.join("out/snap");
    let o = w.fetch(&dest, &[]).await;
    let err = stderr(&o);
    assert_eq!(code(&o), 4, "{err}");
    assert!(
        err.contains(
            "invoice G011223344 onetime-billinglineitems: page 2 repeats page 1 item for item \
             (asked 3 times)"
        ),
        "{err}"
    );
    assert_eq!(
        w.fake.stats.snapshot()["repeated_pages"],
        3,
        "asked 3 times"
    );
    assert!(!dest.exists(), "no snapshot under its final name");
    assert_eq!(
        entries(&w.dir.join("out")),
        Vec::<String>::new(),
        "not even a partial one"
    );
}

/// The run lock: a second run on the same report folder exits 6 at once, naming the lock file
/// and the holder's pid, and writes nothing; a holder killed with SIGKILL blocks nobody, and the
/// next run removes the staging folder it left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_is_refused_by_the_lock_and_a_killed_holder_blocks_nobody() {
    // slow answers keep the first run inside its fetch long enough to be caught there
    let w = World::start(&root().join("sample-data/partner-center"), |o| {
        o.latency_ms = 400
    })
    .await;
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_pcrecon"))
        .current_dir(&w.dir)
        .args(["run", "-q", "--config", w.config.to_str().unwrap()])
        .env(SECRET_ENV, SECRET)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = w.reports().join(".pcrecon.lock");
    let pid = first.id().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(&lock).unwrap_or_default().trim() != pid {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never took the lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // a staging folder as a run killed while writing would leave it
    let stale = w.reports().join(".pcrecon-staging-2026-01-01T000000Z-1");
    std::fs::create_dir(&stale).unwrap();

    let second = w.pcrecon(&["run", "-q"], &[(SECRET_ENV, SECRET)]).await;
    assert_eq!(code(&second), 6, "{}", stderr(&second));
    let msg = stderr(&second);
    assert!(msg.contains(&lock.to_string_lossy().into_owned()), "{msg}");
    assert!(msg.contains(&format!("pid {pid}")), "{msg}");
    assert!(stale.is_dir(), "a refused run touches nothing");
    assert!(!w.reports().join("latest").exists());

    first.kill().unwrap(); // SIGKILL: no clean-up of its own
    first.wait().unwrap();
    let third = w.pcrecon(&["run", "-q"], &[(SECRET_ENV, SECRET)]).await;
    assert_eq!(code(&third), 1, "{}", stderr(&third));
    assert!(w.reports().join("latest/reconciliation.csv").is_file());
    assert!(
        !stale.exists(),
        "the next run removes a killed run's staging folder"
    );
}

/// SIGINT during the fetch: the partial snapshot and the report staging are removed, exit 130.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_fetch_leaves_no_partial_snapshot_and_exits_130() {
    signal_during_fetch("INT", 130).await;
}

/// SIGTERM (what systemd and cron send) during the fetch: the same, exit 143.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_fetch_leaves_no_partial_snapshot_and_exits_143() {
    signal_during_fetch("TERM", 143).await;
}

/// Sends `signal` to a `run` while it fetches; expects `exit` and nothing left behind.
async fn signal_during_fetch(signal: &'static str, exit: i32) {
    let w = World::start(&root().join("sample-data/partner-center"), |o| {
        o.latency_ms = 400
    })
    .await;
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pcrecon"))
        .current_dir(&w.dir)
        .args(["run", "-q", "--config", w.config.to_str().unwrap()])
        .env(SECRET_ENV, SECRET)
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let snapshots = w.dir.join("snapshots");
    let pid = child.id();
    let out = tokio::task::spawn_blocking(move || {
        wait_for("the partial snapshot", || {
            entries(&snapshots).iter().any(|e| e.contains(".partial-"))
        });
        send_signal(pid, signal);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(exit),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(entries(&w.dir.join("snapshots")), Vec::<String>::new());
    assert_eq!(entries(&w.reports()), Vec::<String>::new());
}

/// Hostile paging and throttling end the fetch at once with exit 4 and a message naming the
/// cause and the key, never a hang: a continuation token handed back unchanged, a `Retry-After`
/// of 999999999 seconds, a listing that reaches `[partner_center] max_pages`, and pages beyond
/// `[source] max_page_items` and `max_page_bytes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_paging_and_throttling_exit_4_at_once() {
    let sample = root().join("sample-data/partner-center");
    type Tweak = Box<dyn FnOnce(&mut server::FakeOptions)>;
    let cases: Vec<(Tweak, &str, Vec<&str>)> = vec![
        (
            Box::new(|o| {
                o.page_size_cap = 2;
                o.sticky_continuation = true;
            }),
            "[source]\n",
            vec![
                "invoice G011223344 onetime-billinglineitems: page 2",
                "the API returned the same continuation token twice",
            ],
        ),
        (
            Box::new(|o| o.throttle_retry_after = Some("999999999".into())),
            "[source]\n",
            vec![
                "/v1/invoices: the API asks to wait 999999999 s (Retry-After: \"999999999\")",
                "[partner_center] max_retry_after_secs = 300",
            ],
        ),
        (
            Box::new(|o| o.page_size_cap = 2),
            "[partner_center]\nmax_pages = 1\n",
            vec!["more than 1 pages ([partner_center] max_pages)"],
        ),
        (
            Box::new(|_| {}),
            "[source]\nmax_page_items = 1\n",
            vec!["items, more than [source] max_page_items = 1"],
        ),
        (
            Box::new(|_| {}),
            "[source]\nmax_page_bytes = 500\n",
            vec!["the response body is longer than [source] max_page_bytes = 500 bytes"],
        ),
    ];
    for (tweak, keys, message) in cases {
        let w = World::start(&sample, tweak).await;
        // `keys` starts with its section's header, which the config has already
        let (section, _) = keys.split_once('\n').unwrap_or(("", ""));
        let text = std::fs::read_to_string(&w.config)
            .unwrap()
            .replace(&format!("{section}\n"), keys);
        std::fs::write(&w.config, text).unwrap();
        let dest = w.dir.join("out/snap");
        let started = std::time::Instant::now();
        let o = w.fetch(&dest, &[]).await;
        let err = stderr(&o);
        assert_eq!(code(&o), 4, "{err}");
        for m in &message {
            assert!(err.contains(m), "stderr should name {m:?}: {err}");
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{message:?}: took {:?}",
            started.elapsed()
        );
        assert!(!dest.exists(), "no snapshot under its final name");
    }
}
