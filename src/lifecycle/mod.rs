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

/// Runs `work` (a `run` or `reconcile` publishing into `out_dir`) inside the lifecycle: takes the
/// lock (exit 6 when another run holds it), removes staging folders a killed run left, then after
/// the work prunes old runs and writes the metrics file. `work` reports the fetch's HTTP
/// (requests, retries) into its argument. Returns the exit status.
pub(crate) fn run_locked(
    cfg: &Config,
    out_dir: &Path,
    work: impl FnOnce(&mut (u64, u64)) -> Result<Published>,
) -> Result<i32> {
    let lock = lock::RunLock::acquire(out_dir)?;
    lock.remove_stale_staging();
    let clock = Instant::now();
    let metrics_file = &cfg.report.metrics_file;
    if !metrics_file.as_os_str().is_empty() {
        signals::watch_metrics(Some((metrics_file.clone(), clock)));
    }
    let mut http = (0, 0);
    let result = work(&mut http);
    signals::watch_metrics(None);
    after_run(cfg, out_dir, clock, &result, http);
    result.map(|p| p.exit_status)
}

/// After the work (holding the lock): a run that published prunes old run folders (`keep_runs`,
/// and `keep_snapshots` for fetched snapshots); every run, failed or not, rewrites the metrics
/// file when one is configured.
fn after_run(
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
