//! The live source: fetches invoice summaries, invoices and every invoice's line items from the
//! Partner Center REST API (v1 offset and seek paging) and the Graph billed-reconciliation export
//! (v2), plus the unbilled-reconciliation exports, and writes the raw responses as a snapshot in
//! the contract's layout. Everything after the fetch reads that snapshot through the same code as
//! an offline run.

pub mod auth;
pub mod config;
pub mod http;
pub mod incremental;
pub mod retry;
pub mod writer;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use reqwest::{Method, Url};
use serde_json::Value;
use tracing::Instrument;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::feed::{Feed, FeedSource, Paging, UrlForm};
use crate::model::fnv::page_fingerprint;
use crate::model::invoice::{Collection, ExportManifest, Invoice};
use crate::model::json::fold_member_names;
use crate::model::period::Period;
use crate::model::{api_date, strip_bom};
use crate::progress::Progress;
use crate::source::snapshot::{invoice_folder_name, safe_file_name};
use auth::{Audience, Credentials, TokenCache};
use http::{Api, Call};
use retry::RetryPolicy;
use writer::SnapshotWriter;

/// Where and how to fetch.
#[derive(Debug)]
pub(crate) struct FetchOptions {
    /// `--period` months (empty = all invoices' line items).
    pub(crate) periods: Vec<Period>,
    /// The snapshot folder to create.
    pub(crate) dest: PathBuf,
    /// Progress display.
    pub(crate) progress: Progress,
    /// `--full`: fetch every invoice, reuse nothing from the previous snapshot.
    pub(crate) full: bool,
}

/// What a fetch did.
#[derive(Debug)]
pub(crate) struct FetchOutcome {
    /// The snapshot written.
    pub(crate) snapshot: PathBuf,
    /// Invoices in the snapshot (fetched or reused).
    pub(crate) invoices_fetched: usize,
    /// Of those, the invoices hard-linked from the previous snapshot.
    pub(crate) invoices_reused: usize,
    /// Request counters (retries by reason, bytes).
    pub(crate) stats: Value,
}

impl FetchOutcome {
    /// (requests sent, requests retried for any reason), for monitoring.
    pub(crate) fn request_counts(&self) -> (u64, u64) {
        let n = |k: &str| self.stats.get(k).and_then(Value::as_u64).unwrap_or(0);
        let retries = ["throttled", "server_error", "network", "unauthorized"]
            .iter()
            .map(|r| n(&format!("retries_{r}")))
            .sum();
        (n("requests"), retries)
    }
}

/// `base` + path segments (each percent-encoded: ids come from the network) + query.
pub(crate) fn api_url(base: &str, segments: &[&str], query: &[(&str, String)]) -> Result<Url> {
    let mut url =
        Url::parse(base).map_err(|e| Error::config(format!("{base:?} is not a URL: {e}")))?;
    url.path_segments_mut()
        .map_err(|_| Error::config(format!("{base:?} cannot be a base URL")))?
        .pop_if_empty()
        .extend(segments);
    if !query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    }
    Ok(url)
}

/// The paging facts of a collection page (items only counted).
fn page_info(body: &[u8], what: &str) -> Result<PageInfoView> {
    let c: Collection<serde::de::IgnoredAny> =
        serde_json::from_slice(strip_bom(body)).map_err(|e| {
            Error::Source(format!(
                "{what}: the API answered with something that is not a collection page: {e}"
            ))
        })?;
    let header_token = c.links.next.as_ref().and_then(|l| {
        l.headers
            .iter()
            .find(|h| h.key.eq_ignore_ascii_case(CONTINUATION_HEADER))
            .map(|h| h.value.clone())
    });
    Ok(PageInfoView {
        items: c.items.len(),
        continuation: c
            .continuation_token
            .filter(|t| !t.is_empty())
            .or(header_token),
        next: c.links.next.map(|_| ()),
    })
}

/// The first request of a v1 feed and how it pages (API reference §4.6: path form for legacy
/// Office/Azure, query form for the seek-paged OneTime feeds).
pub(crate) fn feed_request(
    api_base: &str,
    invoice_id: &str,
    feed: Feed,
    currency: &str,
    size: u32,
) -> Result<(Url, Paging)> {
    let spec = feed.spec();
    let FeedSource::V1 { url, paging } = spec.source else {
        return Err(Error::Internal(format!("{} is not a v1 feed", spec.folder)));
    };
    let mut path = vec!["v1", "invoices", invoice_id, "lineitems"];
    let mut query: Vec<(&str, String)> = Vec::new();
    match url {
        UrlForm::Path {
            provider,
            line_item_type,
        } => path.extend([provider, line_item_type]),
        UrlForm::Query {
            provider,
            line_item_type,
            with_currency,
        } => {
            query.push(("provider", provider.to_owned()));
            query.push(("invoicelineitemtype", line_item_type.to_owned()));
            if with_currency {
                query.push(("currencycode", currency.to_owned()));
            }
        }
    }
    query.push(("size", size.to_string()));
    if paging == Paging::Offset {
        query.push(("offset", "0".into()));
    }
    Ok((api_url(api_base, &path, &query)?, paging))
}

