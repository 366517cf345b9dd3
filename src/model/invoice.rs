//! Invoices, invoice summaries, collection envelopes and the Graph export manifest (API reference
//! §3, §5.3, §6.1, §6.2).

use serde::Deserialize;

use super::feed::Feed;
use super::{Money, Text, enum_eq};

/// A `ResourceCollection` page (§3.1): the items plus the paging links.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Collection<T> {
    /// The resources of this page.
    #[serde(default = "Vec::new")]
    pub(crate) items: Vec<T>,
    /// Seek-paging token (OneTime line items), when the page has one.
    #[serde(default, alias = "continuationtoken")]
    pub(crate) continuation_token: Option<String>,
    /// `self`, `next`, `previous`.
    #[serde(default)]
    pub(crate) links: Links,
}

/// The links of a collection page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Links {
    /// The next page, absent on the last one.
    #[serde(default)]
    pub(crate) next: Option<Link>,
}

/// A link (§3.2): a relative URI without `/v1`, and headers to send with it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Link {
    /// Relative URI, e.g. `/invoices?size=2&offset=2`.
    #[serde(default)]
    #[allow(dead_code)]
    // the API's link, kept in the model: paging follows `offset` and the token
    pub(crate) uri: String,
    /// Headers such as `MS-ContinuationToken`.
    #[serde(default)]
    pub(crate) headers: Vec<LinkHeader>,
}

/// One header of a [`Link`].
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LinkHeader {
    /// Header name.
    pub(crate) key: String,
    /// Header value (opaque; sent verbatim).
    pub(crate) value: String,
}

/// An invoice header as `GET /v1/invoices` and `GET /v1/invoices/{id}` return it (§6.1).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Invoice {
    /// Invoice number, the primary key.
    pub(crate) id: String,
    /// Issue date (UTC); `--period` filters on its month.
    #[serde(default, rename = "invoicedate")]
    pub(crate) invoice_date: Option<String>,
    /// Total including adjustments, in `currency_code`.
    #[serde(default, rename = "totalcharges")]
    pub(crate) total_charges: Money,
    /// Billing currency (ISO 4217).
    #[serde(default, rename = "currencycode")]
    pub(crate) currency_code: Option<String>,
    /// `Recurring` / `OneTime` (any casing, `_` ignored).
    #[serde(default, rename = "invoicetype")]
    pub(crate) invoice_type: Option<String>,
    /// `invoice`, `void_note`, `adjustment_note`.
    #[serde(default, rename = "documenttype")]
    pub(crate) document_type: Option<String>,
    /// Which line item feeds exist.
    #[serde(default, rename = "invoicedetails")]
    pub(crate) invoice_details: Vec<InvoiceDetail>,
    /// Documents (credit, void and adjustment notes) nested in this one; each is a document of
    /// its own (see [`Invoice::documents`]).
    #[serde(default)]
    pub(crate) amendments: Vec<Invoice>,
    /// The invoice a credit note amends.
    #[serde(default, rename = "amendsof")]
    pub(crate) amends_of: Option<String>,
    /// Amount paid so far.
    #[serde(default, rename = "paidamount")]
    pub(crate) paid_amount: Money,
    /// First day of the billing period.
    #[serde(default, rename = "billingperiodstartdate")]
    pub(crate) billing_period_start_date: Option<String>,
    /// Last day of the billing period.
    #[serde(default, rename = "billingperiodenddate")]
    pub(crate) billing_period_end_date: Option<String>,
}

impl Invoice {
    /// This document and the documents nested in its `amendments` (recursively), depth first,
    /// each without its amendments; a nested document without `amendsOf` amends the document it
    /// is nested in.
    pub(crate) fn documents(mut self) -> Vec<Invoice> {
        let amendments = std::mem::take(&mut self.amendments);
        let parent = self.id.clone();
        let mut out = vec![self];
        for mut nested in amendments {
            if nested
                .amends_of
                .as_deref()
                .is_none_or(|a| a.trim().is_empty())
            {
                nested.amends_of = Some(parent.clone());
            }
            out.extend(nested.documents());
        }
        out
    }

    /// The feeds this document lists (`invoiceDetails`), in feed order without repeats, each with
    /// the detail that listed it first; `none` and pairs that map to no feed are left out.
    pub(crate) fn listed_feeds(&self) -> Vec<(Feed, &InvoiceDetail)> {
        let mut feeds: Vec<(Feed, &InvoiceDetail)> = self
            .invoice_details
            .iter()
            .filter_map(|d| {
                Feed::from_detail(
                    d.billing_provider.as_deref().unwrap_or(""),
                    d.invoice_line_item_type.as_deref().unwrap_or(""),
                )
                .map(|f| (f, d))
            })
            .collect();
        feeds.sort_by_key(|(f, _)| *f);
        feeds.dedup_by_key(|(f, _)| *f);
        feeds
    }

