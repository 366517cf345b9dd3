//! `[source]`: where the Partner Center data comes from.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where the Partner Center data comes from (`source.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceKind {
    /// A snapshot folder already on disk (`source.dir`).
    Snapshot,
    /// Fetched from the API into a new snapshot under `source.snapshot_dir`.
    PartnerCenter,
}

crate::config::choice!(SourceKind {
    "snapshot" => SourceKind::Snapshot,
    "partner_center" => SourceKind::PartnerCenter,
});

/// `[source]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SourceConfig {
    /// `snapshot` or `partner_center`.
    pub(crate) kind: SourceKind,
    /// Snapshot folder read when `kind = "snapshot"`.
    pub(crate) dir: PathBuf,
    /// Where `run` keeps fetched snapshots (`kind = "partner_center"`).
    pub(crate) snapshot_dir: PathBuf,
    /// Snapshots kept in `snapshot_dir` after a fetch (0 = keep all).
    pub(crate) keep_snapshots: u32,
    /// Longest JSON line in an export blob, in bytes (a real line is a few KB).
    pub(crate) max_line_bytes: u64,
    /// Most bytes a gzip blob may inflate to per byte of its file (JSON lines compress ~10–30×;
    /// deflate itself cannot pass ~1,032×).
    pub(crate) max_inflate_ratio: u64,
}

impl SourceConfig {
    /// The limits on what a snapshot's files may hold.
    pub(crate) fn limits(&self) -> ReadLimits {
        ReadLimits {
            max_line_bytes: self.max_line_bytes,
            max_inflate_ratio: self.max_inflate_ratio,
        }
    }
}

/// Limits on snapshot files (`[source] max_line_bytes`, `max_inflate_ratio`): a corrupt or hostile
/// file stops the run with an input error (exit 3) naming it, instead of exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadLimits {
    /// See [`SourceConfig::max_line_bytes`].
    pub(crate) max_line_bytes: u64,
    /// See [`SourceConfig::max_inflate_ratio`].
    pub(crate) max_inflate_ratio: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        SourceConfig::default().limits()
    }
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            kind: SourceKind::Snapshot,
            dir: "sample-data/partner-center".into(),
            snapshot_dir: "snapshots".into(),
            keep_snapshots: 0,
            max_line_bytes: 16 << 20,
            max_inflate_ratio: 200,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::config_error;

    #[test]
    fn an_unknown_kind_names_the_key_and_the_kinds() {
        let e = config_error("[source]\nkind = \"ftp\"", "source.kind");
        assert!(
            e.ends_with(r#"source.kind: "ftp" is not "snapshot" or "partner_center""#),
            "{e}"
        );
    }
}
