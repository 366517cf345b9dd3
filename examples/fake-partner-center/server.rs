//! A fake Microsoft Partner Center (v1) + Entra ID token endpoints + Microsoft Graph partner-billing
//! exports + Azure blob (SAS) downloads, serving any snapshot folder in the product contract's layout.
//!
//! Used by `cargo run --example fake-partner-center` (see `main.rs` next to this file) and by the
//! integration tests, which include this file with
//! `#[path = "../../examples/fake-partner-center/server.rs"] mod server;` and call [`start`].
//!
//! Money is never re-serialised: line items and invoices are kept as raw JSON text
//! ([`RawValue`]) and pages are built by concatenation, so every number token goes out exactly as
//! stored. Export blobs are streamed byte for byte.
//!
//! Faults (`fault_rate`): 429 with `Retry-After`, 503 with an ApiFault body, or a 200 whose body
//! breaks off mid-way (hyper aborts the connection). A fault is decided before the request is
//! handled, so a faulted request never changes server state (seek tokens, refresh-token rotation,
//! export polls).
//!
//! Paging faults (`repeat_pages`): a line-item page answered with the previous page's items.
//! Empty feeds answer an empty page, or `204 No Content` with `empty_feed_no_content`.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpListener;

const JSON: &str = "application/json; charset=utf-8";
/// Default and maximum v1 line-item page size (API reference §4.6).
const DEFAULT_PAGE_SIZE: usize = 2000;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// The snapshot folder to serve (contract layout).
    pub dir: PathBuf,
    /// Probability (0..=1) that a request gets an injected fault (429, 503 or a dropped body).
    pub fault_rate: f64,
    /// Lifetime of issued access tokens.
    pub token_ttl_secs: u64,
    /// Delay before handling every request.
    pub latency_ms: u64,
    /// Seed of the fault PRNG.
    pub seed: u64,
    /// The only accepted `client_secret`.
    pub client_secret: String,
    /// The initial refresh token (rotated on every redemption; only the newest is accepted).
    pub refresh_token: String,
    /// How many polls of a Graph export operation answer `running` before it finishes.
    pub export_polls: u32,
    /// Upper bound on the `size` of v1 line-item pages.
    pub page_size_cap: usize,
    /// Paging fault: this many v1 line-item pages after a feed's first are answered with the
    /// previous page's items (and the right links), counted across the server (`u32::MAX` =
    /// always). A client that does not notice doubles those amounts.
    pub repeat_pages: u32,
    /// The feed folder name (`onetime-billinglineitems`, …) `repeat_pages` applies to; empty = all.
    pub repeat_feed: String,
    /// Answer a feed with no items with `204 No Content` and no body (instead of an empty page).
    pub empty_feed_no_content: bool,
    /// Unbilled-reconciliation exports to serve: `<period>-<currency>/manifest.json` + blobs
    /// (e.g. `current-EUR/`); `None` = the snapshot's own `unbilled/` folder, when it has one.
    /// Any other period and currency, or no folder at all, ends in failedOperation 5000
    /// ("No data available").
    pub unbilled: Option<PathBuf>,
    /// Hostile: every API request (tokens aside) is answered `429` with this `Retry-After`.
    pub throttle_retry_after: Option<String>,
    /// Hostile: seek-paged feeds hand back the continuation token they were asked with, so
    /// paging never ends.
    pub sticky_continuation: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            dir: PathBuf::from("sample-data/partner-center"),
            fault_rate: 0.0,
            token_ttl_secs: 3600,
            latency_ms: 0,
            seed: 1,
            client_secret: "fake-secret".to_string(),
            refresh_token: "fake-refresh-token-0".to_string(),
            export_polls: 2,
            page_size_cap: DEFAULT_PAGE_SIZE,
            repeat_pages: 0,
            repeat_feed: String::new(),
            empty_feed_no_content: false,
            unbilled: None,
            throttle_retry_after: None,
            sticky_continuation: false,
        }
    }
}

/// Counters of what the fake did (all monotonic).
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests received (all routes but `/_fake/stats`), faulted ones included.
    pub requests: AtomicU64,
    /// Injected 429 responses.
    pub faults_429: AtomicU64,
    /// Injected 503 responses.
    pub faults_503: AtomicU64,
    /// Injected dropped connections (200 whose body breaks off).
    pub faults_dropped: AtomicU64,
    /// Access tokens issued (both grants).
    pub tokens_issued: AtomicU64,
    /// Refresh tokens issued by rotation.
    pub refresh_tokens_issued: AtomicU64,
    /// 401s for a missing/unknown/expired/wrong-audience bearer token (Partner Center and Graph).
    pub unauthorized: AtomicU64,
    /// 403s: an app-only token on an App+User-only endpoint.
    pub forbidden: AtomicU64,
    /// Rejected token requests (bad secret, stale refresh token, bad grant or scope).
    pub token_errors: AtomicU64,
    /// Line-item pages answered with the previous page's items (`repeat_pages`).
    pub repeated_pages: AtomicU64,
    /// Every request counted in `requests`, as `METHOD /path` (no query), in arrival order.
    pub log: Mutex<Vec<String>>,
}

impl Stats {
    /// The counters as JSON:
    /// `{"requests":n,"faults":{"429":n,"503":n,"dropped":n},"tokens_issued":n,
    /// "refresh_tokens_issued":n,"unauthorized":n,"forbidden":n,"token_errors":n,
    /// "repeated_pages":n}`.
    pub fn snapshot(&self) -> serde_json::Value {
        let g = |a: &AtomicU64| a.load(Ordering::SeqCst);
        json!({
            "requests": g(&self.requests),
            "faults": {
                "429": g(&self.faults_429),
                "503": g(&self.faults_503),
                "dropped": g(&self.faults_dropped),
            },
            "tokens_issued": g(&self.tokens_issued),
            "refresh_tokens_issued": g(&self.refresh_tokens_issued),
            "unauthorized": g(&self.unauthorized),
            "forbidden": g(&self.forbidden),
            "token_errors": g(&self.token_errors),
            "repeated_pages": g(&self.repeated_pages),
        })
    }
}

/// A running fake. The server task lives until [`FakeServer::shutdown`] or the runtime ends
/// (dropping this value does not stop it).
pub struct FakeServer {
    /// Where it listens; the base URL is `format!("http://{addr}")`.
    pub addr: SocketAddr,
    /// Its counters.
    pub stats: Arc<Stats>,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The refresh token the fake currently accepts (the newest one it issued).
    pub fn current_refresh_token(&self) -> String {
        lock(&self.shared.auth).refresh.clone()
    }

    /// Changes the fault rate of the running server.
    pub fn set_fault_rate(&self, p: f64) {
        self.shared
            .fault_rate
            .store(p.clamp(0.0, 1.0).to_bits(), Ordering::SeqCst);
    }

    /// Stops accepting connections.
    pub fn shutdown(&self) {
        self.task.abort();
    }
}

