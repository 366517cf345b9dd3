//! `report.html` as a person sees it: opened from disk in headless Chromium, its own controls
//! driven by a test script appended to a copy of the page, the DOM read back after the scripts ran.
//! Skipped (with a message) only when Chromium is missing outside CI; under `CI=true` it runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use crate::common::*;

/// Hostile text for ledger fields: markup, a script, an event handler, a spreadsheet formula.
pub const SCRIPT: &str = "<script>document.title='pwned'</script>";
pub const IMG: &str = "<img src=x onerror=alert(1)>";
pub const FORMULA: &str = r#"=HYPERLINK("http://x","y")"#;

/// Reconciles the sample data with every format into `tmp`; returns the `latest` folder. With
/// `hostile`, the ledger gains a booked row whose keys and description are hostile text and a
/// rejected row holding it too.
pub fn analyst_run(tmp: &Path, hostile: bool) -> PathBuf {
    let snapshot = root().join("sample-data/partner-center");
    let mut ledger = vec![
        root()
            .join("sample-data/ledger/*.csv")
            .to_string_lossy()
            .into_owned(),
    ];
    if hostile {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let header = "entry_id,posting_date,invoice_number,customer_id,subscription_id,order_id,product_id,sku_id,charge_type,charge_start_date,charge_end_date,quantity,amount,currency,description";
        let booked = format!(
            "GL-X-1,2025-03-07,G055667788,{},{},{},P,0001,new,2025-02-01,2025-02-28,1,12.34,EUR,{}",
            q(SCRIPT),
            q(IMG),
            q(FORMULA),
            q(&format!("{SCRIPT} {IMG}"))
        );
        let rejected = format!(
            "{},2025-03-07,G055667788,{},s,o,P,0001,new,2025-02-01,2025-02-28,1,not-an-amount,EUR,{}",
            q(FORMULA),
            q(IMG),
            q(SCRIPT)
        );
        let path = tmp.join("hostile.csv");
        std::fs::write(&path, format!("{header}\n{booked}\n{rejected}\n")).unwrap();
        ledger.push(path.to_string_lossy().into_owned());
    }
    let config = write_config(
        tmp,
        &snapshot,
        &ledger,
        "formats = [\"csv\", \"parquet\", \"html\", \"xlsx\"]",
    );
    let o = reconcile_with(&config, &snapshot, &[]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    tmp.join("reports/latest")
}

/// The Chromium binary, or `None` (after saying so) when it is missing outside CI.
fn chromium() -> Option<&'static str> {
    let found = Command::new("chromium")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some("chromium");
    }
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
    assert!(
        !ci,
        "CI is set but chromium is missing: .ci/run installs it (apt-get install -y chromium)"
    );
    println!(
        "SKIPPED: chromium is not installed (apt-get install -y chromium); CI would fail here"
    );
    None
}

