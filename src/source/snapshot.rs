//! Reads a snapshot folder in the contract's layout:
//!
//! ```text
//! summaries.json
//! invoices/page-0001.json …
//! invoices/<invoice-id>/lineitems/<provider>-<type>/page-0001.json …
//! invoices/<invoice-id>/export/manifest.json + <blob>.json.gz
//! unbilled/<period>-<currency>/manifest.json + <blob>.json.gz (or operation.json: no data)
//! manifest.json
//! ```
//!
//! This module only finds and parses the small files (invoice pages, summaries, export manifests)
//! and lists the line item files; `normalise` parses those. Which feed folders exist is the
//! feed table's ([`crate::model::feed`]); its `manifest` part writes `manifest.json`.

mod manifest;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::model::api_date;
use crate::model::feed::Feed;
use crate::model::fnv::fnv1a;
use crate::model::invoice::{Collection, ExportManifest, Invoice, InvoiceSummary, InvoiceType};
use crate::model::json::{parse_json_folded, read_document, read_json_folded};
use crate::model::period::Period;
use crate::source::config::ReadLimits;
pub(crate) use manifest::{file_sha256, write_manifest};

/// One line item file of an invoice.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// Which feed it belongs to (its parser and encoding too).
    pub(crate) feed: Feed,
    /// The file.
    pub(crate) path: PathBuf,
}

/// An invoice of the snapshot with its line item files.
#[derive(Debug, Clone)]
pub(crate) struct SnapshotInvoice {
    /// The header as the invoice pages have it.
    pub(crate) header: Invoice,
    /// `invoiceDate` as a UTC date.
    pub(crate) date: Option<NaiveDate>,
    /// `billingPeriodStartDate` and `billingPeriodEndDate` as UTC dates.
    pub(crate) billing_period: (Option<NaiveDate>, Option<NaiveDate>),
    /// `recurring` / `one_time`.
    pub(crate) invoice_type: InvoiceType,
    /// Line item files, in reading order (feed, then page or blob order).
    pub(crate) parts: Vec<Part>,
}

/// One unbilled-reconciliation export of the snapshot (`unbilled/<period>-<currency>/`).
#[derive(Debug, Clone)]
pub(crate) struct UnbilledExport {
    /// `current` or `last`.
    pub(crate) billing_period: String,
    /// The currency the export was asked for.
    pub(crate) currency: String,
    /// Its blobs (none when the export had no data).
    pub(crate) parts: Vec<Part>,
}

/// A snapshot folder, opened.
#[derive(Debug)]
pub(crate) struct Snapshot {
    /// Invoices (after `--period` filtering), sorted by id.
    pub(crate) invoices: Vec<SnapshotInvoice>,
    /// Account balances per currency, when `summaries.json` is there.
    pub(crate) summaries: Vec<InvoiceSummary>,
    /// `manifest.json`, when present.
    pub(crate) manifest: Option<PathBuf>,
    /// Ids (trimmed, upper-cased) of the snapshot's invoices left out by `--period`.
    pub(crate) outside_period: BTreeSet<String>,
    /// The unbilled exports (`unbilled/`), by folder name; empty when the snapshot has none.
    pub(crate) unbilled: Vec<UnbilledExport>,
    /// What its files may hold (`[source]` limits).
    pub(crate) limits: ReadLimits,
}

/// The folder name for an invoice id. Ids come from the network: anything but ASCII letters,
/// digits, `-`, `_` and `.` is replaced, a leading `.` is escaped, and a changed id gets a short
/// hash of the original so two ids never share a folder.
pub fn invoice_folder_name(id: &str) -> String {
    safe_file_name(id)
}

/// A safe single path component for a name that came from the network (invoice ids, blob names).
pub fn safe_file_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') || out.is_empty() {
        out.insert(0, '_');
    }
    if out != name {
        out.push_str(&format!("-{:08x}", fnv1a(name.as_bytes()) as u32));
    }
    out
}