/// Loads the snapshot in `opts.dir`, spawns the server on `listener` and returns at once.
/// Fails when the snapshot cannot be read or parsed.
pub async fn start(opts: FakeOptions, listener: TcpListener) -> io::Result<FakeServer> {
    let addr = listener.local_addr()?;
    let (dir, unbilled) = (opts.dir.clone(), opts.unbilled.clone());
    let data = tokio::task::spawn_blocking(move || Data::load(&dir, unbilled.as_deref()))
        .await
        .map_err(io::Error::other)??;
    let stats = Arc::new(Stats::default());
    let shared = Arc::new(Shared {
        base: format!("http://{addr}"),
        fault_rate: AtomicU64::new(opts.fault_rate.clamp(0.0, 1.0).to_bits()),
        rng: Mutex::new(FaultRng {
            rng: XorShift::new(opts.seed),
            n429: 0,
        }),
        auth: Mutex::new(Auth {
            tokens: HashMap::new(),
            refresh: opts.refresh_token.clone(),
            refresh_seq: 0,
        }),
        seek: Mutex::new(Seek::default()),
        graph: Mutex::new(Graph::default()),
        repeats_left: AtomicU32::new(opts.repeat_pages),
        stats: stats.clone(),
        data,
        opts,
    });
    let app = Router::new().fallback(entry).with_state(shared.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("fake-partner-center: server error: {e}");
        }
    });
    Ok(FakeServer {
        addr,
        stats,
        shared,
        task,
    })
}

// ---------------------------------------------------------------------------------------------
// The snapshot, loaded
// ---------------------------------------------------------------------------------------------

struct Data {
    /// Invoices of `invoices/page-*.json`, in page order: (id, raw item).
    invoices: Vec<(String, Box<RawValue>)>,
    /// `invoices/<folder>/`, by folder name.
    folders: HashMap<String, Folder>,
    /// `summaries.json`, verbatim.
    summaries: Option<Vec<u8>>,
    /// Its items (for `GET /v1/invoices/summary`).
    summary_items: Vec<Box<RawValue>>,
}

struct Folder {
    dir: PathBuf,
    /// `lineitems/<provider>-<type>/page-*.json` items, concatenated in page order.
    feeds: HashMap<String, Vec<Box<RawValue>>>,
    export: Option<Export>,
}

struct Export {
    /// `export/manifest.json`, top-level fields kept raw.
    manifest: BTreeMap<String, Box<RawValue>>,
    /// Blob name (as the manifest lists it) → file.
    blobs: HashMap<String, PathBuf>,
}

#[derive(Deserialize)]
struct PageItems {
    #[serde(default)]
    items: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Deserialize)]
struct BlobList {
    #[serde(default)]
    blobs: Vec<BlobName>,
}

#[derive(Deserialize)]
struct BlobName {
    name: String,
}

fn bad_data(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}

fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut b = std::fs::read(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    if b.starts_with(b"\xEF\xBB\xBF") {
        b.drain(..3);
    }
    Ok(b)
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path) -> io::Result<T> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| bad_data(path, e))
}

/// Sorted non-hidden entries of a folder (missing folder = none).
fn entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
    };
    let mut v = Vec::new();
    for e in rd {
        let e = e?;
        if !e.file_name().to_string_lossy().starts_with('.') {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

fn name_of(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Items of every `page-*.json` in `dir`, in page order.
fn page_items(dir: &Path) -> io::Result<Vec<Box<RawValue>>> {
    let mut items = Vec::new();
    for p in entries(dir)? {
        let n = name_of(&p);
        if n.starts_with("page-") && n.ends_with(".json") {
            items.extend(parse::<PageItems>(&p)?.items);
        }
    }
    Ok(items)
}

/// An export folder's `manifest.json` and the blobs it lists, when there is a manifest.
fn load_export(export_dir: &Path) -> io::Result<Option<Export>> {
    let manifest_path = export_dir.join("manifest.json");
    if !manifest_path.is_file() {
        return Ok(None);
    }
    let manifest: BTreeMap<String, Box<RawValue>> = parse(&manifest_path)?;
    let list: BlobList = parse(&manifest_path)?;
    let mut blobs = HashMap::new();
    for b in list.blobs {
        let direct = export_dir.join(&b.name);
        let file = if !b.name.contains(['/', '\\']) && direct.is_file() {
            direct
        } else {
            export_dir.join(pcrecon::source::snapshot::safe_file_name(&b.name))
        };
        blobs.insert(b.name, file);
    }
    Ok(Some(Export { manifest, blobs }))
}

impl Data {
    fn load(dir: &Path, unbilled: Option<&Path>) -> io::Result<Data> {
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{}: not a snapshot folder", dir.display()),
            ));
        }
        let inv_dir = dir.join("invoices");
        let mut invoices = Vec::new();
        for item in page_items(&inv_dir)? {
            let id: IdOnly = serde_json::from_str(item.get())
                .map_err(|e| bad_data(&inv_dir, format!("invoice item without id: {e}")))?;
            invoices.push((id.id, item));
        }
        let mut folders = HashMap::new();
        for sub in entries(&inv_dir)? {
            if !sub.is_dir() {
                continue;
            }
            let mut feeds = HashMap::new();
            for feed_dir in entries(&sub.join("lineitems"))? {
                if feed_dir.is_dir() {
                    feeds.insert(name_of(&feed_dir), page_items(&feed_dir)?);
                }
            }
            let export = load_export(&sub.join("export"))?;
            folders.insert(
                name_of(&sub),
                Folder {
                    dir: sub,
                    feeds,
                    export,
                },
            );
        }
        // unbilled exports are served like an invoice's, from a folder named after them; by
        // default the snapshot's own (a fetch saves them there)
        let own = dir.join("unbilled");
        let unbilled = unbilled.or_else(|| own.is_dir().then_some(own.as_path()));
        for sub in unbilled.map(entries).transpose()?.unwrap_or_default() {
            if let Some(export) = load_export(&sub)? {
                let name = format!("unbilled-{}", name_of(&sub));
                let folder = Folder {
                    dir: sub,
                    feeds: HashMap::new(),
                    export: Some(export),
                };
                folders.insert(name, folder);
            }
        }
        let summaries_path = dir.join("summaries.json");
        let (summaries, summary_items) = if summaries_path.is_file() {
            let bytes = read(&summaries_path)?;
            let items: PageItems =
                serde_json::from_slice(&bytes).map_err(|e| bad_data(&summaries_path, e))?;
            (Some(bytes), items.items)
        } else {
            (None, Vec::new())
        };
        Ok(Data {
            invoices,
            folders,
            summaries,
            summary_items,
        })
    }

    /// The stored folder of an invoice id (ids are sanitised into folder names as the contract says).
    fn folder(&self, id: &str) -> Option<(&str, &Folder)> {
        if let Some((k, f)) = self.folders.get_key_value(id) {
            return Some((k.as_str(), f));
        }
        let name = pcrecon::source::snapshot::invoice_folder_name(id);
        self.folders
            .get_key_value(&name)
            .map(|(k, f)| (k.as_str(), f))
    }

    fn invoice(&self, id: &str) -> Option<&RawValue> {
        self.invoices
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, raw)| raw.as_ref())
    }

    /// Whether the id names an invoice of the snapshot (in the pages or with a folder).
    fn known(&self, id: &str) -> bool {
        self.invoice(id).is_some() || self.folder(id).is_some()
    }

    /// The id as the snapshot knows it: `OneTime-G…`/`Recurring-D…` (the type-prefixed form of
    /// `links.self`) is accepted for a stored plain id.
    fn resolve<'a>(&self, id: &'a str) -> &'a str {
        if self.known(id) {
            return id;
        }
        for prefix in ["OneTime-", "Recurring-"] {
            if let Some(plain) = id.strip_prefix(prefix)
                && self.known(plain)
            {
                return plain;
            }
        }
        id
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

