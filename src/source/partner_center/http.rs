//! One HTTP client for every call of a fetch: a semaphore over all requests (`max_concurrency`),
//! tokens per audience, retries with backoff (429 honours `Retry-After`), one refresh and retry on
//! 401, and Partner Center's tracing headers. Errors name the status, the request ids and the URL
//! path — never a query string (SAS signatures live there).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use super::auth::{Audience, TokenCache, path_of};
use super::retry::{Attempt, RetryPolicy, is_retryable, random_u64};
use crate::error::{Error, Result};

/// Counters for the fetch summary.
#[derive(Debug, Default)]
pub(crate) struct HttpStats {
    /// Requests sent (retries included).
    pub(crate) requests: AtomicU64,
    /// Retries after a 429.
    pub(crate) throttled: AtomicU64,
    /// Retries after a 5xx or 408.
    pub(crate) server_errors: AtomicU64,
    /// Retries after a connection error, a timeout or a body cut off.
    pub(crate) network_errors: AtomicU64,
    /// Retries after a 401 (token refreshed).
    pub(crate) unauthorized: AtomicU64,
    /// Response bytes received.
    pub(crate) bytes: AtomicU64,
}

impl HttpStats {
    /// The counters as JSON.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!({
            "requests": g(&self.requests), "retries_throttled": g(&self.throttled),
            "retries_server_error": g(&self.server_errors), "retries_network": g(&self.network_errors),
            "retries_unauthorized": g(&self.unauthorized), "bytes": g(&self.bytes),
        })
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// GET or POST.
    pub(crate) method: Method,
    /// Full URL.
    pub(crate) url: Url,
    /// The token it needs (`None` for SAS blob downloads, which must not carry one).
    pub(crate) audience: Option<Audience>,
    /// Extra headers (e.g. `MS-ContinuationToken`).
    pub(crate) headers: Vec<(&'static str, String)>,
    /// JSON body for POSTs.
    pub(crate) json: Option<serde_json::Value>,
}

impl Call {
    /// A GET needing `aud`'s token.
    pub(crate) fn get(url: Url, aud: Audience) -> Call {
        Call {
            method: Method::GET,
            url,
            audience: Some(aud),
            headers: Vec::new(),
            json: None,
        }
    }
}

/// A response read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    /// Status.
    pub(crate) status: StatusCode,
    /// Headers.
    pub(crate) headers: HeaderMap,
    /// Body bytes as received.
    pub(crate) body: bytes::Bytes,
}

/// The fetch's HTTP side.
#[derive(Debug)]
pub(crate) struct Api {
    http: reqwest::Client,
    /// Without transparent gzip decoding: blobs are saved exactly as stored.
    raw_http: reqwest::Client,
    /// Tokens.
    pub(crate) tokens: TokenCache,
    permits: Arc<Semaphore>,
    correlation_id: String,
    policy: RetryPolicy,
    /// Longest response body [`Api::send`] reads (`[source] max_page_bytes`).
    max_body_bytes: u64,
    /// Counters.
    pub(crate) stats: HttpStats,
}

impl Api {
    /// A client allowing `max_concurrency` requests in flight, reading bodies of at most
    /// `max_body_bytes`.
    pub(crate) fn new(
        http: reqwest::Client,
        raw_http: reqwest::Client,
        tokens: TokenCache,
        max_concurrency: usize,
        policy: RetryPolicy,
        max_body_bytes: u64,
    ) -> Api {
        Api {
            http,
            raw_http,
            tokens,
            permits: Arc::new(Semaphore::new(max_concurrency.max(1))),
            correlation_id: uuid::Uuid::new_v4().to_string(),
            policy,
            max_body_bytes,
            stats: HttpStats::default(),
        }
    }

