//! Progress on a terminal (a spinner naming the stage), nothing when stderr is not a TTY or
//! with `-q`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The run's progress display.
#[derive(Debug, Clone)]
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    /// A spinner when `enabled` and stderr is a terminal; otherwise silent.
    pub(crate) fn new(enabled: bool) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}").expect("template"),
        );
        pb.enable_steady_tick(Duration::from_millis(120));
        Progress(Some(pb))
    }

    /// Names the current stage.
    pub(crate) fn stage(&self, msg: &'static str) {
        if let Some(pb) = &self.0 {
            pb.set_message(msg);
        }
    }

    /// Turns the display into a bar of `len` steps named `unit`.
    pub(crate) fn bar(&self, len: u64, unit: &'static str) {
        if let Some(pb) = &self.0 {
            pb.set_length(len);
            pb.set_position(0);
            pb.set_style(
                ProgressStyle::with_template(&format!(
                    "{{bar:30}} {{pos}}/{{len}} {unit} {{elapsed:>4}} {{msg}}"
                ))
                .expect("template"),
            );
        }
    }

    /// One more step done.
    pub(crate) fn inc(&self) {
        if let Some(pb) = &self.0 {
            pb.inc(1);
        }
    }

    /// Clears the display.
    pub(crate) fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}
