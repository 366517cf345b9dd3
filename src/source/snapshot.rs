//! Reads a snapshot folder in the contract's layout:
//!
//! ```text
//! summaries.json
//! invoices/page-0001.json …
//! invoices/<invoice-id>/lineitems/<provider>-<type>/page-0001.json …
//! invoices/<invoice-id>/export/manifest.json + <blob>.json.gz
//! manifest.json
//! ```
//!
//! This module only finds and parses the small files (invoice pages, summaries, export manifests)
//! and lists the line item files; `normalise` parses those.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::model::invoice::{Collection, ExportManifest, Invoice, InvoiceSummary};
use crate::model::{api_date, enum_eq};

/// A calendar month given with `--period YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let d = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 7)
            .ok_or_else(|| format!("{s:?} is not a month: write YYYY-MM, e.g. 2025-03"))?;
        Ok(Period {
            year: d.year(),
            month: d.month(),
        })
    }
}

impl Period {
    /// True when `date` falls in this month.
    pub fn contains(&self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }
}

/// A line item feed: one `<provider>-<type>` folder, or the v2 export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feed {
    /// `office-billinglineitems`: legacy license-based lines.
    OfficeBilling,
    /// `azure-billinglineitems`: legacy Azure rated usage.
    AzureBilling,
    /// `azure-usagelineitems`: legacy Azure daily usage (quantities only).
    AzureUsage,
    /// `onetime-billinglineitems`: new commerce lines, v1 seek paging.
    OneTimeBilling,
    /// `onetime-usagelineitems`: Azure plan daily-rated usage.
    OneTimeUsage,
    /// `export/`: the Graph v2 billed-reconciliation export (new commerce lines).
    Export,
}

impl Feed {
    /// The v1 feeds with their folder names.
    pub const V1: [(Feed, &'static str); 5] = [
        (Feed::OfficeBilling, "office-billinglineitems"),
        (Feed::AzureBilling, "azure-billinglineitems"),
        (Feed::AzureUsage, "azure-usagelineitems"),
        (Feed::OneTimeBilling, "onetime-billinglineitems"),
        (Feed::OneTimeUsage, "onetime-usagelineitems"),
    ];

    /// The feed of a `lineitems/<provider>-<type>` folder name.
    pub fn from_folder(name: &str) -> Option<Feed> {
        Feed::V1.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The feed for an invoice detail (`billingProvider`, `invoiceLineItemType`), §6.3.
    pub fn from_detail(provider: &str, line_item_type: &str) -> Option<Feed> {
        let billing = enum_eq(line_item_type, "billing_line_items");
        let usage = enum_eq(line_item_type, "usage_line_items");
        match () {
            _ if enum_eq(provider, "office") && billing => Some(Feed::OfficeBilling),
            _ if enum_eq(provider, "azure") && billing => Some(Feed::AzureBilling),
            _ if enum_eq(provider, "azure") && usage => Some(Feed::AzureUsage),
            _ if (enum_eq(provider, "one_time") || enum_eq(provider, "all")) && billing => {
                Some(Feed::OneTimeBilling)
            }
            _ if (enum_eq(provider, "marketplace") || enum_eq(provider, "one_time")) && usage => {
                Some(Feed::OneTimeUsage)
            }
            _ => None,
        }
    }

    /// The folder name under `lineitems/` (the export has its own folder).
    pub fn folder(self) -> &'static str {
        match self {
            Feed::Export => "export",
            f => Feed::V1
                .iter()
                .find(|(x, _)| *x == f)
                .map(|(_, n)| *n)
                .expect("v1 feed"),
        }
    }

    /// Billing feeds carry the billed amounts (charges); usage feeds detail usage already billed.
    pub fn is_billing(self) -> bool {
        !matches!(self, Feed::AzureUsage | Feed::OneTimeUsage)
    }

    /// `billing_provider` as the charges report names it.
    pub fn billing_provider(self) -> &'static str {
        match self {
            Feed::OfficeBilling => "office",
            Feed::AzureBilling | Feed::AzureUsage => "azure",
            Feed::OneTimeBilling | Feed::Export => "one_time",
            Feed::OneTimeUsage => "marketplace",
        }
    }

    /// `line_item_type` as the charges report names it.
    pub fn line_item_type(self) -> &'static str {
        if self.is_billing() {
            "billing_line_items"
        } else {
            "usage_line_items"
        }
    }
}

/// How a line item file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartFormat {
    /// A v1 `ResourceCollection` page.
    JsonPage,
    /// A gzip JSON-lines export blob (possibly multi-member, with a BOM, with blank lines).
    GzipJsonLines,
}

