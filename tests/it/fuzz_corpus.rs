//! Replays the fuzz targets' seed corpus (`fuzz/corpus/<target>/`) and the inputs of crashes
//! fixed since (`fuzz/regressions/<target>/`) through `pcrecon::fuzzing`, as a normal test: no
//! input may panic. The fuzzers themselves need nightly flags (README "Fuzzing").

use std::path::Path;

use crate::common::root;

/// A fuzz target's entry point.
type Target = fn(&[u8]);

/// Every target and its entry point.
const TARGETS: [(&str, Target); 6] = [
    ("json_line", pcrecon::fuzzing::json_line),
    ("v1_page", pcrecon::fuzzing::v1_page),
    ("export_manifest", pcrecon::fuzzing::export_manifest),
    ("ledger_csv", pcrecon::fuzzing::ledger_csv),
    ("decimal", pcrecon::fuzzing::decimal),
    ("config_toml", pcrecon::fuzzing::config_toml),
];

/// The files of `dir`, sorted (none when it does not exist).
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.expect("corpus entry").path()).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file());
    v.sort();
    v
}

#[test]
fn every_seed_and_regression_input_runs_without_a_panic() {
    let fuzz = root().join("fuzz");
    for (target, run) in TARGETS {
        let seeds = files(&fuzz.join("corpus").join(target));
        assert!(!seeds.is_empty(), "fuzz/corpus/{target} holds no seed");
        for input in seeds
            .iter()
            .chain(&files(&fuzz.join("regressions").join(target)))
        {
            let data = std::fs::read(input).expect("read the input");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target} panics on {}", input.display());
        }
    }
}

#[test]
fn every_target_directory_has_an_entry_point() {
    for kind in ["corpus", "regressions"] {
        for dir in folders(&root().join("fuzz").join(kind)) {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/{kind}/{name} is no target's"
            );
        }
    }
}

/// The folders of `dir` (none when it does not exist).
fn folders(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.expect("entry").path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}