/// The request for the page after one with `items` items: built from the first request (never
/// from the API's `links.next.uri`, which the docs show malformed); `None` on the last page.
pub(crate) fn next_request(
    first: &Url,
    paging: &Paging,
    offset_so_far: usize,
    page: &PageInfoView,
) -> Result<Option<(Url, Option<String>)>> {
    if page.next.is_none() || page.items == 0 {
        return Ok(None);
    }
    let mut url = first.clone();
    match paging {
        Paging::Offset => {
            let pairs: Vec<(String, String)> = first
                .query_pairs()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("offset"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            url.query_pairs_mut()
                .clear()
                .extend_pairs(pairs)
                .append_pair("offset", &(offset_so_far + page.items).to_string());
            Ok(Some((url, None)))
        }
        Paging::Seek => {
            let token = page.continuation.clone().ok_or_else(|| {
                Error::Source(format!(
                    "{}: a seek page has a next link but no continuation token",
                    url.path()
                ))
            })?;
            url.query_pairs_mut().append_pair("seekOperation", "Next");
            Ok(Some((url, Some(token))))
        }
    }
}

/// The paging facts `next_request` needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct PageInfoView {
    /// Items on the page.
    pub(crate) items: usize,
    /// `links.next` was present.
    pub(crate) next: Option<()>,
    /// The continuation token (top level or in the next link's headers).
    pub(crate) continuation: Option<String>,
}

/// Everything one fetch shares between its tasks.
struct Ctx {
    api: Api,
    cfg: Config,
    writer: SnapshotWriter,
    progress: Progress,
    /// The snapshot invoices are reused from (none with `--full` or on a first fetch).
    previous: Option<incremental::Previous>,
}

/// Runs a whole fetch into `opts.dest`.
pub(crate) fn fetch(cfg: &Config, opts: FetchOptions) -> Result<FetchOutcome> {
    cfg.require_api_identity()?;
    let secret = cfg.client_secret()?; // exit 2 before any network call
    let pc = &cfg.partner_center;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("tokio runtime: {e}")))?;
    let ua = format!("pcrecon/{}", env!("CARGO_PKG_VERSION"));
    let timeout = Duration::from_secs(pc.request_timeout_secs);
    let build = |gzip: bool| {
        let b = reqwest::Client::builder()
            .user_agent(ua.clone())
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(30));
        let b = if gzip { b } else { b.no_gzip() };
        b.build()
            .map_err(|e| Error::Internal(format!("HTTP client: {e}")))
    };
    let (http, blob_http) =
        runtime.block_on(async { Ok::<_, Error>((build(true)?, build(false)?)) })?;
    let policy = RetryPolicy {
        max_attempts: pc.max_attempts,
        max_retry_after: Duration::from_secs(pc.max_retry_after_secs),
        ..RetryPolicy::default()
    };
    let tokens = TokenCache::new(
        http.clone(),
        Credentials {
            authority: pc.authority.clone(),
            tenant_id: pc.tenant_id.clone(),
            client_id: pc.client_id.clone(),
            client_secret: secret,
            refresh_token_file: pc.refresh_token_file.clone(),
        },
        policy,
    );
    let api = Api::new(
        http,
        blob_http,
        tokens,
        pc.max_concurrency as usize,
        policy,
        cfg.source.max_page_bytes,
    );
    let writer = SnapshotWriter::new(&opts.dest)?;
    let started = chrono::Utc::now();
    let line_items = serde_json::to_value(pc.line_items).expect("line_items json");
    let previous = if opts.full {
        None
    } else {
        incremental::Previous::find(&cfg.source.snapshot_dir, &opts.dest, &line_items)
    };
    let ctx = Arc::new(Ctx {
        api,
        cfg: cfg.clone(),
        writer,
        progress: opts.progress.clone(),
        previous,
    });
    let held = runtime.block_on(run_fetch(ctx.clone(), &opts.periods))?;
    let fetched = held.len();
    let reused = held.iter().filter(|(_, from)| from.is_some()).count();
    let mut ctx =
        Arc::into_inner(ctx).ok_or_else(|| Error::Internal("fetch tasks still running".into()))?;
    let stats = ctx.api.stats.to_json();
    tracing::info!(invoices = fetched, reused, requests = %stats["requests"], retries_throttled = %stats["retries_throttled"],
        retries_server_error = %stats["retries_server_error"], retries_network = %stats["retries_network"], "fetch done");
    let extra = serde_json::json!({
        "api_base": pc.api_base, "graph_base": pc.graph_base, "line_items": pc.line_items,
        "periods": opts.periods.iter().map(|p| format!("{:04}-{:02}", p.year, p.month)).collect::<Vec<_>>(),
        "invoices": held.iter().map(|(id, from)| serde_json::json!({"id": id, "reused_from": from})).collect::<Vec<_>>(),
        "invoices_fetched": fetched - reused, "invoices_reused": reused, "correlation_id": ctx.api.correlation_id(), "http": stats,
    });
    let snapshot = ctx.writer.commit_with(
        &pc.api_base,
        &started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        extra,
    )?;
    ctx.progress.finish();
    Ok(FetchOutcome {
        snapshot,
        invoices_fetched: fetched,
        invoices_reused: reused,
        stats,
    })
}