/// One line item file of an invoice.
#[derive(Debug, Clone)]
pub struct Part {
    /// Which feed it belongs to.
    pub feed: Feed,
    /// The file.
    pub path: PathBuf,
    /// Its encoding.
    pub format: PartFormat,
}

/// `Recurring` or `OneTime` invoice (the charges report's `invoice_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceType {
    /// Legacy license-based / recurring invoice.
    Recurring,
    /// New-commerce / one-time invoice.
    OneTime,
}

impl InvoiceType {
    /// The charges report's value.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceType::Recurring => "recurring",
            InvoiceType::OneTime => "one_time",
        }
    }
}

/// An invoice of the snapshot with its line item files.
#[derive(Debug, Clone)]
pub struct SnapshotInvoice {
    /// The header as the invoice pages have it.
    pub header: Invoice,
    /// `invoiceDate` as a UTC date.
    pub date: Option<NaiveDate>,
    /// `recurring` / `one_time`.
    pub invoice_type: InvoiceType,
    /// Line item files, in reading order (feed, then page or blob order).
    pub parts: Vec<Part>,
}

/// A snapshot folder, opened.
#[derive(Debug)]
pub struct Snapshot {
    /// The folder.
    pub root: PathBuf,
    /// Invoices (after `--period` filtering), sorted by id.
    pub invoices: Vec<SnapshotInvoice>,
    /// Account balances per currency, when `summaries.json` is there.
    pub summaries: Vec<InvoiceSummary>,
    /// `manifest.json`, when present.
    pub manifest: Option<PathBuf>,
    /// Ids (trimmed, upper-cased) of the snapshot's invoices left out by `--period`.
    pub outside_period: BTreeSet<String>,
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
        out.push_str(&format!(
            "-{:08x}",
            crate::normalise::fnv1a(name.as_bytes()) as u32
        ));
    }
    out
}

/// Reads and parses one JSON file, naming the file (and line/column) on failure.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?;
    read_json_bytes(path, &bytes)
}

/// Parses JSON bytes read from `path` (borrowing from them), naming the file on failure.
pub fn read_json_bytes<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(strip_bom(bytes))
        .map_err(|e| Error::input_file(path, format!("does not parse as the expected JSON: {e}")))
}

/// The bytes without a leading UTF-8 byte-order mark.
pub fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
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
    /// each invoice whose date falls in one of `periods` (all invoices when empty).
    pub fn open(root: &Path, periods: &[Period]) -> Result<Snapshot> {
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
            let coll: Collection<Invoice> = read_json(page)?;
            for header in coll.items {
                if !seen.insert(header.id.clone()) {
                    tracing::warn!(invoice = %header.id, page = %page.display(), "invoice listed twice; the first listing is used");
                    continue;
                }
                let date = match header.invoice_date.as_deref().map(api_date).transpose() {
                    Ok(d) => d.flatten(),
                    Err(e) => {
                        return Err(Error::input_file(
                            page,
                            format!("invoice {}: invoiceDate {e}", header.id),
                        ));
                    }
                };
                if !periods.is_empty()
                    && !date.is_some_and(|d| periods.iter().any(|p| p.contains(d)))
                {
                    outside_period.insert(header.id.trim().to_uppercase());
                    continue;
                }
                let invoice_type = match header.invoice_type.as_deref() {
                    Some(t) if enum_eq(t, "recurring") => InvoiceType::Recurring,
                    Some(_) => InvoiceType::OneTime,
                    // legacy recurring invoice numbers start with D (API reference §6.1)
                    None if header.id.starts_with('D') => InvoiceType::Recurring,
                    None => InvoiceType::OneTime,
                };
                let folder = root.join("invoices").join(invoice_folder_name(&header.id));
                let parts = invoice_parts(&folder, &header.id)?;
                invoices.push(SnapshotInvoice {
                    header,
                    date,
                    invoice_type,
                    parts,
                });
            }
        }
        invoices.sort_by(|a, b| a.header.id.cmp(&b.header.id));
        let summaries_path = root.join("summaries.json");
        let summaries = if summaries_path.exists() {
            read_json::<Collection<InvoiceSummary>>(&summaries_path)?.items
        } else {
            Vec::new()
        };
        let manifest = Some(root.join("manifest.json")).filter(|p| p.is_file());
        if manifest.is_none() {
            tracing::warn!(snapshot = %root.display(), "snapshot has no manifest.json; its inputs cannot be fingerprinted");
        }
        Ok(Snapshot {
            root: root.to_path_buf(),
            invoices,
            summaries,
            manifest,
            outside_period,
        })
    }
}

