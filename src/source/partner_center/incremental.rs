//! Incremental fetch: an invoice whose invoice object (as the invoice list gives it) equals the
//! one in the newest earlier snapshot of `snapshot_dir`, and whose files there still pass the
//! sha256 that snapshot's manifest recorded, is hard-linked from it (copied where links fail)
//! instead of fetched again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::strip_bom;
use crate::source::partner_center::writer::SnapshotWriter;
use crate::source::snapshot::{file_sha256, invoice_folder_name};

/// The invoice objects of one invoice list page by document id: each top-level item and, nested
/// in its `amendments`, the documents it carries (member names matched in any casing). The first
/// listing of an id wins, as in the fetch.
pub(crate) fn listed_objects(body: &[u8], into: &mut HashMap<String, Value>) -> Result<()> {
    let page: Value = serde_json::from_slice(strip_bom(body))
        .map_err(|e| Error::Source(format!("GET /v1/invoices: a page is not JSON: {e}")))?;
    for item in member(&page, "items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add_document(item, into);
    }
    Ok(())
}

fn add_document(doc: &Value, into: &mut HashMap<String, Value>) {
    if let Some(id) = member(doc, "id").and_then(Value::as_str) {
        into.entry(id.to_owned()).or_insert_with(|| doc.clone());
    }
    for nested in member(doc, "amendments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        add_document(nested, into);
    }
}

/// An object member by name in any casing (the API's casing is not stable).
fn member<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The newest earlier snapshot, as far as reuse needs it.
#[derive(Debug)]
pub(crate) struct Previous {
    /// Its folder name (a run id): what `reused_from` records.
    pub(crate) run_id: String,
    root: PathBuf,
    /// Invoice objects of its invoice list, by id.
    objects: HashMap<String, Value>,
    /// Its files (snapshot-relative path → sha256), from its manifest.
    files: BTreeMap<String, String>,
    /// The invoices it holds files for, when its manifest lists them (older manifests only count).
    held: Option<HashSet<String>>,
}

impl Previous {
    /// The newest run-id folder of `snapshot_dir` other than `dest` that has a manifest written
    /// with the same `line_items` setting; `None` (logged) when there is none or it cannot be read.
    pub(crate) fn find(snapshot_dir: &Path, dest: &Path, line_items: &Value) -> Option<Previous> {
        let dest_name = dest.file_name().map(|n| n.to_string_lossy().into_owned());
        let same_dir =
            std::path::absolute(dest.parent()?).ok() == std::path::absolute(snapshot_dir).ok();
        let run_id = crate::lifecycle::retention::run_folders(snapshot_dir)
            .into_iter()
            .rev()
            .find(|n| {
                !(same_dir && dest_name.as_deref() == Some(n.as_str()))
                    && snapshot_dir.join(n).join("manifest.json").is_file()
            })?;
        let root = snapshot_dir.join(&run_id);
        match Previous::read(&root, run_id.clone(), line_items) {
            Ok(Some(p)) => Some(p),
            Ok(None) => {
                tracing::info!(snapshot = %root.display(), "the previous snapshot was fetched with another line_items setting: nothing is reused");
                None
            }
            Err(e) => {
                tracing::warn!(snapshot = %root.display(), error = %e, "the previous snapshot cannot be read: nothing is reused");
                None
            }
        }
    }

    fn read(root: &Path, run_id: String, line_items: &Value) -> Result<Option<Previous>> {
        let manifest_path = root.join("manifest.json");
        let text = std::fs::read(&manifest_path)
            .map_err(|e| Error::input_file(&manifest_path, format!("cannot read: {e}")))?;
        let manifest: Value = serde_json::from_slice(&text)
            .map_err(|e| Error::input_file(&manifest_path, format!("not JSON: {e}")))?;
        if manifest.get("line_items") != Some(line_items) {
            return Ok(None);
        }
        let files = manifest
            .get("files")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| {
                Some((
                    f.get("path")?.as_str()?.to_owned(),
                    f.get("sha256")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        let held = manifest
            .get("invoices")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|i| i.get("id")?.as_str().map(str::to_owned))
                    .collect()
            });
        let mut objects = HashMap::new();
        let mut pages: Vec<PathBuf> = std::fs::read_dir(root.join("invoices"))
            .map_err(|e| Error::input_file(&root.join("invoices"), format!("cannot list: {e}")))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("page-") && n.ends_with(".json"))
            })
            .collect();
        pages.sort();
        for page in pages {
            let body =
                std::fs::read(&page).map_err(|e| Error::input_file(&page, format!("{e}")))?;
            listed_objects(&body, &mut objects)
                .map_err(|e| Error::input_file(&page, e.to_string()))?;
        }
        Ok(Some(Previous {
            run_id,
            root: root.to_path_buf(),
            objects,
            files,
            held,
        }))
    }

    /// Links the files of invoice `id` into `writer` when its invoice object equals `object` and
    /// every file passes its sha256 (and holds `statement.pdf` when `statement` asks for it).
    /// Returns whether it did; a refusal for missing or corrupt files is logged with the reason.
    pub(crate) fn reuse(
        &self,
        writer: &SnapshotWriter,
        id: &str,
        object: &Value,
        statement: bool,
    ) -> Result<bool> {
        if self.objects.get(id) != Some(object) {
            return Ok(false);
        }
        let prefix = format!("invoices/{}/", invoice_folder_name(id));
        let files: Vec<(&String, &String)> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .collect();
        match &self.held {
            Some(held) if !held.contains(id) => return Ok(false),
            None if files.is_empty() => return Ok(false),
            _ => {}
        }
        if statement && !files.iter().any(|(p, _)| p.ends_with("/statement.pdf")) {
            return Ok(false);
        }
        for (rel, sha) in &files {
            let path = self.root.join(rel);
            let why = match file_sha256(&path) {
                Ok(actual) if actual == **sha => continue,
                Ok(_) => "its sha256 differs from the manifest's".to_owned(),
                Err(e) => e.to_string(),
            };
            tracing::warn!(invoice = %id, file = %path.display(), reason = %why,
                "a file of the previous snapshot is missing or corrupt: the invoice is fetched again");
            return Ok(false);
        }
        for (rel, _) in &files {
            let from = self.root.join(rel);
            let to = writer.path(rel)?;
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).map_err(|e| Error::output("cannot copy to", &to, e))?;
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_compare_as_json_values_with_amendments_listed_on_their_own() {
        let mut a = HashMap::new();
        listed_objects(
            br#"{"items":[{"id":"D1","amount":1.50,"Amendments":[{"Id":"C1","amount":-1}]}]}"#,
            &mut a,
        )
        .unwrap();
        let mut b = HashMap::new();
        listed_objects(
            b"{ \"items\" : [ {\"amount\":1.50, \"Amendments\":[{\"amount\":-1,\"Id\":\"C1\"}], \"id\":\"D1\"} ] }",
            &mut b,
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        let mut c = HashMap::new();
        listed_objects(br#"{"items":[{"id":"D1","amount":1.51}]}"#, &mut c).unwrap();
        assert_ne!(a["D1"], c["D1"]);
    }
}