/// Fetches (or reuses) everything; returns the snapshot's invoices in listing order, each with
/// the run id its files were reused from (`None` = fetched).
async fn run_fetch(ctx: Arc<Ctx>, periods: &[Period]) -> Result<Vec<(String, Option<String>)>> {
    let summaries = {
        let ctx = ctx.clone();
        tokio::spawn(async move { fetch_summaries(&ctx).await })
    };
    let (invoices, objects) = fetch_invoice_pages(&ctx).await?;
    let objects = Arc::new(objects);
    // the currencies of every listed invoice, before --period
    let unbilled = ctx.cfg.partner_center.unbilled.then(|| {
        let currencies: std::collections::BTreeSet<String> = invoices
            .iter()
            .filter_map(|i| i.currency_code.as_deref().map(str::trim))
            .filter(|c| !c.is_empty())
            .map(str::to_uppercase)
            .collect();
        let ctx = ctx.clone();
        tokio::spawn(async move { fetch_unbilled(&ctx, currencies.into_iter().collect()).await })
    });
    let selected: Vec<(Invoice, Option<NaiveDate>)> = invoices
        .into_iter()
        .map(|inv| {
            let date = inv
                .invoice_date
                .as_deref()
                .and_then(|d| api_date(d).ok().flatten());
            (inv, date)
        })
        .collect();
    let selected: Vec<_> = selected
        .into_iter()
        .filter(|(_, d)| {
            periods.is_empty() || d.is_some_and(|d| periods.iter().any(|p| p.contains(d)))
        })
        .collect();
    ctx.progress.bar(selected.len() as u64, "invoices");
    let mut tasks = tokio::task::JoinSet::new();
    for (inv, date) in selected.iter().cloned() {
        let ctx = ctx.clone();
        let objects = objects.clone();
        let span = tracing::info_span!("invoice", id = %inv.id);
        tasks.spawn(
            async move {
                let reused = reuse_invoice(&ctx, &inv.id, objects.get(&inv.id)).await?;
                if reused.is_none() {
                    fetch_invoice(&ctx, &inv, date).await?;
                }
                Ok::<_, Error>((inv.id.clone(), reused))
            }
            .instrument(span),
        );
    }
    let mut held = HashMap::new();
    while let Some(r) = tasks.join_next().await {
        let (id, reused) = r.map_err(|e| Error::Internal(format!("fetch task: {e}")))??;
        held.insert(id, reused);
        ctx.progress.inc();
    }
    summaries
        .await
        .map_err(|e| Error::Internal(format!("summaries task: {e}")))??;
    if let Some(unbilled) = unbilled {
        unbilled
            .await
            .map_err(|e| Error::Internal(format!("unbilled task: {e}")))??;
    }
    Ok(selected
        .into_iter()
        .map(|(inv, _)| {
            let reused = held.remove(&inv.id).flatten();
            (inv.id, reused)
        })
        .collect())
}

