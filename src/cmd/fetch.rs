//! `pcrecon fetch [--config FILE] [--period YYYY-MM]... [--out DIR]`
//!
//! Only fetches: writes a snapshot of the Partner Center API's responses (the contract's layout)
//! into `--out DIR` (created; must not exist or be empty) or `<snapshot_dir>/<run-id>/`.

use clap::Args;

use super::Global;
use crate::error::{Error, Result};

/// Arguments of `fetch` (only the global options).
#[derive(Debug, Args)]
pub struct FetchArgs {}

/// Runs `fetch`.
pub fn execute(g: &Global, _a: &FetchArgs) -> Result<i32> {
    let cfg = g.load_config()?;
    match cfg.source.kind.as_str() {
        "snapshot" => Err(Error::Config(format!(
            "source.kind = snapshot: nothing to fetch ({} reads the snapshot at {}); set source.kind = \"partner_center\" to fetch",
            cfg.path.display(),
            cfg.source.dir.display()
        ))),
        _ => Err(Error::Source(
            "the live API client is not part of this build yet".into(),
        )),
    }
}
