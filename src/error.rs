//! Error kinds and the exit status each one maps to (see the contract's exit-status table).
//!
//! Each kind carries what it is about (the config file and key, the input file and line, the
//! report file) beside its message, and its `Display` puts them first: `file: key: message`,
//! `file:line: message`.

use std::fmt;
use std::path::{Path, PathBuf};

/// A failure that stops a run. Each kind maps to one process exit status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flag, missing or invalid config, missing secret: exit 2.
    #[error("{}", located(file.as_deref(), key.as_deref(), message))]
    Config {
        /// The config (or other) file at fault, when there is one.
        file: Option<PathBuf>,
        /// The config key at fault (`section.key`), when there is one.
        key: Option<String>,
        /// What is wrong and what to do.
        message: String,
    },
    /// Input data that stops the run (ledger glob matching nothing, unreadable file,
    /// snapshot that does not parse): exit 3.
    #[error("{}", located_line(path.as_deref(), *line, message))]
    Input {
        /// The input file at fault, when there is one.
        path: Option<PathBuf>,
        /// Its 1-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// A report or snapshot file that cannot be written (disk full, no permission): exit 3.
    ///
    /// Not an input error, but the contract's exit table has no row of its own for it, and 3 is
    /// the closest: the run stopped on the files it works with, nothing was published, and
    /// scripts that treated it as 3 keep working. 5 would call it a bug, 2 a config mistake.
    #[error("{action} {}: {reason}", path.display())]
    Output {
        /// What was being done (`cannot write report`).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// Source failure (authentication, API unreachable after all retries): exit 4.
    #[error("{0}")]
    Source(String),
    /// Another run holds the lock on the same report folder (or snapshot root): exit 6.
    /// Nothing was fetched or written.
    #[error(
        "another pcrecon run holds the lock {}{}; it is still running: let it finish (or check that no second cron entry or service runs pcrecon on the same folder)",
        path.display(),
        holder.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The holder's pid, as its lock file says.
        holder: Option<u32>,
    },
    /// A broken internal invariant (e.g. money not conserved): a bug, exit 5.
    #[error("internal error (a bug in pcrecon, please report it): {0}")]
    Internal(String),
}

/// `file: key: message`, leaving out the parts that are absent.
fn located(file: Option<&Path>, key: Option<&str>, message: &str) -> String {
    let mut s = String::new();
    if let Some(f) = file {
        s.push_str(&format!("{}: ", f.display()));
    }
    if let Some(k) = key {
        s.push_str(&format!("{k}: "));
    }
    s + message
}

/// `path:line: message`, leaving out the parts that are absent.
fn located_line(path: Option<&Path>, line: Option<u64>, message: &str) -> String {
    match (path, line) {
        (Some(p), Some(l)) => format!("{}:{l}: {message}", p.display()),
        (Some(p), None) => format!("{}: {message}", p.display()),
        (None, _) => message.to_owned(),
    }
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config { .. } => 2,
            Error::Input { .. } | Error::Output { .. } => 3,
            Error::Source(_) => 4,
            Error::Internal(_) => 5,
            Error::Locked { .. } => 6,
        }
    }

    /// A config error about nothing more precise than its message (a flag, a combination).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            file: None,
            key: None,
            message: message.into(),
        }
    }

    /// A config error about one key of the config file `file`.
    pub(crate) fn config_key(file: &Path, key: &str, message: impl Into<String>) -> Self {
        Error::Config {
            file: Some(file.to_path_buf()),
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }

    /// An input error about no file in particular.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Error::Input {
            path: None,
            line: None,
            message: message.into(),
        }
    }

    /// An input error about a file, with what went wrong.
    pub(crate) fn input_file(path: &Path, what: impl fmt::Display) -> Self {
        Error::Input {
            path: Some(path.to_path_buf()),
            line: None,
            message: what.to_string(),
        }
    }

    /// An input error about one line of a file.
    pub(crate) fn input_line(path: &Path, line: u64, what: impl fmt::Display) -> Self {
        Error::Input {
            path: Some(path.to_path_buf()),
            line: Some(line),
            message: what.to_string(),
        }
    }

    /// A file or folder that cannot be written: `action` says what was being done.
    pub(crate) fn output(action: &'static str, path: &Path, reason: impl fmt::Display) -> Self {
        Error::Output {
            action,
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// Wraps a polars error from a stage that should not fail on valid data.
    pub(crate) fn polars(stage: &str, e: polars::error::PolarsError) -> Self {
        Error::Internal(format!("{stage}: {e}"))
    }
}

/// Result with pcrecon's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_they_are_about_first() {
        let p = Path::new("config/pcrecon.toml");
        assert_eq!(
            Error::config_key(p, "report.fail_on", "bad").to_string(),
            "config/pcrecon.toml: report.fail_on: bad"
        );
        assert_eq!(
            Error::input_line(Path::new("a.csv"), 3, "bad").to_string(),
            "a.csv:3: bad"
        );
        let out = Error::output("cannot write report", Path::new("r/x.csv"), "disk full");
        assert_eq!(out.to_string(), "cannot write report r/x.csv: disk full");
        assert_eq!(out.exit_code(), 3);
        assert_eq!(Error::config("x").exit_code(), 2);
    }
}