/// Hard-links invoice `id` from the previous snapshot when its invoice object is unchanged and
/// its files verify; returns the previous run id when it did. A half-linked folder is removed
/// before the invoice is fetched instead.
async fn reuse_invoice(ctx: &Arc<Ctx>, id: &str, object: Option<&Value>) -> Result<Option<String>> {
    let (Some(_), Some(object)) = (&ctx.previous, object) else {
        return Ok(None);
    };
    let (task_ctx, id_owned, object) = (ctx.clone(), id.to_owned(), object.clone());
    let statement = ctx.cfg.partner_center.statement_pdf && ctx.api.tokens.has_user_credentials();
    let reused = tokio::task::spawn_blocking(move || {
        let prev = task_ctx.previous.as_ref().expect("previous snapshot");
        prev.reuse(&task_ctx.writer, &id_owned, &object, statement)
    })
    .await
    .map_err(|e| Error::Internal(format!("reuse task: {e}")))?;
    let prev = ctx.previous.as_ref().expect("previous snapshot");
    match reused {
        Ok(true) => {
            tracing::debug!(invoice = %id, from = %prev.run_id, "unchanged: reused from the previous snapshot");
            Ok(Some(prev.run_id.clone()))
        }
        Ok(false) => Ok(None),
        Err(e) => {
            tracing::warn!(invoice = %id, error = %e, "cannot reuse the previous snapshot's files: fetching");
            let folder = ctx
                .writer
                .path(&format!("invoices/{}", invoice_folder_name(id)))?;
            let _ = std::fs::remove_dir_all(&folder);
            Ok(None)
        }
    }
}

/// `GET /v1/invoices`, every page (offset paging; modern tenants return everything at once).
/// Also returns every listed document's invoice object by id (what incremental fetch compares).
async fn fetch_invoice_pages(ctx: &Ctx) -> Result<(Vec<Invoice>, HashMap<String, Value>)> {
    let pc = &ctx.cfg.partner_center;
    let first = api_url(
        &pc.api_base,
        &["v1", "invoices"],
        &[("size", "100".into()), ("offset", "0".into())],
    )?;
    let mut url = first.clone();
    let mut invoices = Vec::new();
    let mut objects = HashMap::new();
    let mut offset = 0usize;
    for n in 1.. {
        let reply = ctx
            .api
            .send(&Call::get(url.clone(), Audience::PartnerCenterApp))
            .await?;
        ctx.writer
            .write(&format!("invoices/page-{n:04}.json"), &reply.body)?;
        incremental::listed_objects(&reply.body, &mut objects)?;
        let page: Collection<Invoice> =
            serde_json::from_slice(&fold_member_names(strip_bom(&reply.body))).map_err(|e| {
                Error::Source(format!(
                    "GET /v1/invoices page {n}: not an invoice collection: {e}"
                ))
            })?;
        if let Some(why) = ctx.cfg.source.limits().page_items_error(page.items.len()) {
            return Err(Error::Source(format!("GET /v1/invoices page {n} {why}")));
        }
        let info = PageInfoView {
            items: page.items.len(),
            next: page.links.next.as_ref().map(|_| ()),
            continuation: None,
        };
        // nested amendments are documents of their own, with line items of their own
        invoices.extend(page.items.into_iter().flat_map(Invoice::documents));
        match next_request(&first, &Paging::Offset, offset, &info)? {
            Some((next, _)) => {
                offset += info.items;
                url = next;
            }
            None => break,
        }
        check_page_count(n, pc.max_pages, "GET /v1/invoices")?;
    }
    // a document listed at the top level and nested is fetched once (the first listing)
    let mut seen = std::collections::HashSet::new();
    invoices.retain(|inv| seen.insert(inv.id.clone()));
    Ok((invoices, objects))
}

/// `GET /v1/invoices/summaries` (App+User), when a refresh token is configured.
async fn fetch_summaries(ctx: &Ctx) -> Result<()> {
    if !ctx.api.tokens.has_user_credentials() {
        tracing::warn!(file = %ctx.cfg.partner_center.refresh_token_file.display(),
            "no refresh token file: invoice summaries (App+User) are not fetched");
        return Ok(());
    }
    let url = api_url(
        &ctx.cfg.partner_center.api_base,
        &["v1", "invoices", "summaries"],
        &[],
    )?;
    let reply = ctx
        .api
        .send(&Call::get(url, Audience::PartnerCenterUser))
        .await?;
    ctx.writer.write("summaries.json", &reply.body)
}

/// Every feed of one invoice (and its statement PDF when configured).
async fn fetch_invoice(ctx: &Arc<Ctx>, inv: &Invoice, date: Option<NaiveDate>) -> Result<()> {
    let pc = &ctx.cfg.partner_center;
    let folder = format!("invoices/{}", invoice_folder_name(&inv.id));
    let currency = inv.currency_code.clone().unwrap_or_default();
    for (feed, _) in inv.listed_feeds() {
        if feed.spec().also_in_export && pc.line_items.use_v2_export(date) {
            fetch_export(ctx, &inv.id, &folder).await?;
        } else {
            fetch_feed(ctx, &inv.id, &folder, feed, &currency).await?;
        }
    }
    if pc.statement_pdf && ctx.api.tokens.has_user_credentials() {
        let url = api_url(
            &pc.api_base,
            &["v1", "invoices", &inv.id, "documents", "statement"],
            &[],
        )?;
        let reply = ctx
            .api
            .send(&Call::get(url, Audience::PartnerCenterUser))
            .await?;
        ctx.writer
            .write(&format!("{folder}/statement.pdf"), &reply.body)?;
    }
    Ok(())
}

