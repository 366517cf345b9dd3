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
}

impl Default for SourceConfig {
    fn default() -> Self {
        SourceConfig {
            kind: SourceKind::Snapshot,
            dir: "sample-data/partner-center".into(),
            snapshot_dir: "snapshots".into(),
            keep_snapshots: 0,
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
