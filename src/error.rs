//! Error kinds and the exit status each one maps to (see the contract's exit-status table).

use std::fmt;
use std::path::Path;

/// A failure that stops a run. Each kind maps to one process exit status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flag, missing or invalid config, missing secret: exit 2.
    #[error("{0}")]
    Config(String),
    /// Input data that stops the run (ledger glob matching nothing, unreadable file,
    /// snapshot that does not parse): exit 3.
    #[error("{0}")]
    Input(String),
    /// Source failure (authentication, API unreachable after all retries): exit 4.
    #[error("{0}")]
    Source(String),
    /// A broken internal invariant (e.g. money not conserved): a bug, exit 5.
    #[error("internal error (a bug in pcrecon, please report it): {0}")]
    Internal(String),
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => 2,
            Error::Input(_) => 3,
            Error::Source(_) => 4,
            Error::Internal(_) => 5,
        }
    }

    /// An input error about a file, with what went wrong.
    pub fn input_file(path: &Path, what: impl fmt::Display) -> Self {
        Error::Input(format!("{}: {what}", path.display()))
    }

    /// An input error about one line of a file.
    pub fn input_line(path: &Path, line: u64, what: impl fmt::Display) -> Self {
        Error::Input(format!("{}:{line}: {what}", path.display()))
    }

    /// Wraps a polars error from a stage that should not fail on valid data.
    pub fn polars(stage: &str, e: polars::error::PolarsError) -> Self {
        Error::Internal(format!("{stage}: {e}"))
    }
}

/// Result with pcrecon's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