/// Lists the line item files of one invoice folder.
fn invoice_parts(folder: &Path, id: &str) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    for feed_dir in list_dir(&folder.join("lineitems"))? {
        let name = file_name(&feed_dir);
        let Some(feed) = Feed::from_folder(name) else {
            tracing::warn!(folder = %feed_dir.display(), "unknown line item feed folder, skipped");
            continue;
        };
        for path in pages(&feed_dir)? {
            parts.push(Part {
                feed,
                path,
                format: PartFormat::JsonPage,
            });
        }
    }
    let manifest_path = folder.join("export").join("manifest.json");
    if manifest_path.is_file() {
        let manifest: ExportManifest = read_json(&manifest_path)?;
        for blob in &manifest.blobs {
            let path = folder.join("export").join(safe_file_name(&blob.name));
            if !path.is_file() {
                return Err(Error::input_file(
                    &manifest_path,
                    format!("lists blob {:?}, which is not in the snapshot", blob.name),
                ));
            }
            parts.push(Part {
                feed: Feed::Export,
                path,
                format: PartFormat::GzipJsonLines,
            });
        }
        if parts.iter().any(|p| p.feed == Feed::OneTimeBilling) {
            return Err(Error::input_file(
                folder,
                format!(
                    "invoice {id} has both v1 onetime-billinglineitems and a v2 export of the same lines; keep one of them"
                ),
            ));
        }
    }
    parts.sort_by(|a, b| (a.feed, &a.path).cmp(&(b.feed, &b.path)));
    Ok(parts)
}

/// sha256 of a file, lower-case hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut f =
        fs::File::open(path).map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)
        .map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?;
    Ok(format!("{:x}", h.finalize()))
}

/// Every file under `dir` (hidden entries left out), sorted, as paths relative to `dir`.
fn walk(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for p in list_dir(dir)? {
        let r = rel.join(p.file_name().expect("entry name"));
        if p.is_dir() {
            walk(&p, &r, out)?;
        } else {
            out.push(r);
        }
    }
    Ok(())
}

/// Writes `<root>/manifest.json`: what the snapshot holds, with every file's size and sha256.
/// `source` says where the data came from; `fetched_at` when (RFC 3339).
pub fn write_manifest(
    root: &Path,
    source: &str,
    fetched_at: &str,
    extra: serde_json::Value,
) -> Result<PathBuf> {
    let mut files = Vec::new();
    walk(root, Path::new(""), &mut files)?;
    files.retain(|f| f != Path::new("manifest.json"));
    let mut entries = Vec::new();
    for rel in &files {
        let path = root.join(rel);
        let bytes = fs::metadata(&path)
            .map_err(|e| Error::input_file(&path, e))?
            .len();
        let rel = rel.to_string_lossy().replace('\\', "/");
        entries
            .push(serde_json::json!({"path": rel, "bytes": bytes, "sha256": file_sha256(&path)?}));
    }
    let mut invoices = 0;
    for page in pages(&root.join("invoices"))? {
        invoices += read_json::<Collection<serde::de::IgnoredAny>>(&page)?
            .items
            .len();
    }
    let mut doc = serde_json::json!({
        "pcrecon_snapshot": 1,
        "source": source,
        "fetched_at": fetched_at,
        "invoices": invoices,
    });
    if let (Some(d), serde_json::Value::Object(x)) = (doc.as_object_mut(), extra) {
        d.extend(x);
    }
    doc["files"] = serde_json::Value::Array(entries);
    let path = root.join("manifest.json");
    let text = serde_json::to_string_pretty(&doc).expect("manifest json") + "\n";
    fs::write(&path, text).map_err(|e| Error::input_file(&path, format!("cannot write: {e}")))?;
    Ok(path)
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

    #[test]
    fn periods_parse_strictly() {
        assert_eq!(
            "2025-03".parse::<Period>(),
            Ok(Period {
                year: 2025,
                month: 3
            })
        );
        assert!("2025-3".parse::<Period>().is_err());
        assert!("2025-13".parse::<Period>().is_err());
        assert!("March".parse::<Period>().is_err());
    }

    #[test]
    fn feeds_from_invoice_details() {
        assert_eq!(
            Feed::from_detail("one_time", "billing_line_items"),
            Some(Feed::OneTimeBilling)
        );
        assert_eq!(
            Feed::from_detail("Office", "BillingLineItems"),
            Some(Feed::OfficeBilling)
        );
        assert_eq!(
            Feed::from_detail("marketplace", "usage_line_items"),
            Some(Feed::OneTimeUsage)
        );
        assert_eq!(Feed::from_detail("none", "none"), None);
        for (f, n) in Feed::V1 {
            assert_eq!(Feed::from_folder(n), Some(f));
            assert_eq!(f.folder(), n);
        }
    }
}