struct Shared {
    opts: FakeOptions,
    base: String,
    data: Data,
    stats: Arc<Stats>,
    fault_rate: AtomicU64,
    rng: Mutex<FaultRng>,
    auth: Mutex<Auth>,
    seek: Mutex<Seek>,
    graph: Mutex<Graph>,
    /// Repeated pages still to serve (`FakeOptions::repeat_pages`).
    repeats_left: AtomicU32,
}

struct FaultRng {
    rng: XorShift,
    /// 429s sent so far (alternates the `Retry-After` form).
    n429: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Audience {
    PartnerCenter,
    Graph,
    Other,
}

#[derive(Clone, Copy)]
struct TokenInfo {
    audience: Audience,
    app_user: bool,
    expires: Instant,
}

struct Auth {
    tokens: HashMap<String, TokenInfo>,
    /// The only refresh token accepted (the newest issued).
    refresh: String,
    refresh_seq: u64,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct SeekPos {
    folder: String,
    feed: &'static str,
    offset: usize,
}

/// Seek continuation tokens: token → position, and one token per position (so a retried page
/// gets the very same response).
#[derive(Default)]
struct Seek {
    positions: HashMap<String, SeekPos>,
    tokens: HashMap<SeekPos, String>,
}

impl Seek {
    fn get(&self, token: &str) -> Option<&SeekPos> {
        self.positions.get(token)
    }

    fn token_for(&mut self, folder: &str, feed: &'static str, offset: usize) -> String {
        let pos = SeekPos {
            folder: folder.to_string(),
            feed,
            offset,
        };
        if let Some(t) = self.tokens.get(&pos) {
            return t.clone();
        }
        let t = new_continuation_token(folder, offset);
        self.positions.insert(t.clone(), pos.clone());
        self.tokens.insert(pos, t.clone());
        t
    }
}

#[derive(Default)]
struct Graph {
    ops: HashMap<String, Operation>,
    seq: u64,
    manifests: HashMap<String, IssuedManifest>,
    /// Issued SAS `sig` (decoded) → invoice folder.
    sigs: HashMap<String, String>,
}

struct Operation {
    seq: u64,
    kind: ExportKind,
    invoice_id: String,
    created: String,
    polls: u32,
    manifest_id: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ExportKind {
    BilledReconciliation,
    /// Served from `FakeOptions::unbilled` (folder `unbilled-<period>-<currency>`).
    UnbilledReconciliation,
    /// Usage exports: not in a snapshot, always `failed`.
    Unsupported,
}

struct IssuedManifest {
    invoice_id: String,
    sig: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// xorshift64* seeded through splitmix64.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        XorShift(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    TooMany { http_date: bool },
    Unavailable,
    Dropped,
}

impl Shared {
    fn decide_fault(&self) -> Option<Fault> {
        let p = f64::from_bits(self.fault_rate.load(Ordering::SeqCst));
        if p <= 0.0 {
            return None;
        }
        let mut r = lock(&self.rng);
        if r.rng.next_f64() >= p {
            return None;
        }
        Some(match r.rng.next_u64() % 3 {
            0 => {
                r.n429 += 1;
                Fault::TooMany {
                    http_date: r.n429.is_multiple_of(2),
                }
            }
            1 => Fault::Unavailable,
            _ => Fault::Dropped,
        })
    }

    fn fault_response(&self, f: Fault) -> Response {
        match f {
            Fault::TooMany { http_date } => {
                self.stats.faults_429.fetch_add(1, Ordering::SeqCst);
                let retry_after = if http_date {
                    // At least one second ahead (HTTP dates have whole seconds).
                    let now = chrono::Utc::now();
                    let t = now + chrono::Duration::seconds(2)
                        - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos()));
                    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
                } else {
                    "1".to_string()
                };
                let mut r = json_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    r#"{"statusCode":429,"message":"Rate limit is exceeded. Try again in 1 seconds."}"#
                        .to_string(),
                );
                set_header(&mut r, header::RETRY_AFTER, &retry_after);
                r
            }
            Fault::Unavailable => {
                self.stats.faults_503.fetch_add(1, Ordering::SeqCst);
                api_fault(
                    StatusCode::SERVICE_UNAVAILABLE,
                    900503,
                    "The service is temporarily unavailable. Please retry. (injected fault)",
                )
            }
            Fault::Dropped => {
                self.stats.faults_dropped.fetch_add(1, Ordering::SeqCst);
                let mut r = Response::new(Body::new(DroppedBody {
                    state: 0,
                    sleep: None,
                }));
                set_header(&mut r, header::CONTENT_TYPE, JSON);
                r
            }
        }
    }
}

/// A body that sends a few bytes, waits a moment (so they reach the client) and then fails,
/// which makes hyper abort the connection mid-body.
struct DroppedBody {
    state: u8,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl hyper::body::Body for DroppedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.state == 0 {
            self.state = 1;
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                b"{\"totalCount\":2,\"items\":[{\"id\":\"",
            )))));
        }
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(30))));
        match sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "injected fault: connection dropped mid-body",
            )))),
        }
    }
}

/// Streams a file.
struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Box<[u8]>,
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let mut rb = ReadBuf::new(&mut this.buf);
        match Pin::new(&mut this.file).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "blob file shrank while serving it",
                    ))));
                }
                let n = n.min(this.remaining as usize);
                this.remaining -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
                    &rb.filled()[..n],
                )))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

// ---------------------------------------------------------------------------------------------
// Small HTTP helpers
// ---------------------------------------------------------------------------------------------

fn set_header(r: &mut Response, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
}

fn respond(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    set_header(&mut r, header::CONTENT_TYPE, content_type);
    r
}

fn json_response(status: StatusCode, body: String) -> Response {
    respond(status, JSON, body)
}

/// Partner Center's error body (API reference §6.11).
fn api_fault(status: StatusCode, code: u64, description: &str) -> Response {
    json_response(
        status,
        json!({"code": code, "description": description, "data": [], "source": "PartnerFD"})
            .to_string(),
    )
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": now_rfc3339(), "request-id": uuid::Uuid::new_v4().to_string()
        }}})
        .to_string(),
    )
}

