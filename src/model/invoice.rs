//! Invoices, invoice summaries, collection envelopes and the Graph export manifest (API reference
//! §3, §5.3, §6.1, §6.2).

use serde::Deserialize;

use super::{Money, Text, enum_eq};

/// A `ResourceCollection` page (§3.1): the items plus the paging links.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection<T> {
    /// The resources of this page.
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// Seek-paging token (OneTime line items), when the page has one.
    #[serde(default)]
    pub continuation_token: Option<String>,
    /// `self`, `next`, `previous`.
    #[serde(default)]
    pub links: Links,
}

/// The links of a collection page.
#[derive(Debug, Default, Deserialize)]
pub struct Links {
    /// The next page, absent on the last one.
    #[serde(default)]
    pub next: Option<Link>,
}

/// A link (§3.2): a relative URI without `/v1`, and headers to send with it.
#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    /// Relative URI, e.g. `/invoices?size=2&offset=2`.
    #[serde(default)]
    pub uri: String,
    /// Headers such as `MS-ContinuationToken`.
    #[serde(default)]
    pub headers: Vec<LinkHeader>,
}

/// One header of a [`Link`].
#[derive(Debug, Clone, Deserialize)]
pub struct LinkHeader {
    /// Header name.
    pub key: String,
    /// Header value (opaque; sent verbatim).
    pub value: String,
}

/// An invoice header as `GET /v1/invoices` and `GET /v1/invoices/{id}` return it (§6.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// Invoice number, the primary key.
    pub id: String,
    /// Issue date (UTC); `--period` filters on its month.
    #[serde(default)]
    pub invoice_date: Option<String>,
    /// Total including adjustments, in `currency_code`.
    #[serde(default)]
    pub total_charges: Money,
    /// Billing currency (ISO 4217).
    #[serde(default)]
    pub currency_code: Option<String>,
    /// `Recurring` / `OneTime` (any casing, `_` ignored).
    #[serde(default)]
    pub invoice_type: Option<String>,
    /// `invoice`, `void_note`, `adjustment_note`.
    #[serde(default)]
    pub document_type: Option<String>,
    /// Which line item feeds exist.
    #[serde(default)]
    pub invoice_details: Vec<InvoiceDetail>,
}

/// One line item feed of an invoice.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceDetail {
    /// `billing_line_items` | `usage_line_items` | `none`.
    #[serde(default)]
    pub invoice_line_item_type: Option<String>,
    /// `office` | `azure` | `one_time` | `marketplace` | `all` | `none`.
    #[serde(default)]
    pub billing_provider: Option<String>,
}

/// An account balance in one currency (§6.2), as `GET /v1/invoices/summaries` lists them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceSummary {
    /// Currency of this summary.
    #[serde(default)]
    pub currency_code: Option<String>,
    /// Unpaid balance.
    #[serde(default)]
    pub balance_amount: Money,
    /// When the balance was last updated.
    #[serde(default)]
    pub accounting_date: Option<String>,
    /// Date of the latest invoice (`0001-01-01…` when none).
    #[serde(default)]
    pub latest_invoice_date: Option<String>,
    /// Date of the last payment.
    #[serde(default)]
    pub last_payment_date: Option<String>,
    /// Amount of the last payment.
    #[serde(default)]
    pub last_payment_amount: Money,
    /// Split by invoice type.
    #[serde(default)]
    pub details: Vec<InvoiceSummaryDetail>,
}

/// The balance of one invoice type inside an [`InvoiceSummary`].
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceSummaryDetail {
    /// `Recurring` or `OneTime`.
    #[serde(default)]
    pub invoice_type: Option<String>,
    /// The nested summary.
    pub summary: Option<Box<InvoiceSummary>>,
}

/// The Graph billed-reconciliation export manifest (§5.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportManifest {
    /// Manifest id.
    #[serde(default)]
    pub id: Option<String>,
    /// `compressedJSONLines`.
    #[serde(default)]
    pub data_format: Option<String>,
    /// Blob folder URL (the SAS token is kept apart and never logged).
    #[serde(default)]
    pub root_directory: Option<String>,
    /// Number of blobs.
    #[serde(default)]
    pub blob_count: Text,
    /// The blob files.
    #[serde(default)]
    pub blobs: Vec<ExportBlob>,
}

/// One blob of an export.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportBlob {
    /// File name, e.g. `part-00000-….c000.json.gz`.
    pub name: String,
}

/// `Recurring` or `OneTime` invoice (the charges report's `invoice_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceType {
    /// Legacy license-based / recurring invoice.
    Recurring,
    /// New-commerce / one-time invoice.
    OneTime,
}

impl InvoiceType {
    /// The type of `invoice`: its `invoiceType`, else from its number.
    pub fn of(invoice: &Invoice) -> InvoiceType {
        match invoice.invoice_type.as_deref() {
            Some(t) if enum_eq(t, "recurring") => InvoiceType::Recurring,
            Some(_) => InvoiceType::OneTime,
            // legacy recurring invoice numbers start with D (API reference §6.1)
            None if invoice.id.starts_with('D') => InvoiceType::Recurring,
            None => InvoiceType::OneTime,
        }
    }

    /// The charges report's value.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceType::Recurring => "recurring",
            InvoiceType::OneTime => "one_time",
        }
    }
}