    /// The run's `MS-CorrelationId`.
    pub(crate) fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    /// The retry policy (its backoff also paces the fetch's own re-asks).
    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends `call` until it succeeds (2xx) or fails for good; the body is read in full, up to
    /// `[source] max_page_bytes` (a longer one fails the request for good).
    pub(crate) async fn send(&self, call: &Call) -> Result<Reply> {
        let too_long = || {
            Error::Source(format!(
                "{} {}: the response body is longer than [source] max_page_bytes = {} bytes: not a page the API sends",
                call.method,
                path_of(call.url.as_str()),
                self.max_body_bytes
            ))
        };
        self.with_retries(call, |mut resp| async move {
            let status = resp.status();
            let headers = resp.headers().clone();
            if resp
                .content_length()
                .is_some_and(|n| n > self.max_body_bytes)
            {
                return Err(too_long());
            }
            let mut body = bytes::BytesMut::new();
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        if (body.len() + chunk.len()) as u64 > self.max_body_bytes {
                            return Err(too_long());
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Ok(Attempt::Retry {
                            wait: Duration::ZERO,
                            why: format!("response cut off: {}", e.without_url()),
                        });
                    }
                }
            }
            Ok(Attempt::Done(Reply {
                status,
                headers,
                body: body.freeze(),
            }))
        })
        .await
    }

    /// Downloads `call`'s body into `dest` as it streams in (no buffering of the whole blob); a
    /// download cut off is retried from the start. Returns the byte count.
    pub(crate) async fn download(&self, call: &Call, dest: &Path) -> Result<u64> {
        self.with_retries(call, |mut resp| async move {
            let io =
                |e: std::io::Error| Error::Source(format!("cannot write {}: {e}", dest.display()));
            let mut file = tokio::fs::File::create(dest).await.map_err(io)?;
            let mut n = 0u64;
            loop {
                match resp.chunk().await {
                    Ok(Some(chunk)) => {
                        n += chunk.len() as u64;
                        file.write_all(&chunk).await.map_err(io)?;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        drop(file);
                        let _ = tokio::fs::remove_file(dest).await;
                        return Ok(Attempt::Retry {
                            wait: Duration::ZERO,
                            why: format!("download cut off: {}", e.without_url()),
                        });
                    }
                }
            }
            file.sync_all().await.map_err(io)?;
            Ok(Attempt::Done(n))
        })
        .await
    }

    /// Sends `call` under the retry policy; `on_success` reads a 2xx response (and may ask for a
    /// retry when the body is cut off).
    async fn with_retries<T, F, Fut>(&self, call: &Call, on_success: F) -> Result<T>
    where
        F: Fn(reqwest::Response) -> Fut,
        Fut: std::future::Future<Output = Result<Attempt<T>>>,
    {
        let where_ = format!("{} {}", call.method, path_of(call.url.as_str()));
        // a 401 is retried once, with a new token
        let refreshed_once = std::sync::atomic::AtomicBool::new(false);
        let give_up = |last: String| {
            Error::Source(format!(
                "{where_}: failed after {} attempts; last: {last}. The API may be unavailable or throttling: try again later or lower max_concurrency",
                self.policy.max_attempts
            ))
        };
        // the permit is held for one attempt only: other requests proceed while this one waits
        let (where_, refreshed_once, on_success) = (&where_, &refreshed_once, &on_success);
        let attempt = |attempt: u32| async move {
            let request_id = uuid::Uuid::new_v4().to_string();
            let _permit = self.permits.acquire().await.expect("semaphore open");
            let token = match call.audience {
                Some(aud) => Some(self.tokens.bearer(aud).await?),
                None => None,
            };
            let resp = match self
                .request(call, where_, &request_id, token.as_ref())?
                .send()
                .await
            {
                Ok(resp) => resp,
                Err(e) => {
                    self.stats.network_errors.fetch_add(1, Ordering::Relaxed);
                    return Ok(Attempt::Retry {
                        wait: self.policy.backoff(attempt, random_u64()),
                        why: format!("{} (MS-RequestId {request_id})", e.without_url()),
                    });
                }
            };
            let status = resp.status().as_u16();
            let ids = format!(
                "MS-RequestId {}, MS-CorrelationId {}",
                header(&resp, "MS-RequestId").unwrap_or(request_id.clone()),
                self.correlation_id
            );
            if let Some(len) = resp.content_length() {
                self.stats.bytes.fetch_add(len, Ordering::Relaxed);
            }
            Ok(if resp.status().is_success() {
                match on_success(resp).await? {
                    Attempt::Done(v) => Attempt::Done(v),
                    Attempt::Retry { why, .. } => {
                        self.stats.network_errors.fetch_add(1, Ordering::Relaxed);
                        Attempt::Retry {
                            wait: self.policy.backoff(attempt, random_u64()),
                            why: format!("{why} ({ids})"),
                        }
                    }
                }
            } else if status == 401 && !refreshed_once.swap(true, Ordering::Relaxed) {
                if let (Some(aud), Some(t)) = (call.audience, &token) {
                    self.tokens.invalidate(aud, t).await;
                }
                self.stats.unauthorized.fetch_add(1, Ordering::Relaxed);
                Attempt::Retry {
                    wait: Duration::ZERO,
                    why: format!("HTTP 401 ({ids})"),
                }
            } else if status == 429 {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                let ra = self
                    .policy
                    .retry_after(header(&resp, "Retry-After").as_deref(), where_)
                    .map_err(|e| Error::Source(format!("{e} ({ids})")))?;
                Attempt::Retry {
                    wait: self.policy.after_throttle(ra, attempt, random_u64()),
                    why: format!("HTTP 429 ({ids})"),
                }
            } else if is_retryable(status) {
                self.stats.server_errors.fetch_add(1, Ordering::Relaxed);
                Attempt::Retry {
                    wait: self.policy.backoff(attempt, random_u64()),
                    why: format!("HTTP {status} ({ids})"),
                }
            } else {
                let body = resp.bytes().await.unwrap_or_default();
                return Err(Error::Source(format!(
                    "{where_}: HTTP {status}{} ({ids})",
                    api_fault(&body)
                )));
            })
        };
        self.policy.run(where_, attempt, give_up).await
    }

    /// One attempt's request: the tracing headers, the bearer token, the call's own headers and
    /// body. SAS downloads (no audience) use the client that keeps bytes as stored.
    fn request(
        &self,
        call: &Call,
        where_: &str,
        request_id: &str,
        token: Option<&crate::config::Secret>,
    ) -> Result<reqwest::RequestBuilder> {
        let client = if call.audience.is_some() {
            &self.http
        } else {
            &self.raw_http
        };
        let mut rb = client
            .request(call.method.clone(), call.url.clone())
            .header("MS-RequestId", request_id)
            .header("MS-CorrelationId", &self.correlation_id)
            .header("Accept", "application/json");
        if let Some(t) = token {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose())).map_err(|_| {
                Error::Source("the access token is not a valid header value".into())
            })?;
            v.set_sensitive(true);
            rb = rb.header(reqwest::header::AUTHORIZATION, v);
        }
        for (k, v) in &call.headers {
            let mut hv = HeaderValue::from_str(v)
                .map_err(|_| Error::Source(format!("{where_}: header {k} is not valid")))?;
            hv.set_sensitive(true);
            rb = rb.header(*k, hv);
        }
        if let Some(j) = &call.json {
            rb = rb.json(j);
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        Ok(rb)
    }
}

/// A response header as text.
pub(crate) fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `: <code> <description>` from a Partner Center ApiFault or Graph error body, when there is one.
fn api_fault(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = v
        .get("code")
        .or_else(|| v.pointer("/error/code"))
        .map(|c| c.to_string().trim_matches('"').to_owned());
    let desc = v
        .get("description")
        .or_else(|| v.get("message"))
        .or_else(|| v.pointer("/error/message"))
        .and_then(|d| d.as_str())
        .map(|d| d.chars().take(200).collect::<String>());
    match (code, desc) {
        (Some(c), Some(d)) => format!(": {c} {d}"),
        (None, Some(d)) => format!(": {d}"),
        (Some(c), None) => format!(": {c}"),
        _ => String::new(),
    }
}