fn blob_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}\nRequestId:{}\nTime:{}</Message></Error>",
        uuid::Uuid::new_v4(),
        now_rfc3339()
    );
    let mut r = respond(status, "application/xml", body);
    set_header(&mut r, HeaderName::from_static("x-ms-error-code"), code);
    r
}

fn now_rfc3339() -> String {
    graph_time(chrono::Utc::now())
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("string serialises")
}

fn raw(s: String) -> Box<RawValue> {
    RawValue::from_string(s).expect("valid JSON")
}

/// Percent-decoding (`+` is a space when `plus_space`).
fn pct_decode(s: &str, plus_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' if plus_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A query string or form body: raw pairs, looked up by case-insensitive decoded name.
struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    fn parse(s: &str) -> Query {
        let pairs = s
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (p.to_string(), String::new()),
            })
            .collect();
        Query { pairs }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(k, _)| pct_decode(k, true).eq_ignore_ascii_case(name))
            .map(|(_, v)| pct_decode(v, true))
    }

    /// The raw `k=v` pairs except the named ones.
    fn others(&self, except: &[&str]) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| {
                let k = pct_decode(k, true);
                !except.iter().any(|e| k.eq_ignore_ascii_case(e))
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

// ---------------------------------------------------------------------------------------------
// Entry: stats, latency, faults, correlation headers, routing
// ---------------------------------------------------------------------------------------------

/// The request's header value, or a fresh GUID.
fn echo_or_new(h: &HeaderMap, name: &str) -> HeaderValue {
    h.get(name).cloned().unwrap_or_else(|| {
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).expect("a GUID is a header value")
    })
}

async fn entry(State(s): State<Arc<Shared>>, req: Request) -> Response {
    if req.uri().path() == "/_fake/stats" {
        return json_response(StatusCode::OK, s.stats.snapshot().to_string());
    }
    s.stats.requests.fetch_add(1, Ordering::SeqCst);
    let request_id = echo_or_new(req.headers(), "ms-requestid");
    let correlation_id = echo_or_new(req.headers(), "ms-correlationid");
    let client_request_id = echo_or_new(req.headers(), "client-request-id");
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    lock(&s.stats.log).push(format!("{method} {path}"));
    if s.opts.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(s.opts.latency_ms)).await;
    }
    let fault = s.decide_fault();
    let mut resp = match (fault, &s.opts.throttle_retry_after) {
        (Some(f), _) => s.fault_response(f),
        (None, Some(wait)) if !path.contains("/oauth2/") => {
            s.stats.faults_429.fetch_add(1, Ordering::SeqCst);
            let mut r = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"statusCode":429,"message":"Rate limit is exceeded."}"#.to_string(),
            );
            set_header(&mut r, header::RETRY_AFTER, wait);
            r
        }
        (None, _) => route(&s, req).await,
    };
    tracing::info!(%method, %path, status = resp.status().as_u16(), ?fault, "fake-partner-center");
    let h = resp.headers_mut();
    h.insert(HeaderName::from_static("ms-requestid"), request_id.clone());
    h.insert(HeaderName::from_static("ms-correlationid"), correlation_id);
    h.insert(
        HeaderName::from_static("client-request-id"),
        client_request_id,
    );
    h.insert(HeaderName::from_static("request-id"), request_id);
    let cv = format!("{}.0", &base64(uuid::Uuid::new_v4().as_bytes())[..22]);
    if let Ok(v) = HeaderValue::from_str(&cv) {
        h.insert(HeaderName::from_static("ms-cv"), v);
    }
    h.insert(
        HeaderName::from_static("ms-serverid"),
        HeaderValue::from_static("fake-partner-center"),
    );
    resp
}

