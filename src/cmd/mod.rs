//! The command line: global options and one file per subcommand.

pub mod check_config;
pub mod fetch;
pub mod manifest;
pub mod reconcile;
pub mod run;

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::error::Result;
use crate::model::period::Period;
use crate::progress::Progress;

/// Reconcile Microsoft Partner Center invoices against your ledger, exactly to the cent.
#[derive(Debug, Parser)]
#[command(name = "pcrecon", version, about, long_about = None)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Config file (TOML).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "config/pcrecon.toml"
    )]
    pub(crate) config: PathBuf,
    /// run/reconcile: the reports' out_dir; fetch: the snapshot folder to create.
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Only invoices dated in this month (repeatable).
    #[arg(long = "period", global = true, value_name = "YYYY-MM")]
    pub(crate) periods: Vec<Period>,
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors, no progress display.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Fetch → normalise → reconcile → report, in one run.
    Run(run::RunArgs),
    /// Only fetch: write a snapshot.
    Fetch(fetch::FetchArgs),
    /// Normalise + reconcile + report from a snapshot already on disk (no network).
    Reconcile(reconcile::ReconcileArgs),
    /// Validate the config and print it with secrets redacted.
    CheckConfig(check_config::CheckConfigArgs),
    /// Write or refresh a snapshot folder's manifest.json (for snapshots made by hand).
    Manifest(manifest::ManifestArgs),
}

impl Global {
    /// Loads the config with `PCRECON_*` environment overrides.
    pub(crate) fn load_config(&self) -> Result<Config> {
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("PCRECON_"))
            .collect();
        Config::load(&self.config, &env)
    }

    /// The progress display for this invocation.
    pub(crate) fn progress(&self) -> Progress {
        Progress::new(!self.quiet && self.log_format == LogFormat::Text)
    }

    /// Options for fetching this invocation's periods into the snapshot folder `dest` (`full`:
    /// reuse nothing from the previous snapshot).
    pub(crate) fn fetch_options(
        &self,
        dest: PathBuf,
        full: bool,
    ) -> crate::source::partner_center::FetchOptions {
        crate::source::partner_center::FetchOptions {
            periods: self.periods.clone(),
            dest,
            progress: self.progress(),
            full,
        }
    }

    /// The reports' folder: `--out` or the config's `report.out_dir`.
    pub(crate) fn out_dir(&self, cfg: &Config) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| cfg.report.out_dir.clone())
    }
}

/// Runs the parsed command; returns the exit status.
pub fn dispatch(cli: &Cli) -> Result<i32> {
    match &cli.command {
        Command::Run(a) => run::execute(&cli.global, a),
        Command::Fetch(a) => fetch::execute(&cli.global, a),
        Command::Reconcile(a) => reconcile::execute(&cli.global, a),
        Command::CheckConfig(a) => check_config::execute(&cli.global, a),
        Command::Manifest(a) => manifest::execute(&cli.global, a),
    }
}

/// Writes `text` to stdout; a closed pipe (`pcrecon check-config | head`) is not an error.
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

/// Makes a path absolute against the current folder (for messages and summaries).
pub(crate) fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