/// The request header that carries a seek feed's continuation token.
const CONTINUATION_HEADER: &str = "MS-ContinuationToken";

/// Stops a paged listing (`what`) that has taken `pages` pages and still has a next one, when
/// that reaches `partner_center.max_pages`.
fn check_page_count(pages: usize, max_pages: u32, what: &str) -> Result<()> {
    if pages >= max_pages as usize {
        return Err(Error::Source(format!(
            "{what}: more than {max_pages} pages ([partner_center] max_pages); the API keeps \
             returning next links"
        )));
    }
    Ok(())
}

/// How often a page that repeats its predecessor is asked for before the fetch gives up.
const REPEATED_PAGE_ASKS: u32 = 3;

/// The page written for a feed the API answers with no body at all (e.g. 204 No Content): the
/// snapshot keeps every fetched feed, an empty one as an empty page.
const EMPTY_PAGE: &[u8] = br#"{"totalCount":0,"items":[]}"#;

/// Whether collection page `page` repeats page `previous` item for item (a non-empty page; the
/// items compared by their [`page_fingerprint`]).
fn repeats_page(previous: &[u8], page: &[u8]) -> bool {
    fn items(body: &[u8]) -> Option<Vec<&serde_json::value::RawValue>> {
        serde_json::from_slice::<Collection<&serde_json::value::RawValue>>(crate::model::strip_bom(
            body,
        ))
        .ok()
        .map(|c| c.items)
    }
    match (items(previous), items(page)) {
        (Some(p), Some(c)) => !c.is_empty() && page_fingerprint(&p) == page_fingerprint(&c),
        _ => false,
    }
}

/// All pages of one v1 feed, saved as received (an empty body as [`EMPTY_PAGE`]). A page whose
/// items repeat the previous page's is asked for again, and the fetch fails if it keeps doing
/// so: saving it would double its amounts.
async fn fetch_feed(ctx: &Ctx, id: &str, folder: &str, feed: Feed, currency: &str) -> Result<()> {
    let pc = &ctx.cfg.partner_center;
    let (first, paging) = feed_request(&pc.api_base, id, feed, currency, pc.page_size)?;
    let mut call = Call::get(first.clone(), Audience::PartnerCenterApp);
    let mut offset = 0usize;
    let feed_folder = feed.spec().folder;
    let mut previous: Option<bytes::Bytes> = None;
    for n in 1.. {
        let mut asked = 1;
        let body = loop {
            let reply = ctx.api.send(&call).await?;
            let body = if crate::model::strip_bom(&reply.body).trim_ascii().is_empty() {
                bytes::Bytes::from_static(EMPTY_PAGE)
            } else {
                reply.body
            };
            if !previous.as_ref().is_some_and(|p| repeats_page(p, &body)) {
                break body;
            }
            if asked == REPEATED_PAGE_ASKS {
                return Err(Error::Source(format!(
                    "invoice {id} {}: page {n} repeats page {} item for item (asked {asked} times); \
                     the API's paging is faulty, try again later",
                    feed_folder,
                    n - 1
                )));
            }
            let wait = ctx.api.policy().backoff(asked, retry::random_u64());
            tracing::warn!(invoice = %id, feed = feed_folder, page = n, asked, wait_ms = wait.as_millis() as u64,
                "the page repeats the previous one item for item; asking again");
            tokio::time::sleep(wait).await;
            asked += 1;
        };
        ctx.writer.write(
            &format!("{folder}/lineitems/{feed_folder}/page-{n:04}.json"),
            &body,
        )?;
        let what = format!("invoice {id} {feed_folder}: page {n}");
        let view = page_info(&body, &what)?;
        if let Some(why) = ctx.cfg.source.limits().page_items_error(view.items) {
            return Err(Error::Source(format!("{what} {why}")));
        }
        match next_request(&first, &paging, offset, &view)? {
            Some((url, token)) => {
                let sent = call.headers.iter().find(|(k, _)| *k == CONTINUATION_HEADER);
                if let (Some(token), Some((_, sent))) = (&token, sent)
                    && token == sent
                {
                    return Err(Error::Source(format!(
                        "{what}: the API returned the same continuation token twice (the one \
                         this page was asked with): its paging never ends; try again later"
                    )));
                }
                offset += view.items;
                call.url = url;
                call.headers = token
                    .map(|t| vec![(CONTINUATION_HEADER, t)])
                    .unwrap_or_default();
            }
            None => break,
        }
        previous = Some(body);
        check_page_count(n, pc.max_pages, &format!("invoice {id} {feed_folder}"))?;
    }
    Ok(())
}

