//! The one retry policy of a fetch (API calls and token requests alike): how many attempts, which
//! failures are retried, `Retry-After` parsing, exponential backoff with jitter, and the loop
//! that applies them ([`RetryPolicy::run`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// What one attempt ended in.
#[derive(Debug)]
pub(crate) enum Attempt<T> {
    /// Done: its value.
    Done(T),
    /// Worth another try after `wait`; `why` is logged, and the last one ends up in the error.
    Retry {
        /// How long to wait first.
        wait: Duration,
        /// What went wrong.
        why: String,
    },
}

/// How many attempts and how long to wait between them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    /// Attempts in all (the first try included).
    pub(crate) max_attempts: u32,
    /// First backoff; doubles each attempt.
    pub(crate) base: Duration,
    /// Upper bound of one wait.
    pub(crate) cap: Duration,
    /// Longest `Retry-After` accepted (`partner_center.max_retry_after_secs`): a longer one ends
    /// the request with an error instead of a sleep.
    pub(crate) max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1): `base × 2^(attempt−1)`, capped,
    /// with "equal jitter" (half fixed, half random) so concurrent clients spread out.
    pub(crate) fn backoff(&self, attempt: u32, random: u64) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << (attempt.saturating_sub(1)).min(16));
        let d = exp.min(self.cap);
        let half = d / 2;
        let jitter_ms = if half.as_millis() == 0 {
            0
        } else {
            random % (half.as_millis() as u64 + 1)
        };
        half + Duration::from_millis(jitter_ms)
    }

    /// Runs `attempt` (given its number, from 1) until it is done or fails for good (`Err`), at
    /// most `max_attempts` times, waiting between tries as each retry asks. When every attempt
    /// asked for another, `give_up` turns the last reason into the error. `what` names the
    /// request in the log.
    pub(crate) async fn run<T, Fut>(
        &self,
        what: &str,
        mut attempt: impl FnMut(u32) -> Fut,
        give_up: impl FnOnce(String) -> Error,
    ) -> Result<T>
    where
        // a plain closure returning a future, not an async closure: the fetch's futures must be
        // `Send`, which the compiler cannot yet prove through an async closure's borrows
        Fut: std::future::Future<Output = Result<Attempt<T>>>,
    {
        let mut last = String::new();
        for n in 1..=self.max_attempts {
            match attempt(n).await? {
                Attempt::Done(v) => return Ok(v),
                Attempt::Retry { wait, why } => {
                    tracing::debug!(request = %what, attempt = n, wait_ms = wait.as_millis() as u64, reason = %why, "retrying");
                    last = why;
                    if n < self.max_attempts {
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
        Err(give_up(last))
    }

    /// The wait a `Retry-After` header value asks for (`None` when absent or unreadable), or the
    /// error when it asks for longer than [`RetryPolicy::max_retry_after`]. `where_` names the
    /// request.
    pub(crate) fn retry_after(
        &self,
        value: Option<&str>,
        where_: &str,
    ) -> Result<Option<Duration>> {
        let Some(value) = value else {
            return Ok(None);
        };
        match parse_retry_after(value, Utc::now()) {
            Some(d) if d > self.max_retry_after => Err(Error::Source(format!(
                "{where_}: the API asks to wait {} s (Retry-After: {value:?}), more than \
                 [partner_center] max_retry_after_secs = {}: giving up instead of sleeping; try again later",
                d.as_secs(),
                self.max_retry_after.as_secs()
            ))),
            d => Ok(d),
        }
    }

    /// The wait after a 429 or a poll: the server's `Retry-After` when given (capped), else the backoff.
    pub(crate) fn after_throttle(
        &self,
        retry_after: Option<Duration>,
        attempt: u32,
        random: u64,
    ) -> Duration {
        match retry_after {
            // a little jitter on top so that throttled workers do not return in lock step
            Some(d) => d.min(self.cap) + Duration::from_millis(random % 250),
            None => self.backoff(attempt, random),
        }
    }
}

/// Whether an HTTP status is worth retrying (throttling, timeouts, server errors).
pub(crate) fn is_retryable(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// Parses `Retry-After`: delay seconds, or an HTTP date (relative to `now`).
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// A cheap random number (no cryptographic use: jitter only).
pub(crate) fn random_u64() -> u64 {
    let u = uuid::Uuid::new_v4().as_u128();
    (u >> 64) as u64 ^ u as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T14:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("57", now), Some(Duration::from_secs(57)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 14:00:03 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 13:59:00 GMT", now),
            Some(Duration::ZERO),
            "past dates mean now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jitter_stays_in_bounds() {
        let p = RetryPolicy {
            cap: Duration::from_secs(4),
            ..RetryPolicy::default()
        };
        for attempt in 1..10 {
            let full = Duration::from_millis(500 * (1 << (attempt - 1).min(16))).min(p.cap);
            for r in [0, 1, 123_456_789, u64::MAX] {
                let d = p.backoff(attempt, r);
                assert!(
                    d >= full / 2 && d <= full,
                    "attempt {attempt}: {d:?} not in [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
        assert!(p.backoff(20, 7) <= Duration::from_secs(4));
        assert!(p.after_throttle(Some(Duration::from_secs(1)), 1, 10) >= Duration::from_secs(1));
        assert!(
            p.after_throttle(Some(Duration::from_secs(999)), 1, 10) < Duration::from_secs(5),
            "capped"
        );
    }

    #[tokio::test]
    async fn run_retries_until_done_gives_up_with_the_last_reason_and_stops_on_errors() {
        let p = RetryPolicy {
            max_attempts: 3,
            base: Duration::ZERO,
            cap: Duration::ZERO,
            ..RetryPolicy::default()
        };
        let retry = |n: u32| Attempt::Retry {
            wait: Duration::ZERO,
            why: format!("try {n}"),
        };
        let tries = std::sync::atomic::AtomicU32::new(0);
        let done = p
            .run(
                "x",
                |n| {
                    tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    async move { Ok(if n < 3 { retry(n) } else { Attempt::Done(n) }) }
                },
                Error::Source,
            )
            .await;
        assert_eq!(done.unwrap(), 3);
        let e = p
            .run(
                "x",
                |n| async move { Ok::<Attempt<u32>, _>(retry(n)) },
                |last| Error::Source(format!("gave up; last: {last}")),
            )
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "gave up; last: try 3");
        tries.store(0, std::sync::atomic::Ordering::Relaxed);
        let e = p
            .run(
                "x",
                |_| {
                    tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    async { Err::<Attempt<u32>, _>(Error::Source("for good".into())) }
                },
                Error::Source,
            )
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "for good");
        assert_eq!(tries.into_inner(), 1, "an error is not retried");
    }

    #[test]
    fn a_retry_after_beyond_the_maximum_is_an_error_naming_the_value_and_the_key() {
        let p = RetryPolicy::default();
        assert_eq!(p.retry_after(None, "GET /x").unwrap(), None);
        assert_eq!(p.retry_after(Some("soon"), "GET /x").unwrap(), None);
        assert_eq!(
            p.retry_after(Some("300"), "GET /x").unwrap(),
            Some(Duration::from_secs(300)),
            "at the maximum: honoured"
        );
        let e = p
            .retry_after(Some("999999999"), "GET /x")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("GET /x: the API asks to wait 999999999 s"),
            "{e}"
        );
        assert!(
            e.contains("Retry-After: \"999999999\"") && e.contains("max_retry_after_secs = 300"),
            "{e}"
        );
    }

    #[test]
    fn which_statuses_retry() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409] {
            assert!(!is_retryable(s), "{s}");
        }
    }
}
