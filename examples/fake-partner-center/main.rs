//! `cargo run --example fake-partner-center -- --dir sample-data/partner-center`
//!
//! Serves a snapshot folder as a fake Partner Center + Entra ID + Graph + blob endpoint on
//! 127.0.0.1, with optional latency and fault injection. Prints exactly one line,
//! `listening on http://127.0.0.1:<port>`, then serves until killed. `RUST_LOG=info` logs every
//! request to stderr; `GET /_fake/stats` returns the counters.

mod server;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// A fake Partner Center API serving a pcrecon snapshot folder.
#[derive(Debug, Parser)]
#[command(name = "fake-partner-center")]
struct Args {
    /// Snapshot folder to serve (the product contract's layout).
    #[arg(long)]
    dir: PathBuf,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Probability (0..=1) of an injected fault per request: 429, 503 or a dropped connection.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_ttl: u64,
    /// Delay before every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Seed of the fault PRNG.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The client secret the token endpoint accepts.
    #[arg(long, default_value = "fake-secret")]
    client_secret: String,
    /// The initial refresh token (rotated on every use; only the newest is accepted).
    #[arg(long, default_value = "fake-refresh-token-0")]
    refresh_token: String,
    /// Polls of a Graph export operation that answer `running` before it completes.
    #[arg(long, default_value_t = 2)]
    export_polls: u32,
    /// Maximum line-item page size.
    #[arg(long, default_value_t = 2000)]
    page_size_cap: usize,
    /// Line-item pages (after a feed's first) answered with the previous page's items.
    #[arg(long, default_value_t = 0)]
    repeat_pages: u32,
    /// The feed folder `--repeat-pages` applies to (e.g. `onetime-billinglineitems`; empty = all).
    #[arg(long, default_value = "")]
    repeat_feed: String,
    /// Answer feeds with no items with 204 No Content instead of an empty page.
    #[arg(long)]
    empty_feed_no_content: bool,
    /// Unbilled-reconciliation exports to serve (`<period>-<currency>/manifest.json` + blobs);
    /// without it, the served snapshot's own `unbilled/` folder (sample-data/partner-center has
    /// one), else every unbilled export has no data.
    #[arg(long)]
    unbilled: Option<PathBuf>,
    /// Hostile: answer every API request (tokens aside) with 429 and this `Retry-After`.
    #[arg(long)]
    throttle_retry_after: Option<String>,
    /// Hostile: seek-paged feeds hand back the continuation token they were asked with.
    #[arg(long)]
    sticky_continuation: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    if !(0.0..=1.0).contains(&args.fault_rate) {
        eprintln!("fake-partner-center: --fault-rate must be between 0 and 1");
        return ExitCode::from(2);
    }
    let opts = server::FakeOptions {
        dir: args.dir,
        fault_rate: args.fault_rate,
        token_ttl_secs: args.token_ttl,
        latency_ms: args.latency_ms,
        seed: args.seed,
        client_secret: args.client_secret,
        refresh_token: args.refresh_token,
        export_polls: args.export_polls,
        page_size_cap: args.page_size_cap,
        repeat_pages: args.repeat_pages,
        repeat_feed: args.repeat_feed,
        empty_feed_no_content: args.empty_feed_no_content,
        unbilled: args.unbilled,
        throttle_retry_after: args.throttle_retry_after,
        sticky_continuation: args.sticky_continuation,
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "fake-partner-center: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return ExitCode::from(1);
        }
    };
    let server = match server::start(opts, listener).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-partner-center: cannot serve the snapshot: {e}");
            return ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", server.url());
    let _ = out.flush();
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown();
    ExitCode::SUCCESS
}