/// The Graph v2 billed-reconciliation export of one invoice, saved under `{folder}/export/`.
async fn fetch_export(ctx: &Arc<Ctx>, id: &str, folder: &str) -> Result<()> {
    let body = serde_json::json!({"invoiceId": id, "attributeSet": "full"});
    match run_export(ctx, "billed", body, &format!("invoice {id}")).await? {
        ExportEnd::Manifest(manifest) => {
            save_export(ctx, id, &format!("{folder}/export"), manifest).await
        }
        ExportEnd::NoData(op) => Err(Error::Source(format!(
            "the Graph export of invoice {id} failed: {}",
            op.get("error").map(|e| e.to_string()).unwrap_or_default()
        ))),
    }
}

/// The `billingPeriod`s of the unbilled reconciliation export, in fetch order.
const UNBILLED_PERIODS: [&str; 2] = ["current", "last"];

/// The Graph v2 unbilled-reconciliation export for each of `currencies` and both billing
/// periods, saved under `unbilled/<period>-<currency>/` (manifest and blobs as received). An
/// export that ends in failedOperation 5000 ("No data available") is empty: its operation
/// response is kept as `operation.json`.
async fn fetch_unbilled(ctx: &Arc<Ctx>, currencies: Vec<String>) -> Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for currency in currencies {
        for period in UNBILLED_PERIODS {
            let (ctx, currency) = (ctx.clone(), currency.clone());
            tasks.spawn(async move {
                let what = format!("unbilled {period} {currency}");
                let folder = format!("unbilled/{}", safe_file_name(&format!("{period}-{currency}")));
                let body = serde_json::json!({"currencyCode": currency, "billingPeriod": period, "attributeSet": "full"});
                match run_export(&ctx, "unbilled", body, &what).await? {
                    ExportEnd::Manifest(manifest) => save_export(&ctx, &what, &folder, manifest).await,
                    ExportEnd::NoData(op) => {
                        tracing::info!(period, currency = %currency, "no unbilled data");
                        let text = serde_json::to_vec_pretty(&op).expect("operation json");
                        ctx.writer.write(&format!("{folder}/operation.json"), &text)
                    }
                }
            });
        }
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| Error::Internal(format!("unbilled export task: {e}")))??;
    }
    Ok(())
}

/// How a Graph export ended: its manifest, or failedOperation 5000 ("No data available") with
/// the operation response.
enum ExportEnd {
    Manifest(Value),
    NoData(Value),
}

/// Runs one Graph v2 reconciliation export (`which` = `billed` | `unbilled`): POST, poll
/// (honouring `Retry-After`) until done or the deadline, then the manifest (embedded or linked).
/// `what` names the export in messages.
async fn run_export(ctx: &Arc<Ctx>, which: &str, body: Value, what: &str) -> Result<ExportEnd> {
    let pc = &ctx.cfg.partner_center;
    let start = api_url(
        &pc.graph_base,
        &[
            "reports",
            "partners",
            "billing",
            "reconciliation",
            which,
            "export",
        ],
        &[],
    )?;
    let post = Call {
        method: Method::POST,
        url: start.clone(),
        audience: Some(Audience::Graph),
        headers: Vec::new(),
        json: Some(body),
    };
    let reply = ctx.api.send(&post).await?;
    let location = reply
        .headers
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Error::Source(format!(
                "POST {}: HTTP {} without a Location header",
                start.path(),
                reply.status
            ))
        })?;
    let op_url = start
        .join(location)
        .map_err(|e| Error::Source(format!("export Location is not a URL: {e}")))?;
    let deadline = Instant::now() + Duration::from_secs(pc.export_deadline_secs);
    loop {
        let poll = ctx
            .api
            .send(&Call::get(op_url.clone(), Audience::Graph))
            .await?;
        let op: Value = serde_json::from_slice(&poll.body).map_err(|e| {
            Error::Source(format!("GET {}: operation is not JSON: {e}", op_url.path()))
        })?;
        let kind = op.get("@odata.type").and_then(Value::as_str).unwrap_or("");
        let status = op.get("status").and_then(Value::as_str).unwrap_or("");
        if kind.ends_with("exportSuccessOperation") || ["succeeded", "completed"].contains(&status)
        {
            if let Some(m) = op.get("resourceLocation").filter(|m| m.is_object()) {
                return Ok(ExportEnd::Manifest(m.clone()));
            }
            let link = op
                .get("resourceLocation@odata.navigationLink")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    Error::Source(format!("export of {what} succeeded without a manifest"))
                })?;
            let url = op_url
                .join(link)
                .map_err(|e| Error::Source(format!("manifest link is not a URL: {e}")))?;
            let m = ctx.api.send(&Call::get(url, Audience::Graph)).await?;
            return serde_json::from_slice(&m.body)
                .map(ExportEnd::Manifest)
                .map_err(|e| Error::Source(format!("export manifest of {what} is not JSON: {e}")));
        }
        if kind.ends_with("failedOperation") || status == "failed" {
            let code = op.pointer("/error/code").map(|c| match c {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            if code.as_deref() == Some("5000") {
                return Ok(ExportEnd::NoData(op));
            }
            let err = op.get("error").map(|e| e.to_string()).unwrap_or_default();
            return Err(Error::Source(format!(
                "the Graph export of {what} failed: {err}"
            )));
        }
        let retry_after = poll
            .headers
            .get("Retry-After")
            .and_then(|v| v.to_str().ok());
        let wait = ctx
            .api
            .policy()
            .retry_after(retry_after, &format!("GET {}", op_url.path()))?
            .unwrap_or(Duration::from_secs(10));
        if Instant::now() + wait > deadline {
            return Err(Error::Source(format!(
                "the Graph export of {what} was still {status:?} at the deadline (partner_center.export_deadline_secs = {})",
                pc.export_deadline_secs
            )));
        }
        tokio::time::sleep(wait).await;
    }
}

