//! `pcrecon manifest --snapshot DIR [--source TEXT]`
//!
//! Writes `DIR/manifest.json` for a snapshot made or edited by hand: every file with its size and
//! sha256 (what `fetch` writes for the snapshots it takes).

use std::path::PathBuf;

use clap::Args;

use super::Global;
use crate::error::{Error, Result};
use crate::source::snapshot;

/// Arguments of `manifest`.
#[derive(Debug, Args)]
pub(crate) struct ManifestArgs {
    /// The snapshot folder.
    #[arg(long, value_name = "DIR")]
    pub(crate) snapshot: PathBuf,
    /// Where the data came from (recorded in the manifest).
    #[arg(long, default_value = "made by hand")]
    pub(crate) source: String,
    /// When it was fetched (RFC 3339); default now.
    #[arg(long, value_name = "TIME")]
    pub(crate) fetched_at: Option<String>,
}

/// Runs `manifest`.
pub(crate) fn execute(_g: &Global, a: &ManifestArgs) -> Result<i32> {
    if !a.snapshot.is_dir() {
        return Err(Error::input_file(&a.snapshot, "is not a folder"));
    }
    let at = a
        .fetched_at
        .clone()
        .unwrap_or_else(|| chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let path = snapshot::write_manifest(&a.snapshot, &a.source, &at, serde_json::Value::Null)?;
    super::print_stdout(&format!("{}\n", path.display()));
    Ok(0)
}
