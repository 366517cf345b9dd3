//! The line item feeds of an invoice, in one table ([`FEEDS`]): per feed its snapshot folder,
//! how the API serves it (URL form, paging), whether it bills or details usage, and which parser
//! reads its files. The snapshot reader, the normaliser and the API client all read this table.

use super::enum_eq;

/// A line item feed: a key into [`FEEDS`]. The order is the order an invoice's files are read
/// in (and so the order of the charges report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Feed {
    /// `office-billinglineitems`: legacy license-based lines.
    OfficeBilling,
    /// `azure-billinglineitems`: legacy Azure rated usage.
    AzureBilling,
    /// `azure-usagelineitems`: legacy Azure daily usage (quantities only).
    AzureUsage,
    /// `onetime-billinglineitems`: new commerce lines, v1 seek paging.
    OneTimeBilling,
    /// `onetime-usagelineitems`: Azure plan daily-rated usage.
    OneTimeUsage,
    /// `export/`: the Graph v2 billed-reconciliation export (new commerce lines).
    Export,
}

/// How the API serves a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeedSource {
    /// A v1 `/invoices/{id}/lineitems` collection (API reference §4.6).
    V1 {
        /// Where provider and line item type go in the URL.
        url: UrlForm,
        /// How its pages follow each other.
        paging: Paging,
    },
    /// The Graph v2 billed-reconciliation export: POST, poll, download blobs (§5).
    Export,
}

/// Where a v1 feed's provider and line item type go in its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlForm {
    /// `…/lineitems/{provider}/{line_item_type}` (legacy Office / Azure feeds).
    Path {
        /// The provider segment, e.g. `Office`.
        provider: &'static str,
        /// The line item type segment, e.g. `BillingLineItems`.
        line_item_type: &'static str,
    },
    /// `…/lineitems?provider=…&invoicelineitemtype=…` (new-commerce feeds).
    Query {
        /// The `provider` value.
        provider: &'static str,
        /// The `invoicelineitemtype` value.
        line_item_type: &'static str,
        /// The feed also wants `currencycode` (the invoice's currency).
        with_currency: bool,
    },
}

/// How a v1 feed pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    /// `size` + `offset`, `offset += items` while `links.next` is there.
    Offset,
    /// First page with `size`, then `seekOperation=Next` + `MS-ContinuationToken`.
    Seek,
}

/// Which parser reads a feed's files (the line item kinds of [`super::line_item`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    /// v1 pages of `LicenseBasedLineItem`.
    LicenseBased,
    /// v1 pages of `UsageBasedLineItem`.
    UsageBased,
    /// v1 pages of `DailyUsageLineItem`.
    DailyUsage,
    /// v1 pages of `OneTimeLineItem`.
    OneTime,
    /// v1 pages of `DailyRatedUsageLineItem`.
    DailyRatedUsage,
    /// Gzip JSON-lines export blobs of `OneTimeLineItem` (possibly multi-member, with a BOM,
    /// with blank lines).
    ExportBlobs,
}

/// What the program knows about one feed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FeedSpec {
    /// The feed this row describes (its index in [`FEEDS`]).
    pub(crate) feed: Feed,
    /// Its folder in an invoice's snapshot folder: `lineitems/<folder>` for v1 feeds, `export`
    /// for the v2 export. Also salts the feed's line references.
    pub(crate) folder: &'static str,
    /// `billing_provider` as the charges report names it.
    pub(crate) provider: &'static str,
    /// The invoice detail `billingProvider` values that list this feed (§6.3); the detail's
    /// `invoiceLineItemType` must match [`FeedSpec::billing`].
    pub(crate) detail_providers: &'static [&'static str],
    /// Billing feeds carry the billed amounts (the charges report, reconciled); usage feeds
    /// detail usage already billed (the usage_line_items report).
    pub(crate) billing: bool,
    /// How the API serves it.
    pub(crate) source: FeedSource,
    /// Which parser reads its files.
    pub(crate) parser: Parser,
    /// The v2 export carries the same lines: fetched from the export instead when the invoice
    /// is new enough, and a snapshot may not hold both.
    pub(crate) also_in_export: bool,
}

