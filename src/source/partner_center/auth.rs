//! Entra ID tokens: app-only client credentials (Partner Center and Graph), App+User from the
//! stored refresh token (rotated: the newest one is written back atomically the moment it
//! arrives). Tokens are cached until shortly before they expire.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Mutex;

use super::retry::{Attempt, RetryPolicy, is_retryable, random_u64};
use crate::config::Secret;
use crate::error::{Error, Result};

/// Partner Center's resource / audience.
pub(crate) const PARTNER_CENTER_RESOURCE: &str = "https://api.partnercenter.microsoft.com";
/// Graph's app-only scope.
pub(crate) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Which token a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Audience {
    /// Partner Center, app-only (client credentials).
    PartnerCenterApp,
    /// Partner Center, App+User (refresh token): invoice summaries, invoice by id, statements.
    PartnerCenterUser,
    /// Microsoft Graph, app-only: the v2 billed-reconciliation export.
    Graph,
}

/// The app's credentials and where its refresh token lives.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    /// Entra authority, e.g. `https://login.microsoftonline.com`.
    pub(crate) authority: String,
    /// Partner tenant.
    pub(crate) tenant_id: String,
    /// App id.
    pub(crate) client_id: String,
    /// App secret.
    pub(crate) client_secret: Secret,
    /// The App+User refresh token file (read, then rewritten with each new token).
    pub(crate) refresh_token_file: PathBuf,
}

#[derive(Debug, Clone)]
struct Token {
    access: Secret,
    renew_at: Instant,
}

/// Caches one token per audience; refreshes shortly before expiry or when told a token failed.
#[derive(Debug)]
pub(crate) struct TokenCache {
    http: reqwest::Client,
    creds: Credentials,
    /// The fetch's retry policy, for token requests too.
    policy: RetryPolicy,
    tokens: Mutex<HashMap<Audience, Token>>,
    /// Token requests made (for the fetch statistics).
    pub(crate) issued: std::sync::atomic::AtomicU64,
}

impl TokenCache {
    /// A cache that requests tokens with `http`, retrying under `policy`.
    pub(crate) fn new(
        http: reqwest::Client,
        creds: Credentials,
        policy: RetryPolicy,
    ) -> TokenCache {
        TokenCache {
            http,
            creds,
            policy,
            tokens: Mutex::new(HashMap::new()),
            issued: Default::default(),
        }
    }

    /// True when a refresh token file exists (App+User calls are possible).
    pub(crate) fn has_user_credentials(&self) -> bool {
        self.creds.refresh_token_file.is_file()
    }

    /// A valid access token for `aud`, requesting one when none is cached or it is about to expire.
    /// One lock is held across the request, so concurrent callers wait for a single refresh (and a
    /// refresh token is never redeemed twice).
    pub(crate) async fn bearer(&self, aud: Audience) -> Result<Secret> {
        let mut tokens = self.tokens.lock().await;
        if let Some(t) = tokens.get(&aud).filter(|t| Instant::now() < t.renew_at) {
            return Ok(t.access.clone());
        }
        let t = self.request(aud).await?;
        let access = t.access.clone();
        tokens.insert(aud, t);
        Ok(access)
    }

    /// Forgets `aud`'s token if it is still `failed` (after a 401), so the next call gets a new one.
    pub(crate) async fn invalidate(&self, aud: Audience, failed: &Secret) {
        let mut tokens = self.tokens.lock().await;
        if tokens.get(&aud).is_some_and(|t| &t.access == failed) {
            tokens.remove(&aud);
        }
    }

    async fn request(&self, aud: Audience) -> Result<Token> {
        let c = &self.creds;
        let secret = c.client_secret.expose().to_owned();
        // Partner Center's tokens come from the v1 endpoint, Graph's from v2
        let v1_token_url = format!(
            "{}/{}/oauth2/token",
            c.authority.trim_end_matches('/'),
            c.tenant_id
        );
        let (url, form): (String, Vec<(&str, String)>) = match aud {
            Audience::PartnerCenterApp => (
                v1_token_url,
                vec![
                    ("grant_type", "client_credentials".into()),
                    ("resource", PARTNER_CENTER_RESOURCE.into()),
                    ("client_id", c.client_id.clone()),
                    ("client_secret", secret),
                ],
            ),
            Audience::PartnerCenterUser => {
                let refresh = read_refresh_token(&c.refresh_token_file)?;
                (
                    v1_token_url,
                    vec![
                        ("grant_type", "refresh_token".into()),
                        ("resource", PARTNER_CENTER_RESOURCE.into()),
                        ("client_id", c.client_id.clone()),
                        ("client_secret", secret),
                        ("refresh_token", refresh.expose().to_owned()),
                        ("scope", "openid".into()),
                    ],
                )
            }
            Audience::Graph => (
                format!(
                    "{}/{}/oauth2/v2.0/token",
                    c.authority.trim_end_matches('/'),
                    c.tenant_id
                ),
                vec![
                    ("grant_type", "client_credentials".into()),
                    ("scope", GRAPH_SCOPE.into()),
                    ("client_id", c.client_id.clone()),
                    ("client_secret", secret),
                ],
            ),
        };
        let endpoint = &path_of(&url);
        let (url, form) = (&url, &form);
        let attempt = |attempt: u32| async move {
            let wait = self.policy.backoff(attempt, random_u64());
            let resp = match self.http.post(url).form(form).send().await {
                Ok(resp) => resp,
                Err(e) => {
                    return Ok(Attempt::Retry {
                        wait,
                        why: format!(
                            "cannot reach the token endpoint {endpoint}: {}",
                            e.without_url()
                        ),
                    });
                }
            };
            let status = resp.status().as_u16();
            let body = match resp.bytes().await {
                Ok(body) => body,
                Err(e) => {
                    return Ok(Attempt::Retry {
                        wait,
                        why: format!("token endpoint: {e}"),
                    });
                }
            };
            if is_retryable(status) {
                let why = entra_error(status, &body, aud).to_string();
                return Ok(Attempt::Retry { wait, why });
            }
            if !(200..300).contains(&status) {
                return Err(entra_error(status, &body, aud));
            }
            Ok(Attempt::Done(body))
        };
        let body = self
            .policy
            .run(&format!("POST {endpoint}"), attempt, Error::Source)
            .await?;
        self.issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.accept(&body, aud)
    }