async fn route(s: &Arc<Shared>, req: Request) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let segs: Vec<String> = uri
        .path()
        .split('/')
        .filter(|x| !x.is_empty())
        .map(|x| pct_decode(x, false))
        .collect();
    let seg: Vec<&str> = segs.iter().map(String::as_str).collect();
    let query = Query::parse(uri.query().unwrap_or(""));
    match seg.as_slice() {
        [_tenant, "oauth2", "token"] => token(s, req, false).await,
        [_tenant, "oauth2", "v2.0", "token"] => token(s, req, true).await,
        ["v1", rest @ ..] => {
            // `links.*.uri` are relative and lack `/v1` (API reference §2).
            let path = uri.path().strip_prefix("/v1").unwrap_or(uri.path());
            let self_uri = match uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            };
            partner_center(s, &method, req.headers(), rest, &query, &self_uri).await
        }
        ["v1.0", rest @ ..] => {
            let rest: Vec<String> = rest.iter().map(|x| x.to_string()).collect();
            graph(s, req, &rest).await
        }
        ["blobs", invoice, name] => {
            if method != Method::GET {
                return blob_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "UnsupportedHttpVerb",
                    "The resource doesn't support specified Http Verb.",
                );
            }
            blob(s, req.headers(), invoice, name, &query).await
        }
        _ => api_fault(
            StatusCode::NOT_FOUND,
            404,
            &format!("No such route: {} {}", method, uri.path()),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Entra ID tokens
// ---------------------------------------------------------------------------------------------

fn entra_error(
    s: &Shared,
    status: StatusCode,
    error: &str,
    code: u64,
    description: &str,
) -> Response {
    s.stats.token_errors.fetch_add(1, Ordering::SeqCst);
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    let timestamp = chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string();
    json_response(
        status,
        json!({
            "error": error,
            "error_description": format!(
                "{description} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        })
        .to_string(),
    )
}

fn audience_of(target: &str) -> Audience {
    let t = target.to_ascii_lowercase();
    if t.contains("api.partnercenter.microsoft.com") {
        Audience::PartnerCenter
    } else if t.contains("graph.microsoft.com") {
        Audience::Graph
    } else {
        Audience::Other
    }
}

async fn token(s: &Arc<Shared>, req: Request, v2: bool) -> Response {
    if req.method() != Method::POST {
        return entra_error(
            s,
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            900561,
            "AADSTS900561: The endpoint only accepts POST requests.",
        );
    }
    let body = match axum::body::to_bytes(req.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(_) => {
            return entra_error(
                s,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                "AADSTS900144: The request body could not be read.",
            );
        }
    };
    let form = Query::parse(&String::from_utf8_lossy(&body));
    let missing = |p: &str| {
        entra_error(
            s,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            &format!("AADSTS900144: The request body must contain the following parameter: '{p}'."),
        )
    };
    let Some(grant) = form.get("grant_type") else {
        return missing("grant_type");
    };
    let Some(client_id) = form.get("client_id").filter(|c| !c.is_empty()) else {
        return missing("client_id");
    };
    if form.get("client_secret").as_deref() != Some(s.opts.client_secret.as_str()) {
        return entra_error(
            s,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        );
    }
    let target = if v2 {
        form.get("scope")
    } else {
        form.get("resource").or_else(|| form.get("scope"))
    };
    let Some(target) = target.filter(|t| !t.trim().is_empty()) else {
        return missing(if v2 { "scope" } else { "resource" });
    };
    let audience = audience_of(&target);
    let refresh = match grant.as_str() {
        "client_credentials" => {
            if v2 && !target.split_whitespace().all(|t| t.ends_with("/.default")) {
                return entra_error(
                    s,
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    1002012,
                    &format!(
                        "AADSTS1002012: The provided value for scope {target} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                    ),
                );
            }
            None
        }
        "refresh_token" => {
            let presented = form.get("refresh_token").unwrap_or_default();
            let mut auth = lock(&s.auth);
            if presented.is_empty() || presented != auth.refresh {
                drop(auth);
                return entra_error(
                    s,
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    70000,
                    "AADSTS70000: Provided grant is invalid or malformed. (fake: only the newest refresh token issued is accepted)",
                );
            }
            auth.refresh_seq += 1;
            let new = format!(
                "fake-refresh-token-{}.{}",
                auth.refresh_seq,
                uuid::Uuid::new_v4().simple()
            );
            auth.refresh = new.clone();
            s.stats.refresh_tokens_issued.fetch_add(1, Ordering::SeqCst);
            Some(new)
        }
        other => {
            return entra_error(
                s,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                70003,
                &format!("AADSTS70003: The app requested an unsupported grant type '{other}'."),
            );
        }
    };
    let app_user = refresh.is_some();
    let ttl = s.opts.token_ttl_secs;
    let access = format!(
        "fake.{}.{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    {
        let mut auth = lock(&s.auth);
        let now = Instant::now();
        if auth.tokens.len() >= 10_000 {
            auth.tokens.retain(|_, t| t.expires > now);
        }
        auth.tokens.insert(
            access.clone(),
            TokenInfo {
                audience,
                app_user,
                expires: now + Duration::from_secs(ttl),
            },
        );
    }
    s.stats.tokens_issued.fetch_add(1, Ordering::SeqCst);
    let now = chrono::Utc::now().timestamp();
    let mut body = if v2 {
        json!({
            "token_type": "Bearer",
            "expires_in": ttl,
            "ext_expires_in": ttl,
            "access_token": access,
        })
    } else {
        json!({
            "token_type": "Bearer",
            "expires_in": ttl.to_string(),
            "ext_expires_in": ttl.to_string(),
            "expires_on": (now + ttl as i64).to_string(),
            "not_before": now.to_string(),
            "resource": target,
            "access_token": access,
        })
    };
    if let Some(rt) = refresh {
        body["refresh_token"] = json!(rt);
        body["scope"] = json!(if v2 {
            target.clone()
        } else {
            "user_impersonation".to_string()
        });
    }
    let mut r = json_response(StatusCode::OK, body.to_string());
    set_header(&mut r, header::CACHE_CONTROL, "no-store, no-cache");
    r
}

enum AuthFailure {
    Missing,
    Unknown,
    Expired,
    WrongAudience,
}

impl AuthFailure {
    fn describe(&self) -> &'static str {
        match self {
            AuthFailure::Missing => "no bearer token",
            AuthFailure::Unknown => "unknown token",
            AuthFailure::Expired => "token expired",
            AuthFailure::WrongAudience => "token audience is not this API",
        }
    }
}

impl Shared {
    fn check_bearer(&self, h: &HeaderMap, want: Audience) -> Result<TokenInfo, AuthFailure> {
        let value = header_str(h, "authorization").ok_or(AuthFailure::Missing)?;
        let (scheme, tok) = value.trim().split_once(' ').ok_or(AuthFailure::Missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthFailure::Missing);
        }
        let info = *lock(&self.auth)
            .tokens
            .get(tok.trim())
            .ok_or(AuthFailure::Unknown)?;
        if Instant::now() >= info.expires {
            return Err(AuthFailure::Expired);
        }
        if info.audience != want {
            return Err(AuthFailure::WrongAudience);
        }
        Ok(info)
    }
}

// ---------------------------------------------------------------------------------------------
// Partner Center v1
// ---------------------------------------------------------------------------------------------

fn pc_unauthorized(s: &Shared, why: AuthFailure) -> Response {
    s.stats.unauthorized.fetch_add(1, Ordering::SeqCst);
    let mut r = json_response(
        StatusCode::UNAUTHORIZED,
        r#"{"code":900300,"description":"unauthorized","source":"PartnerFD"}"#.to_string(),
    );
    set_header(
        &mut r,
        header::WWW_AUTHENTICATE,
        &format!(
            "Bearer realm=\"https://api.partnercenter.microsoft.com\", error=\"invalid_token\", error_description=\"{}\"",
            why.describe()
        ),
    );
    r
}

fn pc_forbidden(s: &Shared) -> Response {
    s.stats.forbidden.fetch_add(1, Ordering::SeqCst);
    api_fault(
        StatusCode::FORBIDDEN,
        900301,
        "Forbidden: this operation requires an App+User (delegated) access token; app-only tokens are not allowed.",
    )
}

async fn partner_center(
    s: &Arc<Shared>,
    method: &Method,
    headers: &HeaderMap,
    rest: &[&str],
    query: &Query,
    self_uri: &str,
) -> Response {
    let token = match s.check_bearer(headers, Audience::PartnerCenter) {
        Ok(t) => t,
        Err(why) => return pc_unauthorized(s, why),
    };
    if method != Method::GET {
        return api_fault(
            StatusCode::METHOD_NOT_ALLOWED,
            405,
            &format!("The requested resource does not support http method '{method}'."),
        );
    }
    let data = &s.data;
    match rest {
        ["invoices"] => list_invoices(s, query, self_uri),
        ["invoices", "summaries"] => {
            if !token.app_user {
                return pc_forbidden(s);
            }
            match &data.summaries {
                Some(b) => respond(StatusCode::OK, JSON, b.clone()),
                None => api_fault(StatusCode::NOT_FOUND, 800002, "No invoice summaries found."),
            }
        }
        ["invoices", "summary"] => match data.summary_items.first() {
            Some(item) => json_response(StatusCode::OK, item.get().to_string()),
            None => api_fault(StatusCode::NOT_FOUND, 800002, "No invoice summary found."),
        },
        ["invoices", id] => {
            if !token.app_user {
                return pc_forbidden(s);
            }
            let id = data.resolve(id);
            if let Some((_, f)) = data.folder(id) {
                let p = f.dir.join("invoice.json");
                if p.is_file() {
                    return match tokio::fs::read(&p).await {
                        Ok(b) => respond(StatusCode::OK, JSON, b),
                        Err(e) => api_fault(StatusCode::INTERNAL_SERVER_ERROR, 500, &e.to_string()),
                    };
                }
            }
            match data.invoice(id) {
                Some(raw) => json_response(StatusCode::OK, raw.get().to_string()),
                None => invoice_not_found(id),
            }
        }
        ["invoices", id, "documents", "statement"] => {
            if !token.app_user {
                return pc_forbidden(s);
            }
            let id = data.resolve(id);
            if !data.known(id) {
                return invoice_not_found(id);
            }
            let stored = match data.folder(id) {
                Some((_, f)) => tokio::fs::read(f.dir.join("statement.pdf")).await.ok(),
                None => None,
            };
            let bytes = stored
                .unwrap_or_else(|| format!("%PDF-1.4 fake statement for {id}\n").into_bytes());
            let mut r = respond(StatusCode::OK, "application/pdf", bytes);
            set_header(
                &mut r,
                header::CONTENT_DISPOSITION,
                &format!("attachment; filename=Invoice_{}.pdf", pct_encode(id)),
            );
            r
        }
        ["invoices", id, "lineitems"] => {
            let (Some(p), Some(t)) = (query.get("provider"), query.get("invoicelineitemtype"))
            else {
                return api_fault(
                    StatusCode::BAD_REQUEST,
                    400,
                    "The query parameters 'provider' and 'invoicelineitemtype' are required.",
                );
            };
            line_items(s, data.resolve(id), &p, &t, headers, query, self_uri)
        }
        ["invoices", id, "lineitems", p, t] => {
            line_items(s, data.resolve(id), p, t, headers, query, self_uri)
        }
        _ => api_fault(StatusCode::NOT_FOUND, 404, "Resource not found."),
    }
}

fn invoice_not_found(id: &str) -> Response {
    api_fault(
        StatusCode::NOT_FOUND,
        800002,
        &format!("Invoice not found: {id}"),
    )
}

fn link(uri: &str, headers: serde_json::Value) -> serde_json::Value {
    json!({"uri": uri, "method": "GET", "headers": headers})
}

/// A ResourceCollection page, items copied verbatim.
fn collection(
    items: &[Box<RawValue>],
    self_uri: &str,
    next: Option<serde_json::Value>,
    continuation: Option<&str>,
) -> Response {
    let mut out =
        String::with_capacity(items.iter().map(|i| i.get().len() + 1).sum::<usize>() + 512);
    out.push('{');
    if let Some(c) = continuation {
        out.push_str("\"continuationToken\":");
        out.push_str(&json_str(c));
        out.push(',');
    }
    out.push_str(&format!("\"totalCount\":{},\"items\":[", items.len()));
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item.get());
    }
    out.push_str("],\"links\":");
    let mut links = json!({"self": link(self_uri, json!([]))});
    if let Some(n) = next {
        links["next"] = n;
    }
    out.push_str(&links.to_string());
    out.push_str(",\"attributes\":{\"objectType\":\"Collection\"}}");
    json_response(StatusCode::OK, out)
}

/// A non-negative integer query parameter (absent or empty = `None`); a bad value is a 400.
fn parse_usize(query: &Query, name: &str) -> Result<Option<usize>, Box<Response>> {
    match query.get(name) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
            Box::new(api_fault(
                StatusCode::BAD_REQUEST,
                400,
                &format!("Invalid value '{v}' for parameter '{name}'."),
            ))
        }),
    }
}