    /// Whether this document is an invoice or a credit note (`documentType` compared without
    /// case, spaces and `_`).
    pub(crate) fn document_type(&self) -> DocumentType {
        let folded: String = self
            .document_type
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        match folded.as_str() {
            "creditnote" | "voidnote" | "adjustmentnote" => DocumentType::CreditNote,
            _ => DocumentType::Invoice,
        }
    }
}

/// The charges report's `document_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocumentType {
    /// An invoice (also when `documentType` is absent).
    Invoice,
    /// A credit, void or adjustment note: a document of its own that amends an invoice.
    CreditNote,
}

impl DocumentType {
    /// The report's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DocumentType::Invoice => "invoice",
            DocumentType::CreditNote => "credit_note",
        }
    }
}

/// One line item feed of an invoice.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct InvoiceDetail {
    /// `billing_line_items` | `usage_line_items` | `none`.
    #[serde(default, rename = "invoicelineitemtype")]
    pub(crate) invoice_line_item_type: Option<String>,
    /// `office` | `azure` | `one_time` | `marketplace` | `all` | `none`.
    #[serde(default, rename = "billingprovider")]
    pub(crate) billing_provider: Option<String>,
}

/// An account balance in one currency (§6.2), as `GET /v1/invoices/summaries` lists them.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct InvoiceSummary {
    /// Currency of this summary.
    #[serde(default, rename = "currencycode")]
    pub(crate) currency_code: Option<String>,
    /// Unpaid balance.
    #[serde(default, rename = "balanceamount")]
    pub(crate) balance_amount: Money,
    /// When the balance was last updated.
    #[serde(default, rename = "accountingdate")]
    pub(crate) accounting_date: Option<String>,
    /// Date of the latest invoice (`0001-01-01…` when none).
    #[serde(default, rename = "latestinvoicedate")]
    pub(crate) latest_invoice_date: Option<String>,
    /// Date of the last payment.
    #[serde(default, rename = "lastpaymentdate")]
    pub(crate) last_payment_date: Option<String>,
    /// Amount of the last payment.
    #[serde(default, rename = "lastpaymentamount")]
    pub(crate) last_payment_amount: Money,
    /// Split by invoice type.
    #[serde(default)]
    pub(crate) details: Vec<InvoiceSummaryDetail>,
}

/// The balance of one invoice type inside an [`InvoiceSummary`].
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct InvoiceSummaryDetail {
    /// `Recurring` or `OneTime`.
    #[serde(default, rename = "invoicetype")]
    pub(crate) invoice_type: Option<String>,
    /// The nested summary.
    pub(crate) summary: Option<Box<InvoiceSummary>>,
}

/// The Graph billed-reconciliation export manifest (§5.3).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ExportManifest {
    /// Manifest id.
    #[serde(default)]
    #[allow(dead_code)] // the API's manifest field, kept in the model; no stage needs it
    pub(crate) id: Option<String>,
    /// `compressedJSONLines`.
    #[serde(default, rename = "dataformat")]
    #[allow(dead_code)] // the API's manifest field, kept in the model; no stage needs it
    pub(crate) data_format: Option<String>,
    /// Blob folder URL (the SAS token is kept apart and never logged).
    #[serde(default, rename = "rootdirectory")]
    pub(crate) root_directory: Option<String>,
    /// Number of blobs.
    #[serde(default, rename = "blobcount")]
    pub(crate) blob_count: Text,
    /// The blob files.
    #[serde(default)]
    pub(crate) blobs: Vec<ExportBlob>,
    /// The blobs' SAS token (a secret: used for the downloads, never stored or logged).
    #[serde(default, rename = "sastoken")]
    pub(crate) sas_token: Option<String>,
}

impl ExportManifest {
    /// Why `blobCount` disagrees with the blob list, when it does (an absent count agrees): a
    /// manifest that lost blobs would otherwise read as fewer lines without a word.
    pub(crate) fn blob_count_error(&self) -> Option<String> {
        let count = self.blob_count.0.as_deref()?.trim();
        match count.parse::<usize>() {
            Ok(n) if n == self.blobs.len() => None,
            _ => Some(format!(
                "blobCount is {count} but the manifest lists {} blobs",
                self.blobs.len()
            )),
        }
    }
}

/// One blob of an export.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ExportBlob {
    /// File name, e.g. `part-00000-….c000.json.gz`.
    pub(crate) name: String,
}

/// `Recurring` or `OneTime` invoice (the charges report's `invoice_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvoiceType {
    /// Legacy license-based / recurring invoice.
    Recurring,
    /// New-commerce / one-time invoice.
    OneTime,
}

