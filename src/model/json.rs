//! Reading the snapshot's JSON files, naming the file on failure.

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::strip_bom;
use crate::error::{Error, Result};
use crate::source::config::ReadLimits;

/// Reads and parses one JSON file, naming the file (and line/column) on failure.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    read_json_bytes(path, &read_file(path)?)
}

/// A file's bytes, naming the file when it cannot be read.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::input_file(path, format!("cannot read: {e}")))
}

/// A JSON document's bytes (a page, a manifest), read whole: a file larger than
/// `[source] max_page_bytes` is refused, naming the file and the limit, before it is read.
pub(crate) fn read_document(path: &Path, limits: &ReadLimits) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?
        .len();
    if let Some(why) = limits.page_bytes_error(len) {
        return Err(Error::input_file(path, why));
    }
    read_file(path)
}

/// Parses JSON bytes read from `path` (borrowing from them), naming the file on failure.
pub(crate) fn read_json_bytes<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(strip_bom(bytes))
        .map_err(|e| Error::input_file(path, format!("does not parse as the expected JSON: {e}")))
}

/// Reads and parses one JSON file whose member names may come in any casing (the API's camelCase,
/// the C# models' PascalCase, …): every object member name is folded to ASCII lower case first, so
/// the target types name their fields in lower case (`#[serde(rename = "blobcount")]`).
/// Larger than `[source] max_page_bytes`, the file is refused ([`read_document`]).
pub(crate) fn read_json_folded<T: DeserializeOwned>(path: &Path, limits: &ReadLimits) -> Result<T> {
    parse_json_folded(path, &read_document(path, limits)?)
}

/// [`read_json_folded`] on bytes already read from `path`.
pub(crate) fn parse_json_folded<T: DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T> {
    let folded = fold_member_names(strip_bom(bytes));
    read_json_bytes(path, &folded)
}

/// `json` with every object member name folded to ASCII lower case; values (strings, numbers)
/// are kept byte for byte, so exact decimals stay exact. Escapes survive the folding: their
/// letters are lower case already except `\uXXXX` hex digits, whose case does not matter.
/// Invalid JSON stays invalid (the parser then names the file).
pub(crate) fn fold_member_names(json: &[u8]) -> Vec<u8> {
    let mut out = json.to_vec();
    let mut i = 0;
    while i < out.len() {
        if out[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < out.len() && out[end] != b'"' {
            end += if out[end] == b'\\' { 2 } else { 1 };
        }
        let end = end.min(out.len());
        // a string is a member name when a `:` follows it
        let next = out[(end + 1).min(out.len())..]
            .iter()
            .find(|c| !c.is_ascii_whitespace());
        if next == Some(&b':') {
            out[start..end].make_ascii_lowercase();
        }
        i = end + 1;
    }
    out
}
