//! The snapshot's `manifest.json`: what the snapshot holds, with every file's size and sha256.

use std::fs;
use std::path::{Path, PathBuf};

use super::{list_dir, pages};
use crate::error::{Error, Result};
use crate::model::invoice::Collection;
use crate::model::json::read_json;

/// sha256 of a file, lower-case hex.
pub(crate) fn file_sha256(path: &Path) -> Result<String> {
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
        let Some(name) = p.file_name() else {
            continue;
        };
        let r = rel.join(name);
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
pub(crate) fn write_manifest(
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
