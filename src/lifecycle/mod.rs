//! The run lifecycle that `run`, `reconcile` and `fetch` wrap around their work: one run at a time
//! per folder ([`lock`]), a clean stop on SIGINT/SIGTERM ([`signals`]), old runs pruned after a
//! publish ([`retention`]) and the monitoring textfile written after every run ([`metrics`]).
//! Staging and publishing the report folder itself is [`crate::report::publish`].

pub mod lock;
pub mod metrics;
pub mod retention;
pub mod signals;

use std::path::Path;
use std::time::Instant;

use crate::config::{Config, SourceKind};
use crate::error::Result;
use crate::pipeline::Published;

/// After `run` or `reconcile` (holding the lock): a run that published prunes old run folders
/// (`keep_runs`, and `keep_snapshots` for fetched snapshots); every run, failed or not, rewrites
/// the metrics file when one is configured. `http` = (requests, retries) of the fetch.
pub fn after_run(
    cfg: &Config,
    out_dir: &Path,
    clock: Instant,
    result: &Result<Published>,
    http: (u64, u64),
) {
    if result.is_ok() {
        retention::prune(out_dir, cfg.report.keep_runs as usize, "report run");
        if cfg.source.kind == SourceKind::PartnerCenter {
            retention::prune(
                &cfg.source.snapshot_dir,
                cfg.source.keep_snapshots as usize,
                "snapshot",
            );
        }
    }
    let path = &cfg.report.metrics_file;
    if path.as_os_str().is_empty() {
        return;
    }
    let m = metrics::RunMetrics {
        finished: chrono::Utc::now(),
        exit_status: match result {
            Ok(p) => p.exit_status,
            Err(e) => e.exit_code(),
        },
        duration: clock.elapsed(),
        grain: result.as_ref().ok().map(|p| p.grain.clone()),
        http_requests: http.0,
        http_retries: http.1,
    };
    if let Err(e) = m.write(path) {
        tracing::warn!(file = %path.display(), error = %e, "cannot write the metrics file");
    }
}