impl InvoiceType {
    /// The type of `invoice`: its `invoiceType`, else from its number.
    pub(crate) fn of(invoice: &Invoice) -> InvoiceType {
        match invoice.invoice_type.as_deref() {
            Some(t) if enum_eq(t, "recurring") => InvoiceType::Recurring,
            Some(_) => InvoiceType::OneTime,
            // legacy recurring invoice numbers start with D (API reference §6.1)
            None if invoice.id.starts_with('D') => InvoiceType::Recurring,
            None => InvoiceType::OneTime,
        }
    }

    /// The charges report's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            InvoiceType::Recurring => "recurring",
            InvoiceType::OneTime => "one_time",
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::model::json::fold_member_names;

    /// `v` with each member name re-cased letter by letter from `flips` (cycled).
    fn recase(v: &Value, flips: &[bool], at: &mut usize) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| {
                        let k: String = k
                            .chars()
                            .map(|c| {
                                *at += 1;
                                if flips[*at % flips.len()] {
                                    c.to_ascii_uppercase()
                                } else {
                                    c.to_ascii_lowercase()
                                }
                            })
                            .collect();
                        (k, recase(x, flips, at))
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|x| recase(x, flips, at)).collect()),
            _ => v.clone(),
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(v: &Value) -> T {
        serde_json::from_slice(&fold_member_names(v.to_string().as_bytes())).unwrap()
    }

    fn invoice_page() -> Value {
        json!({"totalCount": 1, "continuationToken": "t0k", "items": [{
            "id": "G000000001", "invoiceDate": "2026-01-05T00:00:00Z",
            "totalCharges": "12.3456789", "currencyCode": "EUR", "invoiceType": "OneTime",
            "documentType": "invoice", "paidAmount": 3.5,
            "billingPeriodStartDate": "2025-12-01", "billingPeriodEndDate": "2025-12-31",
            "invoiceDetails": [{"invoiceLineItemType": "BillingLineItems", "billingProvider": "OneTime"}],
            "amendments": [{"id": "G000000002", "documentType": "Credit_Note", "amendsOf": "G000000001"}]
        }]})
    }

    fn manifest() -> Value {
        json!({"id": "m1", "dataFormat": "compressedJSONLines",
            "rootDirectory": "https://x.blob/y", "blobCount": 2, "sasToken": "s",
            "blobs": [{"name": "a.json.gz"}, {"name": "b.json.gz"}]})
    }

    proptest! {
        #[test]
        fn any_member_name_casing_parses_the_same(flips in prop::collection::vec(any::<bool>(), 1..40)) {
            let page = invoice_page();
            let want: Collection<Invoice> = parse(&page);
            let got: Collection<Invoice> = parse(&recase(&page, &flips, &mut 0));
            prop_assert_eq!(format!("{:?}", got.items), format!("{:?}", want.items));
            prop_assert_eq!(got.continuation_token, want.continuation_token);
            let m = manifest();
            let want: ExportManifest = parse(&m);
            let got: ExportManifest = parse(&recase(&m, &flips, &mut 0));
            prop_assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
    }

    #[test]
    fn camel_case_reads_every_field() {
        let page: Collection<Invoice> = parse(&invoice_page());
        let inv = &page.items[0];
        assert_eq!(inv.invoice_details.len(), 1);
        assert!(inv.paid_amount.0.is_some() && inv.total_charges.0.is_some());
        assert_eq!(inv.billing_period_end_date.as_deref(), Some("2025-12-31"));
        assert_eq!(inv.amendments[0].document_type(), DocumentType::CreditNote);
        let m: ExportManifest = parse(&manifest());
        assert_eq!((m.blobs.len(), m.blob_count_error()), (2, None));
        let short: ExportManifest = parse(&json!({"BlobCount": "3", "Blobs": [{"Name": "a"}]}));
        assert_eq!(
            short.blob_count_error().as_deref(),
            Some("blobCount is 3 but the manifest lists 1 blobs")
        );
    }

    #[test]
    fn nested_amendments_are_documents_amending_their_parent() {
        let page: Collection<Invoice> = parse(&json!({"items": [{"id": "A", "amendments": [
            {"id": "B", "amendments": [{"id": "C"}]}, {"id": "D", "amendsOf": "X"}]}]}));
        let docs = page.items.into_iter().next().unwrap().documents();
        let ids: Vec<(&str, Option<&str>)> = docs
            .iter()
            .map(|d| (d.id.as_str(), d.amends_of.as_deref()))
            .collect();
        assert_eq!(
            ids,
            [
                ("A", None),
                ("B", Some("A")),
                ("C", Some("B")),
                ("D", Some("X"))
            ]
        );
    }
}