fn list_invoices(s: &Shared, query: &Query, self_uri: &str) -> Response {
    let all: Vec<Box<RawValue>> = s.data.invoices.iter().map(|(_, r)| r.clone()).collect();
    let size = match parse_usize(query, "size") {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let offset = match parse_usize(query, "offset") {
        Ok(v) => v.unwrap_or(0),
        Err(r) => return *r,
    };
    if size == Some(0) {
        return api_fault(StatusCode::BAD_REQUEST, 400, "'size' must be at least 1.");
    }
    let start = offset.min(all.len());
    let end = match size {
        Some(n) => start.saturating_add(n).min(all.len()),
        None => all.len(),
    };
    let next = match size {
        Some(n) if end < all.len() => {
            Some(link(&format!("/invoices?size={n}&offset={end}"), json!([])))
        }
        _ => None,
    };
    collection(&all[start..end], self_uri, next, None)
}

/// A v1 line-item feed: its snapshot folder, its type for query-form URLs, and its paging.
struct FeedSpec {
    folder: &'static str,
    type_name: &'static str,
    seek: bool,
}

fn feed_spec(provider: &str, typ: &str) -> Option<FeedSpec> {
    let norm = |x: &str| x.to_ascii_lowercase().replace('_', "");
    let (p, t) = (norm(provider), norm(typ));
    let billing = t == "billinglineitems";
    let usage = t == "usagelineitems";
    let spec = |folder, type_name, seek| {
        Some(FeedSpec {
            folder,
            type_name,
            seek,
        })
    };
    match p.as_str() {
        "office" if billing => spec("office-billinglineitems", "billinglineitems", false),
        "azure" if billing => spec("azure-billinglineitems", "billinglineitems", false),
        "azure" if usage => spec("azure-usagelineitems", "usagelineitems", false),
        "onetime" | "all" if billing => spec("onetime-billinglineitems", "billinglineitems", true),
        "onetime" | "marketplace" if usage => {
            spec("onetime-usagelineitems", "usagelineitems", true)
        }
        _ => None,
    }
}

/// A continuation token with the characters real ones have (`,` `/` `+` `=`).
fn new_continuation_token(folder: &str, offset: usize) -> String {
    let mut marker = format!("FakeSeek:{folder}:{offset}").into_bytes();
    while marker.len() % 3 != 1 {
        marker.push(b'#');
    }
    format!(
        "{},{}/{}+{},{}",
        uuid::Uuid::new_v4(),
        base64(&uuid::Uuid::new_v4().as_bytes()[..9]),
        base64(&uuid::Uuid::new_v4().as_bytes()[..6]),
        base64(&marker),
        uuid::Uuid::new_v4()
    )
}

fn line_items(
    s: &Shared,
    id: &str,
    provider: &str,
    typ: &str,
    headers: &HeaderMap,
    query: &Query,
    self_uri: &str,
) -> Response {
    let Some(feed) = feed_spec(provider, typ) else {
        return api_fault(
            StatusCode::BAD_REQUEST,
            400,
            &format!(
                "Unsupported billing provider / invoice line item type: '{provider}' / '{typ}'."
            ),
        );
    };
    let size = match parse_usize(query, "size") {
        Ok(v) => v.unwrap_or(DEFAULT_PAGE_SIZE),
        Err(r) => return *r,
    };
    if size == 0 {
        return api_fault(StatusCode::BAD_REQUEST, 400, "'size' must be at least 1.");
    }
    let size = size.min(s.opts.page_size_cap.max(1));
    let (folder_name, items): (&str, &[Box<RawValue>]) = match s.data.folder(id) {
        Some((name, f)) => (
            name,
            f.feeds.get(feed.folder).map(Vec::as_slice).unwrap_or(&[]),
        ),
        None => ("", &[]),
    };
    if items.is_empty() {
        if s.opts.empty_feed_no_content {
            return respond(StatusCode::NO_CONTENT, JSON, Body::empty());
        }
        return collection(&[], self_uri, None, None);
    }
    // the paging fault: the page before [start, end) (a full one: `size` items) again, with
    // [start, end)'s links
    let page = |start: usize, end: usize| -> &[Box<RawValue>] {
        if start >= size
            && (s.opts.repeat_feed.is_empty() || s.opts.repeat_feed == feed.folder)
            && s.repeats_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                    (n > 0).then(|| if n == u32::MAX { n } else { n - 1 })
                })
                .is_ok()
        {
            s.stats.repeated_pages.fetch_add(1, Ordering::SeqCst);
            &items[start - size..start]
        } else {
            &items[start..end]
        }
    };
    if feed.seek {
        let next_call = query
            .get("seekoperation")
            .is_some_and(|v| v.eq_ignore_ascii_case("next"));
        let start = if next_call {
            let Some(tok) = header_str(headers, "ms-continuationtoken") else {
                return api_fault(
                    StatusCode::BAD_REQUEST,
                    400,
                    "seekOperation=Next requires the MS-ContinuationToken header.",
                );
            };
            match lock(&s.seek).get(tok) {
                Some(pos) if pos.folder == folder_name && pos.feed == feed.folder => pos.offset,
                _ => {
                    return api_fault(StatusCode::BAD_REQUEST, 400, "Invalid continuation token.");
                }
            }
        } else {
            0
        };
        let start = start.min(items.len());
        let end = start.saturating_add(size).min(items.len());
        if end < items.len() {
            let tok = lock(&s.seek).token_for(folder_name, feed.folder, end);
            let tok = match header_str(headers, "ms-continuationtoken") {
                Some(asked) if s.opts.sticky_continuation && next_call => asked.to_string(),
                _ => tok,
            };
            let extra: String = query
                .others(&[
                    "provider",
                    "invoicelineitemtype",
                    "size",
                    "seekoperation",
                    "offset",
                ])
                .iter()
                .map(|kv| format!("&{kv}"))
                .collect();
            let uri = format!(
                "/invoices/{}/lineitems?provider=onetime&invoicelineitemtype={}&size={size}{extra}&seekOperation=Next",
                pct_encode(id),
                feed.type_name
            );
            let next = link(&uri, json!([{"key": "MS-ContinuationToken", "value": tok}]));
            collection(page(start, end), self_uri, Some(next), Some(&tok))
        } else {
            collection(page(start, end), self_uri, None, None)
        }
    } else {
        let offset = match parse_usize(query, "offset") {
            Ok(v) => v.unwrap_or(0),
            Err(r) => return *r,
        };
        let start = offset.min(items.len());
        let end = start.saturating_add(size).min(items.len());
        let next = (end < items.len()).then(|| {
            let path = self_uri.split('?').next().unwrap_or(self_uri);
            let mut params = query.others(&["size", "offset", "seekoperation"]);
            params.push(format!("size={size}"));
            params.push(format!("offset={end}"));
            link(&format!("{path}?{}", params.join("&")), json!([]))
        });
        collection(page(start, end), self_uri, next, None)
    }
}

