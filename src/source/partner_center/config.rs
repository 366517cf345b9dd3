//! `[partner_center]`: the API endpoints, the app's identity, and how hard to fetch.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Invalid;

/// Where new-commerce line items come from (`partner_center.line_items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineItems {
    /// The v2 export for invoices from [`LineItems::V2_FROM`] on, v1 paging before.
    Auto,
    /// Always v1 paging.
    V1,
    /// Always the Graph v2 export.
    V2,
}

crate::config::choice!(LineItems {
    "auto" => LineItems::Auto,
    "v1" => LineItems::V1,
    "v2" => LineItems::V2,
});

impl LineItems {
    /// New-commerce invoices from this day on come from the v2 export under `auto`.
    pub(crate) const V2_FROM: (i32, u32, u32) = (2024, 2, 1);

    /// Whether an invoice dated `invoice_date` takes its new-commerce lines from the v2 export.
    pub(crate) fn use_v2_export(self, invoice_date: Option<NaiveDate>) -> bool {
        let (y, m, d) = Self::V2_FROM;
        match self {
            LineItems::V1 => false,
            LineItems::V2 => true,
            LineItems::Auto => invoice_date
                .is_some_and(|date| date >= NaiveDate::from_ymd_opt(y, m, d).expect("date")),
        }
    }
}

/// `[partner_center]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct PartnerCenterConfig {
    /// Partner Center REST base URL.
    pub(crate) api_base: String,
    /// Microsoft Graph base URL (v2 exports).
    pub(crate) graph_base: String,
    /// Entra authority.
    pub(crate) authority: String,
    /// Partner tenant.
    pub(crate) tenant_id: String,
    /// App (client) id.
    pub(crate) client_id: String,
    /// Name of the environment variable holding the client secret.
    pub(crate) client_secret_env: String,
    /// File holding the App+User refresh token (rewritten with the newest one).
    pub(crate) refresh_token_file: PathBuf,
    /// `auto`, `v1` or `v2`.
    pub(crate) line_items: LineItems,
    /// Concurrent requests across the whole fetch (at least 1).
    pub(crate) max_concurrency: u32,
    /// Line items per v1 page (1 to the API's maximum, 2000).
    pub(crate) page_size: u32,
    /// Attempts per request before the fetch fails (exit 4; at least 1).
    pub(crate) max_attempts: u32,
    /// Timeout of one HTTP request (at least 1).
    pub(crate) request_timeout_secs: u64,
    /// How long a Graph export may take before the fetch gives up.
    pub(crate) export_deadline_secs: u64,
    /// Also download each invoice's statement PDF (App+User).
    pub(crate) statement_pdf: bool,
    /// Also run the Graph unbilled-reconciliation export (current and last billing period, per
    /// currency of the listed invoices).
    pub(crate) unbilled: bool,
    /// Most pages one paged listing (the invoice list, one invoice's feed) may take before the
    /// fetch gives up: an API that never stops sending next links ends here.
    pub(crate) max_pages: u32,
    /// Longest `Retry-After` honoured, in seconds; a longer one fails the fetch (exit 4) instead
    /// of sleeping through the night.
    pub(crate) max_retry_after_secs: u64,
}

impl Default for PartnerCenterConfig {
    fn default() -> Self {
        PartnerCenterConfig {
            api_base: "https://api.partnercenter.microsoft.com".into(),
            graph_base: "https://graph.microsoft.com/v1.0".into(),
            authority: "https://login.microsoftonline.com".into(),
            tenant_id: String::new(),
            client_id: String::new(),
            client_secret_env: "PCRECON_CLIENT_SECRET".into(),
            refresh_token_file: "secrets/refresh-token".into(),
            line_items: LineItems::Auto,
            max_concurrency: 4,
            page_size: 2000,
            max_attempts: 6,
            request_timeout_secs: 180,
            export_deadline_secs: 3600,
            statement_pdf: false,
            unbilled: true,
            max_pages: 100_000,
            max_retry_after_secs: 300,
        }
    }
}

impl PartnerCenterConfig {
    /// The ranges the numbers must be in.
    pub(crate) fn check(&self) -> Result<(), Invalid> {
        for (key, v) in [
            (
                "partner_center.max_concurrency",
                u64::from(self.max_concurrency),
            ),
            ("partner_center.max_attempts", u64::from(self.max_attempts)),
            ("partner_center.max_pages", u64::from(self.max_pages)),
            (
                "partner_center.request_timeout_secs",
                self.request_timeout_secs,
            ),
        ] {
            if v == 0 {
                return Err(Invalid::new(key, "must be at least 1"));
            }
        }
        if !(1..=2000).contains(&self.page_size) {
            return Err(Invalid::new(
                "partner_center.page_size",
                format!("{} is not between 1 and 2000", self.page_size),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{config_error, load_for_test};

    #[test]
    fn line_items_auto_picks_v2_from_february_2024() {
        let d = |s: &str| Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap());
        assert!(!LineItems::Auto.use_v2_export(d("2024-01-31")));
        assert!(LineItems::Auto.use_v2_export(d("2024-02-01")));
        assert!(!LineItems::Auto.use_v2_export(None));
        assert!(LineItems::V2.use_v2_export(d("2019-01-01")));
        assert!(!LineItems::V1.use_v2_export(d("2025-03-06")));
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = config_error(
            "[partner_center]\nline_items = \"v3\"",
            "partner_center.line_items",
        );
        assert!(e.contains(r#""v3" is not "auto", "v1" or "v2""#), "{e}");
        for key in [
            "max_concurrency",
            "max_attempts",
            "request_timeout_secs",
            "max_pages",
        ] {
            let e = config_error(&format!("[partner_center]\n{key} = 0"), key);
            assert!(e.contains("must be at least 1"), "{e}");
        }
        config_error(
            "[partner_center]\npage_size = 2001",
            "partner_center.page_size: 2001 is not between 1 and 2000",
        );
        config_error(
            "[partner_center]\nmax_attempts = -1",
            "partner_center.max_attempts",
        );
    }

    #[test]
    fn line_items_from_the_environment() {
        let c = load_for_test("", &[("PCRECON_PARTNER_CENTER_LINE_ITEMS", "v1")]).unwrap();
        assert_eq!(c.partner_center.line_items, LineItems::V1);
    }
}
