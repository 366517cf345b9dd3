//! Reading the snapshot's JSON files, naming the file on failure.

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::strip_bom;
use crate::error::{Error, Result};

/// Reads and parses one JSON file, naming the file (and line/column) on failure.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::input_file(path, format!("cannot read: {e}")))?;
    read_json_bytes(path, &bytes)
}

/// Parses JSON bytes read from `path` (borrowing from them), naming the file on failure.
pub fn read_json_bytes<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8]) -> Result<T> {
    serde_json::from_slice(strip_bom(bytes))
        .map_err(|e| Error::input_file(path, format!("does not parse as the expected JSON: {e}")))
}
