//! `[source]`: where the Partner Center data comes from.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::Invalid;

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
    /// Largest JSON document read whole, in bytes: an API response or a snapshot page (a real
    /// page of 2,000 line items is a few MB).
    pub(crate) max_page_bytes: u64,
    /// Most items on one v1 page (the API sends at most 2,000).
    pub(crate) max_page_items: u64,
    /// Most blobs one export manifest may list (a real export has a few dozen).
    pub(crate) max_export_blobs: u64,
}

impl SourceConfig {
    /// The ranges the numbers must be in: a limit of 0 would refuse every page.
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        // 0 would refuse every line, blob or page: never what a user means
        for (key, v) in [
            ("source.max_line_bytes", self.max_line_bytes),
            ("source.max_inflate_ratio", self.max_inflate_ratio),
            ("source.max_page_bytes", self.max_page_bytes),
            ("source.max_page_items", self.max_page_items),
            ("source.max_export_blobs", self.max_export_blobs),
        ] {
            if v == 0 {
                return Err(Invalid::new(key, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// The limits on what a snapshot's files may hold.
    pub(crate) fn limits(&self) -> ReadLimits {
        ReadLimits {
            max_line_bytes: self.max_line_bytes,
            max_inflate_ratio: self.max_inflate_ratio,
            max_page_bytes: self.max_page_bytes,
            max_page_items: self.max_page_items,
            max_export_blobs: self.max_export_blobs,
        }
    }
}

/// Limits on snapshot files and API responses (`[source] max_line_bytes`, `max_inflate_ratio`,
/// `max_page_bytes`, `max_page_items`, `max_export_blobs`): a corrupt or hostile file stops the run
/// with an input error (exit 3) naming it, a hostile response the fetch with a source error (exit
/// 4), instead of exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadLimits {
    /// See [`SourceConfig::max_line_bytes`].
    pub(crate) max_line_bytes: u64,
    /// See [`SourceConfig::max_inflate_ratio`].
    pub(crate) max_inflate_ratio: u64,
    /// See [`SourceConfig::max_page_bytes`].
    pub(crate) max_page_bytes: u64,
    /// See [`SourceConfig::max_page_items`].
    pub(crate) max_page_items: u64,
    /// See [`SourceConfig::max_export_blobs`].
    pub(crate) max_export_blobs: u64,
}

impl ReadLimits {
    /// Why a JSON document of `bytes` bytes is not read, if it is too large.
    pub(crate) fn page_bytes_error(&self, bytes: u64) -> Option<String> {
        (bytes > self.max_page_bytes).then(|| {
            format!(
                "is {bytes} bytes, more than [source] max_page_bytes = {}: not a page of line items",
                self.max_page_bytes
            )
        })
    }

    /// Why a page of `items` items is refused, if it holds too many.
    pub(crate) fn page_items_error(&self, items: usize) -> Option<String> {
        (items as u64 > self.max_page_items).then(|| {
            format!(
                "holds {items} items, more than [source] max_page_items = {} (the API sends at most 2,000 a page)",
                self.max_page_items
            )
        })
    }

    /// Why a manifest listing `blobs` blobs is refused, if it lists too many.
    pub(crate) fn export_blobs_error(&self, blobs: usize) -> Option<String> {
        (blobs as u64 > self.max_export_blobs).then(|| {
            format!(
                "lists {blobs} blobs, more than [source] max_export_blobs = {}",
                self.max_export_blobs
            )
        })
    }
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
            max_page_bytes: 64 << 20,
            max_page_items: 100_000,
            max_export_blobs: 10_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::config_error;

    #[test]
    fn read_limits_must_be_at_least_1() {
        for key in [
            "max_line_bytes",
            "max_inflate_ratio",
            "max_page_bytes",
            "max_page_items",
            "max_export_blobs",
        ] {
            let e = config_error(&format!("[source]\n{key} = 0"), key);
            assert!(e.contains("must be at least 1"), "{e}");
        }
    }

    #[test]
    fn an_unknown_kind_names_the_key_and_the_kinds() {
        let e = config_error("[source]\nkind = \"ftp\"", "source.kind");
        assert!(
            e.ends_with(r#"source.kind: "ftp" is not "snapshot" or "partner_center""#),
            "{e}"
        );
    }
}