    /// Reads a token response; writes a rotated refresh token back before anything else.
    fn accept(&self, body: &[u8], aud: Audience) -> Result<Token> {
        let v: Value = serde_json::from_slice(body).map_err(|_| {
            Error::Source("the token endpoint answered with something that is not JSON".into())
        })?;
        if let Some(rt) = v
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            write_refresh_token(&self.creds.refresh_token_file, rt)?;
        }
        let access = v
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Source("the token response has no access_token".into()))?;
        // v1 sends expires_in as a string, v2 as a number
        let expires_in = match v.get("expires_in") {
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        }
        .unwrap_or(3600);
        let lifetime = Duration::from_secs(expires_in);
        // renew 30 s before expiry (the SDK's buffer), or earlier for short-lived tokens
        let buffer = Duration::from_secs(30).min(lifetime / 5);
        tracing::debug!(audience = ?aud, expires_in, "token acquired");
        Ok(Token {
            access: Secret::new(access),
            renew_at: Instant::now() + lifetime - buffer,
        })
    }
}

/// The path of a URL (never its query, which may hold a signature).
pub(crate) fn path_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.path()
        ),
        Err(_) => url.split('?').next().unwrap_or("").to_owned(),
    }
}

fn entra_error(status: u16, body: &[u8], aud: Audience) -> Error {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = v
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("unknown_error");
    let desc = v
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or("");
    // the first line of the description holds the AADSTS code and its meaning
    let first = desc
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(300)
        .collect::<String>();
    let hint = match code {
        "invalid_client" => {
            "check partner_center.client_id and the client secret variable (client_secret_env)"
        }
        "invalid_grant" if aud == Audience::PartnerCenterUser => {
            "the refresh token is expired or revoked: consent again (Secure Application Model) and store the new refresh token in refresh_token_file"
        }
        "unauthorized_client" | "invalid_resource" => {
            "check the app registration's API permissions and admin consent"
        }
        _ => "check partner_center.tenant_id, client_id and the client secret",
    };
    Error::Source(format!(
        "authentication failed ({aud:?}): HTTP {status} {code}{}{first}; {hint}",
        if first.is_empty() { "" } else { ": " }
    ))
}

/// Reads the refresh token file (trimmed).
pub(crate) fn read_refresh_token(path: &Path) -> Result<Secret> {
    let s = std::fs::read_to_string(path).map_err(|e| {
        Error::Config {
            file: Some(path.to_path_buf()),
            key: None,
            message: format!(
                "cannot read the refresh token file ({e}); App+User calls need it (partner_center.refresh_token_file)"
            ),
        }
    })?;
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::Config {
            file: Some(path.to_path_buf()),
            key: None,
            message: "the refresh token file is empty".into(),
        });
    }
    Ok(Secret::new(t))
}

/// Replaces the refresh token file atomically (temp file readable by its owner only, fsync,
/// rename), so a crash at any moment leaves either the old or the new token, never a torn file.
pub(crate) fn write_refresh_token(path: &Path, token: &str) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let io = |e: std::io::Error| {
        Error::Source(format!(
            "cannot save the new refresh token to {}: {e}",
            path.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("token"),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp).map_err(io)?;
    f.write_all(token.as_bytes()).map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_token_rotation_is_atomic_and_private() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("secrets/refresh-token");
        write_refresh_token(&p, "rt-1").unwrap();
        write_refresh_token(&p, "rt-2").unwrap();
        assert_eq!(read_refresh_token(&p).unwrap().expose(), "rt-2");
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&p).unwrap().permissions())
                & 0o777,
            0o600
        );
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temp file left: {names:?}");
    }

    #[test]
    fn entra_errors_carry_code_and_hint_but_no_secret() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}"#;
        let e = entra_error(401, body, Audience::PartnerCenterApp).to_string();
        assert!(
            e.contains("invalid_client")
                && e.contains("AADSTS7000215")
                && e.contains("client secret"),
            "{e}"
        );
        assert!(!e.contains("Trace ID"));
        assert_eq!(entra_error(400, b"nope", Audience::Graph).exit_code(), 4);
    }

    #[test]
    fn urls_in_messages_lose_their_query() {
        assert_eq!(
            path_of("https://acct.blob.core.windows.net/c/x.json.gz?sv=1&sig=SECRET"),
            "https://acct.blob.core.windows.net/c/x.json.gz"
        );
    }
}