/// Saves an export's manifest (SAS token removed) as `{dir}/manifest.json` and downloads every
/// blob it lists into `dir`, in parallel, byte for byte. `id` names the export in messages.
async fn save_export(ctx: &Arc<Ctx>, id: &str, dir: &str, mut manifest: Value) -> Result<()> {
    // member names in any casing: read through the folded text
    let folded = fold_member_names(&serde_json::to_vec(&manifest).expect("manifest json"));
    let parsed: ExportManifest = serde_json::from_slice(&folded)
        .map_err(|e| Error::Source(format!("the export manifest of {id} does not parse: {e}")))?;
    if let Some(why) = parsed.blob_count_error().or_else(|| {
        ctx.cfg
            .source
            .limits()
            .export_blobs_error(parsed.blobs.len())
    }) {
        return Err(Error::Source(format!("the export manifest of {id}: {why}")));
    }
    let root = parsed
        .root_directory
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_owned();
    let sas = parsed
        .sas_token
        .as_deref()
        .unwrap_or("")
        .trim_start_matches('?')
        .to_owned();
    let names: Vec<String> = parsed.blobs.into_iter().map(|b| b.name).collect();
    if root.is_empty() && !names.is_empty() {
        return Err(Error::Source(format!(
            "the export manifest of {id} has blobs but no rootDirectory"
        )));
    }
    // the SAS signature is a secret: never stored
    if let Some(m) = manifest.as_object_mut() {
        m.retain(|k, _| !k.eq_ignore_ascii_case("sastoken"));
        m.insert(
            "sasToken".into(),
            Value::String("(not stored: SAS signatures are secrets)".into()),
        );
    }
    let text = serde_json::to_vec_pretty(&manifest).expect("manifest json");
    ctx.writer.write(&format!("{dir}/manifest.json"), &text)?;
    let mut downloads = tokio::task::JoinSet::new();
    for name in names {
        let mut url = Url::parse(&format!("{root}/{name}"))
            .map_err(|e| Error::Source(format!("blob URL of {id}: {e}")))?;
        if !sas.is_empty() {
            url.set_query(Some(&sas));
        }
        let dest = ctx
            .writer
            .path(&format!("{dir}/{}", safe_file_name(&name)))?;
        let call = Call {
            method: Method::GET,
            url,
            audience: None,
            headers: Vec::new(),
            json: None,
        };
        let ctx = ctx.clone();
        downloads.spawn(async move { ctx.api.download(&call, &dest).await });
    }
    while let Some(r) = downloads.join_next().await {
        r.map_err(|e| Error::Internal(format!("download task: {e}")))??;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(items: usize, next: bool, token: Option<&str>) -> PageInfoView {
        PageInfoView {
            items,
            next: next.then_some(()),
            continuation: token.map(str::to_owned),
        }
    }

    #[test]
    fn offset_paging_builds_the_next_offset_itself() {
        let (first, paging) = feed_request(
            "https://pc.example/",
            "D0517730KQ",
            Feed::OfficeBilling,
            "USD",
            2,
        )
        .unwrap();
        assert_eq!(paging, Paging::Offset);
        assert_eq!(
            first.as_str(),
            "https://pc.example/v1/invoices/D0517730KQ/lineitems/Office/BillingLineItems?size=2&offset=0"
        );
        let (next, token) = next_request(&first, &paging, 0, &view(2, true, None))
            .unwrap()
            .unwrap();
        assert_eq!(next.query(), Some("size=2&offset=2"));
        assert!(token.is_none());
        let (third, _) = next_request(&first, &paging, 2, &view(2, true, None))
            .unwrap()
            .unwrap();
        assert_eq!(third.query(), Some("size=2&offset=4"));
        assert!(
            next_request(&first, &paging, 4, &view(1, false, None))
                .unwrap()
                .is_none(),
            "last page"
        );
        assert!(
            next_request(&first, &paging, 4, &view(0, true, None))
                .unwrap()
                .is_none(),
            "an empty page ends even with a next link"
        );
    }

    #[test]
    fn seek_paging_sends_the_token_verbatim_and_seek_operation_next() {
        let (first, paging) = feed_request(
            "https://pc.example",
            "G1",
            Feed::OneTimeBilling,
            "EUR",
            2000,
        )
        .unwrap();
        assert_eq!(paging, Paging::Seek);
        assert_eq!(
            first.query(),
            Some("provider=onetime&invoicelineitemtype=billinglineitems&size=2000")
        );
        let token = "7c1e0f2a,Zm9vYmFy/c2VlaW5n+dGVzdA==,1b2c";
        let (next, sent) = next_request(&first, &paging, 0, &view(2000, true, Some(token)))
            .unwrap()
            .unwrap();
        assert_eq!(
            next.query(),
            Some(
                "provider=onetime&invoicelineitemtype=billinglineitems&size=2000&seekOperation=Next"
            )
        );
        assert_eq!(sent.as_deref(), Some(token));
        assert!(
            next_request(&first, &paging, 0, &view(2000, true, None)).is_err(),
            "next link without token"
        );
        assert!(
            next_request(&first, &paging, 0, &view(5, false, None))
                .unwrap()
                .is_none(),
            "last page"
        );
        let (usage, _) =
            feed_request("https://pc.example", "G1", Feed::OneTimeUsage, "EUR", 10).unwrap();
        assert!(usage.query().unwrap().contains("currencycode=EUR"));
    }

    #[test]
    fn page_info_reads_the_token_from_either_place() {
        let top = br#"{"totalCount":1,"items":[{}],"continuationToken":"t1","links":{"next":{"uri":"/x","headers":[]}}}"#;
        assert_eq!(
            page_info(top, "p").unwrap().continuation.as_deref(),
            Some("t1")
        );
        let hdr = br#"{"items":[{},{}],"links":{"next":{"uri":"/x","headers":[{"key":"MS-ContinuationToken","value":"t2"}]}}}"#;
        let p = page_info(hdr, "p").unwrap();
        assert_eq!((p.items, p.continuation.as_deref()), (2, Some("t2")));
        let last = br#"{"totalCount":0,"items":[],"links":{"self":{"uri":"/x"}}}"#;
        let p = page_info(last, "p").unwrap();
        assert!(p.next.is_none() && p.items == 0);
        assert!(page_info(b"{\"items\": [", "p").is_err());
    }

    #[test]
    fn a_page_repeats_only_when_every_item_is_the_same() {
        let p1 = br#"{"items":[{"a":1},{"a":2}],"links":{"next":{"uri":"/x?offset=2"}}}"#;
        let again =
            br#"{"totalCount":2,"items":[{"a":1},{"a":2}],"links":{"next":{"uri":"/x?offset=4"}}}"#;
        assert!(repeats_page(p1, again), "same items, other links");
        assert!(!repeats_page(p1, br#"{"items":[{"a":1},{"a":3}]}"#));
        assert!(
            !repeats_page(p1, br#"{"items":[{"a":1}]}"#),
            "a shorter page"
        );
        assert!(
            !repeats_page(br#"{"items":[]}"#, br#"{"items":[]}"#),
            "empty pages"
        );
        assert!(!repeats_page(p1, b"not json"));
    }

    #[test]
    fn hostile_invoice_ids_are_encoded_in_urls() {
        let u = api_url(
            "https://pc.example",
            &["v1", "invoices", "../x?y=1", "lineitems"],
            &[],
        )
        .unwrap();
        assert_eq!(u.path(), "/v1/invoices/..%2Fx%3Fy=1/lineitems");
        assert_eq!(u.query(), None);
    }
}
