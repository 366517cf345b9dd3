//! One test per class of bad input: the exit status, a message that names the culprit, and no
//! report folder left behind.

use std::path::Path;

use crate::common::*;

/// Runs `reconcile` with `config` into `out`; checks the exit code, the message and that `out`
/// holds no report folder.
fn fails(config: &Path, snapshot: &Path, out: &Path, exit: i32, message: &[&str]) {
    let o = pcrecon(&[
        "reconcile",
        "--config",
        config.to_str().unwrap(),
        "--snapshot",
        snapshot.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(code(&o), exit, "{err}");
    for m in message {
        assert!(err.contains(m), "stderr should name {m:?}: {err}");
    }
    let left: Vec<String> = entries(out)
        .into_iter()
        .filter(|e| !e.starts_with('.') || e.starts_with(".pcrecon"))
        .collect();
    assert!(
        left.is_empty(),
        "no report folder may be left behind: {left:?}"
    );
}

fn sample_snapshot() -> std::path::PathBuf {
    root().join("sample-data/partner-center")
}

fn sample_ledger() -> String {
    root()
        .join("sample-data/ledger/*.csv")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn config_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fails(
        &tmp.path().join("nope.toml"),
        &sample_snapshot(),
        &out,
        2,
        &["nope.toml"],
    );

    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[report\nout_dir = 1").unwrap();
    fails(&bad, &sample_snapshot(), &out, 2, &["bad.toml", "TOML"]);

    let unknown = write_config(
        tmp.path(),
        &sample_snapshot(),
        &[sample_ledger()],
        "\n[reconcile]\ntolerence = \"0.01\"",
    );
    fails(
        &unknown,
        &sample_snapshot(),
        &out,
        2,
        &["reconcile.tolerence", "did you mean reconcile.tolerance"],
    );
    let o = pcrecon(&["check-config", "--config", unknown.to_str().unwrap()]);
    assert_eq!(code(&o), 2);

    let o = pcrecon(&["reconcile", "--no-such-flag"]);
    assert_eq!(code(&o), 2);
    let o = pcrecon(&["fetch", "--out", out.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("nothing to fetch"), "{}", stderr(&o));
}

#[test]
fn missing_secret_exits_2_and_the_secret_never_prints() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = write_config(
        tmp.path(),
        &sample_snapshot(),
        &[sample_ledger()],
        "\n[partner_center]\ntenant_id = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"PCRECON_TEST_SECRET\"\napi_base = \"http://127.0.0.1:9\"",
    );
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("kind = \"snapshot\"", "kind = \"partner_center\"");
    std::fs::write(&cfg, text).unwrap();
    let o = pcrecon(&["check-config", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("PCRECON_TEST_SECRET"), "{}", stderr(&o));
    let secret = "s3cr3t-value-that-must-not-print";
    let o = pcrecon_env(
        &["check-config", "--config", cfg.to_str().unwrap()],
        &[("PCRECON_TEST_SECRET", secret)],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let all = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(!all.contains(secret));
}

#[test]
fn ledger_path_errors_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let none = tmp
        .path()
        .join("nothing-*.csv")
        .to_string_lossy()
        .into_owned();
    let cfg = write_config(
        tmp.path(),
        &sample_snapshot(),
        std::slice::from_ref(&none),
        "",
    );
    fails(
        &cfg,
        &sample_snapshot(),
        &out,
        3,
        &["nothing-*.csv", "matches no file"],
    );

    let folder = tmp.path().join("a-folder.csv");
    std::fs::create_dir(&folder).unwrap();
    let cfg = write_config(
        tmp.path(),
        &sample_snapshot(),
        &[folder.to_string_lossy().into_owned()],
        "",
    );
    fails(
        &cfg,
        &sample_snapshot(),
        &out,
        3,
        &["a-folder.csv", "folder"],
    );

    let dangling = tmp.path().join("gone.csv");
    std::os::unix::fs::symlink(tmp.path().join("does-not-exist.csv"), &dangling).unwrap();
    let cfg = write_config(
        tmp.path(),
        &sample_snapshot(),
        &[dangling.to_string_lossy().into_owned()],
        "",
    );
    fails(&cfg, &sample_snapshot(), &out, 3, &["gone.csv"]);

    let headerless = tmp.path().join("no-amount.csv");
    std::fs::write(
        &headerless,
        "entry_id,posting_date,customer_id,currency\nE1,2025-01-01,c,EUR\n",
    )
    .unwrap();
    let cfg = write_config(
        tmp.path(),
        &sample_snapshot(),
        &[headerless.to_string_lossy().into_owned()],
        "",
    );
    fails(
        &cfg,
        &sample_snapshot(),
        &out,
        3,
        &["no-amount.csv", "amount"],
    );
}

/// A copy of the sample snapshot with one file replaced.
fn broken_snapshot(dir: &Path, rel: &str, bytes: &[u8]) -> std::path::PathBuf {
    let snap = dir.join("snap");
    copy_tree(&sample_snapshot(), &snap);
    std::fs::write(snap.join(rel), bytes).unwrap();
    snap
}

fn blob_of(snapshot: &Path, invoice: &str) -> String {
    let dir = snapshot.join("invoices").join(invoice).join("export");
    let name = entries(&dir)
        .into_iter()
        .find(|n| n.ends_with(".json.gz"))
        .unwrap();
    format!("invoices/{invoice}/export/{name}")
}

#[test]
fn snapshot_errors_exit_3_naming_the_file() {
    type Corrupt = Box<dyn Fn(&[u8]) -> Vec<u8>>;
    let cases: Vec<(String, Corrupt, Vec<&str>)> = vec![
        (
            "invoices/page-0001.json".into(),
            Box::new(|b| b[..b.len() / 2].to_vec()),
            vec!["page-0001.json", "line"],
        ),
        (
            "invoices/G011223344/lineitems/onetime-billinglineitems/page-0002.json".into(),
            Box::new(|b| b[..b.len() - 40].to_vec()),
            vec!["onetime-billinglineitems/page-0002.json"],
        ),
        (
            blob_of(&sample_snapshot(), "G099887766"),
            Box::new(|_| b"this is not gzip".to_vec()),
            vec!["G099887766", "gzip"],
        ),
        (
            blob_of(&sample_snapshot(), "G055667788"),
            Box::new(|b| b[..b.len() / 2].to_vec()),
            vec!["G055667788"],
        ),
        (
            blob_of(&sample_snapshot(), "G099887766"),
            Box::new(|_| {
                use std::io::Write;
                let mut gz =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                gz.write_all(
                    b"{\"Subtotal\": \"1.00\", \"Currency\": \"USD\"}\n\n{\"Subtotal\": \"abc\"}\n",
                )
                .unwrap();
                gz.finish().unwrap()
            }),
            vec!["G099887766", ":3:", "abc"],
        ),
    ];
    for (rel, corrupt, message) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let original = std::fs::read(sample_snapshot().join(&rel)).unwrap();
        let snap = broken_snapshot(tmp.path(), &rel, &corrupt(&original));
        let cfg = write_config(tmp.path(), &snap, &[sample_ledger()], "");
        fails(&cfg, &snap, &tmp.path().join("out"), 3, &message);
    }
}

/// A ledger quantity that does not parse is a rejected row naming the field, file and line;
/// the run goes on (exit 1 for the sample's planted differences), nothing is lost.
#[test]
fn a_bad_ledger_quantity_is_a_rejected_row_not_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger.csv");
    std::fs::write(
        &ledger,
        "entry_id,posting_date,invoice_number,customer_id,subscription_id,order_id,product_id,sku_id,\
         charge_type,charge_start_date,charge_end_date,quantity,amount,currency,description\n\
         Q-1,2025-03-01,G055667788,c-1,s-1,o-1,p,k,new,,,12x,10.00,EUR,typo in quantity\n\
         Q-2,2025-03-01,G055667788,c-1,s-1,o-1,p,k,new,,,1e5,10.00,EUR,exponent\n\
         Q-3,2025-03-01,G055667788,c-1,s-1,o-1,p,k,new,,,12,10.00,EUR,fine\n",
    )
    .unwrap();
    let config = write_config(
        tmp.path(),
        &sample_snapshot(),
        &[ledger.to_string_lossy().into_owned()],
        "",
    );
    let out = tmp.path().join("out");
    let o = pcrecon(&[
        "reconcile",
        "--config",
        config.to_str().unwrap(),
        "--snapshot",
        sample_snapshot().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let rejected = read_csv(&out.join("latest/rejected_ledger_rows.csv"));
    let got: Vec<(&str, &str)> = rejected
        .iter()
        .map(|r| (r["line"].as_str(), r["entry_id"].as_str()))
        .collect();
    assert_eq!(got, [("2", "Q-1"), ("3", "Q-2")]);
    for r in &rejected {
        assert!(r["reason"].contains("quantity"), "{r:?}");
        assert!(r["file"].ends_with("ledger.csv"), "{r:?}");
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("latest/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["counts"]["ledger_accepted"], 1);
}

/// A config in `dir` reading snapshot `snap` and the sample ledger, with `[source]` keys `extra`
/// (whole lines).
fn source_keys_config(dir: &Path, snap: &Path, extra: &str) -> std::path::PathBuf {
    let config = dir.join("pcrecon.toml");
    std::fs::write(
        &config,
        format!(
            "[source]\nkind = \"snapshot\"\ndir = {:?}\n{extra}[ledger]\npaths = [{:?}]\n",
            snap.to_string_lossy(),
            sample_ledger()
        ),
    )
    .unwrap();
    config
}

/// A hostile export blob ends with a clear input error (exit 3) naming the file and the limit,
/// within bounded memory and time: a gzip bomb (inflating far beyond `max_inflate_ratio` × its
/// size), and a line longer than `max_line_bytes`.
#[test]
fn hostile_blobs_stop_at_the_configured_limits() {
    use std::io::Write;
    let gz = |body: &dyn Fn(&mut dyn Write)| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        body(&mut gz);
        gz.finish().unwrap()
    };
    // 16 MiB of blank lines compress ~1000× (the default allows 200×)
    let bomb = gz(&|w| {
        let chunk = vec![b'\n'; 1 << 20];
        for _ in 0..16 {
            w.write_all(&chunk).unwrap();
        }
    });
    // one 8 KiB line: fine by default, too long for max_line_bytes = 4000 (the sample's real
    // lines are under 2 KiB)
    let long = gz(&|w| {
        writeln!(
            w,
            "{{\"Subtotal\": \"1.00\", \"X\": \"{}\"}}",
            "y".repeat(8192)
        )
        .unwrap()
    });
    let rel = blob_of(&sample_snapshot(), "G099887766");
    for (blob, extra, message) in [
        (
            &bomb,
            "",
            vec!["G099887766", "inflates to more than", "max_inflate_ratio"],
        ),
        (
            &long,
            "max_line_bytes = 4000\n",
            vec!["G099887766", ":1:", "max_line_bytes"],
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let snap = broken_snapshot(tmp.path(), &rel, blob);
        let config = source_keys_config(tmp.path(), &snap, extra);
        fails(&config, &snap, &tmp.path().join("out"), 3, &message);
    }
}

/// Hostile snapshot pages and manifests stop at `[source] max_page_items`, `max_page_bytes` and
/// `max_export_blobs` with an input error naming the file and the key (small limits stand in for
/// the defaults: a page of 10 million tiny items, a 2 GB page, a manifest of a million blobs).
#[test]
fn hostile_pages_and_manifests_stop_at_the_configured_limits() {
    let page = "invoices/G011223344/lineitems/onetime-usagelineitems/page-0001.json";
    let tiny_items = format!(
        "{{\"totalCount\":10000,\"items\":[{}]}}",
        vec!["{}"; 10_000].join(",")
    );
    // 11 blobs (blobCount agreeing)
    let blobs: Vec<serde_json::Value> = (0..11)
        .map(|i| serde_json::json!({"name": format!("part-{i:05}.json.gz")}))
        .collect();
    let manifest = serde_json::json!({"rootDirectory": "https://x.example/r", "blobCount": 11, "blobs": blobs})
        .to_string();
    for (rel, bytes, keys, message) in [
        (
            page,
            &tiny_items,
            "max_page_items = 9999",
            vec!["onetime-usagelineitems/page-0001.json", "holds 10000 items"],
        ),
        (
            page,
            &tiny_items,
            "max_page_bytes = 20000",
            vec![
                "onetime-usagelineitems/page-0001.json",
                "is 30030 bytes, more than",
            ],
        ),
        (
            "invoices/G099887766/export/manifest.json",
            &manifest,
            "max_export_blobs = 10",
            vec![
                "G099887766/export/manifest.json",
                "lists 11 blobs, more than",
            ],
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let snap = broken_snapshot(tmp.path(), rel, bytes.as_bytes());
        let config = source_keys_config(tmp.path(), &snap, &format!("{keys}\n"));
        let named_key = format!("[source] {keys}");
        let mut message = message;
        message.push(&named_key);
        fails(&config, &snap, &tmp.path().join("out"), 3, &message);
    }
}

/// A ledger field longer than `[ledger] max_field_bytes` rejects its row (named by file, line
/// and column, the cell cut in the report) and the run goes on; a record longer than 128 × the
/// limit (an unclosed quote running on) stops the run with an input error naming the line.
#[test]
fn hostile_ledger_fields_are_rejected_and_runaway_records_stop_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = tmp.path().join("ledger.csv");
    let header = "entry_id,posting_date,invoice_number,customer_id,amount,currency,description";
    let long = "x".repeat(5000);
    std::fs::write(
        &ledger,
        format!(
            "{header}\nL-1,2025-03-01,,c1,1.00,EUR,short\nL-2,2025-03-01,,c1,2.00,EUR,{long}\nL-3,2025-03-01,,c1,3.00,EUR,fine\n"
        ),
    )
    .unwrap();
    let config = write_config(
        tmp.path(),
        &sample_snapshot(),
        &[ledger.to_string_lossy().into_owned()],
        "",
    );
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[ledger]\n", "[ledger]\nmax_field_bytes = 4096\n");
    std::fs::write(&config, text).unwrap();
    let out = tmp.path().join("out");
    let o = reconcile_with(
        &config,
        &sample_snapshot(),
        &["--out", out.to_str().unwrap()],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let rejected = read_csv(&out.join("latest/rejected_ledger_rows.csv"));
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    let r = &rejected[0];
    assert_eq!((r["line"].as_str(), r["entry_id"].as_str()), ("3", "L-2"));
    assert!(
        r["reason"].starts_with("field too long: \"description\" is 5000 bytes")
            && r["reason"].contains("max_field_bytes = 4096"),
        "{r:?}"
    );
    assert!(
        r["description"].ends_with("… (5000 bytes, cut)") && r["description"].len() < 300,
        "{r:?}"
    );

    // an unclosed quote on line 3 runs past 128 × 100 bytes
    std::fs::write(
        &ledger,
        format!(
            "{header}\nL-1,2025-03-01,,c1,1.00,EUR,short\nL-2,2025-03-01,,c1,2.00,EUR,\"{}\n",
            "y\n".repeat(10_000)
        ),
    )
    .unwrap();
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("max_field_bytes = 4096", "max_field_bytes = 100");
    std::fs::write(&config, text).unwrap();
    fails(
        &config,
        &sample_snapshot(),
        &tmp.path().join("out2"),
        3,
        &[
            "ledger.csv:3:",
            "a record longer than 12800 bytes (128 × [ledger] max_field_bytes)",
        ],
    );
}
