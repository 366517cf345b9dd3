//! The `pcrecon` binary: parses the command line, sets up logging, runs the command and turns
//! its outcome into the contract's exit status. Nothing else lives here.

use std::io::IsTerminal;

use clap::Parser;
use pcrecon::cmd::{self, Cli, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() {
    let cli = Cli::parse();
    init_logging(&cli.global);
    pcrecon::lifecycle::signals::install();
    let code = match cmd::dispatch(&cli) {
        Ok(code) => code,
        Err(e) => {
            tracing::debug!(error = ?e, "run failed");
            eprintln!("pcrecon: error: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}

fn init_logging(g: &cmd::Global) {
    let default = match (g.quiet, g.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    // RUST_LOG wins when set; dependencies stay at warn unless asked for
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,pcrecon={default}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match g.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => {
            let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(ansi).init()
        }
    }
}