/// Sorted `page-*.json` files of a folder (hidden entries ignored).
fn pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = list_dir(dir)?
        .into_iter()
        .filter(|p| {
            let n = file_name(p);
            n.starts_with("page-") && n.ends_with(".json")
        })
        .collect();
    v.sort();
    Ok(v)
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// Entries of a folder, hidden ones left out; a missing folder is empty.
fn list_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::input_file(dir, format!("cannot list: {e}"))),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::input_file(dir, format!("cannot list: {e}")))?;
        if !entry.file_name().to_string_lossy().starts_with('.') {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

impl Snapshot {
    /// Opens the snapshot at `root`: invoice pages, summaries, and the list of line item files of
    /// each invoice whose date falls in one of `periods` (all invoices when empty), its files held
    /// to `limits`.
    pub(crate) fn open(root: &Path, periods: &[Period], limits: ReadLimits) -> Result<Snapshot> {
        if !root.is_dir() {
            return Err(Error::input_file(
                root,
                "is not a snapshot folder (expected invoices/page-0001.json inside)",
            ));
        }
        let invoice_pages = pages(&root.join("invoices"))?;
        if invoice_pages.is_empty() {
            return Err(Error::input_file(
                &root.join("invoices"),
                "holds no invoice pages (page-0001.json …)",
            ));
        }
        let mut seen = BTreeSet::new();
        let mut outside_period = BTreeSet::new();
        let mut invoices = Vec::new();
        for page in &invoice_pages {
            let coll: Collection<Invoice> = read_json_folded(page, &limits)?;
            // nested amendments are documents of their own, each with its own date
            for header in coll.items.into_iter().flat_map(Invoice::documents) {
                if !seen.insert(header.id.clone()) {
                    tracing::warn!(invoice = %header.id, page = %page.display(), "invoice listed twice; the first listing is used");
                    continue;
                }
                let date_of = |field: &str, value: Option<&str>| {
                    value
                        .map(api_date)
                        .transpose()
                        .map(Option::flatten)
                        .map_err(|e| {
                            Error::input_file(page, format!("invoice {}: {field} {e}", header.id))
                        })
                };
                let date = date_of("invoiceDate", header.invoice_date.as_deref())?;
                let billing_period = (
                    date_of(
                        "billingPeriodStartDate",
                        header.billing_period_start_date.as_deref(),
                    )?,
                    date_of(
                        "billingPeriodEndDate",
                        header.billing_period_end_date.as_deref(),
                    )?,
                );
                if !periods.is_empty()
                    && !date.is_some_and(|d| periods.iter().any(|p| p.contains(d)))
                {
                    outside_period.insert(header.id.trim().to_uppercase());
                    continue;
                }
                let invoice_type = InvoiceType::of(&header);
                let folder = root.join("invoices").join(invoice_folder_name(&header.id));
                let parts = invoice_parts(&folder, &header.id, &limits)?;
                check_complete(&header, &folder, &parts)?;
                invoices.push(SnapshotInvoice {
                    header,
                    date,
                    billing_period,
                    invoice_type,
                    parts,
                });
            }
        }
        invoices.sort_by(|a, b| a.header.id.cmp(&b.header.id));
        let summaries_path = root.join("summaries.json");
        let summaries = if summaries_path.exists() {
            read_json_folded::<Collection<InvoiceSummary>>(&summaries_path, &limits)?.items
        } else {
            Vec::new()
        };
        let manifest = Some(root.join("manifest.json")).filter(|p| p.is_file());
        if manifest.is_none() {
            tracing::warn!(snapshot = %root.display(), "snapshot has no manifest.json; its inputs cannot be fingerprinted");
        }
        Ok(Snapshot {
            invoices,
            summaries,
            manifest,
            outside_period,
            unbilled: unbilled_exports(&root.join("unbilled"), &limits)?,
            limits,
        })
    }
}

/// The unbilled exports under `dir`: each `<period>-<currency>` folder with a manifest (its blobs)
/// or an `operation.json` (no data); other entries are skipped with a warning.
fn unbilled_exports(dir: &Path, limits: &ReadLimits) -> Result<Vec<UnbilledExport>> {
    let mut out = Vec::new();
    for folder in list_dir(dir)? {
        let name = file_name(&folder);
        let split = name
            .split_once('-')
            .filter(|(p, c)| matches!(*p, "current" | "last") && !c.is_empty());
        let Some((period, currency)) = split.filter(|_| folder.is_dir()) else {
            tracing::warn!(entry = %folder.display(), "not an unbilled export folder (<current|last>-<currency>), skipped");
            continue;
        };
        let parts = if folder.join("manifest.json").is_file() {
            export_parts(&folder, &format!("unbilled export {name}"), limits)?
        } else if folder.join("operation.json").is_file() {
            Vec::new()
        } else {
            return Err(Error::input_file(
                &folder,
                "holds neither manifest.json nor operation.json; the unbilled export is incomplete: fetch it again",
            ));
        };
        out.push(UnbilledExport {
            billing_period: period.to_owned(),
            currency: currency.to_owned(),
            parts,
        });
    }
    Ok(out)
}

/// The blobs an export folder's `manifest.json` lists, each checked to be there (at most
/// `[source] max_export_blobs`). `what` names the export in messages.
fn export_parts(dir: &Path, what: &str, limits: &ReadLimits) -> Result<Vec<Part>> {
    let manifest_path = dir.join("manifest.json");
    let manifest = parse_export_manifest(
        &manifest_path,
        &read_document(&manifest_path, limits)?,
        what,
        limits,
    )?;
    let mut parts = Vec::new();
    for blob in &manifest.blobs {
        let path = dir.join(safe_file_name(&blob.name));
        if !path.is_file() {
            return Err(Error::input_file(
                &manifest_path,
                format!("lists blob {:?}, which is not in the snapshot", blob.name),
            ));
        }
        parts.push(Part {
            feed: Feed::Export,
            path,
        });
    }
    Ok(parts)
}

/// An export's `manifest.json` (bytes read from `manifest_path`), refused when its `blobCount`
/// disagrees with its blob list. `what` names the export in messages.
pub(crate) fn parse_export_manifest(
    manifest_path: &Path,
    bytes: &[u8],
    what: &str,
    limits: &ReadLimits,
) -> Result<ExportManifest> {
    let manifest: ExportManifest = parse_json_folded(manifest_path, bytes)?;
    if let Some(why) = limits.export_blobs_error(manifest.blobs.len()) {
        return Err(Error::input_file(manifest_path, format!("{what}: {why}")));
    }
    if let Some(why) = manifest.blob_count_error() {
        return Err(Error::input_file(
            manifest_path,
            format!("{what}: {why}; the export is incomplete: fetch it again"),
        ));
    }
    Ok(manifest)
}

/// Refuses an invoice that lists a feed the snapshot holds no files for: read as is, its lines
/// would be missing without a word. A feed the v2 export carries is there when the export is.
fn check_complete(header: &Invoice, folder: &Path, parts: &[Part]) -> Result<()> {
    let has_export = folder.join("export").join("manifest.json").is_file();
    for (feed, detail) in header.listed_feeds() {
        let spec = feed.spec();
        if parts.iter().any(|p| p.feed == feed) || (spec.also_in_export && has_export) {
            continue;
        }
        return Err(Error::input_file(
            &folder.join("lineitems").join(spec.folder),
            format!(
                "invoice {} lists feed {} ({}, {}) but the snapshot has no files for it; the snapshot is incomplete: fetch it again",
                header.id,
                spec.folder,
                detail.billing_provider.as_deref().unwrap_or(""),
                detail.invoice_line_item_type.as_deref().unwrap_or(""),
            ),
        ));
    }
    Ok(())
}

/// Lists the line item files of one invoice folder.
fn invoice_parts(folder: &Path, id: &str, limits: &ReadLimits) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    for feed_dir in list_dir(&folder.join("lineitems"))? {
        let name = file_name(&feed_dir);
        let Some(feed) = Feed::from_folder(name) else {
            tracing::warn!(folder = %feed_dir.display(), "unknown line item feed folder, skipped");
            continue;
        };
        for path in pages(&feed_dir)? {
            parts.push(Part { feed, path });
        }
    }
    if folder.join("export").join("manifest.json").is_file() {
        parts.extend(export_parts(
            &folder.join("export"),
            &format!("invoice {id}"),
            limits,
        )?);
        if let Some(p) = parts.iter().find(|p| p.feed.spec().also_in_export) {
            return Err(Error::input_file(
                folder,
                format!(
                    "invoice {id} has both v1 {} and a v2 export of the same lines; keep one of them",
                    p.feed.spec().folder
                ),
            ));
        }
    }
    parts.sort_by(|a, b| (a.feed, &a.path).cmp(&(b.feed, &b.path)));
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_stay_one_safe_component() {
        for id in [
            "../x",
            "..",
            ".",
            "",
            "a/b",
            "a\\b",
            "/etc/passwd",
            "G000\u{0}1",
            "ünï",
        ] {
            let n = invoice_folder_name(id);
            assert!(
                !n.is_empty() && !n.starts_with('.') && !n.contains(['/', '\\', '\0']),
                "{id:?} -> {n:?}"
            );
        }
        assert_eq!(invoice_folder_name("G048211907"), "G048211907");
        assert_ne!(invoice_folder_name("a/b"), invoice_folder_name("a_b"));
    }
}