// ---------------------------------------------------------------------------------------------
// Graph partner-billing exports
// ---------------------------------------------------------------------------------------------

fn graph_unauthorized(s: &Shared, why: AuthFailure) -> Response {
    s.stats.unauthorized.fetch_add(1, Ordering::SeqCst);
    let mut r = graph_error(
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
        &format!("Access token validation failure: {}.", why.describe()),
    );
    set_header(
        &mut r,
        header::WWW_AUTHENTICATE,
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
    );
    r
}

/// `2025-03-07T02:03:40.9170000Z` (seven fraction digits, as Graph writes them).
fn graph_time(t: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

async fn graph(s: &Arc<Shared>, req: Request, rest: &[String]) -> Response {
    if let Err(why) = s.check_bearer(req.headers(), Audience::Graph) {
        return graph_unauthorized(s, why);
    }
    let method = req.method().clone();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match (&method, rest.as_slice()) {
        (&Method::POST, ["reports", "partners", "billing", area, which, "export"])
            if matches!(*area, "reconciliation" | "usage")
                && matches!(*which, "billed" | "unbilled") =>
        {
            let kind = match (*area, *which) {
                ("reconciliation", "billed") => ExportKind::BilledReconciliation,
                ("reconciliation", "unbilled") => ExportKind::UnbilledReconciliation,
                _ => ExportKind::Unsupported,
            };
            let body = match axum::body::to_bytes(req.into_body(), 1 << 20).await {
                Ok(b) => b,
                Err(_) => {
                    return graph_error(StatusCode::BAD_REQUEST, "BadRequest", "Unreadable body.");
                }
            };
            export_start(s, kind, &body)
        }
        (&Method::GET, ["reports", "partners", "billing", "operations", id]) => operation(s, id),
        (&Method::GET, ["reports", "partners", "billing", "manifests", id]) => {
            let g = lock(&s.graph);
            match g.manifests.get(*id) {
                Some(m) => match s
                    .data
                    .folder(s.data.resolve(&m.invoice_id))
                    .and_then(|(_, f)| f.export.as_ref())
                {
                    Some(export) => json_response(
                        StatusCode::OK,
                        manifest_json(s, export, &m.invoice_id, &m.sig),
                    ),
                    None => graph_error(StatusCode::NOT_FOUND, "NotFound", "Manifest not found."),
                },
                None => graph_error(StatusCode::NOT_FOUND, "NotFound", "Manifest not found."),
            }
        }
        _ => graph_error(
            StatusCode::NOT_FOUND,
            "UnknownError",
            &format!("No such Graph resource: {method} /v1.0/{}", rest.join("/")),
        ),
    }
}

fn export_start(s: &Shared, kind: ExportKind, body: &[u8]) -> Response {
    let v: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("The request body is not valid JSON: {e}"),
            );
        }
    };
    if let Some(a) = v.get("attributeSet")
        && !matches!(a.as_str(), Some("full") | Some("basic"))
    {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "attributeSet must be 'full' or 'basic'.",
        );
    }
    let invoice_id = match (kind, v.get("invoiceId").and_then(|x| x.as_str())) {
        (ExportKind::BilledReconciliation, Some(id)) if !id.is_empty() => id.to_string(),
        (ExportKind::BilledReconciliation, _) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "The invoiceId property is required.",
            );
        }
        (ExportKind::UnbilledReconciliation, _) => {
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("");
            let (currency, period) = (field("currencyCode"), field("billingPeriod"));
            if currency.is_empty() || !matches!(period, "current" | "last") {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "currencyCode and billingPeriod ('current' or 'last') are required.",
                );
            }
            format!("unbilled-{period}-{currency}")
        }
        (ExportKind::Unsupported, id) => id.unwrap_or("").to_string(),
    };
    let id = uuid::Uuid::new_v4().to_string();
    let mut g = lock(&s.graph);
    let seq = g.seq;
    g.seq += 1;
    g.ops.insert(
        id.clone(),
        Operation {
            seq,
            kind,
            invoice_id,
            created: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
            polls: 0,
            manifest_id: None,
        },
    );
    drop(g);
    let mut r = respond(StatusCode::ACCEPTED, JSON, Body::empty());
    r.headers_mut().remove(header::CONTENT_TYPE);
    set_header(
        &mut r,
        header::LOCATION,
        &format!("{}/v1.0/reports/partners/billing/operations/{id}", s.base),
    );
    r
}

