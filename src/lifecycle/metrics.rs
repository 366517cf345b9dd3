//! The monitoring textfile (`[report] metrics_file`): Prometheus text format for node_exporter's
//! textfile collector, rewritten atomically after every run, failed ones included.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Grain rows and Σ difference of one currency and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GrainMetric {
    /// ISO currency code.
    pub(crate) currency: String,
    /// Status name (`matched`, …).
    pub(crate) status: &'static str,
    /// Grain rows.
    pub(crate) rows: u64,
    /// Σ difference as exact decimal text.
    pub(crate) difference: String,
}

/// What one run reports to monitoring.
#[derive(Debug, Clone)]
pub(crate) struct RunMetrics {
    /// When the run ended.
    pub(crate) finished: DateTime<Utc>,
    /// Its exit status.
    pub(crate) exit_status: i32,
    /// How long it took.
    pub(crate) duration: Duration,
    /// Per currency and status; `None` for a run that failed before reconciling.
    pub(crate) grain: Option<Vec<GrainMetric>>,
    /// HTTP requests sent and retried (0 for snapshot runs).
    pub(crate) http_requests: u64,
    /// HTTP retries (all reasons).
    pub(crate) http_retries: u64,
}

impl RunMetrics {
    /// The textfile's content. A failed run (no grain figures) writes only the `pcrecon_last_*`
    /// and duration lines, so alerts on stale reconciliation figures stay quiet about old values.
    pub(crate) fn to_text(&self) -> String {
        let mut s = String::new();
        let mut gauge = |name: &str, help: &str, samples: &[(String, String)]| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (labels, value) in samples {
                let _ = writeln!(s, "{name}{labels} {value}");
            }
        };
        let one = |v: String| vec![(String::new(), v)];
        gauge(
            "pcrecon_last_run_timestamp_seconds",
            "Unix time the last pcrecon run ended.",
            &one(self.finished.timestamp().to_string()),
        );
        gauge(
            "pcrecon_last_exit_status",
            "Exit status of the last run (0 ok, 1 differences, 2 config, 3 input, 4 source, 5 bug, 6 locked, 130/143 stopped).",
            &one(self.exit_status.to_string()),
        );
        gauge(
            "pcrecon_run_duration_seconds",
            "Wall time of the last run.",
            &one(format!("{:.3}", self.duration.as_secs_f64())),
        );
        let Some(grain) = &self.grain else {
            return s;
        };
        let labelled = |value: &dyn Fn(&GrainMetric) -> String| -> Vec<(String, String)> {
            grain
                .iter()
                .map(|g| {
                    (
                        format!(
                            "{{currency=\"{}\",status=\"{}\"}}",
                            escape(&g.currency),
                            g.status
                        ),
                        value(g),
                    )
                })
                .collect()
        };
        gauge(
            "pcrecon_grain_rows",
            "Grain rows of the last run per currency and status.",
            &labelled(&|g| g.rows.to_string()),
        );
        gauge(
            "pcrecon_difference",
            "Sum of difference (billed minus booked) per currency and status, in that currency.",
            &labelled(&|g| g.difference.clone()),
        );
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(
            "pcrecon_http_requests_total",
            "HTTP requests the last run sent (retries included).",
            self.http_requests,
        );
        counter(
            "pcrecon_http_retries_total",
            "HTTP requests the last run retried.",
            self.http_retries,
        );
        s
    }

    /// Writes the textfile atomically (a temp file beside it, then a rename), so the collector
    /// never reads half a file.
    pub(crate) fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, self.to_text())?;
        std::fs::rename(&tmp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }
}

/// A label value with `\`, `"` and newlines escaped as the text format requires.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(grain: Option<Vec<GrainMetric>>) -> RunMetrics {
        RunMetrics {
            finished: DateTime::parse_from_rfc3339("2026-11-24T03:00:07Z")
                .unwrap()
                .with_timezone(&Utc),
            exit_status: 1,
            duration: Duration::from_millis(7250),
            grain,
            http_requests: 12,
            http_retries: 3,
        }
    }

    #[test]
    fn a_finished_run_has_every_line() {
        let text = metrics(Some(vec![GrainMetric {
            currency: "EUR".into(),
            status: "amount_mismatch",
            rows: 2,
            difference: "-12.50".into(),
        }]))
        .to_text();
        for line in [
            "pcrecon_last_run_timestamp_seconds 1795489207",
            "pcrecon_last_exit_status 1",
            "pcrecon_run_duration_seconds 7.250",
            "pcrecon_grain_rows{currency=\"EUR\",status=\"amount_mismatch\"} 2",
            "pcrecon_difference{currency=\"EUR\",status=\"amount_mismatch\"} -12.50",
            "pcrecon_http_requests_total 12",
            "pcrecon_http_retries_total 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn a_failed_run_writes_the_last_and_duration_lines_only() {
        let text = metrics(None).to_text();
        let names: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split([' ', '{']).next().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "pcrecon_last_run_timestamp_seconds",
                "pcrecon_last_exit_status",
                "pcrecon_run_duration_seconds"
            ]
        );
    }

    #[test]
    fn labels_are_escaped_and_the_file_is_replaced_whole() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("prom/pcrecon.prom");
        metrics(None).write(&p).unwrap();
        metrics(None).write(&p).unwrap();
        assert_eq!(std::fs::read_dir(p.parent().unwrap()).unwrap().count(), 1);
        assert!(
            std::fs::read_to_string(&p)
                .unwrap()
                .contains("pcrecon_last_exit_status 1")
        );
    }
}
