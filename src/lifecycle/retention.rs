//! Retention: after a run publishes, the oldest run folders beyond `keep` are deleted
//! (`[report] keep_runs`, `[source] keep_snapshots`; 0 keeps all). Only folders whose names are
//! run ids are counted or deleted, never the one `latest` points to, never anything else.

use std::path::Path;

/// A run id's sort key (`YYYY-MM-DDTHHMMSSZ` with an optional `-N` suffix), or `None` for any
/// other name.
fn run_id_key(name: &str) -> Option<(&str, u32)> {
    let base = name.get(..18)?;
    chrono::NaiveDateTime::parse_from_str(base, "%Y-%m-%dT%H%M%SZ").ok()?;
    let suffix = match &name[18..] {
        "" => 1,
        rest => {
            let n = rest.strip_prefix('-')?;
            if n.starts_with('0') {
                return None;
            }
            n.parse::<u32>().ok().filter(|n| *n >= 2)?
        }
    };
    Some((base, suffix))
}

/// The names of the folders in `dir` that are run ids, oldest first (none when `dir` cannot be
/// listed).
pub(crate) fn run_folders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut runs: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| run_id_key(n).is_some())
        .collect();
    runs.sort_by(|a, b| run_id_key(a).cmp(&run_id_key(b)));
    runs
}

/// Deletes the oldest run-id folders in `dir` beyond the newest `keep` (0 = keep all), sparing the
/// one `dir/latest` points to; logs each deletion and returns the deleted names, oldest first.
/// `what` names the folders in the log (`report run`, `snapshot`).
pub(crate) fn prune(dir: &Path, keep: usize, what: &str) -> Vec<String> {
    if keep == 0 {
        return Vec::new();
    }
    let latest = std::fs::read_link(dir.join("latest"))
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let runs = run_folders(dir);
    let excess = runs.len().saturating_sub(keep);
    let mut deleted = Vec::new();
    for name in runs.into_iter().take(excess) {
        if latest.as_deref() == Some(name.as_str()) {
            continue;
        }
        let path = dir.join(&name);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {
                tracing::info!(folder = %path.display(), keep, "retention: deleted an old {what} folder");
                deleted.push(name);
            }
            Err(e) => {
                tracing::warn!(folder = %path.display(), error = %e, "retention: cannot delete an old {what} folder")
            }
        }
    }
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_run_ids_count() {
        assert_eq!(
            run_id_key("2026-11-24T030000Z"),
            Some(("2026-11-24T030000Z", 1))
        );
        assert_eq!(
            run_id_key("2026-11-24T030000Z-12"),
            Some(("2026-11-24T030000Z", 12))
        );
        for other in [
            "latest",
            "2026-11-24T030000Z-1",
            "2026-11-24T030000Z-x",
            "2026-13-24T030000Z",
            "2026-11-24T030000",
            "notes-2026-11-24T030000Z",
            ".pcrecon-staging-2026-11-24T030000Z-7",
        ] {
            assert_eq!(run_id_key(other), None, "{other}");
        }
    }

    #[test]
    fn keeps_the_newest_n_and_the_latest_and_nothing_else_is_touched() {
        let d = tempfile::tempdir().unwrap();
        let names = [
            "2026-11-20T030000Z",
            "2026-11-21T030000Z",
            "2026-11-21T030000Z-2",
            "2026-11-21T030000Z-10",
            "2026-11-22T030000Z",
            "keep-me",
        ];
        for n in names {
            std::fs::create_dir(d.path().join(n)).unwrap();
        }
        std::fs::write(d.path().join("2026-11-19T030000Z"), "a file, not a run").unwrap();
        // latest points at the oldest run: it survives although beyond N
        std::os::unix::fs::symlink("2026-11-20T030000Z", d.path().join("latest")).unwrap();
        let deleted = prune(d.path(), 2, "report run");
        assert_eq!(deleted, ["2026-11-21T030000Z", "2026-11-21T030000Z-2"]);
        let mut left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "2026-11-19T030000Z",
                "2026-11-20T030000Z",
                "2026-11-21T030000Z-10",
                "2026-11-22T030000Z",
                "keep-me",
                "latest"
            ]
        );
        assert!(prune(d.path(), 0, "report run").is_empty(), "0 keeps all");
    }
}