fn manifest_json(s: &Shared, export: &Export, invoice_id: &str, sig: &str) -> String {
    let mut m = export.manifest.clone();
    m.insert(
        "rootDirectory".to_string(),
        raw(json_str(&format!(
            "{}/blobs/{}",
            s.base,
            pct_encode(invoice_id)
        ))),
    );
    m.insert(
        "sasToken".to_string(),
        raw(json_str(&format!(
            "sv=2021-08-06&se=2099-01-01T00%3A00%3A00Z&sr=d&sp=rl&sig={}",
            pct_encode(sig)
        ))),
    );
    serde_json::to_string(&m).expect("manifest serialises")
}

fn operation(s: &Shared, id: &str) -> Response {
    let mut g = lock(&s.graph);
    let Some(op) = g.ops.get_mut(id) else {
        return graph_error(StatusCode::NOT_FOUND, "NotFound", "Operation not found.");
    };
    let head = |odata: &str, status: &str, op: &Operation| {
        format!(
            "{{\"@odata.type\":{},\"id\":{},\"status\":{},\"createdDateTime\":{},\"lastActionDateTime\":{}",
            json_str(odata),
            json_str(id),
            json_str(status),
            json_str(&op.created),
            json_str(&graph_time(chrono::Utc::now()))
        )
    };
    if op.polls < s.opts.export_polls {
        op.polls += 1;
        let body = head(
            "#microsoft.graph.partners.billing.runningOperation",
            "running",
            op,
        ) + "}";
        let mut r = json_response(StatusCode::OK, body);
        set_header(&mut r, header::RETRY_AFTER, "1");
        return r;
    }
    let export = match op.kind {
        ExportKind::BilledReconciliation | ExportKind::UnbilledReconciliation => s
            .data
            .folder(s.data.resolve(&op.invoice_id))
            .and_then(|(_, f)| f.export.as_ref()),
        ExportKind::Unsupported => None,
    };
    let Some(export) = export else {
        let body = head(
            "#microsoft.graph.partners.billing.failedOperation",
            "failed",
            op,
        ) + ",\"error\":{\"code\":\"5000\",\"message\":\"No reconciliation data available\"}}";
        return json_response(StatusCode::OK, body);
    };
    let (seq, invoice_id) = (op.seq, op.invoice_id.clone());
    let status = if seq % 2 == 0 {
        "succeeded"
    } else {
        "completed"
    };
    let mut body = head(
        "#microsoft.graph.partners.billing.exportSuccessOperation",
        status,
        op,
    );
    let manifest_id = match op.manifest_id.clone() {
        Some(m) => m,
        None => {
            let m = uuid::Uuid::new_v4().to_string();
            op.manifest_id = Some(m.clone());
            let mut sig_bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
            sig_bytes.extend_from_slice(&uuid::Uuid::new_v4().as_bytes()[..15]);
            let sig = base64(&sig_bytes);
            let folder = s
                .data
                .folder(s.data.resolve(&invoice_id))
                .map(|(n, _)| n.to_string())
                .unwrap_or_default();
            g.sigs.insert(sig.clone(), folder);
            g.manifests.insert(
                m.clone(),
                IssuedManifest {
                    invoice_id: invoice_id.clone(),
                    sig,
                },
            );
            m
        }
    };
    if seq % 2 == 0 {
        let sig = &g.manifests[&manifest_id].sig;
        body.push_str(",\"resourceLocation\":");
        body.push_str(&manifest_json(s, export, &invoice_id, sig));
    } else {
        body.push_str(",\"resourceLocation@odata.navigationLink\":");
        body.push_str(&json_str(&format!(
            "{}/v1.0/reports/partners/billing/manifests/{manifest_id}",
            s.base
        )));
    }
    body.push('}');
    json_response(StatusCode::OK, body)
}

// ---------------------------------------------------------------------------------------------
// Blob (SAS) downloads
// ---------------------------------------------------------------------------------------------

async fn blob(
    s: &Shared,
    headers: &HeaderMap,
    invoice: &str,
    name: &str,
    query: &Query,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return blob_error(
            StatusCode::BAD_REQUEST,
            "InvalidAuthenticationInfo",
            "Authentication information is not given in the correct format. A SAS download must not carry an Authorization header.",
        );
    }
    let folder = s
        .data
        .folder(s.data.resolve(invoice))
        .map(|(n, f)| (n.to_string(), f));
    let authorised = match (query.get("sig"), &folder) {
        (Some(sig), Some((fname, _))) => lock(&s.graph).sigs.get(&sig) == Some(fname),
        _ => false,
    };
    if !authorised {
        let mut r = respond(
            StatusCode::FORBIDDEN,
            "application/xml",
            format!(
                "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\nRequestId:{}\nTime:{}</Message><AuthenticationErrorDetail>Signature did not match. (fake: unknown or missing sig)</AuthenticationErrorDetail></Error>",
                uuid::Uuid::new_v4(),
                now_rfc3339()
            ),
        );
        set_header(
            &mut r,
            HeaderName::from_static("x-ms-error-code"),
            "AuthenticationFailed",
        );
        return r;
    }
    let path = folder
        .and_then(|(_, f)| f.export.as_ref())
        .and_then(|e| e.blobs.get(name));
    let Some(path) = path else {
        return blob_error(
            StatusCode::NOT_FOUND,
            "BlobNotFound",
            "The specified blob does not exist.",
        );
    };
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(_) => {
            return blob_error(
                StatusCode::NOT_FOUND,
                "BlobNotFound",
                "The specified blob does not exist.",
            );
        }
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => {
            return blob_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &e.to_string(),
            );
        }
    };
    let body = FileBody {
        file,
        remaining: len,
        buf: vec![0u8; 64 * 1024].into_boxed_slice(),
    };
    let mut r = Response::new(Body::new(body));
    set_header(&mut r, header::CONTENT_TYPE, "application/octet-stream");
    set_header(&mut r, header::CONTENT_LENGTH, &len.to_string());
    set_header(
        &mut r,
        HeaderName::from_static("x-ms-blob-type"),
        "BlockBlob",
    );
    set_header(
        &mut r,
        HeaderName::from_static("x-ms-version"),
        "2021-08-06",
    );
    r
}
