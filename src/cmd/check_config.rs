//! `pcrecon check-config [--config FILE]`
//!
//! Validates the config (exit 2 on any problem, including a missing client secret when the
//! source needs one) and prints the effective config, secrets redacted.

use clap::Args;

use super::Global;
use crate::config::SourceKind;
use crate::error::Result;

/// Arguments of `check-config` (only the global options).
#[derive(Debug, Args)]
pub(crate) struct CheckConfigArgs {}

/// Runs `check-config`.
pub(crate) fn execute(g: &Global, _a: &CheckConfigArgs) -> Result<i32> {
    let cfg = g.load_config()?;
    super::print_stdout(&cfg.to_redacted_toml());
    if cfg.source.kind == SourceKind::PartnerCenter
        && let Err(e) = cfg.require_api_identity()
    {
        tracing::warn!("{e}");
    }
    super::print_stdout("# config OK\n");
    Ok(0)
}