/// Runs headless Chromium on `page` with the flags that keep it off the network; returns
/// (stdout, stderr).
fn run_chromium(bin: &str, page: &Path, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--disable-quic".into(),
        "--enable-logging=stderr".into(),
        "--v=0".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(format!("file://{}", page.display()));
    let o = Command::new(bin)
        .args(&args)
        .output()
        .expect("run chromium");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "chromium failed: {err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// Drives the page's own controls and writes what it saw into `<pre id="observations">`.
const PROBE: &str = r#"<script>
(function () {
  var out = { errors: [] };
  window.addEventListener('error', function (e) { out.errors.push(String(e.message)); });
  try {
    var text = function (el, sel) { return el.querySelector(sel).textContent; };
    out.title = document.title;
    out.cards = Array.prototype.map.call(document.querySelectorAll('.card'), function (c) {
      return { currency: c.getAttribute('data-currency'), status: c.getAttribute('data-status'),
        rows: text(c, '.rows'), pc_amount: text(c, '.pc_amount'),
        ledger_amount: text(c, '.ledger_amount'), difference: text(c, '.difference') };
    });
    var t = document.getElementById('differences');
    var col = function (name) {
      return Array.prototype.findIndex.call(t.tHead.rows[0].cells, function (th) { return th.getAttribute('data-name') === name; });
    };
    var diff = col('difference'), cur = col('currency');
    var values = function () { return Array.prototype.map.call(t.tBodies[0].rows, function (r) { return r.cells[diff].getAttribute('data-sort'); }); };
    out.before = values();
    t.tHead.rows[0].cells[diff].querySelector('button').click();
    out.after = values();
    var select = document.querySelector('select[data-filter=currency]');
    select.value = 'EUR';
    select.dispatchEvent(new Event('change'));
    var seen = {};
    out.hidden = 0;
    Array.prototype.forEach.call(t.tBodies[0].rows, function (r) {
      if (r.hidden) { out.hidden += 1; } else { seen[r.cells[cur].textContent] = true; }
    });
    out.visible_currencies = Object.keys(seen);
    out.shown = document.getElementById('differences-shown').textContent;
    out.images = document.querySelectorAll('img').length;
    out.resources = performance.getEntriesByType('resource').map(function (e) { return e.name; });
  } catch (e) {
    out.errors.push(String(e));
  }
  var pre = document.createElement('pre');
  pre.id = 'observations';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}());
</script>"#;

/// Opens a copy of `report.html` with [`PROBE`] appended; returns its observations and the
/// dumped DOM. Fails on any console message (errors, CSP violations of a request).
fn observe(bin: &str, latest: &Path) -> (Value, String) {
    let html = std::fs::read_to_string(latest.join("report.html")).unwrap();
    let probed = latest.join("report-probe.html");
    std::fs::write(
        &probed,
        html.replace("</body>", &format!("{PROBE}\n</body>")),
    )
    .unwrap();
    let (dom, log) = run_chromium(bin, &probed, &["--dump-dom", "--virtual-time-budget=5000"]);
    std::fs::remove_file(&probed).unwrap();
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let start = dom.find("<pre id=\"observations\">").expect("observations") + 23;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    let obs: Value = serde_json::from_str(&json).expect("observations are JSON");
    assert_eq!(obs["errors"], serde_json::json!([]), "script errors");
    assert_eq!(
        obs["resources"],
        serde_json::json!([]),
        "the page requested something"
    );
    (obs, dom)
}

/// `1234.565` → `1,234.57` (cents, half away from zero, digits grouped), as the cards show money.
fn cents(d: Decimal) -> String {
    let s = format!(
        "{:.2}",
        d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    );
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = s.split_once('.').unwrap();
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

#[test]
fn the_page_in_a_browser_matches_the_summary_and_its_controls_work() {
    let Some(bin) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let latest = analyst_run(tmp.path(), false);
    let (obs, _) = observe(bin, &latest);

    // totals per currency and status (and all) equal summary.json's, to the cent
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(latest.join("summary.json")).unwrap())
            .unwrap();
    let card = |cur: &str, status: &str| -> Value {
        obs["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["currency"] == cur && c["status"] == status)
            .unwrap_or_else(|| panic!("no card {cur} {status}"))
            .clone()
    };
    let mut all: std::collections::BTreeMap<String, (u64, Decimal, Decimal)> = Default::default();
    let totals = summary["totals"].as_array().unwrap();
    assert!(totals.len() >= 2);
    for t in totals {
        let cur = t["currency"].as_str().unwrap();
        let c = card(cur, t["status"].as_str().unwrap());
        assert_eq!(c["rows"], t["rows"].to_string(), "{t}");
        for k in ["pc_amount", "ledger_amount", "difference"] {
            let want = format!("{} {cur}", cents(dec(t[k].as_str().unwrap())));
            assert_eq!(c[k], want, "{k} of {t}");
        }
        let a = all.entry(cur.to_owned()).or_default();
        a.0 += t["rows"].as_u64().unwrap();
        a.1 += dec(t["pc_amount"].as_str().unwrap());
        a.2 += dec(t["ledger_amount"].as_str().unwrap());
    }
    for (cur, (rows, pc, ledger)) in &all {
        let c = card(cur, "all");
        assert_eq!(c["rows"], rows.to_string());
        assert_eq!(c["difference"], format!("{} {cur}", cents(pc - ledger)));
    }

    // sorting by difference reorders the rows, ascending
    let nums = |k: &str| -> Vec<Decimal> {
        obs[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| Decimal::from_str(v.as_str().unwrap()).unwrap())
            .collect()
    };
    let (before, after) = (nums("before"), nums("after"));
    assert!(before.len() > 5);
    assert_ne!(before, after, "sorting changed nothing");
    assert!(after.windows(2).all(|w| w[0] <= w[1]), "{after:?}");

    // filtering by a currency hides the others
    assert_eq!(obs["visible_currencies"], serde_json::json!(["EUR"]));
    assert!(obs["hidden"].as_u64().unwrap() > 0);
    assert!(obs["shown"].as_str().unwrap().ends_with("rows shown"));

    // the picture in the README: refreshed with PCRECON_SCREENSHOT=docs/report.png (a test run
    // must not dirty the tree: the run id in the picture changes every time)
    let png = match std::env::var_os("PCRECON_SCREENSHOT") {
        Some(p) => root().join(p),
        None => tmp.path().join("report.png"),
    };
    std::fs::create_dir_all(png.parent().unwrap()).unwrap();
    run_chromium(
        bin,
        &latest.join("report.html"),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,1800",
            "--hide-scrollbars",
        ],
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

#[test]
fn hostile_ledger_text_stays_text_in_the_browser() {
    let Some(bin) = chromium() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let latest = analyst_run(tmp.path(), true);
    let html = std::fs::read_to_string(latest.join("report.html")).unwrap();
    assert!(!html.contains(SCRIPT) && !html.contains(IMG), "unescaped");
    assert!(html.contains("&lt;script&gt;document.title="));
    let (obs, dom) = observe(bin, &latest);
    let run_id = std::fs::read_link(tmp.path().join("reports/latest")).unwrap();
    let title = format!("pcrecon run {}", run_id.display());
    assert_eq!(obs["title"], title.as_str());
    assert!(dom.contains(&format!("<title>{title}</title>")));
    assert_eq!(obs["images"], 0, "an <img> from the ledger became markup");
    // the hostile row is there, as text
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
}