/// Every feed, indexed by [`Feed`].
pub(crate) const FEEDS: [FeedSpec; 6] = [
    FeedSpec {
        feed: Feed::OfficeBilling,
        folder: "office-billinglineitems",
        provider: "office",
        detail_providers: &["office"],
        billing: true,
        source: FeedSource::V1 {
            url: UrlForm::Path {
                provider: "Office",
                line_item_type: "BillingLineItems",
            },
            paging: Paging::Offset,
        },
        parser: Parser::LicenseBased,
        also_in_export: false,
    },
    FeedSpec {
        feed: Feed::AzureBilling,
        folder: "azure-billinglineitems",
        provider: "azure",
        detail_providers: &["azure"],
        billing: true,
        source: FeedSource::V1 {
            url: UrlForm::Path {
                provider: "Azure",
                line_item_type: "BillingLineItems",
            },
            paging: Paging::Offset,
        },
        parser: Parser::UsageBased,
        also_in_export: false,
    },
    FeedSpec {
        feed: Feed::AzureUsage,
        folder: "azure-usagelineitems",
        provider: "azure",
        detail_providers: &["azure"],
        billing: false,
        source: FeedSource::V1 {
            url: UrlForm::Path {
                provider: "Azure",
                line_item_type: "UsageLineItems",
            },
            paging: Paging::Offset,
        },
        parser: Parser::DailyUsage,
        also_in_export: false,
    },
    FeedSpec {
        feed: Feed::OneTimeBilling,
        folder: "onetime-billinglineitems",
        provider: "one_time",
        detail_providers: &["one_time", "all"],
        billing: true,
        source: FeedSource::V1 {
            url: UrlForm::Query {
                provider: "onetime",
                line_item_type: "billinglineitems",
                with_currency: false,
            },
            paging: Paging::Seek,
        },
        parser: Parser::OneTime,
        also_in_export: true,
    },
    FeedSpec {
        feed: Feed::OneTimeUsage,
        folder: "onetime-usagelineitems",
        provider: "marketplace",
        detail_providers: &["marketplace", "one_time"],
        billing: false,
        source: FeedSource::V1 {
            url: UrlForm::Query {
                provider: "onetime",
                line_item_type: "usagelineitems",
                with_currency: true,
            },
            paging: Paging::Seek,
        },
        parser: Parser::DailyRatedUsage,
        also_in_export: false,
    },
    FeedSpec {
        feed: Feed::Export,
        folder: "export",
        provider: "one_time",
        // never listed by an invoice: it stands in for `onetime-billinglineitems`
        detail_providers: &[],
        billing: true,
        source: FeedSource::Export,
        parser: Parser::ExportBlobs,
        also_in_export: false,
    },
];

impl Feed {
    /// This feed's row of [`FEEDS`].
    pub(crate) fn spec(self) -> &'static FeedSpec {
        &FEEDS[self as usize]
    }

    /// The v1 feed of a `lineitems/<folder>` name.
    pub(crate) fn from_folder(name: &str) -> Option<Feed> {
        FEEDS
            .iter()
            .find(|s| matches!(s.source, FeedSource::V1 { .. }) && s.folder == name)
            .map(|s| s.feed)
    }

    /// The feed for an invoice detail (`billingProvider`, `invoiceLineItemType`), §6.3.
    pub(crate) fn from_detail(provider: &str, line_item_type: &str) -> Option<Feed> {
        let billing = if enum_eq(line_item_type, "billing_line_items") {
            true
        } else if enum_eq(line_item_type, "usage_line_items") {
            false
        } else {
            return None;
        };
        FEEDS
            .iter()
            .find(|s| {
                s.billing == billing && s.detail_providers.iter().any(|p| enum_eq(provider, p))
            })
            .map(|s| s.feed)
    }
}

impl FeedSpec {
    /// `line_item_type` as the charges report names it.
    pub(crate) fn line_item_type(&self) -> &'static str {
        if self.billing {
            "billing_line_items"
        } else {
            "usage_line_items"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_indexed_by_feed_and_folders_are_unique() {
        for (i, s) in FEEDS.iter().enumerate() {
            assert_eq!(s.feed as usize, i, "{} out of place", s.folder);
            assert_eq!(s.feed.spec().folder, s.folder);
            assert_eq!(
                FEEDS.iter().filter(|o| o.folder == s.folder).count(),
                1,
                "{}",
                s.folder
            );
        }
    }

    #[test]
    fn feeds_from_invoice_details_and_folders() {
        assert_eq!(
            Feed::from_detail("one_time", "billing_line_items"),
            Some(Feed::OneTimeBilling)
        );
        assert_eq!(
            Feed::from_detail("all", "billing_line_items"),
            Some(Feed::OneTimeBilling)
        );
        assert_eq!(
            Feed::from_detail("Office", "BillingLineItems"),
            Some(Feed::OfficeBilling)
        );
        assert_eq!(
            Feed::from_detail("azure", "usage_line_items"),
            Some(Feed::AzureUsage)
        );
        assert_eq!(
            Feed::from_detail("marketplace", "usage_line_items"),
            Some(Feed::OneTimeUsage)
        );
        assert_eq!(
            Feed::from_detail("one_time", "usage_line_items"),
            Some(Feed::OneTimeUsage)
        );
        assert_eq!(Feed::from_detail("none", "none"), None);
        assert_eq!(Feed::from_detail("office", "none"), None);
        for s in &FEEDS {
            let v1 = matches!(s.source, FeedSource::V1 { .. });
            assert_eq!(Feed::from_folder(s.folder), v1.then_some(s.feed));
        }
        assert_eq!(Feed::from_folder("export"), None);
    }
}
