//! Helpers shared by the integration tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::str::FromStr;

use rust_decimal::Decimal;

/// The project root (where `config/` and `sample-data/` are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `pcrecon` binary from the project root with a clean `PCRECON_*` environment.
pub fn pcrecon(args: &[&str]) -> Output {
    pcrecon_env(args, &[])
}

/// Like [`pcrecon`], with extra environment variables.
pub fn pcrecon_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pcrecon"));
    cmd.current_dir(root())
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PCRECON_")) {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pcrecon")
}

/// `pcrecon reconcile --config <config> --snapshot <snapshot> -q` plus `extra` arguments.
pub fn reconcile_with(config: &Path, snapshot: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "reconcile",
        "--config",
        config.to_str().unwrap(),
        "--snapshot",
        snapshot.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    pcrecon(&args)
}

/// The exit code (panics on a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Reads a CSV report into rows of header → cell.
pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// An exact decimal from report text.
pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s:?} is not a decimal: {e}"))
}

/// The folders directly under `dir` (hidden ones included), sorted; the run lock's file
/// (`.pcrecon.lock`, kept between runs by design) is left out.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != ".pcrecon.lock")
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Writes a config file into `dir` pointing at the sample data (absolute paths), with `extra`
/// TOML appended to the sections given.
pub fn write_config(dir: &Path, snapshot: &Path, ledger_paths: &[String], extra: &str) -> PathBuf {
    let paths: Vec<String> = ledger_paths.iter().map(|p| format!("{p:?}")).collect();
    let text = format!(
        "[source]\nkind = \"snapshot\"\ndir = {snap:?}\n\n[ledger]\npaths = [{paths}]\n\n[report]\nout_dir = {out:?}\n{extra}\n",
        snap = snapshot.to_string_lossy(),
        paths = paths.join(", "),
        out = dir.join("reports").to_string_lossy(),
    );
    let p = dir.join("pcrecon.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Sends `signal` (`TERM`, `INT`) to process `pid` with kill(1).
pub fn send_signal(pid: u32, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// Waits up to 30 s for `ready` (polling every 10 ms); panics naming `what` otherwise.
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
